#include "perpcore/analytics/execution_plan.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "perpcore/detail/status_macros.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace analytics {
namespace {

absl::Status Bad(absl::string_view field, absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat("MakePlan: ", field, " ", rule));
}

// What walking `lots` through the levels gives: how much fills, the exact
// sum of price * size, and the last level it touched. `limit` (0: none) stops
// the walk at the first level worse than it (below it for a sale, above it
// for a purchase). `taken` (empty, or one entry per level) holds what earlier
// walks took from each level and is updated, so walks can deplete one book.
struct Walk {
  std::int64_t filled = 0;
  absl::int128 ticks_lots = 0;
  std::int64_t last_price = 0;
};

Walk WalkBook(std::span<const book::LevelView> levels, std::int64_t lots, bool sell = true,
              std::int64_t limit = 0, std::span<std::int64_t> taken = {}) {
  Walk w;
  for (std::size_t i = 0; i < levels.size(); ++i) {
    const book::LevelView& lv = levels[i];
    if (w.filled == lots) break;
    if (limit != 0 && (sell ? lv.price.raw() < limit : lv.price.raw() > limit)) break;
    const std::int64_t available = lv.total.raw() - (taken.empty() ? 0 : taken[i]);
    const std::int64_t take = std::min(available, lots - w.filled);
    if (take <= 0) continue;
    if (!taken.empty()) taken[i] += take;
    w.filled += take;
    w.ticks_lots += absl::int128(lv.price.raw()) * take;
    w.last_price = lv.price.raw();
  }
  return w;
}

// The opposite side must run from the best level outwards: bids fall, asks rise.
absl::Status CheckSide(absl::string_view fn, std::span<const book::LevelView> levels, bool sell) {
  if (levels.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(fn, ": opposite must hold at least one level"));
  }
  for (std::size_t i = 0; i < levels.size(); ++i) {
    const book::LevelView& lv = levels[i];
    if (lv.price.raw() <= 0 || lv.total.raw() <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(fn, ": opposite levels must have positive prices and sizes"));
    }
    if (i > 0 && (sell ? lv.price >= levels[i - 1].price : lv.price <= levels[i - 1].price)) {
      return absl::InvalidArgumentError(
          absl::StrCat(fn, ": opposite levels must be sorted best first"));
    }
  }
  return absl::OkStatus();
}

double ToDouble(absl::int128 v) { return static_cast<double>(v); }

// Fixed formatting only (no locale, no shortest round trip): the text must
// not change between machines or library versions.
std::string Money(double v) { return absl::StrFormat("%.2f", v); }

std::string Duration(double seconds) {
  if (seconds >= 86400) return absl::StrFormat("%.4g days", seconds / 86400);
  if (seconds >= 3600) return absl::StrFormat("%.4g hours", seconds / 3600);
  if (seconds >= 60) return absl::StrFormat("%.4g minutes", seconds / 60);
  return absl::StrFormat("%.4g seconds", seconds);
}

// Trades n_k in lots, rounded so they add up to `total` exactly: floor each,
// then hand the missing lots to the largest remainders (earlier interval on
// a tie). All trades have the sign of total (or are 0).
std::vector<std::int64_t> QuantizeTrades(const std::vector<double>& lots, std::int64_t total) {
  std::vector<std::int64_t> out(lots.size());
  std::vector<std::pair<double, std::size_t>> remainders;
  std::int64_t sum = 0;
  for (std::size_t k = 0; k < lots.size(); ++k) {
    const double floor_k = std::floor(lots[k]);
    out[k] = static_cast<std::int64_t>(floor_k);
    sum += out[k];
    remainders.emplace_back(lots[k] - floor_k, k);
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t i = 0; sum < total && i < remainders.size(); ++i, ++sum) {
    out[remainders[i].second] += 1;
  }
  return out;
}

}  // namespace

