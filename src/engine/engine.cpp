#include "perpcore/engine/engine.hpp"

#include <secp256k1.h>

#include <algorithm>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "perpcore/detail/encode.hpp"
#include "perpcore/detail/status_macros.hpp"
#include "perpcore/detail/slot_index.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {
namespace {

using absl::int128;
using detail::PutI128;
using detail::PutI64;
using detail::PutU32;
using detail::PutU64;
using detail::PutU8;

constexpr std::uint32_t kNone = 0xFFFFFFFFu;
constexpr std::int64_t kMaxI64 = std::numeric_limits<std::int64_t>::max();
constexpr int128 kNotionalBound = int128(1) << 54;
constexpr std::size_t kMaxFeeTiers = 16;
constexpr std::size_t kMaxSymbol = 24;

template <class E>
constexpr std::uint8_t Raw(E e) {
  return static_cast<std::uint8_t>(e);
}

int128 Abs(int128 v) { return v < 0 ? -v : v; }
std::int64_t Sign(std::int64_t v) { return (v > 0) - (v < 0); }

// A requirement or notional as Quote, saturating: anything beyond int64 is
// a requirement no account can meet, which is the safe reading.
Quote ToQuote(int128 v) {
  if (v > kMaxI64) return Quote::Max();
  if (v < -kMaxI64) return Quote(-kMaxI64);
  return Quote(static_cast<std::int64_t>(v));
}

// ceil(a * rate / 1e18) for a >= 0 and rate >= 0; a * rate fits in int128
// for every a below 2^64 and rate below 2^63.
int128 CeilRate(int128 a, std::int64_t rate) {
  const int128 p = a * rate;
  int128 q = p / kRateScale;
  if (q * kRateScale < p) q += 1;
  return q;
}
int128 FloorRate(int128 a, std::int64_t rate) { return a * rate / kRateScale; }

// ceil(v / 10^18) for v >= 0: a requirement from its scaled value.
int128 CeilScaled(int128 v) {
  int128 q = v / kRateScale;
  if (q * kRateScale < v) q += 1;
  return q;
}

bool IsImmediate(const book::OrderRequest& o) {
  return o.type == OrderType::kMarket || o.tif == TimeInForce::kIoc ||
         o.tif == TimeInForce::kFok;
}

bool ValidSymbol(const std::string& s) {
  if (s.empty() || s.size() > kMaxSymbol) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '/' || c == '.';
  });
}

book::BookConfig BookConfigFor(const MarketParams& p, MarketId id, std::uint64_t seed) {
  book::BookConfig c;
  // The engine enforces max_order_size itself (it can change on update);
  // the book's own limit stays open.
  c.max_order_size = Lots::Max();
  c.max_orders_per_account = p.max_orders_per_account;
  c.max_levels_per_side = p.max_levels_per_side;
  c.max_book_orders = p.max_book_orders;
  c.price_band = p.price_band;
  c.expected_orders = 1024;
  c.hash_seed = seed ^ detail::Mix64(id);
  return c;
}

}  // namespace

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

absl::Status Engine::Validate(const EngineConfig& c) {
  auto bad = [](const char* field, const char* rule) {
    return absl::InvalidArgumentError(absl::StrCat("EngineConfig.", field, " ", rule));
  };
  if (c.quote_decimals > 18) return bad("quote_decimals", "must be 0..18");
  if (c.fee_tier_discounts.empty() || c.fee_tier_discounts.size() > kMaxFeeTiers) {
    return bad("fee_tier_discounts", "must have 1..16 tiers");
  }
  if (c.fee_tier_discounts[0].raw() != 0) {
    return bad("fee_tier_discounts", "tier 0 must be 0 (no discount)");
  }
  for (std::size_t i = 0; i < c.fee_tier_discounts.size(); ++i) {
    const std::int64_t d = c.fee_tier_discounts[i].raw();
    if (d < 0 || d >= kRateScale) return bad("fee_tier_discounts", "each must be in [0, 1)");
    if (i > 0 && d < c.fee_tier_discounts[i - 1].raw()) {
      return bad("fee_tier_discounts", "must not decrease from one tier to the next");
    }
  }
  if (c.referrer_share.raw() < 0 || c.referrer_share.raw() >= kRateScale) {
    return bad("referrer_share", "must be in [0, 1)");
  }
  if (c.max_markets < 1 || c.max_markets > 1024) return bad("max_markets", "must be 1..1024");
  if (c.max_accounts < 1 || c.max_accounts > (1u << 24)) {
    return bad("max_accounts", "must be 1..2^24");
  }
  return absl::OkStatus();
}

absl::StatusOr<Engine> Engine::Create(const EngineConfig& config) {
  PERPCORE_RETURN_IF_ERROR(Validate(config));
  return Engine(config);
}

Engine::Engine(const EngineConfig& config) : config_(config) {
  PERPCORE_CHECK(Validate(config).ok());
  events_.reserve(64);
}

absl::Status Engine::ValidateMarket(const MarketParams& p) const {
  std::int64_t atoms = 0;
  std::string why;
  if (CheckMarketParams(p, &atoms, &why) != Reason::kOk) {
    return absl::InvalidArgumentError(why);
  }
  return absl::OkStatus();
}

// The derived atoms per tick-lot, and every bound of MarketParams.
Reason Engine::CheckMarketParams(const MarketParams& p, std::int64_t* atoms,
                                 std::string* why) const {
  auto bad = [&](auto&&... parts) {
    *why = absl::StrCat("MarketParams.", parts...);
    return Reason::kInvalidMarketParams;
  };
  if (!ValidSymbol(p.symbol)) return bad("symbol must be 1..24 of [A-Za-z0-9-_/.]");
  for (const Decimal* d : {&p.tick_size, &p.lot_size}) {
    const char* name = d == &p.tick_size ? "tick_size" : "lot_size";
    if (d->mantissa < 1) return bad(name, ".mantissa must be >= 1");
    if (d->exponent < -18 || d->exponent > 18) return bad(name, ".exponent must be -18..18");
  }
  // tick * lot * 10^quote_decimals atoms, exactly.
  int128 product = int128(p.tick_size.mantissa) * p.lot_size.mantissa;
  int exponent = p.tick_size.exponent + p.lot_size.exponent +
                 static_cast<int>(config_.quote_decimals);
  for (; exponent > 0; --exponent) {
    product *= 10;
    if (product > kNotionalBound) return bad("tick_size * lot_size is above 2^54 atoms");
  }
  for (; exponent < 0; ++exponent) {
    if (product % 10 != 0) {
      return bad("tick_size * lot_size is not a whole number of quote atoms (",
                 p.tick_size.mantissa, "e", p.tick_size.exponent, " * ", p.lot_size.mantissa,
                 "e", p.lot_size.exponent, " at ", config_.quote_decimals, " decimals)");
    }
    product /= 10;
  }
  if (product > kNotionalBound) return bad("tick_size * lot_size is above 2^54 atoms");
  *atoms = static_cast<std::int64_t>(product);
  if (p.max_order_size.raw() < 1) return bad("max_order_size must be >= 1");
  if (p.max_open_interest < p.max_order_size) {
    return bad("max_open_interest must be >= max_order_size");
  }
  if (p.max_price.raw() < 1) return bad("max_price must be >= 1");
  if (int128(p.max_open_interest.raw()) * p.max_price.raw() * product > kNotionalBound) {
    return bad("max_open_interest * max_price * atoms_per_tick_lot must be <= 2^54");
  }
  if (p.price_band.raw() < 0 || p.price_band.raw() >= kRateScale) {
    return bad("price_band must be in [0, 1)");
  }
  if (absl::Status s = risk::TierTable::Validate(p.tiers); !s.ok()) {
    return bad("tiers: ", s.message());
  }
  if (p.max_leverage < 1 || p.max_leverage > p.tiers[0].max_leverage) {
    return bad("max_leverage must be 1..the first tier's max_leverage (",
               p.tiers[0].max_leverage, ")");
  }
  const std::int64_t taker = p.taker_fee.raw();
  const std::int64_t maker = p.maker_fee.raw();
  if (taker < 0 || taker > kRateScale / 10) return bad("taker_fee must be in [0, 10%]");
  if (maker > taker) return bad("maker_fee must be <= taker_fee");
  if (maker < 0) {
    // The smallest taker fee after the best discount and the referrer cut
    // must still pay the rebate, so no trade drains the fee pool.
    const int128 best = config_.fee_tier_discounts.back().raw();
    const int128 after_discount = int128(taker) * (kRateScale - best) / kRateScale;
    const int128 after_referrer =
        after_discount * (kRateScale - config_.referrer_share.raw()) / kRateScale;
    if (-int128(maker) > after_referrer) {
      return bad("maker_fee rebate must not exceed the taker fee left after the best "
                 "discount and the referrer share");
    }
  }
  if (absl::Status s = oracle::PriceFeed::Validate(p.oracle); !s.ok()) {
    return bad("oracle: ", s.message());
  }
  if (absl::Status s = book::OrderBook::Validate(BookConfigFor(p, 1, 0)); !s.ok()) {
    return bad("book limits: ", s.message());
  }
  return Reason::kOk;
}

