// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Syscall counts, errors by errno, latency histograms and per-cgroup counts,
 * aggregated in the kernel. Nothing is sent to userspace per event: the
 * collector reads the maps when it is scraped.
 *
 * Two variants of each hook live in this object:
 *   tp_btf/sys_{enter,exit}  typed arguments; every call counted at sys_exit
 *                            in per-CPU arrays; sys_enter only times calls,
 *                            with the start in task-local storage, and is
 *                            attached only while latency is sampled (see
 *                            hp_sys_enter) (needs kernel BTF, 5.15+);
 *   raw_tp/sys_{enter,exit}  no BTF needed; every call timed, the start kept
 *                            in an LRU hash.
 * The loader probes the kernel and disables the variant it does not use
 * (bpf_program__set_autoload / bpf_map__set_autocreate) before loading.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "bits.bpf.h"
#include "maps.bpf.h"
#include "syscalls.h"
#include "http.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Syscall numbers of the target architecture that the programs treat
 * specially. They are part of the kernel's ABI and never change.
 *   not seen as themselves at sys_exit: exit and exit_group never return
 *     (the tp_btf variant counts them when their thread exits, the raw_tp
 *     variant at sys_enter), and rt_sigreturn reaches sys_exit with its
 *     number overwritten (the restored registers say "no syscall", which
 *     sys_exit counts as rt_sigreturn);
 *   forks: the child returns 0 from them without having entered, and that
 *     return is not a call of its own. */
#if defined(__TARGET_ARCH_arm64)
#define HP_NR_EXIT 93
#define HP_NR_EXIT_GROUP 94
#define HP_NR_RT_SIGRETURN 139
#define HP_NR_CLONE 220
#define HP_NR_CLONE3 435
#define HP_NR_FORK -1
#define HP_NR_VFORK -1
#else
#define HP_NR_EXIT 60
#define HP_NR_EXIT_GROUP 231
#define HP_NR_RT_SIGRETURN 15
#define HP_NR_CLONE 56
#define HP_NR_CLONE3 435
#define HP_NR_FORK 57
#define HP_NR_VFORK 58
#endif

/* The same calls in the 32-bit compat table: x86_64's ia32 entry takes
 * i386 numbers (arch/x86/entry/syscalls/syscall_32.tbl). The i386
 * "no syscall" at sys_exit may be sigreturn (119) or rt_sigreturn (173):
 * counted as rt_sigreturn. arm64's compat entry is not told apart. */
#if defined(__TARGET_ARCH_x86)
#define HP_COMPAT_NR_EXIT 1
#define HP_COMPAT_NR_FORK 2
#define HP_COMPAT_NR_CLONE 120
#define HP_COMPAT_NR_RT_SIGRETURN 173
#define HP_COMPAT_NR_SIGRETURN 119
#define HP_COMPAT_NR_VFORK 190
#define HP_COMPAT_NR_EXIT_GROUP 252
#define HP_COMPAT_NR_CLONE3 435
/* thread_info.status bit of a task in a compat syscall: set at the ia32
 * entry, cleared on the way back to user mode, after sys_exit (TS_COMPAT,
 * what in_ia32_syscall() tests). */
#define HP_TS_COMPAT 0x0002
#else
#define HP_COMPAT_NR_EXIT -1
#define HP_COMPAT_NR_FORK -1
#define HP_COMPAT_NR_CLONE -1
#define HP_COMPAT_NR_RT_SIGRETURN -1
#define HP_COMPAT_NR_SIGRETURN -1
#define HP_COMPAT_NR_VFORK -1
#define HP_COMPAT_NR_EXIT_GROUP -1
#define HP_COMPAT_NR_CLONE3 -1
#endif

/* task_struct.flags bit of kernel threads (include/linux/sched.h). */
#define HP_PF_KTHREAD 0x00200000

/* tp_btf variant: what one timed call counts as in the histogram. The
 * loader attaches hp_sys_enter one part in this many of the time
 * (--syscall-latency-sample; 1: all the time). See hp_sys_enter. */
const volatile __u32 latency_sample_every = 1;

/* A syscall in flight on one thread (raw_tp variant: the LRU hash). */
struct hp_inflight {
	__u64 start_ns;
	__u32 syscall_id;  /* its slot */
	__u32 pad;
};

/* Per-thread state of the tp_btf variant, in task storage: the timed call in
 * flight, if any. */
struct hp_task_state {
	__u64 start_ns;   /* 0: no timed call in flight */
	__u32 syscall_id;
	__u32 weight;     /* calls this timing stands for */
	__u32 cpu;        /* whose syscall_hot entry for syscall_id has it pending */
	__u32 pad;
};

