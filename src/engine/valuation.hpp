// Valuation: the one place a position is valued (size meets price). A
// position's value is size * price * atoms_per_tick_lot at the price its
// use calls for, less the funding it has accrued since it was last settled
// (PendingFunding(): what it owes, < 0 what it is owed), so every margin
// check, summary, preview, withdrawal and liquidation price counts accrued
// funding exactly as settled cash. Requirements stay on the notional at
// the mark (PositionValue()), which funding does not change.
//
// Three bases (Basis), one function (Value):
//   kMark        at the market's mark: the position values and unrealized
//                PnL that views show.
//   kMargin      the margin check of orders (and the exact path behind it),
//                and the equity and requirements of summaries and previews:
//                the mark while the market's index is usable; otherwise the
//                stressed value below, so a market whose oracle went away
//                neither blocks the account's orders in healthy markets nor
//                lends it a profit nobody can see.
//   kWithdrawal  what may leave (withdrawals, transfers out, isolated-margin
//                removal, and free_collateral): losses count in full at the
//                mark; unrealized profit only as MarketParams::withdrawable_pnl
//                allows (kConservativePrice: at the more conservative of the
//                mark and the TWAP, none without a TWAP; kNone: none); while
//                the market's breaker is tripped or its index is not usable,
//                the stressed value.
//   Stressed: no unrealized profit, and the loss at the worse of the mark and
//   the last valid index moved against the position by stress_fraction (a
//   long at floor(last_index * (1 - f)), a short at ceil(last_index *
//   (1 + f))).
// In terms of cost (the signed entry value, so that cash + cost is the
// position's collateral and value - cost its unrealized PnL):
//   withdrawal, healthy: cost + min(pnl(mark), max(0, pnl(twap)))
//   stressed:            cost + min(0, pnl(mark), pnl(stress price))
// Each is at most the mark value: no basis ever values a position above it.
//
// Bounds: admitted sizes and prices keep every product at the mark below
// 2^54 atoms (MarketParams); a stressed short's price is at most twice a
// valid index, so its product stays below 2^55. Results are int128 so that
// sums over markets cannot overflow. Thread safety: pure functions of the
// state.
#ifndef PERPCORE_SRC_ENGINE_VALUATION_HPP_
#define PERPCORE_SRC_ENGINE_VALUATION_HPP_

#include <algorithm>
#include <cstdint>

#include "absl/numeric/int128.h"
#include "state.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {

// Notional(): lots * price * atoms_per_tick_lot, signed as lots: what lots
// of the market are worth at price, in atoms.
inline absl::int128 Notional(const Market& m, absl::int128 lots, std::int64_t price) {
  return lots * price * m.atoms;
}

// PositionValue(): the position's value at the market's mark.
inline absl::int128 PositionValue(const Market& m, const Position& p) {
  return Notional(m, p.size, m.mark.raw());
}

// PendingFunding(): the funding the position accrued since it was last
// settled, in atoms, at `now` (FundingIndexAt(): the funding due at the
// command's time included before the market advances): funding::Owed()
// from its settled index (> 0 it owes, < 0 it is owed; rounded against the
// account, as settling rounds it).
inline absl::int128 PendingFunding(const Market& m, const Position& p, TimeNs now) {
  if (p.size == 0) return 0;
  const absl::int128 index = FundingIndexAt(m, now);
  if (p.funding_index == index) return 0;
  return funding::Owed(index, p.funding_index, p.size);
}

// BucketEquity(): an isolated position's bucket plus its value at the mark,
// its pending funding counted.
inline absl::int128 BucketEquity(const Market& m, const Position& p, TimeNs now) {
  return absl::int128(p.iso_cash) + PositionValue(m, p) - PendingFunding(m, p, now);
}

// StressPrice(): the last valid index moved against a position on the
// given side by the market's stress_fraction, rounded against it (a long
// down, a short up); the mark if the market never had an index.
inline std::int64_t StressPrice(const Market& m, bool long_side) {
  const absl::int128 index = m.last_index.raw() > 0 ? m.last_index.raw() : m.mark.raw();
  const absl::int128 f = m.params.stress_fraction.raw();
  if (long_side) return static_cast<std::int64_t>(index * (kRateScale - f) / kRateScale);
  const absl::int128 up = index * (kRateScale + f);
  return static_cast<std::int64_t>((up + kRateScale - 1) / kRateScale);
}

// StressedValue(): no unrealized profit; the loss at the worse of the mark
// and StressPrice(). Out of line of the order path's loop (cold).
[[gnu::noinline]] inline absl::int128 StressedValue(const Market& m, const Position& p) {
  if (p.size == 0) return 0;
  const absl::int128 at_mark = PositionValue(m, p);
  const absl::int128 at_stress = Notional(m, p.size, StressPrice(m, p.size > 0));
  return std::min({absl::int128(p.cost), at_mark, at_stress});
}

// ConservativeValue(): the withdrawal basis of a market whose index is usable
// and whose breaker is clear: the loss at the mark in full, the profit at
// the more conservative of the mark and the TWAP (or none, per the market).
inline absl::int128 ConservativeValue(const Market& m, const Position& p) {
  const absl::int128 at_mark = PositionValue(m, p);
  const absl::int128 cost = p.cost;
  if (at_mark <= cost) return at_mark;  // a loss (or nothing): in full
  const std::int64_t twap = m.feed.twap().raw();
  if (m.params.withdrawable_pnl == WithdrawablePnl::kNone || twap <= 0) return cost;
  const absl::int128 twap_pnl = Notional(m, p.size, twap) - cost;
  return cost + std::min(at_mark - cost, std::max<absl::int128>(0, twap_pnl));
}

// Basis: what a value is for (see the file comment).
enum class Basis : std::uint8_t { kMark, kMargin, kWithdrawal };

// PriceValue(): the position's value on `basis` at `now` before funding,
// in atoms: the part that moves with the price (a liquidation price solves
// for it).
inline absl::int128 PriceValue(const Market& m, const Position& p, TimeNs now, Basis basis) {
  switch (basis) {
    case Basis::kMark:
      return PositionValue(m, p);
    case Basis::kMargin: {
      // The mark value first, replaced on the cold path only: the order
      // path's loop stays one multiply and a rarely taken branch.
      absl::int128 v = PositionValue(m, p);
      if (!m.IndexUsable(now)) [[unlikely]] v = StressedValue(m, p);
      return v;
    }
    case Basis::kWithdrawal:
      if (m.feed.breaker() || !m.IndexUsable(now)) return StressedValue(m, p);
      return ConservativeValue(m, p);
  }
  return PositionValue(m, p);
}

// Value(): the position's value on `basis` at `now`, in atoms: PriceValue()
// less its pending funding.
inline absl::int128 Value(const Market& m, const Position& p, TimeNs now, Basis basis) {
  return PriceValue(m, p, now, basis) - PendingFunding(m, p, now);
}

// MaintenanceOf(): the position's maintenance requirement at the mark, in
// atoms (rounded up, risk::TierTable::Maintenance()).
inline absl::int128 MaintenanceOf(const Market& m, const Position& p) {
  return m.tiers.Maintenance(ToQuote(Abs(PositionValue(m, p)))).raw();
}

// HealthPart(): what the position adds to its bucket's health (equity -
// maintenance, liquidation's basis: at the mark, pending funding counted):
// its value at the mark less its pending funding and its maintenance.
inline absl::int128 HealthPart(const Market& m, const Position& p, TimeNs now) {
  return PositionValue(m, p) - PendingFunding(m, p, now) - MaintenanceOf(m, p);
}

}  // namespace engine
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_SRC_ENGINE_VALUATION_HPP_
