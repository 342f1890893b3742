# lib.sh - shared by every tests/*.test script (POSIX sh; sourced).
#
# The environment comes from tests/include.am (AM_TESTS_ENVIRONMENT):
#   JHOOK_LIB        the built agent, libjhook.so
#   JHOOK_TESTS_BIN  the build directory of the test programs
#   JQ, GDB          tool paths found by configure (may be empty)
#
# A test runs programs with run_agent, asserts with expect_* and ends with
# `finish`; what all three suites share (skip, fail, fatal, finish, show,
# expect_eq, expect_match, wait_for, the temporary directory $T) is in
# tests/common.sh.  Exit 77 means skipped, as automake expects.

. "$(dirname "$0")/common.sh"

BIN=${JHOOK_TESTS_BIN:-}
GDB=${GDB:-$(command -v gdb || true)}
RUN_RC=0
REPORT=

[ -n "$BIN" ] || { echo "JHOOK_TESTS_BIN is not set: run through make check"; exit 99; }
[ -n "${JHOOK_LIB:-}" ] && [ -f "$JHOOK_LIB" ] ||
	{ echo "the agent (JHOOK_LIB=${JHOOK_LIB:-}) is not built"; exit 99; }
need_tool jq "$JQ"

t_tempdir jhook
# At exit: the programs start_agent left running get SIGTERM.
t_on_exit () {
	for p in $T_PIDS; do
		kill "$p" 2>/dev/null
	done
}

