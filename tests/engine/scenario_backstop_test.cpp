// Backstop takeover (issue 14): a market names a backstop account
// (Hyperliquid's liquidator vault), which takes a liquidated position off
// the book at the mark with the target's equity share, when the target is
// below backstop_threshold * maintenance or when the book cannot absorb the
// liquidation; a backstop that cannot take it (its own initial margin) is
// passed over and the liquidation goes on without it.
//
// The rules are those of include/perpcore/engine/engine.hpp ("Backstop
// takeover"); every figure asserted is worked out by hand in the comment
// above it.
//
// Units as in support/engine_harness.hpp: 0.1 USD ticks, 0.001 BTC lots,
// 1e-6 USD atoms, so one tick of one lot is m = 100 atoms and 30,000 USD is
// 300,000 ticks. No trading fees, no funding, no price band, mark_cap 0 (an
// oracle price sets the mark). One margin tier: 20x (initial 5%),
// maintenance 1%. Liquidation fee 0 unless a test says (the takeover pays
// none; the book's part would). backstop_threshold 2/3 (the default):
// 666,666,666,666,666,666 / 1e18.
//
// The target (account 1) deposits D and buys 1,000 lots at 300,000 from the
// maker: cash D - 1,000 * 300,000 * 100 = D - 3e10. At mark M its equity is
//   E = D - 3e10 + 1,000 * M * 100 = D - 3e10 + 1e5 * M
// and its maintenance MM = 1% of 1e5 * M = 1,000 * M.
#include <catch2/catch.hpp>

#include <cstdint>
#include <utility>
#include <variant>
#include <vector>

#include "perpcore/engine/engine.hpp"
#include "support/engine_harness.hpp"

