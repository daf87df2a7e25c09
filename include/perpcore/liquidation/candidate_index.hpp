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
//   trigger ascending; ties by id ascending), and an absl::flat_hash_map
//   id -> (side, trigger) used for lookups only, never iterated into a
//   result. Triggers are stored as two 64-bit halves so a key is 24 bytes
//   and a map slot 32 (an absl::int128 member would pad both to 16-byte
//   alignment). Measured at 1,000,000 entries: see
//   benchmarks/liquidation_bench.cpp (heap bytes per entry).
//
// Complexity (n entries, k fired)
//   Insert, Update, Erase: O(log n) (the btree) plus O(1) expected (the map);
//     a map growth rehashes O(n) once per doubling (amortized O(1);
//     Reserve() ahead of a known size avoids it inside a command).
//   Fired(x, out): O(min(k, out.size()) + 1): both sides' fired entries are
//     prefixes of their sets, walked from begin() (O(1) in absl's btree)
//     with amortized O(1) steps; the merge is one comparison per entry.
//   AnyFired(x): O(1) (the first element of each set).
//   Contains, Find: O(1) expected.
//
// Allocation failure: every operation gives the strong guarantee: if it
// throws (std::bad_alloc from the map's growth or a btree node), the index
// is as it was before the call. Erase and queries never allocate. So an
// engine that poisons itself on bad_alloc can still query and destroy it.
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
#include "absl/container/flat_hash_map.h"
#include "absl/numeric/int128.h"
#include "perpcore/core/side.hpp"
#include "perpcore/detail/config.hpp"

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
  CandidateIndex() = default;

  // Copies are deep and independent (a copied engine state copies its
  // indexes); O(n).
  CandidateIndex(const CandidateIndex&) = default;
  CandidateIndex& operator=(const CandidateIndex&) = default;
  CandidateIndex(CandidateIndex&&) noexcept = default;
  CandidateIndex& operator=(CandidateIndex&&) noexcept = default;

  std::size_t size() const { return lookup_.size(); }
  bool empty() const { return lookup_.empty(); }

  // Reserve()
  //
  // Sizes the id lookup for `n` entries, so inserts up to n never rehash.
  // May throw std::bad_alloc (the index is then unchanged).
  void Reserve(std::size_t n) { lookup_.reserve(n); }

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
  // Removes the entry of `id`; returns false if there is none. Never
  // allocates. O(log n).
  bool Erase(std::uint64_t id);

  bool Contains(std::uint64_t id) const { return lookup_.contains(id); }

  // Find(): the entry of `id`, or nullopt. O(1) expected.
  std::optional<CandidateEntry> Find(std::uint64_t id) const;

  // AnyFired(): whether any entry fires at X = x (what a mark update checks
  // before it asks for candidates). O(1).
  bool AnyFired(absl::int128 x) const;

  // Fired()
  //
  // The entries that fire at X = x, most under water first (see "Order of
  // results" above), written to the front of `out`, at most out.size() of
  // them. O(min(k, out.size()) + 1); never allocates.
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
  struct Record {
    std::int64_t hi;
    std::uint64_t lo;
    Side side;
  };

  static Key KeyOf(std::uint64_t id, absl::int128 trigger) {
    return Key{absl::Int128High64(trigger), absl::Int128Low64(trigger), id};
  }
  static absl::int128 TriggerOf(const Key& k) { return absl::MakeInt128(k.hi, k.lo); }

  // Inserts `key` on `side`; may throw (then nothing was inserted).
  void InsertKey(Side side, const Key& key);
  // Erases `key` from `side`; never allocates.
  void EraseKey(Side side, const Key& key);

  absl::btree_set<Key, LongOrder> longs_;
  absl::btree_set<Key, ShortOrder> shorts_;
  absl::flat_hash_map<std::uint64_t, Record> lookup_;
};

}  // namespace liquidation
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_LIQUIDATION_CANDIDATE_INDEX_HPP_
