/* SPDX-License-Identifier: MIT */
/* The reachability scan at exit, with valgrind memcheck's rules: roots are the writable
 * memory of the process that is neither malloc's heap nor the shim's own; a word pointing at
 * the start of a live block makes it reachable, one pointing inside it possibly lost; blocks
 * reached only from lost blocks are indirectly lost, the rest definitely lost. The writer
 * thread, idle by then, helps to scan the reachable blocks (see "Sharing"). */
#include "internal.h"

#include <dlfcn.h>
#include <sched.h>
#include <stdatomic.h>
#include <errno.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* Block states while scanning; the final state of a block is its mt_reach_kind. */
enum { UNREACHED = MT_REACH_DEFINITE, INDIRECT = MT_REACH_INDIRECT,
       POSSIBLE = MT_REACH_POSSIBLE, REACHABLE = MT_REACH_REACHABLE };

#define PAGE 4096u
#define WINDOW (64u * PAGE)       /* roots and large blocks are copied in windows this big */
#define DIRECT_MAX (64u * 1024u)  /* smaller blocks are read in place */
#define THREADS_MAX 4096
#define SHIM_RANGES_MAX 4096
#define ARENA_SIZE (64ull << 20)  /* glibc HEAP_MAX_SIZE on 64-bit: thread arenas are aligned */
#define FILE_MAPS_MAX 8192        /* file mappings remembered for the vtable test */
#define VTABLE_CACHE 4096

/* Blocks less than REGION_GAP apart form a region; a region is cut into equal buckets (a
 * power of two, one per block at most, so the table stays in cache) that give the first
 * block each bucket may hold: a lookup is a search among a few regions, then among the few
 * blocks of one bucket. A small cache by 4 KiB page goes first: pointers cluster. */
#define REGION_GAP (16u << 20)
#define PAGE_CACHE 16384
typedef struct {
  uintptr_t start, end;
  uint32_t bucket;        /* index of its first entry in S.bucket */
  uint32_t shift;         /* log2 of the bucket size */
} region;

/* A block and its bounds, so that a hit needs no read of the block array. */
typedef struct {
  uintptr_t start;
  uint32_t span;          /* extent, at most 4 GiB - 1 (a larger block misses past that) */
  uint32_t index;
} page_hint;

/* What the threads scanning at once share. Block states change by atomic operations only
 * (relaxed: a block's state is all that is decided about it). */
typedef struct {
  mt_live_block *b;       /* live blocks, by address */
  size_t n;
  uint64_t bytes;         /* their sizes' sum */
  uint8_t *state;
  uint8_t *vptr;          /* 1: the block starts with no vtable pointer, 2: with one */
  uint32_t *possible;     /* blocks made possibly lost, scanned once the reachable are done */
  size_t possible_top;
  uintptr_t lo, hi;       /* [first block, end of the last) */
  uint8_t *mem;           /* one mapping holds every array below */
  size_t mem_bytes;
  region *regions;        /* in a second mapping, with the buckets */
  size_t n_regions;
  uint32_t *bucket;
  void *index_mem;
  size_t index_bytes;
  mt_rec_scan sum;
  int ready;              /* results wait for writing */
} scan_state;

/* One thread's part: the exiting thread's, and the writer thread's while it helps. */
typedef struct {
  uint32_t *stack;        /* work list: blocks just made reachable (or indirect, tracing) */
  size_t top;
  page_hint *page_cache;  /* block last found in a page with these low bits */
  uint8_t *window;        /* copy buffer for roots and large blocks */
  /* the visitor of scanned words */
  int clique_mode;        /* 0: roots and reachable blocks; 1: tracing from a lost block */
  int prior_definite;     /* the words come from a root or a reachable block */
  int in_libc;            /* the words are libc's data, where malloc keeps its state */
  size_t clique;          /* leader of the current clique */
  uint64_t heap_bytes;    /* of the reachable and possibly lost blocks scanned */
  uintptr_t vtable_key[VTABLE_CACHE]; /* is_vtable's cache */
  uint8_t vtable_value[VTABLE_CACHE];
} scan_worker;

enum { EXITING, HELPER, WORKERS };
static scan_state S;
static scan_worker workers[WORKERS];
static mt_shim_range shim_ranges[SHIM_RANGES_MAX];
static size_t n_shim_ranges;
/* Readable file mappings, by address: where vtables and code can be (multipleinheritance). */
typedef struct {
  uintptr_t start, end;
  int executable;
} file_map;
static file_map file_maps[FILE_MAPS_MAX];
static size_t n_file_maps;
static uintptr_t stack_ptrs[THREADS_MAX];
static size_t n_stack_ptrs;
static _Atomic uint32_t exit_tid; /* thread that started the exit, and its stack pointer */
static uintptr_t exit_sp;

