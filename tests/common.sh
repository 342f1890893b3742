# common.sh - what every test suite's lib.sh shares (POSIX sh; sourced).
#
# Sourced first by tests/lib.sh (agent tests), tests/ctl/lib.sh (control
# plane) and tests/jhookd/lib.sh (collector); each of those keeps what is
# its own suite's.  A test asserts with expect_* (each failure is one line
# naming what was checked, what was seen and what was wanted), and ends
# with `finish`.  Exit 77 means skipped, as automake expects.
#
# What a suite's lib.sh provides for the helpers here:
#   t_on_exit     stops the processes its test started (only those, by pid)
#                 before $T is removed; called by the exit trap
#   t_on_failure  may be redefined: what `finish` does before exit 1 (the
#                 default says so and keeps $T)
#   T_MATCH_CLIP  may be set: expect_match shows at most this many
#                 characters of what it got (all of it when empty)

set -u

T_NAME=$(basename "$0" .test)
T_FAILS=0
T_KEEP=0
T_PIDS=
T_MATCH_CLIP=
JQ=${JQ:-$(command -v jq || true)}

skip () {
	echo "SKIP: $T_NAME: $*"
	exit 77
}

# Records a failure and goes on, so one run shows every wrong number.
fail () {
	echo "FAIL: $T_NAME: $*"
	T_FAILS=$((T_FAILS + 1))
}

# Ends the test after a failure that makes the rest meaningless.
fatal () {
	fail "$@"
	finish
}

finish () {
	if [ "$T_FAILS" -ne 0 ]; then
		t_on_failure
		exit 1
	fi
	echo "PASS: $T_NAME"
	exit 0
}

t_on_failure () {
	echo "$T_NAME: $T_FAILS check(s) failed; files kept in $T"
	T_KEEP=1
}

# need_tool NAME PATH: skips the test unless PATH is an executable.
need_tool () {
	[ -n "$2" ] && [ -x "$2" ] || skip "$1 is not installed"
}

# t_tempdir PREFIX: the test's own directory, $T (PREFIX-<test>.XXXXXX in
# TMPDIR).  At exit t_on_exit runs, then $T is removed unless T_KEEP=1.
t_tempdir () {
	T=$(mktemp -d "${TMPDIR:-/tmp}/$1-$T_NAME.XXXXXX") || exit 99
	trap t_cleanup EXIT
	trap 'exit 1' INT TERM HUP
}

# Replaced by each suite's lib.sh (this one stops nothing).
t_on_exit () {
	:
}

# Keeps the exit status: some shells (dash) would exit with the trap's own.
t_cleanup () {
	_rc=$?
	t_on_exit
	[ "$T_KEEP" = 1 ] || rm -rf "$T"
	exit $_rc
}

# Shows a file in the test log (bounded) to explain a failure.
show () {
	echo "--- $1"
	head -c 20000 "$1" 2>/dev/null
	echo "---"
}

expect_eq () {
	if [ "x$2" != "x$3" ]; then
		fail "$1: got '$2', expected '$3'"
		return 1
	fi
	return 0
}

expect_match () {
	if ! printf '%s\n' "$2" | grep -Eq -- "$3"; then
		_got=$2
		[ -z "$T_MATCH_CLIP" ] ||
			_got=$(printf '%s' "$2" | head -c "$T_MATCH_CLIP")
		fail "$1: got '$_got', expected a match for /$3/"
		return 1
	fi
	return 0
}

# wait_for SECONDS WHAT COMMAND...: polls COMMAND until it succeeds.
wait_for () {
	_deadline=$(($(date +%s) + $1))
	_what=$2
	shift 2
	while ! "$@" >/dev/null 2>&1; do
		if [ "$(date +%s)" -ge "$_deadline" ]; then
			fail "timed out waiting for $_what"
			return 1
		fi
		sleep 0.05
	done
	return 0
}
