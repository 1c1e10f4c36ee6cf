/* SPDX-License-Identifier: MIT */
/* Fast unwinder for x86-64: each return address gets a cached rule, derived once from the
 * object's .eh_frame (found through PT_GNU_EH_FRAME), of the common form "CFA = rsp|rbp + k,
 * return address at CFA-8, caller's rbp at CFA+n or unchanged". A cached step is two loads.
 * Anything else (signal frames, DWARF expressions, code without unwind info) makes the whole
 * stack fall back to libunwind. The walk starts from the shim's own frame-pointer chain.
 * Each thread keeps the states of its last walk: a walk reaching one of them, with the stack
 * words read from there unchanged, takes the rest over (see "Reusing the last walk"); and
 * its recent walks with their stack ids, which a walk from the same first state repeats
 * (see "Recent walks"). The cache is dropped whenever a library is unloaded (dlclose hook). */
#include "internal.h"

#include <dlfcn.h>
#include <limits.h>
#include <link.h>
#include <string.h>

#define REG_RBP 6
#define REG_RSP 7
#define REG_RA 16
#define CACHE_INITIAL (1u << 12)
#define MAX_FRAME (16u << 20) /* a frame larger than this means we lost track */
#define LOG_MASK (MT_WALK_LOG - 1)

/* A walk's states take MT_WALK_STEPS + 1 places in the log at most, and skip to its start
 * rather than wrap: the new walk then never writes over the last one, which it reads. */
_Static_assert((MT_WALK_LOG & LOG_MASK) == 0 && MT_WALK_LOG >= 4 * (MT_WALK_STEPS + 1),
               "the walk log holds three walks at least, in a power of 2");

/* Rule kinds. RULE_NO_INFO: no FDE covers the address. libunwind then follows the rbp
 * chain, and takes rbp 0 for the outermost frame, as the ABI marks it: the loader's
 * _dl_start_user, which calls the libraries' constructors, has no FDE and clears rbp. A walk
 * ends there too (the frame kept), and goes to libunwind only when rbp is not 0. */
enum { RULE_STEP = 1, RULE_END = 2, RULE_FALLBACK = 3, RULE_NO_INFO = 4 };

/* Whether a walk ends at a state whose rule is not a step: @return 1 (the frame is the
 * last), or 0 for libunwind to take the stack. */
static inline int ends_walk(int kind, uintptr_t rbp) {
  return kind == RULE_END || (kind == RULE_NO_INFO && rbp == 0);
}

typedef mt_unwind_rule rule;

typedef struct {
  _Atomic uint64_t ip; /* 0: empty; published after the rule */
  rule r;
} rule_entry;

typedef struct rule_table {
  struct rule_table *older;
  size_t mask, count, bytes;
  rule_entry e[];
} rule_table;

static _Atomic(rule_table *) cache;
static mt_lock cache_lock;
static atomic_uint generation = 1; /* bumped when rules are dropped; 0 marks a fresh cache */

static uintptr_t self_lo, self_hi;

void mt__cfi_set_self(uintptr_t lo, uintptr_t hi) {
  self_lo = lo;
  self_hi = hi;
}

/* Reading DWARF ----------------------------------------------------------------------------- */

typedef struct {
  const uint8_t *p, *end;
  int bad;
} rd;

static uint64_t uleb(rd *r) {
  uint64_t v = 0;
  for (unsigned shift = 0; r->p < r->end && shift < 64; shift += 7) {
    uint8_t b = *r->p++;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80))
      return v;
  }
  r->bad = 1;
  return 0;
}

static int64_t sleb(rd *r) {
  int64_t v = 0;
  unsigned shift = 0;
  uint8_t b = 0x80;
  while (r->p < r->end && (b & 0x80) && shift < 64) {
    b = *r->p++;
    v |= (int64_t)(b & 0x7f) << shift;
    shift += 7;
  }
  if (b & 0x80) {
    r->bad = 1;
    return 0;
  }
  if (shift < 64 && (b & 0x40))
    v |= -((int64_t)1 << shift);
  return v;
}

static uint64_t fixed(rd *r, unsigned n) {
  if ((size_t)(r->end - r->p) < n) {
    r->bad = 1;
    return 0;
  }
  uint64_t v = 0;
  memcpy(&v, r->p, n); /* little-endian */
  r->p += n;
  return v;
}

/* A DW_EH_PE encoded pointer; datarel is relative to `data`. Indirect pointers are not
 * followed (only the personality uses them and we skip it). */
