#!/usr/bin/env bash
# libeuropa developer entry point. See ./dev.sh --help.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$ROOT"

JOBS=${JOBS:-$(nproc)}
BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo}

# Debian 12 packages, and why (README.md "Dependencies" says the same).
DEB_PACKAGES=(
    build-essential # gcc, make, libc headers
    cmake           # the build (3.25 in Debian 12)
    pkgconf         # pkg-config: finds Check and DPDK, tests europa.pc
    check           # unit test framework (tests/unit)
    libnuma-dev     # optional NUMA placement of regions
    liburcu-dev     # RCU updates of the LPM table (liburcu-memb)
    libck-dev       # Concurrency Kit ck_ring, a benchmark peer
    dpdk-dev        # DPDK rte_ring/rte_lpm, benchmark peers
    libxdp-dev      # AF_XDP port driver (xdp:), with libbpf-dev; optional
    libbpf-dev      # BPF loading for libxdp
    libpcap-dev     # pcap port driver (pcap:) and its unit test; optional
    iproute2        # ip(8): namespaces, veth and TAP for tests/integration
    libconfig-dev   # europad's configuration file (tools/europad)
    libjson-c-dev   # europactl's JSON, made by europad and read by europactl
    util-linux      # setpriv(1): the wrong-uid test of europad (tests/integration)
    iperf3          # TCP through europa-fwd (tests/integration/fwd_*.sh, bench/fwd-veth.sh --tcp)
    traceroute      # UDP traceroute through europa-fwd (tests/integration/fwd_netns.sh)
    iputils-ping    # ping(8) through europa-fwd (tests/integration/fwd_netns.sh)
    jq              # reads the JSON summaries of europa-fwd/conv-fwd (fwd_*.sh, fwd-veth.sh)
    ethtool         # checksum offload off on the veths around a user-space router (fwd_*.sh)
    socat           # UDP/TCP listeners in the host stack behind europa-fwd's punt TAP (fwd_punt.sh)
    gnuplot-nox     # the plots of bench/evaluate (docs/evaluation.md)
    git
    man-db          # man(1): tests render every page in docs/man/
    groff-base      # groff, which man uses to render
    # the kernel switch (backends/kmod) and its QEMU test (tests/qemu/run.sh):
    linux-headers-amd64 # build europa.ko against Debian's kernel
    linux-image-amd64   # the kernel the QEMU guest boots, with its e1000.ko
    qemu-system-x86     # qemu-system-x86_64 (TCG)
    busybox-static      # the guest's userland
    cpio                # packs the guest's initramfs
)

DEMO=build/examples/ipv4fwd/europa-fwd

usage() {
    cat <<EOF
usage: ./dev.sh <command> [args]

  run [args]   install missing Debian packages, build into build/ ($BUILD_TYPE),
               then run $DEMO with [args]
  test         install missing packages, then build and run every CTest test three
               times: build/ (plain), build-asan/ (ASan+UBSan), build-tsan/ (TSan,
               run with ASLR off); prints a summary and exits non-zero on any failure
  bench [args] install missing packages, then bench/evaluate [args] (e.g. --quick):
               builds build/ with benchmarks, runs every experiment, writes CSV,
               plots and docs/evaluation.md (bench/evaluate --help)
  deps         only check/install the Debian packages
  -h, --help   this text

Environment: JOBS (parallel jobs, default nproc = $(nproc)), BUILD_TYPE (build/ only,
default RelWithDebInfo).

Packages: ${DEB_PACKAGES[*]}
When not root, missing packages are printed as an apt-get line to run with sudo.
EOF
}

if [[ -t 1 ]]; then BOLD=$'\033[1m' PLAIN=$'\033[0m'; else BOLD='' PLAIN=''; fi
log() { printf '\n%s==> %s%s\n' "$BOLD" "$*" "$PLAIN"; }
die() { printf 'dev.sh: %s\n' "$*" >&2; exit 1; }

# --- Debian packages ---------------------------------------------------------------------

