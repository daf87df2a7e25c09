// -----------------------------------------------------------------------------
// File: perpcore/analytics/execution.hpp
// -----------------------------------------------------------------------------
//
// Optimal execution in the discrete model of Almgren & Chriss (2000),
// "Optimal Execution of Portfolio Transactions": liquidate (or buy) X units
// over a horizon T in N equal intervals of length tau = T/N.
//
// Model (all in the caller's units: shares or lots, currency, days or
// seconds, used consistently):
//   holdings x_0 = X, ..., x_N = 0; trade in interval k: n_k = x_{k-1} - x_k;
//   permanent impact g(v) = gamma * v, temporary h(v) = eps * sgn(n) + (eta / tau) * n;
//   eta_tilde = eta - gamma * tau / 2 must be > 0;
//   E = gamma X^2 / 2 + eps * sum |n_k| + (eta_tilde / tau) * sum n_k^2
//       - alpha * tau * sum_{k=1..N} x_k          (alpha: drift, price per time)
//   V = sigma^2 * tau * sum_{k=1..N} x_k^2        (sigma: price volatility per sqrt time)
//   objective U = E + lambda * V.
// E and V are always summed along the trajectory, never taken from a closed
// form, so every schedule (optimal, naive, immediate, the caller's) is scored
// the same way.
//
// The optimum (Almgren & Chriss, eq. for x_j) is
//   x_j = X * sinh(kappa (T - t_j)) / sinh(kappa T) + drift term,
// with kappa from the exact discrete relation
//   (2 / tau^2) (cosh(kappa tau) - 1) = lambda sigma^2 / eta_tilde,
// computed as kappa tau = 2 asinh(tau sqrt(lambda sigma^2 / eta_tilde) / 2), which
// keeps full relative accuracy as lambda -> 0 (where acosh(1 + y) would lose it).
// The hyperbolic ratios are evaluated as exp(-kappa t) * expm1(...)/expm1(...)
// (two recurrences on the grid, no transcendental call per point), so kappa T
// in the thousands neither overflows nor loses the ratio. With
// lambda = 0 the optimum is the straight line (kappa = 0). The drift term is
// x_bar * (1 - (sinh(kappa (T - t_j)) + sinh(kappa t_j)) / sinh(kappa T)),
// x_bar = alpha / (2 lambda sigma^2) (it needs lambda sigma^2 > 0).
//
// Doubles only: this is the analytics layer, which never writes engine state.
// Deterministic: the same inputs give bit-identical outputs on one platform.
// Errors: kInvalidArgument naming the parameter (N = 0, T <= 0, negative or
// non-finite sigma/eta/gamma/eps/lambda, eta_tilde <= 0, a drift with
// lambda sigma^2 = 0, a holdings path that does not start at X and end at 0);
// kOutOfRange when a result is not representable (overflow to inf or NaN).
// Complexity: O(N) per schedule, O(N * points) for a frontier.
// Thread safety: pure functions.
#ifndef PERPCORE_ANALYTICS_EXECUTION_HPP_
#define PERPCORE_ANALYTICS_EXECUTION_HPP_

#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "perpcore/detail/config.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace analytics {

// AcParams
//
// One execution problem. `shares` > 0 sells, < 0 buys (holdings go to 0).
struct AcParams {
  double shares = 0;     // X
  double horizon = 0;    // T, > 0
  int intervals = 0;     // N, >= 1
  double sigma = 0;      // volatility, price per sqrt(time unit), >= 0
  double eta = 0;        // temporary impact, price per (units per time unit)
  double gamma = 0;      // permanent impact, price per unit, >= 0
  double epsilon = 0;    // fixed cost per unit traded (half spread + fees), >= 0
  double lambda = 0;     // risk aversion, per currency unit, >= 0
  double alpha = 0;      // drift, price per time unit
};

// AcCost: a schedule's expected cost, variance and objective.
struct AcCost {
  double expected_cost = 0;  // E
  double variance = 0;       // V
  double objective = 0;      // E + lambda V
};

// AcSchedule
//
// holdings has N + 1 entries (x_0 = X ... x_N = 0), trades N (n_k, + sells).
struct AcSchedule {
  std::vector<double> holdings;
  std::vector<double> trades;
  double kappa = 0;      // urgency, per time unit: 0 for the straight line,
                         // +inf for the immediate strategy
  double half_life = 0;  // 1 / kappa, time units
  AcCost cost;
};

// FrontierPoint: the optimum for one lambda.
struct FrontierPoint {
  double lambda = 0;
  double kappa = 0;
  AcCost cost;
};

// EvaluateSchedule()
//
// E, V and E + lambda V of any holdings path (N + 1 values from X to 0).
absl::StatusOr<AcCost> EvaluateSchedule(const AcParams& p, std::span<const double> holdings);

// OptimalSchedule()
//
// The mean-variance optimal trajectory for p.lambda (the closed form above).
absl::StatusOr<AcSchedule> OptimalSchedule(const AcParams& p);

// NaiveSchedule() / ImmediateSchedule()
//
// The straight line x_k = X (1 - k/N), and everything in the first interval.
absl::StatusOr<AcSchedule> NaiveSchedule(const AcParams& p);
absl::StatusOr<AcSchedule> ImmediateSchedule(const AcParams& p);

// EfficientFrontier()
//
// The optimum for each lambda in `lambdas` (each >= 0), in the given order;
// p.lambda is ignored.
absl::StatusOr<std::vector<FrontierPoint>> EfficientFrontier(const AcParams& p,
                                                            std::span<const double> lambdas);

}  // namespace analytics
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_ANALYTICS_EXECUTION_HPP_
