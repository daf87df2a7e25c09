// -----------------------------------------------------------------------------
// File: benchmarks/funding_bench.cpp
// -----------------------------------------------------------------------------
//
// Funding benchmark (issue 12): the engine's own funding work, where it does
// any — the time tick that samples and closes, and the lazy settlement of a
// position when it is touched. (Funding's cost inside the order flow is
// engine_bench --workload funding.) Every command goes through
// engine::Engine::Apply and is timed alone (as engine_bench's latency pass:
// lfence;rdtsc;lfence .. rdtscp;lfence, timer overhead included).
//
// Markets: BTC-like (tick 0.1 USD, lot 0.001 BTC, mid 600,000 ticks, 100 quote
// atoms a tick-lot at 6 quote decimals: one lot is 60 USD at the mid), one
// tier (20x, 1% maintenance), one oracle source whose price goes stale after
// a day, so the index stays usable through a run without republishing (a
// tick then refreshes the oracle and advances funding, nothing else).
// Funding: the premium model, interest 0.01% per 8 h period, band 0.05%, cap
// 0.75%, impact notional 10,000 USD, paid at interval ends at the index.
//
// funding/tick_markets, funding/tick_markets_off
//   Setup (not timed): M markets (1,000; --markets M; 20 with --smoke), each
//   with its own maker account holding a book of 20 bids and 20 asks of 40
//   lots, one a tick, from 1 tick around the mid outwards (2,400 USD a
//   level, so the 10,000 USD impact walk takes 5 levels a side). Funding:
//   sample_cadence 1 s, interval 60 s (10 s with --smoke), period 8 h.
//   Measured (the two workloads interleaved command by command, off then on,
//   so a shared machine's changing load falls on both alike): T TimeTicks
//   for all markets (600, one a simulated second, from t = 1 s; 30 with
//   --smoke): each refreshes every market's oracle and takes
//   a premium sample from its book (an impact walk a side); the ticks at
//   multiples of the interval also close every market's interval (a
//   FundingRateSet each). Latency per tick and per market (tick / M), the
//   sampling ticks and the closing ticks apart. tick_markets_off is the same
//   with FundingModel::kNone: the oracle refresh alone, so the difference
//   is funding's. Then E more seconds (60; 10 with --smoke) with a TimeTick
//   for each market in turn, each timed alone (.../each_market): a command
//   of a microsecond or two is rarely preempted, where a tick of
//   milliseconds often is on a shared machine.
//   Checked: every sampling tick samples every market once, every closing
//   tick emits M FundingRateSets, and each market's index ends at
//   closes * IndexDelta(interest, interval, period, mid) (the book is
//   symmetric around the index, so every premium sample is 0 and the rate
//   is the interest).
//
// funding/close_interval, funding/settle, funding/withdraw_settled
//   Setup (not timed): one market (funding: cadence 60 s, interval 1 h,
//   period 8 h, as dYdX v4 and Hyperliquid), N accounts (1,000,000;
//   --accounts N; 10,000 with --smoke), each with 10,000 USD, paired: 2k-1
//   rests a sell of 10 lots at the mid and 2k takes it with an IOC buy, so
//   all N accounts hold a position (+-10 lots) whose funding was settled
//   at index 0.
//   close_interval: C TimeTicks of the market (16; 4 with --smoke), each at
//   the next interval end (an untimed oracle price at that time first), so
//   each closes one interval and moves the index with N open positions;
//   the same ticks in an engine with 1,000 positions
//   (close_interval_1k) show the close does not depend on N.
//   settle: a Withdraw of 1 atom from every account, in a seeded random
//   order: each settles its account's one position (the funding of C
//   intervals: a FundingSettled of funding::Owed(index, 0, +-10) atoms,
//   checked for every account) and then takes the withdrawal.
//   withdraw_settled: the same N withdrawals again, with nothing left to
//   settle. settle - withdraw_settled (mean and p50) is the cost of one lazy
//   settlement.
//   Checked: N FundingSettled in settle, none in withdraw_settled,
//   Engine::CheckInvariants() (conservation with the residual sink) after.
//
// Instructions: under valgrind --tool=callgrind, the inclusive cost of
// Timed<kPass> (callgrind_annotate --inclusive=yes) divided by its calls is
// a pass's instructions per command, whatever the machine's load:
// Timed<1> - Timed<0> is funding's share of the ticks (Timed<7> -
// Timed<6> per market ticked alone), Timed<4> - Timed<5> the settlement's (e.g. funding_bench --accounts 200000 --ticks 60).
//
// Reported per workload: ops (commands timed), ops_per_sec (commands / the
// sum of their latencies), p50 / p99 / p99.9 / max and mean latency in ns,
// peak_rss_bytes (VmHWM of the process so far), and the workload's own
// fields (per-market latency, heap bytes per position, the settlement
// cost: the difference of the medians, as a shared machine's preemptions
// reach the means). --json PATH writes them as a list of objects.
//
// Usage: funding_bench [--smoke] [--json PATH] [--seed S] [--markets M]
//                      [--ticks T] [--accounts N]
//                      [--workload tick|settle|all[,...]]
//   Pin with taskset for steadier figures.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "alloc_counter.hpp"
#include "bench_common.hpp"
#include "fmt/format.h"
#include "perpcore/engine/engine.hpp"
#include "perpcore/engine/types.hpp"
#include "perpcore/funding/funding.hpp"
#include "support/rng.hpp"

