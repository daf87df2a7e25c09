// Auto-deleveraging through the engine (issue 14): a bankrupt long whose
// deficit the insurance fund cannot cover is closed against the shorts in
// their ADL ranking at its bankruptcy price (the mark plus its equity
// share, in atoms), the fund at one atom either side of covering it, the
// loss policy kNone leaving the shortfall, and the ADL light.
//
// The rules are those of include/perpcore/engine/engine.hpp
// ("Auto-deleveraging") and include/perpcore/liquidation/adl_queue.hpp;
// every figure asserted is worked out by hand in the comment above it.
//
// Units as in support/engine_harness.hpp: 0.1 USD ticks, 0.001 BTC lots,
// 1e-6 USD atoms (one tick of one lot is 100 atoms). No trading fees, no
// funding, no price band, mark_cap 0, liquidation fee 0; maintenance 1%,
// initial 1 / leverage.
//
// The set-up: account 1 (the target) deposits 1.5e9 and buys 1,000 lots at
// 300,000: 600 from account 2 (deposit 1e9, no leverage chosen: 20x) and
// 400 from account 3 (deposit 2.4e9, leverage 5). At the mark 284,000:
//   target   E = 1.5e9 - 3e10 + 1,000 * 284,000 * 100 = -1e8 (bankrupt);
//   shorts   PnL% = (300,000 - 284,000) / 300,000 = 5.33% each, so the
//            score is 20 * 5.33% for account 2 and 5 * 5.33% for account 3:
//            account 2 first.
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

constexpr std::int64_t kEntry = 300'000;
constexpr std::int64_t kCrash = 284'000;
constexpr AccountId kTarget = 1, kShortA = 2, kShortB = 3, kBidder = 101, kKeeper = 102;

MarketParams Market(liquidation::LossPolicy policy = liquidation::LossPolicy::kAdl) {
  MarketParams p;
  p.symbol = "BTC-USD";
  p.max_price = Ticks(10'000'000);
  p.price_band = Rate(0);
  p.maker_fee = Rate(0);
  p.taker_fee = Rate(0);
  p.oracle.mark_cap = Rate(0);
  p.funding.model = funding::FundingModel::kNone;
  p.liquidation.fee = Rate(0);
  p.liquidation.loss_policy = policy;
  return p;
}

