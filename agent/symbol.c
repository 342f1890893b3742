/*
 * symbol.c - function names from a module's ELF symbol tables.
 *
 * The first lookup in a module maps its file read-only and builds a sorted
 * array of its function symbols; later lookups are a binary search.  Tables
 * are pushed on a lock-free list and never change once published, so
 * concurrent reporters (gdb, the checker, the control thread) need no lock
 * and a fork can never leave one held.  Two threads that race to build the
 * same table both finish; the loser's copy is dropped.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <elf.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "fmt.h"
#include "module.h"
#include "sort.h"
#include "symbol.h"

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SYM_ELFDATA	ELFDATA2LSB
#else
#define SYM_ELFDATA	ELFDATA2MSB
#endif

#define SYM_ID_HEX	(2 * MOD_BUILD_ID_MAX + 1)
/* Where Debian's -dbgsym packages put the .symtab that stripped files lack. */
#define SYM_DEBUG_DIR	"/usr/lib/debug/.build-id"

/* One function: [value, value+size) relative to the load address. */
struct sym_ent {
	uint64_t	value;
	uint32_t	size;		/* 0 for hand-written code that omits it */
	uint32_t	name;		/* offset in the string table */
};

/* A module's functions, or a remembered failure (n == 0). */
struct sym_table {
	struct sym_table	*next;
	uint32_t		 module;
	struct sym_ent		*ents;
	size_t			 n;
	const char		*strtab;
	size_t			 strsz;
	void			*map;		/* the file the names point into */
	size_t			 maplen;
};

/* A mapped ELF file. */
struct sym_file {
	const unsigned char	*p;
	size_t			 len;
};

static struct sym_table	*sym_head;

/* Maps a whole file read-only; -1 when it cannot be read. */
static int
sym_map(const char *path, struct sym_file *f)
{
	struct stat	st;
	void		*p;
	int		fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size < sizeof(Elf64_Ehdr)) {
		close(fd);
		return (-1);
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return (-1);
	f->p = p;
	f->len = (size_t)st.st_size;
	return (0);
}

/* 1 when [off, off+len) lies inside the file. */
static int
sym_within(const struct sym_file *f, uint64_t off, uint64_t len)
{
	return (off <= f->len && len <= f->len - off);
}

/* 1 when the file is a 64-bit ELF of our byte order with sane tables. */
static int
sym_valid(const struct sym_file *f)
{
	Elf64_Ehdr	eh;

	memcpy(&eh, f->p, sizeof eh);
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != SYM_ELFDATA)
		return (0);
	if (eh.e_shnum != 0 && (eh.e_shentsize != sizeof(Elf64_Shdr) ||
	    !sym_within(f, eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr))))
		return (0);
	if (eh.e_phnum != 0 && (eh.e_phentsize != sizeof(Elf64_Phdr) ||
	    !sym_within(f, eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr))))
		return (0);
	return (1);
}

/* Section header i (the file is valid and i < e_shnum). */
static Elf64_Shdr
sym_shdr(const struct sym_file *f, unsigned i)
{
	Elf64_Ehdr	eh;
	Elf64_Shdr	sh;

	memcpy(&eh, f->p, sizeof eh);
	memcpy(&sh, f->p + eh.e_shoff + (size_t)i * sizeof sh, sizeof sh);
	return (sh);
}

/* The file's GNU build-id as hex ("" when none), from PT_NOTE or SHT_NOTE. */
static void
sym_file_build_id(const struct sym_file *f, char *hex)
{
	Elf64_Ehdr	eh;
	Elf64_Phdr	ph;
	Elf64_Shdr	sh;
	unsigned	i;

	memcpy(&eh, f->p, sizeof eh);
	hex[0] = '\0';
	for (i = 0; i < eh.e_phnum; i++) {
		memcpy(&ph, f->p + eh.e_phoff + (size_t)i * sizeof ph, sizeof ph);
		if (ph.p_type == PT_NOTE && sym_within(f, ph.p_offset, ph.p_filesz) &&
		    mod_note_build_id(f->p + ph.p_offset, ph.p_filesz, ph.p_align, hex, SYM_ID_HEX))
			return;
	}
	for (i = 0; i < eh.e_shnum; i++) {
		sh = sym_shdr(f, i);
		if (sh.sh_type == SHT_NOTE && sym_within(f, sh.sh_offset, sh.sh_size) &&
		    mod_note_build_id(f->p + sh.sh_offset, sh.sh_size, sh.sh_addralign, hex, SYM_ID_HEX))
			return;
	}
}