ensure_packages() {
    if ! command -v dpkg-query >/dev/null 2>&1; then
        echo "dev.sh: no dpkg-query (not Debian?): make sure these are installed:" >&2
        echo "  ${DEB_PACKAGES[*]}" >&2
        return 0
    fi
    local missing=() p
    for p in "${DEB_PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
            missing+=("$p")
        fi
    done
    if ((${#missing[@]} == 0)); then
        echo "packages: all ${#DEB_PACKAGES[@]} installed"
        return 0
    fi
    if [[ $(id -u) -eq 0 ]]; then
        log "installing missing packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update || return 1
        apt-get install -y --no-install-recommends "${missing[@]}" || return 1
    else
        echo "dev.sh: missing Debian packages; install them with:" >&2
        echo "" >&2
        echo "    sudo apt-get install -y ${missing[*]}" >&2
        echo "" >&2
        exit 1
    fi
}

# --- Build helpers -----------------------------------------------------------------------

# configure_build <dir> <cmake args...>
configure_build() {
    local dir=$1
    shift
    cmake -S "$ROOT" -B "$ROOT/$dir" "$@" && cmake --build "$ROOT/$dir" -j"$JOBS"
}

# TSan in gcc 12 cannot handle the mmap layout that high ASLR entropy (vm.mmap_rnd_bits
# above 28, common on newer kernels) produces: "FATAL: ThreadSanitizer: unexpected
# memory mapping". setarch -R runs the tests with ASLR off, which avoids it.
no_aslr() {
    if setarch "$(uname -m)" -R true >/dev/null 2>&1; then
        setarch "$(uname -m)" -R "$@"
    else
        echo "dev.sh: setarch -R is not permitted here; running TSan with ASLR on" >&2
        "$@"
    fi
}

# --- Phases with a summary ---------------------------------------------------------------

PHASE_NAMES=()
PHASE_RESULTS=()
PHASE_SECONDS=()
FAILED=0

# phase <name> <command...>: runs the command, records PASS/FAIL and wall time.
phase() {
    local name=$1
    shift
    log "$name"
    local start=$SECONDS rc=0
    "$@" || rc=$?
    local took=$((SECONDS - start))
    PHASE_NAMES+=("$name")
    PHASE_SECONDS+=("$took")
    if ((rc == 0)); then
        PHASE_RESULTS+=("PASS")
    else
        PHASE_RESULTS+=("FAIL (exit $rc)")
        FAILED=1
    fi
    return "$rc"
}

skip() {
    PHASE_NAMES+=("$1")
    PHASE_SECONDS+=("-")
    PHASE_RESULTS+=("SKIP ($2)")
}

summary() {
    log "summary"
    local i
    for i in "${!PHASE_NAMES[@]}"; do
        printf '  %-20s %-36s %6ss\n' "${PHASE_RESULTS[$i]}" "${PHASE_NAMES[$i]}" "${PHASE_SECONDS[$i]}"
    done
    if ((FAILED)); then
        printf '\ndev.sh: FAILED\n'
    else
        printf '\ndev.sh: all phases passed\n'
    fi
}

# build-and-test <label> <dir> <ctest wrapper or ""> <cmake args...>
build_and_test() {
    local label=$1 dir=$2 wrap=$3
    shift 3
    if phase "build $label ($dir/)" configure_build "$dir" "$@"; then
        if [[ -n $wrap ]]; then
            phase "ctest $label" "$wrap" ctest --test-dir "$ROOT/$dir" --output-on-failure -j"$JOBS" || true
        else
            phase "ctest $label" ctest --test-dir "$ROOT/$dir" --output-on-failure -j"$JOBS" || true
        fi
    else
        skip "ctest $label" "build failed"
    fi
}

# --- Commands ----------------------------------------------------------------------------

cmd_run() {
    ensure_packages
    log "build ($BUILD_TYPE) into build/"
    configure_build build -DCMAKE_BUILD_TYPE="$BUILD_TYPE"
    [[ -x $DEMO ]] || die "$DEMO was not built (is examples/ipv4fwd/europa-fwd.c there?)"
    log "$DEMO${*:+ $*}"
    exec "$ROOT/$DEMO" "$@"
}

cmd_test() {
    local t0=$SECONDS
    phase "packages" ensure_packages || { summary; exit 1; }
    build_and_test "plain $BUILD_TYPE" build "" \
        -DCMAKE_BUILD_TYPE="$BUILD_TYPE"
    # Sanitizer builds: Debug keeps assert()s, EuropaCompilerFlags adds -O1.
    build_and_test "ASan+UBSan" build-asan "" \
        -DCMAKE_BUILD_TYPE=Debug -DEU_SANITIZE=address -DEU_BUILD_BENCH=OFF
    build_and_test "TSan" build-tsan no_aslr \
        -DCMAKE_BUILD_TYPE=Debug -DEU_SANITIZE=thread -DEU_BUILD_BENCH=OFF
    summary
    echo "total wall time: $((SECONDS - t0))s"
    exit "$FAILED"
}

# The evaluation (bench/evaluate) builds build/ with the benchmarks and runs every
# benchmark program in its own step, with the arguments each needs.
cmd_bench() {
    ensure_packages
    log "bench/evaluate${*:+ $*} (build/, $BUILD_TYPE, with benchmarks)"
    BUILD_TYPE=$BUILD_TYPE exec "$ROOT/bench/evaluate" --build "$ROOT/build" "$@"
}

case ${1:-} in
run) shift; cmd_run "$@" ;;
test) shift; cmd_test "$@" ;;
bench) shift; cmd_bench "$@" ;;
deps) ensure_packages ;;
-h | --help | help) usage ;;
"") usage >&2; exit 2 ;;
*) echo "dev.sh: unknown command '$1'" >&2; usage >&2; exit 2 ;;
esac
