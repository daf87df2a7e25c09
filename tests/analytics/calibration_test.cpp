#include "perpcore/analytics/calibration.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace perpcore::analytics {
namespace {

using book::LevelView;

LevelView Level(std::int64_t price, std::int64_t size) {
  LevelView l;
  l.price = Ticks(price);
  l.total = Lots(size);
  l.orders = 1;
  return l;
}

template <class T>
void ExpectInvalid(const absl::StatusOr<T>& r, const std::string& parameter) {
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
  CAPTURE(r.status().message(), parameter);
  CHECK(r.status().message().find(parameter) != absl::string_view::npos);
}

TEST_CASE("Calibration: sigma and mu from a series with known log-returns",
          "[analytics][calibration]") {
  const std::vector<double> r = {0.01, -0.02, 0.015, 0.003, -0.007, 0.02, -0.011};
  std::vector<double> prices = {100.0};
  for (double v : r) prices.push_back(prices.back() * std::exp(v));
  const double dt = 1.0 / 24;
  const double n = static_cast<double>(r.size());
  double mean = 0;
  for (double v : r) mean += v / n;
  double ss = 0, ss0 = 0;
  for (double v : r) {
    ss += (v - mean) * (v - mean);
    ss0 += v * v;
  }
  const double sigma_log = std::sqrt(ss / ((n - 1) * dt));

  const absl::StatusOr<VolatilityEstimate> e = EstimateVolatility(prices, {dt, true});
  REQUIRE(e.ok());
  CHECK(e->returns == 7);
  CHECK(e->mu_log == Approx(mean / dt).epsilon(1e-12));
  CHECK(e->sigma_log == Approx(sigma_log).epsilon(1e-12));
  CHECK(e->last_price == prices.back());
  CHECK(e->sigma == Approx(sigma_log * prices.back()).epsilon(1e-12));
  CHECK(e->alpha ==
        Approx((mean / dt + 0.5 * sigma_log * sigma_log) * prices.back()).epsilon(1e-12));

  const absl::StatusOr<VolatilityEstimate> z = EstimateVolatility(prices, {dt, false});
  REQUIRE(z.ok());
  CHECK(z->mu_log == 0);
  CHECK(z->sigma_log == Approx(std::sqrt(ss0 / (n * dt))).epsilon(1e-12));
}

TEST_CASE("Calibration: a constant log-return is pure drift", "[analytics][calibration]") {
  std::vector<double> prices = {50.0};
  for (int i = 0; i < 100; ++i) prices.push_back(prices.back() * std::exp(0.001));
  const absl::StatusOr<VolatilityEstimate> e = EstimateVolatility(prices, {0.5, true});
  REQUIRE(e.ok());
  CHECK(e->mu_log == Approx(0.002).epsilon(1e-9));
  CHECK(e->sigma_log == Approx(0).margin(1e-9));
}

TEST_CASE("Calibration: the spread comes from the best levels", "[analytics][calibration]") {
  const std::vector<LevelView> bids = {Level(1000, 5), Level(999, 7)};
  const std::vector<LevelView> asks = {Level(1003, 2), Level(1010, 1)};
  const absl::StatusOr<SpreadEstimate> s = EstimateSpread(bids, asks, {0.5, 0.001});
  REQUIRE(s.ok());
  CHECK(s->best_bid == 500.0);
  CHECK(s->best_ask == 501.5);
  CHECK(s->spread == 1.5);
  CHECK(s->half_spread == 0.75);
  CHECK(s->mid == 500.75);
}

// A side whose levels have equal size `size` and lie at half spread e ticks,
// then every d ticks further, from the mid 2 * half_mid / 2.
std::vector<LevelView> LinearSide(bool bids, std::int64_t mid2, std::int64_t e2, std::int64_t d,
                                  std::int64_t size, int levels) {
  std::vector<LevelView> out;
  for (int j = 0; j < levels; ++j) {
    const std::int64_t off2 = e2 + 2 * d * j;  // in half-ticks
    out.push_back(Level(bids ? (mid2 - off2) / 2 : (mid2 + off2) / 2, size));
  }
  return out;
}

TEST_CASE("Calibration: a linear book gives back eta exactly", "[analytics][calibration]") {
  // mid 1000.5 ticks (bid 1000, ask 1001: half spread 0.5 tick); levels of
  // 40 lots every 3 ticks. Exact walk: s(Q) = (e - d / 2) + d / (2 L) Q.
  const std::int64_t mid2 = 2001, e2 = 1, d = 3, lots = 40;
  const std::vector<LevelView> bids = LinearSide(true, mid2, e2, d, lots, 12);
  const std::vector<LevelView> asks = LinearSide(false, mid2, e2, d, 10, 12);
  REQUIRE(bids.front().price.raw() == 1000);
  REQUIRE(asks.front().price.raw() == 1001);
  const BookScale scale{0.01, 0.1};  // price units per tick, units per lot
  ImpactFitOptions o;
  o.side = book::Side::kSell;
  o.interval = 60;
  o.scale = scale;
  const absl::StatusOr<LinearImpactFit> f = FitLinearImpact(bids, asks, o);
  REQUIRE(f.ok());
  const double k = d * scale.price_per_tick / (2 * lots * scale.units_per_lot);
  CHECK(f->points == 12);
  CHECK(f->half_spread == Approx(0.005).epsilon(1e-12));
  CHECK(f->slope == Approx(k).epsilon(1e-12));
  CHECK(f->fixed_cost == Approx(0.005 - d * scale.price_per_tick / 2).margin(1e-12));
  CHECK(f->eta == Approx(k * 60).epsilon(1e-12));
  CHECK(f->rms_error == Approx(0).margin(1e-12));

  // The buy side walks the asks (10 lots every 3 ticks).
  o.side = book::Side::kBuy;
  const absl::StatusOr<LinearImpactFit> b = FitLinearImpact(bids, asks, o);
  REQUIRE(b.ok());
  CHECK(b->slope == Approx(3 * 0.01 / (2 * 10 * 0.1)).epsilon(1e-12));
}

TEST_CASE("Calibration: a power-law book gives back c and delta", "[analytics][calibration]") {
  // Shortfall against the touch B(Q) = c Q^(1 + delta) at the cumulative
  // depths Q_j = 1 + (j - 1) L, j >= 2: level j sits (B(Q_j) - B(Q_{j-1})) / L
  // below the touch, with B(Q_1) = 0 since the first level (1 lot, kept small
  // so the level prices stay monotone) is the touch. Prices are rounded to
  // whole ticks; with a tick of 1e-9 price units that is below 1e-9 relative.
  for (double delta : {0.5, 0.6, 1.3}) {
    const double c = 0.02, tick = 1e-9;
    const std::int64_t lots = 25;
    const std::int64_t best_bid = 1'000'000'000'000;  // 1000 price units
    std::vector<LevelView> bids = {Level(best_bid, 1)};
    double prev_b = 0;
    for (int j = 2; j <= 15; ++j) {
      const double q = static_cast<double>(1 + (j - 1) * lots);
      const double b = c * std::pow(q, 1 + delta);
      const double offset = (b - prev_b) / static_cast<double>(lots);  // price units
      prev_b = b;
      bids.push_back(Level(best_bid - std::llround(offset / tick), lots));
    }
    const std::vector<LevelView> asks = {Level(best_bid + 2'000'000, 1)};
    ImpactFitOptions o;
    o.scale = {tick, 1};
    o.interval = 4;
    CAPTURE(delta);
    const absl::StatusOr<PowerImpactFit> f = FitPowerLawImpact(bids, asks, o);
    REQUIRE(f.ok());
    CHECK(f->points == 14);
    CHECK(f->half_spread == Approx(1e-3).epsilon(1e-9));
    CHECK(f->delta == Approx(delta).margin(1e-7));
    CHECK(f->c == Approx(c).epsilon(1e-6));
    CHECK(f->eta == Approx(c * std::pow(4.0, delta)).epsilon(1e-6));
    CHECK(f->rms_log_error < 1e-8);

    // The linear fit of a convex (delta > 1) or concave curve has residuals.
    const absl::StatusOr<LinearImpactFit> lin = FitLinearImpact(bids, asks, o);
    REQUIRE(lin.ok());
    CHECK(lin->rms_error > 0);
  }
}

TEST_CASE("Calibration: bad input is refused with the parameter named",
          "[analytics][calibration]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> good = {100, 101, 99};
  REQUIRE(EstimateVolatility(good, {}).ok());
  ExpectInvalid(EstimateVolatility(std::vector<double>{100, 101}, {}), "prices");
  ExpectInvalid(EstimateVolatility(std::vector<double>{}, {1, false}), "prices");
  REQUIRE(EstimateVolatility(std::vector<double>{100, 101}, {1, false}).ok());
  ExpectInvalid(EstimateVolatility(std::vector<double>{100, 0, 99}, {}), "prices");
  ExpectInvalid(EstimateVolatility(std::vector<double>{100, -1, 99}, {}), "prices");
  ExpectInvalid(EstimateVolatility(std::vector<double>{100, nan, 99}, {}), "prices");
  ExpectInvalid(EstimateVolatility(good, {0, true}), "dt");
  ExpectInvalid(EstimateVolatility(good, {-1, true}), "dt");
  ExpectInvalid(EstimateVolatility(good, {nan, true}), "dt");

  const std::vector<LevelView> bids = {Level(100, 1), Level(99, 1), Level(98, 1)};
  const std::vector<LevelView> asks = {Level(101, 1), Level(102, 1), Level(103, 1)};
  const std::vector<LevelView> none;
  REQUIRE(EstimateSpread(bids, asks).ok());
  REQUIRE(FitLinearImpact(bids, asks).ok());
  REQUIRE(FitPowerLawImpact(bids, asks).ok());
  ExpectInvalid(EstimateSpread(none, none), "bids");
  ExpectInvalid(EstimateSpread(bids, none), "asks");
  ExpectInvalid(EstimateSpread(none, asks), "bids");
  ExpectInvalid(FitLinearImpact(bids, none), "asks");
  ExpectInvalid(FitPowerLawImpact(none, asks), "bids");
  ExpectInvalid(EstimateSpread(std::vector<LevelView>{Level(99, 1), Level(100, 1)}, asks),
                "bids");  // unsorted
  ExpectInvalid(EstimateSpread(std::vector<LevelView>{Level(100, 1), Level(100, 1)}, asks),
                "bids");  // duplicate level
  ExpectInvalid(EstimateSpread(bids, std::vector<LevelView>{Level(102, 1), Level(101, 1)}),
                "asks");
  ExpectInvalid(EstimateSpread(std::vector<LevelView>{Level(0, 1)}, asks), "bids");
  ExpectInvalid(EstimateSpread(std::vector<LevelView>{Level(-5, 1)}, asks), "bids");
  ExpectInvalid(EstimateSpread(bids, std::vector<LevelView>{Level(101, 0)}), "asks");
  ExpectInvalid(EstimateSpread(bids, std::vector<LevelView>{Level(100, 1)}), "asks");  // locked
  ExpectInvalid(EstimateSpread(bids, std::vector<LevelView>{Level(99, 1)}), "asks");   // crossed
  ExpectInvalid(EstimateSpread(bids, asks, {0, 1}), "price_per_tick");
  ExpectInvalid(EstimateSpread(bids, asks, {1, nan}), "units_per_lot");

  ImpactFitOptions o;
  o.interval = 0;
  ExpectInvalid(FitLinearImpact(bids, asks, o), "interval");
  ExpectInvalid(FitPowerLawImpact(bids, asks, o), "interval");
  o = {};
  o.side = static_cast<book::Side>(7);
  ExpectInvalid(FitLinearImpact(bids, asks, o), "side");
  // Too shallow to fit.
  ExpectInvalid(FitLinearImpact(std::vector<LevelView>{Level(100, 1)}, asks), "bids");
  ExpectInvalid(FitPowerLawImpact(std::vector<LevelView>{Level(100, 1), Level(99, 1)}, asks),
                "bids");
  o = {};
  o.side = book::Side::kBuy;
  ExpectInvalid(FitLinearImpact(bids, std::vector<LevelView>{Level(101, 1)}, o), "asks");
}

}  // namespace
}  // namespace perpcore::analytics
