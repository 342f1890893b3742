/*
 * t-setenv - changes its environment from the first instruction of main,
 * as many programs do (gcc's driver among them), while the agent's own
 * threads start: an agent thread that read the environment then would race
 * setenv's reallocation of environ and could crash the host.
 *
 * usage: t-setenv ROUNDS
 */
#include "tprog.h"

int
main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 2000, i, k;
	char name[32], value[32];

	for (i = 0; i < rounds; i++) {
		for (k = 0; k < 64; k++) {
			snprintf(name, sizeof name, "T_SETENV_%ld", k);
			snprintf(value, sizeof value, "%ld", i);
			if (setenv(name, value, 1) != 0)
				tp_die("setenv: %s", strerror(errno));
		}
		for (k = 0; k < 64; k++) {
			snprintf(name, sizeof name, "T_SETENV_%ld", k);
			unsetenv(name);
		}
	}
	printf("done\n");
	return 0;
}
