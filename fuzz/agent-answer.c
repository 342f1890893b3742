/*
 * agent-answer.c - fuzzes what jhookd does with the bytes of an agent's
 * answer to a poll (AGT_Answer: the envelope, proto_leak_check, then the
 * history), for process FUZZ_PID.  Each input is recorded twice, ten
 * seconds apart, so the second poll finds the anchors of the first; then
 * HST_Maintain runs as after every round of polls, and the history is
 * emptied for the next input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "history.h"
#include "jhookd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* evbuffer_pullup's bytes: no NUL after them, so none is given here. */
	char *text = malloc(size > 0 ? size : 1), cause[256];
	double now = jd_now();
	struct hst_proc *p;

	if (text == NULL)
		abort();
	memcpy(text, data, size);
	if ((p = HST_Seen(FUZZ_PID, FUZZ_START, now)) == NULL)
		abort();
	if (AGT_Answer(p, text, size, now, cause, sizeof cause) == 0)
		AGT_Answer(p, text, size, now + 10, cause, sizeof cause);
	STO_Commit();
	HST_Maintain(now + 10);
	HST_Finalise();
	free(text);
	return 0;
}
