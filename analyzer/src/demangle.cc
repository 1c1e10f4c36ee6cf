// SPDX-License-Identifier: MIT
// C++ and Rust legacy names demangled through libstdc++'s __cxa_demangle, Rust v0 names
// (`_R...`) through demangle_rust.c; the only C++ file of the analyzer, exposing one C function.
#include <cxxabi.h>
#include <stdlib.h>
#include <string.h>

#include "demangle_rust.h"
#include "symbols.h"

// Rust legacy symbols end in "::h" followed by 16 hex digits, and escape punctuation.
static bool strip_rust_hash(char *s) {
  size_t n = strlen(s);
  if (n < 19 || strncmp(s + n - 19, "::h", 3) != 0) return false;
  for (size_t i = n - 16; i < n; i++)
    if (!strchr("0123456789abcdef", s[i])) return false;
  s[n - 19] = 0;
  return true;
}

static void unescape_rust(char *s) {
  static const struct {
    const char *from, *to;
  } table[] = {{"$LT$", "<"}, {"$GT$", ">"}, {"$RF$", "&"}, {"$BP$", "*"}, {"$C$", ","},
               {"$SP$", "@"}, {"$u20$", " "}, {"$u27$", "'"}, {"$u5b$", "["}, {"$u5d$", "]"},
               {"$u7b$", "{"}, {"$u7d$", "}"}, {"$u7e$", "~"}, {"..", "::"}};
  char *out = s;
  for (const char *in = s; *in;) {
    // A segment starting with an escape is prefixed with "_" (`_$u7b$$u7b$closure$u7d$$u7d$`).
    bool segment_start = out == s || (out - s >= 2 && out[-1] == ':' && out[-2] == ':');
    if (segment_start && in[0] == '_' && in[1] == '$') in++;
    bool done = false;
    for (const auto &t : table) {
      size_t fl = strlen(t.from);
      if (strncmp(in, t.from, fl) == 0) {
        size_t tl = strlen(t.to);
        memmove(out, t.to, tl);
        out += tl;
        in += fl;
        done = true;
        break;
      }
    }
    if (!done) *out++ = *in++;
  }
  *out = 0;
}

extern "C" const char *mt__demangle(const char *name, char *buf, size_t len) {
  if (!name || len == 0) return name;
  if (strncmp(name, "_R", 2) == 0 || strncmp(name, "__R", 3) == 0)
    return mt__demangle_rust(name, buf, len) == 0 ? buf : name;
  if (strncmp(name, "_Z", 2) != 0) return name;
  int status = 0;
  char *d = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  if (!d || status != 0) {
    free(d);
    return name;
  }
  if (strip_rust_hash(d)) unescape_rust(d);
  strncpy(buf, d, len - 1);
  buf[len - 1] = 0;
  free(d);
  return buf;
}