namespace perpcore::bench {
namespace {

using book::Side;
using engine::Command;
using engine::Engine;

constexpr std::int64_t kUsd = 1'000'000;           // quote atoms per USD
constexpr std::int64_t kMid = 600'000;             // ticks (60,000 USD)
constexpr std::int64_t kAtomsPerTickLot = 100;     // 0.1 USD * 0.001 BTC
constexpr std::int64_t kSecond = funding::kNsPerSecond;

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "error: %s\n", what.c_str());
  std::exit(1);
}

// -----------------------------------------------------------------------------
// Engine set-up
// -----------------------------------------------------------------------------

engine::EngineConfig MakeConfig(std::uint32_t markets) {
  engine::EngineConfig c;
  c.quote_decimals = 6;
  c.max_markets = std::max<std::uint32_t>(markets, 1);
  c.max_accounts = 1u << 20;
  return c;
}

engine::MarketParams MakeParams(std::uint32_t i, funding::FundingModel model, TimeNs cadence,
                                TimeNs interval) {
  engine::MarketParams p;
  p.symbol = fmt::format("M{:04}-USD", i);
  p.tick_size = {1, -1};
  p.lot_size = {1, -3};
  p.max_price = Ticks(10 * kMid);
  // The largest open interest the 2^54 notional bound allows.
  p.max_open_interest = Lots((std::int64_t{1} << 54) / (p.max_price.raw() * kAtomsPerTickLot));
  p.max_order_size = Lots(1'000'000);
  p.price_band = Rate(kRateScale / 10);
  p.max_leverage = 20;
  p.tiers = {{Quote(0), 20, Rate(kRateScale / 100)}};
  p.oracle.staleness = TimeNs(24 * 3600 * kSecond);
  p.oracle.min_sources = 1;
  p.max_orders_per_account = 1000;
  p.funding.model = model;
  p.funding.sample_cadence = cadence;
  p.funding.interval = interval;
  p.funding.period = TimeNs(8 * 3600 * kSecond);
  return p;
}

// Driver: one engine, its clock and seq, every command checked.
class Driver {
 public:
  explicit Driver(std::uint32_t markets) : eng_(std::make_unique<Engine>(MakeConfig(markets))) {}

  Engine& engine() { return *eng_; }
  std::int64_t now() const { return now_; }

