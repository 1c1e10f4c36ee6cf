/* SPDX-License-Identifier: MIT */
/* memtrace trace format: record types, their decoded form, and error codes.
 * docs/trace-format.md is the authority; this header mirrors it. Shared by the
 * encoder (trace_chunk.h), the frame writer (trace_writer.h) and the reader (trace_reader.h). */
#ifndef MEMTRACE_TRACE_H
#define MEMTRACE_TRACE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(MT_BUILDING_LIBRARY) && defined(__GNUC__)
#define MT_API __attribute__((visibility("default")))
#else
#define MT_API
#endif

/* Version of the format this library writes; it reads every 1.x and 2.x. */
#define MT_FORMAT_MAJOR 2
#define MT_FORMAT_MINOR 0
#define MT_FORMAT_MAJOR_OLDEST 1

/* The file header is a zstd skippable frame, so a trace is also a valid .zst stream. */
#define MT_HEADER_SIZE 24
#define MT_HEADER_FRAME_MAGIC 0x184D2A5Du
#define MT_HEADER_SIGNATURE "MEMTRACE"

/* Upper bounds a reader enforces; writers stay below them. */
#define MT_CHUNK_MAX (4u << 20)     /* decompressed bytes of one frame */
#define MT_BUILD_ID_MAX 64
#define MT_SEGMENTS_MAX 32
#define MT_RECENT_MAX 16            /* addresses an event may refer to by position (format 2) */
#define MT_RECORD_OPTIONAL 0x80     /* type bit: readers skip unknown optional records */

/* Error codes: 0 is success, every error is negative. One list makes both the enum and
 * mt_strerror(). */
#define MT_ERRNO_MAP(XX)                                                                   \
  XX(EIO, -1, "i/o error")                                                                 \
  XX(ENOMEM, -2, "out of memory")                                                          \
  XX(ENOENT, -3, "no such file")                                                           \
  XX(EBADMAGIC, -4, "not a memtrace trace (bad magic)")                                    \
  XX(EVERSION, -5, "unsupported trace format version")                                     \
  XX(ECORRUPT, -6, "corrupt record")                                                       \
  XX(EUNKNOWN, -7, "unknown record type")                                                  \
  XX(ETRUNCATED, -8, "trace truncated")                                                    \
  XX(EFRAME, -9, "corrupt compressed frame")                                              \
  XX(ETRAILING, -10, "unexpected data after the end record")                               \
  XX(ENOEND, -11, "trace has no end record (process killed or still running)")             \
  XX(ENOSPC, -12, "no space left in buffer")                                               \
  XX(EINVAL, -13, "invalid argument")                                                      \
  XX(ETOOBIG, -14, "frame larger than the format allows")

typedef enum {
  MT_OK = 0,
#define MT__ERRNO_ENUM(name, value, text) MT_##name = value,
  MT_ERRNO_MAP(MT__ERRNO_ENUM)
#undef MT__ERRNO_ENUM
} mt_errno;

/* Short description of an error code (never NULL). */
MT_API const char *mt_strerror(int err);
/* Symbolic name of an error code, e.g. "MT_ETRUNCATED" (never NULL). */
MT_API const char *mt_err_name(int err);

/* Record types. Types with MT_RECORD_OPTIONAL set may be skipped by readers that do not
 * know them; any other unknown type is an error. */
#define MT_RECORD_TYPE_MAP(XX)       \
  XX(CHUNK, 0x00, "chunk")           \
  XX(PROCESS, 0x01, "process")       \
  XX(END, 0x02, "end")               \
  XX(ALLOC, 0x10, "alloc")           \
  XX(FREE, 0x11, "free")             \
  XX(REALLOC, 0x12, "realloc")       \
  XX(STACK, 0x20, "stack")           \
  XX(MODULE, 0x21, "module")         \
  XX(UNLOAD, 0x22, "unload")         \
  XX(THREAD, 0x23, "thread")         \
  XX(SCAN, 0x24, "scan")             \
  XX(REACH, 0x25, "reach")           \
  XX(RSS, 0x30, "rss")               \
  XX(MARKER, 0x31, "marker")         \
  XX(FORK, 0x32, "fork")             \
  XX(EXEC, 0x33, "exec")

typedef enum {
#define MT__RECORD_ENUM(name, value, text) MT_REC_##name = value,
  MT_RECORD_TYPE_MAP(MT__RECORD_ENUM)
#undef MT__RECORD_ENUM
} mt_record_type;

