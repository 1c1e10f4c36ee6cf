/* SPDX-License-Identifier: MIT */
/* memtrace-tui: browse a memtrace profile in the terminal. Checks that it can talk to a
 * terminal, opens the database (ingesting a trace first through the analyzer library), sets up
 * curses and hands the screens to the ScreenManager. Only this file prints errors and exits. */
#include <curses.h>
#include <term.h>
#include <errno.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "source.h"
#include "tui.h"

#define EXIT_USAGE 2

static const char usage[] =
    "usage: memtrace-tui [OPTIONS] TRACE|DB [OTHER]\n"
    "Browse a memtrace profile: summary, call trees, hotspots, leaks, peak, markers,\n"
    "stacks; with OTHER, the diff between the two runs.\n"
    "\n"
    "  -p, --process PID   show this process (default: the trace's, or a database's first)\n"
    "      --ascii         ASCII line drawing even in a UTF-8 locale\n"
    "      --mono          no colours (also when NO_COLOR is set)\n"
    "  -h, --help          this help\n"
    "      --version       print the version\n"
    "\n"
    "A trace is ingested first into TRACE.db (reused while the trace is unchanged),\n"
    "as memtrace-report does. Press ? inside for the keys.\n";

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "memtrace-tui: ");
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(EXIT_USAGE);
}

static void warn_partial(const char *trace, int state, const char *message) {
  fprintf(stderr, "memtrace-tui: %s: %s%s\n", trace, state < 0 ? "damaged: " : "", message);
}

/* Open the database of one input (ingesting a trace with the analyzer library, with its
 * progress line on the terminal) and pick its process. */
static sqlite3 *open_input(const char *input, long pid, char **path, int64_t *process_id) {
  mt__err e = {{0}};
  mt__symopts sym = {0};
  mt__source_opts so = {.sym = &sym, .progress = 1};
  sqlite3 *db;
  if (mt__source_open(&input, 1, &so, warn_partial, &db, path, &e)) die("%s", e.msg);
  if (mt__source_process(db, input, pid ? pid : -1, process_id, &e)) die("%s", e.msg);
  return db;
}

static long count_processes(sqlite3 *db) {
  sqlite3_stmt *st;
  long n = 0;
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM processes", -1, &st, NULL) != SQLITE_OK)
    return 0;
  if (sqlite3_step(st) == SQLITE_ROW) n = (long)sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return n;
}

mt__model *mt__ui_app_model(mt__app *app) {
  if (app->model) return app->model;
  mt__ui_put(LINES - 1, 0, COLS, MT__C_MESSAGE, "reading stacks...");
  refresh();
  char msg[256];
  app->model = mt__ui_model_load(app->db, app->process_id, msg, sizeof msg);
  if (!app->model) mt__ui_app_message(app, "%s", msg);
  return app->model;
}

int main(int argc, char **argv) {
  const char *inputs[2] = {NULL, NULL};
  int ninputs = 0, ascii = 0, mono = 0;
  long pid = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      fputs(usage, stdout);
      return 0;
    } else if (!strcmp(a, "--version")) {
      printf("memtrace-tui %s\n", MEMTRACE_VERSION);
      return 0;
    } else if (!strcmp(a, "--ascii")) {
      ascii = 1;
    } else if (!strcmp(a, "--mono")) {
      mono = 1;
    } else if (!strcmp(a, "-p") || !strcmp(a, "--process")) {
      char *end;
      errno = 0;
      if (i + 1 >= argc || (pid = strtol(argv[++i], &end, 10)) <= 0 || *end || errno ||
          pid > INT_MAX)
        die("%s needs a process id", a);
    } else if (a[0] == '-' && a[1]) {
      die("unknown option %s (see --help)", a);
    } else if (ninputs < 2) {
      inputs[ninputs++] = a;
    } else {
      die("too many files: give TRACE|DB and at most one OTHER");
    }
  }
  if (!ninputs) {
    fputs(usage, stderr);
    return EXIT_USAGE;
  }
  if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
    die("not a terminal: memtrace-tui is interactive (use memtrace-report for text output)");
  for (int i = 0; i < ninputs; i++)
    if (access(inputs[i], R_OK)) die("cannot read %s: %s", inputs[i], strerror(errno));
  mt__app app = {0};
  char *paths[2] = {NULL, NULL};
  app.db = open_input(inputs[0], pid, &paths[0], &app.process_id);
  app.path = paths[0];
  if (ninputs == 2) {
    sqlite3 *other = open_input(inputs[1], 0, &paths[1], &app.other_process);
    sqlite3_close(other);
    app.other_path = paths[1];
  }

  setlocale(LC_ALL, "");
  app.utf8 = !ascii && strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
  if (!getenv("ESCDELAY")) set_escdelay(25);
  /* newterm, unlike initscr, returns on an unknown terminal instead of exiting */
  SCREEN *term = newterm(NULL, stdout, stdin);
  if (!term) die("cannot use the terminal (TERM=%s)", getenv("TERM") ? getenv("TERM") : "unset");
  /* a terminal that cannot move the cursor (TERM=dumb) would show a blank screen */
  char *cup = tigetstr("cup");
  if (!cup || cup == (char *)-1) {
    endwin();
    die("cannot use the terminal (TERM=%s): it cannot move the cursor",
        getenv("TERM") ? getenv("TERM") : "unset");
  }
  cbreak();
  noecho();
  nonl();
  keypad(stdscr, TRUE);
  curs_set(0);
  mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
  mouseinterval(0);
  mt__ui_colors_init(mono);

  mt__panel *panels[10];
  int n = 0;
  panels[n++] = mt__ui_summary_panel(&app);
  panels[n++] = mt__ui_tree_panel(&app, 0);
  panels[n++] = mt__ui_tree_panel(&app, 1);
  panels[n++] = mt__ui_hotspots_panel(&app);
  panels[n++] = mt__ui_leaks_panel(&app);
  panels[n++] = mt__ui_peak_panel(&app);
  panels[n++] = mt__ui_markers_panel(&app);
  int stack_index = n;
  panels[n++] = mt__ui_stack_panel(&app);
  if (count_processes(app.db) > 1) panels[n++] = mt__ui_processes_panel(&app);
  int first = 0;
  if (app.other_path) {
    first = n;
    panels[n++] = mt__ui_diff_panel(&app);
  }
  for (int i = 0; i < n; i++)
    if (!panels[i]) {
      endwin();
      die("out of memory");
    }
  mt__ui_screen_manager_run(&app, panels, n, first, stack_index);
  endwin();
  delscreen(term);
  mt__ui_model_free(app.model);
  sqlite3_close(app.db);
  free(paths[0]);
  free(paths[1]);
  return 0;
}
