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
    if (!m.IndexUsable(s.now)) r.missing_price = true;
    const int128 value = PositionValue(m, p);
    const int128 fee = d ? d->fee : 0;
    const int128 worst = WorstCase(m, p, d);
    if (p.mode == MarginMode::kCross) {
      const Quote notional = ToQuote(Abs(value));
      r.AddCross(value - fee, m.tiers.Initial(notional, LeverageOf(m, p, d)).raw(),
                 m.tiers.Maintenance(notional).raw(), worst);
    } else {
      r.AddIsolated(BucketEquity(m, p) - fee, worst);
    }
  });
  return r;
}

// The hot path of every order. The requirement is a sum of terms each
// rounded up once; summed before rounding (no division) it is known to
// within one atom per term, which decides all but the closest calls. Those,
// and accounts already below initial margin, take the exact path.
Reason CheckOrderRisk(const State& s, const Account& a, const OrderDelta& delta) {
  int128 equity = a.cash;
  int128 required_scaled = 0;
  int128 terms = 0;
  bool missing_price = false;
  ForEachActive(s, a, &delta, [&](const Position& p, const OrderDelta* d) {
    const Market& m = s.markets[p.market_slot];
    if (!m.IndexUsable(s.now)) missing_price = true;
    const int128 fee = d ? d->fee : 0;
    const int128 worst = WorstCaseScaled(m, p, d);
    if (p.mode == MarginMode::kCross) {
      equity += PositionValue(m, p) - fee;
      required_scaled += worst;
    } else {
      required_scaled += std::max<int128>(0, worst - (BucketEquity(m, p) - fee) * kRateScale);
    }
    terms += 1;
  });
  if (missing_price) return IndexRefusal(s, a, &delta);
  if (equity * kRateScale >= required_scaled + terms * (kRateScale - 1)) return Reason::kOk;
  const risk::AccountMargin after = Evaluate(s, a, &delta);
  if (after.equity >= after.initial_with_orders) return Reason::kOk;
  // Below initial margin, an order is still fine if it does not raise the
  // requirement: it can only take risk off.
  const risk::AccountMargin before = Evaluate(s, a, nullptr);
  return after.initial_with_orders <= before.initial_with_orders ? Reason::kOk
                                                                 : Reason::kInsufficientMargin;
}

Reason IndexRefusal(const State& s, const Account& a, const OrderDelta* delta) {
  Reason r = Reason::kOk;
  ForEachActive(s, a, delta, [&](const Position& p, const OrderDelta*) {
    if (r == Reason::kOk) r = s.markets[p.market_slot].IndexRefusal(s.now);
  });
  return r;
}

risk::LiquidationPrice LiquidationOf(const Market& m, const Position& p,
                                     const risk::AccountMargin& r) {
  if (p.size == 0) return {};
  const int128 value = PositionValue(m, p);
  risk::LiquidationInput in{.size = Lots(p.size), .atoms_per_tick_lot = m.atoms};
  if (p.mode == MarginMode::kIsolated) {
    in.other_equity = Quote(p.iso_cash);
    in.other_maintenance = Quote(0);
  } else {
    in.other_equity = ToQuote(r.equity - value);
    in.other_maintenance = ToQuote(r.maintenance - m.tiers.Maintenance(ToQuote(Abs(value))).raw());
  }
  auto lp = risk::ComputeLiquidationPrice(m.tiers, in);
  return lp.ok() ? *lp : risk::LiquidationPrice{};
}

}  // namespace engine
PERPCORE_NAMESPACE_END
