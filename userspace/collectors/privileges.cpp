#include "collectors/privileges.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <spdlog/spdlog.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>
#include <type_traits>

namespace hostprobe {
namespace {

std::string ReadText(const char* path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct CapFree {
  void operator()(cap_t caps) const { cap_free(caps); }
};
using CapHandle = std::unique_ptr<std::remove_pointer_t<cap_t>, CapFree>;

// The bits of `set` in `caps`, as a mask.
uint64_t MaskOf(cap_t caps, cap_flag_t set) {
  uint64_t mask = 0;
  for (int cap = 0; cap < 64; ++cap) {
    cap_flag_value_t v = CAP_CLEAR;
    if (cap_get_flag(caps, cap, set, &v) == 0 && v == CAP_SET) mask |= CapBit(cap);
  }
  return mask;
}

// Raises the bits of `mask` in `set` of `caps`.
int SetMask(cap_t caps, cap_flag_t set, uint64_t mask) {
  for (cap_value_t cap = 0; cap < 64; ++cap) {
    if ((mask & CapBit(cap)) != 0 && cap_set_flag(caps, set, 1, &cap, CAP_SET) != 0) return -1;
  }
  return 0;
}

// errno of a map lookup made without any capability, or 0 when it worked.
// Kernels before 6.5 refuse every bpf() command to a caller without CAP_BPF
// when kernel.unprivileged_bpf_disabled is set; later ones check only at
// program load and map creation.
int MapLookupErrnoWithoutCapabilities() {
  int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "hp_cap_probe", sizeof(uint32_t), sizeof(uint64_t), 1, nullptr);
  if (fd < 0) return -fd;
  int result = 0;
  std::thread([fd, &result] {
    if (auto st = SetThreadCapabilities({}); !st.ok()) {
      result = st.error().err;
      return;
    }
    uint32_t key = 0;
    uint64_t value = 0;
    result = bpf_map_lookup_elem(fd, &key, &value) == 0 ? 0 : errno;
  }).join();
  close(fd);
  return result;
}

int UnprivilegedPortStart() {
  std::string text = ReadText("/proc/sys/net/ipv4/ip_unprivileged_port_start");
  return text.empty() ? 1024 : std::atoi(text.c_str());
}

size_t CountThreads() {
  size_t n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') ++n;
    closedir(d);
  }
  return n;
}

}  // namespace

Result<ThreadCapabilities> ReadThreadCapabilities() {
  CapHandle caps(cap_get_proc());
  if (!caps) return Error::FromErrno("capget");
  return ThreadCapabilities{MaskOf(caps.get(), CAP_EFFECTIVE), MaskOf(caps.get(), CAP_PERMITTED),
                            MaskOf(caps.get(), CAP_INHERITABLE)};
}

Status SetThreadCapabilities(const ThreadCapabilities& wanted) {
  CapHandle caps(cap_init());  // every set empty
  if (!caps) return Error::FromErrno("capset");
  if (SetMask(caps.get(), CAP_EFFECTIVE, wanted.effective) != 0 ||
      SetMask(caps.get(), CAP_PERMITTED, wanted.permitted) != 0 ||
      SetMask(caps.get(), CAP_INHERITABLE, wanted.inheritable) != 0 || cap_set_proc(caps.get()) != 0)
    return Error::FromErrno("capset");
  return Ok{};
}

KeepDecision DecideCapabilitiesToKeep(const PrivilegeConfig& config) {
  KeepDecision d;
  if (int e = MapLookupErrnoWithoutCapabilities(); e != 0) {
    d.keep |= CapBit(kCapBpf);
    d.reasons.push_back(std::string("cap_bpf: this kernel refuses map reads without it (") +
                        std::strerror(e) + "; kernels before 6.5 with kernel.unprivileged_bpf_disabled set)");
  }
  if (config.listen_port != 0 && config.listen_port < UnprivilegedPortStart()) {
    d.keep |= CapBit(kCapNetBindService);
    d.reasons.push_back("cap_net_bind_service: --listen port " + std::to_string(config.listen_port) +
                        " is below net.ipv4.ip_unprivileged_port_start");
  }
  if (config.extra_keep != 0) {
    d.keep |= config.extra_keep;
    d.reasons.push_back(CapabilityNames(config.extra_keep) + ": --keep-capabilities");
  }
  return d;
}

Result<DropReport> DropCapabilities(uint64_t keep) {
  DropReport r;
  auto before = ParseCapabilitySets(ReadText("/proc/self/status"));
  if (!before) return Error{"reading /proc/self/status: " + before.error().message, before.error().err};
  r.before = *before;
  // A thread that was just joined (the map probe's) can stay listed for a
  // moment: the kernel wakes the joiner before it removes the task.
  r.threads = CountThreads();
  for (int i = 0; i < 100 && r.threads > 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    r.threads = CountThreads();
  }
  if (r.threads != 1)
    return Error{"cannot drop capabilities: " + std::to_string(r.threads) +
                     " threads are running and would keep theirs",
                 EBUSY};

  auto held = ReadThreadCapabilities();
  if (!held) return held.error();
  keep &= held->permitted;  // cannot keep what we do not hold

  // The bounding set first: trimming it needs CAP_SETPCAP, which goes next.
  if ((held->effective & CapBit(kCapSetpcap)) != 0) {
    const int last = cap_max_bits() - 1;  // the running kernel's last capability
    for (int cap = 0; cap <= last; ++cap) {
      if ((keep & CapBit(cap)) != 0) continue;
      if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
        return Error::FromErrno("prctl(PR_CAPBSET_DROP, " + CapabilityNames(CapBit(cap)) + ")");
    }
    r.bounding_trimmed = true;
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    return Error::FromErrno("prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
  if (auto st = SetThreadCapabilities({keep, keep, 0}); !st.ok()) return st.error();
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Error::FromErrno("prctl(PR_SET_NO_NEW_PRIVS)");

  auto after = ParseCapabilitySets(ReadText("/proc/self/status"));
  if (!after) return Error{"reading /proc/self/status: " + after.error().message, after.error().err};
  r.after = *after;
  if (r.after.effective != keep || r.after.permitted != keep || r.after.ambient != 0)
    return Error{"capabilities did not drop: CapEff " + CapabilityNames(r.after.effective), EPERM};
  return r;
}

Status DropUnneededCapabilities(const PrivilegeConfig& config) {
  KeepDecision d = DecideCapabilitiesToKeep(config);
  auto r = DropCapabilities(d.keep);
  if (!r)
    return Error{r.error().message + "; pass --keep-capabilities to run without dropping them",
                 r.error().err};
  spdlog::info("dropped capabilities: {} (kept: {}; bounding set {}; no_new_privs set)",
               CapabilityNames(r->before.effective & ~r->after.effective),
               CapabilityNames(r->after.effective),
               r->bounding_trimmed ? "trimmed to the kept ones" : "unchanged: no cap_setpcap to trim it");
  for (const auto& why : d.reasons) spdlog::info("kept {}", why);
  if (uint64_t missing = d.keep & ~r->after.effective; missing != 0)
    spdlog::warn("asked to keep {} but never held it: grant it to the sensor", CapabilityNames(missing));
  return Ok{};
}

}  // namespace hostprobe
