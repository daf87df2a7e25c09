#include "perpcore/analytics/execution.hpp"

#include <cmath>
#include <cstddef>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "perpcore/detail/status_macros.hpp"
#include "schedule_support.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace analytics {
namespace {

absl::Status Bad(absl::string_view parameter, absl::string_view rule, double value) {
  return absl::InvalidArgumentError(
      absl::StrCat("Almgren-Chriss: ", parameter, " ", rule, " (got ", value, ")"));
}

absl::Status ValidateParams(const AcParams& p) {
  const struct {
    absl::string_view name;
    double value;
  } finite[] = {{"shares", p.shares}, {"horizon", p.horizon}, {"sigma", p.sigma},
                {"eta", p.eta},       {"gamma", p.gamma},     {"epsilon", p.epsilon},
                {"lambda", p.lambda}, {"alpha", p.alpha}};
  for (const auto& f : finite) {
    if (!std::isfinite(f.value)) return Bad(f.name, "must be finite", f.value);
  }
  if (p.intervals < 1) return Bad("intervals", "must be >= 1", p.intervals);
  if (p.horizon <= 0) return Bad("horizon", "must be > 0", p.horizon);
  if (p.sigma < 0) return Bad("sigma", "must be >= 0", p.sigma);
  if (p.eta < 0) return Bad("eta", "must be >= 0", p.eta);
  if (p.gamma < 0) return Bad("gamma", "must be >= 0", p.gamma);
  if (p.epsilon < 0) return Bad("epsilon", "must be >= 0", p.epsilon);
  if (p.lambda < 0) return Bad("lambda", "must be >= 0", p.lambda);
  const double tau = p.horizon / p.intervals;
  const double eta_tilde = p.eta - 0.5 * p.gamma * tau;
  if (!(eta_tilde > 0)) {
    return Bad("eta", "must exceed gamma * tau / 2 (eta_tilde = eta - gamma tau / 2 > 0)",
               p.eta);
  }
  return absl::OkStatus();
}

absl::StatusOr<AcCost> Evaluate(const AcParams& p, std::span<const double> x) {
  const double tau = p.horizon / p.intervals;
  const double eta_tilde = p.eta - 0.5 * p.gamma * tau;
  CompensatedSum abs_trades, sq_trades, holdings, sq_holdings;
  for (std::size_t k = 1; k < x.size(); ++k) {
    const double n = x[k - 1] - x[k];
    abs_trades.Add(std::fabs(n));
    sq_trades.Add(n * n);
    holdings.Add(x[k]);
    sq_holdings.Add(x[k] * x[k]);
  }
  AcCost c;
  c.expected_cost = 0.5 * p.gamma * p.shares * p.shares + p.epsilon * abs_trades.value() +
                    (eta_tilde / tau) * sq_trades.value() - p.alpha * tau * holdings.value();
  c.variance = p.sigma * p.sigma * tau * sq_holdings.value();
  c.objective = c.expected_cost + p.lambda * c.variance;
  if (!std::isfinite(c.expected_cost) || !std::isfinite(c.variance) ||
      !std::isfinite(c.objective)) {
    return absl::OutOfRangeError(
        "Almgren-Chriss: the cost of this schedule is not representable as a double");
  }
  return c;
}

absl::StatusOr<AcSchedule> Finish(const AcParams& p, std::vector<double> holdings,
                                  double kappa) {
  AcSchedule s;
  s.trades.resize(holdings.size() - 1);
  for (std::size_t k = 1; k < holdings.size(); ++k) {
    s.trades[k - 1] = holdings[k - 1] - holdings[k];
  }
  s.holdings = std::move(holdings);
  s.kappa = kappa;
  s.half_life = kappa == 0 ? std::numeric_limits<double>::infinity() : 1 / kappa;
  absl::StatusOr<AcCost> cost = Evaluate(p, s.holdings);
  if (!cost.ok()) return cost.status();
  s.cost = *cost;
  return s;
}

// kappa from the exact discrete relation, or an error when not representable.
absl::StatusOr<double> Kappa(const AcParams& p) {
  const double tau = p.horizon / p.intervals;
  const double eta_tilde = p.eta - 0.5 * p.gamma * tau;
  const double kappa_tilde = std::sqrt(p.lambda * p.sigma * p.sigma / eta_tilde);
  // cosh(kappa tau) = 1 + (kappa_tilde tau)^2 / 2  <=>  kappa tau = 2 asinh(kappa_tilde tau / 2).
  const double kappa = 2 * std::asinh(0.5 * kappa_tilde * tau) / tau;
  if (!std::isfinite(kappa)) {
    return absl::OutOfRangeError(absl::StrCat(
        "Almgren-Chriss: lambda ", p.lambda, " makes kappa not representable as a double"));
  }
  return kappa;
}

}  // namespace

