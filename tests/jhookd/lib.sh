# lib.sh - shared by the tests/jhookd/*.test scripts (POSIX sh; sourced).
#
# Each test gets its own temporary directory with a socket directory
# (JHOOK_SOCKET_DIR) and a state directory, starts real agents (jd-prog
# under the built libjhook.so) and jhookd, asks jhookd with socat on its
# control socket (or curl on HTTP), waits on conditions with deadlines,
# and kills exactly the processes it started, by pid, when it exits.
# Exit 77 means skipped, as automake expects.

. "${srcdir:-.}/tests/common.sh"

BUILD=$(cd "${JHOOK_TESTS_BIN:-$(dirname "$0")/..}/.." && pwd)
JHOOKD=$BUILD/jhookd/jhookd
JHOOKCTL=$BUILD/jhookctl/jhookctl
JDPROG=$BUILD/tests/jhookd/jd-prog
AGENT=${JHOOK_LIB:-$BUILD/.libs/libjhook.so}
SOCAT=${SOCAT:-$(command -v socat || true)}
PIDS=
JHOOKD_PID=

# A failed test ends with the tail of jhookd's log; $T goes all the same.
t_on_failure () {
	[ -f "$T/jhookd.log" ] && sed 's/^/  jhookd.log: /' "$T/jhookd.log" | tail -20
}

need () {
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed"
	done
}

[ -n "$JQ" ] || skip "jq is not installed"
[ -n "$SOCAT" ] || skip "socat is not installed"
[ -x "$JHOOKD" ] && [ -x "$JDPROG" ] && [ -f "$AGENT" ] || skip "not built"

t_tempdir jhookd
chmod 700 "$T"
mkdir -m 700 "$T/sock" "$T/state"
JHOOK_SOCKET_DIR=$T/sock
export JHOOK_SOCKET_DIR
JHOOK_REPORT=none
export JHOOK_REPORT

# At exit: the processes the test started (PIDS, stopped ones too) get
# SIGTERM and are reaped.
t_on_exit () {
	for p in $PIDS; do
		kill -CONT "$p" 2>/dev/null
		kill "$p" 2>/dev/null
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null
	done
	# JHOOKD_TEST_KEEP=1 keeps the directory (history, logs) for a post-mortem.
	if [ -n "${JHOOKD_TEST_KEEP:-}" ]; then echo "kept $T"; T_KEEP=1; fi
}

# start_prog MODE [ARGS...]: an agent; its pid in PROG_PID.
start_prog () {
	LD_PRELOAD=$AGENT "$JDPROG" "$@" >"$T/prog.$1.out" 2>&1 &
	PROG_PID=$!
	PIDS="$PIDS $PROG_PID"
}

# start_jhookd [ARGS...]: jhookd in the foreground of a background job.
start_jhookd () {
	"$JHOOKD" --foreground --state-dir "$T/state" --log-level debug "$@" \
	    >>"$T/jhookd.log" 2>&1 &
	JHOOKD_PID=$!
	PIDS="$PIDS $JHOOKD_PID"
	wait_for 10 "test -S '$T/sock/jhookd.sock'" || fatal "jhookd did not start"
}

# stop_jhookd [SIGNAL]
stop_jhookd () {
	kill "-${1:-TERM}" "$JHOOKD_PID" 2>/dev/null
	wait "$JHOOKD_PID" 2>/dev/null
	JHOOKD_RC=$?
}

now () {
	date +%s.%N
}

# wait_for SECONDS CONDITION: 0 once the shell condition holds, 1 at the
# deadline.  It replaces tests/common.sh's wait_for (a command, whole
# seconds, a failure recorded) for this suite's tests.
wait_for () {
	_end=$(awk -v n="$(now)" -v s="$1" 'BEGIN { printf "%.3f", n + s }')
	while :; do
		eval "$2" >/dev/null 2>&1 && return 0
		awk -v n="$(now)" -v e="$_end" 'BEGIN { exit !(n > e) }' && return 1
		sleep 0.1
	done
}

# ask CMD [JSON-FIELDS]: the result of one request on jhookd's control socket.
ask () {
	_ans=$(printf '{"proto":1,"cmd":"%s"%s}\n' "$1" "${2:+,$2}" |
	    "$SOCAT" -t 5 - "UNIX-CONNECT:$T/sock/jhookd.sock" | "$JQ" -c '.result')
	# No answer is null: `jq -e` passes on empty input, and must not here.
	printf '%s\n' "${_ans:-null}"
}

# A free TCP port on loopback, at random in 20000-59999 (checked by binding).
pick_port () {
	awk -v s="$$$(date +%N)" 'BEGIN { srand(s % 100000); print 20000 + int(rand() * 40000) }'
}

# near ACTUAL WANT PERCENT: 0 when ACTUAL is within PERCENT % of WANT.
near () {
	awk -v a="$1" -v w="$2" -v p="$3" 'BEGIN { d = a - w; if (d < 0) d = -d; exit !(d <= w * p / 100) }'
}

# start_jhookd_http [ARGS...]: jhookd with HTTP on a free loopback port, in URL.
start_jhookd_http () {
	for _try in 1 2 3 4 5; do
		PORT=$(pick_port)
		URL=http://127.0.0.1:$PORT
		"$JHOOKD" --foreground --state-dir "$T/state" --log-level debug \
		    --listen "127.0.0.1:$PORT" "$@" >>"$T/jhookd.log" 2>&1 &
		JHOOKD_PID=$!
		PIDS="$PIDS $JHOOKD_PID"
		wait_for 10 "curl -sf '$URL/api/status' || ! kill -0 $JHOOKD_PID" &&
		    curl -sf "$URL/api/status" >/dev/null && return 0
		kill "$JHOOKD_PID" 2>/dev/null
		wait "$JHOOKD_PID" 2>/dev/null
	done
	fatal "jhookd could not listen on HTTP"
}
