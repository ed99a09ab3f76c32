#!/usr/bin/env bash
# tests/integration/switch_pcap.sh - the switch logic, end to end, deterministic, no root:
# pcap in -> switch -> VR (eu-reflect) -> pcap out, byte-compared with what is expected.
#
#  1. in-process switch in the VR's loop (inproc:, EU_VR_OPEN_F_MANUAL): 3000 frames of
#     every length 60..1518, tagged and untagged, reflected; out == reflect(in).
#  2. in-process switch in its own thread, two ports (inproc:PORT;PORT): out of port 1.
#  3. europad with pcap ports and four VRs with classification rules (by MAC, MAC+VLAN,
#     VLAN alone, and a default VR): each VR sends what it gets to a port of its own, so
#     each output file is exactly the input frames its VR's rule selects, in order, frame
#     by frame; first-match order between overlapping rules; the counters of europactl
#     agree with the files.
#  4. europad without a default VR: unmatched frames are counted as "no VR".
#  5. an idle europad and an idle VR sleep (well under a tenth of a CPU each); a VR notices
#     europad going away.
#  6. europad's configuration errors name the line and the fix; a VR that does not exist
#     is refused with the list of those that do.
#
# Exit: 0 pass, 1 fail.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/switch-common.bash"

A=02:00:00:00:00:0a B=02:00:00:00:00:0b C=02:00:00:00:00:0c BC=ff:ff:ff:ff:ff:ff
cd "$TMP" || exit 1

# ---------------------------------------------------------------- 1. inproc, manual
"$PCAPTOOL" gen in.pcap 3000 $A $A.20 $B.10 $B $B.20 $BC $BC.20 $C.4094 $C
"$PCAPTOOL" reflect in.pcap want.pcap
if "$REFLECT" -M -i 300 "inproc:pcap:in.pcap,out.pcap" >inproc.log 2>&1; then
    check "inproc (manual): 3000 frames reflected, byte for byte" "$PCAPTOOL" cmp want.pcap out.pcap
else
    fail "inproc (manual): eu-reflect failed: $(cat inproc.log)"
fi

# ---------------------------------------------------------------- 2. inproc, thread
# 1500 frames: fewer than the switch's free slots (half of 4096), so none can be dropped
# however the threads are scheduled.
"$PCAPTOOL" gen small.pcap 1500 $A $B.10 $C
"$PCAPTOOL" reflect small.pcap want2.pcap
rm -f out0.pcap out1.pcap
if "$REFLECT" -i 500 -t 1 "inproc:pcap:small.pcap,out0.pcap;pcap:,out1.pcap" >thread.log 2>&1; then
    check "inproc (thread, 2 ports): frames out of port 1, byte for byte" \
        "$PCAPTOOL" cmp want2.pcap out1.pcap
    check "inproc (thread, 2 ports): nothing out of port 0" \
        test "$("$PCAPTOOL" count out0.pcap)" = 0
else
    fail "inproc (thread): eu-reflect failed: $(cat thread.log)"
fi
if "$REFLECT" -M "inproc:pcap:small.pcap,;" >bad.log 2>&1; then
    fail "inproc: an empty port name was accepted"
else
    check "inproc: an empty port name is refused with the syntax" grep -q "separated by single ';'" bad.log
fi

# ---------------------------------------------------------------- 3. europad, 4 VRs
cat >c3.conf <<EOF
control = { socket = "$SOCK"; };
ports = (
  { name = "wire"; port = "pcap:in.pcap,out0.pcap"; wait_for_vrs = true; },
  { name = "to-a"; port = "pcap:,out1.pcap"; },
  { name = "to-b"; port = "pcap:,out2.pcap"; },
  { name = "to-d"; port = "pcap:,out3.pcap"; }
);
vrs = (
  { name = "a"; rules = ( { mac = "$A"; } ); },
  { name = "b"; rules = ( { port = "wire"; mac = "$B"; vlan = 10; } ); },
  { name = "c"; default = true; slots = 8192; },
  { name = "d"; rules = ( { vlan = 20; } ); }
);
EOF
# the expected output of each VR: rules in file order, first match wins
"$PCAPTOOL" select in.pcap a.sel $A
"$PCAPTOOL" select in.pcap b.sel $B.10
"$PCAPTOOL" select in.pcap nota.sel --not $A
"$PCAPTOOL" select nota.sel d.sel '*.20'
"$PCAPTOOL" select in.pcap c.sel --not $A $B.10 '*.20'
for v in a b c d; do "$PCAPTOOL" reflect $v.sel $v.want; done
rm -f out*.pcap
start_europad c3.conf
bg a.log "$REFLECT" -i 1000 -t 1 "europad:$SOCK#a"
bg b.log "$REFLECT" -i 1000 -t 2 "europad:$SOCK#b"
bg c.log "$REFLECT" -i 1000 "europad:$SOCK#c"
bg d.log "$REFLECT" -i 1000 -t 3 "europad:$SOCK#d"
N=$("$PCAPTOOL" count in.pcap)
wait_until 20 is ports.wire.switch.rx_frames "$N" || fail "europad did not receive all $N frames"
wait_until 20 is ports.wire.switch.tx_frames "$("$PCAPTOOL" count c.sel)" ||
    fail "VR c did not send everything back"