// ---------------------------------------------------------------------------
// Apply
// ---------------------------------------------------------------------------

Result Engine::Apply(const Command& c) {
  events_.clear();
  if (c.seq != last_seq_ + 1) return Reject(Reason::kSequenceGap);
  if (c.timestamp < now_) return Reject(Reason::kTimeWentBack);
  const TimeNs before = now_;
  now_ = c.timestamp;  // commands read the time through now_
  Result r = std::visit([this](const auto& payload) { return Do(payload); }, c.payload);
  if (r.ok()) {
    last_seq_ = c.seq;
    r.events = events_;
  } else {
    now_ = before;
    events_.clear();
    r.events = {};
  }
  return r;
}

// ---------------------------------------------------------------------------
// Markets
// ---------------------------------------------------------------------------

Result Engine::Do(const CreateMarket& c) {
  if (c.market == 0) return Reject(Reason::kInvalidId);
  if (FindMarket(c.market) != kNone) return Reject(Reason::kMarketExists);
  if (markets_.size() >= config_.max_markets) return Reject(Reason::kTooManyMarkets);
  std::int64_t atoms = 0;
  std::string why;
  if (Reason r = CheckMarketParams(c.params, &atoms, &why); r != Reason::kOk) return Reject(r);
  auto tiers = risk::TierTable::Create(c.params.tiers);
  PERPCORE_CHECK(tiers.ok());
  markets_.push_back(Market{
      .id = c.market,
      .params = c.params,
      .atoms = atoms,
      .tiers = *std::move(tiers),
      .book = book::OrderBook(BookConfigFor(c.params, c.market, config_.hash_seed)),
      .feed = oracle::PriceFeed(c.params.oracle),
  });
  const auto slot = static_cast<std::uint32_t>(markets_.size() - 1);
  market_index_[c.market] = slot;
  market_order_.insert(std::upper_bound(market_order_.begin(), market_order_.end(), slot,
                                        [this](std::uint32_t a, std::uint32_t b) {
                                          return markets_[a].id < markets_[b].id;
                                        }),
                       slot);
  events_.push_back(Event{.kind = EventKind::kMarketCreated, .market = c.market});
  return Accept();
}

Result Engine::Do(const UpdateMarket& c) {
  const std::uint32_t mi = FindMarket(c.market);
  if (mi == kNone) return Reject(Reason::kUnknownMarket);
  Market& m = markets_[mi];
  const MarketParams& old = m.params;
  if (!(c.params.tick_size == old.tick_size) || !(c.params.lot_size == old.lot_size) ||
      c.params.max_orders_per_account != old.max_orders_per_account ||
      c.params.max_levels_per_side != old.max_levels_per_side ||
      c.params.max_book_orders != old.max_book_orders) {
    return Reject(Reason::kParamImmutable);
  }
  // Positions and resting orders were admitted under the old bounds; lowering
  // either while they exist would let old sizes meet new prices (or the
  // reverse) beyond the 2^54 notional bound every product relies on.
  const bool live = m.oi_long > 0 || m.book.order_count() > 0;
  if (live && (c.params.max_open_interest < old.max_open_interest ||
               c.params.max_price < old.max_price)) {
    return Reject(Reason::kParamImmutable);
  }
  std::int64_t atoms = 0;
  std::string why;
  if (Reason r = CheckMarketParams(c.params, &atoms, &why); r != Reason::kOk) return Reject(r);
  auto tiers = risk::TierTable::Create(c.params.tiers);
  PERPCORE_CHECK(tiers.ok());
  PERPCORE_CHECK(m.book.SetPriceBand(c.params.price_band) == book::Reason::kOk);
  if (!(c.params.oracle == old.oracle)) m.feed.Reconfigure(c.params.oracle);
  m.tiers = *std::move(tiers);
  m.params = c.params;
  events_.push_back(Event{.kind = EventKind::kMarketUpdated, .market = c.market});
  return Accept();
}

Result Engine::Do(const SetMarketStatus& c) {
  const std::uint32_t mi = FindMarket(c.market);
  if (mi == kNone) return Reject(Reason::kUnknownMarket);
  if (Raw(c.status) > Raw(MarketStatus::kDelisted)) return Reject(Reason::kInvalidStatus);
  Market& m = markets_[mi];
  if (m.status == MarketStatus::kDelisted) return Reject(Reason::kInvalidStatus);
  m.status = c.status;
  events_.push_back(Event{.kind = EventKind::kMarketStatusChanged,
                          .code = Raw(c.status),
                          .market = c.market});
  return Accept();
}

bool Engine::IsReduceOnly(const Market& m) const {
  return m.status == MarketStatus::kReduceOnly || m.feed.breaker();
}

// ---------------------------------------------------------------------------
// Accounts and money
// ---------------------------------------------------------------------------

Result Engine::Do(const CreateAccount& c) {
  if (c.account == 0) return Reject(Reason::kInvalidId);
  if (c.owner == 0) return Reject(Reason::kInvalidOwner);
  if (FindAccount(c.account) != kNone) return Reject(Reason::kAccountExists);
  if (accounts_.size() >= config_.max_accounts) return Reject(Reason::kTooManyAccounts);
  if (c.fee_tier >= config_.fee_tier_discounts.size()) return Reject(Reason::kInvalidFeeTier);
  if (c.referrer != 0 && (c.referrer == c.account || FindAccount(c.referrer) == kNone)) {
    return Reject(Reason::kUnknownReferrer);
  }
  accounts_.push_back(Account{.id = c.account,
                              .owner = c.owner,
                              .fee_tier = c.fee_tier,
                              .referrer = c.referrer});
  account_index_[c.account] = static_cast<std::uint32_t>(accounts_.size() - 1);
  events_.push_back(Event{.kind = EventKind::kAccountCreated,
                          .code = c.fee_tier,
                          .account = c.account,
                          .referrer = c.referrer,
                          .counterparty = c.owner});
  return Accept();
}

Result Engine::Do(const Deposit& c) {
  const std::uint32_t ai = FindAccount(c.account);
  if (ai == kNone) return Reject(Reason::kUnknownAccount);
  if (c.amount.raw() <= 0) return Reject(Reason::kInvalidAmount);
  if (deposits_ - withdrawals_ + c.amount.raw() > kMaxTotalDeposits) {
    return Reject(Reason::kMaxDepositExceeded);
  }
  accounts_[ai].cash += c.amount.raw();
  deposits_ += c.amount.raw();
  events_.push_back(Event{.kind = EventKind::kDeposit, .account = c.account, .amount = c.amount});
  return Accept();
}

Result Engine::Do(const FundInsurance& c) {
  if (c.amount.raw() <= 0) return Reject(Reason::kInvalidAmount);
  if (deposits_ - withdrawals_ + c.amount.raw() > kMaxTotalDeposits) {
    return Reject(Reason::kMaxDepositExceeded);
  }
  insurance_ += c.amount.raw();
  deposits_ += c.amount.raw();
  events_.push_back(Event{.kind = EventKind::kInsuranceFunded, .amount = c.amount});
  return Accept();
}

Result Engine::Do(const Withdraw& c) {
  const std::uint32_t ai = FindAccount(c.account);
  if (ai == kNone) return Reject(Reason::kUnknownAccount);
  if (c.amount.raw() <= 0) return Reject(Reason::kInvalidAmount);
  const Risk r = Evaluate(accounts_[ai], nullptr);
  if (r.missing_price) return Reject(Reason::kNoIndexPrice);
  if (c.amount.raw() > FreeCollateral(r)) return Reject(Reason::kInsufficientCollateral);
  accounts_[ai].cash -= c.amount.raw();
  withdrawals_ += c.amount.raw();
  events_.push_back(
      Event{.kind = EventKind::kWithdrawal, .account = c.account, .amount = c.amount});
  return Accept();
}

