/* SPDX-License-Identifier: MIT */
/* Heap events that happen before our constructor runs. The loader initialises an LD_PRELOAD
 * library after every other dependency of the program, so the static constructors of those
 * libraries (libstdc++'s emergency pool, LLVM's option registry) allocate before the trace
 * exists. Starting the recorder from inside such a call is not safe in every case (a writer
 * thread, files and environment changes from inside another library's constructor, or from
 * the loader itself), so the hooks only log these events here: address, size and the call
 * stack, into memory straight from the kernel, under one lock. The constructor replays the
 * log into the new trace (mt__early_replay), as if the events had just happened, and only
 * then lets the hooks record directly, so a free of an early block finds it in the live
 * table. The log's lock is a leaf: nothing else is taken while holding it. Nothing here
 * allocates or reads the environment; the unwinder runs before the lock is taken. */
#include "internal.h"

#include <elf.h>
#include <link.h>

#define SEGMENT_SIZE (1u << 20) /* reserved (MAP_NORESERVE): only the pages used count */
#define SEGMENTS_MAX 256        /* a constructor that never returns must not eat memory */

enum { EARLY_ALLOC = 1, EARLY_FREE, EARLY_REALLOC };

typedef struct {
  uint8_t op;    /* EARLY_* */
  uint8_t kind;  /* MT_ALLOC_* */
  uint16_t n;    /* frames in ips */
  uint32_t pad_;
  uintptr_t p;   /* the block (the old block of a realloc) */
  uintptr_t q;   /* the new block of a realloc */
  uint64_t size;
  uintptr_t ips[];
} early_event;

typedef struct segment {
  struct segment *next;
  size_t used;
  _Alignas(16) unsigned char data[];
} segment;

#define SEGMENT_DATA (SEGMENT_SIZE - sizeof(segment))

static mt_lock early_lock;
static segment *first, *last;
static int closed; /* under early_lock: the constructor has replayed or discarded the log */
static atomic_int self_known;
static unsigned nsegments;

/* Our own code range, for the unwinder to drop the shim's frames. modules.c finds it at the
 * first module scan; before that, read our program headers through __ehdr_start (no library
 * call, no loader lock). */
extern const ElfW(Ehdr) __ehdr_start __attribute__((visibility("hidden")));

static void find_self_code(void) {
  const ElfW(Ehdr) *eh = &__ehdr_start;
  const ElfW(Phdr) *ph = (const ElfW(Phdr) *)((const char *)eh + eh->e_phoff);
  uintptr_t bias = 0;
  int have_bias = 0;
  for (int i = 0; i < eh->e_phnum; i++) {
    if (ph[i].p_type != PT_LOAD)
      continue;
    if (!have_bias) { /* the first PT_LOAD maps the ELF header */
      bias = (uintptr_t)eh - (ph[i].p_vaddr - ph[i].p_offset);
      have_bias = 1;
    }
    uintptr_t start = bias + ph[i].p_vaddr;
    uintptr_t self = (uintptr_t)&find_self_code;
    if ((ph[i].p_flags & PF_X) && self >= start && self < start + ph[i].p_memsz)
      mt__unwind_set_self(start, start + ph[i].p_memsz);
  }
  atomic_store_explicit(&self_known, 1, memory_order_release); /* same values in any race */
}

/* Room for `bytes` at the end of the log; NULL when out of memory or past SEGMENTS_MAX. */
static early_event *reserve(size_t bytes) {
  if (!last || last->used + bytes > SEGMENT_DATA) {
    if (nsegments >= SEGMENTS_MAX)
      return NULL;
    nsegments++;
    segment *s = mt__os_reserve(SEGMENT_SIZE);
    if (!s)
      return NULL;
    if (last)
      last->next = s;
    else
      first = s;
    last = s;
  }
  early_event *e = (early_event *)(last->data + last->used);
  last->used += bytes;
  return e;
}

/* Log one event. @return 0, or -1 when the log is closed (the recorder runs now: the caller
 * records the event the ordinary way). with_stack: ALLOC and REALLOC carry their stack. */
