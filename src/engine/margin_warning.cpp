// Margin warnings (margin_warning.hpp).
#include "margin_warning.hpp"

#include "liquidation_index.hpp"
#include "perpcore/liquidation/liquidation.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {
namespace {

bool WarningOrWorse(const HealthOf& h, Rate threshold) {
  return liquidation::Classify(h.equity, h.maintenance, threshold) !=
         liquidation::Health::kHealthy;
}

void Flip(bool* flag, bool now, const Account& a, MarketId market, const HealthOf& h,
          EventSink& sink) {
  if (*flag == now) return;
  *flag = now;
  sink.Emit(events::MarginWarning{.account = a.id,
                                  .market = market,
                                  .set = now,
                                  .equity = ToQuote(h.equity),
                                  .maintenance = ToQuote(h.maintenance)});
}

}  // namespace

bool WarnedNow(const State& s, const Account& a, const Position* p) {
  if (p == nullptr) {
    Rate threshold;
    const HealthOf h = CrossHealth(s, a, &threshold);
    return WarningOrWorse(h, threshold);
  }
  if (p->mode != MarginMode::kIsolated || p->size == 0) return false;
  const Market& m = s.markets[p->market_slot];
  return WarningOrWorse(BucketHealth(m, *p, s.now), m.params.liquidation.warning_threshold);
}

void UpdateWarnings(const State& s, Account& a, EventSink& sink) {
  Rate threshold;
  const HealthOf cross = CrossHealth(s, a, &threshold);
  Flip(&a.warned, WarningOrWorse(cross, threshold), a, MarketId(0), cross, sink);
  for (Position& p : a.positions) {
    if (p.mode != MarginMode::kIsolated || p.size == 0) {
      // A record without a bucket carries no warning (a bucket that closed
      // and left orders behind clears it).
      Flip(&p.warned, false, a, p.market, HealthOf{}, sink);
      continue;
    }
    const Market& m = s.markets[p.market_slot];
    const HealthOf h = BucketHealth(m, p, s.now);
    Flip(&p.warned, WarningOrWorse(h, m.params.liquidation.warning_threshold), a, p.market, h,
         sink);
  }
}

}  // namespace engine
PERPCORE_NAMESPACE_END
