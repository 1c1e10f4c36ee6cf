/* SPDX-License-Identifier: MIT */
/* Internal contract of the preload shim libmemtrace.so: global state, the per-thread state
 * and the functions each file offers the others, grouped under the file that defines them.
 * Nothing here may allocate through malloc or call stdio: it all runs inside malloc hooks. */
#ifndef MT_PRELOAD_INTERNAL_H
#define MT_PRELOAD_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "memtrace/trace_chunk.h"
#include "memtrace/trace_writer.h"

#define MT_EXPORT __attribute__((visibility("default")))
#define MT_TLS __thread __attribute__((tls_model("initial-exec")))
#define mt_likely(x) __builtin_expect(!!(x), 1)
#define mt_unlikely(x) __builtin_expect(!!(x), 0)

#define MT_VERSION "0.1.0"
#define MT_PATH_MAX 4096
#define MT_DEPTH_MAX 256
#define MT_FLUSH_INTERVAL_MS 200   /* partial chunks reach the file at least this often */

/* Life cycle of the recorder in this process. */
enum {
  MT_STATE_UNINIT = 0,   /* before the constructor: calls pass through */
  MT_STATE_RUNNING,      /* events are recorded (unless paused) */
  MT_STATE_FINISHING,    /* the END record is being written */
  MT_STATE_DONE,         /* trace closed: calls pass through */
  MT_STATE_DISABLED      /* not traced (follow=0 child, setup or write failure) */
};

/* os.c: raw system calls, locks, formatting, messages ------------------------------------ */

/* Spin lock whose word holds the owner's thread id (0 when free), so a signal handler can
 * tell that it interrupted its own thread inside the lock. */
typedef struct {
  atomic_uint owner;
} mt_lock;

static inline void mt__lock(mt_lock *l);
static inline void mt__unlock(mt_lock *l);
void mt__lock_slow(mt_lock *l);
/* Nonzero while a thread takes every lock before fork(). Busy threads would otherwise win
 * each lock back the moment it is released and leave fork() waiting for seconds: a thread
 * that holds no shim lock waits here until the forking thread has them all. */
extern atomic_int mt__fork_pending;
void mt__lock_fork_gate(void);
/* Take the lock, waiting at most `ms`: @return 1 when taken, 0 when the caller already holds
 * it or the wait timed out (used on exit and signal paths, which must never hang). */
int mt__lock_timed(mt_lock *l, int ms);
void mt__lock_init(mt_lock *l);

/* The trace descriptor's number is the lowest free one from here: out of the way of programs
 * that use or close low numbers (fd_guard.c moves it when the program closes it anyway). */
#define MT_TRACE_FD_MIN 1000

/* Anonymous memory straight from the kernel (never the hooked mmap); counted in shim_bytes.
 * NULL on failure. Sizes are rounded up to pages. */
void *mt__os_alloc(size_t size);
void mt__os_free(void *p, size_t size);
/* Reserve address space with MAP_NORESERVE (pages count when touched). */
void *mt__os_reserve(size_t size);
/* Map every page of [p, p+size) writable now, in one call, when the caller is about to write
 * all over it: a table filled by probing would take a read fault and then a write fault on
 * each page. Best effort (nothing happens on kernels before 5.14). */
void mt__os_populate(void *p, size_t size);
/* Give the pages of a retired lock-free table back to the kernel but keep the mapping: a
 * late reader finds only zeros (empty slots), which every lookup treats as a miss. */
void mt__os_release(void *p, size_t size);

int mt__os_open(const char *path, int flags, int mode);
ssize_t mt__os_read(int fd, void *buf, size_t len);
int mt__os_write_all(int fd, const void *buf, size_t len);
int mt__os_close(int fd);
/* Read a whole small file into buf (NUL-terminated). @return bytes read or -1. */
ssize_t mt__os_read_file(const char *path, char *buf, size_t size);
uint32_t mt__os_gettid(void);
uint32_t mt__os_getpid(void);
uint64_t mt__os_now_ns(int clock);
void mt__os_sleep_ms(int ms);
int mt__os_futex_wait(atomic_uint *word, unsigned val, int timeout_ms);
void mt__os_futex_wake(atomic_uint *word);

