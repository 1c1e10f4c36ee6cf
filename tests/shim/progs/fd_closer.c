/* SPDX-License-Identifier: MIT */
/* Gets rid of every descriptor above 2 the way argv[1] says, as daemons and subprocess
 * libraries do: "loop" (close() on 3..65535), "close_range" (close_range(3, ~0U, 0)),
 * "closefrom" (closefrom(3)), "dup2" (dup2 of stderr onto 3..1999, then close() on them),
 * "down" (close() from 65535 down to 3), "full" (opens /dev/null until the table is full,
 * then close() on 3..65535: no number above the trace's is free when it is closed). Allocates 1,000 blocks of 16 bytes before and
 * frees them after, then 100,000 times allocates and frees 32 bytes, and writes "ok": the
 * program must behave exactly as without memtrace, and the trace must hold everything. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  const char *how = argc > 1 ? argv[1] : "loop";
  static void *before[1000];
  for (int i = 0; i < 1000; i++)
    before[i] = malloc(16);
  if (!strcmp(how, "loop")) {
    for (int fd = 3; fd < 65536; fd++)
      close(fd);
  } else if (!strcmp(how, "close_range")) {
    if (close_range(3, ~0U, 0) != 0)
      return 3;
  } else if (!strcmp(how, "closefrom")) {
    closefrom(3);
  } else if (!strcmp(how, "dup2")) {
    for (int fd = 3; fd < 2000; fd++)
      if (dup2(2, fd) != fd)
        return 3;
    for (int fd = 3; fd < 2000; fd++)
      close(fd);
  } else if (!strcmp(how, "full")) {
    while (open("/dev/null", O_RDONLY) >= 0) {
    }
    for (int fd = 3; fd < 65536; fd++)
      close(fd);
  } else if (!strcmp(how, "down")) {
    for (int fd = 65535; fd >= 3; fd--)
      close(fd);
  } else {
    return 2;
  }
  for (int i = 0; i < 1000; i++)
    free(before[i]);
  for (int i = 0; i < 100000; i++)
    free(malloc(32));
  return write(1, "ok\n", 3) == 3 ? 0 : 1;
}
