// Reading tracepoint shapes from BTF, on BTF built in memory with the shapes
// of kernels before and after 5.11 (no root, no kernel BTF needed).
#include "collectors/bpf_features.h"

#include <bpf/btf.h>
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "collectors/bpf_util.h"
#include "collectors/diskio_collector.h"
#include "process_events.skel.h"
#include "syscalls.skel.h"

namespace hostprobe {
namespace {

struct BtfDeleter {
  void operator()(btf* b) const { btf__free(b); }
};
using BtfPtr = std::unique_ptr<btf, BtfDeleter>;

// typedef void (*btf_trace_<tp>)(void *, <struct arg>*...), as the kernel declares tracepoints.
BtfPtr TracepointBtf(const std::string& tp, const std::vector<std::string>& struct_args) {
  BtfPtr b(btf__new_empty());
  int void_ptr = btf__add_ptr(b.get(), 0);
  std::vector<int> arg_types;
  for (const auto& name : struct_args)
    arg_types.push_back(btf__add_ptr(b.get(), btf__add_struct(b.get(), name.c_str(), 8)));
  int proto = btf__add_func_proto(b.get(), 0);
  btf__add_func_param(b.get(), "__data", void_ptr);
  for (size_t i = 0; i < arg_types.size(); ++i)
    btf__add_func_param(b.get(), ("arg" + std::to_string(i)).c_str(), arg_types[i]);
  btf__add_typedef(b.get(), ("btf_trace_" + tp).c_str(), btf__add_ptr(b.get(), proto));
  return b;
}

TEST(TracepointFirstArgStructTest, BlockRqIssueSince511TakesTheRequest) {
  auto b = TracepointBtf("block_rq_issue", {"request"});
  EXPECT_EQ(TracepointFirstArgStruct(b.get(), "block_rq_issue"), "request");
}

TEST(TracepointFirstArgStructTest, BlockRqIssueBefore511TakesTheQueueFirst) {
  auto b = TracepointBtf("block_rq_issue", {"request_queue", "request"});
  EXPECT_EQ(TracepointFirstArgStruct(b.get(), "block_rq_issue"), "request_queue");
}

TEST(TracepointFirstArgStructTest, UnknownTracepointOrNoArgumentsIsEmpty) {
  auto b = TracepointBtf("block_rq_issue", {});
  EXPECT_EQ(TracepointFirstArgStruct(b.get(), "block_rq_issue"), "");
  EXPECT_EQ(TracepointFirstArgStruct(b.get(), "sched_switch"), "");
}

TEST(DiskioStartTest, RefusesAKernelWhoseBlockTracepointsPassTheQueueFirst) {
  BpfFeatures old_kernel;
  old_kernel.vmlinux_btf = true;
  old_kernel.block_rq_issue_first_arg = "request_queue";
  for (HookMode mode : {HookMode::kAuto, HookMode::kTpBtf, HookMode::kRawTp}) {
    auto started = DiskioCollector::Start(mode, old_kernel);
    ASSERT_FALSE(started.ok());
    EXPECT_NE(started.error().message.find("before 5.11"), std::string::npos) << started.error().message;
  }
}

// Opening a skeleton needs no privilege: the map flags are checked as the
// loader leaves them for the kernel.
TEST(ConfigureMapAllocationTest, NoPreallocIsKeptOnlyWhereTheKernelAllocatesInAnyContext) {
  auto no_prealloc = [](bpf_map* m) { return (bpf_map__map_flags(m) & BPF_F_NO_PREALLOC) != 0; };
  BpfFeatures with, without;
  with.any_context_map_alloc = true;
  without.any_context_map_alloc = false;

  process_events_bpf* pe = process_events_bpf__open();
  ASSERT_NE(pe, nullptr);
  ConfigureMapAllocation("test", pe->obj, with);
  EXPECT_TRUE(no_prealloc(pe->maps.process_cgroups));
  EXPECT_TRUE(no_prealloc(pe->maps.process_crashes));
  ConfigureMapAllocation("test", pe->obj, without);
  EXPECT_FALSE(no_prealloc(pe->maps.process_cgroups));
  EXPECT_FALSE(no_prealloc(pe->maps.process_crashes));
  EXPECT_FALSE(no_prealloc(pe->maps.exits_seen));  // an LRU hash: never had it
  process_events_bpf__destroy(pe);

  syscalls_bpf* sc = syscalls_bpf__open();
  ASSERT_NE(sc, nullptr);
  ConfigureMapAllocation("test", sc->obj, without);
  EXPECT_FALSE(no_prealloc(sc->maps.cgroup_syscalls));
  EXPECT_FALSE(no_prealloc(sc->maps.syscall_errnos));
  EXPECT_TRUE(no_prealloc(sc->maps.inflight_task)) << "task storage requires the flag";
  syscalls_bpf__destroy(sc);
}

}  // namespace
}  // namespace hostprobe