/* 1 when the file on disk is the one that was loaded (same build-id). */
static int
sym_same_build(const struct sym_file *f, const char *want)
{
	char	have[SYM_ID_HEX];

	if (want[0] == '\0')
		return (1);
	sym_file_build_id(f, have);
	return (strcmp(have, want) == 0);
}

/*
 * Orders functions by address; among aliases the plainer name comes last,
 * where the binary search lands.
 */
static int
sym_before(const void *va, const void *vb, void *ctx)
{
	const struct sym_ent	*a = va, *b = vb;
	const char		*strtab = ctx;
	size_t			 ua, ub;

	if (a->value != b->value)
		return (a->value < b->value);
	/* "malloc" reads better than "__libc_malloc" or "__GI___libc_malloc". */
	ua = strspn(strtab + a->name, "_");
	ub = strspn(strtab + b->name, "_");
	if (ua != ub)
		return (ua > ub);
	return (a->size < b->size);
}

/* 1 when a symbol names a defined function. */
static int
sym_is_func(const Elf64_Sym *s, size_t strsz)
{
	unsigned	type = ELF64_ST_TYPE(s->st_info);

	return ((type == STT_FUNC || type == STT_GNU_IFUNC) &&
	    s->st_shndx != SHN_UNDEF && s->st_value != 0 &&
	    s->st_name != 0 && s->st_name < strsz);
}

/* Copies the function symbols of one symbol table section into t. */
static int
sym_collect(struct sym_table *t, const struct sym_file *f, const Elf64_Shdr *symsh, const Elf64_Shdr *strsh)
{
	const unsigned char	*base = f->p + symsh->sh_offset;
	size_t			 i, n, count = symsh->sh_size / sizeof(Elf64_Sym);
	Elf64_Sym		 s;

	t->strtab = (const char *)f->p + strsh->sh_offset;
	t->strsz = strsh->sh_size;
	for (i = 0, n = 0; i < count; i++) {
		memcpy(&s, base + i * sizeof s, sizeof s);
		n += sym_is_func(&s, t->strsz);
	}
	if (n == 0 || (t->ents = arena_pages(n * sizeof *t->ents)) == NULL)
		return (0);
	for (i = 0, n = 0; i < count; i++) {
		memcpy(&s, base + i * sizeof s, sizeof s);
		if (!sym_is_func(&s, t->strsz))
			continue;
		t->ents[n].value = s.st_value;
		t->ents[n].size = s.st_size > UINT32_MAX ? UINT32_MAX : (uint32_t)s.st_size;
		t->ents[n].name = s.st_name;
		n++;
	}
	sort_heap(t->ents, n, sizeof t->ents[0], sym_before, (void *)t->strtab);
	t->n = n;
	return (1);
}

/* Loads the first section of the given type (SHT_SYMTAB or SHT_DYNSYM); 1 on success. */
static int
sym_load(struct sym_table *t, const struct sym_file *f, unsigned type)
{
	Elf64_Ehdr	eh;
	Elf64_Shdr	sh, str;
	unsigned	i;

	memcpy(&eh, f->p, sizeof eh);
	for (i = 0; i < eh.e_shnum; i++) {
		sh = sym_shdr(f, i);
		if (sh.sh_type != type)
			continue;
		if (sh.sh_link >= eh.e_shnum || !sym_within(f, sh.sh_offset, sh.sh_size))
			return (0);
		str = sym_shdr(f, sh.sh_link);
		/* Names are read up to their NUL: the table must end with one. */
		if (str.sh_type != SHT_STRTAB || str.sh_size == 0 ||
		    !sym_within(f, str.sh_offset, str.sh_size) ||
		    f->p[str.sh_offset + str.sh_size - 1] != '\0')
			return (0);
		return (sym_collect(t, f, &sh, &str));
	}
	return (0);
}

/* Maps path and checks it is the ELF file with build-id want. */
static int
sym_open(const char *path, const char *want, struct sym_file *f)
{
	if (sym_map(path, f) != 0)
		return (-1);
	if (!sym_valid(f) || !sym_same_build(f, want)) {
		munmap((void *)f->p, f->len);
		return (-1);
	}
	return (0);
}

