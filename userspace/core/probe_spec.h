// User-defined probes (--probe, --probe-config): what to count, parsed from
// text. Parsing is pure; LoadProbeSpecs is the one function that reads a file.
//
//   NAME=BINARY:SYMBOL                  count calls of SYMBOL (an ELF symbol)
//   NAME=BINARY:SYMBOL:latency          ... and time each call to its return
//   NAME=BINARY:usdt:PROVIDER:PROBE     count hits of a USDT probe
//
// NAME becomes the `probe` label and must match [a-zA-Z_][a-zA-Z0-9_]*.
// BINARY is a path (or a name libbpf looks up in PATH / the library path);
// it cannot contain ':'. SYMBOL is the name in the ELF symbol table (mangled
// for C++), so it cannot contain ':' either.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "result.h"

namespace hostprobe {

enum class ProbeKind {
  kUprobe,  // function entry (and return, with latency)
  kUsdt,    // USDT (statically defined) probe
};

struct ProbeSpec {
  std::string name;
  std::string binary;
  ProbeKind kind = ProbeKind::kUprobe;
  std::string symbol;         // kUprobe
  bool latency = false;       // kUprobe: also a uretprobe and a histogram
  std::string usdt_provider;  // kUsdt
  std::string usdt_name;      // kUsdt

  // The spec as it would be written, for logs and errors.
  std::string ToString() const;
  bool operator==(const ProbeSpec&) const = default;
};

// Most probes one sensor runs (the kernel side has one counter slot each).
inline constexpr size_t kMaxProbes = 64;

// One spec. Errors say what is wrong and quote the spec.
Result<ProbeSpec> ParseProbeSpec(std::string_view text);

// The values of repeated --probe flags, in order. Rejects duplicate names.
Result<std::vector<ProbeSpec>> ParseProbeSpecs(const std::vector<std::string>& texts);

// A probe config file: one spec per line; blank lines are skipped; '#' starts
// a comment when it begins the line or follows whitespace. Errors start with
// "<source>:<line>: ". Rejects duplicate names.
Result<std::vector<ProbeSpec>> ParseProbeConfig(std::string_view text, std::string_view source);

// Everything main needs: the --probe values, then the specs of the
// --probe-config file (skipped when `config_path` is empty). Rejects names
// defined twice anywhere and more than kMaxProbes probes.
Result<std::vector<ProbeSpec>> LoadProbeSpecs(const std::vector<std::string>& flag_values,
                                              const std::string& config_path);

}  // namespace hostprobe
