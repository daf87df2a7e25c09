// detail::SlotIndex: a randomized differential test against std::map through
// many growths (the old table drained while inserts, erases, lookups,
// copies and moves go on), with a full hash and with one that collides on
// purpose (long probe runs that wrap around the table).
#include "perpcore/detail/slot_index.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "support/rng.hpp"

namespace perpcore::detail {
namespace {

using testing::Rng;

// Keys live in a pool indexed by slot, as the book's records do.
struct Pool {
  std::vector<std::uint64_t> keys;  // by slot; 0: free
  std::vector<std::uint32_t> free;
  std::uint32_t Alloc(std::uint64_t key) {
    if (!free.empty()) {
      const std::uint32_t s = free.back();
      free.pop_back();
      keys[s] = key;
      return s;
    }
    keys.push_back(key);
    return static_cast<std::uint32_t>(keys.size() - 1);
  }
};

template <class HashFn>
void RunDifferential(std::uint64_t seed, HashFn hash, std::size_t ops, std::size_t key_space) {
  INFO("seed " << seed);
  Rng rng(seed);
  Pool pool;
  SlotIndex index(8);
  std::map<std::uint64_t, std::uint32_t> model;  // key -> slot
  std::size_t growths = 0, lookups_while_growing = 0;
  bool was_growing = false;
  auto find = [&](const SlotIndex& ix, std::uint64_t key) {
    return ix.Find(hash(key), [&](std::uint32_t s) { return pool.keys[s] == key; });
  };
  for (std::size_t op = 0; op < ops; ++op) {
    const std::uint64_t key = 1 + rng.Below(key_space);
    const auto it = model.find(key);
    const std::uint64_t r = rng.Below(100);
    if (r < 45) {  // insert if absent (through Lookup's probe half the time)
      if (it != model.end()) continue;
      const std::uint32_t h = hash(key);
      const std::uint32_t slot = pool.Alloc(key);
      if (rng.Below(2) == 0) {
        const SlotIndex::Probe p =
            index.Lookup(h, [&](std::uint32_t s) { return s != slot && pool.keys[s] == key; });
        REQUIRE(p.slot == SlotIndex::kNone);
        index.Insert(h, slot, p);
      } else {
        index.Insert(h, slot);
      }
      model.emplace(key, slot);
    } else if (r < 75) {  // erase if present
      if (it == model.end()) continue;
      index.Erase(hash(key), it->second);
      pool.keys[it->second] = 0;
      pool.free.push_back(it->second);
      model.erase(it);
    } else {  // look up, present or not
      const std::uint32_t want = it == model.end() ? SlotIndex::kNone : it->second;
      REQUIRE(find(index, key) == want);
      lookups_while_growing += index.growing();
    }
    REQUIRE(index.size() == model.size());
    if (index.growing() && !was_growing) ++growths;
    was_growing = index.growing();
    if (op % 4096 == 0) {
      // A copy and a moved copy answer the same, mid-growth or not.
      SlotIndex copy = index;
      SlotIndex moved = std::move(copy);
      REQUIRE(copy.size() == 0);
      REQUIRE(find(copy, key) == SlotIndex::kNone);
      for (const auto& [k, s] : model) REQUIRE(find(moved, k) == s);
      REQUIRE(find(moved, key_space + 1) == SlotIndex::kNone);
    }
  }
  for (const auto& [k, s] : model) REQUIRE(find(index, k) == s);
  CHECK(growths >= 3);
  CHECK(lookups_while_growing > 0);
}

TEST_CASE("SlotIndex: agrees with a map through incremental growth", "[detail]") {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    RunDifferential(seed, [](std::uint64_t k) { return Hash32(k, 0x1234); }, 200'000, 60'000);
  }
}

TEST_CASE("SlotIndex: agrees with a map when hashes collide and runs wrap", "[detail]") {
  // 64 distinct hashes for thousands of keys, all near the table's end.
  for (std::uint64_t seed : {4u, 5u}) {
    RunDifferential(
        seed, [](std::uint64_t k) { return static_cast<std::uint32_t>(0xFFFFFFC0u | (k % 64)); },
        60'000, 3'000);
  }
}

TEST_CASE("SlotIndex: growth drains the old table and frees it", "[detail]") {
  SlotIndex index(8);
  std::vector<std::uint64_t> keys;
  auto eq = [&](std::uint64_t key) {
    return [&keys, key](std::uint32_t s) { return keys[s] == key; };
  };
  std::size_t max_growing_inserts = 0, growing_inserts = 0;
  // 100,000 entries, then on until the growth they started has finished.
  for (std::uint32_t i = 0; i < 100'000 || index.growing(); ++i) {
    keys.push_back(1000 + i);
    index.Insert(Hash32(keys.back(), 7), i);
    growing_inserts = index.growing() ? growing_inserts + 1 : 0;
    max_growing_inserts = std::max(max_growing_inserts, growing_inserts);
    // Never more than 3/4 full, counting what is still in the old table.
    REQUIRE(index.size() * 4 <= index.capacity() * 3);
  }
  // Each insert drains 2 positions of the old table (half the current
  // capacity), so a growth is over within capacity / 4 inserts, and then
  // only the current table's pages are left, all of them (complete).
  CHECK(max_growing_inserts <= index.capacity() / 4);
  CHECK(index.memory_bytes() <= index.capacity() * 8 + 4096);
  CHECK(index.memory_bytes() >= index.capacity() * 8);
  for (std::uint32_t i = 0; i < 100'000; i += 997) {
    CHECK(index.Find(Hash32(keys[i], 7), eq(keys[i])) == i);
  }
  index.Reserve(1'000'000);
  CHECK(index.capacity() >= 1'000'000);
  CHECK(index.Find(Hash32(keys[12'345], 7), eq(keys[12'345])) == 12'345);
}

}  // namespace
}  // namespace perpcore::detail
