/* SPDX-License-Identifier: MIT */
/* 3 mallocs of 30 bytes, an execve of argv[1] that fails (an executable file that is not a
 * program), 2 more mallocs of 20 bytes, exit 0: the trace must go on after the failed exec. */
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2)
    return 2;
  for (int i = 0; i < 3; i++)
    (void)malloc(30);
  char *args[] = {argv[1], NULL};
  execv(argv[1], args);
  for (int i = 0; i < 2; i++)
    (void)malloc(20);
  return 0;
}
