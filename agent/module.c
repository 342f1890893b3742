/*
 * module.c - the loaded ELF modules, remembered for the life of the process.
 *
 * Entries are appended to chunks that are never freed and published by a
 * release store of the count, so lookups take no lock.  A refresh runs
 * inside dl_iterate_phdr, which already serialises callers on the loader's
 * lock; our own lock is taken inside the callback so the lock order is
 * always loader first, then ours, even when a hook running in a thread
 * that holds the loader's lock (a free() in dlclose) comes here.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <elf.h>
#include <limits.h>
#include <link.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "anchor.h"
#include "arena.h"
#include "guard.h"
#include "lock.h"
#include "module.h"

#define MOD_CHUNK	256
#define MOD_CHUNKS	1024		/* 262144 modules over a process life */
#define MOD_ID_HEX	(2 * MOD_BUILD_ID_MAX + 1)

/* One executable PT_LOAD mapping, absolute addresses. */
struct mod_range {
	uintptr_t	start;
	uintptr_t	end;
};

struct mod_entry {
	uintptr_t		 base;		/* dlpi_addr */
	uintptr_t		 lo, hi;	/* hull of the ranges: quick reject */
	const struct mod_range	*ranges;
	unsigned		 nranges;
	int			 loaded;	/* atomic: cleared by a sweep */
	int			 initial;	/* there at the first scan: never unloaded */
	unsigned		 stamp;		/* last scan that saw it (under mod_lock) */
	const void		*phdr;		/* dlpi_phdr, part of its identity */
	const char		*path;
	char			 build_id[MOD_ID_HEX];
};

/* The state of one dl_iterate_phdr pass. */
struct mod_scan {
	int		started;
	int		locked;
	unsigned	stamp;
};

static struct mod_entry	*mod_chunks[MOD_CHUNKS];
static uint32_t		 mod_n;			/* published with release */
static lock_t		 mod_lock = LOCK_INITIALISER;
static unsigned		 mod_stamp;		/* under mod_lock */
static int		 mod_scanned;		/* a full scan completed */
static unsigned long long mod_adds, mod_subs;	/* counters at that scan */
static unsigned long long mod_seen_adds, mod_seen_subs;	/* at this scan */
static char		 mod_exe[PATH_MAX];

/* The entry for id (which must be below a count read with acquire). */
static struct mod_entry *
mod_at(uint32_t id)
{
	return (&mod_chunks[id / MOD_CHUNK][id % MOD_CHUNK]);
}

/* The published entry for id, or NULL. */
static const struct mod_entry *
mod_get(uint32_t id)
{
	if (id >= __atomic_load_n(&mod_n, __ATOMIC_ACQUIRE))
		return (NULL);
	return (mod_at(id));
}

/* Hex-encodes n bytes into out (room for 2n+1). */
static void
mod_hex(const unsigned char *p, size_t n, char *out)
{
	static const char	hex[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Finds NT_GNU_BUILD_ID among notes; shared with symbol.c for files on disk. */
int
mod_note_build_id(const void *notes, size_t len, size_t align, char *hex, size_t hexlen)
{
	const unsigned char	*p = notes, *end = p + len;
	Elf64_Nhdr		 nh;
	size_t			 namesz, descsz;

	if (align != 8)
		align = 4;
	hex[0] = '\0';
	while ((size_t)(end - p) >= sizeof nh) {
		memcpy(&nh, p, sizeof nh);
		p += sizeof nh;
		namesz = (nh.n_namesz + align - 1) & ~(align - 1);
		descsz = (nh.n_descsz + align - 1) & ~(align - 1);
		if (namesz > (size_t)(end - p) || nh.n_descsz > (size_t)(end - p) - namesz)
			return (0);
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    memcmp(p, "GNU", 4) == 0) {
			if (nh.n_descsz == 0 || 2 * (size_t)nh.n_descsz + 1 > hexlen)
				return (0);
			mod_hex(p + namesz, nh.n_descsz, hex);
			return (1);
		}
		if (descsz > (size_t)(end - p) - namesz)
			return (0);
		p += namesz + descsz;
	}
	return (0);
}

/* 1 when [vaddr, vaddr+len) lies inside one PT_LOAD, so it is mapped. */
static int
mod_mapped(const struct dl_phdr_info *info, ElfW(Addr) vaddr, size_t len)
{
	const ElfW(Phdr)	*ph;
	int			 i;

	for (i = 0; i < info->dlpi_phnum; i++) {
		ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && vaddr >= ph->p_vaddr &&
		    vaddr + len <= ph->p_vaddr + ph->p_memsz)
			return (1);
	}
	return (0);
}

/* Reads the module's build-id from its notes in memory. */
static void
mod_read_build_id(const struct dl_phdr_info *info, char *out)
{
	const ElfW(Phdr)	*ph;
	int			 i;

	out[0] = '\0';
	for (i = 0; i < info->dlpi_phnum; i++) {
		ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_NOTE || !mod_mapped(info, ph->p_vaddr, ph->p_memsz))
			continue;
		if (mod_note_build_id((const void *)(info->dlpi_addr + ph->p_vaddr),
		    ph->p_memsz, ph->p_align, out, MOD_ID_HEX))
			return;
	}
}

