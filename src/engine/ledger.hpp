// The ledger: the only code that moves cash. Money sits in named buckets —
// an account's cross cash, an isolated bucket (Position::iso_cash), the fee
// pool, the insurance fund — or is outside the engine (deposits and
// withdrawals). Every move is described by an event, so a consumer can
// rebuild every balance from the events alone:
//   kDeposit / kWithdrawal / kTransfer / kInsuranceFunded   their amount;
//   kIsolatedMarginChanged   amount moved cross -> bucket (< 0: back), code
//                            the IsolatedMarginCause;
//   kFill                    the trade leg (price * size * atoms from the
//                            buyer's bucket to the seller's) and the fees
//                            (each side's from its bucket to the pool; the
//                            referrer's cut from the pool to its cross cash).
// A bucket is the account's cross cash for a cross position and the
// position's isolated bucket otherwise. The functions do not check
// solvency: handlers validate before they apply. Later modules add their
// buckets here (vault cash) and nowhere else. Liquidation adds the fee's
// moves (bucket -> insurance fund and keeper) and the deficit's (insurance
// fund -> bucket, and the shortfall: a negative bucket, counted with a minus
// sign in conservation), and a backstop takeover's equity share (from the
// target's bucket to the backstop's cross cash: kBackstopTakeover, which
// also names the off-book trade legs); every move marks the accounts it touches for the
// candidate index (state.hpp MarkDirty()). The final settlement of a
// delisted market adds the market's settlement pool (Market::
// settlement_pool): the counterparty of every position it closes
// (SettlementLeg()), back at zero when the market is settled.
//
// Why no account bucket leaves int64 (DESIGN.md rule 1). Losses are not
// bounded by deposits while nothing liquidates, and a bucket is a sum of
// trade legs over unboundedly many fills, so the bound is kept by
// construction, with a soft bound S = kCashSoftBound = 2^61:
//   1. One command moves one bucket by less than M = 2^57. The fills of one
//      taker total at most max_order_size lots at prices up to max_price:
//      at most 2^54 atoms of notional (the market bound), so a taker's or
//      a maker's legs in the command sum to at most 2^54, fees and rebates
//      (at most 10% each) to 2^51, the referrer's cut to 2^51. An isolated
//      top-up leaves the bucket at Initial(n) - value, within 2^55 of 0, and
//      moves the same amount out of cross cash, so it raises the two
//      buckets' combined magnitude by at most 2^56.
//   2. Every move is checked against S on the buckets it touches; a bucket
//      that ends beyond S (either sign) locks its account (Account::
//      cash_locked). At the end of the command every resting order of an
//      account locked in it is cancelled (book::CancelReason::kAccountLocked),
//      and a locked account places, amends and replaces nothing
//      (kCashBoundExceeded). A locked account's buckets then move only by
//      its own deposits, withdrawals, transfers and isolated-margin moves,
//      each refused unless every bucket it touches ends within S; after one,
//      the lock is lifted if every bucket of the account is within S.
//   3. A referrer whose cross cash would pass S by its cut gets nothing: the
//      fee pool keeps the cut (the Fill names no referrer).
// So a bucket is within S whenever a command starts with its account able
// to trade, and moves by less than M in the command that locks it; the one
// move that adds two buckets (an isolated release, the whole bucket back to
// cross cash) is bounded by 2 * (S + M) = 2^62 + 2^58 < 2^63. Nothing else
// moves a locked account's cash. Position::realized (a statistic, no money)
// saturates at +-INT64_MAX.
// Funding (funding/funding.hpp). A position's funding moves between its
// bucket and its market's funding pool (Market::funding_pool) when the
// position is settled (SettleFunding(): before every fill that changes it,
// when its isolated bucket moves, and when a withdrawal or a transfer out
// touches its account); between settlements it is pending, counted by
// valuation at the command's time (state.hpp FundingIndexAt()). Settlement rounds against the account (Owed()), so
// each one leaves an excess below one atom, kept exactly in index units
// (Market::funding_carry); whole atoms of it move from the pool to the
// funding residual sink (State::funding_residual, a FundingResidual event).
// Per market, exactly (CheckInvariants):
//   pool * kIndexScale - carry + sum over positions (I - I_p) * size_p = 0,
// because long and short sizes are equal at every instant the index moves.
// A settlement that would take a bucket beyond kCashHardBound (2^62: only
// a position left unsettled through years of capped funding at the
// notional bound, which liquidation prevents) moves what keeps the bucket
// at the bound; the pool still takes the whole claim and the residual the
// part that could not be collected (a negative FundingResidual), so money
// stays conserved and the pool identity exact.
// Not covered yet: the fee pool. It only grows by fees, paid from buckets
// each bounded below by -(S + M), but over many accounts; it passes int64
// only after 2^63 atoms of fees (at the 10% maximum fee, about 9.2e13 USDC
// of notional at 6 decimals, 100x that at 0.1%).
#ifndef PERPCORE_SRC_ENGINE_LEDGER_HPP_
#define PERPCORE_SRC_ENGINE_LEDGER_HPP_

#include <cstdint>

