#include "perpcore/analytics/execution.hpp"

#include <Eigen/Dense>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace perpcore::analytics {
namespace {

// The parameter table of Almgren & Chriss (2000), section 4: 1e6 shares at
// $50, 30% annual volatility (250 trading days), 5 days in 5 intervals, a
// 1/8 spread (eps = 1/16), eta = 2.5e-6, gamma = 2.5e-7, lambda = 1e-6.
AcParams PaperExample() {
  AcParams p;
  p.shares = 1e6;
  p.horizon = 5;
  p.intervals = 5;
  p.sigma = 0.3 / std::sqrt(250.0) * 50;
  p.eta = 2.5e-6;
  p.gamma = 2.5e-7;
  p.epsilon = 0.0625;
  p.lambda = 1e-6;
  return p;
}

double Tau(const AcParams& p) { return p.horizon / p.intervals; }
double EtaTilde(const AcParams& p) { return p.eta - 0.5 * p.gamma * Tau(p); }

// Minimizes E + lambda V over the interior holdings by solving the normal
// equations of the quadratic objective with Eigen, independently of the
// closed form: for k = 1..N-1,
//   (2 eta~/tau)(2 x_k - x_{k-1} - x_{k+1}) + 2 lambda sigma^2 tau x_k - alpha tau = 0.
std::vector<double> DirectMinimum(const AcParams& p) {
  const int m = p.intervals - 1;
  if (m < 1) return {p.shares, 0};
  const double tau = Tau(p);
  const double c = 2 * EtaTilde(p) / tau;
  Eigen::MatrixXd a = Eigen::MatrixXd::Zero(m, m);
  Eigen::VectorXd b = Eigen::VectorXd::Constant(m, p.alpha * tau);
  for (int k = 0; k < m; ++k) {
    a(k, k) = 2 * c + 2 * p.lambda * p.sigma * p.sigma * tau;
    if (k > 0) a(k, k - 1) = -c;
    if (k + 1 < m) a(k, k + 1) = -c;
  }
  b(0) += c * p.shares;
  const Eigen::VectorXd x = a.ldlt().solve(b);
  std::vector<double> out{p.shares};
  for (int k = 0; k < m; ++k) out.push_back(x(k));
  out.push_back(0);
  return out;
}

TEST_CASE("Almgren-Chriss: the closed form equals a direct minimization of the objective",
          "[analytics]") {
  for (double lambda : {1e-8, 1e-6, 2e-6, 1e-4}) {
    for (int n : {5, 20, 200}) {
      AcParams p = PaperExample();
      p.lambda = lambda;
      p.intervals = n;
      const auto s = OptimalSchedule(p);
      REQUIRE(s.ok());
      const std::vector<double> direct = DirectMinimum(p);
      REQUIRE(s->holdings.size() == direct.size());
      for (std::size_t k = 0; k < direct.size(); ++k) {
        INFO("lambda " << lambda << " N " << n << " k " << k);
        CHECK(std::fabs(s->holdings[k] - direct[k]) <= 1e-8 * p.shares);
      }
    }
  }
}

TEST_CASE("Almgren-Chriss: the closed form with drift equals a direct minimization",
          "[analytics]") {
  AcParams p = PaperExample();
  p.intervals = 50;
  p.alpha = 0.02;  // $ per share per day
  const auto s = OptimalSchedule(p);
  REQUIRE(s.ok());
  const std::vector<double> direct = DirectMinimum(p);
  for (std::size_t k = 0; k < direct.size(); ++k) {
    CHECK(std::fabs(s->holdings[k] - direct[k]) <= 1e-8 * p.shares);
  }
}

TEST_CASE("Almgren-Chriss: moving any interior holding raises the objective", "[analytics]") {
  const AcParams p = PaperExample();
  const auto s = OptimalSchedule(p);
  REQUIRE(s.ok());
  for (std::size_t k = 1; k + 1 < s->holdings.size(); ++k) {
    for (double d : {-1e3, 1e3}) {
      std::vector<double> moved = s->holdings;
      moved[k] += d;
      const auto c = EvaluateSchedule(p, moved);
      REQUIRE(c.ok());
      CHECK(c->objective > s->cost.objective);
    }
  }
}

TEST_CASE("Almgren-Chriss: the naive strategy has the paper's closed-form E and V",
          "[analytics]") {
  const AcParams p = PaperExample();
  const auto s = NaiveSchedule(p);
  REQUIRE(s.ok());
  const double x = p.shares;
  const double n = p.intervals;
  const double e = 0.5 * p.gamma * x * x + p.epsilon * x + EtaTilde(p) * x * x / p.horizon;
  const double v = p.sigma * p.sigma * x * x * p.horizon * (1 - 1 / n) * (1 - 0.5 / n) / 3;
  CHECK(s->cost.expected_cost == Approx(e).epsilon(1e-13));
  CHECK(s->cost.variance == Approx(v).epsilon(1e-13));
  CHECK(s->kappa == 0);
  CHECK(std::isinf(s->half_life));
}

TEST_CASE("Almgren-Chriss: reproduces the paper's example from its parameter table",
          "[analytics]") {
  // The table's raw figures and the coefficients the paper derives from them:
  // 30% annual volatility at $50 over 250 days is 0.9487 $/share/day^1/2,
  // which the paper rounds to 0.95; 10% annual growth is alpha = 0.02; the
  // 1/8 spread gives eps = 1/16; one spread of permanent impact per 10% of the
  // 5M daily volume gives gamma = (1/8) / 5e5; one spread of temporary impact
  // per 1% of daily volume traded in a day gives eta = (1/8) / 5e4.
  CHECK(0.3 * 50 / std::sqrt(250.0) == Approx(0.9487).margin(5e-5));
  CHECK(0.10 * 50 / 250 == Approx(0.02).epsilon(1e-15));
  CHECK((1.0 / 8) / (0.10 * 5e6) == Approx(2.5e-7).epsilon(1e-15));
  CHECK((1.0 / 8) / (0.01 * 5e6) == Approx(2.5e-6).epsilon(1e-15));
  AcParams p = PaperExample();
  p.sigma = 0.95;  // as the paper rounds it
  // Worked by hand: eta~ = 2.375e-6; kappa~^2 = lambda sigma^2 / eta~ = 0.38;
  // kappa tau = 2 asinh(sqrt(0.38) / 2) = 0.6070762 per day (the continuous
  // approximation sqrt(0.38) = 0.6164 would be 1.5% off).
  const auto s = OptimalSchedule(p);
  REQUIRE(s.ok());
  CHECK(s->kappa == Approx(0.6070761632).epsilon(1e-9));
  CHECK(s->half_life == Approx(1.6472397708).epsilon(1e-9));
  const std::vector<double> holdings = {1e6, 541955.5543739, 289854.2194099, 147897.4878217,
                                        62141.8016058, 0};
  for (std::size_t k = 0; k < holdings.size(); ++k) {
    CHECK(s->holdings[k] == Approx(holdings[k]).margin(1e-6));
  }
  CHECK(s->cost.expected_cost == Approx(911226.9863).margin(1e-3));
  CHECK(s->cost.variance == Approx(3.641285720581e11).epsilon(1e-11));
  CHECK(s->cost.objective == Approx(1275355.5584).margin(1e-3));
  // The naive and immediate strategies, by hand: 125,000 permanent + 62,500
  // spread + 475,000 (= eta~ * 5 * (2e5)^2) temporary, and
  // V = 0.9025 * (0.8^2 + 0.6^2 + 0.4^2 + 0.2^2) * 1e12; everything at once
  // pays eta~ * 1e12 = 2,375,000 of temporary impact.
  const auto naive = NaiveSchedule(p);
  REQUIRE(naive.ok());
  CHECK(naive->cost.expected_cost == Approx(662500).margin(1e-6));
  CHECK(naive->cost.variance == Approx(1.083e12).epsilon(1e-14));
  const auto now = ImmediateSchedule(p);
  REQUIRE(now.ok());
  CHECK(now->cost.expected_cost == Approx(2562500).margin(1e-6));
  CHECK(now->cost.variance == 0);
}

TEST_CASE("Almgren-Chriss: the immediate strategy costs its impact with zero variance",
          "[analytics]") {
  const AcParams p = PaperExample();
  const auto s = ImmediateSchedule(p);
  REQUIRE(s.ok());
  const double x = p.shares;
  CHECK(s->cost.expected_cost ==
        Approx(0.5 * p.gamma * x * x + p.epsilon * x + EtaTilde(p) * x * x / Tau(p))
            .epsilon(1e-14));
  CHECK(s->cost.variance == 0);
  CHECK(s->trades.front() == x);
}

TEST_CASE("Almgren-Chriss: lambda = 0 gives the straight line", "[analytics]") {
  AcParams p = PaperExample();
  p.lambda = 0;
  const auto optimal = OptimalSchedule(p);
  const auto naive = NaiveSchedule(p);
  REQUIRE(optimal.ok());
  REQUIRE(naive.ok());
  CHECK(optimal->kappa == 0);
  for (std::size_t k = 0; k < naive->holdings.size(); ++k) {
    CHECK(optimal->holdings[k] == Approx(naive->holdings[k]).margin(1e-9));
  }
}

TEST_CASE("Almgren-Chriss: kappa keeps full accuracy at tiny lambda", "[analytics]") {
  AcParams p = PaperExample();
  p.lambda = 1e-30;
  const auto s = OptimalSchedule(p);
  REQUIRE(s.ok());
  // kappa tau = 2 asinh(z / 2) = z - z^3 / 24 + ..., z = kappa~ tau ~ 6e-10: the
  // correction is far below double precision, so kappa = kappa~ to rounding.
  const double kappa_tilde = std::sqrt(p.lambda * p.sigma * p.sigma / EtaTilde(p));
  CHECK(s->kappa == Approx(kappa_tilde).epsilon(1e-15));
  CHECK(s->kappa > 0);
}

TEST_CASE("Almgren-Chriss: kappa T in the thousands neither overflows nor loses the shape",
          "[analytics]") {
  AcParams p = PaperExample();
  p.horizon = 1000;
  p.intervals = 1000;
  p.lambda = 1e-2;
  const auto s = OptimalSchedule(p);
  REQUIRE(s.ok());
  REQUIRE(s->kappa * p.horizon > 1000);
  // Far from the end, x_1 / X = exp(-kappa tau) to rounding.
  CHECK(s->holdings[1] == Approx(p.shares * std::exp(-s->kappa * Tau(p))).epsilon(1e-12));
  for (std::size_t k = 1; k < s->holdings.size(); ++k) {
    CHECK(std::isfinite(s->holdings[k]));
    CHECK(s->holdings[k] <= s->holdings[k - 1]);
    CHECK(s->holdings[k] >= 0);
  }
  CHECK(std::isfinite(s->cost.objective));
}

TEST_CASE("Almgren-Chriss: buying is the mirror image of selling", "[analytics]") {
  AcParams sell = PaperExample();
  AcParams buy = sell;
  buy.shares = -sell.shares;
  const auto s = OptimalSchedule(sell);
  const auto b = OptimalSchedule(buy);
  REQUIRE(s.ok());
  REQUIRE(b.ok());
  for (std::size_t k = 0; k < s->holdings.size(); ++k) {
    CHECK(b->holdings[k] == -s->holdings[k]);
  }
  CHECK(b->cost.expected_cost == Approx(s->cost.expected_cost).epsilon(1e-15));
  CHECK(b->cost.variance == Approx(s->cost.variance).epsilon(1e-15));
}

TEST_CASE("Almgren-Chriss: the efficient frontier trades variance for expected cost",
          "[analytics]") {
  std::vector<double> lambdas;
  for (int i = 0; i < 100; ++i) lambdas.push_back(1e-9 * std::pow(10.0, i * 0.06));
  const auto frontier = EfficientFrontier(PaperExample(), lambdas);
  REQUIRE(frontier.ok());
  REQUIRE(frontier->size() == lambdas.size());
  for (std::size_t i = 1; i < frontier->size(); ++i) {
    const FrontierPoint& lo = (*frontier)[i - 1];
    const FrontierPoint& hi = (*frontier)[i];
    CHECK(hi.kappa > lo.kappa);
    CHECK(hi.cost.expected_cost >= lo.cost.expected_cost);
    CHECK(hi.cost.variance <= lo.cost.variance);
  }
}

TEST_CASE("Almgren-Chriss: bad input is refused with the parameter named", "[analytics]") {
  struct Case {
    const char* parameter;
    void (*spoil)(AcParams&);
  };
  const Case cases[] = {
      {"intervals", [](AcParams& p) { p.intervals = 0; }},
      {"horizon", [](AcParams& p) { p.horizon = 0; }},
      {"horizon", [](AcParams& p) { p.horizon = -1; }},
      {"sigma", [](AcParams& p) { p.sigma = -0.1; }},
      {"eta", [](AcParams& p) { p.eta = -1e-6; }},
      {"eta", [](AcParams& p) { p.eta = 0.5 * p.gamma * p.horizon / p.intervals; }},
      {"gamma", [](AcParams& p) { p.gamma = -1e-7; }},
      {"epsilon", [](AcParams& p) { p.epsilon = -0.01; }},
      {"lambda", [](AcParams& p) { p.lambda = -1e-6; }},
      {"shares", [](AcParams& p) { p.shares = std::numeric_limits<double>::quiet_NaN(); }},
      {"sigma", [](AcParams& p) { p.sigma = std::numeric_limits<double>::infinity(); }},
      {"lambda", [](AcParams& p) { p.lambda = std::numeric_limits<double>::quiet_NaN(); }},
      {"alpha", [](AcParams& p) {
         p.alpha = 0.01;
         p.lambda = 0;
       }},
  };
  for (const Case& c : cases) {
    AcParams p = PaperExample();
    c.spoil(p);
    const auto s = OptimalSchedule(p);
    INFO(c.parameter);
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(s.status().message()).find(c.parameter) != std::string::npos);
  }
}

TEST_CASE("Almgren-Chriss: a lambda too large for a double is out of range", "[analytics]") {
  AcParams p = PaperExample();
  p.lambda = std::numeric_limits<double>::max();
  p.sigma = 1e200;
  const auto s = OptimalSchedule(p);
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().code() == absl::StatusCode::kOutOfRange);
}

TEST_CASE("Almgren-Chriss: EvaluateSchedule refuses a path that does not go from X to 0",
          "[analytics]") {
  const AcParams p = PaperExample();
  const std::vector<double> short_path{1e6, 0};
  const std::vector<double> wrong_start{9e5, 5e5, 4e5, 3e5, 2e5, 0};
  const std::vector<double> wrong_end{1e6, 8e5, 6e5, 4e5, 2e5, 1};
  for (const auto* path : {&short_path, &wrong_start, &wrong_end}) {
    const auto c = EvaluateSchedule(p, *path);
    REQUIRE_FALSE(c.ok());
    CHECK(std::string(c.status().message()).find("holdings") != std::string::npos);
  }
}

}  // namespace
}  // namespace perpcore::analytics
