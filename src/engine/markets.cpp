// Markets: create, update, status.
#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "handlers.hpp"
#include "liquidation_index.hpp"
#include "perpcore/detail/encode.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {
namespace {

using absl::int128;

constexpr int128 kNotionalBound = int128(1) << 54;
constexpr std::size_t kMaxSymbol = 24;
constexpr std::int64_t kMaxMarketOi = std::int64_t{1} << 62;

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
  c.max_matches_per_order = p.max_matches_per_order;
  c.price_band = p.price_band;
  c.expected_orders = 1024;
  c.hash_seed = seed ^ detail::Mix64(id.value());
  return c;
}

// The highest price the market holds and goes on using: the index, the
// last valid index, the mark, the TWAP, the last trade, the settlement
// price of a delisted market being settled, and every source's
// last published price (a stale source's comes back when it is fresh
// again). A max_price below it would let that price meet sizes admitted
// under the new bounds, past the 2^54 notional bound every product relies
// on.
Ticks HighestHeldPrice(const Market& m) {
  Ticks high = std::max(
      {m.feed.index(), m.last_index, m.mark, m.feed.twap(), m.last_trade, m.settle_price});
  for (const oracle::PriceFeed::SourceView& v : m.feed.Sources()) high = std::max(high, v.price);
  return high;
}

}  // namespace

std::int64_t MarketOpenInterestCap(const MarketParams& p, std::int64_t atoms) {
  if (p.max_market_open_interest.raw() != 0) return p.max_market_open_interest.raw();
  return static_cast<std::int64_t>(kNotionalBound / (int128(p.max_price.raw()) * atoms));
}

