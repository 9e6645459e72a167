#include "exporters/prometheus/resource_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "exposition_util.h"

namespace hostprobe {
namespace {

using prometheus::MetricType;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

const std::string kUid = "0a1b2c3d-4e5f-6789-abcd-ef0123456789";
const std::string kId = "3f1c9a7be2d04c5f8a6b1e2d3c4b5a69788f7e6d5c4b3a29180f1e2d3c4b5a6f";
const std::string kPodPath = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" +
                             std::string("0a1b2c3d_4e5f_6789_abcd_ef0123456789") + ".slice/cri-containerd-" +
                             kId + ".scope";

const prometheus::MetricFamily& Family(const std::vector<prometheus::MetricFamily>& families,
                                       const std::string& name) {
  for (const auto& f : families)
    if (f.name == name) return f;
  ADD_FAILURE() << "no family " << name;
  static const prometheus::MetricFamily none;
  return none;
}

// "name=value,..." of a series, in label order.
std::string LabelsOf(const prometheus::ClientMetric& m) {
  std::string out;
  for (const auto& l : m.label) out += (out.empty() ? "" : ",") + l.name + "=" + l.value;
  return out;
}

std::vector<std::pair<std::string, double>> CounterSeries(const prometheus::MetricFamily& f) {
  std::vector<std::pair<std::string, double>> out;
  for (const auto& m : f.metric) out.emplace_back(LabelsOf(m), m.counter.value);
  return out;
}

std::optional<std::string> Names(uint64_t id) {
  static const std::map<uint64_t, std::string> names = {
      {10, "/system.slice/db.service"},
      {11, "/system.slice/db.service"},  // a recreated cgroup seen under both ids
      {20, kPodPath},
      {30, "/bad\xff.slice"},
      {40, "/"},
  };
  auto it = names.find(id);
  if (it == names.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> Devices(uint32_t major, uint32_t minor) {
  if (major == 253 && minor == 0) return "vda";
  if (major == 259 && minor == 1) return "nvme0n1p1";
  return std::nullopt;
}

DiskioSnapshot DiskSnapshot() {
  DiskioSnapshot s;
  DiskCounts read;
  read.major = 253;
  read.minor = 0;
  read.op = HP_DISK_OP_READ;
  read.bytes = 40960;
  read.ops = 10;
  read.latency_slots[9] = 4;   // 512..1023 ns
  read.latency_slots[20] = 6;  // about 1-2 ms
  read.latency_sum_ns = 4 * 700 + 6 * 1'500'000;
  DiskCounts write;
  write.major = 253;
  write.minor = 0;
  write.op = HP_DISK_OP_WRITE;
  write.bytes = 1 << 20;
  write.ops = 3;
  write.latency_slots[HP_LATENCY_SLOTS - 1] = 3;  // open-ended: only +Inf holds it
  write.latency_sum_ns = 3 * 40'000'000'000ull;
  DiskCounts flush;  // completed, but no latency measured: no histogram series
  flush.major = 8;
  flush.minor = 16;
  flush.op = HP_DISK_OP_FLUSH;
  flush.ops = 2;
  DiskCounts discard;
  discard.major = 259;
  discard.minor = 1;
  discard.op = HP_DISK_OP_DISCARD;
  discard.bytes = 8192;
  discard.ops = 1;
  discard.latency_slots[0] = 1;
  discard.latency_sum_ns = 1;
  s.disks = {read, write, flush, discard};

  CgroupDiskBytes db10{10, {}}, db11{11, {}}, pod{20, {}}, bad{30, {}}, gone{99, {}}, root{40, {}};
  db10.bytes[HP_DISK_OP_READ] = 1000;
  db10.bytes[HP_DISK_OP_WRITE] = 50;
  db11.bytes[HP_DISK_OP_READ] = 24;
  pod.bytes[HP_DISK_OP_WRITE] = 4096;
  bad.bytes[HP_DISK_OP_OTHER] = 7;
  gone.bytes[HP_DISK_OP_READ] = 123;
  // root: nothing but zeros, so no series
  s.cgroups = {db10, pod, bad, gone, db11, root};
  s.self_stats[HP_DISK_STAT_DISK_MAP_FULL] = 1;
  s.self_stats[HP_DISK_STAT_CGROUP_MAP_FULL] = 2;
  s.self_stats[HP_DISK_STAT_INFLIGHT_FAILED] = 3;
  s.self_stats[HP_DISK_STAT_BY_BLKCG] = 11;
  s.self_stats[HP_DISK_STAT_BY_TASK] = 12;
  return s;
}

TEST(DiskioMetricsTest, FamiliesNamesAndTypes) {
  auto built = BuildDiskioFamilies(DiskSnapshot(), Devices, Names);
  std::vector<std::pair<std::string, MetricType>> got;
  for (const auto& f : built.families) got.emplace_back(f.name, f.type);
  EXPECT_THAT(
      got, ElementsAre(std::pair{std::string("hostprobe_disk_io_bytes_total"), MetricType::Counter},
                       std::pair{std::string("hostprobe_disk_io_operations_total"), MetricType::Counter},
                       std::pair{std::string("hostprobe_disk_io_latency_seconds"), MetricType::Histogram},
                       std::pair{std::string("hostprobe_cgroup_disk_io_bytes_total"), MetricType::Counter},
                       std::pair{std::string("hostprobe_bpf_map_update_failures_total"), MetricType::Counter},
                       std::pair{std::string("hostprobe_cgroup_disk_io_bios_total"), MetricType::Counter}));
  for (const auto& f : built.families) EXPECT_FALSE(f.help.empty()) << f.name;
}

TEST(DiskioMetricsTest, BytesAndOperationsByDeviceAndOp) {
  auto built = BuildDiskioFamilies(DiskSnapshot(), Devices, Names);
  EXPECT_THAT(CounterSeries(Family(built.families, "hostprobe_disk_io_bytes_total")),
              ElementsAre(std::pair{std::string("device=vda,op=read"), 40960.0},
                          std::pair{std::string("device=vda,op=write"), 1048576.0},
                          std::pair{std::string("device=8:16,op=flush"), 0.0},
                          std::pair{std::string("device=nvme0n1p1,op=discard"), 8192.0}));
  EXPECT_THAT(CounterSeries(Family(built.families, "hostprobe_disk_io_operations_total")),
              ElementsAre(std::pair{std::string("device=vda,op=read"), 10.0},
                          std::pair{std::string("device=vda,op=write"), 3.0},
                          std::pair{std::string("device=8:16,op=flush"), 2.0},
                          std::pair{std::string("device=nvme0n1p1,op=discard"), 1.0}));
}

TEST(DiskioMetricsTest, DevicesWithoutANamerAreMajorMinor) {
  auto built = BuildDiskioFamilies(DiskSnapshot(), DeviceNamer(), Names);
  const auto& bytes = Family(built.families, "hostprobe_disk_io_bytes_total");
  ASSERT_EQ(bytes.metric.size(), 4u);
  EXPECT_EQ(LabelsOf(bytes.metric[0]), "device=253:0,op=read");
  EXPECT_EQ(LabelsOf(bytes.metric[3]), "device=259:1,op=discard");
}

TEST(DiskioMetricsTest, LatencyHistogramsAreCumulativeInSeconds) {
  auto built = BuildDiskioFamilies(DiskSnapshot(), Devices, Names);
  const auto& latency = Family(built.families, "hostprobe_disk_io_latency_seconds");
  // The flush saw no latency: no series for it.
  ASSERT_EQ(latency.metric.size(), 3u);
  EXPECT_EQ(LabelsOf(latency.metric[0]), "device=vda,op=read");
  EXPECT_EQ(LabelsOf(latency.metric[1]), "device=vda,op=write");
  EXPECT_EQ(LabelsOf(latency.metric[2]), "device=nvme0n1p1,op=discard");

  // Bounds 2^8 .. 2^34 ns by factors of 4, then +Inf.
  const auto& read = latency.metric[0].histogram;
  EXPECT_EQ(read.sample_count, 10u);
  EXPECT_DOUBLE_EQ(read.sample_sum, (4 * 700 + 6 * 1'500'000) / 1e9);
  ASSERT_EQ(read.bucket.size(), 15u);
  for (size_t i = 0; i < 14; ++i)
    EXPECT_DOUBLE_EQ(read.bucket[i].upper_bound, std::ldexp(1.0, 8 + 2 * static_cast<int>(i)) / 1e9) << i;
  EXPECT_TRUE(std::isinf(read.bucket[14].upper_bound));
  std::vector<uint64_t> counts;
  for (const auto& b : read.bucket) counts.push_back(b.cumulative_count);
  // Slot 9 (< 2^10 ns) is in le=2^10 ns and above; slot 20 (< 2^21) from le=2^22.
  EXPECT_THAT(counts, ElementsAre(0, 4, 4, 4, 4, 4, 4, 10, 10, 10, 10, 10, 10, 10, 10));
  for (size_t i = 1; i < read.bucket.size(); ++i)
    EXPECT_LE(read.bucket[i - 1].cumulative_count, read.bucket[i].cumulative_count);

  // The open-ended slot is only in +Inf.
  const auto& write = latency.metric[1].histogram;
  EXPECT_EQ(write.sample_count, 3u);
  EXPECT_DOUBLE_EQ(write.sample_sum, 120.0);
  EXPECT_EQ(write.bucket[13].cumulative_count, 0u);
  EXPECT_EQ(write.bucket[14].cumulative_count, 3u);

  // A call of 0-1 ns is in the first bucket.
  EXPECT_EQ(latency.metric[2].histogram.bucket[0].cumulative_count, 1u);
}

TEST(DiskioMetricsTest, CgroupBytesByPathAndOpWithPodLabels) {
  auto built = BuildDiskioFamilies(DiskSnapshot(), Devices, Names);
  const auto& cg = Family(built.families, "hostprobe_cgroup_disk_io_bytes_total");
  // Sorted by (sanitized) path; ids of one path summed; zero counts left out.
  EXPECT_THAT(
      CounterSeries(cg),
      ElementsAre(
          std::pair{"cgroup=/bad\xEF\xBF\xBD.slice,pod_uid=,container_id=,op=other", 7.0},
          std::pair{"cgroup=" + kPodPath + ",pod_uid=" + kUid + ",container_id=" + kId + ",op=write", 4096.0},
          std::pair{std::string("cgroup=/system.slice/db.service,pod_uid=,container_id=,op=read"), 1024.0},
          std::pair{std::string("cgroup=/system.slice/db.service,pod_uid=,container_id=,op=write"), 50.0}));
  EXPECT_THAT(built.unresolved_cgroups, ElementsAre(99u))
      << "an id without a name is handed back to be swept";
  EXPECT_TRUE(test::IsValidUtf8(test::Serialize(built.families)));
}

TEST(DiskioMetricsTest, MapFailuresByMap) {
  auto built = BuildDiskioFamilies(DiskSnapshot(), Devices, Names);
  EXPECT_THAT(CounterSeries(Family(built.families, "hostprobe_bpf_map_update_failures_total")),
              ElementsAre(std::pair{std::string("map=disk_stats"), 1.0},
                          std::pair{std::string("map=disk_cgroups"), 2.0},
                          std::pair{std::string("map=disk_inflight"), 3.0}));
}

TEST(DiskioMetricsTest, BiosByHowTheirCgroupWasFound) {
  auto built = BuildDiskioFamilies(DiskSnapshot(), Devices, Names);
  EXPECT_THAT(
      CounterSeries(Family(built.families, "hostprobe_cgroup_disk_io_bios_total")),
      ElementsAre(std::pair{std::string("source=blkcg"), 11.0}, std::pair{std::string("source=task"), 12.0}));
}

TEST(DiskioMetricsTest, EmptySnapshotStillDeclaresTheFamilies) {
  auto built = BuildDiskioFamilies(DiskioSnapshot{}, Devices, Names);
  ASSERT_EQ(built.families.size(), 6u);
  EXPECT_THAT(Family(built.families, "hostprobe_disk_io_bytes_total").metric, IsEmpty());
  EXPECT_THAT(Family(built.families, "hostprobe_cgroup_disk_io_bytes_total").metric, IsEmpty());
  EXPECT_EQ(Family(built.families, "hostprobe_bpf_map_update_failures_total").metric.size(), 3u);
  EXPECT_THAT(built.unresolved_cgroups, IsEmpty());
}

TEST(CgroupCpuMetricsTest, SecondsByCgroupWithPodLabels) {
  CgroupCpuSnapshot s;
  s.cgroups = {{10, 1'500'000'000}, {20, 250'000'000}, {99, 5}, {11, 500'000'000}, {30, 1}, {40, 0}};
  s.self_stats[HP_CPU_STAT_CGROUP_MAP_FULL] = 4;
  auto built = BuildCgroupCpuFamilies(s, Names);
  ASSERT_EQ(built.families.size(), 2u);
  const auto& cpu = built.families[0];
  EXPECT_EQ(cpu.name, "hostprobe_cgroup_cpu_seconds_total");
  EXPECT_EQ(cpu.type, MetricType::Counter);
  EXPECT_FALSE(cpu.help.empty());
  // Every named cgroup, zero included (it was on a CPU, for less than a tick of the clock).
  EXPECT_THAT(
      CounterSeries(cpu),
      ElementsAre(std::pair{std::string("cgroup=/,pod_uid=,container_id="), 0.0},
                  std::pair{std::string("cgroup=/bad\xEF\xBF\xBD.slice,pod_uid=,container_id="), 1e-9},
                  std::pair{"cgroup=" + kPodPath + ",pod_uid=" + kUid + ",container_id=" + kId, 0.25},
                  std::pair{std::string("cgroup=/system.slice/db.service,pod_uid=,container_id="), 2.0}));
  EXPECT_THAT(built.unresolved_cgroups, ElementsAre(99u));
  const auto& failures = built.families[1];
  EXPECT_EQ(failures.name, "hostprobe_bpf_map_update_failures_total");
  EXPECT_EQ(failures.type, MetricType::Counter);
  EXPECT_THAT(CounterSeries(failures), ElementsAre(std::pair{std::string("map=cgroup_cpu"), 4.0}));
}

TEST(CgroupCpuMetricsTest, UnresolvedIdsAreAllHandedBack) {
  CgroupCpuSnapshot s;
  s.cgroups = {{97, 1}, {98, 2}};
  auto built = BuildCgroupCpuFamilies(s, [](uint64_t) { return std::optional<std::string>(); });
  EXPECT_THAT(built.unresolved_cgroups, UnorderedElementsAre(97u, 98u));
  EXPECT_THAT(built.families[0].metric, IsEmpty());
}

}  // namespace
}  // namespace hostprobe
