// Randomized property test of funding through the engine (issue 12): seeded
// random trading in one market over days of simulated time, in two
// configurations, each over several seeds:
//   premium  the premium model, interval-end payment every 8 h (a market
//            maker's drifting quotes make the premium), the index moving at
//            each FundingRateSet;
//   skew     the open-interest-skew model (kSkewLinear) paid continuously
//            per second, with a counterparty account (the vault, account 9)
//            whose position is left out of the skew.
// Accounts 1-6 trade (5 and 6 isolated): limit and market orders, reduce-only
// partial closes and flips, cancels, deposits, withdrawals and isolated
// margin moves; account 7 makes the market; account 8, the sleeper, opens a
// position on day 0 and is never touched again until the end. The oracle
// price drifts; now and then it is not published, so the index goes stale
// (intervals close unpaid, continuous time passes unpaid); now and then time
// jumps by hours, so several intervals close in one command.
//
// After every command:
//   1. CheckInvariants() holds: conservation exactly, with the funding pools,
//      the carry and the residual sink.
//   2. Money: the FundingSettled amounts so far, summed, equal the market's
//      funding pool plus the residual sink (Engine::funding_residual()), and
//      the FundingResidual events sum to the sink.
//   3. Lazy = eager. The test keeps its own eager reference, independent of
//      src/funding: exact rationals in int128 (a whole part and a remainder
//      over the fixed denominator D = period in seconds * 1e18). Premium:
//      for each paid FundingRateSet, the per-lot index move is
//      rate * (end - start) / period * price * atoms_per_tick_lot (index
//      units), charged to every position the Fill events (and their
//      command times) say was open when the interval ended, whichever
//      command the engine closes it in (a fill at or after the end must
//      come after the close). Skew: at every command that advances funding (an accepted order
//      command, a time tick), the time since the last advance is charged at
//      the rate from the skew of the open interest that held since (computed
//      here, and checked against FundingView::predicted_rate), at the index
//      price if the index is usable (else it passes unpaid). For every
//      account, the engine's total funding G (its FundingSettled amounts plus
//      its PositionView::pending_funding) and the eager total E satisfy
//          E - d <= G < E + n + 1 + d
//      where n is the number of times its open position was settled (a fill
//      of it, a withdrawal, an isolated-margin move: each rounds against the
//      account by less than one atom, also when it rounds to nothing and
//      emits no FundingSettled; so does the pending amount) and d
//      is the index's own rounding: a move that is not a whole number of
//      index units is rounded toward zero, by less than one unit a lot per
//      piece, at most 3 pieces an advance (the interval in progress, a run,
//      the rest), so d < 3 * sum of |size| / 1e18 atoms over the moves. In
//      the premium configuration every move is whole (T = period), d = 0 and
//      the engine's index equals the eager index exactly; in the skew one it
//      is within 3 units per move of it.
//      Each settlement on its own: what it paid (0 without an event) against
//      the exact funding since the position's previous settlement, exact - d
//      <= paid < exact + 1 + d (premium: paid = ceil(exact), exactly).
// At the end every account is touched (a withdrawal settles it): then nothing
// is pending, the pool is empty and the amounts longs paid plus those shorts
// paid (negative: received) equal the residual. The sleeper's pending funding
// is compared with the eager total before it is touched (n = 0).
//
// Each seed prints what it reached (commands, simulated days, intervals,
// rate sets, unpaid ones, settlements, close calls: settlements whose exact
// amount had a fractional part, the rounding at work) and must reach some of
// each.
//
// Seeds are fixed and printed. PERPCORE_TEST_SEED=<n> runs only that seed and
// PERPCORE_TEST_ITERS=<n> sets the commands per seed (default 20,000). The
// checks run after every command and the stream is a function of the seed
// and the engine's answers, so the first failing command ends the shortest
// failing prefix: the report gives its length, the rerun line, and the
// last commands with their answers and events.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/numeric/int128.h"
#include "perpcore/engine/engine.hpp"
#include "support/rng.hpp"

