#include "perpcore/analytics/execution_ext.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "perpcore/analytics/execution.hpp"

namespace perpcore::analytics {
namespace {

// The paper example of execution_test.cpp (Almgren & Chriss 2000, section 4).
ExtParams Paper() {
  ExtParams p;
  p.shares = 1e6;
  p.horizon = 5;
  p.intervals = 5;
  p.sigma = {0.3 / std::sqrt(250.0) * 50};
  p.eta = 2.5e-6;
  p.gamma = 2.5e-7;
  p.spread = {0.0625};
  p.lambda = 1e-6;
  return p;
}

AcParams Classic(const ExtParams& e) {
  AcParams p;
  p.shares = e.shares;
  p.horizon = e.horizon;
  p.intervals = e.intervals;
  p.sigma = e.sigma.empty() ? 0 : e.sigma[0];
  p.eta = e.eta;
  p.gamma = e.gamma;
  p.epsilon = e.spread.empty() ? 0 : e.spread[0];
  p.lambda = e.lambda;
  p.alpha = e.drift.empty() ? 0 : e.drift[0];
  return p;
}

double Entry(const std::vector<double>& v, int k) {
  if (v.empty()) return 0;
  return v.size() == 1 ? v[0] : v[static_cast<std::size_t>(k) - 1];
}

// A perpetual with everything switched on: time-varying sigma, drift and
// spread, maker/taker fees, latency and funding every 8 of 24 intervals.
ExtParams Perp(int n = 24) {
  ExtParams p;
  p.shares = 500;  // contracts
  p.horizon = 24;  // hours
  p.intervals = n;
  p.eta = 0.05;
  p.gamma = 0.01;
  p.lambda = 1e-4;
  p.reference_price = 30000;
  p.taker_fee_rate = 5e-4;
  p.maker_fee_rate = -1e-4;
  p.latency = 1e-4;
  p.latency_coefficient = 0.4;
  for (int k = 1; k <= n; ++k) {
    p.sigma.push_back(60 + 30 * std::sin(0.3 * k));
    p.drift.push_back(1.5 * std::cos(0.2 * k));
    p.spread.push_back(0.5 + 0.25 * (k % 3));
    p.funding.push_back(k % 8 == 0 ? 3.0 : 0.0);
    p.order_types.push_back(k % 2 == 0 ? ExtOrderType::kMaker : ExtOrderType::kTaker);
  }
  return p;
}

// Per-unit linear trading cost of interval k, from the model definition.
double UnitCost(const ExtParams& p, int k) {
  const bool maker = !p.order_types.empty() &&
                     (p.order_types.size() == 1 ? p.order_types[0]
                                                : p.order_types[static_cast<std::size_t>(k) - 1]) ==
                         ExtOrderType::kMaker;
  return Entry(p.spread, k) +
         (maker ? p.maker_fee_rate : p.taker_fee_rate) * p.reference_price +
         p.latency_coefficient * Entry(p.sigma, k) * std::sqrt(p.latency);
}

// dU/dn_j for a one-sided schedule in the trade variables (x_m = X - sum_{i<=m} n_i),
// written from the model definition, independently of the solver's
// holdings-space formulation.
std::vector<double> TradeGradient(const ExtParams& p, const std::vector<double>& x) {
  const int n = p.intervals;
  const double tau = p.horizon / n;
  const double s = p.shares < 0 ? -1 : 1;
  std::vector<double> d(static_cast<std::size_t>(n) + 1, 0);
  // tail[j] = sum_{m=j..N-1} dU/dx_m (from funding, drift, variance).
  double tail = 0;
  for (int j = n; j >= 1; --j) {
    const std::size_t i = static_cast<std::size_t>(j);
    const double nk = x[i - 1] - x[i];
    const double an = std::fabs(nk);
    double temp;
    if (p.delta == 1) {
      temp = 2 * (p.eta - 0.5 * p.gamma * tau) / tau * nk;
    } else {
      temp = s * (1 + p.delta) * p.eta * std::pow(an / tau, p.delta);
    }
    d[i] = temp + s * UnitCost(p, j) - tail;
    if (j >= 2) {
      const std::size_t m = i - 1;
      const double sig = Entry(p.sigma, j - 1);
      tail += Entry(p.funding, j - 1) - Entry(p.drift, j - 1) * tau +
              2 * p.lambda * tau * sig * sig * x[m];
    }
  }
  return d;
}

// KKT on the simplex {s n >= 0, sum n = X}: s dU/dn_j equals a common nu on
// traded intervals and is >= nu on idle ones. Returns the worst violation
// relative to the largest |dU/dn|.
double TradeSpaceKkt(const ExtParams& p, const std::vector<double>& x) {
  const std::vector<double> d = TradeGradient(p, x);
  const double s = p.shares < 0 ? -1 : 1;
  double lo = std::numeric_limits<double>::infinity();
  double hi = -lo;
  double scale = 0;
  for (int j = 1; j <= p.intervals; ++j) {
    const std::size_t i = static_cast<std::size_t>(j);
    scale = std::max(scale, std::fabs(d[i]));
    if (s * (x[i - 1] - x[i]) > 0) {
      lo = std::min(lo, s * d[i]);
      hi = std::max(hi, s * d[i]);
    }
  }
  double worst = hi - lo;
  for (int j = 1; j <= p.intervals; ++j) {
    const std::size_t i = static_cast<std::size_t>(j);
    if (s * (x[i - 1] - x[i]) < 0) worst = std::max(worst, std::fabs(x[i - 1] - x[i]));
    if (x[i - 1] == x[i]) worst = std::max(worst, lo - s * d[i]);
  }
  return worst / scale;
}

// Quadratic (delta = 1) objective restricted to one-sided paths, as
// H y = b in the interior holdings, built by hand from the model.
void Normal(const ExtParams& p, Eigen::MatrixXd& h, Eigen::VectorXd& b) {
  const int n = p.intervals;
  const int m = n - 1;
  const double tau = p.horizon / n;
  const double w = 2 * (p.eta - 0.5 * p.gamma * tau) / tau;
  const double s = p.shares < 0 ? -1 : 1;
  h = Eigen::MatrixXd::Zero(m, m);
  b = Eigen::VectorXd::Zero(m);
  for (int k = 1; k <= m; ++k) {
    const double sig = Entry(p.sigma, k);
    h(k - 1, k - 1) = 2 * w + 2 * p.lambda * tau * sig * sig;
    if (k > 1) h(k - 1, k - 2) = -w;
    if (k < m) h(k - 1, k) = -w;
    b(k - 1) = -(s * UnitCost(p, k + 1) - s * UnitCost(p, k)) -
               (Entry(p.funding, k) - Entry(p.drift, k) * tau);
  }
  b(0) += w * p.shares;
}

std::vector<double> DenseUnconstrained(const ExtParams& p) {
  Eigen::MatrixXd h;
  Eigen::VectorXd b;
  Normal(p, h, b);
  const Eigen::VectorXd y = h.ldlt().solve(b);
  std::vector<double> x{p.shares};
  for (int k = 0; k < p.intervals - 1; ++k) x.push_back(y(k));
  x.push_back(0);
  return x;
}

// Exact brute force for the one-sided QP (small N): every face {n_k = 0 for
// k in S} is minimized with a dense Eigen KKT solve in the trade variables,
// and the best feasible face minimizer is the global optimum.
std::vector<double> BruteForceQp(const ExtParams& p) {
  const int n = p.intervals;
  const double s = p.shares < 0 ? -1 : 1;
  // U restricted to one-sided paths is quadratic in n: U = n'An/2 + g'n + const.
  // Assemble A and g numerically from TradeGradient (exact for a quadratic).
  auto path = [&](const Eigen::VectorXd& t) {
    std::vector<double> x{p.shares};
    double cur = p.shares;
    for (int k = 0; k < n; ++k) {
      cur -= t(k);
      x.push_back(k + 1 == n ? 0.0 : cur);
    }
    return x;
  };
  auto grad = [&](const Eigen::VectorXd& t) {
    // TradeGradient needs x_N = 0; treat the last trade as free in the gradient.
    std::vector<double> x{p.shares};
    double cur = p.shares;
    for (int k = 0; k < n; ++k) {
      cur -= t(k);
      x.push_back(cur);
    }
    const std::vector<double> d = TradeGradient(p, x);
    Eigen::VectorXd out(n);
    for (int k = 0; k < n; ++k) out(k) = d[static_cast<std::size_t>(k) + 1];
    return out;
  };
  const Eigen::VectorXd zero = Eigen::VectorXd::Zero(n);
  const Eigen::VectorXd g0 = grad(zero);
  Eigen::MatrixXd a(n, n);
  for (int j = 0; j < n; ++j) {
    Eigen::VectorXd e = Eigen::VectorXd::Zero(n);
    e(j) = 1;
    a.col(j) = grad(e) - g0;
  }
  a = 0.5 * (a + a.transpose());
  double best = std::numeric_limits<double>::infinity();
  std::vector<double> best_x;
  for (unsigned mask = 0; mask < (1u << n); ++mask) {
    std::vector<Eigen::Index> free;
    for (int k = 0; k < n; ++k) {
      if (!(mask & (1u << k))) free.push_back(k);
    }
    if (free.empty()) continue;
    const Eigen::Index f = static_cast<Eigen::Index>(free.size());
    Eigen::MatrixXd kkt = Eigen::MatrixXd::Zero(f + 1, f + 1);
    Eigen::VectorXd rhs(f + 1);
    for (Eigen::Index i = 0; i < f; ++i) {
      for (Eigen::Index j = 0; j < f; ++j) {
        kkt(i, j) = a(free[static_cast<std::size_t>(i)], free[static_cast<std::size_t>(j)]);
      }
      kkt(i, f) = 1;
      kkt(f, i) = 1;
      rhs(i) = -g0(free[static_cast<std::size_t>(i)]);
    }
    rhs(f) = p.shares;
    const Eigen::VectorXd sol = kkt.fullPivLu().solve(rhs);
    Eigen::VectorXd t = Eigen::VectorXd::Zero(n);
    bool feasible = true;
    for (Eigen::Index i = 0; i < f; ++i) {
      t(free[static_cast<std::size_t>(i)]) = sol(i);
      if (s * sol(i) < -1e-12 * std::fabs(p.shares)) feasible = false;
    }
    if (!feasible) continue;
    const double u = t.dot(0.5 * (a * t) + g0);
    if (u < best) {
      best = u;
      best_x = path(t);
    }
  }
  return best_x;
}

double MaxAbsDiff(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0;
  for (std::size_t k = 0; k < a.size(); ++k) m = std::max(m, std::fabs(a[k] - b[k]));
  return m;
}

TEST_CASE("AC perpetual: constant parameters and no fees reproduce OptimalSchedule",
          "[analytics][ext]") {
  for (double lambda : {0.0, 1e-8, 1e-6, 1e-4}) {
    for (int n : {1, 5, 50, 1000}) {
      for (double shares : {1e6, -1e6}) {
        for (double drift : {0.0, 0.02}) {
          if (drift != 0 && lambda == 0) continue;
          ExtParams p = Paper();
          p.lambda = lambda;
          p.intervals = n;
          p.shares = shares;
          if (drift != 0) p.drift = {drift};
          const auto classic = OptimalSchedule(Classic(p));
          const auto ext = ExtOptimalSchedule(p);
          REQUIRE(classic.ok());
          REQUIRE(ext.ok());
          INFO("lambda " << lambda << " N " << n << " X " << shares << " drift " << drift);
          if (ext->method == ExtMethod::kActiveSet) continue;  // drift overshoot: see below
          CHECK(ext->method == ExtMethod::kClosedForm);
          CHECK(MaxAbsDiff(ext->holdings, classic->holdings) <= 1e-12 * std::fabs(shares));
          CHECK(ext->cost.objective == Approx(classic->cost.objective).epsilon(1e-12));
          CHECK(ext->cost.variance == Approx(classic->cost.variance).epsilon(1e-12));
          CHECK(ext->kkt_residual <= 1e-12);
        }
      }
    }
  }
}

TEST_CASE("AC perpetual: the Thomas solve agrees with the hyperbolic closed form",
          "[analytics][ext]") {
  for (double lambda : {1e-8, 1e-6, 1e-4}) {
    for (int n : {5, 200, 1000}) {
      ExtParams p = Paper();
      p.lambda = lambda;
      p.intervals = n;
      p.drift = {0.02};
      // A funding entry on the last interval changes nothing (x_N = 0) but
      // takes the tridiagonal path.
      p.funding.assign(static_cast<std::size_t>(n), 0.0);
      p.funding.back() = 1;
      const auto ext = ExtOptimalSchedule(p);
      const auto classic = OptimalSchedule(Classic(p));
      REQUIRE(ext.ok());
      REQUIRE(classic.ok());
      INFO("lambda " << lambda << " N " << n);
      CHECK(ext->method == ExtMethod::kTridiagonal);
      CHECK(MaxAbsDiff(ext->holdings, classic->holdings) <= 1e-10 * p.shares);
    }
  }
}

TEST_CASE("AC perpetual: time-varying closed form equals a dense Eigen solve",
          "[analytics][ext]") {
  for (int n : {12, 24, 120}) {
    for (double shares : {500.0, -500.0}) {
      ExtParams p = Perp(n);
      p.shares = shares;
      p.eta = 2;  // enough impact (and a small enough maker/taker gap) to stay one-sided
      p.maker_fee_rate = 4.5e-4;
      p.lambda = 1e-5;
      const auto s = ExtOptimalSchedule(p);
      REQUIRE(s.ok());
      INFO("N " << n << " X " << shares);
      REQUIRE(s->method == ExtMethod::kTridiagonal);
      const std::vector<double> dense = DenseUnconstrained(p);
      CHECK(MaxAbsDiff(s->holdings, dense) <= 1e-8 * std::fabs(shares));
      CHECK(s->kkt_residual <= 1e-10);
      CHECK(TradeSpaceKkt(p, s->holdings) <= 1e-9);
      for (double t : s->trades) CHECK(t * shares >= 0);
    }
  }
}

TEST_CASE("AC perpetual: moving any interior holding raises the objective", "[analytics][ext]") {
  const ExtParams p = Perp();
  const auto s = ExtOptimalSchedule(p);
  REQUIRE(s.ok());
  for (std::size_t k = 1; k + 1 < s->holdings.size(); ++k) {
    for (double d : {-1e-3, 1e-3}) {
      std::vector<double> moved = s->holdings;
      moved[k] += d;
      const auto c = EvaluateExtSchedule(p, moved);
      REQUIRE(c.ok());
      CHECK(c->objective > s->cost.objective);
    }
  }
}

TEST_CASE("AC perpetual: funding so large the optimum would overshoot gives a sell-only QP",
          "[analytics][ext]") {
  ExtParams p = Perp(10);
  p.funding.assign(10, 0.0);
  p.funding[2] = 400;  // a long pays at t_3 and t_7: the optimizer wants to be short there
  p.funding[6] = 400;
  // The unconstrained (two-sided) optimum goes short:
  const std::vector<double> unconstrained = DenseUnconstrained(p);
  CHECK(*std::min_element(unconstrained.begin(), unconstrained.end()) < 0);
  for (double shares : {500.0, -500.0}) {
    ExtParams q = p;
    q.shares = shares;
    if (shares < 0) {
      for (double& f : q.funding) f = -f;  // a short pays negative funding
    }
    const auto s = ExtOptimalSchedule(q);
    REQUIRE(s.ok());
    INFO("X " << shares);
    CHECK(s->method == ExtMethod::kActiveSet);
    CHECK(s->converged);
    CHECK(s->active_constraints > 0);
    CHECK(s->kkt_residual <= 1e-10);
    for (double t : s->trades) CHECK(t * shares >= 0);
    for (double x : s->holdings) CHECK(x * shares >= 0);
    CHECK(TradeSpaceKkt(q, s->holdings) <= 1e-9);
    const std::vector<double> brute = BruteForceQp(q);
    REQUIRE(brute.size() == s->holdings.size());
    CHECK(MaxAbsDiff(s->holdings, brute) <= 1e-8 * std::fabs(shares));
    const auto cb = EvaluateExtSchedule(q, brute);
    REQUIRE(cb.ok());
    CHECK(s->cost.objective == Approx(cb->objective).epsilon(1e-8));
  }
}

TEST_CASE("AC perpetual: a large QP (maker rebates every other interval) converges",
          "[analytics][ext]") {
  const ExtParams p = Perp(1000);
  const auto s = ExtOptimalSchedule(p);
  REQUIRE(s.ok());
  INFO("iterations " << s->iterations << " active " << s->active_constraints);
  CHECK(s->method == ExtMethod::kActiveSet);
  CHECK(s->converged);
  CHECK(s->kkt_residual <= 1e-10);
  CHECK(TradeSpaceKkt(p, s->holdings) <= 1e-9);
  for (double t : s->trades) CHECK(t >= 0);
  WARN("N = 1000 QP: " << s->iterations << " iterations, " << s->active_constraints
                        << " active");
}

TEST_CASE("AC perpetual: buying is the mirror image of selling", "[analytics][ext]") {
  for (double delta : {1.0, 0.5, 1.5}) {
    ExtParams sell = Perp(24);
    sell.delta = delta;
    if (delta != 1) sell.gamma = 0;
    ExtParams buy = sell;
    buy.shares = -sell.shares;
    for (double& v : buy.drift) v = -v;
    for (double& v : buy.funding) v = -v;
    const auto a = ExtOptimalSchedule(sell);
    const auto b = ExtOptimalSchedule(buy);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    INFO("delta " << delta);
    for (std::size_t k = 0; k < a->holdings.size(); ++k) CHECK(b->holdings[k] == -a->holdings[k]);
    CHECK(b->cost.objective == a->cost.objective);
    CHECK(b->method == a->method);
  }
}

TEST_CASE("AC perpetual: lambda -> 0 and large-lambda limits", "[analytics][ext]") {
  ExtParams p = Perp(24);
  p.drift.clear();
  p.funding.clear();
  p.spread = {0.5};
  p.order_types.clear();
  p.latency = 0;
  p.sigma = {60};
  p.lambda = 0;
  const auto zero = ExtOptimalSchedule(p);
  REQUIRE(zero.ok());
  for (int k = 0; k <= p.intervals; ++k) {
    CHECK(zero->holdings[static_cast<std::size_t>(k)] ==
          Approx(p.shares * (1 - static_cast<double>(k) / p.intervals)).margin(1e-9 * p.shares));
  }
  p.lambda = 1e-300;
  const auto tiny = ExtOptimalSchedule(p);
  REQUIRE(tiny.ok());
  CHECK(MaxAbsDiff(tiny->holdings, zero->holdings) <= 1e-12 * p.shares);
  // Time-varying sigma: lambda -> 0 still tends to the pure-impact optimum.
  ExtParams v = Perp(24);
  v.lambda = 0;
  const auto v0 = ExtOptimalSchedule(v);
  v.lambda = 1e-300;
  const auto v1 = ExtOptimalSchedule(v);
  REQUIRE(v0.ok());
  REQUIRE(v1.ok());
  CHECK(MaxAbsDiff(v0->holdings, v1->holdings) <= 1e-12 * v.shares);
  // Huge risk aversion: everything in the first interval.
  p.lambda = 1e6;
  const auto big = ExtOptimalSchedule(p);
  REQUIRE(big.ok());
  CHECK(big->holdings[1] <= 1e-6 * p.shares);
  CHECK(big->holdings[1] >= 0);
  // Not representable: lambda sigma^2 tau overflows.
  p.lambda = std::numeric_limits<double>::max();
  p.sigma = {1e200};
  const auto over = ExtOptimalSchedule(p);
  REQUIRE_FALSE(over.ok());
  CHECK(over.status().code() == absl::StatusCode::kOutOfRange);
}

TEST_CASE("AC perpetual: power-law solver at delta = 1 agrees with the closed form",
          "[analytics][ext]") {
  ExtSolverOptions newton;
  newton.solver = ExtSolverOptions::Solver::kNewton;
  for (const ExtParams& base : {Perp(24), Paper()}) {
    ExtParams p = base;
    const auto closed = ExtOptimalSchedule(p);
    const auto numeric = ExtOptimalSchedule(p, newton);
    REQUIRE(closed.ok());
    REQUIRE(numeric.ok());
    CHECK(numeric->method == ExtMethod::kNewton);
    CHECK(numeric->converged);
    CHECK(MaxAbsDiff(closed->holdings, numeric->holdings) <= 1e-9 * std::fabs(p.shares));
  }
  // Constrained case as well (the funding overshoot).
  ExtParams p = Perp(10);
  p.funding.assign(10, 0.0);
  p.funding[2] = 400;
  p.funding[6] = 400;
  const auto qp = ExtOptimalSchedule(p);
  const auto numeric = ExtOptimalSchedule(p, newton);
  REQUIRE(qp.ok());
  REQUIRE(numeric.ok());
  CHECK(MaxAbsDiff(qp->holdings, numeric->holdings) <= 1e-9 * p.shares);
}

TEST_CASE("AC perpetual: power-law impact converges with a small KKT residual",
          "[analytics][ext]") {
  for (double delta : {0.5, 0.8, 1.5, 2.0}) {
    for (bool overshoot : {false, true}) {
      for (int n : {10, 100}) {
        ExtParams p = Perp(n);
        p.delta = delta;
        p.gamma = 0;
        p.eta = 0.05;
        if (overshoot) {
          for (int k = 0; k < n; ++k) {
            p.funding[static_cast<std::size_t>(k)] = (k % (n / 3) == 2) ? 400.0 : 0.0;
          }
        }
        const auto s = ExtOptimalSchedule(p);
        REQUIRE(s.ok());
        INFO("delta " << delta << " overshoot " << overshoot << " N " << n << " iterations "
                      << s->iterations << " residual " << s->kkt_residual);
        CHECK(s->method == ExtMethod::kNewton);
        CHECK(s->converged);
        CHECK(s->kkt_residual <= 1e-10);
        if (overshoot) CHECK(s->active_constraints > 0);
        for (double t : s->trades) CHECK(t >= 0);
        CHECK(TradeSpaceKkt(p, s->holdings) <= 1e-8);
        // Shifting a little volume between any two intervals does not help.
        for (int i = 1; i <= n; i += std::max(1, n / 10)) {
          for (int j = 1; j <= n; j += std::max(1, n / 7)) {
            const std::size_t a = static_cast<std::size_t>(i) - 1;
            const std::size_t b = static_cast<std::size_t>(j) - 1;
            if (i == j || s->trades[a] <= 0) continue;
            const double shift = std::min(s->trades[a], 1e-3 * p.shares);
            std::vector<double> t = s->trades;
            t[a] -= shift;
            t[b] += shift;
            std::vector<double> x{p.shares};
            for (std::size_t k = 0; k + 1 < t.size(); ++k) x.push_back(x.back() - t[k]);
            x.push_back(0);
            const auto c = EvaluateExtSchedule(p, x);
            REQUIRE(c.ok());
            CHECK(c->objective >= s->cost.objective - 1e-12 * std::fabs(s->cost.objective));
          }
        }
      }
    }
  }
}

TEST_CASE("AC perpetual: results are bit-identical across runs", "[analytics][ext]") {
  ExtParams p = Perp(100);
  p.delta = 0.8;
  p.gamma = 0;
  const auto a = ExtOptimalSchedule(p);
  const auto b = ExtOptimalSchedule(p);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->holdings == b->holdings);
  CHECK(a->iterations == b->iterations);
}

TEST_CASE("AC perpetual: cost terms follow the model", "[analytics][ext]") {
  ExtParams p = Perp(4);
  const std::vector<double> x{500, 300, 200, 100, 0};
  const auto c = EvaluateExtSchedule(p, x);
  REQUIRE(c.ok());
  double fees = 0, spread = 0, latency = 0, funding = 0;
  for (int k = 1; k <= 4; ++k) {
    const double n = x[static_cast<std::size_t>(k) - 1] - x[static_cast<std::size_t>(k)];
    const bool maker = p.order_types[static_cast<std::size_t>(k) - 1] == ExtOrderType::kMaker;
    fees += (maker ? p.maker_fee_rate : p.taker_fee_rate) * p.reference_price * n;
    spread += Entry(p.spread, k) * n;
    latency += p.latency_coefficient * Entry(p.sigma, k) * std::sqrt(p.latency) * n;
    funding += Entry(p.funding, k) * x[static_cast<std::size_t>(k)];
  }
  CHECK(c->fees == Approx(fees).epsilon(1e-14));
  CHECK(c->spread == Approx(spread).epsilon(1e-14));
  CHECK(c->latency == Approx(latency).epsilon(1e-14));
  CHECK(c->funding == Approx(funding).margin(1e-12));
  CHECK(c->permanent_impact == Approx(0.5 * p.gamma * (500.0 * 500 - (4e4 + 1e4 * 3)))
                                   .epsilon(1e-14));
}

TEST_CASE("AC perpetual: bad input is refused with the parameter named", "[analytics][ext]") {
  static constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  static constexpr double inf = std::numeric_limits<double>::infinity();
  struct Case {
    const char* parameter;
    void (*spoil)(ExtParams&);
  };
  const Case cases[] = {
      {"intervals", [](ExtParams& p) { p.intervals = 0; }},
      {"horizon", [](ExtParams& p) { p.horizon = 0; }},
      {"horizon", [](ExtParams& p) { p.horizon = -1; }},
      {"sigma", [](ExtParams& p) { p.sigma[3] = -0.1; }},
      {"eta", [](ExtParams& p) { p.eta = -1e-6; }},
      {"eta", [](ExtParams& p) { p.eta = 0.5 * p.gamma * p.horizon / p.intervals; }},
      {"eta", [](ExtParams& p) {
         p.delta = 0.5;
         p.gamma = 0;
         p.eta = 0;
       }},
      {"gamma", [](ExtParams& p) { p.delta = 1.5; }},
      {"gamma", [](ExtParams& p) { p.gamma = -1; }},
      {"delta", [](ExtParams& p) { p.delta = 0; }},
      {"delta", [](ExtParams& p) { p.delta = 2.5; }},
      {"delta", [](ExtParams& p) { p.delta = nan; }},
      {"lambda", [](ExtParams& p) { p.lambda = -1e-6; }},
      {"spread", [](ExtParams& p) { p.spread[0] = -0.01; }},
      {"latency", [](ExtParams& p) { p.latency = -1; }},
      {"latency_coefficient", [](ExtParams& p) { p.latency_coefficient = -1; }},
      {"reference_price", [](ExtParams& p) { p.reference_price = -1; }},
      {"shares", [](ExtParams& p) { p.shares = nan; }},
      {"funding", [](ExtParams& p) { p.funding[1] = inf; }},
      {"drift", [](ExtParams& p) { p.drift[1] = nan; }},
      {"taker_fee_rate", [](ExtParams& p) { p.taker_fee_rate = inf; }},
      {"sigma", [](ExtParams& p) { p.sigma.resize(3); }},
      {"order_types", [](ExtParams& p) { p.order_types.resize(2); }},
  };
  for (const Case& c : cases) {
    ExtParams p = Perp();
    c.spoil(p);
    const auto s = ExtOptimalSchedule(p);
    INFO(c.parameter);
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(s.status().message()).find(c.parameter) != std::string::npos);
  }
  ExtSolverOptions o;
  o.tolerance = 0;
  CHECK(ExtOptimalSchedule(Perp(), o).status().code() == absl::StatusCode::kInvalidArgument);
  const std::vector<double> wrong_end{500, 0, 0, 1};
  ExtParams p = Perp(3);
  const auto c = EvaluateExtSchedule(p, wrong_end);
  REQUIRE_FALSE(c.ok());
  CHECK(std::string(c.status().message()).find("holdings") != std::string::npos);
}

}  // namespace
}  // namespace perpcore::analytics
