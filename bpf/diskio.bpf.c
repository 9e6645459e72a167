// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Block I/O per device and op: bytes, operations and latency from issue to
 * completion, aggregated in the kernel; bytes per cgroup.
 *
 * block_rq_issue records when a request went to the device in an LRU hash
 * keyed by the request pointer; block_rq_complete adds the completed bytes
 * and the latency. Requests issued before we attached are still counted
 * (bytes and ops), only without latency.
 *
 * Bytes per cgroup are counted per bio, not per request: a request can hold
 * bios of several cgroups (merges), and it may be issued by a task that did
 * not submit it (a plug flushed by another task, a dispatch from kblockd
 * when the queue was busy). block_bio_queue runs in the submitting task as
 * the bio enters the block layer, once per bio (a split's remainder is not
 * traced again), and the bio's bytes are charged there, at submission, as
 * the kernel's own io.stat counts them (blk_cgroup_bio_start); blk-mq
 * completes bios without block_bio_complete. The cgroup is the one the block layer
 * itself charges (the bio's blkcg) where the io controller is on cgroup v2
 * and that blkcg is below the root, as io.stat counts it; otherwise (the io
 * controller on a v1 hierarchy, or not enabled below the root) the
 * submitting task's, so writeback that kernel threads submit is charged to
 * their cgroup, the root. Only bios of request-based (blk-mq) disks are
 * counted, the level whose requests the device totals count: a device
 * mapper or md bio and the bios it is remapped into are not counted twice.
 *
 * tp_btf and raw_tp variants of both hooks are in this object; the loader
 * switches one off before loading (see syscalls.bpf.c).
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bits.bpf.h"
#include "core_fixes.bpf.h"
#include "diskio.h"
#include "maps.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct hp_rq_start {
	__u64 issue_ns;
};


struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HP_MAX_INFLIGHT_RQ);
	__type(key, __u64);
	__type(value, struct hp_rq_start);
} rq_start SEC(".maps");

/* Per CPU: every request completion writes it, and a disk's requests
 * complete on many CPUs at once. Preallocated, with the coarse histogram
 * layout (144 bytes per pair and possible CPU, 9 MiB for 512 pairs at 128
 * possible CPUs): the pairs are few and come at boot, and a per-CPU hash
 * allocated on insert keeps, on 6.1 to 6.6, dozens of spare values (each
 * times the possible CPUs) on every CPU that inserted once. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, HP_MAX_DISK_KEYS);
	__type(key, struct hp_disk_key);
	__type(value, struct hp_disk_stats);
} disk_stats SEC(".maps");

/* Shared by all CPUs, added to atomically: one cgroup's bios rarely arrive
 * on several CPUs in the same instant, and per CPU it would cost 40 bytes
 * per cgroup and possible CPU (80 MiB for 16,384 cgroups at 128). Allocated
 * on insert (BPF_F_NO_PREALLOC): memory for the cgroups seen. The loader
 * drops the flag where the kernel cannot allocate in any program context
 * (ConfigureMapAllocation); a failed insert is counted in diskio_self_stats
 * either way. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, HP_MAX_DISK_CGROUPS);
	__type(key, __u64);
	__type(value, struct hp_disk_cgroup_stats);
} disk_cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HP_DISK_STAT__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} diskio_self_stats SEC(".maps");

/* The low 8 bits of a request's cmd_flags or a bio's bi_opf are the op
 * (REQ_OP_MASK). */
static __always_inline __u32 disk_op(__u32 flags)
{
	__u32 op = flags & 0xff;

	switch (op) {
	case 0: return HP_DISK_OP_READ;     /* REQ_OP_READ */
	case 1: return HP_DISK_OP_WRITE;    /* REQ_OP_WRITE */
	case 2: return HP_DISK_OP_FLUSH;    /* REQ_OP_FLUSH */
	case 3: return HP_DISK_OP_DISCARD;  /* REQ_OP_DISCARD */
	default: return HP_DISK_OP_OTHER;
	}
}

static __always_inline __u32 request_op(struct request *rq)
{
	return disk_op(BPF_CORE_READ(rq, cmd_flags));
}

/* The cgroup v2 id the block layer charges a bio to (its blkcg), or 0 when
 * that is not a cgroup v2 cgroup below the root: the io controller lives on
 * a v1 hierarchy (hybrid hosts) or is not enabled below the root. */
