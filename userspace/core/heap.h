// The process's own heap: glibc malloc settings for a sensor with a few
// long-lived threads, and giving back what start-up freed.
#pragma once

#include <cstddef>

namespace hostprobe {

// Call before any other thread starts. Limits glibc to two malloc arenas
// (its default is up to eight per core, one per thread that allocates at
// once), so memory a scrape frees on one worker thread is reused by the next
// scrape on another instead of staying in a third arena.
void ConfigureHeap();

// Returns the free pages of the heap to the kernel (malloc_trim): start-up
// parses the kernel's BTF once per eBPF object and frees it, and glibc keeps
// those pages otherwise. Returns how much the resident set shrank, in bytes
// (0 when it did not, or /proc/self/statm cannot be read).
size_t ReleaseFreeHeap();

}  // namespace hostprobe
