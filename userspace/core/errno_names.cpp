#include "errno_names.h"

#include <string.h>

#include <string_view>

namespace hostprobe {
namespace {

// include/linux/errno.h: kernel-internal codes, never meant for userspace but
// visible at sys_exit, which glibc does not name.
constexpr uint32_t kKernelBase = 512;
constexpr std::string_view kKernelNames[] = {
    "ERESTARTSYS",
    "ERESTARTNOINTR",
    "ERESTARTNOHAND",
    "ENOIOCTLCMD",
    "ERESTART_RESTARTBLOCK",
    "EPROBE_DEFER",
    "EOPENSTALE",
    "ENOPARAM",
    "",
    "EBADHANDLE",
    "ENOTSYNC",
    "EBADCOOKIE",
    "ENOTSUPP",
    "ETOOSMALL",
    "ESERVERFAULT",
    "EBADTYPE",
    "EJUKEBOX",
    "EIOCBQUEUED",
    "ERECALLCONFLICT",
    "ENOGRACE",
};

}  // namespace

std::string ErrnoName(uint32_t err) {
  // glibc (2.32+) names the generic values (asm-generic/errno{-base,}.h, as
  // on x86_64 and arm64) and gives aliases the primary name (EAGAIN, not
  // EWOULDBLOCK). It spells 0 "0", which is no errno.
  if (err != 0 && err < kKernelBase) {
    if (const char* name = strerrorname_np(static_cast<int>(err)); name != nullptr) return name;
  }
  constexpr size_t kKernelCount = sizeof(kKernelNames) / sizeof(kKernelNames[0]);
  if (err >= kKernelBase && err - kKernelBase < kKernelCount && !kKernelNames[err - kKernelBase].empty())
    return std::string(kKernelNames[err - kKernelBase]);
  return "errno_" + std::to_string(err);
}

}  // namespace hostprobe