/* Entry cpu * HP_MAX_SYSCALLS + syscall: a plain array, not a per-CPU one.
 * Looking it up is arithmetic on the map's address; a per-CPU array's lookup
 * first loads the value's per-CPU pointer from another page, and on a host
 * that empties the TLB at every kernel entry (page-table isolation without
 * PCID) that page costs a walk on every syscall. Each CPU writes only its
 * own entries (timed_pending aside, changed atomically). The loader sizes
 * it to the possible CPUs and reads it through mmap where it can. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	/* The loader adds BPF_F_MMAPABLE where the kernel has it (5.5+). */
	__uint(max_entries, HP_MAX_SYSCALLS);  /* times the possible CPUs: set by the loader */
	__type(key, __u32);
	__type(value, struct hp_syscall_hot);
} syscall_hot SEC(".maps");

/* Entry cpu * HP_MAX_SYSCALLS + syscall, as syscall_hot and for the same
 * reasons: every timed call writes it (in a sampling window, every call of
 * the host), each CPU only its own entries, with the coarse histogram
 * layout: 128 bytes per syscall and possible CPU (16 MiB at 128 possible
 * CPUs). A plain array so that userspace reads it in place through mmap,
 * only the rows of syscalls that were called, instead of copying every
 * row of every CPU on each scrape. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	/* The loader adds BPF_F_MMAPABLE where the kernel has it (5.5+). */
	__uint(max_entries, HP_MAX_SYSCALLS);  /* times the possible CPUs: set by the loader */
	__type(key, __u32);
	__type(value, struct hp_syscall_latency);
} syscall_latency SEC(".maps");

/* Per CPU (a failing call in a loop, EAGAIN on every CPU, is a hot path),
 * allocated on insert: memory for the (syscall, errno) pairs seen, not for
 * HP_MAX_ERRNO_KEYS of them times the possible CPUs. The loader drops
 * BPF_F_NO_PREALLOC where the kernel cannot allocate in any program context
 * (ConfigureMapAllocation). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, HP_MAX_ERRNO_KEYS);
	__type(key, struct hp_errno_key);
	__type(value, __u64);
} syscall_errnos SEC(".maps");

/* Shared by all CPUs, added to atomically: the tp_btf variant adds a
 * (CPU, syscall) batch of up to HP_CGROUP_BATCH_CALLS calls at a time, so
 * two CPUs rarely add to one cgroup at once; per CPU it would cost 16 bytes
 * per cgroup and possible CPU. Allocated on insert (see syscall_errnos). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, HP_MAX_CGROUPS);
	__type(key, __u64);
	__type(value, struct hp_cgroup_stats);
} cgroup_syscalls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct hp_task_state);
} inflight_task SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HP_MAX_INFLIGHT);
	__type(key, __u32);
	__type(value, struct hp_inflight);
} inflight_lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HP_STAT__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} syscall_self_stats SEC(".maps");

/* HTTP/1.x (tp_btf variant only; see hp_http_exit). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HP_MAX_HTTP_CONNS);
	__type(key, struct hp_conn_key);
	__type(value, struct hp_conn);
} http_conns SEC(".maps");

/* Processes with entries in http_conns, by tgid: which of their fds the
 * exit of their last thread drops (hp_sys_task_exit). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HP_MAX_HTTP_PROCS);
	__type(key, __u32);
	__type(value, struct hp_http_proc);
} http_procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, HP_MAX_HTTP_KEYS);
	__type(key, struct hp_http_server_key);
	__type(value, struct hp_http_stats);
} http_server SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, HP_MAX_HTTP_KEYS);
	__type(key, struct hp_http_client_key);
	__type(value, struct hp_http_stats);
} http_client SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HP_HTTP_STAT__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} http_self_stats SEC(".maps");

/* Adds `calls` and `errors` to cgroup `cgroup_id`'s counters. */
static __always_inline void add_cgroup_calls(__u64 cgroup_id, __u32 calls, __u32 errors)
{
	static const struct hp_cgroup_stats zero_cgroup = {};
	struct hp_cgroup_stats *cg;

	cg = hp_lookup_or_init(&cgroup_syscalls, &cgroup_id, &zero_cgroup);
	if (cg) {
		/* Atomic: every CPU adds to the same value. Once per batch
		 * in tp_btf, beside a hash lookup. */
		__sync_fetch_and_add(&cg->calls, calls);
		if (errors)
			__sync_fetch_and_add(&cg->errors, errors);
	} else {
		hp_percpu_inc(&syscall_self_stats, HP_STAT_CGROUP_MAP_FULL);
	}
}

/* Map slot of a syscall id (see HP_COMPAT_SLOT_BASE). Negative or huge ids
 * (x32 calls, garbage) share the last slot. */
