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

TEST(ParsePodListTest, KeepsTheListsResourceVersion) {
  auto dir = ParsePodList(R"({"metadata": {"resourceVersion": "4711"}, "items": []})");
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(dir->resource_version, "4711");
}

std::string Event(const std::string& type, const std::string& uid, const std::string& name,
                  const std::string& containers, const std::string& rv) {
  return R"({"type": ")" + type + R"(", "object": {"kind": "Pod", "metadata": {"uid": ")" + uid +
         R"(", "name": ")" + name + R"(", "namespace": "shop", "resourceVersion": ")" + rv +
         R"("}, "status": {"containerStatuses": [)" + containers + "]}}}";
}

TEST(PodWatchTest, AddedModifiedAndDeletedPodsUpdateTheDirectory) {
  auto dir = ParsePodList(Fixture("podlist.json"));
  ASSERT_TRUE(dir.ok());
  const std::string uid = "11111111-2222-3333-4444-555555555555";
  const std::string id1(64, 'a'), id2(64, 'b');
  auto added = ParsePodWatchEvent(Event("ADDED", uid, "new-pod", "", "101"));
  ASSERT_TRUE(added.ok()) << added.error().message;
  EXPECT_EQ(added->type, PodWatchEvent::Type::kAdded);
  ApplyPodWatchEvent(*dir, *added);
  EXPECT_EQ(dir->pods.at(uid).pod, "new-pod");
  EXPECT_EQ(dir->resource_version, "101");
  // Its container starts: MODIFIED with a container id.
  auto started = ParsePodWatchEvent(Event(
      "MODIFIED", uid, "new-pod", R"({"name": "web", "containerID": "containerd://)" + id1 + R"("})", "102"));
  ASSERT_TRUE(started.ok());
  ApplyPodWatchEvent(*dir, *started);
  EXPECT_EQ(dir->containers.at(id1), "web");
  EXPECT_EQ(dir->container_pod.at(id1), uid);
  // It restarts: the old container id is replaced by the new one.
  ApplyPodWatchEvent(*dir, *ParsePodWatchEvent(Event(
                               "MODIFIED", uid, "new-pod",
                               R"({"name": "web", "containerID": "containerd://)" + id2 + R"("})", "103")));
  EXPECT_EQ(dir->containers.count(id1), 0u);
  EXPECT_EQ(dir->containers.at(id2), "web");
  ApplyPodWatchEvent(*dir, *ParsePodWatchEvent(Event("DELETED", uid, "new-pod", "", "104")));
  EXPECT_EQ(dir->pods.count(uid), 0u);
  EXPECT_EQ(dir->containers.count(id2), 0u);
  EXPECT_EQ(dir->container_pod.count(id2), 0u);
  EXPECT_EQ(dir->pods.at(kUid).pod, "cart-7d9f8c6b5-x2k4p") << "the others stay";
  EXPECT_EQ(dir->resource_version, "104");
}

TEST(PodWatchTest, BookmarksMoveTheVersionOnlyAndErrorsCarryTheirCode) {
  PodDirectory dir;
  auto bookmark = ParsePodWatchEvent(
      R"({"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"900"}}})");
  ASSERT_TRUE(bookmark.ok()) << bookmark.error().message;
  ApplyPodWatchEvent(dir, *bookmark);
  EXPECT_EQ(dir.resource_version, "900");
  EXPECT_TRUE(dir.pods.empty());
  auto gone = ParsePodWatchEvent(
      R"json({"type":"ERROR","object":{"kind":"Status","status":"Failure","message":"too old resource version: 1 (900)","reason":"Expired","code":410}})json");
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->type, PodWatchEvent::Type::kError);
  EXPECT_EQ(gone->error_code, 410);
  ApplyPodWatchEvent(dir, *gone);
  EXPECT_EQ(dir.resource_version, "900") << "an error changes nothing";
}

TEST(PodWatchTest, MalformedEventsAreErrors) {
  EXPECT_FALSE(ParsePodWatchEvent("").ok());
  EXPECT_FALSE(ParsePodWatchEvent("{\"type\": \"ADDED\"").ok());
  EXPECT_FALSE(ParsePodWatchEvent(R"({"type": "ADDED"})").ok());
  EXPECT_FALSE(ParsePodWatchEvent(R"({"type": "RENAMED", "object": {}})").ok());
  EXPECT_FALSE(ParsePodWatchEvent(R"({"type": "ADDED", "object": {"metadata": {"uid": 5}}})").ok());
  EXPECT_FALSE(ParsePodWatchEvent("\xff\xfe").ok());
}

TEST(PodInfoFamiliesTest, OneInfoSeriesPerPodAndContainer) {
  auto dir = ParsePodList(Fixture("podlist.json"));
  ASSERT_TRUE(dir.ok());
  const std::string text = Serialize(BuildPodInfoFamilies(*dir));
  EXPECT_NE(text.find("hostprobe_pod_info{pod_uid=\"" + kUid +
                      "\",pod_namespace=\"shop\",pod_name=\"cart-7d9f8c6b5-x2k4p\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("hostprobe_container_info{container_id=\"" + kApp + "\",pod_uid=\"" + kUid +
                      "\",container_name=\"app\"} 1"),
            std::string::npos)
      << text;
  size_t pods = 0, containers = 0;
  for (size_t p = 0; (p = text.find("\nhostprobe_pod_info{", p)) != std::string::npos; ++p) ++pods;
  for (size_t p = 0; (p = text.find("\nhostprobe_container_info{", p)) != std::string::npos; ++p)
    ++containers;
  EXPECT_EQ(pods, 2u);
  EXPECT_EQ(containers, 3u);
  // Empty directory: the families, no series.
  auto empty = BuildPodInfoFamilies(PodDirectory{});
  ASSERT_EQ(empty.size(), 2u);
  EXPECT_TRUE(empty[0].metric.empty());
}

}  // namespace
}  // namespace hostprobe
