#include "perpcore/analytics/execution_ext.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "perpcore/analytics/execution.hpp"
#include "perpcore/detail/status_macros.hpp"
#include "schedule_support.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace analytics {
namespace {

absl::Status Bad(absl::string_view parameter, absl::string_view rule, double value) {
  return absl::InvalidArgumentError(absl::StrCat("Almgren-Chriss (perpetual): ", parameter, " ",
                                                 rule, " (got ", value, ")"));
}

absl::Status NotRepresentable(absl::string_view what) {
  return absl::OutOfRangeError(
      absl::StrCat("Almgren-Chriss (perpetual): ", what, " is not representable as a double"));
}

// Entry of a per-interval vector for interval k (1-based): empty = 0, one
// entry = constant.
double At(const std::vector<double>& v, int k) {
  if (v.empty()) return 0;
  return v.size() == 1 ? v[0] : v[static_cast<std::size_t>(k) - 1];
}

ExtOrderType TypeAt(const ExtParams& p, int k) {
  if (p.order_types.empty()) return ExtOrderType::kTaker;
  return p.order_types.size() == 1 ? p.order_types[0]
                                   : p.order_types[static_cast<std::size_t>(k) - 1];
}

bool Constant(const std::vector<double>& v) {
  for (double e : v) {
    if (e != v.front()) return false;
  }
  return true;
}

absl::Status ValidateParams(const ExtParams& p) {
  const struct {
    absl::string_view name;
    double value;
  } finite[] = {{"shares", p.shares},
                {"horizon", p.horizon},
                {"eta", p.eta},
                {"delta", p.delta},
                {"gamma", p.gamma},
                {"lambda", p.lambda},
                {"reference_price", p.reference_price},
                {"taker_fee_rate", p.taker_fee_rate},
                {"maker_fee_rate", p.maker_fee_rate},
                {"latency", p.latency},
                {"latency_coefficient", p.latency_coefficient}};
  for (const auto& f : finite) {
    if (!std::isfinite(f.value)) return Bad(f.name, "must be finite", f.value);
  }
  if (p.intervals < 1) return Bad("intervals", "must be >= 1", p.intervals);
  if (p.horizon <= 0) return Bad("horizon", "must be > 0", p.horizon);
  if (p.eta < 0) return Bad("eta", "must be >= 0", p.eta);
  if (!(p.delta > 0 && p.delta <= 2)) return Bad("delta", "must be in (0, 2]", p.delta);
  if (p.gamma < 0) return Bad("gamma", "must be >= 0", p.gamma);
  if (p.lambda < 0) return Bad("lambda", "must be >= 0", p.lambda);
  if (p.reference_price < 0) return Bad("reference_price", "must be >= 0", p.reference_price);
  if (p.latency < 0) return Bad("latency", "must be >= 0", p.latency);
  if (p.latency_coefficient < 0) {
    return Bad("latency_coefficient", "must be >= 0", p.latency_coefficient);
  }
  const std::size_t n = static_cast<std::size_t>(p.intervals);
  const struct {
    absl::string_view name;
    const std::vector<double>* v;
    bool non_negative;
  } vectors[] = {{"sigma", &p.sigma, true},
                 {"drift", &p.drift, false},
                 {"spread", &p.spread, true},
                 {"funding", &p.funding, false}};
  for (const auto& f : vectors) {
    if (f.v->size() > 1 && f.v->size() != n) {
      return Bad(f.name, absl::StrCat("must have 0, 1 or intervals = ", n, " entries"),
                 static_cast<double>(f.v->size()));
    }
    for (double e : *f.v) {
      if (!std::isfinite(e)) return Bad(f.name, "must be finite", e);
      if (f.non_negative && e < 0) return Bad(f.name, "must be >= 0", e);
    }
  }
  if (p.order_types.size() > 1 && p.order_types.size() != n) {
    return Bad("order_types", absl::StrCat("must have 0, 1 or intervals = ", n, " entries"),
               static_cast<double>(p.order_types.size()));
  }
  for (ExtOrderType t : p.order_types) {
    if (t != ExtOrderType::kTaker && t != ExtOrderType::kMaker) {
      return Bad("order_types", "must be kTaker or kMaker", static_cast<int>(t));
    }
  }
  const double tau = p.horizon / p.intervals;
  if (p.delta == 1) {
    if (!(p.eta - 0.5 * p.gamma * tau > 0)) {
      return Bad("eta", "must exceed gamma * tau / 2 (eta_tilde = eta - gamma tau / 2 > 0)",
                 p.eta);
    }
  } else {
    if (!(p.eta > 0)) return Bad("eta", "must be > 0 when delta != 1", p.eta);
    if (p.gamma != 0) {
      return Bad("gamma", "must be 0 when delta != 1 (the objective is not convex otherwise)",
                 p.gamma);
    }
  }
  return absl::OkStatus();
}

// The problem normalized to a sale of y_0 = Y = |X| > 0 down to y_N = 0 with
// n_k = y_{k-1} - y_k >= 0 (x = s y). Objective, up to the constant
// gamma Y^2 / 2:
//   F(y) = sum_{k=1..N} (a n_k^pw + c_k n_k) + sum_{m=1..N-1} (l_m y_m + q_m y_m^2).
struct Problem {
  int n = 0;
  double y = 0;
  double s = 1;
  double pw = 2;  // 1 + delta
  double a = 0;   // eta_tilde / tau at delta = 1, eta tau^-delta otherwise
  double n_floor = 0;
  std::vector<double> c;  // [1..N]
  std::vector<double> l;  // [1..N-1]
  std::vector<double> q;  // [1..N-1]
};

absl::StatusOr<Problem> Build(const ExtParams& p) {
  Problem pr;
  pr.n = p.intervals;
  pr.y = std::fabs(p.shares);
  pr.s = p.shares < 0 ? -1 : 1;
  pr.pw = 1 + p.delta;
  const double tau = p.horizon / p.intervals;
  pr.a = p.delta == 1 ? (p.eta - 0.5 * p.gamma * tau) / tau : p.eta * std::pow(tau, -p.delta);
  if (!std::isfinite(pr.a) || !(pr.a > 0)) return NotRepresentable("eta * tau^-delta");
  pr.n_floor = 1e-12 * pr.y / pr.n;
  const std::size_t size = static_cast<std::size_t>(pr.n) + 1;
  pr.c.assign(size, 0);
  pr.l.assign(size, 0);
  pr.q.assign(size, 0);
  const double sqrt_latency = std::sqrt(p.latency);
  for (int k = 1; k <= pr.n; ++k) {
    const double sigma = At(p.sigma, k);
    const double fee_rate =
        TypeAt(p, k) == ExtOrderType::kMaker ? p.maker_fee_rate : p.taker_fee_rate;
    const double c = At(p.spread, k) + fee_rate * p.reference_price +
                     p.latency_coefficient * sigma * sqrt_latency;
    if (!std::isfinite(c)) return NotRepresentable("the per-unit trading cost");
    pr.c[static_cast<std::size_t>(k)] = c;
    if (k < pr.n) {
      const double l = pr.s * (At(p.funding, k) - At(p.drift, k) * tau);
      const double q = p.lambda * tau * sigma * sigma;
      if (!std::isfinite(l)) return NotRepresentable("funding - drift * tau");
      if (!std::isfinite(q)) return NotRepresentable("lambda * sigma^2 * tau");
      pr.l[static_cast<std::size_t>(k)] = l;
      pr.q[static_cast<std::size_t>(k)] = q;
    }
  }
  return pr;
}

// a * pw * n^(pw - 1) for n >= 0.
double Marginal(const Problem& pr, double n) {
  n = std::max(n, 0.0);
  return pr.pw == 2 ? 2 * pr.a * n : pr.a * pr.pw * std::pow(n, pr.pw - 1);
}

// Curvature a pw (pw - 1) n^(pw - 2), evaluated at max(n, n_floor).
double Curvature(const Problem& pr, double n) {
  if (pr.pw == 2) return 2 * pr.a;
  return pr.a * pr.pw * (pr.pw - 1) * std::pow(std::max(n, pr.n_floor), pr.pw - 2);
}

double Objective(const Problem& pr, const std::vector<double>& y, double* magnitude) {
  CompensatedSum f;
  CompensatedSum abs_f;
  for (int k = 1; k <= pr.n; ++k) {
    const std::size_t i = static_cast<std::size_t>(k);
    const double nk = std::max(y[i - 1] - y[i], 0.0);
    const double t = (pr.pw == 2 ? pr.a * nk * nk : pr.a * std::pow(nk, pr.pw)) + pr.c[i] * nk;
    f.Add(t);
    abs_f.Add(std::fabs(t));
    if (k < pr.n) {
      const double u = pr.l[i] * y[i] + pr.q[i] * y[i] * y[i];
      f.Add(u);
      abs_f.Add(std::fabs(u));
    }
  }
  *magnitude = abs_f.value();
  return f.value();
}

// g_m = dF/dy_m for m = 1..N-1 (index m), and the largest magnitude of the
// terms that make up any g_m.
double Gradient(const Problem& pr, const std::vector<double>& y, std::vector<double>& g) {
  g.assign(static_cast<std::size_t>(pr.n) + 1, 0);
  double scale = 0;
  for (int m = 1; m < pr.n; ++m) {
    const std::size_t i = static_cast<std::size_t>(m);
    const double left = Marginal(pr, y[i - 1] - y[i]);
    const double right = Marginal(pr, y[i] - y[i + 1]);
    const double quad = 2 * pr.q[i] * y[i];
    g[i] = (right + pr.c[i + 1]) - (left + pr.c[i]) + pr.l[i] + quad;
    scale = std::max(scale, std::fabs(left) + std::fabs(pr.c[i]) + std::fabs(right) +
                                std::fabs(pr.c[i + 1]) + std::fabs(pr.l[i]) + std::fabs(quad));
  }
  return scale;
}

// Solves the symmetric tridiagonal system (diag, off: off[i] couples i and
// i + 1) in place into rhs. Thomas algorithm, no pivoting: the systems here
// are positive definite.
void Thomas(std::vector<double>& diag, const std::vector<double>& off, std::vector<double>& rhs) {
  const std::size_t m = diag.size();
  for (std::size_t i = 1; i < m; ++i) {
    const double w = off[i - 1] / diag[i - 1];
    diag[i] -= w * off[i - 1];
    rhs[i] -= w * rhs[i - 1];
  }
  for (std::size_t i = m; i-- > 0;) {
    if (i + 1 < m) rhs[i] -= off[i] * rhs[i + 1];
    rhs[i] /= diag[i];
  }
}

// The working set: active[k] (k = 1..N) holds n_k = 0. `bounds` lists the
// inactive k in order; free block j (1 <= j < bounds.size()) is
// y_{bounds[j-1]} .. y_{bounds[j]-1}. The head block (with y_0) and the
// tail block (with y_N) are fixed.
std::vector<int> Boundaries(const std::vector<char>& active, int n) {
  std::vector<int> b;
  for (int k = 1; k <= n; ++k) {
    if (!active[static_cast<std::size_t>(k)]) b.push_back(k);
  }
  return b;
}

struct Kkt {
  double residual = 0;    // max of the two below
  double stationary = 0;  // max |sum of g| over free blocks / scale
  double dual = 0;        // max(0, -mu_k) over active k / scale
  int most_negative = 0;  // active k with the most negative mu (0: none)
};

// `mu` (optional) receives the multiplier of every active k (0 elsewhere).
Kkt CheckKkt(const Problem& pr, const std::vector<double>& y, const std::vector<char>& active,
             std::vector<double>* mu_out = nullptr) {
  std::vector<double> g;
  double scale = Gradient(pr, y, g);
  if (!(scale > 0)) scale = 1;
  const std::vector<int> b = Boundaries(active, pr.n);
  Kkt r;
  double worst_mu = 0;
  if (mu_out != nullptr) mu_out->assign(static_cast<std::size_t>(pr.n) + 1, 0);
  auto dual = [&](int k, double mu) {
    if (mu_out != nullptr) (*mu_out)[static_cast<std::size_t>(k)] = mu;
    if (mu < worst_mu) {
      worst_mu = mu;
      r.most_negative = k;
    }
  };
  // Head block y_0 .. y_{b0 - 1}: mu_{b0} = 0, mu_m = mu_{m+1} - g_m.
  double mu = 0;
  for (int m = b.front() - 1; m >= 1; --m) {
    mu -= g[static_cast<std::size_t>(m)];
    dual(m, mu);
  }
  // Free blocks and the tail: mu at the left boundary is 0, mu_{m+1} = mu_m + g_m.
  for (std::size_t j = 0; j < b.size(); ++j) {
    const int first = b[j];
    const int last = j + 1 < b.size() ? b[j + 1] - 1 : pr.n;
    mu = 0;
    const int stop = j + 1 < b.size() ? last : pr.n - 1;
    for (int m = first; m <= stop; ++m) {
      mu += g[static_cast<std::size_t>(m)];
      if (m + 1 <= last) dual(m + 1, mu);
    }
    if (j + 1 < b.size()) r.stationary = std::max(r.stationary, std::fabs(mu) / scale);
  }
  r.dual = -worst_mu / scale;
  r.residual = std::max(r.stationary, r.dual);
  return r;
}

// Makes every block constant again after merging (head = Y, tail = 0, a free
// block takes its leftmost value).
void Flatten(const Problem& pr, std::vector<double>& y, const std::vector<char>& active) {
  int k = pr.n;
  while (k >= 1 && active[static_cast<std::size_t>(k)]) {
    y[static_cast<std::size_t>(k) - 1] = 0;
    --k;
  }
  for (int j = 1; j < k; ++j) {
    if (active[static_cast<std::size_t>(j)]) {
      y[static_cast<std::size_t>(j)] = y[static_cast<std::size_t>(j) - 1];
    }
  }
}

struct Solved {
  std::vector<double> y;
  std::vector<char> active;
  int iterations = 0;
  bool converged = false;
};

// Active-set loop with damped Newton steps on each face. At pw = 2 each
// Newton step is the exact face minimizer and the line search accepts the
// full or the blocking step, so this is the primal active-set QP method.
//
// Warm start: `guess` (N + 1 holdings, e.g. the unconstrained quadratic
// optimum) proposes the working set {k : n_k <= 0}; the start point splits Y
// equally over the other intervals, which is feasible and on that face. The
// loop then adds and releases constraints as usual, so the guess only
// changes the iteration count, never the answer.
Solved ActiveSetNewton(const Problem& pr, const ExtSolverOptions& o,
                       const std::vector<double>& guess) {
  Solved out;
  const int n = pr.n;
  const std::size_t size = static_cast<std::size_t>(n) + 1;
  std::vector<char>& active = out.active;
  active.assign(size, 0);
  int traded = 0;
  for (std::size_t k = 1; k < size; ++k) {
    active[k] = guess.size() == size && !(guess[k - 1] - guess[k] > 0);
    traded += !active[k];
  }
  if (traded == 0) {
    active.assign(size, 0);
    traded = n;
  }
  std::vector<double>& y = out.y;
  y.assign(size, 0);
  int done = 0;
  y[0] = pr.y;
  for (std::size_t k = 1; k < size; ++k) {
    done += !active[k];
    y[k] = pr.y * (static_cast<double>(traded - done) / traded);
  }
  std::vector<double> g, diag, off, d, trial;
  while (out.iterations < o.max_iterations) {
    const Kkt kkt = CheckKkt(pr, y, active);
    if (kkt.residual <= o.tolerance) {
      out.converged = true;
      return out;
    }
    ++out.iterations;
    if (kkt.stationary <= o.tolerance) {
      active[static_cast<std::size_t>(kkt.most_negative)] = 0;  // release
      continue;
    }
    const std::vector<int> b = Boundaries(active, n);
    const std::size_t blocks = b.size() - 1;
    Gradient(pr, y, g);
    diag.assign(blocks, 0);
    off.assign(blocks, 0);
    d.assign(blocks, 0);
    for (std::size_t j = 0; j < blocks; ++j) {
      const int first = b[j];
      const int last = b[j + 1] - 1;
      const double w_left = Curvature(pr, y[static_cast<std::size_t>(first) - 1] -
                                              y[static_cast<std::size_t>(first)]);
      const double w_right = Curvature(pr, y[static_cast<std::size_t>(last)] -
                                               y[static_cast<std::size_t>(last) + 1]);
      double sum_g = 0;
      double sum_q = 0;
      for (int m = first; m <= last; ++m) {
        sum_g += g[static_cast<std::size_t>(m)];
        sum_q += pr.q[static_cast<std::size_t>(m)];
      }
      diag[j] = w_left + w_right + 2 * sum_q;
      if (j + 1 < blocks) off[j] = -w_right;
      d[j] = -sum_g;
    }
    const std::vector<double> neg_g = d;
    Thomas(diag, off, d);
    double slope = 0;  // G . d
    for (std::size_t j = 0; j < blocks; ++j) slope -= neg_g[j] * d[j];
    if (!(slope < 0)) break;  // no descent left at this precision
    // Change of n at each boundary b[j]: d(left block) - d(right block).
    double alpha_max = std::numeric_limits<double>::infinity();
    int blocking = 0;
    for (std::size_t j = 0; j < b.size(); ++j) {
      const double left = j == 0 ? 0 : d[j - 1];
      const double right = j < blocks ? d[j] : 0;
      const double dn = left - right;
      if (dn < 0) {
        const std::size_t k = static_cast<std::size_t>(b[j]);
        const double limit = (y[k - 1] - y[k]) / -dn;
        if (limit < alpha_max) {
          alpha_max = limit;
          blocking = b[j];
        }
      }
    }
    double magnitude = 0;
    const double f0 = Objective(pr, y, &magnitude);
    const double noise = 1e-14 * magnitude;
    double alpha = std::min(1.0, alpha_max);
    bool accepted = false;
    for (int halvings = 0; halvings < 60; ++halvings) {
      trial = y;
      for (std::size_t j = 0; j < blocks; ++j) {
        for (int m = b[j]; m < b[j + 1]; ++m) trial[static_cast<std::size_t>(m)] += alpha * d[j];
      }
      double unused = 0;
      if (Objective(pr, trial, &unused) <= f0 + 1e-4 * alpha * slope + noise) {
        accepted = true;
        break;
      }
      alpha *= 0.5;
    }
    if (!accepted) break;
    const bool hit = alpha == alpha_max;
    y.swap(trial);
    if (hit) active[static_cast<std::size_t>(blocking)] = 1;
    // Rounding may leave another boundary at or below zero: hold it there.
    for (int k : b) {
      const std::size_t i = static_cast<std::size_t>(k);
      if (!active[i] && y[i - 1] - y[i] <= 0) active[i] = 1;
    }
    Flatten(pr, y, active);
  }
  out.converged = CheckKkt(pr, y, active).residual <= o.tolerance;
  return out;
}

// The minimizer of a quadratic (pw = 2) problem on the face where every
// active n_k is 0: y is constant on each block between free boundaries
// b_0 < ... < b_{B-1} (head Y, tail 0), and for the interior block values z_j
//   (4a + 2 Q_j) z_j - 2a z_{j-1} - 2a z_{j+1} = c_{b_j} - c_{b_{j+1}} - L_j
// (Q_j, L_j: the sums of q and l over the block; z_{-1} = Y, z_{B-1} = 0).
// Needs at least one free boundary.
std::vector<double> FaceMinimizer(const Problem& pr, const std::vector<char>& active) {
  const std::vector<int> b = Boundaries(active, pr.n);
  const std::size_t size = static_cast<std::size_t>(pr.n) + 1;
  std::vector<double> y(size, 0.0);
  const std::size_t blocks = b.size() - 1;
  std::vector<double> diag(blocks), off(blocks, -2 * pr.a), rhs(blocks);
  for (std::size_t j = 0; j < blocks; ++j) {
    double q = 0, l = 0;
    for (int m = b[j]; m < b[j + 1]; ++m) {
      q += pr.q[static_cast<std::size_t>(m)];
      l += pr.l[static_cast<std::size_t>(m)];
    }
    diag[j] = 4 * pr.a + 2 * q;
    rhs[j] = pr.c[static_cast<std::size_t>(b[j])] - pr.c[static_cast<std::size_t>(b[j + 1])] - l;
  }
  if (blocks > 0) {
    rhs[0] += 2 * pr.a * pr.y;
    Thomas(diag, off, rhs);
  }
  for (int m = 0; m < b.front(); ++m) y[static_cast<std::size_t>(m)] = pr.y;
  for (std::size_t j = 0; j < blocks; ++j) {
    for (int m = b[j]; m < b[j + 1]; ++m) y[static_cast<std::size_t>(m)] = rhs[j];
  }
  return y;
}

// A warm start for ActiveSetNewton from primal-dual active-set rounds
// (Hintermueller, Ito & Kunisch 2002) on a quadratic problem: solve the face,
// then make active every free k whose trade came out negative and free every
// active k whose multiplier is not positive, all at once, until the set
// repeats. Each round is O(N), and the set usually settles in a few rounds
// where the primal method moves one constraint per O(N) iteration. Nothing
// rests on it converging: the primal method starts from the face it proposes
// and finishes the solve with its own guarantees.
std::vector<double> PrimalDualGuess(const Problem& quadratic, const std::vector<double>& start,
                                    int rounds) {
  const std::size_t size = static_cast<std::size_t>(quadratic.n) + 1;
  std::vector<char> active(size, 0);
  for (std::size_t k = 1; k < size; ++k) active[k] = !(start[k - 1] - start[k] > 0);
  std::vector<double> y = start;
  std::vector<double> mu;
  for (int round = 0; round < rounds; ++round) {
    if (Boundaries(active, quadratic.n).empty()) break;
    y = FaceMinimizer(quadratic, active);
    CheckKkt(quadratic, y, active, &mu);
    std::vector<char> next(size, 0);
    for (std::size_t k = 1; k < size; ++k) {
      next[k] = active[k] ? mu[k] > 0 : y[k - 1] - y[k] < 0;
    }
    if (next == active) break;
    active.swap(next);
  }
  return y;
}

bool OneSided(const std::vector<double>& y) {
  for (std::size_t k = 1; k < y.size(); ++k) {
    if (!(y[k - 1] - y[k] >= 0)) return false;
  }
  return true;
}

absl::StatusOr<ExtCost> Evaluate(const ExtParams& p, std::span<const double> x) {
  const int n = p.intervals;
  const double tau = p.horizon / n;
  const double sqrt_latency = std::sqrt(p.latency);
  CompensatedSum permanent, temporary, spread, fees, latency, funding, drift, variance;
  for (int k = 1; k <= n; ++k) {
    const std::size_t i = static_cast<std::size_t>(k);
    const double nk = x[i - 1] - x[i];
    const double an = std::fabs(nk);
    const double sigma = At(p.sigma, k);
    permanent.Add(p.gamma * x[i] * nk);
    temporary.Add(p.delta == 1 ? p.eta * nk * nk / tau
                               : tau * p.eta * std::pow(an / tau, 1 + p.delta));
    spread.Add(At(p.spread, k) * an);
    const double fee_rate =
        TypeAt(p, k) == ExtOrderType::kMaker ? p.maker_fee_rate : p.taker_fee_rate;
    fees.Add(fee_rate * p.reference_price * an);
    latency.Add(p.latency_coefficient * sigma * sqrt_latency * an);
    funding.Add(At(p.funding, k) * x[i]);
    drift.Add(-At(p.drift, k) * tau * x[i]);
    variance.Add(tau * sigma * sigma * x[i] * x[i]);
  }
  ExtCost c;
  c.permanent_impact = permanent.value();
  c.temporary_impact = temporary.value();
  c.spread = spread.value();
  c.fees = fees.value();
  c.latency = latency.value();
  c.funding = funding.value();
  c.drift = drift.value();
  CompensatedSum e;
  for (double t : {c.permanent_impact, c.temporary_impact, c.spread, c.fees, c.latency,
                   c.funding, c.drift}) {
    e.Add(t);
  }
  c.expected_cost = e.value();
  c.variance = variance.value();
  c.objective = c.expected_cost + p.lambda * c.variance;
  for (double t : {c.permanent_impact, c.temporary_impact, c.spread, c.fees, c.latency, c.funding,
                   c.drift, c.expected_cost, c.variance, c.objective}) {
    if (!std::isfinite(t)) return NotRepresentable("the cost of this schedule");
  }
  return c;
}

}  // namespace

