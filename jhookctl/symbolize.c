/*
 * symbolize.c - frames to function+offset, file:line and inline chains,
 * with elfutils (libdwfl), from the (module path, offset) pairs a report
 * carries.
 *
 * Each module gets a Dwfl of its own, reported at bias 0, so a frame is
 * looked up by its module offset: modules unloaded and reloaded at the
 * same address never overlap, and a report from another host symbolizes
 * against the same files (checked against the report's build-id).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jhookctl.h"

/* libstdc++'s demangler (jhookctl links -lstdc++). */
extern char *__cxa_demangle(const char *mangled, char *out, size_t *len, int *status);

struct symz_mod {
	char			*path;
	Dwfl			*dwfl;
	Dwfl_Module		*mod;
	int			 exec;		/* ET_EXEC: look up absolute addresses */
	char			 note[160];	/* why it is not symbolized */
	struct symz_mod		*next;
};

static struct symz_mod *symz_mods;
static char *symz_debuginfo_path;

static const Dwfl_Callbacks symz_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &symz_debuginfo_path,
};

/* A readable name: C++ symbols demangled, others as they are (malloc'd). */
static char *
symz_demangle(const char *name)
{
	char *d;
	int status = -1;

	if (name[0] == '_' && name[1] == 'Z') {
		d = __cxa_demangle(name, NULL, NULL, &status);
		if (status == 0 && d != NULL)
			return d;
		free(d);
	}
	return strdup(name);
}

static void
symz_hex(const unsigned char *p, int n, char *out, size_t len)
{
	int i;

	out[0] = '\0';
	for (i = 0; i < n && (size_t)(2 * i + 2) < len; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/* Reports one module file; fills m->note when it cannot be used. */
static void
symz_open(struct symz_mod *m, const char *build_id)
{
	const unsigned char *bits;
	GElf_Addr vaddr, bias;
	GElf_Ehdr eh;
	char hex[256];
	Elf *elf;
	int n;

	if (access(m->path, R_OK) != 0) {
		snprintf(m->note, sizeof m->note, "module file missing");
		return;
	}
	m->dwfl = dwfl_begin(&symz_callbacks);
	if (m->dwfl == NULL)
		goto fail;
	dwfl_report_begin(m->dwfl);
	m->mod = dwfl_report_elf(m->dwfl, m->path, m->path, -1, 0, false);
	dwfl_report_end(m->dwfl, NULL, NULL);
	if (m->mod == NULL)
		goto fail;
	if ((elf = dwfl_module_getelf(m->mod, &bias)) != NULL &&
	    gelf_getehdr(elf, &eh) != NULL)
		m->exec = eh.e_type == ET_EXEC;
	if (build_id != NULL && *build_id != '\0') {
		n = dwfl_module_build_id(m->mod, &bits, &vaddr);
		symz_hex(bits, n > 0 ? n : 0, hex, sizeof hex);
		if (strcmp(hex, build_id) != 0) {
			snprintf(m->note, sizeof m->note, "build-id differs from the "
			    "file on disk");
			dwfl_end(m->dwfl);
			m->dwfl = NULL;
			m->mod = NULL;
		}
	}
	return;
fail:
	snprintf(m->note, sizeof m->note, "cannot read module: %s", dwfl_errmsg(-1));
	if (m->dwfl != NULL)
		dwfl_end(m->dwfl);
	m->dwfl = NULL;
	m->mod = NULL;
}

static struct symz_mod *
symz_get(const char *path, const char *build_id)
{
	struct symz_mod *m;

	for (m = symz_mods; m != NULL; m = m->next) {
		if (strcmp(m->path, path) == 0)
			return m;
	}
	m = calloc(1, sizeof *m);
	m->path = strdup(path);
	symz_open(m, build_id);
	m->next = symz_mods;
	symz_mods = m;
	return m;
}

static void
jset_str(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v));
}

static void
jset_hex(json_object *o, const char *key, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof buf, "0x%llx", (unsigned long long)v);
	jset_str(o, key, buf);
}

/* A DIE's name: the demangled linkage name, else DW_AT_name (malloc'd). */
static char *
symz_die_name(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	const char *s;

	if ((dwarf_attr_integrate(die, DW_AT_linkage_name, &a) != NULL ||
	    dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a) != NULL) &&
	    (s = dwarf_formstring(&a)) != NULL)
		return symz_demangle(s);
	if (dwarf_attr_integrate(die, DW_AT_name, &a) != NULL &&
	    (s = dwarf_formstring(&a)) != NULL)
		return strdup(s);
	return strdup("??");
}

/* The call site of an inlined subroutine: file and line in its caller. */
static void
symz_call_site(Dwarf_Die *cu, Dwarf_Die *die, const char **file, int *line)
{
	Dwarf_Attribute a;
	Dwarf_Files *files;
	Dwarf_Word w;
	size_t nfiles;

	*file = "??";
	*line = 0;
	if (dwarf_attr(die, DW_AT_call_file, &a) != NULL && dwarf_formudata(&a, &w) == 0 &&
	    dwarf_getsrcfiles(cu, &files, &nfiles) == 0 && w < nfiles)
		*file = dwarf_filesrc(files, w, NULL, NULL);
	if (dwarf_attr(die, DW_AT_call_line, &a) != NULL && dwarf_formudata(&a, &w) == 0)
		*line = (int)w;
}

/*
 * Walks the scopes at pc innermost first: each inlined subroutine becomes
 * an entry of "inlined" at the current location, which then moves to its
 * call site; the location left is the one in the real function.
 */