/* Bounded string builder: appends truncate silently, the text stays NUL-terminated. */
typedef struct {
  char *buf;
  size_t len, cap;
} mt_sbuf;
void mt__sb_init(mt_sbuf *b, char *buf, size_t cap);
void mt__sb_str(mt_sbuf *b, const char *s);
void mt__sb_mem(mt_sbuf *b, const char *s, size_t n);
void mt__sb_u64(mt_sbuf *b, uint64_t v);
void mt__sb_i64(mt_sbuf *b, int64_t v);

/* One line "memtrace: <a><b>\n" on fd 2; at most a handful per process. */
void mt__message(const char *a, const char *b);

/* clock.c: event timestamps ------------------------------------------------------------ */

void mt__clock_setup(void);
/* Writer thread, every tick: refresh the TSC rate. */
void mt__clock_calibrate(void);
/* CLOCK_MONOTONIC in ns, cheaply. */
uint64_t mt__clock_now_ns(void);

/* options.c: MEMTRACE_* variables, read without malloc ------------------------------------ */

typedef struct {
  int depth;                 /* MEMTRACE_DEPTH, 1..256, default 64 */
  int rss_interval_ms;       /* MEMTRACE_RSS_INTERVAL, 0 = no samples, default 50 */
  int follow;                /* MEMTRACE_FOLLOW, default 1 */
  int start_paused;          /* MEMTRACE_START_PAUSED */
  int toggle_signal;         /* MEMTRACE_TOGGLE_SIGNAL or SIGUSR2 */
  int toggle_installed;      /* install the toggle handler */
  int unwind_libunwind;      /* MEMTRACE_UNWIND=libunwind (default "fast") */
  int leak_scan;             /* MEMTRACE_LEAK_SCAN, default 1: reachability scan at exit */
  int zstd_level;            /* MEMTRACE_ZSTD_LEVEL, 1..19; default 0: chosen per frame */
  char output[MT_PATH_MAX];  /* MEMTRACE_OUTPUT pattern */
  char session[MT_PATH_MAX]; /* MEMTRACE_SESSION, empty when none */
  char parent_trace[MT_PATH_MAX]; /* from MEMTRACE_PARENT, empty when launched */
  uint32_t parent_pid;       /* from MEMTRACE_PARENT, 0 when launched */
  uint32_t parent_ppid;      /* from MEMTRACE_PARENT: that process's parent */
} mt_options;

void mt__options_read(mt_options *o);
/* Options in effect as "key=value" words for the PROCESS record. */
void mt__options_describe(const mt_options *o, mt_sbuf *b);
/* Value of an environment variable without allocating; NULL when unset. */
const char *mt__getenv(const char *name);

/* real.c: the functions we interpose, resolved with dlsym(RTLD_NEXT) ----------------------- */

typedef struct {
  void *(*malloc)(size_t);
  void (*free)(void *);
  void *(*calloc)(size_t, size_t);
  void *(*realloc)(void *, size_t);
  int (*posix_memalign)(void **, size_t, size_t);
  void *(*aligned_alloc)(size_t, size_t);
  void *(*memalign)(size_t, size_t);
  void *(*valloc)(size_t);
  void *(*pvalloc)(size_t);
  void *(*mmap)(void *, size_t, int, int, int, off_t);
  int (*munmap)(void *, size_t);
  void *(*mremap)(void *, size_t, size_t, int, ...);
  pid_t (*fork)(void);
  int (*dlclose)(void *);
  int (*execve)(const char *, char *const[], char *const[]);
  int (*execvpe)(const char *, char *const[], char *const[]);
  int (*fexecve)(int, char *const[], char *const[]);
  int (*execveat)(int, const char *, char *const[], char *const[], int);
  int (*posix_spawn)(pid_t *, const char *, const void *, const void *, char *const[],
                     char *const[]);
  int (*posix_spawnp)(pid_t *, const char *, const void *, const void *, char *const[],
                      char *const[]);
  void (*exit)(int) __attribute__((noreturn));
  void (*_exit)(int) __attribute__((noreturn));
  void (*_Exit)(int) __attribute__((noreturn));
  void (*quick_exit)(int) __attribute__((noreturn));
  int (*close)(int);
  int (*dup2)(int, int);
  int (*dup3)(int, int, int);
  void (*closefrom)(int);
  int (*unshare)(int);
  int (*setns)(int, int);
  int (*libc_start_main)(int (*)(int, char **, char **), int, char **, void (*)(void),
                         void (*)(void), void (*)(void), void *);
} mt_real_fns;

