// Accounts and money: create, deposit, withdraw, transfer, insurance
// funding, fee tier, margin mode, leverage, isolated margin.
#include "handlers.hpp"
#include "ledger.hpp"
#include "risk_check.hpp"
#include "valuation.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {
namespace {

using absl::int128;

// kOk if amount may leave the account's cross collateral by the withdrawal
// rule (risk_check.hpp, CrossWithdrawable).
Reason CheckFree(const State& s, const Account& a, std::int64_t amount) {
  if (amount > CrossWithdrawable(s, a)) return Reason::kInsufficientCollateral;
  return Reason::kOk;
}

// The cash bound (ledger.hpp): a money command leaves every bucket it
// touches within S.
bool WithinCash(std::int64_t bucket, std::int64_t delta) {
  return ledger::WithinSoftBound(int128(bucket) + delta);
}

bool DepositFits(const State& s, std::int64_t amount) {
  return s.deposits - s.withdrawals + amount <= kMaxTotalDeposits;
}

// A position or open orders in the market: a record there (records are
// live only).
bool Engaged(const Account& a, MarketId market) { return FindPosition(a, market) != nullptr; }

}  // namespace

Reason Validate(const State& s, const CreateAccount& c, AccountPlan* plan) {
  if (c.account == 0) return Reason::kInvalidId;
  if (c.owner == 0) return Reason::kInvalidOwner;
  if (s.FindAccount(c.account) != kNone) return Reason::kAccountExists;
  if (s.accounts.size() >= s.config.max_accounts) return Reason::kTooManyAccounts;
  if (c.fee_tier >= s.config.fee_tier_discounts.size()) return Reason::kInvalidFeeTier;
  if (c.referrer != 0 && (c.referrer == c.account || s.FindAccount(c.referrer) == kNone)) {
    return Reason::kUnknownReferrer;
  }
  plan->create = &c;
  return Reason::kOk;
}

Outcome ApplyCreateAccount(State& s, const AccountPlan& plan, EventSink& sink) {
  const CreateAccount& c = *plan.create;
  // The allocations first (a chunk of accounts, then the index's), so one
  // that fails, which poisons the engine, leaves no account listed but not
  // indexed: a poisoned engine still answers for every account it lists.
  const auto slot = static_cast<std::uint32_t>(s.accounts.size());
  s.accounts.reserve(s.accounts.size() + 1);
  s.account_index.Insert(s.AccountHash(c.account), slot);
  s.accounts.push_back(  // allocates nothing: reserved
      Account{.id = c.account,
              .slot = slot,
              .owner = c.owner,
              .fee_tier = c.fee_tier,
              .referrer = c.referrer});
  sink.Emit(events::AccountCreated{
      .account = c.account, .owner = c.owner, .fee_tier = c.fee_tier, .referrer = c.referrer});
  return {};
}

Reason Validate(const State& s, const Deposit& c, AccountPlan* plan) {
  plan->account_slot = s.FindAccount(c.account);
  if (plan->account_slot == kNone) return Reason::kUnknownAccount;
  if (c.amount.raw() <= 0) return Reason::kInvalidAmount;
  if (!DepositFits(s, c.amount.raw())) return Reason::kMaxDepositExceeded;
  if (!WithinCash(s.accounts[plan->account_slot].cash, c.amount.raw())) {
    return Reason::kCashBoundExceeded;
  }
  plan->amount = c.amount.raw();
  return Reason::kOk;
}

Outcome ApplyDeposit(State& s, const AccountPlan& plan, EventSink& sink) {
  Account& a = s.accounts[plan.account_slot];
  ledger::Deposit(s, a, plan.amount, sink);
  ledger::Relock(a);
  return {};
}

Reason Validate(const State& s, const FundInsurance& c, AccountPlan* plan) {
  if (c.amount.raw() <= 0) return Reason::kInvalidAmount;
  if (!DepositFits(s, c.amount.raw())) return Reason::kMaxDepositExceeded;
  plan->amount = c.amount.raw();
  return Reason::kOk;
}

Outcome ApplyFundInsurance(State& s, const AccountPlan& plan, EventSink& sink) {
  ledger::FundInsurance(s, plan.amount, sink);
  return {};
}