Result Engine::Do(const Transfer& c) {
  const std::uint32_t from = FindAccount(c.from);
  const std::uint32_t to = FindAccount(c.to);
  if (from == kNone || to == kNone) return Reject(Reason::kUnknownAccount);
  if (from == to) return Reject(Reason::kSameAccount);
  if (accounts_[from].owner != accounts_[to].owner) return Reject(Reason::kNotSameOwner);
  if (c.amount.raw() <= 0) return Reject(Reason::kInvalidAmount);
  const Risk r = Evaluate(accounts_[from], nullptr);
  if (r.missing_price) return Reject(Reason::kNoIndexPrice);
  if (c.amount.raw() > FreeCollateral(r)) return Reject(Reason::kInsufficientCollateral);
  accounts_[from].cash -= c.amount.raw();
  accounts_[to].cash += c.amount.raw();
  events_.push_back(Event{.kind = EventKind::kTransfer,
                          .account = c.from,
                          .amount = c.amount,
                          .counterparty = c.to});
  return Accept();
}

Result Engine::Do(const SetFeeTier& c) {
  const std::uint32_t ai = FindAccount(c.account);
  if (ai == kNone) return Reject(Reason::kUnknownAccount);
  if (c.fee_tier >= config_.fee_tier_discounts.size()) return Reject(Reason::kInvalidFeeTier);
  accounts_[ai].fee_tier = c.fee_tier;
  events_.push_back(
      Event{.kind = EventKind::kFeeTierSet, .code = c.fee_tier, .account = c.account});
  return Accept();
}

Result Engine::Do(const SetMarginMode& c) {
  const std::uint32_t ai = FindAccount(c.account);
  if (ai == kNone) return Reject(Reason::kUnknownAccount);
  const std::uint32_t mi = FindMarket(c.market);
  if (mi == kNone) return Reject(Reason::kUnknownMarket);
  if (Raw(c.mode) > Raw(MarginMode::kIsolated)) return Reject(Reason::kInvalidMarginMode);
  if (const Position* p = FindPosition(accounts_[ai], c.market);
      p != nullptr && (p->size != 0 || p->open_orders != 0)) {
    return Reject(Reason::kMarginModeLocked);
  }
  Position& p = GetPosition(accounts_[ai], mi);
  PERPCORE_CHECK(p.iso_cash == 0);
  p.mode = c.mode;
  events_.push_back(Event{.kind = EventKind::kMarginModeSet,
                          .code = Raw(c.mode),
                          .market = c.market,
                          .account = c.account});
  return Accept();
}

Result Engine::Do(const SetLeverage& c) {
  const std::uint32_t ai = FindAccount(c.account);
  if (ai == kNone) return Reject(Reason::kUnknownAccount);
  const std::uint32_t mi = FindMarket(c.market);
  if (mi == kNone) return Reject(Reason::kUnknownMarket);
  const Market& m = markets_[mi];
  if (c.leverage < 1 || c.leverage > m.params.max_leverage) {
    return Reject(Reason::kInvalidLeverage);
  }
  Account& a = accounts_[ai];
  if (const Position* p = FindPosition(a, c.market);
      p != nullptr && (p->size != 0 || p->open_orders != 0)) {
    OrderDelta d{.market_slot = mi, .leverage = c.leverage};
    if (Reason r = CheckOrderRisk(a, d); r != Reason::kOk) return Reject(r);
  }
  GetPosition(a, mi).leverage = c.leverage;
  events_.push_back(Event{.kind = EventKind::kLeverageSet,
                          .code = c.leverage,
                          .market = c.market,
                          .account = c.account});
  return Accept();
}

Result Engine::Do(const AdjustIsolatedMargin& c) {
  const std::uint32_t ai = FindAccount(c.account);
  if (ai == kNone) return Reject(Reason::kUnknownAccount);
  const std::uint32_t mi = FindMarket(c.market);
  if (mi == kNone) return Reject(Reason::kUnknownMarket);
  Account& a = accounts_[ai];
  const Position* found = FindPosition(a, c.market);
  if (found == nullptr || found->mode != MarginMode::kIsolated || found->size == 0) {
    return Reject(Reason::kNotIsolated);
  }
  if (c.delta.raw() == 0 || c.delta == Quote::Min()) return Reject(Reason::kInvalidAmount);
  const Risk r = Evaluate(a, nullptr);
  if (r.missing_price) return Reject(Reason::kNoIndexPrice);
  if (c.delta.raw() > 0) {
    if (c.delta.raw() > FreeCollateral(r)) return Reject(Reason::kInsufficientCollateral);
  } else {
    // The bucket keeps what its position and orders need at their worst.
    const Market& m = markets_[mi];
    const int128 equity = int128(found->iso_cash) + int128(found->size) * m.mark.raw() * m.atoms;
    const int128 spare = equity - WorstCase(m, *found, nullptr);
    if (-int128(c.delta.raw()) > spare) return Reject(Reason::kInsufficientCollateral);
  }
  Position& p = GetPosition(a, mi);
  p.iso_cash += c.delta.raw();
  a.cash -= c.delta.raw();
  events_.push_back(Event{.kind = EventKind::kIsolatedMarginChanged,
                          .market = c.market,
                          .account = c.account,
                          .amount = c.delta});
  return Accept();
}

// ---------------------------------------------------------------------------
// Lookups
// ---------------------------------------------------------------------------

std::uint32_t Engine::FindMarket(MarketId id) const {
  const auto it = market_index_.find(id);
  return it == market_index_.end() ? kNone : it->second;
}

std::uint32_t Engine::FindAccount(AccountId id) const {
  const auto it = account_index_.find(id);
  return it == account_index_.end() ? kNone : it->second;
}

const Engine::Position* Engine::FindPosition(const Account& a, MarketId market) const {
  const auto it = std::lower_bound(
      a.positions.begin(), a.positions.end(), market,
      [](const Position& p, MarketId id) { return p.market < id; });
  return it != a.positions.end() && it->market == market ? &*it : nullptr;
}

Engine::Position& Engine::GetPosition(Account& a, std::uint32_t market_slot) const {
  const Market& m = markets_[market_slot];
  auto it = std::lower_bound(a.positions.begin(), a.positions.end(), m.id,
                             [](const Position& p, MarketId id) { return p.market < id; });
  if (it == a.positions.end() || it->market != m.id) {
    it = a.positions.insert(it, Position{.market = m.id,
                                         .market_slot = market_slot,
                                         .leverage = m.params.max_leverage});
  }
  return *it;
}

std::uint32_t Engine::EffectiveLeverage(const Market& m, const Position& p) const {
  return std::min(p.leverage, m.params.max_leverage);
}

// ---------------------------------------------------------------------------
// Margin
// ---------------------------------------------------------------------------

// The worst case of one market's open orders, before rounding: the larger
// side's initial requirement scaled by 10^18 (risk::TierTable::InitialScaled)
// plus its open loss. Ceiling of the max == max of the ceilings, and the loss
// is whole atoms, so WorstCase() = ceil(WorstCaseScaled() / 10^18) exactly.
int128 Engine::WorstCaseScaled(const Market& m, const Position& p, const OrderDelta* d) const {
  const int128 mark = m.mark.raw();
  const std::int64_t bids = p.bid_lots + (d ? d->bid_lots : 0);
  const std::int64_t asks = p.ask_lots + (d ? d->ask_lots : 0);
  const int128 bid_value = p.bid_value + (d ? d->bid_value : 0);
  const int128 ask_value = p.ask_value + (d ? d->ask_value : 0);
  const std::uint32_t lev = d && d->leverage ? d->leverage : EffectiveLeverage(m, p);
  const int128 long_notional = Abs(int128(p.size) + bids) * mark * m.atoms;
  const int128 short_notional = Abs(int128(p.size) - asks) * mark * m.atoms;
  const int128 bid_loss = std::max<int128>(0, bid_value - int128(bids) * mark) * m.atoms;
  const int128 ask_loss = std::max<int128>(0, int128(asks) * mark - ask_value) * m.atoms;
  const int128 bid_case = m.tiers.InitialScaled(ToQuote(long_notional), lev) + bid_loss * kRateScale;
  const int128 ask_case =
      m.tiers.InitialScaled(ToQuote(short_notional), lev) + ask_loss * kRateScale;
  return std::max(bid_case, ask_case);
}

int128 Engine::WorstCase(const Market& m, const Position& p, const OrderDelta* d) const {
  return CeilScaled(WorstCaseScaled(m, p, d));
}

template <class Fn>
void Engine::ForEachActive(const Account& a, const OrderDelta* delta, Fn&& fn) const {
  bool delta_seen = false;
  for (const Position& p : a.positions) {
    const OrderDelta* d = delta && delta->market_slot == p.market_slot ? delta : nullptr;
    if (d) delta_seen = true;
    if (p.size == 0 && p.open_orders == 0 && d == nullptr) continue;
    fn(p, d);
  }
  if (delta && !delta_seen) {
    // First order in a market: a fresh record as GetPosition would make it.
    const Market& m = markets_[delta->market_slot];
    fn(Position{.market = m.id,
                .market_slot = delta->market_slot,
                .leverage = m.params.max_leverage},
       delta);
  }
}

