#include "core/kube_pods.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <fstream>
#include <sstream>

#include "exporters/prometheus/family_builder.h"
#include "exporters/prometheus/pod_names.h"
#include "exposition_util.h"

namespace hostprobe {
namespace {

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(HOSTPROBE_FIXTURES) + "/kube/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string kUid = "0a1b2c3d-4e5f-6789-abcd-ef0123456789";
const std::string kApp = "3f1c9a7be2d04c5f8a6b1e2d3c4b5a69788f7e6d5c4b3a29180f1e2d3c4b5a6f";

TEST(ParsePodListTest, NamesPodsAndContainers) {
  auto dir = ParsePodList(Fixture("podlist.json"));
  ASSERT_TRUE(dir.ok()) << dir.error().message;
  ASSERT_EQ(dir->pods.size(), 2u);
  EXPECT_EQ(dir->pods.at(kUid).namespace_name, "shop");
  EXPECT_EQ(dir->pods.at(kUid).pod, "cart-7d9f8c6b5-x2k4p");
  EXPECT_EQ(dir->pods.at("9f8e7d6c-5b4a-3210-fedc-ba9876543210").pod, "pending-pod");
  EXPECT_EQ(dir->containers.at(kApp), "app");
  EXPECT_EQ(dir->containers.at(std::string(64, '2')), "envoy");    // cri-o:// prefix removed
  EXPECT_EQ(dir->containers.at(std::string(64, '1')), "migrate");  // init containers too
  EXPECT_EQ(dir->containers.size(), 3u);  // the pending pod's container has no id yet
}

TEST(ParsePodListTest, MalformedInputIsAnError) {
  EXPECT_FALSE(ParsePodList("").ok());
  EXPECT_FALSE(ParsePodList("{\"items\": [").ok());
  EXPECT_FALSE(ParsePodList("{\"kind\": \"Status\", \"code\": 403}").ok());
  EXPECT_FALSE(ParsePodList("{\"items\": {}}").ok());
  EXPECT_FALSE(ParsePodList("\xff\xfe").ok());
  auto empty = ParsePodList("{\"items\": []}");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->pods.empty());
}

TEST(ParsePodListTest, WrongFieldTypesAreSkippedNotFatal) {
  auto dir = ParsePodList(R"({"items": [{"metadata": {"uid": 5, "name": "x"}},
                                        {"metadata": {"uid": "u", "name": "n", "namespace": ["x"]},
                                         "status": {"containerStatuses": [{"name": 1, "containerID": "docker://ab"}]}}]})");
  ASSERT_TRUE(dir.ok());
  ASSERT_EQ(dir->pods.size(), 1u);
  EXPECT_EQ(dir->pods.at("u").namespace_name, "");
  EXPECT_TRUE(dir->containers.empty());
}

using test::Serialize;

TEST(AddPodNamesTest, LabelsEveryPerCgroupSeriesAndOnlyThose) {
  auto dir = ParsePodList(Fixture("podlist.json"));
  ASSERT_TRUE(dir.ok());
  auto cg = MakeFamily("hostprobe_cgroup_syscalls_total", "h", prometheus::MetricType::Counter);
  AddCgroupCounter(cg, "/kubepods/burstable/pod" + kUid + "/" + kApp, {}, 5);
  AddCgroupCounter(cg, "/system.slice/ssh.service", {}, 7);
  AddCgroupCounter(
      cg, "/kubepods/burstable/pod11111111-2222-3333-4444-555555555555/" + kApp.substr(0, 63) + "0", {}, 1);
  auto host = MakeFamily("hostprobe_syscalls_total", "h", prometheus::MetricType::Counter);
  AddCounter(host, {{"syscall", "read"}}, 3);
  std::vector<prometheus::MetricFamily> fams = {cg, host};
  AddPodNames(fams, *dir);
  const std::string text = Serialize(fams);
  EXPECT_NE(text.find("hostprobe_cgroup_syscalls_total{cgroup=\"/kubepods/burstable/pod" + kUid + "/" + kApp +
                      "\",pod_uid=\"" + kUid + "\",container_id=\"" + kApp +
                      "\",namespace=\"shop\",pod=\"cart-7d9f8c6b5-x2k4p\",container=\"app\"} 5"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("hostprobe_cgroup_syscalls_total{cgroup=\"/system.slice/ssh.service\",pod_uid=\"\","
                      "container_id=\"\",namespace=\"\",pod=\"\",container=\"\"} 7"),
            std::string::npos)
      << text;
  // A pod the API server has not listed (yet): labels present, empty.
  EXPECT_NE(text.find("pod_uid=\"11111111-2222-3333-4444-555555555555\""), std::string::npos);
  EXPECT_NE(text.find("namespace=\"\",pod=\"\",container=\"\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("hostprobe_syscalls_total{syscall=\"read\"} 3"), std::string::npos) << text;
}

}  // namespace
}  // namespace hostprobe
