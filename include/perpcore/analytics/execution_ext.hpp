// -----------------------------------------------------------------------------
// File: perpcore/analytics/execution_ext.hpp
// -----------------------------------------------------------------------------
//
// Almgren-Chriss optimal execution adapted to perpetual swaps: the discrete
// model of execution.hpp plus order-type fees, a time-varying spread, funding
// payments, a time-varying drift and volatility, a latency penalty, and a
// power-law temporary impact (Gatheral & Schied).
//
// Model (caller's units, used consistently; tau = T / N; interval k runs from
// t_{k-1} to t_k; n_k = x_{k-1} - x_k; x_0 = X, x_N = 0; s = sgn(X)):
//   permanent impact  gamma * sum_k x_k n_k   (= gamma X^2/2 - gamma/2 sum n_k^2)
//   temporary impact  sum_k tau * eta * |n_k / tau|^(1 + delta)
//                     (h(v) = eta |v|^delta sgn v; delta = 1 is eta n^2 / tau)
//   spread            sum_k spread_k |n_k|
//   fees              sum_k fee_rate(order_type_k) * reference_price * |n_k|
//   latency           sum_k latency_coefficient * sigma_k * sqrt(latency) * |n_k|
//   funding           sum_k funding_k * x_k       (x_k is the position held at
//                     t_k; positive funding: a long pays, a short receives)
//   drift             - sum_k drift_k * tau * x_k
//   V = sum_k tau * sigma_k^2 * x_k^2,   objective U = E + lambda * V.
// Entry k-1 of a per-interval vector belongs to interval k. Since x_N = 0, the
// last entries of sigma (in V), drift and funding do not matter.
//
// Latency penalty: an order is priced from a book observed `latency` time
// units earlier. Over that delay the price moves by sigma_k sqrt(latency) Z,
// Z ~ N(0, 1). A marketable limit order at the observed price pays the move
// when it goes against it (the trader re-prices and chases) and does not gain
// when it goes its way (it fills at its limit), so the expected extra cost per
// unit is sigma_k sqrt(latency) E[max(Z, 0)] = sigma_k sqrt(latency) /
// sqrt(2 pi): the default latency_coefficient. The sqrt(latency) scaling
// follows Moallemi & Saglam (2013), "The Cost of Latency in High-Frequency
// Trading", Operations Research 61(5), whose closed form is proportional to
// sigma sqrt(latency) for small latency. The coefficient is a parameter.
//
// One-sided schedules. A sale (X > 0) only sells (n_k >= 0, so X >= x_k >= 0
// and x is non-increasing), a purchase only buys. On that set every |n_k| is
// s n_k, the objective is smooth, and:
//  * delta = 1: the first-order conditions in x_1..x_{N-1} are a symmetric
//    positive definite tridiagonal system (eta_tilde = eta - gamma tau/2 > 0).
//    With constant sigma and drift, a constant per-unit cost (spread + fee +
//    latency) and no funding this is exactly OptimalSchedule() (the
//    hyperbolic closed form, used as is: kClosedForm). Otherwise the system is
//    solved by the Thomas algorithm (kTridiagonal). Either way, if the
//    solution is one-sided it is optimal, and when every per-unit cost is
//    >= 0 it is also optimal over all paths (by convexity: +1 is a
//    subgradient of |n| at any n >= 0). If it is not one-sided (a funding or
//    drift so large that the optimizer wants to overshoot through zero or
//    buy back), the constrained QP is solved exactly by a primal active-set
//    method whose equality subproblems stay tridiagonal: an active
//    constraint n_k = 0 merges x_{k-1} and x_k into one unknown (kActiveSet).
//  * delta != 1: the same active-set loop with damped Newton steps on each
//    face (kNewton): Armijo backtracking, a step that reaches n_k = 0 adds
//    the constraint, a negative multiplier releases it once the face is
//    solved. Safeguard: the Hessian curvature of n^(1+delta) is evaluated at
//    max(n_k, 1e-12 |X| / N), so it stays finite (delta < 1) and positive
//    (delta > 1); the gradient, the line search and the KKT residual use the
//    exact objective. gamma must be 0 when delta != 1, because
//    -gamma/2 n^2 + eta tau^-delta |n|^(1+delta) is then not convex.
//
// KKT residual (reported for every method): with g = dU/dx_m (exact), the
// multipliers mu_k >= 0 of the active constraints n_k >= 0 follow from
// stationarity by prefix sums inside each merged block, and
//   r = max(max over free blocks |sum of g over the block|,
//           max over active k max(0, -mu_k)) / scale,
// where scale = max_m of the sum of the absolute values of the terms that
// make up g_m. Primal feasibility and complementarity hold exactly by
// construction (inactive n_k > 0, active n_k == 0 with mu_k = 0 elsewhere).
// Convergence: r <= tolerance (default 1e-10).
//
// Doubles only; never writes engine state. Deterministic: the same inputs
// give bit-identical outputs on one platform (no randomness, no threads).
// Errors: kInvalidArgument naming the parameter (intervals < 1, horizon <= 0,
// non-finite values anywhere, negative sigma/eta/gamma/lambda/spread/
// latency/latency_coefficient/reference_price, delta outside (0, 2],
// eta_tilde <= 0 at delta = 1, eta = 0 or gamma != 0 at delta != 1, a vector
// whose size is not 0, 1 or N, an unknown order type, a path not from X to
// 0); kOutOfRange when a coefficient or a result is not representable
// (lambda sigma^2 tau or eta tau^-delta overflowing, a schedule with inf/NaN).
// A numeric solve that does not reach the tolerance is not an error: it
// returns converged = false with its residual.
// Complexity: kClosedForm and kTridiagonal O(N); each active-set or Newton
// iteration O(N); at most max_iterations iterations (default 10 N + 100; the
// primal active-set method adds or releases one constraint per iteration).
// Before it, at most 50 O(N) primal-dual active-set rounds (Hintermueller,
// Ito & Kunisch 2002) on the quadratic problem (or its delta = 1 proxy)
// propose the working set, which usually leaves the primal method one or two
// iterations: a time-varying cost that empties 900 of 1,000 intervals solves
// in about 0.2 ms instead of 11 ms. The proposal changes only the work, never
// the answer: the primal method starts from a feasible point on that face.
// Thread safety: pure functions.
#ifndef PERPCORE_ANALYTICS_EXECUTION_EXT_HPP_
#define PERPCORE_ANALYTICS_EXECUTION_EXT_HPP_

