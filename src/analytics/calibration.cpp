#include "perpcore/analytics/calibration.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

PERPCORE_NAMESPACE_BEGIN
namespace analytics {
namespace {

absl::Status Bad(absl::string_view parameter, absl::string_view rule, double value) {
  return absl::InvalidArgumentError(
      absl::StrCat("calibration: ", parameter, " ", rule, " (got ", value, ")"));
}

absl::Status PositiveFinite(absl::string_view name, double v) {
  if (!std::isfinite(v) || !(v > 0)) return Bad(name, "must be finite and > 0", v);
  return absl::OkStatus();
}

// Validates one side: non-empty, positive prices and sizes, strictly sorted
// best first (descending bids, ascending asks).
absl::Status ValidateSide(absl::string_view name, std::span<const book::LevelView> levels,
                          bool descending) {
  if (levels.empty()) return Bad(name, "must not be empty (one-sided book)", 0);
  for (std::size_t i = 0; i < levels.size(); ++i) {
    const std::int64_t price = levels[i].price.raw();
    const std::int64_t size = levels[i].total.raw();
    if (price <= 0) {
      return Bad(name, absl::StrCat("prices must be > 0 (level ", i, ")"),
                 static_cast<double>(price));
    }
    if (size <= 0) {
      return Bad(name, absl::StrCat("sizes must be > 0 (level ", i, ")"),
                 static_cast<double>(size));
    }
    if (i > 0) {
      const std::int64_t prev = levels[i - 1].price.raw();
      if (descending ? !(price < prev) : !(price > prev)) {
        return Bad(name,
                   absl::StrCat("must be strictly sorted best first (",
                                descending ? "descending" : "ascending", ", level ", i, ")"),
                   static_cast<double>(price));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateScale(const BookScale& s) {
  if (absl::Status st = PositiveFinite("price_per_tick", s.price_per_tick); !st.ok()) return st;
  return PositiveFinite("units_per_lot", s.units_per_lot);
}

absl::Status ValidateBook(std::span<const book::LevelView> bids,
                          std::span<const book::LevelView> asks) {
  if (absl::Status s = ValidateSide("bids", bids, /*descending=*/true); !s.ok()) return s;
  if (absl::Status s = ValidateSide("asks", asks, /*descending=*/false); !s.ok()) return s;
  if (!(bids.front().price < asks.front().price)) {
    return Bad("asks", "best ask must be above best bid (crossed or locked book)",
               static_cast<double>(asks.front().price.raw()));
  }
  return absl::OkStatus();
}

// One sample of the walk: cumulative size Q (units), average shortfall per
// unit against the mid and against the touch (price units).
struct WalkPoint {
  double size = 0;
  double vs_mid = 0;
  double vs_touch = 0;
};

// Walks the side and samples after each level. Shortfalls are summed exactly
// in 128-bit integers, in half-ticks against the mid (2 |mid - p| =
// |bid + ask - 2 p|) and in ticks against the touch.
absl::StatusOr<std::vector<WalkPoint>> Walk(std::span<const book::LevelView> bids,
                                            std::span<const book::LevelView> asks,
                                            const ImpactFitOptions& o) {
  if (o.side != book::Side::kSell && o.side != book::Side::kBuy) {
    return Bad("side", "must be kBuy or kSell", static_cast<double>(o.side));
  }
  const bool sell = o.side == book::Side::kSell;
  const std::span<const book::LevelView> levels = sell ? bids : asks;
  // Every term is >= 0 (the book is validated and not crossed), so unsigned
  // 128-bit sums with an overflow check are exact.
  using U = absl::uint128;
  const U two_mid = U(static_cast<std::uint64_t>(bids.front().price.raw())) +
                    U(static_cast<std::uint64_t>(asks.front().price.raw()));
  const U touch = U(static_cast<std::uint64_t>(levels.front().price.raw()));
  U cum = 0, vs_mid = 0, vs_touch = 0;
  const auto add = [](U& acc, U v) {
    if (acc > absl::Uint128Max() - v) return false;
    acc += v;
    return true;
  };
  std::vector<WalkPoint> out;
  out.reserve(levels.size());
  for (const book::LevelView& l : levels) {
    const U size = U(static_cast<std::uint64_t>(l.total.raw()));
    const U p = U(static_cast<std::uint64_t>(l.price.raw()));
    const U half_ticks = sell ? two_mid - 2 * p : 2 * p - two_mid;  // < 2^65
    const U ticks = sell ? touch - p : p - touch;                   // < 2^63
    // size < 2^63: the products are < 2^128 and < 2^126.
    if (!add(cum, size) || !add(vs_mid, size * half_ticks) || !add(vs_touch, size * ticks)) {
      return absl::OutOfRangeError("calibration: the book walk overflows 128 bits");
    }
    const double q = static_cast<double>(cum);
    WalkPoint w;
    w.size = q * o.scale.units_per_lot;
    w.vs_mid = static_cast<double>(vs_mid) / (2 * q) * o.scale.price_per_tick;
    w.vs_touch = static_cast<double>(vs_touch) / q * o.scale.price_per_tick;
    if (!std::isfinite(w.size) || !std::isfinite(w.vs_mid)) {
      return absl::OutOfRangeError("calibration: the book walk is not representable");
    }
    out.push_back(w);
  }
  return out;
}

// Least squares y = a + b x over centred sums (fixed order).
struct LineFit {
  double a = 0, b = 0, rms = 0;
};

LineFit FitLine(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  double sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
  }
  LineFit f;
  f.b = sxy / sxx;
  f.a = my - f.b * mx;
  double ss = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double r = y[i] - (f.a + f.b * x[i]);
    ss += r * r;
  }
  f.rms = std::sqrt(ss / n);
  return f;
}

}  // namespace

absl::StatusOr<VolatilityEstimate> EstimateVolatility(std::span<const double> prices,
                                                      const VolatilityOptions& options) {
  if (absl::Status s = PositiveFinite("dt", options.dt); !s.ok()) return s;
  const std::size_t min_prices = options.demean ? 3 : 2;
  if (prices.size() < min_prices) {
    return Bad("prices", absl::StrCat("must have at least ", min_prices, " entries"),
               static_cast<double>(prices.size()));
  }
  for (std::size_t i = 0; i < prices.size(); ++i) {
    if (!std::isfinite(prices[i]) || !(prices[i] > 0)) {
      return Bad("prices", absl::StrCat("must be finite and > 0 (index ", i, ")"), prices[i]);
    }
  }
  const std::size_t n = prices.size() - 1;
  std::vector<double> r(n);
  for (std::size_t i = 0; i < n; ++i) r[i] = std::log(prices[i + 1] / prices[i]);
  double mean = 0;
  if (options.demean) {
    for (double v : r) mean += v;
    mean /= static_cast<double>(n);
  }
  double ss = 0;
  for (double v : r) ss += (v - mean) * (v - mean);
  const double dof = static_cast<double>(options.demean ? n - 1 : n);
  VolatilityEstimate e;
  e.returns = static_cast<int>(n);
  e.mu_log = mean / options.dt;
  e.sigma_log = std::sqrt(ss / (dof * options.dt));
  e.last_price = prices.back();
  e.sigma = e.sigma_log * e.last_price;
  e.alpha = (e.mu_log + 0.5 * e.sigma_log * e.sigma_log) * e.last_price;
  if (!std::isfinite(e.sigma) || !std::isfinite(e.alpha)) {
    return absl::OutOfRangeError("calibration: the volatility is not representable");
  }
  return e;
}

absl::StatusOr<SpreadEstimate> EstimateSpread(std::span<const book::LevelView> bids,
                                              std::span<const book::LevelView> asks,
                                              const BookScale& scale) {
  if (absl::Status s = ValidateScale(scale); !s.ok()) return s;
  if (absl::Status s = ValidateBook(bids, asks); !s.ok()) return s;
  const std::int64_t bid = bids.front().price.raw();
  const std::int64_t ask = asks.front().price.raw();
  SpreadEstimate e;
  e.best_bid = static_cast<double>(bid) * scale.price_per_tick;
  e.best_ask = static_cast<double>(ask) * scale.price_per_tick;
  // ask > bid > 0, so ask - bid cannot overflow.
  e.spread = static_cast<double>(ask - bid) * scale.price_per_tick;
  e.half_spread = 0.5 * e.spread;
  e.mid = e.best_bid + e.half_spread;
  return e;
}

absl::StatusOr<LinearImpactFit> FitLinearImpact(std::span<const book::LevelView> bids,
                                                std::span<const book::LevelView> asks,
                                                const ImpactFitOptions& options) {
  if (absl::Status s = PositiveFinite("interval", options.interval); !s.ok()) return s;
  absl::StatusOr<SpreadEstimate> spread = EstimateSpread(bids, asks, options.scale);
  if (!spread.ok()) return spread.status();
  absl::StatusOr<std::vector<WalkPoint>> walk = Walk(bids, asks, options);
  if (!walk.ok()) return walk.status();
  const absl::string_view side = options.side == book::Side::kSell ? "bids" : "asks";
  if (walk->size() < 2) {
    return Bad(side, "must have at least 2 levels for a linear fit",
               static_cast<double>(walk->size()));
  }
  std::vector<double> x, y;
  for (const WalkPoint& w : *walk) {
    x.push_back(w.size);
    y.push_back(w.vs_mid);
  }
  const LineFit f = FitLine(x, y);
  LinearImpactFit out;
  out.points = static_cast<int>(x.size());
  out.half_spread = spread->half_spread;
  out.fixed_cost = f.a;
  out.slope = f.b;
  out.eta = f.b * options.interval;
  out.rms_error = f.rms;
  if (!std::isfinite(out.eta) || !std::isfinite(out.fixed_cost)) {
    return absl::OutOfRangeError("calibration: the linear impact fit is not representable");
  }
  return out;
}

absl::StatusOr<PowerImpactFit> FitPowerLawImpact(std::span<const book::LevelView> bids,
                                                 std::span<const book::LevelView> asks,
                                                 const ImpactFitOptions& options) {
  if (absl::Status s = PositiveFinite("interval", options.interval); !s.ok()) return s;
  absl::StatusOr<SpreadEstimate> spread = EstimateSpread(bids, asks, options.scale);
  if (!spread.ok()) return spread.status();
  absl::StatusOr<std::vector<WalkPoint>> walk = Walk(bids, asks, options);
  if (!walk.ok()) return walk.status();
  std::vector<double> x, y;
  for (const WalkPoint& w : *walk) {
    if (!(w.vs_touch > 0)) continue;  // still at the touch: no impact beyond the spread
    x.push_back(std::log(w.size));
    y.push_back(std::log(w.vs_touch));
  }
  const absl::string_view side = options.side == book::Side::kSell ? "bids" : "asks";
  if (x.size() < 2) {
    return Bad(side, "must have at least 3 levels (2 beyond the touch) for a power-law fit",
               static_cast<double>(walk->size()));
  }
  const LineFit f = FitLine(x, y);
  PowerImpactFit out;
  out.points = static_cast<int>(x.size());
  out.half_spread = spread->half_spread;
  out.c = std::exp(f.a);
  out.delta = f.b;
  out.eta = out.c * std::pow(options.interval, out.delta);
  out.rms_log_error = f.rms;
  if (!std::isfinite(out.eta) || !std::isfinite(out.c) || !std::isfinite(out.delta)) {
    return absl::OutOfRangeError("calibration: the power-law impact fit is not representable");
  }
  return out;
}

}  // namespace analytics
PERPCORE_NAMESPACE_END
