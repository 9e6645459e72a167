/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP/1.x request/response metrics derived from syscalls: types shared by
 * syscalls.bpf.c and the C++ collector, and the pure recogniser of a request
 * line or status line from the first bytes of a buffer, compiled into both
 * (the BPF program and the unit tests).
 *
 * Only __u8/__u16/__u32/__u64 and plain C here. TLS and HTTP/2 are not
 * recognised (the first bytes of a TLS record or of an HTTP/2 preface or
 * frame are neither a method nor "HTTP/1.x "); a later protocol gets its own
 * HP_HTTP_PROTO_* value in hp_conn.proto and its own recogniser. */
#ifndef HOSTPROBE_BPF_HTTP_H
#define HOSTPROBE_BPF_HTTP_H

#include "histogram.h"

/* Bytes of a user buffer looked at: enough for "OPTIONS " and for
 * "HTTP/1.1 200". */
#define HP_HTTP_PREFIX 16

/* Connections tracked at once, by (tgid, fd): LRU. */
#define HP_MAX_HTTP_CONNS 65536
/* Processes with tracked connections at once, by tgid: LRU. */
#define HP_MAX_HTTP_PROCS 4096
/* At a process's exit, its fds below this many are dropped from the
 * connection map; entries of higher fds are left to the LRU. */
#define HP_HTTP_EXIT_MAX_FDS 65536
/* Series keys (cgroup, port, status class) and (cgroup, comm, class). */
#define HP_MAX_HTTP_KEYS 4096

/* What a prefix starts. */
enum hp_http_kind {
	HP_HTTP_NONE = 0,     /* not HTTP/1.x (or too short to tell) */
	HP_HTTP_REQUEST = 1,  /* a method and a space */
	HP_HTTP_RESPONSE = 2, /* "HTTP/1.0 " or "HTTP/1.1 " */
};

/* Status classes: index = first digit (1..5); 0 = other (unparsable, or a
 * first digit outside 1..5). */
#define HP_HTTP_STATUS_CLASSES 6

/* Direction of a tracked connection. */
enum hp_conn_role {
	HP_CONN_SERVER = 1, /* accepted: requests are read, responses written */
	HP_CONN_CLIENT = 2, /* connected: requests are written, responses read */
};

#define HP_HTTP_PROTO_HTTP1 1

/* Key of the connection map. */
struct hp_conn_key {
	__u32 tgid;
	__u32 fd;
};

/* A tracked TCP connection of one process. */
struct hp_conn {
	__u64 req_start_ns; /* 0: no request in flight */
	__u16 role;         /* hp_conn_role */
	__u16 port;         /* local port (server: the listening port), host order */
	__u16 proto;        /* HP_HTTP_PROTO_*; room for TLS/HTTP2 later */
	__u16 pad;
};

/* A process with tracked connections (key: tgid). fd_mask has every bit up
 * to the highest one of any fd tracked for it (an atomic OR of such masks is
 * their maximum), so its exit looks at fds 0..fd_mask. */
struct hp_http_proc {
	__u64 fd_mask;  /* 64 bits: the BPF atomic OR of older CPUs is 64-bit */
};

/* Server side: per (cgroup, local port, status class). */
struct hp_http_server_key {
	__u64 cgroup_id;
	__u16 port;
	__u16 status_class;
	__u32 pad;
};

/* Client side: per (cgroup, comm, status class). */
struct hp_http_client_key {
	__u64 cgroup_id;
	char comm[16];
	__u32 status_class;
	__u32 pad;
};

/* Per key, shared by all CPUs (atomic adds; allocated on insert, so the
 * maps stay small however many CPUs the node has): count, and the latency
 * histogram in log2 slots (histogram.h): a response time needs the factor-2
 * resolution the request duration histogram exports. */
struct hp_http_stats {
	__u64 count;
	__u64 sum_ns;
	__u64 slots[HP_LATENCY_SLOTS];
};

