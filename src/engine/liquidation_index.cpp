// Health and the liquidation candidate indexes (liquidation_index.hpp).
#include "liquidation_index.hpp"

#include <algorithm>
#include <limits>
#include <span>
#include <utility>

#include "absl/strings/str_cat.h"
#include "perpcore/detail/int128_text.hpp"
#include "valuation.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {
namespace {

using absl::int128;
using liquidation::CandidateEntry;
using liquidation::CandidateIndex;

constexpr int128 kScale = kRateScale;
// A floor that fires whatever X is: for an account liquidatable when it was
// keyed, whose floors cannot cover it.
constexpr int128 kAlwaysFire = absl::Int128Max();

int128 FloorDiv(int128 a, int128 b) {
  int128 q = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0))) q -= 1;
  return q;
}
int128 CeilDiv(int128 a, int128 b) { return -FloorDiv(-a, b); }

std::uint8_t SlotOf(std::size_t tier, const Position& p) {
  return static_cast<std::uint8_t>(2 * tier + (p.size < 0 ? 1 : 0));
}

// The trigger of a position keyed with `floor` in `tier` (file comment of
// the header): in X_t for its side.
int128 TriggerOf(const Market& m, const Position& p, std::size_t tier, int128 floor) {
  if (floor == kAlwaysFire) return p.size > 0 ? absl::Int128Max() : absl::Int128Min();
  const int128 q = kScale * (floor + 2) - m.tiers.MaintenanceDeduction(tier);
  const int128 x = p.size > 0 ? CeilDiv(q, p.size) : FloorDiv(q, p.size);
  return x - p.funding_index;
}

// X_t of a side at the market's mark and funding index `index`.
int128 XOf(const Market& m, std::size_t tier, bool long_side, int128 index) {
  const int128 rate = m.params.tiers[tier].maintenance_rate.raw();
  const int128 per_lot = int128(m.mark.raw()) * m.atoms;
  return per_lot * (long_side ? kScale - rate : kScale + rate) - index;
}

// The tier exits in price of a position of |size| lots keyed in `tier`:
// below fires at marks under the tier's floor (none for the first tier),
// above at marks from the next tier's floor on (none for the last).
struct Exits {
  std::optional<int128> below, above;
};
Exits ExitsOf(const Market& m, const Position& p, std::size_t tier) {
  const int128 per_tick = Abs(int128(p.size)) * m.atoms;
  const auto& tiers = m.params.tiers;
  Exits e;
  if (tier > 0) e.below = CeilDiv(tiers[tier].notional_floor.raw(), per_tick) - 1;
  if (tier + 1 < tiers.size()) e.above = CeilDiv(tiers[tier + 1].notional_floor.raw(), per_tick);
  return e;
}

void Upsert(CandidateIndex& index, const CandidateEntry& e) {
  if (!index.Update(e)) index.Insert(e);
}

void SetExit(CandidateIndex& index, std::uint64_t id, Side side, const std::optional<int128>& t) {
  if (t.has_value()) {
    Upsert(index, CandidateEntry{.id = id, .side = side, .trigger = *t});
  } else {
    index.Erase(id);
  }
}

// Key(): enters (or moves) the position's entry and tier exits for `floor`.
void Key(Market& m, AccountId account, Position& p, int128 floor) {
  const std::size_t tier = m.tiers.Tier(ToQuote(Abs(PositionValue(m, p))));
  const std::uint8_t slot = SlotOf(tier, p);
  const std::uint64_t id = account.value();
  if (p.liq_slot != kUnkeyed && p.liq_slot != slot) m.liq.by[p.liq_slot].Erase(id);
  Upsert(m.liq.by[slot], CandidateEntry{.id = id,
                                        .side = p.size > 0 ? Side::kBuy : Side::kSell,
                                        .trigger = TriggerOf(m, p, tier, floor)});
  const Exits exits = ExitsOf(m, p, tier);
  SetExit(m.liq.below, id, Side::kBuy, exits.below);
  SetExit(m.liq.above, id, Side::kSell, exits.above);
  p.liq_slot = slot;
  p.liq_floor = floor;
}

