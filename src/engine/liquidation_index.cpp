// Health and the liquidation candidate indexes (liquidation_index.hpp).
#include "liquidation_index.hpp"

#include <algorithm>
#include <limits>
#include <span>
#include <utility>

#include "absl/strings/str_cat.h"
#include "perpcore/detail/int128_text.hpp"
#include "margin_warning.hpp"
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

// The trigger of a bound sigma * (X + index_p) / 1e18 - k kept >= `floor`
// (file comment of the header): an entry of side kBuy for sigma > 0 (fires
// when X <= trigger), kSell for sigma < 0 (fires when X >= trigger).
int128 TriggerAt(std::int64_t sigma, int128 index_p, int128 floor, int128 k) {
  const int128 q = kScale * (floor + k);
  const int128 x = sigma > 0 ? CeilDiv(q, sigma) : FloorDiv(q, sigma);
  return x - index_p;
}

// The floor an entry at `trigger` still guarantees for the bound (the least
// the bound can be while the entry does not fire), or none when it is too
// low to be useful (see KeptFloor()).
std::optional<int128> FloorAt(std::int64_t sigma, int128 index_p, int128 trigger, int128 k) {
  // Far from any real trigger or index; keeps the sum below inside int128.
  const int128 bound = int128(1) << 125;
  if (Abs(trigger) > bound || Abs(index_p) > bound) return std::nullopt;
  const int128 v = trigger + index_p;
  const int128 per_lot = sigma > 0 ? FloorDiv(v, kScale) : CeilDiv(v, kScale);
  const int128 floor = per_lot * sigma - k;
  // A floor this low covers nothing (cash is below 2^63) and would leave
  // 1e18 * floor, the trigger's numerator, outside int128: re-key instead.
  if (floor < -(int128(1) << 66)) return std::nullopt;
  return floor;
}

// The liquidation family's trigger of a position keyed with `floor`: in X_t
// for its side.
int128 TriggerOf(const Position& p, int128 floor) {
  if (floor == kAlwaysFire) return p.size > 0 ? absl::Int128Max() : absl::Int128Min();
  return TriggerAt(p.size, p.funding_index, floor, 2);
}

// X_t of a side at the market's mark and funding index `index`.
int128 XOf(const Market& m, std::size_t tier, bool long_side, int128 index) {
  const int128 rate = m.params.tiers[tier].maintenance_rate.raw();
  const int128 per_lot = int128(m.mark.raw()) * m.atoms;
  return per_lot * (long_side ? kScale - rate : kScale + rate) - index;
}

// The tier exit in price of `lots` lots keyed in `tier`: the first mark at
// which their notional reaches the next tier's floor (none for the last
// tier).
std::optional<int128> ExitOf(const Market& m, std::int64_t lots, std::size_t tier) {
  const auto& tiers = m.params.tiers;
  if (tier + 1 >= tiers.size()) return std::nullopt;
  return CeilDiv(tiers[tier + 1].notional_floor.raw(), int128(lots) * m.atoms);
}

// The size a tier exit is placed for: a quarter above the position's, so
// that the fills that grow it a little keep the exit (it fires earlier, which
// is safe), but not so far that the exit fires at the current mark.
std::int64_t ExitLots(const Market& m, const Position& p, std::size_t tier) {
  const std::int64_t lots = p.size < 0 ? -p.size : p.size;
  const auto& tiers = m.params.tiers;
  if (tier + 1 >= tiers.size()) return kMaxI64;
  const int128 per_lot = int128(m.mark.raw()) * m.atoms;
  const int128 below_next = (tiers[tier + 1].notional_floor.raw() - 1) / per_lot;
  return static_cast<std::int64_t>(
      std::max<int128>(lots, std::min<int128>(int128(lots) + lots / 4, below_next)));
}

void Upsert(CandidateIndex& index, const CandidateEntry& e) {
  if (!index.Update(e)) index.Insert(e);
}

void SetExit(CandidateIndex& index, std::uint64_t id, const std::optional<int128>& t) {
  if (t.has_value()) {
    Upsert(index, CandidateEntry{.id = id, .side = Side::kSell, .trigger = *t});
  } else if (!index.empty()) {
    index.Erase(id);
  }
}

// Key(): enters (or moves) the position's entry and tier exit for `floor`.
void Key(Market& m, const Account& a, Position& p, int128 floor) {
  const std::size_t tier = m.tiers.Tier(ToQuote(Abs(PositionValue(m, p))));
  const std::uint8_t slot = SlotOf(tier, p);
  const std::uint64_t id = a.slot;
  if (p.liq_slot != kUnkeyed && p.liq_slot != slot) m.liq.by[p.liq_slot].Erase(id);
  Upsert(m.liq.by[slot], CandidateEntry{.id = id,
                                        .side = p.size > 0 ? Side::kBuy : Side::kSell,
                                        .trigger = TriggerOf(p, floor)});
  // The exit stays where it is while it was placed for this tier and at
  // least this size (it fires no later than this size's would).
  const std::int64_t lots = p.size < 0 ? -p.size : p.size;
  if (p.liq_slot / 2 != tier || p.liq_slot == kUnkeyed || lots > p.liq_exit_lots) {
    p.liq_exit_lots = ExitLots(m, p, tier);
    SetExit(m.liq.above, id, ExitOf(m, p.liq_exit_lots, tier));
  }
  p.liq_slot = slot;
  p.liq_floor = floor;
}