Engine::Risk Engine::Evaluate(const Account& a, const OrderDelta* delta) const {
  Risk r;
  r.equity = a.cash;
  ForEachActive(a, delta, [&](const Position& p, const OrderDelta* d) {
    const Market& m = markets_[p.market_slot];
    if (m.feed.index().raw() == 0) r.missing_price = true;
    const int128 value = int128(p.size) * m.mark.raw() * m.atoms;
    const std::uint32_t lev = d && d->leverage ? d->leverage : EffectiveLeverage(m, p);
    const int128 worst = WorstCase(m, p, d);
    const int128 fee = d ? d->fee : 0;
    if (p.mode == MarginMode::kCross) {
      r.equity += value - fee;
      r.initial += m.tiers.Initial(ToQuote(Abs(value)), lev).raw();
      r.maintenance += m.tiers.Maintenance(ToQuote(Abs(value))).raw();
      r.initial_with_orders += worst;
    } else {
      const int128 bucket = int128(p.iso_cash) + value - fee;
      r.initial_with_orders += std::max<int128>(0, worst - bucket);
    }
  });
  return r;
}

int128 Engine::FreeCollateral(const Risk& r) const {
  return std::max<int128>(0, r.equity - r.initial_with_orders);
}

// The hot path of every order. The requirement is a sum of terms each
// rounded up once; summed before rounding (no division) it is known to
// within one atom per term, which decides all but the closest calls. Those,
// and accounts already below initial margin, take the exact path.
Reason Engine::CheckOrderRisk(const Account& a, const OrderDelta& delta) const {
  int128 equity = a.cash;
  int128 required_scaled = 0;
  int128 terms = 0;
  bool missing_price = false;
  ForEachActive(a, &delta, [&](const Position& p, const OrderDelta* d) {
    const Market& m = markets_[p.market_slot];
    if (m.feed.index().raw() == 0) missing_price = true;
    const int128 value = int128(p.size) * m.mark.raw() * m.atoms;
    const int128 fee = d ? d->fee : 0;
    const int128 worst = WorstCaseScaled(m, p, d);
    if (p.mode == MarginMode::kCross) {
      equity += value - fee;
      required_scaled += worst;
    } else {
      const int128 bucket = int128(p.iso_cash) + value - fee;
      required_scaled += std::max<int128>(0, worst - bucket * kRateScale);
    }
    terms += 1;
  });
  if (missing_price) return Reason::kNoIndexPrice;
  const int128 equity_scaled = equity * kRateScale;
  if (equity_scaled >= required_scaled + terms * (kRateScale - 1)) return Reason::kOk;
  const Risk after = Evaluate(a, &delta);
  if (after.equity >= after.initial_with_orders) return Reason::kOk;
  // Below initial margin, an order is still fine if it does not raise the
  // requirement: it can only take risk off.
  const Risk before = Evaluate(a, nullptr);
  if (after.initial_with_orders <= before.initial_with_orders &&
      after.equity >= before.equity - delta.fee) {
    return Reason::kOk;
  }
  return Reason::kInsufficientMargin;
}

Rate Engine::EffectiveRate(Rate rate, std::uint32_t fee_tier) const {
  if (rate.raw() <= 0) return rate;  // rebates are not discounted
  const std::int64_t discount = config_.fee_tier_discounts[fee_tier].raw();
  return Rate(static_cast<std::int64_t>(CeilRate(rate.raw(), kRateScale - discount)));
}

Quote Engine::TakerFee(const Market& m, const Account& a, int128 notional) const {
  return ToQuote(CeilRate(notional, EffectiveRate(m.params.taker_fee, a.fee_tier).raw()));
}

// ---------------------------------------------------------------------------
// Orders
// ---------------------------------------------------------------------------

Reason Engine::ValidatePlace(const PlaceOrder& c, OrderPlan* plan) const {
  const std::uint32_t mi = FindMarket(c.market);
  if (mi == kNone) return Reason::kUnknownMarket;
  const std::uint32_t ai = FindAccount(c.order.account);
  if (ai == kNone) return Reason::kUnknownAccount;
  const Market& m = markets_[mi];
  const Account& a = accounts_[ai];
  if (m.status == MarketStatus::kHalted || m.status == MarketStatus::kDelisted) {
    return Reason::kMarketHalted;
  }
  const book::OrderRequest& o = c.order;
  const bool buy = o.side == Side::kBuy;
  const Position* p = FindPosition(a, c.market);
  const std::int64_t size_now = p ? p->size : 0;
  plan->market_slot = mi;
  plan->account_slot = ai;
  plan->request = o;
  plan->request.max_fill = Lots::Max();
  if (c.reduce_only) {
    if (!IsImmediate(o)) return Reason::kReduceOnlyNotImmediate;
    if (size_now == 0 || (buy ? size_now > 0 : size_now < 0)) {
      return Reason::kReduceOnlyWouldIncrease;
    }
    plan->request.max_fill = Lots(size_now < 0 ? -size_now : size_now);
  } else if (IsReduceOnly(m)) {
    return Reason::kMarketReduceOnly;
  }
  if (o.size.raw() <= 0) return FromBook(book::Reason::kInvalidSize);
  if (o.size > m.params.max_order_size) return FromBook(book::Reason::kSizeAboveMax);
  if (o.price.raw() <= 0) return FromBook(book::Reason::kInvalidPrice);
  if (o.price > m.params.max_price) return Reason::kPriceAboveMax;
  if (c.reduce_only) return Reason::kOk;
  if (m.feed.index().raw() == 0) return Reason::kNoIndexPrice;
  const std::int64_t q = o.size.raw();
  const std::int64_t open = p ? (buy ? p->bid_lots : p->ask_lots) : 0;
  const int128 exposure = Abs(int128(size_now) + (buy ? open + q : -(open + q)));
  if (exposure > m.params.max_open_interest.raw()) return Reason::kOpenInterestLimit;
  const int128 value = int128(o.price.raw()) * q;
  OrderDelta d{.market_slot = mi};
  (buy ? d.bid_lots : d.ask_lots) = q;
  (buy ? d.bid_value : d.ask_value) = value;
  d.fee = TakerFee(m, a, value * m.atoms).raw();
  return CheckOrderRisk(a, d);
}

Result Engine::Do(const PlaceOrder& c) {
  OrderPlan plan;
  if (Reason r = ValidatePlace(c, &plan); r != Reason::kOk) return Reject(r);
  Market& m = markets_[plan.market_slot];
  const book::PlaceResult pr = m.book.Place(plan.request);
  if (!pr.ok()) return Reject(FromBook(pr.reason));
  Settle(plan.market_slot, plan.account_slot, c.order.id);
  Result r = Accept();
  r.filled = pr.filled;
  r.rested = pr.rested;
  return r;
}

Result Engine::Do(const CancelOrder& c) {
  const std::uint32_t mi = FindMarket(c.market);
  if (mi == kNone) return Reject(Reason::kUnknownMarket);
  const std::uint32_t ai = FindAccount(c.account);
  if (ai == kNone) return Reject(Reason::kUnknownAccount);
  const book::Reason br = markets_[mi].book.Cancel(c.account, c.order_id);
  if (br != book::Reason::kOk) return Reject(FromBook(br));
  Settle(mi, ai, 0);
  return Accept();
}

Result Engine::Do(const CancelByClientId& c) {
  const std::uint32_t mi = FindMarket(c.market);
  if (mi == kNone) return Reject(Reason::kUnknownMarket);
  const std::uint32_t ai = FindAccount(c.account);
  if (ai == kNone) return Reject(Reason::kUnknownAccount);
  const book::Reason br = markets_[mi].book.CancelByClientId(c.account, c.client_id);
  if (br != book::Reason::kOk) return Reject(FromBook(br));
  Settle(mi, ai, 0);
  return Accept();
}

