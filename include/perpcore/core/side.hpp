// -----------------------------------------------------------------------------
// File: perpcore/core/side.hpp
// -----------------------------------------------------------------------------
//
// Side: buy or sell, the word every layer (book, risk ladders, engine, faces)
// uses for the direction of an order or a trade. The values are pinned: they
// reach the C API (PERPCORE_SIDE_*), journals and digests.
#ifndef PERPCORE_CORE_SIDE_HPP_
#define PERPCORE_CORE_SIDE_HPP_

#include <cstdint>

#include "perpcore/detail/config.hpp"

PERPCORE_NAMESPACE_BEGIN

enum class Side : std::uint8_t { kBuy = 0, kSell = 1 };

constexpr Side Opposite(Side s) { return s == Side::kBuy ? Side::kSell : Side::kBuy; }

PERPCORE_NAMESPACE_END

#endif  // PERPCORE_CORE_SIDE_HPP_
