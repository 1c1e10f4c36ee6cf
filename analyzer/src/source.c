/* SPDX-License-Identifier: MIT */
/* Input resolution: trace or database, freshness check against traces(size, mtime_ns),
 * re-ingest of changed traces, child traces found next to their parent, warnings replayed
 * from the database for partial traces. */
#include "source.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memtrace/trace_reader.h>

#include "db.h"

static int replay_warning(sqlite3 *db, int64_t trace_id, const char *path, mt__warn_fn warn) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, "SELECT complete, error FROM traces WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
    return -1;
  sqlite3_bind_int64(st, 1, trace_id);
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) != MT__TRACE_COMPLETE && warn)
    warn(path, sqlite3_column_int(st, 0), (const char *)sqlite3_column_text(st, 1));
  sqlite3_finalize(st);
  return 0;
}

static int find(sqlite3 *db, const char *abspath, const struct stat *sb, int64_t *id, int *fresh,
                mt__err *e) {
  return mt__db_find_trace(db, abspath, (int64_t)sb->st_size,
                           (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec, id,
                           fresh, e);
}

/* Ingest one trace unless the database already holds it fresh. The check is repeated under
 * the write lock, so concurrent reports on a new trace ingest it once: the others wait and
 * then reuse it. */
static int ingest_one(sqlite3 *db, const char *input, const mt__source_opts *o,
                      mt__stacktree *tree, mt__warn_fn warn, mt__err *e) {
  char abspath[PATH_MAX];
  if (!realpath(input, abspath)) return mt__fail(e, "%s: cannot read trace: %s", input, strerror(errno));
  struct stat sb;
  if (stat(abspath, &sb) != 0) return mt__fail(e, "%s: cannot read trace: %s", input, strerror(errno));
  int64_t id;
  int fresh;
  if (find(db, abspath, &sb, &id, &fresh, e)) return -1;
  if (id && fresh && !o->force) return replay_warning(db, id, input, warn);
  if (mt__db_exec(db, "BEGIN IMMEDIATE", e)) return -1;
  mt__ingest_result r = {.state = MT__TRACE_COMPLETE};
  int rc = find(db, abspath, &sb, &id, &fresh, e);
  int reuse = rc == 0 && id && fresh && !o->force;
  if (rc == 0 && !reuse) {
    mt__ingest_opts io = {.sym = o->sym, .progress = o->progress, .tree = tree};
    rc = (id && mt__db_delete_trace(db, id, e)) || mt__ingest(db, abspath, &io, &r, e) ? -1 : 0;
  }
  if (rc) {
    mt__err ignored;
    mt__db_exec(db, "ROLLBACK", &ignored);
    return -1;
  }
  if (mt__db_exec(db, "COMMIT", e)) return -1;
  if (reuse) return replay_warning(db, id, input, warn);
  mt__stacktree_bind(tree, r.process_id);
  if (r.state != MT__TRACE_COMPLETE && warn) warn(input, r.state, r.message);
  return 0;
}

/* The parent_trace of a trace's PROCESS record into buf; 0 when it has one, -1 otherwise. */
static int parent_of(const char *path, char *buf, size_t len) {
  char head[16];
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  size_t n = fread(head, 1, sizeof head, f);
  fclose(f);
  if (n != sizeof head || memcmp(head + 8, "MEMTRACE", 8) != 0) return -1;
  mt_reader *rd;
  if (mt_reader_open_file(&rd, path)) return -1;
  mt_record r;
  int rc = -1;
  for (int i = 0; i < 4 && mt_reader_next(rd, &r) == 1; i++) {
    if (r.type != MT_REC_PROCESS) continue;
    if (r.u.process.parent_trace.len && r.u.process.parent_trace.len < len) {
      memcpy(buf, r.u.process.parent_trace.data, r.u.process.parent_trace.len);
      buf[r.u.process.parent_trace.len] = 0;
      rc = 0;
    }
    break;
  }
  mt_reader_close(rd);
  return rc;
}

/* A trace in the directory of the input, and the trace its process names as parent. */
typedef struct {
  char *path, *parent; /* parent: resolved with realpath when it exists */
  int taken;
} dir_trace;

static void free_dir_traces(dir_trace *t, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(t[i].path);
    free(t[i].parent);
  }
  free(t);
}

