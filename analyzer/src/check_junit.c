/* SPDX-License-Identifier: MIT */
/* check --junit FILE: the result as JUnit XML (the structure CI systems read: testsuites >
 * testsuite > testcase, with <failure message type> and text), one testcase per budget. */
#include <errno.h>
#include <stdio.h>

#include "check.h"

static void xml_text(FILE *out, const char *s) {
  for (; s && *s; s++) {
    unsigned char ch = (unsigned char)*s;
    switch (ch) {
    case '<': fputs("&lt;", out); break;
    case '>': fputs("&gt;", out); break;
    case '&': fputs("&amp;", out); break;
    case '"': fputs("&quot;", out); break;
    case '\'': fputs("&apos;", out); break;
    default:
      if (ch < 0x20 && ch != '\n' && ch != '\t') fputc('?', out); /* not allowed in XML 1.0 */
      else fputc(ch, out);
    }
  }
}

static void failure_body(FILE *out, const mt__check_item *it) {
  char v[64], loc[4200];
  for (size_t k = 0; k < it->noff; k++) {
    const mt__check_offender *o = &it->off[k];
    if (o->file) snprintf(loc, sizeof loc, " (%s:%d)", o->file, o->line);
    else loc[0] = 0;
    if (it->growth) {
      char b[64];
      fprintf(out, "%s -> %s at ", mt__check_value(it, o->before, b, sizeof b),
              mt__check_value(it, o->weight, v, sizeof v));
    } else {
      fprintf(out, "%s at ", mt__check_value(it, o->weight, v, sizeof v));
    }
    xml_text(out, o->function);
    xml_text(out, loc);
    fputc('\n', out);
    for (size_t f = 0; f < o->nstack; f++) {
      fputs("    ", out);
      xml_text(out, o->stack[f]);
      fputc('\n', out);
    }
  }
}

int mt__check_write_junit(const mt__check_result *r, const char *input, const char *path) {
  FILE *out = fopen(path, "w");
  if (!out) return -1;
  fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"memtrace\" tests=\"%zu\" "
               "failures=\"%zu\" errors=\"0\">\n  <testsuite name=\"memtrace.check\" tests=\"%zu\" "
               "failures=\"%zu\" errors=\"0\" skipped=\"0\">\n    <properties>\n"
               "      <property name=\"input\" value=\"", r->n, r->failed, r->n, r->failed);
  xml_text(out, input);
  fputs("\"/>\n    </properties>\n", out);
  for (size_t i = 0; i < r->n; i++) {
    const mt__check_item *it = &r->items[i];
    char name[700], desc[1200];
    snprintf(name, sizeof name, "%s %s", it->name, it->scope);
    fputs("    <testcase classname=\"memtrace.check\" name=\"", out);
    xml_text(out, name);
    fputs("\" time=\"0\"", out);
    if (!it->failed) {
      fputs("/>\n", out);
      continue;
    }
    fputs(">\n      <failure type=\"", out);
    xml_text(out, it->growth ? "growth" : "budget");
    fputs("\" message=\"", out);
    xml_text(out, mt__check_describe(it, desc, sizeof desc));
    fputs("\">", out);
    xml_text(out, desc);
    fputc('\n', out);
    failure_body(out, it);
    fputs("</failure>\n    </testcase>\n", out);
  }
  fputs("  </testsuite>\n</testsuites>\n", out);
  int err = ferror(out);
  if (fclose(out) || err) {
    if (!errno) errno = EIO;
    return -1;
  }
  return 0;
}
