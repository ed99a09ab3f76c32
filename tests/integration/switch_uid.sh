#!/usr/bin/env bash
# tests/integration/switch_uid.sh - who may attach which VR (SO_PEERCRED, SO_PEERGROUPS).
#
# europad runs as root with three VRs: "rootonly" (no users or groups: root only),
# "forme" (users = [65534]) and "bygroup" (groups = [65534]). An unprivileged peer (uid and
# gid 65534, via setpriv) is refused "rootonly" with a message that names its uid, who
# is admitted and how to fix it, and europad logs the refusal and keeps running; the
# same peer attaches "forme" and "bygroup" and gets traffic; europactl as that uid is
# refused with a clear message, and works for root.
#
# Exit: 0 pass, 1 fail, 77 not root or no setpriv.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/switch-common.bash"

need_root "it changes uid with setpriv"
command -v setpriv >/dev/null || skip "no setpriv(1): apt-get install util-linux"
NOBODY=65534
as_nobody() { setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups -- "$@"; }
as_nobody true 2>/dev/null || skip "setpriv cannot switch to uid $NOBODY here"
as_nobody test -x "$REFLECT" || skip "uid $NOBODY cannot run $REFLECT (build tree not readable)"

cd "$TMP" || exit 1
"$PCAPTOOL" gen in.pcap 300 02:00:00:00:00:01 02:00:00:00:00:02 02:00:00:00:00:03
chmod 644 in.pcap
cat >u.conf <<EOF
control = { socket = "$SOCK"; mode = "0666"; };
ports = ( { name = "wire"; port = "pcap:in.pcap,$TMP/out.pcap"; } );
vrs = (
  { name = "rootonly"; rules = ( { mac = "02:00:00:00:00:01"; } ); },
  { name = "forme"; users = [ $NOBODY ]; rules = ( { mac = "02:00:00:00:00:02"; } ); },
  { name = "bygroup"; groups = [ $NOBODY ]; rules = ( { mac = "02:00:00:00:00:03"; } ); }
);
EOF
start_europad u.conf

if as_nobody "$REFLECT" -i 200 "europad:$SOCK#rootonly" >refused.log 2>&1; then
    fail "uid $NOBODY attached a VR that admits only root"
else
    cat refused.log
    check "wrong uid: refused, the message names the uid" grep -q "uid $NOBODY (nobody) gid $NOBODY may not attach VR rootonly" refused.log
    check "wrong uid: the message says who is admitted" grep -q "which admits users root(0); groups none" refused.log
    check "wrong uid: the message says how to fix it" grep -q "add the user to the users or groups of VR rootonly in" refused.log
fi
check "europad logged the refusal" grep -q "refused pid .*uid $NOBODY" "$TMP/europad.log"
check "europad keeps running after a refusal" alive "$EPID"
check "the refusal is counted" is vrs.rootonly.refusals 1
check "the refused VR stays detached" is vrs.rootonly.state detached

bg forme.log as_nobody "$REFLECT" -i 1500 "europad:$SOCK#forme"
P1=$BGPID
check "uid $NOBODY attaches the VR that lists it in users" wait_until 10 is vrs.forme.state attached
check "europactl shows its uid" is vrs.forme.uid $NOBODY
bg bygroup.log as_nobody "$REFLECT" -i 1500 "europad:$SOCK#bygroup"
P2=$BGPID
check "uid $NOBODY attaches the VR that lists its group" wait_until 10 is vrs.bygroup.state attached
# the pcap input went by before these VRs attached (their frames were dropped as VR
# down); attaching and serving is what is checked here
wait "$P1"
check "the unprivileged VR ran and left cleanly" test $? -eq 0
wait "$P2"
if as_nobody "$EUROPACTL" -s "$SOCK" show >ctl.log 2>&1; then
    fail "europactl as uid $NOBODY read europad's state"
else
    check "europactl as a stranger: refused with a clear message" grep -q "uid $NOBODY (nobody) may not read europad's state" ctl.log
fi
check "europactl as root works" ctl show >/dev/null
bg busy1.log "$REFLECT" -i 3000 "europad:$SOCK#rootonly"
B1=$BGPID
wait_until 10 is vrs.rootonly.state attached
if "$REFLECT" -i 100 "europad:$SOCK#rootonly" >busy2.log 2>&1; then
    fail "a second process attached an attached VR"
else
    check "a second process on an attached VR is refused, naming the first" grep -q "is attached already, by pid $B1" busy2.log
fi
kill -TERM "$B1"
wait "$B1"
stop_europad
PIDS=()
finish
