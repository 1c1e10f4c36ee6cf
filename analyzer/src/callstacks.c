/* SPDX-License-Identifier: MIT */
/* In-memory stack tree (id -> parent, ip) and frame lists per instruction pointer, with one
 * string pool, so walking every stack of a process costs no SQL. */
#include "callstacks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "stackpack.h"
#include "stackrun.h"
#include "u64map.h"

/* value: the node's ip until a walk first reaches it, then (with RESOLVED set in parent) its
 * frame list, first frame index << 8 | count (0 when the ip has no frames). Resolving on the
 * first walk spares a report that walks a few stacks the ip lookups of a million nodes. */
typedef struct {
  uint64_t parent, value;
} node;

#define RESOLVED (UINT64_C(1) << 63)

struct mt__callstacks {
  int dense;              /* nodes indexed by id (else through node_index) */
  sqlite3 *db;
  int64_t pid;
  sqlite3_stmt *lookup;   /* lazy mode: fetches one node on demand (NULL once all loaded) */
  size_t capnodes;
  uint64_t max_id;        /* lazy mode: largest stack id */
  size_t lazy_max;        /* lazy mode: nodes fetched one by one before loading them all */
  mt__u64map node_index;  /* stack id -> index in nodes, when not dense */
  node *nodes;
  size_t nnodes, nslots;
  mt__u64map ip_index;    /* ip -> first frame index << 8 | frame count */
  mt__frame *frames;
  size_t nframes, capframes;
  char **strings;         /* every string owned */
  size_t nstrings, capstrings;
};

static const char *keep(mt__callstacks *cs, const unsigned char *s) {
  if (!s) return NULL;
  if (cs->nstrings == cs->capstrings) {
    size_t n = cs->capstrings ? 2 * cs->capstrings : 256;
    char **ns = realloc(cs->strings, n * sizeof *ns);
    if (!ns) return NULL;
    cs->strings = ns;
    cs->capstrings = n;
  }
  char *d = strdup((const char *)s);
  if (d) cs->strings[cs->nstrings++] = d;
  return d;
}

void mt__cs_free(mt__callstacks *cs) {
  if (!cs) return;
  sqlite3_finalize(cs->lookup);
  mt__u64map_free(&cs->node_index);
  mt__u64map_free(&cs->ip_index);
  free(cs->nodes);
  free(cs->frames);
  for (size_t i = 0; i < cs->nstrings; i++) free(cs->strings[i]);
  free(cs->strings);
  free(cs);
}

#define ABSENT UINT64_MAX

static uint64_t frames_of_ip(const mt__callstacks *cs, uint64_t ip) {
  const uint64_t *fr = mt__u64map_get(&cs->ip_index, ip);
  return fr ? *fr : 0;
}

/* Append a node to the sparse set (indexed through node_index). @return it, NULL when out
 * of memory. */
static node *add_node(mt__callstacks *cs, uint64_t id, node d) {
  if (cs->nnodes == cs->capnodes) {
    size_t n = cs->capnodes ? 2 * cs->capnodes : 1024;
    node *nn = realloc(cs->nodes, n * sizeof *nn);
    if (!nn) return NULL;
    cs->nodes = nn;
    cs->capnodes = n;
  }
  if (mt__u64map_put(&cs->node_index, id, cs->nnodes)) return NULL;
  cs->nodes[cs->nnodes] = d;
  return &cs->nodes[cs->nnodes++];
}

/* Nodes live in an array indexed by id when ids are dense (1..N, as the recorder makes
 * them) and the largest id allows it; a hash map otherwise (damaged or unusual traces). */
static int alloc_dense(mt__callstacks *cs, uint64_t nodes, uint64_t max, mt__err *e) {
  cs->dense = max < nodes + 4096;
  if (!cs->dense) return 0;
  cs->nslots = (size_t)max + 1;
  cs->nodes = malloc(cs->nslots * sizeof *cs->nodes);
  if (!cs->nodes) return mt__fail(e, "out of memory");
  for (size_t i = 0; i < cs->nslots; i++) cs->nodes[i].parent = ABSENT;
  return 0;
}

