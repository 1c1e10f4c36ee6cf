/* SPDX-License-Identifier: MIT */
/* Parent: 5 mallocs of 10 bytes kept, forks; child: 3 mallocs of 1000 bytes, 1 freed, then
 * exits 7 with _exit; parent waits and exits with the child's status + 0. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  for (int i = 0; i < 5; i++)
    (void)malloc(10);
  pid_t pid = fork();
  if (pid == 0) {
    void *a = malloc(1000), *b = malloc(1000), *c = malloc(1000);
    free(b);
    (void)a;
    (void)c;
    _exit(7);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 7 ? 0 : 1;
}
