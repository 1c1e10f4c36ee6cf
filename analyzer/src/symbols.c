/* SPDX-License-Identifier: MIT */
/* libdwfl symbolizer: one offline Dwfl per trace; each module's file is found by build-id under
 * the debug paths, then by path under the sysroot, and checked against the recorded build-id.
 * Inlined frames come from the DWARF scopes at the address, as eu-addr2line -i finds them,
 * through an index of each compile unit's functions (scopes.h). */
#include "symbols.h"

#include "cuindex.h"
#include "inflate.h"
#include "scopes.h"

#include <dwarf.h>
#include <errno.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A function symbol at its runtime address. */
typedef struct {
  uint64_t addr, size;
  const char *name;
  int rank;               /* binding preference among aliases: global 0, weak 1, local 2 */
} sym_entry;

typedef struct {
  uint64_t id, base, lo, hi, load_seq;
  char *path;
  uint8_t build_id[MT_BUILD_ID_MAX];
  uint32_t build_id_len;
  char *file;             /* file used for symbols, NULL when none */
  Dwfl_Module *dm;
  sym_entry *syms;        /* sorted by address, built on first lookup (libdw's own lookup
                           * scans the whole table each time: too slow for libLLVM) */
  size_t nsyms;
  int syms_built;
  mt__cu_index units;     /* its compile units by address, when it has no .debug_aranges */
  int prefetched;         /* its DWARF sections were queued for decompression, as group */
  int group;
} sym_module;

struct mt__symbolizer {
  Dwfl *dwfl;
  Dwfl_Callbacks callbacks;
  char *debuginfo_path;   /* for dwfl_standard_find_debuginfo and find_debuginfo */
  char *debug_root;       /* the --debug-path, or NULL */
  char *sysroot;
  sym_module *mods;
  size_t nmods, capmods;
  size_t nreported;       /* mods[0..nreported) were reported to dwfl */
  int dwfl_failed;
  mt__inflater *inflater;
  mt__scope_index *scopes;
  char name[4096], name2[4096], fallback[512];
};

/* Is there a file dir[/sub]/name other than the module's own file? A name too long to check
 * counts as one (libdwfl would fail on it with an error of its own). */
static int other_file(const struct stat *self, const char *dir, size_t dirlen, const char *sub,
                      size_t sublen, const char *name) {
  char path[4096];
  int n = snprintf(path, sizeof path, "%.*s%s%.*s/%s", (int)dirlen, dir, sub ? "/" : "",
                   (int)sublen, sub ? sub : "", name);
  struct stat st;
  if (n < 0 || (size_t)n >= sizeof path) return 1;
  if (stat(path, &st) != 0) return 0;
  return st.st_ino != self->st_ino || st.st_dev != self->st_dev;
}

/* Could the path search of dwfl_standard_find_debuginfo find anything for file? Tries a
 * superset of its candidates: the debuglink (or the file's name plus ".debug"), its base name
 * and the file's name, in the file's directory, in each relative entry of the debuginfo path
 * under that directory, in each absolute entry alone or followed by any tail of that directory
 * ("usr/lib/x", "lib/x", "x"), and in ".dwz" under the directory and the absolute entries. */
static int may_find_in_path(const char *file, const char *debuglink, const char *debuginfo_path) {
  const char *slash = strrchr(file, '/');
  struct stat self;
  if (file[0] != '/' || stat(file, &self) != 0) return 1; /* not worth a guess */
  const char *base = slash + 1;
  size_t dirlen = (size_t)(slash - file);
  char invented[1024];
  snprintf(invented, sizeof invented, "%s.debug", base);
  const char *link_base = debuglink ? strrchr(debuglink, '/') : NULL;
  const char *names[] = {debuglink ? debuglink : invented, link_base ? link_base + 1 : base, base};
  for (const char *p = debuginfo_path; p; p = strchr(p, ':') ? strchr(p, ':') + 1 : NULL) {
    if (*p == '+' || *p == '-') p++;
    size_t len = strcspn(p, ":");
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
      const char *n = names[i];
      if (*p != '/') {
        if (other_file(&self, file, dirlen, len ? p : NULL, len, n) ||
            other_file(&self, file, dirlen, ".dwz", 4, n))
          return 1;
        continue;
      }
      if (other_file(&self, p, len, NULL, 0, n) || other_file(&self, p, len, ".dwz", 4, n))
        return 1;
      for (const char *tail = file; tail < slash; tail = strchr(tail + 1, '/'))
        if (other_file(&self, p, len, tail + 1, (size_t)(slash - tail - 1), n)) return 1;
    }
  }
  return 0;
}

