#include "core/sensor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/collectable.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "collectors/bpf_features.h"
#include "core/cgroup.h"
#include "core/options.h"
#include "sensor_collectors.h"

namespace hostprobe {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// What happened, in order: "start x", "steady x", "drop", "destroy x".
using Events = std::vector<std::string>;

class FakeCollector : public Collector {
 public:
  FakeCollector(std::string name, Events& events, bool healthy)
      : name_(std::move(name)), events_(events), healthy_(healthy) {}
  ~FakeCollector() override { events_.push_back("destroy " + name_); }
  std::string name() const override { return name_; }
  std::vector<HookStatus> hooks() const override { return {}; }
  CollectorHealth health() override { return {healthy_, healthy_ ? "" : "no events for 45s"}; }

 private:
  std::string name_;
  Events& events_;
  bool healthy_;
};

class FakeCollectable : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override { return {}; }
};

struct FakeOptions {
  Need need = Need::kExpected;
  Stage stage = Stage::kLoad;
  std::string fails_with{};  // empty: starts
  bool healthy = true;
  bool quorum = false;
  bool enabled = true;
  bool outlives_stop = false;
  bool usage = false;  // a failure is the flags' fault
};

CollectorDescriptor Fake(const std::string& name, Events& events, FakeOptions o = {}) {
  CollectorDescriptor d;
  d.name = name;
  d.needs = "tp_btf: " + name;
  d.need = o.need;
  d.stage = o.stage;
  d.enabled = o.enabled;
  d.quorum = o.quorum;
  d.outlives_stop = o.outlives_stop;
  d.start = [name, &events, o]() -> Result<std::unique_ptr<Collector>> {
    events.push_back("start " + name);
    if (!o.fails_with.empty()) return Error{o.fails_with};
    return std::unique_ptr<Collector>(std::make_unique<FakeCollector>(name, events, o.healthy));
  };
  if (o.usage) d.usage_error = [](const Error&) { return true; };
  d.hook_family = [](Collector&) { return std::string("tp_btf"); };
  d.steady = [name, &events](Collector&) { events.push_back("steady " + name); };
  d.families = [name](Collector&) {
    return Collectables{{name, std::make_shared<FakeCollectable>()}, {name + "_more", nullptr}};
  };
  return d;
}

struct LogLine {
  LogLevel level;
  std::string text;
  bool operator==(const LogLine&) const = default;
};

class SensorTest : public ::testing::Test {
 protected:
  SensorLog Log() {
    return [this](LogLevel level, const std::string& line) { log.push_back({level, line}); };
  }
  std::function<Status()> Drop() {
    return [this] {
      events.push_back("drop");
      return Status(Ok{});
    };
  }
  std::vector<std::string> SlotNames(const Sensor& s) {
    std::vector<std::string> names;
    for (const CollectorSlot& slot : s.slots()) names.push_back(slot.name);
    return names;
  }
  bool Logged(LogLevel level, const std::string& text) {
    for (const LogLine& l : log)
      if (l.level == level && l.text == text) return true;
    return false;
  }

  Events events;
  std::vector<LogLine> log;
};

TEST_F(SensorTest, TableOrderIsStartOrderAndSlotOrder) {
  std::vector<CollectorDescriptor> table;
  table.push_back(Fake("syscalls", events));
  table.push_back(Fake("diskio", events));
  table.push_back(Fake("clock", events));
  Sensor sensor(std::move(table), Log());
  ASSERT_EQ(sensor.Start(Drop()), std::nullopt);
  EXPECT_THAT(events, ElementsAre("start syscalls", "start diskio", "start clock", "drop", "steady syscalls",
                                  "steady diskio", "steady clock"));
  EXPECT_THAT(SlotNames(sensor), ElementsAre("syscalls", "diskio", "clock"));
  EXPECT_EQ(sensor.Health().text, "ok\n");
}

TEST_F(SensorTest, LogsWhatEachNeedsAndItsHookFamily) {
  std::vector<CollectorDescriptor> table;
  table.push_back(Fake("syscalls", events));
  table.push_back(Fake("clock", events));
  table.back().hook_family = nullptr;  // no "collecting with" line
  Sensor sensor(std::move(table), Log());
  ASSERT_EQ(sensor.Start(Drop()), std::nullopt);
  EXPECT_THAT(log, ElementsAre(LogLine{LogLevel::kDebug, "syscalls: starting (needs tp_btf: syscalls)"},
                               LogLine{LogLevel::kInfo, "syscalls: collecting with tp_btf hooks"},
                               LogLine{LogLevel::kDebug, "clock: starting (needs tp_btf: clock)"}));
}

