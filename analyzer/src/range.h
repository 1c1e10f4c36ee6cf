/* SPDX-License-Identifier: MIT */
/* --between MARK1 MARK2: the trace is read again and only events between the two markers are
 * accounted; the results go to TEMP tables that shadow the main ones, so every report works
 * on the range unchanged. */
#ifndef MT_ANALYZER_RANGE_H
#define MT_ANALYZER_RANGE_H

#include <sqlite3.h>
#include <stdint.h>

#include "err.h"

/* Events with from.seq <= seq <= to.seq are counted: allocations and frees inside the range,
 * leaks are blocks allocated in the range and still live at MARK2, peak is the largest heap
 * growth inside the range. @return 0 or -1 (unknown marker, trace gone or changed, ...). */
int mt__range_apply(sqlite3 *db, int64_t process_id, const char *mark_from, const char *mark_to,
                    mt__err *e);

#endif
