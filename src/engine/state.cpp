#include "state.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {
namespace {

// The first record (or pref) at or after `market` in a list sorted by market.
template <class List>
auto At(List& v, MarketId market) {
  return std::lower_bound(v.begin(), v.end(), market,
                          [](const auto& p, MarketId id) { return p.market < id; });
}

}  // namespace

const Position* FindPosition(const Account& a, MarketId market) {
  const auto it = At(a.positions, market);
  return it != a.positions.end() && it->market == market ? &*it : nullptr;
}

Position* FindPosition(Account& a, MarketId market) {
  const auto it = At(a.positions, market);
  return it != a.positions.end() && it->market == market ? &*it : nullptr;
}

MarketPref PrefOf(const Account& a, MarketId market) {
  const auto it = At(a.prefs, market);
  return it != a.prefs.end() && it->market == market ? *it : MarketPref{.market = market};
}

void SetPref(Account& a, const MarketPref& pref) {
  const auto it = At(a.prefs, pref.market);
  const bool found = it != a.prefs.end() && it->market == pref.market;
  if (pref.IsDefault()) {
    if (found) a.prefs.erase(it);
  } else if (found) {
    *it = pref;
  } else {
    a.prefs.insert(it, pref);
  }
}

Position NewPosition(const Account& a, const Market& m, std::uint32_t market_slot) {
  const MarketPref pref = PrefOf(a, m.id);
  return Position{.market = m.id,
                  .market_slot = market_slot,
                  .mode = pref.mode,
                  .leverage = pref.leverage,
                  .funding_index = m.funding.index()};
}

// GetPosition()'s slow path, out of line (and apart from the hot code):
// the lookup that every fill, rest and amend makes stays a few
// instructions in its callers, and the insert's large code (moving records
// with their ladders) is fetched only when a record is made. Measured with
// callgrind --cache-sim: fewer instruction-cache misses than inline.
[[gnu::noinline, gnu::cold]] Position& InsertPosition(const State& s, Account& a,
                                                      std::uint32_t market_slot) {
  const Market& m = s.markets[market_slot];
  // Room for a few records with the first: an account trading several
  // markets would otherwise reallocate (and move every record) at 1, 2
  // and 4. Removing records keeps the capacity.
  constexpr std::size_t kFirstCapacity = 4;
  if (a.positions.capacity() == 0) {
    a.positions.reserve(std::min<std::size_t>(kFirstCapacity, s.config.max_markets));
  }
  return *a.positions.insert(At(a.positions, m.id), NewPosition(a, m, market_slot));
}

[[gnu::noinline]] void ErasePosition(Account& a, Position& p) {
  PERPCORE_CHECK(p.iso_cash == 0);
  a.positions.erase(a.positions.begin() + (&p - a.positions.data()));
}

}  // namespace engine
PERPCORE_NAMESPACE_END
