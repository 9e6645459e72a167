#include "core/collector.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace hostprobe {
namespace {

class FakeCollector : public Collector {
 public:
  FakeCollector(std::string name, bool healthy, std::string reason = "")
      : name_(std::move(name)), health_{healthy, std::move(reason)} {}
  std::string name() const override { return name_; }
  std::vector<HookStatus> hooks() const override { return hooks_; }
  std::vector<HookStatus> hooks_;
  CollectorHealth health() override {
    ++health_calls;
    return health_;
  }
  int health_calls = 0;

 private:
  std::string name_;
  CollectorHealth health_;
};

TEST(CheckHealthTest, NoCollectorsIsHealthy) {
  HealthReport r = CheckHealth({});
  EXPECT_TRUE(r.healthy);
  EXPECT_EQ(r.text, "ok\n");
}

TEST(CheckHealthTest, AllHealthy) {
  FakeCollector a("syscalls", true), b("memory", true);
  HealthReport r = CheckHealth({{"syscalls", &a, ""}, {"memory", &b, ""}});
  EXPECT_TRUE(r.healthy);
  EXPECT_EQ(r.text, "ok\n");
  EXPECT_EQ(a.health_calls, 1);
  EXPECT_EQ(b.health_calls, 1);
}

TEST(CheckHealthTest, OneUnhealthy) {
  FakeCollector a("syscalls", true), b("memory", false, "no samples for 45s");
  HealthReport r = CheckHealth({{"syscalls", &a, ""}, {"memory", &b, ""}});
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.text, "memory: no samples for 45s\n");
  EXPECT_EQ(a.health_calls, 1);
}

TEST(CheckHealthTest, NotRunning) {
  FakeCollector a("syscalls", true);
  HealthReport r = CheckHealth({{"syscalls", &a, ""}, {"disk", nullptr, "tp_btf/block_rq_issue: ENOENT"}});
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.text, "disk: not running: tp_btf/block_rq_issue: ENOENT\n");
}

TEST(CheckHealthTest, EveryFailureGetsALineInOrder) {
  FakeCollector a("syscalls", false, "program detached"), c("net", true), d("memory", false, "stale");
  HealthReport r = CheckHealth(
      {{"syscalls", &a, ""}, {"disk", nullptr, "load failed"}, {"net", &c, ""}, {"memory", &d, ""}});
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.text,
            "syscalls: program detached\n"
            "disk: not running: load failed\n"
            "memory: stale\n");
}

TEST(CheckHealthTest, AFailingOptionalCollectorDegradesButStaysReady) {
  FakeCollector a("syscalls", true), k("kubernetes", false, "no pod list from the API server for 90 s");
  std::vector<CollectorSlot> slots = {{"syscalls", &a, ""}, {"kubernetes", &k, "", /*optional=*/true}};
  HealthReport r = CheckHealth(slots);
  EXPECT_TRUE(r.healthy) << "an optional part never makes the sensor unready";
  EXPECT_TRUE(r.degraded);
  EXPECT_EQ(r.text, "degraded\nkubernetes: no pod list from the API server for 90 s (degraded)\n");
  EXPECT_FALSE(StatusOf(slots[1]).up);
  EXPECT_EQ(StatusOf(slots[1]).state, CollectorState::kDegraded);
}

TEST(CheckHealthTest, AnOptionalCollectorThatDidNotStartDegrades) {
  HealthReport r = CheckHealth({{"map_evictions", nullptr, "fexit refused", true}});
  EXPECT_TRUE(r.healthy);
  EXPECT_EQ(r.text, "degraded\nmap_evictions: not running: fexit refused (degraded)\n");
}

TEST(CheckHealthTest, AMissingOptionalHookDegradesARequiredCollector) {
  FakeCollector m("process_memory", true);
  m.hooks_ = {{"hp_mem_iter", "iter/task", false, "Operation not permitted", -1, true},
              {"hp_mem_exit", "tp_btf/sched_process_exit", true, "", 3, true}};
  std::vector<CollectorSlot> slots = {{"process_memory", &m, ""}};
  HealthReport r = CheckHealth(slots);
  EXPECT_TRUE(r.healthy);
  EXPECT_TRUE(r.degraded);
  EXPECT_EQ(r.text,
            "degraded\nprocess_memory: program hp_mem_iter not attached to iter/task: Operation not "
            "permitted (degraded)\n");
  EXPECT_TRUE(StatusOf(slots[0]).up) << "it runs, on its fallback";
  EXPECT_EQ(DetachedHook(m.hooks_), std::nullopt) << "optional hooks are not a failure";
}

TEST(CheckHealthTest, AMissingRequiredHookIsAFailure) {
  std::vector<HookStatus> hooks = {{"hp_sys_exit", "tp_btf/sys_exit", false, "EINVAL"}};
  auto detached = DetachedHook(hooks);
  ASSERT_TRUE(detached.has_value());
  EXPECT_FALSE(detached->healthy);
  EXPECT_EQ(OptionalHookMissing(hooks), std::nullopt);
}

TEST(CheckHealthTest, FailuresComeBeforeDegradedParts) {
  FakeCollector a("syscalls", false, "program detached"), k("kubernetes", false, "HTTP 403");
  HealthReport r = CheckHealth({{"kubernetes", &k, "", true}, {"syscalls", &a, ""}});
  EXPECT_FALSE(r.healthy);
  EXPECT_TRUE(r.degraded);
  EXPECT_EQ(r.text, "syscalls: program detached\nkubernetes: HTTP 403 (degraded)\n");
}

}  // namespace
}  // namespace hostprobe

namespace hostprobe {
namespace {

TEST(StallWatchTest, OnlyACounterStillForLongerThanTheGraceIsStalled) {
  StallWatch w(std::chrono::seconds(2));
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  EXPECT_FALSE(w.Stalled(100, t0));
  EXPECT_FALSE(w.Stalled(100, t0 + std::chrono::microseconds(5))) << "two checks back to back";
  EXPECT_FALSE(w.Stalled(100, t0 + std::chrono::seconds(2)));
  EXPECT_TRUE(w.Stalled(100, t0 + std::chrono::milliseconds(2001)));
  EXPECT_FALSE(w.Stalled(101, t0 + std::chrono::seconds(3))) << "moving again";
  EXPECT_FALSE(w.Stalled(101, t0 + std::chrono::seconds(4)));
}

}  // namespace
}  // namespace hostprobe
