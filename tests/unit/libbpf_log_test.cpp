// libbpf's messages as the sensor logs and reports them, fed through the
// installed print callback (no root, no kernel).
#include "collectors/libbpf_log.h"

#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <cstdarg>
#include <string>
#include <thread>

namespace hostprobe {
namespace {

int Print(libbpf_print_fn_t fn, enum libbpf_print_level level, const char* format, ...) {
  va_list args;
  va_start(args, format);
  int n = fn(level, format, args);
  va_end(args);
  return n;
}

libbpf_print_fn_t InstalledPrinter() {
  InstallLibbpfLogger();
  libbpf_print_fn_t fn = libbpf_set_print(nullptr);
  libbpf_set_print(fn);
  return fn;
}

TEST(LibbpfLogTest, FailureCarriesTheVerifierReasonFromTheEndOfALongLog) {
  libbpf_print_fn_t fn = InstalledPrinter();
  ASSERT_NE(fn, nullptr);
  // Longer than any fixed buffer: the reason is at the end.
  std::string body;
  for (int i = 0; i < 200; ++i) body += std::to_string(i) + ": (b7) r3 = 36                      ; R3_w=36\n";
  body +=
      "94: (79) r1 = *(u64 *)(r0 +24)\n"
      "R0 unbounded memory access, make sure to bounds check any such access\n"
      "processed 224 insns (limit 1000000) max_states_per_insn 1 total_states 19\n";
  int n = Print(fn, LIBBPF_WARN, "libbpf: prog '%s': -- BEGIN PROG LOAD LOG --\n%s-- END PROG LOAD LOG --\n",
                "hp_sys_exit", body.c_str());
  EXPECT_GT(n, 1024);
  Print(fn, LIBBPF_WARN, "libbpf: failed to load BPF skeleton '%s': %d\n", "syscalls_bpf", -13);

  Error e = LibbpfFailure("load syscalls BPF programs (raw_tp)", -13);
  EXPECT_NE(e.message.find("failed to load BPF skeleton 'syscalls_bpf'"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("verifier (hp_sys_exit): R0 unbounded memory access, make sure to bounds check"),
            std::string::npos)
      << e.message;
  EXPECT_EQ(e.err, 13);

  // Reported once: a later, unrelated failure does not inherit it.
  Print(fn, LIBBPF_WARN, "libbpf: failed to load BPF skeleton '%s': %d\n", "diskio_bpf", -22);
  Error later = LibbpfFailure("load diskio BPF programs (tp_btf)", -22);
  EXPECT_EQ(later.message.find("verifier"), std::string::npos) << later.message;
  EXPECT_NE(later.message.find("diskio_bpf"), std::string::npos) << later.message;
}

// A warning of an earlier operation (here an attach that failed and was
// handled) is not the reason of a later failure that printed none.
TEST(LibbpfLogTest, AnOperationDoesNotInheritAnEarlierOperationsWarning) {
  libbpf_print_fn_t fn = InstalledPrinter();
  ASSERT_NE(fn, nullptr);
  BeginLibbpfOperation();
  Print(fn, LIBBPF_WARN, "libbpf: prog '%s': failed to attach: %s\n", "hp_probe_entry", "No such file");
  EXPECT_NE(LastLibbpfWarning().find("hp_probe_entry"), std::string::npos);

  BeginLibbpfOperation();
  EXPECT_EQ(LastLibbpfWarning(), "");
  Error e = LibbpfFailure("load map_evictions BPF program", -95);
  EXPECT_EQ(e.message.find("hp_probe_entry"), std::string::npos) << e.message;
  EXPECT_EQ(e.message.find('['), std::string::npos) << e.message;  // no reason quoted at all
  EXPECT_EQ(e.err, 95);
}

// A verifier refusal in an operation that did not fail through LibbpfFailure
// (a feature probe, a fallback taken) is forgotten when the next one begins.
TEST(LibbpfLogTest, AVerifierReasonDoesNotOutliveItsOperation) {
  libbpf_print_fn_t fn = InstalledPrinter();
  ASSERT_NE(fn, nullptr);
  BeginLibbpfOperation();
  Print(fn, LIBBPF_WARN, "libbpf: prog '%s': -- BEGIN PROG LOAD LOG --\n%s-- END PROG LOAD LOG --\n",
        "hp_probe",
        "0: (85) call bpf_ktime_get_boot_ns#125\nunknown func bpf_ktime_get_boot_ns#125\n"
        "processed 1 insns (limit 1000000)\n");

  BeginLibbpfOperation();
  Print(fn, LIBBPF_WARN, "libbpf: failed to load BPF skeleton '%s': %d\n", "diskio_bpf", -22);
  Error e = LibbpfFailure("load diskio BPF programs (tp_btf)", -22);
  EXPECT_EQ(e.message.find("verifier"), std::string::npos) << e.message;
  EXPECT_EQ(e.message.find("hp_probe"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("[libbpf: failed to load BPF skeleton 'diskio_bpf': -22]"), std::string::npos)
      << e.message;
}

// A failure reports its warning once: what follows starts clean.
TEST(LibbpfLogTest, AFailureConsumesItsWarning) {
  libbpf_print_fn_t fn = InstalledPrinter();
  ASSERT_NE(fn, nullptr);
  BeginLibbpfOperation();
  Print(fn, LIBBPF_WARN, "libbpf: failed to load BPF skeleton '%s': %d\n", "cgroup_cpu_bpf", -1);
  Error first = LibbpfFailure("load cgroup_cpu BPF programs (tp_btf)", -1);
  EXPECT_NE(first.message.find("cgroup_cpu_bpf"), std::string::npos) << first.message;
  EXPECT_EQ(LastLibbpfWarning(), "");
  Error second = LibbpfFailure("load cgroup_cpu BPF programs (raw_tp)", -1);
  EXPECT_EQ(second.message.find("cgroup_cpu_bpf"), std::string::npos) << second.message;
}

// libbpf prints from the calling thread: another thread's warnings (the
// latency windows' attaches) never become this thread's reason.
TEST(LibbpfLogTest, WarningsOfAnotherThreadAreNotThisThreads) {
  libbpf_print_fn_t fn = InstalledPrinter();
  ASSERT_NE(fn, nullptr);
  BeginLibbpfOperation();
  std::string seen_there;
  std::thread([&] {
    Print(fn, LIBBPF_WARN, "libbpf: prog '%s': failed to attach: %s\n", "hp_sys_enter", "Device busy");
    seen_there = LastLibbpfWarning();
  }).join();
  EXPECT_NE(seen_there.find("hp_sys_enter"), std::string::npos);
  EXPECT_EQ(LastLibbpfWarning(), "");
  Error e = LibbpfFailure("load uprobes BPF programs", -2);
  EXPECT_EQ(e.message.find("hp_sys_enter"), std::string::npos) << e.message;
}

}  // namespace
}  // namespace hostprobe