// KeptFloor(): after a change to the position (a fill of the same side, a
// settlement), the floor its entry still guarantees where it stands: the
// bound h_lb at the entry's trigger (the least it can be while the entry
// does not fire), rounded down; none when the entry cannot serve (unkeyed,
// the side flipped, always firing, the notional past its tier's top or the
// size past its exit's). Keeping it costs no index operation.
std::optional<int128> KeptFloor(const Market& m, const Position& p, std::uint64_t id) {
  if (p.liq_slot == kUnkeyed || p.liq_floor == kAlwaysFire) return std::nullopt;
  const std::size_t tier = p.liq_slot / 2;
  if (SlotOf(tier, p) != p.liq_slot || (p.size < 0 ? -p.size : p.size) > p.liq_exit_lots) {
    return std::nullopt;
  }
  const auto& tiers = m.params.tiers;
  if (tier + 1 < tiers.size() && Abs(PositionValue(m, p)) >= tiers[tier + 1].notional_floor.raw()) {
    return std::nullopt;
  }
  const std::optional<CandidateEntry> e = m.liq.by[p.liq_slot].Find(id);
  PERPCORE_CHECK(e.has_value());
  return FloorAt(p.size, p.funding_index, e->trigger, 2);
}

bool Marked(std::span<const std::pair<Account*, std::uint32_t>> marks, std::uint32_t market_slot) {
  return std::any_of(marks.begin(), marks.end(),
                     [&](const auto& mark) { return mark.second == market_slot; });
}

bool IsKeyedCross(const Position& p) {
  return p.mode == MarginMode::kCross && p.size != 0;
}

// Gives 7/8 of `slack` >= 0 to the cross positions `split`, in proportion
// to their maintenance: key(market, position, share) keys each with floor
// part - share; the other eighth (and the rounding) stays with
// the account, base + sum T >= 0, so that the next fill of one position
// often finds its room there (liquidation_index.hpp). Both families.
template <class KeyFn>
void SplitSlack(State& s, int128 slack, std::span<Position* const> split, KeyFn key) {
  int128 weight = 0;
  for (const Position* p : split) weight += MaintenanceOf(s.markets[p->market_slot], *p);
  // Every position's maintenance is >= 1 atom (rates > 0, rounded up).
  PERPCORE_CHECK(weight > 0);
  const int128 given = slack - slack / 8;
  for (Position* p : split) {
    Market& m = s.markets[p->market_slot];
    const int128 maintenance = MaintenanceOf(m, *p);
    key(m, *p, maintenance == weight ? given : given * maintenance / weight);
  }
}

// Keeps every dirty position's entry (kept_floor(position): its KeptFloor()
// in the family) if the floors still cover the account with what the clean
// ones leave, `rest` (base + sum of the clean floors): the floors are
// written to `field`, no index operation. Both families.
template <class KeptFn>
bool KeepAll(State& s, int128 rest, std::span<Position* const> dirty, KeptFn kept_floor,
             int128 Position::*field) {
  std::vector<int128>& kept = s.liq_kept;
  kept.clear();
  for (const Position* p : dirty) {
    const std::optional<int128> floor = kept_floor(*p);
    if (!floor.has_value()) return false;
    kept.push_back(*floor);
    rest += *floor;
  }
  if (rest < 0) return false;
  for (std::size_t i = 0; i < dirty.size(); ++i) dirty[i]->*field = kept[i];
  return true;
}

// Unkey(): removes the account's entries in the market. With the record
// (keyed) one index is known; without it (the record went, or was made anew
// in this command) every index of the market is asked.
void Unkey(Market& m, const Account& a, Position* p) {
  const std::uint64_t id = a.slot;
  if (p != nullptr && p->liq_slot != kUnkeyed) {
    m.liq.by[p->liq_slot].Erase(id);
  } else {
    for (CandidateIndex& index : m.liq.by) index.Erase(id);
  }
  if (p != nullptr && p->warn_slot != kUnkeyed) {
    m.liq.warn[p->warn_slot].Erase(id);
  } else {
    for (CandidateIndex& index : m.liq.warn) index.Erase(id);
  }
  m.liq.above.Erase(id);
  if (p != nullptr) p->liq_slot = p->warn_slot = kUnkeyed;
}

