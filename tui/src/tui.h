/* SPDX-License-Identifier: MIT */
/* Internal interface of memtrace-tui: the application context shared by all screens, the Panel
 * base with its small vtable, key actions and handler flags, colour roles, and the helpers
 * (formatting, drawing, list navigation, paged queries) that screens are built from. */
#ifndef MT_TUI_H
#define MT_TUI_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "leakset.h"
#include "stackrun.h"

/* ---- costs (format.c) --------------------------------------------------------------------- */

/* The costs a call tree or list can be weighed by; the order is the cycling order of `c`. */
typedef enum {
  MT__COST_ALLOCS,
  MT__COST_BYTES,
  MT__COST_LEAKED,
  MT__COST_PEAK,
  MT__COST_TEMP,
  MT__COST_N
} mt__cost;

const char *mt__ui_cost_name(int cost);
/* True when the cost counts bytes (formatted with units), false for counts. */
int mt__ui_cost_is_bytes(int cost);

/* ---- key actions (keys.c) ---------------------------------------------------------------- */

#define MT__ACTION_MAP(XX)                                                                         \
  XX(UP, "move the selection up")                                                                  \
  XX(DOWN, "move the selection down")                                                              \
  XX(PAGE_UP, "one page up")                                                                       \
  XX(PAGE_DOWN, "one page down")                                                                   \
  XX(HOME, "first entry")                                                                          \
  XX(END, "last entry")                                                                            \
  XX(ENTER, "expand/collapse a node; in lists, show the stack")                                    \
  XX(EXPAND, "expand the node (again: go to its first child)")                                     \
  XX(COLLAPSE, "collapse the node, or go to its parent")                                           \
  XX(EXPAND_PATH, "expand the heaviest path below the node")                                       \
  XX(STACK, "show the full stack of the selected entry")                                           \
  XX(COST, "switch cost: allocations, bytes, leaked, peak, temporary")                             \
  XX(SORT, "sort by the next column")                                                              \
  XX(SELF, "hotspots: switch between self and inclusive figures")                                  \
  XX(SEARCH, "search for a function name")                                                         \
  XX(NEXT_MATCH, "next match of the search")                                                       \
  XX(FILTER, "filter by function, file or module (empty clears)")                                  \
  XX(NEXT_SCREEN, "next screen")                                                                   \
  XX(PREV_SCREEN, "previous screen")                                                               \
  XX(SCREEN, "go to screen by number")                                                             \
  XX(HELP, "show this help")                                                                       \
  XX(REDRAW, "redraw the screen")                                                                  \
  XX(QUIT, "quit (closes the help first)")

typedef enum {
  MT__ACT_NONE = 0,
#define MT__ACTION_ENUM(name, help) MT__ACT_##name,
  MT__ACTION_MAP(MT__ACTION_ENUM)
#undef MT__ACTION_ENUM
      MT__ACT_COUNT
} mt__action;

/* One key binding: the key code (ncurses), its name as shown in help, the action and, for
 * SCREEN, the screen number. */
typedef struct {
  int key;
  const char *label;
  int action;
  int arg;
} mt__binding;

/* Look up the action of a key; *arg receives the binding's argument. MT__ACT_NONE if unbound. */
int mt__ui_key_action(int key, int *arg);
/* The binding table and its length (the help screen is generated from it). */
const mt__binding *mt__ui_bindings(size_t *n);
/* What an action does, for the help screen. */
const char *mt__ui_action_help(int action);

/* ---- colours by role (colors.c) ---------------------------------------------------------- */

