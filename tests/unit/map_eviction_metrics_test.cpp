#include "exporters/prometheus/map_eviction_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/map_evictions.h"
#include "exposition_util.h"

namespace hostprobe {
namespace {

using test::Lines;
using test::Serialize;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr const char* kFamily = "hostprobe_bpf_map_evictions_total";

std::vector<std::string> Samples(const std::vector<prometheus::MetricFamily>& families) {
  std::vector<std::string> out;
  for (const std::string& line : Lines(Serialize(families)))
    if (line.rfind(std::string(kFamily) + "{", 0) == 0) out.push_back(line);
  return out;
}

TEST(EvictionMapLabelTest, UsesTheUpdateFailureLabelsOfTheSameMaps) {
  EXPECT_EQ(EvictionMapLabel("inflight_lru"), "syscall_inflight");
  EXPECT_EQ(EvictionMapLabel("rq_start"), "disk_inflight");
  EXPECT_EQ(EvictionMapLabel("exits_seen"), "exits_seen");
  EXPECT_EQ(EvictionMapLabel("process_memory"), "process_memory");
  EXPECT_EQ(EvictionMapLabel("probe_inflight"), "probe_inflight");
  // A map without a label of its own keeps its kernel name.
  EXPECT_EQ(EvictionMapLabel("some_new_lru"), "some_new_lru");
}

TEST(MapEvictionFamiliesTest, OneCounterPerMapInLabelOrder) {
  MapEvictionsSnapshot snap;
  snap.counting = true;
  snap.maps = {{"syscall_inflight", 0}, {"disk_inflight", 7}, {"exits_seen", 123456789012}};
  auto families = BuildMapEvictionFamilies(snap);
  ASSERT_EQ(families.size(), 1u);
  EXPECT_EQ(families[0].type, prometheus::MetricType::Counter);
  EXPECT_THAT(Samples(families),
              ElementsAre(R"(hostprobe_bpf_map_evictions_total{map="disk_inflight"} 7)",
                          R"(hostprobe_bpf_map_evictions_total{map="exits_seen"} 123456789012)",
                          R"(hostprobe_bpf_map_evictions_total{map="syscall_inflight"} 0)"));
  EXPECT_THAT(Lines(Serialize(families)),
              ::testing::Contains("# TYPE hostprobe_bpf_map_evictions_total counter"));
}

TEST(MapEvictionFamiliesTest, MapsSharingALabelAreSummed) {
  MapEvictionsSnapshot snap;
  snap.counting = true;
  snap.maps = {{"probe_inflight", 3}, {"process_memory", 1}, {"probe_inflight", 4}};
  EXPECT_THAT(Samples(BuildMapEvictionFamilies(snap)),
              ElementsAre(R"(hostprobe_bpf_map_evictions_total{map="probe_inflight"} 7)",
                          R"(hostprobe_bpf_map_evictions_total{map="process_memory"} 1)"));
}

TEST(MapEvictionFamiliesTest, AbsentWhenTheProgramIsNotAttached) {
  MapEvictionsSnapshot snap;
  snap.counting = false;
  snap.maps = {{"exits_seen", 5}};
  EXPECT_THAT(BuildMapEvictionFamilies(snap), IsEmpty());
}

TEST(MapEvictionFamiliesTest, AttachedWithNoMapsGivesAnEmptyFamily) {
  MapEvictionsSnapshot snap;
  snap.counting = true;
  auto families = BuildMapEvictionFamilies(snap);
  ASSERT_EQ(families.size(), 1u);
  EXPECT_THAT(families[0].metric, IsEmpty());
}

class FakeSource : public MapEvictionsSource {
 public:
  Result<MapEvictionsSnapshot> ReadMapEvictions() override {
    if (fail) return Error{"read per-CPU counters", EIO};
    return snap;
  }
  bool fail = false;
  MapEvictionsSnapshot snap;
};

TEST(MapEvictionMetricsTest, AReadFailureIsCountedAndTheFamilyLeftOut) {
  FakeSource source;
  source.snap.counting = true;
  source.snap.maps = {{"exits_seen", 2}};
  MapEvictionMetrics metrics(source);
  EXPECT_THAT(Samples(metrics.Collect()),
              ElementsAre(R"(hostprobe_bpf_map_evictions_total{map="exits_seen"} 2)"));
  source.fail = true;
  auto failed = Lines(Serialize(metrics.Collect()));
  EXPECT_THAT(failed,
              ::testing::Contains(R"(hostprobe_collector_read_errors_total{collector="map_evictions"} 1)"));
  EXPECT_THAT(Samples(metrics.Collect()), IsEmpty());
}

TEST(MapEvictionMetricsTest, NotCountingExportsNothing) {
  FakeSource source;
  MapEvictionMetrics metrics(source);
  EXPECT_THAT(metrics.Collect(), IsEmpty());
}

}  // namespace
}  // namespace hostprobe