// ------------------------------------------------------- the warning family
//
// A target (cross account or isolated bucket) is warned when its equity E
// is at or below its warning margin W = sum of WarningPart() (or E < 0):
// HealthOf::Warned(). A position's part of E - W is
//     g = s * P * A - ceil(s * (I - I_p) / 1e18) - floor(M * 1e18 / w),
// M its maintenance in atoms, w its market's warning threshold.
//
// "Enter" entries (targets not warned) bound g from below, as the
// liquidation family bounds h: below the next tier's floor M <= r_t * n /
// 1e18 + 1, so floor(M * 1e18 / w) <= n * rho_t / 1e18 + ceil(1e18 / w)
// with rho_t = ceil(r_t * 1e18 / w), and
//     g >= s * (X^e_t + I_p) / 1e18 - (1 + ceil(1e18 / w)),
//     X^e_t = P * A * (1e18 -+ rho_t) - I   (- for a long, + for a short).
// Floors with (cash - 1) + sum T >= 0: not fired means E - W >= 1.
//
// "Clear" entries (warned targets) bound -g from below. The requirement is
// convex (risk/margin.hpp: continuous, rates rising), so every tier's line
// lies below it: M * 1e18 >= n * r_t - D_t for every n, D_t the tier's
// exact deduction; with rho'_t = floor(r_t * 1e18 / w),
//     -g >= -s * (X^c_t + I_p) / 1e18 - (ceil(D_t / w) + 1),
//     X^c_t = P * A * (1e18 -+ rho'_t) - I,
// valid at every notional (no tier exit). Floors with -cash + sum T >= 0:
// not fired means E - W <= 0, still warned.
//
// Both families are keyed in the tier of the position's liquidation entry
// (Position::liq_slot / 2), whose tier exit also bounds the enter family.
// So: no warning entry fired and no tier exit fired means every flag is
// exact (CheckLiquidationIndex() checks it). Fired entries are serviced by
// the market's ticks (ServiceWarnings()); a command that touches a target
// re-checks it exactly at its end (UpdateWarnings()).

enum class Family : std::uint8_t { kEnter, kClear };

std::size_t TiersOf(const Market& m) { return m.params.tiers.size(); }

std::uint8_t WarnSlot(const Market& m, Family f, std::size_t tier, const Position& p) {
  return static_cast<std::uint8_t>((f == Family::kClear ? 2 * TiersOf(m) : 0) + 2 * tier +
                                   (p.size < 0 ? 1 : 0));
}

Family FamilyOf(const Market& m, std::uint8_t slot) {
  return slot >= 2 * TiersOf(m) ? Family::kClear : Family::kEnter;
}

std::int64_t SigmaOf(Family f, const Position& p) { return f == Family::kClear ? -p.size : p.size; }

// The constant k of the family's bound in `tier`.
int128 WarnK(const Market& m, Family f, std::size_t tier) {
  const int128 w = m.params.liquidation.warning_threshold.raw();
  if (f == Family::kEnter) return 1 + CeilDiv(kScale, w);
  return CeilDiv(m.tiers.MaintenanceDeduction(tier), w) + 1;
}

// X of a warning index `slot` at the market's mark and funding index.
int128 WarnX(const Market& m, std::uint8_t slot, int128 index) {
  const Family f = FamilyOf(m, slot);
  const std::size_t local = f == Family::kClear ? slot - 2 * TiersOf(m) : slot;
  const std::size_t tier = local / 2;
  const bool long_side = local % 2 == 0;
  const int128 rate = m.params.tiers[tier].maintenance_rate.raw() * kScale;
  const int128 w = m.params.liquidation.warning_threshold.raw();
  const int128 rho = f == Family::kEnter ? CeilDiv(rate, w) : FloorDiv(rate, w);
  const int128 per_lot = int128(m.mark.raw()) * m.atoms;
  return per_lot * (long_side ? kScale - rho : kScale + rho) - index;
}

// The exact part of a position in the family: g for enter, -g for clear.
int128 WarnPart(const Market& m, const Position& p, Family f, TimeNs now) {
  const int128 g = PositionValue(m, p) - PendingFunding(m, p, now) - WarningPart(m, p);
  return f == Family::kEnter ? g : -g;
}

// What the floors of a target must cover: (cash - 1) for enter, -cash for
// clear.
int128 WarnBase(std::int64_t cash, Family f) {
  return f == Family::kEnter ? int128(cash) - 1 : -int128(cash);
}

bool BucketWarned(const Account& a, MarketId market) {
  return std::binary_search(a.warned_buckets.begin(), a.warned_buckets.end(), market);
}

void KeyWarn(Market& m, const Account& a, Position& p, Family f, int128 floor) {
  const std::size_t tier = p.liq_slot / 2;
  const std::uint8_t slot = WarnSlot(m, f, tier, p);
  const std::uint64_t id = a.slot;
  if (p.warn_slot != kUnkeyed && p.warn_slot != slot) m.liq.warn[p.warn_slot].Erase(id);
  const std::int64_t sigma = SigmaOf(f, p);
  Upsert(m.liq.warn[slot],
         CandidateEntry{.id = id,
                        .side = sigma > 0 ? Side::kBuy : Side::kSell,
                        .trigger = TriggerAt(sigma, p.funding_index, floor, WarnK(m, f, tier))});
  p.warn_slot = slot;
  p.warn_floor = floor;
}

// KeptWarnFloor(): as KeptFloor() for the warning family: the floor the
// position's entry still guarantees, if it is of family `f`, in its
// liquidation entry's tier and side, and not fired now (a fired entry is
// what ServiceWarnings() re-keys: keeping it would fire again).
std::optional<int128> KeptWarnFloor(const Market& m, const Position& p, std::uint64_t id,
                                    Family f, TimeNs now) {
  if (p.warn_slot == kUnkeyed || p.liq_slot == kUnkeyed) return std::nullopt;
  const std::size_t tier = p.liq_slot / 2;
  if (p.warn_slot != WarnSlot(m, f, tier, p)) return std::nullopt;
  const std::optional<CandidateEntry> e = m.liq.warn[p.warn_slot].Find(id);
  PERPCORE_CHECK(e.has_value());
  const int128 x = WarnX(m, p.warn_slot, FundingIndexAt(m, now));
  if (e->side == Side::kBuy ? x <= e->trigger : x >= e->trigger) return std::nullopt;
  return FloorAt(SigmaOf(f, p), p.funding_index, e->trigger, WarnK(m, f, tier));
}

