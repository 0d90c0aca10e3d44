#!/usr/bin/env python3
"""Minimal WebRTC signalling + page server for the sample lab (stdlib only).

    webrtc-signal.py LISTEN_IP PORT TURN_URL TURN_USER TURN_PASS

GET  /?me=a&peer=b&caller=1&policy=all|relay   the call page
POST /msg?to=X    queue a JSON message (SDP or ICE candidate) for peer X
GET  /msg?me=X    long-poll (up to 5 s) for X's queued messages -> JSON list
POST /log?me=X    a status line from a page, printed to stdout ("X: ...")
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

LISTEN, PORT, TURN_URL, TURN_USER, TURN_PASS = sys.argv[1:6]
QUEUES = {}
COND = threading.Condition()

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>callpath lab call</title></head>
<body><script>
const q = new URLSearchParams(location.search);
const me = q.get('me'), peer = q.get('peer'), caller = q.get('caller') === '1';
const cfg = {iceServers: [{urls: '%(turn)s', username: '%(user)s', credential: '%(pass)s'}],
             iceTransportPolicy: q.get('policy') || 'all', bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require'};
const log = (m) => fetch('/log?me=' + me, {method: 'POST', body: String(m)});
const send = (o) => fetch('/msg?to=' + peer, {method: 'POST', body: JSON.stringify(o)});
async function report(pc) {
  const st = await pc.getStats();
  st.forEach(r => {
    if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') {
      const l = st.get(r.localCandidateId), x = st.get(r.remoteCandidateId);
      log(`pair ${l.candidateType} ${l.address}:${l.port} -> ${x.candidateType} ${x.address}:${x.port}`);
    }
  });
}
async function main() {
  const pc = new RTCPeerConnection(cfg);
  let pending = [];
  pc.onicecandidate = e => { if (e.candidate) send({cand: e.candidate}); };
  pc.onconnectionstatechange = () => {
    log('state ' + pc.connectionState);
    if (pc.connectionState === 'connected') setTimeout(() => report(pc), 1000);
  };
  pc.ontrack = e => { const a = new Audio(); a.srcObject = e.streams[0]; a.play().catch(() => {}); };
  const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: false});
  stream.getTracks().forEach(t => pc.addTrack(t, stream));
  if (caller) {
    await pc.setLocalDescription(await pc.createOffer());
    send({sdp: pc.localDescription});
  }
  for (;;) {
    const msgs = await (await fetch('/msg?me=' + me)).json();
    for (const m of msgs) {
      if (m.sdp) {
        await pc.setRemoteDescription(m.sdp);
        if (m.sdp.type === 'offer') {
          await pc.setLocalDescription(await pc.createAnswer());
          send({sdp: pc.localDescription});
        }
        for (const c of pending) await pc.addIceCandidate(c);
        pending = [];
      } else if (m.cand) {
        if (pc.remoteDescription) await pc.addIceCandidate(m.cand); else pending.push(m.cand);
      }
    }
  }
}
main().catch(e => log('error ' + e));
</script></body></html>
""" % {"turn": TURN_URL, "user": TURN_USER, "pass": TURN_PASS}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, body, ctype="application/json"):
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        u = urlparse(self.path)
        q = parse_qs(u.query)
        if u.path == "/msg":
            me = q.get("me", [""])[0]
            with COND:
                COND.wait_for(lambda: QUEUES.get(me), timeout=5)
                msgs = QUEUES.pop(me, [])
            self.reply(json.dumps(msgs))
        elif u.path == "/":
            self.reply(PAGE, "text/html; charset=utf-8")
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    def do_POST(self):
        u = urlparse(self.path)
        q = parse_qs(u.query)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        if u.path == "/msg":
            with COND:
                QUEUES.setdefault(q.get("to", [""])[0], []).append(json.loads(body))
                COND.notify_all()
        elif u.path == "/log":
            print(f"{q.get('me', ['?'])[0]}: {body}", flush=True)
        self.reply("{}")


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer((LISTEN, int(PORT)), Handler).serve_forever()
