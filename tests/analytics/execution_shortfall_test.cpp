// EstimateShortfall(): hand-worked walks, then a plan scored against a real
// engine's book (the Depth query) and checked by executing the children on a
// copy of the engine and by the engine's own PreviewOrder.
#include <catch2/catch.hpp>

#include <cmath>
#include <memory>
#include <vector>

#include "perpcore/analytics/execution_plan.hpp"
#include "perpcore/engine/engine.hpp"

namespace perpcore::analytics {
namespace {

using book::LevelView;
using book::OrderType;
using book::Side;

// Bids 100 x 3 lots, 99 x 2 lots, 97 x 4 lots; tick 1, lot 1.
const std::vector<LevelView> kBids = {{Ticks(100), Lots(3), 1}, {Ticks(99), Lots(2), 1},
                                      {Ticks(97), Lots(4), 2}};

ShortfallInput Sale(const std::vector<ChildOrder>& children, BookRecovery recovery) {
  return ShortfallInput{.children = children, .arrival_price = 100.5, .fee_rate = 0.001,
                        .tick_size = 1, .lot_size = 1, .opposite = kBids,
                        .recovery = recovery};
}

ChildOrder Sell(OrderType type, std::int64_t price, std::int64_t size) {
  return ChildOrder{.side = Side::kSell, .type = type, .price = Ticks(price), .size = Lots(size)};
}

TEST_CASE("Shortfall: children deplete one snapshot in turn", "[analytics][shortfall]") {
  const std::vector<ChildOrder> children = {Sell(OrderType::kLimit, 100, 2),
                                            Sell(OrderType::kMarket, 98, 3)};
  const auto e = EstimateShortfall(Sale(children, BookRecovery::kDepleting));
  REQUIRE(e.ok());
  // Child 1: 2 @ 100 = 200; 201 - 200 + 0.2 fees.
  REQUIRE(e->fills.size() == 2);
  CHECK(e->fills[0].filled == Lots(2));
  CHECK(e->fills[0].notional == 200);
  CHECK(e->fills[0].shortfall == Approx(1.2).epsilon(1e-15));
  // Child 2: the 1 lot left at 100, then 2 @ 99 = 298; stops above 97.
  CHECK(e->fills[1].filled == Lots(3));
  CHECK(e->fills[1].notional == 298);
  CHECK(e->fills[1].average_price == Approx(298.0 / 3).epsilon(1e-15));
  CHECK(e->fills[1].shortfall == Approx(301.5 - 298 + 0.298).epsilon(1e-15));
  CHECK(e->filled == Lots(5));
  CHECK(e->unfilled == Lots(0));
  CHECK(e->notional == 498);
  CHECK(e->fees == Approx(0.498).epsilon(1e-15));
  CHECK(e->shortfall == Approx(502.5 - 498 + 0.498).epsilon(1e-15));
  CHECK(e->shortfall_bp == Approx(1e4 * 4.998 / 502.5).epsilon(1e-15));
}

TEST_CASE("Shortfall: a resilient book shows every child the whole snapshot",
          "[analytics][shortfall]") {
  const std::vector<ChildOrder> children = {Sell(OrderType::kLimit, 100, 2),
                                            Sell(OrderType::kMarket, 98, 3)};
  const auto e = EstimateShortfall(Sale(children, BookRecovery::kResilient));
  REQUIRE(e.ok());
  CHECK(e->fills[1].notional == 300);  // 3 @ 100 again
  CHECK(e->notional == 500);
  CHECK(e->shortfall == Approx(502.5 - 500 + 0.5).epsilon(1e-15));
}

TEST_CASE("Shortfall: a child stops at its limit and the rest is reported unfilled",
          "[analytics][shortfall]") {
  const std::vector<ChildOrder> children = {Sell(OrderType::kLimit, 100, 5)};
  const auto e = EstimateShortfall(Sale(children, BookRecovery::kDepleting));
  REQUIRE(e.ok());
  CHECK(e->filled == Lots(3));
  CHECK(e->unfilled == Lots(2));
  CHECK(e->fills[0].unfilled == Lots(2));
  CHECK(e->shortfall == Approx(301.5 - 300 + 0.3).epsilon(1e-15));
}

TEST_CASE("Shortfall: a purchase pays above the arrival price", "[analytics][shortfall]") {
  const std::vector<LevelView> asks = {{Ticks(101), Lots(1), 1}, {Ticks(103), Lots(5), 1}};
  const std::vector<ChildOrder> children = {
      ChildOrder{.side = Side::kBuy, .type = OrderType::kMarket, .price = Ticks(103),
                 .size = Lots(3)}};
  const auto e = EstimateShortfall(ShortfallInput{.children = children, .arrival_price = 100.5,
                                                  .tick_size = 0.5, .lot_size = 2,
                                                  .opposite = asks});
  REQUIRE(e.ok());
  // 1 @ 101 + 2 @ 103 ticks of 0.5, lots of 2 units: (101 + 206) * 0.5 * 2 = 307.
  CHECK(e->notional == 307);
  CHECK(e->average_price == Approx(307.0 / 6).epsilon(1e-15));
  CHECK(e->shortfall == Approx(307 - 100.5 * 6).epsilon(1e-15));
}

TEST_CASE("Shortfall: bad input names the field", "[analytics][shortfall]") {
  const std::vector<ChildOrder> one = {Sell(OrderType::kLimit, 100, 1)};
  const std::vector<ChildOrder> mixed = {
      Sell(OrderType::kLimit, 100, 1),
      ChildOrder{.side = Side::kBuy, .price = Ticks(100), .size = Lots(1)}};
  const std::vector<ChildOrder> empty_size = {Sell(OrderType::kLimit, 100, 0)};
  const std::vector<LevelView> unsorted = {{Ticks(99), Lots(1), 1}, {Ticks(100), Lots(1), 1}};
  struct Case {
    const char* field;
    ShortfallInput in;
  };
  std::vector<Case> cases = {
      {"children", Sale({}, BookRecovery::kDepleting)},
      {"children", Sale(mixed, BookRecovery::kDepleting)},
      {"children", Sale(empty_size, BookRecovery::kDepleting)},
      {"arrival_price", Sale(one, BookRecovery::kDepleting)},
      {"tick_size", Sale(one, BookRecovery::kDepleting)},
      {"lot_size", Sale(one, BookRecovery::kDepleting)},
      {"fee_rate", Sale(one, BookRecovery::kDepleting)},
      {"recovery", Sale(one, static_cast<BookRecovery>(7))},
      {"opposite", Sale(one, BookRecovery::kDepleting)},
      {"opposite", Sale(one, BookRecovery::kDepleting)},
  };
  cases[3].in.arrival_price = std::nan("");
  cases[4].in.tick_size = 0;
  cases[5].in.lot_size = -1;
  cases[6].in.fee_rate = -0.001;
  cases[8].in.opposite = {};
  cases[9].in.opposite = unsorted;
  for (const Case& c : cases) {
    const auto e = EstimateShortfall(c.in);
    INFO(c.field << ": " << e.status().message());
    REQUIRE(e.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(e.status().message().find(c.field) != absl::string_view::npos);
  }
}

// --- against the engine -------------------------------------------------
// BTC-USD with a 0.1 USD tick and a 0.001 BTC lot; money in 1e-6 USD atoms.
// The analytics run in lots and atoms: one tick is 100 atoms per lot.
constexpr std::int64_t kUsd = 1'000'000;

struct Exchange {
  engine::Engine eng{engine::EngineConfig{}};
  std::int64_t now = 1'000'000'000;

  void Ok(engine::Payload p) {
    const absl::StatusOr<engine::Result> r =
        eng.Apply(engine::Command{eng.last_seq() + 1, TimeNs(now), std::move(p)});
    REQUIRE(r.ok());
    INFO(perpcore::ReasonName(r->reason));
    REQUIRE(r->ok());
  }
};

// A market with the given taker fee, no maker fee and no band, a maker (1)
// bidding on ten levels under 30,000 and asking at 30,010, a taker (2) with
// 10M USD.
Exchange BookedExchange(Rate taker_fee) {
  Exchange x;
  engine::MarketParams m;
  m.symbol = "BTC-USD";
  m.tick_size = {1, -1};
  m.lot_size = {1, -3};
  m.max_order_size = Lots(100'000);
  m.max_open_interest = Lots(1'000'000);
  m.max_price = Ticks(10'000'000);
  m.max_leverage = 20;
  m.tiers = {{Quote(0), 20, Rate(kRateScale / 100)}};
  m.oracle.min_sources = 1;
  m.maker_fee = Rate(0);
  m.taker_fee = taker_fee;
  x.Ok(engine::CreateMarket{.market = 1,
                            .params = std::make_shared<const engine::MarketParams>(m)});
  x.Ok(engine::OraclePrice{.market = 1, .source = 1, .price = Ticks(300'000),
                           .publish_time = TimeNs(x.now)});
  // 1u: the run-time constructor (Clang 14 crashes on the consteval one
  // inside an initializer list).
  for (AccountId a : {AccountId(1u), AccountId(2u)}) {
    x.Ok(engine::CreateAccount{.account = a, .owner = OwnerId(a.value())});
    x.Ok(engine::Deposit{.account = a, .amount = Quote(10'000'000 * kUsd)});
  }
  for (int i = 0; i < 10; ++i) {
    x.Ok(engine::PlaceOrder{.market = 1,
                            .account = 1,
                            .order_id = OrderId(100u + static_cast<unsigned>(i)),
                            .side = Side::kBuy,
                            .price = Ticks(299'900 - 50 * i),
                            .size = Lots(150 + 40 * i)});
  }
  x.Ok(engine::PlaceOrder{.market = 1,
                          .account = 1,
                          .order_id = 99,
                          .side = Side::kSell,
                          .price = Ticks(300'100),
                          .size = Lots(500)});
  return x;
}

struct EnginePlan {
  std::vector<LevelView> bids;
  Plan plan;
};

// A straight-line sale of 3,000 lots (3 BTC) in ten children, planned
// against the engine's bids (the Depth query).
EnginePlan PlanOn(const Exchange& x) {
  EnginePlan out;
  out.bids.resize(20);
  const auto n = x.eng.Depth(1, Side::kBuy, out.bids);
  REQUIRE(n.ok());
  out.bids.resize(*n);
  std::vector<double> holdings;
  for (int k = 0; k <= 10; ++k) holdings.push_back(3000.0 - 300.0 * k);
  const AcParams model{.shares = 3000, .horizon = 10, .intervals = 10, .eta = 1};
  auto plan = MakePlan(PlanInput{.model = model, .holdings = holdings, .price = 30'000'000,
                                 .tick_size = 100, .lot_size = 1, .opposite = out.bids});
  REQUIRE(plan.ok());
  out.plan = *std::move(plan);
  return out;
}

engine::PlaceOrder ChildCommand(const ChildOrder& c, OrderId id) {
  return engine::PlaceOrder{.market = 1,
                            .account = 2,
                            .order_id = id,
                            .side = c.side,
                            .type = c.type,
                            .tif = book::TimeInForce::kIoc,
                            .price = c.price,
                            .size = c.size};
}

TEST_CASE("Shortfall: the depleting estimate equals executing the children on the engine",
          "[analytics][shortfall][engine]") {
  const Exchange x = BookedExchange(Rate(0));
  const auto digest = x.eng.Digest();
  const EnginePlan p = PlanOn(x);
  REQUIRE(p.plan.children.size() == 10);
  const auto e = EstimateShortfall(ShortfallInput{
      .children = p.plan.children, .arrival_price = 30'000'000, .tick_size = 100,
      .lot_size = 1, .opposite = p.bids, .recovery = BookRecovery::kDepleting});
  REQUIRE(e.ok());
  CHECK(x.eng.Digest() == digest);  // the estimate only read the book
  CHECK(e->unfilled.raw() > 0);     // later children find their levels gone

  Exchange run = x;  // execute on a copy
  const std::int64_t cash0 = run.eng.Summary(2)->cash.raw();
  std::int64_t position = 0;
  for (std::size_t i = 0; i < p.plan.children.size(); ++i) {
    run.Ok(ChildCommand(p.plan.children[i], static_cast<OrderId>(1000 + i)));
    const auto s = run.eng.Summary(2);
    REQUIRE(s.ok());
    const std::int64_t now_position = s->positions.empty() ? 0 : s->positions[0].size.raw();
    INFO("child " << i);
    CHECK(position - now_position == e->fills[i].filled.raw());
    position = now_position;
  }
  CHECK(-position == e->filled.raw());
  // No fees on this market: the cash a short receives is the notional, in atoms.
  CHECK(static_cast<double>(run.eng.Summary(2)->cash.raw() - cash0) == e->notional);
  CHECK(e->shortfall == 30'000'000.0 * static_cast<double>(e->filled.raw()) - e->notional);
}

TEST_CASE("Shortfall: the resilient estimate of each child equals the engine's preview",
          "[analytics][shortfall][engine]") {
  const Exchange x = BookedExchange(Rate(5 * kRateScale / 10'000));  // 5 bp
  const EnginePlan p = PlanOn(x);
  const auto e = EstimateShortfall(ShortfallInput{
      .children = p.plan.children, .arrival_price = 30'000'000, .fee_rate = 5e-4,
      .tick_size = 100, .lot_size = 1, .opposite = p.bids,
      .recovery = BookRecovery::kResilient});
  REQUIRE(e.ok());
  CHECK(e->unfilled == Lots(0));
  for (std::size_t i = 0; i < p.plan.children.size(); ++i) {
    const auto preview =
        x.eng.PreviewOrder(ChildCommand(p.plan.children[i], static_cast<OrderId>(1000 + i)));
    REQUIRE(preview.ok());
    INFO("child " << i);
    CHECK(preview->fill_size == e->fills[i].filled);
    CHECK(static_cast<double>(preview->fill_notional.raw()) == e->fills[i].notional);
    // The engine charges the fee in whole atoms, rounded up.
    CHECK(static_cast<double>(preview->fee.raw()) == std::ceil(e->fills[i].fees));
  }
}

}  // namespace
}  // namespace perpcore::analytics
