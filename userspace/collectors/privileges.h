// A thread's capabilities (through libcap), and dropping the ones the sensor
// needs only to load and attach its programs. The drop is made once, after
// every program is attached and before any thread starts: capabilities are
// per thread, and a thread started later inherits the dropped sets from the
// one that starts it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/capabilities.h"
#include "core/result.h"

namespace hostprobe {

// The sets capget/capset act on.
struct ThreadCapabilities {
  uint64_t effective = 0;
  uint64_t permitted = 0;
  uint64_t inheritable = 0;
};

// The calling thread's sets (libcap's cap_get_proc). Fails with capget's errno.
Result<ThreadCapabilities> ReadThreadCapabilities();

// Sets the calling thread's sets, and only its own (libcap's cap_set_proc;
// the sensor does not link libpsx, which would make it act on every thread).
// Fails with capset's errno.
Status SetThreadCapabilities(const ThreadCapabilities& caps);

struct PrivilegeConfig {
  uint16_t listen_port = 0;  // below net.ipv4.ip_unprivileged_port_start, binding needs a capability
  uint64_t extra_keep = 0;   // --keep-capabilities=LIST, or what a collector needs at steady state
};

// What stays and why; `reasons` has one line per kept capability.
struct KeepDecision {
  uint64_t keep = 0;
  std::vector<std::string> reasons;
};

// Decides which capabilities the running sensor still needs. CAP_BPF stays
// only where the kernel gates every bpf() command on it (before 6.5 with
// kernel.unprivileged_bpf_disabled set): that is measured, not assumed, by
// reading a scratch map from a thread that holds no capabilities.
KeepDecision DecideCapabilitiesToKeep(const PrivilegeConfig& config);

struct DropReport {
  CapabilitySets before;
  CapabilitySets after;           // this thread, read back from /proc/self/status
  bool bounding_trimmed = false;  // false without CAP_SETPCAP (then execve still gains nothing: no_new_privs)
  size_t threads = 0;             // threads of the process at the time of the drop
};

// Clears ambient and inheritable, reduces permitted and effective to
// `keep`, trims the bounding set to `keep` when CAP_SETPCAP allows, and sets
// no_new_privs. Fails if the process already has more than one thread (their
// sets would stay) or if the kernel refuses a step.
Result<DropReport> DropCapabilities(uint64_t keep);

// Decides, drops and logs the outcome ("dropped capabilities: ..."). The
// error says how to run anyway.
Status DropUnneededCapabilities(const PrivilegeConfig& config);

}  // namespace hostprobe
