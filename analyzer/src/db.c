/* SPDX-License-Identifier: MIT */
/* Schema as data: one table of CREATE statements, one list of per-process tables; the schema
 * version lives in PRAGMA user_version so plain sqlite3 users can check it too. */
#include "db.h"
#include "stackrun.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const schema[] = {
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT)",
    "CREATE TABLE traces(id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, size INTEGER,"
    " mtime_ns INTEGER, format_major INTEGER, format_minor INTEGER, complete INTEGER,"
    " error TEXT, error_offset INTEGER, records INTEGER, reorder_late INTEGER, ingested_by TEXT)",
    "CREATE TABLE processes(id INTEGER PRIMARY KEY, trace_id INTEGER REFERENCES traces(id),"
    " pid INTEGER, ppid INTEGER, origin TEXT, parent_trace TEXT, parent_id INTEGER,"
    " program TEXT, argv TEXT, hostname TEXT, recorder_version TEXT, options TEXT,"
    " start_wall_ns INTEGER, page_size INTEGER, end_how TEXT, exit_status INTEGER,"
    " duration_ns INTEGER)",
    "CREATE TABLE totals(process_id INTEGER PRIMARY KEY, allocations INTEGER, frees INTEGER,"
    " bytes_allocated INTEGER, temporary_allocations INTEGER, peak_heap_bytes INTEGER,"
    " peak_heap_seq INTEGER, peak_heap_time_ns INTEGER, leaked_bytes INTEGER,"
    " leaked_blocks INTEGER, peak_rss_bytes INTEGER, mmap_allocations INTEGER,"
    " mmap_bytes INTEGER, custom_allocations INTEGER, custom_bytes INTEGER,"
    " unmatched_frees INTEGER, shim_bytes INTEGER, last_seq INTEGER, last_time_ns INTEGER,"
    " end_allocations INTEGER, end_frees INTEGER, end_bytes_allocated INTEGER,"
    " end_peak_heap_bytes INTEGER, end_live_bytes INTEGER, end_live_blocks INTEGER,"
    " definite_bytes INTEGER, definite_blocks INTEGER, indirect_bytes INTEGER,"
    " indirect_blocks INTEGER, possible_bytes INTEGER, possible_blocks INTEGER,"
    " reachable_bytes INTEGER, reachable_blocks INTEGER, scan_duration_ns INTEGER)",
    "CREATE TABLE modules(process_id INTEGER, id INTEGER, path TEXT, build_id TEXT,"
    " base INTEGER, load_seq INTEGER, unload_seq INTEGER, debug_file TEXT,"
    " PRIMARY KEY(process_id, id))",
    "CREATE TABLE threads(process_id INTEGER, tid INTEGER, name TEXT, PRIMARY KEY(process_id, tid))",
    "CREATE TABLE stack_runs(process_id INTEGER, first_id INTEGER, last_id INTEGER,"
    " parent INTEGER, ip_base INTEGER, ip_offsets TEXT)",
    /* not WITHOUT ROWID: there the index pages would hold whole rows, their text too */
    "CREATE UNIQUE INDEX stack_runs_by_first ON stack_runs(process_id, first_id)",
    /* a node of a run: the first one's parent is the run's, every other's the node before.
     * LIMIT -1 keeps SQLite from flattening the view into a join, where it would decode every
     * run once per row of the other table: it decodes the view once and indexes it instead */
    "CREATE VIEW stacks(process_id, id, parent, ip) AS SELECT r.process_id, r.first_id + j.key,"
    " CASE j.key WHEN 0 THEN r.parent ELSE r.first_id + j.key - 1 END, r.ip_base + j.value"
    " FROM stack_runs r, json_each(r.ip_offsets) j LIMIT -1",
    "CREATE TABLE stack_packs(process_id INTEGER, first_id INTEGER, last_id INTEGER,"
    " nodes INTEGER, data BLOB)",
    "CREATE TABLE frames(process_id INTEGER, ip INTEGER, depth INTEGER, function TEXT,"
    " file TEXT, line INTEGER, module_id INTEGER, module_offset INTEGER, inlined INTEGER,"
    " resolved INTEGER, PRIMARY KEY(process_id, ip, depth)) WITHOUT ROWID",
    "CREATE TABLE stack_stats(process_id INTEGER, stack_id INTEGER, allocations INTEGER,"
    " bytes_allocated INTEGER, temporary_allocations INTEGER, leaked_blocks INTEGER,"
    " leaked_bytes INTEGER, peak_blocks INTEGER, peak_bytes INTEGER,"
    " PRIMARY KEY(process_id, stack_id)) WITHOUT ROWID",
    "CREATE TABLE leaks(process_id INTEGER, address INTEGER, size INTEGER, kind TEXT, class TEXT,"
    " stack_id INTEGER, seq INTEGER, time_ns INTEGER, leak_kind TEXT)",
    "CREATE INDEX leaks_by_stack ON leaks(process_id, stack_id)",
    "CREATE TABLE timeline(process_id INTEGER, idx INTEGER, time_ns INTEGER, seq INTEGER,"
    " heap_bytes INTEGER, heap_max_bytes INTEGER, heap_blocks INTEGER, rss_bytes INTEGER,"
    " mmap_bytes INTEGER, PRIMARY KEY(process_id, idx)) WITHOUT ROWID",
    "CREATE TABLE markers(process_id INTEGER, seq INTEGER, time_ns INTEGER, label TEXT,"
    " heap_bytes INTEGER)",
    "CREATE TABLE forks(process_id INTEGER, seq INTEGER, time_ns INTEGER, child_pid INTEGER)",
    /* through stack_stats, whose stacks are those other tables name: each one's run is found
     * through the index, where the stacks view would be scanned for every stack */
    "CREATE VIEW leaf_frames AS SELECT s.process_id, s.stack_id, f.function, f.file, f.line"
    " FROM stack_stats s JOIN stack_runs r ON r.process_id = s.process_id AND r.first_id = "
    MT__SQL_RUN_OF("s.process_id", "s.stack_id") " AND r.last_id >= s.stack_id"
    " JOIN frames f ON f.process_id = s.process_id AND f.ip = " MT__SQL_RUN_IP("r", "s.stack_id")
    " AND f.depth = 0",
};

