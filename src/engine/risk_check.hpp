// The margin check: the engine's adapter from its state to the pure
// functions of perpcore/risk/account.hpp. See engine.hpp for the rule.
#ifndef PERPCORE_SRC_ENGINE_RISK_CHECK_HPP_
#define PERPCORE_SRC_ENGINE_RISK_CHECK_HPP_

#include <cstdint>

#include "absl/numeric/int128.h"
#include "perpcore/risk/account.hpp"
#include "state.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {

// OrderDelta
//
// A hypothetical change to one market's open orders (and leverage), for
// checks: per side, an order added (a placement, an amend's new price and
// size, a cancel-replace's new order) and one removed (an amend's old price
// and remaining lots, a cancel-replace's old order, which may be on the
// other side), lots 0 for none; and the taker fee the change would pay at
// worst, charged against the market's bucket.
struct OrderDelta {
  // OrderDelta::SideChange: one side's order added and order removed.
  struct SideChange {
    risk::PriceLots add, remove;
  };
  std::uint32_t market_slot = 0;
  SideChange bids, asks;
  absl::int128 fee = 0;
  std::uint32_t leverage = 0;  // 0: unchanged

  SideChange& On(Side side) { return side == Side::kBuy ? bids : asks; }
};

// WorstCase(): the worst-case initial requirement plus open loss of one
// position with its open orders (and a delta), in atoms, rounded up.
absl::int128 WorstCase(const Market& m, const Position& p, const OrderDelta* d);

// Evaluate(): the account's margin, with a delta applied if given.
// O(positions of the account).
risk::AccountMargin Evaluate(const State& s, const Account& a, const OrderDelta* d);

// CheckOrderRisk()
//
// kOk if the account covers its initial requirement with orders after the
// delta, or if the delta does not raise that requirement (an order that
// only takes risk off is always allowed); IndexRefusal() if a market it
// touches has no usable index; else kInsufficientMargin.
Reason CheckOrderRisk(const State& s, const Account& a, const OrderDelta& d);

// IndexRefusal(): the refusal of the first market (by id) among the
// account's live records (and the delta's market) whose index is not usable
// now (Market::IndexRefusal: kNoIndexPrice or kIndexStale); kOk if every
// index is usable. The cold path of a refusal: O(positions of the account).
Reason IndexRefusal(const State& s, const Account& a, const OrderDelta* d);

// LiquidationOf(): the mark at which the position's margin (its bucket, or
// the cross account r with the other positions held still) meets
// maintenance; price 0 without a position or when it cannot be computed.
risk::LiquidationPrice LiquidationOf(const Market& m, const Position& p,
                                     const risk::AccountMargin& r);

}  // namespace engine
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_SRC_ENGINE_RISK_CHECK_HPP_
