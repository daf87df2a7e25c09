// Scenarios from public post-mortems, replayed against the withdrawal rules
// of issue 11 (engine.hpp, "Withdrawals"). Each scenario keeps the shape of
// the incident with round figures; every figure asserted is worked out by
// hand in the comment above it. Money is in 1e-6 USD atoms; fees are zero so
// that the arithmetic shows only the rule.
#include <catch2/catch.hpp>

#include <memory>
#include <utility>

#include "perpcore/engine/engine.hpp"
#include "support/catch_ids.hpp"

namespace perpcore::engine {
namespace {

constexpr std::int64_t kUsd = 1'000'000;
constexpr std::int64_t kSec = 1'000'000'000;
constexpr Rate Percent(std::int64_t pct) { return Rate(pct * (kRateScale / 100)); }

class Scenario {
 public:
  Scenario() : eng(EngineConfig{}) {}

  Result Do(Payload p) {
    absl::StatusOr<Result> r = eng.Apply(Command{eng.last_seq() + 1, TimeNs(now), std::move(p)});
    REQUIRE(r.ok());
    REQUIRE(eng.CheckInvariants().ok());
    return *r;
  }
  void Ok(Payload p) {
    const Result r = Do(std::move(p));
    INFO(ReasonName(r.reason));
    REQUIRE(r.ok());
  }
  void Market(MarketParams p) {
    Ok(CreateMarket{.market = 1, .params = std::make_shared<const MarketParams>(std::move(p))});
  }
  void Account(AccountId id, std::int64_t usd) {
    Ok(CreateAccount{.account = id, .owner = OwnerId(id.value())});
    Ok(Deposit{.account = id, .amount = Quote(usd * kUsd)});
  }
  void Price(std::int64_t ticks) {
    Ok(OraclePrice{.market = 1, .source = 1, .price = Ticks(ticks), .publish_time = TimeNs(now)});
  }
  // `seller` rests an ask of `lots` at `ticks`, `buyer` takes it (IOC).
  void Trade(AccountId seller, AccountId buyer, std::int64_t ticks, std::int64_t lots) {
    Ok(PlaceOrder{.market = 1, .account = seller, .order_id = OrderId(++orders), .side = Side::kSell,
                  .price = Ticks(ticks), .size = Lots(lots)});
    const Result r = Do(PlaceOrder{.market = 1, .account = buyer, .order_id = OrderId(++orders),
                                   .side = Side::kBuy, .tif = TimeInForce::kIoc,
                                   .price = Ticks(ticks), .size = Lots(lots)});
    REQUIRE(r.ok());
    REQUIRE(r.filled == Lots(lots));
  }
  Reason Withdraw(AccountId id, std::int64_t atoms) {
    return Do(engine::Withdraw{.account = id, .amount = Quote(atoms)}).reason;
  }
  std::int64_t Free(AccountId id) const { return eng.Summary(id)->free_collateral.raw(); }
  MarketStats Stats() const { return *eng.Stats(1); }