static __always_inline __u32 syscall_slot(long id, bool compat)
{
	if (compat) {
		if (id < 0 || id >= HP_MAX_SYSCALLS - 1 - HP_COMPAT_SLOT_BASE)
			return HP_MAX_SYSCALLS - 1;
		return HP_COMPAT_SLOT_BASE + (__u32)id;
	}
	if (id < 0 || id >= HP_COMPAT_SLOT_BASE)
		return HP_MAX_SYSCALLS - 1;
	return (__u32)id;
}

/* Whether `task` is in a 32-bit compat syscall. tp_btf: `task` is a BTF
 * pointer (bpf_get_current_task_btf, a tracepoint argument). */
static __always_inline bool in_compat_syscall_btf(struct task_struct *task)
{
#if defined(__TARGET_ARCH_x86)
	if (!bpf_core_field_exists(task->thread_info.status))
		return false;
	return task->thread_info.status & HP_TS_COMPAT;
#else
	return false;
#endif
}

/* The same for the current task, read with bpf_probe_read (raw_tp). */
static __always_inline bool in_compat_syscall_current(void)
{
#if defined(__TARGET_ARCH_x86)
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	if (!bpf_core_field_exists(task->thread_info.status))
		return false;
	return BPF_CORE_READ(task, thread_info.status) & HP_TS_COMPAT;
#else
	return false;
#endif
}

static __always_inline bool is_failure(long ret)
{
	return ret < 0 && ret >= -HP_MAX_ERRNO;
}

/* Counts a failed call under its errno. */
static __always_inline void record_errno(__u32 slot, long ret)
{
	static const __u64 zero = 0;
	struct hp_errno_key key = { .syscall_id = slot, .errno_value = (__u32)-ret };
	__u64 *count = hp_lookup_or_init(&syscall_errnos, &key, &zero);

	if (count)
		(*count)++;
	else
		hp_percpu_inc(&syscall_self_stats, HP_STAT_ERRNO_MAP_FULL);
}

/* A syscall's entry for a CPU in syscall_hot. */
static __always_inline struct hp_syscall_hot *hot_entry(__u32 slot, __u32 cpu)
{
	__u32 key = cpu * HP_MAX_SYSCALLS + slot;

	return bpf_map_lookup_elem(&syscall_hot, &key);
}

/* Adds a latency standing for `weight` calls to a syscall's histogram. */
static __always_inline void record_latency(__u32 slot, __u64 latency_ns, __u32 weight)
{
	__u32 key = bpf_get_smp_processor_id() * HP_MAX_SYSCALLS + slot;
	struct hp_syscall_latency *lat = bpf_map_lookup_elem(&syscall_latency, &key);

	if (!lat)
		return;
	lat->sum_ns += latency_ns * weight;
	lat->buckets[hp_latency_bucket(latency_ns)] += weight;
}

/* Counts one call host-wide: per syscall and per (syscall, errno). Returns
 * the syscall's per-CPU value (NULL only if the lookup failed). */
static __always_inline struct hp_syscall_hot *count_call(__u32 slot, long ret)
{
	struct hp_syscall_hot *stats;
	bool failed = is_failure(ret);

	if (slot == HP_MAX_SYSCALLS - 1)
		hp_percpu_inc(&syscall_self_stats, HP_STAT_ID_OUT_OF_RANGE);
	stats = hot_entry(slot, bpf_get_smp_processor_id());
	if (stats) {
		stats->calls++;
		if (failed)
			stats->errors++;
	}
	if (failed)
		record_errno(slot, ret);
	return stats;
}

/* Counts one call host-wide and for the current cgroup, unbatched, timed
 * when `weight` is non-zero. */
static __always_inline void record_call(__u32 slot, long ret, __u64 latency_ns, __u32 weight)
{
	count_call(slot, ret);
	if (weight)
		record_latency(slot, latency_ns, weight);
	add_cgroup_calls(bpf_get_current_cgroup_id(), 1, is_failure(ret) ? 1 : 0);
}

/* exit, exit_group, rt_sigreturn: see the syscall numbers above. */
static __always_inline bool not_seen_at_exit(long id, bool compat)
{
	if (compat)
		return id == HP_COMPAT_NR_EXIT || id == HP_COMPAT_NR_EXIT_GROUP ||
		       id == HP_COMPAT_NR_RT_SIGRETURN || id == HP_COMPAT_NR_SIGRETURN;
	return id == HP_NR_EXIT || id == HP_NR_EXIT_GROUP || id == HP_NR_RT_SIGRETURN;
}

