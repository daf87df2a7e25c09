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
// The engine (--workload engine): the same questions asked of an
// engine::Engine, every command through Apply and timed alone.
//   Set-up (timed as a whole and printed, not a row): one market (tick 0.01,
//   lot 0.01, 100 atoms a tick-lot, mark 300,000 ticks = 3,000 USD; one
//   tier: 20x, 1% maintenance; one oracle source; mark_cap 0, so the mark is
//   the index; funding off) and A accounts (1,000,000; --accounts A; 20,000
//   with --smoke) in pairs: the odd one deposits 100 USD and rests a sell of
//   10 lots at 300,000, the even one deposits C and takes it with an IOC
//   buy, so every account holds +-10 lots (300 USD). After a 10% drop a
//   long's equity is C - 30.15 USD against a maintenance of 2.7 USD, so the
//   longs with C < 32.85 USD are liquidatable (none is bankrupt). Sparse
//   (the default): one long in 50 has C in [31, 32.85) USD, the others in
//   [64, 200] USD, so 1% of all accounts are liquidatable and the drop
//   takes less than half of anyone else's slack (the engine's index gives
//   7/8 of an account's slack to its triggers: the others do not fire).
//   Dense: C uniform in [31, 123.5] USD, 2.0% of it below 32.85 (1% of all
//   accounts again), but the drop takes more than 7/8 of the slack of every
//   long below 37.09 USD, 6.6% of them: those fire and are checked, not
//   returned. The first two longs are the boundary in both: C = 32.85 USD
//   exactly (equity equal to maintenance: not liquidatable) and one atom
//   less (liquidatable). 6 commands a pair (3,000,000 for 1 M accounts).
// engine/mark_update (+ /oracle, /tick): M mark updates (2,000;
//   200 with --smoke), an OraclePrice 0.01% above or below 300,000 then a
//   TimeTick, each command timed alone; the row is their sum. Checked: the
//   mark follows, nothing is liquidatable. engine/mark_update_1k: the
//   same in an engine of 1,000 accounts (what the 1 M positions add).
// engine/liquidatable_drop: after an OraclePrice of 270,000 and a TimeTick
//   (their latencies: drop_oracle_ns, drop_tick_ns), Liquidatable(A) Q times
//   (20; 5 with --smoke): k candidates, p50 per candidate, the mean CPU time
//   of the thread per query (cpu_ns_mean: without preemption), the set-up
//   time.
//   Checked: exactly the longs below the threshold, in the documented order,
//   each with its exact equity (C - 30,150,000 atoms) and maintenance
//   (2,700,000). engine/liquidatable_drop_limit100: Liquidatable(100),
//   checked to be the first 100 of the full answer. engine/liquidatable_dense
//   (and _limit100): the same in an engine built with the dense cash.
// engine/liquidate: one account bids 20 levels of 10,000 lots from 270,000
//   down (twice what the candidates hold); then a keeper's Liquidate of each
//   candidate, most under-margined first: each closes its 10 lots in full
//   against the bids (checked, and the keeper's cash equals its fees, nothing
//   is liquidatable after, Engine::CheckInvariants()). ops/s = liquidations
//   a second of engine time.
//
// Usage: liquidation_bench [--smoke] [--json PATH] [--seed S] [--entries N]
//                          [--accounts A] [--workload index|engine|all]
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alloc_counter.hpp"
#include "bench_common.hpp"
#include "fmt/format.h"
#include "perpcore/core/side.hpp"
#include "perpcore/engine/engine.hpp"
#include "perpcore/funding/funding.hpp"
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

// -----------------------------------------------------------------------------
// The engine workloads (see the file comment)
// -----------------------------------------------------------------------------

