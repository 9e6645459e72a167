/* SPDX-License-Identifier: Apache-2.0 */
/* CO-RE shims for kernel structures that changed shape. Used only by BPF code. */
#ifndef HOSTPROBE_CORE_FIXES_BPF_H
#define HOSTPROBE_CORE_FIXES_BPF_H

#include <bpf/bpf_core_read.h>

/* Linux 5.17 (commit f3fa33acca9f, "block: remove the ->rq_disk field in struct
 * request") moved the disk behind rq->q->disk. */
struct request___old {
	struct gendisk *rq_disk;
} __attribute__((preserve_access_index));

static __always_inline struct gendisk *hp_request_disk(struct request *rq)
{
	struct request___old *old = (void *)rq;

	if (bpf_core_field_exists(old->rq_disk))
		return BPF_CORE_READ(old, rq_disk);
	return BPF_CORE_READ(rq, q, disk);
}

/* Linux 5.12 (commit 309dca309fc3, "block: store a block_device pointer in
 * struct bio") replaced bio->bi_disk with bio->bi_bdev. */
struct bio___old {
	struct gendisk *bi_disk;
} __attribute__((preserve_access_index));

static __always_inline struct gendisk *hp_bio_disk(struct bio *bio)
{
	struct bio___old *old = (void *)bio;

	if (bpf_core_field_exists(old->bi_disk))
		return BPF_CORE_READ(old, bi_disk);
	return BPF_CORE_READ(bio, bi_bdev, bd_disk);
}

/* The kernel's internal dev_t: 12-bit major, 20-bit minor. */
static __always_inline __u32 hp_disk_dev(struct gendisk *disk)
{
	__u32 major = BPF_CORE_READ(disk, major);
	__u32 minor = BPF_CORE_READ(disk, first_minor);

	return (major << 20) | minor;
}

/* Linux 6.15 renamed kernfs_node::parent to __parent (its readers now go
 * through RCU helpers). */
struct kernfs_node___old {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

static __always_inline struct kernfs_node *hp_kernfs_parent(struct kernfs_node *kn)
{
	struct kernfs_node___old *old = (void *)kn;

	if (bpf_core_field_exists(old->parent))
		return BPF_CORE_READ(old, parent);
	return BPF_CORE_READ(kn, __parent);
}

/* cgroup v2 id of a task (kernfs node id of its default-hierarchy cgroup). */
static __always_inline __u64 hp_task_cgroup_id(struct task_struct *task)
{
	return BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
}

#endif /* HOSTPROBE_CORE_FIXES_BPF_H */
