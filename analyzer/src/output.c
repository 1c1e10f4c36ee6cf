/* SPDX-License-Identifier: MIT */
/* Document model and its three writers (text tables, JSON, CSV); see output.h. */
#include "output.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Text columns are not cut below this width to fit a terminal. */
#define FIT_MIN_WIDTH 24

typedef struct {
  char *key, *title;
  mt__column *cols;       /* deep copy */
  size_t ncols;
  int record;
  mt__cell *cells;        /* rows * ncols, strings owned */
  size_t nrows, caprows;
} section;

struct mt__doc {
  section *secs;
  size_t nsecs, capsecs;
  char *note;
};

mt__doc *mt__doc_new(void) { return calloc(1, sizeof(mt__doc)); }

static void free_cell(const mt__column *c, mt__cell *x) {
  if (c->type == MT__COL_TEXT) free((char *)x->s);
  if (c->type == MT__COL_LIST) {
    for (size_t i = 0; i < x->nlist; i++) free((char *)x->list[i]);
    free((void *)x->list);
  }
}

void mt__doc_free(mt__doc *d) {
  if (!d) return;
  for (size_t i = 0; i < d->nsecs; i++) {
    section *s = &d->secs[i];
    for (size_t r = 0; r < s->nrows; r++)
      for (size_t c = 0; c < s->ncols; c++) free_cell(&s->cols[c], &s->cells[r * s->ncols + c]);
    free(s->cells);
    for (size_t c = 0; c < s->ncols; c++) {
      free((char *)s->cols[c].key);
      free((char *)s->cols[c].title);
    }
    free(s->cols);
    free(s->key);
    free(s->title);
  }
  free(d->secs);
  free(d->note);
  free(d);
}

int mt__doc_section(mt__doc *d, const char *key, const char *title, const mt__column *cols,
                    size_t ncols, int record) {
  if (d->nsecs == d->capsecs) {
    size_t n = d->capsecs ? 2 * d->capsecs : 4;
    section *ns = realloc(d->secs, n * sizeof *ns);
    if (!ns) return -1;
    d->secs = ns;
    d->capsecs = n;
  }
  section *s = &d->secs[d->nsecs];
  memset(s, 0, sizeof *s);
  s->key = strdup(key);
  s->title = title ? strdup(title) : NULL;
  if (!s->key || (title && !s->title)) {
    free(s->key);
    free(s->title);
    return -1;
  }
  s->cols = calloc(ncols ? ncols : 1, sizeof *s->cols);
  if (!s->cols) return -1;
  for (size_t c = 0; c < ncols; c++) {
    s->cols[c].type = cols[c].type;
    s->cols[c].key = strdup(cols[c].key);
    s->cols[c].title = strdup(cols[c].title);
    if (!s->cols[c].key || !s->cols[c].title) return -1;
  }
  s->ncols = ncols;
  s->record = record;
  d->nsecs++;
  return 0;
}

int mt__doc_row(mt__doc *d, const mt__cell *cells) {
  if (!d->nsecs) return -1;
  section *s = &d->secs[d->nsecs - 1];
  if (s->nrows == s->caprows) {
    size_t n = s->caprows ? 2 * s->caprows : 16;
    mt__cell *nc = realloc(s->cells, n * s->ncols * sizeof *nc);
    if (!nc) return -1;
    s->cells = nc;
    s->caprows = n;
  }
  mt__cell *row = &s->cells[s->nrows * s->ncols];
  for (size_t c = 0; c < s->ncols; c++) {
    row[c] = cells[c];
    if (s->cols[c].type == MT__COL_TEXT && cells[c].s) row[c].s = strdup(cells[c].s);
    if (s->cols[c].type == MT__COL_LIST) {
      const char **l = calloc(cells[c].nlist ? cells[c].nlist : 1, sizeof *l);
      for (size_t i = 0; l && i < cells[c].nlist; i++) l[i] = strdup(cells[c].list[i]);
      row[c].list = l;
    }
  }
  s->nrows++;
  return 0;
}

int mt__doc_note(mt__doc *d, const char *text) {
  size_t old = d->note ? strlen(d->note) : 0;
  char *n = realloc(d->note, old + strlen(text) + 1);
  if (!n) return -1;
  strcpy(n + old, text);
  d->note = n;
  return 0;
}

