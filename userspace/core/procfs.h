// Parsers for the /proc files behind the host resource metrics. Pure: text
// in, struct out, no file I/O, so every one of them is tested on fixtures.
//
// The kernel always ends these files with a newline. Text that does not is
// treated as cut short (a read that raced a size limit, a truncated copy) and
// rejected: the last number on the line may have lost digits, and a wrong
// number is worse than none.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.h"

namespace hostprobe {

// ---- /proc/stat ------------------------------------------------------------------

// Time spent in each mode, in USER_HZ ticks. guest and guest_nice are not
// here: the kernel already includes them in user and nice.
struct CpuTicks {
  uint64_t user = 0;
  uint64_t nice = 0;
  uint64_t system = 0;
  uint64_t idle = 0;
  uint64_t iowait = 0;
  uint64_t irq = 0;
  uint64_t softirq = 0;
  uint64_t steal = 0;
};

struct CoreTicks {
  uint32_t cpu = 0;  // N of the "cpuN" line
  CpuTicks ticks;
};

struct CpuStat {
  CpuTicks total;                // the aggregate "cpu" line
  std::vector<CoreTicks> cores;  // one per online CPU, in file order
};

// Needs the aggregate "cpu" line. Each cpu line needs at least user, nice,
// system and idle (Linux 2.4); columns added by later kernels default to 0.
// Other lines (intr, ctxt, ...) are ignored.
Result<CpuStat> ParseProcStat(std::string_view text);

// Same modes in seconds. Kept apart from the parser so that the tick rate
// (sysconf(_SC_CLK_TCK), 100 almost everywhere) is an input, not a global.
struct CpuSeconds {
  double user = 0;
  double nice = 0;
  double system = 0;
  double idle = 0;
  double iowait = 0;
  double irq = 0;
  double softirq = 0;
  double steal = 0;
};

// `ticks_per_second` must be > 0.
CpuSeconds TicksToSeconds(const CpuTicks& ticks, uint64_t ticks_per_second);

// ---- /proc/meminfo ----------------------------------------------------------------

// Bytes (the file says kB, meaning KiB). Only MemTotal is required; a field
// the kernel does not print is absent rather than 0.
struct MemInfo {
  uint64_t total_bytes = 0;
  std::optional<uint64_t> free_bytes;
  std::optional<uint64_t> available_bytes;  // Linux 3.14+
  std::optional<uint64_t> buffers_bytes;
  std::optional<uint64_t> cached_bytes;
  std::optional<uint64_t> swap_total_bytes;
  std::optional<uint64_t> swap_free_bytes;
};

Result<MemInfo> ParseMeminfo(std::string_view text);

// ---- /proc/pressure/{cpu,memory,io} ------------------------------------------------

struct PressureLine {
  double avg10 = 0;  // percent of wall time stalled, moving averages
  double avg60 = 0;
  double avg300 = 0;
  uint64_t total_us = 0;  // stall time since boot, microseconds
};

struct Pressure {
  PressureLine some;                 // at least one task stalled
  std::optional<PressureLine> full;  // all non-idle tasks stalled; cpu has it from Linux 5.13
};

Result<Pressure> ParsePressure(std::string_view text);

// ---- /proc/<pid>/mountinfo ---------------------------------------------------------

struct MountInfo {
  uint32_t mount_id = 0;
  uint32_t parent_id = 0;
  uint32_t major = 0;
  uint32_t minor = 0;
  std::string root;         // path of the mount's root inside its filesystem (bind mounts)
  std::string mount_point;  // unescaped
  std::string options;      // per-mount options ("rw,relatime")
  std::string fstype;       // "ext4", "fuse.sshfs"
  std::string source;       // unescaped; "/dev/vda1", "tmpfs", "none"
  std::string super_options;
};

// Every line must be well formed: id parent major:minor root mountpoint
// options [optional fields...] - fstype source superoptions.
Result<std::vector<MountInfo>> ParseMountinfo(std::string_view text);

// mountinfo escapes space, tab, newline and backslash as a backslash and
// three octal digits; this undoes it (anything else is kept as it is).
std::string UnescapeOctal(std::string_view s);

// The filesystems worth a statvfs and a series, in mountinfo order:
//  - mounts hidden by another mount stacked on the same mount point are
//    dropped (statvfs would answer for the one on top);
//  - pseudo filesystems (proc, sysfs, cgroup, overlay, squashfs, ...) and
//    anything under /proc, /sys, /dev, /run/credentials or the container
//    runtimes' per-container trees (/var/lib/docker/, /var/lib/containers/storage/,
//    /var/lib/kubelet/pods/) are dropped; tmpfs elsewhere is kept;
//  - bind mounts of one device and root are reported once, at the shortest
//    mount point (the first one listed on a tie).
std::vector<MountInfo> SelectFilesystems(const std::vector<MountInfo>& mounts);

// True for the fstypes SelectFilesystems never reports.
bool IsPseudoFilesystem(std::string_view fstype);

// ---- /proc/diskstats ---------------------------------------------------------------

// Sectors are 512 bytes whatever the device's block size.
struct DiskStat {
  uint32_t major = 0;
  uint32_t minor = 0;
  std::string name;  // kernel name: "vda", "nvme0n1p1", "loop0"
  uint64_t reads_completed = 0;
  uint64_t sectors_read = 0;
  uint64_t writes_completed = 0;
  uint64_t sectors_written = 0;
  std::optional<uint64_t> discards_completed;  // Linux 4.18+
  std::optional<uint64_t> sectors_discarded;   // Linux 4.18+
  std::optional<uint64_t> flushes_completed;   // Linux 5.5+
};

inline constexpr uint64_t kDiskSectorBytes = 512;

// Accepts the 14-field (2.6.25+), 18-field (4.18+) and 20-or-more-field
// (5.5+) line formats, and the 7-field partition lines of older kernels.
Result<std::vector<DiskStat>> ParseDiskstats(std::string_view text);

}  // namespace hostprobe