/* The HTTP part's own counters, indexes into the http_self_stats array. */
enum hp_http_self_stat {
	HP_HTTP_STAT_CONN_MAP_FULL = 0,   /* http_conns update failed */
	HP_HTTP_STAT_SERVER_MAP_FULL,     /* http_server update failed */
	HP_HTTP_STAT_CLIENT_MAP_FULL,     /* http_client update failed */
	HP_HTTP_STAT_CONNS_TRACKED,       /* connections added */
	HP_HTTP_STAT_CONNS_CLOSED,        /* connections dropped at close */
	HP_HTTP_STAT_UNPAIRED_REQUESTS,   /* a request while one was in flight */
	HP_HTTP_STAT_UNPAIRED_RESPONSES,  /* a response with no request in flight */
	HP_HTTP_STAT_READ_FAILED,         /* user buffer could not be read */
	HP_HTTP_STAT_PARSE_MISSES,        /* data on a tracked conn, not a start */
	HP_HTTP_STAT_CONNS_EXITED,        /* connections dropped at process exit */
	HP_HTTP_STAT_PROC_MAP_FULL,       /* http_procs update failed */
	HP_HTTP_STAT__COUNT,
};

/* Whether `p` (n bytes) starts with the `len` bytes of `lit`. */
static inline int hp_http_has(const unsigned char *p, unsigned int n, const char *lit,
			      unsigned int len)
{
	unsigned int i;

	if (n < len)
		return 0;
	for (i = 0; i < len; i++)
		if (p[i] != (unsigned char)lit[i])
			return 0;
	return 1;
}

static inline int hp_http_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Recognises the start of an HTTP/1.x message in the first `n` bytes of a
 * buffer (n <= HP_HTTP_PREFIX is all that is looked at). Returns
 * HP_HTTP_REQUEST, HP_HTTP_RESPONSE (with *status_class set to 1..5, or 0 if
 * the status is not three digits followed by a space or the end of the
 * line, or out of 1xx..5xx) or HP_HTTP_NONE. A request needs its method and
 * the space; a response "HTTP/1.0 " or "HTTP/1.1 " (a status line split
 * before its digits counts as a response of class "other"). The first byte
 * decides most non-HTTP data. */
static inline int hp_http_classify(const unsigned char *p, unsigned int n, __u32 *status_class)
{
	*status_class = 0;
	if (n == 0)
		return HP_HTTP_NONE;
	if (n > HP_HTTP_PREFIX)
		n = HP_HTTP_PREFIX;
	switch (p[0]) {
	case 'G':
		return hp_http_has(p, n, "GET ", 4) ? HP_HTTP_REQUEST : HP_HTTP_NONE;
	case 'P':
		if (hp_http_has(p, n, "POST ", 5) || hp_http_has(p, n, "PUT ", 4) ||
		    hp_http_has(p, n, "PATCH ", 6))
			return HP_HTTP_REQUEST;
		return HP_HTTP_NONE;
	case 'D':
		return hp_http_has(p, n, "DELETE ", 7) ? HP_HTTP_REQUEST : HP_HTTP_NONE;
	case 'O':
		return hp_http_has(p, n, "OPTIONS ", 8) ? HP_HTTP_REQUEST : HP_HTTP_NONE;
	case 'C':
		return hp_http_has(p, n, "CONNECT ", 8) ? HP_HTTP_REQUEST : HP_HTTP_NONE;
	case 'T':
		return hp_http_has(p, n, "TRACE ", 6) ? HP_HTTP_REQUEST : HP_HTTP_NONE;
	case 'H':
		if (hp_http_has(p, n, "HEAD ", 5))
			return HP_HTTP_REQUEST;
		if (!hp_http_has(p, n, "HTTP/1.", 7) || n < 9 || (p[7] != '0' && p[7] != '1') ||
		    p[8] != ' ')
			return HP_HTTP_NONE;
		if (n >= 12 && hp_http_digit(p[9]) && hp_http_digit(p[10]) && hp_http_digit(p[11]) &&
		    (n == 12 || p[12] == ' ' || p[12] == '\r' || p[12] == '\n') && p[9] >= '1' &&
		    p[9] <= '5')
			*status_class = p[9] - '0';
		return HP_HTTP_RESPONSE;
	default:
		return HP_HTTP_NONE;
	}
}

#endif /* HOSTPROBE_BPF_HTTP_H */
