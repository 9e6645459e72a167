// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Block I/O per device and op: bytes, operations and latency from issue to
 * completion, aggregated in the kernel; bytes per cgroup of the issuing task.
 *
 * block_rq_issue records when a request went to the device (and who issued it)
 * in an LRU hash keyed by the request pointer; block_rq_complete adds the
 * completed bytes and the latency. Requests issued before we attached are
 * still counted (bytes and ops), only without latency.
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
	__u64 cgroup_id;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HP_MAX_INFLIGHT_RQ);
	__type(key, __u64);
	__type(value, struct hp_rq_start);
} rq_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, HP_MAX_DISK_KEYS);
	__type(key, struct hp_disk_key);
	__type(value, struct hp_disk_stats);
} disk_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
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

static __always_inline __u32 request_op(struct request *rq)
{
	/* The low 8 bits of cmd_flags are the op (REQ_OP_MASK). */
	__u32 op = BPF_CORE_READ(rq, cmd_flags) & 0xff;

	switch (op) {
	case 0: return HP_DISK_OP_READ;     /* REQ_OP_READ */
	case 1: return HP_DISK_OP_WRITE;    /* REQ_OP_WRITE */
	case 2: return HP_DISK_OP_FLUSH;    /* REQ_OP_FLUSH */
	case 3: return HP_DISK_OP_DISCARD;  /* REQ_OP_DISCARD */
	default: return HP_DISK_OP_OTHER;
	}
}

static __always_inline void on_issue(struct request *rq)
{
	struct hp_rq_start start = {
		.issue_ns = bpf_ktime_get_ns(),
		.cgroup_id = bpf_get_current_cgroup_id(),
	};
	__u64 key = (__u64)rq;

	if (bpf_map_update_elem(&rq_start, &key, &start, BPF_ANY))
		hp_percpu_inc(&diskio_self_stats, HP_DISK_STAT_INFLIGHT_FAILED);
}

static __always_inline void on_complete(struct request *rq, unsigned int nr_bytes)
{
	static const struct hp_disk_stats zero_disk = {};
	static const struct hp_disk_cgroup_stats zero_cgroup = {};
	struct hp_disk_key key = {};
	struct hp_disk_stats *stats;
	struct hp_rq_start *start;
	struct gendisk *disk;
	__u64 rq_key = (__u64)rq;
	__u64 latency = 0, cgroup_id = 0;
	bool timed = false;

	disk = hp_request_disk(rq);
	if (!disk)
		return;
	key.dev = hp_disk_dev(disk);
	key.op = request_op(rq);

	start = bpf_map_lookup_elem(&rq_start, &rq_key);
	if (start) {
		latency = bpf_ktime_get_ns() - start->issue_ns;
		cgroup_id = start->cgroup_id;
		timed = true;
		bpf_map_delete_elem(&rq_start, &rq_key);
	}

	stats = hp_lookup_or_init(&disk_stats, &key, &zero_disk);
	if (stats) {
		stats->bytes += nr_bytes;
		stats->ops++;
		if (timed) {
			stats->latency_sum_ns += latency;
			stats->latency_slots[hp_latency_slot(latency)]++;
		}
	} else {
		hp_percpu_inc(&diskio_self_stats, HP_DISK_STAT_DISK_MAP_FULL);
	}

	if (timed && nr_bytes) {
		struct hp_disk_cgroup_stats *cg = hp_lookup_or_init(&disk_cgroups, &cgroup_id, &zero_cgroup);

		if (cg && key.op < HP_DISK_OP__COUNT)
			cg->bytes[key.op] += nr_bytes;
		else if (!cg)
			hp_percpu_inc(&diskio_self_stats, HP_DISK_STAT_CGROUP_MAP_FULL);
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
