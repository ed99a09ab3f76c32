# tests/integration/switch-common.bash - sourced by the switch_*.sh tests (europad, the
# in-process switch, eu-reflect). Not a test itself (CTest runs *.sh only).
#
# Sets: T (test name), TMP (a directory removed at exit), the program paths, and
# helpers: skip, fail, check, need_root, start_europad, stop_europad, ctl, wait_until,
# veth topologies (topo_up), and cleanup of everything started (by pid, never by name).

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T=$(basename "$0" .sh)
BIN=${EU_INTEGRATION_BIN:-$here/../../build/tests/integration}
BUILD=${EU_BUILD_DIR:-$here/../../build}
EUROPAD=$BUILD/tools/europad/europad
EUROPACTL=$BUILD/tools/europactl/europactl
REFLECT=$BUILD/examples/eu-reflect
PCAPTOOL=$BIN/eu-pcaptool
TRAFFIC=$BIN/eu-traffic
HOSTILE=$BIN/eu-hostile

FAILED=0
PIDS=()
NETNS=()

skip() {
    echo "$T: SKIP: $*"
    exit 77
}
fail() {
    echo "$T: FAIL: $*"
    FAILED=1
}
pass() { echo "$T: ok: $*"; }
# check <description> <command...>: run the command, pass or fail on its status.
check() {
    local what=$1
    shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}

for p in "$EUROPAD" "$EUROPACTL" "$REFLECT" "$PCAPTOOL" "$TRAFFIC" "$HOSTILE"; do
    [[ -x $p ]] || { echo "$T: FAIL: $p is not built (build the tree first; europad needs libconfig-dev and libjson-c-dev)"; exit 1; }
done

# Sanitizer builds run several times slower: the live tests send at a fifth of the rate.
SLOW=1
if ldd "$EUROPAD" 2>/dev/null | grep -q 'lib[at]san'; then
    SLOW=5
fi

TMP=$(mktemp -d "/tmp/$T.XXXXXX")
chmod 755 "$TMP" # an unprivileged peer must reach the socket in it
SOCK=$TMP/europa.sock

cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill -9 "$p" 2>/dev/null
    done
    for p in "${PIDS[@]}"; do
        wait "$p" 2>/dev/null
    done
    for p in "${NETNS[@]}"; do
        ip netns del "$p" 2>/dev/null
    done
    if ((FAILED)) && [[ -z ${EU_KEEP_TMP:-} ]]; then
        echo "--- logs of $T"
        for p in "$TMP"/*.log; do
            [[ -e $p ]] || continue
            echo "--- $p"
            tail -n 40 "$p"
        done
    fi
    [[ -n ${EU_KEEP_TMP:-} ]] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

need_root() {
    [[ $(id -u) -eq 0 ]] || skip "needs root ($*)"
}

# bg <log> <command...>: start in the background, remember the pid in BGPID.
bg() {
    local log=$1
    shift
    "$@" >"$log" 2>&1 &
    BGPID=$!
    PIDS+=("$BGPID")
}

# wait_until <seconds> <command...>: poll the command every 50 ms until it succeeds.
wait_until() {
    local limit=$1 i
    shift
    for ((i = 0; i < limit * 20; i++)); do
        "$@" && return 0
        sleep 0.05
    done
    return 1
}

ctl() { "$EUROPACTL" -s "$SOCK" "$@"; }
# val <key>: one value from europactl get
val() { ctl get "$1" 2>/dev/null; }
# is <key> <value>: europactl's value at key equals value
is() { [[ $(val "$1") == "$2" ]]; }
# gt <key> <n>: europactl's value at key is a number greater than n
gt() {
    local v
    v=$(val "$1")
    [[ $v =~ ^[0-9]+$ ]] && ((v > $2))
}

# start_europad <config> [netns]: start it, wait for its socket. EPID is its pid.
start_europad() {
    local conf=$1 ns=${2:-}
    if [[ -n $ns ]]; then
        bg "$TMP/europad.log" ip netns exec "$ns" "$EUROPAD" -c "$conf"
    else
        bg "$TMP/europad.log" "$EUROPAD" -c "$conf"
    fi
    EPID=$BGPID
    if ! wait_until 10 ctl get europad.pid >/dev/null 2>&1; then
        fail "europad did not start"
        cat "$TMP/europad.log"
        exit 1
    fi
}

# stop_europad: SIGTERM, and it must exit 0 within 5 s.
stop_europad() {
    local i
    kill -TERM "$EPID" 2>/dev/null
    for ((i = 0; i < 100; i++)); do
        kill -0 "$EPID" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$EPID" 2>/dev/null; then
        fail "europad did not stop on SIGTERM within 5 s"
        return 1
    fi
    wait "$EPID"
    local rc=$?
    ((rc == 0)) || fail "europad exited with status $rc on SIGTERM"
    [[ -e $SOCK ]] && fail "europad left its socket $SOCK behind"
    return 0
}

alive() { kill -0 "$1" 2>/dev/null; }

# audit_clean <vr>: every slot of the VR's pool is free and the census is consistent.
audit_clean() {
    local total free cons
    total=$(val "vrs.$1.audit.total")
    free=$(val "vrs.$1.audit.free")
    cons=$(val "vrs.$1.audit.consistent")
    [[ -n $total && $total == "$free" && $cons == true ]]
}

# ------------------------------------------------------------- network namespaces

# topo_up <tag>: three namespaces, SRC --veth-- SW --veth-- SINK:
#   $SRC:$S0 <-> $SW:$A0      $SW:$A1 <-> $SINK:$K0
# no IPv6 anywhere (no router solicitations among the test frames), no addresses:
# the test frames go to 198.19.0.99, which nobody has, so no kernel answers them.
# Sets the MAC variables S0MAC A0MAC A1MAC K0MAC.
topo_up() {
    local tag=$1 ns
    command -v ip >/dev/null || skip "no ip(8): apt-get install iproute2"
    SRC=eus${tag} SW=euw${tag} SINK=euk${tag}
    S0=eus0 A0=euw0 A1=euw1 K0=euk0
    for ns in "$SRC" "$SW" "$SINK"; do
        ip netns add "$ns" || skip "cannot create network namespaces"
        NETNS+=("$ns")
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
            net.ipv6.conf.default.disable_ipv6=1
        ip -n "$ns" link set lo up
    done
    ip link add "$S0" netns "$SRC" type veth peer name "$A0" netns "$SW" || skip "no veth support"
    ip link add "$A1" netns "$SW" type veth peer name "$K0" netns "$SINK" || skip "no veth support"
    ip -n "$SRC" link set "$S0" up
    ip -n "$SW" link set "$A0" up
    ip -n "$SW" link set "$A1" up
    ip -n "$SINK" link set "$K0" up
    S0MAC=$(ip netns exec "$SRC" cat /sys/class/net/$S0/address)
    A0MAC=$(ip netns exec "$SW" cat /sys/class/net/$A0/address)
    A1MAC=$(ip netns exec "$SW" cat /sys/class/net/$A1/address)
    K0MAC=$(ip netns exec "$SINK" cat /sys/class/net/$K0/address)
}

# ifcount <ns> <if> <rx|tx>: the kernel's packet counter of an interface
ifcount() { ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3_packets"; }

finish() {
    if ((FAILED)); then
        echo "$T: FAILED"
        exit 1
    fi
    echo "$T: PASSED"
    exit 0
}
