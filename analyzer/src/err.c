/* SPDX-License-Identifier: MIT */
/* The one helper that fills an mt__err. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

int mt__fail(mt__err *e, const char *fmt, ...) {
  if (e) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
  }
  return -1;
}
