#include "ledger.hpp"

#include <algorithm>

#include "valuation.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {
namespace ledger {
namespace {

std::int64_t& BucketOf(Account& a, Position& p) {
  return p.mode == MarginMode::kIsolated ? p.iso_cash : a.cash;
}

// Rule 2: a bucket beyond S locks its account, once per command.
void Watch(State* s, Account& a, std::int64_t bucket) {
  if (a.cash_locked || WithinSoftBound(bucket)) return;
  a.cash_locked = true;
  if (s != nullptr) s->newly_locked.push_back(a.id);
}

// Moves `owed` out of the bucket (< 0: into it), stopping at
// kCashHardBound; returns what moved.
std::int64_t PayFunding(std::int64_t& bucket, absl::int128 owed) {
  const absl::int128 target =
      std::clamp<absl::int128>(absl::int128(bucket) - owed, -kCashHardBound, kCashHardBound);
  const std::int64_t paid = static_cast<std::int64_t>(absl::int128(bucket) - target);
  bucket = static_cast<std::int64_t>(target);
  return paid;
}

}  // namespace

void SettleFunding(State& s, Market& m, Account& a, Position& p, EventSink& sink) {
  const absl::int128 index = m.funding.index();
  if (p.funding_index == index) return;
  const std::int64_t size = p.size;
  const absl::int128 settled = p.funding_index;
  p.funding_index = index;
  if (size == 0) return;
  const auto [owed, excess] = funding::SettlementOf(index, settled, size);
  std::int64_t& bucket = BucketOf(a, p);
  const std::int64_t paid = PayFunding(bucket, owed);
  Watch(&s, a, bucket);
  MarkDirty(s, a, p.market_slot);
  m.funding_pool += owed;
  // The carry stays below kIndexScale: whole atoms leave it at once.
  m.funding_carry += excess;
  // < 0: a claim the bucket could not pay (ledger.hpp, "Funding").
  absl::int128 to_residual = absl::int128(paid) - owed;
  if (m.funding_carry >= funding::kIndexScale) {
    m.funding_carry -= funding::kIndexScale;
    m.funding_pool -= 1;
    to_residual += 1;
  }
  if (paid != 0) {
    sink.Emit(events::FundingSettled{.market = m.id, .account = a.id, .amount = Quote(paid)});
  }
  if (to_residual != 0) {
    s.funding_residual += to_residual;
    sink.Emit(events::FundingResidual{.market = m.id, .amount = ToQuote(to_residual)});
  }
}

void SettleFundingDry(const Market& m, TimeNs now, Account& a, Position& p) {
  PayFunding(BucketOf(a, p), PendingFunding(m, p, now));
  p.funding_index = FundingIndexAt(m, now);
}

void Relock(Account& a) {
  bool locked = !WithinSoftBound(a.cash);
  for (const Position& p : a.positions) locked = locked || !WithinSoftBound(p.iso_cash);
  a.cash_locked = locked;
}

void Deposit(State& s, Account& a, std::int64_t amount, EventSink& sink) {
  a.cash += amount;
  s.deposits += amount;
  MarkDirty(s, a, kNone);
  sink.Emit(events::Deposit{.account = a.id, .amount = Quote(amount)});
}

void Withdraw(State& s, Account& a, std::int64_t amount, EventSink& sink) {
  PERPCORE_DCHECK(amount <= Held(s));
  a.cash -= amount;
  s.withdrawals += amount;
  MarkDirty(s, a, kNone);
  sink.Emit(events::Withdrawal{.account = a.id, .amount = Quote(amount)});
}

void Transfer(State& s, Account& from, Account& to, std::int64_t amount, EventSink& sink) {
  from.cash -= amount;
  to.cash += amount;
  MarkDirty(s, from, kNone);
  MarkDirty(s, to, kNone);
  sink.Emit(events::Transfer{.from = from.id, .to = to.id, .amount = Quote(amount)});
}

void FundInsurance(State& s, std::int64_t amount, EventSink& sink) {
  const absl::int128 paid_down = std::min<absl::int128>(amount, s.shortfall);
  s.shortfall -= paid_down;
  s.insurance += static_cast<std::int64_t>(amount - paid_down);
  s.deposits += amount;
  sink.Emit(events::InsuranceFunded{.amount = Quote(amount)});
  if (paid_down > 0) {
    sink.Emit(events::Shortfall{.amount = Quote(-static_cast<std::int64_t>(paid_down))});
  }
}

LiquidationFeePaid PayLiquidationFee(State& s, Account& a, Position* p, Account& keeper,
                                     const liquidation::FeeSplit& fee) {
  std::int64_t& bucket = p != nullptr && p->mode == MarginMode::kIsolated ? p->iso_cash : a.cash;
  bucket -= fee.fee;
  Watch(&s, a, bucket);
  const std::int64_t to_keeper = ReferrerTakes(keeper, fee.keeper) ? fee.keeper : 0;
  keeper.cash += to_keeper;
  const std::int64_t to_fund = fee.fee - to_keeper;
  const std::int64_t paid_down =
      static_cast<std::int64_t>(std::min<absl::int128>(to_fund, s.shortfall));
  s.shortfall -= paid_down;
  s.insurance += to_fund - paid_down;
  MarkDirty(s, a, p != nullptr ? p->market_slot : kNone);
  MarkDirty(s, keeper, kNone);
  return {.keeper = to_keeper, .shortfall_paid = paid_down};
}

void CoverDeficit(State& s, Account& a, Position* p, EventSink& sink) {
  std::int64_t& bucket = p != nullptr ? p->iso_cash : a.cash;
  if (bucket >= 0) return;
  const MarketId market = p != nullptr ? p->market : MarketId(0);
  const std::int64_t deficit = -bucket;
  const std::int64_t covered = std::min(deficit, s.insurance);
  s.insurance -= covered;
  bucket += covered;
  if (covered > 0) {
    sink.Emit(events::InsuranceCover{.market = market, .account = a.id, .amount = Quote(covered)});
  }
  if (deficit > covered) {
    s.shortfall += deficit - covered;
    bucket = 0;
    sink.Emit(events::Shortfall{
        .market = market, .account = a.id, .amount = Quote(deficit - covered)});
  }
  MarkDirty(s, a, p != nullptr ? p->market_slot : kNone);
}

void MoveIsolated(State* s, Account& a, Position& p, std::int64_t delta,
                  IsolatedMarginCause cause, EventSink& sink) {
  if (delta == 0) return;
  a.cash -= delta;
  p.iso_cash += delta;
  Watch(s, a, a.cash);
  Watch(s, a, p.iso_cash);
  if (s != nullptr) MarkDirty(*s, a, p.market_slot);
  sink.Emit(events::IsolatedMarginChanged{
      .market = p.market, .account = a.id, .amount = Quote(delta), .cause = cause});
}

void MoveEquity(State& s, Account& from, Position& fp, Account& to, Position* tp,
                std::int64_t amount) {
  std::int64_t& bucket = BucketOf(from, fp);
  std::int64_t& into = tp != nullptr ? BucketOf(to, *tp) : to.cash;
  bucket -= amount;
  into += amount;
  Watch(&s, from, bucket);
  Watch(&s, to, into);
  MarkDirty(s, from, fp.market_slot);
  MarkDirty(s, to, tp != nullptr ? tp->market_slot : kNone);
}

void TradeLeg(State* s, const Market& m, Account& a, Position& p, std::int64_t lots,
              std::int64_t price, std::int64_t fee) {
  // Market bounds keep every notional below 2^54, and the cash bound keeps
  // the bucket far from the int64 edge (the file comment of ledger.hpp).
  std::int64_t& bucket = BucketOf(a, p);
  bucket -= static_cast<std::int64_t>(Notional(m, lots, price)) + fee;
  Watch(s, a, bucket);
  if (s != nullptr) MarkDirty(*s, a, p.market_slot);
}

void SettlementLeg(State& s, Market& m, Account& a, Position& p, std::int64_t lots,
                   std::int64_t price) {
  // A position's notional is below 2^54 (market bounds), as in TradeLeg().
  const std::int64_t value = static_cast<std::int64_t>(Notional(m, lots, price));
  std::int64_t& bucket = BucketOf(a, p);
  bucket -= value;
  m.settlement_pool += value;
  Watch(&s, a, bucket);
  MarkDirty(s, a, p.market_slot);
}

void PoolFees(State& s, const fees::FillFees& fees, Account* referrer) {
  if (referrer != nullptr) {
    referrer->cash += fees.referrer;
    MarkDirty(s, *referrer, kNone);
  }
  s.fee_pool += fees.pool;
}

}  // namespace ledger
}  // namespace engine
PERPCORE_NAMESPACE_END
