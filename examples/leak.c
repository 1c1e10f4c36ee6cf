/* SPDX-License-Identifier: MIT */
/* example-leak: a lookup table whose entries are never freed. load_names() allocates an
 * array and one string per entry; release_names() frees the array but forgets the strings.
 * Exact figures (checked with valgrind): 17 allocations, 1 free, 640 bytes allocated in
 * total; 512 bytes still allocated at exit in 16 blocks, all from make_name(). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NAMES 16
#define NAME_SIZE 32

static char *make_name(int i) {
  char *s = malloc(NAME_SIZE);
  if (s) {
    memcpy(s, "name-", 5);
    s[5] = (char)('a' + i);
    s[6] = '\0';
  }
  return s;
}

static char **load_names(void) {
  char **names = malloc(NAMES * sizeof *names); /* 16 x 8 = 128 bytes */
  if (!names)
    return NULL;
  for (int i = 0; i < NAMES; i++)
    names[i] = make_name(i);
  return names;
}

static void release_names(char **names) {
  free(names); /* the bug: names[i] are not freed */
}

int main(void) {
  char **names = load_names();
  if (!names)
    return 1;
  static const char msg[] = "example-leak: loaded 16 names, leaking 512 bytes in 16 blocks\n";
  if (write(1, msg, sizeof msg - 1) < 0)
    return 1;
  release_names(names);
  return 0;
}
