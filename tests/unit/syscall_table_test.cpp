#include "core/syscall_table.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <limits>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/syscall_snapshot.h"
#include "core/syscall_table_data.inc"

namespace hostprobe {
namespace {

using Entries = std::vector<std::pair<uint32_t, std::string_view>>;

#define HP_TEST_ENTRY(nr, name) {nr, name},
const Entries kX86Entries = {HP_SYSCALLS_X86_64(HP_TEST_ENTRY)};
const Entries kArm64Entries = {HP_SYSCALLS_ARM64(HP_TEST_ENTRY)};
const Entries kI386Entries = {HP_SYSCALLS_I386(HP_TEST_ENTRY)};
#undef HP_TEST_ENTRY

TEST(SyscallTableTest, X86_64Names) {
  SyscallTable t(Arch::kX86_64);
  EXPECT_EQ(t.Name(0), "read");
  EXPECT_EQ(t.Name(39), "getpid");
  EXPECT_EQ(t.Name(110), "getppid");
  EXPECT_EQ(t.Name(257), "openat");
  EXPECT_EQ(t.Name(60), "exit");
  EXPECT_EQ(t.Name(231), "exit_group");
  EXPECT_EQ(t.Name(262), "newfstatat");
  EXPECT_EQ(t.Name(435), "clone3");
  EXPECT_EQ(t.Name(451), "cachestat");
  EXPECT_EQ(t.Name(335), "uretprobe");
}

TEST(SyscallTableTest, Arm64Names) {
  SyscallTable t(Arch::kArm64);
  EXPECT_EQ(t.Name(63), "read");
  EXPECT_EQ(t.Name(173), "getppid");
  EXPECT_EQ(t.Name(56), "openat");
  EXPECT_EQ(t.Name(93), "exit");
  EXPECT_EQ(t.Name(94), "exit_group");
  EXPECT_EQ(t.Name(79), "newfstatat");
  EXPECT_EQ(t.Name(80), "fstat");
  EXPECT_EQ(t.Name(222), "mmap");
  // The generic table has no open(2), only openat(2).
  EXPECT_EQ(t.Number("open"), std::nullopt);
}

TEST(SyscallTableTest, TablesDiffer) {
  SyscallTable x86(Arch::kX86_64);
  SyscallTable arm(Arch::kArm64);
  EXPECT_EQ(x86.Name(63), "uname");
  EXPECT_EQ(arm.Name(0), "io_setup");
  EXPECT_NE(*x86.Number("getppid"), *arm.Number("getppid"));
}

TEST(SyscallTableTest, UnknownNumberGivesSysN) {
  for (Arch arch : {Arch::kX86_64, Arch::kArm64}) {
    SyscallTable t(arch);
    EXPECT_EQ(t.Name(999), "sys_999");
    EXPECT_EQ(t.Name(1023), "sys_1023");
    EXPECT_EQ(t.Name(static_cast<uint32_t>(t.size())), "sys_" + std::to_string(t.size()));
    EXPECT_EQ(t.Name(std::numeric_limits<uint32_t>::max()), "sys_4294967295");
  }
  // Holes inside the table.
  EXPECT_EQ(SyscallTable(Arch::kX86_64).Name(400), "sys_400");
  EXPECT_EQ(SyscallTable(Arch::kArm64).Name(250), "sys_250");
}

TEST(SyscallTableTest, NumberRoundTrip) {
  SyscallTable x86(Arch::kX86_64);
  SyscallTable arm(Arch::kArm64);
  EXPECT_EQ(x86.Number("getppid"), 110u);
  EXPECT_EQ(arm.Number("getppid"), 173u);
  EXPECT_EQ(x86.Name(*x86.Number("getppid")), "getppid");
  EXPECT_EQ(arm.Name(*arm.Number("getppid")), "getppid");
  EXPECT_EQ(x86.Number("read"), 0u);
}

TEST(SyscallTableTest, NumberOfNonsenseIsNullopt) {
  for (Arch arch : {Arch::kX86_64, Arch::kArm64}) {
    SyscallTable t(arch);
    EXPECT_EQ(t.Number("not_a_syscall"), std::nullopt);
    EXPECT_EQ(t.Number(""), std::nullopt);
    EXPECT_EQ(t.Number("GETPPID"), std::nullopt);
    EXPECT_EQ(t.Number("sys_999"), std::nullopt);
    EXPECT_EQ(t.Number("getppid "), std::nullopt);
  }
}

void CheckTable(Arch arch, const Entries& entries) {
  SyscallTable t(arch);
  ASSERT_FALSE(entries.empty());
  std::set<uint32_t> numbers;
  std::set<std::string_view> names;
  uint32_t max_nr = 0;
  for (const auto& [nr, name] : entries) {
    EXPECT_FALSE(name.empty()) << "number " << nr;
    EXPECT_TRUE(numbers.insert(nr).second) << "duplicate number " << nr;
    EXPECT_TRUE(names.insert(name).second) << "duplicate name " << name;
    EXPECT_NE(name.substr(0, 4), "sys_") << name;
    EXPECT_EQ(t.Name(nr), name);
    EXPECT_EQ(t.Number(name), nr) << name;
    max_nr = std::max(max_nr, nr);
  }
  EXPECT_EQ(t.size(), max_nr + 1);
  // Every number the table covers is either a named entry or a sys_<n> hole.
  for (uint32_t nr = 0; nr < t.size(); ++nr) {
    std::string name = t.Name(nr);
    ASSERT_FALSE(name.empty());
    if (numbers.count(nr)) {
      EXPECT_EQ(t.Number(name), nr);
    } else {
      EXPECT_EQ(name, "sys_" + std::to_string(nr));
    }
  }
}

TEST(SyscallTableTest, X86_64EntriesUniqueAndRoundTrip) { CheckTable(Arch::kX86_64, kX86Entries); }

TEST(SyscallTableTest, Arm64EntriesUniqueAndRoundTrip) { CheckTable(Arch::kArm64, kArm64Entries); }

TEST(SyscallTableTest, I386EntriesUniqueAndRoundTrip) { CheckTable(Arch::kI386, kI386Entries); }

TEST(SyscallTableTest, CompatNamesComeFromTheI386Table) {
  SyscallTable x86(Arch::kX86_64);
  EXPECT_EQ(x86.CompatName(20), "ia32_getpid");
  EXPECT_EQ(x86.CompatName(64), "ia32_getppid");
  EXPECT_EQ(x86.Name(64), "semget");  // the same number, natively
  EXPECT_EQ(x86.CompatName(1), "ia32_exit");
  EXPECT_EQ(x86.CompatName(252), "ia32_exit_group");
  EXPECT_EQ(x86.CompatName(500), "ia32_sys_500");
  EXPECT_EQ(x86.Number("ia32_getppid"), std::nullopt);  // Number() is native only
  EXPECT_EQ(SyscallTable(Arch::kArm64).CompatName(1), "compat_sys_1");
}

// Every compat slot the kernel program has room for holds the i386 table.
TEST(SyscallTableTest, I386TableFitsTheCompatSlots) {
  for (const auto& [nr, name] : kI386Entries)
    EXPECT_LT(nr, HP_MAX_SYSCALLS - 1 - HP_COMPAT_SLOT_BASE) << name;
  for (const auto& [nr, name] : kX86Entries) EXPECT_LT(nr, HP_COMPAT_SLOT_BASE) << name;
  for (const auto& [nr, name] : kArm64Entries) EXPECT_LT(nr, HP_COMPAT_SLOT_BASE) << name;
}

TEST(SyscallTableTest, I386AgreesWithInstalledUapiHeader) {
  std::ifstream in("/usr/include/x86_64-linux-gnu/asm/unistd_32.h");
  if (!in) GTEST_SKIP() << "no asm/unistd_32.h installed";
  SyscallTable t(Arch::kI386);
  const std::regex define(R"(^#define __NR_(\w+) (\d+)\s*$)");
  std::string line;
  int checked = 0;
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_match(line, m, define)) continue;
    EXPECT_EQ(t.Name(static_cast<uint32_t>(std::stoul(m[2]))), m[1].str());
    ++checked;
  }
  EXPECT_GT(checked, 300);
}

TEST(SyscallTableTest, HostArchMatchesBuild) {
#if defined(__aarch64__)
  EXPECT_EQ(HostArch(), Arch::kArm64);
#else
  EXPECT_EQ(HostArch(), Arch::kX86_64);
#endif
}

// Cross-check against the installed UAPI header where there is one (the
// generated table may be newer than the header, never disagree with it).
TEST(SyscallTableTest, X86_64AgreesWithInstalledUapiHeader) {
  std::ifstream in("/usr/include/x86_64-linux-gnu/asm/unistd_64.h");
  if (!in) GTEST_SKIP() << "no x86_64 asm/unistd_64.h installed";
  SyscallTable t(Arch::kX86_64);
  const std::regex define(R"(^#define __NR_(\w+) (\d+)\s*$)");
  std::string line;
  int checked = 0;
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_match(line, m, define)) continue;
    uint32_t nr = static_cast<uint32_t>(std::stoul(m[2]));
    EXPECT_EQ(t.Name(nr), m[1].str()) << "number " << nr;
    ++checked;
  }
  EXPECT_GT(checked, 300);
}

}  // namespace
}  // namespace hostprobe
