#include "collectors/bpf_util.h"

#include <spdlog/spdlog.h>

#include <cerrno>

#include "collectors/libbpf_log.h"

namespace hostprobe {

std::vector<HookStatus> AttachPrograms(const std::string& collector, const std::vector<AttachSpec>& specs) {
  std::vector<HookStatus> hooks;
  for (const AttachSpec& spec : specs) {
    HookStatus st{bpf_program__name(spec.program), spec.attach, false, ""};
    bpf_link* link = bpf_program__attach(spec.program);
    if (link == nullptr) {
      st.error = LibbpfError(-errno);
      spdlog::error("{}: attach {} ({}) failed: {}", collector, st.name, st.attach, st.error);
    } else {
      *spec.link = link;  // the skeleton owns it from now on
      st.attached = true;
      spdlog::info("{}: attached {} to {}", collector, st.name, st.attach);
    }
    hooks.push_back(std::move(st));
  }
  return hooks;
}

size_t CountAttached(const std::vector<HookStatus>& hooks) {
  size_t n = 0;
  for (const auto& h : hooks) n += h.attached ? 1 : 0;
  return n;
}

Result<std::vector<uint64_t>> ReadPerCpuCounters(int fd, uint32_t count) {
  std::vector<uint64_t> per_cpu(static_cast<size_t>(libbpf_num_possible_cpus()));
  std::vector<uint64_t> sums(count);
  for (uint32_t i = 0; i < count; ++i) {
    if (bpf_map_lookup_elem(fd, &i, per_cpu.data()) != 0) return Error::FromErrno("read per-CPU counters");
    for (uint64_t v : per_cpu) sums[i] += v;
  }
  return sums;
}

}  // namespace hostprobe
