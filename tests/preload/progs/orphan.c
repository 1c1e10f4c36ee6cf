/* SPDX-License-Identifier: MIT */
/* Test program: a child forks a grandchild and exits at once; the grandchild, left to init
 * (or a subreaper), waits until its parent is gone, allocates 2 blocks of 321 bytes and execs
 * this program again, which allocates 1 block of 432 bytes. The first process waits for the
 * grandchild's last image to exit (end of file on a pipe it holds) and exits 0. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void *volatile sink;

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "exec") == 0) {
    sink = malloc(432);
    return 0;
  }
  int fds[2];
  if (pipe(fds) != 0)
    return 1;
  pid_t child = fork();
  if (child < 0)
    return 1;
  if (child == 0) {
    pid_t parent = getpid();
    pid_t grandchild = fork();
    if (grandchild != 0)
      _exit(grandchild < 0);
    close(fds[0]);
    for (int i = 0; i < 500 && getppid() == parent; i++) {
      struct timespec ms10 = {0, 10000000};
      nanosleep(&ms10, NULL);
    }
    sink = malloc(321);
    sink = malloc(321);
    execl("/proc/self/exe", argv[0], "exec", (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  int status;
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return 1;
  char c;
  while (read(fds[0], &c, 1) > 0) {
  }
  return 0;
}
