/*
 * store.c - the state directory: one append-only history file.
 *
 * Each record is one line, "CRC32 JSON\n", where CRC32 is 8 hex digits of
 * the JSON text's CRC.  Fsync policy: the records of one poll are written
 * with one write(2) and, with "fsync yes" (the default), followed by
 * fdatasync(2) before the next poll is recorded, so a kill -9 or a crash
 * loses at most the poll being written.  On start, a torn last line is cut
 * off and any line whose CRC or JSON is bad is skipped, each with a warning.
 * Compaction (retention, or the file over max-disk) writes a new file from
 * what jhookd remembers, fsyncs it and renames it over the old one.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jhookd.h"

#define STO_FILE	"history.jhl"
#define STO_TMP		"history.jhl.tmp"

static struct {
	char		*dir;
	char		*path;
	char		*tmp;
	int		 fd;
	int64_t		 size;
	char		*buf;		/* the pending batch */
	size_t		 len, cap;
	uint64_t	 records_loaded, records_bad, torn_bytes;
	uint64_t	 commits, compactions, write_errors;
	/* Write failures and recoveries are logged at most once a minute each. */
	uint64_t	 failing;	/* batches dropped since the last line said so */
	int		 broken;	/* the last commit failed */
	double		 failure_said, recovery_said;
} sto = { .fd = -1 };

