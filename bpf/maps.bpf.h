/* SPDX-License-Identifier: Apache-2.0 */
/* Map helpers used only by BPF code. */
#ifndef HOSTPROBE_MAPS_BPF_H
#define HOSTPROBE_MAPS_BPF_H

#include <bpf/bpf_helpers.h>

#ifndef EEXIST
#define EEXIST 17
#endif

/* Adds one to `*value` atomically. A shared (not per-CPU) map's value is
 * written by every CPU. A per-CPU value is written by one CPU,
 * but not necessarily by one program run at a time: a uprobe program can be
 * preempted (it runs with migration disabled, not preemption), and a
 * tracepoint program can be interrupted by another of the sensor's programs
 * in irq context (block_rq_complete, sched_migrate_task) that updates the same
 * value; a plain load-add-store then loses one of the two updates. These are
 * counts of rare events (the programs' own failures, crashes, probe hits), so
 * the locked add costs nothing that shows. */
static __always_inline void hp_atomic_inc(__u64 *value)
{
	__sync_fetch_and_add(value, 1);
}

/* Adds one to slot `index` of a per-CPU __u64 array. */
static __always_inline void hp_percpu_inc(void *map, __u32 index)
{
	__u64 *value = bpf_map_lookup_elem(map, &index);

	if (value)
		hp_atomic_inc(value);
}

/* Adds `n` to slot `index` of a per-CPU __u64 array (see hp_atomic_inc). */
static __always_inline void hp_percpu_add(void *map, __u32 index, __u64 n)
{
	__u64 *value = bpf_map_lookup_elem(map, &index);

	if (value)
		__sync_fetch_and_add(value, n);
}

/* Looks `key` up in a hash map, inserting `init` first when it is absent.
 * Returns NULL only when the map is full, or the insert failed otherwise (a
 * BPF_F_NO_PREALLOC map allocates here, and that can fail with ENOMEM);
 * the caller counts that. A racing insert on another CPU is not a failure. */
static __always_inline void *hp_lookup_or_init(void *map, const void *key, const void *init)
{
	void *value = bpf_map_lookup_elem(map, key);
	long err;

	if (value)
		return value;
	err = bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	if (err && err != -EEXIST)
		return NULL;
	return bpf_map_lookup_elem(map, key);
}

#endif /* HOSTPROBE_MAPS_BPF_H */
