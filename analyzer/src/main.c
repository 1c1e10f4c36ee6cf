/* SPDX-License-Identifier: MIT */
/* memtrace-report: command line. Parses options from one table, resolves inputs (ingesting
 * traces into SQLite when needed), runs the chosen report and prints its document. The only
 * place that prints errors and chooses exit statuses. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "budget.h"
#include "budget_file.h"
#include "check.h"
#include "db.h"
#include "err.h"
#include "filter.h"
#include "output.h"
#include "range.h"
#include "report.h"
#include "source.h"

#ifndef MEMTRACE_VERSION
#define MEMTRACE_VERSION "0"
#endif

static const mt__report *const reports[] = {
    &mt__report_summary,  &mt__report_leaks,      &mt__report_hotspots, &mt__report_peak,
    &mt__report_timeline, &mt__report_diff,       &mt__report_flamegraph, &mt__report_export,
    &mt__report_sql,      &mt__report_check,
};

typedef struct {
  mt__options report;
  const char *db_path, *debug_path, *sysroot;
  int options_only;       /* --options-only: stop once the options are known to be good */
  long pid;
  int progress, force, builtin;
  mt__filter *filter;
  mt__budgets budgets;
  char seen[32];  /* options given, by id - OPT_FORMAT */
  int seen_budget; /* a --max-* budget was given */
} cli;

enum {
  OPT_FORMAT = 1000, OPT_TOP, OPT_PROCESS, OPT_DB, OPT_DEBUG_PATH, OPT_SYSROOT, OPT_BY,
  OPT_EXCL_FN, OPT_EXCL_MOD, OPT_SUPP, OPT_NO_BUILTIN, OPT_BETWEEN, OPT_SVG, OPT_MASSIF,
  OPT_CALLGRIND, OPT_NO_PROGRESS, OPT_FORCE, OPT_HELP, OPT_VERSION, OPT_KIND, OPT_BUDGET_FILE,
  OPT_BASELINE, OPT_MAX_GROWTH, OPT_JUNIT, OPT_GITHUB, OPT_OPTIONS_ONLY,
  OPT_METRIC = 1100 /* + mt__metric: the --max-* budgets, generated from mt__metrics */
};

static const struct {
  struct option opt;
  const char *arg, *help;
} option_table[] = {
    {{"format", required_argument, 0, OPT_FORMAT}, "text|json|csv", "output format (default text)"},
    {{"top", required_argument, 0, OPT_TOP}, "N", "rows per table (default 20, 0 for all)"},
    {{"process", required_argument, 0, OPT_PROCESS}, "PID", "process to report on"},
    {{"db", required_argument, 0, OPT_DB}, "PATH", "database for traces (default TRACE.db); alone, the input"},
    {{"debug-path", required_argument, 0, OPT_DEBUG_PATH}, "DIR", "extra debug file root (.build-id/)"},
    {{"sysroot", required_argument, 0, OPT_SYSROOT}, "DIR", "prefix for module paths"},
    {{"by", required_argument, 0, OPT_BY}, "WEIGHT", "hotspots, diff: count|bytes|temporary|peak|leaked;"
     " flamegraph: allocations|bytes|temporary|leaked|peak"},
    {{"exclude-function", required_argument, 0, OPT_EXCL_FN}, "GLOB", "hide stacks with a matching function"},
    {{"exclude-module", required_argument, 0, OPT_EXCL_MOD}, "GLOB", "hide stacks through a matching module"},
    {{"kind", required_argument, 0, OPT_KIND}, "KINDS", "leaks (and summary's leaked): comma list of "
     "definite|indirect|possible|reachable (leaks: definite,indirect; summary: all)"},
    {{"suppressions", required_argument, 0, OPT_SUPP}, "FILE", "LSan-style leak: suppressions"},
    {{"no-builtin-suppressions", no_argument, 0, OPT_NO_BUILTIN}, NULL, "report libc/ld.so/libstdc++ one-time allocations as leaks"},
    {{"between", required_argument, 0, OPT_BETWEEN}, "FROM TO", "only events between two markers"
     " (or seq:N, time:N[ns|us|ms|s])"},
    {{"svg", no_argument, 0, OPT_SVG}, NULL, "flamegraph: self-contained SVG"},
    {{"massif", no_argument, 0, OPT_MASSIF}, NULL, "export: massif.out format"},
    {{"callgrind", no_argument, 0, OPT_CALLGRIND}, NULL, "export: callgrind.out format"},
    {{"no-progress", no_argument, 0, OPT_NO_PROGRESS}, NULL, "no progress line while ingesting"},
    {{"reingest", no_argument, 0, OPT_FORCE}, NULL, "ingest again even if the database is fresh"},
    {{"budget", required_argument, 0, OPT_BUDGET_FILE}, "FILE", "check: budgets and suppressions from a YAML file"},
    {{"baseline", required_argument, 0, OPT_BASELINE}, "OLD", "check: baseline trace or database for --max-growth"},
    {{"options-only", no_argument, 0, OPT_OPTIONS_ONLY}, NULL, "check the options and budget files, read no input"},
    {{"max-growth", required_argument, 0, OPT_MAX_GROWTH}, "PCT", "check: fail when peak heap, leaked bytes or"
     " allocations grew more than PCT%"},
    {{"junit", required_argument, 0, OPT_JUNIT}, "FILE", "check: write JUnit XML (one testcase per budget)"},
    {{"github", no_argument, 0, OPT_GITHUB}, NULL, "check: GitHub Actions ::error annotations"},
    {{"help", no_argument, 0, OPT_HELP}, NULL, "this help"},
    {{"version", no_argument, 0, OPT_VERSION}, NULL, "print the version"},
};
#define NOPTIONS (sizeof option_table / sizeof *option_table)

