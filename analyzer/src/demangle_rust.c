/* SPDX-License-Identifier: MIT */
/* Rust v0 symbol demangler (RFC 2603; grammar as in rustc's "v0 Symbol Format" chapter). A
 * recursive-descent parser that prints while it parses, in the form of rustc-demangle's alternate
 * output. Any input outside the grammar makes it fail: the caller then shows the raw name. */
#include "demangle_rust.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

enum {
  MAX_DEPTH = 500,              /* nesting of paths, types and consts, backrefs included */
  MAX_STEPS = 1 << 17,          /* productions parsed: backrefs must not make the work explode */
  MAX_BOUND_LIFETIMES = 1 << 16,
  MAX_PUNYCODE_CHARS = 512,
};

typedef struct {
  const char *sym; /* the symbol after its _R prefix: backrefs count from here */
  size_t len, pos;
  char *out;
  size_t cap, used;
  bool printing; /* false inside parts not shown: impl paths, the instantiating crate */
  bool full;     /* out is full: print nothing more and follow no more backrefs */
  unsigned depth;
  unsigned long steps;
  uint64_t bound_lifetimes; /* introduced by the binders (G) enclosing the current position */
} rdm;

typedef struct {
  const char *p;
  size_t n;
  bool punycode;
} ident;

#define TRY(x)                \
  do {                        \
    if ((x) < 0) return -1;   \
  } while (0)

static bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_symbol_char(char c) { return is_upper(c) || is_lower(c) || is_digit(c) || c == '_'; }

static char peek(const rdm *d) { return d->pos < d->len ? d->sym[d->pos] : 0; }

static char next(rdm *d) {
  char c = peek(d);
  if (c) d->pos++;
  return c;
}

static bool eat(rdm *d, char c) {
  if (peek(d) != c) return false;
  d->pos++;
  return true;
}

/* Out of room, the text is cut before the first UTF-8 sequence that does not fit whole. */
static void emitn(rdm *d, const char *s, size_t n) {
  if (!d->printing || d->full) return;
  size_t room = d->cap - 1 - d->used;
  if (n > room) {
    n = room;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80) n--;
    d->full = true;
  }
  memcpy(d->out + d->used, s, n);
  d->used += n;
}

static void emit(rdm *d, const char *s) { emitn(d, s, strlen(s)); }

static void emit_char(rdm *d, char c) { emitn(d, &c, 1); }

