/* SPDX-License-Identifier: MIT */
/* Decompresses the compressed DWARF sections of modules on helper threads, before libdw would
 * do it one section after the other when it first reads the module's DWARF (zlib is most of
 * the time of symbolizing against a distribution's separate debug files). */
#include "inflate.h"

#include <gelf.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef MT_HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif

#define HELPERS_MAX 4

typedef struct {
  Elf_Scn *scn;
  const void *zdata;      /* the zlib stream, after the compression header */
  size_t zsize;           /* its size, to start the largest first */
  size_t size, align;     /* decompressed, from the compression header */
  void *out;              /* our buffer, when we inflated the section ourselves */
  int group;
  int taken;
} job;

struct mt__inflater {
  pthread_mutex_t lock;
  pthread_cond_t work, done;
  job *jobs;              /* queued in order of groups, each group's largest first */
  size_t njobs, capjobs, next; /* jobs[0..next) are all taken */
  struct group {
    Elf *elf;             /* a module reported twice shares its file and its group */
    int left;             /* jobs not finished */
  } *groups;
  size_t ngroups, capgroups;
  pthread_t helpers[HELPERS_MAX];
  int nhelpers, stop;
  void *waiter_state;     /* the decompressor of the thread calling mt__inflate_wait */
};

int mt__inflater_new(mt__inflater **out) {
  mt__inflater *z = calloc(1, sizeof *z);
  if (!z) return -1;
  pthread_mutex_init(&z->lock, NULL);
  pthread_cond_init(&z->work, NULL);
  pthread_cond_init(&z->done, NULL);
  *out = z;
  return 0;
}

#ifdef MT_HAVE_LIBDEFLATE
static void *decompressor_new(void) { return libdeflate_alloc_decompressor(); }
static void decompressor_free(void *d) { if (d) libdeflate_free_decompressor(d); }

/* libdeflate inflates 2 to 3 times as fast as zlib, which libelf uses. The section is then set
 * up as elf_compress leaves it: its data replaced (the buffer stays ours), SHF_COMPRESSED
 * cleared, size and alignment those of the header. @return the buffer, or NULL. */
static void *inflate_fast(const job *j, void *d) {
  GElf_Shdr sh;
  Elf_Data *data = elf_getdata(j->scn, NULL);
  void *out = d && j->zdata ? malloc(j->size ? j->size : 1) : NULL;
  size_t got;
  if (!out || !data || !gelf_getshdr(j->scn, &sh) ||
      libdeflate_zlib_decompress(d, j->zdata, j->zsize, out, j->size, &got) != LIBDEFLATE_SUCCESS ||
      got != j->size) {
    free(out);
    return NULL;
  }
  sh.sh_flags &= ~(GElf_Xword)SHF_COMPRESSED;
  sh.sh_size = j->size;
  sh.sh_addralign = j->align;
  if (!gelf_update_shdr(j->scn, &sh)) {
    free(out);
    return NULL;
  }
  data->d_buf = out;
  data->d_size = j->size;
  data->d_align = j->align;
  data->d_type = ELF_T_BYTE;
  return out;
}
#else
static void *decompressor_new(void) { return NULL; }
static void decompressor_free(void *d) { (void)d; }
static void *inflate_fast(const job *j, void *d) {
  (void)j, (void)d;
  return NULL;
}
#endif

/* Run jobs[i] outside the lock; when both ways fail the section stays compressed for libdw,
 * which fails on it the same way. */
static void run(mt__inflater *z, size_t i, void *decompressor) {
  job j = z->jobs[i]; /* the array may move while unlocked */
  pthread_mutex_unlock(&z->lock);
  void *out = inflate_fast(&j, decompressor);
  if (!out) elf_compress(j.scn, 0, 0);
  pthread_mutex_lock(&z->lock);
  z->jobs[i].out = out;
  if (--z->groups[j.group].left == 0) pthread_cond_broadcast(&z->done);
}

/* Index of the next job not taken, of group (of any group when group < 0), or SIZE_MAX;
 * called under the lock. */
static size_t take(mt__inflater *z, int group) {
  while (z->next < z->njobs && z->jobs[z->next].taken) z->next++;
  for (size_t i = z->next; i < z->njobs; i++) {
    job *j = &z->jobs[i];
    if (!j->taken && (group < 0 || j->group == group)) {
      j->taken = 1;
      return i;
    }
  }
  return SIZE_MAX;
}

static void *helper(void *arg) {
  mt__inflater *z = arg;
  void *d = decompressor_new();
  pthread_mutex_lock(&z->lock);
  for (;;) {
    size_t i = z->stop ? SIZE_MAX : take(z, -1);
    if (i != SIZE_MAX) {
      run(z, i, d);
      continue;
    }
    if (z->stop) break;
    pthread_cond_wait(&z->work, &z->lock);
  }
  pthread_mutex_unlock(&z->lock);
  decompressor_free(d);
  return NULL;
}

