/* SPDX-License-Identifier: MIT */
/* posix_spawn of argv[1] (no arguments) with an environment lacking LD_PRELOAD, then vfork +
 * execve of the same program; waits for both and exits 0 when both exited 0. */
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2)
    return 2;
  char *args[] = {argv[1], NULL};
  char *envp[] = {"PATH=/usr/bin:/bin", NULL};
  pid_t a, b;
  if (posix_spawn(&a, argv[1], NULL, NULL, args, envp) != 0)
    return 3;
  b = vfork();
  if (b == 0) {
    execve(argv[1], args, envp);
    _exit(127);
  }
  int sa = 0, sb = 0;
  waitpid(a, &sa, 0);
  waitpid(b, &sb, 0);
  return WIFEXITED(sa) && WEXITSTATUS(sa) == 0 && WIFEXITED(sb) && WEXITSTATUS(sb) == 0 ? 0 : 1;
}