  // Apply(): at max(now + 1 us, at); must be accepted.
  engine::Result Apply(engine::Payload p, std::int64_t at = 0) {
    now_ = std::max(now_ + 1000, at);
    const Command c{.seq = eng_->last_seq() + 1, .timestamp = TimeNs(now_), .payload = std::move(p)};
    absl::StatusOr<engine::Result> r = eng_->Apply(c);
    if (!r.ok()) Fail(fmt::format("command not processed: {}", r.status().ToString()));
    if (!r->ok()) {
      Fail(fmt::format("command {} refused: {}", c.seq, std::string(ReasonName(r->reason))));
    }
    return *r;
  }

  // Timed(): Apply() with a stamp pair around Engine::Apply alone.
  engine::Result Timed(engine::Payload p, std::int64_t at, std::uint32_t* stamp) {
    now_ = std::max(now_ + 1000, at);
    const Command c{.seq = eng_->last_seq() + 1, .timestamp = TimeNs(now_), .payload = std::move(p)};
    const std::uint64_t s0 = StartStamp();
    absl::StatusOr<engine::Result> r = eng_->Apply(c);
    const std::uint64_t s1 = StopStamp();
    *stamp = ClampStamp(s1 - s0);
    if (!r.ok()) Fail(fmt::format("command not processed: {}", r.status().ToString()));
    if (!r->ok()) {
      Fail(fmt::format("command {} refused: {}", c.seq, std::string(ReasonName(r->reason))));
    }
    return *r;
  }

  void Release() { eng_.reset(); }

 private:
  std::unique_ptr<Engine> eng_;
  std::int64_t now_ = 1'000'000;  // 1 ms
};

MarketId MarketOf(std::uint32_t i) { return MarketId(i + 1); }

// Timed<kPass>(): Driver::Timed() behind a separate function per measured
// pass, so that under callgrind each pass's inclusive cost (its Engine::Apply
// calls) is its own: instructions per command are free of the machine's
// load (see the file comment).
enum Pass : int {
  kTickOff, kTickOn, kClose1k, kCloseN, kSettle, kWithdrawSettled, kTickEachOff, kTickEachOn
};
template <int kPass>
__attribute__((noinline)) engine::Result Timed(Driver& d, engine::Payload p, std::int64_t at,
                                               std::uint32_t* stamp) {
  // Makes each instantiation's body its own, so identical-code folding
  // (GCC's -fipa-icf at -O2) cannot merge them into one symbol.
  asm volatile("# funding_bench pass %0" : : "i"(kPass));
  return d.Timed(std::move(p), at, stamp);
}

void CheckInvariants(Engine& eng, const char* where) {
  if (const absl::Status st = eng.CheckInvariants(); !st.ok()) {
    Fail(fmt::format("{}: Engine::CheckInvariants failed: {}", where, std::string(st.message())));
  }
}

template <class T>
std::size_t CountEvents(const engine::Result& r) {
  return static_cast<std::size_t>(std::count_if(r.events.begin(), r.events.end(), [](const auto& e) {
    return std::holds_alternative<T>(e);
  }));
}


// -----------------------------------------------------------------------------
// funding/tick_markets
// -----------------------------------------------------------------------------

struct TickSpec {
  std::uint32_t markets = 1000;
  std::uint32_t ticks = 600;
  std::uint32_t each_seconds = 60;  // then a TimeTick per market, this many seconds
  TimeNs interval{60 * kSecond};
};

constexpr std::int64_t kBookLevels = 20;
constexpr std::int64_t kLevelLots = 40;

// TickRun: one of the two tick workloads (funding off or on) in progress.
struct TickRun {
  bool on = false;
  std::string name;
  funding::FundingParams fp;
  std::unique_ptr<Driver> d;
  std::vector<std::uint32_t> all, sampling, closing, each;
  std::uint64_t closes = 0;
};