namespace perpcore::engine {
namespace {

using absl::int128;
using funding::FundingModel;
using funding::FundingPayment;
using testing::Rng;

constexpr std::int64_t kSec = 1'000'000'000;
constexpr std::int64_t kHour = 3'600 * kSec;
constexpr std::int64_t kUsd = 1'000'000;
constexpr std::int64_t kAtoms = 100;  // atoms per tick-lot (0.1 USD tick, 0.001 BTC lot)
constexpr std::int64_t kPeriodSec = 8 * 3'600;
constexpr std::uint64_t kSeeds[] = {0xf0d10001, 0xf0d10002, 0xf0d10003};
constexpr AccountId kMaker = 7, kSleeper = 8, kVault = 9;
constexpr int kAccounts = 9;

std::string Fmt(const char* format, ...) __attribute__((format(printf, 1, 2)));
std::string Fmt(const char* format, ...) {
  char buf[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buf, sizeof buf, format, args);
  va_end(args);
  return buf;
}

std::string Text(int128 v) {
  if (v == 0) return "0";
  const bool neg = v < 0;
  absl::uint128 u = neg ? -absl::uint128(v) : absl::uint128(v);
  std::string s;
  while (u > 0) {
    s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  }
  return neg ? "-" + s : s;
}

// ---------------------------------------------------------------------------
// Exact arithmetic of the eager reference
// ---------------------------------------------------------------------------

// Mixed: whole + rem / den exactly, 0 <= rem < den (den fixed per use).
struct Mixed {
  int128 whole = 0;
  int128 rem = 0;
  void Add(int128 numerator, int128 den) {
    whole += numerator / den;
    rem += numerator % den;
    if (rem < 0) {
      rem += den;
      whole -= 1;
    } else if (rem >= den) {
      rem -= den;
      whole += 1;
    }
  }
  std::string ToString(int128 den) const { return Text(whole) + " + " + Text(rem) + "/" + Text(den); }
};

// a - b, both over den.
Mixed Minus(const Mixed& a, const Mixed& b, int128 den) {
  Mixed d{.whole = a.whole - b.whole, .rem = a.rem - b.rem};
  if (d.rem < 0) {
    d.rem += den;
    d.whole -= 1;
  }
  return d;
}

// D: atoms * D is the unit the eager totals are kept in.
const int128 kDen = int128(kPeriodSec) * kRateScale;

// ---------------------------------------------------------------------------
// The two configurations
// ---------------------------------------------------------------------------

struct Config {
  const char* name;
  bool continuous = false;  // the skew model, paid per second
};

MarketParams FundedMarket(const Config& c) {
  MarketParams p;
  p.symbol = "BTC-USD";
  p.tick_size = {1, -1};
  p.lot_size = {1, -3};
  p.max_order_size = Lots(2'000);
  p.max_open_interest = Lots(20'000);
  p.max_price = Ticks(10'000'000);
  p.funding.interval = TimeNs(kPeriodSec * kSec);
  p.funding.period = TimeNs(kPeriodSec * kSec);
  if (c.continuous) {
    p.funding.model = FundingModel::kSkewLinear;
    p.funding.payment = FundingPayment::kContinuous;
    p.funding.counterparty = kVault.value();
    p.funding.skew_kappa = Rate(kRateScale / 100);  // 1% per 8 h at full skew
    p.funding.skew_max = Rate(kRateScale / 100);
  } else {
    p.funding.model = FundingModel::kPremium;
    p.funding.payment = FundingPayment::kIntervalEnd;
    p.funding.sample_cadence = TimeNs(60 * kSec);
  }
  return p;
}

// The skew model's rate from the open interest, as funding.hpp defines it:
// skew = (L - S) / (L + S) rounded toward zero, F = clamp(kappa * skew,
// +-skew_max) rounded toward zero.
Rate SkewRate(std::int64_t longs, std::int64_t shorts, const funding::FundingParams& f) {
  if (longs + shorts == 0) return Rate(0);
  const int128 skew = int128(longs - shorts) * kRateScale / (longs + shorts);
  const int128 rate = skew * f.skew_kappa.raw() / kRateScale;
  const int128 cap = f.skew_max.raw();
  return Rate(static_cast<std::int64_t>(std::clamp(rate, -cap, cap)));
}

// ---------------------------------------------------------------------------
// Readable forms for the failure report
// ---------------------------------------------------------------------------

struct PayloadText {
  std::string operator()(const PlaceOrder& c) const {
    return Fmt("PlaceOrder{account %" PRIu64 ", id %" PRIu64 ", %s %s%s%s, price %" PRId64
               ", size %" PRId64 "}",
               std::uint64_t{c.account.value()}, std::uint64_t{c.order_id.value()},
               c.side == Side::kBuy ? "buy" : "sell",
               c.type == OrderType::kMarket ? "market" : "limit",
               c.tif == TimeInForce::kIoc ? " IOC" : "", c.reduce_only ? " reduce-only" : "",
               c.price.raw(), c.size.raw());
  }
  std::string operator()(const CancelOrder& c) const {
    return Fmt("CancelOrder{account %" PRIu64 ", id %" PRIu64 "}",
               std::uint64_t{c.account.value()}, std::uint64_t{c.order_id.value()});
  }
  std::string operator()(const OraclePrice& c) const {
    return Fmt("OraclePrice{%" PRId64 "}", c.price.raw());
  }
  std::string operator()(const TimeTick&) const { return "TimeTick{1}"; }
  std::string operator()(const Deposit& c) const {
    return Fmt("Deposit{account %" PRIu64 ", %" PRId64 "}", std::uint64_t{c.account.value()},
               c.amount.raw());
  }
  std::string operator()(const Withdraw& c) const {
    return Fmt("Withdraw{account %" PRIu64 ", %" PRId64 "}", std::uint64_t{c.account.value()},
               c.amount.raw());
  }
  std::string operator()(const AdjustIsolatedMargin& c) const {
    return Fmt("AdjustIsolatedMargin{account %" PRIu64 ", %" PRId64 "}",
               std::uint64_t{c.account.value()}, c.delta.raw());
  }
  std::string operator()(const CreateMarket&) const { return "CreateMarket{1}"; }
  std::string operator()(const CreateAccount& c) const {
    return Fmt("CreateAccount{%" PRIu64 "}", std::uint64_t{c.account.value()});
  }
  std::string operator()(const SetMarginMode& c) const {
    return Fmt("SetMarginMode{account %" PRIu64 ", %s}", std::uint64_t{c.account.value()},
               c.mode == MarginMode::kIsolated ? "isolated" : "cross");
  }
  template <class T>
  std::string operator()(const T&) const {
    return "(a command this stream does not send)";
  }
};

constexpr const char* kEventNames[] = {
    "OrderRested",     "Fill",          "OrderCanceled",     "OrderReduced",
    "OrderAmended",    "Deposit",       "Withdrawal",        "Transfer",
    "AccountCreated",  "MarketCreated", "MarketUpdated",     "MarketStatusChanged",
    "PriceUpdate",     "CircuitBreaker", "MarginModeSet",    "LeverageSet",
    "IsolatedMarginChanged", "FeeTierSet", "InsuranceFunded", "SelfTradeScopeSet",
    "SourceRetired",   "FundingRateSet", "FundingSettled",   "FundingResidual",
    "Liquidation",     "InsuranceCover", "Shortfall",       "MarginWarning",
    "PositionSettled", "MarketSettled", "BackstopTakeover",
    "Deleveraged"};
static_assert(std::size(kEventNames) == std::variant_size_v<Event>);

std::string Describe(const Payload& p) { return std::visit(PayloadText{}, p); }

std::string Describe(const Event& e) {
  if (const auto* f = std::get_if<events::Fill>(&e)) {
    return Fmt("Fill{%" PRId64 " @ %" PRId64 ", taker %" PRIu64 " -> %" PRId64 ", maker %" PRIu64
               " -> %" PRId64 "}",
               f->size.raw(), f->price.raw(), std::uint64_t{f->taker.account.value()},
               f->taker.position.raw(), std::uint64_t{f->maker.account.value()},
               f->maker.position.raw());
  }
  if (const auto* r = std::get_if<events::FundingRateSet>(&e)) {
    return Fmt("FundingRateSet{[%" PRId64 ", %" PRId64 ") s x%u, premium %" PRId64
               ", rate %" PRId64 ", price %" PRId64 "}",
               r->start.raw() / kSec, r->end.raw() / kSec, r->intervals, r->premium.raw(),
               r->rate.raw(), r->price.raw());
  }
  if (const auto* s = std::get_if<events::FundingSettled>(&e)) {
    return Fmt("FundingSettled{account %" PRIu64 ", %" PRId64 "}",
               std::uint64_t{s->account.value()}, s->amount.raw());
  }
  if (const auto* r = std::get_if<events::FundingResidual>(&e)) {
    return Fmt("FundingResidual{%" PRId64 "}", r->amount.raw());
  }
  return kEventNames[e.index()];
}

// ---------------------------------------------------------------------------
// The simulation
// ---------------------------------------------------------------------------

struct Counts {
  std::uint64_t commands = 0, accepted = 0, fills = 0;
  std::uint64_t rate_sets = 0, intervals = 0, unpaid = 0, runs = 0;
  std::uint64_t premium_rates = 0;  // rate sets whose premium was not 0
  std::uint64_t settlements = 0, residual_events = 0;
  std::uint64_t comparisons = 0, fractional = 0;  // eager totals with a fractional part
  std::uint64_t paid_advances = 0;                // skew: spans charged
  std::uint64_t flips = 0, isolated_settlements = 0;
  std::uint64_t touches = 0;      // settlements of an open position, paying or not
  std::uint64_t close_calls = 0;  // touches whose exact amount had a fractional part
  std::uint64_t silent = 0;       // touches whose exact amount was not 0 but rounded to 0
};

struct AccountModel {
  std::int64_t size = 0;     // from the Fill events
  int128 settled = 0;        // sum of its FundingSettled amounts
  std::uint64_t settlements = 0;
  std::uint64_t touches = 0;  // settlements of an open position, with an event or not
  int128 unsettled = 0;       // FundingSettled amounts since its last touch
  Mixed eager;                // exact, in atoms (den kDen)
  int128 slack = 0;           // d above, in atoms * kDen
  Mixed eager_at_touch;       // eager and slack at its last touch
  int128 slack_at_touch = 0;
  // Premium: the size history since the last interval end (the fills'
  // command times), so that an interval is charged to the positions held
  // when it ended, whenever the engine closes it.
  std::int64_t base_size = 0;
  std::vector<std::pair<std::int64_t, std::int64_t>> changes;  // (time ns, size after)
  // SizeAt(): the size held at time t: after every fill before t (a fill at
  // an interval's end comes after its close).
  std::int64_t SizeAt(std::int64_t t) const {
    std::int64_t held = base_size;
    for (const auto& [when, after] : changes) {
      if (when < t) held = after;
    }
    return held;
  }
  void Forget(std::int64_t t) {
    base_size = SizeAt(t);
    std::erase_if(changes, [t](const auto& c) { return c.first < t; });
  }
  bool isolated = false;
};

class Sim {
 public:
  Sim(std::uint64_t seed, const Config& config)
      : config_(config), params_(FundedMarket(config)), rng_(seed), eng_(EngineConfig{}) {}

  // Runs the set-up and `iters` commands; "" or why it failed.
  std::string Run(std::size_t iters) {
    if (std::string err = SetUp(); !err.empty()) return err;
    while (counts_.commands < iters) {
      if (std::string err = Round(); !err.empty()) return err;
    }
    return Finish();
  }

  const Counts& counts() const { return counts_; }
  std::int64_t now() const { return now_; }
  std::string Trace() const {
    std::string s;
    for (const std::string& line : trace_) s += line;
    return s;
  }

 private:
  // --- applying and checking ---------------------------------------------

  // Applies `p` at now_, then checks everything; sets last_ to its reason.
  std::string Do(Payload p) {
    const Command c{eng_.last_seq() + 1, TimeNs(now_), std::move(p)};
    // The skew model's rate for the span this command may close: from the
    // open interest that held since the last advance.
    const Rate rate_before = CurrentSkewRate();
    if (absl::StatusOr<FundingView> f = eng_.Funding(1); config_.continuous && f.ok()) {
      const Rate engine_rate = f->predicted_rate;
      if (engine_rate != rate_before) {
        return Fmt("predicted rate %" PRId64 " but the skew gives %" PRId64, engine_rate.raw(),
                   rate_before.raw());
      }
    }
    const bool advances = Advances(c.payload);
    absl::StatusOr<Result> r = eng_.Apply(c);
    if (!r.ok()) return "framing: " + r.status().ToString();
    counts_.commands += 1;
    last_ = r->reason;
    std::string line = Fmt("  #%" PRIu64 " t=%" PRId64 " s %s -> %s\n", c.seq, now_ / kSec,
                           Describe(c.payload).c_str(), std::string(ReasonName(r->reason)).c_str());
    for (const Event& e : r->events) line += "      " + Describe(e) + "\n";
    trace_.push_back(std::move(line));
    if (trace_.size() > 24) trace_.pop_front();
    if (absl::Status s = eng_.CheckInvariants(); !s.ok()) return "invariants: " + s.ToString();
    if (!r->ok()) {
      if (!r->events.empty()) return "a rejected command emitted events";
      return CheckFunding();
    }
    counts_.accepted += 1;
    if (advances) advanced_at_ = now_;
    if (config_.continuous && advances) {
      if (std::string err = AccrueContinuous(rate_before); !err.empty()) return err;
    }
    for (const Event& e : r->events) {
      if (std::string err = Observe(e); !err.empty()) return err;
    }
    return CheckFunding();
  }

  // Whether the command, if accepted, advances the market's funding: order
  // commands settle through the book (settlement.cpp), time ticks advance
  // (oracle_tick.cpp), and a withdrawal, a transfer out or an isolated-margin
  // change settles the account's records (funding_tick.cpp SettleAccount):
  // it advances when the account has one in the market. Asked before the
  // command runs.
  bool Advances(const Payload& p) const {
    if (std::holds_alternative<PlaceOrder>(p) || std::holds_alternative<CancelOrder>(p) ||
        std::holds_alternative<TimeTick>(p) || std::holds_alternative<AdjustIsolatedMargin>(p)) {
      return true;
    }
    AccountId from = 0;
    if (const auto* w = std::get_if<Withdraw>(&p)) from = w->account;
    if (const auto* t = std::get_if<Transfer>(&p)) from = t->from;
    if (from == 0) return false;
    const absl::StatusOr<AccountSummary> s = eng_.Summary(from);
    return s.ok() && !s->positions.empty();
  }

  // Whether the market's funding stands advanced to now: only then is an
  // account's pending funding the eager model's, which charges what the
  // engine did (before, it also counts the funding due at now:
  // FundingIndexAt).
  bool AdvancedToNow(const FundingView& f) const {
    return config_.continuous ? advanced_at_ == now_ : f.interval_end > TimeNs(now_);
  }

  Rate CurrentSkewRate() const {
    std::int64_t longs = 0, shorts = 0;
    for (const auto& [id, a] : accounts_) {
      if (config_.continuous && id == kVault) continue;
      (a.size > 0 ? longs : shorts) += a.size > 0 ? a.size : -a.size;
    }
    return SkewRate(longs, shorts, params_.funding);
  }

  // The skew model's eager step: the span since the last advance at
  // `rate`, at the index now if it is usable (else unpaid).
  std::string AccrueContinuous(Rate rate) {
    const std::int64_t elapsed = now_ / kSec - advanced_to_;
    advanced_to_ = now_ / kSec;
    if (elapsed == 0) return "";
    const MarketStats st = *eng_.Stats(1);
    if (st.index.raw() <= 0 || st.index_usable_until.raw() < now_) return "";
    Charge(int128(rate.raw()) * elapsed * st.index.raw() * kAtoms);
    return "";
  }

  // Charges an index move of per_lot_scaled / kPeriodSec index units a lot
  // to every open position.
  // to every position open at `at` (ns; the sizes now if not given).
  void Charge(int128 per_lot_scaled, std::optional<std::int64_t> at = std::nullopt) {
    eager_index_.Add(per_lot_scaled, kPeriodSec);
    const bool whole = per_lot_scaled % kPeriodSec == 0;
    if (!whole) index_moves_ += 3;
    counts_.paid_advances += 1;
    for (auto& [id, a] : accounts_) {
      const std::int64_t size = at ? a.SizeAt(*at) : a.size;
      if (size == 0) continue;
      // per_lot_scaled / kPeriodSec index units a lot, / 1e18 atoms: in
      // units of 1 / kDen atoms, per_lot_scaled * size.
      a.eager.Add(per_lot_scaled * size, kDen);
      if (!whole) a.slack += 3 * int128(size < 0 ? -size : size) * kPeriodSec;
    }
  }

  std::string Observe(const Event& e) {
    if (const auto* f = std::get_if<events::Fill>(&e)) {
      counts_.fills += 1;
      for (const events::FillParty* party : {&f->taker, &f->maker}) {
        AccountModel& a = accounts_[party->account];
        // The fill settled the party at the size its funding accrued on.
        if (std::string err = Touch(party->account, a); !err.empty()) return err;
        const std::int64_t next = party->position.raw();
        if ((a.size > 0 && next < 0) || (a.size < 0 && next > 0)) counts_.flips += 1;
        a.size = next;
        a.changes.emplace_back(now_, next);
      }
      return "";
    }
    if (const auto* r = std::get_if<events::FundingRateSet>(&e)) {
      counts_.rate_sets += 1;
      counts_.intervals += r->intervals;
      if (r->intervals > 1) counts_.runs += 1;
      if (r->price.raw() == 0) counts_.unpaid += 1;
      if (r->premium.raw() != 0) counts_.premium_rates += 1;
      if (r->start >= r->end) return "a rate set with an empty interval";
      if (!config_.continuous && r->price.raw() != 0) {
        // rate * (end - start) / period * price * atoms index units a lot.
        const std::int64_t seconds = (r->end.raw() - r->start.raw()) / kSec;
        if (seconds * kSec != r->end.raw() - r->start.raw()) return "an interval of part seconds";
        Charge(int128(r->rate.raw()) * seconds * r->price.raw() * kAtoms, r->end.raw());
      }
      for (auto& [id, a] : accounts_) a.Forget(r->end.raw());
      return "";
    }
    if (const auto* s = std::get_if<events::FundingSettled>(&e)) {
      AccountModel& a = accounts_[s->account];
      a.settled += s->amount.raw();
      a.unsettled += s->amount.raw();
      a.settlements += 1;
      (a.size > 0 ? paid_by_longs_ : paid_by_shorts_) += s->amount.raw();
      settled_total_ += s->amount.raw();
      counts_.settlements += 1;
      if (a.isolated) counts_.isolated_settlements += 1;
      return "";
    }
    if (const auto* r = std::get_if<events::FundingResidual>(&e)) {
      residual_events_ += r->amount.raw();
      counts_.residual_events += 1;
      return "";
    }
    // A withdrawal settles every position of the account first; an
    // isolated-margin move (kUser) its position.
    if (const auto* w = std::get_if<events::Withdrawal>(&e)) {
      return Touch(w->account, accounts_[w->account]);
    }
    if (const auto* m = std::get_if<events::IsolatedMarginChanged>(&e);
        m != nullptr && m->cause == IsolatedMarginCause::kUser) {
      return Touch(m->account, accounts_[m->account]);
    }
    return "";
  }

  // A settlement of the account's position: what it paid (the FundingSettled
  // amounts since its last touch, 0 when nothing moved) against the exact
  // funding since: exact - d <= paid < exact + 1 + d (Owed() rounds against
  // the account by less than one atom).
  std::string Touch(AccountId id, AccountModel& a) {
    const int128 paid = a.unsettled;
    const Mixed exact = Minus(a.eager, a.eager_at_touch, kDen);
    const int128 slack = a.slack - a.slack_at_touch;
    a.unsettled = 0;
    a.eager_at_touch = a.eager;
    a.slack_at_touch = a.slack;
    if (a.size == 0) {
      if (paid != 0) return "funding settled on a closed position";
      return "";
    }
    a.touches += 1;
    counts_.touches += 1;
    if (exact.rem != 0) counts_.close_calls += 1;
    if (paid == 0 && (exact.whole != 0 || exact.rem != 0)) counts_.silent += 1;
    const int128 diff = paid - exact.whole;
    if (diff < -1 || diff > 2 || diff * kDen < exact.rem - slack ||
        (diff - 1) * kDen >= exact.rem + slack) {
      return Fmt("account %" PRIu64 ": a settlement paid ", std::uint64_t{id.value()}) +
             Text(paid) + ", the exact funding since its last one is " + exact.ToString(kDen) +
             " (index rounding " + Text(slack) + "/" + Text(kDen) + ")";
    }
    return "";
  }

  std::string CheckFunding() {
    const FundingView f = *eng_.Funding(1);
    if (residual_events_ != eng_.funding_residual()) {
      return "the FundingResidual events sum to " + Text(residual_events_) + ", the sink holds " +
             Text(eng_.funding_residual());
    }
    if (settled_total_ != f.pool + eng_.funding_residual()) {
      return "settled amounts sum to " + Text(settled_total_) + " but pool + residual is " +
             Text(f.pool + eng_.funding_residual());
    }
    // The index against the eager one.
    const int128 gap = f.index - eager_index_.whole;
    if (index_moves_ == 0) {
      if (gap != 0 || eager_index_.rem != 0) {
        return "funding index " + Text(f.index) + ", eager " + eager_index_.ToString(kPeriodSec);
      }
    } else if ((gap < 0 ? -gap : gap) > index_moves_ + 1) {
      return "funding index " + Text(f.index) + " is more than the rounding of " +
             Text(index_moves_) + " moves from eager " + eager_index_.ToString(kPeriodSec);
    }
    for (auto& [id, a] : accounts_) {
      if (a.unsettled != 0) return "funding settled without a fill or money command touching it";
      if (!AdvancedToNow(f)) continue;
      if (std::string err = CompareEager(id, a); !err.empty()) return err;
    }
    return "";
  }

  // E - d <= G < E + n + 1 + d (file comment), in units of 1 / kDen atoms.
  std::string CompareEager(AccountId id, const AccountModel& a) {
    const AccountSummary s = *eng_.Summary(id);
    std::int64_t size = 0;
    int128 pending = 0;
    for (const PositionView& v : s.positions) {
      if (v.market != 1) continue;
      size = v.size.raw();
      pending = v.pending_funding.raw();
    }
    if (size != a.size) {
      return Fmt("account %" PRIu64 " has %" PRId64 " lots, the fills say %" PRId64,
                 std::uint64_t{id.value()}, size, a.size);
    }
    const int128 total = a.settled + pending;
    const int128 n = a.touches;
    const int128 diff = total - a.eager.whole;
    auto report = [&](const char* what) {
      return Fmt("account %" PRIu64 ": %s: ", std::uint64_t{id.value()}, what) + "engine " +
             Text(total) + " (settled " + Text(a.settled) + " in " + Text(int128(a.settlements)) +
             " events, " + Text(n) + " touches, pending " + Text(pending) + "), eager " + a.eager.ToString(kDen) +
             ", index rounding " + Text(a.slack) + "/" + Text(kDen);
    };
    if (diff < -1 || diff > n + 2) return report("lazy and eager disagree");
    if (diff * kDen < a.eager.rem - a.slack) return report("the engine charged below eager");
    if ((diff - n - 1) * kDen >= a.eager.rem + a.slack) {
      return report("the engine charged a whole atom per rounding or more above eager");
    }
    counts_.comparisons += 1;
    if (a.eager.rem != 0) counts_.fractional += 1;
    return "";
  }

  std::string Require(Payload p) {
    if (std::string err = Do(std::move(p)); !err.empty()) return err;
    if (last_ != Reason::kOk) return "a set-up command was refused: " + std::string(ReasonName(last_));
    return "";
  }

  // --- the stream ---------------------------------------------------------

  std::string SetUp() {
    if (std::string err = Require(CreateMarket{
            .market = 1, .params = std::make_shared<const MarketParams>(params_)});
        !err.empty()) {
      return err;
    }
    for (int i = 1; i <= kAccounts; ++i) {
      const AccountId id(static_cast<std::uint64_t>(i));
      accounts_[id] = AccountModel{};
      if (std::string err = Require(CreateAccount{.account = id, .owner = OwnerId(id.value())});
          !err.empty()) {
        return err;
      }
      const std::int64_t usd = id == kMaker || id == kVault ? 5'000'000 : 100'000;
      if (std::string err = Require(Deposit{.account = id, .amount = Quote(usd * kUsd)});
          !err.empty()) {
        return err;
      }
    }
    for (std::uint64_t i : {std::uint64_t{5}, std::uint64_t{6}}) {
      accounts_[AccountId(i)].isolated = true;
      if (std::string err = Require(SetMarginMode{
              .market = 1, .account = AccountId(i), .mode = MarginMode::kIsolated});
          !err.empty()) {
        return err;
      }
    }
    if (std::string err = Publish(); !err.empty()) return err;
    if (std::string err = Requote(kMaker); !err.empty()) return err;
    if (config_.continuous) {
      if (std::string err = Requote(kVault); !err.empty()) return err;
    }
    // The sleeper opens 0.3 BTC on day 0, long or short, against the book.
    const bool buy = rng_.Percent(50);
    if (std::string err = Require(PlaceOrder{
            .market = 1, .account = kSleeper, .order_id = NextId(), .side = buy ? Side::kBuy : Side::kSell,
            .type = OrderType::kMarket, .tif = TimeInForce::kIoc,
            .price = Ticks(buy ? price_ * 103 / 100 : price_ * 97 / 100), .size = Lots(300)});
        !err.empty()) {
      return err;
    }
    if (accounts_[kSleeper].size == 0) return "the sleeper's order did not fill";
    return "";
  }

  std::string Publish() {
    return Require(OraclePrice{
        .market = 1, .source = 1, .price = Ticks(price_), .publish_time = TimeNs(now_)});
  }

  // `who` replaces its quotes: a bid and an ask of 1-1.5 BTC around the
  // index moved by up to +-0.3% (so the impact prices make a premium).
  std::string Requote(AccountId who) {
    if (std::string err = CancelAllOf(who); !err.empty()) return err;
    const std::int64_t mid = price_ + price_ * rng_.Between(-30, 30) / 10'000;
    const std::int64_t half = rng_.Between(1, 150);
    for (const Side side : {Side::kBuy, Side::kSell}) {
      const std::int64_t px = side == Side::kBuy ? mid - half : mid + half;
      if (std::string err = Do(PlaceOrder{.market = 1, .account = who, .order_id = NextId(),
                                          .side = side, .tif = TimeInForce::kGtc,
                                          .price = Ticks(px),
                                          .size = Lots(rng_.Between(1'000, 1'500))});
          !err.empty()) {
        return err;
      }
    }
    return "";
  }

  std::string CancelAllOf(AccountId who) {
    const std::vector<OpenOrder> open = *eng_.OpenOrders(who);
    for (const OpenOrder& o : open) {
      if (std::string err = Do(CancelOrder{.market = 1, .account = who, .order_id = o.order.id});
          !err.empty()) {
        return err;
      }
    }
    return "";
  }

  OrderId NextId() { return OrderId(++order_ids_); }

  AccountId Trader() { return AccountId(static_cast<std::uint64_t>(rng_.Between(1, 6))); }

  std::string Round() {
    // Time: mostly seconds, sometimes most of an hour, rarely up to a day
    // (several intervals close in one command).
    const std::uint64_t r = rng_.Below(1'000);
    const std::int64_t dt = r < 940 ? rng_.Between(1, 60)
                            : r < 997 ? rng_.Between(60, 3'600)
                                      : rng_.Between(3'600, 3 * kPeriodSec);
    now_ += dt * kSec;
    // The price drifts by up to +-0.2%; one round in ten publishes nothing.
    price_ = std::clamp<std::int64_t>(price_ + price_ * rng_.Between(-20, 20) / 10'000, 200'000,
                                      400'000);
    if (rng_.Percent(90)) {
      if (std::string err = Publish(); !err.empty()) return err;
    }
    if (rng_.Percent(85)) {
      if (std::string err = Do(TimeTick{.market = 1}); !err.empty()) return err;
    }
    const std::int64_t actions = rng_.Between(1, 3);
    for (std::int64_t i = 0; i < actions; ++i) {
      if (std::string err = Action(); !err.empty()) return err;
    }
    return "";
  }

  std::string Action() {
    const std::uint64_t r = rng_.Below(100);
    if (r < 20) return Requote(config_.continuous && rng_.Percent(50) ? kVault : kMaker);
    if (r < 65) return TraderOrder();
    if (r < 75) {
      const AccountId who = Trader();
      const std::vector<OpenOrder> open = *eng_.OpenOrders(who);
      if (open.empty()) return TraderOrder();
      const OpenOrder& o = open[rng_.Below(open.size())];
      return Do(CancelOrder{.market = 1, .account = who, .order_id = o.order.id});
    }
    if (r < 85) {
      return Do(Withdraw{.account = Trader(), .amount = Quote(rng_.Between(1, 100 * kUsd))});
    }
    if (r < 92) {
      return Do(Deposit{.account = Trader(), .amount = Quote(rng_.Between(1, 1'000 * kUsd))});
    }
    const AccountId who(static_cast<std::uint64_t>(rng_.Between(5, 6)));
    const std::int64_t delta = rng_.Between(-200 * kUsd, 200 * kUsd);
    return Do(AdjustIsolatedMargin{.market = 1, .account = who, .delta = Quote(delta == 0 ? 1 : delta)});
  }

  std::string TraderOrder() {
    const AccountId who = Trader();
    const std::int64_t pos = accounts_[who].size;
    const std::uint64_t kind = rng_.Below(100);
    PlaceOrder o{.market = 1, .account = who, .order_id = NextId()};
    if (kind < 20 && pos != 0) {
      // A partial (or whole) close, reduce-only, at market.
      o.side = pos > 0 ? Side::kSell : Side::kBuy;
      o.type = OrderType::kMarket;
      o.tif = TimeInForce::kIoc;
      o.reduce_only = true;
      o.size = Lots(rng_.Between(1, pos > 0 ? pos : -pos));
    } else {
      o.side = rng_.Percent(50) ? Side::kBuy : Side::kSell;
      // A flip now and then: more than the position, against it.
      const bool flip = kind < 30 && pos != 0;
      if (flip) o.side = pos > 0 ? Side::kSell : Side::kBuy;
      const std::int64_t abs_pos = pos > 0 ? pos : -pos;
      o.size = Lots(flip ? std::min<std::int64_t>(abs_pos + rng_.Between(1, 500), 2'000)
                         : rng_.Between(1, 800));
      if (kind < 60) {
        o.type = OrderType::kMarket;
        o.tif = TimeInForce::kIoc;
      } else {
        o.tif = rng_.Percent(50) ? TimeInForce::kIoc : TimeInForce::kGtc;
      }
    }
    const std::int64_t away = o.type == OrderType::kMarket ? 300 : rng_.Between(-50, 50);
    o.price = Ticks(o.side == Side::kBuy ? price_ + price_ * away / 10'000
                                         : price_ - price_ * away / 10'000);
    return Do(o);
  }

  // The sleeper against the eager total while untouched, then every account
  // touched: nothing pending, the pool empty, longs + shorts = the residual.
  std::string Finish() {
    now_ += kSec;
    if (std::string err = Publish(); !err.empty()) return err;
    if (std::string err = Require(TimeTick{.market = 1}); !err.empty()) return err;
    const AccountModel& sleeper = accounts_[kSleeper];
    if (sleeper.settlements != 0) return "the sleeper was settled before the end";
    if (sleeper.eager.whole == 0 && sleeper.eager.rem == 0) return "the sleeper accrued nothing";
    sleeper_eager_ = sleeper.eager;
    sleeper_pending_ = eng_.Summary(kSleeper)->positions.at(0).pending_funding.raw();
    for (int i = 1; i <= kAccounts; ++i) {
      const AccountId id(static_cast<std::uint64_t>(i));
      if (std::string err = Require(Deposit{.account = id, .amount = Quote(10'000'000 * kUsd)});
          !err.empty()) {
        return err;
      }
      if (std::string err = Require(Withdraw{.account = id, .amount = Quote(1)}); !err.empty()) {
        return err;
      }
    }
    const FundingView f = *eng_.Funding(1);
    for (const auto& [id, a] : accounts_) {
      const AccountSummary summary = *eng_.Summary(id);
      for (const PositionView& v : summary.positions) {
        if (v.pending_funding.raw() != 0) {
          return Fmt("account %" PRIu64 " still has funding pending after a withdrawal",
                     std::uint64_t{id.value()});
        }
      }
    }
    if (f.pool != 0 || f.residual_carry != 0) {
      return "everything settled, yet the pool holds " + Text(f.pool) + " and the carry " +
             Text(f.residual_carry);
    }
    if (paid_by_longs_ + paid_by_shorts_ != eng_.funding_residual()) {
      return "longs paid " + Text(paid_by_longs_) + ", shorts paid " + Text(paid_by_shorts_) +
             ", the residual is " + Text(eng_.funding_residual());
    }
    return "";
  }

 public:
  int128 paid_by_longs_ = 0, paid_by_shorts_ = 0;
  Mixed sleeper_eager_;
  int128 sleeper_pending_ = 0;

 private:
  Config config_;
  MarketParams params_;
  Rng rng_;
  Engine eng_;
  std::int64_t now_ = 0;
  std::int64_t advanced_at_ = -1;  // the time of the last command that advanced funding
  std::int64_t price_ = 300'000;
  std::int64_t advanced_to_ = 0;  // seconds: the last advance (skew)
  std::uint64_t order_ids_ = 0;
  Reason last_ = Reason::kOk;
  Counts counts_;
  std::map<AccountId, AccountModel> accounts_;
  Mixed eager_index_;        // index units, den kPeriodSec
  int128 index_moves_ = 0;   // pieces rounded toward zero
  int128 settled_total_ = 0, residual_events_ = 0;
  std::deque<std::string> trace_;
};

std::optional<std::uint64_t> EnvU64(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::strtoull(v, nullptr, 0);
}

struct FatalError {
  std::string message;
};
void OnFatal(const char* condition, const char* file, int line) {
  throw FatalError{Fmt("PERPCORE_CHECK(%s) failed at %s:%d", condition, file, line)};
}

void RunProperty(const Config& config) {
  const std::size_t iters = EnvU64("PERPCORE_TEST_ITERS").value_or(20'000);
  std::vector<std::uint64_t> seeds(std::begin(kSeeds), std::end(kSeeds));
  if (std::optional<std::uint64_t> s = EnvU64("PERPCORE_TEST_SEED")) seeds = {*s};
  for (std::uint64_t seed : seeds) {
    Sim sim(seed, config);
    const FatalHandler previous = SetFatalHandler(&OnFatal);
    std::string err;
    try {
      err = sim.Run(iters);
    } catch (const FatalError& f) {
      err = f.message;
    }
    SetFatalHandler(previous);
    const Counts& c = sim.counts();
    std::printf("[funding property] %s seed=0x%" PRIx64 ": %" PRIu64 " commands (%" PRIu64
                " accepted, %" PRIu64 " fills, %" PRIu64 " flips) over %.1f days; %" PRIu64
                " rate sets for %" PRIu64 " intervals (%" PRIu64 " runs, %" PRIu64
                " unpaid, %" PRIu64 " with a premium), %" PRIu64 " index moves charged; %" PRIu64 " settlements (%" PRIu64
                " isolated) of %" PRIu64 " touches (%" PRIu64 " close calls, %" PRIu64
                " rounded to nothing), %" PRIu64 " residual events; %" PRIu64
                " lazy/eager comparisons, %" PRIu64 " with a fractional eager total\n",
                config.name, seed, c.commands, c.accepted, c.fills, c.flips,
                static_cast<double>(sim.now()) / (24.0 * kHour), c.rate_sets, c.intervals,
                c.runs, c.unpaid, c.premium_rates, c.paid_advances, c.settlements, c.isolated_settlements, c.touches, c.close_calls, c.silent,
                c.residual_events, c.comparisons, c.fractional);
    std::printf("[funding property]   longs paid %s, shorts paid %s; the sleeper owed %s "
                "(eager %s)\n",
                Text(sim.paid_by_longs_).c_str(), Text(sim.paid_by_shorts_).c_str(),
                Text(sim.sleeper_pending_).c_str(), sim.sleeper_eager_.ToString(kDen).c_str());
    std::fflush(stdout);
    if (!err.empty()) {
      const std::string report =
          Fmt("[funding property] %s: FAILED seed=0x%" PRIx64
              " at command #%" PRIu64 " (failing prefix length %" PRIu64 ")\n",
              config.name, seed, c.commands, c.commands) +
          Fmt("[funding property] rerun: PERPCORE_TEST_SEED=0x%" PRIx64
              " PERPCORE_TEST_ITERS=%" PRIu64 "\n",
              seed, c.commands) +
          "[funding property] " + err + "\n[funding property] the last commands:\n" + sim.Trace();
      std::printf("%s", report.c_str());
      std::fflush(stdout);
      FAIL(report);
    }
    INFO(Fmt("%s seed=0x%" PRIx64, config.name, seed));
    if (iters >= 5'000) {
      CHECK(c.settlements > 0);
      CHECK(c.intervals > 0);
      CHECK(c.paid_advances > 0);
      CHECK(c.fractional > 0);
      CHECK(c.close_calls > 0);
      CHECK(c.residual_events > 0);
      CHECK(c.isolated_settlements > 0);
      CHECK(c.flips > 0);
      CHECK(sim.now() >= 3 * 24 * kHour);
      if (!config.continuous) {
        CHECK(c.unpaid > 0);
        CHECK(c.runs > 0);
        CHECK(c.premium_rates > 0);
      }
    }
  }
}

TEST_CASE("Funding property: premium funding paid at interval ends is conserved and lazy "
          "settlement equals the eager reference",
          "[engine][property][funding]") {
  RunProperty(Config{.name = "premium", .continuous = false});
}

TEST_CASE("Funding property: continuous skew funding with a counterparty is conserved and lazy "
          "settlement equals the eager reference",
          "[engine][property][funding]") {
  RunProperty(Config{.name = "skew", .continuous = true});
}

}  // namespace
}  // namespace perpcore::engine
