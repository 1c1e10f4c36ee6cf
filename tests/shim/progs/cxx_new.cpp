// SPDX-License-Identifier: MIT
// operator new/delete and new[]/delete[] reach malloc/free: 4 allocations (a 40-byte object,
// an array of 10 ints, a std::string object and its 101-byte buffer) and the same 4 frees.
#include <memtrace.h>
#include <string>

struct Obj {
  char data[40];
};

int main() {
  memtrace_mark("cxx");
  Obj *o = new Obj;
  int *a = new int[10];
  std::string *s = new std::string(100, 'x');
  delete s;
  delete[] a;
  delete o;
  return 0;
}
