// libbpf's messages as the sensor logs and reports them, fed through the
// installed print callback (no root, no kernel).
#include "collectors/libbpf_log.h"

#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <cstdarg>
#include <string>

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

}  // namespace
}  // namespace hostprobe