extern mt_real_fns mt__real;
/* Resolve every pointer in mt__real once (thread-safe, re-entrant through the bootstrap). */
void mt__real_resolve(void);
/* True while this thread is inside dlsym during resolution: serve from the bootstrap arena. */
int mt__real_resolving(void);

/* bootstrap.c: static arena for allocations made while resolving ------------------------- */

void *mt__boot_alloc(size_t size, size_t align);
int mt__boot_owns(const void *p);
/* Usable size of a bootstrap block (for realloc out of the arena). */
size_t mt__boot_size(const void *p);

/* thread_buffer.c: per-thread chunks ------------------------------------------------------ */

/* A 64 KiB buffer holding one chunk; full buffers travel to the writer thread in a queue. */
#define MT_BUF_SIZE (256u * 1024u)
typedef struct mt_buf {
  struct mt_buf *next;
  size_t len;
  uint32_t tid;
  uint32_t pad_;
  uint64_t pad2_[5];
  uint8_t data[];
} mt_buf;
#define MT_BUF_DATA_CAP (MT_BUF_SIZE - sizeof(mt_buf))

/* stack_table.c: a thread's previous stack, outermost frame first, with the hashes of its
 * checkpoint prefixes and of the whole stack (no others) and the id of the whole stack
 * (0: unknown). */
typedef struct {
  int n;
  uint64_t leaf;
  uintptr_t ips[MT_DEPTH_MAX];
  uint64_t hash[MT_DEPTH_MAX];
  uint32_t id[MT_DEPTH_MAX]; /* node of each prefix, 0 when not known */
} mt_stack_memo;

/* cfi_unwind.c: how to step from a return address to its caller: "CFA = rsp|rbp + cfa_off,
 * return address at CFA-8, caller's rbp at CFA + rbp_off (0: unchanged)". */
typedef struct {
  int32_t cfa_off;
  int16_t rbp_off;
  uint8_t cfa_reg;
  uint8_t kind;
} mt_unwind_rule;

/* cfi_unwind.c: a thread's direct-mapped cache of unwind rules, by the low bits of the
 * return address. 32 KiB: on clang++ (17M steps) 512 entries missed 6.4% of the steps,
 * 2048 miss 1.1%; each miss is a probe of the shared table. */
#define MT_UNWIND_L1 2048
typedef struct {
  uintptr_t ip;
  mt_unwind_rule rule;
} mt_unwind_l1_entry;
/* One state of a walk, and how its rule used rbp: the CFA from it, the caller's rbp read at
 * CFA + rbp_off (0: rbp kept); shim_frame: ip is the shim's (its main() or exit() wrapper), a
 * frame left out of the stack. */
typedef struct {
  uintptr_t ip, sp, rbp;
  int32_t rbp_off;
  uint16_t cfa_by_rbp;
  uint16_t shim_frame;
} mt_walk_state;
#define MT_WALK_STEPS (MT_DEPTH_MAX + 16) /* a walk takes at most this many steps */

