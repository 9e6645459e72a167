// Saved leak-detector state (--state-dir): whatever the bytes, decoding never
// crashes nor allocates without bound, and a state it accepts encodes back to
// bytes that decode to the same state. Each input is tried as it is and with
// its last four bytes replaced by the right CRC-32, so that mutations reach
// the decoder past the checksum.
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/leak_state.h"
#include "fuzz_check.h"

static void Check(std::string_view bytes);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Check(bytes);
  if (size >= 4) {
    std::string fixed(bytes);
    const uint32_t crc = static_cast<uint32_t>(crc32(
        crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(fixed.data()), static_cast<uInt>(size - 4)));
    std::memcpy(fixed.data() + size - 4, &crc, 4);
    Check(fixed);
  }
  return 0;
}

static void Check(std::string_view bytes) {
  auto state = hostprobe::DecodeLeakState(bytes);
  if (!state) {
    FUZZ_CHECK(!state.error().message.empty());
    return;
  }
  for (const auto& e : state->entries) {
    FUZZ_CHECK(e.key.pid > 0);
    FUZZ_CHECK(e.samples.size() <= hostprobe::kLeakStateMaxSamples);
    for (size_t i = 1; i < e.samples.size(); ++i) FUZZ_CHECK(e.samples[i].t_ms >= e.samples[i - 1].t_ms);
  }
  const std::string again = hostprobe::EncodeLeakState(*state);
  auto decoded = hostprobe::DecodeLeakState(again);
  FUZZ_CHECK(decoded.ok());
  FUZZ_CHECK(decoded->entries.size() == state->entries.size());
  FUZZ_CHECK(hostprobe::EncodeLeakState(*decoded) == again);
}
