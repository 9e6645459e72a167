// Plain snapshot of the host collector (CPU time, memory, pressure,
// filesystems) and the interface the exporter reads it through.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/procfs.h"
#include "core/result.h"

namespace hostprobe {

// What one statvfs says, in bytes and inodes.
struct FsUsage {
  uint64_t size_bytes = 0;   // f_blocks * f_frsize
  uint64_t avail_bytes = 0;  // f_bavail * f_frsize: what unprivileged users may still write
  uint64_t free_bytes = 0;   // f_bfree * f_frsize: includes blocks reserved for root
  uint64_t files = 0;        // f_files
  uint64_t files_free = 0;   // f_ffree
};

struct FilesystemSnapshot {
  std::string device;       // mount source: "/dev/vda1", "tmpfs", "server:/export"
  std::string mount_point;  // as the host sees it, without the --rootfs prefix
  std::string fstype;
  // Latest statvfs that returned: absent before the first one returns and
  // while the latest one failed. While `stuck`, the values from before.
  std::optional<FsUsage> usage;
  bool stuck = false;        // a statvfs has been running for longer than the deadline
  uint64_t stat_errors = 0;  // failed statvfs calls since the mount was first seen
};

struct CoreSeconds {
  uint32_t cpu = 0;
  CpuSeconds seconds;
};

struct ResourcePressure {
  std::string resource;  // "cpu", "memory", "io"
  Pressure pressure;
};

struct HostSnapshot {
  CpuSeconds cpu;                      // aggregate over all CPUs
  std::vector<CoreSeconds> cpu_cores;  // filled only when per-CPU is on
  MemInfo memory;
  std::vector<ResourcePressure> pressure;  // only the resources the kernel reports
  std::vector<FilesystemSnapshot> filesystems;
  // Parts that could not be read (a malformed pressure file, no readable
  // mountinfo). The rest of the snapshot is still good.
  std::vector<std::string> problems;
};

// Implemented by HostCollector, faked in tests of the exporter.
class HostSource {
 public:
  virtual ~HostSource() = default;
  // Fails only when /proc/stat or /proc/meminfo cannot be read or parsed.
  virtual Result<HostSnapshot> Read() = 0;
};

}  // namespace hostprobe
