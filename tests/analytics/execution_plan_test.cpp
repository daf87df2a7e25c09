// The plan of a schedule: child orders, cost breakdown and rationale, on the
// numerical example of Almgren & Chriss (2000): X = 1e6 shares at 50 USD,
// T = 5 days in N = 5 intervals, sigma = 0.95 USD/share/sqrt(day),
// eta = 2.5e-6, gamma = 2.5e-7, epsilon = 1/16 (half the 1/8 spread).
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <numeric>
#include <vector>

#include "perpcore/analytics/execution_plan.hpp"

namespace perpcore::analytics {
namespace {

constexpr double kDayNs = 86'400e9;

AcParams Paper() {
  return AcParams{.shares = 1e6, .horizon = 5, .intervals = 5, .sigma = 0.95, .eta = 2.5e-6,
                  .gamma = 2.5e-7, .epsilon = 0.0625, .lambda = 1e-6};
}

// Bids in cents (tick 0.01 USD), 200,000 shares each, best first.
const std::array<book::LevelView, 5> kBids{{{Ticks(4999), Lots(200'000), 3},
                                            {Ticks(4998), Lots(200'000), 2},
                                            {Ticks(4997), Lots(200'000), 4},
                                            {Ticks(4995), Lots(200'000), 1},
                                            {Ticks(4990), Lots(200'000), 5}}};
const std::vector<double> kNaive{1e6, 8e5, 6e5, 4e5, 2e5, 0};
const std::array<double, 5> kFunding{1e-4, 0, 1e-4, 0, 1e-4};

PlanInput NaiveInput() {
  return PlanInput{.model = Paper(),
                   .holdings = kNaive,
                   .price = 50,
                   .fee_rate = 5e-4,
                   .funding = kFunding,
                   .time_unit_ns = kDayNs,
                   .start_ns = 1'000,
                   .tick_size = 0.01,
                   .lot_size = 1,
                   .opposite = kBids};
}

// impact = gamma X^2 / 2 + (eta - gamma tau / 2) / tau * 5 * (2e5)^2
//        = 125,000 + 2.375e-6 * 2e11 = 600,000;
// spread = 1e6 / 16 = 62,500; fees = 5 bp of 50 USD * 1e6 = 25,000;
// funding = 1 bp * 50 * (8e5 + 4e5 + 0) = 6,000 (the long pays);
// stddev = sigma sqrt(tau * sum x_k^2) = 0.95 * sqrt(1.2e12) = 1,040,672.859...
TEST_CASE("Plan: the naive schedule's cost breakdown", "[analytics][plan]") {
  const Plan plan = *MakePlan(NaiveInput());
  CHECK(plan.expected.impact == Approx(600'000).epsilon(1e-12));
  CHECK(plan.expected.spread == Approx(62'500).epsilon(1e-12));
  CHECK(plan.expected.fees == Approx(25'000).epsilon(1e-12));
  CHECK(plan.expected.funding == Approx(6'000).epsilon(1e-12));
  CHECK(plan.expected.drift == 0);
  CHECK(plan.expected.total == Approx(693'500).epsilon(1e-12));
  CHECK(plan.expected.stddev == Approx(1'040'672.8592598157).epsilon(1e-12));
}

// The whole 1e6 through the bids averages (49.99 + 49.98 + 49.97 + 49.95 +
// 49.90) / 5 = 49.958, 0.084% below the mid of 50.
TEST_CASE("Plan: the rationale quotes the numbers, the same every time", "[analytics][plan]") {
  const Plan plan = *MakePlan(NaiveInput());
  CHECK(plan.single_order_slippage == Approx(0.00084).epsilon(1e-9));
  CHECK_FALSE(plan.book_too_thin);
  const std::string expected =
      "A single market order for 1000000 would slip 0.084% on the current book, so the sale "
      "is split into 5 child orders over 5 days: expected cost 693500.00 (impact 600000.00, "
      "spread 62500.00, fees 25000.00, funding 6000.00), standard deviation 1040672.86.";
  CHECK(plan.rationale == expected);
  CHECK(MakePlan(NaiveInput())->rationale == expected);
}

TEST_CASE("Plan: children fitting the best level are limits at the touch, one a day",
          "[analytics][plan]") {
  const Plan plan = *MakePlan(NaiveInput());
  REQUIRE(plan.children.size() == 5);
  for (std::size_t k = 0; k < 5; ++k) {
    const ChildOrder& c = plan.children[k];
    CHECK(c.time_ns == 1'000 + static_cast<std::int64_t>(k) * 86'400'000'000'000);
    CHECK(c.side == book::Side::kSell);
    CHECK(c.type == book::OrderType::kLimit);
    CHECK(c.price == Ticks(4999));
    CHECK(c.size == Lots(200'000));
  }
}

TEST_CASE("Plan: a child larger than the best level is a market order protected at its level",
          "[analytics][plan]") {
  PlanInput in = NaiveInput();
  const std::vector<double> two{1e6, 5e5, 0};
  in.model.intervals = 2;
  in.holdings = two;
  in.funding = {};
  const Plan plan = *MakePlan(in);
  REQUIRE(plan.children.size() == 2);
  // 500,000 shares take levels 1-3 (600,000): protection at 49.97.
  CHECK(plan.children[0].type == book::OrderType::kMarket);
  CHECK(plan.children[0].price == Ticks(4997));
  CHECK(plan.children[0].size == Lots(500'000));
  CHECK(plan.children[1].time_ns == 1'000 + static_cast<std::int64_t>(2.5 * kDayNs));
}

TEST_CASE("Plan: fractional trades are rounded so the children add up to X exactly",
          "[analytics][plan]") {
  PlanInput in = NaiveInput();
  const AcSchedule opt = *OptimalSchedule(in.model);
  in.holdings = opt.holdings;
  const Plan plan = *MakePlan(in);
  std::int64_t sum = 0;
  for (std::size_t k = 0; k < plan.children.size(); ++k) {
    sum += plan.children[k].size.raw();
    CHECK(std::fabs(static_cast<double>(plan.children[k].size.raw()) - opt.trades[k]) < 1.0);
  }
  CHECK(sum == 1'000'000);
  // The optimum costs more to execute than the naive line but carries less risk.
  const Plan naive = *MakePlan(NaiveInput());
  CHECK(plan.expected.impact > naive.expected.impact);
  CHECK(plan.expected.stddev < naive.expected.stddev);
}

TEST_CASE("Plan: a book too thin for the whole size says so", "[analytics][plan]") {
  PlanInput in = NaiveInput();
  in.opposite = std::span(kBids).first(2);  // 400,000 shares
  const Plan plan = *MakePlan(in);
  CHECK(plan.book_too_thin);
  // (49.99 + 49.98) / 2 = 49.985: 0.030% below the mid.
  CHECK(plan.rationale.rfind("A single market order for 1000000 could fill only 400000 of "
                             "1000000 on the current book (slipping 0.030% on that part), ",
                             0) == 0);
}

TEST_CASE("Plan: an immediate schedule is one order now", "[analytics][plan]") {
  PlanInput in = NaiveInput();
  const std::vector<double> now{1e6, 0, 0, 0, 0, 0};
  in.holdings = now;
  const Plan plan = *MakePlan(in);
  REQUIRE(plan.children.size() == 1);
  CHECK(plan.rationale.find("so it goes as one order now: ") != std::string::npos);
}

// A purchase builds a long: position during interval k is X - |x_k|.
TEST_CASE("Plan: a purchase pays funding on the position it has built", "[analytics][plan]") {
  PlanInput in = NaiveInput();
  in.model.shares = -1e6;
  const std::vector<double> buy{-1e6, -8e5, -6e5, -4e5, -2e5, 0};
  in.holdings = buy;
  const std::array<book::LevelView, 1> asks{{{Ticks(5001), Lots(1'000'000), 1}}};
  in.opposite = asks;
  const Plan plan = *MakePlan(in);
  // 1 bp * 50 * (2e5 + 6e5 + 1e6) = 9,000.
  CHECK(plan.expected.funding == Approx(9'000).epsilon(1e-12));
  CHECK(plan.children.front().side == book::Side::kBuy);
  CHECK(plan.children.front().price == Ticks(5001));
  CHECK(plan.rationale.find("the purchase is split") != std::string::npos);
}

TEST_CASE("Plan: bad input names the field", "[analytics][plan]") {
  auto why = [](const PlanInput& in) { return std::string(MakePlan(in).status().message()); };
  PlanInput in = NaiveInput();
  in.price = 0;
  CHECK(why(in).find("price") != std::string::npos);
  in = NaiveInput();
  in.lot_size = 3;  // 1e6 is not a whole number of 3-share lots
  CHECK(why(in).find("whole number of lots") != std::string::npos);
  in = NaiveInput();
  const std::array<double, 2> short_funding{0, 0};
  in.funding = short_funding;
  CHECK(why(in).find("funding") != std::string::npos);
  in = NaiveInput();
  in.opposite = {};
  CHECK(why(in).find("opposite") != std::string::npos);
  in = NaiveInput();
  const std::array<book::LevelView, 2> unsorted{{{Ticks(4998), Lots(1), 1}, {Ticks(4999), Lots(1), 1}}};
  in.opposite = unsorted;
  CHECK(why(in).find("sorted") != std::string::npos);
  in = NaiveInput();
  const std::vector<double> back_and_forth{1e6, 1.1e6, 6e5, 4e5, 2e5, 0};
  in.holdings = back_and_forth;
  CHECK(why(in).find("one-sided") != std::string::npos);
  in = NaiveInput();
  in.fee_rate = std::nan("");
  CHECK(why(in).find("fee_rate") != std::string::npos);
  in = NaiveInput();
  in.model.eta = 1e-8;  // eta_tilde <= 0
  CHECK(why(in).find("eta") != std::string::npos);
}

}  // namespace
}  // namespace perpcore::analytics
