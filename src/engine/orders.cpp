// Orders: place, cancel (by id, by client id, all), amend, cancel-replace.
#include <vector>

#include "handlers.hpp"
#include "risk_check.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {
namespace {

using absl::int128;

// The checks an order's size and price share with an amend.
Reason CheckSizeAndPrice(const Market& m, Lots size, Ticks price) {
  if (size.raw() <= 0) return Reason::kInvalidSize;
  if (size > m.params.max_order_size) return Reason::kSizeAboveMax;
  if (price.raw() <= 0) return Reason::kInvalidPrice;
  if (price > m.params.max_price) return Reason::kPriceAboveMax;
  return Reason::kOk;
}

// The account's worst-case exposure in the market if `open` lots rest on
// `side` in total: |position + open| for bids, |position - open| for asks.
bool WithinOpenInterest(const Market& m, std::int64_t size_now, Side side, std::int64_t open) {
  const int128 exposure = Abs(int128(size_now) + (side == Side::kBuy ? open : -int128(open)));
  return exposure <= m.params.max_open_interest.raw();
}

// Whether the market's open interest stays within its bound if the order of
// `q` lots on `side` fills in full. Long and short open interest are equal,
// and a fill raises them by at most what it raises the taker's own side
// (the makers trade the other way: a maker's side of the taker's direction
// only shrinks), so an order that would raise its account's long lots
// (buy) or short lots (sell) by d may raise the market's by d at most:
// d = max(0, size + q) - max(0, size) for a buy. Every fill has a taker
// whose admission passed this, so the open interest never exceeds the bound.
bool WithinMarketOpenInterest(const Market& m, std::int64_t size_now, Side side,
                              std::int64_t q) {
  const std::int64_t own = side == Side::kBuy ? size_now : -size_now;  // this side's sign
  const std::int64_t grow = std::max<std::int64_t>(own + q, 0) - std::max<std::int64_t>(own, 0);
  return m.oi_long <= m.oi_cap - grow;
}

// Out of line: one copy of the two index lookups for every order command.
[[gnu::noinline]] Reason Resolve(const State& s, MarketId market, AccountId account,
                                 OrderPlan* plan) {
  plan->market_slot = s.FindMarket(market);
  if (plan->market_slot == kNone) return Reason::kUnknownMarket;
  plan->account_slot = s.FindAccount(account);
  if (plan->account_slot == kNone) return Reason::kUnknownAccount;
  return Reason::kOk;
}

// PlaceOrder's checks after the market, the account and the halt (engine.hpp,
// in its order), filling plan->request. `replaced`: a live order of the same
// account in the market that counts as gone (CancelReplace), or null: its
// lots leave the open-interest exposure of its side, and the margin check
// sees it removed as the new order is added, in one delta.
Reason CheckNewOrder(const State& s, const PlaceOrder& c, const book::OrderView* replaced,
                     OrderPlan* plan) {
  const Market& m = s.markets[plan->market_slot];
  const Account& a = s.accounts[plan->account_slot];
  const bool buy = c.side == Side::kBuy;
  const Position* p = FindPosition(a, c.market);
  const std::int64_t size_now = p ? p->size : 0;
  plan->request = RequestOf(c);
  // The account's scope, never the caller's: an order cannot leave its
  // owner's STP group by naming another.
  plan->request.stp_group = a.stp_scope == SelfTradeScope::kOwner ? a.owner.value() : 0;
  const book::OrderRequest& o = plan->request;
  if (c.reduce_only) {
    if (!IsImmediate(o)) return Reason::kReduceOnlyNotImmediate;
    if (size_now == 0 || (buy ? size_now > 0 : size_now < 0)) {
      return Reason::kReduceOnlyWouldIncrease;
    }
    plan->request.max_fill = Lots(size_now < 0 ? -size_now : size_now);
  } else if (m.ReduceOnly()) {
    return Reason::kMarketReduceOnly;
  }
  if (Reason r = CheckSizeAndPrice(m, o.size, o.price); r != Reason::kOk) return r;
  if (c.reduce_only) return Reason::kOk;
  if (!m.IndexUsable(s.now)) return m.IndexRefusal(s.now);
  const std::int64_t q = o.size.raw();
  std::int64_t open = p ? (buy ? p->bids.lots() : p->asks.lots()) : 0;
  OrderDelta d{.market_slot = plan->market_slot};
  if (replaced != nullptr) {
    if (replaced->side == o.side) open -= replaced->remaining.raw();
    d.On(replaced->side).remove = {replaced->price.raw(), replaced->remaining.raw()};
  }
  if (!WithinOpenInterest(m, size_now, o.side, open + q)) return Reason::kOpenInterestLimit;
  if (!WithinMarketOpenInterest(m, size_now, o.side, q)) {
    return Reason::kMarketOpenInterestLimit;
  }
  d.On(o.side).add = {o.price.raw(), q};
  const int128 value = int128(o.price.raw()) * q;
  d.fee = fees::TakerFee(m.Fees(), s.FeeSchedule(), a.fee_tier, value * m.atoms).raw();
  return CheckOrderRisk(s, a, d);
}

}  // namespace

