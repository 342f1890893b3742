/*
 * symbol.h - function names from a module's ELF symbol tables.
 *
 * Reads .symtab (or .dynsym when stripped) from the file on disk, so PIE
 * executables linked without -rdynamic and dlclose()d libraries are named.
 * Used only when writing reports, never from a hook.
 */
#ifndef JHOOK_SYMBOL_H
#define JHOOK_SYMBOL_H

#include <stddef.h>
#include <stdint.h>

/* 1 and the function containing (module, offset) with the offset into it; 0 when unknown. */
int	sym_lookup(uint32_t module, uintptr_t offset, char *name, size_t namelen, uintptr_t *func_offset);
/* Releases every mapped symbol table. */
void	sym_finalise(void);

#endif /* JHOOK_SYMBOL_H */
