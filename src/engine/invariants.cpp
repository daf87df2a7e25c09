// CheckInvariants: conservation and every aggregate, recomputed from scratch.
#include <algorithm>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "perpcore/detail/int128_text.hpp"
#include "ledger.hpp"
#include "liquidation_index.hpp"
#include "state.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {

using absl::int128;

namespace {

// Why `ladder` is not the orders of `side` in `orders` aggregated by price,
// from the worst price for the account to the best (bids by descending
// price, asks by ascending), with running sums of lots and price * lots
// through each level (every level and every sum recomputed here); empty if
// it is.
template <class Ladder>
std::string LadderMismatch(const Ladder& ladder, Side side,
                           std::span<const book::OrderView> orders) {
  std::vector<std::pair<std::int64_t, std::int64_t>> levels;  // price, lots
  for (const book::OrderView& o : orders) {
    if (o.side == side) levels.emplace_back(o.price.raw(), o.remaining.raw());
  }
  std::sort(levels.begin(), levels.end());
  if (side == Side::kBuy) std::reverse(levels.begin(), levels.end());
  std::size_t k = 0;  // merge equal prices into levels[0, k)
  for (const auto& [price, lots] : levels) {
    if (k > 0 && levels[k - 1].first == price) {
      levels[k - 1].second += lots;
    } else {
      levels[k++] = {price, lots};
    }
  }
  levels.resize(k);
  if (ladder.levels() != levels.size()) {
    return absl::StrCat(ladder.levels(), " price levels, the book has ", levels.size());
  }
  int128 lots = 0, value = 0;
  for (std::size_t i = 0; i < levels.size(); ++i) {
    const auto& [price, level_lots] = levels[i];
    lots += level_lots;
    value += int128(price) * level_lots;
    const typename Ladder::Level got = ladder.level(i);
    if (got.price != price || ladder.LotsAt(i) != level_lots || got.lots_through != lots ||
        got.value_through != value) {
      return absl::StrCat("level ", i, " (price ", got.price, ", ", ladder.LotsAt(i),
                          " lots) disagrees with the book's (price ", price, ", ", level_lots,
                          " lots) or its running sums");
    }
  }
  if (ladder.lots() != lots || ladder.value() != value) return "totals disagree with the book";
  return {};
}

}  // namespace