TEST_F(SensorTest, AFailingOptionalCollectorLeavesTheSensorReadyAndDegraded) {
  std::vector<CollectorDescriptor> table;
  table.push_back(Fake("syscalls", events));
  table.push_back(Fake("map_evictions", events, {.need = Need::kOptional, .fails_with = "fexit: ENOTSUPP"}));
  Sensor sensor(std::move(table), Log());
  ASSERT_EQ(sensor.Start(Drop()), std::nullopt);
  HealthReport h = sensor.Health();
  EXPECT_TRUE(h.healthy);
  EXPECT_TRUE(h.degraded);
  EXPECT_EQ(h.text, "degraded\nmap_evictions: not running: fexit: ENOTSUPP (degraded)\n");
  ASSERT_EQ(sensor.slots().size(), 2u);
  EXPECT_TRUE(sensor.slots()[1].optional);
  EXPECT_TRUE(Logged(LogLevel::kWarn, "map_evictions: not started: fexit: ENOTSUPP"));
}

TEST_F(SensorTest, AnOptionalCollectorThatStartsButFailsItsCheckOnlyDegrades) {
  std::vector<CollectorDescriptor> table;
  table.push_back(Fake("kubernetes", events, {.need = Need::kOptional, .healthy = false}));
  Sensor sensor(std::move(table), Log());
  ASSERT_EQ(sensor.Start(Drop()), std::nullopt);
  EXPECT_TRUE(sensor.Health().healthy);
  EXPECT_EQ(sensor.Health().text, "degraded\nkubernetes: no events for 45s (degraded)\n");
}

TEST_F(SensorTest, ARequiredCollectorThatFailsStopsStartUpAtOnce) {
  std::vector<CollectorDescriptor> table;
  table.push_back(Fake("syscalls", events));
  table.push_back(Fake("uprobes", events, {.need = Need::kRequired, .fails_with = "probe x: attach failed"}));
  table.push_back(Fake("map_evictions", events, {.need = Need::kOptional}));
  Sensor sensor(std::move(table), Log());
  auto failed = sensor.Start(Drop());
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->message, "probe x: attach failed");
  EXPECT_FALSE(failed->usage) << "a refusal by the kernel: exit 1";
  EXPECT_THAT(events, ElementsAre("start syscalls", "start uprobes")) << "nothing after it, no drop";
}

TEST_F(SensorTest, ARequiredCollectorsUsageErrorIsMarkedSo) {
  std::vector<CollectorDescriptor> table;
  table.push_back(Fake("uprobes", events,
                       {.need = Need::kRequired, .fails_with = "/bin/nope: no such file", .usage = true}));
  Sensor sensor(std::move(table), Log());
  auto failed = sensor.Start(Drop());
  ASSERT_TRUE(failed.has_value());
  EXPECT_TRUE(failed->usage) << "the flags' fault: exit 2";
}

TEST_F(SensorTest, AnExpectedCollectorThatFailsIsLoggedAndFailsHealthAlone) {
  std::vector<CollectorDescriptor> table;
  table.push_back(Fake("syscalls", events));
  table.push_back(Fake("diskio", events, {.fails_with = "tp_btf/block_rq_issue: ENOENT"}));
  table.push_back(Fake("cgroup_cpu", events));
  Sensor sensor(std::move(table), Log());
  ASSERT_EQ(sensor.Start(Drop()), std::nullopt) << "the others run on";
  EXPECT_TRUE(Logged(LogLevel::kError, "diskio: not started: tp_btf/block_rq_issue: ENOENT"));
  HealthReport h = sensor.Health();
  EXPECT_FALSE(h.healthy);
  EXPECT_EQ(h.text, "diskio: not running: tp_btf/block_rq_issue: ENOENT\n");
  ASSERT_EQ(sensor.slots().size(), 3u);
  EXPECT_EQ(sensor.slots()[1].live, nullptr);
  EXPECT_FALSE(sensor.slots()[1].optional);
  EXPECT_FALSE(StatusOf(sensor.slots()[1]).up) << "hostprobe_collector_up 0";
  EXPECT_TRUE(StatusOf(sensor.slots()[0]).up);
}

TEST_F(SensorTest, EveryQuorumCollectorFailingMeansTheKernelRefusesEbpf) {
  std::vector<CollectorDescriptor> table;
  table.push_back(Fake("syscalls", events, {.fails_with = "load: EPERM", .quorum = true}));
  table.push_back(Fake("diskio", events, {.fails_with = "load: EACCES", .quorum = true}));
  table.push_back(Fake("cgroup_cpu", events, {.fails_with = "load: EPERM", .quorum = true}));
  table.push_back(Fake("clock", events));
  Sensor sensor(std::move(table), Log());
  auto failed = sensor.Start(Drop());
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->message,
            "the kernel refused every eBPF collector (load: EPERM); check that it allows eBPF (kernel "
            "lockdown, seccomp, or a container without CAP_BPF/CAP_PERFMON refuse it) and see the log above "
            "for libbpf's reasons");
  EXPECT_FALSE(failed->usage);
  EXPECT_THAT(events, ElementsAre("start syscalls", "start diskio", "start cgroup_cpu", "start clock"))
      << "decided once the load stage is done, before the drop";
}

