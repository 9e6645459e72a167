// Capability sets as the kernel reports them in /proc/<pid>/status, and their
// names. Pure: parsing and formatting only; applying a drop is
// collectors/privileges.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "result.h"

namespace hostprobe {

// Bit numbers from linux/capability.h, spelled out so this header needs no
// kernel headers new enough to name CAP_PERFMON and CAP_BPF (5.8).
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
constexpr int kCapLastKnown = 40;

constexpr uint64_t CapBit(int cap) { return uint64_t{1} << cap; }

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

// "cap_bpf,cap_perfmon" (lower case, as capsh and setpriv print them); an
// unnamed bit is "cap_<n>"; "none" for an empty mask.
std::string CapabilityNames(uint64_t mask);

// "dac_read_search,cap_sys_ptrace" -> mask. Names as CapabilityNames prints
// them, with or without the cap_ prefix, any case. Fails naming the first
// unknown one.
Result<uint64_t> ParseCapabilityList(std::string_view list);

}  // namespace hostprobe
