// Liquidation through the engine (issue 13): worked examples from dYdX v4,
// Hyperliquid and Binance played on real markets (fills, an oracle move, a
// Liquidate command, then the exact events and balances), scenarios (a
// cascade, a thin book, an account bankrupt before anyone liquidates it, an
// isolated bucket, a cross account with several positions, a short, a
// deficit without a position), the sizing rules at their boundaries (chunk
// threshold, per-command cap, max_size, cooldown), the taker fee and the
// price band of the liquidation order, every refusal of a Liquidate with
// nothing changed, the ranking of Liquidatable(), and health in the account
// summary.
//
// The rules are those of include/perpcore/engine/engine.hpp ("Liquidation")
// and include/perpcore/liquidation/liquidation.hpp; every figure asserted is
// worked out by hand in the comment above it from those rules (never by
// calling the code under test).
//
// Units as in support/engine_harness.hpp: 0.1 USD ticks, 0.001 BTC lots,
// 1e-6 USD atoms, so one tick of one lot is m = 100 atoms, 30,000 USD is
// 300,000 ticks and 1 BTC is 1,000 lots. The markets here have no trading
// fees (cash moves only by trades and the liquidation fee), no funding and
// no price band unless a test says, and mark_cap 0, so that the mark IS the
// index (oracle.hpp: "0: the mark is the index"): an oracle price sets the
// mark exactly. One margin tier (the default): 20x, maintenance 1% of the
// notional at the mark. The liquidation parameters are the defaults (fee
// 1.5%, keeper share 5%, buffer 10%, chunks of 20% above 1e11 atoms,
// cooldown 30 s, bankruptcy adjustment 1, spread to maintenance 1.5, 1e11
// atoms per command) unless a test says.
//
// A long of L lots bought at 300,000 ticks by an account that deposited D
// atoms holds cash D - L * 300,000 * 100 (the trade moves price * size * m
// from buyer to seller), so at mark M its health equity is
//     E = D + L * (M - 300,000) * 100
// and its maintenance requirement MM = L * M * 100 * 1%  = L * M.
// Formulas used below (liquidation.hpp), with TNC = E, TMMR = the account's
// maintenance, PMMR = the position's, and s = |size| * m:
//   bankruptcy price (long)  P_b = M - floor(E / s)
//   fillable price (long)    F   = M - floor(BA * (TMMR - TNC) * SMMR * PMMR / TMMR / s)
//                                  (ABR clamped to [0, 1]; BA = 1, SMMR = 1.5)
//   limit (long, E >= 0)     max(F, P_b); (E < 0) F
//   fee = min(ceil(1.5% * closed notional), max(0, equity after the fills)),
//   keeper = floor(5% * fee), the insurance fund takes fee - keeper.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
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
using testing::kSecond;
using testing::Of;
using testing::Shared;

constexpr std::int64_t kEntry = 300'000;  // 30,000 USD in ticks
constexpr std::int64_t kBp = kRateScale / 10'000;

constexpr AccountId kMaker = 100;   // sells every position the tests open
constexpr AccountId kBidder = 101;  // rests the bids liquidations hit
constexpr AccountId kKeeper = 102;  // submits the liquidations, holds nothing

MarketParams Market(const char* symbol = "BTC-USD") {
  MarketParams p;
  p.symbol = symbol;
  p.max_price = Ticks(10'000'000);
  p.price_band = Rate(0);
  p.maker_fee = Rate(0);
  p.taker_fee = Rate(0);
  p.oracle.mark_cap = Rate(0);
  p.funding.model = funding::FundingModel::kNone;
  // The book, the insurance fund and the shortfall alone: these scenarios
  // pin them (scenario_adl_test.cpp has deleveraging, the default).
  p.liquidation.loss_policy = liquidation::LossPolicy::kNone;
  return p;
}

// The canonical encoding without its first 16 bytes (last_seq and the
// time), which every processed command advances, accepted or not.
std::string StateAfterCursor(const Engine& eng) {
  std::string bytes;
  eng.EncodeCanonical(&bytes);
  return bytes.substr(16);
}

// The events without the margin warnings, which a command emits last
// (scenario_warning_test.cpp pins them).
std::vector<Event> WithoutWarnings(const std::vector<Event>& events) {
  std::vector<Event> out;
  for (const Event& e : events) {
    if (!std::holds_alternative<events::MarginWarning>(e)) out.push_back(e);
  }
  return out;
}

std::string ToString(const events::Liquidation& e) {
  return "Liquidation{market " + std::to_string(e.market.value()) + ", account " +
         std::to_string(e.account.value()) + ", keeper " + std::to_string(e.keeper.value()) +
         ", isolated " + std::to_string(e.isolated) + ", health " + std::to_string(e.health) +
         ", closed " + std::to_string(e.closed.raw()) + ", position " +
         std::to_string(e.position.raw()) + ", limit " + std::to_string(e.limit.raw()) +
         ", closed_notional " + std::to_string(e.closed_notional.raw()) + ", fee " +
         std::to_string(e.fee.raw()) + ", keeper_fee " + std::to_string(e.keeper_fee.raw()) + "}";
}

// The Liquidation event equals `want` but for the engine-chosen order id.
void CheckLiquidation(const events::Liquidation& got, events::Liquidation want) {
  CHECK(got.order_id != 0);
  want.order_id = got.order_id;
  INFO("got  " << ToString(got));
  INFO("want " << ToString(want));
  CHECK(got == want);
}

std::string ToString(const std::vector<LiquidationCandidate>& cs) {
  std::string out = "[";
  for (const LiquidationCandidate& c : cs) {
    out += "{account " + std::to_string(c.account.value()) + ", market " +
           std::to_string(c.market.value()) + ", health " +
           std::to_string(static_cast<int>(c.health)) + ", equity " +
           std::to_string(c.equity.raw()) + ", maintenance " +
           std::to_string(c.maintenance.raw()) + "}";
  }
  return out + "]";
}

// A market at 300,000 ticks, a maker and a bidder with 10M USD each, and a
// keeper with nothing.
class Liq : public EngineHarness {
 public:
  explicit Liq(MarketParams p = Market()) {
    Ok(CreateMarket{.market = 1, .params = Shared(std::move(p))});
    Price(1, Ticks(kEntry));
    Open(kMaker, 10'000'000 * testing::kUsd);
    Open(kBidder, 10'000'000 * testing::kUsd);
    Open(kKeeper, 0);
  }
  void AddMarket(MarketId m, MarketParams p) {
    Ok(CreateMarket{.market = m, .params = Shared(std::move(p))});
    Price(m, Ticks(kEntry));
  }
  // An account of its own owner with `atoms` deposited.
  void Open(AccountId a, std::int64_t atoms) {
    Ok(CreateAccount{.account = a, .owner = OwnerId(a.value())});
    if (atoms > 0) Ok(Deposit{.account = a, .amount = Quote(atoms)});
  }
  // `a` (new, `atoms` deposited) buys `lots` at `ticks` from the maker.
  void Long(AccountId a, std::int64_t atoms, std::int64_t lots, MarketId m = 1,
            std::int64_t ticks = kEntry, bool create = true) {
    if (create) Open(a, atoms);
    REQUIRE(Rest(kMaker, Side::kSell, ticks, lots, m) == Reason::kOk);
    const Result r = Order(a, OrderId(++orders_), Side::kBuy, Ticks(ticks), Lots(lots),
                           TimeInForce::kIoc, false, m);
    REQUIRE(r.reason == Reason::kOk);
    REQUIRE(r.filled.raw() == lots);
  }
  Reason Rest(AccountId a, Side side, std::int64_t ticks, std::int64_t lots, MarketId m = 1) {
    return Order(a, OrderId(++orders_), side, Ticks(ticks), Lots(lots), TimeInForce::kGtc, false,
                 m)
        .reason;
  }
  void Bid(std::int64_t ticks, std::int64_t lots, MarketId m = 1) {
    REQUIRE(Rest(kBidder, Side::kBuy, ticks, lots, m) == Reason::kOk);
  }
  // A Liquidate; its events are kept in `last`.
  Reason Liquidate(AccountId a, MarketId m = 0, Lots max_size = engine::Liquidate::kNoMaxSize,
                   AccountId keeper = kKeeper) {
    const Result r =
        Do(engine::Liquidate{.market = m, .account = a, .keeper = keeper, .max_size = max_size});
    last.assign(r.events.begin(), r.events.end());
    return r.reason;
  }
  events::Liquidation OnlyLiquidation() const {
    const auto ls = Of<events::Liquidation>(last);
    REQUIRE(ls.size() == 1);
    return ls.front();
  }
  std::vector<LiquidationCandidate> Candidates() const { return eng.Liquidatable(100); }
  std::int64_t Cash(AccountId a) const { return Summary(a).cash.raw(); }

  std::vector<Event> last;

 private:
  std::uint64_t orders_ = 0;
};

void CheckCandidates(const std::vector<LiquidationCandidate>& got,
                     const std::vector<LiquidationCandidate>& want) {
  INFO("got  " << ToString(got));
  INFO("want " << ToString(want));
  CHECK(got == want);
}

// ---------------------------------------------------------------------------
// Worked examples
// ---------------------------------------------------------------------------