# run_agent [VAR=value ...] PROGRAM [ARGS...]
# Runs a test program under the agent with a JSON report per pid in $T.
# stdout -> $T/out, stderr -> $T/err, exit status -> RUN_RC.  Assignments
# given here override the defaults (env applies them in order).
run_agent () {
	rm -f "$T"/r.*.json "$T"/r.*.txt
	timeout 120 env LD_PRELOAD="$JHOOK_LIB" \
	    JHOOK_REPORT="$T/r.%p.json" JHOOK_REPORT_FORMAT=json \
	    "$@" >"$T/out" 2>"$T/err"
	RUN_RC=$?
	REPORT=
	set -- "$T"/r.*.json
	if [ $# -eq 1 ] && [ -f "$1" ]; then
		REPORT=$1
	fi
}

# Runs a program with no agent at all (the program's own checks only).
run_plain () {
	timeout 120 env "$@" >"$T/out" 2>"$T/err"
	RUN_RC=$?
}

# expect_ge WHAT ACTUAL MIN
expect_ge () {
	if ! [ "$2" -ge "$3" ] 2>/dev/null; then
		fail "$1: got '$2', expected at least $3"
		return 1
	fi
	return 0
}

# expect_le WHAT ACTUAL MAX
expect_le () {
	if ! [ "$2" -le "$3" ] 2>/dev/null; then
		fail "$1: got '$2', expected at most $3"
		return 1
	fi
	return 0
}

# The program ran to completion with status 0.
expect_ran () {
	if [ "$RUN_RC" -ne 0 ]; then
		fail "$1 exited with status $RUN_RC"
		show "$T/err"
		return 1
	fi
	return 0
}

# The run left exactly one report and it is JSON.
expect_report () {
	if [ -z "$REPORT" ]; then
		fail "no single exit report in $T (found: $(cd "$T" && echo r.*))"
		show "$T/err"
		return 1
	fi
	if ! "$JQ" -e . "$REPORT" >/dev/null 2>&1; then
		fail "$REPORT is not valid JSON"
		show "$REPORT"
		REPORT=
		return 1
	fi
	return 0
}

# jqr FILE FILTER [jq args...]: one jq evaluation, raw output.
jqr () {
	_f=$1
	shift
	_flt=$1
	shift
	"$JQ" -r "$@" "$JQ_DEFS $_flt" "$_f" 2>&1
}

# jq definitions shared by every query.  An anchor's caller is its first
# frame that is not operator new/new[] (C++ allocations arrive through it).
JQ_DEFS='
def fname: (.function // "");
def isnew: fname | test("^_Zna|^_Znw|^operator new");
def caller: ([.frames[] | select(isnew | not)][0] // {}) | fname;
def site($f; $s): .anchors[] | select(caller == $f)
    | select($s == "-" or .size == ($s | tonumber));
'

# anchor_sum REPORT FUNC SIZE|- FIELD: FIELD summed over FUNC's anchors.
anchor_sum () {
	jqr "$1" '[site($f; $s) | .[$k]] | add // 0' \
	    --arg f "$2" --arg s "$3" --arg k "$4"
}

anchor_count () {
	jqr "$1" '[site($f; $s)] | length' --arg f "$2" --arg s "$3"
}

# check_truth REPORT OUTFILE: every "TRUTH func size alloc free diff" line
# the program printed must match the report.  The exit report lists only
# unreleased anchors, so a site with diff 0 must be absent.
check_truth () {
	_n=0
	while read -r _tag _fn _size _alloc _free _diff; do
		[ "$_tag" = TRUTH ] || continue
		_n=$((_n + 1))
		if [ "$_diff" -eq 0 ]; then
			expect_eq "$_fn (size $_size): anchors in the exit report" \
			    "$(anchor_count "$1" "$_fn" "$_size")" 0
			continue
		fi
		expect_eq "$_fn (size $_size): alloc" \
		    "$(anchor_sum "$1" "$_fn" "$_size" alloc)" "$_alloc"
		expect_eq "$_fn (size $_size): free" \
		    "$(anchor_sum "$1" "$_fn" "$_size" free)" "$_free"
		expect_eq "$_fn (size $_size): diff" \
		    "$(anchor_sum "$1" "$_fn" "$_size" diff)" "$_diff"
	done <"$2"
	[ "$_n" -gt 0 ] || fail "the program printed no TRUTH lines"
}

# check_shape REPORT PID EXE: the document's fixed fields and invariants.
check_shape () {
	expect_eq "version" "$(jqr "$1" .version)" 1
	expect_eq "pid" "$(jqr "$1" .pid)" "$2"
	expect_eq "exe" "$(jqr "$1" .exe)" "$3"
	# total_bytes and peak_bytes against what a program knows: tests/peak.test.
	expect_eq "every anchor: diff = alloc - free > 0" \
	    "$(jqr "$1" '[.anchors[] | select(.diff != .alloc - .free or .diff <= 0)] | length')" 0
	expect_eq "every frame has addr, module and offset" \
	    "$(jqr "$1" '[.anchors[].frames[] | select((.addr|type) != "string" or (.module|type) != "string" or (.offset|type) != "string")] | length')" 0
	expect_eq "bounds is an array" "$(jqr "$1" '.bounds | type')" array
	expect_eq "modules is an array" "$(jqr "$1" '.modules | type')" array
}

# The pid of a report named r.<pid>.json.
report_pid () {
	basename "$1" .json | sed 's/^r\.//'
}

# Absolute, symlink-free path of a test program (as /proc/self/exe names it).
prog () {
	readlink -f "$BIN/$1"
}

# Starts a program under the agent in the background (killed after 150 s
# at the latest); the pid of `timeout` in BG_PID.
start_agent () {
	rm -f "$T"/r.*.json "$T"/r.*.txt
	timeout 150 env LD_PRELOAD="$JHOOK_LIB" \
	    JHOOK_REPORT="$T/r.%p.json" JHOOK_REPORT_FORMAT=json \
	    "$@" >"$T/out" 2>"$T/err" &
	BG_PID=$!
	T_PIDS="$T_PIDS $BG_PID"
}

# Waits for the background program to end (bounded by its timeout); RUN_RC.
wait_bg () {
	wait "$BG_PID"
	RUN_RC=$?
	set -- "$T"/r.*.json
	REPORT=
	if [ $# -eq 1 ] && [ -f "$1" ]; then
		REPORT=$1
	fi
}
