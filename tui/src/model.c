/* SPDX-License-Identifier: MIT */
/* The in-memory call-tree model: the distinct stacks, their symbolized frames and per-stack
 * statistics of one process, loaded once (memory bounded by distinct stacks), from which
 * top-down and bottom-up function trees (one level per expansion) and per-function hotspots
 * are built, over the stacks matching a filter. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"
#include "u64map.h"

#define NONE UINT32_MAX

typedef struct {
  uint32_t func, file, module; /* string ids; file and module NONE when unknown */
  int line;
} frame;

struct mt__model {
  char **strs; /* interned strings */
  uint32_t nstrs, capstrs;
  mt__u64map str_index;  /* string hash -> id; a colliding string takes the next free key */
  uint32_t *where;       /* per string used as a function: "file:line" string id or NONE */
  uint32_t *name;        /* per string: the function name shown for it (itself, or for a
                            function key "name\x1ffile" the name alone) */
  uint32_t *module_name; /* module id -> string id, by position */
  int64_t *module_ids;
  size_t nmodules;
  uint64_t *ips; /* distinct ips with frames, sorted */
  uint32_t *ip_first, *ip_count;
  size_t nips;
  frame *frames;
  size_t nframes;
  int64_t *stack_ids;     /* sorted */
  uint32_t *stack_parent; /* index, NONE for the outermost frame */
  uint64_t *stack_ip;
  int32_t *stack_ipx;     /* index in ips of the stack's ip (-1: no frames), found once */
  size_t nstacks;
  uint32_t *stat_stack; /* stat -> stack index, NONE when the stack is unknown */
  int64_t *stat_id;     /* stat -> stack id */
  uint64_t (*stat_cost)[MT__COST_N];
  size_t nstats;
  uint32_t unknown; /* string id of "[unknown stack]" */
};


/* ---- strings ---- */

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

/* Interned id of s; the map's key is the string's hash, and a string whose hash is taken by
 * another string takes the next key up. */
static uint32_t intern(mt__model *m, const char *s) {
  if (!s) return NONE;
  uint64_t key = hash_str(s);
  for (uint64_t *id; (id = mt__u64map_get(&m->str_index, key)) != NULL; key++)
    if (strcmp(m->strs[*id], s) == 0) return (uint32_t)*id;
  if (m->nstrs == m->capstrs) {
    uint32_t n = m->capstrs ? m->capstrs * 2 : 1024;
    char **ns = realloc(m->strs, n * sizeof *ns);
    uint32_t *nw = realloc(m->where, n * sizeof *nw);
    uint32_t *nn = realloc(m->name, n * sizeof *nn);
    if (ns) m->strs = ns;
    if (nw) m->where = nw;
    if (nn) m->name = nn;
    if (!ns || !nw || !nn) return NONE;
    m->capstrs = n;
  }
  char *copy = strdup(s);
  if (!copy) return NONE;
  uint32_t id = m->nstrs++;
  m->strs[id] = copy;
  m->where[id] = NONE;
  m->name[id] = id;
  if (mt__u64map_put(&m->str_index, key, id)) return NONE;
  return id;
}

const char *mt__ui_model_func_name(const mt__model *m, uint32_t func) {
  return func < m->nstrs ? m->strs[m->name[func]] : "?";
}

const char *mt__ui_model_func_where(const mt__model *m, uint32_t func) {
  return func < m->nstrs && m->where[func] != NONE ? m->strs[m->where[func]] : "";
}

int64_t mt__ui_model_stack_id(const mt__model *m, uint32_t stat) {
  return stat < m->nstats ? m->stat_id[stat] : 0;
}

/* ---- loading ---- */

static void *grow(void *p, size_t *cap, size_t need, size_t size) {
  if (need <= *cap) return p;
  size_t n = *cap ? *cap * 2 : 4096;
  while (n < need)
    n *= 2;
  void *q = realloc(p, n * size);
  if (q) *cap = n;
  return q;
}

/* Index of v in the sorted array a, or -1. Stack ids are usually 1..n, so the guess a[v - 1]
 * answers without a search. */
static long find_i64(const int64_t *a, size_t n, int64_t v) {
  if (v >= 1 && (uint64_t)v <= n && a[v - 1] == v) return (long)(v - 1);
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (a[mid] < v)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && a[lo] == v ? (long)lo : -1;
}

