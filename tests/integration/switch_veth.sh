#!/usr/bin/env bash
# tests/integration/switch_veth.sh - live traffic through europad, per port driver.
#
# Three network namespaces: a source, europad's, and a sink, joined by two veth pairs
# (SRC:eus0 <-> SW:euw0, SW:euw1 <-> SINK:euk0). europad owns euw0 and euw1 (AF_XDP, then
# AF_PACKET); a forwarding VR (eu-reflect -m forward: egress port 1, the sink's MAC,
# TTL - 1) is its default VR. The source sends N numbered 64-byte frames at a bounded
# rate; the sink must receive every one, in order, with TTL 63; and every counter on
# the way must say N: the source's kernel tx, europad's port 0 rx, the VR's rx and tx,
# europad's port 1 tx (switch and driver), the sink's kernel rx. Then the same through
# two TAP ports of europad (the kernel's side of one sends, of the other receives).
#
# Environment: EU_SWITCH_FRAMES (N, default 20000), EU_SWITCH_RATE (frames/s, 20000; both
# a fifth of that in sanitizer builds),
# EU_SWITCH_DRIVERS (default "xdp packet").
# Exit: 0 pass, 1 fail, 77 not root or no namespaces/veth.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/switch-common.bash"

need_root "network namespaces, AF_XDP, AF_PACKET"
N=${EU_SWITCH_FRAMES:-$((20000 / SLOW))}
RATE=${EU_SWITCH_RATE:-$((20000 / SLOW))}
DRIVERS=${EU_SWITCH_DRIVERS:-xdp packet}
topo_up $$
cd "$TMP" || exit 1

run=0
for drv in $DRIVERS; do
    run=$((run + 1))
    cat >$drv.conf <<EOF2
control = { socket = "$SOCK"; };
ports = (
  { name = "in"; port = "$drv:$A0"; },
  { name = "out"; port = "$drv:$A1"; }
);
switch = { busy = ${EU_BUSY:-false}; };
vrs = ( { name = "fwd"; default = true; } );
EOF2
    start_europad $drv.conf "$SW"
    mode=$(val ports.in.mode)
    echo "$T: $drv: europad's ports are in mode \"$mode\""
    bg $drv-vr.log "$REFLECT" -m forward -t 1 -d "1=$K0MAC" "europad:$SOCK#fwd"
    VR=$BGPID
    wait_until 10 is vrs.fwd.state attached || fail "$drv: the VR did not attach"
    s0=$(ifcount "$SRC" "$S0" tx)
    k0=$(ifcount "$SINK" "$K0" rx)
    rm -f ready
    bg $drv-recv.log ip netns exec "$SINK" "$TRAFFIC" recv -i "$K0" -n "$N" -R $run -t 60 -w "$TMP/ready"
    RECV=$BGPID
    wait_until 10 test -e ready || fail "$drv: the receiver did not start"
    ip netns exec "$SRC" "$TRAFFIC" send -i "$S0" -d "$A0MAC" -n "$N" -r "$RATE" -R $run -t 60
    wait "$RECV"
    rc=$?
    cat $drv-recv.log
    check "$drv: the sink received all $N frames, once each, in order" test $rc -eq 0
    check "$drv: the frames were routed (TTL 63 at the sink)" grep -q "(ttl 63)" $drv-recv.log
    check "$drv: source kernel sent $N" test $(($(ifcount "$SRC" "$S0" tx) - s0)) -eq "$N"
    check "$drv: europad port in received $N" is ports.in.switch.rx_frames "$N"
    check "$drv: the VR received $N" is vrs.fwd.counters.rx_frames "$N"
    check "$drv: the VR sent $N" is vrs.fwd.counters.tx_frames "$N"
    check "$drv: europad port out sent $N" is ports.out.switch.tx_frames "$N"
    check "$drv: port out's driver sent $N" is ports.out.driver.tx_frames "$N"
    check "$drv: sink kernel received $N" test $(($(ifcount "$SINK" "$K0" rx) - k0)) -eq "$N"
    check "$drv: no drops anywhere in europad" test \
        "$(val vrs.fwd.counters.drop_no_slot)$(val vrs.fwd.counters.drop_ring_full)$(val vrs.fwd.counters.bad_desc)$(val ports.out.switch.tx_stalled)$(val ports.in.driver.rx_dropped)" = 00000
    kill -TERM "$VR"
    wait "$VR"
    check "$drv: the VR left cleanly" test $? -eq 0
    check "$drv: the pool is whole after the VR left" wait_until 5 audit_clean fwd
    stop_europad
    PIDS=()
done
# ------------------------------------------------------------------ TAP ports
# europad owns two TAP devices in SW; the kernel's side of one sends, of the other receives.
if [[ " $DRIVERS " == *" packet "* ]] && [[ -z ${EU_SWITCH_NO_TAP:-} ]]; then
    cat >tap.conf <<EOF2
control = { socket = "$SOCK"; };
ports = ( { name = "in"; port = "tap:eut0"; }, { name = "out"; port = "tap:eut1"; } );
vrs = ( { name = "fwd"; default = true; } );
EOF2
    start_europad tap.conf "$SW"
    ip -n "$SW" link set eut0 up
    ip -n "$SW" link set eut1 up
    bg tap-vr.log "$REFLECT" -m forward -t 1 "europad:$SOCK#fwd"
    VR=$BGPID
    wait_until 10 is vrs.fwd.state attached || fail "tap: the VR did not attach"
    NT=$((N / 4))
    rm -f ready
    bg tap-recv.log ip netns exec "$SW" "$TRAFFIC" recv -i eut1 -n "$NT" -R 7 -t 60 -w "$TMP/ready"
    RECV=$BGPID
    wait_until 10 test -e ready || fail "tap: the receiver did not start"
    ip netns exec "$SW" "$TRAFFIC" send -i eut0 -d 02:00:00:00:00:09 -n "$NT" -r $((RATE / 4)) -R 7 -t 60
    wait "$RECV"
    rc=$?
    cat tap-recv.log
    check "tap: all $NT frames through europad's TAP ports, once each, in order" test $rc -eq 0
    check "tap: the VR received and sent $NT" is vrs.fwd.counters.tx_frames "$NT"
    kill -TERM "$VR"
    wait "$VR"
    stop_europad
    PIDS=()
fi
finish