/* dwfl_standard_find_debuginfo without its last resort, the debuginfod client, when no server is
 * configured: libdwfl would dlopen libdebuginfod (with libcurl, gnutls and krb5: 10 ms or more)
 * only to hear that there is none. Looks up the build-id as it does, then runs it only if its
 * path search may find a file; with DEBUGINFOD_URLS set it runs as it is. */
static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, GElf_Addr base,
                          const char *file, const char *debuglink, GElf_Word crc,
                          char **debuginfo_file) {
  const char *urls = getenv("DEBUGINFOD_URLS");
  if (urls && urls[0])
    return dwfl_standard_find_debuginfo(mod, userdata, modname, base, file, debuglink, crc,
                                        debuginfo_file);
  const unsigned char *bits;
  GElf_Addr vaddr;
  if (dwfl_module_build_id(mod, &bits, &vaddr) > 0) {
    int fd = dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file, debuglink, crc,
                                          debuginfo_file);
    if (fd >= 0 || errno != 0) return fd;
  }
  const mt__symbolizer *s = *userdata; /* set by report_module */
  char *canon = file ? realpath(file, NULL) : NULL;
  int may = !s || !file || may_find_in_path(file, debuglink, s->debuginfo_path) ||
            (canon && may_find_in_path(canon, debuglink, s->debuginfo_path));
  free(canon);
  if (may)
    return dwfl_standard_find_debuginfo(mod, userdata, modname, base, file, debuglink, crc,
                                        debuginfo_file);
  errno = 0;
  return -1;
}

int mt__sym_create(mt__symbolizer **out, const mt__symopts *o) {
  mt__symbolizer *s = calloc(1, sizeof *s);
  if (!s) return -1;
  const char *dp = o && o->debug_path ? o->debug_path : NULL;
  size_t n = (dp ? strlen(dp) : 0) + 64;
  s->debuginfo_path = malloc(n);
  if (!s->debuginfo_path) {
    free(s);
    return -1;
  }
  snprintf(s->debuginfo_path, n, "%s%s:.debug:/usr/lib/debug", dp ? dp : "", dp ? ":" : "");
  if (mt__inflater_new(&s->inflater) || mt__scope_index_new(&s->scopes)) {
    mt__inflater_free(s->inflater);
    free(s->debuginfo_path);
    free(s);
    return -1;
  }
  s->debug_root = dp ? strdup(dp) : NULL;
  s->sysroot = o && o->sysroot ? strdup(o->sysroot) : NULL;
  s->callbacks.find_elf = dwfl_build_id_find_elf;
  s->callbacks.find_debuginfo = find_debuginfo;
  s->callbacks.section_address = dwfl_offline_section_address;
  s->callbacks.debuginfo_path = &s->debuginfo_path;
  *out = s;
  return 0;
}

void mt__sym_destroy(mt__symbolizer *s) {
  if (!s) return;
  mt__inflater_stop(s->inflater); /* before the Elf handles it works on go */
  mt__scope_index_free(s->scopes); /* before the DWARF its scopes point into */
  if (s->dwfl) dwfl_end(s->dwfl);
  mt__inflater_free(s->inflater);
  for (size_t i = 0; i < s->nmods; i++) {
    free(s->mods[i].path);
    free(s->mods[i].file);
    free(s->mods[i].syms);
    mt__cu_index_free(&s->mods[i].units);
  }
  free(s->mods);
  free(s->debuginfo_path);
  free(s->debug_root);
  free(s->sysroot);
  free(s);
}

int mt__sym_add_module(mt__symbolizer *s, const mt_rec_module *m) {
  if (s->nmods == s->capmods) {
    size_t n = s->capmods ? 2 * s->capmods : 32;
    sym_module *nm = realloc(s->mods, n * sizeof *nm);
    if (!nm) return -1;
    s->mods = nm;
    s->capmods = n;
  }
  sym_module *d = &s->mods[s->nmods];
  memset(d, 0, sizeof *d);
  d->id = m->id;
  d->base = m->base;
  d->load_seq = m->seq;
  d->path = strndup(m->path.data ? m->path.data : "", m->path.len);
  if (!d->path) return -1;
  d->build_id_len = m->build_id_len <= MT_BUILD_ID_MAX ? m->build_id_len : MT_BUILD_ID_MAX;
  memcpy(d->build_id, m->build_id, d->build_id_len);
  d->lo = UINT64_MAX;
  for (uint32_t i = 0; i < m->nsegments && i < MT_SEGMENTS_MAX; i++) {
    uint64_t lo = m->base + m->segments[i].vaddr, hi = lo + m->segments[i].memsz;
    if (lo < d->lo) d->lo = lo;
    if (hi > d->hi) d->hi = hi;
  }
  s->nmods++;
  return 0;
}

