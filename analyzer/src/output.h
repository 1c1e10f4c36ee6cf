/* SPDX-License-Identifier: MIT */
/* The one output layer every report shares: a report fills a document of sections (tables of
 * typed columns, or single records) and the writer for the chosen format prints it. Adding a
 * format means one new writer here, never a change in the reports. */
#ifndef MT_ANALYZER_OUTPUT_H
#define MT_ANALYZER_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum { MT__FMT_TEXT, MT__FMT_JSON, MT__FMT_CSV } mt__format;

typedef enum {
  MT__COL_INT,    /* integer */
  MT__COL_BYTES,  /* integer byte count: human-readable in text, exact elsewhere */
  MT__COL_TEXT,   /* string, may be NULL */
  MT__COL_LIST,   /* list of strings (a call stack): lines under the row in text */
  MT__COL_REAL,   /* floating point */
} mt__coltype;

typedef struct {
  const char *key;        /* JSON/CSV name */
  const char *title;      /* text header */
  mt__coltype type;
} mt__column;

typedef struct {
  int64_t i;
  double r;
  const char *s;
  const char *const *list;
  size_t nlist;
  int null;
} mt__cell;

typedef struct mt__doc mt__doc;

mt__doc *mt__doc_new(void);
void mt__doc_free(mt__doc *d);
/* Start a section: a table (rows) or a record (exactly one row, printed as key: value). The
 * columns are copied. @return 0 or -1 (no memory). */
int mt__doc_section(mt__doc *d, const char *key, const char *title, const mt__column *cols,
                    size_t ncols, int record);
/* Append a row to the current section; strings are copied. @return 0 or -1. */
int mt__doc_row(mt__doc *d, const mt__cell *cells);
/* Free text printed after the sections in text format only (charts, notes). */
int mt__doc_note(mt__doc *d, const char *text);
/* Print the document. A document with one record section prints, in JSON, as that object. */
void mt__doc_print(const mt__doc *d, FILE *out, mt__format fmt);

/* Human-readable byte count ("1.50 MiB") into buf. */
const char *mt__fmt_bytes(uint64_t v, char *buf, size_t len);

#endif