#define MT__ROLE_MAP(XX)                                                                           \
  XX(DEFAULT, -1, -1, 0)                                                                           \
  XX(TAB, -1, -1, 0)                                                                               \
  XX(TAB_ACTIVE, COLOR_BLACK, COLOR_CYAN, A_REVERSE)                                               \
  XX(TITLE, COLOR_CYAN, -1, A_BOLD)                                                                \
  XX(HEADER, COLOR_BLACK, COLOR_GREEN, A_REVERSE)                                                  \
  XX(SELECTED, COLOR_BLACK, COLOR_CYAN, A_REVERSE)                                                 \
  XX(LABEL, -1, -1, 0)                                                                             \
  XX(VALUE, -1, -1, A_BOLD)                                                                        \
  XX(LOCATION, COLOR_BLUE, -1, 0)                                                                  \
  XX(TREE_GUIDE, COLOR_BLUE, -1, 0)                                                                \
  XX(CHART_HEAP, COLOR_GREEN, -1, 0)                                                               \
  XX(CHART_RSS, COLOR_YELLOW, -1, A_BOLD)                                                          \
  XX(CHART_AXIS, -1, -1, 0)                                                                        \
  XX(GROWTH, COLOR_RED, -1, A_BOLD)                                                                \
  XX(SHRINK, COLOR_GREEN, -1, 0)                                                                   \
  XX(LEAK, COLOR_RED, -1, 0)                                                                       \
  XX(STATUS, COLOR_BLACK, COLOR_CYAN, A_REVERSE)                                                   \
  XX(KEY, COLOR_YELLOW, -1, A_BOLD)                                                                \
  XX(MESSAGE, COLOR_YELLOW, -1, A_BOLD)                                                            \
  XX(ERROR, COLOR_RED, -1, A_BOLD)

typedef enum {
#define MT__ROLE_ENUM(name, fg, bg, mono) MT__C_##name,
  MT__ROLE_MAP(MT__ROLE_ENUM)
#undef MT__ROLE_ENUM
      MT__C_COUNT
} mt__role;

/* Set up colour pairs; monochrome (attributes only) when the terminal has no colours or
 * NO_COLOR is set. Call after initscr(). */
void mt__ui_colors_init(int force_mono);
/* The curses attributes of a role. */
int mt__ui_attr(int role);

/* ---- the application context ------------------------------------------------------------- */

typedef struct mt__model mt__model;

typedef struct {
  sqlite3 *db;
  int64_t process_id;
  const char *path;       /* the database shown */
  const char *other_path; /* second database for the diff (attached as "other"), or NULL */
  int64_t other_process;
  mt__model *model;      /* in-memory stack tree, built on first use (model.c) */
  int utf8;              /* UTF-8 glyphs, else ASCII */
  char filter[128];      /* function/file/module filter of every screen, "" for none */
  int64_t stack_id;      /* the selected entry's stack, shown by the stack screen (0 none) */
  char stack_title[160]; /* what that stack belongs to */
  char message[256];     /* one-line message for the status bar, cleared on the next key */
} mt__app;

