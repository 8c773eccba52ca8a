#ifndef STEWARD_CMALLOC_SHIM_H
#define STEWARD_CMALLOC_SHIM_H
// glibc's allocator tuning (malloc.h is not in Swift's Glibc module).
#include <malloc.h>
static inline int steward_malloc_limit_arenas(int count) { return mallopt(M_ARENA_MAX, count); }
static inline int steward_malloc_trim(void) { return malloc_trim(0); }
#endif