book::OrderRequest RequestOf(const PlaceOrder& c) {
  return book::OrderRequest{.id = c.order_id,
                            .account = c.account,
                            .client_id = c.client_id,
                            .side = c.side,
                            .type = c.type,
                            .tif = c.tif,
                            .stp = c.stp,
                            .price = c.price,
                            .size = c.size};
}

Reason Validate(const State& s, const PlaceOrder& c, OrderPlan* plan) {
  if (Reason r = Resolve(s, c.market, c.account, plan); r != Reason::kOk) return r;
  // A halted or delisted market takes reduce-only orders (immediate, so
  // nothing rests): a halt must not freeze the positions in it.
  if (s.markets[plan->market_slot].Settling()) return Reason::kMarketHalted;
  if (s.markets[plan->market_slot].Halted() && !c.reduce_only) return Reason::kMarketHalted;
  if (s.accounts[plan->account_slot].cash_locked) return Reason::kCashBoundExceeded;
  return CheckNewOrder(s, c, nullptr, plan);
}

Outcome ApplyPlace(State& s, const OrderPlan& plan, EventSink& sink) {
  Market& m = s.markets[plan.market_slot];
  const book::PlaceResult pr = m.book.Place(plan.request);
  if (!pr.ok()) return {.reason = pr.reason};
  Settle(s, plan.market_slot, plan.account_slot, plan.request.id, sink);
  return {.filled = pr.filled, .rested = pr.rested};
}

Reason Validate(const State& s, const CancelOrder& c, OrderPlan* plan) {
  if (Reason r = Resolve(s, c.market, c.account, plan); r != Reason::kOk) return r;
  plan->order_id = c.order_id;
  return Reason::kOk;
}

Outcome ApplyCancel(State& s, const OrderPlan& plan, EventSink& sink) {
  const AccountId account = s.accounts[plan.account_slot].id;
  const Reason br = s.markets[plan.market_slot].book.Cancel(account, plan.order_id);
  if (br != Reason::kOk) return {.reason = br};
  Settle(s, plan.market_slot, plan.account_slot, 0, sink);
  return {};
}

Reason Validate(const State& s, const CancelByClientId& c, OrderPlan* plan) {
  if (Reason r = Resolve(s, c.market, c.account, plan); r != Reason::kOk) return r;
  plan->client_id = c.client_id;
  return Reason::kOk;
}

Outcome ApplyCancelByClientId(State& s, const OrderPlan& plan, EventSink& sink) {
  const AccountId account = s.accounts[plan.account_slot].id;
  const Reason br =
      s.markets[plan.market_slot].book.CancelByClientId(account, plan.client_id);
  if (br != Reason::kOk) return {.reason = br};
  Settle(s, plan.market_slot, plan.account_slot, 0, sink);
  return {};
}

Reason Validate(const State& s, const CancelAll& c, OrderPlan* plan) {
  plan->account_slot = s.FindAccount(c.account);
  if (plan->account_slot == kNone) return Reason::kUnknownAccount;
  plan->all_markets = c.market == 0;
  if (plan->all_markets) return Reason::kOk;
  plan->market_slot = s.FindMarket(c.market);
  if (plan->market_slot == kNone) return Reason::kUnknownMarket;
  return Reason::kOk;
}

Outcome ApplyCancelAll(State& s, const OrderPlan& plan, EventSink& sink) {
  const AccountId account = s.accounts[plan.account_slot].id;
  auto cancel_in = [&](std::uint32_t mi) {
    PERPCORE_CHECK(s.markets[mi].book.CancelAll(account) == Reason::kOk);
    Settle(s, mi, plan.account_slot, 0, sink);
  };
  if (!plan.all_markets) {
    cancel_in(plan.market_slot);
    return {};
  }
  // Markets in id order: the account's positions are sorted by market id.
  // Settling removes the records it empties, so the slots are collected
  // first.
  std::vector<std::uint32_t> slots;
  for (const Position& p : s.accounts[plan.account_slot].positions) {
    if (p.open_orders > 0) slots.push_back(p.market_slot);
  }
  for (std::uint32_t mi : slots) cancel_in(mi);
  return {};
}

