#include "capabilities.h"

#include <sys/capability.h>

#include <cctype>
#include <charconv>

namespace hostprobe {
namespace {

// The bits named in capabilities.h are the kernel's.
static_assert(kCapDacOverride == CAP_DAC_OVERRIDE && kCapDacReadSearch == CAP_DAC_READ_SEARCH &&
              kCapSetpcap == CAP_SETPCAP && kCapNetBindService == CAP_NET_BIND_SERVICE &&
              kCapSysPtrace == CAP_SYS_PTRACE && kCapSysAdmin == CAP_SYS_ADMIN &&
              kCapSysResource == CAP_SYS_RESOURCE && kCapPerfmon == CAP_PERFMON && kCapBpf == CAP_BPF &&
              kCapCheckpointRestore == CAP_CHECKPOINT_RESTORE);

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

std::string CapabilityName(int cap) {
  // libcap spells a bit it has no name for as its number ("41").
  char* name = cap_to_name(cap);
  std::string out = name != nullptr && std::string_view(name).starts_with("cap_")
                        ? std::string(name)
                        : "cap_" + std::to_string(cap);
  cap_free(name);
  return out;
}

std::string CapabilityNames(uint64_t mask) {
  if (mask == 0) return "none";
  std::string out;
  for (int cap = 0; cap < 64; ++cap) {
    if ((mask & CapBit(cap)) == 0) continue;
    if (!out.empty()) out += ',';
    out += CapabilityName(cap);
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
    // cap_from_name also takes numbers and trailing blanks: only a name it
    // gives back exactly is one.
    cap_value_t cap = -1;
    const bool found =
        cap_from_name(name.c_str(), &cap) == 0 && cap >= 0 && cap < 64 && CapabilityName(cap) == name;
    if (!found) return Error{"unknown capability \"" + std::string(list.substr(0, comma)) + "\"", EINVAL};
    mask |= CapBit(cap);
    if (comma == std::string_view::npos) return mask;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace hostprobe
