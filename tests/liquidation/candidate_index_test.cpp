// Tests of liquidation/candidate_index.hpp: when an entry fires (each
// one-unit boundary of both sides), moves and erasures, the order of the
// results and the limit, and a property test against a plain vector scanned
// in full.
//
// Triggers and X are plain numbers here (the index does not interpret them):
// a long (Side::kBuy) fires when X <= trigger, a short (Side::kSell) when
// X >= trigger; results come deepest first (long depth trigger - X, short
// depth X - trigger), ties by id ascending.
#include "perpcore/liquidation/candidate_index.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "perpcore/core/side.hpp"
#include "perpcore/detail/int128_text.hpp"
#include "support/rng.hpp"

namespace {

using absl::int128;
using perpcore::Side;
using perpcore::detail::Int128Text;
using perpcore::liquidation::CandidateEntry;
using perpcore::liquidation::CandidateIndex;
using perpcore::liquidation::FiredResult;

constexpr Side kLong = Side::kBuy;
constexpr Side kShort = Side::kSell;

std::string Text(const CandidateEntry& e) {
  return "{id " + std::to_string(e.id) + (e.side == kLong ? " long " : " short ") +
         Int128Text(e.trigger) + "}";
}

std::string Text(const std::vector<CandidateEntry>& v) {
  std::string s = "[";
  for (const CandidateEntry& e : v) s += Text(e) + " ";
  return s + "]";
}

}  // namespace

// Catch prints entries in failure messages as Text() does.
template <>
struct Catch::StringMaker<CandidateEntry> {
  static std::string convert(const CandidateEntry& e) { return Text(e); }
};

