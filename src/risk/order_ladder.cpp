#include "perpcore/risk/order_ladder.hpp"

#include <algorithm>

PERPCORE_NAMESPACE_BEGIN
namespace risk {
namespace {

using absl::int128;

// The loss of one order (or change) on its own.
int128 OwnLossAbove(std::int64_t mark, OrderLadder::Change c) {
  return c.price > mark ? (int128(c.price) - mark) * c.lots : 0;
}
int128 OwnLossBelow(std::int64_t mark, OrderLadder::Change c) {
  return c.price < mark ? (int128(mark) - c.price) * c.lots : 0;
}

}  // namespace

std::size_t OrderLadder::LowerBound(std::int64_t price) const {
  const auto it = std::lower_bound(levels_.begin(), levels_.end(), price,
                                   [](const Level& l, std::int64_t p) { return l.price < p; });
  return static_cast<std::size_t>(it - levels_.begin());
}

bool OrderLadder::Holds(Change c) const {
  if (c.lots == 0) return true;
  const std::size_t i = LowerBound(c.price);
  return i < levels_.size() && levels_[i].price == c.price && LotsAt(i) >= c.lots;
}

// Every level from the changed one up carries the change in its running
// sums; a new level starts from the sums below it, and a level left empty
// is erased after the sums above it have been corrected.
void OrderLadder::Add(std::int64_t price, std::int64_t lots) {
  if (lots == 0) return;
  const std::size_t i = LowerBound(price);
  const bool exists = i < levels_.size() && levels_[i].price == price;
  PERPCORE_CHECK(exists ? LotsAt(i) + lots >= 0 : lots > 0);
  if (!exists) {
    const Level below = i == 0 ? Level{} : levels_[i - 1];
    levels_.insert(levels_.begin() + static_cast<std::ptrdiff_t>(i),
                   Level{price, below.lots_through, below.value_through});
  }
  const int128 value = int128(price) * lots;
  for (std::size_t j = i; j < levels_.size(); ++j) {
    levels_[j].lots_through += lots;
    levels_[j].value_through += value;
  }
  if (LotsAt(i) == 0) levels_.erase(levels_.begin() + static_cast<std::ptrdiff_t>(i));
}

// Past the fast path some level is above the mark; those from the first
// one above the mark up lose (price - mark) * lots, summed from the running
// sums as (value above) - mark * (lots above).
int128 OrderLadder::LossAboveSearch(std::int64_t mark) const {
  const auto it = std::upper_bound(levels_.begin(), levels_.end(), mark,
                                   [](std::int64_t m, const Level& l) { return m < l.price; });
  if (it == levels_.begin()) return value() - int128(mark) * lots();
  const Level& below = *(it - 1);
  return (value() - below.value_through) - int128(mark) * (lots() - below.lots_through);
}

// Past the fast path some level is below the mark; those below it lose
// mark * (lots below) - (value below).
int128 OrderLadder::LossBelowSearch(std::int64_t mark) const {
  const std::size_t i = LowerBound(mark);
  const Level& last = levels_[i - 1];  // i >= 1: the lowest level is below the mark
  return int128(mark) * last.lots_through - last.value_through;
}

int128 OrderLadder::LossAbove(std::int64_t mark, Change add, Change remove) const {
  PERPCORE_DCHECK(Holds(remove));
  return LossAbove(mark) + OwnLossAbove(mark, add) - OwnLossAbove(mark, remove);
}

int128 OrderLadder::LossBelow(std::int64_t mark, Change add, Change remove) const {
  PERPCORE_DCHECK(Holds(remove));
  return LossBelow(mark) + OwnLossBelow(mark, add) - OwnLossBelow(mark, remove);
}

}  // namespace risk
PERPCORE_NAMESPACE_END