absl::StatusOr<Plan> MakePlan(const PlanInput& in) {
  const AcParams& p = in.model;
  PERPCORE_ASSIGN_OR_RETURN(const AcCost cost, EvaluateSchedule(p, in.holdings));
  const auto positive = [](double v) { return std::isfinite(v) && v > 0; };
  if (!positive(in.price)) return Bad("price", "must be finite and > 0");
  if (!positive(in.tick_size)) return Bad("tick_size", "must be finite and > 0");
  if (!positive(in.lot_size)) return Bad("lot_size", "must be finite and > 0");
  if (!positive(in.time_unit_ns)) return Bad("time_unit_ns", "must be finite and > 0");
  if (!std::isfinite(in.fee_rate) || in.fee_rate < 0) {
    return Bad("fee_rate", "must be finite and >= 0");
  }
  const std::size_t n = static_cast<std::size_t>(p.intervals);
  if (!in.funding.empty() && in.funding.size() != n) {
    return Bad("funding", "must be empty or have one rate per interval");
  }
  for (double f : in.funding) {
    if (!std::isfinite(f)) return Bad("funding", "rates must be finite");
  }
  const bool sell = p.shares > 0;
  PERPCORE_RETURN_IF_ERROR(CheckSide("MakePlan", in.opposite, sell));
  const double total_lots_exact = std::fabs(p.shares) / in.lot_size;
  const double total_lots = std::round(total_lots_exact);
  if (std::fabs(total_lots - total_lots_exact) > 1e-9 * std::max(1.0, total_lots) ||
      total_lots > 9e15) {
    return Bad("model.shares", "must be a whole number of lots (below 2^53)");
  }

  Plan plan;
  const double tau = p.horizon / p.intervals;
  const double eta_tilde = p.eta - 0.5 * p.gamma * tau;
  double sum_sq = 0, sum_abs = 0, sum_x = 0, funding = 0;
  std::vector<double> trade_lots(n);
  for (std::size_t k = 1; k <= n; ++k) {
    const double trade = in.holdings[k - 1] - in.holdings[k];
    if (sell ? trade < 0 : trade > 0) {
      return Bad("holdings", "must move toward 0 in every interval (a one-sided schedule)");
    }
    sum_sq += trade * trade;
    sum_abs += std::fabs(trade);
    sum_x += in.holdings[k];
    trade_lots[k - 1] = std::fabs(trade) / in.lot_size;
    if (!in.funding.empty()) {
      const double position =
          sell ? in.holdings[k] : std::fabs(p.shares) - std::fabs(in.holdings[k]);
      funding += in.funding[k - 1] * in.price * position;
    }
  }
  CostBreakdown& e = plan.expected;
  e.impact = 0.5 * p.gamma * p.shares * p.shares + eta_tilde / tau * sum_sq;
  e.spread = p.epsilon * sum_abs;
  e.fees = in.fee_rate * in.price * sum_abs;
  e.funding = funding;
  e.drift = -p.alpha * tau * sum_x;
  e.total = e.impact + e.spread + e.fees + e.funding + e.drift;
  e.stddev = std::sqrt(cost.variance);

  // The whole size as one market order, against the mid.
  const auto total = static_cast<std::int64_t>(total_lots);
  const Walk all = WalkBook(in.opposite, total);
  plan.book_too_thin = all.filled < total;
  if (all.filled > 0) {
    const double average = ToDouble(all.ticks_lots) / static_cast<double>(all.filled) * in.tick_size;
    plan.single_order_slippage = std::fabs(average - in.price) / in.price;
  }

  const book::Side side = sell ? book::Side::kSell : book::Side::kBuy;
  const std::vector<std::int64_t> lots = QuantizeTrades(trade_lots, total);
  for (std::size_t k = 0; k < n; ++k) {
    if (lots[k] == 0) continue;
    const Walk w = WalkBook(in.opposite, lots[k]);
    const bool at_touch = lots[k] <= in.opposite.front().total.raw();
    plan.children.push_back(ChildOrder{
        .time_ns = in.start_ns + static_cast<std::int64_t>(std::llround(
                                     static_cast<double>(k) * tau * in.time_unit_ns)),
        .side = side,
        .type = at_touch ? book::OrderType::kLimit : book::OrderType::kMarket,
        .price = Ticks(at_touch ? in.opposite.front().price.raw() : w.last_price),
        .size = Lots(lots[k])});
  }

  const std::string size_text = absl::StrFormat("%.10g", std::fabs(p.shares));
  const std::string book_text =
      plan.book_too_thin
          ? absl::StrFormat("could fill only %.10g of %s on the current book (slipping %.3f%% on "
                            "that part)",
                            static_cast<double>(all.filled) * in.lot_size, size_text,
                            100 * plan.single_order_slippage)
          : absl::StrFormat("would slip %.3f%% on the current book", 100 * plan.single_order_slippage);
  const std::string split_text =
      plan.children.size() == 1
          ? std::string("so it goes as one order now")
          : absl::StrFormat("so the %s is split into %d child orders over %s",
                            sell ? "sale" : "purchase", static_cast<int>(plan.children.size()),
                            Duration(p.horizon * in.time_unit_ns / 1e9));
  plan.rationale = absl::StrCat(
      "A single market order for ", size_text, " ", book_text, ", ", split_text,
      ": expected cost ", Money(e.total), " (impact ", Money(e.impact), ", spread ",
      Money(e.spread), ", fees ", Money(e.fees), ", funding ", Money(e.funding),
      e.drift != 0 ? absl::StrCat(", drift ", Money(e.drift)) : std::string(),
      "), standard deviation ", Money(e.stddev), ".");
  return plan;
}

