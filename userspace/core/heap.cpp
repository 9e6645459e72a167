#include "core/heap.h"

#include <malloc.h>
#include <unistd.h>

#include <cstdio>

namespace hostprobe {
namespace {

long ResidentPages() {
  long size = 0, resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "re");
  if (f == nullptr) return -1;
  const bool ok = std::fscanf(f, "%ld %ld", &size, &resident) == 2;
  std::fclose(f);
  return ok ? resident : -1;
}

}  // namespace

void ConfigureHeap() { mallopt(M_ARENA_MAX, 2); }

size_t ReleaseFreeHeap() {
  const long before = ResidentPages();
  malloc_trim(0);
  const long after = ResidentPages();
  if (before < 0 || after < 0 || after >= before) return 0;
  return static_cast<size_t>(before - after) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace hostprobe