/* cfi_unwind.c: a walk kept with its stack id, found again by its first state. */
typedef struct {
  uintptr_t ip, sp; /* its first state's */
  uint64_t stack;   /* 0: empty */
  uint64_t at;      /* its states 0..steps: log positions at.. */
  int32_t steps, end;
} mt_walk_entry;
#define MT_WALK_LOG 4096  /* states (128 KiB): 250 of sqlite3's walks, 70 of clang++'s */
#define MT_WALK_SETS 32   /* of recent walks, by first state */
#define MT_WALK_WAYS 4    /* walks a set keeps: operator new's callers share its first state */
typedef struct {
  unsigned generation;
  int last_steps;  /* the thread's last walk: states 0..last_steps at log[last_at], or -1 */
  int last_end;    /* how it ended at that state (cfi_unwind.c) */
  int last_shim;   /* its first state whose frame is the shim's, or INT_MAX */
  int last_shims;  /* how many of its states are the shim's */
  uint64_t last_at; /* log positions only grow; log[p & (MT_WALK_LOG - 1)] */
  uint64_t head;    /* past the last walk's states */
  int walked;      /* the walk just asked for was walked here: it is the last walk */
  uint64_t known;  /* or it repeats a recent walk: its stack id, and ips was not written */
  int same_root;   /* its outermost frames that are the last walk's too (known, not compared) */
  mt_walk_entry recent[MT_WALK_SETS][MT_WALK_WAYS]; /* the most recently used first */
  mt_walk_state log[MT_WALK_LOG];        /* the walks, each in one piece */
  mt_unwind_l1_entry e[MT_UNWIND_L1];
} mt_unwind_l1;

/* One thread's recording state. The owner appends under `lock`; the writer thread takes the
 * same lock to swap a partially filled buffer out. Counters are only written by the owner. */
typedef struct mt_tbuf {
  mt_lock lock;
  atomic_int in_use;
  uint32_t tid;
  mt_buf *buf;
  mt_chunk chunk;
  struct mt_tbuf *next_all;  /* registry: every tbuf ever made, never removed */
  uint64_t allocations, frees, bytes_allocated;
  int64_t live_blocks;       /* heap blocks allocated minus freed by this thread */
  int help;                  /* the queue is long: write some frames after unlocking */
  int shared;                /* the tbuf of exiting threads: no memo, no rule cache */
  void *signal_stack;        /* for the thread using this tbuf (not the main thread) */
  int signal_stack_on;       /* installed by us on that thread */
  mt_stack_memo memo;
  mt_unwind_l1 l1;
} mt_tbuf;

/* Thread-local state; initial-exec TLS so reading it never allocates. */
typedef struct {
  int guard;                 /* >0: inside the shim, pass allocations through unrecorded */
  int resolving;             /* inside dlsym while resolving real functions */
  uint32_t tid;
  mt_tbuf *tbuf;
  int locks_held;            /* shim locks this thread holds (see mt__lock_fork_gate) */
  int forking;               /* this thread is taking every lock before fork() */
} mt_tls_state;
extern MT_TLS mt_tls_state mt__tls;

void mt__tbuf_setup(void);
mt_tbuf *mt__tbuf_attach(void);
/* The calling thread's tbuf, attached (and announced with THREAD) on first use; NULL when
 * no memory. */
static inline mt_tbuf *mt__tbuf_get(void) {
  mt_tbuf *tb = mt__tls.tbuf;
  return mt_likely(tb != NULL) ? tb : mt__tbuf_attach();
}
/* Under the tbuf lock: hand the current chunk to the writer and start a fresh one. */
void mt__tbuf_swap_locked(mt_tbuf *tb);
/* Append a record, swapping the chunk when full. Caller holds tb->lock. */
void mt__tbuf_put_locked(mt_tbuf *tb, const mt_record *rec);
/* Iterate the registry (lock-free; entries are never removed). */
mt_tbuf *mt__tbuf_first(void);
/* Announce the calling thread: THREAD record with its current name. Caller holds tb->lock. */
void mt__tbuf_put_thread_locked(mt_tbuf *tb);
/* After fork in the child: forget every thread but reuse the memory. */
void mt__tbuf_reset_after_fork(void);

/* compress_level.c: the zstd level of each frame (io lock held) ------------------------------ */