absl::StatusOr<ExtCost> EvaluateExtSchedule(const ExtParams& p,
                                            std::span<const double> holdings) {
  if (absl::Status s = ValidateParams(p); !s.ok()) return s;
  PERPCORE_RETURN_IF_ERROR(CheckHoldingsPath("Almgren-Chriss (perpetual)", holdings, p.intervals, p.shares));
  return Evaluate(p, holdings);
}

absl::StatusOr<ExtSchedule> ExtOptimalSchedule(const ExtParams& p,
                                               const ExtSolverOptions& options) {
  if (absl::Status s = ValidateParams(p); !s.ok()) return s;
  if (!(options.tolerance > 0 && options.tolerance < 1)) {
    return Bad("tolerance", "must be in (0, 1)", options.tolerance);
  }
  if (options.max_iterations < 0) {
    return Bad("max_iterations", "must be >= 0 (0: 10 N + 100)", options.max_iterations);
  }
  ExtSolverOptions o = options;
  if (o.max_iterations == 0) o.max_iterations = std::min(10 * p.intervals, 1 << 30) + 100;
  if (options.solver != ExtSolverOptions::Solver::kAuto &&
      options.solver != ExtSolverOptions::Solver::kNewton) {
    return Bad("solver", "must be kAuto or kNewton", static_cast<int>(options.solver));
  }
  const std::size_t size = static_cast<std::size_t>(p.intervals) + 1;
  ExtSchedule out;
  std::vector<double> y;
  std::vector<char> active(size, 0);
  absl::StatusOr<Problem> pr = Build(p);
  if (!pr.ok()) return pr.status();
  if (p.shares == 0) {
    y.assign(size, 0);
  } else {
    bool solved = false;
    if (p.delta == 1 && options.solver == ExtSolverOptions::Solver::kAuto) {
      bool closed_form = Constant(p.sigma) && Constant(p.drift);
      for (std::size_t k = 2; k < pr->c.size(); ++k) closed_form &= pr->c[k] == pr->c[1];
      for (double f : p.funding) closed_form &= f == 0;
      const double sigma = At(p.sigma, 1);
      const double alpha = pr->s * At(p.drift, 1);
      if (alpha != 0 && p.lambda * sigma * sigma == 0) closed_form = false;
      if (closed_form) {
        AcParams ac;
        ac.shares = pr->y;
        ac.horizon = p.horizon;
        ac.intervals = p.intervals;
        ac.sigma = sigma;
        ac.eta = p.eta;
        ac.gamma = p.gamma;
        ac.lambda = p.lambda;
        ac.alpha = alpha;
        absl::StatusOr<AcSchedule> s = OptimalSchedule(ac);
        if (!s.ok()) return s.status();
        y = std::move(s->holdings);
        out.method = ExtMethod::kClosedForm;
      } else {
        y = FaceMinimizer(*pr, active);  // nothing active: the unconstrained optimum
        out.method = ExtMethod::kTridiagonal;
      }
      for (double v : y) {
        if (!std::isfinite(v)) return NotRepresentable("the optimal schedule");
      }
      solved = OneSided(y);
    }
    if (!solved) {
      // Guess from the quadratic itself, or (delta != 1) from the quadratic
      // whose marginal cost matches at n = Y / N.
      Problem quadratic = *pr;
      if (pr->pw != 2) {
        const double mean = pr->y / pr->n;
        quadratic.a = Marginal(*pr, mean) / (2 * mean);
        quadratic.pw = 2;
      }
      if (p.delta != 1 || options.solver != ExtSolverOptions::Solver::kAuto) {
        y = FaceMinimizer(quadratic, active);
      }
      y = PrimalDualGuess(quadratic, y, 50);
      Solved r = ActiveSetNewton(*pr, o, y);
      y = std::move(r.y);
      active = std::move(r.active);
      out.iterations = r.iterations;
      out.method = p.delta == 1 && options.solver == ExtSolverOptions::Solver::kAuto
                       ? ExtMethod::kActiveSet
                       : ExtMethod::kNewton;
    }
    const Kkt kkt = CheckKkt(*pr, y, active);
    out.kkt_residual = kkt.residual;
    out.converged = kkt.residual <= options.tolerance;
  }
  for (char a : active) out.active_constraints += a;
  out.holdings.resize(size);
  out.trades.resize(size - 1);
  for (std::size_t k = 0; k < size; ++k) {
    out.holdings[k] = pr->s < 0 ? -y[k] : y[k];
    if (!std::isfinite(out.holdings[k])) return NotRepresentable("the optimal schedule");
  }
  for (std::size_t k = 1; k < size; ++k) {
    out.trades[k - 1] = out.holdings[k - 1] - out.holdings[k];
  }
  absl::StatusOr<ExtCost> cost = Evaluate(p, out.holdings);
  if (!cost.ok()) return cost.status();
  out.cost = *cost;
  return out;
}

}  // namespace analytics
PERPCORE_NAMESPACE_END
