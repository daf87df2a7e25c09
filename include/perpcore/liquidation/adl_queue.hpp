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
#include <set>

#include "absl/functional/function_ref.h"
#include "perpcore/core/side.hpp"
#include "perpcore/detail/chunked_vector.hpp"
#include "perpcore/detail/config.hpp"
#include "perpcore/detail/slot_index.hpp"

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

  std::size_t size() const { return longs_set_.size() + shorts_set_.size(); }
  std::size_t size(Side side) const {
    return side == Side::kBuy ? longs_set_.size() : shorts_set_.size();
  }

  // Upsert(): files the entry of `e.slot` (replacing its old one); nothing
  // moves if it is unchanged. Requires cost, size >= 1 and slot < 2^32 - 2.
  // O(log n). If an allocation throws, the queue is as before.
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
  // One set per side, by leverage setting, then within a setting the best
  // entry price first (longs the lowest cost / size, shorts the highest),
  // then the account id. A setting's first key: cost 0 (longs) or
  // INT64_MAX (shorts) at size 1, account 0, which no entry equals.
  struct Key {
    std::uint32_t leverage;
    std::int64_t cost;
    std::int64_t size;
    std::uint64_t account;
    std::uint64_t slot;
  };
  struct LongOrder {
    bool operator()(const Key& a, const Key& b) const;
  };
  struct ShortOrder {
    bool operator()(const Key& a, const Key& b) const;
  };
  // std::set, not absl's btree: an allocation that fails in a btree node
  // split loses a node (found by the engine's allocation-failure sweep),
  // while a std::set insert allocates one node or changes nothing.
  template <class Order>
  using Set = std::set<Key, Order>;

  template <class Order>
  static void Merge(const Set<Order>& set, Side side, std::int64_t value_per_lot,
                    Effective effective, absl::FunctionRef<bool(const AdlEntry&)> visit);
  static Key KeyOf(const AdlEntry& e) { return {e.leverage, e.cost, e.size, e.account, e.slot}; }

  // The entries by slot: records (a free list) found through a SlotIndex,
  // as in CandidateIndex, whose order of steps this follows so that an
  // allocation that fails leaves the queue consistent.
  struct Record {
    AdlEntry entry;
    std::uint32_t next_free;
    bool live;
  };
  std::uint32_t RecordOf(std::uint64_t slot) const;
  void InsertKey(const AdlEntry& e);
  void EraseKey(const AdlEntry& e);

  Set<LongOrder> longs_set_;
  Set<ShortOrder> shorts_set_;
  detail::ChunkedVector<Record> records_;
  std::uint32_t free_head_ = detail::SlotIndex::kNone;
  // Made by the first Upsert: a default-constructed queue allocates nothing
  // (it is a member of the engine's Market, built by aggregate
  // initialization, where a throwing member constructor is best avoided).
  std::optional<detail::SlotIndex> lookup_;
};

}  // namespace liquidation
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_LIQUIDATION_ADL_QUEUE_HPP_
