/* SPDX-License-Identifier: Apache-2.0 */
/* Types and sizes shared by diskio.bpf.c and the C++ collector. */
#ifndef HOSTPROBE_BPF_DISKIO_H
#define HOSTPROBE_BPF_DISKIO_H

#include "histogram.h"

#define HP_MAX_DISK_KEYS 512      /* (device, op) pairs: 100 blk-mq disks with all five ops */
#define HP_MAX_INFLIGHT_RQ 16384  /* requests between issue and completion */
#define HP_MAX_DISK_CGROUPS 16384

/* Operations we export; anything else (zone ops, write-zeroes...) is HP_DISK_OP_OTHER. */
enum hp_disk_op {
	HP_DISK_OP_READ = 0,
	HP_DISK_OP_WRITE,
	HP_DISK_OP_DISCARD,
	HP_DISK_OP_FLUSH,
	HP_DISK_OP_OTHER,
	HP_DISK_OP__COUNT,
};

struct hp_disk_key {
	__u32 dev;  /* major << 20 | minor, the kernel's dev_t encoding */
	__u32 op;   /* enum hp_disk_op */
};

struct hp_disk_stats {
	__u64 bytes;
	__u64 ops;
	__u64 latency_sum_ns;
	__u64 latency_buckets[HP_LATENCY_BUCKETS]; /* coarse buckets, see histogram.h */
};

/* Bytes submitted, by op, for the cgroup a bio is charged to (see diskio.bpf.c);
 * one value for all CPUs, added to atomically. */
struct hp_disk_cgroup_stats {
	__u64 bytes[HP_DISK_OP__COUNT];
};

enum hp_diskio_self_stat {
	HP_DISK_STAT_DISK_MAP_FULL = 0,   /* disk_stats update failed */
	HP_DISK_STAT_CGROUP_MAP_FULL,     /* disk_cgroups update failed */
	HP_DISK_STAT_INFLIGHT_FAILED,     /* could not record an issue timestamp */
	HP_DISK_STAT_BY_BLKCG,            /* bios charged to their blkcg (io controller on cgroup v2) */
	HP_DISK_STAT_BY_TASK,             /* bios charged to the cgroup of the task that submitted them */
	HP_DISK_STAT__COUNT,
};

#endif /* HOSTPROBE_BPF_DISKIO_H */
