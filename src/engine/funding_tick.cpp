// Funding: each market's funding clock driven by the engine's time, at the
// prices, book and open interest the market shows (funding/funding.hpp).
// What accrues where:
//   active, reduce-only (or a tripped breaker)  samples on time ticks and pays;
//   halted     no premium samples (the book does not trade), pays: positions
//              that cannot trade still carry their funding, at the interest
//              rate when no sample was taken;
//   delisted   nothing: the funding index stays where delisting left it (the
//              status change advances it first).
// While the index is not usable nothing is sampled or paid (funding.hpp).
#include "handlers.hpp"
#include "ledger.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {
namespace {

// Records the closes in the market's history and reports them.
void EmitCloses(Market& m, const funding::RateSet* closes, std::size_t n, EventSink& sink) {
  for (std::size_t i = 0; i < n; ++i) {
    const funding::RateSet& c = closes[i];
    m.funding_history.Record(c);
    sink.Emit(events::FundingRateSet{.market = m.id,
                                     .start = c.start,
                                     .end = c.end,
                                     .intervals = c.intervals,
                                     .premium = c.premium,
                                     .rate = c.rate,
                                     .price = c.price});
  }
}

}  // namespace

funding::Inputs FundingInputs(const Market& m, TimeNs now, bool sample,
                              const oracle::BookPrices* walked) {
  const funding::FundingParams& f = m.params.funding;
  funding::Inputs in{.now = now,
                     .index = m.IndexUsable(now) ? m.feed.index() : Ticks(0),
                     .mark = m.mark,
                     .book_open = sample && !m.Halted(),
                     .long_lots = m.oi_long,
                     .short_lots = m.oi_short,
                     .atoms_per_tick_lot = m.atoms,
                     .initial_minus_maintenance = FundingMarginGap(m.params)};
  in.long_lots -= std::max<std::int64_t>(m.counterparty_size, 0);
  in.short_lots -= std::max<std::int64_t>(-m.counterparty_size, 0);
  if (in.book_open && in.index.raw() > 0 && m.funding.SampleDue(f, now)) {
    in.impact_bid = walked ? walked->impact_bid : ImpactPrice(m, Side::kBuy, f.impact_notional);
    in.impact_ask = walked ? walked->impact_ask : ImpactPrice(m, Side::kSell, f.impact_notional);
  }
  return in;
}

void AdvanceFunding(State& s, std::uint32_t market_slot, bool sample, EventSink& sink,
                    const oracle::BookPrices* walked) {
  Market& m = s.markets[market_slot];
  const funding::Advanced a =
      m.funding.Advance(m.params.funding, FundingInputs(m, s.now, sample, walked));
  EmitCloses(m, a.closed.data(), a.closes, sink);
}

void CloseFunding(State& s, std::uint32_t market_slot, const funding::FundingParams& next,
                  EventSink& sink) {
  Market& m = s.markets[market_slot];
  const funding::Inputs in = FundingInputs(m, s.now, false);
  const funding::Advanced a = m.funding.Advance(m.params.funding, in);
  EmitCloses(m, a.closed.data(), a.closes, sink);
  const std::optional<funding::RateSet> c = m.funding.Close(m.params.funding, next, in);
  if (c) EmitCloses(m, &*c, 1, sink);
}

void SettlePosition(State& s, Account& a, Position& p, EventSink& sink) {
  if (FundingDue(s.markets[p.market_slot], s.now)) AdvanceFunding(s, p.market_slot, false, sink);
  ledger::SettleFunding(s, s.markets[p.market_slot], a, p, sink);
}

void SettleAccount(State& s, Account& a, EventSink& sink) {
  for (Position& p : a.positions) SettlePosition(s, a, p, sink);
}

}  // namespace engine
PERPCORE_NAMESPACE_END
