// Attaches the user-defined probes (--probe, --probe-config) with
// bpf/uprobes.bpf.c and reads their counters into snapshots.
#pragma once

#include <linux/types.h>  // __u32/__u64 for the shared BPF header

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../../bpf/uprobes.h"
#include "core/collector.h"
#include "core/probe_snapshot.h"
#include "core/probe_spec.h"
#include "core/result.h"

struct uprobes_bpf;  // generated skeleton
struct bpf_link;

namespace hostprobe {

// Thread-safe: the maps are read with syscalls; nothing else changes after Start.
class UprobeCollector final : public Collector, public ProbeSource {
 public:
  // Loads the programs the probes need and attaches every probe, to all
  // processes (pid -1) that run the binary. Fails, naming the probe, binary
  // and symbol (or USDT probe), when any probe cannot be attached; nothing
  // stays attached then. Also fails for an empty list.
  static Result<std::unique_ptr<UprobeCollector>> Start(const std::vector<ProbeSpec>& probes);

  // True when Start failed because of what the probes name (a binary, symbol
  // or USDT probe that does not exist, a file that is not ELF, USDT without
  // support in this build): a usage error (exit 2), not a refusal by the
  // kernel (exit 1).
  static bool IsProbeConfigError(const Error& e);
  ~UprobeCollector() override;
  UprobeCollector(const UprobeCollector&) = delete;
  UprobeCollector& operator=(const UprobeCollector&) = delete;

  // Whether this build's BPF object has the USDT program (see uprobes.bpf.c).
  static bool UsdtSupported();

  std::string name() const override { return "uprobes"; }
  // One status per kernel program (each serves many probes).
  std::vector<HookStatus> hooks() const override { return hooks_; }
  CollectorHealth health() override;
  const std::string& hook_family() const { return family_; }

  Result<ProbeSnapshot> ReadProbes() override;

 private:
  UprobeCollector() = default;

  struct SkelDeleter {
    void operator()(uprobes_bpf* s) const;
  };
  struct LinkDeleter {
    void operator()(bpf_link* l) const;
  };
  // Declared before links_ so the links are destroyed first.
  std::unique_ptr<uprobes_bpf, SkelDeleter> skel_;
  std::vector<std::unique_ptr<bpf_link, LinkDeleter>> links_;
  std::vector<ProbeSpec> probes_;
  std::vector<HookStatus> hooks_;
  std::string family_ = "uprobe";
};

}  // namespace hostprobe
