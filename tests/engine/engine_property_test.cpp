// Randomized property tests of perpcore::engine::Engine: seeded random
// command streams over several markets and a few dozen accounts, checked
// after every command, in the manner of exchange-core's
// validateInternalState and libsecp256k1's testrand (and of
// tests/book/order_book_property_test.cpp):
//
//   1. CheckInvariants() holds: conservation exactly, open interest long ==
//      short, order ladders (every price level), every book.
//   2. Sequencing: a command with seq last_seq() + 1 and a timestamp not
//      before now() is processed, accepted or rejected: it advances
//      last_seq() by one and takes its timestamp; a rejected one emits no
//      event and leaves the rest of EncodeCanonical() byte-identical. A seq
//      at or below last_seq() answers kAlreadyExists, a gap kOutOfRange and
//      time going back kFailedPrecondition, each changing nothing.
//   3. Every balance (cross cash, isolated buckets, fee pool, insurance fund)
//      rebuilt from the events alone (EventBalances) agrees with the queries.
//      A ledger kept here from the commands and their events (cross cash
//      and every isolated bucket, positions with their mode and leverage,
//      cost basis and realized PnL, fee pool, insurance fund, deposit
//      totals, open interest, volume, marks) agrees with the engine's
//      queries exactly; every fill's fees have the documented signs and
//      rounding (taker and positive maker fees up, rebates and referrer cuts
//      down), and the pool never pays out; an isolated bucket is topped up
//      after a fill by what the margin oracle says it lacks.
//   4. Rules of engine.hpp seen from outside: a reduce-only order never
//      grows or flips a position; only reduce-only orders trade in a
//      reduce-only, tripped, halted, delisted or index-less market (and a
//      reduce-only one is never refused as halted); a taker never
//      fills beyond its limit; PreviewOrder's verdict is Apply's, and its
//      fill estimate is the fill when nothing it ignores applies.
//   5. A margin oracle (see "The margin oracle" below) works out the margin
//      rule of engine.hpp and the tier arithmetic of risk/margin.hpp on its
//      own, in int128, from the ledger, the open orders and the marks: no
//      risk::TierTable and no requirement the engine reports. Its verdict is
//      Apply's exactly, rounding included, on every withdrawal, transfer,
//      isolated top-up and removal, leverage change, and on the last checks
//      (index, open interest, margin) of every order, amend and
//      cancel-replace (whose new order is judged with the old one gone, and
//      which either cancels the old order and places the new one or leaves
//      the old order live); Summary()'s
//      requirements, free collateral and derived fields are the oracle's,
//      and liquidation prices bracket the oracle's maintenance. Decisions
//      within kBoundaryBand atoms of the requirement are counted per seed
//      (the generator aims at them) and every seed must have some.
//   6. The price oracle as the engine wires it: a publish is refused for the
//      documented reason, the index is the lower median of the fresh
//      sources, a deviating source trips the breaker, and kPriceUpdate /
//      kCircuitBreaker events say exactly what changed.
//   7. Determinism: a second engine, one with another hash_seed and a copy
//      made mid-stream answer every command identically (reason, sizes,
//      events) and end with the same Digest().
//   8. The mix reaches what it is meant to (fills, margin refusals, breaker
//      trips, isolated positions, reduce-only fills, ...): a generator that
//      rots into testing nothing fails.
//
// Seeds are fixed and printed. PERPCORE_TEST_SEED=<n> runs only that seed,
// PERPCORE_TEST_ITERS=<n> sets the commands per seed (default 100000) and
// PERPCORE_TEST_SHRINK_SECONDS=<n> the time the shrinker may take (default
// 20). On a failure the test prints the seed, the failing prefix length (the
// stream is reproduced by PERPCORE_TEST_SEED=s PERPCORE_TEST_ITERS=k) and a
// shrunk command list, each command with its answer and events.
//
// Money is in 1e-6 USD atoms (quote_decimals 6).
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cinttypes>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "perpcore/engine/engine.hpp"
#include "support/rng.hpp"