static uint64_t encoded(rd *r, uint8_t enc, uintptr_t data) {
  if (enc == 0xff) /* DW_EH_PE_omit */
    return 0;
  uintptr_t at = (uintptr_t)r->p;
  uint64_t v;
  switch (enc & 0x0f) {
  case 0x00: v = fixed(r, 8); break;                          /* absptr */
  case 0x01: v = uleb(r); break;                              /* uleb128 */
  case 0x02: v = fixed(r, 2); break;                          /* udata2 */
  case 0x03: v = fixed(r, 4); break;                          /* udata4 */
  case 0x04: v = fixed(r, 8); break;                          /* udata8 */
  case 0x09: v = (uint64_t)sleb(r); break;                    /* sleb128 */
  case 0x0a: v = (uint64_t)(int64_t)(int16_t)fixed(r, 2); break;
  case 0x0b: v = (uint64_t)(int64_t)(int32_t)fixed(r, 4); break;
  case 0x0c: v = fixed(r, 8); break;
  default: r->bad = 1; return 0;
  }
  switch (enc & 0x70) {
  case 0x00: break;
  case 0x10: v += at; break;   /* pcrel */
  case 0x30: v += data; break; /* datarel */
  default: r->bad = 1; break;
  }
  return v;
}

/* Finding the FDE ---------------------------------------------------------------------------- */

typedef struct {
  uintptr_t pc;
  const uint8_t *hdr; /* .eh_frame_hdr of the object holding pc */
  size_t hdr_len;
} find_ctx;

static int find_cb(struct dl_phdr_info *info, size_t size, void *arg) {
  (void)size;
  find_ctx *f = arg;
  int inside = 0;
  const ElfW(Phdr) *eh = NULL;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    uintptr_t start = info->dlpi_addr + ph->p_vaddr;
    if (ph->p_type == PT_LOAD && f->pc >= start && f->pc < start + ph->p_memsz)
      inside = 1;
    else if (ph->p_type == PT_GNU_EH_FRAME)
      eh = ph;
  }
  if (!inside)
    return 0;
  if (eh) {
    f->hdr = (const uint8_t *)(info->dlpi_addr + eh->p_vaddr);
    f->hdr_len = eh->p_memsz;
  }
  return 1;
}

/* The FDE that may cover pc (the last one starting at or before it) via the binary search
 * table of .eh_frame_hdr; NULL when none. *searched: 1 when pc lies in a module with such a
 * table (NULL then means no FDE covers pc), 0 when the module or its table is unknown. */
static const uint8_t *find_fde(uintptr_t pc, int *searched) {
  find_ctx f = {pc, NULL, 0};
  *searched = 0;
  dl_iterate_phdr(find_cb, &f);
  if (!f.hdr || f.hdr_len < 12 || f.hdr[0] != 1 || f.hdr[3] != 0x3b)
    return NULL; /* version 1 with a datarel sdata4 table is what every linker writes */
  rd r = {f.hdr + 4, f.hdr + f.hdr_len, 0};
  encoded(&r, f.hdr[1], (uintptr_t)f.hdr); /* eh_frame_ptr */
  uint64_t count = encoded(&r, f.hdr[2], (uintptr_t)f.hdr);
  if (r.bad || count == 0 || count > (size_t)(r.end - r.p) / 8)
    return NULL;
  *searched = 1;
  const int32_t *table = (const int32_t *)r.p;
  size_t lo = 0, hi = count;
  while (hi - lo > 1) {
    size_t mid = (lo + hi) / 2;
    if ((uintptr_t)f.hdr + table[2 * mid] <= pc)
      lo = mid;
    else
      hi = mid;
  }
  if ((uintptr_t)f.hdr + table[2 * lo] > pc)
    return NULL;
  return f.hdr + table[2 * lo + 1];
}

/* Running the CFA program ------------------------------------------------------------------- */

typedef struct {
  uint8_t cfa_reg;
  int64_t cfa_off;
  int cfa_expr;     /* CFA given by an expression: unsupported */
  int rbp_how;      /* 0 same value, 1 saved at CFA + rbp_off, 2 unsupported */
  int64_t rbp_off;
  int ra_how;       /* 0 undefined (end of stack), 1 at CFA + ra_off, 2 unsupported */
  int64_t ra_off;
} cfa_state;

typedef struct {
  uint64_t code_align;
  int64_t data_align;
  uint8_t fde_enc;
  int signal_frame;
  int has_z;        /* FDEs carry augmentation data */
  const uint8_t *insns, *insns_end;
} cie_info;

