/* SPDX-License-Identifier: MIT */
/* wordfreq: counts its arguments in a linked list of words and prints the counts; frees
 * everything before it exits. The program of the examples/ci project: its heap use is exact
 * (one node and one copy of each distinct word, plus stdout's buffer, a built-in suppression). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct word {
  char *text;
  int count;
  struct word *next;
};

static struct word *add_word(struct word *list, const char *text) {
  for (struct word *w = list; w; w = w->next)
    if (strcmp(w->text, text) == 0) {
      w->count++;
      return list;
    }
  struct word *w = malloc(sizeof *w);
  if (!w)
    return list;
  w->text = strdup(text);
  w->count = 1;
  w->next = list;
  return w;
}

static void free_words(struct word *list) {
  while (list) {
    struct word *next = list->next;
    free(list->text);
    free(list);
    list = next;
  }
}

int main(int argc, char **argv) {
  struct word *list = NULL;
  for (int i = 1; i < argc; i++)
    list = add_word(list, argv[i]);
  for (struct word *w = list; w; w = w->next)
    printf("%d %s\n", w->count, w->text);
  free_words(list);
  return 0;
}
