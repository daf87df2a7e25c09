// Settlement: the book's events of a placement or cancel turned into
// positions, order aggregates, cash (through the ledger) and engine events.
#include <algorithm>

#include "handlers.hpp"
#include "ledger.hpp"
#include "valuation.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {
namespace {

using absl::int128;

std::int64_t Sign(std::int64_t v) { return (v > 0) - (v < 0); }

// Out of line: Settle's loop, which every rest and cancel runs, stays
// compact in the instruction cache.
[[gnu::noinline]] void SettleFill(State& s, std::uint32_t market_slot, const book::Event& e,
                                  std::uint32_t taker_slot, EventSink& sink) {
  Market& m = s.markets[market_slot];
  const std::uint32_t maker_slot = s.FindAccount(e.maker_account);
  PERPCORE_CHECK(maker_slot != kNone && maker_slot != taker_slot);
  Account& taker = s.accounts[taker_slot];
  Account& maker = s.accounts[maker_slot];
  Position& tp = GetPosition(s, taker, market_slot);
  Position& mp = GetPosition(s, maker, market_slot);
  // Funding first, at the size it accrued on (ledger.hpp, "Funding").
  ledger::SettleFunding(s, m, taker, tp, sink);
  ledger::SettleFunding(s, m, maker, mp, sink);
  const std::int64_t price = e.price.raw();
  const std::int64_t size = e.size.raw();
  AddOrder(mp, book::Opposite(e.side), price, -size);
  if (e.maker_remaining.raw() == 0) mp.open_orders -= 1;

  const std::int64_t taker_lots = e.side == Side::kBuy ? size : -size;
  const std::int64_t taker_old = tp.size, maker_old = mp.size;
  const std::int64_t taker_realized = TradePosition(m, tp, taker_lots, price);
  const std::int64_t maker_realized = TradePosition(m, mp, -taker_lots, price);
  TradeOpenInterest(m, taker_old, tp.size);
  TradeOpenInterest(m, maker_old, mp.size);
  const AccountId counterparty(m.params.funding.counterparty);
  if (taker.id == counterparty) m.counterparty_size = tp.size;
  if (maker.id == counterparty) m.counterparty_size = mp.size;

  Account* referrer = nullptr;
  if (taker.referrer != 0) {
    const std::uint32_t ri = s.FindAccount(taker.referrer);
    PERPCORE_CHECK(ri != kNone);
    referrer = &s.accounts[ri];
  }
  const int128 notional = Notional(m, size, price);
  fees::FillFees fees = fees::ForFill(m.Fees(), s.FeeSchedule(), taker.fee_tier, maker.fee_tier,
                                      referrer != nullptr, notional);
  if (referrer != nullptr && !ledger::ReferrerTakes(*referrer, fees.referrer)) {
    // The cash bound (ledger.hpp rule 3): the pool keeps the cut.
    fees.pool += fees.referrer;
    fees.referrer = 0;
    referrer = nullptr;
  }
  ledger::TradeLeg(&s, m, taker, tp, taker_lots, price, fees.taker);
  ledger::TradeLeg(&s, m, maker, mp, -taker_lots, price, fees.maker);
  ledger::PoolFees(s, fees, referrer);

  m.last_trade = e.price;
  // Statistics saturate: a market trades without end, its totals do not
  // fit int64 forever, and no decision reads them.
  m.volume = size > kMaxI64 - m.volume ? kMaxI64 : m.volume + size;
  const int128 nv = int128(m.notional_volume) + notional;
  m.notional_volume = nv > kMaxI64 ? kMaxI64 : static_cast<std::int64_t>(nv);

  sink.Emit(events::Fill{.market = m.id,
                         .price = e.price,
                         .size = e.size,
                         .taker = {.account = e.account,
                                   .order_id = e.order_id,
                                   .side = e.side,
                                   .remaining = e.remaining,
                                   .fee = Quote(fees.taker),
                                   .position = Lots(tp.size),
                                   .realized = Quote(taker_realized)},
                         .maker = {.account = e.maker_account,
                                   .order_id = e.maker_order_id,
                                   .side = book::Opposite(e.side),
                                   .remaining = e.maker_remaining,
                                   .fee = Quote(fees.maker),
                                   .position = Lots(mp.size),
                                   .realized = Quote(maker_realized)},
                         .referrer = referrer != nullptr ? taker.referrer : AccountId(0),
                         .referrer_fee = Quote(fees.referrer)});

  // After the fill event, so a consumer sees the trade before the moves it
  // causes.
  // A liquidated isolated bucket stays until the liquidation has taken its
  // fee and covered its deficit (liquidate.cpp).
  const bool keep_bucket = s.liquidating == taker_slot && tp.mode == MarginMode::kIsolated;
  if (!keep_bucket) TopUpIsolated(&s, s.now, m, taker, tp, taker_old, sink);
  TopUpIsolated(&s, s.now, m, maker, mp, maker_old, sink);
  // A closed position without orders leaves no record (a later event of
  // this placement makes a new one from the account's MarketPref).
  if (!keep_bucket) RemoveIfEmpty(taker, tp);
  RemoveIfEmpty(maker, mp);
}

}  // namespace