/* A node as loaded: its ip not resolved yet. A parent id past 2^63 - 2 (damaged rows) ends
 * the walk there, as a root does. */
static node unresolved_node(uint64_t parent, uint64_t ip) {
  return (node){parent < RESOLVED - 1 ? parent : 0, ip};
}

static int put_node(void *ctx, uint64_t id, uint64_t parent, uint64_t ip) {
  mt__callstacks *cs = ctx;
  node d = unresolved_node(parent, ip);
  if (!cs->dense) {
    uint64_t *ix = mt__u64map_get(&cs->node_index, id);
    if (ix) cs->nodes[*ix] = d;   /* named twice (damaged trace): the last one stands */
    return ix || add_node(cs, id, d) ? 0 : -1;
  }
  if (id >= cs->nslots) return 0;   /* a damaged pack: the node is as good as absent */
  if (cs->nodes[id].parent == ABSENT) cs->nnodes++;
  cs->nodes[id] = d;
  return 0;
}

static void drop_nodes(mt__callstacks *cs) {
  free(cs->nodes);
  cs->nodes = NULL;
  cs->nnodes = cs->capnodes = cs->nslots = 0;
  mt__u64map_free(&cs->node_index);
  mt__u64map_init(&cs->node_index);
}

/* From the packed copy, when ingest wrote one. @return 1 when loaded, 0 when the database
 * has none (or a damaged one: the runs are read instead), -1 with e filled. */
static int load_packed(sqlite3 *db, int64_t pid, mt__callstacks *cs, mt__err *e) {
  uint64_t nodes = 0, max = 0;
  int have = mt__stackpack_size(db, pid, &nodes, &max, e);
  if (have <= 0) return have;
  if (alloc_dense(cs, nodes, max, e)) return -1;
  mt__err damage;
  if (mt__stackpack_read(db, pid, put_node, cs, &damage) == 0) return 1;
  drop_nodes(cs);
  return 0;
}

static int load_nodes(sqlite3 *db, int64_t pid, mt__callstacks *cs, mt__err *e) {
  int packed = load_packed(db, pid, cs, e);
  if (packed) return packed < 0 ? -1 : 0;
  uint64_t nodes = 0, max = 0;
  if (mt__stackrun_size(db, pid, &nodes, &max, e) || alloc_dense(cs, nodes, max, e)) return -1;
  return mt__stackrun_read(db, pid, put_node, cs, e);
}

/* Lazy mode: a node not seen yet is read from the table with the rest of its run, and kept;
 * past lazy_max nodes the walk is a big one and every node is loaded at once instead.
 * Fetching one run costs about as much as reading FETCH_COST nodes in the full scan. */
#define LAZY_MAX 20000
#define FETCH_COST 10

static node *node_of(mt__callstacks *cs, uint64_t id);

static node *fetch(mt__callstacks *cs, uint64_t id) {
  if (cs->nnodes >= cs->lazy_max) {
    mt__err ignored;
    if (mt__cs_load_all(cs, &ignored) == 0) return node_of(cs, id);
  }
  sqlite3_bind_int64(cs->lookup, 1, cs->pid);
  sqlite3_bind_int64(cs->lookup, 2, (sqlite3_int64)id);
  mt__err damage;
  int row = sqlite3_step(cs->lookup) == SQLITE_ROW;
  int found = row && mt__stackrun_decode_row(cs->lookup, put_node, cs, &damage) == 0;
  sqlite3_reset(cs->lookup);
  if (row && !found) {
    mt__err ignored;
    if (mt__cs_load_all(cs, &ignored) == 0) return node_of(cs, id);
  }
  if (!found) return NULL;
  uint64_t *ix = mt__u64map_get(&cs->node_index, id);
  return ix ? &cs->nodes[*ix] : NULL;
}

static node *node_of(mt__callstacks *cs, uint64_t id) {
  if (cs->dense) return id < cs->nslots && cs->nodes[id].parent != ABSENT ? &cs->nodes[id] : NULL;
  uint64_t *ix = mt__u64map_get(&cs->node_index, id);
  if (ix) return &cs->nodes[*ix];
  return cs->lookup ? fetch(cs, id) : NULL;
}