/* After the trace writer is created (at start and in a forked child). */
void mt__zlevel_setup(void);
/* Set the level for the next frame: background is 1 on the writer thread, queued the number
 * of buffers still waiting. */
void mt__zlevel_pick(int background, int queued);
/* The frame just written: raw chunk bytes and the bytes written for it. */
void mt__zlevel_observe(size_t raw_bytes, uint64_t frame_bytes);

/* writer_thread.c: queue of full buffers, background compression, RSS samples ------------- */

mt_buf *mt__buf_get(void);
/* Write a chunk now, after every queued buffer, from the thread that filled it (it holds its
 * tbuf lock): when no memory is left for another buffer, so no record is dropped. */
void mt__writer_write_through(const mt_chunk *c);
void mt__buf_put(mt_buf *b);
/* Queue a finished buffer for writing. @return 1 when the queue is long (caller should help
 * by calling mt__writer_help() once it holds no lock). */
int mt__queue_push(mt_buf *b);
/* Write queued buffers from the calling thread (back-pressure when the writer lags). */
void mt__writer_help(void);
/* Wake the writer thread now rather than at its next tick. */
void mt__writer_wake(void);
/* Start the writer thread if it is not running (lazily after fork). */
void mt__writer_ensure(void);
/* End the writer thread for a call that needs the process to have one thread, and let the
 * next event start one again after mt__writer_return (writer_thread.c). */
void mt__writer_step_aside(void);
void mt__writer_return(void);
/* Called with io lock held: write every queued buffer and every thread's partial chunk. */
void mt__writer_flush_all_locked(int timed);
/* Write one chunk to the trace (io lock held). @return 0 or -1 (recording was stopped). */
int mt__io_write_chunk(const mt_chunk *c);
void mt__writer_reset_after_fork(void);
extern mt_lock mt__io_lock, mt__queue_lock, mt__pool_lock;
extern atomic_int mt__writer_running;

/* stack_table.c: call stack prefix tree and full-stack cache ------------------------------ */

/* Id of the innermost node for ips[0..n) (ips[0] innermost), creating nodes as needed; new
 * nodes are appended as STACK records to tb's chunk. memo is the caller's previous stack,
 * whose same_root outermost frames the caller knows to be the outermost of ips too.
 * @return 0 for an empty stack. */
uint64_t mt__stack_intern(mt_tbuf *tb, mt_stack_memo *memo, const uintptr_t *ips, int n,
                          int same_root);
void mt__stack_setup(void);
void mt__stack_reset_after_fork(void);
extern mt_lock mt__stack_lock;

/* unwind.c -------------------------------------------------------------------------------- */

void mt__unwind_setup(void);
/* Return addresses of the caller's stack, innermost first, shim frames removed. With the
 * thread's l1, a walk repeating one of the thread's recent walks sets l1->known to its stack
 * id and leaves ips alone. */
int mt__unwind(uintptr_t *ips, int max, mt_unwind_l1 *l1);
/* Mark [start, end) as shim code (frames there are dropped). */
void mt__unwind_set_self(uintptr_t start, uintptr_t end);

/* cfi_unwind.c: fast unwinding from cached .eh_frame rules ------------------------------ */

/* Return addresses like mt__unwind; -1 when this stack needs libunwind. l1: the calling
 * thread's rule cache, or NULL. */
int mt__cfi_unwind(uintptr_t *ips, int max, mt_unwind_l1 *l1);
void mt__cfi_set_self(uintptr_t lo, uintptr_t hi);
/* Keep the walk just made (l1->walked) among the thread's recent walks, with its stack id. */
void mt__cfi_remember(mt_unwind_l1 *l1, uint64_t stack);
/* Forget the thread's last and recent walks (their stack ids no longer hold). */
void mt__cfi_forget(mt_unwind_l1 *l1);
void mt__cfi_invalidate(void);
void mt__cfi_reset_after_fork(void);

/* live_table.c: address -> size of live heap blocks --------------------------------------- */

