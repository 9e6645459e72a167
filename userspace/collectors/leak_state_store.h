// Keeps the leak detector's histories in a file under --state-dir, so that a
// restart of the sensor judges known processes at once instead of after a
// whole window: written atomically (a temporary file, fsync, rename) at most
// once a minute and at shutdown, read at start. Missing, corrupt or foreign
// state (another boot, other --sample-interval/--leak-window) is ignored with
// one warning; a directory that cannot be written is warned about once and
// the sensor runs without.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/leak_detector.h"

namespace hostprobe {

class LeakStateStore {
 public:
  static constexpr const char* kFileName = "leak-state";
  // The cgroups judged as units, keyed by their directory's inode number.
  static constexpr const char* kCgroupFileName = "cgroup-leak-state";
  // At most this many processes are saved (suspects and the longest first).
  static constexpr size_t kMaxProcesses = 8192;

  // `dir` empty: disabled. `boot_id` from /proc/sys/kernel/random/boot_id;
  // empty (unreadable): disabled, since times of another boot mean nothing.
  LeakStateStore(std::string dir, std::string boot_id, const LeakParams& params,
                 const char* file_name = kFileName);

  bool enabled() const { return enabled_; }
  const std::string& path() const { return path_; }

  // The saved processes, or none (and why, in the log).
  std::vector<LeakStateEntry> Load();

  // Saves when `force` or when the last save is at least `min_interval_ms`
  // old (by now_ms, CLOCK_BOOTTIME). After the first failure it warns once
  // and goes on trying quietly (a full disk may free up).
  void MaybeSave(const LeakTracker& tracker, int64_t now_ms, bool force, int64_t min_interval_ms = 60'000);

  uint64_t saves() const { return saves_; }
  uint64_t save_failures() const { return save_failures_; }
  size_t restored() const { return restored_; }

 private:
  bool enabled_ = false;
  std::string dir_, path_, boot_id_;
  int64_t sample_interval_ms_ = 0, window_ms_ = 0;
  int64_t last_save_ms_ = -1;
  uint64_t saves_ = 0, save_failures_ = 0;
  size_t restored_ = 0;
  bool warned_ = false;
};

// The first line of `path` (/proc/sys/kernel/random/boot_id), "" if unreadable.
std::string ReadBootId(const std::string& path);

}  // namespace hostprobe
