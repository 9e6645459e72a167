#include "collectors/diskio_collector.h"

#include <algorithm>
#include <cerrno>

#include "collectors/bpf_loader.h"
#include "collectors/bpf_util.h"
#include "collectors/libbpf_log.h"
#include "core/histogram.h"
#include "diskio.skel.h"

namespace hostprobe {

static_assert(sizeof(hp_disk_key) == 8);
static_assert(sizeof(hp_disk_stats) == 8 * (3 + HP_LATENCY_BUCKETS));
static_assert(sizeof(hp_disk_cgroup_stats) == 8 * HP_DISK_OP__COUNT);

void DiskioCollector::SkelDeleter::operator()(diskio_bpf* s) const { diskio_bpf__destroy(s); }

Result<std::unique_ptr<DiskioCollector>> DiskioCollector::Start(HookMode mode, const BpfFeatures& features) {
  // Both hook families read the request as the tracepoint's first argument;
  // before 5.11 that was the request queue, and the counts would be garbage.
  if (!features.block_rq_issue_first_arg.empty() && features.block_rq_issue_first_arg != "request") {
    return Error{"block_rq_issue passes struct " + features.block_rq_issue_first_arg +
                     " first, not struct request (kernels before 5.11): disk I/O is not collected on this "
                     "kernel",
                 ENOTSUP};
  }
  return StartWithHookMode<std::unique_ptr<DiskioCollector>>(
      "diskio", mode, features.HasTpBtf({"block_rq_issue", "block_rq_complete"}), features,
      [&features](bool use_tp_btf) { return StartWith(use_tp_btf, features); });
}

Result<std::unique_ptr<DiskioCollector>> DiskioCollector::StartWith(bool use_tp_btf,
                                                                    const BpfFeatures& features) {
  std::unique_ptr<DiskioCollector> c(new DiskioCollector());
  if (Status st = OpenSkeleton("diskio", c->skel_, diskio_bpf__open_opts); !st.ok()) return st.error();
  diskio_bpf* s = c->skel_.get();
  const LoadPlan plan{
      "diskio",
      s->skeleton,
      {
          BpfHook::Tracepoint("block_rq_issue", {s->progs.hp_block_issue, &s->links.hp_block_issue},
                              {s->progs.hp_block_issue_raw, &s->links.hp_block_issue_raw}),
          BpfHook::Tracepoint("block_rq_complete", {s->progs.hp_block_done, &s->links.hp_block_done},
                              {s->progs.hp_block_done_raw, &s->links.hp_block_done_raw}),
          // Bytes per cgroup, per bio (see diskio.bpf.c). block_bio_queue passes
          // the bio first since 5.11, as block_rq_issue the request (checked in
          // Start).
          BpfHook::Tracepoint("block_bio_queue", {s->progs.hp_bio_queue, &s->links.hp_bio_queue},
                              {s->progs.hp_bio_queue_raw, &s->links.hp_bio_queue_raw})
              .TpBtfAvailable(features.HasTpBtf({"block_bio_queue"})),
      }};
  if (Status st = TakeHooks(LoadAndAttach(plan, use_tp_btf, features), c->family_, c->hooks_); !st.ok())
    return st.error();
  return c;
}

DiskioCollector::~DiskioCollector() = default;

CollectorHealth DiskioCollector::health() {
  // Disks may be idle for hours, so no event is no evidence of a fault;
  // proving the maps can be read is what is left to check.
  return AttachedAndReadable(hooks_, bpf_map__fd(skel_->maps.diskio_self_stats), HP_DISK_STAT__COUNT);
}

Result<DiskioSnapshot> DiskioCollector::ReadDiskio() {
  DiskioSnapshot snap;
  ForEachPerCpuEntry<hp_disk_key, hp_disk_stats>(
      bpf_map__fd(skel_->maps.disk_stats), [&](const hp_disk_key& key, std::span<const hp_disk_stats> v) {
        DiskCounts d;
        d.major = DevMajor(key.dev);
        d.minor = DevMinor(key.dev);
        d.op = key.op;
        for (const auto& x : v) {
          d.bytes += x.bytes;
          d.ops += x.ops;
          d.latency_sum_ns += x.latency_sum_ns;
          for (size_t b = 0; b < HP_LATENCY_BUCKETS; ++b)
            d.latency_slots[LatencyBucketSlot(b)] += x.latency_buckets[b];
        }
        snap.disks.push_back(d);
      });
  // Shared by all CPUs: one value per cgroup (see diskio.bpf.c).
  ForEachEntry<uint64_t, hp_disk_cgroup_stats>(bpf_map__fd(skel_->maps.disk_cgroups),
                                               [&](uint64_t id, const hp_disk_cgroup_stats& v) {
                                                 CgroupDiskBytes c;
                                                 c.cgroup_id = id;
                                                 for (size_t op = 0; op < HP_DISK_OP__COUNT; ++op)
                                                   c.bytes[op] = v.bytes[op];
                                                 snap.cgroups.push_back(c);
                                               });
  if (Status st = ReadSelfStats(bpf_map__fd(skel_->maps.diskio_self_stats), snap.self_stats); !st.ok())
    return st.error();
  return snap;
}

void DiskioCollector::ForgetCgroups(const std::vector<uint64_t>& ids) {
  DeleteKeys(bpf_map__fd(skel_->maps.disk_cgroups), ids);
}

}  // namespace hostprobe