namespace {

// All entries fired at x, through a span large enough for every entry.
std::vector<CandidateEntry> AllFired(const CandidateIndex& index, int128 x) {
  std::vector<CandidateEntry> out(index.size() + 1);
  const FiredResult r = index.Fired(x, out);
  REQUIRE_FALSE(r.more);
  out.resize(r.written);
  return out;
}

std::vector<std::uint64_t> FiredIds(const CandidateIndex& index, int128 x) {
  std::vector<std::uint64_t> ids;
  for (const CandidateEntry& e : AllFired(index, x)) ids.push_back(e.id);
  return ids;
}

using Ids = std::vector<std::uint64_t>;

// ---------------------------------------------------------------------------
// When an entry fires
// ---------------------------------------------------------------------------

TEST_CASE("a long entry fires when X equals its trigger", "[liquidation][index]") {
  CandidateIndex index;
  REQUIRE(index.Insert({7, kLong, 1000}));
  CHECK(FiredIds(index, 1000) == Ids{7});
  CHECK(index.AnyFired(1000));
}

TEST_CASE("a long entry does not fire one unit above its trigger", "[liquidation][index]") {
  CandidateIndex index;
  REQUIRE(index.Insert({7, kLong, 1000}));
  CHECK(FiredIds(index, 1001).empty());
  CHECK_FALSE(index.AnyFired(1001));
}

TEST_CASE("a long entry fires below its trigger", "[liquidation][index]") {
  CandidateIndex index;
  REQUIRE(index.Insert({7, kLong, 1000}));
  CHECK(FiredIds(index, -5000) == Ids{7});
}

TEST_CASE("a short entry fires when X equals its trigger", "[liquidation][index]") {
  CandidateIndex index;
  REQUIRE(index.Insert({9, kShort, 1000}));
  CHECK(FiredIds(index, 1000) == Ids{9});
  CHECK(index.AnyFired(1000));
}

TEST_CASE("a short entry does not fire one unit below its trigger", "[liquidation][index]") {
  CandidateIndex index;
  REQUIRE(index.Insert({9, kShort, 1000}));
  CHECK(FiredIds(index, 999).empty());
  CHECK_FALSE(index.AnyFired(999));
}

TEST_CASE("a short entry fires above its trigger", "[liquidation][index]") {
  CandidateIndex index;
  REQUIRE(index.Insert({9, kShort, 1000}));
  CHECK(FiredIds(index, 1'000'000) == Ids{9});
}

TEST_CASE("several longs at a trigger equal to X all fire", "[liquidation][index]") {
  // The walk must not stop after the first entry at the boundary.
  CandidateIndex index;
  REQUIRE(index.Insert({3, kLong, 1000}));
  REQUIRE(index.Insert({1, kLong, 1000}));
  REQUIRE(index.Insert({2, kLong, 1000}));
  REQUIRE(index.Insert({4, kLong, 999}));
  CHECK(FiredIds(index, 1000) == Ids{1, 2, 3});
}

TEST_CASE("several shorts at a trigger equal to X all fire", "[liquidation][index]") {
  CandidateIndex index;
  REQUIRE(index.Insert({3, kShort, 1000}));
  REQUIRE(index.Insert({1, kShort, 1000}));
  REQUIRE(index.Insert({2, kShort, 1000}));
  REQUIRE(index.Insert({4, kShort, 1001}));
  CHECK(FiredIds(index, 1000) == Ids{1, 2, 3});
}

TEST_CASE("an empty index fires nothing", "[liquidation][index]") {
  const CandidateIndex index;
  CHECK(FiredIds(index, 0).empty());
  CHECK_FALSE(index.AnyFired(0));
}

TEST_CASE("triggers at the ends of the int128 range fire exactly at their boundary",
          "[liquidation][index]") {
  const int128 lo = std::numeric_limits<int128>::min();
  const int128 hi = std::numeric_limits<int128>::max();
  CandidateIndex index;
  REQUIRE(index.Insert({1, kLong, lo}));   // fires only at X = min
  REQUIRE(index.Insert({2, kShort, hi}));  // fires only at X = max
  CHECK(FiredIds(index, lo) == Ids{1});
  CHECK(FiredIds(index, lo + 1).empty());
  CHECK(FiredIds(index, hi) == Ids{2});
  CHECK(FiredIds(index, hi - 1).empty());
}

TEST_CASE("a depth of 2^128 - 1 is compared exactly with a smaller one", "[liquidation][index]") {
  // At X = min: long 1 at trigger max is 2^128 - 1 deep (it does not fit an
  // int128), short 2 at trigger min is 0 deep. Long 1 comes first; with a
  // signed difference it would wrap to -1 and come second.
  const int128 lo = std::numeric_limits<int128>::min();
  const int128 hi = std::numeric_limits<int128>::max();
  CandidateIndex index;
  REQUIRE(index.Insert({2, kShort, lo}));
  REQUIRE(index.Insert({1, kLong, hi}));
  CHECK(FiredIds(index, lo) == Ids{1, 2});
}

// ---------------------------------------------------------------------------
// Insert, update, erase
// ---------------------------------------------------------------------------

TEST_CASE("inserting an id that has an entry is refused and changes nothing",
          "[liquidation][index]") {
  CandidateIndex index;
  REQUIRE(index.Insert({7, kLong, 1000}));
  CHECK_FALSE(index.Insert({7, kShort, 5}));
  CHECK(index.size() == 1);
  CHECK(index.Find(7) == CandidateEntry{7, kLong, 1000});
  CHECK(FiredIds(index, 10).empty() == false);  // still the long at 1000: 10 <= 1000
  CHECK(FiredIds(index, 1001).empty());         // the short at 5 was not added
}

TEST_CASE("an update moves a long's trigger", "[liquidation][index]") {
  CandidateIndex index;
  REQUIRE(index.Insert({7, kLong, 1000}));
  REQUIRE(index.Update({7, kLong, 500}));
  CHECK(index.size() == 1);
  CHECK(FiredIds(index, 501).empty());  // fired at the old trigger, not any more
  CHECK(FiredIds(index, 500) == Ids{7});
  CHECK(index.Find(7) == CandidateEntry{7, kLong, 500});
}

TEST_CASE("an update moves an entry to the other side", "[liquidation][index]") {
  CandidateIndex index;
  REQUIRE(index.Insert({7, kLong, 1000}));
  REQUIRE(index.Update({7, kShort, 1000}));
  CHECK(index.size() == 1);
  CHECK(FiredIds(index, 999).empty());  // a long at 1000 would fire here
  CHECK(FiredIds(index, 1000) == Ids{7});
  CHECK(index.Find(7) == CandidateEntry{7, kShort, 1000});
}

TEST_CASE("an update to the same side and trigger keeps the one entry", "[liquidation][index]") {
  CandidateIndex index;
  REQUIRE(index.Insert({7, kShort, 1000}));
  REQUIRE(index.Update({7, kShort, 1000}));
  CHECK(index.size() == 1);
  CHECK(FiredIds(index, 1000) == Ids{7});
}

TEST_CASE("updating an id without an entry is refused and adds nothing", "[liquidation][index]") {
  CandidateIndex index;
  CHECK_FALSE(index.Update({7, kLong, 1000}));
  CHECK(index.size() == 0);
  CHECK_FALSE(index.Contains(7));
  CHECK(FiredIds(index, 0).empty());
}

TEST_CASE("an erased entry no longer fires", "[liquidation][index]") {
  CandidateIndex index;
  REQUIRE(index.Insert({7, kLong, 1000}));
  REQUIRE(index.Insert({8, kShort, 1000}));
  CHECK(index.Erase(7));
  CHECK(index.size() == 1);
  CHECK_FALSE(index.Contains(7));
  CHECK(index.Find(7) == std::nullopt);
  CHECK(FiredIds(index, 1000) == Ids{8});
  CHECK(index.Erase(8));
  CHECK(FiredIds(index, 1000).empty());
}

TEST_CASE("erasing an id without an entry returns false", "[liquidation][index]") {
  CandidateIndex index;
  REQUIRE(index.Insert({7, kLong, 1000}));
  CHECK_FALSE(index.Erase(8));
  CHECK(index.size() == 1);
}

TEST_CASE("an erased id can be inserted again", "[liquidation][index]") {
  CandidateIndex index;
  REQUIRE(index.Insert({7, kLong, 1000}));
  REQUIRE(index.Erase(7));
  REQUIRE(index.Insert({7, kShort, 3}));
  CHECK(index.Find(7) == CandidateEntry{7, kShort, 3});
  CHECK(FiredIds(index, 3) == Ids{7});
}

TEST_CASE("a copy of the index is independent of the original", "[liquidation][index]") {
  CandidateIndex a;
  REQUIRE(a.Insert({1, kLong, 100}));
  CandidateIndex b = a;
  REQUIRE(b.Update({1, kLong, 50}));
  REQUIRE(b.Insert({2, kShort, 60}));
  CHECK(FiredIds(a, 100) == Ids{1});
  CHECK(FiredIds(b, 100) == Ids{2});  // short 2 fires (100 >= 60), long 1 at 50 does not
  CHECK(a.size() == 1);
}

// ---------------------------------------------------------------------------
// Order and limit
// ---------------------------------------------------------------------------

TEST_CASE("fired entries come deepest first across both sides", "[liquidation][index]") {
  // X = 100. Depths: long 1 at 130 -> 30; long 2 at 105 -> 5; long 3 at 100
  // -> 0; short 4 at 80 -> 20; short 5 at 60 -> 40; long 6 at 99 and short
  // 7 at 101 do not fire. Deepest first: 5 (40), 1 (30), 4 (20), 2 (5), 3 (0).
  CandidateIndex index;
  REQUIRE(index.Insert({3, kLong, 100}));
  REQUIRE(index.Insert({4, kShort, 80}));
  REQUIRE(index.Insert({7, kShort, 101}));
  REQUIRE(index.Insert({1, kLong, 130}));
  REQUIRE(index.Insert({6, kLong, 99}));
  REQUIRE(index.Insert({5, kShort, 60}));
  REQUIRE(index.Insert({2, kLong, 105}));
  const std::vector<CandidateEntry> fired = AllFired(index, 100);
  const std::vector<CandidateEntry> expected = {
      {5, kShort, 60}, {1, kLong, 130}, {4, kShort, 80}, {2, kLong, 105}, {3, kLong, 100}};
  INFO(Text(fired));
  CHECK(fired == expected);
}

TEST_CASE("entries equally deep come by id ascending across both sides", "[liquidation][index]") {
  // X = 0: long 9 at +10 and short 4 at -10 are both 10 deep; long 2 and
  // long 12 at +10 too. Expected ids 2, 4, 9, 12; then long 1 at 0 (depth 0).
  CandidateIndex index;
  REQUIRE(index.Insert({9, kLong, 10}));
  REQUIRE(index.Insert({1, kLong, 0}));
  REQUIRE(index.Insert({12, kLong, 10}));
  REQUIRE(index.Insert({4, kShort, -10}));
  REQUIRE(index.Insert({2, kLong, 10}));
  CHECK(FiredIds(index, 0) == Ids{2, 4, 9, 12, 1});
}

TEST_CASE("the order of results does not depend on the order of inserts", "[liquidation][index]") {
  CandidateIndex a;
  CandidateIndex b;
  const std::vector<CandidateEntry> entries = {
      {1, kLong, 50}, {2, kShort, 10}, {3, kLong, 50}, {4, kShort, 20}, {5, kLong, 40}};
  for (const CandidateEntry& e : entries) REQUIRE(a.Insert(e));
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) REQUIRE(b.Insert(*it));
  // X = 30: long 1, 3 (depth 20), short 2 (20), long 5 (10), short 4 (10).
  CHECK(FiredIds(a, 30) == Ids{1, 2, 3, 4, 5});
  CHECK(FiredIds(b, 30) == Ids{1, 2, 3, 4, 5});
}