// Whether a kept position's floor may no longer hold: its tier exit fired
// (the mark took the exit's size to the next tier), or the trigger its
// floor needs fired at the current X (a stored trigger may fire earlier;
// the floor holds until this one does).
bool WarnFloorBroken(const Market& m, const Position& p, Family f, TimeNs now) {
  const std::size_t tier = p.liq_slot / 2;
  const std::optional<int128> exit = ExitOf(m, p.liq_exit_lots, tier);
  if (exit.has_value() && int128(m.mark.raw()) >= *exit) return true;
  const std::int64_t sigma = SigmaOf(f, p);
  const int128 needed = TriggerAt(sigma, p.funding_index, p.warn_floor, WarnK(m, f, tier));
  const int128 x = WarnX(m, p.warn_slot, FundingIndexAt(m, now));
  return sigma > 0 ? x <= needed : x >= needed;
}

void SplitWarn(State& s, Account& a, Family f, int128 slack, std::span<Position* const> split) {
  SplitSlack(s, slack, split, [&](Market& m, Position& p, int128 share) {
    KeyWarn(m, a, p, f, WarnPart(m, p, f, s.now) - share);
  });
}

// KeepWarnings(): whether every warning entry the marks touched can stay
// where it is (KeptWarnFloor()) with floors that still cover its target,
// the cross account's with what its clean entries leave (each still
// holding: WarnFloorBroken()): then no flag can
// have changed (covered enter floors mean E - W >= 1, covered clear floors
// E - W <= 0), and the command needs neither the exact check nor index
// work (the common fill). Sets the kept floors; false as soon as one
// cannot stay, or when a marked bucket went (a warned one is cleared by
// UpdateWarnings()) or the account has no cross position left.
bool KeepWarnings(State& s, Account& a, std::span<const std::pair<Account*, std::uint32_t>> marks) {
  for (const auto& [account, market_slot] : marks) {
    if (market_slot == kNone) continue;
    const Market& m = s.markets[market_slot];
    Position* p = FindPosition(a, m.id);
    if (p == nullptr || p->size == 0) {
      if (BucketWarned(a, m.id)) return false;
      continue;
    }
    if (p->mode != MarginMode::kIsolated) continue;
    const Family f = BucketWarned(a, p->market) ? Family::kClear : Family::kEnter;
    const std::optional<int128> kept = KeptWarnFloor(m, *p, a.slot, f, s.now);
    if (!kept.has_value() || *kept < -WarnBase(p->iso_cash, f)) return false;
    p->warn_floor = *kept;
  }
  const Family cross = a.warned ? Family::kClear : Family::kEnter;
  int128 covered = WarnBase(a.cash, cross);
  bool any_cross = false;
  for (Position& p : a.positions) {
    if (!IsKeyedCross(p)) continue;
    any_cross = true;
    if (!Marked(marks, p.market_slot)) {
      // Untouched, but its floor counts only if it still holds (an entry
      // fired by a move and not yet serviced proves nothing).
      const Market& m = s.markets[p.market_slot];
      if (p.warn_slot != WarnSlot(m, cross, p.liq_slot / 2, p) ||
          WarnFloorBroken(m, p, cross, s.now)) {
        return false;
      }
      covered += p.warn_floor;
      continue;
    }
    const std::optional<int128> kept =
        KeptWarnFloor(s.markets[p.market_slot], p, a.slot, cross, s.now);
    if (!kept.has_value()) return false;
    p.warn_floor = *kept;
    covered += *kept;
  }
  return any_cross && covered >= 0;
}

// RekeyWarnings(): the account's warning entries after its flags were set
// (UpdateWarnings()): each isolated bucket marked or of the wrong family,
// and its cross positions as RekeyLiquidation() does its liquidation
// entries (kept, split over the dirty ones, or re-split from the cash); a
// flag that changed re-keys every position of its target.
void RekeyWarnings(State& s, Account& a, std::span<const std::pair<Account*, std::uint32_t>> marks) {
  std::vector<Position*>& dirty = s.liq_scratch;
  dirty.clear();
  const Family cross = a.warned ? Family::kClear : Family::kEnter;
  int128 rest = WarnBase(a.cash, cross);
  bool flipped = false;
  for (Position& p : a.positions) {
    if (p.size == 0) continue;
    Market& m = s.markets[p.market_slot];
    const bool marked = Marked(marks, p.market_slot);
    if (p.mode == MarginMode::kIsolated) {
      const Family f = BucketWarned(a, p.market) ? Family::kClear : Family::kEnter;
      if (!marked && p.warn_slot == WarnSlot(m, f, p.liq_slot / 2, p)) continue;
      const int128 floor = -WarnBase(p.iso_cash, f);
      const std::optional<int128> kept = KeptWarnFloor(m, p, a.slot, f, s.now);
      if (kept.has_value() && *kept >= floor) {
        p.warn_floor = *kept;
      } else {
        KeyWarn(m, a, p, f, floor);
      }
      continue;
    }
    if (p.warn_slot != kUnkeyed && FamilyOf(m, p.warn_slot) != cross) flipped = true;
    // Dirty: marked, or not where its liquidation entry now is (a re-split
    // may have moved that to another tier).
    if (marked || p.warn_slot != WarnSlot(m, cross, p.liq_slot / 2, p)) {
      dirty.push_back(&p);
      continue;
    }
    rest += p.warn_floor;
  }
  const bool any_cross = std::any_of(a.positions.begin(), a.positions.end(), IsKeyedCross);
  if (!any_cross) return;
  if (!flipped) {
    if (dirty.empty() && rest >= 0) return;
    if (!dirty.empty()) {
      const auto kept_floor = [&](const Position& p) {
        return KeptWarnFloor(s.markets[p.market_slot], p, a.slot, cross, s.now);
      };
      if (KeepAll(s, rest, dirty, kept_floor, &Position::warn_floor)) return;
      int128 slack = rest;
      for (const Position* p : dirty) {
        slack += WarnPart(s.markets[p->market_slot], *p, cross, s.now);
      }
      if (slack >= 0) {
        SplitWarn(s, a, cross, slack, dirty);
        return;
      }
    }
  }
  // Re-split every cross position from the cash alone. The flag is exact,
  // so the slack is >= 0 (enter: E - W - 1 >= 0; clear: W - E >= 0).
  dirty.clear();
  int128 slack = WarnBase(a.cash, cross);
  for (Position& p : a.positions) {
    if (!IsKeyedCross(p)) continue;
    dirty.push_back(&p);
    slack += WarnPart(s.markets[p.market_slot], p, cross, s.now);
  }
  SplitWarn(s, a, cross, std::max<int128>(slack, 0), dirty);
}