/* Options that belong to some reports: given to another one they are an error rather than
 * silently without effect. */
static const struct {
  int id;
  const char *reports; /* comma-separated */
} report_options[] = {
    {OPT_SVG, "flamegraph"},          {OPT_MASSIF, "export"},   {OPT_CALLGRIND, "export"},
    {OPT_BY, "hotspots, diff, flamegraph"}, {OPT_KIND, "leaks, summary"},
    {OPT_BUDGET_FILE, "check"},       {OPT_BASELINE, "check"},  {OPT_MAX_GROWTH, "check"},
    {OPT_JUNIT, "check"},             {OPT_GITHUB, "check"},    {OPT_OPTIONS_ONLY, "check"},
};

static int in_list(const char *list, const char *word) {
  size_t n = strlen(word);
  for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
    if ((p == list || p[-1] == ' ') && (p[n] == ',' || p[n] == 0)) return 1;
  return 0;
}

static const char *option_name(int id) {
  for (size_t i = 0; i < NOPTIONS; i++)
    if (option_table[i].opt.val == id) return option_table[i].opt.name;
  return "?";
}

/* @return 0, or an exit code after saying which option the report does not take. */
static int check_report_options(const cli *c, const char *report);

static void usage(FILE *out) {
  fprintf(out, "usage: memtrace-report REPORT [options] TRACE|DB\n"
               "       memtrace-report diff [options] BEFORE AFTER\n"
               "       (an input may be TRACE@FROM..TO: a range of markers, seq:N or time:N)\n"
               "       memtrace-report ingest [--db PATH] TRACE...\n"
               "       memtrace-report sql [QUERY] TRACE|DB\n"
               "       memtrace-report check [budgets] [options] TRACE|DB\n\nreports:\n");
  for (size_t i = 0; i < sizeof reports / sizeof *reports; i++)
    fprintf(out, "  %-11s %s\n", reports[i]->name, reports[i]->usage);
  fprintf(out, "  %-11s %s\n\noptions:\n", "ingest", "ingest traces into one database and print its path");
  for (size_t i = 0; i < NOPTIONS; i++) {
    char left[64];
    snprintf(left, sizeof left, "--%s%s%s", option_table[i].opt.name, option_table[i].arg ? " " : "",
             option_table[i].arg ? option_table[i].arg : "");
    fprintf(out, "  %-34s %s\n", left, option_table[i].help);
  }
  fprintf(out, "\ncheck budgets (SIZE: 512, 64KiB, 1.5MB, 2M; see docs/ci.md):\n");
  for (int m = 0; m < MT__M_COUNT; m++) {
    char left[64];
    snprintf(left, sizeof left, "--%s %s", mt__metrics[m].option, mt__metrics[m].bytes ? "SIZE" : "N");
    fprintf(out, "  %-34s limit %s%s\n", left, mt__metrics[m].figure,
            mt__metrics[m].leak_kind ? " (needs the leak scan)" : "");
  }
}

static int fail_usage(const char *fmt, const char *arg) {
  fprintf(stderr, "memtrace-report: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, " (see memtrace-report --help)\n");
  return MT__EXIT_USAGE;
}

static int parse_long(const char *s, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < 0) return -1;
  *out = v;
  return 0;
}

