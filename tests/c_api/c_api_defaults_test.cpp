// The C header's static inline initializers must give the C++ defaults
// (perpcore/engine/types.hpp): the two are written separately, so this
// test keeps them equal.
#include <catch2/catch.hpp>

#include <string>

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
}

}  // namespace
}  // namespace perpcore::engine
