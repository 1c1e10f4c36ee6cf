# SPDX-License-Identifier: MIT
# Frees made by pthread key destructors that run after the recorder's own (8 threads at once)
# are recorded, with sequence numbers still rising within every chunk. (glibc also frees a
# few thread descriptors' DTVs, calloc'ed by pthread_create, when its stack cache is full.)
. "$LIB"
traced x.mt "$PROGS/key_dtor"
expect_rc 0
check x.mt reader=complete kind.alloc.malloc=800
f=$(sed -n 's/^kind.free.malloc=//p' facts)
c=$(sed -n 's/^kind.alloc.calloc=//p' facts)
[ "$f" -ge 800 ] && [ "$f" -le $((800 + ${c:-0})) ] || fail "$f frees, expected 800 + at most $c DTVs"