Reason Validate(const State& s, const Withdraw& c, AccountPlan* plan) {
  plan->account_slot = s.FindAccount(c.account);
  if (plan->account_slot == kNone) return Reason::kUnknownAccount;
  if (c.amount.raw() <= 0) return Reason::kInvalidAmount;
  plan->amount = c.amount.raw();
  // A deficit nobody covered is owed by the money still in the engine.
  if (s.shortfall > 0) return Reason::kWithdrawalsGated;
  if (Reason r = CheckFree(s, s.accounts[plan->account_slot], plan->amount); r != Reason::kOk) {
    return r;
  }
  // The backstop of the rule above: money that is not in the engine cannot
  // leave it, whatever an account's equity claims (ledger.hpp, Held).
  if (plan->amount > ledger::Held(s)) return Reason::kWithdrawalExceedsHeld;
  return WithinCash(s.accounts[plan->account_slot].cash, -plan->amount)
             ? Reason::kOk
             : Reason::kCashBoundExceeded;
}

Outcome ApplyWithdraw(State& s, const AccountPlan& plan, EventSink& sink) {
  Account& a = s.accounts[plan.account_slot];
  SettleAccount(s, a, sink);
  ledger::Withdraw(s, a, plan.amount, sink);
  ledger::Relock(a);
  return {};
}

Reason Validate(const State& s, const Transfer& c, AccountPlan* plan) {
  plan->account_slot = s.FindAccount(c.from);
  plan->other_slot = s.FindAccount(c.to);
  if (plan->account_slot == kNone || plan->other_slot == kNone) return Reason::kUnknownAccount;
  if (plan->account_slot == plan->other_slot) return Reason::kSameAccount;
  if (s.accounts[plan->account_slot].owner != s.accounts[plan->other_slot].owner) {
    return Reason::kNotSameOwner;
  }
  if (c.amount.raw() <= 0) return Reason::kInvalidAmount;
  plan->amount = c.amount.raw();
  // A deficit nobody covered is owed by the money still in the engine.
  if (s.shortfall > 0) return Reason::kWithdrawalsGated;
  if (Reason r = CheckFree(s, s.accounts[plan->account_slot], plan->amount); r != Reason::kOk) {
    return r;
  }
  return WithinCash(s.accounts[plan->account_slot].cash, -plan->amount) &&
                 WithinCash(s.accounts[plan->other_slot].cash, plan->amount)
             ? Reason::kOk
             : Reason::kCashBoundExceeded;
}

Outcome ApplyTransfer(State& s, const AccountPlan& plan, EventSink& sink) {
  Account& from = s.accounts[plan.account_slot];
  Account& to = s.accounts[plan.other_slot];
  SettleAccount(s, from, sink);
  ledger::Transfer(s, from, to, plan.amount, sink);
  ledger::Relock(from);
  ledger::Relock(to);
  return {};
}

Reason Validate(const State& s, const SetFeeTier& c, AccountPlan* plan) {
  plan->account_slot = s.FindAccount(c.account);
  if (plan->account_slot == kNone) return Reason::kUnknownAccount;
  if (c.fee_tier >= s.config.fee_tier_discounts.size()) return Reason::kInvalidFeeTier;
  plan->value = c.fee_tier;
  return Reason::kOk;
}

Outcome ApplySetFeeTier(State& s, const AccountPlan& plan, EventSink& sink) {
  Account& a = s.accounts[plan.account_slot];
  a.fee_tier = plan.value;
  sink.Emit(events::FeeTierSet{.account = a.id, .fee_tier = plan.value});
  return {};
}

Reason Validate(const State& s, const SetSelfTradeScope& c, AccountPlan* plan) {
  plan->account_slot = s.FindAccount(c.account);
  if (plan->account_slot == kNone) return Reason::kUnknownAccount;
  if (Raw(c.scope) > Raw(SelfTradeScope::kAccount)) return Reason::kInvalidSelfTradeScope;
  plan->scope = c.scope;
  return Reason::kOk;
}

Outcome ApplySetSelfTradeScope(State& s, const AccountPlan& plan, EventSink& sink) {
  Account& a = s.accounts[plan.account_slot];
  a.stp_scope = plan.scope;
  sink.Emit(events::SelfTradeScopeSet{.account = a.id, .scope = plan.scope});
  return {};
}

Reason Validate(const State& s, const SetMarginMode& c, AccountPlan* plan) {
  plan->account_slot = s.FindAccount(c.account);
  if (plan->account_slot == kNone) return Reason::kUnknownAccount;
  plan->market_slot = s.FindMarket(c.market);
  if (plan->market_slot == kNone) return Reason::kUnknownMarket;
  if (Raw(c.mode) > Raw(MarginMode::kIsolated)) return Reason::kInvalidMarginMode;
  if (Engaged(s.accounts[plan->account_slot], c.market)) return Reason::kMarginModeLocked;
  plan->mode = c.mode;
  return Reason::kOk;
}

