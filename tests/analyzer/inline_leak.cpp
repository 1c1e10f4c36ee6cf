// SPDX-License-Identifier: MIT
// Leaks made through inlined code, kept reachable from a global: a function of the program
// inlined into main, libstdc++'s make_unique, and a vector's reserve inlined into make_list.
// Built -O2 -g by g++ (which writes .debug_aranges) and by clang++ (which does not).
#include <memory>
#include <vector>

struct Item {
  char bytes[48];
};

void *kept[4];

static inline __attribute__((always_inline)) Item *make_item() {
  return new Item();
}

__attribute__((noinline)) static std::vector<int> *make_list() {
  auto *list = new std::vector<int>();
  list->reserve(10);
  return list;
}

int main() {
  kept[0] = make_item();
  kept[1] = std::make_unique<Item>().release();
  kept[2] = make_list();
  kept[3] = static_cast<std::vector<int> *>(kept[2])->data();
  return 0;
}
