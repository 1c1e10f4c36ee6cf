/* SPDX-License-Identifier: MIT */
/* The module map: MODULE records (path, build-id, load bias, PT_LOAD segments) for every
 * loaded object, vdso included, and UNLOAD when one disappears. dl_iterate_phdr's adds/subs
 * counters tell cheaply whether anything changed; the writer thread checks them every flush
 * interval and the recording path after it creates a new stack (new code often means a new
 * library); dlclose is hooked to record UNLOAD at once and drop cached unwind rules (dlopen
 * is not hooked: glibc resolves a dlopen's search path from its caller's address). We never
 * take our module lock before the loader's lock, only inside it. */
#include "internal.h"

#include <elf.h>
#include <link.h>
#include <stddef.h>
#include <string.h>

#define MODULES_MAX 8192

typedef struct {
  uint64_t id;
  uintptr_t base;
  uintptr_t phdr;
  uint32_t generation; /* scan that last saw it */
  int unloaded;
} module;

mt_lock mt__module_lock;
static module *mods;
static size_t nmods;
static uint64_t next_module_id = 1;
static uint32_t generation;
static atomic_int scanning;
static unsigned long long seen_adds, seen_subs;

typedef struct {
  mt_tbuf *tb;
  int index;
  unsigned long long adds, subs;
} scan_ctx;

static int counters_cb(struct dl_phdr_info *info, size_t size, void *arg) {
  unsigned long long *c = arg;
  if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs) {
    c[0] = info->dlpi_adds;
    c[1] = info->dlpi_subs;
  }
  return 1;
}

/* Build-id from a PT_NOTE that lies inside a loaded segment (so reading it is safe). */
static uint32_t build_id(const struct dl_phdr_info *info, uint8_t *out) {
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *note = &info->dlpi_phdr[i];
    if (note->p_type != PT_NOTE)
      continue;
    int mapped = 0;
    for (int j = 0; j < info->dlpi_phnum; j++) {
      const ElfW(Phdr) *l = &info->dlpi_phdr[j];
      if (l->p_type == PT_LOAD && note->p_vaddr >= l->p_vaddr &&
          note->p_vaddr + note->p_memsz <= l->p_vaddr + l->p_memsz)
        mapped = 1;
    }
    if (!mapped)
      continue;
    size_t align = note->p_align == 8 ? 8 : 4;
    const uint8_t *p = (const uint8_t *)(info->dlpi_addr + note->p_vaddr);
    const uint8_t *end = p + note->p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
      const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
      const uint8_t *name = p + sizeof *nh;
      const uint8_t *desc = name + ((nh->n_namesz + align - 1) & ~(align - 1));
      const uint8_t *next = desc + ((nh->n_descsz + align - 1) & ~(align - 1));
      if (next > end || next <= p)
        break;
      if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
        uint32_t n = nh->n_descsz > MT_BUILD_ID_MAX ? MT_BUILD_ID_MAX : nh->n_descsz;
        memcpy(out, desc, n);
        return n;
      }
      p = next;
    }
  }
  return 0;
}

static module *find(uintptr_t base, uintptr_t phdr) {
  for (size_t i = 0; i < nmods; i++)
    if (!mods[i].unloaded && mods[i].base == base && mods[i].phdr == phdr)
      return &mods[i];
  return NULL;
}

static void note_self(const struct dl_phdr_info *info) {
  uintptr_t self = (uintptr_t)&mt__modules_scan;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    uintptr_t start = info->dlpi_addr + ph->p_vaddr;
    if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && self >= start &&
        self < start + ph->p_memsz)
      mt__unwind_set_self(start, start + ph->p_memsz);
  }
}

