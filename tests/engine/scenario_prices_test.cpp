// Scenarios written from public post-mortems, each asserting what the engine
// now refuses on the price side (issue 11, items 1-4). The withdrawal side of
// the same incidents is in the other scenario files. Units as in
// support/engine_harness.hpp: 0.1 USD ticks, 0.001 BTC lots, 1e-6 USD atoms.
#include <catch2/catch.hpp>

#include <algorithm>

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

// ---------------------------------------------------------------------------
// BitMEX, 12-13 March 2020
// ---------------------------------------------------------------------------
//
// In the crash of 12-13 March 2020 BTC fell by about half within a day. By
// BitMEX's public account, its .BXBT index (a weighted average of spot
// exchanges) was hit by constituents whose feeds lagged or printed far from
// the others, which BitMEX's index protection rules then excluded, and the
// platform itself was unreachable for two periods on 13 March. The two
// failure modes for a price engine are an index kept in use after its
// sources stopped publishing, and an index that follows one constituent's
// print once the others drop out. Here three sources publish 8,000 USD; all
// of them stall; then one of the two that resume prints 3,800 while the
// other says 7,600. The engine refuses new risk and withdrawals against the
// stalled index at their own timestamps, has no index while the two
// disagree (before issue 11 the lower median, the bad print, became the
// index), keeps the band on the last valid index so reduce-only orders
// cannot trade at the bad print, outvotes the bad source once a third one
// returns, and lets the operator retire it.
TEST_CASE("Scenario: BitMEX March 2020 - stalled and diverging index sources",
          "[engine][scenario]") {
  MarketParams p;
  p.oracle.staleness = TimeNs(10 * kSecond);
  p.oracle.min_sources = 2;
  p.oracle.max_source_deviation = Rate(kRateScale / 100);  // 1%
  EngineHarness h;
  h.Ok(CreateMarket{.market = 1, .params = Shared(p)});
  for (std::uint32_t s = 1; s <= 3; ++s) h.Price(1, Usd(8'000), SourceId(s));
  h.Account(1, 100'000);
  h.Account(2, 10'000);
  REQUIRE(h.Order(1, 1, Side::kSell, Usd(8'000), Lots(kBtc)).ok());
  REQUIRE(h.Order(2, 2, Side::kBuy, Usd(8'000), Lots(kBtc), TimeInForce::kIoc).ok());
  REQUIRE(h.Order(1, 3, Side::kBuy, Usd(7'900), Lots(kBtc)).ok());
  const std::int64_t t0 = h.now;

  // Every feed stalls. 10 s later the index is still usable; 1 ns later it
  // is not, though no price or tick has arrived to say so.
  CHECK(h.At(t0 + 10 * kSecond, Withdraw{.account = 1, .amount = Quote(kUsd)}).ok());
  CHECK(h.At(t0 + 10 * kSecond + 1, Withdraw{.account = 1, .amount = Quote(kUsd)}).reason ==
        Reason::kIndexStale);
  CHECK(h.Order(1, 4, Side::kBuy, Usd(7'950), Lots(1)).reason == Reason::kIndexStale);
  h.Ok(TimeTick{.market = 1});
  CHECK(h.Stats().index == Ticks(0));
  CHECK(h.Order(1, 4, Side::kBuy, Usd(7'950), Lots(1)).reason == Reason::kNoIndexPrice);

  // Two sources resume and disagree by half: no index (the lower median
  // would have made 3,800 the index and the long's position worth half).
  h.Price(1, Usd(3'800), 2);
  h.Price(1, Usd(7'600), 3);
  CHECK(h.Stats().fresh_sources == 2);
  CHECK(h.Stats().index == Ticks(0));
  CHECK(h.Stats().mark == Usd(8'000));  // the last valid mark
  // Only reduce-only orders trade now, and the band is still [7,600,
  // 8,400] around the last valid index: the long cannot be dumped at 3,800.
  const auto dump = [](OrderId id, Ticks price) {
    return PlaceOrder{.market = 1,
                      .account = 2,
                      .order_id = id,
                      .side = Side::kSell,
                      .tif = TimeInForce::kIoc,
                      .reduce_only = true,
                      .price = price,
                      .size = Lots(10)};
  };
  CHECK(h.Do(dump(5, Usd(3'800))).reason == Reason::kPriceOutsideBand);
  CHECK(h.Do(dump(6, Usd(7'600))).ok());  // the band's edge: fills at the 7,900 bid

  // The first source returns: 2 of 3 agree on 7,600 and the bad print is
  // outvoted; the breaker trips on it, so the market is reduce-only.
  h.Price(1, Usd(7'600), 1);
  CHECK(h.Stats().index == Usd(7'600));
  CHECK(h.Stats().breaker);
  CHECK(h.Order(1, 7, Side::kBuy, Usd(7'500), Lots(1)).reason == Reason::kMarketReduceOnly);

  // The operator retires the bad source: the breaker clears, trading resumes.
  const Result retired = h.Do(RetireSource{.market = 1, .source = 2});
  REQUIRE(retired.ok());
  CHECK(std::get<events::SourceRetired>(retired.events[0]).source == 2);
  CHECK_FALSE(h.Stats().breaker);
  CHECK(h.Order(1, 7, Side::kBuy, Usd(7'500), Lots(1)).ok());
}

// ---------------------------------------------------------------------------
// Mango Markets, 11 October 2022 (the mark-price side)
// ---------------------------------------------------------------------------
//
// By Mango's and the US prosecutors' public accounts, the attacker funded
// two accounts, opened a very large MNGO-PERP long in one against a short
// in the other, then bought MNGO on the thin venues the oracle read, so the
// price rose more than tenfold within minutes; the long's unrealized profit
// was then borrowed and withdrawn, over 100 million USD. The pump went
// through the oracle (the withdrawal-side scenario covers that). Aimed at
// perpcore, the cheapest lever is the market's own thin book, which fed the
// mark at the touch: before issue 11 two 1-lot quotes at ten times the
// index moved the mark there within seconds. Here a colluding pair opens
// 100 BTC long/short at the 30,000 USD index; a third account then owns the
// book at the top of the band for ten minutes (bid 31,499.9 and ask 31,500,
// 100 BTC each, and a 1-lot print at 31,500 to the long) while the honest
// index stays 30,000. The mark cannot pass the 2% cap, 30,600, so the
// long's unrealized profit is at most 600 USD per BTC.
TEST_CASE("Scenario: Mango-style thin-book pump - the mark stays within the cap",
          "[engine][scenario]") {
  EngineHarness h;
  h.Ok(CreateMarket{.market = 1, .params = Shared(MarketParams{})});
  h.Price(1, Usd(30'000));
  h.Account(1, 1'000'000);  // the short side of the pair
  h.Account(2, 1'000'000);  // the long side of the pair
  h.Account(3, 1'000'000);  // the book pumper
  REQUIRE(h.Order(1, 1, Side::kSell, Usd(30'000), Lots(100 * kBtc)).ok());
  REQUIRE(h.Order(2, 2, Side::kBuy, Usd(30'000), Lots(100 * kBtc), TimeInForce::kIoc).ok());

  // Ten times the index is refused outright by the default 5% band.
  CHECK(h.Order(3, 3, Side::kSell, Usd(300'000), Lots(1)).reason == Reason::kPriceOutsideBand);
  CHECK(h.Order(3, 3, Side::kBuy, Usd(300'000), Lots(1)).reason == Reason::kPriceOutsideBand);
  // The top of the band instead, with a print to the long.
  REQUIRE(h.Order(3, 4, Side::kSell, Usd(31'500), Lots(1)).ok());
  REQUIRE(h.Order(2, 5, Side::kBuy, Usd(31'500), Lots(1), TimeInForce::kIoc).ok());
  REQUIRE(h.Order(3, 6, Side::kSell, Usd(31'500), Lots(100 * kBtc)).ok());
  REQUIRE(h.Order(3, 7, Side::kBuy, Ticks(314'999), Lots(100 * kBtc)).ok());

  std::int64_t highest = 0;
  for (int tick = 0; tick < 60; ++tick) {  // ten minutes, a price every 10 s
    h.Ok(OraclePrice{.market = 1,
                     .source = 1,
                     .price = Usd(30'000),
                     .publish_time = TimeNs(h.now + 10 * kSecond)},
         10 * kSecond);
    highest = std::max(highest, h.Stats().mark.raw());
  }
  CHECK(highest == 306'000);
  CHECK(h.Stats().mark == Usd(30'600));
  // The long: 100,000 lots at 300,000 ticks and 1 lot at 315,000, marked at
  // 306,000, 100 atoms per tick-lot: 100,000 * 6,000 * 100 - 9,000 * 100 =
  // 59,999,100,000 atoms. At the book's 31,500 it would be about 150,000 USD.
  const AccountSummary longs = h.Summary(2);
  CHECK(longs.unrealized_pnl == Quote(59'999'100'000));
}

}  // namespace
}  // namespace perpcore::engine
