#include "options.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <optional>
#include <string_view>

#include "capabilities.h"
#include "duration.h"
#include "leak_detector.h"
#include "probe_spec.h"

namespace hostprobe {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

Error BadValue(std::string_view flag, std::string_view value, std::string_view why) {
  return Error{
      "invalid value \"" + std::string(value) + "\" for " + std::string(flag) + ": " + std::string(why),
      EINVAL};
}

Result<std::pair<std::string, uint16_t>> ParseListen(std::string_view flag, std::string_view v) {
  size_t colon = v.rfind(':');
  if (colon == std::string_view::npos) return BadValue(flag, v, "expected HOST:PORT, e.g. 0.0.0.0:9640");
  std::string_view host = v.substr(0, colon);
  std::string_view port_text = v.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    if (host.empty()) return BadValue(flag, v, "empty IPv6 address");
  } else if (host.find(':') != std::string_view::npos) {
    return BadValue(flag, v, "IPv6 addresses go in brackets, e.g. [::1]:9640");
  }
  // A bracket left inside the host ("[[::1]]") would make ListenAddress() name another address.
  if (host.find_first_of("[]") != std::string_view::npos) return BadValue(flag, v, "stray '[' or ']'");
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
    return BadValue(flag, v, "port must be a number from 1 to 65535");
  return std::make_pair(host.empty() ? std::string("0.0.0.0") : std::string(host),
                        static_cast<uint16_t>(port));
}

std::optional<uint32_t> WholeNumber(std::string_view v) {
  uint32_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
  return n;
}

Status SetAbsolutePath(std::string& out, std::string_view flag, std::string_view v) {
  if (v.empty() || v.front() != '/') return BadValue(flag, v, "expected an absolute path");
  out = std::string(v);
  return Ok{};
}

Status SetNonEmpty(std::string& out, std::string_view flag, std::string_view v, std::string_view what) {
  if (v.empty()) return BadValue(flag, v, "expected " + std::string(what));
  out = std::string(v);
  return Ok{};
}

// One of the names `name` gives the values of `all`.
template <typename Enum, size_t N>
Status SetNamed(Enum& out, std::string_view flag, std::string_view v, const Enum (&all)[N],
                const char* (*name)(Enum), std::string_view expected) {
  for (Enum e : all) {
    if (v == name(e)) {
      out = e;
      return Ok{};
    }
  }
  return BadValue(flag, v, expected);
}

// ---- the flags ---------------------------------------------------------------

// What follows a flag on the command line.
enum class Takes {
  kNothing,   // --flag
  kOptional,  // --flag, or --flag=VALUE
  kValue,     // --flag VALUE or --flag=VALUE; given twice, the last counts (unless the setter appends)
};

// Applies one occurrence of a flag; `value` is nullopt when none was given.
// Errors name `flag`.
using Setter = Status (*)(Options& o, std::string_view flag, std::optional<std::string_view> value);

struct FlagDef {
  const char* names;  // as CLI11 takes them: "--listen", "-h,--help"
  const char* value;  // as --help and the README show it: "HOST:PORT", "[=LIST]", "" for none
  Takes takes;
  const char* help;           // one paragraph, no line breaks
  const char* default_value;  // a value of this flag that gives Options{}'s setting, or nullptr
  const char* default_note;   // else the default in words, or nullptr when there is none
  Setter set;
};

constexpr HookMode kHookModes[] = {HookMode::kAuto, HookMode::kTpBtf, HookMode::kRawTp};
constexpr MemorySource kMemorySources[] = {MemorySource::kAuto, MemorySource::kEbpf, MemorySource::kProcfs};

