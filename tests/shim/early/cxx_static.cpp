// SPDX-License-Identifier: MIT
// cxx_static: a static object whose constructor allocates (before main, in the executable's
// own initialisers), next to libstdc++'s 72,704-byte emergency pool, which libstdc++'s
// constructor allocates before the preloaded shim's constructor runs. The destructor frees
// half of what the constructor made.
#include <cstdio>
#include <string>
#include <vector>

struct Registry {
  std::vector<std::string *> names;
  Registry() {
    names.reserve(8);
    for (int i = 0; i < 8; i++)
      names.push_back(new std::string(40 + i, 'n'));
  }
  ~Registry() {
    for (int i = 0; i < 4; i++)
      delete names[i];
  }
};

static Registry registry;

int main() {
  int *v = new int[100];
  delete[] v;
  std::printf("%zu\n", registry.names.size());
  return 0;
}