/* Insert; @return 1 and *old_size when the address was already present (a free we missed). */
int mt__live_insert(uintptr_t addr, uint64_t size, uint64_t *old_size);
/* Start loading the slot where addr would go: a new block's slot is a cache miss, which the
 * unwinding done before the insertion can hide. */
void mt__live_prefetch(uintptr_t addr);
/* Remove; @return 1 and *size when present. */
int mt__live_remove(uintptr_t addr, uint64_t *size);
void mt__live_reset(void);
typedef struct {
  uintptr_t addr;
  uint64_t size;
} mt_live_block;
/* Number of live blocks (read without locks: a hint for sizing a snapshot). */
size_t mt__live_count(void);
/* Copy at most max live blocks, unordered, each stripe under its lock. @return the count. */
size_t mt__live_snapshot(mt_live_block *out, size_t max);

/* regions.c: anonymous mappings the program made ------------------------------------------ */

void mt__region_add(uintptr_t addr, uint64_t len);
/* Remove [addr, addr+len); calls fn for every recorded piece removed. */
void mt__region_remove(uintptr_t addr, uint64_t len,
                       void (*fn)(uintptr_t start, uint64_t len, void *arg), void *arg);
uint64_t mt__region_live_bytes(void);
void mt__region_reset(void);
extern mt_lock mt__region_lock;

/* modules.c: MODULE and UNLOAD records from dl_iterate_phdr ------------------------------- */

/* Emit MODULE/UNLOAD records for changes since the last scan into tb (which the caller does
 * not lock). force: scan even when the loader's counters did not move. */
void mt__modules_scan(mt_tbuf *tb, int force);
void mt__modules_reset(void);
extern mt_lock mt__module_lock;

/* record.c: the event path shared by all hooks -------------------------------------------- */

void mt__record_alloc(int kind, void *p, uint64_t size);
/* Remove p from the live table and, when it was live, record its FREE. Call before the real
 * free so the address cannot be reused first. */
void mt__record_free(void *p);
/* realloc bookkeeping: old block known (old_size) or not; new block q of size n. */
void mt__record_realloc(int kind, void *old, int old_known, uint64_t old_size, void *q,
                        uint64_t n);
/* Replay of an early heap event (early.c) with its stack ips[0..nips), innermost first:
 * REALLOC when old is a known block, ALLOC of p otherwise (old 0: an allocation). */
void mt__record_replayed(int kind, uintptr_t old, uintptr_t p, uint64_t size,
                         const uintptr_t *ips, int nips);
void mt__record_mmap(void *p, uint64_t len);
void mt__record_munmap(void *p, uint64_t len);
void mt__record_mremap(void *old, uint64_t old_len, void *q, uint64_t new_len);
void mt__record_custom_alloc(void *p, uint64_t size);
void mt__record_custom_free(void *p);
void mt__record_marker(const char *label);
void mt__record_fork(uint32_t child);
void mt__record_exec(const char *path);
uint64_t mt__seq_next(void);
/* Time since start in ns, rounded down to MT_TIME_RESOLUTION_NS (1 ms). */
#define MT_TIME_RESOLUTION_NS 1000000ull
uint64_t mt__time_ns(void);

/* process.c: trace file, PROCESS record, session file ------------------------------------- */

/* Open a new trace (origin LAUNCH, FORK or EXEC) and write the header and the first frame
 * (PROCESS, THREAD, MODULE records). @return 0 or -1 (recording disabled, message shown). */
int mt__trace_open(int origin, uint32_t ppid, const char *parent_trace);
void mt__trace_close(void);
void mt__session_start(void);
void mt__session_end(int how, int status, const mt_rec_end *e);
/* Put the END totals into e. */
void mt__end_totals(mt_rec_end *e);

/* init.c: global state, constructor, END ---------------------------------------------------- */

