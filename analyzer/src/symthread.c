/* SPDX-License-Identifier: MIT */
/* Hand-over lists under one mutex; the worker resolves with the modules known so far. At the
 * end an address resolved before its module arrived is resolved again, and when module ranges
 * overlap (where the module of an address depends on every module) everything is resolved
 * again with a fresh symbolizer, as if the work had waited for the whole trace. */
#include "symthread.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "u64map.h"

/* A resolved address: its frames are frames[first .. first + count). */
typedef struct {
  uint64_t ip, module_id, offset;
  size_t first, count;
} resolved;

/* A frame; strings are offsets in text (NO_TEXT for none). */
typedef struct {
  size_t function, file;
  int line, inlined, resolved;
} stored_frame;

#define NO_TEXT SIZE_MAX
#define HANDOVER_IPS 256
/* Each stack node brings an ip to check (a million for clang++'s trace, some ten thousand
 * distinct): most are found in this L1-sized cache before the map. */
#define RECENT_BITS 10
#define RECENT_IPS (1u << RECENT_BITS)

struct mt__symthread {
  const mt__symopts *opts;
  pthread_t thread;
  int started;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  /* handed over, under lock */
  mt_rec_module *mods_in;  /* copies: path.data is owned */
  size_t nmods_in, capmods_in;
  uint64_t *ips_in;
  size_t nips_in, capips_in;
  int done, stop, failed;
  atomic_int idle;         /* the worker waits for work: new addresses go to it at once */
  /* reading thread only */
  mt__u64map seen;
  uint64_t recent[RECENT_IPS]; /* a direct-mapped cache of seen: nonzero ips only */
  uint64_t pending[HANDOVER_IPS];
  size_t npending;
  /* symbolizer thread only (reading thread after finish) */
  mt__symbolizer *sym;
  mt_rec_module *mods;     /* every module taken over, for a fresh symbolizer */
  size_t nmods, capmods;
  resolved *res;
  size_t nres, capres;
  stored_frame *frames;
  size_t nframes, capframes;
  char *text;
  size_t ntext, captext;
};

static int reserve(void **p, size_t *cap, size_t need, size_t size) {
  if (need <= *cap) return 0;
  size_t n = *cap ? *cap : 64;
  while (n < need) n *= 2;
  void *q = realloc(*p, n * size);
  if (!q) return -1;
  *p = q;
  *cap = n;
  return 0;
}

#define RESERVE(arr, cap, need) reserve((void **)&(arr), &(cap), (need), sizeof *(arr))

static size_t keep_text(mt__symthread *t, const char *s) {
  if (!s) return NO_TEXT;
  size_t n = strlen(s) + 1;
  if (RESERVE(t->text, t->captext, t->ntext + n)) return NO_TEXT - 1;
  memcpy(t->text + t->ntext, s, n);
  t->ntext += n;
  return t->ntext - n;
}

static int store_frame(void *ctx, const mt__symframe *f, int depth) {
  mt__symthread *t = ctx;
  (void)depth;
  if (RESERVE(t->frames, t->capframes, t->nframes + 1)) return -1;
  stored_frame *s = &t->frames[t->nframes];
  s->function = keep_text(t, f->function);
  s->file = keep_text(t, f->file);
  if (s->function == NO_TEXT - 1 || s->file == NO_TEXT - 1) return -1;
  s->line = f->line;
  s->inlined = f->inlined;
  s->resolved = f->resolved;
  t->nframes++;
  return 0;
}

/* Resolve r->ip, its frames appended. @return 0 or -1 (no memory). */
static int resolve(mt__symthread *t, resolved *r) {
  r->first = t->nframes;
  int rc = mt__sym_resolve(t->sym, r->ip, store_frame, t, &r->module_id, &r->offset);
  r->count = t->nframes - r->first;
  return rc ? -1 : 0;
}

static int resolve_new(mt__symthread *t, uint64_t ip) {
  if (RESERVE(t->res, t->capres, t->nres + 1)) return -1;
  t->res[t->nres] = (resolved){.ip = ip};
  return resolve(t, &t->res[t->nres++]);
}

/* Every address again with a symbolizer that knows every module from the start. */
static int resolve_all_again(mt__symthread *t) {
  mt__sym_destroy(t->sym);
  t->sym = NULL;
  if (mt__sym_create(&t->sym, t->opts)) return -1;
  for (size_t i = 0; i < t->nmods; i++)
    if (mt__sym_add_module(t->sym, &t->mods[i])) return -1;
  t->nframes = t->ntext = 0;
  for (size_t i = 0; i < t->nres; i++) mt__sym_prefetch(t->sym, t->res[i].ip);
  for (size_t i = 0; i < t->nres; i++)
    if (resolve(t, &t->res[i])) return -1;
  return 0;
}

