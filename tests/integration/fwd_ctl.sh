#!/bin/bash
# tests/integration/fwd_ctl.sh - europa-fwd's configuration and control socket, end to end,
# with the real programs: europa-fwd --vr "inproc:pcap:..." --config --import --control,
# and europactl against it while it runs. No root, no namespaces: the ports are pcap files.
#
#  1. A configuration with an error: europa-fwd refuses to start, naming file and line.
#  2. A good configuration plus an `ip -4 route show` import; N frames from the input pcap
#     are forwarded on p1; europactl's stats (text, JSON, Prometheus) agree with the output
#     pcap and the routes europactl lists.
#  3. Route and neighbour changes through europactl while europa-fwd runs: add, EEXIST,
#     replace, get, del, neigh add/show/del; exit codes 0/1/2/3.
#  4. A second europa-fwd on the same socket path is refused; SIGTERM ends europa-fwd with
#     status 0, its socket removed and the frames in p1's pcap; after a kill -9 the stale
#     socket is refused by europactl and taken over by the next europa-fwd.
source "$(dirname "$0")/switch-common.bash"

FWD=$BUILD/examples/ipv4fwd/europa-fwd
[[ -x $FWD ]] || { echo "$T: FAIL: $FWD is not built"; exit 1; }
N=500
MAC0=02:00:00:00:00:10

cd "$TMP" || exit 1
"$PCAPTOOL" gen in.pcap $N $MAC0 || { echo "$T: FAIL: eu-pcaptool gen"; exit 1; }
VR="inproc:pcap:$TMP/in.pcap,$TMP/out0.pcap;pcap:,$TMP/out1.pcap;pcap:,$TMP/out2.pcap"
CSOCK=$TMP/fwd.sock
export EUROPA_FWD_SOCKET=$CSOCK # europactl's default: no -s below

# fctl <expected status> <args...>: run europactl, output in ctl.out, check the status.
fctl() {
    local want=$1 rc
    shift
    "$EUROPACTL" "$@" >ctl.out 2>&1
    rc=$?
    if [[ $rc -ne $want ]]; then
        fail "europactl $* exited $rc, expected $want: $(head -c 400 ctl.out)"
        return 1
    fi
    return 0
}
has() { grep -qxF -- "$1" ctl.out; }
contains() { grep -qF -- "$1" ctl.out; }

# --- 1. a broken configuration: refused, with its line
cat >bad.conf <<'EOF'
addr add 198.18.0.254/24 dev p0
# a route through a gateway on no port's subnet
route add 198.19.0.0/24 via 198.21.0.2
EOF
"$FWD" --vr "$VR" --config bad.conf --control "$CSOCK" --seconds 5 --quiet >bad.log 2>&1
rc=$?
check "a broken configuration stops europa-fwd (status $rc)" test $rc -ne 0
check "its error names the file and line" grep -q "bad.conf:3: route add 198.19.0.0/24: gateway 198.21.0.2" bad.log
check "no socket is left behind" test ! -e "$CSOCK"
# options out of range are refused before anything starts, naming the option and its range
for bad in "--neigh-reachable 0" "--neigh-gc 5x" "--arp-timeout 0"; do
    # shellcheck disable=SC2086 # the option and its value, two words
    "$FWD" --vr "$VR" $bad --seconds 5 --quiet >badopt.log 2>&1
    rc=$?
    check "europa-fwd $bad: refused with status 2 ($rc)" test $rc -eq 2
    check "europa-fwd $bad: the message names it and its range" grep -qF -- "$bad: give a number from" badopt.log
done

# --- 2. a good configuration and an import
cat >fwd.conf <<EOF
# p0 faces the source (frames from 198.18.0.1), p1 and p2 the sinks
addr add 198.18.0.254/24 dev p0
link set p0 address $MAC0
addr add 198.20.1.1/24 dev p1
link set p1 address 02:00:00:00:00:11
addr add 198.20.2.1/24 dev p2
link set p2 address 02:00:00:00:00:12

route add 198.19.0.0/24 via 198.20.1.2     # the generator's destinations, out of p1
neigh add 198.20.1.2 lladdr 02:00:00:00:01:02 dev p1
neigh add 198.20.2.2 lladdr 02:00:00:00:02:02 dev p2
EOF
cat >routes.txt <<'EOF'
default via 10.0.0.1 dev eth0 proto dhcp src 10.0.0.5 metric 600
10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.5
198.18.64.0/18 via 198.20.2.2 dev p2 proto bgp metric 20
198.20.2.0/24 dev p2 proto kernel scope link src 198.20.2.1 linkdown
blackhole 198.18.128.0/17
EOF
bg fwd.log "$FWD" --vr "$VR" --config fwd.conf --import routes.txt --control "$CSOCK" \
    --seconds 120 --stats-interval 0
FWDPID=$BGPID
wait_until 10 test -S "$CSOCK" || fail "europa-fwd did not create $CSOCK"
check "the import's summary" grep -q "imported 1 routes, skipped 4: 2 on other devices, 1 not unicast, 1 to prefixes already routed" fwd.log
rx_done() { "$EUROPACTL" stats --json 2>/dev/null | grep -q "\"rx\":$N,"; }
wait_until 20 rx_done || fail "europa-fwd did not receive the $N frames"

