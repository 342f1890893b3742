/*
 * ctl-answer.c - fuzzes jhookctl's reading of an answer: cl_answer (the
 * envelope, from the bytes of the line) for both protocols, then, for an
 * agent's result, the renderings of a leak or bound document (text and
 * folded, after each sort), written to /dev/null.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jhookctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Stand-ins for jhookctl/main.c, which has main(): with colour, so its codes are written too. */
const char *ctl_progname = "jhookctl-fuzz";
int ctl_colour = 1;

const char *
ctl_bold(void)
{
	return "\033[1m";
}

const char *
ctl_red(void)
{
	return "\033[1;31m";
}

const char *
ctl_dim(void)
{
	return "\033[2m";
}

const char *
ctl_reset(void)
{
	return "\033[0m";
}

static FILE *fuzz_out;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if ((fuzz_out = fopen("/dev/null", "w")) == NULL) {
		perror("/dev/null");
		exit(1);
	}
	return 0;
}

/* Every rendering of an agent's leak or bound document. */
static void
fuzz_render(json_object *doc)
{
	size_t i;

	render_leak_text(fuzz_out, doc, 0);
	render_leak_text(fuzz_out, doc, 1);
	render_bounds_text(fuzz_out, doc);
	render_folded(fuzz_out, doc, 1);
	for (i = 0; proto_sort_names[i] != NULL; i++) {
		render_sort(doc, proto_sort_names[i]);
		render_folded(fuzz_out, doc, 0);
	}
}

/* One answer read as from a server of protocol t; *result when it is one. */
static void
fuzz_read(const struct proto_table *t, const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), cause[512];
	json_object *result, *error;
	int rc;

	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	rc = cl_answer(t, text, &result, &error, cause, sizeof cause);
	if ((rc == 0) != (result != NULL) || (rc == EXIT_TARGET) != (error != NULL) ||
	    (rc != 0 && rc != EXIT_TARGET && rc != EXIT_CONNECT))
		abort();
	if (result != NULL && t == &proto_agent)
		fuzz_render(result);
	json_object_put(result);
	json_object_put(error);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_read(&proto_agent, data, size);
	fuzz_read(&proto_jhookd, data, size);
	return 0;
}