static int load_frames(sqlite3 *db, int64_t pid, mt__callstacks *cs, mt__err *e) {
  sqlite3_stmt *st;
  if (mt__db_prepare(db, &st,
                     "SELECT f.ip, f.function, f.file, f.line, f.inlined, m.path FROM frames f"
                     " LEFT JOIN modules m ON m.process_id = f.process_id AND m.id = f.module_id"
                     " WHERE f.process_id = ? ORDER BY f.ip, f.depth",
                     e))
    return -1;
  sqlite3_bind_int64(st, 1, pid);
  uint64_t cur_ip = 0;
  size_t first = 0;
  int have = 0;
  const char *last_module_src = NULL, *last_module = NULL;
  while (sqlite3_step(st) == SQLITE_ROW) {
    uint64_t ip = (uint64_t)sqlite3_column_int64(st, 0);
    if (!have || ip != cur_ip) {
      if (have) mt__u64map_put(&cs->ip_index, cur_ip, (uint64_t)first << 8 | (cs->nframes - first));
      cur_ip = ip;
      first = cs->nframes;
      have = 1;
    }
    if (cs->nframes == cs->capframes) {
      size_t n = cs->capframes ? 2 * cs->capframes : 1024;
      mt__frame *nf = realloc(cs->frames, n * sizeof *nf);
      if (!nf) {
        sqlite3_finalize(st);
        return mt__fail(e, "out of memory");
      }
      cs->frames = nf;
      cs->capframes = n;
    }
    mt__frame *f = &cs->frames[cs->nframes++];
    f->function = keep(cs, sqlite3_column_text(st, 1));
    if (!f->function) f->function = "??";
    f->file = keep(cs, sqlite3_column_text(st, 2));
    f->line = sqlite3_column_int(st, 3);
    f->inlined = sqlite3_column_int(st, 4);
    const char *mod = (const char *)sqlite3_column_text(st, 5);
    if (mod && last_module_src && strcmp(mod, last_module) == 0) {
      f->module = last_module;
    } else {
      f->module = keep(cs, (const unsigned char *)mod);
      last_module_src = last_module = f->module;
    }
    if (cs->nframes - first >= 255) cs->nframes--; /* absurd inline depth: keep 254 */
  }
  if (have) mt__u64map_put(&cs->ip_index, cur_ip, (uint64_t)first << 8 | (cs->nframes - first));
  sqlite3_finalize(st);
  return 0;
}

struct mt__stacktree {
  node *nodes;            /* nodes[id] for ids 1..count; NULL once given up */
  size_t count, cap;
  int64_t process_id;     /* 0 until bound */
};

mt__stacktree *mt__stacktree_new(void) { return calloc(1, sizeof(mt__stacktree)); }

static void give_up(mt__stacktree *t) {
  free(t->nodes);
  t->nodes = NULL;
  t->count = t->cap = SIZE_MAX; /* no further node is taken */
}

void mt__stacktree_add(mt__stacktree *t, uint64_t id, uint64_t parent, uint64_t ip) {
  if (!t || t->count == SIZE_MAX) return;
  if (id != t->count + 1) {
    give_up(t);
    return;
  }
  if (id >= t->cap) {
    size_t cap = t->cap ? 2 * t->cap : 4096;
    node *n = realloc(t->nodes, cap * sizeof *n);
    if (!n) {
      give_up(t);
      return;
    }
    n[0].parent = ABSENT;
    t->nodes = n;
    t->cap = cap;
  }
  t->nodes[id] = unresolved_node(parent, ip);
  t->count = id;
}

void mt__stacktree_bind(mt__stacktree *t, int64_t process_id) {
  if (t) t->process_id = process_id;
}

void mt__stacktree_free(mt__stacktree *t) {
  if (!t) return;
  free(t->nodes);
  free(t);
}

/* Take the tree's nodes as the dense set. @return whether they were taken. */
static int adopt(mt__callstacks *cs, mt__stacktree *t) {
  if (!t || !t->nodes || !t->count || t->process_id != cs->pid) return 0;
  cs->dense = 1;
  cs->nodes = t->nodes;
  cs->nslots = t->count + 1;
  cs->nnodes = t->count;
  t->nodes = NULL;
  t->count = t->cap = 0;
  t->process_id = 0;
  return 1;
}

