# harness/tests/tap.sh - shared by the test scripts that print TAP and
# run from a fresh clone (readme.sh, ci-recipes.sh); sourced after
# TAP_WHAT (what skip_all names) is set.
N=0 FAILED=0

ok() { N=$((N + 1)); echo "ok $N - $1"; }
not_ok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $1"; }
# skip_all WHY - the whole script is one skip
skip_all() { echo "ok 1 - $TAP_WHAT # SKIP $1"; echo "1..1"; exit 0; }
# diag FILE - a file's last lines as TAP diagnostics
diag() { tail -n 30 "$1" | sed 's/^/#   /'; }

# need_clone_rights TOP - skip unless root (namespaces) in a git checkout
need_clone_rights() {
	[ "$(id -u)" -eq 0 ] || skip_all "need root (CAP_SYS_ADMIN for namespaces)"
	command -v git >/dev/null || skip_all "git is not installed"
	git -C "$1" rev-parse HEAD >/dev/null 2>&1 || skip_all "$1 is not a git checkout"
}

# fresh_clone TOP DIR - clone TOP's HEAD into DIR as the first test
# (uses $W for its log); on failure the plan ends here, exit 1
fresh_clone() {
	if git clone -q --no-checkout "$1" "$2" >"$W/clone.out" 2>&1 &&
	    git -C "$2" checkout -q "$(git -C "$1" rev-parse HEAD)" >>"$W/clone.out" 2>&1; then
		ok "a fresh clone of HEAD ($(git -C "$1" rev-parse --short HEAD))"
	else
		not_ok "a fresh clone of HEAD"
		diag "$W/clone.out"
		echo "1..$N"
		exit 1
	fi
}
