// PreviewOrder: ValidatePlace plus a dry run of the same plan on a copy of
// the account, through the same position, ledger and top-up code as Apply.
#include <vector>

#include "handlers.hpp"
#include "ledger.hpp"
#include "risk_check.hpp"
#include "valuation.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {
namespace {

using absl::int128;

// One estimated fill against an L2 level.
struct LevelFill {
  std::int64_t price = 0;
  std::int64_t lots = 0;
};

// The fills a taker of `want` lots up to its limit would get from the
// opposite side's levels, best first. Own resting orders count as
// liquidity: self-trade prevention is not simulated.
std::vector<LevelFill> WalkLevels(const Market& m, const book::OrderRequest& o,
                                  std::int64_t want) {
  std::vector<LevelFill> fills;
  std::vector<book::LevelView> levels(32);
  const bool buy = o.side == Side::kBuy;
  for (;;) {
    const std::size_t n = m.book.Depth(book::Opposite(o.side), levels);
    fills.clear();
    std::int64_t filled = 0;
    std::size_t i = 0;
    for (; i < n && filled < want; ++i) {
      const book::LevelView& lv = levels[i];
      if (buy ? lv.price > o.price : lv.price < o.price) break;
      const std::int64_t take = std::min(lv.total.raw(), want - filled);
      fills.push_back({lv.price.raw(), take});
      filled += take;
    }
    if (filled == want || i < n || n < levels.size()) return fills;
    levels.resize(levels.size() * 2);
  }
}

}  // namespace

Preview PreviewPlace(const State& s, const PlaceOrder& c) {
  const std::uint32_t mi = s.FindMarket(c.market);
  const std::uint32_t ai = s.FindAccount(c.account);
  PERPCORE_CHECK(mi != kNone && ai != kNone);
  const Market& m = s.markets[mi];
  Preview pv;
  OrderPlan plan;
  pv.reason = Validate(s, c, &plan);
  // The preview stops at its own verdict: only an order Apply would take,
  // or one refused for margin alone (what a preview is asked about), is
  // estimated. Any other refusal means a field or bound out of range (a
  // size above the maximum, a position past the open-interest bounds),
  // where the dry run's positions and notionals would leave the bounds
  // every product relies on, and its walk would be as long as the book.
  if (pv.reason != Reason::kOk && pv.reason != Reason::kInsufficientMargin) return pv;
  const book::OrderRequest o = RequestOf(c);
  const std::int64_t want = std::min(o.size.raw(), plan.request.max_fill.raw());
  const bool buy = o.side == Side::kBuy;
  const bool post_only = o.tif == TimeInForce::kPostOnly || o.tif == TimeInForce::kPostOnlySlide;

  std::vector<LevelFill> fills;
  if (!post_only) fills = WalkLevels(m, o, want);
  std::int64_t filled = 0;
  int128 ticks_lots = 0;
  for (const LevelFill& f : fills) {
    filled += f.lots;
    ticks_lots += int128(f.price) * f.lots;
  }
  if (o.tif == TimeInForce::kFok && filled < want) {
    fills.clear();
    filled = 0;
    ticks_lots = 0;
  }
  const std::optional<book::LevelView> opposite = m.book.Best(book::Opposite(o.side));
  const bool crosses = opposite && (buy ? opposite->price <= o.price : opposite->price >= o.price);
  pv.fill_size = Lots(filled);
  pv.rest_size =
      Lots(IsImmediate(o) || (o.tif == TimeInForce::kPostOnly && crosses) ? 0 : want - filled);
  pv.fill_notional = ToQuote(ticks_lots * m.atoms);
  if (filled > 0) {
    auto avg = DivRound(ticks_lots, filled, Round::kHalfEven);
    pv.average_price = Ticks(avg.ok() ? *avg : 0);
    const std::optional<Ticks> bid = m.book.BestBid();
    const std::optional<Ticks> ask = m.book.BestAsk();
    if (bid && ask) {
      // |average - mid| / mid with mid = (bid + ask) / 2, without halving.
      const int128 twice_mid = int128(bid->raw()) + ask->raw();
      const int128 diff = Abs(int128(2) * ticks_lots - twice_mid * filled);
      auto slip = DivRound(diff * kRateScale, twice_mid * filled, Round::kUp);
      pv.slippage = Rate(slip.ok() ? *slip : Rate::Max().raw());
    }
  }

  // The dry run: each level's fill applied to a copy of the account as
  // Apply settles a fill (position, the taker's trade leg and fee, the
  // isolated top-up). Apply charges the fee per maker order, each rounded
  // up; here per level, so the preview's fee may be lower by under one atom
  // per maker order beyond the first at a level.
  Account after = s.accounts[ai];
  Position& p = GetPosition(s, after, mi);
  ledger::SettleFundingDry(m, s.now, after, p);
  DiscardSink discard;
  std::int64_t fee = 0;
  for (const LevelFill& f : fills) {
    const std::int64_t lots = buy ? f.lots : -f.lots;
    const std::int64_t leg_fee =
        fees::TakerFee(m.Fees(), s.FeeSchedule(), after.fee_tier, Notional(m, f.lots, f.price))
            .raw();
    const std::int64_t old_size = p.size;
    TradePosition(m, p, lots, f.price);
    ledger::TradeLeg(nullptr, m, after, p, lots, f.price, leg_fee);
    TopUpIsolated(nullptr, s.now, m, after, p, old_size, discard);
    fee += leg_fee;
  }
  pv.fee = Quote(fee);
  const risk::AccountMargin r = Evaluate(s, after, nullptr);
  pv.resulting_position = Lots(p.size);
  if (p.mode == MarginMode::kIsolated) {
    const int128 equity = BucketEquity(m, p, s.now);
    pv.resulting_equity = ToQuote(equity);
    pv.resulting_margin_ratio =
        risk::MarginRatio(m.tiers.Maintenance(ToQuote(Abs(PositionValue(m, p)))).raw(), equity);
  } else {
    pv.resulting_equity = ToQuote(r.equity);
    pv.resulting_margin_ratio = risk::MarginRatio(r.maintenance, r.equity);
  }
  pv.resulting_liquidation = LiquidationOf(m, p, r, s.now);
  return pv;
}

}  // namespace engine
PERPCORE_NAMESPACE_END