Reason CheckMarketParams(const EngineConfig& config, const MarketParams& p, std::int64_t* atoms,
                         std::string* why) {
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
                 static_cast<int>(config.quote_decimals);
  // Checked before each step: the mantissas' product may already be near
  // 2^126, where one more factor of 10 would wrap.
  for (; exponent > 0; --exponent) {
    if (product > kNotionalBound / 10) return bad("tick_size * lot_size is above 2^54 atoms");
    product *= 10;
  }
  for (; exponent < 0; ++exponent) {
    if (product % 10 != 0) {
      return bad("tick_size * lot_size is not a whole number of quote atoms (",
                 p.tick_size.mantissa, "e", p.tick_size.exponent, " * ", p.lot_size.mantissa,
                 "e", p.lot_size.exponent, " at ", config.quote_decimals, " decimals)");
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
  // By division, never by the product: max_open_interest * max_price is
  // below 2^126 and fits, but a third int64 factor can reach 2^189 and
  // wrap (2^37 * 2^37 * 2^54 is 0 in 128 bits). For whole numbers and
  // product >= 1, x * product <= bound  <=>  x <= floor(bound / product).
  const int128 per_atom = kNotionalBound / product;
  if (int128(p.max_open_interest.raw()) * p.max_price.raw() > per_atom) {
    return bad("max_open_interest * max_price * atoms_per_tick_lot must be <= 2^54");
  }
  const std::int64_t market_oi = p.max_market_open_interest.raw();
  if (market_oi != 0 && (market_oi < p.max_open_interest.raw() || market_oi > kMaxMarketOi)) {
    return bad("max_market_open_interest must be 0 or in max_open_interest..2^62");
  }
  // 0 reads as the largest cap the bound allows, which is never below
  // max_open_interest (checked above).
  if (int128(market_oi) * p.max_price.raw() > per_atom) {
    return bad("max_market_open_interest * max_price * atoms_per_tick_lot must be <= 2^54");
  }
  if (p.max_matches_per_order < 1 || p.max_matches_per_order > kMaxMatchesPerOrder) {
    return bad("max_matches_per_order must be 1..", kMaxMatchesPerOrder);
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
  if (absl::Status s = fees::ValidateMarketFees({p.taker_fee, p.maker_fee},
                                                {config.fee_tier_discounts, config.referrer_share});
      !s.ok()) {
    return bad(s.message());
  }
  if (absl::Status s = oracle::PriceFeed::Validate(p.oracle); !s.ok()) {
    return bad("oracle: ", s.message());
  }
  if (absl::Status s = book::OrderBook::Validate(BookConfigFor(p, 1, 0)); !s.ok()) {
    return bad("book limits: ", s.message());
  }
  if (Raw(p.withdrawable_pnl) > Raw(WithdrawablePnl::kNone)) {
    return bad("withdrawable_pnl must be a WithdrawablePnl");
  }
  if (p.stress_fraction.raw() < 0 || p.stress_fraction.raw() > kRateScale) {
    return bad("stress_fraction must be in [0, 1]");
  }
  const funding::MarketBounds bounds{.max_price = p.max_price.raw(),
                                     .atoms_per_tick_lot = *atoms,
                                     .initial_minus_maintenance = FundingMarginGap(p)};
  if (Reason r = funding::Validate(p.funding, bounds); r != Reason::kOk) {
    *why = absl::StrCat("MarketParams.funding: ", std::string(ReasonMessage(r)));
    return r;
  }
  if (Reason r = liquidation::Validate(p.liquidation); r != Reason::kOk) {
    *why = absl::StrCat("MarketParams.liquidation: ", std::string(ReasonMessage(r)));
    return r;
  }
  return Reason::kOk;
}

Reason Validate(const State& s, const CreateMarket& c, MarketPlan* plan) {
  if (c.market == 0) return Reason::kInvalidId;
  if (s.FindMarket(c.market) != kNone) return Reason::kMarketExists;
  if (s.markets.size() >= s.config.max_markets) return Reason::kTooManyMarkets;
  if (c.params == nullptr) return Reason::kInvalidMarketParams;
  std::string why;
  if (Reason r = CheckMarketParams(s.config, *c.params, &plan->atoms, &why); r != Reason::kOk) {
    return r;
  }
  plan->params = c.params.get();
  plan->market = c.market;
  return Reason::kOk;
}

Outcome ApplyCreateMarket(State& s, const MarketPlan& plan, EventSink& sink) {
  auto tiers = risk::TierTable::Create(plan.params->tiers);
  PERPCORE_CHECK(tiers.ok());
  s.markets.push_back(Market{
      .id = plan.market,
      .params = *plan.params,
      .atoms = plan.atoms,
      .oi_cap = MarketOpenInterestCap(*plan.params, plan.atoms),
      .tiers = *std::move(tiers),
      .book = book::OrderBook(BookConfigFor(*plan.params, plan.market, s.config.hash_seed)),
      .feed = oracle::PriceFeed(plan.params->oracle),
      .funding = funding::Funding(plan.params->funding, s.now),
  });
  const auto slot = static_cast<std::uint32_t>(s.markets.size() - 1);
  InitMarketIndex(s, s.markets.back());
  s.market_index.Insert(s.MarketHash(plan.market), slot);
  s.market_order.insert(std::upper_bound(s.market_order.begin(), s.market_order.end(), slot,
                                         [&s](std::uint32_t a, std::uint32_t b) {
                                           return s.markets[a].id < s.markets[b].id;
                                         }),
                        slot);
  sink.Emit(events::MarketCreated{.market = plan.market});
  return {};
}

Reason Validate(const State& s, const UpdateMarket& c, MarketPlan* plan) {
  const std::uint32_t mi = s.FindMarket(c.market);
  if (mi == kNone) return Reason::kUnknownMarket;
  if (c.params == nullptr) return Reason::kInvalidMarketParams;
  const Market& m = s.markets[mi];
  const MarketParams& old = m.params;
  const MarketParams& p = *c.params;
  if (!(p.tick_size == old.tick_size) || !(p.lot_size == old.lot_size) ||
      p.max_orders_per_account != old.max_orders_per_account ||
      p.max_levels_per_side != old.max_levels_per_side ||
      p.max_book_orders != old.max_book_orders ||
      p.max_matches_per_order != old.max_matches_per_order) {
    return Reason::kParamImmutable;
  }
  // Positions and resting orders were admitted under the old bounds; lowering
  // either while they exist would let old sizes meet new prices (or the
  // reverse) beyond the 2^54 notional bound every product relies on.
  // (A settling market may hold shorts with no long left: settle_market.cpp.)
  const bool live = m.oi_long > 0 || m.oi_short > 0 || m.book.order_count() > 0;
  if (live && (p.max_open_interest < old.max_open_interest || p.max_price < old.max_price)) {
    return Reason::kParamImmutable;
  }
  if (p.max_price < old.max_price && p.max_price < HighestHeldPrice(m)) {
    return Reason::kMaxPriceBelowMarketPrice;
  }
  std::string why;
  if (Reason r = CheckMarketParams(s.config, p, &plan->atoms, &why); r != Reason::kOk) {
    return r;
  }
  // After the check: the cap divides by max_price, which it validated.
  if (live && MarketOpenInterestCap(p, plan->atoms) < m.oi_cap) return Reason::kParamImmutable;
  plan->params = c.params.get();
  plan->market = c.market;
  plan->market_slot = mi;
  return Reason::kOk;
}

Outcome ApplyUpdateMarket(State& s, const MarketPlan& plan, EventSink& sink) {
  Market& m = s.markets[plan.market_slot];
  auto tiers = risk::TierTable::Create(plan.params->tiers);
  PERPCORE_CHECK(tiers.ok());
  PERPCORE_CHECK(m.book.SetPriceBand(plan.params->price_band) == Reason::kOk);
  if (!(plan.params->oracle == m.params.oracle)) m.feed.Reconfigure(plan.params->oracle);
  // The running interval closes with the old parameters (a delisted
  // market's funding is frozen).
  if (!(plan.params->funding == m.params.funding) && m.status != MarketStatus::kDelisted) {
    CloseFunding(s, plan.market_slot, plan.params->funding, sink);
  }
  if (plan.params->funding.counterparty != m.params.funding.counterparty) {
    const std::uint32_t ai = s.FindAccount(AccountId(plan.params->funding.counterparty));
    const Position* p = ai == kNone ? nullptr : FindPosition(s.accounts[ai], m.id);
    m.counterparty_size = p != nullptr ? p->size : 0;
  }
  const bool rekey =
      !(plan.params->tiers == m.params.tiers) ||
      plan.params->liquidation.warning_threshold != m.params.liquidation.warning_threshold;
  m.tiers = *std::move(tiers);
  m.params = *plan.params;
  // The candidate entries are keyed by tier and the warning entries by the
  // threshold too (liquidation_index.hpp).
  if (rekey) ResetMarketIndex(s, plan.market_slot);
  m.oi_cap = MarketOpenInterestCap(m.params, m.atoms);
  sink.Emit(events::MarketUpdated{.market = plan.market});
  return {};
}

Reason Validate(const State& s, const SetMarketStatus& c, MarketPlan* plan) {
  const std::uint32_t mi = s.FindMarket(c.market);
  if (mi == kNone) return Reason::kUnknownMarket;
  if (Raw(c.status) > Raw(MarketStatus::kDelisted)) return Reason::kInvalidStatus;
  if (s.markets[mi].status == MarketStatus::kDelisted) return Reason::kInvalidStatus;
  plan->market = c.market;
  plan->market_slot = mi;
  plan->status = c.status;
  return Reason::kOk;
}

Outcome ApplySetMarketStatus(State& s, const MarketPlan& plan, EventSink& sink) {
  // Funding accrues up to the change under the old status (funding_tick.cpp).
  if (FundingDue(s.markets[plan.market_slot], s.now)) {
    AdvanceFunding(s, plan.market_slot, false, sink);
  }
  s.markets[plan.market_slot].status = plan.status;
  sink.Emit(events::MarketStatusChanged{.market = plan.market, .status = plan.status});
  return {};
}

}  // namespace engine
PERPCORE_NAMESPACE_END
