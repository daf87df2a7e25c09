// -----------------------------------------------------------------------------
// File: perpcore/ids.hpp
// -----------------------------------------------------------------------------
//
// Identifiers. Plain integers with their meaning in the name; 0 is never a
// valid id (it means "none"), so a zero-initialised struct is recognisably
// empty.
#ifndef PERPCORE_IDS_HPP_
#define PERPCORE_IDS_HPP_

#include <cstdint>

#include "perpcore/detail/config.hpp"

PERPCORE_NAMESPACE_BEGIN

using OrderId = std::uint64_t;        // assigned by the host/engine, unique per book
using AccountId = std::uint64_t;      // the owner of an order
using ClientOrderId = std::uint64_t;  // chosen by the account; 0 = none

PERPCORE_NAMESPACE_END

#endif  // PERPCORE_IDS_HPP_
