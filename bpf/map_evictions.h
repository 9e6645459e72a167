/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared between bpf/map_evictions.bpf.c and its loader. */
#ifndef HOSTPROBE_MAP_EVICTIONS_H
#define HOSTPROBE_MAP_EVICTIONS_H

/* LRU maps of the sensor whose evictions are counted: the five in-flight and
 * per-process maps fit with room for more. */
#define HP_EVICT_MAX_MAPS 16

#endif /* HOSTPROBE_MAP_EVICTIONS_H */
