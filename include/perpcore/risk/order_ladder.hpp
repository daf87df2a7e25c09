// -----------------------------------------------------------------------------
// File: perpcore/risk/order_ladder.hpp
// -----------------------------------------------------------------------------
//
// One side of one account's open orders in one market, aggregated by price
// and kept sorted, with prefix sums: what the per-order open-loss rule
// (Binance's "open loss") needs to price that side against any mark in
// O(log k). An order priced worse than the mark loses on its own:
//     LossAbove(mark) = sum over levels with price > mark of (price - mark) * lots
//                       (the bids: a buy above the mark)
//     LossBelow(mark) = sum over levels with price < mark of (mark - price) * lots
//                       (the asks: a sell below the mark)
// and an order on the good side of the mark contributes nothing (it never
// offsets one on the bad side). A level exactly at the mark contributes 0.
//
// Units: prices in ticks, sizes in lots (int64); values (price * lots) and
// losses in ticks * lots (absl::int128; the caller multiplies by
// atoms_per_tick_lot). The ladder does not bound its inputs: the engine's
// market bounds (max_open_interest * max_price * atoms <= 2^54) keep every
// sum far inside int128.
// Complexity, k = the number of distinct prices on the side (at most the
// account's open orders in the market, which the market bounds by
// max_orders_per_account):
//   lots(), value(), empty(), levels()          O(1)
//   LossAbove(), LossBelow(), with or without a
//     hypothetical change                       O(log k); O(1) when no level
//                                               is on the losing side of the
//                                               mark or all of them are
//   Add()                                       O(k) worst case (an insert
//                                               or erase in a sorted array
//                                               and a suffix of the sums)
// Memory: sizeof(OrderLadder) is one std::vector (24 bytes); each level is
// 32 bytes on the heap (price, running lots, running value), capacity
// growing by doubling. An empty ladder holds no heap memory.
// Rounding: none; everything is exact.
// Thread safety: a value type; not thread-safe. Determinism: integer-only,
// sorted by price.
//
// Example (bids of one account; mark 300,000 ticks):
//   risk::OrderLadder bids;
//   bids.Add(310'000, 2);   // 10,000 ticks above the mark
//   bids.Add(290'000, 5);   // below the mark: no loss, and no offset
//   bids.LossAbove(300'000);                      // 20,000
//   bids.LossAbove(300'000, {305'000, 1}, {});    // 25,000, bids unchanged
#ifndef PERPCORE_RISK_ORDER_LADDER_HPP_
#define PERPCORE_RISK_ORDER_LADDER_HPP_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/numeric/int128.h"
#include "perpcore/detail/config.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace risk {

// OrderLadder
//
// See the file comment. Compares equal iff the per-price lots are equal
// (the running sums follow from them).
class OrderLadder {
 public:
  // OrderLadder::Level
  //
  // One price and the running sums through it: lots_through and
  // value_through are the lots and price * lots of this level and every
  // lower-priced one.
  struct Level {
    std::int64_t price = 0;
    std::int64_t lots_through = 0;
    absl::int128 value_through = 0;
    friend bool operator==(const Level&, const Level&) = default;
  };

  // OrderLadder::Change
  //
  // A hypothetical order of `lots` lots at `price` (lots 0: none), for the
  // read-only margin check of a placement or an amend.
  struct Change {
    std::int64_t price = 0;
    std::int64_t lots = 0;
  };

  // Total lots and price * lots of the side, O(1).
  std::int64_t lots() const { return levels_.empty() ? 0 : levels_.back().lots_through; }
  absl::int128 value() const { return levels_.empty() ? 0 : levels_.back().value_through; }
  bool empty() const { return levels_.empty(); }

  // OrderLadder::levels()
  //
  // The levels by ascending price; every level has lots > 0.
  std::span<const Level> levels() const { return levels_; }

  // OrderLadder::LotsAt()
  //
  // The lots of levels()[i] alone (i < levels().size()).
  std::int64_t LotsAt(std::size_t i) const {
    return levels_[i].lots_through - (i == 0 ? 0 : levels_[i - 1].lots_through);
  }

  // OrderLadder::Add()
  //
  // Adds `lots` lots at `price` (lots < 0 removes them; 0 is a no-op). A
  // level that reaches 0 lots is erased. O(k).
  // Checked (PERPCORE_CHECK): a removal never takes a level below 0 lots.
  void Add(std::int64_t price, std::int64_t lots);

  // OrderLadder::LossAbove()
  //
  // sum over levels with price > mark of (price - mark) * lots: the open
  // loss of bids at `mark`, >= 0. O(log k).
  absl::int128 LossAbove(std::int64_t mark) const {
    if (levels_.empty() || levels_.back().price <= mark) return 0;  // the usual bid
    return LossAboveSearch(mark);
  }

  // OrderLadder::LossBelow()
  //
  // sum over levels with price < mark of (mark - price) * lots: the open
  // loss of asks at `mark`, >= 0. O(log k).
  absl::int128 LossBelow(std::int64_t mark) const {
    if (levels_.empty() || levels_.front().price >= mark) return 0;  // the usual ask
    return LossBelowSearch(mark);
  }

  // LossAbove() / LossBelow() as if `add` were added and `remove` removed,
  // without changing the ladder (an amend is the order's old price and
  // lots removed and its new ones added). Per-order loss is a sum over
  // orders, so this is the ladder's loss plus add's own minus remove's own.
  // `remove` must be open on this side (debug-checked, O(log k)).
  absl::int128 LossAbove(std::int64_t mark, Change add, Change remove) const;
  absl::int128 LossBelow(std::int64_t mark, Change add, Change remove) const;

  friend bool operator==(const OrderLadder&, const OrderLadder&) = default;

 private:
  // Index of the first level with price >= price.
  std::size_t LowerBound(std::int64_t price) const;
  // True if `c` is open here (lots 0, or a level at its price with at least
  // its lots).
  bool Holds(Change c) const;
  // LossAbove() / LossBelow() past their O(1) fast paths.
  absl::int128 LossAboveSearch(std::int64_t mark) const;
  absl::int128 LossBelowSearch(std::int64_t mark) const;

  std::vector<Level> levels_;  // ascending price
};

}  // namespace risk
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_RISK_ORDER_LADDER_HPP_
