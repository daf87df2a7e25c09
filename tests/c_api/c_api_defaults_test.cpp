// The C header's static inline initializers must give the C++ defaults
// (perpcore/engine/types.hpp): the two are written separately, so this
// test keeps them equal. The analytics initializers are in the header's
// experimental part, hence the opt-in before any include.
#define PERPCORE_EXPERIMENTAL

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "perpcore/analytics/execution.hpp"
#include "perpcore/analytics/execution_ext.hpp"
#include "perpcore/core/reason.hpp"
#include "perpcore/engine/types.hpp"
#include "perpcore/perpcore.h"

namespace perpcore::engine {
namespace {

TEST_CASE("CApi: perpcore_market_params_init gives MarketParams' defaults", "[c_api]") {
  perpcore_market_params c;
  perpcore_market_params_init(&c);
  const MarketParams d;
  CHECK(c.struct_size == sizeof c);
  CHECK(std::string(c.symbol) == d.symbol);
  CHECK(c.tick_size_mantissa == d.tick_size.mantissa);
  CHECK(c.tick_size_exponent == d.tick_size.exponent);
  CHECK(c.lot_size_mantissa == d.lot_size.mantissa);
  CHECK(c.lot_size_exponent == d.lot_size.exponent);
  CHECK(c.max_order_size == d.max_order_size.raw());
  CHECK(c.max_open_interest == d.max_open_interest.raw());
  CHECK(c.max_price == d.max_price.raw());
  CHECK(c.price_band == d.price_band.raw());
  CHECK(c.max_leverage == d.max_leverage);
  REQUIRE(c.tier_count == d.tiers.size());
  for (std::size_t i = 0; i < d.tiers.size(); ++i) {
    CHECK(c.tiers[i].notional_floor == d.tiers[i].notional_floor.raw());
    CHECK(c.tiers[i].max_leverage == d.tiers[i].max_leverage);
    CHECK(c.tiers[i].maintenance_rate == d.tiers[i].maintenance_rate.raw());
  }
  CHECK(c.maker_fee == d.maker_fee.raw());
  CHECK(c.taker_fee == d.taker_fee.raw());
  CHECK(c.oracle.staleness_ns == d.oracle.staleness.raw());
  CHECK(c.oracle.min_sources == d.oracle.min_sources);
  CHECK(c.oracle.max_source_deviation == d.oracle.max_source_deviation.raw());
  CHECK(c.oracle.max_twap_deviation == d.oracle.max_twap_deviation.raw());
  CHECK(c.oracle.twap_window_ns == d.oracle.twap_window.raw());
  CHECK(c.oracle.basis_window_ns == d.oracle.basis_window.raw());
  CHECK(c.max_orders_per_account == d.max_orders_per_account);
  CHECK(c.max_levels_per_side == d.max_levels_per_side);
  CHECK(c.max_book_orders == d.max_book_orders);
  CHECK(c.stress_fraction == d.stress_fraction.raw());
  CHECK(c.withdrawable_pnl == static_cast<std::uint32_t>(d.withdrawable_pnl));
  CHECK(c.max_matches_per_order == d.max_matches_per_order);
  CHECK(c.max_market_open_interest == d.max_market_open_interest.raw());
  CHECK(c.impact_notional == d.oracle.impact_notional);
  CHECK(c.mark_cap == d.oracle.mark_cap.raw());
  CHECK(c.max_mark_age_ns == d.oracle.max_mark_age.raw());
}

TEST_CASE("CApi: perpcore_market_params_init gives FundingParams' defaults", "[c_api]") {
  perpcore_market_params c;
  perpcore_market_params_init(&c);
  const funding::FundingParams d;
  const perpcore_funding_params& f = c.funding;
  CHECK(f.model == static_cast<std::uint32_t>(d.model));
  CHECK(f.payment == static_cast<std::uint32_t>(d.payment));
  CHECK(f.price == static_cast<std::uint32_t>(d.price));
  CHECK(f.weighting == static_cast<std::uint32_t>(d.weighting));
  CHECK(f.cap_mode == static_cast<std::uint32_t>(d.cap_mode));
  CHECK(f.pad0 == 0);
  CHECK(f.interval_ns == d.interval.raw());
  CHECK(f.period_ns == d.period.raw());
  CHECK(f.sample_cadence_ns == d.sample_cadence.raw());
  CHECK(f.impact_notional == d.impact_notional);
  CHECK(f.interest == d.interest.raw());
  CHECK(f.interest_band == d.interest_band.raw());
  CHECK(f.cap == d.cap.raw());
  CHECK(f.floor == d.floor.raw());
  CHECK(f.cap_multiple == d.cap_multiple.raw());
  CHECK(f.counterparty == d.counterparty);
  CHECK(f.skew_kappa == d.skew_kappa.raw());
  CHECK(f.skew_factor == d.skew_factor.raw());
  CHECK(f.skew_exponent == d.skew_exponent.raw());
  CHECK(f.skew_max == d.skew_max.raw());
  CHECK(f.ramp_up == d.ramp_up.raw());
  CHECK(f.decay == d.decay.raw());
  CHECK(f.stable_threshold == d.stable_threshold.raw());
  CHECK(f.decay_threshold == d.decay_threshold.raw());
}

TEST_CASE("CApi: perpcore_market_params_init gives LiquidationParams' defaults", "[c_api]") {
  perpcore_market_params c;
  perpcore_market_params_init(&c);
  const liquidation::LiquidationParams d;
  const perpcore_liquidation_params& l = c.liquidation;
  CHECK(l.warning_threshold == d.warning_threshold.raw());
  CHECK(l.fee == d.fee.raw());
  CHECK(l.keeper_share == d.keeper_share.raw());
  CHECK(l.buffer == d.buffer.raw());
  CHECK(l.chunk_threshold == d.chunk_threshold);
  CHECK(l.chunk_fraction == d.chunk_fraction.raw());
  CHECK(l.cooldown_ns == d.cooldown.raw());
  CHECK(l.bankruptcy_adjustment == d.bankruptcy_adjustment.raw());
  CHECK(l.spread_to_maintenance == d.spread_to_maintenance.raw());
  CHECK(l.max_notional_per_command == d.max_notional_per_command);
  CHECK(l.backstop == d.backstop);
  CHECK(l.backstop_threshold == d.backstop_threshold.raw());
  CHECK(l.loss_policy == static_cast<std::uint32_t>(d.loss_policy));
  CHECK(l.loss_policy == PERPCORE_LOSS_POLICY_ADL);
  CHECK(l.pad0 == 0);
}

TEST_CASE("CApi: perpcore_engine_config_init gives EngineConfig's defaults", "[c_api]") {
  perpcore_engine_config c;
  perpcore_engine_config_init(&c);
  const EngineConfig d;
  CHECK(c.struct_size == sizeof c);
  CHECK(c.quote_decimals == d.quote_decimals);
  REQUIRE(c.fee_tier_count == d.fee_tier_discounts.size());
  for (std::size_t i = 0; i < d.fee_tier_discounts.size(); ++i) {
    CHECK(c.fee_tier_discounts[i] == d.fee_tier_discounts[i].raw());
  }
  CHECK(c.referrer_share == d.referrer_share.raw());
  CHECK(c.max_markets == d.max_markets);
  CHECK(c.max_accounts == d.max_accounts);
  CHECK(c.hash_seed == d.hash_seed);
  CHECK(c.withdraw_margin_fraction == d.withdraw_margin_fraction.raw());
}

TEST_CASE("CApi: perpcore_ac_params_init gives AcParams' defaults", "[c_api]") {
  perpcore_ac_params c;
  perpcore_ac_params_init(&c);
  const analytics::AcParams d;
  CHECK(c.struct_size == sizeof c);
  CHECK(c.shares == d.shares);
  CHECK(c.horizon == d.horizon);
  CHECK(c.intervals == d.intervals);
  CHECK(c.sigma == d.sigma);
  CHECK(c.eta == d.eta);
  CHECK(c.gamma == d.gamma);
  CHECK(c.epsilon == d.epsilon);
  CHECK(c.lambda == d.lambda);
  CHECK(c.alpha == d.alpha);
}

TEST_CASE("CApi: perpcore_ext_params_init gives ExtParams' defaults", "[c_api]") {
  perpcore_ext_params c;
  perpcore_ext_params_init(&c);
  const analytics::ExtParams d;
  CHECK(c.struct_size == sizeof c);
  CHECK(c.shares == d.shares);
  CHECK(c.horizon == d.horizon);
  CHECK(c.intervals == d.intervals);
  CHECK(c.eta == d.eta);
  CHECK(c.delta == d.delta);
  CHECK(c.gamma == d.gamma);
  CHECK(c.lambda == d.lambda);
  CHECK(c.reference_price == d.reference_price);
  CHECK(c.taker_fee_rate == d.taker_fee_rate);
  CHECK(c.maker_fee_rate == d.maker_fee_rate);
  CHECK(c.latency == d.latency);
  CHECK(c.latency_coefficient == d.latency_coefficient);  // bit-equal: same literal
  CHECK(c.sigma_len == d.sigma.size());
  CHECK(c.drift_len == d.drift.size());
  CHECK(c.spread_len == d.spread.size());
  CHECK(c.funding_len == d.funding.size());
  CHECK(c.order_types_len == d.order_types.size());
  CHECK(c.sigma == nullptr);
  CHECK(c.order_types == nullptr);
}

TEST_CASE("CApi: perpcore_ext_options_init gives ExtSolverOptions' defaults", "[c_api]") {
  perpcore_ext_options c;
  perpcore_ext_options_init(&c);
  const analytics::ExtSolverOptions d;
  CHECK(c.struct_size == sizeof c);
  CHECK(c.solver == static_cast<std::uint32_t>(d.solver));
  CHECK(c.solver == PERPCORE_EXT_SOLVER_AUTO);
  CHECK(c.tolerance == d.tolerance);
  CHECK(c.max_iterations == d.max_iterations);
}

TEST_CASE("CApi: the analytics result initializers zero everything but struct_size",
          "[c_api]") {
  perpcore_ac_result a;
  perpcore_ext_result e;
  perpcore_ac_result_init(&a);
  perpcore_ext_result_init(&e);
  CHECK(a.struct_size == sizeof a);
  CHECK(a.kappa == 0);
  CHECK(a.cost.objective == 0);
  CHECK(e.struct_size == sizeof e);
  CHECK(e.method == PERPCORE_EXT_METHOD_CLOSED_FORM);
  CHECK(e.converged == 0);
  CHECK(e.cost.objective == 0);
}

}  // namespace
}  // namespace perpcore::engine

namespace perpcore {
namespace {

// The C list of reasons is checked against the C++ enum value by value at
// compile time; this is the other direction: no C++ reason lacks a C name.
TEST_CASE("CApi: every C++ Reason has its PERPCORE_REASON_ name and the same message",
          "[c_api]") {
  for (const Reason r : AllReasons()) {
    const auto v = static_cast<std::uint32_t>(r);
    std::string expected = "PERPCORE_REASON_";
    const std::string_view name = ReasonName(r);
    for (std::size_t i = 1; i < name.size(); ++i) {
      const char ch = name[i];
      if (ch >= 'A' && ch <= 'Z' && i > 1) expected += '_';
      expected += static_cast<char>(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
    }
    INFO(name);
    CHECK(std::string(perpcore_reason_name(v)) == expected);
    CHECK(std::string(perpcore_reason_message(v)) == ReasonMessage(r));
  }
}

}  // namespace
}  // namespace perpcore
