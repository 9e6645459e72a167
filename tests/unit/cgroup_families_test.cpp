// The shared path of the per-cgroup exporters: naming and summing by cgroup
// (cgroup_families.h) and read → build → sweep → forget (snapshot_collect.h).
#include "exporters/prometheus/cgroup_families.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "exporters/prometheus/snapshot_collect.h"
#include "exposition_util.h"
#include "temp_dir.h"

namespace hostprobe {
namespace {

using test::Lines;
using test::Serialize;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

struct Row {
  uint64_t cgroup_id;
  uint64_t n;
};

CgroupNameFn Namer(std::map<uint64_t, std::string> names, int* calls = nullptr) {
  return [names = std::move(names), calls](uint64_t id) -> std::optional<std::string> {
    if (calls != nullptr) ++*calls;
    auto it = names.find(id);
    if (it == names.end()) return std::nullopt;
    return it->second;
  };
}

TEST(CgroupPathsTest, AsksOnceAndListsEachUnknownIdOnce) {
  int calls = 0;
  const CgroupNameFn name = Namer({{1, "/a"}}, &calls);
  CgroupPaths paths(name);
  for (int i = 0; i < 3; ++i) {
    ASSERT_NE(paths.Of(1), nullptr);
    EXPECT_EQ(*paths.Of(1), "/a");
    EXPECT_EQ(paths.Of(9), nullptr);
    EXPECT_EQ(paths.Of(8), nullptr);
  }
  EXPECT_EQ(calls, 3);
  EXPECT_THAT(paths.TakeUnresolved(), ElementsAre(9u, 8u));
}

TEST(CgroupPathsTest, PathIsALabelValue) {
  const CgroupNameFn name = Namer({{1, std::string("/a\0b\xff", 5)}});
  CgroupPaths paths(name);
  ASSERT_NE(paths.Of(1), nullptr);
  EXPECT_EQ(*paths.Of(1), "/ab\xEF\xBF\xBD");
}

TEST(SumByCgroupTest, IdsSharingALabelValueAreSummedAndUnknownOnesLeftOut) {
  // 1 and 2 differ only in a byte the sanitizer drops.
  const CgroupNameFn name = Namer({{1, "/a"}, {2, std::string("/a\0", 3)}, {3, "/b"}});
  CgroupPaths paths(name);
  const std::vector<Row> rows = {{1, 10}, {2, 5}, {3, 1}, {7, 100}, {7, 100}};
  auto sums = SumByCgroupPath<uint64_t>(rows, paths, [](uint64_t& s, const Row& r) { s += r.n; });
  EXPECT_THAT(sums, ElementsAre(Pair("/a", 15u), Pair("/b", 1u)));
  EXPECT_THAT(paths.TakeUnresolved(), ElementsAre(7u));
}

TEST(SumByCgroupTest, KeyOfCombinesThePathWithTheRow) {
  const CgroupNameFn name = Namer({{1, "/a"}, {2, "/b"}});
  CgroupPaths paths(name);
  const std::vector<Row> rows = {{1, 1}, {1, 1}, {2, 2}};
  auto counts = SumByCgroup<int>(
      rows, paths, [](const std::string& path, const Row& r) { return std::pair(r.n, path); },
      [](int& count, const Row&) { ++count; });
  EXPECT_THAT(counts, ElementsAre(Pair(Pair(1u, "/a"), 2), Pair(Pair(2u, "/b"), 1)));
}

struct Snapshot {
  std::vector<Row> rows;
};

// A source whose rows count by cgroup id, and the families built from it.
struct FakeSource {
  Result<Snapshot> Read() {
    ++reads;
    if (fail) return Error{"read failed", 0};
    return snapshot;
  }
  Snapshot snapshot;
  bool fail = false;
  int reads = 0;
  std::vector<std::vector<uint64_t>> forgotten;
};

CgroupFamilies Build(const Snapshot& snap, const CgroupNameFn& name) {
  CgroupFamilies out;
  auto f = MakeFamily("test_total", "Rows by cgroup.", prometheus::MetricType::Counter);
  CgroupPaths paths(name);
  for (const auto& [path, n] :
       SumByCgroupPath<uint64_t>(snap.rows, paths, [](uint64_t&s, const Row&r) { s += r.n; }))
    AddCgroupCounter(f, path, {}, static_cast<double>(n));
  out.families.push_back(std::move(f));
  out.unresolved_cgroups = paths.TakeUnresolved();
  return out;
}

class CgroupCollectTest : public ::testing::Test {
 protected:
  CgroupCollectTest() : old_level_(spdlog::get_level()) {
    spdlog::set_level(spdlog::level::off);
    root_id_ = test_util::InodeOf(tmp_.path());
    gone_id_ = root_id_ + 1'000'000'007;  // not a directory of the empty tree
  }
  ~CgroupCollectTest() override { spdlog::set_level(old_level_); }

