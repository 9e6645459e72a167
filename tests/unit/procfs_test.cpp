#include "core/procfs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace hostprobe {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Fixtures under fixtures/proc: host/ holds files copied from a real machine
// (Linux 6.x, 2 CPUs, hybrid cgroups); the others are written by hand.
std::string ReadFixture(const std::string& name) {
  std::ifstream in(std::string(HOSTPROBE_FIXTURES) + "/proc/" + name, std::ios::binary);
  EXPECT_TRUE(in) << "missing fixture " << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

constexpr uint64_t KiB = 1024;

// Random bytes, then the same with newlines sprinkled in: no parser may crash.
std::vector<std::string> RandomInputs() {
  std::mt19937 rng(12345);
  std::vector<std::string> out;
  for (int n = 0; n < 300; ++n) {
    std::string s(rng() % 300, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 256);
    out.push_back(s);
    for (size_t i = 0; i < s.size(); i += 1 + rng() % 20) s[i] = '\n';
    out.push_back(s + "\n");
  }
  return out;
}

// Real fixtures with bytes flipped to digits, spaces, colons, newlines...
std::vector<std::string> Mutations(const std::string& text) {
  static constexpr char kInteresting[] = "0123456789 \t\n:-=/\\.kB";
  std::mt19937 rng(777);
  std::vector<std::string> out;
  for (int n = 0; n < 400; ++n) {
    std::string s = text;
    for (int k = 0; k < 1 + n % 4 && !s.empty(); ++k)
      s[rng() % s.size()] = kInteresting[rng() % (sizeof(kInteresting) - 1)];
    out.push_back(s);
  }
  return out;
}

// ---- /proc/stat ------------------------------------------------------------------

TEST(ParseProcStatTest, RealHost) {
  auto r = ParseProcStat(ReadFixture("host/stat"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->total.user, 110608u);
  EXPECT_EQ(r->total.nice, 0u);
  EXPECT_EQ(r->total.system, 40342u);
  EXPECT_EQ(r->total.idle, 270838u);
  EXPECT_EQ(r->total.iowait, 596u);
  EXPECT_EQ(r->total.irq, 0u);
  EXPECT_EQ(r->total.softirq, 314u);
  EXPECT_EQ(r->total.steal, 0u);
  ASSERT_EQ(r->cores.size(), 2u);
  EXPECT_EQ(r->cores[0].cpu, 0u);
  EXPECT_EQ(r->cores[0].ticks.user, 49794u);
  EXPECT_EQ(r->cores[0].ticks.idle, 138812u);
  EXPECT_EQ(r->cores[1].cpu, 1u);
  EXPECT_EQ(r->cores[1].ticks.system, 17740u);
  EXPECT_EQ(r->cores[1].ticks.iowait, 539u);
}

TEST(ParseProcStatTest, OldKernelWithEightColumns) {
  auto r = ParseProcStat(ReadFixture("stat_2.6.11_8_columns"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->total.user, 1234u);
  EXPECT_EQ(r->total.nice, 5u);
  EXPECT_EQ(r->total.system, 678u);
  EXPECT_EQ(r->total.idle, 90123u);
  EXPECT_EQ(r->total.iowait, 45u);
  EXPECT_EQ(r->total.irq, 6u);
  EXPECT_EQ(r->total.softirq, 78u);
  EXPECT_EQ(r->total.steal, 9u);
  ASSERT_EQ(r->cores.size(), 2u);
  EXPECT_EQ(r->cores[1].ticks.steal, 5u);
}

TEST(ParseProcStatTest, MissingLaterColumnsAreZero) {
  auto r = ParseProcStat("cpu  10 20 30 40\ncpu0 10 20 30 40\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->total.idle, 40u);
  EXPECT_EQ(r->total.iowait, 0u);
  EXPECT_EQ(r->total.steal, 0u);
  // Linux 2.6.0-2.6.10: seven columns.
  r = ParseProcStat("cpu 1 2 3 4 5 6 7\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->total.softirq, 7u);
  EXPECT_EQ(r->total.steal, 0u);
}

TEST(ParseProcStatTest, GuestIsNotAddedAgain) {
  // guest (9th) and guest_nice (10th) are already part of user and nice.
  auto r = ParseProcStat("cpu  100 20 30 40 5 6 7 8 50 10\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->total.user, 100u);
  EXPECT_EQ(r->total.nice, 20u);
  EXPECT_EQ(r->total.steal, 8u);
}

TEST(ParseProcStatTest, ColumnsFromFutureKernelsAreIgnored) {
  auto r = ParseProcStat("cpu  1 2 3 4 5 6 7 8 9 10 11 12\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->total.steal, 8u);
}

TEST(ParseProcStatTest, OtherLinesAreIgnored) {
  auto r = ParseProcStat("intr 5 0 0\nctxt 7\ncpu 1 2 3 4\nsoftirq 1 2 3\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->total.user, 1u);
  EXPECT_TRUE(r->cores.empty());
}

TEST(ParseProcStatTest, Malformed) {
  const char* bad[] = {
      "cpu 1 2 3\n",                                // fewer than 4 columns
      "cpu\n",                                      // none at all
      "cpu 1 2 x 4\n",                              // non-numeric
      "cpu 1 2 3 4 5 6 7 8a\n",                     // trailing junk
      "cpu -1 2 3 4\n",                             // sign
      "cpu +1 2 3 4\n",                             // sign
      "cpu 1.5 2 3 4\n",                            // fraction
      "cpu 18446744073709551616 0 0 0\n",           // 2^64
      "cpu 1 2 3 4\ncpu 1 2 3 4\n",                 // two aggregate lines
      "cpu 1 2 3 4\ncpu0 1 2 3 4\ncpu0 1 2 3 4\n",  // repeated core
      "cpu 1 2 3 4\ncpuX 1 2 3 4\n",                // not cpuN
      "cpu0 1 2 3 4\n",                             // no aggregate
      "intr 1\nctxt 2\n",                           // no cpu at all
      "cpu 1 2 3 4",                                // no final newline
  };
  for (const char* text : bad) {
    auto r = ParseProcStat(text);
    EXPECT_FALSE(r.ok()) << "accepted: " << text;
    if (!r.ok()) {
      EXPECT_EQ(r.error().err, EINVAL);
      EXPECT_THAT(r.error().message, HasSubstr("/proc/stat"));
    }
  }
}

TEST(ParseProcStatTest, MaxValueIsAccepted) {
  auto r = ParseProcStat("cpu 18446744073709551615 0 0 0\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->total.user, std::numeric_limits<uint64_t>::max());
}

TEST(ParseProcStatTest, TruncatedEmptyAndGarbage) {
  auto truncated = ParseProcStat(ReadFixture("stat_truncated"));
  ASSERT_FALSE(truncated.ok());
  EXPECT_THAT(truncated.error().message, HasSubstr("truncated"));
  EXPECT_FALSE(ParseProcStat(ReadFixture("empty")).ok());
  EXPECT_FALSE(ParseProcStat(ReadFixture("garbage.bin")).ok());
}

// Cut anywhere, the file either fails or gives exactly the numbers of the
// full file for the lines it kept: never a shortened number.
TEST(ParseProcStatTest, EveryPrefixFailsOrIsExact) {
  const std::string text = ReadFixture("host/stat");
  auto full = ParseProcStat(text);
  ASSERT_TRUE(full.ok());
  for (size_t n = 0; n < text.size(); ++n) {
    auto r = ParseProcStat(std::string_view(text).substr(0, n));
    if (!r.ok()) continue;
    EXPECT_EQ(text[n - 1], '\n') << "accepted a cut in the middle of a line at " << n;
    EXPECT_EQ(r->total.user, full->total.user);
    EXPECT_EQ(r->total.steal, full->total.steal);
    ASSERT_LE(r->cores.size(), full->cores.size());
    for (size_t i = 0; i < r->cores.size(); ++i) EXPECT_EQ(r->cores[i].ticks.idle, full->cores[i].ticks.idle);
  }
}

TEST(ParseProcStatTest, NeverCrashes) {
  for (const std::string& s : RandomInputs()) (void)ParseProcStat(s);
  for (const std::string& s : Mutations(ReadFixture("host/stat"))) (void)ParseProcStat(s);
}

TEST(TicksToSecondsTest, DividesByTheTickRate) {
  CpuTicks t{1234, 1, 2, 100, 50, 3, 4, 5};
  CpuSeconds s = TicksToSeconds(t, 100);
  EXPECT_DOUBLE_EQ(s.user, 12.34);
  EXPECT_DOUBLE_EQ(s.nice, 0.01);
  EXPECT_DOUBLE_EQ(s.idle, 1.0);
  EXPECT_DOUBLE_EQ(s.iowait, 0.5);
  EXPECT_DOUBLE_EQ(s.steal, 0.05);
  s = TicksToSeconds(t, 250);
  EXPECT_DOUBLE_EQ(s.user, 4.936);
  EXPECT_DOUBLE_EQ(s.idle, 0.4);
  // A zero rate is a caller bug, but must not produce inf or NaN.
  s = TicksToSeconds(t, 0);
  EXPECT_DOUBLE_EQ(s.user, 1234.0);
}

// ---- /proc/meminfo ----------------------------------------------------------------

TEST(ParseMeminfoTest, RealHost) {
  auto r = ParseMeminfo(ReadFixture("host/meminfo"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->total_bytes, 24683620 * KiB);
  EXPECT_EQ(r->free_bytes, 23809616 * KiB);
  EXPECT_EQ(r->available_bytes, 24117936 * KiB);
  EXPECT_EQ(r->buffers_bytes, 3892 * KiB);
  EXPECT_EQ(r->cached_bytes, 489924 * KiB);
  // No swap configured: present, and 0.
  EXPECT_EQ(r->swap_total_bytes, 0u);
  EXPECT_EQ(r->swap_free_bytes, 0u);
}

TEST(ParseMeminfoTest, OldKernelWithoutMemAvailable) {
  auto r = ParseMeminfo(ReadFixture("meminfo_no_memavailable"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->total_bytes, 2048000 * KiB);
  EXPECT_EQ(r->available_bytes, std::nullopt);
  EXPECT_EQ(r->free_bytes, 512000 * KiB);
  EXPECT_EQ(r->buffers_bytes, 64000 * KiB);
  EXPECT_EQ(r->cached_bytes, 768000 * KiB);
  EXPECT_EQ(r->swap_total_bytes, 1048572 * KiB);
  EXPECT_EQ(r->swap_free_bytes, 1048000 * KiB);
}

TEST(ParseMeminfoTest, OnlyMemTotalIsRequired) {
  auto r = ParseMeminfo("MemTotal: 1000 kB\nHugePages_Total:       0\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->total_bytes, 1000 * KiB);
  EXPECT_EQ(r->free_bytes, std::nullopt);
  EXPECT_EQ(r->swap_total_bytes, std::nullopt);
}

TEST(ParseMeminfoTest, SwapCachedIsNotCached) {
  auto r = ParseMeminfo("MemTotal: 1 kB\nSwapCached: 7 kB\nCached: 5 kB\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->cached_bytes, 5 * KiB);
}

TEST(ParseMeminfoTest, Malformed) {
  const char* bad[] = {
      "MemFree: 1 kB\n",                         // no MemTotal
      "MemTotal: 1 MB\n",                        // unit
      "MemTotal: 1\n",                           // no unit
      "MemTotal: x kB\n",                        // not a number
      "MemTotal: -1 kB\n",                       //
      "MemTotal: 1 kB extra\n",                  //
      "MemTotal: 18014398509481984 kB\n",        // bytes overflow 64 bits
      "MemTotal: 1 kB\nMemTotal: 2 kB\n",        // repeated
      "MemTotal: 1 kB\nthis is not meminfo\n",   // no colon
      "MemTotal: 1 kB\n: 5 kB\n",                // no name
      "MemTotal: 1 kB\nMemAvailable: 12x kB\n",  // bad optional field
      "MemTotal: 1 kB",                          // no final newline
  };
  for (const char* text : bad) {
    auto r = ParseMeminfo(text);
    EXPECT_FALSE(r.ok()) << "accepted: " << text;
  }
}

TEST(ParseMeminfoTest, TruncatedEmptyAndGarbage) {
  auto truncated = ParseMeminfo(ReadFixture("meminfo_truncated"));
  ASSERT_FALSE(truncated.ok());
  EXPECT_THAT(truncated.error().message, HasSubstr("truncated"));
  auto empty = ParseMeminfo(ReadFixture("empty"));
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.error().message, HasSubstr("MemTotal"));
  EXPECT_FALSE(ParseMeminfo(ReadFixture("garbage.bin")).ok());
}

TEST(ParseMeminfoTest, EveryPrefixFailsOrIsExact) {
  const std::string text = ReadFixture("host/meminfo");
  auto full = ParseMeminfo(text);
  ASSERT_TRUE(full.ok());
  for (size_t n = 0; n < text.size(); ++n) {
    auto r = ParseMeminfo(std::string_view(text).substr(0, n));
    if (!r.ok()) continue;
    EXPECT_EQ(text[n - 1], '\n') << "accepted a cut in the middle of a line at " << n;
    EXPECT_EQ(r->total_bytes, full->total_bytes);
    for (auto field : {&MemInfo::free_bytes, &MemInfo::available_bytes, &MemInfo::buffers_bytes,
                       &MemInfo::cached_bytes, &MemInfo::swap_total_bytes, &MemInfo::swap_free_bytes}) {
      if ((*r).*field) {
        EXPECT_EQ((*r).*field, (*full).*field);
      }
    }
  }
}

TEST(ParseMeminfoTest, NeverCrashes) {
  for (const std::string& s : RandomInputs()) (void)ParseMeminfo(s);
  for (const std::string& s : Mutations(ReadFixture("host/meminfo"))) (void)ParseMeminfo(s);
}

// ---- /proc/pressure ----------------------------------------------------------------

TEST(ParsePressureTest, RealHost) {
  auto cpu = ParsePressure(ReadFixture("host/pressure/cpu"));
  ASSERT_TRUE(cpu.ok()) << cpu.error().message;
  EXPECT_DOUBLE_EQ(cpu->some.avg10, 24.34);
  EXPECT_DOUBLE_EQ(cpu->some.avg60, 34.70);
  EXPECT_DOUBLE_EQ(cpu->some.avg300, 28.33);
  EXPECT_EQ(cpu->some.total_us, 235855968u);
  ASSERT_TRUE(cpu->full.has_value());
  EXPECT_EQ(cpu->full->total_us, 0u);

  auto io = ParsePressure(ReadFixture("host/pressure/io"));
  ASSERT_TRUE(io.ok());
  EXPECT_EQ(io->some.total_us, 4843686u);
  EXPECT_DOUBLE_EQ(io->some.avg60, 0.06);
  ASSERT_TRUE(io->full.has_value());
  EXPECT_EQ(io->full->total_us, 4268685u);
  EXPECT_DOUBLE_EQ(io->full->avg300, 0.05);

  auto memory = ParsePressure(ReadFixture("host/pressure/memory"));
  ASSERT_TRUE(memory.ok());
  EXPECT_EQ(memory->some.total_us, 0u);
  ASSERT_TRUE(memory->full.has_value());
  EXPECT_EQ(memory->full->total_us, 0u);
}

TEST(ParsePressureTest, CpuWithoutFullLine) {
  // Linux 4.20 to 5.12 print only "some" for cpu.
  auto r = ParsePressure(ReadFixture("pressure_cpu_some_only"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->some.total_us, 12345678u);
  EXPECT_DOUBLE_EQ(r->some.avg10, 1.5);
  EXPECT_DOUBLE_EQ(r->some.avg60, 0.75);
  EXPECT_EQ(r->full, std::nullopt);
}

TEST(ParsePressureTest, UnknownKeysAreIgnored) {
  auto r = ParsePressure("some avg10=0.00 avg60=0.00 avg300=0.00 avg3600=1.00 total=5\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->some.total_us, 5u);
}

TEST(ParsePressureTest, Malformed) {
  const char* bad[] = {
      "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",  // no some
      "some avg10=0.00 avg60=0.00 avg300=0.00\n",          // no total
      "some avg10=0.00 avg60=0.00 total=1\n",              // no avg300
      "some avg10=x avg60=0.00 avg300=0.00 total=1\n",
      "some avg10=0.00 avg60=0.00 avg300=0.00 total=1x\n",
      "some avg10=0.00 avg60=0.00 avg300=0.00 total=-1\n",
      "some avg10=-1.00 avg60=0.00 avg300=0.00 total=1\n",
      "some avg10=0.00 avg60=0.00 avg300=0.00 total=\n",
      "some avg10=0.00 avg60=0.00 avg300=0.00 total=1 total=2\n",
      "some avg10 avg60=0.00 avg300=0.00 total=1\n",
      "half avg10=0.00 avg60=0.00 avg300=0.00 total=1\n",
      "some avg10=0.00 avg60=0.00 avg300=0.00 total=1\nsome avg10=0.00 avg60=0.00 avg300=0.00 total=1\n",
      "some avg10=0.00 avg60=0.00 avg300=0.00 total=1\n\n",
      "some avg10=0.00 avg60=0.00 avg300=0.00 total=1",
  };
  for (const char* text : bad) EXPECT_FALSE(ParsePressure(text).ok()) << "accepted: " << text;
}

TEST(ParsePressureTest, TruncatedEmptyAndGarbage) {
  auto truncated = ParsePressure(ReadFixture("pressure_truncated"));
  ASSERT_FALSE(truncated.ok());
  EXPECT_THAT(truncated.error().message, HasSubstr("truncated"));
  EXPECT_FALSE(ParsePressure(ReadFixture("empty")).ok());
  EXPECT_FALSE(ParsePressure(ReadFixture("garbage.bin")).ok());
}

TEST(ParsePressureTest, NeverCrashes) {
  for (const std::string& s : RandomInputs()) (void)ParsePressure(s);
  for (const std::string& s : Mutations(ReadFixture("host/pressure/io"))) (void)ParsePressure(s);
}

// ---- mountinfo ---------------------------------------------------------------------

std::vector<std::string> MountPoints(const std::vector<MountInfo>& mounts) {
  std::vector<std::string> out;
  for (const MountInfo& m : mounts) out.push_back(m.mount_point);
  return out;
}

TEST(ParseMountinfoTest, RealHost) {
  auto r = ParseMountinfo(ReadFixture("host/1/mountinfo"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 19u);
  const MountInfo& proc = (*r)[0];
  EXPECT_EQ(proc.mount_id, 21u);
  EXPECT_EQ(proc.parent_id, 26u);
  EXPECT_EQ(proc.major, 0u);
  EXPECT_EQ(proc.minor, 20u);
  EXPECT_EQ(proc.mount_point, "/proc");
  EXPECT_EQ(proc.fstype, "proc");
  const MountInfo& root = (*r)[5];
  EXPECT_EQ(root.mount_id, 26u);
  EXPECT_EQ(root.parent_id, 1u);
  EXPECT_EQ(root.major, 254u);
  EXPECT_EQ(root.minor, 0u);
  EXPECT_EQ(root.root, "/");
  EXPECT_EQ(root.mount_point, "/");
  EXPECT_EQ(root.options, "rw,relatime");
  EXPECT_EQ(root.fstype, "ext4");
  EXPECT_EQ(root.source, "/dev/vda");
  EXPECT_EQ(root.super_options, "rw,discard,resv_strict,resuid=65534,resgid=65534");

  // Everything else there is pseudo or under /dev, /sys, /proc.
  std::vector<MountInfo> selected = SelectFilesystems(*r);
  EXPECT_THAT(MountPoints(selected), ElementsAre("/"));
}

TEST(ParseMountinfoTest, FieldsAndOptionalFields) {
  auto r = ParseMountinfo(
      "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n"
      "37 35 98:1 / /a rw shared:1 master:2 propagate_from:3 unbindable - xfs /dev/sdb rw\n"
      "38 35 0:50 / /b rw - tmpfs  rw\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].root, "/mnt1");
  EXPECT_EQ((*r)[0].mount_point, "/mnt2");
  EXPECT_EQ((*r)[0].options, "rw,noatime");
  EXPECT_EQ((*r)[0].fstype, "ext3");
  EXPECT_EQ((*r)[0].source, "/dev/root");
  EXPECT_EQ((*r)[0].super_options, "rw,errors=continue");
  EXPECT_EQ((*r)[1].major, 98u);
  EXPECT_EQ((*r)[1].minor, 1u);
  EXPECT_EQ((*r)[1].fstype, "xfs");
  // A mount made with an empty source prints two spaces.
  EXPECT_EQ((*r)[2].fstype, "tmpfs");
  EXPECT_EQ((*r)[2].source, "");
  EXPECT_EQ((*r)[2].super_options, "rw");
}

TEST(ParseMountinfoTest, Unescapes) {
  auto r = ParseMountinfo(
      "40 1 8:1 /sub\\040dir /mnt/a\\040b\\011c\\012d\\134e rw - fuse.sshfs me@host:/my\\040files rw\n"
      "41 1 8:2 / /mnt/not\\9an\\04escape rw - ext4 /dev/sda2 rw\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)[0].root, "/sub dir");
  EXPECT_EQ((*r)[0].mount_point, "/mnt/a b\tc\nd\\e");
  EXPECT_EQ((*r)[0].fstype, "fuse.sshfs");
  EXPECT_EQ((*r)[0].source, "me@host:/my files");
  EXPECT_EQ((*r)[1].mount_point, "/mnt/not\\9an\\04escape");
}

TEST(ParseMountinfoTest, Malformed) {
  const char* bad[] = {
      "36 35 98:0 /mnt1 /mnt2 rw ext3 /dev/root rw\n",          // no separator
      "36 35 98:0 /mnt1 /mnt2 rw - ext3 /dev/root\n",           // too few after it
      "36 35 98:0 /mnt1 /mnt2 rw - ext3 /dev/root rw extra\n",  // too many after it
      "36 35 98 /mnt1 /mnt2 rw - ext3 /dev/root rw\n",          // no minor
      "36 35 98:x /mnt1 /mnt2 rw - ext3 /dev/root rw\n",
      "x 35 98:0 /mnt1 /mnt2 rw - ext3 /dev/root rw\n",
      "36 35 98:0 /mnt1 mnt2 rw - ext3 /dev/root rw\n",    // relative mount point
      "36 35 98:0 /mnt1 /mnt2 - ext3 /dev/root rw\n",      // no options
      "36 35 98:0 /mnt1 /mnt2 rw -  /dev/root rw\n",       // empty fstype
      "36  35 98:0 /mnt1 /mnt2 rw - ext3 /dev/root rw\n",  // empty field
      "36 35 98:0 /mnt1 /mnt2 rw - ext3 /dev/root rw",     // no final newline
      "\n",
  };
  for (const char* text : bad) EXPECT_FALSE(ParseMountinfo(text).ok()) << "accepted: " << text;
}

TEST(ParseMountinfoTest, TruncatedEmptyAndGarbage) {
  auto truncated = ParseMountinfo(ReadFixture("mountinfo_truncated"));
  ASSERT_FALSE(truncated.ok());
  EXPECT_THAT(truncated.error().message, HasSubstr("truncated"));
  EXPECT_FALSE(ParseMountinfo(ReadFixture("empty")).ok());
  EXPECT_FALSE(ParseMountinfo(ReadFixture("garbage.bin")).ok());
}

TEST(ParseMountinfoTest, NeverCrashes) {
  for (const std::string& s : RandomInputs()) {
    auto r = ParseMountinfo(s);
    if (r.ok()) (void)SelectFilesystems(*r);
  }
  for (const std::string& s : Mutations(ReadFixture("mountinfo_k8s_node"))) {
    auto r = ParseMountinfo(s);
    if (r.ok()) (void)SelectFilesystems(*r);
  }
}

TEST(SelectFilesystemsTest, KubernetesNode) {
  auto r = ParseMountinfo(ReadFixture("mountinfo_k8s_node"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  std::vector<MountInfo> selected = SelectFilesystems(*r);
  EXPECT_THAT(MountPoints(selected),
              ElementsAre("/", "/run", "/run/lock", "/boot/efi", "/var/lib/kubelet", "/data", "/mnt/nfs",
                          "/mnt/my disk", "/mnt/scratch",
                          // per-sandbox shm under /run/containerd/ is runtime plumbing: skipped
                          "/var/lib/containerd"));
  auto find = [&](const std::string& mp) -> const MountInfo& {
    for (const MountInfo& m : selected)
      if (m.mount_point == mp) return m;
    ADD_FAILURE() << "no " << mp;
    return selected.front();
  };
  EXPECT_EQ(find("/").source, "/dev/nvme0n1p2");
  EXPECT_EQ(find("/mnt/nfs").fstype, "nfs4");
  EXPECT_EQ(find("/mnt/nfs").source, "fileserver.example:/export/home");
  // Stacked on the ext4 at the same place: statvfs would see the tmpfs.
  EXPECT_EQ(find("/mnt/scratch").fstype, "tmpfs");
  // Mounted again over itself: reported once, by the mount on top.
  EXPECT_EQ(find("/var/lib/containerd").mount_id, 59u);
  // Same device, other root (a bind of a subdirectory): its own view.
  EXPECT_EQ(find("/var/lib/kubelet").root, "/kubelet");
  // Bind mounts of one device and root: the shortest mount point, although listed later.
  EXPECT_EQ(find("/data").source, "/dev/sdb1");
}

MountInfo Mount(uint32_t id, uint32_t parent, uint32_t major, uint32_t minor, std::string root,
                std::string mount_point, std::string fstype) {
  MountInfo m;
  m.mount_id = id;
  m.parent_id = parent;
  m.major = major;
  m.minor = minor;
  m.root = std::move(root);
  m.mount_point = std::move(mount_point);
  m.fstype = std::move(fstype);
  m.source = "src" + std::to_string(id);
  return m;
}

TEST(SelectFilesystemsTest, SkippedTrees) {
  std::vector<MountInfo> in = {
      Mount(1, 0, 8, 1, "/", "/", "ext4"),
      Mount(2, 1, 8, 2, "/", "/var/lib/docker", "xfs"),  // the runtime's own disk: kept
      Mount(3, 2, 8, 2, "/overlay2/abc/merged", "/var/lib/docker/overlay2/abc/merged", "xfs"),
      Mount(4, 2, 0, 40, "/", "/var/lib/docker/containers/abc/mounts/shm", "tmpfs"),
      Mount(5, 1, 8, 3, "/", "/var/lib/containers/storage/overlay", "ext4"),
      Mount(6, 1, 0, 41, "/", "/run/credentials/getty@tty1.service", "tmpfs"),
      Mount(7, 1, 0, 42, "/", "/run/credentials", "tmpfs"),
      Mount(8, 1, 0, 43, "/", "/procedures", "tmpfs"),  // not /proc
      Mount(9, 1, 0, 44, "/", "/system", "tmpfs"),      // not /sys
      Mount(10, 1, 0, 45, "/", "/devel", "tmpfs"),      // not /dev
      Mount(11, 1, 0, 46, "/", "/tmp", "tmpfs"),
      Mount(12, 1, 0, 47, "/", "/dev/shm", "tmpfs"),
      Mount(13, 1, 0, 48, "/", "/sys/fs/cgroup", "tmpfs"),
      Mount(14, 1, 0, 49, "/", "/proc/sys/fs/binfmt_misc", "binfmt_misc"),
      Mount(15, 1, 8, 4, "/", "/var/lib/kubelet", "ext4"),
      Mount(16, 15, 0, 50, "/", "/var/lib/kubelet/pods/u/volumes/kubernetes.io~projected/x", "tmpfs"),
      Mount(17, 1, 0, 51, "/", "/mnt/ram", "ramfs"),
      Mount(18, 1, 7, 0, "/", "/snap/x/1", "squashfs"),
      Mount(19, 1, 0, 52, "/", "/var/lib/containers/storage", "tmpfs"),  // the tree itself: kept
  };
  EXPECT_THAT(MountPoints(SelectFilesystems(in)),
              ElementsAre("/", "/var/lib/docker", "/procedures", "/system", "/devel", "/tmp",
                          "/var/lib/kubelet", "/var/lib/containers/storage"));
}

TEST(SelectFilesystemsTest, BindMountsDeduplicated) {
  std::vector<MountInfo> in = {
      Mount(1, 0, 8, 1, "/", "/", "ext4"),
      Mount(2, 1, 8, 2, "/", "/srv/a", "ext4"),
      Mount(3, 1, 8, 2, "/", "/srv/b", "ext4"),       // tie: the first stays
      Mount(4, 1, 8, 2, "/sub", "/srv/sub", "ext4"),  // other root: kept
      Mount(5, 1, 8, 1, "/", "/home/x/rootbind", "ext4"),
      Mount(6, 1, 0, 60, "/", "/mnt/t1", "tmpfs"),
      Mount(7, 1, 0, 61, "/", "/mnt/t2", "tmpfs"),  // another tmpfs instance: kept
  };
  EXPECT_THAT(MountPoints(SelectFilesystems(in)),
              ElementsAre("/", "/srv/a", "/srv/sub", "/mnt/t1", "/mnt/t2"));
}

TEST(SelectFilesystemsTest, StackedMounts) {
  std::vector<MountInfo> in = {
      Mount(1, 1, 8, 1, "/", "/", "ext4"),  // parent is itself: the namespace root
      Mount(2, 1, 8, 2, "/", "/data", "ext4"),
      Mount(3, 2, 8, 3, "/", "/data", "xfs"),
      Mount(4, 3, 0, 40, "/", "/data", "overlay"),  // on top of everything: pseudo, so /data is not reported
      Mount(5, 1, 8, 4, "/", "/data2", "ext4"),
      Mount(6, 5, 8, 5, "/", "/data2/inner", "xfs"),  // below, not on top
  };
  EXPECT_THAT(MountPoints(SelectFilesystems(in)), ElementsAre("/", "/data2", "/data2/inner"));
}

TEST(SelectFilesystemsTest, PseudoTypes) {
  for (const char* t :
       {"autofs",   "binfmt_misc", "bpf",        "cgroup",     "cgroup2",   "configfs", "debugfs",
        "devpts",   "devtmpfs",    "fusectl",    "hugetlbfs",  "mqueue",    "nsfs",     "proc",
        "procfs",   "pstore",      "rpc_pipefs", "securityfs", "selinuxfs", "sysfs",    "tracefs",
        "efivarfs", "overlay",     "squashfs",   "erofs",      "iso9660",   "ramfs"})
    EXPECT_TRUE(IsPseudoFilesystem(t)) << t;
  for (const char* t : {"ext4", "xfs", "btrfs", "tmpfs", "nfs", "nfs4", "vfat", "zfs", "fuse.sshfs", "cifs"})
    EXPECT_FALSE(IsPseudoFilesystem(t)) << t;
}

// ---- /proc/diskstats ---------------------------------------------------------------

TEST(ParseDiskstatsTest, RealHost) {
  auto r = ParseDiskstats(ReadFixture("host/diskstats"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 10u);
  EXPECT_EQ((*r)[0].name, "loop0");
  EXPECT_EQ((*r)[0].major, 7u);
  EXPECT_EQ((*r)[0].minor, 0u);
  const DiskStat& vda = (*r)[8];
  EXPECT_EQ(vda.name, "vda");
  EXPECT_EQ(vda.major, 254u);
  EXPECT_EQ(vda.minor, 0u);
  EXPECT_EQ(vda.reads_completed, 38719u);
  EXPECT_EQ(vda.sectors_read, 4706034u);
  EXPECT_EQ(vda.writes_completed, 12076u);
  EXPECT_EQ(vda.sectors_written, 2442968u);
  EXPECT_EQ(vda.discards_completed, 13264u);  // the next field, 165, counts discards merged
  EXPECT_EQ(vda.sectors_discarded, 1312192u);
  EXPECT_EQ(vda.flushes_completed, 834u);
  EXPECT_EQ((*r)[9].name, "zram0");
}

TEST(ParseDiskstatsTest, OlderFormats) {
  auto r = ParseDiskstats(
      "   8       0 sda 100 2 3000 4 500 6 7000 8 0 9 10\n"               // 2.6.25 - 4.17
      "   8       1 sda1 101 2 3001 4 501 6 7001 8 0 9 10 11 12 13 14\n"  // 4.18 - 5.4
      "   8       2 sda2 5 60 7 80\n");                                   // < 2.6.25 partitions
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].reads_completed, 100u);
  EXPECT_EQ((*r)[0].sectors_read, 3000u);
  EXPECT_EQ((*r)[0].writes_completed, 500u);
  EXPECT_EQ((*r)[0].sectors_written, 7000u);
  EXPECT_EQ((*r)[0].discards_completed, std::nullopt);
  EXPECT_EQ((*r)[0].flushes_completed, std::nullopt);
  EXPECT_EQ((*r)[1].discards_completed, 11u);
  EXPECT_EQ((*r)[1].sectors_discarded, 13u);
  EXPECT_EQ((*r)[1].flushes_completed, std::nullopt);
  EXPECT_EQ((*r)[2].name, "sda2");
  EXPECT_EQ((*r)[2].reads_completed, 5u);
  EXPECT_EQ((*r)[2].sectors_read, 60u);
  EXPECT_EQ((*r)[2].writes_completed, 7u);
  EXPECT_EQ((*r)[2].sectors_written, 80u);
}

TEST(ParseDiskstatsTest, LaterKernelsMayAddFields) {
  auto r = ParseDiskstats(" 259 0 nvme0n1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)[0].flushes_completed, 16u);
}

TEST(ParseDiskstatsTest, Malformed) {
  const char* bad[] = {
      "8 0 sda 1 2 3 4 5 6 7 8 9 10 11 12\n",              // 15 fields
      "8 0 sda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",  // 19 fields
      "8 0 sda 1 2 3\n",                                   // 6
      "8 0\n",
      "8 x sda 1 2 3 4 5 6 7 8 9 10 11\n",
      "8 0 sda 1 2 3 4 5 6 7 8 9 10 1x\n",
      "8 0 sda 1 2 3 4 5 6 7 8 9 10 -1\n",
      "8 0 sda 1 2 3 4 5 6 7 8 9 10 11",  // no final newline
      "\n",
  };
  for (const char* text : bad) EXPECT_FALSE(ParseDiskstats(text).ok()) << "accepted: " << text;
}

TEST(ParseDiskstatsTest, TruncatedEmptyAndGarbage) {
  auto truncated = ParseDiskstats(ReadFixture("diskstats_truncated"));
  ASSERT_FALSE(truncated.ok());
  EXPECT_THAT(truncated.error().message, HasSubstr("truncated"));
  // A machine with no block device at all has an empty file.
  auto empty = ParseDiskstats(ReadFixture("empty"));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  EXPECT_FALSE(ParseDiskstats(ReadFixture("garbage.bin")).ok());
}

TEST(ParseDiskstatsTest, EveryPrefixFailsOrIsExact) {
  const std::string text = ReadFixture("host/diskstats");
  auto full = ParseDiskstats(text);
  ASSERT_TRUE(full.ok());
  for (size_t n = 1; n < text.size(); ++n) {
    auto r = ParseDiskstats(std::string_view(text).substr(0, n));
    if (!r.ok()) continue;
    EXPECT_EQ(text[n - 1], '\n') << "accepted a cut in the middle of a line at " << n;
    ASSERT_LE(r->size(), full->size());
    for (size_t i = 0; i < r->size(); ++i) {
      EXPECT_EQ((*r)[i].name, (*full)[i].name);
      EXPECT_EQ((*r)[i].sectors_written, (*full)[i].sectors_written);
      EXPECT_EQ((*r)[i].flushes_completed, (*full)[i].flushes_completed);
    }
  }
}

TEST(ParseDiskstatsTest, NeverCrashes) {
  for (const std::string& s : RandomInputs()) (void)ParseDiskstats(s);
  for (const std::string& s : Mutations(ReadFixture("host/diskstats"))) (void)ParseDiskstats(s);
}

// ---- /proc/<pid>/statm, stat, cgroup ----------------------------------------------

TEST(StatmTest, ParsesPages) {
  auto r = ParseStatm("3133440 360 298 5 0 1091 0\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->size, 3133440u);
  EXPECT_EQ(r->resident, 360u);
  EXPECT_EQ(r->shared, 298u);
  EXPECT_EQ(r->text, 5u);
  EXPECT_EQ(r->data, 1091u);
}

TEST(StatmTest, KernelThreadIsAllZero) {
  auto r = ParseStatm("0 0 0 0 0 0 0\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size, 0u);
}

TEST(StatmTest, RejectsMalformed) {
  EXPECT_FALSE(ParseStatm("").ok());
  EXPECT_FALSE(ParseStatm("1 2 3 4 5 6 7").ok());  // cut short
  EXPECT_FALSE(ParseStatm("1 2 3 4 5 6\n").ok());
  EXPECT_FALSE(ParseStatm("1 2 3 4 5 6 x\n").ok());
  EXPECT_FALSE(ParseStatm("1 2 3 4 5 6 -7\n").ok());
}

// A real /proc/<pid>/status of a process with a shared mapping and swap
// (6.x), its signal and capability lines cut.
constexpr const char* kStatus =
    "Name:\tmemory_workload\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t6186\nNgid:\t0\nPid:\t6186\n"
    "PPid:\t5340\nTracerPid:\t0\nFDSize:\t64\nVmPeak:\t   72316 kB\nVmSize:\t   72316 kB\n"
    "VmLck:\t       0 kB\nVmPin:\t       0 kB\nVmHWM:\t   52000 kB\nVmRSS:\t   51928 kB\n"
    "RssAnon:\t   49232 kB\nRssFile:\t    1672 kB\nRssShmem:\t    1024 kB\nVmData:\t   49552 kB\n"
    "VmStk:\t     132 kB\nVmExe:\t      24 kB\nVmLib:\t    2004 kB\nVmPTE:\t     148 kB\n"
    "VmSwap:\t     512 kB\nHugetlbPages:\t       0 kB\nCoreDumping:\t0\nThreads:\t1\n";

TEST(PidStatusMemoryTest, ParsesEveryTypeInBytes) {
  auto r = ParsePidStatusMemory(kStatus);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->has_mm);
  EXPECT_EQ(r->rss_bytes, 51928u * 1024);
  EXPECT_EQ(r->anon_bytes, 49232u * 1024);
  EXPECT_EQ(r->file_bytes, 1672u * 1024);
  EXPECT_EQ(r->shmem_bytes, 1024u * 1024);
  EXPECT_EQ(r->swap_bytes, 512u * 1024);
  EXPECT_EQ(r->data_bytes, (49552u + 132u) * 1024);
}

TEST(PidStatusMemoryTest, KernelThreadsAndZombiesHaveNoMm) {
  auto r =
      ParsePidStatusMemory("Name:\tkworker/0:1\nUmask:\t0000\nState:\tI (idle)\nTgid:\t9\nThreads:\t1\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->has_mm);
  auto zombie = ParsePidStatusMemory("Name:\tx\nState:\tZ (zombie)\nTgid:\t77\nThreads:\t1\n");
  ASSERT_TRUE(zombie.ok());
  EXPECT_FALSE(zombie->has_mm);
}

TEST(PidStatusMemoryTest, RejectsMalformedAndIncomplete) {
  const std::string good = kStatus;
  EXPECT_FALSE(ParsePidStatusMemory(good.substr(0, good.size() - 1)).ok()) << "cut short";
  auto without = [&](const std::string& line) {
    std::string s = good;
    size_t at = s.find(line);
    return s.erase(at, s.find('\n', at) + 1 - at);
  };
  for (const char* line : {"RssAnon:", "RssFile:", "RssShmem:", "VmSwap:", "VmData:", "VmStk:"})
    EXPECT_FALSE(ParsePidStatusMemory(without(line)).ok()) << "VmRSS without " << line;
  EXPECT_FALSE(ParsePidStatusMemory(good + "RssAnon:\t1 kB\n").ok()) << "repeated";
  EXPECT_FALSE(ParsePidStatusMemory("VmRSS:\t12 MB\n").ok());
  EXPECT_FALSE(ParsePidStatusMemory("VmRSS:\t-12 kB\n").ok());
  EXPECT_FALSE(ParsePidStatusMemory("VmRSS:\t99999999999999999999 kB\n").ok());
  // A process named "VmRSS:\t1 kB" cannot forge a line: the kernel escapes
  // the newline, and a Name line is never a memory line.
  auto named = ParsePidStatusMemory("Name:\tVmSwap:\t9 kB\\n\n" + good.substr(good.find('\n') + 1));
  ASSERT_TRUE(named.ok()) << named.error().message;
  EXPECT_EQ(named->swap_bytes, 512u * 1024);
}

TEST(PidStatusMemoryTest, NeverCrashes) {
  for (const std::string& s : RandomInputs()) (void)ParsePidStatusMemory(s);
  for (const std::string& s : Mutations(kStatus)) (void)ParsePidStatusMemory(s);
}

TEST(PidStatTest, StartTimeAndComm) {
  auto r = ParsePidStat(
      "23615 (cat) R 23611 23611 14985 0 -1 4194304 96 0 0 0 0 0 0 0 20 0 1 0 920068 3133440 360 "
      "18446744073709551615 94428153458688 0 0\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->comm, "cat");
  EXPECT_EQ(r->start_ticks, 920068u);
  EXPECT_EQ(r->flags, 4194304u);
  EXPECT_EQ(r->flags & kPfKthread, 0u);
}

TEST(PidStatTest, KernelThreadFlag) {
  auto r = ParsePidStat("2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_NE(r->flags & kPfKthread, 0u);
}

TEST(PidStatTest, HostileCommWithSpacesAndParentheses) {
  auto r = ParsePidStat("7 (a) b (c) S 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 42 0 0\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->comm, "a) b (c");
  EXPECT_EQ(r->start_ticks, 42u);
}

TEST(PidStatTest, RejectsMalformed) {
  EXPECT_FALSE(ParsePidStat("7 cat S 1\n").ok());
  EXPECT_FALSE(ParsePidStat("7 (cat) S 1 7 7 0\n").ok());
  EXPECT_FALSE(ParsePidStat("7 (cat) S 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 x 0\n").ok());
  EXPECT_FALSE(ParsePidStat("7 (cat) S 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 42 0").ok());
}

// A process can call itself anything but NUL (prctl PR_SET_NAME, up to 15
// bytes); stat and comm print the name raw. fixtures/proc/hostile/<pid>/
// hold what the kernel prints for such names.
struct HostileName {
  int pid;
  std::string comm;
};

const std::vector<HostileName>& HostileNames() {
  static const std::vector<HostileName> names = {
      {101, "a\nb"},             // a newline
      {102, ") ("},              // looks like the end of comm and the start of another
      {103, "x)"},               // ends in ')'
      {104, "\n0 0 0"},          // a newline, then what looks like fields
      {105, "\xff\xfe \xc3("},   // invalid UTF-8
      {106, "0123456789abcde"},  // 15 bytes, the most there is
      {107, "a\"b\\c} 1\n"},     // exposition syntax, ending in a newline
  };
  return names;
}

TEST(PidStatTest, HostileNamesFromFixturesParseToTheExactName) {
  for (const HostileName& h : HostileNames()) {
    const std::string dir = "hostile/" + std::to_string(h.pid) + "/";
    auto r = ParsePidStat(ReadFixture(dir + "stat"));
    ASSERT_TRUE(r.ok()) << "pid " << h.pid << ": " << r.error().message;
    EXPECT_EQ(r->comm, h.comm) << "pid " << h.pid;
    EXPECT_EQ(r->start_ticks, 5000u + h.pid) << "pid " << h.pid;
    EXPECT_EQ(r->flags & kPfKthread, 0u);
    auto comm = ParsePidComm(ReadFixture(dir + "comm"));
    ASSERT_TRUE(comm.ok()) << comm.error().message;
    EXPECT_EQ(*comm, h.comm) << "pid " << h.pid;
  }
}

TEST(PidStatTest, NewlineInCommIsPartOfTheName) {
  auto r = ParsePidStat("9 (x\n) S 1 9 9 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 77 0 0\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->comm, "x\n");
  EXPECT_EQ(r->start_ticks, 77u);
  // Only newlines: the name is all there is between "(" and the last ')'.
  r = ParsePidStat("9 (\n\n\n) S 1 9 9 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 78 0 0\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->comm, "\n\n\n");
  // Empty (PR_SET_NAME "").
  r = ParsePidStat("9 () S 1 9 9 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 79 0 0\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->comm, "");
}

TEST(PidStatTest, NameThatLooksLikeFieldsDoesNotShiftThem) {
  // A name made to look like the rest of the line, start time and all.
  auto r = ParsePidStat("9 (1) S 1 9 9 0) S 1 9 9 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 80 0 0\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->comm, "1) S 1 9 9 0");
  EXPECT_EQ(r->start_ticks, 80u);
}

TEST(PidStatTest, LinesAfterTheNameAreRejected) {
  // What follows the last ')' is one line: a newline there means two files' worth.
  EXPECT_FALSE(ParsePidStat("9 (x) S 1 9 9 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 80 0 0\n1 2\n").ok());
  EXPECT_FALSE(ParsePidStat("(x) S 1 9 9 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 80 0 0\n").ok()) << "no pid";
  EXPECT_FALSE(ParsePidStat("9x (x) S 1 9 9 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 80 0 0\n").ok());
  EXPECT_FALSE(ParsePidStat("9 (x S 1 9 9 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 80 0 0\n").ok()) << "no ')'";
  EXPECT_FALSE(ParsePidStat("").ok());
}

TEST(PidStatTest, NeverCrashes) {
  for (const std::string& s : RandomInputs()) (void)ParsePidStat(s);
  for (const std::string& s : Mutations(ReadFixture("hostile/104/stat"))) (void)ParsePidStat(s);
}

TEST(PidCommTest, RemovesOnlyTheKernelsNewline) {
  EXPECT_EQ(*ParsePidComm("cat\n"), "cat");
  EXPECT_EQ(*ParsePidComm("a\n\n"), "a\n");
  EXPECT_EQ(*ParsePidComm("\n"), "");
  EXPECT_FALSE(ParsePidComm("cat").ok()) << "cut short";
  EXPECT_FALSE(ParsePidComm("").ok());
}

TEST(PidCgroupTest, FindsTheUnifiedLineOnAHybridHost) {
  auto r = ParsePidCgroupV2("4:memory:/x\n1:cpu:/\n0::/system.slice/ssh.service\n");
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ(**r, "/system.slice/ssh.service");
}

TEST(PidCgroupTest, NoUnifiedHierarchy) {
  auto r = ParsePidCgroupV2("4:memory:/x\n1:cpu:/\n");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  EXPECT_FALSE(ParsePidCgroupV2("0::relative\n").ok());
}

}  // namespace
}  // namespace hostprobe

namespace hostprobe {
namespace {

// /proc/self/fdinfo/<fd> of a BPF hash map on 6.x, and of a plain file.
TEST(BpfMapFdinfoTest, ReadsTypeMemlockAndIdOfAMap) {
  auto info = ParseBpfMapFdinfo(
      "pos:\t0\nflags:\t02000002\nmnt_id:\t15\nino:\t2072\nmap_type:\t5\nkey_size:\t8\n"
      "value_size:\t16\nmax_entries:\t16384\nmap_flags:\t0x0\nmap_extra:\t0x0\n"
      "memlock:\t2622336\nmap_id:\t812\nfrozen:\t0\n");
  ASSERT_TRUE(info.ok()) << info.error().message;
  ASSERT_TRUE(info->has_value());
  EXPECT_EQ((*info)->map_type, 5u);
  EXPECT_EQ((*info)->memlock, 2622336u);
  EXPECT_EQ((*info)->map_id, 812u);
}

TEST(BpfMapFdinfoTest, AnythingElseIsNoMap) {
  auto file = ParseBpfMapFdinfo("pos:\t0\nflags:\t0100000\nmnt_id:\t24\nino:\t3\n");
  ASSERT_TRUE(file.ok());
  EXPECT_FALSE(file->has_value());
  // A program's fdinfo has memlock too, but no map_type.
  auto prog = ParseBpfMapFdinfo("pos:\t0\nflags:\t02000002\nprog_type:\t26\nmemlock:\t4096\nprog_id:\t9\n");
  ASSERT_TRUE(prog.ok());
  EXPECT_FALSE(prog->has_value());
}

TEST(BpfMapFdinfoTest, MalformedNumbersAreErrors) {
  EXPECT_FALSE(ParseBpfMapFdinfo("map_type:\t5\nmemlock:\tlots\n").ok());
  EXPECT_FALSE(ParseBpfMapFdinfo("map_type:\t5\n").ok()) << "a map without memlock";
}

}  // namespace
}  // namespace hostprobe
