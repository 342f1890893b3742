/*
 * module.h - the loaded ELF modules, remembered for the life of the process.
 *
 * A frame is stored as (module id, offset from the module's load address)
 * when its anchor is created, so it can be named after the module is
 * dlclose()d, and a report can be symbolized on another host (build-id).
 */
#ifndef JHOOK_MODULE_H
#define JHOOK_MODULE_H

#include <stddef.h>
#include <stdint.h>

#define MOD_UNKNOWN	UINT32_MAX
#define MOD_BUILD_ID_MAX	64	/* bytes of build-id kept (GNU's is 20) */

struct anc_frame;

void	 mod_initialise(void);
/*
 * Resolves n captured addresses into frames.  Called with no agent lock
 * held: it may call dl_iterate_phdr (the loader's lock) when an address
 * falls outside every known module or inside one dlopen()ed after start
 * (it may have been replaced at the same address); once per call at most.
 */
void	 mod_resolve(const uintptr_t *addrs, unsigned n, struct anc_frame *out);
/* Module ids are 0 .. mod_count()-1 and never reused. */
uint32_t mod_count(void);
/* Absolute path ("" when unknown), load address, GNU build-id as hex ("" when none). */
const char *mod_path(uint32_t id);
uintptr_t mod_base(uint32_t id);
const char *mod_build_id(uint32_t id);
/* 1 while the module is still mapped. */
int	 mod_loaded(uint32_t id);
/* In a forked child: the refresh lock may have been held by a lost thread. */
void	 mod_fork_child(void);
/* Finds NT_GNU_BUILD_ID in PT_NOTE contents and writes it as hex; 0 when absent. */
int	 mod_note_build_id(const void *notes, size_t len, size_t align, char *hex, size_t hexlen);

#endif /* JHOOK_MODULE_H */