const char *mt__sym_module_file(mt__symbolizer *s, uint64_t module_id) {
  for (size_t i = 0; i < s->nmods; i++)
    if (s->mods[i].id == module_id) return s->mods[i].file;
  return NULL;
}

/* Candidate files for a module: build-id under the debug roots, then the path (sysroot). */
static int candidate(const mt__symbolizer *s, const sym_module *m, int which, char *buf,
                     size_t len) {
  const char *roots[2] = {s->debug_root, "/usr/lib/debug"};
  if (which < 2) {
    if (!roots[which] || m->build_id_len < 2) return 0;
    int n = snprintf(buf, len, "%s/.build-id/%02x/", roots[which], m->build_id[0]);
    for (uint32_t i = 1; i < m->build_id_len && (size_t)n + 3 < len; i++)
      n += snprintf(buf + n, len - (size_t)n, "%02x", m->build_id[i]);
    snprintf(buf + n, len - (size_t)n, ".debug");
    return 1;
  }
  if (which == 2) {
    if (m->path[0] != '/') return 0; /* [vdso] and friends have no file */
    snprintf(buf, len, "%s%s", s->sysroot ? s->sysroot : "", m->path);
    return 1;
  }
  return 0;
}

static int build_id_matches(Dwfl_Module *dm, const sym_module *m) {
  const unsigned char *bits;
  GElf_Addr vaddr;
  int n = dwfl_module_build_id(dm, &bits, &vaddr);
  if (n <= 0 || m->build_id_len == 0) return 1; /* nothing to compare with */
  return (uint32_t)n == m->build_id_len && memcmp(bits, m->build_id, (size_t)n) == 0;
}

static void report_module(mt__symbolizer *s, sym_module *m) {
  char path[4096];
  for (int which = 0; which < 3; which++) {
    if (!candidate(s, m, which, path, sizeof path)) continue;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    /* dwfl_report_elf takes the fd over on success */
    Dwfl_Module *dm = dwfl_report_elf(s->dwfl, m->path, path, fd, m->base, true);
    if (!dm) {
      close(fd);
      continue;
    }
    if (!build_id_matches(dm, m)) continue; /* stays reported but unused: wrong file */
    void **userdata;
    dwfl_module_info(dm, &userdata, NULL, NULL, NULL, NULL, NULL, NULL);
    *userdata = s;
    m->dm = dm;
    m->file = strdup(path);
    return;
  }
}

/* Report the modules added since the last call: all of them the first time, the new ones
 * after that (a trace read while symbolizing adds modules as they come). */
static void report_new(mt__symbolizer *s) {
  if (s->nreported == s->nmods || s->dwfl_failed) return;
  if (!s->dwfl) {
    s->dwfl = dwfl_begin(&s->callbacks);
    if (!s->dwfl) {
      s->dwfl_failed = 1;
      return;
    }
    dwfl_report_begin(s->dwfl);
  } else {
    dwfl_report_begin_add(s->dwfl);
  }
  for (size_t i = s->nreported; i < s->nmods; i++) report_module(s, &s->mods[i]);
  s->nreported = s->nmods;
  dwfl_report_end(s->dwfl, NULL, NULL);
}

/* The module holding pc; the one loaded last wins when ranges were reused after dlclose. */
static sym_module *module_at(mt__symbolizer *s, uint64_t pc) {
  sym_module *best = NULL;
  for (size_t i = 0; i < s->nmods; i++) {
    sym_module *m = &s->mods[i];
    if (pc >= m->lo && pc < m->hi && (!best || m->load_seq >= best->load_seq)) best = m;
  }
  return best;
}

void mt__sym_prefetch(mt__symbolizer *s, uint64_t ip) {
  report_new(s);
  sym_module *m = module_at(s, ip ? ip - 1 : 0);
  if (!m || !m->dm || m->prefetched) return;
  Dwarf_Addr bias;
  m->prefetched = 1;
  m->group = mt__inflate_queue(s->inflater, dwfl_module_getelf(m->dm, &bias));
}