// Every flag, in the order --help lists them. The defaults shown are checked
// against Options{} (options_test) and against the README (flags_doc_test).
const FlagDef kFlags[] = {
    {"--listen", "HOST:PORT", Takes::kValue, "address of the HTTP endpoint ([::1]:9640 for IPv6)",
     "0.0.0.0:9640", nullptr,
     [](Options& o, std::string_view f, std::optional<std::string_view> v) -> Status {
       auto hp = ParseListen(f, *v);
       if (!hp) return hp.error();
       o.listen_host = hp->first;
       o.listen_port = hp->second;
       return Ok{};
     }},
    {"--log-level", "LEVEL", Takes::kValue, "trace, debug, info, warn or error", "info", nullptr,
     [](Options& o, std::string_view f, std::optional<std::string_view> v) -> Status {
       for (std::string_view level : {"trace", "debug", "info", "warn", "error"}) {
         if (*v == level) {
           o.log_level = std::string(level);
           return Ok{};
         }
       }
       return BadValue(f, *v, "expected trace, debug, info, warn or error");
     }},
    {"--sample-interval", "DURATION", Takes::kValue, "how often every process's memory is sampled", "10s",
     nullptr,
     [](Options& o, std::string_view f, std::optional<std::string_view> v) -> Status {
       auto d = ParseDuration(*v);
       if (!d) return BadValue(f, *v, "expected a duration such as 10s, 5m, 1h");
       // The sampler and the leak detector count in milliseconds.
       if (*d < milliseconds(1)) return BadValue(f, *v, "expected at least 1ms");
       o.sample_interval = *d;
       return Ok{};
     }},
    {"--leak-window", "DURATION", Takes::kValue,
     "the leak detector's reference window W: W/6, W/3, W and 12W are judged at once "
     "(docs/leak-detection.md); at least 36 sample intervals, at most 24d",
     "30m", nullptr,
     [](Options& o, std::string_view f, std::optional<std::string_view> v) -> Status {
       auto d = ParseDuration(*v);
       if (!d) return BadValue(f, *v, "expected a duration such as 10s, 5m, 1h");
       o.leak_window = *d;  // checked against --sample-interval once both are known
       return Ok{};
     }},
    {"--state-dir", "DIR", Takes::kValue,
     "where the leak detector's histories are kept across restarts, written at most once a minute "
     "and at shutdown (unwritable: a warning, and the sensor runs without); \"\" keeps none",
     "/var/lib/hostprobe", nullptr,
     [](Options& o, std::string_view, std::optional<std::string_view> v) -> Status {
       o.state_dir = std::string(*v);
       return Ok{};
     }},
    {"--top-processes", "N", Takes::kValue,
     "per-process series kept, largest resident memory first; leak suspects are always added", "20", nullptr,
     [](Options& o, std::string_view f, std::optional<std::string_view> v) -> Status {
       auto n = WholeNumber(*v);
       if (!n || *n > 100000) return BadValue(f, *v, "expected a whole number from 0 to 100000");
       o.top_processes = *n;
       return Ok{};
     }},
    {"--bpf-hook", "MODE", Takes::kValue,
     "kernel hook family: auto (tp_btf where the kernel has it, else raw_tp), or tp_btf or raw_tp to "
     "force one",
     "auto", nullptr,
     [](Options& o, std::string_view f, std::optional<std::string_view> v) -> Status {
       return SetNamed(o.hook_mode, f, *v, kHookModes, HookModeName, "expected auto, tp_btf or raw_tp");
     }},
    {"--syscall-latency-sample", "N", Takes::kValue,
     "time the calls that start in 20 ms windows opened at random moments, 1/N of the time, for "
     "hostprobe_syscall_latency_seconds (each timing counts as N; call and error counts stay exact); "
     "1 times every call, at about twice the per-call cost (tp_btf only; raw_tp times every call)",
     "64", nullptr,
     [](Options& o, std::string_view f, std::optional<std::string_view> v) -> Status {
       auto n = WholeNumber(*v);
       if (!n || *n == 0 || *n > 65536)
         return BadValue(f, *v, "expected a whole number from 1 (time every call) to 65536");
       o.syscall_latency_sample = *n;
       return Ok{};
     }},
    {"--process-memory-source", "SRC", Takes::kValue,
     "where per-process memory is read from at each sample: ebpf (a BPF task iterator), procfs "
     "(/proc/<pid>/status, no program loaded), or auto (ebpf, else procfs where the kernel cannot)",
     "auto", nullptr,
     [](Options& o, std::string_view f, std::optional<std::string_view> v) -> Status {
       return SetNamed(o.memory_source, f, *v, kMemorySources, MemorySourceName,
                       "expected auto, ebpf or procfs");
     }},
    {"--removed-cgroup-grace", "DURATION", Takes::kValue,
     "how long a removed cgroup (a stopped container) keeps its final counts in the per-cgroup "
     "series; per-pod totals outlive it; 0s drops them at once; at most 1h",
     "2m", nullptr,
     [](Options& o, std::string_view f, std::optional<std::string_view> v) -> Status {
       const bool zero = *v == "0" || *v == "0s" || *v == "0ms" || *v == "0m";
       auto d = ParseDuration(*v);
       if (!d && !zero) return BadValue(f, *v, "expected a duration such as 0s, 90s, 2m");
       const std::chrono::nanoseconds grace = zero ? std::chrono::nanoseconds(0) : *d;
       if (grace > std::chrono::hours(1))
         return BadValue(f, *v, "at most 1h (removed cgroups are kept in memory that long)");
       o.removed_cgroup_grace = grace;
       return Ok{};
     }},
    {"--cgroup-root", "PATH", Takes::kValue,
     "cgroup v2 mount used to name cgroups (a hybrid host's /sys/fs/cgroup means its unified tree)", nullptr,
     "the host's cgroup2 mount from <procfs>/1/mountinfo under --rootfs, else this process's",
     [](Options& o, std::string_view f, std::optional<std::string_view> v) -> Status {
       return SetAbsolutePath(o.cgroup_root, f, *v);
     }},
    {"--procfs", "PATH", Takes::kValue, "where the host's /proc is mounted, e.g. /host/proc in a container",
     "/proc", nullptr,
     [](Options& o, std::string_view f, std::optional<std::string_view> v) -> Status {
       return SetAbsolutePath(o.procfs, f, *v);
     }},
    {"--rootfs", "PATH", Takes::kValue,
     "where the host's / is mounted, e.g. /host: prefixed to mount points for filesystem usage", "/", nullptr,
     [](Options& o, std::string_view f, std::optional<std::string_view> v) -> Status {
       return SetAbsolutePath(o.rootfs, f, *v);
     }},
    {"--cpu-per-core", "", Takes::kNothing, "also export CPU time per CPU (hostprobe_cpu_core_seconds_total)",
     nullptr, "off",
     [](Options& o, std::string_view, std::optional<std::string_view>) -> Status {
       o.cpu_per_core = true;
       return Ok{};
     }},
    {"--probe", "NAME=BINARY:SYMBOL[:latency]", Takes::kValue,
     "count calls of a function (uprobe), and time them with :latency; NAME=BINARY:usdt:PROVIDER:PROBE "
     "for a USDT probe; repeatable",
     nullptr, "none",
     [](Options& o, std::string_view, std::optional<std::string_view> v) -> Status {
       o.probes.emplace_back(*v);  // checked together once all are known (names must differ)
       return Ok{};
     }},
    {"--probe-config", "FILE", Takes::kValue, "probes, one spec per line ('#' comments)", nullptr, "none",
     [](Options& o, std::string_view f, std::optional<std::string_view> v) -> Status {
       return SetNonEmpty(o.probe_config, f, *v, "a file name");
     }},
    {"--kubernetes", "", Takes::kNothing,
     "name pods and containers from the API server, as info series (hostprobe_pod_info, "
     "hostprobe_container_info); lists this node's pods once, then watches them (RBAC: pods list, watch)",
     nullptr, "off",
     [](Options& o, std::string_view, std::optional<std::string_view>) -> Status {
       o.kubernetes = true;
       return Ok{};
     }},
    {"--kubernetes-api", "URL", Takes::kValue, "the API server --kubernetes asks", nullptr,
     "https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT",
     [](Options& o, std::string_view f, std::optional<std::string_view> v) -> Status {
       if (v->rfind("https://", 0) != 0 && v->rfind("http://", 0) != 0)
         return BadValue(f, *v, "expected a URL such as https://10.0.0.1:443");
       o.kubernetes_api = std::string(*v);
       return Ok{};
     }},
    {"--node-name", "NAME", Takes::kValue, "this node's name, whose pods --kubernetes lists", nullptr,
     "$NODE_NAME",
     [](Options& o, std::string_view f, std::optional<std::string_view> v) -> Status {
       return SetNonEmpty(o.node_name, f, *v, "the node's name");
     }},
    {"--kubernetes-token-file", "FILE", Takes::kValue, "bearer token for the API server",
     "/var/run/secrets/kubernetes.io/serviceaccount/token", nullptr,
     [](Options& o, std::string_view, std::optional<std::string_view> v) -> Status {
       o.kubernetes_token_file = std::string(*v);
       return Ok{};
     }},
    {"--kubernetes-ca-file", "FILE", Takes::kValue, "CA bundle for an https API server",
     "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt", nullptr,
     [](Options& o, std::string_view, std::optional<std::string_view> v) -> Status {
       o.kubernetes_ca_file = std::string(*v);
       return Ok{};
     }},
    {"--web-config", "FILE", Takes::kValue,
     "TLS and basic auth for the endpoint, in the Prometheus exporter-toolkit web config format "
     "(docs/security.md)",
     nullptr, "plain HTTP, no auth",
     [](Options& o, std::string_view f, std::optional<std::string_view> v) -> Status {
       return SetNonEmpty(o.web_config, f, *v, "a file name");
     }},
    {"--max-series-per-family", "N", Takes::kValue,
     "series kept per metric family (a kept series stays kept); the rest are folded into one series "
     "labelled \"overflow\" (for counters a total that never decreases) and counted in "
     "hostprobe_series_dropped_total; 0 for no cap",
     "5000", nullptr,
     [](Options& o, std::string_view f, std::optional<std::string_view> v) -> Status {
       auto n = WholeNumber(*v);
       if (!n || *n == 1 || *n > 10000000)
         return BadValue(f, *v, "expected 0 (no cap) or a whole number from 2 to 10000000");
       o.max_series_per_family = *n;
       return Ok{};
     }},
    {"--keep-capabilities", "[=LIST]", Takes::kOptional,
     "keep every capability after start-up, or only those in LIST (e.g. dac_read_search) on top of "
     "what is needed (docs/security.md)",
     nullptr, "drop all not needed once programs are attached",
     [](Options& o, std::string_view f, std::optional<std::string_view> v) -> Status {
       if (!v) {
         o.keep_capabilities = true;
         return Ok{};
       }
       auto mask = ParseCapabilityList(*v);
       if (!mask) return BadValue(f, *v, mask.error().message + "; e.g. dac_read_search");
       o.keep_capability_mask |= *mask;
       return Ok{};
     }},
    {"--version", "", Takes::kNothing, "print the version and exit", nullptr, nullptr,
     [](Options& o, std::string_view, std::optional<std::string_view>) -> Status {
       o.show_version = true;
       return Ok{};
     }},
    {"-h,--help", "", Takes::kNothing, "print this help and exit", nullptr, nullptr,
     [](Options& o, std::string_view, std::optional<std::string_view>) -> Status {
       o.show_help = true;
       return Ok{};
     }},
};