TEST_F(SensorTest, OneQuorumCollectorStartingIsEnough) {
  std::vector<CollectorDescriptor> table;
  table.push_back(Fake("syscalls", events, {.fails_with = "load: EPERM", .quorum = true}));
  table.push_back(Fake("diskio", events, {.quorum = true}));
  table.push_back(Fake("cgroup_cpu", events, {.fails_with = "load: EPERM", .quorum = true}));
  table.push_back(Fake("process_events", events, {.fails_with = "load: EPERM"}));
  Sensor sensor(std::move(table), Log());
  EXPECT_EQ(sensor.Start(Drop()), std::nullopt);
  EXPECT_FALSE(sensor.Health().healthy);
}

TEST_F(SensorTest, SteadyStageRunsAfterTheDropAndOnlyForStartedCollectors) {
  std::vector<CollectorDescriptor> table;
  table.push_back(Fake("syscalls", events));
  table.push_back(Fake("process_memory", events, {.fails_with = "iter/task: EINVAL"}));
  table.push_back(Fake("host", events, {.stage = Stage::kSteady}));
  table.push_back(Fake("clock", events));
  table.push_back(Fake("kubernetes", events, {.need = Need::kOptional, .stage = Stage::kSteady}));
  Sensor sensor(std::move(table), Log());
  ASSERT_EQ(sensor.Start(Drop()), std::nullopt);
  EXPECT_THAT(events, ElementsAre("start syscalls", "start process_memory", "start clock", "drop",
                                  "steady syscalls", "steady clock", "start host", "steady host",
                                  "start kubernetes", "steady kubernetes"));
  EXPECT_THAT(SlotNames(sensor), ElementsAre("syscalls", "process_memory", "clock", "host", "kubernetes"));
}

TEST_F(SensorTest, AFailedDropStopsStartUpBeforeTheSteadyStage) {
  std::vector<CollectorDescriptor> table;
  table.push_back(Fake("syscalls", events));
  table.push_back(Fake("host", events, {.stage = Stage::kSteady}));
  Sensor sensor(std::move(table), Log());
  auto failed = sensor.Start([this] {
    events.push_back("drop");
    return Status(Error{"capabilities: cap_set_proc: EPERM"});
  });
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->message, "capabilities: cap_set_proc: EPERM");
  EXPECT_THAT(events, ElementsAre("start syscalls", "drop"));
}

TEST_F(SensorTest, ARequiredSteadyCollectorThatFailsStopsStartUpAfterTheDrop) {
  std::vector<CollectorDescriptor> table;
  table.push_back(Fake("syscalls", events));
  table.push_back(
      Fake("watcher", events, {.need = Need::kRequired, .stage = Stage::kSteady, .fails_with = "no"}));
  Sensor sensor(std::move(table), Log());
  auto failed = sensor.Start(Drop());
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->message, "no");
  EXPECT_THAT(events, ElementsAre("start syscalls", "drop", "steady syscalls", "start watcher"));
}

TEST_F(SensorTest, CollectablesOnlyForLiveCollectorsInTableOrder) {
  std::vector<CollectorDescriptor> table;
  table.push_back(Fake("syscalls", events));
  table.push_back(Fake("diskio", events, {.fails_with = "ENOENT"}));
  table.push_back(Fake("host", events, {.stage = Stage::kSteady}));
  table.push_back(Fake("clock", events));
  table.back().families = nullptr;  // feeds nothing
  table.push_back(Fake("map_evictions", events, {.need = Need::kOptional}));
  Sensor sensor(std::move(table), Log());
  ASSERT_EQ(sensor.Start(Drop()), std::nullopt);
  std::vector<std::string> names;
  for (const NamedCollectable& c : sensor.collectables()) names.push_back(c.first);
  EXPECT_THAT(names, ElementsAre("syscalls", "syscalls_more", "host", "host_more", "map_evictions",
                                 "map_evictions_more"));
}

