#include "perpcore/liquidation/adl_queue.hpp"

#include <limits>
#include <vector>

#include "absl/numeric/int128.h"

PERPCORE_NAMESPACE_BEGIN
namespace liquidation {
namespace {

using absl::int128;

// Entry price order: a before b iff a.cost / a.size < b.cost / b.size.
template <class K>
bool CheaperEntry(const K& a, const K& b) {
  return int128(a.cost) * b.size < int128(b.cost) * a.size;
}

}  // namespace

bool AdlQueue::LongOrder::operator()(const Key& a, const Key& b) const {
  if (a.leverage != b.leverage) return a.leverage < b.leverage;
  if (CheaperEntry(a, b)) return true;
  if (CheaperEntry(b, a)) return false;
  return a.account < b.account;
}

bool AdlQueue::ShortOrder::operator()(const Key& a, const Key& b) const {
  if (a.leverage != b.leverage) return a.leverage < b.leverage;
  if (CheaperEntry(b, a)) return true;
  if (CheaperEntry(a, b)) return false;
  return a.account < b.account;
}

bool AdlQueue::Before(Side side, const AdlEntry& a, std::uint32_t la, const AdlEntry& b,
                      std::uint32_t lb, std::int64_t value_per_lot) {
  // score(x) = Lx * gain(x) / cost(x), gain = V * size - cost for a long,
  // cost - V * size for a short; compared times cost(a) * cost(b) > 0.
  const int128 v = value_per_lot;
  int128 ga = v * a.size - a.cost;
  int128 gb = v * b.size - b.cost;
  if (side == Side::kSell) {
    ga = -ga;
    gb = -gb;
  }
  const int128 sa = int128(la) * ga * b.cost;
  const int128 sb = int128(lb) * gb * a.cost;
  if (sa != sb) return sa > sb;
  return a.account < b.account;
}

std::uint32_t AdlQueue::RecordOf(std::uint64_t slot) const {
  if (!lookup_.has_value()) return detail::SlotIndex::kNone;
  return lookup_->Find(detail::Hash32(slot, 0),
                      [&](std::uint32_t r) { return records_[r].entry.slot == slot; });
}

void AdlQueue::InsertKey(const AdlEntry& e) {
  if (e.side == Side::kBuy) {
    longs_set_.insert(KeyOf(e));
  } else {
    shorts_set_.insert(KeyOf(e));
  }
}

void AdlQueue::EraseKey(const AdlEntry& e) {
  // An erase frees a node; it never allocates. By equivalence: the set may
  // hold an older cost and size of the same ratio (Upsert).
  const std::size_t erased =
      e.side == Side::kBuy ? longs_set_.erase(KeyOf(e)) : shorts_set_.erase(KeyOf(e));
  PERPCORE_CHECK(erased == 1);
}

void AdlQueue::Upsert(const AdlEntry& e) {
  PERPCORE_CHECK(e.cost >= 1 && e.size >= 1 && e.slot < detail::SlotIndex::kMaxSlot);
  const std::uint32_t h = detail::Hash32(e.slot, 0);
  if (!lookup_.has_value()) lookup_.emplace();
  const detail::SlotIndex::Probe probe =
      lookup_->Lookup(h, [&](std::uint32_t r) { return records_[r].entry.slot == e.slot; });
  if (probe.slot != detail::SlotIndex::kNone) {
    Record& record = records_[probe.slot];
    const AdlEntry& old = record.entry;
    // Same side, setting and entry price (a position grown or cut at its
    // own entry price): the set orders it the same, so its key stays (the
    // set keeps the old cost and size, whose ratio, all a score reads, is
    // the same).
    if (old.side == e.side && old.leverage == e.leverage &&
        int128(old.cost) * e.size == int128(e.cost) * old.size) {
      record.entry = e;
      return;
    }
    // The new key first (may throw: nothing changed), then the old one out
    // (never allocates): they are not equivalent.
    InsertKey(e);
    EraseKey(old);
    record.entry = e;
    return;
  }
  // (1) a free record (appending may throw; a spare free record changes
  // nothing), (2) the key (may throw), (3) the slot into the lookup (may
  // throw: the key comes out again), (4) the record filled.
  if (free_head_ == detail::SlotIndex::kNone) {
    PERPCORE_CHECK(records_.size() < detail::SlotIndex::kMaxSlot);
    free_head_ = static_cast<std::uint32_t>(records_.size());
    records_.push_back(Record{AdlEntry{}, detail::SlotIndex::kNone, false});
  }
  const std::uint32_t r = free_head_;
  InsertKey(e);
  try {
    lookup_->Insert(h, r, probe);
  } catch (...) {
    EraseKey(e);
    throw;
  }
  free_head_ = records_[r].next_free;
  records_[r] = Record{e, detail::SlotIndex::kNone, true};
}

bool AdlQueue::Erase(std::uint64_t slot) {
  const std::uint32_t r = RecordOf(slot);
  if (r == detail::SlotIndex::kNone) return false;
  EraseKey(records_[r].entry);
  records_[r] = Record{AdlEntry{}, free_head_, false};
  free_head_ = r;
  // Last: a growth step of the lookup may allocate; when it throws the slot
  // is erased already (slot_index.hpp).
  lookup_->Erase(detail::Hash32(slot, 0), r);
  return true;
}

std::optional<AdlEntry> AdlQueue::Find(std::uint64_t slot) const {
  const std::uint32_t r = RecordOf(slot);
  if (r == detail::SlotIndex::kNone) return std::nullopt;
  return records_[r].entry;
}

template <class Order>
void AdlQueue::Merge(const Set<Order>& set, Side side, std::int64_t value_per_lot,
                     Effective effective, absl::FunctionRef<bool(const AdlEntry&)> visit) {
  using Iter = typename Set<Order>::const_iterator;
  struct Head {
    Iter at, end;
    std::uint32_t leverage;  // effective
  };
  // One head per setting: each setting's keys are contiguous.
  std::vector<Head> heads;
  const std::int64_t first_cost = side == Side::kBuy ? 0 : std::numeric_limits<std::int64_t>::max();
  for (Iter at = set.begin(); at != set.end();) {
    const std::uint32_t setting = at->leverage;
    const Iter end = setting == std::numeric_limits<std::uint32_t>::max()
                         ? set.end()
                         : set.lower_bound(Key{setting + 1, first_cost, 1, 0, 0});
    heads.push_back({at, end, effective(setting)});
    at = end;
  }
  const auto entry = [&](const Head& h) {
    return AdlEntry{.slot = h.at->slot,
                    .account = h.at->account,
                    .side = side,
                    .leverage = h.at->leverage,
                    .cost = h.at->cost,
                    .size = h.at->size};
  };
  for (;;) {
    Head* best = nullptr;
    for (Head& h : heads) {
      if (h.at == h.end) continue;
      if (best == nullptr ||
          Before(side, entry(h), h.leverage, entry(*best), best->leverage, value_per_lot)) {
        best = &h;
      }
    }
    if (best == nullptr || !visit(entry(*best))) return;
    ++best->at;
  }
}

void AdlQueue::Ranked(Side side, std::int64_t value_per_lot, Effective effective,
                      absl::FunctionRef<bool(const AdlEntry&)> visit) const {
  if (side == Side::kBuy) {
    Merge(longs_set_, side, value_per_lot, effective, visit);
  } else {
    Merge(shorts_set_, side, value_per_lot, effective, visit);
  }
}

std::optional<AdlRank> AdlQueue::RankOf(std::uint64_t slot, std::int64_t value_per_lot,
                                        Effective effective) const {
  const std::optional<AdlEntry> e = Find(slot);
  if (!e.has_value()) return std::nullopt;
  const std::uint32_t le = effective(e->leverage);
  std::size_t rank = 0;
  for (std::size_t r = 0; r < records_.size(); ++r) {
    const Record& other = records_[r];
    if (other.live && other.entry.side == e->side && other.entry.slot != slot &&
        Before(e->side, other.entry, effective(other.entry.leverage), *e, le, value_per_lot)) {
      ++rank;
    }
  }
  const std::size_t count = size(e->side);
  return AdlRank{.rank = rank,
                 .count = count,
                 .bucket = static_cast<std::uint32_t>(4 - (5 * rank) / count)};
}

}  // namespace liquidation
PERPCORE_NAMESPACE_END