namespace perpcore::engine {
namespace {

using testing::EngineHarness;
using testing::Of;
using testing::Shared;

constexpr std::int64_t kEntry = 300'000;  // 30,000 USD in ticks
constexpr std::int64_t kDrop = 286'000;   // 28,600 USD
constexpr AccountId kTarget = 1;
constexpr AccountId kBackstop = 9;
constexpr AccountId kMaker = 100;
constexpr AccountId kBidder = 101;
constexpr AccountId kKeeper = 102;

MarketParams Market() {
  MarketParams p;
  p.symbol = "BTC-USD";
  p.max_price = Ticks(10'000'000);
  p.price_band = Rate(0);
  p.maker_fee = Rate(0);
  p.taker_fee = Rate(0);
  p.oracle.mark_cap = Rate(0);
  p.funding.model = funding::FundingModel::kNone;
  p.liquidation.fee = Rate(0);
  p.liquidation.backstop = kBackstop.value();
  return p;
}

// Market 1 at 300,000; a maker and a bidder with 10M USD, a keeper with
// nothing, the backstop with `backstop_atoms`; the target with `target_atoms`
// long 1,000 lots (cross unless `isolated`), then the mark at `mark`.
class Backstop : public EngineHarness {
 public:
  Backstop(std::int64_t target_atoms, std::int64_t backstop_atoms, std::int64_t mark,
           MarketParams p = Market(), bool isolated = false) {
    Ok(CreateMarket{.market = 1, .params = Shared(std::move(p))});
    Price(1, Ticks(kEntry));
    Open(kMaker, 10'000'000 * testing::kUsd);
    Open(kBidder, 10'000'000 * testing::kUsd);
    Open(kKeeper, 0);
    Open(kBackstop, backstop_atoms);
    Open(kTarget, target_atoms);
    if (isolated) {
      Ok(SetMarginMode{.market = 1, .account = kTarget, .mode = MarginMode::kIsolated});
    }
    REQUIRE(Order(kMaker, OrderId(1), Side::kSell, Ticks(kEntry), Lots(1'000)).reason ==
            Reason::kOk);
    REQUIRE(Order(kTarget, OrderId(2), Side::kBuy, Ticks(kEntry), Lots(1'000), TimeInForce::kIoc)
                .filled == Lots(1'000));
    Price(1, Ticks(mark));
  }
  void Open(AccountId a, std::int64_t atoms) {
    Ok(CreateAccount{.account = a, .owner = OwnerId(a.value())});
    if (atoms > 0) Ok(Deposit{.account = a, .amount = Quote(atoms)});
  }
  void Bid(std::int64_t ticks, std::int64_t lots) {
    REQUIRE(Order(kBidder, OrderId(++orders_), Side::kBuy, Ticks(ticks), Lots(lots)).reason ==
            Reason::kOk);
  }
  Reason Liquidate() {
    const Result r = Do(engine::Liquidate{.market = 1, .account = kTarget, .keeper = kKeeper});
    last.assign(r.events.begin(), r.events.end());
    return r.reason;
  }
  std::int64_t Cash(AccountId a) const { return Summary(a).cash.raw(); }
  std::int64_t Size(AccountId a) const {
    const AccountSummary s = Summary(a);
    return s.positions.empty() ? 0 : s.positions.front().size.raw();
  }

  std::vector<Event> last;

 private:
  std::uint64_t orders_ = 100;
};

// D = 1.5e9 (the initial margin at entry, 5% of 3e10), mark 286,000:
//   E  = 1.5e9 - 3e10 + 2.86e10 = 1e8,  MM = 2.86e8,
//   2/3 * MM = 190,666,666.67 > E: the backstop takes the whole position
// at 286,000 with share = E * 1 = 1e8 (its only position), no book order,
// no fee:
//   target cash   -2.85e10 + 2.86e10 - 1e8 = 0, no position;
//   backstop cash  1e10 + 1e8 - 2.86e10 = -1.85e10, long 1,000
//   (equity 1e10 + 1e8 = 1.01e10 >= its initial 5% * 2.86e10 = 1.43e9).
TEST_CASE("Backstop: below 2/3 of maintenance the backstop takes the whole position at the mark",
          "[engine][backstop]") {
  Backstop s(1'500'000'000, 10'000'000'000, kDrop);
  s.Bid(kDrop, 1'000);  // liquidity the takeover does not use
  REQUIRE(s.Liquidate() == Reason::kOk);
  const auto taken = Of<events::BackstopTakeover>(s.last);
  REQUIRE(taken.size() == 1);
  CHECK(taken[0] == events::BackstopTakeover{.market = 1,
                                             .account = kTarget,
                                             .backstop = kBackstop,
                                             .isolated = false,
                                             .size = Lots(1'000),
                                             .price = Ticks(kDrop),
                                             .equity = Quote(100'000'000),
                                             .position = Lots(0),
                                             .backstop_position = Lots(1'000)});
  CHECK(Of<events::Liquidation>(s.last).empty());
  CHECK(Of<events::Fill>(s.last).empty());
  CHECK(s.Cash(kTarget) == 0);
  CHECK(s.Size(kTarget) == 0);
  CHECK(s.Cash(kBackstop) == -18'500'000'000);
  CHECK(s.Size(kBackstop) == 1'000);
  CHECK(s.Summary(kBackstop).health_equity.raw() == 10'100'000'000);
  CHECK(s.eng.insurance_fund() == Quote(0));
  CHECK(s.eng.shortfall() == Quote(0));
}

// The threshold at one atom: E * 1e18 < 666,666,666,666,666,666 * 2.86e8
// iff E <= 190,666,666 (2/3 * 2.86e8 = 190,666,666.67, the threshold rate
// being 2/3 rounded down). With E = D - 1.4e9:
//   D = 1,590,666,666: E = 190,666,666, taken by the backstop;
//   D = 1,590,666,667: E = 190,666,667, the book path (a Liquidation, the
//   bid at the mark takes what it sends, no takeover).
TEST_CASE("Backstop: the threshold is strict, one atom of equity decides",
          "[engine][backstop]") {
  {
    Backstop s(1'590'666'666, 10'000'000'000, kDrop);
    s.Bid(kDrop, 1'000);
    REQUIRE(s.Liquidate() == Reason::kOk);
    CHECK(Of<events::BackstopTakeover>(s.last).size() == 1);
    CHECK(Of<events::Liquidation>(s.last).empty());
  }
  {
    Backstop s(1'590'666'667, 10'000'000'000, kDrop);
    s.Bid(kDrop, 1'000);
    REQUIRE(s.Liquidate() == Reason::kOk);
    CHECK(Of<events::BackstopTakeover>(s.last).empty());
    CHECK(Of<events::Liquidation>(s.last).size() == 1);
    CHECK(Of<events::Fill>(s.last).size() == 1);
  }
}

// D = 1.6e9, mark 286,000: E = 2e8 >= 190,666,666.67, so the book is tried
// first. Sizing (fee 0, buffer 10%): the fewest q with
//   2e8 >= 1.1 * 286,000 * (1,000 - q) = 314,600,000 - 314,600 q
// q >= 364.3, so q = 365. Nobody bids: the IOC closes nothing and the
// backstop takes the 365 lots at 286,000 with
//   share = floor(2e8 * 365 / 1,000) = 73,000,000.
// Target after: cash -2.84e10 + 365 * 2.86e7 - 7.3e7
//   = -28,400,000,000 + 10,439,000,000 - 73,000,000 = -18,034,000,000,
// long 635; equity -18,034,000,000 + 635 * 2.86e7 = 127,000,000 and
// maintenance 635 * 286,000 = 181,610,000: the ratio 0.6993 of before
// (2e8 / 2.86e8), so it is still liquidatable.
TEST_CASE("Backstop: what the book cannot absorb goes to the backstop with its equity share",
          "[engine][backstop]") {
  Backstop s(1'600'000'000, 10'000'000'000, kDrop);
  REQUIRE(s.Liquidate() == Reason::kOk);
  const auto liq = Of<events::Liquidation>(s.last);
  REQUIRE(liq.size() == 1);
  CHECK(liq[0].closed == Lots(0));
  const auto taken = Of<events::BackstopTakeover>(s.last);
  REQUIRE(taken.size() == 1);
  CHECK(taken[0].size == Lots(365));
  CHECK(taken[0].equity == Quote(73'000'000));
  CHECK(taken[0].position == Lots(635));
  CHECK(taken[0].backstop_position == Lots(365));
  CHECK(s.Cash(kTarget) == -18'034'000'000);
  CHECK(s.Summary(kTarget).health_equity.raw() == 127'000'000);
  CHECK(s.Summary(kTarget).maintenance_requirement.raw() == 181'610'000);
}

// A bankrupt target: D = 1.5e9, mark 284,000: E = 1.5e9 - 3e10 + 2.84e10
// = -1e8 < 0. The backstop takes the position at 284,000 and pays the
// deficit in (share -1e8): target cash -2.85e10 + 2.84e10 + 1e8 = 0, no
// insurance cover, no shortfall; the backstop's equity 1e10 - 1e8 = 9.9e9.
TEST_CASE("Backstop: a bankrupt target's deficit is paid by the backstop, not the fund",
          "[engine][backstop]") {
  Backstop s(1'500'000'000, 10'000'000'000, 284'000);
  REQUIRE(s.Liquidate() == Reason::kOk);
  const auto taken = Of<events::BackstopTakeover>(s.last);
  REQUIRE(taken.size() == 1);
  CHECK(taken[0].equity == Quote(-100'000'000));
  CHECK(s.Cash(kTarget) == 0);
  CHECK(s.Summary(kBackstop).health_equity.raw() == 9'900'000'000);
  CHECK(Of<events::InsuranceCover>(s.last).empty());
  CHECK(Of<events::Shortfall>(s.last).empty());
  CHECK(s.eng.shortfall() == Quote(0));
}

// The backstop's own check at one atom. After taking 1,000 lots at 286,000
// with share 1e8 its equity is B + 1e8 and its initial requirement 5% of
// 2.86e10 = 1.43e9: B = 1.33e9 takes (equal covers), B = 1.33e9 - 1 does
// not, and the liquidation goes to the book (a Liquidation, the bid fills
// the restoring size: fee 0, buffer 10%, the fewest q with
//   1e8 >= 1.1 * 286,000 * (1,000 - q) = 314,600,000 - 314,600 q,
// q >= 682.07, so q = 683).
TEST_CASE("Backstop: a backstop one atom short of its initial margin is passed over",
          "[engine][backstop]") {
  {
    Backstop s(1'500'000'000, 1'330'000'000, kDrop);
    s.Bid(kDrop, 1'000);
    REQUIRE(s.Liquidate() == Reason::kOk);
    CHECK(Of<events::BackstopTakeover>(s.last).size() == 1);
    CHECK(s.Summary(kBackstop).health_equity.raw() == 1'430'000'000);
  }
  {
    Backstop s(1'500'000'000, 1'329'999'999, kDrop);
    s.Bid(kDrop, 1'000);
    REQUIRE(s.Liquidate() == Reason::kOk);
    CHECK(Of<events::BackstopTakeover>(s.last).empty());
    const auto liq = Of<events::Liquidation>(s.last);
    REQUIRE(liq.size() == 1);
    CHECK(liq[0].closed == Lots(683));
    CHECK(s.Size(kBackstop) == 0);
  }
}

// The per-account position bound: max_open_interest 1,001 lots. A backstop
// already long `held` lots (bought at 300,000 from the bidder) takes the
// target's 1,000 below the threshold (as in the first case) only if it then
// holds at most 1,001: held 1 takes (1,001), held 2 does not (1,002), and
// the liquidation goes to the book (the bid takes 683 lots: the restoring
// size, as above).
TEST_CASE("Backstop: a takeover past the backstop's position bound is passed over",
          "[engine][backstop]") {
  for (const std::int64_t held : {1, 2}) {
    MarketParams p = Market();
    p.max_open_interest = Lots(1'001);
    p.max_order_size = Lots(1'001);
    Backstop s(1'500'000'000, 10'000'000'000, kEntry, p);
    REQUIRE(s.Order(kBidder, OrderId(90), Side::kSell, Ticks(kEntry), Lots(held)).reason ==
            Reason::kOk);
    REQUIRE(s.Order(kBackstop, OrderId(91), Side::kBuy, Ticks(kEntry), Lots(held),
                    TimeInForce::kIoc)
                .filled == Lots(held));
    s.Price(1, Ticks(kDrop));
    s.Bid(kDrop, 1'000);
    REQUIRE(s.Liquidate() == Reason::kOk);
    if (held == 1) {
      CHECK(Of<events::BackstopTakeover>(s.last).size() == 1);
      CHECK(s.Size(kBackstop) == 1'001);
    } else {
      CHECK(Of<events::BackstopTakeover>(s.last).empty());
      const auto liq = Of<events::Liquidation>(s.last);
      REQUIRE(liq.size() == 1);
      CHECK(liq[0].closed == Lots(683));
      CHECK(s.Size(kBackstop) == 2);
    }
  }
}

// An isolated target: its bucket holds D = 1.5e9 (the top-up at entry took
// the initial 5% of 3e10 from cross cash), the rest of its cross cash 0. At
// 286,000 the bucket's equity is 1e8 < 2/3 * 2.86e8: the backstop takes the
// position with share 1e8; the bucket is then 0 and released, no deficit.
TEST_CASE("Backstop: an isolated bucket's position and equity go to the backstop",
          "[engine][backstop]") {
  Backstop s(1'500'000'000, 10'000'000'000, kDrop, Market(), true);
  REQUIRE(s.Liquidate() == Reason::kOk);
  const auto taken = Of<events::BackstopTakeover>(s.last);
  REQUIRE(taken.size() == 1);
  CHECK(taken[0].isolated);
  CHECK(taken[0].equity == Quote(100'000'000));
  CHECK(s.Cash(kTarget) == 0);
  CHECK(s.Summary(kTarget).positions.empty());
  CHECK(s.Summary(kBackstop).health_equity.raw() == 10'100'000'000);
}

// backstop_threshold 0: the threshold fires only for a bankrupt target
// (E * 1e18 < 0 * MM iff E < 0). E = 1e8 at 286,000 (below 2/3 of
// maintenance) so the book is tried: the IOC of the restoring 683 lots
// (above) finds no bid, and the backstop takes them with
//   share = floor(1e8 * 683 / 1,000) = 68,300,000.
// The bankrupt target of 284,000 (E = -1e8) goes to the backstop at once.
TEST_CASE("Backstop: threshold 0 takes what the book cannot absorb, and bankrupt targets",
          "[engine][backstop]") {
  MarketParams p = Market();
  p.liquidation.backstop_threshold = Rate(0);
  {
    Backstop s(1'500'000'000, 10'000'000'000, kDrop, p);
    REQUIRE(s.Liquidate() == Reason::kOk);
    const auto liq = Of<events::Liquidation>(s.last);
    REQUIRE(liq.size() == 1);
    CHECK(liq[0].closed == Lots(0));
    const auto taken = Of<events::BackstopTakeover>(s.last);
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].size == Lots(683));
    CHECK(taken[0].equity == Quote(68'300'000));
    CHECK(taken[0].position == Lots(317));
  }
  {
    Backstop s(1'500'000'000, 10'000'000'000, 284'000, p);
    REQUIRE(s.Liquidate() == Reason::kOk);
    CHECK(Of<events::Liquidation>(s.last).empty());
    const auto taken = Of<events::BackstopTakeover>(s.last);
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].size == Lots(1'000));
    CHECK(taken[0].equity == Quote(-100'000'000));
    CHECK(s.Cash(kTarget) == 0);
  }
}

// No backstop named, or one that does not exist, or the target itself:
// the old path (a Liquidation, nothing taken).
TEST_CASE("Backstop: a missing backstop account is passed over", "[engine][backstop]") {
  MarketParams p = Market();
  p.liquidation.backstop = 77;  // never created
  Backstop s(1'500'000'000, 10'000'000'000, kDrop, p);
  s.Bid(kDrop, 1'000);
  REQUIRE(s.Liquidate() == Reason::kOk);
  CHECK(Of<events::BackstopTakeover>(s.last).empty());
  CHECK(Of<events::Liquidation>(s.last).size() == 1);
}

TEST_CASE("Backstop: a threshold below 0 or above 1 is refused", "[engine][backstop]") {
  liquidation::LiquidationParams lp;
  lp.backstop_threshold = Rate(kRateScale);
  CHECK(liquidation::Validate(lp) == Reason::kOk);
  lp.backstop_threshold = Rate(kRateScale + 1);
  CHECK(liquidation::Validate(lp) == Reason::kLiquidationInvalidBackstopThreshold);
  lp.backstop_threshold = Rate(-1);
  CHECK(liquidation::Validate(lp) == Reason::kLiquidationInvalidBackstopThreshold);
}

}  // namespace
}  // namespace perpcore::engine
