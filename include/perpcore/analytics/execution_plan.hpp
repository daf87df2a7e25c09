// -----------------------------------------------------------------------------
// File: perpcore/analytics/execution_plan.hpp
// -----------------------------------------------------------------------------
//
// A plan a person can act on: turns an execution schedule (holdings x_0 = X
// ... x_N = 0, e.g. from OptimalSchedule) into child orders a host can send
// to the engine, with the expected cost broken down and a one-sentence
// rationale generated from the numbers.
//
// Child orders: one per interval with a non-zero trade, at the start of the
// interval (start_ns + (k - 1) * tau). Sizes are whole lots: the trades are
// converted to lots and rounded by the largest-remainder rule (ties to the
// earlier interval), so the children add up to X exactly and no child is off
// by a lot or more from its trade. Each child is priced by walking the
// opposite side of the book snapshot: a child that fits in the best level is
// a limit order at that price ("at the touch"); a larger one is a market
// order whose protection price is the level its size reaches (the last
// level when the book is too thin).
//
// Expected cost (currency), summed along the schedule as in
// EvaluateSchedule():
//   impact   gamma X^2 / 2 + (eta_tilde / tau) * sum n_k^2
//   spread   epsilon * sum |n_k|
//   fees     fee_rate * price * sum |n_k|
//   funding  sum_k funding[k] * price * position_k, with position_k the
//            position held during interval k: x_k for a sale (liquidating a
//            long), |X| - |x_k| for a purchase (building a long); a positive
//            rate means longs pay
//   drift    -alpha * tau * sum x_k
//   stddev   sqrt(V), V = sigma^2 tau sum x_k^2.
// The single-order slippage is the volume-weighted price of walking the
// whole size through the snapshot, against the mid, as a fraction.
//
// Rationale: one sentence, built only from these numbers with fixed
// formatting, so the same inputs always give the same text.
//
// Units: holdings and AcParams in base units and currency per base unit;
// AcParams time unit = time_unit_ns nanoseconds; the book in ticks and lots
// of the market (tick_size: currency per base unit per tick; lot_size: base
// units per lot). Doubles only (analytics); children enter the engine as
// integer lots and ticks.
// Errors: kInvalidArgument naming the field (the AcParams rules of
// EvaluateSchedule, a holdings path of the wrong length or not from X to 0,
// non-positive or non-finite price, tick_size, lot_size or time_unit_ns, a
// negative or non-finite fee or funding rate, funding of a length other than
// 0 or N, X not a whole number of lots, an empty or unsorted book side).
// Complexity: O(N + levels * children).
// Thread safety: pure function.
//
// EstimateShortfall() scores children (a Plan's, or any) against a book
// snapshot such as the engine's Depth query (a query: nothing is mutated).
// Each child walks the opposite side best level first and stops at its
// price (a limit child's limit, a market child's protection price), taking
// whole lots at each level's price. Two views of how the book recovers
// between children bracket what a live run sees:
//   kDepleting  the children take from one snapshot in turn; what an earlier
//               child took is gone (the book never refills: the cost of
//               sending every child now, so later children may go unfilled);
//   kResilient  every child sees the whole snapshot (the book refills fully
//               between children, as the model's temporary impact assumes).
// Shortfall (currency) against the arrival price S0, for the filled part:
//   sale      S0 * filled - proceeds + fees
//   purchase  cost - S0 * filled + fees,   fees = fee_rate * notional.
// Positive is a cost. Notionals are summed exactly in ticks x lots (128-bit)
// and converted once; unfilled lots are reported, not priced.
// Errors: kInvalidArgument naming the field (no children, children on both
// sides or with size or price <= 0, non-positive or non-finite
// arrival_price, tick_size or lot_size, a negative or non-finite fee_rate,
// an unknown recovery, an empty or unsorted opposite side).
// Complexity: O(children * levels).
#ifndef PERPCORE_ANALYTICS_EXECUTION_PLAN_HPP_
#define PERPCORE_ANALYTICS_EXECUTION_PLAN_HPP_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "perpcore/analytics/execution.hpp"
#include "perpcore/book/types.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace analytics {

// PlanInput
struct PlanInput {
  AcParams model;                           // shares > 0 sells, < 0 buys
  std::span<const double> holdings;         // N + 1 values, X ... 0
  double price = 0;                         // mid price, currency per base unit
  double fee_rate = 0;                      // taker fee, fraction of notional, >= 0
  std::span<const double> funding;          // per interval, fraction of notional; or empty
  double time_unit_ns = 1e9;                // nanoseconds per model time unit
  std::int64_t start_ns = 0;                // when the first child goes
  double tick_size = 0;                     // currency per base unit per tick
  double lot_size = 0;                      // base units per lot
  std::span<const book::LevelView> opposite;  // the side the orders take from, best first
};

// ChildOrder: what to send to the engine (as an IOC for a limit child).
struct ChildOrder {
  std::int64_t time_ns = 0;
  book::Side side = book::Side::kSell;
  book::OrderType type = book::OrderType::kLimit;
  Ticks price;  // the limit, or a market order's protection price
  Lots size;
};

// CostBreakdown: expected costs in currency (see the file comment).
struct CostBreakdown {
  double impact = 0;
  double spread = 0;
  double fees = 0;
  double funding = 0;
  double drift = 0;
  double total = 0;
  double stddev = 0;
};

// Plan
struct Plan {
  std::vector<ChildOrder> children;
  CostBreakdown expected;
  double single_order_slippage = 0;  // fraction of the mid
  bool book_too_thin = false;        // the snapshot cannot fill the whole size
  std::string rationale;
};

// MakePlan()
//
// See the file comment.
absl::StatusOr<Plan> MakePlan(const PlanInput& in);

enum class BookRecovery : int { kDepleting = 0, kResilient = 1 };

// ShortfallInput
struct ShortfallInput {
  std::span<const ChildOrder> children;       // one side; e.g. Plan::children
  double arrival_price = 0;                   // S0, currency per base unit
  double fee_rate = 0;                        // taker fee, fraction of notional, >= 0
  double tick_size = 0;                       // currency per base unit per tick
  double lot_size = 0;                        // base units per lot
  std::span<const book::LevelView> opposite;  // the side the children take from, best first
  BookRecovery recovery = BookRecovery::kDepleting;
};

// ChildFill: one child's walk (money in currency; average 0 if nothing filled).
struct ChildFill {
  Lots filled;
  Lots unfilled;
  double average_price = 0;
  double notional = 0;
  double fees = 0;
  double shortfall = 0;
};

// ShortfallEstimate: per child, then the totals (see the file comment).
struct ShortfallEstimate {
  std::vector<ChildFill> fills;
  Lots filled;
  Lots unfilled;
  double average_price = 0;
  double notional = 0;
  double fees = 0;
  double shortfall = 0;
  double shortfall_bp = 0;  // shortfall / (S0 * filled), in basis points
};

// EstimateShortfall()
//
// See the file comment.
absl::StatusOr<ShortfallEstimate> EstimateShortfall(const ShortfallInput& in);

}  // namespace analytics
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_ANALYTICS_EXECUTION_PLAN_HPP_