  Engine eng;
  std::int64_t now = 30 * kSec;  // a multiple of the TWAP buckets' 30 s
  std::uint64_t orders = 0;  // order ids handed out
};

// ---------------------------------------------------------------------------
// Mango Markets, 11 October 2022
// ---------------------------------------------------------------------------
// From Mango's and the auditors' public accounts: one trader funded two
// accounts, and one sold about 483 million MNGO-PERP to the other at about
// $0.038. He then bought MNGO on the thin spot venues the oracle read, and
// the oracle price rose roughly tenfold within minutes. The long's
// unrealized profit, several hundred million dollars at the pumped price,
// counted as collateral, and he borrowed and withdrew about $110 million:
// every deposit the venue held. The price fell back within the hour; the
// short's loss was never paid. Mango valued collateral at the oracle price
// and nothing checked that the profit was backed.
//
// Here: MNGO-USD with a 0.0001 USD tick and a 1 MNGO lot (100 atoms per
// tick-lot), 10x, no fees. Honest depositors hold 20M USD; the attacker's
// short (account 1) and long (account 2) hold 5M each. The long buys
// 100M MNGO at 0.04 (400 ticks): notional 4M, cost 4M, cash 5M - 4M = 1M.
// The index sits at 0.04 for half an hour, then is pumped to 0.24 and a
// minute later to 0.44 (+1000%, 4,400 ticks).
MarketParams Mngo() {
  MarketParams p;
  p.symbol = "MNGO-USD";
  p.tick_size = {1, -4};
  p.lot_size = {1, 0};
  p.max_order_size = Lots(1'000'000'000);
  p.max_open_interest = Lots(1'000'000'000);
  p.max_price = Ticks(100'000);
  p.max_leverage = 10;
  p.tiers = {{Quote(0), 10, Percent(5)}};
  p.maker_fee = Rate(0);
  p.taker_fee = Rate(0);
  return p;
}

Scenario MangoPumped(MarketParams p) {
  Scenario s;
  s.Market(std::move(p));
  s.Price(400);
  s.Account(1, 5'000'000);
  s.Account(2, 5'000'000);
  s.Account(3, 20'000'000);
  s.Trade(1, 2, 400, 100'000'000);
  s.now += 1'800 * kSec;
  s.Price(400);
  s.now += 60 * kSec;
  s.Price(2'400);
  s.now += 60 * kSec;
  s.Price(4'400);
  return s;
}

// Without a breaker (the default oracle has no deviation guard). At the
// last publish (t = 1,950 s, a bucket boundary) the 30-minute TWAP window is
// (150 s, 1,950 s]: 1,740 s at 400 ticks and 60 s at 2,400 (the 4,400 only
// counts from now on): (400 * 1,740 + 2,400 * 60) / 1,800 = 466.67, 467
// ticks half-even. The mark is the median of the index 4,400, the last trade
// 400 and the index again: 4,400.
// At the mark the long is worth 100M * 4,400 * 100 atoms = 44M USD: equity
// 45M, and 45M - 4.4M initial = 40.6M was free before issue 11.
// Now the profit counts at the TWAP: 100M * 467 * 100 atoms = 4.67M, a
// profit of 0.67M; withdrawable equity 1M + 4M + 0.67M = 5.67M, against
// max(initial 10% of 44M, 10% of 44M) = 4.4M: 1.27M USD may leave, and
// 40.6M cannot.
TEST_CASE("Scenario Mango Markets 2022: a pumped oracle's profit leaves only as far as the TWAP "
          "backs it",
          "[engine][scenario]") {
  Scenario s = MangoPumped(Mngo());
  REQUIRE_FALSE(s.Stats().breaker);
  REQUIRE(s.Stats().twap == Ticks(467));
  REQUIRE(s.Stats().mark == Ticks(4'400));
  CHECK(s.Withdraw(2, 40'600'000 * kUsd) == Reason::kInsufficientCollateral);
  CHECK(s.Free(2) == 1'270'000 * kUsd);
  CHECK(s.Withdraw(2, 1'270'000 * kUsd + 1) == Reason::kInsufficientCollateral);
  CHECK(s.Withdraw(2, 1'270'000 * kUsd) == Reason::kOk);
  // The short is deep under water at the pumped mark: nothing leaves it.
  CHECK(s.Free(1) == 0);
  CHECK(s.Withdraw(1, 1) == Reason::kInsufficientCollateral);
}

// With the TWAP guard at 50%: the jump to 2,400 ticks against a TWAP of 400
// trips the breaker, and 4,400 keeps it tripped. The long then counts no
// profit at all, and its loss at the last index 4,400 moved 10% down,
// 3,960, is none (it bought at 400): withdrawable equity is its 5M, against
// max(4.4M, 4.4M): 0.6M USD may leave, its own money, not the pump's.
TEST_CASE("Scenario Mango Markets 2022: with the breaker tripped no unrealized profit leaves",
          "[engine][scenario]") {
  MarketParams p = Mngo();
  p.oracle.max_twap_deviation = Percent(50);
  Scenario s = MangoPumped(p);
  REQUIRE(s.Stats().breaker);
  REQUIRE(s.Stats().mark == Ticks(4'400));
  CHECK(s.Free(2) == 600'000 * kUsd);
  CHECK(s.Withdraw(2, 600'000 * kUsd + 1) == Reason::kInsufficientCollateral);
  CHECK(s.Withdraw(2, 600'000 * kUsd) == Reason::kOk);
}

// ---------------------------------------------------------------------------
// Hyperliquid, the ETH whale of 12 March 2025
// ---------------------------------------------------------------------------
// From Hyperliquid's public statement: one trader opened an ETH long of
// roughly 160,000 ETH (about $300M) with about $15M, then withdrew about
// $17M, unrealized profit included, as the rules then allowed anything above
// the initial margin of a 50x position. What was left could not carry the
// position; it was liquidated into the HLP vault, which lost about $4M
// closing it. The venue then lowered ETH's maximum leverage and required
// transfers out of margin to leave at least a fraction of the total
// notional (the rule EngineConfig::withdraw_margin_fraction follows, 10% by
// default).
//
// Here: ETH-USD with a 0.01 USD tick and a 0.01 ETH lot (100 atoms per
// tick-lot), 50x, no fees. The whale (account 2) deposits 15M and buys
// 160,000 ETH (16M lots) at 1,900 USD from account 1 (20M): notional 304M,
// cost 304M, cash -289M. The index rises to 1,950 and stays there past the
// 30-minute TWAP window, so the profit, 160,000 * 50 = 8M, is fully backed
// by the TWAP: this is not a manipulated price, only a thin margin.
MarketParams Eth() {
  MarketParams p;
  p.symbol = "ETH-USD";
  p.tick_size = {1, -2};
  p.lot_size = {1, -2};
  p.max_order_size = Lots(20'000'000);
  p.max_open_interest = Lots(20'000'000);
  p.max_price = Ticks(1'000'000);
  p.max_leverage = 50;
  p.tiers = {{Quote(0), 50, Percent(1)}};
  p.maker_fee = Rate(0);
  p.taker_fee = Rate(0);
  return p;
}

// Equity 15M + 8M = 23M. Notional 16M lots * 195,000 ticks * 100 = 312M;
// initial margin at 50x 6.24M, so 23M - 6.24M = 16.76M was withdrawable
// before issue 11 (the withdrawal of the incident). 10% of the notional is
// 31.2M, above the equity: nothing may leave. Topped up to exactly 31.2M
// (a deposit of 8.2M), still nothing; one atom more and that atom may.
TEST_CASE("Scenario Hyperliquid ETH whale 2025: withdrawing profit below 10% of notional is "
          "refused",
          "[engine][scenario]") {
  Scenario s;
  s.Market(Eth());
  s.Price(190'000);
  s.Account(1, 20'000'000);
  s.Account(2, 15'000'000);
  s.Trade(1, 2, 190'000, 16'000'000);
  s.now += 30 * kSec;
  s.Price(195'000);
  s.now += 2'400 * kSec;
  s.Price(195'000);
  REQUIRE(s.Stats().twap == Ticks(195'000));
  REQUIRE(s.eng.Summary(2)->equity == Quote(23'000'000 * kUsd));
  REQUIRE(s.eng.Summary(2)->initial_requirement == Quote(6'240'000 * kUsd));
  CHECK(s.Withdraw(2, 16'760'000 * kUsd) == Reason::kInsufficientCollateral);
  CHECK(s.Free(2) == 0);
  CHECK(s.Withdraw(2, 1) == Reason::kInsufficientCollateral);
  s.Ok(Deposit{.account = 2, .amount = Quote(8'200'000 * kUsd)});
  CHECK(s.Withdraw(2, 1) == Reason::kInsufficientCollateral);
  s.Ok(Deposit{.account = 2, .amount = Quote(1)});
  CHECK(s.Free(2) == 1);
  CHECK(s.Withdraw(2, 2) == Reason::kInsufficientCollateral);
  CHECK(s.Withdraw(2, 1) == Reason::kOk);
}

}  // namespace
}  // namespace perpcore::engine
