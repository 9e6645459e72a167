/* SPDX-License-Identifier: Apache-2.0 */
/* Map helpers used only by BPF code. */
#ifndef HOSTPROBE_MAPS_BPF_H
#define HOSTPROBE_MAPS_BPF_H

#include <bpf/bpf_helpers.h>

#ifndef EEXIST
#define EEXIST 17
#endif

/* Adds one to slot `index` of a per-CPU __u64 array. */
static __always_inline void hp_percpu_inc(void *map, __u32 index)
{
	__u64 *value = bpf_map_lookup_elem(map, &index);

	if (value)
		(*value)++;
}

/* Looks `key` up in a hash map, inserting `init` first when it is absent.
 * Returns NULL only when the map is full (or the insert failed otherwise);
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
