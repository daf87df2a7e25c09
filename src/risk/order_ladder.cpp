#include "perpcore/risk/order_ladder.hpp"

#include <algorithm>

PERPCORE_NAMESPACE_BEGIN
namespace risk {

using absl::int128;

template <Losing L>
OrderLadder<L>::OrderLadder(const OrderLadder& other) : lots_(other.lots_), worst_(other.worst_) {
  if (other.OnHeap()) {
    const std::size_t n = other.Count();
    heap_ = std::make_unique<Level[]>(n + 1);
    std::copy(other.heap_.get(), other.heap_.get() + n + 1, heap_.get());
    heap_[0].lots_through = static_cast<std::int64_t>(n);  // capacity: just what is used
  }
}

template <Losing L>
OrderLadder<L>& OrderLadder<L>::operator=(const OrderLadder& other) {
  if (this != &other) *this = OrderLadder(other);
  return *this;
}

template <Losing L>
int128 OrderLadder<L>::value() const {
  if (OnHeap()) return Data()[Count() - 1].value_through;
  return lots_ == 0 ? 0 : int128(worst_) * lots_;
}

template <Losing L>
std::size_t OrderLadder<L>::levels() const {
  if (OnHeap()) return Count();
  return lots_ == 0 ? 0 : 1;
}

template <Losing L>
typename OrderLadder<L>::Level OrderLadder<L>::level(std::size_t i) const {
  if (OnHeap()) return Data()[i];
  return Level{worst_, lots_, int128(worst_) * lots_};
}

template <Losing L>
std::int64_t OrderLadder<L>::LotsAt(std::size_t i) const {
  if (!OnHeap()) return lots_;
  const Level* d = Data();
  return d[i].lots_through - (i == 0 ? 0 : d[i - 1].lots_through);
}

template <Losing L>
std::size_t OrderLadder<L>::Find(std::int64_t price) const {
  const Level* d = Data();
  const Level* it = std::lower_bound(
      d, d + Count(), price, [](const Level& l, std::int64_t p) { return Worse(l.price, p); });
  return static_cast<std::size_t>(it - d);
}

template <Losing L>
bool OrderLadder<L>::Holds(Change c) const {
  if (c.lots == 0) return true;
  if (!OnHeap()) return lots_ > 0 && c.price == worst_ && c.lots <= lots_;
  const std::size_t i = Find(c.price);
  return i < Count() && Data()[i].price == c.price && LotsAt(i) >= c.lots;
}

template <Losing L>
bool OrderLadder<L>::Equals(const OrderLadder& other) const {
  if (levels() != other.levels() || lots_ != other.lots_) return false;
  for (std::size_t i = 0; i < levels(); ++i) {
    if (level(i).price != other.level(i).price || LotsAt(i) != other.LotsAt(i)) return false;
  }
  return true;
}

template <Losing L>
void OrderLadder<L>::Reserve(std::size_t n) {
  if (heap_ != nullptr && Capacity() >= n) return;
  const std::size_t capacity =
      std::max<std::size_t>({n, 4, heap_ != nullptr ? 2 * Capacity() : 0});
  auto bigger = std::make_unique<Level[]>(capacity + 1);
  const std::size_t used = heap_ != nullptr ? Count() : 0;  // (the levels are kept)
  if (used > 0) std::copy(Data(), Data() + used, bigger.get() + 1);
  bigger[0] = Level{static_cast<std::int64_t>(used), static_cast<std::int64_t>(capacity), 0};
  heap_ = std::move(bigger);
}

template <Losing L>
void OrderLadder<L>::Add(std::int64_t price, std::int64_t lots) {
  if (lots == 0) return;
  if (OnHeap()) {
    AddHeap(price, lots);
  } else {
    AddInline(price, lots);
  }
}

// No price or one: the inline fields move directly. A second price moves
// both levels to the heap.
template <Losing L>
void OrderLadder<L>::AddInline(std::int64_t price, std::int64_t lots) {
  if (lots_ == 0) {
    PERPCORE_CHECK(lots > 0);
    lots_ = lots;
    worst_ = price;
    return;
  }
  if (price == worst_) {
    PERPCORE_CHECK(lots_ + lots >= 0);
    lots_ += lots;
    if (lots_ == 0) Clear();  // no orders: no heap
    return;
  }
  PERPCORE_CHECK(lots > 0);
  Reserve(2);
  const Change held{worst_, lots_}, added{price, lots};
  const bool worse = Worse(price, worst_);
  const Change first = worse ? added : held, second = worse ? held : added;
  Level* d = Data();
  d[0] = Level{first.price, first.lots, int128(first.price) * first.lots};
  d[1] = Level{second.price, first.lots + second.lots,
               d[0].value_through + int128(second.price) * second.lots};
  heap_[0].price = 2;
  lots_ += lots;
  worst_ = first.price;
}

// Two prices or more: every level from the changed one on carries the
// change in its running sums; a new level starts from the sums before it,
// and a level left empty is erased after the sums after it have been
// corrected. Back at one price the level is inline again; the block stays,
// empty, for its capacity.
template <Losing L>
void OrderLadder<L>::AddHeap(std::int64_t price, std::int64_t lots) {
  std::size_t n = Count();
  const std::size_t i = Find(price);
  const bool exists = i < n && Data()[i].price == price;
  PERPCORE_CHECK(exists ? LotsAt(i) + lots >= 0 : lots > 0);
  if (!exists) {
    Reserve(n + 1);
    Level* d = Data();
    std::copy_backward(d + i, d + n, d + n + 1);
    d[i] = i == 0 ? Level{price, 0, 0}
                  : Level{price, d[i - 1].lots_through, d[i - 1].value_through};
    ++n;
  }
  Level* d = Data();
  const int128 value = int128(price) * lots;
  for (std::size_t j = i; j < n; ++j) {
    d[j].lots_through += lots;
    d[j].value_through += value;
  }
  lots_ += lots;
  if (d[i].lots_through == (i == 0 ? 0 : d[i - 1].lots_through)) {  // emptied: erase
    std::copy(d + i + 1, d + n, d + i);
    --n;
  }
  worst_ = d[0].price;
  heap_[0].price = n == 1 ? 0 : static_cast<std::int64_t>(n);  // one price: inline again
}

// Past the fast path the worst price loses (so the side has orders). The
// losing levels are a prefix; the running sums through its last give
//   bids: value - mark * lots,   asks: mark * lots - value.
template <Losing L>
int128 OrderLadder<L>::LossSearch(std::int64_t mark) const {
  if (!OnHeap()) return OwnLoss(mark, Change{worst_, lots_});
  const Level* d = Data();
  const Level* end = std::partition_point(
      d, d + Count(), [mark](const Level& l) { return Loses(l.price, mark); });
  const Level& last = *(end - 1);  // end > d: the worst price loses
  const int128 at_mark = int128(mark) * last.lots_through;
  return L == Losing::kAboveMark ? last.value_through - at_mark : at_mark - last.value_through;
}

template class OrderLadder<Losing::kAboveMark>;
template class OrderLadder<Losing::kBelowMark>;

}  // namespace risk
PERPCORE_NAMESPACE_END
