// -----------------------------------------------------------------------------
// File: benchmarks/engine_bench.cpp
// -----------------------------------------------------------------------------
//
// End-to-end engine benchmark: an exchange's command stream through
// engine::Engine::Apply (margin checks, matching, settlement, fees, oracle),
// the same order flow through bare book::OrderBook instances for the
// "engine vs bare book" ratio, and the memory an account and a position
// cost. Workloads (seeded: the default seed is 20240601, --seed changes it):
//
// engine/mixed
//   Setup (not timed): EngineConfig with fee-tier discounts 0 / 10% / 25% and
//   a 10% referrer share; 10 markets, each with 3 oracle sources that publish
//   before any order, so every market has an index and a mark:
//       symbol    BTC    ETH    SOL    BNB   XRP    DOGE   AVAX   LINK   ARB    OP
//       mid       60000  3000   150    580   0.6    0.15   35     18     1.1    2.5  USD
//       share %   30     20     10     8     7      6      5      5      5      4
//   (tick and lot chosen so one tick of one lot is 100 quote atoms, 1e-4 USD at
//   6 quote decimals; mids are 58,000..600,000 ticks). Every market: price
//   band +-10% around the index; three margin tiers (20x with 1% maintenance,
//   10x / 2.5% from 250k USD, 5x / 5% from 1M USD); taker fee 5 bp; maker fee
//   1 bp, or a 0.5 bp rebate on BTC and ETH; oracle: the index needs 2 fresh
//   sources (60 s), source-deviation guard 2%, TWAP guard 10%; up to 1,000
//   orders per account. 1,000 accounts (ids 1..1000, owner = id), each
//   funded with 100k..1M USD (uniform), except the 2% "thin" ones (id % 50 ==
//   13) with 300..1,500 USD, which do hit margin limits. Fee tier 2 for id %
//   10 == 0 and tier 1 for id % 10 == 5; id % 20 == 3 is referred by id - 1;
//   id % 50 == 7 trades BTC and ETH isolated; id % 7 == 0 uses 10x leverage
//   everywhere and id % 11 == 0 5x on BTC (the rest the markets' 20x).
//   Warm-up (not timed): passive adds (as below), market by market, until
//   each holds its share L_m of L = 20,000 live orders.
//   Measured: 1,000,000 commands. Each draws u uniform in [0, 1) and, for
//   order commands, a market by share and an account uniformly:
//     u < 5%    other: 60% an oracle price from one of the 3 sources (the
//               market's true price walks by -2..2 ticks at each of them and
//               the source adds -2..2 ticks of noise), 20% a TimeTick (one
//               market; one in ten for all markets), 10% a deposit (100..10k
//               USD), 10% a withdrawal (10..1k USD);
//     u < 15%   a taker, 1..60 lots: 45% a market order (IOC, protection
//               price 1% through the true price; if the account has a
//               position there, 30% of these are reduce-only closing it),
//               45% an IOC limit and 10% a FOK limit, 0..3 ticks through
//               the opposite best;
//     u < 20%   an amend of a random live order of the market: half change
//               its size (down by up to all but one lot, keeping priority,
//               or up by 1..20 lots), half its price by 1..5 ticks, never to
//               or across the opposite best;
//     u < 20% + p_c, p_c = min(0.5, 0.35 * live_m / L_m): a cancel of a
//               random live order of the market (one in five by client id),
//               so the books settle near L and cancels near 35%;
//     otherwise a new limit order: 10% GTC crossing 0..3 ticks through the
//               opposite best (1..60 lots, the remainder rests); 90% passive
//               (a tenth of them post-only), 1..100 lots, 1 + floor(Exp(mean
//               20)) ticks behind min(true price, best ask - 1) for a buy
//               and max(true price, best bid + 1) for a sell.
//   With an empty side the true price stands in for its best; an amend or a
//   cancel with no live order in the market becomes a new limit order.
//   Client ids are per-account counters; STP is the default cancel-maker.
//   Time advances 0..2,000 ns (uniform) a command; oracle publish times are
//   the command's time. A command's seq is the engine's last_seq() + 1 (a
//   refused command does not consume a seq).
//
// engine/mixed_1s, engine/mixed_1s_fund, engine/mixed_1s_cont (--workload
// funding; issue 12)
//   engine/mixed's flow over simulated seconds: time advances 0..2 ms a
//   command (uniform; 0..5 ms with --smoke), so the 1,000,000 commands span
//   about 1,000 s, and a TimeTick for all markets is inserted at every whole
//   second (before the command whose time passes it: about 1,000 more
//   measured commands, class time_tick). Same seed, same generator.
//   mixed_1s: funding off (FundingModel::kNone), as engine/mixed.
//   mixed_1s_fund: every market on the premium model sampling every second
//     (sample_cadence 1 s: each per-second tick takes a sample from every
//     book, an impact walk a side), interval 60 s (10 s with --smoke),
//     period 8 h, paid at interval ends at the index; the other funding
//     parameters are funding::FundingParams' defaults. So about 16
//     intervals close in every market during the run, and every fill after
//     a close settles the funding of the two positions it touches.
//   mixed_1s_cont: the same paid continuously: the index moves at every
//     advance, so nearly every fill settles funding.
//   Funding changes cash, so the three streams may differ in a few margin
//   decisions (each is generated from its own engine, then validated and
//   replayed like engine/mixed); the header of each shows its mix. The
//   target: mixed_1s_fund within 5% of mixed_1s in commands/s.
//   engine/mixed itself (and memory, growth) run with funding off.
//
// book/same_flow
//   The order commands of engine/mixed (warm-up and measured) that reached
//   a book: every place, cancel and amend the engine passed on, including
//   those the book then refused (kFokNotFilled, ...), but not those the engine
//   refused first (kInsufficientMargin, ...). Same ids, client ids, prices,
//   sizes and reduce-only max_fill, replayed into one bare OrderBook per market
//   configured as the engine configures its books, with the reference price
//   (the band's centre) at the market's initial mid.
//
// engine/memory
//   100,000 accounts (10,000 with --smoke) are created and funded in one
//   engine with the 10 markets, then given a position in each of the first 4
//   markets (accounts 2k-1 and 2k trade one lot: a resting sell and an IOC
//   buy at the mid). Heap bytes in use (counted by alloc_counter.cpp) and
//   VmRSS are read before, after the accounts, and after the positions:
//   bytes_per_account and bytes_per_position are the deltas / counts.
//
// engine/growth
//   The accounts grow from 0 to N (1,000,000; 20,000 with --smoke;
//   --growth-accounts N) in one engine with the 10 markets (created and
//   priced, not timed), every command timed. For each new account id, four
//   commands: CreateAccount (owner = id), a 10k USD Deposit, a GTC order of
//   one lot in market id % 10 that rests (a bid 1 + (id / 10) % 1,000 ticks
//   below the mid for even id / 10, else an ask as far above it), and a
//   1 USD Deposit into a uniformly drawn earlier account (a lookup anywhere
//   in the index). So accounts, their index, positions and the books all
//   grow from empty to N (N orders in all). A container that grows by
//   doubling and moving or rehashing everything shows up as a spike at the
//   command that crosses its capacity; the report gives the latency per
//   command class, the maximum per range of accounts [2^k, 2^(k+1)), and
//   the slowest commands with the number of accounts when they ran.
//
// What is reported, for each workload:
//   ops_per_sec  commands (book ops) / wall time of the measured replay, timed
//     with steady_clock around the loop, no per-command timing inside it. The
//     median (and best) of up to --reps passes (default 5; each on a fresh
//     engine or fresh books after an untimed replay of setup and warm-up;
//     repeats stop once 5 s have been spent). Every timed loop prefetches the
//     recorded command kPrefetchAhead places ahead (a host applies commands
//     it has just decoded, hot in cache; --no-prefetch to compare).
//   p50/p99/p99.9/p99.99/max latency of one Apply() (or book call), overall
//     and per command class: a separate pass reading the TSC around every
//     command (as book_bench: lfence;rdtsc;lfence .. rdtscp;lfence,
//     calibrated against steady_clock), timer overhead included, not
//     subtracted.
//   outliers: the latency pass's slowest commands (index, class, ns; the
//     command itself for engine/mixed), how many took over 100 us, and the
//     page faults and context switches (getrusage) during that pass: a
//     preemption or a fault shows up there, a rehash or a vector growth as a
//     slow command at the same index run after run.
//   engine vs bare book: engine/mixed commands/s over book/same_flow ops/s
//     (target >= 0.5), and the time ratio book replay / engine replay.
//   allocs_per_op  heap allocations during the measured commands / commands,
//     with their sizes binned by power of two.
//   peak_rss_bytes VmHWM after the workload's passes (reset before them): the
//     whole process, recorded workload included; rss_growth_bytes is VmHWM
//     minus VmRSS before the passes.
//   harness_floor_ns  ns a command through the same loop (prefetch included)
//     into a no-op that reads the command's seq, time and variant index:
//     mostly the streaming of the recorded commands from memory, which
//     overlaps with real work, so it is a floor, not an additive cost.
//   The accepted/rejected mix by class and reason, fills, self-trade cancels
//   and live orders, so the stream can be judged realistic.
//
// Validation (before timing): a fresh engine replays the recorded stream and
// must give every command the reason it got when generated, the same hash of
// all results and events, the same Digest() and a passing CheckInvariants().
// The bare books must give every book op the outcome (reason, filled, rested,
// events) the engine's book gave it, and end with the engine's L2 depth.
// Every timed pass must reproduce the validated tally. Otherwise the run
// exits with status 1.
//
// Usage: engine_bench [--smoke] [--json PATH] [--seed S] [--commands N]
//                     [--reps N] [--workload W[,W...]] (W: mixed, memory, growth,
//                     funding (= mixed_1s,mixed_1s_fund,mixed_1s_cont), any of those
//                     three, all)
//                     [--memory-accounts N] [--growth-accounts N]
//                     [--markets-per-account K] [--no-prefetch]
//   --smoke: 20,000 commands over L = 2,000 live orders (mixed and the
//   funding workloads), 10,000 accounts for memory, 20,000 for growth, one
//   pass each. --markets-per-account K (1..10, default 10): each
//   account places orders in K markets only ((slot + id) % 10 < K), to see
//   how the margin check scales with the positions an account holds.
//   --no-prefetch: the timed loops do not prefetch the recorded commands
//   (see kPrefetchAhead). Pin with taskset for steadier figures.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "alloc_counter.hpp"
#include "bench_common.hpp"
#include "fmt/format.h"
#include "perpcore/book/order_book.hpp"
#include "perpcore/book/types.hpp"
#include "perpcore/engine/engine.hpp"
#include "perpcore/engine/types.hpp"
#include "perpcore/funding/funding.hpp"
#include "workload.hpp"