/* Name of a record type ("alloc"), or NULL for an unknown type. */
MT_API const char *mt_record_type_name(int type);

/* How a block came to be; the analyzer groups kinds into heap, mmap and custom. */
#define MT_ALLOC_KIND_MAP(XX)                 \
  XX(MALLOC, 0, "malloc", HEAP)               \
  XX(CALLOC, 1, "calloc", HEAP)               \
  XX(REALLOC, 2, "realloc", HEAP)             \
  XX(REALLOCARRAY, 3, "reallocarray", HEAP)   \
  XX(POSIX_MEMALIGN, 4, "posix_memalign", HEAP) \
  XX(ALIGNED_ALLOC, 5, "aligned_alloc", HEAP) \
  XX(MEMALIGN, 6, "memalign", HEAP)           \
  XX(VALLOC, 7, "valloc", HEAP)               \
  XX(PVALLOC, 8, "pvalloc", HEAP)             \
  XX(MMAP, 9, "mmap", MMAP)                   \
  XX(CUSTOM, 10, "custom", CUSTOM)

typedef enum {
#define MT__KIND_ENUM(name, value, text, cls) MT_ALLOC_##name = value,
  MT_ALLOC_KIND_MAP(MT__KIND_ENUM)
#undef MT__KIND_ENUM
  MT_ALLOC_KIND_COUNT
} mt_alloc_kind;

typedef enum { MT_CLASS_HEAP = 0, MT_CLASS_MMAP = 1, MT_CLASS_CUSTOM = 2 } mt_alloc_class;

/* Name of an allocation kind ("calloc"), or NULL when out of range. */
MT_API const char *mt_alloc_kind_name(int kind);
/* Class (heap, mmap, custom) of an allocation kind; -1 when out of range. */
MT_API int mt_alloc_kind_class(int kind);

/* How a process ended (END record). */
typedef enum {
  MT_END_EXIT = 0,    /* status is the exit code */
  MT_END_SIGNAL = 1,  /* status is the fatal signal number */
  MT_END_EXEC = 2,    /* the process exec'd another program; its trace continues elsewhere */
  MT_END_STOPPED = 3  /* recording stopped early (write error, disk full); totals are partial */
} mt_end_how;

/* How a traced process started (PROCESS record). */
typedef enum {
  MT_ORIGIN_LAUNCH = 0, /* started by memtrace or with LD_PRELOAD set by hand */
  MT_ORIGIN_FORK = 1,   /* fork/vfork child of a traced parent */
  MT_ORIGIN_EXEC = 2    /* program exec'd by a traced process */
} mt_origin;

/* Leak kind of a block still allocated at exit, found by the reachability scan (the
 * four kinds of valgrind memcheck). */
#define MT_REACH_KIND_MAP(XX)          \
  XX(DEFINITE, 0, "definite")          \
  XX(INDIRECT, 1, "indirect")          \
  XX(POSSIBLE, 2, "possible")          \
  XX(REACHABLE, 3, "reachable")

typedef enum {
#define MT__REACH_ENUM(name, value, text) MT_REACH_##name = value,
  MT_REACH_KIND_MAP(MT__REACH_ENUM)
#undef MT__REACH_ENUM
  MT_REACH_KIND_COUNT
} mt_reach_kind;

/* Name of a leak kind ("possible"), or NULL when out of range. */
MT_API const char *mt_reach_kind_name(int kind);

/* A string inside a record: not NUL-terminated in general. */
typedef struct {
  const char *data;
  size_t len;
} mt_str;

typedef struct {
  uint32_t tid;
} mt_rec_chunk;

typedef struct {
  uint32_t pid, ppid;
  uint32_t origin;          /* mt_origin */
  uint64_t start_wall_ns;   /* CLOCK_REALTIME, ns since the Unix epoch */
  uint64_t start_mono_ns;   /* CLOCK_MONOTONIC at start; event times are relative to it */
  uint32_t page_size;
  uint32_t argc;
  mt_str argv;              /* argc strings, each terminated by one NUL byte */
  mt_str exe;
  mt_str hostname;
  mt_str version;           /* memtrace version that wrote the trace */
  mt_str options;           /* options in effect, as "key=value" pairs separated by spaces */
  mt_str parent_trace;      /* trace file of the parent process, empty when none */
} mt_rec_process;

typedef struct {
  uint64_t seq, time_ns;
  uint32_t how;             /* mt_end_how */
  int32_t status;
  uint64_t allocations, frees, bytes_allocated;
  uint64_t peak_heap_bytes, peak_heap_seq;
  uint64_t live_bytes, live_blocks;
  uint64_t peak_rss_bytes;  /* kernel high-water mark (VmHWM) */
  uint64_t mmap_live_bytes;
  uint64_t shim_bytes;      /* memory memtrace itself held, for separate reporting */
} mt_rec_end;

