#include "perpcore/liquidation/adl_queue.hpp"

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

AdlEntry EntryOf(std::uint64_t slot, Side side, std::uint32_t leverage, std::int64_t cost,
                 std::int64_t size, std::uint64_t account) {
  return {.slot = slot, .account = account, .side = side, .leverage = leverage, .cost = cost,
          .size = size};
}

}  // namespace

bool AdlQueue::LongOrder::operator()(const Key& a, const Key& b) const {
  if (CheaperEntry(a, b)) return true;
  if (CheaperEntry(b, a)) return false;
  return a.account < b.account;
}

bool AdlQueue::ShortOrder::operator()(const Key& a, const Key& b) const {
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

void AdlQueue::Remove(const AdlEntry& e) {
  const Key k{e.cost, e.size, e.account, e.slot};
  if (e.side == Side::kBuy) {
    auto g = long_groups_.find(e.leverage);
    PERPCORE_CHECK(g != long_groups_.end() && g->second.erase(k) == 1);
    if (g->second.empty()) long_groups_.erase(g);
    --longs_;
  } else {
    auto g = short_groups_.find(e.leverage);
    PERPCORE_CHECK(g != short_groups_.end() && g->second.erase(k) == 1);
    if (g->second.empty()) short_groups_.erase(g);
    --shorts_;
  }
}

void AdlQueue::Upsert(const AdlEntry& e) {
  PERPCORE_CHECK(e.cost >= 1 && e.size >= 1);
  auto [it, inserted] = by_slot_.try_emplace(e.slot, e);
  if (!inserted) {
    if (it->second == e) return;
    Remove(it->second);
    it->second = e;
  }
  const Key k{e.cost, e.size, e.account, e.slot};
  if (e.side == Side::kBuy) {
    long_groups_[e.leverage].insert(k);
    ++longs_;
  } else {
    short_groups_[e.leverage].insert(k);
    ++shorts_;
  }
}

bool AdlQueue::Erase(std::uint64_t slot) {
  const auto it = by_slot_.find(slot);
  if (it == by_slot_.end()) return false;
  Remove(it->second);
  by_slot_.erase(it);
  return true;
}

std::optional<AdlEntry> AdlQueue::Find(std::uint64_t slot) const {
  const auto it = by_slot_.find(slot);
  if (it == by_slot_.end()) return std::nullopt;
  return it->second;
}

template <class Order>
void AdlQueue::Merge(const Groups<Order>& groups, Side side, std::int64_t value_per_lot,
                     Effective effective, absl::FunctionRef<bool(const AdlEntry&)> visit) {
  struct Head {
    typename absl::btree_set<Key, Order>::const_iterator at, end;
    std::uint32_t setting, leverage;
  };
  std::vector<Head> heads;
  heads.reserve(groups.size());
  for (const auto& [setting, keys] : groups) {
    heads.push_back({keys.begin(), keys.end(), setting, effective(setting)});
  }
  const auto entry = [&](const Head& h) {
    return EntryOf(h.at->slot, side, h.setting, h.at->cost, h.at->size, h.at->account);
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
    Merge(long_groups_, side, value_per_lot, effective, visit);
  } else {
    Merge(short_groups_, side, value_per_lot, effective, visit);
  }
}

std::optional<AdlRank> AdlQueue::RankOf(std::uint64_t slot, std::int64_t value_per_lot,
                                        Effective effective) const {
  const std::optional<AdlEntry> e = Find(slot);
  if (!e.has_value()) return std::nullopt;
  const std::uint32_t le = effective(e->leverage);
  std::size_t rank = 0;
  for (const auto& [s, other] : by_slot_) {
    if (other.side == e->side && s != slot &&
        Before(e->side, other, effective(other.leverage), *e, le, value_per_lot)) {
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
