// -----------------------------------------------------------------------------
// File: perpcore/analytics/execution_dp.hpp
// -----------------------------------------------------------------------------
//
// Almgren-Chriss execution as a Markov decision process, solved by backward
// dynamic programming over (time step k, remaining inventory on a grid,
// market regime). Returns a policy table, the value function and the expected
// schedule from X.
//
// Model (the units of perpcore/analytics/execution.hpp). The inventory grid
// is x_i = X * i / (M - 1), i = 0..M-1 (M = grid_points), so it always holds
// X and 0; the control is the next inventory on the same grid. A regime
// r in 0..R-1 (a volatility, spread or liquidity state) is observed at the
// start of each interval and switches between intervals by the row-stochastic
// transition matrix P. In interval k (k = 1..N) in regime r, moving from
// x_{k-1} to x_k (trade n = x_{k-1} - x_k) costs
//   c_r(n) + f_r(x_k),  c_r(n) = eps_r |n| + (eta_tilde_r / tau) n^2,
//                       f_r(x) = lambda sigma_r^2 tau x^2 - alpha tau x,
// with eta_tilde_r = eta_r - gamma tau / 2, and the permanent-impact constant
// gamma X^2 / 2 is added once. The Bellman recursion is
//   V_N(x, r) = 0 at x = 0 (x_N = 0 is forced),
//   V_{k-1}(x, r) = min_{x'} c_r(x - x') + f_r(x') + sum_r' P[r][r'] V_k(x', r').
//
// Time consistency. Mean-variance of terminal wealth is not time-consistent,
// so the DP does not optimise it; it optimises the expected sum of per-period
// costs plus lambda times the per-period conditional variances
// sigma_r^2 tau x_k^2 (the variance of the interval's price innovation times
// the inventory carried through it). With one regime this is exactly the
// static Almgren-Chriss objective E + lambda V, which is additive over
// intervals given the trades, so the DP reproduces OptimalSchedule() up to
// grid error. With several regimes the policy depends on the regime: it is
// adaptive. The price innovation itself is integrated in closed form (its
// mean is 0 and its variance sigma_r^2 tau), which is what a Gauss-Hermite
// rule with >= 2 nodes would give for this cost; the price level is not a
// state variable here (see "Not modelled" below).
//
// Search. The cost matrix A[i][j] = c_r(x_i - x_j) + G(j) is a Monge array
// for any continuation G because c_r is convex, so the leftmost minimising j
// is non-decreasing in i (monotone policy). kMonotone uses divide and conquer
// over i with the argmin window bounded by the neighbours' argmins:
// O(M log M) per (step, regime) instead of O(M^2). kExhaustive scans every j
// (the reference for tests). The two agree up to floating-point ties.
//
// Not modelled: a price-level state (costs proportional to price), constraints
// on trade direction (the grid spans [min(0, X), max(0, X)]; a drift that
// would push the static optimum outside that range gives the constrained
// optimum instead).
//
// Errors: kInvalidArgument naming the parameter (everything AcParams refuses
// in execution.hpp, plus grid_points < 2, a regime with negative or
// non-finite sigma/eta/epsilon or eta_tilde <= 0, a transition matrix that is
// not R x R, has a negative or non-finite entry or a row not summing to 1
// within 1e-9, initial_regime out of range, N * R * M above kMaxDpStates);
// kOutOfRange if a value is not representable as a double.
// Complexity: O(N R (R M + M log M)) time with kMonotone, O(N R M) memory.
// Measured (one core, -O2, N = 100, M = 1000): 2.5 ms with one regime, 4.3 ms
// with two; kExhaustive takes 74 ms / 148 ms.
// Determinism: no randomness, no threads; bit-identical on one platform.
// Thread safety: pure functions.
//
// Example:
//   DpParams d;
//   d.ac = p;  d.grid_points = 1001;
//   PERPCORE_ASSIGN_OR_RETURN(DpResult r, SolveExecutionDp(d));
//   double first_trade = r.policy.Trade(0, 0, d.grid_points - 1);
#ifndef PERPCORE_ANALYTICS_EXECUTION_DP_HPP_
#define PERPCORE_ANALYTICS_EXECUTION_DP_HPP_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "perpcore/analytics/execution.hpp"
#include "perpcore/detail/config.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace analytics {

