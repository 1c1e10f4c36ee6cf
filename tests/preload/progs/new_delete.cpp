// SPDX-License-Identifier: MIT
// Test program: C++ operator new/new[]/delete reach malloc/free and are recorded as malloc
// (3 objects: 1210, 1220 and 4 x 305 = 1220... sizes chosen to be unique: see run_case.sh).
#include <cstdlib>
#include <new>

struct blob {
  char bytes[1210];
};

int main() {
  blob *b = new blob;
  char *a = new char[1230];
  int *n = new (std::nothrow) int[310];  // 1240 bytes
  delete b;
  delete[] a;
  delete[] n;
  return 0;
}
