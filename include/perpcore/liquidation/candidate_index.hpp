// -----------------------------------------------------------------------------
// File: perpcore/liquidation/candidate_index.hpp
// -----------------------------------------------------------------------------
//
// CandidateIndex: per market, which positions a move of the mark (or of the
// funding index) has pushed past their liquidation threshold, found without
// walking every position (DESIGN.md rule 5: liquidation candidates come from
// an ordered index, not a scan). Pure and engine-agnostic: it stores
// triggers and answers which fired; the engine computes the triggers and
// re-checks every candidate exactly before it acts.
//
// X-space
//   The engine keeps one index per market and queries it at
//     X = mark * atoms_per_tick_lot * 1e18 - funding_index
//   (absl::int128: atoms per lot in index units, 1e18 index units = one
//   atom per lot, the funding index's scale). A position of `size` lots
//   whose funding was settled at index I0 is worth, mark and accrued funding
//   together, (X + I0) * size / 1e18 atoms, so its equity is linear in
//   size * X: a price move and a funding payment both move X, and an entry
//   only needs one number.
//
// Entries
//   An entry is an id (uint64: an account, an isolated bucket, whatever the
//   engine keys it by), a side and a trigger in X-space. Side::kBuy is a
//   long entry: it fires when X <= trigger. Side::kSell is a short entry:
//   it fires when X >= trigger. Both comparisons include equality, so the
//   engine sets the trigger to the most favourable X at which the entry may
//   be liquidatable (rounded toward firing: a candidate too many is
//   re-checked and dropped, a candidate missing is a bug). An id has at most
//   one entry per index. A cross account holding several markets gets a
//   conservative trigger per market (its slack split across its markets) and
//   is re-evaluated exactly when one fires; that is the engine's job.
//
// Order of results (deterministic: it depends on the entries and X only,
//   never on insertion history, addresses or hashing)
//   Most under water first: by the depth past the trigger, descending
//   (a long's depth is trigger - X, a short's X - trigger, both >= 0 for a
//   fired entry and compared exactly as 128-bit unsigned numbers), ties by
//   id ascending. Longs and shorts are merged into one sequence.
//
// Containers
//   Two absl::btree_sets of (trigger, id), one per side, each ordered so
//   that its fired entries form a prefix (longs: trigger descending, shorts:
//   trigger ascending; ties by id ascending), and an id lookup used for
//   moves and erasures only, never iterated into a result: a record per
//   entry (id, side, trigger: 32 bytes) in a detail::ChunkedVector whose
//   free records form a list threaded through them, found through a
//   detail::SlotIndex (8 bytes a position, at most 3/4 full). Both grow
//   without ever copying the whole structure (DESIGN.md rule 5: an insert
//   never pays for the index's size; an absl::flat_hash_map would rehash
//   every entry at each doubling, 37 ms at 1 M), and a failed allocation
//   leaves them consistent (Debian's Abseil flat_hash_map is not:
//   abseil/abseil-cpp#1581, see src/engine/state.hpp). Triggers are stored
//   as two 64-bit halves, so a set key is 24 bytes (an absl::int128 member
//   would pad it to 32). Measured at 1,000,000 entries: about 91 heap bytes
//   an entry (benchmarks/liquidation_bench.cpp).
//
// Complexity (n entries, k fired)
//   Insert, Update, Erase: O(log n) (the btree) plus O(1) expected (the id
//     lookup, whose growth is incremental: a few pages of work at most).
//   Fired(x, out): O(m + log n) for m = min(k, out.size()) entries written,
//     and O(1) when nothing fires: both sides' fired entries are prefixes of
//     their sets, walked from begin() (O(1) in absl's btree: it keeps the
//     leftmost leaf); m + 1 steps from the leftmost leaf climb each level of
//     the tree at most a bounded number of times beyond one step per entry;
//     the merge is one comparison per entry. Measured: 13,067 of 1 M fire
//     after a 10% mark drop in about 50 us (benchmarks/liquidation_bench).
//   AnyFired(x): O(1) (the first element of each set).
//   Contains, Find: O(1) expected.
//
// Allocation failure (std::bad_alloc from a btree node, a record chunk or
// the id lookup's growth): Insert and Update give the strong guarantee (the
// entries are as before the call; a spare free record may remain). Erase
// can throw only from the id lookup's incremental growth step, and only
// after the entry is gone: the erase happened. Queries never allocate. So
// an engine that poisons itself on bad_alloc can still query, copy and
// destroy the index (tests/liquidation/candidate_index_alloc_failure_test.cpp).
//
// Thread safety: none (a value type like the engine state that owns it);
// const members may run concurrently.
#ifndef PERPCORE_LIQUIDATION_CANDIDATE_INDEX_HPP_
#define PERPCORE_LIQUIDATION_CANDIDATE_INDEX_HPP_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "absl/container/btree_set.h"
#include "absl/numeric/int128.h"
#include "perpcore/core/side.hpp"
#include "perpcore/detail/chunked_vector.hpp"
#include "perpcore/detail/config.hpp"
#include "perpcore/detail/slot_index.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace liquidation {