// Unkey(): removes the account's entries in the market. With the record
// (keyed) one index is known; without it (the record went, or was made anew
// in this command) every index of the market is asked.
void Unkey(Market& m, AccountId account, Position* p) {
  const std::uint64_t id = account.value();
  if (p != nullptr && p->liq_slot != kUnkeyed) {
    m.liq.by[p->liq_slot].Erase(id);
  } else {
    for (CandidateIndex& index : m.liq.by) index.Erase(id);
  }
  m.liq.below.Erase(id);
  m.liq.above.Erase(id);
  if (p != nullptr) p->liq_slot = kUnkeyed;
}

bool Marked(std::span<const std::pair<Account*, std::uint32_t>> marks, std::uint32_t market_slot) {
  return std::any_of(marks.begin(), marks.end(),
                     [&](const auto& mark) { return mark.second == market_slot; });
}

bool IsKeyedCross(const Position& p) {
  return p.mode == MarginMode::kCross && p.size != 0;
}

// Splits `slack` >= 0 over the cross positions selected by `in_split` in
// proportion to their maintenance (the remainder to the first), floors
// T = h - share.
template <class Pred>
void Split(State& s, Account& a, int128 slack, Pred in_split) {
  int128 weight = 0;
  for (const Position& p : a.positions) {
    if (IsKeyedCross(p) && in_split(p)) weight += MaintenanceOf(s.markets[p.market_slot], p);
  }
  // Every position's maintenance is >= 1 atom (rates > 0, rounded up).
  PERPCORE_CHECK(weight > 0);
  int128 rest = slack;
  Position* first = nullptr;
  for (Position& p : a.positions) {
    if (!IsKeyedCross(p) || !in_split(p)) continue;
    Market& m = s.markets[p.market_slot];
    const int128 share = slack * MaintenanceOf(m, p) / weight;
    rest -= share;
    if (first == nullptr) first = &p;
    p.liq_floor = HealthPart(m, p, s.now) - share;
  }
  PERPCORE_CHECK(first != nullptr);
  first->liq_floor -= rest;
  for (Position& p : a.positions) {
    if (IsKeyedCross(p) && in_split(p)) Key(s.markets[p.market_slot], a.id, p, p.liq_floor);
  }
}

void RekeyAccount(State& s, Account& a, std::span<const std::pair<Account*, std::uint32_t>> marks) {
  for (const auto& [account, market_slot] : marks) {
    if (market_slot == kNone) continue;
    Market& m = s.markets[market_slot];
    Position* p = FindPosition(a, m.id);
    if (p == nullptr || p->size == 0) {
      Unkey(m, a.id, p);
      continue;
    }
    // A record made anew in this command: an entry of the one it replaced
    // may remain.
    if (p->liq_slot == kUnkeyed) Unkey(m, a.id, nullptr);
    if (p->mode == MarginMode::kIsolated) Key(m, a.id, *p, -int128(p->iso_cash));
  }

  // The cross account: what the clean positions' floors leave.
  int128 rest = a.cash;
  int128 dirty_health = 0;
  bool any_dirty = false, any_cross = false, force = false;
  auto dirty = [&](const Position& p) {
    return p.liq_slot == kUnkeyed || Marked(marks, p.market_slot);
  };
  for (const Position& p : a.positions) {
    if (!IsKeyedCross(p)) continue;
    any_cross = true;
    if (dirty(p)) {
      any_dirty = true;
      dirty_health += HealthPart(s.markets[p.market_slot], p, s.now);
    } else if (p.liq_floor == kAlwaysFire) {
      force = true;
    } else {
      rest += p.liq_floor;
    }
  }
  if (!any_cross) {
    if (a.cash < 0) {
      s.debtors.insert(a.id);
    } else {
      s.debtors.erase(a.id);
    }
    return;
  }
  if (!s.debtors.empty()) s.debtors.erase(a.id);
  if (!force) {
    if (!any_dirty && rest >= 0) return;
    if (any_dirty && rest + dirty_health >= 0) {
      Split(s, a, rest + dirty_health, dirty);
      return;
    }
  }
  // Re-split every cross position from the cash alone.
  int128 health = a.cash;
  for (const Position& p : a.positions) {
    if (IsKeyedCross(p)) health += HealthPart(s.markets[p.market_slot], p, s.now);
  }
  if (health >= 0) {
    Split(s, a, health, [](const Position&) { return true; });
    return;
  }
  for (Position& p : a.positions) {
    if (IsKeyedCross(p)) Key(s.markets[p.market_slot], a.id, p, kAlwaysFire);
  }
}

