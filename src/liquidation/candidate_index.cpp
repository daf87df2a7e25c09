// CandidateIndex (perpcore/liquidation/candidate_index.hpp): two ordered sets
// whose fired entries are prefixes, and an id lookup (records in a chunked
// vector with a free list, found through a SlotIndex) for moves and erases.
#include "perpcore/liquidation/candidate_index.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

PERPCORE_NAMESPACE_BEGIN
namespace liquidation {

using detail::SlotIndex;

std::uint32_t CandidateIndex::SlotOf(std::uint64_t id) const {
  return lookup_.Find(Hash(id), [&](std::uint32_t slot) { return records_[slot].id == id; });
}

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
  const std::uint32_t h = Hash(entry.id);
  const SlotIndex::Probe probe =
      lookup_.Lookup(h, [&](std::uint32_t slot) { return records_[slot].id == entry.id; });
  if (probe.slot != SlotIndex::kNone) return false;
  // Each step below either throws with the entries unchanged or cannot
  // throw: (1) a free record (appending one may throw; a spare free record
  // changes no entry), (2) the key into its set (may throw), (3) the id into
  // the lookup (may throw: then the key comes out again, which never
  // allocates), (4) the record taken off the free list and filled.
  if (free_head_ == SlotIndex::kNone) {
    PERPCORE_CHECK(records_.size() < SlotIndex::kMaxSlot);
    const auto slot = static_cast<std::uint32_t>(records_.size());
    records_.push_back(Record{0, 0, 0, SlotIndex::kNone, Side::kBuy, false});
    free_head_ = slot;
  }
  const std::uint32_t slot = free_head_;
  const Key key = KeyOf(entry.id, entry.trigger);
  InsertKey(entry.side, key);
  try {
    lookup_.Insert(h, slot, probe);
  } catch (...) {
    EraseKey(entry.side, key);
    throw;
  }
  Record& record = records_[slot];
  free_head_ = record.next_free;
  record = Record{entry.id, key.hi, key.lo, SlotIndex::kNone, entry.side, true};
  return true;
}

bool CandidateIndex::Update(const CandidateEntry& entry) {
  const std::uint32_t slot = SlotOf(entry.id);
  if (slot == SlotIndex::kNone) return false;
  Record& record = records_[slot];
  PERPCORE_DCHECK(record.live);
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
  record.hi = new_key.hi;
  record.lo = new_key.lo;
  record.side = entry.side;
  return true;
}

bool CandidateIndex::Erase(std::uint64_t id) {
  const std::uint32_t slot = SlotOf(id);
  if (slot == SlotIndex::kNone) return false;
  Record& record = records_[slot];
  PERPCORE_DCHECK(record.live);
  EraseKey(record.side, Key{record.hi, record.lo, id});
  record = Record{0, 0, 0, free_head_, Side::kBuy, false};
  free_head_ = slot;
  // Last: a growth step of the lookup may allocate, and when it throws the
  // slot is already erased (slot_index.hpp), so the index is consistent.
  lookup_.Erase(Hash(id), slot);
  return true;
}

std::optional<CandidateEntry> CandidateIndex::Find(std::uint64_t id) const {
  const std::uint32_t slot = SlotOf(id);
  if (slot == SlotIndex::kNone) return std::nullopt;
  const Record& record = records_[slot];
  return CandidateEntry{id, record.side, absl::MakeInt128(record.hi, record.lo)};
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
