// Host resources from /proc (CPU time, memory, pressure stall information,
// block device names) and statvfs (filesystem usage). The parsing is in
// core/procfs.h; this reads the files, from a procfs root that tests (and
// containers with the host's /proc mounted elsewhere) point somewhere else.
#pragma once

#include <sys/statvfs.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/collector.h"
#include "core/host_snapshot.h"
#include "core/procfs.h"
#include "core/result.h"

namespace hostprobe {

// Pure; products that overflow 64 bits saturate.
FsUsage UsageFromStatvfs(const struct statvfs& st);

// statvfs(3) as a value. Injectable so tests can fake a hung NFS mount.
using StatvfsFn = std::function<Result<struct statvfs>(const std::string& path)>;
Result<struct statvfs> SystemStatvfs(const std::string& path);

// Thread-safe: Read(), health() and DeviceName() may be called concurrently.
//
// statvfs can block forever (an NFS server that went away), so it never runs
// on the caller's thread. Each Read() queues one call per mount that has no
// call outstanding to a pool of detached workers (one, parked between
// scrapes, unless calls hang: see FsState), waits for them until the
// deadline, and reports the latest result of each. A call still running at its deadline
// marks the mount stuck; no new call is made for that mount until it
// returns. At most max_statvfs_in_flight calls run at once: a scrape waits
// (within its deadline) for a free slot, so hung mounts cannot pile up
// threads, and only when that many are hung do other mounts go unread. The
// threads share state with the collector through a shared_ptr: destroying
// the collector never waits for them.
class HostCollector final : public Collector, public HostSource {
 public:
  struct Config {
    std::string procfs = "/proc";
    std::string rootfs = "/";  // prefix for statvfs: host mount point M is at rootfs + M
    bool per_cpu = false;
    std::chrono::milliseconds statvfs_deadline{1000};
    size_t max_statvfs_in_flight = 64;  // calls running at once, across all mounts (> 0)
    std::chrono::milliseconds diskstats_min_reread{1000};
    StatvfsFn statvfs;              // empty: statvfs(3)
    uint64_t ticks_per_second = 0;  // 0: sysconf(_SC_CLK_TCK)
  };

  explicit HostCollector(Config config);
  ~HostCollector() override;
  HostCollector(const HostCollector&) = delete;
  HostCollector& operator=(const HostCollector&) = delete;

  std::string name() const override { return "host"; }
  std::vector<HookStatus> hooks() const override { return {}; }
  // Reads /proc/stat and /proc/meminfo afresh; unhealthy with the reason
  // when either cannot be read or parsed.
  CollectorHealth health() override;

  // Takes at most about statvfs_deadline (only when a mount has just hung or
  // is slow; otherwise as long as the slowest statvfs).
  Result<HostSnapshot> Read() override;

  // Kernel name of a block device ("vda", "nvme0n1p2") from /proc/diskstats.
  // A miss re-reads the file, at most once per diskstats_min_reread.
  std::optional<std::string> DeviceName(uint32_t major, uint32_t minor);

  // statvfs calls queued or running now (stuck ones included).
  size_t statvfs_in_flight() const;

  const Config& config() const { return config_; }

 private:
  struct FsState;  // shared with the statvfs threads

  Status ReadCpuAndMemory(HostSnapshot& snap);
  void ReadPressure(HostSnapshot& snap);
  void ReadFilesystems(HostSnapshot& snap);
  std::string StatPath(const std::string& mount_point) const;

  const Config config_;
  const std::string procfs_;  // without trailing '/'
  const std::string rootfs_;  // without trailing '/'; empty for "/"
  const uint64_t ticks_per_second_;
  const std::shared_ptr<FsState> fs_;

  std::array<std::atomic<bool>, 3> pressure_absent_logged_{};
  std::atomic<bool> mountinfo_fallback_logged_{false};
  std::atomic<bool> cap_logged_{false};

  std::mutex dev_mu_;
  std::unordered_map<uint64_t, std::string> devices_;  // (major << 32 | minor) -> name
  std::optional<std::chrono::steady_clock::time_point> devices_read_at_;
};

}  // namespace hostprobe
