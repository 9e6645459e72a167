// Fault-injection hooks: HOSTPROBE_TEST_* environment variables that make
// the sensor meet what only some kernels do (a refused attach, a small map,
// no mmapable arrays), so the tests can prove the sensor copes. They exist
// only in a build configured with -DHOSTPROBE_TEST_HOOKS=ON (the builds of
// scripts/test.sh, sanitize.sh and the kernel matrix); in any other build,
// the shipped image's included, no hook is read and no hook's name is in the
// binary. This header is the one place that decides.
//
//   HOSTPROBE_TEST_REFUSE_ATTACH=prog[,prog...]  those programs fail to attach
//                                                 (collectors/bpf_util.h)
//   HOSTPROBE_TEST_MAX_ENTRIES=map=N[,map=N...]   those maps get N entries
//                                                 (collectors/bpf_util.h)
//   HOSTPROBE_TEST_NO_MMAP=1                      the syscall counters are read
//                                                 as before 5.5, without mmap
#pragma once

#include <cstdlib>

#ifndef HOSTPROBE_TEST_HOOKS
#error "HOSTPROBE_TEST_HOOKS is undefined: CMake defines it (0 or 1) for whatever links hostprobe_core"
#endif

namespace hostprobe {

// Whether this build reads the hooks. A test that needs one skips without.
inline constexpr bool kTestHooksBuilt = HOSTPROBE_TEST_HOOKS != 0;

// One hook as read: the variable's name, for logs, and its value (nullptr
// when unset). In a build without hooks both are empty: "" and nullptr.
struct TestHook {
  const char* name;
  const char* value;
};

}  // namespace hostprobe

// HOSTPROBE_TEST_HOOK("NO_MMAP") reads HOSTPROBE_TEST_NO_MMAP. A macro, so
// that a build without hooks holds neither the read nor the name.
#if HOSTPROBE_TEST_HOOKS
#define HOSTPROBE_TEST_HOOK(suffix) \
  (::hostprobe::TestHook{"HOSTPROBE_TEST_" suffix, ::std::getenv("HOSTPROBE_TEST_" suffix)})
#else
#define HOSTPROBE_TEST_HOOK(suffix) (::hostprobe::TestHook{"", nullptr})
#endif
