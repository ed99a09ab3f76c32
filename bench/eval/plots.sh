#!/usr/bin/env bash
# bench/eval/plots.sh OUT - the plots of bench/evaluate: reads OUT/*.csv, writes the
# tables it plots as OUT/plot_*.dat and the figures as OUT/*.png (gnuplot, bars.gp and
# lines.gp). A figure whose CSV is missing is not drawn (the report says why).
set -uo pipefail
OUT=${1:?usage: plots.sh OUT}
EVAL=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MED="awk -F, -f $EVAL/median.awk"
cd "$OUT" || exit 1
rm -f ./*.png plot_*.dat

# bars <name> <title> <ylabel> [logy]: plot_<name>.dat -> <name>.png
bars() {
    gnuplot -e "dat='plot_$1.dat'; out='$1.png'; ttl='${2//\'/}'; ylab='$3'; logy=${4:-0}" "$EVAL/bars.gp" &&
        echo "plots: $1.png"
}
# lines <name> <title> <xlabel> <ylabel> [logx base]
lines() {
    gnuplot -e "dat='plot_$1.dat'; out='$1.png'; ttl='${2//\'/}'; xlab='$3'; ylab='$4'; logx=${5:-0}" \
        "$EVAL/lines.gp" && echo "plots: $1.png"
}
# val <csv> <awk condition> <column>: the first matching row's column, or "?"
val() {
    awk -F, -v c="$3" "NR > 1 && ($2) { v = \$c; found = 1; exit } END { print (found && v != \"\") ? v : \"?\" }" "$1"
}
pos() { awk -v v="$1" 'BEGIN { print (v == "?" || v + 0 <= 0) ? "?" : v }'; }

# ---- 1. overhead
if [[ -s overhead.csv ]]; then
    ov() { pos "$(val overhead.csv "\$2 == \"$1\" && \$3 == \"$2\"" 5)"; }
    {
        echo "cost paper_Core2_2.66GHz this_machine_syscall libeuropa_burst1 libeuropa_burst32"
        echo "\"send, VR->switch\" 3000 $(ov sendto_64 64B) $(ov vr_to_sw burst1) $(ov vr_to_sw burst32)"
        echo "\"receive, switch->VR\" 3400 $(ov recvfrom_64 64B) $(ov sw_to_vr burst1) $(ov sw_to_vr burst32)"
        echo "\"copy to user, 64 B\" 160 $(ov copy_to_user_64 pipe) ? ?"
        echo "\"copy from user, 64 B\" 140 $(ov copy_from_user_64 pipe) ? ?"
        echo "\"null syscall\" ? $(ov null 64B) ? ?"
    } >plot_overhead.dat
    bars overhead "Per-packet overhead: system calls and copies vs the libeuropa hand-off (TSC cycles, log scale)" \
        "cycles per packet" 1
fi

# ---- 2. in-process forwarding
if [[ -s fwd_inproc.csv ]]; then
    {
        echo "table busy_cycles_per_frame"
        $MED -v keys=table,routes -v val=cycles_per_frame fwd_inproc.csv |
            awk -F, '{ printf "\"%s (%s routes)\" %s\n", $1, $2, $3 }'
    } >plot_fwd_inproc.dat
    bars fwd_inproc "europa-fwd on the in-process switch, 64-byte UDP: busy TSC cycles per frame" "cycles per frame"
fi

# ---- 2. veth forwarders (bench/fwd-veth.sh)
veth_bars() { # veth_bars <csv> <test> <column> <name> <title> <ylabel>
    local csv=$1 test=$2 col=$3
    [[ -s $csv ]] || return 0
    $MED -v keys=forwarder,scenario -v val="$col" -v where="test=$test" "$csv" >tmp.med
    [[ -s tmp.med ]] || return 0
    awk -F, '
        { f[$1] = 1; s[$2] = 1; v[$1, $2] = $3; if (!($1 in seen)) { seen[$1] = 1; fo[++nf] = $1 }
          if (!($2 in sseen)) { sseen[$2] = 1; so[++ns] = $2 } }
        END { printf "forwarder"; for (j = 1; j <= ns; j++) printf " %s", so[j]; print ""
              for (i = 1; i <= nf; i++) { printf "%s", fo[i]
                  for (j = 1; j <= ns; j++) printf " %s", ((fo[i], so[j]) in v) ? v[fo[i], so[j]] : "?"
                  print "" } }' tmp.med >"plot_$4.dat"
    bars "$4" "$5" "$6"
}
veth_bars fwd_veth.csv udp sink_pps fwd_veth_pps "64-byte UDP through the router namespace over veth: frames/s at the sink" "frames/s"
veth_bars fwd_veth.csv udp router_cycles_per_pkt fwd_veth_cycles "TSC cycles per forwarded frame on the router core" "cycles per frame"
# small against large table: router-core cycles per frame, split scenario
if [[ -s fwd_veth.csv && -s fwd_veth_large.csv ]]; then
    $MED -v keys=forwarder -v val=router_cycles_per_pkt -v where="test=udp;scenario=split" fwd_veth.csv >tmp.small
    $MED -v keys=forwarder -v val=router_cycles_per_pkt -v where="test=udp;scenario=split" fwd_veth_large.csv >tmp.large
    if [[ -s tmp.large ]]; then
        awk -F, 'FNR == NR { s[$1] = $2; next } { if (!($1 in seen)) { seen[$1] = 1; o[++n] = $1 } l[$1] = $2 }
            END { print "forwarder small_table large_table"
                  for (i = 1; i <= n; i++) printf "%s %s %s\n", o[i], (o[i] in s) ? s[o[i]] : "?", l[o[i]] }' \
            tmp.small tmp.large >plot_fwd_veth_tables.dat
        bars fwd_veth_tables "Router-core TSC cycles per frame over veth, small vs large table (split)" "cycles per frame"
    fi
    rm -f tmp.small tmp.large
fi
veth_bars fwd_tcp.csv tcp tcp_mbps fwd_tcp "TCP (iperf3) through each forwarder" "Mbit/s"
if [[ -s fwd_sweep.csv ]]; then
    $MED -v keys=offered_pps,forwarder -v val=sink_pps -v where="test=sweep" fwd_sweep.csv >tmp.med
    if [[ -s tmp.med ]]; then
        awk -F, '
            { if (!($1 in xs)) { xs[$1] = 1; xo[++nx] = $1 } if (!($2 in fs)) { fs[$2] = 1; fo[++nf] = $2 }
              v[$1, $2] = $3 }
            END { printf "offered"; for (j = 1; j <= nf; j++) printf " %s", fo[j]; print ""
                  for (i = 1; i <= nx; i++) { printf "%s", xo[i]
                      for (j = 1; j <= nf; j++) printf " %s", ((xo[i], fo[j]) in v) ? v[xo[i], fo[j]] : "?"
                      print "" } }' tmp.med | { read -r h; echo "$h"; sort -n; } >plot_fwd_sweep.dat
        # the offered load itself, as the line no forwarder can pass
        awk 'NR == 1 { print $0 " offered_load"; next } { print $0 " " $1 }' plot_fwd_sweep.dat >tmp.dat &&
            mv tmp.dat plot_fwd_sweep.dat
        lines fwd_sweep "Offered load sweep, 64-byte UDP over veth (router on its own core)" \
            "offered frames/s" "frames/s at the sink"
    fi
fi
if [[ -s qemu.csv ]]; then
    {
        echo "path frames_per_s"
        awk -F, "$(cat "$EVAL/qemu_names.awk")"'
            NR > 1 { printf "\"%s\" %s\n", name($1), ($2 == "" ? "?" : $2) }' qemu.csv
    } >plot_qemu.dat
    bars qemu "Kernel switch in QEMU (TCG): 64-byte UDP through the guest (only ratios mean anything)" "frames/s"
fi

# ---- 4, 5. VRs
vrs_lines() { # vrs_lines <name> <xlabel> <title> <ylabel> <value column> <aggregate row> <csv:label>...
    local name=$1 xlab=$2 ttl=$3 ylab=$4 vcol=$5 agg=$6 f label
    shift 6
    : >tmp.all
    for f in "$@"; do
        label=${f#*:}
        f=${f%%:*}
        [[ -s $f ]] || continue
        # aggregate (sink or sum) and per-VR: the mean of the VRs' medians
        $MED -v keys=x -v val="$vcol" -v where="what=$agg" "$f" | awk -F, -v l="$label" '{ print $1, l "_aggregate", $2 }' >>tmp.all
        awk -F, 'NR > 1 && $4 ~ /^vr/ { print $2 "," $4 "," $5 }' "$f" |
            awk -F, '{ k = $1 SUBSEP $2; n[k]++; v[k, n[k]] = $3; if (!(k in s)) { s[k] = 1; o[++m] = k } }
                     END { for (i = 1; i <= m; i++) { k = o[i]; c = n[k]
                             for (a = 1; a <= c; a++) x[a] = v[k, a]
                             for (a = 2; a <= c; a++) { t = x[a]; for (b = a - 1; b >= 1 && x[b] > t; b--) x[b + 1] = x[b]; x[b + 1] = t }
                             md = c % 2 ? x[(c + 1) / 2] : (x[c / 2] + x[c / 2 + 1]) / 2
                             split(k, kk, SUBSEP); sum[kk[1]] += md; cnt[kk[1]]++
                             if (!(kk[1] in xs)) { xs[kk[1]] = 1; xo[++nx] = kk[1] } }
                           for (i = 1; i <= nx; i++) printf "%s %.1f\n", xo[i], sum[xo[i]] / cnt[xo[i]] }' |
            awk -v l="$label" '{ print $1, l "_per_VR", $2 }' >>tmp.all
        $MED -v keys=x -v val="$vcol" -v where="what=sent" "$f" | awk -F, -v l="$label" '{ print $1, l "_offered", $2 }' >>tmp.all
    done
    [[ -s tmp.all ]] || return 0
    awk '{ if (!($1 in xs)) { xs[$1] = 1; xo[++nx] = $1 } if (!($2 in ss)) { ss[$2] = 1; so[++ns] = $2 } v[$1, $2] = $3 }
         END { printf "x"; for (j = 1; j <= ns; j++) printf " %s", so[j]; print ""
               for (i = 1; i <= nx; i++) { printf "%s", xo[i]
                   for (j = 1; j <= ns; j++) printf " %s", ((xo[i], so[j]) in v) ? v[xo[i], so[j]] : "?"
                   print "" } }' tmp.all >"plot_$name.dat"
    lines "$name" "$ttl" "$xlab" "$ylab" 2
}
scale_args=() scale_tcp_args=()
for d in packet xdp; do
    [[ -s scale_$d.csv ]] && scale_args+=("scale_$d.csv:$d")
    [[ -s scale_${d}_tcp.csv ]] && scale_tcp_args+=("scale_${d}_tcp.csv:$d")
done
((${#scale_args[@]})) && vrs_lines scale "VRs forwarding at once" \
    "Scalability: N europa-fwd VRs on one europad over veth, 64-byte UDP, one sender for all" \
    "frames/s" fps sink "${scale_args[@]}"
((${#scale_tcp_args[@]})) && vrs_lines scale_tcp "VRs forwarding at once" \
    "Scalability: N europa-fwd VRs on one europad over veth, one iperf3 TCP flow per VR" \
    "Mbit/s" mbps sum "${scale_tcp_args[@]}"
[[ -s pool.csv ]] && vrs_lines pool "slots per VR (pool size)" \
    "Pool size: 2 europa-fwd VRs on one europad (AF_PACKET), 64-byte UDP" "frames/s" fps sink "pool.csv:packet"
[[ -s pool_tcp.csv ]] && vrs_lines pool_tcp "slots per VR (pool size)" \
    "Pool size: 2 europa-fwd VRs on one europad (AF_PACKET), one iperf3 TCP flow per VR" "Mbit/s" mbps sum "pool_tcp.csv:packet"

# ---- 6. latency, idle CPU
if [[ -s latency.csv ]]; then
    {
        echo "load p50 p99 p99.9"
        awk -F, 'NR > 1 && $1 == "latency" { k = ($3 == "max" ? "saturated" : $3); if (!(k in s)) { s[k] = 1; o[++n] = k } v[k, $4] = $5 }
                 NR > 1 && $1 == "idle" && $4 ~ /_ns$/ { k = "wake, " $2; if (!(k in s)) { s[k] = 1; o[++n] = k } v[k, $4] = $5 }
                 END { for (i = 1; i <= n; i++) printf "\"%s\" %s %s %s\n", o[i], v[o[i], "p50_ns"], v[o[i], "p99_ns"], v[o[i], "p999_ns"] }' latency.csv
    } >plot_latency.dat
    bars latency "Hand-off latency, switch thread to VR thread (ns, log scale)" "ns" 1
    {
        echo "mode idle 1kpps"
        for m in adaptive busy; do
            echo "$m $(val latency.csv "\$1 == \"idle\" && \$2 == \"$m\" && \$3 == \"idle\" && \$4 == \"vr_cpu_pct\"" 5) $(val latency.csv "\$1 == \"idle\" && \$2 == \"$m\" && \$3 == \"1kpps\" && \$4 == \"vr_cpu_pct\"" 5)"
        done
    } >plot_idle.dat
    bars idle "CPU used by the VR thread: adaptive vs busy polling" "% of one CPU"
fi

# ---- 6. latency per forwarding path (bench/fwd-veth.sh --latency)
if [[ -s path_latency.csv ]]; then
    {
        echo "path p50 p99 p99.9"
        for c in p50_us p99_us p999_us; do
            $MED -v keys=forwarder,offered_pps -v val=$c -v where="test=latency" path_latency.csv | sed "s/^/$c,/"
        done | awk -F, '{ k = $2 " " ($3 >= 1000 ? $3 / 1000 "k" : $3); if (!(k in s)) { s[k] = 1; o[++n] = k } v[$1, k] = $4 }
            END { for (i = 1; i <= n; i++) printf "\"%s\" %s %s %s\n", o[i], v["p50_us", o[i]], v["p99_us", o[i]], v["p999_us", o[i]] }'
    } >plot_path_latency.dat
    # ten or more groups: their labels slanted, so they do not run into each other
    [[ $(wc -l <plot_path_latency.dat) -gt 1 ]] &&
        gnuplot -e "set xtics rotate by 30 right; dat='plot_path_latency.dat'; out='path_latency.png'" \
            -e "ttl='One-way latency, sender to sink, per forwarding path and offered load, pps (us, log scale)'" \
            -e "ylab='us'; logy=1" "$EVAL/bars.gp" && echo "plots: path_latency.png"
fi

# ---- 6. LPM, rings
if [[ -s lpm.csv ]]; then
    {
        echo "lookup eu_lpm rte_lpm"
        for set in random table; do
            e1=$(val lpm.csv "\$1 == \"lookup_$set\" && \$2 == \"eu_lpm single\"" 3)
            e2=$(val lpm.csv "\$1 == \"lookup_$set\" && \$2 == \"eu_lpm burst\"" 3)
            r1=$(val lpm.csv "\$1 == \"lookup_$set\" && \$2 == \"rte_lpm single\"" 3)
            r2=$(val lpm.csv "\$1 == \"lookup_$set\" && \$2 == \"rte_lpm bulk\"" 3)
            echo "\"$set, single\" $e1 $r1"
            echo "\"$set, burst/bulk\" $e2 $r2"
        done
    } >plot_lpm.dat
    bars lpm "Route lookups: eu_lpm vs DPDK rte_lpm, same table and destinations" "million lookups/s"
fi
if [[ -s ring.csv ]]; then
    {
        echo "test europa eu-zc rte_ring ck_ring"
        awk -F, 'NR > 1 && $1 == "threads" && $5 == "cycles_per_obj" {
                     k = $2 ", burst " $3; if (!(k in s)) { s[k] = 1; o[++n] = k } v[k, $4] = $6 }
                 END { for (i = 1; i <= n; i++) { k = o[i]; printf "\"%s\"", k
                         split("europa eu-zc rte_ring ck_ring", p, " ")
                         for (j = 1; j <= 4; j++) printf " %s", ((k, p[j]) in v) ? v[k, p[j]] : "?"
                         print "" } }' ring.csv
    } >plot_ring.dat
    bars ring "Rings and slot hand-off between two threads vs rte_ring and ck_ring (TSC cycles per object, log scale)" \
        "cycles per object" 1
fi
rm -f tmp.med tmp.all tmp.dat
exit 0