OffBookResult OffBookFill(State& s, std::uint32_t market_slot, std::uint32_t from_slot,
                          std::uint32_t to_slot, std::int64_t delta, std::int64_t price,
                          bool keep_from, EventSink& sink,
                          absl::FunctionRef<void(const OffBookResult&)> describe) {
  PERPCORE_CHECK(from_slot != to_slot && delta != 0);
  Market& m = s.markets[market_slot];
  Account& from = s.accounts[from_slot];
  Account& to = s.accounts[to_slot];
  Position& fp = GetPosition(s, from, market_slot);
  Position& tp = GetPosition(s, to, market_slot);
  ledger::SettleFunding(s, m, from, fp, sink);
  ledger::SettleFunding(s, m, to, tp, sink);
  const std::int64_t from_old = fp.size, to_old = tp.size;
  OffBookResult r;
  r.from_realized = TradePosition(m, fp, delta, price);
  r.to_realized = TradePosition(m, tp, -delta, price);
  TradeOpenInterest(m, from_old, fp.size);
  TradeOpenInterest(m, to_old, tp.size);
  const AccountId counterparty(m.params.funding.counterparty);
  if (from.id == counterparty) m.counterparty_size = fp.size;
  if (to.id == counterparty) m.counterparty_size = tp.size;
  ledger::TradeLeg(&s, m, from, fp, delta, price, 0);
  ledger::TradeLeg(&s, m, to, tp, -delta, price, 0);
  r.from_position = fp.size;
  r.to_position = tp.size;
  // The caller's event before the moves the trade causes, as for a fill.
  describe(r);
  TopUpIsolated(&s, s.now, m, to, tp, to_old, sink);
  if (!keep_from) {
    TopUpIsolated(&s, s.now, m, from, fp, from_old, sink);
    RemoveIfEmpty(from, fp);
  }
  RemoveIfEmpty(to, tp);
  return r;
}

void TradeOpenInterest(Market& m, std::int64_t old_size, std::int64_t new_size) {
  m.oi_long += std::max<std::int64_t>(new_size, 0) - std::max<std::int64_t>(old_size, 0);
  m.oi_short += std::max<std::int64_t>(-new_size, 0) - std::max<std::int64_t>(-old_size, 0);
}

void TopUpIsolated(State* s, TimeNs now, const Market& m, Account& a, Position& p,
                   std::int64_t old_size, EventSink& sink) {
  if (p.mode != MarginMode::kIsolated) return;
  if (p.size == 0) {
    ledger::MoveIsolated(s, a, p, -p.iso_cash, IsolatedMarginCause::kRelease, sink);
    return;
  }
  const bool flipped = (old_size > 0) != (p.size > 0);
  const bool grew = flipped || (p.size > 0 ? p.size > old_size : p.size < old_size);
  if (!grew) return;
  const int128 need =
      int128(m.tiers.Initial(ToQuote(Abs(PositionValue(m, p))), EffectiveLeverage(m, p)).raw()) -
      BucketEquity(m, p, now);
  if (need <= 0) return;
  // Market bounds keep every requirement in int64, and the cash bound the
  // bucket within 2^62 + 2^58 (ledger.hpp): need < 2^63.
  PERPCORE_CHECK(need <= kMaxI64);
  ledger::MoveIsolated(s, a, p, static_cast<std::int64_t>(need), IsolatedMarginCause::kTopUp,
                       sink);
}

