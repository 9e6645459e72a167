// A BPF array map read in place: mapped read-only, no syscall per read.
#pragma once

#include <cstddef>

#include "core/result.h"

namespace hostprobe {

// An array map created with BPF_F_MMAPABLE, mapped read-only so that its
// entries are read in place, without a syscall; unmapped when destroyed.
class MappedMap {
 public:
  MappedMap() = default;
  MappedMap(const MappedMap&) = delete;
  MappedMap& operator=(const MappedMap&) = delete;
  ~MappedMap();
  // Maps the first `bytes` of map `fd` (once).
  Result<const void*> Map(int fd, size_t bytes);

 private:
  void* addr_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace hostprobe
