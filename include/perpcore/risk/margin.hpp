// -----------------------------------------------------------------------------
// File: perpcore/risk/margin.hpp
// -----------------------------------------------------------------------------
//
// Tiered margin: initial and maintenance requirements of one position from
// notional brackets, the leverage a bracket allows, and the closed-form
// liquidation price of a position (cross or isolated).
//
// Brackets follow Binance USD-M futures ("notional value tiers") and
// Hyperliquid ("margin tiers"): a position of notional n that falls in tier i
// (floor_i <= n < floor_{i+1}) requires
//     maintenance(n) = n * mmr_i - mm_deduction_i
//     initial(n, L)  = n * imr_i(L) - im_deduction_i(L),
//     imr_i(L)       = max(1 / L, 1 / max_leverage_i)
// where L is the account's chosen leverage for the market and the deductions
// ("maintenance amount" at Binance) make both functions continuous:
//     deduction_0 = 0,  deduction_i = deduction_{i-1} + floor_i * (rate_i - rate_{i-1}).
// So a requirement is the sum over tiers of the part of n inside the tier
// times that tier's rate, and a bigger position never needs less margin.
// A user leverage above a tier's max_leverage is therefore capped by the
// tier: the leverage cap per notional bracket.
//
// 1/L has no finite decimal expansion for most L (1/150 = 0.00666...), so
// the initial rate of leverage L is defined as the Rate 1/L rounded up to
// 1e-18, RateFromRatio(1, L, Round::kUp); everything after that is exact.
// The rounding can cost one atom: Initial(150'000, 150) is 1001, not 1000.
//
// Units: notional and requirements in Quote atoms; rates as Rate (1e18);
// leverage a whole number 1..150. Sizes in Lots, prices in Ticks, converted by
// the market's integer `atoms_per_tick_lot` (notional = |lots| * ticks * that).
// Rounding: requirements round up (against the account); a long's
// liquidation price rounds up and a short's down (liquidate no later than the
// exact price). Deductions are kept exactly (Quote * Rate, 128-bit) and only
// the final requirement is rounded, so the tier boundaries are exact.
// Thread safety: immutable after construction. Determinism: integer-only.
// Every product is held in 128 bits: a floor is below 2^63 and a rate below
// 1 (= 10^18 raw), so no intermediate reaches 2^127.
//
// Example (Binance BTCUSDT bracket 1: 0..50k at 125x, mmr 0.4%):
//   PERPCORE_ASSIGN_OR_RETURN(TierTable t, TierTable::Create(tiers));
//   Quote mm = t.Maintenance(Quote(40'000'000'000));   // 160 USDT in 1e-6 atoms
#ifndef PERPCORE_RISK_MARGIN_HPP_
#define PERPCORE_RISK_MARGIN_HPP_

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "perpcore/core/fixed.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace risk {

// kMaxLeverage: the highest leverage any market may allow.
inline constexpr std::uint32_t kMaxLeverage = 150;
// kMaxTiers: the most brackets one market may have.
inline constexpr std::size_t kMaxTiers = 32;

// MarginTier
//
// One bracket, from notional_floor (inclusive) up to the next tier's floor.
struct MarginTier {
  Quote notional_floor;         // the first tier's must be 0
  std::uint32_t max_leverage = 1;  // 1..kMaxLeverage; the initial rate is >= 1/this
  Rate maintenance_rate;        // > 0 and < 1/max_leverage
  friend bool operator==(const MarginTier&, const MarginTier&) = default;
};

// TierTable
//
// A validated bracket table with its deductions. Copyable value type. A
// default-constructed table is empty and good only for assigning to: its
// queries fail PERPCORE_CHECK.
class TierTable {
 public:
  // Validate()
  //
  // kInvalidArgument naming the tier and field unless: 1..kMaxTiers tiers;
  // the first floor is 0 and floors strictly increase; max_leverage is in
  // 1..kMaxLeverage and never increases from one tier to the next;
  // maintenance_rate is > 0, never decreases, and is below the tier's
  // initial rate 1/max_leverage (so initial margin always exceeds
  // maintenance). The message reads "tier <i>: <field> must ...".
  // Deductions need no rule of their own: deduction_i < floor_i * rate_i,
  // below floor_i atoms, so they always fit.
  static absl::Status Validate(std::span<const MarginTier> tiers);

  // Create()
  //
  // The table, or Validate()'s error.
  static absl::StatusOr<TierTable> Create(std::span<const MarginTier> tiers);

  // Tier()
  //
  // The index of the tier `notional` falls in (notional >= 0, checked).
  std::size_t Tier(Quote notional) const;

  // Maintenance()
  //
  // n * mmr_i - mm_deduction_i, rounded up, for n >= 0 (checked). Never
  // negative and never above n (every rate is below 1), so it always fits.
  // Consecutive notionals differ by at most one atom of requirement.
  Quote Maintenance(Quote notional) const;

