/* SPDX-License-Identifier: MIT */
/* --between MARK1 MARK2: the trace is read again and only events between the two markers are
 * accounted; the results go to TEMP tables that shadow the main ones, so every report works
 * on the range unchanged. */
#ifndef MT_ANALYZER_RANGE_H
#define MT_ANALYZER_RANGE_H

#include <sqlite3.h>
#include <stdint.h>

#include "err.h"

/* A bound is a marker label (the first such marker; for `to`, the first after `from`),
 * "seq:N" (a sequence number) or "time:N" with a unit ns, us, ms or s (time since start).
 * Events between the bounds, inclusive, are counted: allocations and frees inside the range,
 * leaks are blocks allocated in the range and still live at its end, peak is the largest heap
 * growth inside it. @return 0 or -1 (unknown marker, bad bound, trace gone or changed, ...). */
int mt__range_apply(sqlite3 *db, int64_t process_id, const char *from, const char *to,
                    mt__err *e);

#endif
