// Margin-warning events (issue 13: "an event once when crossed, once when
// cleared"): events::MarginWarning, engine.hpp "Margin warnings".
//
// Two ways in: a command that changes an account (its cash or a position)
// re-checks it exactly at its end; a tick that moves a market's mark or
// funding index (OraclePrice, TimeTick, RetireSource) re-checks the targets
// whose warning entries fired (liquidation_index.hpp, "the warning family"),
// at most kWarningChecksPerTick per market and tick. The harness checks
// CheckInvariants() after every command, which includes that every target
// whose warning entries did not fire has an exact flag.
//
// Units as in support/engine_harness.hpp and scenario_liquidation_test.cpp:
// one tick of one lot is 100 atoms; the market has no fees, no funding, no
// band, mark_cap 0 (the mark is the oracle price), one tier: maintenance 1%
// of the notional at the mark, initial 5% (20x); the warning threshold is
// the default 80%.
//
// A long of 1,000 lots bought at 300,000 ticks by an account that deposited
// D atoms has, at mark M,
//     equity E = D + 1,000 * (M - 300,000) * 100 = D + 100,000 * (M - 300,000)
//     maintenance MM = 1,000 * M * 100 * 1% = 1,000 * M
//     warning margin W = floor(MM / 0.8) = 1,250 * M
// and it is warned (warning or worse) iff E <= W.
#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "perpcore/engine/engine.hpp"
#include "support/catch_ids.hpp"
#include "support/engine_harness.hpp"

namespace perpcore::engine {
namespace {

using liquidation::Health;
using testing::EngineHarness;
using testing::Shared;

constexpr std::int64_t kEntry = 300'000;
constexpr AccountId kMaker = 100;

MarketParams Market() {
  MarketParams p;
  p.symbol = "BTC-USD";
  p.max_price = Ticks(10'000'000);
  p.price_band = Rate(0);
  p.maker_fee = Rate(0);
  p.taker_fee = Rate(0);
  p.oracle.mark_cap = Rate(0);
  p.funding.model = funding::FundingModel::kNone;
  return p;
}

std::vector<events::MarginWarning> Warnings(std::span<const Event> events) {
  std::vector<events::MarginWarning> out;
  for (const Event& e : events) {
    if (const auto* w = std::get_if<events::MarginWarning>(&e)) out.push_back(*w);
  }
  return out;
}

std::string ToString(const std::vector<events::MarginWarning>& ws) {
  std::string s = "[";
  for (const auto& w : ws) {
    s += "{account " + std::to_string(w.account.value()) + ", market " +
         std::to_string(w.market.value()) + ", set " + std::to_string(w.set) + ", equity " +
         std::to_string(w.equity.raw()) + ", maintenance " + std::to_string(w.maintenance.raw()) +
         "}";
  }
  return s + "]";
}

void CheckWarnings(std::span<const Event> events,
                   const std::vector<events::MarginWarning>& want) {
  const auto got = Warnings(events);
  INFO("got  " << ToString(got));
  INFO("want " << ToString(want));
  CHECK(got == want);
}

class Warn : public EngineHarness {
 public:
  explicit Warn(MarketParams p = Market()) {
    Ok(CreateMarket{.market = 1, .params = Shared(std::move(p))});
    Price(1, Ticks(kEntry));
    Open(kMaker, 10'000'000 * testing::kUsd);
  }
  void Open(AccountId a, std::int64_t atoms) {
    Ok(CreateAccount{.account = a, .owner = OwnerId(a.value())});
    if (atoms > 0) Ok(Deposit{.account = a, .amount = Quote(atoms)});
  }
  // `a` buys `lots` at the entry price from the maker; the fill's events.
  std::vector<Event> Long(AccountId a, std::int64_t lots) {
    return Trade(a, Side::kBuy, lots, kEntry);
  }
  // `a` trades `lots` on `side` at `ticks` with the maker; the fill's events.
  std::vector<Event> Trade(AccountId a, Side side, std::int64_t lots, std::int64_t ticks) {
    const Side other = side == Side::kBuy ? Side::kSell : Side::kBuy;
    REQUIRE(Order(kMaker, OrderId(++orders_), other, Ticks(ticks), Lots(lots),
                  TimeInForce::kGtc, false, 1)
                .reason == Reason::kOk);
    const Result r = Order(a, OrderId(++orders_), side, Ticks(ticks), Lots(lots),
                           TimeInForce::kIoc, false, 1);
    REQUIRE(r.reason == Reason::kOk);
    REQUIRE(r.filled.raw() == lots);
    return {r.events.begin(), r.events.end()};
  }
  // Accounts 1001..1300 each deposit 20,000,000 atoms and buy 10 lots at
  // the entry (the per-tick cap tests).
  void ManyLongs() {
    for (std::uint64_t i = 1'001; i <= 1'300; ++i) {
      Open(AccountId(i), 20'000'000);
      Long(AccountId(i), 10);
    }
  }
  // A deposit of `atoms`: touches the account; its events.
  std::vector<Event> Touch(AccountId a, std::int64_t atoms) {
    const Result r = Do(Deposit{.account = a, .amount = Quote(atoms)});
    REQUIRE(r.reason == Reason::kOk);
    return {r.events.begin(), r.events.end()};
  }
  std::vector<Event> MoveTo(std::int64_t ticks) {
    const Result r = Do(OraclePrice{
        .market = 1, .source = 1, .price = Ticks(ticks), .publish_time = TimeNs(now)});
    REQUIRE(r.reason == Reason::kOk);
    return {r.events.begin(), r.events.end()};
  }