std::string LongName(const FlagDef& f) {
  std::string_view names = f.names;
  return std::string(names.substr(names.rfind(',') + 1));
}

bool TakesValue(std::string_view arg) {
  for (const FlagDef& f : kFlags) {
    if (f.takes == Takes::kValue && arg == LongName(f)) return true;
  }
  return false;
}

// What a flag's occurrence carries, in values CLI11 passes through: a flag
// given without a value gets kNoValue (its "default flag value"), and
// "--flag=" is rewritten to "--flag=<kEmptyValue>" before parsing, since
// CLI11 reads it as "--flag" and would take the next argument as the value
// ("--state-dir=" means no state directory).
constexpr std::string_view kNoValue = "\x01";
constexpr std::string_view kEmptyValue = "\x02";

// "-h,--help" -> "-h{<kNoValue>},--help{<kNoValue>}": CLI11's syntax for the
// value a flag given alone carries.
std::string WithNoValueMark(std::string_view names) {
  std::string out;
  for (size_t start = 0; start <= names.size();) {
    size_t comma = names.find(',', start);
    if (comma == std::string_view::npos) comma = names.size();
    if (!out.empty()) out += ',';
    out += std::string(names.substr(start, comma - start)) + "{" + std::string(kNoValue) + "}";
    start = comma + 1;
  }
  return out;
}

