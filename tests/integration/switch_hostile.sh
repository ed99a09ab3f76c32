#!/usr/bin/env bash
# tests/integration/switch_hostile.sh - never trust a VR, and reclaim a dead one (no root).
#
#  1. A hostile VR (eu-hostile: random indices, states, lengths, ports and counters in
#     its rings, descriptors, state words and header) runs beside a healthy VR on one
#     europad, before, during and after the healthy VR's traffic. The healthy VR's output
#     is byte for byte what it should be, with no drop and no bad descriptor; europad
#     keeps running and counts the hostile VR's bad descriptors; when the hostile VR goes
#     away (it exits without closing, like a crash) europad takes back every slot of its
#     pool (audit: all free, consistent), and a healthy VR can then attach in its place.
#  2. kill -9 of a VR under load (a pcap input replayed in a loop): europad keeps
#     running, the pool audit shows every slot back, a restarted VR forwards again; and
#     the other VR is not disturbed meanwhile.
#
# Exit: 0 pass, 1 fail.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/switch-common.bash"

H=02:00:00:00:00:01 X=02:00:00:00:00:66
cd "$TMP" || exit 1

# ---------------------------------------------------------------- 1. hostile beside healthy
# 6000 frames, half to the healthy VR: its pool (16384 slots, 8192 on the switch's side
# at start) holds them all, so none can be dropped whatever the scheduling.
"$PCAPTOOL" gen in.pcap 6000 $H $X $H.7 $X.7
"$PCAPTOOL" select in.pcap h.sel $H
"$PCAPTOOL" reflect h.sel h.want
NH=$("$PCAPTOOL" count h.sel)
cat >h.conf <<EOF
control = { socket = "$SOCK"; };
ports = (
  { name = "wire"; port = "pcap:in.pcap,out0.pcap"; wait_for_vrs = true; },
  { name = "out"; port = "pcap:,out1.pcap"; }
);
vrs = (
  { name = "healthy"; slots = 16384; rules = ( { mac = "$H"; } ); },
  { name = "evil"; slots = 1024; rules = ( { mac = "$X"; } ); }
);
EOF
start_europad h.conf
bg hostile.log "$HOSTILE" -t 4 -s $$ "europad:$SOCK#evil"
HOS=$BGPID
wait_until 10 is vrs.evil.state attached || fail "the hostile VR did not attach"
sleep 0.5 # it scribbles alone first
bg healthy.log "$REFLECT" -i 1500 -t 1 "europad:$SOCK#healthy"
HEALTHY=$BGPID
wait_until 20 is vrs.healthy.counters.tx_frames "$NH" ||
    fail "healthy VR: sent $(val vrs.healthy.counters.tx_frames) frames, want $NH"
wait "$HEALTHY"
check "healthy VR exited cleanly" test $? -eq 0
check "europad survives the hostile VR" alive "$EPID"
check "healthy VR: received exactly its $NH frames" is vrs.healthy.counters.rx_frames "$NH"
check "healthy VR: no drop, no bad descriptor" test \
    "$(val vrs.healthy.counters.drop_no_slot)$(val vrs.healthy.counters.drop_ring_full)$(val vrs.healthy.counters.bad_desc)" = 000
check "port out: sent at least the healthy VR's frames" test "$(val ports.out.switch.tx_frames)" -ge "$NH"
wait_until 10 is vrs.evil.state detached || fail "the hostile VR's exit was not noticed"
wait "$HOS" 2>/dev/null
bad=$(val vrs.evil.counters.bad_desc)
check "hostile VR: its bad descriptors are counted ($bad)" test "${bad:-0}" -gt 0
echo "$T: hostile VR: bad idx $(val vrs.evil.counters.bad_idx) owner $(val vrs.evil.counters.bad_owner)" \
    "state $(val vrs.evil.counters.bad_state) len $(val vrs.evil.counters.bad_len) port $(val vrs.evil.counters.bad_port)," \
    "reclaimed $(val vrs.evil.counters.reclaimed) slots"
check "hostile VR gone: every slot of its pool is back (audit)" audit_clean evil
check "healthy VR's pool: every slot back after it left (audit)" audit_clean healthy
# a well-behaved VR attaches where the hostile one was, and gets traffic (none left:
# the input is spent; attach and detach must work and leave the pool whole)
bg evil2.log "$REFLECT" -i 300 "europad:$SOCK#evil"
wait "$BGPID"
check "a healthy VR attaches in the hostile VR's place" grep -q attached evil2.log
check "... and leaves its pool whole" audit_clean evil
stop_europad
PIDS=()
# the hostile VR may send what it likes to port out too (it is a VR): the healthy VR's
# frames are the ones from its MAC (it swapped the addresses)
"$PCAPTOOL" select out1.pcap out1h.pcap --src $H
check "healthy VR's output: byte for byte what it should be" "$PCAPTOOL" cmp h.want out1h.pcap
ctl show >/dev/null 2>&1

# ---------------------------------------------------------------- 2. kill -9 under load
"$PCAPTOOL" gen loop.pcap 512 $H $X
cat >k.conf <<EOF
control = { socket = "$SOCK"; };
ports = (
  { name = "wire"; port = "pcap:loop.pcap,"; loop = true; wait_for_vrs = true; },
  { name = "out"; port = "pcap:,/dev/null"; }
);
vrs = (
  { name = "victim"; slots = 2048; rules = ( { mac = "$X"; } ); },
  { name = "other"; slots = 2048; rules = ( { mac = "$H"; } ); }
);
EOF
start_europad k.conf
bg victim.log "$REFLECT" -t 1 "europad:$SOCK#victim"
VICTIM=$BGPID
bg other.log "$REFLECT" -t 1 "europad:$SOCK#other"
OTHER=$BGPID
wait_until 20 gt vrs.victim.counters.rx_frames 20000 ||
    fail "the victim VR gets no load"
kill -9 "$VICTIM"
wait "$VICTIM" 2>/dev/null
wait_until 10 is vrs.victim.state detached || fail "europad did not notice the kill -9"
check "europad keeps running after a VR was killed under load" alive "$EPID"
check "killed VR: the pool audit shows every slot back" audit_clean victim
check "killed VR: its slots were reclaimed" test "$(val vrs.victim.counters.reclaimed)" -gt 0
d0=$(val vrs.victim.counters.drop_down)
sleep 0.3
check "frames for the dead VR are dropped and counted as VR down" test "$(val vrs.victim.counters.drop_down)" -gt "$d0"
o0=$(val vrs.other.counters.tx_frames)
sleep 0.3
check "the other VR forwards on meanwhile" test "$(val vrs.other.counters.tx_frames)" -gt "$o0"
r0=$(val vrs.victim.counters.rx_frames)
bg victim2.log "$REFLECT" -t 1 "europad:$SOCK#victim"
VICTIM=$BGPID
wait_until 10 is vrs.victim.state attached || fail "the restarted VR could not attach"
check "the restarted VR forwards again" wait_until 10 gt vrs.victim.counters.tx_frames $((r0 + 20000))
kill -TERM "$VICTIM" "$OTHER"
wait "$VICTIM" "$OTHER" 2>/dev/null
wait_until 10 is vrs.victim.state detached
wait_until 10 is vrs.other.state detached
check "both VRs gone: the victim's pool is whole" audit_clean victim
check "both VRs gone: the other's pool is whole" audit_clean other
stop_europad

finish
