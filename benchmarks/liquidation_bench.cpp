// -----------------------------------------------------------------------------
// File: benchmarks/liquidation_bench.cpp
// -----------------------------------------------------------------------------
//
// Liquidation benchmark (issue 13): the candidate index
// (perpcore/liquidation/candidate_index.hpp) on its own, at the issue's
// target size. Every operation is timed alone (lfence;rdtsc;lfence ..
// rdtscp;lfence, timer overhead included).
//
// Entries: N (1,000,000; --entries N; 20,000 with --smoke), half longs and
// half shorts, in one market with a mark of 300,000 ticks and 100 atoms a
// tick-lot. Each position opened at entry price mark * e, e uniform in
// [0.97, 1.03], with a leverage L log-uniform in [1.1, 9.5] and a
// maintenance fraction of 0.5%: a long is liquidated near
// entry * (1 - 1/L + 0.005) (36..95% of the entry), a short near
// entry * (1 + 1/L - 0.005). Its trigger in X-space is that price in ticks
// times atoms_per_tick_lot * 1e18, plus the funding it had settled (a
// random offset within +-half a tick's worth), so triggers are spread as
// real liquidation prices are and none is equal to another by design.
// X at the mark is 300,000 * 100 * 1e18 (funding index 0): nothing fires
// there.
//
// liquidation/insert     the N inserts building the index from empty (its
//                        growth, incremental, is in the tail).
// liquidation/update     U (200,000; 2,000 with --smoke) moves of random
//                        entries to a trigger 1% further away and back (the
//                        engine moves an entry after every fill and every
//                        funding settlement).
// liquidation/fired_drop the query after a 10% mark drop (X at 270,000
//                        ticks): about 2.6% of the longs fire (k = 13,067
//                        of 1 M at the default seed), all written (a span of N); R repetitions (50;
//                        10 with --smoke). Checked: the count equals a full
//                        scan of the generated entries and the depths are
//                        non-increasing.
// liquidation/fired_drop_limit100  the same query with a span of 100 (a
//                        keeper's Liquidatable(100)): flags more.
// liquidation/fired_none Fired() at the mark: nothing fires (what a mark
//                        update pays to look), Q (200,000; 2,000 with
//                        --smoke) repetitions.
// liquidation/any_fired_none  AnyFired() at the mark, Q repetitions.
// liquidation/erase      E (100,000; 1,000 with --smoke) erasures of random
//                        entries.
//
// Memory: heap bytes in use after the inserts, minus before, per entry
// (alloc_counter.cpp), reported with the insert row.
//
// Usage: liquidation_bench [--smoke] [--json PATH] [--seed S] [--entries N]
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alloc_counter.hpp"
#include "bench_common.hpp"
#include "fmt/format.h"
#include "perpcore/core/side.hpp"
#include "perpcore/liquidation/candidate_index.hpp"
#include "support/rng.hpp"

namespace perpcore::bench {
namespace {

using liquidation::CandidateEntry;
using liquidation::CandidateIndex;
using liquidation::FiredResult;

constexpr std::int64_t kMarkTicks = 300'000;
constexpr std::int64_t kAtomsPerTickLot = 100;
constexpr std::int64_t kIndexScale = 1'000'000'000'000'000'000;  // 1e18
const absl::int128 kTickX = absl::int128(kAtomsPerTickLot) * kIndexScale;  // one tick in X

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "liquidation_bench: %s\n", what.c_str());
  std::exit(1);
}


// The generated entries (ids 1..N; odd ids long, even short).
std::vector<CandidateEntry> GenerateEntries(std::uint64_t n, std::uint64_t seed) {
  testing::Rng rng(seed);
  std::vector<CandidateEntry> entries;
  entries.reserve(n);
  const double log_lo = std::log(1.1);
  const double log_hi = std::log(9.5);
  for (std::uint64_t id = 1; id <= n; ++id) {
    const bool is_long = (id & 1) != 0;
    const double e = 0.97 + 0.06 * rng.Uniform01();
    const double leverage = std::exp(log_lo + (log_hi - log_lo) * rng.Uniform01());
    const double f = is_long ? 1 - 1 / leverage + 0.005 : 1 + 1 / leverage - 0.005;
    const auto liq_ticks = static_cast<std::int64_t>(std::llround(kMarkTicks * e * f));
    const absl::int128 funding_offset =
        rng.Between(-kAtomsPerTickLot / 2, kAtomsPerTickLot / 2) * absl::int128(kIndexScale);
    entries.push_back(CandidateEntry{id, is_long ? Side::kBuy : Side::kSell,
                                     absl::int128(liq_ticks) * kTickX + funding_offset});
  }
  return entries;
}

std::uint64_t ScanFired(const std::vector<CandidateEntry>& entries, absl::int128 x) {
  std::uint64_t k = 0;
  for (const CandidateEntry& e : entries) {
    if (e.side == Side::kBuy ? x <= e.trigger : x >= e.trigger) ++k;
  }
  return k;
}

