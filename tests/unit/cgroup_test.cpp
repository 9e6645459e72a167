#include "core/cgroup.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include "temp_dir.h"

namespace hostprobe {
namespace {

using namespace std::chrono_literals;
using test_util::InodeOf;
using test_util::TempDir;

std::string ReadFixture(const std::string& name) {
  std::ifstream in(std::string(HOSTPROBE_FIXTURES) + "/" + name);
  EXPECT_TRUE(in) << "missing fixture " << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ---- FindCgroup2Mount ---------------------------------------------------------

TEST(FindCgroup2MountTest, PureV2Host) {
  EXPECT_EQ(FindCgroup2Mount(ReadFixture("mountinfo_v2.txt")), "/sys/fs/cgroup");
}

TEST(FindCgroup2MountTest, HybridHost) {
  EXPECT_EQ(FindCgroup2Mount(ReadFixture("mountinfo_hybrid.txt")), "/sys/fs/cgroup/unified");
}

TEST(FindCgroup2MountTest, V1OnlyHost) {
  // Includes a tmpfs whose *source* is called "cgroup2": the type decides.
  EXPECT_EQ(FindCgroup2Mount(ReadFixture("mountinfo_v1.txt")), std::nullopt);
}

TEST(FindCgroup2MountTest, EscapedSpaceInMountPoint) {
  EXPECT_EQ(FindCgroup2Mount(ReadFixture("mountinfo_escaped.txt")), "/mnt/my cgroups");
}

TEST(FindCgroup2MountTest, OtherEscapes) {
  EXPECT_EQ(FindCgroup2Mount("1 2 0:1 / /a\\011b\\134c\\012d rw - cgroup2 cgroup2 rw\n"), "/a\tb\\c\nd");
  // Not an octal escape: kept literally.
  EXPECT_EQ(FindCgroup2Mount("1 2 0:1 / /a\\9xy rw - cgroup2 cgroup2 rw\n"), "/a\\9xy");
  EXPECT_EQ(FindCgroup2Mount("1 2 0:1 / /end\\04 rw - cgroup2 cgroup2 rw\n"), "/end\\04");
  EXPECT_EQ(FindCgroup2Mount("1 2 0:1 / /end\\040 rw - cgroup2 cgroup2 rw\n"), "/end ");
}

TEST(FindCgroup2MountTest, GarbageLinesDoNotCrash) {
  // Malformed lines are skipped; the good cgroup2 line at the end is found.
  EXPECT_EQ(FindCgroup2Mount(ReadFixture("mountinfo_garbage.txt")), "/sys/fs/cgroup");
  EXPECT_EQ(FindCgroup2Mount(""), std::nullopt);
  EXPECT_EQ(FindCgroup2Mount("\n\n\n"), std::nullopt);
  EXPECT_EQ(FindCgroup2Mount(" - cgroup2"), std::nullopt);
  EXPECT_EQ(FindCgroup2Mount("1 2 3 4 - "), std::nullopt);
  EXPECT_EQ(FindCgroup2Mount(std::string_view("1 2 0:1 / /x rw - cgroup2\0 x", 28)), std::nullopt);
}

TEST(FindCgroup2MountTest, TruncatedLastLine) {
  // The file ends mid-line (a short read): the fields that are there suffice.
  EXPECT_EQ(FindCgroup2Mount(ReadFixture("mountinfo_truncated.txt")), "/sys/fs/cgroup");
  // Truncated inside the type: not cgroup2.
  EXPECT_EQ(FindCgroup2Mount("60 24 0:60 / /sys/fs/cgroup rw - cgro"), std::nullopt);
}

TEST(FindCgroup2MountTest, FirstCgroup2Wins) {
  EXPECT_EQ(FindCgroup2Mount("1 0 0:1 / /first rw - cgroup2 cgroup2 rw\n"
                             "2 0 0:2 / /second rw - cgroup2 cgroup2 rw\n"),
            "/first");
}

TEST(FindCgroup2MountTest, OptionalFieldsAndCrlf) {
  EXPECT_EQ(FindCgroup2Mount("33 22 0:28 / /cg rw shared:9 master:3 propagate_from:2 - cgroup2 cgroup2 rw\n"),
            "/cg");
  EXPECT_EQ(FindCgroup2Mount("33 22 0:28 / /cg rw - cgroup2 cgroup2 rw\r\n"), "/cg");
}

TEST(FindCgroup2MountTest, RandomBytesDoNotCrash) {
  std::string s;
  unsigned x = 1;
  for (int i = 0; i < 20000; ++i) {
    x = x * 1103515245 + 12345;
    const char alphabet[] = " -\\0123456789/\ncgroup2";
    s.push_back(alphabet[(x >> 16) % (sizeof(alphabet) - 1)]);
  }
  auto r = FindCgroup2Mount(s);  // any answer will do; it must return
  (void)r;
}

// ---- CgroupResolver -------------------------------------------------------------

class CgroupResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    tmp_.Mkdir("/system.slice");
    tmp_.Mkdir("/system.slice/ssh.service");
    tmp_.Mkdir("/system.slice/cron.service");
    tmp_.Mkdir("/kubepods.slice");
    tmp_.Mkdir("/kubepods.slice/pod-x");
    tmp_.Mkdir("/kubepods.slice/pod-x/ctr 1");
    tmp_.Mkdir("/user.slice");
    // cgroupfs is full of interface files; they are not cgroups.
    for (const char* f : {"/cgroup.procs", "/system.slice/cgroup.procs", "/system.slice/memory.max",
                          "/kubepods.slice/pod-x/cpu.stat"}) {
      int fd = open((tmp_.path() + f).c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
      ASSERT_GE(fd, 0) << f;
      close(fd);
    }
    // A symlink to a directory is not a cgroup either.
    ASSERT_EQ(symlink("system.slice", (tmp_.path() + "/link.slice").c_str()), 0);
  }

  uint64_t Id(const std::string& rel) { return InodeOf(tmp_.path() + rel); }

  TempDir tmp_;
};

TEST_F(CgroupResolverTest, ResolvesEveryDirectory) {
  CgroupResolver r(tmp_.path());
  EXPECT_EQ(r.root(), tmp_.path());
  EXPECT_EQ(r.Resolve(Id("")), "/");
  EXPECT_EQ(r.Resolve(Id("/system.slice")), "/system.slice");
  EXPECT_EQ(r.Resolve(Id("/system.slice/ssh.service")), "/system.slice/ssh.service");
  EXPECT_EQ(r.Resolve(Id("/system.slice/cron.service")), "/system.slice/cron.service");
  EXPECT_EQ(r.Resolve(Id("/kubepods.slice")), "/kubepods.slice");
  EXPECT_EQ(r.Resolve(Id("/kubepods.slice/pod-x")), "/kubepods.slice/pod-x");
  EXPECT_EQ(r.Resolve(Id("/kubepods.slice/pod-x/ctr 1")), "/kubepods.slice/pod-x/ctr 1");
  EXPECT_EQ(r.Resolve(Id("/user.slice")), "/user.slice");
  // The root and the seven directories; no files, no symlink.
  EXPECT_EQ(r.known(), 8u);
}

TEST_F(CgroupResolverTest, FilesAndSymlinksAreIgnored) {
  CgroupResolver r(tmp_.path());
  ASSERT_TRUE(r.Rescan().ok());
  EXPECT_EQ(r.Resolve(Id("/cgroup.procs")), std::nullopt);
  EXPECT_EQ(r.Resolve(Id("/system.slice/memory.max")), std::nullopt);
  EXPECT_EQ(r.Resolve(Id("/kubepods.slice/pod-x/cpu.stat")), std::nullopt);
  struct stat st {};
  ASSERT_EQ(lstat((tmp_.path() + "/link.slice").c_str(), &st), 0);
  EXPECT_EQ(r.Resolve(st.st_ino), std::nullopt);
  // The symlink's target is known under its real path only.
  EXPECT_EQ(r.Resolve(Id("/link.slice")), "/system.slice");
}

TEST_F(CgroupResolverTest, UnknownIdIsNullopt) {
  CgroupResolver r(tmp_.path(), 0ms);
  EXPECT_EQ(r.Resolve(0), std::nullopt);
  EXPECT_EQ(r.Resolve(~uint64_t{0}), std::nullopt);
}

TEST_F(CgroupResolverTest, FirstResolveScansLazily) {
  CgroupResolver r(tmp_.path());
  EXPECT_EQ(r.scans(), 0u);
  EXPECT_EQ(r.known(), 0u);
  EXPECT_EQ(r.Resolve(Id("/user.slice")), "/user.slice");
  EXPECT_EQ(r.scans(), 1u);
  // Known ids never trigger a walk.
  EXPECT_EQ(r.Resolve(Id("/system.slice")), "/system.slice");
  EXPECT_EQ(r.scans(), 1u);
}

TEST_F(CgroupResolverTest, NewDirectoryResolvesAfterRescanInterval) {
  CgroupResolver r(tmp_.path(), 0ms);
  ASSERT_TRUE(r.Rescan().ok());
  tmp_.Mkdir("/system.slice/new.service");
  EXPECT_EQ(r.Resolve(Id("/system.slice/new.service")), "/system.slice/new.service");
}

TEST_F(CgroupResolverTest, NewDirectoryWaitsForTheRescanInterval) {
  CgroupResolver r(tmp_.path(), std::chrono::hours(1));
  ASSERT_TRUE(r.Rescan().ok());
  uint64_t scans = r.scans();
  tmp_.Mkdir("/late.slice");
  // Inside the interval a miss does not walk the tree again...
  EXPECT_EQ(r.Resolve(Id("/late.slice")), std::nullopt);
  EXPECT_EQ(r.Resolve(12345678), std::nullopt);
  EXPECT_EQ(r.scans(), scans);
  // ...but an explicit Rescan() always does.
  ASSERT_TRUE(r.Rescan().ok());
  EXPECT_EQ(r.scans(), scans + 1);
  EXPECT_EQ(r.Resolve(Id("/late.slice")), "/late.slice");
}

TEST_F(CgroupResolverTest, RemovedDirectoryIsForgottenOnceTheLastWalkIsOld) {
  uint64_t id = Id("/system.slice/cron.service");
  // Nothing new appears, so no miss ever triggers a walk: only the age does.
  CgroupResolver fresh(tmp_.path(), std::chrono::hours(1), std::chrono::hours(1));
  CgroupResolver aged(tmp_.path(), std::chrono::hours(1), 0ms);
  ASSERT_EQ(fresh.Resolve(id), "/system.slice/cron.service");
  ASSERT_EQ(aged.Resolve(id), "/system.slice/cron.service");
  ASSERT_EQ(rmdir((tmp_.path() + "/system.slice/cron.service").c_str()), 0);
  EXPECT_EQ(fresh.Resolve(id), "/system.slice/cron.service") << "within max_age the last walk stands";
  const uint64_t scans = aged.scans();
  EXPECT_EQ(aged.Resolve(id), std::nullopt);
  EXPECT_EQ(aged.scans(), scans + 1);
  EXPECT_EQ(aged.Resolve(Id("/user.slice")), "/user.slice");
}

TEST_F(CgroupResolverTest, RemovedDirectoryDisappearsAfterRescan) {
  CgroupResolver r(tmp_.path(), 0ms);
  uint64_t id = Id("/system.slice/cron.service");
  ASSERT_EQ(r.Resolve(id), "/system.slice/cron.service");
  ASSERT_EQ(rmdir((tmp_.path() + "/system.slice/cron.service").c_str()), 0);
  ASSERT_TRUE(r.Rescan().ok());
  EXPECT_EQ(r.Resolve(id), std::nullopt);
  EXPECT_EQ(r.Resolve(Id("/system.slice/ssh.service")), "/system.slice/ssh.service");
  EXPECT_EQ(r.known(), 7u);
}

TEST_F(CgroupResolverTest, RenamedDirectoryGetsItsNewPath) {
  CgroupResolver r(tmp_.path(), 0ms);
  uint64_t id = Id("/user.slice");
  ASSERT_EQ(r.Resolve(id), "/user.slice");
  ASSERT_EQ(rename((tmp_.path() + "/user.slice").c_str(), (tmp_.path() + "/kubepods.slice/moved").c_str()),
            0);
  ASSERT_TRUE(r.Rescan().ok());
  EXPECT_EQ(r.Resolve(id), "/kubepods.slice/moved");
}

TEST(CgroupResolverErrorTest, NonexistentRoot) {
  TempDir tmp;
  const std::string missing = tmp.path() + "/does-not-exist";
  CgroupResolver r(missing, 0ms);
  Status s = r.Rescan();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().err, ENOENT);
  EXPECT_NE(s.error().message.find(missing), std::string::npos) << s.error().message;
  EXPECT_EQ(r.Resolve(1), std::nullopt);
  EXPECT_EQ(r.known(), 0u);
}

TEST(CgroupResolverErrorTest, RootIsAFile) {
  TempDir tmp;
  const std::string file = tmp.path() + "/file";
  int fd = open(file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  close(fd);
  CgroupResolver r(file);
  Status s = r.Rescan();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().err, ENOTDIR);
}

TEST(CgroupResolverErrorTest, RootRemovedAfterScanKeepsOldView) {
  TempDir tmp;
  const std::string root = tmp.Mkdir("/cg");
  tmp.Mkdir("/cg/a");
  uint64_t a = InodeOf(root + "/a");
  CgroupResolver r(root, 0ms);
  ASSERT_EQ(r.Resolve(a), "/a");
  ASSERT_EQ(rmdir((root + "/a").c_str()), 0);
  ASSERT_EQ(rmdir(root.c_str()), 0);
  EXPECT_FALSE(r.Rescan().ok());
  // A failed walk leaves the last good view in place.
  EXPECT_EQ(r.Resolve(a), "/a");
}

TEST(CgroupResolverErrorTest, EmptyRootKnowsOnlyItself) {
  TempDir tmp;
  CgroupResolver r(tmp.path());
  EXPECT_EQ(r.Resolve(InodeOf(tmp.path())), "/");
  EXPECT_EQ(r.known(), 1u);
}

}  // namespace
}  // namespace hostprobe