// Rules that span flags, checked once every flag is read.
Status CheckTogether(const Options& o) {
  // The leak detector's own rule, so that no window passes here that the
  // detector would refuse. Both in milliseconds, as main hands them on.
  const auto interval = duration_cast<milliseconds>(o.sample_interval);
  if (auto st = LeakParams::For(interval, duration_cast<milliseconds>(o.leak_window)).Validate(); !st.ok())
    return Error{"invalid value \"" + FormatDuration(o.leak_window) +
                     "\" for --leak-window with --sample-interval " + FormatDuration(o.sample_interval) +
                     ": " + st.error().message,
                 EINVAL};
  // Each spec's form and distinct names; the --probe-config file is read by main.
  if (auto specs = ParseProbeSpecs(o.probes); !specs) return specs.error();
  return Ok{};
}

// Breaks `text` into lines of at most kHelpWidth columns (a longer word gets
// a line of its own), the first continuing `line`, the others indented by
// kHelpIndent. kGlue joins words that stay on one line.
constexpr size_t kHelpWidth = 100;
constexpr size_t kHelpIndent = 32;
constexpr char kGlue = '\x1f';

void AppendWrapped(std::string& out, std::string line, std::string_view text) {
  bool line_has_words = false;
  for (size_t start = 0; start < text.size();) {
    size_t space = text.find(' ', start);
    if (space == std::string_view::npos) space = text.size();
    std::string_view word = text.substr(start, space - start);
    start = space + 1;
    if (word.empty()) continue;
    if (line_has_words && line.size() + 1 + word.size() > kHelpWidth) {
      out += line + "\n";
      line = std::string(kHelpIndent, ' ');
      line_has_words = false;
    }
    if (line_has_words) line += ' ';
    for (char c : word) line += c == kGlue ? ' ' : c;
    line_has_words = true;
  }
  out += line + "\n";
}

}  // namespace

