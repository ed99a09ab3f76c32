# bench/eval/bars.gp - clustered bar chart for bench/evaluate (bench/eval/plots.sh).
#   gnuplot -e "dat='F.dat'; out='F.png'; ttl='...'; ylab='...'; logy=0|1" bars.gp
# F.dat: whitespace-separated, a header line (column titles), first column the group
# label (quoted if it has spaces), one column per series; "?" marks a missing value.
if (!exists("logy")) logy = 0
if (!exists("ylab")) ylab = ""
set terminal pngcairo size 900,480 font "sans,10" noenhanced
set output out
set title ttl
set ylabel ylab
set datafile missing "?"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key outside below center horizontal noenhanced
set grid ytics
set xtics nomirror noenhanced
set yrange [0:*]
if (logy) { set logscale y; set yrange [1:*]; set format y "%.0s%c" }
N = system("head -n 1 '" . dat . "' | wc -w") + 0
plot for [i=2:N] dat using i:xtic(1) title columnheader(i)
