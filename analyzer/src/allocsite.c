/* SPDX-License-Identifier: MIT */
/* Allocation sites (allocsite.h): name patterns of allocator wrappers, path patterns of the
 * standard libraries' sources. */
#include "allocsite.h"

#include <fnmatch.h>

/* Allocator wrappers, by function name. */
static const char *const wrappers[] = {
    "operator new*", "operator new[]*", "std::__new_allocator<*", "__gnu_cxx::new_allocator<*",
    "std::allocator<*", "std::allocator_traits<*", "std::_Vector_base<*>::_M_allocate*",
    "malloc", "calloc", "realloc", "reallocarray", "strdup", "strndup", "__strdup", "__GI___strdup", "__strndup",
    "memtrace_alloc",
};

/* Sources of the languages' standard libraries: the container, string and smart-pointer code
 * inlined between the program and its allocator (libstdc++ and libc++ headers; Rust's alloc,
 * core and std, whose paths start with /rustc/<commit>/ in every toolchain's debug info). */
static const char *const library_sources[] = {"*/include/c++/*", "/rustc/*/library/*"};

static int matches_any(const char *s, const char *const *globs, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (fnmatch(globs[i], s, 0) == 0) return 1;
  return 0;
}

int mt__alloc_plumbing(const char *function, const char *file, int inlined) {
  if (function && matches_any(function, wrappers, sizeof wrappers / sizeof *wrappers)) return 1;
  /* only inlined frames: a function's own frame has the file of whatever code was inlined at
   * its call (a line of a header), and without DWARF scopes no frame is inlined */
  return inlined && file &&
         matches_any(file, library_sources, sizeof library_sources / sizeof *library_sources);
}

size_t mt__alloc_site(const mt__frame *const *frames, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!mt__alloc_plumbing(frames[i]->function, frames[i]->file, frames[i]->inlined)) return i;
  return 0;
}
