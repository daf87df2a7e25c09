// Queries: nothing here mutates.
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

absl::Status UnknownMarket(MarketId id) {
  return absl::NotFoundError(absl::StrCat("unknown market ", id.value()));
}
absl::Status UnknownAccount(AccountId id) {
  return absl::NotFoundError(absl::StrCat("unknown account ", id.value()));
}

PositionView View(const Market& m, const Position& p, const risk::AccountMargin& r,
                  TimeNs now) {
  const int128 value = PositionValue(m, p);
  const Quote notional = ToQuote(Abs(value));
  PositionView v{.market = m.id,
                 .mode = p.mode,
                 .leverage = EffectiveLeverage(m, p),
                 .size = Lots(p.size),
                 .mark = m.mark,
                 .value = ToQuote(value),
                 .cost = Quote(p.cost),
                 .unrealized_pnl = ToQuote(value - p.cost),
                 .realized_pnl = Quote(p.realized),
                 .initial_requirement = m.tiers.Initial(notional, EffectiveLeverage(m, p)),
                 .maintenance_requirement = m.tiers.Maintenance(notional),
                 .liquidation = LiquidationOf(m, p, r, now),
                 .open_bid_lots = Lots(p.bids.lots()),
                 .open_ask_lots = Lots(p.asks.lots()),
                 .open_orders = p.open_orders,
                 .pending_funding = ToQuote(PendingFunding(m, p, now))};
  if (p.size != 0) {
    auto entry = DivRound(Abs(int128(p.cost)), Abs(int128(p.size)) * m.atoms, Round::kHalfEven);
    v.entry_price = Ticks(entry.ok() ? *entry : 0);
  }
  if (p.mode == MarginMode::kIsolated) v.isolated_equity = ToQuote(BucketEquity(m, p, now));
  return v;
}

// The health of what backs a position: its isolated bucket, or the account's
// cross health (computed once per summary).
void SetHealth(const Market& m, const Position& p, TimeNs now, const AccountSummary& cross,
               PositionView& v) {
  if (p.mode != MarginMode::kIsolated) {
    v.health = cross.health;
    v.liquidation_buffer = cross.liquidation_buffer;
    return;
  }
  const HealthOf h = BucketHealth(m, p, now);
  v.health = p.size == 0 ? liquidation::Health::kHealthy
                         : h.Classify();
  v.liquidation_buffer = ToQuote(h.equity - h.maintenance);
}

}  // namespace

std::vector<MarketId> Engine::Markets() const {
  std::vector<MarketId> ids;
  ids.reserve(s_->market_order.size());
  for (std::uint32_t mi : s_->market_order) ids.push_back(s_->markets[mi].id);
  return ids;
}