/* "definite,possible" -> bit mask of mt_reach_kind. @return 0 or -1. */
static int parse_kinds(const char *s, unsigned *out) {
  unsigned mask = 0;
  while (*s) {
    size_t n = strcspn(s, ",");
    int k = 0;
    for (; k < MT_REACH_KIND_COUNT; k++)
      if (strlen(mt_reach_kind_name(k)) == n && strncmp(s, mt_reach_kind_name(k), n) == 0) break;
    if (k == MT_REACH_KIND_COUNT) return -1;
    mask |= 1u << k;
    s += n;
    if (*s == ',' && *++s == '\0') return -1;
  }
  if (!mask) return -1;
  *out = mask;
  return 0;
}

/* Set when an input trace was damaged in the middle: the report is printed, the status is 2. */
static int damaged_input;

static void warn_partial(const char *trace, int state, const char *message) {
  if (state == MT__TRACE_DAMAGED) damaged_input = 1;
  fprintf(stderr, "memtrace-report: %s: %s: %s; reporting what was read before it\n",
          state == MT__TRACE_DAMAGED ? "error" : "warning", trace,
          message ? message : (state == MT__TRACE_PARTIAL ? "trace incomplete" : "trace damaged"));
}

/* Parse options; positional arguments are left in argv[optind..]. @return -1 or an exit code. */
static int parse(cli *c, int argc, char **argv) {
  struct option longopts[NOPTIONS + MT__M_COUNT + 1];
  for (size_t i = 0; i < NOPTIONS; i++) longopts[i] = option_table[i].opt;
  for (int m = 0; m < MT__M_COUNT; m++)
    longopts[NOPTIONS + (size_t)m] = (struct option){mt__metrics[m].option, required_argument, 0, OPT_METRIC + m};
  memset(&longopts[NOPTIONS + MT__M_COUNT], 0, sizeof longopts[0]);
  mt__err e;
  int ch;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
    if (ch >= OPT_FORMAT && ch - OPT_FORMAT < (int)sizeof c->seen) c->seen[ch - OPT_FORMAT] = 1;
    if (ch >= OPT_METRIC && ch < OPT_METRIC + MT__M_COUNT) c->seen_budget = 1;
    switch (ch) {
    case OPT_FORMAT:
      if (strcmp(optarg, "text") == 0) c->report.format = MT__FMT_TEXT;
      else if (strcmp(optarg, "json") == 0) c->report.format = MT__FMT_JSON;
      else if (strcmp(optarg, "csv") == 0) c->report.format = MT__FMT_CSV;
      else return fail_usage("unknown format '%s': use text, json or csv", optarg);
      break;
    case OPT_TOP:
      if (parse_long(optarg, &c->report.top)) return fail_usage("--top needs a number, not '%s'", optarg);
      break;
    case OPT_PROCESS:
      if (parse_long(optarg, &c->pid)) return fail_usage("--process needs a pid, not '%s'", optarg);
      break;
    case OPT_KIND:
      if (parse_kinds(optarg, &c->report.leak_kinds))
        return fail_usage("--kind takes a comma list of definite, indirect, possible and"
                          " reachable, not '%s'", optarg);
      break;
    case OPT_DB: c->db_path = optarg; break;
    case OPT_DEBUG_PATH: c->debug_path = optarg; break;
    case OPT_SYSROOT: c->sysroot = optarg; break;
    case OPT_BY: c->report.by = optarg; break;
    case OPT_EXCL_FN:
      if (mt__filter_exclude_function(c->filter, optarg)) return fail_usage("%s", "out of memory");
      break;
    case OPT_EXCL_MOD:
      if (mt__filter_exclude_module(c->filter, optarg)) return fail_usage("%s", "out of memory");
      break;
    case OPT_SUPP:
      if (mt__filter_load_suppressions(c->filter, optarg, &e)) {
        fprintf(stderr, "memtrace-report: %s\n", e.msg);
        return MT__EXIT_USAGE;
      }
      break;
    case OPT_NO_BUILTIN: mt__filter_builtin(c->filter, 0); break;
    case OPT_BETWEEN:
      if (optind >= argc || argv[optind][0] == '-')
        return fail_usage("%s", "--between needs two marker labels: --between MARK1 MARK2");
      c->report.mark_from = optarg;
      c->report.mark_to = argv[optind++];
      break;
    case OPT_SVG: c->report.svg = 1; break;
    case OPT_MASSIF: c->report.massif = 1; break;
    case OPT_CALLGRIND: c->report.callgrind = 1; break;
    case OPT_NO_PROGRESS: c->progress = 0; break;
    case OPT_FORCE: c->force = 1; break;
    case OPT_BUDGET_FILE:
      if (mt__budget_file_load(optarg, &c->budgets, c->filter, &e)) {
        fprintf(stderr, "memtrace-report: %s\n", e.msg);
        return MT__EXIT_USAGE;
      }
      c->budgets.file = optarg;
      break;
    case OPT_BASELINE: c->report.baseline = optarg; break;
    case OPT_OPTIONS_ONLY: c->options_only = 1; break;
    case OPT_MAX_GROWTH:
      if (mt__parse_percent(optarg, &c->budgets.max_growth))
        return fail_usage("--max-growth needs a percentage such as 10%%, not '%s'", optarg);
      break;
    case OPT_JUNIT: c->report.junit = optarg; break;
    case OPT_GITHUB: c->report.github = 1; break;
    case OPT_HELP: usage(stdout); return MT__EXIT_OK;
    case OPT_VERSION: printf("memtrace-report %s\n", MEMTRACE_VERSION); return MT__EXIT_OK;
    case ':': return fail_usage("option '%s' needs an argument", argv[optind - 1]);
    default:
      if (ch >= OPT_METRIC && ch < OPT_METRIC + MT__M_COUNT) {
        if (mt__budgets_add(&c->budgets, mt__metrics[ch - OPT_METRIC].option, optarg, MT__SCOPE_TOTAL,
                            NULL, 0, &e))
          return fail_usage("%s", e.msg);
        break;
      }
      return fail_usage("unknown option '%s'", argv[optind - 1]);
    }
  }
  return -1;
}

