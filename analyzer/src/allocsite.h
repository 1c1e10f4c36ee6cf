/* SPDX-License-Identifier: MIT */
/* The allocation site of a stack: its innermost frame that is the program's own code, past
 * allocator wrappers (malloc, operator new, std::allocator, ...) and the standard library
 * code inlined between the program and them. memtrace-report's "allocated at" column and
 * memtrace-tui's leak and peak lists use the same rule. */
#ifndef MT_ANALYZER_ALLOCSITE_H
#define MT_ANALYZER_ALLOCSITE_H

#include <stddef.h>

#include "callstacks.h"

/* True when a frame is allocation plumbing rather than the program's own code. file may be
 * NULL; inlined is the frame's inlined flag. */
int mt__alloc_plumbing(const char *function, const char *file, int inlined);

/* Index of the allocation site among frames (innermost first): the first frame that is not
 * plumbing, or 0 when all are. */
size_t mt__alloc_site(const mt__frame *const *frames, size_t n);

#endif
