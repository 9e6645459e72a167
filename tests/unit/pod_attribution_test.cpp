#include "core/pod_attribution.h"

#include <gtest/gtest.h>

#include <string>

namespace hostprobe {
namespace {

const std::string kUid = "0a1b2c3d-4e5f-6789-abcd-ef0123456789";
const std::string kUidUnderscores = "0a1b2c3d_4e5f_6789_abcd_ef0123456789";
const std::string kId = "3f1c9a7be2d04c5f8a6b1e2d3c4b5a69788f7e6d5c4b3a29180f1e2d3c4b5a6f";

struct Case {
  std::string name;
  std::string path;
  std::string pod_uid;
  std::string container_id;
};

class PodAttributionTest : public ::testing::TestWithParam<Case> {};

TEST_P(PodAttributionTest, Parses) {
  const Case& c = GetParam();
  PodAttribution a = ParsePodAttribution(c.path);
  EXPECT_EQ(a.pod_uid, c.pod_uid) << c.path;
  EXPECT_EQ(a.container_id, c.container_id) << c.path;
}

INSTANTIATE_TEST_SUITE_P(
    RealWorldPaths, PodAttributionTest,
    ::testing::Values(
        // kubelet systemd driver
        Case{"SystemdContainerdBurstable",
             "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kUidUnderscores +
                 ".slice/cri-containerd-" + kId + ".scope",
             kUid, kId},
        Case{"SystemdCrioGuaranteed",
             "/kubepods.slice/kubepods-pod" + kUidUnderscores + ".slice/crio-" + kId + ".scope", kUid, kId},
        Case{"SystemdDockerBesteffort",
             "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + kUidUnderscores +
                 ".slice/docker-" + kId + ".scope",
             kUid, kId},
        Case{"SystemdPodLevel",
             "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kUidUnderscores + ".slice",
             kUid, ""},
        Case{"SystemdCrioConmonIsNotAContainer",
             "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kUidUnderscores +
                 ".slice/crio-conmon-" + kId + ".scope",
             kUid, ""},
        Case{"KindNestedUnderKubeletSlice",
             "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
             "kubelet-kubepods-besteffort-pod" +
                 kUidUnderscores + ".slice/cri-containerd-" + kId + ".scope",
             kUid, kId},
        // kubelet cgroupfs driver
        Case{"CgroupfsCrioBesteffort", "/kubepods/besteffort/pod" + kUid + "/crio-" + kId, kUid, kId},
        Case{"CgroupfsContainerdBurstable", "/kubepods/burstable/pod" + kUid + "/" + kId, kUid, kId},
        Case{"CgroupfsGuaranteed", "/kubepods/pod" + kUid + "/" + kId, kUid, kId},
        Case{"CgroupfsPodLevel", "/kubepods/burstable/pod" + kUid, kUid, ""},
        Case{"ContainerSubCgroup", "/kubepods/burstable/pod" + kUid + "/" + kId + "/init.scope", kUid, kId},
        // Docker without Kubernetes
        Case{"DockerSystemd", "/system.slice/docker-" + kId + ".scope", "", kId},
        Case{"DockerCgroupfs", "/docker/" + kId, "", kId},
        // host cgroups
        Case{"Root", "/", "", ""}, Case{"Empty", "", "", ""},
        Case{"HostService", "/system.slice/ssh.service", "", ""},
        Case{"UserSession", "/user.slice/user-0.slice/session-1.scope", "", ""},
        Case{"KubepodsItself", "/kubepods.slice/kubepods-burstable.slice", "", ""},
        // malformed
        Case{"UidNotAUuid", "/kubepods/burstable/podnot-a-uid/" + kId, "", ""},
        Case{"UidTooShort", "/kubepods/burstable/pod" + kUid.substr(1) + "/" + kId, "", ""},
        Case{"UidUppercase", "/kubepods/burstable/pod0A1B2C3D-4E5F-6789-ABCD-EF0123456789/" + kId, "", ""},
        Case{"UidBadSeparator", "/kubepods/burstable/pod0a1b2c3d+4e5f-6789-abcd-ef0123456789/" + kId, "", ""},
        Case{"ContainerIdTooShort", "/kubepods/burstable/pod" + kUid + "/" + kId.substr(1), kUid, ""},
        Case{"ContainerIdNotHex", "/kubepods/burstable/pod" + kUid + "/crio-" + std::string(64, 'z'), kUid,
             ""},
        Case{"PodOutsideKubepods", "/system.slice/pod" + kUid + "/" + kId, "", ""},
        Case{"DockerShortId", "/system.slice/docker-abc.scope", "", ""},
        Case{"Garbage", "\xff\xfe//kubepods//pod", "", ""}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

}  // namespace
}  // namespace hostprobe
