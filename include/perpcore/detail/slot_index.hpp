// -----------------------------------------------------------------------------
// File: perpcore/detail/slot_index.hpp
// -----------------------------------------------------------------------------
//
// Not API. An open-addressing hash index from a key to a 32-bit pool slot,
// used by the order book for id, client-id, price-level and account lookups.
//
// The index stores only (slot, 32-bit hash) pairs, 8 bytes each; the key lives
// in the pooled record, and lookups confirm a hash match with a caller-given
// predicate on the slot. Linear probing, at most 3/4 full, deletion by
// backward shift (no tombstones, so a long-lived index never degrades).
//
// Determinism: the index is never iterated into state or events, so its
// layout, which depends on insertion history, cannot reach them.
// Complexity: O(1) expected per operation; growth doubles and rehashes.
// Thread safety: not thread-safe.
#ifndef PERPCORE_DETAIL_SLOT_INDEX_HPP_
#define PERPCORE_DETAIL_SLOT_INDEX_HPP_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/numeric/int128.h"
#include "perpcore/detail/config.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace detail {

// Mix64()
//
// A bijective 64-bit finalizer (splitmix64's), for combining key parts.
constexpr std::uint64_t Mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// Hash32()
//
// One 64x64->128 multiply folded to 64 bits (the "mum" step of wyhash), then
// folded to 32. Cheap and well spread for sequential and random ids. It is
// not a keyed PRF: the seed (BookConfig::hash_seed) makes probe positions
// host-specific, which raises the bar for ids chosen to collide but is not a
// proof against it.
inline std::uint32_t Hash32(std::uint64_t key, std::uint64_t seed) {
  const absl::uint128 p = absl::uint128(key ^ seed) * 0x9e3779b97f4a7c15ULL;
  const std::uint64_t folded = absl::Uint128Low64(p) ^ absl::Uint128High64(p);
  return static_cast<std::uint32_t>(folded >> 32) ^ static_cast<std::uint32_t>(folded);
}

class SlotIndex {
 public:
  static constexpr std::uint32_t kNone = 0xFFFFFFFFu;

  explicit SlotIndex(std::size_t expected = 8) { Rehash(CapacityFor(expected)); }

  // Copies are independent; a moved-from index is empty and usable.
  SlotIndex(const SlotIndex&) = default;
  SlotIndex& operator=(const SlotIndex&) = default;
  SlotIndex(SlotIndex&& other) noexcept
      : entries_(std::move(other.entries_)),
        mask_(other.mask_),
        size_(other.size_),
        generation_(other.generation_) {
    other.Clear();
  }
  SlotIndex& operator=(SlotIndex&& other) noexcept {
    if (this != &other) {
      entries_ = std::move(other.entries_);
      mask_ = other.mask_;
      size_ = other.size_;
      ++generation_;
      other.Clear();
    }
    return *this;
  }

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return entries_.size(); }
  std::size_t memory_bytes() const { return entries_.capacity() * sizeof(Entry); }

  // Reserve()
  //
  // Room for `n` entries without growing.
  void Reserve(std::size_t n) {
    if (CapacityFor(n) > entries_.size()) Rehash(CapacityFor(n));
  }

  // Find()
  //
  // The slot whose hash is `h` and for which eq(slot) holds, or kNone.
  template <class Eq>
  std::uint32_t Find(std::uint32_t h, Eq&& eq) const {
    if (entries_.empty()) return kNone;
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Entry& e = entries_[i];
      if (e.slot == kNone) return kNone;
      if (e.hash == h && eq(e.slot)) return e.slot;
    }
  }

  // Probe
  //
  // The result of a lookup that may be followed by an insert of the same key:
  // `slot` is the match or kNone, `hole` is where the probe run ended, valid
  // while the index's generation is unchanged.
  struct Probe {
    std::uint32_t slot;
    std::uint32_t generation;
    std::size_t hole;
  };

  // Lookup()
  //
  // As Find(), remembering where an absent key would go.
  template <class Eq>
  Probe Lookup(std::uint32_t h, Eq&& eq) const {
    if (entries_.empty()) return Probe{kNone, generation_, 0};
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Entry& e = entries_[i];
      if (e.slot == kNone) return Probe{kNone, generation_, i};
      if (e.hash == h && eq(e.slot)) return Probe{e.slot, generation_, i};
    }
  }

  // Insert()
  //
  // Adds `slot` under hash `h`. The caller guarantees the key is not present.
  // With `probe` from a Lookup() of the same key, and no change to the index
  // since, the probe run is not walked again.
  void Insert(std::uint32_t h, std::uint32_t slot) {
    if ((size_ + 1) * 4 > entries_.size() * 3) Rehash(std::max<std::size_t>(8, entries_.size() * 2));
    Place(h, slot);
    ++size_;
    ++generation_;
  }
  void Insert(std::uint32_t h, std::uint32_t slot, const Probe& probe) {
    if (probe.generation != generation_ || (size_ + 1) * 4 > entries_.size() * 3) {
      Insert(h, slot);
      return;
    }
    PERPCORE_DCHECK(entries_[probe.hole].slot == kNone);
    entries_[probe.hole] = Entry{slot, h};
    ++size_;
    ++generation_;
  }

  // Erase()
  //
  // Removes `slot`, which must be present under hash `h`.
  void Erase(std::uint32_t h, std::uint32_t slot) {
    std::size_t i = h & mask_;
    while (entries_[i].slot != slot) {
      PERPCORE_DCHECK(entries_[i].slot != kNone);
      i = (i + 1) & mask_;
    }
    // Backward shift: pull later entries of the probe run into the hole
    // unless their home position lies cyclically in (hole, entry].
    for (std::size_t j = (i + 1) & mask_; entries_[j].slot != kNone; j = (j + 1) & mask_) {
      const std::size_t home = entries_[j].hash & mask_;
      if (((j - home) & mask_) >= ((j - i) & mask_)) {
        entries_[i] = entries_[j];
        i = j;
      }
    }
    entries_[i].slot = kNone;
    --size_;
    ++generation_;
  }

 private:
  struct Entry {
    std::uint32_t slot = kNone;
    std::uint32_t hash = 0;
  };

  static std::size_t CapacityFor(std::size_t n) {
    std::size_t cap = 8;
    while (cap * 3 < n * 4) cap *= 2;
    return cap;
  }

  void Place(std::uint32_t h, std::uint32_t slot) {
    std::size_t i = h & mask_;
    while (entries_[i].slot != kNone) i = (i + 1) & mask_;
    entries_[i] = Entry{slot, h};
  }

  // An empty index without storage, as a moved-from one is left.
  void Clear() {
    entries_.clear();
    entries_.shrink_to_fit();
    mask_ = 0;
    size_ = 0;
    ++generation_;
  }

  void Rehash(std::size_t cap) {
    ++generation_;
    std::vector<Entry> old;
    old.swap(entries_);
    entries_.assign(cap, Entry{});
    mask_ = cap - 1;
    for (const Entry& e : old) {
      if (e.slot != kNone) Place(e.hash, e.slot);
    }
  }

  std::vector<Entry> entries_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
  std::uint32_t generation_ = 0;  // wraps harmlessly: probes live one call
};

}  // namespace detail
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_DETAIL_SLOT_INDEX_HPP_