typedef struct {
  atomic_int state;              /* MT_STATE_* */
  atomic_int recording;          /* 0 while paused */
  mt_options opt;
  uint32_t pid;                  /* pid the current trace belongs to */
  uint32_t ppid;                 /* its parent's, as known when the trace started */
  uint64_t start_mono_ns, start_wall_ns;
  /* Last sequence number handed out and live heap bytes: changed together by one 16-byte
   * atomic for heap events (record.c), in a cache line of their own. */
  _Alignas(64) struct {
    uint64_t seq;
    int64_t live;
  } __attribute__((aligned(16))) ctr;
  char pad_[64 - 2 * sizeof(uint64_t)];
  uint64_t peak_bytes, peak_seq; /* under peak_lock */
  mt_lock peak_lock;
  atomic_uint_fast64_t shim_bytes;
  int fd;                        /* trace file, -1 when none */
  uint64_t end_offset;           /* file size before the END record (to undo it) */
  dev_t fd_dev;
  ino_t fd_ino;
  mt_writer *writer;
  char trace_path[MT_PATH_MAX];  /* absolute path of the current trace */
  char self_path[MT_PATH_MAX];   /* this library, for LD_PRELOAD in exec'd children */
  char exe_path[MT_PATH_MAX];
  char parent_env[MT_PATH_MAX + 64]; /* "MEMTRACE_PARENT=<pid>:<trace>" kept in environ */
  int exit_status;               /* from main's return or exit() */
} mt_global;

extern mt_global mt__g;

/* Write END and close the trace once (any thread, signal handlers included). */
void mt__finish(int how, int status);
/* After END (how EXEC) when the exec failed: cut the END record off the file and record on
 * in the same trace. @return 0, or -1 when the trace could not be reopened. */
int mt__resume_after_failed_exec(void);
/* Stop recording after an I/O failure: one message, END is not written. */
void mt__stop(const char *why, int err);
/* Refresh MEMTRACE_PARENT in the environment after the trace path changed. */
void mt__parent_env_update(void);

/* early.c: heap events before the constructor, replayed into the trace --------------------- */

/* Log a heap event of the early phase (mt__early() is true) with its stack. When the log has
 * just been closed, record it the ordinary way instead. realloc: after the real call. */
void mt__early_alloc(int kind, void *p, uint64_t size);
void mt__early_free(void *p); /* before the real free */
void mt__early_realloc(int kind, void *old, void *q, uint64_t size);
/* Constructor: replay the log into the trace (unless replay is 0: paused start), close it and
 * set the state to RUNNING, all under the log's lock. */
void mt__early_replay(int replay);
/* Setup failed: close the log and give its memory back. */
void mt__early_discard(void);

/* fork_exec.c ------------------------------------------------------------------------------ */

void mt__fork_setup(void);

/* signals.c -------------------------------------------------------------------------------- */

void mt__signals_setup(void);
/* A signal stack for the calling thread, reserved once in *stack (which the threads reusing
 * a tbuf share in turn), unless the thread has one. @return 1 when it was installed. */
#define MT_THREAD_SIGNAL_STACK (64u << 10)
int mt__signal_stack_enter(void **stack);
/* Before the thread ends: uninstall `stack` if it is still the thread's signal stack.
 * @return 1 when no thread uses it now, 0 when it could not be uninstalled (the thread runs
 * on it: it must not be given to another thread). */
int mt__signal_stack_leave(void *stack);
/* 1 when `stack` is the calling thread's signal stack. */
int mt__signal_stack_is(const void *stack);

/* shim_maps.c: the shim's own anonymous mappings ---------------------------------------- */

typedef struct {
  uintptr_t start, end;
} mt_shim_range;
void mt__shim_map_add(const void *p, size_t len);
void mt__shim_map_remove(const void *p, size_t len);
/* Copy the sorted, disjoint ranges. @return their number, or (size_t)-1 when the set is
 * incomplete or larger than max. */
size_t mt__shim_map_copy(mt_shim_range *out, size_t max);
void mt__shim_map_reset_after_fork(void);
/* Resident bytes of those mappings (pages never touched are not): 0 and *bytes set, or -1. */
int mt__shim_map_resident(uint64_t *bytes);

/* proc_self.c: /proc/self/maps and the other threads' stack pointers -------------------- */