TEST_CASE("a limit below the number fired writes the deepest and flags more",
          "[liquidation][index]") {
  CandidateIndex index;
  REQUIRE(index.Insert({1, kLong, 10}));   // depth 10 at X = 0
  REQUIRE(index.Insert({2, kShort, -5}));  // depth 5
  REQUIRE(index.Insert({3, kLong, 1}));    // depth 1
  std::vector<CandidateEntry> out(2);
  const FiredResult r = index.Fired(0, out);
  CHECK(r.written == 2);
  CHECK(r.more);
  CHECK(out[0] == CandidateEntry{1, kLong, 10});
  CHECK(out[1] == CandidateEntry{2, kShort, -5});
}

TEST_CASE("a limit equal to the number fired writes all and does not flag more",
          "[liquidation][index]") {
  CandidateIndex index;
  REQUIRE(index.Insert({1, kLong, 10}));
  REQUIRE(index.Insert({2, kShort, -5}));
  REQUIRE(index.Insert({3, kLong, -1}));  // does not fire at X = 0
  std::vector<CandidateEntry> out(2);
  const FiredResult r = index.Fired(0, out);
  CHECK(r.written == 2);
  CHECK_FALSE(r.more);
}

TEST_CASE("an empty span writes nothing and flags more when an entry fired",
          "[liquidation][index]") {
  CandidateIndex index;
  REQUIRE(index.Insert({1, kLong, 10}));
  const FiredResult fired = index.Fired(10, {});
  CHECK(fired.written == 0);
  CHECK(fired.more);
  const FiredResult none = index.Fired(11, {});
  CHECK(none.written == 0);
  CHECK_FALSE(none.more);
}

