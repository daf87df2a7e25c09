// -----------------------------------------------------------------------------
// File: perpcore/analytics/calibration.hpp
// -----------------------------------------------------------------------------
//
// Calibration of the Almgren-Chriss inputs (perpcore/analytics/execution.hpp)
// from market data: volatility and drift from a price series, the spread and
// the temporary-impact curve from one L2 snapshot of the book.
//
// Units. Prices in the series are in the caller's price unit; dt is the time
// between observations in the caller's time unit. A book snapshot is in Ticks
// and Lots (perpcore/book/types.hpp); BookScale converts them to the caller's
// price unit and size unit, so every output is in AcParams units.
//
// Volatility: r_i = ln(S_i / S_{i-1}), i = 1..n.
//   demean:   mu_log = mean(r) / dt, sigma_log^2 = sum (r - mean)^2 / ((n - 1) dt)
//   no drift: mu_log = 0,            sigma_log^2 = sum r^2 / (n dt)
// sigma (price per sqrt time, AcParams::sigma) = sigma_log * S_n (the model is
// arithmetic around the last price); alpha (price per time, AcParams::alpha)
// = (mu_log + sigma_log^2 / 2) * S_n, the arithmetic drift of a geometric
// Brownian motion at S_n.
//
// Book walk. A market order of q units on `side` (kSell walks the bids,
// kBuy the asks, best first) has average shortfall per unit against the mid
//   s(q) = (1 / q) sum_fills size * |mid - price|.
// It is sampled at the cumulative depth after each level (where the walk cost
// is piecewise linear in q has its kinks): Q_1 < Q_2 < ... .
//   Linear:    s(Q) = a + k Q by least squares over all Q_j. A book with
//              levels of equal size L spaced d price units apart from a touch
//              at half spread e gives exactly k = d / (2 L), a = e - d / 2.
//              AC's h(v) = eps + eta v with v = q / tau gives
//              eta = k * interval, epsilon = a.
//   Power law: s(Q) - e = c Q^delta (e the half spread, i.e. the shortfall
//              against the touch), by least squares of ln(s - e) on ln Q over
//              the Q_j with s(Q_j) > e (the first level never qualifies);
//              h(v) = e + eta v^delta gives eta = c * interval^delta.
// Both fits also report their residuals, so a caller can compare models.
//
// Errors: kInvalidArgument naming the parameter: a series with fewer than 2
// returns (3 prices; 2 without drift), a non-finite or non-positive price,
// dt/interval/scale not finite and > 0; an empty or one-sided book ("bids" /
// "asks"), levels not strictly sorted best first, a non-positive price or
// size, a crossed or locked book; too few usable points for a fit (2 for the
// linear, 2 with s > e for the power law). kOutOfRange if a sum overflows.
// Complexity: O(n) for the series, O(levels) for the book.
// Determinism: doubles, fixed summation order; no randomness, no threads.
// Thread safety: pure functions.
//
// Example:
//   PERPCORE_ASSIGN_OR_RETURN(VolatilityEstimate v,
//                             EstimateVolatility(prices, {.dt = 1.0 / 1440}));
//   PERPCORE_ASSIGN_OR_RETURN(LinearImpactFit f, FitLinearImpact(bids, asks, {.interval = tau}));
//   p.sigma = v.sigma;  p.eta = f.eta;  p.epsilon = f.fixed_cost;
#ifndef PERPCORE_ANALYTICS_CALIBRATION_HPP_
#define PERPCORE_ANALYTICS_CALIBRATION_HPP_

#include <span>

#include "absl/status/statusor.h"
#include "perpcore/book/types.hpp"
#include "perpcore/detail/config.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace analytics {

// VolatilityOptions
struct VolatilityOptions {
  double dt = 1;        // time between observations, > 0
  bool demean = true;   // estimate the drift (else assume it is 0)
};

// VolatilityEstimate: see the file comment for the formulas.
struct VolatilityEstimate {
  int returns = 0;         // n
  double mu_log = 0;       // mean log return per time unit
  double sigma_log = 0;    // log-return volatility per sqrt(time unit)
  double last_price = 0;   // S_n
  double sigma = 0;        // sigma_log * S_n
  double alpha = 0;        // (mu_log + sigma_log^2 / 2) * S_n
};

// EstimateVolatility()
//
// From prices S_0..S_n observed every dt. Errors: see the file comment.
absl::StatusOr<VolatilityEstimate> EstimateVolatility(std::span<const double> prices,
                                                      const VolatilityOptions& options);

// BookScale: the caller's units per tick and per lot (both > 0).
struct BookScale {
  double price_per_tick = 1;
  double units_per_lot = 1;
};

// SpreadEstimate: from the best levels, in price units.
struct SpreadEstimate {
  double best_bid = 0;
  double best_ask = 0;
  double mid = 0;
  double spread = 0;       // best_ask - best_bid, > 0
  double half_spread = 0;  // spread / 2: AcParams::epsilon before fees
};

// EstimateSpread()
//
// bids best (highest) first, asks best (lowest) first; the whole snapshot is
// validated. Errors: see the file comment.
absl::StatusOr<SpreadEstimate> EstimateSpread(std::span<const book::LevelView> bids,
                                              std::span<const book::LevelView> asks,
                                              const BookScale& scale = {});

// ImpactFitOptions
struct ImpactFitOptions {
  book::Side side = book::Side::kSell;  // kSell walks the bids
  double interval = 1;                  // tau, time units, > 0 (for eta)
  BookScale scale;
};

// LinearImpactFit: s(Q) = fixed_cost + slope Q.
struct LinearImpactFit {
  int points = 0;
  double half_spread = 0;
  double fixed_cost = 0;  // a, price units (AcParams::epsilon)
  double slope = 0;       // k, price per unit per unit
  double eta = 0;         // slope * interval (AcParams::eta)
  double rms_error = 0;   // root mean square residual of s, price units
};

// PowerImpactFit: s(Q) - half_spread = c Q^delta.
struct PowerImpactFit {
  int points = 0;
  double half_spread = 0;
  double c = 0;              // price per unit^delta
  double delta = 0;          // exponent
  double eta = 0;            // c * interval^delta
  double rms_log_error = 0;  // root mean square residual of ln(s - e)
};

// FitLinearImpact() / FitPowerLawImpact()
//
// Errors: see the file comment.
absl::StatusOr<LinearImpactFit> FitLinearImpact(std::span<const book::LevelView> bids,
                                                std::span<const book::LevelView> asks,
                                                const ImpactFitOptions& options = {});
absl::StatusOr<PowerImpactFit> FitPowerLawImpact(std::span<const book::LevelView> bids,
                                                 std::span<const book::LevelView> asks,
                                                 const ImpactFitOptions& options = {});

}  // namespace analytics
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_ANALYTICS_CALIBRATION_HPP_
