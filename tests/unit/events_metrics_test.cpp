#include "exporters/prometheus/events_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "exposition_util.h"
#include "temp_dir.h"

namespace hostprobe {
namespace {

using test::Lines;
using test::Serialize;

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

// Sample lines only (no HELP/TYPE), for exact comparisons.
std::vector<std::string> Samples(const std::vector<prometheus::MetricFamily>& families,
                                 const std::string& prefix) {
  std::vector<std::string> out;
  for (const std::string& line : Lines(Serialize(families))) {
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
  }
  return out;
}

const prometheus::MetricFamily* Find(const std::vector<prometheus::MetricFamily>& families,
                                     const std::string& name) {
  for (const auto& f : families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

// Names by a fixed table; ids not in it are unknown (removed cgroups).
CgroupNameFn Namer(std::map<uint64_t, std::string> names) {
  return [names = std::move(names)](uint64_t id) -> std::optional<std::string> {
    auto it = names.find(id);
    if (it == names.end()) return std::nullopt;
    return it->second;
  };
}

// ---- SignalName ---------------------------------------------------------------------

TEST(SignalNameTest, StandardSignals) {
  EXPECT_EQ(SignalName(11), "SIGSEGV");
  EXPECT_EQ(SignalName(6), "SIGABRT");
  EXPECT_EQ(SignalName(7), "SIGBUS");
  EXPECT_EQ(SignalName(8), "SIGFPE");
  EXPECT_EQ(SignalName(4), "SIGILL");
  EXPECT_EQ(SignalName(9), "SIGKILL");
  EXPECT_EQ(SignalName(31), "SIGSYS");
  EXPECT_EQ(SignalName(5), "SIGTRAP");
  EXPECT_EQ(SignalName(24), "SIGXCPU");
  EXPECT_EQ(SignalName(25), "SIGXFSZ");
  EXPECT_EQ(SignalName(3), "SIGQUIT");
  EXPECT_EQ(SignalName(15), "SIGTERM");
  EXPECT_EQ(SignalName(1), "SIGHUP");
}

TEST(SignalNameTest, RealTimeAndUnknownByNumber) {
  EXPECT_EQ(SignalName(34), "SIG34");
  EXPECT_EQ(SignalName(64), "SIG64");
  EXPECT_EQ(SignalName(0), "SIG0");
  EXPECT_EQ(SignalName(1000), "SIG1000");
}

// The label values of 1..31 as the sensor has always exported them (its
// table before glibc named them): SIGIO stays SIGIO although glibc says POLL.
TEST(SignalNameTest, StandardSignalsAreTheExportedLabelValues) {
  const std::string expected =
      "SIGHUP SIGINT SIGQUIT SIGILL SIGTRAP SIGABRT SIGBUS SIGFPE SIGKILL SIGUSR1 SIGSEGV SIGUSR2 SIGPIPE "
      "SIGALRM SIGTERM SIGSTKFLT SIGCHLD SIGCONT SIGSTOP SIGTSTP SIGTTIN SIGTTOU SIGURG SIGXCPU SIGXFSZ "
      "SIGVTALRM SIGPROF SIGWINCH SIGIO SIGPWR SIGSYS";
  std::string got;
  for (uint32_t s = 1; s <= 31; ++s) {
    if (s != 1) got += ' ';
    got += SignalName(s);
  }
  EXPECT_EQ(got, expected);
  EXPECT_EQ(SignalName(32), "SIG32");
  EXPECT_EQ(SignalName(4294967295u), "SIG4294967295");
}

// ---- BuildProcessEventFamilies -----------------------------------------------------

TEST(BuildProcessEventFamiliesTest, CrashesOomKillsAndExecsByCgroup) {
  ProcessEventsSnapshot snap;
  snap.crashes = {{1, 11, 3}, {1, 6, 1}, {2, 11, 2}, {2, 9, 5}};
  snap.cgroups = {{1, 40, 0}, {2, 7, 2}};
  auto built = BuildProcessEventFamilies(snap, Namer({{1, "/"}, {2, "/system.slice/app.service"}}));
  EXPECT_THAT(built.unresolved_cgroups, IsEmpty());
  EXPECT_THAT(
      Samples(built.families, "hostprobe_process_crashes_total"),
      ElementsAre(
          "hostprobe_process_crashes_total{cgroup=\"/\",pod_uid=\"\",container_id=\"\",signal=\"SIGABRT\"} 1",
          "hostprobe_process_crashes_total{cgroup=\"/system.slice/"
          "app.service\",pod_uid=\"\",container_id=\"\",signal=\"SIGKILL\"} 5",
          "hostprobe_process_crashes_total{cgroup=\"/\",pod_uid=\"\",container_id=\"\",signal=\"SIGSEGV\"} 3",
          "hostprobe_process_crashes_total{cgroup=\"/system.slice/"
          "app.service\",pod_uid=\"\",container_id=\"\",signal=\"SIGSEGV\"} 2"));
  EXPECT_THAT(Samples(built.families, "hostprobe_oom_kills_total"),
              ElementsAre("hostprobe_oom_kills_total{cgroup=\"/\",pod_uid=\"\",container_id=\"\"} 0",
                          "hostprobe_oom_kills_total{cgroup=\"/system.slice/"
                          "app.service\",pod_uid=\"\",container_id=\"\"} 2"));
  EXPECT_THAT(Samples(built.families, "hostprobe_cgroup_execs_total"),
              ElementsAre("hostprobe_cgroup_execs_total{cgroup=\"/\",pod_uid=\"\",container_id=\"\"} 40",
                          "hostprobe_cgroup_execs_total{cgroup=\"/system.slice/"
                          "app.service\",pod_uid=\"\",container_id=\"\"} 7"));
  const auto* crashes = Find(built.families, "hostprobe_process_crashes_total");
  ASSERT_NE(crashes, nullptr);
  EXPECT_EQ(crashes->type, prometheus::MetricType::Counter);
}

TEST(BuildProcessEventFamiliesTest, UnknownCgroupsAreReportedNotExported) {
  ProcessEventsSnapshot snap;
  snap.crashes = {{1, 11, 1}, {77, 11, 1}};
  snap.cgroups = {{1, 1, 0}, {88, 3, 1}};
  auto built = BuildProcessEventFamilies(snap, Namer({{1, "/"}}));
  EXPECT_THAT(built.unresolved_cgroups, UnorderedElementsAre(77u, 88u));
  const std::string text = Serialize(built.families);
  EXPECT_EQ(text.find("} 3"), std::string::npos) << text;
  EXPECT_THAT(Samples(built.families, "hostprobe_process_crashes_total"),
              ElementsAre("hostprobe_process_crashes_total{cgroup=\"/"
                          "\",pod_uid=\"\",container_id=\"\",signal=\"SIGSEGV\"} 1"));
}

TEST(BuildProcessEventFamiliesTest, IdsSharingAPathAreSummed) {
  // A cgroup removed and made again under the same name has a new id.
  ProcessEventsSnapshot snap;
  snap.crashes = {{1, 11, 1}, {2, 11, 4}};
  snap.cgroups = {{1, 5, 1}, {2, 6, 1}};
  auto built = BuildProcessEventFamilies(snap, Namer({{1, "/job"}, {2, "/job"}}));
  EXPECT_THAT(Samples(built.families, "hostprobe_process_crashes_total"),
              ElementsAre("hostprobe_process_crashes_total{cgroup=\"/"
                          "job\",pod_uid=\"\",container_id=\"\",signal=\"SIGSEGV\"} 5"));
  EXPECT_THAT(Samples(built.families, "hostprobe_cgroup_execs_total"),
              ElementsAre("hostprobe_cgroup_execs_total{cgroup=\"/job\",pod_uid=\"\",container_id=\"\"} 11"));
  EXPECT_THAT(Samples(built.families, "hostprobe_oom_kills_total"),
              ElementsAre("hostprobe_oom_kills_total{cgroup=\"/job\",pod_uid=\"\",container_id=\"\"} 2"));
}

TEST(BuildProcessEventFamiliesTest, SelfFailuresByMap) {
  ProcessEventsSnapshot snap;
  snap.self_stats[HP_PE_STAT_CRASH_MAP_FULL] = 3;
  snap.self_stats[HP_PE_STAT_CGROUP_MAP_FULL] = 4;
  snap.self_stats[HP_PE_STAT_EXIT_SEEN_FAILED] = 5;
  auto built = BuildProcessEventFamilies(snap, Namer({}));
  EXPECT_THAT(Samples(built.families, "hostprobe_bpf_map_update_failures_total"),
              ElementsAre("hostprobe_bpf_map_update_failures_total{map=\"process_crashes\"} 3",
                          "hostprobe_bpf_map_update_failures_total{map=\"process_cgroups\"} 4",
                          "hostprobe_bpf_map_update_failures_total{map=\"exits_seen\"} 5"));
}

TEST(BuildProcessEventFamiliesTest, EmptySnapshotStillDeclaresTheFamilies) {
  auto built = BuildProcessEventFamilies(ProcessEventsSnapshot{}, Namer({}));
  EXPECT_NE(Find(built.families, "hostprobe_process_crashes_total"), nullptr);
  EXPECT_NE(Find(built.families, "hostprobe_oom_kills_total"), nullptr);
  EXPECT_NE(Find(built.families, "hostprobe_cgroup_execs_total"), nullptr);
}

// ---- BuildProbeFamilies -------------------------------------------------------------

ProbeCounts Probe(std::string name, uint64_t calls, bool latency = false) {
  ProbeCounts p;
  p.name = std::move(name);
  p.calls = calls;
  p.latency = latency;
  return p;
}

TEST(BuildProbeFamiliesTest, CallsForEveryProbeHistogramForLatencyProbes) {
  ProbeSnapshot snap;
  snap.probes.push_back(Probe("plain", 12345));
  ProbeCounts timed = Probe("timed", 3, true);
  timed.latency_slots[9] = 2;   // 512..1023 ns
  timed.latency_slots[20] = 1;  // ~1..2 ms
  timed.latency_sum_ns = 2'000'000;
  snap.probes.push_back(timed);
  snap.probes.push_back(Probe("idle", 0, true));
  auto families = BuildProbeFamilies(snap);
  EXPECT_THAT(Samples(families, "hostprobe_probe_calls_total"),
              ElementsAre("hostprobe_probe_calls_total{probe=\"plain\"} 12345",
                          "hostprobe_probe_calls_total{probe=\"timed\"} 3",
                          "hostprobe_probe_calls_total{probe=\"idle\"} 0"));
  auto lines = Samples(families, "hostprobe_probe_latency_seconds");
  EXPECT_THAT(lines, Contains("hostprobe_probe_latency_seconds_count{probe=\"timed\"} 3"));
  EXPECT_THAT(lines, Contains("hostprobe_probe_latency_seconds_sum{probe=\"timed\"} 0.002"));
  EXPECT_THAT(lines, Contains("hostprobe_probe_latency_seconds_bucket{probe=\"timed\",le=\"1.024e-06\"} 2"));
  EXPECT_THAT(lines, Contains("hostprobe_probe_latency_seconds_bucket{probe=\"timed\",le=\"+Inf\"} 3"));
  // A :latency probe that was never called still has its (zero) histogram.
  EXPECT_THAT(lines, Contains("hostprobe_probe_latency_seconds_count{probe=\"idle\"} 0"));
  for (const auto& l : lines) EXPECT_EQ(l.find("probe=\"plain\""), std::string::npos) << l;
}

TEST(BuildProbeFamiliesTest, NoLatencyProbesNoHistogramFamily) {
  ProbeSnapshot snap;
  snap.probes.push_back(Probe("a", 1));
  auto families = BuildProbeFamilies(snap);
  EXPECT_EQ(Find(families, "hostprobe_probe_latency_seconds"), nullptr);
  ASSERT_NE(Find(families, "hostprobe_probe_calls_total"), nullptr);
}

TEST(BuildProbeFamiliesTest, SelfFailures) {
  ProbeSnapshot snap;
  snap.self_stats[HP_UP_STAT_INFLIGHT_FAILED] = 7;
  snap.self_stats[HP_UP_STAT_BAD_COOKIE] = 1;
  EXPECT_THAT(Samples(BuildProbeFamilies(snap), "hostprobe_bpf_map_update_failures_total"),
              ElementsAre("hostprobe_bpf_map_update_failures_total{map=\"probe_inflight\"} 7",
                          "hostprobe_bpf_map_update_failures_total{map=\"probe_stats\"} 1"));
}

// ---- BuildClockFamilies -------------------------------------------------------------

TEST(BuildClockFamiliesTest, HostInfoAndClock) {
  ClockSnapshot snap;
  snap.host = {"Europe/Berlin", "6.1.0-18-amd64", "Debian GNU/Linux 12 (bookworm)"};
  snap.clock = ClockState{true, 0.25, 0.0015};
  auto families = BuildClockFamilies(snap);
  EXPECT_THAT(Samples(families, "hostprobe_"),
              ElementsAre("hostprobe_host_info{timezone=\"Europe/Berlin\",kernel=\"6.1.0-18-amd64\","
                          "os=\"Debian GNU/Linux 12 (bookworm)\"} 1",
                          "hostprobe_clock_synchronized 1", "hostprobe_clock_max_error_seconds 0.25",
                          "hostprobe_clock_estimated_error_seconds 0.0015"));
  for (const auto& f : families) EXPECT_EQ(f.type, prometheus::MetricType::Gauge) << f.name;
}

TEST(BuildClockFamiliesTest, UnreadableClockLeavesOnlyHostInfo) {
  ClockSnapshot snap;
  snap.host = {"UTC", "6.1", "Linux"};
  snap.clock_error = "adjtimex: Operation not permitted";
  auto families = BuildClockFamilies(snap);
  ASSERT_EQ(families.size(), 1u);
  EXPECT_EQ(families[0].name, "hostprobe_host_info");
}

TEST(BuildClockFamiliesTest, LabelValuesAreValidUtf8AndEscaped) {
  ClockSnapshot snap;
  snap.host = {"UTC", "6.1", std::string("Bad \xff \"quoted\" OS")};
  snap.clock = ClockState{false, 16, 16};
  EXPECT_THAT(Samples(BuildClockFamilies(snap), "hostprobe_host_info"),
              ElementsAre("hostprobe_host_info{timezone=\"UTC\",kernel=\"6.1\",os=\"Bad \xef\xbf\xbd "
                          "\\\"quoted\\\" OS\"} 1"));
}

// ---- Collectable adapters with fake sources ----------------------------------------

class FakeProcessEvents : public ProcessEventsSource {
 public:
  Result<ProcessEventsSnapshot> ReadProcessEvents() override {
    if (fail) return Error{"read process_crashes: injected failure", EIO};
    return snapshot;
  }
  void ForgetCgroups(const std::vector<uint64_t>& ids) override {
    forgotten.push_back(ids);
    std::erase_if(snapshot.crashes, [&](const CrashCount& c) {
      return std::find(ids.begin(), ids.end(), c.cgroup_id) != ids.end();
    });
    std::erase_if(snapshot.cgroups, [&](const ProcessCgroupCounts& c) {
      return std::find(ids.begin(), ids.end(), c.cgroup_id) != ids.end();
    });
  }
  ProcessEventsSnapshot snapshot;
  bool fail = false;
  std::vector<std::vector<uint64_t>> forgotten;
};

class FakeProbes : public ProbeSource {
 public:
  Result<ProbeSnapshot> ReadProbes() override {
    if (fail) return Error{"read probe_stats: injected failure", EIO};
    return snapshot;
  }
  ProbeSnapshot snapshot;
  bool fail = false;
};

class FakeClock : public ClockSource {
 public:
  ClockSnapshot ReadClock() override { return snapshot; }
  ClockSnapshot snapshot;
};

class EventsMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    old_level_ = spdlog::get_level();
    spdlog::set_level(spdlog::level::off);  // the injected read errors are expected
    ASSERT_FALSE(tmp_.path().empty());
    root_id_ = test_util::InodeOf(tmp_.path());
    gone_ = root_id_ + 1'000'000'007;  // cannot be a directory inode of the empty temp dir
  }
  void TearDown() override { spdlog::set_level(old_level_); }

  test_util::TempDir tmp_;
  spdlog::level::level_enum old_level_{};
  uint64_t root_id_ = 0, gone_ = 0;
  CgroupResolver resolver_{tmp_.path(), std::chrono::milliseconds(0)};
};

TEST_F(EventsMetricsTest, ProcessEventsNamesCgroupsAndForgetsRemovedOnes) {
  FakeProcessEvents source;
  source.snapshot.crashes = {{root_id_, 11, 1}, {gone_, 11, 9}};
  source.snapshot.cgroups = {{root_id_, 2, 0}, {gone_, 1, 1}};
  ProcessEventsMetrics metrics(source, resolver_);
  auto first = Lines(Serialize(metrics.Collect()));
  EXPECT_THAT(first, Contains("hostprobe_process_crashes_total{cgroup=\"/"
                              "\",pod_uid=\"\",container_id=\"\",signal=\"SIGSEGV\"} 1"));
  EXPECT_THAT(first, Contains("hostprobe_collector_read_errors_total{collector=\"process_events\"} 0"));
  EXPECT_THAT(source.forgotten, IsEmpty()) << "forgotten after a single miss";
  metrics.Collect();
  ASSERT_EQ(source.forgotten.size(), 1u);
  EXPECT_THAT(source.forgotten[0], ElementsAre(gone_));
  EXPECT_THAT(source.snapshot.crashes, testing::SizeIs(1));
}

TEST_F(EventsMetricsTest, ProcessEventsReadErrorsAreCounted) {
  FakeProcessEvents source;
  source.fail = true;
  ProcessEventsMetrics metrics(source, resolver_);
  metrics.Collect();
  auto lines = Lines(Serialize(metrics.Collect()));
  EXPECT_THAT(lines, Contains("hostprobe_collector_read_errors_total{collector=\"process_events\"} 2"));
  source.fail = false;
  EXPECT_THAT(Lines(Serialize(metrics.Collect())),
              Contains("hostprobe_collector_read_errors_total{collector=\"process_events\"} 2"));
}

TEST_F(EventsMetricsTest, ProbeMetricsCountReadErrors) {
  FakeProbes source;
  source.snapshot.probes.push_back(Probe("p", 5));
  ProbeMetrics metrics(source);
  EXPECT_THAT(Lines(Serialize(metrics.Collect())), Contains("hostprobe_probe_calls_total{probe=\"p\"} 5"));
  source.fail = true;
  auto failed = metrics.Collect();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_THAT(Lines(Serialize(failed)),
              Contains("hostprobe_collector_read_errors_total{collector=\"uprobes\"} 1"));
}

TEST_F(EventsMetricsTest, ClockMetricsCountAMissingClockButKeepHostInfo) {
  FakeClock source;
  source.snapshot.host = {"UTC", "6.1", "Linux"};
  source.snapshot.clock_error = "adjtimex: injected";
  ClockMetrics metrics(source);
  auto lines = Lines(Serialize(metrics.Collect()));
  EXPECT_THAT(lines, Contains("hostprobe_host_info{timezone=\"UTC\",kernel=\"6.1\",os=\"Linux\"} 1"));
  EXPECT_THAT(lines, Contains("hostprobe_collector_read_errors_total{collector=\"clock\"} 1"));
  EXPECT_THAT(lines, Not(Contains(testing::StartsWith("hostprobe_clock_synchronized"))));
  source.snapshot.clock = ClockState{true, 0.1, 0.01};
  lines = Lines(Serialize(metrics.Collect()));
  EXPECT_THAT(lines, Contains("hostprobe_clock_synchronized 1"));
  EXPECT_THAT(lines, Contains("hostprobe_collector_read_errors_total{collector=\"clock\"} 1"));
}

}  // namespace
}  // namespace hostprobe

