/*
 * fuzz.h - what the fuzz targets of jhookd share (fuzz/jhookd.c): jhookd's
 * modules set up once per process, as jhookd/main.c does, with a state
 * directory of their own.
 */
#ifndef JHOOK_FUZZ_H
#define JHOOK_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* The process the agent-answer target records answers for (fuzz/README.md). */
#define FUZZ_PID	4242
#define FUZZ_START	1000ULL

/*
 * fuzz/jhookd.c defines LLVMFuzzerInitialize for every jhookd target: LOG,
 * CNF (quiet, no fsync, a small max-disk so the history file is compacted
 * often), then HST and STO in a new temporary directory, removed at exit.
 * Exits when any of it fails.
 */
/* A copy of data with a NUL after it (the store's parser wants one). */
char	*fuzz_text(const uint8_t *data, size_t size);

#endif /* JHOOK_FUZZ_H */
