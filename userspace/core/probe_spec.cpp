#include "core/probe_spec.h"

#include <fstream>
#include <set>
#include <sstream>

namespace hostprobe {
namespace {

constexpr std::string_view kForm =
    "expected NAME=BINARY:SYMBOL, NAME=BINARY:SYMBOL:latency or "
    "NAME=BINARY:usdt:PROVIDER:PROBE";

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool IsIdentifier(std::string_view s) {
  if (s.empty()) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!alpha(s.front())) return false;
  for (char c : s) {
    if (!alpha(c) && !digit(c)) return false;
  }
  return true;
}

bool HasSpaceOrControl(std::string_view s) {
  for (char c : s) {
    if (IsSpace(c) || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

Error Bad(std::string_view spec, std::string_view why) {
  return Error{"invalid probe \"" + std::string(spec) + "\": " + std::string(why), EINVAL};
}

// Appends `more` to `all`, failing on a name already there. `where` says
// where each spec came from, for the error.
Status AppendUnique(std::vector<ProbeSpec>& all, std::vector<std::string>& origins, ProbeSpec spec,
                    std::string origin) {
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i].name == spec.name) {
      return Error{
          "probe name \"" + spec.name + "\" is defined twice (" + origins[i] + " and " + origin + ")",
          EINVAL};
    }
  }
  all.push_back(std::move(spec));
  origins.push_back(std::move(origin));
  return Ok{};
}

// Parses a config file's lines onto `all`; see ParseProbeConfig.
Status AppendConfig(std::string_view text, std::string_view source, std::vector<ProbeSpec>& all,
                    std::vector<std::string>& origins) {
  size_t line_no = 0;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_no;
    // A '#' opens a comment at the start of the line or after whitespace, so
    // a '#' inside a path ("/opt/a#b/bin") is kept.
    for (size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '#' && (i == 0 || IsSpace(line[i - 1]))) {
        line = line.substr(0, i);
        break;
      }
    }
    if (Trim(line).empty()) continue;
    const std::string where = std::string(source) + ":" + std::to_string(line_no);
    auto spec = ParseProbeSpec(line);
    if (!spec) return Error{where + ": " + spec.error().message, spec.error().err};
    if (auto st = AppendUnique(all, origins, std::move(*spec), where); !st)
      return Error{where + ": " + st.error().message, EINVAL};
  }
  return Ok{};
}

}  // namespace

std::string ProbeSpec::ToString() const {
  if (kind == ProbeKind::kUsdt) return name + "=" + binary + ":usdt:" + usdt_provider + ":" + usdt_name;
  return name + "=" + binary + ":" + symbol + (latency ? ":latency" : "");
}

Result<ProbeSpec> ParseProbeSpec(std::string_view text) {
  const std::string_view spec = Trim(text);
  if (spec.empty()) return Bad(spec, std::string(kForm));
  const size_t eq = spec.find('=');
  if (eq == std::string_view::npos) return Bad(spec, "no '=': " + std::string(kForm));
  ProbeSpec out;
  const std::string_view name = Trim(spec.substr(0, eq));
  if (name.empty()) return Bad(spec, "empty probe name");
  if (!IsIdentifier(name))
    return Bad(spec, "probe name \"" + std::string(name) + "\" must match [a-zA-Z_][a-zA-Z0-9_]*");
  out.name = std::string(name);

  const std::string_view target = Trim(spec.substr(eq + 1));
  const std::vector<std::string_view> parts = Split(target, ':');
  if (parts.size() < 2) return Bad(spec, "missing symbol: " + std::string(kForm));
  if (parts[0].empty()) return Bad(spec, "missing binary");
  if (HasSpaceOrControl(parts[0])) return Bad(spec, "binary path contains whitespace");
  out.binary = std::string(parts[0]);

  if (parts[1] == "usdt") {
    out.kind = ProbeKind::kUsdt;
    if (parts.size() == 5 && parts[4] == "latency")
      return Bad(spec, "USDT probes mark a point, not a call: :latency applies only to function probes");
    if (parts.size() != 4 || parts[2].empty() || parts[3].empty())
      return Bad(spec, "a USDT probe is NAME=BINARY:usdt:PROVIDER:PROBE");
    if (!IsIdentifier(parts[2]))
      return Bad(spec, "USDT provider \"" + std::string(parts[2]) + "\" is not an identifier");
    if (!IsIdentifier(parts[3]))
      return Bad(spec, "USDT probe \"" + std::string(parts[3]) + "\" is not an identifier");
    out.usdt_provider = std::string(parts[2]);
    out.usdt_name = std::string(parts[3]);
    return out;
  }

  if (parts[1].empty()) return Bad(spec, "missing symbol");
  if (HasSpaceOrControl(parts[1])) return Bad(spec, "symbol contains whitespace");
  out.symbol = std::string(parts[1]);
  if (parts.size() == 2) return out;
  if (parts.size() == 3) {
    if (parts[2] == "latency") {
      out.latency = true;
      return out;
    }
    if (parts[2].empty()) return Bad(spec, "empty suffix after the symbol (the only suffix is \"latency\")");
    return Bad(spec, "unknown suffix \"" + std::string(parts[2]) + "\" (the only suffix is \"latency\")");
  }
  // "a::b" is a demangled C++ name, not an ELF symbol.
  if (parts.size() >= 3 && parts[2].empty())
    return Bad(spec, "symbol contains ':'; give the ELF (mangled) symbol name, e.g. from nm -D");
  return Bad(spec, "too many ':'-separated fields: " + std::string(kForm));
}

Result<std::vector<ProbeSpec>> ParseProbeSpecs(const std::vector<std::string>& texts) {
  std::vector<ProbeSpec> all;
  std::vector<std::string> origins;
  for (const std::string& text : texts) {
    auto spec = ParseProbeSpec(text);
    if (!spec) return Error{"--probe: " + spec.error().message, spec.error().err};
    if (auto st = AppendUnique(all, origins, std::move(*spec), "--probe " + std::string(Trim(text))); !st)
      return st.error();
  }
  return all;
}

Result<std::vector<ProbeSpec>> ParseProbeConfig(std::string_view text, std::string_view source) {
  std::vector<ProbeSpec> all;
  std::vector<std::string> origins;
  if (auto st = AppendConfig(text, source, all, origins); !st) return st.error();
  return all;
}

Result<std::vector<ProbeSpec>> LoadProbeSpecs(const std::vector<std::string>& flag_values,
                                              const std::string& config_path) {
  auto from_flags = ParseProbeSpecs(flag_values);
  if (!from_flags) return from_flags.error();
  std::vector<ProbeSpec> all = std::move(*from_flags);
  std::vector<std::string> origins;
  for (const ProbeSpec& s : all) origins.push_back("--probe " + s.ToString());
  if (!config_path.empty()) {
    std::ifstream in(config_path);
    if (!in) return Error::FromErrno("--probe-config: cannot read " + config_path);
    std::stringstream ss;
    ss << in.rdbuf();
    if (in.bad()) return Error::FromErrno("--probe-config: cannot read " + config_path);
    if (auto st = AppendConfig(ss.str(), config_path, all, origins); !st)
      return Error{"--probe-config: " + st.error().message, st.error().err};
  }
  if (all.size() > kMaxProbes)
    return Error{
        "too many probes: " + std::to_string(all.size()) + " given, at most " + std::to_string(kMaxProbes),
        EINVAL};
  return all;
}

}  // namespace hostprobe
