// Pieces every eBPF collector shares: choosing tp_btf or raw_tp, attaching
// programs one by one with a status each, and reading per-CPU maps.
#pragma once

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "collectors/bpf_features.h"
#include "collectors/mapped_map.h"
#include "core/collector.h"
#include "core/options.h"
#include "core/result.h"

namespace hostprobe {

// One program to attach, and the skeleton slot that will own its link.
struct AttachSpec {
  bpf_program* program;
  bpf_link** link;
  std::string attach;  // "tp_btf/sys_enter", for logs and /healthz
};

// HOSTPROBE_TEST_REFUSE_ATTACH=prog[,prog...] makes those programs fail to
// attach as if the kernel had refused them, so tests can prove that the other
// collectors run on and that /healthz names the failure. A test hook
// (core/test_hooks.h): always false in a build without them.
bool RefusedForTesting(const std::string& program);

// Attaches each program independently so one failure does not hide others.
// Failures are logged with libbpf's reason and returned in the statuses.
std::vector<HookStatus> AttachPrograms(const std::string& collector, const std::vector<AttachSpec>& specs);

// HOSTPROBE_TEST_MAX_ENTRIES=map=N[,map=N...] shrinks those maps of `obj`
// (between open and load) so tests can overflow an LRU map with a small
// burst. A test hook (core/test_hooks.h): a no-op when unset and in a build
// without them.
void ApplyTestMaxEntries(const std::string& collector, bpf_object* obj);

// Hash maps that a BPF object declares BPF_F_NO_PREALLOC take memory for the
// keys that exist, allocated as a program inserts them, instead of for
// max_entries of them (each value times the possible CPUs for a per-CPU
// hash). Where the kernel cannot allocate safely from every program context
// (`features.any_context_map_alloc` false, before 6.1) the flag is cleared
// and those maps are preallocated, as they always were there. Call between
// open and load.
void ConfigureMapAllocation(const std::string& collector, bpf_object* obj, const BpfFeatures& features);

// Options for opening every skeleton (`<name>_bpf__open_opts`): the running
// kernel's BTF named explicitly (btf_custom_path) as the target of CO-RE
// relocations. Without it, libbpf looks for a type the kernel lacks (a CO-RE
// flavour such as mm_rss_stat___atomic, gone since 6.2) in every kernel
// module's BTF too, and listing those (BPF_BTF_GET_NEXT_ID) needs
// CAP_SYS_ADMIN: with only CAP_BPF and CAP_PERFMON the whole object fails to
// load. No program here relocates against a module's type. libbpf then never
// lists module BTF for CO-RE; tp_btf/fexit targets are still looked up in
// vmlinux BTF first, modules only for a target vmlinux lacks. nullptr
// (libbpf's defaults) where /sys/kernel/btf/vmlinux cannot be read.
const bpf_object_open_opts* SkeletonOpenOpts();

// Number of statuses that are attached.
size_t CountAttached(const std::vector<HookStatus>& hooks);

// Runs of the program the kernel skipped because a BPF program was already
// running on that CPU (its recursion guard): bpf_prog_info's
// recursion_misses (Linux 5.12+). nullopt where the kernel does not report
// the field, or `prog_fd` is not a program.
std::optional<uint64_t> ReadRecursionMisses(int prog_fd);

// Every BPF map this process holds open, with the kernel memory it holds
// (/proc/self/fdinfo's memlock, named through BPF_OBJ_GET_INFO_BY_FD). Maps
// whose fdinfo or info cannot be read are left out.
std::vector<BpfMapMemory> ReadOwnBpfMapMemory();

// Runs `start(use_tp_btf)` honouring --bpf-hook: auto prefers tp_btf when
// `tp_btf_available` and retries once with raw_tp if that load fails.
template <typename T>
Result<T> StartWithHookMode(const std::string& collector, HookMode mode, bool tp_btf_available,
                            const BpfFeatures& features, const std::function<Result<T>(bool)>& start);

// Sum over CPUs of the u64 slots [0, count) of a per-CPU array.
Result<std::vector<uint64_t>> ReadPerCpuCounters(int fd, uint32_t count);

// Reads a per-CPU array of a program's own failure counters (its
// *_self_stats map, indexed by the program's enum) into `out`.
template <size_t N>
Status ReadSelfStats(int fd, std::array<uint64_t, N>& out) {
  auto sums = ReadPerCpuCounters(fd, static_cast<uint32_t>(N));
  if (!sums) return sums.error();
  std::copy(sums->begin(), sums->end(), out.begin());
  return Ok{};
}

// The health of a collector whose events may be rare (a quiet collector is
// no evidence of a fault): every hook attached (DetachedHook) and its
// self-stats counters, `count` of them, readable.
CollectorHealth AttachedAndReadable(const std::vector<HookStatus>& hooks, int self_stats_fd, uint32_t count);

// Calls f(key, values) for every entry of a hash map whose entries hold
// `ncpus` values each (the possible CPUs for a per-CPU map, 1 for a shared
// one). Uses BPF_MAP_LOOKUP_BATCH (5.6+: a few syscalls for thousands of
// entries, which keeps scrapes of busy hosts fast) and falls back to
// key-by-key iteration where the kernel lacks it. Entries deleted while
// iterating are skipped.
template <typename K, typename V, typename F>
void ForEachEntryValues(int fd, size_t ncpus, F&& f) {
  constexpr uint32_t kBatch = 256;
  std::vector<K> keys(kBatch);
  std::vector<V> values(kBatch * ncpus);
  uint32_t token = 0;
  bool first = true;
  for (;;) {
    uint32_t count = kBatch;
    int err = bpf_map_lookup_batch(fd, first ? nullptr : &token, &token, keys.data(), values.data(), &count,
                                   nullptr);
    if (err == 0 || err == -ENOENT) {
      for (uint32_t i = 0; i < count; ++i) f(keys[i], std::span<const V>(values.data() + i * ncpus, ncpus));
      if (err == -ENOENT) return;  // that was the last batch
      first = false;
      continue;
    }
    if (!first) return;  // a failure mid-way: the entries already passed on stand
    break;               // no batch support: iterate below
  }
  std::vector<V> one(ncpus);
  K key{}, next{};
  K* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    key = next;
    prev = &key;
    if (bpf_map_lookup_elem(fd, &key, one.data()) != 0) continue;
    f(key, std::span<const V>(one));
  }
}

// Calls f(key, per_cpu_values) for every entry of a per-CPU map.
template <typename K, typename V, typename F>
void ForEachPerCpuEntry(int fd, F&& f) {
  ForEachEntryValues<K, V>(fd, static_cast<size_t>(libbpf_num_possible_cpus()), std::forward<F>(f));
}

// Calls f(key, value) for every entry of a shared (not per-CPU) map.
template <typename K, typename V, typename F>
void ForEachEntry(int fd, F&& f) {
  ForEachEntryValues<K, V>(fd, 1, [&f](const K& key, std::span<const V> v) { f(key, v.front()); });
}

// Deletes the given keys from a hash map.
template <typename K>
void DeleteKeys(int fd, const std::vector<K>& keys) {
  for (const K& k : keys) bpf_map_delete_elem(fd, &k);
}

}  // namespace hostprobe

#include "collectors/bpf_util_impl.h"
