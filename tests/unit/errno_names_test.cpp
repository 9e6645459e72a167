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

// The label values of 1..133 as the sensor has always exported them (the
// table it had before glibc named them): a glibc that spelled one otherwise
// would change a series. "-" marks a number with no name.
TEST(ErrnoNamesTest, GenericNamesAreTheExportedLabelValues) {
  const std::string expected =
      "EPERM ENOENT ESRCH EINTR EIO ENXIO E2BIG ENOEXEC EBADF ECHILD EAGAIN ENOMEM EACCES EFAULT "
      "ENOTBLK EBUSY EEXIST EXDEV ENODEV ENOTDIR EISDIR EINVAL ENFILE EMFILE ENOTTY ETXTBSY EFBIG "
      "ENOSPC ESPIPE EROFS EMLINK EPIPE EDOM ERANGE EDEADLK ENAMETOOLONG ENOLCK ENOSYS ENOTEMPTY ELOOP "
      "- ENOMSG EIDRM ECHRNG EL2NSYNC EL3HLT EL3RST ELNRNG EUNATCH ENOCSI EL2HLT EBADE EBADR EXFULL "
      "ENOANO EBADRQC EBADSLT - EBFONT ENOSTR ENODATA ETIME ENOSR ENONET ENOPKG EREMOTE ENOLINK EADV "
      "ESRMNT ECOMM EPROTO EMULTIHOP EDOTDOT EBADMSG EOVERFLOW ENOTUNIQ EBADFD EREMCHG ELIBACC ELIBBAD "
      "ELIBSCN ELIBMAX ELIBEXEC EILSEQ ERESTART ESTRPIPE EUSERS ENOTSOCK EDESTADDRREQ EMSGSIZE "
      "EPROTOTYPE ENOPROTOOPT EPROTONOSUPPORT ESOCKTNOSUPPORT EOPNOTSUPP EPFNOSUPPORT EAFNOSUPPORT "
      "EADDRINUSE EADDRNOTAVAIL ENETDOWN ENETUNREACH ENETRESET ECONNABORTED ECONNRESET ENOBUFS EISCONN "
      "ENOTCONN ESHUTDOWN ETOOMANYREFS ETIMEDOUT ECONNREFUSED EHOSTDOWN EHOSTUNREACH EALREADY "
      "EINPROGRESS ESTALE EUCLEAN ENOTNAM ENAVAIL EISNAM EREMOTEIO EDQUOT ENOMEDIUM EMEDIUMTYPE "
      "ECANCELED ENOKEY EKEYEXPIRED EKEYREVOKED EKEYREJECTED EOWNERDEAD ENOTRECOVERABLE ERFKILL "
      "EHWPOISON";
  std::string got;
  for (uint32_t e = 1; e <= 133; ++e) {
    const std::string name = ErrnoName(e);
    got += (e == 1 ? "" : " ") + (name == "errno_" + std::to_string(e) ? std::string("-") : name);
  }
  EXPECT_EQ(got, expected);
}

// glibc names none of the kernel-internal codes: the sensor's own table is
// what names them.
TEST(ErrnoNamesTest, GlibcLeavesTheKernelInternalCodesToUs) {
  for (int e = 512; e <= 531; ++e) EXPECT_EQ(strerrorname_np(e), nullptr) << e;
  EXPECT_EQ(ErrnoName(517), "EPROBE_DEFER");
  EXPECT_EQ(ErrnoName(530), "ERECALLCONFLICT");
}

}  // namespace
}  // namespace hostprobe