/* Addresses resolved before the module holding them was known. */
static int resolve_late_modules(mt__symthread *t) {
  if (mt__sym_modules_overlap(t->sym)) return resolve_all_again(t);
  for (size_t i = 0; i < t->nres; i++)
    if (t->res[i].module_id == 0 && mt__sym_module_at(t->sym, t->res[i].ip) != 0 && resolve(t, &t->res[i]))
      return -1;
  return 0;
}

static void *work(void *arg) {
  mt__symthread *t = arg;
  uint64_t *ips = NULL;
  size_t capips = 0;
  int failed = 0, stopped = 0;
  for (;;) {
    pthread_mutex_lock(&t->lock);
    while (!t->nmods_in && !t->nips_in && !t->done) {
      atomic_store_explicit(&t->idle, 1, memory_order_relaxed);
      pthread_cond_wait(&t->wake, &t->lock);
    }
    atomic_store_explicit(&t->idle, 0, memory_order_relaxed);
    int last = t->done, stop = t->stop;
    /* take the modules (appended to ours) and swap the address lists */
    if (!failed && RESERVE(t->mods, t->capmods, t->nmods + t->nmods_in)) failed = 1;
    size_t first_mod = t->nmods;
    if (!failed && t->nmods_in) {
      memcpy(t->mods + t->nmods, t->mods_in, t->nmods_in * sizeof *t->mods);
      t->nmods += t->nmods_in;
    } else if (failed) {
      for (size_t i = 0; i < t->nmods_in; i++) free((char *)t->mods_in[i].path.data);
    }
    t->nmods_in = 0;
    uint64_t *taken = t->ips_in;
    size_t ntaken = t->nips_in, captaken = t->capips_in;
    t->ips_in = ips;
    t->capips_in = capips;
    t->nips_in = 0;
    ips = taken;
    capips = captaken;
    pthread_mutex_unlock(&t->lock);
    if (stop) {
      stopped = 1;
      break;
    }
    for (size_t i = first_mod; !failed && i < t->nmods; i++)
      if (mt__sym_add_module(t->sym, &t->mods[i])) failed = 1;
    for (size_t i = 0; !failed && i < ntaken; i++) mt__sym_prefetch(t->sym, ips[i]);
    for (size_t i = 0; !failed && i < ntaken; i++)
      if (resolve_new(t, ips[i])) failed = 1;
    if (last) break;
  }
  if (!failed && !stopped && resolve_late_modules(t)) failed = 1;
  free(ips);
  pthread_mutex_lock(&t->lock);
  t->failed = failed;
  pthread_mutex_unlock(&t->lock);
  return NULL;
}

int mt__symthread_start(mt__symthread **out, const mt__symopts *o, mt__err *e) {
  mt__symthread *t = calloc(1, sizeof *t);
  if (!t) return mt__fail(e, "out of memory");
  t->opts = o;
  mt__u64map_init(&t->seen);
  pthread_mutex_init(&t->lock, NULL);
  pthread_cond_init(&t->wake, NULL);
  if (mt__sym_create(&t->sym, o)) {
    mt__symthread_free(t);
    return mt__fail(e, "out of memory");
  }
  if (pthread_create(&t->thread, NULL, work, t) != 0) {
    mt__symthread_free(t);
    return mt__fail(e, "cannot start the symbolizer thread");
  }
  t->started = 1;
  *out = t;
  return 0;
}

/* Move the pending addresses to the hand-over list; the caller holds the lock. */
static int hand_over_ips(mt__symthread *t) {
  if (t->npending == 0) return 0;
  if (RESERVE(t->ips_in, t->capips_in, t->nips_in + t->npending)) return -1;
  memcpy(t->ips_in + t->nips_in, t->pending, t->npending * sizeof *t->pending);
  t->nips_in += t->npending;
  t->npending = 0;
  return 0;
}