uint32_t
STO_Crc32(const char *p, size_t n)
{
	static uint32_t table[256];
	uint32_t c = 0xffffffffu;
	size_t i;
	int k;

	if (table[1] == 0) {
		for (i = 0; i < 256; i++) {
			c = (uint32_t)i;
			for (k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
		c = 0xffffffffu;
	}
	for (i = 0; i < n; i++)
		c = table[(c ^ (unsigned char)p[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

/* Writes all of p; 0 or -1. */
static int
sto_write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One line: checks the CRC and parses; the record or NULL. */
static json_object *
sto_parse_line(const char *line, size_t n)
{
	unsigned long crc;
	char hex[9], *end;

	if (n < 10 || line[8] != ' ')
		return NULL;
	memcpy(hex, line, 8);
	hex[8] = '\0';
	crc = strtoul(hex, &end, 16);
	if (*end != '\0' || crc != STO_Crc32(line + 9, n - 9))
		return NULL;
	return json_tokener_parse(line + 9);
}

size_t
STO_Replay(char *data, size_t len, sto_replay_fn replay)
{
	size_t good_end = 0, lineno = 0;
	json_object *rec;
	char *nl;

	for (size_t pos = 0; pos < len; pos = (size_t)(nl - data) + 1) {
		lineno++;
		if ((nl = memchr(data + pos, '\n', len - pos)) == NULL)
			break;
		*nl = '\0';
		good_end = (size_t)(nl - data) + 1;
		rec = sto_parse_line(data + pos, (size_t)(nl - (data + pos)));
		if (rec == NULL || replay(rec) != 0) {
			LOG_Warn("%s: line %zu is corrupt (bad checksum or record); skipped",
			    sto.path, lineno);
			sto.records_bad++;
		} else {
			sto.records_loaded++;
		}
		json_object_put(rec);
	}
	return good_end;
}

/* Replays every line of the file; cuts a torn tail off. */
static int
sto_load(sto_replay_fn replay)
{
	size_t off = 0, good_end;
	struct stat st;
	char *data;
	ssize_t r;

	if (fstat(sto.fd, &st) != 0)
		return -1;
	if (st.st_size == 0)
		return 0;
	if ((data = malloc((size_t)st.st_size + 1)) == NULL)
		return -1;
	while (off < (size_t)st.st_size) {
		r = pread(sto.fd, data + off, (size_t)st.st_size - off, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	data[off] = '\0';
	good_end = STO_Replay(data, off, replay);
	if (good_end < off) {
		sto.torn_bytes = off - good_end;
		LOG_Warn("%s: the last %zu bytes are a torn record (jhookd was killed "
		    "while writing); cut off", sto.path, off - good_end);
		if (ftruncate(sto.fd, (off_t)good_end) != 0)
			LOG_Error("%s: cannot cut the torn tail: %s", sto.path, strerror(errno));
	}
	free(data);
	return 0;
}

int
STO_Initialise(const char *dir, sto_replay_fn replay)
{
	struct stat st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		LOG_Error("state directory %s: %s", dir, strerror(errno));
		return -1;
	}
	/* Absolute, so the daemon can leave its working directory. */
	if ((sto.dir = realpath(dir, NULL)) == NULL) {
		LOG_Error("state directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (asprintf(&sto.path, "%s/" STO_FILE, sto.dir) < 0 ||
	    asprintf(&sto.tmp, "%s/" STO_TMP, sto.dir) < 0)
		return -1;
	unlink(sto.tmp);	/* a compaction that did not finish */
	sto.fd = open(sto.path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (sto.fd < 0) {
		LOG_Error("%s: %s", sto.path, strerror(errno));
		return -1;
	}
	if (sto_load(replay) != 0) {
		LOG_Error("%s: cannot read: %s", sto.path, strerror(errno));
		return -1;
	}
	sto.size = fstat(sto.fd, &st) == 0 ? st.st_size : 0;
	LOG_Info("history %s: %llu records loaded, %llu skipped", sto.path,
	    (unsigned long long)sto.records_loaded, (unsigned long long)sto.records_bad);
	return 0;
}

void
STO_Finalise(void)
{
	STO_Commit();
	if (sto.fd >= 0)
		close(sto.fd);
	sto.fd = -1;
	free(sto.buf);
	free(sto.dir);
	free(sto.path);
	free(sto.tmp);
	sto.buf = sto.dir = sto.path = sto.tmp = NULL;
	sto.len = sto.cap = 0;
}

void
STO_Append(json_object *rec)
{
	const char *text = json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN);
	size_t n = strlen(text), need = sto.len + n + 11;
	char *nb;

	if (need > sto.cap) {
		if ((nb = realloc(sto.buf, need * 2)) == NULL) {
			LOG_Error("no memory for a history record; dropped");
			return;
		}
		sto.buf = nb;
		sto.cap = need * 2;
	}
	sprintf(sto.buf + sto.len, "%08x ", STO_Crc32(text, n));
	memcpy(sto.buf + sto.len + 9, text, n);
	sto.buf[sto.len + 9 + n] = '\n';
	sto.len += n + 10;
}

void
STO_Commit(void)
{
	if (sto.len == 0 || sto.fd < 0)
		return;
	if (sto_write_all(sto.fd, sto.buf, sto.len) != 0) {
		int saved = errno;

		/*
		 * A short write (a full disk, a file size limit) left part of a
		 * record: cut it off, or the next good record would be glued to
		 * it and lost at replay.
		 */
		if (ftruncate(sto.fd, (off_t)sto.size) != 0)
			LOG_Error("%s: cannot cut a partial record off: %s", sto.path,
			    strerror(errno));
		sto.failing++;
		sto.write_errors++;
		sto.broken = 1;
		if (jd_now() - sto.failure_said >= 60) {
			LOG_Error("%s: write: %s; %llu batches dropped, the file ends at "
			    "its last whole record", sto.path, strerror(saved),
			    (unsigned long long)sto.failing);
			sto.failure_said = jd_now();
			sto.failing = 0;
		}
	} else {
		if (sto.broken && jd_now() - sto.recovery_said >= 60) {
			LOG_Info("%s: writing again (%llu write errors so far)", sto.path,
			    (unsigned long long)sto.write_errors);
			sto.recovery_said = jd_now();
		}
		sto.broken = 0;
		sto.size += (int64_t)sto.len;
		sto.commits++;
		if (CNF_Get()->fsync && fdatasync(sto.fd) != 0)
			LOG_Error("%s: fdatasync: %s", sto.path, strerror(errno));
	}
	sto.len = 0;
}

int64_t
STO_Size(void)
{
	return sto.size;
}

/* fsyncs the directory, so a rename survives a crash. */
static void
sto_sync_dir(void)
{
	int fd = open(sto.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int
STO_Compact(void (*writer)(void))
{
	int fd, saved = sto.fd;

	STO_Commit();
	fd = open(sto.tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		LOG_Error("%s: %s", sto.tmp, strerror(errno));
		return -1;
	}
	writer();
	if (sto_write_all(fd, sto.buf, sto.len) != 0 || fsync(fd) != 0 ||
	    rename(sto.tmp, sto.path) != 0) {
		LOG_Error("compaction of %s failed: %s", sto.path, strerror(errno));
		close(fd);
		unlink(sto.tmp);
		sto.len = 0;
		return -1;
	}
	close(fd);
	sto_sync_dir();
	sto.fd = open(sto.path, O_RDWR | O_APPEND | O_CLOEXEC);
	if (sto.fd < 0) {
		LOG_Error("%s: %s", sto.path, strerror(errno));
		sto.fd = saved;		/* keeps appending to the old inode */
		return -1;
	}
	close(saved);
	LOG_Debug("history %s compacted: %lld -> %zu bytes", sto.path,
	    (long long)sto.size, sto.len);
	sto.size = (int64_t)sto.len;
	sto.len = 0;
	sto.compactions++;
	return 0;
}

void
STO_Stats(json_object *into)
{
	json_object_object_add(into, "history_file", json_object_new_string(sto.path));
	json_object_object_add(into, "history_bytes", json_object_new_int64(sto.size));
	json_object_object_add(into, "records_loaded", json_object_new_int64((int64_t)sto.records_loaded));
	json_object_object_add(into, "records_skipped", json_object_new_int64((int64_t)sto.records_bad));
	json_object_object_add(into, "torn_bytes_cut", json_object_new_int64((int64_t)sto.torn_bytes));
	json_object_object_add(into, "commits", json_object_new_int64((int64_t)sto.commits));
	json_object_object_add(into, "compactions", json_object_new_int64((int64_t)sto.compactions));
	json_object_object_add(into, "write_errors", json_object_new_int64((int64_t)sto.write_errors));
}