struct Spec {
  std::uint64_t entries = 1'000'000;
  std::uint64_t updates = 200'000;
  std::uint64_t drop_reps = 50;
  std::uint64_t none_reps = 200'000;
  std::uint64_t erases = 100'000;
  std::uint64_t seed = 20261207;
};

void Run(const Spec& spec, double ns_per_stamp, std::vector<Row>* rows) {
  std::vector<CandidateEntry> entries = GenerateEntries(spec.entries, spec.seed);
  testing::Rng rng(spec.seed ^ 0xA5A5A5A5ULL);

  // Inserts.
  CandidateIndex index;
  const std::int64_t heap0 = g_alloc.bytes_in_use;
  std::vector<std::uint32_t> stamps(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::uint64_t s0 = StartStamp();
    const bool ok = index.Insert(entries[i]);
    stamps[i] = ClampStamp(StopStamp() - s0);
    if (!ok) Fail("insert refused");
  }
  const double bytes_per_entry =
      static_cast<double>(g_alloc.bytes_in_use - heap0) / static_cast<double>(entries.size());
  Row insert = MakeRow("liquidation/insert", std::move(stamps), ns_per_stamp);
  insert.extra.emplace_back("entries", static_cast<double>(entries.size()));
  insert.extra.emplace_back("heap_bytes_per_entry", bytes_per_entry);
  PrintRow(insert);
  rows->push_back(std::move(insert));

  // Updates: a random entry 1% further from the mark, then back.
  stamps.assign(spec.updates, 0);
  for (std::uint64_t i = 0; i < spec.updates; i += 2) {
    CandidateEntry& e = entries[rng.Below(entries.size())];
    CandidateEntry moved = e;
    const absl::int128 step = absl::int128(kMarkTicks / 100) * kTickX;
    moved.trigger = e.side == Side::kBuy ? e.trigger - step : e.trigger + step;
    std::uint64_t s0 = StartStamp();
    const bool ok1 = index.Update(moved);
    stamps[i] = ClampStamp(StopStamp() - s0);
    s0 = StartStamp();
    const bool ok2 = index.Update(e);
    if (i + 1 < spec.updates) stamps[i + 1] = ClampStamp(StopStamp() - s0);
    if (!ok1 || !ok2) Fail("update refused");
  }
  Row update = MakeRow("liquidation/update", std::move(stamps), ns_per_stamp);
  PrintRow(update);
  rows->push_back(std::move(update));

  // The 10% drop.
  const absl::int128 x_mark = absl::int128(kMarkTicks) * kTickX;
  const absl::int128 x_drop = absl::int128(kMarkTicks * 9 / 10) * kTickX;
  const std::uint64_t k_scan = ScanFired(entries, x_drop);
  if (ScanFired(entries, x_mark) != 0) Fail("entries fire at the mark");
  std::vector<CandidateEntry> out(entries.size());
  stamps.assign(spec.drop_reps, 0);
  FiredResult fired;
  for (std::uint64_t r = 0; r < spec.drop_reps; ++r) {
    const std::uint64_t s0 = StartStamp();
    fired = index.Fired(x_drop, out);
    stamps[r] = ClampStamp(StopStamp() - s0);
  }
  if (fired.written != k_scan || fired.more) {
    Fail(fmt::format("drop: {} fired, a full scan finds {}", fired.written, k_scan));
  }
  for (std::size_t i = 0; i < fired.written; ++i) {
    if (out[i].side != Side::kBuy) Fail("drop: a short fired");
    if (i > 0 && out[i].trigger > out[i - 1].trigger) Fail("drop: depths increase");
  }
  Row drop = MakeRow("liquidation/fired_drop", std::move(stamps), ns_per_stamp);
  drop.extra.emplace_back("fired", static_cast<double>(fired.written));
  drop.extra.emplace_back("ns_per_fired", drop.all.p50_ns / static_cast<double>(fired.written));
  PrintRow(drop);
  rows->push_back(std::move(drop));

  stamps.assign(spec.drop_reps, 0);
  for (std::uint64_t r = 0; r < spec.drop_reps; ++r) {
    const std::uint64_t s0 = StartStamp();
    fired = index.Fired(x_drop, std::span<CandidateEntry>(out.data(), 100));
    stamps[r] = ClampStamp(StopStamp() - s0);
  }
  if (fired.written != std::min<std::uint64_t>(100, k_scan) || fired.more != (k_scan > 100)) {
    Fail("drop with a limit of 100: wrong count");
  }
  Row drop100 = MakeRow("liquidation/fired_drop_limit100", std::move(stamps), ns_per_stamp);
  PrintRow(drop100);
  rows->push_back(std::move(drop100));

  // Nothing fires at the mark.
  stamps.assign(spec.none_reps, 0);
  std::uint64_t any = 0;
  for (std::uint64_t r = 0; r < spec.none_reps; ++r) {
    const std::uint64_t s0 = StartStamp();
    fired = index.Fired(x_mark, std::span<CandidateEntry>(out.data(), 100));
    stamps[r] = ClampStamp(StopStamp() - s0);
    any += fired.written;
  }
  if (any != 0) Fail("entries fired at the mark");
  Row none = MakeRow("liquidation/fired_none", std::move(stamps), ns_per_stamp);
  PrintRow(none);
  rows->push_back(std::move(none));

  stamps.assign(spec.none_reps, 0);
  for (std::uint64_t r = 0; r < spec.none_reps; ++r) {
    const std::uint64_t s0 = StartStamp();
    const bool a = index.AnyFired(x_mark);
    stamps[r] = ClampStamp(StopStamp() - s0);
    any += a ? 1 : 0;
  }
  if (any != 0) Fail("AnyFired at the mark");
  Row any_none = MakeRow("liquidation/any_fired_none", std::move(stamps), ns_per_stamp);
  PrintRow(any_none);
  rows->push_back(std::move(any_none));

  // Erasures of distinct random entries.
  std::vector<std::uint64_t> ids(entries.size());
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = entries[i].id;
  for (std::size_t i = ids.size(); i > 1; --i) std::swap(ids[i - 1], ids[rng.Below(i)]);
  const std::uint64_t erases = std::min<std::uint64_t>(spec.erases, ids.size());
  stamps.assign(erases, 0);
  for (std::uint64_t i = 0; i < erases; ++i) {
    const std::uint64_t s0 = StartStamp();
    const bool ok = index.Erase(ids[i]);
    stamps[i] = ClampStamp(StopStamp() - s0);
    if (!ok) Fail("erase refused");
  }
  if (index.size() != entries.size() - erases) Fail("size after the erasures");
  Row erase = MakeRow("liquidation/erase", std::move(stamps), ns_per_stamp);
  PrintRow(erase);
  rows->push_back(std::move(erase));
}