static long find_ip(const mt__model *m, uint64_t ip) {
  size_t lo = 0, hi = m->nips;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (m->ips[mid] < ip)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < m->nips && m->ips[lo] == ip ? (long)lo : -1;
}

static const char *base_name(const char *p) {
  const char *b = strrchr(p, '/');
  return b ? b + 1 : p;
}

static int load_modules(mt__model *m, sqlite3 *db, int64_t pid) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, "SELECT id, path FROM modules WHERE process_id = ?1 ORDER BY id", -1,
                         &st, NULL) != SQLITE_OK)
    return -1;
  sqlite3_bind_int64(st, 1, pid);
  size_t cap = 0, cap2 = 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    m->module_ids = grow(m->module_ids, &cap, m->nmodules + 1, sizeof *m->module_ids);
    m->module_name = grow(m->module_name, &cap2, m->nmodules + 1, sizeof *m->module_name);
    if (!m->module_ids || !m->module_name) break;
    const char *path = (const char *)sqlite3_column_text(st, 1);
    m->module_ids[m->nmodules] = sqlite3_column_int64(st, 0);
    m->module_name[m->nmodules++] = intern(m, base_name(path ? path : "?"));
  }
  sqlite3_finalize(st);
  return m->module_ids || !cap ? 0 : -1;
}

static int load_frames(mt__model *m, sqlite3 *db, int64_t pid) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db,
                         "SELECT ip, function, file, line, module_id FROM frames"
                         " WHERE process_id = ?1 ORDER BY ip, depth",
                         -1, &st, NULL) != SQLITE_OK)
    return -1;
  sqlite3_bind_int64(st, 1, pid);
  size_t capf = 0, capi = 0, capc = 0, capn = 0;
  char where[4200];
  while (sqlite3_step(st) == SQLITE_ROW) {
    uint64_t ip = (uint64_t)sqlite3_column_int64(st, 0);
    const char *fn = (const char *)sqlite3_column_text(st, 1);
    const char *file = (const char *)sqlite3_column_text(st, 2);
    int line = sqlite3_column_int(st, 3);
    long mod = find_i64(m->module_ids, m->nmodules, sqlite3_column_int64(st, 4));
    m->frames = grow(m->frames, &capf, m->nframes + 1, sizeof *m->frames);
    if (!m->frames) break;
    frame *f = &m->frames[m->nframes];
    /* functions are told apart by name and file, so static functions of one name stay apart */
    if (!fn) fn = "??";
    if (file) {
      snprintf(where, sizeof where, "%s\x1f%s", fn, file);
      f->func = intern(m, where);
      uint32_t shown = intern(m, fn);
      if (f->func == NONE || shown == NONE) break;
      m->name[f->func] = shown;
    } else {
      f->func = intern(m, fn);
    }
    f->file = file ? intern(m, file) : NONE;
    f->line = line;
    f->module = mod >= 0 ? m->module_name[mod] : NONE;
    if (f->func == NONE) break;
    if (m->where[f->func] == NONE) {
      if (file)
        snprintf(where, sizeof where, "%s:%d", base_name(file), line);
      else
        snprintf(where, sizeof where, "%s", mod >= 0 ? m->strs[m->module_name[mod]] : "");
      if (*where) m->where[f->func] = intern(m, where);
    }
    if (!m->nips || m->ips[m->nips - 1] != ip) {
      m->ips = grow(m->ips, &capi, m->nips + 1, sizeof *m->ips);
      m->ip_first = grow(m->ip_first, &capc, m->nips + 1, sizeof *m->ip_first);
      m->ip_count = grow(m->ip_count, &capn, m->nips + 1, sizeof *m->ip_count);
      if (!m->ips || !m->ip_first || !m->ip_count) break;
      m->ips[m->nips] = ip;
      m->ip_first[m->nips] = (uint32_t)m->nframes;
      m->ip_count[m->nips++] = 0;
    }
    m->ip_count[m->nips - 1]++;
    m->nframes++;
  }
  sqlite3_finalize(st);
  return 0;
}

typedef struct {
  mt__model *m;
  int64_t *parents;
  size_t cap_ids, cap_ips, cap_parents;
} stack_loader;

