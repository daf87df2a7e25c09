// The ADL ranking (liquidation/adl_queue.hpp): score = L * PnL%, PnL% of a
// short (cost - V * size) / cost and of a long (V * size - cost) / cost,
// higher first, equal scores by account id. This is the "PnL% x leverage"
// of BitMEX and Poloniex (Poloniex help 6670657448215: Ranking = PnL% x
// effective leverage when PnL% > 0) with the leverage setting in place of
// the effective leverage. Every order asserted is worked out by hand from
// that formula in the comment above it.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "perpcore/liquidation/adl_queue.hpp"

namespace perpcore::liquidation {
namespace {

// Setting 0 is the market's max, 20; any other setting is itself.
std::uint32_t Effective(std::uint32_t setting) { return setting == 0 ? 20 : setting; }

AdlEntry Short(std::uint64_t account, std::uint32_t leverage, std::int64_t cost,
               std::int64_t size) {
  return {.slot = account, .account = account, .side = Side::kSell, .leverage = leverage,
          .cost = cost, .size = size};
}

std::vector<std::uint64_t> Order(const AdlQueue& q, Side side, std::int64_t v) {
  std::vector<std::uint64_t> out;
  q.Ranked(side, v, Effective, [&](const AdlEntry& e) {
    out.push_back(e.account);
    return true;
  });
  return out;
}

// Shorts at V = 100 atoms a lot:
//   account 7: 10 lots, cost 1,500 (entry 150), setting 10:
//              10 * (1,500 - 1,000) / 1,500 = 10/3
//   account 3: 10 lots, cost 1,200 (entry 120), setting 0 (20):
//              20 * (1,200 - 1,000) / 1,200 = 10/3   (a tie with 7)
//   account 5:  5 lots, cost   600 (entry 120), setting 5:  5 * 1/6 = 5/6
//   account 9:  2 lots, cost   400 (entry 200), setting 1:  1 * 1/2 = 1/2
//   account 4:  4 lots, cost   300 (entry 75),  setting 20:
//              20 * (300 - 400) / 300 = -20/3 (a loser: last)
// Order: 3 and 7 tie at 10/3 (3 first: the lower id), then 5, 9, 4.
TEST_CASE("ADL queue: shorts rank by PnL% times leverage, ties by account id",
          "[liquidation][adl]") {
  AdlQueue q;
  q.Upsert(Short(7, 10, 1'500, 10));
  q.Upsert(Short(3, 0, 1'200, 10));
  q.Upsert(Short(5, 5, 600, 5));
  q.Upsert(Short(9, 1, 400, 2));
  q.Upsert(Short(4, 20, 300, 4));
  CHECK(Order(q, Side::kSell, 100) == std::vector<std::uint64_t>{3, 7, 5, 9, 4});
  CHECK(Order(q, Side::kBuy, 100).empty());
  CHECK(q.size(Side::kSell) == 5);
}

// One atom of cost: account 7 at cost 1,501 scores 10 * 501 / 1,501 =
// 3.3378 > 10/3 = 3.3333, so it passes account 3; at 1,500 it ties (above).
TEST_CASE("ADL queue: one atom of entry value decides between equal scores",
          "[liquidation][adl]") {
  AdlQueue q;
  q.Upsert(Short(3, 0, 1'200, 10));
  q.Upsert(Short(7, 10, 1'501, 10));
  CHECK(Order(q, Side::kSell, 100) == std::vector<std::uint64_t>{7, 3});
  q.Upsert(Short(7, 10, 1'500, 10));
  CHECK(Order(q, Side::kSell, 100) == std::vector<std::uint64_t>{3, 7});
}

// The order across settings follows the mark without a re-sort. Account 1:
// setting 10, entry 150 (cost 1,500, 10 lots); account 2: setting 1, entry
// 300 (cost 3,000, 10 lots). Scores 10 * (150 - v) / 150 and (300 - v) /
// 300 (v the value of a lot) cross at 19 v = 2,700, v = 142.1:
//   v = 100: 10 * 50 / 150 = 3.33 > 200 / 300 = 0.67   account 1 first;
//   v = 145: 10 * 5 / 150  = 0.33 < 155 / 300 = 0.52   account 2 first.
TEST_CASE("ADL queue: the order across leverage settings follows the mark",
          "[liquidation][adl]") {
  AdlQueue q;
  q.Upsert(Short(1, 10, 1'500, 10));
  q.Upsert(Short(2, 1, 3'000, 10));
  CHECK(Order(q, Side::kSell, 100) == std::vector<std::uint64_t>{1, 2});
  CHECK(Order(q, Side::kSell, 145) == std::vector<std::uint64_t>{2, 1});
}

// Longs: PnL% = (V * size - cost) / cost. At V = 100: account 1 (entry 80,
// setting 2): 2 * 20 / 80 = 0.5; account 2 (entry 50, setting 1): 1 * 50 /
// 50 = 1; account 3 (entry 120, setting 20): 20 * -20 / 120 = -3.33.
TEST_CASE("ADL queue: longs rank by PnL% times leverage", "[liquidation][adl]") {
  AdlQueue q;
  q.Upsert({.slot = 1, .account = 1, .side = Side::kBuy, .leverage = 2, .cost = 800, .size = 10});
  q.Upsert({.slot = 2, .account = 2, .side = Side::kBuy, .leverage = 1, .cost = 500, .size = 10});
  q.Upsert({.slot = 3, .account = 3, .side = Side::kBuy, .leverage = 20, .cost = 1'200,
            .size = 10});
  CHECK(Order(q, Side::kBuy, 100) == std::vector<std::uint64_t>{2, 1, 3});
}

// RankOf() on the five shorts of the first case: ranks 0..4 (3, 7, 5, 9,
// 4) and buckets 4 - floor(5 * rank / 5) = 4, 3, 2, 1, 0.
TEST_CASE("ADL queue: a position's rank and its light", "[liquidation][adl]") {
  AdlQueue q;
  q.Upsert(Short(7, 10, 1'500, 10));
  q.Upsert(Short(3, 0, 1'200, 10));
  q.Upsert(Short(5, 5, 600, 5));
  q.Upsert(Short(9, 1, 400, 2));
  q.Upsert(Short(4, 20, 300, 4));
  const std::uint64_t order[] = {3, 7, 5, 9, 4};
  for (std::size_t r = 0; r < 5; ++r) {
    const std::optional<AdlRank> got = q.RankOf(order[r], 100, Effective);
    REQUIRE(got.has_value());
    CHECK(got->rank == r);
    CHECK(got->count == 5);
    CHECK(got->bucket == 4 - r);
  }
  CHECK_FALSE(q.RankOf(42, 100, Effective).has_value());
}

// A position grown at its own entry price (cost and size doubled) keeps its
// place; a side flip moves it to the other side; Erase takes it out.
TEST_CASE("ADL queue: upserts and erases keep one entry per slot", "[liquidation][adl]") {
  AdlQueue q;
  q.Upsert(Short(7, 10, 1'500, 10));
  q.Upsert(Short(3, 0, 1'200, 10));
  q.Upsert(Short(7, 10, 3'000, 20));
  CHECK(q.size() == 2);
  CHECK(q.Find(7)->cost == 3'000);
  CHECK(Order(q, Side::kSell, 100) == std::vector<std::uint64_t>{3, 7});
  q.Upsert({.slot = 7, .account = 7, .side = Side::kBuy, .leverage = 10, .cost = 900,
            .size = 10});
  CHECK(Order(q, Side::kSell, 100) == std::vector<std::uint64_t>{3});
  CHECK(Order(q, Side::kBuy, 100) == std::vector<std::uint64_t>{7});
  CHECK(q.Erase(7));
  CHECK_FALSE(q.Erase(7));
  CHECK(q.size() == 1);
  CHECK_FALSE(q.Find(7).has_value());
}

// Ranked() stops when the visitor says so.
TEST_CASE("ADL queue: the walk stops when the visitor returns false", "[liquidation][adl]") {
  AdlQueue q;
  for (std::uint64_t a = 1; a <= 5; ++a) q.Upsert(Short(a, 1, 1'000 + 100 * static_cast<std::int64_t>(a), 10));
  std::vector<std::uint64_t> seen;
  q.Ranked(Side::kSell, 100, Effective, [&](const AdlEntry& e) {
    seen.push_back(e.account);
    return seen.size() < 2;
  });
  CHECK(seen == std::vector<std::uint64_t>{5, 4});
}

}  // namespace
}  // namespace perpcore::liquidation
