#include "core/capabilities.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hostprobe {
namespace {

using ::testing::HasSubstr;

// The tail of a real /proc/<pid>/status (kernel 6.x) after a full drop by a
// process that kept cap_bpf.
constexpr const char* kStatus =
    "Name:\thostprobe\n"
    "Umask:\t0022\n"
    "State:\tS (sleeping)\n"
    "Uid:\t0\t0\t0\t0\n"
    "CapInh:\t0000000000000000\n"
    "CapPrm:\t0000008000000000\n"
    "CapEff:\t0000008000000000\n"
    "CapBnd:\t0000008000000000\n"
    "CapAmb:\t0000000000000000\n"
    "NoNewPrivs:\t1\n"
    "Seccomp:\t0\n";

TEST(CapabilitiesTest, ParsesEverySet) {
  auto s = ParseCapabilitySets(kStatus);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->inheritable, 0u);
  EXPECT_EQ(s->permitted, CapBit(kCapBpf));
  EXPECT_EQ(s->effective, CapBit(kCapBpf));
  EXPECT_EQ(s->bounding, CapBit(kCapBpf));
  EXPECT_EQ(s->ambient, 0u);
  EXPECT_TRUE(s->no_new_privs);
}

TEST(CapabilitiesTest, RootBeforeTheDrop) {
  auto s = ParseCapabilitySets(
      "CapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\n"
      "CapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\n");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->effective, (CapBit(kCapLastKnown) << 1) - 1);
  EXPECT_FALSE(s->no_new_privs);
}

TEST(CapabilitiesTest, NoNewPrivsLineIsOptional) {
  auto s = ParseCapabilitySets("CapInh:\t0\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t0000003fffffffff\nCapAmb:\t0\n");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_FALSE(s->no_new_privs);
  EXPECT_EQ(s->bounding, 0x3fffffffffu);
}

TEST(CapabilitiesTest, MissingOrMalformedLinesFail) {
  auto missing = ParseCapabilitySets("CapInh:\t0\nCapPrm:\t0\nCapBnd:\t0\nCapAmb:\t0\n");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().message, HasSubstr("CapEff"));
  auto bad = ParseCapabilitySets("CapInh:\t0\nCapPrm:\t0\nCapEff:\t00zz\nCapBnd:\t0\nCapAmb:\t0\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message, HasSubstr("00zz"));
  EXPECT_FALSE(ParseCapabilitySets("").ok());
  // "CapEffective" is not "CapEff".
  EXPECT_FALSE(
      ParseCapabilitySets("CapInh:\t0\nCapPrm:\t0\nCapEffective:\t0\nCapBnd:\t0\nCapAmb:\t0\n").ok());
}

TEST(CapabilitiesTest, Names) {
  EXPECT_EQ(CapabilityNames(0), "none");
  EXPECT_EQ(CapabilityNames(CapBit(kCapBpf) | CapBit(kCapPerfmon)), "cap_perfmon,cap_bpf");
  EXPECT_EQ(CapabilityNames(CapBit(0) | CapBit(kCapSysAdmin)), "cap_chown,cap_sys_admin");
  EXPECT_EQ(CapabilityNames(CapBit(kCapCheckpointRestore)), "cap_checkpoint_restore");
  EXPECT_EQ(CapabilityNames(CapBit(41)), "cap_41");
}

TEST(CapabilitiesTest, ParsesLists) {
  EXPECT_EQ(ParseCapabilityList("dac_read_search").value(), CapBit(kCapDacReadSearch));
  EXPECT_EQ(ParseCapabilityList("CAP_SYS_PTRACE,cap_dac_read_search").value(),
            CapBit(kCapSysPtrace) | CapBit(kCapDacReadSearch));
  EXPECT_EQ(ParseCapabilityList("bpf,bpf").value(), CapBit(kCapBpf));
  for (const char* bad : {"", "dac_read_search,", "cap_", "cap_everything", "bpf,,perfmon", "cap_41"}) {
    auto r = ParseCapabilityList(bad);
    EXPECT_FALSE(r.ok()) << bad;
  }
  EXPECT_THAT(ParseCapabilityList("bpf,nope").error().message, HasSubstr("\"nope\""));
}

}  // namespace
}  // namespace hostprobe
