#include "state.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {
namespace {

template <class Positions>
auto PositionAt(Positions& v, MarketId market) {
  return std::lower_bound(v.begin(), v.end(), market,
                          [](const Position& p, MarketId id) { return p.market < id; });
}

}  // namespace

const Position* FindPosition(const Account& a, MarketId market) {
  const auto it = PositionAt(a.positions, market);
  return it != a.positions.end() && it->market == market ? &*it : nullptr;
}

Position* FindPosition(Account& a, MarketId market) {
  const auto it = PositionAt(a.positions, market);
  return it != a.positions.end() && it->market == market ? &*it : nullptr;
}

Position NewPosition(const Market& m, std::uint32_t market_slot) {
  return Position{.market = m.id, .market_slot = market_slot, .leverage = m.params.max_leverage};
}

Position& GetPosition(const State& s, Account& a, std::uint32_t market_slot) {
  const Market& m = s.markets[market_slot];
  auto it = PositionAt(a.positions, m.id);
  if (it == a.positions.end() || it->market != m.id) {
    it = a.positions.insert(it, NewPosition(m, market_slot));
  }
  return *it;
}

}  // namespace engine
PERPCORE_NAMESPACE_END
