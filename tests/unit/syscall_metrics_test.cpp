#include "exporters/prometheus/syscall_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "exporters/prometheus/http_server.h"
#include "exposition_util.h"
#include "temp_dir.h"

namespace hostprobe {
namespace {

using test::IsValidUtf8;
using test::Lines;
using test::Serialize;

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

constexpr uint32_t kGetppid = 110;
constexpr uint32_t kOpenat = 257;
constexpr uint32_t kExitGroup = 231;
constexpr uint32_t kUnknown = 500;  // below the compat slots, no x86_64 name

// Checks the text format line by line: comments, or `name{labels} value`
// with properly escaped label values; and that no series appears twice.
void ExpectWellFormedExposition(const std::string& text) {
  ASSERT_TRUE(IsValidUtf8(text));
  ASSERT_FALSE(text.empty());
  ASSERT_EQ(text.back(), '\n');
  static const std::regex kComment(R"(^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*$)");
  static const std::regex kSample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\[\\"n]|[^"\\])*",?)*\})?) (\S+)$)");
  std::set<std::string> series;
  for (const std::string& line : Lines(text)) {
    std::smatch m;
    if (std::regex_match(line, kComment)) continue;
    ASSERT_TRUE(std::regex_match(line, m, kSample)) << "malformed line: " << line;
    EXPECT_TRUE(series.insert(m[1].str()).second) << "duplicate series: " << m[1].str();
  }
}

// Samples of exactly `metric` ("x" does not match "x_count"), as
// label set -> value.
std::map<std::string, double> Samples(const std::string& text, const std::string& metric) {
  std::map<std::string, double> out;
  for (const std::string& line : Lines(text)) {
    if (line.rfind(metric, 0) != 0) continue;
    std::string rest = line.substr(metric.size());
    if (rest.empty() || (rest[0] != '{' && rest[0] != ' ')) continue;
    size_t space = rest.rfind(' ');
    out[rest.substr(0, space)] = std::stod(rest.substr(space + 1));
  }
  return out;
}

const prometheus::MetricFamily* FindFamily(const std::vector<prometheus::MetricFamily>& fams,
                                           const std::string& name) {
  for (const auto& f : fams)
    if (f.name == name) return &f;
  return nullptr;
}

SyscallCounts Syscall(uint32_t id, uint64_t calls, std::map<size_t, uint64_t> slots, uint64_t sum_ns) {
  SyscallCounts sc;
  sc.id = id;
  sc.calls = calls;
  sc.latency_sum_ns = sum_ns;
  for (auto [slot, count] : slots) sc.latency_slots[slot] = count;
  return sc;
}