void mt__leak_scan_note_exit(uintptr_t sp) {
  uint32_t none = 0;
  if (atomic_compare_exchange_strong(&exit_tid, &none, mt__tid()))
    exit_sp = sp;
}

/* Blocks ------------------------------------------------------------------------------ */

/* LSD radix sort by address over the 48 bits of user addresses: 16 bits per pass, or 8 for
 * fewer blocks, where clearing and summing 65536 counts (512 KiB, three times) would cost a
 * short program more than its whole scan. @return the array holding the result (a or tmp). */
#define SMALL_SORT 4096
static mt_live_block *sort_blocks(mt_live_block *a, mt_live_block *tmp, size_t n, size_t *count) {
  const int bits = n < SMALL_SORT ? 8 : 16;
  const size_t digits = (size_t)1 << bits;
  for (int shift = 0; shift < 48; shift += bits) {
    memset(count, 0, digits * sizeof *count);
    for (size_t i = 0; i < n; i++)
      count[(a[i].addr >> shift) & (digits - 1)]++;
    size_t sum = 0;
    for (size_t d = 0; d < digits; d++) {
      size_t c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (size_t i = 0; i < n; i++)
      tmp[count[(a[i].addr >> shift) & (digits - 1)]++] = a[i];
    mt_live_block *t = a;
    a = tmp;
    tmp = t;
  }
  return a;
}

/* Index of the first block whose address is >= addr. */
static size_t lower_bound(uintptr_t addr) {
  size_t lo = 0, hi = S.n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (S.b[mid].addr < addr)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static inline uint64_t extent(size_t i) { return S.b[i].size ? S.b[i].size : 1; }

static inline uint8_t state_of(size_t i) { return __atomic_load_n(&S.state[i], __ATOMIC_RELAXED); }

/* Index of the block containing v (a zero-sized block contains its address), or -1. */
static inline long find_block(scan_worker *w, uintptr_t v) {
  if (v < S.lo || v >= S.hi)
    return -1;
  page_hint *hint = &w->page_cache[(v >> 12) & (PAGE_CACHE - 1)];
  if (v - hint->start < hint->span)
    return (long)hint->index;
  /* branch-free searches: the comparisons are unpredictable */
  const region *r = S.regions;
  for (size_t len = S.n_regions; len > 1; len -= len / 2)
    r = r[len / 2].start <= v ? r + len / 2 : r;
  if (v < r->start || v >= r->end)
    return -1;
  const uint32_t *f = S.bucket + r->bucket + ((v - r->start) >> r->shift);
  size_t first = f[0];
  size_t last = f[1] < S.n ? f[1] : S.n - 1; /* a block may start in the bucket, end after */
  const mt_live_block *b = S.b + first;
  for (size_t len = last - first + 1; len > 1; len -= len / 2)
    b = b[len / 2].addr <= v ? b + len / 2 : b;
  size_t i = (size_t)(b - S.b);
  if (v < b->addr || v - b->addr >= extent(i))
    return -1;
  uint64_t span = extent(i);
  *hint = (page_hint){b->addr, span < UINT32_MAX ? (uint32_t)span : UINT32_MAX, (uint32_t)i};
  return (long)i;
}

/* Buckets of the region of blocks [i0, i1): log2 of their size. */
static uint32_t region_shift(size_t i0, size_t i1, uintptr_t start, uintptr_t end) {
  uint32_t shift = 6;
  while (((end - start) >> shift) + 1 > i1 - i0)
    shift++;
  return shift;
}

/* Build the regions and their buckets (blocks sorted, S.lo and S.hi set). @return 0 or -1. */
static int build_index(void) {
  size_t nr = 0, nbuckets = 0;
  for (int pass = 0; pass < 2; pass++) {
    nr = nbuckets = 0;
    for (size_t i0 = 0; i0 < S.n;) {
      uintptr_t start = S.b[i0].addr, end = start + extent(i0);
      size_t i1 = i0 + 1;
      while (i1 < S.n && S.b[i1].addr - end < REGION_GAP)
        end = S.b[i1].addr + extent(i1), i1++;
      uint32_t shift = region_shift(i0, i1, start, end);
      size_t nb = ((end - start) >> shift) + 1;
      if (pass == 1) {
        S.regions[nr] = (region){start, end, (uint32_t)nbuckets, shift};
        uint32_t *f = S.bucket + nbuckets;
        size_t j = i0;
        for (size_t k = 0; k <= nb; k++) { /* entry nb closes the last bucket */
          uintptr_t bucket_start = start + ((uintptr_t)k << shift);
          while (j < i1 && S.b[j].addr + extent(j) <= bucket_start)
            j++;
          f[k] = (uint32_t)j;
        }
      }
      nr++;
      nbuckets += nb + 1;
      i0 = i1;
    }
    if (pass == 0) {
      S.index_bytes = nr * sizeof(region) + nbuckets * sizeof(uint32_t) + 1;
      S.index_mem = mt__os_alloc(S.index_bytes);
      if (!S.index_mem)
        return -1;
      S.regions = S.index_mem;
      S.bucket = (uint32_t *)(void *)(S.regions + nr);
    }
  }
  S.n_regions = nr;
  return 0;
}

static size_t safe_copy(void *dst, uintptr_t a, size_t len);

static const file_map *file_map_of(uintptr_t a) {
  size_t lo = 0, hi = n_file_maps;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (file_maps[mid].start <= a)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo && a < file_maps[lo - 1].end ? &file_maps[lo - 1] : NULL;
}

/* Whether a looks like a vtable: in a readable file mapping, and among its first 21 words
 * (up to the mapping's end) two non-null ones come before any that is not code. */
static int vtable_test(uintptr_t a) {
  const file_map *m = file_map_of(a);
  if (!m || (a & 7) || a < PAGE)
    return 0;
  uintptr_t w[21]; /* memcheck reads from a to a + 20 words, both included */
  size_t n = (m->end - a) / 8;
  n = safe_copy(w, a, (n < 21 ? n : 21) * 8) / 8;
  int fns = 0;
  for (size_t k = 0; k < n; k++) {
    if (!w[k])
      continue;
    const file_map *f = file_map_of(w[k]);
    if (!f || !f->executable)
      return 0;
    if (++fns == 2)
      return 1;
  }
  return 0;
}

/* vtable_test through a direct-mapped cache: objects share few vtables. */
static int is_vtable(scan_worker *w, uintptr_t a) {
  size_t h = (size_t)((a >> 3) * 0x9E3779B97F4A7C15ull >> 52) & (VTABLE_CACHE - 1);
  if (w->vtable_key[h] != a) {
    w->vtable_key[h] = a;
    w->vtable_value[h] = (uint8_t)vtable_test(a);
  }
  return w->vtable_value[h];
}

/* memcheck's default heuristics (--leak-check-heuristics=all): an interior pointer counts as
 * a start pointer when it points just past a std::string header (length <= capacity, block
 * = 24 + capacity + 1 bytes), at offset 8 after a count that divides the rest of the block
 * (new[] arrays, length64 prefixes), or at a second vtable pointer of an object whose first
 * word is a vtable pointer too (multiple inheritance). */
static int heuristic_start(scan_worker *w, size_t i, uintptr_t v) {
  const uint64_t *words = (const uint64_t *)S.b[i].addr;
  uint64_t size = S.b[i].size, off = v - S.b[i].addr;
  if (off == 24 && 24 + words[1] + 1 == size && words[0] <= words[1])
    return 1;
  if (off == 8 && words[0] > 0 && (size - 8) % words[0] == 0)
    return 1;
  if ((v & 7) || size - off < 8)
    return 0;
  uint8_t vptr = __atomic_load_n(&S.vptr[i], __ATOMIC_RELAXED);
  if (!vptr) { /* whether the block starts with a vtable pointer, tested once (or twice) */
    uintptr_t first = words[0];
    vptr = first >= PAGE && !(first & 7) && is_vtable(w, first) ? 2 : 1;
    __atomic_store_n(&S.vptr[i], vptr, __ATOMIC_RELAXED);
  }
  if (vptr != 2)
    return 0;
  uintptr_t inner = *(const uintptr_t *)v;
  return inner >= PAGE && !(inner & 7) && is_vtable(w, inner);
}

/* A pointer to the header of the chunk after block i (a pointer glibc keeps in main_arena:
 * top, bins), which lies inside a block whose size reaches into the next chunk's first word.
 * Only words of libc's own data are tested: a program seldom keeps such a pointer. */
static int next_chunk_header(size_t i, uintptr_t v) {
  uint64_t header = ((const uint64_t *)S.b[i].addr)[-1];
  if (header & 2) /* mmapped chunk: nothing follows */
    return 0;
  return v == S.b[i].addr + (header & ~(uint64_t)7) - 16;
}

/* One word found in memory being scanned (memcheck's lc_push_if_a_chunk_ptr). Whichever
 * thread changes a block's state queues it, so each block is queued once per state. */
static inline long visit(scan_worker *w, uintptr_t v) {
  long i = find_block(w, v);
  if (i < 0)
    return i;
  if (w->in_libc && v != S.b[i].addr && next_chunk_header((size_t)i, v))
    return i;
  uint8_t *st = &S.state[i];
  uint8_t now = state_of((size_t)i);
  if (w->clique_mode) { /* start and interior pointers alike join the clique (one thread) */
    if (now == UNREACHED && (size_t)i != w->clique) {
      __atomic_store_n(st, INDIRECT, __ATOMIC_RELAXED);
      w->stack[w->top++] = (uint32_t)i;
    }
    return i;
  }
  if (now == REACHABLE)
    return i;
  /* a heuristic only matters when the pointer comes from a root or a reachable block */
  if (w->prior_definite && (v == S.b[i].addr || heuristic_start(w, (size_t)i, v))) {
    if (__atomic_exchange_n(st, REACHABLE, __ATOMIC_RELAXED) != REACHABLE)
      w->stack[w->top++] = (uint32_t)i;
  } else if (now == UNREACHED) {
    uint8_t expected = UNREACHED;
    if (__atomic_compare_exchange_n(st, &expected, POSSIBLE, 0, __ATOMIC_RELAXED,
                                    __ATOMIC_RELAXED))
      S.possible[__atomic_fetch_add(&S.possible_top, 1, __ATOMIC_RELAXED)] = (uint32_t)i;
  }
  return i;
}

/* Words pointing into a reachable block change nothing, whatever the mode, and a block's
 * words often point into one block (objects carved out of one arena): the last reachable
 * block found is tested first, in registers. */
static void visit_words(scan_worker *w, const uintptr_t *words, size_t n) {
  const uintptr_t lo = S.lo, hi = S.hi;
  uintptr_t done_start = 0, done_span = 0;
  for (size_t k = 0; k < n; k++) {
    uintptr_t v = words[k];
    if (v - done_start < done_span || v < lo || v >= hi)
      continue;
    long i = visit(w, v);
    if (i >= 0 && state_of((size_t)i) == REACHABLE) { /* the page's hint is this block */
      const page_hint *h = &w->page_cache[(v >> 12) & (PAGE_CACHE - 1)];
      done_start = h->start;
      done_span = h->span;
    }
  }
}

/* Memory reading ---------------------------------------------------------------------- */

/* Copy [a, a+len) of our own memory without ever faulting. @return bytes copied (a prefix). */
static size_t safe_copy(void *dst, uintptr_t a, size_t len) {
  struct iovec local = {dst, len}, remote = {(void *)a, len};
  long r = syscall(SYS_process_vm_readv, (long)mt__os_getpid(), &local, 1L, &remote, 1L, 0L);
  return r > 0 ? (size_t)r : 0;
}

/* Scan the aligned words of [a, b) that lie in resident pages, copying them first. Pages
 * never touched hold zeros (memcheck counts them undefined); swapped-out pages are skipped
 * too. @return bytes read. */
static uint64_t scan_copied(scan_worker *w, uintptr_t a, uintptr_t b) {
  a = (a + 7) & ~(uintptr_t)7;
  b &= ~(uintptr_t)7;
  uint64_t read = 0;
  unsigned char vec[WINDOW / PAGE];
  while (a < b) {
    uintptr_t page = a & ~(uintptr_t)(PAGE - 1);
    uintptr_t wend = page + WINDOW < b ? page + WINDOW : b;
    int have_vec = syscall(SYS_mincore, page, wend - page, vec) == 0;
    while (a < wend) {
      size_t pi = (a - page) / PAGE;
      uintptr_t pend = page + (pi + 1) * PAGE;
      if (pend > wend)
        pend = wend;
      if (have_vec && !(vec[pi] & 1)) {
        a = pend;
        continue;
      }
      /* extend over following resident pages */
      while (pend < wend && (!have_vec || (vec[(pend - page) / PAGE] & 1)))
        pend = pend + PAGE < wend ? pend + PAGE : wend;
      size_t got = safe_copy(w->window, a, pend - a) & ~(size_t)7;
      visit_words(w, (const uintptr_t *)w->window, got / 8);
      read += got;
      a = got ? a + got : (a & ~(uintptr_t)(PAGE - 1)) + PAGE; /* unreadable: next page */
    }
  }
  return read;
}

/* Scan one live block. */
static void scan_block(scan_worker *w, size_t i) {
  uintptr_t a = S.b[i].addr;
  uint64_t len = S.b[i].size & ~(uint64_t)7;
  if (len < DIRECT_MAX && (a & 7) == 0) {
    visit_words(w, (const uintptr_t *)a, len / 8);
    if (!w->clique_mode)
      w->heap_bytes += len;
  } else {
    uint64_t got = scan_copied(w, a, a + S.b[i].size);
    if (!w->clique_mode)
      w->heap_bytes += got;
  }
}

/* Sharing ----------------------------------------------------------------------------- */

/* The blocks reachable from the roots are most of the scan (clang++ -fsyntax-only: 87 MB in
 * 37K blocks), and the other core is idle by then: the writer thread joins in. A thread whose
 * work list runs dry says it is hungry, and the other moves the older half of its list to a
 * pool. Each block is queued once, by the thread whose exchange made it reachable, so the
 * result does not depend on who scans what. The exiting thread opens the pool for the
 * reachable blocks only; the rest of the scan is short and runs on it alone. */
enum { PHASE_IDLE, PHASE_PREPARING, PHASE_OPEN, PHASE_CLOSED };
static struct {
  atomic_int phase;       /* PHASE_*: the writer waits while the scan is prepared */
  atomic_int lock;        /* guards what follows (a spin lock of its own: no fork gate) */
  uint32_t *items;        /* the pool */
  atomic_size_t n;        /* items in the pool; read without the lock to wait */
  atomic_int active;      /* threads with work or taking some; 0 and n 0: done */
  int threads;            /* threads in the pool's work, the exiting one included */
  atomic_int hungry;      /* a thread waits for work */
} share;

/* Waiting: spin a little, then let the other thread have the core (on a loaded machine it
 * may be waiting for one). */
static void relax(unsigned *spins) {
  if (++*spins < 256)
    __builtin_ia32_pause();
  else
    sched_yield();
}

static void share_lock(void) {
  int expected = 0;
  unsigned spins = 0;
  while (!atomic_compare_exchange_weak_explicit(&share.lock, &expected, 1, memory_order_acquire,
                                                memory_order_relaxed)) {
    expected = 0;
    relax(&spins);
  }
}

static void share_unlock(void) { atomic_store_explicit(&share.lock, 0, memory_order_release); }

/* Move the older half of w's list to the pool: blocks found first lead to the most. */
static void share_give(scan_worker *w) {
  share_lock();
  size_t half = w->top / 2, n = atomic_load_explicit(&share.n, memory_order_relaxed);
  memcpy(share.items + n, w->stack, half * sizeof *w->stack);
  memmove(w->stack, w->stack + half, (w->top - half) * sizeof *w->stack);
  w->top -= half;
  atomic_store_explicit(&share.n, n + half, memory_order_relaxed);
  atomic_store_explicit(&share.hungry, 0, memory_order_relaxed);
  share_unlock();
}

/* Take half the pool (lock held). @return 0 when it is empty. */
static int share_take_locked(scan_worker *w) {
  size_t n = atomic_load_explicit(&share.n, memory_order_relaxed);
  if (n == 0)
    return 0;
  size_t take = (n + 1) / 2;
  memcpy(w->stack + w->top, share.items + n - take, take * sizeof *w->stack);
  w->top += take;
  atomic_store_explicit(&share.n, n - take, memory_order_relaxed);
  return 1;
}

/* w's list is empty: take work from the pool, waiting while another thread has some.
 * @return 0 when no thread has work left (only working threads fill the pool). */
static int share_take(scan_worker *w) {
  if (atomic_load_explicit(&share.phase, memory_order_relaxed) != PHASE_OPEN)
    return 0;
  share_lock();
  int got = share_take_locked(w);
  if (!got) {
    atomic_fetch_sub_explicit(&share.active, 1, memory_order_relaxed);
    atomic_store_explicit(&share.hungry, 1, memory_order_relaxed);
  }
  share_unlock();
  unsigned spins = 0;
  while (!got) {
    if (atomic_load_explicit(&share.n, memory_order_relaxed) == 0 &&
        atomic_load_explicit(&share.active, memory_order_relaxed) > 0) {
      relax(&spins);
      continue;
    }
    share_lock();
    got = share_take_locked(w);
    int done = !got && atomic_load_explicit(&share.active, memory_order_relaxed) == 0;
    if (got)
      atomic_fetch_add_explicit(&share.active, 1, memory_order_relaxed);
    share_unlock();
    if (done)
      return 0;
  }
  return 1;
}

/* Scan every block on the work list, and from the pool while it is open: the reachable ones
 * (or, tracing, the clique). */
static void drain(scan_worker *w) {
  w->prior_definite = 1;
  do {
    while (w->top > 0) {
      if (w->top > 1 && atomic_load_explicit(&share.hungry, memory_order_relaxed))
        share_give(w);
      scan_block(w, w->stack[--w->top]);
    }
  } while (share_take(w));
}

/* The exiting thread's drain of the blocks reachable from the roots, with the writer's help
 * when it comes: unless they are few, when waking the writer would cost more than it saves. */
#define SHARE_MIN_BYTES (2u << 20)
static void drain_shared(scan_worker *w) {
  if (S.bytes < SHARE_MIN_BYTES) {
    atomic_store(&share.phase, PHASE_CLOSED);
    drain(w);
    return;
  }
  share_lock();
  atomic_store(&share.n, 0);
  atomic_store(&share.active, 1);
  atomic_store(&share.hungry, 0);
  share.threads = 1;
  atomic_store(&share.phase, PHASE_OPEN);
  share_unlock();
  mt__writer_wake();
  drain(w);
  share_lock();
  atomic_store(&share.phase, PHASE_CLOSED); /* no thread joins now */
  share_unlock();
  for (unsigned spins = 0;;) { /* a helper inside only learns that no work is left */
    share_lock();
    int others = share.threads - 1;
    share_unlock();
    if (!others)
      break;
    relax(&spins);
  }
  atomic_store(&share.hungry, 0); /* drain gives to the pool while it is set: not any more */
}

void mt__leak_scan_help(void) {
  /* the exit may not have reached the pool yet: the roots come first (a few ms) */
  for (int waited_us = 0; waited_us < 2000000; waited_us += 100) {
    int phase = atomic_load(&share.phase);
    if (phase == PHASE_OPEN)
      break;
    if (phase == PHASE_CLOSED || atomic_load(&mt__g.state) != MT_STATE_FINISHING)
      return;
    struct timespec pause = {0, 100000};
    nanosleep(&pause, NULL);
  }
  share_lock();
  int joined = atomic_load(&share.phase) == PHASE_OPEN;
  if (joined) {
    share.threads++;
    atomic_fetch_add(&share.active, 1); /* as if it had work: it takes some or waits */
  }
  share_unlock();
  if (!joined)
    return;
  drain(&workers[HELPER]);
  share_lock();
  share.threads--;
  share_unlock();
}


/* Once no more blocks can become reachable, scan the possibly lost ones. Deferring them
 * scans each block once: memcheck's order would scan one reached through an interior
 * pointer first as possible, then again when a start pointer makes it reachable. What they
 * reach can only be possibly lost too, so the result is the same. */
static void drain_possible(scan_worker *w) {
  w->prior_definite = 0;
  while (S.possible_top > 0) {
    size_t i = S.possible[--S.possible_top];
    if (state_of(i) == POSSIBLE)
      scan_block(w, i);
  }
}

/* Roots ------------------------------------------------------------------------------- */

/* Scan [a, b) as a root, leaving out the live blocks inside it (scanned only when reached)
 * and the shim's own mappings. */
static void scan_root(scan_worker *w, uintptr_t a, uintptr_t b) {
  w->clique_mode = 0;
  w->prior_definite = 1;
  for (size_t r = 0; r < n_shim_ranges && a < b; r++) {
    const mt_shim_range *x = &shim_ranges[r];
    if (x->end <= a || x->start >= b)
      continue;
    if (x->start > a)
      scan_root(w, a, x->start);
    a = x->end;
  }
  if (a >= b)
    return;
  size_t i = lower_bound(a);
  if (i > 0 && S.b[i - 1].addr + extent(i - 1) > a)
    i--;
  while (a < b) {
    uintptr_t gap_end = i < S.n && S.b[i].addr < b ? S.b[i].addr : b;
    if (gap_end > a)
      S.sum.root_bytes += scan_copied(w, a, gap_end);
    if (i >= S.n || S.b[i].addr >= b)
      break;
    uintptr_t block_end = S.b[i].addr + extent(i);
    if (block_end > a)
      a = block_end;
    i++;
  }
}

/* Start of a glibc thread-arena heap at a (its heap_info header), or 0: the mapping's
 * writable part holds exactly mprotect_size bytes and the heap's size fits in it. */
static uint64_t arena_heap_len(uintptr_t a, uintptr_t map_end) {
  uintptr_t h[4]; /* ar_ptr, prev, size, mprotect_size */
  if (safe_copy(h, a, sizeof h) != sizeof h)
    return 0;
  if (!h[0] || h[2] == 0 || h[2] > h[3] || h[3] > ARENA_SIZE || (h[3] & (PAGE - 1)) ||
      a + h[3] > map_end)
    return 0;
  return h[3];
}

/* Writable segments of the shim itself, found through the loader. */
typedef struct {
  uintptr_t self;
  uintptr_t seg[8][2];
  int n;
} self_segments;

static int find_self_segments(struct dl_phdr_info *info, size_t size, void *arg) {
  (void)size;
  self_segments *s = arg;
  int mine = 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
    if (ph->p_type == PT_LOAD && s->self >= lo && s->self < lo + ph->p_memsz)
      mine = 1;
  }
  if (!mine)
    return 0;
  for (int i = 0; i < info->dlpi_phnum && s->n < 8; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
      continue;
    uintptr_t at = info->dlpi_addr + ph->p_vaddr;
    uintptr_t lo = at & ~(uintptr_t)(PAGE - 1);
    uintptr_t hi = (at + ph->p_memsz + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
    s->seg[s->n][0] = lo;
    s->seg[s->n][1] = hi;
    s->n++;
  }
  return 1;
}

static int is_path(const mt_map *m, const char *s) {
  size_t n = strlen(s);
  return m->path_len == n && memcmp(m->path, s, n) == 0;
}

/* Device mappings are never read (memcheck skips them too), except /dev/zero. */
static int is_device(const mt_map *m) {
  return m->path_len > 5 && memcmp(m->path, "/dev/", 5) == 0 && !is_path(m, "/dev/zero") &&
         !(m->path_len > 9 && memcmp(m->path, "/dev/shm/", 9) == 0);
}

/* The lowest known stack pointer inside [a, b), or b when none. */
static uintptr_t stack_start(uintptr_t a, uintptr_t b) {
  uintptr_t s = b;
  for (size_t i = 0; i < n_stack_ptrs; i++)
    if (stack_ptrs[i] >= a && stack_ptrs[i] < b && stack_ptrs[i] < s)
      s = stack_ptrs[i];
  return s;
}

/* libc's own file, whose data segment (and the bss right after it) holds main_arena. */
static int is_libc(const mt_map *m) {
  static const char name[] = "/libc.so.6";
  size_t n = sizeof name - 1;
  return m->path_len >= n && memcmp(m->path + m->path_len - n, name, n) == 0;
}

static void scan_mapping(scan_worker *w, const mt_map *m) {
  static uintptr_t libc_end; /* end of libc's last mapping seen: its bss follows */
  int libc = is_libc(m);
  w->in_libc = libc || (!m->file && m->start == libc_end);
  if (libc)
    libc_end = m->end;
  if (!m->readable || !m->writable || is_path(m, "[heap]") || is_device(m))
    return;
  uintptr_t a = m->start, b = m->end;
  uintptr_t sp = stack_start(a, b);
  if (sp < b) { /* a thread's stack: only its used part, from the stack pointer up */
    scan_root(w, sp & ~(uintptr_t)7, b);
    return;
  }
  if (!m->file) { /* thread arenas start at aligned addresses */
    uintptr_t first = (a + ARENA_SIZE - 1) & ~(uintptr_t)(ARENA_SIZE - 1);
    for (uintptr_t h = first; h < b; h += ARENA_SIZE) {
      uint64_t len = arena_heap_len(h, b);
      if (!len)
        continue;
      if (h > a)
        scan_root(w, a, h);
      a = h + len;
    }
  }
  if (a < b)
    scan_root(w, a, b);
}

/* The scan ---------------------------------------------------------------------------- */

static void release(void) {
  if (S.mem)
    mt__os_free(S.mem, S.mem_bytes);
  if (S.index_mem)
    mt__os_free(S.index_mem, S.index_bytes);
  memset(&S, 0, sizeof S);
  memset(workers, 0, sizeof workers);
}

/* Snapshot and sort the live blocks; every array lives in one mapping (pages never touched,
 * such as the helper's when it does not come, cost nothing). @return 0 or -1. */
static int prepare(void) {
  size_t cap = mt__live_count() + 1024;
  size_t per_worker = WINDOW + PAGE_CACHE * sizeof(page_hint) + cap * sizeof(uint32_t);
  size_t bytes = WORKERS * per_worker + cap * sizeof(mt_live_block) * 2 /* blocks, sort
                 buffer */ + 65536 * sizeof(size_t) + cap * sizeof(uint32_t) * 2 /* pool,
                 possible: a block enters each list once at most */ + cap /* state */ +
                 cap /* vptr */;
  uint8_t *p = mt__os_alloc(bytes);
  if (!p)
    return -1;
  S.mem = p;
  S.mem_bytes = bytes;
  for (int k = 0; k < WORKERS; k++) { /* the windows first: aligned for the chunk */
    workers[k].window = p;
    p += WINDOW;
    workers[k].page_cache = (page_hint *)(void *)p;
    p += PAGE_CACHE * sizeof(page_hint);
    workers[k].stack = (uint32_t *)(void *)p;
    p += cap * sizeof(uint32_t);
  }
  mt_live_block *blocks = (mt_live_block *)(void *)p;
  p += cap * sizeof(mt_live_block);
  mt_live_block *tmp = (mt_live_block *)(void *)p;
  p += cap * sizeof(mt_live_block);
  size_t *count = (size_t *)(void *)p;
  p += 65536 * sizeof(size_t);
  share.items = (uint32_t *)(void *)p;
  p += cap * sizeof(uint32_t);
  S.possible = (uint32_t *)(void *)p;
  p += cap * sizeof(uint32_t);
  S.state = p;
  p += cap;
  S.vptr = p;
  S.n = mt__live_snapshot(blocks, cap);
  S.b = sort_blocks(blocks, tmp, S.n, count);
  for (size_t i = 0; i < S.n; i++) {
    uintptr_t end = S.b[i].addr + extent(i);
    if (end > S.hi)
      S.hi = end;
    S.bytes += S.b[i].size;
  }
  S.lo = S.n ? S.b[0].addr : 0;
  return build_index();
}

/* The shim's mappings and its own writable segments, sorted. @return 0 or -1 (unknown). */
static int collect_shim_ranges(void) {
  self_segments seg = {.self = (uintptr_t)&collect_shim_ranges};
  dl_iterate_phdr(find_self_segments, &seg);
  size_t n = mt__shim_map_copy(shim_ranges, SHIM_RANGES_MAX - 8);
  if (n == (size_t)-1)
    return -1;
  for (int i = 0; i < seg.n; i++) { /* insertion keeps the array sorted */
    size_t j = n++;
    for (; j > 0 && shim_ranges[j - 1].start > seg.seg[i][0]; j--)
      shim_ranges[j] = shim_ranges[j - 1];
    shim_ranges[j] = (mt_shim_range){seg.seg[i][0], seg.seg[i][1]};
  }
  n_shim_ranges = n;
  return 0;
}

/* Roots of the calling thread: its stack from where the program's exit began (registers
 * spilled there), or else from this frame up with the registers spilled here.
 * @return 0 or -1 when the roots could not be read. */
__attribute__((noinline)) static int scan_roots(scan_worker *w, uint32_t self) {
  __builtin_unwind_init(); /* callee-saved registers go to this frame */
  volatile uintptr_t here = 0; /* its address is this frame's stack pointer, about */
  int retries = 20;
  n_file_maps = 0;
  n_stack_ptrs = mt__task_stack_pointers(self, stack_ptrs, THREADS_MAX - 1, &retries);
  stack_ptrs[n_stack_ptrs++] = atomic_load(&exit_tid) == self ? exit_sp : (uintptr_t)&here;
  mt_maps maps;
  if (mt__maps_load(&maps) != 0)
    return -1;
  if (collect_shim_ranges() != 0) { /* after the load: its buffer is ours too */
    mt__maps_free(&maps);
    return -1;
  }
  mt_map m;
  while (mt__maps_next(&maps, &m)) /* first the file mappings, for the vtable test */
    if (m.file && m.readable && n_file_maps < FILE_MAPS_MAX)
      file_maps[n_file_maps++] = (file_map){m.start, m.end, m.executable};
  maps.pos = 0;
  while (mt__maps_next(&maps, &m))
    scan_mapping(w, &m);
  mt__maps_free(&maps);
  w->in_libc = 0;
  drain_shared(w);
  drain_possible(w);
  return 0;
}

/* @return 0, or -1 when there are no results (rather than wrong ones). */
static int scan(void) {
  scan_worker *w = &workers[EXITING];
  if (prepare() != 0)
    return -1;
  S.sum.time_ns = mt__time_ns();
  if (scan_roots(w, mt__tid()) != 0)
    return -1;
  /* Tracing from each block still unreached: what it reaches is indirectly lost. */
  w->clique_mode = 1;
  for (size_t i = 0; i < S.n; i++) {
    if (state_of(i) != UNREACHED)
      continue;
    w->clique = i;
    w->stack[w->top++] = (uint32_t)i;
    drain(w);
  }
  return 0;
}

void mt__leak_scan_run(int how) {
  if (how != MT_END_EXIT || !mt__g.opt.leak_scan || S.ready) {
    atomic_store(&share.phase, PHASE_CLOSED); /* the writer need not wait */
    return;
  }
  atomic_store(&share.phase, PHASE_PREPARING);
  int saved = errno;
  uint64_t t0 = mt__os_now_ns(CLOCK_MONOTONIC);
  int rc = scan();
  atomic_store(&share.phase, PHASE_CLOSED);
  if (rc != 0) {
    release();
    errno = saved;
    return;
  }
  S.sum.heap_bytes = workers[EXITING].heap_bytes + workers[HELPER].heap_bytes;
  S.sum.blocks = S.n;
  for (size_t i = 0; i < S.n; i++) {
    S.sum.kind_bytes[S.state[i]] += S.b[i].size;
    S.sum.kind_blocks[S.state[i]]++;
  }
  S.sum.seq = mt__seq_next();
  S.sum.duration_ns = mt__os_now_ns(CLOCK_MONOTONIC) - t0;
  S.ready = 1;
  errno = saved;
}

void mt__leak_scan_write_locked(void) {
  if (!S.ready)
    return;
  /* The copy window is free now: it holds the chunk. */
  mt_chunk c;
  uint32_t tid = mt__tid();
  mt_chunk_init(&c, workers[EXITING].window, MT_BUF_DATA_CAP, tid); /* the writer's size */
  mt_record r = {.type = MT_REC_SCAN};
  r.u.scan = S.sum;
  int ok = mt_chunk_put(&c, &r) == 0;
  for (size_t i = 0; ok && i < S.n; i++) {
    r.type = MT_REC_REACH;
    r.u.reach = (mt_rec_reach){S.b[i].addr, S.state[i]};
    if (mt_chunk_put(&c, &r) == MT_ENOSPC) {
      ok = mt__io_write_chunk(&c) == 0;
      mt_chunk_reset(&c, tid);
      ok = ok && mt_chunk_put(&c, &r) == 0;
    }
  }
  if (ok && !mt_chunk_empty(&c))
    mt__io_write_chunk(&c);
  release();
}

void mt__leak_scan_reset_after_fork(void) {
  atomic_store(&share.phase, PHASE_IDLE);
  atomic_store(&share.lock, 0);
}