  std::vector<prometheus::MetricFamily> Collect() {
    return collect_.Collect([&] { return source_.Read(); }, Build,
                            [&](const std::vector<uint64_t>& gone) { source_.forgotten.push_back(gone); });
  }

  test_util::TempDir tmp_;
  spdlog::level::level_enum old_level_;
  uint64_t root_id_ = 0, gone_id_ = 0;
  FakeSource source_;
  // min_rescan 0: every miss walks the tree again.
  CgroupResolver resolver_{tmp_.path(), std::chrono::milliseconds(0)};
  CgroupCollect collect_{"test", resolver_};
};

TEST_F(CgroupCollectTest, FamiliesThenReadErrors) {
  source_.snapshot.rows = {{root_id_, 3}};
  auto families = Collect();
  ASSERT_EQ(families.size(), 2u);
  EXPECT_EQ(families[0].name, "test_total");
  EXPECT_EQ(families[1].name, "hostprobe_collector_read_errors_total");
  auto lines = Lines(Serialize(families));
  EXPECT_THAT(lines, Contains(R"(test_total{cgroup="/",pod_uid="",container_id=""} 3)"));
  EXPECT_THAT(lines, Contains(R"(hostprobe_collector_read_errors_total{collector="test"} 0)"));
}

TEST_F(CgroupCollectTest, AFailedReadGivesTheCountAlone) {
  source_.fail = true;
  auto failed = Collect();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_THAT(Lines(Serialize(failed)),
              Contains(R"(hostprobe_collector_read_errors_total{collector="test"} 1)"));
  Collect();
  source_.fail = false;
  EXPECT_THAT(Lines(Serialize(Collect())),
              Contains(R"(hostprobe_collector_read_errors_total{collector="test"} 2)"));
  EXPECT_EQ(source_.reads, 3);
}

TEST_F(CgroupCollectTest, AnIdUnnamedAfterAFreshWalkIsForgottenOnce) {
  source_.snapshot.rows = {{root_id_, 1}, {gone_id_, 2}, {gone_id_, 2}};
  Collect();
  EXPECT_THAT(source_.forgotten, IsEmpty()) << "forgotten after a single miss";
  Collect();
  EXPECT_THAT(source_.forgotten, ElementsAre(ElementsAre(gone_id_)));
}

TEST(CollectSnapshotTest, AppendsTheReadErrorsFamily) {
  ReadErrors errors("plain");
  auto build = [](const Snapshot& snap) {
    std::vector<prometheus::MetricFamily> out;
    out.push_back(MakeFamily("rows", "Rows.", prometheus::MetricType::Gauge));
    AddGauge(out.back(), {}, static_cast<double>(snap.rows.size()));
    return out;
  };
  const Result<Snapshot> ok(Snapshot{{{1, 1}}});
  EXPECT_EQ(CollectSnapshot(errors, ok, build).size(), 2u);

  const Result<Snapshot> failed_read(Error{"no", 0});
  spdlog::level::level_enum old = spdlog::get_level();
  spdlog::set_level(spdlog::level::off);
  auto failed = CollectSnapshot(errors, failed_read, build);
  spdlog::set_level(old);
  ASSERT_EQ(failed.size(), 1u);
  errors.Count();
  EXPECT_THAT(Lines(Serialize({errors.Family()})),
              Contains(R"(hostprobe_collector_read_errors_total{collector="plain"} 2)"));
}

}  // namespace
}  // namespace hostprobe
