#!/usr/bin/env bash
# tests/integration/port_veth.sh - live traffic through each port driver.
#
# Two network namespaces joined by a veth pair (A:va <-> B:vb) and a two-queue veth pair, and
# a TAP device in A. For each driver (packet: both with TPACKET_V3 and with ,v2) and direction,
# port_xfer sends N numbered 64-byte UDP frames (198.18.0.1 -> 198.19.0.1) from one eu_port
# to another and checks that every one arrives once, in order, intact, and that the ports'
# counters agree with what was seen; the sending veth's kernel tx counter must have moved by
# exactly N. Then packet:IF,v2's edges (port_packet_v2: frames longer than frame_size
# counted and skipped, poll readiness, kernel drops counted), error messages (a bad packet:
# option among them), the mode strings, XDP program cleanup, TAP creation/removal, and a
# negative control (a receiver that gets nothing must make port_xfer fail). Last, frames
# per second through each driver are measured (not asserted): median of
# EU_PORT_MEASURE_RUNS runs.
#
#   tests/integration/port_veth.sh            (as root; CTest runs it as "port_veth")
#
# Environment: EU_INTEGRATION_BIN (directory of port_xfer and port_packet_v2; default
# build/tests/integration),
# EU_PORT_FRAMES (N, default 10000), EU_PORT_MEASURE_RUNS (default 3, 0 = skip; 0 under
# a sanitizer build unless set),
# EU_PORT_MEASURE_FRAMES (default 200000).
# Exit: 0 pass, 1 fail, 77 skipped (not root, no `ip`, no veth/netns support).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=${EU_INTEGRATION_BIN:-$here/../../build/tests/integration}
xfer=$bin/port_xfer
N=${EU_PORT_FRAMES:-10000}
RUNS=${EU_PORT_MEASURE_RUNS:-3}
if [[ -z ${EU_PORT_MEASURE_RUNS:-} && -n ${ASAN_OPTIONS:-}${TSAN_OPTIONS:-} ]]; then
    RUNS=0 # a sanitizer build (CTest passes its options): rates would mean nothing
fi
MN=${EU_PORT_MEASURE_FRAMES:-200000}

skip() { echo "port_veth: SKIP: $*"; exit 77; }
[[ $(id -u) -eq 0 ]] || skip "needs root (network namespaces, AF_PACKET, AF_XDP, TAP)"
command -v ip >/dev/null || skip "no ip(8): apt-get install iproute2"
[[ -x $xfer ]] || { echo "port_veth: FAIL: no $xfer (build the tree first)"; exit 1; }
[[ -x $bin/port_packet_v2 ]] ||
    { echo "port_veth: FAIL: no $bin/port_packet_v2 (build the tree first)"; exit 1; }

