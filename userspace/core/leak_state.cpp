#include "core/leak_state.h"

#include <zlib.h>

#include <cstring>

namespace hostprobe {
namespace {

constexpr char kMagic[4] = {'H', 'P', 'L', 'S'};
constexpr uint32_t kVersion = 1;
constexpr size_t kBootIdBytes = 36;
// Boot-clock milliseconds: 2^52 is over a hundred thousand years. Every time
// (the first sample's and each one after it) must stay under it, so that a
// state read back encodes to one that reads back too.
constexpr int64_t kMaxTimeMs = int64_t{1} << 52;

template <typename T>
void Put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));  // the hosts we build for are little-endian
  out.append(b, sizeof(T));
}

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  template <typename T>
  bool Get(T* v) {
    if (s_.size() - pos_ < sizeof(T)) return false;
    std::memcpy(v, s_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool Bytes(size_t n, std::string* out) {
    if (s_.size() - pos_ < n) return false;
    out->assign(s_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  size_t left() const { return s_.size() - pos_; }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

uint32_t Crc(std::string_view s) {
  return static_cast<uint32_t>(
      crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

Error Bad(const std::string& why) { return Error{"leak state: " + why, EINVAL}; }

}  // namespace

std::string EncodeLeakState(const LeakState& state) {
  std::string out;
  out.append(kMagic, sizeof(kMagic));
  Put<uint32_t>(out, kVersion);
  std::string boot = state.boot_id.substr(0, kBootIdBytes);
  boot.resize(kBootIdBytes, ' ');
  out += boot;
  Put<int64_t>(out, state.sample_interval_ms);
  Put<int64_t>(out, state.window_ms);
  const size_t count_at = out.size();
  Put<uint32_t>(out, 0);
  uint32_t count = 0;
  for (const LeakStateEntry& e : state.entries) {
    const size_t n = std::min<size_t>(e.samples.size(), kLeakStateMaxSamples);
    const size_t need = 4 + 8 + 8 + 1 + 4 + 8 + 8 * n;
    if (out.size() + need + 4 > kLeakStateMaxBytes) break;
    Put<int32_t>(out, e.key.pid);
    Put<uint64_t>(out, e.key.start_time);
    Put<int64_t>(out, e.exec_ms);
    Put<uint8_t>(out, e.suspected);
    Put<uint32_t>(out, static_cast<uint32_t>(n));
    const int64_t first = n > 0 ? e.samples[e.samples.size() - n].t_ms : 0;
    Put<int64_t>(out, first);
    for (size_t i = e.samples.size() - n; i < e.samples.size(); ++i) {
      const auto& s = e.samples[i];
      Put<uint32_t>(out, static_cast<uint32_t>(std::min<int64_t>(s.t_ms - first, UINT32_MAX)));
      Put<uint32_t>(out, static_cast<uint32_t>(std::min<uint64_t>(s.rss_bytes / 1024, UINT32_MAX)));
    }
    ++count;
  }
  std::memcpy(out.data() + count_at, &count, sizeof(count));
  Put<uint32_t>(out, Crc(out));
  return out;
}

Result<LeakState> DecodeLeakState(std::string_view bytes) {
  if (bytes.size() < sizeof(kMagic) + 4 + 4) return Bad("too short");
  if (std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) return Bad("not a leak state file");
  uint32_t stored_crc = 0;
  std::memcpy(&stored_crc, bytes.data() + bytes.size() - 4, 4);
  const std::string_view body = bytes.substr(0, bytes.size() - 4);
  if (Crc(body) != stored_crc) return Bad("checksum mismatch (truncated or corrupt)");

  Reader r(body.substr(sizeof(kMagic)));
  uint32_t version = 0;
  if (!r.Get(&version)) return Bad("truncated header");
  if (version != kVersion) return Bad("version " + std::to_string(version) + ", expected 1");
  LeakState st;
  uint32_t count = 0;
  if (!r.Bytes(kBootIdBytes, &st.boot_id) || !r.Get(&st.sample_interval_ms) || !r.Get(&st.window_ms) ||
      !r.Get(&count))
    return Bad("truncated header");
  while (!st.boot_id.empty() && st.boot_id.back() == ' ') st.boot_id.pop_back();
  // Each entry takes at least 33 bytes: a count past that is a lie.
  if (count > r.left() / 33) return Bad("entry count larger than the file");
  st.entries.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    LeakStateEntry e;
    uint8_t suspected = 0;
    uint32_t n = 0;
    int64_t first = 0;
    if (!r.Get(&e.key.pid) || !r.Get(&e.key.start_time) || !r.Get(&e.exec_ms) || !r.Get(&suspected) ||
        !r.Get(&n) || !r.Get(&first))
      return Bad("truncated entry " + std::to_string(i));

    if (n > kLeakStateMaxSamples || n > r.left() / 8)
      return Bad("entry " + std::to_string(i) + ": sample count out of bounds");
    if (e.key.pid <= 0) return Bad("entry " + std::to_string(i) + ": bad pid");
    if (first < 0 || first > kMaxTimeMs) return Bad("entry " + std::to_string(i) + ": bad time");
    e.suspected = suspected;
    e.samples.reserve(n);
    uint32_t prev = 0;
    for (uint32_t k = 0; k < n; ++k) {
      uint32_t dt = 0, kib = 0;
      if (!r.Get(&dt) || !r.Get(&kib)) return Bad("truncated samples");
      if (k > 0 && dt < prev) return Bad("entry " + std::to_string(i) + ": samples out of order");
      if (first + dt > kMaxTimeMs) return Bad("entry " + std::to_string(i) + ": bad time");
      prev = dt;
      e.samples.push_back({first + dt, static_cast<uint64_t>(kib) * 1024});
    }
    st.entries.push_back(std::move(e));
  }
  if (r.left() != 0) return Bad("trailing bytes after the last entry");
  return st;
}

}  // namespace hostprobe
