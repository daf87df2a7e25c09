// Valuation: the one place a position is valued (size meets price). A
// position's value is size * mark * atoms_per_tick_lot; the funding module
// adds its accrued term here, once, and every margin check, summary,
// preview and liquidation price sees it.
//
// Bounds: admitted sizes and prices keep every product below 2^54 atoms
// (MarketParams), so values fit in int64; results are int128 so that sums
// over markets cannot overflow.
#ifndef PERPCORE_SRC_ENGINE_VALUATION_HPP_
#define PERPCORE_SRC_ENGINE_VALUATION_HPP_

#include <cstdint>

#include "absl/numeric/int128.h"
#include "state.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {

// Notional(): lots * price * atoms_per_tick_lot, signed as lots: what lots
// of the market are worth at price, in atoms.
inline absl::int128 Notional(const Market& m, absl::int128 lots, std::int64_t price) {
  return lots * price * m.atoms;
}

// PositionValue(): the position's value at the market's mark.
inline absl::int128 PositionValue(const Market& m, const Position& p) {
  return Notional(m, p.size, m.mark.raw());
}

// BucketEquity(): an isolated position's bucket plus its value.
inline absl::int128 BucketEquity(const Market& m, const Position& p) {
  return absl::int128(p.iso_cash) + PositionValue(m, p);
}

}  // namespace engine
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_SRC_ENGINE_VALUATION_HPP_
