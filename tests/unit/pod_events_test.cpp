#include "core/pod_events.h"

#include <gtest/gtest.h>

namespace hostprobe {
namespace {

const std::string kPod = "11111111-2222-3333-4444-555555555555";
const std::string kOther = "99999999-2222-3333-4444-555555555555";

PodCgroupEvents Container(uint64_t id, uint64_t crashes, uint64_t ooms, uint64_t execs,
                          const std::string& pod = kPod) {
  return {id, pod, true, crashes, ooms, execs};
}

const PodEvents* Find(const std::vector<PodEvents>& pods, const std::string& uid) {
  for (const PodEvents& p : pods)
    if (p.pod_uid == uid) return &p;
  return nullptr;
}

TEST(PodEventTotalsTest, AnExistingPodStartsAtZero) {
  PodEventTotals t;
  auto pods = t.Update({}, {kPod});
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_EQ(pods[0].pod_uid, kPod);
  EXPECT_EQ(pods[0].crashes, 0u);
  EXPECT_EQ(pods[0].container_starts, 0u);
}

TEST(PodEventTotalsTest, ACrashLoopAddsUpAcrossRemovedContainers) {
  PodEventTotals t;
  // Four runs of a container, each in its own cgroup, each crashing once;
  // each cgroup's counts are dropped from the kernel a while after it goes.
  std::vector<PodCgroupEvents> live;
  uint64_t last_crashes = 0;
  for (uint64_t run = 1; run <= 4; ++run) {
    live = {Container(100 + run, 1, 0, 2)};
    if (run > 1) live.push_back(Container(100 + run - 1, 1, 0, 2));  // still in its grace period
    auto pods = t.Update(live, {kPod});
    const PodEvents* p = Find(pods, kPod);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->crashes, run) << "run " << run;
    EXPECT_EQ(p->execs, 2 * run);
    EXPECT_EQ(p->container_starts, run);
    EXPECT_GE(p->crashes, last_crashes) << "never decreases";
    last_crashes = p->crashes;
    if (run > 1) t.Retire({100 + run - 1});
  }
  // The last container's cgroup is no longer named (grace over) before it is
  // retired: it keeps its last counts meanwhile.
  auto pods = t.Update({}, {kPod});
  EXPECT_EQ(Find(pods, kPod)->crashes, 4u);
  t.Retire({104});
  pods = t.Update({}, {kPod});
  EXPECT_EQ(Find(pods, kPod)->crashes, 4u);
  EXPECT_EQ(Find(pods, kPod)->container_starts, 4u);
}

TEST(PodEventTotalsTest, ACgroupSeenAgainIsNotCountedTwice) {
  PodEventTotals t;
  t.Update({Container(7, 1, 1, 1)}, {kPod});
  t.Update({}, {kPod});  // not named this time
  auto pods = t.Update({Container(7, 2, 1, 1)}, {kPod});
  EXPECT_EQ(Find(pods, kPod)->crashes, 2u);
  EXPECT_EQ(Find(pods, kPod)->oom_kills, 1u);
  t.Retire({7});
  t.Retire({7});  // twice: nothing more
  pods = t.Update({}, {kPod});
  EXPECT_EQ(Find(pods, kPod)->crashes, 2u);
}

TEST(PodEventTotalsTest, PodsAreKeptApartAndAGonePodGoes) {
  PodEventTotals t;
  t.Update({Container(1, 3, 0, 1), Container(2, 0, 2, 1, kOther)}, {kPod, kOther});
  t.Retire({1, 2});
  auto pods = t.Update({}, {kPod, kOther});
  ASSERT_EQ(pods.size(), 2u);
  EXPECT_EQ(Find(pods, kPod)->crashes, 3u);
  EXPECT_EQ(Find(pods, kOther)->oom_kills, 2u);
  EXPECT_EQ(Find(pods, kPod)->oom_kills, 0u);
  // kOther's cgroup is gone (past its grace period): its totals go.
  pods = t.Update({}, {kPod});
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_EQ(t.pods(), 1u);
  // Should a pod with that uid come back, it starts again from nothing.
  pods = t.Update({}, {kPod, kOther});
  EXPECT_EQ(Find(pods, kOther)->oom_kills, 0u);
}

TEST(PodEventTotalsTest, ThePodsOwnCgroupIsNotAContainerStart) {
  PodEventTotals t;
  PodCgroupEvents pod_level{5, kPod, false, 0, 0, 3};
  auto pods = t.Update({pod_level, Container(6, 0, 0, 0)}, {});
  ASSERT_EQ(pods.size(), 1u) << "a pod with counts is exported even before a walk lists it";
  EXPECT_EQ(pods[0].execs, 3u);
  EXPECT_EQ(pods[0].container_starts, 0u) << "no exec in the container: not started";
}

TEST(PodEventTotalsTest, HostCgroupsAreIgnored) {
  PodEventTotals t;
  PodCgroupEvents host{9, "", false, 5, 5, 5};
  EXPECT_TRUE(t.Update({host}, {""}).empty());
}

}  // namespace
}  // namespace hostprobe
