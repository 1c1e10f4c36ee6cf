// SPDX-License-Identifier: MIT
// Objects held only through a pointer to a second base (an interior pointer just past the
// first vtable pointer): memcheck's multipleinheritance heuristic makes them reachable. An
// object held through an interior pointer that is not a vtable stays possibly lost.
// libstdc++'s exception emergency pool (72,704 bytes) is still reachable on both sides.
#include <cstdlib>
#include <new>

struct A {
  virtual ~A() {}
  virtual int a() { return 1; }
  long x = 1;
};
struct B {
  virtual ~B() {}
  virtual int b() { return 2; }
  long y = 2;
};
struct C : A, B {
  int a() override { return 3; }
  int b() override { return 4; }
  long z = 3;
};

static B *held_as_b;
static char *into_plain;

int main() {
  C *c = new C;
  held_as_b = c; // points at the B part, 16 bytes into the object
  char *plain = static_cast<char *>(std::malloc(64));
  for (int i = 0; i < 64; i++)
    plain[i] = 0;
  into_plain = plain + 16;
  c = nullptr;
  plain = nullptr;
  return held_as_b->b() == 4 ? 0 : 1;
}
