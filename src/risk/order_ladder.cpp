#include "perpcore/risk/order_ladder.hpp"

#include <algorithm>

PERPCORE_NAMESPACE_BEGIN
namespace risk {
namespace {

using absl::int128;
using Level = OrderLadder::Level;

// The first of the levels with price >= price.
std::size_t LowerBound(const std::vector<Level>& levels, std::int64_t price) {
  const auto it = std::lower_bound(levels.begin(), levels.end(), price,
                                   [](const Level& l, std::int64_t p) { return l.price < p; });
  return static_cast<std::size_t>(it - levels.begin());
}

}  // namespace

OrderLadder::OrderLadder(const OrderLadder& other)
    : lots_(other.lots_), low_(other.low_), high_(other.high_), low_lots_(other.low_lots_) {
  if (other.OnHeap()) heap_ = std::make_unique<std::vector<Level>>(*other.heap_);
}

OrderLadder& OrderLadder::operator=(const OrderLadder& other) {
  if (this != &other) *this = OrderLadder(other);
  return *this;
}

int128 OrderLadder::value() const {
  if (OnHeap()) return heap_->back().value_through;
  return int128(low_) * low_lots_ + int128(high_) * (lots_ - low_lots_);  // 0 when empty
}

OrderLadder::Level OrderLadder::level(std::size_t i) const {
  if (OnHeap()) return (*heap_)[i];
  if (i == 0) return Level{low_, low_lots_, int128(low_) * low_lots_};
  return Level{high_, lots_, value()};
}

std::int64_t OrderLadder::LotsAt(std::size_t i) const {
  if (!OnHeap()) return i == 0 ? low_lots_ : lots_ - low_lots_;
  const std::vector<Level>& h = *heap_;
  return h[i].lots_through - (i == 0 ? 0 : h[i - 1].lots_through);
}

bool operator==(const OrderLadder& a, const OrderLadder& b) {
  if (a.levels() != b.levels() || a.lots_ != b.lots_) return false;
  for (std::size_t i = 0; i < a.levels(); ++i) {
    if (a.level(i).price != b.level(i).price || a.LotsAt(i) != b.LotsAt(i)) return false;
  }
  return true;
}

bool OrderLadder::Holds(Change c) const {
  if (c.lots == 0) return true;
  if (!OnHeap()) {
    const Change lo = InlineLow(), hi = InlineHigh();
    return (c.price == lo.price && c.lots <= lo.lots) || (c.price == hi.price && c.lots <= hi.lots);
  }
  const std::size_t i = LowerBound(*heap_, c.price);
  return i < heap_->size() && (*heap_)[i].price == c.price && LotsAt(i) >= c.lots;
}

// Up to two prices: each case moves the inline fields directly. A third
// price moves all three levels to the heap.
void OrderLadder::AddInline(std::size_t k, std::int64_t price, std::int64_t lots) {
  if (k >= 1 && price == low_) {
    const std::int64_t left = low_lots_ + lots;
    PERPCORE_CHECK(left >= 0);
    if (left == 0 && k == 1) {
      Clear();  // no orders: no heap
      return;
    }
    lots_ += lots;
    low_lots_ = left;
    if (left == 0) {  // the high level is left
      low_ = high_;
      low_lots_ = lots_;
    }
    return;
  }
  if (k == 2 && price == high_) {
    const std::int64_t left = lots_ - low_lots_ + lots;
    PERPCORE_CHECK(left >= 0);
    lots_ += lots;
    if (left == 0) high_ = low_;  // the low level is left
    return;
  }
  PERPCORE_CHECK(lots > 0);  // a new price
  if (k == 0) {
    lots_ = low_lots_ = lots;
    low_ = high_ = price;
  } else if (k == 1) {
    if (price < low_) {
      low_ = price;
      low_lots_ = lots;
    } else {
      high_ = price;
    }
    lots_ += lots;
  } else {
    if (heap_ == nullptr) heap_ = std::make_unique<std::vector<Level>>();
    heap_->reserve(4);
    const Change lo = InlineLow(), hi = InlineHigh(), add{price, lots};
    const Change sorted[3] = {price < low_ ? add : lo, price < low_ ? lo : price < high_ ? add : hi,
                              price < high_ ? hi : add};
    std::int64_t running_lots = 0;
    int128 running_value = 0;
    for (const Change& c : sorted) {
      running_lots += c.lots;
      running_value += int128(c.price) * c.lots;
      heap_->push_back(Level{c.price, running_lots, running_value});
    }
    lots_ = running_lots;
    low_ = sorted[0].price;
    high_ = sorted[2].price;
    low_lots_ = 0;
  }
}

// Three prices or more: every level from the changed one up carries the
// change in its running sums; a new level starts from the sums below it,
// and a level left empty is erased after the sums above it have been
// corrected. Back at two prices the levels move inline (the vector stays,
// empty, for its capacity).
void OrderLadder::AddHeap(std::int64_t price, std::int64_t lots) {
  std::vector<Level>& h = *heap_;
  const std::size_t i = LowerBound(h, price);
  const bool exists = i < h.size() && h[i].price == price;
  PERPCORE_CHECK(exists ? LotsAt(i) + lots >= 0 : lots > 0);
  if (!exists) {
    const Level below = i == 0 ? Level{} : h[i - 1];
    h.insert(h.begin() + static_cast<std::ptrdiff_t>(i),
             Level{price, below.lots_through, below.value_through});
  }
  const int128 value = int128(price) * lots;
  for (std::size_t j = i; j < h.size(); ++j) {
    h[j].lots_through += lots;
    h[j].value_through += value;
  }
  lots_ += lots;
  if (h[i].lots_through == (i == 0 ? 0 : h[i - 1].lots_through)) {  // emptied: erase
    h.erase(h.begin() + static_cast<std::ptrdiff_t>(i));
  }
  low_ = h.front().price;
  high_ = h.back().price;
  if (h.size() == 2) {  // inline again
    low_lots_ = h.front().lots_through;
    h.clear();
  }
}

// Past the fast path some level is above the mark; with three or more,
// those from the first one above it up lose (price - mark) * lots, summed
// from the running sums as (value above) - mark * (lots above).
int128 OrderLadder::LossAboveSearch(std::int64_t mark) const {
  if (!OnHeap()) return OwnLossAbove(mark, InlineLow()) + OwnLossAbove(mark, InlineHigh());
  if (low_ > mark) return value() - int128(mark) * lots_;  // all above
  const std::vector<Level>& h = *heap_;
  const auto it = std::upper_bound(h.begin(), h.end(), mark,
                                   [](std::int64_t m, const Level& l) { return m < l.price; });
  const Level& below = *(it - 1);  // it > begin: the lowest level is at or below the mark
  return (value() - below.value_through) - int128(mark) * (lots_ - below.lots_through);
}

// Past the fast path some level is below the mark; with three or more,
// those below it lose mark * (lots below) - (value below).
int128 OrderLadder::LossBelowSearch(std::int64_t mark) const {
  if (!OnHeap()) return OwnLossBelow(mark, InlineLow()) + OwnLossBelow(mark, InlineHigh());
  if (high_ < mark) return int128(mark) * lots_ - value();  // all below
  // >= 1: the lowest level is below the mark.
  const Level& last = (*heap_)[LowerBound(*heap_, mark) - 1];
  return int128(mark) * last.lots_through - last.value_through;
}

}  // namespace risk
PERPCORE_NAMESPACE_END
