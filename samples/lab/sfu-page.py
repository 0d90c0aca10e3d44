#!/usr/bin/env python3
"""Writes the page of the lab's group call through a Janus SFU (stdlib only).

    sfu-page.py OUT.html JANUS_URL ROOM [videoroom|audiobridge]

Opened as file://OUT.html?me=a&n=3, the page joins the Janus VideoRoom ROOM
over Janus's HTTP API, publishes its microphone, then subscribes to the n-1
other participants' audio in one subscription ("a: subscriber connected").
With `audiobridge` it joins the AudioBridge ROOM instead, a mixer (MCU):
one connection carries its voice to Janus and the mix of the others' back
("a: mixer connected"). Status lines go to the browser's console: the
capture holds the call's traffic and nothing of the lab's own.
"""
import sys

OUT, JANUS, ROOM = sys.argv[1:4]
MODE = sys.argv[4] if len(sys.argv) > 4 else "videoroom"

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>callpath lab group call</title></head>
<body><script>
const q = new URLSearchParams(location.search);
const me = q.get('me'), n = Number(q.get('n')), J = '%(janus)s', room = %(room)s, MODE = '%(mode)s';
const log = (m) => console.log(me + ': ' + m);
const sleep = (ms) => new Promise(r => setTimeout(r, ms));
let session, events = [];
async function post(path, body) {
  body.transaction = Math.random().toString(36).slice(2);
  const r = await fetch(J + path, {method: 'POST', body: JSON.stringify(body)});
  return r.json();
}
async function poll() {
  for (;;) {
    try {
      const r = await fetch(J + '/' + session + '?maxev=10&rid=' + Date.now());
      const got = await r.json();
      (Array.isArray(got) ? got : [got]).forEach(e => { if (e.janus !== 'keepalive') events.push(e); });
    } catch (e) { await sleep(200); }
  }
}
async function next(pred) {
  for (;;) {
    const i = events.findIndex(pred);
    if (i >= 0) return events.splice(i, 1)[0];
    await sleep(100);
  }
}
function gathered(pc) {
  return new Promise(done => {
    if (pc.iceGatheringState === 'complete') return done();
    pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') done(); });
  });
}
async function mixer() {
  session = (await post('', {janus: 'create'})).data.id;
  poll();
  const h = (await post('/' + session, {janus: 'attach', plugin: 'janus.plugin.audiobridge'})).data.id;
  await post('/' + session + '/' + h, {janus: 'message', body: {request: 'join', room: room, display: me}});
  await next(e => e.sender === h && e.plugindata && e.plugindata.data.audiobridge === 'joined');
  const pc = new RTCPeerConnection({iceServers: [], bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require'});
  pc.ontrack = e => { const a = new Audio(); a.srcObject = new MediaStream([e.track]); a.play().catch(() => {}); };
  pc.onconnectionstatechange = () => log('mixer ' + pc.connectionState);
  const mic = await navigator.mediaDevices.getUserMedia({audio: true, video: false});
  mic.getTracks().forEach(t => pc.addTrack(t, mic));
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  await post('/' + session + '/' + h, {janus: 'message', body: {request: 'configure', muted: false}, jsep: pc.localDescription});
  const answer = await next(e => e.sender === h && e.jsep);
  await pc.setRemoteDescription(answer.jsep);
}
async function main() {
  if (MODE === 'audiobridge') return mixer();
  session = (await post('', {janus: 'create'})).data.id;
  poll();
  const pub = (await post('/' + session, {janus: 'attach', plugin: 'janus.plugin.videoroom'})).data.id;
  await post('/' + session + '/' + pub, {janus: 'message', body: {request: 'join', ptype: 'publisher', room: room, display: me}});
  const joined = await next(e => e.sender === pub && e.plugindata && e.plugindata.data.videoroom === 'joined');
  const myId = joined.plugindata.data.id;
  const cfg = {iceServers: [], bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require'};
  const pc = new RTCPeerConnection(cfg);
  pc.onconnectionstatechange = () => log('publisher ' + pc.connectionState);
  const mic = await navigator.mediaDevices.getUserMedia({audio: true, video: false});
  mic.getTracks().forEach(t => pc.addTrack(t, mic));
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  await post('/' + session + '/' + pub, {janus: 'message', body: {request: 'publish', audio: true, video: false}, jsep: pc.localDescription});
  const answer = await next(e => e.sender === pub && e.jsep);
  await pc.setRemoteDescription(answer.jsep);
  let feeds = [];
  for (;;) {
    const r = await post('/' + session + '/' + pub, {janus: 'message', body: {request: 'listparticipants', room: room}});
    feeds = r.plugindata.data.participants.filter(p => p.id !== myId && p.publisher).map(p => p.id);
    if (feeds.length >= n - 1) break;
    await sleep(300);
  }
  log('feeds ' + feeds.length);
  const sub = (await post('/' + session, {janus: 'attach', plugin: 'janus.plugin.videoroom'})).data.id;
  await post('/' + session + '/' + sub, {janus: 'message', body: {request: 'join', ptype: 'subscriber', room: room, streams: feeds.map(f => ({feed: f}))}});
  const offer = await next(e => e.sender === sub && e.jsep);
  const spc = new RTCPeerConnection(cfg);
  spc.ontrack = e => { const a = new Audio(); a.srcObject = new MediaStream([e.track]); a.play().catch(() => {}); };
  spc.onconnectionstatechange = () => log('subscriber ' + spc.connectionState);
  await spc.setRemoteDescription(offer.jsep);
  await spc.setLocalDescription(await spc.createAnswer());
  await gathered(spc);
  await post('/' + session + '/' + sub, {janus: 'message', body: {request: 'start', room: room}, jsep: spc.localDescription});
}
main().catch(e => log('error ' + e));
</script></body></html>
""" % {"janus": JANUS, "room": ROOM, "mode": MODE}


with open(OUT, "w") as f:
    f.write(PAGE)
