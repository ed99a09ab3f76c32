# bench/eval/median.awk - medians of a CSV column per group, for bench/evaluate.
#
#   awk -F, -v keys=K1,K2 -v val=V [-v where=C=VALUE[;C=VALUE]] [-v hdr=1] -f median.awk FILE
#
# Columns are given by header name (the CSV's first line). Prints "k1,k2,median,n,min,max"
# per group, groups in order of first appearance; rows whose value is empty or not a
# number are skipped. hdr=1 prints a header line first.
function isnum(s) { return s ~ /^-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$/ }
NR == 1 {
	for (i = 1; i <= NF; i++)
		col[$i] = i
	nk = split(keys, kn, ",")
	for (i = 1; i <= nk; i++) {
		if (!(kn[i] in col)) { print "median.awk: no column " kn[i] > "/dev/stderr"; exit 2 }
		kc[i] = col[kn[i]]
	}
	if (!(val in col)) { print "median.awk: no column " val > "/dev/stderr"; exit 2 }
	vc = col[val]
	nw = where == "" ? 0 : split(where, wl, ";")
	for (i = 1; i <= nw; i++) {
		split(wl[i], kv, "=")
		if (!(kv[1] in col)) { print "median.awk: no column " kv[1] > "/dev/stderr"; exit 2 }
		wc[i] = col[kv[1]]
		wv[i] = kv[2]
	}
	if (hdr) {
		line = ""
		for (i = 1; i <= nk; i++)
			line = line kn[i] ","
		print line val ",n,min,max"
	}
	next
}
{
	for (i = 1; i <= nw; i++)
		if ($wc[i] != wv[i])
			next
	if (!isnum($vc))
		next
	k = ""
	for (i = 1; i <= nk; i++)
		k = k (i > 1 ? "," : "") $kc[i]
	if (!(k in cnt))
		order[++ng] = k
	v[k, ++cnt[k]] = $vc + 0
}
END {
	for (g = 1; g <= ng; g++) {
		k = order[g]
		n = cnt[k]
		for (i = 1; i <= n; i++)
			a[i] = v[k, i]
		for (i = 2; i <= n; i++) { # insertion sort: groups are small
			x = a[i]
			for (j = i - 1; j >= 1 && a[j] > x; j--)
				a[j + 1] = a[j]
			a[j + 1] = x
		}
		m = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		printf "%s,%.6g,%d,%.6g,%.6g\n", k, m, n, a[1], a[n]
	}
}
