#include "core/leak_state.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <zlib.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "collectors/leak_state_store.h"
#include "temp_dir.h"

namespace hostprobe {
namespace {

constexpr const char* kBoot = "0f0e0d0c-0b0a-4908-8706-050403020100";

LeakState Sample() {
  LeakState st;
  st.boot_id = kBoot;
  st.sample_interval_ms = 10'000;
  st.window_ms = 1'800'000;
  LeakStateEntry a;
  a.key = {4242, 123456};
  a.exec_ms = 1000;
  a.suspected = true;
  for (int i = 0; i < 100; ++i) a.samples.push_back({50'000 + i * 10'000, uint64_t(1 << 20) + i * 4096ull});
  LeakStateEntry b;
  b.key = {77, 99};
  b.exec_ms = 5;
  b.samples.push_back({60'000, 8192});
  st.entries = {a, b};
  return st;
}

// Replaces the trailing CRC so that a test reaches the checks behind it.
std::string WithCrc(std::string bytes) {
  const uint32_t crc =
      static_cast<uint32_t>(crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(bytes.data()),
                                  static_cast<uInt>(bytes.size() - 4)));
  std::memcpy(bytes.data() + bytes.size() - 4, &crc, 4);
  return bytes;
}

TEST(LeakStateTest, RoundTrip) {
  const LeakState st = Sample();
  auto back = DecodeLeakState(EncodeLeakState(st));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->boot_id, kBoot);
  EXPECT_EQ(back->sample_interval_ms, 10'000);
  EXPECT_EQ(back->window_ms, 1'800'000);
  ASSERT_EQ(back->entries.size(), 2u);
  const auto& a = back->entries[0];
  EXPECT_EQ(a.key.pid, 4242);
  EXPECT_EQ(a.key.start_time, 123456u);
  EXPECT_EQ(a.exec_ms, 1000);
  EXPECT_TRUE(a.suspected);
  ASSERT_EQ(a.samples.size(), 100u);
  for (size_t i = 0; i < a.samples.size(); ++i) {
    EXPECT_EQ(a.samples[i].t_ms, st.entries[0].samples[i].t_ms);
    EXPECT_EQ(a.samples[i].rss_bytes, st.entries[0].samples[i].rss_bytes);
  }
  EXPECT_FALSE(back->entries[1].suspected);
}

TEST(LeakStateTest, CorruptTruncatedAndForeignInputIsRejected) {
  const std::string good = EncodeLeakState(Sample());
  std::string flipped = good;
  flipped[60] ^= 0x40;
  EXPECT_FALSE(DecodeLeakState(flipped).ok()) << "a flipped byte";
  EXPECT_NE(DecodeLeakState(flipped).error().message.find("checksum"), std::string::npos);
  EXPECT_FALSE(DecodeLeakState(good.substr(0, good.size() - 9)).ok()) << "truncated";
  EXPECT_FALSE(DecodeLeakState("").ok());
  EXPECT_FALSE(DecodeLeakState("{\"json\": true}").ok());
  std::string v2 = good;
  v2[4] = 2;
  EXPECT_NE(DecodeLeakState(WithCrc(v2)).error().message.find("version 2"), std::string::npos);
  // A count of entries no file of this size can hold.
  std::string many = good;
  const uint32_t huge = 0x7fffffff;
  std::memcpy(many.data() + 4 + 4 + 36 + 16, &huge, 4);
  EXPECT_FALSE(DecodeLeakState(WithCrc(many)).ok());
  // Trailing garbage behind a valid body.
  std::string longer = good.substr(0, good.size() - 4) + "xxxx" + good.substr(good.size() - 4);
  EXPECT_FALSE(DecodeLeakState(WithCrc(longer)).ok());
}

TEST(LeakStateTest, SizeIsBounded) {
  LeakState st = Sample();
  LeakStateEntry big = st.entries[0];
  big.samples.resize(kLeakStateMaxSamples);
  for (size_t i = 0; i < big.samples.size(); ++i) big.samples[i] = {int64_t(i) * 1000, 4096};
  st.entries.assign(1000, big);  // 1000 x 32 KiB: more than the bound
  const std::string bytes = EncodeLeakState(st);
  EXPECT_LE(bytes.size(), kLeakStateMaxBytes);
  auto back = DecodeLeakState(bytes);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_LT(back->entries.size(), 1000u);
  EXPECT_GT(back->entries.size(), 100u);
}

// Fills a tracker with one steady leak and one flat process, judged enough
// to suspect the leak.
LeakTracker Judged(const LeakParams& p, int64_t* now) {
  LeakTracker t(p);
  for (int64_t ms = 0; ms <= 2 * p.window_ms; ms += p.sample_interval_ms) {
    t.Observe({10, 1}, 0, ms, (64ull << 20) + uint64_t(ms) * 1024);  // 1 MiB/s
    t.Observe({11, 1}, 0, ms, 64ull << 20);
    t.JudgeAll(ms);
    *now = ms;
  }
  return t;
}

TEST(LeakStateTest, TrackerExportRestoreKeepsVerdicts) {
  const LeakParams p = LeakParams::For(std::chrono::seconds(1), std::chrono::seconds(60));
  int64_t now = 0;
  LeakTracker before = Judged(p, &now);
  ASSERT_TRUE(before.Judge({10, 1}, now)->suspected);
  auto saved = before.Export(10);
  ASSERT_EQ(saved.size(), 2u);
  EXPECT_EQ(saved[0].key.pid, 10) << "suspects first";
  EXPECT_EQ(before.Export(1).size(), 1u);

  LeakTracker after(p);
  for (const auto& e : saved) after.Restore(e);
  // The next sampling round sees both processes again, one second later.
  after.Observe({10, 1}, 0, now + 1000, (64ull << 20) + uint64_t(now + 1000) * 1024);
  after.Observe({11, 1}, 0, now + 1000, 64ull << 20);
  EXPECT_TRUE(after.Judge({10, 1}, now + 1000)->suspected) << "judged at once, not after a window";
  EXPECT_FALSE(after.Judge({11, 1}, now + 1000)->suspected);
  // A process with another start time under a saved pid is a new one.
  LeakTracker reused(p);
  for (const auto& e : saved) reused.Restore(e);
  reused.Observe({10, 2}, now, now + 1000, 1 << 20);
  EXPECT_EQ(reused.History({10, 2})->size(), 1u);
  EXPECT_EQ(reused.History({10, 1}), nullptr);
}

class LeakStateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    old_ = spdlog::get_level();
    spdlog::set_level(spdlog::level::off);
  }
  void TearDown() override { spdlog::set_level(old_); }
  test_util::TempDir tmp_;
  spdlog::level::level_enum old_{};
};

TEST_F(LeakStateStoreTest, SavesAtMostOnceAMinuteAndLoadsItBack) {
  const LeakParams p = LeakParams::For(std::chrono::seconds(1), std::chrono::seconds(60));
  int64_t now = 0;
  LeakTracker t = Judged(p, &now);
  const std::string dir = tmp_.path() + "/state";
  LeakStateStore store(dir, kBoot, p);
  ASSERT_TRUE(store.enabled()) << "the directory is made";
  store.MaybeSave(t, 1'000, false);
  store.MaybeSave(t, 30'000, false);
  EXPECT_EQ(store.saves(), 1u) << "at most once a minute";
  store.MaybeSave(t, 61'000, false);
  store.MaybeSave(t, 62'000, true);
  EXPECT_EQ(store.saves(), 3u);
  struct stat st {};
  EXPECT_NE(stat((dir + "/leak-state.tmp").c_str(), &st), 0) << "no temporary file left behind";

  LeakStateStore reader(dir, kBoot, p);
  auto entries = reader.Load();
  EXPECT_EQ(entries.size(), 2u);
  EXPECT_EQ(reader.restored(), 2u);
  // Another boot, or other flags: ignored.
  EXPECT_TRUE(LeakStateStore(dir, "ffffffff-0b0a-4908-8706-050403020100", p).Load().empty());
  const LeakParams other = LeakParams::For(std::chrono::seconds(1), std::chrono::seconds(90));
  EXPECT_TRUE(LeakStateStore(dir, kBoot, other).Load().empty());
}

TEST_F(LeakStateStoreTest, MissingCorruptAndUnusableStateNeverStopsTheSensor) {
  const LeakParams p = LeakParams::For(std::chrono::seconds(1), std::chrono::seconds(60));
  LeakStateStore empty(tmp_.path(), kBoot, p);
  EXPECT_TRUE(empty.Load().empty()) << "no file yet";
  {
    std::ofstream out(tmp_.path() + "/leak-state", std::ios::binary);
    out << "HPLS garbage";
  }
  EXPECT_TRUE(empty.Load().empty());
  // A directory that cannot be made (its parent is a file): disabled.
  {
    std::ofstream out(tmp_.path() + "/file");
    out << "x";
  }
  LeakStateStore bad(tmp_.path() + "/file/state", kBoot, p);
  EXPECT_FALSE(bad.enabled());
  LeakTracker t(p);
  bad.MaybeSave(t, 0, true);  // nothing happens, nothing throws
  EXPECT_EQ(bad.saves(), 0u);
  EXPECT_FALSE(LeakStateStore(tmp_.path(), "", p).enabled()) << "no boot id: times would mean nothing";
  EXPECT_FALSE(LeakStateStore("", kBoot, p).enabled());
}

}  // namespace
}  // namespace hostprobe