Reason Validate(const State& s, const AmendOrder& c, OrderPlan* plan) {
  const book::AmendRequest am{
      .account = c.account, .id = c.order_id, .new_price = c.new_price, .new_size = c.new_size};
  if (Reason r = Resolve(s, c.market, am.account, plan); r != Reason::kOk) return r;
  const Market& m = s.markets[plan->market_slot];
  const std::optional<book::OrderView> old = m.book.Find(am.id);
  if (!old) return Reason::kUnknownOrder;
  if (old->account != am.account) return Reason::kNotOrderOwner;
  if (m.Halted()) return Reason::kMarketHalted;
  // A locked account rests no orders (they are cancelled when it locks), so
  // it never reaches here with one.
  PERPCORE_DCHECK(!s.accounts[plan->account_slot].cash_locked);
  if (Reason r = CheckSizeAndPrice(m, am.new_size, am.new_price); r != Reason::kOk) return r;
  plan->amend = am;
  plan->old = *old;
  const bool adds_risk = am.new_size > old->remaining || am.new_price != old->price;
  if (!adds_risk) return Reason::kOk;
  if (m.ReduceOnly()) return Reason::kMarketReduceOnly;
  if (!m.IndexUsable(s.now)) return m.IndexRefusal(s.now);
  const Account& a = s.accounts[plan->account_slot];
  const Position* p = FindPosition(a, c.market);
  PERPCORE_CHECK(p != nullptr);
  const bool buy = old->side == Side::kBuy;
  const std::int64_t added = am.new_size.raw() - old->remaining.raw();
  const std::int64_t open = buy ? p->bids.lots() : p->asks.lots();
  if (!WithinOpenInterest(m, p->size, old->side, open + added)) return Reason::kOpenInterestLimit;
  OrderDelta d{.market_slot = plan->market_slot};
  d.On(old->side) = {.add = {am.new_price.raw(), am.new_size.raw()},
                     .remove = {old->price.raw(), old->remaining.raw()}};
  return CheckOrderRisk(s, a, d);
}

Outcome ApplyAmend(State& s, const OrderPlan& plan, EventSink& sink) {
  Market& m = s.markets[plan.market_slot];
  const Reason br = m.book.Amend(plan.amend);
  if (br != Reason::kOk) return {.reason = br};
  Position& p = GetPosition(s, s.accounts[plan.account_slot], plan.market_slot);
  if (plan.amend.new_price == plan.old.price) {  // one pass over the ladder, not two
    AddOrder(p, plan.old.side, plan.old.price.raw(),
             plan.amend.new_size.raw() - plan.old.remaining.raw());
  } else {
    AddOrder(p, plan.old.side, plan.old.price.raw(), -plan.old.remaining.raw());
    AddOrder(p, plan.old.side, plan.amend.new_price.raw(), plan.amend.new_size.raw());
  }
  for (const book::Event& e : m.book.events()) {
    sink.Emit(events::OrderAmended{.market = m.id,
                                   .account = e.account,
                                   .order_id = e.order_id,
                                   .side = e.side,
                                   .priority_kept = e.priority_kept,
                                   .price = e.price,
                                   .remaining = e.remaining,
                                   .old_remaining = e.size});
  }
  return {};
}

// The book's checks of the new order are read-only (CheckPlace), so unlike
// PlaceOrder every refusal comes from here and Apply cannot be refused.
Reason Validate(const State& s, const CancelReplace& c, OrderPlan* plan) {
  if (Reason r = Resolve(s, c.market, c.account, plan); r != Reason::kOk) return r;
  const Market& m = s.markets[plan->market_slot];
  const std::optional<book::OrderView> old = m.book.Find(c.old_order_id);
  if (!old) return Reason::kUnknownOrder;
  if (old->account != c.account) return Reason::kNotOrderOwner;
  if (m.Settling() || (m.Halted() && !c.reduce_only)) return Reason::kMarketHalted;
  PERPCORE_DCHECK(!s.accounts[plan->account_slot].cash_locked);  // as in AmendOrder
  plan->old = *old;
  if (Reason r = CheckNewOrder(s, NewOrderOf(c), &*old, plan); r != Reason::kOk) return r;
  return m.book.CheckPlace(plan->request, old->id);
}

Outcome ApplyCancelReplace(State& s, const OrderPlan& plan, EventSink& sink) {
  Market& m = s.markets[plan.market_slot];
  const AccountId account = s.accounts[plan.account_slot].id;
  // Validate decided both halves; a refusal here would be a broken promise
  // of the book's CheckPlace, after the cancel had changed state.
  PERPCORE_CHECK(m.book.Cancel(account, plan.old.id) == Reason::kOk);
  Settle(s, plan.market_slot, plan.account_slot, 0, sink);
  const book::PlaceResult pr = m.book.Place(plan.request);
  PERPCORE_CHECK(pr.ok());
  Settle(s, plan.market_slot, plan.account_slot, plan.request.id, sink);
  return {.filled = pr.filled, .rested = pr.rested};
}

void CancelLockedOrders(State& s, EventSink& sink) {
  // In the order the accounts were locked: deterministic, as the fills that
  // locked them.
  for (const AccountId id : s.newly_locked) {
    const std::uint32_t ai = s.FindAccount(id);
    PERPCORE_CHECK(ai != kNone);
    // Settling removes the records it empties, so the slots are collected
    // first (as ApplyCancelAll).
    std::vector<std::uint32_t> slots;
    for (const Position& p : s.accounts[ai].positions) {
      if (p.open_orders > 0) slots.push_back(p.market_slot);
    }
    for (const std::uint32_t mi : slots) {
      PERPCORE_CHECK(s.markets[mi].book.CancelAll(id, nullptr,
                                                  book::CancelReason::kAccountLocked) ==
                     Reason::kOk);
      Settle(s, mi, ai, 0, sink);
    }
  }
  s.newly_locked.clear();
}

}  // namespace engine
PERPCORE_NAMESPACE_END
