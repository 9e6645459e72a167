// The process memory sampler's bookkeeping (core/process_sample.h), fed by
// hand-built stat fields and task iterator records: no /proc, no BPF.
#include "core/process_sample.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

namespace hostprobe {
namespace {

constexpr uint64_t kTicks = 100;  // USER_HZ
constexpr uint64_t kPage = 4096;
constexpr uint64_t kNsPerTick = 1'000'000'000ull / kTicks;

PidStat Stat(const std::string& comm, uint64_t start_ticks, uint64_t flags = 0) {
  PidStat s;
  s.comm = comm;
  s.start_ticks = start_ticks;
  s.flags = flags;
  return s;
}

hp_proc_mem Record(uint32_t pid, uint64_t start_ticks, uint64_t exec_ns = 0) {
  hp_proc_mem r{};
  r.tgid = pid;
  r.start_boottime = start_ticks * kNsPerTick + 123;  // within the tick
  r.exec_ns = exec_ns;
  return r;
}

TEST(ProcessBookTest, AnUnknownPidIsSeededFromItsStat) {
  ProcessBook book(kTicks, kPage);
  book.BeginSample();
  EXPECT_EQ(book.Identify(42, nullptr, false), ProcessBook::Identity::kNew);
  const hp_proc_mem rec = Record(42, 500, /*exec_ns=*/7'000'000'000);
  ProcInfo& info = book.Seed(42, Stat("app", 500), &rec);
  EXPECT_EQ(info.comm, "app");
  EXPECT_EQ(info.start_ticks, 500u);
  EXPECT_FALSE(info.kernel_thread);
  // Its own record's exec stamp starts the history.
  EXPECT_EQ(info.exec_ns, 7'000'000'000u);
  EXPECT_EQ(info.exec_ms, 7'000);
  EXPECT_EQ(book.HistoryStartMs(info), 7'000);
  EXPECT_EQ(book.size(), 1u);
}

TEST(ProcessBookTest, ARecordOfAnotherProcessGivesNoExecStamp) {
  ProcessBook book(kTicks, kPage);
  const hp_proc_mem stale = Record(42, 400, 7'000'000'000);  // the pid's previous owner
  ProcInfo& info = book.Seed(42, Stat("app", 500), &stale);
  EXPECT_EQ(info.exec_ms, 0);
  EXPECT_EQ(book.HistoryStartMs(info), 5'000);  // 500 ticks after boot
}

TEST(ProcessBookTest, AMatchingRecordConfirmsTheProcessWithoutStat) {
  ProcessBook book(kTicks, kPage);
  book.Seed(42, Stat("app", 500), nullptr);
  const hp_proc_mem same = Record(42, 500);
  EXPECT_EQ(book.Identify(42, &same, true), ProcessBook::Identity::kKnown);
  // Without a record (status source) stat must tell.
  EXPECT_EQ(book.Identify(42, nullptr, false), ProcessBook::Identity::kRecheck);
}

TEST(ProcessBookTest, AReusedPidIsToldByItsStartTime) {
  ProcessBook book(kTicks, kPage);
  book.Seed(42, Stat("old", 500), nullptr);
  const hp_proc_mem other = Record(42, 900);
  ASSERT_EQ(book.Identify(42, &other, true), ProcessBook::Identity::kRecheck);
  const auto check = book.CheckStat(42, Stat("new", 900));
  EXPECT_TRUE(check.reused);
  EXPECT_FALSE(check.exec_without_kernel);
  // An unreadable stat is no proof of the same process either.
  EXPECT_TRUE(book.CheckStat(42, std::nullopt).reused);
  ProcInfo& info = book.Seed(42, Stat("new", 900), &other);
  EXPECT_EQ(info.comm, "new");
  EXPECT_EQ(book.size(), 1u);  // replaced, not added
}

TEST(ProcessBookTest, ANewCommWithoutTheExecProgramIsAnExec) {
  ProcessBook book(kTicks, kPage);
  book.Seed(42, Stat("sh", 500), nullptr);
  const auto check = book.CheckStat(42, Stat("server", 500));
  EXPECT_FALSE(check.reused);
  EXPECT_TRUE(check.exec_without_kernel);
  ProcInfo& info = *book.Find(42);
  EXPECT_TRUE(book.ApplyExec(info, nullptr, check.exec_without_kernel, /*now_ms=*/60'000));
  EXPECT_EQ(info.exec_ms, 60'000);
  EXPECT_EQ(book.HistoryStartMs(info), 60'000);
  // The same comm again: nothing happened.
  EXPECT_FALSE(book.CheckStat(42, Stat("sh", 500)).exec_without_kernel);
}

TEST(ProcessBookTest, OnlyANewNonZeroExecStampRestartsTheHistory) {
  ProcessBook book(kTicks, kPage);
  const hp_proc_mem first = Record(42, 500, 9'000'000'000);
  ProcInfo& info = book.Seed(42, Stat("app", 500), &first);
  EXPECT_FALSE(book.ApplyExec(info, &first, false, 0));  // the stamp already known
  const hp_proc_mem evicted = Record(42, 500, 0);        // the stamp went with an LRU eviction
  EXPECT_FALSE(book.ApplyExec(info, &evicted, false, 0));
  EXPECT_EQ(info.exec_ms, 9'000);
  const hp_proc_mem again = Record(42, 500, 12'000'000'000);
  EXPECT_TRUE(book.ApplyExec(info, &again, false, 0));
  EXPECT_EQ(info.exec_ms, 12'000);
}

TEST(ProcessBookTest, AKernelThreadTheIteratorSkipsStaysKnown) {
  ProcessBook book(kTicks, kPage);
  ProcInfo& info = book.Seed(2, Stat("kthreadd", 0, kPfKthread), nullptr);
  EXPECT_TRUE(info.kernel_thread);
  EXPECT_EQ(book.Identify(2, nullptr, /*from_kernel=*/true), ProcessBook::Identity::kKnown);
  EXPECT_EQ(book.Identify(2, nullptr, /*from_kernel=*/false), ProcessBook::Identity::kRecheck);
  EXPECT_FALSE(book.CheckStat(2, Stat("renamed", 0, kPfKthread)).exec_without_kernel);
}

TEST(ProcessBookTest, AProcessNotListedIsForgottenAndASuspectSaysSo) {
  ProcessBook book(kTicks, kPage);
  book.BeginSample();
  book.Seed(10, Stat("stays", 100), nullptr);
  book.Seed(11, Stat("quiet", 100), nullptr);
  book.Seed(12, Stat("leaky", 100), nullptr).suspected = true;
  for (int32_t pid : {10, 11, 12}) ASSERT_NE(book.MarkSeen(pid), nullptr);
  EXPECT_TRUE(book.ForgetUnseen().empty());

  book.BeginSample();
  ASSERT_NE(book.MarkSeen(10), nullptr);
  EXPECT_EQ(book.MarkSeen(99), nullptr);  // never seeded
  auto gone = book.ForgetUnseen();
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].pid, 12);
  EXPECT_EQ(gone[0].comm, "leaky");
  EXPECT_EQ(book.size(), 1u);
  EXPECT_NE(book.Find(10), nullptr);
  EXPECT_EQ(book.Find(11), nullptr);
}

TEST(ProcessBookTest, ForgetReportsOnlySuspects) {
  ProcessBook book(kTicks, kPage);
  book.Seed(10, Stat("a", 1), nullptr);
  book.Seed(11, Stat("b", 1), nullptr).suspected = true;
  EXPECT_FALSE(book.Forget(10).has_value());
  auto s = book.Forget(11);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->pid, 11);
  EXPECT_FALSE(book.Forget(11).has_value());  // already gone
  EXPECT_EQ(book.size(), 0u);
}

TEST(ProcessBookTest, AVerdictIsLoggedOncePerTransition) {
  ProcessBook book(kTicks, kPage);
  ProcInfo& info = book.Seed(42, Stat("app", 1), nullptr);
  EXPECT_EQ(book.Judge(info, false), LeakTransition::kNone);
  EXPECT_EQ(book.Judge(info, true), LeakTransition::kSuspected);
  EXPECT_TRUE(info.suspected);
  EXPECT_EQ(book.Judge(info, true), LeakTransition::kNone);
  EXPECT_EQ(book.Judge(info, true), LeakTransition::kNone);
  EXPECT_EQ(book.Judge(info, false), LeakTransition::kCleared);
  EXPECT_EQ(book.Judge(info, false), LeakTransition::kNone);
  EXPECT_EQ(LeakTransitionOf(false, true), LeakTransition::kSuspected);
  EXPECT_EQ(LeakTransitionOf(true, false), LeakTransition::kCleared);
}

TEST(ProcessBookTest, RowsComeFromTheRecordInPagesOrFromStatusInBytes) {
  ProcessBook book(kTicks, kPage);
  ProcInfo& info = book.Seed(42, Stat("app", 1), nullptr);
  info.cgroup = "/kubepods/a";
  hp_proc_mem rec = Record(42, 1);
  rec.anon_pages = 10;
  rec.file_pages = 20;
  rec.shmem_pages = 3;
  rec.swap_pages = 4;
  rec.data_pages = 5;
  rec.brk_bytes = 8192;
  ProcessMemory k = book.Row(42, info, &rec, nullptr);
  EXPECT_EQ(k.pid, 42);
  EXPECT_EQ(k.comm, "app");
  EXPECT_EQ(k.cgroup, "/kubepods/a");
  EXPECT_TRUE(k.types_known);
  EXPECT_EQ(k.anon_bytes, 10 * kPage);
  EXPECT_EQ(k.rss_bytes, 33 * kPage);     // anon + file + shmem
  EXPECT_EQ(k.judged_bytes, 17 * kPage);  // anon + shmem + swap
  EXPECT_EQ(k.data_bytes, 5 * kPage);
  ASSERT_TRUE(k.brk_heap_bytes.has_value());
  EXPECT_EQ(*k.brk_heap_bytes, 8192u);

  PidStatusMemory st;
  st.has_mm = true;
  st.anon_bytes = 1000;
  st.file_bytes = 2000;
  st.shmem_bytes = 300;
  st.swap_bytes = 40;
  st.data_bytes = 5;
  ProcessMemory s = book.Row(42, info, nullptr, &st);
  EXPECT_EQ(s.rss_bytes, 3300u);
  EXPECT_EQ(s.judged_bytes, 1340u);
  EXPECT_FALSE(s.brk_heap_bytes.has_value());  // the task iterator only
}

TEST(ProcessBookTest, CgroupSumsAddJudgedMemoryAndKeepTheOldestStart) {
  ProcessBook book(kTicks, kPage);
  std::map<std::string, CgroupSum> sums;
  ProcInfo& young = book.Seed(1, Stat("a", 900), nullptr);
  ProcInfo& old = book.Seed(2, Stat("b", 300), nullptr);
  ProcessMemory a, b, none;
  a.pid = 1;
  a.cgroup = "/pod";
  a.judged_bytes = 100;
  b.pid = 2;
  b.cgroup = "/pod";
  b.judged_bytes = 50;
  none.pid = 3;  // no cgroup: not summed
  book.AddToCgroup(sums, a, young);
  book.AddToCgroup(sums, b, old);
  book.AddToCgroup(sums, none, old);
  ASSERT_EQ(sums.size(), 1u);
  EXPECT_EQ(sums["/pod"].judged, 150u);
  EXPECT_EQ(sums["/pod"].oldest_start_ms, 3'000);
  EXPECT_EQ(sums["/pod"].pid, 2);
}

}  // namespace
}  // namespace hostprobe
