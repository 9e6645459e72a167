// Loads bpf/diskio.bpf.c (block I/O) and reads its maps into snapshots.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "collectors/bpf_features.h"
#include "core/collector.h"
#include "core/diskio_snapshot.h"
#include "core/options.h"

struct diskio_bpf;

namespace hostprobe {

class DiskioCollector final : public Collector, public DiskioSource {
 public:
  static Result<std::unique_ptr<DiskioCollector>> Start(HookMode mode, const BpfFeatures& features);
  ~DiskioCollector() override;
  DiskioCollector(const DiskioCollector&) = delete;
  DiskioCollector& operator=(const DiskioCollector&) = delete;

  std::string name() const override { return "diskio"; }
  std::vector<HookStatus> hooks() const override { return hooks_; }
  CollectorHealth health() override;

  Result<DiskioSnapshot> ReadDiskio() override;
  void ForgetCgroups(const std::vector<uint64_t>& ids) override;
  const std::string& hook_family() const { return family_; }

 private:
  DiskioCollector() = default;
  static Result<std::unique_ptr<DiskioCollector>> StartWith(bool use_tp_btf, const BpfFeatures& features);

  struct SkelDeleter {
    void operator()(diskio_bpf* s) const;
  };
  std::unique_ptr<diskio_bpf, SkelDeleter> skel_;
  std::string family_;
  std::vector<HookStatus> hooks_;
};

}  // namespace hostprobe