// SetUpTicks(): the markets, books and prices of the file comment.
TickRun SetUpTicks(const TickSpec& spec, bool funding_on) {
  TickRun run;
  run.on = funding_on;
  const funding::FundingModel model =
      funding_on ? funding::FundingModel::kPremium : funding::FundingModel::kNone;
  run.name = std::string("funding/tick_markets") + (funding_on ? "" : "_off");
  run.fp = MakeParams(0, model, TimeNs(kSecond), spec.interval).funding;
  run.d = std::make_unique<Driver>(spec.markets);
  Driver& d = *run.d;
  std::uint64_t next_order = 1;
  for (std::uint32_t i = 0; i < spec.markets; ++i) {
    d.Apply(engine::CreateMarket{
        .market = MarketOf(i),
        .params = std::make_shared<const engine::MarketParams>(
            MakeParams(i, model, TimeNs(kSecond), spec.interval))});
    d.Apply(engine::OraclePrice{
        .market = MarketOf(i), .source = SourceId(1), .price = Ticks(kMid), .publish_time = TimeNs(d.now())});
    const AccountId maker(i + 1);
    d.Apply(engine::CreateAccount{.account = maker, .owner = OwnerId(i + 1)});
    d.Apply(engine::Deposit{.account = maker, .amount = Quote(1'000'000 * kUsd)});
    for (std::int64_t l = 1; l <= kBookLevels; ++l) {
      for (const Side side : {Side::kBuy, Side::kSell}) {
        d.Apply(engine::PlaceOrder{.market = MarketOf(i),
                                   .account = maker,
                                   .order_id = OrderId(next_order++),
                                   .side = side,
                                   .price = Ticks(side == Side::kBuy ? kMid - l : kMid + l),
                                   .size = Lots(kLevelLots)});
      }
    }
  }
  return run;
}

// TickAll(): the timed TimeTick for all markets at t seconds, checked.
void TickAll(const TickSpec& spec, TickRun* run, std::uint32_t t) {
  Driver& d = *run->d;
  const std::int64_t at = static_cast<std::int64_t>(t) * kSecond;
  std::uint32_t stamp = 0;
  const engine::Payload tick = engine::TimeTick{.market = MarketId(0)};
  const engine::Result r =
      run->on ? Timed<kTickOn>(d, tick, at, &stamp) : Timed<kTickOff>(d, tick, at, &stamp);
  const std::size_t set = CountEvents<engine::events::FundingRateSet>(r);
  const bool closing_tick = at % spec.interval.raw() == 0;
  if (set != (run->on && closing_tick ? spec.markets : 0)) {
    Fail(fmt::format("{}: tick at {} s emitted {} FundingRateSet, expected {}", run->name, t, set,
                     run->on && closing_tick ? spec.markets : 0));
  }
  run->all.push_back(stamp);
  (closing_tick ? run->closing : run->sampling).push_back(stamp);
  run->closes += closing_tick;
  if (run->on && !closing_tick) {
    // One sample per tick since the interval started (interval_start
    // itself included when a tick fell on it).
    const absl::StatusOr<engine::FundingView> v = d.engine().Funding(MarketOf(t % spec.markets));
    if (!v.ok()) Fail(fmt::format("{}: Engine::Funding refused", run->name));
    const std::int64_t since = (at - v->interval_start.raw()) / kSecond;
    const std::int64_t want = v->interval_start.raw() == 0 ? since : since + 1;
    if (v->samples != static_cast<std::uint32_t>(want)) {
      Fail(fmt::format("{}: {} samples at {} s, expected {}", run->name, v->samples, t, want));
    }
  }
}

// TickOne(): the timed TimeTick for market i alone in second t, checked.
void TickOne(const TickSpec& spec, TickRun* run, std::uint32_t t, std::uint32_t i) {
  const std::int64_t at = static_cast<std::int64_t>(t) * kSecond;
  const bool closing_second = at % spec.interval.raw() == 0;
  std::uint32_t stamp = 0;
  const engine::Payload tick = engine::TimeTick{.market = MarketOf(i)};
  const engine::Result r = run->on ? Timed<kTickEachOn>(*run->d, tick, at, &stamp)
                                   : Timed<kTickEachOff>(*run->d, tick, at, &stamp);
  if (CountEvents<engine::events::FundingRateSet>(r) != (run->on && closing_second)) {
    Fail(fmt::format("{}: market {} at {} s: FundingRateSet count off", run->name, i + 1, t));
  }
  run->each.push_back(stamp);
  if (i + 1 == spec.markets) run->closes += closing_second;
}

