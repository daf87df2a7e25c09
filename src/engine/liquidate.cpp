// The Liquidate command (engine.hpp, "Liquidation").
#include "handlers.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {

Reason Validate(const State&, const Liquidate&, LiquidationPlan*) {
  return Reason::kLiquidationNotLiquidatable;
}

Outcome ApplyLiquidate(State&, const LiquidationPlan&, EventSink&) { return {}; }

std::vector<LiquidationCandidate> Engine::Liquidatable(std::size_t) const { return {}; }

}  // namespace engine
PERPCORE_NAMESPACE_END