class BuildSyscallFamiliesTest : public ::testing::Test {
 protected:
  BuildSyscallFamiliesTest() : table_(Arch::kX86_64) {
    // getppid: 20000 calls, 15000 in [512ns, 1us), 5000 in [4us, 8us).
    snap_.syscalls.push_back(Syscall(kGetppid, 20000, {{9, 15000}, {12, 5000}}, 30'000'000));
    auto openat = Syscall(kOpenat, 5000, {{11, 4000}, {20, 999}, {HP_LATENCY_SLOTS - 1, 1}}, 9'000'000'000);
    openat.errors = 3005;
    snap_.syscalls.push_back(openat);
    snap_.syscalls.push_back(Syscall(kExitGroup, 7, {}, 0));
    snap_.syscalls.push_back(Syscall(kUnknown, 4, {{10, 4}}, 4000));
    snap_.syscalls.push_back(Syscall(kSyscallOutOfRangeSlot, 2, {{10, 2}}, 2000));

    snap_.errnos.push_back({kOpenat, 2, 3000});
    snap_.errnos.push_back({kOpenat, 13, 5});
    snap_.errnos.push_back({kUnknown, 22, 1});
    snap_.errnos.push_back({kSyscallOutOfRangeSlot, 38, 2});
    snap_.errnos.push_back({kGetppid, 4000, 6});

    snap_.cgroups.push_back({1, 100, 1});   // root
    snap_.cgroups.push_back({100, 50, 2});  // /system.slice/x.service
    snap_.cgroups.push_back({200, 10, 3});  // /kubepods.slice/pod-a (old id)
    snap_.cgroups.push_back({201, 20, 4});  // /kubepods.slice/pod-a (new id)
    snap_.cgroups.push_back({300, 99, 9});  // unresolved
    snap_.cgroups.push_back({301, 98, 8});  // unresolved

    snap_.self_stats[HP_STAT_ERRNO_MAP_FULL] = 11;
    snap_.self_stats[HP_STAT_CGROUP_MAP_FULL] = 12;
    snap_.self_stats[HP_STAT_INFLIGHT_FAILED] = 13;
    snap_.self_stats[HP_STAT_ID_OUT_OF_RANGE] = 14;

    names_ = {{1, "/"},
              {100, "/system.slice/x.service"},
              {200, "/kubepods.slice/pod-a"},
              {201, "/kubepods.slice/pod-a"}};
  }

  SyscallFamilies Build() {
    return BuildSyscallFamilies(snap_, table_, [this](uint64_t id) -> std::optional<std::string> {
      auto it = names_.find(id);
      if (it == names_.end()) return std::nullopt;
      return it->second;
    });
  }

  std::string Text() { return Serialize(Build().families); }

  SyscallTable table_;
  SyscallSnapshot snap_;
  std::unordered_map<uint64_t, std::string> names_;
};

TEST_F(BuildSyscallFamiliesTest, ExpositionIsWellFormed) { ExpectWellFormedExposition(Text()); }

TEST_F(BuildSyscallFamiliesTest, CallCounters) {
  auto lines = Lines(Text());
  EXPECT_THAT(lines, Contains("# TYPE hostprobe_syscalls_total counter"));
  EXPECT_THAT(lines, Contains("hostprobe_syscalls_total{syscall=\"getppid\"} 20000"));
  EXPECT_THAT(lines, Contains("hostprobe_syscalls_total{syscall=\"openat\"} 5000"));
  EXPECT_THAT(lines, Contains("hostprobe_syscalls_total{syscall=\"exit_group\"} 7"));
  EXPECT_THAT(lines, Contains("hostprobe_syscalls_total{syscall=\"sys_500\"} 4"));
  EXPECT_THAT(lines, Contains("hostprobe_syscalls_total{syscall=\"out_of_range\"} 2"));
  EXPECT_THAT(lines, Not(Contains("hostprobe_syscalls_total{syscall=\"sys_1023\"} 2")));
  EXPECT_EQ(Samples(Text(), "hostprobe_syscalls_total").size(), 5u);
}

// A 32-bit compat call (int $0x80) is in a slot of its own, named from the
// i386 table: i386 getppid is 64, x86_64's semget.
TEST_F(BuildSyscallFamiliesTest, CompatCallsAreNamedFromTheI386Table) {
  snap_.syscalls.push_back(Syscall(kSyscallCompatSlotBase + 64, 300, {{9, 300}}, 300'000));
  snap_.syscalls.push_back(Syscall(kSyscallCompatSlotBase + 500, 1, {}, 0));
  snap_.errnos.push_back({kSyscallCompatSlotBase + 5, 2, 9});  // i386 open
  auto lines = Lines(Text());
  EXPECT_THAT(lines, Contains("hostprobe_syscalls_total{syscall=\"ia32_getppid\"} 300"));
  EXPECT_THAT(lines, Contains("hostprobe_syscalls_total{syscall=\"ia32_sys_500\"} 1"));
  EXPECT_THAT(lines, Contains("hostprobe_syscall_errors_total{syscall=\"ia32_open\",errno=\"ENOENT\"} 9"));
  EXPECT_THAT(lines, Contains("hostprobe_syscall_latency_seconds_count{syscall=\"ia32_getppid\"} 300"));
  for (const auto& line : lines) EXPECT_EQ(line.find("semget"), std::string::npos) << line;
}

TEST_F(BuildSyscallFamiliesTest, ErrorCounters) {
  auto lines = Lines(Text());
  EXPECT_THAT(lines, Contains("hostprobe_syscall_errors_total{syscall=\"openat\",errno=\"ENOENT\"} 3000"));
  EXPECT_THAT(lines, Contains("hostprobe_syscall_errors_total{syscall=\"openat\",errno=\"EACCES\"} 5"));
  EXPECT_THAT(lines, Contains("hostprobe_syscall_errors_total{syscall=\"sys_500\",errno=\"EINVAL\"} 1"));
  EXPECT_THAT(lines, Contains("hostprobe_syscall_errors_total{syscall=\"out_of_range\",errno=\"ENOSYS\"} 2"));
  EXPECT_THAT(lines, Contains("hostprobe_syscall_errors_total{syscall=\"getppid\",errno=\"errno_4000\"} 6"));
  EXPECT_EQ(Samples(Text(), "hostprobe_syscall_errors_total").size(), 5u);
}

TEST_F(BuildSyscallFamiliesTest, LatencyHistogram) {
  std::string text = Text();
  auto lines = Lines(text);
  EXPECT_THAT(lines, Contains("# TYPE hostprobe_syscall_latency_seconds histogram"));
  EXPECT_THAT(lines, Contains("hostprobe_syscall_latency_seconds_count{syscall=\"getppid\"} 20000"));

  auto sums = Samples(text, "hostprobe_syscall_latency_seconds_sum");
  ASSERT_EQ(sums.count("{syscall=\"getppid\"}"), 1u);
  EXPECT_DOUBLE_EQ(sums["{syscall=\"getppid\"}"], 0.03);
  EXPECT_DOUBLE_EQ(sums["{syscall=\"openat\"}"], 9.0);

  // Buckets of getppid, in exposition order.
  static const std::regex kBucket(
      R"re(^hostprobe_syscall_latency_seconds_bucket\{syscall="getppid",le="([^"]+)"\} (\S+)$)re");
  std::vector<std::pair<double, double>> buckets;
  bool inf_seen = false;
  for (const std::string& line : lines) {
    std::smatch m;
    if (!std::regex_match(line, m, kBucket)) continue;
    if (m[1] == "+Inf") {
      inf_seen = true;
      EXPECT_EQ(m[2], "20000");
      buckets.emplace_back(std::numeric_limits<double>::infinity(), std::stod(m[2]));
    } else {
      buckets.emplace_back(std::stod(m[1]), std::stod(m[2]));
    }
  }
  EXPECT_TRUE(inf_seen);
  ASSERT_EQ(buckets.size(), 15u);  // 14 finite + +Inf
  for (size_t i = 1; i < buckets.size(); ++i) {
    EXPECT_LT(buckets[i - 1].first, buckets[i].first);
    EXPECT_LE(buckets[i - 1].second, buckets[i].second);
  }
  EXPECT_DOUBLE_EQ(buckets[0].first, 256e-9);
  // Slot 9 ([512ns, 1us)) first fits under 2^10 ns; slot 12 under 2^14 ns.
  EXPECT_EQ(buckets[0].second, 0);      // le 256ns
  EXPECT_EQ(buckets[1].second, 15000);  // le 1024ns
  EXPECT_EQ(buckets[2].second, 15000);  // le 4096ns
  EXPECT_EQ(buckets[3].second, 20000);  // le 16384ns
  EXPECT_EQ(buckets[13].second, 20000);

  // openat's open-ended slot is only in +Inf.
  EXPECT_THAT(lines,
              Contains("hostprobe_syscall_latency_seconds_bucket{syscall=\"openat\",le=\"+Inf\"} 5000"));
  EXPECT_THAT(lines, Contains("hostprobe_syscall_latency_seconds_count{syscall=\"openat\"} 5000"));
  auto openat_last = std::find_if(lines.begin(), lines.end(), [](const std::string& l) {
    return l.rfind("hostprobe_syscall_latency_seconds_bucket{syscall=\"openat\",le=\"17.1", 0) == 0;
  });
  ASSERT_NE(openat_last, lines.end());
  EXPECT_EQ(openat_last->substr(openat_last->rfind(' ') + 1), "4999");

  // Unknown and out-of-range ids have histograms under their labels too.
  EXPECT_THAT(lines, Contains("hostprobe_syscall_latency_seconds_count{syscall=\"sys_500\"} 4"));
  EXPECT_THAT(lines, Contains("hostprobe_syscall_latency_seconds_count{syscall=\"out_of_range\"} 2"));
}

TEST_F(BuildSyscallFamiliesTest, CallsWithoutLatencyHaveNoHistogram) {
  std::string text = Text();
  EXPECT_THAT(Lines(text), Contains("hostprobe_syscalls_total{syscall=\"exit_group\"} 7"));
  EXPECT_EQ(text.find("hostprobe_syscall_latency_seconds_count{syscall=\"exit_group\"}"), std::string::npos);
  EXPECT_EQ(text.find("hostprobe_syscall_latency_seconds_bucket{syscall=\"exit_group\""), std::string::npos);
  auto fams = Build().families;
  const auto* latency = FindFamily(fams, "hostprobe_syscall_latency_seconds");
  ASSERT_NE(latency, nullptr);
  EXPECT_EQ(latency->metric.size(), 4u);  // getppid, openat, sys_500, out_of_range
}

TEST_F(BuildSyscallFamiliesTest, CgroupSeries) {
  auto lines = Lines(Text());
  EXPECT_THAT(lines,
              Contains("hostprobe_cgroup_syscalls_total{cgroup=\"/\",pod_uid=\"\",container_id=\"\"} 100"));
  EXPECT_THAT(
      lines,
      Contains("hostprobe_cgroup_syscall_errors_total{cgroup=\"/\",pod_uid=\"\",container_id=\"\"} 1"));
  EXPECT_THAT(lines, Contains("hostprobe_cgroup_syscalls_total{cgroup=\"/system.slice/"
                              "x.service\",pod_uid=\"\",container_id=\"\"} 50"));
  EXPECT_THAT(lines, Contains("hostprobe_cgroup_syscall_errors_total{cgroup=\"/system.slice/"
                              "x.service\",pod_uid=\"\",container_id=\"\"} 2"));
}

TEST_F(BuildSyscallFamiliesTest, IdsSharingAPathAreSummed) {
  std::string text = Text();
  auto lines = Lines(text);
  EXPECT_THAT(lines, Contains("hostprobe_cgroup_syscalls_total{cgroup=\"/kubepods.slice/"
                              "pod-a\",pod_uid=\"\",container_id=\"\"} 30"));
  EXPECT_THAT(lines, Contains("hostprobe_cgroup_syscall_errors_total{cgroup=\"/kubepods.slice/"
                              "pod-a\",pod_uid=\"\",container_id=\"\"} 7"));
  EXPECT_EQ(Samples(text, "hostprobe_cgroup_syscalls_total").size(), 3u);
  EXPECT_EQ(Samples(text, "hostprobe_cgroup_syscall_errors_total").size(), 3u);
}

TEST_F(BuildSyscallFamiliesTest, UnresolvedCgroupsListedNotExported) {
  SyscallFamilies built = Build();
  EXPECT_THAT(built.unresolved_cgroups, UnorderedElementsAre(300u, 301u));
  std::string text = Serialize(built.families);
  EXPECT_EQ(text.find("} 99\n"), std::string::npos);
  EXPECT_EQ(text.find("} 98\n"), std::string::npos);
  double total = 0;
  for (auto& [labels, v] : Samples(text, "hostprobe_cgroup_syscalls_total")) total += v;
  EXPECT_EQ(total, 180);  // 100 + 50 + 30; the unresolved 99 and 98 are left out
}

TEST_F(BuildSyscallFamiliesTest, SelfStats) {
  auto lines = Lines(Text());
  EXPECT_THAT(lines, Contains("# TYPE hostprobe_bpf_map_update_failures_total counter"));
  EXPECT_THAT(lines, Contains("hostprobe_bpf_map_update_failures_total{map=\"syscall_errnos\"} 11"));
  EXPECT_THAT(lines, Contains("hostprobe_bpf_map_update_failures_total{map=\"cgroup_syscalls\"} 12"));
  EXPECT_THAT(lines, Contains("hostprobe_bpf_map_update_failures_total{map=\"syscall_inflight\"} 13"));
  EXPECT_THAT(lines, Contains("hostprobe_syscall_ids_out_of_range_total 14"));
}

TEST_F(BuildSyscallFamiliesTest, LatencyWindowsOnlyWhenSampling) {
  std::string text = Text();
  EXPECT_TRUE(Samples(text, "hostprobe_syscall_latency_sampled_seconds_total").empty());
  EXPECT_TRUE(Samples(text, "hostprobe_syscall_latency_windows_total").empty());

  snap_.latency_windows = {true, 1.25, 61, 2};
  text = Text();
  ExpectWellFormedExposition(text);
  auto lines = Lines(text);
  EXPECT_THAT(lines, Contains("# TYPE hostprobe_syscall_latency_sampled_seconds_total counter"));
  EXPECT_THAT(lines, Contains("hostprobe_syscall_latency_sampled_seconds_total 1.25"));
  EXPECT_THAT(lines, Contains("hostprobe_syscall_latency_windows_total{result=\"ok\"} 61"));
  EXPECT_THAT(lines, Contains("hostprobe_syscall_latency_windows_total{result=\"attach_failed\"} 2"));
}

TEST_F(BuildSyscallFamiliesTest, EmptySnapshot) {
  SyscallSnapshot empty;
  SyscallFamilies built = BuildSyscallFamilies(empty, table_, [](uint64_t) { return std::nullopt; });
  EXPECT_THAT(built.unresolved_cgroups, IsEmpty());
  std::string text = Serialize(built.families);
  ExpectWellFormedExposition(text);
  auto lines = Lines(text);
  EXPECT_THAT(lines, Contains("hostprobe_bpf_map_update_failures_total{map=\"syscall_errnos\"} 0"));
  EXPECT_THAT(lines, Contains("hostprobe_syscall_ids_out_of_range_total 0"));
  EXPECT_TRUE(Samples(text, "hostprobe_syscalls_total").empty());
}

TEST_F(BuildSyscallFamiliesTest, HostileCgroupPathIsEscaped) {
  snap_.cgroups = {{400, 9, 1}};
  names_[400] = std::string("/evil\"quote\\back\nnew\xFFline");
  std::string text = Text();
  ExpectWellFormedExposition(text);
  const std::string kEscaped =
      "/evil\\\"quote\\\\back\\nnew\xEF\xBF\xBD"
      "line";
  auto lines = Lines(text);
  EXPECT_THAT(lines, Contains("hostprobe_cgroup_syscalls_total{cgroup=\"" + kEscaped +
                              "\",pod_uid=\"\",container_id=\"\"} 9"));
  EXPECT_THAT(lines, Contains("hostprobe_cgroup_syscall_errors_total{cgroup=\"" + kEscaped +
                              "\",pod_uid=\"\",container_id=\"\"} 1"));
  int mentions = 0;
  for (const auto& l : lines) mentions += l.find("evil") != std::string::npos;
  EXPECT_EQ(mentions, 2);  // one line per family, the newline did not split it
}

TEST_F(BuildSyscallFamiliesTest, NulInCgroupPathIsDropped) {
  snap_.cgroups = {{400, 9, 1}};
  names_[400] = std::string("/a\0b", 4);
  EXPECT_THAT(Lines(Text()),
              Contains("hostprobe_cgroup_syscalls_total{cgroup=\"/ab\",pod_uid=\"\",container_id=\"\"} 9"));
}

// Paths that differ only in bytes the sanitizer replaces or drops become the
// same label value; they must still give one series, not two identical ones.
TEST_F(BuildSyscallFamiliesTest, PathsEqualAfterSanitizingGiveOneSeries) {
  snap_.cgroups = {{400, 9, 1}, {401, 5, 2}, {402, 3, 0}, {403, 4, 1}};
  names_[400] = "/pod\xFF";
  names_[401] = "/pod\xFE";
  names_[402] = std::string("/a\0b", 4);
  names_[403] = "/ab";
  std::string text = Text();
  ExpectWellFormedExposition(text);
  auto calls = Samples(text, "hostprobe_cgroup_syscalls_total");
  EXPECT_EQ(calls.size(), 2u) << text;
}

TEST(MergeFamiliesTest, SameNameMergedInOrderOfFirstAppearance) {
  auto family = [](std::string name, std::string help, std::vector<double> values) {
    prometheus::MetricFamily f;
    f.name = std::move(name);
    f.help = std::move(help);
    f.type = prometheus::MetricType::Counter;
    for (double v : values) {
      prometheus::ClientMetric m;
      m.label.push_back({"v", std::to_string(static_cast<int>(v))});
      m.counter.value = v;
      f.metric.push_back(m);
    }
    return f;
  };
  std::vector<prometheus::MetricFamily> in;
  in.push_back(family("b_total", "first b", {1}));
  in.push_back(family("a_total", "only a", {2}));
  in.push_back(family("b_total", "second b", {3, 4}));
  in.push_back(family("c_total", "only c", {}));
  in.push_back(family("a_total", "second a", {5}));
  auto out = MergeFamilies(std::move(in));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].name, "b_total");
  EXPECT_EQ(out[1].name, "a_total");
  EXPECT_EQ(out[2].name, "c_total");
  EXPECT_EQ(out[0].help, "first b");
  EXPECT_EQ(out[1].help, "only a");
  auto values = [](const prometheus::MetricFamily& f) {
    std::vector<double> v;
    for (const auto& m : f.metric) v.push_back(m.counter.value);
    return v;
  };
  EXPECT_THAT(values(out[0]), ElementsAre(1, 3, 4));
  EXPECT_THAT(values(out[1]), ElementsAre(2, 5));
  EXPECT_THAT(values(out[2]), IsEmpty());

  std::string text = Serialize(out);
  size_t help_b = 0;
  for (const auto& l : Lines(text)) help_b += l.rfind("# HELP b_total", 0) == 0;
  EXPECT_EQ(help_b, 1u);
}

TEST(MergeFamiliesTest, EmptyAndDistinct) {
  EXPECT_TRUE(MergeFamilies({}).empty());
  std::vector<prometheus::MetricFamily> in(2);
  in[0].name = "x";
  in[1].name = "y";
  auto out = MergeFamilies(in);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].name, "x");
  EXPECT_EQ(out[1].name, "y");
}

