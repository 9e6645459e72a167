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
  std::vector<HookStatus> hooks() const override { return {}; }
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

}  // namespace
}  // namespace hostprobe
