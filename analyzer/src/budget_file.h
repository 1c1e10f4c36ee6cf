/* SPDX-License-Identifier: MIT */
/* Budget files (--budget FILE): YAML read with libyaml into budgets and suppressions. The
 * format is documented in docs/ci.md; every error names the file and line. */
#ifndef MT_ANALYZER_BUDGET_FILE_H
#define MT_ANALYZER_BUDGET_FILE_H

#include "budget.h"
#include "err.h"
#include "filter.h"

/* Read path: budgets go to b, suppressions to f. @return 0, or -1 with e as
 * "PATH:LINE: message". */
int mt__budget_file_load(const char *path, mt__budgets *b, mt__filter *f, mt__err *e);

#endif
