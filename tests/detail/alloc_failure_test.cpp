// Allocation failures inside the detail containers' growth (ChunkedVector,
// SlotIndex), which run inside commands: a failure there poisons the engine
// (DESIGN.md rule 3), and a poisoned engine must still answer its queries,
// copy and destroy cleanly, so a container whose allocation threw must stay
// consistent. This executable replaces the global operator new
// (tests/support/failing_new.cpp) to fail each allocation in turn.
#include <catch2/catch.hpp>

#include <cstdint>
#include <new>
#include <vector>

#include "perpcore/detail/chunked_vector.hpp"
#include "perpcore/detail/slot_index.hpp"
#include "support/failing_new.hpp"

namespace perpcore::detail {
namespace {

using testing::AllocationFailure;
using testing::AllocationFailureFired;
using testing::AllocationsSinceArmed;
using testing::LiveAllocations;

// Slot s holds key s + 1; a spread hash, so probe runs stay short.
std::uint32_t HashOf(std::uint32_t slot) { return Hash32(slot + 1, 0x5eed); }

std::uint32_t Find(const SlotIndex& ix, std::uint32_t slot) {
  return ix.Find(HashOf(slot), [slot](std::uint32_t s) { return s == slot; });
}

// Every slot below n is found, and n itself is not.
bool HoldsExactly(const SlotIndex& ix, std::uint32_t n) {
  if (ix.size() != n || Find(ix, n) != SlotIndex::kNone) return false;
  for (std::uint32_t s = 0; s < n; ++s) {
    if (Find(ix, s) != s) return false;
  }
  return true;
}

// 0..3,000 inserts cross seven growths, from 16 entries to 4,096 (8 pages):
// the inserts that allocate are the first of each growth (the page-pointer
// list, a first page) and some that follow it (pages written or completed
// while draining).
TEST_CASE("SlotIndex: an insert whose allocation fails leaves the index as it was, usable",
          "[detail]") {
  SlotIndex ix(8);
  std::size_t allocating_inserts = 0;
  for (std::uint32_t slot = 0; slot < 3'000; ++slot) {
    std::int64_t allocations = 0;
    {
      SlotIndex probe = ix;  // the same state makes the same allocations
      AllocationFailure count_only(-1);
      probe.Insert(HashOf(slot), slot);
      allocations = AllocationsSinceArmed();
    }
    if (allocations == 0) {
      ix.Insert(HashOf(slot), slot);
      continue;
    }
    ++allocating_inserts;
    INFO("insert " << slot << " makes " << allocations << " allocations");
    for (std::int64_t n = 0; n < allocations; ++n) {
      INFO("failing allocation " << n);
      // No Catch macro between the two readings of LiveAllocations().
      bool threw = false, fired = false, held = false, copy_held = false, continued = false;
      const std::int64_t live_before = LiveAllocations();
      {
        SlotIndex failed = ix;
        {
          AllocationFailure fail(n);
          try {
            failed.Insert(HashOf(slot), slot);
          } catch (const std::bad_alloc&) {
            threw = true;
          }
          fired = AllocationFailureFired();
        }
        held = HoldsExactly(failed, slot);
        {
          const SlotIndex copy = failed;
          copy_held = HoldsExactly(copy, slot);
        }
        // It goes on: the insert that failed, then the next.
        failed.Insert(HashOf(slot), slot);
        failed.Insert(HashOf(slot + 1), slot + 1);
        continued = HoldsExactly(failed, slot + 2);
      }
      const std::int64_t leaked = LiveAllocations() - live_before;
      REQUIRE(fired);
      REQUIRE(threw);
      CHECK(held);
      CHECK(copy_held);
      CHECK(continued);
      CHECK(leaked == 0);
    }
    ix.Insert(HashOf(slot), slot);
  }
  CHECK(HoldsExactly(ix, 3'000));
  CHECK(allocating_inserts >= 7);
}

// A growth from 2,048 to 4,096 entries (8 pages) starts at the 1,537th
// insert. Erasing the entries one by one then drains the old table 2
// positions per erase, and a drain step allocates a page of the new table
// every 128 positions (one not yet written by the drain).
TEST_CASE("SlotIndex: an erase whose drain step's allocation fails has still erased",
          "[detail]") {
  constexpr std::uint32_t kEntries = 1'537;
  SlotIndex ix(8);
  for (std::uint32_t slot = 0; slot < kEntries; ++slot) ix.Insert(HashOf(slot), slot);
  REQUIRE(ix.growing());
  std::size_t allocating = 0;
  for (std::uint32_t victim = 0; victim < kEntries; ++victim) {
    std::int64_t allocations = 0;
    {
      SlotIndex probe = ix;
      AllocationFailure count_only(-1);
      probe.Erase(HashOf(victim), victim);
      allocations = AllocationsSinceArmed();
    }
    if (allocations > 0) {
      ++allocating;
      INFO("erasing " << victim);
      SlotIndex failed = ix;
      bool threw = false;
      {
        AllocationFailure fail(0);
        try {
          failed.Erase(HashOf(victim), victim);
        } catch (const std::bad_alloc&) {
          threw = true;
        }
      }
      REQUIRE(threw);
      CHECK(failed.size() == kEntries - victim - 1);
      for (std::uint32_t s = 0; s < kEntries; ++s) {
        CHECK(Find(failed, s) == (s > victim ? s : SlotIndex::kNone));
      }
      const SlotIndex copy = failed;
      CHECK(copy.size() == kEntries - victim - 1);
    }
    ix.Erase(HashOf(victim), victim);
  }
  CHECK(allocating > 0);
}

// A ChunkedVector of 1,024 ints has one full chunk; the 1,025th append
// allocates the second chunk, then (without reserve_chunk_table()) grows
// the chunk table from 1 pointer to 2. Either failing leaves no block
// behind and the vector as it was.
TEST_CASE("ChunkedVector: an append whose allocation fails changes nothing", "[detail]") {
  for (std::int64_t n = 0; n < 2; ++n) {
    INFO("failing allocation " << n);
    ChunkedVector<std::int64_t> v;
    for (std::int64_t i = 0; i < 1'024; ++i) v.push_back(i);
    const std::int64_t live_before = LiveAllocations();
    bool threw = false;
    {
      AllocationFailure fail(n);
      try {
        v.push_back(1'024);
      } catch (const std::bad_alloc&) {
        threw = true;
      }
    }
    REQUIRE(threw);
    CHECK(LiveAllocations() == live_before);
    CHECK(v.size() == 1'024);
    for (std::int64_t i = 0; i < 1'024; ++i) REQUIRE(v[static_cast<std::size_t>(i)] == i);
    v.push_back(1'024);
    CHECK(v.size() == 1'025);
    CHECK(v.back() == 1'024);
  }
}

}  // namespace
}  // namespace perpcore::detail
