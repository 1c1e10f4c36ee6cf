/* SPDX-License-Identifier: MIT */
/* example-realloc-growth: a buffer grown by realloc one record at a time instead of
 * geometrically, so every append may copy the whole buffer. 4096 appends of 16 bytes.
 * Exact figures (checked with valgrind): 4096 allocations, 4096 frees (each realloc is one
 * allocation and one free, the first is realloc(NULL, 16) and the last block is freed),
 * 134,250,496 bytes allocated in total (16 x (1 + 2 + ... + 4096)); peak heap 65,536 bytes;
 * no leaks. Growing the capacity by doubling would take 13 reallocs instead of 4095. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RECORDS 4096
#define RECORD_SIZE 16

typedef struct {
  char *data;
  size_t len;
} buffer;

static int append(buffer *b, const void *rec, size_t n) {
  char *grown = realloc(b->data, b->len + n); /* the pattern: exact-fit growth */
  if (!grown)
    return -1;
  b->data = grown;
  memcpy(b->data + b->len, rec, n);
  b->len += n;
  return 0;
}

int main(void) {
  buffer b = {NULL, 0};
  char rec[RECORD_SIZE];
  for (int i = 0; i < RECORDS; i++) {
    memset(rec, 'a' + i % 26, sizeof rec);
    if (append(&b, rec, sizeof rec))
      return 1;
  }
  static const char msg[] = "example-realloc-growth: 4096 records, 65536 bytes, 4095 reallocs\n";
  int rc = write(1, msg, sizeof msg - 1) < 0;
  free(b.data);
  return rc;
}
