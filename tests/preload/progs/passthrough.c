/* SPDX-License-Identifier: MIT */
/* Test program: copies stdin to stdout byte for byte, writes a fixed binary string to stderr
 * and exits with the status given as argv[1]. */
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  char buf[4096];
  ssize_t n;
  while ((n = read(0, buf, sizeof buf)) > 0)
    if (write(1, buf, (size_t)n) != n)
      return 100;
  static const char err[] = "to stderr\n\0\377\n";
  if (write(2, err, sizeof err - 1) < 0)
    return 101;
  return argc > 1 ? atoi(argv[1]) : 0;
}