struct Options {
  bool smoke = false;
  std::string json_path;
  std::uint64_t seed = 20261207;
  std::uint64_t entries = 0;  // 0: the default
};

[[noreturn]] void Usage(const char* why) {
  std::fprintf(stderr,
               "liquidation_bench: %s\nusage: liquidation_bench [--smoke] [--json PATH] "
               "[--seed S] [--entries N]\n",
               why);
  std::exit(2);
}

std::uint64_t ParseU64(std::string_view flag, const char* text) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-') {
    Usage(fmt::format("{} needs a non-negative integer, got '{}'", flag, text).c_str());
  }
  return v;
}

Options ParseArgs(int argc, char** argv) {
  Options opt;
  std::span<char*> args(argv, static_cast<std::size_t>(argc));
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string_view a = args[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= args.size()) Usage(fmt::format("{} needs a value", a).c_str());
      return args[++i];
    };
    if (a == "--smoke") {
      opt.smoke = true;
    } else if (a == "--json") {
      opt.json_path = value();
    } else if (a == "--seed") {
      opt.seed = ParseU64(a, value());
    } else if (a == "--entries") {
      opt.entries = ParseU64(a, value());
      if (opt.entries < 100 || opt.entries > 10'000'000) Usage("--entries must be 100..10,000,000");
    } else if (a == "--help" || a == "-h") {
      Usage("help");
    } else {
      Usage(fmt::format("unknown argument '{}'", a).c_str());
    }
  }
  return opt;
}

int Main(int argc, char** argv) {
  const Options opt = ParseArgs(argc, argv);
  const double ns_per_stamp = CalibrateStamp(opt.smoke ? 0.05 : 0.2);
  const Percentiles overhead = TimerOverhead(100'000, ns_per_stamp);
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  fmt::print(
      "perpcore liquidation_bench{}: seed {}, host {}, {} CPUs online, load average {}\n"
      "timer: {}, {:.4f} ns per tick; empty start/stop pair: p50 {:.1f} ns (included)\n\n",
      opt.smoke ? " (smoke)" : "", opt.seed, host, sysconf(_SC_NPROCESSORS_ONLN), LoadAverage(),
      kStampSource, ns_per_stamp, overhead.p50_ns);
  fmt::print("{:<34} {:>8} {:>12} {:>9} {:>9} {:>9} {:>10} {:>10}  (ns)\n", "name", "ops",
             "ops/s", "p50", "p99", "p99.9", "max", "mean");
  Spec spec;
  spec.seed = opt.seed;
  if (opt.smoke) {
    spec.entries = 20'000;
    spec.updates = 2'000;
    spec.drop_reps = 10;
    spec.none_reps = 2'000;
    spec.erases = 1'000;
  }
  if (opt.entries != 0) spec.entries = opt.entries;
  std::vector<Row> rows;
  Run(spec, ns_per_stamp, &rows);
  fmt::print("\nload average at the end: {}\n", LoadAverage());
  if (!opt.json_path.empty()) {
    if (!WriteJson(opt.json_path, rows, opt.smoke, opt.seed)) {
      std::fprintf(stderr, "error: cannot write %s\n", opt.json_path.c_str());
      return 1;
    }
    fmt::print("wrote {}\n", opt.json_path);
  }
  return 0;
}

}  // namespace
}  // namespace perpcore::bench

int main(int argc, char** argv) { return perpcore::bench::Main(argc, argv); }