/* Tables holding rows of one process, deleted together when a trace is ingested again. */
static const char *const process_tables[] = {
    "totals", "modules",  "threads", "stack_runs",  "stack_packs", "frames",
    "stack_stats", "leaks", "timeline", "markers", "forks",
};

int mt__db_exec(sqlite3 *db, const char *sql, mt__err *e) {
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    mt__fail(e, "database error: %s", msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return -1;
  }
  return 0;
}

int mt__db_prepare(sqlite3 *db, sqlite3_stmt **st, const char *sql, mt__err *e) {
  if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
    return mt__fail(e, "database error: %s", sqlite3_errmsg(db));
  return 0;
}

int mt__db_is_database(const char *path) {
  char head[16];
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  size_t n = fread(head, 1, sizeof head, f);
  fclose(f);
  return n == sizeof head && memcmp(head, "SQLite format 3", 16) == 0;
}

static int query_int(sqlite3 *db, const char *sql, int64_t *v);

/* Create the tables unless another process did so first (checked under the write lock). */
static int create_schema(sqlite3 *db, mt__err *e) {
  if (mt__db_exec(db, "BEGIN IMMEDIATE", e)) return -1;
  int64_t tables = 0;
  int rc = query_int(db, "SELECT count(*) FROM sqlite_master", &tables);
  for (size_t i = 0; rc == 0 && tables == 0 && i < sizeof schema / sizeof *schema; i++)
    rc = mt__db_exec(db, schema[i], e);
  char sql[128];
  snprintf(sql, sizeof sql, "PRAGMA user_version = %d", MT__SCHEMA_VERSION);
  if (rc == 0 && tables == 0) rc = mt__db_exec(db, sql, e);
  if (rc == 0 && tables == 0)
    rc = mt__db_exec(db, "INSERT INTO meta VALUES('created_by', 'memtrace-report')", e);
  if (rc) {
    mt__err ignored;
    mt__db_exec(db, "ROLLBACK", &ignored);
    return -1;
  }
  return mt__db_exec(db, "COMMIT", e);
}

static int query_int(sqlite3 *db, const char *sql, int64_t *v) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) *v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return rc == SQLITE_ROW ? 0 : -1;
}

/* Both in one statement, so from one snapshot: read apart, another process's schema could
 * land in between, and its tables without its version read as a database of another
 * version (which the trace's cache then deletes under the process writing it). */
static int read_version_and_tables(sqlite3 *db, int64_t *version, int64_t *tables) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, "SELECT (SELECT user_version FROM pragma_user_version), count(*)"
                             " FROM sqlite_master", -1, &st, NULL) != SQLITE_OK)
    return -1;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *version = sqlite3_column_int64(st, 0);
    *tables = sqlite3_column_int64(st, 1);
  }
  sqlite3_finalize(st);
  return rc == SQLITE_ROW ? 0 : -1;
}

int mt__db_open(sqlite3 **out, const char *path, int create, mt__err *e) {
  *out = NULL;
  sqlite3 *db;
  /* NOMUTEX: a connection is used by one thread only, so SQLite need not lock each call */
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path, &db, flags, NULL);
  if (rc != SQLITE_OK && !create) {
    sqlite3_close(db);
    rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
  }
  if (rc != SQLITE_OK) {
    mt__fail(e, "cannot open database %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return -1;
  }
  /* another memtrace-report may be ingesting into the same database: wait for it */
  sqlite3_busy_timeout(db, 600000);
  /* The database is a cache of the trace: no fsync (an application crash still cannot
   * corrupt it; an OS crash at worst means ingesting again). */
  sqlite3_exec(db, "PRAGMA synchronous = OFF", NULL, NULL, NULL);
  /* 32 MiB of page cache: ingesting a million stack nodes stays out of the kernel */
  sqlite3_exec(db, "PRAGMA cache_size = -32768", NULL, NULL, NULL);
  int64_t version = 0, tables = 0;
  if (read_version_and_tables(db, &version, &tables)) {
    mt__fail(e, "%s is not a memtrace database: %s", path, sqlite3_errmsg(db));
    sqlite3_close(db);
    return -1;
  }
  if (tables == 0 && version == 0 && create) {
    if (create_schema(db, e) || query_int(db, "PRAGMA user_version", &version)) {
      if (!e->msg[0]) mt__fail(e, "database error: %s", sqlite3_errmsg(db));
      sqlite3_close(db);
      return -1;
    }
  }
  if (version != MT__SCHEMA_VERSION) {
    mt__fail(e,
             "%s has database schema version %lld, this memtrace-report reads version %d: "
             "ingest the trace again (delete the database or use --db)",
             path, (long long)version, MT__SCHEMA_VERSION);
    sqlite3_close(db);
    return MT__DB_OTHER_VERSION;
  }
  *out = db;
  return 0;
}

