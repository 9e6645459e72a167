// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Evictions from the sensor's own LRU hashes, counted where they happen.
 *
 * The kernel reports no eviction anywhere (no tracepoint, no map counter).
 * When an LRU hash must make room it hands each element it reclaims to the
 * map's callback htab_lru_map_delete_node(htab, node) (kernel/bpf/hashtab.c),
 * which unlinks it and returns true. Every LRU hash on the host goes through
 * that one function; only the maps whose ids the loader put in evict_watch
 * are counted, in the per-CPU slot the loader gave each.
 *
 * fexit needs BPF trampolines: a kernel or architecture without them refuses
 * the attach, and the loader reports the program as not attached.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "map_evictions.h"
#include "maps.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Map id -> counter slot, filled by the loader after load. A preallocated
 * hash: its lookup takes no lock, so it is safe under the bucket and LRU
 * locks the traced function runs with. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HP_EVICT_MAX_MAPS);
	__type(key, __u32);
	__type(value, __u32);
} evict_watch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HP_EVICT_MAX_MAPS);
	__type(key, __u32);
	__type(value, __u64);
} map_evictions SEC(".maps");

/* arg is the struct bpf_htab, whose first member is its struct bpf_map. The
 * callback finds nothing to unlink (false) when the element was deleted
 * meanwhile by other means: that is not an eviction. */
SEC("fexit/htab_lru_map_delete_node")
int BPF_PROG(hp_lru_evict, void *arg, struct bpf_lru_node *node, bool ret)
{
	struct bpf_map *map = arg;
	__u32 id, *slot;

	if (!ret)
		return 0;
	id = BPF_CORE_READ(map, id);
	slot = bpf_map_lookup_elem(&evict_watch, &id);
	if (slot)
		hp_percpu_inc(&map_evictions, *slot);
	return 0;
}