static void emit_u64(rdm *d, uint64_t v) {
  char tmp[24];
  size_t i = sizeof tmp;
  do {
    tmp[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  emitn(d, tmp + i, sizeof tmp - i);
}

static void emit_utf8(rdm *d, uint32_t c) {
  char b[4];
  size_t n;
  if (c < 0x80) {
    b[0] = (char)c;
    n = 1;
  } else if (c < 0x800) {
    b[0] = (char)(0xc0 | c >> 6);
    b[1] = (char)(0x80 | (c & 0x3f));
    n = 2;
  } else if (c < 0x10000) {
    b[0] = (char)(0xe0 | c >> 12);
    b[1] = (char)(0x80 | (c >> 6 & 0x3f));
    b[2] = (char)(0x80 | (c & 0x3f));
    n = 3;
  } else {
    b[0] = (char)(0xf0 | c >> 18);
    b[1] = (char)(0x80 | (c >> 12 & 0x3f));
    b[2] = (char)(0x80 | (c >> 6 & 0x3f));
    b[3] = (char)(0x80 | (c & 0x3f));
    n = 4;
  }
  emitn(d, b, n);
}

static bool is_scalar_value(uint64_t c) { return c <= 0x10ffff && !(c >= 0xd800 && c <= 0xdfff); }

static int enter(rdm *d) {
  if (++d->depth > MAX_DEPTH || ++d->steps > MAX_STEPS) return -1;
  return 0;
}

/* ---- numbers ---- */

/* <base-62-number>: "_" is 0, otherwise base-62 digits then "_" give their value + 1. */
static int base62(rdm *d, uint64_t *v) {
  if (eat(d, '_')) {
    *v = 0;
    return 0;
  }
  uint64_t x = 0;
  for (;;) {
    char c = next(d);
    unsigned digit;
    if (c == '_') break;
    if (is_digit(c)) digit = (unsigned)(c - '0');
    else if (is_lower(c)) digit = 10 + (unsigned)(c - 'a');
    else if (is_upper(c)) digit = 36 + (unsigned)(c - 'A');
    else return -1;
    if (x > (UINT64_MAX - digit) / 62) return -1;
    x = x * 62 + digit;
  }
  if (x == UINT64_MAX) return -1;
  *v = x + 1;
  return 0;
}

/* [<tag> <base-62-number>]: 0 when absent, the number + 1 when present (disambiguators, binders). */
static int opt_base62(rdm *d, char tag, uint64_t *v) {
  *v = 0;
  if (!eat(d, tag)) return 0;
  TRY(base62(d, v));
  if (*v == UINT64_MAX) return -1;
  (*v)++;
  return 0;
}

/* <decimal-number>: "0", or digits without a leading zero. */
static int decimal(rdm *d, uint64_t *v) {
  char c = peek(d);
  if (!is_digit(c)) return -1;
  d->pos++;
  uint64_t x = (uint64_t)(c - '0');
  if (x != 0)
    while (is_digit(c = peek(d))) {
      if (x > (UINT64_MAX - 9) / 10) return -1;
      x = x * 10 + (uint64_t)(c - '0');
      d->pos++;
    }
  *v = x;
  return 0;
}

/* {<hex-digit>} "_" of const data: the digits, not their value, since integers may be 128-bit. */
static int hex_digits(rdm *d, const char **p, size_t *n) {
  *p = d->sym + d->pos;
  *n = 0;
  for (char c; (c = next(d)) != '_'; (*n)++)
    if (!is_digit(c) && !(c >= 'a' && c <= 'f')) return -1;
  return 0;
}

static unsigned hex_value(char c) { return is_digit(c) ? (unsigned)(c - '0') : 10u + (unsigned)(c - 'a'); }

/* The value when it fits 64 bits. */
static bool hex_to_u64(const char *p, size_t n, uint64_t *v) {
  while (n > 0 && *p == '0') p++, n--;
  if (n > 16) return false;
  uint64_t x = 0;
  for (size_t i = 0; i < n; i++) x = x << 4 | hex_value(p[i]);
  *v = x;
  return true;
}

/* ---- identifiers ---- */

/* <undisambiguated-identifier> = ["u"] <decimal-number> ["_"] <bytes> */
static int identifier(rdm *d, ident *id) {
  uint64_t n;
  id->punycode = eat(d, 'u');
  TRY(decimal(d, &n));
  eat(d, '_'); /* separates the length from bytes that start with a digit or "_" */
  if (n > d->len - d->pos) return -1;
  id->p = d->sym + d->pos;
  id->n = (size_t)n;
  d->pos += (size_t)n;
  return 0;
}

static int punycode_digit(char c) {
  if (is_lower(c)) return c - 'a';
  if (is_digit(c)) return 26 + (c - '0');
  return -1;
}

/* RFC 3492 section 6.1. */
static uint64_t punycode_adapt(uint64_t delta, uint64_t points, bool first) {
  delta = first ? delta / 700 : delta / 2;
  delta += delta / points;
  uint64_t k = 0;
  while (delta > 35 * 26 / 2) {
    delta /= 35;
    k += 36;
  }
  return k + 36 * delta / (delta + 38);
}

/* RFC 3492 decoding, with v0's "_" in place of punycode's "-" before the encoded deltas. */
static int emit_punycode(rdm *d, const ident *id) {
  enum { LIMIT = 1u << 30 }; /* far above any i that can still give a valid code point */
  uint32_t cp[MAX_PUNYCODE_CHARS];
  size_t count = 0;
  const char *deltas = id->p, *end = id->p + id->n;
  for (const char *q = end; q > id->p; q--)
    if (q[-1] == '_') {
      for (const char *b = id->p; b < q - 1; b++) {
        if (count == MAX_PUNYCODE_CHARS) return -1;
        cp[count++] = (uint32_t)(unsigned char)*b;
      }
      deltas = q;
      break;
    }
  uint64_t n = 128, i = 0, bias = 72;
  while (deltas < end) {
    uint64_t old_i = i, w = 1;
    for (uint64_t k = 36;; k += 36) {
      if (deltas == end) return -1;
      int digit = punycode_digit(*deltas++);
      if (digit < 0 || (uint64_t)digit * w > LIMIT - i) return -1;
      i += (uint64_t)digit * w;
      uint64_t t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
      if ((uint64_t)digit < t) break;
      w *= 36 - t;
      if (w > LIMIT) return -1;
    }
    if (count == MAX_PUNYCODE_CHARS) return -1;
    bias = punycode_adapt(i - old_i, count + 1, old_i == 0);
    n += i / (count + 1);
    i %= count + 1;
    if (!is_scalar_value(n) || n < 0xa0) return -1; /* no C1 controls in an identifier */
    memmove(cp + i + 1, cp + i, (count - i) * sizeof *cp);
    cp[i++] = (uint32_t)n;
    count++;
  }
  for (size_t k = 0; k < count; k++) emit_utf8(d, cp[k]);
  return 0;
}

static int emit_identifier(rdm *d, const ident *id) {
  if (!d->printing || d->full) return 0;
  if (id->punycode) return emit_punycode(d, id);
  emitn(d, id->p, id->n);
  return 0;
}

/* ---- lifetimes and binders ---- */

/* Index 0 is the erased lifetime '_; index i names the i-th innermost bound lifetime. */
static int emit_lifetime(rdm *d, uint64_t index) {
  if (index == 0) {
    emit(d, "'_");
    return 0;
  }
  if (index > d->bound_lifetimes) return -1;
  uint64_t depth = d->bound_lifetimes - index;
  if (depth < 26) {
    emit_char(d, '\'');
    emit_char(d, (char)('a' + depth));
  } else {
    emit(d, "'_");
    emit_u64(d, depth);
  }
  return 0;
}

/* [<binder>] = "G" <base-62-number>: introduces that many + 1 lifetimes, printed "for<'a, 'b> ".
 * The caller removes them with binder_close once their scope ends. */
static int binder_open(rdm *d, uint64_t *count) {
  TRY(opt_base62(d, 'G', count));
  if (*count > MAX_BOUND_LIFETIMES - d->bound_lifetimes) return -1;
  if (*count == 0) return 0;
  emit(d, "for<");
  for (uint64_t i = 0; i < *count; i++) {
    if (i) emit(d, ", ");
    d->bound_lifetimes++;
    TRY(emit_lifetime(d, 1));
  }
  emit(d, "> ");
  return 0;
}

static void binder_close(rdm *d, uint64_t count) { d->bound_lifetimes -= count; }

/* ---- backrefs ---- */

/* "B" <base-62-number>, the B already read: moves the parse to where the backref points,
 * which must be before the B. @return 1 after the move (the caller parses there, then sets
 * d->pos back to *resume), 0 when its text would not be printed (nothing to parse), -1. */
static int backref_jump(rdm *d, size_t *resume) {
  size_t at = d->pos - 1;
  uint64_t t;
  TRY(base62(d, &t));
  if (t >= at) return -1;
  if (!d->printing || d->full) return 0;
  *resume = d->pos;
  d->pos = (size_t)t;
  return 1;
}

/* ---- paths, types, consts ---- */

static int path(rdm *d, bool in_value);
static int type(rdm *d);
static int konst(rdm *d, bool in_value);

/* Generic args after I, up to and including their E. */
static int generic_args(rdm *d) {
  for (int n = 0; !eat(d, 'E'); n++) {
    if (!peek(d)) return -1;
    if (n) emit(d, ", ");
    if (eat(d, 'L')) {
      uint64_t lt;
      TRY(base62(d, &lt));
      TRY(emit_lifetime(d, lt));
    } else if (eat(d, 'K')) {
      TRY(konst(d, false));
    } else {
      TRY(type(d));
    }
  }
  return 0;
}

/* <impl-path> = [<disambiguator>] <path>: only identifies the impl block, never printed. */
static int impl_path(rdm *d) {
  uint64_t dis;
  TRY(opt_base62(d, 's', &dis));
  bool printing = d->printing;
  d->printing = false;
  int r = path(d, false);
  d->printing = printing;
  return r;
}

static const char *namespace_name(char ns) {
  switch (ns) {
  case 'C': return "closure";
  case 'S': return "shim";
  default: return NULL;
  }
}

/* In a value path (the symbol itself), generic args print as `f::<T>`; in a type, as `Vec<T>`. */
static int path_body(rdm *d, bool in_value) {
  uint64_t dis;
  ident id;
  char tag = next(d);
  switch (tag) {
  case 'C': /* crate root; its disambiguator is the crate hash, dropped */
    TRY(opt_base62(d, 's', &dis));
    TRY(identifier(d, &id));
    return emit_identifier(d, &id);
  case 'M': /* inherent impl: <T> */
    TRY(impl_path(d));
    emit(d, "<");
    TRY(type(d));
    emit(d, ">");
    return 0;
  case 'X': /* trait impl: <T as Trait> */
    TRY(impl_path(d));
    /* fall through */
  case 'Y': /* trait definition: <T as Trait> */
    emit(d, "<");
    TRY(type(d));
    emit(d, " as ");
    TRY(path(d, false));
    emit(d, ">");
    return 0;
  case 'N': {
    char ns = next(d);
    if (!is_upper(ns) && !is_lower(ns)) return -1;
    TRY(path(d, in_value));
    TRY(opt_base62(d, 's', &dis));
    TRY(identifier(d, &id));
    if (is_upper(ns)) { /* special namespace: {closure#0}, {shim:vtable#0} */
      const char *name = namespace_name(ns);
      emit(d, "::{");
      if (name) emit(d, name);
      else emit_char(d, ns);
      if (id.n) {
        emit(d, ":");
        TRY(emit_identifier(d, &id));
      }
      emit(d, "#");
      emit_u64(d, dis);
      emit(d, "}");
    } else if (id.n) { /* an internal namespace with no name prints nothing */
      emit(d, "::");
      TRY(emit_identifier(d, &id));
    }
    return 0;
  }
  case 'I':
    TRY(path(d, in_value));
    emit(d, in_value ? "::<" : "<");
    TRY(generic_args(d));
    emit(d, ">");
    return 0;
  case 'B': {
    size_t resume;
    int r = backref_jump(d, &resume);
    if (r > 0) {
      r = path(d, in_value);
      d->pos = resume;
    }
    return r;
  }
  default:
    return -1;
  }
}

static int path(rdm *d, bool in_value) {
  TRY(enter(d));
  int r = path_body(d, in_value);
  d->depth--;
  return r;
}

/* A dyn trait's path, leaving its generic args open when it has some, so associated type
 * bindings can join them: `Iterator<Item = u8>`. */
static int dyn_trait_path(rdm *d, bool *open) {
  *open = false;
  TRY(enter(d));
  int r;
  if (eat(d, 'B')) {
    size_t resume;
    r = backref_jump(d, &resume);
    if (r > 0) {
      r = dyn_trait_path(d, open);
      d->pos = resume;
    }
  } else if (eat(d, 'I')) {
    r = path(d, false);
    if (r == 0) {
      emit(d, "<");
      r = generic_args(d);
      *open = true;
    }
  } else {
    r = path(d, false);
  }
  d->depth--;
  return r;
}

/* <dyn-trait> = <path> {"p" <undisambiguated-identifier> <type>} */
static int dyn_trait(rdm *d) {
  bool open;
  TRY(dyn_trait_path(d, &open));
  while (eat(d, 'p')) {
    ident name;
    emit(d, open ? ", " : "<");
    open = true;
    TRY(identifier(d, &name));
    TRY(emit_identifier(d, &name));
    emit(d, " = ");
    TRY(type(d));
  }
  if (open) emit(d, ">");
  return 0;
}

/* "D" <dyn-bounds> <lifetime>, the D already read. */
static int dyn_type(rdm *d) {
  uint64_t bound, lt;
  emit(d, "dyn ");
  TRY(binder_open(d, &bound));
  for (int n = 0; !eat(d, 'E'); n++) {
    if (!peek(d)) return -1;
    if (n) emit(d, " + ");
    TRY(dyn_trait(d));
  }
  binder_close(d, bound);
  if (!eat(d, 'L')) return -1;
  TRY(base62(d, &lt));
  if (lt) {
    emit(d, " + ");
    TRY(emit_lifetime(d, lt));
  }
  return 0;
}

/* "F" <fn-sig>, the F already read: [<binder>] ["U"] ["K" <abi>] {<type>} "E" <type> */
static int fn_type(rdm *d) {
  uint64_t bound;
  TRY(binder_open(d, &bound));
  if (eat(d, 'U')) emit(d, "unsafe ");
  if (eat(d, 'K')) {
    emit(d, "extern \"");
    if (!eat(d, 'C')) {
      ident abi;
      TRY(identifier(d, &abi));
      if (abi.punycode || abi.n == 0) return -1;
      for (size_t i = 0; i < abi.n; i++) emit_char(d, abi.p[i] == '_' ? '-' : abi.p[i]);
    } else {
      emit(d, "C");
    }
    emit(d, "\" ");
  }
  emit(d, "fn(");
  for (int n = 0; !eat(d, 'E'); n++) {
    if (!peek(d)) return -1;
    if (n) emit(d, ", ");
    TRY(type(d));
  }
  emit(d, ")");
  if (!eat(d, 'u')) { /* a unit return type is not printed */
    emit(d, " -> ");
    TRY(type(d));
  }
  binder_close(d, bound);
  return 0;
}

static const char *basic_type(char tag) {
  static const char *const names[26] = {
      ['a' - 'a'] = "i8",   ['b' - 'a'] = "bool",  ['c' - 'a'] = "char", ['d' - 'a'] = "f64",
      ['e' - 'a'] = "str",  ['f' - 'a'] = "f32",   ['h' - 'a'] = "u8",   ['i' - 'a'] = "isize",
      ['j' - 'a'] = "usize", ['l' - 'a'] = "i32",  ['m' - 'a'] = "u32",  ['n' - 'a'] = "i128",
      ['o' - 'a'] = "u128", ['p' - 'a'] = "_",     ['s' - 'a'] = "i16",  ['t' - 'a'] = "u16",
      ['u' - 'a'] = "()",   ['v' - 'a'] = "...",   ['x' - 'a'] = "i64",  ['y' - 'a'] = "u64",
      ['z' - 'a'] = "!",
  };
  return is_lower(tag) ? names[tag - 'a'] : NULL;
}

static int type_body(rdm *d) {
  char tag = peek(d);
  const char *basic = basic_type(tag);
  if (basic) {
    d->pos++;
    emit(d, basic);
    return 0;
  }
  if (tag && strchr("CMXYNI", tag)) return path(d, false);
  d->pos++;
  switch (tag) {
  case 'R':
  case 'Q':
    emit(d, "&");
    if (eat(d, 'L')) {
      uint64_t lt;
      TRY(base62(d, &lt));
      if (lt) {
        TRY(emit_lifetime(d, lt));
        emit(d, " ");
      }
    }
    if (tag == 'Q') emit(d, "mut ");
    return type(d);
  case 'P':
    emit(d, "*const ");
    return type(d);
  case 'O':
    emit(d, "*mut ");
    return type(d);
  case 'A':
    emit(d, "[");
    TRY(type(d));
    emit(d, "; ");
    TRY(konst(d, true));
    emit(d, "]");
    return 0;
  case 'S':
    emit(d, "[");
    TRY(type(d));
    emit(d, "]");
    return 0;
  case 'T': {
    int n = 0;
    emit(d, "(");
    for (; !eat(d, 'E'); n++) {
      if (!peek(d)) return -1;
      if (n) emit(d, ", ");
      TRY(type(d));
    }
    emit(d, n == 1 ? ",)" : ")");
    return 0;
  }
  case 'F':
    return fn_type(d);
  case 'D':
    return dyn_type(d);
  case 'B': {
    size_t resume;
    int r = backref_jump(d, &resume);
    if (r > 0) {
      r = type(d);
      d->pos = resume;
    }
    return r;
  }
  default:
    return -1;
  }
}

static int type(rdm *d) {
  TRY(enter(d));
  int r = type_body(d);
  d->depth--;
  return r;
}

/* A char as Rust's Debug prints it inside `quote` ('\'' for chars, '"' for strings). */
static void emit_escaped(rdm *d, uint32_t c, char quote) {
  switch (c) {
  case '\t': emit(d, "\\t"); return;
  case '\r': emit(d, "\\r"); return;
  case '\n': emit(d, "\\n"); return;
  case '\\': emit(d, "\\\\"); return;
  case '\0': emit(d, "\\0"); return;
  }
  if (c == (uint32_t)quote) {
    emit_char(d, '\\');
    emit_char(d, quote);
  } else if (c < 0x20 || (c >= 0x7f && c < 0xa0)) { /* C0 and C1 controls */
    static const char hex[] = "0123456789abcdef";
    char esc[] = {'\\', 'u', '{', hex[c >> 4], hex[c & 15], '}'};
    emitn(d, esc, sizeof esc);
  } else {
    emit_utf8(d, c);
  }
}

/* Hex digits two per byte, which must be UTF-8, printed as a string literal. */
static int emit_str_literal(rdm *d) {
  const char *p;
  size_t n;
  TRY(hex_digits(d, &p, &n));
  if (n % 2) return -1;
  size_t nbytes = n / 2, i = 0;
#define BYTE_AT(k) (hex_value(p[2 * (k)]) << 4 | hex_value(p[2 * (k) + 1]))
  emit_char(d, '"');
  while (i < nbytes) {
    uint32_t b = BYTE_AT(i), c;
    size_t len;
    uint32_t min;
    if (b < 0x80) len = 1, c = b, min = 0;
    else if (b >= 0xc2 && b <= 0xdf) len = 2, c = b & 0x1f, min = 0x80;
    else if (b >= 0xe0 && b <= 0xef) len = 3, c = b & 0x0f, min = 0x800;
    else if (b >= 0xf0 && b <= 0xf4) len = 4, c = b & 0x07, min = 0x10000;
    else return -1;
    if (len > nbytes - i) return -1;
    for (size_t k = 1; k < len; k++) {
      uint32_t cont = BYTE_AT(i + k);
      if ((cont & 0xc0) != 0x80) return -1;
      c = c << 6 | (cont & 0x3f);
    }
    if (c < min || !is_scalar_value(c)) return -1;
    emit_escaped(d, c, '"');
    i += len;
  }
#undef BYTE_AT
  emit_char(d, '"');
  return 0;
}

/* <const-data> of an integer: decimal when it fits 64 bits, else hex; no type suffix. */
static int emit_const_int(rdm *d) {
  const char *p;
  size_t n;
  uint64_t v;
  TRY(hex_digits(d, &p, &n));
  if (hex_to_u64(p, n, &v)) {
    emit_u64(d, v);
  } else {
    emit(d, "0x");
    emitn(d, p, n);
  }
  return 0;
}

/* Consts other than literals are expressions: inside generic args they print braced, `{&5}`. */
static int konst_body(rdm *d, bool in_value) {
  const char *p;
  size_t n;
  uint64_t v;
  bool braced = false;
  char tag = next(d);
  switch (tag) {
  case 'p':
    emit(d, "_");
    return 0;
  case 'a': case 's': case 'l': case 'x': case 'n': case 'i': /* signed */
    if (eat(d, 'n')) emit(d, "-");
    return emit_const_int(d);
  case 'h': case 't': case 'm': case 'y': case 'o': case 'j': /* unsigned */
    return emit_const_int(d);
  case 'b':
    TRY(hex_digits(d, &p, &n));
    if (!hex_to_u64(p, n, &v) || v > 1) return -1;
    emit(d, v ? "true" : "false");
    return 0;
  case 'c':
    TRY(hex_digits(d, &p, &n));
    if (!hex_to_u64(p, n, &v) || !is_scalar_value(v)) return -1;
    emit_char(d, '\'');
    emit_escaped(d, (uint32_t)v, '\'');
    emit_char(d, '\'');
    return 0;
  case 'B': {
    size_t resume;
    int r = backref_jump(d, &resume);
    if (r > 0) {
      r = konst(d, in_value);
      d->pos = resume;
    }
    return r;
  }
  case 'R':
    if (eat(d, 'e')) return emit_str_literal(d); /* &str */
    /* fall through */
  case 'Q':
  case 'e':
  case 'A':
  case 'T':
  case 'V':
    break;
  default:
    return -1;
  }
  if (!in_value) {
    emit(d, "{");
    braced = true;
  }
  switch (tag) {
  case 'e':
    emit(d, "*");
    TRY(emit_str_literal(d));
    break;
  case 'R':
  case 'Q':
    emit(d, tag == 'Q' ? "&mut " : "&");
    TRY(konst(d, false));
    break;
  case 'A':
  case 'T': {
    int count = 0;
    emit(d, tag == 'A' ? "[" : "(");
    for (; !eat(d, 'E'); count++) {
      if (!peek(d)) return -1;
      if (count) emit(d, ", ");
      TRY(konst(d, true));
    }
    emit(d, tag == 'A' ? "]" : count == 1 ? ",)" : ")");
    break;
  }
  case 'V': { /* enum variant or struct: <path> then U (unit), T (tuple fields), S (named fields) */
    TRY(path(d, true));
    char kind = next(d);
    if (kind == 'T' || kind == 'S') {
      emit(d, kind == 'T' ? "(" : " { ");
      for (int count = 0; !eat(d, 'E'); count++) {
        if (!peek(d)) return -1;
        if (count) emit(d, ", ");
        if (kind == 'S') {
          ident field;
          TRY(identifier(d, &field));
          TRY(emit_identifier(d, &field));
          emit(d, ": ");
        }
        TRY(konst(d, true));
      }
      emit(d, kind == 'T' ? ")" : " }");
    } else if (kind != 'U') {
      return -1;
    }
    break;
  }
  }
  if (braced) emit(d, "}");
  return 0;
}

static int konst(rdm *d, bool in_value) {
  TRY(enter(d));
  int r = konst_body(d, in_value);
  d->depth--;
  return r;
}

/* ---- the symbol ---- */

/* LLVM appends ".llvm.<hex>" to symbols it made local: not part of the name. */
static bool is_llvm_suffix(const char *s) {
  if (strncmp(s, ".llvm.", 6) != 0) return false;
  for (s += 6; *s; s++)
    if (!is_digit(*s) && !(*s >= 'A' && *s <= 'F') && *s != '@') return false;
  return true;
}

int mt__demangle_rust(const char *name, char *buf, size_t len) {
  if (!name || !buf || len == 0) return -1;
  const char *s;
  if (strncmp(name, "_R", 2) == 0) s = name + 2;
  else if (strncmp(name, "__R", 3) == 0) s = name + 3;
  else return -1;
  /* A digit here would be an encoding version other than v0's. */
  if (!is_upper(s[0])) return -1;
  size_t n = 0;
  while (is_symbol_char(s[n])) n++;
  const char *suffix = s + n;

  rdm d = {.sym = s, .len = n, .out = buf, .cap = len, .printing = true};
  TRY(path(&d, true));
  if (is_upper(peek(&d))) { /* the instantiating crate: which crate made this copy, not shown */
    d.printing = false;
    TRY(path(&d, false));
    d.printing = true;
  }
  if (d.pos != d.len) return -1;
  if (*suffix && !is_llvm_suffix(suffix)) { /* keep other vendor suffixes: ".cold", ".0" */
    if (*suffix != '.') return -1;
    for (const char *c = suffix; *c; c++)
      if (*c <= ' ' || *c > '~') return -1;
    emit(&d, suffix);
  }
  buf[d.used] = 0;
  return 0;
}
