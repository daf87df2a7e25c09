// Test support: an engine driven one command at a time, with the clock and
// the seq kept by the harness and the invariants checked after every
// command. Money is in 1e-6 USDC atoms; the market helpers are BTC-USD with
// a 0.1 USD tick and a 0.001 BTC lot, so one tick of one lot is 100 atoms,
// 30,000 USD is 300,000 ticks and 1 BTC is 1,000 lots.
#ifndef PERPCORE_TESTS_SUPPORT_ENGINE_HARNESS_HPP_
#define PERPCORE_TESTS_SUPPORT_ENGINE_HARNESS_HPP_

#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <utility>
#include <variant>
#include <vector>

#include "perpcore/engine/engine.hpp"

namespace perpcore::testing {

inline constexpr std::int64_t kUsd = 1'000'000;  // atoms per USD
inline constexpr std::int64_t kBtc = 1'000;      // lots per BTC
inline constexpr std::int64_t kSecond = 1'000'000'000;
constexpr Ticks Usd(std::int64_t dollars) { return Ticks(dollars * 10); }

inline std::shared_ptr<const engine::MarketParams> Shared(engine::MarketParams p) {
  return std::make_shared<const engine::MarketParams>(std::move(p));
}

// Of<E>(): the events of kind E among `events`, in order.
template <class E>
std::vector<E> Of(const std::vector<engine::Event>& events) {
  std::vector<E> out;
  for (const engine::Event& e : events) {
    if (const E* x = std::get_if<E>(&e)) out.push_back(*x);
  }
  return out;
}

class EngineHarness {
 public:
  explicit EngineHarness(engine::EngineConfig config = {}) : eng(config) {}

  // Applies `p` at now + advance_ns (the harness's clock moves on).
  engine::Result Do(engine::Payload p, std::int64_t advance_ns = 0) {
    now += advance_ns;
    absl::StatusOr<engine::Result> r =
        eng.Apply(engine::Command{eng.last_seq() + 1, TimeNs(now), std::move(p)});
    REQUIRE(r.ok());
    const absl::Status invariants = eng.CheckInvariants();
    INFO(invariants.message());
    REQUIRE(invariants.ok());
    return *r;
  }
  void Ok(engine::Payload p, std::int64_t advance_ns = 0) {
    const engine::Result r = Do(std::move(p), advance_ns);
    INFO(ReasonName(r.reason));
    REQUIRE(r.ok());
  }
  // Applies `p` at exactly time `at` (>= now).
  engine::Result At(std::int64_t at, engine::Payload p) {
    REQUIRE(at >= now);
    return Do(std::move(p), at - now);
  }
  // An account of its own owner with `usd` dollars deposited.
  void Account(AccountId id, std::int64_t usd) {
    Ok(engine::CreateAccount{.account = id, .owner = OwnerId(id.value())});
    if (usd > 0) Ok(engine::Deposit{.account = id, .amount = Quote(usd * kUsd)});
  }
  void Price(MarketId m, Ticks price, SourceId source = 1) {
    Ok(engine::OraclePrice{
        .market = m, .source = source, .price = price, .publish_time = TimeNs(now)});
  }
  engine::Result Order(AccountId account, OrderId id, Side side, Ticks price, Lots size,
                       engine::TimeInForce tif = engine::TimeInForce::kGtc,
                       bool reduce_only = false,
                       MarketId market = 1) {
    return Do(engine::PlaceOrder{.market = market,
                                 .account = account,
                                 .order_id = id,
                                 .side = side,
                                 .tif = tif,
                                 .reduce_only = reduce_only,
                                 .price = price,
                                 .size = size});
  }
  engine::MarketStats Stats(MarketId m = 1) const {
    auto s = eng.Stats(m);
    REQUIRE(s.ok());
    return *s;
  }
  engine::AccountSummary Summary(AccountId id) const {
    auto s = eng.Summary(id);
    REQUIRE(s.ok());
    return *s;
  }

  engine::Engine eng;
  std::int64_t now = kSecond;
};

}  // namespace perpcore::testing

#endif  // PERPCORE_TESTS_SUPPORT_ENGINE_HARNESS_HPP_