const char *mt__fmt_bytes(uint64_t v, char *buf, size_t len) {
  static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  if (v < 1024) {
    snprintf(buf, len, "%" PRIu64 " B", v);
    return buf;
  }
  double x = (double)v;
  int u = 0;
  while (x >= 1024 && u < 4) {
    x /= 1024;
    u++;
  }
  snprintf(buf, len, "%.2f %s", x, units[u]);
  return buf;
}

/* ---- text ---- */

/* Text goes to terminals: a control character in a value (a marker label with a newline or
 * an escape sequence) would break the table or drive the terminal. JSON and CSV keep them. */
static void printable(char *s) {
  for (unsigned char *p = (unsigned char *)s; *p; p++)
    if (*p < 0x20 || *p == 0x7f) *p = '?';
}

static void cell_text(const mt__column *c, const mt__cell *x, char *buf, size_t len) {
  if (x->null) {
    snprintf(buf, len, "-");
    return;
  }
  switch (c->type) {
  case MT__COL_INT: snprintf(buf, len, "%" PRId64, x->i); break;
  case MT__COL_BYTES:
    if (x->i < 0 && len > 1) {
      buf[0] = '-';
      mt__fmt_bytes((uint64_t)-x->i, buf + 1, len - 1);
    } else {
      mt__fmt_bytes((uint64_t)x->i, buf, len);
    }
    break;
  case MT__COL_REAL: snprintf(buf, len, "%.2f", x->r); break;
  case MT__COL_TEXT:
    snprintf(buf, len, "%s", x->s ? x->s : "-");
    printable(buf);
    break;
  case MT__COL_LIST: buf[0] = 0; break;
  }
}

static int right_aligned(mt__coltype t) { return t == MT__COL_INT || t == MT__COL_BYTES || t == MT__COL_REAL; }

/* One padded cell: two spaces between columns, no trailing spaces after the last. */
static void text_cell(FILE *out, const char *v, size_t w, int right, int last, int first) {
  if (!first) fputs("  ", out);
  if (right) fprintf(out, "%*s", (int)w, v);
  else if (last) fputs(v, out);
  else fprintf(out, "%-*s", (int)w, v);
}

/* Columns of a terminal the text goes to, 0 when it goes elsewhere (a file or a pipe gets
 * whole lines: scripts and grep want every character). */
static size_t terminal_width(FILE *out) {
  int fd = fileno(out);
  if (fd < 0 || !isatty(fd)) return 0;
  struct winsize ws;
  if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  const char *env = getenv("COLUMNS");
  long n = env ? strtol(env, NULL, 10) : 0;
  return n > 0 ? (size_t)n : 80;
}

/* Narrow the widest text columns until a row fits in width (0: no limit). */
static void fit_widths(const section *s, size_t *w, size_t width) {
  if (!width) return;
  size_t total = 0, shown = 0;
  for (size_t c = 0; c < s->ncols; c++)
    if (s->cols[c].type != MT__COL_LIST) total += w[c], shown++;
  total += shown > 1 ? 2 * (shown - 1) : 0;
  while (total > width) {
    size_t widest = s->ncols;
    for (size_t c = 0; c < s->ncols; c++)
      if (s->cols[c].type == MT__COL_TEXT && w[c] > FIT_MIN_WIDTH &&
          (widest == s->ncols || w[c] > w[widest]))
        widest = c;
    if (widest == s->ncols) return;
    size_t cut = total - width;
    if (cut > w[widest] - FIT_MIN_WIDTH) cut = w[widest] - FIT_MIN_WIDTH;
    w[widest] -= cut;
    total -= cut;
  }
}

/* Cut a cell to w characters, ending in "..." (at a UTF-8 character boundary). */
static void cut_cell(char *buf, size_t w) {
  if (strlen(buf) <= w || w < 4) return;
  size_t k = w - 3;
  while (k > 0 && ((unsigned char)buf[k] & 0xC0) == 0x80) k--;
  memcpy(buf + k, "...", 4);
}