// The liquidation family's split: floors T = h - share, cash + sum T >= 0.
void Split(State& s, Account& a, int128 slack, std::span<Position* const> split) {
  SplitSlack(s, slack, split, [&](Market& m, Position& p, int128 share) {
    Key(m, a, p, HealthPart(m, p, s.now) - share);
  });
}

// TryKeep(): keeps every dirty cross position's liquidation entry
// (KeptFloor()) if their floors still cover the account with what the
// clean ones leave, `rest` (cash + sum of the clean floors).
bool TryKeep(State& s, const Account& a, int128 rest, std::span<Position* const> dirty) {
  const auto kept_floor = [&](const Position& p) {
    return KeptFloor(s.markets[p.market_slot], p, a.slot);
  };
  return KeepAll(s, rest, dirty, kept_floor, &Position::liq_floor);
}

void RekeyLiquidation(State& s, Account& a,
                      std::span<const std::pair<Account*, std::uint32_t>> marks) {
  for (const auto& [account, market_slot] : marks) {
    if (market_slot == kNone) continue;
    Market& m = s.markets[market_slot];
    Position* p = FindPosition(a, m.id);
    if (p == nullptr || p->size == 0) {
      Unkey(m, a, p);
      continue;
    }
    // A record made anew in this command: an entry of the one it replaced
    // may remain.
    if (p->liq_slot == kUnkeyed) Unkey(m, a, nullptr);
    if (p->mode != MarginMode::kIsolated) continue;
    const std::optional<int128> kept = KeptFloor(m, *p, a.slot);
    if (kept.has_value() && *kept >= -int128(p->iso_cash)) {
      p->liq_floor = *kept;
    } else {
      Key(m, a, *p, -int128(p->iso_cash));
    }
  }

  // The cross account: what the clean positions' floors leave, and the
  // dirty positions.
  std::vector<Position*>& dirty = s.liq_scratch;
  dirty.clear();
  int128 rest = a.cash;
  bool any_cross = false, force = false;
  for (Position& p : a.positions) {
    if (!IsKeyedCross(p)) continue;
    any_cross = true;
    if (p.liq_slot == kUnkeyed || Marked(marks, p.market_slot)) {
      dirty.push_back(&p);
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
    if (dirty.empty() && rest >= 0) return;
    if (!dirty.empty()) {
      if (TryKeep(s, a, rest, dirty)) return;
      int128 slack = rest;
      for (const Position* p : dirty) slack += HealthPart(s.markets[p->market_slot], *p, s.now);
      if (slack >= 0) {
        Split(s, a, slack, dirty);
        return;
      }
    }
  }
  // Re-split every cross position from the cash alone.
  dirty.clear();
  int128 health = a.cash;
  for (Position& p : a.positions) {
    if (!IsKeyedCross(p)) continue;
    dirty.push_back(&p);
    health += HealthPart(s.markets[p.market_slot], p, s.now);
  }
  if (health >= 0) {
    Split(s, a, health, dirty);
    return;
  }
  for (Position* p : dirty) Key(s.markets[p->market_slot], a, *p, kAlwaysFire);
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

int128 WarningPart(const Market& m, const Position& p) {
  return liquidation::WarningMargin(MaintenanceOf(m, p), m.params.liquidation.warning_threshold);
}

HealthOf CrossHealth(const State& s, const Account& a, bool with_warning) {
  HealthOf h{.equity = a.cash};
  for (const Position& p : a.positions) {
    if (p.mode != MarginMode::kCross || p.size == 0) continue;
    const Market& m = s.markets[p.market_slot];
    const int128 maintenance = MaintenanceOf(m, p);
    h.equity += PositionValue(m, p) - PendingFunding(m, p, s.now);
    h.maintenance += maintenance;
    if (with_warning) {
      h.warning += liquidation::WarningMargin(maintenance, m.params.liquidation.warning_threshold);
    }
  }
  return h;
}

HealthOf BucketHealth(const Market& m, const Position& p, TimeNs now) {
  const int128 maintenance = MaintenanceOf(m, p);
  return {.equity = BucketEquity(m, p, now),
          .maintenance = maintenance,
          .warning =
              liquidation::WarningMargin(maintenance, m.params.liquidation.warning_threshold)};
}

void InitMarketIndex(const State& s, Market& m) {
  const std::uint64_t seed = s.config.hash_seed ^ m.id.value();
  m.liq.by.assign(2 * m.params.tiers.size(), CandidateIndex(seed));
  m.liq.above = CandidateIndex(seed);
  m.liq.warn.assign(4 * m.params.tiers.size(), CandidateIndex(seed));
  m.liq.warn_cursor = 0;
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
    Account& a = s.accounts[static_cast<std::uint32_t>(id)];
    Position* p = FindPosition(a, m.id);
    PERPCORE_CHECK(p != nullptr);
    p->liq_slot = p->warn_slot = kUnkeyed;
    MarkDirty(s, a, market_slot);
  }
}

// RekeyAdl(): files each marked position in its market's ADL ranking
// (adl_queue.hpp) as it now is, or takes it out when it is gone.
void RekeyAdl(State& s, const Account& a,
              std::span<const std::pair<Account*, std::uint32_t>> marks) {
  for (const auto& [account, market_slot] : marks) {
    if (market_slot == kNone) continue;
    Market& m = s.markets[market_slot];
    const Position* p = FindPosition(a, m.id);
    if (p == nullptr || p->size == 0) {
      m.adl.Erase(a.slot);
      continue;
    }
    m.adl.Upsert({.slot = a.slot,
                  .account = a.id.value(),
                  .side = p->size > 0 ? Side::kBuy : Side::kSell,
                  .leverage = p->leverage,
                  .cost = p->cost < 0 ? -p->cost : p->cost,
                  .size = p->size < 0 ? -p->size : p->size});
  }
}

void RekeyDirty(State& s, EventSink& sink) {
  auto& marks = s.liq_dirty;
  // By account id (the warnings go out in that order), then market.
  std::sort(marks.begin(), marks.end(), [](const auto& x, const auto& y) {
    return x.first->id != y.first->id ? x.first->id < y.first->id : x.second < y.second;
  });
  marks.erase(std::unique(marks.begin(), marks.end()), marks.end());
  std::size_t i = 0;
  while (i < marks.size()) {
    std::size_t j = i;
    while (j < marks.size() && marks[j].first == marks[i].first) ++j;
    Account& a = *marks[i].first;
    const auto own = std::span(marks).subspan(i, j - i);
    RekeyLiquidation(s, a, own);
    RekeyAdl(s, a, own);
    if (!KeepWarnings(s, a, own)) {
      UpdateWarnings(s, a, sink);
      RekeyWarnings(s, a, own);
    }
    i = j;
  }
  marks.clear();
}

void ServiceWarnings(State& s, std::uint32_t market_slot) {
  Market& m = s.markets[market_slot];
  std::vector<CandidateEntry>& buf = s.warn_fired;
  buf.resize(kWarningChecksPerTick);
  std::size_t budget = kWarningChecksPerTick;
  auto position_of = [&](std::uint64_t id) -> std::pair<Account*, Position*> {
    Account& a = s.accounts[static_cast<std::uint32_t>(id)];
    return {&a, FindPosition(a, m.id)};
  };
  // Tier exits: the position's notional reached the next tier's floor at
  // the size its exit was placed for. Still in its tier: the exit moves up
  // (ExitLots() at this mark); else both families are re-keyed.
  if (m.liq.above.AnyFired(m.mark.raw())) {
    const liquidation::FiredResult r =
        m.liq.above.Fired(m.mark.raw(), std::span(buf.data(), budget));
    for (std::size_t i = 0; i < r.written; ++i) {
      auto [a, p] = position_of(buf[i].id);
      PERPCORE_CHECK(p != nullptr && p->liq_slot != kUnkeyed);
      const std::size_t tier = p->liq_slot / 2;
      if (m.tiers.Tier(ToQuote(Abs(PositionValue(m, *p)))) == tier) {
        p->liq_exit_lots = ExitLots(m, *p, tier);
        SetExit(m.liq.above, buf[i].id, ExitOf(m, p->liq_exit_lots, tier));
      } else {
        MarkDirty(s, *a, market_slot);
      }
    }
    budget -= r.written;
  }
  // The warning indexes from a slot that moves on at each tick whose budget
  // ran out, so that no index (say one whose entries keep firing: the enter
  // bound is loose by about D_t / w in tiers above the first) holds the
  // others back for more than 4T ticks.
  const int128 index = FundingIndexAt(m, s.now);
  const std::size_t slots = m.liq.warn.size();
  for (std::size_t k = 0; k < slots && budget > 0; ++k) {
    const std::size_t slot = (m.liq.warn_cursor + k) % slots;
    const CandidateIndex& tree = m.liq.warn[slot];
    const int128 x = WarnX(m, static_cast<std::uint8_t>(slot), index);
    if (tree.empty() || !tree.AnyFired(x)) continue;
    const liquidation::FiredResult r = tree.Fired(x, std::span(buf.data(), budget));
    for (std::size_t i = 0; i < r.written; ++i) {
      MarkDirty(s, *position_of(buf[i].id).first, market_slot);
    }
    budget -= r.written;
  }
  if (budget == 0) m.liq.warn_cursor = static_cast<std::uint32_t>((m.liq.warn_cursor + 1) % slots);
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
    CollectFired(m.liq.above, m.mark.raw(), mi, buf, fired);
  }
  std::sort(fired.begin(), fired.end());
  fired.erase(std::unique(fired.begin(), fired.end()), fired.end());

  std::vector<LiquidationCandidate> out;
  out.reserve(fired.size() + s.debtors.size());
  auto add = [&](const Account& a, MarketId market, const HealthOf& h) {
    if (!h.Liquidatable()) return;
    out.push_back(LiquidationCandidate{
        .account = a.id,
        .market = market,
        .health = h.Classify(),
        .equity = ToQuote(h.equity),
        .maintenance = ToQuote(h.maintenance)});
  };
  // The exact checks: each candidate costs a few dependent cache misses
  // (its account record, its positions), so records are prefetched two
  // stages ahead of their check. `fired` is sorted by account: an account's
  // entries are adjacent, and its cross health is checked once.
  constexpr std::size_t kAhead = 8;
  const std::size_t n = fired.size();
  auto account_of = [&](std::size_t i) -> const Account& {
    return s.accounts[static_cast<std::uint32_t>(fired[i].first)];
  };
  for (std::size_t i = 0; i < std::min(n, 2 * kAhead); ++i) __builtin_prefetch(&account_of(i));
  for (std::size_t i = 0; i < n; ++i) {
    if (i + 2 * kAhead < n) __builtin_prefetch(&account_of(i + 2 * kAhead));
    if (i + kAhead < n) __builtin_prefetch(account_of(i + kAhead).positions.data());
    const Account& a = account_of(i);
    const Market& m = s.markets[fired[i].second];
    const Position* p = FindPosition(a, m.id);
    // Between commands every entry is a keyed position's; a poisoned
    // engine (interrupted mid-command) may hold stale ones, which answer
    // nothing.
    if (p == nullptr || p->size == 0) continue;
    if (p->mode == MarginMode::kIsolated) {
      add(a, m.id, BucketHealth(m, *p, s.now));
      continue;
    }
    bool checked = false;  // an earlier entry of the account was cross
    for (std::size_t j = i; j-- > 0 && fired[j].first == fired[i].first;) {
      const Position* q = FindPosition(a, s.markets[fired[j].second].id);
      checked = checked || (q != nullptr && q->mode == MarginMode::kCross);
    }
    if (checked) continue;
    // A liquidatable account's grade never depends on its warning margin.
    add(a, MarketId(0), CrossHealth(s, a, /*with_warning=*/false));
  }
  for (const AccountId id : s.debtors) {
    const std::uint32_t ai = s.FindAccount(id);
    if (ai == kNone) continue;
    add(s.accounts[ai], MarketId(0), CrossHealth(s, s.accounts[ai], /*with_warning=*/false));
  }
  std::sort(out.begin(), out.end(), Before);
  if (out.size() > limit) out.resize(limit);
  return out;
}