/* Keeps f as the table's file, or unmaps it when the table did not load. */
static int
sym_keep(struct sym_table *t, struct sym_file *f, int loaded)
{
	if (!loaded) {
		munmap((void *)f->p, f->len);
		return (0);
	}
	t->map = (void *)f->p;
	t->maplen = f->len;
	return (1);
}

/* A stripped file's .symtab from its separate debug file, when installed. */
static int
sym_load_debug(struct sym_table *t, const char *build_id)
{
	struct sym_file	f;
	char		path[256];

	if (strlen(build_id) < 3)
		return (0);
	fmt_snprintf(path, sizeof path, "%s/%.2s/%s.debug", SYM_DEBUG_DIR, build_id, build_id + 2);
	if (sym_open(path, build_id, &f) != 0)
		return (0);
	return (sym_keep(t, &f, sym_load(t, &f, SHT_SYMTAB)));
}

/* Fills t from the module's file: .symtab, else its debug file, else .dynsym. */
static void
sym_build(struct sym_table *t)
{
	const char	*path = mod_path(t->module), *id = mod_build_id(t->module);
	struct sym_file	 f;

	/* "linux-vdso.so.1" and unknown modules have no file to read. */
	if (path[0] != '/' || sym_open(path, id, &f) != 0)
		return;
	if (sym_keep(t, &f, sym_load(t, &f, SHT_SYMTAB)))
		return;
	if (sym_load_debug(t, id))
		return;
	if (sym_open(path, id, &f) == 0)
		sym_keep(t, &f, sym_load(t, &f, SHT_DYNSYM));
}

/* The published table of a module, or NULL. */
static struct sym_table *
sym_find(uint32_t module)
{
	struct sym_table	*t;

	for (t = __atomic_load_n(&sym_head, __ATOMIC_ACQUIRE); t != NULL; t = t->next)
		if (t->module == module)
			return (t);
	return (NULL);
}

/* Releases what a table holds (not the record itself, an arena record). */
static void
sym_drop(struct sym_table *t)
{
	if (t->ents != NULL)
		arena_release(t->ents, t->n * sizeof *t->ents);
	if (t->map != NULL)
		munmap(t->map, t->maplen);
	t->ents = NULL;
	t->map = NULL;
	t->n = 0;
}

/* The module's table, built and published on first use. */
static struct sym_table *
sym_table(uint32_t module)
{
	struct sym_table	*t, *head;

	if ((t = sym_find(module)) != NULL)
		return (t);
	if ((t = arena_alloc(sizeof *t)) == NULL)
		return (NULL);
	t->module = module;
	sym_build(t);
	head = __atomic_load_n(&sym_head, __ATOMIC_ACQUIRE);
	do {
		t->next = head;
		if (sym_find(module) != NULL) {
			sym_drop(t);
			return (sym_find(module));
		}
	} while (!__atomic_compare_exchange_n(&sym_head, &head, t, 0,
	    __ATOMIC_RELEASE, __ATOMIC_ACQUIRE));
	return (t);
}

/* The function containing offset in module; see symbol.h. */
int
sym_lookup(uint32_t module, uintptr_t offset, char *name, size_t namelen, uintptr_t *func_offset)
{
	const struct sym_table	*t;
	const struct sym_ent	*e;
	size_t			 lo, hi, mid, len;

	if (module == MOD_UNKNOWN || module >= mod_count() ||
	    (t = sym_table(module)) == NULL || t->n == 0)
		return (0);
	/* The last function that starts at or before offset. */
	for (lo = 0, hi = t->n; hi - lo > 1;) {
		mid = lo + (hi - lo) / 2;
		if (t->ents[mid].value <= offset)
			lo = mid;
		else
			hi = mid;
	}
	e = &t->ents[lo];
	if (e->value > offset || (e->size != 0 && offset - e->value >= e->size))
		return (0);
	if (namelen > 0) {
		/* glibc's debug .symtab spells versions in ("memcpy@GLIBC_2.2.5"). */
		len = strcspn(t->strtab + e->name, "@");
		if (len >= namelen)
			len = namelen - 1;
		memcpy(name, t->strtab + e->name, len);
		name[len] = '\0';
	}
	if (func_offset != NULL)
		*func_offset = offset - e->value;
	return (1);
}

/* Unmaps every table; lookups after this rebuild from scratch. */
void
sym_finalise(void)
{
	struct sym_table	*t;

	t = __atomic_exchange_n(&sym_head, NULL, __ATOMIC_ACQ_REL);
	for (; t != NULL; t = t->next)
		sym_drop(t);
}
