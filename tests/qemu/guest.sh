#!/bin/sh
# tests/qemu/guest.sh - /init of the QEMU harness's guest (busybox sh).
#
# Loads e1000 and europa.ko, then runs the kernel switch tests against the
# host peer (tests/qemu/qnet.h draws the network) and prints, on the serial
# console:
#   EUQ: ...             progress
#   EUQ-FAIL: ...        a failed check
#   EUQ-RATE ...         forwarding rates (frames/s) of the forwarders
#   EUQ-CPU ...          guest CPU time per forwarded frame (ns) of the forwarders
#   EUQ-CPURATIO ...     that cost against the kernel's and the conventional one's
#   EUQ-TCP ...          iperf3 TCP through the forwarders (Mbit/s; euq.tcp=1)
#   EUQ-RESULT PASS|FAIL
# then powers off. run.sh reads these lines.
export PATH=/bin:/sbin
export LD_LIBRARY_PATH=/lib  # the libraries of europactl and europa-fwd (run.sh)
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /tmp /run
mount -t tmpfs tmp /tmp

FAILS=0
say() { echo "EUQ: $*"; }
fail() {
    echo "EUQ-FAIL: $*"
    FAILS=$((FAILS + 1))
}
# kv "line" key: the value of key=value in a line
kv() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1; }
cmdarg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | head -n 1; }
finish() {
    say "dmesg check"
    if dmesg | grep -E 'WARNING:|BUG:|Oops|Call Trace|general protection fault|KASAN|UBSAN|list_(add|del) corruption|refcount_t:|unreferenced object|Kernel panic|blocked for more than|soft lockup|detected stall' >/tmp/splat; then
        fail "kernel log has a splat:"
        cat /tmp/splat
    fi
    if [ "$FAILS" -eq 0 ]; then echo "EUQ-RESULT PASS"; else echo "EUQ-RESULT FAIL $FAILS"; fi
    sync
    poweroff -f
}

SECS=$(cmdarg euq.secs)
TXRX=$(cmdarg euq.txrx)  # the module's tx_in_rx for the functional tests (run.sh: EUQ_TX_IN_RX)
PPS=$(cmdarg euq.pps)
[ -n "$SECS" ] || SECS=5
[ -n "$PPS" ] || PPS=100000
Q=/bin/eu-qtest
A_MAC=02:ee:00:00:0a:02
B_MAC=02:ee:00:00:0b:02
G0_MAC=52:54:00:ee:00:01
G1_MAC=52:54:00:ee:00:02
VR1=02:ee:00:00:00:01
VR2=02:ee:00:00:00:02
VR3=02:ee:00:00:00:03
SOCK=02:ee:00:00:00:f0
ROUTES="198.19.0.0/16@1=$B_MAC 198.18.0.0/16@0=$A_MAC"

