// Oracle prices and time ticks: index, mark, TWAP and breakers per market.
#include "handlers.hpp"

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

void RefreshOracle(State& s, std::uint32_t market_slot, EventSink& sink) {
  Market& m = s.markets[market_slot];
  const Ticks old_mark = m.mark;
  const Ticks old_index = m.feed.index();
  const std::optional<Ticks> bid = m.book.BestBid();
  const std::optional<Ticks> ask = m.book.BestAsk();
  const oracle::OracleUpdate u = m.feed.Refresh(
      s.now, oracle::BookPrices{bid.value_or(Ticks(0)), ask.value_or(Ticks(0)), m.last_trade});
  const Ticks index = m.feed.index();
  PERPCORE_CHECK(m.book.SetReferencePrice(index) == Reason::kOk);
  if (m.feed.mark().raw() > 0) m.mark = m.feed.mark();
  if (index.raw() > 0) m.last_index = index;
  if (index != old_index || m.mark != old_mark) {
    sink.Emit(
        events::PriceUpdate{.market = m.id, .index = index, .mark = m.mark, .twap = m.feed.twap()});
  }
  if (u.breaker_tripped || u.breaker_cleared) {
    sink.Emit(events::CircuitBreaker{
        .market = m.id, .tripped = u.breaker_tripped, .cause = u.cause});
  }
}

}  // namespace

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
  return {};
}

Reason Validate(const State& s, const TimeTick& c, OraclePlan* plan) {
  if (c.market == 0) return Reason::kOk;  // every market
  plan->market_slot = s.FindMarket(c.market);
  if (plan->market_slot == kNone) return Reason::kUnknownMarket;
  return Reason::kOk;
}

Outcome ApplyTimeTick(State& s, const OraclePlan& plan, EventSink& sink) {
  if (plan.market_slot != kNone) {
    RefreshOracle(s, plan.market_slot, sink);
    return {};
  }
  for (std::uint32_t mi : s.market_order) RefreshOracle(s, mi, sink);
  return {};
}

}  // namespace engine
PERPCORE_NAMESPACE_END
