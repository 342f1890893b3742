# lib.sh - shared by tests/ctl/*.test (POSIX sh; sourced).
#
# Environment (tests/include.am exports JHOOK_LIB and JQ; the rest is
# derived from the build directory, or given to run a test by hand):
#   JHOOK_LIB      the built agent (.libs/libjhook.so)
#   JHOOKCTL       the built jhookctl
#   CTL_BIN        where ctl-prog, ctl-run-c and ctl-run-cxx were built
#
# A test starts ctl-prog under the agent with start_prog, makes it do
# exactly known allocations with tick, asks with ctl (jhookctl) or raw
# (one request line through socat), and asserts with expect_* (the helpers
# all three suites share are in tests/common.sh).  Every wait is a poll on a
# condition with a deadline.  Exit 77 means skipped.

. "${srcdir:-.}/tests/common.sh"

# A failed expect_match shows at most 2000 characters of what it got.
T_MATCH_CLIP=2000

[ -n "${JHOOK_LIB:-}" ] && [ -f "$JHOOK_LIB" ] ||
	{ echo "the agent (JHOOK_LIB=${JHOOK_LIB:-}) is not built"; exit 99; }
TOP=$(cd "$(dirname "$JHOOK_LIB")/.." && pwd)
JHOOKCTL=${JHOOKCTL:-$TOP/jhookctl/jhookctl}
CTL_BIN=${CTL_BIN:-$TOP/tests/ctl}
SRC=${srcdir:-.}/tests/ctl
[ -x "$JHOOKCTL" ] || { echo "jhookctl ($JHOOKCTL) is not built"; exit 99; }
need_tool jq "$JQ"

t_tempdir jhook
JHOOK_SOCKET_DIR=$T/sock
export JHOOK_SOCKET_DIR
# The agent in every program a test starts: its socket, no exit report.
JHOOK_AGENT=$JHOOK_LIB
export JHOOK_AGENT
NO_COLOR=1
export NO_COLOR

# At exit: every program the test started (in T_PIDS) is killed and reaped.
t_on_exit () {
	for p in $T_PIDS; do
		{ kill -9 "$p" && wait "$p"; } 2>/dev/null
	done
}

expect_rc () {
	if [ "$2" != "$3" ]; then
		fail "$1: exit status $2, expected $3"
		return 1
	fi
	return 0
}

# ctl ARGS...: jhookctl; output in $T/ctl.out, errors in $T/ctl.err, status in CTL_RC.
ctl () {
	"$JHOOKCTL" "$@" >"$T/ctl.out" 2>"$T/ctl.err"
	CTL_RC=$?
	return 0
}

# jqo FILTER [jq args]: evaluates FILTER on the last jhookctl output.
jqo () {
	_flt=$1
	shift
	"$JQ" -r "$@" "$_flt" "$T/ctl.out" 2>&1
}

# start_prog [VAR=value ...]: ctl-prog under the agent; PROG_PID, SEQ.
# The command fifo is held open read-write on fd 7, so neither side blocks.
start_prog () {
	rm -f "$T/cmd" "$T/ack"
	mkfifo "$T/cmd" || fatal "mkfifo"
	: >"$T/ack"
	exec 7<>"$T/cmd"
	env LD_PRELOAD="$JHOOK_LIB" JHOOK_REPORT=none "$@" \
	    "$CTL_BIN/ctl-prog" "$T/cmd" "$T/ack" >"$T/prog.out" 2>"$T/prog.err" &
	PROG_PID=$!
	T_PIDS="$T_PIDS $PROG_PID"
	SEQ=0
	wait_for 20 "ctl-prog's socket" test -S "$JHOOK_SOCKET_DIR/$PROG_PID.sock" ||
		{ show "$T/prog.err"; finish; }
	wait_for 20 "ctl-prog to start" grep -qx "ready 0" "$T/ack" || finish
}

# tick COMMAND: ctl-prog runs COMMAND; returns once it has finished it.
tick () {
	SEQ=$((SEQ + 1))
	echo "$1" >&7
	wait_for 20 "ctl-prog to do '$1'" grep -qx "ok $SEQ" "$T/ack"
}

# raw LINE: sends LINE (printf format, no newline added) through socat; answer in $T/raw.
raw () {
	printf "$1" | timeout 20 socat -t 10 - "UNIX-CONNECT:$JHOOK_SOCKET_DIR/$PROG_PID.sock" \
	    >"$T/raw" 2>"$T/raw.err"
}

# jqr FILTER: evaluates FILTER on the last raw answer.
jqr () {
	"$JQ" -r "$1" "$T/raw" 2>&1
}

# Sum of FIELD over the anchors of SIZE in the last JSON output.
anchor_sum () {
	jqo "[.anchors[] | select(.size == $1) | .$2] | add // 0"
}

# Number of anchors of SIZE in the last JSON output.
anchor_count () {
	jqo "[.anchors[] | select(.size == $1)] | length"
}

# The line of MARK in a test source file.
src_line () {
	grep -n "$2" "$SRC/$1" | head -n 1 | cut -d: -f1
}