static int add_stack_node(void *ctx, uint64_t id, uint64_t parent, uint64_t ip) {
  stack_loader *l = ctx;
  mt__model *m = l->m;
  size_t n = m->nstacks + 1;
  m->stack_ids = grow(m->stack_ids, &l->cap_ids, n, sizeof *m->stack_ids);
  m->stack_ip = grow(m->stack_ip, &l->cap_ips, n, sizeof *m->stack_ip);
  l->parents = grow(l->parents, &l->cap_parents, n, sizeof *l->parents);
  if (!m->stack_ids || !m->stack_ip || !l->parents) return -1;
  m->stack_ids[m->nstacks] = (int64_t)id;
  l->parents[m->nstacks] = (int64_t)parent;
  m->stack_ip[m->nstacks++] = ip;
  return 0;
}

static int load_stacks(mt__model *m, sqlite3 *db, int64_t pid) {
  stack_loader l = {.m = m};
  size_t c3 = 0;
  mt__err ignored;
  /* nodes come in id order; a damaged run ends the list where it starts */
  mt__stackrun_read(db, pid, add_stack_node, &l, &ignored);
  int64_t *parents = l.parents;
  if (!m->stack_ids || !m->stack_ip || !parents) m->nstacks = 0;
  m->stack_parent = grow(NULL, &c3, m->nstacks + 1, sizeof *m->stack_parent);
  if (!m->stack_parent) {
    free(parents);
    return -1;
  }
  m->stack_ipx = malloc((m->nstacks + 1) * sizeof *m->stack_ipx);
  if (!m->stack_ipx) {
    free(parents);
    return -1;
  }
  for (size_t i = 0; i < m->nstacks; i++) {
    long p = parents[i] ? find_i64(m->stack_ids, m->nstacks, parents[i]) : -1;
    m->stack_parent[i] = p >= 0 ? (uint32_t)p : NONE;
    m->stack_ipx[i] = (int32_t)find_ip(m, m->stack_ip[i]);
  }
  free(parents);
  return 0;
}

static int load_stats(mt__model *m, sqlite3 *db, int64_t pid) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db,
                         "SELECT stack_id, allocations, bytes_allocated, leaked_bytes, peak_bytes,"
                         " temporary_allocations FROM stack_stats WHERE process_id = ?1",
                         -1, &st, NULL) != SQLITE_OK)
    return -1;
  sqlite3_bind_int64(st, 1, pid);
  size_t c1 = 0, c2 = 0, c3 = 0;
  static const int column_of[MT__COST_N] = {[MT__COST_ALLOCS] = 1,
                                            [MT__COST_BYTES] = 2,
                                            [MT__COST_LEAKED] = 3,
                                            [MT__COST_PEAK] = 4,
                                            [MT__COST_TEMP] = 5};
  while (sqlite3_step(st) == SQLITE_ROW) {
    size_t n = m->nstats + 1;
    m->stat_stack = grow(m->stat_stack, &c1, n, sizeof *m->stat_stack);
    m->stat_id = grow(m->stat_id, &c2, n, sizeof *m->stat_id);
    m->stat_cost = grow(m->stat_cost, &c3, n, sizeof *m->stat_cost);
    if (!m->stat_stack || !m->stat_id || !m->stat_cost) break;
    int64_t id = sqlite3_column_int64(st, 0);
    long ix = find_i64(m->stack_ids, m->nstacks, id);
    m->stat_id[m->nstats] = id;
    m->stat_stack[m->nstats] = ix >= 0 ? (uint32_t)ix : NONE;
    for (int c = 0; c < MT__COST_N; c++)
      m->stat_cost[m->nstats][c] = (uint64_t)sqlite3_column_int64(st, column_of[c]);
    m->nstats++;
  }
  sqlite3_finalize(st);
  return 0;
}

/* Leaked weights as memtrace-report counts them: the heap leaks of stacks its built-in
 * suppressions match weigh nothing (the summary shows them apart). */
static void leave_out_suppressed_leaks(mt__model *m, sqlite3 *db, int64_t pid) {
  mt__leakset ls;
  if (mt__ui_leakset(db, pid, &ls) != 0) return;
  mt__u64map index; /* stack id -> stat */
  mt__u64map_init(&index);
  for (size_t i = 0; i < m->nstats; i++)
    if (mt__u64map_put(&index, (uint64_t)m->stat_id[i], i)) break;
  for (size_t g = 0; g < ls.n; g++) {
    const mt__leak_group *lg = &ls.groups[g];
    uint64_t *i = mt__ui_suppressed_heap(lg) ? mt__u64map_get(&index, lg->stack_id) : NULL;
    if (!i) continue;
    uint64_t *leaked = &m->stat_cost[*i][MT__COST_LEAKED];
    *leaked = *leaked > lg->bytes ? *leaked - lg->bytes : 0;
  }
  mt__u64map_free(&index);
  mt__leakset_free(&ls);
}

