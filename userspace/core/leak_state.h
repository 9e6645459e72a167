// The leak detector's histories, saved so that a restart of the sensor (a
// rollout, an upgrade) does not blind it for a whole window. Pure: encoding
// and decoding only; userspace/collectors/leak_state_store does the files.
//
// Format (little-endian): "HPLS", u32 version, 36-byte boot id, i64 sample
// interval ms, i64 window ms, u32 entry count, then per entry: i32 pid, u64
// start time, i64 exec ms, u8 suspected (bit i: time scale i), u32 sample count, i64 time of the
// first sample, and per sample u32 ms after the first and u32 KiB; then a
// CRC-32 of everything before it. Times are CLOCK_BOOTTIME milliseconds, so
// they hold across restarts within one boot (the boot id says which).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/leak_detector.h"
#include "result.h"

namespace hostprobe {

struct LeakState {
  std::string boot_id;  // /proc/sys/kernel/random/boot_id, 36 characters
  int64_t sample_interval_ms = 0;
  int64_t window_ms = 0;
  std::vector<LeakStateEntry> entries;
};

// At most this many samples per entry are accepted (the history's bound).
inline constexpr uint32_t kLeakStateMaxSamples = 4096;
// At most this many bytes are written: entries past it are left out
// (LeakTracker::Export puts suspects and the longest histories first).
inline constexpr size_t kLeakStateMaxBytes = 16u << 20;

std::string EncodeLeakState(const LeakState& state);

// Fails, saying why, on anything that is not a complete state of this
// version: wrong magic or version, a bad CRC, a truncated or overlong body,
// counts past their bounds, samples out of order. Never throws.
Result<LeakState> DecodeLeakState(std::string_view bytes);

}  // namespace hostprobe
