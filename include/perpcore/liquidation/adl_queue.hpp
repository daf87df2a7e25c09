// AdlQueue: the auto-deleveraging ranking of one market's positions.
//
// When a bankrupt position cannot be closed without a loss nobody covers
// (engine.hpp, "Auto-deleveraging"), positions on the other side are closed
// against it, best ranked first. The ranking is our documented choice:
//
//   score = L * PnL%,   PnL% = (V * size - cost) / cost    (a long)
//                              (cost - V * size) / cost    (a short)
//
// with cost the position's entry value and size its lots (both > 0 here),
// V the mark's value of one lot (mark * atoms per tick-lot) and L the
// position's leverage setting (the market's max_leverage where none was
// chosen, capped by it). Higher first; equal scores by account id.
// It is BitMEX's and Poloniex's "PnL% x leverage" for profitable positions
// with the leverage setting in place of the effective leverage (notional /
// equity), and it ranks losing positions after every profitable one, the
// more leveraged of two equally losing ones last (BitMEX divides by the
// effective leverage there; multiplying orders them the same way). Binance
// ranks by unrealized profit over wallet balance times margin ratio
// (FAQ 360033525471) and Hyperliquid by mark / entry times notional /
// account value; both depend on each account's equity, so any index over
// them must be re-sorted as marks move. Ours does not: within one leverage
// setting the order is the order of entry prices whatever the mark (PnL% is
// monotone in cost / size for a given V), so each setting keeps its
// positions sorted by entry price, updated only when a position changes,
// and Ranked() merges the settings' lists exactly at the current mark.
//
// Exact: scores are compared by cross-multiplication in int128:
//   La * (V sa - ca) * cb  vs  Lb * (V sb - cb) * ca   (longs; shorts negate)
// with V * size and cost below 2^54 (the market's notional bound) and L <=
// 150: below 2^117.
//
// Keys are account slots (`id`): the engine passes the account's slot, and
// ties between equal scores go to the lower account id, passed alongside.
#ifndef PERPCORE_LIQUIDATION_ADL_QUEUE_HPP_
#define PERPCORE_LIQUIDATION_ADL_QUEUE_HPP_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/functional/function_ref.h"
#include "perpcore/core/side.hpp"
#include "perpcore/detail/config.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace liquidation {

// AdlEntry: one position. side kBuy for a long; leverage: the setting as
// chosen (0: none, the market's max); cost and size > 0 (magnitudes);
// account: the account id (ties).
struct AdlEntry {
  std::uint64_t slot = 0;
  std::uint64_t account = 0;
  Side side = Side::kBuy;
  std::uint32_t leverage = 0;
  std::int64_t cost = 0;
  std::int64_t size = 0;
  friend bool operator==(const AdlEntry&, const AdlEntry&) = default;
};

// AdlRank: where a position stands on its side: `rank` positions come
// before it (0: first to be deleveraged) of `count`; `bucket` 4 for the
// first fifth of the side down to 0 for the last (Binance's adlQuantile, 5
// lights): 4 - floor(5 * rank / count).
struct AdlRank {
  std::size_t rank = 0;
  std::size_t count = 0;
  std::uint32_t bucket = 0;
};

class AdlQueue {
 public:
  // Effective(): a leverage setting (0: none) -> the leverage the score
  // uses, 1..150.
  using Effective = absl::FunctionRef<std::uint32_t(std::uint32_t)>;

  std::size_t size() const { return by_slot_.size(); }
  std::size_t size(Side side) const { return side == Side::kBuy ? longs_ : shorts_; }

  // Upsert(): files the entry of `e.slot` (replacing its old one); nothing
  // moves if it is unchanged. Requires cost, size >= 1. O(log n).
  void Upsert(const AdlEntry& e);
  // Erase(): removes the entry of `slot`; false if there is none. O(log n).
  bool Erase(std::uint64_t slot);
  std::optional<AdlEntry> Find(std::uint64_t slot) const;

  // Ranked(): visits the entries of `side` best first at lot value V >= 1
  // until `visit` returns false. O(G log n) to start and O(G) per entry
  // visited, G the side's distinct leverage settings (at most 151).
  void Ranked(Side side, std::int64_t value_per_lot, Effective effective,
              absl::FunctionRef<bool(const AdlEntry&)> visit) const;

  // RankOf(): the entry's place on its side at V; nullopt without one.
  // O(n of the side): a query, not a command's work.
  std::optional<AdlRank> RankOf(std::uint64_t slot, std::int64_t value_per_lot,
                                Effective effective) const;

  // Before(): whether a ranks strictly before b (both of `side`) at V with
  // their effective leverages la, lb: the score, then the account id. O(1).
  static bool Before(Side side, const AdlEntry& a, std::uint32_t la, const AdlEntry& b,
                     std::uint32_t lb, std::int64_t value_per_lot);

 private:
  struct Key {
    std::int64_t cost;
    std::int64_t size;
    std::uint64_t account;
    std::uint64_t slot;
  };
  // Within one setting: the best entry price first (longs the lowest
  // cost / size, shorts the highest), then the account id.
  struct LongOrder {
    bool operator()(const Key& a, const Key& b) const;
  };
  struct ShortOrder {
    bool operator()(const Key& a, const Key& b) const;
  };
  template <class Order>
  using Groups = absl::btree_map<std::uint32_t, absl::btree_set<Key, Order>>;

  template <class Order>
  static void Merge(const Groups<Order>& groups, Side side, std::int64_t value_per_lot,
                    Effective effective, absl::FunctionRef<bool(const AdlEntry&)> visit);
  void Remove(const AdlEntry& e);

  absl::btree_map<std::uint64_t, AdlEntry> by_slot_;
  Groups<LongOrder> long_groups_;
  Groups<ShortOrder> short_groups_;
  std::size_t longs_ = 0, shorts_ = 0;
};

}  // namespace liquidation
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_LIQUIDATION_ADL_QUEUE_HPP_