static void print_text_section(const section *s, FILE *out, size_t width) {
  char buf[1024];
  if (s->title) fprintf(out, "%s\n", s->title);
  if (s->record) {
    size_t w = 0;
    for (size_t c = 0; c < s->ncols; c++)
      if (strlen(s->cols[c].title) > w) w = strlen(s->cols[c].title);
    for (size_t r = 0; r < s->nrows; r++)
      for (size_t c = 0; c < s->ncols; c++) {
        cell_text(&s->cols[c], &s->cells[r * s->ncols + c], buf, sizeof buf);
        fprintf(out, "  %-*s  %s\n", (int)w + 1, s->cols[c].title, buf);
      }
    return;
  }
  if (s->nrows == 0) {
    fprintf(out, "  (none)\n");
    return;
  }
  size_t *w = calloc(s->ncols, sizeof *w);
  if (!w) return;
  for (size_t c = 0; c < s->ncols; c++) {
    if (s->cols[c].type == MT__COL_LIST) continue;
    w[c] = strlen(s->cols[c].title);
    for (size_t r = 0; r < s->nrows; r++) {
      cell_text(&s->cols[c], &s->cells[r * s->ncols + c], buf, sizeof buf);
      if (strlen(buf) > w[c]) w[c] = strlen(buf);
    }
  }
  fit_widths(s, w, width);
  /* the last non-list column is not padded, so long names do not leave trailing spaces */
  size_t lastc = 0;
  for (size_t c = 0; c < s->ncols; c++)
    if (s->cols[c].type != MT__COL_LIST) lastc = c;
  for (size_t c = 0, first = 1; c < s->ncols; c++) {
    if (s->cols[c].type == MT__COL_LIST) continue;
    text_cell(out, s->cols[c].title, w[c], right_aligned(s->cols[c].type), c == lastc, first);
    first = 0;
  }
  fputc('\n', out);
  for (size_t r = 0; r < s->nrows; r++) {
    const mt__cell *row = &s->cells[r * s->ncols];
    for (size_t c = 0, first = 1; c < s->ncols; c++) {
      if (s->cols[c].type == MT__COL_LIST) continue;
      cell_text(&s->cols[c], &row[c], buf, sizeof buf);
      cut_cell(buf, w[c]);
      text_cell(out, buf, w[c], right_aligned(s->cols[c].type), c == lastc, first);
      first = 0;
    }
    fputc('\n', out);
    for (size_t c = 0; c < s->ncols; c++) {
      if (s->cols[c].type != MT__COL_LIST) continue;
      for (size_t i = 0; i < row[c].nlist; i++) {
        snprintf(buf, sizeof buf, "%s", row[c].list[i]);
        printable(buf);
        fprintf(out, "    %s\n", buf);
      }
      if (row[c].nlist) fputc('\n', out);
    }
  }
  free(w);
}

/* ---- JSON ---- */

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong forms, surrogates or
 * code points past U+10FFFF), or 0. */
static size_t utf8_length(const unsigned char *p) {
  if (p[0] < 0x80) return 1;
  size_t n = p[0] >= 0xc2 && p[0] <= 0xdf ? 2 : p[0] >= 0xe0 && p[0] <= 0xef ? 3
           : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : 0;
  if (n == 0) return 0;
  unsigned lo = 0x80, hi = 0xbf; /* the second byte's range */
  if (p[0] == 0xe0) lo = 0xa0;
  if (p[0] == 0xed) hi = 0x9f;
  if (p[0] == 0xf0) lo = 0x90;
  if (p[0] == 0xf4) hi = 0x8f;
  if (p[1] < lo || p[1] > hi) return 0;
  for (size_t i = 2; i < n; i++)
    if ((p[i] & 0xc0) != 0x80) return 0;
  return n;
}

/* A JSON string: control characters escaped, bytes that are not UTF-8 (a path or a name
 * from the traced program may hold any) replaced by U+FFFD, so the document stays valid. */
static void json_string(FILE *out, const char *s) {
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p;) {
    size_t n = utf8_length(p);
    if (n == 0) {
      fputs("\\ufffd", out);
      p++;
      continue;
    }
    if (n > 1) {
      fwrite(p, 1, n, out);
      p += n;
      continue;
    }
    switch (*p) {
    case '"': fputs("\\\"", out); break;
    case '\\': fputs("\\\\", out); break;
    case '\n': fputs("\\n", out); break;
    case '\t': fputs("\\t", out); break;
    case '\r': fputs("\\r", out); break;
    default:
      if (*p < 0x20 || *p == 0x7f) fprintf(out, "\\u%04x", *p);
      else fputc(*p, out);
    }
    p++;
  }
  fputc('"', out);
}