absl::Status Engine::CheckInvariants() const {
  auto fail = [](auto&&... parts) { return absl::InternalError(absl::StrCat(Printable(parts)...)); };
  int128 money = int128(s_->fee_pool) + s_->insurance + s_->funding_residual - s_->shortfall;
  if (s_->insurance < 0 || s_->shortfall < 0) {
    return fail("insurance fund ", s_->insurance, " or shortfall ",
                detail::Int128Text(s_->shortfall), " below zero");
  }
  for (const Market& m : s_->markets) money += m.funding_pool + m.settlement_pool;
  std::vector<int128> longs(s_->markets.size()), shorts(s_->markets.size());
  // Per market, the funding identity of ledger.hpp: with Owed() * scale -
  // ExcessOf() = (I - I_p) * size exactly, pool * scale - carry + sum of
  // (I - I_p) * size = 0 reads sum of Owed + pool = (sum of excess + carry)
  // / scale, a whole number.
  std::vector<int128> owed(s_->markets.size()), excess(s_->markets.size());
  std::vector<book::OrderView> buf;
  for (const Account& a : s_->accounts) {
    money += a.cash;
    MarketId prev = 0;
    for (const Position& p : a.positions) {
      if (p.market <= prev) return fail("account ", a.id, " positions are not sorted");
      prev = p.market;
      const Market& m = s_->markets[p.market_slot];
      if (m.id != p.market) return fail("account ", a.id, " position points at the wrong market");
      money += p.iso_cash;
      if (p.size == 0 && p.open_orders == 0) {
        return fail("account ", a.id, " market ", p.market, " keeps an empty record");
      }
      const MarketPref pref = PrefOf(a, p.market);
      if (p.mode != pref.mode || p.leverage != pref.leverage) {
        return fail("account ", a.id, " market ", p.market, " record's mode/leverage ",
                    Raw(p.mode), "/", p.leverage, " are not the account's choice ",
                    Raw(pref.mode), "/", pref.leverage);
      }
      if (p.size == 0 && p.iso_cash != 0) {
        return fail("account ", a.id, " market ", p.market, " keeps an isolated bucket without a position");
      }
      if (p.mode == MarginMode::kCross && p.iso_cash != 0) {
        return fail("account ", a.id, " market ", p.market, " is cross with an isolated bucket");
      }
      (p.size > 0 ? longs : shorts)[p.market_slot] += p.size > 0 ? p.size : -int128(p.size);
      const funding::Settlement pending =
          funding::SettlementOf(m.funding.index(), p.funding_index, p.size);
      owed[p.market_slot] += pending.owed;
      excess[p.market_slot] += pending.excess;
      if (a.id == AccountId(m.params.funding.counterparty) && p.size != m.counterparty_size) {
        return fail("market ", m.id, " counts its funding counterparty's position as ",
                    m.counterparty_size, ", it is ", p.size);
      }
      if (m.book.account_order_count(a.id) != p.open_orders) {
        return fail("account ", a.id, " market ", p.market, " counts ", p.open_orders,
                    " open orders, the book has ", m.book.account_order_count(a.id));
      }
      buf.resize(p.open_orders);
      const std::size_t n = m.book.OrdersOf(a.id, buf);
      const std::span<const book::OrderView> orders = std::span(buf).first(n);
      if (const std::string why = LadderMismatch(p.bids, Side::kBuy, orders); !why.empty()) {
        return fail("account ", a.id, " market ", p.market, " bids: ", why);
      }
      if (const std::string why = LadderMismatch(p.asks, Side::kSell, orders); !why.empty()) {
        return fail("account ", a.id, " market ", p.market, " asks: ", why);
      }
    }
    // The cash bound (ledger.hpp): an unlocked account's buckets are within
    // it; a locked one rests no order.
    bool beyond = !ledger::WithinSoftBound(a.cash);
    bool resting = false;
    for (const Position& p : a.positions) {
      beyond = beyond || !ledger::WithinSoftBound(p.iso_cash);
      resting = resting || p.open_orders > 0;
    }
    if (beyond && !a.cash_locked) return fail("account ", a.id, " has cash beyond the bound, unlocked");
    if (a.cash_locked && resting) return fail("account ", a.id, " is locked with resting orders");
    prev = 0;
    for (const MarketPref& pref : a.prefs) {
      if (pref.market <= prev) return fail("account ", a.id, " market choices are not sorted");
      prev = pref.market;
      if (s_->FindMarket(pref.market) == kNone) {
        return fail("account ", a.id, " keeps a choice for unknown market ", pref.market);
      }
      if (pref.IsDefault() || Raw(pref.mode) > Raw(MarginMode::kIsolated)) {
        return fail("account ", a.id, " market ", pref.market, " keeps a default or invalid choice");
      }
    }
  }
  if (money != s_->deposits - s_->withdrawals) {
    const int128 gap = money - (s_->deposits - s_->withdrawals);
    // Whole: the gap is an int128 and may not fit int64 (absl formats it).
    return fail("conservation: cash + fee pool + insurance + funding pools + funding residual "
                "- shortfall differs from deposits - withdrawals by ",
                detail::Int128Text(gap), " atoms");
  }
  for (std::size_t i = 0; i < s_->markets.size(); ++i) {
    const Market& m = s_->markets[i];
    // A settling market's closed positions were paid by (or paid) its
    // settlement pool at the settlement price, so the open interest still
    // open is unbalanced by exactly the pool (settle_market.cpp).
    const bool settling = m.settlement == SettlementPhase::kSettling;
    if (longs[i] != m.oi_long || shorts[i] != m.oi_short ||
        (!settling && m.oi_long != m.oi_short)) {
      return fail("market ", m.id, " open interest long ", m.oi_long, " short ", m.oi_short,
                  " disagrees with positions");
    }
    if (m.settlement_pool !=
        int128(m.oi_long - m.oi_short) * m.settle_price.raw() * m.atoms) {
      return fail("market ", m.id, " settlement pool ", detail::Int128Text(m.settlement_pool),
                  " is not the unbalanced open interest at the settlement price");
    }
    if (m.settlement != SettlementPhase::kNone && m.status != MarketStatus::kDelisted) {
      return fail("market ", m.id, " settles without being delisted");
    }
    if (m.settlement == SettlementPhase::kSettled &&
        (m.oi_long != 0 || m.book.order_count() != 0)) {
      return fail("market ", m.id, " is settled with open interest or orders");
    }
    const int128 carried = excess[i] + m.funding_carry;
    if (m.funding_carry < 0 || m.funding_carry >= funding::kIndexScale ||
        carried % funding::kIndexScale != 0 ||
        owed[i] + m.funding_pool != carried / funding::kIndexScale) {
      return fail("market ", m.id, " funding: pool ", detail::Int128Text(m.funding_pool),
                  " + pending ", detail::Int128Text(owed[i]), " is not the rounding (",
                  detail::Int128Text(carried), " index units)");
    }
    if (absl::Status s = m.book.CheckInvariants(); !s.ok()) {
      return fail("market ", m.id, " book: ", s.message());
    }
  }
  if (absl::Status s = CheckAdlQueues(*s_); !s.ok()) return s;
  if (absl::Status s = CheckLiquidationIndex(*s_); !s.ok()) {
    return fail("liquidation index: ", s.message());
  }
  return absl::OkStatus();
}

}  // namespace engine
PERPCORE_NAMESPACE_END
