#include "risk_check.hpp"

#include <algorithm>

#include "valuation.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {
namespace {

using absl::int128;

std::uint32_t LeverageOf(const Market& m, const Position& p, const OrderDelta* d) {
  return d && d->leverage ? d->leverage : EffectiveLeverage(m, p);
}

// Open loss per order, as Binance computes it: a bid above the mark loses
// (price - mark) * lots if it fills at its limit, an ask below the mark
// (mark - price) * lots, and an order on the good side of the mark offsets
// nothing. The delta's orders are priced without touching the ladder.
// O(log k) in the account's price levels on a side, O(1) when no order is
// on the losing side. Internal, with one caller, so that it is inlined into
// the margin check's loop.
risk::OrderExposure Exposure(const Market& m, const Position& p, const OrderDelta* d) {
  const std::int64_t mark = m.mark.raw();
  risk::OrderExposure e{.bid_lots = p.bids.lots(), .ask_lots = p.asks.lots()};
  if (d == nullptr) {
    e.bid_loss = p.bids.Loss(mark);
    e.ask_loss = p.asks.Loss(mark);
    return e;
  }
  e.bid_lots += d->bids.add.lots - d->bids.remove.lots;
  e.ask_lots += d->asks.add.lots - d->asks.remove.lots;
  e.bid_loss = p.bids.Loss(mark, d->bids.add, d->bids.remove);
  e.ask_loss = p.asks.Loss(mark, d->asks.add, d->asks.remove);
  return e;
}

// ceil(withdraw_margin_fraction * notional): the notional rule's share.
int128 NotionalShare(const State& s, int128 notional) {
  const int128 scaled = notional * s.config.withdraw_margin_fraction.raw();
  return (scaled + kRateScale - 1) / kRateScale;
}

int128 WorstCaseScaled(const Market& m, const Position& p, const OrderDelta* d) {
  return risk::WorstCaseScaled(m.tiers, LeverageOf(m, p, d), p.size, m.mark.raw(), m.atoms,
                               Exposure(m, p, d));
}

// Calls fn(position, delta-or-null) for each position with size or open
// orders, and for the delta's market even without a record yet.
template <class Fn>
void ForEachActive(const State& s, const Account& a, const OrderDelta* delta, Fn&& fn) {
  bool delta_seen = false;
  for (const Position& p : a.positions) {
    const OrderDelta* d = delta && delta->market_slot == p.market_slot ? delta : nullptr;
    if (d) delta_seen = true;
    if (p.size == 0 && p.open_orders == 0 && d == nullptr) continue;
    fn(p, d);
  }
  if (delta && !delta_seen) {
    fn(NewPosition(a, s.markets[delta->market_slot], delta->market_slot), delta);
  }
}

}  // namespace

int128 WorstCase(const Market& m, const Position& p, const OrderDelta* d) {
  return risk::CeilScaled(WorstCaseScaled(m, p, d));
}

risk::AccountMargin Evaluate(const State& s, const Account& a, const OrderDelta* delta) {
  risk::AccountMargin r{.equity = a.cash};
  ForEachActive(s, a, delta, [&](const Position& p, const OrderDelta* d) {
    const Market& m = s.markets[p.market_slot];
    const int128 value = Value(m, p, s.now, Basis::kMargin);
    const int128 fee = d ? d->fee : 0;
    const int128 worst = WorstCase(m, p, d);
    if (p.mode == MarginMode::kCross) {
      const Quote notional = ToQuote(Abs(PositionValue(m, p)));
      r.AddCross(value - fee, m.tiers.Initial(notional, LeverageOf(m, p, d)).raw(),
                 m.tiers.Maintenance(notional).raw(), worst);
    } else {
      r.AddIsolated(int128(p.iso_cash) + value - fee, worst);
    }
  });
  return r;
}

