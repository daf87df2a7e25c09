// Margin warnings (margin_warning.hpp).
#include "margin_warning.hpp"

#include <utility>
#include <vector>

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

void UpdateWarnings(const State& s, Account& a, EventSink& sink) {
  Rate threshold;
  const HealthOf cross = CrossHealth(s, a, &threshold);
  Flip(&a.warned, WarningOrWorse(cross, threshold), a, MarketId(0), cross, sink);
  // The buckets: both lists are in market id order (positions are sorted
  // by market id); a warned market without a bucket now (released, or back
  // to cross) is cleared with zeros.
  std::vector<MarketId>& was = a.warned_buckets;
  std::size_t w = 0;  // next of `was` not yet matched
  std::vector<MarketId> now;
  auto clear_released = [&](MarketId below) {
    while (w < was.size() && was[w] < below) {
      bool flag = true;
      Flip(&flag, false, a, was[w], HealthOf{}, sink);
      ++w;
    }
  };
  for (const Position& p : a.positions) {
    if (p.mode != MarginMode::kIsolated || p.size == 0) continue;
    clear_released(p.market);
    bool flag = w < was.size() && was[w] == p.market;
    if (flag) ++w;
    const Market& m = s.markets[p.market_slot];
    const HealthOf h = BucketHealth(m, p, s.now);
    Flip(&flag, WarningOrWorse(h, m.params.liquidation.warning_threshold), a, p.market, h, sink);
    if (flag) now.push_back(p.market);
  }
  for (; w < was.size(); ++w) {
    bool flag = true;
    Flip(&flag, false, a, was[w], HealthOf{}, sink);
  }
  if (now != was) was = std::move(now);
}

}  // namespace engine
PERPCORE_NAMESPACE_END