int mt__db_find_trace(sqlite3 *db, const char *abspath, int64_t size, int64_t mtime_ns,
                      int64_t *trace_id, int *fresh, mt__err *e) {
  sqlite3_stmt *st;
  if (mt__db_prepare(db, &st, "SELECT id, size, mtime_ns, ingested_by FROM traces WHERE path = ?", e))
    return -1;
  sqlite3_bind_text(st, 1, abspath, -1, SQLITE_STATIC);
  *trace_id = 0;
  *fresh = 0;
  if (sqlite3_step(st) == SQLITE_ROW) {
    *trace_id = sqlite3_column_int64(st, 0);
    const char *by = (const char *)sqlite3_column_text(st, 3);
    *fresh = sqlite3_column_int64(st, 1) == size && sqlite3_column_int64(st, 2) == mtime_ns &&
             by && strcmp(by, MT__INGEST_ID) == 0;
  }
  sqlite3_finalize(st);
  return 0;
}

int mt__db_delete_trace(sqlite3 *db, int64_t trace_id, mt__err *e) {
  for (size_t i = 0; i < sizeof process_tables / sizeof *process_tables; i++) {
    char sql[256];
    snprintf(sql, sizeof sql,
             "DELETE FROM %s WHERE process_id IN (SELECT id FROM processes WHERE trace_id = ?)",
             process_tables[i]);
    sqlite3_stmt *st;
    if (mt__db_prepare(db, &st, sql, e)) return -1;
    sqlite3_bind_int64(st, 1, trace_id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return mt__fail(e, "database error: %s", sqlite3_errmsg(db));
  }
  static const char *const rest[] = {"DELETE FROM processes WHERE trace_id = ?",
                                     "DELETE FROM traces WHERE id = ?"};
  for (size_t i = 0; i < 2; i++) {
    sqlite3_stmt *st;
    if (mt__db_prepare(db, &st, rest[i], e)) return -1;
    sqlite3_bind_int64(st, 1, trace_id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return mt__fail(e, "database error: %s", sqlite3_errmsg(db));
  }
  return 0;
}

/* A trace's first process by the trace's path, in a temporary table with a key: looked up
 * through traces into processes (which has no index by trace), each process's parent cost
 * a scan of all processes, and ingesting thousands of traces took minutes. */
#define PARENT_OF_PROCESS "(SELECT id FROM temp.mt_trace_process WHERE path = processes.parent_trace)"

int mt__db_link_parents(sqlite3 *db, mt__err *e) {
  if (mt__db_exec(db,
                  "CREATE TEMP TABLE IF NOT EXISTS mt_trace_process(path TEXT PRIMARY KEY, id INTEGER);"
                  " DELETE FROM temp.mt_trace_process;"
                  " INSERT INTO temp.mt_trace_process SELECT t.path, min(p.id) FROM processes p"
                  " JOIN traces t ON t.id = p.trace_id GROUP BY t.path",
                  e))
    return -1;
  /* Only when a link changes: a database that is up to date may be read-only (another
   * user's), and even an UPDATE that changes nothing needs to write. */
  int64_t stale = 1;
  query_int(db, "SELECT count(*) FROM processes WHERE parent_trace <> '' AND"
                " parent_id IS NOT " PARENT_OF_PROCESS, &stale);
  if (stale == 0) return 0;
  return mt__db_exec(db, "UPDATE processes SET parent_id = " PARENT_OF_PROCESS
                         " WHERE parent_trace <> ''", e);
}

int mt__db_run(sqlite3 *db, sqlite3_stmt *st, mt__err *e, const char *types, ...) {
  va_list ap;
  va_start(ap, types);
  for (int i = 0; types[i]; i++) {
    if (types[i] == 'i') {
      sqlite3_bind_int64(st, i + 1, (sqlite3_int64)va_arg(ap, uint64_t));
    } else if (types[i] == 't') {
      const char *s = va_arg(ap, const char *);
      sqlite3_bind_text(st, i + 1, s, -1, SQLITE_TRANSIENT);
    } else {
      sqlite3_bind_null(st, i + 1);
    }
  }
  va_end(ap);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return mt__fail(e, "database error: %s", sqlite3_errmsg(db));
  return 0;
}
