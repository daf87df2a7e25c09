// Arithmetic that cannot overflow, and bounded work per command (issue 11,
// items 7-11): market bounds checked by division, max_price never below a
// price the market holds, saturating margin products and statistics, the
// market-wide open-interest bound, the match cap per taker and the event
// buffers it bounds, and a scenario from the dYdX v3 YFI post-mortem.
//
// Money is in 1e-6 USDC atoms. The BTC market has a 0.1 USD tick and a
// 0.001 BTC lot: one tick of one lot is 100 atoms, 30,000 USD is 300,000
// ticks and 1 BTC is 1,000 lots.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <variant>

#include "perpcore/detail/int128_text.hpp"
#include "perpcore/engine/engine.hpp"
#include "perpcore/risk/account.hpp"
#include "support/catch_ids.hpp"

namespace perpcore::engine {
namespace {

using absl::int128;

constexpr std::int64_t kMaxI64 = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kUsd = 1'000'000;  // atoms per USD
constexpr std::int64_t kBtc = 1'000;      // lots per BTC
constexpr Ticks Usd(std::int64_t dollars) { return Ticks(dollars * 10); }

// One tier at 20x, 1% maintenance; maker 1 bp, taker 5 bp (the defaults).
MarketParams Btc() {
  MarketParams p;
  p.symbol = "BTC-USD";
  p.tick_size = {1, -1};
  p.lot_size = {1, -3};
  p.max_order_size = Lots(100 * kBtc);
  p.max_open_interest = Lots(1'000 * kBtc);
  p.max_price = Usd(1'000'000);
  p.oracle.min_sources = 1;
  return p;
}

std::shared_ptr<const MarketParams> Shared(MarketParams p) {
  return std::make_shared<const MarketParams>(std::move(p));
}

template <class E>
const E& As(const Event& e) {
  REQUIRE(std::holds_alternative<E>(e));
  return std::get<E>(e);
}

class Harness {
 public:
  explicit Harness(EngineConfig config = {}) : eng(config) {}

  // `check`: run CheckInvariants after the command (O(state); bulk set-ups
  // of thousands of orders skip it and check once at the end).
  Result Do(Payload p, bool check = true) {
    now += 1;
    absl::StatusOr<Result> r = eng.Apply(Command{eng.last_seq() + 1, TimeNs(now), std::move(p)});
    REQUIRE(r.ok());
    if (check) REQUIRE(eng.CheckInvariants().ok());
    return *r;
  }
  void Ok(Payload p, bool check = true) {
    const Result r = Do(std::move(p), check);
    INFO(ReasonName(r.reason));
    REQUIRE(r.ok());
  }
  void Market(const MarketParams& p, Ticks index) {
    Ok(CreateMarket{.market = 1, .params = Shared(p)});
    Ok(OraclePrice{.market = 1, .source = 1, .price = index, .publish_time = TimeNs(now)});
  }
  void Account(AccountId id, std::int64_t atoms) {
    Ok(CreateAccount{.account = id, .owner = OwnerId(id.value())});
    if (atoms > 0) Ok(Deposit{.account = id, .amount = Quote(atoms)});
  }
  Result Order(AccountId account, OrderId id, Side side, Ticks price, Lots size,
               TimeInForce tif = TimeInForce::kGtc, bool check = true) {
    return Do(PlaceOrder{.market = 1,
                         .account = account,
                         .order_id = id,
                         .side = side,
                         .tif = tif,
                         .price = price,
                         .size = size},
              check);
  }
  MarketStats Stats() const {
    auto s = eng.Stats(1);
    REQUIRE(s.ok());
    return *s;
  }

  Engine eng;
  std::int64_t now = 1'000'000'000;
};

// ---------------------------------------------------------------------------
// Item 7: market bounds by division
// ---------------------------------------------------------------------------

// tick 2^54 * 10^-6 USD, lot 1, 6 decimals: 2^54 atoms per tick-lot, the
// largest allowed. 2^37 lots * 2^37 ticks * 2^54 atoms = 2^128, which is 0
// in 128-bit arithmetic: the product test read it as within 2^54.
TEST_CASE("Engine: a market whose max_open_interest * max_price * atoms is 2^128 is refused",
          "[engine]") {
  MarketParams p = Btc();
  p.tick_size = {std::int64_t{1} << 54, -6};
  p.lot_size = {1, 0};
  p.max_order_size = Lots(1);
  p.max_open_interest = Lots(std::int64_t{1} << 37);
  p.max_price = Ticks(std::int64_t{1} << 37);
  Harness h;
  CHECK(h.Do(CreateMarket{.market = 1, .params = Shared(p)}).reason ==
        Reason::kInvalidMarketParams);
  const absl::Status s = h.eng.ValidateMarket(p);
  CHECK(s.message() == "MarketParams.max_open_interest * max_price * atoms_per_tick_lot must be <= 2^54");
}

// Mantissas 7,133,701,809,754,865,664 (99 * 2^56)
// and 2^62 at exponents 2 and 2 with 6 decimals: ten steps of *10 in 128
// bits, each wrapped value negative or small, end at exactly 0 modulo 2^128.
// Unchecked, the market got 0 atoms per tick-lot: positions worth nothing
// and needing no margin.
TEST_CASE("Engine: tick and lot mantissas whose product wraps at the decimals are refused",
          "[engine]") {
  MarketParams p = Btc();
  p.tick_size = {7'133'701'809'754'865'664, 2};
  p.lot_size = {std::int64_t{1} << 62, 2};
  p.max_order_size = Lots(1);
  p.max_open_interest = Lots(1);
  p.max_price = Ticks(1);
  Harness h;
  CHECK(h.Do(CreateMarket{.market = 1, .params = Shared(p)}).reason ==
        Reason::kInvalidMarketParams);
  CHECK(h.eng.ValidateMarket(p).message() == "MarketParams.tick_size * lot_size is above 2^54 atoms");
}

// tick 0.001, lot 0.001 at 6 decimals: 1 atom per tick-lot. 2^24 lots at
// 2^30 ticks is 2^54 exactly; one lot more is 2^54 + 2^30.
TEST_CASE("Engine: max_open_interest * max_price * atoms of exactly 2^54 is accepted",
          "[engine]") {
  MarketParams p = Btc();
  p.tick_size = {1, -3};
  p.lot_size = {1, -3};
  p.max_order_size = Lots(1);
  p.max_open_interest = Lots(std::int64_t{1} << 24);
  p.max_price = Ticks(std::int64_t{1} << 30);
  Harness h;
  CHECK(h.eng.ValidateMarket(p).ok());
  p.max_open_interest = Lots((std::int64_t{1} << 24) + 1);
  CHECK(h.eng.ValidateMarket(p).message() ==
        "MarketParams.max_open_interest * max_price * atoms_per_tick_lot must be <= 2^54");
}

// ---------------------------------------------------------------------------
// Item 8: max_price never below a price the market holds; saturating margin
// ---------------------------------------------------------------------------

// No position or order (so lowering is not kParamImmutable), index 30,000
// USD = 300,000 ticks: 299,999 would leave the index above max_price.
TEST_CASE("Engine: UpdateMarket refuses a max_price one tick below the index", "[engine]") {
  Harness h;
  h.Market(Btc(), Usd(30'000));
  MarketParams p = Btc();
  p.max_price = Ticks(299'999);
  CHECK(h.Do(UpdateMarket{.market = 1, .params = Shared(p)}).reason ==
        Reason::kMaxPriceBelowMarketPrice);
  CHECK(h.eng.Params(1)->max_price == Usd(1'000'000));
}

TEST_CASE("Engine: UpdateMarket accepts a max_price equal to the index", "[engine]") {
  Harness h;
  h.Market(Btc(), Usd(30'000));
  MarketParams p = Btc();
  p.max_price = Ticks(300'000);
  h.Ok(UpdateMarket{.market = 1, .params = Shared(p)});
  CHECK(h.eng.Params(1)->max_price == Ticks(300'000));
}

// A resting order makes the market live, so the market-wide open-interest
// bound is compared with the old one; that bound divides by max_price, which
// must be validated first (found by the C API fuzz target: a division by
// zero in UpdateMarket's Validate). Lowering max_price under live state is
// kParamImmutable.
TEST_CASE("Engine: UpdateMarket of a live market with max_price 0 is refused, not divided by",
          "[engine]") {
  Harness h;
  h.Market(Btc(), Usd(30'000));
  h.Account(1, 100'000 * kUsd);
  REQUIRE(h.Order(1, 1, Side::kBuy, Usd(29'000), Lots(1)).ok());
  MarketParams p = Btc();
  p.max_price = Ticks(0);
  CHECK(h.Do(UpdateMarket{.market = 1, .params = Shared(p)}).reason == Reason::kParamImmutable);
}

// The last trade counts too: a trade at 31,000 (above the index), then both
// sides close at 31,000 and nothing is live; 30,500 is below the last trade.
TEST_CASE("Engine: UpdateMarket refuses a max_price below the last trade", "[engine]") {
  Harness h;
  h.Market(Btc(), Usd(30'000));
  h.Account(1, 100'000 * kUsd);
  h.Account(2, 100'000 * kUsd);
  REQUIRE(h.Order(1, 1, Side::kSell, Usd(31'000), Lots(1)).ok());
  REQUIRE(h.Order(2, 2, Side::kBuy, Usd(31'000), Lots(1), TimeInForce::kIoc).ok());
  REQUIRE(h.Order(1, 3, Side::kBuy, Usd(31'000), Lots(1)).ok());
  REQUIRE(h.Order(2, 4, Side::kSell, Usd(31'000), Lots(1), TimeInForce::kIoc).ok());
  REQUIRE(h.Stats().open_interest_long == Lots(0));
  REQUIRE(h.Stats().last_trade == Usd(31'000));
  MarketParams p = Btc();
  p.max_price = Usd(30'500);
  CHECK(h.Do(UpdateMarket{.market = 1, .params = Shared(p)}).reason ==
        Reason::kMaxPriceBelowMarketPrice);
  p.max_price = Usd(31'000);
  h.Ok(UpdateMarket{.market = 1, .params = Shared(p)});
}

// 2^62 lots * 2^62 ticks * 2^62 atoms = 2^186, which wraps to 0 in 128
// bits: the worst case read 0 (no margin at all). Saturated, the notional
// is INT64_MAX atoms, and the requirement is that notional's.
TEST_CASE("risk::WorstCaseScaled saturates a notional beyond int64 instead of wrapping",
          "[engine]") {
  const auto tiers = risk::TierTable::Create(Btc().tiers);
  REQUIRE(tiers.ok());
  const std::int64_t big = std::int64_t{1} << 62;
  const int128 worst = risk::WorstCaseScaled(*tiers, 1, big, big, big, risk::OrderExposure{});
  // Leverage 1: the initial rate is 1, so InitialScaled(n) = n * 10^18.
  CHECK(worst == int128(kMaxI64) * kRateScale);
  CHECK(worst == tiers->InitialScaled(Quote::Max(), 1));
}

// An open loss of 2^100 ticks * lots at 2^40 atoms per tick-lot is 2^140
// atoms: counted as INT64_MAX atoms. The position (size 1 at mark 1, 2^40
// atoms) needs 2^40 at leverage 1.
TEST_CASE("risk::WorstCaseScaled saturates an open loss beyond int64 instead of wrapping",
          "[engine]") {
  const auto tiers = risk::TierTable::Create(Btc().tiers);
  REQUIRE(tiers.ok());
  const std::int64_t atoms = std::int64_t{1} << 40;
  const risk::OrderExposure orders{.bid_lots = 0, .bid_loss = int128(1) << 100};
  const int128 worst = risk::WorstCaseScaled(*tiers, 1, 1, 1, atoms, orders);
  CHECK(worst == (int128(atoms) + kMaxI64) * kRateScale);
}

// ---------------------------------------------------------------------------
// Item 10: saturating volume, the market-wide open interest, previews
// ---------------------------------------------------------------------------

// 1 atom per tick-lot at max_price 1 tick, so orders of 2^54 lots are within
// every bound. Each round trip trades 2^54 lots twice (open, close): after
// 255 round trips and one more fill the volume is 511 * 2^54 = 2^63 - 2^54;
// the 512th fill would make 2^63, one past INT64_MAX, and saturates.
TEST_CASE("Engine: market volume saturates at INT64_MAX", "[engine]") {
  const std::int64_t q = std::int64_t{1} << 54;
  MarketParams p = Btc();
  p.tick_size = {1, -3};
  p.lot_size = {1, -3};
  p.max_price = Ticks(1);
  p.max_order_size = Lots(q);
  p.max_open_interest = Lots(q);
  Harness h;
  h.Market(p, Ticks(1));
  h.Account(1, std::int64_t{1} << 58);
  h.Account(2, std::int64_t{1} << 58);
  std::uint64_t id = 1;
  auto fill = [&](Side taker_side) {
    REQUIRE(h.Order(1, OrderId(id++), book::Opposite(taker_side), Ticks(1), Lots(q),
                    TimeInForce::kGtc, false)
                .ok());
    REQUIRE(h.Order(2, OrderId(id++), taker_side, Ticks(1), Lots(q), TimeInForce::kIoc, false)
                .filled == Lots(q));
  };
  for (int round = 0; round < 255; ++round) {
    fill(Side::kBuy);
    fill(Side::kSell);
  }
  fill(Side::kBuy);
  CHECK(h.Stats().volume == Lots(kMaxI64 - q + 1));  // 2^63 - 2^54
  fill(Side::kSell);
  CHECK(h.Stats().volume == Lots(kMaxI64));
  CHECK(h.eng.CheckInvariants().ok());
}

// Per account 10 BTC, market-wide 15 BTC. Two makers rest 10 BTC of asks
// each; taker 2 buys 10 BTC (open interest 10 BTC). Taker 4's buy of 5 BTC
// and one lot would raise it to 15,001 lots.
Harness OpenInterestAtTenBtc() {
  MarketParams p = Btc();
  p.max_order_size = Lots(10 * kBtc);
  p.max_open_interest = Lots(10 * kBtc);
  p.max_market_open_interest = Lots(15 * kBtc);
  Harness h;
  h.Market(p, Usd(30'000));
  for (AccountId a : {AccountId(1), AccountId(2), AccountId(3), AccountId(4)}) {
    h.Account(a, 100'000 * kUsd);
  }
  REQUIRE(h.Order(1, 1, Side::kSell, Usd(30'000), Lots(10 * kBtc)).ok());
  REQUIRE(h.Order(3, 2, Side::kSell, Usd(30'000), Lots(10 * kBtc)).ok());
  REQUIRE(h.Order(2, 3, Side::kBuy, Usd(30'000), Lots(10 * kBtc), TimeInForce::kIoc).filled ==
          Lots(10 * kBtc));
  REQUIRE(h.Stats().open_interest_long == Lots(10 * kBtc));
  return h;
}

TEST_CASE("Engine: an order one lot past max_market_open_interest is refused", "[engine]") {
  Harness h = OpenInterestAtTenBtc();
  const Result r = h.Order(4, 4, Side::kBuy, Usd(30'000), Lots(5 * kBtc + 1), TimeInForce::kIoc);
  CHECK(r.reason == Reason::kMarketOpenInterestLimit);
  CHECK(r.events.empty());
  CHECK(h.Stats().open_interest_long == Lots(10 * kBtc));
}

TEST_CASE("Engine: an order that brings open interest exactly to max_market_open_interest is accepted",
          "[engine]") {
  Harness h = OpenInterestAtTenBtc();
  const Result r = h.Order(4, 4, Side::kBuy, Usd(30'000), Lots(5 * kBtc), TimeInForce::kIoc);
  REQUIRE(r.ok());
  CHECK(r.filled == Lots(5 * kBtc));
  CHECK(h.Stats().open_interest_long == Lots(15 * kBtc));
}

// At the bound (longs: 2 with 10 BTC, 4 with 5; shorts: 1 with 10, 3 with
// 5), a buy of one lot by 4 would open: refused. A bid of 1 BTC by short 1
// and a sell of 1 BTC by long 2 only close (neither's side grows), so they
// are accepted and open interest falls to 14 BTC.
TEST_CASE("Engine: at max_market_open_interest an order that only closes is accepted",
          "[engine]") {
  Harness h = OpenInterestAtTenBtc();
  REQUIRE(h.Order(4, 4, Side::kBuy, Usd(30'000), Lots(5 * kBtc), TimeInForce::kIoc).ok());
  REQUIRE(h.Stats().open_interest_long == Lots(15 * kBtc));
  CHECK(h.Order(4, 5, Side::kBuy, Usd(30'000), Lots(1), TimeInForce::kIoc).reason ==
        Reason::kMarketOpenInterestLimit);
  REQUIRE(h.Order(1, 6, Side::kBuy, Usd(29'990), Lots(kBtc)).ok());
  const Result r = h.Order(2, 7, Side::kSell, Usd(29'990), Lots(kBtc), TimeInForce::kIoc);
  REQUIRE(r.ok());
  CHECK(r.filled == Lots(kBtc));
  CHECK(h.Stats().open_interest_long == Lots(14 * kBtc));
}

// max_order_size is 100 BTC; a preview of 100 BTC and one lot stops at its
// verdict instead of walking the 1 BTC resting ask.
TEST_CASE("Engine: a preview of a size above the maximum stops at its verdict", "[engine]") {
  Harness h;
  h.Market(Btc(), Usd(30'000));
  h.Account(1, 100'000 * kUsd);
  h.Account(2, 100'000 * kUsd);
  REQUIRE(h.Order(1, 1, Side::kSell, Usd(30'000), Lots(kBtc)).ok());
  for (const std::int64_t size : {100 * kBtc + 1, kMaxI64}) {
    const Preview pv = *h.eng.PreviewOrder(PlaceOrder{.market = 1,
                                                      .account = 2,
                                                      .order_id = 9,
                                                      .side = Side::kBuy,
                                                      .tif = TimeInForce::kIoc,
                                                      .price = Usd(30'000),
                                                      .size = Lots(size)});
    CHECK(pv.reason == Reason::kSizeAboveMax);
    CHECK(pv.fill_size == Lots(0));
    CHECK(pv.fill_notional == Quote(0));
    CHECK(pv.resulting_position == Lots(0));
  }
}

// ---------------------------------------------------------------------------
// Item 10b: the match cap and bounded event buffers
// ---------------------------------------------------------------------------

// `n` one-lot asks at 30,000 from makers 1..4 (max_orders_per_account
// 2,000), the default cap of 1,000 matches, taker 9. The book is built
// without per-command invariant checks (each is O(state)) and checked once.
Harness OneLotAsks(int n, Ticks price = Usd(30'000)) {
  MarketParams p = Btc();
  p.max_orders_per_account = 2'000;
  Harness h;
  h.Market(p, Usd(30'000));
  for (AccountId a : {AccountId(1), AccountId(2), AccountId(3), AccountId(4), AccountId(9)}) {
    h.Account(a, 1'000'000 * kUsd);
  }
  for (int i = 0; i < n; ++i) {
    const AccountId maker(static_cast<std::uint64_t>(1 + i / 2'000));
    REQUIRE(h.Order(maker, OrderId(static_cast<std::uint64_t>(1 + i)), Side::kSell, price,
                    Lots(1), TimeInForce::kGtc, false)
                .ok());
  }
  REQUIRE(h.eng.CheckInvariants().ok());
  return h;
}

TEST_CASE("Engine: an IOC sweeping cap + 1 one-lot orders fills exactly the cap", "[engine]") {
  Harness h = OneLotAsks(1'001);
  REQUIRE(h.eng.Params(1)->max_matches_per_order == 1'000);
  const Result r =
      h.Order(9, 100'000, Side::kBuy, Usd(30'000), Lots(1'001), TimeInForce::kIoc);
  REQUIRE(r.ok());
  CHECK(r.filled == Lots(1'000));
  const auto& last = As<events::OrderCanceled>(r.events.back());
  CHECK(last.order_id == OrderId(100'000));
  CHECK(last.reason == book::CancelReason::kMatchLimit);
  CHECK(last.size == Lots(1));
  CHECK(h.Stats().best_ask->total == Lots(1));  // the 1,001st order is untouched
}

// The GTC remainder would rest at 30,000 while an ask at 30,000 is left:
// a crossed book. It is cancelled instead.
TEST_CASE("Engine: a GTC remainder left at the match cap that would cross is cancelled",
          "[engine]") {
  Harness h = OneLotAsks(1'001);
  const Result r = h.Order(9, 100'000, Side::kBuy, Usd(30'000), Lots(1'002));
  REQUIRE(r.ok());
  CHECK(r.filled == Lots(1'000));
  CHECK(r.rested == Lots(0));
  CHECK(As<events::OrderCanceled>(r.events.back()).reason == book::CancelReason::kMatchLimit);
  CHECK(As<events::OrderCanceled>(r.events.back()).size == Lots(2));
  CHECK_FALSE(h.Stats().best_bid.has_value());
}

// Exactly the cap's worth of crossing orders: the cap is reached as the
// crossing liquidity ends, so the remainder rests as GTC does.
TEST_CASE("Engine: a GTC order that meets exactly the cap of orders rests its remainder",
          "[engine]") {
  Harness h = OneLotAsks(1'000);
  const Result r = h.Order(9, 100'000, Side::kBuy, Usd(30'000), Lots(1'002));
  REQUIRE(r.ok());
  CHECK(r.filled == Lots(1'000));
  CHECK(r.rested == Lots(2));
  CHECK(h.Stats().best_bid->price == Usd(30'000));
}

// The cap is a book limit, fixed with the book as the others are.
TEST_CASE("Engine: UpdateMarket may not change max_matches_per_order", "[engine]") {
  Harness h;
  h.Market(Btc(), Usd(30'000));
  MarketParams p = Btc();
  p.max_matches_per_order = 999;
  CHECK(h.Do(UpdateMarket{.market = 1, .params = Shared(p)}).reason == Reason::kParamImmutable);
  CHECK(h.eng.Params(1)->max_matches_per_order == 1'000);
}

TEST_CASE("Engine: a FOK that needs cap + 1 orders is refused whole", "[engine]") {
  Harness h = OneLotAsks(1'001);
  const auto before = h.Stats().best_ask->total;
  CHECK(h.Order(9, 100'000, Side::kBuy, Usd(30'000), Lots(1'001), TimeInForce::kFok).reason ==
        Reason::kFokNotFilled);
  CHECK(h.Stats().best_ask->total == before);
  const Result r = h.Order(9, 100'001, Side::kBuy, Usd(30'000), Lots(1'000), TimeInForce::kFok);
  REQUIRE(r.ok());
  CHECK(r.filled == Lots(1'000));
}

// A sweep of 3,000 one-lot orders meets 1,000 of them: the engine's events
// (1,000 fills and the taker's cancel) and the book's fit in 2,048 each.
// Before the cap, the buffers grew to 4,096 events each (3,001 events).
TEST_CASE("Engine: the retained event capacity after a huge sweep stays bounded", "[engine]") {
  Harness h = OneLotAsks(3'000);
  const Result r = h.Order(9, 100'000, Side::kBuy, Usd(30'000), Lots(3'000), TimeInForce::kIoc);
  REQUIRE(r.filled == Lots(1'000));
  CHECK(h.eng.retained_event_capacity() <= 2 * 2'048);
}

// With the largest cap, one sweep of 5,000 orders emits 5,001 events into
// each buffer (capacity 8,192, above the retained 4,096). The next command
// releases the engine's (a deposit: 1 event in a fresh 64), the book's
// next mutating call releases its own (a rest: 1 event in a fresh 64).
TEST_CASE("Engine: a buffer grown past the retained bound is released by the next command",
          "[engine]") {
  MarketParams p = Btc();
  p.max_orders_per_account = 5'000;
  p.max_matches_per_order = 100'000;  // the largest cap: one command may emit 5,001 events
  Harness h;
  h.Market(p, Usd(30'000));
  h.Account(1, 1'000'000 * kUsd);
  h.Account(9, 1'000'000 * kUsd);
  for (std::uint64_t i = 1; i <= 5'000; ++i) {
    REQUIRE(h.Order(1, OrderId(i), Side::kSell, Usd(30'000), Lots(1), TimeInForce::kGtc, false)
                .ok());
  }
  REQUIRE(h.Order(9, 100'000, Side::kBuy, Usd(30'000), Lots(5'000), TimeInForce::kIoc).filled ==
          Lots(5'000));
  CHECK(h.eng.retained_event_capacity() > Engine::kRetainedEvents);  // the sweep's own events
  h.Ok(Deposit{.account = 1, .amount = Quote(1)});
  REQUIRE(h.Order(1, 100'001, Side::kSell, Usd(30'000), Lots(1)).ok());
  CHECK(h.eng.retained_event_capacity() <= 2 * 64);
}

// ---------------------------------------------------------------------------
// Item 9: cash balances bounded by construction (src/engine/ledger.hpp)
// ---------------------------------------------------------------------------

constexpr std::int64_t kSoftBound = std::int64_t{1} << 61;

TEST_CASE("Engine: a deposit that brings cross cash exactly to 2^61 is accepted", "[engine]") {
  Harness h;
  h.Account(1, kSoftBound - 1);
  h.Ok(Deposit{.account = 1, .amount = Quote(1)});
  CHECK(h.eng.Summary(1)->cash == Quote(kSoftBound));
}

TEST_CASE("Engine: a deposit one atom past 2^61 of cross cash is refused", "[engine]") {
  Harness h;
  h.Account(1, kSoftBound);
  CHECK(h.Do(Deposit{.account = 1, .amount = Quote(1)}).reason == Reason::kCashBoundExceeded);
  CHECK(h.eng.Summary(1)->cash == Quote(kSoftBound));
}

// No fees. Maker 1 rests two asks of 1 BTC (30,000 and 30,100); taker 2
// buys 1 BTC at 30,000: maker 1 receives 1,000 lots * 300,000 ticks * 100
// atoms = 3e10 atoms.
Harness MakerNearBound(std::int64_t deposit) {
  MarketParams p = Btc();
  p.maker_fee = Rate(0);
  p.taker_fee = Rate(0);
  Harness h;
  h.Market(p, Usd(30'000));
  h.Account(1, deposit);
  h.Account(2, 100'000 * kUsd);
  REQUIRE(h.Order(1, 1, Side::kSell, Usd(30'000), Lots(kBtc)).ok());
  REQUIRE(h.Order(1, 2, Side::kSell, Usd(30'100), Lots(kBtc)).ok());
  return h;
}

TEST_CASE("Engine: a fill that leaves a maker's cash exactly at 2^61 keeps its orders",
          "[engine]") {
  Harness h = MakerNearBound(kSoftBound - 30'000'000'000);
  const Result r = h.Order(2, 3, Side::kBuy, Usd(30'000), Lots(kBtc), TimeInForce::kIoc);
  REQUIRE(r.filled == Lots(kBtc));
  CHECK(h.eng.Summary(1)->cash == Quote(kSoftBound));
  CHECK(h.Stats().best_ask->price == Usd(30'100));
  CHECK(h.Order(1, 4, Side::kSell, Usd(30'200), Lots(1)).ok());
}

// One atom more: the fill leaves 2^61 + 1. The maker's other ask goes in the
// same command (kAccountLocked), its orders are refused, and a withdrawal
// of one atom lifts the lock.
TEST_CASE("Engine: a fill that takes a maker's cash one atom past 2^61 locks the account",
          "[engine]") {
  Harness h = MakerNearBound(kSoftBound - 30'000'000'000 + 1);
  const Result r = h.Order(2, 3, Side::kBuy, Usd(30'000), Lots(kBtc), TimeInForce::kIoc);
  REQUIRE(r.filled == Lots(kBtc));
  const auto& canceled = As<events::OrderCanceled>(r.events.back());
  CHECK(canceled.order_id == OrderId(2));
  CHECK(canceled.reason == book::CancelReason::kAccountLocked);
  CHECK_FALSE(h.Stats().best_ask.has_value());
  CHECK(h.Order(1, 4, Side::kSell, Usd(30'200), Lots(1)).reason == Reason::kCashBoundExceeded);
  h.Ok(Withdraw{.account = 1, .amount = Quote(1)});
  CHECK(h.Order(1, 5, Side::kSell, Usd(30'200), Lots(1)).ok());
}

// Referrer share 20% of a 5 bp taker fee: 1 BTC at 30,000 is 3e10 atoms,
// the fee 1.5e7, the referrer's cut 3e6. A referrer at 2^61 - 3e6 takes it;
// at one atom more the pool keeps it and the Fill names no referrer.
Harness ReferredTrade(std::int64_t referrer_cash) {
  Harness h(EngineConfig{.referrer_share = Rate(kRateScale / 5)});
  h.Market(Btc(), Usd(30'000));
  h.Account(1, 100'000 * kUsd);
  h.Account(7, referrer_cash);
  h.Ok(CreateAccount{.account = 2, .owner = 2, .referrer = 7});
  h.Ok(Deposit{.account = 2, .amount = Quote(100'000 * kUsd)});
  REQUIRE(h.Order(1, 1, Side::kSell, Usd(30'000), Lots(kBtc)).ok());
  return h;
}

TEST_CASE("Engine: a referrer whose cash the cut brings exactly to 2^61 takes it", "[engine]") {
  Harness h = ReferredTrade(kSoftBound - 3'000'000);
  const Result r = h.Order(2, 2, Side::kBuy, Usd(30'000), Lots(kBtc), TimeInForce::kIoc);
  const auto& fill = As<events::Fill>(r.events.front());
  CHECK(fill.referrer == AccountId(7));
  CHECK(fill.referrer_fee == Quote(3'000'000));
  CHECK(h.eng.Summary(7)->cash == Quote(kSoftBound));
}

TEST_CASE("Engine: a referral cut that would take the referrer past 2^61 stays in the fee pool",
          "[engine]") {
  Harness h = ReferredTrade(kSoftBound - 3'000'000 + 1);
  const Quote pool_before = h.eng.fee_pool();
  const Result r = h.Order(2, 2, Side::kBuy, Usd(30'000), Lots(kBtc), TimeInForce::kIoc);
  const auto& fill = As<events::Fill>(r.events.front());
  CHECK(fill.referrer == AccountId(0));
  CHECK(fill.referrer_fee == Quote(0));
  CHECK(h.eng.Summary(7)->cash == Quote(kSoftBound - 3'000'000 + 1));
  // The whole taker fee (1.5e7) and the maker fee (1 bp, 3e6) are pooled.
  CHECK(h.eng.fee_pool() == Quote(pool_before.raw() + 15'000'000 + 3'000'000));
}

// ---------------------------------------------------------------------------
// Item 11: the conservation gap in full
// ---------------------------------------------------------------------------

// CheckInvariants formats its int128 gap with this; a cast to int64 read
// 2^64 + 5 as 5 and 2^64 as 0 ("differs by 0 atoms").
TEST_CASE("detail::Int128Text prints an int128 beyond int64 whole", "[engine]") {
  CHECK(detail::Int128Text((int128(1) << 64) + 5) == "18446744073709551621");
  CHECK(detail::Int128Text(-(int128(1) << 100)) == "-1267650600228229401496703205376");
  CHECK(detail::Int128Text(int128(-7)) == "-7");
}

// ---------------------------------------------------------------------------
// Scenario: dYdX v3 YFI-USD, November 2023
// ---------------------------------------------------------------------------
//
// From dYdX's post-mortem and the reporting around it: YFI was a thin market
// on dYdX v3, with open interest around $0.8M in late October 2023. One
// actor spread long positions at about 5x over more than a hundred accounts
// and, buying spot YFI elsewhere, pushed the price up about 215%, rolling
// unrealized profit into more YFI-USD longs until open interest reached about
// $67M. Each account stayed within the per-account limits; nothing bounded
// the market as a whole. On 17-18 November YFI fell about 43% within hours;
// the thin book could not absorb the liquidations (about $38M), and the v3
// insurance fund paid about $9M, some 40% of it. dYdX raised the initial
// margin and cut the position sizes of YFI-USD during the run-up; its v4
// chain bounds open interest per market by liquidity tier.
//
// Here: many accounts, each within max_open_interest, build open interest
// in one market; once the market holds max_market_open_interest, the next
// order that would add to it is refused, whichever account sends it.
TEST_CASE("Scenario: many accounts cannot build open interest past the market's bound (dYdX YFI 2023)",
          "[engine][scenario]") {
  MarketParams p = Btc();
  p.symbol = "YFI-USD";
  p.max_order_size = Lots(5 * kBtc);
  p.max_open_interest = Lots(5 * kBtc);          // per account
  p.max_market_open_interest = Lots(20 * kBtc);  // the whole market
  Harness h;
  h.Market(p, Usd(10'000));
  // Buyers 1..5, each within the per-account bound, and makers 101..104,
  // each quoting one ask of the per-account maximum.
  for (std::uint64_t a = 1; a <= 5; ++a) h.Account(AccountId(a), 100'000 * kUsd);
  std::uint64_t id = 1;
  for (std::uint64_t a = 1; a <= 4; ++a) {
    h.Account(AccountId(100 + a), 1'000'000 * kUsd);
    REQUIRE(h.Order(AccountId(100 + a), OrderId(id++), Side::kSell, Usd(10'000), Lots(5 * kBtc))
                .ok());
    const Result r = h.Order(AccountId(a), OrderId(id++), Side::kBuy, Usd(10'000), Lots(5 * kBtc),
                             TimeInForce::kIoc);
    REQUIRE(r.filled == Lots(5 * kBtc));
  }
  REQUIRE(h.Stats().open_interest_long == Lots(20 * kBtc));
  // The market is full: a fifth maker's ask (which would open a short if it
  // filled) and a fifth buyer's order are refused, each within its own
  // account's bound.
  h.Account(105, 1'000'000 * kUsd);
  REQUIRE(h.Order(105, OrderId(id++), Side::kSell, Usd(10'000), Lots(kBtc)).reason ==
          Reason::kMarketOpenInterestLimit);
  CHECK(h.Order(5, OrderId(id++), Side::kBuy, Usd(10'000), Lots(1), TimeInForce::kIoc).reason ==
        Reason::kMarketOpenInterestLimit);
  CHECK(h.Stats().open_interest_long == Lots(20 * kBtc));
}

}  // namespace
}  // namespace perpcore::engine