static int parse_cie(const uint8_t *cie, cie_info *ci) {
  rd r = {cie, cie + 4, 0};
  uint64_t len = fixed(&r, 4);
  if (len == 0 || len == 0xffffffff)
    return -1;
  r.end = cie + 4 + len;
  if (fixed(&r, 4) != 0) /* CIE id */
    return -1;
  uint8_t version = (uint8_t)fixed(&r, 1);
  const char *aug = (const char *)r.p;
  size_t auglen = strnlen(aug, (size_t)(r.end - r.p));
  r.p += auglen + 1;
  ci->code_align = uleb(&r);
  ci->data_align = sleb(&r);
  if (version == 1)
    fixed(&r, 1);
  else
    uleb(&r); /* return address register */
  ci->fde_enc = 0;
  ci->signal_frame = 0;
  ci->has_z = aug[0] == 'z';
  const uint8_t *aug_end = NULL;
  for (const char *a = aug; *a && !r.bad; a++) {
    switch (*a) {
    case 'z': {
      uint64_t n = uleb(&r);
      aug_end = r.p + n;
      break;
    }
    case 'R': ci->fde_enc = (uint8_t)fixed(&r, 1); break;
    case 'L': fixed(&r, 1); break;
    case 'P': {
      uint8_t enc = (uint8_t)fixed(&r, 1);
      encoded(&r, enc & 0x7f, 0);
      break;
    }
    case 'S': ci->signal_frame = 1; break;
    default:
      if (!aug_end)
        return -1;
      r.p = aug_end; /* unknown letters: skip the rest of the augmentation data */
      a = aug + auglen - 1;
      break;
    }
  }
  if (aug_end)
    r.p = aug_end;
  if (r.bad || r.p > r.end)
    return -1;
  ci->insns = r.p;
  ci->insns_end = r.end;
  return 0;
}

#define STATE_STACK 8

/* Run instructions until the row for pc; @return 0, or -1 for anything unsupported. */
static int run_cfa(const uint8_t *p, const uint8_t *end, const cie_info *ci, uintptr_t *loc,
                   uintptr_t pc, cfa_state *st, const cfa_state *initial) {
  cfa_state saved[STATE_STACK];
  int nsaved = 0;
  rd r = {p, end, 0};
  while (r.p < r.end && !r.bad) {
    uint8_t op = *r.p++;
    uint64_t reg = 0;
    int64_t off = 0;
    uint64_t adv = 0;
    switch (op >> 6) {
    case 1: adv = (op & 0x3f) * ci->code_align; goto advance;
    case 2: reg = op & 0x3f; off = (int64_t)uleb(&r) * ci->data_align; goto offset;
    case 3: reg = op & 0x3f; goto restore;
    }
    switch (op) {
    case 0x00: break;
    case 0x01: *loc = encoded(&r, ci->fde_enc, 0); if (*loc > pc) return 0; break;
    case 0x02: adv = fixed(&r, 1) * ci->code_align; goto advance;
    case 0x03: adv = fixed(&r, 2) * ci->code_align; goto advance;
    case 0x04: adv = fixed(&r, 4) * ci->code_align; goto advance;
    case 0x05: reg = uleb(&r); off = (int64_t)uleb(&r) * ci->data_align; goto offset;
    case 0x06: reg = uleb(&r); goto restore;
    case 0x07: /* undefined */
      reg = uleb(&r);
      if (reg == REG_RA)
        st->ra_how = 0;
      else if (reg == REG_RBP)
        st->rbp_how = 2;
      break;
    case 0x08: /* same value */
      reg = uleb(&r);
      if (reg == REG_RBP)
        st->rbp_how = 0;
      else if (reg == REG_RA)
        st->ra_how = 2;
      break;
    case 0x09: /* register */
      reg = uleb(&r);
      uleb(&r);
      if (reg == REG_RBP || reg == REG_RA)
        return -1;
      break;
    case 0x0a:
      if (nsaved == STATE_STACK)
        return -1;
      saved[nsaved++] = *st;
      break;
    case 0x0b:
      if (nsaved == 0)
        return -1;
      *st = saved[--nsaved];
      break;
    case 0x0c: st->cfa_reg = (uint8_t)uleb(&r); st->cfa_off = (int64_t)uleb(&r); st->cfa_expr = 0; break;
    case 0x0d: st->cfa_reg = (uint8_t)uleb(&r); st->cfa_expr = 0; break;
    case 0x0e: st->cfa_off = (int64_t)uleb(&r); break;
    case 0x0f: { /* def_cfa_expression */
      uint64_t n = uleb(&r);
      r.p += n;
      st->cfa_expr = 1;
      break;
    }
    case 0x10: case 0x16: { /* expression, val_expression */
      reg = uleb(&r);
      uint64_t n = uleb(&r);
      r.p += n;
      if (reg == REG_RBP)
        st->rbp_how = 2;
      if (reg == REG_RA)
        st->ra_how = 2;
      break;
    }
    case 0x11: reg = uleb(&r); off = sleb(&r) * ci->data_align; goto offset;
    case 0x12: st->cfa_reg = (uint8_t)uleb(&r); st->cfa_off = sleb(&r) * ci->data_align; st->cfa_expr = 0; break;
    case 0x13: st->cfa_off = sleb(&r) * ci->data_align; break;
    case 0x14: case 0x15: /* val_offset(_sf) */
      reg = uleb(&r);
      if (op == 0x14) uleb(&r); else sleb(&r);
      if (reg == REG_RBP || reg == REG_RA)
        return -1;
      break;
    case 0x2e: uleb(&r); break; /* GNU_args_size */
    case 0x2f: reg = uleb(&r); off = -(int64_t)uleb(&r) * ci->data_align; goto offset;
    default: return -1;
    }
    continue;
  advance:
    if (*loc + adv > pc)
      return 0;
    *loc += adv;
    continue;
  offset:
    if (reg == REG_RBP) {
      st->rbp_how = 1;
      st->rbp_off = off;
    } else if (reg == REG_RA) {
      st->ra_how = 1;
      st->ra_off = off;
    }
    continue;
  restore:
    if (!initial)
      return -1; /* restore inside the CIE itself */
    if (reg == REG_RBP) {
      st->rbp_how = initial->rbp_how;
      st->rbp_off = initial->rbp_off;
    } else if (reg == REG_RA) {
      st->ra_how = initial->ra_how;
      st->ra_off = initial->ra_off;
    }
    continue;
  }
  return r.bad ? -1 : 0;
}

