// Capability bits, sets as the kernel reports them in /proc/<pid>/status,
// and their names (libcap's). Pure: parsing and formatting only; reading and
// changing a thread's sets is collectors/privileges.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "result.h"

namespace hostprobe {

// The capability bits the sensor refers to: the one place they are named.
// From linux/capability.h (capabilities.cpp checks them against it), spelled
// out so that users of this header need neither libcap nor kernel headers.
enum Capability : int {
  kCapDacOverride = 1,
  kCapDacReadSearch = 2,
  kCapSetpcap = 8,
  kCapNetBindService = 10,
  kCapSysPtrace = 19,
  kCapSysAdmin = 21,
  kCapSysResource = 24,
  kCapPerfmon = 38,
  kCapBpf = 39,
  kCapCheckpointRestore = 40,
};
constexpr int kCapLastKnown = 40;  // CAP_CHECKPOINT_RESTORE, Linux 5.9

constexpr uint64_t CapBit(int cap) { return uint64_t{1} << cap; }

// Loading and attaching the sensor's tracing programs needs CAP_BPF and
// CAP_PERFMON (Linux 5.8+), or CAP_SYS_ADMIN.
constexpr uint64_t kBpfTracingCaps = CapBit(kCapBpf) | CapBit(kCapPerfmon);
constexpr bool CanLoadTracingPrograms(uint64_t effective) {
  return (effective & CapBit(kCapSysAdmin)) != 0 || (effective & kBpfTracingCaps) == kBpfTracingCaps;
}

// One thread's sets (the Cap* lines) and its no_new_privs flag.
struct CapabilitySets {
  uint64_t inheritable = 0;
  uint64_t permitted = 0;
  uint64_t effective = 0;
  uint64_t bounding = 0;
  uint64_t ambient = 0;
  bool no_new_privs = false;
};

// Parses the text of /proc/<pid>/status or /proc/<pid>/task/<tid>/status.
// Fails when a Cap line is missing or not hexadecimal; NoNewPrivs is
// optional (kernels before 4.10 do not print it).
Result<CapabilitySets> ParseCapabilitySets(std::string_view status);

// "cap_bpf" (libcap's cap_to_name: lower case, as capsh and setpriv print
// them); "cap_<n>" for a bit libcap does not name.
std::string CapabilityName(int cap);

// "cap_perfmon,cap_bpf": CapabilityName of each bit, lowest first; "none" for
// an empty mask.
std::string CapabilityNames(uint64_t mask);

// "dac_read_search,cap_sys_ptrace" -> mask. Names as CapabilityNames prints
// them, with or without the cap_ prefix, any case (libcap's cap_from_name);
// not "cap_<n>". Fails naming the first unknown one.
Result<uint64_t> ParseCapabilityList(std::string_view list);

}  // namespace hostprobe
