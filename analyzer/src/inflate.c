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

#define HELPERS_MAX 4

typedef struct {
  Elf_Scn *scn;
  size_t size;            /* compressed size, to start the largest first */
  int group;
  int taken;
} job;

struct mt__inflater {
  pthread_mutex_t lock;
  pthread_cond_t work, done;
  job *jobs;              /* queued in order of groups, each group's largest first */
  size_t njobs, capjobs, next; /* jobs[0..next) are all taken */
  int *left;              /* per group: jobs not finished */
  size_t ngroups, capgroups;
  pthread_t helpers[HELPERS_MAX];
  int nhelpers, stop;
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

/* Run one job outside the lock; a failure leaves the section to libdw, which fails the same. */
static void run(mt__inflater *z, job *j) {
  pthread_mutex_unlock(&z->lock);
  elf_compress(j->scn, 0, 0);
  pthread_mutex_lock(&z->lock);
  if (--z->left[j->group] == 0) pthread_cond_broadcast(&z->done);
}

/* The next job not taken, of group (or of any group when group < 0); called under the lock. */
static job *take(mt__inflater *z, int group) {
  while (z->next < z->njobs && z->jobs[z->next].taken) z->next++;
  for (size_t i = z->next; i < z->njobs; i++) {
    job *j = &z->jobs[i];
    if (!j->taken && (group < 0 || j->group == group)) {
      j->taken = 1;
      return j;
    }
  }
  return NULL;
}

static void *helper(void *arg) {
  mt__inflater *z = arg;
  pthread_mutex_lock(&z->lock);
  for (;;) {
    job *j = z->stop ? NULL : take(z, -1);
    if (j) {
      /* the job array may move while unlocked: copy first */
      job copy = *j;
      run(z, &copy);
      continue;
    }
    if (z->stop) break;
    pthread_cond_wait(&z->work, &z->lock);
  }
  pthread_mutex_unlock(&z->lock);
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
  return x->size < y->size ? 1 : x->size > y->size ? -1 : 0;
}

/* Start the helpers, one per processor but the caller's. */
static void start_helpers(mt__inflater *z) {
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  int want = cpus > 1 ? (int)(cpus - 1) : 0;
  if (want > HELPERS_MAX) want = HELPERS_MAX;
  while (z->nhelpers < want && pthread_create(&z->helpers[z->nhelpers], NULL, helper, z) == 0)
    z->nhelpers++;
}

int mt__inflate_queue(mt__inflater *z, Elf *elf) {
  size_t shstrndx;
  if (!elf || elf_getshdrstrndx(elf, &shstrndx) != 0) return -1;
  pthread_mutex_lock(&z->lock);
  size_t first = z->njobs;
  int group = (int)z->ngroups, rc = -1;
  if (grow((void **)&z->left, &z->capgroups, z->ngroups + 1, sizeof *z->left)) goto out;
  /* the section headers and names are read here, on the caller's thread, so that the helpers
   * touch nothing but their own section */
  for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_COMPRESSED) || (sh.sh_flags & SHF_GROUP) ||
        sh.sh_type == SHT_NOBITS)
      continue;
    const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
    if (!name || strncmp(name, ".debug_", 7) != 0) continue;
    if (grow((void **)&z->jobs, &z->capjobs, z->njobs + 1, sizeof *z->jobs)) goto out;
    z->jobs[z->njobs++] = (job){.scn = scn, .size = sh.sh_size, .group = group};
  }
  if (z->njobs == first) goto out;
  qsort(z->jobs + first, z->njobs - first, sizeof *z->jobs, by_size_desc);
  z->left[group] = (int)(z->njobs - first);
  z->ngroups++;
  rc = group;
  if (!z->nhelpers) start_helpers(z);
  pthread_cond_broadcast(&z->work);
out:
  pthread_mutex_unlock(&z->lock);
  return rc;
}

void mt__inflate_wait(mt__inflater *z, int group) {
  if (group < 0) return;
  pthread_mutex_lock(&z->lock);
  job *j;
  while ((j = take(z, group))) {
    job copy = *j;
    run(z, &copy);
  }
  while (z->left[group] > 0) pthread_cond_wait(&z->done, &z->lock);
  pthread_mutex_unlock(&z->lock);
}

void mt__inflater_free(mt__inflater *z) {
  if (!z) return;
  pthread_mutex_lock(&z->lock);
  z->stop = 1;
  pthread_cond_broadcast(&z->work);
  pthread_mutex_unlock(&z->lock);
  for (int i = 0; i < z->nhelpers; i++) pthread_join(z->helpers[i], NULL);
  pthread_mutex_destroy(&z->lock);
  pthread_cond_destroy(&z->work);
  pthread_cond_destroy(&z->done);
  free(z->jobs);
  free(z->left);
  free(z);
}
