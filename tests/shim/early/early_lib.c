/* SPDX-License-Identifier: MIT */
/* libearly.so: a library whose constructor allocates. The program links against it, so the
 * loader initialises it before the preloaded libmemtrace.so (preloaded libraries come right
 * after the executable in the search list and are initialised after every other library).
 * It tells whether the shim had started by looking for MEMTRACE_PARENT, which the shim's
 * constructor puts into the environment. Its destructor frees what the constructor kept.
 * Sizes are fixed: the case asserts exact totals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *kept_block; /* freed by the program from main(), once recording runs */
static void *fini_blocks[2]; /* freed by the destructor, which runs after the shim's */
static int shim_started_first;

__attribute__((noinline)) void early_lib_allocate(void) {
  void *a = malloc(1000);           /* freed by the destructor */
  void *b = calloc(10, 100);        /* freed here */
  char *c = malloc(10);
  memset(c, 'x', 10);
  c = realloc(c, 5000);             /* moves: an allocation and a free */
  void *d = NULL;
  if (posix_memalign(&d, 64, 4096) != 0)
    abort();
  free(b);
  free(malloc(333));
  kept_block = c;
  fini_blocks[0] = a;
  fini_blocks[1] = d;
}

__attribute__((constructor)) static void early_lib_init(void) {
  shim_started_first = getenv("MEMTRACE_PARENT") != NULL;
  early_lib_allocate();
}

/* Initialised before the shim, so finalised after it, like the static destructors of the
 * program's libraries: these frees and this allocation must still reach the trace. */
__attribute__((destructor)) static void early_lib_fini(void) {
  free(fini_blocks[0]);
  free(fini_blocks[1]);
  free(malloc(222));
}

void *early_lib_kept(void) { return kept_block; }
int early_lib_shim_started_first(void) { return shim_started_first; }