namespace perpcore::bench {
namespace {

using book::OrderBook;
using book::Side;
using engine::Command;
using engine::Engine;
using perpcore::Reason;

constexpr std::int64_t kUsd = 1'000'000;  // quote atoms per USD (6 decimals)

// -----------------------------------------------------------------------------
// Markets and accounts
// -----------------------------------------------------------------------------

struct MarketDef {
  const char* symbol;
  engine::Decimal tick;
  engine::Decimal lot;
  std::int64_t mid;     // ticks
  std::uint32_t share;  // percent of the order flow
  bool maker_rebate;
};

constexpr std::size_t kNumMarkets = 10;
constexpr std::array<MarketDef, kNumMarkets> kMarkets = {{
    {"BTC-USD", {1, -1}, {1, -3}, 600'000, 30, true},
    {"ETH-USD", {1, -2}, {1, -2}, 300'000, 20, true},
    {"SOL-USD", {1, -3}, {1, -1}, 150'000, 10, false},
    {"BNB-USD", {1, -2}, {1, -2}, 58'000, 8, false},
    {"XRP-USD", {1, -5}, {1, 1}, 60'000, 7, false},
    {"DOGE-USD", {1, -6}, {1, 2}, 150'000, 6, false},
    {"AVAX-USD", {1, -4}, {1, 0}, 350'000, 5, false},
    {"LINK-USD", {1, -4}, {1, 0}, 180'000, 5, false},
    {"ARB-USD", {1, -5}, {1, 1}, 110'000, 5, false},
    {"OP-USD", {1, -5}, {1, 1}, 250'000, 4, false},
}};
constexpr std::int64_t kAtomsPerTickLot = 100;  // the same for every market above
constexpr std::uint32_t kSources = 3;
constexpr std::size_t kMaxDepthLevels = 10'001;  // above max_levels_per_side

MarketId MarketIdOf(std::size_t slot) { return MarketId(static_cast<std::uint32_t>(slot + 1)); }

Rate Bp(std::int64_t tenths_of_bp) { return Rate(tenths_of_bp * (kRateScale / 100'000)); }

engine::EngineConfig MakeEngineConfig() {
  engine::EngineConfig c;
  c.quote_decimals = 6;
  c.fee_tier_discounts = {Rate(0), Rate(kRateScale / 10), Rate(kRateScale / 4)};
  c.referrer_share = Rate(kRateScale / 10);
  c.max_markets = 16;
  c.max_accounts = 1u << 20;
  return c;
}

// NoFunding(): FundingModel::kNone (the index never moves), as every market
// was before issue 12.
funding::FundingParams NoFunding() {
  funding::FundingParams f;
  f.model = funding::FundingModel::kNone;
  return f;
}

engine::MarketParams MakeMarketParams(const MarketDef& d,
                                      const funding::FundingParams& funding = NoFunding()) {
  engine::MarketParams p;
  p.symbol = d.symbol;
  p.tick_size = d.tick;
  p.lot_size = d.lot;
  p.max_price = Ticks(10 * d.mid);
  // The largest open interest the 2^54 notional bound allows.
  const std::int64_t oi = (std::int64_t{1} << 54) / (p.max_price.raw() * kAtomsPerTickLot);
  p.max_open_interest = Lots(std::min<std::int64_t>(oi, 100'000'000));
  p.max_order_size = Lots(std::min<std::int64_t>(1'000'000, p.max_open_interest.raw()));
  p.price_band = Rate(kRateScale / 10);
  p.max_leverage = 20;
  p.tiers = {
      {Quote(0), 20, Rate(kRateScale / 100)},
      {Quote(250'000 * kUsd), 10, Rate(kRateScale / 40)},
      {Quote(1'000'000 * kUsd), 5, Rate(kRateScale / 20)},
  };
  p.taker_fee = Bp(50);
  p.maker_fee = d.maker_rebate ? Bp(-5) : Bp(10);
  p.oracle.staleness = TimeNs(60'000'000'000);
  p.oracle.min_sources = 2;
  p.oracle.max_source_deviation = Rate(kRateScale / 50);
  p.oracle.max_twap_deviation = Rate(kRateScale / 10);
  p.max_orders_per_account = 1000;
  p.max_levels_per_side = 10'000;
  p.max_book_orders = 1u << 22;
  p.funding = funding;
  return p;
}

// The configuration Engine gives the book of a market with `p` (its
// BookConfigFor): the engine checks max_order_size itself.
book::BookConfig BookConfigLikeEngine(const engine::MarketParams& p, std::size_t slot) {
  book::BookConfig c;
  c.max_order_size = Lots::Max();
  c.max_orders_per_account = p.max_orders_per_account;
  c.max_levels_per_side = p.max_levels_per_side;
  c.max_book_orders = p.max_book_orders;
  c.price_band = p.price_band;
  c.expected_orders = 1024;
  c.hash_seed = 0x70657270656e6731ULL ^ (0x9E3779B97F4A7C15ULL * (slot + 1));
  return c;
}

// Account roles (see the file comment).
bool IsThin(std::uint64_t id) { return id % 50 == 13; }
bool IsIsolatedIn(std::uint64_t id, std::size_t slot) { return id % 50 == 7 && slot < 2; }
std::uint32_t FeeTierOf(std::uint64_t id) { return id % 10 == 0 ? 2u : id % 10 == 5 ? 1u : 0u; }
AccountId ReferrerOf(std::uint64_t id) { return AccountId(id % 20 == 3 ? id - 1 : 0); }
// With --markets-per-account K < 10, account id places orders only in the K
// markets with (slot + id) % 10 < K (the default K = 10: every market).
bool TradesIn(std::uint64_t id, std::size_t slot, std::uint32_t k) {
  return (slot + id) % kNumMarkets < k;
}
std::uint32_t LeverageOf(std::uint64_t id, std::size_t slot) {
  if (id % 7 == 0) return 10;
  if (id % 11 == 0 && slot == 0) return 5;
  return 0;  // the market's default
}

// -----------------------------------------------------------------------------
// The workload
// -----------------------------------------------------------------------------

// CmdKind: the class of a measured command; latencies are reported per class.
enum class CmdKind : std::uint8_t {
  kPassive = 0,   // GTC or post-only limit behind the opposite best
  kCrossing = 1,  // GTC limit through the opposite best
  kTaker = 2,     // market (IOC), IOC or FOK limit, possibly reduce-only
  kCancel = 3,    // by order id or client id
  kAmend = 4,
  kOracle = 5,
  kTimeTick = 6,
  kDeposit = 7,
  kWithdraw = 8,
};
constexpr int kNumCmdKinds = 9;

const char* CmdKindName(int k) {
  static constexpr std::array<const char*, kNumCmdKinds> kNames = {
      "passive", "crossing",  "taker",   "cancel",  "amend",
      "oracle",  "time_tick", "deposit", "withdraw"};
  return k >= 0 && k < kNumCmdKinds ? kNames[static_cast<std::size_t>(k)] : "unknown";
}

// BookOp
//
// One order command as a bare book sees it. Place uses the whole request;
// cancel uses account and id (or client_id); amend reads price and size as
// the new price and size.
enum class BookOpKind : std::uint8_t { kPlace = 0, kCancel = 1, kCancelByClient = 2, kAmend = 3 };
struct BookOp {
  book::OrderRequest req;
  std::uint32_t book = 0;  // market slot
  BookOpKind op = BookOpKind::kPlace;
  CmdKind kind = CmdKind::kPassive;
};

struct MixedSpec {
  std::string name = "mixed";
  std::uint64_t seed = 20240601;
  std::uint32_t accounts = 1000;
  std::uint64_t commands = 1'000'000;
  double target_live = 20'000;  // L, over all markets
  double other_prob = 0.05;
  double taker_prob = 0.10;
  double amend_prob = 0.05;
  double cancel_prob = 0.35;  // at live_m == L_m
  double max_cancel_prob = 0.5;
  double crossing_share = 0.10;   // of new limit orders
  double post_only_share = 0.10;  // of passive ones
  double depth_mean_ticks = 20.0;
  std::int64_t passive_max_size = 100;
  std::int64_t taker_max_size = 60;
  std::int64_t max_through_ticks = 3;
  std::uint32_t markets_per_account = kNumMarkets;  // --markets-per-account
  // Every market's funding (MakeMarketParams), the largest step of simulated
  // time a command (uniform from 0), and a TimeTick for all markets at every
  // multiple of tick_every_ns (0: none) after the set-up.
  funding::FundingParams funding = NoFunding();
  std::int64_t step_max_ns = 2000;
  std::int64_t tick_every_ns = 0;
};

// Tally: what every timed pass accumulates and must reproduce.
struct Tally {
  std::int64_t filled = 0;
  std::uint64_t events = 0;
  std::uint64_t rejects = 0;
  friend bool operator==(const Tally&, const Tally&) = default;
};

struct GenStats {
  std::array<std::uint64_t, kNumCmdKinds> count{};
  std::array<std::uint64_t, kNumCmdKinds> accepted{};
  std::array<std::map<std::uint16_t, std::uint64_t>, kNumCmdKinds> rejects;
  std::uint64_t setup_rejects = 0;
  std::uint64_t warmup_commands = 0, warmup_rejects = 0;
  std::uint64_t fills = 0, stp_cancels = 0, reduce_only = 0, market_orders = 0;
  std::uint64_t price_updates = 0;  // kPriceUpdate events while measured
  std::uint64_t funding_rates = 0, funding_settled = 0;  // FundingRateSet/Settled, measured
  std::int64_t funding_paid = 0;  // sum of FundingSettled amounts > 0, measured
  std::uint64_t live_at_start = 0, live_at_end = 0, min_live = 0, peak_live = 0;
  std::uint64_t fee_pool_atoms = 0;
  double seconds = 0;
};

struct EngineWorkload {
  MixedSpec spec;
  std::vector<Command> setup, warmup, measured;
  std::vector<CmdKind> kinds;          // per measured command
  std::vector<std::uint16_t> reasons;  // per command, setup + warm-up + measured
  std::vector<BookOp> book_warmup, book_measured;
  std::vector<std::uint64_t> book_outcomes;  // per book op (warm-up then measured)
  std::vector<Ticks> initial_mids;           // per market: the bare books' reference
  std::uint64_t stream_hash = 0;             // measured results and events
  Tally tally;                               // measured
  std::array<std::uint8_t, 32> digest{};
  // The engine's L2 depth at the end, per market: bids then asks.
  std::vector<std::vector<book::LevelView>> final_depth;
  GenStats stats;
};

// -----------------------------------------------------------------------------
// Hashing of outcomes
// -----------------------------------------------------------------------------

// The fields the engine's order events share with book::Event.
struct CommonEvent {
  int kind;
  OrderId order_id, maker_order_id;
  AccountId account;
  std::int64_t price, size, remaining, maker_remaining;
};

void HashCommon(const CommonEvent& e, Hasher* h) {
  h->Add(static_cast<std::uint64_t>(e.kind));
  h->Add(e.order_id);
  h->Add(e.maker_order_id);
  h->Add(e.account);
  h->Add(e.price);
  h->Add(e.size);
  h->Add(e.remaining);
  h->Add(e.maker_remaining);
}

// An engine order event as the book::Event it came from; nullopt for the
// engine's own events (ledger moves such as isolated top-ups, which no bare
// book has).
std::optional<CommonEvent> CommonOf(const engine::Event& ev) {
  auto book_kind = [](book::EventKind k) { return static_cast<int>(k); };
  if (const auto* e = std::get_if<engine::events::Fill>(&ev)) {
    return CommonEvent{book_kind(book::EventKind::kFill), e->taker.order_id, e->maker.order_id,
                       e->taker.account, e->price.raw(), e->size.raw(), e->taker.remaining.raw(),
                       e->maker.remaining.raw()};
  }
  if (const auto* e = std::get_if<engine::events::OrderRested>(&ev)) {
    return CommonEvent{book_kind(book::EventKind::kRested), e->order_id, OrderId(), e->account,
                       e->price.raw(), e->size.raw(), e->size.raw(), 0};
  }
  if (const auto* e = std::get_if<engine::events::OrderCanceled>(&ev)) {
    return CommonEvent{book_kind(book::EventKind::kCanceled), e->order_id, OrderId(), e->account,
                       e->price.raw(), e->size.raw(), e->remaining.raw(), 0};
  }
  if (const auto* e = std::get_if<engine::events::OrderReduced>(&ev)) {
    return CommonEvent{book_kind(book::EventKind::kReduced), e->order_id, OrderId(), e->account,
                       e->price.raw(), e->size.raw(), e->remaining.raw(), 0};
  }
  if (const auto* e = std::get_if<engine::events::OrderAmended>(&ev)) {
    return CommonEvent{book_kind(book::EventKind::kAmended), e->order_id, OrderId(), e->account,
                       e->price.raw(), e->old_remaining.raw(), e->remaining.raw(), 0};
  }
  return std::nullopt;
}

std::uint64_t OutcomeHash(std::uint16_t reason, std::int64_t filled, std::int64_t rested,
                          std::span<const engine::Event> events) {
  Hasher h;
  h.Add(static_cast<std::uint64_t>(reason));
  h.Add(filled);
  h.Add(rested);
  std::uint64_t from_book = 0;
  for (const engine::Event& e : events) from_book += CommonOf(e).has_value();
  h.Add(from_book);
  for (const engine::Event& e : events) {
    if (const std::optional<CommonEvent> c = CommonOf(e)) HashCommon(*c, &h);
  }
  return h.h;
}

std::uint64_t OutcomeHash(std::uint16_t reason, std::int64_t filled, std::int64_t rested,
                          std::span<const book::Event> events) {
  Hasher h;
  h.Add(static_cast<std::uint64_t>(reason));
  h.Add(filled);
  h.Add(rested);
  h.Add(static_cast<std::uint64_t>(events.size()));
  for (const book::Event& e : events) {
    HashCommon({static_cast<int>(e.kind), e.order_id, e.maker_order_id, e.account, e.price.raw(),
                e.size.raw(), e.remaining.raw(), e.maker_remaining.raw()},
               &h);
  }
  return h.h;
}

// Every field of a result and its events, for the determinism check.
// Processed(): the Result of a command the generator framed correctly; a
// framing error is a bug in the benchmark.
engine::Result Processed(absl::StatusOr<engine::Result> r) {
  if (!r.ok()) {
    std::fprintf(stderr, "error: a generated command was not processed: %s\n",
                 r.status().ToString().c_str());
    std::exit(1);
  }
  return *r;
}

void HashResult(const engine::Result& r, Hasher* h) {
  h->Add(static_cast<std::uint64_t>(r.reason));
  h->Add(r.filled.raw());
  h->Add(r.rested.raw());
  h->Add(static_cast<std::uint64_t>(r.events.size()));
  for (const engine::Event& ev : r.events) {
    h->Add(static_cast<std::uint64_t>(ev.index()));
    // Every field of every kind, by name (each struct's fields, in order).
    auto add = [h](const auto& v) {
      if constexpr (requires { v.raw(); }) {
        h->Add(v.raw());
      } else if constexpr (requires { v.value(); }) {
        h->Add(static_cast<std::uint64_t>(v.value()));
      } else {
        h->Add(static_cast<std::uint64_t>(v));
      }
    };
    auto party = [&](const engine::events::FillParty& p) {
      add(p.account), add(p.order_id), add(p.side), add(p.remaining), add(p.fee), add(p.position),
          add(p.realized);
    };
    std::visit(
        [&](const auto& e) {
          if constexpr (requires { e.market; }) add(e.market);
          if constexpr (requires { e.account; }) add(e.account);
          if constexpr (requires { e.order_id; }) add(e.order_id);
          if constexpr (requires { e.side; }) add(e.side);
          if constexpr (requires { e.reason; }) add(e.reason);
          if constexpr (requires { e.priority_kept; }) add(e.priority_kept);
          if constexpr (requires { e.price; }) add(e.price);
          if constexpr (requires { e.size; }) add(e.size);
          if constexpr (requires { e.remaining; }) add(e.remaining);
          if constexpr (requires { e.old_remaining; }) add(e.old_remaining);
          if constexpr (requires { e.taker; }) party(e.taker), party(e.maker);
          if constexpr (requires { e.referrer_fee; }) add(e.referrer_fee);
          if constexpr (requires { e.from; }) add(e.from), add(e.to);
          if constexpr (requires { e.owner; }) add(e.owner);
          if constexpr (requires { e.fee_tier; }) add(e.fee_tier);
          if constexpr (requires { e.referrer; }) add(e.referrer);
          if constexpr (requires { e.amount; }) add(e.amount);
          if constexpr (requires { e.status; }) add(e.status);
          if constexpr (requires { e.index; }) add(e.index), add(e.mark), add(e.twap);
          if constexpr (requires { e.tripped; }) add(e.tripped);
          if constexpr (requires { e.cause; }) add(e.cause);
          if constexpr (requires { e.mode; }) add(e.mode);
          if constexpr (requires { e.leverage; }) add(e.leverage);
          if constexpr (requires { e.scope; }) add(e.scope);
        },
        ev);
  }
}

std::uint16_t RawReason(Reason r) { return static_cast<std::uint16_t>(r); }

// A reason the book produced (or would have): the command reached the book.
bool ReachedBook(Reason r) { return RawReason(r) < 100; }

std::string ReasonLabel(std::uint16_t r) {
  return std::string(perpcore::ReasonName(static_cast<Reason>(r)));
}

// -----------------------------------------------------------------------------
// Generation: drives a real engine and records every command
// -----------------------------------------------------------------------------

struct Live {
  OrderId id = 0;
  std::uint32_t account = 0;
  std::uint32_t client_id = 0;
  Side side = Side::kBuy;
  std::int64_t price = 0;
  std::int64_t remaining = 0;
};
using LiveOrders = detail::LiveSetOf<Live>;

class Generator {
 public:
  explicit Generator(const MixedSpec& spec)
      : spec_(spec),
        rng_(spec.seed),
        eng_(MakeEngineConfig()),
        live_(kNumMarkets, static_cast<std::uint64_t>(spec.target_live) + spec.commands + 16),
        position_(static_cast<std::size_t>(spec.accounts + 1) * kNumMarkets, 0),
        next_client_(spec.accounts + 1, 0) {
    w_.spec = spec;
    std::uint32_t cum = 0;
    for (std::size_t m = 0; m < kNumMarkets; ++m) {
      cum += kMarkets[m].share;
      cum_share_[m] = cum;
      ref_[m] = kMarkets[m].mid;
      target_[m] = spec.target_live * kMarkets[m].share / 100.0;
    }
  }

  EngineWorkload Run();

 private:
  enum class Phase { kSetup, kWarmup, kMeasured };

  void Emit(engine::Payload payload, CmdKind kind, const BookOp* book_op);
  void EmitAt(std::int64_t at, engine::Payload payload, CmdKind kind, const BookOp* book_op);
  void Track(std::span<const engine::Event> events);
  std::int64_t& PositionOf(std::uint32_t account, std::size_t m) {
    return position_[static_cast<std::size_t>(account) * kNumMarkets + m];
  }
  std::optional<std::int64_t> Best(std::size_t m, Side side) const {
    auto b = eng_.Best(MarketIdOf(m), side);
    if (!b.ok() || !b->has_value()) return std::nullopt;
    return (*b)->price.raw();
  }
  std::size_t PickMarket() {
    const auto x = static_cast<std::uint32_t>(rng_.Below(100));
    std::size_t m = 0;
    while (x >= cum_share_[m]) ++m;
    return m;
  }
  std::uint32_t PickAccount() { return static_cast<std::uint32_t>(1 + rng_.Below(spec_.accounts)); }
  // An account that trades market m: uniform over all of them, or over those
  // whose markets_per_account markets include m.
  std::uint32_t PickAccountFor(std::size_t m) {
    for (;;) {
      const std::uint32_t a = PickAccount();
      if (TradesIn(a, m, spec_.markets_per_account)) return a;
    }
  }
  book::OrderRequest NewOrder(std::uint32_t account, Side side) {
    book::OrderRequest r;
    r.id = OrderId(next_id_++);
    r.account = AccountId(account);
    r.client_id = ClientOrderId(++next_client_[account]);
    r.side = side;
    return r;
  }
  Side RandomSide() { return rng_.Below(2) == 0 ? Side::kBuy : Side::kSell; }
  void Place(std::size_t m, const book::OrderRequest& r, CmdKind kind, bool reduce_only);

  void Setup();
  void Passive(std::size_t m, CmdKind kind);
  void Crossing(std::size_t m);
  void Taker(std::size_t m);
  void Amend(std::size_t m);
  void Cancel(std::size_t m);
  void Other();

  MixedSpec spec_;
  Rng rng_;
  Engine eng_;
  Phase phase_ = Phase::kSetup;
  std::int64_t now_ = 1'000'000'000;
  std::int64_t next_tick_ = 0;  // the next per-second TimeTick (spec_.tick_every_ns)
  EngineWorkload w_;
  LiveOrders live_;
  std::vector<std::int64_t> position_;  // [account][market]
  std::vector<std::uint32_t> next_client_;
  std::array<std::uint32_t, kNumMarkets> cum_share_{};
  std::array<std::int64_t, kNumMarkets> ref_{};  // the true price, ticks
  std::array<double, kNumMarkets> target_{};     // L_m
  std::uint64_t next_id_ = 1;  // the next OrderId
  std::uint32_t pending_client_ = 0;  // the client id of the order being placed
  Hasher stream_;
};

void Generator::Emit(engine::Payload payload, CmdKind kind, const BookOp* book_op) {
  const std::int64_t at = now_ + (phase_ == Phase::kSetup ? 1000 : rng_.Between(0, spec_.step_max_ns));
  if (phase_ != Phase::kSetup && spec_.tick_every_ns > 0) {
    if (next_tick_ == 0) next_tick_ = (now_ / spec_.tick_every_ns + 1) * spec_.tick_every_ns;
    // The periodic tick goes before the command whose time passes it (a
    // step is far below tick_every_ns, so at most one is due).
    if (at >= next_tick_) {
      EmitAt(next_tick_, engine::TimeTick{.market = MarketId(0)}, CmdKind::kTimeTick, nullptr);
      next_tick_ += spec_.tick_every_ns;
    }
  }
  EmitAt(at, std::move(payload), kind, book_op);
}

void Generator::EmitAt(std::int64_t at, engine::Payload payload, CmdKind kind,
                       const BookOp* book_op) {
  now_ = at;
  Command c{.seq = eng_.last_seq() + 1, .timestamp = TimeNs(now_), .payload = std::move(payload)};
  const engine::Result r = Processed(eng_.Apply(c));
  const std::uint16_t reason = RawReason(r.reason);
  w_.reasons.push_back(reason);
  GenStats& s = w_.stats;
  if (phase_ == Phase::kMeasured) {
    const auto k = static_cast<std::size_t>(kind);
    ++s.count[k];
    if (r.ok()) {
      ++s.accepted[k];
    } else {
      ++s.rejects[k][reason];
    }
    HashResult(r, &stream_);
    w_.tally.filled += r.filled.raw();
    w_.tally.events += r.events.size();
    w_.tally.rejects += !r.ok();
    w_.kinds.push_back(kind);
  } else if (!r.ok()) {
    ++(phase_ == Phase::kSetup ? s.setup_rejects : s.warmup_rejects);
  }
  if (book_op != nullptr && ReachedBook(r.reason)) {
    (phase_ == Phase::kMeasured ? w_.book_measured : w_.book_warmup).push_back(*book_op);
    w_.book_outcomes.push_back(OutcomeHash(reason, r.filled.raw(), r.rested.raw(), r.events));
  }
  Track(r.events);
  switch (phase_) {
    case Phase::kSetup:
      w_.setup.push_back(std::move(c));
      break;
    case Phase::kWarmup:
      w_.warmup.push_back(std::move(c));
      break;
    case Phase::kMeasured:
      w_.measured.push_back(std::move(c));
      s.peak_live = std::max(s.peak_live, live_.total());
      s.min_live = std::min(s.min_live, live_.total());
      break;
  }
}

// Follows the live orders and the positions from the events.
void Generator::Track(std::span<const engine::Event> events) {
  namespace ev = engine::events;
  auto slot_of = [](MarketId market) { return static_cast<std::uint32_t>(market.value() - 1); };
  for (const engine::Event& event : events) {
    if (const auto* e = std::get_if<ev::OrderRested>(&event)) {
      live_.Add(slot_of(e->market), Live{.id = e->order_id,
                                         .account = static_cast<std::uint32_t>(e->account.value()),
                                         .client_id = pending_client_,
                                         .side = e->side,
                                         .price = e->price.raw(),
                                         .remaining = e->size.raw()});
    } else if (const auto* f = std::get_if<ev::Fill>(&event)) {
      const std::uint32_t slot = slot_of(f->market);
      if (phase_ == Phase::kMeasured) ++w_.stats.fills;
      if (f->maker.remaining.raw() == 0) {
        live_.Remove(slot, f->maker.order_id);
      } else if (Live* l = live_.Find(slot, f->maker.order_id)) {
        l->remaining = f->maker.remaining.raw();
      }
      PositionOf(static_cast<std::uint32_t>(f->taker.account.value()), slot) =
          f->taker.position.raw();
      PositionOf(static_cast<std::uint32_t>(f->maker.account.value()), slot) =
          f->maker.position.raw();
    } else if (const auto* c = std::get_if<ev::OrderCanceled>(&event)) {
      if (phase_ == Phase::kMeasured && c->reason == book::CancelReason::kSelfTrade) {
        ++w_.stats.stp_cancels;
      }
      if (c->remaining.raw() == 0) live_.Remove(slot_of(c->market), c->order_id);
    } else if (const auto* r = std::get_if<ev::OrderReduced>(&event)) {
      if (Live* l = live_.Find(slot_of(r->market), r->order_id)) {
        l->price = r->price.raw();
        l->remaining = r->remaining.raw();
      }
    } else if (const auto* am = std::get_if<ev::OrderAmended>(&event)) {
      if (Live* l = live_.Find(slot_of(am->market), am->order_id)) {
        l->price = am->price.raw();
        l->remaining = am->remaining.raw();
      }
    } else if (std::holds_alternative<ev::PriceUpdate>(event)) {
      if (phase_ == Phase::kMeasured) ++w_.stats.price_updates;
    } else if (std::holds_alternative<ev::FundingRateSet>(event)) {
      if (phase_ == Phase::kMeasured) ++w_.stats.funding_rates;
    } else if (const auto* fs = std::get_if<ev::FundingSettled>(&event)) {
      if (phase_ == Phase::kMeasured) {
        ++w_.stats.funding_settled;
        w_.stats.funding_paid += std::max<std::int64_t>(fs->amount.raw(), 0);
      }
    }
  }
}

void Generator::Place(std::size_t m, const book::OrderRequest& r, CmdKind kind, bool reduce_only) {
  BookOp op{
      .req = r, .book = static_cast<std::uint32_t>(m), .op = BookOpKind::kPlace, .kind = kind};
  if (reduce_only) {
    const std::int64_t pos = PositionOf(static_cast<std::uint32_t>(r.account.value()), m);
    op.req.max_fill = Lots(pos < 0 ? -pos : pos);
    ++w_.stats.reduce_only;
  }
  pending_client_ = static_cast<std::uint32_t>(r.client_id.value());
  Emit(engine::PlaceOrder{.market = MarketIdOf(m),
                          .account = r.account,
                          .order_id = r.id,
                          .client_id = r.client_id,
                          .side = r.side,
                          .type = r.type,
                          .tif = r.tif,
                          .stp = r.stp,
                          .reduce_only = reduce_only,
                          .price = r.price,
                          .size = r.size},
       kind, &op);
}

void Generator::Setup() {
  for (std::size_t m = 0; m < kNumMarkets; ++m) {
    Emit(engine::CreateMarket{.market = MarketIdOf(m),
                              .params = std::make_shared<const engine::MarketParams>(
                                  MakeMarketParams(kMarkets[m], spec_.funding))},
         CmdKind::kOracle, nullptr);
    w_.initial_mids.push_back(Ticks(kMarkets[m].mid));
  }
  Emit(engine::FundInsurance{.amount = Quote(1'000'000 * kUsd)}, CmdKind::kDeposit, nullptr);
  for (std::uint32_t id = 1; id <= spec_.accounts; ++id) {
    const AccountId account(id);
    Emit(engine::CreateAccount{.account = account,
                               .owner = OwnerId(id),
                               .fee_tier = FeeTierOf(id),
                               .referrer = ReferrerOf(id)},
         CmdKind::kDeposit, nullptr);
    const std::int64_t usd =
        IsThin(id) ? rng_.Between(300, 1'500) : rng_.Between(100'000, 1'000'000);
    Emit(engine::Deposit{.account = account, .amount = Quote(usd * kUsd)}, CmdKind::kDeposit,
         nullptr);
    for (std::size_t m = 0; m < kNumMarkets; ++m) {
      if (IsIsolatedIn(id, m)) {
        Emit(
            engine::SetMarginMode{.market = MarketIdOf(m),
                                  .account = account,
                                  .mode = engine::MarginMode::kIsolated},
            CmdKind::kDeposit, nullptr);
      }
      if (const std::uint32_t lev = LeverageOf(id, m); lev != 0) {
        Emit(engine::SetLeverage{.market = MarketIdOf(m), .account = account, .leverage = lev},
             CmdKind::kDeposit, nullptr);
      }
    }
  }
  for (std::size_t m = 0; m < kNumMarkets; ++m) {
    for (std::uint32_t src = 1; src <= kSources; ++src) {
      Emit(engine::OraclePrice{.market = MarketIdOf(m),
                               .source = SourceId(src),
                               .price = Ticks(ref_[m]),
                               .publish_time = TimeNs(now_ + 1000)},
           CmdKind::kOracle, nullptr);
    }
  }
}

void Generator::Passive(std::size_t m, CmdKind kind) {
  book::OrderRequest r = NewOrder(PickAccountFor(m), RandomSide());
  const auto behind = 1 + static_cast<std::int64_t>(rng_.Exp(spec_.depth_mean_ticks));
  std::int64_t price;
  if (r.side == Side::kBuy) {
    const auto ask = Best(m, Side::kSell);
    price = std::min(ref_[m], ask ? *ask - 1 : ref_[m]) - behind;
  } else {
    const auto bid = Best(m, Side::kBuy);
    price = std::max(ref_[m], bid ? *bid + 1 : ref_[m]) + behind;
  }
  r.price = Ticks(std::max<std::int64_t>(price, 1));
  r.size = Lots(rng_.Between(1, spec_.passive_max_size));
  r.tif = rng_.Uniform01() < spec_.post_only_share ? book::TimeInForce::kPostOnly
                                                   : book::TimeInForce::kGtc;
  Place(m, r, kind, false);
}

void Generator::Crossing(std::size_t m) {
  book::OrderRequest r = NewOrder(PickAccountFor(m), RandomSide());
  const bool buy = r.side == Side::kBuy;
  const auto opposite = Best(m, buy ? Side::kSell : Side::kBuy);
  const std::int64_t base = opposite ? *opposite : ref_[m];
  const std::int64_t through = rng_.Between(0, spec_.max_through_ticks);
  r.price = Ticks(buy ? base + through : base - through);
  r.size = Lots(rng_.Between(1, spec_.taker_max_size));
  Place(m, r, CmdKind::kCrossing, false);
}

void Generator::Taker(std::size_t m) {
  const std::uint32_t account = PickAccountFor(m);
  const double u = rng_.Uniform01();
  const std::int64_t size = rng_.Between(1, spec_.taker_max_size);
  if (u < 0.45) {
    const std::int64_t pos = PositionOf(account, m);
    const bool reduce = pos != 0 && rng_.Uniform01() < 0.3;
    const Side side = reduce ? (pos > 0 ? Side::kSell : Side::kBuy) : RandomSide();
    book::OrderRequest r = NewOrder(account, side);
    r.type = book::OrderType::kMarket;
    r.tif = book::TimeInForce::kIoc;
    r.price = Ticks(side == Side::kBuy ? ref_[m] + ref_[m] / 100 : ref_[m] - ref_[m] / 100);
    r.size = Lots(size);
    ++w_.stats.market_orders;
    Place(m, r, CmdKind::kTaker, reduce);
    return;
  }
  book::OrderRequest r = NewOrder(account, RandomSide());
  const bool buy = r.side == Side::kBuy;
  const auto opposite = Best(m, buy ? Side::kSell : Side::kBuy);
  const std::int64_t base = opposite ? *opposite : ref_[m];
  const std::int64_t through = rng_.Between(0, spec_.max_through_ticks);
  r.price = Ticks(buy ? base + through : base - through);
  r.size = Lots(size);
  r.tif = u < 0.90 ? book::TimeInForce::kIoc : book::TimeInForce::kFok;
  Place(m, r, CmdKind::kTaker, false);
}

void Generator::Amend(std::size_t m) {
  const auto slot = static_cast<std::uint32_t>(m);
  const std::vector<Live>& lv = live_.Book(slot);
  const Live victim = lv[rng_.Below(lv.size())];
  std::int64_t price = victim.price;
  std::int64_t size = victim.remaining;
  if (rng_.Below(2) == 0) {
    if (size > 1 && rng_.Below(2) == 0) {
      size -= rng_.Between(1, size - 1);
    } else {
      size += rng_.Between(1, 20);
    }
  } else {
    const std::int64_t d = rng_.Between(1, 5);
    const bool up = rng_.Below(2) == 0;
    if (victim.side == Side::kBuy) {
      const auto ask = Best(m, Side::kSell);
      price = up ? victim.price + d : victim.price - d;
      if (ask && price >= *ask) price = victim.price - d;
    } else {
      const auto bid = Best(m, Side::kBuy);
      price = up ? victim.price + d : victim.price - d;
      if (bid && price <= *bid) price = victim.price + d;
    }
    price = std::max<std::int64_t>(price, 1);
    if (price == victim.price) size += 1;
  }
  book::OrderRequest r;
  r.id = victim.id;
  r.account = AccountId(victim.account);
  r.price = Ticks(price);
  r.size = Lots(size);
  const BookOp op{.req = r, .book = slot, .op = BookOpKind::kAmend, .kind = CmdKind::kAmend};
  Emit(engine::AmendOrder{.market = MarketIdOf(m),
                          .account = r.account,
                          .order_id = victim.id,
                          .new_price = Ticks(price),
                          .new_size = Lots(size)},
       CmdKind::kAmend, &op);
}

void Generator::Cancel(std::size_t m) {
  const auto slot = static_cast<std::uint32_t>(m);
  const std::vector<Live>& lv = live_.Book(slot);
  const Live victim = lv[rng_.Below(lv.size())];
  book::OrderRequest r;
  r.id = victim.id;
  r.account = AccountId(victim.account);
  r.client_id = ClientOrderId(victim.client_id);
  if (rng_.Below(5) == 0) {
    const BookOp op{
        .req = r, .book = slot, .op = BookOpKind::kCancelByClient, .kind = CmdKind::kCancel};
    Emit(
        engine::CancelByClientId{
            .market = MarketIdOf(m), .account = r.account, .client_id = r.client_id},
        CmdKind::kCancel, &op);
  } else {
    const BookOp op{.req = r, .book = slot, .op = BookOpKind::kCancel, .kind = CmdKind::kCancel};
    Emit(
        engine::CancelOrder{
            .market = MarketIdOf(m), .account = r.account, .order_id = victim.id},
        CmdKind::kCancel, &op);
  }
}

void Generator::Other() {
  const double u = rng_.Uniform01();
  if (u < 0.6) {
    const std::size_t m = PickMarket();
    ref_[m] += rng_.Between(-2, 2);
    const SourceId source(static_cast<std::uint32_t>(1 + rng_.Below(kSources)));
    const std::int64_t price = ref_[m] + rng_.Between(-2, 2);
    // The publish time is the command's own; Emit advances now_ by up to
    // 2,000 ns first, so publish at the time before that (never ahead).
    Emit(engine::OraclePrice{.market = MarketIdOf(m),
                             .source = source,
                             .price = Ticks(price),
                             .publish_time = TimeNs(now_)},
         CmdKind::kOracle, nullptr);
  } else if (u < 0.8) {
    const MarketId market = rng_.Below(10) == 0 ? 0 : MarketIdOf(PickMarket());
    Emit(engine::TimeTick{.market = market}, CmdKind::kTimeTick, nullptr);
  } else if (u < 0.9) {
    Emit(engine::Deposit{.account = AccountId(PickAccount()),
                         .amount = Quote(rng_.Between(100, 10'000) * kUsd)},
         CmdKind::kDeposit, nullptr);
  } else {
    Emit(engine::Withdraw{.account = AccountId(PickAccount()),
                          .amount = Quote(rng_.Between(10, 1'000) * kUsd)},
         CmdKind::kWithdraw, nullptr);
  }
}

EngineWorkload Generator::Run() {
  const auto t0 = Clock::now();
  phase_ = Phase::kSetup;
  Setup();

  phase_ = Phase::kWarmup;
  for (std::size_t m = 0; m < kNumMarkets; ++m) {
    const auto want = static_cast<std::uint64_t>(target_[m]);
    for (std::uint64_t i = 0; i < want; ++i) Passive(m, CmdKind::kPassive);
  }
  w_.stats.warmup_commands = w_.warmup.size();

  phase_ = Phase::kMeasured;
  w_.stats.live_at_start = w_.stats.min_live = live_.total();
  w_.measured.reserve(spec_.commands);
  w_.kinds.reserve(spec_.commands);
  const double p_other = spec_.other_prob;
  const double p_taker = p_other + spec_.taker_prob;
  const double p_amend = p_taker + spec_.amend_prob;
  for (std::uint64_t i = 0; i < spec_.commands; ++i) {
    const double u = rng_.Uniform01();
    if (u < p_other) {
      Other();
      continue;
    }
    const std::size_t m = PickMarket();
    const auto slot = static_cast<std::uint32_t>(m);
    const std::size_t live_m = live_.Book(slot).size();
    if (u < p_taker) {
      Taker(m);
      continue;
    }
    if (u < p_amend) {
      if (live_m > 0) {
        Amend(m);
        continue;
      }
    } else {
      const double p_cancel = std::min(
          spec_.max_cancel_prob, spec_.cancel_prob * static_cast<double>(live_m) / target_[m]);
      if (u < p_amend + p_cancel && live_m > 0) {
        Cancel(m);
        continue;
      }
    }
    if (rng_.Uniform01() < spec_.crossing_share && Best(m, Side::kBuy) && Best(m, Side::kSell)) {
      Crossing(m);
    } else {
      Passive(m, CmdKind::kPassive);
    }
  }
  w_.stats.live_at_end = live_.total();
  w_.stream_hash = stream_.h;
  w_.digest = eng_.Digest();
  w_.stats.fee_pool_atoms = static_cast<std::uint64_t>(eng_.fee_pool().raw());
  for (std::size_t m = 0; m < kNumMarkets; ++m) {
    std::vector<book::LevelView> depth;
    for (const Side side : {Side::kBuy, Side::kSell}) {
      std::vector<book::LevelView> lv(kMaxDepthLevels);
      const auto n = eng_.Depth(MarketIdOf(m), side, std::span<book::LevelView>(lv));
      lv.resize(n.ok() ? *n : 0);
      depth.insert(depth.end(), lv.begin(), lv.end());
      depth.push_back(book::LevelView{});  // separator
    }
    w_.final_depth.push_back(std::move(depth));
  }
  if (const absl::Status st = eng_.CheckInvariants(); !st.ok()) {
    std::fprintf(stderr, "error: Engine::CheckInvariants failed after generation: %s\n",
                 std::string(st.message()).c_str());
    std::exit(1);
  }
  w_.stats.seconds = SecondsSince(t0);
  return std::move(w_);
}

// -----------------------------------------------------------------------------
// Replay and validation
// -----------------------------------------------------------------------------

std::string DescribeCommand(const Command& c) {
  return std::visit(
      [&](const auto& p) -> std::string {
        using T = std::decay_t<decltype(p)>;
        std::string head = fmt::format("seq {} t {}: ", c.seq, c.timestamp.raw());
        if constexpr (std::is_same_v<T, engine::PlaceOrder>) {
          return head + fmt::format(
                            "PlaceOrder(market {}, account {}, id {}, client {}, {} type {} tif {} "
                            "{} @ {}{})",
                            p.market, p.account, p.order_id, p.client_id,
                            p.side == Side::kBuy ? "buy" : "sell", static_cast<int>(p.type),
                            static_cast<int>(p.tif), p.size.raw(), p.price.raw(),
                            p.reduce_only ? ", reduce-only" : "");
        } else if constexpr (std::is_same_v<T, engine::CancelOrder>) {
          return head + fmt::format("CancelOrder(market {}, account {}, id {})", p.market,
                                    p.account, p.order_id);
        } else if constexpr (std::is_same_v<T, engine::CancelByClientId>) {
          return head + fmt::format("CancelByClientId(market {}, account {}, client {})", p.market,
                                    p.account, p.client_id);
        } else if constexpr (std::is_same_v<T, engine::AmendOrder>) {
          return head + fmt::format("AmendOrder(market {}, account {}, id {}, {} @ {})", p.market,
                                    p.account, p.order_id, p.new_size.raw(), p.new_price.raw());
        } else if constexpr (std::is_same_v<T, engine::OraclePrice>) {
          return head + fmt::format("OraclePrice(market {}, source {}, {} at {})", p.market,
                                    p.source, p.price.raw(), p.publish_time.raw());
        } else {
          return head + fmt::format("payload #{}", c.payload.index());
        }
      },
      c.payload);
}

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "error: %s\n", what.c_str());
  std::exit(1);
}

// MakeEngine(): a fresh engine after the setup and warm-up of `w`, each
// command checked against the reason it got when generated.
std::unique_ptr<Engine> MakeEngine(const EngineWorkload& w) {
  auto eng = std::make_unique<Engine>(MakeEngineConfig());
  std::size_t i = 0;
  for (const std::vector<Command>* part : {&w.setup, &w.warmup}) {
    for (const Command& c : *part) {
      const engine::Result r = Processed(eng->Apply(c));
      if (RawReason(r.reason) != w.reasons[i]) {
        Fail(fmt::format("set-up/warm-up command {} ({}) got {}, {} when generated", i,
                         DescribeCommand(c), ReasonLabel(RawReason(r.reason)),
                         ReasonLabel(w.reasons[i])));
      }
      ++i;
    }
  }
  return eng;
}

// ValidateEngine(): the determinism check of the file comment. Returns the
// seconds it took.
double ValidateEngine(const EngineWorkload& w) {
  const auto t0 = Clock::now();
  std::unique_ptr<Engine> eng = MakeEngine(w);
  const std::size_t base = w.setup.size() + w.warmup.size();
  Hasher h;
  Tally t;
  for (std::size_t i = 0; i < w.measured.size(); ++i) {
    const engine::Result r = Processed(eng->Apply(w.measured[i]));
    if (RawReason(r.reason) != w.reasons[base + i]) {
      Fail(
          fmt::format("measured command {} ({}) got {}, {} when generated: the engine is not "
                      "deterministic",
                      i, DescribeCommand(w.measured[i]), ReasonLabel(RawReason(r.reason)),
                      ReasonLabel(w.reasons[base + i])));
    }
    HashResult(r, &h);
    t.filled += r.filled.raw();
    t.events += r.events.size();
    t.rejects += !r.ok();
  }
  if (h.h != w.stream_hash || !(t == w.tally)) {
    Fail("the replayed results and events differ from the generated ones (same reasons)");
  }
  if (eng->Digest() != w.digest) Fail("the replayed engine's Digest() differs");
  if (const absl::Status st = eng->CheckInvariants(); !st.ok()) {
    Fail(fmt::format("Engine::CheckInvariants after the replay: {}", std::string(st.message())));
  }
  return SecondsSince(t0);
}

struct BookOutcome {
  std::uint16_t reason = 0;
  std::int64_t filled = 0, rested = 0;
};

PERPCORE_BENCH_INLINE BookOutcome ApplyOp(OrderBook& b, const BookOp& op) {
  switch (op.op) {
    case BookOpKind::kPlace: {
      const book::PlaceResult r = b.Place(op.req);
      return {static_cast<std::uint16_t>(r.reason), r.filled.raw(), r.rested.raw()};
    }
    case BookOpKind::kCancel:
      return {static_cast<std::uint16_t>(b.Cancel(op.req.account, op.req.id)), 0, 0};
    case BookOpKind::kCancelByClient:
      return {static_cast<std::uint16_t>(b.CancelByClientId(op.req.account, op.req.client_id)), 0,
              0};
    case BookOpKind::kAmend:
      return {static_cast<std::uint16_t>(b.Amend({.account = op.req.account,
                                                  .id = op.req.id,
                                                  .new_price = op.req.price,
                                                  .new_size = op.req.size})),
              0, 0};
  }
  return {};
}

// MakeBareBooks(): one empty book per market, configured as the engine's.
std::vector<OrderBook> MakeBareBooks(const EngineWorkload& w) {
  std::vector<OrderBook> books;
  books.reserve(kNumMarkets);
  for (std::size_t m = 0; m < kNumMarkets; ++m) {
    books.emplace_back(BookConfigLikeEngine(MakeMarketParams(kMarkets[m]), m));
    if (books.back().SetReferencePrice(w.initial_mids[m]) != perpcore::Reason::kOk) {
      Fail("SetReferencePrice refused");
    }
  }
  return books;
}

// MakeBooks(): the bare books after the warm-up's book ops.
std::vector<OrderBook> MakeBooks(const EngineWorkload& w) {
  std::vector<OrderBook> books = MakeBareBooks(w);
  for (const BookOp& op : w.book_warmup) ApplyOp(books[op.book], op);
  return books;
}

std::string DescribeOp(const BookOp& op) {
  static constexpr std::array<const char*, 4> kOps = {"Place", "Cancel", "CancelByClientId",
                                                      "Amend"};
  const book::OrderRequest& o = op.req;
  return fmt::format(
      "{}(book {}, id {}, account {}, client {}, {} type {} tif {} {} @ {}, "
      "max_fill {})",
      kOps[static_cast<std::size_t>(op.op)], op.book, o.id, o.account, o.client_id,
      o.side == Side::kBuy ? "buy" : "sell", static_cast<int>(o.type), static_cast<int>(o.tif),
      o.size.raw(), o.price.raw(), o.max_fill.raw());
}

// ValidateBooks(): the bare books against the engine's books, op by op.
// Returns the measured tally.
Tally ValidateBooks(const EngineWorkload& w) {
  std::vector<OrderBook> books = MakeBareBooks(w);
  Tally t;
  std::size_t index = 0;
  for (const std::vector<BookOp>* part : {&w.book_warmup, &w.book_measured}) {
    for (const BookOp& op : *part) {
      OrderBook& b = books[op.book];
      const BookOutcome o = ApplyOp(b, op);
      if (OutcomeHash(o.reason, o.filled, o.rested, b.events()) != w.book_outcomes[index]) {
        Fail(
            fmt::format("book op {} ({}): the bare book's outcome (reason {}, filled {}, rested "
                        "{}, {} events) differs from the engine book's",
                        index, DescribeOp(op), o.reason, o.filled, o.rested, b.events().size()));
      }
      if (part == &w.book_measured) {
        t.filled += o.filled;
        t.events += b.events().size();
        t.rejects += o.reason != 0;
      }
      ++index;
    }
  }
  for (std::size_t m = 0; m < kNumMarkets; ++m) {
    std::vector<book::LevelView> depth;
    for (const Side side : {Side::kBuy, Side::kSell}) {
      std::vector<book::LevelView> lv(kMaxDepthLevels);
      lv.resize(books[m].Depth(side, std::span<book::LevelView>(lv)));
      depth.insert(depth.end(), lv.begin(), lv.end());
      depth.push_back(book::LevelView{});
    }
    if (depth != w.final_depth[m]) {
      Fail(fmt::format("market {}: the bare book's final L2 depth differs from the engine's",
                       kMarkets[m].symbol));
    }
    if (const absl::Status st = books[m].CheckInvariants(); !st.ok()) {
      Fail(fmt::format("OrderBook::CheckInvariants: {}", std::string(st.message())));
    }
  }
  return t;
}

// -----------------------------------------------------------------------------
// Measurement
// -----------------------------------------------------------------------------

// The timed loops prefetch the recorded op kPrefetchAhead places ahead, so
// that what is timed is the engine (or book) and not the streaming of a
// quarter gigabyte of recorded commands from memory: a host decodes each
// command just before applying it, so it is in cache. --no-prefetch turns
// this off.
constexpr std::size_t kPrefetchAhead = 4;

PERPCORE_BENCH_INLINE void PrefetchBytes(const void* p, std::size_t size) {
  const char* c = static_cast<const char*>(p);
  for (std::size_t off = 0; off < size; off += 64) __builtin_prefetch(c + off);
  __builtin_prefetch(c + size - 1);
}

struct Options {
  bool smoke = false;
  std::string json_path;
  bool run_mixed = true;
  bool run_memory = true;
  bool run_growth = true;
  // engine/mixed_1s, mixed_1s_fund, mixed_1s_cont (--workload funding: all
  // three; or each by its name).
  std::array<bool, 3> run_funding{true, true, true};
  std::optional<std::uint64_t> commands;
  std::optional<std::uint64_t> memory_accounts;
  std::optional<std::uint64_t> growth_accounts;
  std::uint64_t seed = 20240601;
  std::uint32_t reps = 5;
  double rep_budget_s = 5.0;
  std::uint32_t markets_per_account = kNumMarkets;
  bool prefetch = true;
};

struct BenchResult {
  std::string name, impl, workload;
  std::uint64_t ops = 0;
  std::vector<double> ops_per_sec_runs;
  double ops_per_sec = 0, ops_per_sec_best = 0, latency_pass_ops_per_sec = 0;
  double seconds_median = 0;  // of one measured replay
  Percentiles all;
  std::array<Percentiles, kNumCmdKinds> by_kind;
  std::uint64_t allocs = 0;
  double allocs_per_op = 0;
  std::string alloc_sizes;
  std::int64_t heap_bytes = 0;  // in use by the engine/books after the replay
  std::uint64_t peak_rss_bytes = 0;
  std::int64_t rss_growth_bytes = 0;  // VmHWM - VmRSS before the passes
  double harness_floor_ns = 0;
  Tally tally;
  // The latency pass's slowest ops, slowest first; how many took over
  // 100 us; page faults and context switches during that pass.
  struct Outlier {
    std::size_t index = 0;  // into the measured ops
    int kind = 0;           // CmdKind (or the workload's own classes)
    double ns = 0;
    std::uint64_t accounts = 0;  // engine/growth: accounts when it ran
  };
  std::vector<Outlier> slowest;
  std::uint64_t over_100us = 0;
  Faults faults;
  const EngineWorkload* source = nullptr;  // the mixed workload it replayed
  // The funding workloads: the median commands/s of the interleaved rounds
  // and the median of their ratios to engine/mixed_1s (0: not measured).
  double interleaved_ops_per_sec = 0, interleaved_ratio = 0;
};

constexpr std::size_t kSlowest = 8;

// SlowestOf(): the kSlowest largest stamps, slowest first (earliest first
// among equals), with their indices.
std::vector<BenchResult::Outlier> SlowestOf(const std::vector<std::uint32_t>& stamps,
                                            double ns_per_stamp) {
  std::vector<std::pair<std::uint32_t, std::size_t>> top;  // (stamp, index)
  for (std::size_t i = 0; i < stamps.size(); ++i) {
    if (top.size() == kSlowest && stamps[i] <= top.back().first) continue;
    const auto it = std::upper_bound(
        top.begin(), top.end(), stamps[i],
        [](std::uint32_t v, const std::pair<std::uint32_t, std::size_t>& e) { return v > e.first; });
    top.insert(it, {stamps[i], i});
    if (top.size() > kSlowest) top.pop_back();
  }
  std::vector<BenchResult::Outlier> out;
  for (const auto& [stamp, i] : top) {
    out.push_back({.index = i, .ns = static_cast<double>(stamp) * ns_per_stamp});
  }
  return out;
}

std::uint64_t CountOver(const std::vector<std::uint32_t>& stamps, double ns, double ns_per_stamp) {
  return static_cast<std::uint64_t>(std::count_if(stamps.begin(), stamps.end(), [&](std::uint32_t x) {
    return static_cast<double>(x) * ns_per_stamp > ns;
  }));
}

void CheckTally(const std::string& name, const Tally& got, const Tally& want) {
  if (got == want) return;
  Fail(fmt::format(
      "{}: a timed pass diverged from its validated replay (filled {} vs {}, events "
      "{} vs {}, rejects {} vs {})",
      name, got.filled, want.filled, got.events, want.events, got.rejects, want.rejects));
}

// Measure()
//
// make_state() builds a fresh engine or set of books with the setup and
// warm-up applied; apply(state, i, &tally) applies measured op i.
// prefetch(i) prefetches op i (when opt.prefetch; see kPrefetchAhead).
template <class MakeState, class ApplyOne, class Prefetch>
BenchResult Measure(const std::string& impl, const std::string& workload, std::size_t n,
                    const std::vector<CmdKind>& kinds, const Tally& want, const Options& opt,
                    double ns_per_stamp, MakeState make_state, ApplyOne apply, Prefetch prefetch) {
  const std::size_t ahead = opt.prefetch ? kPrefetchAhead : n;
  BenchResult r;
  r.impl = impl;
  r.workload = workload;
  r.name = impl + "/" + workload;
  r.ops = n;
  const auto dn = static_cast<double>(n);
  const bool hwm_reset = ResetPeakRss();
  const std::uint64_t rss_before = ProcStatusBytes("VmRSS:");

  const auto budget_start = Clock::now();
  std::vector<double> secs;
  for (std::uint32_t rep = 0; rep < opt.reps; ++rep) {
    const std::int64_t heap_before = g_alloc.bytes_in_use;
    auto state = make_state();
    const std::uint64_t allocs_before = g_alloc.allocs;
    std::fill(std::begin(g_alloc.by_log2_size), std::end(g_alloc.by_log2_size), 0);
    g_alloc.histogram_on = rep == 0;
    Tally t;
    const auto t0 = Clock::now();
    for (std::size_t i = 0; i < n; ++i) {
      if (i + ahead < n) prefetch(i + ahead);
      apply(state, i, &t);
    }
    const auto t1 = Clock::now();
    g_alloc.histogram_on = false;
    const std::uint64_t allocs_after = g_alloc.allocs;
    const double s = std::chrono::duration<double>(t1 - t0).count();
    secs.push_back(s);
    r.ops_per_sec_runs.push_back(dn / s);
    CheckTally(r.name, t, want);
    if (rep == 0) {
      for (std::size_t k = 0; k < 65; ++k) {
        if (g_alloc.by_log2_size[k] == 0) continue;
        r.alloc_sizes += fmt::format("{}<={}B:{}", r.alloc_sizes.empty() ? "" : " ",
                                     std::uint64_t{1} << k, g_alloc.by_log2_size[k]);
      }
      r.tally = t;
      r.allocs = allocs_after - allocs_before;
      r.allocs_per_op = static_cast<double>(r.allocs) / dn;
      r.heap_bytes = g_alloc.bytes_in_use - heap_before;
    }
    if (SecondsSince(budget_start) > opt.rep_budget_s) break;
  }
  std::vector<double> sorted = r.ops_per_sec_runs;
  std::sort(sorted.begin(), sorted.end());
  r.ops_per_sec = sorted[sorted.size() / 2];
  r.ops_per_sec_best = sorted.back();
  std::sort(secs.begin(), secs.end());
  r.seconds_median = secs[secs.size() / 2];

  // Latency pass: a stamp pair around every op.
  {
    std::vector<std::uint32_t> stamps(n);
    auto state = make_state();
    Tally t;
    const Faults f0 = Faults::Now();
    const auto t0 = Clock::now();
    for (std::size_t i = 0; i < n; ++i) {
      if (i + ahead < n) prefetch(i + ahead);
      const std::uint64_t s0 = StartStamp();
      apply(state, i, &t);
      const std::uint64_t s1 = StopStamp();
      stamps[i] = ClampStamp(s1 - s0);
    }
    r.latency_pass_ops_per_sec = dn / SecondsSince(t0);
    r.faults = Faults::Now() - f0;
    CheckTally(r.name, t, want);
    r.slowest = SlowestOf(stamps, ns_per_stamp);
    for (BenchResult::Outlier& o : r.slowest) o.kind = static_cast<int>(kinds[o.index]);
    r.over_100us = CountOver(stamps, 100'000, ns_per_stamp);
    std::array<std::vector<std::uint32_t>, kNumCmdKinds> by_kind;
    for (std::size_t i = 0; i < n; ++i) {
      by_kind[static_cast<std::size_t>(kinds[i])].push_back(stamps[i]);
    }
    r.all = ComputePercentiles(&stamps, ns_per_stamp);
    for (std::size_t k = 0; k < by_kind.size(); ++k) {
      r.by_kind[k] = ComputePercentiles(&by_kind[k], ns_per_stamp);
    }
  }
  r.peak_rss_bytes = PeakRssBytes();
  r.rss_growth_bytes = hwm_reset ? static_cast<std::int64_t>(r.peak_rss_bytes) -
                                       static_cast<std::int64_t>(rss_before)
                                 : -1;
  return r;
}

// No-ops behind calls the compiler cannot see through: replaying into them
// measures the harness (command fetch, call, tally), the floor under every
// figure.
// They read the fields every command's dispatch reads, so streaming the
// recorded commands from memory is part of the floor.
__attribute__((noinline)) engine::Result NullApply(const Command& c) {
  const std::uint64_t x = c.seq + static_cast<std::uint64_t>(c.timestamp.raw()) + c.payload.index();
  asm volatile("" : : "r"(x) : "memory");
  return engine::Result{};
}
__attribute__((noinline)) BookOutcome NullOp(const BookOp& op) {
  const std::uint64_t x = op.req.id.value() + static_cast<std::uint64_t>(op.op);
  asm volatile("" : : "r"(x) : "memory");
  return BookOutcome{};
}

template <class F, class Prefetch>
double FloorNs(std::size_t n, const Options& opt, F f, Prefetch prefetch) {
  const std::size_t ahead = opt.prefetch ? kPrefetchAhead : n;
  double best = 1e300;
  for (int rep = 0; rep < 3; ++rep) {
    Tally t;
    const auto t0 = Clock::now();
    for (std::size_t i = 0; i < n; ++i) {
      if (i + ahead < n) prefetch(i + ahead);
      f(i, &t);
    }
    const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
    asm volatile("" : : "r"(&t) : "memory");
    best = std::min(best, ns / static_cast<double>(n));
  }
  return best;
}

// -----------------------------------------------------------------------------
// engine/memory
// -----------------------------------------------------------------------------

struct MemoryResult {
  BenchResult r;
  std::uint64_t accounts = 0, markets_with_positions = 0, positions = 0;
  std::int64_t heap_accounts = 0, heap_positions = 0;
  std::int64_t rss_accounts = 0, rss_positions = 0;
  double bytes_per_account = 0, bytes_per_position = 0;
  double rss_per_account = 0, rss_per_position = 0;
  double seconds = 0;
};

MemoryResult RunMemory(std::uint32_t accounts, double ns_per_stamp) {
  constexpr std::size_t kPositionMarkets = 4;
  MemoryResult mr;
  mr.accounts = accounts;
  mr.markets_with_positions = kPositionMarkets;
  BenchResult& r = mr.r;
  r.impl = "engine";
  r.workload = "memory";
  r.name = "engine/memory";
  const bool hwm_reset = ResetPeakRss();
  const std::uint64_t rss_start = ProcStatusBytes("VmRSS:");

  auto eng = std::make_unique<Engine>(MakeEngineConfig());
  std::int64_t now = 1'000'000'000;
  std::vector<std::uint32_t> stamps;
  stamps.reserve(static_cast<std::size_t>(accounts) * (2 + kPositionMarkets));
  std::int64_t filled = 0;
  auto apply = [&](engine::Payload p, bool timed) {
    now += 1000;
    const Command c{.seq = eng->last_seq() + 1, .timestamp = TimeNs(now), .payload = std::move(p)};
    const std::uint64_t s0 = StartStamp();
    const engine::Result res = Processed(eng->Apply(c));
    const std::uint64_t s1 = StopStamp();
    if (!res.ok()) {
      Fail(fmt::format("engine/memory: {} refused: {}", DescribeCommand(c),
                       perpcore::ReasonName(res.reason)));
    }
    filled += res.filled.raw();
    if (timed) stamps.push_back(ClampStamp(s1 - s0));
  };
  for (std::size_t m = 0; m < kNumMarkets; ++m) {
    apply(engine::CreateMarket{.market = MarketIdOf(m),
                               .params = std::make_shared<const engine::MarketParams>(
                                   MakeMarketParams(kMarkets[m]))},
          false);
  }
  for (std::size_t m = 0; m < kNumMarkets; ++m) {
    for (std::uint32_t src = 1; src <= kSources; ++src) {
      apply(engine::OraclePrice{.market = MarketIdOf(m),
                                .source = SourceId(src),
                                .price = Ticks(kMarkets[m].mid),
                                .publish_time = TimeNs(now)},
            false);
    }
  }
  malloc_trim(0);
  const std::int64_t heap0 = g_alloc.bytes_in_use;
  const std::uint64_t rss0 = ProcStatusBytes("VmRSS:");
  const Faults f0 = Faults::Now();
  const auto t0 = Clock::now();
  for (std::uint32_t id = 1; id <= accounts; ++id) {
    apply(engine::CreateAccount{.account = AccountId(id), .owner = OwnerId(id)}, true);
    apply(engine::Deposit{.account = AccountId(id), .amount = Quote(1'000'000 * kUsd)}, true);
  }
  const std::int64_t heap1 = g_alloc.bytes_in_use;
  const std::uint64_t rss1 = ProcStatusBytes("VmRSS:");
  std::uint64_t next_id = 1;  // the next OrderId
  for (std::size_t m = 0; m < kPositionMarkets; ++m) {
    const Ticks mid(kMarkets[m].mid);
    for (std::uint32_t a = 1; a + 1 <= accounts; a += 2) {
      apply(engine::PlaceOrder{.market = MarketIdOf(m),
                               .account = AccountId(a),
                               .order_id = OrderId(next_id++),
                               .side = Side::kSell,
                               .price = mid,
                               .size = Lots(1)},
            true);
      apply(engine::PlaceOrder{.market = MarketIdOf(m),
                               .account = AccountId(a + 1),
                               .order_id = OrderId(next_id++),
                               .side = Side::kBuy,
                               .tif = book::TimeInForce::kIoc,
                               .price = mid,
                               .size = Lots(1)},
            true);
    }
  }
  mr.seconds = SecondsSince(t0);
  r.faults = Faults::Now() - f0;
  r.slowest = SlowestOf(stamps, ns_per_stamp);
  for (BenchResult::Outlier& o : r.slowest) o.kind = -1;
  r.over_100us = CountOver(stamps, 100'000, ns_per_stamp);
  const std::int64_t heap2 = g_alloc.bytes_in_use;
  const std::uint64_t rss2 = ProcStatusBytes("VmRSS:");
  mr.positions = static_cast<std::uint64_t>(2 * filled);
  if (mr.positions != (accounts / 2) * 2 * kPositionMarkets) {
    Fail(fmt::format("engine/memory: {} positions opened, expected {}", mr.positions,
                     (accounts / 2) * 2 * kPositionMarkets));
  }
  mr.heap_accounts = heap1 - heap0;
  mr.heap_positions = heap2 - heap1;
  mr.rss_accounts = static_cast<std::int64_t>(rss1) - static_cast<std::int64_t>(rss0);
  mr.rss_positions = static_cast<std::int64_t>(rss2) - static_cast<std::int64_t>(rss1);
  mr.bytes_per_account = static_cast<double>(mr.heap_accounts) / accounts;
  mr.bytes_per_position =
      static_cast<double>(mr.heap_positions) / static_cast<double>(mr.positions);
  mr.rss_per_account = static_cast<double>(mr.rss_accounts) / accounts;
  mr.rss_per_position = static_cast<double>(mr.rss_positions) / static_cast<double>(mr.positions);
  r.ops = stamps.size();
  r.ops_per_sec = r.ops_per_sec_best = static_cast<double>(r.ops) / mr.seconds;
  r.ops_per_sec_runs = {r.ops_per_sec};
  r.latency_pass_ops_per_sec = r.ops_per_sec;
  r.all = ComputePercentiles(&stamps, ns_per_stamp);
  r.heap_bytes = heap2 - heap0;
  eng.reset();
  r.peak_rss_bytes = PeakRssBytes();
  r.rss_growth_bytes =
      hwm_reset ? static_cast<std::int64_t>(r.peak_rss_bytes) - static_cast<std::int64_t>(rss_start)
                : -1;
  return mr;
}


// -----------------------------------------------------------------------------
// engine/growth
// -----------------------------------------------------------------------------

enum class GrowthKind : std::uint8_t { kCreate = 0, kDeposit = 1, kPlace = 2, kDepositOld = 3 };
constexpr int kNumGrowthKinds = 4;

const char* GrowthKindName(int k) {
  static constexpr std::array<const char*, kNumGrowthKinds> kNames = {"create", "deposit",
                                                                      "place", "deposit_old"};
  return k >= 0 && k < kNumGrowthKinds ? kNames[static_cast<std::size_t>(k)] : "-";
}

struct GrowthResult {
  BenchResult r;  // r.all: every command; r.slowest: kind is a GrowthKind
  std::array<Percentiles, kNumGrowthKinds> by_kind;
  std::uint64_t accounts = 0, orders = 0;
  // Commands run while the engine held [lo, hi) accounts.
  struct Range {
    std::uint64_t lo = 0, hi = 0;
    Percentiles p;
  };
  std::vector<Range> ranges;
  double seconds = 0;
};

GrowthResult RunGrowth(std::uint32_t accounts, std::uint64_t seed, double ns_per_stamp) {
  GrowthResult gr;
  gr.accounts = accounts;
  BenchResult& r = gr.r;
  r.impl = "engine";
  r.workload = "growth";
  r.name = "engine/growth";
  const bool hwm_reset = ResetPeakRss();
  const std::uint64_t rss_start = ProcStatusBytes("VmRSS:");

  engine::EngineConfig config = MakeEngineConfig();
  config.max_accounts = std::max<std::uint32_t>(config.max_accounts, accounts);
  auto eng = std::make_unique<Engine>(config);
  std::int64_t now = 1'000'000'000;
  auto run = [&](engine::Payload p, std::uint32_t* stamp) {
    now += 1000;
    const Command c{.seq = eng->last_seq() + 1, .timestamp = TimeNs(now), .payload = std::move(p)};
    const std::uint64_t s0 = StartStamp();
    const engine::Result res = Processed(eng->Apply(c));
    const std::uint64_t s1 = StopStamp();
    if (!res.ok()) {
      Fail(fmt::format("engine/growth: {} refused: {}", DescribeCommand(c),
                       perpcore::ReasonName(res.reason)));
    }
    if (stamp != nullptr) *stamp = ClampStamp(s1 - s0);
  };
  for (std::size_t m = 0; m < kNumMarkets; ++m) {
    run(engine::CreateMarket{.market = MarketIdOf(m),
                             .params = std::make_shared<const engine::MarketParams>(
                                 MakeMarketParams(kMarkets[m]))},
        nullptr);
    for (std::uint32_t src = 1; src <= kSources; ++src) {
      run(engine::OraclePrice{.market = MarketIdOf(m),
                              .source = SourceId(src),
                              .price = Ticks(kMarkets[m].mid),
                              .publish_time = TimeNs(now)},
          nullptr);
    }
  }

  const std::size_t n = static_cast<std::size_t>(accounts) * kNumGrowthKinds;
  std::vector<std::uint32_t> stamps(n);
  Rng rng(seed ^ 0x67726f77746855ull);
  const Faults f0 = Faults::Now();
  const auto t0 = Clock::now();
  std::size_t i = 0;
  for (std::uint32_t id = 1; id <= accounts; ++id) {
    const AccountId account(id);
    run(engine::CreateAccount{.account = account, .owner = OwnerId(id)}, &stamps[i++]);
    run(engine::Deposit{.account = account, .amount = Quote(10'000 * kUsd)}, &stamps[i++]);
    const std::size_t m = id % kNumMarkets;
    const bool buy = (id / kNumMarkets) % 2 == 0;
    const auto off = static_cast<std::int64_t>(1 + (id / kNumMarkets) % 1000);
    run(engine::PlaceOrder{.market = MarketIdOf(m),
                           .account = account,
                           .order_id = OrderId(id),
                           .side = buy ? Side::kBuy : Side::kSell,
                           .price = Ticks(kMarkets[m].mid + (buy ? -off : off)),
                           .size = Lots(1)},
        &stamps[i++]);
    run(engine::Deposit{.account = AccountId(1 + rng.Below(id)), .amount = Quote(kUsd)},
        &stamps[i++]);
  }
  gr.seconds = SecondsSince(t0);
  r.faults = Faults::Now() - f0;
  gr.orders = accounts;

  r.slowest = SlowestOf(stamps, ns_per_stamp);
  for (BenchResult::Outlier& o : r.slowest) {
    o.kind = static_cast<int>(o.index % kNumGrowthKinds);
    o.accounts = o.index / kNumGrowthKinds + (o.index % kNumGrowthKinds == 0 ? 0 : 1);
  }
  r.over_100us = CountOver(stamps, 100'000, ns_per_stamp);
  std::array<std::vector<std::uint32_t>, kNumGrowthKinds> by_kind;
  for (std::size_t j = 0; j < n; ++j) by_kind[j % kNumGrowthKinds].push_back(stamps[j]);
  for (std::size_t k = 0; k < by_kind.size(); ++k) {
    gr.by_kind[k] = ComputePercentiles(&by_kind[k], ns_per_stamp);
  }
  // Ranges by the accounts that existed before the command: [0, 1024), then
  // powers of two.
  for (std::uint64_t lo = 0, hi = 1024; lo < accounts; lo = hi, hi *= 2) {
    const std::uint64_t top = std::min<std::uint64_t>(hi, accounts);
    std::vector<std::uint32_t> v;
    for (std::uint64_t a = lo; a < top; ++a) {
      for (std::size_t k = 0; k < kNumGrowthKinds; ++k) {
        v.push_back(stamps[static_cast<std::size_t>(a) * kNumGrowthKinds + k]);
      }
    }
    gr.ranges.push_back({.lo = lo, .hi = top, .p = ComputePercentiles(&v, ns_per_stamp)});
  }
  r.ops = n;
  r.ops_per_sec = r.ops_per_sec_best = static_cast<double>(n) / gr.seconds;
  r.ops_per_sec_runs = {r.ops_per_sec};
  r.latency_pass_ops_per_sec = r.ops_per_sec;
  r.all = ComputePercentiles(&stamps, ns_per_stamp);
  if (const absl::Status st = eng->CheckInvariants(); !st.ok()) {
    Fail(fmt::format("engine/growth: CheckInvariants: {}", std::string(st.message())));
  }
  eng.reset();
  r.peak_rss_bytes = PeakRssBytes();
  r.rss_growth_bytes =
      hwm_reset ? static_cast<std::int64_t>(r.peak_rss_bytes) - static_cast<std::int64_t>(rss_start)
                : -1;
  return gr;
}

// -----------------------------------------------------------------------------
// Reporting
// -----------------------------------------------------------------------------

std::string Pct(std::uint64_t part, std::uint64_t whole) {
  return whole == 0 ? "-"
                    : fmt::format("{:.2f}%",
                                  100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

// "kInsufficientMargin 1234, kFokNotFilled 56" for one class, largest first.
std::string RejectList(const std::map<std::uint16_t, std::uint64_t>& rejects) {
  std::vector<std::pair<std::uint64_t, std::uint16_t>> v;
  for (const auto& [reason, n] : rejects) v.emplace_back(n, reason);
  std::sort(v.rbegin(), v.rend());
  std::string s;
  for (const auto& [n, reason] : v) {
    s += fmt::format("{}{} {}", s.empty() ? "" : ", ", ReasonLabel(reason), n);
  }
  return s.empty() ? "none" : s;
}

void PrintWorkloadHeader(const EngineWorkload& w) {
  const GenStats& s = w.stats;
  const std::uint64_t n = w.measured.size();
  fmt::print(
      "\nworkload {}: {} markets, {} accounts trading {} market(s) each, seed {}; set-up {} "
      "commands ({} refused), warm-up {} ({} refused), {} measured (generated in {:.2f} s)\n",
      w.spec.name, kNumMarkets, w.spec.accounts, w.spec.markets_per_account, w.spec.seed,
      w.setup.size(), s.setup_rejects, w.warmup.size(), s.warmup_rejects, n, s.seconds);
  fmt::print("  sizeof: engine::Command {} B, engine::Event {} B, book::Event {} B, BookOp {} B\n",
             sizeof(Command), sizeof(engine::Event), sizeof(book::Event), sizeof(BookOp));
  fmt::print("  measured mix    {:>8} {:>8} {:>9}  rejects by reason\n", "share", "count",
             "accepted");
  std::uint64_t accepted = 0;
  for (int k = 0; k < kNumCmdKinds; ++k) {
    const auto i = static_cast<std::size_t>(k);
    accepted += s.accepted[i];
    fmt::print("    {:<12} {:>8} {:>8} {:>9}  {}\n", CmdKindName(k), Pct(s.count[i], n), s.count[i],
               Pct(s.accepted[i], s.count[i]), RejectList(s.rejects[i]));
  }
  const std::uint64_t orders = s.count[0] + s.count[1] + s.count[2];
  std::uint64_t margin = 0;
  for (const auto& m : s.rejects) {
    const auto it = m.find(RawReason(Reason::kInsufficientMargin));
    if (it != m.end()) margin += it->second;
  }
  fmt::print("    {:<12} {:>8} {:>8} {:>9}  kInsufficientMargin: {} of new orders and amends\n",
             "all", "100%", n, Pct(accepted, n), Pct(margin, orders + s.count[4]));
  fmt::print(
      "  {} fills ({:.2f} per crossing/taker order), {} self-trade cancels, {} market orders "
      "({} reduce-only), {} price updates\n",
      s.fills,
      static_cast<double>(s.fills) /
          static_cast<double>(std::max<std::uint64_t>(1, s.count[1] + s.count[2])),
      s.stp_cancels, s.market_orders, s.reduce_only, s.price_updates);
  if (w.spec.funding.model != funding::FundingModel::kNone) {
    fmt::print(
        "  funding: {} FundingRateSet, {} FundingSettled ({:.2f} USD paid by payers) while "
        "measured\n",
        s.funding_rates, s.funding_settled, static_cast<double>(s.funding_paid) / kUsd);
  }
  fmt::print(
      "  live orders: {} after warm-up, {} at the end, min {} / peak {} while measured; book "
      "flow: {} warm-up + {} measured ops ({} of the measured commands)\n",
      s.live_at_start, s.live_at_end, s.min_live, s.peak_live, w.book_warmup.size(),
      w.book_measured.size(), Pct(w.book_measured.size(), n));
  std::fflush(stdout);
}

// "p50 / p99 / p99.9 / p99.99 / max" in ns, or "-" without samples.
std::string LatencyCell(const Percentiles& p) {
  if (p.count == 0) return "-";
  return fmt::format("{:.0f} / {:.0f} / {:.0f} / {:.0f} / {:.0f}", p.p50_ns, p.p99_ns, p.p999_ns,
                     p.p9999_ns, p.max_ns);
}

void PrintOutliers(const BenchResult& r) {
  const EngineWorkload* w = r.source;
  fmt::print(
      "{}: {} op(s) over 100 us; during the pass {} minor / {} major page faults, {} "
      "involuntary / {} voluntary context switches\n",
      r.name, r.over_100us, r.faults.minor, r.faults.major, r.faults.involuntary_switches,
      r.faults.voluntary_switches);
  for (const BenchResult::Outlier& o : r.slowest) {
    std::string what;
    if (r.workload == "growth") {
      what = fmt::format("{} with {} accounts", GrowthKindName(o.kind), o.accounts);
    } else if (r.workload == "memory") {
      what = "-";
    } else {
      what = CmdKindName(o.kind);
      if (w != nullptr && r.impl == "engine") what += ": " + DescribeCommand(w->measured[o.index]);
    }
    fmt::print("  #{:<9} {:>10.0f} ns  {}\n", o.index, o.ns, what);
  }
}

void PrintTables(const std::vector<BenchResult>& results, const MemoryResult* mem,
                 const GrowthResult* growth) {
  fmt::print(
      "\nThroughput (M ops/s: median and best of the untimed-per-op passes, and the per-op-timed "
      "pass)\nand latency of one call over all measured ops (ns, timer overhead included)\n");
  fmt::print("{:<22} {:>8} {:>7} {:>7} {:>7} {:>6} {:>6} {:>7} {:>8} {:>8} {:>7} {:>7}\n", "name",
             "ops", "Mops/s", "best", "(timed)", "p50", "p99", "p99.9", "p99.99", "max", "mean",
             "floor");
  auto row = [](const BenchResult& r) {
    fmt::print(
        "{:<22} {:>8} {:>7} {:>7} {:>7} {:>6.0f} {:>6.0f} {:>7.0f} {:>8.0f} {:>8.0f} {:>7.1f} "
        "{:>7}\n",
        r.name, r.ops, Mps(r.ops_per_sec), Mps(r.ops_per_sec_best), Mps(r.latency_pass_ops_per_sec),
        r.all.p50_ns, r.all.p99_ns, r.all.p999_ns, r.all.p9999_ns, r.all.max_ns, r.all.mean_ns,
        r.harness_floor_ns > 0 ? Fmt1(r.harness_floor_ns) : std::string("-"));
  };
  for (const BenchResult& r : results) row(r);
  if (mem != nullptr) row(mem->r);
  if (growth != nullptr) row(growth->r);

  if (!results.empty()) {
    fmt::print("\nLatency per command class (ns: p50 / p99 / p99.9 / p99.99 / max)\n");
    fmt::print("{:<12}", "class");
    for (const BenchResult& r : results) fmt::print(" {:>42}", r.name);
    fmt::print("\n");
    for (int k = 0; k < kNumCmdKinds; ++k) {
      fmt::print("{:<12}", CmdKindName(k));
      for (const BenchResult& r : results) {
        fmt::print(" {:>42}", LatencyCell(r.by_kind[static_cast<std::size_t>(k)]));
      }
      fmt::print("\n");
    }
    fmt::print("\nMemory and allocations in the measured replay\n");
    fmt::print("{:<22} {:>10} {:>9} {:>12} {:>12} {:>12}  {}\n", "name", "allocs/op", "allocs",
               "heap MiB", "peakRSS MiB", "+RSS MiB", "allocation sizes");
    for (const BenchResult& r : results) {
      fmt::print("{:<22} {:>10.6f} {:>9} {:>12.2f} {:>12.1f} {:>12.1f}  {}\n", r.name,
                 r.allocs_per_op, r.allocs, static_cast<double>(r.heap_bytes) / 1048576.0,
                 static_cast<double>(r.peak_rss_bytes) / 1048576.0,
                 static_cast<double>(r.rss_growth_bytes) / 1048576.0,
                 r.alloc_sizes.empty() ? "none" : r.alloc_sizes);
    }
  }
  if (mem != nullptr) {
    fmt::print(
        "\nengine/memory: {} accounts: {:.1f} B/account heap ({:.1f} B RSS); {} positions in {} "
        "markets: {:.1f} B/position heap ({:.1f} B RSS); {:.2f} s for {} commands\n",
        mem->accounts, mem->bytes_per_account, mem->rss_per_account, mem->positions,
        mem->markets_with_positions, mem->bytes_per_position, mem->rss_per_position, mem->seconds,
        mem->r.ops);
  }
  if (growth != nullptr) {
    fmt::print(
        "\nengine/growth: 0 to {} accounts ({} orders resting) in {:.2f} s; latency per command "
        "class (ns: p50 / p99 / p99.9 / p99.99 / max)\n",
        growth->accounts, growth->orders, growth->seconds);
    for (int k = 0; k < kNumGrowthKinds; ++k) {
      fmt::print("  {:<12} {}\n", GrowthKindName(k),
                 LatencyCell(growth->by_kind[static_cast<std::size_t>(k)]));
    }
    fmt::print("  by accounts when the command ran (ns: p50 / p99 / p99.9 / p99.99 / max)\n");
    for (const GrowthResult::Range& g : growth->ranges) {
      fmt::print("  [{:>8}, {:>8})  {}\n", g.lo, g.hi, LatencyCell(g.p));
    }
  }
  fmt::print("\nOutliers of the latency passes (slowest ops first)\n");
  for (const BenchResult& r : results) PrintOutliers(r);
  if (mem != nullptr) PrintOutliers(mem->r);
  if (growth != nullptr) PrintOutliers(growth->r);
}

const BenchResult* FindResult(const std::vector<BenchResult>& results, std::string_view name) {
  for (const BenchResult& r : results) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

// FundingRatio(): engine/<name> commands/s over engine/mixed_1s's; 0 if
// either was not run.
double FundingRatio(const std::vector<BenchResult>& results, std::string_view name) {
  const BenchResult* off = FindResult(results, "engine/mixed_1s");
  const BenchResult* on = FindResult(results, name);
  return off != nullptr && on != nullptr ? on->ops_per_sec / off->ops_per_sec : 0;
}

struct Ratios {
  double throughput = 0;  // engine commands/s / book ops/s
  double time = 0;        // book replay time / engine replay time
};

Ratios EngineVsBook(const std::vector<BenchResult>& results) {
  const BenchResult* e = FindResult(results, "engine/mixed");
  const BenchResult* b = FindResult(results, "book/same_flow");
  if (e == nullptr || b == nullptr) return {};
  return {e->ops_per_sec / b->ops_per_sec, b->seconds_median / e->seconds_median};
}

void PrintTargets(const std::vector<BenchResult>& results, bool smoke) {
  fmt::print("\nTargets{}\n",
             smoke ? " (smoke run: sizes too small to judge; shown for form)" : "");
  const BenchResult* e = FindResult(results, "engine/mixed");
  const BenchResult* b = FindResult(results, "book/same_flow");
  auto line = [](const char* what, bool measured, bool met, const std::string& got) {
    fmt::print("  [{}] {:<46} {}\n",
               !measured ? "n/a    "
               : met     ? "MET    "
                         : "NOT MET",
               what, measured ? got : std::string("(workload not run)"));
  };
  line(">= 5 million commands/s (engine/mixed)", e != nullptr, e && e->ops_per_sec >= 5e6,
       e ? fmt::format("{:.2f} M/s ({:.0f} ns a command)", e->ops_per_sec / 1e6,
                       1e9 / e->ops_per_sec)
         : "");
  line("p99 <= 1 us per command (engine/mixed)", e != nullptr, e && e->all.p99_ns <= 1000,
       e ? fmt::format("{:.0f} ns (p99.9 {:.0f} ns)", e->all.p99_ns, e->all.p999_ns) : "");
  const Ratios ratio = EngineVsBook(results);
  line("engine >= 0.5x bare book on the same flow", e && b, e && b && ratio.throughput >= 0.5,
       e && b ? fmt::format("{:.3f}x (commands/s over book ops/s); time ratio {:.3f}x "
                            "(book replay / engine replay)",
                            ratio.throughput, ratio.time)
              : "");
  for (const char* name : {"engine/mixed_1s_fund", "engine/mixed_1s_cont"}) {
    const BenchResult* r = FindResult(results, name);
    const double f = r != nullptr && r->interleaved_ratio > 0 ? r->interleaved_ratio
                                                              : FundingRatio(results, name);
    line(fmt::format("funding on >= 0.95x off ({})", name + 7).c_str(), f > 0, f >= 0.95,
         fmt::format("{:.3f}x (commands/s over engine/mixed_1s's{})", f,
                     r != nullptr && r->interleaved_ratio > 0 ? ", interleaved rounds" : ""));
  }
}

void JsonPercentiles(std::string* out, const std::string& prefix, const Percentiles& p) {
  *out += fmt::format(
      ",\n    \"{0}count\": {1}, \"{0}mean_ns\": {2:.1f}, \"{0}p50_ns\": {3:.1f}, "
      "\"{0}p99_ns\": {4:.1f}, \"{0}p999_ns\": {5:.1f}, \"{0}p9999_ns\": {6:.1f}, "
      "\"{0}max_ns\": {7:.1f}",
      prefix, p.count, p.mean_ns, p.p50_ns, p.p99_ns, p.p999_ns, p.p9999_ns, p.max_ns);
}

void JsonCommon(std::string* out, const BenchResult& r, const Options& opt) {
  *out += fmt::format(
      "\n    \"name\": \"{}\", \"impl\": \"{}\", \"workload\": \"{}\", \"smoke\": {}, \"seed\": "
      "{}, "
      "\"ops\": {},\n    \"ops_per_sec\": {:.1f}, \"ops_per_sec_best\": {:.1f}, "
      "\"ops_per_sec_runs\": [{:.1f}], \"latency_pass_ops_per_sec\": {:.1f}",
      r.name, r.impl, r.workload, opt.smoke, opt.seed, r.ops, r.ops_per_sec, r.ops_per_sec_best,
      fmt::join(r.ops_per_sec_runs, ", "), r.latency_pass_ops_per_sec);
  JsonPercentiles(out, "", r.all);
  *out += fmt::format(
      ",\n    \"peak_rss_bytes\": {}, \"rss_growth_bytes\": {}, \"heap_bytes\": {}, \"allocs\": "
      "{}, "
      "\"allocs_per_op\": {:.9f}, \"alloc_sizes\": \"{}\", \"harness_floor_ns\": {:.2f}, "
      "\"filled_lots\": {}, \"events\": {}, \"rejects\": {}",
      r.peak_rss_bytes, r.rss_growth_bytes, r.heap_bytes, r.allocs, r.allocs_per_op, r.alloc_sizes,
      r.harness_floor_ns, r.tally.filled, r.tally.events, r.tally.rejects);
  if (r.interleaved_ops_per_sec > 0) {
    *out += fmt::format(
        ",\n    \"interleaved_ops_per_sec\": {:.1f}, \"interleaved_ratio_to_mixed_1s\": {:.4f}",
        r.interleaved_ops_per_sec, r.interleaved_ratio);
  }
  *out += fmt::format(
      ",\n    \"over_100us\": {}, \"minor_faults\": {}, \"major_faults\": {}, "
      "\"involuntary_switches\": {}, \"voluntary_switches\": {}, \"slowest\": [",
      r.over_100us, r.faults.minor, r.faults.major, r.faults.involuntary_switches,
      r.faults.voluntary_switches);
  for (std::size_t i = 0; i < r.slowest.size(); ++i) {
    const BenchResult::Outlier& o = r.slowest[i];
    const std::string kind = r.workload == "growth"   ? GrowthKindName(o.kind)
                             : r.workload == "memory" ? "-"
                                                      : CmdKindName(o.kind);
    *out += fmt::format("{}{{\"index\": {}, \"kind\": \"{}\", \"ns\": {:.1f}, \"accounts\": {}}}",
                        i ? ", " : "", o.index, kind, o.ns, o.accounts);
  }
  *out += "]";
}

bool WriteJson(const std::string& path, const std::vector<BenchResult>& results,
               const MemoryResult* mem, const GrowthResult* growth,
               const Options& opt, double ns_per_stamp, const Percentiles& overhead) {
  std::string out = "[";
  bool first = true;
  const Ratios ratio = EngineVsBook(results);
  for (const BenchResult& r : results) {
    out += first ? "\n  {" : ",\n  {";
    first = false;
    JsonCommon(&out, r, opt);
    const EngineWorkload* w = r.source;
    for (int k = 0; k < kNumCmdKinds; ++k) {
      const Percentiles& p = r.by_kind[static_cast<std::size_t>(k)];
      if (p.count > 0) JsonPercentiles(&out, std::string(CmdKindName(k)) + "_", p);
    }
    out += fmt::format(
        ",\n    \"engine_vs_book_throughput\": {:.4f}, \"engine_vs_book_time\": {:.4f}, "
        "\"timer\": \"{}\", \"ns_per_stamp\": {:.6f}, \"timer_overhead_p50_ns\": {:.1f}",
        ratio.throughput, ratio.time, kStampSource, ns_per_stamp, overhead.p50_ns);
    if (w != nullptr && r.impl == "engine") {
      const GenStats& s = w->stats;
      out += fmt::format(
          ",\n    \"markets\": {}, \"accounts\": {}, \"setup_commands\": {}, "
          "\"warmup_commands\": {}, \"fills\": {}, \"stp_cancels\": {}, \"live_orders_start\": {}, "
          "\"live_orders_end\": {}, \"sizeof_command\": {}, \"sizeof_event\": {}, "
          "\"markets_per_account\": {}, \"prefetch\": {}",
          kNumMarkets, w->spec.accounts, w->setup.size(), w->warmup.size(), s.fills, s.stp_cancels,
          s.live_at_start, s.live_at_end, sizeof(Command), sizeof(engine::Event),
          w->spec.markets_per_account, opt.prefetch);
      const funding::FundingParams& fp = w->spec.funding;
      out += fmt::format(
          ",\n    \"funding_model\": {}, \"funding_payment\": {}, \"funding_cadence_ns\": {}, "
          "\"funding_interval_ns\": {}, \"step_max_ns\": {}, \"tick_every_ns\": {}, "
          "\"funding_rates_set\": {}, \"funding_settled\": {}",
          static_cast<int>(fp.model), static_cast<int>(fp.payment), fp.sample_cadence.raw(),
          fp.interval.raw(), w->spec.step_max_ns, w->spec.tick_every_ns, s.funding_rates,
          s.funding_settled);
      out += ",\n    \"mix\": {";
      for (int k = 0; k < kNumCmdKinds; ++k) {
        const auto i = static_cast<std::size_t>(k);
        out += fmt::format("{}\"{}\": {{\"count\": {}, \"accepted\": {}, \"rejects\": {{",
                           k ? ", " : "", CmdKindName(k), s.count[i], s.accepted[i]);
        bool f = true;
        for (const auto& [reason, n] : s.rejects[i]) {
          out += fmt::format("{}\"{}\": {}", f ? "" : ", ", ReasonLabel(reason), n);
          f = false;
        }
        out += "}}";
      }
      out += "}";
    }
    if (w != nullptr && r.impl == "book") {
      out += fmt::format(",\n    \"warmup_ops\": {}", w->book_warmup.size());
    }
    out += "\n  }";
  }
  if (mem != nullptr) {
    out += first ? "\n  {" : ",\n  {";
    JsonCommon(&out, mem->r, opt);
    out += fmt::format(
        ",\n    \"accounts\": {}, \"positions\": {}, \"markets_with_positions\": {}, "
        "\"bytes_per_account\": {:.2f}, \"bytes_per_position\": {:.2f}, "
        "\"rss_bytes_per_account\": {:.2f}, \"rss_bytes_per_position\": {:.2f}, "
        "\"heap_accounts_bytes\": {}, \"heap_positions_bytes\": {}\n  }}",
        mem->accounts, mem->positions, mem->markets_with_positions, mem->bytes_per_account,
        mem->bytes_per_position, mem->rss_per_account, mem->rss_per_position, mem->heap_accounts,
        mem->heap_positions);
    first = false;
  }
  if (growth != nullptr) {
    out += first ? "\n  {" : ",\n  {";
    JsonCommon(&out, growth->r, opt);
    for (int k = 0; k < kNumGrowthKinds; ++k) {
      JsonPercentiles(&out, std::string(GrowthKindName(k)) + "_",
                      growth->by_kind[static_cast<std::size_t>(k)]);
    }
    out += fmt::format(",\n    \"accounts\": {}, \"orders\": {}, \"ranges\": [", growth->accounts,
                       growth->orders);
    for (std::size_t i = 0; i < growth->ranges.size(); ++i) {
      const GrowthResult::Range& g = growth->ranges[i];
      out += fmt::format(
          "{}\n      {{\"accounts_from\": {}, \"accounts_to\": {}, \"count\": {}, \"p50_ns\": "
          "{:.1f}, \"p99_ns\": {:.1f}, \"p999_ns\": {:.1f}, \"p9999_ns\": {:.1f}, \"max_ns\": "
          "{:.1f}}}",
          i ? "," : "", g.lo, g.hi, g.p.count, g.p.p50_ns, g.p.p99_ns, g.p.p999_ns, g.p.p9999_ns,
          g.p.max_ns);
    }
    out += "]\n  }";
  }
  out += "\n]\n";
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return false;
  const bool ok = std::fwrite(out.data(), 1, out.size(), f) == out.size();
  return std::fclose(f) == 0 && ok;
}

// FundingSpecs(): engine/mixed_1s, mixed_1s_fund and mixed_1s_cont (file
// comment): the mixed flow over about 1,000 s of simulated time with a
// TimeTick for all markets every second, funding off, then premium funding
// sampled every second paid at interval ends, then paid continuously.
std::vector<MixedSpec> FundingSpecs(const Options& opt) {
  MixedSpec off;
  off.name = "mixed_1s";
  off.seed = opt.seed;
  if (opt.smoke) {
    off.commands = 20'000;
    off.target_live = 2'000;
  }
  if (opt.commands) off.commands = *opt.commands;
  off.markets_per_account = opt.markets_per_account;
  off.step_max_ns = opt.smoke ? 5'000'000 : 2'000'000;
  off.tick_every_ns = funding::kNsPerSecond;
  MixedSpec on = off;
  on.name = "mixed_1s_fund";
  on.funding = funding::FundingParams{};
  on.funding.model = funding::FundingModel::kPremium;
  on.funding.payment = funding::FundingPayment::kIntervalEnd;
  on.funding.sample_cadence = TimeNs(funding::kNsPerSecond);
  on.funding.interval = TimeNs((opt.smoke ? 10 : 60) * funding::kNsPerSecond);
  on.funding.period = TimeNs(8 * 3600 * funding::kNsPerSecond);
  MixedSpec cont = on;
  cont.name = "mixed_1s_cont";
  cont.funding.payment = funding::FundingPayment::kContinuous;
  std::vector<MixedSpec> specs;
  for (std::size_t k = 0; k < 3; ++k) {
    if (opt.run_funding[k]) specs.push_back(k == 0 ? off : k == 1 ? on : cont);
  }
  return specs;
}

// Interleaved: the funding workloads' throughput measured in rounds.
struct Interleaved {
  std::vector<std::string> names;
  std::vector<std::vector<double>> ops_per_sec;  // [workload][round]
  std::vector<double> median;                    // commands/s per workload
  std::vector<double> ratio;                     // median over rounds of w / w[0]
};

// MeasureInterleaved(): `rounds` rounds of back-to-back timed replays of
// each workload (a fresh engine each, as Measure()'s timed passes), so a
// shared machine's changing load falls on all of them alike; the medians
// over rounds, and the median of each round's ratio to the first workload.
Interleaved MeasureInterleaved(const std::vector<const EngineWorkload*>& ws, std::uint32_t rounds,
                               const Options& opt) {
  const std::size_t ahead_default = kPrefetchAhead;
  Interleaved out;
  out.ops_per_sec.resize(ws.size());
  for (const EngineWorkload* w : ws) out.names.push_back("engine/" + w->spec.name);
  for (std::uint32_t round = 0; round < rounds; ++round) {
    for (std::size_t k = 0; k < ws.size(); ++k) {
      const EngineWorkload& w = *ws[k];
      const std::size_t n = w.measured.size();
      const std::size_t ahead = opt.prefetch ? ahead_default : n;
      std::unique_ptr<Engine> eng = MakeEngine(w);
      Tally t;
      const auto t0 = Clock::now();
      for (std::size_t i = 0; i < n; ++i) {
        if (i + ahead < n) PrefetchBytes(&w.measured[i + ahead], sizeof(Command));
        const engine::Result r = Processed(eng->Apply(w.measured[i]));
        t.filled += r.filled.raw();
        t.events += r.events.size();
        t.rejects += !r.ok();
      }
      const double sec = SecondsSince(t0);
      CheckTally(out.names[k], t, w.tally);
      out.ops_per_sec[k].push_back(static_cast<double>(n) / sec);
    }
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
  };
  for (std::size_t k = 0; k < ws.size(); ++k) {
    out.median.push_back(median(out.ops_per_sec[k]));
    std::vector<double> r;
    for (std::uint32_t round = 0; round < rounds; ++round) {
      r.push_back(out.ops_per_sec[k][round] / out.ops_per_sec[0][round]);
    }
    out.ratio.push_back(median(r));
  }
  return out;
}

// RunMixed(): generates, validates and measures one engine/mixed-like
// workload (appended to *workloads, its results to *results); with_books:
// also the bare books on the same flow (book/same_flow) and the ratio.
void RunMixed(const MixedSpec& spec, const Options& opt, double ns_per_stamp, bool with_books,
              std::list<EngineWorkload>* workloads, std::vector<BenchResult>* results) {
  workloads->push_back(Generator(spec).Run());
  const EngineWorkload& w = workloads->back();
  PrintWorkloadHeader(w);
  const double ve = ValidateEngine(w);
  fmt::print(
      "  validated: a fresh engine reproduced every reason, result and event and the Digest() "
      "in {:.2f} s (CheckInvariants passed)\n",
      ve);
  std::optional<Tally> book_tally;
  if (with_books) {
    const auto b0 = Clock::now();
    book_tally = ValidateBooks(w);
    fmt::print(
        "  validated: the bare books reproduced all {} book ops' outcomes and the final L2 depth "
        "in {:.2f} s\n",
        w.book_warmup.size() + w.book_measured.size(), SecondsSince(b0));
  }
  std::fflush(stdout);

  const std::size_t n = w.measured.size();
  auto engine_prefetch = [&](std::size_t i) { PrefetchBytes(&w.measured[i], sizeof(Command)); };
  const double engine_floor = FloorNs(
      n, opt,
      [&](std::size_t i, Tally* t) {
        const engine::Result r = NullApply(w.measured[i]);
        t->filled += r.filled.raw();
        t->events += r.events.size();
        t->rejects += !r.ok();
      },
      engine_prefetch);
  BenchResult er = Measure(
      "engine", spec.name, n, w.kinds, w.tally, opt, ns_per_stamp, [&] { return MakeEngine(w); },
      [&](std::unique_ptr<Engine>& eng, std::size_t i, Tally* t) {
        const engine::Result r = Processed(eng->Apply(w.measured[i]));
        t->filled += r.filled.raw();
        t->events += r.events.size();
        t->rejects += !r.ok();
      },
      engine_prefetch);
  er.harness_floor_ns = engine_floor;
  er.source = &w;
  fmt::print("  {}: {} M commands/s, p99 {:.0f} ns\n", er.name, Mps(er.ops_per_sec),
             er.all.p99_ns);
  std::fflush(stdout);

  results->push_back(std::move(er));
  if (!with_books) return;

    const std::size_t nb = w.book_measured.size();
    std::vector<CmdKind> book_kinds(nb);
    for (std::size_t i = 0; i < nb; ++i) book_kinds[i] = w.book_measured[i].kind;
    auto book_prefetch = [&](std::size_t i) { PrefetchBytes(&w.book_measured[i], sizeof(BookOp)); };
    const double book_floor = FloorNs(
        nb, opt,
        [&](std::size_t i, Tally* t) {
          const BookOutcome o = NullOp(w.book_measured[i]);
          t->filled += o.filled;
          t->rejects += o.reason != 0;
        },
        book_prefetch);
    BenchResult br = Measure(
        "book", "same_flow", nb, book_kinds, *book_tally, opt, ns_per_stamp,
        [&] { return MakeBooks(w); },
        [&](std::vector<OrderBook>& books, std::size_t i, Tally* t) {
          const BookOp& op = w.book_measured[i];
          OrderBook& b = books[op.book];
          const BookOutcome o = ApplyOp(b, op);
          t->filled += o.filled;
          t->events += b.events().size();
          t->rejects += o.reason != 0;
        },
        book_prefetch);
    br.harness_floor_ns = book_floor;
    br.source = &w;
    fmt::print("  {}: {} M ops/s, p99 {:.0f} ns\n", br.name, Mps(br.ops_per_sec), br.all.p99_ns);
  results->push_back(std::move(br));
  const Ratios ratio = EngineVsBook(*results);
  fmt::print(
      "  engine vs bare book on the same flow: {:.3f}x throughput (engine commands/s over book "
      "ops/s), {:.3f}x time (book replay / engine replay)\n",
      ratio.throughput, ratio.time);
  std::fflush(stdout);
}

// -----------------------------------------------------------------------------
// main
// -----------------------------------------------------------------------------

[[noreturn]] void Usage(const char* why) {
  std::fprintf(stderr,
               "engine_bench: %s\nusage: engine_bench [--smoke] [--json PATH] [--seed S] "
               "[--commands N] [--reps N] [--workload mixed|memory|growth|funding|mixed_1s|mixed_1s_fund|mixed_1s_cont|all[,...]] "
               "[--memory-accounts N] [--growth-accounts N] [--markets-per-account K] "
               "[--no-prefetch]\n",
               why);
  std::exit(2);
}

std::uint64_t ParseU64(const char* flag, const char* text) {
  const std::optional<std::uint64_t> v = ParseU64Text(text);
  if (!v.has_value()) {
    Usage(fmt::format("{} needs a non-negative integer, got '{}'", flag, text).c_str());
  }
  return *v;
}

Options ParseArgs(int argc, char** argv) {
  Options opt;
  bool reps_given = false;
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
    } else if (a == "--commands") {
      opt.commands = ParseU64("--commands", value());
    } else if (a == "--markets-per-account") {
      opt.markets_per_account = static_cast<std::uint32_t>(
          std::clamp<std::uint64_t>(ParseU64("--markets-per-account", value()), 1, kNumMarkets));
    } else if (a == "--no-prefetch") {
      opt.prefetch = false;
    } else if (a == "--memory-accounts") {
      opt.memory_accounts = ParseU64("--memory-accounts", value());
    } else if (a == "--growth-accounts") {
      opt.growth_accounts = ParseU64("--growth-accounts", value());
    } else if (a == "--seed") {
      opt.seed = ParseU64("--seed", value());
    } else if (a == "--reps") {
      opt.reps = static_cast<std::uint32_t>(
          std::clamp<std::uint64_t>(ParseU64("--reps", value()), 1, 1000));
      reps_given = true;
    } else if (a == "--workload") {
      const std::string_view list = value();
      opt.run_mixed = opt.run_memory = opt.run_growth = false;
      opt.run_funding = {false, false, false};
      std::size_t start = 0;
      while (start <= list.size()) {
        const std::size_t comma = std::min(list.find(',', start), list.size());
        const std::string_view name = list.substr(start, comma - start);
        if (name == "all") {
          opt.run_mixed = opt.run_memory = opt.run_growth = true;
          opt.run_funding = {true, true, true};
        } else if (name == "mixed") {
          opt.run_mixed = true;
        } else if (name == "memory") {
          opt.run_memory = true;
        } else if (name == "growth") {
          opt.run_growth = true;
        } else if (name == "funding") {
          opt.run_funding = {true, true, true};
        } else if (name == "mixed_1s") {
          opt.run_funding[0] = true;
        } else if (name == "mixed_1s_fund") {
          opt.run_funding[1] = true;
        } else if (name == "mixed_1s_cont") {
          opt.run_funding[2] = true;
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
  if (opt.smoke && !reps_given) opt.reps = 1;
  if (opt.commands && *opt.commands == 0) Usage("--commands must be >= 1");
  if (opt.memory_accounts && (*opt.memory_accounts < 2 || *opt.memory_accounts > 1'000'000)) {
    Usage("--memory-accounts must be 2..1,000,000");
  }
  if (opt.growth_accounts && (*opt.growth_accounts < 1 || *opt.growth_accounts > (1u << 24))) {
    Usage("--growth-accounts must be 1..2^24");
  }
  return opt;
}

int Main(int argc, char** argv) {
  const Options opt = ParseArgs(argc, argv);
  const double ns_per_stamp = CalibrateStamp(opt.smoke ? 0.05 : 0.2);
  const Percentiles overhead = TimerOverhead(opt.smoke ? 100'000 : 1'000'000, ns_per_stamp);
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  fmt::print(
      "perpcore engine_bench{}: seed {}, up to {} timed pass(es) per implementation, host {}, "
      "{} CPUs online, load average {}\n"
      "timer: {}, {:.4f} ns per tick ({:.3f} GHz, calibrated against steady_clock); empty "
      "start/stop pair: p50 {:.1f} ns, p99 {:.1f} ns (included in latencies)\n",
      opt.smoke ? " (smoke)" : "", opt.seed, opt.reps, host, sysconf(_SC_NPROCESSORS_ONLN),
      LoadAverage(), kStampSource, ns_per_stamp, 1.0 / ns_per_stamp, overhead.p50_ns,
      overhead.p99_ns);
  if (LoadAverage1() > 1.5) {
    fmt::print("warning: the one-minute load average is above 1.5; figures may be disturbed\n");
  }

  std::vector<BenchResult> results;
  // Every workload generated (results name theirs: BenchResult::workload).
  std::list<EngineWorkload> workloads;
  if (opt.run_mixed) {
    MixedSpec spec;
    spec.seed = opt.seed;
    if (opt.smoke) {
      spec.commands = 20'000;
      spec.target_live = 2'000;
    }
    if (opt.commands) spec.commands = *opt.commands;
    spec.markets_per_account = opt.markets_per_account;
    RunMixed(spec, opt, ns_per_stamp, true, &workloads, &results);
  }
  if (opt.run_funding[0] || opt.run_funding[1] || opt.run_funding[2]) {
    std::vector<const EngineWorkload*> fws;
    for (const MixedSpec& spec : FundingSpecs(opt)) {
      RunMixed(spec, opt, ns_per_stamp, false, &workloads, &results);
      fws.push_back(&workloads.back());
    }
    for (const char* name : {"engine/mixed_1s_fund", "engine/mixed_1s_cont"}) {
      if (FundingRatio(results, name) == 0) continue;
      fmt::print("  {} over engine/mixed_1s: {:.3f}x throughput (medians of separate passes)\n",
                 name, FundingRatio(results, name));
    }
    // Interleaved rounds compare against mixed_1s: only with it and another.
    const Interleaved interleaved = opt.run_funding[0] && fws.size() > 1
                                        ? MeasureInterleaved(fws, opt.smoke ? 1 : opt.reps, opt)
                                        : Interleaved{};
    for (std::size_t k = 0; k < interleaved.names.size(); ++k) {
      for (BenchResult& r : results) {
        if (r.name != interleaved.names[k]) continue;
        r.interleaved_ops_per_sec = interleaved.median[k];
        r.interleaved_ratio = interleaved.ratio[k];
      }
    }
    if (!interleaved.names.empty()) {
      fmt::print("  interleaved rounds (back to back, fresh engines; M commands/s per round):\n");
    }
    for (std::size_t k = 0; k < interleaved.names.size(); ++k) {
      std::vector<std::string> cells;
      for (double x : interleaved.ops_per_sec[k]) cells.push_back(Mps(x));
      fmt::print("    {:<22} {}  median {} M/s, {:.3f}x mixed_1s (median of the rounds' ratios)\n",
                 interleaved.names[k], fmt::join(cells, " "), Mps(interleaved.median[k]),
                 interleaved.ratio[k]);
    }
    std::fflush(stdout);
  }

  std::optional<MemoryResult> mem;
  if (opt.run_memory) {
    const auto accounts =
        static_cast<std::uint32_t>(opt.memory_accounts.value_or(opt.smoke ? 10'000 : 100'000));
    mem = RunMemory(accounts, ns_per_stamp);
  }

  std::optional<GrowthResult> growth;
  if (opt.run_growth) {
    const auto accounts =
        static_cast<std::uint32_t>(opt.growth_accounts.value_or(opt.smoke ? 20'000 : 1'000'000));
    growth = RunGrowth(accounts, opt.seed, ns_per_stamp);
  }

  fmt::print("\nload average at the end: {}\n", LoadAverage());
  PrintTables(results, mem ? &*mem : nullptr, growth ? &*growth : nullptr);
  PrintTargets(results, opt.smoke);
  if (!opt.json_path.empty()) {
    if (!WriteJson(opt.json_path, results, mem ? &*mem : nullptr,
                   growth ? &*growth : nullptr, opt, ns_per_stamp, overhead)) {
      std::fprintf(stderr, "error: cannot write %s\n", opt.json_path.c_str());
      return 1;
    }
    fmt::print("\nwrote {}\n", opt.json_path);
  }
  return 0;
}

}  // namespace
}  // namespace perpcore::bench

int main(int argc, char** argv) { return perpcore::bench::Main(argc, argv); }