absl::StatusOr<ShortfallEstimate> EstimateShortfall(const ShortfallInput& in) {
  const auto bad = [](absl::string_view field, absl::string_view rule) {
    return absl::InvalidArgumentError(absl::StrCat("EstimateShortfall: ", field, " ", rule));
  };
  const auto positive = [](double v) { return std::isfinite(v) && v > 0; };
  if (in.children.empty()) return bad("children", "must hold at least one order");
  if (!positive(in.arrival_price)) return bad("arrival_price", "must be finite and > 0");
  if (!positive(in.tick_size)) return bad("tick_size", "must be finite and > 0");
  if (!positive(in.lot_size)) return bad("lot_size", "must be finite and > 0");
  if (!std::isfinite(in.fee_rate) || in.fee_rate < 0) {
    return bad("fee_rate", "must be finite and >= 0");
  }
  if (in.recovery != BookRecovery::kDepleting && in.recovery != BookRecovery::kResilient) {
    return bad("recovery", "is not a BookRecovery value");
  }
  const book::Side side = in.children.front().side;
  const bool sell = side == book::Side::kSell;
  for (const ChildOrder& c : in.children) {
    if (c.side != side) return bad("children", "must all be on one side");
    if (c.size.raw() <= 0) return bad("children", "sizes must be > 0");
    if (c.price.raw() <= 0) return bad("children", "prices (limits) must be > 0");
  }
  PERPCORE_RETURN_IF_ERROR(CheckSide("EstimateShortfall", in.opposite, sell));

  ShortfallEstimate out;
  out.fills.reserve(in.children.size());
  std::vector<std::int64_t> taken;
  if (in.recovery == BookRecovery::kDepleting) taken.assign(in.opposite.size(), 0);
  absl::int128 filled = 0, unfilled = 0, ticks_lots = 0;
  const double atom = in.tick_size * in.lot_size;  // currency per tick-lot
  // Against the arrival price, fees included: a sale receives the notional,
  // a purchase pays it.
  const auto shortfall = [&](double notional, double lots) {
    const double at_arrival = in.arrival_price * lots * in.lot_size;
    return (sell ? at_arrival - notional : notional - at_arrival) + in.fee_rate * notional;
  };
  for (const ChildOrder& c : in.children) {
    const Walk w = WalkBook(in.opposite, c.size.raw(), sell, c.price.raw(), taken);
    ChildFill f;
    f.filled = Lots(w.filled);
    f.unfilled = Lots(c.size.raw() - w.filled);
    f.notional = ToDouble(w.ticks_lots) * atom;
    if (w.filled > 0) {
      f.average_price = ToDouble(w.ticks_lots) / static_cast<double>(w.filled) * in.tick_size;
      f.fees = in.fee_rate * f.notional;
      f.shortfall = shortfall(f.notional, static_cast<double>(w.filled));
    }
    filled += w.filled;
    unfilled += c.size.raw() - w.filled;
    ticks_lots += w.ticks_lots;
    out.fills.push_back(f);
  }
  out.filled = Lots(static_cast<std::int64_t>(filled));
  out.unfilled = Lots(static_cast<std::int64_t>(unfilled));
  // Totals from the exact sums, not from the per-child doubles.
  out.notional = ToDouble(ticks_lots) * atom;
  out.fees = in.fee_rate * out.notional;
  out.shortfall = shortfall(out.notional, ToDouble(filled));
  if (filled > 0) {
    out.average_price = ToDouble(ticks_lots) / ToDouble(filled) * in.tick_size;
    out.shortfall_bp = 1e4 * out.shortfall / (in.arrival_price * ToDouble(filled) * in.lot_size);
  }
  return out;
}

}  // namespace analytics
PERPCORE_NAMESPACE_END