// dYdX v4 (x/clob/keeper/liquidations.go: GetBankruptcyPriceInQuoteQuantums,
// GetFillablePrice, GetLiquidationInsuranceFundDelta). Account 1 deposits
// 2,260 USD (D = 2,260,000,000) and buys 1 BTC (1,000 lots) at 30,000; it
// also rests an ask of 100 lots at 40,000. The oracle drops to 28,000 (M =
// 280,000):
//   E = 2,260,000,000 + 1,000 * (-20,000) * 100 = 260,000,000
//   MM = 1,000 * 280,000 = 280,000,000 > E: liquidatable (not bankrupt).
// Sizing: (1 + 10%) * 1% = 1.1% < fee 1.5%, so no partial search: the whole
// position; 1,000 lots * 280,000 * 100 = 2.8e10 <= chunk threshold 1e11 and
// <= 1e11 per command.
// Prices (s = 1,000 * 100 = 100,000):
//   P_b = 280,000 - floor(260,000,000 / 100,000) = 280,000 - 2,600 = 277,400
//   F   = 280,000 - floor(1 * 20,000,000 * 1.5 * 280,000,000 / 280,000,000 / 100,000)
//       = 280,000 - floor(300) = 279,700
//   limit = max(279,700, 277,400) = 279,700: the fillable price binds.
// The book: bids 400 @ 279,800, 600 @ 279,700, 1,000 @ 279,600. The sell
// fills 400 @ 279,800 and 600 @ 279,700 and never reaches 279,600:
//   closed notional = (400 * 279,800 + 600 * 279,700) * 100 = 27,974,000,000
//   equity after the fills = 260,000,000 - (400 * 200 + 600 * 300) * 100 = 234,000,000
//   fee = min(ceil(1.5% * 27,974,000,000) = 419,610,000, 234,000,000) = 234,000,000
//   (capped: what the account has above bankruptcy), keeper = 11,700,000,
//   insurance fund 222,300,000; the account is left with 0.
TEST_CASE("dYdX v4: the fillable price bounds the liquidation order and the fee is capped at what "
          "the account has above bankruptcy",
          "[engine][liquidation]") {
  Liq h;
  h.Long(1, 2'260'000'000, 1'000);
  REQUIRE(h.Rest(1, Side::kSell, 400'000, 100) == Reason::kOk);
  h.Price(1, Ticks(280'000), SourceId(1));
  h.Bid(279'800, 400);
  h.Bid(279'700, 600);
  h.Bid(279'600, 1'000);

  REQUIRE(h.Liquidate(1) == Reason::kOk);
  // Step 1: the target's resting ask goes first, reason kLiquidation.
  const auto cancels = Of<events::OrderCanceled>(h.last);
  REQUIRE(!cancels.empty());
  CHECK(cancels.front().account == 1);
  CHECK(cancels.front().reason == book::CancelReason::kLiquidation);
  CHECK(cancels.front().price.raw() == 400'000);
  CHECK(cancels.front().size.raw() == 100);
  CHECK(KindOf(h.last.front()) == EventKind::kOrderCanceled);
  const auto fills = Of<events::Fill>(h.last);
  REQUIRE(fills.size() == 2);
  CHECK(fills[0].price.raw() == 279'800);
  CHECK(fills[0].size.raw() == 400);
  CHECK(fills[1].price.raw() == 279'700);
  CHECK(fills[1].size.raw() == 600);
  CheckLiquidation(h.OnlyLiquidation(), {.market = 1,
                                         .account = 1,
                                         .keeper = kKeeper,
                                         .isolated = false,
                                         .health = 2,
                                         .closed = Lots(1'000),
                                         .position = Lots(0),
                                         .limit = Ticks(279'700),
                                         .closed_notional = Quote(27'974'000'000),
                                         .fee = Quote(234'000'000),
                                         .keeper_fee = Quote(11'700'000)});
  CHECK(h.Cash(1) == 0);
  CHECK(h.Summary(1).positions.empty());
  CHECK(h.Cash(kKeeper) == 11'700'000);
  CHECK(h.eng.insurance_fund().raw() == 222'300'000);
  // The 279,600 bid was never reached.
  const auto best = h.eng.Best(1, Side::kBuy);
  REQUIRE(best.ok());
  REQUIRE(best->has_value());
  CHECK((*best)->price.raw() == 279'600);
  CHECK(h.Candidates().empty());
}

// Hyperliquid (docs: trading/liquidations, "Partial liquidations"): a
// position above 100,000 USD of notional is liquidated 20% at a time, and
// within 30 s of a partial liquidation the whole position goes. The
// per-command cap (dYdX's, not Hyperliquid's) is lifted to 1e12 atoms here
// so that only the chunk rule sizes the orders.
// Account 1 deposits 11,000 USD (D = 1.1e10) and buys 5 BTC (5,000 lots) at
// 30,000; the oracle drops to 28,000:
//   E = 1.1e10 + 5,000 * (-20,000) * 100 = 1e9;  MM = 5,000 * 280,000 = 1.4e9 > E.
//   notional 5,000 * 280,000 * 100 = 1.4e11 > 1e11: chunk = ceil(20% * 5,000) = 1,000
//   (the fee 1.5% > 1.1% makes the unchunked size the whole position).
//   s = 500,000: P_b = 280,000 - floor(1e9 / 500,000) = 278,000;
//   F = 280,000 - floor(0.4e9 * 1.5 / 500,000) = 280,000 - 1,200 = 278,800;
//   limit 278,800. The bidder bids 5,000 @ 280,000 (at the mark).
//   First liquidation: 1,000 @ 280,000, notional 2.8e10, equity after the
//   fills 1e9, fee min(ceil(1.5% * 2.8e10) = 420,000,000, 1e9) = 420,000,000,
//   keeper 21,000,000. Left: 4,000 lots, E = 580,000,000, MM = 1.12e9 (still
//   liquidatable), notional 1.12e11 (still above the threshold).
//   Second liquidation: s = 400,000, P_b = 280,000 - floor(580,000,000 /
//   400,000) = 280,000 - 1,450 = 278,550; F = 280,000 - floor(540,000,000 *
//   1.5 / 400,000) = 280,000 - 2,025 = 277,975; limit 278,550.
struct HyperliquidSetup {
  Liq h;
  std::int64_t first = 0;  // when the first chunk was liquidated
  HyperliquidSetup() : h([] {
      MarketParams p = Market();
      p.liquidation.max_notional_per_command = 1'000'000'000'000;
      return p;
    }()) {
    h.Long(1, 11'000'000'000, 5'000);
    h.Price(1, Ticks(280'000));
    h.Bid(280'000, 5'000);
    REQUIRE(h.Liquidate(1) == Reason::kOk);
    first = h.now;
    CheckLiquidation(h.OnlyLiquidation(), {.market = 1,
                                           .account = 1,
                                           .keeper = kKeeper,
                                           .health = 2,
                                           .closed = Lots(1'000),
                                           .position = Lots(4'000),
                                           .limit = Ticks(278'800),
                                           .closed_notional = Quote(28'000'000'000),
                                           .fee = Quote(420'000'000),
                                           .keeper_fee = Quote(21'000'000)});
    CHECK(h.eng.insurance_fund().raw() == 399'000'000);
    const AccountSummary s = h.Summary(1);
    CHECK(s.health_equity.raw() == 580'000'000);
    CHECK(s.maintenance_requirement.raw() == 1'120'000'000);
    CHECK(s.liquidatable);
  }
};

// Within the cooldown (1 ns before 30 s): the whole 4,000 lots, 4,000 @
// 280,000, notional 1.12e11; equity after the fills 580,000,000; fee
// min(ceil(1.5% * 1.12e11) = 1.68e9, 580,000,000) = 580,000,000 (capped),
// keeper 29,000,000.
TEST_CASE("Hyperliquid: within the 30 s cooldown after a partial liquidation the whole position "
          "goes",
          "[engine][liquidation]") {
  HyperliquidSetup s;
  Liq& h = s.h;
  h.now = s.first + 30 * kSecond - 1;
  REQUIRE(h.Liquidate(1) == Reason::kOk);
  CheckLiquidation(h.OnlyLiquidation(), {.market = 1,
                                         .account = 1,
                                         .keeper = kKeeper,
                                         .health = 2,
                                         .closed = Lots(4'000),
                                         .position = Lots(0),
                                         .limit = Ticks(278'550),
                                         .closed_notional = Quote(112'000'000'000),
                                         .fee = Quote(580'000'000),
                                         .keeper_fee = Quote(29'000'000)});
  CHECK(h.Summary(1).positions.empty());
  CHECK(h.Cash(1) == 0);
}

// At exactly 30 s the cooldown has passed (CooledDown: now - last >=
// cooldown): the next chunk, ceil(20% * 4,000) = 800 lots @ 280,000,
// notional 2.24e10; fee min(ceil(1.5% * 2.24e10) = 336,000,000, 580,000,000)
// = 336,000,000, keeper 16,800,000. Left 3,200 lots.
TEST_CASE("Hyperliquid: once the 30 s cooldown has passed the next 20% chunk goes",
          "[engine][liquidation]") {
  HyperliquidSetup s;
  Liq& h = s.h;
  h.now = s.first + 30 * kSecond;
  REQUIRE(h.Liquidate(1) == Reason::kOk);
  CheckLiquidation(h.OnlyLiquidation(), {.market = 1,
                                         .account = 1,
                                         .keeper = kKeeper,
                                         .health = 2,
                                         .closed = Lots(800),
                                         .position = Lots(3'200),
                                         .limit = Ticks(278'550),
                                         .closed_notional = Quote(22'400'000'000),
                                         .fee = Quote(336'000'000),
                                         .keeper_fee = Quote(16'800'000)});
  CHECK(h.Cash(kKeeper) == 21'000'000 + 16'800'000);
}

// Hyperliquid's liquidation price (docs: trading/liquidations):
//   liq_price = price - side * margin_available / position_size / (1 - l * side),
//   l = 1 / MAINTENANCE_LEVERAGE, margin_available = account value -
//   maintenance margin. 5 BTC long at 30,000 with 11,000 USD: account value
//   11,000 USD, maintenance 1% * 150,000 = 1,500 USD, margin_available 9,500,
//   l = 1%: liq_price = 30,000 - 9,500 / 5 / 0.99 = 28,080.808... USD =
//   280,808.08 ticks; a long's rounds up to 280,809 (margin.hpp: the lowest
//   safe tick). In the engine's terms: E(M) = 1.1e10 + 500,000 * (M -
//   300,000), MM(M) = 5,000 * M:
//   M = 280,809: E = 1,404,500,000 >= MM = 1,404,045,000: not liquidatable;
//   M = 280,808: E = 1,404,000,000 <  MM = 1,404,040,000: liquidatable.
TEST_CASE("Hyperliquid: the liquidation price is the lowest tick a Liquidate is refused at",
          "[engine][liquidation]") {
  Liq h;
  h.Long(1, 11'000'000'000, 5'000);
  const AccountSummary s = h.Summary(1);
  REQUIRE(s.positions.size() == 1);
  CHECK(s.positions[0].liquidation.price.raw() == 280'809);
  // The limit at 280,808 is the mark itself (F = 280,808 - floor(1.5 *
  // 40,000 / 500,000) = 280,808 above P_b = 278,000): the bid must be there.
  h.Bid(281'000, 5'000);
  h.Price(1, Ticks(280'809));
  CHECK(h.Liquidate(1) == Reason::kLiquidationNotLiquidatable);
  CHECK(h.last.empty());
  h.Price(1, Ticks(280'808));
  REQUIRE(h.Liquidate(1) == Reason::kOk);
  // notional 5,000 * 280,808 * 100 = 140,404,000,000 > 1e11: a 1,000-lot chunk.
  CHECK(h.OnlyLiquidation().closed.raw() == 1'000);
}

// Binance USD-M ("Liquidation Protocols": the liquidation clearance fee on
// the liquidated notional goes to the insurance fund). Here the fee is 0.5%
// (a parameter), below (1 + 10%) * 1% = 1.1%, so the engine searches the
// fewest lots q that, closed at the mark with the fee paid, leave equity >=
// 110% of maintenance. Account 1: D = 2,250,000,000, 1,000 lots long at
// 30,000, the oracle at 28,000: E = 250,000,000, MM = 280,000,000.
//   after q lots: E' = 250,000,000 - 0.5% * q * 28,000,000 = 250,000,000 - 140,000 q
//                 1.1 * MM' = 1.1 * 280,000 * (1,000 - q) = 308,000,000 - 308,000 q
//   E' >= 1.1 MM'  <=>  168,000 q >= 58,000,000  <=>  q >= 345.2: q = 346
//   (q = 345: 201,700,000 < 201,740,000; q = 346: 201,560,000 >= 201,432,000).
// Limit: F = 280,000 - floor(30,000,000 * 1.5 / 100,000) = 279,550 (per lot,
// the same whether the position or the order's 346 lots are priced);
// P_b = 277,500 or below: the limit is 279,550.
// Bids 200 @ 280,000, 200 @ 279,600, 1,000 @ 279,500: fills 200 @ 280,000
// and 146 @ 279,600:
//   closed notional = (200 * 280,000 + 146 * 279,600) * 100 = 9,682,160,000
//   equity after the fills = 250,000,000 - 146 * 400 * 100 = 244,160,000
//   fee = min(ceil(0.5% * 9,682,160,000) = 48,410,800, 244,160,000) = 48,410,800
//   keeper = floor(5% * 48,410,800) = 2,420,540; insurance fund 45,990,260.
// After: 654 lots, cash 2,250,000,000 - 3e10 + 9,682,160,000 - 48,410,800 =
// -18,116,250,800; E = -18,116,250,800 + 654 * 28,000,000 = 195,749,200,
// MM = 654 * 280,000 = 183,120,000: healthy again, and a warning
// (183,120,000 >= 80% * 195,749,200 = 156,599,360).
TEST_CASE("Binance: a partial liquidation closes the fewest lots that restore the buffer and its "
          "fee goes to the insurance fund less the keeper's share",
          "[engine][liquidation]") {
  MarketParams p = Market();
  p.liquidation.fee = Rate(50 * kBp);
  Liq h(p);
  h.Long(1, 2'250'000'000, 1'000);
  h.Price(1, Ticks(280'000));
  h.Bid(280'000, 200);
  h.Bid(279'600, 200);
  h.Bid(279'500, 1'000);
  REQUIRE(h.Liquidate(1) == Reason::kOk);
  CheckLiquidation(h.OnlyLiquidation(), {.market = 1,
                                         .account = 1,
                                         .keeper = kKeeper,
                                         .health = 2,
                                         .closed = Lots(346),
                                         .position = Lots(654),
                                         .limit = Ticks(279'550),
                                         .closed_notional = Quote(9'682'160'000),
                                         .fee = Quote(48'410'800),
                                         .keeper_fee = Quote(2'420'540)});
  CHECK(h.eng.insurance_fund().raw() == 45'990'260);
  CHECK(h.Cash(kKeeper) == 2'420'540);
  const AccountSummary s = h.Summary(1);
  CHECK(s.cash.raw() == -18'116'250'800);
  CHECK(s.health_equity.raw() == 195'749'200);
  CHECK(s.maintenance_requirement.raw() == 183'120'000);
  CHECK(s.liquidation_buffer.raw() == 12'629'200);
  CHECK(s.health == Health::kWarning);
  CHECK_FALSE(s.liquidatable);
  CHECK(h.Liquidate(1) == Reason::kLiquidationNotLiquidatable);
}

// The liquidation order is a taker like any other (engine.hpp, step 3): it
// pays the taker fee, and the protection price is computed from the equity
// net of the taker fee of a full close at the mark. Taker fee 5 bp, maker 0.
// Account 1 deposits 2,275,000,000 and buys 1,000 lots at 30,000 as taker,
// paying ceil(5 bp * 3e10) = 15,000,000: at 28,000 E = 2,275,000,000 -
// 15,000,000 - 2e9 = 260,000,000 < MM = 280,000,000.
// Size: (1 + 10%) * 1% = 1.1% <= 1.5% + 0.05%: the whole position.
// Equity for the limit: 260,000,000 - ceil(5 bp * 2.8e10) = 246,000,000:
//   P_b = 280,000 - floor(246,000,000 / 100,000) = 277,540
//   F   = 280,000 - floor(34,000,000 * 1.5 / 100,000) = 280,000 - 510 = 279,490
//   limit 279,490 (279,700 if the taker fee were ignored: the dYdX example).
// A bid of 1,000 @ 279,500 fills: notional 27,950,000,000, taker fee
// ceil(5 bp * 27,950,000,000) = 13,975,000 to the fee pool; equity after
// 260,000,000 - 1,000 * 500 * 100 - 13,975,000 = 196,025,000 = the
// liquidation fee (1.5% would be 419,250,000), keeper floor(5%) = 9,801,250,
// insurance fund 186,223,750. Fee pool: 15,000,000 + 13,975,000.
TEST_CASE("Liquidate: the liquidation order pays the taker fee and its protection price leaves "
          "room for it",
          "[engine][liquidation]") {
  MarketParams p = Market();
  p.taker_fee = Rate(5 * kBp);
  Liq h(p);
  h.Long(1, 2'275'000'000, 1'000);
  h.Price(1, Ticks(280'000));
  h.Bid(279'500, 1'000);
  CHECK(h.Summary(1).health_equity.raw() == 260'000'000);
  REQUIRE(h.Liquidate(1) == Reason::kOk);
  const auto fills = Of<events::Fill>(h.last);
  REQUIRE(fills.size() == 1);
  CHECK(fills[0].taker.account == 1);
  CHECK(fills[0].taker.fee.raw() == 13'975'000);
  CheckLiquidation(h.OnlyLiquidation(), {.market = 1,
                                         .account = 1,
                                         .keeper = kKeeper,
                                         .health = 2,
                                         .closed = Lots(1'000),
                                         .position = Lots(0),
                                         .limit = Ticks(279'490),
                                         .closed_notional = Quote(27'950'000'000),
                                         .fee = Quote(196'025'000),
                                         .keeper_fee = Quote(9'801'250)});
  CHECK(h.Cash(1) == 0);
  CHECK(h.eng.insurance_fund().raw() == 186'223'750);
  CHECK(h.eng.fee_pool().raw() == 15'000'000 + 13'975'000);
}

// The partial size at its one-atom boundary: the fewest q with equity >=
// maintenance * (1 + buffer), equality included. Fee 0.5% as in the Binance
// example, 1,000 lots long at 30,000, the oracle at 28,000, a bid of 1,000 @
// 280,000 (closing at the mark). After q lots:
//   E' = E - 140,000 q,  1.1 MM' = 308,000 (1,000 - q),
//   E' >= 1.1 MM'  <=>  168,000 q >= 308,000,000 - E.
// E = 249,872,000 (D = 2,249,872,000): q = 346 gives exactly 201,432,000 on
//   both sides: 346 lots.
// E = 249,871,999 (one atom less): q = 346 falls one atom short, q = 347
//   gives 201,291,999 >= 201,124,000: 347 lots.
TEST_CASE("Liquidate: a partial liquidation stops exactly at maintenance plus the buffer",
          "[engine][liquidation]") {
  std::int64_t deposit = 0;
  std::int64_t want = 0;
  SECTION("equal after 346 lots") {
    deposit = 2'249'872'000;
    want = 346;
  }
  SECTION("one atom less needs 347") {
    deposit = 2'249'871'999;
    want = 347;
  }
  MarketParams p = Market();
  p.liquidation.fee = Rate(50 * kBp);
  Liq h(p);
  h.Long(1, deposit, 1'000);
  h.Price(1, Ticks(280'000));
  h.Bid(280'000, 1'000);
  REQUIRE(h.Liquidate(1) == Reason::kOk);
  const events::Liquidation l = h.OnlyLiquidation();
  CHECK(l.closed.raw() == want);
  CHECK(l.fee.raw() == 140'000 * want);
  const AccountSummary s = h.Summary(1);
  CHECK(s.health_equity.raw() == deposit - 2'000'000'000 - 140'000 * want);
  CHECK(s.maintenance_requirement.raw() == 280'000 * (1'000 - want));
  CHECK_FALSE(s.liquidatable);
}

// ---------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------

// A cascade. Three longs of 1,000 lots at 30,000 with D = 2.0e9, 2.05e9 and
// 2.09e9; each is liquidatable below M where D - 3e10 + 100,000 M < 1,000 M,
// M < (3e10 - D) / 99,000: 282,828.3, 282,323.2 and 281,919.2. Bids: 300 @
// 282,400, 300 @ 282,200, 400 @ 282,100, 1,000 @ 281,800, 5,000 @ 281,000.
// The host's oracle follows this venue's trades (its only source is the
// venue's own last price, so liquidation selling that walks the book moves
// the index, and with mark_cap 0 the mark).
// 1. Oracle 282,500: account 1 E = 2e9 - 1.75e9 = 250,000,000 < MM =
//    282,500,000; account 2 E = 300,000,000 >= 282,500,000; account 3 E =
//    340,000,000. Liquidatable: account 1 only.
//    Its limit: P_b = 282,500 - 2,500 = 280,000; F = 282,500 -
//    floor(32,500,000 * 1.5 / 100,000) = 282,500 - 487 = 282,013: 282,013.
//    Fills 300 @ 282,400, 300 @ 282,200, 400 @ 282,100: notional
//    28,222,000,000; equity after 250,000,000 - (300 * 100 + 300 * 300 + 400
//    * 400) * 100 = 222,000,000; fee min(423,330,000, 222,000,000) =
//    222,000,000, keeper 11,100,000. Nobody else is liquidatable yet: the
//    mark has not moved.
// 2. Oracle 282,100 (the last trade): account 2 E = 2.05e9 - 1.79e9 =
//    260,000,000 < MM = 282,100,000; account 3 E = 300,000,000 >= 282,100,000.
//    Its limit: P_b = 282,100 - 2,600 = 279,500; F = 282,100 -
//    floor(22,100,000 * 1.5 / 100,000) = 282,100 - 331 = 281,769: 281,769.
//    Fills 1,000 @ 281,800: notional 28,180,000,000; equity after 260,000,000
//    - 300 * 1,000 * 100 = 230,000,000 = the fee (ceil(1.5%) = 422,700,000
//    capped), keeper 11,500,000.
// 3. Oracle 281,800: account 3 E = 2.09e9 - 1.82e9 = 270,000,000 < MM =
//    281,800,000: Liquidatable finds it.
TEST_CASE("Scenario: a liquidation cascade - each liquidation's selling, followed by the oracle, "
          "takes the next account below maintenance and Liquidatable finds exactly it",
          "[engine][liquidation][scenario]") {
  Liq h;
  h.Long(1, 2'000'000'000, 1'000);
  h.Long(2, 2'050'000'000, 1'000);
  h.Long(3, 2'090'000'000, 1'000);
  h.Bid(282'400, 300);
  h.Bid(282'200, 300);
  h.Bid(282'100, 400);
  h.Bid(281'800, 1'000);
  h.Bid(281'000, 5'000);
  CHECK(h.Candidates().empty());

  h.Price(1, Ticks(282'500));
  CheckCandidates(h.Candidates(), {{.account = 1,
                                    .market = 0,
                                    .health = Health::kLiquidatable,
                                    .equity = Quote(250'000'000),
                                    .maintenance = Quote(282'500'000)}});
  REQUIRE(h.Liquidate(1) == Reason::kOk);
  CheckLiquidation(h.OnlyLiquidation(), {.market = 1,
                                         .account = 1,
                                         .keeper = kKeeper,
                                         .health = 2,
                                         .closed = Lots(1'000),
                                         .position = Lots(0),
                                         .limit = Ticks(282'013),
                                         .closed_notional = Quote(28'222'000'000),
                                         .fee = Quote(222'000'000),
                                         .keeper_fee = Quote(11'100'000)});
  CHECK(h.Stats().last_trade.raw() == 282'100);
  CHECK(h.Candidates().empty());
  CHECK(h.Liquidate(2) == Reason::kLiquidationNotLiquidatable);

  h.Price(1, Ticks(282'100));
  CheckCandidates(h.Candidates(), {{.account = 2,
                                    .market = 0,
                                    .health = Health::kLiquidatable,
                                    .equity = Quote(260'000'000),
                                    .maintenance = Quote(282'100'000)}});
  REQUIRE(h.Liquidate(2) == Reason::kOk);
  CheckLiquidation(h.OnlyLiquidation(), {.market = 1,
                                         .account = 2,
                                         .keeper = kKeeper,
                                         .health = 2,
                                         .closed = Lots(1'000),
                                         .position = Lots(0),
                                         .limit = Ticks(281'769),
                                         .closed_notional = Quote(28'180'000'000),
                                         .fee = Quote(230'000'000),
                                         .keeper_fee = Quote(11'500'000)});
  CHECK(h.Candidates().empty());

  h.Price(1, Ticks(281'800));
  CheckCandidates(h.Candidates(), {{.account = 3,
                                    .market = 0,
                                    .health = Health::kLiquidatable,
                                    .equity = Quote(270'000'000),
                                    .maintenance = Quote(281'800'000)}});
  CHECK(h.Cash(kKeeper) == 11'100'000 + 11'500'000);
  CHECK(h.eng.insurance_fund().raw() == 222'000'000 - 11'100'000 + 230'000'000 - 11'500'000);
}

// A thin book. Account 1: D = 2,140,000,000, 1,000 lots long at 30,000, the
// oracle at 28,000: E = 140,000,000, MM = 280,000,000.
//   P_b = 280,000 - floor(140,000,000 / 100,000) = 278,600
//   F   = 280,000 - floor(140,000,000 * 1.5 / 100,000) = 277,900
//   limit = max(277,900, 278,600) = 278,600: the bankruptcy price binds.
// Bids 300 @ 279,000, 300 @ 278,600, 1,000 @ 278,500: the order fills 600
// and stops above 278,500; 400 lots stay.
//   notional (300 * 279,000 + 300 * 278,600) * 100 = 16,728,000,000
//   equity after 140,000,000 - (300 * 1,000 + 300 * 1,400) * 100 = 68,000,000
//   fee min(ceil(1.5% * 16,728,000,000) = 250,920,000, 68,000,000) = 68,000,000,
//   keeper 3,400,000.
// After: cash 2,140,000,000 - 3e10 + 16,728,000,000 - 68,000,000 =
// -11,200,000,000; E = -11.2e9 + 400 * 28,000,000 = 0, MM = 400 * 280,000 =
// 112,000,000: still liquidatable (0 is not below 0: not bankrupt).
TEST_CASE("Scenario: on a thin book the protection price stops the liquidation order, the rest "
          "stays and the account remains liquidatable",
          "[engine][liquidation][scenario]") {
  Liq h;
  h.Long(1, 2'140'000'000, 1'000);
  h.Price(1, Ticks(280'000));
  h.Bid(279'000, 300);
  h.Bid(278'600, 300);
  h.Bid(278'500, 1'000);
  REQUIRE(h.Liquidate(1) == Reason::kOk);
  CheckLiquidation(h.OnlyLiquidation(), {.market = 1,
                                         .account = 1,
                                         .keeper = kKeeper,
                                         .health = 2,
                                         .closed = Lots(600),
                                         .position = Lots(400),
                                         .limit = Ticks(278'600),
                                         .closed_notional = Quote(16'728'000'000),
                                         .fee = Quote(68'000'000),
                                         .keeper_fee = Quote(3'400'000)});
  const AccountSummary s = h.Summary(1);
  CHECK(s.cash.raw() == -11'200'000'000);
  CHECK(s.health_equity.raw() == 0);
  CHECK(s.health == Health::kLiquidatable);
  CHECK(s.liquidatable);
  REQUIRE(s.positions.size() == 1);
  CHECK(s.positions[0].size.raw() == 400);
  CheckCandidates(h.Candidates(), {{.account = 1,
                                    .market = 0,
                                    .health = Health::kLiquidatable,
                                    .equity = Quote(0),
                                    .maintenance = Quote(112'000'000)}});
  // The 278,500 bid is untouched.
  const auto best = h.eng.Best(1, Side::kBuy);
  REQUIRE(best.ok());
  REQUIRE(best->has_value());
  CHECK((*best)->price.raw() == 278'500);
  CHECK((*best)->total.raw() == 1'000);
}

// A short, the mirror image (liquidation.hpp: a short's bankruptcy price
// rounds down, its fillable price lies above the mark, its limit is the
// lower of the two). Account 1 deposits 2.3e9 and sells 1,000 lots at
// 30,000 (cash 2.3e9 + 3e10); the oracle rises to 32,000:
//   E = 3.23e10 - 1,000 * 320,000 * 100 = 300,000,000 < MM = 320,000,000.
//   P_b = 320,000 + floor(300,000,000 / 100,000) = 323,000
//   F   = 320,000 + floor(20,000,000 * 1.5 / 100,000) = 320,300
//   limit min(320,300, 323,000) = 320,300.
// Asks 400 @ 320,100, 400 @ 320,300, 1,000 @ 320,400: the buy fills 800 and
// stops below 320,400; 200 lots stay short.
//   notional (400 * 320,100 + 400 * 320,300) * 100 = 25,616,000,000
//   equity after 300,000,000 - (400 * 100 + 400 * 300) * 100 = 284,000,000
//   fee min(ceil(1.5% * 25,616,000,000) = 384,240,000, 284,000,000) =
//   284,000,000, keeper 14,200,000.
// After: E = 0 < MM = 200 * 320,000 = 64,000,000: still liquidatable.
TEST_CASE("Scenario: a short is liquidated by buying up to its protection price above the mark",
          "[engine][liquidation][scenario]") {
  Liq h;
  h.Open(1, 2'300'000'000);
  REQUIRE(h.Rest(kMaker, Side::kBuy, kEntry, 1'000) == Reason::kOk);
  REQUIRE(h.Order(1, OrderId(9'999), Side::kSell, Ticks(kEntry), Lots(1'000), TimeInForce::kIoc)
              .filled == Lots(1'000));
  h.Price(1, Ticks(320'000));
  REQUIRE(h.Rest(kBidder, Side::kSell, 320'100, 400) == Reason::kOk);
  REQUIRE(h.Rest(kBidder, Side::kSell, 320'300, 400) == Reason::kOk);
  REQUIRE(h.Rest(kBidder, Side::kSell, 320'400, 1'000) == Reason::kOk);
  CheckCandidates(h.Candidates(), {{.account = 1,
                                    .market = 0,
                                    .health = Health::kLiquidatable,
                                    .equity = Quote(300'000'000),
                                    .maintenance = Quote(320'000'000)}});
  REQUIRE(h.Liquidate(1) == Reason::kOk);
  CheckLiquidation(h.OnlyLiquidation(), {.market = 1,
                                         .account = 1,
                                         .keeper = kKeeper,
                                         .health = 2,
                                         .closed = Lots(800),
                                         .position = Lots(-200),
                                         .limit = Ticks(320'300),
                                         .closed_notional = Quote(25'616'000'000),
                                         .fee = Quote(284'000'000),
                                         .keeper_fee = Quote(14'200'000)});
  CheckCandidates(h.Candidates(), {{.account = 1,
                                    .market = 0,
                                    .health = Health::kLiquidatable,
                                    .equity = Quote(0),
                                    .maintenance = Quote(64'000'000)}});
}

// An account bankrupt before anyone liquidates it. Account 1: D = 2e9, 1,000
// lots long at 30,000; the oracle drops to 27,900: E = 2e9 - 2.1e9 =
// -100,000,000 < 0: bankrupt (MM 279,000,000).
//   E < 0: the limit is the fillable price alone; ABR = clamp(1 - (-1e8) /
//   2.79e8, 0, 1) = 1, F = 279,000 - floor(1.5 * 279,000,000 / 100,000) =
//   279,000 - 4,185 = 274,815.
// A bid of 1,000 @ 279,000 takes the whole position at the mark: notional
// 27,900,000,000, equity after -100,000,000, fee min(..., max(0, -1e8)) = 0.
// Nothing is left to close and the cross cash is -100,000,000: the deficit.
struct Bankrupt {
  Liq h;
  explicit Bankrupt(std::int64_t fund) {
    h.Long(1, 2'000'000'000, 1'000);
    if (fund > 0) h.Ok(FundInsurance{.amount = Quote(fund)});
    h.Price(1, Ticks(279'000));
    h.Bid(279'000, 1'000);
    const AccountSummary s = h.Summary(1);
    CHECK(s.health_equity.raw() == -100'000'000);
    CHECK(s.health == Health::kBankrupt);
    CHECK(s.liquidatable);
    CheckCandidates(h.Candidates(), {{.account = 1,
                                      .market = 0,
                                      .health = Health::kBankrupt,
                                      .equity = Quote(-100'000'000),
                                      .maintenance = Quote(279'000'000)}});
    REQUIRE(h.Liquidate(1) == Reason::kOk);
    CheckLiquidation(h.OnlyLiquidation(), {.market = 1,
                                           .account = 1,
                                           .keeper = kKeeper,
                                           .health = 3,
                                           .closed = Lots(1'000),
                                           .position = Lots(0),
                                           .limit = Ticks(274'815),
                                           .closed_notional = Quote(27'900'000'000),
                                           .fee = Quote(0),
                                           .keeper_fee = Quote(0)});
    CHECK(h.Cash(1) == 0);
    CHECK(h.Cash(kKeeper) == 0);
  }
};

// Fund 500 USD: it covers the 100 USD deficit, 400 USD stay in it.
TEST_CASE("Scenario: the insurance fund covers a bankrupt account's deficit",
          "[engine][liquidation][scenario]") {
  Bankrupt b(500'000'000);
  Liq& h = b.h;
  const auto covers = Of<events::InsuranceCover>(h.last);
  REQUIRE(covers.size() == 1);
  CHECK(covers[0] ==
        events::InsuranceCover{.market = 0, .account = 1, .amount = Quote(100'000'000)});
  CHECK(Of<events::Shortfall>(h.last).empty());
  CHECK(KindOf(WithoutWarnings(h.last).back()) == EventKind::kInsuranceCover);
  CHECK(h.eng.insurance_fund().raw() == 400'000'000);
  CHECK(h.eng.shortfall().raw() == 0);
  CHECK(h.Do(Withdraw{.account = kMaker, .amount = Quote(1'000'000)}).reason == Reason::kOk);
}

// Fund 40 USD: it pays in 40 USD and the shortfall bucket takes 60 USD.
TEST_CASE("Scenario: what the insurance fund cannot cover goes to the shortfall bucket",
          "[engine][liquidation][scenario]") {
  Bankrupt b(40'000'000);
  Liq& h = b.h;
  const auto covers = Of<events::InsuranceCover>(h.last);
  REQUIRE(covers.size() == 1);
  CHECK(covers[0] ==
        events::InsuranceCover{.market = 0, .account = 1, .amount = Quote(40'000'000)});
  const auto shortfalls = Of<events::Shortfall>(h.last);
  REQUIRE(shortfalls.size() == 1);
  CHECK(shortfalls[0] ==
        events::Shortfall{.market = 0, .account = 1, .amount = Quote(60'000'000)});
  CHECK(h.eng.insurance_fund().raw() == 0);
  CHECK(h.eng.shortfall().raw() == 60'000'000);
}

// Empty fund: the whole 100 USD goes to the shortfall bucket; withdrawals are
// gated (the maker has millions free) until FundInsurance pays it down:
// 30 USD leave 70 USD of shortfall and nothing in the fund; 100 USD more
// clear it and leave 30 USD in the fund.
TEST_CASE("Scenario: with an empty insurance fund the deficit gates withdrawals until "
          "FundInsurance pays it down",
          "[engine][liquidation][scenario]") {
  Bankrupt b(0);
  Liq& h = b.h;
  CHECK(Of<events::InsuranceCover>(h.last).empty());
  const auto shortfalls = Of<events::Shortfall>(h.last);
  REQUIRE(shortfalls.size() == 1);
  CHECK(shortfalls[0] ==
        events::Shortfall{.market = 0, .account = 1, .amount = Quote(100'000'000)});
  CHECK(h.eng.shortfall().raw() == 100'000'000);
  CHECK(h.eng.insurance_fund().raw() == 0);

  const std::string before = StateAfterCursor(h.eng);
  const Result gated = h.Do(Withdraw{.account = kMaker, .amount = Quote(1'000'000)});
  CHECK(gated.reason == Reason::kWithdrawalsGated);
  CHECK(gated.events.empty());
  CHECK((StateAfterCursor(h.eng) == before));

  Result r = h.Do(FundInsurance{.amount = Quote(30'000'000)});
  REQUIRE(r.reason == Reason::kOk);
  std::vector<Event> evs(r.events.begin(), r.events.end());
  auto paid = Of<events::Shortfall>(evs);
  REQUIRE(paid.size() == 1);
  CHECK(paid[0] ==
        events::Shortfall{.market = 0, .account = 0, .amount = Quote(-30'000'000)});
  CHECK(h.eng.shortfall().raw() == 70'000'000);
  CHECK(h.eng.insurance_fund().raw() == 0);
  CHECK(h.Do(Withdraw{.account = kMaker, .amount = Quote(1'000'000)}).reason ==
        Reason::kWithdrawalsGated);

  r = h.Do(FundInsurance{.amount = Quote(100'000'000)});
  REQUIRE(r.reason == Reason::kOk);
  evs.assign(r.events.begin(), r.events.end());
  paid = Of<events::Shortfall>(evs);
  REQUIRE(paid.size() == 1);
  CHECK(paid[0] ==
        events::Shortfall{.market = 0, .account = 0, .amount = Quote(-70'000'000)});
  CHECK(h.eng.shortfall().raw() == 0);
  CHECK(h.eng.insurance_fund().raw() == 30'000'000);
  CHECK(h.Do(Withdraw{.account = kMaker, .amount = Quote(1'000'000)}).reason == Reason::kOk);
}

// The fund's share of a liquidation fee pays the shortfall down first
// (ledger.hpp PayLiquidationFee). Accounts 1 (D = 2e9) and 2 (D = 2.3e9)
// each buy 1,000 lots at 30,000; the oracle drops to 27,900:
//   E1 = 2e9 - 2.1e9 = -100,000,000 (bankrupt), E2 = 2.3e9 - 2.1e9 =
//   200,000,000 < MM 279,000,000.
// Account 1 closes into a bid of 1,000 @ 279,000 at the mark: fee 0, deficit
// 100,000,000, empty fund: shortfall 100,000,000.
// Account 2: the whole position (1.1% < 1.5%), P_b = 279,000 -
// floor(2e8 / 1e5) = 277,000, F = 279,000 - floor(1.5 * (2.79e8 - 2e8) /
// 1e5) = 279,000 - 1,185 = 277,815, limit 277,815; it closes into a second
// bid of 1,000 @ 279,000 (notional 27,900,000,000; equity after 200,000,000);
//   fee = min(ceil(1.5% * 2.79e10) = 418,500,000, 200,000,000) = 200,000,000
//   keeper = 10,000,000; the fund's 190,000,000 pays the shortfall's
//   100,000,000 first (Shortfall -100,000,000 right after the Liquidation)
//   and keeps 90,000,000. Withdrawals are open again.
TEST_CASE("Scenario: the insurance fund's share of a liquidation fee pays the shortfall down first",
          "[engine][liquidation][scenario]") {
  Liq h;
  h.Long(1, 2'000'000'000, 1'000);
  h.Long(2, 2'300'000'000, 1'000);
  h.Price(1, Ticks(279'000));
  h.Bid(279'000, 1'000);
  REQUIRE(h.Liquidate(1) == Reason::kOk);
  REQUIRE(h.eng.shortfall().raw() == 100'000'000);
  REQUIRE(h.eng.insurance_fund().raw() == 0);

  h.Bid(279'000, 1'000);
  REQUIRE(h.Liquidate(2) == Reason::kOk);
  CheckLiquidation(h.OnlyLiquidation(), {.market = 1,
                                         .account = 2,
                                         .keeper = kKeeper,
                                         .health = 2,
                                         .closed = Lots(1'000),
                                         .position = Lots(0),
                                         .limit = Ticks(277'815),
                                         .closed_notional = Quote(27'900'000'000),
                                         .fee = Quote(200'000'000),
                                         .keeper_fee = Quote(10'000'000)});
  const std::vector<Event> money = WithoutWarnings(h.last);
  REQUIRE(money.size() >= 2);
  CHECK(KindOf(money[money.size() - 2]) == EventKind::kLiquidation);
  const Event& paid = money.back();
  REQUIRE(std::holds_alternative<events::Shortfall>(paid));
  CHECK(std::get<events::Shortfall>(paid) ==
        events::Shortfall{.market = 0, .account = 0, .amount = Quote(-100'000'000)});
  CHECK(h.eng.shortfall().raw() == 0);
  CHECK(h.eng.insurance_fund().raw() == 90'000'000);
  CHECK(h.Cash(kKeeper) == 10'000'000);
  CHECK(h.Cash(2) == 0);
  CHECK(h.Do(Withdraw{.account = kMaker, .amount = Quote(1'000'000)}).reason == Reason::kOk);
}

// A liquidation that finds nothing within its protection price is accepted
// and closes nothing (the dYdX example's account without bids: E =
// 260,000,000 < MM 280,000,000, limit 279,700): closed 0, no fee, the
// position and the candidate stay; the keeper may try again.
TEST_CASE("Liquidate: an order that finds no liquidity within its protection price closes nothing",
          "[engine][liquidation]") {
  Liq h;
  h.Long(1, 2'260'000'000, 1'000);
  h.Price(1, Ticks(280'000));
  h.Bid(279'600, 1'000);  // below the protection price
  REQUIRE(h.Liquidate(1) == Reason::kOk);
  CheckLiquidation(h.OnlyLiquidation(), {.market = 1,
                                         .account = 1,
                                         .keeper = kKeeper,
                                         .health = 2,
                                         .closed = Lots(0),
                                         .position = Lots(1'000),
                                         .limit = Ticks(279'700),
                                         .closed_notional = Quote(0),
                                         .fee = Quote(0),
                                         .keeper_fee = Quote(0)});
  CHECK(Of<events::Fill>(h.last).empty());
  CHECK(h.Cash(kKeeper) == 0);
  CheckCandidates(h.Candidates(), {{.account = 1,
                                    .market = 0,
                                    .health = Health::kLiquidatable,
                                    .equity = Quote(260'000'000),
                                    .maintenance = Quote(280'000'000)}});
}

// Found in review: a keeper's max_size must not start the cooldown, or a
// 1-lot liquidation would make the next one take the whole position (and a
// larger fee). The Binance example's book: the partial rule closes 346 lots
// (its test above); after a keeper's 1-lot call it closes no more than that.
TEST_CASE("Liquidate: a keeper's max_size does not start the cooldown that takes a whole position",
          "[engine][liquidation]") {
  MarketParams p = Market();
  p.liquidation.fee = Rate(50 * kBp);
  Liq h(p);
  h.Long(1, 2'250'000'000, 1'000);
  h.Price(1, Ticks(280'000));
  h.Bid(280'000, 2'000);
  REQUIRE(h.Liquidate(1, 0, Lots(1)) == Reason::kOk);
  CHECK(h.OnlyLiquidation().closed.raw() == 1);
  REQUIRE(h.Liquidate(1) == Reason::kOk);
  INFO(ToString(h.OnlyLiquidation()));
  CHECK(h.OnlyLiquidation().closed.raw() <= 346);
  CHECK(h.OnlyLiquidation().position.raw() > 0);
}

// The same with chunks: 5,000 lots (1.4e11 atoms, above the 1e11 threshold)
// close ceil(20% * 4,999) = 1,000 lots at a time after a keeper's 1-lot call.
TEST_CASE("Liquidate: a keeper's max_size does not bypass the chunks", "[engine][liquidation]") {
  MarketParams p = Market();
  p.liquidation.max_notional_per_command = 1'000'000'000'000;
  Liq h(p);
  h.Long(1, 11'000'000'000, 5'000);
  h.Price(1, Ticks(280'000));
  h.Bid(280'000, 5'000);
  REQUIRE(h.Liquidate(1, 0, Lots(1)) == Reason::kOk);
  REQUIRE(h.Liquidate(1) == Reason::kOk);
  INFO(ToString(h.OnlyLiquidation()));
  CHECK(h.OnlyLiquidation().closed.raw() == 1'000);
  CHECK(h.OnlyLiquidation().position.raw() == 3'999);
}

// Found in review: a bankrupt account's order may fill down to its fillable
// price at the insurance fund's cost, so it never trades with its owner's
// other accounts, whatever scope the account chose: the sibling's bid is
// cancelled (self-trade prevention, cancel the maker) and nothing fills.
TEST_CASE("Liquidate: a liquidation never trades with its owner's other accounts, whatever "
          "their self-trade scope",
          "[engine][liquidation]") {
  Liq h;
  h.Long(1, 1'900'000'000, 1'000);
  h.Ok(CreateAccount{.account = 2, .owner = 1});
  h.Ok(Deposit{.account = 2, .amount = Quote(10'000'000'000)});
  h.Ok(FundInsurance{.amount = Quote(1'000'000'000)});
  h.Ok(SetSelfTradeScope{.account = 1, .scope = SelfTradeScope::kAccount});
  h.Price(1, Ticks(280'000));  // E = -100,000,000: bankrupt
  REQUIRE(h.Rest(2, Side::kBuy, 275'800, 1'000) == Reason::kOk);
  REQUIRE(h.Liquidate(1) == Reason::kOk);
  CHECK(Of<events::Fill>(h.last).empty());
  const auto cancels = Of<events::OrderCanceled>(h.last);
  REQUIRE(cancels.size() >= 1);
  CHECK(cancels.front().account == 2);
  CHECK(cancels.front().reason == book::CancelReason::kSelfTrade);
  CHECK(Of<events::InsuranceCover>(h.last).empty());
  CHECK(h.OnlyLiquidation().closed.raw() == 0);
}

// Found in review: a cross deficit is paid first from what the account's
// isolated buckets can spare (what a withdrawal could take), not by the
// insurance fund while the account keeps money elsewhere. Account 1: cross
// 1,000 lots at 30,000 and an isolated 100-lot long in market 2 with 1e9
// more in its bucket; the cross long closes at 28,000 into a bid.
TEST_CASE("Scenario: a cross deficit takes what the account's isolated buckets can spare before "
          "the insurance fund",
          "[engine][liquidation][scenario]") {
  Liq h;
  h.AddMarket(2, Market("ETH-USD"));
  h.Open(1, 3'000'000'000);
  h.Ok(SetMarginMode{.market = 2, .account = 1, .mode = MarginMode::kIsolated});
  h.Long(1, 0, 100, 2, kEntry, false);
  h.Ok(AdjustIsolatedMargin{.market = 2, .account = 1, .delta = Quote(1'000'000'000)});
  h.Long(1, 0, 1'000, 1, kEntry, false);
  h.Ok(FundInsurance{.amount = Quote(1'000'000'000)});
  h.Price(1, Ticks(280'000));
  h.Bid(280'000, 1'000);
  REQUIRE(h.Summary(1).health_equity.raw() < 0);
  REQUIRE(h.Liquidate(1, 1) == Reason::kOk);
  const auto moves = Of<events::IsolatedMarginChanged>(h.last);
  REQUIRE(moves.size() == 1);
  CHECK(moves[0].cause == IsolatedMarginCause::kDeficit);
  CHECK(moves[0].market == 2);
  CHECK(moves[0].amount.raw() < 0);
  // The bucket could spare the whole deficit (the liquidation fee of a
  // bankrupt account is 0): the cross cash is back at exactly 0 and the
  // insurance fund paid nothing.
  CHECK(h.Cash(1) == 0);
  CHECK(Of<events::InsuranceCover>(h.last).empty());
  CHECK(h.eng.insurance_fund().raw() == 1'000'000'000);
}

// Found in review: a deficit-only liquidation cancels the account's resting
// orders too, so a bailed-out account cannot open a position on nothing.
TEST_CASE("Liquidate: covering a deficit without a position cancels the account's resting orders",
          "[engine][liquidation]") {
  Liq h;
  h.AddMarket(2, Market("ETH-USD"));
  h.Long(1, 2'000'000'000, 1'000);
  REQUIRE(h.Rest(1, Side::kBuy, 299'000, 100, 2) == Reason::kOk);
  h.Ok(FundInsurance{.amount = Quote(1'000'000'000)});
  h.Price(1, Ticks(270'000));
  h.Bid(270'000, 1'000);
  // The account closes its own long (reduce-only IOC): cash -1e9, no position.
  const Result c = h.Order(1, OrderId(777), Side::kSell, Ticks(270'000), Lots(1'000),
                           TimeInForce::kIoc, true);
  REQUIRE(c.filled.raw() == 1'000);
  REQUIRE(h.Liquidate(1, 0) == Reason::kOk);
  const auto cancels = Of<events::OrderCanceled>(h.last);
  REQUIRE(cancels.size() == 1);
  CHECK(cancels[0].reason == book::CancelReason::kLiquidation);
  CHECK(cancels[0].market == 2);
  REQUIRE(h.Rest(kMaker, Side::kSell, 299'000, 100, 2) == Reason::kOk);
  CHECK(h.Summary(1).positions.empty());
  CHECK(h.Cash(1) == 0);
}

// A deficit without a position. Account 1 (D = 2.1e9, 1,000 lots long at
// 30,000; at 28,000 E = 100,000,000) closes its own position with a
// reduce-only IOC sell into a bid at 27,000 (reducing risk is always allowed,
// and the market has no band): cash 2.1e9 - 3e10 + 2.7e10 = -900,000,000,
// no position, maintenance 0: bankrupt. Account 2 (D = 1.9e9: E =
// -100,000,000 against MM 280,000,000, ratio -0.36) is bankrupt too, but a
// deficit without requirement ranks first (engine.hpp, Liquidatable()).
// Liquidate (market 0) only covers the deficit (engine.hpp: "its Liquidate
// only covers the deficit"): no order, no Liquidation event; the fund of
// 1,000 USD pays 900 USD in and keeps 100.
TEST_CASE("Scenario: a cross account left with a deficit and no position is liquidatable first "
          "and its Liquidate only covers the deficit",
          "[engine][liquidation][scenario]") {
  Liq h;
  h.Long(1, 2'100'000'000, 1'000);
  h.Long(2, 1'900'000'000, 1'000);
  h.Ok(FundInsurance{.amount = Quote(1'000'000'000)});
  h.Price(1, Ticks(280'000));
  h.Bid(270'000, 1'000);
  const Result close =
      h.Order(1, OrderId(9'999), Side::kSell, Ticks(270'000), Lots(1'000), TimeInForce::kIoc,
              /*reduce_only=*/true);
  REQUIRE(close.reason == Reason::kOk);
  REQUIRE(close.filled.raw() == 1'000);
  const AccountSummary s = h.Summary(1);
  CHECK(s.cash.raw() == -900'000'000);
  CHECK(s.positions.empty());
  CHECK(s.health == Health::kBankrupt);
  CHECK(s.liquidatable);
  CheckCandidates(h.Candidates(), {{.account = 1,
                                    .market = 0,
                                    .health = Health::kBankrupt,
                                    .equity = Quote(-900'000'000),
                                    .maintenance = Quote(0)},
                                   {.account = 2,
                                    .market = 0,
                                    .health = Health::kBankrupt,
                                    .equity = Quote(-100'000'000),
                                    .maintenance = Quote(280'000'000)}});
  CHECK(h.Liquidate(1, 1) == Reason::kLiquidationNoPosition);
  REQUIRE(h.Liquidate(1) == Reason::kOk);
  CHECK(Of<events::Liquidation>(h.last).empty());
  CHECK(Of<events::Fill>(h.last).empty());
  const auto covers = Of<events::InsuranceCover>(h.last);
  REQUIRE(covers.size() == 1);
  CHECK(covers[0] ==
        events::InsuranceCover{.market = 0, .account = 1, .amount = Quote(900'000'000)});
  CHECK(h.Cash(1) == 0);
  CHECK(h.eng.insurance_fund().raw() == 100'000'000);
  CHECK_FALSE(h.Summary(1).liquidatable);
  CHECK(h.Candidates().size() == 1);
}

// An isolated bucket. Account 1 deposits 10,000 USD, chooses isolated margin
// in market 1 and buys 1,000 lots at 30,000: the bucket pays 3e10 for a
// position worth 3e10 and lacks the initial requirement, 5% * 3e10 =
// 1.5e9, which comes from cross cash (engine.hpp: "draws from cross cash
// whatever the bucket lacks"): bucket cash -2.85e10, isolated equity 1.5e9,
// cross cash 8.5e9. The oracle drops to 28,700: isolated equity -2.85e10 +
// 2.87e10 = 200,000,000 < MM = 287,000,000; the cross account has no
// position and 8.5e9 of cash: healthy.
//   P_b = 287,000 - floor(200,000,000 / 100,000) = 285,000
//   F   = 287,000 - floor(87,000,000 * 1.5 / 100,000) = 287,000 - 1,305 = 285,695
//   limit 285,695. A bid of 1,000 @ 287,000: notional 28,700,000,000,
//   equity after 200,000,000, fee min(430,500,000, 200,000,000) =
//   200,000,000, keeper 10,000,000. The bucket is left with 0 and returns
//   0 to cross cash: 8.5e9 untouched.
TEST_CASE("Scenario: an isolated bucket is liquidated on its own and the cross account is "
          "untouched",
          "[engine][liquidation][scenario]") {
  Liq h;
  h.Open(1, 10'000'000'000);
  h.Ok(SetMarginMode{.market = 1, .account = 1, .mode = MarginMode::kIsolated});
  h.Long(1, 0, 1'000, 1, kEntry, /*create=*/false);
  AccountSummary s = h.Summary(1);
  REQUIRE(s.positions.size() == 1);
  CHECK(s.positions[0].isolated_equity.raw() == 1'500'000'000);
  CHECK(s.cash.raw() == 8'500'000'000);

  h.Price(1, Ticks(287'000));
  h.Bid(287'000, 1'000);
  s = h.Summary(1);
  CHECK_FALSE(s.liquidatable);
  CHECK(s.health == Health::kHealthy);
  CHECK(s.liquidation_buffer.raw() == 8'500'000'000);
  // The position's view is its bucket's: 200,000,000 - 287,000,000.
  REQUIRE(s.positions.size() == 1);
  CHECK(s.positions[0].health == Health::kLiquidatable);
  CHECK(s.positions[0].liquidation_buffer.raw() == -87'000'000);
  CheckCandidates(h.Candidates(), {{.account = 1,
                                    .market = 1,
                                    .health = Health::kLiquidatable,
                                    .equity = Quote(200'000'000),
                                    .maintenance = Quote(287'000'000)}});
  // Named, or chosen by the engine (market 0: the cross account is healthy,
  // so its first liquidatable isolated bucket by market id, commands.hpp).
  MarketId named = 0;
  SECTION("the market named") { named = 1; }
  SECTION("market 0") { named = 0; }
  REQUIRE(h.Liquidate(1, named) == Reason::kOk);
  CheckLiquidation(h.OnlyLiquidation(), {.market = 1,
                                         .account = 1,
                                         .keeper = kKeeper,
                                         .isolated = true,
                                         .health = 2,
                                         .closed = Lots(1'000),
                                         .position = Lots(0),
                                         .limit = Ticks(285'695),
                                         .closed_notional = Quote(28'700'000'000),
                                         .fee = Quote(200'000'000),
                                         .keeper_fee = Quote(10'000'000)});
  s = h.Summary(1);
  CHECK(s.cash.raw() == 8'500'000'000);
  CHECK(s.positions.empty());
  CHECK(h.eng.insurance_fund().raw() == 190'000'000);
  CHECK(h.Candidates().empty());
}

// Liquidatable() ranks by equity / maintenance ascending, ties by account id
// (engine.hpp), and stops at `limit`. Five longs of 1,000 lots at 30,000,
// the oracle at 28,000 (MM 280,000,000 each, E = D - 2e9):
//   account 1, D = 2.1e9: E = 100,000,000 (ratio 0.357)
//   account 2, D = 2.0e9: E = 0          (ratio 0)
//   account 3, D = 1.9e9: E = -100,000,000, bankrupt (ratio -0.357)
//   account 4, D = 2.1e9: E = 100,000,000, the same ratio as account 1
//   account 5, D = 2.3e9: E = 300,000,000 >= MM: not liquidatable.
TEST_CASE("Liquidatable: most under-margined first, ties by account id, at most limit",
          "[engine][liquidation]") {
  Liq h;
  h.Long(1, 2'100'000'000, 1'000);
  h.Long(2, 2'000'000'000, 1'000);
  h.Long(3, 1'900'000'000, 1'000);
  h.Long(4, 2'100'000'000, 1'000);
  h.Long(5, 2'300'000'000, 1'000);
  h.Price(1, Ticks(280'000));
  const Quote mm(280'000'000);
  const std::vector<LiquidationCandidate> all = {
      {.account = 3, .market = 0, .health = Health::kBankrupt, .equity = Quote(-100'000'000),
       .maintenance = mm},
      {.account = 2, .market = 0, .health = Health::kLiquidatable, .equity = Quote(0),
       .maintenance = mm},
      {.account = 1, .market = 0, .health = Health::kLiquidatable, .equity = Quote(100'000'000),
       .maintenance = mm},
      {.account = 4, .market = 0, .health = Health::kLiquidatable, .equity = Quote(100'000'000),
       .maintenance = mm}};
  CheckCandidates(h.eng.Liquidatable(100), all);
  CheckCandidates(h.eng.Liquidatable(4), all);
  CheckCandidates(h.eng.Liquidatable(2), {all[0], all[1]});
  CHECK(h.eng.Liquidatable(0).empty());
}

// The per-command cap: at most max_notional_per_command / (mark * m) lots,
// at least one (engine.hpp, step 2). Account 1: D = 2.2e9, 1,000 lots long
// at 30,000, the oracle at 28,000: E = 200,000,000 < MM = 280,000,000; the
// whole position would go (fee 1.5% > 1.1%), 2.8e10 <= the chunk threshold.
//   cap 1e10 atoms:   floor(1e10 / 28,000,000) = 357 lots
//   cap 28,000,000:   exactly one lot's notional: 1 lot
//   cap 1 atom:       below one lot: still 1 lot.
TEST_CASE("Liquidate: the per-command notional cap bounds the lots, at least one",
          "[engine][liquidation]") {
  std::int64_t cap = 0;
  std::int64_t want = 0;
  SECTION("1e10 atoms") {
    cap = 10'000'000'000;
    want = 357;
  }
  SECTION("one lot's notional") {
    cap = 28'000'000;
    want = 1;
  }
  SECTION("one lot's notional and one atom less than two") {
    cap = 2 * 28'000'000 - 1;
    want = 1;
  }
  SECTION("two lots' notional") {
    cap = 2 * 28'000'000;
    want = 2;
  }
  SECTION("1 atom") {
    cap = 1;
    want = 1;
  }
  MarketParams p = Market();
  p.liquidation.max_notional_per_command = cap;
  Liq h(p);
  h.Long(1, 2'200'000'000, 1'000);
  h.Price(1, Ticks(280'000));
  h.Bid(280'000, 1'000);
  REQUIRE(h.Liquidate(1) == Reason::kOk);
  const events::Liquidation l = h.OnlyLiquidation();
  CHECK(l.closed.raw() == want);
  CHECK(l.position.raw() == 1'000 - want);
}

// The chunk threshold is inclusive (ChunkLots: notional <= chunk_threshold is
// the whole position). A long bought at 30,000, the oracle at 25,000:
//   4,000 lots: notional 4,000 * 250,000 * 100 = 1e11 = the threshold: whole
//     (and exactly the per-command cap, floor(1e11 / 25,000,000) = 4,000).
//     D = 20,500,000,000: E = D - 4,000 * 50,000 * 100 = 500,000,000 < MM = 1e9.
//   4,001 lots: notional 100,025,000,000 > 1e11: ceil(20% * 4,001) = 801.
//     D = 20,505,000,000: E = 500,000,000 < MM = 1,000,250,000.
// (The fee, 1.5% > 1.1%, makes the unchunked size the whole position.)
TEST_CASE("Liquidate: a position of exactly the chunk threshold closes whole, one lot more is "
          "chunked",
          "[engine][liquidation]") {
  std::int64_t lots = 0;
  std::int64_t deposit = 0;
  std::int64_t want = 0;
  SECTION("at the threshold") {
    lots = 4'000;
    deposit = 20'500'000'000;
    want = 4'000;
  }
  SECTION("one lot above") {
    lots = 4'001;
    deposit = 20'505'000'000;
    want = 801;
  }
  Liq h;
  h.Long(1, deposit, lots);
  h.Price(1, Ticks(250'000));
  h.Bid(250'000, lots);
  REQUIRE(h.Summary(1).liquidatable);
  REQUIRE(h.Liquidate(1) == Reason::kOk);
  CHECK(h.OnlyLiquidation().closed.raw() == want);
}

// A bankrupt isolated bucket: its deficit is covered into the bucket (market
// 1 in the events), never from the account's cross cash. As in the test
// above the bucket holds -2.85e10 of cash and 1,000 lots; the oracle drops
// to 28,400: bucket equity -2.85e10 + 2.84e10 = -100,000,000 (bankrupt;
// MM 284,000,000). E < 0: the limit is the fillable price alone, F = 284,000
// - floor(1.5 * 284,000,000 / 100,000) = 279,740. A bid of 1,000 @ 284,000
// closes it at the mark: notional 28,400,000,000, fee 0 (nothing above
// zero). The bucket's -100,000,000 is covered by the fund (500 USD) or,
// with an empty fund, goes to the shortfall bucket; either way the bucket
// is then 0 and cross cash stays 8.5e9.
TEST_CASE("Scenario: a bankrupt isolated bucket's deficit is covered into the bucket, not from "
          "cross cash",
          "[engine][liquidation][scenario]") {
  std::int64_t fund = 0;
  SECTION("the insurance fund covers it") { fund = 500'000'000; }
  SECTION("the shortfall bucket takes it") { fund = 0; }
  Liq h;
  h.Open(1, 10'000'000'000);
  h.Ok(SetMarginMode{.market = 1, .account = 1, .mode = MarginMode::kIsolated});
  h.Long(1, 0, 1'000, 1, kEntry, /*create=*/false);
  if (fund > 0) h.Ok(FundInsurance{.amount = Quote(fund)});
  h.Price(1, Ticks(284'000));
  h.Bid(284'000, 1'000);
  CheckCandidates(h.Candidates(), {{.account = 1,
                                    .market = 1,
                                    .health = Health::kBankrupt,
                                    .equity = Quote(-100'000'000),
                                    .maintenance = Quote(284'000'000)}});
  REQUIRE(h.Liquidate(1, 1) == Reason::kOk);
  CheckLiquidation(h.OnlyLiquidation(), {.market = 1,
                                         .account = 1,
                                         .keeper = kKeeper,
                                         .isolated = true,
                                         .health = 3,
                                         .closed = Lots(1'000),
                                         .position = Lots(0),
                                         .limit = Ticks(279'740),
                                         .closed_notional = Quote(28'400'000'000),
                                         .fee = Quote(0),
                                         .keeper_fee = Quote(0)});
  if (fund > 0) {
    const auto covers = Of<events::InsuranceCover>(h.last);
    REQUIRE(covers.size() == 1);
    CHECK(covers[0] ==
          events::InsuranceCover{.market = 1, .account = 1, .amount = Quote(100'000'000)});
    CHECK(Of<events::Shortfall>(h.last).empty());
    CHECK(h.eng.insurance_fund().raw() == 400'000'000);
    CHECK(h.eng.shortfall().raw() == 0);
  } else {
    CHECK(Of<events::InsuranceCover>(h.last).empty());
    const auto shortfalls = Of<events::Shortfall>(h.last);
    REQUIRE(shortfalls.size() == 1);
    CHECK(shortfalls[0] ==
          events::Shortfall{.market = 1, .account = 1, .amount = Quote(100'000'000)});
    CHECK(h.eng.insurance_fund().raw() == 0);
    CHECK(h.eng.shortfall().raw() == 100'000'000);
  }
  const AccountSummary s = h.Summary(1);
  CHECK(s.cash.raw() == 8'500'000'000);
  CHECK(s.positions.empty());
  CHECK(h.Candidates().empty());
}

// Several cross positions: 500 lots long in market 1 and 1,000 lots long in
// market 2, both at 30,000, with D = 2.3e9 (initial 5% of 4.5e10 = 2.25e9
// fits). Market 2's oracle drops to 28,000: E = 2.3e9 - 2e9 = 300,000,000,
// MM = 500 * 300,000 + 1,000 * 280,000 = 150,000,000 + 280,000,000 =
// 430,000,000. Liquidate with market 0 takes the largest maintenance first:
// market 2 (280,000,000), though market 1 has the lower id.
//   P_b = 280,000 - floor(300,000,000 / 100,000) = 277,000 (the cross equity
//   backs the position)
//   F   = 280,000 - floor(1 * 130,000,000 * 1.5 * 280,000,000 / 430,000,000 / 100,000)
//       = 280,000 - floor(1,269.77) = 278,731
//   limit 278,731. A bid of 1,000 @ 280,000: notional 28,000,000,000,
//   equity after 300,000,000, fee min(420,000,000, 300,000,000) =
//   300,000,000, keeper 15,000,000.
// Left: market 1's 500 lots, E = 0 < MM = 150,000,000. The next Liquidate
// (market 0) closes them: P_b = 300,000 - 0 = 300,000, the limit (F is
// below); a bid of 500 @ 300,000 fills at the mark, fee min(..., 0) = 0.
TEST_CASE("Scenario: a cross account with several positions is liquidated largest maintenance "
          "first",
          "[engine][liquidation][scenario]") {
  Liq h;
  h.AddMarket(2, Market("ETH-USD"));
  h.Open(1, 2'300'000'000);
  h.Long(1, 0, 500, 1, kEntry, /*create=*/false);
  h.Long(1, 0, 1'000, 2, kEntry, /*create=*/false);
  h.Price(2, Ticks(280'000));
  h.Bid(280'000, 1'000, 2);
  h.Bid(300'000, 500, 1);
  const AccountSummary s = h.Summary(1);
  CHECK(s.health_equity.raw() == 300'000'000);
  CHECK(s.maintenance_requirement.raw() == 430'000'000);
  CHECK(s.liquidation_buffer.raw() == -130'000'000);
  // A cross position's view is the cross account's.
  REQUIRE(s.positions.size() == 2);
  for (const PositionView& v : s.positions) {
    CHECK(v.health == Health::kLiquidatable);
    CHECK(v.liquidation_buffer.raw() == -130'000'000);
  }

  REQUIRE(h.Liquidate(1) == Reason::kOk);
  CheckLiquidation(h.OnlyLiquidation(), {.market = 2,
                                         .account = 1,
                                         .keeper = kKeeper,
                                         .health = 2,
                                         .closed = Lots(1'000),
                                         .position = Lots(0),
                                         .limit = Ticks(278'731),
                                         .closed_notional = Quote(28'000'000'000),
                                         .fee = Quote(300'000'000),
                                         .keeper_fee = Quote(15'000'000)});
  CheckCandidates(h.Candidates(), {{.account = 1,
                                    .market = 0,
                                    .health = Health::kLiquidatable,
                                    .equity = Quote(0),
                                    .maintenance = Quote(150'000'000)}});
  REQUIRE(h.Liquidate(1) == Reason::kOk);
  CheckLiquidation(h.OnlyLiquidation(), {.market = 1,
                                         .account = 1,
                                         .keeper = kKeeper,
                                         .health = 2,
                                         .closed = Lots(500),
                                         .position = Lots(0),
                                         .limit = Ticks(300'000),
                                         .closed_notional = Quote(15'000'000'000),
                                         .fee = Quote(0),
                                         .keeper_fee = Quote(0)});
  CHECK(h.Summary(1).positions.empty());
  CHECK(h.Cash(1) == 0);
}

// Self-trade prevention applies to the liquidation order with the account's
// scope (engine.hpp, step 3): account 2, of the same owner as account 1 (the
// default scope: one owner's accounts are one STP group), rests the best bid;
// the liquidation of account 1 (the dYdX example's numbers: limit 279,700)
// never trades with it, and that bid does not shield account 1 either: the
// order goes on to the bidder's 279,900 and closes all 1,000 lots (an owner
// must not be able to block its own liquidation with a bid on top).
TEST_CASE("Liquidate: the liquidation order never trades with an account of the same owner",
          "[engine][liquidation]") {
  Liq h;
  h.Long(1, 2'260'000'000, 1'000);
  h.Ok(CreateAccount{.account = 2, .owner = 1});
  h.Ok(Deposit{.account = 2, .amount = Quote(10'000'000'000)});
  h.Price(1, Ticks(280'000));
  REQUIRE(h.Rest(2, Side::kBuy, 280'000, 1'000) == Reason::kOk);
  h.Bid(279'900, 1'000);
  REQUIRE(h.Liquidate(1) == Reason::kOk);
  const auto fills = Of<events::Fill>(h.last);
  REQUIRE(fills.size() == 1);
  CHECK(fills[0].taker.account == 1);
  CHECK(fills[0].maker.account == kBidder);
  CHECK(fills[0].price.raw() == 279'900);
  CHECK(h.OnlyLiquidation().closed.raw() == 1'000);
  const AccountSummary other = h.Summary(2);
  for (const PositionView& v : other.positions) CHECK(v.size.raw() == 0);
}

// The protection price is tightened to the market's price band like any
// market order's (engine.hpp, step 3). Band 1%. Account 1: D = 2e9, 1,000
// lots long at 30,000. The oracle goes to 27,800 (band [ceil(275,220),
// floor(280,780)]), where the bidder rests 276,210 x 300 and 276,209 x 1,000,
// then to 27,900: E = -100,000,000 (bankrupt), the limit the fillable price
// alone, F = 279,000 - floor(1.5 * 279,000,000 / 100,000) = 274,815, but the
// band's lower edge is ceil(279,000 * 0.99) = 276,210. With a bid of 300 @
// 279,000 on top, the sell fills 300 @ 279,000 and 300 @ 276,210 (the edge
// is in the band) and not the 276,209 bid, though it is above 274,815:
//   notional (300 * 279,000 + 300 * 276,210) * 100 = 16,656,300,000; fee 0
//   (equity after -100,000,000 - 300 * 2,790 * 100 < 0); 400 lots stay.
TEST_CASE("Liquidate: the protection price is tightened to the price band",
          "[engine][liquidation]") {
  MarketParams p = Market();
  p.price_band = Rate(kRateScale / 100);
  Liq h(p);
  h.Long(1, 2'000'000'000, 1'000);
  h.Price(1, Ticks(278'000));
  h.Bid(276'210, 300);
  h.Bid(276'209, 1'000);
  h.Price(1, Ticks(279'000));
  h.Bid(279'000, 300);
  REQUIRE(h.Liquidate(1) == Reason::kOk);
  const events::Liquidation l = h.OnlyLiquidation();
  CHECK(l.closed.raw() == 600);
  CHECK(l.position.raw() == 400);
  CHECK(l.closed_notional.raw() == 16'656'300'000);
  CHECK(l.fee.raw() == 0);
  const auto best = h.eng.Best(1, Side::kBuy);
  REQUIRE(best.ok());
  REQUIRE(best->has_value());
  CHECK((*best)->price.raw() == 276'209);
  CHECK((*best)->total.raw() == 1'000);
}

// ---------------------------------------------------------------------------
// Refusals: each with its own reason, nothing changed, no event
// ---------------------------------------------------------------------------

// Two longs of 1,000 lots at 30,000; the oracle at 28,000 (MM 280,000,000):
//   account 1, D = 2,280,000,000: E = 280,000,000 = MM, not liquidatable;
//   account 2, D = 2,279,999,999: E = 279,999,999, one atom below: liquidatable.
// Market 2 exists with a price; neither account holds a position there.
struct Refusals {
  Liq h;
  Refusals() {
    h.AddMarket(2, Market("ETH-USD"));
    h.Long(1, 2'280'000'000, 1'000);
    h.Long(2, 2'279'999'999, 1'000);
    h.Price(1, Ticks(280'000));
    h.Bid(280'000, 2'000);
  }
  // `l` is refused with `want`, emits nothing and changes nothing.
  void Refused(const engine::Liquidate& l, Reason want) {
    const std::string before = StateAfterCursor(h.eng);
    const Result r = h.Do(l);
    CHECK(ReasonName(r.reason) == ReasonName(want));
    CHECK(r.events.empty());
    CHECK((StateAfterCursor(h.eng) == before));
  }
};

TEST_CASE("Liquidate: equity exactly at maintenance is refused, one atom below is accepted",
          "[engine][liquidation]") {
  Refusals f;
  f.Refused({.market = 0, .account = 1, .keeper = kKeeper}, Reason::kLiquidationNotLiquidatable);
  f.Refused({.market = 1, .account = 1, .keeper = kKeeper}, Reason::kLiquidationNotLiquidatable);
  const AccountSummary at = f.h.Summary(1);
  CHECK(at.health_equity.raw() == 280'000'000);
  CHECK(at.liquidation_buffer.raw() == 0);
  CHECK_FALSE(at.liquidatable);
  const AccountSummary below = f.h.Summary(2);
  CHECK(below.health_equity.raw() == 279'999'999);
  CHECK(below.liquidation_buffer.raw() == -1);
  CHECK(below.health == Health::kLiquidatable);
  CHECK(below.liquidatable);
  CheckCandidates(f.h.Candidates(), {{.account = 2,
                                      .market = 0,
                                      .health = Health::kLiquidatable,
                                      .equity = Quote(279'999'999),
                                      .maintenance = Quote(280'000'000)}});
  REQUIRE(f.h.Liquidate(2) == Reason::kOk);
  CHECK(f.h.OnlyLiquidation().account == 2);
}

TEST_CASE("Liquidate: an unknown account is refused", "[engine][liquidation]") {
  Refusals f;
  f.Refused({.market = 0, .account = 999, .keeper = kKeeper}, Reason::kUnknownAccount);
}

TEST_CASE("Liquidate: an unknown keeper is refused", "[engine][liquidation]") {
  Refusals f;
  f.Refused({.market = 0, .account = 2, .keeper = 999}, Reason::kUnknownAccount);
}

TEST_CASE("Liquidate: a keeper liquidating itself is refused", "[engine][liquidation]") {
  Refusals f;
  f.Refused({.market = 0, .account = 2, .keeper = 2}, Reason::kLiquidationSelf);
}

TEST_CASE("Liquidate: a maximum size of zero or below is refused", "[engine][liquidation]") {
  Refusals f;
  f.Refused({.market = 0, .account = 2, .keeper = kKeeper, .max_size = Lots(0)},
            Reason::kLiquidationInvalidSize);
  f.Refused({.market = 0, .account = 2, .keeper = kKeeper, .max_size = Lots(-1)},
            Reason::kLiquidationInvalidSize);
  f.Refused({.market = 1, .account = 2, .keeper = kKeeper,
             .max_size = Lots(std::numeric_limits<std::int64_t>::min())},
            Reason::kLiquidationInvalidSize);
}

// max_size 1 is the smallest accepted: it closes exactly one lot.
TEST_CASE("Liquidate: a maximum size of one lot closes one lot", "[engine][liquidation]") {
  Refusals f;
  REQUIRE(f.h.Liquidate(2, 1, Lots(1)) == Reason::kOk);
  const events::Liquidation l = f.h.OnlyLiquidation();
  CHECK(l.closed.raw() == 1);
  CHECK(l.position.raw() == 999);
}

TEST_CASE("Liquidate: an unknown market is refused", "[engine][liquidation]") {
  Refusals f;
  f.Refused({.market = 9, .account = 2, .keeper = kKeeper}, Reason::kUnknownMarket);
}

TEST_CASE("Liquidate: a market where the account has no position is refused",
          "[engine][liquidation]") {
  Refusals f;
  f.Refused({.market = 2, .account = 2, .keeper = kKeeper}, Reason::kLiquidationNoPosition);
}

TEST_CASE("Liquidate: a halted or delisted market is refused", "[engine][liquidation]") {
  Refusals f;
  MarketStatus status = MarketStatus::kHalted;
  SECTION("halted") { status = MarketStatus::kHalted; }
  SECTION("delisted") { status = MarketStatus::kDelisted; }
  f.h.Ok(SetMarketStatus{.market = 1, .status = status});
  f.Refused({.market = 1, .account = 2, .keeper = kKeeper}, Reason::kMarketHalted);
  f.Refused({.market = 0, .account = 2, .keeper = kKeeper}, Reason::kMarketHalted);
}

// The oracle price was published at now; it is usable for staleness = 60 s
// (oracle.hpp: a price exactly `staleness` old still counts). 1 ns later the
// account is still liquidatable at the last mark, but nobody can see the
// price: refused.
TEST_CASE("Liquidate: a stale index is refused", "[engine][liquidation]") {
  Refusals f;
  f.h.now += 60 * kSecond + 1;
  f.Refused({.market = 1, .account = 2, .keeper = kKeeper}, Reason::kIndexStale);
}

TEST_CASE("Liquidate: an index exactly staleness old is still usable", "[engine][liquidation]") {
  Refusals f;
  f.h.now += 60 * kSecond;
  REQUIRE(f.h.Liquidate(2, 1) == Reason::kOk);
  CHECK(f.h.OnlyLiquidation().closed.raw() == 1'000);
}

// ---------------------------------------------------------------------------
// Health in the summary
// ---------------------------------------------------------------------------

// Warning: maintenance >= 80% * equity. 1,000 lots long at 30,000, the
// oracle at 28,000 (MM 280,000,000); the boundary is E = 280,000,000 / 0.8 =
// 350,000,000, that is D = 2,350,000,000:
//   D = 2,350,000,000: E = 350,000,000, 80% of it 280,000,000 <= MM: warning;
//   D = 2,350,000,001: E = 350,000,001, 80% of it 280,000,000.8 > MM: healthy.
TEST_CASE("Summary: the warning starts exactly at the threshold margin ratio",
          "[engine][liquidation]") {
  Liq h;
  h.Long(1, 2'350'000'000, 1'000);
  h.Long(2, 2'350'000'001, 1'000);
  h.Price(1, Ticks(280'000));
  const AccountSummary w = h.Summary(1);
  CHECK(w.health == Health::kWarning);
  CHECK(w.health_equity.raw() == 350'000'000);
  CHECK(w.liquidation_buffer.raw() == 70'000'000);
  CHECK_FALSE(w.liquidatable);
  const AccountSummary ok = h.Summary(2);
  CHECK(ok.health == Health::kHealthy);
  CHECK(ok.health_equity.raw() == 350'000'001);
  CHECK(ok.liquidation_buffer.raw() == 70'000'001);
  CHECK_FALSE(ok.liquidatable);
}

// A cross account's warning margin is the sum of each market's maintenance
// over that market's threshold (types.hpp, AccountSummary::health). 500 lots
// long in each of markets 1 and 2 at 30,000 with D = 1.6e9; market 1's
// oracle drops to 28,000:
//   E = 1.6e9 - 500 * 2,000 * 100 = 600,000,000
//   MM = 140,000,000 (market 1) + 150,000,000 (market 2) = 290,000,000
//   W = 140,000,000 / 0.8 + 150,000,000 / w2 = 175,000,000 + ...
// w2 = 80%: W = 362,500,000 < E: healthy; 40%: W = 550,000,000 < E: healthy
// (the strictest threshold over the whole requirement, 290,000,000 / 0.4 =
// 725,000,000, would warn); 30%: W = 675,000,000 >= E: warning.
TEST_CASE("Summary: a cross account's warning margin is each market's maintenance over its own "
          "threshold",
          "[engine][liquidation]") {
  Rate threshold(kRateScale / 10 * 8);
  Health want = Health::kHealthy;
  SECTION("both at 80%") {
    threshold = Rate(kRateScale / 10 * 8);
    want = Health::kHealthy;
  }
  SECTION("market 2 at 40%") {
    threshold = Rate(kRateScale / 10 * 4);
    want = Health::kHealthy;
  }
  SECTION("market 2 at 30%") {
    threshold = Rate(kRateScale / 10 * 3);
    want = Health::kWarning;
  }
  Liq h;
  MarketParams p2 = Market("ETH-USD");
  p2.liquidation.warning_threshold = threshold;
  h.AddMarket(2, p2);
  h.Open(1, 1'600'000'000);
  h.Long(1, 0, 500, 1, kEntry, /*create=*/false);
  h.Long(1, 0, 500, 2, kEntry, /*create=*/false);
  h.Price(1, Ticks(280'000));
  const AccountSummary s = h.Summary(1);
  CHECK(s.health_equity.raw() == 600'000'000);
  CHECK(s.maintenance_requirement.raw() == 290'000'000);
  CHECK(s.liquidation_buffer.raw() == 310'000'000);
  CHECK(s.health == want);
  CHECK_FALSE(s.liquidatable);
}

// An account without a position is healthy whatever its cash; the keeper
// with nothing too.
TEST_CASE("Summary: an account without positions is healthy", "[engine][liquidation]") {
  Liq h;
  const AccountSummary k = h.Summary(kKeeper);
  CHECK(k.health == Health::kHealthy);
  CHECK(k.health_equity.raw() == 0);
  CHECK(k.liquidation_buffer.raw() == 0);
  CHECK_FALSE(k.liquidatable);
}

}  // namespace
}  // namespace perpcore::engine