std::vector<AccountId> Engine::Accounts() const {
  std::vector<AccountId> ids;
  ids.reserve(s_->accounts.size());
  for (const Account& a : s_->accounts) ids.push_back(a.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

absl::StatusOr<MarketParams> Engine::Params(MarketId market) const {
  const std::uint32_t mi = s_->FindMarket(market);
  if (mi == kNone) return UnknownMarket(market);
  return s_->markets[mi].params;
}

absl::StatusOr<MarketStats> Engine::Stats(MarketId market) const {
  const std::uint32_t mi = s_->FindMarket(market);
  if (mi == kNone) return UnknownMarket(market);
  const Market& m = s_->markets[mi];
  return MarketStats{.market = m.id,
                     .symbol = m.params.symbol,
                     .status = m.status,
                     .breaker = m.feed.breaker(),
                     .breaker_cause = m.feed.breaker_cause(),
                     .atoms_per_tick_lot = m.atoms,
                     .index = m.feed.index(),
                     .mark = m.mark,
                     .twap = m.feed.twap(),
                     .last_trade = m.last_trade,
                     .fresh_sources = m.feed.fresh_sources(),
                     .open_interest_long = Lots(m.oi_long),
                     .open_interest_short = Lots(m.oi_short),
                     .volume = Lots(m.volume),
                     .notional_volume = Quote(m.notional_volume),
                     .best_bid = m.book.Best(Side::kBuy),
                     .best_ask = m.book.Best(Side::kSell),
                     .index_usable_until = m.feed.usable_until(),
                     .funding_index = m.funding.index(),
                     .funding_rate = m.funding.rate(),
                     .settlement = m.settlement,
                     .settlement_price = m.settle_price,
                     .settlement_pool = m.settlement_pool};
}

absl::StatusOr<FundingView> Engine::Funding(MarketId market) const {
  const std::uint32_t mi = s_->FindMarket(market);
  if (mi == kNone) return UnknownMarket(market);
  const Market& m = s_->markets[mi];
  const funding::FundingParams& f = m.params.funding;
  const funding::Inputs in = FundingInputs(m, s_->now, false);
  FundingView v{.market = m.id,
                .model = f.model,
                .index = m.funding.index(),
                .rate = m.funding.rate(),
                .predicted_rate = m.funding.PredictedRate(f, in),
                .last_sample = m.funding.last_sample(),
                .running_premium = m.funding.RunningPremium(f),
                .samples = m.funding.samples(),
                .interval_start = m.funding.interval_start(),
                .interval_end = m.funding.interval_end(),
                .skew = funding::Skew(in.long_lots, in.short_lots),
                .pool = m.funding_pool,
                .residual_carry = m.funding_carry};
  v.history.resize(funding::kHistory);
  v.history.resize(m.funding_history.Newest(v.history));
  return v;
}

absl::int128 Engine::funding_residual() const { return s_->funding_residual; }

absl::StatusOr<std::optional<book::LevelView>> Engine::Best(MarketId market, Side side) const {
  const std::uint32_t mi = s_->FindMarket(market);
  if (mi == kNone) return UnknownMarket(market);
  return s_->markets[mi].book.Best(side);
}

absl::StatusOr<std::size_t> Engine::Depth(MarketId market, Side side,
                                          std::span<book::LevelView> out) const {
  const std::uint32_t mi = s_->FindMarket(market);
  if (mi == kNone) return UnknownMarket(market);
  return s_->markets[mi].book.Depth(side, out);
}

absl::StatusOr<AccountSummary> Engine::Summary(AccountId account) const {
  const std::uint32_t ai = s_->FindAccount(account);
  if (ai == kNone) return UnknownAccount(account);
  const Account& a = s_->accounts[ai];
  const risk::AccountMargin r = Evaluate(*s_, a, nullptr);
  AccountSummary out{.account = a.id,
                     .owner = a.owner,
                     .fee_tier = a.fee_tier,
                     .referrer = a.referrer,
                     .cash = Quote(a.cash),
                     .equity = ToQuote(r.equity),
                     .initial_requirement = ToQuote(r.initial),
                     .initial_with_orders = ToQuote(r.initial_with_orders),
                     .maintenance_requirement = ToQuote(r.maintenance),
                     // The Withdraw handler's two bounds, so that exactly
                     // this much is accepted and one atom more refused.
                     .free_collateral = ToQuote(std::min(CrossWithdrawable(*s_, a),
                                                         std::max<int128>(0, ledger::Held(*s_)))),
                     .margin_ratio = risk::MarginRatio(r.maintenance, r.equity)};
  const HealthOf health = CrossHealth(*s_, a);
  out.health_equity = ToQuote(health.equity);
  out.liquidation_buffer = ToQuote(health.equity - health.maintenance);
  out.health = health.Classify();
  out.liquidatable = health.Liquidatable();
  int128 collateral = a.cash;
  int128 unrealized = 0;
  int128 pending = 0;
  out.positions.reserve(a.positions.size());
  for (const Position& p : a.positions) {
    const Market& m = s_->markets[p.market_slot];
    out.positions.push_back(View(m, p, r, s_->now));
    SetHealth(m, p, s_->now, out, out.positions.back());
    if (p.mode == MarginMode::kCross) {
      collateral += p.cost;
      unrealized += PositionValue(m, p) - p.cost;
      pending += PendingFunding(m, p, s_->now);
    }
  }
  out.pending_funding = ToQuote(pending);
  out.collateral = ToQuote(collateral);
  out.unrealized_pnl = ToQuote(unrealized);
  return out;
}

absl::StatusOr<std::vector<OpenOrder>> Engine::OpenOrders(AccountId account) const {
  const std::uint32_t ai = s_->FindAccount(account);
  if (ai == kNone) return UnknownAccount(account);
  std::vector<OpenOrder> out;
  std::vector<book::OrderView> buf;
  for (const Position& p : s_->accounts[ai].positions) {
    if (p.open_orders == 0) continue;
    buf.resize(p.open_orders);
    const std::size_t n = s_->markets[p.market_slot].book.OrdersOf(account, buf);
    for (std::size_t i = 0; i < n; ++i) out.push_back(OpenOrder{p.market, buf[i]});
  }
  return out;
}

absl::StatusOr<Preview> Engine::PreviewOrder(const PlaceOrder& c) const {
  if (s_->FindMarket(c.market) == kNone) return UnknownMarket(c.market);
  if (s_->FindAccount(c.account) == kNone) return UnknownAccount(c.account);
  return PreviewPlace(*s_, c);
}

}  // namespace engine
PERPCORE_NAMESPACE_END
