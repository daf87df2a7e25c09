// The canonical encoding of the whole state and its digest.
#include <algorithm>
#include <utility>
#include <vector>

#include "perpcore/detail/digest.hpp"
#include "perpcore/detail/encode.hpp"
#include "state.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {

using detail::PutI128;
using detail::PutI64;
using detail::PutU32;
using detail::PutU64;
using detail::PutU8;

namespace {

// A side's open orders as what defines them, the lots at each price, from
// the worst price for the account to the best (bids by descending price,
// asks by ascending); the running sums are derived and not encoded.
template <class Ladder>
void EncodeLadder(const Ladder& ladder, std::string* out) {
  PutU32(out, static_cast<std::uint32_t>(ladder.levels()));
  for (std::size_t i = 0; i < ladder.levels(); ++i) {
    PutI64(out, ladder.level(i).price);
    PutI64(out, ladder.LotsAt(i));
  }
}

void EncodeFundingParams(const funding::FundingParams& f, std::string* out) {
  PutU8(out, Raw(f.model));
  PutU8(out, Raw(f.payment));
  PutU8(out, Raw(f.price));
  PutI64(out, f.interval.raw());
  PutI64(out, f.period.raw());
  PutI64(out, f.sample_cadence.raw());
  PutU8(out, Raw(f.weighting));
  PutI64(out, f.impact_notional);
  PutI64(out, f.interest.raw());
  PutI64(out, f.interest_band.raw());
  PutU8(out, Raw(f.cap_mode));
  PutI64(out, f.cap.raw());
  PutI64(out, f.floor.raw());
  PutI64(out, f.cap_multiple.raw());
  PutU64(out, f.counterparty);
  for (Rate r : {f.skew_kappa, f.skew_factor, f.skew_exponent, f.skew_max, f.ramp_up, f.decay,
                 f.stable_threshold, f.decay_threshold}) {
    PutI64(out, r.raw());
  }
}

void EncodeLiquidationParams(const liquidation::LiquidationParams& l, std::string* out) {
  for (Rate r : {l.warning_threshold, l.fee, l.keeper_share, l.buffer}) PutI64(out, r.raw());
  PutI64(out, l.chunk_threshold);
  PutI64(out, l.chunk_fraction.raw());
  PutI64(out, l.cooldown.raw());
  PutI64(out, l.bankruptcy_adjustment.raw());
  PutI64(out, l.spread_to_maintenance.raw());
  PutI64(out, l.max_notional_per_command);
  PutU64(out, l.backstop);
  PutI64(out, l.backstop_threshold.raw());
  PutU8(out, Raw(l.loss_policy));
}

}  // namespace

void Engine::EncodeCanonical(std::string* out) const {
  PutU64(out, s_->last_seq);
  PutI64(out, s_->now.raw());
  PutU32(out, s_->config.quote_decimals);
  PutU32(out, static_cast<std::uint32_t>(s_->config.fee_tier_discounts.size()));
  for (Rate d : s_->config.fee_tier_discounts) PutI64(out, d.raw());
  PutI64(out, s_->config.referrer_share.raw());
  PutU32(out, s_->config.max_markets);
  PutU32(out, s_->config.max_accounts);
  PutI64(out, s_->config.withdraw_margin_fraction.raw());
  PutI64(out, s_->fee_pool);
  PutI64(out, s_->insurance);
  PutI128(out, s_->deposits);
  PutI128(out, s_->withdrawals);
  PutI128(out, s_->funding_residual);
  PutI128(out, s_->shortfall);

  PutU32(out, static_cast<std::uint32_t>(s_->market_order.size()));
  for (std::uint32_t mi : s_->market_order) {
    const Market& m = s_->markets[mi];
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
    PutU8(out, Raw(p.withdrawable_pnl));
    PutI64(out, p.stress_fraction.raw());
    PutI64(out, p.max_market_open_interest.raw());
    PutU32(out, p.max_matches_per_order);
    EncodeFundingParams(p.funding, out);
    EncodeLiquidationParams(p.liquidation, out);
    PutU8(out, Raw(m.status));
    PutI64(out, m.mark.raw());
    PutI64(out, m.last_index.raw());
    PutI64(out, m.last_trade.raw());
    PutI64(out, m.oi_long);
    PutI64(out, m.oi_short);
    PutI64(out, m.volume);
    PutI64(out, m.notional_volume);
    m.feed.EncodeCanonical(out);
    m.book.EncodeCanonical(out);
    m.funding.EncodeCanonical(out);
    m.funding_history.EncodeCanonical(out);
    PutI128(out, m.funding_pool);
    PutI64(out, m.funding_carry);
    // Final settlement (settle_market.cpp). The cursor is an account slot:
    // the place of an account in the order of CreateAccount commands.
    PutU8(out, Raw(m.settlement));
    PutI64(out, m.settle_price.raw());
    PutU32(out, m.settle_cursor);
    PutI128(out, m.settlement_pool);
  }

  std::vector<std::pair<AccountId, std::uint32_t>> accounts;
  accounts.reserve(s_->accounts.size());
  for (std::uint32_t i = 0; i < s_->accounts.size(); ++i) accounts.emplace_back(s_->accounts[i].id, i);
  std::sort(accounts.begin(), accounts.end());
  PutU32(out, static_cast<std::uint32_t>(accounts.size()));
  for (const auto& [id, ai] : accounts) {
    const Account& a = s_->accounts[ai];
    PutU64(out, id);
    // The account's creation index (its slot): the order of CreateAccount
    // commands is state, because work that runs over accounts a bounded
    // number at a time (a settlement's cursor, the candidate index's ties)
    // follows it, so two engines with equal digests behave alike.
    PutU32(out, ai);
    PutU64(out, a.owner);
    PutI64(out, a.cash);
    PutU32(out, a.fee_tier);
    PutU64(out, a.referrer);
    PutU8(out, Raw(a.stp_scope));
    PutU8(out, a.cash_locked ? 1 : 0);
    PutU8(out, a.warned ? 1 : 0);
    PutU32(out, static_cast<std::uint32_t>(a.warned_buckets.size()));
    for (const MarketId m : a.warned_buckets) PutU32(out, m);
    PutU32(out, static_cast<std::uint32_t>(a.positions.size()));
    for (const Position& p : a.positions) {
      PutU32(out, p.market);
      PutU8(out, Raw(p.mode));
      PutU32(out, p.leverage);
      PutI64(out, p.size);
      PutI64(out, p.cost);
      PutI64(out, p.realized);
      PutI64(out, p.iso_cash);
      PutI128(out, p.funding_index);
      PutI64(out, p.last_partial.raw());
      EncodeLadder(p.bids, out);
      EncodeLadder(p.asks, out);
      PutU32(out, p.open_orders);
    }
    PutU32(out, static_cast<std::uint32_t>(a.prefs.size()));
    for (const MarketPref& pref : a.prefs) {
      PutU32(out, pref.market);
      PutU8(out, Raw(pref.mode));
      PutU32(out, pref.leverage);
    }
  }
}

std::array<std::uint8_t, 32> Engine::Digest() const {
  std::string bytes;
  EncodeCanonical(&bytes);
  return detail::TaggedDigest("perpcore/engine", bytes);
}

}  // namespace engine
PERPCORE_NAMESPACE_END
