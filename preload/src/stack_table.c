/* SPDX-License-Identifier: MIT */
/* Call stack deduplication. Stacks form a prefix tree rooted at the outermost frame; node
 * ids count from 1. A lock-free hash table maps the 64-bit hash of a prefix to a node for
 * it, but only for whole stacks (the ids events carry) and for checkpoints, the prefixes
 * of CHECKPOINT, 2*CHECKPOINT... frames: a stack seen before costs one probe, and a new one
 * finds its longest known checkpoint by binary search (a checkpoint's own checkpoints are
 * known) and creates the rest of its nodes under a lock. Interior nodes between checkpoints
 * are not looked up, so a prefix may get more than one node (the analyzer reads the tree
 * by frames, and each whole stack still has one id). Indexing every node instead made the
 * table 24 MiB on clang++ (1.06M nodes), and its random probes and inserts, and what they
 * evicted of the program's data, cost more than the ~12% more nodes written now.
 * Each thread keeps its previous stack with its prefix hashes and the nodes it knows for
 * them, so hashing starts at the block of the first frame that differs, and a stack sharing
 * callers with the previous one starts from the deepest shared node. New nodes are written
 * as STACK records into the creating thread's chunk, before the event that uses them. The
 * table keeps keys and 32-bit ids in two arrays (12 bytes a slot; a probe reads only keys)
 * in mmap'd memory and doubles when 3/4 full; an old table stays mapped for late readers but
 * its pages go back to the kernel (they read as empty).
 * Two different prefixes with the same 64-bit hash would be merged (odds ~1e-8 for a
 * million nodes). */
#include "internal.h"

#include <string.h>

#define K1 0x9E3779B97F4A7C15ull
#define K2 0xC2B2AE3D27D4EB4Full
#define TABLE_INITIAL (1u << 14)
#define SEED 0x243F6A8885A308D3ull
#define CHECKPOINT 8 /* prefixes of 8, 16, 24... frames are in the table */

#define HEADER 4096u /* the slots start on their own page, so all of them can be released */

typedef struct node_table {
  struct node_table *older;
  size_t mask, count, bytes;
  size_t released; /* bytes given back with mt__os_release (no longer in shim_bytes) */
  _Atomic uint64_t *key; /* prefix hash, never 0; published after its id */
  uint32_t *id;          /* node ids; 0 reads as a miss (a released table) */
} node_table;

mt_lock mt__stack_lock;
static _Atomic(node_table *) nodes;
static uint64_t next_id = 1;

/* Prefix hashes go CHECKPOINT frames at a time: each frame of a block is mixed with a
 * constant of its position, independently of the others, and only the block's sum is
 * chained to the hash before it. A chain through every frame cost ~12 cycles a frame
 * (clang++ hashes 7M frames: 1.3% of its time); these multiplies overlap. A prefix ending
 * inside a block sums its frames so far, with their number. Only the hashes of checkpoints
 * and of whole stacks are ever used. */
static const uint64_t FRAME_K[CHECKPOINT] = {
    0x9E3779B97F4A7C15ull, 0xC2B2AE3D27D4EB4Full, 0x165667B19E3779F9ull, 0xD6E8FEB86659FD93ull,
    0xFF51AFD7ED558CCDull, 0xC4CEB9FE1A85EC53ull, 0x27D4EB2F165667C5ull, 0x94D049BB133111EBull};

/* The hash of the prefix ending with frames f[0..len-1] (len <= CHECKPOINT), after `prev`. */
static inline uint64_t block_hash(uint64_t prev, const uintptr_t *f, int len) {
  uint64_t sum = (uint64_t)len;
  for (int i = 0; i < len; i++) {
    uint64_t x = (uint64_t)f[i] * FRAME_K[i];
    sum += x ^ (x >> 32);
  }
  uint64_t h = prev ^ sum;
  h ^= h >> 33;
  h *= K1;
  h ^= h >> 29;
  h *= K2;
  h ^= h >> 32;
  return h ? h : 1;
}

static uint64_t find_in(const node_table *t, uint64_t key) {
  for (size_t i = key & t->mask;; i = (i + 1) & t->mask) {
    uint64_t k = atomic_load_explicit(&t->key[i], memory_order_acquire);
    if (k == key)
      return t->id[i];
    if (!k)
      return 0;
  }
}