// ---- SyscallMetrics with a fake source -----------------------------------------

class FakeSource : public SyscallSource {
 public:
  Result<SyscallSnapshot> ReadSyscalls() override {
    ++reads;
    if (fail) return Error{"read syscall_stats: injected failure", EIO};
    return snapshot;
  }
  // Like the kernel map: forgotten cgroups stop being reported.
  void ForgetCgroups(const std::vector<uint64_t>& ids) override {
    std::vector<uint64_t> sorted = ids;
    std::sort(sorted.begin(), sorted.end());
    forgotten.push_back(sorted);
    std::erase_if(snapshot.cgroups, [&](const CgroupSyscallCounts& c) {
      return std::find(ids.begin(), ids.end(), c.cgroup_id) != ids.end();
    });
  }

  SyscallSnapshot snapshot;
  bool fail = false;
  int reads = 0;
  std::vector<std::vector<uint64_t>> forgotten;
};

class SyscallMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    old_level_ = spdlog::get_level();
    spdlog::set_level(spdlog::level::off);  // the injected read errors are expected
    ASSERT_FALSE(tmp_.path().empty());
    root_id_ = test_util::InodeOf(tmp_.path());
    // Ids that cannot be directory inodes in the empty temp dir.
    gone_a_ = root_id_ + 1'000'000'007;
    gone_b_ = root_id_ + 2'000'000'011;
    source_.snapshot.syscalls.push_back(Syscall(kGetppid, 20000, {{9, 20000}}, 1000));
  }
  void TearDown() override { spdlog::set_level(old_level_); }

  std::string CollectText() { return Serialize(metrics_.Collect()); }

  test_util::TempDir tmp_;
  spdlog::level::level_enum old_level_{};
  uint64_t root_id_ = 0, gone_a_ = 0, gone_b_ = 0;
  FakeSource source_;
  SyscallTable table_{Arch::kX86_64};
  // min_rescan 0: every miss walks the (empty) tree, so each scrape is also
  // a fresh look at which cgroups exist.
  CgroupResolver resolver_{tmp_.path(), std::chrono::milliseconds(0)};
  SyscallMetrics metrics_{source_, table_, resolver_};
};