// FinishTicks(): every market's index checked (one interest-rate payment per
// closed interval: the book is symmetric around the index, so each premium
// sample is 0), the invariants, and the rows (all ticks, sampling ticks,
// closing ticks, per-market ticks).
void FinishTicks(const TickSpec& spec, TickRun* run, double ns_per_stamp, std::vector<Row>* rows) {
  const absl::int128 per_close = funding::IndexDelta(run->fp.interest, spec.interval,
                                                     run->fp.period, Ticks(kMid), kAtomsPerTickLot);
  for (std::uint32_t i = 0; i < spec.markets; ++i) {
    const absl::StatusOr<engine::FundingView> v = run->d->engine().Funding(MarketOf(i));
    const absl::int128 want = run->on ? per_close * static_cast<std::int64_t>(run->closes) : 0;
    if (!v.ok() || v->index != want) {
      Fail(fmt::format("{}: market {} index off", run->name, i + 1));
    }
  }
  CheckInvariants(run->d->engine(), run->name.c_str());
  run->d->Release();
  const double m = spec.markets;
  auto per_market = [&](Row* row) {
    row->extra.emplace_back("markets", m);
    row->extra.emplace_back("per_market_mean_ns", row->all.mean_ns / m);
    row->extra.emplace_back("per_market_p50_ns", row->all.p50_ns / m);
    row->extra.emplace_back("per_market_p99_ns", row->all.p99_ns / m);
  };
  Row r_all = MakeRow(run->name, std::move(run->all), ns_per_stamp);
  per_market(&r_all);
  Row r_sample = MakeRow(run->name + "/sampling", std::move(run->sampling), ns_per_stamp);
  per_market(&r_sample);
  Row r_close = MakeRow(run->name + "/closing", std::move(run->closing), ns_per_stamp);
  per_market(&r_close);
  Row r_each = MakeRow(run->name + "/each_market", std::move(run->each), ns_per_stamp);
  r_each.extra.emplace_back("markets", m);
  for (Row* r : {&r_all, &r_sample, &r_close, &r_each}) {
    PrintRow(*r);
    rows->push_back(std::move(*r));
  }
}

// RunTicks(): both tick workloads, interleaved command by command (off,
// then on), so a shared machine's changing load falls on both alike.
void RunTicks(const TickSpec& spec, double ns_per_stamp, std::vector<Row>* rows) {
  TickRun off = SetUpTicks(spec, false);
  TickRun on = SetUpTicks(spec, true);
  malloc_trim(0);
  for (std::uint32_t t = 1; t <= spec.ticks; ++t) {
    TickAll(spec, &off, t);
    TickAll(spec, &on, t);
  }
  for (std::uint32_t t = spec.ticks + 1; t <= spec.ticks + spec.each_seconds; ++t) {
    for (std::uint32_t i = 0; i < spec.markets; ++i) {
      TickOne(spec, &off, t, i);
      TickOne(spec, &on, t, i);
    }
  }
  FinishTicks(spec, &off, ns_per_stamp, rows);
  FinishTicks(spec, &on, ns_per_stamp, rows);
}

// -----------------------------------------------------------------------------
// funding/close_interval, settle, withdraw_settled
// -----------------------------------------------------------------------------

struct SettleSpec {
  std::uint32_t accounts = 1'000'000;
  std::uint32_t closes = 16;
  std::uint64_t seed = 20240601;
};

constexpr std::int64_t kPositionLots = 10;
constexpr TimeNs kSettleInterval{3600 * kSecond};