  // Initial()
  //
  // n * imr_i(L) - im_deduction_i(L), rounded up, for n >= 0 and leverage L
  // in 1..kMaxLeverage (both checked), with imr_i(L) the Rate
  // RateFromRatio(1, min(L, max_leverage_i), Round::kUp). Never above n and
  // never below Maintenance(n). Complexity O(log tiers).
  Quote Initial(Quote notional, std::uint32_t leverage) const;

  // InitialScaled() / MaintenanceScaled()
  //
  // The same requirements before their one rounding: exactly
  // n * rate - deduction in Quote atoms * 1e-18 (so Initial() is the ceiling
  // of InitialScaled() / 10^18). No division: the engine sums these and
  // rounds only when a margin check is too close to call otherwise.
  absl::int128 InitialScaled(Quote notional, std::uint32_t leverage) const;
  absl::int128 MaintenanceScaled(Quote notional) const;

  // MaxLeverage()
  //
  // The highest leverage the first tier allows: a user's chosen leverage
  // for the market must not exceed it.
  std::uint32_t MaxLeverage() const;

  std::span<const MarginTier> tiers() const { return tiers_; }

  // MaintenanceDeduction()
  //
  // mm_deduction_i exactly, in units of Quote atoms * 1e-18 (a Rate-scaled
  // amount), for tier i.
  absl::int128 MaintenanceDeduction(std::size_t tier) const;

 private:
  std::vector<MarginTier> tiers_;
  std::vector<absl::int128> mm_deduction_;  // Quote * Rate raw, exact
  std::vector<absl::int128> tier_rate_;     // 1/max_leverage_i rounded up
  std::vector<absl::int128> im_deduction_;  // C_i of InitialScaled()
};

// LiquidationInput
//
// One position and the rest of the margin that backs it. For an isolated
// position, `other_equity` is the isolated margin bucket's balance and
// `other_maintenance` is 0. For a cross position, `other_equity` is the
// account's cross cash plus the mark value of every other cross position,
// and `other_maintenance` their maintenance requirement: both held fixed
// while this position's price moves (Binance's cross formula).
//   equity(P) = other_equity + size * P * atoms_per_tick_lot
//   liquidatable at P  <=>  equity(P) < other_maintenance + Maintenance(|size| * P * atoms_per_tick_lot)
struct LiquidationInput {
  Lots size;                       // signed, != 0
  std::int64_t atoms_per_tick_lot = 1;  // >= 1
  Quote other_equity;              // may be negative
  Quote other_maintenance;         // >= 0
};

// LiquidationPrice
//
// The price at which the position reaches its maintenance requirement, and
// the tier of the exact (unrounded) liquidation notional (rounding the price
// to a tick may carry the notional across a floor; the requirement is
// continuous there), the price rounded so that for every mark of at least
// one tick
//     a long  is liquidatable  <=>  mark < price
//     a short is liquidatable  <=>  mark > price.
// So `price` is the lowest safe tick of a long and the highest safe tick of
// a short. A long backed by at least its other maintenance is never
// liquidatable and reports 0; a long whose exact price is in (0, 1] reports
// 1 (safe at every tick). A short with no safe tick reports 0 with `always`.
struct LiquidationPrice {
  Ticks price;           // 0: none (long) or always (short)
  std::size_t tier = 0;  // the bracket at the exact price; 0 when price is 0
  bool always = false;   // liquidatable at every price of at least one tick
  friend bool operator==(const LiquidationPrice&, const LiquidationPrice&) = default;
};

// ComputeLiquidationPrice()
//
// Closed form per tier: for a long (s > 0, m = atoms_per_tick_lot)
//     P = (other_maintenance - other_equity - D_i) / (s * m * (1 - mmr_i))
// and for a short
//     P = (other_equity + D_i - other_maintenance) / (|s| * m * (1 + mmr_i)),
// (rates read as fractions of 1, D_i the exact maintenance deduction),
// taking the tier i whose notional range contains |s| * P * m (tiers are
// tried in order; equity minus requirement is strictly monotone in the
// price, so the solution is unique). Everything is exact rational
// arithmetic: only the final price is rounded, a long's up and a short's
// down, to whole ticks. Complexity O(tiers).
// Errors: kInvalidArgument for an empty table, size 0, atoms_per_tick_lot
// < 1 or negative other_maintenance; kOutOfRange if the price leaves int64.
// Any int64 inputs are otherwise safe: no intermediate overflows.
absl::StatusOr<LiquidationPrice> ComputeLiquidationPrice(const TierTable& table,
                                                         const LiquidationInput& in);

}  // namespace risk
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_RISK_MARGIN_HPP_