namespace hostprobe {
namespace {

constexpr const char* kHostHybrid =
    "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:28 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
constexpr const char* kContainerV2 = "500 400 0:99 /kubepods/pod1 /sys/fs/cgroup ro - cgroup2 cgroup2 rw\n";

TEST(ChooseCgroup2RootTest, HostTreeUnderRootfsWins) {
  std::string seen;
  auto root = ChooseCgroup2Root(kHostHybrid, kContainerV2, "/host/root/", [&](const std::string& p) {
    seen = p;
    return true;
  });
  EXPECT_EQ(seen, "/host/root/sys/fs/cgroup/unified");
  EXPECT_EQ(root.value_or(""), "/host/root/sys/fs/cgroup/unified");
}

TEST(ChooseCgroup2RootTest, OnTheHostRootfsIsSlash) {
  auto root = ChooseCgroup2Root(kHostHybrid, kHostHybrid, "/", [](const std::string&) { return true; });
  EXPECT_EQ(root.value_or(""), "/sys/fs/cgroup/unified");
}

TEST(ChooseCgroup2RootTest, FallsBackToOwnViewWhenHostTreeUnreachable) {
  auto root =
      ChooseCgroup2Root(kHostHybrid, kContainerV2, "/host/root", [](const std::string&) { return false; });
  EXPECT_EQ(root.value_or(""), "/sys/fs/cgroup");
  root = ChooseCgroup2Root("", kContainerV2, "/", [](const std::string&) { return true; });
  EXPECT_EQ(root.value_or(""), "/sys/fs/cgroup");
}

TEST(ChooseCgroup2RootTest, NoCgroup2AnywhereIsNullopt) {
  EXPECT_FALSE(ChooseCgroup2Root("", "", "/", [](const std::string&) { return true; }).has_value());
}

}  // namespace
}  // namespace hostprobe