static int check_report_options(const cli *c, const char *report) {
  for (size_t i = 0; i < sizeof report_options / sizeof *report_options; i++)
    if (c->seen[report_options[i].id - OPT_FORMAT] && !in_list(report_options[i].reports, report)) {
      char what[160];
      snprintf(what, sizeof what, "--%s is not an option of %s (only of %s)",
               option_name(report_options[i].id), report, report_options[i].reports);
      return fail_usage("%s", what);
    }
  if (c->seen_budget && strcmp(report, "check") != 0)
    return fail_usage("--max-* budgets are options of check, not of %s", report);
  return 0;
}

static const mt__report *find_report(const char *name) {
  for (size_t i = 0; i < sizeof reports / sizeof *reports; i++)
    if (strcmp(reports[i]->name, name) == 0) return reports[i];
  return NULL;
}

/* Open one input and pick its process. An input may carry its own range, INPUT@FROM..TO
 * (bounds as for --between), which wins over --between: so `diff t.mt@a..b t.mt@c..d`
 * compares two phases of one run, each through its own connection and TEMP tables. */
static int open_input(cli *c, const char *spec, mt__input *in, char **dbpath, mt__err *e) {
  char path[4096];
  const char *from = c->report.mark_from, *to = c->report.mark_to;
  char range[512];
  snprintf(path, sizeof path, "%s", spec);
  char *at = strrchr(path, '@');
  struct stat sb;
  if (at && stat(spec, &sb) != 0) {
    *at = 0;
    snprintf(range, sizeof range, "%s", at + 1);
    char *dots = strstr(range, "..");
    if (!dots || dots == range || !dots[2])
      return mt__fail(e, "%s: a range is INPUT@FROM..TO, e.g. trace.mt@load..cleanup", spec);
    *dots = 0;
    from = range;
    to = dots + 2;
  }
  mt__symopts sym = {.debug_path = c->debug_path, .sysroot = c->sysroot};
  /* child traces are only needed when another process than the input's own is asked for */
  mt__source_opts so = {.db_path = c->db_path, .sym = &sym, .progress = c->progress,
                        .force = c->force, .children = c->pid >= 0,
                        .tree = in->tree = mt__stacktree_new()};
  const char *inputs[1] = {path};
  if (mt__source_open(inputs, 1, &so, warn_partial, &in->db, dbpath, e)) return -1;
  in->label = spec;
  if (mt__source_process(in->db, path, c->pid, &in->process_id, e)) return -1;
  return from ? mt__range_apply(in->db, in->process_id, from, to, e) : 0;
}

/* True (with a message) when standard output could not take everything: a full disk, a
 * closed descriptor. */
static int output_failed(void) {
  if (fflush(stdout) == 0 && !ferror(stdout)) return 0;
  fprintf(stderr, "memtrace-report: writing output: %s\n", strerror(errno ? errno : EIO));
  return 1;
}