/*
 * The path a module is known by: the main executable's is dlpi_name "".
 * A relative dlopen() path is made absolute now, while the working
 * directory is likely the one it was opened from; names without a slash
 * (linux-vdso.so.1) are not files and stay as they are.
 */
static const char *
mod_name(const struct dl_phdr_info *info, char *buf, size_t len)
{
	const char	*name = info->dlpi_name;
	size_t		 n0;
	ssize_t		 n;

	if (name != NULL && name[0] != '\0') {
		if (name[0] == '/' || strchr(name, '/') == NULL ||
		    getcwd(buf, len) == NULL)
			return (name);
		while (name[0] == '.' && name[1] == '/')
			name += 2;
		n0 = strlen(buf);
		if (n0 + 1 + strlen(name) + 1 > len)
			return (info->dlpi_name);
		buf[n0] = '/';
		memcpy(buf + n0 + 1, name, strlen(name) + 1);
		return (buf);
	}
	if (mod_exe[0] == '\0') {
		n = readlink("/proc/self/exe", mod_exe, sizeof mod_exe - 1);
		mod_exe[n > 0 ? n : 0] = '\0';
	}
	return (mod_exe);
}

/* The last component of a path. */
static const char *
mod_basename(const char *path)
{
	const char	*slash = strrchr(path, '/');

	return (slash != NULL ? slash + 1 : path);
}

/*
 * The loaded entry that is this object, or NULL (called under mod_lock).
 * Base names are compared, not paths: a relative dlopen() path made
 * absolute again after a chdir() is still the same object.
 */
static struct mod_entry *
mod_match(const struct dl_phdr_info *info, const char *path, const char *build_id)
{
	struct mod_entry	*e;
	uint32_t		 i;

	for (i = mod_n; i-- > 0;) {
		e = mod_at(i);
		if (e->base == info->dlpi_addr && e->phdr == info->dlpi_phdr &&
		    __atomic_load_n(&e->loaded, __ATOMIC_RELAXED) &&
		    strcmp(e->build_id, build_id) == 0 &&
		    strcmp(mod_basename(e->path), mod_basename(path)) == 0)
			return (e);
	}
	return (NULL);
}

/* Copies the executable PT_LOAD ranges of an object into e. */
static int
mod_ranges(const struct dl_phdr_info *info, struct mod_entry *e)
{
	const ElfW(Phdr)	*ph;
	struct mod_range	*r;
	unsigned		 n = 0;
	int			 i;

	for (i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_LOAD && (info->dlpi_phdr[i].p_flags & PF_X))
			n++;
	r = n > 0 ? arena_alloc(n * sizeof *r) : NULL;
	if (n > 0 && r == NULL)
		return (-1);
	e->lo = UINTPTR_MAX;
	e->hi = 0;
	for (i = 0, n = 0; i < info->dlpi_phnum; i++) {
		ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		r[n].start = info->dlpi_addr + ph->p_vaddr;
		r[n].end = r[n].start + ph->p_memsz;
		if (r[n].start < e->lo)
			e->lo = r[n].start;
		if (r[n].end > e->hi)
			e->hi = r[n].end;
		n++;
	}
	e->ranges = r;
	e->nranges = n;
	return (0);
}

/* Appends a new entry and publishes it (called under mod_lock). */
static void
mod_append(const struct dl_phdr_info *info, const char *path, const char *build_id, unsigned stamp)
{
	struct mod_entry	*e;
	uint32_t		 id = mod_n;
	size_t			 len = strlen(path);
	char			*copy;

	if (id / MOD_CHUNK >= MOD_CHUNKS)
		return;
	if (mod_chunks[id / MOD_CHUNK] == NULL &&
	    (mod_chunks[id / MOD_CHUNK] = arena_alloc(MOD_CHUNK * sizeof *e)) == NULL)
		return;
	if ((copy = arena_alloc(len + 1)) == NULL)
		return;
	memcpy(copy, path, len + 1);
	e = mod_at(id);
	memset(e, 0, sizeof *e);
	if (mod_ranges(info, e) != 0)
		return;
	e->base = info->dlpi_addr;
	e->phdr = info->dlpi_phdr;
	e->path = copy;
	memcpy(e->build_id, build_id, sizeof e->build_id);
	e->initial = !mod_scanned;
	e->stamp = stamp;
	e->loaded = 1;
	__atomic_store_n(&mod_n, id + 1, __ATOMIC_RELEASE);
}

/* Records one object seen by dl_iterate_phdr (called under mod_lock). */
static void
mod_note(const struct dl_phdr_info *info, unsigned stamp)
{
	struct mod_entry	*e;
	char			 build_id[MOD_ID_HEX], buf[PATH_MAX];
	const char		*path = mod_name(info, buf, sizeof buf);

	mod_read_build_id(info, build_id);
	if ((e = mod_match(info, path, build_id)) != NULL)
		e->stamp = stamp;
	else
		mod_append(info, path, build_id, stamp);
}