 private:
  std::uint64_t orders_ = 0;
};

// D = 2,000,000,000 and 1,000 lots: at the entry E = 2e9, W = 3.75e8 < E:
// healthy, no event on the fill. At M = 283,500: E = 2e9 - 100,000 * 16,500
// = 350,000,000, W = 354,375,000 >= E: warning (E > MM = 283,500,000: not
// liquidatable). The price update itself emits the set event.
TEST_CASE("A price move that takes an account into warning emits one set event in that price "
          "update",
          "[engine][warning]") {
  Warn h;
  h.Open(1, 2'000'000'000);
  CheckWarnings(h.Long(1, 1'000), {});
  CheckWarnings(h.MoveTo(283'500), {{.account = 1,
                                     .market = 0,
                                     .set = true,
                                     .equity = Quote(350'000'000),
                                     .maintenance = Quote(283'500'000)}});
  CHECK(h.Summary(1).health == Health::kWarning);
}

// Continuing: moves and deposits that leave E <= W emit nothing; the price
// back at the entry clears it in that update.
TEST_CASE("An account that stays in warning gets no further event and one clear event when it "
          "is healthy again",
          "[engine][warning]") {
  Warn h;
  h.Open(1, 2'000'000'000);
  h.Long(1, 1'000);
  REQUIRE(Warnings(h.MoveTo(283'500)).size() == 1);
  // E = 350,000,000 + 1,000,000 = 351,000,000 <= 354,375,000.
  CheckWarnings(h.Touch(1, 1'000'000), {});
  // M = 283,400: E = 341,000,000, W = 354,250,000: worse, no event.
  CheckWarnings(h.MoveTo(283'400), {});
  // Back at the entry: E = 2,001,000,000, MM = 300,000,000: healthy.
  CheckWarnings(h.MoveTo(kEntry), {{.account = 1,
                                    .market = 0,
                                    .set = false,
                                    .equity = Quote(2'001'000'000),
                                    .maintenance = Quote(300'000'000)}});
  CheckWarnings(h.MoveTo(kEntry + 1), {});
}

// The one-tick boundary of a price move. E <= W iff 2e9 + 100,000 * (M -
// 300,000) <= 1,250 * M iff 98,750 * M <= 2.8e10 iff M <= 283,544.3:
//   M = 283,545: E = 354,500,000 > W = 354,431,250: healthy
//   M = 283,544: E = 354,400,000 <= W = 354,430,000: warning
TEST_CASE("A price one tick past the warning line sets the warning and one tick back clears it",
          "[engine][warning]") {
  Warn h;
  h.Open(1, 2'000'000'000);
  h.Long(1, 1'000);
  CheckWarnings(h.MoveTo(283'545), {});
  CheckWarnings(h.MoveTo(283'544), {{.account = 1,
                                     .market = 0,
                                     .set = true,
                                     .equity = Quote(354'400'000),
                                     .maintenance = Quote(283'544'000)}});
  CheckWarnings(h.MoveTo(283'545), {{.account = 1,
                                     .market = 0,
                                     .set = false,
                                     .equity = Quote(354'500'000),
                                     .maintenance = Quote(283'545'000)}});
}

// The one-atom boundary of a deposit. At M = 283,500, W = 354,375,000
// exactly (MM * 1e18 = 283,500,000e18 = 0.8e18 * 354,375,000: equal is a
// warning). From E = 350,000,000, 4,375,000 more give E = W: still warning,
// no event; one atom more: cleared.
TEST_CASE("Equity exactly at maintenance over the threshold is a warning and one atom above "
          "clears it",
          "[engine][warning]") {
  Warn h;
  h.Open(1, 2'000'000'000);
  h.Long(1, 1'000);
  REQUIRE(Warnings(h.MoveTo(283'500)).size() == 1);
  CheckWarnings(h.Touch(1, 4'375'000), {});
  CHECK(h.Summary(1).health_equity.raw() == 354'375'000);
  CHECK(h.Summary(1).health == Health::kWarning);
  CheckWarnings(h.Touch(1, 1), {{.account = 1,
                                 .market = 0,
                                 .set = false,
                                 .equity = Quote(354'375'001),
                                 .maintenance = Quote(283'500'000)}});
}

// Liquidatable and bankrupt are "worse": one set event, whichever grade it
// lands in. At M = 282,000: E = 2e9 - 1.8e9 = 200,000,000 < MM =
// 282,000,000: liquidatable.
TEST_CASE("An account that goes straight from healthy to liquidatable gets one set event",
          "[engine][warning]") {
  Warn h;
  h.Open(1, 2'000'000'000);
  h.Long(1, 1'000);
  CheckWarnings(h.MoveTo(282'000), {{.account = 1,
                                     .market = 0,
                                     .set = true,
                                     .equity = Quote(200'000'000),
                                     .maintenance = Quote(282'000'000)}});
  CHECK(h.Summary(1).health == Health::kLiquidatable);
}

// Isolated: account 1 deposits 1e10, isolates market 1 and buys 1,000 lots:
// the bucket holds the initial margin 1,500,000,000 (scenario_liquidation
// "an isolated bucket is liquidated on its own"), cross cash 8.5e9 with no
// cross position: the cross account is healthy whatever the price.
// Bucket: E = 1.5e9 + 100,000 * (M - 300,000), MM = 1,000 * M. At M =
// 288,600: E = 360,000,000, W = 360,750,000 >= E: warning, set for market 1
// in the price update; nothing for the cross account. +750,000 into the
// bucket: E = W, no event; +1: cleared.
TEST_CASE("An isolated bucket is warned on its own, with its market, and the cross account is "
          "not",
          "[engine][warning]") {
  Warn h;
  h.Open(1, 10'000'000'000);
  h.Ok(SetMarginMode{.market = 1, .account = 1, .mode = MarginMode::kIsolated});
  CheckWarnings(h.Long(1, 1'000), {});
  CheckWarnings(h.MoveTo(288'600), {{.account = 1,
                                     .market = 1,
                                     .set = true,
                                     .equity = Quote(360'000'000),
                                     .maintenance = Quote(288'600'000)}});
  auto adjust = [&](std::int64_t delta) -> std::vector<Event> {
    const Result r = h.Do(AdjustIsolatedMargin{.market = 1, .account = 1, .delta = Quote(delta)});
    REQUIRE(r.reason == Reason::kOk);
    return {r.events.begin(), r.events.end()};
  };
  CHECK(h.Summary(1).health == Health::kHealthy);
  CheckWarnings(adjust(750'000), {});  // E = 360,750,000: at the boundary
  CheckWarnings(adjust(1), {{.account = 1,
                             .market = 1,
                             .set = false,
                             .equity = Quote(360'750'001),
                             .maintenance = Quote(288'600'000)}});
}

// A warned bucket whose position closes is released (its record goes):
// its state is cleared by an event with equity and maintenance 0 (nothing is
// left to judge). Same set-up as above: the bucket is warned at 288,600;
// account 1 then sells its 1,000 lots to the maker at 288,600: the bucket
// closes and returns its cash to cross. The cross account (no cross
// position, cash > 0) stays healthy: no event for it.
// The engine property test found the first version of this (the state was
// kept on the bucket's record and went with it, so the next bucket's set
// came without a clear in between).
TEST_CASE("A warned isolated bucket that closes is cleared by one event with zero equity and "
          "maintenance",
          "[engine][warning]") {
  Warn h;
  h.Open(1, 10'000'000'000);
  h.Ok(SetMarginMode{.market = 1, .account = 1, .mode = MarginMode::kIsolated});
  h.Long(1, 1'000);
  REQUIRE(Warnings(h.MoveTo(288'600)).size() == 1);
  REQUIRE(h.Order(kMaker, OrderId(950), Side::kBuy, Ticks(288'600), Lots(1'000),
                  TimeInForce::kGtc, false, 1)
              .reason == Reason::kOk);
  const Result r = h.Order(1, OrderId(951), Side::kSell, Ticks(288'600), Lots(1'000),
                           TimeInForce::kIoc, false, 1);
  REQUIRE(r.reason == Reason::kOk);
  REQUIRE(r.filled.raw() == 1'000);
  CHECK(h.Summary(1).positions.empty());
  CheckWarnings(r.events, {{.account = 1,
                            .market = 1,
                            .set = false,
                            .equity = Quote(0),
                            .maintenance = Quote(0)}});
}

// Several accounts in one command go out in account id order, whatever the
// order they were created or keyed in: accounts 2 then 1 each deposit 2e9
// and buy 1,000 lots at the entry; at 283,500 both are warned (the first
// test's numbers).
TEST_CASE("Several accounts one price update warns get their events in account id order",
          "[engine][warning]") {
  Warn h;
  h.Open(2, 2'000'000'000);
  h.Open(1, 2'000'000'000);
  h.Long(2, 1'000);
  h.Long(1, 1'000);
  const events::MarginWarning want{.account = 1,
                                   .market = 0,
                                   .set = true,
                                   .equity = Quote(350'000'000),
                                   .maintenance = Quote(283'500'000)};
  events::MarginWarning want2 = want;
  want2.account = 2;
  CheckWarnings(h.MoveTo(283'500), {want, want2});
}

// A fill changes both its sides, and each is re-checked at the end of the
// command. Account 1 (D = 2e9, long 1,000 at the entry) is warned at
// 283,500; it sells 500 lots to the maker there: E = 350,000,000 (a trade at
// the mark does not change equity), MM = 500 * 283,500 * 100 * 1% =
// 141,750,000, W = 177,187,500 < E: the fill clears it.
TEST_CASE("A fill that reduces a warned position below the warning line clears it in that fill",
          "[engine][warning]") {
  Warn h;
  h.Open(1, 2'000'000'000);
  h.Long(1, 1'000);
  REQUIRE(Warnings(h.MoveTo(283'500)).size() == 1);
  CheckWarnings(h.Trade(1, Side::kSell, 500, 283'500), {{.account = 1,
                                                         .market = 0,
                                                         .set = false,
                                                         .equity = Quote(350'000'000),
                                                         .maintenance = Quote(141'750'000)}});
}

// A funding payment alone, seen by the tick that closes the interval. The
// market pays the premium model at interval ends, 8 h intervals and period;
// its books are empty (every fill here takes all the maker rests), so the
// premium is 0 and the rate the interest, 0.01% per 8 h (funding.hpp). At
// M = 283,545 the account is healthy by E - W = 354,500,000 - 354,431,250 =
// 68,750 atoms (the boundary test). The first interval ends at 8 h (aligned
// to time 0); its payment at the index (283,545): 283,545 * 100 * 0.01% =
// 2,835.45 atoms a lot, 2,835,450 for the 1,000 lots, so E = 351,664,550 <=
// W: the tick that pays it warns (a price just before it keeps the index
// fresh and emits nothing).
TEST_CASE("A funding payment that takes an account across the warning line warns in the tick "
          "that pays it",
          "[engine][warning]") {
  MarketParams p = Market();
  p.funding.model = funding::FundingModel::kPremium;
  p.funding.payment = funding::FundingPayment::kIntervalEnd;
  p.funding.interval = TimeNs(8 * 3600 * testing::kSecond);
  p.funding.period = TimeNs(8 * 3600 * testing::kSecond);
  Warn h(p);
  h.Open(1, 2'000'000'000);
  h.Long(1, 1'000);
  CheckWarnings(h.MoveTo(283'545), {});
  const std::int64_t end = 8 * 3600 * testing::kSecond;
  h.now = end - testing::kSecond;
  CheckWarnings(h.MoveTo(283'545), {});
  const Result tick = h.At(end, TimeTick{.market = 1});
  REQUIRE(tick.reason == Reason::kOk);
  CheckWarnings(tick.events, {{.account = 1,
                               .market = 0,
                               .set = true,
                               .equity = Quote(351'664'550),
                               .maintenance = Quote(283'545'000)}});
}

// A cross account's warning margin sums each market's maintenance over its
// own threshold. Market 2 is market 1 with a 40% threshold; account 1
// (D = 2e9) holds 500 lots long in each, bought at the entry. Market 1 at
// 284,000: E = 2e9 - 500 * 16,000 * 100 = 1.2e9, healthy. Market 2 there
// too: E = 400,000,000; MM = 2 * 500 * 284,000 = 284,000,000; W =
// 142,000,000 / 0.8 + 142,000,000 / 0.4 = 177,500,000 + 355,000,000 =
// 532,500,000 >= E: warned (with both at 80%, W = 355,000,000 < E would be
// healthy).
TEST_CASE("A cross account's warning margin is each market's maintenance over that market's "
          "threshold",
          "[engine][warning]") {
  Warn h;
  MarketParams p2 = Market();
  p2.symbol = "ETH-USD";
  p2.liquidation.warning_threshold = Rate(kRateScale / 10 * 4);
  h.Ok(CreateMarket{.market = 2, .params = Shared(p2)});
  h.Price(2, Ticks(kEntry));
  h.Open(1, 2'000'000'000);
  REQUIRE(h.Order(kMaker, OrderId(800), Side::kSell, Ticks(kEntry), Lots(500), TimeInForce::kGtc,
                  false, 2)
              .reason == Reason::kOk);
  REQUIRE(h.Order(1, OrderId(801), Side::kBuy, Ticks(kEntry), Lots(500), TimeInForce::kIoc,
                  false, 2)
              .filled.raw() == 500);
  h.Trade(1, Side::kBuy, 500, kEntry);
  CheckWarnings(h.MoveTo(284'000), {});
  const Result r = h.Do(OraclePrice{
      .market = 2, .source = 1, .price = Ticks(284'000), .publish_time = TimeNs(h.now)});
  REQUIRE(r.reason == Reason::kOk);
  CheckWarnings(r.events, {{.account = 1,
                            .market = 0,
                            .set = true,
                            .equity = Quote(400'000'000),
                            .maintenance = Quote(284'000'000)}});
}

// A change of the warning threshold re-checks the market's accounts in that
// UpdateMarket. At M = 290,000 account 1 (D = 2e9, 1,000 lots): E = 1e9,
// MM = 290,000,000, W = 362,500,000 at 80%: healthy. At 25%: W =
// 1,160,000,000 >= E: warned.
TEST_CASE("Lowering the warning threshold warns the accounts it now covers in that update",
          "[engine][warning]") {
  Warn h;
  h.Open(1, 2'000'000'000);
  h.Long(1, 1'000);
  CheckWarnings(h.MoveTo(290'000), {});
  MarketParams p = Market();
  p.liquidation.warning_threshold = Rate(kRateScale / 4);
  const Result r = h.Do(UpdateMarket{.market = 1, .params = Shared(p)});
  REQUIRE(r.reason == Reason::kOk);
  CheckWarnings(r.events, {{.account = 1,
                            .market = 0,
                            .set = true,
                            .equity = Quote(1'000'000'000),
                            .maintenance = Quote(290'000'000)}});
}

// One tick re-checks at most kWarningChecksPerTick (256) targets of a
// market; the rest stay fired and the next ticks take them. 300 accounts
// (ids 1001..1300, D = 20,000,000) each buy 10 lots at the entry; at 283,500
// each has E = 20,000,000 - 10 * 16,500 * 100 = 3,500,000, MM = 2,835,000,
// W = 3,543,750 >= E: all warned, equally deep, so the first 256 by slot
// (created in id order: ids 1001..1256) in the price update, the other 44 in
// the next TimeTick, and none after.
TEST_CASE("A tick warns at most 256 accounts of a market and the next tick continues",
          "[engine][warning]") {
  Warn h;
  h.ManyLongs();
  const auto first = Warnings(h.MoveTo(283'500));
  REQUIRE(first.size() == 256);
  CHECK(first.front().account == AccountId(1'001));
  CHECK(first.back().account == AccountId(1'256));
  CHECK(first.front().equity == Quote(3'500'000));
  CHECK(first.front().maintenance == Quote(2'835'000));
  const Result tick = h.Do(TimeTick{.market = 1});
  const auto second = Warnings(tick.events);
  REQUIRE(second.size() == 44);
  CHECK(second.front().account == AccountId(1'257));
  CHECK(second.back().account == AccountId(1'300));
  CHECK(Warnings(h.Do(TimeTick{.market = 1}).events).empty());
}

// A command that changes a target re-checks it even while a tick has not
// serviced it yet. The set-up above: 1300 is past the first tick's 256, so
// its entry fired but its flag is still clear; a deposit of 1 atom into it
// (E = 3,500,001 <= W = 3,543,750) sets it in that deposit. Found by review:
// the first version kept the untouched position's fired entry.
TEST_CASE("A deposit into a target a tick has not serviced yet warns it in that deposit",
          "[engine][warning]") {
  Warn h;
  h.ManyLongs();
  REQUIRE(Warnings(h.MoveTo(283'500)).size() == 256);
  CheckWarnings(h.Touch(AccountId(1'300), 1), {{.account = 1'300,
                                                .market = 0,
                                                .set = true,
                                                .equity = Quote(3'500'001),
                                                .maintenance = Quote(2'835'000)}});
}

// Entries that keep firing do not hold the other indexes back. Two tiers:
// 2% below 100 USD (1e8 atoms), 4% from there (deduction D = 1e8 * 2% =
// 2,000,000 atoms); threshold 20%. 300 accounts (D = 51,000,000) each buy 10
// lots at the entry: n = 300,000,000, MM = 12,000,000 - 2,000,000 =
// 10,000,000, W = 50,000,000, E - W = 1,000,000: not warned, but the enter
// bound drops D / w = 10,000,000, so their entries fire at once, at every
// tick (258 checks for 256 slots of budget). V (D = 49,960,000) buys 10
// lots: E - W = -40,000, warned on its fill. At 300,100: E rises by 10 *
// 100 * 100 = 100,000 and W by 10 * 100 * 100 * 4% / 20% = 20,000, so V's
// E - W = +40,000: healthy, its clear entry fires; the 300 stay not
// warned (E - W = 1,080,000). Two tiers make 8 warning indexes, and the
// index a tick takes first moves on by one at each tick whose budget ran
// out: V's clear index comes first within 8 ticks, so one clear event for
// V over the move and 9 ticks (with the index order fixed, it never came:
// found by review).
TEST_CASE("Warning entries that keep firing in one index do not starve another index",
          "[engine][warning]") {
  MarketParams p = Market();
  p.tiers = {{Quote(0), 20, Rate(kRateScale / 50)},
             {Quote(100'000'000), 20, Rate(kRateScale / 25)}};
  p.liquidation.warning_threshold = Rate(kRateScale / 5);
  Warn h(p);
  for (std::uint64_t i = 1'001; i <= 1'300; ++i) {
    h.Open(AccountId(i), 51'000'000);
    CheckWarnings(h.Long(AccountId(i), 10), {});
  }
  constexpr AccountId kV = 2'000;
  h.Open(kV, 49'960'000);
  CheckWarnings(h.Long(kV, 10), {{.account = kV,
                                  .market = 0,
                                  .set = true,
                                  .equity = Quote(49'960'000),
                                  .maintenance = Quote(10'000'000)}});
  std::vector<events::MarginWarning> got = Warnings(h.MoveTo(kEntry + 100));
  REQUIRE(h.Summary(kV).health == Health::kHealthy);
  for (int k = 0; k < 9; ++k) {
    for (const auto& w : Warnings(h.Do(TimeTick{.market = 1}, testing::kSecond).events)) {
      got.push_back(w);
    }
  }
  INFO("got " << ToString(got));
  REQUIRE(got.size() == 1);
  CHECK(got[0] == events::MarginWarning{.account = kV,
                                        .market = 0,
                                        .set = false,
                                        .equity = Quote(50'060'000),
                                        .maintenance = Quote(10'004'000)});
}

// Property: over a random stream of fills, deposits, withdrawals, isolated
// margin moves and price moves, the warning state a consumer rebuilds from
// the events (set only when not set, clear only when set) equals the exact
// classification (AccountSummary::health, PositionView::health of isolated
// buckets) of every account after every command (6 accounts: the per-tick
// cap is never reached).
TEST_CASE("Property: the warning state rebuilt from the events equals the exact classification "
          "of every account after every command",
          "[engine][warning][property]") {
  const std::uint64_t seed = GENERATE(1u, 2u, 3u, 4u);
  std::mt19937_64 rng(seed);
  Warn h;
  constexpr std::uint64_t kAccounts = 6;
  for (std::uint64_t i = 1; i <= kAccounts; ++i) {
    h.Open(AccountId(i), 400'000'000 + 50'000'000 * static_cast<std::int64_t>(i));
    if (i % 3 == 0) h.Ok(SetMarginMode{.market = 1, .account = AccountId(i),
                                       .mode = MarginMode::kIsolated});
  }
  // (account, market) -> set, from the events.
  std::map<std::pair<std::uint64_t, std::uint32_t>, bool> model;
  std::uint64_t sets = 0, clears = 0;
  auto apply = [&](std::span<const Event> events) {
    for (const auto& w : Warnings(events)) {
      bool& flag = model[{w.account.value(), w.market.value()}];
      INFO("account " << w.account.value() << " market " << w.market.value());
      CHECK(flag != w.set);  // once per crossing
      flag = w.set;
      (w.set ? sets : clears) += 1;
    }
  };
  auto check = [&](AccountId a) {
    const AccountSummary s = h.Summary(a);
    INFO("account " << a.value());
    CHECK(model[{a.value(), 0}] == (s.health != Health::kHealthy));
    for (const PositionView& p : s.positions) {
      if (p.mode != MarginMode::kIsolated) continue;
      CHECK(model[{a.value(), p.market.value()}] == (p.health != Health::kHealthy));
    }
  };
  std::int64_t mark = kEntry;
  std::uint64_t next_order = 10'000;
  for (int step = 0; step < 600; ++step) {
    const AccountId a(1 + rng() % kAccounts);
    const int what = static_cast<int>(rng() % 10);
    if (what < 4) {
      // A fill with the maker at the mark, either side, 1..200 lots.
      const std::int64_t lots = 1 + static_cast<std::int64_t>(rng() % 200);
      const Side side = rng() % 2 == 0 ? Side::kBuy : Side::kSell;
      const Side other = side == Side::kBuy ? Side::kSell : Side::kBuy;
      const Result m = h.Order(kMaker, OrderId(++next_order), other, Ticks(mark), Lots(lots),
                               TimeInForce::kGtc, false, 1);
      REQUIRE(m.reason == Reason::kOk);
      apply(m.events);
      const Result r = h.Order(a, OrderId(++next_order), side, Ticks(mark), Lots(lots),
                               TimeInForce::kIoc, false, 1);
      apply(r.events);
      // Whatever did not trade is left resting by the maker: cancel it.
      const Result c = h.Do(CancelAll{.market = 1, .account = kMaker});
      apply(c.events);
    } else if (what < 6) {
      apply(h.Do(Deposit{.account = a, .amount = Quote(static_cast<std::int64_t>(1 + rng() % 20'000'000))}).events);
    } else if (what < 7) {
      apply(h.Do(Withdraw{.account = a, .amount = Quote(static_cast<std::int64_t>(1 + rng() % 50'000'000))}).events);
    } else if (what < 8) {
      const std::int64_t delta = static_cast<std::int64_t>(rng() % 20'000'000) - 10'000'000;
      apply(h.Do(AdjustIsolatedMargin{.market = 1, .account = a, .delta = Quote(delta)}).events);
    } else {
      // A move of up to 2% either way.
      mark += static_cast<std::int64_t>(rng() % 12'001) - 6'000;
      if (mark < 200'000) mark = 200'000;
      apply(h.MoveTo(mark));
    }
    for (std::uint64_t i = 1; i <= kAccounts; ++i) check(AccountId(i));
  }
  INFO("seed " << seed << " sets " << sets << " clears " << clears);
  // The stream reaches both directions (else it tests nothing).
  CHECK(sets > 0);
  CHECK(clears > 0);
}

}  // namespace
}  // namespace perpcore::engine
