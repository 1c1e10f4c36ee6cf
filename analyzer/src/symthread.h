/* SPDX-License-Identifier: MIT */
/* Symbolization on a second thread while ingest reads the trace: the reading thread hands
 * over modules and new stack addresses, the symbolizer thread resolves them as they come (it
 * alone uses libdw), and the frames are kept in memory until ingest writes them. Results are
 * exactly those of resolving every address once all modules are known. */
#ifndef MT_ANALYZER_SYMTHREAD_H
#define MT_ANALYZER_SYMTHREAD_H

#include <stdint.h>

#include <memtrace/trace.h>

#include "err.h"
#include "symbols.h"

typedef struct mt__symthread mt__symthread;

/* Start the symbolizer thread (o is used until mt__symthread_free). @return 0 or -1 with e
 * filled. */
int mt__symthread_start(mt__symthread **out, const mt__symopts *o, mt__err *e);

/* Hand over a module record (copied). @return 0 or -1 (no memory). */
int mt__symthread_add_module(mt__symthread *t, const mt_rec_module *m);
/* Hand over a stack address; addresses seen before are ignored. @return 0 or -1 (no memory). */
int mt__symthread_add_ip(mt__symthread *t, uint64_t ip);

/* Wait until every address is resolved. @return 0 or -1 with e filled. */
int mt__symthread_finish(mt__symthread *t, mt__err *e);

/* After mt__symthread_finish: every frame of every address, innermost first per address. */
typedef int (*mt__symthread_cb)(void *ctx, uint64_t ip, uint64_t module_id, uint64_t offset,
                                const mt__symframe *f, int depth);
/* @return 0 or the first non-zero result of cb. */
int mt__symthread_frames(mt__symthread *t, mt__symthread_cb cb, void *ctx);
/* After mt__symthread_finish: as mt__sym_module_file. */
const char *mt__symthread_module_file(mt__symthread *t, uint64_t module_id);

/* Stop the thread (without waiting for the work left) and free everything. */
void mt__symthread_free(mt__symthread *t);

#endif
