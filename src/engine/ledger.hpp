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
// buckets here (shortfall, vault cash) and nowhere else.
#ifndef PERPCORE_SRC_ENGINE_LEDGER_HPP_
#define PERPCORE_SRC_ENGINE_LEDGER_HPP_

#include <cstdint>

#include "perpcore/fees/fees.hpp"
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

void Deposit(State& s, Account& a, std::int64_t amount, EventSink& sink);
// Withdraw(): requires amount <= Held(s) (the handler refuses beyond it).
void Withdraw(State& s, Account& a, std::int64_t amount, EventSink& sink);
void Transfer(Account& from, Account& to, std::int64_t amount, EventSink& sink);
void FundInsurance(State& s, std::int64_t amount, EventSink& sink);

// MoveIsolated(): delta > 0 moves cross cash into the position's bucket,
// delta < 0 back. delta == 0 moves nothing and emits nothing.
void MoveIsolated(Account& a, Position& p, std::int64_t delta, IsolatedMarginCause cause,
                  EventSink& sink);

// TradeLeg(): one account's side of a fill: lots > 0 buys, paying
// lots * price * atoms from the position's bucket (a sale receives it), and
// the side's fee leaves the bucket (fee < 0: a rebate arrives). The caller
// emits the kFill event that describes it.
void TradeLeg(const Market& m, Account& a, Position& p, std::int64_t lots, std::int64_t price,
              std::int64_t fee);

// PoolFees(): the fee pool takes a fill's fees, less the referrer's cut,
// which goes to the referrer's cross cash.
void PoolFees(State& s, const fees::FillFees& fees, Account* referrer);

}  // namespace ledger
}  // namespace engine
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_SRC_ENGINE_LEDGER_HPP_
