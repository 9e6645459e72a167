#include "core/host_info.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <string>

#include "collectors/clock_collector.h"
#include "temp_dir.h"

namespace hostprobe {
namespace {

using ::testing::HasSubstr;

const std::string kFixtures = std::string(HOSTPROBE_FIXTURES) + "/events";

std::string Fixture(const std::string& name) {
  std::ifstream in(kFixtures + "/" + name);
  EXPECT_TRUE(in) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ---- pure parsers ---------------------------------------------------------------

TEST(ZoneFromLocaltimeTargetTest, AbsoluteAndRelativeTargets) {
  EXPECT_EQ(ZoneFromLocaltimeTarget("/usr/share/zoneinfo/Europe/Berlin"), "Europe/Berlin");
  EXPECT_EQ(ZoneFromLocaltimeTarget("../usr/share/zoneinfo/America/Argentina/Buenos_Aires"),
            "America/Argentina/Buenos_Aires");
  EXPECT_EQ(ZoneFromLocaltimeTarget("/usr/share/zoneinfo/Etc/UTC"), "Etc/UTC");
  EXPECT_EQ(ZoneFromLocaltimeTarget("/usr/share/zoneinfo/UTC"), "UTC");
  EXPECT_EQ(ZoneFromLocaltimeTarget("/usr/share/zoneinfo/Etc/GMT+5"), "Etc/GMT+5");
  EXPECT_EQ(ZoneFromLocaltimeTarget("/usr/share/zoneinfo/America/Port-au-Prince"), "America/Port-au-Prince");
  // macOS and NixOS keep the database elsewhere; the last zoneinfo/ counts.
  EXPECT_EQ(ZoneFromLocaltimeTarget("/var/db/timezone/zoneinfo/Asia/Tokyo"), "Asia/Tokyo");
  EXPECT_EQ(ZoneFromLocaltimeTarget("/nix/store/abc-tzdata/share/zoneinfo/Europe/Oslo"), "Europe/Oslo");
}

TEST(ZoneFromLocaltimeTargetTest, PosixAndRightVariantsNameTheSameZone) {
  EXPECT_EQ(ZoneFromLocaltimeTarget("/usr/share/zoneinfo/posix/Europe/Paris"), "Europe/Paris");
  EXPECT_EQ(ZoneFromLocaltimeTarget("/usr/share/zoneinfo/right/UTC"), "UTC");
}

TEST(ZoneFromLocaltimeTargetTest, RejectsWhatIsNotAZone) {
  EXPECT_EQ(ZoneFromLocaltimeTarget("/etc/alternatives/localtime"), std::nullopt);
  EXPECT_EQ(ZoneFromLocaltimeTarget(""), std::nullopt);
  EXPECT_EQ(ZoneFromLocaltimeTarget("/usr/share/zoneinfo/"), std::nullopt);
  EXPECT_EQ(ZoneFromLocaltimeTarget("/usr/share/zoneinfo/Europe/"), std::nullopt);
  EXPECT_EQ(ZoneFromLocaltimeTarget("/usr/share/zoneinfo/../../etc/passwd"), std::nullopt);
  EXPECT_EQ(ZoneFromLocaltimeTarget("/usr/share/zoneinfo/Europe//Berlin"), std::nullopt);
  EXPECT_EQ(ZoneFromLocaltimeTarget("/usr/share/zoneinfo/Bad Zone"), std::nullopt);
  EXPECT_EQ(ZoneFromLocaltimeTarget("/usr/share/zoneinfo/posix/"), std::nullopt);
}

TEST(ZoneFromTimezoneFileTest, FirstLineTrimmed) {
  EXPECT_EQ(ZoneFromTimezoneFile("Europe/Paris\n"), "Europe/Paris");
  EXPECT_EQ(ZoneFromTimezoneFile("  Etc/UTC  \r\n\nignored\n"), "Etc/UTC");
  EXPECT_EQ(ZoneFromTimezoneFile("Asia/Kolkata"), "Asia/Kolkata");
  EXPECT_EQ(ZoneFromTimezoneFile(""), std::nullopt);
  EXPECT_EQ(ZoneFromTimezoneFile("\nEurope/Paris\n"), std::nullopt);
  EXPECT_EQ(ZoneFromTimezoneFile("not a zone\n"), std::nullopt);
}

TEST(PrettyNameFromOsReleaseTest, RealFiles) {
  EXPECT_EQ(PrettyNameFromOsRelease(Fixture("os-release-debian12")), "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(PrettyNameFromOsRelease(Fixture("os-release-alpine")), "Alpine Linux v3.19");
}

TEST(PrettyNameFromOsReleaseTest, QuotingAndEscapes) {
  // The last assignment wins, as when a shell sources the file.
  EXPECT_EQ(PrettyNameFromOsRelease(Fixture("os-release-quoting")), "Quux \"Edge\" $5 \\ back\\slash");
  EXPECT_EQ(PrettyNameFromOsRelease("PRETTY_NAME='single $quoted'\n"), "single $quoted");
  EXPECT_EQ(PrettyNameFromOsRelease("PRETTY_NAME=Bare\\ word\n"), "Bare word");
  EXPECT_EQ(PrettyNameFromOsRelease("  PRETTY_NAME=\"Indented\"  \n"), "Indented");
}

TEST(PrettyNameFromOsReleaseTest, AbsentOrEmpty) {
  EXPECT_EQ(PrettyNameFromOsRelease(Fixture("os-release-no-pretty-name")), std::nullopt);
  EXPECT_EQ(PrettyNameFromOsRelease(""), std::nullopt);
  EXPECT_EQ(PrettyNameFromOsRelease("PRETTY_NAME=\"\"\n"), std::nullopt);
  EXPECT_EQ(PrettyNameFromOsRelease("#PRETTY_NAME=\"commented\"\nXPRETTY_NAME=x\n"), std::nullopt);
}

TEST(ClockStateFromTimexTest, SynchronizedClock) {
  struct timex tx {};
  tx.status = STA_PLL;
  tx.maxerror = 250000;  // µs
  tx.esterror = 1500;
  ClockState c = ClockStateFromTimex(TIME_OK, tx);
  EXPECT_TRUE(c.synchronized);
  EXPECT_DOUBLE_EQ(c.max_error_seconds, 0.25);
  EXPECT_DOUBLE_EQ(c.estimated_error_seconds, 0.0015);
}

TEST(ClockStateFromTimexTest, UnsyncFlagOrTimeErrorMeansNotSynchronized) {
  struct timex tx {};
  tx.status = STA_UNSYNC;
  tx.maxerror = 16000000;
  EXPECT_FALSE(ClockStateFromTimex(TIME_OK, tx).synchronized);
  EXPECT_DOUBLE_EQ(ClockStateFromTimex(TIME_OK, tx).max_error_seconds, 16.0);
  tx.status = 0;
  EXPECT_FALSE(ClockStateFromTimex(TIME_ERROR, tx).synchronized);
  // Leap second pending: still synchronized.
  EXPECT_TRUE(ClockStateFromTimex(TIME_INS, tx).synchronized);
}

// ---- ReadHostInfo on a fake root --------------------------------------------------

class ReadHostInfoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(root_.path().empty());
    root_.Mkdir("/etc");
    root_.Mkdir("/usr");
    root_.Mkdir("/usr/lib");
    system_.kernel_release = [] { return std::optional<std::string>("6.1.0-test-amd64"); };
    system_.zone_abbreviation = [] { return std::optional<std::string>("CEST"); };
  }
  void Write(const std::string& rel, const std::string& text) { std::ofstream(root_.path() + rel) << text; }
  void Link(const std::string& target, const std::string& rel) {
    ASSERT_EQ(symlink(target.c_str(), (root_.path() + rel).c_str()), 0) << rel;
  }

  test_util::TempDir root_;
  HostInfoSystem system_;
};

TEST_F(ReadHostInfoTest, DebianLayout) {
  // The targets are host paths: they need not exist under the fake root.
  Link("/usr/share/zoneinfo/Europe/Berlin", "/etc/localtime");
  Write("/etc/timezone", "Europe/Lisbon\n");  // stale: the link wins
  Write("/usr/lib/os-release", Fixture("os-release-debian12"));
  Link("../usr/lib/os-release", "/etc/os-release");
  HostInfo info = ReadHostInfo(root_.path(), system_);
  EXPECT_EQ(info, (HostInfo{"Europe/Berlin", "6.1.0-test-amd64", "Debian GNU/Linux 12 (bookworm)"}));
}

TEST_F(ReadHostInfoTest, AbsoluteLinksStayUnderTheRoot) {
  Link("/usr/lib/os-release", "/etc/os-release");
  Write("/usr/lib/os-release", Fixture("os-release-alpine"));
  HostInfo info = ReadHostInfo(root_.path() + "/", system_);
  EXPECT_EQ(info.os, "Alpine Linux v3.19");
}

TEST_F(ReadHostInfoTest, LinkChainToZoneinfo) {
  root_.Mkdir("/etc/alternatives");
  Link("/etc/alternatives/localtime", "/etc/localtime");
  Link("/usr/share/zoneinfo/Asia/Tokyo", "/etc/alternatives/localtime");
  EXPECT_EQ(ReadHostInfo(root_.path(), system_).timezone, "Asia/Tokyo");
}

TEST_F(ReadHostInfoTest, CopiedLocaltimeFallsBackToEtcTimezone) {
  Write("/etc/localtime", "TZif2...");  // a copy, not a link
  Write("/etc/timezone", "America/New_York\n");
  EXPECT_EQ(ReadHostInfo(root_.path(), system_).timezone, "America/New_York");
}

TEST_F(ReadHostInfoTest, NeitherFallsBackToTheAbbreviation) {
  Write("/etc/localtime", "TZif2...");
  EXPECT_EQ(ReadHostInfo(root_.path(), system_).timezone, "CEST");
  system_.zone_abbreviation = [] { return std::optional<std::string>(); };
  EXPECT_EQ(ReadHostInfo(root_.path(), system_).timezone, "unknown");
}

TEST_F(ReadHostInfoTest, OsReleaseWithoutPrettyNameIsLinux) {
  Write("/usr/lib/os-release", Fixture("os-release-no-pretty-name"));
  EXPECT_EQ(ReadHostInfo(root_.path(), system_).os, "Linux");
}

TEST_F(ReadHostInfoTest, NothingToReadIsUnknown) {
  system_.kernel_release = [] { return std::optional<std::string>(); };
  system_.zone_abbreviation = nullptr;
  HostInfo info = ReadHostInfo(root_.path(), system_);
  EXPECT_EQ(info, (HostInfo{"unknown", "unknown", "unknown"}));
}

TEST_F(ReadHostInfoTest, SymlinkLoopIsNotFollowedForever) {
  Link("/etc/os-release", "/etc/os-release");
  Link("/etc/localtime", "/etc/localtime");
  HostInfo info = ReadHostInfo(root_.path(), system_);
  EXPECT_EQ(info.os, "unknown");
  EXPECT_EQ(info.timezone, "CEST");
}

TEST(RealHostInfoSystemTest, KernelReleaseMatchesProc) {
  std::ifstream in("/proc/sys/kernel/osrelease");
  std::string release;
  std::getline(in, release);
  auto system = RealHostInfoSystem();
  EXPECT_EQ(system.kernel_release(), release);
  auto abbrev = system.zone_abbreviation();
  ASSERT_TRUE(abbrev.has_value());
  EXPECT_FALSE(abbrev->empty());
}

// ---- ClockCollector with an injected adjtimex --------------------------------------

TEST(ClockCollectorTest, ReadsTheInjectedClockAndHostFiles) {
  test_util::TempDir root;
  root.Mkdir("/etc");
  ASSERT_EQ(symlink("/usr/share/zoneinfo/Europe/Rome", (root.path() + "/etc/localtime").c_str()), 0);
  int calls = 0;
  ClockCollector::Config config;
  config.rootfs = root.path();
  config.adjtimex = [&calls](struct timex* tx) {
    ++calls;
    EXPECT_EQ(tx->modes, 0u) << "must only read the clock";
    tx->status = STA_PLL;
    tx->maxerror = 1000;
    tx->esterror = 20;
    return TIME_OK;
  };
  config.system.kernel_release = [] { return std::optional<std::string>("5.10.0"); };
  ClockCollector clock(config);
  EXPECT_EQ(clock.name(), "clock");
  EXPECT_TRUE(clock.hooks().empty());
  ClockSnapshot snap = clock.ReadClock();
  ASSERT_TRUE(snap.clock.has_value()) << snap.clock_error;
  EXPECT_TRUE(snap.clock->synchronized);
  EXPECT_DOUBLE_EQ(snap.clock->max_error_seconds, 0.001);
  EXPECT_DOUBLE_EQ(snap.clock->estimated_error_seconds, 0.00002);
  EXPECT_EQ(snap.host.timezone, "Europe/Rome");
  EXPECT_EQ(snap.host.kernel, "5.10.0");
  EXPECT_EQ(snap.host.os, "unknown");
  EXPECT_TRUE(clock.health().healthy);
  EXPECT_EQ(calls, 2);
}

TEST(ClockCollectorTest, AdjtimexFailureIsReportedNotFatal) {
  ClockCollector::Config config;
  config.adjtimex = [](struct timex*) {
    errno = EPERM;
    return -1;
  };
  ClockCollector clock(config);
  ClockSnapshot snap = clock.ReadClock();
  EXPECT_FALSE(snap.clock.has_value());
  EXPECT_THAT(snap.clock_error, HasSubstr("adjtimex: Operation not permitted"));
  EXPECT_FALSE(snap.host.kernel.empty()) << "host info is read even when the clock is not";
  CollectorHealth h = clock.health();
  EXPECT_FALSE(h.healthy);
  EXPECT_THAT(h.reason, HasSubstr("adjtimex"));
}

TEST(ClockCollectorTest, RealAdjtimexWorksUnprivileged) {
  ClockCollector clock(ClockCollector::Config{});
  ClockSnapshot snap = clock.ReadClock();
  ASSERT_TRUE(snap.clock.has_value()) << snap.clock_error;
  EXPECT_GE(snap.clock->max_error_seconds, 0);
}

}  // namespace
}  // namespace hostprobe