Result Engine::Do(const CancelAll& c) {
  const std::uint32_t ai = FindAccount(c.account);
  if (ai == kNone) return Reject(Reason::kUnknownAccount);
  if (c.market != 0) {
    const std::uint32_t mi = FindMarket(c.market);
    if (mi == kNone) return Reject(Reason::kUnknownMarket);
    PERPCORE_CHECK(markets_[mi].book.CancelAll(c.account) == book::Reason::kOk);
    Settle(mi, ai, 0);
    return Accept();
  }
  // Markets in id order: the account's positions are sorted by market id.
  std::vector<std::uint32_t> slots;
  for (const Position& p : accounts_[ai].positions) {
    if (p.open_orders > 0) slots.push_back(p.market_slot);
  }
  for (std::uint32_t mi : slots) {
    PERPCORE_CHECK(markets_[mi].book.CancelAll(c.account) == book::Reason::kOk);
    Settle(mi, ai, 0);
  }
  return Accept();
}

Result Engine::Do(const AmendOrder& c) {
  const book::AmendRequest& am = c.amend;
  const std::uint32_t mi = FindMarket(c.market);
  if (mi == kNone) return Reject(Reason::kUnknownMarket);
  const std::uint32_t ai = FindAccount(am.account);
  if (ai == kNone) return Reject(Reason::kUnknownAccount);
  Market& m = markets_[mi];
  const std::optional<book::OrderView> old = m.book.Find(am.id);
  if (!old) return Reject(FromBook(book::Reason::kUnknownOrder));
  if (old->account != am.account) return Reject(FromBook(book::Reason::kNotOrderOwner));
  if (m.status == MarketStatus::kHalted || m.status == MarketStatus::kDelisted) {
    return Reject(Reason::kMarketHalted);
  }
  if (am.new_size.raw() <= 0) return Reject(FromBook(book::Reason::kInvalidSize));
  if (am.new_size > m.params.max_order_size) return Reject(FromBook(book::Reason::kSizeAboveMax));
  if (am.new_price.raw() <= 0) return Reject(FromBook(book::Reason::kInvalidPrice));
  if (am.new_price > m.params.max_price) return Reject(Reason::kPriceAboveMax);
  const bool adds_risk = am.new_size > old->remaining || am.new_price != old->price;
  if (adds_risk) {
    if (IsReduceOnly(m)) return Reject(Reason::kMarketReduceOnly);
    if (m.feed.index().raw() == 0) return Reject(Reason::kNoIndexPrice);
    const Account& a = accounts_[ai];
    const Position* p = FindPosition(a, c.market);
    PERPCORE_CHECK(p != nullptr);
    const bool buy = old->side == Side::kBuy;
    const std::int64_t added = am.new_size.raw() - old->remaining.raw();
    const std::int64_t open = (buy ? p->bid_lots : p->ask_lots) + added;
    if (Abs(int128(p->size) + (buy ? open : -open)) > m.params.max_open_interest.raw()) {
      return Reject(Reason::kOpenInterestLimit);
    }
    OrderDelta d{.market_slot = mi};
    const int128 value_change = int128(am.new_price.raw()) * am.new_size.raw() -
                                int128(old->price.raw()) * old->remaining.raw();
    (buy ? d.bid_lots : d.ask_lots) = added;
    (buy ? d.bid_value : d.ask_value) = value_change;
    if (Reason r = CheckOrderRisk(a, d); r != Reason::kOk) return Reject(r);
  }
  const book::Reason br = m.book.Amend(am);
  if (br != book::Reason::kOk) return Reject(FromBook(br));
  Position& p = GetPosition(accounts_[ai], mi);
  RemoveOrder(p, old->side, old->price.raw(), old->remaining.raw());
  AddOrder(p, old->side, am.new_price.raw(), am.new_size.raw());
  for (const book::Event& e : m.book.events()) {
    events_.push_back(Event{.kind = EventKind::kOrderAmended,
                            .side = e.side,
                            .priority_kept = e.priority_kept,
                            .market = c.market,
                            .account = e.account,
                            .order_id = e.order_id,
                            .price = e.price,
                            .size = e.size,
                            .remaining = e.remaining});
  }
  return Accept();
}

void Engine::AddOrder(Position& p, Side side, std::int64_t price, std::int64_t lots) {
  if (side == Side::kBuy) {
    p.bid_lots += lots;
    p.bid_value += int128(price) * lots;
  } else {
    p.ask_lots += lots;
    p.ask_value += int128(price) * lots;
  }
}

void Engine::RemoveOrder(Position& p, Side side, std::int64_t price, std::int64_t lots) {
  AddOrder(p, side, price, -lots);
}

// ---------------------------------------------------------------------------
// Settlement
// ---------------------------------------------------------------------------

void Engine::Settle(std::uint32_t market_slot, std::uint32_t taker_slot, OrderId taker_id) {
  Market& m = markets_[market_slot];
  for (const book::Event& e : m.book.events()) {
    Event out{.side = e.side,
              .priority_kept = e.priority_kept,
              .code = Raw(e.reason),
              .market = m.id,
              .account = e.account,
              .order_id = e.order_id,
              .price = e.price,
              .size = e.size,
              .remaining = e.remaining};
    const bool is_taker = taker_id != 0 && e.order_id == taker_id;
    switch (e.kind) {
      case book::EventKind::kFill:
        out.kind = EventKind::kFill;
        out.code = 0;
        SettleFill(m, e, taker_slot, &out);
        break;
      case book::EventKind::kRested: {
        out.kind = EventKind::kOrderRested;
        out.code = 0;
        Position& p = GetPosition(accounts_[taker_slot], market_slot);
        AddOrder(p, e.side, e.price.raw(), e.size.raw());
        p.open_orders += 1;
        break;
      }
      case book::EventKind::kCanceled:
      case book::EventKind::kReduced: {
        out.kind = e.kind == book::EventKind::kCanceled ? EventKind::kOrderCanceled
                                                        : EventKind::kOrderReduced;
        if (is_taker) break;  // the incoming order was never counted as resting
        const std::uint32_t ai = e.account == accounts_[taker_slot].id ? taker_slot
                                                                        : FindAccount(e.account);
        PERPCORE_CHECK(ai != kNone);
        Position& p = GetPosition(accounts_[ai], market_slot);
        RemoveOrder(p, e.side, e.price.raw(), e.size.raw());
        if (e.kind == book::EventKind::kCanceled) p.open_orders -= 1;
        break;
      }
      case book::EventKind::kAmended:
        PERPCORE_CHECK(false);  // amends settle in Do(AmendOrder)
    }
    events_.push_back(out);
  }
}

void Engine::SettleFill(Market& m, const book::Event& e, std::uint32_t taker_slot, Event* out) {
  const std::uint32_t maker_slot = FindAccount(e.maker_account);
  PERPCORE_CHECK(maker_slot != kNone && maker_slot != taker_slot);
  Account& taker = accounts_[taker_slot];
  Account& maker = accounts_[maker_slot];
  const std::uint32_t mi = static_cast<std::uint32_t>(&m - markets_.data());
  Position& tp = GetPosition(taker, mi);
  Position& mp = GetPosition(maker, mi);
  const std::int64_t price = e.price.raw();
  const std::int64_t size = e.size.raw();
  const Side maker_side = book::Opposite(e.side);
  RemoveOrder(mp, maker_side, price, size);
  if (e.maker_remaining.raw() == 0) mp.open_orders -= 1;

  const std::int64_t signed_size = e.side == Side::kBuy ? size : -size;
  std::int64_t taker_realized = 0, maker_realized = 0;
  ApplyTrade(m, taker, tp, signed_size, price, &taker_realized);
  ApplyTrade(m, maker, mp, -signed_size, price, &maker_realized);

  // Fees: the taker's rounds up; a maker fee rounds up and a rebate down;
  // the referrer's cut rounds down; the pool keeps the remainders.
  const int128 notional = int128(price) * size * m.atoms;
  const std::int64_t taker_fee = TakerFee(m, taker, notional).raw();
  const std::int64_t maker_rate = EffectiveRate(m.params.maker_fee, maker.fee_tier).raw();
  const std::int64_t maker_fee = static_cast<std::int64_t>(
      maker_rate >= 0 ? CeilRate(notional, maker_rate) : -FloorRate(notional, -maker_rate));
  std::int64_t referrer_fee = 0;
  std::uint32_t referrer_slot = kNone;
  if (taker.referrer != 0) {
    referrer_slot = FindAccount(taker.referrer);
    PERPCORE_CHECK(referrer_slot != kNone);
    referrer_fee =
        static_cast<std::int64_t>(FloorRate(taker_fee, config_.referrer_share.raw()));
  }
  (tp.mode == MarginMode::kIsolated ? tp.iso_cash : taker.cash) -= taker_fee;
  (mp.mode == MarginMode::kIsolated ? mp.iso_cash : maker.cash) -= maker_fee;
  if (referrer_slot != kNone) accounts_[referrer_slot].cash += referrer_fee;
  fee_pool_ += taker_fee - referrer_fee + maker_fee;
  PERPCORE_DCHECK(taker_fee - referrer_fee + maker_fee >= 0);

  TopUpIsolated(m, taker, tp);
  TopUpIsolated(m, maker, mp);

  m.last_trade = e.price;
  m.volume += size;
  const int128 nv = int128(m.notional_volume) + notional;
  m.notional_volume = nv > kMaxI64 ? kMaxI64 : static_cast<std::int64_t>(nv);

  out->maker_account = e.maker_account;
  out->maker_order_id = e.maker_order_id;
  out->maker_remaining = e.maker_remaining;
  out->amount = Quote(taker_fee);
  out->maker_fee = Quote(maker_fee);
  out->referrer = referrer_slot != kNone ? taker.referrer : 0;
  out->referrer_fee = Quote(referrer_fee);
  out->position = Lots(tp.size);
  out->maker_position = Lots(mp.size);
  out->realized = Quote(taker_realized);
  out->maker_realized = Quote(maker_realized);
}

