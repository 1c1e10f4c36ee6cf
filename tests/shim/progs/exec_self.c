/* SPDX-License-Identifier: MIT */
/* Allocates 3 x 30 bytes, then execs argv[1] (with argv[2..]) through execve with an
 * environment that lacks LD_PRELOAD: the new program must still be traced (origin EXEC).
 * With no argument it allocates 2 x 20 bytes and returns 0. */
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    (void)malloc(20);
    (void)malloc(20);
    return 0;
  }
  for (int i = 0; i < 3; i++)
    (void)malloc(30);
  char *envp[] = {"PATH=/usr/bin:/bin", NULL};
  execve(argv[1], argv + 1, envp);
  return 127;
}
