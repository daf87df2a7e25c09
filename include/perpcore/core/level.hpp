// -----------------------------------------------------------------------------
// File: perpcore/core/level.hpp
// -----------------------------------------------------------------------------
//
// LevelView: one aggregated price level (L2) of a book side, as the book
// reports it (OrderBook::Depth, Best) and the engine passes it on
// (MarketStats, the C API's perpcore_level, Python's Level).
#ifndef PERPCORE_CORE_LEVEL_HPP_
#define PERPCORE_CORE_LEVEL_HPP_

#include <cstdint>

#include "perpcore/core/fixed.hpp"

PERPCORE_NAMESPACE_BEGIN

// price: the level's price; total: its resting lots (> 0); orders: how many
// orders rest there (> 0).
struct LevelView {
  Ticks price;
  Lots total;
  std::uint32_t orders = 0;
  friend bool operator==(const LevelView&, const LevelView&) = default;
};

PERPCORE_NAMESPACE_END

#endif  // PERPCORE_CORE_LEVEL_HPP_