/* Rule for a return address (pc = ip - 1 lies in the call instruction). */
static void derive(uintptr_t ip, rule *out) {
  uintptr_t pc = ip - 1;
  int searched;
  const uint8_t *fde = find_fde(pc, &searched);
  out->kind = searched ? RULE_NO_INFO : RULE_FALLBACK;
  if (!fde)
    return;
  out->kind = RULE_FALLBACK;
  rd r = {fde, fde + 4, 0};
  uint64_t len = fixed(&r, 4);
  if (len == 0 || len == 0xffffffff)
    return;
  r.end = fde + 4 + len;
  uint32_t cie_ptr = (uint32_t)fixed(&r, 4);
  cie_info ci;
  if (cie_ptr == 0 || parse_cie(fde + 4 - cie_ptr, &ci) != 0 || ci.signal_frame)
    return;
  uintptr_t begin = (uintptr_t)encoded(&r, ci.fde_enc, 0);
  uintptr_t range = (uintptr_t)encoded(&r, ci.fde_enc & 0x0f, 0);
  if (r.bad)
    return;
  if (pc < begin || pc >= begin + range) { /* between functions, or past the last */
    out->kind = RULE_NO_INFO;
    return;
  }
  /* FDE augmentation data (z): its length comes first when the CIE has one */
  const uint8_t *insns = r.p;
  if (ci.has_z) {
    uint64_t n = uleb(&r);
    insns = r.p + n;
  }
  if (r.bad || insns > r.end)
    return;
  cfa_state st = {REG_RSP, 8, 0, 0, 0, 2, 0};
  uintptr_t loc = begin;
  if (run_cfa(ci.insns, ci.insns_end, &ci, &loc, UINTPTR_MAX, &st, NULL) != 0)
    return;
  cfa_state initial = st;
  loc = begin;
  if (run_cfa(insns, r.end, &ci, &loc, pc, &st, &initial) != 0)
    return;
  if (st.ra_how == 0) {
    out->kind = RULE_END;
    return;
  }
  if (st.cfa_expr || st.ra_how != 1 || st.ra_off != -8 || st.rbp_how == 2 ||
      (st.cfa_reg != REG_RSP && st.cfa_reg != REG_RBP) || st.cfa_off < 8 ||
      st.cfa_off > (int64_t)MAX_FRAME || st.rbp_off < -32768 || st.rbp_off > 32767 ||
      (st.rbp_how == 1 && st.rbp_off == 0))
    return;
  out->cfa_reg = st.cfa_reg;
  out->cfa_off = (int32_t)st.cfa_off;
  out->rbp_off = st.rbp_how == 1 ? (int16_t)st.rbp_off : 0;
  out->kind = RULE_STEP;
}

/* Rule cache ----------------------------------------------------------------------------------- */

static inline size_t ip_slot(uintptr_t ip) {
  uint64_t h = (uint64_t)ip * 0x9E3779B97F4A7C15ull;
  return (size_t)(h ^ (h >> 29));
}

static rule_table *table_new(size_t cap) {
  size_t bytes = sizeof(rule_table) + cap * sizeof(rule_entry);
  rule_table *t = mt__os_reserve(bytes);
  if (t) {
    t->mask = cap - 1;
    t->bytes = bytes;
  }
  return t;
}

static void table_put(rule_table *t, const rule *v, uintptr_t ip) {
  size_t i = ip_slot(ip) & t->mask;
  while (atomic_load_explicit(&t->e[i].ip, memory_order_relaxed))
    i = (i + 1) & t->mask;
  t->e[i].r = *v;
  atomic_store_explicit(&t->e[i].ip, ip, memory_order_release);
  t->count++;
}

