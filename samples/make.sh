#!/usr/bin/env bash
# Build callpath's own sample captures in a network-namespace lab.
#
#   sudo bash samples/make.sh [OUTDIR]        (OUTDIR defaults to samples/)
#
# Sets up two user hosts behind their own NAT routers, an "internet" bridge and
# a data-centre host running coturn (STUN/TURN) and kamailio (SIP registrar +
# proxy), plus a WebRTC page/signalling server (lab/webrtc-signal.py) and, for
# the group call, a Janus VideoRoom SFU (its page written by lab/sfu-page.py); runs
# real user agents (baresip for SIP, headless Chromium for WebRTC); captures
# on user A's LAN interface; writes <name>.pcap, <name>.truth.jsonl and
# <name>.meta.json per scenario, and cloud-range copies under rewritten/.
# Traffic stays inside namespaces this script creates (no other address is
# ever contacted). Idempotent: removes its own leftovers first and on exit.
#
# Environment knobs (optional):
#   CALL_SECONDS   media time per call (default 8)
#   SCENARIOS      space-separated subset of: direct-call relayed-call lookups-only
#                  webrtc-call webrtc-relayed-call webrtc-tls-relayed-call
#                  webrtc-dual-stack-call group-call sfu-call mcu-call (default: all ten)
#   NO_INSTALL=1   skip apt-get (fail if a tool is missing)
#   NO_REWRITE=1   skip the cloud-range rewritten copies
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${1:-$HERE}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
CALL_SECONDS=${CALL_SECONDS:-8}
SCENARIOS=${SCENARIOS:-"direct-call relayed-call lookups-only webrtc-call webrtc-relayed-call webrtc-tls-relayed-call webrtc-dual-stack-call group-call sfu-call mcu-call"}
PY=/usr/bin/python3

# ---------------------------------------------------------------- topology
P=cpl                       # prefix of every namespace / link this script makes
NS_INET=$P-inet NS_DC=$P-dc NS_RA=$P-ra NS_RB=$P-rb NS_A=$P-a NS_B=$P-b
ALL_NS="$NS_A $NS_B $NS_RA $NS_RB $NS_DC $NS_INET"
A_IP=192.168.1.10  A_GW=192.168.1.1
B_IP=192.168.2.10  B_GW=192.168.2.1
ISP_IP=198.51.100.1                 # the "internet" router (bridge address)
RA_WAN=198.51.100.11 RB_WAN=198.51.100.12
DC_GW=203.0.113.1
REG_IP=203.0.113.10                 # kamailio: SIP registrar / proxy
TURN_IP=203.0.113.20                # coturn: STUN / TURN
WEB_IP=203.0.113.30 WEB_PORT=8080   # WebRTC page + signalling server (webrtc scenarios)
SFU_IP=203.0.113.40 SFU_PORT=8088   # Janus VideoRoom SFU and its HTTP API (group call)
# The same Janus as an AudioBridge mixer (mcu-call), reached by name over
# HTTPS as deployments are (the browsers map the name; no DNS packet).
SFU_NAME=conference.example.net SFU_TLS_PORT=8089
DNS_IP=203.0.113.53                 # resolv.conf target inside the lab (nothing listens)
# IPv6 (webrtc-dual-stack-call only; LAB_V6=1): global addresses, routed
# without NAT, as most IPv6 networks are.
A_IP6=2001:db8:1::10 A_GW6=2001:db8:1::1 B_IP6=2001:db8:2::10 B_GW6=2001:db8:2::1
RA_WAN6=2001:db8:ff::11 RB_WAN6=2001:db8:ff::12 ISP_IP6=2001:db8:ff::1
LAB_V6=0
TURN_USER=callpath TURN_PASS=samplepass TURN_REALM=lab.callpath.test
TURN_MIN=49152 TURN_MAX=49200

