# bench/eval/lines.gp - x-y lines for bench/evaluate (bench/eval/plots.sh).
#   gnuplot -e "dat='F.dat'; out='F.png'; ttl='...'; xlab='...'; ylab='...'; logx=2|10|0" lines.gp
# F.dat: whitespace-separated, a header line (column titles), first column x, one column
# per series; "?" marks a missing value.
if (!exists("logx")) logx = 0
set terminal pngcairo size 900,480 font "sans,10" noenhanced
set output out
set title ttl
set xlabel xlab
set ylabel ylab
set datafile missing "?"
set key outside right top noenhanced
set grid
set yrange [0:*]
set format y "%.0f"
if (logx > 0) { set logscale x logx }
N = system("head -n 1 '" . dat . "' | wc -w") + 0
plot for [i=2:N] dat using 1:i with linespoints lw 2 pt (i+4) title columnheader(i)
