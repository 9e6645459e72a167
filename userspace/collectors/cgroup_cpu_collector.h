// Loads bpf/cgroup_cpu.bpf.c (on-CPU time per cgroup) and reads its maps.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "collectors/bpf_features.h"
#include "core/cgroup_cpu_current.h"
#include "core/collector.h"
#include "core/diskio_snapshot.h"
#include "core/options.h"

struct cgroup_cpu_bpf;

namespace hostprobe {

class CgroupCpuCollector final : public Collector, public CgroupCpuSource {
 public:
  static Result<std::unique_ptr<CgroupCpuCollector>> Start(HookMode mode, const BpfFeatures& features);
  ~CgroupCpuCollector() override;
  CgroupCpuCollector(const CgroupCpuCollector&) = delete;
  CgroupCpuCollector& operator=(const CgroupCpuCollector&) = delete;

  std::string name() const override { return "cgroup_cpu"; }
  std::vector<HookStatus> hooks() const override { return hooks_; }
  CollectorHealth health() override;

  Result<CgroupCpuSnapshot> ReadCgroupCpu() override;
  void ForgetCgroups(const std::vector<uint64_t>& ids) override;
  const std::string& hook_family() const { return family_; }

 private:
  CgroupCpuCollector() = default;
  static Result<std::unique_ptr<CgroupCpuCollector>> StartWith(bool use_tp_btf, const BpfFeatures& features);

  struct SkelDeleter {
    void operator()(cgroup_cpu_bpf* s) const;
  };
  std::unique_ptr<cgroup_cpu_bpf, SkelDeleter> skel_;
  std::string family_;
  std::vector<HookStatus> hooks_;
  StallWatch stall_;
  int possible_cpus_ = 0;
  std::mutex current_mu_;
  CurrentCgroupCpu current_;
};

}  // namespace hostprobe