static rule lookup_slow(uintptr_t ip) {
  rule v = {0};
  derive(ip, &v);
  mt__lock(&cache_lock);
  rule_table *t = atomic_load_explicit(&cache, memory_order_relaxed);
  if (!t || (t->count + 1) * 2 > t->mask + 1) {
    rule_table *bigger = table_new(t ? (t->mask + 1) * 2 : CACHE_INITIAL);
    if (bigger && t) {
      for (size_t i = 0; i <= t->mask; i++) {
        uintptr_t k = atomic_load_explicit(&t->e[i].ip, memory_order_relaxed);
        if (k)
          table_put(bigger, &t->e[i].r, k);
      }
      bigger->older = t;
    }
    if (bigger) {
      atomic_store_explicit(&cache, bigger, memory_order_release);
      t = bigger;
    }
  }
  if (t && (t->count + 1) * 8 <= (t->mask + 1) * 7) {
    size_t i = ip_slot(ip) & t->mask;
    uintptr_t k;
    while ((k = atomic_load_explicit(&t->e[i].ip, memory_order_relaxed)) != 0 && k != ip)
      i = (i + 1) & t->mask;
    if (!k)
      table_put(t, &v, ip);
  }
  mt__unlock(&cache_lock);
  return v;
}

static inline rule lookup(uintptr_t ip) {
  rule_table *t = atomic_load_explicit(&cache, memory_order_acquire);
  if (mt_likely(t != NULL)) {
    for (size_t i = ip_slot(ip) & t->mask;; i = (i + 1) & t->mask) {
      uintptr_t k = atomic_load_explicit(&t->e[i].ip, memory_order_acquire);
      if (k == ip)
        return t->e[i].r;
      if (!k)
        break;
    }
  }
  return lookup_slow(ip);
}

/* The thread's direct-mapped cache in front of the shared table: hot return addresses stay
 * in L1 and no other thread writes these lines. A walk is a chain of dependent loads (return
 * address, its rule, the next return address), so the slot is just the address's low bits,
 * scaled by a shift and a mask, and the rule is read in place, on the key's cache line. */
static inline mt_unwind_l1_entry *l1_slot(mt_unwind_l1 *l1, uintptr_t ip) {
  const size_t size = sizeof(mt_unwind_l1_entry);
  return (mt_unwind_l1_entry *)((char *)l1->e + ((ip * size) & ((MT_UNWIND_L1 - 1) * size)));
}

static inline const mt_unwind_l1_entry *lookup_l1(mt_unwind_l1 *l1, uintptr_t ip) {
  mt_unwind_l1_entry *e = l1_slot(l1, ip);
  if (mt_unlikely(e->ip != ip)) {
    e->rule = lookup(ip);
    e->ip = ip;
  }
  return e;
}

/* Step from the state (ip, sp, rbp) to the caller's by rule r. @return 0, or 1 when the
 * walk lost track (CFA at or below sp, or too far: a stack switch, a corrupt frame); the
 * state is then unchanged. */
static inline int step(const rule *r, uintptr_t *ip, uintptr_t *sp, uintptr_t *rbp) {
  uintptr_t cfa = (r->cfa_reg == REG_RSP ? *sp : *rbp) + (uintptr_t)(intptr_t)r->cfa_off;
  if (mt_unlikely(cfa - *sp - 1 >= MAX_FRAME))
    return 1;
  *ip = *(const uintptr_t *)(cfa - 8);
  if (r->rbp_off)
    *rbp = *(const uintptr_t *)(cfa + (intptr_t)r->rbp_off);
  *sp = cfa;
  return 0;
}

/* Walk the program's frames from the first return address outside the shim, without the
 * thread's cache (the shared tbuf of exiting threads). */
static int walk_plain(uintptr_t ip, uintptr_t sp, uintptr_t rbp, uintptr_t *ips, int max,
                      uintptr_t lo, uintptr_t hi) {
  int n = 0;
  for (int steps = 0; steps < MT_WALK_STEPS && n < max && ip; steps++) {
    rule r = lookup(ip);
    ips[n] = ip;
    n += ip - lo >= hi - lo; /* a shim frame (the main() wrapper) is overwritten */
    if (r.kind != RULE_STEP) {
      if (ends_walk(r.kind, rbp))
        break;
      return -1;
    }
    if (step(&r, &ip, &sp, &rbp))
      break; /* keep what we have */
  }
  return n;
}

/* Reusing the last walk ----------------------------------------------------------------- */
/* A step depends only on its state (ip, sp, rbp), the rule for ip and the one or two stack
 * words it reads. So when a walk reaches a state of the thread's last walk, the rest of that
 * walk is this one's too, provided every word its later steps read still holds the value
 * read then: a check of independent loads instead of a chain of dependent ones. A frame that
 * returned and was called again from elsewhere at the same depth fails the check: its
 * return address changed. A loop allocating at one call site repeats the whole walk
 * (alloc_storm: 310K of 402K walks); on clang++, consecutive stacks share their callers:
 * 13.7M of its 17M frames are taken over, 3.4M walked. */

/* How a walk ended at its last state. */
enum { WALK_LIMIT,   /* at a limit (steps, frames wanted) */
       WALK_RULE,    /* by the state's rule, or lost track: its ip is the last frame */
       WALK_ROOT,    /* at return address 0, the outermost frame's caller */
       WALK_NO_INFO  /* at a frame without an FDE whose rbp is 0 */ };

