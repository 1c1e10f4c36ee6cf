/* SPDX-License-Identifier: MIT */
/* Costs and number formatting: the names of the five costs and how sizes, counts, changes and
 * durations are written on screen (exact figures on the summary, short ones in columns). */
#include <inttypes.h>
#include <stdio.h>

#include "tui.h"

static const char *const cost_names[MT__COST_N] = {
    [MT__COST_ALLOCS] = "allocations", [MT__COST_BYTES] = "bytes",    [MT__COST_LEAKED] = "leaked",
    [MT__COST_PEAK] = "peak",          [MT__COST_TEMP] = "temporary",
};

const char *mt__ui_cost_name(int cost) {
  return cost >= 0 && cost < MT__COST_N ? cost_names[cost] : "?";
}

int mt__ui_cost_is_bytes(int cost) {
  return cost == MT__COST_BYTES || cost == MT__COST_LEAKED || cost == MT__COST_PEAK;
}

char *mt__ui_fmt_bytes(char *buf, size_t len, uint64_t v) {
  static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  if (v < 1024) {
    snprintf(buf, len, "%" PRIu64 " B", v);
    return buf;
  }
  double d = (double)v / 1024;
  int u = 0;
  while (d >= 1024 && u < 4) {
    d /= 1024;
    u++;
  }
  snprintf(buf, len, d < 100 ? "%.1f %s" : "%.0f %s", d, units[u]);
  return buf;
}

char *mt__ui_fmt_count(char *buf, size_t len, uint64_t v) {
  char digits[32];
  int n = snprintf(digits, sizeof digits, "%" PRIu64, v);
  size_t o = 0;
  for (int i = 0; i < n && o + 1 < len; i++) {
    if (i > 0 && (n - i) % 3 == 0 && o + 2 < len) buf[o++] = ',';
    buf[o++] = digits[i];
  }
  buf[o] = 0;
  return buf;
}

char *mt__ui_fmt_cost(char *buf, size_t len, int cost, uint64_t v) {
  if (mt__ui_cost_is_bytes(cost)) return mt__ui_fmt_bytes(buf, len, v);
  if (v < 10000000) return mt__ui_fmt_count(buf, len, v);
  if (v < 10000000000ull)
    snprintf(buf, len, "%.1fM", (double)v / 1e6);
  else
    snprintf(buf, len, "%.1fG", (double)v / 1e9);
  return buf;
}

char *mt__ui_fmt_delta(char *buf, size_t len, int cost, int64_t v) {
  if (v == 0) {
    snprintf(buf, len, "0");
    return buf;
  }
  char body[32];
  uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  mt__ui_fmt_cost(body, sizeof body, cost, mag);
  snprintf(buf, len, "%c%s", v < 0 ? '-' : '+', body);
  return buf;
}

char *mt__ui_fmt_time(char *buf, size_t len, uint64_t ns) {
  if (ns >= 1000000000ull)
    snprintf(buf, len, "%.2f s", (double)ns / 1e9);
  else if (ns >= 1000000)
    snprintf(buf, len, "%.1f ms", (double)ns / 1e6);
  else if (ns >= 1000)
    snprintf(buf, len, "%.1f us", (double)ns / 1e3);
  else
    snprintf(buf, len, "%" PRIu64 " ns", ns);
  return buf;
}
