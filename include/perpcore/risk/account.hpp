// -----------------------------------------------------------------------------
// File: perpcore/risk/account.hpp
// -----------------------------------------------------------------------------
//
// The margin of one account as pure functions over plain inputs: the worst
// case of a market's open orders, and the sum over an account's positions
// into equity and requirements. The engine values positions (its valuation
// is the only place size meets price) and hands the values in here.
//
// Units: Quote atoms (absl::int128, so sums over any number of markets
// cannot overflow); "scaled" amounts are atoms * 10^18 (kRateScale), exact.
// Rounding: every requirement rounds up, once, against the account.
// Thread safety: pure functions. Determinism: integer-only.
//
// Example:
//   risk::AccountMargin m{.equity = cash};
//   m.AddCross(value, initial, maintenance, worst_case);
//   if (m.FreeCollateral() < amount) return Reason::kInsufficientCollateral;
#ifndef PERPCORE_RISK_ACCOUNT_HPP_
#define PERPCORE_RISK_ACCOUNT_HPP_

#include <cstdint>

#include "absl/numeric/int128.h"
#include "perpcore/core/fixed.hpp"
#include "perpcore/risk/margin.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace risk {

// OrderExposure
//
// One market's open orders of an account, per side: the lots, and the open
// loss those orders would realize against the mark if they all filled at
// their limit prices, in ticks * lots (>= 0; see the engine's open-loss rule).
struct OrderExposure {
  std::int64_t bid_lots = 0, ask_lots = 0;
  absl::int128 bid_loss = 0, ask_loss = 0;
};

// WorstCaseScaled()
//
// The worst case of a position of `size` lots with its open orders at
// `mark`: the larger, over the two sides, of
//   InitialScaled(|size + bid_lots| * mark * atoms, leverage) + bid_loss * atoms * 10^18
//   InitialScaled(|size - ask_lots| * mark * atoms, leverage) + ask_loss * atoms * 10^18
// in scaled atoms. Notionals come from admitted sizes and prices (below
// 2^54 atoms), but every product is checked all the same: a notional or an
// open loss beyond INT64_MAX atoms counts as INT64_MAX (saturating: a
// requirement no account meets), so no input overflows. Requires atoms >= 1,
// mark >= 0, losses >= 0.
absl::int128 WorstCaseScaled(const TierTable& tiers, std::uint32_t leverage, std::int64_t size,
                             std::int64_t mark, std::int64_t atoms, const OrderExposure& orders);

// CeilScaled(): ceil(v / 10^18) for v >= 0, a requirement from its scaled
// form. Ceiling of a max == max of the ceilings, so
// CeilScaled(WorstCaseScaled(...)) is the worst case in atoms exactly.
absl::int128 CeilScaled(absl::int128 v);

// AccountMargin
//
// An account's cross margin, summed over its positions:
//   equity              cross cash + the value of every cross position
//                       (less a hypothetical order's fee);
//   initial/maintenance the requirements of the cross positions alone;
//   initial_with_orders + the worst case of open orders in every cross
//                       market, and what each isolated bucket would need to
//                       draw from cross collateral to cover its own worst case.
struct AccountMargin {
  absl::int128 equity = 0;
  absl::int128 initial = 0;
  absl::int128 initial_with_orders = 0;
  absl::int128 maintenance = 0;

  void AddCross(absl::int128 value, absl::int128 initial_req, absl::int128 maintenance_req,
                absl::int128 worst_case);
  void AddIsolated(absl::int128 bucket_equity, absl::int128 worst_case);

  // max(0, equity - initial_with_orders): what may leave the account.
  absl::int128 FreeCollateral() const;
};

// MarginRatio()
//
// maintenance / equity as a Rate, rounded up; 0 without a requirement and
// Rate::Max() when equity cannot carry it (equity <= 0, or a ratio beyond
// the Rate range).
Rate MarginRatio(absl::int128 maintenance, absl::int128 equity);

}  // namespace risk
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_RISK_ACCOUNT_HPP_
