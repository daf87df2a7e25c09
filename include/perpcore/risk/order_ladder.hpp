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
//   lots(), value(), empty(), levels(), level()  O(1)
//   LossAbove(), LossBelow(), with or without a
//     hypothetical change                        O(log k); O(1) and without
//                                                reading the heap when no
//                                                level is on the losing side
//                                                of the mark (the usual
//                                                case), when all are, or
//                                                when k <= 2
//   Add()                                        O(1) while k <= 2; else
//                                                O(k) worst case (an insert
//                                                or erase in a sorted array
//                                                and a suffix of the sums)
// Memory: sizeof(OrderLadder) is 40 bytes, inline: the total lots, the
// lowest and highest price and the lots at the lowest (which hold a side of
// up to two prices whole, and let the margin check's usual case read
// nothing else), and a pointer. From three prices on, the levels live in a
// std::vector on the heap: 32 bytes a level of capacity (price, running
// lots, running value) plus the vector itself, kept while the side has any
// order and released when it has none. A side with no orders, or with up
// to two prices, holds no heap memory; copies allocate only for three or
// more prices.
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
#include <memory>
#include <utility>
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

  OrderLadder() = default;
  OrderLadder(const OrderLadder& other);
  OrderLadder& operator=(const OrderLadder& other);
  OrderLadder(OrderLadder&& other) noexcept { Take(other); }
  OrderLadder& operator=(OrderLadder&& other) noexcept {
    if (this != &other) Take(other);
    return *this;
  }
  ~OrderLadder() = default;

  // Total lots and price * lots of the side, O(1).
  std::int64_t lots() const { return lots_; }
  absl::int128 value() const;
  bool empty() const { return lots_ == 0; }

  // OrderLadder::levels() / level()
  //
  // The number of price levels, and level i < levels() by ascending price
  // (every level has lots > 0).
  std::size_t levels() const {
    if (OnHeap()) return heap_->size();
    return lots_ == 0 ? 0 : low_ == high_ ? 1 : 2;
  }
  Level level(std::size_t i) const;

  // OrderLadder::LotsAt()
  //
  // The lots of level(i) alone (i < levels()).
  std::int64_t LotsAt(std::size_t i) const;

  // OrderLadder::Add()
  //
  // Adds `lots` lots at `price` (lots < 0 removes them; 0 is a no-op). A
  // level that reaches 0 lots is erased. O(1) while k <= 2, else O(k).
  // Checked (PERPCORE_CHECK), before anything changes: a removal never
  // takes a level below 0 lots.
  void Add(std::int64_t price, std::int64_t lots) {
    if (lots == 0) return;
    if (OnHeap()) return AddHeap(price, lots);
    AddInline(lots_ == 0 ? 0 : low_ == high_ ? 1 : 2, price, lots);
  }

  // OrderLadder::LossAbove()
  //
  // sum over levels with price > mark of (price - mark) * lots: the open
  // loss of bids at `mark`, >= 0. O(log k).
  absl::int128 LossAbove(std::int64_t mark) const {
    if (lots_ == 0 || high_ <= mark) return 0;  // the usual bid
    return LossAboveSearch(mark);
  }

  // OrderLadder::LossBelow()
  //
  // sum over levels with price < mark of (mark - price) * lots: the open
  // loss of asks at `mark`, >= 0. O(log k).
  absl::int128 LossBelow(std::int64_t mark) const {
    if (lots_ == 0 || low_ >= mark) return 0;  // the usual ask
    return LossBelowSearch(mark);
  }

  // LossAbove() / LossBelow() as if `add` were added and `remove` removed,
  // without changing the ladder (an amend is the order's old price and
  // lots removed and its new ones added). Per-order loss is a sum over
  // orders, so this is the ladder's loss plus add's own minus remove's own.
  // `remove` must be open on this side (debug-checked, O(log k)).
  absl::int128 LossAbove(std::int64_t mark, Change add, Change remove) const {
    PERPCORE_DCHECK(Holds(remove));
    return LossAbove(mark) + OwnLossAbove(mark, add) - OwnLossAbove(mark, remove);
  }
  absl::int128 LossBelow(std::int64_t mark, Change add, Change remove) const {
    PERPCORE_DCHECK(Holds(remove));
    return LossBelow(mark) + OwnLossBelow(mark, add) - OwnLossBelow(mark, remove);
  }

  // Equal iff the same lots at the same prices.
  friend bool operator==(const OrderLadder& a, const OrderLadder& b);

 private:
  // The loss of one order (or change) on its own.
  static absl::int128 OwnLossAbove(std::int64_t mark, Change c) {
    return c.price > mark ? (absl::int128(c.price) - mark) * c.lots : 0;
  }
  static absl::int128 OwnLossBelow(std::int64_t mark, Change c) {
    return c.price < mark ? (absl::int128(mark) - c.price) * c.lots : 0;
  }
  // The inline levels while there are at most two: (low_, low_lots_) and
  // (high_, lots_ - low_lots_), the second with 0 lots when there is one.
  Change InlineLow() const { return {low_, low_lots_}; }
  Change InlineHigh() const { return {high_, lots_ - low_lots_}; }
  // True if `c` is open here (lots 0, or a level at its price with at least
  // its lots).
  bool Holds(Change c) const;
  // Add() for k <= 2 levels, and from three on.
  void AddInline(std::size_t k, std::int64_t price, std::int64_t lots);
  void AddHeap(std::int64_t price, std::int64_t lots);
  // LossAbove() / LossBelow() past their fast paths.
  absl::int128 LossAboveSearch(std::int64_t mark) const;
  absl::int128 LossBelowSearch(std::int64_t mark) const;
  // True while the levels are on the heap (three or more), from the inline
  // fields alone: only then is a non-empty side's low_lots_ 0.
  bool OnHeap() const { return low_lots_ == 0 && lots_ != 0; }
  // Moves other's levels here and leaves it empty.
  void Take(OrderLadder& other) {
    lots_ = other.lots_, low_ = other.low_, high_ = other.high_, low_lots_ = other.low_lots_;
    heap_ = std::move(other.heap_);
    other.Clear();
  }
  void Clear() {
    lots_ = low_ = high_ = low_lots_ = 0;
    heap_.reset();
  }

  // Up to two prices the levels are inline: (low_, low_lots_) and (high_,
  // lots_ - low_lots_); with one, low_ == high_ and low_lots_ == lots_;
  // with none, all 0. heap_ then is null or an empty vector kept for its
  // capacity. From three on, *heap_ holds them, low_, high_ and lots_
  // mirror its first price, last price and total, and low_lots_ is 0 (which
  // tells the two apart). The fields the margin check reads (lots_, low_,
  // high_) come first.
  std::int64_t lots_ = 0;
  std::int64_t low_ = 0, high_ = 0;
  std::int64_t low_lots_ = 0;
  std::unique_ptr<std::vector<Level>> heap_;
};

}  // namespace risk
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_RISK_ORDER_LADDER_HPP_