// Every entry of `index` that fires at x, appended to `out` with the market.
void CollectFired(const CandidateIndex& index, int128 x, std::uint32_t market_slot,
                  std::vector<CandidateEntry>& buf,
                  std::vector<std::pair<std::uint64_t, std::uint32_t>>& out) {
  if (index.empty() || !index.AnyFired(x)) return;
  liquidation::FiredResult r = index.Fired(x, buf);
  while (r.more) {
    buf.resize(buf.size() * 2);
    r = index.Fired(x, buf);
  }
  for (std::size_t i = 0; i < r.written; ++i) out.emplace_back(buf[i].id, market_slot);
}

// Most under-margined first: equity / maintenance ascending, a deficit
// without requirement first; then account, then market.
bool Before(const LiquidationCandidate& x, const LiquidationCandidate& y) {
  const bool x_bare = x.maintenance.raw() == 0, y_bare = y.maintenance.raw() == 0;
  if (x_bare != y_bare) return x_bare;
  if (!x_bare) {
    const int128 l = int128(x.equity.raw()) * y.maintenance.raw();
    const int128 r = int128(y.equity.raw()) * x.maintenance.raw();
    if (l != r) return l < r;
  }
  if (x.account != y.account) return x.account < y.account;
  return x.market < y.market;
}

}  // namespace

HealthOf CrossHealth(const State& s, const Account& a) {
  HealthOf h{.equity = a.cash};
  for (const Position& p : a.positions) {
    if (p.mode != MarginMode::kCross || p.size == 0) continue;
    const Market& m = s.markets[p.market_slot];
    h.equity += PositionValue(m, p) - PendingFunding(m, p, s.now);
    h.maintenance += MaintenanceOf(m, p);
  }
  return h;
}

HealthOf BucketHealth(const Market& m, const Position& p, TimeNs now) {
  return {.equity = BucketEquity(m, p, now), .maintenance = MaintenanceOf(m, p)};
}

Rate WarningThreshold(const State& s, const Account& a) {
  Rate lowest = liquidation::LiquidationParams{}.warning_threshold;
  bool any = false;
  for (const Position& p : a.positions) {
    if (p.mode != MarginMode::kCross || p.size == 0) continue;
    const Rate w = s.markets[p.market_slot].params.liquidation.warning_threshold;
    lowest = any ? std::min(lowest, w) : w;
    any = true;
  }
  return lowest;
}

void InitMarketIndex(const State& s, Market& m) {
  const std::uint64_t seed = s.config.hash_seed ^ m.id.value();
  m.liq.by.assign(2 * m.params.tiers.size(), CandidateIndex(seed));
  m.liq.below = CandidateIndex(seed);
  m.liq.above = CandidateIndex(seed);
}

