#include "perpcore/risk/order_ladder.hpp"

#include <catch2/catch.hpp>

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/numeric/int128.h"

#include "support/rng.hpp"

namespace perpcore {
namespace {

using absl::int128;
using risk::OrderLadder;

// Prices in ticks around a mark of 300,000 (30,000 USD at a 0.1 USD tick).
constexpr std::int64_t kMark = 300'000;

// The levels as (price, lots) pairs, for whole-ladder comparisons.
std::vector<std::pair<std::int64_t, std::int64_t>> Levels(const OrderLadder& l) {
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  for (std::size_t i = 0; i < l.levels(); ++i) out.emplace_back(l.level(i).price, l.LotsAt(i));
  return out;
}

// A plain model: lots by price, and the per-order loss by a loop.
using Model = std::map<std::int64_t, std::int64_t>;
int128 ModelAbove(const Model& m, std::int64_t mark) {
  int128 loss = 0;
  for (const auto& [price, lots] : m) loss += price > mark ? (int128(price) - mark) * lots : 0;
  return loss;
}
int128 ModelBelow(const Model& m, std::int64_t mark) {
  int128 loss = 0;
  for (const auto& [price, lots] : m) loss += price < mark ? (int128(mark) - price) * lots : 0;
  return loss;
}

// Every level and running sum of the ladder against the model.
void CheckAgainst(const OrderLadder& l, const Model& m) {
  REQUIRE(l.levels() == m.size());
  std::int64_t lots = 0;
  int128 value = 0;
  std::size_t i = 0;
  for (const auto& [price, level_lots] : m) {
    lots += level_lots;
    value += int128(price) * level_lots;
    const OrderLadder::Level got = l.level(i);
    CHECK(got.price == price);
    CHECK(l.LotsAt(i) == level_lots);
    CHECK(got.lots_through == lots);
    CHECK(got.value_through == value);
    ++i;
  }
  CHECK(l.lots() == lots);
  CHECK(l.value() == value);
  CHECK(l.empty() == m.empty());
}

// FatalCall: thrown by the test handler to escape PERPCORE_CHECK's "must not
// return"; the handler is restored when the test ends.
struct FatalCall {};
void ThrowingHandler(const char*, const char*, int) { throw FatalCall{}; }
class ScopedThrowingHandler {
 public:
  ScopedThrowingHandler() : previous_(SetFatalHandler(&ThrowingHandler)) {}
  ~ScopedThrowingHandler() { SetFatalHandler(previous_); }
  ScopedThrowingHandler(const ScopedThrowingHandler&) = delete;
  ScopedThrowingHandler& operator=(const ScopedThrowingHandler&) = delete;

