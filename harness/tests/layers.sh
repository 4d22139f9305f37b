#!/bin/sh
# harness/tests/layers.sh - the source tree keeps the shape
# harness/README.md ("The module map") gives it, printed as TAP:
#   1. every C file of the harness is in a layer folder (main.c aside);
#   2. a file includes only headers of its own layer and lower ones
#      (the order of the Makefile's LAYERS);
#   3. every C file is named in the module map, and every file the map
#      names exists;
#   4. no function of the harness is longer than 120 lines.
# Run from the top of the tree; exit 1 when a check fails.
set -u
cd "$(dirname "$0")/../.." || exit 2
LAYERS=$(sed -n 's/^LAYERS *= *//p' Makefile)
MAP=harness/README.md
n=0 bad=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); bad=$((bad + 1)); echo "not ok $n - $1"; }
[ -n "$LAYERS" ] || { echo "not ok 1 - Makefile has no LAYERS"; exit 1; }

# 1. in a layer folder
stray=$(ls harness/*.c harness/*.h 2>/dev/null | grep -v '^harness/main\.c$')
if [ -z "$stray" ]; then ok "every C file is in a layer folder ($LAYERS)"
else not_ok "every C file is in a layer folder"; echo "$stray" | sed 's/^/# not in a layer: /'; fi

# 2. includes go down or sideways, never up
rank() { i=0; for l in $LAYERS; do i=$((i + 1)); [ "$l" = "$1" ] && { echo $i; return; }; done; echo 0; }
up=
for l in $LAYERS; do
	r=$(rank "$l")
	for f in harness/"$l"/*.[ch]; do
		for h in $(sed -n 's/^#include "\([a-z_0-9]*\.h\)".*/\1/p' "$f"); do
			hl=$(ls harness/*/"$h" 2>/dev/null | head -n 1 | cut -d/ -f2)
			[ -n "$hl" ] || { up="$up
$f includes $h, which is in no layer"; continue; }
			[ "$(rank "$hl")" -le "$r" ] || up="$up
$f ($l) includes $hl/$h, a higher layer"
		done
	done
done
if [ -z "$up" ]; then ok "every include is of the file's own layer or a lower one"
else not_ok "every include is of the file's own layer or a lower one"; echo "$up" | sed '/^$/d; s/^/# /'; fi

# 3. the map and the tree agree
missing= gone=
for f in harness/main.c $(for l in $LAYERS; do ls harness/"$l"/*.[ch]; done); do
	rel=${f#harness/}
	base=${rel%.[ch]}
	grep -q "\`$rel\`\|\`$base\.\[ch\]\`" "$MAP" || missing="$missing $rel"
done
for m in $(grep -o '`[a-z_]*/[a-z_0-9]*\.\(c\|h\|\[ch\]\)`' "$MAP" | tr -d '`'); do
	case $m in
	*.\[ch\]) [ -f "harness/${m%.\[ch\]}.c" ] || [ -f "harness/${m%.\[ch\]}.h" ] || gone="$gone $m" ;;
	*) [ -f "harness/$m" ] || gone="$gone $m" ;;
	esac
done
if [ -z "$missing$gone" ]; then ok "the module map names every C file, and only files that exist"
else
	not_ok "the module map names every C file, and only files that exist"
	[ -z "$missing" ] || echo "# not in $MAP:$missing"
	[ -z "$gone" ] || echo "# in $MAP but not in the tree:$gone"
fi

# 4. no function over 120 lines (definitions open with "{" in column 1)
long=$(for f in harness/main.c $(for l in $LAYERS; do ls harness/"$l"/*.c; done); do
	awk -v f="$f" '/^[a-z_][a-z_0-9]*\(/ { name = $0; sub(/\(.*/, "", name) }
	    /^\{/ { s = NR } /^\}/ && s { if (NR - s > 120) print f ": " name " " NR - s " lines"; s = 0 }' "$f"
done)
if [ -z "$long" ]; then ok "no function of the harness is longer than 120 lines"
else not_ok "no function of the harness is longer than 120 lines"; echo "$long" | sed 's/^/# /'; fi

echo "1..$n"
[ "$bad" -eq 0 ]