absl::StatusOr<AcCost> EvaluateSchedule(const AcParams& p, std::span<const double> holdings) {
  if (absl::Status s = ValidateParams(p); !s.ok()) return s;
  PERPCORE_RETURN_IF_ERROR(CheckHoldingsPath("Almgren-Chriss", holdings, p.intervals, p.shares));
  return Evaluate(p, holdings);
}

absl::StatusOr<AcSchedule> OptimalSchedule(const AcParams& p) {
  if (absl::Status s = ValidateParams(p); !s.ok()) return s;
  const double risk = p.lambda * p.sigma * p.sigma;
  if (p.alpha != 0 && risk == 0) {
    return Bad("alpha", "needs lambda * sigma^2 > 0 (with no risk penalty a drift has no optimum)",
               p.alpha);
  }
  absl::StatusOr<double> kappa = Kappa(p);
  if (!kappa.ok()) return kappa.status();
  const int n = p.intervals;
  const double tau = p.horizon / n;
  const double x_bar = p.alpha == 0 ? 0 : p.alpha / (2 * risk);
  // sinh(kappa s) / sinh(kappa T) = exp(-kappa (T - s)) expm1(-2 kappa s) /
  // expm1(-2 kappa T): no overflow at kappa T in the thousands, no
  // cancellation as kappa -> 0. On the grid t_j = j tau both factors come
  // from two sequences, with no transcendental call in the loop:
  //   a_j = expm1(-2 kappa t_j), by expm1(u + v) = expm1(u) + expm1(v) + expm1(u) expm1(v)
  //         (no cancellation: the terms of a negative u, v never oppose);
  //   b_j = exp(-kappa t_j) = exp(-kappa tau)^j, underflowing gracefully.
  // sinh(kappa (T - t_j)) / sinh(kappa T) = b_j a_{N-j} / a_N and
  // sinh(kappa t_j) / sinh(kappa T) = b_{N-j} a_j / a_N; the relative error
  // grows like N ulps, far inside what the tests demand.
  std::vector<double> a(static_cast<std::size_t>(n) + 1), b(static_cast<std::size_t>(n) + 1);
  const double a1 = std::expm1(-2 * *kappa * tau);
  const double b1 = std::exp(-*kappa * tau);
  a[0] = 0;
  b[0] = 1;
  for (std::size_t j = 1; j < a.size(); ++j) {
    a[j] = a[j - 1] + a1 + a[j - 1] * a1;
    b[j] = b[j - 1] * b1;
  }
  const auto nn = static_cast<std::size_t>(n);
  std::vector<double> x;
  x.reserve(nn + 1);
  x.push_back(p.shares);
  for (std::size_t j = 1; j < nn; ++j) {
    const double to_go = *kappa == 0 ? static_cast<double>(nn - j) / static_cast<double>(nn)
                                     : b[j] * (a[nn - j] / a[nn]);
    const double done = *kappa == 0 ? static_cast<double>(j) / static_cast<double>(nn)
                                    : b[nn - j] * (a[j] / a[nn]);
    x.push_back(p.shares * to_go + x_bar * (1 - to_go - done));
  }
  x.push_back(0);
  return Finish(p, std::move(x), *kappa);
}

absl::StatusOr<AcSchedule> NaiveSchedule(const AcParams& p) {
  if (absl::Status s = ValidateParams(p); !s.ok()) return s;
  const int n = p.intervals;
  std::vector<double> x;
  x.reserve(static_cast<std::size_t>(n) + 1);
  for (int k = 0; k <= n; ++k) x.push_back(p.shares * (static_cast<double>(n - k) / n));
  return Finish(p, std::move(x), 0);
}

absl::StatusOr<AcSchedule> ImmediateSchedule(const AcParams& p) {
  if (absl::Status s = ValidateParams(p); !s.ok()) return s;
  std::vector<double> x{p.shares};
  x.resize(static_cast<std::size_t>(p.intervals) + 1, 0.0);
  return Finish(p, std::move(x), std::numeric_limits<double>::infinity());
}

absl::StatusOr<std::vector<FrontierPoint>> EfficientFrontier(const AcParams& p,
                                                            std::span<const double> lambdas) {
  std::vector<FrontierPoint> out;
  out.reserve(lambdas.size());
  AcParams q = p;
  for (double lambda : lambdas) {
    q.lambda = lambda;
    absl::StatusOr<AcSchedule> s = OptimalSchedule(q);
    if (!s.ok()) return s.status();
    out.push_back(FrontierPoint{lambda, s->kappa, s->cost});
  }
  return out;
}

}  // namespace analytics
PERPCORE_NAMESPACE_END