for v in a b c d; do
    n=$("$PCAPTOOL" count $v.sel)
    wait_until 10 is vrs.$v.counters.tx_frames "$n" || fail "VR $v: sent $(val vrs.$v.counters.tx_frames) frames, want $n"
    check "VR $v: received exactly its $n frames (europactl)" is vrs.$v.counters.rx_frames "$n"
    check "VR $v: no drops, no bad descriptors" test \
        "$(val vrs.$v.counters.drop_no_slot)$(val vrs.$v.counters.drop_ring_full)$(val vrs.$v.counters.bad_desc)" = 000
done
check "port wire: no frame without a VR" is ports.wire.switch.rx_no_vr 0
for p in to-a:a to-b:b to-d:d; do
    check "port ${p%:*}: sent what VR ${p#*:} sent" is ports.${p%:*}.switch.tx_frames "$(val vrs.${p#*:}.counters.tx_frames)"
done
ctl show >show3.log 2>&1 || fail "europactl show failed"
ctl --json >show3.json 2>&1 || fail "europactl --json failed"
stop_europad
for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
check "VR a (mac $A, any VLAN): out1 == its frames reflected" "$PCAPTOOL" cmp a.want out1.pcap
check "VR b (port wire, mac $B, VLAN 10): out2 == its frames" "$PCAPTOOL" cmp b.want out2.pcap
check "VR d (VLAN 20 but not mac $A: first match): out3 == its frames" "$PCAPTOOL" cmp d.want out3.pcap
check "VR c (default): out0 == every other frame" "$PCAPTOOL" cmp c.want out0.pcap
PIDS=()

# ---------------------------------------------------------------- 4. no default VR
cat >c4.conf <<EOF
control = { socket = "$SOCK"; };
ports = ( { name = "wire"; port = "pcap:in.pcap,out0.pcap"; wait_for_vrs = true; } );
vrs = ( { name = "a"; rules = ( { mac = "$A"; vlan = "untagged"; } ); } );
EOF
"$PCAPTOOL" select in.pcap a4.sel $A.untagged
na=$("$PCAPTOOL" count a4.sel)
start_europad c4.conf
bg a4.log "$REFLECT" -i 800 "europad:$SOCK#a"
wait_until 20 is vrs.a.counters.tx_frames "$na" || fail "VR a: $(val vrs.a.counters.tx_frames) frames, want $na"
check "no default VR: $((N - na)) frames counted as no VR" is ports.wire.switch.rx_no_vr $((N - na))
check "no default VR: VR a got its $na untagged frames" is vrs.a.counters.rx_frames "$na"
if "$REFLECT" -i 100 "europad:$SOCK#nosuch" >nosuch.log 2>&1; then
    fail "attaching a VR that does not exist succeeded"
else
    check "a VR that does not exist is refused, naming those that do" \
        grep -q 'no VR named "nosuch" here; this europad serves: a' nosuch.log
fi
if "$REFLECT" -i 100 "europad:$TMP/none.sock#a" >nosock.log 2>&1; then
    fail "attaching through a socket that does not exist succeeded"
else
    check "no europad on the socket: the error says so" grep -q "is europad running" nosock.log
fi
stop_europad
for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
PIDS=()
"$PCAPTOOL" reflect a4.sel a4.want
check "europad flushed the pcap output on SIGTERM" "$PCAPTOOL" cmp a4.want out0.pcap

# ---------------------------------------------------------------- 5. idle, and going away
# An idle europad (a VR attached, no traffic) sleeps: it uses well under a tenth of a CPU.
# When it stops, the VR notices (eu_vr_switch_alive()) and leaves.
cputicks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
cat >c5.conf <<EOF
control = { socket = "$SOCK"; };
ports = ( { name = "out"; port = "pcap:,/dev/null"; } );
vrs = ( { name = "a"; default = true; } );
EOF
start_europad c5.conf
bg idle-vr.log "$REFLECT" "europad:$SOCK#a"
IVR=$BGPID
wait_until 10 is vrs.a.state attached || fail "idle: the VR did not attach"
sleep 0.5
e0=$(cputicks "$EPID")
v0=$(cputicks "$IVR")
sleep 2
e1=$(cputicks "$EPID")
v1=$(cputicks "$IVR")
hz=$(getconf CLK_TCK)
echo "$T: idle for 2 s: europad used $((e1 - e0)) and the VR $((v1 - v0)) ticks of $((2 * hz))"
check "idle: europad sleeps (under 10% of a CPU)" test $((e1 - e0)) -lt $((2 * hz / 10))
check "idle: the VR sleeps (under 10% of a CPU)" test $((v1 - v0)) -lt $((2 * hz / 10))
stop_europad
for ((i = 0; i < 60; i++)); do alive "$IVR" || break; sleep 0.05; done
check "the VR noticed europad going away and left" grep -q "the switch went away" idle-vr.log
wait "$IVR" 2>/dev/null
PIDS=()

# ---------------------------------------------------------------- 6. config errors

cat >bad.conf <<EOF
ports = ( { name = "p"; port = "pcap:in.pcap,"; slotz = 4; } );
vrs = ( { name = "v"; rules = ( { mac = "nonsense"; } ); } );
EOF
"$EUROPAD" --check -c bad.conf >badconf.log 2>&1 && fail "a bad configuration passed --check"
check "config: an unknown setting is named with its line" grep -q 'bad.conf:1: ports\[0\]: unknown setting "slotz"' badconf.log
check "config: a bad MAC is named with the fix" grep -q 'bad.conf:2: .*mac must be a MAC address in quotes, e.g.' badconf.log
check "config: the example configuration passes --check" \
    "$EUROPAD" --check -c "$here/../../tools/europad/europad.conf.example"

finish