/* The first step of walk `w` from `from` on (before `to`) whose stack words no longer hold
 * what that walk read, or `to`. It stops there: a walk from a changed state reads other
 * words, and the ones the old walk read after it may no longer be mapped. Until then it
 * reads exactly what a walk from state `from` would. */
static int first_change(const mt_walk_state *w, int from, int to) {
  for (int j = from; j < to; j++) {
    const mt_walk_state *next = &w[j + 1];
    if (*(const uintptr_t *)(next->sp - 8) != next->ip)
      return j;
    if (w[j].rbp_off && *(const uintptr_t *)(next->sp + (intptr_t)w[j].rbp_off) != next->rbp)
      return j;
  }
  return to;
}

/* Does the end of walk `w` at state `steps` depend on that state's rbp? */
static int end_reads_rbp(const mt_walk_state *w, int steps, int end) {
  if (end == WALK_ROOT)
    return 0;
  if (end == WALK_RULE)
    return w[steps].cfa_by_rbp;
  return 1; /* stopped at a limit (a longer walk would go on with this rbp), or by rbp 0 */
}

/* Does the rbp of state k of walk `w` (of `steps` steps, ended by `end`) change the rest of
 * that walk? Not when the rules up to the next reload of rbp take their CFA from rsp: in
 * code built without frame pointers rbp holds data, different at every call. */
static int rbp_matters(const mt_walk_state *w, int k, int steps, int end) {
  for (int j = k; j < steps; j++) {
    if (w[j].cfa_by_rbp)
      return 1;
    if (w[j].rbp_off)
      return 0;
  }
  return end_reads_rbp(w, steps, end);
}

/* Fewer states left in the last walk than this are walked: looking for them costs more
 * than the steps (sqlite3's shallow stacks ran 3% more instructions). */
#define TAKE_MIN 8
#define PREFETCH_MIN_STEPS 16 /* shallower stacks stay in cache between walks */

/* This walk is at state `steps` (n frames so far), which is state k of the last walk. The
 * states of the last walk from there on are this walk's too, as long as the words their
 * steps read still hold what that walk read: take them, and their frames (a shim frame's
 * state is taken without its frame). Stops before a state that needs the walk's own care:
 * at a changed word, at the limits, at the last walk's final state. @return the steps
 * taken; state steps + taken (= last state k + taken) is written, for the walk to go on
 * from, *frames tells how many frames were added to ips, *shim is lowered to this walk's
 * first shim state among those taken, and *shims counts them. */
static int take_last(const mt_unwind_l1 *l1, int k, mt_walk_state *w, int steps,
                     uintptr_t *ips, int n, int max, int *frames, int *shim, int *shims) {
  const mt_walk_state *last = &l1->log[l1->last_at & LOG_MASK];
  int stop = l1->last_steps;
  if (stop > k + (MT_WALK_STEPS - steps))
    stop = k + (MT_WALK_STEPS - steps);
  if (stop > k + (max - n))
    stop = k + (max - n);
  const int taken = stop > k ? first_change(last, k, stop) - k : 0;
  if (!taken)
    return 0;
  /* this walk's rbp holds until a step reloads it (or the state would not have matched) */
  const uintptr_t rbp = w[steps].rbp;
  memcpy(&w[steps], &last[k], (size_t)(taken + 1) * sizeof *w);
  for (int i = 0; i <= taken; i++) {
    w[steps + i].rbp = rbp;
    if (last[k + i].rbp_off)
      break;
  }
  const int s = l1->last_shim; /* its first shim state: the main() wrapper, near the root */
  if (l1->last_shims <= 1 || s >= k + taken) { /* at most one shim state, s, is taken */
#pragma GCC unroll 4
    for (int i = 0; i < taken; i++)
      ips[n + i] = last[k + i].ip;
    *frames = taken;
    if (s >= k && s < k + taken) {
      for (int i = s - k; i < taken - 1; i++) /* the few outermost frames move over its frame */
        ips[n + i] = ips[n + i + 1];
      *frames = taken - 1;
      *shim = *shim < steps + s - k ? *shim : steps + s - k;
      ++*shims;
    }
  } else {
    int m = n;
    for (int i = 0; i < taken; i++) {
      ips[m] = last[k + i].ip;
      if (!last[k + i].shim_frame) {
        m++;
      } else {
        *shim = *shim < steps + i ? *shim : steps + i;
        ++*shims;
      }
    }
    *frames = m - n;
  }
  return taken;
}

/* Recent walks ------------------------------------------------------------------------ */
/* A loop allocating at a few call sites by turns repeats walks, but not the last one:
 * sqlite3's inserts alternate between two stacks, 200,000 times each. So the thread writes
 * its walks to a log, and keeps its recent ones, with their stack ids, in a small cache by
 * first state. A walk from the first state of one of them, whose words still hold what that
 * one read, is that walk again: its stack id is known without walking or interning. */