namespace hostprobe {

// ---- /proc/<pid>/statm, stat, cgroup ------------------------------------------------

// Sizes in pages, as statm prints them.
struct Statm {
  uint64_t size = 0;      // total virtual memory; 0 for kernel threads (no mm)
  uint64_t resident = 0;  // resident anon + file + shmem (VmRSS)
  uint64_t shared = 0;    // resident file + shmem
  uint64_t text = 0;
  uint64_t data = 0;  // data_vm + stack_vm (VmData + VmStk)
};

// One line of seven numbers.
Result<Statm> ParseStatm(std::string_view text);

// The memory lines of /proc/<pid>/status, in bytes (the file says kB,
// meaning KiB). Unlike statm it tells file pages from shared memory and
// gives swap; the resident counters are the same ones statm reads.
struct PidStatusMemory {
  bool has_mm = false;       // false for kernel threads and zombies: no Vm lines at all
  uint64_t rss_bytes = 0;    // VmRSS: RssAnon + RssFile + RssShmem
  uint64_t anon_bytes = 0;   // RssAnon
  uint64_t file_bytes = 0;   // RssFile
  uint64_t shmem_bytes = 0;  // RssShmem
  uint64_t swap_bytes = 0;   // VmSwap: swapped-out anonymous memory (shmem swap not included)
  uint64_t data_bytes = 0;   // VmData + VmStk, statm's data field
};

// Without VmRSS: has_mm false. With it, RssAnon, RssFile, RssShmem (4.5+),
// VmData, VmStk and VmSwap must be there too. Other lines are skipped; the
// Name line cannot forge one (the kernel escapes a newline in it), and a
// repeated memory line is an error.
Result<PidStatusMemory> ParsePidStatusMemory(std::string_view text);

struct PidStat {
  std::string comm;          // field 2 without its parentheses
  uint64_t flags = 0;        // field 9: the task's PF_* flags
  uint64_t start_ticks = 0;  // field 22: start time after boot, in USER_HZ ticks
};

// PF_KTHREAD (include/linux/sched.h): a kernel thread, which has no memory of its own.
inline constexpr uint64_t kPfKthread = 0x00200000;

// comm is taken as the kernel gives it: the bytes from after "pid (" up to
// the last ')', whatever they are (spaces, parentheses, newlines, invalid
// UTF-8); the other fields are counted after that ')'. Labels built from it
// go through SanitizeLabelValue.
Result<PidStat> ParsePidStat(std::string_view text);

// /proc/<pid>/comm: the name and one '\n', which is removed (and only it: a
// name may end in newlines of its own).
Result<std::string> ParsePidComm(std::string_view text);

// What /proc/self/fdinfo/<fd> says of a BPF map: its type, the kernel
// memory it holds (memlock, bytes) and its id; nullopt when the fd is not a
// BPF map (no map_type line).
struct BpfMapFdinfo {
  uint32_t map_type = 0;
  uint64_t memlock = 0;
  uint32_t map_id = 0;
};
Result<std::optional<BpfMapFdinfo>> ParseBpfMapFdinfo(std::string_view text);

// The cgroup v2 path from /proc/<pid>/cgroup (the "0::" line), nullopt when
// the process has none (no unified hierarchy mounted).
Result<std::optional<std::string>> ParsePidCgroupV2(std::string_view text);

}  // namespace hostprobe
