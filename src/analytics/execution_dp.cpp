#include "perpcore/analytics/execution_dp.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

PERPCORE_NAMESPACE_BEGIN
namespace analytics {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

absl::Status Bad(absl::string_view parameter, absl::string_view rule, double value) {
  return absl::InvalidArgumentError(
      absl::StrCat("Almgren-Chriss DP: ", parameter, " ", rule, " (got ", value, ")"));
}

absl::Status ValidateAc(const AcParams& p, bool single_regime) {
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
  if (p.gamma < 0) return Bad("gamma", "must be >= 0", p.gamma);
  if (p.lambda < 0) return Bad("lambda", "must be >= 0", p.lambda);
  if (single_regime) {
    if (p.sigma < 0) return Bad("sigma", "must be >= 0", p.sigma);
    if (p.eta < 0) return Bad("eta", "must be >= 0", p.eta);
    if (p.epsilon < 0) return Bad("epsilon", "must be >= 0", p.epsilon);
  }
  return absl::OkStatus();
}

absl::Status ValidateRegimes(const DpParams& d, const std::vector<DpRegime>& regimes) {
  const double tau = d.ac.horizon / d.ac.intervals;
  for (std::size_t r = 0; r < regimes.size(); ++r) {
    const DpRegime& g = regimes[r];
    const std::string name = d.regimes.empty() ? "" : absl::StrCat("regimes[", r, "].");
    if (!std::isfinite(g.sigma) || g.sigma < 0) {
      return Bad(name + "sigma", "must be finite and >= 0", g.sigma);
    }
    if (!std::isfinite(g.epsilon) || g.epsilon < 0) {
      return Bad(name + "epsilon", "must be finite and >= 0", g.epsilon);
    }
    if (!std::isfinite(g.eta) || !(g.eta - 0.5 * d.ac.gamma * tau > 0)) {
      return Bad(name + "eta", "must be finite and exceed gamma * tau / 2", g.eta);
    }
  }
  const std::size_t n = regimes.size();
  if (d.regimes.empty()) {
    if (!d.transition.empty()) {
      return Bad("transition", "must be empty without regimes",
                 static_cast<double>(d.transition.size()));
    }
  } else {
    if (d.transition.size() != n * n) {
      return Bad("transition", absl::StrCat("must have R * R = ", n * n, " entries"),
                 static_cast<double>(d.transition.size()));
    }
    for (std::size_t r = 0; r < n; ++r) {
      double sum = 0;
      for (std::size_t s = 0; s < n; ++s) {
        const double v = d.transition[r * n + s];
        if (!std::isfinite(v) || v < 0) {
          return Bad("transition", absl::StrCat("entries must be finite and >= 0 (row ", r, ")"),
                     v);
        }
        sum += v;
      }
      if (std::fabs(sum - 1) > 1e-9) {
        return Bad("transition", absl::StrCat("rows must sum to 1 (row ", r, ")"), sum);
      }
    }
  }
  if (d.initial_regime < 0 || static_cast<std::size_t>(d.initial_regime) >= n) {
    return Bad("initial_regime", absl::StrCat("must be in [0, ", n, ")"), d.initial_regime);
  }
  return absl::OkStatus();
}

// One (step, regime) minimisation: out_value[i] = min_j c(grid[i] - grid[j]) + g[j],
// out_index[i] = the leftmost minimising j.
class StepSolver {
 public:
  StepSolver(const std::vector<double>& grid, const std::vector<double>& g, double eps,
             double quad)
      : grid_(grid), g_(g), eps_(eps), quad_(quad) {}

  double Cost(std::size_t i, std::size_t j) const {
    const double n = grid_[i] - grid_[j];
    return eps_ * std::fabs(n) + quad_ * n * n + g_[j];
  }

  // Leftmost argmin over j in [lo, hi].
  void Best(std::size_t i, std::size_t lo, std::size_t hi, std::size_t* best,
            double* best_v) const {
    *best = lo;
    *best_v = Cost(i, lo);
    for (std::size_t j = lo + 1; j <= hi; ++j) {
      const double v = Cost(i, j);
      if (v < *best_v) {
        *best_v = v;
        *best = j;
      }
    }
  }

