// -----------------------------------------------------------------------------
// File: perpcore/risk/order_ladder.hpp
// -----------------------------------------------------------------------------
//
// One side of one account's open orders in one market, aggregated by price
// and kept sorted, with running (prefix) sums: what the per-order open-loss
// rule (Binance's "open loss") needs to price that side against any mark in
// O(log k). An order priced worse than the mark loses on its own if it
// fills at its limit:
//     BidLadder::Loss(mark) = sum over levels with price > mark of (price - mark) * lots
//     AskLadder::Loss(mark) = sum over levels with price < mark of (mark - price) * lots
// and an order on the good side of the mark contributes nothing (it never
// offsets one on the bad side). A level exactly at the mark contributes 0.
// Levels are kept from the worst price for the account to the best (bids
// by descending price, asks by ascending), so the losing ones are always a
// prefix, and its running sums give the loss.
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
//   Loss(), with or without a hypothetical
//     change                                     O(log k); O(1) and without
//                                                reading the heap when no
//                                                order loses (the usual
//                                                case) or k <= 1
//   Add()                                        O(1) while k <= 1; else
//                                                O(k) worst case (an insert
//                                                or erase in a sorted array
//                                                and a suffix of the sums)
// Memory: sizeof(OrderLadder) is 24 bytes, the size of the per-side lots
// and value sums it replaces in a position record: the total lots and the
// worst price inline (all the margin check's usual case reads, and a side
// of one price whole), and a pointer. From two prices on, the levels live
// on the heap: 32 bytes a level of capacity (price, running lots, running
// value; 4, doubling) plus a 32-byte header, kept while the side has any
// order (so a side going between one price and two allocates once) and
// released when it has none. A side with no orders holds no heap memory,
// nor does one that never had two prices at once; copies allocate only for
// two or more prices.
// Rounding: none; everything is exact.
// Thread safety: a value type; not thread-safe. Determinism: integer-only,
// sorted by price.
//
// Example (bids of one account; mark 300,000 ticks):
//   risk::BidLadder bids;
//   bids.Add(310'000, 2);   // 10,000 ticks above the mark
//   bids.Add(290'000, 5);   // below the mark: no loss, and no offset
//   bids.Loss(300'000);                      // 20,000
//   bids.Loss(300'000, {305'000, 1}, {});    // 25,000, bids unchanged
#ifndef PERPCORE_RISK_ORDER_LADDER_HPP_
#define PERPCORE_RISK_ORDER_LADDER_HPP_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <utility>

#include "absl/numeric/int128.h"
#include "perpcore/detail/config.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace risk {

// PriceLots
//
// Lots at a price: a hypothetical order (lots 0: none), for the read-only
// margin check of a placement or an amend.
struct PriceLots {
  std::int64_t price = 0;
  std::int64_t lots = 0;
};

// Losing
//
// Which orders of a side lose against the mark: bids priced above it, asks
// priced below it.
enum class Losing : std::uint8_t { kAboveMark, kBelowMark };

// OrderLadder
//
// See the file comment. Compares equal iff the per-price lots are equal
// (the running sums follow from them).
template <Losing kLosing>
class OrderLadder {
 public:
  // OrderLadder::Level
  //
  // One price and the running sums through it: lots_through and
  // value_through are the lots and price * lots of this level and every
  // worse-priced one.
  struct Level {
    std::int64_t price = 0;
    std::int64_t lots_through = 0;
    absl::int128 value_through = 0;
    friend bool operator==(const Level&, const Level&) = default;
  };

  using Change = PriceLots;

  OrderLadder() = default;
  OrderLadder(const OrderLadder& other);
  OrderLadder& operator=(const OrderLadder& other);
  // A moved-from ladder is empty after a move construction, and holds the
  // target's old orders after a move assignment: a swap, so that moving a
  // ladder (a position record inserted or erased in its account's sorted
  // list moves every record after it) never frees a block in line.
  OrderLadder(OrderLadder&& other) noexcept
      : lots_(other.lots_), worst_(other.worst_), heap_(std::move(other.heap_)) {
    other.lots_ = 0;
    other.worst_ = kNoPrice;
  }
  OrderLadder& operator=(OrderLadder&& other) noexcept {
    std::swap(lots_, other.lots_);
    std::swap(worst_, other.worst_);
    heap_.swap(other.heap_);
    return *this;
  }
  ~OrderLadder() = default;

  // Total lots and price * lots of the side, O(1).
  std::int64_t lots() const { return lots_; }
  absl::int128 value() const;
  bool empty() const { return lots_ == 0; }

  // OrderLadder::levels() / level()
  //
  // The number of price levels, and level i < levels(), from the worst
  // price for the account to the best (bids by descending price, asks by
  // ascending); every level has lots > 0.
  std::size_t levels() const;
  Level level(std::size_t i) const;

