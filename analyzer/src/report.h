/* SPDX-License-Identifier: MIT */
/* Reports as data: each report file defines one mt__report (name, usage, inputs, run) and
 * fills a document through the shared helpers below; main() owns inputs and printing. */
#ifndef MT_ANALYZER_REPORT_H
#define MT_ANALYZER_REPORT_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

#include "memtrace/trace.h"

#include "callstacks.h"
#include "err.h"
#include "filter.h"
#include "output.h"

/* Options common to all reports (parsed by main from the option table). */
typedef struct {
  mt__format format;
  long top;               /* rows per table; 0 means all */
  const char *by;         /* ranking or weight (hotspots, flamegraph) */
  const char *mark_from, *mark_to; /* --between */
  int svg, massif, callgrind;
  const char *sql;        /* sql report: the query */
  const struct mt__budgets_s *budgets; /* check: budgets from options and --budget */
  const char *baseline;   /* check: --baseline input (opened as the context's other) */
  const char *junit;      /* check: JUnit XML file to write */
  int github;             /* check: GitHub Actions annotations on stdout */
  unsigned leak_kinds;    /* leaks: bit (1 << mt_reach_kind) per kind listed; 0 = default */
} mt__options;

/* Leak kinds the leaks report lists by default: definitely and indirectly lost, as memcheck. */
#define MT__LEAK_KINDS_DEFAULT ((1u << MT_REACH_DEFINITE) | (1u << MT_REACH_INDIRECT))
#define MT__LEAK_KINDS_ALL ((1u << MT_REACH_KIND_COUNT) - 1)

/* One analysed process: its database and row id. */
typedef struct {
  sqlite3 *db;
  int64_t process_id;
  const char *label;      /* input as given on the command line */
  const char *db_path;    /* the database file */
  mt__stacktree *tree;    /* its stack tree when the command just ingested it, else NULL */
} mt__input;

typedef struct {
  mt__input in, other;    /* other: the second input of diff */
  const mt__options *opt;
  mt__filter *filter;
  mt__callstacks *cs;     /* loaded on first use by mt__report_stacks */
  mt__doc *doc;
  FILE *out;              /* reports with their own formats (flamegraph, export) write here */
  mt__err *e;
  int failed;             /* set by a report whose check failed: exit status 1 */
} mt__report_ctx;

typedef struct {
  const char *name;
  const char *usage;      /* one line for --help */
  int inputs;             /* inputs the report needs: 1, or 2 for diff */
  int (*run)(mt__report_ctx *c);
} mt__report;

/* The reports, one per file (report_NAME.c). */
extern const mt__report mt__report_summary, mt__report_leaks, mt__report_hotspots,
    mt__report_peak, mt__report_timeline, mt__report_diff, mt__report_flamegraph,
    mt__report_export, mt__report_sql, mt__report_check;

/* Call stacks of the process, loaded once (nodes on first use). @return NULL with c->e
 * filled on failure. */
mt__callstacks *mt__report_stacks(mt__report_ctx *c);
/* The same with every node loaded at once: for reports that walk all stacks. */
mt__callstacks *mt__report_all_stacks(mt__report_ctx *c);

/* Symbolized frames of a stack as labels, innermost first, for a LIST cell. Free with
 * mt__report_free_list. *site (may be NULL) is the index of the allocation site: the first
 * frame that is not an allocator wrapper (operator new, std::allocator, ...).
 * @return the count. */
size_t mt__report_stack_labels(mt__report_ctx *c, uint64_t stack_id, char ***out, size_t *site);
void mt__report_free_list(char **list, size_t n);

/* The allocation site of a stack (first frame past allocator wrappers), valid while the call
 * stacks are; NULL for an unknown stack. */
const mt__frame *mt__report_site_frame(mt__report_ctx *c, uint64_t stack_id);

/* A section filled from a query whose ?1 is the process id and whose result columns follow
 * cols in order. record: one row, printed as key: value. @return 0 or -1. */
int mt__report_query(mt__report_ctx *c, sqlite3 *db, int64_t process_id, const char *key,
                     const char *title, const mt__column *cols, size_t ncols, int record,
                     const char *sql);

/* Fill one cell from a result column according to the column type. */
void mt__report_cell(sqlite3_stmt *st, int col, mt__coltype type, mt__cell *out);

/* Frames of a stack (innermost first) and whether filters exclude it. Frames are valid while
 * the call stacks are. @return the number of frames stored (at most max). */
size_t mt__report_frames(mt__report_ctx *c, uint64_t stack_id, const mt__frame **frames,
                         size_t max, int *excluded);

#define MT__MAX_FRAMES 256

#endif