static void
symz_inline(Dwfl_Module *mod, Dwarf_Addr pc, json_object *frame, const char **file,
    int *line)
{
	Dwarf_Die *cu, *scopes = NULL;
	Dwarf_Addr bias;
	json_object *chain, *e;
	char *name;
	int n, i;

	if ((cu = dwfl_module_addrdie(mod, pc, &bias)) == NULL)
		return;
	n = dwarf_getscopes(cu, pc - bias, &scopes);
	chain = json_object_new_array();
	for (i = 0; i < n; i++) {
		if (dwarf_tag(&scopes[i]) == DW_TAG_subprogram)
			break;
		if (dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine)
			continue;
		e = json_object_new_object();
		name = symz_die_name(&scopes[i]);
		jset_str(e, "function", name);
		free(name);
		jset_str(e, "file", *file);
		json_object_object_add(e, "line", json_object_new_int(*line));
		json_object_array_add(chain, e);
		symz_call_site(cu, &scopes[i], file, line);
	}
	free(scopes);
	if (json_object_array_length(chain) > 0)
		json_object_object_add(frame, "inlined", chain);
	else
		json_object_put(chain);
}

/* A frame's hex field ("0x..."), 0 when missing or malformed. */
static uint64_t
jhex(json_object *frame, const char *key)
{
	uint64_t v;

	return pj_hex(frame, key, &v) == 0 ? v : 0;
}

/* Demangles the frame's own "function" in place, when it has one. */
static void
symz_own_name(json_object *frame)
{
	const char *name;
	char *d;

	if (pj_str(frame, "function", &name) != 0)
		return;
	d = symz_demangle(name);
	jset_str(frame, "function", d);
	free(d);
}

/* Adds function, function_offset, file, line, inlined, debug_info to a frame. */
static void
symz_frame(json_object *frame, json_object *build_ids)
{
	struct symz_mod *m;
	uint64_t addr = jhex(frame, "addr"), offset = jhex(frame, "offset"), pc;
	GElf_Off off;
	GElf_Sym sym;
	const char *name, *file, *module;
	char *d;
	Dwfl_Line *l;
	int line = 0;

	if (!json_object_is_type(frame, json_type_object))
		return;		/* not a frame: nothing to add to */
	if (pj_str(frame, "module", &module) != 0 || *module == '\0') {
		json_object_object_add(frame, "debug_info", json_object_new_boolean(0));
		jset_str(frame, "note", "no module covers this address");
		return;
	}
	m = symz_get(module, pj_str_or(build_ids, module, NULL));
	pc = m->exec ? addr : offset;
	if (m->mod == NULL || pc == 0) {
		json_object_object_add(frame, "debug_info", json_object_new_boolean(0));
		jset_str(frame, "note", m->mod == NULL ? m->note : "no address");
		symz_own_name(frame);
		return;
	}
	/* A return address: the call is the instruction before it. */
	if ((name = dwfl_module_addrinfo(m->mod, pc - 1, &off, &sym, NULL, NULL,
	    NULL)) != NULL) {
		d = symz_demangle(name);
		jset_str(frame, "function", d);
		free(d);
		jset_hex(frame, "function_offset", off + 1);
	} else {
		symz_own_name(frame);
	}
	if ((l = dwfl_module_getsrc(m->mod, pc - 1)) == NULL ||
	    (file = dwfl_lineinfo(l, NULL, &line, NULL, NULL, NULL)) == NULL) {
		json_object_object_add(frame, "debug_info", json_object_new_boolean(0));
		jset_str(frame, "note", "no debug info");
		return;
	}
	symz_inline(m->mod, pc - 1, frame, &file, &line);
	jset_str(frame, "file", file);
	json_object_object_add(frame, "line", json_object_new_int(line));
	json_object_object_add(frame, "debug_info", json_object_new_boolean(1));
}

static void
symz_frames(json_object *owner, const char *key, json_object *build_ids)
{
	json_object *frames, *f;
	size_t i;

	if (pj_arr(owner, key, &frames) != 0)
		return;
	for (i = 0; i < json_object_array_length(frames); i++)
		if ((f = pj_obj_at(frames, i)) != NULL)
			symz_frame(f, build_ids);
}

/* path -> build_id from the document's module table, when it has one. */
static json_object *
symz_build_ids(json_object *doc)
{
	json_object *mods, *m, *map = json_object_new_object();
	const char *path, *build_id;
	size_t i;

	if (pj_arr(doc, "modules", &mods) != 0)
		return map;
	for (i = 0; i < json_object_array_length(mods); i++) {
		m = pj_obj_at(mods, i);
		if (pj_str(m, "path", &path) == 0 && pj_str(m, "build_id", &build_id) == 0)
			json_object_object_add(map, path, json_object_new_string(build_id));
	}
	return map;
}

/* Symbolizes every frame of a report or snapshot in place. */
void
symz_document(json_object *doc)
{
	json_object *build_ids = symz_build_ids(doc), *list, *item;
	const char *lists[] = { "anchors", "bounds" };
	size_t i, k;

	for (k = 0; k < 2; k++) {
		if (pj_arr(doc, lists[k], &list) != 0)
			continue;
		for (i = 0; i < json_object_array_length(list); i++) {
			if ((item = pj_obj_at(list, i)) == NULL)
				continue;
			symz_frames(item, "frames", build_ids);
			symz_frames(item, "free_frames", build_ids);
		}
	}
	json_object_put(build_ids);
}

void
symz_finalise(void)
{
	struct symz_mod *m, *next;

	for (m = symz_mods; m != NULL; m = next) {
		next = m->next;
		if (m->dwfl != NULL)
			dwfl_end(m->dwfl);
		free(m->path);
		free(m);
	}
	symz_mods = NULL;
}
