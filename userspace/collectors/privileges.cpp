#include "collectors/privileges.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <linux/capability.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace hostprobe {
namespace {

std::string ReadText(const char* path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// capget/capset act on the calling thread only (glibc does not broadcast
// them), which is what both the probe thread and the drop rely on.
bool GetThreadCaps(uint64_t* eff, uint64_t* prm, uint64_t* inh) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  *eff = data[0].effective | (uint64_t{data[1].effective} << 32);
  *prm = data[0].permitted | (uint64_t{data[1].permitted} << 32);
  *inh = data[0].inheritable | (uint64_t{data[1].inheritable} << 32);
  return true;
}

int SetThreadCaps(uint64_t eff, uint64_t prm, uint64_t inh) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  data[0] = {static_cast<uint32_t>(eff), static_cast<uint32_t>(prm), static_cast<uint32_t>(inh)};
  data[1] = {static_cast<uint32_t>(eff >> 32), static_cast<uint32_t>(prm >> 32),
             static_cast<uint32_t>(inh >> 32)};
  return syscall(SYS_capset, &header, data) == 0 ? 0 : errno;
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
    if (int e = SetThreadCaps(0, 0, 0); e != 0) {
      result = e;
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

int LastCap() {
  std::string text = ReadText("/proc/sys/kernel/cap_last_cap");
  return text.empty() ? kCapLastKnown : std::atoi(text.c_str());
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

  uint64_t eff = 0, prm = 0, inh = 0;
  if (!GetThreadCaps(&eff, &prm, &inh)) return Error::FromErrno("capget");
  keep &= prm;  // cannot keep what we do not hold

  // The bounding set first: trimming it needs CAP_SETPCAP, which goes next.
  if ((eff & CapBit(kCapSetpcap)) != 0) {
    const int last = LastCap();
    for (int cap = 0; cap <= last; ++cap) {
      if ((keep & CapBit(cap)) != 0) continue;
      if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
        return Error::FromErrno("prctl(PR_CAPBSET_DROP, " + CapabilityNames(CapBit(cap)) + ")");
    }
    r.bounding_trimmed = true;
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    return Error::FromErrno("prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
  if (int e = SetThreadCaps(keep, keep, 0); e != 0) return Error::FromErrno("capset", e);
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
