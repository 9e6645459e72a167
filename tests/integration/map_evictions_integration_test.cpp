// Evictions from the sensor's LRU maps, counted in the kernel, on the real
// sensor. Needs root (loads eBPF programs); skipped otherwise.
//
// The counting program is an fexit, which kernels without BPF trampolines
// refuse: there the sensor must say so once, report the program not attached,
// leave the family out and stay healthy. Where it attaches, a burst of
// processes killed by a signal overflows exits_seen, shrunk to 16 entries by
// HOSTPROBE_TEST_MAX_ENTRIES, and every eviction must be counted.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "test_support.h"

namespace hostprobe::testing {
namespace {

constexpr const char* kSensor = HOSTPROBE_BIN;
constexpr const char* kFamily = "hostprobe_bpf_map_evictions_total";
constexpr const char* kAttached = "hostprobe_bpf_program_attached{program=\"hp_lru_evict\"}";
constexpr const char* kNotCounted = "evictions from the LRU maps are not counted";

#define REQUIRE_ROOT() \
  if (geteuid() != 0) GTEST_SKIP() << "integration tests load eBPF programs: run them as root"

bool HasFamily(const Exposition& e) {
  for (const auto& [series, value] : e)
    if (series.rfind(std::string(kFamily) + "{", 0) == 0) return true;
  return false;
}

size_t Occurrences(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// Children that die of SIGKILL at once: each is a thread group ended by a
// signal, which process_events records in exits_seen.
void KilledChildren(int n) {
  for (int i = 0; i < n; ++i) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) raise(SIGKILL);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status));
  }
}

TEST(MapEvictionsTest, EvictionsOfATinyLruMapAreCountedOrTheProgramIsReportedMissing) {
  REQUIRE_ROOT();
  REQUIRE_TEST_HOOKS("HOSTPROBE_TEST_MAX_ENTRIES");
  constexpr int kCapacity = 16, kKills = 300;
  SensorProcess sensor(kSensor, {});
  ASSERT_TRUE(sensor.Start({{"HOSTPROBE_TEST_MAX_ENTRIES", "exits_seen=16"}}));
  // Healthy whether or not the kernel takes the fexit program.
  ASSERT_TRUE(sensor.WaitHealthy()) << sensor.Log();
  const std::string log = sensor.Log();
  EXPECT_NE(log.find("map exits_seen limited to 16 entries by HOSTPROBE_TEST_MAX_ENTRIES"), std::string::npos)
      << log;

  auto before = ParseExposition(sensor.Scrape());
  ASSERT_EQ(before.count(kAttached), 1u) << "the eviction program is not listed";
  EXPECT_EQ(Value(before, "hostprobe_collector_up{collector=\"map_evictions\"}"), 1);
  KilledChildren(kKills);
  auto after = ParseExposition(sensor.Scrape());
  const std::string series = std::string(kFamily) + "{map=\"exits_seen\"}";

  if (Value(before, kAttached) == 1) {
    EXPECT_EQ(Occurrences(sensor.Log(), kNotCounted), 0u);
    // Every LRU map of a default start is watched, under its update-failure label.
    for (const char* map : {"exits_seen", "process_memory", "disk_inflight"})
      EXPECT_EQ(after.count(std::string(kFamily) + "{map=\"" + map + "\"}"), 1u) << map;
    const double evicted = Value(after, series) - Value(before, series);
    const double failed = Value(after, "hostprobe_bpf_map_update_failures_total{map=\"exits_seen\"}") -
                          Value(before, "hostprobe_bpf_map_update_failures_total{map=\"exits_seen\"}");
    // At most kCapacity of the burst's entries can still be in the map; an
    // insert the LRU could not make room for is an update failure instead.
    EXPECT_GE(evicted + failed, kKills - kCapacity) << "evicted=" << evicted << " failed=" << failed;
    EXPECT_GT(evicted, 0);
    // Others' signal deaths on a shared host land in the same map: a loose cap.
    EXPECT_LE(evicted, kKills + kCapacity + 100);
  } else {
    EXPECT_EQ(Occurrences(sensor.Log(), kNotCounted), 1u) << sensor.Log();
    EXPECT_FALSE(HasFamily(before));
    EXPECT_FALSE(HasFamily(after));
  }
  auto health = HttpRequest(sensor.port(), "GET", "/healthz");
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->status, 200) << health->body;
}

TEST(MapEvictionsTest, ARefusedProgramLeavesTheSensorHealthyWithoutTheFamily) {
  REQUIRE_ROOT();
  REQUIRE_TEST_HOOKS("HOSTPROBE_TEST_REFUSE_ATTACH");
  SensorProcess sensor(kSensor, {});
  ASSERT_TRUE(sensor.Start({{"HOSTPROBE_TEST_REFUSE_ATTACH", "hp_lru_evict"}}));
  ASSERT_TRUE(sensor.WaitHealthy()) << sensor.Log();
  auto e = ParseExposition(sensor.Scrape());
  ASSERT_EQ(e.count(kAttached), 1u);
  EXPECT_EQ(Value(e, kAttached), 0);
  EXPECT_EQ(Value(e, "hostprobe_collector_up{collector=\"map_evictions\"}"), 1);
  EXPECT_FALSE(HasFamily(e));
  EXPECT_EQ(Occurrences(sensor.Log(), kNotCounted), 1u) << sensor.Log();
}

}  // namespace
}  // namespace hostprobe::testing