std::string Options::ListenAddress() const {
  if (listen_host.find(':') != std::string::npos)
    return "[" + listen_host + "]:" + std::to_string(listen_port);
  return listen_host + ":" + std::to_string(listen_port);
}

const char* HookModeName(HookMode mode) {
  switch (mode) {
    case HookMode::kAuto:
      return "auto";
    case HookMode::kTpBtf:
      return "tp_btf";
    case HookMode::kRawTp:
      return "raw_tp";
  }
  return "?";
}

const char* MemorySourceName(MemorySource source) {
  switch (source) {
    case MemorySource::kAuto:
      return "auto";
    case MemorySource::kEbpf:
      return "ebpf";
    case MemorySource::kProcfs:
      return "procfs";
  }
  return "?";
}

Result<Options> ParseOptions(const std::vector<std::string>& args) {
  Options o;
  std::optional<Error> failure;  // the first bad value, in our words

  CLI::App app;
  app.set_help_flag();  // -h/--help is a flag of the table: main prints Usage()
  app.allow_extras();   // unknown flags and stray arguments are reported below
  std::string unused;
  for (const FlagDef& f : kFlags) {
    auto apply = [&o, &failure, &f](const std::string& raw) {
      std::optional<std::string_view> value;
      if (raw == kEmptyValue) {
        value = "";
      } else if (raw != kNoValue) {
        value = raw;
      }
      const std::string flag = LongName(f);
      Status st = f.takes == Takes::kNothing && value  ? Error{"flag " + flag + " takes no value", EINVAL}
                  : f.takes == Takes::kValue && !value ? Error{"flag " + flag + " needs a value", EINVAL}
                                                       : f.set(o, flag, value);
      if (!st.ok()) {
        failure = st.error();
        throw CLI::ValidationError(flag, st.error().message);
      }
    };
    CLI::Option* opt = f.takes == Takes::kValue ? app.add_option_function<std::string>(f.names, apply)
                                                : app.add_flag(WithNoValueMark(f.names), unused)->each(apply);
    opt->trigger_on_parse();  // every occurrence, in order: each is checked, the last one counts
  }

  std::vector<std::string> reversed;  // CLI11 takes the arguments last first
  for (size_t i = args.size(); i-- > 1;) {
    const std::string& arg = args[i];
    // The two marker bytes below must not come from the command line itself.
    if (arg.find_first_of(std::string(kNoValue) + std::string(kEmptyValue)) != std::string::npos)
      return Error{"argument " + std::to_string(i) + " contains a control byte (0x01 or 0x02)", EINVAL};
    // No positional arguments to mark off; "--" is only ever a value ("--state-dir --").
    if (arg == "--" && !(i >= 2 && TakesValue(args[i - 1])))
      return Error{"unexpected argument \"--\"", EINVAL};
    const bool empty_value = arg.size() > 3 && arg.rfind("--", 0) == 0 && arg.find('=') == arg.size() - 1;
    reversed.push_back(empty_value ? arg + std::string(kEmptyValue) : arg);
  }
  try {
    app.parse(std::move(reversed));
  } catch (const CLI::Error& e) {
    if (failure) return *failure;
    // "--flag=" is marked above, so a value can only be missing at the end.
    if (args.size() > 1 && TakesValue(args.back()))
      return Error{"flag " + args.back() + " needs a value", EINVAL};
    return Error{e.what(), EINVAL};
  }
  if (const std::vector<std::string> extra = app.remaining(); !extra.empty()) {
    const std::string& first = extra.front();
    if (first.rfind("--", 0) == 0) return Error{"unknown flag " + first.substr(0, first.find('=')), EINVAL};
    return Error{"unexpected argument \"" + first + "\"", EINVAL};
  }
  if (auto st = CheckTogether(o); !st.ok()) return st.error();
  return o;
}

