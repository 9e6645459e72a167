#include "syscall_table.h"

#include "syscall_table_data.inc"

namespace hostprobe {
namespace {

struct Entry {
  uint32_t number;
  std::string_view name;
};

#define HP_ENTRY(nr, name) Entry{nr, name},
constexpr Entry kX86_64[] = {HP_SYSCALLS_X86_64(HP_ENTRY)};
constexpr Entry kArm64[] = {HP_SYSCALLS_ARM64(HP_ENTRY)};
constexpr Entry kI386[] = {HP_SYSCALLS_I386(HP_ENTRY)};
#undef HP_ENTRY

}  // namespace

Arch HostArch() {
#if defined(__aarch64__)
  return Arch::kArm64;
#else
  return Arch::kX86_64;
#endif
}

SyscallTable::SyscallTable(Arch arch) {
  auto fill = [this](const auto& entries) {
    for (const Entry& e : entries) {
      if (e.number >= names_.size()) names_.resize(e.number + 1);
      names_[e.number] = e.name;
      numbers_.emplace(e.name, e.number);
    }
  };
  switch (arch) {
    case Arch::kArm64:
      fill(kArm64);
      compat_prefix_ = "compat_";
      break;
    case Arch::kI386:
      fill(kI386);
      compat_prefix_ = "compat_";
      break;
    case Arch::kX86_64:
      fill(kX86_64);
      compat_prefix_ = "ia32_";
      for (const Entry& e : kI386) {
        if (e.number >= compat_names_.size()) compat_names_.resize(e.number + 1);
        compat_names_[e.number] = e.name;
      }
      break;
  }
}

std::string SyscallTable::Name(uint32_t number) const {
  if (number < names_.size() && !names_[number].empty()) return std::string(names_[number]);
  return "sys_" + std::to_string(number);
}

std::string SyscallTable::CompatName(uint32_t number) const {
  if (number < compat_names_.size() && !compat_names_[number].empty())
    return std::string(compat_prefix_) + std::string(compat_names_[number]);
  return std::string(compat_prefix_) + "sys_" + std::to_string(number);
}

std::optional<uint32_t> SyscallTable::Number(std::string_view name) const {
  auto it = numbers_.find(name);
  if (it == numbers_.end()) return std::nullopt;
  return it->second;
}

}  // namespace hostprobe
