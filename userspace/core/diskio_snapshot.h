// Plain snapshots of the block I/O and cgroup CPU collectors' kernel maps,
// summed over CPUs.
#pragma once

#include <linux/types.h>  // __u32/__u64 for the shared BPF headers

#include <array>
#include <cstdint>
#include <vector>

#include "../../bpf/cgroup_cpu.h"
#include "../../bpf/diskio.h"
#include "result.h"

namespace hostprobe {

struct DiskCounts {
  uint32_t major = 0;
  uint32_t minor = 0;
  uint32_t op = 0;  // enum hp_disk_op
  uint64_t bytes = 0;
  uint64_t ops = 0;
  uint64_t latency_sum_ns = 0;
  std::array<uint64_t, HP_LATENCY_SLOTS> latency_slots{};
};

struct CgroupDiskBytes {
  uint64_t cgroup_id = 0;
  std::array<uint64_t, HP_DISK_OP__COUNT> bytes{};  // indexed by enum hp_disk_op
};

struct DiskioSnapshot {
  std::vector<DiskCounts> disks;
  std::vector<CgroupDiskBytes> cgroups;
  std::array<uint64_t, HP_DISK_STAT__COUNT> self_stats{};
};

struct CgroupCpuTime {
  uint64_t cgroup_id = 0;
  uint64_t ns = 0;
};

struct CgroupCpuSnapshot {
  std::vector<CgroupCpuTime> cgroups;
  std::array<uint64_t, HP_CPU_STAT__COUNT> self_stats{};
};

// "read", "write", "discard", "flush", "other".
const char* DiskOpName(uint32_t op);

// The kernel's internal dev_t (12-bit major, 20-bit minor), as the BPF side stores it.
inline uint32_t DevMajor(uint32_t dev) { return dev >> 20; }
inline uint32_t DevMinor(uint32_t dev) { return dev & ((1u << 20) - 1); }

class DiskioSource {
 public:
  virtual ~DiskioSource() = default;
  virtual Result<DiskioSnapshot> ReadDiskio() = 0;
  virtual void ForgetCgroups(const std::vector<uint64_t>& ids) = 0;
};

class CgroupCpuSource {
 public:
  virtual ~CgroupCpuSource() = default;
  virtual Result<CgroupCpuSnapshot> ReadCgroupCpu() = 0;
  virtual void ForgetCgroups(const std::vector<uint64_t>& ids) = 0;
};

}  // namespace hostprobe
