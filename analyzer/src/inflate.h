/* SPDX-License-Identifier: MIT */
/* Decompression of a module's compressed DWARF sections (SHF_COMPRESSED .debug_*) on helper
 * threads, one per processor but the caller's, ahead of libdw, which then finds them ready
 * (with libdeflate when built with it, else libelf's zlib). The Elf handles stay owned by the
 * caller, who must not use one while its group is in flight; one thread queues and waits. */
#ifndef MT_ANALYZER_INFLATE_H
#define MT_ANALYZER_INFLATE_H

#include <libelf.h>

typedef struct mt__inflater mt__inflater;

/* @return 0 or -1 (no memory). Threads start with the first queued section. */
int mt__inflater_new(mt__inflater **out);
/* Queue elf's compressed DWARF sections. @return their group, or -1 when there are none. */
int mt__inflate_queue(mt__inflater *z, Elf *elf);
/* Return once the group's sections are decompressed, decompressing some on this thread. */
void mt__inflate_wait(mt__inflater *z, int group);
/* Stop the helpers (sections not started stay compressed); before the Elf handles are ended. */
void mt__inflater_stop(mt__inflater *z);
/* Stop the helpers and free everything, the sections' buffers too: after the Elf handles are
 * ended. */
void mt__inflater_free(mt__inflater *z);

#endif