uint64_t mt__sym_module_at(mt__symbolizer *s, uint64_t ip) {
  sym_module *m = module_at(s, ip ? ip - 1 : 0);
  return m ? m->id : 0;
}

int mt__sym_modules_overlap(const mt__symbolizer *s) {
  for (size_t i = 0; i < s->nmods; i++)
    for (size_t j = i + 1; j < s->nmods; j++)
      if (s->mods[i].lo < s->mods[j].hi && s->mods[j].lo < s->mods[i].hi) return 1;
  return 0;
}

static const char *die_name(Dwarf_Die *die, char *buf, size_t len) {
  Dwarf_Attribute attr;
  const char *n = NULL;
  if (dwarf_attr_integrate(die, DW_AT_linkage_name, &attr) ||
      dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr))
    n = dwarf_formstring(&attr);
  if (!n) n = dwarf_diename(die);
  return n ? mt__demangle(n, buf, len) : NULL;
}

static const char *base_name(const char *p) {
  const char *b = strrchr(p, '/');
  return b ? b + 1 : p;
}

/* The compile unit holding pc, or NULL; *bias is the module's DWARF address bias. */
static Dwarf_Die *unit_at(sym_module *m, uint64_t pc, Dwarf_Die *unit, Dwarf_Addr *bias) {
  Dwarf_Die *cu = dwfl_module_addrdie(m->dm, pc, bias);
  /* libdwfl gives the unit of the nearest .debug_aranges entry below pc even when pc lies
   * past its end (crt1's _start after main): a unit whose own ranges miss pc is not it */
  Dwarf_Addr base, lo, hi;
  if (cu && dwarf_haspc(cu, pc - *bias) == 0 && dwarf_ranges(cu, 0, &base, &lo, &hi) > 0)
    cu = NULL;
  if (cu) return cu;
  Dwarf *dwarf = dwfl_module_getdwarf(m->dm, bias); /* libdwfl caches the module's Dwarf */
  if (!dwarf) return NULL;
  mt__cu_index_build(&m->units, dwarf);
  return mt__cu_index_at(&m->units, pc - *bias, unit);
}

/* Source file and line of pc in its unit cu (file NULL and *line 0 when unknown). Without a
 * unit there is no line: libdwfl would still give the last row of the unit before pc (crt1's
 * _start after a -O2 main in .text.startup got main's last line). */
static const char *line_at(sym_module *m, Dwarf_Die *cu, uint64_t pc, Dwarf_Addr bias, int *line) {
  *line = 0;
  if (!cu) return NULL;
  Dwfl_Line *dl = dwfl_module_getsrc(m->dm, pc);
  if (dl) return dwfl_lineinfo(dl, NULL, line, NULL, NULL, NULL);
  Dwarf_Line *l = dwarf_getsrc_die(cu, pc - bias); /* a unit found by cuindex */
  if (!l || dwarf_lineno(l, line) != 0) {
    *line = 0;
    return NULL;
  }
  return dwarf_linesrc(l, NULL, NULL);
}

/* Inlined chain from DWARF scopes of unit cu at addr (a DWARF address), whose own line is
 * file:line; @return frames emitted (0 with no unit or no function there). *stop gets the
 * callback's non-zero result. */
static int dwarf_frames(mt__symbolizer *s, Dwarf_Die *cu, Dwarf_Addr addr, const char *symname,
                        const char *file, int line, mt__sym_cb cb, void *ctx, int *stop) {
  if (!cu) return 0;
  /* split DWARF: the functions are in the .dwo's unit, the skeleton only has the lines */
  Dwarf_Die split;
  uint8_t type;
  if (dwarf_cu_info(cu->cu, NULL, &type, NULL, &split, NULL, NULL, NULL) == 0 &&
      type == DW_UT_skeleton && split.addr)
    cu = &split;
  int emitted = 0;
  Dwarf_Files *files = NULL;
  size_t nfiles = 0;
  for (const mt__scope *sc = mt__scope_at(s->scopes, cu, addr); sc && !*stop;
       sc = sc->parent) {
    Dwarf_Die die = sc->die;
    const char *name = !sc->inlined && symname ? symname : die_name(&die, s->name2, sizeof s->name2);
    mt__symframe f = {.function = name ? name : "??", .file = file, .line = line,
                      .inlined = sc->inlined, .resolved = name != NULL};
    int rc = cb ? cb(ctx, &f, emitted) : 0;
    emitted++;
    if (rc) {
      *stop = rc;
      break;
    }
    if (!sc->inlined) break;
    /* the next outer frame is at this inlined call's call site */
    Dwarf_Attribute attr;
    Dwarf_Word w;
    file = NULL;
    line = 0;
    if (!files && dwarf_getsrcfiles(cu, &files, &nfiles) != 0) files = NULL;
    if (files && dwarf_formudata(dwarf_attr(&die, DW_AT_call_file, &attr), &w) == 0 &&
        w < nfiles)
      file = dwarf_filesrc(files, w, NULL, NULL);
    if (dwarf_formudata(dwarf_attr(&die, DW_AT_call_line, &attr), &w) == 0) line = (int)w;
  }
  return emitted;
}

