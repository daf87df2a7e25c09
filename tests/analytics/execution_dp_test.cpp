#include "perpcore/analytics/execution_dp.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "perpcore/analytics/execution.hpp"

namespace perpcore::analytics {
namespace {

// The paper's example (execution_test.cpp) on a finer time grid.
AcParams Example(int intervals) {
  AcParams p;
  p.shares = 1e6;
  p.horizon = 5;
  p.intervals = intervals;
  p.sigma = 0.3 / std::sqrt(250.0) * 50;
  p.eta = 2.5e-6;
  p.gamma = 2.5e-7;
  p.epsilon = 0.0625;
  p.lambda = 2e-6;
  return p;
}

// The grid error bound. Let x* be the static optimum and x^ the DP path.
// Rounding each x*_k to its nearest grid point gives a feasible grid path
// x* + d with |d_k| <= h / 2 (h = X / (M - 1)); x*_0 = X and x*_N = 0 lie on
// the grid, x* is monotone and so is its rounding, so the eps |n| terms are
// the same eps X, and the objective is Q(x) + const with Q quadratic and
// grad Q(x*) = 0. Hence
//   0 <= U(x^) - U(x*) <= U(x* + d) - U(x*) = d' H d / 2
//     <= ||H|| (N - 1) (h / 2)^2 / 2 =: B,
// with H = (2 eta~ / tau) tridiag(-1, 2, -1) + 2 lambda sigma^2 tau I and, by
// Gershgorin, ||H|| <= 8 eta~ / tau + 2 lambda sigma^2 tau. Strong convexity
// (smallest eigenvalue mu = (2 eta~ / tau) 4 sin^2(pi / 2N) + 2 lambda sigma^2 tau)
// then bounds the path: ||x^ - x*||^2 <= 2 B / mu.
struct GridBound {
  double objective;  // B
  double path;       // sqrt(2 B / mu)
};

GridBound Bound(const AcParams& p, int m) {
  const double tau = p.horizon / p.intervals;
  const double eta_tilde = p.eta - 0.5 * p.gamma * tau;
  const double h = std::fabs(p.shares) / (m - 1);
  const double risk = 2 * p.lambda * p.sigma * p.sigma * tau;
  const double norm = 8 * eta_tilde / tau + risk;
  const double b = norm * (p.intervals - 1) * (h / 2) * (h / 2) / 2;
  const double s = std::sin(M_PI / (2 * p.intervals));
  const double mu = (2 * eta_tilde / tau) * 4 * s * s + risk;
  return {b, std::sqrt(2 * b / mu)};
}

TEST_CASE("DP: one regime reproduces the static optimum within the grid error bound",
          "[analytics][dp]") {
  for (int n : {5, 20, 100}) {
    for (int m : {101, 1001}) {
      for (double shares : {1e6, -1e6}) {
        AcParams p = Example(n);
        p.shares = shares;
        DpParams d;
        d.ac = p;
        d.grid_points = m;
        const absl::StatusOr<DpResult> dp = SolveExecutionDp(d);
        REQUIRE(dp.ok());
        const absl::StatusOr<AcSchedule> exact = OptimalSchedule(p);
        REQUIRE(exact.ok());
        const GridBound bound = Bound(p, m);
        CAPTURE(n, m, shares, bound.objective, bound.path);

        // The DP's value is the objective of its own path ...
        const std::vector<double>& x = dp->expected_holdings;
        REQUIRE(x.size() == static_cast<std::size_t>(n) + 1);
        CHECK(x.front() == shares);
        CHECK(x.back() == 0);
        const absl::StatusOr<AcCost> own = EvaluateSchedule(p, x);
        REQUIRE(own.ok());
        const double u_star = exact->cost.objective;
        CHECK(dp->objective == Approx(own->objective).epsilon(1e-12));
        // ... never below the continuous optimum, and above it by at most B.
        const double rounding = 1e-12 * std::fabs(u_star);
        CHECK(dp->objective >= u_star - rounding);
        CHECK(dp->objective - u_star <= bound.objective + rounding);
        // The path is within sqrt(2 B / mu) of the static one (Euclidean).
        double dist2 = 0;
        for (std::size_t k = 0; k <= static_cast<std::size_t>(n); ++k) {
          dist2 += (x[k] - exact->holdings[k]) * (x[k] - exact->holdings[k]);
        }
        CHECK(std::sqrt(dist2) <= bound.path * (1 + 1e-9));
      }
    }
  }
}

TEST_CASE("DP: lambda = 0 gives the straight line when it lies on the grid",
          "[analytics][dp]") {
  AcParams p = Example(10);
  p.lambda = 0;
  DpParams d;
  d.ac = p;
  d.grid_points = 101;  // X k / 10 is on the grid
  const absl::StatusOr<DpResult> dp = SolveExecutionDp(d);
  REQUIRE(dp.ok());
  for (std::size_t k = 0; k <= 10; ++k) {
    CHECK(dp->expected_holdings[k] ==
          Approx(p.shares * static_cast<double>(10 - k) / 10.0).margin(1e-6));
  }
}

TEST_CASE("DP: the monotone search equals the exhaustive search", "[analytics][dp]") {
  for (double alpha : {0.0, 1e-2}) {
    DpParams d;
    d.ac = Example(30);
    d.ac.alpha = alpha;
    d.grid_points = 301;
    d.regimes = {{0.5, 2.5e-6, 0.0625}, {3.0, 5e-6, 0.25}};
    d.transition = {0.9, 0.1, 0.3, 0.7};
    const absl::StatusOr<DpResult> fast = SolveExecutionDp(d);
    d.search = DpSearch::kExhaustive;
    const absl::StatusOr<DpResult> slow = SolveExecutionDp(d);
    REQUIRE(fast.ok());
    REQUIRE(slow.ok());
    std::size_t differing = 0;
    for (std::size_t i = 0; i < fast->policy.value.size(); ++i) {
      const double a = fast->policy.value[i], b = slow->policy.value[i];
      if (std::isinf(a) || std::isinf(b)) {
        CHECK(a == b);
      } else {
        CHECK(a == Approx(b).epsilon(1e-12));
      }
    }
    for (std::size_t i = 0; i < fast->policy.next_index.size(); ++i) {
      differing += fast->policy.next_index[i] != slow->policy.next_index[i];
    }
    // Only floating-point ties could make the argmins differ.
    CHECK(differing <= fast->policy.next_index.size() / 1000);
  }
}

TEST_CASE("DP: with two volatility regimes the policy trades faster in high volatility",
          "[analytics][dp]") {
  const AcParams base = Example(40);
  DpParams d;
  d.ac = base;
  d.grid_points = 501;
  d.regimes = {{0.5 * base.sigma, base.eta, base.epsilon},  // 0: calm
               {3.0 * base.sigma, base.eta, base.epsilon}}; // 1: stressed
  d.transition = {0.95, 0.05, 0.10, 0.90};
  const absl::StatusOr<DpResult> dp = SolveExecutionDp(d);
  REQUIRE(dp.ok());
  const DpPolicy& pol = dp->policy;
  int strictly_faster = 0;
  for (int k = 0; k < pol.steps; ++k) {
    for (int i = 0; i < pol.grid_points; ++i) {
      const double calm = pol.Trade(k, 0, i), stressed = pol.Trade(k, 1, i);
      CHECK(stressed >= calm);
      strictly_faster += stressed > calm;
    }
  }
  CHECK(strictly_faster > pol.steps * pol.grid_points / 2);

  // Along a constant regime path the stressed holdings lie below the calm ones.
  const std::vector<int> calm_path(40, 0), stressed_path(40, 1);
  const absl::StatusOr<std::vector<double>> calm = FollowPolicy(pol, calm_path);
  const absl::StatusOr<std::vector<double>> stressed = FollowPolicy(pol, stressed_path);
  REQUIRE(calm.ok());
  REQUIRE(stressed.ok());
  for (std::size_t k = 1; k < 40; ++k) CHECK((*stressed)[k] < (*calm)[k]);

  // A switch to the stressed regime mid-way speeds the liquidation up at once.
  std::vector<int> switching(40, 0);
  for (std::size_t k = 20; k < 40; ++k) switching[k] = 1;
  const absl::StatusOr<std::vector<double>> sw = FollowPolicy(pol, switching);
  REQUIRE(sw.ok());
  for (std::size_t k = 0; k <= 20; ++k) CHECK((*sw)[k] == (*calm)[k]);
  CHECK((*sw)[20] - (*sw)[21] > (*calm)[20] - (*calm)[21]);

  // The expected schedule from the calm regime lies between the two.
  for (std::size_t k = 1; k < 40; ++k) {
    CHECK(dp->expected_holdings[k] <= (*calm)[k] + 1e-6);
    CHECK(dp->expected_holdings[k] >= (*stressed)[k] - 1e-6);
  }

  // An absorbing regime behaves like the one-regime problem.
  DpParams absorbing = d;
  absorbing.transition = {1, 0, 0, 1};
  DpParams single;
  single.ac = base;
  single.ac.sigma = d.regimes[1].sigma;
  single.grid_points = d.grid_points;
  absorbing.initial_regime = 1;
  const absl::StatusOr<DpResult> a = SolveExecutionDp(absorbing);
  const absl::StatusOr<DpResult> s = SolveExecutionDp(single);
  REQUIRE(a.ok());
  REQUIRE(s.ok());
  CHECK(a->expected_holdings == s->expected_holdings);
  CHECK(a->objective == s->objective);
}

TEST_CASE("DP: a wider spread in one regime slows trading there", "[analytics][dp]") {
  const AcParams base = Example(20);
  DpParams d;
  d.ac = base;
  d.grid_points = 401;
  // Regime 1 has a wide spread that is expected to close: trading waits.
  d.regimes = {{base.sigma, base.eta, 0.01}, {base.sigma, base.eta, 2.0}};
  d.transition = {0.9, 0.1, 0.6, 0.4};
  const absl::StatusOr<DpResult> dp = SolveExecutionDp(d);
  REQUIRE(dp.ok());
  const int top = d.grid_points - 1;
  CHECK(dp->policy.Trade(0, 1, top) < dp->policy.Trade(0, 0, top));
}

TEST_CASE("DP: is deterministic", "[analytics][dp]") {
  DpParams d;
  d.ac = Example(25);
  d.grid_points = 257;
  d.regimes = {{0.5, 2.5e-6, 0.0625}, {2.0, 2.5e-6, 0.0625}};
  d.transition = {0.8, 0.2, 0.2, 0.8};
  const absl::StatusOr<DpResult> a = SolveExecutionDp(d);
  const absl::StatusOr<DpResult> b = SolveExecutionDp(d);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->policy.next_index == b->policy.next_index);
  CHECK(a->policy.value == b->policy.value);
  CHECK(a->expected_holdings == b->expected_holdings);
}

void ExpectInvalid(const DpParams& d, const std::string& parameter) {
  const absl::StatusOr<DpResult> r = SolveExecutionDp(d);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
  CAPTURE(r.status().message(), parameter);
  CHECK(r.status().message().find(parameter) != absl::string_view::npos);
}

TEST_CASE("DP: bad input is refused with the parameter named", "[analytics][dp]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  DpParams good;
  good.ac = Example(10);
  good.grid_points = 11;
  REQUIRE(SolveExecutionDp(good).ok());

  DpParams d = good;
  d.grid_points = 0;
  ExpectInvalid(d, "grid_points");
  d.grid_points = 1;
  ExpectInvalid(d, "grid_points");
  d = good;
  d.ac.intervals = 0;
  ExpectInvalid(d, "intervals");
  d = good;
  d.ac.sigma = -1;
  ExpectInvalid(d, "sigma");
  d = good;
  d.ac.sigma = nan;
  ExpectInvalid(d, "sigma");
  d = good;
  d.ac.shares = inf;
  ExpectInvalid(d, "shares");
  d = good;
  d.ac.horizon = 0;
  ExpectInvalid(d, "horizon");
  d = good;
  d.ac.eta = 0;
  ExpectInvalid(d, "eta");
  d = good;
  d.ac.lambda = -1;
  ExpectInvalid(d, "lambda");
  d = good;
  d.ac.epsilon = -1;
  ExpectInvalid(d, "epsilon");
  d = good;
  d.ac.alpha = nan;
  ExpectInvalid(d, "alpha");
  d = good;
  d.grid_points = 1 << 30;
  ExpectInvalid(d, "grid_points");
  d = good;
  d.transition = {1};
  ExpectInvalid(d, "transition");
  d = good;
  d.initial_regime = 1;
  ExpectInvalid(d, "initial_regime");

  DpParams two = good;
  two.regimes = {{1, 2.5e-6, 0}, {2, 2.5e-6, 0}};
  two.transition = {0.5, 0.5, 0.5, 0.5};
  REQUIRE(SolveExecutionDp(two).ok());
  d = two;
  d.transition = {0.5, 0.5, 0.5};
  ExpectInvalid(d, "transition");
  d = two;
  d.transition = {0.5, 0.6, 0.5, 0.5};
  ExpectInvalid(d, "transition");
  d = two;
  d.transition = {1.5, -0.5, 0.5, 0.5};
  ExpectInvalid(d, "transition");
  d = two;
  d.transition = {nan, 0.5, 0.5, 0.5};
  ExpectInvalid(d, "transition");
  d = two;
  d.regimes[1].sigma = -1;
  ExpectInvalid(d, "regimes[1].sigma");
  d = two;
  d.regimes[0].eta = 0;
  ExpectInvalid(d, "regimes[0].eta");
  d = two;
  d.regimes[1].epsilon = inf;
  ExpectInvalid(d, "regimes[1].epsilon");
  d = two;
  d.initial_regime = 2;
  ExpectInvalid(d, "initial_regime");
  d = two;
  d.initial_regime = -1;
  ExpectInvalid(d, "initial_regime");

  const absl::StatusOr<DpResult> ok = SolveExecutionDp(two);
  REQUIRE(ok.ok());
  const std::vector<int> short_path(9, 0), bad_regime(10, 2);
  CHECK(FollowPolicy(ok->policy, short_path).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(FollowPolicy(ok->policy, bad_regime).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace perpcore::analytics