/* Fetching runs one by one meets a damaged run only when a walk reaches it; then every node
 * is loaded from the packs instead. Without packs, every node is loaded at once from the runs,
 * so that damage there is an error and not a stack quietly "unknown". @return whether the
 * process has packs, with *max_id their largest node id. */
static int lazy_possible(sqlite3 *db, int64_t process_id, uint64_t *max_id) {
  uint64_t nodes;
  mt__err ignored;
  return mt__stackpack_size(db, process_id, &nodes, max_id, &ignored) == 1;
}

int mt__cs_load_from(sqlite3 *db, int64_t process_id, int lazy, mt__stacktree *tree,
                     mt__callstacks **out, mt__err *e) {
  mt__callstacks *cs = calloc(1, sizeof *cs);
  if (!cs) return mt__fail(e, "out of memory");
  mt__u64map_init(&cs->node_index);
  mt__u64map_init(&cs->ip_index);
  cs->db = db;
  cs->pid = process_id;
  /* frames first: nodes resolve their frame list as they are loaded */
  int rc = load_frames(db, process_id, cs, e);
  if (rc == 0 && adopt(cs, tree)) {
    /* every node at hand: nothing to fetch */
  } else if (rc == 0 && lazy && lazy_possible(db, process_id, &cs->max_id)) {
    cs->lazy_max = cs->max_id / FETCH_COST < LAZY_MAX ? cs->max_id / FETCH_COST : LAZY_MAX;
    rc = mt__db_prepare(db, &cs->lookup, MT__SQL_STACK_RUN_OF, e);
  } else if (rc == 0) {
    rc = load_nodes(db, process_id, cs, e);
  }
  if (rc) {
    mt__cs_free(cs);
    return -1;
  }
  *out = cs;
  return 0;
}

int mt__cs_load_all(mt__callstacks *cs, mt__err *e) {
  if (!cs->lookup) return 0;
  sqlite3_finalize(cs->lookup);
  cs->lookup = NULL;
  drop_nodes(cs);
  return load_nodes(cs->db, cs->pid, cs, e);
}

/* A stack brings about this many nodes not fetched yet by the stacks walked before it. */
#define NEW_NODES_PER_STACK 16

int mt__cs_plan_walk(mt__callstacks *cs, size_t stacks, mt__err *e) {
  if (!cs->lookup || stacks * NEW_NODES_PER_STACK * FETCH_COST < cs->max_id) return 0;
  return mt__cs_load_all(cs, e);
}

size_t mt__cs_frames(mt__callstacks *cs, uint64_t stack_id, const mt__frame **out, size_t max) {
  size_t n = 0;
  /* parent < id by the format (checked here too for damaged tables), so the walk ends */
  while (stack_id != 0) {
    node *d = node_of(cs, stack_id);
    if (!d) break;
    if (!(d->parent & RESOLVED)) {
      d->value = frames_of_ip(cs, d->value);
      d->parent |= RESOLVED;
    }
    size_t first = d->value >> 8, count = d->value & 0xff;
    for (size_t i = 0; i < count; i++, n++)
      if (n < max) out[n] = &cs->frames[first + i];
    uint64_t parent = d->parent & ~RESOLVED;
    if (parent >= stack_id) break;
    stack_id = parent;
  }
  return n;
}

const char *mt__basename(const char *p) {
  const char *b = p ? strrchr(p, '/') : NULL;
  return b ? b + 1 : p;
}

const char *mt__frame_label(const mt__frame *f, char *buf, size_t len) {
  if (f->file && f->line) snprintf(buf, len, "%s (%s:%d)", f->function, f->file, f->line);
  else if (f->file) snprintf(buf, len, "%s (%s)", f->function, f->file);
  else if (f->module && !strchr(f->function, '+'))
    snprintf(buf, len, "%s (%s)", f->function, mt__basename(f->module));
  else snprintf(buf, len, "%s", f->function);
  return buf;
}