say "kernel $(uname -r), $(nproc) CPU(s)"
# deep rx rings: absorb the stretches when the host does not run the guest's CPUs
insmod /lib/e1000.ko RxDescriptors=4096,4096 TxDescriptors=1024,1024 || { fail "insmod e1000"; finish; }
i=0
while [ ! -e /sys/class/net/eth1 ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
ip link set lo up
ip link set eth0 up && ip link set eth1 up || { fail "no eth0/eth1"; finish; }
ip addr add 198.18.1.1/24 dev eth0
ip addr add 198.19.1.1/24 dev eth1
sleep 2
ping -c 2 -W 2 198.18.1.2 >/dev/null || fail "peer A not reachable without the module"
ping -c 2 -W 2 198.19.1.2 >/dev/null || fail "peer B not reachable without the module"
insmod /lib/europa.ko ${SPIN:+spin_us=$SPIN} ${TXRX:+tx_in_rx=$TXRX} || { fail "insmod europa.ko"; finish; }
[ -c /dev/europa ] || { fail "/dev/europa missing"; finish; }
say "europa.ko loaded"

# ctl TIMEOUT ARGS...: run a peer job, print its DONE line ("" on timeout)
ctl() { $Q ctl "$@" | grep '^DONE' ; }

# start_vr NAME SPEC: a forwarding VR in the background, waits for READY
start_vr() {
    rm -f /tmp/$1.log
    : >/tmp/$1.log
    $PIN $Q fwd "$2" $ROUTES >>/tmp/$1.log 2>&1 &
    eval "PID_$1=$!"
    i=0
    while ! grep -q READY /tmp/$1.log && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
    grep -q READY /tmp/$1.log || { fail "VR $1 did not start: $(cat /tmp/$1.log)"; return 1; }
}

# stop_vr NAME: SIGTERM, wait, then KSTATS/FWD lines in $KST/$FWD
stop_vr() {
    eval "p=\$PID_$1"
    kill -TERM "$p" 2>/dev/null
    wait "$p"
    KST=$(grep '^KSTATS' /tmp/$1.log)
    FWD=$(grep '^FWD' /tmp/$1.log)
    say "$1: $FWD"
    say "$1: $KST"
}

# europa-fwd (examples/ipv4fwd) unchanged on the kernel switch, as VR $VR1: its
# configuration in ip(8) syntax; its ports are named after the netdevs
cat >/tmp/efwd.conf <<EOF
link set eth0 address $VR1
link set eth1 address $VR1
addr add 198.18.1.254/24 dev eth0
addr add 198.19.1.254/24 dev eth1
neigh add 198.18.1.2 lladdr $A_MAC dev eth0
neigh add 198.19.1.2 lladdr $B_MAC dev eth1
route add 198.18.0.0/16 via 198.18.1.2 dev eth0
route add 198.19.0.0/16 via 198.19.1.2 dev eth1
EOF
# start_efwd [KDEV_OPTS]: europa-fwd --vr kdev:... in the background, until it routes
start_efwd() {
    : >/tmp/efwd.log
    $PIN europa-fwd --vr "kdev:/dev/europa#port=eth0,port=eth1,mac=$VR1$1" \
        --config /tmp/efwd.conf --stats-interval 0 >/tmp/efwd.log 2>&1 &
    PID_efwd=$!
    i=0
    while ! grep -q 'routing on' /tmp/efwd.log && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
    grep -q 'routing on' /tmp/efwd.log || { fail "europa-fwd did not start: $(cat /tmp/efwd.log)"; return 1; }
}
# stop_efwd: SIGTERM, wait; its summary line in $EFWD, its forwarded count in $EFWD_N
stop_efwd() {
    kill -TERM "$PID_efwd" 2>/dev/null
    wait "$PID_efwd" || fail "europa-fwd exited with an error: $(cat /tmp/efwd.log)"
    EFWD=$(grep '^europa-fwd: .* rx [0-9]* fwd' /tmp/efwd.log | head -n 1)
    EFWD_N=$(echo "$EFWD" | sed -n 's/.* fwd \([0-9]*\) .*/\1/p')
    say "europa-fwd: $EFWD"
}
# ctl_vr_pkts DIR: from `europactl kdev --json` with one live VR, its rx or tx frames
ctl_vr_pkts() {
    europactl kdev --json >/tmp/ctl.json 2>&1 || { cat /tmp/ctl.json; return; }
    awk -v d="\"$1\": {" 'index($0, d) { r = 1 } r && /"pkts":/ { v = $2; sub(",", "", v); print v; exit }' /tmp/ctl.json
}

# expect_eq WHAT GOT WANT
expect_eq() {
    if [ "$2" = "$3" ]; then say "ok: $1 = $2"; else fail "$1 = '$2', expected '$3'"; fi
}

# expect_most WHAT GOT SENT: at least half delivered. Frames can be lost on the way
# into the guest when a busy host does not run QEMU for a while (its socket buffer
# overflows), never inside the guest without a counter saying so: the exact check is
# that the module's and the VR's counters equal what the peer received.
expect_most() {
    if [ -n "$2" ] && [ "$3" -gt 0 ] && [ $(($2 * 2)) -ge "$3" ]; then
        say "ok: $1: $2 of $3"
    else
        fail "$1: '$2' of $3 delivered"
    fi
}

# check_europactl HOSTILE_KSTATS HEALTHY_RX: `europactl kdev` (text and JSON) shows
# the hostile VR's refusals exactly as the VR itself read them, none for the healthy
# VR, whose rx counter is what the peer got, and module totals that include them.
check_europactl() {
    hid=$(kv "$1" vr_id)
    europactl kdev >/tmp/ctl.txt 2>&1 || fail "europactl kdev: $(cat /tmp/ctl.txt)"
    europactl kdev --json >/tmp/ctl.json 2>&1 || fail "europactl kdev --json: $(cat /tmp/ctl.json)"
    sed 's/^/EUQ:   /' /tmp/ctl.txt
    # text: the REFUSED column of the hostile VR's row
    expect_eq "europactl: hostile VR $hid refused (text)" \
        "$(awk -v id="$hid" '$1 == id { print $9 }' /tmp/ctl.txt)" "$(bad_sum "$1")"
    # JSON: every reason of the VR with that id, and of the other (healthy) VR
    J=$(awk -v id="$hid" '
        /"id":/ { v = $2; sub(",", "", v); who = (v == id) ? "h" : "o" }
        /"refused": \{/ { r = 1; next }
        r && /\}/ { r = 0 }
        r { k = $1; gsub(/[":]/, "", k); v = $2; sub(",", "", v); printf "%s_%s=%s ", who, k, v }
        /"rx_pkts":/ && !r { v = $2; sub(",", "", v); rx = v }
        /"pkts":/ && who == "o" && !seen { v = $2; sub(",", "", v); printf "o_rx=%s ", v; seen = 1 }
        ' /tmp/ctl.json)
    for k in idx owner state len port ring; do
        expect_eq "europactl --json: hostile VR refused $k" "$(kv "$J" h_$k)" "$(kv "$1" bad_$k)"
    done
    expect_eq "europactl --json: healthy VR refused" "$(kv "$J" o_total)" 0
    expect_eq "europactl --json: healthy VR rx = frames the peer got" "$(kv "$J" o_rx)" "$2"
    T=$(awk '/"module"/ { m = 1 } m && /"refused": \{/ { r = 1; next } r && /"total"/ { v = $2; sub(",", "", v); print v; exit }' /tmp/ctl.json)
    if [ -n "$T" ] && [ "$T" -ge "$(bad_sum "$1")" ]; then
        say "ok: europactl: module-wide refusals $T include the hostile VR's"
    else
        fail "europactl: module-wide refusals '$T' < the hostile VR's $(bad_sum "$1")"
    fi
}

# udp_most DIR VIA COUNT: a UDP job at 1000/s, run once more if less than half got
# through (a host too busy to run the guest drops frames before they reach it; the
# exact checks compare the module's counters with what the peer received, all tries
# included): $LAST is the last try's delivered count, $GOT the sum over the tries
udp_most() {
    GOT=0
    for try in 1 2; do
        R=$(ctl 60 udp dir=$1 via=$2 count=$3 pps=1000); say "$R"
        LAST=$(kv "$R" recv)
        LAST=${LAST:-0}
        GOT=$((GOT + LAST))
        [ $((LAST * 2)) -ge "$3" ] && return 0
        [ $try = 1 ] && say "less than half of $3 delivered (host busy?): once more"
    done
}

bad_sum() {
    echo $(($(kv "$1" bad_idx) + $(kv "$1" bad_owner) + $(kv "$1" bad_state) + $(kv "$1" bad_len) + $(kv "$1" bad_port) + $(kv "$1" bad_ring)))
}

PIN=""
ONLY=$(cmdarg euq.only)
SPIN=$(cmdarg euq.spin)
if [ "$ONLY" = rates ]; then say "euq.only=rates: skipping the functional tests"; fi
if [ "$ONLY" != rates ]; then
# ---------------------------------------------------------------- 1. API
say "== 1. device API, region layout and validation"
$Q check-api eth0 eth1 >/tmp/api.log 2>&1 || fail "check-api"
sed 's/^/EUQ:   /' /tmp/api.log

# ----------------------------------------------------- 2. forwarding, counters
say "== 2. one VR forwards ping and UDP both ways; counters agree end to end"
if start_vr vr1 "kdev:#port=eth0,port=eth1,mac=$VR1"; then
    # every frame the peer got through the VR was counted once by the module and the VR
    SUM=0
    R=$(ctl 30 ping dir=ab via=$VR1 count=20); say "$R"
    expect_most "ping a->b replies" "$(kv "$R" replies)" 20
    SUM=$((SUM + $(kv "$R" at_dst) + $(kv "$R" replies)))
    R=$(ctl 30 ping dir=ba via=$VR1 count=20); say "$R"
    expect_most "ping b->a replies" "$(kv "$R" replies)" 20
    SUM=$((SUM + $(kv "$R" at_dst) + $(kv "$R" replies)))
    R=$(ctl 30 udp dir=ab via=$VR1 count=1000); say "$R"
    expect_most "udp a->b received" "$(kv "$R" recv)" 1000
    expect_eq "udp a->b dup+bad_ttl" "$(($(kv "$R" dup) + $(kv "$R" bad_ttl)))" 0
    SUM=$((SUM + $(kv "$R" recv)))
    R=$(ctl 30 udp dir=ba via=$VR1 count=1000); say "$R"
    expect_most "udp b->a received" "$(kv "$R" recv)" 1000
    expect_eq "udp b->a dup+bad_ttl" "$(($(kv "$R" dup) + $(kv "$R" bad_ttl)))" 0
    SUM=$((SUM + $(kv "$R" recv)))
    ping -c 2 -W 2 198.18.1.2 >/dev/null || fail "host stack lost eth0 while a VR is attached"
    stop_vr vr1
    expect_eq "module rx_pkts = frames the peer got" "$(kv "$KST" rx_pkts)" "$SUM"
    expect_eq "module tx_pkts = frames the peer got" "$(kv "$KST" tx_pkts)" "$SUM"
    expect_eq "VR rx" "$(kv "$FWD" rx)" "$SUM"
    expect_eq "VR tx" "$(kv "$FWD" tx)" "$SUM"
    expect_eq "refusals" "$(bad_sum "$KST")" 0
    expect_eq "rx drops" "$(($(kv "$KST" rx_nofree) + $(kv "$KST" rx_ringfull) + $(kv "$KST" tx_err)))" 0
fi

# ------------------------------------------- 2b. europa-fwd on the kernel switch
say "== 2b. europa-fwd --vr kdev: (unchanged) forwards ping and UDP both ways"
if [ ! -x /bin/europa-fwd ]; then
    say "europa-fwd not in the initramfs (run.sh: EUQ_EUROPA_FWD): skipped"
elif start_efwd; then
    SUM=0
    R=$(ctl 30 ping dir=ab via=$VR1 count=20); say "$R"
    expect_most "europa-fwd: ping a->b replies" "$(kv "$R" replies)" 20
    SUM=$((SUM + $(kv "$R" at_dst) + $(kv "$R" replies)))
    R=$(ctl 30 ping dir=ba via=$VR1 count=20); say "$R"
    expect_most "europa-fwd: ping b->a replies" "$(kv "$R" replies)" 20
    SUM=$((SUM + $(kv "$R" at_dst) + $(kv "$R" replies)))
    R=$(ctl 30 udp dir=ab via=$VR1 count=1000); say "$R"
    expect_most "europa-fwd: udp a->b received" "$(kv "$R" recv)" 1000
    expect_eq "europa-fwd: udp a->b dup+bad_ttl" "$(($(kv "$R" dup) + $(kv "$R" bad_ttl)))" 0
    SUM=$((SUM + $(kv "$R" recv)))
    R=$(ctl 30 udp dir=ba via=$VR1 count=1000); say "$R"
    expect_most "europa-fwd: udp b->a received" "$(kv "$R" recv)" 1000
    expect_eq "europa-fwd: udp b->a dup+bad_ttl" "$(($(kv "$R" dup) + $(kv "$R" bad_ttl)))" 0
    SUM=$((SUM + $(kv "$R" recv)))
    if [ -x /bin/europactl ]; then
        expect_eq "europactl: europa-fwd's VR rx = frames the peer got" "$(ctl_vr_pkts rx)" "$SUM"
        expect_eq "europactl: europa-fwd's VR tx = frames the peer got" "$(ctl_vr_pkts tx)" "$SUM"
    fi
    stop_efwd
    expect_eq "europa-fwd forwarded = frames the peer got" "$EFWD_N" "$SUM"
fi

# ------------------------------------------------------ 3. two VRs, two rules
say "== 3. two VRs with different rules each get exactly their own traffic"
if start_vr vr1 "kdev:#port=eth0,port=eth1,mac=$VR1" &&
    start_vr vr2 "kdev:#port=eth0,port=eth1,mac=$VR2.100@0,mac=$VR2@1"; then
    R=$(ctl 30 udp dir=ab via=$VR1 count=200); say "$R"
    expect_most "VR1 (untagged) delivered" "$(kv "$R" recv)" 200
    N1=$(kv "$R" recv)
    R=$(ctl 30 udp dir=ab via=$VR2 vlan=100 count=300); say "$R"
    expect_most "VR2 (VLAN 100) delivered" "$(kv "$R" recv)" 300
    N2=$(kv "$R" recv)
    R=$(ctl 30 udp dir=ab via=$VR2 count=50); say "$R"
    expect_eq "VR2's MAC untagged on port 0 (no rule)" "$(kv "$R" recv)" 0
    R=$(ctl 30 udp dir=ab via=$VR1 vlan=100 count=50); say "$R"
    expect_eq "VR1's MAC on VLAN 100 (no rule)" "$(kv "$R" recv)" 0
    stop_vr vr1
    expect_eq "VR1 module rx_pkts (its frames only)" "$(kv "$KST" rx_pkts)" "$N1"
    stop_vr vr2
    expect_eq "VR2 module rx_pkts (its frames only)" "$(kv "$KST" rx_pkts)" "$N2"
    expect_eq "VR2 tagged frames forwarded" "$(kv "$FWD" tx)" "$N2"
fi

# ------------------------------------------------ 4. hostile VR beside a healthy one
say "== 4. a hostile VR beside a healthy one"
if start_vr vr1 "kdev:#port=eth0,port=eth1,mac=$VR1"; then
    $Q hostile "kdev:#port=eth0,port=eth1,mac=$VR3,slots=256" 15 12345 linger >/tmp/hostile.log 2>&1 &
    HPID=$!
    sleep 1
    R=$(ctl 60 udp dir=ab via=$VR3 count=2000 pps=1000); say "into the hostile VR: $R"
    udp_most ab $VR1 1000
    expect_most "healthy VR delivered beside the hostile one" "$LAST" 1000
    N1=$GOT
    udp_most ba $VR1 1000
    expect_most "healthy VR delivered (b->a)" "$LAST" 1000
    N1=$((N1 + GOT))
    i=0
    while ! grep -q LINGER /tmp/hostile.log && [ $i -lt 150 ]; do sleep 0.2; i=$((i + 1)); done
    H=$(grep '^KSTATS' /tmp/hostile.log)
    # europactl reads the same counters from outside, while both VRs are alive and quiet
    if [ -x /bin/europactl ]; then
        check_europactl "$H" "$N1"
    else
        say "europactl not in the initramfs (run.sh: EUQ_EUROPACTL): its checks skipped"
    fi
    kill -TERM $HPID
    wait $HPID || fail "hostile VR exited with an error"
    say "hostile: $(grep '^HOSTILE' /tmp/hostile.log)"
    say "hostile: $H"
    B=$(bad_sum "$H")
    if [ -n "$B" ] && [ "$B" -gt 0 ]; then say "ok: module refused $B bad entries"; else fail "no refusals counted for the hostile VR"; fi
    stop_vr vr1
    expect_eq "healthy VR refusals" "$(bad_sum "$KST")" 0
    expect_eq "healthy VR module rx_pkts = frames the peer got" "$(kv "$KST" rx_pkts)" "$N1"
    expect_eq "healthy VR module tx_pkts = frames the peer got" "$(kv "$KST" tx_pkts)" "$N1"
fi

# ------------------------------------------------------ 5. kill -9 under load
say "== 5. kill -9 a VR under load: every slot comes back"
I0=$($Q info)
if start_vr vr1 "kdev:#port=eth0,port=eth1,mac=$VR1,slots=1024"; then
    $Q ctl 30 blast dir=ab via=$VR1 secs=4 pps=20000 >/tmp/blast.log &
    CPID=$!
    sleep 2
    kill -9 "$PID_vr1"
    wait "$PID_vr1" 2>/dev/null
    wait $CPID
    sleep 1
    I1=$($Q info)
    say "before: $I0"
    say "after:  $I1"
    expect_eq "live VRs after kill" "$(kv "$I1" vrs_active)" 0
    expect_eq "live slots after kill" "$(kv "$I1" slots_active)" 0
    expect_eq "slots lost" "$(kv "$I1" slots_lost)" 0
    expect_eq "ports attached after kill" "$(kv "$I1" ports_active)" 0
    L=$(dmesg | grep 'europa: vr .* released' | tail -n 1)
    say "$L"
    HELD=$(echo "$L" | sed -n 's/.*switch held \([0-9]*\), reclaimed \([0-9]*\).*/\1/p')
    RECL=$(echo "$L" | sed -n 's/.*switch held \([0-9]*\), reclaimed \([0-9]*\).*/\2/p')
    expect_eq "held + reclaimed" "$((HELD + RECL))" 1024
    expect_eq "reclaimed counter grew by" "$(($(kv "$I1" slots_reclaimed) - $(kv "$I0" slots_reclaimed)))" "$RECL"
    if start_vr vr1 "kdev:#port=eth0,port=eth1,mac=$VR1"; then
        R=$(ctl 30 udp dir=ab via=$VR1 count=200); say "$R"
        expect_most "a new VR on the same MAC after the kill" "$(kv "$R" recv)" 200
        # ---------------------------------------------- 6. unload
        say "== 6. module unload"
        if rmmod europa 2>/dev/null; then fail "rmmod succeeded with a VR open"; else say "ok: rmmod refused while a VR is open"; fi
        stop_vr vr1
    fi
fi
rmmod europa || fail "rmmod europa with no VR open"
[ -e /dev/europa ] && fail "/dev/europa still there after rmmod"
ip link show eth0 | grep -q PROMISC && fail "eth0 left promiscuous"
ping -c 2 -W 2 198.18.1.2 >/dev/null || fail "host stack lost eth0 after unload"
insmod /lib/europa.ko ${SPIN:+spin_us=$SPIN} ${TXRX:+tx_in_rx=$TXRX} || fail "reload europa.ko"

fi # euq.only

# ----------------------------------------------------------- 7. rates
ROUNDS=$(cmdarg euq.rounds)
[ -n "$ROUNDS" ] || ROUNDS=3
say "== 7. forwarding rate, 64-byte UDP a->b, ${SECS}s each, offered ${PPS}/s, median of $ROUNDS rounds"
# With euq.pin=1 (run.sh: EUQ_PIN=1), the usual placement for a forwarding benchmark:
# the NICs' interrupts (so their NAPI softirq, where the kernel forwards and europa.ko
# receives) on CPU 0, the user-mode forwarders (VR, sockfwd) on CPU 1. Off by default:
# under TCG on a 2-core host it measured no better (docs/kmod.md).
if [ "$(cmdarg euq.pin)" = 1 ] && [ "$(nproc)" -ge 2 ]; then
    for irq in $(grep -E 'eth[01]' /proc/interrupts | cut -d: -f1); do
        echo 1 >/proc/irq/$irq/smp_affinity || fail "cannot steer IRQ $irq to CPU 0"
    done
    PIN="taskset -c 1"
    say "e1000 interrupts on CPU 0, forwarders pinned to CPU 1"
fi
# median N...: the middle value (the lower middle of an even count)
median() { echo "$@" | tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print (NR ? a[int((NR + 1) / 2)] : 0) }'; }
# snap FILE: guest CPU times and the NICs' counters, for diag
snap() {
    {
        head -n 1 /proc/stat
        for d in eth0 eth1; do
            for c in rx_packets rx_missed_errors rx_fifo_errors rx_dropped tx_packets; do
                echo "$d.$c $(cat /sys/class/net/$d/statistics/$c)"
            done
        done
    } >"$1"
}
# diag BEFORE AFTER: where the guest's time went between two snaps, and what the NICs saw
diag() {
    awk 'NR == FNR { if ($1 == "cpu") { for (i = 2; i <= NF; i++) c0[i] = $i } else a[$1] = $2; next }
        { if ($1 == "cpu") { for (i = 2; i <= NF; i++) { d[i] = $i - c0[i]; t += d[i] } } else b[$1] = $2 - a[$1] }
        END { if (t <= 0) t = 1;
            printf "guest cpu: user %.0f%% sys %.0f%% irq+softirq %.0f%% idle %.0f%%; eth0 rx %d missed %d fifo %d dropped %d; eth1 tx %d",
                100 * (d[2] + d[3]) / t, 100 * d[4] / t, 100 * (d[7] + d[8]) / t, 100 * (d[5] + d[6]) / t,
                b["eth0.rx_packets"], b["eth0.rx_missed_errors"], b["eth0.rx_fifo_errors"],
                b["eth0.rx_dropped"], b["eth1.tx_packets"] }' "$1" "$2"
}
# busy BEFORE AFTER: guest CPU time (USER_HZ ticks, every CPU) between two snaps, idle and
# iowait excluded: user, nice, system, irq, softirq (steal and guest are not the guest's own)
busy() {
    awk 'NR == FNR { if ($1 == "cpu") for (i = 2; i <= NF; i++) c0[i] = $i; next }
        $1 == "cpu" { for (i = 2; i <= 8; i++) if (i != 5 && i != 6) b += $i - c0[i] }
        END { print b + 0 }' "$1" "$2"
}
# blast NAME VIA: one paced run a->b through the forwarder at MAC VIA; its rate in $RX,
# and the guest CPU time it cost per frame the peer received, in ns, in $CPF (all
# guest CPUs, idle excluded, over the whole run: cost per frame, whatever the host let
# through)
blast() {
    snap /tmp/s0
    R=$(ctl $((SECS + 30)) blast dir=ab via=$2 secs=$SECS pps=$PPS)
    snap /tmp/s1
    RX=$(kv "$R" rx_pps)
    [ -n "$RX" ] || RX=0
    N=$(kv "$R" recv)
    T=$(busy /tmp/s0 /tmp/s1)
    CPF=0
    # ticks of 1/100 s (USER_HZ) -> ns per frame
    if [ -n "$N" ] && [ "$N" -gt 0 ]; then CPF=$((T * 10000000 / N)); fi
    say "round $r $1: $R"
    say "round $r $1: $(diag /tmp/s0 /tmp/s1); busy ${T}0 ms, ${CPF} ns/frame"
}
# rec NAME: append this run's $RX and $CPF to the lists of forwarder NAME
rec() {
    eval "L_$1=\"\$L_$1 $RX\"; C_$1=\"\$C_$1 $CPF\"; P_$1=$CPF"
}
# eu_rate NAME TX_IN_WRITE [TX_IN_RX]: a VR (eu-qtest fwd) on europa.ko, the module's
# transmit mode set first
eu_rate() {
    echo "$2" >/sys/module/europa/parameters/tx_in_write
    echo "${3:-0}" >/sys/module/europa/parameters/tx_in_rx
    RX=0 CPF=0
    # a pool deep enough for the stretches when the host does not run the VR's CPU,
    # as the e1000 rings are for the kernel (RxDescriptors above)
    if start_vr vr1 "kdev:#port=eth0,port=eth1,mac=$VR1,slots=8192"; then
        blast "$1" $VR1
        stop_vr vr1
    fi
}
# efwd_rate NAME TX_IN_RX: europa-fwd on europa.ko (tx-in-write), tx_in_rx set first
efwd_rate() {
    echo 1 >/sys/module/europa/parameters/tx_in_write
    echo "$2" >/sys/module/europa/parameters/tx_in_rx
    RX=0 CPF=0
    if start_efwd ",slots=8192"; then
        blast "$1" $VR1
        stop_efwd
    fi
}
# ratio A B: 1000 * A / B (integers), "" when B is 0
ratio() { if [ "${2:-0}" -gt 0 ]; then echo $(($1 * 1000 / $2)); fi; }
# milli X: 1234 -> 1.234
milli() { [ -n "$1" ] && awk -v x="$1" 'BEGIN { printf "%.2f", x / 1000 }'; }
# the forwarders measured in every round (eu_tx: europa-fwd needs /bin/europa-fwd)
FWDS="europa europa_thread europa_rx"
TXRX_DEF=$(cat /sys/module/europa/parameters/tx_in_rx)
[ -x /bin/europa-fwd ] && FWDS="$FWDS europa_fwd europa_fwd_rx"
r=0
while [ $r -lt "$ROUNDS" ]; do
    r=$((r + 1))
    # the module's tx-in-write alone, its transmit thread alone, and tx-in-write with
    # the receive path transmitting (tx_in_rx): before/after in the same boot
    eu_rate europa 1 0
    rec europa
    eu_rate europa-thread 0 0
    rec europa_thread
    eu_rate europa-rx 1 1
    rec europa_rx
    if [ "$(cmdarg euq.placed)" = 1 ] && [ "$(nproc)" -ge 2 ]; then
        # placement experiment: the VR on CPU 1, its transmit thread on CPU 0
        echo 0 >/sys/module/europa/parameters/tx_in_write
        echo 0 >/sys/module/europa/parameters/tx_in_rx
        RX=0 CPF=0
        P0=$PIN
        PIN="taskset -c 1"
        if start_vr vr1 "kdev:#port=eth0,port=eth1,mac=$VR1,slots=8192"; then
            for p in /proc/[0-9]*; do
                case "$(cat $p/comm 2>/dev/null)" in
                europa-tx/*) taskset -p -c 0 "${p#/proc/}" >/dev/null || fail "cannot pin $p" ;;
                esac
            done
            blast europa-placed $VR1
            stop_vr vr1
        fi
        PIN=$P0
        rec europa_placed
    fi
    if [ "$(cmdarg euq.nospin)" = 1 ]; then
        # experiment: the VR sleeps as soon as its rx ring is empty (no spinning)
        export EUQ_POLL=0,0
        eu_rate europa-nospin 1 0
        unset EUQ_POLL
        rec europa_nospin
    fi
    if [ -x /bin/europa-fwd ]; then
        efwd_rate europa-fwd 0
        rec europa_fwd
        efwd_rate europa-fwd-rx 1
        rec europa_fwd_rx
    fi
    # back to the defaults the module was loaded with
    echo 1 >/sys/module/europa/parameters/tx_in_write
    echo "$TXRX_DEF" >/sys/module/europa/parameters/tx_in_rx
    sysctl -w net.ipv4.ip_forward=1 >/dev/null
    ping -c 1 -W 2 198.19.1.2 >/dev/null
    blast kernel $G0_MAC
    rec kernel
    sysctl -w net.ipv4.ip_forward=0 >/dev/null
    $PIN $Q sockfwd $SOCK eth0 eth1 $ROUTES >/tmp/sock.log 2>&1 &
    SPID=$!
    sleep 1
    blast sockfwd $SOCK
    rec sockfwd
    kill -TERM $SPID
    wait $SPID
    # this round's CPU cost per frame against the kernel's and the conventional one's
    for f in $FWDS; do
        eval "c=\$P_$f"
        eval "QK_$f=\"\$QK_$f $(ratio "$c" "$P_kernel")\"; QS_$f=\"\$QS_$f $(ratio "$c" "$P_sockfwd")\""
    done
done
LINE="" CLINE="" QLINE="" RLIST=""
for f in $FWDS kernel sockfwd europa_placed europa_nospin; do
    eval "l=\$L_$f c=\$C_$f qk=\$QK_$f qs=\$QS_$f"
    [ -n "$l" ] || continue
    RLIST="$RLIST; $f:$l"
    LINE="$LINE $f=$(median $l)"
    CLINE="$CLINE $f=$(median $c)"
    if [ -n "$qk$qs" ]; then QLINE="$QLINE ${f}_kernel=$(milli "$(median $qk)") ${f}_sockfwd=$(milli "$(median $qs)")"; fi
done
say "rounds (frames/s)${RLIST}"
for f in $FWDS kernel sockfwd; do eval "say \"rounds (ns/frame) $f:\$C_$f\""; done
echo "EUQ-RATE$LINE offered=$PPS secs=$SECS rounds=$ROUNDS"
echo "EUQ-CPU$CLINE"
echo "EUQ-CPURATIO$QLINE"

# ---------------------------------------------------------- 7b. TCP (euq.tcp=1)
# iperf3 from host namespace A to B through each forwarder (the peer relays its TAPs,
# qnet.h): data a->b and ACKs b->a, so each forwarder routes both directions. The
# receiver's Mbit/s, the median of euq.tcprounds rounds (default 1); a forwarder that
# moves nothing fails (TCP must work through it), a slow one does not. GRO off on both
# NICs: europa.ko and the AF_PACKET forwarder take frames, and GRO's merged skbs exceed
# a slot (europa.ko counts them rx_toobig and TCP stalls) or the recvfrom buffer, so
# every path gets the same wire frames; the kernel is measured once more with GRO on,
# as it runs by default (kernel_gro), and so is europa.ko (europa_gro), which cuts the
# merged skbs back into frames (europa_port.c: eu_rx_gso) and so must carry TCP too.
# tcp_job NAME VIA VIAB: one run, A's gateway at MAC VIA and B's at VIAB; Mbit/s appended
# to TL_NAME
tcp_job() {
    R=$(ctl $((SECS + 60)) tcp via=$2 viab=$3 secs=$SECS)
    say "round $tround tcp $1: ${R:-no answer from the peer}"
    M=$(kv "$R" mbps)
    eval "TL_$1=\"\$TL_$1 ${M:-0}\""
    case "${M:-0}" in
    0 | 0.0) fail "TCP through $1 moved nothing: ${R:-no answer}" ;;
    esac
}
# fmedian X...: the middle value of decimals (the lower middle of an even count)
fmedian() {
    echo "$@" | awk '{ for (i = 1; i <= NF; i++) { v = $i + 0; for (j = i - 1; j >= 1 && a[j] > v; j--) a[j + 1] = a[j]; a[j + 1] = v }
        printf "%.1f", NF ? a[int((NF + 1) / 2)] : 0 }'
}
if [ "$(cmdarg euq.tcp)" = 1 ]; then
    TROUNDS=$(cmdarg euq.tcprounds)
    [ -n "$TROUNDS" ] || TROUNDS=1
    say "== 7b. TCP (iperf3, one stream) A -> B through each forwarder, ${SECS}s each, median of $TROUNDS round(s)"
    TT0=$(cut -d. -f1 /proc/uptime)
    [ -x /bin/ethtool ] || fail "euq.tcp=1 but no /bin/ethtool (run.sh packs it)"
    TPATHS="europa kernel sockfwd kernel_gro europa_gro"
    [ -x /bin/europa-fwd ] && TPATHS="europa_fwd $TPATHS"
    tround=0
    while [ $tround -lt "$TROUNDS" ]; do
        tround=$((tround + 1))
        for d in eth0 eth1; do ethtool -K $d gro off || fail "ethtool -K $d gro off"; done
        echo 1 >/sys/module/europa/parameters/tx_in_write
        echo 0 >/sys/module/europa/parameters/tx_in_rx
        if [ -x /bin/europa-fwd ]; then
            if start_efwd ",slots=8192"; then
                tcp_job europa_fwd $VR1 $VR1
                stop_efwd
            fi
        fi
        if start_vr vr1 "kdev:#port=eth0,port=eth1,mac=$VR1,slots=8192"; then
            tcp_job europa $VR1 $VR1
            stop_vr vr1
        fi
        echo "$TXRX_DEF" >/sys/module/europa/parameters/tx_in_rx
        sysctl -w net.ipv4.ip_forward=1 >/dev/null
        tcp_job kernel $G0_MAC $G1_MAC
        sysctl -w net.ipv4.ip_forward=0 >/dev/null
        $PIN $Q sockfwd $SOCK eth0 eth1 $ROUTES >/tmp/sock.log 2>&1 &
        SPID=$!
        sleep 1
        tcp_job sockfwd $SOCK $SOCK
        kill -TERM $SPID
        wait $SPID
        say "round $tround tcp sockfwd: $(grep '^SOCKFWD' /tmp/sock.log)"
        for d in eth0 eth1; do ethtool -K $d gro on; done
        sysctl -w net.ipv4.ip_forward=1 >/dev/null
        tcp_job kernel_gro $G0_MAC $G1_MAC
        sysctl -w net.ipv4.ip_forward=0 >/dev/null
        echo 1 >/sys/module/europa/parameters/tx_in_write
        echo 0 >/sys/module/europa/parameters/tx_in_rx
        if start_vr vr1 "kdev:#port=eth0,port=eth1,mac=$VR1,slots=8192"; then
            tcp_job europa_gro $VR1 $VR1
            stop_vr vr1
            # GRO merges TCP segments into skbs longer than a slot: each must reach the
            # VR as the frames it was made of (rx_gso counts the skbs cut back: with GRO
            # on, a TCP stream makes some), none dropped as too long
            case "$KST" in
            *" rx_toobig=0 "*) ;;
            *) fail "europa_gro: merged skbs reached the VR as rx_toobig drops: $KST" ;;
            esac
            G=$(echo "$KST" | sed -n 's/.* rx_gso=\([0-9]*\).*/\1/p')
            [ "${G:-0}" -gt 0 ] || fail "europa_gro: no merged skb was cut back (rx_gso ${G:-missing}): did GRO run? $KST"
            say "europa_gro: $G merged skbs cut back into frames"
        fi
        echo "$TXRX_DEF" >/sys/module/europa/parameters/tx_in_rx
    done
    TLINE="" TLIST=""
    for f in $TPATHS; do
        eval "l=\$TL_$f"
        TLIST="$TLIST; $f:$l"
        TLINE="$TLINE $f=$(fmedian $l)"
    done
    say "tcp rounds (Mbit/s)$TLIST"
    say "7b took $(($(cut -d. -f1 /proc/uptime) - TT0)) s"
    echo "EUQ-TCP$TLINE secs=$SECS rounds=$TROUNDS"
fi

# ------------------------------------------------- 8. the NIC goes away under a VR
say "== 8. the NICs' driver is removed while a VR uses them"
if start_vr vr1 "kdev:#port=eth0,port=eth1,mac=$VR1"; then
    if timeout 30 rmmod e1000; then say "ok: e1000 removed under a VR"; else fail "rmmod e1000 under a VR"; fi
    I1=$($Q info)
    expect_eq "ports attached once the NICs are gone" "$(kv "$I1" ports_active)" 0
    stop_vr vr1
    I1=$($Q info)
    expect_eq "live VRs" "$(kv "$I1" vrs_active)" 0
fi
rmmod europa || fail "final rmmod"
finish
