// The facade: configuration, framing (sequence and time) and dispatch of
// each command to its handler's Validate and Apply.
#include "perpcore/engine/engine.hpp"

#include <type_traits>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "handlers.hpp"
#include "liquidation_index.hpp"
#include "perpcore/detail/status_macros.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {
namespace {

// Collects a command's events for Apply(command).
struct Collect final : EventSink {
  explicit Collect(std::vector<Event>* v) : events(v) {}
  void Emit(const Event& e) override { events->push_back(e); }
  std::vector<Event>* events;
};

// The Apply function of each command's plan.
template <class Plan>
using ApplyFn = Outcome (*)(State&, const Plan&, EventSink&);

template <class C> struct Handler;
#define PERPCORE_HANDLER(Command, PlanType, Fn)                    \
  template <> struct Handler<Command> {                            \
    using Plan = PlanType;                                         \
    static constexpr ApplyFn<PlanType> kApply = &Fn;               \
  }
PERPCORE_HANDLER(CreateMarket, MarketPlan, ApplyCreateMarket);
PERPCORE_HANDLER(UpdateMarket, MarketPlan, ApplyUpdateMarket);
PERPCORE_HANDLER(SetMarketStatus, MarketPlan, ApplySetMarketStatus);
PERPCORE_HANDLER(CreateAccount, AccountPlan, ApplyCreateAccount);
PERPCORE_HANDLER(Deposit, AccountPlan, ApplyDeposit);
PERPCORE_HANDLER(Withdraw, AccountPlan, ApplyWithdraw);
PERPCORE_HANDLER(Transfer, AccountPlan, ApplyTransfer);
PERPCORE_HANDLER(FundInsurance, AccountPlan, ApplyFundInsurance);
PERPCORE_HANDLER(SetFeeTier, AccountPlan, ApplySetFeeTier);
PERPCORE_HANDLER(SetSelfTradeScope, AccountPlan, ApplySetSelfTradeScope);
PERPCORE_HANDLER(SetMarginMode, AccountPlan, ApplySetMarginMode);
PERPCORE_HANDLER(SetLeverage, AccountPlan, ApplySetLeverage);
PERPCORE_HANDLER(AdjustIsolatedMargin, AccountPlan, ApplyAdjustIsolatedMargin);
PERPCORE_HANDLER(PlaceOrder, OrderPlan, ApplyPlace);
PERPCORE_HANDLER(CancelOrder, OrderPlan, ApplyCancel);
PERPCORE_HANDLER(CancelByClientId, OrderPlan, ApplyCancelByClientId);
PERPCORE_HANDLER(CancelAll, OrderPlan, ApplyCancelAll);
PERPCORE_HANDLER(AmendOrder, OrderPlan, ApplyAmend);
PERPCORE_HANDLER(OraclePrice, OraclePlan, ApplyOraclePrice);
PERPCORE_HANDLER(TimeTick, OraclePlan, ApplyTimeTick);
PERPCORE_HANDLER(CancelReplace, OrderPlan, ApplyCancelReplace);
PERPCORE_HANDLER(RetireSource, OraclePlan, ApplyRetireSource);
PERPCORE_HANDLER(Liquidate, LiquidationPlan, ApplyLiquidate);
PERPCORE_HANDLER(SettleMarket, SettlePlan, ApplySettleMarket);
#undef PERPCORE_HANDLER

template <class C>
Outcome Run(State& s, const C& c, EventSink& sink) {
  typename Handler<C>::Plan plan;
  if (Reason r = Validate(s, c, &plan); r != Reason::kOk) return {.reason = r};
  return Handler<C>::kApply(s, plan, sink);
}

}  // namespace

absl::Status Engine::Validate(const EngineConfig& c) {
  auto bad = [](const char* field, const char* rule) {
    return absl::InvalidArgumentError(absl::StrCat("EngineConfig.", field, " ", rule));
  };
  if (c.quote_decimals > 18) return bad("quote_decimals", "must be 0..18");
  if (absl::Status s = fees::ValidateSchedule({c.fee_tier_discounts, c.referrer_share}); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("EngineConfig.", s.message()));
  }
  if (c.max_markets < 1 || c.max_markets > 1024) return bad("max_markets", "must be 1..1024");
  if (c.max_accounts < 1 || c.max_accounts > (1u << 24)) {
    return bad("max_accounts", "must be 1..2^24");
  }
  if (c.withdraw_margin_fraction.raw() < 0 || c.withdraw_margin_fraction.raw() >= kRateScale) {
    return bad("withdraw_margin_fraction", "must be in [0, 1)");
  }
  return absl::OkStatus();
}

absl::StatusOr<Engine> Engine::Create(const EngineConfig& config) {
  PERPCORE_RETURN_IF_ERROR(Validate(config));
  return Engine(config);
}

