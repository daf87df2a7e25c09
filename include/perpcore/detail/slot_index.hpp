// -----------------------------------------------------------------------------
// File: perpcore/detail/slot_index.hpp
// -----------------------------------------------------------------------------
//
// Not API. An open-addressing hash index from a key to a 32-bit pool slot,
// used by the order book for id, client-id, price-level and account lookups
// and by the engine for account ids.
//
// The index stores only (slot, 32-bit hash) pairs, 8 bytes each; the key lives
// in the pooled record, and lookups confirm a hash match with a caller-given
// predicate on the slot. Linear probing, at most 3/4 full, deletion by
// backward shift (no tombstones, so a long-lived index never degrades).
//
// Growth is incremental, so no single operation pays for the whole index
// (DESIGN.md rule 5: the index grows inside commands). When an insert would
// pass 3/4 full, a table twice the size becomes current and the old one is
// drained into it kDrainStep positions per insert and erase, in position
// order; until it is empty, lookups try the current table and then the
// undrained part of the old one, and erasing an entry still there leaves a
// tombstone (the old table takes no inserts, so its probe runs stay intact).
// Tables are paged (kPageEntries entries, 4 KiB; a new table's pages are
// allocated on first write or one per drain step, an old table's freed once
// drained), so no operation allocates, clears or copies more than a few
// pages. The old table is drained long before the current one fills: it
// holds at most 3/4 of half the current capacity, and each insert drains
// kDrainStep of its positions.
//
// Allocation failure: an operation whose allocation throws leaves the index
// consistent (the insert that threw did not happen; an erase did), so a
// poisoned engine can still be queried, copied and destroyed. Erase can
// allocate too, while a growth drains.
//
// Determinism: the index is never iterated into state or events, so its
// layout, which depends on insertion history, cannot reach them.
// Complexity: O(1) expected per operation, growth included: at worst a few
// pages of work, and, in the insert that starts a growth, the new table's
// page-pointer table (capacity / 512 pointers: 32 KiB at 2^21 entries).
// Reserve() and copies are O(size).
// Thread safety: not thread-safe.
#ifndef PERPCORE_DETAIL_SLOT_INDEX_HPP_
#define PERPCORE_DETAIL_SLOT_INDEX_HPP_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
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
  // Slots stored must be below kMaxSlot (0xFFFFFFFE marks an erased entry of
  // a table being drained).
  static constexpr std::uint32_t kMaxSlot = 0xFFFFFFFEu;

  explicit SlotIndex(std::size_t expected = 8) : cur_(CapacityFor(expected), true), steady_(true) {}

  // Copies are independent; a moved-from index is empty and usable.
  SlotIndex(const SlotIndex&) = default;
  SlotIndex& operator=(const SlotIndex&) = default;
  SlotIndex(SlotIndex&& other) noexcept
      : cur_(std::move(other.cur_)),
        old_(std::move(other.old_)),
        cursor_(other.cursor_),
        size_(other.size_),
        generation_(other.generation_),
        steady_(other.steady_) {
    other.Clear();
  }
  SlotIndex& operator=(SlotIndex&& other) noexcept {
    if (this != &other) {
      cur_ = std::move(other.cur_);
      old_ = std::move(other.old_);
      cursor_ = other.cursor_;
      size_ = other.size_;
      ++generation_;
      steady_ = other.steady_;
      other.Clear();
    }
    return *this;
  }

  std::size_t size() const { return size_; }
  // The current table's capacity (entries).
  std::size_t capacity() const { return cur_.capacity(); }
  // True while an old table is still being drained.
  bool growing() const { return !old_.empty(); }
  std::size_t memory_bytes() const { return cur_.memory_bytes() + old_.memory_bytes(); }

  // Reserve()
  //
  // Room for `n` entries without growing. O(size): for constructors, not
  // for the middle of a command.
  void Reserve(std::size_t n) {
    if (CapacityFor(n) <= cur_.capacity()) return;
    Table t(CapacityFor(n), true);
    for (const Table* from : {&old_, &cur_}) {
      const std::size_t begin = from == &old_ ? cursor_ : 0;
      for (std::size_t i = begin; i < from->capacity(); ++i) {
        const Entry e = from->Get(i);
        if (e.slot < kMaxSlot) t.Place<false>(e.hash, e.slot);
      }
    }
    cur_ = std::move(t);
    old_ = Table();
    cursor_ = 0;
    ++generation_;
    steady_ = true;
  }

  // Find()
  //
  // The slot whose hash is `h` and for which eq(slot) holds, or kNone.
  template <class Eq>
  std::uint32_t Find(std::uint32_t h, Eq&& eq) const {
    if (steady_) return cur_.Find<false>(h, eq, nullptr);
    if (!growing()) return kNone;  // no table: moved from
    const std::uint32_t s = cur_.Find<true>(h, eq, nullptr);
    return s != kNone ? s : FindOld(h, eq, nullptr);
  }

  // Probe
  //
  // The result of a lookup that may be followed by an insert of the same key:
  // `slot` is the match or kNone, `hole` is where the probe run of the
  // current table ended, valid while the index's generation is unchanged.
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
    std::size_t hole = 0;
    if (steady_) return Probe{cur_.Find<false>(h, eq, &hole), generation_, hole};
    if (!growing()) return Probe{kNone, generation_, hole};  // no table: moved from
    std::uint32_t s = cur_.Find<true>(h, eq, &hole);
    if (s == kNone) s = FindOld(h, eq, nullptr);
    return Probe{s, generation_, hole};
  }

  // Insert()
  //
  // Adds `slot` (< kMaxSlot) under hash `h`. The caller guarantees the key
  // is not present. With `probe` from a Lookup() of the same key, and no
  // change to the index since, the probe run is not walked again.
  void Insert(std::uint32_t h, std::uint32_t slot) {
    PERPCORE_DCHECK(slot < kMaxSlot);
    if (!steady_ || (size_ + 1) * 4 > (cur_.mask() + 1) * 3) {
      InsertGrowing(h, slot);
      return;
    }
    PERPCORE_DCHECK(cur_.complete());
    cur_.Place<false>(h, slot);
    ++size_;
    ++generation_;
  }
  void Insert(std::uint32_t h, std::uint32_t slot, const Probe& probe) {
    if (probe.generation != generation_ || !steady_ ||
        (size_ + 1) * 4 > (cur_.mask() + 1) * 3) {
      Insert(h, slot);
      return;
    }
    PERPCORE_DCHECK(slot < kMaxSlot);
    *cur_.At<false>(probe.hole) = Entry{slot, h};
    ++size_;
    ++generation_;
  }

  // Erase()
  //
  // Removes `slot`, which must be present under hash `h`.
  void Erase(std::uint32_t h, std::uint32_t slot) {
    if (!steady_) {  // growing (a moved-from index holds nothing to erase)
      EraseGrowing(h, slot);
      return;
    }
    const bool erased = cur_.Erase<false>(h, slot);
    PERPCORE_DCHECK(erased);
    static_cast<void>(erased);
    --size_;
    ++generation_;
  }

 private:
  struct Entry {
    std::uint32_t slot = kNone;
    std::uint32_t hash = 0;
  };

  // An operation writes at most kDrainStep + 1 entries of the current table
  // and allocates at most kDrainStep + 2 of its pages (one OS page each: the
  // first touch of fresh memory is a page fault, so a page's size is what an
  // operation's worst case pays for). The table of page pointers,
  // capacity / kPageEntries of them (1/64 of the table's bytes), is
  // allocated when a growth starts. kDrainStep = 2 drains the old table
  // (half the current capacity) within capacity / 4 inserts, by when the
  // current table holds at most 3/8 + 1/4 of its capacity: below the 3/4
  // that would start a growth. Draining also allocates the current table's
  // missing pages, one per quarter page drained, so it is complete (every
  // page allocated) when the growth ends, and the index's steady state
  // reaches its entries without null checks.
  static constexpr std::size_t kPageBits = 9;
  static constexpr std::size_t kPageEntries = std::size_t{1} << kPageBits;  // 4 KiB
  static constexpr std::size_t kDrainStep = 2;  // old positions drained per operation

  // Table
  //
  // A power-of-two array of entries in pages of min(capacity, kPageEntries).
  // A complete table has every page; an incomplete one (the current table
  // of a growth, or an old one) allocates a page on its first write, and a
  // missing page reads as empty. At<kChecked>: kChecked for a table that may
  // be incomplete.
  class Table {
   public:
    Table() = default;
    // `complete`: allocate every page now (O(cap)); else none.
    Table(std::size_t cap, bool complete)
        : pages_((cap + kPageEntries - 1) / kPageEntries), mask_(cap - 1) {
      if (complete) {
        for (auto& p : pages_) p = NewPage();
        allocated_ = pages_.size();
      }
    }
    Table(const Table& other)
        : pages_(other.pages_.size()),
          mask_(other.mask_),
          allocated_(other.allocated_),
          fill_(other.fill_) {
      for (std::size_t p = 0; p < pages_.size(); ++p) {
        if (other.pages_[p] == nullptr) continue;
        pages_[p] = NewPage();
        std::copy_n(other.pages_[p].get(), PageEntries(), pages_[p].get());
      }
    }
    Table& operator=(const Table& other) {
      if (this != &other) *this = Table(other);
      return *this;
    }
    Table(Table&& other) noexcept
        : pages_(std::move(other.pages_)),
          mask_(other.mask_),
          allocated_(other.allocated_),
          fill_(other.fill_) {
      other.Reset();
    }
    Table& operator=(Table&& other) noexcept {
      pages_ = std::move(other.pages_);
      mask_ = other.mask_;
      allocated_ = other.allocated_;
      fill_ = other.fill_;
      other.Reset();
      return *this;
    }

    bool empty() const { return pages_.empty(); }
    std::size_t capacity() const { return pages_.empty() ? 0 : mask_ + 1; }
    std::size_t mask() const { return mask_; }
    bool complete() const { return allocated_ == pages_.size(); }
    std::size_t memory_bytes() const {
      return allocated_ * PageEntries() * sizeof(Entry) + pages_.capacity() * sizeof(pages_[0]);
    }

    // The entry at position i; for kChecked, null if its page is missing
    // (it reads as empty).
    template <bool kChecked>
    Entry* At(std::size_t i) const {
      Entry* page = pages_[i >> kPageBits].get();
      if constexpr (kChecked) {
        if (page == nullptr) return nullptr;
      }
      return page + (i & (kPageEntries - 1));
    }
    template <bool kChecked>
    static bool Empty(const Entry* e) {
      if constexpr (kChecked) {
        if (e == nullptr) return true;
      }
      return e->slot == kNone;
    }
    Entry Get(std::size_t i) const {
      const Entry* e = At<true>(i);
      return e == nullptr ? Entry{} : *e;
    }
    void Set(std::size_t i, const Entry& e) {
      std::unique_ptr<Entry[]>& page = pages_[i >> kPageBits];
      if (page == nullptr) {
        page = NewPage();
        ++allocated_;
      }
      page[i & (kPageEntries - 1)] = e;
    }
    // Allocates the next missing page in order, if any.
    void AllocateNextPage() {
      while (fill_ < pages_.size() && pages_[fill_] != nullptr) ++fill_;
      if (fill_ == pages_.size()) return;
      pages_[fill_] = NewPage();
      ++allocated_;
    }
    void FreePage(std::size_t p) {
      if (pages_[p] == nullptr) return;
      pages_[p].reset();
      --allocated_;
    }

    // The entry after `e`, at position *i, which advances (cyclically).
    // The page table is read only when the step enters a new page (or wraps
    // around a one-page table); within a page it is a pointer increment.
    // Requires a non-null `e`.
    template <bool kChecked>
    Entry* Next(std::size_t* i, Entry* e) const {
      *i = (*i + 1) & mask_;
      return (*i & (kPageEntries - 1)) == 0 ? At<kChecked>(*i) : e + 1;
    }

    // The slot under h for which eq holds, or kNone; *hole: where the probe
    // run ended.
    // Requires !empty().
    template <bool kChecked, class Eq>
    std::uint32_t Find(std::uint32_t h, Eq&& eq, std::size_t* hole) const {
      std::size_t i = h & mask_;
      for (Entry* e = At<kChecked>(i);; e = Next<kChecked>(&i, e)) {
        if (Empty<kChecked>(e)) {
          if (hole != nullptr) *hole = i;
          return kNone;
        }
        if (e->hash == h && eq(e->slot)) return e->slot;
      }
    }
    template <bool kChecked>
    void Place(std::uint32_t h, std::uint32_t slot) {
      std::size_t i = h & mask_;
      Entry* e = At<kChecked>(i);
      while (!Empty<kChecked>(e)) e = Next<kChecked>(&i, e);
      if constexpr (kChecked) {
        Set(i, Entry{slot, h});
      } else {
        *e = Entry{slot, h};
      }
    }
    // Removes slot if present (backward shift); false if absent.
    template <bool kChecked>
    bool Erase(std::uint32_t h, std::uint32_t slot) {
      if constexpr (kChecked) {
        if (pages_.empty()) return false;
      }
      std::size_t i = h & mask_;
      Entry* hole = At<kChecked>(i);
      for (;; hole = Next<kChecked>(&i, hole)) {
        if (Empty<kChecked>(hole)) return false;
        if (hole->slot == slot) break;
      }
      // Backward shift: pull later entries of the probe run into the hole
      // unless their home position lies cyclically in (hole, entry]. Every
      // entry of a run is on an allocated page.
      std::size_t j = i;
      for (Entry* e = Next<kChecked>(&j, hole);; e = Next<kChecked>(&j, e)) {
        if (Empty<kChecked>(e)) break;
        const std::size_t home = e->hash & mask_;
        if (((j - home) & mask_) >= ((j - i) & mask_)) {
          *hole = *e;
          hole = e;
          i = j;
        }
      }
      *hole = Entry{};
      return true;
    }

   private:
    std::size_t PageEntries() const { return std::min(kPageEntries, mask_ + 1); }
    std::unique_ptr<Entry[]> NewPage() const {
      return std::make_unique<Entry[]>(PageEntries());  // every entry empty
    }
    void Reset() {
      pages_.clear();
      mask_ = 0;
      allocated_ = 0;
      fill_ = 0;
    }

    std::vector<std::unique_ptr<Entry[]>> pages_;
    std::size_t mask_ = 0;
    std::size_t allocated_ = 0;  // pages allocated
    std::size_t fill_ = 0;       // pages below this are allocated
  };

  static std::size_t CapacityFor(std::size_t n) {
    std::size_t cap = 8;
    while (cap * 3 < n * 4) cap *= 2;
    return cap;
  }

  // The old table's entry under h for which eq holds, or kNone; *at: its
  // position. Positions below cursor_ are drained (their pages freed): a
  // run that starts there, or wraps around to there, continues at cursor_,
  // which is where the rest of the run still stands. At most the undrained
  // positions are visited.
  template <class Eq>
  std::uint32_t FindOld(std::uint32_t h, Eq&& eq, std::size_t* at) const {
    const std::size_t cap = old_.capacity();
    std::size_t i = std::max<std::size_t>(h & old_.mask(), cursor_);
    for (std::size_t n = cap - cursor_; n > 0; --n) {
      const Entry e = old_.Get(i);
      if (e.slot == kNone) return kNone;
      if (e.slot < kMaxSlot && e.hash == h && eq(e.slot)) {
        if (at != nullptr) *at = i;
        return e.slot;
      }
      i = i + 1 == cap ? cursor_ : i + 1;
    }
    return kNone;
  }

  // The paths of a growth, out of line so the steady state stays small.
  __attribute__((noinline)) void InsertGrowing(std::uint32_t h, std::uint32_t slot) {
    if (!growing()) StartGrowth();
    if (growing()) DrainStep();
    if (cur_.complete()) {
      cur_.Place<false>(h, slot);
    } else {
      cur_.Place<true>(h, slot);
    }
    ++size_;
    ++generation_;
  }
  __attribute__((noinline)) void EraseGrowing(std::uint32_t h, std::uint32_t slot) {
    if (!cur_.Erase<true>(h, slot)) {
      // Still in the old table: a tombstone, so its runs stay intact.
      std::size_t at = 0;
      const std::uint32_t found = FindOld(h, [slot](std::uint32_t s) { return s == slot; }, &at);
      PERPCORE_CHECK(found == slot);
      old_.Set(at, Entry{kMaxSlot, 0});
    }
    --size_;
    ++generation_;
    DrainStep();
  }

  void StartGrowth() {
    const std::size_t cap = std::max<std::size_t>(8, cur_.capacity() * 2);
    if (cur_.capacity() == 0) {  // moved-from: nothing to drain
      cur_ = Table(cap, true);
      ++generation_;
      steady_ = true;
      return;
    }
    // The new table first: if allocating it throws, the index is unchanged.
    Table next(cap, false);
    old_ = std::move(cur_);
    cur_ = std::move(next);
    cursor_ = 0;
    ++generation_;
    steady_ = false;
  }

  // Moves the next kDrainStep positions of the old table into the current
  // one, freeing each old page once past it and allocating the current
  // table's missing pages along the way; at the end, the current table is
  // complete.
  void DrainStep() {
    const std::size_t cap = old_.capacity();
    for (std::size_t k = 0; k < kDrainStep && cursor_ < cap; ++k, ++cursor_) {
      // The current table has 2 pages per old page: one allocated every
      // quarter page drained completes it by half way, spread evenly.
      if ((cursor_ & (kPageEntries / 4 - 1)) == 0) cur_.AllocateNextPage();
      const Entry e = old_.Get(cursor_);
      if (e.slot < kMaxSlot) cur_.Place<true>(e.hash, e.slot);
      if (((cursor_ + 1) & (kPageEntries - 1)) == 0) old_.FreePage(cursor_ >> kPageBits);
    }
    if (cursor_ == cap) {
      // Complete before the old table goes: if a page allocation throws,
      // the index is still growing (with nothing left to drain), so lookups
      // keep checking for missing pages.
      while (!cur_.complete()) cur_.AllocateNextPage();  // normally done long before
      old_ = Table();
      cursor_ = 0;
      steady_ = true;
    }
    ++generation_;
  }

  // An empty index without storage, as a moved-from one is left.
  void Clear() {
    cur_ = Table();
    old_ = Table();
    cursor_ = 0;
    size_ = 0;
    ++generation_;
    steady_ = false;
  }

  Table cur_;          // where inserts go; complete unless growing
  Table old_;          // being drained into cur_ while growing; empty otherwise
  std::size_t cursor_ = 0;  // old_ positions below this are drained
  std::size_t size_ = 0;    // entries in both tables
  std::uint32_t generation_ = 0;  // wraps harmlessly: probes live one call
  // Not growing and with a table (complete, so its pages need no null
  // checks): the one flag the hot paths test. False while growing and when
  // moved from.
  bool steady_ = false;
};

}  // namespace detail
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_DETAIL_SLOT_INDEX_HPP_
