/* SPDX-License-Identifier: MIT */
/* A linked list of 10 nodes whose head pointer is dropped: memcheck reports the head
 * definitely lost and the 9 other nodes indirectly lost. */
#include <stdlib.h>

struct node {
  struct node *next;
  long payload[3];
};

static struct node *build(int n) {
  struct node *head = NULL;
  for (int i = 0; i < n; i++) {
    struct node *x = malloc(sizeof *x);
    x->next = head;
    x->payload[0] = i;
    head = x;
  }
  return head;
}

int main(void) {
  struct node *volatile head = build(10);
  head = NULL;
  return head != NULL;
}