// Moves the trade's cash (exact) and updates size, cost basis and realized
// PnL. Realized PnL closes the cost basis pro rata (rounded toward zero); it
// is bookkeeping, the cash move is the money.
void Engine::TradePosition(Position& p, std::int64_t& cross_cash, std::int64_t delta,
                           std::int64_t price, std::int64_t atoms, std::int64_t* realized) {
  const std::int64_t old = p.size;
  const std::int64_t cash_flow = -delta * price * atoms;  // the buyer pays
  (p.mode == MarginMode::kIsolated ? p.iso_cash : cross_cash) += cash_flow;
  *realized = 0;
  if (old == 0 || Sign(old) == Sign(delta)) {
    p.cost += delta * price * atoms;
  } else {
    const std::int64_t abs_old = old < 0 ? -old : old;
    const std::int64_t abs_delta = delta < 0 ? -delta : delta;
    const std::int64_t closed = std::min(abs_old, abs_delta);
    const std::int64_t removed =
        closed == abs_old ? p.cost : static_cast<std::int64_t>(int128(p.cost) * closed / abs_old);
    const std::int64_t closed_value = Sign(old) * closed * price * atoms;
    *realized = closed_value - removed;
    p.realized += *realized;
    p.cost -= removed;
    if (abs_delta > abs_old) p.cost = Sign(delta) * (abs_delta - abs_old) * price * atoms;
  }
  p.size = old + delta;
}

void Engine::ApplyTrade(Market& m, Account& a, Position& p, std::int64_t delta,
                        std::int64_t price, std::int64_t* realized) {
  const std::int64_t old = p.size;
  TradePosition(p, a.cash, delta, price, m.atoms, realized);
  m.oi_long += std::max<std::int64_t>(p.size, 0) - std::max<std::int64_t>(old, 0);
  m.oi_short += std::max<std::int64_t>(-p.size, 0) - std::max<std::int64_t>(-old, 0);
}

// An isolated bucket that falls short of its position's initial requirement
// after a fill draws the difference from cross cash; a closed position
// returns its whole bucket.
void Engine::TopUpIsolated(const Market& m, Account& a, Position& p) {
  if (p.mode != MarginMode::kIsolated) return;
  if (p.size == 0) {
    a.cash += p.iso_cash;
    p.iso_cash = 0;
    return;
  }
  const int128 value = int128(p.size) * m.mark.raw() * m.atoms;
  const int128 need =
      int128(m.tiers.Initial(ToQuote(Abs(value)), EffectiveLeverage(m, p)).raw()) -
      (int128(p.iso_cash) + value);
  if (need <= 0) return;
  PERPCORE_CHECK(need <= kMaxI64);  // market bounds keep every requirement in int64
  const std::int64_t draw = static_cast<std::int64_t>(need);
  a.cash -= draw;
  p.iso_cash += draw;
}

// ---------------------------------------------------------------------------
// Oracle
// ---------------------------------------------------------------------------

Result Engine::Do(const OraclePrice& c) {
  const std::uint32_t mi = FindMarket(c.market);
  if (mi == kNone) return Reject(Reason::kUnknownMarket);
  Market& m = markets_[mi];
  if (c.price > m.params.max_price) return Reject(Reason::kPriceAboveMax);
  switch (m.feed.Publish(c.source, c.price, c.publish_time, now_)) {
    case oracle::PublishReason::kOk:
      break;
    case oracle::PublishReason::kInvalidSource:
      return Reject(Reason::kOracleInvalidSource);
    case oracle::PublishReason::kTooManySources:
      return Reject(Reason::kOracleTooManySources);
    case oracle::PublishReason::kInvalidPrice:
      return Reject(Reason::kOracleInvalidPrice);
    case oracle::PublishReason::kFromTheFuture:
      return Reject(Reason::kOracleFromTheFuture);
    case oracle::PublishReason::kOutOfOrder:
      return Reject(Reason::kOracleOutOfOrder);
  }
  RefreshOracle(mi);
  return Accept();
}

Result Engine::Do(const TimeTick& c) {
  if (c.market != 0) {
    const std::uint32_t mi = FindMarket(c.market);
    if (mi == kNone) return Reject(Reason::kUnknownMarket);
    RefreshOracle(mi);
    return Accept();
  }
  for (std::uint32_t mi : market_order_) RefreshOracle(mi);
  return Accept();
}

void Engine::RefreshOracle(std::uint32_t market_slot) {
  Market& m = markets_[market_slot];
  const Ticks old_mark = m.mark;
  const Ticks old_index = m.feed.index();
  const std::optional<Ticks> bid = m.book.BestBid();
  const std::optional<Ticks> ask = m.book.BestAsk();
  const oracle::OracleUpdate u =
      m.feed.Refresh(now_, oracle::BookPrices{bid.value_or(Ticks(0)), ask.value_or(Ticks(0)),
                                              m.last_trade});
  const Ticks index = m.feed.index();
  PERPCORE_CHECK(m.book.SetReferencePrice(index) == book::Reason::kOk);
  if (m.feed.mark().raw() > 0) m.mark = m.feed.mark();
  if (index != old_index || m.mark != old_mark) {
    events_.push_back(Event{.kind = EventKind::kPriceUpdate,
                            .market = m.id,
                            .price = m.feed.twap(),
                            .index = index,
                            .mark = m.mark});
  }
  if (u.breaker_tripped || u.breaker_cleared) {
    events_.push_back(Event{.kind = EventKind::kCircuitBreaker,
                            .cause = u.cause,
                            .code = u.breaker_tripped ? 1u : 0u,
                            .market = m.id});
  }
}

// ---------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------

namespace {

absl::Status UnknownMarket(MarketId id) {
  return absl::NotFoundError(absl::StrCat("unknown market ", id));
}
absl::Status UnknownAccount(AccountId id) {
  return absl::NotFoundError(absl::StrCat("unknown account ", id));
}

// maintenance / equity, rounded up; 0 without a requirement and the
// largest Rate when equity cannot carry it.
Rate MarginRatio(int128 maintenance, int128 equity) {
  if (maintenance <= 0) return Rate(0);
  if (equity <= 0) return Rate::Max();
  auto r = DivRound(maintenance * kRateScale, equity, Round::kUp);
  return r.ok() ? Rate(*r) : Rate::Max();
}

}  // namespace

std::vector<MarketId> Engine::Markets() const {
  std::vector<MarketId> ids;
  ids.reserve(market_order_.size());
  for (std::uint32_t mi : market_order_) ids.push_back(markets_[mi].id);
  return ids;
}