class Adl : public EngineHarness {
 public:
  explicit Adl(MarketParams p = Market()) {
    Ok(CreateMarket{.market = 1, .params = Shared(std::move(p))});
    Price(1, Ticks(kEntry));
    Open(kBidder, 10'000'000 * testing::kUsd);
    Open(kKeeper, 0);
    Open(kTarget, 1'500'000'000);
    Open(kShortA, 1'000'000'000);
    Open(kShortB, 2'400'000'000);
    Ok(SetLeverage{.market = 1, .account = kShortB, .leverage = 5});
    REQUIRE(Order(kShortA, OrderId(1), Side::kSell, Ticks(kEntry), Lots(600)).reason ==
            Reason::kOk);
    REQUIRE(Order(kShortB, OrderId(2), Side::kSell, Ticks(kEntry), Lots(400)).reason ==
            Reason::kOk);
    REQUIRE(Order(kTarget, OrderId(3), Side::kBuy, Ticks(kEntry), Lots(1'000), TimeInForce::kIoc)
                .filled == Lots(1'000));
    Price(1, Ticks(kCrash));
  }
  void Open(AccountId a, std::int64_t atoms) {
    Ok(CreateAccount{.account = a, .owner = OwnerId(a.value())});
    if (atoms > 0) Ok(Deposit{.account = a, .amount = Quote(atoms)});
  }
  Reason Liquidate() {
    const Result r = Do(engine::Liquidate{.market = 1, .account = kTarget, .keeper = kKeeper});
    last.assign(r.events.begin(), r.events.end());
    return r.reason;
  }
  std::int64_t Cash(AccountId a) const { return Summary(a).cash.raw(); }

  std::vector<Event> last;
};

// With the fund empty (E + 0 < 0) the target is deleveraged first:
//   account 2: 600 lots, share floor(-1e8 * 600 / 1,000) = -6e7;
//     it stays healthy (it closes its whole position: maintenance 0, equity
//     1e9 + 600 * 16,000 * 100 - 6e7 = 1.9e9 >= 0);
//   the target then holds 400 lots with E = -1e8 + 6e7 = -4e7;
//   account 3: 400 lots, share floor(-4e7 * 400 / 400) = -4e7.
// Each closes at the target's bankruptcy price 284,000 + 1e8 / (1,000 *
// 100) = 285,000:
//   target   cash 1.5e9 - 3e10 + 2.84e10 + 1e8 = 0
//   account 2 cash 1e9 + 600 * 15,000 * 100 = 1.9e9
//   account 3 cash 2.4e9 + 400 * 15,000 * 100 = 3.0e9
// No book order, no fund, no shortfall.
TEST_CASE("ADL: a bankrupt long the fund cannot cover closes against the ranked shorts",
          "[engine][adl]") {
  Adl s;
  REQUIRE(s.Liquidate() == Reason::kOk);
  const std::vector<events::Deleveraged> want = {
      {.market = 1,
       .account = kTarget,
       .counterparty = kShortA,
       .size = Lots(600),
       .price = Ticks(kCrash),
       .equity = Quote(-60'000'000),
       .position = Lots(400),
       .counterparty_position = Lots(0)},
      {.market = 1,
       .account = kTarget,
       .counterparty = kShortB,
       .size = Lots(400),
       .price = Ticks(kCrash),
       .equity = Quote(-40'000'000),
       .position = Lots(0),
       .counterparty_position = Lots(0)},
  };
  CHECK(Of<events::Deleveraged>(s.last) == want);
  CHECK(Of<events::Liquidation>(s.last).empty());
  CHECK(s.Cash(kTarget) == 0);
  CHECK(s.Cash(kShortA) == 1'900'000'000);
  CHECK(s.Cash(kShortB) == 3'000'000'000);
  CHECK(s.eng.insurance_fund() == Quote(0));
  CHECK(s.eng.shortfall() == Quote(0));
  CHECK(s.Stats().open_interest_long == Lots(0));
  CHECK(s.Stats().open_interest_short == Lots(0));
}

// Before the Liquidate: the shorts' side has two positions, account 2
// ranked first (rank 0, bucket 4 - floor(0) = 4), account 3 second (rank 1,
// bucket 4 - floor(5 / 2) = 2); the target alone on its side (bucket 4).
TEST_CASE("ADL: the ADL light shows each position's rank on its side", "[engine][adl]") {
  Adl s;
  const auto a = s.eng.AdlRank(kShortA, 1);
  const auto b = s.eng.AdlRank(kShortB, 1);
  const auto t = s.eng.AdlRank(kTarget, 1);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(t.ok());
  CHECK(a->rank == 0);
  CHECK(a->count == 2);
  CHECK(a->bucket == 4);
  CHECK(b->rank == 1);
  CHECK(b->bucket == 2);
  CHECK(t->count == 1);
  CHECK(t->bucket == 4);
  CHECK(s.eng.AdlRank(kBidder, 1).status().code() == absl::StatusCode::kNotFound);
  CHECK(s.eng.AdlRank(kTarget, 9).status().code() == absl::StatusCode::kNotFound);
  CHECK(s.eng.AdlRank(AccountId(77), 1).status().code() == absl::StatusCode::kNotFound);
}

// The fund at one atom either side of the deficit 1e8, with a bid for the
// whole position at the mark:
//   fund 1e8: E + fund = 0, not below: the book sells 1,000 at 284,000 (its
//     limit tightened to the bankruptcy price of E + fund = 0, the mark),
//     the target's cash -1e8 is covered by the fund (now 0); no ADL.
//   fund 1e8 - 1: E + fund = -1 < 0: deleveraged first, as above; the bid
//     is not touched and the fund keeps its 1e8 - 1.
TEST_CASE("ADL: the fund one atom short of the deficit deleverages, exactly enough does not",
          "[engine][adl]") {
  {
    Adl s;
    s.Ok(FundInsurance{.amount = Quote(100'000'000)});
    REQUIRE(s.Order(kBidder, OrderId(9), Side::kBuy, Ticks(kCrash), Lots(1'000)).reason ==
            Reason::kOk);
    REQUIRE(s.Liquidate() == Reason::kOk);
    CHECK(Of<events::Deleveraged>(s.last).empty());
    const auto liq = Of<events::Liquidation>(s.last);
    REQUIRE(liq.size() == 1);
    CHECK(liq[0].closed == Lots(1'000));
    CHECK(liq[0].limit == Ticks(kCrash));
    CHECK(s.eng.insurance_fund() == Quote(0));
    CHECK(s.eng.shortfall() == Quote(0));
    CHECK(s.Cash(kTarget) == 0);
  }
  {
    Adl s;
    s.Ok(FundInsurance{.amount = Quote(99'999'999)});
    REQUIRE(s.Order(kBidder, OrderId(9), Side::kBuy, Ticks(kCrash), Lots(1'000)).reason ==
            Reason::kOk);
    REQUIRE(s.Liquidate() == Reason::kOk);
    CHECK(Of<events::Deleveraged>(s.last).size() == 2);
    CHECK(Of<events::Liquidation>(s.last).empty());
    CHECK(s.eng.insurance_fund() == Quote(99'999'999));
    CHECK(s.Cash(kTarget) == 0);
  }
}

// Loss policy kNone: the same crash with the bid, and no fund: the book
// closes the position at 284,000, the fund has nothing, and the shortfall
// takes the 1e8 (withdrawals gated); no deleveraging.
TEST_CASE("ADL: with the loss policy none the deficit stays in the shortfall", "[engine][adl]") {
  Adl s(Market(liquidation::LossPolicy::kNone));
  REQUIRE(s.Order(kBidder, OrderId(9), Side::kBuy, Ticks(kCrash), Lots(1'000)).reason ==
          Reason::kOk);
  REQUIRE(s.Liquidate() == Reason::kOk);
  CHECK(Of<events::Deleveraged>(s.last).empty());
  CHECK(s.eng.shortfall() == Quote(100'000'000));
  CHECK(s.Cash(kShortA) == 1'000'000'000 + 600LL * 300'000 * 100);
}

TEST_CASE("ADL: a loss policy outside the enum is refused", "[engine][adl]") {
  liquidation::LiquidationParams lp;
  lp.loss_policy = liquidation::LossPolicy::kNone;
  CHECK(liquidation::Validate(lp) == Reason::kOk);
  lp.loss_policy = static_cast<liquidation::LossPolicy>(2);
  CHECK(liquidation::Validate(lp) == Reason::kLiquidationInvalidLossPolicy);
}

}  // namespace
}  // namespace perpcore::engine

namespace perpcore::engine {
namespace {

// A 30% gap through a thin book: each line of defence in turn. Four longs
// of 1,000 lots bought at 300,000 (from makers 2 and 3, 1e11 each), the
// mark gaps to 210,000: each long loses 1,000 * 90,000 * 100 = 9e9 and
// its maintenance is 1% of 2.1e10 = 2.1e8. The backstop (account 9) has
// 1e9, the fund 3e8; the only bids: 300 lots at 209,900 and 1,000 at
// 209,000 (account 101). Liquidation fee 0, buffer 10%.
//   L1 (deposit 9.2e9): E = 2e8, 0.95 of maintenance: the book. The
//     restoring size: the fewest q with 2e8 >= 1.1 * 210,000 * (1,000 - q),
//     q >= 134.2: 135 lots; the limit max(fillable, bankruptcy) = max(
//     210,000 - (1 - 2e8 / 2.1e8) * 1.5 * 2.1e8 / 1e5, 208,000) = 209,850:
//     filled at 209,900.
//   L2 (9.1e9): E = 1e8 < 2/3 * 2.1e8: the backstop takes it with share
//     1e8 (its equity then 1.1e9 >= its initial 5% * 2.1e10 = 1.05e9).
//   L3 (8.9e9): E = -1e8. The backstop would need 2.1e9 of initial margin
//     for 2,000 lots with 1e9 + 1e8 - 1e8 of equity: passed over. The fund
//     (3e8) carries it: the book, the limit the bankruptcy price of E +
//     fund = 2e8, 210,000 - 2,000 = 208,000 (above the fillable price
//     210,000 - 1.5 * 2.1e8 / 1e5 = 206,850): 165 lots at 209,900 and 835
//     at 209,000, cash 8.9e9 - 3e10 + 165 * 2.099e7 + 835 * 2.09e7 =
//     -185,150,000, which the fund covers (114,850,000 left).
//   L4 (8.8e9): E = -2e8 with 114,850,000 in the fund: deleveraged, against
//     the profitable shorts, 1,000 lots with shares summing to -2e8; its
//     cash ends at 0. No shortfall anywhere.
TEST_CASE("ADL: a 30% gap through a thin book meets the book, the backstop, the fund and ADL",
          "[engine][adl]") {
  MarketParams p = Market();
  p.liquidation.backstop = 9;
  EngineHarness s;
  s.Ok(CreateMarket{.market = 1, .params = Shared(std::move(p))});
  s.Price(1, Ticks(kEntry));
  const auto open = [&](AccountId a, std::int64_t atoms) {
    s.Ok(CreateAccount{.account = a, .owner = OwnerId(a.value())});
    if (atoms > 0) s.Ok(Deposit{.account = a, .amount = Quote(atoms)});
  };
  open(2, 100'000'000'000);
  open(3, 100'000'000'000);
  open(9, 1'000'000'000);
  open(kBidder, 10'000'000 * testing::kUsd);
  open(kKeeper, 0);
  s.Ok(FundInsurance{.amount = Quote(300'000'000)});
  const std::int64_t deposits[] = {9'200'000'000, 9'100'000'000, 8'900'000'000, 8'800'000'000};
  std::uint64_t id = 100;
  for (std::uint64_t i = 0; i < 4; ++i) {
    const AccountId target(11 + i);
    open(target, deposits[i]);
    REQUIRE(s.Order(i < 2 ? AccountId(2) : AccountId(3), OrderId(++id), Side::kSell, Ticks(kEntry),
                    Lots(1'000))
                .reason == Reason::kOk);
    REQUIRE(s.Order(target, OrderId(++id), Side::kBuy, Ticks(kEntry), Lots(1'000),
                    TimeInForce::kIoc)
                .filled == Lots(1'000));
  }
  s.Price(1, Ticks(210'000));
  REQUIRE(s.Order(kBidder, OrderId(++id), Side::kBuy, Ticks(209'900), Lots(300)).reason ==
          Reason::kOk);
  REQUIRE(s.Order(kBidder, OrderId(++id), Side::kBuy, Ticks(209'000), Lots(1'000)).reason ==
          Reason::kOk);
  const auto liquidate = [&](AccountId a) {
    const Result r = s.Do(engine::Liquidate{.market = 1, .account = a, .keeper = kKeeper});
    REQUIRE(r.ok());
    return std::vector<Event>(r.events.begin(), r.events.end());
  };

  const auto l1 = liquidate(11);
  REQUIRE(Of<events::Liquidation>(l1).size() == 1);
  CHECK(Of<events::Liquidation>(l1)[0].closed == Lots(135));
  CHECK(Of<events::BackstopTakeover>(l1).empty());

  const auto l2 = liquidate(12);
  REQUIRE(Of<events::BackstopTakeover>(l2).size() == 1);
  CHECK(Of<events::BackstopTakeover>(l2)[0].equity == Quote(100'000'000));
  CHECK(Of<events::Liquidation>(l2).empty());

  const auto l3 = liquidate(13);
  CHECK(Of<events::BackstopTakeover>(l3).empty());
  REQUIRE(Of<events::Liquidation>(l3).size() == 1);
  CHECK(Of<events::Liquidation>(l3)[0].closed == Lots(1'000));
  CHECK(Of<events::Liquidation>(l3)[0].limit == Ticks(208'000));
  const auto cover = Of<events::InsuranceCover>(l3);
  REQUIRE(cover.size() == 1);
  CHECK(cover[0].amount == Quote(185'150'000));
  CHECK(s.eng.insurance_fund() == Quote(114'850'000));

  const auto l4 = liquidate(14);
  const auto adl = Of<events::Deleveraged>(l4);
  REQUIRE_FALSE(adl.empty());
  std::int64_t lots = 0, paid = 0;
  for (const events::Deleveraged& d : adl) {
    lots += d.size.raw();
    paid += d.equity.raw();
  }
  CHECK(lots == 1'000);
  CHECK(paid == -200'000'000);
  CHECK(s.Summary(14).cash.raw() == 0);
  CHECK(s.eng.insurance_fund() == Quote(114'850'000));
  CHECK(s.eng.shortfall() == Quote(0));
}

}  // namespace
}  // namespace perpcore::engine
