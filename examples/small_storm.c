/* SPDX-License-Identifier: MIT */
/* example-small-storm: a storm of tiny allocations, a linked list whose every node and every
 * key is its own heap block: 100,000 nodes of 24 bytes and 100,000 keys of 16 bytes. An arena
 * or one array of nodes would need two allocations. Exact figures (checked with valgrind):
 * 200,000 allocations, 200,000 frees, 4,000,000 bytes allocated in total, peak heap
 * 4,000,000 bytes, no leaks. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NODES 100000
#define KEY_SIZE 16

typedef struct node {
  struct node *next;
  char *key;
  long value;
} node; /* 24 bytes on x86-64 */

static node *push(node *head, long value) {
  node *n = malloc(sizeof *n);
  if (!n)
    return head;
  n->key = malloc(KEY_SIZE);
  if (n->key)
    memset(n->key, 'k', KEY_SIZE);
  n->value = value;
  n->next = head;
  return n;
}

int main(void) {
  node *head = NULL;
  for (long i = 0; i < NODES; i++)
    head = push(head, i);
  long sum = 0;
  while (head) {
    node *next = head->next;
    sum += head->value;
    free(head->key);
    free(head);
    head = next;
  }
  static const char msg[] = "example-small-storm: 200000 small blocks allocated and freed\n";
  return (write(1, msg, sizeof msg - 1) < 0) || sum != (long)NODES * (NODES - 1) / 2;
}
