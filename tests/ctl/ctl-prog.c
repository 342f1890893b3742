/*
 * ctl-prog.c - a long-running program for the control-plane tests.
 *
 *   ctl-prog CMD_FIFO ACK_FILE
 *
 * Reads one command per line from CMD_FIFO and, once it is done, appends
 * "ok SEQ" (SEQ counts commands from 1) to ACK_FILE, so a test knows
 * exactly which allocations happened.  Each site allocates a size no
 * other code uses, so a test finds its anchors by size:
 *
 *   leak N      N blocks of 4001 from leak_a, kept
 *   leakb N     N blocks of 4003 from leak_b (three frames deeper), kept
 *   churn N     N blocks of 4005 allocated and freed at once
 *   freea N     frees N of leak_a's blocks
 *   sizes       one block each of 100, 1000 and 10000 from sized(), kept
 *   many N      one block each of 20000..20000+N-1 bytes from sized(): N
 *               anchors, for answers larger than a socket's buffer
 *   overflow    one block of 4007 with its byte 4007 overwritten, kept
 *   fork        a child that writes "child PID" to ACK_FILE and waits
 *   exit N      exit(N)
 *
 * Only read(2) and write(2): no stdio, so the program itself allocates
 * nothing the tests do not ask for.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE	__attribute__((noipa))	/* no inlining, no clones, under any -O */
#define KEEP_MAX	100000

/* Global, so the compiler cannot drop the blocks they keep. */
void		*ctl_kept_a[KEEP_MAX];
int		 ctl_nkept_a;
void		*ctl_kept[KEEP_MAX];
int		 ctl_nkept;
static int	 ack_fd;
static int	 cmd_fd;

static void
keep(void *p)
{
	if (ctl_nkept < KEEP_MAX)
		ctl_kept[ctl_nkept++] = p;
}

NOINLINE static void *
leak_a(void)
{
	return malloc(4001);	/* LEAK_A */
}

NOINLINE static void *
leak_b_inner(void)
{
	return malloc(4003);	/* LEAK_B */
}

NOINLINE static void *
leak_b_mid(void)
{
	return leak_b_inner();
}

NOINLINE static void *
leak_b(void)
{
	return leak_b_mid();
}

NOINLINE static void
churn(void)
{
	void *volatile p = malloc(4005);

	free(p);
}

NOINLINE static void *
sized(size_t n)
{
	return malloc(n);
}

NOINLINE static void
overflow(void)
{
	char *p = malloc(4007);

	memset(p, 'x', 4008);	/* one byte past the end */
	keep(p);
}

NOINLINE static void
say(const char *a, long n)
{
	char buf[64], num[24];
	int i = 0, k;

	do
		num[i++] = (char)('0' + n % 10);
	while ((n /= 10) > 0);
	k = (int)strlen(a);
	memcpy(buf, a, (size_t)k);
	buf[k++] = ' ';
	while (i > 0)
		buf[k++] = num[--i];
	buf[k++] = '\n';
	(void)write(ack_fd, buf, (size_t)k);
}

NOINLINE static void
spawn_child(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		say("child", (long)getpid());
		for (;;)
			pause();
	}
}

/* As a daemon does at start: closes every descriptor but its own two, then reuses the numbers. */
NOINLINE static void
close_all_fds(void)
{
	int fd;

	for (fd = 3; fd < 1024; fd++) {
		if (fd != cmd_fd && fd != ack_fd)
			close(fd);
	}
	for (fd = 0; fd < 8; fd++)
		(void)open("/dev/null", O_RDONLY);
}

NOINLINE static void
run(const char *cmd, long n)
{
	long i;

	if (strcmp(cmd, "leak") == 0) {
		for (i = 0; i < n && ctl_nkept_a < KEEP_MAX; i++)
			ctl_kept_a[ctl_nkept_a++] = leak_a();
	} else if (strcmp(cmd, "leakb") == 0) {
		for (i = 0; i < n; i++)
			keep(leak_b());
	} else if (strcmp(cmd, "churn") == 0) {
		for (i = 0; i < n; i++)
			churn();
	} else if (strcmp(cmd, "freea") == 0) {
		for (i = 0; i < n && ctl_nkept_a > 0; i++)
			free(ctl_kept_a[--ctl_nkept_a]);
	} else if (strcmp(cmd, "many") == 0) {
		for (i = 0; i < n; i++)
			keep(sized(20000 + (size_t)i));
	} else if (strcmp(cmd, "sizes") == 0) {
		keep(sized(100));
		keep(sized(1000));
		keep(sized(10000));
	} else if (strcmp(cmd, "overflow") == 0) {
		overflow();
	} else if (strcmp(cmd, "fork") == 0) {
		spawn_child();
	} else if (strcmp(cmd, "closefds") == 0) {
		close_all_fds();
	} else if (strcmp(cmd, "exit") == 0) {
		exit((int)n);
	}
}

/* "word N" -> run(word, N). */
NOINLINE static void
line(char *s)
{
	char *sp = strchr(s, ' ');
	long n = 0;

	if (sp != NULL) {
		*sp++ = '\0';
		while (*sp >= '0' && *sp <= '9')
			n = n * 10 + (*sp++ - '0');
	}
	run(s, n);
}

int
main(int argc, char **argv)
{
	static char buf[4096];
	size_t len = 0;
	long seq = 0;
	ssize_t r;
	char *nl;
	int fd;

	if (argc != 3)
		return 2;
	alarm(300);	/* never outlive a broken test */
	if ((cmd_fd = fd = open(argv[1], O_RDONLY)) < 0 ||
	    (ack_fd = open(argv[2], O_WRONLY | O_APPEND)) < 0)
		return 2;
	say("ready", 0);
	while ((r = read(fd, buf + len, sizeof buf - 1 - len)) > 0) {
		len += (size_t)r;
		while ((nl = memchr(buf, '\n', len)) != NULL) {
			*nl = '\0';
			line(buf);
			say("ok", ++seq);
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len);
		}
	}
	return 0;
}