mt__model *mt__ui_model_load(sqlite3 *db, int64_t process_id, char *msg, size_t len) {
  mt__model *m = calloc(1, sizeof *m);
  if (!m) {
    snprintf(msg, len, "out of memory");
    return NULL;
  }
  mt__u64map_init(&m->str_index);
  m->unknown = intern(m, "[unknown stack]");
  if (load_modules(m, db, process_id) || load_frames(m, db, process_id) ||
      load_stacks(m, db, process_id) || load_stats(m, db, process_id)) {
    snprintf(msg, len, "cannot read stacks: %s", sqlite3_errmsg(db));
    mt__ui_model_free(m);
    return NULL;
  }
  leave_out_suppressed_leaks(m, db, process_id);
  return m;
}

void mt__ui_model_free(mt__model *m) {
  if (!m) return;
  for (uint32_t i = 0; i < m->nstrs; i++)
    free(m->strs[i]);
  free(m->strs);
  free(m->where);
  free(m->name);
  mt__u64map_free(&m->str_index);
  free(m->module_name);
  free(m->module_ids);
  free(m->ips);
  free(m->ip_first);
  free(m->ip_count);
  free(m->frames);
  free(m->stack_ids);
  free(m->stack_parent);
  free(m->stack_ip);
  free(m->stack_ipx);
  free(m->stat_stack);
  free(m->stat_id);
  free(m->stat_cost);
  free(m);
}

/* ---- paths ---- */

typedef struct {
  uint32_t *funcs; /* innermost first */
  size_t n, cap;
  uint8_t *match; /* per string id: contains the filter */
} path_buf;

static int push(path_buf *p, uint32_t func) {
  p->funcs = grow(p->funcs, &p->cap, p->n + 1, sizeof *p->funcs);
  if (!p->funcs) return -1;
  p->funcs[p->n++] = func;
  return 0;
}

/* Functions of a stat's stack, innermost first. @return 1 when a frame matches the filter. */
static int stat_path(mt__model *m, uint32_t stat, path_buf *p) {
  p->n = 0;
  int hit = !p->match;
  uint32_t s = m->stat_stack[stat];
  if (s == NONE) {
    push(p, m->unknown);
    return hit || p->match[m->unknown];
  }
  for (int guard = 0; s != NONE && guard < 65536; guard++, s = m->stack_parent[s]) {
    long ipx = m->stack_ipx[s];
    if (ipx < 0) {
      char hex[32];
      snprintf(hex, sizeof hex, "0x%" PRIx64, m->stack_ip[s]);
      uint32_t id = intern(m, hex);
      if (id == NONE || push(p, id)) return -1;
      continue;
    }
    for (uint32_t k = 0; k < m->ip_count[ipx]; k++) {
      const frame *f = &m->frames[m->ip_first[ipx] + k];
      if (push(p, f->func)) return -1;
      if (!hit && (p->match[f->func] || (f->file != NONE && p->match[f->file]) ||
                   (f->module != NONE && p->match[f->module])))
        hit = 1;
    }
  }
  return hit;
}

static int prepare_filter(mt__model *m, const char *filter, path_buf *p) {
  memset(p, 0, sizeof *p);
  if (!filter || !*filter) return 0;
  /* room for strings interned while walking (unresolved ips) */
  p->match = calloc(m->nstrs + m->nstacks + 16, 1);
  if (!p->match) return -1;
  for (uint32_t i = 0; i < m->nstrs; i++)
    p->match[i] = (uint8_t)mt__ui_contains(m->strs[i], filter);
  return 0;
}

/* ---- trees: built lazily, one level per expansion ---- */

static void init_node(mt__node *n, uint32_t func, uint32_t parent, int32_t depth) {
  memset(n, 0, sizeof *n);
  n->func = func;
  n->parent = parent;
  n->depth = depth;
  n->first_child = n->next_sibling = NONE;
  n->sorted_by = -1;
  for (int c = 0; c < MT__COST_N; c++)
    n->best[c] = NONE;
}