/* Allocation: kind, global sequence number, time since start, address, size, stack. */
typedef struct {
  uint32_t kind;            /* mt_alloc_kind */
  uint64_t seq, time_ns;
  uint64_t address, size;
  uint64_t stack;           /* stack node id; 0 means unknown */
} mt_rec_alloc;

typedef struct {
  uint32_t kind;            /* the kind of call that freed: MALLOC for free(), MMAP for munmap, CUSTOM */
  uint64_t seq, time_ns;
  uint64_t address;
  uint64_t size;            /* 0 for the whole block; munmap may release part of a mapping */
} mt_rec_free;

/* realloc that moved or resized a block: one allocation and one free. */
typedef struct {
  uint32_t kind;            /* REALLOC, REALLOCARRAY or MMAP (mremap) */
  uint64_t seq, time_ns;
  uint64_t old_address, new_address, size;
  uint64_t stack;
} mt_rec_realloc;

/* One node of the stack prefix tree: a stack id names its innermost node. */
typedef struct {
  uint64_t id, parent, ip;
} mt_rec_stack;

typedef struct {
  uint64_t vaddr;           /* p_vaddr of the PT_LOAD segment */
  uint64_t memsz;
  uint64_t file_offset;
  uint32_t flags;           /* PF_R|PF_W|PF_X */
} mt_segment;

typedef struct {
  uint64_t id;
  uint64_t seq;             /* events from this sequence number on may use the module */
  uint64_t base;            /* load bias: runtime address = base + vaddr */
  mt_str path;
  uint8_t build_id[MT_BUILD_ID_MAX];
  uint32_t build_id_len;
  uint32_t nsegments;
  mt_segment segments[MT_SEGMENTS_MAX];
} mt_rec_module;

typedef struct {
  uint64_t id, seq;
} mt_rec_unload;

typedef struct {
  uint32_t tid;
  uint64_t seq;
  mt_str name;
} mt_rec_thread;

/* Summary of the reachability scan made at exit; REACH records give each block's kind. */
typedef struct {
  uint64_t seq, time_ns;
  uint64_t duration_ns;
  uint64_t blocks;          /* heap blocks still allocated when the scan ran */
  uint64_t root_bytes;      /* bytes of roots scanned (data, bss, stacks, other mappings) */
  uint64_t heap_bytes;      /* bytes of reachable blocks scanned */
  uint64_t kind_bytes[MT_REACH_KIND_COUNT];
  uint64_t kind_blocks[MT_REACH_KIND_COUNT];
} mt_rec_scan;

/* Leak kind of one block still allocated at exit, by its address. */
typedef struct {
  uint64_t address;
  uint32_t kind;            /* mt_reach_kind */
} mt_rec_reach;

typedef struct {
  uint64_t seq, time_ns;
  uint64_t rss_bytes;
} mt_rec_rss;

typedef struct {
  uint64_t seq, time_ns;
  mt_str label;
} mt_rec_marker;

typedef struct {
  uint64_t seq, time_ns;
  uint32_t child_pid;
} mt_rec_fork;

typedef struct {
  uint64_t seq, time_ns;
  mt_str path;
} mt_rec_exec;

/* One decoded record. Strings point into the reader's buffer and stay valid until the
 * next mt_reader_next() call. */
typedef struct {
  int type;                 /* mt_record_type */
  uint32_t tid;             /* thread of the chunk holding the record */
  uint64_t frame_offset;    /* file offset of the frame holding the record */
  union {
    mt_rec_chunk chunk;
    mt_rec_process process;
    mt_rec_end end;
    mt_rec_alloc alloc;
    mt_rec_free free;
    mt_rec_realloc realloc;
    mt_rec_stack stack;
    mt_rec_module module;
    mt_rec_unload unload;
    mt_rec_thread thread;
    mt_rec_scan scan;
    mt_rec_reach reach;
    mt_rec_rss rss;
    mt_rec_marker marker;
    mt_rec_fork fork;
    mt_rec_exec exec;
  } u;
} mt_record;

/* Helper to build an mt_str from a NUL-terminated C string (NULL gives the empty string). */
MT_API mt_str mt_str_from(const char *s);

#ifdef __cplusplus
}
#endif
#endif /* MEMTRACE_TRACE_H */