  // OrderLadder::LotsAt()
  //
  // The lots of level(i) alone (i < levels()).
  std::int64_t LotsAt(std::size_t i) const;

  // OrderLadder::Add()
  //
  // Adds `lots` lots at `price` (lots < 0 removes them; 0 is a no-op). A
  // level that reaches 0 lots is erased. O(1) while k <= 1, else O(k).
  // Checked (PERPCORE_CHECK), before anything changes: a removal never
  // takes a level below 0 lots.
  void Add(std::int64_t price, std::int64_t lots);

  // OrderLadder::Loss()
  //
  // The open loss of the side at `mark`, >= 0 (see the file comment).
  // O(log k); O(1) when no order loses.
  absl::int128 Loss(std::int64_t mark) const {
    if (!Loses(worst_, mark)) return 0;  // the usual case; an empty side too
    return LossSearch(mark);
  }

  // Loss() as if `add` were added and `remove` removed, without changing
  // the ladder (an amend is the order's old price and lots removed and its
  // new ones added). Per-order loss is a sum over orders, so this is the
  // ladder's loss plus add's own minus remove's own. `remove` must be open
  // on this side (debug-checked, O(log k)).
  absl::int128 Loss(std::int64_t mark, Change add, Change remove) const {
    PERPCORE_DCHECK(Holds(remove));
    return Loss(mark) + OwnLoss(mark, add) - OwnLoss(mark, remove);
  }

  // Equal iff the same lots at the same prices.
  friend bool operator==(const OrderLadder& a, const OrderLadder& b) { return a.Equals(b); }

 private:
  // True if an order at `price` loses at `mark`, and if price a is worse
  // for the account than price b.
  static bool Loses(std::int64_t price, std::int64_t mark) {
    return kLosing == Losing::kAboveMark ? price > mark : price < mark;
  }
  static bool Worse(std::int64_t a, std::int64_t b) { return Loses(a, b); }
  // The loss of one order (or change) on its own.
  static absl::int128 OwnLoss(std::int64_t mark, Change c) {
    if (!Loses(c.price, mark)) return 0;
    return (kLosing == Losing::kAboveMark ? absl::int128(c.price) - mark
                                          : absl::int128(mark) - c.price) *
           c.lots;
  }
  // The heap block (see heap_): whether the levels are in it, how many,
  // its capacity, and the levels.
  bool OnHeap() const { return heap_ != nullptr && Count() != 0; }
  std::size_t Count() const { return static_cast<std::size_t>(heap_[0].price); }
  std::size_t Capacity() const { return static_cast<std::size_t>(heap_[0].lots_through); }
  Level* Data() const { return heap_.get() + 1; }
  // Index of the first level on the heap not worse than price.
  std::size_t Find(std::int64_t price) const;
  // True if `c` is open here (lots 0, or a level at its price with at least
  // its lots).
  bool Holds(Change c) const;
  bool Equals(const OrderLadder& other) const;
  // Add() with one price inline, and from two on.
  void AddInline(std::int64_t price, std::int64_t lots);
  void AddHeap(std::int64_t price, std::int64_t lots);
  // A heap block of at least n levels, keeping the levels in use.
  void Reserve(std::size_t n);
  // Loss() past its fast path.
  absl::int128 LossSearch(std::int64_t mark) const;
  void Clear() {
    lots_ = 0;
    worst_ = kNoPrice;
    heap_.reset();
  }

  // An empty side's worst_: a price that never loses, so that Loss() tells
  // both "empty" and "nothing loses" by one comparison.
  static constexpr std::int64_t kNoPrice = kLosing == Losing::kAboveMark
                                               ? std::numeric_limits<std::int64_t>::min()
                                               : std::numeric_limits<std::int64_t>::max();

  // With no orders lots_ is 0, worst_ kNoPrice and heap_ null. With one
  // price it is worst_, holding lots_, and heap_ is null or a block kept
  // for its capacity (0 levels in use). From two on, the levels are in the
  // heap block, and worst_ and lots_ mirror the first level's price and the
  // total. The block is an array whose element 0 is its header (price: the
  // levels in use; lots_through: the capacity) and elements 1.. the levels.
  std::int64_t lots_ = 0;
  std::int64_t worst_ = kNoPrice;
  std::unique_ptr<Level[]> heap_;
};

// BidLadder, AskLadder: a position's open bids and asks.
using BidLadder = OrderLadder<Losing::kAboveMark>;
using AskLadder = OrderLadder<Losing::kBelowMark>;

extern template class OrderLadder<Losing::kAboveMark>;
extern template class OrderLadder<Losing::kBelowMark>;

}  // namespace risk
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_RISK_ORDER_LADDER_HPP_