// Only the choice is stored: the account has no record in the market (it
// is not engaged there), and its next one takes the mode.
Outcome ApplySetMarginMode(State& s, const AccountPlan& plan, EventSink& sink) {
  Account& a = s.accounts[plan.account_slot];
  const MarketId market = s.markets[plan.market_slot].id;
  PERPCORE_CHECK(FindPosition(a, market) == nullptr);
  MarketPref pref = PrefOf(a, market);
  pref.mode = plan.mode;
  SetPref(a, pref);
  sink.Emit(events::MarginModeSet{.market = market, .account = a.id, .mode = plan.mode});
  return {};
}

Reason Validate(const State& s, const SetLeverage& c, AccountPlan* plan) {
  plan->account_slot = s.FindAccount(c.account);
  if (plan->account_slot == kNone) return Reason::kUnknownAccount;
  plan->market_slot = s.FindMarket(c.market);
  if (plan->market_slot == kNone) return Reason::kUnknownMarket;
  if (c.leverage < 1 || c.leverage > s.markets[plan->market_slot].params.max_leverage) {
    return Reason::kInvalidLeverage;
  }
  const Account& a = s.accounts[plan->account_slot];
  if (Engaged(a, c.market)) {
    // A leverage change moves the requirement at this market's price.
    if (const Market& m = s.markets[plan->market_slot]; !m.IndexUsable(s.now)) {
      return m.IndexRefusal(s.now);
    }
    const OrderDelta d{.market_slot = plan->market_slot, .leverage = c.leverage};
    if (Reason r = CheckOrderRisk(s, a, d); r != Reason::kOk) return r;
  }
  plan->value = c.leverage;
  return Reason::kOk;
}

// The choice is stored, and applies to the live record if there is one.
Outcome ApplySetLeverage(State& s, const AccountPlan& plan, EventSink& sink) {
  Account& a = s.accounts[plan.account_slot];
  const MarketId market = s.markets[plan.market_slot].id;
  MarketPref pref = PrefOf(a, market);
  pref.leverage = plan.value;
  SetPref(a, pref);
  if (Position* p = FindPosition(a, market)) {
    p->leverage = plan.value;
    MarkDirty(s, a, plan.market_slot);  // its ADL rank moves with the setting
  }
  sink.Emit(events::LeverageSet{.market = market, .account = a.id, .leverage = plan.value});
  return {};
}

Reason Validate(const State& s, const AdjustIsolatedMargin& c, AccountPlan* plan) {
  plan->account_slot = s.FindAccount(c.account);
  if (plan->account_slot == kNone) return Reason::kUnknownAccount;
  plan->market_slot = s.FindMarket(c.market);
  if (plan->market_slot == kNone) return Reason::kUnknownMarket;
  const Account& a = s.accounts[plan->account_slot];
  const Position* p = FindPosition(a, c.market);
  if (p == nullptr || p->mode != MarginMode::kIsolated || p->size == 0) {
    return Reason::kNotIsolated;
  }
  if (c.delta.raw() == 0 || c.delta == Quote::Min()) return Reason::kInvalidAmount;
  plan->amount = c.delta.raw();
  if (c.delta.raw() > 0) {
    if (Reason r = CheckFree(s, a, c.delta.raw()); r != Reason::kOk) return r;
  } else {
    // The bucket keeps the withdrawal rule on its own: only this market's
    // state matters (a stale or tripped market counts at its stressed value).
    const Market& m = s.markets[plan->market_slot];
    if (-int128(c.delta.raw()) > IsolatedWithdrawable(s, m, *p)) {
      return Reason::kInsufficientCollateral;
    }
  }
  if (!WithinCash(a.cash, -plan->amount) || !WithinCash(p->iso_cash, plan->amount)) {
    return Reason::kCashBoundExceeded;
  }
  return Reason::kOk;
}

Outcome ApplyAdjustIsolatedMargin(State& s, const AccountPlan& plan, EventSink& sink) {
  Account& a = s.accounts[plan.account_slot];
  Position* p = FindPosition(a, s.markets[plan.market_slot].id);
  PERPCORE_CHECK(p != nullptr);
  SettlePosition(s, a, *p, sink);
  ledger::MoveIsolated(&s, a, *p, plan.amount, IsolatedMarginCause::kUser, sink);
  ledger::Relock(a);
  return {};
}

}  // namespace engine
PERPCORE_NAMESPACE_END