tag=$$
A=eupA$tag B=eupB$tag
VA=eupa$tag VB=eupb$tag TAP=eupt$tag TAP2=eupn$tag
R=
cleanup() {
    ip netns del "$A" 2>/dev/null
    ip netns del "$B" 2>/dev/null
    [[ -z $R ]] || ip netns del "$R" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "$A" || skip "cannot create network namespaces"
ip netns add "$B" || skip "cannot create network namespaces"
for ns in "$A" "$B"; do
    # No IPv6: no router solicitations or MLD reports among the test frames.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
done
ip link add "$VA" netns "$A" type veth peer name "$VB" netns "$B" || skip "no veth support"
# A second pair with two queues each way, for an AF_XDP socket on queue 1. (Only there:
# an xdp port sees its own queue's frames, and other senders spread over the queues.)
ip link add "${VA}q" netns "$A" numtxqueues 2 numrxqueues 2 type veth \
    peer name "${VB}q" netns "$B" numtxqueues 2 numrxqueues 2 || skip "no multi-queue veth"
ip -n "$A" link set "${VA}q" up
ip -n "$B" link set "${VB}q" up
ip -n "$A" link set "$VA" up
ip -n "$B" link set "$VB" up
ip -n "$A" tuntap add dev "$TAP" mode tap || skip "no TAP support (modprobe tun)"

FAILED=()
fail() { echo "port_veth: FAIL: $*"; FAILED+=("$1"); }

# A libeuropa built without libxdp has no xdp: ports; test the rest.
XDP=1
if [[ $("$xfer" --open "xdp:nope$tag" 2>&1) == *"built without libxdp"* ]]; then
    XDP=0
    echo "port_veth: NOTE: libeuropa was built without libxdp: xdp: runs skipped"
fi

# count <ns> <if>[/rx]: the interface's kernel tx_packets (or rx_packets with /rx).
count() {
    local dir=tx
    [[ $2 == */rx ]] && dir=rx
    ip netns exec "$1" cat "/sys/class/net/${2%/rx}/statistics/${dir}_packets"
}

# xfer <label> <tx ns> <tx port> <counter if> <rx ns> <rx port> [port_xfer args]: one
# checked run; the counter (see count) of the interface must move by exactly N.
xfer() {
    local label=$1 tns=$2 tport=$3 tif=$4 rns=$5 rport=$6
    shift 6
    local before after
    if ((!XDP)) && [[ $tport$rport == *xdp:* ]]; then
        return
    fi
    before=$(count "$tns" "$tif")
    echo
    if ! timeout -k 5 60 "$xfer" --label "$label" --tx "$tport" --tx-ns "$tns" \
        --rx "$rport" --rx-ns "$rns" -n "$N" "$@"; then
        fail "$label" "port_xfer failed"
        return
    fi
    after=$(count "$tns" "$tif")
    if ((after - before != N)); then
        fail "$label" "kernel counter of $tif moved by $((after - before)), want $N"
    else
        echo "  kernel: $tif packets +$((after - before))"
    fi
}

echo "== traffic: $N frames per run"
xfer "packet->packet" "$B" "packet:$VB" "$VB" "$A" "packet:$VA"
xfer "packet->packet vlan" "$B" "packet:$VB" "$VB" "$A" "packet:$VA" --vlan 42
xfer "packet->xdp" "$B" "packet:$VB" "$VB" "$A" "xdp:$VA"
xfer "xdp->packet" "$A" "xdp:$VA" "$VA" "$B" "packet:$VB"
xfer "xdp->xdp" "$B" "xdp:$VB" "$VB" "$A" "xdp:$VA"
xfer "xdp->xdp vlan" "$B" "xdp:$VB" "$VB" "$A" "xdp:$VA" --vlan 7
xfer "packet->xdp,skb" "$B" "packet:$VB" "$VB" "$A" "xdp:$VA,skb"
xfer "xdp,skb->packet" "$A" "xdp:$VA,skb" "$VA" "$B" "packet:$VB"
xfer "xdp@0 big frames" "$B" "xdp:$VB@0" "$VB" "$A" "xdp:$VA@0" --size 1514
# Queue 1: an AF_XDP socket sends on its own queue, so queue 1 of one end reaches queue 1
# of the other.
xfer "xdp@1->xdp@1" "$B" "xdp:${VB}q@1" "${VB}q" "$A" "xdp:${VA}q@1"
# Rings of 16 with bursts of 256: every burst runs into full rings (window = ring).
xfer "xdp->xdp ring 16" "$B" "xdp:$VB" "$VB" "$A" "xdp:$VA" --ring 16 --burst 256 --window 16
xfer "packet->packet ring 16" "$B" "packet:$VB" "$VB" "$A" "packet:$VA" --ring 16 --burst 256 --window 16
xfer "tap->packet" "$A" "tap:$TAP" "$TAP/rx" "$A" "packet:$TAP"
# The TAP's kernel side counts what we write as received, what the stack sends as sent.
xfer "packet->tap" "$A" "packet:$TAP" "$TAP" "$A" "tap:$TAP"
# The same for packet:IF,v2 (TPACKET_V2: an rx ring of frames, tpacket2_hdr on the tx ring),
# and the two versions against each other.
xfer "packet,v2->packet,v2" "$B" "packet:$VB,v2" "$VB" "$A" "packet:$VA,v2"
xfer "packet,v2->packet,v2 vlan" "$B" "packet:$VB,v2" "$VB" "$A" "packet:$VA,v2" --vlan 42
xfer "packet,v2 big frames vlan" "$B" "packet:$VB,v2" "$VB" "$A" "packet:$VA,v2" --size 1514 \
    --vlan 3
xfer "packet,v3->packet,v2" "$B" "packet:$VB,v3" "$VB" "$A" "packet:$VA,v2"
xfer "packet,v2->packet" "$B" "packet:$VB,v2" "$VB" "$A" "packet:$VA"
xfer "packet,v2->xdp" "$B" "packet:$VB,v2" "$VB" "$A" "xdp:$VA"
xfer "xdp->packet,v2" "$A" "xdp:$VA" "$VA" "$B" "packet:$VB,v2"
xfer "packet,v2 ring 16" "$B" "packet:$VB,v2" "$VB" "$A" "packet:$VA,v2" --ring 16 --burst 256 \
    --window 16
xfer "tap->packet,v2" "$A" "tap:$TAP" "$TAP/rx" "$A" "packet:$TAP,v2"
xfer "packet,v2->tap" "$A" "packet:$TAP,v2" "$TAP" "$A" "tap:$TAP"

echo
echo "== packet:IF,v2 edges: truncated frames, poll, kernel drops (port_packet_v2)"
if ! timeout -k 5 60 "$bin/port_packet_v2" --rx-ns "$A" --rx "$VA" --tx-ns "$B" --tx "$VB"; then
    fail "packet,v2 edges" "port_packet_v2 failed"
fi

echo
echo "== XDP programs are gone after close"
for ns_if in "$A:$VA" "$B:$VB" "$A:${VA}q" "$B:${VB}q"; do
    if [[ $(ip -n "${ns_if%%:*}" link show "${ns_if#*:}") == *prog/xdp* ]]; then
        fail "xdp detach" "an XDP program is still attached to ${ns_if#*:}"
        ip -n "${ns_if%%:*}" link show "${ns_if#*:}"
    else
        echo "  ${ns_if#*:}: no XDP program"
    fi
done

echo
echo "== opening and errors"
expect_open() { # <label> <ns> <name> [--expect-fail TEXT | --flags F]
    local label=$1 ns=$2 name=$3
    shift 3
    if ((!XDP)) && [[ $name == xdp:* ]]; then
        return
    fi
    if ! "$xfer" --open "$name" --ns "$ns" "$@"; then
        fail "$label" "opening $name"
    fi
}
expect_open "tap create" "$A" "tap:$TAP2"
for ((i = 0; i < 20; i++)); do # the kernel unregisters it on close; allow it 2 s
    ip -n "$A" link show "$TAP2" >/dev/null 2>&1 || break
    sleep 0.1
done
if ip -n "$A" link show "$TAP2" >/dev/null 2>&1; then
    fail "tap create" "$TAP2 is still there after close (a created TAP goes with its port)"
fi
expect_open "xdp zero-copy on veth" "$A" "xdp:$VA" --flags 1 --expect-fail "zero-copy"
expect_open "xdp forced copy" "$A" "xdp:$VA" --flags 2
expect_open "xdp no such interface" "$A" "xdp:nope$tag" --expect-fail "no such interface"
expect_open "packet no such interface" "$A" "packet:nope$tag" --expect-fail "no such interface"
expect_open "packet,v2 no such interface" "$A" "packet:nope$tag,v2" \
    --expect-fail "no such interface"
expect_open "packet bad option" "$A" "packet:$VA,v9" \
    --expect-fail "unknown AF_PACKET option 'v9': use ,v2"
expect_open "packet no interface" "$A" "packet:,v2" --expect-fail "no interface name"
# The mode string says which ring version the port got.
for v in "" ,v3 ,v2; do
    want=tpacket_v3
    [[ $v == ,v2 ]] && want=tpacket_v2
    if [[ $("$xfer" --open "packet:$VA$v" --ns "$A" 2>&1) != *"mode '$want'"* ]]; then
        fail "packet$v mode" "packet:$VA$v does not report mode '$want'"
    else
        echo "  packet:IF$v: mode '$want'"
    fi
done
expect_open "xdp bad queue" "$A" "xdp:$VA@7" --expect-fail "queue 7"
expect_open "tap over a veth" "$A" "tap:$VA" --expect-fail "not a TAP device"

echo
echo "== negative control: a receiver on an interface that gets nothing must fail"
if timeout -k 5 30 "$xfer" --label "control" --tx "packet:$VB" --tx-ns "$B" \
    --rx "packet:$TAP" --rx-ns "$A" -n 100 --timeout 2 >/tmp/port_veth.$tag 2>&1; then
    cat /tmp/port_veth.$tag
    fail "negative control" "port_xfer passed although no frame could arrive"
else
    grep -E 'FAIL' /tmp/port_veth.$tag | sed 's/^/  (expected) /'
fi
rm -f /tmp/port_veth.$tag

if ((RUNS > 0)); then
    echo
    echo "== frames per second: $MN frames of 60 bytes (64 on a wire), window 1024," \
        "median of $RUNS runs (load: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs)"
    echo "   (sent to 02:00:00:00:00:02, not to the receiving interface's MAC, as frames for a"
    echo "   VR behind a switch would be: the receiving host's IP stack drops them at once)"
    # measure <label> <tx ns> <tx port> <rx ns> <rx port> [port_xfer args]
    measure() {
        local label=$1 tns=$2 tport=$3 rns=$4 rport=$5 rates=() r i
        shift 5
        if ((!XDP)) && [[ $tport$rport == *xdp:* ]]; then
            return
        fi
        for ((i = 0; i < RUNS; i++)); do
            r=$(timeout -k 5 60 "$xfer" --measure --window 1024 -n "$MN" --timeout 20 \
                --tx "$tport" --tx-ns "$tns" --rx "$rport" --rx-ns "$rns" \
                --dst-mac 02:00:00:00:00:02 "$@" |
                awk '/^RATE/ {print $2}')
            rates+=("${r:-0}")
        done
        printf '  %-26s %10s frames/s   (runs: %s)\n' "$label" \
            "$(printf '%s\n' "${rates[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" \
            "${rates[*]}"
    }
    measure "packet -> packet" "$B" "packet:$VB" "$A" "packet:$VA"
    measure "packet,v2 -> packet,v2" "$B" "packet:$VB,v2" "$A" "packet:$VA,v2"
    measure "packet -> xdp (native)" "$B" "packet:$VB" "$A" "xdp:$VA"
    measure "packet -> xdp (skb)" "$B" "packet:$VB" "$A" "xdp:$VA,skb"
    measure "xdp (native) -> packet" "$A" "xdp:$VA" "$B" "packet:$VB"
    measure "xdp (skb) -> packet" "$A" "xdp:$VA,skb" "$B" "packet:$VB"
    measure "xdp -> xdp (native)" "$B" "xdp:$VB" "$A" "xdp:$VA"
    measure "tap -> packet" "$A" "tap:$TAP" "$A" "packet:$TAP"
    measure "packet -> tap" "$A" "packet:$TAP" "$A" "tap:$TAP"

    # The peer to compare with: Linux forwarding the same frames between two veth pairs,
    # A:va -> R (ip_forward) -> B:vb, sent and received with packet ports.
    R=eupR$tag RA=eupr$tag RB=eups$tag
    ip netns add "$R" && ip -n "$R" link set lo up &&
        ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 \
            net.ipv6.conf.default.disable_ipv6=1 net.ipv4.conf.all.rp_filter=0 \
            net.ipv4.conf.default.rp_filter=0 &&
        ip link add "${VA}f" netns "$A" type veth peer name "$RA" netns "$R" &&
        ip link add "${VB}f" netns "$B" type veth peer name "$RB" netns "$R" &&
        ip -n "$A" link set "${VA}f" up && ip -n "$B" link set "${VB}f" up &&
        ip -n "$R" link set "$RA" up && ip -n "$R" link set "$RB" up &&
        ip -n "$R" addr add 198.18.0.254/16 dev "$RA" &&
        ip -n "$R" addr add 198.19.0.254/16 dev "$RB" &&
        ip -n "$R" neigh add 198.19.0.1 lladdr \
            "$(ip netns exec "$B" cat "/sys/class/net/${VB}f/address")" dev "$RB" &&
        measure "kernel forwarding (peer)" "$A" "packet:${VA}f" "$B" "packet:${VB}f" \
            --dst-mac "$(ip netns exec "$R" cat "/sys/class/net/$RA/address")" ||
        echo "  kernel forwarding: could not set up the router namespace"
    ip netns del "$R" 2>/dev/null
    R=
fi

echo
if ((${#FAILED[@]})); then
    echo "port_veth: FAILED: ${FAILED[*]}"
    exit 1
fi
echo "port_veth: all checks passed"