absl::Status CheckAdlQueues(const State& s) {
  std::vector<std::size_t> filed(s.markets.size(), 0);
  for (std::uint32_t ai = 0; ai < s.accounts.size(); ++ai) {
    const Account& a = s.accounts[ai];
    for (const Position& p : a.positions) {
      if (p.size == 0) continue;
      const Market& m = s.markets[p.market_slot];
      const liquidation::AdlEntry want{.slot = ai,
                                       .account = a.id.value(),
                                       .side = p.size > 0 ? Side::kBuy : Side::kSell,
                                       .leverage = p.leverage,
                                       .cost = p.cost < 0 ? -p.cost : p.cost,
                                       .size = p.size < 0 ? -p.size : p.size};
      if (m.adl.Find(ai) != want) {
        return absl::InternalError(absl::StrCat("account ", a.id.value(), " market ",
                                                m.id.value(), ": not filed as it is in the ADL ranking"));
      }
      ++filed[p.market_slot];
    }
  }
  for (std::uint32_t mi = 0; mi < s.markets.size(); ++mi) {
    if (s.markets[mi].adl.size() != filed[mi]) {
      return absl::InternalError(absl::StrCat("market ", s.markets[mi].id.value(), ": ",
                                              s.markets[mi].adl.size(),
                                              " ADL entries for ", filed[mi], " positions"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckLiquidationIndex(const State& s) {
  std::vector<std::size_t> keyed(s.markets.size(), 0);
  std::vector<std::size_t> exits(s.markets.size(), 0);
  std::vector<std::size_t> warn_keyed(s.markets.size(), 0);
  for (std::uint32_t ai = 0; ai < s.accounts.size(); ++ai) {
    const Account& a = s.accounts[ai];
    if (a.slot != ai) {
      return absl::InternalError(absl::StrCat("account ", a.id.value(), ": slot ", a.slot,
                                              " is not its index ", ai));
    }
    int128 cover = a.cash;
    const Family cross = a.warned ? Family::kClear : Family::kEnter;
    int128 warn_cover = WarnBase(a.cash, cross);
    bool any_cross = false, always = false, cross_fired = false;
    for (const Position& p : a.positions) {
      const Market& m = s.markets[p.market_slot];
      if (p.size == 0) {
        if (p.liq_slot != kUnkeyed || p.warn_slot != kUnkeyed) {
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
      const std::optional<CandidateEntry> e = m.liq.by[p.liq_slot].Find(a.slot);
      const Side side = p.size > 0 ? Side::kBuy : Side::kSell;
      // The entry fires no later than the floor needs (a kept entry may
      // fire earlier: KeptFloor()).
      const int128 needed = TriggerOf(p, p.liq_floor);
      if (!e.has_value() || e->side != side || SlotOf(tier, p) != p.liq_slot ||
          (p.size > 0 ? e->trigger < needed : e->trigger > needed)) {
        return absl::InternalError(absl::StrCat("account ", a.id.value(), " market ",
                                                m.id.value(), ": entry does not guarantee floor ",
                                                detail::Int128Text(p.liq_floor)));
      }
      keyed[p.market_slot] += 1;
      const std::int64_t lots = p.size < 0 ? -p.size : p.size;
      const std::optional<int128> x = ExitOf(m, lots, tier);
      const std::optional<CandidateEntry> above = m.liq.above.Find(a.slot);
      if (above.has_value() != x.has_value() || lots > p.liq_exit_lots ||
          (above && above->trigger > *x)) {
        return absl::InternalError(absl::StrCat("account ", a.id.value(), " market ",
                                                m.id.value(), ": tier exit too late"));
      }
      exits[p.market_slot] += x ? 1u : 0u;

      // The warning entry: of its target's family, in the liquidation
      // entry's tier and side, no later than its floor needs.
      const bool isolated = p.mode == MarginMode::kIsolated;
      const Family f =
          isolated ? (BucketWarned(a, p.market) ? Family::kClear : Family::kEnter) : cross;
      const std::optional<CandidateEntry> w =
          p.warn_slot < m.liq.warn.size() ? m.liq.warn[p.warn_slot].Find(a.slot) : std::nullopt;
      const std::int64_t sigma = SigmaOf(f, p);
      const int128 w_needed = TriggerAt(sigma, p.funding_index, p.warn_floor, WarnK(m, f, tier));
      const CandidateEntry got = w.value_or(CandidateEntry{.id = ~a.slot});
      if (p.warn_slot != WarnSlot(m, f, tier, p) || got.id != a.slot ||
          got.side != (sigma > 0 ? Side::kBuy : Side::kSell) ||
          (sigma > 0 ? got.trigger < w_needed : got.trigger > w_needed)) {
        return absl::InternalError(absl::StrCat("account ", a.id.value(), " market ",
                                                m.id.value(), ": warning entry does not ",
                                                "guarantee floor ",
                                                detail::Int128Text(p.warn_floor)));
      }
      warn_keyed[p.market_slot] += 1;
      const int128 wx = WarnX(m, p.warn_slot, FundingIndexAt(m, s.now));
      const bool fired = (got.side == Side::kBuy ? wx <= got.trigger : wx >= got.trigger) ||
                         (above.has_value() && m.mark.raw() >= above->trigger);
      if (isolated) {
        if (p.liq_floor < -int128(p.iso_cash)) {
          return absl::InternalError(absl::StrCat("account ", a.id.value(), " market ",
                                                  m.id.value(), ": bucket floor below -cash"));
        }
        if (p.warn_floor < -WarnBase(p.iso_cash, f)) {
          return absl::InternalError(absl::StrCat("account ", a.id.value(), " market ",
                                                  m.id.value(), ": bucket warning floor short"));
        }
        // Nothing fired: the flag is exact.
        if (!fired && BucketHealth(m, p, s.now).Warned() != (f == Family::kClear)) {
          return absl::InternalError(absl::StrCat("account ", a.id.value(), " market ",
                                                  m.id.value(), ": bucket warning flag stale"));
        }
        continue;
      }
      warn_cover += p.warn_floor;
      cross_fired = cross_fired || fired;
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
    if (any_cross && warn_cover < 0) {
      return absl::InternalError(absl::StrCat("account ", a.id.value(), ": warning floors leave ",
                                              detail::Int128Text(warn_cover), " uncovered"));
    }
    if (!cross_fired && CrossHealth(s, a).Warned() != a.warned) {
      return absl::InternalError(absl::StrCat("account ", a.id.value(), ": warning flag stale"));
    }
    const bool debtor = !any_cross && a.cash < 0;
    if (debtor != s.debtors.contains(a.id)) {
      return absl::InternalError(
          absl::StrCat("account ", a.id.value(), ": debtor set disagrees (cash ", a.cash, ")"));
    }
  }
  for (std::uint32_t mi = 0; mi < s.markets.size(); ++mi) {
    const Market& m = s.markets[mi];
    std::size_t entries = 0, warn_entries = 0;
    for (const CandidateIndex& index : m.liq.by) entries += index.size();
    for (const CandidateIndex& index : m.liq.warn) warn_entries += index.size();
    if (m.liq.by.size() != 2 * m.params.tiers.size() || entries != keyed[mi] ||
        m.liq.above.size() != exits[mi] || m.liq.warn.size() != 4 * m.params.tiers.size() ||
        warn_entries != warn_keyed[mi]) {
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