static int by_addr(const void *a, const void *b) {
  const sym_entry *x = a, *y = b;
  if (x->addr != y->addr) return x->addr < y->addr ? -1 : 1;
  /* at one address prefer the larger (real function over a zero-size alias), then the
   * global name over weak and local aliases (_IO_file_doallocate, not __GI__IO_...) */
  if (x->size != y->size) return x->size > y->size ? -1 : 1;
  if (x->rank != y->rank) return x->rank < y->rank ? -1 : 1;
  return strcmp(x->name, y->name);
}

static void build_symbols(sym_module *m) {
  m->syms_built = 1;
  int n = dwfl_module_getsymtab(m->dm);
  if (n <= 0) return;
  m->syms = malloc((size_t)n * sizeof *m->syms);
  if (!m->syms) return;
  for (int i = 1; i < n; i++) {
    GElf_Sym sym;
    GElf_Addr addr;
    const char *name = dwfl_module_getsym_info(m->dm, i, &sym, &addr, NULL, NULL, NULL);
    if (!name || !name[0] || GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF)
      continue;
    int bind = GELF_ST_BIND(sym.st_info);
    int rank = bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2;
    m->syms[m->nsyms++] = (sym_entry){addr, sym.st_size, name, rank};
  }
  qsort(m->syms, m->nsyms, sizeof *m->syms, by_addr);
}

/* The function symbol holding pc, or NULL. */
static const char *symbol_at(sym_module *m, uint64_t pc) {
  if (!m->syms_built) build_symbols(m);
  size_t lo = 0, hi = m->nsyms;
  while (lo < hi) { /* first entry with addr > pc */
    size_t mid = lo + (hi - lo) / 2;
    if (m->syms[mid].addr <= pc) lo = mid + 1;
    else hi = mid;
  }
  if (lo == 0) return NULL;
  /* among entries at the same address the first sorted is the preferred one */
  size_t i = lo - 1;
  while (i > 0 && m->syms[i - 1].addr == m->syms[i].addr) i--;
  const sym_entry *e = &m->syms[i];
  if (e->size && pc >= e->addr + e->size) return NULL;
  return e->name;
}

int mt__sym_resolve(mt__symbolizer *s, uint64_t ip, mt__sym_cb cb, void *ctx,
                    uint64_t *module_id, uint64_t *offset) {
  report_new(s);
  uint64_t pc = ip ? ip - 1 : 0;
  sym_module *m = module_at(s, pc);
  *module_id = m ? m->id : 0;
  *offset = m ? pc - m->base : pc;
  if (m) snprintf(s->fallback, sizeof s->fallback, "%s+0x%llx", base_name(m->path),
                  (unsigned long long)*offset);
  else snprintf(s->fallback, sizeof s->fallback, "0x%llx", (unsigned long long)pc);
  mt__symframe f = {.function = s->fallback};
  if (m && m->dm) {
    if (m->prefetched) mt__inflate_wait(s->inflater, m->group);
    const char *raw = symbol_at(m, pc);
    const char *symname = raw ? mt__demangle(raw, s->name, sizeof s->name) : NULL;
    Dwarf_Addr bias = 0;
    Dwarf_Die unit;
    Dwarf_Die *cu = unit_at(m, pc, &unit, &bias);
    int line;
    const char *file = line_at(m, cu, pc, bias, &line);
    int stop = 0;
    int n = dwarf_frames(s, cu, pc - bias, symname, file, line, cb, ctx, &stop);
    if (stop) return stop;
    if (n > 0) return 0;
    if (symname) {
      f.function = symname;
      f.resolved = 1;
      f.file = file;
      f.line = line;
    }
  }
  return cb ? cb(ctx, &f, 0) : 0;
}
