/* SPDX-License-Identifier: MIT */
/* The record layouts of docs/trace-format.md as data: one field list per record type,
 * plus the names of record types, allocation kinds and errors. */
#include <stddef.h>

#include "codec.h"

#define F(t, rec, member) {MT__F_##t, 0, (uint16_t)offsetof(rec, member), #member}
#define FN(t, rec, member, name) {MT__F_##t, 0, (uint16_t)offsetof(rec, member), name}
#define FX(t, rec, member) {MT__F_##t, 1, (uint16_t)offsetof(rec, member), #member}
#define LAYOUT(T, n, fields, validate) LAYOUT_FAST(T, n, fields, validate, NULL)
#define LAYOUT_FAST(T, n, fields, validate, fast) \
  {MT_REC_##T, n, fields, sizeof(fields) / sizeof(fields[0]), validate, fast}

static const mt__field chunk_fields[] = {F(U32, mt_rec_chunk, tid)};

static const mt__field process_fields[] = {
    F(U32, mt_rec_process, pid),          F(U32, mt_rec_process, ppid),
    F(U32, mt_rec_process, origin),       F(U64, mt_rec_process, start_wall_ns),
    F(U64, mt_rec_process, start_mono_ns), F(U32, mt_rec_process, page_size),
    F(STR, mt_rec_process, exe),          F(STR, mt_rec_process, hostname),
    F(STR, mt_rec_process, version),      F(STR, mt_rec_process, options),
    F(STR, mt_rec_process, parent_trace), F(U32, mt_rec_process, argc),
    F(STR, mt_rec_process, argv)};

static const mt__field end_fields[] = {
    F(U64, mt_rec_end, seq),           F(U64, mt_rec_end, time_ns),
    F(U32, mt_rec_end, how),           F(S32, mt_rec_end, status),
    F(U64, mt_rec_end, allocations),   F(U64, mt_rec_end, frees),
    F(U64, mt_rec_end, bytes_allocated), F(U64, mt_rec_end, peak_heap_bytes),
    F(U64, mt_rec_end, peak_heap_seq), F(U64, mt_rec_end, live_bytes),
    F(U64, mt_rec_end, live_blocks),   F(U64, mt_rec_end, peak_rss_bytes),
    F(U64, mt_rec_end, mmap_live_bytes), F(U64, mt_rec_end, shim_bytes)};

/* The event layouts, given how their addresses are stored: format 2 refers to recent
 * addresses (NEW_ADDR, OLD_ADDR), format 1 stored every address as a delta (DADDR). */
#define ALLOC_FIELDS(new_addr)                                                                  \
  {F(KIND, mt_rec_alloc, kind),      F(DSEQ, mt_rec_alloc, seq), F(DTIME, mt_rec_alloc, time_ns), \
   FX(new_addr, mt_rec_alloc, address), F(U64, mt_rec_alloc, size), F(U64, mt_rec_alloc, stack)}
#define FREE_FIELDS(old_addr)                                                                \
  {F(KIND, mt_rec_free, kind), F(DSEQ, mt_rec_free, seq), F(DTIME, mt_rec_free, time_ns), \
   FX(old_addr, mt_rec_free, address), F(U64, mt_rec_free, size)}
#define REALLOC_FIELDS(old_addr, new_addr)                                          \
  {F(KIND, mt_rec_realloc, kind),           F(DSEQ, mt_rec_realloc, seq),         \
   F(DTIME, mt_rec_realloc, time_ns),       FX(old_addr, mt_rec_realloc, old_address), \
   FX(new_addr, mt_rec_realloc, new_address), F(U64, mt_rec_realloc, size),       \
   F(U64, mt_rec_realloc, stack)}

static const mt__field alloc_fields[] = ALLOC_FIELDS(NEW_ADDR);
static const mt__field free_fields[] = FREE_FIELDS(OLD_ADDR);
static const mt__field realloc_fields[] = REALLOC_FIELDS(OLD_ADDR, NEW_ADDR);
static const mt__field v1_alloc_fields[] = ALLOC_FIELDS(DADDR);
static const mt__field v1_free_fields[] = FREE_FIELDS(DADDR);
static const mt__field v1_realloc_fields[] = REALLOC_FIELDS(DADDR, DADDR);

static const mt__field stack_fields[] = {F(DSTACK, mt_rec_stack, id), F(PARENT, mt_rec_stack, parent),
                                         FX(DIP, mt_rec_stack, ip)};

static const mt__field module_fields[] = {
    F(U64, mt_rec_module, id),        F(U64, mt_rec_module, seq),
    FX(U64, mt_rec_module, base),      F(STR, mt_rec_module, path),
    F(BUILD_ID, mt_rec_module, build_id), F(SEGMENTS, mt_rec_module, segments)};

static const mt__field unload_fields[] = {F(U64, mt_rec_unload, id), F(U64, mt_rec_unload, seq)};

static const mt__field thread_fields[] = {F(U32, mt_rec_thread, tid), F(U64, mt_rec_thread, seq),
                                          F(STR, mt_rec_thread, name)};

static const mt__field scan_fields[] = {
    F(U64, mt_rec_scan, seq),           F(U64, mt_rec_scan, time_ns),
    F(U64, mt_rec_scan, duration_ns),   F(U64, mt_rec_scan, blocks),
    F(U64, mt_rec_scan, root_bytes),    F(U64, mt_rec_scan, heap_bytes),
    FN(U64, mt_rec_scan, kind_bytes[0], "definite_bytes"), FN(U64, mt_rec_scan, kind_blocks[0], "definite_blocks"),
    FN(U64, mt_rec_scan, kind_bytes[1], "indirect_bytes"), FN(U64, mt_rec_scan, kind_blocks[1], "indirect_blocks"),
    FN(U64, mt_rec_scan, kind_bytes[2], "possible_bytes"), FN(U64, mt_rec_scan, kind_blocks[2], "possible_blocks"),
    FN(U64, mt_rec_scan, kind_bytes[3], "reachable_bytes"), FN(U64, mt_rec_scan, kind_blocks[3], "reachable_blocks")};

static const mt__field reach_fields[] = {FX(DADDR, mt_rec_reach, address), F(REACH, mt_rec_reach, kind)};

static const mt__field rss_fields[] = {F(U64, mt_rec_rss, seq), F(U64, mt_rec_rss, time_ns),
                                       F(U64, mt_rec_rss, rss_bytes)};

static const mt__field marker_fields[] = {F(U64, mt_rec_marker, seq), F(U64, mt_rec_marker, time_ns),
                                          F(STR, mt_rec_marker, label)};

static const mt__field fork_fields[] = {F(U64, mt_rec_fork, seq), F(U64, mt_rec_fork, time_ns),
                                        F(U32, mt_rec_fork, child_pid)};

static const mt__field exec_fields[] = {F(U64, mt_rec_exec, seq), F(U64, mt_rec_exec, time_ns),
                                        F(STR, mt_rec_exec, path)};

/* argv must hold exactly argc NUL-terminated strings. */
static const char *validate_process(const mt_record *rec) {
  const mt_rec_process *p = &rec->u.process;
  size_t nuls = 0;
  for (size_t i = 0; i < p->argv.len; i++) nuls += p->argv.data[i] == '\0';
  if (nuls != p->argc || (p->argv.len > 0 && p->argv.data[p->argv.len - 1] != '\0'))
    return "argv does not hold argc NUL-terminated strings";
  return NULL;
}

static const char *validate_stack(const mt_record *rec) {
  return rec->u.stack.id == 0 ? "stack node id 0" : NULL;
}

static const mt__record_layout layouts[] = {
    LAYOUT(CHUNK, "chunk", chunk_fields, NULL),
    LAYOUT(PROCESS, "process", process_fields, validate_process),
    LAYOUT(END, "end", end_fields, NULL),
    LAYOUT_FAST(ALLOC, "alloc", alloc_fields, NULL, mt__decode_fast_alloc),
    LAYOUT_FAST(FREE, "free", free_fields, NULL, mt__decode_fast_free),
    LAYOUT(REALLOC, "realloc", realloc_fields, NULL),
    LAYOUT_FAST(STACK, "stack", stack_fields, validate_stack, mt__decode_fast_stack),
    LAYOUT(MODULE, "module", module_fields, NULL),
    LAYOUT(UNLOAD, "unload", unload_fields, NULL),
    LAYOUT(THREAD, "thread", thread_fields, NULL),
    LAYOUT(SCAN, "scan", scan_fields, NULL),
    LAYOUT(REACH, "reach", reach_fields, NULL),
    LAYOUT(RSS, "rss", rss_fields, NULL),
    LAYOUT(MARKER, "marker", marker_fields, NULL),
    LAYOUT(FORK, "fork", fork_fields, NULL),
    LAYOUT(EXEC, "exec", exec_fields, NULL),
};

/* Format 1 differs from the current format in these layouts only. */
static const mt__record_layout v1_layouts[] = {
    LAYOUT(ALLOC, "alloc", v1_alloc_fields, NULL),
    LAYOUT(FREE, "free", v1_free_fields, NULL),
    LAYOUT(REALLOC, "realloc", v1_realloc_fields, NULL),
};

static const mt__record_layout *find_layout(const mt__record_layout *table, size_t n, int type) {
  for (size_t i = 0; i < n; i++)
    if (table[i].type == type) return &table[i];
  return NULL;
}

const mt__record_layout *mt__layout(int type) {
  return find_layout(layouts, sizeof(layouts) / sizeof(layouts[0]), type);
}

const mt__record_layout *mt__layout_of_major(int major, int type) {
  const mt__record_layout *old = NULL;
  if (major == 1) old = find_layout(v1_layouts, sizeof(v1_layouts) / sizeof(v1_layouts[0]), type);
  return old ? old : mt__layout(type);
}

const char *mt_record_type_name(int type) {
  const mt__record_layout *l = mt__layout(type);
  return l ? l->name : NULL;
}

static const struct {
  const char *name;
  int cls;
} alloc_kinds[] = {
#define KIND_ENTRY(name, value, text, cls) [value] = {text, MT_CLASS_##cls},
    MT_ALLOC_KIND_MAP(KIND_ENTRY)
#undef KIND_ENTRY
};

const char *mt_alloc_kind_name(int kind) {
  return kind >= 0 && kind < MT_ALLOC_KIND_COUNT ? alloc_kinds[kind].name : NULL;
}

int mt_alloc_kind_class(int kind) {
  return kind >= 0 && kind < MT_ALLOC_KIND_COUNT ? alloc_kinds[kind].cls : -1;
}

static const char *const reach_kinds[] = {
#define REACH_ENTRY(name, value, text) [value] = text,
    MT_REACH_KIND_MAP(REACH_ENTRY)
#undef REACH_ENTRY
};

const char *mt_reach_kind_name(int kind) {
  return kind >= 0 && kind < MT_REACH_KIND_COUNT ? reach_kinds[kind] : NULL;
}

const char *mt_strerror(int err) {
  switch (err) {
    case MT_OK: return "success";
#define ERR_TEXT(name, value, text) \
    case MT_##name: return text;
    MT_ERRNO_MAP(ERR_TEXT)
#undef ERR_TEXT
  }
  return "unknown error";
}

const char *mt_err_name(int err) {
  switch (err) {
    case MT_OK: return "MT_OK";
#define ERR_NAME(name, value, text) \
    case MT_##name: return "MT_" #name;
    MT_ERRNO_MAP(ERR_NAME)
#undef ERR_NAME
  }
  return "MT_UNKNOWN_ERROR";
}

mt_str mt_str_from(const char *s) {
  mt_str out = {s ? s : "", s ? strlen(s) : 0};
  return out;
}
