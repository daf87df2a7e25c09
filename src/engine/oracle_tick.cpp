// Oracle prices and time ticks: index, mark, TWAP and breakers per market.
#include <array>
#include <span>

#include "handlers.hpp"
#include "liquidation_index.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {
namespace {

Reason FromPublish(oracle::PublishReason r) {
  switch (r) {
    case oracle::PublishReason::kOk:
      return Reason::kOk;
    case oracle::PublishReason::kInvalidSource:
      return Reason::kOracleInvalidSource;
    case oracle::PublishReason::kTooManySources:
      return Reason::kOracleTooManySources;
    case oracle::PublishReason::kInvalidPrice:
      return Reason::kOracleInvalidPrice;
    case oracle::PublishReason::kFromTheFuture:
      return Reason::kOracleFromTheFuture;
    case oracle::PublishReason::kOutOfOrder:
      return Reason::kOracleOutOfOrder;
  }
  return Reason::kOracleInvalidPrice;
}

// The impact price of one side of the market's book (oracle::ImpactPrice):
// at most kImpactLevels levels are read, so a Refresh() costs
// O(kImpactLevels) per side whatever the book holds. The first
// kImpactFirstLevels usually fill the notional; ImpactPrice() reads only the
// levels a fill takes, so a price found in that prefix is the one the whole
// side gives, and the full walk runs only when it is not.
constexpr std::size_t kImpactFirstLevels = 8;
static_assert(kImpactFirstLevels <= oracle::kImpactLevels);

// Returns the book prices it read (a time tick's funding sample reuses them
// when its impact notional is the oracle's).
oracle::BookPrices RefreshOracle(State& s, std::uint32_t market_slot, EventSink& sink) {
  Market& m = s.markets[market_slot];
  const Ticks old_mark = m.mark;
  const Ticks old_index = m.feed.index();
  const std::int64_t notional = m.feed.config().impact_notional;
  const oracle::BookPrices book{.impact_bid = ImpactPrice(m, Side::kBuy, notional),
                                .impact_ask = ImpactPrice(m, Side::kSell, notional),
                                .last_trade = m.last_trade};
  const oracle::OracleUpdate u = m.feed.Refresh(s.now, book);
  const Ticks index = m.feed.index();
  // A settling market is valued at its settlement price until every
  // position has closed there (settle_market.cpp): a later mark would let
  // an account not yet reached withdraw profit it will not keep.
  if (m.feed.mark().raw() > 0 && !m.Settling()) m.mark = m.feed.mark();
  if (index.raw() > 0) m.last_index = index;
  // The band stays centred on the last valid index when the index goes
  // away: exactly then only reduce-only orders trade, and they must not
  // trade at any price.
  PERPCORE_CHECK(m.book.SetReferencePrice(m.last_index) == Reason::kOk);
  if (index != old_index || m.mark != old_mark) {
    sink.Emit(
        events::PriceUpdate{.market = m.id, .index = index, .mark = m.mark, .twap = m.feed.twap()});
  }
  if (u.breaker_tripped || u.breaker_cleared) {
    sink.Emit(events::CircuitBreaker{
        .market = m.id, .tripped = u.breaker_tripped, .cause = u.cause});
  }
  return book;
}

}  // namespace

Ticks ImpactPrice(const Market& m, Side side, std::int64_t notional) {
  std::array<LevelView, oracle::kImpactLevels> levels;
  const auto first = std::span<LevelView>(levels.data(), kImpactFirstLevels);
  std::size_t n = m.book.Depth(side, first);
  const Ticks price =
      oracle::ImpactPrice(side, std::span<const LevelView>(levels.data(), n), notional, m.atoms);
  if (price.raw() != 0 || n < kImpactFirstLevels) return price;
  n = m.book.Depth(side, levels);
  return oracle::ImpactPrice(side, std::span<const LevelView>(levels.data(), n), notional,
                             m.atoms);
}

Reason Validate(const State& s, const OraclePrice& c, OraclePlan* plan) {
  plan->market_slot = s.FindMarket(c.market);
  if (plan->market_slot == kNone) return Reason::kUnknownMarket;
  const Market& m = s.markets[plan->market_slot];
  if (c.price > m.params.max_price) return Reason::kPriceAboveMax;
  plan->publish = &c;
  return FromPublish(m.feed.CheckPublish(c.source, c.price, c.publish_time, s.now));
}

Outcome ApplyOraclePrice(State& s, const OraclePlan& plan, EventSink& sink) {
  const OraclePrice& c = *plan.publish;
  Market& m = s.markets[plan.market_slot];
  PERPCORE_CHECK(m.feed.Publish(c.source, c.price, c.publish_time, s.now) ==
                 oracle::PublishReason::kOk);
  RefreshOracle(s, plan.market_slot, sink);
  ServiceWarnings(s, plan.market_slot);
  return {};
}

Reason Validate(const State& s, const TimeTick& c, OraclePlan* plan) {
  if (c.market == 0) return Reason::kOk;  // every market
  plan->market_slot = s.FindMarket(c.market);
  if (plan->market_slot == kNone) return Reason::kUnknownMarket;
  return Reason::kOk;
}

// A tick refreshes the oracle first, so funding samples and pays at the
// prices of `now`.
Outcome ApplyTimeTick(State& s, const OraclePlan& plan, EventSink& sink) {
  auto tick = [&](std::uint32_t mi) {
    const oracle::BookPrices book = RefreshOracle(s, mi, sink);
    if (s.markets[mi].status != MarketStatus::kDelisted) {
      const Market& m = s.markets[mi];
      const bool same = m.params.funding.impact_notional == m.feed.config().impact_notional;
      AdvanceFunding(s, mi, true, sink, same ? &book : nullptr);
    }
    ServiceWarnings(s, mi);
  };
  if (plan.market_slot != kNone) {
    tick(plan.market_slot);
    // A settling market's next records (settle_market.cpp): only a tick
    // naming it, so that a tick of every market stays O(markets).
    if (s.markets[plan.market_slot].settlement == SettlementPhase::kSettling) {
      ContinueSettlement(s, plan.market_slot, sink);
    }
    return {};
  }
  for (std::uint32_t mi : s.market_order) tick(mi);
  return {};
}

Reason Validate(const State& s, const RetireSource& c, OraclePlan* plan) {
  plan->market_slot = s.FindMarket(c.market);
  if (plan->market_slot == kNone) return Reason::kUnknownMarket;
  if (!s.markets[plan->market_slot].feed.CheckRetire(c.source)) {
    return Reason::kOracleUnknownSource;
  }
  plan->retire = c.source;
  return Reason::kOk;
}

Outcome ApplyRetireSource(State& s, const OraclePlan& plan, EventSink& sink) {
  Market& m = s.markets[plan.market_slot];
  PERPCORE_CHECK(m.feed.Retire(plan.retire));
  sink.Emit(events::SourceRetired{.market = m.id, .source = plan.retire});
  RefreshOracle(s, plan.market_slot, sink);
  ServiceWarnings(s, plan.market_slot);
  return {};
}

}  // namespace engine
PERPCORE_NAMESPACE_END