static void json_cell(FILE *out, const mt__column *c, const mt__cell *x) {
  if (x->null) {
    fputs("null", out);
    return;
  }
  switch (c->type) {
  case MT__COL_INT:
  case MT__COL_BYTES: fprintf(out, "%" PRId64, x->i); break;
  case MT__COL_REAL: /* JSON has no inf or nan */
    if (isfinite(x->r)) fprintf(out, "%.6g", x->r);
    else fputs("null", out);
    break;
  case MT__COL_TEXT:
    if (x->s) json_string(out, x->s);
    else fputs("null", out);
    break;
  case MT__COL_LIST:
    fputc('[', out);
    for (size_t i = 0; i < x->nlist; i++) {
      if (i) fputs(", ", out);
      json_string(out, x->list[i]);
    }
    fputc(']', out);
    break;
  }
}

static void json_row(FILE *out, const section *s, size_t r, const char *indent) {
  fputs("{", out);
  for (size_t c = 0; c < s->ncols; c++) {
    fprintf(out, "%s\n%s  ", c ? "," : "", indent);
    json_string(out, s->cols[c].key);
    fputs(": ", out);
    json_cell(out, &s->cols[c], &s->cells[r * s->ncols + c]);
  }
  fprintf(out, "\n%s}", indent);
}

static void json_section(FILE *out, const section *s, const char *indent) {
  if (s->record) {
    if (s->nrows) json_row(out, s, 0, indent);
    else fputs("null", out);
    return;
  }
  fputc('[', out);
  char inner[16];
  snprintf(inner, sizeof inner, "%s  ", indent);
  for (size_t r = 0; r < s->nrows; r++) {
    fprintf(out, "%s\n%s", r ? "," : "", inner);
    json_row(out, s, r, inner);
  }
  fprintf(out, "%s]", s->nrows ? "\n" : "");
  (void)indent;
}

/* ---- CSV ---- */

static void csv_field(FILE *out, const char *s) {
  if (!strpbrk(s, ",\"\n")) {
    fputs(s, out);
    return;
  }
  fputc('"', out);
  for (; *s; s++) {
    if (*s == '"') fputc('"', out);
    fputc(*s, out);
  }
  fputc('"', out);
}

static void csv_section(FILE *out, const section *s) {
  for (size_t c = 0; c < s->ncols; c++) {
    if (c) fputc(',', out);
    csv_field(out, s->cols[c].key);
  }
  fputc('\n', out);
  char buf[1024];
  for (size_t r = 0; r < s->nrows; r++) {
    for (size_t c = 0; c < s->ncols; c++) {
      const mt__cell *x = &s->cells[r * s->ncols + c];
      if (c) fputc(',', out);
      if (x->null) continue;
      switch (s->cols[c].type) {
      case MT__COL_INT:
      case MT__COL_BYTES: fprintf(out, "%" PRId64, x->i); break;
      case MT__COL_REAL: fprintf(out, "%.6g", x->r); break;
      case MT__COL_TEXT: csv_field(out, x->s ? x->s : ""); break;
      case MT__COL_LIST: {
        /* a stack as one field, innermost first, frames separated by " <- " */
        size_t n = 0;
        buf[0] = 0;
        for (size_t i = 0; i < x->nlist && n < sizeof buf; i++)
          n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", i ? " <- " : "", x->list[i]);
        csv_field(out, buf);
        break;
      }
      }
    }
    fputc('\n', out);
  }
}

void mt__doc_print(const mt__doc *d, FILE *out, mt__format fmt) {
  switch (fmt) {
  case MT__FMT_TEXT: {
    size_t width = terminal_width(out);
    for (size_t i = 0; i < d->nsecs; i++) {
      if (i) fputc('\n', out);
      print_text_section(&d->secs[i], out, width);
    }
    if (d->note) fputs(d->note, out);
    break;
  }
  case MT__FMT_JSON:
    if (d->nsecs == 1 && d->secs[0].record) {
      json_section(out, &d->secs[0], "");
    } else {
      fputc('{', out);
      for (size_t i = 0; i < d->nsecs; i++) {
        fprintf(out, "%s\n  ", i ? "," : "");
        json_string(out, d->secs[i].key);
        fputs(": ", out);
        json_section(out, &d->secs[i], "  ");
      }
      fputs("\n}", out);
    }
    fputc('\n', out);
    break;
  case MT__FMT_CSV:
    for (size_t i = 0; i < d->nsecs; i++) {
      if (i) fputc('\n', out);
      csv_section(out, &d->secs[i]);
    }
    break;
  }
}