 private:
  FatalHandler previous_;
};

TEST_CASE("OrderLadder: an empty ladder has no lots, no value and no loss", "[risk]") {
  const OrderLadder l;
  CHECK(l.empty());
  CHECK(l.levels() == 0);
  CHECK(l.lots() == 0);
  CHECK(l.value() == 0);
  CHECK(l.LossAbove(kMark) == 0);
  CHECK(l.LossBelow(kMark) == 0);
  CHECK(l.LossAbove(kMark, {}, {}) == 0);
  CHECK(l.LossBelow(kMark, {}, {}) == 0);
}

// Bids at 31,000 (2 lots) and 29,000 (5 lots) against a 30,000 mark: the
// 31,000 bid loses 10,000 ticks * 2 lots; the 29,000 one loses nothing and
// offsets nothing (netted, the side would lose max(0, 620,000 + 1,450,000 -
// 7 * 300,000) = 0). As asks, the 29,000 level loses 10,000 * 5.
TEST_CASE("OrderLadder: each order priced worse than the mark loses on its own", "[risk]") {
  OrderLadder l;
  l.Add(310'000, 2);
  l.Add(290'000, 5);
  CHECK(Levels(l) == std::vector<std::pair<std::int64_t, std::int64_t>>{{290'000, 5},
                                                                        {310'000, 2}});
  CHECK(l.lots() == 7);
  CHECK(l.value() == int128(290'000) * 5 + int128(310'000) * 2);
  CHECK(l.LossAbove(kMark) == 20'000);
  CHECK(l.LossBelow(kMark) == 50'000);
  // Marks beyond every level: all of it on one side, none on the other.
  CHECK(l.LossAbove(280'000) == int128(30'000) * 2 + int128(10'000) * 5);
  CHECK(l.LossBelow(280'000) == 0);
  CHECK(l.LossAbove(320'000) == 0);
  CHECK(l.LossBelow(320'000) == int128(10'000) * 2 + int128(30'000) * 5);
}

TEST_CASE("OrderLadder: a level at the mark loses nothing, one tick off loses one per lot",
          "[risk]") {
  OrderLadder l;
  l.Add(kMark, 7);
  CHECK(l.LossAbove(kMark) == 0);
  CHECK(l.LossBelow(kMark) == 0);
  CHECK(l.LossAbove(kMark - 1) == 7);  // the level is one tick above this mark
  CHECK(l.LossBelow(kMark + 1) == 7);  // and one tick below this one
  l.Add(kMark + 1, 3);
  l.Add(kMark - 1, 4);
  CHECK(l.LossAbove(kMark) == 3);
  CHECK(l.LossBelow(kMark) == 4);
  CHECK(l.LossAbove(kMark, {kMark, 100}, {}) == 3);
  CHECK(l.LossAbove(kMark, {kMark + 1, 100}, {}) == 103);
  CHECK(l.LossBelow(kMark, {kMark, 100}, {}) == 4);
  CHECK(l.LossBelow(kMark, {kMark - 1, 100}, {}) == 104);
}

TEST_CASE("OrderLadder: equal prices merge; a level emptied is erased; sums follow", "[risk]") {
  OrderLadder l;
  Model m;
  auto add = [&](std::int64_t price, std::int64_t lots) {
    l.Add(price, lots);
    if ((m[price] += lots) == 0) m.erase(price);
    CheckAgainst(l, m);
  };
  add(300'010, 2);
  add(299'990, 3);
  add(300'000, 4);  // between the two: the sums above it move
  add(300'000, 6);  // merges
  add(300'000, 0);  // a no-op, never an empty level
  add(299'990, -3);  // the lowest level goes, the sums above it follow
  add(300'010, -1);
  add(300'000, -10);
  add(300'010, -1);
  CHECK(l.empty());
  CHECK(l == OrderLadder{});
}

// Up to two prices are held inline, three or more on the heap: the same
// levels and sums either way, across every transition.
TEST_CASE("OrderLadder: levels and sums hold from one price to many and back", "[risk]") {
  OrderLadder l;
  Model m;
  auto add = [&](std::int64_t price, std::int64_t lots) {
    l.Add(price, lots);
    if ((m[price] += lots) == 0) m.erase(price);
    CheckAgainst(l, m);
    for (std::int64_t mark = kMark - 3; mark <= kMark + 3; ++mark) {
      CHECK(l.LossAbove(mark) == ModelAbove(m, mark));
      CHECK(l.LossBelow(mark) == ModelBelow(m, mark));
    }
  };
  add(kMark, 5);       // one
  add(kMark - 2, 3);   // two, the new one lowest
  add(kMark + 2, 4);   // three: to the heap
  add(kMark + 1, 1);   // four
  add(kMark + 1, -1);  // three
  add(kMark, -5);      // two (the middle one went): inline again
  add(kMark, 6);       // three again, between the two
  add(kMark - 2, -3);  // two: the lowest went
  add(kMark + 2, -4);  // one: the highest went
  add(kMark - 1, 2);   // two, the new one lowest
  add(kMark, -6);      // one: the highest went
  add(kMark - 1, -2);  // none
  CHECK(l.empty());
}

TEST_CASE("OrderLadder: a removal beyond a level's lots is a broken invariant", "[risk]") {
  OrderLadder l;
  l.Add(300'000, 2);  // one level (held inline)
  OrderLadder before = l;
  {
    ScopedThrowingHandler handler;
    CHECK_THROWS_AS(l.Add(300'000, -3), FatalCall);
    CHECK_THROWS_AS(l.Add(300'001, -1), FatalCall);
  }
  CHECK(l == before);  // checked before anything changes
  l.Add(300'002, 5);  // two levels (on the heap)
  before = l;
  {
    ScopedThrowingHandler handler;
    CHECK_THROWS_AS(l.Add(300'002, -6), FatalCall);
    CHECK_THROWS_AS(l.Add(300'001, -1), FatalCall);
  }
  CHECK(l == before);
}

TEST_CASE("OrderLadder: copies are independent; a moved-from ladder is empty", "[risk]") {
  for (const std::int64_t prices : {1, 2, 5}) {
    OrderLadder l;
    for (std::int64_t i = 0; i < prices; ++i) l.Add(kMark + i, i + 1);
    OrderLadder copy = l;
    CHECK(copy == l);
    copy.Add(kMark, 1);
    CHECK(copy != l);
    CHECK(l.LotsAt(0) == 1);
    OrderLadder assigned;
    assigned.Add(1, 1);
    assigned = l;
    CHECK(assigned == l);
    OrderLadder moved = std::move(copy);
    CHECK(moved.LotsAt(0) == 2);
    CHECK(copy.empty());  // NOLINT(bugprone-use-after-move): documented state
    CHECK(copy.lots() == 0);
    copy = std::move(moved);
    CHECK(copy.LotsAt(0) == 2);
    CHECK(moved.empty());  // NOLINT(bugprone-use-after-move)
  }
}

// A placement is one order added, an amend the old one removed and the new
// one added: the loss with the change is what the ladder would report with
// it applied, and the ladder does not change.
TEST_CASE("OrderLadder: a hypothetical change prices like the change applied", "[risk]") {
  OrderLadder l;
  l.Add(310'000, 2);
  l.Add(290'000, 5);
  const OrderLadder before = l;
  // A bid amended across the mark, 29,000 -> 31,000, 5 lots: 20,000 + 50,000.
  CHECK(l.LossAbove(kMark, {310'000, 5}, {290'000, 5}) == 70'000);
  // The 31,000 bid amended one tick higher: 20,000 - 20,000 + 10,001 * 2.
  CHECK(l.LossAbove(kMark, {310'001, 2}, {310'000, 2}) == 20'002);
  // The 31,000 bid amended back below the mark: no loss left.
  CHECK(l.LossAbove(kMark, {290'000, 2}, {310'000, 2}) == 0);
  CHECK(l == before);
  OrderLadder applied = l;
  applied.Add(290'000, -5);
  applied.Add(310'000, 5);
  CHECK(applied.LossAbove(kMark) == 70'000);
}

std::optional<std::uint64_t> EnvU64(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::strtoull(v, nullptr, 0);
}

// Random adds and removals on a few prices around a few marks, against the
// plain model after every step: levels, sums, both losses at every mark
// near the levels, and hypothetical changes against the change applied.
TEST_CASE("OrderLadder: random adds and removals agree with a plain model", "[risk][property]") {
  const std::uint64_t seed = EnvU64("PERPCORE_TEST_SEED").value_or(0x0a1d3e);
  const std::uint64_t iters = EnvU64("PERPCORE_TEST_ITERS").value_or(20'000);
  std::printf("OrderLadder property: seed %#" PRIx64 ", %" PRIu64 " steps\n", seed, iters);
  testing::Rng rng(seed);
  OrderLadder l;
  Model m;
  for (std::uint64_t step = 0; step < iters; ++step) {
    INFO("seed " << seed << " step " << step);
    const std::int64_t price = kMark + rng.Between(-8, 8);
    const auto it = m.find(price);
    const std::int64_t have = it == m.end() ? 0 : it->second;
    // Removals about as often as adds, so the ladder fills and empties.
    const std::int64_t lots =
        have > 0 && rng.Percent(50) ? -rng.Between(1, have) : rng.Between(1, 1'000);
    l.Add(price, lots);
    if ((m[price] += lots) == 0) m.erase(price);
    CheckAgainst(l, m);
    const std::int64_t mark = kMark + rng.Between(-10, 10);
    REQUIRE(l.LossAbove(mark) == ModelAbove(m, mark));
    REQUIRE(l.LossBelow(mark) == ModelBelow(m, mark));
    // A hypothetical amend of some open lots to another price.
    const OrderLadder::Change add{kMark + rng.Between(-10, 10), rng.Between(0, 1'000)};
    OrderLadder::Change remove;
    if (!m.empty()) {
      auto pick = m.begin();
      std::advance(pick, static_cast<std::ptrdiff_t>(rng.Below(m.size())));
      remove = {pick->first, rng.Between(0, pick->second)};
    }
    Model after = m;
    after[add.price] += add.lots;
    after[remove.price] -= remove.lots;
    REQUIRE(l.LossAbove(mark, add, remove) == ModelAbove(after, mark));
    REQUIRE(l.LossBelow(mark, add, remove) == ModelBelow(after, mark));
    // Now and then go on with a copy or a moved ladder.
    if (rng.Percent(5)) {
      OrderLadder copy = l;
      REQUIRE(copy == l);
      l = rng.Percent(50) ? copy : std::move(copy);
    }
  }
}

}  // namespace
}  // namespace perpcore