int mt__symthread_add_ip(mt__symthread *t, uint64_t ip) {
  uint64_t *recent = &t->recent[(ip * 0x9E3779B97F4A7C15ULL) >> (64 - RECENT_BITS)];
  if (*recent == ip && ip) return 0;
  if (mt__u64map_get(&t->seen, ip)) {
    *recent = ip;
    return 0;
  }
  if (mt__u64map_put(&t->seen, ip, 0)) return -1;
  *recent = ip;
  t->pending[t->npending++] = ip;
  /* Batches spare the lock, but a trace with few distinct addresses (an allocation storm)
   * never filled one, and all its symbols were looked up after the reading. */
  if (t->npending < HANDOVER_IPS && !atomic_load_explicit(&t->idle, memory_order_relaxed)) return 0;
  pthread_mutex_lock(&t->lock);
  int rc = hand_over_ips(t);
  pthread_cond_signal(&t->wake);
  pthread_mutex_unlock(&t->lock);
  return rc;
}

int mt__symthread_add_module(mt__symthread *t, const mt_rec_module *m) {
  mt_rec_module copy = *m;
  char *path = malloc(m->path.len + 1);
  if (!path) return -1;
  if (m->path.len) memcpy(path, m->path.data, m->path.len);
  path[m->path.len] = 0;
  copy.path.data = path;
  pthread_mutex_lock(&t->lock);
  /* the addresses seen so far go first, as they came */
  int rc = hand_over_ips(t) || RESERVE(t->mods_in, t->capmods_in, t->nmods_in + 1) ? -1 : 0;
  if (rc == 0) t->mods_in[t->nmods_in++] = copy;
  pthread_cond_signal(&t->wake);
  pthread_mutex_unlock(&t->lock);
  if (rc) free(path);
  return rc;
}

/* Tell the thread to end (stop: without finishing its work) and wait for it. */
static void end_thread(mt__symthread *t, int stop) {
  if (!t->started) return;
  pthread_mutex_lock(&t->lock);
  t->done = 1;
  t->stop = stop;
  pthread_cond_signal(&t->wake);
  pthread_mutex_unlock(&t->lock);
  pthread_join(t->thread, NULL);
  t->started = 0;
}

int mt__symthread_finish(mt__symthread *t, mt__err *e) {
  pthread_mutex_lock(&t->lock);
  int rc = hand_over_ips(t);
  pthread_mutex_unlock(&t->lock);
  end_thread(t, rc != 0);
  return rc || t->failed ? mt__fail(e, "out of memory while symbolizing") : 0;
}

static int by_ip(const void *x, const void *y) {
  const resolved *a = *(const resolved *const *)x, *b = *(const resolved *const *)y;
  return (a->ip > b->ip) - (a->ip < b->ip);
}

int mt__symthread_frames(mt__symthread *t, mt__symthread_cb cb, void *ctx) {
  /* In address order, the order of the frames table's key: rows then land at its end, not
   * all over it. Only for speed: without memory for the order, as they were resolved. */
  const resolved **order = malloc((t->nres ? t->nres : 1) * sizeof *order);
  if (order) {
    for (size_t i = 0; i < t->nres; i++) order[i] = &t->res[i];
    qsort(order, t->nres, sizeof *order, by_ip);
  }
  int rc = 0;
  for (size_t i = 0; i < t->nres && rc == 0; i++) {
    const resolved *r = order ? order[i] : &t->res[i];
    for (size_t k = 0; k < r->count && rc == 0; k++) {
      const stored_frame *s = &t->frames[r->first + k];
      mt__symframe f = {.function = t->text + s->function,
                        .file = s->file == NO_TEXT ? NULL : t->text + s->file,
                        .line = s->line, .inlined = s->inlined, .resolved = s->resolved};
      rc = cb(ctx, r->ip, r->module_id, r->offset, &f, (int)k);
    }
  }
  free(order);
  return rc;
}

const char *mt__symthread_module_file(mt__symthread *t, uint64_t module_id) {
  return mt__sym_module_file(t->sym, module_id);
}

void mt__symthread_free(mt__symthread *t) {
  if (!t) return;
  end_thread(t, 1);
  mt__sym_destroy(t->sym);
  for (size_t i = 0; i < t->nmods_in; i++) free((char *)t->mods_in[i].path.data);
  for (size_t i = 0; i < t->nmods; i++) free((char *)t->mods[i].path.data);
  free(t->mods_in);
  free(t->mods);
  free(t->ips_in);
  free(t->res);
  free(t->frames);
  free(t->text);
  mt__u64map_free(&t->seen);
  pthread_mutex_destroy(&t->lock);
  pthread_cond_destroy(&t->wake);
  free(t);
}