static __always_inline bool exits(long id, bool compat)
{
	if (compat)
		return id == HP_COMPAT_NR_EXIT || id == HP_COMPAT_NR_EXIT_GROUP;
	return id == HP_NR_EXIT || id == HP_NR_EXIT_GROUP;
}

static __always_inline bool forks(long id, bool compat)
{
	if (compat)
		return id == HP_COMPAT_NR_CLONE || id == HP_COMPAT_NR_CLONE3 || id == HP_COMPAT_NR_FORK ||
		       id == HP_COMPAT_NR_VFORK;
	return id == HP_NR_CLONE || id == HP_NR_CLONE3 || id == HP_NR_FORK || id == HP_NR_VFORK;
}

/* The syscall number at sys_exit, from the saved registers. */
static __always_inline long exit_syscall_id(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_arm64)
	return (long)(int)regs->syscallno;
#else
	return (long)regs->orig_ax;
#endif
}

/* Whether the task has any BPF task storage (of any map, any program).
 * Kernels without the field: assume it has. */
static __always_inline bool has_task_storage(struct task_struct *task)
{
	if (!bpf_core_field_exists(task->bpf_storage))
		return true;
	return task->bpf_storage != NULL;
}

/* Takes a timed call off the pending count where it is kept. */
static __always_inline void drop_pending(struct hp_task_state *st)
{
	struct hp_syscall_hot *at = hot_entry(st->syscall_id, st->cpu);

	if (at)
		__sync_fetch_and_add(&at->timed_pending, -1);
}

/* Moves a timed call in flight from the pending count of (st->syscall_id,
 * st->cpu) to that of (`slot`, `cpu`). */
static __always_inline void move_pending(struct hp_task_state *st, __u32 slot, __u32 cpu)
{
	struct hp_syscall_hot *to;

	drop_pending(st);
	to = hot_entry(slot, cpu);
	if (to)
		__sync_fetch_and_add(&to->timed_pending, 1);
	st->cpu = cpu;
}

/* Times a call: keeps its start in task storage. Counting happens at
 * sys_exit, where the result is known.
 *
 * Merely having a program on sys_enter costs a syscall more than all the
 * counting done at sys_exit, so with --syscall-latency-sample N > 1 the
 * loader attaches this program only during short windows at random times,
 * one part in N of the time in all (see docs/design.md, "Syscall fast
 * path"). Every call entered in a window is timed and weighs N, so a
 * histogram's count and sum estimate those of every call; whether a call is
 * timed depends on when it starts, not on how long it takes, so the sample
 * is unbiased. With N = 1 the program stays attached and every call weighs 1. */
SEC("tp_btf/sys_enter")
int BPF_PROG(hp_sys_enter, struct pt_regs *regs, long id)
{
	struct task_struct *task = bpf_get_current_task_btf();
	bool compat = in_compat_syscall_btf(task);
	struct hp_syscall_hot *stats;
	struct hp_task_state *st;
	__u32 slot, cpu;

	if (not_seen_at_exit(id, compat))
		return 0;
	slot = syscall_slot(id, compat);
	cpu = bpf_get_smp_processor_id();
	stats = hot_entry(slot, cpu);
	if (!stats)
		return 0;
	st = bpf_task_storage_get(&inflight_task, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st) {
		hp_percpu_inc(&syscall_self_stats, HP_STAT_INFLIGHT_FAILED);
		return 0;
	}
	if (st->start_ns)  /* the last timed call never reached sys_exit */
		move_pending(st, slot, cpu);
	else
		__sync_fetch_and_add(&stats->timed_pending, 1);
	st->syscall_id = slot;
	st->cpu = cpu;
	st->weight = latency_sample_every;  /* at least 1: the loader clamps it */
	st->start_ns = bpf_ktime_get_ns();
	return 0;
}

/* ---- HTTP/1.x from the read/write family, at sys_exit ----
 *
 * x86_64 only (the syscall numbers below); native calls only. A connection
 * is tracked from the exit of accept/accept4 (server) or connect (client)
 * when its fd is a TCP socket over IPv4/IPv6, and dropped at close or when
 * the process exits (hp_sys_task_exit; failing that, evicted by the LRU). At
 * the exit of a read or write on a tracked fd the
 * first bytes of the buffer tell a request line from a status line
 * (http.h); one request in flight per connection is paired with the next
 * response the other way. */