std::vector<AccountId> Engine::Accounts() const {
  std::vector<AccountId> ids;
  ids.reserve(accounts_.size());
  for (const Account& a : accounts_) ids.push_back(a.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

absl::StatusOr<MarketParams> Engine::Params(MarketId market) const {
  const std::uint32_t mi = FindMarket(market);
  if (mi == kNone) return UnknownMarket(market);
  return markets_[mi].params;
}

absl::StatusOr<MarketStats> Engine::Stats(MarketId market) const {
  const std::uint32_t mi = FindMarket(market);
  if (mi == kNone) return UnknownMarket(market);
  const Market& m = markets_[mi];
  return MarketStats{.market = m.id,
                     .symbol = m.params.symbol,
                     .status = m.status,
                     .breaker = m.feed.breaker(),
                     .breaker_cause = m.feed.breaker_cause(),
                     .atoms_per_tick_lot = m.atoms,
                     .index = m.feed.index(),
                     .mark = m.mark,
                     .twap = m.feed.twap(),
                     .last_trade = m.last_trade,
                     .fresh_sources = m.feed.fresh_sources(),
                     .open_interest_long = Lots(m.oi_long),
                     .open_interest_short = Lots(m.oi_short),
                     .volume = Lots(m.volume),
                     .notional_volume = Quote(m.notional_volume),
                     .best_bid = m.book.Best(Side::kBuy),
                     .best_ask = m.book.Best(Side::kSell)};
}

absl::StatusOr<std::optional<book::LevelView>> Engine::Best(MarketId market, Side side) const {
  const std::uint32_t mi = FindMarket(market);
  if (mi == kNone) return UnknownMarket(market);
  return markets_[mi].book.Best(side);
}

absl::StatusOr<std::size_t> Engine::Depth(MarketId market, Side side,
                                          std::span<book::LevelView> out) const {
  const std::uint32_t mi = FindMarket(market);
  if (mi == kNone) return UnknownMarket(market);
  return markets_[mi].book.Depth(side, out);
}

risk::LiquidationPrice Engine::Liquidation(const Market& m, const Position& p,
                                           const Risk& r) const {
  if (p.size == 0) return {};
  const int128 value = int128(p.size) * m.mark.raw() * m.atoms;
  risk::LiquidationInput in{.size = Lots(p.size), .atoms_per_tick_lot = m.atoms};
  if (p.mode == MarginMode::kIsolated) {
    in.other_equity = Quote(p.iso_cash);
    in.other_maintenance = Quote(0);
  } else {
    in.other_equity = ToQuote(r.equity - value);
    in.other_maintenance =
        ToQuote(r.maintenance - m.tiers.Maintenance(ToQuote(Abs(value))).raw());
  }
  auto lp = risk::ComputeLiquidationPrice(m.tiers, in);
  return lp.ok() ? *lp : risk::LiquidationPrice{};
}

PositionView Engine::View(const Market& m, const Position& p, const Risk& r) const {
  const int128 value = int128(p.size) * m.mark.raw() * m.atoms;
  PositionView v{.market = m.id,
                 .mode = p.mode,
                 .leverage = EffectiveLeverage(m, p),
                 .size = Lots(p.size),
                 .mark = m.mark,
                 .value = ToQuote(value),
                 .cost = Quote(p.cost),
                 .unrealized_pnl = ToQuote(value - p.cost),
                 .realized_pnl = Quote(p.realized),
                 .initial_requirement = m.tiers.Initial(ToQuote(Abs(value)), EffectiveLeverage(m, p)),
                 .maintenance_requirement = m.tiers.Maintenance(ToQuote(Abs(value))),
                 .liquidation = Liquidation(m, p, r),
                 .open_bid_lots = Lots(p.bid_lots),
                 .open_ask_lots = Lots(p.ask_lots),
                 .open_orders = p.open_orders};
  if (p.size != 0) {
    auto entry = DivRound(Abs(int128(p.cost)), Abs(int128(p.size)) * m.atoms, Round::kHalfEven);
    v.entry_price = Ticks(entry.ok() ? *entry : 0);
  }
  if (p.mode == MarginMode::kIsolated) v.isolated_equity = ToQuote(int128(p.iso_cash) + value);
  return v;
}

absl::StatusOr<AccountSummary> Engine::Summary(AccountId account) const {
  const std::uint32_t ai = FindAccount(account);
  if (ai == kNone) return UnknownAccount(account);
  const Account& a = accounts_[ai];
  const Risk r = Evaluate(a, nullptr);
  AccountSummary s{.account = a.id,
                   .owner = a.owner,
                   .fee_tier = a.fee_tier,
                   .referrer = a.referrer,
                   .cash = Quote(a.cash),
                   .equity = ToQuote(r.equity),
                   .initial_requirement = ToQuote(r.initial),
                   .initial_with_orders = ToQuote(r.initial_with_orders),
                   .maintenance_requirement = ToQuote(r.maintenance),
                   .free_collateral = ToQuote(FreeCollateral(r)),
                   .margin_ratio = MarginRatio(r.maintenance, r.equity),
                   .liquidatable = r.maintenance > 0 && r.equity < r.maintenance};
  int128 collateral = a.cash;
  int128 unrealized = 0;
  s.positions.reserve(a.positions.size());
  for (const Position& p : a.positions) {
    const Market& m = markets_[p.market_slot];
    s.positions.push_back(View(m, p, r));
    if (p.mode == MarginMode::kCross) {
      collateral += p.cost;
      unrealized += int128(p.size) * m.mark.raw() * m.atoms - p.cost;
    }
  }
  s.collateral = ToQuote(collateral);
  s.unrealized_pnl = ToQuote(unrealized);
  return s;
}

absl::StatusOr<std::vector<OpenOrder>> Engine::OpenOrders(AccountId account) const {
  const std::uint32_t ai = FindAccount(account);
  if (ai == kNone) return UnknownAccount(account);
  std::vector<OpenOrder> out;
  std::vector<book::OrderView> buf;
  for (const Position& p : accounts_[ai].positions) {
    if (p.open_orders == 0) continue;
    buf.resize(p.open_orders);
    const std::size_t n = markets_[p.market_slot].book.OrdersOf(account, buf);
    for (std::size_t i = 0; i < n; ++i) out.push_back(OpenOrder{p.market, buf[i]});
  }
  return out;
}

absl::StatusOr<Preview> Engine::PreviewOrder(const PlaceOrder& c) const {
  const std::uint32_t mi = FindMarket(c.market);
  if (mi == kNone) return UnknownMarket(c.market);
  const std::uint32_t ai = FindAccount(c.order.account);
  if (ai == kNone) return UnknownAccount(c.order.account);
  const Market& m = markets_[mi];
  Preview pv;
  OrderPlan plan;
  pv.reason = ValidatePlace(c, &plan);
  const book::OrderRequest& o = c.order;
  if (o.size.raw() <= 0 || o.price.raw() <= 0) return pv;
  const std::int64_t want = std::min(o.size.raw(), plan.request.max_fill.raw());
  const bool buy = o.side == Side::kBuy;
  const bool post_only =
      o.tif == TimeInForce::kPostOnly || o.tif == TimeInForce::kPostOnlySlide;

  // Walk the opposite side's levels up to the limit.
  std::int64_t filled = 0;
  int128 ticks_lots = 0;
  if (!post_only) {
    std::vector<book::LevelView> levels(32);
    for (;;) {
      const std::size_t n = m.book.Depth(book::Opposite(o.side), levels);
      std::size_t i = 0;
      filled = 0;
      ticks_lots = 0;
      for (; i < n && filled < want; ++i) {
        const book::LevelView& lv = levels[i];
        if (buy ? lv.price > o.price : lv.price < o.price) break;
        const std::int64_t take = std::min(lv.total.raw(), want - filled);
        filled += take;
        ticks_lots += int128(lv.price.raw()) * take;
      }
      if (filled == want || i < n || n < levels.size()) break;
      levels.resize(levels.size() * 2);
    }
  }
  const bool immediate = IsImmediate(o);
  if (o.tif == TimeInForce::kFok && filled < want) {
    filled = 0;
    ticks_lots = 0;
  }
  const std::optional<Ticks> opposite = m.book.Best(book::Opposite(o.side))
                                            ? std::optional<Ticks>(m.book.Best(book::Opposite(o.side))->price)
                                            : std::nullopt;
  const bool crosses = opposite && (buy ? *opposite <= o.price : *opposite >= o.price);
  pv.fill_size = Lots(filled);
  pv.rest_size = Lots(immediate || (o.tif == TimeInForce::kPostOnly && crosses) ? 0 : want - filled);
  pv.fill_notional = ToQuote(ticks_lots * m.atoms);
  if (filled > 0) {
    auto avg = DivRound(ticks_lots, filled, Round::kHalfEven);
    pv.average_price = Ticks(avg.ok() ? *avg : 0);
    const std::optional<Ticks> bid = m.book.BestBid();
    const std::optional<Ticks> ask = m.book.BestAsk();
    if (bid && ask) {
      // |average - mid| / mid with mid = (bid + ask) / 2, without halving.
      const int128 twice_mid = int128(bid->raw()) + ask->raw();
      const int128 diff = Abs(int128(2) * ticks_lots - twice_mid * filled);
      auto slip = DivRound(diff * kRateScale, twice_mid * filled, Round::kUp);
      pv.slippage = Rate(slip.ok() ? *slip : Rate::Max().raw());
    }
  }
  const Account& a = accounts_[ai];
  pv.fee = TakerFee(m, a, ticks_lots * m.atoms);

  // The account as it would be after the fill.
  Account after = a;
  Position& p = GetPosition(after, mi);
  if (filled > 0) {
    std::int64_t realized = 0;
    const std::int64_t avg_price = pv.average_price.raw();
    TradePosition(p, after.cash, buy ? filled : -filled, avg_price, m.atoms, &realized);
    // The fill's exact cash differs from avg * size by the rounding of avg.
    const int128 exact = ticks_lots * m.atoms;
    const int128 rounded = int128(avg_price) * filled * m.atoms;
    (p.mode == MarginMode::kIsolated ? p.iso_cash : after.cash) +=
        static_cast<std::int64_t>(buy ? rounded - exact : exact - rounded);
    (p.mode == MarginMode::kIsolated ? p.iso_cash : after.cash) -= pv.fee.raw();
  }
  const Risk r = Evaluate(after, nullptr);
  pv.resulting_position = Lots(p.size);
  if (p.mode == MarginMode::kIsolated) {
    const int128 value = int128(p.size) * m.mark.raw() * m.atoms;
    pv.resulting_equity = ToQuote(int128(p.iso_cash) + value);
    pv.resulting_margin_ratio = MarginRatio(m.tiers.Maintenance(ToQuote(Abs(value))).raw(),
                                            int128(p.iso_cash) + value);
  } else {
    pv.resulting_equity = ToQuote(r.equity);
    pv.resulting_margin_ratio = MarginRatio(r.maintenance, r.equity);
  }
  pv.resulting_liquidation = Liquidation(m, p, r);
  return pv;
}

// ---------------------------------------------------------------------------
// Invariants and canonical encoding
// ---------------------------------------------------------------------------

absl::Status Engine::CheckInvariants() const {
  auto fail = [](auto&&... parts) { return absl::InternalError(absl::StrCat(parts...)); };
  int128 money = int128(fee_pool_) + insurance_;
  std::vector<int128> longs(markets_.size()), shorts(markets_.size());
  std::vector<book::OrderView> buf;
  for (const Account& a : accounts_) {
    money += a.cash;
    MarketId prev = 0;
    for (const Position& p : a.positions) {
      if (p.market <= prev) return fail("account ", a.id, " positions are not sorted");
      prev = p.market;
      const Market& m = markets_[p.market_slot];
      if (m.id != p.market) return fail("account ", a.id, " position points at the wrong market");
      money += p.iso_cash;
      if (p.size == 0 && p.iso_cash != 0) {
        return fail("account ", a.id, " market ", p.market, " keeps an isolated bucket without a position");
      }
      if (p.mode == MarginMode::kCross && p.iso_cash != 0) {
        return fail("account ", a.id, " market ", p.market, " is cross with an isolated bucket");
      }
      (p.size > 0 ? longs : shorts)[p.market_slot] += p.size > 0 ? p.size : -int128(p.size);
      if (m.book.account_order_count(a.id) != p.open_orders) {
        return fail("account ", a.id, " market ", p.market, " counts ", p.open_orders,
                    " open orders, the book has ", m.book.account_order_count(a.id));
      }
      buf.resize(p.open_orders);
      const std::size_t n = m.book.OrdersOf(a.id, buf);
      int128 bl = 0, al = 0, bv = 0, av = 0;
      for (std::size_t i = 0; i < n; ++i) {
        const book::OrderView& o = buf[i];
        (o.side == Side::kBuy ? bl : al) += o.remaining.raw();
        (o.side == Side::kBuy ? bv : av) += int128(o.price.raw()) * o.remaining.raw();
      }
      if (bl != p.bid_lots || al != p.ask_lots || bv != p.bid_value || av != p.ask_value) {
        return fail("account ", a.id, " market ", p.market, " order aggregates disagree with the book");
      }
    }
  }
  if (money != deposits_ - withdrawals_) {
    const int128 gap = money - (deposits_ - withdrawals_);
    return fail("conservation: cash + fee pool + insurance differs from deposits - withdrawals by ",
                static_cast<std::int64_t>(gap), " atoms");
  }
  for (std::size_t i = 0; i < markets_.size(); ++i) {
    const Market& m = markets_[i];
    if (longs[i] != m.oi_long || shorts[i] != m.oi_short || m.oi_long != m.oi_short) {
      return fail("market ", m.id, " open interest long ", m.oi_long, " short ", m.oi_short,
                  " disagrees with positions");
    }
    if (absl::Status s = m.book.CheckInvariants(); !s.ok()) {
      return fail("market ", m.id, " book: ", s.message());
    }
  }
  return absl::OkStatus();
}

void Engine::EncodeCanonical(std::string* out) const {
  PutU64(out, last_seq_);
  PutI64(out, now_.raw());
  PutU32(out, config_.quote_decimals);
  PutU32(out, static_cast<std::uint32_t>(config_.fee_tier_discounts.size()));
  for (Rate d : config_.fee_tier_discounts) PutI64(out, d.raw());
  PutI64(out, config_.referrer_share.raw());
  PutU32(out, config_.max_markets);
  PutU32(out, config_.max_accounts);
  PutI64(out, fee_pool_);
  PutI64(out, insurance_);
  PutI128(out, deposits_);
  PutI128(out, withdrawals_);

  PutU32(out, static_cast<std::uint32_t>(market_order_.size()));
  for (std::uint32_t mi : market_order_) {
    const Market& m = markets_[mi];
    const MarketId id = m.id;
    const MarketParams& p = m.params;
    PutU32(out, id);
    PutU32(out, static_cast<std::uint32_t>(p.symbol.size()));
    out->append(p.symbol);
    PutI64(out, p.tick_size.mantissa);
    PutU32(out, static_cast<std::uint32_t>(p.tick_size.exponent));
    PutI64(out, p.lot_size.mantissa);
    PutU32(out, static_cast<std::uint32_t>(p.lot_size.exponent));
    PutI64(out, p.max_order_size.raw());
    PutI64(out, p.max_open_interest.raw());
    PutI64(out, p.max_price.raw());
    PutI64(out, p.price_band.raw());
    PutU32(out, p.max_leverage);
    PutU32(out, static_cast<std::uint32_t>(p.tiers.size()));
    for (const risk::MarginTier& t : p.tiers) {
      PutI64(out, t.notional_floor.raw());
      PutU32(out, t.max_leverage);
      PutI64(out, t.maintenance_rate.raw());
    }
    PutI64(out, p.maker_fee.raw());
    PutI64(out, p.taker_fee.raw());
    PutU32(out, p.max_orders_per_account);
    PutU32(out, p.max_levels_per_side);
    PutU32(out, p.max_book_orders);
    PutU8(out, Raw(m.status));
    PutI64(out, m.mark.raw());
    PutI64(out, m.last_trade.raw());
    PutI64(out, m.oi_long);
    PutI64(out, m.oi_short);
    PutI64(out, m.volume);
    PutI64(out, m.notional_volume);
    m.feed.EncodeCanonical(out);
    m.book.EncodeCanonical(out);
  }

  std::vector<std::pair<AccountId, std::uint32_t>> accounts;
  accounts.reserve(accounts_.size());
  for (std::uint32_t i = 0; i < accounts_.size(); ++i) accounts.emplace_back(accounts_[i].id, i);
  std::sort(accounts.begin(), accounts.end());
  PutU32(out, static_cast<std::uint32_t>(accounts.size()));
  for (const auto& [id, ai] : accounts) {
    const Account& a = accounts_[ai];
    PutU64(out, id);
    PutU64(out, a.owner);
    PutI64(out, a.cash);
    PutU32(out, a.fee_tier);
    PutU64(out, a.referrer);
    PutU32(out, static_cast<std::uint32_t>(a.positions.size()));
    for (const Position& p : a.positions) {
      PutU32(out, p.market);
      PutU8(out, Raw(p.mode));
      PutU32(out, p.leverage);
      PutI64(out, p.size);
      PutI64(out, p.cost);
      PutI64(out, p.realized);
      PutI64(out, p.iso_cash);
      PutI64(out, p.bid_lots);
      PutI64(out, p.ask_lots);
      PutI128(out, p.bid_value);
      PutI128(out, p.ask_value);
      PutU32(out, p.open_orders);
    }
  }
}

std::array<std::uint8_t, 32> Engine::Digest() const {
  std::string bytes;
  EncodeCanonical(&bytes);
  static constexpr char kTag[] = "perpcore/engine";
  std::array<std::uint8_t, 32> digest{};
  const int ok = secp256k1_tagged_sha256(
      secp256k1_context_static, digest.data(), reinterpret_cast<const unsigned char*>(kTag),
      sizeof(kTag) - 1, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  PERPCORE_CHECK(ok == 1);
  return digest;
}

}  // namespace engine
PERPCORE_NAMESPACE_END