static inline mt_walk_entry *recent_set(mt_unwind_l1 *l1, uintptr_t ip, uintptr_t sp) {
  uint64_t h = (ip ^ (sp << 7)) * 0x9E3779B97F4A7C15ull;
  return l1->recent[h >> 59];
}
_Static_assert(MT_WALK_SETS == 32, "recent_set takes 5 bits");

/* Would a walk from state (w[0].ip, w[0].sp, rbp) give walk w (states 0..steps, ended by
 * `end`) again? Its return addresses must be unchanged, and the rbp values that decide its
 * frames: a saved rbp is compared only once a step takes its CFA from it, or the end reads
 * it. In code built without frame pointers rbp holds data, different at every call. The
 * words are read in the walk's order, up to the first change: until then they are the words
 * that walk would read. */
static int holds(const mt_walk_state *w, int steps, int end, uintptr_t rbp) {
  const uintptr_t *rbp_at = &rbp; /* where the state's rbp comes from, and its old value */
  uintptr_t rbp_was = w[0].rbp;
  for (int j = 0; j < steps; j++) {
    if (w[j].cfa_by_rbp && *rbp_at != rbp_was)
      return 0;
    const mt_walk_state *next = &w[j + 1];
    if (*(const uintptr_t *)(next->sp - 8) != next->ip)
      return 0;
    if (w[j].rbp_off) {
      rbp_at = (const uintptr_t *)(next->sp + (intptr_t)w[j].rbp_off);
      rbp_was = next->rbp;
    }
  }
  return !end_reads_rbp(w, steps, end) || *rbp_at == rbp_was;
}

/* The stack id of a recent walk that a walk from (ip, sp, rbp) would give again, or 0. */
static uint64_t recent_find(mt_unwind_l1 *l1, uintptr_t ip, uintptr_t sp, uintptr_t rbp) {
  mt_walk_entry *set = recent_set(l1, ip, sp);
  for (int i = 0; i < MT_WALK_WAYS; i++) {
    const mt_walk_entry *e = &set[i];
    if (e->ip == ip && e->sp == sp && e->stack && l1->head - e->at <= MT_WALK_LOG &&
        holds(&l1->log[e->at & LOG_MASK], e->steps, e->end, rbp)) {
      if (i) { /* to the front */
        const mt_walk_entry found = *e;
        memmove(&set[1], &set[0], (size_t)i * sizeof *set);
        set[0] = found;
      }
      return set[0].stack;
    }
  }
  return 0; /* (an entry whose states later walks wrote over is gone) */
}

/* Walk with the thread's cache and its last walk; logs this walk's states for the next. */
static int walk_cached(uintptr_t ip, uintptr_t sp, uintptr_t rbp, uintptr_t *ips, int max,
                       mt_unwind_l1 *l1, uintptr_t lo, uintptr_t hi) {
  l1->known = recent_find(l1, ip, sp, rbp);
  if (l1->known)
    return 0; /* a recent walk again: the caller takes its stack id, ips is left alone */
  const mt_walk_state *last = &l1->log[l1->last_at & LOG_MASK];
  const int last_steps = l1->last_steps;
  uint64_t at = l1->head; /* this walk's states: log positions at.. */
  if ((at & LOG_MASK) + MT_WALK_STEPS + 1 > MT_WALK_LOG)
    at = (at | LOG_MASK) + 1; /* in one piece */
  mt_walk_state *w = &l1->log[at & LOG_MASK];
  int n = 0, steps = 0, end, k = 0, shim = INT_MAX, shims = 0;
  int root_at = -1, root_n = 0; /* the state where a take-over reached the last walk's end */
  /* sp only grows along a walk: the last walk's states below sp can no longer be reached,
   * and this walk may reach state k when its sp gets to last[k].sp */
  uintptr_t next_sp = last_steps >= TAKE_MIN ? last[0].sp : UINTPTR_MAX;
  if (last_steps >= PREFETCH_MIN_STEPS) {
    /* A deep stack's outer lines have often left the cache since the last walk, and this
     * walk likely checks or reads them: ask for them all at once, while the first steps are
     * walked (perf: the unwinder's share 6.9% -> 5.7% when it walked them all). A prefetch
     * never faults. */
#pragma GCC unroll 4
    for (int j = 0; j <= last_steps; j++)
      __builtin_prefetch((const void *)(last[j].sp - 8));
  }
  for (;;) {
    w[steps] = (mt_walk_state){ip, sp, rbp, 0, 0, 0};
    if (steps >= MT_WALK_STEPS || n >= max || !ip) {
      end = ip ? WALK_LIMIT : WALK_ROOT;
      break;
    }
    if (mt_unlikely(sp >= next_sp)) {
      while (k <= last_steps && last[k].sp < sp)
        k++;
      int taken = 0, frames = 0;
      if (k <= last_steps && last[k].sp == sp) {
        if (last[k].ip == ip &&
            (last[k].rbp == rbp || !rbp_matters(last, k, last_steps, l1->last_end)))
          taken = take_last(l1, k, w, steps, ips, n, max, &frames, &shim, &shims);
        if (taken && k + taken == last_steps) {
          root_at = steps + taken;
          root_n = n;
        }
        k += taken + 1; /* state k (now this walk's) takes a step of its own */
      }
      next_sp = k <= last_steps - TAKE_MIN ? last[k].sp : UINTPTR_MAX;
      if (taken) {
        steps += taken;
        n += frames;
        ip = w[steps].ip;
        sp = w[steps].sp;
        rbp = w[steps].rbp;
        continue; /* a limit may stop the walk at this state */
      }
    }
    const mt_unwind_l1_entry *e = lookup_l1(l1, ip);
    ips[n] = ip;
    if (mt_unlikely(ip - lo < hi - lo)) { /* a shim frame (the main() wrapper) is overwritten */
      shim = shim < steps ? shim : steps;
      shims++;
      w[steps].shim_frame = 1;
      n--;
    }
    n++;
    if (mt_unlikely(e->rule.kind != RULE_STEP)) {
      if (ends_walk(e->rule.kind, rbp)) {
        end = e->rule.kind == RULE_END ? WALK_RULE : WALK_NO_INFO;
        break;
      }
      l1->head = at + MT_WALK_STEPS + 1; /* entries whose states it wrote over are gone */
      return -1;
    }
    w[steps].cfa_by_rbp = e->rule.cfa_reg != REG_RSP;
    w[steps].rbp_off = e->rule.rbp_off; /* read only for states stepped from */
    if (step(&e->rule, &ip, &sp, &rbp)) {
      end = WALK_RULE; /* lost track: keep what we have */
      break;
    }
    steps++;
  }
  /* Ended where the last walk ended, and as it did: the frames from the take-over on are its
   * outermost frames, and the stack table need not compare them again. */
  l1->same_root = steps == root_at && end == l1->last_end ? n - root_n : 0;
  l1->last_at = at;
  l1->head = at + (uint64_t)steps + 1;
  l1->last_steps = steps;
  l1->last_end = end;
  l1->last_shim = shim;
  l1->last_shims = shims;
  l1->walked = 1;
  return n;
}

