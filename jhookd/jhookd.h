/*
 * jhookd.h - the modules of jhookd(8), the collector daemon, and their order.
 *
 * main.c initialises them in this order and finalises them in reverse:
 *   LOG  log.c      levels, stderr (journal priorities) or syslog
 *   CNF  conf.c     the option table: defaults, config file, command line
 *   STO  store.c    the state directory: an append-only history file
 *   HST  history.c  processes, anchors and their samples; retention
 *        budget.c   (the history's memory, within max-memory)
 *        journal.c  (the history's records in the history file)
 *   TRD  trend.c    leak-trend detection (suspects) over a sample window
 *   AGT  agents.c   discovery of agent sockets and non-blocking polls
 *   RPT  report.c   the JSON documents of status/processes/suspects/history
 *   CAM  cmdmon.c   jhookd's own control socket (jhookctl daemon ...)
 *   WEB  http.c     /metrics, /api/..., and the / page (evhttp)
 */
#ifndef JHOOKD_H
#define JHOOKD_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <json-c/json.h>

/* jhookd's own protocol, its version and its socket's name: proto/proto.h. */
#include "proto.h"

/* ------------------------------------------------------------------ log.c */
enum log_level { LOGL_ERROR, LOGL_WARN, LOGL_INFO, LOGL_DEBUG };

void	 LOG_Initialise(void);
void	 LOG_Finalise(void);
void	 LOG_SetLevel(enum log_level level);
/* After daemonising: stderr is gone, use syslog. */
void	 LOG_UseSyslog(void);
void	 LOG_Message(enum log_level level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
#define LOG_Error(...)	LOG_Message(LOGL_ERROR, __VA_ARGS__)
#define LOG_Warn(...)	LOG_Message(LOGL_WARN, __VA_ARGS__)
#define LOG_Info(...)	LOG_Message(LOGL_INFO, __VA_ARGS__)
#define LOG_Debug(...)	LOG_Message(LOGL_DEBUG, __VA_ARGS__)

/* ----------------------------------------------------------------- conf.c */
struct cnf_values {
	double		 interval;	/* seconds between polls of one agent */
	double		 timeout;	/* seconds one request may take */
	char		*state_dir;
	char		*listen;	/* "" = no HTTP */
	char		*control;	/* "" = <socket dir>/jhookd.sock */
	char		*watch;		/* "" = the default directories */
	char		*consumer;
	int		 log_level;	/* enum log_level */
	int		 foreground;
	int64_t		 window;	/* polls in the trend window */
	double		 rising;	/* fraction of rising steps */
	int64_t		 min_growth;	/* blocks over the window */
	int64_t		 samples;	/* samples kept per series */
	double		 retention;	/* seconds of history kept */
	int64_t		 max_disk;	/* bytes of the history file */
	int64_t		 max_memory;	/* bytes of history in memory */
	int64_t		 max_anchors;	/* per process */
	int64_t		 max_processes;
	int		 fsync;
};

/* Parses the command line and the config file; 0, or -1 after a message. */
int	 CNF_Initialise(int argc, char **argv);
void	 CNF_Finalise(void);
/* Reads the config file again (command line still wins); 0 or -1. */
int	 CNF_Reload(void);
const struct cnf_values *CNF_Get(void);
const char *CNF_File(void);

/* ---------------------------------------------------------------- store.c */
/* Called for every good record while loading; a return of -1 counts it bad. */
typedef int (*sto_replay_fn)(json_object *rec);
/* Opens (creates) the state directory and replays its history; 0 or -1. */
int	 STO_Initialise(const char *dir, sto_replay_fn replay);
void	 STO_Finalise(void);
/*
 * Replays the records of a history file's text: data holds len bytes and a
 * NUL after them, and its lines are cut in place.  Each whole line whose
 * CRC and JSON are good goes to replay; the others are counted bad.  The
 * length of the whole lines: what follows is a torn record.
 */
size_t	 STO_Replay(char *data, size_t len, sto_replay_fn replay);
/* The CRC32 of a record's JSON text, as its line starts with it in hex. */
uint32_t STO_Crc32(const char *p, size_t n);
/* Appends one record to the pending batch. */
void	 STO_Append(json_object *rec);
/* Writes the pending batch (and fdatasyncs when configured). */
void	 STO_Commit(void);
/* Bytes in the history file now. */
int64_t	 STO_Size(void);
/* Rewrites the file from scratch: writer appends every record; 0 or -1. */
int	 STO_Compact(void (*writer)(void));
/* Counters for status. */
void	 STO_Stats(json_object *into);

/* ---------------------------------------------------------------- agents.c */
int	 AGT_Initialise(struct event_base *base);
void	 AGT_Finalise(void);
/* After a reload: new interval, watch list, timeout. */
void	 AGT_Reconfigure(void);
struct hst_proc;
/*
 * Reads one agent's answer to a poll (len bytes, its newline or not): the
 * envelope, then the leak document, recorded into p's history (p NULL:
 * checked only).  0; -1 with the reason in cause; 1 when it was of no use
 * but not wrong (HST_Record), and nothing was recorded.
 */
int	 AGT_Answer(struct hst_proc *p, const char *text, size_t len, double now,
	    char *cause, size_t causelen);

/* ---------------------------------------------------------------- report.c */
json_object *RPT_Status(void);
json_object *RPT_Processes(void);
json_object *RPT_Suspects(void);
/* NULL with a message in cause when pid or anchor is unknown. */
json_object *RPT_History(long pid, const char *anchor, char *cause, size_t len);

/* ---------------------------------------------------------------- cmdmon.c */
int	 CAM_Initialise(struct event_base *base);
void	 CAM_Finalise(void);

/* ------------------------------------------------------------------ http.c */
int	 WEB_Initialise(struct event_base *base);
void	 WEB_Finalise(void);
/* Rebinds when "listen" changed; 0 or -1. */
int	 WEB_Reconfigure(void);

/* -------------------------------------------------------------- counters.c */
/* What the parts count of themselves, for status: written by them only. */
struct jd_counters {
	double		 started;	/* wall clock */
	uint64_t	 polls;		/* agents.c: answers recorded */
	uint64_t	 poll_errors;
	uint64_t	 poll_timeouts;
	uint64_t	 scans;		/* agents.c: socket directory scans */
	char		 control[108];	/* cmdmon.c: the control socket's path */
};
extern struct jd_counters jd_counters;

double	 jd_now(void);		/* wall clock, seconds */
void	 jd_start(void);	/* main.c, once */
double	 jd_started(void);	/* when this jhookd started */

#endif /* JHOOKD_H */