TEST_F(SyscallMetricsTest, CollectReturnsTheFamilies) {
  source_.snapshot.cgroups = {{root_id_, 42, 1}};
  std::string text = CollectText();
  ExpectWellFormedExposition(text);
  auto lines = Lines(text);
  EXPECT_THAT(lines, Contains("hostprobe_syscalls_total{syscall=\"getppid\"} 20000"));
  EXPECT_THAT(lines, Contains("hostprobe_syscall_latency_seconds_count{syscall=\"getppid\"} 20000"));
  EXPECT_THAT(lines,
              Contains("hostprobe_cgroup_syscalls_total{cgroup=\"/\",pod_uid=\"\",container_id=\"\"} 42"));
  EXPECT_THAT(lines, Contains("hostprobe_collector_read_errors_total{collector=\"syscalls\"} 0"));
  EXPECT_EQ(source_.reads, 1);
  EXPECT_THAT(source_.forgotten, IsEmpty());
}

TEST_F(SyscallMetricsTest, CgroupUnresolvedTwiceInARowIsForgotten) {
  source_.snapshot.cgroups = {{root_id_, 1, 0}, {gone_a_, 2, 0}, {gone_b_, 3, 0}};
  metrics_.Collect();
  EXPECT_THAT(source_.forgotten, IsEmpty()) << "forgotten after a single miss";

  std::string text = CollectText();
  ASSERT_EQ(source_.forgotten.size(), 1u);
  EXPECT_THAT(source_.forgotten[0], ElementsAre(std::min(gone_a_, gone_b_), std::max(gone_a_, gone_b_)));
  EXPECT_THAT(Lines(text),
              Contains("hostprobe_cgroup_syscalls_total{cgroup=\"/\",pod_uid=\"\",container_id=\"\"} 1"));

  // Once forgotten they are not reported again, and nothing more is dropped.
  metrics_.Collect();
  metrics_.Collect();
  EXPECT_EQ(source_.forgotten.size(), 1u);
}

