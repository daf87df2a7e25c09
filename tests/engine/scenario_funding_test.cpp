// Funding through the engine (issue 12): the premium model sampled from a
// known book and paid at an interval's end, pending funding counted in every
// valuation before it settles, settlement from the right bucket with the
// rounding against the account and the residual atom in its sink, parameter
// changes, halted, delisted and index-less markets, a long gap without ticks,
// the continuous skew model with a counterparty, and every funding Reason
// refused by CreateMarket and UpdateMarket with nothing changed.
//
// Every figure asserted is worked out by hand in the comment above it
// (funding/funding.hpp for the arithmetic). Money is in 1e-6 USD atoms; the
// BTC market has a 0.1 USD tick and a 0.001 BTC lot, so one tick of one lot
// is 100 atoms, 30,000 USD is 300,000 ticks and 1 BTC is 1,000 lots. Fees are
// zero so that cash moves only by trades and funding. The market is created
// at time 0, so its first funding interval is [0, 8 h).
#include <catch2/catch.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/numeric/int128.h"
#include "perpcore/engine/engine.hpp"
#include "support/catch_ids.hpp"

namespace perpcore::engine {
namespace {

using absl::int128;
using funding::FundingModel;
using funding::FundingPayment;

constexpr std::int64_t kUsd = 1'000'000;
constexpr std::int64_t kSec = 1'000'000'000;
constexpr std::int64_t kHour = 3'600 * kSec;
constexpr std::int64_t kPrice = 300'000;  // 30,000 USD
constexpr std::int64_t kBp = kRateScale / 10'000;

// Premium model, interval-end payment, 8 h interval and period, a sample
// each hour; interest 0.01% and band 0.05% per 8 h, cap and floor +-0.75%
// (the defaults but the cadence).
MarketParams Btc() {
  MarketParams p;
  p.symbol = "BTC-USD";
  p.tick_size = {1, -1};
  p.lot_size = {1, -3};
  p.max_order_size = Lots(100'000);
  p.max_open_interest = Lots(1'000'000);
  p.max_price = Ticks(10'000'000);
  p.maker_fee = Rate(0);
  p.taker_fee = Rate(0);
  p.funding.model = FundingModel::kPremium;
  p.funding.payment = FundingPayment::kIntervalEnd;
  p.funding.interval = TimeNs(8 * kHour);
  p.funding.period = TimeNs(8 * kHour);
  p.funding.sample_cadence = TimeNs(kHour);
  return p;
}

std::shared_ptr<const MarketParams> Shared(MarketParams p) {
  return std::make_shared<const MarketParams>(std::move(p));
}

std::string ToString(const events::FundingRateSet& e) {
  std::ostringstream os;
  os << "FundingRateSet{market " << e.market.value() << ", [" << e.start.raw() << ", "
     << e.end.raw() << "), intervals " << e.intervals << ", premium " << e.premium.raw()
     << ", rate " << e.rate.raw() << ", price " << e.price.raw() << "}";
  return os.str();
}

// The events of one command, copied (a Result's span dies at the next Apply).
struct Events {
  std::vector<Event> all;
  template <class E>
  std::vector<E> Of() const {
    std::vector<E> out;
    for (const Event& e : all) {
      if (const E* x = std::get_if<E>(&e)) out.push_back(*x);
    }
    return out;
  }
  template <class E>
  std::size_t Count() const {
    std::size_t n = 0;
    for (const Event& e : all) {
      if (std::holds_alternative<E>(e)) ++n;
    }
    return n;
  }
  // The i-th event of kind E (required to exist).
  template <class E>
  E Nth(std::size_t i) const {
    REQUIRE(Count<E>() > i);
    for (const Event& e : all) {
      if (const E* x = std::get_if<E>(&e); x != nullptr && i-- == 0) return *x;
    }
    return E{};
  }
  std::vector<EventKind> Kinds() const {
    std::vector<EventKind> out;
    for (const Event& e : all) out.push_back(KindOf(e));
    return out;
  }
};

class Scenario {
 public:
  explicit Scenario(MarketParams p = Btc()) : eng(EngineConfig{}) {
    Ok(CreateMarket{.market = 1, .params = Shared(std::move(p))});
  }

  // Applies `p` at `now`; the invariants (conservation with the funding
  // pools and the residual) are checked after every command.
  Reason Do(Payload p) {
    absl::StatusOr<Result> r = eng.Apply(Command{eng.last_seq() + 1, TimeNs(now), std::move(p)});
    REQUIRE(r.ok());
    const absl::Status inv = eng.CheckInvariants();
    INFO(inv.message());
    REQUIRE(inv.ok());
    last.all.assign(r->events.begin(), r->events.end());
    return r->reason;
  }
  void Ok(Payload p) {
    const Reason r = Do(std::move(p));
    INFO(ReasonName(r));
    REQUIRE(r == Reason::kOk);
  }
  void At(std::int64_t t) {
    REQUIRE(t >= now);
    now = t;
  }
  void Account(AccountId id, std::int64_t atoms) {
    Ok(CreateAccount{.account = id, .owner = OwnerId(id.value())});
    if (atoms > 0) Ok(Deposit{.account = id, .amount = Quote(atoms)});
  }
  void Price(std::int64_t ticks = kPrice) {
    Ok(OraclePrice{.market = 1, .source = 1, .price = Ticks(ticks), .publish_time = TimeNs(now)});
  }
  // A fresh price, then a time tick: the market samples and pays at `now`.
  Events Tick(bool publish = true) {
    if (publish) Price();
    Ok(TimeTick{.market = 1});
    return last;
  }
  // Fresh prices and ticks each hour from the next one up to `to`.
  void TickHourly(std::int64_t to, bool publish = true) {
    for (std::int64_t t = (now / kHour + 1) * kHour; t <= to; t += kHour) {
      At(t);
      Tick(publish);
    }
  }
  Reason Order(AccountId a, Side side, std::int64_t ticks, std::int64_t lots,
               TimeInForce tif = TimeInForce::kGtc) {
    return Do(PlaceOrder{.market = 1, .account = a, .order_id = OrderId(++orders), .side = side,
                         .tif = tif, .price = Ticks(ticks), .size = Lots(lots)});
  }
  // `seller` rests an ask of `lots` at `ticks`, `buyer` takes it (IOC).
  void Trade(AccountId seller, AccountId buyer, std::int64_t lots, std::int64_t ticks = kPrice) {
    REQUIRE(Order(seller, Side::kSell, ticks, lots) == Reason::kOk);
    REQUIRE(Order(buyer, Side::kBuy, ticks, lots, TimeInForce::kIoc) == Reason::kOk);
    REQUIRE(last.Count<events::Fill>() == 1);
  }
  AccountSummary Summary(AccountId a) const {
    auto s = eng.Summary(a);
    REQUIRE(s.ok());
    return *s;
  }
  PositionView Position(AccountId a) const {
    const AccountSummary s = Summary(a);
    REQUIRE(s.positions.size() == 1);
    return s.positions.front();
  }
  FundingView Funding() const {
    auto f = eng.Funding(1);
    REQUIRE(f.ok());
    return *f;
  }
  int128 Index() const { return eng.Stats(1)->funding_index; }

  Engine eng;
  std::int64_t now = 0;
  std::uint64_t orders = 0;
  Events last;
};

void CheckRateSet(const events::FundingRateSet& got, const events::FundingRateSet& want) {
  INFO("got  " << ToString(got));
  INFO("want " << ToString(want));
  CHECK(got == want);
}

// A long (account 1) and a short (account 2) of 1 BTC each at 30,000 USD,
// 10,000 USD each; no other orders (the book is empty: every premium sample
// is 0, both sides being too thin, so each interval's premium is 0 and its
// rate the interest, 0.01%).
Scenario LongAndShort(MarketParams p = Btc(), std::int64_t long_deposit = 10'000 * kUsd) {
  Scenario s(std::move(p));
  s.Account(1, long_deposit);
  s.Account(2, 10'000 * kUsd);
  s.Price();
  s.Trade(2, 1, 1'000);
  return s;
}

// One interval at the interest rate 0.01% = 1e14 at 300,000 ticks moves the
// index by 1e14 * (8 h / 8 h) * 300,000 * 100 atoms = 3e21 index units, 3,000
// atoms a lot (0.01% of 30 USD, a lot being 0.001 BTC); 1 BTC owes 3 USD.
const int128 kInterestIndexDelta = int128(3'000) * kRateScale;
constexpr std::int64_t kInterestOwed = 3'000'000;

// ---------------------------------------------------------------------------
// The premium model over one 8 h interval
// ---------------------------------------------------------------------------

// The book of account 3: 1 BTC bid at 30,020 USD and 1 BTC offered at 30,040
// (each side fills the 10,000 USD impact notional at one level, so the
// impact bid is 300,200 and the impact ask 300,400 ticks). With the index at
// 300,000 every sample is
//   P = (max(0, 300,200 - 300,000) - max(0, 300,000 - 300,400)) / 300,000
//     = 200 / 300,000 = 0.000666...  ->  666,666,666,666,666 (toward zero),
// so is the interval's average of its 8 samples (hours 0..7). The rate:
//   interest - P = 1e14 - 666,666,666,666,666 = -566,666,666,666,666, clamped
//   to the band -5e14: F = P - 5e14 = 166,666,666,666,666 (0.01666%),
// within the cap 0.75%. Paid at the index, 300,000, for the whole period:
//   index delta = 166,666,666,666,666 * 300,000 * 100 = 4,999,999,999,999,980,000,000.
constexpr std::int64_t kPremium = 666'666'666'666'666;
constexpr std::int64_t kPremiumRate = 166'666'666'666'666;
const int128 kPremiumIndexDelta = int128(kPremiumRate) * kPrice * 100;

Scenario PremiumInterval() {
  Scenario s = LongAndShort();
  s.Account(3, 100'000 * kUsd);
  REQUIRE(s.Order(3, Side::kBuy, 300'200, 1'000) == Reason::kOk);
  REQUIRE(s.Order(3, Side::kSell, 300'400, 1'000) == Reason::kOk);
  s.Tick();             // the sample of hour 0
  s.TickHourly(7 * kHour);  // hours 1..7
  return s;
}

TEST_CASE("Funding: the premium interval's samples from the impact prices predict its rate",
          "[engine][funding]") {
  Scenario s = PremiumInterval();
  const FundingView f = s.Funding();
  CHECK(f.samples == 8);
  CHECK(f.last_sample == Rate(kPremium));
  CHECK(f.running_premium == Rate(kPremium));
  CHECK(f.predicted_rate == Rate(kPremiumRate));
  CHECK(f.interval_start == TimeNs(0));
  CHECK(f.interval_end == TimeNs(8 * kHour));
  // Nothing paid before the interval's end.
  CHECK(f.index == 0);
  CHECK(s.Position(1).pending_funding == Quote(0));
}

TEST_CASE("Funding: the interval closes at its end with the averaged premium's rate",
          "[engine][funding]") {
  Scenario s = PremiumInterval();
  s.At(8 * kHour);
  const Events e = s.Tick();
  const Events sets = e;
  REQUIRE(sets.Count<events::FundingRateSet>() == 1);
  CheckRateSet(sets.Nth<events::FundingRateSet>(0), {.market = 1,
                         .start = TimeNs(0),
                         .end = TimeNs(8 * kHour),
                         .intervals = 1,
                         .premium = Rate(kPremium),
                         .rate = Rate(kPremiumRate),
                         .price = Ticks(kPrice)});
  CHECK(s.Index() == kPremiumIndexDelta);
  CHECK(s.Funding().history.size() == 1);
  // The tick at 8 h is the first sample of the next interval.
  CHECK(s.Funding().samples == 1);
}

// The long owes ceil(4,999,999,999,999,980,000,000 * 1,000 / 1e18) =
// ceil(4,999,999.99999998) = 5,000,000 atoms; the short -1,000 lots owes
// ceil(-4,999,999.99999998) = -4,999,999: it receives 4,999,999. Both are
// pending, and counted, until a command touches them.
TEST_CASE("Funding: after the close the long owes the ceiling and the short is owed the floor",
          "[engine][funding]") {
  Scenario s = PremiumInterval();
  s.At(8 * kHour);
  s.Tick();
  CHECK(s.Position(1).pending_funding == Quote(5'000'000));
  CHECK(s.Summary(1).pending_funding == Quote(5'000'000));
  CHECK(s.Position(2).pending_funding == Quote(-4'999'999));
  CHECK(s.Summary(2).pending_funding == Quote(-4'999'999));
}

// Touched by a withdrawal each: the long pays 5,000,000 into the pool, which
// keeps its excess 5,000,000e18 - 4,999,999.99999998e18 = 2e10 index units as
// carry; the short takes 4,999,999 out, its excess 0.99999998e18 making the
// carry a whole atom, which leaves the pool for the residual sink: the pool
// ends at 5,000,000 - 4,999,999 - 1 = 0.
TEST_CASE("Funding: settling both sides moves the rounding atom to the residual sink",
          "[engine][funding]") {
  Scenario s = PremiumInterval();
  s.At(8 * kHour);
  s.Tick();
  s.Ok(Withdraw{.account = 1, .amount = Quote(kUsd)});
  REQUIRE(s.last.Kinds() == std::vector{EventKind::kFundingSettled, EventKind::kWithdrawal});
  CHECK(s.last.Nth<events::FundingSettled>(0) ==
        events::FundingSettled{.market = 1, .account = 1, .amount = Quote(5'000'000)});
  CHECK(s.Funding().pool == 5'000'000);
  CHECK(s.Funding().residual_carry == 20'000'000'000);
  CHECK(s.eng.funding_residual() == 0);

  s.Ok(Withdraw{.account = 2, .amount = Quote(kUsd)});
  REQUIRE(s.last.Kinds() == std::vector{EventKind::kFundingSettled, EventKind::kFundingResidual,
                                        EventKind::kWithdrawal});
  CHECK(s.last.Nth<events::FundingSettled>(0) ==
        events::FundingSettled{.market = 1, .account = 2, .amount = Quote(-4'999'999)});
  CHECK(s.last.Nth<events::FundingResidual>(0) ==
        events::FundingResidual{.market = 1, .amount = Quote(1)});
  CHECK(s.Funding().pool == 0);
  CHECK(s.Funding().residual_carry == 0);
  CHECK(s.eng.funding_residual() == 1);
}

// ---------------------------------------------------------------------------
// Pending funding in every valuation
// ---------------------------------------------------------------------------

// An empty book: the mark is the index, 300,000 (its book price is the last
// trade, its basis 0). After one interval the long owes 3,000,000 (exact).
// Equity = cash + value - pending = (10,000 USD - 30,000 USD) + 30,000 USD -
// 3 USD = 9,997 USD. Free collateral: the withdrawal rule's slack, equity
// (no profit to discount) less max(initial 30,000 / 20 = 1,500 USD, 10% of
// the notional = 3,000 USD) = 6,997 USD.
TEST_CASE("Funding: pending funding is counted in equity and free collateral",
          "[engine][funding]") {
  Scenario s = LongAndShort();
  s.TickHourly(8 * kHour);
  REQUIRE(s.eng.Stats(1)->mark == Ticks(kPrice));
  REQUIRE(s.Index() == kInterestIndexDelta);
  const AccountSummary a = s.Summary(1);
  CHECK(a.pending_funding == Quote(kInterestOwed));
  CHECK(a.cash == Quote(-20'000 * kUsd));
  CHECK(a.equity == Quote(9'997 * kUsd));
  CHECK(a.free_collateral == Quote(6'997 * kUsd));
  // The short is owed the same 3 USD: its equity 10,003 USD.
  CHECK(s.Summary(2).equity == Quote(10'003 * kUsd));
}

TEST_CASE("Funding: a withdrawal of exactly the free collateral net of pending funding is "
          "accepted and one atom more is refused",
          "[engine][funding]") {
  Scenario s = LongAndShort();
  s.TickHourly(8 * kHour);
  CHECK(s.Do(Withdraw{.account = 1, .amount = Quote(6'997 * kUsd + 1)}) ==
        Reason::kInsufficientCollateral);
  CHECK(s.Do(Withdraw{.account = 1, .amount = Quote(6'997 * kUsd)}) == Reason::kOk);
}

// A new bid of 1 BTC at the mark (no open loss) makes the bid side's worst
// case Initial(2 BTC * 30,000 USD) = 60,000 / 20 = 3,000 USD. The long
// deposits D; after the interval its equity is D - 3 USD (the pending
// funding). Accepted iff D - 3,000,000 >= 3,000,000,000: D = 3,003,000,000
// exactly is accepted, one atom less refused (without the pending funding
// it would pass).
Scenario AtTheMargin(std::int64_t deposit) {
  Scenario s = LongAndShort(Btc(), deposit);
  s.TickHourly(8 * kHour);
  REQUIRE(s.Position(1).pending_funding == Quote(kInterestOwed));
  return s;
}

PlaceOrder SecondBitcoin() {
  return PlaceOrder{.market = 1, .account = 1, .order_id = 99, .side = Side::kBuy,
                    .price = Ticks(kPrice), .size = Lots(1'000)};
}

TEST_CASE("Funding: an order needing exactly the equity left after pending funding is accepted",
          "[engine][funding]") {
  Scenario s = AtTheMargin(3'003'000'000);
  CHECK(s.Summary(1).equity == Quote(3'000'000'000));
  CHECK(s.eng.PreviewOrder(SecondBitcoin())->reason == Reason::kOk);
  CHECK(s.Do(SecondBitcoin()) == Reason::kOk);
}

TEST_CASE("Funding: an order one atom short of the margin once pending funding counts is "
          "refused",
          "[engine][funding]") {
  Scenario s = AtTheMargin(3'002'999'999);
  CHECK(s.eng.PreviewOrder(SecondBitcoin())->reason == Reason::kInsufficientMargin);
  CHECK(s.Do(SecondBitcoin()) == Reason::kInsufficientMargin);
}

// ---------------------------------------------------------------------------
// Settlement
// ---------------------------------------------------------------------------

// The long's own 10,000 USD less the trade's 30,000 USD paid from its cash:
// -20,000 USD; after the withdrawal of 1 USD and the 3 USD of funding it
// owed, -20,004 USD, and nothing pending.
TEST_CASE("Funding: a withdrawal settles the account's pending funding before the money leaves",
          "[engine][funding]") {
  Scenario s = LongAndShort();
  s.TickHourly(8 * kHour);
  s.Ok(Withdraw{.account = 1, .amount = Quote(kUsd)});
  REQUIRE(s.last.Kinds() == std::vector{EventKind::kFundingSettled, EventKind::kWithdrawal});
  CHECK(s.last.Nth<events::FundingSettled>(0).amount == Quote(kInterestOwed));
  CHECK(s.Summary(1).cash == Quote(-20'004 * kUsd));
  CHECK(s.Position(1).pending_funding == Quote(0));
  CHECK(s.Summary(1).pending_funding == Quote(0));
}

// Account 1 isolated: the fill pays 30,000 USD from its bucket and tops it up
// to the initial 1,500 USD from cross cash (bucket cash -28,500 USD, cross
// cash 8,500 USD). After the interval the bucket's equity is 1,500 - 3 =
// 1,497 USD; the cross summary has nothing pending (the position is not
// cross). Adding 1 USD settles the 3 USD from the bucket: cross cash drops by
// the 1 USD only, the bucket's equity rises by it.
TEST_CASE("Funding: an isolated position settles its funding from its own bucket",
          "[engine][funding]") {
  Scenario s;
  s.Account(1, 10'000 * kUsd);
  s.Account(2, 10'000 * kUsd);
  s.Ok(SetMarginMode{.market = 1, .account = 1, .mode = MarginMode::kIsolated});
  s.Price();
  s.Trade(2, 1, 1'000);
  s.TickHourly(8 * kHour);
  REQUIRE(s.Position(1).mode == MarginMode::kIsolated);
  CHECK(s.Position(1).pending_funding == Quote(kInterestOwed));
  CHECK(s.Position(1).isolated_equity == Quote(1'497 * kUsd));
  CHECK(s.Summary(1).pending_funding == Quote(0));
  CHECK(s.Summary(1).cash == Quote(8'500 * kUsd));

  s.Ok(AdjustIsolatedMargin{.market = 1, .account = 1, .delta = Quote(kUsd)});
  REQUIRE(s.last.Kinds() ==
          std::vector{EventKind::kFundingSettled, EventKind::kIsolatedMarginChanged});
  CHECK(s.last.Nth<events::FundingSettled>(0) ==
        events::FundingSettled{.market = 1, .account = 1, .amount = Quote(kInterestOwed)});
  CHECK(s.Summary(1).cash == Quote(8'499 * kUsd));
  CHECK(s.Position(1).isolated_equity == Quote(1'498 * kUsd));
  CHECK(s.Position(1).pending_funding == Quote(0));
}

// A fill settles both parties at the size their funding accrued on, before
// the trade: the long (taker, selling half) pays its 3 USD, the short (maker)
// receives its 3 USD, each FundingSettled before the Fill.
TEST_CASE("Funding: a fill settles both parties' funding before the trade", "[engine][funding]") {
  Scenario s = LongAndShort();
  s.TickHourly(8 * kHour);
  REQUIRE(s.Order(2, Side::kBuy, kPrice, 500) == Reason::kOk);
  REQUIRE(s.Order(1, Side::kSell, kPrice, 500, TimeInForce::kIoc) == Reason::kOk);
  REQUIRE(s.last.Kinds() ==
          std::vector{EventKind::kFundingSettled, EventKind::kFundingSettled, EventKind::kFill});
  CHECK(s.last.Nth<events::FundingSettled>(0) == events::FundingSettled{.market = 1, .account = 1,
                                             .amount = Quote(kInterestOwed)});
  CHECK(s.last.Nth<events::FundingSettled>(1) == events::FundingSettled{.market = 1, .account = 2,
                                             .amount = Quote(-kInterestOwed)});
  CHECK(s.Funding().pool == 0);
  // The halves left owe from the new index on: nothing yet.
  CHECK(s.Position(1).pending_funding == Quote(0));
  CHECK(s.Position(1).size == Lots(500));
}

// ---------------------------------------------------------------------------
// Parameter changes and market status
// ---------------------------------------------------------------------------

// At 2 h the cap drops to 0.005% (5e13). The running interval [0, 2 h) closes
// with the old parameters: rate 1e14 (the interest, under the old cap),
// index delta 1e14 * 2/8 * 300,000 * 100 = 7.5e20. The next interval runs
// [2 h, 8 h) under the new cap: rate 5e13, delta 5e13 * 6/8 * 3e7 = 1.125e21.
// Index 1.875e21: 1,875 atoms a lot, 1,875,000 for the long.
TEST_CASE("Funding: a parameter change closes the running interval early with the old "
          "parameters",
          "[engine][funding]") {
  Scenario s = LongAndShort();
  s.TickHourly(2 * kHour);
  MarketParams lower = Btc();
  lower.funding.cap = Rate(kBp / 2);
  s.Ok(UpdateMarket{.market = 1, .params = Shared(lower)});
  REQUIRE(s.last.Kinds() == std::vector{EventKind::kFundingRateSet, EventKind::kMarketUpdated});
  CheckRateSet(s.last.Nth<events::FundingRateSet>(0),
               {.market = 1, .start = TimeNs(0), .end = TimeNs(2 * kHour), .intervals = 1,
                .premium = Rate(0), .rate = Rate(kBp), .price = Ticks(kPrice)});
  CHECK(s.Index() == int128(750) * kRateScale);
  CHECK(s.Funding().interval_start == TimeNs(2 * kHour));
  CHECK(s.Funding().interval_end == TimeNs(8 * kHour));

  s.TickHourly(8 * kHour);
  const Events sets = s.last;
  REQUIRE(sets.Count<events::FundingRateSet>() == 1);
  CheckRateSet(sets.Nth<events::FundingRateSet>(0), {.market = 1, .start = TimeNs(2 * kHour), .end = TimeNs(8 * kHour),
                         .intervals = 1, .premium = Rate(0), .rate = Rate(kBp / 2),
                         .price = Ticks(kPrice)});
  CHECK(s.Index() == int128(1'875) * kRateScale);
  CHECK(s.Position(1).pending_funding == Quote(1'875'000));
}

TEST_CASE("Funding: an update with the same funding parameters leaves the interval running",
          "[engine][funding]") {
  Scenario s = LongAndShort();
  s.TickHourly(2 * kHour);
  MarketParams wider = Btc();
  wider.price_band = Rate(kRateScale / 10);
  s.Ok(UpdateMarket{.market = 1, .params = Shared(wider)});
  CHECK(s.last.Kinds() == std::vector{EventKind::kMarketUpdated});
  CHECK(s.Funding().interval_start == TimeNs(0));
  CHECK(s.Index() == 0);
}

// The premium book of account 3 rests, but the market is halted from time 0:
// no sample is taken (the book does not trade), so the interval's premium is
// 0 and its rate the interest, 1e14, still paid at 300,000: delta 3e21.
TEST_CASE("Funding: a halted market takes no samples but still pays its interval",
          "[engine][funding]") {
  Scenario s = LongAndShort();
  s.Account(3, 100'000 * kUsd);
  REQUIRE(s.Order(3, Side::kBuy, 300'200, 1'000) == Reason::kOk);
  REQUIRE(s.Order(3, Side::kSell, 300'400, 1'000) == Reason::kOk);
  s.Ok(SetMarketStatus{.market = 1, .status = MarketStatus::kHalted});
  s.Tick();
  s.TickHourly(7 * kHour);
  CHECK(s.Funding().samples == 0);
  s.TickHourly(8 * kHour);
  const Events sets = s.last;
  REQUIRE(sets.Count<events::FundingRateSet>() == 1);
  CheckRateSet(sets.Nth<events::FundingRateSet>(0), {.market = 1, .start = TimeNs(0), .end = TimeNs(8 * kHour),
                         .intervals = 1, .premium = Rate(0), .rate = Rate(kBp),
                         .price = Ticks(kPrice)});
  CHECK(s.Index() == kInterestIndexDelta);
}

// Delisting at 16 h (no tick since 8 h) first brings funding to 16 h: the
// interval [8 h, 16 h) closes in the status change, index 6e21. Then the
// index is frozen: ticks at 24 h and 48 h, with a fresh price, close nothing
// and the long's pending funding stays 6 USD.
TEST_CASE("Funding: a delisted market's index freezes where delisting left it",
          "[engine][funding]") {
  Scenario s = LongAndShort();
  s.TickHourly(8 * kHour);
  s.At(16 * kHour);
  s.Price();
  s.Ok(SetMarketStatus{.market = 1, .status = MarketStatus::kDelisted});
  REQUIRE(s.last.Kinds() ==
          std::vector{EventKind::kFundingRateSet, EventKind::kMarketStatusChanged});
  CHECK(s.Index() == 2 * kInterestIndexDelta);
  for (std::int64_t t : {24 * kHour, 48 * kHour}) {
    s.At(t);
    CHECK(s.Tick().Count<events::FundingRateSet>() == 0);
  }
  CHECK(s.Index() == 2 * kInterestIndexDelta);
  CHECK(s.Position(1).pending_funding == Quote(2 * kInterestOwed));
}

// The only price is published at 0; after 60 s the index is stale. The
// interval still closes at 8 h with its rate (the interest), but unpaid:
// price 0, the index does not move, nothing is pending.
TEST_CASE("Funding: an interval closing without a usable index is recorded unpaid",
          "[engine][funding]") {
  Scenario s = LongAndShort();
  s.TickHourly(8 * kHour, /*publish=*/false);
  REQUIRE(s.eng.Stats(1)->index == Ticks(0));
  const Events sets = s.last;
  REQUIRE(sets.Count<events::FundingRateSet>() == 1);
  CheckRateSet(sets.Nth<events::FundingRateSet>(0), {.market = 1, .start = TimeNs(0), .end = TimeNs(8 * kHour),
                         .intervals = 1, .premium = Rate(0), .rate = Rate(kBp),
                         .price = Ticks(0)});
  CHECK(s.Index() == 0);
  CHECK(s.Position(1).pending_funding == Quote(0));
}

// Nothing from time 0 until 1,000 intervals later (8,000 h). One tick closes
// the interval in progress, [0, 8 h), and the run of 999 empty ones after it,
// [8 h, 8,000 h), as one FundingRateSet: index 1,000 * 3e21 = 3e24, the long
// owes 3,000 USD.
TEST_CASE("Funding: a gap of a thousand intervals closes in one command with one run",
          "[engine][funding]") {
  Scenario s = LongAndShort();
  s.At(1'000 * 8 * kHour);
  const Events sets = s.Tick();
  REQUIRE(sets.Count<events::FundingRateSet>() == 2);
  CheckRateSet(sets.Nth<events::FundingRateSet>(0), {.market = 1, .start = TimeNs(0), .end = TimeNs(8 * kHour),
                         .intervals = 1, .premium = Rate(0), .rate = Rate(kBp),
                         .price = Ticks(kPrice)});
  CheckRateSet(sets.Nth<events::FundingRateSet>(1), {.market = 1, .start = TimeNs(8 * kHour),
                         .end = TimeNs(1'000 * 8 * kHour), .intervals = 999,
                         .premium = Rate(0), .rate = Rate(kBp), .price = Ticks(kPrice)});
  CHECK(s.Index() == 1'000 * kInterestIndexDelta);
  CHECK(s.Position(1).pending_funding == Quote(1'000 * kInterestOwed));
}

// ---------------------------------------------------------------------------
// The continuous skew model with a counterparty
// ---------------------------------------------------------------------------

// PerpX's linear model: F = clamp(0.01 * skew, +-0.01) per 8 h, accrued per
// second; account 9 is the counterparty (its position is not in the skew).
// At 0 the long (account 1) buys 1 BTC from the vault: L = 1,000, S = 0,
// skew 1, F = 1e16. At 1 h the short (account 2) sells 3 BTC to the vault.
// The fill first advances funding over [0, 1 h) at the old skew:
//   1e16 * (1 h / 8 h) * 300,000 * 100 = 3.75e22 (37.5 USD a BTC),
// and settles the vault's short of 1 BTC: it receives 37.5 USD. Then
// L = 1,000, S = 3,000: skew -0.5, F = -5e15, and [1 h, 2 h) moves the index
// by -5e15 / 8 * 3e7 = -1.875e22: index 1.875e22 at 2 h.
MarketParams Skew() {
  MarketParams p = Btc();
  p.funding.model = FundingModel::kSkewLinear;
  p.funding.payment = FundingPayment::kContinuous;
  p.funding.counterparty = 9;
  p.funding.skew_kappa = Rate(kRateScale / 100);
  p.funding.skew_max = Rate(kRateScale / 100);
  return p;
}

// The vault's bid of 3 BTC rests from time 0; at 1 h a fresh price (which
// advances nothing) and then the short's sell, the first command at 1 h: its
// fill must advance funding at the old skew before it changes the open
// interest (at the new skew the index would read -1.875e22).
Scenario SkewAcrossAFill() {
  Scenario s(Skew());
  s.Account(1, 10'000 * kUsd);
  s.Account(2, 10'000 * kUsd);
  s.Account(9, 1'000'000 * kUsd);
  s.Price();
  s.Trade(9, 1, 1'000);
  REQUIRE(s.Order(9, Side::kBuy, kPrice, 3'000) == Reason::kOk);
  s.At(kHour);
  s.Price();
  REQUIRE(s.Index() == 0);
  REQUIRE(s.Order(2, Side::kSell, kPrice, 3'000, TimeInForce::kIoc) == Reason::kOk);
  return s;
}

TEST_CASE("Funding: continuous skew funding rates the skew without the counterparty",
          "[engine][funding]") {
  Scenario s(Skew());
  s.Account(1, 10'000 * kUsd);
  s.Account(9, 1'000'000 * kUsd);
  s.Price();
  s.Trade(9, 1, 1'000);
  CHECK(s.Funding().skew == Rate(kRateScale));
  CHECK(s.Funding().predicted_rate == Rate(kRateScale / 100));
}

TEST_CASE("Funding: continuous skew funding accrues the time before a fill at the old skew",
          "[engine][funding]") {
  Scenario s = SkewAcrossAFill();
  CHECK(s.Index() == int128(37'500) * kRateScale);
  // The vault's short of 1 BTC settled by the fill, before it: 37.5 USD
  // received; the short's position is new, so nothing of its own.
  REQUIRE(s.last.Kinds() == std::vector{EventKind::kFundingSettled, EventKind::kFill});
  CHECK(s.last.Nth<events::FundingSettled>(0) ==
        events::FundingSettled{.market = 1, .account = 9, .amount = Quote(-37'500'000)});
  CHECK(s.Position(9).pending_funding == Quote(0));
  CHECK(s.Position(1).pending_funding == Quote(37'500'000));
  CHECK(s.Position(2).pending_funding == Quote(0));
  // L = 1,000, S = 3,000 now: skew -0.5, F = -0.5%.
  CHECK(s.Funding().skew == Rate(-kRateScale / 2));
  CHECK(s.Funding().predicted_rate == Rate(-kRateScale / 200));
}

// At 2 h: the long owes (1.875e22 - 0) * 1,000 / 1e18 = 18.75 USD; the short
// of 3 BTC since 3.75e22 owes (1.875e22 - 3.75e22) * -3,000 / 1e18 = 56.25
// USD; the vault, long 2 BTC since 3.75e22, is owed 37.5 USD.
TEST_CASE("Funding: continuous skew funding accrues per second at the skew the fill left",
          "[engine][funding]") {
  Scenario s = SkewAcrossAFill();
  s.At(2 * kHour);
  s.Tick();
  CHECK(s.Index() == int128(18'750) * kRateScale);
  CHECK(s.Position(1).pending_funding == Quote(18'750'000));
  CHECK(s.Position(2).pending_funding == Quote(56'250'000));
  CHECK(s.Position(9).pending_funding == Quote(-37'500'000));
}

// ---------------------------------------------------------------------------
// Bad parameters: refused by CreateMarket and UpdateMarket with their reason
// ---------------------------------------------------------------------------

// The state but its seq and clock (the first 16 bytes of the encoding).
std::string StateOf(const Engine& eng) {
  std::string s;
  eng.EncodeCanonical(&s);
  return s.substr(16);
}

// Market 1 is created with `base`; CreateMarket of market 2 and UpdateMarket
// of market 1 with `bad` are each refused with `want`, consuming their seq
// and changing nothing else.
void CheckRefused(const MarketParams& base, const MarketParams& bad, Reason want) {
  Scenario s(base);
  s.Account(1, 10'000 * kUsd);
  s.Price();
  const std::string before = StateOf(s.eng);
  const std::uint64_t seq = s.eng.last_seq();
  CHECK(s.Do(CreateMarket{.market = 2, .params = Shared(bad)}) == want);
  CHECK(s.last.all.empty());
  CHECK(s.eng.last_seq() == seq + 1);
  CHECK(StateOf(s.eng) == before);
  CHECK(s.Do(UpdateMarket{.market = 1, .params = Shared(bad)}) == want);
  CHECK(s.last.all.empty());
  CHECK(s.eng.last_seq() == seq + 2);
  CHECK(StateOf(s.eng) == before);
}

void CheckRefused(const std::function<void(funding::FundingParams&)>& mutate, Reason want) {
  MarketParams bad = Btc();
  mutate(bad.funding);
  CheckRefused(Btc(), bad, want);
}

// Market 2 with `good` is created, and market 1 updated to it.
void CheckAccepted(const MarketParams& base, const MarketParams& good) {
  Scenario s(base);
  CHECK(s.Do(CreateMarket{.market = 2, .params = Shared(good)}) == Reason::kOk);
  CHECK(s.Do(UpdateMarket{.market = 1, .params = Shared(good)}) == Reason::kOk);
  CHECK(s.eng.Params(1)->funding == good.funding);
}

void CheckAccepted(const std::function<void(funding::FundingParams&)>& mutate) {
  MarketParams good = Btc();
  mutate(good.funding);
  CheckAccepted(Btc(), good);
}

TEST_CASE("Funding parameters: a model outside the enum is refused", "[engine][funding]") {
  CheckRefused([](funding::FundingParams& f) { f.model = static_cast<FundingModel>(5); },
               Reason::kFundingInvalidModel);
}

TEST_CASE("Funding parameters: a payment outside the enum is refused", "[engine][funding]") {
  CheckRefused([](funding::FundingParams& f) { f.payment = static_cast<FundingPayment>(2); },
               Reason::kFundingInvalidPayment);
}

TEST_CASE("Funding parameters: a payment price outside the enum is refused",
          "[engine][funding]") {
  CheckRefused([](funding::FundingParams& f) { f.price = static_cast<funding::FundingPrice>(2); },
               Reason::kFundingInvalidPayment);
}

TEST_CASE("Funding parameters: an interval of 0 is refused", "[engine][funding]") {
  CheckRefused([](funding::FundingParams& f) { f.interval = TimeNs(0); },
               Reason::kFundingInvalidInterval);
}

TEST_CASE("Funding parameters: an interval one nanosecond below a second is refused",
          "[engine][funding]") {
  CheckRefused(
      [](funding::FundingParams& f) {
        f.interval = TimeNs(kSec - 1);
        f.sample_cadence = TimeNs(kSec - 1);
      },
      Reason::kFundingInvalidInterval);
}

TEST_CASE("Funding parameters: an interval of one second is accepted", "[engine][funding]") {
  CheckAccepted([](funding::FundingParams& f) {
    f.interval = TimeNs(kSec);
    f.sample_cadence = TimeNs(kSec);
  });
}

TEST_CASE("Funding parameters: an interval of seven days is accepted", "[engine][funding]") {
  CheckAccepted([](funding::FundingParams& f) { f.interval = funding::kMaxInterval; });
}

TEST_CASE("Funding parameters: an interval one nanosecond above seven days is refused",
          "[engine][funding]") {
  CheckRefused(
      [](funding::FundingParams& f) { f.interval = TimeNs(funding::kMaxInterval.raw() + 1); },
      Reason::kFundingInvalidInterval);
}

TEST_CASE("Funding parameters: a period of 0 is refused", "[engine][funding]") {
  CheckRefused([](funding::FundingParams& f) { f.period = TimeNs(0); },
               Reason::kFundingInvalidInterval);
}

TEST_CASE("Funding parameters: a sample cadence of 0 is refused", "[engine][funding]") {
  CheckRefused([](funding::FundingParams& f) { f.sample_cadence = TimeNs(0); },
               Reason::kFundingInvalidCadence);
}

TEST_CASE("Funding parameters: a sample cadence that does not divide the interval is refused",
          "[engine][funding]") {
  CheckRefused([](funding::FundingParams& f) { f.sample_cadence = TimeNs(7 * kSec); },
               Reason::kFundingInvalidCadence);
}

// 0.5 s slots: an interval of 2^20 of them (524,288 s, under 7 days) is the
// most an interval may hold; one slot more is refused.
TEST_CASE("Funding parameters: an interval of exactly 2^20 sample slots is accepted",
          "[engine][funding]") {
  CheckAccepted([](funding::FundingParams& f) {
    f.sample_cadence = TimeNs(kSec / 2);
    f.interval = TimeNs((std::int64_t{1} << 20) * (kSec / 2));
  });
}

TEST_CASE("Funding parameters: an interval of 2^20 + 1 sample slots is refused",
          "[engine][funding]") {
  CheckRefused(
      [](funding::FundingParams& f) {
        f.sample_cadence = TimeNs(kSec / 2);
        f.interval = TimeNs(((std::int64_t{1} << 20) + 1) * (kSec / 2));
      },
      Reason::kFundingInvalidCadence);
}

TEST_CASE("Funding parameters: a weighting outside the enum is refused", "[engine][funding]") {
  CheckRefused(
      [](funding::FundingParams& f) { f.weighting = static_cast<funding::PremiumWeighting>(2); },
      Reason::kFundingInvalidWeighting);
}

TEST_CASE("Funding parameters: an impact notional of 0 is refused", "[engine][funding]") {
  CheckRefused([](funding::FundingParams& f) { f.impact_notional = 0; },
               Reason::kFundingInvalidImpactNotional);
}

TEST_CASE("Funding parameters: an impact notional of one atom is accepted", "[engine][funding]") {
  CheckAccepted([](funding::FundingParams& f) { f.impact_notional = 1; });
}

TEST_CASE("Funding parameters: an interest band of -1 is refused", "[engine][funding]") {
  CheckRefused([](funding::FundingParams& f) { f.interest_band = Rate(-1); },
               Reason::kFundingInvalidInterest);
}

TEST_CASE("Funding parameters: an interest band of 0 is accepted", "[engine][funding]") {
  CheckAccepted([](funding::FundingParams& f) { f.interest_band = Rate(0); });
}

TEST_CASE("Funding parameters: an interest rate one unit above 1 is refused", "[engine][funding]") {
  CheckRefused([](funding::FundingParams& f) { f.interest = Rate(kRateScale + 1); },
               Reason::kFundingInvalidInterest);
}

TEST_CASE("Funding parameters: an interest rate of exactly 1 is accepted", "[engine][funding]") {
  CheckAccepted([](funding::FundingParams& f) { f.interest = Rate(kRateScale); });
}

TEST_CASE("Funding parameters: an interest rate of exactly -1 is accepted", "[engine][funding]") {
  CheckAccepted([](funding::FundingParams& f) { f.interest = Rate(-kRateScale); });
}

TEST_CASE("Funding parameters: an interest rate one unit below -1 is refused",
          "[engine][funding]") {
  CheckRefused([](funding::FundingParams& f) { f.interest = Rate(-kRateScale - 1); },
               Reason::kFundingInvalidInterest);
}

TEST_CASE("Funding parameters: a cap one unit below the floor is refused", "[engine][funding]") {
  CheckRefused([](funding::FundingParams& f) { f.cap = Rate(f.floor.raw() - 1); },
               Reason::kFundingCapBelowFloor);
}

TEST_CASE("Funding parameters: a cap equal to the floor is accepted", "[engine][funding]") {
  CheckAccepted([](funding::FundingParams& f) { f.cap = f.floor; });
}

TEST_CASE("Funding parameters: a margin-multiple cap of 0 is refused", "[engine][funding]") {
  CheckRefused(
      [](funding::FundingParams& f) {
        f.cap_mode = funding::CapMode::kMarginMultiple;
        f.cap_multiple = Rate(0);
      },
      Reason::kFundingCapBelowFloor);
}

TEST_CASE("Funding parameters: a margin-multiple cap of one unit is accepted",
          "[engine][funding]") {
  CheckAccepted([](funding::FundingParams& f) {
    f.cap_mode = funding::CapMode::kMarginMultiple;
    f.cap_multiple = Rate(1);
  });
}

TEST_CASE("Funding parameters: a skew model without a counterparty is refused",
          "[engine][funding]") {
  CheckRefused(
      [](funding::FundingParams& f) {
        f.model = FundingModel::kSkewLinear;
        f.counterparty = 0;
      },
      Reason::kFundingNoCounterparty);
}

TEST_CASE("Funding parameters: a skew model with a counterparty is accepted",
          "[engine][funding]") {
  CheckAccepted([](funding::FundingParams& f) {
    f.model = FundingModel::kSkewLinear;
    f.counterparty = 1;
  });
}

TEST_CASE("Funding parameters: a negative skew coefficient is refused", "[engine][funding]") {
  CheckRefused([](funding::FundingParams& f) { f.skew_kappa = Rate(-1); },
               Reason::kFundingInvalidSkew);
}

TEST_CASE("Funding parameters: a skew coefficient of 0 is accepted", "[engine][funding]") {
  CheckAccepted([](funding::FundingParams& f) { f.skew_kappa = Rate(0); });
}

TEST_CASE("Funding parameters: a skew cap of 0 is refused", "[engine][funding]") {
  CheckRefused([](funding::FundingParams& f) { f.skew_max = Rate(0); },
               Reason::kFundingInvalidSkew);
}

TEST_CASE("Funding parameters: a skew cap of one unit is accepted", "[engine][funding]") {
  CheckAccepted([](funding::FundingParams& f) { f.skew_max = Rate(1); });
}

TEST_CASE("Funding parameters: a skew cap of exactly 1 is accepted", "[engine][funding]") {
  CheckAccepted([](funding::FundingParams& f) { f.skew_max = Rate(kRateScale); });
}

TEST_CASE("Funding parameters: a skew cap one unit above 1 is refused", "[engine][funding]") {
  CheckRefused([](funding::FundingParams& f) { f.skew_max = Rate(kRateScale + 1); },
               Reason::kFundingInvalidSkew);
}

TEST_CASE("Funding parameters: a skew exponent one unit below 1 is refused",
          "[engine][funding]") {
  CheckRefused([](funding::FundingParams& f) { f.skew_exponent = Rate(kRateScale - 1); },
               Reason::kFundingInvalidExponent);
}

TEST_CASE("Funding parameters: a skew exponent of exactly 1 is accepted", "[engine][funding]") {
  CheckAccepted([](funding::FundingParams& f) { f.skew_exponent = Rate(kRateScale); });
}

TEST_CASE("Funding parameters: a skew exponent of exactly 3 is accepted", "[engine][funding]") {
  CheckAccepted([](funding::FundingParams& f) { f.skew_exponent = Rate(3 * kRateScale); });
}

TEST_CASE("Funding parameters: a skew exponent one unit above 3 is refused",
          "[engine][funding]") {
  CheckRefused([](funding::FundingParams& f) { f.skew_exponent = Rate(3 * kRateScale + 1); },
               Reason::kFundingInvalidExponent);
}

// The index bound: the largest move per second, MaxRate * (1 s / period) *
// max_price * atoms_per_tick_lot index units, times 2^32 s must not pass
// 2^125. With a cap of 100% per 1 s period and one atom per tick-lot (0.001
// USD tick, 0.001 lot) that is 1e18 * max_price * 2^32 <= 2^125, i.e.
// max_price <= 2^93 / 1e18 = 9,903,520,314.28: 9,903,520,314 is the
// largest max_price accepted. (Its open interest bound keeps
// max_open_interest * max_price under 2^54.)
MarketParams Extreme(std::int64_t max_price) {
  MarketParams p = Btc();
  p.tick_size = {1, -3};
  p.lot_size = {1, -3};
  p.max_order_size = Lots(1'000);
  p.max_open_interest = Lots(1'000);
  p.max_price = Ticks(max_price);
  p.funding.interval = TimeNs(kSec);
  p.funding.period = TimeNs(kSec);
  p.funding.sample_cadence = TimeNs(kSec);
  p.funding.cap = Rate(kRateScale);
  p.funding.floor = Rate(-kRateScale);
  return p;
}

TEST_CASE("Funding parameters: the largest max_price the index bound allows at a 100% cap is "
          "accepted",
          "[engine][funding]") {
  CheckAccepted(Extreme(1'000'000), Extreme(9'903'520'314));
}

TEST_CASE("Funding parameters: one tick more of max_price at a 100% cap is refused as index "
          "overflow",
          "[engine][funding]") {
  CheckRefused(Extreme(1'000'000), Extreme(9'903'520'315), Reason::kFundingIndexOverflow);
}

// ---------------------------------------------------------------------------
// Funding due at a command's time counts before the market advances: a
// command at or after an interval's end that no tick preceded is valued at
// the index the advance will leave (FundingIndexAt), whatever advances the
// market afterwards, and a rejected command advances nothing.
// ---------------------------------------------------------------------------

// As "an order one atom short of the margin once pending funding counts is
// refused", but the order comes at 8 h with no tick before it: its check
// counts the interval's 3 USD, which would leave equity 2,999,999,999
// against an initial requirement with orders of 3,000,000,000.
TEST_CASE("Funding: an order at an interval's end before any tick is checked with that "
          "interval's funding",
          "[engine][funding]") {
  Scenario s = LongAndShort(Btc(), 3'002'999'999);
  s.TickHourly(7 * kHour);
  s.At(8 * kHour);
  s.Price();
  CHECK(s.Do(SecondBitcoin()) == Reason::kInsufficientMargin);
}

// As "a withdrawal of exactly the free collateral net of pending funding",
// but at 8 h with no tick before it: free collateral already reads 6,997 USD
// (the interval's 3 USD counted) and one atom more is refused.
TEST_CASE("Funding: a withdrawal at an interval's end before any tick counts that interval's "
          "funding",
          "[engine][funding]") {
  Scenario s = LongAndShort();
  s.TickHourly(7 * kHour);
  s.At(8 * kHour);
  s.Price();
  CHECK(s.Summary(1).free_collateral == Quote(6'997 * kUsd));
  CHECK(s.Do(Withdraw{.account = 1, .amount = Quote(6'997 * kUsd + 1)}) ==
        Reason::kInsufficientCollateral);
}

}  // namespace
}  // namespace perpcore::engine
