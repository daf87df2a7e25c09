// Margin warnings (margin_warning.hpp).
#include "margin_warning.hpp"

#include <utility>
#include <vector>

#include "liquidation_index.hpp"
#include "perpcore/liquidation/liquidation.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {
namespace {

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
  const HealthOf cross = CrossHealth(s, a);
  Flip(&a.warned, cross.Warned(), a, MarketId(0), cross, sink);
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
    Flip(&flag, h.Warned(), a, p.market, h, sink);
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
