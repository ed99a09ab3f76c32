#!/bin/sh
# docs/man/check.sh - check libeuropa's man pages.
#
#   docs/man/check.sh [SOURCE_DIR]      (SOURCE_DIR defaults to the tree holding this script)
#
# 1. Every page (docs/man/*.1, *.3, *.5, *.7, *.8) renders through man(1) with groff warnings
#    enabled, and any warning is an error. Pages are rendered from a staged man1/ man3/
#    man5/ man7/ tree, so `.so man3/x.3` link pages are followed as they will be once installed.
# 2. Every public function of include/europa/*.h (each EU_API declaration and each
#    `static inline` definition) has a page or a .so link page, and each link page's name
#    is listed in the NAME section of the page it points to (so apropos finds it too).
# 3. Every prototype in a SYNOPSIS appears in the headers, word for word (up to
#    whitespace and the EU_API marker), and every #include there names a public header.
#
# Exit status: 0 all good, 1 a check failed (each problem is listed), 77 man or groff is
# not installed (apt-get install -y man-db groff-base), for CTest's SKIP_RETURN_CODE.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=${1:-$(cd "$here/../.." && pwd)}
mandir=$root/docs/man
incdir=$root/include/europa

if ! command -v man >/dev/null 2>&1 || ! command -v groff >/dev/null 2>&1; then
	echo "check.sh: man and groff are needed: apt-get install -y man-db groff-base" >&2
	exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0