Engine::Engine(const EngineConfig& config) : s_(std::make_unique<State>(config)) {
  PERPCORE_CHECK(Validate(config).ok());
  events_.reserve(64);
}

Engine::Engine(const Engine& other)
    : s_(std::make_unique<State>(*other.s_)), events_(other.events_) {
  s_->Reserve();  // a copied container holds only what it copied
}
Engine& Engine::operator=(const Engine& other) {
  if (this != &other) *this = Engine(other);
  return *this;
}
Engine::Engine(Engine&& other) noexcept = default;
Engine& Engine::operator=(Engine&& other) noexcept = default;
Engine::~Engine() = default;

absl::Status Engine::ValidateMarket(const MarketParams& p) const {
  std::int64_t atoms = 0;
  std::string why;
  if (CheckMarketParams(s_->config, p, &atoms, &why) != Reason::kOk) {
    return absl::InvalidArgumentError(why);
  }
  return absl::OkStatus();
}

namespace {

// A buffer one command grew past the retained bound goes back to the
// allocator; out of line and cold (rare).
[[gnu::cold, gnu::noinline]] void ReleaseEvents(std::vector<Event>* events) {
  std::vector<Event>().swap(*events);
  events->reserve(64);
}

// True iff CheckFraming(c) is OK: the usual case, decided without making
// and destroying a Status. `c.seq > last_seq` keeps a seq that wraps to 0
// after UINT64_MAX "already applied", as CheckFraming says.
bool InSequence(const State& s, const Command& c) {
  return !s.in_command && c.seq > s.last_seq && c.seq - s.last_seq == 1 &&
         c.timestamp >= s.now;
}

}  // namespace

absl::Status Engine::CheckFraming(const Command& c) const {
  const State& s = *s_;
  if (s.in_command) {
    return absl::FailedPreconditionError(std::string(ReasonMessage(Reason::kEnginePoisoned)));
  }
  if (c.seq <= s.last_seq) {
    return absl::AlreadyExistsError(
        absl::StrCat("seq ", c.seq, " was already applied (last_seq ", s.last_seq, ")"));
  }
  if (c.seq != s.last_seq + 1) {
    return absl::OutOfRangeError(
        absl::StrCat("sequence gap: expected seq ", s.last_seq + 1, ", got ", c.seq));
  }
  if (c.timestamp < s.now) {
    return absl::FailedPreconditionError(absl::StrCat(
        "timestamp ", c.timestamp.raw(), " is before the engine's time ", s.now.raw()));
  }
  return absl::OkStatus();
}

Result Engine::Process(const Command& c, EventSink& sink) {
  State& s = *s_;
  s.last_seq = c.seq;
  s.now = c.timestamp;  // handlers read the command's time as s.now
  s.in_command = true;  // left set if an exception interrupts the command
  const Outcome o =
      std::visit([&](const auto& payload) { return Run(s, payload, sink); }, c.payload);
  if (!s.newly_locked.empty()) CancelLockedOrders(s, sink);
  if (!s.liq_dirty.empty()) RekeyDirty(s, sink);
  s.in_command = false;
  return Result{.reason = o.reason, .filled = o.filled, .rested = o.rested, .seq = c.seq};
}

absl::StatusOr<Result> Engine::Apply(const Command& c) {
  if (!InSequence(*s_, c)) return CheckFraming(c);
  events_.clear();  // only now: a framing error leaves the last command's events
  if (events_.capacity() > kRetainedEvents) ReleaseEvents(&events_);
  Collect collect(&events_);
  Result r = Process(c, collect);
  r.events = events_;
  return r;
}

absl::StatusOr<Result> Engine::Apply(const Command& c, EventSink& sink) {
  if (!InSequence(*s_, c)) return CheckFraming(c);
  return Process(c, sink);
}

bool Engine::poisoned() const { return s_->in_command; }

std::size_t Engine::retained_event_capacity() const {
  std::size_t n = events_.capacity();
  for (const Market& m : s_->markets) n += m.book.event_capacity();
  return n;
}

std::uint64_t Engine::last_seq() const { return s_->last_seq; }
TimeNs Engine::now() const { return s_->now; }
Quote Engine::fee_pool() const { return Quote(s_->fee_pool); }
Quote Engine::insurance_fund() const { return Quote(s_->insurance); }
Quote Engine::shortfall() const { return ToQuote(s_->shortfall); }
absl::int128 Engine::total_deposits() const { return s_->deposits; }
absl::int128 Engine::total_withdrawals() const { return s_->withdrawals; }
const EngineConfig& Engine::config() const { return s_->config; }

}  // namespace engine
PERPCORE_NAMESPACE_END
