#!/usr/bin/env bash
# tests/integration/switch_veth_vrs.sh - several VRs on one europad, live over veth.
#
# Topology as in switch_veth.sh (source -> europad -> sink). europad has three VRs, each
# with a rule on a destination MAC of its own, and no default VR:
#
#  1. Two VRs with different classification rules: the source sends N frames, half to
#     each VR's MAC (two numbered flows). Each VR sees exactly its own traffic (its rx
#     counter is N/2 and it saw no frame to another MAC), forwards it to the sink, and
#     the sink gets both flows complete and in order.
#  2. A hostile VR (eu-hostile: random indices, states, lengths in its rings) runs beside
#     them while the source sends three flows (the third to the hostile VR): the healthy
#     VRs' flows still arrive complete and in order, their counters show no drop and no
#     bad descriptor, europad keeps running and counts the hostile VR's bad descriptors,
#     and when the hostile VR is gone its pool audit shows every slot back.
#  3. kill -9 of a VR under load (the source blasting at it): europad keeps running, the
#     other VR keeps forwarding, the pool audit shows every slot back, and a restarted VR
#     forwards a fresh numbered flow completely and in order.
#
# Environment: EU_SWITCH_FRAMES (N, default 20000), EU_SWITCH_RATE (default 20000; both a
# fifth of that in sanitizer builds),
# EU_SWITCH_DRIVER (default packet: see the note on xdp below).
# Note on xdp: with EU_SWITCH_DRIVER=xdp, phase 3 (a blast into a dead VR, then a fresh
# flow) shows now and then a few frames duplicated and as many lost: the xdp driver's
# eu_port_rx_release() puts addresses back on the fill ring without checking that
# xsk_ring_prod__reserve() got room (the kernel publishes its fill-ring consumer index
# lazily, so after an overload it can return 0), which hands the kernel a buffer still in
# use. It is the driver's to fix (backends/af_xdp); until then this test uses packet.
# Exit: 0 pass, 1 fail, 77 not root or no namespaces/veth.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/switch-common.bash"

need_root "network namespaces, AF_XDP, AF_PACKET"
N=${EU_SWITCH_FRAMES:-$((20000 / SLOW))}
RATE=${EU_SWITCH_RATE:-$((20000 / SLOW))}
DRV=${EU_SWITCH_DRIVER:-packet}
M1=02:00:00:00:01:01 M2=02:00:00:00:02:02 M3=02:00:00:00:03:03
topo_up $$
cd "$TMP" || exit 1

cat >vrs.conf <<EOF2
control = { socket = "$SOCK"; };
ports = (
  { name = "in"; port = "$DRV:$A0"; },
  { name = "out"; port = "$DRV:$A1"; }
);
vrs = (
  { name = "vr1"; rules = ( { port = "in"; mac = "$M1"; } ); },
  { name = "vr2"; rules = ( { port = "in"; mac = "$M2"; } ); },
  { name = "evil"; slots = 1024; rules = ( { port = "in"; mac = "$M3"; } ); }
);
EOF2
start_europad vrs.conf "$SW"

