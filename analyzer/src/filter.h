/* SPDX-License-Identifier: MIT */
/* Stack filters shared by every report: --exclude-function and --exclude-module globs hide
 * stacks; suppressions (LSan "leak:" files and the built-in list of one-time allocations of
 * libc, the dynamic loader and libstdc++) mark leaks as suppressed, with the reason. */
#ifndef MT_ANALYZER_FILTER_H
#define MT_ANALYZER_FILTER_H

#include <stddef.h>

#include "callstacks.h"
#include "err.h"

typedef struct mt__filter mt__filter;

int mt__filter_new(mt__filter **out);
void mt__filter_free(mt__filter *f);
int mt__filter_exclude_function(mt__filter *f, const char *glob);
int mt__filter_exclude_module(mt__filter *f, const char *glob);
/* Read an LSan-style suppressions file ("leak:PATTERN" lines, '#' comments). Lines of other
 * kinds are ignored as LSan does; a malformed line is an error naming its line number. */
int mt__filter_load_suppressions(mt__filter *f, const char *path, mt__err *e);
void mt__filter_builtin(mt__filter *f, int on);

/* Results are cached per frame (by address): frames passed in must stay allocated for the
 * filter's lifetime (a report's call stacks are freed after the report). */

/* True when a stack (frames innermost first) is excluded from reports. */
int mt__filter_excluded(const mt__filter *f, const mt__frame *const *frames, size_t n);
/* The reason a leaked stack is suppressed, or NULL when it is not. */
const char *mt__filter_suppressed(const mt__filter *f, const mt__frame *const *frames, size_t n);

#endif