WORK=""
log() { printf '[make.sh %s] %s\n' "$(date +%T)" "$*" >&2; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

kill_ns_procs() {
    local ns pid
    for ns in $ALL_NS; do
        ip netns list 2>/dev/null | grep -qw "^$ns" || continue
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    done
    sleep 0.5
    for ns in $ALL_NS; do
        ip netns list 2>/dev/null | grep -qw "^$ns" || continue
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    done
}

teardown() {
    kill_ns_procs
    local ns
    for ns in $ALL_NS; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf /etc/netns/$NS_A /etc/netns/$NS_B
    rmdir /etc/netns 2>/dev/null || true
}

cleanup() {
    local rc=$?
    teardown
    if [[ -n "$WORK" && -d "$WORK" ]]; then
        if [[ $rc -ne 0 ]]; then log "failed (rc=$rc); logs kept in $WORK"; else rm -rf "$WORK"; fi
    fi
    exit $rc
}

install_tools() {
    local need=()
    command -v ip >/dev/null || need+=(iproute2)
    command -v iptables >/dev/null || need+=(iptables)
    command -v tcpdump >/dev/null || need+=(tcpdump)
    command -v tshark >/dev/null || need+=(tshark)
    command -v turnserver >/dev/null || need+=(coturn)
    command -v kamailio >/dev/null || need+=(kamailio)
    command -v baresip >/dev/null || need+=(baresip-core)
    command -v sox >/dev/null || need+=(sox)
    [[ $SCENARIOS == *webrtc* || $SCENARIOS == *group* || $SCENARIOS == *sfu* || $SCENARIOS == *mcu* ]] &&
        ! command -v chromium >/dev/null && need+=(chromium)
    [[ $SCENARIOS == *group* || $SCENARIOS == *sfu* || $SCENARIOS == *mcu* ]] && ! command -v janus >/dev/null && need+=(janus)
    command -v ethtool >/dev/null || need+=(ethtool)
    command -v openssl >/dev/null || need+=(openssl)
    [[ -x $PY ]] || need+=(python3)
    ((${#need[@]})) || return 0
    [[ ${NO_INSTALL:-0} == 1 ]] && { log "missing: ${need[*]}"; exit 1; }
    log "installing: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

# veth pair between two namespaces: link NS1 IF1 NS2 IF2
link() {
    ip link add "$P-tmp1" type veth peer name "$P-tmp2"
    ip link set "$P-tmp1" netns "$1"; nsx "$1" ip link set "$P-tmp1" name "$2"
    ip link set "$P-tmp2" netns "$3"; nsx "$3" ip link set "$P-tmp2" name "$4"
    # no checksum offload, so captured packets carry real IP/UDP checksums
    nsx "$1" ethtool -K "$2" tx off rx off >/dev/null 2>&1 || true
    nsx "$3" ethtool -K "$4" tx off rx off >/dev/null 2>&1 || true
    nsx "$1" ip link set "$2" up; nsx "$3" ip link set "$4" up
}

# nat mode: "cone" = MASQUERADE + endpoint-independent filtering (DNAT of
# inbound UDP to the single host), "hostile" = MASQUERADE --random-fully.
setup_topology() {
    local nat=$1 ns
    teardown
    for ns in $ALL_NS; do
        ip netns add "$ns"
        nsx "$ns" ip link set lo up
        nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=$((1 - LAB_V6))
        nsx "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=$((1 - LAB_V6))
        nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0
        nsx "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0
    done
    # internet: a bridge joining both NAT routers' WAN sides and the DC host;
    # it also routes between 198.51.100.0/24 and 203.0.113.0/24.
    nsx $NS_INET ip link add br0 type bridge
    nsx $NS_INET ip link set br0 up
    nsx $NS_INET ip addr add $ISP_IP/24 dev br0
    nsx $NS_INET ip addr add $DC_GW/24 dev br0
    nsx $NS_INET sysctl -qw net.ipv4.ip_forward=1
    link $NS_RA wan0 $NS_INET pra; nsx $NS_INET ip link set pra master br0
    link $NS_RB wan0 $NS_INET prb; nsx $NS_INET ip link set prb master br0
    link $NS_DC eth0 $NS_INET pdc; nsx $NS_INET ip link set pdc master br0
    nsx $NS_DC ip addr add $REG_IP/24 dev eth0
    nsx $NS_DC ip addr add $TURN_IP/24 dev eth0
    nsx $NS_DC ip addr add $WEB_IP/24 dev eth0
    nsx $NS_DC ip addr add $SFU_IP/24 dev eth0
    nsx $NS_DC ip addr add $DNS_IP/24 dev eth0     # no DNS server runs there
    # name lookups inside the user namespaces go to a lab address, never to the
    # machine's own resolver (ip netns exec bind-mounts /etc/netns/NS/resolv.conf)
    for ns in $NS_A $NS_B; do
        mkdir -p /etc/netns/$ns
        echo "nameserver $DNS_IP" >/etc/netns/$ns/resolv.conf
    done
    nsx $NS_DC ip route add default via $DC_GW
    # sites
    link $NS_A eth0 $NS_RA lan0
    link $NS_B eth0 $NS_RB lan0
    nsx $NS_A ip addr add $A_IP/24 dev eth0; nsx $NS_A ip route add default via $A_GW
    nsx $NS_B ip addr add $B_IP/24 dev eth0; nsx $NS_B ip route add default via $B_GW
    nsx $NS_RA ip addr add $A_GW/24 dev lan0; nsx $NS_RA ip addr add $RA_WAN/24 dev wan0
    nsx $NS_RB ip addr add $B_GW/24 dev lan0; nsx $NS_RB ip addr add $RB_WAN/24 dev wan0
    if [[ $LAB_V6 == 1 ]]; then
        nsx $NS_A ip -6 addr add $A_IP6/64 dev eth0 nodad
        nsx $NS_B ip -6 addr add $B_IP6/64 dev eth0 nodad
        nsx $NS_RA ip -6 addr add $A_GW6/64 dev lan0 nodad
        nsx $NS_RB ip -6 addr add $B_GW6/64 dev lan0 nodad
        nsx $NS_RA ip -6 addr add $RA_WAN6/64 dev wan0 nodad
        nsx $NS_RB ip -6 addr add $RB_WAN6/64 dev wan0 nodad
        nsx $NS_INET ip -6 addr add $ISP_IP6/64 dev br0 nodad
        nsx $NS_A ip -6 route add default via $A_GW6
        nsx $NS_B ip -6 route add default via $B_GW6
        nsx $NS_RA ip -6 route add default via $ISP_IP6
        nsx $NS_RB ip -6 route add default via $ISP_IP6
        nsx $NS_INET ip -6 route add ${A_IP6%::*}::/64 via $RA_WAN6
        nsx $NS_INET ip -6 route add ${B_IP6%::*}::/64 via $RB_WAN6
        for r in $NS_RA $NS_RB $NS_INET; do nsx $r sysctl -qw net.ipv6.conf.all.forwarding=1; done
    fi
    local r host
    for r in $NS_RA $NS_RB; do
        [[ $r == "$NS_RA" ]] && host=$A_IP || host=$B_IP
        nsx "$r" ip route add default via $ISP_IP
        nsx "$r" sysctl -qw net.ipv4.ip_forward=1
        if [[ $nat == cone ]]; then
            nsx "$r" iptables -t nat -A POSTROUTING -o wan0 -j MASQUERADE
            nsx "$r" iptables -t nat -A PREROUTING -i wan0 -p udp --dport 1024:65535 \
                -j DNAT --to-destination "$host"
        else
            nsx "$r" iptables -t nat -A POSTROUTING -o wan0 -j MASQUERADE --random-fully
        fi
    done
}

start_servers() {
    local d=$WORK/dc
    mkdir -p "$d/kam"
    # TURN over TLS on 443 (webrtc-tls-relayed-call) with a throwaway
    # self-signed certificate; the browsers are told to accept it.
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj "/CN=$TURN_IP" -keyout "$d/turn.key" -out "$d/turn.crt" 2>/dev/null
    ip netns exec $NS_DC turnserver -n --listening-ip $TURN_IP --relay-ip $TURN_IP \
        --listening-port 3478 --min-port $TURN_MIN --max-port $TURN_MAX \
        --lt-cred-mech --user $TURN_USER:$TURN_PASS --realm $TURN_REALM \
        --fingerprint --tls-listening-port 443 --cert "$d/turn.crt" --pkey "$d/turn.key" \
        --no-dtls --no-cli --no-tcp-relay \
        --userdb "$d/turndb" --pidfile "$d/turn.pid" \
        --log-file stdout --simple-log >"$d/turn.log" 2>&1 &
    cat >"$d/kamailio.cfg" <<EOF
#!KAMAILIO
debug=2
log_stderror=yes
children=2
auto_aliases=no
listen=udp:$REG_IP:5060
alias="$REG_IP"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "nathelper.so"
modparam("usrloc", "db_mode", 0)
modparam("rr", "append_fromtag", 1)
modparam("nathelper", "received_avp", "\$avp(RECEIVED)")
modparam("registrar", "received_avp", "\$avp(RECEIVED)")
request_route {
    if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
    force_rport();
    xlog("L_INFO", "REQ \$rm \$ru from \$si:\$sp\n");
    if (is_method("REGISTER")) {
        fix_nated_register();
        if (!save("location")) sl_reply_error();
        exit;
    }
    if (is_method("INVITE|SUBSCRIBE|REFER")) fix_nated_contact();
    if (has_totag()) {
        if (loose_route()) { t_relay(); exit; }
        if (is_method("ACK")) { if (t_check_trans()) t_relay(); exit; }
        sl_send_reply("404", "Not here");
        exit;
    }
    if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }
    if (is_method("OPTIONS") && uri==myself && \$rU==\$null) { sl_send_reply("200", "OK"); exit; }
    if (uri!=myself) { sl_send_reply("403", "Not relaying"); exit; }
    record_route();
    if (!lookup("location")) { sl_send_reply("404", "Not Found"); exit; }
    t_on_reply("NATREPLY");
    t_relay();
}
onreply_route[NATREPLY] {
    if (is_method("INVITE") && status=~"(18[03])|(2[0-9][0-9])") fix_nated_contact();
}
EOF
    ip netns exec $NS_DC kamailio -f "$d/kamailio.cfg" -DD -E -m 32 -M 4 -Y "$d/kam" \
        -P "$d/kam/kamailio.pid" >"$d/kam.log" 2>&1 &
    local i
    for i in $(seq 50); do
        grep -q "REQ\|INFO: <core>\|main process" "$d/kam.log" 2>/dev/null && \
            nsx $NS_DC ss -lun | grep -q "$REG_IP:5060" && \
            nsx $NS_DC ss -lun | grep -q "$TURN_IP:3478" && return 0
        sleep 0.2
    done
    log "servers did not come up"; tail -5 "$d/kam.log" "$d/turn.log" >&2; return 1
}

# baresip config dir for user $1 (a|b), local ip $2, medianat server uri $3
ua_config() {
    local u=$1 ip=$2 stun=$3 d=$WORK/ua-$1
    rm -rf "$d"; mkdir -p "$d"
    cat >"$d/config" <<EOF
poll_method		epoll
sip_listen		$ip:5060
call_local_timeout	30
call_max_calls		1
audio_player		aubridge,nowhere
audio_source		aufile,$WORK/voice.wav
audio_alert		aubridge,nowhere
audio_level		no
audio_buffer		20-160
rtp_tos			184
rtp_ports		10000-10099
rtcp_mux		yes
jitter_buffer_delay	5-10
rtp_stats		no
module_path		/usr/lib/baresip/modules
module			g711.so
module			aufile.so
module			aubridge.so
module			stun.so
module			turn.so
module			ice.so
module_tmp		account.so
module_app		menu.so
EOF
    local extra=""
    [[ -n $stun ]] && extra=";medianat=ice;stunserver=$stun;stunuser=$TURN_USER;stunpass=$TURN_PASS"
    printf '<sip:%s@%s;transport=udp>;regint=300;answermode=auto;audio_codecs=pcmu;ptime=20%s\n' \
        "$u" "$REG_IP" "$extra" >"$d/accounts"
    : >"$d/contacts"
}

wait_for() {  # wait_for FILE REGEX SECONDS
    local i n=$(( $3 * 10 ))
    for ((i = 0; i < n; i++)); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    log "timeout waiting for /$2/ in $1"; tail -20 "$1" >&2; return 1
}

stop_pid() {  # stop_pid PID SECONDS: SIGTERM, then SIGKILL after SECONDS
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < $2 * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

CAP_PID=""
start_capture() {
    ip netns exec $NS_A tcpdump -i eth0 -s 0 -U -n -Z root -w "$WORK/$1.pcap" "ip or (ip6 and not icmp6)" >"$WORK/$1.tcpdump.log" 2>&1 &
    CAP_PID=$!
    wait_for "$WORK/$1.tcpdump.log" "listening on" 10
}
stop_capture() {
    sleep 1
    kill -INT "$CAP_PID" 2>/dev/null || true
    local i
    for ((i = 0; i < 50; i++)); do kill -0 "$CAP_PID" 2>/dev/null || break; sleep 0.1; done
    stop_pid "$CAP_PID" 1
    CAP_PID=""
}

# ---------------------------------------------------------------- scenarios
# One attempt at a call scenario; returns non-zero if the call did not carry
# media (baresip 1.0's ICE occasionally fails to converge; the caller retries).
call_once() {  # call_once NAME NATMODE STUNURI
    local name=$1 nat=$2 stun=$3
    setup_topology "$nat"
    start_servers
    ua_config a $A_IP "$stun"
    ua_config b $B_IP "$stun"
    start_capture "$name"
    ip netns exec $NS_B baresip -f "$WORK/ua-b" -t $((CALL_SECONDS + 60)) </dev/null >"$WORK/$name.b.log" 2>&1 &
    local bpid=$!
    wait_for "$WORK/$name.b.log" "200 OK" 10 || return 1
    ip netns exec $NS_A baresip -f "$WORK/ua-a" -e "/dial sip:b@$REG_IP" </dev/null >"$WORK/$name.a.log" 2>&1 &
    local apid=$!
    wait_for "$WORK/$name.a.log" "Call established" 20 || return 1
    wait_for "$WORK/$name.a.log" "incoming rtp for 'audio' established" 20 || return 1
    sleep "$CALL_SECONDS"
    stop_pid "$apid" 5      # SIGTERM: baresip hangs up (BYE) and unregisters
    sleep 0.5
    stop_pid "$bpid" 5
    stop_capture
    finish "$name" "$nat"
}

run_call() {  # run_call NAME NATMODE STUNURI EXPECTED_ROLE
    local name=$1 nat=$2 stun=$3 want=$4 try
    for try in 1 2 3 4; do
        log "scenario $name (attempt $try): NAT=$nat, ICE server $stun, ${CALL_SECONDS}s of media"
        if call_once "$name" "$nat" "$stun" &&
            grep -qE "\"$want\": [1-9]" "$OUT/$name.meta.json"; then
            rewrite_copy "$name"
            return 0
        fi
        log "scenario $name: no $want flow this time, retrying"
    done
    log "scenario $name: gave up after $try attempts"; return 1
}

# Headless Chromium as user U in namespace NS on page URL, its microphone
# playing the lab's voice file, its console in LOGFILE; its pid in BROWSER_PID.
start_browser() {  # start_browser NS U URL LOGFILE
    local ns=$1 u=$2 url=$3
    rm -rf "$WORK/chromium-$u"
    HOME=$WORK/chromium-$u ip netns exec "$ns" chromium --headless=new --no-sandbox \
        --user-data-dir="$WORK/chromium-$u" --no-first-run --no-default-browser-check \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-default-apps --disable-domain-reliability --disable-breakpad \
        --disable-client-side-phishing-detection --metrics-recording-only \
        --disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,WebRtcHideLocalIpsWithMdns,AutofillServerCommunication \
        --use-fake-ui-for-media-stream --use-fake-device-for-media-stream \
        --use-file-for-fake-audio-capture="$WORK/voice48k.wav" \
        --autoplay-policy=no-user-gesture-required --enable-logging=stderr \
        --ignore-certificate-errors \
        --host-resolver-rules="MAP $SFU_NAME $SFU_IP, MAP * ~NOTFOUND, EXCLUDE $WEB_IP, EXCLUDE $SFU_IP, EXCLUDE $TURN_IP" \
        --unsafely-treat-insecure-origin-as-secure="http://$WEB_IP:$WEB_PORT" \
        "$url" >"$4" 2>&1 &
    BROWSER_PID=$!
}

# WebRTC between two headless Chromium peers (DTLS-SRTP over ICE, Opus from a
# file), signalled over HTTP by lab/webrtc-signal.py on the data-centre host.
# ICE_SERVER is the peers' TURN server URL; DROP_UDP=1 makes A's router drop
# all UDP from A's network (a firewall that only lets TCP out).
webrtc_once() {  # webrtc_once NAME NATMODE POLICY(all|relay) ICE_SERVER DROP_UDP
    local name=$1 nat=$2 policy=$3 ice=$4 drop=$5 u
    setup_topology "$nat"
    [[ $drop == 1 ]] && nsx $NS_RA iptables -A FORWARD -i lan0 -p udp -j DROP
    start_servers
    ip netns exec $NS_DC $PY "$HERE/lab/webrtc-signal.py" $WEB_IP $WEB_PORT \
        "$ice" $TURN_USER $TURN_PASS >"$WORK/$name.signal.log" 2>&1 &
    sleep 0.5
    start_capture "$name"
    local pids=()
    for u in b a; do
        local peer=a caller=0
        [[ $u == a ]] && { peer=b; caller=1; }
        start_browser $P-$u $u "http://$WEB_IP:$WEB_PORT/?me=$u&peer=$peer&caller=$caller&policy=$policy" \
            "$WORK/$name.chromium-$u.log"
        pids+=("$BROWSER_PID")
        sleep 1
    done
    wait_for "$WORK/$name.signal.log" "^a: state connected" 40 || return 1
    sleep "$CALL_SECONDS"
    stop_pid "${pids[1]}" 5     # caller's browser closes first
    sleep 0.5
    stop_pid "${pids[0]}" 5
    stop_capture
    finish "$name" "$nat"
}

run_webrtc() {  # run_webrtc NAME NATMODE POLICY EXPECTED_ROLE [ICE_SERVER [DROP_UDP]]
    local name=$1 nat=$2 policy=$3 want=$4 try
    local ice=${5:-"turn:$TURN_IP:3478?transport=udp"} drop=${6:-0}
    for try in 1 2 3; do
        log "scenario $name (attempt $try): NAT=$nat, Chromium iceTransportPolicy=$policy, ICE server $ice, UDP dropped=$drop, ${CALL_SECONDS}s of media"
        if webrtc_once "$name" "$nat" "$policy" "$ice" "$drop" &&
            grep -qE "\"$want\": [1-9]" "$OUT/$name.meta.json"; then
            rewrite_copy "$name"
            return 0
        fi
        log "scenario $name: no $want flow this time, retrying"
    done
    log "scenario $name: gave up after $try attempts"; return 1
}

# A call through a conference server: headless Chromium users (A, and B,
# and C for three, behind B's NAT) join a Janus VideoRoom on the
# data-centre host; each publishes its voice on one connection and
# receives the others' voices, forwarded by Janus, on a second one
# (lab/sfu-page.py). With MODE audiobridge, they join an AudioBridge room
# instead, reached as https://$SFU_NAME: one connection each carries the
# user's voice to Janus and the mix of the others' voices back (an MCU).
group_once() {  # group_once NAME USERS(2|3) [MODE]
    local name=$1 n=$2 mode=${3:-videoroom} u
    setup_topology cone
    rm -rf "$WORK/janus"
    cp -r /etc/janus "$WORK/janus"
    sed -i -e 's|#rtp_port_range = "20000-40000"|rtp_port_range = "20000-20100"|' \
        -e "s|#ice_enforce_list = \"eth0\"|ice_enforce_list = \"$SFU_IP\"|" "$WORK/janus/janus.jcfg"
    local url=http://$SFU_IP:$SFU_PORT/janus port=$SFU_PORT connected="subscriber connected"
    if [[ $mode == audiobridge ]]; then
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
            -subj "/CN=$SFU_NAME" -keyout "$WORK/janus/sfu.key" -out "$WORK/janus/sfu.crt" 2>/dev/null
        sed -i -e 's|^\(\s*\)http = true|\1http = false|' -e 's|https = false|https = true|' \
            -e "s|#secure_port = 8089|secure_port = $SFU_TLS_PORT|" \
            -e "s|cert_pem = .*|cert_pem = \"$WORK/janus/sfu.crt\"|" \
            -e "s|cert_key = .*|cert_key = \"$WORK/janus/sfu.key\"|" "$WORK/janus/janus.transport.http.jcfg"
        url=https://$SFU_NAME:$SFU_TLS_PORT/janus port=$SFU_TLS_PORT connected="mixer connected"
    fi
    ip netns exec $NS_DC janus -F "$WORK/janus" -C "$WORK/janus/janus.jcfg" >"$WORK/$name.janus.log" 2>&1 &
    $PY "$HERE/lab/sfu-page.py" "$WORK/group.html" "$url" 1234 "$mode"
    local i
    for i in $(seq 50); do
        nsx $NS_DC ss -ltn | grep -q ":$port " && break
        sleep 0.2
    done
    start_capture "$name"
    local pids=()
    for u in $(echo a b c | cut -d' ' -f1-"$n"); do
        local ns=$NS_B
        [[ $u == a ]] && ns=$NS_A
        start_browser "$ns" $u "file://$WORK/group.html?me=$u&n=$n" "$WORK/$name.chromium-$u.log"
        pids+=("$BROWSER_PID")
        sleep 1
    done
    wait_for "$WORK/$name.chromium-a.log" "a: $connected" 40 || return 1
    sleep "$CALL_SECONDS"
    for i in "${!pids[@]}"; do stop_pid "${pids[$i]}" 5; done
    stop_capture
    finish "$name" cone
}

run_group() {  # run_group NAME USERS [MODE]
    local name=$1 n=$2 mode=${3:-videoroom} try legs='[2-9]'
    [[ $mode == audiobridge ]] && legs='[1-9]'
    for try in 1 2 3; do
        log "scenario $name (attempt $try): $n Chromium users in a Janus $mode room, ${CALL_SECONDS}s of media"
        if group_once "$name" "$n" "$mode" && grep -qE "\"relay_media\": $legs" "$OUT/$name.meta.json"; then
            # No cloud-range copy of the mixer: in Microsoft's Teams media
            # range its address alone makes it a Teams relay, rightly, and
            # the sample is about a server no list names.
            [[ $mode == audiobridge ]] || rewrite_copy "$name"
            return 0
        fi
        log "scenario $name: not both media legs this time, retrying"
    done
    log "scenario $name: gave up after $try attempts"; return 1
}

run_lookups() {
    local name=lookups-only
    log "scenario $name: registration, STUN binding discovery, call attempt to an offline user"
    setup_topology cone
    start_servers
    start_capture "$name"
    # User c never registers: the registrar answers each INVITE with 404, so the
    # capture holds REGISTER, ICE candidate gathering, INVITE/404/ACK and the
    # de-registration when baresip quits -- twice: first with a STUN server
    # (Binding discovery), then with a TURN server (an allocation that never
    # carries media, released with Refresh lifetime 0).
    local round stun apid
    for round in 1 2; do
        [[ $round == 1 ]] && stun="stun:$TURN_IP:3478" || stun="turn:$TURN_IP:3478"
        ua_config a $A_IP "$stun"
        ip netns exec $NS_A baresip -f "$WORK/ua-a" -e "/dial sip:c@$REG_IP" </dev/null \
            >"$WORK/$name.a$round.log" 2>&1 &
        apid=$!
        wait_for "$WORK/$name.a$round.log" "200 OK" 10
        wait_for "$WORK/$name.a$round.log" "404|Not Found" 15
        sleep 2
        stop_pid "$apid" 5      # SIGTERM: unregisters (REGISTER Expires: 0)
        sleep 1
    done
    stop_capture
    finish "$name" cone
    rewrite_copy "$name"
}

finish() {
    local name=$1 nat=$2
    cp "$WORK/$name.pcap" "$OUT/$name.pcap"
    local ice_a ice_b
    ice_a=$(grep -ao "mnat 'ice' connected: raddr [0-9.:]*" "$WORK/$name.a.log" 2>/dev/null | tail -1 | awk '{print $NF}') || true
    ice_b=$(grep -ao "mnat 'ice' connected: raddr [0-9.:]*" "$WORK/$name.b.log" 2>/dev/null | tail -1 | awk '{print $NF}') || true
    if [[ -f $WORK/$name.signal.log ]]; then   # Chromium: "a: pair srflx IP:PORT -> srflx IP:PORT"
        ice_a=$(grep -a '^a: pair ' "$WORK/$name.signal.log" | tail -1 | sed 's/^a: pair //') || true
        ice_b=$(grep -a '^b: pair ' "$WORK/$name.signal.log" | tail -1 | sed 's/^b: pair //') || true
    fi
    ICE_A=$ice_a ICE_B=$ice_b $PY - "$OUT" "$name" "$nat" <<'PYEOF'
import json, subprocess, sys, struct, ipaddress, collections, os

out, name, nat = sys.argv[1:4]
pcap = f"{out}/{name}.pcap"
A_IP, B_IP = "192.168.1.10", "192.168.2.10"
A_IP6, B_IP6 = "2001:db8:1::10", "2001:db8:2::10"   # webrtc-dual-stack-call only
RA_WAN, RB_WAN, ISP = "198.51.100.11", "198.51.100.12", "198.51.100.1"
REG, TURN, WEB, DNS = "203.0.113.10", "203.0.113.20", "203.0.113.30", "203.0.113.53"
SFU = "203.0.113.40"
GROUP = name.startswith(("group", "sfu", "mcu"))
MIXER = name.startswith("mcu")
APP = "webrtc_generic" if name.startswith("webrtc") or GROUP else "sip_rtp"

def tshark(*args):
    return subprocess.run(["tshark", "-r", pcap, *args], check=True,
                          capture_output=True, text=True).stdout

# enumerate conversations exactly as tshark does (-z conv,udp / conv,tcp / conv,ip)
def bracketed(ep):
    """tshark's "2001:db8::1:5000" as "[2001:db8::1]:5000"; IPv4 as it is."""
    addr, _, port = ep.rpartition(":")
    return f"[{addr}]:{port}" if ":" in addr else ep

def convs(kind):
    res = []
    for line in tshark("-q", "-z", f"conv,{kind}").splitlines():
        if "<->" not in line:
            continue
        parts = line.split()
        res.append((bracketed(parts[0]), bracketed(parts[2])))
    return res

rows = tshark("-T", "fields", "-E", "separator=|", "-E", "occurrence=f", "-e", "ip.proto", "-e", "ip.src",
              "-e", "ip.dst", "-e", "udp.srcport", "-e", "udp.dstport", "-e", "tcp.srcport",
              "-e", "tcp.dstport", "-e", "udp.payload", "-e", "icmp.type", "-e", "icmp.code",
              "-e", "tcp.len", "-e", "ipv6.nxt", "-e", "ipv6.src", "-e", "ipv6.dst",
              "-o", "ip.check_checksum:FALSE").splitlines()

def stun_attrs(b):
    """yield (type, value) of a STUN message b (header already checked)."""
    ln = struct.unpack("!H", b[2:4])[0]
    i, end = 20, min(len(b), 20 + ln)
    while i + 4 <= end:
        t, l = struct.unpack("!HH", b[i:i + 4])
        yield t, b[i + 4:i + 4 + l]
        i += 4 + l + (-l % 4)

def xor_addr(v, b):
    port = struct.unpack("!H", v[2:4])[0] ^ 0x2112
    ip = bytes(x ^ y for x, y in zip(v[4:8], b"\x21\x12\xa4\x42"))
    return f"{ipaddress.IPv4Address(ip)}:{port}"

STUN_METHODS = {0x001: "Binding", 0x003: "Allocate", 0x004: "Refresh", 0x006: "Send",
                0x007: "Data", 0x008: "CreatePermission", 0x009: "ChannelBind"}
STUN_CLASS = {0: "request", 1: "indication", 2: "success", 3: "error"}

def is_rtp(p):
    """RTP version 2 header; RTCP (packet types 192-223, RFC 5761) excluded."""
    return len(p) >= 12 and p[0] >> 6 == 2 and not (192 <= p[1] <= 223)

def inner(p, st, out):
    """return the payload that may be RTP: plain, TURN ChannelData or Send/Data indication."""
    if len(p) >= 4 and 0x40 <= p[0] <= 0x7F:          # ChannelData
        st["channeldata"] += 1
        return p[4:4 + struct.unpack("!H", p[2:4])[0]]
    if len(p) >= 20 and p[0] < 2 and p[4:8] == b"\x21\x12\xa4\x42":
        typ = struct.unpack("!H", p[0:2])[0]
        method = (typ & 0x000F) | ((typ & 0x00E0) >> 1) | ((typ & 0x3E00) >> 2)
        cls = ((typ >> 4) & 1) | ((typ >> 7) & 2)
        st["stun"][f"{STUN_METHODS.get(method, hex(method))} {STUN_CLASS[cls]}"] += 1
        st["stun_out" if out else "stun_in"] += 1
        data = None
        for t, v in stun_attrs(p):
            if t == 0x0016 and cls == 2:
                st["relayed"].add(xor_addr(v, p))
            elif t == 0x0020 and cls == 2:
                st["mapped"].add(xor_addr(v, p))
            elif t == 0x0013:
                data = v
            elif t == 0x8029 or t == 0x802A:
                st["ice"] = True
            elif t == 0x0024:
                st["ice"] = True
        return data
    return p

flows = {}
def flow(l4, s, d):
    key = (l4, *sorted([s, d]))
    if key not in flows:
        flows[key] = dict(l4=l4, a=key[1], b=key[2], pkts=0, rtp=0, rtcp=0, sip=collections.Counter(),
                          stun=collections.Counter(), relayed=set(), mapped=set(), ice=False,
                          channeldata=0, dns=0, icmp=set(), pt=set(), srcs=set(),
                          stun_out=0, stun_in=0, rtp_out=0, rtp_in=0, dtls=0, tcp_payload=0,
                          ssrc_in=set())
    return flows[key]

for r in rows:
    (proto, src, dst, usp, udp_, tsp, tdp, pay, ityp, icode, tlen,
     nxt6, src6, dst6) = (r.split("|") + [""] * 14)[:14]
    if not proto and nxt6:   # IPv6: endpoints written [addr]:port
        proto, src, dst = nxt6, f"[{src6}]", f"[{dst6}]"
    if proto == "17":
        s, d = f"{src}:{usp}", f"{dst}:{udp_}"
        st = flow("udp", s, d)
        st["pkts"] += 1
        st["srcs"].add(src)
        p = bytes.fromhex(pay) if pay else b""
        if "53" in (usp, udp_):
            st["dns"] += 1
            continue
        if p[:3] in (b"SIP",) or p.split(b" ", 1)[0] in (b"REGISTER", b"INVITE", b"ACK", b"BYE",
                                                         b"CANCEL", b"OPTIONS", b"SUBSCRIBE", b"NOTIFY"):
            first = p.split(b"\r\n", 1)[0].decode(errors="replace")
            st["sip"][first.split(" ", 1)[1] if first.startswith("SIP/") else first.split(" ")[0]] += 1
            continue
        out_dir = src in (A_IP, f"[{A_IP6}]")
        x = inner(p, st, out_dir)
        if x and 20 <= x[0] <= 63 and len(x) >= 13 and x[1] == 0xFE:
            st["dtls"] += 1
            continue
        if x and is_rtp(x):
            st["rtp"] += 1
            st["rtp_out" if out_dir else "rtp_in"] += 1
            st["pt"].add(x[1] & 0x7F)
            if not out_dir:
                st["ssrc_in"].add(x[8:12].hex())
        elif x and len(x) >= 8 and x[0] >> 6 == 2 and 192 <= x[1] <= 223:
            st["rtcp"] += 1
    elif proto == "6":
        st = flow("tcp", f"{src}:{tsp}", f"{dst}:{tdp}")
        st["pkts"] += 1
        st["tcp_payload"] += int(tlen or 0) > 0
    elif proto == "1":
        st = flow("icmp", f"{src}:0", f"{dst}:0")
        st["pkts"] += 1
        st["srcs"].add(src)
        st["icmp"].add({"3": "destination unreachable"}.get(ityp, f"type {ityp}") + f" (type {ityp} code {icode}) from {src}")

# what each ICMP error quotes (inner IP/UDP header), for the "why" text
ICMP_CTX = collections.defaultdict(set)
for r in tshark("-Y", "icmp", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=;",
                "-e", "ip.src", "-e", "ip.dst", "-e", "udp.srcport", "-e", "udp.dstport").splitlines():
    srcs_, dsts_, sps, dps = (r.split("\t") + [""] * 4)[:4]
    srcs_, dsts_ = srcs_.split(";"), dsts_.split(";")
    if len(srcs_) < 2:
        continue
    osrc, odst, isrc, idst = srcs_[0], dsts_[0], srcs_[1], dsts_[1]
    dport = dps.split(";")[0] if dps else ""
    sport = sps.split(";")[0] if sps else ""
    key = ("icmp", *sorted([f"{osrc}:0", f"{odst}:0"]))
    if dport == "53":
        ctx = f"a DNS query from A to {idst}:53 (no DNS server there)"
    elif osrc == A_IP:
        ctx = f"a UDP packet from {isrc}:{sport} that reached A's closed port {dport} (late media or ICE after its app had quit)"
    elif osrc == RB_WAN:
        ctx = f"A's UDP packet to {idst}:{dport}, for which user B's port-randomising NAT holds no mapping"
    elif idst.startswith("192.168.2."):
        ctx = f"A's ICE check to user B's private candidate {idst}:{dport}, unroutable on the internet"
    else:
        ctx = f"A's UDP packet to {idst}:{dport}"
    ICMP_CTX[key].add(ctx)

# cross-check: every tshark conversation is in our flow table and vice versa
seen = set()
for kind in ("udp", "tcp"):
    for a, b in convs(kind):
        seen.add((kind, *sorted([a, b])))
for a, b in convs("ip"):
    if any(k[0] == "icmp" and {k[1], k[2]} == {a + ":0", b + ":0"} for k in flows):
        seen.add(("icmp", *sorted([a + ":0", b + ":0"])))
mine = set(flows)
if seen != mine:
    sys.exit(f"flow table mismatch with tshark: only tshark {seen - mine}, only mine {mine - seen}")

def host(ep):
    return ep.rsplit(":", 1)[0].strip("[]")

def port(ep):
    return int(ep.rsplit(":", 1)[1])

def desc_stun(st):
    d = ", ".join(f"{n}x {m}" for m, n in sorted(st["stun"].items()))
    if st["stun"]:
        d += f" ({st['stun_out']} from A, {st['stun_in']} to A)"
    if st["rtcp"]:
        d += f"{'; ' if d else ''}{st['rtcp']}x RTCP"
    if st["dtls"]:
        d += f"{'; ' if d else ''}{st['dtls']}x DTLS"
    if 0 < st["rtp"] < MEDIA_MIN:
        d += f"{'; ' if d else ''}only {st['rtp']}x RTP"
    return d

MEDIA_MIN = 10   # RTP packets needed to call a flow media
truth = []
for key in sorted(flows):
    st = flows[key]
    a, b = st["a"], st["b"]
    far = b if host(a) in (A_IP, A_IP6) else a
    fh, fp = host(far), port(far)
    rec = dict(l4=st["l4"], a=a, b=b)
    kind = "SRTP (DTLS-SRTP, Opus)" if APP == "webrtc_generic" else "RTP (PCMU, 20 ms)"
    rtp_txt = (f"{st['rtp']} {kind} packets PT {','.join(map(str, sorted(st['pt'])))}, "
               f"{st['rtp_out']} from A and {st['rtp_in']} to A")
    if st["l4"] == "icmp":
        ctx = sorted(ICMP_CTX.get(key, {"ICMP error"}))
        rec.update(app="none", role="none",
                   why=f"{st['pkts']}x ICMP {'; '.join(sorted(st['icmp']))}, quoting {'; '.join(ctx)}; "
                       f"ICMP error, not app traffic")
    elif st["l4"] == "udp" and st["dns"]:
        rec.update(app="none", role="none",
                   why=f"DNS query ({st['pkts']} packets) to the lab resolver address {DNS}, where no server listens; not call traffic")
    elif fh == SFU and st["l4"] == "tcp" and MIXER:
        rec.update(app=APP, role="lookup",
                   why=f"HTTPS to the Janus API at conference.example.net ({SFU}:{fp}, server name in the "
                       f"TLS ClientHello): joining the AudioBridge room and its SDP offer/answer, "
                       f"{st['pkts']} packets")
    elif fh == SFU and st["l4"] == "udp" and MIXER and st["rtp"] >= MEDIA_MIN:
        rec.update(app=APP, role="relay_media",
                   why=f"{rtp_txt}: A's voice to the Janus AudioBridge mixer {far} and the mix of the "
                       f"others' voices back ({len(st['ssrc_in'])} SSRC(s)) on one connection, as a "
                       f"peer's would be; ICE: {desc_stun(st)}")
    elif fh == SFU and st["l4"] == "tcp":
        rec.update(app=APP, role="lookup",
                   why=f"HTTP to the Janus SFU's API {SFU}:{fp}: joining the room, publishing, subscribing "
                       f"(SDP offer/answer) and long-polling its events, {st['pkts']} packets")
    elif fh == SFU and st["l4"] == "udp":
        if st["rtp"] >= MEDIA_MIN and st["rtp_out"] > st["rtp_in"]:
            rec.update(app=APP, role="relay_media",
                       why=f"{rtp_txt}: A's own voice, published to the room on the Janus VideoRoom SFU "
                           f"{far}, which forwards it to the others; ICE: {desc_stun(st)}")
        elif st["rtp"] >= MEDIA_MIN:
            rec.update(app=APP, role="relay_media",
                       why=f"{rtp_txt}: the other participants' voices ({len(st['ssrc_in'])} SSRC(s)), "
                           f"forwarded to A by the Janus VideoRoom SFU {far}; ICE: {desc_stun(st)}")
        else:
            rec.update(app=APP, role="lookup",
                       why=f"ICE connectivity checks with the Janus SFU {far}, no media; {desc_stun(st)}")
    elif st["l4"] == "tcp" and fh == TURN:
        # TURN inside TLS: the records are opaque, so the truth comes from
        # the lab: A's router drops UDP, so A's media can only reach B
        # through this connection, and Chromium reports a relay pair.
        pair = os.environ.get("ICE_A") or ""
        if st["tcp_payload"] >= 100 and pair.startswith("relay "):
            rec.update(app=APP, role="relay_media",
                       why=f"TURN over TLS to coturn {TURN}:{fp} ({st['tcp_payload']} segments with data, "
                           f"{st['pkts']} packets): A's router drops UDP, so the call's media "
                           f"(Chromium's selected pair: {pair}) goes through A's relay candidate on coturn, "
                           f"reached over this connection")
        else:
            rec.update(app=APP, role="lookup",
                       why=f"TLS to coturn {TURN}:{fp} that carried no call media ({st['pkts']} packets)")
    elif st["l4"] == "tcp" and fh == WEB:
        rec.update(app=APP, role="lookup",
                   why=f"HTTP to the web app server {WEB}:{fp}: the call page and WebRTC signalling "
                       f"(SDP offer/answer and ICE candidates relayed by long polling), {st['pkts']} packets")
    elif st["l4"] == "udp" and st["sip"]:
        msgs = ", ".join(f"{n}x {m}" for m, n in sorted(st["sip"].items()))
        if fh == REG:
            rec.update(app=APP, role="lookup", why=f"SIP signalling with the registrar/proxy {REG} (kamailio): {msgs}")
        else:
            rec.update(app=APP, role="lookup", why=f"SIP signalling: {msgs}")
    elif st["l4"] == "udp" and fh == TURN and fp == 3478:
        what = desc_stun(st)
        relayed = ", ".join(sorted(st["relayed"]))
        if st["rtp"] >= MEDIA_MIN:
            how = f"{st['channeldata']} TURN ChannelData" if st["channeldata"] else "TURN Send/Data indications"
            rec.update(app=APP, role="relay_media",
                       why=f"{rtp_txt} carried in {how} through coturn {TURN}:3478, relayed address {relayed} "
                           f"(XOR-RELAYED-ADDRESS in Allocate success); STUN/TURN: {what}")
        elif st["relayed"]:
            rec.update(app=APP, role="lookup",
                       why=f"TURN allocation at coturn {TURN}:3478 (relayed {relayed}) that carried no media; {what}")
        else:
            rec.update(app=APP, role="lookup",
                       why=f"STUN binding discovery at coturn {TURN}:3478"
                           + (f", XOR-MAPPED-ADDRESS {', '.join(sorted(st['mapped']))}" if st["mapped"] else "")
                           + f"; {what}")
    elif st["l4"] == "udp" and fh == TURN:
        if st["rtp"] >= MEDIA_MIN:
            rec.update(app=APP, role="relay_media",
                       why=f"{rtp_txt} straight to the far peer's TURN relay address {far} on coturn {TURN} "
                           f"(no TURN framing on this side); ICE: {desc_stun(st)}")
        else:
            rec.update(app=APP, role="lookup",
                       why=f"ICE connectivity checks to the far peer's TURN relay candidate {far}, no media; {desc_stun(st)}")
    elif st["l4"] == "udp" and fh in (RB_WAN, B_IP, B_IP6):
        where = {RB_WAN: f"far NAT {RB_WAN} (user B's router)",
                 B_IP: f"user B's private host candidate {B_IP} (unroutable)",
                 B_IP6: f"user B's global IPv6 host candidate {B_IP6} (routed, no NAT)"}[fh]
        if st["rtp"] >= MEDIA_MIN:
            rec.update(app=APP, role="p2p_media",
                       why=f"{rtp_txt}, directly with {where}, after ICE checks; STUN: {desc_stun(st)}")
        else:
            rec.update(app=APP, role="lookup",
                       why=f"ICE connectivity checks only towards {where}, no media; {desc_stun(st) or 'no answer'}")
    else:
        rec.update(app="none", role="none", why=f"{st['pkts']} packets not part of the call lab's protocols")
    rec["why"] = rec["why"].rstrip("; ")
    truth.append(rec)

with open(f"{out}/{name}.truth.jsonl", "w") as f:
    for rec in truth:
        f.write(json.dumps(rec) + "\n")

SCENARIO = {
    "direct-call": "A calls B through the registrar; both NATs allow hole punching; ICE (STUN server "
                   "only) selects a host/srflx pair and the RTP flows peer to peer between the NATs",
    "relayed-call": "A calls B through the registrar; both NATs randomise ports (--random-fully) so "
                    "hole punching fails; ICE falls back to the TURN relay on coturn",
    "webrtc-call": "two headless Chromium peers (A calls B) on a page from the web app server "
                   "203.0.113.30:8080, signalled over HTTP; Opus from a file over DTLS-SRTP; ICE with "
                   "coturn as STUN/TURN server, policy all; cone NATs, so a direct pair is expected",
    "webrtc-relayed-call": "as webrtc-call but both peers use iceTransportPolicy relay: all media goes "
                           "through TURN allocations on coturn (relay forced by the application)",
    "webrtc-tls-relayed-call": "as webrtc-call, but A's router drops all UDP (a firewall that lets only "
                               "TCP out) and the peers' only ICE server is TURN over TLS on coturn "
                               "203.0.113.20:443 (turns:, self-signed certificate, no server name): A's "
                               "UDP connectivity checks go unanswered and the call's media runs through "
                               "TURN inside TLS, opaque on the wire",
    "webrtc-dual-stack-call": "as webrtc-call, but both sites also have global IPv6 addresses "
                              "(2001:db8:1::10 and 2001:db8:2::10, routed without NAT, as most IPv6 "
                              "networks are): ICE checks over IPv4 (from the private address behind "
                              "the NAT) and over IPv6 with one ufrag, and the media goes directly "
                              "over IPv6, where address scope no longer says which end is A; the "
                              "capture leaves out ICMPv6 (neighbour discovery)",
    "group-call": "three headless Chromium users, A and (behind B's router) B and C, join a Janus "
                  "VideoRoom on the SFU 203.0.113.40 through its HTTP API (the page is a local file); "
                  "each publishes its voice (Opus over DTLS-SRTP) on one connection and receives the "
                  "other two voices, forwarded by Janus, on a second one; Janus runs full ICE, so it "
                  "checks back like a peer would; cone NATs",
    "sfu-call": "a two-party call through a conference server: two headless Chromium users, A and "
                "(behind B's router) B, join a Janus VideoRoom on the SFU 203.0.113.40 as in group-call; "
                "A publishes its voice on one connection and receives B's one voice, forwarded by "
                "Janus, on a second one; no vendor list or data-centre network names the server, "
                "and it forwards one voice only; cone NATs",
    "mcu-call": "a two-party call through an audio mixer (MCU): two headless Chromium users, A and "
                "(behind B's router) B, join a Janus AudioBridge room on 203.0.113.40, reached by name "
                "as https://conference.example.net:8089 (the browsers map the name, so no DNS packet; "
                "the name is in the TLS ClientHello); each sends its voice and receives the mix of the "
                "others' on one connection, checked by full ICE from both ends: a single symmetric "
                "stream that looks like a peer's; no vendor list or data-centre network names the "
                "server; cone NATs",
    "lookups-only": "A registers, gathers ICE candidates (first with a STUN server: Binding; then "
                    "with a TURN server: Allocate, released unused) and calls an offline user c, "
                    "which the registrar rejects with 404; no call is set up and no media flows",
}
meta = {
    "capture": f"{name}.pcap",
    "scenario": SCENARIO.get(name, name),
    "user_agents": ("headless Chromium (Opus, DTLS-SRTP, max-bundle, rtcp-mux), lab/sfu-page.py, Janus 1.1 "
                    + ("AudioBridge over HTTPS" if MIXER else "VideoRoom")
                    if GROUP else
                    "headless Chromium (Opus, DTLS-SRTP, max-bundle, rtcp-mux), lab/webrtc-signal.py, coturn 4.6"
                    if APP == "webrtc_generic" else
                    "baresip 1.0 (PCMU, rtcp-mux, ICE module), kamailio 5.6 registrar/proxy, coturn 4.6"),
    "ice_selected_remote": {"a": os.environ.get("ICE_A") or None, "b": os.environ.get("ICE_B") or None},
    "vantage": f"user A's LAN interface (tcpdump -s 0 inside namespace cpl-a on eth0, host {A_IP})",
    "nat": {"cone": "both routers: MASQUERADE plus DNAT of inbound UDP 1024-65535 to the site's host "
                    "(endpoint-independent mapping and filtering: hole punching works)",
            "hostile": "both routers: MASQUERADE --random-fully (port-randomising, hole punching fails)"}[nat],
    "addresses": {
        A_IP: "user A host (LAN, capture point)", "192.168.1.1": "NAT router A (LAN side)",
        B_IP: "user B host (LAN)", "192.168.2.1": "NAT router B (LAN side)",
        RA_WAN: "NAT router A WAN address (user A's public address)",
        RB_WAN: "NAT router B WAN address (user B's public address, the far NAT)",
        ISP: "internet router (bridge in namespace cpl-inet)",
        "203.0.113.1": "internet router, data-centre side",
        REG: "data centre: SIP registrar/proxy (kamailio, UDP 5060)",
        TURN: "data centre: STUN/TURN server (coturn, UDP 3478, relay ports 49152-49200)",
        WEB: "data centre: web app + WebRTC signalling server (HTTP 8080, webrtc scenarios only)",
        SFU: "data centre: Janus VideoRoom SFU (HTTP API 8088, media ports 20000-20100, group and sfu calls); "
             "as conference.example.net, Janus AudioBridge mixer (HTTPS API 8089, mcu call)",
        DNS: "lab resolver address in the users' resolv.conf, on the data-centre host, no DNS server: queries get ICMP port unreachable",
    },
    "roles": {"turn_server": [TURN], "registrar": [REG], "signalling_server": [WEB], "sfu": [SFU], "nat_wan": {"a": RA_WAN, "b": RB_WAN},
              "user_lan": {"a": A_IP, "b": B_IP}, "internet_router": [ISP, "203.0.113.1"]},
    "flows": {r: sum(1 for t in truth if t["role"] == r) for r in ("p2p_media", "relay_media", "lookup", "none")},
}
with open(f"{out}/{name}.meta.json", "w") as f:
    json.dump(meta, f, indent=2)
    f.write("\n")
print(f"{name}: {len(truth)} flows: " + ", ".join(f"{k}={v}" for k, v in meta["flows"].items()))
PYEOF
}

# A copy whose data-centre addresses (203.0.113.0/24) are moved into a real
# cloud provider's published range: Microsoft's Teams/Skype media range
# 52.112.0.0/14, as 52.114.77.0/24 (registrar .10, TURN .20), in IP headers
# and inside payloads (STUN address attributes, SIP/SDP/HTTP text, ICMP
# quotes; checksums and STUN FINGERPRINT recomputed): lab/rewrite-range.py.
CLOUD_NET=52.114.77.0/24 CLOUD_PREFIX=52.114.77.
rewrite_copy() {
    local name=$1 dir=$OUT/rewritten
    [[ ${NO_REWRITE:-0} == 1 ]] && return 0
    mkdir -p "$dir"
    $PY "$HERE/lab/rewrite-range.py" "$OUT/$name.pcap" "$dir/$name.pcap" 203.0.113. "$CLOUD_PREFIX"
    sed "s/203\.0\.113\./$CLOUD_PREFIX/g" "$OUT/$name.truth.jsonl" >"$dir/$name.truth.jsonl"
    $PY - "$OUT/$name.meta.json" "$dir/$name.meta.json" "$CLOUD_PREFIX" <<'PYEOF'
import json, sys
src, dst, pfx = sys.argv[1:4]
m = json.load(open(src))
txt = json.dumps(m).replace("203.0.113.", pfx)
m = json.loads(txt)
m["rewritten"] = {
    "from": "203.0.113.0/24", "to": pfx + "0/24",
    "tool": "samples/lab/rewrite-range.py IN OUT 203.0.113. " + pfx,
    "range_owner": "Microsoft (Teams/Skype media range 52.112.0.0/14, Office 365 endpoint list)",
    "what": "IPv4 addresses in IP headers, in STUN address attributes (FINGERPRINT recomputed), "
            "in SIP/SDP/HTTP text and in the datagrams ICMP errors quote; IP/UDP/TCP/ICMP checksums",
    "not_rewritten": "WebSocket frames sent by the browser (masked) and STUN MESSAGE-INTEGRITY "
                     "(an HMAC under the TURN credentials, left as it was)",
    "note": "the application is unchanged (sip_rtp or webrtc_generic, as in the truth file): a classifier "
            "must not call these flows skype_teams from the address range alone",
}
json.dump(m, open(dst, "w"), indent=2)
open(dst, "a").write("\n")
PYEOF
}

# ---------------------------------------------------------------- main
[[ $(id -u) -eq 0 ]] || { echo "run as root: sudo bash $0 [OUTDIR]" >&2; exit 1; }
install_tools
trap cleanup EXIT
trap 'exit 130' INT TERM
WORK=$(mktemp -d /tmp/callpath-lab.XXXXXX)
# ~90 s of speech-like audio (8 kHz mono s16): a vowel-ish tone, gated into syllables
sox -n -r 8000 -c 1 -b 16 "$WORK/voice.wav" synth 90 sine 180 sine 540 sine 900 \
    remix - tremolo 3 90 gain -n -3 2>/dev/null
sox "$WORK/voice.wav" -r 48000 "$WORK/voice48k.wav" 2>/dev/null
START=$(date +%s)
for s in $SCENARIOS; do
    case $s in
        direct-call)  run_call direct-call cone "stun:$TURN_IP:3478" p2p_media ;;
        relayed-call) run_call relayed-call hostile "turn:$TURN_IP:3478" relay_media ;;
        lookups-only) run_lookups ;;
        webrtc-call)  run_webrtc webrtc-call cone all p2p_media ;;
        webrtc-relayed-call) run_webrtc webrtc-relayed-call cone relay relay_media ;;
        webrtc-tls-relayed-call)
            run_webrtc webrtc-tls-relayed-call cone all relay_media "turns:$TURN_IP:443?transport=tcp" 1 ;;
        webrtc-dual-stack-call)
            LAB_V6=1; run_webrtc webrtc-dual-stack-call cone all p2p_media; LAB_V6=0 ;;
        group-call) run_group group-call 3 ;;
        sfu-call) run_group sfu-call 2 ;;
        mcu-call) run_group mcu-call 2 audiobridge ;;
        *) log "unknown scenario $s"; exit 2 ;;
    esac
done
log "done in $(( $(date +%s) - START )) s; outputs in $OUT"