// The hot path of every order. The requirement is a sum of terms each
// rounded up once; summed before rounding (no division) it is known to
// within one atom per term, which decides all but the closest calls. Those,
// and accounts already below initial margin, take the exact path.
// A position in another market whose index is not usable counts at its
// stressed value (valuation.hpp): one branch per position, taken only
// there. The delta's own market has a usable index (the callers check it
// first, each in its documented order of checks).
Reason CheckOrderRisk(const State& s, const Account& a, const OrderDelta& delta) {
  PERPCORE_DCHECK(s.markets[delta.market_slot].IndexUsable(s.now));
  int128 equity = a.cash;
  int128 required_scaled = 0;
  int128 terms = 0;
  ForEachActive(s, a, &delta, [&](const Position& p, const OrderDelta* d) {
    const Market& m = s.markets[p.market_slot];
    // The worst case first: the value is not kept live across its call.
    const int128 worst = WorstCaseScaled(m, p, d);
    const int128 value = Value(m, p, s.now, Basis::kMargin);
    const int128 fee = d ? d->fee : 0;
    if (p.mode == MarginMode::kCross) {
      equity += value - fee;
      required_scaled += worst;
    } else {
      required_scaled += std::max<int128>(0, worst - (p.iso_cash + value - fee) * kRateScale);
    }
    terms += 1;
  });
  if (equity * kRateScale >= required_scaled + terms * (kRateScale - 1)) return Reason::kOk;
  const risk::AccountMargin after = Evaluate(s, a, &delta);
  if (after.equity >= after.initial_with_orders) return Reason::kOk;
  // Below initial margin, an order is still fine if it does not raise the
  // requirement: it can only take risk off.
  const risk::AccountMargin before = Evaluate(s, a, nullptr);
  return after.initial_with_orders <= before.initial_with_orders ? Reason::kOk
                                                                 : Reason::kInsufficientMargin;
}

int128 CrossWithdrawable(const State& s, const Account& a) {
  int128 equity = a.cash;
  int128 required = 0;     // initial with orders, and the isolated buckets' draws
  int128 notional = 0;     // of the cross positions, at the mark
  for (const Position& p : a.positions) {
    const Market& m = s.markets[p.market_slot];
    const int128 value = Value(m, p, s.now, Basis::kWithdrawal);
    const int128 worst = WorstCase(m, p, nullptr);
    if (p.mode == MarginMode::kCross) {
      equity += value;
      required += worst;
      notional += Abs(PositionValue(m, p));
    } else {
      required += std::max<int128>(0, worst - (int128(p.iso_cash) + value));
    }
  }
  return std::max<int128>(0, equity - std::max(required, NotionalShare(s, notional)));
}

int128 IsolatedWithdrawable(const State& s, const Market& m, const Position& p) {
  const int128 bucket = int128(p.iso_cash) + Value(m, p, s.now, Basis::kWithdrawal);
  const int128 required =
      std::max(WorstCase(m, p, nullptr), NotionalShare(s, Abs(PositionValue(m, p))));
  return std::max<int128>(0, bucket - required);
}

risk::LiquidationPrice LiquidationOf(const Market& m, const Position& p,
                                     const risk::AccountMargin& r, TimeNs now) {
  if (p.size == 0) return {};
  const int128 value = PositionValue(m, p);
  risk::LiquidationInput in{.size = Lots(p.size), .atoms_per_tick_lot = m.atoms};
  // The position's pending funding stays with the other equity: it does
  // not move with the price.
  if (p.mode == MarginMode::kIsolated) {
    in.other_equity = ToQuote(int128(p.iso_cash) - PendingFunding(m, p, now));
    in.other_maintenance = Quote(0);
  } else {
    // r counts the position on Basis::kMargin (its stressed value without
    // a usable index): that is what leaves with it.
    in.other_equity = ToQuote(r.equity - PriceValue(m, p, now, Basis::kMargin));
    in.other_maintenance = ToQuote(r.maintenance - m.tiers.Maintenance(ToQuote(Abs(value))).raw());
  }
  auto lp = risk::ComputeLiquidationPrice(m.tiers, in);
  return lp.ok() ? *lp : risk::LiquidationPrice{};
}

}  // namespace engine
PERPCORE_NAMESPACE_END