/*
 * dl_iterate_phdr callback.  The first call takes our lock and stops the
 * walk at once when the loader's add/remove counters show nothing changed.
 */
static int
mod_phdr_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct mod_scan	*sc = arg;

	if (!sc->started) {
		sc->started = 1;
		lock_acquire(&mod_lock);
		sc->locked = 1;
		/* Without the counters (old loaders) every refresh is a full walk. */
		mod_seen_adds = mod_seen_subs = ~0ull;
		if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs) {
			if (mod_scanned && info->dlpi_adds == mod_adds &&
			    info->dlpi_subs == mod_subs)
				return (1);
			mod_seen_adds = info->dlpi_adds;
			mod_seen_subs = info->dlpi_subs;
		}
		sc->stamp = ++mod_stamp;
	}
	mod_note(info, sc->stamp);
	return (0);
}

/* After a full scan: what it did not see has been unloaded (under mod_lock). */
static void
mod_sweep(unsigned stamp)
{
	struct mod_entry	*e;
	uint32_t		 i;

	for (i = 0; i < mod_n; i++) {
		e = mod_at(i);
		if (e->stamp != stamp)
			__atomic_store_n(&e->loaded, 0, __ATOMIC_RELEASE);
	}
	mod_scanned = 1;
	mod_adds = mod_seen_adds;
	mod_subs = mod_seen_subs;
}

/* Brings the table up to date with the loader, at most one walk. */
static void
mod_refresh(void)
{
	struct mod_scan	sc;
	int		guard, stopped;

	memset(&sc, 0, sizeof sc);
	/* The loader may allocate (TLS, its own bookkeeping): keep that untraced. */
	guard = guard_enter();
	stopped = dl_iterate_phdr(mod_phdr_cb, &sc);
	guard_leave(guard);
	if (!sc.locked)
		return;
	if (stopped == 0)
		mod_sweep(sc.stamp);
	lock_release(&mod_lock);
}

/* Records the modules present now; they are never unloaded. */
void
mod_initialise(void)
{
	mod_refresh();
}

/* Our lock may have been held by a thread that does not exist in the child. */
void
mod_fork_child(void)
{
	lock_reset(&mod_lock);
}

/* The loaded module whose executable code contains addr, or MOD_UNKNOWN. */
static uint32_t
mod_find(uintptr_t addr)
{
	const struct mod_entry	*e;
	uint32_t		 i = __atomic_load_n(&mod_n, __ATOMIC_ACQUIRE);
	unsigned		 r;

	while (i-- > 0) {
		e = mod_at(i);
		if (addr < e->lo || addr > e->hi ||
		    !__atomic_load_n(&e->loaded, __ATOMIC_ACQUIRE))
			continue;
		/* A return address may sit just past a trailing call: end is inclusive. */
		for (r = 0; r < e->nranges; r++)
			if (addr >= e->ranges[r].start && addr <= e->ranges[r].end)
				return (i);
	}
	return (MOD_UNKNOWN);
}

/* Fills one frame; 1 when it needs the loader to be asked. */
static int
mod_fill(uintptr_t addr, struct anc_frame *f)
{
	uint32_t	id = addr != 0 ? mod_find(addr) : MOD_UNKNOWN;

	f->addr = addr;
	f->module = id;
	f->unused = 0;
	if (id == MOD_UNKNOWN) {
		f->offset = addr;
		return (addr != 0);
	}
	f->offset = addr - mod_at(id)->base;
	/* A dlopen()ed module may have been replaced by another at its address. */
	return (!mod_at(id)->initial);
}

/* Resolves captured addresses to (module, offset); see module.h. */
void
mod_resolve(const uintptr_t *addrs, unsigned n, struct anc_frame *out)
{
	unsigned	i;
	int		ask = 0;

	for (i = 0; i < n; i++)
		ask |= mod_fill(addrs[i], &out[i]);
	if (!ask)
		return;
	mod_refresh();
	for (i = 0; i < n; i++)
		mod_fill(addrs[i], &out[i]);
}

/* Module ids handed out so far. */
uint32_t
mod_count(void)
{
	return (__atomic_load_n(&mod_n, __ATOMIC_ACQUIRE));
}

/* Absolute path of a module ("" when unknown). */
const char *
mod_path(uint32_t id)
{
	const struct mod_entry	*e = mod_get(id);

	return (e != NULL ? e->path : "");
}

/* Load address (dlpi_addr) of a module. */
uintptr_t
mod_base(uint32_t id)
{
	const struct mod_entry	*e = mod_get(id);

	return (e != NULL ? e->base : 0);
}

/* GNU build-id of a module as hex ("" when none). */
const char *
mod_build_id(uint32_t id)
{
	const struct mod_entry	*e = mod_get(id);

	return (e != NULL ? e->build_id : "");
}

/* 1 while the module is still mapped. */
int
mod_loaded(uint32_t id)
{
	const struct mod_entry	*e = mod_get(id);

	return (e != NULL && __atomic_load_n(&e->loaded, __ATOMIC_ACQUIRE));
}