constexpr std::int64_t kUsd = 1'000'000;     // quote atoms per USD
constexpr std::int64_t kLots = 10;           // every position: +-10 lots
constexpr std::int64_t kDropTicks = kMarkTicks * 9 / 10;
constexpr std::int64_t kMakerCash = 100 * kUsd;
// A long's cash C (atoms); after the 10% drop it is liquidatable iff C is
// below kLiquidatableBelow:
//   cash after the buy: C - 10 * 300,000 * 100 (3e8) - the 5 bp taker fee
//   (150,000); value at 270,000: 10 * 270,000 * 100 = 2.7e8; so equity
//   C - 30,150,000 against a maintenance of 1% of 2.7e8 = 2,700,000:
//   liquidatable iff C < 32,850,000, bankrupt iff C < 30,150,000 (none is).
// Sparse (the default): one long in 50 draws C in [31e6, 32.85e6), the others
// in [64e6, 200e6], far enough that the drop takes less than half their
// slack (C - 3.15 USD at the start; the loss is 29.7 USD net of the lower
// maintenance): the engine's index gives a share of an account's slack to
// its positions' triggers (7/8 at this writing: src/engine/
// liquidation_index.cpp), so only the liquidatable ones fire. Dense: C
// uniform in [31e6, 123.5e6] (2.0% of it below 32.85e6), so the drop takes
// more than 7/8 of the slack of every long below 37.09 USD (6.6% of them):
// they fire and are checked.
constexpr std::int64_t kLongCashLo = 31'000'000;
constexpr std::int64_t kLongCashHi = 123'500'000;
constexpr std::int64_t kFarCashLo = 64'000'000;
constexpr std::int64_t kFarCashHi = 200'000'000;
constexpr std::int64_t kTakerFee = kLots * kMarkTicks * kAtomsPerTickLot / 2'000;  // 5 bp
constexpr std::int64_t kDropLoss = kLots * (kMarkTicks - kDropTicks) * kAtomsPerTickLot;
constexpr std::int64_t kMaintenanceAfterDrop = kLots * kDropTicks * kAtomsPerTickLot / 100;
constexpr std::int64_t kLiquidatableBelow = kDropLoss + kTakerFee + kMaintenanceAfterDrop;
static_assert(kLiquidatableBelow == 32'850'000 && kLongCashLo > kDropLoss + kTakerFee);
constexpr std::int64_t kDay = 24 * 3600 * std::int64_t{1'000'000'000};

engine::MarketParams EngineParams() {
  engine::MarketParams p;
  p.symbol = "LIQ-USD";
  p.tick_size = {1, -2};  // 0.01 USD
  p.lot_size = {1, -2};   // 0.01: a tick-lot is 100 atoms at 6 decimals
  p.max_price = Ticks(10 * kMarkTicks);
  p.max_order_size = Lots(1'000'000);
  p.max_open_interest = Lots(1'000'000);
  p.max_leverage = 20;
  p.tiers = {{Quote(0), 20, Rate(kRateScale / 100)}};  // 5% initial, 1% maintenance
  p.oracle.min_sources = 1;
  p.oracle.staleness = TimeNs(kDay);     // one publication lasts the run
  p.oracle.max_mark_age = TimeNs(kDay);
  p.oracle.mark_cap = Rate(0);           // the mark is the index: a 10% move is 10%
  p.funding.model = funding::FundingModel::kNone;
  return p;
}

// ThreadCpuNs(): the CPU time of this thread, ns.
double ThreadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// EngineDriver: one engine, its clock (1 us a command) and seq.
class EngineDriver {
 public:
  explicit EngineDriver(std::uint32_t max_accounts)
      : eng_(std::make_unique<engine::Engine>(engine::EngineConfig{.max_accounts = max_accounts})) {}
  engine::Engine& engine() { return *eng_; }
  // The timestamp the next command will carry (an oracle price publishes at it).
  TimeNs next_time() const { return TimeNs(now_ + 1000); }

  // Apply(): must be accepted.
  engine::Result Apply(engine::Payload p) {
    std::uint32_t unused = 0;
    return Run(std::move(p), false, &unused);
  }
  // Timed(): Apply() with a stamp pair around Engine::Apply alone.
  engine::Result Timed(engine::Payload p, std::uint32_t* stamp) {
    return Run(std::move(p), true, stamp);
  }

 private:
  engine::Result Run(engine::Payload p, bool timed, std::uint32_t* stamp) {
    now_ += 1000;
    const engine::Command c{.seq = eng_->last_seq() + 1, .timestamp = TimeNs(now_),
                            .payload = std::move(p)};
    const std::uint64_t s0 = timed ? StartStamp() : 0;
    absl::StatusOr<engine::Result> r = eng_->Apply(c);
    if (timed) *stamp = ClampStamp(StopStamp() - s0);
    if (!r.ok()) Fail(fmt::format("command not processed: {}", r.status().ToString()));
    if (!r->ok()) {
      Fail(fmt::format("command {} refused: {}", c.seq, std::string(ReasonName(r->reason))));
    }
    return *r;
  }

  std::unique_ptr<engine::Engine> eng_;
  std::int64_t now_ = 1'000'000;
};

// BuildEngine(): `accounts` accounts in pairs, the odd one short and the even
// one long 10 lots at 300,000 (the odd one rests a sell, the even one takes
// it), the longs' cash drawn as above. Returns each long's cash by id / 2.
std::vector<std::int64_t> BuildEngine(EngineDriver& d, std::uint64_t accounts, std::uint64_t seed,
                                      bool dense) {
  testing::Rng rng(seed);
  d.Apply(engine::CreateMarket{.market = 1,
                               .params = std::make_shared<const engine::MarketParams>(
                                   EngineParams())});
  d.Apply(engine::OraclePrice{.market = 1, .source = SourceId(1), .price = Ticks(kMarkTicks),
                              .publish_time = d.next_time()});
  d.Apply(engine::TimeTick{.market = 1});
  std::vector<std::int64_t> long_cash(accounts / 2 + 1, 0);
  std::uint64_t order = 0;
  for (std::uint64_t pair = 1; pair <= accounts / 2; ++pair) {
    const AccountId short_id(2 * pair - 1), long_id(2 * pair);
    // The first two longs sit on the boundary: equity exactly at maintenance
    // after the drop (not liquidatable) and one atom below it (liquidatable).
    std::int64_t cash = rng.Between(kLongCashLo, kLongCashHi);
    if (!dense) {
      cash = rng.Below(50) == 0 ? rng.Between(kLongCashLo, kLiquidatableBelow - 1)
                                : rng.Between(kFarCashLo, kFarCashHi);
    }
    if (pair <= 2) cash = kLiquidatableBelow + 1 - static_cast<std::int64_t>(pair);
    long_cash[pair] = cash;
    d.Apply(engine::CreateAccount{.account = short_id, .owner = OwnerId(short_id.value())});
    d.Apply(engine::Deposit{.account = short_id, .amount = Quote(kMakerCash)});
    d.Apply(engine::CreateAccount{.account = long_id, .owner = OwnerId(long_id.value())});
    d.Apply(engine::Deposit{.account = long_id, .amount = Quote(cash)});
    d.Apply(engine::PlaceOrder{.market = 1, .account = short_id, .order_id = OrderId(++order),
                               .side = Side::kSell, .price = Ticks(kMarkTicks),
                               .size = Lots(kLots)});
    const engine::Result r =
        d.Apply(engine::PlaceOrder{.market = 1, .account = long_id, .order_id = OrderId(++order),
                                   .side = Side::kBuy, .tif = engine::TimeInForce::kIoc,
                                   .price = Ticks(kMarkTicks), .size = Lots(kLots)});
    if (r.filled != Lots(kLots)) Fail("set-up: a pair did not trade");
  }
  return long_cash;
}

// MarkUpdates(): `reps` mark updates (an OraclePrice of 300,000 +- 30 ticks,
// 0.01%, alternating, then a TimeTick), each command timed alone; rows
// <name> (the pair), <name>/oracle_price, <name>/time_tick.
void MarkUpdates(EngineDriver& d, const std::string& name, std::uint64_t reps,
                 double ns_per_stamp, std::uint64_t positions, std::vector<Row>* rows) {
  std::vector<std::uint32_t> pair(reps), price(reps), tick(reps);
  for (std::uint64_t i = 0; i < reps; ++i) {
    const Ticks p(kMarkTicks + (i % 2 == 0 ? 30 : -30));
    d.Timed(engine::OraclePrice{.market = 1, .source = SourceId(1), .price = p,
                                .publish_time = d.next_time()},
            &price[i]);
    d.Timed(engine::TimeTick{.market = 1}, &tick[i]);
    pair[i] = price[i] + tick[i];
    if (d.engine().Stats(1)->mark != p) Fail(name + ": the mark did not follow the oracle");
  }
  if (!d.engine().Liquidatable(1).empty()) Fail(name + ": liquidatable at a 0.01% move");
  for (auto& [suffix, stamps] :
       std::vector<std::pair<std::string, std::vector<std::uint32_t>*>>{
           {"", &pair}, {"/oracle", &price}, {"/tick", &tick}}) {
    Row row = MakeRow(name + suffix, std::move(*stamps), ns_per_stamp);
    row.extra.emplace_back("positions", static_cast<double>(positions));
    PrintRow(row);
    rows->push_back(std::move(row));
  }
}

struct EngineSpec {
  std::uint64_t accounts = 1'000'000;
  std::uint64_t small_accounts = 1'000;
  std::uint64_t mark_reps = 2'000;
  std::uint64_t query_reps = 20;
  std::uint64_t seed = 20261207;
};

// DropAndQuery(): the 10% drop, then Liquidatable(all) `reps` times and
// Liquidatable(100) as often, each checked against the generated cash; rows
// <name> and <name>_limit100. Returns the full answer.
std::vector<engine::LiquidationCandidate> DropAndQuery(
    EngineDriver& d, const std::vector<std::int64_t>& long_cash, const std::string& name,
    std::uint64_t accounts, std::uint64_t reps, double setup_s, double ns_per_stamp,
    std::vector<Row>* rows) {
  std::uint32_t drop_price = 0, drop_tick = 0;
  d.Timed(engine::OraclePrice{.market = 1, .source = SourceId(1), .price = Ticks(kDropTicks),
                              .publish_time = d.next_time()},
          &drop_price);
  d.Timed(engine::TimeTick{.market = 1}, &drop_tick);
  std::vector<std::uint64_t> expected;  // long ids below the threshold, most under-margined first
  for (std::uint64_t pair = 1; pair < long_cash.size(); ++pair) {
    if (long_cash[pair] < kLiquidatableBelow) expected.push_back(pair);
  }
  std::stable_sort(expected.begin(), expected.end(), [&](std::uint64_t a, std::uint64_t b) {
    return long_cash[a] < long_cash[b];
  });
  std::vector<engine::LiquidationCandidate> found;
  std::vector<std::uint32_t> stamps(reps);
  // The thread's CPU time as well: a query of milliseconds is often
  // preempted on a shared machine, and CPU time leaves that out.
  const double cpu0 = ThreadCpuNs();
  for (std::uint64_t r = 0; r < reps; ++r) {
    const std::uint64_t s0 = StartStamp();
    found = d.engine().Liquidatable(accounts);
    stamps[r] = ClampStamp(StopStamp() - s0);
  }
  const double cpu_ns_mean = (ThreadCpuNs() - cpu0) / static_cast<double>(reps);
  if (found.size() != expected.size()) {
    Fail(fmt::format("{}: Liquidatable() found {}, the generated cash says {}", name,
                     found.size(), expected.size()));
  }
  for (std::size_t i = 0; i < found.size(); ++i) {
    const engine::LiquidationCandidate& c = found[i];
    const std::uint64_t pair = c.account.value() / 2;
    if (c.account.value() % 2 != 0 || c.market != 0 || long_cash[pair] >= kLiquidatableBelow ||
        c.equity != Quote(long_cash[pair] - kDropLoss - kTakerFee) ||
        c.maintenance != Quote(kMaintenanceAfterDrop) ||
        long_cash[pair] != long_cash[expected[i]]) {
      Fail(fmt::format("{}: Liquidatable()[{}]: account {} equity {} maintenance {} is not the "
                       "expected candidate",
                       name, i, c.account.value(), c.equity.raw(), c.maintenance.raw()));
    }
  }
  Row query = MakeRow(name, std::move(stamps), ns_per_stamp);
  query.extra.emplace_back("accounts", static_cast<double>(accounts));
  query.extra.emplace_back("k", static_cast<double>(found.size()));
  query.extra.emplace_back(
      "ns_per_candidate",
      query.all.p50_ns / static_cast<double>(std::max<std::size_t>(1, found.size())));
  query.extra.emplace_back("cpu_ns_mean", cpu_ns_mean);
  query.extra.emplace_back("setup_s", setup_s);
  query.extra.emplace_back("drop_oracle_ns", drop_price * ns_per_stamp);
  query.extra.emplace_back("drop_tick_ns", drop_tick * ns_per_stamp);
  PrintRow(query);
  rows->push_back(std::move(query));

  stamps.assign(reps, 0);
  for (std::uint64_t r = 0; r < reps; ++r) {
    const std::uint64_t s0 = StartStamp();
    const std::vector<engine::LiquidationCandidate> first = d.engine().Liquidatable(100);
    stamps[r] = ClampStamp(StopStamp() - s0);
    if (first.size() != std::min<std::size_t>(100, found.size()) ||
        !std::equal(first.begin(), first.end(), found.begin())) {
      Fail(name + ": Liquidatable(100) is not the first 100 of Liquidatable(all)");
    }
  }
  Row query100 = MakeRow(name + "_limit100", std::move(stamps), ns_per_stamp);
  PrintRow(query100);
  rows->push_back(std::move(query100));
  return found;
}

// SetUp(): BuildEngine() timed, with a line.
std::vector<std::int64_t> SetUp(EngineDriver& d, std::uint64_t accounts, std::uint64_t seed,
                                bool dense, double* setup_s) {
  const auto t0 = Clock::now();
  std::vector<std::int64_t> long_cash = BuildEngine(d, accounts, seed, dense);
  *setup_s = SecondsSince(t0);
  const std::uint64_t commands = d.engine().last_seq();
  fmt::print("engine set-up ({}): {} accounts with a position each, {} commands in {:.2f} s "
             "({:.2f} M commands/s)\n",
             dense ? "dense" : "sparse", accounts, commands, *setup_s,
             static_cast<double>(commands) / *setup_s / 1e6);
  return long_cash;
}

void RunEngine(const EngineSpec& spec, double ns_per_stamp, std::vector<Row>* rows) {
  const auto max_accounts =
      static_cast<std::uint32_t>(std::max<std::uint64_t>(spec.accounts + 2, 1u << 20));
  // (b) at a small size first, for comparison.
  {
    EngineDriver small(1u << 20);
    BuildEngine(small, spec.small_accounts, spec.seed, false);
    MarkUpdates(small, "engine/mark_update_1k", spec.mark_reps, ns_per_stamp,
                spec.small_accounts, rows);
  }
  // (a) with the dense distribution (and nothing else: the engine goes).
  {
    EngineDriver dense(max_accounts);
    double setup_s = 0;
    const std::vector<std::int64_t> long_cash =
        SetUp(dense, spec.accounts, spec.seed, true, &setup_s);
    DropAndQuery(dense, long_cash, "engine/liquidatable_dense", spec.accounts,
                 spec.query_reps, setup_s, ns_per_stamp, rows);
  }

  EngineDriver d(max_accounts);
  double setup_s = 0;
  const std::vector<std::int64_t> long_cash = SetUp(d, spec.accounts, spec.seed, false, &setup_s);
  // (b) at full size.
  MarkUpdates(d, "engine/mark_update", spec.mark_reps, ns_per_stamp, spec.accounts, rows);
  // (a) the sparse distribution.
  const std::vector<engine::LiquidationCandidate> found = DropAndQuery(
      d, long_cash, "engine/liquidatable_drop", spec.accounts, spec.query_reps, setup_s,
      ns_per_stamp, rows);

  // (c) a deep book: one account bids 20 levels of 10,000 lots from 270,000
  // down, twice what the candidates hold; then a Liquidate of each
  // candidate, most under-margined first, each closing its 10 lots in full.
  const AccountId bidder(spec.accounts + 1), keeper(spec.accounts + 2);
  d.Apply(engine::CreateAccount{.account = bidder, .owner = OwnerId(bidder.value())});
  d.Apply(engine::Deposit{.account = bidder, .amount = Quote(100'000'000 * kUsd)});
  d.Apply(engine::CreateAccount{.account = keeper, .owner = OwnerId(keeper.value())});
  for (std::int64_t level = 0; level < 20; ++level) {
    d.Apply(engine::PlaceOrder{.market = 1, .account = bidder,
                               .order_id = OrderId(static_cast<std::uint64_t>(level) + (1ull << 40)),
                               .side = Side::kBuy, .price = Ticks(kDropTicks - level),
                               .size = Lots(10'000)});
  }
  std::vector<std::uint32_t> stamps(found.size(), 0);
  std::int64_t keeper_fees = 0;
  for (std::size_t i = 0; i < found.size(); ++i) {
    const engine::Result r = d.Timed(
        engine::Liquidate{.market = 0, .account = found[i].account, .keeper = keeper}, &stamps[i]);
    bool closed = false;
    for (const engine::Event& e : r.events) {
      if (const auto* l = std::get_if<engine::events::Liquidation>(&e)) {
        closed = l->closed == Lots(kLots) && l->position == Lots(0);
        keeper_fees += l->keeper_fee.raw();
      }
    }
    if (!closed) Fail(fmt::format("Liquidate of account {} did not close its 10 lots",
                                  found[i].account.value()));
  }
  if (!d.engine().Liquidatable(1).empty()) Fail("liquidatable accounts remain");
  if (d.engine().Summary(keeper)->cash != Quote(keeper_fees)) Fail("the keeper's cash");
  Row liq = MakeRow("engine/liquidate", std::move(stamps), ns_per_stamp);
  liq.extra.emplace_back("liquidations", static_cast<double>(found.size()));
  PrintRow(liq);
  rows->push_back(std::move(liq));
  if (const absl::Status st = d.engine().CheckInvariants(); !st.ok()) {
    Fail(fmt::format("Engine::CheckInvariants: {}", std::string(st.message())));
  }
}

struct Options {
  bool smoke = false;
  bool index = true, engine = true;  // --workload
  std::uint64_t accounts = 0;        // 0: the default
  std::string json_path;
  std::uint64_t seed = 20261207;
  std::uint64_t entries = 0;  // 0: the default
};

[[noreturn]] void Usage(const char* why) {
  std::fprintf(stderr,
               "liquidation_bench: %s\nusage: liquidation_bench [--smoke] [--json PATH] "
               "[--seed S] [--entries N] [--accounts N] [--workload index|engine|all]\n",
               why);
  std::exit(2);
}

std::uint64_t ParseU64(std::string_view flag, const char* text) {
  const std::optional<std::uint64_t> v = ParseU64Text(text);
  if (!v.has_value()) {
    Usage(fmt::format("{} needs a non-negative integer, got '{}'", flag, text).c_str());
  }
  return *v;
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
    } else if (a == "--accounts") {
      opt.accounts = ParseU64(a, value());
      if (opt.accounts < 200 || opt.accounts > 4'000'000 || opt.accounts % 2 != 0) {
        Usage("--accounts must be even, 200..4,000,000");
      }
    } else if (a == "--workload") {
      const std::string_view w = value();
      opt.index = w == "index" || w == "all";
      opt.engine = w == "engine" || w == "all";
      if (!opt.index && !opt.engine) Usage("--workload must be index, engine or all");
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
  if (opt.index) Run(spec, ns_per_stamp, &rows);
  EngineSpec engine_spec;
  engine_spec.seed = opt.seed;
  if (opt.smoke) {
    engine_spec.accounts = 20'000;
    engine_spec.mark_reps = 200;
    engine_spec.query_reps = 5;
  }
  if (opt.accounts != 0) engine_spec.accounts = opt.accounts;
  if (opt.engine) RunEngine(engine_spec, ns_per_stamp, &rows);
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