// ---------------------------------------------------------------------------
// Property test: the index against a plain vector scanned in full
// ---------------------------------------------------------------------------

enum class OpKind { kInsert, kUpdate, kErase, kQuery };
struct Op {
  OpKind kind;
  CandidateEntry entry;  // insert/update: the entry; erase: its id
  int128 x = 0;          // query: X
  std::size_t limit = 0; // query: out.size()
};

std::string Text(const Op& op) {
  switch (op.kind) {
    case OpKind::kInsert: return "Insert" + Text(op.entry);
    case OpKind::kUpdate: return "Update" + Text(op.entry);
    case OpKind::kErase: return "Erase(" + std::to_string(op.entry.id) + ")";
    case OpKind::kQuery:
      return "Fired(x " + Int128Text(op.x) + ", limit " + std::to_string(op.limit) + ")";
  }
  return "?";
}

// The reference: a vector in insertion order, scanned in full.
struct Reference {
  std::vector<CandidateEntry> entries;

  CandidateEntry* Find(std::uint64_t id) {
    for (CandidateEntry& e : entries) {
      if (e.id == id) return &e;
    }
    return nullptr;
  }
  // Every entry that fires at x, sorted deepest first then by id. Triggers
  // and X stay within +-2^100 in the generator, so the int128 depths are
  // exact.
  std::vector<CandidateEntry> Fired(int128 x) const {
    std::vector<CandidateEntry> fired;
    for (const CandidateEntry& e : entries) {
      if (e.side == kLong ? x <= e.trigger : x >= e.trigger) fired.push_back(e);
    }
    const auto depth = [x](const CandidateEntry& e) {
      return e.side == kLong ? e.trigger - x : x - e.trigger;
    };
    std::sort(fired.begin(), fired.end(), [&](const CandidateEntry& a, const CandidateEntry& b) {
      if (depth(a) != depth(b)) return depth(a) > depth(b);
      return a.id < b.id;
    });
    return fired;
  }
};

