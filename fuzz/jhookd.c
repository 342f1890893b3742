/*
 * jhookd.c - jhookd's modules set up for a fuzz target (fuzz.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "history.h"
#include "jhookd.h"

static char fuzz_dir[4096];

/* Removes the state directory and what jhookd left in it. */
static void
fuzz_cleanup(void)
{
	char path[sizeof fuzz_dir + 256];
	struct dirent *de;
	DIR *d;

	STO_Finalise();
	HST_Finalise();
	CNF_Finalise();
	if ((d = opendir(fuzz_dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof path, "%s/%s", fuzz_dir, de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(fuzz_dir);
}

int LLVMFuzzerInitialize(int *fuzzer_argc, char ***fuzzer_argv);

/* libFuzzer calls it once, before the first input. */
int
LLVMFuzzerInitialize(int *fuzzer_argc, char ***fuzzer_argv)
{
	const char *tmp = getenv("TMPDIR");
	char *argv[] = { "jhookd-fuzz", "--config", "/dev/null", "--log-level", "error",
	    "--fsync=no", "--max-disk", "64K", "--state-dir", fuzz_dir, NULL };

	snprintf(fuzz_dir, sizeof fuzz_dir, "%s/jhookd-fuzz.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : P_tmpdir);
	if (mkdtemp(fuzz_dir) == NULL) {
		perror(fuzz_dir);
		exit(1);
	}
	LOG_Initialise();
	if (CNF_Initialise((int)(sizeof argv / sizeof argv[0]) - 1, argv) != 0 ||
	    HST_Initialise() != 0 || STO_Initialise(CNF_Get()->state_dir, HST_Replay) != 0) {
		fprintf(stderr, "jhookd-fuzz: cannot set jhookd up in %s\n", fuzz_dir);
		rmdir(fuzz_dir);
		exit(1);
	}
	atexit(fuzz_cleanup);
	return 0;
}

char *
fuzz_text(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	return text;
}
