/* SPDX-License-Identifier: MIT */
/* A second source file for make_trace: a static function with the same name as one in
 * make_trace.c, so the tests can show that functions are told apart by file as well. */
#include <stdint.h>

static volatile int sink;

__attribute__((noinline, used)) static void log_message(void) {
  sink = 7;
}

/* The address of this file's log_message, for a stack node. */
uint64_t other_log_message(void) {
  return (uint64_t)(uintptr_t)log_message;
}