// Ops from a seed: ids from a small space (so inserts collide, updates and
// erases hit), triggers around a few centres with a small spread (so equal
// triggers and equal depths occur), now and then a far trigger (+-2^100),
// queries at random X or exactly at a held entry's trigger (or one unit
// beside it), with a random limit.
std::vector<Op> Generate(std::uint64_t seed, int count) {
  perpcore::testing::Rng rng(seed);
  std::vector<Op> ops;
  std::vector<int128> recent;  // triggers drawn so far, for boundary queries
  const int128 far = int128(1) << 100;
  const auto trigger = [&]() -> int128 {
    if (rng.Percent(3)) return rng.Percent(50) ? far : -far;
    const int128 centre = int128(rng.Between(-2, 2)) * (int128(1) << 70);
    return centre + rng.Between(-40, 40);
  };
  for (int i = 0; i < count; ++i) {
    Op op{};
    const std::uint64_t roll = rng.Below(100);
    const auto side = rng.Percent(50) ? kLong : kShort;
    const std::uint64_t id = rng.Below(48);
    if (roll < 35) {
      op.kind = OpKind::kInsert;
      op.entry = {id, side, trigger()};
      recent.push_back(op.entry.trigger);
    } else if (roll < 55) {
      op.kind = OpKind::kUpdate;
      op.entry = {id, side, trigger()};
      recent.push_back(op.entry.trigger);
    } else if (roll < 67) {
      op.kind = OpKind::kErase;
      op.entry.id = id;
    } else {
      op.kind = OpKind::kQuery;
      if (!recent.empty() && rng.Percent(60)) {
        op.x = recent[rng.Below(recent.size())] + rng.Between(-1, 1);
      } else {
        op.x = trigger();
      }
      op.limit = rng.Percent(70) ? 64 : rng.Below(6);
    }
    ops.push_back(op);
  }
  return ops;
}

struct RunStats {
  int queries = 0;
  int exact_boundary = 0;   // X equal to a held entry's trigger
  int limited = 0;          // queries that flagged more
  std::size_t max_fired = 0;
};