/* Ask for the home slot's key (and id) before probing: a large table is not in cache. */
static inline void prefetch_slot(const node_table *t, uint64_t key, int with_id) {
  __builtin_prefetch(&t->key[key & t->mask]);
  if (with_id)
    __builtin_prefetch(&t->id[key & t->mask]);
}

static node_table *table_new(size_t cap) {
  size_t bytes = HEADER + cap * (sizeof(uint64_t) + sizeof(uint32_t));
  node_table *t = mt__os_reserve(bytes);
  if (t) {
    t->mask = cap - 1;
    t->bytes = bytes;
    t->key = (_Atomic uint64_t *)(void *)((char *)t + HEADER);
    t->id = (uint32_t *)(void *)(t->key + cap);
  }
  return t;
}

static void put_in(node_table *t, uint64_t key, uint32_t id) {
  size_t i = key & t->mask;
  while (atomic_load_explicit(&t->key[i], memory_order_relaxed))
    i = (i + 1) & t->mask;
  t->id[i] = id;
  atomic_store_explicit(&t->key[i], key, memory_order_release);
  t->count++;
}

static int fits(const node_table *t, size_t num, size_t den) {
  return (t->count + 1) * den <= (t->mask + 1) * num;
}

/* Under the lock: a table with room for one more node, or NULL. */
static node_table *reserve_one(void) {
  node_table *t = atomic_load_explicit(&nodes, memory_order_relaxed);
  if (!t) {
    t = table_new(TABLE_INITIAL);
    atomic_store_explicit(&nodes, t, memory_order_release);
    return t;
  }
  if (fits(t, 3, 4)) /* linear probing stays short up to 3/4 */
    return t;
  node_table *bigger = table_new((t->mask + 1) * 2);
  if (!bigger)
    return fits(t, 7, 8) ? t : NULL;
  /* the copy below reaches every page: map them all at once */
  mt__os_populate((char *)bigger + HEADER, bigger->bytes - HEADER);
  for (size_t i = 0; i <= t->mask; i++) {
    uint64_t k = atomic_load_explicit(&t->key[i], memory_order_relaxed);
    if (k)
      put_in(bigger, k, t->id[i]);
  }
  bigger->older = t;
  atomic_store_explicit(&nodes, bigger, memory_order_release);
  /* Readers still in the old table see empty slots (or id 0) from now on: a miss, then the
   * lock. The header page keeps `older` and `bytes` for the fork reset. */
  mt__os_release((char *)t + HEADER, t->bytes - HEADER);
  t->released = ((t->bytes + 4095) & ~(size_t)4095) - HEADER;
  return bigger;
}

static inline int is_checkpoint(int k) { return (k + 1) % CHECKPOINT == 0; }

/* Under the lock: create the nodes for prefixes known+1 .. n-1 under node `parent` (the
 * prefix ending at frame `known`, 0 for the root); @return the innermost id (0 when out of
 * memory). */
static uint64_t create(mt_tbuf *tb, mt_stack_memo *memo, int known, uint64_t parent) {
  mt_rec_stack made[memo->n - known];
  int nmade = 0;
  mt__lock(&mt__stack_lock);
  node_table *t = atomic_load_explicit(&nodes, memory_order_relaxed);
  uint64_t id = t ? find_in(t, memo->hash[memo->n - 1]) : 0;
  if (id) { /* another thread made it meanwhile */
    mt__unlock(&mt__stack_lock);
    return id;
  }
  for (int k = known + 1; k < memo->n; k++) {
    if (next_id > UINT32_MAX) {
      parent = 0;
      break;
    }
    id = next_id++;
    if (is_checkpoint(k) || k == memo->n - 1) {
      t = atomic_load_explicit(&nodes, memory_order_relaxed);
      if (!t || !find_in(t, memo->hash[k])) {
        t = reserve_one();
        if (!t) {
          parent = 0;
          break;
        }
        put_in(t, memo->hash[k], (uint32_t)id);
      }
    }
    made[nmade++] = (mt_rec_stack){id, parent, memo->ips[k]};
    memo->id[k] = (uint32_t)id;
    parent = id;
  }
  mt__unlock(&mt__stack_lock);
  if (nmade) {
    mt_record r; /* not cleared: 1.1 KiB (the union's largest member), see record.c */
    r.type = MT_REC_STACK;
    mt__lock(&tb->lock);
    for (int i = 0; i < nmade; i++) {
      r.u.stack = made[i];
      mt__tbuf_put_locked(tb, &r);
    }
    mt__unlock(&tb->lock);
    mt__modules_scan(tb, 0); /* new code was reached: maybe from a library just loaded */
  }
  return parent;
}

