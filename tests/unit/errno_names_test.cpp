#include "core/errno_names.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <string>
#include <string_view>

namespace hostprobe {
namespace {

TEST(ErrnoNamesTest, CommonNames) {
  EXPECT_EQ(ErrnoName(2), "ENOENT");
  EXPECT_EQ(ErrnoName(13), "EACCES");
  EXPECT_EQ(ErrnoName(11), "EAGAIN");
  EXPECT_EQ(ErrnoName(22), "EINVAL");
  EXPECT_EQ(ErrnoName(1), "EPERM");
  EXPECT_EQ(ErrnoName(35), "EDEADLK");
}

TEST(ErrnoNamesTest, AliasesTakeThePrimaryName) {
  EXPECT_EQ(ErrnoName(95), "EOPNOTSUPP");  // also ENOTSUP
  EXPECT_EQ(ErrnoName(EWOULDBLOCK), "EAGAIN");
  EXPECT_EQ(ErrnoName(EDEADLOCK), "EDEADLK");
}

TEST(ErrnoNamesTest, LastGenericName) { EXPECT_EQ(ErrnoName(133), "EHWPOISON"); }

TEST(ErrnoNamesTest, KernelInternalCodes) {
  EXPECT_EQ(ErrnoName(512), "ERESTARTSYS");
  EXPECT_EQ(ErrnoName(513), "ERESTARTNOINTR");
  EXPECT_EQ(ErrnoName(514), "ERESTARTNOHAND");
  EXPECT_EQ(ErrnoName(515), "ENOIOCTLCMD");
  EXPECT_EQ(ErrnoName(516), "ERESTART_RESTARTBLOCK");
  EXPECT_EQ(ErrnoName(524), "ENOTSUPP");
  EXPECT_EQ(ErrnoName(529), "EIOCBQUEUED");
  EXPECT_EQ(ErrnoName(531), "ENOGRACE");
}

TEST(ErrnoNamesTest, UnnamedNumbers) {
  EXPECT_EQ(ErrnoName(0), "errno_0");
  EXPECT_EQ(ErrnoName(41), "errno_41");
  EXPECT_EQ(ErrnoName(58), "errno_58");
  EXPECT_EQ(ErrnoName(134), "errno_134");
  EXPECT_EQ(ErrnoName(511), "errno_511");
  EXPECT_EQ(ErrnoName(520), "errno_520");
  EXPECT_EQ(ErrnoName(532), "errno_532");
  EXPECT_EQ(ErrnoName(4095), "errno_4095");
  EXPECT_EQ(ErrnoName(5000), "errno_5000");
  EXPECT_EQ(ErrnoName(4294967295u), "errno_4294967295");
}

TEST(ErrnoNamesTest, NamesAreUnique) {
  std::set<std::string> seen;
  for (uint32_t e = 0; e < 600; ++e) {
    std::string name = ErrnoName(e);
    ASSERT_FALSE(name.empty());
    EXPECT_TRUE(seen.insert(name).second) << e << " -> " << name;
  }
}

// glibc knows the generic errno names too; both must agree except where glibc
// names an alias differently.
TEST(ErrnoNamesTest, AgreesWithGlibc) {
  int compared = 0;
  for (int e = 1; e <= 133; ++e) {
    const char* glibc = strerrorname_np(e);
    if (glibc == nullptr) {
      EXPECT_EQ(ErrnoName(e), "errno_" + std::to_string(e)) << "glibc has no name for " << e;
      continue;
    }
    std::string_view g = glibc;
    std::string ours = ErrnoName(e);
    if ((g == "EWOULDBLOCK" && ours == "EAGAIN") || (g == "EDEADLOCK" && ours == "EDEADLK") ||
        (g == "ENOTSUP" && ours == "EOPNOTSUPP")) {
      continue;
    }
    EXPECT_EQ(ours, g) << "errno " << e;
    ++compared;
  }
  EXPECT_GT(compared, 120);
}

}  // namespace
}  // namespace hostprobe