static void add_cost(mt__model *m, mt__node *n, uint32_t stat, int self) {
  const uint64_t *cost = m->stat_cost[stat];
  for (int c = 0; c < MT__COST_N; c++) {
    n->incl[c] += cost[c];
    if (self) n->self[c] += cost[c];
    if (cost[c] && (n->best[c] == NONE || cost[c] > m->stat_cost[n->best[c]][c])) n->best[c] = stat;
  }
}

static int add_stat(mt__node *n, uint32_t stat) {
  if (n->nstats == n->capstats) {
    uint32_t cap = n->capstats ? n->capstats * 2 : 4;
    uint32_t *ns = realloc(n->stats, cap * sizeof *ns);
    if (!ns) return -1;
    n->stats = ns;
    n->capstats = cap;
  }
  n->stats[n->nstats++] = stat;
  return 0;
}

int mt__ui_model_tree(mt__model *m, int bottom_up, const char *filter, mt__tree *out) {
  memset(out, 0, sizeof *out);
  out->bottom_up = bottom_up;
  path_buf p;
  if (prepare_filter(m, filter, &p)) return -1;
  out->nodes = malloc(64 * sizeof *out->nodes);
  if (!out->nodes) goto fail;
  out->capnodes = 64;
  init_node(&out->nodes[0], NONE, 0, -1);
  out->nnodes = 1;
  for (uint32_t s = 0; s < m->nstats; s++) {
    /* without a filter every stack counts and its path is only walked on expansion */
    int hit = p.match ? stat_path(m, s, &p) : 1;
    if (hit < 0) goto fail;
    if (!hit) continue;
    if (add_stat(&out->nodes[0], s)) goto fail;
    add_cost(m, &out->nodes[0], s, 0);
    out->nodes[0].has_children = 1;
  }
  for (int c = 0; c < MT__COST_N; c++)
    out->total[c] = out->nodes[0].incl[c];
  free(p.funcs);
  free(p.match);
  if (mt__ui_tree_expand(m, out, 0)) {
    mt__ui_tree_free(out);
    return -1;
  }
  out->nodes[0].expanded = 1;
  return 0;
fail:
  free(p.funcs);
  free(p.match);
  mt__ui_tree_free(out);
  return -1;
}

int mt__ui_tree_expand(mt__model *m, mt__tree *t, uint32_t node) {
  if (t->nodes[node].built) return 0;
  path_buf p;
  memset(&p, 0, sizeof p);
  mt__u64map children; /* function string id -> child node */
  mt__u64map_init(&children);
  int rc = -1;
  int32_t k = t->nodes[node].depth + 1;
  for (uint32_t i = 0; i < t->nodes[node].nstats; i++) {
    uint32_t s = t->nodes[node].stats[i];
    if (stat_path(m, s, &p) < 0) goto done;
    if ((size_t)k >= p.n) continue;
    uint32_t func = p.funcs[t->bottom_up ? (size_t)k : p.n - 1 - (size_t)k];
    uint64_t *known = mt__u64map_get(&children, func);
    uint32_t child = known ? (uint32_t)*known : NONE;
    if (child == NONE) {
      if (t->nnodes == t->capnodes) {
        mt__node *nn = realloc(t->nodes, 2 * t->capnodes * sizeof *nn);
        if (!nn) goto done;
        t->nodes = nn;
        t->capnodes *= 2;
      }
      child = t->nnodes++;
      init_node(&t->nodes[child], func, node, k);
      mt__node *pn = &t->nodes[node];
      t->nodes[child].next_sibling = pn->first_child;
      pn->first_child = child;
      pn->nchildren++;
      if (mt__u64map_put(&children, func, child)) goto done;
    }
    mt__node *c = &t->nodes[child];
    int last = (size_t)k + 1 == p.n;
    add_cost(m, c, s, t->bottom_up ? k == 0 : last);
    if (!last) {
      c->has_children = 1;
      if (add_stat(c, s)) goto done;
    }
  }
  /* the children hold the stacks now; this node keeps only its figures */
  free(t->nodes[node].stats);
  t->nodes[node].stats = NULL;
  t->nodes[node].nstats = t->nodes[node].capstats = 0;
  t->nodes[node].built = 1;
  rc = 0;
done:
  mt__u64map_free(&children);
  free(p.funcs);
  return rc;
}

