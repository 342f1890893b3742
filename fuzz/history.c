/*
 * history.c - fuzzes the replay of jhookd's history records (journal.c):
 * each line of the input is one record's JSON text, framed here with its
 * CRC (STO_Crc32) as jhookd writes it, so every record gets past the
 * framing into HST_Replay.  Then HST_Maintain runs, as at jhookd's start
 * (retention, the memory budget, a compaction when due), and the history
 * is emptied for the next input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "history.h"
#include "jhookd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input's lines as a history file: "CRC32 JSON\n" each. */
static char *
fuzz_frame(const uint8_t *data, size_t size, size_t *len)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	char *file = malloc(size + 10 * (size + 1) + 1), *at = file;
	size_t n;

	if (file == NULL)
		abort();
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		at += sprintf(at, "%08x ", STO_Crc32(p, n));
		memcpy(at, p, n);
		at += n;
		*at++ = '\n';
	}
	*at = '\0';
	*len = (size_t)(at - file);
	return file;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len;
	char *file = fuzz_frame(data, size, &len);

	/* Every line is whole: nothing of it may be taken for a torn tail. */
	if (STO_Replay(file, len, HST_Replay) != len)
		abort();
	HST_Maintain(jd_now());
	HST_Finalise();
	free(file);
	return 0;
}
