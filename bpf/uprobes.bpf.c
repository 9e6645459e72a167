// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* User-defined probes: calls of a function in a binary (uprobe), optionally
 * with their latency (uprobe + uretprobe), or hits of a USDT probe.
 *
 * One program per kind serves every probe: the loader attaches it once per
 * probe with the probe's slot as the BPF cookie, so adding probes adds
 * attachments, never programs. Counts live in a per-CPU array indexed by the
 * slot; the collector sums it when scraped.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* libbpf's usdt.bpf.h includes <linux/errno.h>, which needs the multiarch
 * <asm/errno.h> (/usr/include/<triplet>/asm on Debian); clang -target bpf
 * finds it only when the build passes that directory. Without it this object
 * has no USDT program and the collector refuses USDT probes with that reason. */
#if __has_include(<asm/errno.h>)
#include <bpf/usdt.bpf.h>
#define HP_HAVE_USDT 1
#endif

#include "bits.bpf.h"
#include "maps.bpf.h"
#include "uprobes.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HP_MAX_PROBES);
	__type(key, __u32);
	__type(value, struct hp_probe_stats);
} probe_stats SEC(".maps");

/* Entry time of calls in flight. LRU: a call that never returns (longjmp,
 * the thread was killed) must not hold its entry forever. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HP_MAX_PROBE_INFLIGHT);
	__type(key, struct hp_probe_inflight_key);
	__type(value, __u64);
} probe_inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HP_UP_STAT__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} uprobe_self_stats SEC(".maps");

static __always_inline struct hp_probe_stats *stats_of(__u32 probe)
{
	struct hp_probe_stats *stats = bpf_map_lookup_elem(&probe_stats, &probe);

	if (!stats)
		hp_percpu_inc(&uprobe_self_stats, HP_UP_STAT_BAD_COOKIE);
	return stats;
}

static __always_inline void on_entry(__u64 cookie)
{
	struct hp_probe_inflight_key key = {};
	struct hp_probe_stats *stats;
	__u64 now;

	key.probe = (__u32)cookie;
	stats = stats_of(key.probe);
	if (!stats)
		return;
	hp_atomic_inc(&stats->calls);
	if (!(cookie & HP_PROBE_COOKIE_LATENCY))
		return;
	key.pid_tgid = bpf_get_current_pid_tgid();
	/* Last thing before the update, so less of our own work is timed. */
	now = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&probe_inflight, &key, &now, BPF_ANY))
		hp_percpu_inc(&uprobe_self_stats, HP_UP_STAT_INFLIGHT_FAILED);
}

SEC("uprobe")
int BPF_KPROBE(hp_probe_entry)
{
	on_entry(bpf_get_attach_cookie(ctx));
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(hp_probe_return)
{
	__u64 now = bpf_ktime_get_ns();
	struct hp_probe_inflight_key key = {};
	struct hp_probe_stats *stats;
	__u64 *start, latency;

	key.probe = (__u32)bpf_get_attach_cookie(ctx);
	key.pid_tgid = bpf_get_current_pid_tgid();
	start = bpf_map_lookup_elem(&probe_inflight, &key);
	/* No entry: the call began before we attached, or its entry was lost
	 * (counted at entry as HP_UP_STAT_INFLIGHT_FAILED). */
	if (!start)
		return 0;
	latency = now - *start;
	bpf_map_delete_elem(&probe_inflight, &key);
	stats = stats_of(key.probe);
	if (!stats)
		return 0;
	/* Atomic: uprobe programs are preemptible (see hp_atomic_inc). */
	__sync_fetch_and_add(&stats->latency_sum_ns, latency);
	hp_atomic_inc(&stats->latency_slots[hp_latency_slot(latency)]);
	return 0;
}

#ifdef HP_HAVE_USDT
SEC("usdt")
int BPF_USDT(hp_probe_usdt)
{
	on_entry((__u64)bpf_usdt_cookie(ctx));
	return 0;
}
#endif
