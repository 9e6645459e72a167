#include "exporters/prometheus/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>
#include <string>

namespace hostprobe {

Result<std::string> Gzip(std::string_view in) {
  z_stream zs{};
  // 15 window bits + 16 selects the gzip wrapper; level 1 is plenty for text.
  if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return Error{"gzip: deflateInit2 failed", ENOMEM};
  std::string out;
  out.resize(deflateBound(&zs, in.size()));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return Error{"gzip: deflate failed", EIO};
  out.resize(zs.total_out);
  return out;
}

bool AcceptsGzip(std::string_view header) {
  // RFC 9110 12.5.3: an explicit "gzip" entry decides; "*" covers only
  // codings not listed. A weight of 0 means "not acceptable".
  std::string h(header);
  std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return std::tolower(c); });
  std::optional<bool> gzip, star;
  size_t pos = 0;
  while (pos <= h.size()) {
    size_t comma = h.find(',', pos);
    if (comma == std::string::npos) comma = h.size();
    std::string item = h.substr(pos, comma - pos);
    pos = comma + 1;
    size_t semi = item.find(';');
    std::string coding = item.substr(0, semi);
    coding.erase(std::remove_if(coding.begin(), coding.end(), ::isspace), coding.end());
    bool acceptable = true;
    if (semi != std::string::npos) {
      std::string params = item.substr(semi + 1);
      params.erase(std::remove_if(params.begin(), params.end(), ::isspace), params.end());
      if (params.rfind("q=", 0) == 0 && std::strtod(params.c_str() + 2, nullptr) <= 0) acceptable = false;
    }
    if (coding == "gzip")
      gzip = acceptable;
    else if (coding == "*")
      star = acceptable;
  }
  if (gzip) return *gzip;
  return star.value_or(false);
}

}  // namespace hostprobe