namespace perpcore::engine {
namespace {

using absl::int128;
using book::OrderRequest;
using testing::Rng;

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::uint64_t kMaxU64 = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint32_t kMaxU32 = std::numeric_limits<std::uint32_t>::max();
constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kSec = 1'000'000'000;
constexpr std::int64_t kUsd = 1'000'000;  // atoms per USD
constexpr std::uint64_t kDefaultSeeds[] = {0xe1e90001, 0xe1e90002, 0xe1e90003,
                                           0xe1e90004, 0xe1e90005, 0xe1e90006};
constexpr std::size_t kPayloadKinds = std::variant_size_v<Payload>;
constexpr MarketId kUnknownMarketId = 77;
constexpr AccountId kUnknownAccountId = 999'999;

constexpr Rate Bp(std::int64_t bp) { return Rate(bp * (kRateScale / 10'000)); }
constexpr Rate Pct(std::int64_t pct) { return Rate(pct * (kRateScale / 100)); }
constexpr Rate PerMille(std::int64_t x) { return Rate(x * (kRateScale / 1'000)); }

// -----------------------------------------------------------------------------
// Readable forms.
// -----------------------------------------------------------------------------
std::string Fmt(const char* format, ...) __attribute__((format(printf, 1, 2)));
std::string Fmt(const char* format, ...) {
  char buf[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buf, sizeof buf, format, args);
  va_end(args);
  return buf;
}

std::string Num(std::int64_t v) {
  if (v == kMax) return "kMax";
  if (v == kMin) return "kMin";
  return Fmt("%" PRId64, v);
}
std::string Num(std::uint64_t v) {
  return Fmt(v > 0x7FFFFFFFFFFFFFFFull ? "%" PRIu64 "ull" : "%" PRIu64, v);
}
template <class Tag, class Rep>
std::string Num(Id<Tag, Rep> id) {
  return Num(std::uint64_t{id.value()});
}
std::string Num(std::uint32_t v) { return Fmt("%" PRIu32, v); }
std::string Num(int128 v) {
  if (v >= int128(kMin) && v <= int128(kMax)) return Num(static_cast<std::int64_t>(v));
  return v < 0 ? "<-huge>" : "<huge>";
}

std::string EnumName(Side v) {
  switch (v) {
    case Side::kBuy: return "Side::kBuy";
    case Side::kSell: return "Side::kSell";
  }
  return Fmt("static_cast<Side>(%u)", static_cast<unsigned>(v));
}
std::string EnumName(OrderType v) {
  switch (v) {
    case OrderType::kLimit: return "OrderType::kLimit";
    case OrderType::kMarket: return "OrderType::kMarket";
  }
  return Fmt("static_cast<OrderType>(%u)", static_cast<unsigned>(v));
}
std::string EnumName(TimeInForce v) {
  switch (v) {
    case TimeInForce::kGtc: return "TimeInForce::kGtc";
    case TimeInForce::kIoc: return "TimeInForce::kIoc";
    case TimeInForce::kFok: return "TimeInForce::kFok";
    case TimeInForce::kPostOnly: return "TimeInForce::kPostOnly";
    case TimeInForce::kPostOnlySlide: return "TimeInForce::kPostOnlySlide";
  }
  return Fmt("static_cast<TimeInForce>(%u)", static_cast<unsigned>(v));
}
std::string EnumName(StpMode v) {
  switch (v) {
    case StpMode::kCancelMaker: return "StpMode::kCancelMaker";
    case StpMode::kCancelTaker: return "StpMode::kCancelTaker";
    case StpMode::kCancelBoth: return "StpMode::kCancelBoth";
    case StpMode::kDecrementAndCancel: return "StpMode::kDecrementAndCancel";
  }
  return Fmt("static_cast<StpMode>(%u)", static_cast<unsigned>(v));
}
std::string EnumName(MarginMode v) {
  switch (v) {
    case MarginMode::kCross: return "MarginMode::kCross";
    case MarginMode::kIsolated: return "MarginMode::kIsolated";
  }
  return Fmt("static_cast<MarginMode>(%u)", static_cast<unsigned>(v));
}
std::string EnumName(MarketStatus v) {
  switch (v) {
    case MarketStatus::kActive: return "MarketStatus::kActive";
    case MarketStatus::kReduceOnly: return "MarketStatus::kReduceOnly";
    case MarketStatus::kHalted: return "MarketStatus::kHalted";
    case MarketStatus::kDelisted: return "MarketStatus::kDelisted";
  }
  return Fmt("static_cast<MarketStatus>(%u)", static_cast<unsigned>(v));
}

constexpr const char* kEventKindNames[] = {
    "kOrderRested",  "kFill",           "kOrderCanceled",   "kOrderReduced",
    "kOrderAmended", "kDeposit",        "kWithdrawal",      "kTransfer",
    "kAccountCreated", "kMarketCreated", "kMarketUpdated",  "kMarketStatusChanged",
    "kPriceUpdate",  "kCircuitBreaker", "kMarginModeSet",   "kLeverageSet",
    "kIsolatedMarginChanged", "kFeeTierSet", "kInsuranceFunded", "kSelfTradeScopeSet",
    "kSourceRetired", "kFundingRateSet", "kFundingSettled", "kFundingResidual", "kLiquidation",
    "kInsuranceCover", "kShortfall", "kMarginWarning", "kPositionSettled", "kMarketSettled",
    "kBackstopTakeover", "kDeleveraged"};
constexpr std::size_t kEventKinds = std::size(kEventKindNames);

std::string EnumName(EventKind v) {
  const auto i = static_cast<std::size_t>(v);
  return i < kEventKinds ? kEventKindNames[i] : Fmt("EventKind(%zu)", i);
}

constexpr const char* kPayloadNames[] = {
    "CreateMarket", "UpdateMarket",  "SetMarketStatus", "CreateAccount",       "Deposit",
    "Withdraw",     "Transfer",      "FundInsurance",   "SetFeeTier",          "SetMarginMode",
    "SetLeverage",  "AdjustIsolatedMargin", "PlaceOrder", "CancelOrder",      "CancelByClientId",
    "CancelAll",    "AmendOrder",    "OraclePrice",     "TimeTick",           "CancelReplace",
    "SetSelfTradeScope", "RetireSource", "Liquidate", "SettleMarket"};
static_assert(std::size(kPayloadNames) == kPayloadKinds);

std::string Name(Reason r) { return std::string(ReasonName(r)); }

std::string ToString(const Decimal& d) {
  return Fmt("{%" PRId64 ", %d}", d.mantissa, static_cast<int>(d.exponent));
}

std::string ToString(const MarketParams& p) {
  std::string s = "{.symbol = \"" + p.symbol + "\", .tick_size = " + ToString(p.tick_size) +
                  ", .lot_size = " + ToString(p.lot_size) + ", .max_order_size = Lots(" +
                  Num(p.max_order_size.raw()) + "), .max_open_interest = Lots(" +
                  Num(p.max_open_interest.raw()) + "), .max_price = Ticks(" +
                  Num(p.max_price.raw()) + "), .price_band = Rate(" + Num(p.price_band.raw()) +
                  "), .max_leverage = " + Num(p.max_leverage) + ", .tiers = {";
  for (std::size_t i = 0; i < p.tiers.size(); ++i) {
    const risk::MarginTier& t = p.tiers[i];
    s += (i ? ", {Quote(" : "{Quote(") + Num(t.notional_floor.raw()) + "), " +
         Num(t.max_leverage) + ", Rate(" + Num(t.maintenance_rate.raw()) + ")}";
  }
  const oracle::OracleConfig& o = p.oracle;
  s += "}, .maker_fee = Rate(" + Num(p.maker_fee.raw()) + "), .taker_fee = Rate(" +
       Num(p.taker_fee.raw()) + "), .oracle = {.staleness = TimeNs(" + Num(o.staleness.raw()) +
       "), .min_sources = " + Num(o.min_sources) + ", .max_source_deviation = Rate(" +
       Num(o.max_source_deviation.raw()) + "), .max_twap_deviation = Rate(" +
       Num(o.max_twap_deviation.raw()) + "), .twap_window = TimeNs(" + Num(o.twap_window.raw()) +
       "), .basis_window = TimeNs(" + Num(o.basis_window.raw()) +
       ")}, .max_orders_per_account = " + Num(p.max_orders_per_account) +
       ", .max_levels_per_side = " + Num(p.max_levels_per_side) +
       ", .max_book_orders = " + Num(p.max_book_orders) +
       ", .withdrawable_pnl = static_cast<WithdrawablePnl>(" +
       Num(std::int64_t{static_cast<std::uint8_t>(p.withdrawable_pnl)}) +
       "), .stress_fraction = Rate(" + Num(p.stress_fraction.raw()) + ")}";
  return s;
}

// What a CreateMarket or UpdateMarket carries.
std::shared_ptr<const MarketParams> Shared(MarketParams p) {
  return std::make_shared<const MarketParams>(std::move(p));
}

std::string OrderFields(OrderId id, ClientOrderId client_id, Side side, OrderType type,
                        TimeInForce tif, StpMode stp, bool reduce_only, Ticks price, Lots size) {
  std::string s = ", .order_id = " + Num(id);
  if (client_id != 0) s += ", .client_id = " + Num(client_id);
  s += ", .side = " + EnumName(side) + ", .type = " + EnumName(type) + ", .tif = " + EnumName(tif) +
       ", .stp = " + EnumName(stp);
  if (reduce_only) s += ", .reduce_only = true";
  return s + ", .price = Ticks(" + Num(price.raw()) + "), .size = Lots(" + Num(size.raw()) + ")";
}

struct PayloadPrinter {
  std::string operator()(const CreateMarket& c) const {
    return "CreateMarket{.market = " + Num(c.market) + ", .params = Shared(" +
           (c.params ? ToString(*c.params) : "null") + ")}";
  }
  std::string operator()(const UpdateMarket& c) const {
    return "UpdateMarket{.market = " + Num(c.market) + ", .params = Shared(" +
           (c.params ? ToString(*c.params) : "null") + ")}";
  }
  std::string operator()(const SetMarketStatus& c) const {
    return "SetMarketStatus{.market = " + Num(c.market) + ", .status = " + EnumName(c.status) +
           "}";
  }
  std::string operator()(const CreateAccount& c) const {
    return "CreateAccount{.account = " + Num(c.account) + ", .owner = " + Num(c.owner) +
           ", .fee_tier = " + Num(c.fee_tier) + ", .referrer = " + Num(c.referrer) + "}";
  }
  std::string operator()(const Deposit& c) const {
    return "Deposit{.account = " + Num(c.account) + ", .amount = Quote(" + Num(c.amount.raw()) +
           ")}";
  }
  std::string operator()(const Withdraw& c) const {
    return "Withdraw{.account = " + Num(c.account) + ", .amount = Quote(" + Num(c.amount.raw()) +
           ")}";
  }
  std::string operator()(const Transfer& c) const {
    return "Transfer{.from = " + Num(c.from) + ", .to = " + Num(c.to) + ", .amount = Quote(" +
           Num(c.amount.raw()) + ")}";
  }
  std::string operator()(const FundInsurance& c) const {
    return "FundInsurance{.amount = Quote(" + Num(c.amount.raw()) + ")}";
  }
  std::string operator()(const RetireSource& c) const {
    return "RetireSource{.market = " + Num(c.market) + ", .source = " + Num(c.source) + "}";
  }
  std::string operator()(const SetSelfTradeScope& c) const {
    return "SetSelfTradeScope{.account = " + Num(c.account) +
           ", .scope = SelfTradeScope(" + Num(std::uint64_t{static_cast<std::uint8_t>(c.scope)}) +
           ")}";
  }
  std::string operator()(const SetFeeTier& c) const {
    return "SetFeeTier{.account = " + Num(c.account) + ", .fee_tier = " + Num(c.fee_tier) + "}";
  }
  std::string operator()(const SetMarginMode& c) const {
    return "SetMarginMode{.market = " + Num(c.market) + ", .account = " + Num(c.account) +
           ", .mode = " + EnumName(c.mode) + "}";
  }
  std::string operator()(const SetLeverage& c) const {
    return "SetLeverage{.market = " + Num(c.market) + ", .account = " + Num(c.account) +
           ", .leverage = " + Num(c.leverage) + "}";
  }
  std::string operator()(const AdjustIsolatedMargin& c) const {
    return "AdjustIsolatedMargin{.market = " + Num(c.market) + ", .account = " +
           Num(c.account) + ", .delta = Quote(" + Num(c.delta.raw()) + ")}";
  }
  std::string operator()(const PlaceOrder& c) const {
    return "PlaceOrder{.market = " + Num(c.market) + ", .account = " + Num(c.account) +
           OrderFields(c.order_id, c.client_id, c.side, c.type, c.tif, c.stp, c.reduce_only,
                       c.price, c.size) +
           "}";
  }
  std::string operator()(const CancelOrder& c) const {
    return "CancelOrder{.market = " + Num(c.market) + ", .account = " + Num(c.account) +
           ", .order_id = " + Num(c.order_id) + "}";
  }
  std::string operator()(const CancelByClientId& c) const {
    return "CancelByClientId{.market = " + Num(c.market) + ", .account = " + Num(c.account) +
           ", .client_id = " + Num(c.client_id) + "}";
  }
  std::string operator()(const CancelAll& c) const {
    return "CancelAll{.market = " + Num(c.market) + ", .account = " + Num(c.account) + "}";
  }
  std::string operator()(const AmendOrder& c) const {
    return "AmendOrder{.market = " + Num(c.market) + ", .account = " + Num(c.account) +
           ", .order_id = " + Num(c.order_id) + ", .new_price = Ticks(" +
           Num(c.new_price.raw()) + "), .new_size = Lots(" + Num(c.new_size.raw()) + ")}";
  }
  std::string operator()(const OraclePrice& c) const {
    return "OraclePrice{.market = " + Num(c.market) + ", .source = " + Num(c.source) +
           ", .price = Ticks(" + Num(c.price.raw()) + "), .publish_time = TimeNs(" +
           Num(c.publish_time.raw()) + ")}";
  }
  std::string operator()(const TimeTick& c) const {
    return "TimeTick{.market = " + Num(c.market) + "}";
  }
  std::string operator()(const CancelReplace& c) const {
    return "CancelReplace{.market = " + Num(c.market) + ", .account = " + Num(c.account) +
           ", .old_order_id = " + Num(c.old_order_id) +
           OrderFields(c.order_id, c.client_id, c.side, c.type, c.tif, c.stp, c.reduce_only,
                       c.price, c.size) +
           "}";
  }
  std::string operator()(const Liquidate& c) const {
    return "Liquidate{.market = " + Num(c.market) + ", .account = " + Num(c.account) +
           ", .keeper = " + Num(c.keeper) + ", .max_size = Lots(" + Num(c.max_size.raw()) + ")}";
  }
  std::string operator()(const SettleMarket& c) const {
    return "SettleMarket{.market = " + Num(c.market) + ", .price = Ticks(" + Num(c.price.raw()) +
           ")}";
  }
};

std::string ToString(const Payload& p) { return std::visit(PayloadPrinter{}, p); }

// Every field an event kind has, by name; zero ones left out.
std::string ToString(const Event& ev) {
  // Appended rather than concatenated: GCC 12's -Wrestrict misreads the
  // inlined operator+ here (a false positive).
  std::string s = "{";
  s += EnumName(KindOf(ev));
  auto i64 = [&s](const char* k, std::int64_t v) {
    if (v != 0) s += Fmt(" %s=", k) + Num(v);
  };
  auto u64 = [&s](const char* k, auto v) {
    if (Printable(v) != 0) s += Fmt(" %s=", k) + Num(v);
  };
  auto code = [&s](const char* k, auto v) {
    s += Fmt(" %s=%u", k, static_cast<unsigned>(v));
  };
  auto party = [&](const char* who, const events::FillParty& p) {
    s += Fmt(" %s{", who);
    u64("acct", p.account);
    u64("id", p.order_id);
    s.append(" ").append(EnumName(p.side));
    i64("rem", p.remaining.raw());
    i64("fee", p.fee.raw());
    i64("pos", p.position.raw());
    i64("realized", p.realized.raw());
    s += " }";
  };
  std::visit(
      [&](const auto& e) {
        if constexpr (requires { e.market; }) u64("market", e.market);
        if constexpr (requires { e.account; }) u64("acct", e.account);
        if constexpr (requires { e.order_id; }) u64("id", e.order_id);
        if constexpr (requires { e.side; }) s.append(" ").append(EnumName(e.side));
        if constexpr (requires { e.reason; }) code("reason", e.reason);
        if constexpr (requires { e.priority_kept; }) s += e.priority_kept ? " kept" : "";
        if constexpr (requires { e.price; }) i64("px", e.price.raw());
        if constexpr (requires { e.size; }) i64("size", e.size.raw());
        if constexpr (requires { e.remaining; }) i64("rem", e.remaining.raw());
        if constexpr (requires { e.old_remaining; }) i64("old_rem", e.old_remaining.raw());
        if constexpr (requires { e.taker; }) party("taker", e.taker);
        if constexpr (requires { e.maker; }) party("maker", e.maker);
        if constexpr (requires { e.referrer_fee; }) i64("referrer_fee", e.referrer_fee.raw());
        if constexpr (requires { e.from; }) u64("from", e.from);
        if constexpr (requires { e.to; }) u64("to", e.to);
        if constexpr (requires { e.owner; }) u64("owner", e.owner);
        if constexpr (requires { e.fee_tier; }) u64("tier", e.fee_tier);
        if constexpr (requires { e.referrer; }) u64("referrer", e.referrer);
        if constexpr (requires { e.amount; }) i64("amount", e.amount.raw());
        if constexpr (requires { e.status; }) code("status", e.status);
        if constexpr (requires { e.index; }) i64("index", e.index.raw());
        if constexpr (requires { e.mark; }) i64("mark", e.mark.raw());
        if constexpr (requires { e.twap; }) i64("twap", e.twap.raw());
        if constexpr (requires { e.tripped; }) s += e.tripped ? " tripped" : " cleared";
        if constexpr (requires { e.cause; }) code("cause", e.cause);
        if constexpr (requires { e.mode; }) code("mode", e.mode);
        if constexpr (requires { e.leverage; }) u64("leverage", e.leverage);
        if constexpr (requires { e.scope; }) code("scope", e.scope);
      },
      ev);
  return s + "}";
}

// -----------------------------------------------------------------------------
// Commands as recorded. Sequence numbers and "time went back" timestamps are
// relative to the engine they are applied to, so a shrunk stream (with
// commands dropped) still numbers its commands correctly.
// -----------------------------------------------------------------------------
enum class SeqMode : std::uint8_t {
  kNext,  // seq = last_seq + 1, timestamp = time
  kGap,   // seq = last_seq + 1 + seq_offset (wrapping; never last_seq + 1;
          // wrapped at or below last_seq it is a replayed command)
  kBack,  // seq = last_seq + 1, timestamp = now - time (time > 0)
};

struct Op {
  Payload payload = TimeTick{};
  std::int64_t time = 0;
  SeqMode mode = SeqMode::kNext;
  std::uint64_t seq_offset = 0;
};

Command MakeCommand(const Engine& eng, const Op& op) {
  Command c;
  c.payload = op.payload;
  c.seq = eng.last_seq() + 1;
  c.timestamp = TimeNs(op.time);
  if (op.mode == SeqMode::kGap) c.seq += op.seq_offset;
  if (op.mode == SeqMode::kBack) c.timestamp = TimeNs(eng.now().raw() - op.time);
  return c;
}

std::string ToString(const Op& op) {
  std::string s;
  switch (op.mode) {
    case SeqMode::kNext: s = "t=" + Num(op.time) + " "; break;
    case SeqMode::kGap:
      s = "t=" + Num(op.time) + " [seq = last + 1 + " + Num(op.seq_offset) + "] ";
      break;
    case SeqMode::kBack: s = "[t = now - " + Num(op.time) + "] "; break;
  }
  return s + ToString(op.payload);
}

// -----------------------------------------------------------------------------
// The world: markets with different ticks, lots, tiers and fees, an oracle of
// 2-3 sources each (min_sources 2, both deviation guards on), fee tiers and a
// referrer share.
// -----------------------------------------------------------------------------
struct Spec {
  MarketId id;
  const char* symbol;
  Decimal tick, lot;
  std::int64_t base;        // starting fair price, ticks
  std::int64_t unit;        // a typical order, lots
  std::uint32_t sources;    // oracle sources that publish
};

// atoms per tick-lot: BTC 100, ETH 500, SOL 10000, DOGE 10, XAU 1000, LATE 1000.
constexpr Spec kSpecs[] = {
    {1, "BTC-USD", {1, -1}, {1, -3}, 300'000, 10, 3},   // 30,000 USD; 0.01 BTC
    {2, "ETH-USD", {5, -2}, {1, -2}, 40'000, 5, 3},     // 2,000 USD; 0.05 ETH
    {3, "SOL-USD", {1, -2}, {1, 0}, 10'000, 2, 2},      // 100 USD; 2 SOL
    {4, "DOGE-USD", {1, -5}, {1, 0}, 10'000, 1'000, 3}, // 0.10 USD; 1000 DOGE
    {5, "XAU-USD", {1, -1}, {1, -2}, 20'000, 5, 3},     // 2,000 USD; 0.05 oz
    {9, "LATE-USD", {1, -2}, {1, -1}, 5'000, 10, 2},    // 50 USD; created mid-stream
};
constexpr std::size_t kLateSpec = std::size(kSpecs) - 1;

oracle::OracleConfig OracleFor(std::uint32_t variant) {
  oracle::OracleConfig o;
  o.staleness = TimeNs(30 * kSec);
  o.min_sources = 2;
  o.max_source_deviation = Pct(1);
  o.max_twap_deviation = Pct(5);
  o.twap_window = TimeNs(120 * kSec);
  o.basis_window = TimeNs(60 * kSec);
  if (variant == 2) {
    o.staleness = TimeNs(20 * kSec);
    o.max_source_deviation = Pct(2);
    o.twap_window = TimeNs(180 * kSec);
  }
  return o;
}

// variant 0: as created; 1: other fees, leverage, band and sizes; 2: another
// oracle configuration. All valid.
MarketParams ParamsFor(const Spec& s, std::uint32_t variant) {
  MarketParams p;
  p.symbol = s.symbol;
  p.tick_size = s.tick;
  p.lot_size = s.lot;
  p.max_orders_per_account = 25;
  p.max_levels_per_side = 400;
  p.max_book_orders = 2'000;
  p.oracle = OracleFor(variant);
  switch (s.id.value()) {
    case 1:  // Binance BTCUSDT's first brackets
      p.max_order_size = Lots(100'000);
      p.max_open_interest = Lots(1'000'000);
      p.max_price = Ticks(10'000'000);
      p.max_leverage = 100;
      p.tiers = {{Quote(0), 125, PerMille(4)},
                 {Quote(50'000 * kUsd), 100, PerMille(5)},
                 {Quote(250'000 * kUsd), 50, Pct(1)}};
      p.maker_fee = Bp(1);
      p.taker_fee = Bp(5);
      break;
    case 2:  // the rebate market
      p.max_order_size = Lots(50'000);
      p.max_open_interest = Lots(500'000);
      p.max_price = Ticks(1'000'000);
      p.max_leverage = 50;
      p.tiers = {{Quote(0), 50, Pct(1)},
                 {Quote(100'000 * kUsd), 20, Rate(25 * (kRateScale / 1'000))},
                 {Quote(1'000'000 * kUsd), 10, Pct(5)}};
      p.maker_fee = Rate(-Bp(1).raw());
      p.taker_fee = Bp(5);
      break;
    case 3:  // a 5% price band around the index
      p.max_order_size = Lots(10'000);
      p.max_open_interest = Lots(100'000);
      p.max_price = Ticks(1'000'000);
      p.price_band = Pct(5);
      p.max_leverage = 20;
      p.tiers = {{Quote(0), 20, Pct(2)}, {Quote(50'000 * kUsd), 10, Pct(4)}};
      p.maker_fee = Bp(2);
      p.taker_fee = Bp(6);
      break;
    case 4:  // small book limits and a tight open-interest cap
      p.max_order_size = Lots(1'000'000);
      p.max_open_interest = Lots(2'000'000);
      p.max_price = Ticks(1'000'000);
      p.max_leverage = 10;
      p.tiers = {{Quote(0), 10, Pct(3)}, {Quote(20'000 * kUsd), 5, Pct(6)}};
      p.maker_fee = Rate(0);
      p.taker_fee = Bp(10);
      p.stress_fraction = Rate(0);  // a stale market's loss at its last index
      p.max_orders_per_account = 3;
      p.max_levels_per_side = 6;
      p.max_book_orders = 24;
      break;
    case 5:
      p.max_order_size = Lots(10'000);
      p.max_open_interest = Lots(100'000);
      p.max_price = Ticks(1'000'000);
      p.price_band = Pct(10);
      p.max_leverage = 25;
      p.tiers = {{Quote(0), 25, Rate(15 * (kRateScale / 1'000))},
                 {Quote(100'000 * kUsd), 20, Pct(2)},
                 {Quote(500'000 * kUsd), 10, Pct(4)},
                 {Quote(2'000'000 * kUsd), 5, Pct(8)}};
      p.maker_fee = Rate(kRateScale / 20'000);  // 0.5 bp
      p.taker_fee = Bp(3);
      p.stress_fraction = Rate(kRateScale);  // a stale long is worth nothing
      break;
    default:
      p.max_order_size = Lots(10'000);
      p.max_open_interest = Lots(100'000);
      p.max_price = Ticks(1'000'000);
      p.max_leverage = 10;
      p.tiers = {{Quote(0), 10, Pct(5)}};
      p.maker_fee = Bp(2);
      p.taker_fee = Bp(4);
      break;
  }
  if (variant == 1) {
    p.taker_fee = Rate(p.taker_fee.raw() + Bp(1).raw());
    p.max_leverage = std::max<std::uint32_t>(1, p.max_leverage / 2);
    p.price_band = p.price_band.raw() == 0 ? Pct(20) : Rate(p.price_band.raw() / 2);
    p.max_order_size = Lots(p.max_order_size.raw() / 2);
    p.withdrawable_pnl = WithdrawablePnl::kNone;
    p.stress_fraction = Pct(25);
  }
  return p;
}

struct World {
  EngineConfig config;
  std::size_t markets = 0;   // kSpecs[0..markets) exist from the start
  std::size_t accounts = 0;
  std::size_t owners = 0;
};

World WorldFor(std::uint64_t seed) {
  World w;
  w.markets = 3 + seed % 3;
  w.accounts = 20 + (seed * 7) % 31;
  w.owners = 6;
  w.config.quote_decimals = 6;
  w.config.fee_tier_discounts = seed % 2 == 1
                                    ? std::vector<Rate>{Rate(0), Pct(10), Pct(25)}
                                    : std::vector<Rate>{Rate(0), Pct(15)};
  w.config.referrer_share = Pct(20);
  w.config.max_markets = static_cast<std::uint32_t>(w.markets + 1);  // room for LATE-USD only
  w.config.max_accounts = static_cast<std::uint32_t>(w.accounts + 4);
  // The default 10%, none (initial margin alone) and a stricter 25%.
  w.config.withdraw_margin_fraction = seed % 3 == 0 ? Rate(0) : seed % 3 == 1 ? Pct(10) : Pct(25);
  return w;
}

std::string ToString(const EngineConfig& c) {
  std::string s = "EngineConfig{.quote_decimals = " + Num(c.quote_decimals) +
                  ", .fee_tier_discounts = {";
  for (std::size_t i = 0; i < c.fee_tier_discounts.size(); ++i) {
    s += (i ? ", Rate(" : "Rate(") + Num(c.fee_tier_discounts[i].raw()) + ")";
  }
  return s + "}, .referrer_share = Rate(" + Num(c.referrer_share.raw()) +
         "), .max_markets = " + Num(c.max_markets) + ", .max_accounts = " + Num(c.max_accounts) +
         ", .withdraw_margin_fraction = Rate(" + Num(c.withdraw_margin_fraction.raw()) + ")}";
}

// -----------------------------------------------------------------------------
// Integer helpers and fee arithmetic, done here the long way.
// -----------------------------------------------------------------------------
constexpr int128 kScale = kRateScale;

int128 Abs128(int128 v) { return v < 0 ? -v : v; }
std::int64_t Sign64(int128 v) { return (v > 0) - (v < 0); }

// ceil(num / den) for den > 0.
int128 CeilDiv(int128 num, int128 den) {
  const int128 q = num / den;
  return num % den != 0 && num > 0 ? q + 1 : q;
}

// n * a * b / 10^36 rounded up or down, for 0 <= n < 2^63 and 0 <= a, b <= 10^18.
int128 MulRates(int128 n, int128 a, int128 b, bool up) {
  const int128 ab = a * b;
  const int128 q = ab / kScale, r = ab % kScale;
  const int128 nq = n * q;  // n * ab = (nq / S) * S^2 + (nq % S) * S + n * r
  const int128 low = (nq % kScale) * kScale + n * r;
  const int128 s2 = kScale * kScale;
  int128 out = nq / kScale + low / s2;
  if (up && low % s2 != 0) out += 1;
  return out;
}

// The taker fee as engine.hpp charges it: the discounted rate rounded up,
// then the fee rounded up.
int128 TakerFeeModel(int128 notional, std::int64_t rate, std::int64_t discount) {
  if (rate <= 0 || notional <= 0) return 0;
  const int128 eff = MulRates(kScale, rate, kScale - discount, true);
  return MulRates(notional, eff, kScale, true);
}

// -----------------------------------------------------------------------------
// The margin oracle: the margin rule of engine.hpp and the tier arithmetic
// of risk/margin.hpp, worked out here from scratch in int128 (no
// risk::TierTable, and no requirement the engine reports). Its inputs are
// what a checker outside the engine knows from the commands and events:
// cross cash and isolated buckets, positions with their mode and leverage,
// the account's open orders, each market's parameters, its last mark and
// whether it has an index.
//
// Tiers. A notional n needs, summed over the brackets, the part of n inside
// the bracket times the bracket's rate:
//   maintenance: the bracket's maintenance_rate;
//   initial at leverage L: max(1/L, 1/max_leverage_j), where 1/x is the
//     Rate rounded up to 1e-18, ceil(10^18 / x); ceil(10^18 / x) falls as x
//     grows, so the larger one is ceil(10^18 / min(L, max_leverage_j)).
// The sum is exact in atoms * 1e-18 and rounded up to whole atoms once.
// (risk/margin.hpp writes it as n * rate_i - deduction_i, the same sum
// telescoped; here it is added up bracket by bracket.) L is the position's
// leverage capped by the market's max_leverage.
//
// The rule (engine.hpp, "Margin"):
//   value = size * mark * atoms; cross equity = cross cash + cross values;
//   a market counts if the account has a position or open orders there; if
//     one of them has no index, every margin decision is kNoIndexPrice;
//   worst case of a market = max over the sides of
//     Initial(|size + that side's open lots| * mark * atoms) + its open loss;
//   initial_with_orders = worst cases of cross markets + for isolated ones
//     max(0, worst case - (bucket + value));
//   free collateral = max(0, equity - initial_with_orders): withdrawals,
//     transfers and isolated top-ups go up to it; an isolated bucket gives
//     back at most bucket + value - its worst case;
//   an order, amend or leverage change (the order's taker fee paid from its
//     market's cash or bucket) passes if afterwards equity >=
//     initial_with_orders, or if it does not raise initial_with_orders.
// Every requirement (a position's, a side's) is rounded up on its own; the
// sums are of whole atoms, so a decision can turn on one atom.
// -----------------------------------------------------------------------------
using Tiers = std::vector<risk::MarginTier>;

// Sum over the brackets of (the part of [0, n) in the bracket) * its rate,
// in atoms * 1e-18.
template <class RateOf>
int128 BracketSum(const Tiers& tiers, int128 n, RateOf rate_of) {
  int128 sum = 0;
  for (std::size_t j = 0; j < tiers.size() && n > tiers[j].notional_floor.raw(); ++j) {
    const int128 top =
        j + 1 < tiers.size() ? std::min<int128>(n, tiers[j + 1].notional_floor.raw()) : n;
    sum += (top - tiers[j].notional_floor.raw()) * rate_of(tiers[j]);
  }
  return sum;
}

int128 OracleMaintenance(const Tiers& tiers, int128 n) {
  return CeilDiv(BracketSum(tiers, n,
                            [](const risk::MarginTier& t) {
                              return int128(t.maintenance_rate.raw());
                            }),
                 kScale);
}

int128 OracleInitial(const Tiers& tiers, int128 n, std::uint32_t leverage) {
  return CeilDiv(BracketSum(tiers, n,
                            [leverage](const risk::MarginTier& t) {
                              return CeilDiv(kScale, std::min(leverage, t.max_leverage));
                            }),
                 kScale);
}

// The bracket n falls in: the last one whose floor is at most n.
std::size_t OracleBracket(const Tiers& tiers, int128 n) {
  std::size_t i = 0;
  while (i + 1 < tiers.size() && tiers[i + 1].notional_floor.raw() <= n) ++i;
  return i;
}

// One open order (or a hypothetical one) of an account.
struct OracleOrder {
  OrderId id = 0;
  bool buy = true;  // the engine reads any side but kBuy as a sell
  std::int64_t price = 0;
  std::int64_t lots = 0;  // open lots
};

// OpenLoss
//
// What the account's open orders in one market would lose against the mark
// if all of them filled at their limit prices, per side, in atoms. THIS IS
// THE ONE PLACE the open-loss rule lives: change it here and every check of
// the property test follows.
//
// The rule (engine.hpp) is Binance's, per order: each order priced worse
// than the mark loses on its own, and one on the good side of the mark
// offsets nothing,
//   bids = sum over bids of max(0, (price - mark) * lots) * atoms,
//   asks = sum over asks of max(0, (mark - price) * lots) * atoms.
// (The rule before issue 10 netted each side instead: max(0, sum(price *
// lots) - lots_total * mark) * atoms over all bids, and the mirror for asks.)
// A plain loop over the orders, independent of the engine's price ladders.
struct SideLoss {
  int128 bids = 0, asks = 0;
};
SideLoss OpenLoss(std::span<const OracleOrder> orders, std::int64_t mark, std::int64_t atoms) {
  int128 bids = 0, asks = 0;
  for (const OracleOrder& o : orders) {
    if (o.buy) {
      bids += std::max<int128>(0, (int128(o.price) - mark) * o.lots);
    } else {
      asks += std::max<int128>(0, (int128(mark) - o.price) * o.lots);
    }
  }
  return SideLoss{bids * atoms, asks * atoms};
}

// A market as the oracle sees it.
struct OracleMarket {
  const MarketParams* params = nullptr;  // tiers, max_leverage, taker_fee, max_open_interest,
                                         // withdrawable_pnl, stress_fraction
  std::int64_t atoms = 1;
  std::int64_t mark = 0;  // the last valid mark
  bool has_index = false;
  // Why the index cannot be used now: kOk, kNoIndexPrice or kIndexStale.
  Reason refusal = Reason::kNoIndexPrice;
  std::int64_t last_index = 0;  // the last valid index (0: never had one)
  std::int64_t twap = 0;        // Stats()'s, 0: none yet
  bool breaker = false;
  bool Usable() const { return refusal == Reason::kOk; }
};

// EffectiveLeverage(): as chosen (0: not chosen, the market's max_leverage),
// capped by the market's max_leverage.
std::uint32_t EffectiveLeverage(std::uint32_t chosen, const MarketParams& m) {
  return chosen == 0 ? m.max_leverage : std::min(chosen, m.max_leverage);
}

// An account's margin mode and leverage (0: not chosen) in one market.
struct OracleChoice {
  MarginMode mode = MarginMode::kCross;
  std::uint32_t leverage = 0;
};

// An account's record for one market: a position or open orders there.
struct OraclePosition {
  MarketId market = 0;
  OracleMarket m;
  MarginMode mode = MarginMode::kCross;
  std::uint32_t leverage = 0;  // as chosen; 0: not chosen
  std::int64_t size = 0;
  int128 bucket = 0;  // isolated margin
  int128 cost = 0;    // signed entry value (the ledger's)
  std::vector<OracleOrder> orders;

  std::uint32_t Leverage() const { return EffectiveLeverage(leverage, *m.params); }
  int128 Value() const { return int128(size) * m.mark * m.atoms; }
  bool Counts() const { return size != 0 || !orders.empty(); }
  std::int64_t OpenLots(bool buy) const {
    std::int64_t lots = 0;
    for (const OracleOrder& o : orders) lots += o.buy == buy ? o.lots : 0;
    return lots;
  }
};

struct OracleAccount {
  std::uint32_t fee_tier = 0;
  int128 cash = 0;                        // cross
  std::vector<OraclePosition> positions;  // by market id
  // The margin mode and leverage chosen per market (the ledger knows them;
  // a view read from the queries does not, and assumes the defaults for a
  // market without a record).
  std::map<MarketId, OracleChoice> choices;

  const OraclePosition* Find(MarketId id) const {
    for (const OraclePosition& p : positions) {
      if (p.market == id) return &p;
    }
    return nullptr;
  }
  OraclePosition* Find(MarketId id) {
    return const_cast<OraclePosition*>(std::as_const(*this).Find(id));
  }
  // The record for a market, made as a first order makes it: with the
  // account's choices there (cross, not chosen if none).
  OraclePosition& Record(MarketId id, const OracleMarket& m) {
    if (OraclePosition* p = Find(id)) return *p;
    auto it = std::find_if(positions.begin(), positions.end(),
                           [id](const OraclePosition& p) { return p.market > id; });
    const auto c = choices.find(id);
    const OracleChoice choice = c == choices.end() ? OracleChoice{} : c->second;
    return *positions.insert(it, OraclePosition{.market = id,
                                                .m = m,
                                                .mode = choice.mode,
                                                .leverage = choice.leverage});
  }
  // Pays a fee from the market's cash: its bucket if isolated, else cross.
  void Charge(OraclePosition& p, int128 fee) {
    (p.mode == MarginMode::kIsolated ? p.bucket : cash) -= fee;
  }
};

// The worst case of a market's position and open orders.
int128 WorstCase(const OraclePosition& p) {
  const Tiers& tiers = p.m.params->tiers;
  const int128 unit = int128(p.m.mark) * p.m.atoms;
  const SideLoss loss = OpenLoss(p.orders, p.m.mark, p.m.atoms);
  const int128 long_n = Abs128(int128(p.size) + p.OpenLots(true)) * unit;
  const int128 short_n = Abs128(int128(p.size) - p.OpenLots(false)) * unit;
  return std::max(OracleInitial(tiers, long_n, p.Leverage()) + loss.bids,
                  OracleInitial(tiers, short_n, p.Leverage()) + loss.asks);
}

struct OracleRisk {
  int128 equity = 0;       // cross
  int128 initial = 0;      // cross positions
  int128 iwo = 0;          // initial with orders and isolated draws
  int128 maintenance = 0;  // cross positions
  int128 Free() const { return std::max<int128>(0, equity - iwo); }  // for orders
};

// The loss a position would show at `price`, as a value: size * price * atoms.
int128 ValueAt(const OraclePosition& p, int128 price) { return int128(p.size) * price * p.m.atoms; }

// Stressed (engine.hpp, "Withdrawals"): no unrealized profit, the loss at
// the worse of the mark and the last valid index moved against the position
// by stress_fraction, rounded against it. Written as cost + the worst PnL.
int128 StressedValueModel(const OraclePosition& p) {
  if (p.size == 0) return 0;
  const int128 index = p.m.last_index > 0 ? p.m.last_index : p.m.mark;
  const int128 f = p.m.params->stress_fraction.raw();
  const int128 price = p.size > 0 ? index * (kScale - f) / kScale
                                  : CeilDiv(index * (kScale + f), kScale);
  const int128 pnl_mark = p.Value() - p.cost;
  const int128 pnl_stress = ValueAt(p, price) - p.cost;
  return p.cost + std::min<int128>({0, pnl_mark, pnl_stress});
}

// What a position counts for in the margin check of orders: the mark, or
// the stressed value in a market without a usable index.
int128 MarginValueModel(const OraclePosition& p) {
  return p.m.Usable() ? p.Value() : StressedValueModel(p);
}

// What a position counts for toward withdrawals: a loss at the mark in
// full; a profit no larger than the one at the TWAP (none without a TWAP,
// none at all with withdrawable_pnl kNone); stressed while the breaker is
// tripped or there is no index.
int128 WithdrawValueModel(const OraclePosition& p) {
  if (p.m.breaker || !p.m.Usable()) return StressedValueModel(p);
  const int128 pnl_mark = p.Value() - p.cost;
  if (pnl_mark <= 0) return p.Value();
  int128 backed = 0;
  if (p.m.params->withdrawable_pnl == WithdrawablePnl::kConservativePrice && p.m.twap > 0) {
    backed = std::max<int128>(0, ValueAt(p, p.m.twap) - p.cost);
  }
  return p.cost + std::min(pnl_mark, backed);
}

OracleRisk Evaluate(const OracleAccount& a) {
  OracleRisk r;
  r.equity = a.cash;
  for (const OraclePosition& p : a.positions) {
    if (!p.Counts()) continue;
    const int128 value = MarginValueModel(p);
    const int128 worst = WorstCase(p);
    if (p.mode == MarginMode::kCross) {
      r.equity += value;
      r.initial += OracleInitial(p.m.params->tiers, Abs128(p.Value()), p.Leverage());
      r.maintenance += OracleMaintenance(p.m.params->tiers, Abs128(p.Value()));
      r.iwo += worst;
    } else {
      r.iwo += std::max<int128>(0, worst - (p.bucket + value));
    }
  }
  return r;
}

// ceil(fraction * notional).
int128 NotionalShareModel(int128 notional, Rate fraction) {
  return CeilDiv(notional * fraction.raw(), kScale);
}

// The withdrawal rule for cross collateral (engine.hpp, "Withdrawals"):
// cross cash + the cross positions' withdrawable values, less
// max(initial with orders (each isolated bucket's draw with its position
// at its withdrawable value), fraction * the cross positions' notional at
// the mark). Can be negative: the slack before any amount.
int128 CrossSlackModel(const OracleAccount& a, Rate fraction) {
  int128 equity = a.cash, required = 0, notional = 0;
  for (const OraclePosition& p : a.positions) {
    if (!p.Counts()) continue;
    const int128 value = WithdrawValueModel(p);
    if (p.mode == MarginMode::kCross) {
      equity += value;
      required += WorstCase(p);
      notional += Abs128(p.Value());
    } else {
      required += std::max<int128>(0, WorstCase(p) - (p.bucket + value));
    }
  }
  return equity - std::max(required, NotionalShareModel(notional, fraction));
}

// The same rule for one isolated bucket: its cash + its position's
// withdrawable value, less max(its worst case, fraction * its notional).
int128 BucketSlackModel(const OraclePosition& p, Rate fraction) {
  return p.bucket + WithdrawValueModel(p) -
         std::max(WorstCase(p), NotionalShareModel(Abs128(p.Value()), fraction));
}

// What the margin rule decided and how close it was: slack is equity minus
// the requirement after the change (for a withdrawal, transfer or top-up,
// free collateral minus the amount; for an isolated removal, what the bucket
// could give minus what it was asked). The rule accepts at slack >= 0.
struct Decision {
  Reason reason = Reason::kOk;
  bool by_margin = false;  // reached the margin rule (slack is meaningful)
  int128 slack = 0;
};

Decision MarginVerdict(const OracleAccount& before, const OracleAccount& after) {
  const OracleRisk b = Evaluate(before), a = Evaluate(after);
  const int128 slack = a.equity - a.iwo;
  const bool ok = slack >= 0 || a.iwo <= b.iwo;  // or it does not raise the requirement
  return Decision{ok ? Reason::kOk : Reason::kInsufficientMargin, true, slack};
}

// Moving `amount` out of cross collateral (withdraw, transfer, top-up); a
// withdrawal (`held` set: total deposits - total withdrawals, the ledger's)
// must also be within what the engine holds.
Decision FreeVerdict(const OracleAccount& a, int128 amount, Rate fraction,
                     std::optional<int128> held = std::nullopt) {
  const int128 slack = CrossSlackModel(a, fraction) - amount;  // amount > 0
  if (slack < 0) return Decision{Reason::kInsufficientCollateral, true, slack};
  if (held && amount > *held) return Decision{Reason::kWithdrawalExceedsHeld};
  return Decision{Reason::kOk, true, slack};
}

// Taking `amount` out of an isolated bucket.
Decision RemovalVerdict(const OracleAccount& a, MarketId market, int128 amount, Rate fraction) {
  const OraclePosition* p = a.Find(market);
  if (p == nullptr) return Decision{Reason::kNotIsolated};
  const int128 slack = BucketSlackModel(*p, fraction) - amount;
  return Decision{slack >= 0 ? Reason::kOk : Reason::kInsufficientCollateral, true, slack};
}

// The last checks of a non-reduce-only order (engine.hpp, "Place order
// checks"): the market's index, exposure within max_open_interest, margin.
Decision OrderVerdict(const OracleAccount& a, MarketId market, const OracleMarket& m,
                      const OracleOrder& o, Rate discount) {
  if (m.refusal != Reason::kOk) return Decision{m.refusal};
  const OraclePosition* p = a.Find(market);
  const std::int64_t size = p ? p->size : 0;
  const int128 open = int128(p ? p->OpenLots(o.buy) : 0) + o.lots;
  if (Abs128(int128(size) + (o.buy ? open : -open)) > m.params->max_open_interest.raw()) {
    return Decision{Reason::kOpenInterestLimit};
  }
  OracleAccount after = a;
  OraclePosition& q = after.Record(market, m);
  q.orders.push_back(o);
  after.Charge(q, TakerFeeModel(int128(o.price) * o.lots * m.atoms, m.params->taker_fee.raw(),
                                discount.raw()));
  return MarginVerdict(a, after);
}

// The last checks of an amend of order `old` (one of the account's) to
// new_price and new_size: only one that adds size or moves the price is
// checked, against reduce-only, the index, max_open_interest and margin.
Decision AmendVerdict(const OracleAccount& a, MarketId market, const OracleOrder& old,
                      std::int64_t new_price, std::int64_t new_size, bool reduce_only) {
  if (new_size <= old.lots && new_price == old.price) return Decision{};
  if (reduce_only) return Decision{Reason::kMarketReduceOnly};
  OracleAccount after = a;
  OraclePosition* p = after.Find(market);
  if (p == nullptr) return Decision{Reason::kUnknownOrder};
  if (p->m.refusal != Reason::kOk) return Decision{p->m.refusal};
  const int128 open = int128(p->OpenLots(old.buy)) + new_size - old.lots;
  if (Abs128(int128(p->size) + (old.buy ? open : -open)) > p->m.params->max_open_interest.raw()) {
    return Decision{Reason::kOpenInterestLimit};
  }
  for (OracleOrder& o : p->orders) {
    if (o.id == old.id) {
      o.price = new_price;
      o.lots = new_size;
    }
  }
  return MarginVerdict(a, after);
}

// The last checks of a cancel-replace of `old` (one of the account's orders)
// by the order `o`: an order's, with `old` gone from the account's orders
// first. The requirement it must not raise (to pass below initial margin)
// is the one with `old` still there: the command as a whole.
Decision ReplaceVerdict(const OracleAccount& a, MarketId market, const OracleMarket& m,
                        const OracleOrder& old, const OracleOrder& o, Rate discount) {
  if (m.refusal != Reason::kOk) return Decision{m.refusal};
  OracleAccount after = a;
  if (OraclePosition* p = after.Find(market)) {
    std::erase_if(p->orders, [&](const OracleOrder& x) { return x.id == old.id; });
  }
  const OraclePosition* p = after.Find(market);
  const std::int64_t size = p ? p->size : 0;
  const int128 open = int128(p ? p->OpenLots(o.buy) : 0) + o.lots;
  if (Abs128(int128(size) + (o.buy ? open : -open)) > m.params->max_open_interest.raw()) {
    return Decision{Reason::kOpenInterestLimit};
  }
  OraclePosition& q = after.Record(market, m);
  q.orders.push_back(o);
  after.Charge(q, TakerFeeModel(int128(o.price) * o.lots * m.atoms, m.params->taker_fee.raw(),
                                discount.raw()));
  return MarginVerdict(a, after);
}

// A leverage change in a market where the account has a position or orders.
Decision LeverageVerdict(const OracleAccount& a, MarketId market, std::uint32_t leverage) {
  OracleAccount after = a;
  OraclePosition* p = after.Find(market);
  if (p == nullptr || !p->Counts()) return Decision{};
  if (!p->m.Usable()) return Decision{p->m.refusal};
  p->leverage = leverage;
  return MarginVerdict(a, after);
}

// kBoundaryBand: a decision whose slack is within this many atoms of the
// requirement counts as near the boundary (0: exactly at it, -1: one atom
// short).
constexpr int128 kBoundaryBand = 1;

// -----------------------------------------------------------------------------
// The generator. It looks at the engine (queries only) to aim at live orders,
// positions and free collateral; the ops it returns are plain values, so a
// recorded stream replays on its own. Margin decisions are aimed at the
// boundary with the margin oracle, fed here from the queries: withdrawals,
// transfers and isolated top-ups of exactly free collateral or one atom
// more, isolated removals of exactly what the bucket can give or one atom
// more, and orders and leverage changes sized to about the free collateral
// and preceded by a deposit or withdrawal that leaves equity exactly at the
// requirement they bring or one atom short of it.
// -----------------------------------------------------------------------------
class Generator {
 public:
  Generator(std::uint64_t seed, std::size_t iters)
      : rng_(seed ^ 0x656e67696e65ull), world_(WorldFor(seed)), iters_(iters) {
    for (std::size_t i = 0; i < std::size(kSpecs); ++i) {
      MarketGen m;
      m.spec = &kSpecs[i];
      m.params = ParamsFor(kSpecs[i], 0);
      m.fair = kSpecs[i].base;
      m.live = i < world_.markets;
      markets_.push_back(m);
    }
    BuildSetup();
  }

  const EngineConfig& config() const { return world_.config; }
  const World& world() const { return world_; }

  Op Next(const Engine& eng) {
    if (setup_pos_ < setup_.size()) return setup_[setup_pos_++];
    ++count_;
    phase_ = (count_ / 3000) % 3;  // 0 balanced, 1 building, 2 draining
    Op op;
    op.time = Advance();
    for (auto it = timed_.begin(); it != timed_.end(); ++it) {
      if (it->first <= count_) {
        queue_.push_back(it->second);
        timed_.erase(it);
        break;
      }
    }
    if (!queue_.empty()) {
      op.payload = queue_.front();
      queue_.erase(queue_.begin());
      return op;
    }
    std::uint64_t roll = rng_.Below(10'000);
    // Building: fewer cancels, so books reach their limits. Draining: more.
    if (phase_ == 1 && roll >= 5'000 && roll < 5'800 && rng_.Percent(70)) roll = 0;
    if (phase_ == 2 && roll < 5'000 && rng_.Percent(30)) roll = 5'000 + rng_.Below(800);
    if (roll < 4'550) {
      op.payload = NewPlace(eng);
    } else if (roll < 4'770) {
      op.payload = NewCancelReplace(eng);
    } else if (roll < 4'850) {
      op.payload = NewBoundaryReplace(eng);
    } else if (roll < 5'000) {
      op.payload = NewBoundaryOrder(eng);
    } else if (roll < 5'500) {
      op.payload = NewCancel(eng);
    } else if (roll < 5'700) {
      op.payload = NewCancelByClientId(eng);
    } else if (roll < 5'800) {
      op.payload = CancelAll{.market = rng_.Percent(40) ? 0 : PickMarketId(),
                             .account = PickAccount()};
    } else if (roll < 6'500) {
      op.payload = NewAmend(eng);
    } else if (roll < 8'280) {
      op.payload = NewOracle();
    } else if (roll < 8'300) {
      // Mostly sources 1-3 (which publish again later), some unknown ids.
      op.payload = RetireSource{
          .market = PickMarketId(),
          .source = SourceId(static_cast<std::uint32_t>(rng_.Below(8)))};
    } else if (roll < 8'500) {
      op.payload = TimeTick{.market = rng_.Percent(50) ? 0 : PickMarketId()};
    } else if (roll < 8'800) {
      op.payload = NewDeposit(eng);
    } else if (roll < 9'100) {
      op.payload = NewWithdraw(eng);
    } else if (roll < 9'350) {
      op.payload = NewTransfer(eng);
    } else if (roll < 9'380) {
      op.payload = FundInsurance{.amount = Quote(rng_.Percent(90) ? rng_.Between(1, 10'000) * kUsd
                                                                  : BadAmount())};
    } else if (roll < 9'400) {
      // Mostly account scope, so that accounts of one owner also trade.
      const std::uint64_t r = rng_.Below(100);
      op.payload = SetSelfTradeScope{
          .account = PickAccount(),
          .scope = static_cast<SelfTradeScope>(r < 2 ? 2 + rng_.Below(250) : r < 80 ? 1 : 0)};
    } else if (roll < 9'440) {
      op.payload = SetFeeTier{
          .account = PickAccount(),
          .fee_tier = rng_.Percent(3) ? kMaxU32
                                      : static_cast<std::uint32_t>(rng_.Below(
                                            world_.config.fee_tier_discounts.size() + 1))};
    } else if (roll < 9'600) {
      op.payload = NewMarginMode(eng);
    } else if (roll < 9'750) {
      if (roll < 9'650) {
        op.payload = NewLeverage();
      } else {
        op.payload = NewBoundaryLeverage(eng);
      }
    } else if (roll < 9'900) {
      op.payload = NewAdjustIsolated(eng);
    } else if (roll < 9'915) {
      op.payload = NewStatus(eng);
    } else if (roll < 9'935) {
      op.payload = NewUpdateMarket();
    } else if (roll < 9'945) {
      op.payload = NewCreateMarket();
    } else if (roll < 9'965) {
      op.payload = NewCreateAccount();
    } else {
      op.payload = NewPlace(eng);
    }
    // Sequencing faults on any command.
    const std::uint64_t fault = rng_.Below(1'000);
    if (fault < 5) {
      op.mode = SeqMode::kGap;
      static constexpr std::uint64_t kOffsets[] = {1, 2, 1'000, kMaxU64, kMaxU64 - 1,
                                                   std::uint64_t{1} << 40};
      op.seq_offset = kOffsets[rng_.Below(std::size(kOffsets))];
    } else if (fault < 10) {
      op.mode = SeqMode::kBack;
      op.time = rng_.Percent(50) ? 1 : rng_.Between(1, 5 * kSec);
    }
    return op;
  }

  // Learns accepted creations, to aim later commands at them.
  void Observe(const Op& op, bool accepted) {
    if (!accepted) return;
    if (const auto* c = std::get_if<CreateMarket>(&op.payload)) {
      for (MarketGen& m : markets_) {
        if (m.spec->id == c->market) m.live = true;
      }
    } else if (const auto* a = std::get_if<CreateAccount>(&op.payload)) {
      const bool known = std::any_of(accounts_.begin(), accounts_.end(),
                                     [&](const AccountGen& g) { return g.id == a->account; });
      if (!known) accounts_.push_back(AccountGen{a->account, a->owner, false});
    }
  }

 private:
  struct MarketGen {
    const Spec* spec = nullptr;
    MarketParams params;
    std::int64_t fair = 1;
    std::array<std::int64_t, 4> last_publish{};
    bool live = false;
  };
  struct AccountGen {
    AccountId id = 0;
    OwnerId owner = 0;
    bool isolated = false;  // trades isolated in markets 1 and 2
  };

  void BuildSetup() {
    std::int64_t t = kSec;
    auto push = [&](Payload p) {
      setup_.push_back(Op{.payload = std::move(p), .time = t});
      t += kMs;
    };
    for (std::size_t i = 0; i < world_.markets; ++i) {
      push(CreateMarket{.market = kSpecs[i].id, .params = Shared(markets_[i].params)});
    }
    const std::size_t tiers = world_.config.fee_tier_discounts.size();
    for (std::size_t i = 0; i < world_.accounts; ++i) {
      const AccountId id(1'001 + i);
      const OwnerId owner(1 + i % world_.owners);
      const AccountId referrer(i > 0 && rng_.Percent(35) ? 1'001 + rng_.Below(i) : 0);
      push(CreateAccount{.account = id,
                         .owner = owner,
                         .fee_tier = static_cast<std::uint32_t>(rng_.Below(tiers)),
                         .referrer = referrer});
      accounts_.push_back(AccountGen{id, owner, i % 5 == 2});
    }
    next_account_ = AccountId(1'001 + world_.accounts);
    static constexpr std::int64_t kDeposits[] = {0, 500, 5'000, 20'000, 200'000, 2'000'000};
    for (const AccountGen& a : accounts_) {
      const std::int64_t usd = kDeposits[rng_.Below(std::size(kDeposits))];
      if (usd > 0) push(Deposit{.account = a.id, .amount = Quote(usd * kUsd)});
    }
    push(FundInsurance{.amount = Quote(1'000'000 * kUsd)});
    for (const AccountGen& a : accounts_) {
      if (!a.isolated) continue;
      // 1u: the run-time constructor (Clang 14 crashes on the consteval one
      // inside an initializer list).
      for (MarketId m : {MarketId(1u), MarketId(2u)}) {
        push(SetMarginMode{.market = m, .account = a.id, .mode = MarginMode::kIsolated});
        push(SetLeverage{.market = m, .account = a.id, .leverage = 10});
      }
    }
    for (std::size_t i = 0; i < world_.markets; ++i) {
      for (std::uint32_t s = 1; s <= kSpecs[i].sources; ++s) {
        push(OraclePrice{.market = kSpecs[i].id,
                         .source = SourceId(s),
                         .price = Ticks(kSpecs[i].base),
                         .publish_time = TimeNs(t)});
        markets_[i].last_publish[s] = t;
      }
    }
    t_ = t;
  }

  std::int64_t Advance() {
    const std::uint64_t r = rng_.Below(1'000);
    if (r < 250) {
      // same timestamp
    } else if (r < 950) {
      t_ += rng_.Between(1, 100 * kMs);
    } else if (r < 999) {
      t_ += rng_.Between(100 * kMs, 3 * kSec);
    } else {
      t_ += rng_.Between(20 * kSec, 45 * kSec);  // sources go stale
      if (rng_.Percent(50)) queue_.push_back(TimeTick{.market = 0});
      // Mostly the feeds resume at once (some markets stay index-less a while).
      if (rng_.Percent(75)) {
        for (MarketGen* m : LiveMarkets()) {
          if (!rng_.Percent(80)) continue;
          for (std::uint32_t s = 1; s <= m->spec->sources; ++s) {
            queue_.push_back(OraclePrice{.market = m->spec->id,
                                         .source = SourceId(s),
                                         .price = Ticks(m->fair),
                                         .publish_time = TimeNs(t_)});
            m->last_publish[s] = t_;
          }
        }
      }
    }
    return t_;
  }

  std::vector<MarketGen*> LiveMarkets() {
    std::vector<MarketGen*> v;
    for (MarketGen& m : markets_) {
      if (m.live) v.push_back(&m);
    }
    return v;
  }
  MarketGen& RandomMarket() {
    std::vector<MarketGen*> live = LiveMarkets();
    return *live[rng_.Below(live.size())];
  }
  // A live market, or now and then an unknown one (nullptr).
  MarketGen* PickMarket(MarketId* id) {
    const std::uint64_t r = rng_.Below(1'000);
    if (r < 6) {
      *id = kUnknownMarketId;
      return nullptr;
    }
    if (r < 8) {
      *id = 0;
      return nullptr;
    }
    MarketGen& m = RandomMarket();
    *id = m.spec->id;
    return &m;
  }
  MarketId PickMarketId() {
    MarketId id = 0;
    PickMarket(&id);
    return id;
  }
  const AccountGen& RandomAccount() { return accounts_[rng_.Below(accounts_.size())]; }
  AccountId PickAccount() {
    const std::uint64_t r = rng_.Below(1'000);
    if (r < 6) return kUnknownAccountId;
    if (r < 8) return 0;
    return RandomAccount().id;
  }

  std::int64_t Step(const MarketGen& m) const { return std::max<std::int64_t>(1, m.fair / 2'000); }

  // The fair price: a mean-reverting walk, now and then a jump that trips
  // the TWAP guard.
  void MoveFair(MarketGen& m) {
    const std::int64_t base = m.spec->base;
    m.fair += m.fair * rng_.Between(-20, 20) / 10'000 + (base - m.fair) / 64;
    if (rng_.Below(1'000) < 1) {
      const std::int64_t jump = m.fair * rng_.Between(6, 15) / 100;
      m.fair += rng_.Percent(50) ? jump : -jump;
    }
    m.fair = std::clamp<std::int64_t>(m.fair, base / 3, base * 3);
  }

  std::int64_t BadAmount() {
    switch (rng_.Below(4)) {
      case 0: return 0;
      case 1: return -rng_.Between(1, 1'000 * kUsd);
      case 2: return kMin;
      default: return -1;
    }
  }

  // Dollars on a rough log scale: 1 .. 100k.
  std::int64_t SomeUsd() {
    std::int64_t hi = 1;
    for (std::uint64_t k = rng_.Below(6); k > 0; --k) hi *= 10;
    return rng_.Between(1, hi) * kUsd;
  }

  std::optional<AccountSummary> SummaryOf(const Engine& eng, AccountId id) {
    absl::StatusOr<AccountSummary> s = eng.Summary(id);
    if (!s.ok()) return std::nullopt;
    return *std::move(s);
  }

  // The markets as the oracle sees them, from Stats() and Params().
  void LoadMarkets(const Engine& eng) {
    view_markets_.clear();
    for (MarketId id : eng.Markets()) {
      absl::StatusOr<MarketStats> st = eng.Stats(id);
      absl::StatusOr<MarketParams> params = eng.Params(id);
      if (!st.ok() || !params.ok()) continue;
      view_params_[id] = *std::move(params);
      // (The last index is not a query: the index, or the mark, will do
      // for aiming.)
      view_markets_[id] = OracleMarket{
          .params = &view_params_[id],
          .atoms = st->atoms_per_tick_lot,
          .mark = st->mark.raw(),
          .has_index = st->index.raw() != 0,
          .refusal = st->index.raw() != 0 ? Reason::kOk : Reason::kNoIndexPrice,
          .last_index = st->index.raw() != 0 ? st->index.raw() : st->mark.raw(),
          .twap = st->twap.raw(),
          .breaker = st->breaker};
    }
  }

  // An account as the margin oracle sees it, read from the queries (the
  // generator only aims with it; the harness checks with its own ledger).
  std::optional<OracleAccount> ViewOf(const Engine& eng, AccountId id) {
    std::optional<AccountSummary> s = SummaryOf(eng, id);
    absl::StatusOr<std::vector<OpenOrder>> orders = eng.OpenOrders(id);
    if (!s || !orders.ok()) return std::nullopt;
    LoadMarkets(eng);
    OracleAccount a{.fee_tier = s->fee_tier, .cash = s->cash.raw()};
    for (const PositionView& v : s->positions) {
      const auto m = view_markets_.find(v.market);
      if (m == view_markets_.end()) return std::nullopt;
      OraclePosition p{.market = v.market,
                       .m = m->second,
                       .mode = v.mode,
                       .leverage = v.leverage,
                       .size = v.size.raw(),
                       .cost = v.cost.raw()};
      if (v.mode == MarginMode::kIsolated) p.bucket = int128(v.isolated_equity.raw()) - p.Value();
      a.positions.push_back(std::move(p));
    }
    for (const OpenOrder& o : *orders) {
      OraclePosition* p = a.Find(o.market);
      if (p == nullptr) return std::nullopt;
      p->orders.push_back(OracleOrder{.id = o.order.id,
                                      .buy = o.order.side == Side::kBuy,
                                      .price = o.order.price.raw(),
                                      .lots = o.order.remaining.raw()});
    }
    return a;
  }

  // The account's free collateral by the oracle (0 without a view).
  std::int64_t OracleFree(const Engine& eng, AccountId id) {
    std::optional<OracleAccount> a = ViewOf(eng, id);
    if (!a) return 0;
    const int128 slack = CrossSlackModel(*a, world_.config.withdraw_margin_fraction);
    return static_cast<std::int64_t>(std::clamp<int128>(slack, 0, kMax));
  }

  // An amount aimed at the account's free collateral by the oracle: exactly
  // it, one atom more, half of it, or a plain one.
  std::int64_t FreeAimed(const Engine& eng, AccountId id) {
    const std::uint64_t r = rng_.Below(100);
    if (r < 45) {
      const std::int64_t free = OracleFree(eng, id);
      if (r < 20) return free;
      if (r < 32) return free + 1;
      return free / 2;
    }
    if (r < 85) return SomeUsd() / (rng_.Percent(50) ? 10 : 1);
    if (r < 93) return BadAmount();
    return rng_.Percent(50) ? kMax : rng_.Between(1, kMax);
  }

  // A live order of some account: its market and view.
  std::optional<OpenOrder> PickLiveOrder(const Engine& eng) {
    for (int tries = 0; tries < 10; ++tries) {
      absl::StatusOr<std::vector<OpenOrder>> orders = eng.OpenOrders(RandomAccount().id);
      if (orders.ok() && !orders->empty()) return (*orders)[rng_.Below(orders->size())];
    }
    return std::nullopt;
  }

  MarketGen* GenOf(MarketId id) {
    for (MarketGen& m : markets_) {
      if (m.spec->id == id) return &m;
    }
    return nullptr;
  }

  // -- orders -----------------------------------------------------------------
  std::int64_t LimitPrice(const Engine& eng, const MarketGen& m, MarketId id, Side side) {
    const std::int64_t step = Step(m);
    const std::uint64_t r = rng_.Below(100);
    const bool buy = side == Side::kBuy;
    if (r < 68) {
      std::int64_t off = rng_.Between(-12, 12);
      if (phase_ == 1 && rng_.Percent(80)) off = -rng_.Between(1, 12);  // passive
      return std::max<std::int64_t>(1, m.fair + (buy ? off : -off) * step);
    }
    if (r < 84) {  // at, inside or through the opposite best (post-only crosses, slides)
      absl::StatusOr<std::optional<book::LevelView>> best = eng.Best(id, book::Opposite(side));
      if (best.ok() && best->has_value()) {
        return std::max<std::int64_t>(1, (*best)->price.raw() + rng_.Between(-2, 2));
      }
      return m.fair;
    }
    if (r < 91) {  // far away: deep resting orders and price-band refusals
      const std::int64_t off = rng_.Between(20, 250) * step;
      return std::max<std::int64_t>(1, rng_.Percent(50) ? m.fair + off : m.fair - off);
    }
    if (r < 94) {
      switch (rng_.Below(3)) {
        case 0: return 0;
        case 1: return -rng_.Between(1, 100);
        default: return kMin;
      }
    }
    if (r < 97) return rng_.Percent(50) ? m.params.max_price.raw() + rng_.Between(1, 10) : kMax;
    return rng_.Percent(50) ? 1 : m.params.max_price.raw();
  }

  std::int64_t ProtectionPrice(const MarketGen& m, Side side) {
    const bool buy = side == Side::kBuy;
    const std::uint64_t r = rng_.Below(100);
    if (r < 72) return std::max<std::int64_t>(1, buy ? m.fair * 102 / 100 : m.fair * 98 / 100);
    if (r < 82) return buy ? m.params.max_price.raw() : 1;
    if (r < 92) return std::max<std::int64_t>(1, buy ? m.fair * 95 / 100 : m.fair * 105 / 100);
    if (r < 96) return buy ? 1 : m.params.max_price.raw();
    return rng_.Percent(50) ? 0 : kMax;
  }

  std::int64_t OrderSize(const MarketGen& m) {
    const std::int64_t unit = m.spec->unit;
    const std::int64_t max_size = m.params.max_order_size.raw();
    const std::uint64_t r = rng_.Below(100);
    if (r < 68) return unit * rng_.Between(1, 10);
    if (r < 83) return unit * rng_.Between(10, 100);
    if (r < 89) return rng_.Between(1, unit);
    if (r < 94) return std::min(max_size, unit * rng_.Between(100, 5'000));
    if (r < 96) return rng_.Percent(50) ? 0 : (rng_.Percent(50) ? -rng_.Between(1, 10) : kMin);
    if (r < 98) return rng_.Percent(50) ? max_size : max_size + 1;
    return rng_.Percent(50) ? kMax : max_size * 1'000;
  }

  PlaceOrder NewPlace(const Engine& eng) {
    PlaceOrder c;
    MarketGen* m = PickMarket(&c.market);
    MarketGen& g = m ? *m : RandomMarket();
    PlaceOrder& o = c;
    const std::uint64_t id_roll = rng_.Below(1'000);
    if (id_roll < 8) {
      o.order_id = OrderId();
    } else if (id_roll < 25) {
      std::optional<OpenOrder> live = PickLiveOrder(eng);
      o.order_id = live ? live->order.id : OrderId(next_order_++);
    } else {
      o.order_id = OrderId(next_order_++);
    }
    o.account = PickAccount();
    o.client_id = ClientOrderId(rng_.Percent(60) ? 0 : 1 + rng_.Below(8));
    o.side = rng_.Below(1'000) < 4 ? static_cast<Side>(2 + rng_.Below(254))
                                   : static_cast<Side>(rng_.Below(2));
    const std::uint64_t type_roll = rng_.Below(1'000);
    o.type = type_roll < 3     ? static_cast<OrderType>(2 + rng_.Below(254))
             : type_roll < 150 ? OrderType::kMarket
                               : OrderType::kLimit;
    const std::uint64_t tif_roll = rng_.Below(100);
    if (rng_.Below(1'000) < 3) {
      o.tif = static_cast<TimeInForce>(5 + rng_.Below(251));
    } else if (o.type == OrderType::kMarket) {
      o.tif = tif_roll < 55   ? TimeInForce::kIoc
              : tif_roll < 95 ? TimeInForce::kFok
                              : static_cast<TimeInForce>(rng_.Below(5));
    } else {
      o.tif = tif_roll < 44   ? TimeInForce::kGtc
              : tif_roll < 60 ? TimeInForce::kIoc
              : tif_roll < 70 ? TimeInForce::kFok
              : tif_roll < 85 ? TimeInForce::kPostOnly
                              : TimeInForce::kPostOnlySlide;
    }
    o.stp = rng_.Below(1'000) < 3 ? static_cast<StpMode>(4 + rng_.Below(252))
                                  : static_cast<StpMode>(rng_.Below(4));
    const Side side = o.side == Side::kSell ? Side::kSell : Side::kBuy;
    o.price = Ticks(o.type == OrderType::kMarket ? ProtectionPrice(g, side)
                                                 : LimitPrice(eng, g, c.market, side));
    o.size = Lots(OrderSize(g));
    if (rng_.Below(100) < 7) MakeReduceOnly(eng, &c);
    return c;
  }

  // Aims a reduce-only order at an account with a position (mostly the right
  // side, mostly immediate, mostly marketable).
  void MakeReduceOnly(const Engine& eng, PlaceOrder* c) {
    c->reduce_only = true;
    PlaceOrder& o = *c;
    for (int tries = 0; tries < 4; ++tries) {
      const AccountGen& a = RandomAccount();
      std::optional<AccountSummary> s = SummaryOf(eng, a.id);
      if (!s) continue;
      for (const PositionView& p : s->positions) {
        if (p.size.raw() == 0 || rng_.Percent(30)) continue;
        MarketGen* g = GenOf(p.market);
        if (g == nullptr) continue;
        const std::int64_t size = p.size.raw() > 0 ? p.size.raw() : -p.size.raw();
        c->market = p.market;
        o.account = a.id;
        o.side = (p.size.raw() > 0) == rng_.Percent(88) ? Side::kSell : Side::kBuy;
        const std::uint64_t r = rng_.Below(100);
        o.type = r < 25 ? OrderType::kMarket : OrderType::kLimit;
        o.tif = r < 25 ? (rng_.Percent(60) ? TimeInForce::kIoc : TimeInForce::kFok)
                : r < 60 ? TimeInForce::kIoc
                : r < 92 ? TimeInForce::kFok
                : r < 96 ? TimeInForce::kGtc
                         : TimeInForce::kPostOnly;
        const bool sell = o.side == Side::kSell;
        o.price = Ticks(std::max<std::int64_t>(
            1, rng_.Percent(85) ? (sell ? g->fair * 97 / 100 : g->fair * 103 / 100)
                                : (sell ? g->fair * 101 / 100 : g->fair * 99 / 100)));
        const std::uint64_t q = rng_.Below(100);
        o.size = Lots(q < 40   ? size
                      : q < 70 ? rng_.Between(1, size)
                      : q < 95 ? size + rng_.Between(1, size)
                               : g->params.max_order_size.raw() + 1);
        return;
      }
    }
    // No position found: whatever was generated (kReduceOnlyWouldIncrease).
  }

  CancelOrder NewCancel(const Engine& eng) {
    CancelOrder c;
    if (rng_.Percent(80)) {
      if (std::optional<OpenOrder> live = PickLiveOrder(eng)) {
        c.market = live->market;
        c.account = live->order.account;
        c.order_id = live->order.id;
        const std::uint64_t r = rng_.Below(100);
        if (r < 5) c.account = RandomAccount().id;  // kNotOrderOwner, mostly
        if (r >= 5 && r < 9) c.market = PickMarketId();
        return c;
      }
    }
    c.market = PickMarketId();
    c.account = PickAccount();
    c.order_id = OrderId(rng_.Percent(10) ? 0 : 1 + rng_.Below(next_order_ + 100));
    return c;
  }

  CancelByClientId NewCancelByClientId(const Engine& eng) {
    CancelByClientId c;
    if (rng_.Percent(70)) {
      if (std::optional<OpenOrder> live = PickLiveOrder(eng)) {
        if (live->order.client_id != 0) {
          c.market = live->market;
          c.account = live->order.account;
          c.client_id = live->order.client_id;
          return c;
        }
      }
    }
    c.market = PickMarketId();
    c.account = PickAccount();
    c.client_id = ClientOrderId(rng_.Percent(10) ? 0 : 1 + rng_.Below(8));
    return c;
  }

  AmendOrder NewAmend(const Engine& eng) {
    AmendOrder c;
    std::optional<OpenOrder> live = PickLiveOrder(eng);
    if (!live) {
      c.market = PickMarketId();
      c.account = PickAccount();
      c.order_id = OrderId(1 + rng_.Below(next_order_ + 10));
      c.new_price = Ticks(1000);
      c.new_size = Lots(1);
      return c;
    }
    MarketGen* g = GenOf(live->market);
    const std::int64_t step = g ? Step(*g) : 1;
    const std::int64_t max_size = g ? g->params.max_order_size.raw() : 1'000;
    const book::OrderView& v = live->order;
    c.market = rng_.Percent(97) ? live->market : PickMarketId();
    c.account = rng_.Percent(95) ? v.account : RandomAccount().id;
    c.order_id = v.id;
    const std::uint64_t pr = rng_.Below(100);
    std::int64_t np = v.price.raw();
    if (pr < 35) {
      np = v.price.raw();
    } else if (pr < 75) {
      np = v.price.raw() + rng_.Between(-5, 5) * step;
    } else if (pr < 85) {  // toward or through the opposite best
      absl::StatusOr<std::optional<book::LevelView>> best =
          eng.Best(live->market, book::Opposite(v.side));
      np = best.ok() && best->has_value() ? (*best)->price.raw() + rng_.Between(-2, 2)
                                          : v.price.raw();
    } else if (pr < 90) {
      np = g ? g->fair + rng_.Between(-10, 10) * step : np;
    } else if (pr < 95) {
      np = rng_.Percent(50) ? 0 : -rng_.Between(1, 100);
    } else {
      np = g && rng_.Percent(70) ? g->params.max_price.raw() + 1 : kMax;
    }
    const std::int64_t rem = v.remaining.raw();
    const std::uint64_t sr = rng_.Below(100);
    std::int64_t ns = rem;
    if (sr < 30) {
      ns = rem;
    } else if (sr < 55) {
      ns = rem > 1 ? rng_.Between(1, rem - 1) : rem;
    } else if (sr < 85) {
      ns = rem + rng_.Between(1, 3) * (g ? g->spec->unit : 1);
    } else if (sr < 90) {
      ns = rng_.Percent(50) ? 0 : -rng_.Between(1, 10);
    } else if (sr < 95) {
      ns = rng_.Percent(50) ? max_size : max_size + 1;
    } else {
      ns = rng_.Percent(50) ? kMax : rem * 1'000;
    }
    c.new_price = Ticks(std::max<std::int64_t>(np, kMin));
    c.new_size = Lots(ns);
    return c;
  }

  // A cancel-replace, mostly of a live order by its owner: the new order on
  // the same side or the other, near the old price or anywhere an order
  // goes, the old id and client id reused now and then; else an unknown or
  // another account's order.
  CancelReplace NewCancelReplace(const Engine& eng) {
    CancelReplace c;
    std::optional<OpenOrder> live = rng_.Percent(93) ? PickLiveOrder(eng) : std::nullopt;
    if (!live) {
      const PlaceOrder p = NewPlace(eng);
      return Replacing(OrderId(rng_.Percent(10) ? 0 : 1 + rng_.Below(next_order_ + 10)), p);
    }
    const book::OrderView& v = live->order;
    MarketGen* g = GenOf(live->market);
    MarketGen& m = g ? *g : RandomMarket();
    c.market = rng_.Percent(98) ? live->market : PickMarketId();
    c.account = rng_.Percent(96) ? v.account : RandomAccount().id;
    c.old_order_id = v.id;
    CancelReplace& o = c;
    const std::uint64_t id_roll = rng_.Below(100);
    o.order_id = id_roll < 35   ? v.id
           : id_roll < 97 ? OrderId(next_order_++)
                          : PickLiveOrder(eng).value_or(*live).order.id;
    o.client_id = rng_.Percent(30)
                      ? v.client_id
                      : ClientOrderId(rng_.Percent(60) ? 0 : 1 + rng_.Below(8));
    o.side = rng_.Percent(75) ? v.side : book::Opposite(v.side);
    const std::uint64_t r = rng_.Below(100);
    o.type = r < 8 ? OrderType::kMarket : OrderType::kLimit;
    if (o.type == OrderType::kMarket) {
      o.tif = rng_.Percent(60) ? TimeInForce::kIoc : TimeInForce::kFok;
    } else {
      o.tif = r < 55   ? TimeInForce::kGtc
              : r < 63 ? TimeInForce::kIoc
              : r < 70 ? TimeInForce::kFok
              : r < 88 ? TimeInForce::kPostOnly
                       : TimeInForce::kPostOnlySlide;
    }
    o.stp = static_cast<StpMode>(rng_.Below(4));
    const std::int64_t step = Step(m);
    if (o.type == OrderType::kMarket) {
      o.price = Ticks(ProtectionPrice(m, o.side));
    } else if (rng_.Percent(45)) {
      o.price = Ticks(std::max<std::int64_t>(1, v.price.raw() + rng_.Between(-4, 4) * step));
    } else {
      o.price = Ticks(LimitPrice(eng, m, live->market, o.side));
    }
    const std::int64_t rem = v.remaining.raw();
    o.size = Lots(rng_.Percent(50) ? std::max<std::int64_t>(1, rem + rng_.Between(-2, 3) * m.spec->unit)
                                   : OrderSize(m));
    if (rng_.Percent(5)) {  // reduce-only (mostly kReduceOnlyNotImmediate or WouldIncrease)
      c.reduce_only = true;
      if (rng_.Percent(70)) o.tif = TimeInForce::kIoc;
    }
    return c;
  }

  // A cancel-replace sized to about the account's free collateral, placed
  // at the margin boundary as NewBoundaryOrder places an order.
  Payload NewBoundaryReplace(const Engine& eng) {
    for (int tries = 0; tries < 4; ++tries) {
      std::optional<OpenOrder> live = PickLiveOrder(eng);
      if (!live) break;
      const AccountId account = live->order.account;
      std::optional<OracleAccount> a = ViewOf(eng, account);
      MarketGen* g = GenOf(live->market);
      if (!a || g == nullptr) continue;
      const auto mit = view_markets_.find(live->market);
      if (mit == view_markets_.end() || !mit->second.has_index || mit->second.mark <= 0) continue;
      const OracleMarket& m = mit->second;
      const OracleRisk before = Evaluate(*a);
      const book::OrderView& v = live->order;
      const bool buy = rng_.Percent(70) ? v.side == Side::kBuy : rng_.Percent(50);
      const std::int64_t off = rng_.Between(-3, 10) * Step(*g);
      const std::int64_t price =
          std::clamp<std::int64_t>(g->fair + (buy ? -off : off), 1, m.params->max_price.raw());
      const OraclePosition* p = a->Find(live->market);
      const std::uint32_t lev = p ? p->Leverage() : m.params->max_leverage;
      const int128 per_lot = int128(price) * m.atoms / lev + 1;
      int128 lots = rng_.Percent(70) ? before.Free() / per_lot + v.remaining.raw()
                                     : g->spec->unit * rng_.Between(1, 5);
      lots = std::clamp<int128>(lots, 1, m.params->max_order_size.raw());
      const Rate discount = world_.config.fee_tier_discounts[a->fee_tier];
      const OracleOrder old{.id = v.id,
                            .buy = v.side == Side::kBuy,
                            .price = v.price.raw(),
                            .lots = v.remaining.raw()};
      const OrderId id = rng_.Percent(40) ? v.id : OrderId(next_order_++);
      for (int halvings = 0; halvings < 8; ++halvings, lots = std::max<int128>(1, lots / 2)) {
        const OracleOrder o{.id = id, .buy = buy, .price = price,
                            .lots = static_cast<std::int64_t>(lots)};
        const Decision d = ReplaceVerdict(*a, live->market, m, old, o, discount);
        if (d.reason == Reason::kOpenInterestLimit) continue;
        const std::uint64_t r = rng_.Below(100);
        CancelReplace c{.market = live->market,
                        .account = account,
                        .old_order_id = v.id,
                        .order_id = id,
                        .side = buy ? Side::kBuy : Side::kSell,
                        .type = OrderType::kLimit,
                        .tif = r < 60   ? TimeInForce::kGtc
                                         : r < 80 ? TimeInForce::kIoc
                                                  : TimeInForce::kPostOnly,
                        .price = Ticks(price),
                        .size = Lots(o.lots)};
        if (std::optional<Payload> op = AtBoundary(account, d, before.Free(), c)) return *op;
        break;
      }
    }
    return NewCancelReplace(eng);
  }

  // -- oracle -----------------------------------------------------------------
  OraclePrice NewOracle() {
    OraclePrice c;
    MarketGen* mp = PickMarket(&c.market);
    MarketGen& m = mp ? *mp : RandomMarket();
    const std::uint64_t sr = rng_.Below(1'000);
    c.source = SourceId(static_cast<std::uint32_t>(
        sr < 5 ? 0 : sr < 8 ? 4 + rng_.Below(30) : 1 + rng_.Below(m.spec->sources)));
    // Source 3 is a slow publisher: it goes stale now and then, so the
    // fresh set changes between publishes and ticks matter.
    if (c.source == 3 && rng_.Percent(85)) {
      c.source = SourceId(static_cast<std::uint32_t>(1 + rng_.Below(2)));
    }
    MoveFair(m);
    const std::uint64_t pr = rng_.Below(1'000);
    std::int64_t price = m.fair + m.fair * rng_.Between(-5, 5) / 10'000;
    if (pr < 10) {  // an outlier: trips the source-deviation guard
      const std::int64_t off = m.fair * rng_.Between(300, 5'000) / 10'000;
      price = rng_.Percent(50) ? m.fair + off : std::max<std::int64_t>(1, m.fair - off / 2);
    } else if (pr < 17) {
      price = rng_.Percent(50) ? 0 : -rng_.Between(1, 1'000);
    } else if (pr < 23) {
      price = rng_.Percent(50) ? m.params.max_price.raw() + 1 : kMax;
    }
    c.price = Ticks(price);
    std::int64_t& last =
        m.last_publish[c.source.value() < m.last_publish.size() ? c.source.value() : 0];
    const std::uint64_t tr = rng_.Below(1'000);
    std::int64_t publish = t_ - rng_.Between(0, 500 * kMs);
    if (tr < 25) {
      publish = t_ + rng_.Between(1, 2 * kSec);  // from the future
    } else if (tr < 50) {
      publish = last - rng_.Between(1, kSec);  // out of order
    } else if (tr < 70) {
      publish = t_ - rng_.Between(25 * kSec, 60 * kSec);  // stale on arrival
    }
    c.publish_time = TimeNs(publish);
    if (publish <= t_) last = std::max(last, publish);
    return c;
  }

  // -- money ------------------------------------------------------------------
  Deposit NewDeposit(const Engine& eng) {
    Deposit c{.account = PickAccount()};
    const std::uint64_t r = rng_.Below(1'000);
    if (r < 850) {
      c.amount = Quote(SomeUsd());
    } else if (r < 900) {
      c.amount = Quote(rng_.Between(1, 999));
    } else if (r < 950) {
      c.amount = Quote(BadAmount());
    } else if (r < 995) {
      c.amount = rng_.Percent(50) ? Quote::Max() : Quote(kMaxTotalDeposits);
    } else {
      // Exactly up to the cap (accepted), then straight back out, into an
      // account with nothing open and no debt, so the withdrawal passes.
      c.amount = Quote::Max();
      for (int tries = 0; tries < 8; ++tries) {
        const AccountGen& a = RandomAccount();
        std::optional<AccountSummary> s = SummaryOf(eng, a.id);
        if (!s || s->cash.raw() < 0 ||
            std::any_of(s->positions.begin(), s->positions.end(), [](const PositionView& p) {
              return p.size.raw() != 0 || p.open_orders != 0;
            })) {
          continue;
        }
        const int128 room = int128(kMaxTotalDeposits) -
                            (eng.total_deposits() - eng.total_withdrawals());
        c.account = a.id;
        c.amount = Quote(static_cast<std::int64_t>(std::clamp(room, int128(1), int128(kMax))));
        queue_.push_back(Withdraw{.account = c.account, .amount = c.amount});
        break;
      }
    }
    return c;
  }

  Withdraw NewWithdraw(const Engine& eng) {
    Withdraw c{.account = PickAccount()};
    c.amount = Quote(FreeAimed(eng, c.account));
    return c;
  }

  Transfer NewTransfer(const Engine& eng) {
    Transfer c;
    const AccountGen& from = RandomAccount();
    c.from = rng_.Percent(97) ? from.id : PickAccount();
    const std::uint64_t r = rng_.Below(100);
    c.to = RandomAccount().id;
    if (r < 65) {  // same owner, another account
      std::vector<AccountId> same;
      for (const AccountGen& a : accounts_) {
        if (a.owner == from.owner && a.id != from.id) same.push_back(a.id);
      }
      if (!same.empty()) c.to = same[rng_.Below(same.size())];
    } else if (r < 75) {
      c.to = c.from;
    } else if (r < 80) {
      c.to = PickAccount();
    }
    c.amount = Quote(FreeAimed(eng, c.from));
    return c;
  }

  // -- margin -----------------------------------------------------------------
  Payload NewMarginMode(const Engine& eng) {
    SetMarginMode c{.market = PickMarketId(), .account = PickAccount()};
    c.mode = rng_.Percent(55) ? MarginMode::kIsolated : MarginMode::kCross;
    const std::uint64_t r = rng_.Below(100);
    if (r < 4) {
      c.mode = static_cast<MarginMode>(2 + rng_.Below(254));
    } else if (r < 30) {
      // Flatten and switch: cancel the account's orders in the market, close
      // its position with a marketable reduce-only order, then switch.
      const AccountGen& a = RandomAccount();
      MarketGen& m = RandomMarket();
      c.account = a.id;
      c.market = m.spec->id;
      if (std::optional<AccountSummary> s = SummaryOf(eng, a.id)) {
        for (const PositionView& p : s->positions) {
          if (p.market != m.spec->id || p.size.raw() == 0) continue;
          const bool sell = p.size.raw() > 0;
          queue_.push_back(PlaceOrder{.market = m.spec->id,
                                      .account = a.id,
                                      .order_id = OrderId(next_order_++),
                                      .side = sell ? Side::kSell : Side::kBuy,
                                      .type = OrderType::kMarket,
                                      .tif = TimeInForce::kIoc,
                                      .reduce_only = true,
                                      .price = Ticks(sell ? std::max<std::int64_t>(1, m.fair * 90 / 100)
                                            : m.fair * 110 / 100),
                                      .size = Lots(sell ? p.size.raw() : -p.size.raw())});
        }
      }
      queue_.push_back(c);
      return CancelAll{.market = m.spec->id, .account = a.id};
    } else if (r < 70) {
      // A market where the account has nothing yet.
      const AccountGen& a = RandomAccount();
      if (std::optional<AccountSummary> s = SummaryOf(eng, a.id)) {
        for (MarketGen* m : LiveMarkets()) {
          const auto it =
              std::find_if(s->positions.begin(), s->positions.end(),
                           [&](const PositionView& v) { return v.market == m->spec->id; });
          if (it == s->positions.end() || (it->size.raw() == 0 && it->open_orders == 0)) {
            c.account = a.id;
            c.market = m->spec->id;
            if (rng_.Percent(50)) break;
          }
        }
      }
    }
    return c;
  }

  SetLeverage NewLeverage() {
    SetLeverage c{.account = PickAccount()};
    MarketGen* m = PickMarket(&c.market);
    const std::uint32_t max = m ? m->params.max_leverage : 20;
    const std::uint64_t r = rng_.Below(100);
    c.leverage = r < 80   ? static_cast<std::uint32_t>(rng_.Between(1, max))
                 : r < 88 ? static_cast<std::uint32_t>(rng_.Between(1, 3))
                 : r < 94 ? max + static_cast<std::uint32_t>(rng_.Between(1, 10))
                 : r < 97 ? 0
                          : kMaxU32;
    return c;
  }

  AdjustIsolatedMargin NewAdjustIsolated(const Engine& eng) {
    AdjustIsolatedMargin c{.market = PickMarketId(), .account = PickAccount()};
    const std::uint64_t r = rng_.Below(100);
    if (r < 85) {
      for (int tries = 0; tries < 6; ++tries) {
        const AccountGen& a = RandomAccount();
        if (!a.isolated && tries < 4) continue;
        std::optional<AccountSummary> s = SummaryOf(eng, a.id);
        if (!s) continue;
        for (const PositionView& p : s->positions) {
          if (p.mode != MarginMode::kIsolated || p.size.raw() == 0) continue;
          c.account = a.id;
          c.market = p.market;
          const std::uint64_t k = rng_.Below(100);
          if (k < 30) {
            c.delta = Quote(SomeUsd() / 10);
          } else if (k < 50) {
            // Exactly all of free collateral or one atom more (0: kInvalidAmount).
            c.delta = Quote(OracleFree(eng, a.id) + (k < 40 ? 0 : 1));
          } else if (k < 65) {
            // Exactly what the bucket can give (bucket + value - its worst
            // case), or one atom more.
            std::optional<OracleAccount> view = ViewOf(eng, a.id);
            const OraclePosition* op = view ? view->Find(p.market) : nullptr;
            const int128 spare =
                op ? BucketSlackModel(*op, world_.config.withdraw_margin_fraction) : 0;
            const int128 take = std::clamp<int128>(spare + (k < 57 ? 0 : 1), 1, kMax);
            c.delta = Quote(-static_cast<std::int64_t>(take));
          } else if (k < 80) {
            c.delta = Quote(-rng_.Between(1, std::max<std::int64_t>(1, p.isolated_equity.raw() / 4)));
          } else if (k < 90) {
            c.delta = Quote(-std::max<std::int64_t>(1, p.isolated_equity.raw()));
          } else {
            c.delta = rng_.Percent(50) ? Quote::Min() : (rng_.Percent(50) ? Quote(0) : Quote::Max());
          }
          return c;
        }
      }
    }
    c.delta = Quote(rng_.Percent(50) ? SomeUsd() : -SomeUsd());
    return c;
  }

  // -- at the margin boundary ------------------------------------------------
  // `change` with the cash move that leaves its decision's slack (equity
  // minus requirement after it, by the oracle) at 0 or -1: a deposit of the
  // difference or a withdrawal within free collateral, then `change` (queued
  // right behind it, so nothing moves the account or the marks in between).
  // nullopt if the move would be a withdrawal beyond free collateral or
  // beyond kMaxBoundaryMove.
  std::optional<Payload> AtBoundary(AccountId account, const Decision& d, int128 free,
                                    Payload change) {
    constexpr int128 kMaxBoundaryMove = 50'000 * kUsd;
    if (!d.by_margin) return std::nullopt;
    const int128 add = (rng_.Percent(50) ? 0 : -1) - d.slack;  // to equity
    if (add == 0) return change;
    if (add < -free || add > kMaxBoundaryMove || add < -kMaxBoundaryMove) return std::nullopt;
    queue_.push_back(std::move(change));
    const auto amount = Quote(static_cast<std::int64_t>(add > 0 ? add : -add));
    if (add > 0) return Deposit{.account = account, .amount = amount};
    return Withdraw{.account = account, .amount = amount};
  }

  // An order of about the account's free collateral near the fair price
  // (mostly resting), placed at the margin boundary.
  Payload NewBoundaryOrder(const Engine& eng) {
    for (int tries = 0; tries < 4; ++tries) {
      const AccountGen& acct = RandomAccount();
      std::optional<OracleAccount> a = ViewOf(eng, acct.id);
      if (!a) continue;
      MarketGen& g = RandomMarket();
      const MarketId id = g.spec->id;
      const auto mit = view_markets_.find(id);
      if (mit == view_markets_.end() || !mit->second.has_index || mit->second.mark <= 0) continue;
      const OracleMarket& m = mit->second;
      const OracleRisk before = Evaluate(*a);
      const bool buy = rng_.Percent(50);
      const std::int64_t off = rng_.Between(-3, 10) * Step(g);
      const std::int64_t price =
          std::clamp<std::int64_t>(g.fair + (buy ? -off : off), 1, m.params->max_price.raw());
      const OraclePosition* p = a->Find(id);
      const std::uint32_t lev = p ? p->Leverage() : m.params->max_leverage;
      // Lots that use roughly the free collateral at this leverage, or a
      // few units paid for by a deposit.
      const int128 per_lot = int128(price) * m.atoms / lev + 1;
      int128 lots = rng_.Percent(70) ? before.Free() / per_lot : g.spec->unit * rng_.Between(1, 5);
      lots = std::clamp<int128>(lots, 1, m.params->max_order_size.raw());
      const Rate discount = world_.config.fee_tier_discounts[a->fee_tier];
      for (int halvings = 0; halvings < 8; ++halvings, lots = std::max<int128>(1, lots / 2)) {
        const OracleOrder o{.id = OrderId(next_order_),
                            .buy = buy,
                            .price = price,
                            .lots = static_cast<std::int64_t>(lots)};
        const Decision d = OrderVerdict(*a, id, m, o, discount);
        if (d.reason == Reason::kOpenInterestLimit) continue;
        const std::uint64_t r = rng_.Below(100);
        PlaceOrder c{.market = id,
                     .account = acct.id,
                     .order_id = OrderId(next_order_++),
                     .side = buy ? Side::kBuy : Side::kSell,
                     .type = OrderType::kLimit,
                     .tif = r < 60   ? TimeInForce::kGtc
                                      : r < 80 ? TimeInForce::kIoc
                                               : TimeInForce::kPostOnly,
                     .price = Ticks(price),
                     .size = Lots(o.lots)};
        if (std::optional<Payload> op = AtBoundary(acct.id, d, before.Free(), c)) return *op;
        break;
      }
    }
    return NewPlace(eng);
  }

  // A leverage cut on a market where the account has a position or orders,
  // at the margin boundary.
  Payload NewBoundaryLeverage(const Engine& eng) {
    for (int tries = 0; tries < 4; ++tries) {
      const AccountGen& acct = RandomAccount();
      std::optional<OracleAccount> a = ViewOf(eng, acct.id);
      if (!a) continue;
      std::vector<const OraclePosition*> open;
      for (const OraclePosition& p : a->positions) {
        if (p.Counts() && p.Leverage() > 1) open.push_back(&p);
      }
      if (open.empty()) continue;
      const OraclePosition& p = *open[rng_.Below(open.size())];
      const auto leverage = static_cast<std::uint32_t>(rng_.Between(1, p.Leverage() - 1));
      const Decision d = LeverageVerdict(*a, p.market, leverage);
      const SetLeverage c{.market = p.market, .account = acct.id, .leverage = leverage};
      if (std::optional<Payload> op = AtBoundary(acct.id, d, Evaluate(*a).Free(), c)) return *op;
    }
    return NewLeverage();
  }

  // -- markets and accounts ---------------------------------------------------
  SetMarketStatus NewStatus(const Engine& eng) {
    SetMarketStatus c;
    MarketGen* m = PickMarket(&c.market);
    MarketStatus now_status = MarketStatus::kActive;
    if (m) {
      absl::StatusOr<MarketStats> st = eng.Stats(c.market);
      if (st.ok()) now_status = st->status;
    }
    const std::uint64_t r = rng_.Below(100);
    if (now_status != MarketStatus::kActive && r < 90) {
      c.status = MarketStatus::kActive;
    } else if (r < 40) {
      c.status = MarketStatus::kReduceOnly;
    } else if (r < 85) {
      c.status = MarketStatus::kHalted;
    } else if (r < 93) {
      c.status = static_cast<MarketStatus>(4 + rng_.Below(252));
    } else {
      // Delisting is final: only the late market, and only late in the run.
      const bool late = m && m->spec == &kSpecs[kLateSpec] && count_ * 10 > iters_ * 9;
      c.status = late ? MarketStatus::kDelisted : MarketStatus::kReduceOnly;
    }
    // Halts and reduce-only spells are short: back to active a little later.
    if (m && (c.status == MarketStatus::kHalted || c.status == MarketStatus::kReduceOnly)) {
      timed_.emplace_back(count_ + static_cast<std::uint64_t>(rng_.Between(20, 400)),
                          SetMarketStatus{.market = c.market, .status = MarketStatus::kActive});
    }
    return c;
  }

  UpdateMarket NewUpdateMarket() {
    UpdateMarket c;
    MarketGen* m = PickMarket(&c.market);
    const Spec& spec = m ? *m->spec : kSpecs[0];
    const std::uint64_t r = rng_.Below(100);
    MarketParams p = ParamsFor(spec, static_cast<std::uint32_t>(rng_.Below(3)));
    if (r < 10) {
      p.tick_size.mantissa += 1;  // kParamImmutable
    } else if (r < 15) {
      p.max_orders_per_account += 1;  // kParamImmutable
    } else if (r < 22) {
      p.maker_fee = Rate(-p.taker_fee.raw());  // rebate too large
    } else if (r < 27) {
      p.symbol = rng_.Percent(50) ? "" : "BAD SYMBOL";
    } else if (r < 32) {
      p.max_leverage = p.tiers[0].max_leverage + 1;
    } else if (r < 36) {
      p.tiers[0].notional_floor = Quote(1);
    }
    if (m && r >= 36) m->params = p;  // valid: the generator follows it
    c.params = Shared(std::move(p));
    return c;
  }

  CreateMarket NewCreateMarket() {
    CreateMarket c;
    MarketParams p;
    const std::uint64_t r = rng_.Below(100);
    if (r < 30) {
      MarketGen& m = RandomMarket();
      c.market = m.spec->id;
      p = m.params;  // kMarketExists
    } else if (r < 45) {
      c.market = 0;
      p = ParamsFor(kSpecs[0], 0);
    } else if (r < 65) {
      c.market = MarketId(static_cast<std::uint32_t>(50 + rng_.Below(10)));
      p = ParamsFor(kSpecs[kLateSpec], 0);
      switch (rng_.Below(5)) {
        case 0: p.tick_size = {1, -5}; p.lot_size = {1, -3}; break;  // 0.01 atom
        case 1: p.lot_size.mantissa = 0; break;
        case 2: p.max_price = Ticks(kMax / 2); break;  // notional bound
        case 3: p.oracle.min_sources = 0; break;
        default: p.max_order_size = Lots(p.max_open_interest.raw() + 1); break;
      }
    } else {
      // The late market (accepted once), or a further one past max_markets.
      c.market = r < 85 ? kSpecs[kLateSpec].id
                        : MarketId(static_cast<std::uint32_t>(60 + rng_.Below(5)));
      p = ParamsFor(kSpecs[kLateSpec], 0);
    }
    c.params = Shared(std::move(p));
    return c;
  }

  CreateAccount NewCreateAccount() {
    CreateAccount c;
    const std::size_t tiers = world_.config.fee_tier_discounts.size();
    c.account = next_account_;
    c.owner = OwnerId(1 + rng_.Below(world_.owners + 2));
    c.fee_tier = static_cast<std::uint32_t>(rng_.Below(tiers));
    c.referrer = rng_.Percent(40) ? RandomAccount().id : 0;
    const std::uint64_t r = rng_.Below(100);
    if (r < 45) {
      next_account_ = AccountId(next_account_.value() + 1);
    } else if (r < 60) {
      c.account = RandomAccount().id;  // kAccountExists
    } else if (r < 68) {
      c.account = 0;
    } else if (r < 76) {
      c.owner = 0;
    } else if (r < 84) {
      c.referrer = rng_.Percent(50) ? c.account : kUnknownAccountId;
    } else if (r < 92) {
      c.fee_tier = static_cast<std::uint32_t>(tiers + rng_.Below(3));
    } else {
      next_account_ = AccountId(next_account_.value() + 1);
    }
    return c;
  }

  Rng rng_;
  World world_;
  std::size_t iters_ = 0;
  std::vector<Op> setup_;
  std::size_t setup_pos_ = 0;
  std::vector<Payload> queue_;
  std::vector<std::pair<std::uint64_t, Payload>> timed_;  // (due count, command)
  std::vector<MarketGen> markets_;
  std::vector<AccountGen> accounts_;
  std::map<MarketId, MarketParams> view_params_;  // LoadMarkets(): the engine's
  std::map<MarketId, OracleMarket> view_markets_;
  AccountId next_account_;
  std::uint64_t next_order_ = 1;  // the next fresh order id
  std::int64_t t_ = 0;
  std::uint64_t count_ = 0, phase_ = 0;
};

// -----------------------------------------------------------------------------
// The harness: applies one op to the engine (and its twins) and checks.
// -----------------------------------------------------------------------------
struct Options {
  bool checks = false;             // every per-command check and the ledger
  bool twins = false;              // determinism against twins and a copy
  std::size_t ledger_every = 997;  // full ledger/summary comparison (and at the end)
};

// The margin decisions the oracle checks, by kind.
enum DecisionKind : std::size_t {
  kWithdrawalDecision,
  kTransferDecision,
  kTopUpDecision,
  kRemovalDecision,
  kOrderDecision,
  kAmendDecision,
  kReplaceDecision,
  kLeverageDecision,
  kDecisionKinds
};
constexpr const char* kDecisionNames[] = {"withdrawal", "transfer", "isolated top-up",
                                          "isolated removal", "order", "amend",
                                          "cancel-replace", "leverage"};
static_assert(std::size(kDecisionNames) == kDecisionKinds);

struct Tally {
  std::array<std::array<std::uint64_t, 2>, kPayloadKinds> commands{};  // [kind][accepted]
  std::map<Reason, std::uint64_t> reasons;
  std::array<std::uint64_t, kEventKinds + 1> events{};
  std::uint64_t fills = 0, reduce_only_fills = 0, isolated_fills = 0, rebates = 0,
                referrer_cuts = 0, breaker_trips = 0, breaker_clears = 0, self_trade = 0,
                max_fill_cuts = 0, slid = 0, seq_faults = 0, time_faults = 0, flips = 0;
  std::uint64_t open_orders_peak = 0, open_orders_sum = 0, open_orders_samples = 0;
  std::uint64_t risk_reducing = 0;  // accepted below initial margin: requirement not raised
  std::uint64_t margin_decisions = 0;  // decided by the margin rule, checked against the oracle
  // Of those, within kBoundaryBand atoms of the requirement, per kind; and
  // exactly at it and accepted, and one atom short and refused.
  std::array<std::uint64_t, kDecisionKinds> near_boundary{};
  std::uint64_t at_boundary_accepted = 0, short_by_one_refused = 0;
  std::uint64_t previews = 0, liquidation_prices = 0;
  // Accepted cancel-replaces whose new order traded, and that reused the
  // old order's id.
  std::uint64_t replace_traded = 0, replace_same_id = 0;
  // Withdrawal-rule decisions (withdraw, transfer, isolated top-up or
  // removal) taken while a position of the account counted below its mark
  // value for want of TWAP backing (or with withdrawable_pnl kNone), and
  // while one counted at its stressed value (breaker or no index); and
  // reduce-only orders accepted in a halted or delisted market.
  std::uint64_t withdraw_unbacked = 0, withdraw_stressed = 0, halted_reduce_only = 0;

  std::uint64_t NearBoundary() const {
    std::uint64_t n = 0;
    for (std::uint64_t k : near_boundary) n += k;
    return n;
  }

  void Merge(const Tally& o) {
    for (std::size_t i = 0; i < kPayloadKinds; ++i) {
      commands[i][0] += o.commands[i][0];
      commands[i][1] += o.commands[i][1];
    }
    for (const auto& [r, n] : o.reasons) reasons[r] += n;
    for (std::size_t i = 0; i < events.size(); ++i) events[i] += o.events[i];
    fills += o.fills;
    reduce_only_fills += o.reduce_only_fills;
    isolated_fills += o.isolated_fills;
    rebates += o.rebates;
    referrer_cuts += o.referrer_cuts;
    breaker_trips += o.breaker_trips;
    breaker_clears += o.breaker_clears;
    self_trade += o.self_trade;
    max_fill_cuts += o.max_fill_cuts;
    slid += o.slid;
    seq_faults += o.seq_faults;
    time_faults += o.time_faults;
    flips += o.flips;
    withdraw_unbacked += o.withdraw_unbacked;
    withdraw_stressed += o.withdraw_stressed;
    halted_reduce_only += o.halted_reduce_only;
    open_orders_peak = std::max(open_orders_peak, o.open_orders_peak);
    open_orders_sum += o.open_orders_sum;
    open_orders_samples += o.open_orders_samples;
    risk_reducing += o.risk_reducing;
    margin_decisions += o.margin_decisions;
    for (std::size_t k = 0; k < kDecisionKinds; ++k) near_boundary[k] += o.near_boundary[k];
    at_boundary_accepted += o.at_boundary_accepted;
    short_by_one_refused += o.short_by_one_refused;
    previews += o.previews;
    liquidation_prices += o.liquidation_prices;
    replace_traded += o.replace_traded;
    replace_same_id += o.replace_same_id;
  }
  std::uint64_t reason(Reason r) const {
    const auto it = reasons.find(r);
    return it == reasons.end() ? 0 : it->second;
  }

  std::string ToString() const {
    std::string s = "[property]   commands (accepted/rejected):";
    for (std::size_t i = 0; i < kPayloadKinds; ++i) {
      s += Fmt(" %s=%" PRIu64 "/%" PRIu64, kPayloadNames[i], commands[i][1], commands[i][0]);
    }
    s += "\n[property]   reasons:";
    for (const auto& [r, n] : reasons) s += Fmt(" %s=%" PRIu64, Name(r).c_str(), n);
    s += "\n[property]   events:";
    for (std::size_t i = 0; i < kEventKinds; ++i) {
      if (events[i] != 0) s += Fmt(" %s=%" PRIu64, kEventKindNames[i], events[i]);
    }
    s += Fmt("\n[property]   fills=%" PRIu64 " reduce-only fills=%" PRIu64
             " isolated fills=%" PRIu64 " flips=%" PRIu64 " rebates=%" PRIu64
             " referrer cuts=%" PRIu64 " breaker trips=%" PRIu64 " clears=%" PRIu64
             " self-trade cancels=%" PRIu64 " max_fill cuts=%" PRIu64 " slid=%" PRIu64
             " seq faults=%" PRIu64 " time faults=%" PRIu64
             " open orders mean=%" PRIu64 " peak=%" PRIu64 " accepted-below-margin=%" PRIu64
             " margin decisions=%" PRIu64 " previews matched=%" PRIu64
             " liquidation prices checked=%" PRIu64 " cancel-replaces traded=%" PRIu64
             " same id=%" PRIu64 " withdrawal-rule decisions unbacked=%" PRIu64
             " stressed=%" PRIu64 " halted reduce-only orders=%" PRIu64 "\n",
             fills, reduce_only_fills, isolated_fills, flips, rebates, referrer_cuts,
             breaker_trips, breaker_clears, self_trade, max_fill_cuts, slid, seq_faults,
             time_faults, open_orders_samples ? open_orders_sum / open_orders_samples : 0,
             open_orders_peak, risk_reducing, margin_decisions, previews, liquidation_prices,
             replace_traded, replace_same_id, withdraw_unbacked, withdraw_stressed,
             halted_reduce_only);
    s += Fmt("[property]   near-boundary margin decisions (within %d atom of the "
             "requirement)=%" PRIu64 ": at it and accepted=%" PRIu64
             ", one atom short and refused=%" PRIu64 "; by kind:",
             static_cast<int>(kBoundaryBand), NearBoundary(), at_boundary_accepted,
             short_by_one_refused);
    for (std::size_t k = 0; k < kDecisionKinds; ++k) {
      s += Fmt(" %s=%" PRIu64, kDecisionNames[k], near_boundary[k]);
    }
    return s + "\n";
  }
};

// The ledger: what the commands and events say, kept here. Cash and the
// isolated buckets are moved by the events (a fill's flow and fees) and by
// the top-ups the oracle works out, so they are inputs of the oracle that
// owe nothing to the engine's arithmetic.
// An account in one market, kept whether or not the engine has a record
// there (it has one while the account has a position or open orders).
struct PosModel {
  std::int64_t size = 0;
  MarginMode mode = MarginMode::kCross;  // as chosen
  std::uint32_t leverage = 0;            // as chosen; 0: not chosen
  int128 bucket = 0;    // isolated margin
  int128 realized = 0;  // realized PnL of the position's reducing fills, by TradeModel
  int128 cost = 0;      // signed entry value, closed pro rata (toward zero)
};
struct AcctModel {
  OwnerId owner = 0;
  std::uint32_t tier = 0;
  AccountId referrer = 0;
  int128 cash = 0;  // cross
  std::map<MarketId, PosModel> positions;
};
struct MarketModel {
  MarketParams params;
  std::int64_t atoms = 1;
  std::int64_t mark = 0, index = 0;  // as the last kPriceUpdate said
  std::int64_t oi_long = 0, oi_short = 0;
  std::int64_t volume = 0, last_trade = 0;
  int128 notional_volume = 0;
  struct Source {
    std::int64_t price = 0, time = 0;
  };
  std::map<SourceId, Source> sources;  // as last accepted
  // The last time the index may be used (oracle.hpp): the earliest expiry of
  // the fresh sources at the last refresh, at most that refresh + the mark
  // age; -1 without an index.
  std::int64_t usable_until = -1;
  std::int64_t last_index = 0;  // the last non-zero index a kPriceUpdate said
  bool breaker = false;         // as the last kCircuitBreaker said
  std::int64_t twap = 0;        // Stats()'s, read before each command and each ledger check

  // The market as the margin oracle sees it at `now`.
  OracleMarket View(TimeNs now) const {
    const Reason refusal = index == 0                    ? Reason::kNoIndexPrice
                           : now.raw() > usable_until ? Reason::kIndexStale
                                                      : Reason::kOk;
    return OracleMarket{.params = &params,
                        .atoms = atoms,
                        .mark = mark,
                        .has_index = index != 0,
                        .refusal = refusal,
                        .last_index = last_index,
                        .twap = twap,
                        .breaker = breaker};
  }
};

// A fill of `delta` lots at `price` on a position: the documented bookkeeping
// (the cost basis closes pro rata, rounded toward zero; a flip reopens at the
// fill price). Returns the realized PnL.
int128 TradeModel(PosModel& p, std::int64_t delta, std::int64_t price, std::int64_t atoms) {
  const int128 old = p.size;
  int128 realized = 0;
  if (old == 0 || Sign64(old) == Sign64(delta)) {
    p.cost += int128(delta) * price * atoms;
  } else {
    const int128 abs_old = Abs128(old), abs_delta = Abs128(delta);
    const int128 closed = std::min(abs_old, abs_delta);
    const int128 removed = closed == abs_old ? p.cost : p.cost * closed / abs_old;
    realized = int128(Sign64(old)) * closed * price * atoms - removed;
    p.cost -= removed;
    if (abs_delta > abs_old) p.cost = int128(Sign64(delta)) * (abs_delta - abs_old) * price * atoms;
  }
  return realized;
}

// A refusal the order book decides (its checks run after the engine's).
bool IsBookReason(Reason r) {
  switch (r) {
    case Reason::kInvalidOrderId:
    case Reason::kInvalidAccount:
    case Reason::kInvalidSide:
    case Reason::kInvalidOrderType:
    case Reason::kInvalidTimeInForce:
    case Reason::kInvalidStpMode:
    case Reason::kInvalidSize:
    case Reason::kSizeNotOnStep:
    case Reason::kSizeAboveMax:
    case Reason::kInvalidMaxFill:
    case Reason::kInvalidPrice:
    case Reason::kPriceNotOnStep:
    case Reason::kInvalidClientOrderId:
      return true;
    default:
      return ModuleOf(r) == ReasonModule::kBook;
  }
}

// -----------------------------------------------------------------------------
// Balances from the events alone: what a consumer of the event stream knows.
// It reads nothing of the engine's state but each market's atoms per
// tick-lot (static metadata), and rebuilds every account's cross cash, every
// isolated bucket, the fee pool and the insurance fund from the money events
// (deposits, withdrawals, transfers, insurance funding, isolated moves and
// fills, each fill's trade leg going to the bucket of its side's margin mode
// as kMarginModeSet set it). Compare() then holds it against the queries.
// -----------------------------------------------------------------------------
template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

class EventBalances {
 public:
  void Apply(const Engine& eng, std::span<const Event> events) {
    const auto apply = Overloaded{
        [&](const events::Deposit& e) { cash_[e.account] += e.amount.raw(); },
        [&](const events::Withdrawal& e) { cash_[e.account] -= e.amount.raw(); },
        [&](const events::Transfer& e) {
          cash_[e.from] -= e.amount.raw();
          cash_[e.to] += e.amount.raw();
        },
        [&](const events::InsuranceFunded& e) { insurance_ += e.amount.raw(); },
        [&](const events::MarginModeSet& e) {
          isolated_[{e.account, e.market}] = e.mode == MarginMode::kIsolated;
        },
        [&](const events::IsolatedMarginChanged& e) {
          cash_[e.account] -= e.amount.raw();
          buckets_[{e.account, e.market}] += e.amount.raw();
        },
        [&](const events::Fill& e) {
          const int128 paid = int128(e.price.raw()) * e.size.raw() * Atoms(eng, e.market) *
                              (e.taker.side == Side::kBuy ? 1 : -1);
          Bucket(e.taker.account, e.market) -= paid + e.taker.fee.raw();
          Bucket(e.maker.account, e.market) += paid - e.maker.fee.raw();
          if (e.referrer != 0) cash_[e.referrer] += e.referrer_fee.raw();
          fee_pool_ += int128(e.taker.fee.raw()) - e.referrer_fee.raw() + e.maker.fee.raw();
        },
        [](const auto&) {},  // no money moves
    };
    for (const Event& e : events) std::visit(apply, e);
  }

  // "" if every balance agrees with Summary(), fee_pool() and insurance_fund().
  std::string Compare(const Engine& eng) const {
    if (fee_pool_ != eng.fee_pool().raw()) return "events: the fee pool differs";
    if (insurance_ != eng.insurance_fund().raw()) return "events: the insurance fund differs";
    std::map<std::pair<AccountId, MarketId>, int128> seen;
    for (AccountId id : eng.Accounts()) {
      absl::StatusOr<AccountSummary> s = eng.Summary(id);
      if (!s.ok()) return "events: Summary failed";
      const auto c = cash_.find(id);
      if (s->cash.raw() != (c == cash_.end() ? 0 : c->second)) {
        return "events: account " + Num(id) + " cross cash " + Num(s->cash.raw()) +
               ", rebuilt from the events " + Num(c == cash_.end() ? int128(0) : c->second);
      }
      for (const PositionView& p : s->positions) {
        if (p.mode == MarginMode::kIsolated) {
          seen[{id, p.market}] = int128(p.isolated_equity.raw()) - p.value.raw();
        }
      }
    }
    for (const auto& [key, bucket] : buckets_) {
      const auto it = seen.find(key);
      const int128 engine_bucket = it == seen.end() ? 0 : it->second;
      if (bucket != engine_bucket) {
        return "events: account " + Num(key.first) + " market " + Num(key.second) +
               " isolated bucket " + Num(engine_bucket) + ", rebuilt from the events " +
               Num(bucket);
      }
    }
    return "";
  }

 private:
  std::int64_t Atoms(const Engine& eng, MarketId m) {
    auto [it, fresh] = atoms_.try_emplace(m, 0);
    if (fresh) it->second = eng.Stats(m)->atoms_per_tick_lot;
    return it->second;
  }
  int128& Bucket(AccountId a, MarketId m) {
    const auto it = isolated_.find({a, m});
    return it != isolated_.end() && it->second ? buckets_[{a, m}] : cash_[a];
  }

  std::map<AccountId, int128> cash_;
  std::map<std::pair<AccountId, MarketId>, int128> buckets_;
  std::map<std::pair<AccountId, MarketId>, bool> isolated_;
  std::map<MarketId, std::int64_t> atoms_;
  int128 fee_pool_ = 0, insurance_ = 0;
};

class Harness {
 public:
  Harness(const EngineConfig& config, const Options& options)
      : options_(options), config_(config), eng_(config) {
    if (options_.twins) {
      twin_.emplace(config);
      EngineConfig other = config;
      other.hash_seed = ~config.hash_seed * 0x9E3779B97F4A7C15ull;
      reseeded_.emplace(other);
    }
    if (options_.checks) eng_.EncodeCanonical(&state_);
  }

  const Engine& engine() const { return eng_; }
  const Tally& tally() const { return tally_; }
  bool last_accepted() const {
    return result_.framing == absl::StatusCode::kOk && result_.reason == Reason::kOk;
  }

  // Applies op number `index`; returns the first violation found, or "".
  std::string Step(const Op& op, std::size_t index) {
    const Command cmd = MakeCommand(eng_, op);
    const std::uint64_t seq_before = eng_.last_seq();
    const TimeNs now_before = eng_.now();
    // The command's time first: the margin oracle's view (Before) judges
    // the index's freshness at it, as the engine does.
    now_ = cmd.timestamp;
    if (options_.checks) Before(op, cmd);
    if (options_.twins && index % 8192 == 4096) {  // a copy, then moved, joins mid-stream
      Engine copy(eng_);
      copy_.emplace(std::move(copy));
      copy_made_at_ = index;
    }
    const absl::StatusOr<Result> r = eng_.Apply(cmd);
    result_ = OutcomeOf(r);
    Count(op, cmd);

    std::string err;
    if (op.mode != SeqMode::kNext) {
      const absl::StatusCode want = op.mode == SeqMode::kBack ? absl::StatusCode::kFailedPrecondition
                                    : cmd.seq <= seq_before   ? absl::StatusCode::kAlreadyExists
                                                              : absl::StatusCode::kOutOfRange;
      if (r.ok()) {
        err = "a sequencing fault was processed";
      } else if (r.status().code() != want) {
        err = "a sequencing fault answered " + r.status().ToString() + ", expected " +
              absl::StatusCodeToString(want);
      } else if (eng_.last_seq() != seq_before || eng_.now() != now_before) {
        err = "a framing error changed last_seq() or now()";
      }
      if (err.empty() && options_.twins) err = CompareTwins(cmd, index);
      return err;
    }
    if (!r.ok()) return "a well-framed command answered " + r.status().ToString();
    if (eng_.last_seq() != seq_before + 1 || r->seq != cmd.seq) {
      err = "processed but last_seq() did not advance to the command's seq";
    }
    if (eng_.now() != cmd.timestamp) err = "processed but now() is not the command's timestamp";
    if (!r->ok() && !result_.events.empty()) err = "rejected but emitted events";
    if (options_.checks) event_balances_.Apply(eng_, result_.events);
    if (err.empty() && options_.checks) {
      // Margin warnings (engine.hpp "Margin warnings") come after the
      // command's other events and each flips its target's state; the
      // per-command checks below see the other events only.
      const std::vector<Event> all = result_.events;
      err = SplitWarnings();
      if (err.empty()) err = Check(cmd);
      result_.events = all;
    }
    if (err.empty() && options_.twins) err = CompareTwins(cmd, index);
    return err;
  }

  // End-of-stream checks.
  std::string Finish() {
    if (options_.checks) {
      if (std::string err = CheckLedger(); !err.empty()) return err;
    }
    if (options_.twins) {
      const auto d = eng_.Digest();
      if (twin_->Digest() != d) return "Digest() differs from a second engine fed the same stream";
      if (reseeded_->Digest() != d) {
        return "Digest() differs from an engine with another hash_seed fed the same stream";
      }
      if (copy_ && copy_->Digest() != d) {
        return "Digest() differs from a copy made before op " + Num(std::uint64_t{copy_made_at_});
      }
    }
    return "";
  }

 private:
  struct Outcome {
    Reason reason = Reason::kOk;
    Lots filled, rested;
    std::vector<Event> events;
    absl::StatusCode framing = absl::StatusCode::kOk;  // not processed unless kOk
    bool operator==(const Outcome&) const = default;
  };
  static Outcome OutcomeOf(const absl::StatusOr<Result>& r) {
    if (!r.ok()) return Outcome{.framing = r.status().code()};
    return Outcome{r->reason, r->filled, r->rested, {r->events.begin(), r->events.end()}};
  }

  void Count(const Op& op, const Command& cmd) {
    if (op.mode == SeqMode::kGap) ++tally_.seq_faults;
    if (op.mode == SeqMode::kBack) ++tally_.time_faults;
    if (result_.framing != absl::StatusCode::kOk) return;
    ++tally_.commands[cmd.payload.index()][result_.reason == Reason::kOk ? 1 : 0];
    ++tally_.reasons[result_.reason];
    for (const Event& e : result_.events) {
      ++tally_.events[std::min<std::size_t>(e.index(), kEventKinds)];
      if (const auto* b = std::get_if<events::CircuitBreaker>(&e)) {
        ++(b->tripped ? tally_.breaker_trips : tally_.breaker_clears);
      }
      if (const auto* c = std::get_if<events::OrderCanceled>(&e)) {
        if (c->reason == book::CancelReason::kSelfTrade) ++tally_.self_trade;
        if (c->reason == book::CancelReason::kMaxFill) ++tally_.max_fill_cuts;
      }
    }
    if (const auto* p = std::get_if<PlaceOrder>(&cmd.payload)) {
      for (const Event& e : result_.events) {
        const auto* rested = std::get_if<events::OrderRested>(&e);
        if (rested != nullptr && rested->order_id == p->order_id && rested->price != p->price) {
          ++tally_.slid;
        }
      }
      if (p->reduce_only && result_.filled.raw() > 0) ++tally_.reduce_only_fills;
    }
    if (const auto* r = std::get_if<CancelReplace>(&cmd.payload);
        r != nullptr && result_.reason == Reason::kOk) {
      if (result_.filled.raw() > 0) ++tally_.replace_traded;
      if (r->order_id == r->old_order_id) ++tally_.replace_same_id;
    }
  }

  // --- state captured before the command -------------------------------------
  struct Pre {
    // The account the command is about, as the margin oracle sees it: the
    // ledger's cash, buckets and positions, OpenOrders() and the markets.
    std::optional<OracleAccount> view;
    std::optional<MarketStats> stats;       // order/amend market
    std::optional<absl::StatusOr<Preview>> preview;
    std::optional<std::vector<OpenOrder>> orders;  // of that account
    std::map<MarketId, MarketStats> markets;      // every market, before oracle commands
  };

  // The TWAP is an input of the withdrawal rule the oracle takes from
  // Stats() (the price oracle's own checks cover how it is made): no event
  // reports it at every change.
  void LoadTwaps() {
    for (auto& [id, m] : markets_) {
      absl::StatusOr<MarketStats> st = eng_.Stats(id);
      if (st.ok()) m.twap = st->twap.raw();
    }
  }

  void Before(const Op& op, const Command& cmd) {
    pre_ = Pre{};
    LoadTwaps();
    AccountId account = 0;
    if (const auto* w = std::get_if<Withdraw>(&cmd.payload)) account = w->account;
    if (const auto* t = std::get_if<Transfer>(&cmd.payload)) account = t->from;
    if (const auto* a = std::get_if<AdjustIsolatedMargin>(&cmd.payload)) account = a->account;
    if (const auto* l = std::get_if<SetLeverage>(&cmd.payload)) account = l->account;
    if (const auto* o = std::get_if<PlaceOrder>(&cmd.payload)) account = o->account;
    if (const auto* a = std::get_if<AmendOrder>(&cmd.payload)) account = a->account;
    if (const auto* r = std::get_if<CancelReplace>(&cmd.payload)) account = r->account;
    if (const auto it = accounts_.find(account); it != accounts_.end()) {
      absl::StatusOr<std::vector<OpenOrder>> o = eng_.OpenOrders(account);
      if (o.ok()) {
        pre_.orders = *std::move(o);
        pre_.view = ModelView(it->second, *pre_.orders);
      }
    }
    if (std::holds_alternative<OraclePrice>(cmd.payload) ||
        std::holds_alternative<TimeTick>(cmd.payload) ||
        std::holds_alternative<RetireSource>(cmd.payload)) {
      for (const auto& [id, m] : markets_) {
        absl::StatusOr<MarketStats> st = eng_.Stats(id);
        if (st.ok()) pre_.markets.emplace(id, *std::move(st));
      }
    }
    MarketId market = 0;
    if (const auto* p = std::get_if<PlaceOrder>(&cmd.payload)) {
      market = p->market;
      if (op.mode == SeqMode::kNext) pre_.preview = eng_.PreviewOrder(*p);
    }
    if (const auto* a = std::get_if<AmendOrder>(&cmd.payload)) market = a->market;
    if (const auto* r = std::get_if<CancelReplace>(&cmd.payload)) market = r->market;
    if (market != 0) {
      absl::StatusOr<MarketStats> s = eng_.Stats(market);
      if (s.ok()) pre_.stats = *std::move(s);
    }
  }

  // The oracle's view of an account from the ledger and its open orders.
  // Its records: the markets with a position, then those with open orders.
  OracleAccount ModelView(const AcctModel& a, std::span<const OpenOrder> orders) const {
    OracleAccount v{.fee_tier = a.tier, .cash = a.cash};
    for (const auto& [market, p] : a.positions) {
      if (p.mode != MarginMode::kCross || p.leverage != 0) {
        v.choices.emplace(market, OracleChoice{.mode = p.mode, .leverage = p.leverage});
      }
      if (p.size == 0) continue;
      v.positions.push_back(OraclePosition{.market = market,
                                           .m = markets_.at(market).View(now_),
                                           .mode = p.mode,
                                           .leverage = p.leverage,
                                           .size = p.size,
                                           .bucket = p.bucket,
                                           .cost = p.cost});
    }
    for (const OpenOrder& o : orders) {
      // An order without a record is the ledger's miss; CheckLedger names it.
      OraclePosition& p = v.Record(o.market, markets_.at(o.market).View(now_));
      p.orders.push_back(OracleOrder{.id = o.order.id,
                                     .buy = o.order.side == Side::kBuy,
                                     .price = o.order.price.raw(),
                                     .lots = o.order.remaining.raw()});
    }
    return v;
  }

  // The ledger's state of an account in a market (cross, leverage not
  // chosen until it chooses).
  PosModel& Record(AcctModel& a, MarketId market) { return a.positions[market]; }

  // --- per-command checks -------------------------------------------------------
  std::string Check(const Command& cmd) {
    if (absl::Status s = eng_.CheckInvariants(); !s.ok()) {
      return "CheckInvariants: " + std::string(s.message());
    }
    if (result_.reason != Reason::kOk) {
      after_.clear();
      eng_.EncodeCanonical(&after_);
      // Past the first 16 bytes (last_seq and the time, which it consumed).
      if (std::string_view(after_).substr(16) != std::string_view(state_).substr(16)) {
        return "rejected with " + Name(result_.reason) + " but EncodeCanonical() changed";
      }
    } else {
      state_.clear();
      eng_.EncodeCanonical(&state_);
    }
    // The ledger's marks and indexes are the last price updates'.
    for (const Event& e : result_.events) {
      if (const auto* b = std::get_if<events::CircuitBreaker>(&e)) {
        markets_.at(b->market).breaker = b->tripped;
      }
      const auto* u = std::get_if<events::PriceUpdate>(&e);
      if (u == nullptr) continue;
      MarketModel& m = markets_.at(u->market);
      m.mark = u->mark.raw();
      m.index = u->index.raw();
      if (m.index != 0) m.last_index = m.index;
    }
    if (std::string err = std::visit([&](const auto& p) { return CheckPayload(p); }, cmd.payload);
        !err.empty()) {
      return err;
    }
    if (eng_.fee_pool().raw() != fee_pool_) {
      return "fee_pool() " + Num(eng_.fee_pool().raw()) + " != the ledger's " + Num(fee_pool_);
    }
    if (eng_.insurance_fund().raw() != insurance_) {
      return "insurance_fund() " + Num(eng_.insurance_fund().raw()) + " != the ledger's " +
             Num(insurance_);
    }
    if (eng_.total_deposits() != deposits_ || eng_.total_withdrawals() != withdrawals_) {
      return "total_deposits()/total_withdrawals() differ from the ledger's";
    }
    ++checked_;
    if (checked_ % options_.ledger_every == 0) return CheckLedger();
    return "";
  }

  // The engine's answer to a margin decision against the oracle's. For an
  // order or amend the oracle's kOk allows a refusal by the book, whose
  // checks come after margin. Counts how close to the boundary it was.
  std::string Expect(DecisionKind kind, const Decision& d, bool book_after = false) {
    const bool agree = d.reason == Reason::kOk && book_after
                           ? result_.reason == Reason::kOk || IsBookReason(result_.reason)
                           : result_.reason == d.reason;
    if (!agree) {
      return Fmt("%s answered ", kDecisionNames[kind]) + Name(result_.reason) +
             ", the margin oracle says " + Name(d.reason) +
             (d.by_margin ? " (equity minus requirement after it: " + Num(d.slack) + ")" : "");
    }
    if (!d.by_margin) return "";
    ++tally_.margin_decisions;
    if (d.reason == Reason::kOk && d.slack < 0) ++tally_.risk_reducing;
    if (Abs128(d.slack) <= kBoundaryBand) {
      ++tally_.near_boundary[kind];
      if (d.slack == 0 && d.reason == Reason::kOk) ++tally_.at_boundary_accepted;
      if (d.slack == -1 && d.reason != Reason::kOk) ++tally_.short_by_one_refused;
    }
    return "";
  }

  // Reasons an order or amend can get before the checks the oracle models
  // (engine.hpp's order of checks): the oracle has no say on those.
  static bool BeforeMarginChecks(Reason r, bool amend) {
    switch (r) {
      case Reason::kUnknownMarket:
      case Reason::kUnknownAccount:
      case Reason::kMarketHalted:
      case Reason::kPriceAboveMax:
        return true;
      case Reason::kReduceOnlyNotImmediate:
      case Reason::kReduceOnlyWouldIncrease:
      case Reason::kMarketReduceOnly:
        return !amend;
      default:
        break;
    }
    return r == Reason::kInvalidSize || r == Reason::kSizeAboveMax || r == Reason::kInvalidPrice ||
           (amend && (r == Reason::kUnknownOrder || r == Reason::kNotOrderOwner));
  }

  // An order's or amend's last checks against the oracle.
  std::string CheckOrderVerdict(const PlaceOrder& c) {
    // kMarketHalted only for a non-reduce-only order in a halted or delisted
    // market: reduce-only orders close positions there.
    if (result_.reason == Reason::kMarketHalted) {
      const bool halted = pre_.stats && (pre_.stats->status == MarketStatus::kHalted ||
                                         pre_.stats->status == MarketStatus::kDelisted);
      if (c.reduce_only || !halted) {
        return "kMarketHalted for a reduce-only order or outside a halted market";
      }
    }
    if (c.reduce_only || BeforeMarginChecks(result_.reason, false)) return "";
    const auto mit = markets_.find(c.market);
    if (!pre_.view || mit == markets_.end()) {
      return "an order of an unknown account or market was " + Name(result_.reason);
    }
        const OracleOrder order{.id = c.order_id,
                            .buy = c.side == Side::kBuy,
                            .price = c.price.raw(),
                            .lots = c.size.raw()};
    return Expect(kOrderDecision,
                  OrderVerdict(*pre_.view, c.market, mit->second.View(now_), order,
                               config_.fee_tier_discounts[pre_.view->fee_tier]),
                  true);
  }
  std::string CheckAmendVerdict(const AmendOrder& c) {
    if (BeforeMarginChecks(result_.reason, true)) return "";
    if (!pre_.view || !pre_.orders || !pre_.stats) {
      return "an amend of an unknown account or market was " + Name(result_.reason);
    }
    const auto& os = *pre_.orders;
    const auto it = std::find_if(os.begin(), os.end(), [&](const OpenOrder& o) {
      return o.market == c.market && o.order.id == c.order_id;
    });
    if (it == os.end()) {
      return "an amend of an order the account does not have was " + Name(result_.reason);
    }
    const OracleOrder old{.id = it->order.id,
                          .buy = it->order.side == Side::kBuy,
                          .price = it->order.price.raw(),
                          .lots = it->order.remaining.raw()};
    const bool reduce_only = pre_.stats->status == MarketStatus::kReduceOnly || pre_.stats->breaker;
    return Expect(kAmendDecision,
                  AmendVerdict(*pre_.view, c.market, old, c.new_price.raw(),
                               c.new_size.raw(), reduce_only),
                  true);
  }

  // A cancel-replace's last checks against the oracle: refusals before them
  // (the old order's, the market's, the new order's sizes and prices) are
  // not the oracle's; a kOk from it allows a refusal by the book.
  std::string CheckReplaceVerdict(const CancelReplace& c, const book::OrderView* old) {
    const Reason r = result_.reason;
    if (c.reduce_only || BeforeMarginChecks(r, false) ||
        r == Reason::kUnknownOrder || r == Reason::kNotOrderOwner) {
      return "";
    }
    const auto mit = markets_.find(c.market);
    if (!pre_.view || mit == markets_.end() || old == nullptr) {
      return "a cancel-replace of an unknown account, market or order was " + Name(r);
    }
        const OracleOrder replaced{.id = old->id,
                               .buy = old->side == Side::kBuy,
                               .price = old->price.raw(),
                               .lots = old->remaining.raw()};
    const OracleOrder order{.id = c.order_id,
                            .buy = c.side == Side::kBuy,
                            .price = c.price.raw(),
                            .lots = c.size.raw()};
    return Expect(kReplaceDecision,
                  ReplaceVerdict(*pre_.view, c.market, mit->second.View(now_), replaced, order,
                                 config_.fee_tier_discounts[pre_.view->fee_tier]),
                  true);
  }

  // Cash and every isolated bucket of an account, engine against ledger.
  std::string CheckMoney(AccountId id, const char* what) {
    absl::StatusOr<AccountSummary> s = eng_.Summary(id);
    if (!s.ok()) return "Summary() failed";
    const AcctModel& a = accounts_.at(id);
    if (int128(s->cash.raw()) != a.cash) {
      return Fmt("after %s, account ", what) + Num(id) + " has cash " + Num(s->cash.raw()) +
             ", the ledger " + Num(a.cash);
    }
    for (const PositionView& p : s->positions) {
      const auto it = a.positions.find(p.market);
      const int128 bucket = it == a.positions.end() ? 0 : it->second.bucket;
      const int128 engine_bucket =
          p.mode == MarginMode::kIsolated ? int128(p.isolated_equity.raw()) - p.value.raw() : 0;
      if (engine_bucket != bucket) {
        return Fmt("after %s, account ", what) + Num(id) + " market " + Num(p.market) +
               ": isolated bucket " + Num(engine_bucket) + ", the ledger (with its top-ups) " +
               Num(bucket);
      }
    }
    return "";
  }

  // After a fill, a closed isolated position's bucket goes back to cross,
  // and one the fill grew (or flipped) is topped up from cross cash to the
  // position's initial requirement (by the oracle); a reduced one keeps its
  // bucket as it is (engine.hpp: "a fill that grows the position draws").
  void TopUp(AcctModel& a, PosModel& p, const MarketModel& m, std::int64_t old_size) {
    if (p.mode != MarginMode::kIsolated) return;
    if (p.size == 0) {
      a.cash += p.bucket;
      p.bucket = 0;
      return;
    }
    const bool flipped = (old_size > 0) != (p.size > 0);
    if (!flipped && Abs128(p.size) <= Abs128(old_size)) return;
    const int128 value = int128(p.size) * m.mark * m.atoms;
    const int128 need =
        OracleInitial(m.params.tiers, Abs128(value), EffectiveLeverage(p.leverage, m.params)) -
        (p.bucket + value);
    if (need <= 0) return;
    a.cash -= need;
    p.bucket += need;
  }

  // Removes the trailing MarginWarning events from result_.events: ""
  // if they are all after the other events and each flips its target.
  std::string SplitWarnings() {
    auto& evs = result_.events;
    std::size_t first = evs.size();
    while (first > 0 && std::holds_alternative<events::MarginWarning>(evs[first - 1])) --first;
    for (std::size_t i = 0; i < first; ++i) {
      if (std::holds_alternative<events::MarginWarning>(evs[i])) {
        return "a margin warning before the command's other events: " + ToString(evs[i]);
      }
    }
    for (std::size_t i = first; i < evs.size(); ++i) {
      const auto& w = std::get<events::MarginWarning>(evs[i]);
      bool& flag = warned_[{w.account, w.market}];
      if (flag == w.set) return "a margin warning that changes nothing: " + ToString(evs[i]);
      flag = w.set;
    }
    evs.resize(first);
    return "";
  }

  std::string ExpectOneEvent(EventKind kind) {
    if (result_.events.size() != 1 || KindOf(result_.events[0]) != kind) {
      return "accepted, expected exactly one " + EnumName(kind) + " event, got " +
             Num(std::uint64_t{result_.events.size()});
    }
    return "";
  }
  // Exactly one event, `want`.
  std::string ExpectEvent(const Event& want) {
    if (std::string err = ExpectOneEvent(KindOf(want)); !err.empty()) return err;
    if (result_.events[0] != want) {
      return "event " + ToString(result_.events[0]) + " does not match the command";
    }
    return "";
  }

  std::string CheckPayload(const CreateMarket& c) {
    if (result_.reason != Reason::kOk) return "";
    absl::StatusOr<MarketStats> s = eng_.Stats(c.market);
    if (!s.ok()) return "created market has no Stats()";
    markets_[c.market] = MarketModel{.params = *c.params, .atoms = s->atoms_per_tick_lot};
    return ExpectOneEvent(EventKind::kMarketCreated);
  }
  std::string CheckPayload(const UpdateMarket& c) {
    if (result_.reason != Reason::kOk) return "";
    markets_[c.market].params = *c.params;
    return ExpectOneEvent(EventKind::kMarketUpdated);
  }
  std::string CheckPayload(const SetMarketStatus&) {
    if (result_.reason != Reason::kOk) return "";
    return ExpectOneEvent(EventKind::kMarketStatusChanged);
  }
  std::string CheckPayload(const CreateAccount& c) {
    if (result_.reason != Reason::kOk) return "";
    accounts_[c.account] = AcctModel{.owner = c.owner, .tier = c.fee_tier, .referrer = c.referrer};
    return ExpectOneEvent(EventKind::kAccountCreated);
  }
  std::string CheckPayload(const Deposit& c) {
    if (result_.reason != Reason::kOk) return "";
    accounts_[c.account].cash += c.amount.raw();
    deposits_ += c.amount.raw();
    return ExpectEvent(events::Deposit{.account = c.account, .amount = c.amount});
  }
  // Counts a withdrawal-rule decision by the states of the account's
  // positions it was taken in (see Tally).
  void TallyWithdrawalState(const OracleAccount& a) {
    bool unbacked = false, stressed = false;
    for (const OraclePosition& p : a.positions) {
      if (p.size == 0) continue;
      if (p.m.breaker || !p.m.Usable()) {
        stressed = true;
      } else if (WithdrawValueModel(p) < p.Value()) {
        unbacked = true;
      }
    }
    tally_.withdraw_unbacked += unbacked;
    tally_.withdraw_stressed += stressed;
  }

  // Withdraw, Transfer and AdjustIsolatedMargin: every reason, from the
  // ledger and the oracle, in engine.hpp's order.
  std::string CheckPayload(const Withdraw& c) {
    Decision d{Reason::kUnknownAccount};
    if (pre_.view) {
      TallyWithdrawalState(*pre_.view);
      d = c.amount.raw() <= 0 ? Decision{Reason::kInvalidAmount}
                              : FreeVerdict(*pre_.view, c.amount.raw(),
                                            config_.withdraw_margin_fraction,
                                            deposits_ - withdrawals_);
    }
    if (std::string err = Expect(kWithdrawalDecision, d); !err.empty()) return err;
    if (result_.reason != Reason::kOk) return "";
    accounts_.at(c.account).cash -= c.amount.raw();
    withdrawals_ += c.amount.raw();
    // What the rule promises, seen afterwards with the oracle's arithmetic:
    // the account still meets the withdrawal rule, and no more has left the
    // engine than was put in.
    if (pre_.orders) {
      const int128 after = CrossSlackModel(ModelView(accounts_.at(c.account), *pre_.orders),
                                           config_.withdraw_margin_fraction);
      if (after < 0) return "a withdrawal left the account " + Num(after) + " below the rule";
    }
    if (withdrawals_ > deposits_) return "total withdrawals exceed total deposits";
    return ExpectEvent(events::Withdrawal{.account = c.account, .amount = c.amount});
  }
  std::string CheckPayload(const Transfer& c) {
    const auto from = accounts_.find(c.from), to = accounts_.find(c.to);
    Decision d{Reason::kUnknownAccount};
    if (from != accounts_.end() && to != accounts_.end() && pre_.view) {
      if (c.from == c.to) {
        d = Decision{Reason::kSameAccount};
      } else if (from->second.owner != to->second.owner) {
        d = Decision{Reason::kNotSameOwner};
      } else if (c.amount.raw() <= 0) {
        d = Decision{Reason::kInvalidAmount};
      } else {
        d = FreeVerdict(*pre_.view, c.amount.raw(), config_.withdraw_margin_fraction);
      }
    }
    if (std::string err = Expect(kTransferDecision, d); !err.empty()) return err;
    if (result_.reason != Reason::kOk) return "";
    from->second.cash -= c.amount.raw();
    to->second.cash += c.amount.raw();
    return ExpectEvent(events::Transfer{.from = c.from, .to = c.to, .amount = c.amount});
  }
  std::string CheckPayload(const AdjustIsolatedMargin& c) {
    const auto acct = accounts_.find(c.account);
    Decision d{Reason::kUnknownAccount};
    const std::int64_t delta = c.delta.raw();
    if (acct != accounts_.end() && pre_.view) {
      const auto p = acct->second.positions.find(c.market);
      if (!markets_.contains(c.market)) {
        d = Decision{Reason::kUnknownMarket};
      } else if (p == acct->second.positions.end() ||
                 p->second.mode != MarginMode::kIsolated || p->second.size == 0) {
        d = Decision{Reason::kNotIsolated};
      } else if (delta == 0 || c.delta == Quote::Min()) {
        d = Decision{Reason::kInvalidAmount};
      } else if (delta > 0) {
        TallyWithdrawalState(*pre_.view);
        d = FreeVerdict(*pre_.view, delta, config_.withdraw_margin_fraction);
      } else {
        d = RemovalVerdict(*pre_.view, c.market, -int128(delta), config_.withdraw_margin_fraction);
      }
    }
    if (std::string err = Expect(delta > 0 ? kTopUpDecision : kRemovalDecision, d); !err.empty()) {
      return err;
    }
    if (result_.reason != Reason::kOk) return "";
    acct->second.positions.at(c.market).bucket += delta;
    acct->second.cash -= delta;
    return ExpectEvent(events::IsolatedMarginChanged{.market = c.market,
                                                     .account = c.account,
                                                     .amount = c.delta,
                                                     .cause = IsolatedMarginCause::kUser});
  }
  std::string CheckPayload(const FundInsurance& c) {
    if (result_.reason != Reason::kOk) return "";
    insurance_ += c.amount.raw();
    deposits_ += c.amount.raw();
    return ExpectOneEvent(EventKind::kInsuranceFunded);
  }
  std::string CheckPayload(const SetSelfTradeScope& c) {
    const bool known = accounts_.contains(c.account);
    const bool valid = static_cast<std::uint8_t>(c.scope) <= 1;
    const Reason want = !known ? Reason::kUnknownAccount
                        : !valid ? Reason::kInvalidSelfTradeScope
                                 : Reason::kOk;
    if (result_.reason != want) {
      return "SetSelfTradeScope answered " + Name(result_.reason) + ", expected " + Name(want);
    }
    if (result_.reason != Reason::kOk) return "";
    return ExpectOneEvent(EventKind::kSelfTradeScopeSet);
  }
  std::string CheckPayload(const SetFeeTier& c) {
    if (result_.reason != Reason::kOk) return "";
    accounts_[c.account].tier = c.fee_tier;
    return ExpectOneEvent(EventKind::kFeeTierSet);
  }
  std::string CheckPayload(const SetMarginMode& c) {
    if (result_.reason != Reason::kOk) return "";
    PosModel& p = Record(accounts_.at(c.account), c.market);
    if (p.size != 0) return "margin mode changed with an open position";
    p.mode = c.mode;
    return ExpectOneEvent(EventKind::kMarginModeSet);
  }
  std::string CheckPayload(const SetLeverage& c) {
    const auto acct = accounts_.find(c.account);
    const auto m = markets_.find(c.market);
    Decision d{Reason::kUnknownAccount};
    if (acct != accounts_.end() && pre_.view) {
      if (m == markets_.end()) {
        d = Decision{Reason::kUnknownMarket};
      } else if (c.leverage < 1 || c.leverage > m->second.params.max_leverage) {
        d = Decision{Reason::kInvalidLeverage};
      } else {
        d = LeverageVerdict(*pre_.view, c.market, c.leverage);
      }
    }
    if (std::string err = Expect(kLeverageDecision, d); !err.empty()) return err;
    if (result_.reason != Reason::kOk) return "";
    Record(acct->second, c.market).leverage = c.leverage;
    return ExpectOneEvent(EventKind::kLeverageSet);
  }
  std::string CheckPayload(const CancelOrder& c) {
    if (result_.reason != Reason::kOk) return "";
    if (std::string err = ExpectOneEvent(EventKind::kOrderCanceled); !err.empty()) return err;
    const auto& e = std::get<events::OrderCanceled>(result_.events[0]);
    if (e.order_id != c.order_id || e.account != c.account || e.market != c.market ||
        e.reason != book::CancelReason::kUser || e.remaining.raw() != 0) {
      return "cancel emitted " + ToString(result_.events[0]);
    }
    return "";
  }
  std::string CheckPayload(const CancelByClientId& c) {
    if (result_.reason != Reason::kOk) return "";
    if (std::string err = ExpectOneEvent(EventKind::kOrderCanceled); !err.empty()) return err;
    const auto& e = std::get<events::OrderCanceled>(result_.events[0]);
    if (e.account != c.account || e.market != c.market || e.reason != book::CancelReason::kUser) {
      return "cancel by client id emitted " + ToString(result_.events[0]);
    }
    return "";
  }
  std::string CheckPayload(const CancelAll& c) {
    MarketId last = 0;
    for (const Event& ev : result_.events) {
      const auto* e = std::get_if<events::OrderCanceled>(&ev);
      if (e == nullptr || e->account != c.account || (c.market != 0 && e->market != c.market) ||
          e->market < last || e->reason != book::CancelReason::kCancelAll) {
        return "cancel-all emitted " + ToString(ev);
      }
      last = e->market;
    }
    if (result_.reason == Reason::kOk && c.market == 0) {
      absl::StatusOr<std::vector<OpenOrder>> left = eng_.OpenOrders(c.account);
      if (!left.ok() || !left->empty()) return "cancel-all left orders behind";
    }
    return "";
  }
  std::string CheckPayload(const AmendOrder& c) {
    if (std::string err = CheckAmendVerdict(c); !err.empty()) return err;
    if (result_.reason != Reason::kOk) return "";
    if (pre_.stats) {
      const MarketStats& s = *pre_.stats;
      if (s.status == MarketStatus::kHalted || s.status == MarketStatus::kDelisted) {
        return "amend accepted in a halted market";
      }
    }
    if (std::string err = ExpectOneEvent(EventKind::kOrderAmended); !err.empty()) return err;
    const auto& e = std::get<events::OrderAmended>(result_.events[0]);
    if (e.order_id != c.order_id || e.price != c.new_price || e.remaining != c.new_size) {
      return "amend event does not match the request: " + ToString(result_.events[0]);
    }
    return "";
  }
  // A cancel-replace: its verdict against the oracle with the old order
  // gone; refused, the old order is still live as it was; accepted, the old
  // order's cancel comes first and then the new order's events, which are
  // checked and booked as a placement's.
  std::string CheckPayload(const CancelReplace& c) {
    const std::vector<OpenOrder> none;
    const std::vector<OpenOrder>& os = pre_.orders ? *pre_.orders : none;
    const auto it = std::find_if(os.begin(), os.end(), [&](const OpenOrder& o) {
      return o.market == c.market && o.order.id == c.old_order_id;
    });
    const bool owned = it != os.end();
    if (std::string err = CheckReplaceVerdict(c, owned ? &it->order : nullptr); !err.empty()) {
      return err;
    }
    if (result_.reason != Reason::kOk) {
      if (!owned) return "";
      absl::StatusOr<std::vector<OpenOrder>> now = eng_.OpenOrders(c.account);
      if (!now.ok() || std::find_if(now->begin(), now->end(), [&](const OpenOrder& o) {
                         return o.market == c.market && o.order == it->order;
                       }) == now->end()) {
        return "a refused cancel-replace (" + Name(result_.reason) +
               ") did not leave the old order live as it was";
      }
      return "";
    }
    if (!owned) return "accepted a cancel-replace of an order the account does not have";
    const book::OrderView& old = it->order;
    if (result_.events.empty()) return "an accepted cancel-replace emitted no event";
    const events::OrderCanceled want{.market = c.market,
                                     .account = c.account,
                                     .order_id = old.id,
                                     .side = old.side,
                                     .reason = book::CancelReason::kUser,
                                     .price = old.price,
                                     .size = old.remaining,
                                     .remaining = Lots(0)};
    if (result_.events[0] != Event(want)) {
      return "a cancel-replace did not start with the old order's cancel: " +
             ToString(result_.events[0]);
    }
    if (std::string err = CheckPlaced(NewOrderOf(c), std::span(result_.events).subspan(1));
        !err.empty()) {
      return err;
    }
    // The old order is gone (only the account could have its id live
    // again, as the new order).
    absl::StatusOr<std::vector<OpenOrder>> now = eng_.OpenOrders(c.account);
    if (!now.ok()) return "OpenOrders() failed";
    for (const OpenOrder& o : *now) {
      if (o.market == c.market && o.order.id == old.id &&
          (old.id != c.order_id || o.order.priority <= old.priority)) {
        return "an accepted cancel-replace left the old order live";
      }
    }
    return "";
  }

  std::string CheckPayload(const OraclePrice& c) {
    const auto mit = markets_.find(c.market);
    if (mit == markets_.end()) return "";
    MarketModel& m = mit->second;
    // Which refusals apply (the publish checks go in PublishReason's order).
    std::vector<Reason> why;
    if (c.price > m.params.max_price) why.push_back(Reason::kPriceAboveMax);
    const auto src = m.sources.find(c.source);
    if (c.source == 0) {
      why.push_back(Reason::kOracleInvalidSource);
    } else if (src == m.sources.end() && m.sources.size() >= oracle::kMaxSources) {
      why.push_back(Reason::kOracleTooManySources);
    } else if (c.price.raw() <= 0) {
      why.push_back(Reason::kOracleInvalidPrice);
    } else if (c.publish_time > now_) {
      why.push_back(Reason::kOracleFromTheFuture);
    } else if (src != m.sources.end() && c.publish_time.raw() < src->second.time) {
      why.push_back(Reason::kOracleOutOfOrder);
    }
    const bool expected = why.empty() ? result_.reason == Reason::kOk
                                      : std::find(why.begin(), why.end(), result_.reason) != why.end();
    if (!expected) {
      return "oracle price answered " + Name(result_.reason) + ", expected " +
             (why.empty() ? std::string("kOk") : Name(why.front()));
    }
    if (result_.reason != Reason::kOk) return "";
    m.sources[c.source] = MarketModel::Source{c.price.raw(), c.publish_time.raw()};
    return CheckRefresh({c.market});
  }
  std::string CheckPayload(const RetireSource& c) {
    const auto mit = markets_.find(c.market);
    if (mit == markets_.end()) return "";
    MarketModel& m = mit->second;
    const bool known = m.sources.count(c.source) > 0;
    const Reason want = known ? Reason::kOk : Reason::kOracleUnknownSource;
    if (result_.reason != want) {
      return "retire source answered " + Name(result_.reason) + ", expected " + Name(want);
    }
    if (!known) return "";
    if (result_.events.empty() ||
        !(std::holds_alternative<events::SourceRetired>(result_.events[0]) &&
          std::get<events::SourceRetired>(result_.events[0]) ==
              events::SourceRetired{.market = c.market, .source = c.source})) {
      return "a retired source without its SourceRetired event first";
    }
    m.sources.erase(c.source);
    return CheckRefresh({c.market});
  }
  // The model has no liquidation (tests/engine/liquidation_property_test.cpp
  // has): its streams never send one.
  std::string CheckPayload(const Liquidate&) { return "a Liquidate in a stream without them"; }
  std::string CheckPayload(const SettleMarket&) {
    return "a SettleMarket in a stream without them";
  }
  std::string CheckPayload(const TimeTick& c) {
    if (result_.reason != Reason::kOk) return "";
    std::vector<MarketId> ids;
    for (const auto& [id, m] : markets_) {
      if (c.market == 0 || c.market == id) ids.push_back(id);
    }
    return CheckRefresh(ids);
  }

  // After the oracle of `ids` was refreshed: the index is the lower median of
  // the fresh sources (if at least min_sources), a failing source-deviation
  // guard trips the breaker, and the events say exactly what changed, in
  // market id order.
  std::string CheckRefresh(const std::vector<MarketId>& ids) {
    MarketId last = 0;
    for (const Event& e : result_.events) {
      if (std::holds_alternative<events::SourceRetired>(e)) continue;  // checked by its command
      const auto* u = std::get_if<events::PriceUpdate>(&e);
      const auto* b = std::get_if<events::CircuitBreaker>(&e);
      if (u == nullptr && b == nullptr) return "oracle update emitted " + ToString(e);
      const MarketId market = u != nullptr ? u->market : b->market;
      if (market < last) return "oracle events out of market order";
      last = market;
    }
    for (MarketId id : ids) {
      MarketModel& m = markets_.at(id);
      absl::StatusOr<MarketStats> st = eng_.Stats(id);
      const auto pit = pre_.markets.find(id);
      if (!st.ok() || pit == pre_.markets.end()) return "Stats() failed";
      const MarketStats& a = *st;
      const MarketStats& b = pit->second;
      const oracle::OracleConfig& oc = m.params.oracle;
      std::vector<std::int64_t> fresh;
      int128 expires = std::numeric_limits<std::int64_t>::max();
      for (const auto& [sid, src] : m.sources) {
        if (int128(now_.raw()) - src.time <= oc.staleness.raw()) {
          fresh.push_back(src.price);
          expires = std::min(expires, int128(src.time) + oc.staleness.raw());
        }
      }
      std::sort(fresh.begin(), fresh.end());
      // The quorum: the lower median stands only with a strict majority of
      // the fresh sources within max_source_deviation of it.
      const std::int64_t candidate =
          !fresh.empty() && fresh.size() >= oc.min_sources ? fresh[(fresh.size() - 1) / 2] : 0;
      const auto agreeing = std::count_if(fresh.begin(), fresh.end(), [&](std::int64_t px) {
        return candidate != 0 && Abs128(int128(px) - candidate) * kScale <=
                                     int128(oc.max_source_deviation.raw()) * candidate;
      });
      const std::int64_t index =
          2 * static_cast<std::size_t>(agreeing) > fresh.size() ? candidate : 0;
      m.usable_until =
          index == 0 ? -1
                     : static_cast<std::int64_t>(std::min<int128>(
                           std::min(expires, int128(now_.raw()) + oc.max_mark_age.raw()),
                           std::numeric_limits<std::int64_t>::max()));
      if (a.index.raw() != index || a.fresh_sources != fresh.size()) {
        return "market " + Num(id) + ": index " + Num(a.index.raw()) + " from " +
               Num(a.fresh_sources) + " fresh sources; the quorum rule gives " + Num(index) +
               " from " + Num(std::uint64_t{fresh.size()});
      }
      if (index != 0 && oc.max_source_deviation.raw() > 0) {
        const bool deviates = std::any_of(fresh.begin(), fresh.end(), [&](std::int64_t px) {
          return Abs128(int128(px) - index) * kScale >
                 int128(oc.max_source_deviation.raw()) * index;
        });
        if (deviates && !a.breaker) {
          return "market " + Num(id) + ": a fresh source deviates from the index, breaker clear";
        }
      }
      if (a.index.raw() != 0 && a.mark.raw() == 0) return "an index without a mark";
      if (a.mark.raw() == 0 && b.mark.raw() != 0) return "the last valid mark was lost";
      std::size_t updates = 0, breakers = 0;
      for (const Event& e : result_.events) {
        if (const auto* u = std::get_if<events::PriceUpdate>(&e); u && u->market == id) {
          ++updates;
          if (u->index != a.index || u->mark != a.mark || u->twap != a.twap) {
            return "price update " + ToString(e) + " disagrees with Stats() index " +
                   Num(a.index.raw()) + " mark " + Num(a.mark.raw()) + " twap " +
                   Num(a.twap.raw());
          }
        } else if (const auto* br = std::get_if<events::CircuitBreaker>(&e); br && br->market == id) {
          ++breakers;
          if (br->tripped != a.breaker || (a.breaker && br->cause != a.breaker_cause)) {
            return "breaker event " + ToString(e) + " disagrees with Stats()";
          }
        }
      }
      const bool changed = a.index != b.index || a.mark != b.mark;
      if (updates != (changed ? 1u : 0u) || breakers != (a.breaker != b.breaker ? 1u : 0u)) {
        return "market " + Num(id) + ": " + Num(std::uint64_t{updates}) + " price updates and " +
               Num(std::uint64_t{breakers}) + " breaker events for index " +
               Num(b.index.raw()) + "->" + Num(a.index.raw()) + " mark " + Num(b.mark.raw()) +
               "->" + Num(a.mark.raw()) + " breaker " + Num(std::uint64_t{b.breaker}) + "->" +
               Num(std::uint64_t{a.breaker});
      }
    }
    return "";
  }

  std::string CheckPayload(const PlaceOrder& c) {
    // PreviewOrder's verdict is Apply's: a refusal it names is Apply's, and
    // when it passes, only the book can still refuse. The preview answers at
    // the engine's time before the command, so an index that has expired by
    // the command's own time is the exception: in this market it is
    // kIndexStale, in another the account has a record in it turns that
    // position to its stressed value, which can refuse for margin.
    const bool expired_since =
        std::any_of(markets_.begin(), markets_.end(), [&](const auto& kv) {
          return kv.second.index != 0 && now_.raw() > kv.second.usable_until;
        });
    if (pre_.preview && !expired_since) {
      const absl::StatusOr<Preview>& pv = *pre_.preview;
      if (!pv.ok()) {
        if (result_.reason != Reason::kUnknownMarket && result_.reason != Reason::kUnknownAccount) {
          return "PreviewOrder failed (" + std::string(pv.status().message()) +
                 ") but Apply answered " + Name(result_.reason);
        }
      } else if (pv->reason != Reason::kOk && pv->reason != result_.reason) {
        return "PreviewOrder said " + Name(pv->reason) + ", Apply answered " +
               Name(result_.reason);
      } else if (pv->reason == Reason::kOk && result_.reason != Reason::kOk &&
                 !IsBookReason(result_.reason)) {
        return "PreviewOrder said kOk, Apply answered " + Name(result_.reason);
      }
    }
    if (std::string err = CheckOrderVerdict(c); !err.empty()) return err;
    if (result_.reason != Reason::kOk) return "";
    return CheckPlaced(c, result_.events);
  }

  // An accepted order's events (`events`: a placement's, or what follows a
  // cancel-replace's cancel) against the rules and into the ledger.
  std::string CheckPlaced(const PlaceOrder& c, std::span<const Event> events) {
    const PlaceOrder& o = c;
    const MarketModel& mm = markets_.at(c.market);
    AcctModel& taker = accounts_.at(o.account);
    PosModel& tp = taker.positions[c.market];
    const std::int64_t before = tp.size;
    if (pre_.stats) {
      const MarketStats& s = *pre_.stats;
      if (s.status == MarketStatus::kHalted || s.status == MarketStatus::kDelisted) {
        if (!c.reduce_only) return "a non-reduce-only order was accepted in a halted market";
        ++tally_.halted_reduce_only;
      }
      if (!c.reduce_only && (s.status == MarketStatus::kReduceOnly || s.breaker)) {
        return "a non-reduce-only order was accepted in a reduce-only market";
      }
      if (!c.reduce_only && s.index.raw() == 0) {
        return "a non-reduce-only order was accepted without an index price";
      }
      if (!c.reduce_only && now_.raw() > markets_.at(c.market).usable_until) {
        return "a non-reduce-only order was accepted with a stale index";
      }
    }
    if (c.reduce_only) {
      if (before == 0 || (o.side == Side::kBuy) == (before > 0)) {
        return "a reduce-only order was accepted without an opposite position";
      }
    }
    const bool buy = o.side == Side::kBuy;
    std::int64_t filled = 0, rested = 0;
    touched_.clear();
    for (const Event& ev : events) {
      if (const auto* e = std::get_if<events::Fill>(&ev)) {
        if (e->taker.account != o.account || e->taker.order_id != o.order_id ||
            e->market != c.market) {
          return "fill event of another taker: " + ToString(ev);
        }
        if (buy ? e->price > o.price : e->price < o.price) {
          return "taker filled beyond its limit: " + ToString(ev);
        }
        filled += e->size.raw();
        if (std::string err = SettleFill(*e, mm, c.market); !err.empty()) return err;
      } else if (const auto* r = std::get_if<events::OrderRested>(&ev)) {
        if (r->order_id != o.order_id) return "another order rested: " + ToString(ev);
        rested += r->size.raw();
        Record(taker, c.market);
      } else if (const auto* m = std::get_if<events::IsolatedMarginChanged>(&ev)) {
        // A fill's top-up or release: cross cash and buckets are one sum
        // in this ledger, so the move changes no balance kept here.
        if (m->cause != IsolatedMarginCause::kTopUp && m->cause != IsolatedMarginCause::kRelease) {
          return "an order moved isolated margin for a user's reason: " + ToString(ev);
        }
        if (!touched_.contains(m->account)) {
          return "isolated margin moved for an account that did not trade: " + ToString(ev);
        }
      } else if (KindOf(ev) != EventKind::kOrderCanceled &&
                 KindOf(ev) != EventKind::kOrderReduced) {
        return "an order emitted " + ToString(ev);
      }
    }
    if (filled != result_.filled.raw() || rested != result_.rested.raw()) {
      return "Result.filled/rested " + Num(result_.filled.raw()) + "/" +
             Num(result_.rested.raw()) + " disagree with the events " + Num(filled) + "/" +
             Num(rested);
    }
    if (filled + rested > o.size.raw()) return "filled + rested exceed the order size";
    if (std::string err = CheckPreviewFill(c, filled, rested); !err.empty()) return err;
    const std::int64_t after = tp.size;
    if (c.reduce_only) {
      const bool flipped = (before > 0 && after < 0) || (before < 0 && after > 0);
      const bool grew = (after > 0 ? after : -after) > (before > 0 ? before : -before);
      if (flipped || grew) {
        return "reduce-only order moved the position from " + Num(before) + " to " + Num(after);
      }
    } else if ((before > 0 && after < 0) || (before < 0 && after > 0)) {
      ++tally_.flips;
    }
    // Every account a fill touched: its cash and buckets are the ledger's,
    // isolated top-ups (worked out by the oracle) included.
    for (AccountId account : touched_) {
      if (std::string err = CheckMoney(account, "a fill"); !err.empty()) return err;
    }
    // Open interest as the engine reports it.
    absl::StatusOr<MarketStats> s = eng_.Stats(c.market);
    if (!s.ok()) return "Stats() failed";
    if (s->open_interest_long != s->open_interest_short ||
        s->open_interest_long.raw() != mm.oi_long) {
      return "Stats() open interest long " + Num(s->open_interest_long.raw()) + " short " +
             Num(s->open_interest_short.raw()) + ", the ledger's " + Num(mm.oi_long);
    }
    return "";
  }

  // PreviewOrder's estimate is the fill, when the estimate's simplifications
  // cannot bite: no own orders on the opposite side (no self-trade
  // prevention) and no band to tighten a market order's protection price.
  std::string CheckPreviewFill(const PlaceOrder& c, std::int64_t filled, std::int64_t rested) {
    if (!pre_.preview || !pre_.preview->ok() || !pre_.orders) return "";
    const Preview& pv = **pre_.preview;
    const PlaceOrder& o = c;
    const bool own_opposite =
        std::any_of(pre_.orders->begin(), pre_.orders->end(), [&](const OpenOrder& x) {
          return x.market == c.market && x.order.side != o.side;
        });
    if (own_opposite) return "";
    // Self-trade prevention between accounts of one owner, which the
    // preview does not simulate either.
    const bool stp = std::any_of(result_.events.begin(), result_.events.end(), [](const Event& e) {
      const auto* cancel = std::get_if<events::OrderCanceled>(&e);
      return KindOf(e) == EventKind::kOrderReduced ||
             (cancel != nullptr && cancel->reason == book::CancelReason::kSelfTrade);
    });
    if (stp) return "";
    const MarketModel& mm = markets_.at(c.market);
    if (o.type == OrderType::kMarket && mm.params.price_band.raw() != 0) return "";
    int128 notional = 0;
    for (const Event& e : result_.events) {
      if (const auto* f = std::get_if<events::Fill>(&e)) {
        notional += int128(f->price.raw()) * f->size.raw() * mm.atoms;
      }
    }
    const std::int64_t position = accounts_.at(o.account).positions[c.market].size;
    if (pv.fill_size.raw() != filled || pv.rest_size.raw() != rested ||
        int128(pv.fill_notional.raw()) != notional || pv.resulting_position.raw() != position) {
      return "PreviewOrder estimated fill " + Num(pv.fill_size.raw()) + " rest " +
             Num(pv.rest_size.raw()) + " notional " + Num(pv.fill_notional.raw()) +
             " position " + Num(pv.resulting_position.raw()) + "; the order filled " +
             Num(filled) + " rested " + Num(rested) + " notional " + Num(notional) +
             " position " + Num(position);
    }
    ++tally_.previews;
    return "";
  }

  // One fill: fee signs and rounding, then the ledger.
  std::string SettleFill(const events::Fill& e, const MarketModel& mm, MarketId market) {
    ++tally_.fills;
    const std::int64_t fee = e.taker.fee.raw();
    const std::int64_t maker_fee = e.maker.fee.raw();
    const std::int64_t ref = e.referrer_fee.raw();
    auto bad = [&](const char* why) { return std::string(why) + ": " + ToString(Event(e)); };
    if (e.size.raw() <= 0 || e.price.raw() <= 0) return bad("fill of no size or price");
    if (fee < 0) return bad("negative taker fee");
    if (ref < 0 || ref > fee) return bad("referrer fee outside [0, taker fee]");
    if (int128(fee) - ref + maker_fee < 0) return bad("the fee pool pays out on a fill");
    if (e.maker.account == e.taker.account) return bad("an account traded with itself");
    if (e.maker.side != book::Opposite(e.taker.side)) return bad("both sides on one side");
    AcctModel& taker = accounts_[e.taker.account];
    AcctModel& maker = accounts_[e.maker.account];
    const int128 notional = int128(e.price.raw()) * e.size.raw() * mm.atoms;
    const std::vector<Rate>& disc = config_.fee_tier_discounts;
    const int128 tr = mm.params.taker_fee.raw();
    const int128 t_lo = MulRates(notional, tr, kScale - disc[taker.tier].raw(), true);
    if (fee < t_lo || fee > t_lo + 1) {
      return bad(("taker fee is not notional * rate * (1 - discount) rounded up (expected " +
                  Num(t_lo) + ")").c_str());
    }
    const int128 mr = mm.params.maker_fee.raw();
    if (mr >= 0) {
      const int128 m_lo = MulRates(notional, mr, kScale - disc[maker.tier].raw(), true);
      if (maker_fee < m_lo || maker_fee > m_lo + 1) {
        return bad(("maker fee is not notional * rate * (1 - discount) rounded up (expected " +
                    Num(m_lo) + ")").c_str());
      }
    } else {
      const int128 rebate = MulRates(notional, -mr, kScale, false);
      if (maker_fee != -rebate) {
        return bad(("maker rebate is not notional * rate rounded down (expected " +
                    Num(-rebate) + ")").c_str());
      }
      ++tally_.rebates;
    }
    if (taker.referrer != 0) {
      const int128 want = MulRates(fee, config_.referrer_share.raw(), kScale, false);
      if (e.referrer != taker.referrer || ref != want) {
        return bad(("referrer cut is not the taker fee * share rounded down (expected " +
                    Num(want) + " to " + Num(taker.referrer) + ")").c_str());
      }
      if (ref > 0) ++tally_.referrer_cuts;
    } else if (e.referrer != 0 || ref != 0) {
      return bad("a referrer cut without a referrer");
    }
    // The ledger: cash moves price * size * atoms from buyer to seller, from
    // and to each side's bucket if isolated, and each side pays its fee
    // there; then each side's isolated bucket is topped up (or returned).
    const std::int64_t signed_size = e.taker.side == Side::kBuy ? e.size.raw() : -e.size.raw();
    const int128 flow = int128(signed_size) * e.price.raw() * mm.atoms;
    PosModel& tp = Record(taker, market);
    PosModel& mp = Record(maker, market);
    (tp.mode == MarginMode::kIsolated ? tp.bucket : taker.cash) -= flow + fee;
    (mp.mode == MarginMode::kIsolated ? mp.bucket : maker.cash) += flow - maker_fee;
    if (taker.referrer != 0) accounts_.at(taker.referrer).cash += ref;
    fee_pool_ += int128(fee) - ref + maker_fee;
    if (tp.mode == MarginMode::kIsolated || mp.mode == MarginMode::kIsolated) {
      ++tally_.isolated_fills;
    }
    MarketModel& m = markets_.at(market);
    auto move = [&m](PosModel& p, std::int64_t delta) {
      const std::int64_t old = p.size;
      p.size += delta;
      m.oi_long += std::max<std::int64_t>(p.size, 0) - std::max<std::int64_t>(old, 0);
      m.oi_short += std::max<std::int64_t>(-p.size, 0) - std::max<std::int64_t>(-old, 0);
    };
    const std::int64_t t_old = tp.size, m_old = mp.size;
    move(tp, signed_size);
    move(mp, -signed_size);
    TopUp(taker, tp, m, t_old);
    TopUp(maker, mp, m, m_old);
    touched_.insert(e.taker.account);
    touched_.insert(e.maker.account);
    {
      PosModel t_before = tp, m_before = mp;
      t_before.size = t_old;
      m_before.size = m_old;
      const int128 t_real = TradeModel(t_before, signed_size, e.price.raw(), mm.atoms);
      const int128 m_real = TradeModel(m_before, -signed_size, e.price.raw(), mm.atoms);
      if (t_real != e.taker.realized.raw() || m_real != e.maker.realized.raw()) {
        return bad(("realized PnL is not the pro-rata close of the cost basis (expected " +
                    Num(t_real) + " / " + Num(m_real) + ")").c_str());
      }
      tp.cost = t_before.cost;
      mp.cost = m_before.cost;
      // Realized PnL is per position (types.hpp PositionView): it adds up
      // while the position stays open on one side and restarts at 0 when it
      // opens, flips or closes.
      tp.realized = Sign64(tp.size) == Sign64(t_old) ? tp.realized + t_real : 0;
      mp.realized = Sign64(mp.size) == Sign64(m_old) ? mp.realized + m_real : 0;
    }
    m.volume += e.size.raw();
    m.notional_volume += notional;
    m.last_trade = e.price.raw();
    if (e.taker.position.raw() != tp.size || e.maker.position.raw() != mp.size) {
      return bad(("fill positions disagree with the ledger (taker " + Num(tp.size) +
                  ", maker " + Num(mp.size) + ")").c_str());
    }
    return "";
  }

  // A Summary against the ledger and the oracle: the records, cash and
  // buckets, positions and their bookkeeping, every requirement and every
  // derived field from its definition in types.hpp; and each liquidation
  // price against the rule of risk/margin.hpp: at it the position is not yet
  // liquidatable, one tick further it is.
  std::string CheckSummary(AccountId id, const AcctModel& a, const AccountSummary& s,
                           const OracleAccount& view) {
    auto fail = [&](const std::string& what) { return "account " + Num(id) + ": " + what; };
    const OracleRisk r = Evaluate(view);
    // free_collateral: exactly what a withdrawal may take, the rule's slack
    // capped by what the engine holds.
    const int128 free = std::max<int128>(
        0, std::min(CrossSlackModel(view, config_.withdraw_margin_fraction),
                    deposits_ - withdrawals_));
    if (int128(s.cash.raw()) != a.cash) {
      return fail("cash " + Num(s.cash.raw()) + ", the ledger " + Num(a.cash) +
                  " (deposits, withdrawals, transfers, trades, fees and top-ups)");
    }
    // Live records only: the markets with a position in the ledger or open
    // orders (the view); one where the account only chose a margin mode or
    // leverage, or whose position closed with no orders left, has none.
    if (s.positions.size() != view.positions.size()) {
      return fail("Summary lists " + Num(std::uint64_t{s.positions.size()}) +
                  " market records; the ledger has positions or open orders in " +
                  Num(std::uint64_t{view.positions.size()}));
    }
    int128 collateral = a.cash, unrealized = 0;
    for (const PositionView& p : s.positions) {
      const auto it = a.positions.find(p.market);
      const OraclePosition* op = view.Find(p.market);
      if (it == a.positions.end() || op == nullptr) {
        return fail("Summary has a record in market " + Num(p.market) +
                    " where the ledger has neither a position nor open orders");
      }
      const PosModel& want = it->second;
      const Tiers& tiers = op->m.params->tiers;
      auto in = [&](const std::string& what) {
        return fail("market " + Num(p.market) + ": " + what);
      };
      if (p.size.raw() != want.size || p.mode != want.mode || p.leverage != op->Leverage()) {
        return in("size " + Num(p.size.raw()) + " " + EnumName(p.mode) + " leverage " +
                  Num(p.leverage) + ", the ledger " + Num(want.size) + " " + EnumName(want.mode) +
                  " " + Num(op->Leverage()));
      }
      if (p.open_bid_lots.raw() != op->OpenLots(true) ||
          p.open_ask_lots.raw() != op->OpenLots(false) || p.open_orders != op->orders.size()) {
        return in("open bid/ask lots and orders differ from OpenOrders()");
      }
      const int128 value = op->Value();
      if (p.mark.raw() != op->m.mark || int128(p.value.raw()) != value) {
        return in("mark " + Num(p.mark.raw()) + " value " + Num(p.value.raw()) +
                  ", the last price update's mark " + Num(op->m.mark) + " gives " + Num(value));
      }
      // Bookkeeping: the cost basis closes pro rata and realized PnL is what
      // TradeModel says (cost - realized is then the signed notional traded).
      if (int128(p.cost.raw()) != want.cost || int128(p.realized_pnl.raw()) != want.realized ||
          int128(p.unrealized_pnl.raw()) != value - want.cost) {
        return in("cost " + Num(p.cost.raw()) + " realized " + Num(p.realized_pnl.raw()) +
                  " unrealized " + Num(p.unrealized_pnl.raw()) + ", the ledger " +
                  Num(want.cost) + " " + Num(want.realized) + " " + Num(value - want.cost));
      }
      const absl::StatusOr<std::int64_t> entry =
          p.size.raw() == 0 ? absl::StatusOr<std::int64_t>(0)
                            : DivRound(Abs128(want.cost), Abs128(p.size.raw()) * op->m.atoms,
                                       Round::kHalfEven);
      if (!entry.ok() || p.entry_price.raw() != *entry) {
        return in("entry price " + Num(p.entry_price.raw()) +
                  " is not |cost| / (|size| * atoms) half-even");
      }
      const int128 initial = OracleInitial(tiers, Abs128(value), op->Leverage());
      const int128 maintenance = OracleMaintenance(tiers, Abs128(value));
      if (int128(p.initial_requirement.raw()) != initial ||
          int128(p.maintenance_requirement.raw()) != maintenance) {
        return in("initial/maintenance requirement " + Num(p.initial_requirement.raw()) + "/" +
                  Num(p.maintenance_requirement.raw()) + ", the oracle " + Num(initial) + "/" +
                  Num(maintenance));
      }
      const int128 iso = want.mode == MarginMode::kIsolated ? want.bucket + value : 0;
      if (int128(p.isolated_equity.raw()) != iso ||
          (want.mode == MarginMode::kCross && want.bucket != 0)) {
        return in("isolated equity " + Num(p.isolated_equity.raw()) + ", the ledger's bucket " +
                  "plus value " + Num(iso));
      }
      if (want.mode == MarginMode::kCross) {
        collateral += want.cost;
        unrealized += value - want.cost;
      }
      if (p.size.raw() == 0 || p.liquidation.price.raw() == 0) continue;
      // margin(P): equity minus maintenance with this position at price P.
      int128 other_equity = want.bucket, other_maint = 0;
      if (want.mode == MarginMode::kCross) {
        other_equity = r.equity - MarginValueModel(*op);
        other_maint = r.maintenance - maintenance;
      }
      const std::int64_t size = p.size.raw();
      auto margin = [&](int128 price) {
        const int128 v = int128(size) * price * op->m.atoms;
        return other_equity + v - other_maint - OracleMaintenance(tiers, Abs128(v));
      };
      const std::int64_t lp = p.liquidation.price.raw();
      const std::int64_t next = size > 0 ? lp - 1 : lp + 1;
      if (margin(lp) < 0 || (next >= 1 && margin(next) >= 0)) {
        return in("liquidation price " + Num(lp) + " of size " + Num(size) +
                  " does not bracket maintenance: margin there " + Num(margin(lp)) +
                  ", one tick further " + Num(margin(next)));
      }
      // The tier is the exact root's (risk/margin.hpp), which lies between
      // the liquidation tick and the next tick past it.
      const std::size_t at_lp = OracleBracket(tiers, Abs128(int128(size) * lp * op->m.atoms));
      const std::size_t at_next =
          next >= 1 ? OracleBracket(tiers, Abs128(int128(size) * next * op->m.atoms)) : at_lp;
      if (p.liquidation.tier < std::min(at_lp, at_next) ||
          p.liquidation.tier > std::max(at_lp, at_next)) {
        return in("liquidation tier " + Num(std::uint64_t{p.liquidation.tier}) +
                  " is not a bracket between the liquidation price " + Num(lp) +
                  " and the next tick past it");
      }
      ++tally_.liquidation_prices;
    }
    if (int128(s.collateral.raw()) != collateral || int128(s.unrealized_pnl.raw()) != unrealized ||
        int128(s.equity.raw()) != r.equity) {
      return fail("collateral/unrealized/equity " + Num(s.collateral.raw()) + "/" +
                  Num(s.unrealized_pnl.raw()) + "/" + Num(s.equity.raw()) +
                  ", the ledger: cash + cost " + Num(collateral) + ", value - cost " +
                  Num(unrealized) + ", cash + value " + Num(r.equity));
    }
    if (int128(s.initial_requirement.raw()) != r.initial ||
        int128(s.initial_with_orders.raw()) != r.iwo ||
        int128(s.maintenance_requirement.raw()) != r.maintenance ||
        int128(s.free_collateral.raw()) != free) {
      return fail("Summary initial/with orders/maintenance/free " +
                  Num(s.initial_requirement.raw()) + "/" + Num(s.initial_with_orders.raw()) +
                  "/" + Num(s.maintenance_requirement.raw()) + "/" +
                  Num(s.free_collateral.raw()) + ", the margin oracle " + Num(r.initial) + "/" +
                  Num(r.iwo) + "/" + Num(r.maintenance) + "/" + Num(free));
    }
    // Liquidation's health is at the mark (no stressed values): cash + cost
    // + (value - cost) against maintenance; a deficit without a position is
    // liquidatable too (engine.hpp, "Liquidation").
    if (s.liquidatable != (collateral + unrealized < r.maintenance)) {
      return fail("liquidatable flag is not equity at the mark < maintenance");
    }
    // maintenance / equity rounded up; Rate::Max() at equity <= 0 or beyond.
    int128 ratio = 0;
    if (r.maintenance > 0) {
      ratio = r.equity <= 0 ? int128(Rate::Max().raw())
                            : std::min<int128>(CeilDiv(r.maintenance * kScale, r.equity),
                                               Rate::Max().raw());
    }
    if (int128(s.margin_ratio.raw()) != ratio) {
      return fail("margin ratio is not maintenance / equity rounded up");
    }
    return "";
  }

  // Every account against the ledger and the oracle, and every market's
  // open interest, volume and prices.
  std::string CheckLedger() {
    LoadTwaps();
    if (std::string err = event_balances_.Compare(eng_); !err.empty()) return err;
    std::uint64_t open_orders = 0;
    for (const auto& [id, a] : accounts_) {
      absl::StatusOr<AccountSummary> s = eng_.Summary(id);
      if (!s.ok()) return "Summary(" + Num(id) + ") failed";
      absl::StatusOr<std::vector<OpenOrder>> orders = eng_.OpenOrders(id);
      if (!orders.ok()) return "OpenOrders(" + Num(id) + ") failed";
      open_orders += orders->size();
      if (s->owner != a.owner || s->fee_tier != a.tier || s->referrer != a.referrer) {
        return "Summary(" + Num(id) + ") owner/fee tier/referrer differ from the ledger's";
      }
      if (std::string err = CheckSummary(id, a, *s, ModelView(a, *orders)); !err.empty()) {
        return err;
      }
    }
    for (const auto& [id, m] : markets_) {
      absl::StatusOr<MarketStats> s = eng_.Stats(id);
      if (!s.ok()) return "Stats(" + Num(id) + ") failed";
      if (s->open_interest_long.raw() != m.oi_long || s->open_interest_short.raw() != m.oi_short) {
        return "market " + Num(id) + ": open interest differs from the ledger's";
      }
      const int128 nv = std::min(m.notional_volume, int128(kMax));
      if (s->volume.raw() != m.volume || int128(s->notional_volume.raw()) != nv ||
          s->last_trade.raw() != m.last_trade) {
        return "market " + Num(id) + ": volume " + Num(s->volume.raw()) + " notional " +
               Num(s->notional_volume.raw()) + " last trade " + Num(s->last_trade.raw()) +
               " differ from the fills' " + Num(m.volume) + " " + Num(nv) + " " +
               Num(m.last_trade);
      }
      if (s->mark.raw() != m.mark || s->index.raw() != m.index) {
        return "market " + Num(id) + ": mark/index " + Num(s->mark.raw()) + "/" +
               Num(s->index.raw()) + ", the price updates said " + Num(m.mark) + "/" +
               Num(m.index);
      }
    }
    tally_.open_orders_peak = std::max(tally_.open_orders_peak, open_orders);
    tally_.open_orders_sum += open_orders;
    ++tally_.open_orders_samples;
    return "";
  }

  // --- determinism ------------------------------------------------------------
  std::string CompareTwins(const Command& cmd, std::size_t index) {
    auto compare = [&](Engine& other, const char* who) -> std::string {
      const Outcome o = OutcomeOf(other.Apply(cmd));
      if (o == result_) return "";
      std::string s = std::string(who) + " answered differently: " + Name(o.reason) + " vs " +
                      Name(result_.reason);
      const std::size_t n = std::max(o.events.size(), result_.events.size());
      for (std::size_t i = 0; i < n; ++i) {
        s += "\n    [" + Num(std::uint64_t{i}) + "] " +
             (i < result_.events.size() ? ToString(result_.events[i]) : "-") + "\n        " +
             (i < o.events.size() ? ToString(o.events[i]) : "-");
      }
      return s;
    };
    if (std::string err = compare(*twin_, "a second engine"); !err.empty()) return err;
    if (std::string err = compare(*reseeded_, "an engine with another hash_seed"); !err.empty()) {
      return err;
    }
    if (copy_) {
      if (std::string err = compare(*copy_, "a copy made mid-stream"); !err.empty()) return err;
    }
    if (index % 1024 == 0) {
      state_.clear();
      eng_.EncodeCanonical(&state_);
      for (const Engine* other : {&*twin_, &*reseeded_}) {
        after_.clear();
        other->EncodeCanonical(&after_);
        if (after_ != state_) return "EncodeCanonical() differs from a twin fed the same stream";
      }
      if (copy_) {
        after_.clear();
        copy_->EncodeCanonical(&after_);
        if (after_ != state_) return "EncodeCanonical() differs from a copy made mid-stream";
      }
    }
    return "";
  }

  Options options_;
  EngineConfig config_;
  Engine eng_;
  std::optional<Engine> twin_, reseeded_, copy_;
  std::size_t copy_made_at_ = 0;
  Outcome result_;
  // (account, market) -> warned, from the MarginWarning events.
  std::map<std::pair<AccountId, MarketId>, bool> warned_;
  TimeNs now_;  // the command's timestamp
  Pre pre_;
  Tally tally_;
  std::string state_, after_;  // the encoding after the last command; scratch
  std::uint64_t checked_ = 0;
  // The ledger.
  std::map<AccountId, AcctModel> accounts_;
  std::map<MarketId, MarketModel> markets_;
  std::set<AccountId> touched_;  // the accounts the last order's fills touched
  int128 fee_pool_ = 0, insurance_ = 0, deposits_ = 0, withdrawals_ = 0;
  EventBalances event_balances_;  // the same balances from the events alone
};


// -----------------------------------------------------------------------------
// Running, replaying and shrinking.
// -----------------------------------------------------------------------------
struct Failure {
  std::size_t index = 0;  // the failing op; the failing prefix is ops[0..index]
  std::string message;
};

// A PERPCORE_CHECK inside the engine: the fatal handler throws this (test
// code only; perpcore itself never throws), so the failure is shrunk like
// any other. The engine that threw is discarded.
struct FatalError {
  std::string message;
};

struct Context {
  std::uint64_t seed = 0;
  std::size_t index = 0;
  const std::vector<Op>* ops = nullptr;
  const char* phase = "";
  bool verbose = true;  // off while replaying and shrinking
};
Context g_context;

void OnFatal(const char* condition, const char* file, int line) {
  std::string msg = Fmt("PERPCORE_CHECK(%s) failed at %s:%d", condition, file, line);
  if (!g_context.verbose) throw FatalError{std::move(msg)};
  std::printf("\n[property] %s\n[property] %s seed=0x%" PRIx64 " at op #%zu\n", msg.c_str(),
              g_context.phase, g_context.seed, g_context.index);
  if (g_context.ops != nullptr) {
    const std::vector<Op>& ops = *g_context.ops;
    const std::size_t end = std::min(g_context.index + 1, ops.size());
    const std::size_t begin = end > 12 ? end - 12 : 0;
    std::printf("[property] the last %zu ops:\n", end - begin);
    for (std::size_t i = begin; i < end; ++i) {
      std::printf("  /* #%zu */ %s\n", i, ToString(ops[i]).c_str());
    }
  }
  std::fflush(stdout);
  throw FatalError{std::move(msg)};
}

std::string SafeStep(Harness& h, const Op& op, std::size_t index) {
  try {
    return h.Step(op, index);
  } catch (const FatalError& f) {
    return f.message;
  }
}

std::optional<Failure> Replay(const EngineConfig& config, const Options& options,
                              const std::vector<Op>& ops) {
  Harness h(config, options);
  const std::vector<Op>* outer = g_context.ops;
  g_context.ops = &ops;
  std::optional<Failure> failure;
  for (std::size_t i = 0; i < ops.size() && !failure; ++i) {
    g_context.index = i;
    std::string err = SafeStep(h, ops[i], i);
    if (!err.empty()) failure = Failure{i, std::move(err)};
  }
  if (!failure && !ops.empty()) {
    std::string err;
    try {
      err = h.Finish();
    } catch (const FatalError& f) {
      err = f.message;
    }
    if (!err.empty()) failure = Failure{ops.size() - 1, std::move(err)};
  }
  g_context.ops = outer;
  return failure;
}

// Replays `ops` on a fresh engine and lists each with its answer and events.
std::string Trace(const EngineConfig& config, const std::vector<Op>& ops) {
  Engine eng(config);
  std::string s;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const Command c = MakeCommand(eng, ops[i]);
    s += Fmt("  /* #%zu */ eng.Apply({.seq = %" PRIu64 ", .timestamp = TimeNs(%" PRId64
             "), .payload = ",
             i, c.seq, c.timestamp.raw()) +
         ToString(c.payload) + "});\n";
    absl::StatusOr<Result> answer = absl::UnknownError("");
    try {
      answer = eng.Apply(c);
    } catch (const FatalError& f) {
      s += "      // " + f.message + "\n";
      break;
    }
    if (!answer.ok()) {
      s += "      // -> " + answer.status().ToString() + "\n";
      continue;
    }
    const Result& r = *answer;
    s += "      // -> " + Name(r.reason);
    if (r.filled.raw() != 0 || r.rested.raw() != 0) {
      s += " filled=" + Num(r.filled.raw()) + " rested=" + Num(r.rested.raw());
    }
    s += "\n";
    for (const Event& e : r.events) s += "      //   " + ToString(e) + "\n";
  }
  return s;
}

// Delta debugging: drops chunks of ops, halving the chunk size, while the
// stream still fails on a fresh engine; each failure truncates to its prefix.
std::vector<Op> Shrink(const EngineConfig& config, const Options& options, std::vector<Op> ops,
                       std::int64_t budget_ms, Failure* last) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(budget_ms);
  std::size_t chunk = std::max<std::size_t>(ops.size() / 2, 1);
  while (chunk >= 1 && Clock::now() < deadline) {
    bool removed = false;
    for (std::size_t start = 0; start < ops.size() && Clock::now() < deadline;) {
      std::vector<Op> candidate;
      candidate.reserve(ops.size());
      candidate.insert(candidate.end(), ops.begin(),
                       ops.begin() + static_cast<std::ptrdiff_t>(start));
      const std::size_t stop = std::min(ops.size(), start + chunk);
      candidate.insert(candidate.end(), ops.begin() + static_cast<std::ptrdiff_t>(stop), ops.end());
      if (candidate.empty()) {
        start = stop;
        continue;
      }
      if (std::optional<Failure> f = Replay(config, options, candidate)) {
        candidate.resize(f->index + 1);
        ops = std::move(candidate);
        *last = std::move(*f);
        removed = true;
      } else {
        start = stop;
      }
    }
    if (!removed) {
      if (chunk == 1) break;
      chunk /= 2;
    }
  }
  return ops;
}

std::optional<std::uint64_t> EnvU64(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::strtoull(v, nullptr, 0);
}

std::vector<std::uint64_t> Seeds() {
  if (std::optional<std::uint64_t> s = EnvU64("PERPCORE_TEST_SEED")) return {*s};
  return {std::begin(kDefaultSeeds), std::end(kDefaultSeeds)};
}

std::size_t Iterations(std::size_t fallback = 100'000) {
  std::optional<std::uint64_t> n = EnvU64("PERPCORE_TEST_ITERS");
  return n ? static_cast<std::size_t>(*n) : fallback;
}

// Runs one seed's stream; returns "" or a full report of the failure.
std::string RunSeed(const char* property, std::uint64_t seed, std::size_t iters,
                    const Options& options, Tally* tally) {
  Generator gen(seed, iters);
  const EngineConfig config = gen.config();
  std::printf("[property] %s: seed=0x%" PRIx64 " commands=%zu markets=%zu accounts=%zu\n",
              property, seed, iters, gen.world().markets, gen.world().accounts);
  std::fflush(stdout);
  g_context = Context{seed, 0, nullptr, property};
  const FatalHandler previous = SetFatalHandler(&OnFatal);

  const auto started = std::chrono::steady_clock::now();
  Harness h(config, options);
  std::vector<Op> ops;
  ops.reserve(iters);
  g_context.ops = &ops;
  std::optional<Failure> failure;
  for (std::size_t i = 0; i < iters && !failure; ++i) {
    g_context.index = i;
    try {
      ops.push_back(gen.Next(h.engine()));
    } catch (const FatalError& f) {  // a query tripped a check
      failure = Failure{i == 0 ? 0 : i - 1, f.message};
      break;
    }
    std::string err = SafeStep(h, ops.back(), i);
    if (!err.empty()) {
      failure = Failure{i, std::move(err)};
    } else {
      gen.Observe(ops.back(), h.last_accepted());
    }
  }
  if (!failure && !ops.empty()) {
    std::string err;
    try {
      err = h.Finish();
    } catch (const FatalError& f) {
      err = f.message;
    }
    if (!err.empty()) failure = Failure{ops.size() - 1, std::move(err)};
  }
  tally->Merge(h.tally());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("[property]   %.1f s\n", seconds);
  if (options.checks) std::printf("%s", h.tally().ToString().c_str());
  std::fflush(stdout);
  if (!failure) {
    SetFatalHandler(previous);
    return "";
  }
  std::string report =
      Fmt("[property] %s: FAILED seed=0x%" PRIx64 " at command #%zu: failing prefix length %zu\n",
          property, seed, failure->index, failure->index + 1);
  report += Fmt("[property] rerun: PERPCORE_TEST_SEED=0x%" PRIx64 " PERPCORE_TEST_ITERS=%zu\n",
                seed, failure->index + 1);
  report += "[property] " + ToString(config) + "\n";
  report += "[property] command: " + ToString(ops[failure->index]) + "\n";
  report += "[property] " + failure->message + "\n";
  std::printf("%s", report.c_str());
  std::fflush(stdout);

  ops.resize(failure->index + 1);
  // The shortest failing prefix, with the full ledger after every command.
  g_context.phase = "replaying";
  g_context.verbose = false;
  Options replay = options;
  replay.ledger_every = 1;
  if (std::optional<Failure> first = Replay(config, replay, ops)) {
    ops.resize(first->index + 1);
    failure = std::move(first);
  }
  const std::int64_t budget_ms =
      static_cast<std::int64_t>(EnvU64("PERPCORE_TEST_SHRINK_SECONDS").value_or(20)) * 1000;
  Failure last = *failure;
  g_context.phase = "shrinking";
  Options shrinking = options;
  shrinking.ledger_every = 61;
  std::vector<Op> shrunk = Shrink(config, shrinking, ops, budget_ms, &last);
  SetFatalHandler(previous);
  std::string tail = Fmt("[property] shortest failing prefix %zu commands, shrunk to %zu; it "
                         "fails with:\n[property] ",
                         ops.size(), shrunk.size());
  tail += last.message + "\n  Engine eng(" + ToString(config) + ");\n";
  SetFatalHandler(&OnFatal);
  tail += Trace(config, shrunk);
  SetFatalHandler(previous);
  std::printf("%s", tail.c_str());
  std::fflush(stdout);
  return report + tail;
}

constexpr std::size_t kMinBoundaryIters = 10'000;

Tally RunProperty(const char* property, const Options& options, std::size_t iters) {
  Tally tally;
  for (std::uint64_t seed : Seeds()) {
    Tally seed_tally;
    const std::string report = RunSeed(property, seed, iters, options, &seed_tally);
    tally.Merge(seed_tally);
    INFO(report);
    CHECK(report.empty());
    // Every seed puts the margin rule to the test within an atom of its
    // boundary (at kMinBoundaryIters commands or more; shorter reruns of a
    // failing prefix are exempt).
    if (options.checks && iters >= kMinBoundaryIters) {
      INFO(Fmt("seed=0x%" PRIx64, seed));
      REQUIRE(seed_tally.NearBoundary() > 0);
    }
  }
  return tally;
}

TEST_CASE("Engine property: conservation and every invariant hold after every command",
          "[engine][property]") {
  Options o;
  o.checks = true;
  const std::size_t iters = Iterations();
  const Tally t = RunProperty("invariants", o, iters);
  // With the default seeds and length the streams reach what they are meant
  // to reach: a generator that rots into testing nothing fails here.
  if (!EnvU64("PERPCORE_TEST_SEED") && iters >= 100'000) {
    INFO(t.ToString());
    for (std::size_t k = 0; k < kPayloadKinds; ++k) {
      // Liquidations have their own property test (the model has none).
      if (std::string_view(kPayloadNames[k]) == "Liquidate") continue;
      // So has the final settlement (scenario_settlement_test.cpp).
      if (std::string_view(kPayloadNames[k]) == "SettleMarket") continue;
      INFO("command " << kPayloadNames[k]);
      CHECK(t.commands[k][1] > 0);
      CHECK(t.commands[k][0] > 0);
    }
    for (Reason r : {Reason::kInsufficientMargin, Reason::kInsufficientCollateral,
                     Reason::kMarketReduceOnly, Reason::kNoIndexPrice, Reason::kMarketHalted,
                     Reason::kOpenInterestLimit, Reason::kReduceOnlyWouldIncrease,
                     Reason::kReduceOnlyNotImmediate, Reason::kUnknownMarket, Reason::kUnknownAccount,
                     Reason::kInvalidAmount, Reason::kNotSameOwner, Reason::kSameAccount,
                     Reason::kMarginModeLocked, Reason::kNotIsolated, Reason::kInvalidLeverage,
                     Reason::kPriceAboveMax, Reason::kOracleOutOfOrder,
                     Reason::kOracleFromTheFuture, Reason::kOracleInvalidPrice,
                     Reason::kMaxDepositExceeded, Reason::kInvalidStatus,
                     Reason::kInvalidMarginMode, Reason::kInvalidFeeTier,
                     Reason::kInvalidMarketParams, Reason::kParamImmutable,
                     Reason::kTooManyMarkets, Reason::kPostOnlyWouldCross,
                     Reason::kFokNotFilled, Reason::kUnknownOrder,
                     Reason::kPriceOutsideBand,
                     Reason::kTooManyOrders}) {
      INFO("reason " << Name(r));
      CHECK(t.reason(r) > 0);
    }
    CHECK(t.fills > 1'000);
    CHECK(t.reduce_only_fills > 0);
    CHECK(t.isolated_fills > 0);
    CHECK(t.flips > 0);
    CHECK(t.rebates > 0);
    CHECK(t.referrer_cuts > 0);
    CHECK(t.breaker_trips > 0);
    CHECK(t.breaker_clears > 0);
    CHECK(t.self_trade > 0);
    CHECK(t.max_fill_cuts > 0);
    CHECK(t.slid > 0);
    CHECK(t.replace_traded > 0);
    CHECK(t.replace_same_id > 0);
    CHECK(t.withdraw_unbacked > 0);
    CHECK(t.withdraw_stressed > 0);
    CHECK(t.halted_reduce_only > 0);
    CHECK(t.at_boundary_accepted > 0);
    CHECK(t.short_by_one_refused > 0);
    for (std::size_t k = 0; k < kDecisionKinds; ++k) {
      INFO("near-boundary " << kDecisionNames[k] << " decisions");
      CHECK(t.near_boundary[k] > 0);
    }
    CHECK(t.events[static_cast<std::size_t>(EventKind::kIsolatedMarginChanged)] > 0);
    CHECK(t.events[static_cast<std::size_t>(EventKind::kOrderReduced)] > 0);
  }
}

TEST_CASE("Engine property: engines fed the same stream end with the same digest",
          "[engine][property]") {
  Options o;
  o.twins = true;
  RunProperty("determinism", o, Iterations());
}

TEST_CASE("Engine property: long streams keep every invariant", "[engine][property][slow][.]") {
  Options o;
  o.checks = true;
  o.twins = true;
  RunProperty("long", o, Iterations(1'000'000));
}

}  // namespace
}  // namespace perpcore::engine
