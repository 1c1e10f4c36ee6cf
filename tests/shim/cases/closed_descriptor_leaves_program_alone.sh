# SPDX-License-Identifier: MIT
# A program that closes every descriptor it did not open (close loops up and down, close_range,
# closefrom, dup2 over them, a full table closed) keeps working, and the trace, moved out of the way, holds every
# event: nothing recorded before the closing is lost, recording goes on after it.
. "$LIB"
for how in loop down close_range closefrom dup2 full; do
  rm -f x.mt
  traced x.mt "$PROGS/fd_closer" "$how"
  expect_rc 0
  [ "$(cat stdout)" = ok ] || fail "$how: stdout changed: $(cat stdout)"
  ! grep -q 'closed by the program' stderr || fail "$how: the trace was lost: $(cat stderr)"
  check x.mt reader=complete end.how=0 end.status=0 end.allocations=101000 end.frees=101000 \
    end.bytes_allocated=3216000
done