// kMaxDpStates: the largest N * R * M accepted (bounds the tables' memory).
inline constexpr std::int64_t kMaxDpStates = std::int64_t{1} << 25;

// DpRegime: one market regime's volatility and costs (AcParams units).
struct DpRegime {
  double sigma = 0;    // >= 0
  double eta = 0;      // eta - gamma tau / 2 > 0
  double epsilon = 0;  // >= 0
};

// DpSearch: how the minimum over the next inventory is found.
enum class DpSearch : std::uint8_t {
  kMonotone = 0,    // divide and conquer on the monotone policy, O(M log M)
  kExhaustive = 1,  // every grid point, O(M^2)
};

// DpParams
//
// `ac` gives X, T, N, gamma, lambda, alpha. With `regimes` empty there is one
// regime (ac.sigma, ac.eta, ac.epsilon) and `transition` must be empty too;
// otherwise ac.sigma/eta/epsilon are ignored and `transition` is the R x R
// row-major matrix P[r][r'] = Pr(next regime r' | regime r).
struct DpParams {
  AcParams ac;
  int grid_points = 0;  // M >= 2
  std::vector<DpRegime> regimes;
  std::vector<double> transition;
  int initial_regime = 0;
  DpSearch search = DpSearch::kMonotone;
};

// DpPolicy
//
// The policy table: for step k (0-based: the trade of interval k + 1),
// regime r and current inventory grid[i], the next inventory is
// grid[NextIndex(k, r, i)]. value holds V_k(grid[i], r) for k = 0..N
// (V_N is +inf off x = 0), including the gamma X^2 / 2 constant.
struct DpPolicy {
  int steps = 0;    // N
  int regimes = 0;  // R
  int grid_points = 0;
  std::vector<double> grid;
  std::vector<std::int32_t> next_index;  // [k][r][i], N * R * M entries
  std::vector<double> value;             // [k][r][i], (N + 1) * R * M entries

  std::size_t Index(int k, int r, int i) const {
    return (static_cast<std::size_t>(k) * static_cast<std::size_t>(regimes) +
            static_cast<std::size_t>(r)) * static_cast<std::size_t>(grid_points) +
           static_cast<std::size_t>(i);
  }
  int NextIndex(int k, int r, int i) const { return next_index[Index(k, r, i)]; }
  // Trade(): units sold (+) in step k from grid[i] in regime r.
  double Trade(int k, int r, int i) const {
    return grid[static_cast<std::size_t>(i)] -
           grid[static_cast<std::size_t>(NextIndex(k, r, i))];
  }
  double Value(int k, int r, int i) const { return value[Index(k, r, i)]; }
};

// DpResult
//
// expected_holdings: E[x_k], k = 0..N, from X in initial_regime with regimes
// drawn from P (one path when R = 1); expected_trades: their differences;
// objective: V_0(X, initial_regime).
struct DpResult {
  DpPolicy policy;
  std::vector<double> expected_holdings;
  std::vector<double> expected_trades;
  double objective = 0;
};

// SolveExecutionDp()
//
// Errors: see the file comment.
absl::StatusOr<DpResult> SolveExecutionDp(const DpParams& params);

// FollowPolicy()
//
// The holdings (N + 1 values from X to 0) when the regime of step k is
// regime_path[k]. Errors: kInvalidArgument ("regime_path") if it does not
// have N entries or names a regime out of range.
absl::StatusOr<std::vector<double>> FollowPolicy(const DpPolicy& policy,
                                                 std::span<const int> regime_path);

}  // namespace analytics
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_ANALYTICS_EXECUTION_DP_HPP_