namespace hostprobe {
namespace {

TEST(NormalizeCgroup2RootTest, HybridTopMeansTheUnifiedTree) {
  auto v2 = [](const std::string& p) { return p == "/host/sys/fs/cgroup/unified"; };
  EXPECT_EQ(NormalizeCgroup2Root("/host/sys/fs/cgroup", v2), "/host/sys/fs/cgroup/unified");
  EXPECT_EQ(NormalizeCgroup2Root("/host/sys/fs/cgroup/", v2), "/host/sys/fs/cgroup/unified");
}

TEST(NormalizeCgroup2RootTest, OtherRootsAreKept) {
  auto pure = [](const std::string& p) { return p == "/sys/fs/cgroup"; };
  EXPECT_EQ(NormalizeCgroup2Root("/sys/fs/cgroup", pure), "/sys/fs/cgroup");
  EXPECT_EQ(NormalizeCgroup2Root("/nowhere", pure), "/nowhere");
  EXPECT_EQ(NormalizeCgroup2Root("", pure), "");
}

}  // namespace
}  // namespace hostprobe

namespace hostprobe {
namespace {

using namespace std::chrono_literals;

// A clock the test moves by hand.
struct ManualClock {
  std::chrono::steady_clock::time_point now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  SteadyNow Fn() {
    return [this] { return now; };
  }
};

TEST_F(CgroupResolverTest, RemovedDirectoryKeepsItsNameForTheGracePeriod) {
  ManualClock clock;
  CgroupResolver r(tmp_.path(), 0ms);
  r.SetClock(clock.Fn());
  r.SetRemovedGrace(std::chrono::seconds(120));
  const uint64_t id = Id("/system.slice/cron.service");
  ASSERT_EQ(r.Resolve(id), "/system.slice/cron.service");
  ASSERT_EQ(rmdir((tmp_.path() + "/system.slice/cron.service").c_str()), 0);
  ASSERT_TRUE(r.Rescan().ok());
  EXPECT_EQ(r.removed_known(), 1u);
  clock.now += std::chrono::seconds(119);
  EXPECT_EQ(r.Resolve(id), "/system.slice/cron.service") << "inside the grace period";
  auto known = r.KnownPaths();
  EXPECT_NE(std::find(known.begin(), known.end(), "/system.slice/cron.service"), known.end());
  clock.now += std::chrono::seconds(1);
  EXPECT_EQ(r.Resolve(id), std::nullopt) << "the grace period is over";
  EXPECT_EQ(r.removed_known(), 0u);
  known = r.KnownPaths();
  EXPECT_EQ(std::find(known.begin(), known.end(), "/system.slice/cron.service"), known.end());
}

TEST_F(CgroupResolverTest, WithoutGraceARemovedDirectoryGoesAtTheNextWalk) {
  CgroupResolver r(tmp_.path(), 0ms);
  bool asked = false;
  r.SetLearner([&asked](uint64_t) {
    asked = true;
    return std::optional<LearnedCgroup>();
  });
  const uint64_t id = Id("/system.slice/cron.service");
  ASSERT_EQ(r.Resolve(id), "/system.slice/cron.service");
  ASSERT_EQ(rmdir((tmp_.path() + "/system.slice/cron.service").c_str()), 0);
  ASSERT_TRUE(r.Rescan().ok());
  EXPECT_EQ(r.Resolve(id), std::nullopt);
  EXPECT_FALSE(asked) << "the learner is only asked with a grace period";
}

TEST_F(CgroupResolverTest, ACgroupNoWalkSawIsNamedFromItsParent) {
  ManualClock clock;
  CgroupResolver r(tmp_.path(), 0ms);
  r.SetClock(clock.Fn());
  r.SetRemovedGrace(std::chrono::seconds(60));
  const uint64_t pod = Id("/kubepods.slice");
  constexpr uint64_t kGone = 900001, kGoneChild = 900002, kOrphan = 900003, kLoop = 900004;
  r.SetLearner([&](uint64_t id) -> std::optional<LearnedCgroup> {
    if (id == kGone) return LearnedCgroup{pod, "cri-containerd-abc.scope"};
    if (id == kGoneChild) return LearnedCgroup{kGone, "inner"};
    if (id == kOrphan) return LearnedCgroup{123456789, "x"};  // parent unknown everywhere
    if (id == kLoop) return LearnedCgroup{kLoop, "self"};
    return std::nullopt;
  });
  EXPECT_EQ(r.Resolve(kGoneChild), "/kubepods.slice/cri-containerd-abc.scope/inner");
  EXPECT_EQ(r.Resolve(kGone), "/kubepods.slice/cri-containerd-abc.scope");
  EXPECT_EQ(r.Resolve(kOrphan), std::nullopt);
  EXPECT_EQ(r.Resolve(kLoop), std::nullopt);
  clock.now += std::chrono::seconds(61);
  EXPECT_EQ(r.Resolve(kGone), std::nullopt) << "learned names keep the same grace";
  EXPECT_EQ(r.Resolve(kGone), std::nullopt) << "and are not learned again once it is over";
}

TEST_F(CgroupResolverTest, ALearnedNameGivesWayToTheWalk) {
  ManualClock clock;
  CgroupResolver r(tmp_.path(), std::chrono::hours(1), std::chrono::hours(1));
  r.SetClock(clock.Fn());
  r.SetRemovedGrace(std::chrono::seconds(60));
  ASSERT_TRUE(r.Rescan().ok());
  tmp_.Mkdir("/kubepods.slice/new.scope");
  const uint64_t id = Id("/kubepods.slice/new.scope");
  r.SetLearner([&](uint64_t) { return LearnedCgroup{Id("/kubepods.slice"), "new.scope"}; });
  // Inside the rescan interval: the learner names it.
  EXPECT_EQ(r.Resolve(id), "/kubepods.slice/new.scope");
  ASSERT_TRUE(r.Rescan().ok());
  EXPECT_EQ(r.removed_known(), 0u) << "the walk found it: it is not a removed one";
  clock.now += std::chrono::seconds(600);
  ASSERT_TRUE(r.Rescan().ok());
  EXPECT_EQ(r.Resolve(id), "/kubepods.slice/new.scope");
}

}  // namespace
}  // namespace hostprobe
