/* SPDX-License-Identifier: MIT */
/* Demangler for Rust v0 symbol names (`_R...`, RFC 2603), written for names read from arbitrary
 * binaries: bounded recursion, bounded work, never writes past the caller's buffer. */
#ifndef MT_ANALYZER_DEMANGLE_RUST_H
#define MT_ANALYZER_DEMANGLE_RUST_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Demangle the v0 symbol `name` (prefix `_R` or `__R`) into buf, in the form Rust backtraces
 * print (`<alloc::vec::Vec<u8>>::push`, no crate hashes). A name longer than len - 1 bytes is
 * cut at len - 1 bytes.
 * @return 0 with buf filled, or -1 when name is not a well-formed v0 symbol (buf then holds
 *         scratch data) or len is 0. */
int mt__demangle_rust(const char *name, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