void ResetMarketIndex(State& s, std::uint32_t market_slot) {
  Market& m = s.markets[market_slot];
  std::vector<std::uint64_t> ids;
  std::vector<CandidateEntry> buf(256);
  for (std::size_t i = 0; i < m.liq.by.size(); ++i) {
    // Longs fire for the least X, shorts for the greatest: all of them.
    const int128 x = i % 2 == 0 ? absl::Int128Min() : absl::Int128Max();
    std::vector<std::pair<std::uint64_t, std::uint32_t>> fired;
    CollectFired(m.liq.by[i], x, market_slot, buf, fired);
    for (const auto& f : fired) ids.push_back(f.first);
  }
  InitMarketIndex(s, m);
  for (const std::uint64_t id : ids) {
    const std::uint32_t ai = s.FindAccount(AccountId(id));
    PERPCORE_CHECK(ai != kNone);
    Account& a = s.accounts[ai];
    Position* p = FindPosition(a, m.id);
    PERPCORE_CHECK(p != nullptr);
    p->liq_slot = kUnkeyed;
    MarkDirty(s, a, market_slot);
  }
}

void RekeyDirty(State& s) {
  auto& marks = s.liq_dirty;
  std::sort(marks.begin(), marks.end());
  marks.erase(std::unique(marks.begin(), marks.end()), marks.end());
  std::size_t i = 0;
  while (i < marks.size()) {
    std::size_t j = i;
    while (j < marks.size() && marks[j].first == marks[i].first) ++j;
    RekeyAccount(s, *marks[i].first, std::span(marks).subspan(i, j - i));
    i = j;
  }
  marks.clear();
}

std::vector<LiquidationCandidate> FindLiquidatable(const State& s, std::size_t limit) {
  std::vector<std::pair<std::uint64_t, std::uint32_t>> fired;
  std::vector<CandidateEntry> buf(256);
  for (const std::uint32_t mi : s.market_order) {
    const Market& m = s.markets[mi];
    const int128 index = FundingIndexAt(m, s.now);
    for (std::size_t t = 0; 2 * t < m.liq.by.size(); ++t) {
      CollectFired(m.liq.by[2 * t], XOf(m, t, true, index), mi, buf, fired);
      CollectFired(m.liq.by[2 * t + 1], XOf(m, t, false, index), mi, buf, fired);
    }
    CollectFired(m.liq.below, m.mark.raw(), mi, buf, fired);
    CollectFired(m.liq.above, m.mark.raw(), mi, buf, fired);
  }
  std::sort(fired.begin(), fired.end());
  fired.erase(std::unique(fired.begin(), fired.end()), fired.end());

  std::vector<LiquidationCandidate> out;
  auto add = [&](const Account& a, MarketId market, const HealthOf& h, Rate warning) {
    if (!h.Liquidatable()) return;
    out.push_back(LiquidationCandidate{
        .account = a.id,
        .market = market,
        .health = liquidation::Classify(h.equity, h.maintenance, warning),
        .equity = ToQuote(h.equity),
        .maintenance = ToQuote(h.maintenance)});
  };
  std::vector<std::uint32_t> cross;
  for (const auto& [id, mi] : fired) {
    const std::uint32_t ai = s.FindAccount(AccountId(id));
    PERPCORE_CHECK(ai != kNone);
    const Account& a = s.accounts[ai];
    const Market& m = s.markets[mi];
    const Position* p = FindPosition(a, m.id);
    PERPCORE_CHECK(p != nullptr && p->size != 0);  // keyed positions only
    if (p->mode == MarginMode::kIsolated) {
      add(a, m.id, BucketHealth(m, *p, s.now), m.params.liquidation.warning_threshold);
    } else {
      cross.push_back(ai);
    }
  }
  for (const AccountId id : s.debtors) cross.push_back(s.FindAccount(id));
  std::sort(cross.begin(), cross.end());
  cross.erase(std::unique(cross.begin(), cross.end()), cross.end());
  for (const std::uint32_t ai : cross) {
    const Account& a = s.accounts[ai];
    add(a, MarketId(0), CrossHealth(s, a), WarningThreshold(s, a));
  }
  std::sort(out.begin(), out.end(), Before);
  if (out.size() > limit) out.resize(limit);
  return out;
}