TEST_F(SyscallMetricsTest, MissesMustBeConsecutive) {
  const CgroupSyscallCounts root{root_id_, 1, 0}, gone{gone_a_, 2, 0};
  source_.snapshot.cgroups = {root, gone};
  metrics_.Collect();  // miss 1
  source_.snapshot.cgroups = {root};
  metrics_.Collect();  // not reported
  source_.snapshot.cgroups = {root, gone};
  metrics_.Collect();  // miss 1 again
  EXPECT_THAT(source_.forgotten, IsEmpty());
  metrics_.Collect();  // miss 2
  ASSERT_EQ(source_.forgotten.size(), 1u);
  EXPECT_THAT(source_.forgotten[0], ElementsAre(gone_a_));
}

// A miss inside the resolver's rescan interval proves nothing (the cgroup may
// be newer than the last walk); only a walk made after the first miss that
// still does not find the id does.
TEST_F(SyscallMetricsTest, RateLimitedResolverForgetsOnlyAfterAFreshWalk) {
  CgroupResolver slow(tmp_.path(), std::chrono::hours(1));
  SyscallMetrics metrics(source_, table_, slow);
  ASSERT_TRUE(slow.Rescan().ok());
  source_.snapshot.cgroups = {{root_id_, 1, 0}, {gone_a_, 2, 0}};
  metrics.Collect();
  metrics.Collect();
  metrics.Collect();
  EXPECT_THAT(source_.forgotten, IsEmpty()) << "dropped without a walk since the first miss";
  ASSERT_TRUE(slow.Rescan().ok());
  metrics.Collect();
  ASSERT_EQ(source_.forgotten.size(), 1u);
  EXPECT_THAT(source_.forgotten[0], ElementsAre(gone_a_));
}

TEST_F(SyscallMetricsTest, ResolvedCgroupIsNeverForgotten) {
  source_.snapshot.cgroups = {{root_id_, 1, 0}};
  for (int i = 0; i < 4; ++i) metrics_.Collect();
  EXPECT_THAT(source_.forgotten, IsEmpty());
}

TEST_F(SyscallMetricsTest, ReadErrorsAreCounted) {
  source_.fail = true;
  auto first = metrics_.Collect();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].name, "hostprobe_collector_read_errors_total");
  EXPECT_THAT(Lines(Serialize(first)),
              Contains("hostprobe_collector_read_errors_total{collector=\"syscalls\"} 1"));

  EXPECT_THAT(Lines(CollectText()),
              Contains("hostprobe_collector_read_errors_total{collector=\"syscalls\"} 2"));

  source_.fail = false;
  std::string text = CollectText();
  auto lines = Lines(text);
  EXPECT_THAT(lines, Contains("hostprobe_collector_read_errors_total{collector=\"syscalls\"} 2"));
  EXPECT_THAT(lines, Contains("hostprobe_syscalls_total{syscall=\"getppid\"} 20000"));
  EXPECT_EQ(source_.reads, 3);
}

}  // namespace
}  // namespace hostprobe
