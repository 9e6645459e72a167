#include "core/capabilities.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "collectors/privileges.h"

namespace hostprobe {
namespace {

using ::testing::HasSubstr;

std::string ReadFile(const char* path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

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

// Every name the sensor has printed for bits 0..40 (its table before libcap
// named them), in --keep-capabilities and the drop's log lines.
TEST(CapabilitiesTest, NamesAreTheOnesAlwaysPrinted) {
  const std::string expected =
      "cap_chown,cap_dac_override,cap_dac_read_search,cap_fowner,cap_fsetid,cap_kill,cap_setgid,cap_setuid,"
      "cap_setpcap,cap_linux_immutable,cap_net_bind_service,cap_net_broadcast,cap_net_admin,cap_net_raw,"
      "cap_ipc_lock,cap_ipc_owner,cap_sys_module,cap_sys_rawio,cap_sys_chroot,cap_sys_ptrace,cap_sys_pacct,"
      "cap_sys_admin,cap_sys_boot,cap_sys_nice,cap_sys_resource,cap_sys_time,cap_sys_tty_config,cap_mknod,"
      "cap_lease,cap_audit_write,cap_audit_control,cap_setfcap,cap_mac_override,cap_mac_admin,cap_syslog,"
      "cap_wake_alarm,cap_block_suspend,cap_audit_read,cap_perfmon,cap_bpf,cap_checkpoint_restore";
  EXPECT_EQ(CapabilityNames((CapBit(kCapLastKnown) << 1) - 1), expected);
  // What is printed parses back to the same bits.
  EXPECT_EQ(ParseCapabilityList(expected).value(), (CapBit(kCapLastKnown) << 1) - 1);
  EXPECT_EQ(CapabilityName(kCapSysAdmin), "cap_sys_admin");
  EXPECT_EQ(CapabilityName(63), "cap_63");
  EXPECT_EQ(CapabilityNames(CapBit(63) | CapBit(0)), "cap_chown,cap_63");
}

// libcap's cap_from_name is looser than the flag: numbers and blanks are no names.
TEST(CapabilitiesTest, ListsTakeNamesOnly) {
  for (const char* bad : {"39", "cap_39", "cap_bpf ", " bpf", "bpf\t", "all", "=ep", "cap_bpf+ep"}) {
    auto r = ParseCapabilityList(bad);
    EXPECT_FALSE(r.ok()) << bad;
  }
  EXPECT_EQ(ParseCapabilityList("Cap_Sys_Admin,PERFMON").value(), CapBit(kCapSysAdmin) | CapBit(kCapPerfmon));
}

TEST(CapabilitiesTest, TracingProgramsNeedBpfAndPerfmonOrSysAdmin) {
  EXPECT_TRUE(CanLoadTracingPrograms(CapBit(kCapSysAdmin)));
  EXPECT_TRUE(CanLoadTracingPrograms(CapBit(kCapBpf) | CapBit(kCapPerfmon)));
  EXPECT_TRUE(CanLoadTracingPrograms(~uint64_t{0}));
  EXPECT_FALSE(CanLoadTracingPrograms(CapBit(kCapBpf)));
  EXPECT_FALSE(CanLoadTracingPrograms(CapBit(kCapPerfmon) | CapBit(kCapSysPtrace)));
  EXPECT_FALSE(CanLoadTracingPrograms(0));
}

// The sets read back what /proc says of this thread, and setting them acts
// on the calling thread alone (the map probe of privileges.cpp drops every
// capability of a thread of its own and must leave the others theirs).
TEST(ThreadCapabilitiesTest, ReadsThisThreadAndSetsOnlyIt) {
  auto mine = ReadThreadCapabilities();
  ASSERT_TRUE(mine.ok()) << mine.error().message;
  auto status = ParseCapabilitySets(ReadFile("/proc/thread-self/status"));
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ(mine->effective, status->effective);
  EXPECT_EQ(mine->permitted, status->permitted);
  EXPECT_EQ(mine->inheritable, status->inheritable);

  ThreadCapabilities there_after{~uint64_t{0}, ~uint64_t{0}, ~uint64_t{0}};
  std::string error;
  std::thread([&] {
    if (auto st = SetThreadCapabilities({}); !st.ok()) error = st.error().message;
    if (auto r = ReadThreadCapabilities(); r.ok()) there_after = *r;
  }).join();
  EXPECT_EQ(error, "");
  EXPECT_EQ(there_after.effective, 0u);
  EXPECT_EQ(there_after.permitted, 0u);
  EXPECT_EQ(there_after.inheritable, 0u);
  auto still = ReadThreadCapabilities();
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still->effective, mine->effective);
  EXPECT_EQ(still->permitted, mine->permitted);
}

}  // namespace
}  // namespace hostprobe