static int run_report(cli *c, const mt__report *r, char **inputs) {
  mt__err e = {{0}};
  mt__report_ctx ctx = {.opt = &c->report, .filter = c->filter, .out = stdout, .e = &e};
  char *dbpath = NULL, *dbpath2 = NULL;
  int status = MT__EXIT_USAGE;
  ctx.doc = mt__doc_new();
  if (!ctx.doc) {
    fprintf(stderr, "memtrace-report: out of memory\n");
    return MT__EXIT_USAGE;
  }
  if (open_input(c, inputs[0], &ctx.in, &dbpath, &e) ||
      (r->inputs == 2 && open_input(c, inputs[1], &ctx.other, &dbpath2, &e)) ||
      (c->report.baseline && open_input(c, c->report.baseline, &ctx.other, &dbpath2, &e)))
    goto out;
  ctx.in.db_path = dbpath;
  ctx.other.db_path = dbpath2;
  if (r->run(&ctx)) goto out;
  mt__doc_print(ctx.doc, stdout, c->report.format);
  if (output_failed()) goto out;
  status = !damaged_input ? MT__EXIT_OK : MT__EXIT_USAGE;
  if (status == MT__EXIT_OK && ctx.failed) status = MT__EXIT_FAIL;
out:
  if (status != MT__EXIT_OK && e.msg[0]) fprintf(stderr, "memtrace-report: %s\n", e.msg);
  mt__cs_free(ctx.cs);
  mt__stacktree_free(ctx.in.tree);
  mt__stacktree_free(ctx.other.tree);
  mt__doc_free(ctx.doc);
  sqlite3_close(ctx.in.db);
  sqlite3_close(ctx.other.db);
  free(dbpath);
  free(dbpath2);
  return status;
}

static int run_ingest(cli *c, char **inputs, int n) {
  mt__err e = {{0}};
  mt__symopts sym = {.debug_path = c->debug_path, .sysroot = c->sysroot};
  mt__source_opts so = {.db_path = c->db_path, .sym = &sym, .progress = c->progress,
                        .force = c->force, .children = 1};
  sqlite3 *db;
  char *path;
  if (mt__source_open((const char *const *)inputs, n, &so, warn_partial, &db, &path, &e)) {
    fprintf(stderr, "memtrace-report: %s\n", e.msg);
    return MT__EXIT_USAGE;
  }
  printf("%s\n", path);
  sqlite3_close(db);
  free(path);
  return damaged_input || output_failed() ? MT__EXIT_USAGE : MT__EXIT_OK;
}

int main(int argc, char **argv) {
  cli c = {.report = {.format = MT__FMT_TEXT, .top = 20}, .pid = -1, .progress = 1};
  mt__budgets_init(&c.budgets);
  c.report.budgets = &c.budgets;
  if (mt__filter_new(&c.filter)) {
    fprintf(stderr, "memtrace-report: out of memory\n");
    return MT__EXIT_USAGE;
  }
  int status = parse(&c, argc, argv);
  if (status >= 0) goto done;
  char **pos = &argv[optind];
  int npos = argc - optind;
  if (npos < 1) {
    usage(stderr);
    status = MT__EXIT_USAGE;
    goto done;
  }
  const char *name = pos[0];
  pos++;
  npos--;
  if (strcmp(name, "ingest") == 0) {
    status = npos >= 1 ? run_ingest(&c, pos, npos) : fail_usage("%s", "ingest needs at least one trace");
    goto done;
  }
  const mt__report *r = find_report(name);
  if (!r) {
    status = fail_usage("unknown report '%s'", name);
    goto done;
  }
  if ((status = check_report_options(&c, name)) != 0) goto done;
  if (c.options_only) { /* `memtrace --check` asks before it starts the program */
    mt__err e = {{0}};
    status = r == &mt__report_check && mt__check_usage(&c.budgets, c.report.baseline != NULL, &e)
                 ? fail_usage("%s", e.msg)
                 : MT__EXIT_OK;
    goto done;
  }
  char *db_input[1] = {(char *)c.db_path};
  if (c.db_path && r->inputs == 1 && (npos == 0 || (r == &mt__report_sql && npos == 1))) {
    /* --db alone names the input: the database `ingest` printed */
    if (npos == 1) c.report.sql = pos[0];
    c.db_path = NULL;
    pos = db_input;
    npos = 1;
  } else if (r == &mt__report_sql && npos >= 2) { /* sql [QUERY] INPUT */
    c.report.sql = pos[0];
    pos++;
    npos--;
  }
  if (npos != r->inputs) {
    status = r->inputs == 2 ? fail_usage("%s needs two inputs: BEFORE AFTER", name)
                            : fail_usage("%s needs one input: a trace or a database", name);
    goto done;
  }
  status = run_report(&c, r, pos);
done:
  mt__budgets_free(&c.budgets);
  mt__filter_free(c.filter);
  return status;
}
