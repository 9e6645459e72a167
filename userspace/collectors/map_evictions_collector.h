// Evictions from the sensor's LRU hashes (in-flight syscalls and block
// requests, exits already seen, per-process memory, probe calls in flight),
// counted in the kernel by bpf/map_evictions.bpf.c.
//
// Optional: the program is an fexit, which needs BPF trampolines. Where the
// kernel refuses it the sensor runs on without the eviction counts: the
// program is reported not attached (log line, hostprobe_bpf_program_attached)
// and /healthz stays healthy, as for process memory's fexit programs.
#pragma once

#include <linux/types.h>  // __u32/__u64 for the shared BPF header

#include <memory>
#include <string>
#include <vector>

#include "core/collector.h"
#include "core/map_evictions.h"
#include "core/result.h"

struct map_evictions_bpf;  // generated skeleton

namespace hostprobe {

class MapEvictionsCollector final : public Collector, public MapEvictionsSource {
 public:
  // One LRU map to count, as found among the process's own file descriptors.
  struct WatchedMap {
    uint32_t id = 0;
    std::string name;  // the kernel's name for it
  };

  // Finds every LRU hash this process holds (so call it once every other
  // collector has loaded), loads the program and watches those maps. Never
  // fails: a program the kernel refuses is reported in hooks().
  static std::unique_ptr<MapEvictionsCollector> Start();
  ~MapEvictionsCollector() override;
  MapEvictionsCollector(const MapEvictionsCollector&) = delete;
  MapEvictionsCollector& operator=(const MapEvictionsCollector&) = delete;

  std::string name() const override { return "map_evictions"; }
  std::vector<HookStatus> hooks() const override { return hooks_; }
  // Healthy when the counters can be read, or when the program is not
  // attached: the counts are an addition, every other figure stands without.
  CollectorHealth health() override;
  Result<MapEvictionsSnapshot> ReadMapEvictions() override;
  const std::vector<WatchedMap>& watched() const { return watched_; }

 private:
  MapEvictionsCollector() = default;
  Status Load();

  struct SkelDeleter {
    void operator()(map_evictions_bpf* s) const;
  };
  std::unique_ptr<map_evictions_bpf, SkelDeleter> skel_;
  std::vector<WatchedMap> watched_;  // index = counter slot
  std::vector<HookStatus> hooks_;
};

}  // namespace hostprobe