  void Exhaustive(std::int32_t* out_index, double* out_value) const {
    const std::size_t m = grid_.size();
    for (std::size_t i = 0; i < m; ++i) {
      std::size_t j = 0;
      Best(i, 0, m - 1, &j, &out_value[i]);
      out_index[i] = static_cast<std::int32_t>(j);
    }
  }

  // Divide and conquer on the monotone argmin (Monge array): the row in the
  // middle of [i_begin, i_end) is solved over [j_lo, j_hi]; the rows above it
  // search only up to its argmin, the rows below only from it. Each level of
  // the recursion scans O(M) entries in total: O(M log M).
  void Monotone(std::int32_t* out_index, double* out_value) const {
    struct Task {
      std::size_t i_begin, i_end, j_lo, j_hi;
    };
    std::vector<Task> stack;
    stack.push_back({0, grid_.size(), 0, grid_.size() - 1});
    while (!stack.empty()) {
      const Task t = stack.back();
      stack.pop_back();
      if (t.i_begin >= t.i_end) continue;
      const std::size_t mid = t.i_begin + (t.i_end - t.i_begin) / 2;
      std::size_t j = 0;
      Best(mid, t.j_lo, t.j_hi, &j, &out_value[mid]);
      out_index[mid] = static_cast<std::int32_t>(j);
      stack.push_back({t.i_begin, mid, t.j_lo, j});
      stack.push_back({mid + 1, t.i_end, j, t.j_hi});
    }
  }

 private:
  const std::vector<double>& grid_;
  const std::vector<double>& g_;
  double eps_;
  double quad_;
};

}  // namespace

