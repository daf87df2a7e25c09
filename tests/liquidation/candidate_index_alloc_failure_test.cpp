// Allocation failures inside CandidateIndex operations (a btree node, a
// record chunk, the id lookup's growth): the engine poisons itself on
// std::bad_alloc (DESIGN.md rule 3) and must still query, copy and destroy
// its indexes, so an operation whose allocation threw must leave the index
// consistent: Insert and Update as before the call, Erase done. This
// executable replaces the global operator new (tests/support/failing_new.cpp)
// to fail each allocation of each operation in turn.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <new>
#include <vector>

#include "perpcore/core/side.hpp"
#include "perpcore/liquidation/candidate_index.hpp"
#include "support/failing_new.hpp"
#include "support/rng.hpp"

namespace perpcore::liquidation {
namespace {

using absl::int128;
using testing::AllocationFailure;
using testing::AllocationFailureFired;
using testing::AllocationsSinceArmed;
using testing::LiveAllocations;

bool ById(const CandidateEntry& a, const CandidateEntry& b) { return a.id < b.id; }

// Every entry of the index, by id: all longs fire at X = min, all shorts at
// X = max.
std::vector<CandidateEntry> Contents(const CandidateIndex& index) {
  std::vector<CandidateEntry> all(2 * index.size() + 2);
  const FiredResult longs = index.Fired(std::numeric_limits<int128>::min(), all);
  std::vector<CandidateEntry> out;
  for (std::size_t i = 0; i < longs.written; ++i) {
    if (all[i].side == Side::kBuy) out.push_back(all[i]);
  }
  const FiredResult shorts = index.Fired(std::numeric_limits<int128>::max(), all);
  for (std::size_t i = 0; i < shorts.written; ++i) {
    if (all[i].side == Side::kSell) out.push_back(all[i]);
  }
  std::sort(out.begin(), out.end(), ById);
  return out;
}

// The index holds exactly `want` (sorted by id): contents, size and lookups.
bool Holds(const CandidateIndex& index, const std::vector<CandidateEntry>& want) {
  if (index.size() != want.size() || Contents(index) != want) return false;
  for (const CandidateEntry& e : want) {
    if (index.Find(e.id) != e) return false;
  }
  return true;
}

enum class Kind { kInsert, kUpdate, kErase };

void Do(CandidateIndex* index, Kind kind, const CandidateEntry& e) {
  switch (kind) {
    case Kind::kInsert: static_cast<void>(index->Insert(e)); break;
    case Kind::kUpdate: static_cast<void>(index->Update(e)); break;
    case Kind::kErase: static_cast<void>(index->Erase(e.id)); break;
  }
}

void Apply(std::vector<CandidateEntry>* ref, Kind kind, const CandidateEntry& e) {
  const auto it = std::lower_bound(ref->begin(), ref->end(), e, ById);
  const bool present = it != ref->end() && it->id == e.id;
  if (kind == Kind::kInsert && !present) ref->insert(it, e);
  if (kind == Kind::kUpdate && present) *it = e;
  if (kind == Kind::kErase && present) ref->erase(it);
}

// 3,000 operations (inserts first, then a mix) over up to ~1,500 ids: the
// btrees split and merge nodes, the records add chunks and the id lookup
// grows through several doublings. Every allocating operation is failed at
// each of its allocations in turn, on a copy of the index.
TEST_CASE("an operation whose allocation fails leaves the index consistent and usable",
          "[liquidation][index]") {
  perpcore::testing::Rng rng(13);
  CandidateIndex index(0x5eed);
  std::vector<CandidateEntry> ref;  // sorted by id
  std::size_t failures_checked = 0;
  std::size_t failing_kinds[3] = {};
  for (int op = 0; op < 3'000; ++op) {
    const Kind kind = op < 1'500 ? Kind::kInsert
                                 : static_cast<Kind>(rng.Below(3));
    const CandidateEntry e{rng.Below(1'600), rng.Percent(50) ? Side::kBuy : Side::kSell,
                           int128(rng.Between(-1'000'000, 1'000'000)) << 40};
    std::int64_t allocations = 0;
    {
      CandidateIndex probe = index;  // a copy made the same way allocates the same
      AllocationFailure count_only(-1);
      Do(&probe, kind, e);
      allocations = AllocationsSinceArmed();
    }
    std::vector<CandidateEntry> after = ref;
    Apply(&after, kind, e);
    for (std::int64_t n = 0; n < allocations; ++n) {
      // No Catch macro between the two readings of LiveAllocations().
      bool threw = false, fired = false, consistent = false, usable = false;
      const std::int64_t live_before = LiveAllocations();
      {
        CandidateIndex failed = index;
        {
          AllocationFailure fail(n);
          try {
            Do(&failed, kind, e);
          } catch (const std::bad_alloc&) {
            threw = true;
          }
          fired = AllocationFailureFired();
        }
        // Insert and Update: as before; Erase: done (it throws only after
        // the entry is gone).
        consistent = Holds(failed, kind == Kind::kErase ? after : ref);
        Do(&failed, kind, e);  // the same operation again succeeds
        usable = Holds(failed, after);
      }
      const std::int64_t leaked = LiveAllocations() - live_before;
      INFO("op " << op << " kind " << static_cast<int>(kind) << " id " << e.id
                 << ": failing allocation " << n << " of " << allocations);
      REQUIRE(fired);
      REQUIRE(threw);
      REQUIRE(consistent);
      REQUIRE(usable);
      REQUIRE(leaked == 0);
      ++failures_checked;
      ++failing_kinds[static_cast<int>(kind)];
    }
    Do(&index, kind, e);
    ref = std::move(after);
  }
  REQUIRE(Holds(index, ref));
  std::printf("candidate index allocation failures: %zu checked (inserts %zu, updates %zu, "
              "erases %zu)\n",
              failures_checked, failing_kinds[0], failing_kinds[1], failing_kinds[2]);
  CHECK(failures_checked > 100);
  CHECK(failing_kinds[0] > 0);
  CHECK(failing_kinds[1] > 0);
}

// Erase allocates only while the id lookup drains a growth: the lookup's
// growth from 2,048 to 4,096 positions starts at the 1,537th insert, and
// erasing the entries one by one then drains the old table, a drain step
// allocating a page of the new table now and then (detail/slot_index.hpp;
// tests/detail/alloc_failure_test.cpp). Each allocating erase is failed at
// each of its allocations, on a copy.
TEST_CASE("an erase whose allocation fails has erased the entry, and the index stays usable",
          "[liquidation][index]") {
  constexpr std::uint64_t kEntries = 1'537;
  CandidateIndex index(0x5eed);
  std::vector<CandidateEntry> ref;  // sorted by id
  for (std::uint64_t id = 0; id < kEntries; ++id) {
    const CandidateEntry e{id, id % 3 == 0 ? Side::kSell : Side::kBuy,
                           int128(static_cast<std::int64_t>(id % 97)) - 48};
    REQUIRE(index.Insert(e));
    ref.push_back(e);
  }
  std::size_t failures_checked = 0;
  for (std::uint64_t victim = 0; victim < kEntries; ++victim) {
    std::int64_t allocations = 0;
    {
      CandidateIndex probe = index;
      AllocationFailure count_only(-1);
      static_cast<void>(probe.Erase(victim));
      allocations = AllocationsSinceArmed();
    }
    const CandidateEntry erased = ref.front();
    std::vector<CandidateEntry> after(ref.begin() + 1, ref.end());
    for (std::int64_t n = 0; n < allocations; ++n) {
      bool threw = false, consistent = false, usable = false;
      const std::int64_t live_before = LiveAllocations();
      {
        CandidateIndex failed = index;
        {
          AllocationFailure fail(n);
          try {
            static_cast<void>(failed.Erase(victim));
          } catch (const std::bad_alloc&) {
            threw = true;
          }
        }
        consistent = Holds(failed, after);
        // Usable: the victim goes back in and out again.
        usable = failed.Insert(erased) && Holds(failed, ref) && failed.Erase(victim) &&
                 Holds(failed, after);
      }
      const std::int64_t leaked = LiveAllocations() - live_before;
      INFO("erase of " << victim << ", failing allocation " << n << " of " << allocations);
      REQUIRE(threw);
      REQUIRE(consistent);
      REQUIRE(usable);
      REQUIRE(leaked == 0);
      ++failures_checked;
    }
    REQUIRE(index.Erase(victim));
    ref = std::move(after);
  }
  std::printf("candidate index erase allocation failures: %zu checked\n", failures_checked);
  CHECK(failures_checked > 0);
}

}  // namespace
}  // namespace perpcore::liquidation