// OpenPositions(): the set-up above for `accounts` accounts (even).
void OpenPositions(Driver& d, std::uint32_t accounts) {
  d.Apply(engine::CreateMarket{
      .market = MarketOf(0),
      .params = std::make_shared<const engine::MarketParams>(MakeParams(
          0, funding::FundingModel::kPremium, TimeNs(60 * kSecond), kSettleInterval))});
  d.Apply(engine::OraclePrice{
      .market = MarketOf(0), .source = SourceId(1), .price = Ticks(kMid), .publish_time = TimeNs(d.now())});
  for (std::uint32_t id = 1; id <= accounts; ++id) {
    d.Apply(engine::CreateAccount{.account = AccountId(id), .owner = OwnerId(id)});
    d.Apply(engine::Deposit{.account = AccountId(id), .amount = Quote(10'000 * kUsd)});
  }
  std::uint64_t next_order = 1;
  for (std::uint32_t id = 1; id + 1 <= accounts; id += 2) {
    d.Apply(engine::PlaceOrder{.market = MarketOf(0),
                               .account = AccountId(id),
                               .order_id = OrderId(next_order++),
                               .side = Side::kSell,
                               .price = Ticks(kMid),
                               .size = Lots(kPositionLots)});
    const engine::Result r = d.Apply(engine::PlaceOrder{.market = MarketOf(0),
                                                        .account = AccountId(id + 1),
                                                        .order_id = OrderId(next_order++),
                                                        .side = Side::kBuy,
                                                        .tif = book::TimeInForce::kIoc,
                                                        .price = Ticks(kMid),
                                                        .size = Lots(kPositionLots)});
    if (r.filled != Lots(kPositionLots)) Fail("settle set-up: a pair did not trade");
  }
}

// CloseIntervals(): `n` ticks, each at the next interval end after an
// untimed oracle price; returns their stamps. Each must close one interval.
template <int kPass>
std::vector<std::uint32_t> CloseIntervals(Driver& d, std::uint32_t n) {
  std::vector<std::uint32_t> stamps;
  for (std::uint32_t k = 0; k < n; ++k) {
    const std::int64_t end = (d.now() / kSettleInterval.raw() + 1) * kSettleInterval.raw();
    d.Apply(engine::OraclePrice{
        .market = MarketOf(0), .source = SourceId(1), .price = Ticks(kMid), .publish_time = TimeNs(end)}, end);
    std::uint32_t stamp = 0;
    const engine::Result r = Timed<kPass>(d, engine::TimeTick{.market = MarketOf(0)}, end, &stamp);
    if (CountEvents<engine::events::FundingRateSet>(r) != 1) {
      Fail("close_interval: a tick at an interval end did not close it");
    }
    stamps.push_back(stamp);
  }
  return stamps;
}

void RunSettle(const SettleSpec& spec, double ns_per_stamp, std::vector<Row>* rows) {
  const std::uint32_t n = spec.accounts & ~1u;
  // close_interval_1k: the same closes over 1,000 positions.
  {
    Driver small(1);
    OpenPositions(small, 1000);
    Row r = MakeRow("funding/close_interval_1k", CloseIntervals<kClose1k>(small, spec.closes), ns_per_stamp);
    r.extra.emplace_back("positions", 1000);
    PrintRow(r);
    rows->push_back(std::move(r));
  }

  const std::int64_t heap0 = g_alloc.bytes_in_use;
  Driver d(1);
  const auto t0 = Clock::now();
  OpenPositions(d, n);
  const double setup_s = SecondsSince(t0);
  const std::int64_t heap1 = g_alloc.bytes_in_use;
  fmt::print("  (set-up: {} accounts with a position each in {:.2f} s, {:.0f} B of heap each)\n", n,
             setup_s, static_cast<double>(heap1 - heap0) / n);

  Row close = MakeRow("funding/close_interval", CloseIntervals<kCloseN>(d, spec.closes), ns_per_stamp);
  close.extra.emplace_back("positions", n);
  PrintRow(close);

  const absl::StatusOr<engine::FundingView> fv = d.engine().Funding(MarketOf(0));
  if (!fv.ok() || fv->index <= 0) Fail("settle: the index did not move");
  const absl::int128 index = fv->index;
  const absl::int128 owed_long = funding::Owed(index, 0, kPositionLots);
  const absl::int128 owed_short = funding::Owed(index, 0, -kPositionLots);

  std::vector<std::uint32_t> order(n);
  std::iota(order.begin(), order.end(), 1u);
  testing::Rng rng(spec.seed);
  for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.Below(i)]);

  // One pass of withdrawals; settle: whether each must settle its position.
  auto withdrawals = [&](bool settle) {
    std::vector<std::uint32_t> stamps(n);
    std::int64_t settled_sum = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
      const AccountId a(order[i]);
      const engine::Payload w = engine::Withdraw{.account = a, .amount = Quote(1)};
      const engine::Result r = settle ? Timed<kSettle>(d, w, 0, &stamps[i])
                                      : Timed<kWithdrawSettled>(d, w, 0, &stamps[i]);
      std::size_t count = 0;
      for (const engine::Event& e : r.events) {
        const auto* s = std::get_if<engine::events::FundingSettled>(&e);
        if (s == nullptr) continue;
        ++count;
        // Even ids bought: long.
        const absl::int128 want = order[i] % 2 == 0 ? owed_long : owed_short;
        if (absl::int128(s->amount.raw()) != want) {
          Fail(fmt::format("settle: account {} settled {} atoms, funding::Owed says {}",
                           order[i], s->amount.raw(), static_cast<std::int64_t>(want)));
        }
        settled_sum += s->amount.raw();
      }
      if (count != (settle ? 1u : 0u)) {
        Fail(fmt::format("settle: account {} had {} FundingSettled, expected {}", order[i],
                         count, settle ? 1 : 0));
      }
    }
    return std::pair(std::move(stamps), settled_sum);
  };
  auto [first, paid] = withdrawals(true);
  auto [second, none] = withdrawals(false);
  CheckInvariants(d.engine(), "settle");
  Row settle = MakeRow("funding/settle", std::move(first), ns_per_stamp);
  Row plain = MakeRow("funding/withdraw_settled", std::move(second), ns_per_stamp);
  settle.extra.emplace_back("positions", n);
  settle.extra.emplace_back("intervals_owed", spec.closes);
  settle.extra.emplace_back("owed_long_atoms", static_cast<double>(owed_long));
  settle.extra.emplace_back("net_settled_atoms", static_cast<double>(paid));
  settle.extra.emplace_back("settlement_cost_mean_ns", settle.all.mean_ns - plain.all.mean_ns);
  settle.extra.emplace_back("settlement_cost_p50_ns", settle.all.p50_ns - plain.all.p50_ns);
  settle.extra.emplace_back("heap_bytes_per_account", static_cast<double>(heap1 - heap0) / n);
  plain.extra.emplace_back("positions", n);
  PrintRow(settle);
  PrintRow(plain);
  rows->push_back(std::move(close));
  rows->push_back(std::move(settle));
  rows->push_back(std::move(plain));
  d.Release();
}