/* Every trace in dir that names a parent, read once: child traces (fork, vfork, exec,
 * posix_spawn) sit next to their parent. @return 0 or -1 (out of memory). */
static int list_child_traces(const char *dir, dir_trace **out, size_t *count) {
  *out = NULL;
  *count = 0;
  DIR *d = opendir(dir[0] ? dir : "/");
  if (!d) return 0;
  size_t cap = 0;
  struct dirent *de;
  int rc = 0, scanned = 0;
  while (rc == 0 && (de = readdir(d)) != NULL && scanned++ < 100000) {
    size_t nl = strlen(de->d_name);
    if (de->d_name[0] == '.' || (nl > 3 && strcmp(de->d_name + nl - 3, ".db") == 0)) continue;
    char path[PATH_MAX], parent[PATH_MAX], real[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= sizeof path) continue;
    if (parent_of(path, parent, sizeof parent) != 0) continue;
    if (*count == cap) {
      size_t ncap = cap ? cap * 2 : 16;
      dir_trace *t = realloc(*out, ncap * sizeof *t);
      if (!t) {
        rc = -1;
        break;
      }
      *out = t;
      cap = ncap;
    }
    dir_trace *t = &(*out)[*count];
    t->path = strdup(path);
    t->parent = strdup(realpath(parent, real) ? real : parent);
    t->taken = 0;
    (*count)++;
    if (!t->path || !t->parent) rc = -1;
  }
  closedir(d);
  return rc;
}

/* Ingest the traces that name abspath as parent, and theirs in turn. */
static int ingest_descendants(sqlite3 *db, const char *abspath, dir_trace *t, size_t n,
                              const mt__source_opts *o, mt__warn_fn warn, int depth, mt__err *e) {
  if (depth > 64) return 0;
  for (size_t i = 0; i < n; i++) {
    if (t[i].taken || strcmp(t[i].parent, abspath) != 0) continue;
    t[i].taken = 1;
    if (ingest_one(db, t[i].path, o, NULL, warn, e) ||
        ingest_descendants(db, t[i].path, t, n, o, warn, depth + 1, e))
      return -1;
  }
  return 0;
}

/* The child traces of the trace at abspath (found in its directory, by the parent their
 * PROCESS record names), and their children: the directory is read once. */
static int ingest_children(sqlite3 *db, const char *abspath, const mt__source_opts *o,
                           mt__warn_fn warn, mt__err *e) {
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", abspath);
  char *slash = strrchr(dir, '/');
  if (!slash) return 0;
  *slash = 0;
  dir_trace *t;
  size_t n;
  if (list_child_traces(dir, &t, &n)) {
    free_dir_traces(t, n);
    return mt__fail(e, "out of memory");
  }
  int rc = ingest_descendants(db, abspath, t, n, o, warn, 0, e);
  free_dir_traces(t, n);
  return rc;
}

/* Whether the file is a database memtrace-report created (its meta table says so). */
static int made_by_us(const char *path) {
  sqlite3 *db;
  sqlite3_stmt *st = NULL;
  int ours = 0;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'created_by'", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    const unsigned char *by = sqlite3_column_text(st, 0);
    ours = by && strcmp((const char *)by, "memtrace-report") == 0;
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return ours;
}

/* Delete a database file and its journal. @return 0, or -1 with errno set. */
static int remove_database(const char *path) {
  char journal[PATH_MAX];
  snprintf(journal, sizeof journal, "%s-journal", path);
  if (unlink(path) != 0 && errno != ENOENT) return -1;
  unlink(journal);
  return 0;
}

/* The database next to a trace is a cache of it (and of its children, found again next to
 * it): one that memtrace-report made with another schema version is deleted and made anew
 * rather than refused. A database named with --db may hold what the user put there, and
 * another program's file is not ours to delete: those are refused. */
static int rebuild_cache(const char *path, sqlite3 **db, mt__err *e) {
  if (!made_by_us(path)) return -1; /* e says why already */
  if (remove_database(path) != 0)
    return mt__fail(e, "%s: cannot replace a database of another version: %s", path, strerror(errno));
  return mt__db_open(db, path, 1, e);
}

