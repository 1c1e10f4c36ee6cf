/* SPDX-License-Identifier: MIT */
/* example-phases: memtrace_mark (memtrace.h) puts labels on the trace timeline so each phase
 * of a program can be looked at apart. "load" builds a table of 100 records of 1,000 bytes,
 * "process" makes 500 temporaries of 64 bytes, "cleanup" frees the table.
 * Exact figures under memtrace: 3 markers; 600 allocations, 600 frees, 132,000 bytes
 * allocated in total, peak heap 100,064 bytes, no leaks. Valgrind (no recorder loaded) also
 * counts what the three failed dlsym lookups of memtrace.h allocate for their error messages:
 * 604 allocs, 604 frees, 132,286 bytes. */
#include <memtrace.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RECORDS 100
#define RECORD_SIZE 1000
#define TEMPORARIES 500

int main(void) {
  static char *table[RECORDS];
  memtrace_mark("load");
  for (int i = 0; i < RECORDS; i++) {
    table[i] = malloc(RECORD_SIZE);
    if (!table[i])
      return 1;
    memset(table[i], i, RECORD_SIZE);
  }
  memtrace_mark("process");
  long sum = 0;
  for (int i = 0; i < TEMPORARIES; i++) {
    unsigned char *tmp = malloc(64);
    if (!tmp)
      return 1;
    memcpy(tmp, table[i % RECORDS], 64);
    sum += tmp[0];
    free(tmp);
  }
  memtrace_mark("cleanup");
  for (int i = 0; i < RECORDS; i++)
    free(table[i]);
  static const char msg[] = "example-phases: load, process, cleanup\n";
  return (write(1, msg, sizeof msg - 1) < 0) || sum != 5 * 4950;
}