TEST_F(SensorTest, ADisabledCollectorIsNeitherStartedNorGivenASlot) {
  std::vector<CollectorDescriptor> table;
  table.push_back(Fake("syscalls", events));
  table.push_back(Fake("uprobes", events, {.need = Need::kRequired, .enabled = false}));
  table.push_back(Fake("kubernetes", events, {.stage = Stage::kSteady, .enabled = false}));
  Sensor sensor(std::move(table), Log());
  ASSERT_EQ(sensor.Start(Drop()), std::nullopt);
  EXPECT_THAT(SlotNames(sensor), ElementsAre("syscalls"));
  EXPECT_THAT(events, ElementsAre("start syscalls", "drop", "steady syscalls"));
  EXPECT_EQ(sensor.collectables().size(), 2u);
}

TEST_F(SensorTest, StopDestroysInTableOrderAndHandsBackWhatOutlivesIt) {
  std::vector<CollectorDescriptor> table;
  table.push_back(Fake("syscalls", events));
  table.push_back(Fake("diskio", events, {.fails_with = "ENOENT"}));
  table.push_back(Fake("process_memory", events));
  table.push_back(Fake("host", events, {.stage = Stage::kSteady}));
  table.push_back(
      Fake("kubernetes", events, {.need = Need::kOptional, .stage = Stage::kSteady, .outlives_stop = true}));
  table.push_back(Fake("uprobes", events, {.need = Need::kRequired}));
  Sensor sensor(std::move(table), Log());
  ASSERT_EQ(sensor.Start(Drop()), std::nullopt);
  events.clear();
  auto left = sensor.Stop();
  EXPECT_THAT(events,
              ElementsAre("destroy syscalls", "destroy process_memory", "destroy host", "destroy uprobes"));
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0]->name(), "kubernetes");
  for (const CollectorSlot& slot : sensor.slots()) EXPECT_EQ(slot.live, nullptr) << slot.name;
  EXPECT_THAT(sensor.collectables(), IsEmpty());
  left.clear();
  EXPECT_EQ(events.back(), "destroy kubernetes");
}

TEST_F(SensorTest, DestroyingAFailedSensorDestroysWhatStarted) {
  {
    std::vector<CollectorDescriptor> table;
    table.push_back(Fake("syscalls", events));
    table.push_back(Fake("uprobes", events, {.need = Need::kRequired, .fails_with = "attach failed"}));
    Sensor sensor(std::move(table), Log());
    ASSERT_TRUE(sensor.Start(Drop()).has_value());
  }
  EXPECT_THAT(events, ElementsAre("start syscalls", "start uprobes", "destroy syscalls"));
}

// The sensor's own table, as the flags build it (nothing is started).
TEST(SensorCollectorsTest, TheTableInStartOrderWithWhatEachOneMeansToTheSensor) {
  Options opts;
  std::vector<ProbeSpec> no_probes;
  BpfFeatures features;
  CgroupResolver cgroups("");
  auto table = SensorCollectors({opts, no_probes, features, cgroups});
  std::vector<std::string> names, quorum, optional, required, steady, enabled, outlive;
  for (const CollectorDescriptor& d : table) {
    names.push_back(d.name);
    if (d.quorum) quorum.push_back(d.name);
    if (d.need == Need::kOptional) optional.push_back(d.name);
    if (d.need == Need::kRequired) required.push_back(d.name);
    if (d.stage == Stage::kSteady) steady.push_back(d.name);
    if (d.enabled) enabled.push_back(d.name);
    if (d.outlives_stop) outlive.push_back(d.name);
    EXPECT_FALSE(d.needs.empty()) << d.name;
    EXPECT_TRUE(d.start) << d.name;
    EXPECT_TRUE(d.families) << d.name;
  }
  EXPECT_THAT(names, ElementsAre("syscalls", "diskio", "cgroup_cpu", "process_events", "process_memory",
                                 "clock", "uprobes", "map_evictions", "host", "kubernetes"));
  EXPECT_THAT(quorum, ElementsAre("syscalls", "diskio", "cgroup_cpu"));
  EXPECT_THAT(optional, ElementsAre("map_evictions", "kubernetes"));
  EXPECT_THAT(required, ElementsAre("uprobes"));
  EXPECT_THAT(steady, ElementsAre("host", "kubernetes"));
  EXPECT_THAT(outlive, ElementsAre("kubernetes"));
  EXPECT_THAT(enabled, ElementsAre("syscalls", "diskio", "cgroup_cpu", "process_events", "process_memory",
                                   "clock", "map_evictions", "host"))
      << "uprobes without --probe, kubernetes without --kubernetes";

  opts.kubernetes = true;
  std::vector<ProbeSpec> probes(1);
  auto with = SensorCollectors({opts, probes, features, cgroups});
  EXPECT_TRUE(with[6].enabled);
  EXPECT_TRUE(with[6].usage_error);
  EXPECT_TRUE(with[9].enabled);
}

}  // namespace
}  // namespace hostprobe
