/* SPDX-License-Identifier: MIT */
/* The analysis database: schema creation, version check, and the per-trace bookkeeping that
 * lets a database be reused while its trace is unchanged. docs/schema.md documents the tables. */
#ifndef MT_ANALYZER_DB_H
#define MT_ANALYZER_DB_H

#include <sqlite3.h>
#include <stdint.h>

#include "err.h"

/* PRAGMA user_version of the databases this build writes and reads. */
#define MT__SCHEMA_VERSION 4

/* What computed the rows of a trace: a database ingested by an analyzer whose figures differ
 * (a later fix in accounting or symbols) is ingested again. Bump on such changes. */
#define MT__INGEST_ID "memtrace-report schema 4 ingest 1"

/* mt__db_open's result for a database of another schema version (e filled). */
#define MT__DB_OTHER_VERSION (-2)

/* Open (creating when absent and `create` is set) a database and check its schema version.
 * @return 0, MT__DB_OTHER_VERSION, or -1 with e filled. */
int mt__db_open(sqlite3 **out, const char *path, int create, mt__err *e);

/* True when the file starts with the SQLite header (so an input is a database, not a trace). */
int mt__db_is_database(const char *path);

/* Run SQL without results. @return 0 or -1 with e filled. */
int mt__db_exec(sqlite3 *db, const char *sql, mt__err *e);

/* Bind a row and step a prepared statement, then reset it. types has one letter per
 * parameter: 'i' uint64_t, 't' C string, 'n' null (no argument).
 * @return 0 or -1 with e filled. */
int mt__db_run(sqlite3 *db, sqlite3_stmt *st, mt__err *e, const char *types, ...);

/* Prepare a statement. @return 0 or -1 with e filled. */
int mt__db_prepare(sqlite3 *db, sqlite3_stmt **st, const char *sql, mt__err *e);

/* Look up a trace by absolute path: *trace_id (0 when absent), and whether size and mtime
 * still match the file and it was ingested by this analyzer (MT__INGEST_ID). */
int mt__db_find_trace(sqlite3 *db, const char *abspath, int64_t size, int64_t mtime_ns,
                      int64_t *trace_id, int *fresh, mt__err *e);

/* Delete a trace and everything ingested from it. */
int mt__db_delete_trace(sqlite3 *db, int64_t trace_id, mt__err *e);

/* Fill processes.parent_id from parent_trace for every process whose parent is in the db. */
int mt__db_link_parents(sqlite3 *db, mt__err *e);

#endif