void mt__ui_tree_free(mt__tree *t) {
  for (uint32_t i = 0; i < t->nnodes; i++)
    free(t->nodes[i].stats);
  free(t->nodes);
  memset(t, 0, sizeof *t);
}

static const mt__tree *sort_tree;
static int sort_cost;

static int by_cost(const void *a, const void *b) {
  const mt__node *x = &sort_tree->nodes[*(const uint32_t *)a];
  const mt__node *y = &sort_tree->nodes[*(const uint32_t *)b];
  if (x->incl[sort_cost] != y->incl[sort_cost])
    return x->incl[sort_cost] < y->incl[sort_cost] ? 1 : -1;
  if (x->incl[MT__COST_ALLOCS] != y->incl[MT__COST_ALLOCS])
    return x->incl[MT__COST_ALLOCS] < y->incl[MT__COST_ALLOCS] ? 1 : -1;
  return x->func < y->func ? -1 : x->func > y->func;
}

void mt__ui_tree_sort_children(mt__tree *t, uint32_t node, int cost) {
  mt__node *n = &t->nodes[node];
  if (n->sorted_by == cost || n->nchildren == 0) return;
  uint32_t *ids = malloc(n->nchildren * sizeof *ids);
  if (!ids) return;
  uint32_t k = 0;
  for (uint32_t c = n->first_child; c != NONE && k < n->nchildren; c = t->nodes[c].next_sibling)
    ids[k++] = c;
  sort_tree = t;
  sort_cost = cost;
  qsort(ids, k, sizeof *ids, by_cost);
  n->first_child = k ? ids[0] : NONE;
  for (uint32_t i = 0; i < k; i++)
    t->nodes[ids[i]].next_sibling = i + 1 < k ? ids[i + 1] : NONE;
  n->sorted_by = (int8_t)cost;
  free(ids);
}

/* ---- hotspots ---- */

long mt__ui_model_hotspots(mt__model *m, const char *filter, mt__hotspot **out) {
  *out = NULL;
  path_buf p;
  if (prepare_filter(m, filter, &p)) return -1;
  size_t cap = m->nstrs + 64;
  mt__hotspot *h = calloc(cap, sizeof *h);
  uint32_t *seen = calloc(cap, sizeof *seen);
  long n = -1;
  if (!h || !seen) goto done;
  for (uint32_t s = 0; s < m->nstats; s++) {
    int hit = stat_path(m, s, &p);
    if (hit < 0) goto done;
    if (!hit || p.n == 0) continue;
    if (m->nstrs > cap) { /* unresolved addresses interned new names */
      size_t ncap = m->nstrs * 2;
      mt__hotspot *nh = realloc(h, ncap * sizeof *nh);
      if (nh) h = nh;
      uint32_t *ns = nh ? realloc(seen, ncap * sizeof *ns) : NULL;
      if (!nh || !ns) goto done;
      seen = ns;
      memset(h + cap, 0, (ncap - cap) * sizeof *h);
      memset(seen + cap, 0, (ncap - cap) * sizeof *seen);
      cap = ncap;
    }
    for (size_t k = 0; k < p.n; k++) {
      uint32_t f = p.funcs[k];
      if (seen[f] == s + 1 && k > 0) continue; /* recursion: count each stack once */
      int first = seen[f] != s + 1;
      seen[f] = s + 1;
      mt__hotspot *e = &h[f];
      const uint64_t *cost = m->stat_cost[s];
      for (int c = 0; c < MT__COST_N; c++) {
        if (first) e->incl[c] += cost[c];
        if (k == 0) e->self[c] += cost[c];
        if (cost[c] && (!e->best[c] || cost[c] > m->stat_cost[e->best[c] - 1][c]))
          e->best[c] = s + 1;
      }
    }
  }
  /* compact to the functions seen, and make best a plain stat index */
  n = 0;
  for (uint32_t f = 0; f < m->nstrs && f < cap; f++) {
    if (!seen[f]) continue;
    h[n] = h[f];
    h[n].func = f;
    for (int c = 0; c < MT__COST_N; c++)
      h[n].best[c] = h[n].best[c] ? h[n].best[c] - 1 : NONE;
    n++;
  }
  *out = h;
  h = NULL;
done:
  free(h);
  free(seen);
  free(p.funcs);
  free(p.match);
  return n;
}
