/* SPDX-License-Identifier: MIT */
/* Test program: the parent leaks 3 blocks of 111 bytes, forks; the child leaks 5 blocks of
 * 222 bytes and exits 7; the parent waits and exits with the child's status. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void *volatile sink;

int main(void) {
  for (int i = 0; i < 3; i++)
    sink = malloc(111);
  pid_t pid = fork();
  if (pid < 0)
    return 1;
  if (pid == 0) {
    for (int i = 0; i < 5; i++)
      sink = malloc(222);
    exit(7);
  }
  int status;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
    return 1;
  return WEXITSTATUS(status);
}
