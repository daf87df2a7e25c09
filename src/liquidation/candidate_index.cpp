// CandidateIndex (perpcore/liquidation/candidate_index.hpp): two ordered sets
// whose fired entries are prefixes, and an id lookup for moves and erases.
#include "perpcore/liquidation/candidate_index.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

PERPCORE_NAMESPACE_BEGIN
namespace liquidation {

void CandidateIndex::InsertKey(Side side, const Key& key) {
  if (side == Side::kBuy) {
    longs_.insert(key);
  } else {
    shorts_.insert(key);
  }
}

void CandidateIndex::EraseKey(Side side, const Key& key) {
  // btree erase frees or merges nodes; it never allocates.
  const std::size_t erased = side == Side::kBuy ? longs_.erase(key) : shorts_.erase(key);
  PERPCORE_CHECK(erased == 1);
}

bool CandidateIndex::Insert(const CandidateEntry& entry) {
  const Key key = KeyOf(entry.id, entry.trigger);
  // The map first: if its growth throws, nothing has changed.
  const auto [it, inserted] =
      lookup_.try_emplace(entry.id, Record{key.hi, key.lo, entry.side});
  if (!inserted) return false;
  try {
    InsertKey(entry.side, key);
  } catch (...) {
    lookup_.erase(it);  // never allocates: back to the state before the call
    throw;
  }
  return true;
}

bool CandidateIndex::Update(const CandidateEntry& entry) {
  const auto it = lookup_.find(entry.id);
  if (it == lookup_.end()) return false;
  Record& record = it->second;
  const Key old_key{record.hi, record.lo, entry.id};
  const Key new_key = KeyOf(entry.id, entry.trigger);
  if (record.side == entry.side && old_key.hi == new_key.hi && old_key.lo == new_key.lo) {
    return true;  // already there
  }
  // The new key first (may throw: nothing has changed), then the old one
  // out (never allocates), then the record (plain stores). The two keys
  // differ (another side or another trigger), so the insert cannot collide
  // with the old key.
  InsertKey(entry.side, new_key);
  EraseKey(record.side, old_key);
  record = Record{new_key.hi, new_key.lo, entry.side};
  return true;
}

bool CandidateIndex::Erase(std::uint64_t id) {
  const auto it = lookup_.find(id);
  if (it == lookup_.end()) return false;
  EraseKey(it->second.side, Key{it->second.hi, it->second.lo, id});
  lookup_.erase(it);
  return true;
}

std::optional<CandidateEntry> CandidateIndex::Find(std::uint64_t id) const {
  const auto it = lookup_.find(id);
  if (it == lookup_.end()) return std::nullopt;
  return CandidateEntry{id, it->second.side, absl::MakeInt128(it->second.hi, it->second.lo)};
}

bool CandidateIndex::AnyFired(absl::int128 x) const {
  return (!longs_.empty() && TriggerOf(*longs_.begin()) >= x) ||
         (!shorts_.empty() && TriggerOf(*shorts_.begin()) <= x);
}

FiredResult CandidateIndex::Fired(absl::int128 x, std::span<CandidateEntry> out) const {
  auto li = longs_.begin();
  auto si = shorts_.begin();
  // A long fires while its trigger >= x, a short while its trigger <= x:
  // each side's fired entries are a prefix of its set.
  bool long_fired = li != longs_.end() && TriggerOf(*li) >= x;
  bool short_fired = si != shorts_.end() && TriggerOf(*si) <= x;
  FiredResult result;
  while (long_fired || short_fired) {
    if (result.written == out.size()) {
      result.more = true;
      break;
    }
    bool take_long = long_fired;
    if (long_fired && short_fired) {
      // Depths as uint128: a fired entry's depth lies in [0, 2^128), so the
      // modular difference of the two's-complement values is exact.
      const absl::uint128 long_depth =
          static_cast<absl::uint128>(TriggerOf(*li)) - static_cast<absl::uint128>(x);
      const absl::uint128 short_depth =
          static_cast<absl::uint128>(x) - static_cast<absl::uint128>(TriggerOf(*si));
      take_long = long_depth != short_depth ? long_depth > short_depth : li->id < si->id;
    }
    if (take_long) {
      out[result.written++] = CandidateEntry{li->id, Side::kBuy, TriggerOf(*li)};
      ++li;
      long_fired = li != longs_.end() && TriggerOf(*li) >= x;
    } else {
      out[result.written++] = CandidateEntry{si->id, Side::kSell, TriggerOf(*si)};
      ++si;
      short_fired = si != shorts_.end() && TriggerOf(*si) <= x;
    }
  }
  return result;
}

}  // namespace liquidation
PERPCORE_NAMESPACE_END
