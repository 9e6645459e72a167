// Label sanitizer: the output is strict UTF-8 without NUL, valid input comes
// back unchanged, sanitizing is idempotent, and the value survives the text
// writer /metrics uses: re-reading the quoted label value from the
// exposition gives it back byte for byte.
#include <prometheus/metric_family.h>

#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "../unit/exposition_util.h"
#include "core/labels.h"
#include "fuzz_check.h"

namespace {

// The value of label `name` in the exposition line of metric `metric`,
// unescaped as the text format specifies (\\, \" and \n).
std::optional<std::string> ReadLabel(const std::string& exposition, const std::string& metric,
                                     const std::string& name) {
  const std::string start = metric + "{" + name + "=\"";
  size_t pos = exposition.find("\n" + start);
  if (pos == std::string::npos) return std::nullopt;
  std::string value;
  for (size_t i = pos + 1 + start.size(); i < exposition.size(); ++i) {
    const char c = exposition[i];
    if (c == '\n') return std::nullopt;  // a raw newline inside a value breaks the format
    if (c == '"') return exposition.compare(i, 2, "\"}") == 0 ? std::optional(value) : std::nullopt;
    if (c != '\\') {
      value.push_back(c);
      continue;
    }
    if (++i == exposition.size()) return std::nullopt;
    switch (exposition[i]) {
      case '\\':
        value.push_back('\\');
        break;
      case '"':
        value.push_back('"');
        break;
      case 'n':
        value.push_back('\n');
        break;
      default:
        return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  const std::string clean = hostprobe::SanitizeLabelValue(raw);
  FUZZ_CHECK(hostprobe::test::IsValidUtf8(clean));
  FUZZ_CHECK(clean.find('\0') == std::string::npos);
  if (hostprobe::test::IsValidUtf8(raw) && raw.find('\0') == std::string_view::npos) FUZZ_CHECK(clean == raw);
  FUZZ_CHECK(hostprobe::SanitizeLabelValue(clean) == clean);

  prometheus::MetricFamily family;
  family.name = "hostprobe_fuzz";
  family.help = "label round trip";
  family.type = prometheus::MetricType::Gauge;
  prometheus::ClientMetric metric;
  metric.label.push_back({"value", clean});
  metric.gauge.value = 1;
  family.metric.push_back(metric);
  const std::string exposition = hostprobe::test::Serialize({family});
  FUZZ_CHECK(hostprobe::test::IsValidUtf8(exposition));
  FUZZ_CHECK(ReadLabel(exposition, family.name, "value") == clean);
  return 0;
}