# ---------------------------------------------------------------- 1. rendering
mkdir "$tmp/man1" "$tmp/man3" "$tmp/man5" "$tmp/man7" "$tmp/man8"
npages=0
for f in "$mandir"/*.1 "$mandir"/*.3 "$mandir"/*.5 "$mandir"/*.7 "$mandir"/*.8; do
	[ -e "$f" ] || continue
	cp "$f" "$tmp/man${f##*.}/"
	npages=$((npages + 1))
done
if [ "$npages" -eq 0 ]; then
	echo "check.sh: no pages in $mandir" >&2
	exit 1
fi
for f in "$tmp"/man1/* "$tmp"/man3/* "$tmp"/man5/* "$tmp"/man7/* "$tmp"/man8/*; do
	[ -e "$f" ] || continue
	rel=${f#"$tmp"/}
	# -ww: every groff warning; a fixed width and locale so the result does not depend
	# on the terminal running the test.
	warn=$(cd "$tmp" && LC_ALL=C.UTF-8 MANWIDTH=80 MAN_DISABLE_SECCOMP=1 \
		man --warnings=w -l "$rel" 2>&1 >/dev/null) || {
		echo "FAIL render $rel: man exited with an error"
		fail=1
	}
	if [ -n "$warn" ]; then
		echo "FAIL render $rel:"
		printf '%s\n' "$warn" | sed 's/^/    /'
		fail=1
	fi
done

# ---------------------------------------------------------------- 2. coverage
# Public headers with comments removed, one line per header.
flat() {
	tr '\n' ' ' <"$1" | sed -e 's:/\*[^*]*\*\{1,\}\([^/*][^*]*\*\{1,\}\)*/: :g' -e 's/[[:space:]]\{1,\}/ /g' \
		-e 's/EU_INLINE /static inline /g'
}
: >"$tmp/headers.txt"
: >"$tmp/synfail.txt"
for h in "$incdir"/*.h; do
	flat "$h" >>"$tmp/headers.txt"
	echo >>"$tmp/headers.txt"
done
{
	grep -oE 'EU_API [^;(){}]*\(' "$tmp/headers.txt" || true
	grep -oE 'static inline [^;(){}]*\(' "$tmp/headers.txt" || true
} | grep -oE 'eu_[A-Za-z0-9_]+ ?\($' | tr -d ' (' | sort -u >"$tmp/functions.txt"

nfunc=$(wc -l <"$tmp/functions.txt")
if [ "$nfunc" -eq 0 ]; then
	echo "FAIL coverage: found no functions in $incdir/*.h"
	fail=1
fi
missing=""
while read -r fn; do
	[ -e "$mandir/$fn.3" ] || missing="$missing $fn"
done <"$tmp/functions.txt"
if [ -n "$missing" ]; then
	echo "FAIL coverage: no page or .so link for:$missing"
	fail=1
fi

# The NAME line(s) of a page: from .SH NAME to the next .SH.
names_of() {
	awk '/^\.SH /{ if (inn) exit; if ($2 == "NAME") { inn = 1; next } } inn' "$1" |
		sed -e 's/\\-.*//' -e 's/\\f[BIRP]//g' | tr ',' '\n' | tr -d ' '
}
for f in "$mandir"/*.3 "$mandir"/*.5 "$mandir"/*.7 "$mandir"/*.1 "$mandir"/*.8; do
	[ -e "$f" ] || continue
	first=$(sed -n '1p' "$f")
	case "$first" in
	.so\ *)
		target=${first#.so }
		if [ ! -e "$mandir/${target##*/}" ]; then
			echo "FAIL link ${f##*/}: points to $target, which is not in docs/man"
			fail=1
			continue
		fi
		if [ "$(wc -l <"$f")" -ne 1 ]; then
			echo "FAIL link ${f##*/}: a link page holds only its .so line"
			fail=1
		fi
		name=${f##*/}
		name=${name%.*}
		if ! names_of "$mandir/${target##*/}" | grep -qx "$name"; then
			echo "FAIL link ${f##*/}: $name is not in the NAME section of ${target##*/}"
			fail=1
		fi
		;;
	esac
done

# ---------------------------------------------------------------- 3. synopses
# Turn each SYNOPSIS into plain text: drop .nf/.fi/.PP, join .B/.BI/.BR arguments
# (quoted or not) as man(7) prints them, undo the roff escapes used in prototypes.
synopsis_of() {
	awk '
	/^\.SH / { if (ins) exit; if ($2 == "SYNOPSIS") { ins = 1; next } }
	!ins { next }
	/^\.nf/ { innf = 1; next }
	/^\.fi/ { innf = 0; next }
	!innf { next }
	/^\.(PP|sp|br)/ { next }
	/^\.[A-Z]+( |$)/ {
		mac = $1; line = $0; sub(/^\.[A-Z]+ ?/, "", line)
		# .B and .I join their arguments with spaces; .BI, .BR, .IR, ... without
		sep = (mac == ".B" || mac == ".I") ? " " : ""
		out = ""; i = 1; n = length(line); first = 1
		while (i <= n) {
			c = substr(line, i, 1)
			if (c == " ") { i++; continue }
			if (c == "\"") {
				j = index(substr(line, i + 1), "\"")
				if (j == 0) { arg = substr(line, i + 1); i = n + 1 }
				else { arg = substr(line, i + 1, j - 1); i += j + 1 }
			} else {
				j = index(substr(line, i), " ")
				if (j == 0) { arg = substr(line, i); i = n + 1 }
				else { arg = substr(line, i, j - 1); i += j }
			}
			out = first ? arg : out sep arg; first = 0
		}
		print out; next
	}
	{ print }
	' "$1" | sed -e 's/\\-/-/g' -e 's/\\&//g' -e 's/\\f[BIRP]//g' -e 's/\\e/\\/g'
}
nproto=0
for f in "$mandir"/*.3; do
	[ -e "$f" ] || continue
	case "$(sed -n '1p' "$f")" in .so\ *) continue ;; esac
	synopsis_of "$f" >"$tmp/syn.txt"
	if [ ! -s "$tmp/syn.txt" ]; then
		echo "FAIL synopsis ${f##*/}: no SYNOPSIS section"
		fail=1
		continue
	fi
	grep -oE '^#include <[^>]+>' "$tmp/syn.txt" | sed -e 's/^#include <//' -e 's/>$//' |
		while read -r inc; do
			case "$inc" in
			europa/*) [ -e "$root/include/$inc" ] ||
				echo "FAIL synopsis ${f##*/}: #include <$inc>: no such public header" ;;
			esac
		done >>"$tmp/synfail.txt"
	grep -v '^#include' "$tmp/syn.txt" | tr '\n' ' ' | tr ';' '\n' |
		sed -e 's/[[:space:]]\{1,\}/ /g' -e 's/^ //' -e 's/ $//' -e 's/( /(/g' -e 's/ )/)/g' |
		grep -v '^$' >"$tmp/protos.txt" || true
	while IFS= read -r p; do
		nproto=$((nproto + 1))
		if ! sed -e 's/EU_API //g' -e 's/( /(/g' -e 's/ )/)/g' "$tmp/headers.txt" |
			grep -qF -- "$p"; then
			echo "FAIL synopsis ${f##*/}: not in include/europa/*.h: $p"
			fail=1
		fi
	done <"$tmp/protos.txt"
done
if [ -s "$tmp/synfail.txt" ]; then
	cat "$tmp/synfail.txt"
	fail=1
fi

if [ "$fail" -ne 0 ]; then
	echo "check.sh: FAILED"
	exit 1
fi
echo "check.sh: OK: $npages pages render without warnings; $nfunc public functions" \
	"all documented; $nproto synopsis prototypes match the headers"
