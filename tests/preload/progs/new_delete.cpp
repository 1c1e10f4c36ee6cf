// SPDX-License-Identifier: MIT
// Test program: C++ operator new, new[] and nothrow new[] reach malloc and are recorded as
// malloc with sizes 1210, 1230 and 1240. The pointers go through a volatile sink so the
// compiler cannot elide the new/delete pairs.
#include <new>

struct blob {
  char bytes[1210];
};

static void *volatile sink;

int main() {
  blob *b = new blob;
  sink = b;
  char *a = new char[1230];
  sink = a;
  int *n = new (std::nothrow) int[310];
  sink = n;
  delete b;
  delete[] a;
  delete[] n;
  return 0;
}