#if defined(__TARGET_ARCH_x86)
#define HP_HTTP_ENABLED 1
#define HP_NR_READ 0
#define HP_NR_WRITE 1
#define HP_NR_CLOSE 3
#define HP_NR_READV 19
#define HP_NR_WRITEV 20
#define HP_NR_CONNECT 42
#define HP_NR_ACCEPT 43
#define HP_NR_SENDTO 44
#define HP_NR_RECVFROM 45
#define HP_NR_SENDMSG 46
#define HP_NR_RECVMSG 47
#define HP_NR_ACCEPT4 288
/* Bit n set: syscall n (< 64) is one the HTTP handler looks at. */
#define HP_HTTP_NR_MASK                                                                  \
	((1ULL << HP_NR_READ) | (1ULL << HP_NR_WRITE) | (1ULL << HP_NR_CLOSE) |             \
	 (1ULL << HP_NR_READV) | (1ULL << HP_NR_WRITEV) | (1ULL << HP_NR_CONNECT) |         \
	 (1ULL << HP_NR_ACCEPT) | (1ULL << HP_NR_SENDTO) | (1ULL << HP_NR_RECVFROM) |       \
	 (1ULL << HP_NR_SENDMSG) | (1ULL << HP_NR_RECVMSG))
#define HP_AF_INET 2
#define HP_AF_INET6 10
#define HP_IPPROTO_TCP 6
#define HP_EINPROGRESS 115

/* Local port of `fd` of the current process when it is a TCP socket over
 * IPv4 or IPv6; 0 otherwise (not a socket, a Unix or UDP socket, no such fd).
 * The fd table through CO-RE reads: task->files->fdt->fd[fd]->private_data is
 * the struct socket of a socket file, whose ->file points back. */
static __always_inline __u16 tcp_local_port(__u32 fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *file = NULL;
	struct socket *sock;
	struct sock *sk;
	__u16 family, proto;

	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return 0;
	sock = BPF_CORE_READ(file, private_data);
	if (!sock || BPF_CORE_READ(sock, file) != file)
		return 0;
	sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != HP_AF_INET && family != HP_AF_INET6)
		return 0;
	proto = BPF_CORE_READ(sk, sk_protocol);
	if (proto != HP_IPPROTO_TCP)
		return 0;
	return BPF_CORE_READ(sk, __sk_common.skc_num);
}

/* Every bit up to the highest one of `fd`. */
static __always_inline __u32 fd_span(__u32 fd)
{
	fd |= fd >> 1;
	fd |= fd >> 2;
	fd |= fd >> 4;
	fd |= fd >> 8;
	fd |= fd >> 16;
	return fd;
}

static __always_inline void http_track(struct hp_conn_key *key, __u16 role)
{
	static const struct hp_http_proc no_proc = {};
	struct hp_conn conn = { .role = role, .proto = HP_HTTP_PROTO_HTTP1 };
	struct hp_http_proc *proc;
	__u64 span;

	conn.port = tcp_local_port(key->fd);
	if (!conn.port)
		return;
	if (bpf_map_update_elem(&http_conns, key, &conn, BPF_ANY)) {
		hp_percpu_inc(&http_self_stats, HP_HTTP_STAT_CONN_MAP_FULL);
		return;
	}
	hp_percpu_inc(&http_self_stats, HP_HTTP_STAT_CONNS_TRACKED);
	/* Which fds the process's exit looks at. Two threads may track at
	 * once: an atomic OR of the spans keeps the larger. */
	proc = hp_lookup_or_init(&http_procs, &key->tgid, &no_proc);
	if (!proc) {
		hp_percpu_inc(&http_self_stats, HP_HTTP_STAT_PROC_MAP_FULL);
		return;
	}
	span = fd_span(key->fd);
	if ((proc->fd_mask & span) != span)
		__sync_fetch_and_or(&proc->fd_mask, span);
}

static __always_inline void http_add(struct hp_http_stats *st, __u64 ns)
{
	__sync_fetch_and_add(&st->count, 1);
	__sync_fetch_and_add(&st->sum_ns, ns);
	__sync_fetch_and_add(&st->slots[hp_latency_slot(ns)], 1);
}

static __always_inline void http_record_server(__u16 port, __u32 cls, __u64 ns)
{
	static const struct hp_http_stats zero = {};
	struct hp_http_server_key key = {
		.cgroup_id = bpf_get_current_cgroup_id(),
		.port = port,
		.status_class = (__u16)cls,
	};
	struct hp_http_stats *st = hp_lookup_or_init(&http_server, &key, &zero);

	if (st)
		http_add(st, ns);
	else
		hp_percpu_inc(&http_self_stats, HP_HTTP_STAT_SERVER_MAP_FULL);
}

static __always_inline void http_record_client(__u32 cls, __u64 ns)
{
	static const struct hp_http_stats zero = {};
	struct hp_http_client_key key = {
		.cgroup_id = bpf_get_current_cgroup_id(),
		.status_class = cls,
	};
	struct hp_http_stats *st;

	bpf_get_current_comm(key.comm, sizeof(key.comm));
	st = hp_lookup_or_init(&http_client, &key, &zero);
	if (st)
		http_add(st, ns);
	else
		hp_percpu_inc(&http_self_stats, HP_HTTP_STAT_CLIENT_MAP_FULL);
}

