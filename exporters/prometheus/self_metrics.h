// The sensor's own metrics: build info, which kernel programs are attached
// and how many of their runs the kernel skipped, and the standard process_*
// figures (CPU, memory, fds, start time).
#pragma once

#include <prometheus/collectable.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/collector.h"

namespace hostprobe {

// Reads a loaded program's recursion_misses by its fd (the kernel's count of
// runs it skipped); nullopt when the kernel does not report it. The sensor
// passes ReadRecursionMisses (collectors/bpf_util.h); tests pass a fake.
using RecursionMissesReader = std::function<std::optional<uint64_t>(int prog_fd)>;

// The sensor's own BPF maps and the kernel memory each holds; the sensor
// passes ReadOwnBpfMapMemory (collectors/bpf_util.h); tests pass a fake.
using BpfMapMemoryReader = std::function<std::vector<BpfMapMemory>()>;

// hostprobe_bpf_map_memory_bytes{map}, maps of one name summed, and
// hostprobe_bpf_maps_memory_bytes, their total.
std::vector<prometheus::MetricFamily> BuildMapMemoryFamilies(const std::vector<BpfMapMemory>& maps);

struct ProgramRecursionMisses {
  std::string program;  // as in hostprobe_bpf_program_attached
  uint64_t misses = 0;
};

// Every loaded program of the live collectors whose count `read` gives, in
// the order of `slots` and their hooks().
std::vector<ProgramRecursionMisses> CollectRecursionMisses(const std::vector<CollectorSlot>& slots,
                                                           const RecursionMissesReader& read);

// hostprobe_bpf_program_recursion_misses_total{program}.
prometheus::MetricFamily BuildRecursionMissesFamily(const std::vector<ProgramRecursionMisses>& programs);

class SelfMetrics : public prometheus::Collectable {
 public:
  // `slots` must outlive this object. Without `read_misses` the recursion
  // misses family is left out.
  explicit SelfMetrics(const std::vector<CollectorSlot>& slots, RecursionMissesReader read_misses = nullptr,
                       BpfMapMemoryReader read_maps = nullptr);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const std::vector<CollectorSlot>& slots_;
  const RecursionMissesReader read_misses_;
  const BpfMapMemoryReader read_maps_;
  const double start_time_seconds_;
  // Health checks read maps: run them at most once a second for the
  // metrics, however often Prometheus (or several) scrape.
  std::vector<CollectorStatus> Statuses() const;
  mutable std::mutex status_mu_;
  mutable std::vector<CollectorStatus> statuses_;
  mutable std::chrono::steady_clock::time_point statuses_at_{};
  mutable bool have_statuses_ = false;
  // The maps' memory is read from every fd's /proc/self/fdinfo (a tenth of a
  // scrape's CPU) and moves only as hash maps fill: read at most this often.
  static constexpr std::chrono::seconds kMapMemoryRefresh{30};
  std::vector<BpfMapMemory> MapMemory() const;
  mutable std::mutex maps_mu_;
  mutable std::vector<BpfMapMemory> maps_;
  mutable std::optional<std::chrono::steady_clock::time_point> maps_at_;
};

}  // namespace hostprobe