typedef struct {
  char *buf;
  size_t len, cap, pos;
} mt_maps;
typedef struct {
  uintptr_t start, end;
  int readable, writable, executable;
  int file;                  /* backed by a file (inode != 0) */
  const char *path;          /* not NUL-terminated; empty for anonymous memory */
  size_t path_len;
} mt_map;
/* Read the whole map into shim memory. @return 0 or -1. */
int mt__maps_load(mt_maps *m);
/* Next mapping in address order. @return 1, or 0 at the end. */
int mt__maps_next(mt_maps *m, mt_map *out);
void mt__maps_free(mt_maps *m);
/* Stack pointers of the threads other than `self` that are blocked in the kernel (threads
 * running on a CPU have none to report; each failed read waits 1 ms while *retries lasts).
 * @return how many were stored (at most max). */
size_t mt__task_stack_pointers(uint32_t self, uintptr_t *sp, size_t max, int *retries);

/* leak_scan.c: reachability of the blocks still allocated at exit ------------------------- */

/* Scan memory like valgrind memcheck and classify every live heap block; the results wait
 * for mt__leak_scan_write_locked. Runs only when enabled, on exits (never on signals or
 * exec), and at most once per process. */
void mt__leak_scan_run(int how);
/* The program is leaving: its frames end at sp (callee-saved registers spilled below them).
 * The first call of the process wins; the scan of that thread's stack starts there, since
 * the frames of exit handlers and destructors below it are dead (memcheck sees them so). */
void mt__leak_scan_note_exit(uintptr_t sp);
#define MT_LEAK_SCAN_NOTE_EXIT()                                                             \
  do {                                                                                       \
    __builtin_unwind_init();                                                                 \
    volatile char mt_here_ = 0;                                                              \
    mt__leak_scan_note_exit((uintptr_t)&mt_here_);                                           \
  } while (0)
/* Write SCAN and the REACH records (io lock held), then release the scan's memory. */
void mt__leak_scan_write_locked(void);
/* The writer thread, once the process is finishing: help with the scan when one is about to
 * run (waits while it is prepared), or return at once. */
void mt__leak_scan_help(void);
void mt__leak_scan_reset_after_fork(void);

/* ---------------------------------------------------------------------------------------- */

/* The calling thread's id, cached in TLS (reset in a fork child). */
static inline uint32_t mt__tid(void) {
  if (mt_unlikely(mt__tls.tid == 0))
    mt__tls.tid = mt__os_gettid();
  return mt__tls.tid;
}

static inline void mt__lock(mt_lock *l) {
  if (mt_unlikely(atomic_load_explicit(&mt__fork_pending, memory_order_relaxed)))
    mt__lock_fork_gate();
  unsigned expected = 0;
  if (mt_unlikely(!atomic_compare_exchange_strong_explicit(&l->owner, &expected, mt__tid(),
                                                           memory_order_acquire,
                                                           memory_order_relaxed)))
    mt__lock_slow(l);
  mt__tls.locks_held++;
}

static inline void mt__unlock(mt_lock *l) {
  mt__tls.locks_held--;
  atomic_store_explicit(&l->owner, 0, memory_order_release);
}

static inline int mt__recording(void) {
  return mt_likely(atomic_load_explicit(&mt__g.state, memory_order_relaxed) ==
                   MT_STATE_RUNNING) &&
         mt__tls.guard == 0 &&
         atomic_load_explicit(&mt__g.recording, memory_order_relaxed);
}

/* Before the constructor ran, on a program thread outside the shim: log to early.c. */
static inline int mt__early(void) {
  return atomic_load_explicit(&mt__g.state, memory_order_relaxed) == MT_STATE_UNINIT &&
         mt__tls.guard == 0;
}

/* Tracking (frees of known blocks) continues while recording is paused. */
static inline int mt__tracking(void) {
  return mt_likely(atomic_load_explicit(&mt__g.state, memory_order_relaxed) ==
                   MT_STATE_RUNNING) &&
         mt__tls.guard == 0;
}

#endif /* MT_PRELOAD_INTERNAL_H */