static __always_inline __u64 bio_blkcg_id(struct bio *bio)
{
	struct cgroup *cg;

	if (!bpf_core_field_exists(bio->bi_blkg))
		return 0;
	cg = BPF_CORE_READ(bio, bi_blkg, blkcg, css.cgroup);
	/* The default (v2) hierarchy is the only one with id 0. */
	if (!cg || BPF_CORE_READ(cg, root, hierarchy_id) != 0 || BPF_CORE_READ(cg, level) == 0)
		return 0;
	return BPF_CORE_READ(cg, kn, id);
}

static __always_inline void on_bio_queue(struct bio *bio)
{
	static const struct hp_disk_cgroup_stats zero = {};
	struct gendisk *disk = hp_bio_disk(bio);
	struct hp_disk_cgroup_stats *cg;
	__u32 bytes = BPF_CORE_READ(bio, bi_iter.bi_size);
	__u32 op, source = HP_DISK_STAT_BY_BLKCG;
	__u64 cgroup_id;

	/* Nothing to charge (a flush), or not a blk-mq disk (see the top). */
	if (!bytes || !disk || !BPF_CORE_READ(disk, queue, mq_ops))
		return;
	op = disk_op(BPF_CORE_READ(bio, bi_opf));
	cgroup_id = bio_blkcg_id(bio);
	if (!cgroup_id) {
		cgroup_id = bpf_get_current_cgroup_id();
		source = HP_DISK_STAT_BY_TASK;
	}
	cg = hp_lookup_or_init(&disk_cgroups, &cgroup_id, &zero);
	if (!cg) {
		hp_percpu_inc(&diskio_self_stats, HP_DISK_STAT_CGROUP_MAP_FULL);
		return;
	}
	if (op < HP_DISK_OP__COUNT)
		__sync_fetch_and_add(&cg->bytes[op], bytes);
	hp_percpu_inc(&diskio_self_stats, source);
}

static __always_inline void on_issue(struct request *rq)
{
	struct hp_rq_start start = {
		.issue_ns = bpf_ktime_get_ns(),
	};
	__u64 key = (__u64)rq;

	if (bpf_map_update_elem(&rq_start, &key, &start, BPF_ANY))
		hp_percpu_inc(&diskio_self_stats, HP_DISK_STAT_INFLIGHT_FAILED);
}

static __always_inline void on_complete(struct request *rq, unsigned int nr_bytes)
{
	static const struct hp_disk_stats zero_disk = {};
	struct hp_disk_key key = {};
	struct hp_disk_stats *stats;
	struct hp_rq_start *start;
	struct gendisk *disk;
	__u64 rq_key = (__u64)rq;
	__u64 latency = 0;
	bool timed = false;

	disk = hp_request_disk(rq);
	if (!disk)
		return;
	key.dev = hp_disk_dev(disk);
	key.op = request_op(rq);

	start = bpf_map_lookup_elem(&rq_start, &rq_key);
	if (start) {
		latency = bpf_ktime_get_ns() - start->issue_ns;
		timed = true;
		bpf_map_delete_elem(&rq_start, &rq_key);
	}

	stats = hp_lookup_or_init(&disk_stats, &key, &zero_disk);
	if (stats) {
		stats->bytes += nr_bytes;
		stats->ops++;
		if (timed) {
			stats->latency_sum_ns += latency;
			stats->latency_buckets[hp_latency_bucket(latency)]++;
		}
	} else {
		hp_percpu_inc(&diskio_self_stats, HP_DISK_STAT_DISK_MAP_FULL);
	}
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(hp_block_issue, struct request *rq)
{
	on_issue(rq);
	return 0;
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(hp_block_done, struct request *rq, int error, unsigned int nr_bytes)
{
	on_complete(rq, nr_bytes);
	return 0;
}

SEC("tp_btf/block_bio_queue")
int BPF_PROG(hp_bio_queue, struct bio *bio)
{
	on_bio_queue(bio);
	return 0;
}

SEC("raw_tp/block_rq_issue")
int BPF_PROG(hp_block_issue_raw, struct request *rq)
{
	on_issue(rq);
	return 0;
}

SEC("raw_tp/block_rq_complete")
int BPF_PROG(hp_block_done_raw, struct request *rq, int error, unsigned int nr_bytes)
{
	on_complete(rq, nr_bytes);
	return 0;
}

SEC("raw_tp/block_bio_queue")
int BPF_PROG(hp_bio_queue_raw, struct bio *bio)
{
	on_bio_queue(bio);
	return 0;
}

