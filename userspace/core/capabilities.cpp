#include "capabilities.h"

#include <cctype>
#include <charconv>

namespace hostprobe {
namespace {

constexpr const char* kNames[kCapLastKnown + 1] = {"cap_chown",
                                                   "cap_dac_override",
                                                   "cap_dac_read_search",
                                                   "cap_fowner",
                                                   "cap_fsetid",
                                                   "cap_kill",
                                                   "cap_setgid",
                                                   "cap_setuid",
                                                   "cap_setpcap",
                                                   "cap_linux_immutable",
                                                   "cap_net_bind_service",
                                                   "cap_net_broadcast",
                                                   "cap_net_admin",
                                                   "cap_net_raw",
                                                   "cap_ipc_lock",
                                                   "cap_ipc_owner",
                                                   "cap_sys_module",
                                                   "cap_sys_rawio",
                                                   "cap_sys_chroot",
                                                   "cap_sys_ptrace",
                                                   "cap_sys_pacct",
                                                   "cap_sys_admin",
                                                   "cap_sys_boot",
                                                   "cap_sys_nice",
                                                   "cap_sys_resource",
                                                   "cap_sys_time",
                                                   "cap_sys_tty_config",
                                                   "cap_mknod",
                                                   "cap_lease",
                                                   "cap_audit_write",
                                                   "cap_audit_control",
                                                   "cap_setfcap",
                                                   "cap_mac_override",
                                                   "cap_mac_admin",
                                                   "cap_syslog",
                                                   "cap_wake_alarm",
                                                   "cap_block_suspend",
                                                   "cap_audit_read",
                                                   "cap_perfmon",
                                                   "cap_bpf",
                                                   "cap_checkpoint_restore"};

// Finds the "Name:" line and returns its value, trimmed.
bool FindField(std::string_view text, std::string_view name, std::string_view* value) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (line.size() > name.size() && line.substr(0, name.size()) == name && line[name.size()] == ':') {
      line.remove_prefix(name.size() + 1);
      while (!line.empty() && (line.front() == '\t' || line.front() == ' ')) line.remove_prefix(1);
      while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
      *value = line;
      return true;
    }
    pos = end + 1;
  }
  return false;
}

Status ParseMask(std::string_view status, std::string_view name, uint64_t* out) {
  std::string_view v;
  if (!FindField(status, name, &v)) return Error{"no " + std::string(name) + " line in status", EINVAL};
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), *out, 16);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size())
    return Error{"malformed " + std::string(name) + " \"" + std::string(v) + "\"", EINVAL};
  return Ok{};
}

}  // namespace

Result<CapabilitySets> ParseCapabilitySets(std::string_view status) {
  CapabilitySets s;
  const std::pair<const char*, uint64_t*> fields[] = {{"CapInh", &s.inheritable},
                                                      {"CapPrm", &s.permitted},
                                                      {"CapEff", &s.effective},
                                                      {"CapBnd", &s.bounding},
                                                      {"CapAmb", &s.ambient}};
  for (const auto& [name, dst] : fields) {
    if (auto st = ParseMask(status, name, dst); !st.ok()) return st.error();
  }
  std::string_view nnp;
  if (FindField(status, "NoNewPrivs", &nnp)) s.no_new_privs = nnp == "1";
  return s;
}

std::string CapabilityNames(uint64_t mask) {
  if (mask == 0) return "none";
  std::string out;
  for (int cap = 0; cap < 64; ++cap) {
    if ((mask & CapBit(cap)) == 0) continue;
    if (!out.empty()) out += ',';
    out += cap <= kCapLastKnown ? kNames[cap] : "cap_" + std::to_string(cap);
  }
  return out;
}

Result<uint64_t> ParseCapabilityList(std::string_view list) {
  uint64_t mask = 0;
  while (true) {
    size_t comma = list.find(',');
    std::string name(list.substr(0, comma));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name.rfind("cap_", 0) != 0) name = "cap_" + name;
    bool found = false;
    for (int cap = 0; cap <= kCapLastKnown && !found; ++cap) {
      if (name == kNames[cap]) {
        mask |= CapBit(cap);
        found = true;
      }
    }
    if (!found) return Error{"unknown capability \"" + std::string(list.substr(0, comma)) + "\"", EINVAL};
    if (comma == std::string_view::npos) return mask;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace hostprobe
