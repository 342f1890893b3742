/*
 * main.c - jhookd(8): start-up and tear-down order, signals as events.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jhookd.h"
#include "history.h"

static void
jd_signal(evutil_socket_t sig, short what, void *arg)
{
	struct event_base *base = arg;

	if (sig == SIGHUP) {
		LOG_Info("SIGHUP: reloading %s", CNF_File());
		if (CNF_Reload() == 0) {
			AGT_Reconfigure();
			WEB_Reconfigure();
		}
		return;
	}
	LOG_Info("%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	event_base_loopexit(base, NULL);
}

int
main(int argc, char **argv)
{
	struct event *sigs[3];
	static const int signums[3] = { SIGHUP, SIGTERM, SIGINT };
	struct event_base *base;
	int i, rc = 1;

	LOG_Initialise();
	if (CNF_Initialise(argc, argv) != 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	/* A file size limit makes a write fail (EFBIG), as a full disk does. */
	signal(SIGXFSZ, SIG_IGN);
	jd_start();
	if (!CNF_Get()->foreground) {
		/* Stays in its directory until the state directory is resolved. */
		if (daemon(1, 0) != 0) {
			LOG_Error("cannot daemonise");
			return 1;
		}
		LOG_UseSyslog();
	}
	if ((base = event_base_new()) == NULL) {
		LOG_Error("cannot create the event loop");
		return 1;
	}
	for (i = 0; i < 3; i++) {
		sigs[i] = evsignal_new(base, signums[i], jd_signal, base);
		event_add(sigs[i], NULL);
	}
	if (HST_Initialise() != 0 || STO_Initialise(CNF_Get()->state_dir, HST_Replay) != 0)
		goto out;
	HST_Maintain(jd_now());
	if (!CNF_Get()->foreground && chdir("/") != 0)
		LOG_Warn("cannot chdir to /");
	if (AGT_Initialise(base) != 0 || CAM_Initialise(base) != 0 || WEB_Initialise(base) != 0)
		goto out;
	LOG_Info("started: polling every %g s, history in %s", CNF_Get()->interval,
	    CNF_Get()->state_dir);
	event_base_dispatch(base);
	rc = 0;
out:
	WEB_Finalise();
	CAM_Finalise();
	AGT_Finalise();
	STO_Finalise();
	HST_Finalise();
	for (i = 0; i < 3; i++)
		event_free(sigs[i]);
	event_base_free(base);
	CNF_Finalise();
	LOG_Finalise();
	return rc;
}