namespace hostprobe {
namespace {

// A crash-looping container: each run in a new cgroup under the pod's, made
// and removed between two scrapes, so only what the kernel recorded at exec
// names it. The pod's totals go up by one per run and never down, while each
// run's own series lasts for the grace period.
TEST(PodEventsMetricsTest, ACrashLoopShowsInThePodTotals) {
  test_util::TempDir tmp;
  ASSERT_FALSE(tmp.path().empty());
  const std::string uid = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
  const std::string pod_path = "/kubepods/besteffort/pod" + uid;
  tmp.Mkdir("/kubepods");
  tmp.Mkdir("/kubepods/besteffort");
  tmp.Mkdir(pod_path);
  const uint64_t pod_id = test_util::InodeOf(tmp.path() + pod_path);
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  CgroupResolver resolver(tmp.path(), std::chrono::milliseconds(0));
  resolver.SetClock([&now] { return now; });
  resolver.SetRemovedGrace(std::chrono::seconds(30));
  std::map<uint64_t, LearnedCgroup> recorded;  // what the kernel's cgroup_names holds
  resolver.SetLearner([&recorded](uint64_t id) -> std::optional<LearnedCgroup> {
    auto it = recorded.find(id);
    if (it == recorded.end()) return std::nullopt;
    return it->second;
  });
  FakeProcessEvents source;
  ProcessEventsMetrics metrics(source, resolver);
  const std::string pod_series = "hostprobe_pod_crashes_total{pod_uid=\"" + uid + "\"}";
  EXPECT_THAT(Lines(Serialize(metrics.Collect())), Contains(pod_series + " 0"))
      << "the pod's series exists before its first crash";

  const std::string id_hex(64, 'a');
  for (uint64_t run = 1; run <= 4; ++run) {
    const uint64_t ctr = 5'000'000'000 + run;  // never a directory of the temp dir
    recorded[ctr] = {pod_id, id_hex.substr(0, 63) + std::to_string(run % 10)};
    source.snapshot.crashes.push_back({ctr, 11, 1});
    source.snapshot.cgroups.push_back({ctr, 1, 0});
    now += std::chrono::seconds(10);  // one scrape every 10 s
    auto lines = Lines(Serialize(metrics.Collect()));
    EXPECT_THAT(lines, Contains(pod_series + " " + std::to_string(run))) << "run " << run;
    EXPECT_THAT(lines, Contains("hostprobe_pod_container_starts_total{pod_uid=\"" + uid + "\"} " +
                                std::to_string(run)));
    EXPECT_THAT(lines, Contains(testing::HasSubstr("container_id=\"" + id_hex.substr(0, 63) +
                                                   std::to_string(run % 10) + "\",signal=\"SIGSEGV\"} 1")))
        << "the removed container's own series, named from its parent";
  }
  // Long after the last run: every container's entries are dropped from the
  // kernel's maps, the pod's totals stay.
  for (int i = 0; i < 10; ++i) {
    now += std::chrono::seconds(10);
    metrics.Collect();
  }
  EXPECT_THAT(source.snapshot.crashes, IsEmpty()) << "removed containers' kernel entries are dropped";
  auto lines = Lines(Serialize(metrics.Collect()));
  EXPECT_THAT(lines, Contains(pod_series + " 4"));
  EXPECT_THAT(lines, Contains("hostprobe_pod_execs_total{pod_uid=\"" + uid + "\"} 4"));
  EXPECT_THAT(lines, Not(Contains(testing::HasSubstr("signal=\"SIGSEGV\""))));

  // The pod is deleted: its series go after the grace period.
  ASSERT_EQ(rmdir((tmp.path() + pod_path).c_str()), 0);
  ASSERT_TRUE(resolver.Rescan().ok());
  EXPECT_THAT(Lines(Serialize(metrics.Collect())), Contains(pod_series + " 4"));
  now += std::chrono::seconds(31);
  EXPECT_THAT(Lines(Serialize(metrics.Collect())), Not(Contains(testing::HasSubstr(uid))));
}

}  // namespace
}  // namespace hostprobe
