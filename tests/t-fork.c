/*
 * t-fork.c - processes made by fork and exec each report on their own.
 *
 *   fork        parent_leak 3 x 32 before fork; the child leaks child_leak
 *               5 x 48 and frees one inherited block; the parent then leaks
 *               parent_after 2 x 16.  Prints "child <pid>".
 *   forkbusy    a thread churns malloc/free while main forks 10 children
 *               that allocate and exit: none may hang (alarm) or fail.
 *   exec        exec_pre 2 x 72, then exec of this program as "execed"
 *   forkexec    a forked child execs "execed"; parent leaks parent_leak
 *   execed      exec_leak 4 x 88
 *   forkcheck READY STOP  the child leaks child_leak 5 x 48, writes its pid
 *               to READY and waits for STOP; the parent waits for it
 */
#include "tprog.h"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

static void *inherited[3];

NOINLINE static void
parent_leak(unsigned i)
{
	inherited[i] = malloc(32);
	tp_keep(i, inherited[i]);
}

NOINLINE static void
parent_after(unsigned i)
{
	void *p = malloc(16);

	tp_keep(10 + i, p);
}

NOINLINE static void
child_leak(unsigned i)
{
	void *p = malloc(48);

	tp_keep(20 + i, p);
}

NOINLINE static void
exec_pre(unsigned i)
{
	void *p = malloc(72);

	tp_keep(30 + i, p);
}

NOINLINE static void
exec_leak(unsigned i)
{
	void *p = malloc(88);

	tp_keep(40 + i, p);
}

static void
wait_ok(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		tp_die("waitpid: %s", strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		tp_die("child %d ended with status 0x%x", (int)pid, st);
}

static void
run_fork(void)
{
	unsigned i;
	pid_t pid;

	for (i = 0; i < 3; i++)
		parent_leak(i);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		tp_die("fork: %s", strerror(errno));
	if (pid == 0) {
		alarm(20);
		for (i = 0; i < 5; i++)
			child_leak(i);
		free(inherited[0]);
		exit(0);
	}
	printf("child %d\n", (int)pid);
	wait_ok(pid);
	for (i = 0; i < 2; i++)
		parent_after(i);
}

static volatile int busy_stop;

static void *
busy(void *arg)
{
	size_t n = 0;
	void *p;

	while (!busy_stop) {
		p = malloc(1 + n++ % 500);
		free(p);
	}
	return NULL;
}

static void
run_forkbusy(void)
{
	pthread_t th;
	pid_t pid;
	void *p;
	int i;

	if (pthread_create(&th, NULL, busy, NULL) != 0)
		tp_die("pthread_create");
	for (i = 0; i < 10; i++) {
		fflush(stdout);
		pid = fork();
		if (pid < 0)
			tp_die("fork: %s", strerror(errno));
		if (pid == 0) {
			alarm(20);
			p = malloc(100);
			free(p);
			exit(0);
		}
		wait_ok(pid);
	}
	busy_stop = 1;
	pthread_join(th, NULL);
	puts("forkbusy ok");
}

static void
exec_self(void)
{
	char *argv[] = { "t-fork", "execed", NULL };

	fflush(stdout);
	execv("/proc/self/exe", argv);
	tp_die("execv: %s", strerror(errno));
}

static void
run_exec(void)
{
	unsigned i;

	for (i = 0; i < 2; i++)
		exec_pre(i);
	exec_self();
}

static void
run_forkexec(void)
{
	pid_t pid;
	unsigned i;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		tp_die("fork: %s", strerror(errno));
	if (pid == 0)
		exec_self();
	printf("child %d\n", (int)pid);
	wait_ok(pid);
	for (i = 0; i < 3; i++)
		parent_leak(i);
}

static void
run_execed(void)
{
	unsigned i;

	for (i = 0; i < 4; i++)
		exec_leak(i);
	printf("execed %d\n", (int)getpid());
}

static void
run_forkcheck(const char *ready, const char *stop)
{
	char text[32];
	unsigned i;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		tp_die("fork: %s", strerror(errno));
	if (pid == 0) {
		for (i = 0; i < 5; i++)
			child_leak(i);
		snprintf(text, sizeof(text), "%d\n", (int)getpid());
		tp_publish(ready, text);
		if (tp_wait_file(stop, 120) != 0)
			tp_die("nobody created %s", stop);
		exit(0);
	}
	wait_ok(pid);
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "fork";

	if (strcmp(mode, "fork") == 0)
		run_fork();
	else if (strcmp(mode, "forkbusy") == 0)
		run_forkbusy();
	else if (strcmp(mode, "exec") == 0)
		run_exec();
	else if (strcmp(mode, "forkexec") == 0)
		run_forkexec();
	else if (strcmp(mode, "execed") == 0)
		run_execed();
	else if (strcmp(mode, "forkcheck") == 0 && argc == 4)
		run_forkcheck(argv[2], argv[3]);
	else
		tp_die("unknown mode %s", mode);
	return 0;
}