// Runs `ops` on an index and the reference; returns the index of the first
// op whose outcome differs (with `why`), or -1.
//
// A second index with another hash seed takes the same operations and must
// answer every query identically (DESIGN.md rule 2: the lookup's layout,
// which depends on the seed, never reaches a result).
int Run(const std::vector<Op>& ops, RunStats* stats, std::string* why) {
  CandidateIndex index;
  CandidateIndex reseeded(0x9E3779B97F4A7C15ULL);
  Reference ref;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const Op& op = ops[i];
    switch (op.kind) {
      case OpKind::kInsert: {
        const bool expected = ref.Find(op.entry.id) == nullptr;
        if (expected) ref.entries.push_back(op.entry);
        if (index.Insert(op.entry) != expected) return *why = "Insert's result", int(i);
        static_cast<void>(reseeded.Insert(op.entry));
        break;
      }
      case OpKind::kUpdate: {
        CandidateEntry* e = ref.Find(op.entry.id);
        if (e != nullptr) *e = op.entry;
        if (index.Update(op.entry) != (e != nullptr)) return *why = "Update's result", int(i);
        static_cast<void>(reseeded.Update(op.entry));
        break;
      }
      case OpKind::kErase: {
        const auto it = std::find_if(ref.entries.begin(), ref.entries.end(),
                                     [&](const CandidateEntry& e) { return e.id == op.entry.id; });
        const bool expected = it != ref.entries.end();
        if (expected) ref.entries.erase(it);
        if (index.Erase(op.entry.id) != expected) return *why = "Erase's result", int(i);
        static_cast<void>(reseeded.Erase(op.entry.id));
        break;
      }
      case OpKind::kQuery: {
        ++stats->queries;
        for (const CandidateEntry& e : ref.entries) {
          if (e.trigger == op.x) {
            ++stats->exact_boundary;
            break;
          }
        }
        const std::vector<CandidateEntry> all = ref.Fired(op.x);
        stats->max_fired = std::max(stats->max_fired, all.size());
        std::vector<CandidateEntry> out(op.limit);
        const FiredResult r = index.Fired(op.x, out);
        out.resize(std::min(r.written, out.size()));
        const std::size_t want = std::min(all.size(), op.limit);
        const std::vector<CandidateEntry> expected(all.begin(), all.begin() + long(want));
        if (r.written != want || out != expected) {
          return *why = "Fired: got " + Text(out) + " expected " + Text(expected), int(i);
        }
        if (r.more != (all.size() > op.limit)) return *why = "Fired's more flag", int(i);
        if (r.more) ++stats->limited;
        std::vector<CandidateEntry> again(op.limit);
        const FiredResult r2 = reseeded.Fired(op.x, again);
        again.resize(std::min(r2.written, again.size()));
        if (r2.written != r.written || r2.more != r.more || again != out) {
          return *why = "another hash seed answers " + Text(again), int(i);
        }
        if (index.AnyFired(op.x) != !all.empty()) return *why = "AnyFired", int(i);
        break;
      }
    }
    if (index.size() != ref.entries.size()) return *why = "size", int(i);
    const std::optional<CandidateEntry> found = index.Find(op.entry.id);
    const CandidateEntry* held = ref.Find(op.entry.id);
    if (found.has_value() != (held != nullptr) || (held != nullptr && !(*found == *held))) {
      return *why = "Find of the op's id", int(i);
    }
  }
  return -1;
}

TEST_CASE("the fired entries equal a full scan over random inserts, updates, erases and queries",
          "[liquidation][index][property]") {
  RunStats total;
  for (const std::uint64_t seed : {1ULL, 2ULL, 3ULL, 4ULL, 5ULL, 6ULL, 7ULL, 8ULL, 0xC0FFEEULL,
                                   0x5EED5EEDULL}) {
    const std::vector<Op> ops = Generate(seed, 4000);
    RunStats stats;
    std::string why;
    const int failed_at = Run(ops, &stats, &why);
    if (failed_at >= 0) {
      // Every op is checked as it runs, so the first failing op ends the
      // shortest failing prefix of this seed's ops.
      std::printf("candidate index property: seed %llu fails at op %d (%s); shortest failing "
                  "prefix (%d ops):\n",
                  static_cast<unsigned long long>(seed), failed_at, why.c_str(), failed_at + 1);
      for (int i = 0; i <= failed_at; ++i) std::printf("  %d %s\n", i, Text(ops[static_cast<std::size_t>(i)]).c_str());
    }
    INFO("seed " << seed << ": " << why);
    REQUIRE(failed_at == -1);
    total.queries += stats.queries;
    total.exact_boundary += stats.exact_boundary;
    total.limited += stats.limited;
    total.max_fired = std::max(total.max_fired, stats.max_fired);
  }
  std::printf("candidate index property: %d queries, %d at exactly a held trigger, %d cut by "
              "the limit, at most %zu fired\n",
              total.queries, total.exact_boundary, total.limited, total.max_fired);
  CHECK(total.exact_boundary > 0);
  CHECK(total.limited > 0);
  CHECK(total.max_fired >= 10);
}

}  // namespace
