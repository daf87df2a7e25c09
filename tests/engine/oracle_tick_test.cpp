// The engine's price rules (issue 11, items 1-4): the mark at impact prices
// and within its cap, the index by quorum, freshness at use time, the band's
// last valid reference, and retiring sources. Units as in
// support/engine_harness.hpp: 30,000 USD is 300,000 ticks, 1 BTC 1,000 lots.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "perpcore/engine/engine.hpp"
#include "support/catch_ids.hpp"
#include "support/engine_harness.hpp"

namespace perpcore::engine {
namespace {

using testing::EngineHarness;
using testing::kBtc;
using testing::kSecond;
using testing::kUsd;
using testing::Shared;
using testing::Usd;

// The canonical encoding without last_seq and the time.
std::string StateAfterCursor(const Engine& eng) {
  std::string bytes;
  eng.EncodeCanonical(&bytes);
  return bytes.substr(16);
}

// ---------------------------------------------------------------------------
// Item 1: the mark
// ---------------------------------------------------------------------------

// The reproduction: two 0.001 BTC quotes at ten times the index
// moved the mark to ten times the index within 5 s. At the impact notional
// (10,000 USD) one lot at 300,000 USD (300 USD of notional) is no price at
// all, so the mark stays the index exactly. (The band is off here to let
// the quotes in: the band has tests of its own.)
TEST_CASE("Engine: one-lot quotes at ten times the index do not move the mark",
          "[engine][oracle]") {
  MarketParams p;
  p.price_band = Rate(0);
  EngineHarness h;
  h.Ok(CreateMarket{.market = 1, .params = Shared(p)});
  h.Price(1, Usd(30'000));
  h.Account(1, 1'000'000);
  REQUIRE(h.Order(1, 1, Side::kBuy, Usd(300'000), Lots(1)).ok());
  REQUIRE(h.Order(1, 2, Side::kSell, Ticks(3'000'001), Lots(1)).ok());
  h.Price(1, Usd(30'000));
  h.Ok(TimeTick{.market = 1}, 5 * kSecond);
  CHECK(h.Stats().mark == Usd(30'000));
}

// The book enters the mark at its impact prices (10,000 USD = 1e10 atoms, 100
// atoms per tick-lot). Asks 0.2 BTC at 30,050 and 1 BTC at 30,060: the first
// level is worth 200 * 300,500 * 100 = 6.01e9 atoms, the rest 3.99e9 comes
// from the second, so the impact ask is 1e10 * 300,600 / (100 * 200 *
// 300,600 + 3.99e9) = 3.006e15 / 1.0002e10 = 300,539.9 -> 300,540 (up).
// Bids 0.2 BTC at 30,030 and 1 BTC at 30,020: 1e10 * 300,200 / (100 * 200 *
// 300,200 + 3.994e9) = 3.002e15 / 9.998e9 = 300,260.05 -> 300,260 (down).
// The impact mid 300,400 holds a basis of +400 over the whole 5-minute
// window, so 1. = 300,400; 2. = the lower of the two impact prices; the mark
// is median(300,400, 300,260, 300,000) = 300,260, the impact bid. (At the
// touch, as before issue 11, it would have been the best bid, 300,300.)
TEST_CASE("Engine: the mark takes the book at its impact prices, exactly", "[engine][oracle]") {
  EngineHarness h;
  h.Ok(CreateMarket{.market = 1, .params = Shared(MarketParams{})});
  h.Price(1, Usd(30'000));
  h.Account(1, 1'000'000);
  REQUIRE(h.Order(1, 1, Side::kSell, Usd(30'050), Lots(200)).ok());
  REQUIRE(h.Order(1, 2, Side::kSell, Usd(30'060), Lots(kBtc)).ok());
  REQUIRE(h.Order(1, 3, Side::kBuy, Usd(30'030), Lots(200)).ok());
  REQUIRE(h.Order(1, 4, Side::kBuy, Usd(30'020), Lots(kBtc)).ok());
  h.Ok(TimeTick{.market = 1});  // the first impact sample, at t0
  h.Ok(OraclePrice{.market = 1,
                   .source = 1,
                   .price = Usd(30'000),
                   .publish_time = TimeNs(h.now + 300 * kSecond)},
       300 * kSecond);
  CHECK(h.Stats().index == Usd(30'000));
  CHECK(h.Stats().mark == Ticks(300'260));
}

// The refresh reads the first 8 levels of a side and walks on only when they
// do not fill the impact notional (oracle_tick.cpp): a side that needs 12
// gives the price of the whole walk. Bids of 30 lots at 30,040, 30,039, ...
// USD (p_i = 300,400 - 10 i ticks; 30 * p_i * 100 atoms each, about 900
// USD): the first 11 are worth 3,000 * (11 * 300,400 - 10 * 55) =
// 9,911,550,000 atoms (L = 330 lots), R = 88,450,000 atoms remain and the
// 12th level (300,290) holds them. Impact bid = 1e10 * 300,290 / (100 * 330
// * 300,290 + 88,450,000) = 3.0029e15 / 9.99802e9 = 300,349.47 -> 300,349
// (down). The ask, 1 BTC at 30,050, fills it alone: 300,500. Mid 300,424.5
// -> 300,424 (half-even), a basis of +424 over the whole window, so the mark
// is median(300,424, 300,349, 300,000) = 300,349.
TEST_CASE("Engine: an impact price that needs more than eight levels walks on, exactly",
          "[engine][oracle]") {
  EngineHarness h;
  h.Ok(CreateMarket{.market = 1, .params = Shared(MarketParams{})});
  h.Price(1, Usd(30'000));
  h.Account(1, 1'000'000);
  REQUIRE(h.Order(1, 1, Side::kSell, Usd(30'050), Lots(kBtc)).ok());
  for (std::int64_t i = 0; i < 15; ++i) {
    REQUIRE(h.Order(1, OrderId(static_cast<std::uint64_t>(10 + i)), Side::kBuy,
                    Ticks(300'400 - 10 * i), Lots(30))
                .ok());
  }
  h.Ok(TimeTick{.market = 1});
  h.Ok(OraclePrice{.market = 1,
                   .source = 1,
                   .price = Usd(30'000),
                   .publish_time = TimeNs(h.now + 300 * kSecond)},
       300 * kSecond);
  CHECK(h.Stats().mark == Ticks(300'349));
}

// A manipulator (account 10) quotes a two-sided book at the top of the 5%
// band, 31,500 USD (floor(300,000 * 1.05) = 315,000 ticks), trades `lots`
// there with a colluding account (11), and keeps its quotes up for ten
// minutes of oracle ticks (twice the 5-minute basis window) while the index
// source keeps publishing 30,000. The default cap is 2%: the mark may reach
// floor(300,000 * 1.02) = 306,000 ticks and never more. With one lot the
// book has no impact price (1 lot is 31.5 USD of the 10,000 USD impact
// notional), so the mark is median(index, last trade, index) = the index.
// With 100 BTC at the top of the band the impact prices are 31,499.9 and
// 31,500 and the basis reaches +1,500 USD: the median is about 31,500 and
// the clamp holds it at 30,600.
TEST_CASE("Engine: a manipulator at the band edge cannot move the mark beyond the cap",
          "[engine][oracle]") {
  for (const std::int64_t lots : {std::int64_t{1}, 100 * kBtc}) {
    INFO("lots " << lots);
    EngineHarness h;
    h.Ok(CreateMarket{.market = 1, .params = Shared(MarketParams{})});
    h.Price(1, Usd(30'000));
    h.Account(10, 1'000'000);
    h.Account(11, 1'000'000);
    REQUIRE(h.Order(10, 1, Side::kSell, Usd(31'500), Lots(lots)).ok());
    REQUIRE(h.Order(11, 2, Side::kBuy, Usd(31'500), Lots(lots), TimeInForce::kIoc).ok());
    CHECK(h.Order(10, 3, Side::kSell, Ticks(315'001), Lots(lots)).reason ==
          Reason::kPriceOutsideBand);
    REQUIRE(h.Order(10, 4, Side::kSell, Usd(31'500), Lots(lots)).ok());
    REQUIRE(h.Order(10, 5, Side::kBuy, Ticks(314'999), Lots(lots)).ok());
    std::int64_t highest = 0;
    for (int tick = 0; tick < 120; ++tick) {
      h.Ok(OraclePrice{.market = 1,
                       .source = 1,
                       .price = Usd(30'000),
                       .publish_time = TimeNs(h.now + 5 * kSecond)},
           5 * kSecond);
      highest = std::max(highest, h.Stats().mark.raw());
    }
    CHECK(highest <= 306'000);
    CHECK(h.Stats().mark == Ticks(lots == 1 ? 300'000 : 306'000));
  }
}

// ---------------------------------------------------------------------------
// Item 2: the index by quorum
// ---------------------------------------------------------------------------

TEST_CASE("Engine: one faulty source of two leaves no index instead of setting it",
          "[engine][oracle]") {
  EngineHarness h;
  h.Ok(CreateMarket{.market = 1, .params = Shared(MarketParams{})});
  h.Account(1, 100'000);
  h.Price(1, Usd(30'000), 1);
  h.Price(1, Ticks(1), 2);  // a faulty print of one tick
  CHECK(h.Stats().index == Ticks(0));
  CHECK(h.Stats().fresh_sources == 2);
  CHECK(h.Order(1, 1, Side::kBuy, Usd(29'000), Lots(1)).reason == Reason::kNoIndexPrice);
  // Within 1% of each other the two agree: 303,000 is exactly 1% above.
  h.Price(1, Usd(30'300), 2);
  CHECK(h.Stats().index == Usd(30'000));
}

TEST_CASE("Engine: a faulty half of four sources leaves no index", "[engine][oracle]") {
  EngineHarness h;
  h.Ok(CreateMarket{.market = 1, .params = Shared(MarketParams{})});
  h.Price(1, Usd(30'000), 1);
  h.Price(1, Usd(30'000), 2);
  h.Price(1, Ticks(1), 3);
  h.Price(1, Ticks(1), 4);
  CHECK(h.Stats().index == Ticks(0));  // the lower median is 1 tick: 2 of 4 agree
  h.Price(1, Usd(30'010), 5);
  CHECK(h.Stats().index == Usd(30'000));  // 3 of 5 within 1% of 30,000
}

TEST_CASE("Engine: min_sources 2 without a source tolerance is refused", "[engine][oracle]") {
  MarketParams p;
  p.oracle.min_sources = 2;
  p.oracle.max_source_deviation = Rate(0);
  EngineHarness h;
  CHECK(h.Do(CreateMarket{.market = 1, .params = Shared(p)}).reason ==
        Reason::kInvalidMarketParams);
  p.oracle.max_source_deviation = Rate(1);
  CHECK(h.Do(CreateMarket{.market = 1, .params = Shared(p)}).ok());
}

// ---------------------------------------------------------------------------
// Item 2: retiring sources
// ---------------------------------------------------------------------------

TEST_CASE("Engine: retiring an unknown source is refused and changes nothing",
          "[engine][oracle]") {
  EngineHarness h;
  h.Ok(CreateMarket{.market = 1, .params = Shared(MarketParams{})});
  h.Price(1, Usd(30'000), 1);
  const std::string before = StateAfterCursor(h.eng);
  CHECK(h.Do(RetireSource{.market = 1, .source = 2}).reason == Reason::kOracleUnknownSource);
  CHECK(h.Do(RetireSource{.market = 1, .source = 0}).reason == Reason::kOracleUnknownSource);
  CHECK(h.Do(RetireSource{.market = 9, .source = 1}).reason == Reason::kUnknownMarket);
  CHECK(StateAfterCursor(h.eng) == before);
}

TEST_CASE("Engine: a retired source frees its slot for a seventeenth id", "[engine][oracle]") {
  EngineHarness h;
  h.Ok(CreateMarket{.market = 1, .params = Shared(MarketParams{})});
  for (std::uint32_t id = 1; id <= 16; ++id) h.Price(1, Usd(30'000), SourceId(id));
  CHECK(h.Do(OraclePrice{.market = 1,
                         .source = 17,
                         .price = Usd(30'000),
                         .publish_time = TimeNs(h.now)})
            .reason == Reason::kOracleTooManySources);
  const Result r = h.Do(RetireSource{.market = 1, .source = 5});
  REQUIRE(r.ok());
  REQUIRE(r.events.size() == 1);  // the index and mark did not change
  CHECK(std::get<events::SourceRetired>(r.events[0]) ==
        events::SourceRetired{.market = 1, .source = 5});
  CHECK(h.Stats().fresh_sources == 15);
  h.Price(1, Usd(30'000), 17);
  CHECK(h.Stats().fresh_sources == 16);
}

TEST_CASE("Engine: retiring the source that set the index re-evaluates it at once",
          "[engine][oracle]") {
  EngineHarness h;
  h.Ok(CreateMarket{.market = 1, .params = Shared(MarketParams{})});
  h.Price(1, Usd(30'000), 1);
  const Result r = h.Do(RetireSource{.market = 1, .source = 1});
  REQUIRE(r.ok());
  REQUIRE(r.events.size() == 2);
  CHECK(std::get<events::SourceRetired>(r.events[0]).source == 1);
  const auto& update = std::get<events::PriceUpdate>(r.events[1]);
  CHECK(update.index == Ticks(0));
  CHECK(update.mark == Usd(30'000));  // the last valid mark
  CHECK(h.Stats().index == Ticks(0));
}

// ---------------------------------------------------------------------------
// Item 3: freshness at use time
// ---------------------------------------------------------------------------

// A market whose sources go stale after 10 s; at t0 = 1 s the index is
// 30,000, so it is usable up to t0 + 10 s exactly. Account 1 (100k USD) is
// short 1 BTC and bids 10 lots at 29,000; account 2 (10k USD) is long 1 BTC
// in isolated margin with 1,000 USD added to its bucket; account 3 is an
// empty sub-account of account 1's owner (transfers stay within an owner).
struct StaleFixture {
  static constexpr std::int64_t kT0 = kSecond;
  static constexpr std::int64_t kExpiry = kT0 + 10 * kSecond;
  EngineHarness h;
  StaleFixture() {
    MarketParams p;
    p.oracle.staleness = TimeNs(10 * kSecond);
    h.Ok(CreateMarket{.market = 1, .params = Shared(p)});
    h.Price(1, Usd(30'000));
    h.Account(1, 100'000);
    h.Account(2, 10'000);
    h.Ok(CreateAccount{.account = 3, .owner = 1});  // a sub-account of account 1's owner
    h.Ok(SetMarginMode{.market = 1, .account = 2, .mode = MarginMode::kIsolated});
    REQUIRE(h.Order(1, 1, Side::kSell, Usd(30'000), Lots(kBtc)).ok());
    REQUIRE(h.Order(2, 2, Side::kBuy, Usd(30'000), Lots(kBtc), TimeInForce::kIoc).ok());
    h.Ok(AdjustIsolatedMargin{.market = 1, .account = 2, .delta = Quote(1'000 * kUsd)});
    REQUIRE(h.Order(1, 3, Side::kBuy, Usd(29'000), Lots(10)).ok());
    REQUIRE(h.now == kT0);
  }
  // The command is accepted exactly at the expiry, and refused with
  // kIndexStale one nanosecond later (each on its own copy of the engine).
  void CheckExpiry(const Payload& command) const {
    EngineHarness at = h;
    const Result on_time = at.At(kExpiry, command);
    INFO(ReasonName(on_time.reason));
    CHECK(on_time.ok());
    EngineHarness late = h;
    CHECK(late.At(kExpiry + 1, command).reason == Reason::kIndexStale);
  }
};

TEST_CASE("Engine: Stats reports when the index stops being usable", "[engine][oracle]") {
  StaleFixture f;
  CHECK(f.h.Stats().index_usable_until == TimeNs(StaleFixture::kExpiry));
  f.h.At(StaleFixture::kExpiry + 1, TimeTick{.market = 1});
  CHECK(f.h.Stats().index_usable_until == TimeNs(-1));
}

TEST_CASE("Engine: an order is refused one ns after the index expires, accepted at expiry",
          "[engine][oracle]") {
  StaleFixture f;
  f.CheckExpiry(PlaceOrder{.market = 1,
                           .account = 1,
                           .order_id = 9,
                           .side = Side::kBuy,
                           .price = Usd(29'900),
                           .size = Lots(1)});
}

TEST_CASE("Engine: an amend that adds size is refused one ns after the index expires",
          "[engine][oracle]") {
  StaleFixture f;
  f.CheckExpiry(AmendOrder{
      .market = 1, .account = 1, .order_id = 3, .new_price = Usd(29'000), .new_size = Lots(20)});
}

TEST_CASE("Engine: a cancel-replace is refused one ns after the index expires",
          "[engine][oracle]") {
  StaleFixture f;
  f.CheckExpiry(CancelReplace{.market = 1,
                              .account = 1,
                              .old_order_id = 3,
                              .order_id = 9,
                              .side = Side::kBuy,
                              .price = Usd(29'100),
                              .size = Lots(10)});
}

// Money that leaves an account (withdrawal, transfer, isolated-margin
// removal) is not refused for a stale index: from one ns after the expiry
// the position counts at its stressed value (engine.hpp, "Withdrawals"), so
// the most that may leave drops by the stress loss and the rest of the
// account stays usable. `live` and `stale` are the most that may leave at
// the expiry and one ns later; each is accepted and one atom more refused.
void CheckMoneyAtExpiry(const StaleFixture& f, Payload (*command)(std::int64_t atoms),
                        std::int64_t live, std::int64_t stale) {
  const auto at = [&](std::int64_t t, std::int64_t atoms) {
    EngineHarness copy = f.h;
    return copy.At(t, command(atoms)).reason;
  };
  CHECK(at(StaleFixture::kExpiry, live) == Reason::kOk);
  CHECK(at(StaleFixture::kExpiry, live + 1) == Reason::kInsufficientCollateral);
  CHECK(at(StaleFixture::kExpiry + 1, stale) == Reason::kOk);
  CHECK(at(StaleFixture::kExpiry + 1, stale + 1) == Reason::kInsufficientCollateral);
}

// Account 1: cash 100,000 + 30,000 (the short's sale) - 3 (maker fee, 1 bp)
// = 129,997 USD; the short is worth -30,000 at the mark, so equity is
// 99,997. It must keep max(initial 1,500 (5% of 30,000; the bid only
// reduces the short), 10% of the 30,000 notional = 3,000): 96,997 may
// leave. Stale, the short counts at the last index moved 10% against it,
// 33,000: equity 96,997, and 93,997 may leave.
TEST_CASE("Engine: a withdrawal after the index expires counts the position at its stressed value",
          "[engine][oracle]") {
  StaleFixture f;
  CheckMoneyAtExpiry(
      f, [](std::int64_t atoms) -> Payload { return Withdraw{.account = 1, .amount = Quote(atoms)}; },
      96'997 * kUsd, 93'997 * kUsd);
}

TEST_CASE("Engine: a transfer after the index expires counts the position at its stressed value",
          "[engine][oracle]") {
  StaleFixture f;
  CheckMoneyAtExpiry(
      f,
      [](std::int64_t atoms) -> Payload {
        return Transfer{.from = 1, .to = 3, .amount = Quote(atoms)};
      },
      96'997 * kUsd, 93'997 * kUsd);
}

// Account 2's bucket after 5,000 USD more: its equity is 1,500 (topped up to
// the initial requirement at the fill) + 1,000 + 5,000 = 7,500 USD, and it
// keeps max(1,500, 3,000): 4,500 may leave. Stale, the long counts at
// 27,000 (30,000 moved 10% against it): 3,000 less, 1,500 may leave.
TEST_CASE("Engine: isolated margin removal after the index expires counts the stressed value",
          "[engine][oracle]") {
  StaleFixture f;
  f.h.Ok(AdjustIsolatedMargin{.market = 1, .account = 2, .delta = Quote(5'000 * kUsd)});
  CheckMoneyAtExpiry(
      f,
      [](std::int64_t atoms) -> Payload {
        return AdjustIsolatedMargin{.market = 1, .account = 2, .delta = Quote(-atoms)};
      },
      4'500 * kUsd, 1'500 * kUsd);
}

TEST_CASE("Engine: with a stale index positions can still be reduced and orders cancelled",
          "[engine][oracle]") {
  StaleFixture f;
  EngineHarness& h = f.h;
  const Result reduce = h.At(StaleFixture::kExpiry + 1,
                             PlaceOrder{.market = 1,
                                        .account = 2,
                                        .order_id = 9,
                                        .side = Side::kSell,
                                        .tif = TimeInForce::kIoc,
                                        .reduce_only = true,
                                        .price = Usd(29'000),
                                        .size = Lots(10)});
  CHECK(reduce.ok());
  CHECK(reduce.filled == Lots(10));
  CHECK(h.Do(CancelAll{.market = 1, .account = 1}).ok());
}

TEST_CASE("Engine: the index expires when its mark is older than max_mark_age",
          "[engine][oracle]") {
  MarketParams p;
  p.oracle.staleness = TimeNs(10 * kSecond);
  p.oracle.max_mark_age = TimeNs(4 * kSecond);
  EngineHarness h;
  h.Ok(CreateMarket{.market = 1, .params = Shared(p)});
  h.Price(1, Usd(30'000));  // at 1 s: usable to min(11 s, 5 s) = 5 s
  h.Account(1, 100'000);
  const auto order = [](OrderId id) {
    return PlaceOrder{.market = 1,
                      .account = 1,
                      .order_id = id,
                      .side = Side::kBuy,
                      .price = Usd(29'900),
                      .size = Lots(1)};
  };
  EngineHarness at = h;
  CHECK(at.At(5 * kSecond, order(1)).ok());
  CHECK(h.At(5 * kSecond + 1, order(1)).reason == Reason::kIndexStale);
  // A tick renews the mark; the source (published at 1 s) is still fresh.
  h.Ok(TimeTick{.market = 1});
  CHECK(h.Order(1, 1, Side::kBuy, Usd(29'900), Lots(1)).ok());
}

TEST_CASE("Engine: once a tick finds the sources stale the reason is kNoIndexPrice",
          "[engine][oracle]") {
  StaleFixture f;
  EngineHarness& h = f.h;
  h.At(StaleFixture::kExpiry + 1, TimeTick{.market = 1});
  CHECK(h.Stats().index == Ticks(0));
  CHECK(h.Order(1, 9, Side::kBuy, Usd(29'900), Lots(1)).reason == Reason::kNoIndexPrice);
}

// ---------------------------------------------------------------------------
// Item 4: the band keeps the last valid reference
// ---------------------------------------------------------------------------

// Index 30,000 and the default 5% band: [28,500, 31,500]. When the index
// goes away only reduce-only orders trade; the band must still hold them.
TEST_CASE("Engine: the price band keeps the last valid index when the index goes away",
          "[engine][oracle]") {
  StaleFixture f;
  EngineHarness& h = f.h;
  h.At(StaleFixture::kExpiry + 1, TimeTick{.market = 1});
  REQUIRE(h.Stats().index == Ticks(0));
  const auto sell = [](OrderId id, Ticks price) {
    return PlaceOrder{.market = 1,
                      .account = 2,
                      .order_id = id,
                      .side = Side::kSell,
                      .tif = TimeInForce::kIoc,
                      .reduce_only = true,
                      .price = price,
                      .size = Lots(1)};
  };
  CHECK(h.Do(sell(9, Usd(20'000))).reason == Reason::kPriceOutsideBand);
  CHECK(h.Do(sell(10, Ticks(284'999))).reason == Reason::kPriceOutsideBand);
  const Result edge = h.Do(sell(11, Usd(28'500)));  // exactly the band's edge
  CHECK(edge.ok());
  CHECK(edge.filled == Lots(1));  // against the bid at 29,000
}

}  // namespace
}  // namespace perpcore::engine
