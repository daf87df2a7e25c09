// Health and the liquidation candidate indexes (engine.hpp, "Liquidation"
// and Liquidatable()). Not a public header.
//
// The trigger. A position of s lots in market m, margin tier t, settled at
// funding index I_p, adds to its bucket's health (equity - maintenance)
//     h = s * P * A - ceil(s * (I - I_p) / 1e18) - ceil(M(|s| * P * A) / 1e18)
// at mark P and funding index I, with A atoms per tick-lot and M the
// requirement in atoms * 1e18 (risk/margin.hpp: n * r_i - d_i in tier i,
// rates rising with the tiers, deductions >= 0). For every notional n below
// the next tier's floor, M(n) <= r_t * n (in tier t, d_t >= 0; in a lower
// tier i, r_i <= r_t). Dropping the two ceilings costs less than two atoms:
//     h >= h_lb = s * (X_t + I_p) / 1e18 - 2,
//     X_t = P * A * (1e18 - r_t) - I   for a long,  P * A * (1e18 + r_t) - I   for a short,
// so below the next tier the bound is linear in one number X_t that both a
// mark move and a funding move change (it is d_t / 1e18 atoms conservative
// at the position's own notional). A position keyed with floor T fires when
// h_lb < T, that is for a long when X_t <= ceil(q / s) - I_p and for a
// short when X_t >= floor(q / s) - I_p, q = 1e18 * (T + 2) (rounded toward
// firing: a candidate too many is checked and dropped). Above the next
// tier's floor the bound fails, so each keyed position outside the last
// tier has a tier exit in price: LiquidationIndex::above fires from the mark
// at which its notional would reach that floor at a size a quarter above
// its own (Position::liq_exit_lots; capped below the floor at the current
// mark), so that small fills that grow it keep the exit.
//
// The floors. An isolated bucket's position has T = -bucket cash: not fired
// means h >= -cash, so the bucket's health is >= 0. A cross account's
// positions j have floors with cash + sum T_j >= 0: not fired means every
// h_j >= T_j, so the account's health cash + sum h_j >= 0. When a command
// changes an account (ledger.cpp marks every cash move, size change and
// funding settlement: MarkDirty()), a dirty position whose entry can stay
// (same side and tier slot, size within its exit's) first keeps it, with
// the floor the entry still guarantees (h_lb at its trigger); if those
// floors still cover the account, no index moves (the common fill). Else
// its dirty positions D get new floors
// from what the clean ones leave, R = cash + sum over clean j of T_j: if the
// slack R + sum over D of h_d is >= 0, 7/8 of it is split over D in
// proportion to maintenance (T_d = h_d - b_d), so cash + sum T >= 0 keeps
// the other eighth, which the next fill often finds (its entry kept, or one
// position re-keyed, not all): a larger reserve saves index work on fills
// and costs false candidates after a move; otherwise every position of the account
// is re-split from its cash alone;
// and an account liquidatable at that moment gets floors that always fire
// (kAlwaysFire) until a command touches it again. A deposit also marks the
// account, so that an always-firing account that recovered is re-split.
// Cross accounts with negative cash and no cross position are kept in
// State::debtors.
//
// Derived state: not encoded, not in the digest. Two engines in the same
// state may hold different floors (they depend on the order of past
// commands); the answers of Liquidatable() do not (every candidate is
// checked exactly, and the result is sorted by exact values). The margin
// warnings a tick emits do when more than kWarningChecksPerTick targets of a
// market fired (which are serviced first follows the floors and the
// warning cursor), so an engine rebuilt from a snapshot must restore them
// (floors, exit sizes, cursor) to emit what the replayed engine emits; below
// the cap every engine emits exactly the targets whose flag changed.
#ifndef PERPCORE_SRC_ENGINE_LIQUIDATION_INDEX_HPP_
#define PERPCORE_SRC_ENGINE_LIQUIDATION_INDEX_HPP_

#include <cstddef>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "perpcore/liquidation/liquidation.hpp"
#include "state.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {

// HealthOf: a bucket's equity at the mark (pending funding counted), its
// maintenance requirement and its warning margin (the sum over its
// positions of liquidation::WarningMargin(), each at its market's
// warning_threshold), in atoms.
struct HealthOf {
  absl::int128 equity = 0;
  absl::int128 maintenance = 0;
  absl::int128 warning = 0;
  bool Liquidatable() const { return equity < maintenance; }
  liquidation::Health Classify() const {
    return liquidation::ClassifyMargins(equity, maintenance, warning);
  }
  // Warning or worse: what Account::warned records.
  bool Warned() const { return Classify() != liquidation::Health::kHealthy; }
};

// WarningPart(): a position's warning margin, in atoms.
absl::int128 WarningPart(const Market& m, const Position& p);

// CrossHealth(): the cross account: cash plus its cross positions' values
// at the mark less their pending funding, against the sum of their
// maintenance requirements and (with_warning; else 0, for who needs only
// Liquidatable()) of their warning margins. O(records of the account).
HealthOf CrossHealth(const State& s, const Account& a, bool with_warning = true);

// BucketHealth(): an isolated position's bucket. O(1).
HealthOf BucketHealth(const Market& m, const Position& p, TimeNs now);

// InitMarketIndex(): a new market's (or a market whose tiers or warning
// threshold changed) empty indexes, six per margin tier.
void InitMarketIndex(const State& s, Market& m);

// ResetMarketIndex(): the market's tiers or warning threshold changed: its
// indexes are made anew
// and every position keyed in them is marked dirty (re-keyed at the end of
// the command). O(positions in the market * log).
void ResetMarketIndex(State& s, std::uint32_t market_slot);

// RekeyDirty(): for each account the command marked, in account id order:
// re-keys its liquidation entries (see the file comment) and files its
// marked positions in their markets' ADL rankings; keeps its warning
// entries if their floors still cover it, else checks its warnings exactly
// (UpdateWarnings(), events to `sink`) and re-keys them; empties
// State::liq_dirty.
// O(d log n) for d marks, plus the records of each marked account.
void RekeyDirty(State& s, EventSink& sink);

// kWarningChecksPerTick: the most targets one market's tick re-checks for
// their margin warnings (ServiceWarnings()); the rest stay fired and are
// taken by the market's next ticks.
inline constexpr std::size_t kWarningChecksPerTick = 256;

// ServiceWarnings(): after a tick moved the market's mark or funding index
// (OraclePrice, TimeTick, RetireSource): marks the targets whose warning
// entries fired, and the positions whose tier exits fired, at most
// kWarningChecksPerTick of them (exits first, then the warning indexes from
// LiquidationIndex::warn_cursor on, each most crossed first; the cursor
// moves on by one when the budget ran out), so that RekeyDirty() re-checks them
// exactly (and emits their MarginWarning events) and re-keys them; an exit
// whose position is still in its tier just moves up. O(c log n) for c
// marked.
void ServiceWarnings(State& s, std::uint32_t market_slot);

// FindLiquidatable(): Engine::Liquidatable().
std::vector<LiquidationCandidate> FindLiquidatable(const State& s, std::size_t limit);

// CheckLiquidationIndex(): for CheckInvariants: every position keyed once,
// with the trigger its floor gives, its tier exit, floors that cover each
// account (cash + sum T >= 0, or always firing), and the debtors exact.
absl::Status CheckLiquidationIndex(const State& s);
// CheckAdlQueues(): for CheckInvariants: every position filed in its
// market's ADL ranking as it is, and nothing else. O(positions log).
absl::Status CheckAdlQueues(const State& s);

}  // namespace engine
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_SRC_ENGINE_LIQUIDATION_INDEX_HPP_