static int unwind(uintptr_t *ips, int max, mt_unwind_l1 *l1) {
  const uintptr_t lo = self_lo, hi = self_hi;
  if (!hi)
    return -1;
  unsigned gen = atomic_load_explicit(&generation, memory_order_acquire);
  if (l1 && mt_unlikely(gen != l1->generation)) {
    memset(l1->e, 0, sizeof l1->e);
    l1->generation = gen;
    mt__cfi_forget(l1); /* their steps used rules now dropped */
  }
  /* Leave the shim along its frame-pointer chain (it is built with frame pointers). */
  const uintptr_t *fp = __builtin_frame_address(0);
  for (int i = 0; i < 32 && fp[1] - lo < hi - lo; i++) {
    const uintptr_t *next = (const uintptr_t *)fp[0];
    if (next <= fp || (uintptr_t)next - (uintptr_t)fp > MAX_FRAME)
      return -1;
    fp = next;
  }
  uintptr_t ip = fp[1], sp = (uintptr_t)(fp + 2), rbp = fp[0];
  if (ip - lo < hi - lo)
    return -1;
  if (mt_likely(l1 != NULL))
    return walk_cached(ip, sp, rbp, ips, max, l1, lo, hi);
  return walk_plain(ip, sp, rbp, ips, max, lo, hi);
}

int mt__cfi_unwind(uintptr_t *ips, int max, mt_unwind_l1 *l1) {
  int n = unwind(ips, max, l1);
  if (n < 0 && l1)
    l1->last_steps = -1; /* libunwind takes this stack: it is not the last walk's */
  return n;
}

void mt__cfi_remember(mt_unwind_l1 *l1, uint64_t stack) {
  if (!l1->walked)
    return;
  const mt_walk_state *w = &l1->log[l1->last_at & LOG_MASK];
  mt_walk_entry *set = recent_set(l1, w[0].ip, w[0].sp);
  memmove(&set[1], &set[0], (MT_WALK_WAYS - 1) * sizeof *set); /* the least recent leaves */
  set[0] = (mt_walk_entry){w[0].ip, w[0].sp, stack, l1->last_at, l1->last_steps, l1->last_end};
}

void mt__cfi_forget(mt_unwind_l1 *l1) {
  l1->last_steps = -1;
  memset(l1->recent, 0, sizeof l1->recent);
}

/* Unloading a library may put other code at the same addresses: forget every rule. */
void mt__cfi_invalidate(void) {
  mt__lock(&cache_lock);
  atomic_store_explicit(&cache, NULL, memory_order_release); /* old tables stay readable */
  atomic_fetch_add_explicit(&generation, 1, memory_order_release);
  mt__unlock(&cache_lock);
}

void mt__cfi_reset_after_fork(void) { mt__lock_init(&cache_lock); }
