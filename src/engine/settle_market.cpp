// The final settlement of a delisted market: the SettleMarket command and
// its continuation at the market's time ticks (engine.hpp, "Final
// settlement").
#include "handlers.hpp"
#include "ledger.hpp"
#include "liquidation_index.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {
namespace {

// Settles the record of the account in slot `ai` in the market: its orders
// go (kMarketSettled), its funding settles (the index is frozen since the
// delisting), its position closes at the settlement price through the
// ledger as a fill at that price with no fee would, its isolated bucket is
// released (a deficit first covered by the insurance fund, then the
// shortfall), and a cross account left below zero with no cross position
// anywhere is covered the same way. The record is gone after. Returns its
// work: one, plus one per order cancelled.
std::uint32_t SettleRecord(State& s, std::uint32_t market_slot, std::uint32_t ai,
                           EventSink& sink) {
  Market& m = s.markets[market_slot];
  Account& a = s.accounts[ai];
  Position* p = FindPosition(a, m.id);
  PERPCORE_CHECK(p != nullptr);
  const std::uint32_t work = 1 + p->open_orders;
  if (p->open_orders > 0) {
    PERPCORE_CHECK(m.book.CancelAll(a.id, nullptr, book::CancelReason::kMarketSettled) ==
                   Reason::kOk);
    Settle(s, market_slot, ai, 0, sink);  // removes a record left empty
    p = FindPosition(a, m.id);
    if (p == nullptr) return work;
  }
  PERPCORE_CHECK(p->size != 0 && p->open_orders == 0);
  ledger::SettleFunding(s, m, a, *p, sink);
  const std::int64_t size = p->size;
  const std::int64_t price = m.settle_price.raw();
  const bool isolated = p->mode == MarginMode::kIsolated;
  const std::int64_t realized = TradePosition(m, *p, -size, price);
  TradeOpenInterest(m, size, 0);
  if (a.id == AccountId(m.params.funding.counterparty)) m.counterparty_size = 0;
  ledger::SettlementLeg(s, m, a, *p, -size, price);
  sink.Emit(events::PositionSettled{.market = m.id,
                                    .account = a.id,
                                    .isolated = isolated,
                                    .size = Lots(size),
                                    .price = m.settle_price,
                                    .realized = Quote(realized)});
  if (isolated) {
    ledger::CoverDeficit(s, a, p, sink);
    ledger::MoveIsolated(&s, a, *p, -p->iso_cash, IsolatedMarginCause::kRelease, sink);
  }
  RemoveIfEmpty(a, *p);
  if (!isolated && a.cash < 0 && !HasCrossPosition(a)) CoverCrossDeficit(s, a, sink);
  return work;
}

}  // namespace

Reason Validate(const State& s, const SettleMarket& c, SettlePlan* plan) {
  plan->market_slot = s.FindMarket(c.market);
  if (plan->market_slot == kNone) return Reason::kUnknownMarket;
  const Market& m = s.markets[plan->market_slot];
  if (m.status != MarketStatus::kDelisted) return Reason::kSettlementNotDelisted;
  if (m.settlement != SettlementPhase::kNone) return Reason::kSettlementStarted;
  plan->price = c.price.raw() == 0 ? m.last_index : c.price;
  if (plan->price.raw() <= 0 || c.price.raw() < 0 || plan->price > m.params.max_price) {
    return Reason::kSettlementInvalidPrice;
  }
  return Reason::kOk;
}

Outcome ApplySettleMarket(State& s, const SettlePlan& plan, EventSink& sink) {
  Market& m = s.markets[plan.market_slot];
  m.settlement = SettlementPhase::kSettling;
  m.settle_price = plan.price;
  m.settle_cursor = 0;
  // From here every position of the market is valued at the price it will
  // close at (the oracle no longer moves the mark: oracle_tick.cpp).
  if (m.mark != plan.price) {
    m.mark = plan.price;
    sink.Emit(events::PriceUpdate{
        .market = m.id, .index = m.feed.index(), .mark = m.mark, .twap = m.feed.twap()});
  }
  ServiceWarnings(s, plan.market_slot);
  ContinueSettlement(s, plan.market_slot, sink);
  return {};
}

void ContinueSettlement(State& s, std::uint32_t market_slot, EventSink& sink) {
  Market& m = s.markets[market_slot];
  PERPCORE_CHECK(m.settlement == SettlementPhase::kSettling);
  // Account slots in order (accounts never move; a slot is the account's
  // place in the order of CreateAccount commands). Accounts created since
  // the start have no record here (nothing trades in a settling market).
  std::uint32_t scanned = 0, work = 0;
  while (m.settle_cursor < s.accounts.size() && scanned < kSettlementScanPerCommand &&
         work < kSettlementWorkPerCommand) {
    const std::uint32_t ai = m.settle_cursor++;
    ++scanned;
    if (FindPosition(s.accounts[ai], m.id) == nullptr) continue;
    work += SettleRecord(s, market_slot, ai, sink);
  }
  if (m.settle_cursor < s.accounts.size()) return;
  PERPCORE_CHECK(m.oi_long == 0 && m.oi_short == 0 && m.settlement_pool == 0);
  m.settlement = SettlementPhase::kSettled;
  sink.Emit(events::MarketSettled{.market = m.id, .price = m.settle_price});
}

}  // namespace engine
PERPCORE_NAMESPACE_END
