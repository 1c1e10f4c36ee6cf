// SPDX-License-Identifier: MIT
// Benchmark input for `clang++ -fsyntax-only`: pulls in most of the standard library and
// instantiates a few templates, so the compiler allocates like it does on real code.
#include <algorithm>
#include <any>
#include <array>
#include <atomic>
#include <bitset>
#include <chrono>
#include <complex>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iomanip>
#include <iostream>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <queue>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <stack>
#include <string>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

template <typename K, typename V>
std::map<K, std::vector<V>> group(const std::vector<std::pair<K, V>> &in) {
  std::map<K, std::vector<V>> out;
  for (const auto &[k, v] : in)
    out[k].push_back(v);
  return out;
}

int main() {
  std::vector<std::pair<std::string, int>> rows{{"a", 1}, {"b", 2}, {"a", 3}};
  auto g = group(rows);
  std::unordered_map<std::string, std::variant<int, double, std::string>> m;
  m["x"] = 1.5;
  std::regex re("[a-z]+");
  std::ostringstream os;
  os << g.size() << std::quoted("q") << std::get<double>(m["x"]);
  std::cout << os.str() << std::regex_match("abc", re) << '\n';
}
