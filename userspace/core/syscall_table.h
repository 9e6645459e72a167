// Syscall number <-> name for the architectures hostprobe knows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace hostprobe {

// kI386: the numbers of x86_64's 32-bit compat entry (int $0x80, 32-bit
// binaries), which are i386's.
enum class Arch { kX86_64, kArm64, kI386 };

// The architecture this binary was built for.
Arch HostArch();

// Immutable after construction; safe to share between threads.
class SyscallTable {
 public:
  explicit SyscallTable(Arch arch);

  // "read", "getppid"; a number with no name gives "sys_<n>".
  std::string Name(uint32_t number) const;
  // A 32-bit compat call's name: on x86_64 "ia32_" and the i386 name
  // ("ia32_getppid", "ia32_sys_<n>"); elsewhere "compat_sys_<n>".
  std::string CompatName(uint32_t number) const;
  std::optional<uint32_t> Number(std::string_view name) const;
  size_t size() const { return names_.size(); }

 private:
  std::vector<std::string_view> names_;         // index: number; empty for holes
  std::vector<std::string_view> compat_names_;  // the same for compat calls
  std::string_view compat_prefix_;
  std::unordered_map<std::string_view, uint32_t> numbers_;
};

}  // namespace hostprobe