/* The HTTP work of one call of interest (HP_HTTP_NR_MASK, accept4), out of
 * line so that hp_sys_exit's other calls only pay for the id test. */
static __noinline int hp_http_exit(long id, long ret, __u64 a0, __u64 a1)
{
	struct hp_conn_key key = { .tgid = bpf_get_current_pid_tgid() >> 32, .fd = (__u32)a0 };
	unsigned char buf[HP_HTTP_PREFIX] = {};
	const void *ubuf = (const void *)a1;
	struct hp_conn *conn;
	__u64 len = ret, n, now;
	__u32 cls = 0;
	bool sending;
	int kind;

	switch (id) {
	case HP_NR_ACCEPT:
	case HP_NR_ACCEPT4:
		if (ret < 0)
			return 0;
		key.fd = (__u32)ret;
		http_track(&key, HP_CONN_SERVER);
		return 0;
	case HP_NR_CONNECT:
		if (ret != 0 && ret != -HP_EINPROGRESS)
			return 0;
		http_track(&key, HP_CONN_CLIENT);
		return 0;
	case HP_NR_CLOSE:
		if (!bpf_map_delete_elem(&http_conns, &key))
			hp_percpu_inc(&http_self_stats, HP_HTTP_STAT_CONNS_CLOSED);
		return 0;
	}
	if (ret <= 0)
		return 0;
	conn = bpf_map_lookup_elem(&http_conns, &key);
	if (!conn)
		return 0;
	sending = id == HP_NR_WRITE || id == HP_NR_WRITEV || id == HP_NR_SENDTO ||
		  id == HP_NR_SENDMSG;
	if (id == HP_NR_RECVMSG || id == HP_NR_SENDMSG) {
		struct user_msghdr msg;

		if (bpf_probe_read_user(&msg, sizeof(msg), ubuf))
			goto read_failed;
		ubuf = msg.msg_iov;
	}
	if (id == HP_NR_READV || id == HP_NR_WRITEV || id == HP_NR_RECVMSG ||
	    id == HP_NR_SENDMSG) {
		struct iovec iov;

		if (bpf_probe_read_user(&iov, sizeof(iov), ubuf))
			goto read_failed;
		ubuf = iov.iov_base;
		if (iov.iov_len < len)
			len = iov.iov_len;
	}
	n = len < HP_HTTP_PREFIX ? len : HP_HTTP_PREFIX;
	barrier_var(n);
	if (n == 0 || n > HP_HTTP_PREFIX)
		return 0;
	if (bpf_probe_read_user(buf, n, ubuf))
		goto read_failed;
	kind = hp_http_classify(buf, (unsigned int)n, &cls);
	if (kind == HP_HTTP_NONE) {
		hp_percpu_inc(&http_self_stats, HP_HTTP_STAT_PARSE_MISSES);
		return 0;
	}
	/* A request comes in on a server connection and goes out on a client
	 * one; a response the other way. Anything else is not ours to pair. */
	if ((kind == HP_HTTP_REQUEST) != ((conn->role == HP_CONN_SERVER) != sending))
		return 0;
	now = bpf_ktime_get_ns();
	if (kind == HP_HTTP_REQUEST) {
		if (conn->req_start_ns)
			hp_percpu_inc(&http_self_stats, HP_HTTP_STAT_UNPAIRED_REQUESTS);
		else
			conn->req_start_ns = now;
		return 0;
	}
	if (!conn->req_start_ns) {
		hp_percpu_inc(&http_self_stats, HP_HTTP_STAT_UNPAIRED_RESPONSES);
		return 0;
	}
	if (conn->role == HP_CONN_SERVER)
		http_record_server(conn->port, cls, now - conn->req_start_ns);
	else
		http_record_client(cls, now - conn->req_start_ns);
	conn->req_start_ns = 0;
	return 0;
read_failed:
	hp_percpu_inc(&http_self_stats, HP_HTTP_STAT_READ_FAILED);
	return 0;
}

/* What the exit of a process drops from http_conns (http_process_exit). */
struct hp_http_exit {
	__u32 tgid;
	__u32 dropped;
};

/* bpf_loop callback: drops fd `fd` of the exiting process. */
static long http_drop_fd(__u32 fd, void *data)
{
	struct hp_http_exit *x = data;
	struct hp_conn_key key = { .tgid = x->tgid, .fd = fd };

	if (!bpf_map_delete_elem(&http_conns, &key))
		x->dropped++;
	return 0;
}