/* Set the status message (printf-like). */
void mt__ui_app_message(mt__app *app, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The model, building it on first use. NULL (with a message) when the database cannot be read. */
mt__model *mt__ui_app_model(mt__app *app);

/* ---- panels ------------------------------------------------------------------------------ */

/* What a key handler did; the ScreenManager acts on these, panels never redraw or exit. */
enum {
  MT__F_IGNORED = 0,
  MT__F_HANDLED = 1,
  MT__F_REDRAW = 2,
  MT__F_SHOW_STACK = 4, /* app->stack_id was set: switch to the stack screen */
  MT__F_QUIT = 8,
  MT__F_PROCESS = 16, /* app->process_id changed: every screen starts over */
};

typedef struct mt__panel mt__panel;

typedef struct {
  const char *name, *short_name;
  /* Draw into rows [y, y + h) of the full width w. */
  void (*draw)(mt__panel *p, mt__app *app, int y, int h, int w);
  /* Handle an action (page is the visible height); @return MT__F_* flags. */
  int (*handle)(mt__panel *p, mt__app *app, int action, int page);
  /* Select the next entry (after the selection when next is set) whose name contains text.
   * @return 1 when found. NULL when the screen has nothing to search. */
  int (*search)(mt__panel *p, mt__app *app, const char *text, int next);
  /* The filter or the process changed: drop what was read. NULL when nothing depends on them. */
  void (*reset)(mt__panel *p, mt__app *app);
  void (*destroy)(mt__panel *p);
} mt__panel_class;

struct mt__panel {
  const mt__panel_class *cls;
};

mt__panel *mt__ui_summary_panel(mt__app *app);
mt__panel *mt__ui_tree_panel(mt__app *app, int bottom_up);
mt__panel *mt__ui_hotspots_panel(mt__app *app);
mt__panel *mt__ui_leaks_panel(mt__app *app);
mt__panel *mt__ui_peak_panel(mt__app *app);
mt__panel *mt__ui_markers_panel(mt__app *app);
mt__panel *mt__ui_stack_panel(mt__app *app);
mt__panel *mt__ui_diff_panel(mt__app *app);
mt__panel *mt__ui_processes_panel(mt__app *app);
mt__panel *mt__ui_help_panel(mt__app *app);

/* ---- lists of stacks (stacklist.c) ------------------------------------------------------ */

/* SQL condition: some frame of the stack `stack` (an SQL expression) has a function, file or
 * module containing the filter ?2 (always true when the filter is empty). ?1 is the process. */
/* The frames of stack ?2 of process ?1, innermost first (a node's inlined frames before it):
 * function (an address when unresolved), file, line, inlined, module path. */
#define MT__SQL_STACK_FRAMES                                                                     \
  "WITH RECURSIVE " MT__SQL_STACK_CHAIN("?2")                                                    \
  " SELECT coalesce(f.function, printf('0x%x', chain.ip)), f.file, f.line, f.inlined, m.path"    \
  " FROM chain LEFT JOIN frames f ON f.process_id = ?1 AND f.ip = chain.ip"                      \
  " LEFT JOIN modules m ON m.process_id = ?1 AND m.id = f.module_id ORDER BY chain.n, f.depth"

#define MT__SQL_STACK_MATCHES(stack)                                                               \
  "(?2 = '' OR EXISTS (WITH RECURSIVE " MT__SQL_STACK_CHAIN(stack)                                 \
  " SELECT 1 FROM chain JOIN frames f ON f.process_id = ?1 AND f.ip = chain.ip"                    \
  " LEFT JOIN modules m ON m.process_id = ?1 AND m.id = f.module_id"                               \
  " WHERE instr(lower(f.function), lower(?2)) OR instr(lower(coalesce(f.file, '')), lower(?2))"    \
  " OR instr(lower(coalesce(m.path, '')), lower(?2))))"

/* SQL joins giving lf, the innermost frame of the stack_stats row `s` (NULL columns when
 * the stack has no node or the address no frame). */
#define MT__SQL_LEAF_FRAME_OF_STATS                                                                \
  " LEFT JOIN stack_runs st ON st.process_id = s.process_id AND st.first_id = "                    \
  MT__SQL_RUN_OF("s.process_id", "s.stack_id") " AND st.last_id >= s.stack_id"                     \
  " LEFT JOIN frames lf ON lf.process_id = s.process_id AND lf.ip = "                              \
  MT__SQL_RUN_IP("st", "s.stack_id") " AND lf.depth = 0"

/* A numeric column of a stack list: title, width, and how its value is written. */
typedef struct {
  const char *title;
  int width;
  int cost; /* formatted like this cost (bytes or count) */
} mt__stacklist_col;

/* A screen listing stacks, one per row, from a paged query whose columns are: stack id,
 * function, file, line, then the numeric columns. The query has no ORDER BY: rows are sorted
 * by a numeric column, the first one until `s` picks the next. */
typedef struct {
  const char *name, *short_name;
  const char *sql;
  int ncols;
  mt__stacklist_col cols[4];
  const char *what;  /* "leaked", "at peak": titles the stack screen */
  const char *empty; /* shown when there is no row */
  /* The line above the columns (totals of the screen). */
  void (*title)(mt__app *app, char *buf, size_t len);
} mt__stacklist_desc;

mt__panel *mt__ui_stacklist_panel(mt__app *app, const mt__stacklist_desc *d);

/* ---- screen manager (screen_manager.c) --------------------------------------------------- */

/* Run the interactive loop over the panels (the first one shown is `first`) until quit.
 * Owns the panels. @return 0. */
int mt__ui_screen_manager_run(mt__app *app, mt__panel **panels, int n, int first, int stack_index);

/* ---- list navigation (list.c) ------------------------------------------------------------ */

typedef struct {
  long count, sel, top;
} mt__list;

/* Apply a movement action. @return MT__F_* flags (IGNORED for other actions). */
int mt__ui_list_move(mt__list *l, int action, int page);
/* Clamp the selection and scroll so it is visible in h rows. */
void mt__ui_list_fit(mt__list *l, int h);
void mt__ui_list_select(mt__list *l, long index);

/* ---- formatting (format.c) and drawing (draw.c) ------------------------------------------ */

/* Human size: "512 B", "1.5 KiB", "3.2 MiB". */
char *mt__ui_fmt_bytes(char *buf, size_t len, uint64_t v);
/* Exact count with thousands separators: "1,234,567". */
char *mt__ui_fmt_count(char *buf, size_t len, uint64_t v);
/* A cost value in a column: bytes with units, counts exact (or k/M when long). */
char *mt__ui_fmt_cost(char *buf, size_t len, int cost, uint64_t v);
/* Signed change: "+1.5 KiB", "-3", "0". */
char *mt__ui_fmt_delta(char *buf, size_t len, int cost, int64_t v);
/* Duration: "1.25 s", "350 ms", "12 us". */
char *mt__ui_fmt_time(char *buf, size_t len, uint64_t ns);

/* Write text at (y, x) clipped to `width` display columns, in a role. @return columns used. */
int mt__ui_put(int y, int x, int width, int role, const char *text);
/* Same as mt__ui_put with extra attributes or-ed in (for the selected row). */
int mt__ui_put_attr(int y, int x, int width, int attr, const char *text);
/* Fill a row from x to w with spaces in a role or attribute. */
void mt__ui_fill(int y, int x, int w, int attr);
/* Column header row: text padded to the width, in the HEADER role. */
void mt__ui_header(int y, int w, const char *text);
/* Append "  where" (a file:line) after a name when it fits whole; sel is the selected-row
 * attribute or 0. @return columns used. */
int mt__ui_put_location(int y, int x, int w, int sel, const char *where);
/* Display width of a UTF-8 string. */
int mt__ui_text_width(const char *s);
/* Pointer to the last `cols` columns of s (for long paths). */
const char *mt__ui_tail(const char *s, int cols);
/* Case-insensitive substring test. */
int mt__ui_contains(const char *hay, const char *needle);

/* ---- leaks as memtrace-report counts them (leaks.c) ------------------------------------- */

/* The leak groups of a process, suppressed ones marked (built-in suppressions on), totals
 * without them. @return 0 or -1. Free with mt__leakset_free. */
int mt__ui_leakset(sqlite3 *db, int64_t process_id, mt__leakset *out);
/* A group whose heap leaks the report leaves out (its stack is suppressed). */
int mt__ui_suppressed_heap(const mt__leak_group *g);

/* ---- paged queries (pager.c) ------------------------------------------------------------- */

#define MT__PAGER_COLS 12

typedef struct {
  int64_t n[MT__PAGER_COLS];
  char *t[MT__PAGER_COLS]; /* text of TEXT columns, NULL otherwise */
} mt__row;

/* Rows of one SELECT read a window at a time with LIMIT/OFFSET, never all at once. The query
 * binds ?1 to the process id and ?2 to the filter ("" for none). */
typedef struct {
  sqlite3 *db;
  char *sql;
  int64_t process_id;
  char filter[128];
  long count; /* -1 until counted */
  long base;  /* index of rows[0] */
  int nrows, ncols;
  mt__row *rows;
  char error[256];
  /* called on each row as it is read, and may rewrite its cells (NULL: none) */
  void (*decorate)(mt__row *r, void *ctx);
  void *decorate_ctx;
} mt__pager;

void mt__ui_pager_init(mt__pager *pg, sqlite3 *db, int64_t process_id, const char *sql);
/* Change the query or the filter; cached rows are dropped. */
void mt__ui_pager_set_sql(mt__pager *pg, const char *sql);
void mt__ui_pager_set_filter(mt__pager *pg, const char *filter);
/* Number of rows (one count query, then cached). */
long mt__ui_pager_count(mt__pager *pg);
/* Row i, fetching the window around it when needed; NULL past the end or on error. */
const mt__row *mt__ui_pager_row(mt__pager *pg, long i);
void mt__ui_pager_free(mt__pager *pg);

/* ---- the in-memory call tree (model.c) --------------------------------------------------- */

typedef struct {
  uint32_t func;   /* index in the function table */
  uint32_t parent; /* node index; the root is 0 and is its own parent */
  uint32_t first_child, next_sibling, nchildren;
  int32_t depth;             /* 0 for the root's children, -1 for the root */
  uint32_t best[MT__COST_N]; /* heaviest stack below, as an index in the stack stats */
  uint64_t incl[MT__COST_N], self[MT__COST_N];
  uint32_t *stats; /* stacks passing below, until the children are built */
  uint32_t nstats, capstats;
  uint8_t has_children, built, expanded;
  int8_t sorted_by; /* cost the children are ordered by, -1 when unsorted */
} mt__node;

typedef struct {
  uint32_t func;
  uint32_t best[MT__COST_N];
  uint64_t incl[MT__COST_N], self[MT__COST_N];
} mt__hotspot;

/* A function tree over the stacks and their statistics: top-down (outermost frame at the root)
 * or bottom-up (allocating function at the root). Built lazily: a node's children exist once
 * it was expanded, so memory follows what was looked at, not the size of the profile. */
typedef struct {
  mt__node *nodes;
  uint32_t nnodes, capnodes;
  int bottom_up;
  uint64_t total[MT__COST_N];
} mt__tree;

/* Load stacks, frames and per-stack statistics of a process. @return NULL with msg on error. */
mt__model *mt__ui_model_load(sqlite3 *db, int64_t process_id, char *msg, size_t len);
void mt__ui_model_free(mt__model *m);
/* Start a tree over the stacks whose frames match filter ("" for all), with the root's
 * children built. @return 0 or -1 (out of memory). */
int mt__ui_model_tree(mt__model *m, int bottom_up, const char *filter, mt__tree *out);
/* Build a node's children (once; nodes may move in memory). @return 0 or -1. */
int mt__ui_tree_expand(mt__model *m, mt__tree *t, uint32_t node);
void mt__ui_tree_free(mt__tree *t);
/* Order a node's children by a cost, heaviest first. */
void mt__ui_tree_sort_children(mt__tree *t, uint32_t node, int cost);
/* Per-function figures over the stacks matching filter. @return count, or -1; *out is malloc'd. */
long mt__ui_model_hotspots(mt__model *m, const char *filter, mt__hotspot **out);
const char *mt__ui_model_func_name(const mt__model *m, uint32_t func);
/* Where a function is: "file:line" of its first frame, or its module, or "". */
const char *mt__ui_model_func_where(const mt__model *m, uint32_t func);
/* The stack id of a statistics index. */
int64_t mt__ui_model_stack_id(const mt__model *m, uint32_t stat);

#endif
