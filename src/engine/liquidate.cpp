// The Liquidate command (engine.hpp, "Liquidation") and the Liquidatable()
// query.
#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "handlers.hpp"
#include "ledger.hpp"
#include "liquidation_index.hpp"
#include "risk_check.hpp"
#include "valuation.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {
namespace {

using absl::int128;
constexpr int128 kScale = kRateScale;

int128 TakerFeeOf(const State& s, const Market& m, const Account& a, int128 notional) {
  return fees::TakerFee(m.Fees(), s.FeeSchedule(), a.fee_tier, notional).raw();
}

// The fewest lots that, closed at the mark with the liquidation fee and the
// taker fee paid, leave the target at equity >= maintenance * (1 + buffer);
// the whole position when closing a lot releases no more maintenance than
// the fees take (then closing more never helps), or when no part does.
std::int64_t RestoringLots(const State& s, const Market& m, const Account& a, const Position& p,
                           const HealthOf& h) {
  const liquidation::LiquidationParams& lp = m.params.liquidation;
  const std::int64_t size = p.size < 0 ? -p.size : p.size;
  const int128 per_lot = int128(m.mark.raw()) * m.atoms;
  const int128 own = MaintenanceOf(m, p);
  auto restores = [&](std::int64_t q) {
    const int128 closed = per_lot * q;
    const int128 fee = (closed * lp.fee.raw() + kScale - 1) / kScale + TakerFeeOf(s, m, a, closed);
    const int128 left = m.tiers.Maintenance(ToQuote(per_lot * (size - q))).raw();
    const int128 maintenance = h.maintenance - own + left;
    return (h.equity - fee) * kScale >= maintenance * (kScale + lp.buffer.raw());
  };
  // Every tier's rate is at least the first's: the requirement falls by at
  // least r_0 * (1 + buffer) per unit of notional closed (before rounding).
  const int128 released = int128(m.params.tiers.front().maintenance_rate.raw()) *
                          (kScale + lp.buffer.raw()) / kScale;
  if (released <= int128(lp.fee.raw()) + m.params.taker_fee.raw() || !restores(size)) return size;
  std::int64_t lo = 1, hi = size;
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    if (restores(mid)) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

// An order id no live order of the market has: the engine's range (bit 63)
// and the command's seq, stepping past a host order that took it.
OrderId LiquidationOrderId(const State& s, const Market& m) {
  std::uint64_t id = (std::uint64_t{1} << 63) | s.last_seq;
  while (m.book.Find(OrderId(id)).has_value()) ++id;
  return OrderId(id);
}

// The market's backstop account, if it may take a position of `a`: named,
// existing, not `a` itself and not locked by the cash bound; else kNone.
std::uint32_t BackstopSlot(const State& s, const Market& m, const Account& a) {
  const std::uint64_t id = m.params.liquidation.backstop;
  if (id == 0 || id == a.id.value()) return kNone;
  const std::uint32_t bi = s.FindAccount(AccountId(id));
  return bi == kNone || s.accounts[bi].cash_locked ? kNone : bi;
}

// The target's equity share of `lots` of position p (engine.hpp, "Backstop
// takeover"): equity * their notional / the target's notional (the
// isolated position's, or all its cross positions' at their marks),
// rounded toward minus infinity: the target keeps the fraction of a share
// it is owed, and a negative share costs the backstop the atom. int128:
// |equity| < 2^64, a notional < 2^54.
int128 EquityShare(const State& s, const Account& a, const Position& p, int128 equity,
                   std::int64_t lots) {
  const Market& m = s.markets[p.market_slot];
  const int128 taken = Notional(m, lots, m.mark.raw());
  int128 total = 0;
  if (p.mode == MarginMode::kIsolated) {
    total = Abs(PositionValue(m, p));
  } else {
    for (const Position& q : a.positions) {
      if (q.mode == MarginMode::kCross) total += Abs(PositionValue(s.markets[q.market_slot], q));
    }
  }
  PERPCORE_CHECK(taken >= 0 && total >= taken && total > 0);
  const int128 n = equity * taken;
  int128 share = n / total;
  if (n % total != 0 && n < 0) share -= 1;
  return share;
}

// Whether the backstop in slot bi can take `lots` (its position's change)
// at the mark with `share` atoms into its cross cash: a dry run on a copy
// of the account, through the same position and ledger code as the
// takeover, after which the backstop must cover its initial requirement
// with orders (the margin check of an order that adds risk), hold a
// position within max_open_interest and stay within the cash bound.
// O(records and orders of the backstop).
bool BackstopTakes(const State& s, std::uint32_t market_slot, std::uint32_t bi,
                   std::int64_t lots, int128 share) {
  if (!ledger::WithinSoftBound(share)) return false;
  const Market& m = s.markets[market_slot];
  Account b = s.accounts[bi];
  if (!ledger::WithinSoftBound(int128(b.cash) + share)) return false;
  b.cash += static_cast<std::int64_t>(share);
  Position& bp = GetPosition(s, b, market_slot);
  ledger::SettleFundingDry(m, s.now, b, bp);
  const std::int64_t old = bp.size;
  TradePosition(m, bp, lots, m.mark.raw());
  // The per-account position bound holds for the backstop too.
  if (Abs(int128(bp.size)) > m.params.max_open_interest.raw()) return false;
  ledger::TradeLeg(nullptr, m, b, bp, lots, m.mark.raw(), 0);
  DiscardSink discard;
  TopUpIsolated(nullptr, s.now, m, b, bp, old, discard);
  if (b.cash_locked) return false;
  const risk::AccountMargin after = Evaluate(s, b, nullptr);
  return after.equity >= after.initial_with_orders;
}

// The takeover itself: `lots` of the target's position in the plan's market
// move to the backstop at the mark, with `share` atoms of equity.
void Takeover(State& s, const LiquidationPlan& plan, std::int64_t lots, std::int64_t share,
              EventSink& sink) {
  Market& m = s.markets[plan.market_slot];
  Account& a = s.accounts[plan.account_slot];
  Account& b = s.accounts[plan.backstop_slot];
  Position* p = FindPosition(a, m.id);
  PERPCORE_CHECK(p != nullptr && p->size != 0 && lots > 0);
  const std::int64_t delta = p->size > 0 ? -lots : lots;
  ledger::MoveEquity(s, a, *p, b, nullptr, share);
  OffBookFill(s, plan.market_slot, plan.account_slot, plan.backstop_slot, delta, m.mark.raw(),
              plan.isolated, sink, [&](const OffBookResult& r) {
                sink.Emit(events::BackstopTakeover{.market = m.id,
                                                   .account = a.id,
                                                   .backstop = b.id,
                                                   .isolated = plan.isolated,
                                                   .size = Lots(-delta),
                                                   .price = m.mark,
                                                   .equity = Quote(share),
                                                   .position = Lots(r.from_position),
                                                   .backstop_position = Lots(r.to_position)});
              });
}

// The most lots (of `want`) of the target's position p, at equity
// `equity`, that the counterparty's position cp (its target, cross account
// or bucket, at health `ch`) can take and stay not liquidatable: its equity
// less the (negative) share at or above its maintenance with q lots fewer.
// All of them if `want` passes; else a binary search that only ever keeps
// a count that passes (0 if the counterparty is liquidatable already).
// O(log want) shares.
std::int64_t PayableLots(const State& s, const Account& a, const Position& p, int128 equity,
                         const Position& cp, const HealthOf& ch, std::int64_t want) {
  const Market& m = s.markets[cp.market_slot];
  const std::int64_t size = cp.size < 0 ? -cp.size : cp.size;
  const int128 per_lot = int128(m.mark.raw()) * m.atoms;
  const int128 own = MaintenanceOf(m, cp);
  const auto stays = [&](std::int64_t q) {
    const int128 left = m.tiers.Maintenance(ToQuote(per_lot * (size - q))).raw();
    return ch.equity + EquityShare(s, a, p, equity, q) >= ch.maintenance - own + left;
  };
  if (stays(want)) return want;
  if (!stays(0)) return 0;
  std::int64_t lo = 0, hi = want - 1;
  while (lo < hi) {
    const std::int64_t mid = hi - (hi - lo) / 2;
    if (stays(mid)) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

// Auto-deleveraging (engine.hpp): the target's position in the plan's
// market closes against the other side's positions in the ADL ranking, each
// at the mark with the target's (negative) equity share moved to it: the
// bankruptcy price, exactly. At most kAdlCounterpartiesPerCommand ranked
// positions are looked at; a counterparty takes at most what leaves it not
// liquidatable (dYdX's rule that deleveraging must not make an offsetting
// account undercollateralized), none if it is liquidatable already.
void Deleverage(State& s, const LiquidationPlan& plan, EventSink& sink) {
  Market& m = s.markets[plan.market_slot];
  Account& a = s.accounts[plan.account_slot];
  const Position* first = FindPosition(a, m.id);
  PERPCORE_CHECK(first != nullptr && first->size != 0);
  const Side other = first->size > 0 ? Side::kSell : Side::kBuy;
  // The ranking as the command found it (RekeyDirty files this command's
  // changes at its end): each pick is re-checked below.
  std::vector<std::uint64_t>& picks = s.adl_scratch;
  picks.clear();
  m.adl.Ranked(
      other, m.mark.raw() * m.atoms,
      [&](std::uint32_t setting) { return EffectiveLeverage(m, setting); },
      [&](const liquidation::AdlEntry& e) {
        picks.push_back(e.slot);
        return picks.size() < kAdlCounterpartiesPerCommand;
      });
  for (const std::uint64_t slot : picks) {
    Position* p = FindPosition(a, m.id);
    if (p == nullptr || p->size == 0) break;
    const auto ci = static_cast<std::uint32_t>(slot);
    Account& c = s.accounts[ci];
    Position* cp = FindPosition(c, m.id);
    if (cp == nullptr || cp->size == 0 || (cp->size > 0) == (p->size > 0)) continue;
    const HealthOf target = plan.isolated ? BucketHealth(m, *p, s.now) : CrossHealth(s, a);
    const HealthOf counter =
        cp->mode == MarginMode::kIsolated ? BucketHealth(m, *cp, s.now) : CrossHealth(s, c);
    const std::int64_t want = std::min(p->size < 0 ? -p->size : p->size,
                                       cp->size < 0 ? -cp->size : cp->size);
    const std::int64_t lots = PayableLots(s, a, *p, target.equity, *cp, counter, want);
    if (lots == 0) continue;
    const int128 share = EquityShare(s, a, *p, target.equity, lots);
    const std::int64_t delta = p->size > 0 ? -lots : lots;
    ledger::MoveEquity(s, a, *p, c, cp, static_cast<std::int64_t>(share));
    OffBookFill(s, plan.market_slot, plan.account_slot, ci, delta, m.mark.raw(), plan.isolated,
                sink, [&](const OffBookResult& r) {
                  sink.Emit(events::Deleveraged{.market = m.id,
                                                .account = a.id,
                                                .counterparty = c.id,
                                                .isolated = plan.isolated,
                                                .size = Lots(-delta),
                                                .price = m.mark,
                                                .equity = Quote(static_cast<std::int64_t>(share)),
                                                .position = Lots(r.from_position),
                                                .counterparty_position = Lots(r.to_position)});
                });
  }
}

// Step 5: a deficit with nothing left to close. An isolated bucket closed
// to zero is covered and released; a cross account with no cross position
// left is covered (CoverCrossDeficit).
void CoverLeft(State& s, const LiquidationPlan& plan, EventSink& sink) {
  Account& a = s.accounts[plan.account_slot];
  if (plan.isolated) {
    Position* p = FindPosition(a, s.markets[plan.market_slot].id);
    if (p != nullptr && p->size == 0) {
      ledger::CoverDeficit(s, a, p, sink);
      ledger::MoveIsolated(&s, a, *p, -p->iso_cash, IsolatedMarginCause::kRelease, sink);
      RemoveIfEmpty(a, *p);
    }
  } else if (!HasCrossPosition(a)) {
    CoverCrossDeficit(s, a, sink);
  }
}

}  // namespace

// CoverCrossDeficit(): a cross account below zero with nothing left to
// close takes first what its isolated buckets can spare (what a withdrawal
// could take from each, by market id: its own money before the insurance
// fund's), then the fund and the shortfall cover the rest.
void CoverCrossDeficit(State& s, Account& a, EventSink& sink) {
  for (Position& p : a.positions) {
    if (a.cash >= 0) break;
    if (p.mode != MarginMode::kIsolated || p.size == 0) continue;
    const int128 spare = std::min<int128>(IsolatedWithdrawable(s, s.markets[p.market_slot], p),
                                          -int128(a.cash));
    if (spare > 0) {
      ledger::MoveIsolated(&s, a, p, -static_cast<std::int64_t>(spare),
                           IsolatedMarginCause::kDeficit, sink);
    }
  }
  ledger::CoverDeficit(s, a, nullptr, sink);
}

bool HasCrossPosition(const Account& a) {
  return std::any_of(a.positions.begin(), a.positions.end(), [](const Position& p) {
    return p.mode == MarginMode::kCross && p.size != 0;
  });
}

Reason Validate(const State& s, const Liquidate& c, LiquidationPlan* plan) {
  plan->account_slot = s.FindAccount(c.account);
  if (plan->account_slot == kNone) return Reason::kUnknownAccount;
  plan->keeper_slot = s.FindAccount(c.keeper);
  if (plan->keeper_slot == kNone) return Reason::kUnknownAccount;
  if (c.keeper == c.account) return Reason::kLiquidationSelf;
  if (c.max_size.raw() <= 0) return Reason::kLiquidationInvalidSize;
  const Account& a = s.accounts[plan->account_slot];

  const Position* p = nullptr;
  HealthOf h;
  if (c.market != 0) {
    const std::uint32_t mi = s.FindMarket(c.market);
    if (mi == kNone) return Reason::kUnknownMarket;
    p = FindPosition(a, c.market);
    if (p == nullptr || p->size == 0) return Reason::kLiquidationNoPosition;
    plan->isolated = p->mode == MarginMode::kIsolated;
    h = plan->isolated ? BucketHealth(s.markets[mi], *p, s.now) : CrossHealth(s, a);
    if (!h.Liquidatable()) return Reason::kLiquidationNotLiquidatable;
  } else {
    h = CrossHealth(s, a);
    if (h.Liquidatable()) {
      int128 largest = -1;  // ties: the lowest market id (records are sorted)
      bool halted = false;
      for (const Position& q : a.positions) {
        if (q.mode != MarginMode::kCross || q.size == 0) continue;
        // A position in a halted market cannot be closed (settling: it will
        // be, at the settlement price); one elsewhere still can.
        if (s.markets[q.market_slot].Halted()) {
          halted = true;
          continue;
        }
        const int128 mm = MaintenanceOf(s.markets[q.market_slot], q);
        if (mm > largest) {
          largest = mm;
          p = &q;
        }
      }
      if (p == nullptr && halted) return Reason::kMarketHalted;
      if (p == nullptr) {  // a deficit without a position: cover it
        plan->health = h.Classify();
        return Reason::kOk;
      }
    } else {
      for (const Position& q : a.positions) {
        if (q.mode != MarginMode::kIsolated || q.size == 0) continue;
        const HealthOf bucket = BucketHealth(s.markets[q.market_slot], q, s.now);
        if (bucket.Liquidatable()) {
          p = &q;
          h = bucket;
          break;
        }
      }
      if (p == nullptr) return Reason::kLiquidationNotLiquidatable;
      plan->isolated = true;
    }
  }
  plan->market_slot = p->market_slot;
  const Market& m = s.markets[plan->market_slot];
  if (m.Halted()) return Reason::kMarketHalted;
  if (!m.IndexUsable(s.now)) return m.IndexRefusal(s.now);
  const liquidation::LiquidationParams& lp = m.params.liquidation;
  plan->health = h.Classify();

  // Below the backstop threshold the backstop takes the whole position, if
  // it can; the book is not tried.
  plan->backstop_slot = BackstopSlot(s, m, a);
  if (plan->backstop_slot != kNone &&
      h.equity * kScale < int128(lp.backstop_threshold.raw()) * h.maintenance) {
    const std::int64_t whole = p->size < 0 ? -p->size : p->size;
    const int128 share = EquityShare(s, a, *p, h.equity, whole);
    if (BackstopTakes(s, plan->market_slot, plan->backstop_slot, p->size, share)) {
      plan->takeover_lots = whole;
      plan->takeover_equity = static_cast<std::int64_t>(share);
      return Reason::kOk;
    }
  }

  // With ADL on, a bankrupt target the insurance fund cannot carry even at
  // the mark is deleveraged first; the book takes only what no ranked
  // counterparty could (below, the book's limit otherwise keeps within what
  // the fund can carry).
  const bool adl = lp.loss_policy == liquidation::LossPolicy::kAdl;
  plan->deleverage_first = adl && h.equity + s.insurance < 0;

  // Size (engine.hpp, step 2).
  const std::int64_t size = p->size < 0 ? -p->size : p->size;
  const int128 per_lot = int128(m.mark.raw()) * m.atoms;
  std::int64_t lots = RestoringLots(s, m, a, *p, h);
  if (liquidation::CooledDown(p->last_partial, s.now, lp)) {
    lots = std::min(lots, liquidation::ChunkLots(size, per_lot * size, lp));
  } else {
    lots = size;
  }
  const int128 cap = std::max<int128>(1, lp.max_notional_per_command / per_lot);
  lots = static_cast<std::int64_t>(
      std::min<int128>({int128(lots), cap, int128(m.params.max_order_size.raw())}));
  // A keeper's max_size never starts the cooldown (in which the next
  // liquidation takes the whole position): only the engine's own sizes do.
  plan->starts_cooldown = lots < size && lots <= c.max_size.raw();
  lots = std::min(lots, c.max_size.raw());

  // The protection price (step 3): the equity it is given is net of the
  // taker fee of a full close at the mark.
  const int128 full_close_fee = TakerFeeOf(s, m, a, per_lot * size);
  Ticks limit = liquidation::LimitPrice(p->size, m.mark, h.equity - full_close_fee,
                                        h.maintenance, MaintenanceOf(m, *p), m.atoms,
                                        m.params.max_price, lp);
  // With ADL on, a bankrupt target's fills stop where the fund would run
  // out (the bankruptcy price of its equity plus the fund), so the book
  // never leaves a deficit the fund cannot cover: what it cannot fill there
  // is deleveraged (step 4c).
  if (adl && h.equity < 0 && !plan->deleverage_first) {
    const Ticks fund_price =
        liquidation::BankruptcyPrice(p->size, m.mark, h.equity + s.insurance - full_close_fee,
                                     m.atoms);
    limit = p->size > 0 ? std::max(limit, fund_price) : std::min(limit, fund_price);
  }
  plan->request = book::OrderRequest{.id = LiquidationOrderId(s, m),
                                     .account = a.id,
                                     .side = p->size > 0 ? Side::kSell : Side::kBuy,
                                     .type = OrderType::kMarket,
                                     .tif = TimeInForce::kIoc,
                                     .stp = StpMode::kCancelMaker,
                                     .price = limit,
                                     .size = Lots(lots),
                                     .max_fill = Lots(lots)};
  // The owner's group whatever the account's own scope: a liquidation never
  // trades with its owner's other accounts (a bankrupt account's order may
  // fill below the mark at the insurance fund's cost).
  plan->request.stp_group = a.owner.value();
  // Never refused by the book (an IOC market order of a valid size and
  // price); asked anyway so that Apply cannot be refused after it changed
  // anything.
  return m.book.CheckPlace(plan->request);
}

Outcome ApplyLiquidate(State& s, const LiquidationPlan& plan, EventSink& sink) {
  Account& a = s.accounts[plan.account_slot];
  // 1. The target's resting orders go (settling removes the records it
  // empties, so the slots are collected first): the cross account's in
  // every market, an isolated bucket's in its own.
  std::vector<std::uint32_t> slots;
  for (const Position& p : a.positions) {
    if (p.open_orders > 0 && (!plan.isolated || p.market_slot == plan.market_slot)) {
      slots.push_back(p.market_slot);
    }
  }
  for (const std::uint32_t mi : slots) {
    PERPCORE_CHECK(s.markets[mi].book.CancelAll(a.id, nullptr, book::CancelReason::kLiquidation) ==
                   Reason::kOk);
    Settle(s, mi, plan.account_slot, 0, sink);
  }
  if (plan.market_slot == kNone) {
    CoverCrossDeficit(s, a, sink);
    return {};
  }
  if (plan.takeover_lots > 0) {
    Takeover(s, plan, plan.takeover_lots, plan.takeover_equity, sink);
    CoverLeft(s, plan, sink);
    return {};
  }
  Account& keeper = s.accounts[plan.keeper_slot];
  Market& m = s.markets[plan.market_slot];
  // 2. (ADL first for a target the fund cannot carry: what no ranked
  // counterparty could take goes to the book, the last resort.)
  book::OrderRequest request = plan.request;
  if (plan.deleverage_first) {
    Deleverage(s, plan, sink);
    const Position* left = FindPosition(a, m.id);
    if (left == nullptr || left->size == 0) {
      CoverLeft(s, plan, sink);
      return {};
    }
    const Lots rest(left->size < 0 ? -left->size : left->size);
    if (request.size > rest) request.size = request.max_fill = rest;
  }

  // 2. The order through the book.
  s.liquidating = plan.account_slot;
  const book::PlaceResult pr = m.book.Place(request);
  PERPCORE_CHECK(pr.ok());
  int128 closed_notional = 0;
  std::int64_t closed = 0;
  for (const book::Event& e : m.book.events()) {
    if (e.kind != book::EventKind::kFill || e.order_id != request.id) continue;
    closed_notional += Notional(m, e.size.raw(), e.price.raw());
    closed += e.size.raw();
  }
  Settle(s, plan.market_slot, plan.account_slot, request.id, sink);
  s.liquidating = kNone;

  // 3. The fee, from what the close left above zero.
  Position* p = FindPosition(a, m.id);  // null: a closed cross position without orders
  const HealthOf after = plan.isolated ? BucketHealth(m, *p, s.now) : CrossHealth(s, a);
  const liquidation::FeeSplit fee =
      liquidation::LiquidationFee(closed_notional, after.equity, m.params.liquidation);
  const ledger::LiquidationFeePaid paid =
      fee.fee > 0 ? ledger::PayLiquidationFee(s, a, plan.isolated ? p : nullptr, keeper, fee)
                  : ledger::LiquidationFeePaid{};
  const std::int64_t position = p != nullptr ? p->size : 0;
  // A partial liquidation of the engine's sizing starts the cooldown, in
  // which the next one takes the whole position (Hyperliquid).
  if (position != 0 && closed > 0 && plan.starts_cooldown) p->last_partial = s.now;
  sink.Emit(events::Liquidation{.market = m.id,
                                .account = a.id,
                                .keeper = keeper.id,
                                .order_id = request.id,
                                .isolated = plan.isolated,
                                .health = static_cast<std::uint8_t>(plan.health),
                                .closed = Lots(closed),
                                .position = Lots(position),
                                .limit = request.price,
                                .closed_notional = ToQuote(closed_notional),
                                .fee = Quote(fee.fee),
                                .keeper_fee = Quote(paid.keeper)});
  if (paid.shortfall_paid > 0) {
    sink.Emit(events::Shortfall{.amount = Quote(-paid.shortfall_paid)});
  }

  // 4. What the book could not absorb within the protection price goes to
  // the backstop, if the target is still liquidatable and the backstop can
  // take it.
  if (plan.backstop_slot != kNone && position != 0 && closed < request.size.raw()) {
    const HealthOf left = plan.isolated ? BucketHealth(m, *p, s.now) : CrossHealth(s, a);
    const std::int64_t whole = position < 0 ? -position : position;
    const std::int64_t lots = std::min(request.size.raw() - closed, whole);
    if (left.Liquidatable()) {
      const int128 share = EquityShare(s, a, *p, left.equity, lots);
      if (BackstopTakes(s, plan.market_slot, plan.backstop_slot, position > 0 ? lots : -lots,
                        share)) {
        Takeover(s, plan, lots, static_cast<std::int64_t>(share), sink);
      }
    }
  }

  // 4c. A bankrupt target the fund cannot carry, with ADL on: the rest is
  // deleveraged.
  if (m.params.liquidation.loss_policy == liquidation::LossPolicy::kAdl &&
      !plan.deleverage_first) {
    p = FindPosition(a, m.id);
    if (p != nullptr && p->size != 0) {
      const HealthOf left = plan.isolated ? BucketHealth(m, *p, s.now) : CrossHealth(s, a);
      if (left.equity + s.insurance < 0) Deleverage(s, plan, sink);
    }
  }

  // 5. A deficit with nothing left to close.
  CoverLeft(s, plan, sink);
  return {.filled = pr.filled};
}

std::vector<LiquidationCandidate> Engine::Liquidatable(std::size_t limit) const {
  return FindLiquidatable(*s_, limit);
}

absl::StatusOr<liquidation::AdlRank> Engine::AdlRank(AccountId account, MarketId market) const {
  const std::uint32_t ai = s_->FindAccount(account);
  const std::uint32_t mi = s_->FindMarket(market);
  if (ai == kNone || mi == kNone) {
    return absl::NotFoundError(absl::StrCat(ai == kNone ? "unknown account " : "unknown market ",
                                            ai == kNone ? account.value() : market.value()));
  }
  const Market& m = s_->markets[mi];
  const std::optional<liquidation::AdlRank> r =
      m.adl.RankOf(ai, m.mark.raw() * m.atoms,
                   [&](std::uint32_t setting) { return EffectiveLeverage(m, setting); });
  if (!r.has_value()) {
    return absl::NotFoundError(absl::StrCat("account ", account.value(),
                                            " has no position in market ", market.value()));
  }
  return *r;
}

}  // namespace engine
PERPCORE_NAMESPACE_END