absl::StatusOr<DpResult> SolveExecutionDp(const DpParams& d) {
  const AcParams& p = d.ac;
  if (absl::Status s = ValidateAc(p, d.regimes.empty()); !s.ok()) return s;
  if (d.grid_points < 2) return Bad("grid_points", "must be >= 2", d.grid_points);
  const std::vector<DpRegime> regimes =
      d.regimes.empty() ? std::vector<DpRegime>{DpRegime{p.sigma, p.eta, p.epsilon}} : d.regimes;
  if (absl::Status s = ValidateRegimes(d, regimes); !s.ok()) return s;

  const std::size_t n_steps = static_cast<std::size_t>(p.intervals);
  const std::size_t n_reg = regimes.size();
  const std::size_t m = static_cast<std::size_t>(d.grid_points);
  if (static_cast<std::int64_t>(m) * static_cast<std::int64_t>(n_reg) *
          static_cast<std::int64_t>(n_steps + 1) > kMaxDpStates) {
    return Bad("grid_points",
               absl::StrCat("makes (N + 1) * R * M exceed ", kMaxDpStates, " states"),
               d.grid_points);
  }
  const std::vector<double> transition =
      d.regimes.empty() ? std::vector<double>{1.0} : d.transition;
  const auto at = [&](std::size_t k, std::size_t r, std::size_t i) {
    return (k * n_reg + r) * m + i;
  };

  const double tau = p.horizon / p.intervals;
  DpResult out;
  DpPolicy& pol = out.policy;
  pol.steps = p.intervals;
  pol.regimes = static_cast<int>(n_reg);
  pol.grid_points = d.grid_points;
  pol.grid.resize(m);
  for (std::size_t i = 0; i < m; ++i) {
    pol.grid[i] = i == m - 1 ? p.shares
                             : p.shares * (static_cast<double>(i) / static_cast<double>(m - 1));
  }
  pol.next_index.assign(n_steps * n_reg * m, 0);
  pol.value.assign((n_steps + 1) * n_reg * m, kInf);

  // V_N: only x = 0 is allowed at the end. The gamma X^2 / 2 constant is
  // added to V_N so every V_k includes it.
  const double permanent = 0.5 * p.gamma * p.shares * p.shares;
  for (std::size_t r = 0; r < n_reg; ++r) pol.value[at(n_steps, r, 0)] = permanent;

  std::vector<double> g(m);
  for (std::size_t k = n_steps; k-- > 0;) {
    for (std::size_t r = 0; r < n_reg; ++r) {
      const DpRegime& reg = regimes[r];
      const double eta_tilde = reg.eta - 0.5 * p.gamma * tau;
      const double risk = p.lambda * reg.sigma * reg.sigma * tau;
      // g[j] = f_r(x_j) + sum_r' P[r][r'] V_{k+1}(x_j, r').
      for (std::size_t j = 0; j < m; ++j) {
        const double x = pol.grid[j];
        double cont = 0;
        for (std::size_t s = 0; s < n_reg; ++s) {
          const double prob = transition[r * n_reg + s];
          if (prob == 0) continue;  // 0 * inf would be NaN
          cont += prob * pol.value[at(k + 1, s, j)];
        }
        g[j] = risk * x * x - p.alpha * tau * x + cont;
      }
      std::int32_t* idx = pol.next_index.data() + at(k, r, 0);
      double* val = pol.value.data() + at(k, r, 0);
      if (k == n_steps - 1) {
        // Only x_N = 0 is reachable (g is +inf elsewhere); f_r(0) = 0.
        for (std::size_t i = 0; i < m; ++i) {
          const double n = pol.grid[i];
          idx[i] = 0;
          val[i] = reg.epsilon * std::fabs(n) + (eta_tilde / tau) * n * n + g[0];
        }
        continue;
      }
      const StepSolver solver(pol.grid, g, reg.epsilon, eta_tilde / tau);
      if (d.search == DpSearch::kExhaustive) {
        solver.Exhaustive(idx, val);
      } else {
        solver.Monotone(idx, val);
      }
    }
  }

  const std::size_t r0 = static_cast<std::size_t>(d.initial_regime);
  out.objective = pol.value[at(0, r0, m - 1)];
  if (!std::isfinite(out.objective)) {
    return absl::OutOfRangeError(
        "Almgren-Chriss DP: the objective is not representable as a double");
  }

  // The expected schedule: push the distribution over (regime, grid index)
  // forward through the policy and the chain.
  std::vector<double> mass(n_reg * m, 0.0);
  std::vector<double> next(mass.size());
  mass[r0 * m + (m - 1)] = 1;
  out.expected_holdings.reserve(n_steps + 1);
  out.expected_holdings.push_back(p.shares);
  for (std::size_t k = 0; k < n_steps; ++k) {
    std::fill(next.begin(), next.end(), 0.0);
    double ex = 0;
    for (std::size_t r = 0; r < n_reg; ++r) {
      for (std::size_t i = 0; i < m; ++i) {
        const double w = mass[r * m + i];
        if (w == 0) continue;
        const std::size_t j = static_cast<std::size_t>(pol.next_index[at(k, r, i)]);
        ex += w * pol.grid[j];
        for (std::size_t s = 0; s < n_reg; ++s) next[s * m + j] += w * transition[r * n_reg + s];
      }
    }
    mass.swap(next);
    out.expected_holdings.push_back(k == n_steps - 1 ? 0.0 : ex);
  }
  out.expected_trades.resize(n_steps);
  for (std::size_t k = 0; k < n_steps; ++k) {
    out.expected_trades[k] = out.expected_holdings[k] - out.expected_holdings[k + 1];
  }
  return out;
}

absl::StatusOr<std::vector<double>> FollowPolicy(const DpPolicy& policy,
                                                 std::span<const int> regime_path) {
  if (regime_path.size() != static_cast<std::size_t>(policy.steps)) {
    return Bad("regime_path", absl::StrCat("must have N = ", policy.steps, " entries"),
               static_cast<double>(regime_path.size()));
  }
  if (policy.steps < 1 || policy.regimes < 1 || policy.grid_points < 2 ||
      policy.grid.size() != static_cast<std::size_t>(policy.grid_points) ||
      policy.next_index.size() != policy.Index(policy.steps, 0, 0)) {
    return Bad("policy", "is not a table returned by SolveExecutionDp",
               static_cast<double>(policy.next_index.size()));
  }
  std::vector<double> x;
  x.reserve(regime_path.size() + 1);
  int i = policy.grid_points - 1;
  x.push_back(policy.grid.back());
  for (std::size_t k = 0; k < regime_path.size(); ++k) {
    const int r = regime_path[k];
    if (r < 0 || r >= policy.regimes) {
      return Bad("regime_path", absl::StrCat("entries must be in [0, ", policy.regimes, ")"), r);
    }
    i = policy.NextIndex(static_cast<int>(k), r, i);
    x.push_back(policy.grid[static_cast<std::size_t>(i)]);
  }
  return x;
}

}  // namespace analytics
PERPCORE_NAMESPACE_END