/* The exit of a thread of `task`'s process: when it is the last one, the
 * process's connections still in http_conns (the kernel closes its files
 * after this tracepoint, without a close call) are dropped, and counted.
 *
 * Here rather than in a sweep from userspace: the entries go as the process
 * does, so a new process given the same pid never inherits them, and
 * nothing depends on which pids the sensor's /proc shows. Rather than
 * walking all of http_conns, http_procs says which processes have entries
 * and up to which fd (http_track), so the exit of a process that never had
 * a tracked connection costs one hash lookup, and that of one that had
 * costs a delete per fd up to its highest tracked one rounded up to a power
 * of two (at most HP_HTTP_EXIT_MAX_FDS; above it, the LRU). Reads, writes
 * and every other call pay nothing for it. Threads of a group dying
 * together can all see the group dead: deletes are counted only when they
 * find the entry. bpf_loop came in 5.17; before it the entries age out. */
static __always_inline void http_process_exit(struct task_struct *task)
{
	struct hp_http_exit x = {};
	struct hp_http_proc *proc;
	__u64 n;

	/* do_exit() decrements signal->live before this tracepoint. */
	if (task->signal->live.counter != 0)
		return;
	x.tgid = task->tgid;
	proc = bpf_map_lookup_elem(&http_procs, &x.tgid);
	if (!proc)
		return;
	n = proc->fd_mask;
	n = n >= HP_HTTP_EXIT_MAX_FDS ? HP_HTTP_EXIT_MAX_FDS : n + 1;
	bpf_map_delete_elem(&http_procs, &x.tgid);
	if (!bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_loop))
		return;
	bpf_loop((__u32)n, http_drop_fd, &x, 0);
	if (x.dropped)
		hp_percpu_add(&http_self_stats, HP_HTTP_STAT_CONNS_EXITED, x.dropped);
}

/* Whether a native call `id` is one hp_http_exit looks at. */
static __always_inline bool http_interesting(long id)
{
	if ((unsigned long)id < 64)
		return (HP_HTTP_NR_MASK >> id) & 1;
	return id == HP_NR_ACCEPT4;
}
#endif /* __TARGET_ARCH_x86 */

/* Adds the batch of pending calls to its cgroup's counters and starts an
 * empty one for css_set `css` and the current cgroup.
 *
 * Userspace reads the batches in place while this runs on another CPU, so
 * batch_seq is odd while the batch changes and moves on at every flush: a
 * reader that finds it even and unchanged around its reads of the batch
 * read one batch whole, never one batch's count with the next one's cgroup.
 * The locked adds keep the stores between them in place (the compiler does
 * not move memory accesses across them; on x86 they are full barriers). */
static __always_inline void flush_batch(struct hp_syscall_hot *stats, __u64 css)
{
	__sync_fetch_and_add(&stats->batch_seq, 1);
	if (stats->batch_calls)
		add_cgroup_calls(stats->batch_cgroup_id, stats->batch_calls, stats->batch_errors);
	stats->batch_calls = 0;
	stats->batch_errors = 0;
	stats->batch_css = css;
	stats->batch_cgroup_id = bpf_get_current_cgroup_id();
	__sync_fetch_and_add(&stats->batch_seq, 1);
}

/* Counts a call, host-wide and for its cgroup, and its latency if it was
 * timed. Per-cgroup counts go through a batch in the (CPU, syscall) entry,
 * keyed by the task's css_set (one load from the task; the cgroup id takes
 * three more pages): a call of another css_set, or HP_CGROUP_BATCH_CALLS
 * pending calls, flush it into the per-cgroup hash and read the cgroup id
 * again. Userspace adds the pending calls when it reads, so nothing waits
 * for a flush. (Were a css_set freed and another allocated at its address
 * while a batch holds it, at most HP_CGROUP_BATCH_CALLS - 1 calls would go
 * to the old cgroup.)
 *
 * A CPU's entries are safe here: a program runs with migration disabled, and
 * the kernel does not run a program again on a CPU where it is already
 * running (it counts a miss instead). */