absl::Status CheckLiquidationIndex(const State& s) {
  std::vector<std::size_t> keyed(s.markets.size(), 0);
  std::vector<std::size_t> exits(s.markets.size(), 0);
  for (std::uint32_t ai = 0; ai < s.accounts.size(); ++ai) {
    const Account& a = s.accounts[ai];
    int128 cover = a.cash;
    bool any_cross = false, always = false;
    for (const Position& p : a.positions) {
      const Market& m = s.markets[p.market_slot];
      if (p.size == 0) {
        if (p.liq_slot != kUnkeyed) {
          return absl::InternalError(absl::StrCat("account ", a.id.value(), " market ",
                                                  m.id.value(), ": keyed without a position"));
        }
        continue;
      }
      if (p.liq_slot == kUnkeyed || p.liq_slot >= m.liq.by.size()) {
        return absl::InternalError(
            absl::StrCat("account ", a.id.value(), " market ", m.id.value(), ": not keyed"));
      }
      const std::size_t tier = p.liq_slot / 2;
      const std::optional<CandidateEntry> e = m.liq.by[p.liq_slot].Find(a.id.value());
      const Side side = p.size > 0 ? Side::kBuy : Side::kSell;
      if (!e.has_value() || e->side != side || SlotOf(tier, p) != p.liq_slot ||
          e->trigger != TriggerOf(m, p, tier, p.liq_floor)) {
        return absl::InternalError(absl::StrCat("account ", a.id.value(), " market ",
                                                m.id.value(), ": entry does not match floor ",
                                                detail::Int128Text(p.liq_floor)));
      }
      keyed[p.market_slot] += 1;
      const Exits x = ExitsOf(m, p, tier);
      const std::optional<CandidateEntry> below = m.liq.below.Find(a.id.value());
      const std::optional<CandidateEntry> above = m.liq.above.Find(a.id.value());
      if (below.has_value() != x.below.has_value() || above.has_value() != x.above.has_value() ||
          (below && below->trigger != *x.below) || (above && above->trigger != *x.above)) {
        return absl::InternalError(absl::StrCat("account ", a.id.value(), " market ",
                                                m.id.value(), ": tier exits do not match"));
      }
      exits[p.market_slot] += (x.below ? 1u : 0u) + (x.above ? 1u : 0u);
      if (p.mode == MarginMode::kIsolated) {
        if (p.liq_floor != -int128(p.iso_cash)) {
          return absl::InternalError(absl::StrCat("account ", a.id.value(), " market ",
                                                  m.id.value(), ": bucket floor is not -cash"));
        }
        continue;
      }
      any_cross = true;
      if (p.liq_floor == kAlwaysFire) {
        always = true;
      } else {
        cover += p.liq_floor;
      }
    }
    if (any_cross && !always && cover < 0) {
      return absl::InternalError(absl::StrCat("account ", a.id.value(), ": floors leave ",
                                              detail::Int128Text(cover), " uncovered"));
    }
    const bool debtor = !any_cross && a.cash < 0;
    if (debtor != s.debtors.contains(a.id)) {
      return absl::InternalError(
          absl::StrCat("account ", a.id.value(), ": debtor set disagrees (cash ", a.cash, ")"));
    }
  }
  for (std::uint32_t mi = 0; mi < s.markets.size(); ++mi) {
    const Market& m = s.markets[mi];
    std::size_t entries = 0;
    for (const CandidateIndex& index : m.liq.by) entries += index.size();
    if (m.liq.by.size() != 2 * m.params.tiers.size() || entries != keyed[mi] ||
        m.liq.below.size() + m.liq.above.size() != exits[mi]) {
      return absl::InternalError(
          absl::StrCat("market ", m.id.value(), ": ", entries, " candidate entries for ",
                       keyed[mi], " keyed positions"));
    }
  }
  for (const AccountId id : s.debtors) {
    if (s.FindAccount(id) == kNone) {
      return absl::InternalError(absl::StrCat("debtor ", id.value(), " is not an account"));
    }
  }
  return absl::OkStatus();
}

}  // namespace engine
PERPCORE_NAMESPACE_END