// Realized PnL closes the cost basis pro rata (rounded toward zero); it is
// bookkeeping, the cash move is the money. Position::realized keeps what
// reducing the position realized while it stays open on one side: it
// restarts at 0 when the position opens (from flat or by a flip) and when it
// closes (types.hpp PositionView).
std::int64_t TradePosition(const Market& m, Position& p, std::int64_t delta, std::int64_t price) {
  const std::int64_t old = p.size;
  std::int64_t realized = 0;
  if (old == 0 || Sign(old) == Sign(delta)) {
    p.cost += static_cast<std::int64_t>(Notional(m, delta, price));
  } else {
    const std::int64_t abs_old = old < 0 ? -old : old;
    const std::int64_t abs_delta = delta < 0 ? -delta : delta;
    const std::int64_t closed = std::min(abs_old, abs_delta);
    const std::int64_t removed =
        closed == abs_old ? p.cost : static_cast<std::int64_t>(int128(p.cost) * closed / abs_old);
    realized = static_cast<std::int64_t>(Notional(m, Sign(old) * closed, price)) - removed;
    p.cost -= removed;
    if (abs_delta > abs_old) {
      p.cost = static_cast<std::int64_t>(Notional(m, Sign(delta) * (abs_delta - abs_old), price));
    }
  }
  p.size = old + delta;
  // A statistic, so it saturates (|realized| < 2^55 per fill, but a
  // position may stay open through unboundedly many).
  const int128 total = int128(p.realized) + realized;
  const std::int64_t saturated =
      total > kMaxI64 ? kMaxI64 : total < -kMaxI64 ? -kMaxI64 : static_cast<std::int64_t>(total);
  p.realized = Sign(p.size) == Sign(old) ? saturated : 0;
  return realized;
}

void Settle(State& s, std::uint32_t market_slot, std::uint32_t taker_slot, OrderId taker_id,
            EventSink& sink) {
  Market& m = s.markets[market_slot];
  // Funding advances to now before any fill changes a position or the open
  // interest (the skew models price the time since at the open interest
  // that held).
  if (FundingDue(m, s.now)) AdvanceFunding(s, market_slot, false, sink);
  for (const book::Event& e : m.book.events()) {
    const bool is_taker = taker_id != 0 && e.order_id == taker_id;
    switch (e.kind) {
      case book::EventKind::kFill:
        SettleFill(s, market_slot, e, taker_slot, sink);
        break;
      case book::EventKind::kRested: {
        Position& p = GetPosition(s, s.accounts[taker_slot], market_slot);
        AddOrder(p, e.side, e.price.raw(), e.size.raw());
        p.open_orders += 1;
        sink.Emit(events::OrderRested{.market = m.id,
                                      .account = e.account,
                                      .order_id = e.order_id,
                                      .side = e.side,
                                      .price = e.price,
                                      .size = e.size});
        break;
      }
      case book::EventKind::kCanceled:
      case book::EventKind::kReduced: {
        const bool canceled = e.kind == book::EventKind::kCanceled;
        // The incoming order was never counted as resting.
        if (!is_taker) {
          const std::uint32_t ai =
              e.account == s.accounts[taker_slot].id ? taker_slot : s.FindAccount(e.account);
          PERPCORE_CHECK(ai != kNone);
          Account& a = s.accounts[ai];
          Position* p = FindPosition(a, m.id);
          PERPCORE_CHECK(p != nullptr);  // its order was counted there
          AddOrder(*p, e.side, e.price.raw(), -e.size.raw());
          if (canceled) p->open_orders -= 1;
          RemoveIfEmpty(a, *p);
        }
        if (canceled) {
          sink.Emit(events::OrderCanceled{.market = m.id,
                                          .account = e.account,
                                          .order_id = e.order_id,
                                          .side = e.side,
                                          .reason = e.reason,
                                          .price = e.price,
                                          .size = e.size,
                                          .remaining = e.remaining});
        } else {
          sink.Emit(events::OrderReduced{.market = m.id,
                                         .account = e.account,
                                         .order_id = e.order_id,
                                         .side = e.side,
                                         .price = e.price,
                                         .size = e.size,
                                         .remaining = e.remaining});
        }
        break;
      }
      case book::EventKind::kAmended:
        PERPCORE_CHECK(false);  // amends settle in ApplyAmend
    }
  }
}

}  // namespace engine
PERPCORE_NAMESPACE_END