SEC("tp_btf/sys_exit")
int BPF_PROG(hp_sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	/* One load from the task's first cache line, which the kernel's exit
	 * path has just read (thread_info.syscall_work). */
	bool compat = in_compat_syscall_btf(task);
	struct hp_syscall_hot *stats;
	long id = exit_syscall_id(regs);
	__u64 css;
	__u32 slot;
	bool failed;

	/* No syscall: rt_sigreturn, whose restored registers say so (their
	 * return value is the interrupted code's, not a result). Other negative
	 * numbers: a tracer skipped the call. */
	if (id < 0) {
		if (id != -1)
			return 0;
		id = compat ? HP_COMPAT_NR_RT_SIGRETURN : HP_NR_RT_SIGRETURN;
		ret = 0;
	}
	/* A fork child's first return: the parent's call is counted on its own. */
	if (ret == 0 && forks(id, compat))
		return 0;
	slot = syscall_slot(id, compat);
	stats = count_call(slot, ret);
	if (!stats)
		return 0;
	failed = is_failure(ret);

	css = (__u64)task->cgroups;
	if (css != stats->batch_css || stats->batch_calls >= HP_CGROUP_BATCH_CALLS)
		flush_batch(stats, css);
	stats->batch_calls++;
	if (failed)
		stats->batch_errors++;

	/* Timed calls in flight are counted per syscall on the CPU their thread
	 * is on (hp_migrate moves them along), so the untimed majority of calls
	 * see a zero here, in memory this path already touched, and skip the
	 * task storage lookup, whose memory is elsewhere. */
	if (stats->timed_pending) {
		struct hp_task_state *st = bpf_task_storage_get(&inflight_task, task, 0, 0);

		if (st && st->start_ns) {
			/* A tracer may have changed the number: then the timing is not this call's. */
			if (st->syscall_id == slot)
				record_latency(slot, bpf_ktime_get_ns() - st->start_ns, st->weight);
			drop_pending(st);
			st->start_ns = 0;
		}
	}
#ifdef HP_HTTP_ENABLED
	if (!compat && http_interesting(id))
		hp_http_exit(id, ret, regs->di, regs->si);
#endif
	return 0;
}

/* A thread exits. exit and exit_group never reach sys_exit, so they are
 * counted here, from the syscall number the thread's saved registers still
 * hold. A thread that did not call them (killed by a signal, or a sibling
 * of an exit_group caller) holds the number of the call it was in, or a
 * negative one if it was not in a call, and is not counted. Kernel threads
 * have no such registers. A timed call still in flight (its sys_exit did
 * not run) comes off the pending count, so that the count does not stay
 * above zero and send that syscall's exits to task storage for nothing.
 * The last thread of a process takes its HTTP connections along
 * (http_process_exit). */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(hp_sys_task_exit, struct task_struct *task)
{
	struct pt_regs *regs;
	bool compat;
	long id;

	if (task->flags & HP_PF_KTHREAD)
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (!regs)
		return 0;
	id = exit_syscall_id(regs);
	compat = in_compat_syscall_btf(task);
	if (exits(id, compat))
		record_call(syscall_slot(id, compat), 0, 0, 0);
	if (has_task_storage(task)) {
		struct hp_task_state *st = bpf_task_storage_get(&inflight_task, task, 0, 0);

		if (st && st->start_ns) {
			drop_pending(st);
			st->start_ns = 0;
		}
	}
#ifdef HP_HTTP_ENABLED
	http_process_exit(task);
#endif
	return 0;
}

/* A thread moves to another CPU: if it has a timed call in flight, move the
 * call's pending count along, so that its sys_exit sees it there. */
SEC("tp_btf/sched_migrate_task")
int BPF_PROG(hp_migrate, struct task_struct *task, int dest_cpu)
{
	struct hp_task_state *st;

	if (!has_task_storage(task))
		return 0;
	st = bpf_task_storage_get(&inflight_task, task, 0, 0);
	if (st && st->start_ns && st->cpu != (__u32)dest_cpu)
		move_pending(st, st->syscall_id, (__u32)dest_cpu);
	return 0;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(hp_sys_enter_raw, struct pt_regs *regs, long id)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct hp_inflight inflight = {};
	bool compat = in_compat_syscall_current();

	if (not_seen_at_exit(id, compat)) {
		record_call(syscall_slot(id, compat), 0, 0, 0);
		return 0;
	}
	inflight.syscall_id = syscall_slot(id, compat);
	inflight.start_ns = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&inflight_lru, &tid, &inflight, BPF_ANY))
		hp_percpu_inc(&syscall_self_stats, HP_STAT_INFLIGHT_FAILED);
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(hp_sys_exit_raw, struct pt_regs *regs, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct hp_inflight *inflight;
	__u64 start;
	__u32 slot;

	inflight = bpf_map_lookup_elem(&inflight_lru, &tid);
	if (!inflight)
		return 0;
	start = inflight->start_ns;
	slot = inflight->syscall_id;
	bpf_map_delete_elem(&inflight_lru, &tid);
	if (slot >= HP_MAX_SYSCALLS)
		return 0;
	record_call(slot, ret, bpf_ktime_get_ns() - start, 1);
	return 0;
}