#include "perpcore/fees/fees.hpp"
#include "perpcore/liquidation/liquidation.hpp"
#include "state.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {
namespace ledger {

// Held(): what the engine holds, deposits - withdrawals (int128, >= 0).
// By conservation (DESIGN.md rule 4) it is exactly the sum of every bucket:
// cross cash, isolated buckets, the fee pool and the insurance fund. It is
// the bound on any one withdrawal: an account's equity may claim more (its
// unrealized profit is owed by accounts whose equity is negative), but
// only money someone deposited can leave, so no sequence of commands makes
// total withdrawals exceed total deposits. A check the Withdraw handler
// makes before it applies, not an invariant reported afterwards.
inline absl::int128 Held(const State& s) { return s.deposits - s.withdrawals; }
// kCashSoftBound: S above. kCashHardBound: what a funding settlement never
// takes a bucket beyond (see Funding above).
inline constexpr std::int64_t kCashSoftBound = std::int64_t{1} << 61;
inline constexpr std::int64_t kCashHardBound = std::int64_t{1} << 62;

// WithinSoftBound(): |v| <= S.
inline bool WithinSoftBound(absl::int128 v) { return v <= kCashSoftBound && v >= -kCashSoftBound; }

// Relock(): the account's lock from all its buckets: locked iff one is
// beyond S. O(records). For the money commands (rare): fills only lock.
void Relock(Account& a);

void Deposit(State& s, Account& a, std::int64_t amount, EventSink& sink);
// Withdraw(): requires amount <= Held(s) (the handler refuses beyond it).
void Withdraw(State& s, Account& a, std::int64_t amount, EventSink& sink);
void Transfer(State& s, Account& from, Account& to, std::int64_t amount, EventSink& sink);
// FundInsurance(): money from outside pays the shortfall down first
// (a Shortfall event with a negative amount), the rest joins the fund.
void FundInsurance(State& s, std::int64_t amount, EventSink& sink);

// PayLiquidationFee(): a liquidation's fee (liquidation::LiquidationFee())
// leaves the liquidated bucket (p's isolated bucket, or the cross cash for a
// cross position or p null): the keeper's part to the keeper's cross cash
// unless that would pass S (rule 3: the fund keeps it); the rest to the
// insurance fund, which pays the shortfall down with it first (the fund's
// first duty is the deficit nobody covered). Returns what the keeper
// received and what paid the shortfall down; the caller emits the
// Liquidation and Shortfall events that describe them.
struct LiquidationFeePaid {
  std::int64_t keeper = 0;
  std::int64_t shortfall_paid = 0;
};
LiquidationFeePaid PayLiquidationFee(State& s, Account& a, Position* p, Account& keeper,
                                     const liquidation::FeeSplit& fee);

// CoverDeficit(): a liquidated bucket with nothing left to close (p's
// isolated bucket, or the cross cash for p null) that is below zero: the
// insurance fund pays in what it can (InsuranceCover; it never goes below
// zero), and the shortfall takes the rest, the bucket being set to zero
// (Shortfall). Nothing for a bucket >= 0. (A cross deficit first takes
// what the account's isolated buckets can spare: liquidate.cpp.)
void CoverDeficit(State& s, Account& a, Position* p, EventSink& sink);

// MoveIsolated(): delta > 0 moves cross cash into the position's bucket,
// delta < 0 back. delta == 0 moves nothing and emits nothing.
// Locks the account (rule 2 above) if either bucket ends beyond S; the
// State records it for the end-of-command cancel (s: null in a dry run).
void MoveIsolated(State* s, Account& a, Position& p, std::int64_t delta,
                  IsolatedMarginCause cause, EventSink& sink);

// MoveEquity(): `amount` atoms (< 0: the other way) from the bucket of
// `from`'s position fp (its isolated bucket, or cross cash) to the bucket
// of `to`'s position tp (its cross cash for tp null): a backstop takeover's
// or a deleveraging's equity share (events::BackstopTakeover, Deleveraged
// describe it). Locks as MoveIsolated().
void MoveEquity(State& s, Account& from, Position& fp, Account& to, Position* tp,
                std::int64_t amount);

// TradeLeg(): one account's side of a fill: lots > 0 buys, paying
// lots * price * atoms from the position's bucket (a sale receives it), and
// the side's fee leaves the bucket (fee < 0: a rebate arrives). The caller
// emits the kFill event that describes it. Locks as MoveIsolated().
void TradeLeg(State* s, const Market& m, Account& a, Position& p, std::int64_t lots,
              std::int64_t price, std::int64_t fee);

// SettlementLeg(): one position's close in the final settlement of a
// delisted market (settle_market.cpp): as TradeLeg() for lots at price with
// no fee, the counterparty being the market's settlement pool (the pool
// takes what the bucket paid, or pays what it received). Longs and shorts
// close at one price, so the pool is back at 0 when every position is
// closed. Locks as MoveIsolated().
void SettlementLeg(State& s, Market& m, Account& a, Position& p, std::int64_t lots,
                   std::int64_t price);

// PoolFees(): the fee pool takes a fill's fees, less the referrer's cut,
// which goes to the referrer's cross cash. The caller has diverted a cut
// the referrer's bound would not take (ReferrerTakes()).
void PoolFees(State& s, const fees::FillFees& fees, Account* referrer);

// SettleFunding(): settles the position's pending funding (valuation.hpp
// PendingFunding()) as described above and sets its settled index to the
// market's; emits FundingSettled when an amount moved (and FundingResidual
// when whole atoms of rounding reached the sink). Nothing for a position
// already settled at the index. Locks as MoveIsolated(). O(1).
void SettleFunding(State& s, Market& m, Account& a, Position& p, EventSink& sink);

// SettleFundingDry(): the bucket side of SettleFunding() alone, for a dry
// run on a copy of an account (PreviewOrder): the position's bucket takes
// its pending funding at `now` and its settled index becomes
// FundingIndexAt(m, now).
void SettleFundingDry(const Market& m, TimeNs now, Account& a, Position& p);

// ReferrerTakes(): whether the referrer's cross cash stays within S with
// its cut (rule 3).
inline bool ReferrerTakes(const Account& referrer, std::int64_t cut) {
  return WithinSoftBound(absl::int128(referrer.cash) + cut);
}

}  // namespace ledger
}  // namespace engine
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_SRC_ENGINE_LEDGER_HPP_
