#include "core/memory_limit.h"

#include <gtest/gtest.h>

#include <fstream>

#include "collectors/memory_limit_reader.h"
#include "temp_dir.h"

namespace hostprobe {
namespace {

TEST(MemoryLimitTest, ParsesTheCgroupFiles) {
  EXPECT_EQ(ParseCgroupV2Max("max\n"), std::nullopt);
  EXPECT_EQ(ParseCgroupV2Max("268435456\n"), 268435456u);
  EXPECT_EQ(ParseCgroupV2Max("12ab"), std::nullopt);
  EXPECT_EQ(ParseCgroupV2Max(""), std::nullopt);
  const std::string stat = "anon 1000\nfile 4096\nkernel 300\nfile_mapped 1\n";
  EXPECT_EQ(MemoryStatField(stat, "file"), 4096u);
  EXPECT_EQ(MemoryStatField(stat, "anon"), 1000u);
  EXPECT_EQ(MemoryStatField(stat, "fil"), std::nullopt);
  EXPECT_EQ(V2Unreclaimable(10'000, stat), 10'000u - 4096u);
  EXPECT_EQ(V2Unreclaimable(100, stat), 0u) << "never below zero";
  EXPECT_EQ(V1Unreclaimable("total_cache 9\ntotal_rss 700\ntotal_shmem 50\n"), 750u);
  EXPECT_EQ(V1Limit(9223372036854771712ull), std::nullopt) << "PAGE_COUNTER_MAX pages: unlimited";
  EXPECT_EQ(V1Limit(536870912), 536870912u);
}

TEST(MemoryLimitTest, ExhaustionIsHeadroomOverGrowth) {
  MemoryHeadroom h;
  h.limit_bytes = 256u << 20;
  h.used_bytes = 56u << 20;
  ASSERT_TRUE(ExhaustionSeconds(h, 2u << 20).has_value());
  EXPECT_DOUBLE_EQ(*ExhaustionSeconds(h, 2u << 20), 100.0);  // 200 MiB at 2 MiB/s
  EXPECT_EQ(ExhaustionSeconds(h, 0), std::nullopt);
  EXPECT_EQ(ExhaustionSeconds(h, -5), std::nullopt);
  h.used_bytes = h.limit_bytes + 1;
  EXPECT_DOUBLE_EQ(*ExhaustionSeconds(h, 1024), 0.0) << "over the limit already";
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

// A hybrid host's layout: v2 at <cg>/unified (no memory controller), v1
// memory at <cg>/memory; and a pure v2 tree with limits at two levels.
class MemoryLimitReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    tmp_.Mkdir("/proc");
    tmp_.Mkdir("/proc/42");
    Write(tmp_.path() + "/proc/meminfo", "MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 600 kB\n");
  }
  test_util::TempDir tmp_;
};

TEST_F(MemoryLimitReaderTest, PureV2TakesTheSmallestHeadroomUpTheTree) {
  tmp_.Mkdir("/v2");
  tmp_.Mkdir("/v2/kubepods");
  tmp_.Mkdir("/v2/kubepods/pod1");
  tmp_.Mkdir("/v2/kubepods/pod1/ctr");
  // The node's pods may use 8 GiB; this pod 300 MiB, of which 100 MiB is page cache.
  Write(tmp_.path() + "/v2/kubepods/memory.max", "8589934592\n");
  Write(tmp_.path() + "/v2/kubepods/memory.current", "1073741824\n");
  Write(tmp_.path() + "/v2/kubepods/memory.stat", "anon 900000000\nfile 100000000\n");
  Write(tmp_.path() + "/v2/kubepods/pod1/memory.max", "314572800\n");
  Write(tmp_.path() + "/v2/kubepods/pod1/memory.current", "209715200\n");
  Write(tmp_.path() + "/v2/kubepods/pod1/memory.stat", "anon 104857600\nfile 104857600\n");
  Write(tmp_.path() + "/v2/kubepods/pod1/ctr/memory.max", "max\n");
  Write(tmp_.path() + "/v2/kubepods/pod1/ctr/memory.current", "1\n");
  Write(tmp_.path() + "/v2/kubepods/pod1/ctr/memory.stat", "anon 1\n");
  MemoryLimitReader r(tmp_.path() + "/proc", tmp_.path() + "/v2");
  EXPECT_EQ(r.v1_memory_root(), "");
  MemoryHeadroom h = r.For(42, "/kubepods/pod1/ctr");
  EXPECT_EQ(h.source, LimitSource::kCgroupV2);
  EXPECT_EQ(h.cgroup, "/kubepods/pod1");
  EXPECT_EQ(h.limit_bytes, 314572800u);
  EXPECT_EQ(h.used_bytes, 104857600u) << "page cache is reclaimable";
  EXPECT_EQ(h.headroom(), 209715200u);
}

TEST_F(MemoryLimitReaderTest, HybridHostReadsTheV1MemoryCgroup) {
  tmp_.Mkdir("/cg");
  tmp_.Mkdir("/cg/unified");
  tmp_.Mkdir("/cg/unified/docker");
  tmp_.Mkdir("/cg/memory");
  tmp_.Mkdir("/cg/memory/docker");
  tmp_.Mkdir("/cg/memory/docker/abc");
  Write(tmp_.path() + "/proc/42/cgroup",
        "12:cpu,cpuacct:/docker/abc\n5:memory:/docker/abc\n0::/docker/abc\n");
  Write(tmp_.path() + "/cg/memory/docker/abc/memory.stat",
        "cache 10\nrss 20\nhierarchical_memory_limit 268435456\ntotal_cache 4096\ntotal_rss 67108864\n"
        "total_shmem 0\n");
  MemoryLimitReader r(tmp_.path() + "/proc", tmp_.path() + "/cg/unified");
  EXPECT_EQ(r.v1_memory_root(), tmp_.path() + "/cg/memory");
  MemoryHeadroom h = r.For(42, "/docker/abc");
  EXPECT_EQ(h.source, LimitSource::kCgroupV1);
  EXPECT_EQ(h.limit_bytes, 268435456u);
  EXPECT_EQ(h.used_bytes, 67108864u);
  EXPECT_EQ(h.cgroup, "/docker/abc");
}

TEST_F(MemoryLimitReaderTest, WithoutACgroupLimitTheNodesAvailableMemoryIsTheLimit) {
  tmp_.Mkdir("/v2");
  tmp_.Mkdir("/v2/system.slice");
  Write(tmp_.path() + "/v2/system.slice/memory.max", "max\n");
  MemoryLimitReader r(tmp_.path() + "/proc", tmp_.path() + "/v2");
  MemoryHeadroom h = r.For(42, "/system.slice");
  EXPECT_EQ(h.source, LimitSource::kNode);
  EXPECT_EQ(h.limit_bytes, 1000u * 1024);
  EXPECT_EQ(h.headroom(), 600u * 1024) << "MemAvailable";
  EXPECT_EQ(r.For(42, "").source, LimitSource::kNode) << "unknown cgroup";
}

}  // namespace
}  // namespace hostprobe
