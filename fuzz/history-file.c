/*
 * history-file.c - fuzzes jhookd's reading of its history file as bytes:
 * STO_Replay's framing (lines, "CRC32 JSON", a torn tail) and, for lines
 * whose CRC holds, the replay into the history (journal.c).  Mutations
 * rarely keep a CRC right: fuzz/history.c fuzzes the records themselves.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "history.h"
#include "jhookd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);

	if (STO_Replay(text, size, HST_Replay) > size)
		abort();
	HST_Finalise();
	free(text);
	return 0;
}
