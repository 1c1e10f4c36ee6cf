/* SPDX-License-Identifier: MIT */
/* memtrace-dump: prints a trace as text, one record a line, or counts records by type.
 * It is how tests and people look inside a trace. Printing is driven by the same field
 * tables as the codec, so every field of every record type is shown. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/codec.h"
#include "memtrace/trace_reader.h"

enum { EXIT_PARTIAL = 1, EXIT_ERROR = 2 };

static void usage(FILE *to) {
  fprintf(to,
          "usage: memtrace-dump [--stats] [--version] TRACE\n"
          "Print every record of a memtrace trace, one per line (type, [thread of its chunk],\n"
          "then field=value pairs), or with --stats the number\n"
          "of records of each type. Exit status: 0 complete trace, 1 partial trace (truncated\n"
          "or without end record; all readable records are printed), 2 error.\n");
}

static void print_str(mt_str s) {
  putchar('"');
  for (size_t i = 0; i < s.len; i++) {
    unsigned char ch = (unsigned char)s.data[i];
    if (ch == '"' || ch == '\\') printf("\\%c", ch);
    else if (ch == 0) fputs("\\0", stdout);
    else if (ch < 0x20 || ch == 0x7f) printf("\\x%02x", ch);
    else putchar(ch);
  }
  putchar('"');
}

static void print_field(const mt__field *f, const mt_record *rec) {
  const char *at = (const char *)&rec->u + f->offset;
  printf(" %s=", f->name);
  switch ((mt__field_type)f->type) {
    case MT__F_U32: printf("%u", *(const uint32_t *)at); break;
    case MT__F_S32: printf("%d", *(const int32_t *)at); break;
    case MT__F_KIND: fputs(mt_alloc_kind_name((int)*(const uint32_t *)at), stdout); break;
    case MT__F_REACH: fputs(mt_reach_kind_name((int)*(const uint32_t *)at), stdout); break;
    case MT__F_STR: print_str(*(const mt_str *)at); break;
    case MT__F_BUILD_ID:
      for (uint32_t i = 0; i < rec->u.module.build_id_len; i++) printf("%02x", rec->u.module.build_id[i]);
      if (!rec->u.module.build_id_len) fputs("-", stdout);
      break;
    case MT__F_SEGMENTS:
      printf("%u", rec->u.module.nsegments);
      for (uint32_t i = 0; i < rec->u.module.nsegments; i++) {
        const mt_segment *s = &rec->u.module.segments[i];
        printf(" [vaddr=0x%llx memsz=%llu offset=0x%llx flags=%c%c%c]", (unsigned long long)s->vaddr,
               (unsigned long long)s->memsz, (unsigned long long)s->file_offset, s->flags & 4 ? 'r' : '-',
               s->flags & 2 ? 'w' : '-', s->flags & 1 ? 'x' : '-');
      }
      break;
    case MT__F_U64:
    case MT__F_DSEQ:
    case MT__F_DTIME:
    case MT__F_DADDR:
    case MT__F_NEW_ADDR:
    case MT__F_OLD_ADDR:
    case MT__F_DIP:
    case MT__F_DSTACK:
    case MT__F_PARENT: printf(f->hex ? "0x%llx" : "%llu", (unsigned long long)*(const uint64_t *)at); break;
  }
}

static void print_record(const mt_record *rec) {
  const mt__record_layout *l = mt__layout(rec->type);
  printf("%s [%u]", l->name, rec->tid);
  for (unsigned i = 0; i < l->nfields; i++) print_field(&l->fields[i], rec);
  putchar('\n');
}

int main(int argc, char **argv) {
  int stats = 0;
  const char *path = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--stats")) stats = 1;
    else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return usage(stdout), 0;
    else if (!strcmp(argv[i], "--version")) return printf("memtrace-dump %s (trace format %d.%d)\n", MEMTRACE_VERSION, MT_FORMAT_MAJOR, MT_FORMAT_MINOR), 0;
    else if (argv[i][0] == '-' && argv[i][1]) {
      fprintf(stderr, "memtrace-dump: unknown option '%s' (see --help)\n", argv[i]);
      return EXIT_ERROR;
    } else if (path) {
      fprintf(stderr, "memtrace-dump: one trace at a time (got '%s' and '%s')\n", path, argv[i]);
      return EXIT_ERROR;
    } else path = argv[i];
  }
  if (!path) {
    usage(stderr);
    return EXIT_ERROR;
  }
  mt_reader *r;
  int err = mt_reader_open_file(&r, path);
  if (err) {
    fprintf(stderr, "memtrace-dump: %s: %s\n", path, err == MT_ENOENT ? "no such file" : mt_strerror(err));
    return EXIT_ERROR;
  }
  uint64_t counts[256] = {0};
  mt_record rec;
  while ((err = mt_reader_next(r, &rec)) == 1) {
    if (stats) counts[rec.type]++;
    else print_record(&rec);
  }
  if (stats) {
    for (int t = 0; t < 256; t++)
      if (counts[t]) printf("%-8s %llu\n", mt_record_type_name(t), (unsigned long long)counts[t]);
  }
  int status = 0;
  if (err < 0) {
    fprintf(stderr, "memtrace-dump: %s: %s\n", path, mt_reader_error_message(r));
    status = mt_reader_is_partial(err) ? EXIT_PARTIAL : EXIT_ERROR;
  }
  mt_reader_close(r);
  if (fflush(stdout) != 0) {
    perror("memtrace-dump: writing output");
    return EXIT_ERROR;
  }
  return status;
}