// -----------------------------------------------------------------------------
// main
// -----------------------------------------------------------------------------

struct Options {
  bool smoke = false;
  std::string json_path;
  std::uint64_t seed = 20240601;
  bool run_tick = true, run_settle = true;
  std::optional<std::uint64_t> markets, ticks, accounts;
};

[[noreturn]] void Usage(const char* why) {
  std::fprintf(stderr,
               "funding_bench: %s\nusage: funding_bench [--smoke] [--json PATH] [--seed S] "
               "[--markets M] [--ticks T] [--accounts N] [--workload tick|settle|all[,...]]\n",
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
    } else if (a == "--markets") {
      opt.markets = ParseU64(a, value());
    } else if (a == "--ticks") {
      opt.ticks = ParseU64(a, value());
    } else if (a == "--accounts") {
      opt.accounts = ParseU64(a, value());
    } else if (a == "--workload") {
      const std::string_view list = value();
      opt.run_tick = opt.run_settle = false;
      std::size_t start = 0;
      while (start <= list.size()) {
        const std::size_t comma = std::min(list.find(',', start), list.size());
        const std::string_view name = list.substr(start, comma - start);
        if (name == "all") {
          opt.run_tick = opt.run_settle = true;
        } else if (name == "tick") {
          opt.run_tick = true;
        } else if (name == "settle") {
          opt.run_settle = true;
        } else {
          Usage(fmt::format("unknown workload '{}'", name).c_str());
        }
        start = comma + 1;
      }
    } else if (a == "--help" || a == "-h") {
      Usage("help");
    } else {
      Usage(fmt::format("unknown argument '{}'", a).c_str());
    }
  }
  if (opt.markets && (*opt.markets < 1 || *opt.markets > 1024)) Usage("--markets must be 1..1024");
  if (opt.ticks && *opt.ticks < 1) Usage("--ticks must be >= 1");
  if (opt.accounts && (*opt.accounts < 2 || *opt.accounts > 1'000'000)) {
    Usage("--accounts must be 2..1,000,000");
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
      "perpcore funding_bench{}: seed {}, host {}, {} CPUs online, load average {}\n"
      "timer: {}, {:.4f} ns per tick; empty start/stop pair: p50 {:.1f} ns (included)\n\n",
      opt.smoke ? " (smoke)" : "", opt.seed, host, sysconf(_SC_NPROCESSORS_ONLN), LoadAverage(),
      kStampSource, ns_per_stamp, overhead.p50_ns);
  fmt::print("{:<34} {:>8} {:>12} {:>9} {:>9} {:>9} {:>10} {:>10}  (ns)\n", "name", "ops",
             "ops/s", "p50", "p99", "p99.9", "max", "mean");
  std::vector<Row> rows;
  if (opt.run_tick) {
    TickSpec spec;
    if (opt.smoke) {
      spec.markets = 20;
      spec.ticks = 30;
      spec.each_seconds = 10;
      spec.interval = TimeNs(10 * kSecond);
    }
    if (opt.markets) spec.markets = static_cast<std::uint32_t>(*opt.markets);
    if (opt.ticks) spec.ticks = static_cast<std::uint32_t>(*opt.ticks);
    RunTicks(spec, ns_per_stamp, &rows);
    const Row* off = &rows[rows.size() - 8];
    const Row* on = &rows[rows.size() - 4];
    const Row* off_each = &rows[rows.size() - 5];
    const Row* on_each = &rows[rows.size() - 1];
    // Medians: a shared machine's preemptions reach the means.
    fmt::print(
        "  funding's share of a tick for all {} markets: {:.0f} ns at p50 ({:.1f} ns a market; "
        "means: {:.0f} ns); of a tick for one market: {:.0f} ns at p50\n",
        spec.markets, on->all.p50_ns - off->all.p50_ns,
        (on->all.p50_ns - off->all.p50_ns) / spec.markets, on->all.mean_ns - off->all.mean_ns,
        on_each->all.p50_ns - off_each->all.p50_ns);
  }
  if (opt.run_settle) {
    SettleSpec spec;
    spec.seed = opt.seed;
    if (opt.smoke) {
      spec.accounts = 10'000;
      spec.closes = 4;
    }
    if (opt.accounts) spec.accounts = static_cast<std::uint32_t>(*opt.accounts);
    RunSettle(spec, ns_per_stamp, &rows);
    const Row& settle = rows[rows.size() - 2];
    const Row& plain = rows[rows.size() - 1];
    fmt::print(
        "  one lazy settlement: {:.0f} ns at p50 (means: {:.0f} ns), over {} positions\n",
        settle.all.p50_ns - plain.all.p50_ns, settle.all.mean_ns - plain.all.mean_ns,
        spec.accounts & ~1u);
  }
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