/* The deepest checkpoint of the stack in memo past frame `known` that the table holds:
 * @return its frame index (or `known`) and its node in *node. */
static int deepest_checkpoint(const node_table *t, const mt_stack_memo *memo, int known,
                              uint64_t *node) {
  /* checkpoint j ends at frame j*CHECKPOINT-1; those up to lo are at or before `known` */
  int lo = (known + 1) / CHECKPOINT, hi = (memo->n - 1) / CHECKPOINT + 1;
  for (int j = lo + 1; j < hi; j++)
    prefetch_slot(t, memo->hash[j * CHECKPOINT - 1], 1);
  int found = 0;
  while (hi - lo > 1) {
    int mid = (lo + hi) / 2;
    uint64_t id = find_in(t, memo->hash[mid * CHECKPOINT - 1]);
    if (id) {
      lo = found = mid;
      *node = id;
    } else {
      hi = mid;
    }
  }
  return found ? found * CHECKPOINT - 1 : known;
}

uint64_t mt__stack_intern(mt_tbuf *tb, mt_stack_memo *memo, const uintptr_t *ips, int n,
                          int same_root) {
  if (n <= 0)
    return 0;
  const int both = n < memo->n ? n : memo->n;
  int common = same_root <= both ? same_root : 0;
  /* Four frames a round while they agree: the callers shared with the previous stack are
   * most of a deep one (clang++: 28 of an allocation's 50 frames), and one test of four
   * costs less than four exits (cachegrind: 28M fewer instructions on clang++). */
  while (common + 4 <= both &&
         ((ips[n - 1 - common] ^ memo->ips[common]) |
          (ips[n - 2 - common] ^ memo->ips[common + 1]) |
          (ips[n - 3 - common] ^ memo->ips[common + 2]) |
          (ips[n - 4 - common] ^ memo->ips[common + 3])) == 0)
    common += 4;
  while (common < both && ips[n - 1 - common] == memo->ips[common])
    common++;
  if (common == n && n == memo->n && memo->leaf)
    return memo->leaf;
  for (int k = common; k < n; k++) {
    memo->ips[k] = ips[n - 1 - k];
    memo->id[k] = 0;
  }
  /* from the block of the first new frame: the blocks before it are the previous stack's */
  int k = common - common % CHECKPOINT;
  uint64_t h = k ? memo->hash[k - 1] : SEED;
  for (; k + CHECKPOINT <= n; k += CHECKPOINT)
    memo->hash[k + CHECKPOINT - 1] = h = block_hash(h, memo->ips + k, CHECKPOINT);
  if (k < n)
    memo->hash[n - 1] = h = block_hash(h, memo->ips + k, n - k);
  memo->n = n;
  memo->leaf = 0;
  node_table *t = atomic_load_explicit(&nodes, memory_order_acquire);
  if (t)
    prefetch_slot(t, h, 1);
  uint64_t id = t ? find_in(t, h) : 0;
  if (!id) {
    /* Start from the deepest node known for a proper prefix: shared with the previous
     * stack, or a checkpoint in the table. */
    int known = (common < n ? common : n - 1) - 1;
    while (known >= 0 && !memo->id[known])
      known--;
    uint64_t parent = known >= 0 ? memo->id[known] : 0;
    if (t) {
      int deeper = deepest_checkpoint(t, memo, known, &parent);
      if (deeper > known)
        memo->id[deeper] = (uint32_t)parent;
      known = deeper;
    }
    id = create(tb, memo, known, parent);
  }
  memo->id[n - 1] = (uint32_t)id;
  memo->leaf = id;
  return id;
}

void mt__stack_setup(void) {
  mt__lock(&mt__stack_lock);
  reserve_one();
  mt__unlock(&mt__stack_lock);
}

void mt__stack_reset_after_fork(void) {
  node_table *t = atomic_load(&nodes);
  while (t) {
    node_table *older = t->older;
    atomic_fetch_add(&mt__g.shim_bytes, t->released); /* mt__os_free subtracts it all */
    mt__os_free(t, t->bytes);
    t = older;
  }
  atomic_store(&nodes, NULL);
  next_id = 1;
  mt__lock_init(&mt__stack_lock);
  mt__stack_setup();
}