Status ResolveFromEnvironment(Options& o, const std::function<const char*(const char*)>& getenv) {
  if (!o.kubernetes) return Ok{};
  if (o.kubernetes_api.empty()) {
    const char* host = getenv("KUBERNETES_SERVICE_HOST");
    const char* port = getenv("KUBERNETES_SERVICE_PORT");
    if (host == nullptr || port == nullptr)
      return Error{
          "--kubernetes needs the API server: run in a pod (KUBERNETES_SERVICE_HOST is unset) "
          "or pass --kubernetes-api URL",
          EINVAL};
    const std::string h = host;
    o.kubernetes_api = "https://" + (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" + port;
  }
  if (o.node_name.empty()) {
    if (const char* name = getenv("NODE_NAME"); name != nullptr) o.node_name = name;
  }
  if (o.node_name.empty())
    return Error{
        "--kubernetes needs this node's name: set NODE_NAME from the downward API "
        "(fieldRef spec.nodeName) or pass --node-name",
        EINVAL};
  return Ok{};
}

std::vector<FlagDoc> FlagDocs() {
  std::vector<FlagDoc> docs;
  for (const FlagDef& f : kFlags) {
    FlagDoc d;
    for (char c : std::string_view(f.names)) {
      if (c == ',')
        d.names += ", ";
      else
        d.names += c;
    }
    d.value = f.value;
    d.help = f.help;
    d.default_is_value = f.default_value != nullptr;
    d.default_text = f.default_value != nullptr  ? f.default_value
                     : f.default_note != nullptr ? f.default_note
                                                 : "";
    docs.push_back(std::move(d));
  }
  return docs;
}

std::string Usage(const std::string& program) {
  std::string out = "Usage: " + program +
                    " [flags]\n\n"
                    "eBPF host telemetry sensor: serves Prometheus metrics on /metrics.\n\n"
                    "Flags:\n";
  for (const FlagDoc& d : FlagDocs()) {
    std::string head = "  " + d.names;
    if (!d.value.empty()) head += (d.value.front() == '[' ? "" : " ") + d.value;
    std::string text = d.help;
    if (!d.default_text.empty()) {
      // Kept on one line where it fits.
      std::string note = "(default: " + d.default_text + ")";
      if (note.size() <= kHelpWidth - kHelpIndent) std::replace(note.begin(), note.end(), ' ', kGlue);
      text += " " + note;
    }
    if (head.size() + 2 <= kHelpIndent) {
      head.resize(kHelpIndent, ' ');
    } else {
      out += head + "\n";
      head = std::string(kHelpIndent, ' ');
    }
    AppendWrapped(out, head, text);
  }
  out +=
      "\nDURATION is Go/Prometheus style: 500ms, 10s, 5m, 1h.\n"
      "Endpoints: /metrics, /livez, /healthz, /\n";
  return out;
}

}  // namespace hostprobe