static int log_event(int op, int kind, void *p, void *q, uint64_t size, int with_stack) {
  uintptr_t ips[MT_DEPTH_MAX]; /* the depth option is not read yet: cut at replay */
  int n = 0;
  mt__tls.guard++; /* whatever the unwinder allocates passes through unrecorded */
  if (with_stack) { /* before the lock, which stays a leaf (the unwinder takes the loader's) */
    if (mt_unlikely(!atomic_load_explicit(&self_known, memory_order_acquire)))
      find_self_code();
    n = mt__unwind(ips, MT_DEPTH_MAX, NULL);
    if (n < 0)
      n = 0;
  }
  mt__lock(&early_lock);
  int rc = -1;
  if (!closed) {
    early_event *e = reserve(sizeof(early_event) + (size_t)n * sizeof(uintptr_t));
    if (e) {
      e->op = (uint8_t)op;
      e->kind = (uint8_t)kind;
      e->n = (uint16_t)n;
      e->p = (uintptr_t)p;
      e->q = (uintptr_t)q;
      e->size = size;
      for (int i = 0; i < n; i++)
        e->ips[i] = ips[i];
    }
    rc = 0; /* no room: the event is lost, as it was before early logging existed */
  }
  mt__unlock(&early_lock);
  mt__tls.guard--;
  return rc;
}

void mt__early_alloc(int kind, void *p, uint64_t size) {
  if (log_event(EARLY_ALLOC, kind, p, NULL, size, 1) != 0 && mt__recording())
    mt__record_alloc(kind, p, size);
}

void mt__early_free(void *p) {
  if (log_event(EARLY_FREE, 0, p, NULL, 0, 0) != 0 && mt__tracking())
    mt__record_free(p);
}

void mt__early_realloc(int kind, void *old, void *q, uint64_t size) {
  if (log_event(EARLY_REALLOC, kind, old, q, size, 1) == 0 || !mt__tracking())
    return;
  /* The log closed while the real realloc ran: old may be in the live table by now. */
  mt__tls.guard++;
  uint64_t old_size = 0;
  int known = mt__live_remove((uintptr_t)old, &old_size);
  mt__tls.guard--;
  mt__record_realloc(kind, old, known, old_size, q, size);
}

/* Give a detached list of segments back. */
static void release(segment *list) {
  for (segment *s = list, *next; s; s = next) {
    next = s->next;
    mt__os_free(s, SEGMENT_SIZE);
  }
}

/* Detach the whole log (under early_lock). */
static segment *detach(void) {
  segment *list = first;
  first = last = NULL;
  nsegments = 0;
  return list;
}

static void replay_list(const segment *list) {
  int depth = mt__g.opt.depth;
  for (const segment *s = list; s; s = s->next) {
    for (size_t at = 0; at < s->used;) {
      const early_event *e = (const early_event *)(s->data + at);
      at += sizeof(early_event) + (size_t)e->n * sizeof(uintptr_t);
      int n = e->n < depth ? e->n : depth; /* innermost first: as if unwound to `depth` */
      switch (e->op) {
      case EARLY_ALLOC:
        mt__record_replayed(e->kind, 0, e->p, e->size, e->ips, n);
        break;
      case EARLY_FREE:
        mt__record_free((void *)e->p);
        break;
      case EARLY_REALLOC:
        mt__record_replayed(e->kind, e->p, e->q, e->size, e->ips, n);
        break;
      default:
        break;
      }
    }
  }
}

/* The replay itself runs without the lock (recording takes the loader's lock, which a
 * logging thread may hold): other threads keep appending meanwhile, and the next round
 * replays what they added. Once the log is found empty, under the lock, it is closed and
 * the state becomes RUNNING: a thread that logs after that records directly, so every event
 * is recorded once, in the order the log had. */
void mt__early_replay(int replay) {
  mt__tls.guard++;
  for (;;) {
    mt__lock(&early_lock);
    segment *list = detach();
    if (!list) {
      closed = 1;
      atomic_store(&mt__g.state, MT_STATE_RUNNING);
      mt__unlock(&early_lock);
      break;
    }
    mt__unlock(&early_lock);
    if (replay)
      replay_list(list);
    release(list);
  }
  mt__tls.guard--;
}

void mt__early_discard(void) {
  mt__tls.guard++;
  mt__lock(&early_lock);
  segment *list = detach();
  closed = 1;
  mt__unlock(&early_lock);
  release(list);
  mt__tls.guard--;
}