fctl 0 stats --json && {
    check "stats --json: all $N forwarded" contains "\"fwd\":$N,"
    check "stats --json: p1 sent them" grep -qE "\"name\":\"p1\",\"rx\":0,\"tx\":$N," ctl.out
}
fctl 0 stats && check "stats: text" grep -q "^rx $N fwd $N local 0 dropped 0" ctl.out
fctl 0 stats --prom && {
    check "stats --prom: forwarded counter" has "europa_fwd_forwarded_packets_total $N"
    check "stats --prom: per port" has "europa_fwd_port_tx_packets_total{port=\"p1\"} $N"
    check "stats --prom: drop reasons labelled" has 'europa_fwd_dropped_packets_total{reason="no_route"} 0'
    check "stats --prom: HELP and TYPE before samples" \
        awk '/^# TYPE/{t[$3]=1} /^[a-z]/{n=$1; sub(/\{.*/,"",n); if(!t[n]) exit 1}' ctl.out
}
fctl 0 route show && {
    check "route show: configured route" has "198.19.0.0/24 via 198.20.1.2 dev p1"
    check "route show: imported route" has "198.18.64.0/18 via 198.20.2.2 dev p2 metric 20"
    check "route show: connected route" has "198.20.1.0/24 dev p1 proto kernel scope link src 198.20.1.1"
    check "route show: nothing from eth0" bash -c '! grep -q eth0 ctl.out'
    nroutes=$(wc -l <ctl.out)
    fctl 0 stats --json && check "stats' route count equals route show's ($nroutes)" contains "\"routes\":$nroutes,"
}
fctl 0 ports && check "ports: p1's address and MAC" grep -qE "^p1 +p1 +198.20.1.1/24 +02:00:00:00:00:11" ctl.out

# --- 3. changes while it runs
fctl 0 route add 198.18.4.0/22 via 198.20.1.2 dev p1
fctl 1 route add 198.18.4.0/22 via 198.20.2.2 && check "route add of an existing prefix: EEXIST" contains "exists already"
fctl 0 route replace 198.18.4.0/22 via 198.20.2.2
fctl 0 route get 198.18.5.9 && check "route get follows the replace" has "198.18.5.9 via 198.20.2.2 dev p2 src 198.20.2.1"
fctl 1 route add 198.18.8.0/22 via 198.21.0.2 && check "gateway on no subnet: the message says so" contains "gateway 198.21.0.2 is on no port's subnet"
fctl 0 route del 198.18.4.0/22
fctl 1 route del 198.18.4.0/22 && check "route del of a missing route" contains "no such route"
fctl 0 neigh show && check "neigh show: the static neighbour" has "198.20.1.2 dev p1 lladdr 02:00:00:00:01:02 PERMANENT"
fctl 0 neigh add 198.20.1.3 lladdr 02:00:00:00:01:03 dev p1
wait_until 5 bash -c "\"$EUROPACTL\" neigh show | grep -qx '198.20.1.3 dev p1 lladdr 02:00:00:00:01:03 PERMANENT'" ||
    fail "neigh add did not show up"
fctl 0 neigh del 198.20.1.3
fctl 0 exec "link set p2 mtu 1400"
fctl 0 --json ports && check "exec: mtu set" grep -qE '"name":"p2",[^}]*"mtu":1400' ctl.out
fctl 2 route frobnicate 198.18.0.0/24
fctl 2 stats --json --prom
fctl 3 -s "$TMP/nothing.sock" route show && check "no socket: says so" contains "no such socket"

# --- 4. the socket's life
"$FWD" --vr "inproc:pcap:,/dev/null" --control "$CSOCK" --seconds 5 --quiet >second.log 2>&1
rc=$?
check "a second europa-fwd on a live socket is refused (status $rc)" test $rc -ne 0
check "... saying who serves it" grep -q "is served by a live process (pid $FWDPID)" second.log
kill -TERM "$FWDPID"
wait "$FWDPID"
rc=$?
check "SIGTERM: europa-fwd exits 0 (status $rc)" test $rc -eq 0
check "... and removes its socket" test ! -e "$CSOCK"
check "the $N frames are in p1's output pcap" test "$("$PCAPTOOL" count out1.pcap)" -eq $N

bg fwd2.log "$FWD" --vr "inproc:pcap:,/dev/null" --control "$CSOCK" --seconds 60 --quiet
FWDPID=$BGPID
wait_until 10 test -S "$CSOCK" || fail "europa-fwd did not create $CSOCK"
kill -9 "$FWDPID"
wait "$FWDPID" 2>/dev/null
check "a killed europa-fwd leaves its socket" test -S "$CSOCK"
fctl 3 route show && check "europactl on a stale socket: refused, says so" contains "nothing serves it"
bg fwd3.log "$FWD" --vr "inproc:pcap:,/dev/null" --control "$CSOCK" --seconds 60 --quiet
FWDPID=$BGPID
wait_until 10 bash -c "\"$EUROPACTL\" ports >/dev/null 2>&1" || fail "the stale socket was not taken over"
kill -TERM "$FWDPID"
wait "$FWDPID"
check "the new europa-fwd ends cleanly and removes the socket" test ! -e "$CSOCK"

[[ $FAILED -eq 0 ]] && echo "$T: PASS"
exit $FAILED