#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "perpcore/detail/config.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace analytics {

enum class ExtOrderType : int { kTaker = 0, kMaker = 1 };

// ExtParams
//
// One execution problem. `shares` > 0 sells a long, < 0 buys back a short.
// Per-interval vectors hold 0 entries (all zero; all taker), 1 entry (the same
// for every interval) or N entries.
struct ExtParams {
  double shares = 0;   // X
  double horizon = 0;  // T, > 0
  int intervals = 0;   // N, >= 1
  double eta = 0;      // temporary impact coefficient c in h(v) = c |v|^delta sgn v
  double delta = 1;    // impact exponent, in (0, 2]
  double gamma = 0;    // permanent impact, price per unit, >= 0 (0 unless delta = 1)
  double lambda = 0;   // risk aversion, per currency unit, >= 0
  double reference_price = 0;  // price per unit used to turn fee rates into costs
  double taker_fee_rate = 0;   // fraction of notional (may be < 0: a rebate)
  double maker_fee_rate = 0;
  double latency = 0;                                  // delay, time units, >= 0
  double latency_coefficient = 0.39894228040143267794;  // 1 / sqrt(2 pi)
  std::vector<double> sigma;    // volatility, price per sqrt(time unit), >= 0
  std::vector<double> drift;    // mu_k, price per time unit
  std::vector<double> spread;   // half spread, price per unit traded, >= 0
  std::vector<double> funding;  // funding paid per unit of position held at t_k
                                // (funding rate x mark price; 0 off funding times)
  std::vector<ExtOrderType> order_types;
};

enum class ExtMethod : int { kClosedForm = 0, kTridiagonal = 1, kActiveSet = 2, kNewton = 3 };

// ExtSolverOptions
//
// kAuto uses the closed form / tridiagonal / active-set path at delta = 1 and
// Newton otherwise; kNewton forces the numeric solver (for cross-checks).
struct ExtSolverOptions {
  enum class Solver : int { kAuto = 0, kNewton = 1 };
  Solver solver = Solver::kAuto;
  double tolerance = 1e-10;  // on the relative KKT residual, in (0, 1)
  int max_iterations = 0;    // Newton / active-set iterations; 0: 10 N + 100
};

// ExtCost: the terms of E, then E, V and E + lambda V.
struct ExtCost {
  double permanent_impact = 0;
  double temporary_impact = 0;
  double spread = 0;
  double fees = 0;
  double latency = 0;
  double funding = 0;
  double drift = 0;
  double expected_cost = 0;  // E, the sum of the terms above
  double variance = 0;       // V
  double objective = 0;      // E + lambda V
};

// ExtSchedule
//
// holdings has N + 1 entries (X ... 0), trades N (n_k; + sells).
struct ExtSchedule {
  std::vector<double> holdings;
  std::vector<double> trades;
  ExtCost cost;
  ExtMethod method = ExtMethod::kClosedForm;
  int active_constraints = 0;  // intervals with n_k held at 0 by the constraint
  int iterations = 0;          // active-set / Newton iterations (0: direct)
  double kkt_residual = 0;     // relative, see the file comment
  bool converged = true;       // kkt_residual <= tolerance
};

// EvaluateExtSchedule()
//
// The cost terms of any holdings path (N + 1 values from X to 0; it need not
// be one-sided: every |n_k| is taken as is).
absl::StatusOr<ExtCost> EvaluateExtSchedule(const ExtParams& p,
                                            std::span<const double> holdings);

// ExtOptimalSchedule()
//
// The optimal one-sided schedule (see the file comment for the method).
absl::StatusOr<ExtSchedule> ExtOptimalSchedule(const ExtParams& p,
                                               const ExtSolverOptions& options = {});

}  // namespace analytics
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_ANALYTICS_EXECUTION_EXT_HPP_