// CandidateEntry
//
// One entry: `side` kBuy (a long: fires when X <= trigger) or kSell (a short:
// fires when X >= trigger), `trigger` in X-space.
struct CandidateEntry {
  std::uint64_t id = 0;
  Side side = Side::kBuy;
  absl::int128 trigger = 0;
  friend bool operator==(const CandidateEntry&, const CandidateEntry&) = default;
};

// FiredResult
//
// What Fired() wrote: `written` entries at the front of `out` (min of the
// number fired and out.size()), and `more`: true when further entries fired
// beyond those written (ask again with a larger span to see them).
struct FiredResult {
  std::size_t written = 0;
  bool more = false;
};

class CandidateIndex {
 public:
  // `hash_seed` spreads ids over the id lookup's table (the engine passes
  // its host-specific seed; see detail::Hash32). It changes no result.
  explicit CandidateIndex(std::uint64_t hash_seed = 0) : hash_seed_(hash_seed) {}

  // Copies are deep and independent (a copied engine state copies its
  // indexes); O(n).
  CandidateIndex(const CandidateIndex&) = default;
  CandidateIndex& operator=(const CandidateIndex&) = default;
  CandidateIndex(CandidateIndex&&) noexcept = default;
  CandidateIndex& operator=(CandidateIndex&&) noexcept = default;

  std::size_t size() const { return lookup_.size(); }
  bool empty() const { return lookup_.size() == 0; }

  // Insert()
  //
  // Adds `entry`. Returns false and changes nothing if its id already has an
  // entry (use Update to move it). O(log n).
  bool Insert(const CandidateEntry& entry);

  // Update()
  //
  // Moves the entry of `entry.id` to `entry`'s side and trigger. Returns
  // false and changes nothing if the id has no entry. O(log n).
  bool Update(const CandidateEntry& entry);

  // Erase()
  //
  // Removes the entry of `id`; returns false if there is none. Allocates
  // only in the id lookup's growth step (see "Allocation failure"). O(log n).
  bool Erase(std::uint64_t id);

  bool Contains(std::uint64_t id) const { return SlotOf(id) != detail::SlotIndex::kNone; }

  // Find(): the entry of `id`, or nullopt. O(1) expected.
  std::optional<CandidateEntry> Find(std::uint64_t id) const;

  // AnyFired(): whether any entry fires at X = x (what a mark update checks
  // before it asks for candidates). O(1).
  bool AnyFired(absl::int128 x) const;

  // Fired()
  //
  // The entries that fire at X = x, most under water first (see "Order of
  // results" above), written to the front of `out`, at most out.size() of
  // them. O(min(k, out.size()) + log n), O(1) when nothing fires; never
  // allocates.
  FiredResult Fired(absl::int128 x, std::span<CandidateEntry> out) const;

 private:
  // A trigger as its two's-complement halves: (hi, lo) ordered as (signed,
  // unsigned) is the int128 order, in 16 bytes aligned to 8.
  struct Key {
    std::int64_t hi;
    std::uint64_t lo;
    std::uint64_t id;
  };
  // Longs: trigger descending, then id ascending: the fired ones (trigger >=
  // X) come first, deepest first.
  struct LongOrder {
    bool operator()(const Key& a, const Key& b) const {
      if (a.hi != b.hi) return a.hi > b.hi;
      if (a.lo != b.lo) return a.lo > b.lo;
      return a.id < b.id;
    }
  };
  // Shorts: trigger ascending, then id ascending.
  struct ShortOrder {
    bool operator()(const Key& a, const Key& b) const {
      if (a.hi != b.hi) return a.hi < b.hi;
      if (a.lo != b.lo) return a.lo < b.lo;
      return a.id < b.id;
    }
  };
  // An entry's record; a free record has `next_free` set (the slot of the
  // next free record, or kNone) and `live` false.
  struct Record {
    std::uint64_t id;
    std::int64_t hi;
    std::uint64_t lo;
    std::uint32_t next_free;
    Side side;
    bool live;
  };

  static Key KeyOf(std::uint64_t id, absl::int128 trigger) {
    return Key{absl::Int128High64(trigger), absl::Int128Low64(trigger), id};
  }
  static absl::int128 TriggerOf(const Key& k) { return absl::MakeInt128(k.hi, k.lo); }

  // Inserts `key` on `side`; may throw (then nothing was inserted).
  void InsertKey(Side side, const Key& key);
  // Erases `key` from `side`; never allocates.
  void EraseKey(Side side, const Key& key);

  std::uint32_t Hash(std::uint64_t id) const { return detail::Hash32(id, hash_seed_); }
  // The slot of `id`'s record, or kNone.
  std::uint32_t SlotOf(std::uint64_t id) const;

  absl::btree_set<Key, LongOrder> longs_;
  absl::btree_set<Key, ShortOrder> shorts_;
  detail::ChunkedVector<Record> records_;
  std::uint32_t free_head_ = detail::SlotIndex::kNone;
  detail::SlotIndex lookup_;
  std::uint64_t hash_seed_ = 0;
};

}  // namespace liquidation
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_LIQUIDATION_CANDIDATE_INDEX_HPP_
