/*
 * log.c - messages with levels: to stderr, with sd-daemon priority prefixes
 * when stderr is the journal, or to syslog once jhookd has daemonised.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <time.h>

#include "jhookd.h"

static struct {
	enum log_level	 level;
	int		 journal;	/* stderr is a journal stream */
	int		 syslog;
} lg = { LOGL_INFO, 0, 0 };

static const char *const lg_names[] = { "error", "warning", "info", "debug" };
static const int lg_priorities[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

void
LOG_Initialise(void)
{
	lg.journal = getenv("JOURNAL_STREAM") != NULL;
}

void
LOG_Finalise(void)
{
	if (lg.syslog)
		closelog();
}

void
LOG_SetLevel(enum log_level level)
{
	lg.level = level;
}

void
LOG_UseSyslog(void)
{
	openlog("jhookd", LOG_PID, LOG_DAEMON);
	lg.syslog = 1;
}

void
LOG_Message(enum log_level level, const char *fmt, ...)
{
	char msg[1024], stamp[32];
	struct tm tm;
	time_t now;
	va_list ap;

	if (level > lg.level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (lg.syslog) {
		syslog(lg_priorities[level], "%s", msg);
		return;
	}
	if (lg.journal) {
		fprintf(stderr, "<%d>%s\n", lg_priorities[level], msg);
		return;
	}
	now = time(NULL);
	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s jhookd %s: %s\n", stamp, lg_names[level], msg);
}