static void emit_module(mt_tbuf *tb, const struct dl_phdr_info *info, int index, uint64_t id) {
  static mt_record r; /* large (segments, build-id): callers are serialised by `scanning` */
  memset(&r, 0, sizeof r);
  r.type = MT_REC_MODULE;
  mt_rec_module *m = &r.u.module;
  m->id = id;
  m->base = info->dlpi_addr;
  const char *path = info->dlpi_name ? info->dlpi_name : "";
  if (index == 0 && !*path)
    path = mt__g.exe_path;
  m->path = mt_str_from(path);
  m->build_id_len = build_id(info, m->build_id);
  for (int i = 0; i < info->dlpi_phnum && m->nsegments < MT_SEGMENTS_MAX; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD)
      continue;
    mt_segment *s = &m->segments[m->nsegments++];
    s->vaddr = ph->p_vaddr;
    s->memsz = ph->p_memsz;
    s->file_offset = ph->p_offset;
    s->flags = ph->p_flags;
  }
  mt__lock(&tb->lock);
  m->seq = mt__seq_next(); /* under the lock: numbers rise within a chunk */
  mt__tbuf_put_locked(tb, &r);
  mt__unlock(&tb->lock);
}

static int scan_cb(struct dl_phdr_info *info, size_t size, void *arg) {
  scan_ctx *ctx = arg;
  int index = ctx->index++;
  if (index == 0 && size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs) {
    ctx->adds = info->dlpi_adds;
    ctx->subs = info->dlpi_subs;
  }
  note_self(info);
  mt__lock(&mt__module_lock);
  module *m = find(info->dlpi_addr, (uintptr_t)info->dlpi_phdr);
  uint64_t id = 0;
  if (m) {
    m->generation = generation;
  } else if (nmods < MODULES_MAX) {
    m = &mods[nmods++];
    m->id = id = next_module_id++;
    m->base = info->dlpi_addr;
    m->phdr = (uintptr_t)info->dlpi_phdr;
    m->generation = generation;
    m->unloaded = 0;
  }
  mt__unlock(&mt__module_lock);
  if (id)
    emit_module(ctx->tb, info, index, id);
  return 0;
}

void mt__modules_scan(mt_tbuf *tb, int force) {
  if (!force) {
    unsigned long long c[2] = {0, 0};
    dl_iterate_phdr(counters_cb, c);
    if (c[0] == seen_adds && c[1] == seen_subs)
      return;
  }
  int expected = 0;
  if (!atomic_compare_exchange_strong(&scanning, &expected, 1))
    return; /* another thread is scanning right now */
  if (!mods)
    mods = mt__os_reserve(MODULES_MAX * sizeof(module));
  if (mods) {
    generation++;
    scan_ctx ctx = {tb, 0, 0, 0};
    dl_iterate_phdr(scan_cb, &ctx);
    seen_adds = ctx.adds;
    seen_subs = ctx.subs;
    mt_record r = {.type = MT_REC_UNLOAD};
    for (size_t i = 0; i < nmods; i++) {
      mt__lock(&mt__module_lock);
      int gone = !mods[i].unloaded && mods[i].generation != generation;
      if (gone)
        mods[i].unloaded = 1;
      mt__unlock(&mt__module_lock);
      if (!gone)
        continue;
      r.u.unload.id = mods[i].id;
      mt__lock(&tb->lock);
      r.u.unload.seq = mt__seq_next();
      mt__tbuf_put_locked(tb, &r);
      mt__unlock(&tb->lock);
    }
  }
  atomic_store(&scanning, 0);
}

void mt__modules_reset(void) {
  mt__lock_init(&mt__module_lock);
  nmods = 0;
  next_module_id = 1;
  seen_adds = seen_subs = 0;
  atomic_store(&scanning, 0);
}

MT_EXPORT int dlclose(void *handle) {
  mt__real_resolve();
  int rc = mt__real.dlclose(handle);
  int tracking = mt__tracking();
  mt__tls.guard++;
  mt__cfi_invalidate();
  mt_tbuf *tb = rc == 0 && tracking ? mt__tbuf_get() : NULL;
  if (tb)
    mt__modules_scan(tb, 0);
  mt__tls.guard--;
  return rc;
}
