/* SPDX-License-Identifier: MIT */
/* Shared by the C unit-test programs: assertion macros that print the failing expression
 * and exit 1, and a runner for a table of named tests, so ctest runs each test on its own
 * (`PROGRAM NAME`) and a person can run them all (`PROGRAM`). */
#ifndef MT_TESTS_UNIT_TEST_H
#define MT_TESTS_UNIT_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                              \
  do {                                                                           \
    if (!(cond)) {                                                               \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
      exit(1);                                                                   \
    }                                                                            \
  } while (0)

#define CHECK_EQ(a, b)                                                                        \
  do {                                                                                        \
    unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);            \
    if (a_ != b_) {                                                                           \
      fprintf(stderr, "%s:%d: %s == %llu, expected %llu\n", __FILE__, __LINE__, #a, a_, b_); \
      exit(1);                                                                                \
    }                                                                                         \
  } while (0)

typedef struct {
  const char *name;
  void (*fn)(void);
} mt_unit_test;

/* Run the test named argv[1], or every test when there is no argument; a failing test exits
 * from CHECK. @return the exit status: 0, or 2 for an unknown name. */
static inline int mt_unit_main(const mt_unit_test *tests, size_t n, int argc, char **argv) {
  for (size_t i = 0; i < n; i++) {
    if (argc > 1 && strcmp(argv[1], tests[i].name) != 0) continue;
    tests[i].fn();
    printf("ok %s\n", tests[i].name);
    if (argc > 1) return 0;
  }
  if (argc > 1) {
    fprintf(stderr, "%s: no test named '%s'\n", argv[0], argv[1]);
    return 2;
  }
  return 0;
}

#endif