int mt__source_open(const char *const *inputs, int ninputs, const mt__source_opts *o,
                    mt__warn_fn warn, sqlite3 **db_out, char **db_path_out, mt__err *e) {
  *db_out = NULL;
  *db_path_out = NULL;
  if (ninputs < 1) return mt__fail(e, "no input: give a trace or a database");
  struct stat sb;
  for (int i = 0; i < ninputs; i++)
    if (stat(inputs[i], &sb) != 0)
      return mt__fail(e, "%s: %s", inputs[i], strerror(errno));
  if (mt__db_is_database(inputs[0])) {
    if (ninputs > 1) return mt__fail(e, "give either one database or traces, not both");
    if (o->db_path) return mt__fail(e, "--db applies to traces; %s is already a database", inputs[0]);
    *db_path_out = strdup(inputs[0]);
    if (!*db_path_out) return mt__fail(e, "out of memory");
    return mt__db_open(db_out, inputs[0], 0, e);
  }
  char *path;
  if (o->db_path) {
    path = strdup(o->db_path);
  } else {
    size_t n = strlen(inputs[0]) + 4;
    path = malloc(n);
    if (path) snprintf(path, n, "%s.db", inputs[0]);
  }
  if (!path) return mt__fail(e, "out of memory");
  sqlite3 *db;
  struct stat before;
  int created = stat(path, &before) != 0; /* removed again when no trace could be read */
  int rc = mt__db_open(&db, path, 1, e);
  if (rc == MT__DB_OTHER_VERSION && !o->db_path) rc = rebuild_cache(path, &db, e);
  if (rc) {
    if (!o->db_path) {
      size_t n = strlen(e->msg);
      snprintf(e->msg + n, sizeof e->msg - n, " (use --db PATH to put the database elsewhere)");
    }
    free(path);
    return -1;
  }
  for (int i = 0; i < ninputs; i++) {
    if (mt__db_is_database(inputs[i])) {
      sqlite3_close(db);
      free(path);
      return mt__fail(e, "give either one database or traces, not both");
    }
    char abspath[PATH_MAX];
    if (ingest_one(db, inputs[i], o, i == 0 ? o->tree : NULL, warn, e) ||
        (o->children && realpath(inputs[i], abspath) && ingest_children(db, abspath, o, warn, e)) ||
        mt__db_link_parents(db, e)) {
      sqlite3_close(db);
      if (created) remove_database(path); /* a failed run leaves no database of its own behind */
      free(path);
      return -1;
    }
  }
  *db_out = db;
  *db_path_out = path;
  return 0;
}

int mt__source_process(sqlite3 *db, const char *input, long pid, int64_t *process_id, mt__err *e) {
  char abspath[PATH_MAX];
  int is_trace = !mt__db_is_database(input) && realpath(input, abspath);
  const char *sql;
  /* A pid that exec'd ran several programs, one process each: the input trace's own first,
   * then the last program the pid ran. */
  if (pid >= 0)
    sql = "SELECT p.id FROM processes p LEFT JOIN traces t ON t.id = p.trace_id WHERE p.pid = ?2"
          " ORDER BY t.path IS ?1 DESC, p.id DESC LIMIT 1";
  else if (is_trace)
    sql = "SELECT p.id FROM processes p JOIN traces t ON t.id = p.trace_id WHERE t.path = ?1"
          " ORDER BY p.id LIMIT 1";
  else
    sql = "SELECT id FROM processes ORDER BY parent_id IS NOT NULL, id LIMIT 1";
  sqlite3_stmt *st;
  if (mt__db_prepare(db, &st, sql, e)) return -1;
  if (is_trace) sqlite3_bind_text(st, 1, abspath, -1, SQLITE_STATIC); /* else NULL */
  if (pid >= 0) sqlite3_bind_int64(st, 2, pid);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) *process_id = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  if (rc == SQLITE_ROW) return 0;
  if (pid >= 0) return mt__fail(e, "%s: no process with pid %ld", input, pid);
  return mt__fail(e, "%s: the database holds no process", input);
}
