/* SPDX-License-Identifier: MIT */
/* Anonymous mappings: 2 pages grown to 4 by mremap, 1 page unmapped from the middle of a
 * 3-page mapping, a file mapping (not recorded), a MAP_FIXED file mapping over the last page
 * of the 3-page one (ends that page), then everything unmapped: mmap_live_bytes 0. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void) {
  long pg = sysconf(_SC_PAGESIZE);
  char *a = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *b = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (a == MAP_FAILED || b == MAP_FAILED)
    return 1;
  a = mremap(a, 2 * pg, 4 * pg, MREMAP_MAYMOVE);
  if (a == MAP_FAILED)
    return 2;
  munmap(b + pg, pg);
  int fd = open("/proc/self/exe", O_RDONLY);
  char *f = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 0);
  char *g = mmap(b + 2 * pg, pg, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
  if (f == MAP_FAILED || g == MAP_FAILED)
    return 3;
  munmap(f, pg);
  munmap(a, 4 * pg);
  munmap(b, 3 * pg);
  close(fd);
  return 0;
}
