#include "perpcore/risk/order_ladder.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <map>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/numeric/int128.h"

#include "support/rng.hpp"

namespace perpcore {
namespace {

using absl::int128;
using risk::AskLadder;
using risk::BidLadder;
using risk::PriceLots;

// Prices in ticks around a mark of 300,000 (30,000 USD at a 0.1 USD tick).
constexpr std::int64_t kMark = 300'000;

// The levels as (price, lots) pairs, in the ladder's order.
template <class Ladder>
std::vector<std::pair<std::int64_t, std::int64_t>> Levels(const Ladder& l) {
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  for (std::size_t i = 0; i < l.levels(); ++i) out.emplace_back(l.level(i).price, l.LotsAt(i));
  return out;
}

// A plain model: lots by price, and the per-order loss by a loop.
using Model = std::map<std::int64_t, std::int64_t>;
template <class Ladder>
constexpr bool kBids = std::is_same_v<Ladder, BidLadder>;

template <class Ladder>
int128 ModelLoss(const Model& m, std::int64_t mark) {
  int128 loss = 0;
  for (const auto& [price, lots] : m) {
    const int128 per_lot = kBids<Ladder> ? int128(price) - mark : int128(mark) - price;
    loss += per_lot > 0 ? per_lot * lots : 0;
  }
  return loss;
}

// Every level and running sum of the ladder against the model, from the
// worst price for the account to the best.
template <class Ladder>
void CheckAgainst(const Ladder& l, const Model& m) {
  REQUIRE(l.levels() == m.size());
  std::vector<std::pair<std::int64_t, std::int64_t>> expected(m.begin(), m.end());
  if (kBids<Ladder>) std::reverse(expected.begin(), expected.end());
  std::int64_t lots = 0;
  int128 value = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto& [price, level_lots] = expected[i];
    lots += level_lots;
    value += int128(price) * level_lots;
    const typename Ladder::Level got = l.level(i);
    CHECK(got.price == price);
    CHECK(l.LotsAt(i) == level_lots);
    CHECK(got.lots_through == lots);
    CHECK(got.value_through == value);
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

TEMPLATE_TEST_CASE("OrderLadder: an empty ladder has no lots, no value and no loss", "[risk]",
                   BidLadder, AskLadder) {
  const TestType l;
  CHECK(l.empty());
  CHECK(l.levels() == 0);
  CHECK(l.lots() == 0);
  CHECK(l.value() == 0);
  CHECK(l.Loss(kMark) == 0);
  CHECK(l.Loss(kMark, {}, {}) == 0);
}

// Bids at 31,000 (2 lots) and 29,000 (5 lots) against a 30,000 mark: the
// 31,000 bid loses 10,000 ticks * 2 lots; the 29,000 one loses nothing and
// offsets nothing (netted, the side would lose max(0, 620,000 + 1,450,000 -
// 7 * 300,000) = 0). Asks at the same prices: the 29,000 level loses
// 10,000 * 5 and the 31,000 one nothing.
TEST_CASE("OrderLadder: each order priced worse than the mark loses on its own", "[risk]") {
  BidLadder bids;
  bids.Add(310'000, 2);
  bids.Add(290'000, 5);
  CHECK(Levels(bids) == std::vector<std::pair<std::int64_t, std::int64_t>>{{310'000, 2},
                                                                           {290'000, 5}});
  CHECK(bids.lots() == 7);
  CHECK(bids.value() == int128(290'000) * 5 + int128(310'000) * 2);
  CHECK(bids.Loss(kMark) == 20'000);
  CHECK(bids.Loss(280'000) == int128(30'000) * 2 + int128(10'000) * 5);  // all above
  CHECK(bids.Loss(320'000) == 0);                                        // none

  AskLadder asks;
  asks.Add(310'000, 2);
  asks.Add(290'000, 5);
  CHECK(Levels(asks) == std::vector<std::pair<std::int64_t, std::int64_t>>{{290'000, 5},
                                                                           {310'000, 2}});
  CHECK(asks.Loss(kMark) == 50'000);
  CHECK(asks.Loss(280'000) == 0);
  CHECK(asks.Loss(320'000) == int128(10'000) * 2 + int128(30'000) * 5);
}

TEST_CASE("OrderLadder: a level at the mark loses nothing, one tick off loses one per lot",
          "[risk]") {
  BidLadder bids;
  AskLadder asks;
  bids.Add(kMark, 7);
  asks.Add(kMark, 7);
  CHECK(bids.Loss(kMark) == 0);
  CHECK(asks.Loss(kMark) == 0);
  CHECK(bids.Loss(kMark - 1) == 7);  // the bid is one tick above this mark
  CHECK(asks.Loss(kMark + 1) == 7);  // the ask one tick below this one
  bids.Add(kMark + 1, 3);
  bids.Add(kMark - 1, 4);
  asks.Add(kMark + 1, 3);
  asks.Add(kMark - 1, 4);
  CHECK(bids.Loss(kMark) == 3);
  CHECK(asks.Loss(kMark) == 4);
  CHECK(bids.Loss(kMark, {kMark, 100}, {}) == 3);
  CHECK(bids.Loss(kMark, {kMark + 1, 100}, {}) == 103);
  CHECK(asks.Loss(kMark, {kMark, 100}, {}) == 4);
  CHECK(asks.Loss(kMark, {kMark - 1, 100}, {}) == 104);
}

// One price is held inline, two or more on the heap: the same levels and
// sums either way, across every transition.
TEMPLATE_TEST_CASE("OrderLadder: levels and sums hold from one price to many and back", "[risk]",
                   BidLadder, AskLadder) {
  TestType l;
  Model m;
  auto add = [&](std::int64_t price, std::int64_t lots) {
    l.Add(price, lots);
    if ((m[price] += lots) == 0) m.erase(price);
    CheckAgainst(l, m);
    for (std::int64_t mark = kMark - 3; mark <= kMark + 3; ++mark) {
      CHECK(l.Loss(mark) == ModelLoss<TestType>(m, mark));
    }
  };
  add(kMark, 5);       // one
  add(kMark - 2, 3);   // two: to the heap
  add(kMark + 2, 4);   // three
  add(kMark, 6);       // merges
  add(kMark, 0);       // a no-op, never an empty level
  add(kMark + 1, 1);   // four
  add(kMark + 1, -1);  // three
  add(kMark, -11);     // two (the middle one went)
  add(kMark - 2, -3);  // one: inline again
  add(kMark - 1, 2);   // two again
  add(kMark + 2, -4);  // one
  add(kMark - 1, -2);  // none
  CHECK(l.empty());
  CHECK(l == TestType{});
}

TEMPLATE_TEST_CASE("OrderLadder: a removal beyond a level's lots is a broken invariant", "[risk]",
                   BidLadder, AskLadder) {
  TestType l;
  l.Add(kMark, 2);  // one level (inline)
  TestType before = l;
  {
    ScopedThrowingHandler handler;
    CHECK_THROWS_AS(l.Add(kMark, -3), FatalCall);
    CHECK_THROWS_AS(l.Add(kMark + 1, -1), FatalCall);
  }
  CHECK(l == before);  // checked before anything changes
  l.Add(kMark + 2, 5);  // two levels (on the heap)
  before = l;
  {
    ScopedThrowingHandler handler;
    CHECK_THROWS_AS(l.Add(kMark + 2, -6), FatalCall);
    CHECK_THROWS_AS(l.Add(kMark + 1, -1), FatalCall);
  }
  CHECK(l == before);
}

TEMPLATE_TEST_CASE(
    "OrderLadder: copies are independent, a move-constructed-from ladder is empty, a move "
    "assignment swaps",
    "[risk]", BidLadder, AskLadder) {
  for (const std::int64_t prices : {1, 2, 5}) {
    TestType l;
    for (std::int64_t i = 0; i < prices; ++i) l.Add(kMark + i, i + 1);
    TestType copy = l;
    CHECK(copy == l);
    copy.Add(kMark, 1);
    CHECK(copy != l);
    TestType assigned;
    assigned.Add(1, 1);
    assigned = l;
    CHECK(assigned == l);
    TestType moved = std::move(copy);
    CHECK(moved != l);
    CHECK(copy.empty());  // NOLINT(bugprone-use-after-move): documented state
    CHECK(copy.lots() == 0);
    copy = std::move(moved);
    CHECK(copy.lots() == l.lots() + 1);
    CHECK(moved.empty());  // NOLINT(bugprone-use-after-move): copy was empty
    TestType other;
    other.Add(1, 7);
    other = std::move(copy);
    CHECK(other.lots() == l.lots() + 1);
    CHECK(copy.lots() == 7);  // NOLINT(bugprone-use-after-move): swapped
    CHECK(copy.levels() == 1);
  }
}

// A placement is one order added, an amend the old one removed and the new
// one added: the loss with the change is what the ladder would report with
// it applied, and the ladder does not change.
TEST_CASE("OrderLadder: a hypothetical change prices like the change applied", "[risk]") {
  BidLadder l;
  l.Add(310'000, 2);
  l.Add(290'000, 5);
  const BidLadder before = l;
  // A bid amended across the mark, 29,000 -> 31,000, 5 lots: 20,000 + 50,000.
  CHECK(l.Loss(kMark, {310'000, 5}, {290'000, 5}) == 70'000);
  // The 31,000 bid amended one tick higher: 20,000 - 20,000 + 10,001 * 2.
  CHECK(l.Loss(kMark, {310'001, 2}, {310'000, 2}) == 20'002);
  // The 31,000 bid amended back below the mark: no loss left.
  CHECK(l.Loss(kMark, {290'000, 2}, {310'000, 2}) == 0);
  CHECK(l == before);
  BidLadder applied = l;
  applied.Add(290'000, -5);
  applied.Add(310'000, 5);
  CHECK(applied.Loss(kMark) == 70'000);
}

std::optional<std::uint64_t> EnvU64(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::strtoull(v, nullptr, 0);
}

// Random adds and removals on a few prices around a few marks, against the
// plain model after every step: levels, sums, the loss at a mark near the
// levels, and hypothetical changes against the change applied; now and
// then the walk goes on with a copy or a moved ladder.
TEMPLATE_TEST_CASE("OrderLadder: random adds and removals agree with a plain model",
                   "[risk][property]", BidLadder, AskLadder) {
  const std::uint64_t seed = EnvU64("PERPCORE_TEST_SEED").value_or(0x0a1d3e);
  const std::uint64_t iters = EnvU64("PERPCORE_TEST_ITERS").value_or(20'000);
  std::printf("OrderLadder property (%s): seed %#" PRIx64 ", %" PRIu64 " steps\n",
              kBids<TestType> ? "bids" : "asks", seed, iters);
  testing::Rng rng(seed);
  TestType l;
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
    REQUIRE(l.Loss(mark) == ModelLoss<TestType>(m, mark));
    // A hypothetical amend of some open lots to another price.
    const PriceLots add{kMark + rng.Between(-10, 10), rng.Between(0, 1'000)};
    PriceLots remove;
    if (!m.empty()) {
      auto pick = m.begin();
      std::advance(pick, static_cast<std::ptrdiff_t>(rng.Below(m.size())));
      remove = {pick->first, rng.Between(0, pick->second)};
    }
    Model after = m;
    after[add.price] += add.lots;
    after[remove.price] -= remove.lots;
    REQUIRE(l.Loss(mark, add, remove) == ModelLoss<TestType>(after, mark));
    if (rng.Percent(5)) {
      TestType copy = l;
      REQUIRE(copy == l);
      l = rng.Percent(50) ? copy : std::move(copy);
    }
  }
}

}  // namespace
}  // namespace perpcore
