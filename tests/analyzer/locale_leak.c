/* SPDX-License-Identifier: MIT */
/* Test program for the analyzer: loads a locale and a message domain (libc keeps their data
 * until exit, when valgrind's freeres releases it) and leaks one block of 100 bytes. With
 * the built-in suppressions memtrace reports exactly valgrind's "in use at exit": 100 bytes
 * in 1 block. */
#include <libintl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

static void *volatile keep;

int main(void) {
  if (!setlocale(LC_ALL, "C.UTF-8")) setlocale(LC_ALL, "");
  bindtextdomain("memtrace-test", "/nonexistent");
  textdomain("memtrace-test");
  keep = malloc(100);
  printf("locale_leak: %s\n", gettext("hello"));
  return 0;
}
