/* SPDX-License-Identifier: MIT */
/* Offline symbolizer over elfutils libdwfl: modules are reported from the trace's MODULE records
 * (found by build-id under the debug path first, then by path under the sysroot), and each
 * address resolves to its function, file, line and inlined frames, demangled. */
#ifndef MT_ANALYZER_SYMBOLS_H
#define MT_ANALYZER_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

#include <memtrace/trace.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  const char *debug_path; /* root of .build-id/ trees; NULL means /usr/lib/debug */
  const char *sysroot;    /* prefix for module paths; NULL means / */
} mt__symopts;

typedef struct mt__symbolizer mt__symbolizer;

typedef struct {
  const char *function;   /* never NULL: a name, or "module+0xoffset" when unresolved */
  const char *file;       /* NULL when unknown */
  int line;               /* 0 when unknown */
  int inlined;            /* 1 when this frame was inlined into the next one */
  int resolved;           /* 1 when function is a symbol name */
} mt__symframe;

/* Called once per frame of an address, innermost (inlined) first. Non-zero stops. */
typedef int (*mt__sym_cb)(void *ctx, const mt__symframe *f, int depth);

/* @return 0 or -1 when out of memory. */
int mt__sym_create(mt__symbolizer **out, const mt__symopts *o);
void mt__sym_destroy(mt__symbolizer *s);

/* Register a module of the traced process (copies everything). Modules may be added after
 * addresses were resolved: later resolutions see them. @return 0 or -1 (no memory). */
int mt__sym_add_module(mt__symbolizer *s, const mt_rec_module *m);

/* The file used for a module's symbols after resolving, or NULL when none was found. */
const char *mt__sym_module_file(mt__symbolizer *s, uint64_t module_id);

/* Resolve a return address (the call site is ip - 1) and report its frames to cb.
 * *module_id and *offset name the module holding it (module_id 0 when none does).
 * @return 0, or the callback's non-zero result. Never fails on missing or bad debug data. */
int mt__sym_resolve(mt__symbolizer *s, uint64_t ip, mt__sym_cb cb, void *ctx,
                    uint64_t *module_id, uint64_t *offset);

/* Start decompressing, on other threads, the debug sections of the module holding a return
 * address (once per module), so that they are ready when its addresses are resolved. */
void mt__sym_prefetch(mt__symbolizer *s, uint64_t ip);

/* Id of the module holding a return address (as mt__sym_resolve finds it), 0 for none. */
uint64_t mt__sym_module_at(mt__symbolizer *s, uint64_t ip);

/* True when the address ranges of two modules overlap (one was loaded where another had been
 * unloaded): which module holds an address then depends on every module of the trace. */
int mt__sym_modules_overlap(const mt__symbolizer *s);

/* Demangle a C++ or Rust symbol into buf; returns name itself when it is not mangled. */
const char *mt__demangle(const char *name, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
