/* SPDX-License-Identifier: MIT */
/* memtrace.h: two markers, a custom block of 4096 bytes allocated and freed, one anonymous
 * mmap of 3 pages with one page unmapped; heap totals must stay 1 malloc of 64 bytes. */
#include <memtrace.h>
#include <stdlib.h>
#include <sys/mman.h>

static char pool[8192];

int main(void) {
  memtrace_mark("start");
  void *p = malloc(64);
  memtrace_alloc(pool, 4096);
  memtrace_free(pool);
  char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED)
    return 1;
  munmap(m + 4096, 4096);
  memtrace_mark("end");
  free(p);
  return 0;
}