static int grow(void **p, size_t *cap, size_t need, size_t size) {
  if (need <= *cap) return 0;
  size_t n = *cap ? 2 * *cap : 16;
  while (n < need) n *= 2;
  void *q = realloc(*p, n * size);
  if (!q) return -1;
  *p = q;
  *cap = n;
  return 0;
}

static int by_size_desc(const void *a, const void *b) {
  const job *x = a, *y = b;
  return x->zsize < y->zsize ? 1 : x->zsize > y->zsize ? -1 : 0;
}

/* Start the helpers, one per processor but the caller's. */
static void start_helpers(mt__inflater *z) {
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  int want = cpus > 1 ? (int)(cpus - 1) : 0;
  if (want > HELPERS_MAX) want = HELPERS_MAX;
  while (z->nhelpers < want && pthread_create(&z->helpers[z->nhelpers], NULL, helper, z) == 0)
    z->nhelpers++;
}

/* A compressed DWARF section as a job; @return 0 when it is not one. */
static int section_job(Elf *elf, size_t shstrndx, Elf_Scn *scn, job *j) {
  GElf_Shdr sh;
  if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_COMPRESSED) || (sh.sh_flags & SHF_GROUP) ||
      sh.sh_type == SHT_NOBITS)
    return 0;
  const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
  if (!name || strncmp(name, ".debug_", 7) != 0) return 0;
  *j = (job){.scn = scn, .zsize = sh.sh_size};
  /* reading the header sets up the section's data here, so that a helper touches nothing but
   * its own section */
  GElf_Chdr ch;
  Elf_Data *data = elf_getdata(scn, NULL);
  size_t hsize = gelf_getclass(elf) == ELFCLASS32 ? sizeof(Elf32_Chdr) : sizeof(Elf64_Chdr);
  if (gelf_getchdr(scn, &ch) && ch.ch_type == ELFCOMPRESS_ZLIB && data && data->d_size >= hsize) {
    j->zdata = (const char *)data->d_buf + hsize;
    j->zsize = data->d_size - hsize;
    j->size = ch.ch_size;
    j->align = ch.ch_addralign;
  }
  return 1;
}

int mt__inflate_queue(mt__inflater *z, Elf *elf) {
  size_t shstrndx;
  if (!elf || elf_getshdrstrndx(elf, &shstrndx) != 0) return -1;
  pthread_mutex_lock(&z->lock);
  size_t first = z->njobs;
  int group = (int)z->ngroups, rc = -1;
  for (size_t g = 0; g < z->ngroups; g++)
    if (z->groups[g].elf == elf) { /* never two jobs on one section */
      rc = (int)g;
      goto out;
    }
  if (grow((void **)&z->groups, &z->capgroups, z->ngroups + 1, sizeof *z->groups)) goto out;
  for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));) {
    job j;
    if (!section_job(elf, shstrndx, scn, &j)) continue;
    if (grow((void **)&z->jobs, &z->capjobs, z->njobs + 1, sizeof *z->jobs)) goto out;
    j.group = group;
    z->jobs[z->njobs++] = j;
  }
  if (z->njobs == first) goto out;
  qsort(z->jobs + first, z->njobs - first, sizeof *z->jobs, by_size_desc);
  z->groups[group] = (struct group){elf, (int)(z->njobs - first)};
  z->ngroups++;
  rc = group;
  if (!z->nhelpers) start_helpers(z);
  pthread_cond_broadcast(&z->work);
out:
  if (rc < 0) z->njobs = first; /* none queued, or out of memory: libdw inflates them */
  pthread_mutex_unlock(&z->lock);
  return rc;
}

void mt__inflate_wait(mt__inflater *z, int group) {
  if (group < 0) return;
  pthread_mutex_lock(&z->lock);
  size_t i;
  while ((i = take(z, group)) != SIZE_MAX) {
    if (!z->waiter_state) z->waiter_state = decompressor_new();
    run(z, i, z->waiter_state);
  }
  while (z->groups[group].left > 0) pthread_cond_wait(&z->done, &z->lock);
  pthread_mutex_unlock(&z->lock);
}

void mt__inflater_stop(mt__inflater *z) {
  if (!z) return;
  pthread_mutex_lock(&z->lock);
  z->stop = 1;
  pthread_cond_broadcast(&z->work);
  pthread_mutex_unlock(&z->lock);
  for (int i = 0; i < z->nhelpers; i++) pthread_join(z->helpers[i], NULL);
  z->nhelpers = 0;
}

void mt__inflater_free(mt__inflater *z) {
  if (!z) return;
  mt__inflater_stop(z);
  for (size_t i = 0; i < z->njobs; i++) free(z->jobs[i].out);
  decompressor_free(z->waiter_state);
  pthread_mutex_destroy(&z->lock);
  pthread_cond_destroy(&z->work);
  pthread_cond_destroy(&z->done);
  free(z->jobs);
  free(z->groups);
  free(z);
}