start_vr() { # start_vr <name> <mac>: a forwarding VR that expects only frames to <mac>
    bg "$1.log" "$REFLECT" -m forward -t 1 -d "1=$K0MAC" --expect-mac "$2" "europad:$SOCK#$1"
    eval "PID_$1=$BGPID"
    wait_until 10 is "vrs.$1.state" attached || fail "VR $1 did not attach"
}
# traffic <run> <flows> <count> <rate> <mac...>: numbered flows from the source; the sink
# must get the first <flows> flows complete and in order. Sets RC and leaves recv-<run>.log.
traffic() {
    local run=$1 flows=$2 count=$3 rate=$4 want d=()
    shift 4
    for m in "$@"; do d+=(-d "$m"); done
    want=$((count / $# * flows))
    rm -f ready
    bg recv-$run.log ip netns exec "$SINK" "$TRAFFIC" recv -i "$K0" -n "$want" -F "$flows" -R "$run" -t 60 -w "$TMP/ready"
    local r=$BGPID
    wait_until 10 test -e ready || fail "the receiver did not start"
    ip netns exec "$SRC" "$TRAFFIC" send -i "$S0" "${d[@]}" -n "$count" -r "$rate" -R "$run" -t 60
    wait "$r"
    RC=$?
    cat recv-$run.log
}

# ---------------------------------------------------------------- 1. two VRs
start_vr vr1 $M1
start_vr vr2 $M2
traffic 1 2 "$N" "$RATE" $M1 $M2
check "two VRs: the sink got both flows complete and in order" test $RC -eq 0
ctl show >show-two.log 2>&1
check "two VRs: port in received $N" is ports.in.switch.rx_frames "$N"
check "two VRs: vr1 received exactly its $((N / 2))" is vrs.vr1.counters.rx_frames $((N / 2))
check "two VRs: vr2 received exactly its $((N / 2))" is vrs.vr2.counters.rx_frames $((N / 2))
check "two VRs: vr1 and vr2 forwarded all" is ports.out.switch.tx_frames "$N"
check "two VRs: no frame without a VR" is ports.in.switch.rx_no_vr 0

# ---------------------------------------------------------------- 2. a hostile VR beside
bg hostile.log "$HOSTILE" -t 8 -s $$ "europad:$SOCK#evil"
HOS=$BGPID
wait_until 10 is vrs.evil.state attached || fail "the hostile VR did not attach"
sleep 0.5
r1=$(val vrs.vr1.counters.rx_frames)
r2=$(val vrs.vr2.counters.rx_frames)
traffic 2 2 $((N * 3 / 2)) $((RATE * 3 / 2)) $M1 $M2 $M3
check "hostile beside: the healthy flows arrived complete and in order" test $RC -eq 0
ctl show >show-hostile.log 2>&1
check "hostile beside: europad keeps running" alive "$EPID"
check "hostile beside: vr1 got exactly its frames" is vrs.vr1.counters.rx_frames $((r1 + N / 2))
check "hostile beside: vr2 got exactly its frames" is vrs.vr2.counters.rx_frames $((r2 + N / 2))
for v in vr1 vr2; do
    check "hostile beside: $v: no drop, no bad descriptor" test \
        "$(val vrs.$v.counters.drop_no_slot)$(val vrs.$v.counters.drop_ring_full)$(val vrs.$v.counters.bad_desc)" = 000
done
wait "$HOS" 2>/dev/null
wait_until 10 is vrs.evil.state detached || fail "the hostile VR's end was not noticed"
bad=$(val vrs.evil.counters.bad_desc)
check "hostile beside: its bad descriptors are counted ($bad)" test "${bad:-0}" -gt 0
check "hostile gone: every slot of its pool is back (audit)" audit_clean evil

# ---------------------------------------------------------------- 3. kill -9 under load
# the source blasts at vr1 (and a little at vr2) for 4 s; vr1 dies 1 s in
bg blast.log ip netns exec "$SRC" "$TRAFFIC" send -i "$S0" -d $M1 -d $M1 -d $M1 -d $M2 -n 0 -r $((200000 / SLOW)) -R 9 -t 4
BLAST=$BGPID
wait_until 10 gt vrs.vr1.counters.rx_frames $((r1 + N / 2 + 20000 / SLOW)) || fail "vr1 is not under load"
kill -9 "$PID_vr1"
wait "$PID_vr1" 2>/dev/null
wait_until 10 is vrs.vr1.state detached || fail "europad did not notice the kill -9"
check "kill -9: europad keeps running" alive "$EPID"
check "kill -9: the pool audit shows every slot of vr1 back" audit_clean vr1
t2=$(val vrs.vr2.counters.tx_frames)
sleep 0.5
check "kill -9: vr2 forwards on meanwhile" gt vrs.vr2.counters.tx_frames "$t2"
wait "$BLAST"
cat blast.log
start_vr vr1 $M1
traffic 3 1 "$N" "$RATE" $M1
check "kill -9: the restarted vr1 forwards a fresh flow complete and in order" test $RC -eq 0
ctl show >show-kill.log 2>&1

kill -TERM "$PID_vr1" "$PID_vr2"
wait "$PID_vr1"
check "vr1 saw no frame to another MAC" test $? -eq 0
wait "$PID_vr2"
check "vr2 saw no frame to another MAC" test $? -eq 0
grep -h foreign vr1.log vr2.log
stop_europad
PIDS=()
finish
