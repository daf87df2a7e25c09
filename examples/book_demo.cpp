// -----------------------------------------------------------------------------
// File: examples/book_demo.cpp
// -----------------------------------------------------------------------------
//
// Replays a generated order flow through one order book (a BTC-USD perpetual
// with a 0.1 USD tick and a 0.001 BTC lot) and prints what happened: request
// and trade counts, volume, an exact VWAP, the top of the book, a depth
// ladder, rejects by reason and the book's digest.
//
// Usage: book_demo [--orders N] [--seed S]
//
// The flow is deterministic: one splitmix64 stream seeded by --seed drives
// everything, so the same flags print the same report (and the same digest)
// on every machine. Only the elapsed time, which is wall-clock and reported
// for information, differs between runs.
//
// The flow, one request per step (plus the pulls below):
//   * a fair price does a slow random walk (1 tick with probability 1/40 per
//     step) with rare jumps of 20-80 ticks; the book's reference price (and so
//     its +-5% band) follows it every 5,000 steps;
//   * 16 market makers quote post-only (15% post-only-slide) 1 + Geometric
//     ticks behind the fair price, larger further out; after three in four
//     moves of the fair price they pull the quotes it moved through, and a
//     maker that leans in to quote at the fair price itself can meet one they
//     did not pull: POST_ONLY_WOULD_CROSS;
//   * 200 takers send IOC limits, market orders with a 1% protection price,
//     FOKs and marketable GTC limits whose remainder rests, with heavy-tailed
//     sizes (a few sweep several levels);
//   * makers hedge with IOC orders under a random self-trade mode, which meet
//     their own quotes: self-trade prevention at work;
//   * cancels (by id, by client id, some too late: the order already traded,
//     some by the wrong account) keep the book near 6,000 live orders, and
//     amends re-price or resize quotes;
//   * rarely a fat finger (size over the limit, a price outside the band, a
//     reused client id, a zero size) and, every 250,000 steps, a maker
//     disconnect (cancel-all).
//
// The summary counts every request and event, sums the traded notional
// exactly in 128 bits, and prints money and sizes with FormatDecimal: the
// demo itself never uses floating point except for the elapsed time.
//
// Progress goes to stderr every 10%; the report goes to stdout.

#include <array>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "fmt/format.h"
#include "perpcore/book/order_book.hpp"
#include "perpcore/book/types.hpp"
#include "perpcore/core/decimal.hpp"
#include "perpcore/core/fixed.hpp"
#include "perpcore/version.hpp"

namespace {

using perpcore::DecimalScale;
using perpcore::DivRound;
using perpcore::Lots;
using perpcore::Rate;
using perpcore::Round;
using perpcore::Ticks;
using perpcore::book::AmendRequest;
using perpcore::book::BookConfig;
using perpcore::book::CancelReason;
using perpcore::book::Event;
using perpcore::book::EventKind;
using perpcore::book::LevelView;
using perpcore::book::OrderBook;
using perpcore::book::OrderRequest;
using perpcore::book::OrderType;
using perpcore::book::OrderView;
using perpcore::book::PlaceResult;
using perpcore::book::Reason;
using perpcore::book::Side;
using perpcore::book::StpMode;
using perpcore::book::TimeInForce;

// The market: ticks of 0.1 USD, lots of 0.001 BTC. One tick times one lot is
// 1e-4 USD of notional.
constexpr DecimalScale kUsdPerTick{.decimals = 1, .step = 1};
constexpr DecimalScale kBtcPerLot{.decimals = 3, .step = 1};
constexpr std::int64_t kStartMid = 650'000;      // 65,000.0 USD
constexpr std::int64_t kMaxOrderLots = 100'000;  // 100 BTC
constexpr std::uint64_t kMakers = 16;
constexpr std::uint64_t kTakers = 200;
constexpr std::uint64_t kFirstTaker = 1001;
constexpr std::size_t kTargetLive = 6'000;
constexpr int kLadderLevels = 10;
constexpr int kBarWidth = 40;

// -- randomness -----------------------------------------------------------------

// SplitMix64
//
// Steele, Lea and Flood's generator: tiny, fast, and the same stream on every
// platform. Not thread-safe.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}

  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, n) for n >= 1, without modulo bias (Lemire's method).
  std::uint64_t Below(std::uint64_t n) {
    absl::uint128 m = absl::uint128(Next()) * n;
    auto low = absl::Uint128Low64(m);
    if (low < n) {
      const std::uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = absl::uint128(Next()) * n;
        low = absl::Uint128Low64(m);
      }
    }
    return absl::Uint128High64(m);
  }

  // Uniform in [lo, hi].
  std::int64_t Range(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(Below(static_cast<std::uint64_t>(hi - lo) + 1));
  }

  // True with probability num/den.
  bool Chance(std::uint64_t num, std::uint64_t den) { return Below(den) < num; }

  // Failures before the first success with success probability 1/mean_plus_one,
  // capped: a geometric distance with mean about `mean`.
  std::int64_t Geometric(std::uint64_t mean, std::int64_t cap) {
    std::int64_t k = 0;
    while (k < cap && !Chance(1, mean + 1)) ++k;
    return k;
  }

  Side AnySide() { return Chance(1, 2) ? Side::kBuy : Side::kSell; }

 private:
  std::uint64_t state_;
};

// -- what the flow knows about the book ----------------------------------------

// LiveOrder / LiveSet
//
// The generator's view of the live orders, kept from the book's events. The
// vector gives uniform random picks; the hash map is lookup only and is never
// iterated, so the flow stays deterministic.
struct LiveOrder {
  perpcore::OrderId id = 0;
  perpcore::AccountId account = 0;
  perpcore::ClientOrderId client_id = 0;
  Side side = Side::kBuy;
  std::int64_t price = 0;
  std::int64_t remaining = 0;
};

class LiveSet {
 public:
  void Add(const LiveOrder& o) {
    index_[o.id] = orders_.size();
    orders_.push_back(o);
  }
  LiveOrder* Find(perpcore::OrderId id) {
    auto it = index_.find(id);
    return it == index_.end() ? nullptr : &orders_[it->second];
  }
  void Remove(perpcore::OrderId id) {
    auto it = index_.find(id);
    if (it == index_.end()) return;
    const std::size_t i = it->second;
    index_.erase(it);
    if (i + 1 != orders_.size()) {
      orders_[i] = orders_.back();
      index_[orders_[i].id] = i;
    }
    orders_.pop_back();
  }
  std::size_t size() const { return orders_.size(); }
  bool empty() const { return orders_.empty(); }
  const LiveOrder& at(std::size_t i) const { return orders_[i]; }

 private:
  std::vector<LiveOrder> orders_;
  absl::flat_hash_map<perpcore::OrderId, std::size_t> index_;
};

// -- statistics -------------------------------------------------------------------

enum class Request { kPlace = 0, kCancel = 1, kAmend = 2, kCancelAll = 3 };
constexpr std::array<std::string_view, 4> kRequestNames = {"place", "cancel", "amend",
                                                           "cancel-all"};

struct Stats {
  std::array<std::uint64_t, 4> requests{};
  std::array<std::uint64_t, 4> refused{};
  // Reason -> refusals per request kind; std::map so it prints in enum order.
  std::map<Reason, std::array<std::uint64_t, 4>> rejects;

  std::uint64_t pulled = 0;  // cancels of quotes the fair price moved through
  std::uint64_t quotes = 0, ioc = 0, market = 0, fok = 0, gtc_taker = 0, hedges = 0,
                fat_fingers = 0;

  std::uint64_t trades = 0;
  std::int64_t volume_lots = 0;
  std::int64_t buy_aggressor_lots = 0;
  absl::int128 notional = 0;  // sum(price * size) in tick-lots
  std::int64_t high = 0, low = 0;

  std::uint64_t rested = 0, reduced = 0, amended = 0, amended_kept_priority = 0;
  std::array<std::uint64_t, 5> canceled{};  // by CancelReason
  std::int64_t reduced_lots = 0;
};

// -- formatting -------------------------------------------------------------------

// Dec()
//
// `units` as decimal text, or a marker if the scale is bad (a bug here).
std::string Dec(std::int64_t units, DecimalScale scale) {
  absl::StatusOr<std::string> s = perpcore::FormatDecimal(units, scale);
  return s.ok() ? *s : fmt::format("<{}>", std::string(s.status().message()));
}

std::string Usd(std::int64_t ticks) { return Dec(ticks, kUsdPerTick); }
std::string Btc(std::int64_t lots) { return Dec(lots, kBtcPerLot); }

// Padded()
//
// Decimal text with exactly scale.decimals digits after the point, for
// columns that line up ("65002" -> "65002.0" at one decimal).
std::string Padded(std::int64_t units, DecimalScale scale) {
  std::string s = Dec(units, scale);
  if (scale.decimals <= 0 || s.starts_with('<')) return s;
  const std::size_t dot = s.find('.');
  const std::size_t have = dot == std::string::npos ? 0 : s.size() - dot - 1;
  if (dot == std::string::npos) s.push_back('.');
  s.append(static_cast<std::size_t>(scale.decimals) -
               std::min(have, static_cast<std::size_t>(scale.decimals)),
           '0');
  return s;
}

// Grouped(): 1234567 -> "1,234,567".
std::string Grouped(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}
std::string Grouped(std::int64_t n) {
  if (n >= 0) return Grouped(static_cast<std::uint64_t>(n));
  return fmt::format("-{}", Grouped(static_cast<std::uint64_t>(-(n + 1)) + 1));
}

// Quotient()
//
// num / den rounded as `r` at `scale`, as text; "n/a" for den == 0 and
// "overflow" if it leaves int64.
std::string Quotient(absl::int128 num, absl::int128 den, Round r, DecimalScale scale) {
  if (den == 0) return "n/a";
  absl::StatusOr<std::int64_t> q = DivRound(num, den, r);
  if (!q.ok()) return "overflow";
  return Dec(*q, scale);
}

std::string Percent(std::uint64_t part, std::uint64_t whole) {
  // Hundredths of a percent, half-even.
  if (whole == 0) return "-";
  return Quotient(absl::int128(part) * 10'000, whole, Round::kHalfEven,
                  DecimalScale{.decimals = 2, .step = 1}) +
         "%";
}

// -- the flow -----------------------------------------------------------------------

struct Options {
  std::uint64_t orders = 2'000'000;
  std::uint64_t seed = 1;
};

class Flow {
 public:
  Flow(const Options& opt, OrderBook* book) : opt_(opt), rng_(opt.seed), book_(book) {
    client_seq_.fill(0);
    dead_.fill(0);
  }

  // Step()
  //
  // Sends one request. Returns true if it was a new order.
  bool Step() {
    ++step_;
    MoveFair();
    const std::uint64_t live = live_.size();
    const std::uint64_t w_cancel = std::min<std::uint64_t>(900, 250 * live / kTargetLive);
    constexpr std::uint64_t kQuote = 500, kAmend = 60, kTaker = 110, kHedge = 15, kFat = 1;
    std::uint64_t r = rng_.Below(kQuote + w_cancel + kAmend + kTaker + kHedge + kFat);
    if (step_ % 250'000 == 0) {
      Disconnect();
      return false;
    }
    if (r < w_cancel && !live_.empty()) {
      Cancel();
      return false;
    }
    r -= std::min(r, w_cancel);
    if (r < kAmend && !live_.empty()) {
      Amend();
      return false;
    }
    r -= std::min(r, kAmend);
    if (r < kTaker) {
      Take();
    } else if (r < kTaker + kHedge) {
      Hedge();
    } else if (r < kTaker + kHedge + kFat) {
      FatFinger();
    } else {
      Quote();
    }
    return true;
  }

  const Stats& stats() const { return stats_; }
  std::size_t live() const { return live_.size(); }
  std::int64_t fair() const { return fair_; }

 private:
  void MoveFair() {
    const std::int64_t before = fair_;
    if (rng_.Chance(1, 40)) fair_ += rng_.Chance(1, 2) ? 1 : -1;
    if (rng_.Chance(1, 40'000)) {
      const std::int64_t jump = rng_.Range(20, 80);
      fair_ += rng_.Chance(1, 2) ? jump : -jump;
    }
    // Most of the time the makers see the move and pull the quotes it left
    // on the wrong side; otherwise the takers pick them off.
    if (fair_ != before && !rng_.Chance(1, 4)) PullStale();
    if (step_ % 5'000 == 1) {
      // The index moved; the band follows it. A positive price is never refused.
      (void)book_->SetReferencePrice(Ticks(fair_));
    }
  }

  // PullStale()
  //
  // Cancels, best level first, asks below and bids above the fair price: what
  // makers do when the price moves through their quotes. At most 256 orders.
  void PullStale() {
    std::array<OrderView, 64> buf{};
    std::size_t budget = 256;
    for (const Side side : {Side::kSell, Side::kBuy}) {
      while (budget > 0) {
        const std::optional<Ticks> best = side == Side::kSell ? book_->BestAsk() : book_->BestBid();
        if (!best || (side == Side::kSell ? best->raw() >= fair_ : best->raw() <= fair_)) break;
        const std::size_t n = book_->OrdersAt(side, *best, buf);
        if (n == 0) break;
        for (std::size_t i = 0; i < n && budget > 0; ++i, --budget) {
          ++stats_.requests[static_cast<std::size_t>(Request::kCancel)];
          ++stats_.pulled;
          Record(Request::kCancel, book_->Cancel(buf[i].account, buf[i].id));
        }
      }
    }
  }

  // A maker's post-only quote behind the fair price.
  void Quote() {
    ++stats_.quotes;
    const std::uint64_t maker = 1 + rng_.Below(kMakers);
    const Side side = rng_.AnySide();
    // Mostly 1 + Geometric(mean 8) ticks away; sometimes a maker leans in and
    // joins at the fair price itself, which can cross a stale quote.
    const std::int64_t d = rng_.Chance(1, 50) ? 0 : 1 + rng_.Geometric(8, 400);
    const std::int64_t size = rng_.Range(10, 300) * (1 + d / 16);
    OrderRequest o = NewOrder(maker, side, side == Side::kBuy ? fair_ - d : fair_ + d, size);
    o.client_id = perpcore::ClientOrderId(++client_seq_[maker]);
    o.tif = rng_.Chance(15, 100) ? TimeInForce::kPostOnlySlide : TimeInForce::kPostOnly;
    Place(o);
  }

  // A taker: IOC limit, market, FOK, or a marketable GTC limit.
  void Take() {
    const std::uint64_t taker = kFirstTaker + rng_.Below(kTakers);
    const Side side = rng_.AnySide();
    std::int64_t size = rng_.Range(1, 100);
    if (rng_.Chance(1, 10)) size *= 10;
    if (rng_.Chance(1, 100)) size *= 100;
    size = std::min(size, kMaxOrderLots);
    const std::int64_t dir = side == Side::kBuy ? 1 : -1;
    const std::uint64_t kind = rng_.Below(100);
    OrderRequest o = NewOrder(taker, side, fair_ + dir * rng_.Range(0, 8), size);
    if (kind < 55) {
      ++stats_.ioc;
      o.tif = TimeInForce::kIoc;
    } else if (kind < 80) {
      ++stats_.market;
      o.type = OrderType::kMarket;
      o.tif = TimeInForce::kIoc;
      o.price = Ticks(fair_ + dir * (fair_ / 100));  // 1% protection
    } else if (kind < 90) {
      ++stats_.fok;
      o.tif = TimeInForce::kFok;
    } else {
      ++stats_.gtc_taker;
      o.price = Ticks(fair_ + dir * rng_.Range(0, 2));
    }
    Place(o);
  }

  // A maker hedging through the book; it may meet its own quotes.
  void Hedge() {
    ++stats_.hedges;
    const std::uint64_t maker = 1 + rng_.Below(kMakers);
    const Side side = rng_.AnySide();
    const std::int64_t dir = side == Side::kBuy ? 1 : -1;
    OrderRequest o = NewOrder(maker, side, fair_ + dir * rng_.Range(2, 12), rng_.Range(50, 800));
    o.tif = TimeInForce::kIoc;
    o.stp = static_cast<StpMode>(rng_.Below(4));
    Place(o);
  }

  // A mistake a real client makes now and then; each is refused.
  void FatFinger() {
    ++stats_.fat_fingers;
    const std::uint64_t account = kFirstTaker + rng_.Below(kTakers);
    const Side side = rng_.AnySide();
    OrderRequest o = NewOrder(account, side, fair_, rng_.Range(1, 100));
    switch (rng_.Below(4)) {
      case 0:
        o.size = Lots(kMaxOrderLots * 2);  // 200 BTC: over the size limit
        break;
      case 1:
        o.price = Ticks(side == Side::kBuy ? fair_ + fair_ / 5 : fair_ - fair_ / 5);  // 20% off
        break;
      case 2:
        if (!live_.empty()) {  // a client id that is still live
          const LiveOrder& l = live_.at(rng_.Below(live_.size()));
          o.account = l.account;
          o.client_id = l.client_id;
          o.tif = TimeInForce::kPostOnly;
          o.price = Ticks(l.side == Side::kBuy ? fair_ + 500 : fair_ - 500);
          o.side = Opposite(l.side);
          if (l.client_id != 0) break;
        }
        o.size = Lots(0);
        break;
      default:
        o.size = Lots(0);
        break;
    }
    Place(o);
  }

  void Cancel() {
    ++stats_.requests[static_cast<std::size_t>(Request::kCancel)];
    const std::uint64_t kind = rng_.Below(1000);
    Reason r;
    if (kind < 10) {
      // Too late: the order traded or was cancelled a moment ago.
      const perpcore::OrderId id = dead_[rng_.Below(dead_.size())];
      r = book_->Cancel(kFirstTaker, id == 0 ? perpcore::OrderId(next_id_ + 1) : id);
    } else {
      const LiveOrder l = PickForCancel();
      if (kind < 15) {
        // someone else's order
        r = book_->Cancel(perpcore::AccountId(l.account.value() + 1), l.id);
      } else if (kind < 165 && l.client_id != 0) {
        r = book_->CancelByClientId(l.account, l.client_id);
      } else {
        r = book_->Cancel(l.account, l.id);
      }
    }
    Record(Request::kCancel, r);
  }

  // PickForCancel()
  //
  // Makers pull quotes the fair price has moved through: of four live orders
  // drawn at random, the one furthest through the fair price if any is at or
  // through it, else the first.
  LiveOrder PickForCancel() {
    LiveOrder pick = live_.at(rng_.Below(live_.size()));
    std::int64_t worst = Through(pick);
    for (int i = 0; i < 3; ++i) {
      const LiveOrder& c = live_.at(rng_.Below(live_.size()));
      if (Through(c) > worst) {
        worst = Through(c);
        pick = c;
      }
    }
    return pick;
  }

  // How far an order sits on the wrong side of the fair price: >= 0 for a
  // bid at or above it or an ask at or below it.
  std::int64_t Through(const LiveOrder& o) const {
    return o.side == Side::kBuy ? o.price - fair_ : fair_ - o.price;
  }

  void Amend() {
    ++stats_.requests[static_cast<std::size_t>(Request::kAmend)];
    const LiveOrder l = live_.at(rng_.Below(live_.size()));
    AmendRequest a{.account = l.account,
                   .id = l.id,
                   .new_price = Ticks(l.price),
                   .new_size = Lots(l.remaining)};
    if (rng_.Chance(1, 2)) {
      // Re-quote behind the current fair price, same size.
      const std::int64_t d = 1 + rng_.Geometric(8, 400);
      a.new_price = Ticks(l.side == Side::kBuy ? fair_ - d : fair_ + d);
    } else if (l.remaining > 1 && rng_.Chance(2, 3)) {
      a.new_size = Lots(l.remaining / 2);  // size down: keeps priority
    } else {
      a.new_size = Lots(l.remaining + rng_.Range(1, 100));
    }
    Record(Request::kAmend, book_->Amend(a));
  }

  // A maker drops its connection: everything of it goes.
  void Disconnect() {
    ++stats_.requests[static_cast<std::size_t>(Request::kCancelAll)];
    Record(Request::kCancelAll, book_->CancelAll(perpcore::AccountId(1 + rng_.Below(kMakers))));
  }

  OrderRequest NewOrder(std::uint64_t account, Side side, std::int64_t price, std::int64_t size) {
    OrderRequest o;
    o.id = perpcore::OrderId(++next_id_);
    o.account = perpcore::AccountId(account);
    o.side = side;
    o.price = Ticks(price);
    o.size = Lots(size);
    return o;
  }

  void Place(const OrderRequest& o) {
    ++stats_.requests[static_cast<std::size_t>(Request::kPlace)];
    const PlaceResult r = book_->Place(o);
    pending_client_id_ = o.client_id;
    Record(Request::kPlace, r.reason);
  }

  void Record(Request kind, Reason r) {
    if (r != Reason::kOk) {
      ++stats_.refused[static_cast<std::size_t>(kind)];
      ++stats_.rejects[r][static_cast<std::size_t>(kind)];
      return;  // a refused request emits nothing
    }
    for (const Event& e : book_->events()) Apply(e);
  }

  void Forget(perpcore::OrderId id) {
    live_.Remove(id);
    dead_[dead_next_++ % dead_.size()] = id;
  }

  void Apply(const Event& e) {
    switch (e.kind) {
      case EventKind::kFill: {
        ++stats_.trades;
        const std::int64_t px = e.price.raw(), sz = e.size.raw();
        stats_.volume_lots += sz;
        if (e.side == Side::kBuy) stats_.buy_aggressor_lots += sz;
        stats_.notional += absl::int128(px) * sz;
        if (stats_.trades == 1 || px > stats_.high) stats_.high = px;
        if (stats_.trades == 1 || px < stats_.low) stats_.low = px;
        if (e.maker_remaining.raw() == 0) {
          Forget(e.maker_order_id);
        } else if (LiveOrder* m = live_.Find(e.maker_order_id)) {
          m->remaining = e.maker_remaining.raw();
        }
        break;
      }
      case EventKind::kRested:
        ++stats_.rested;
        live_.Add({.id = e.order_id,
                   .account = e.account,
                   .client_id = pending_client_id_,
                   .side = e.side,
                   .price = e.price.raw(),
                   .remaining = e.remaining.raw()});
        break;
      case EventKind::kCanceled:
        ++stats_.canceled[static_cast<std::size_t>(e.reason)];
        if (e.remaining.raw() == 0) Forget(e.order_id);
        break;
      case EventKind::kReduced:
        ++stats_.reduced;
        stats_.reduced_lots += e.size.raw();
        if (LiveOrder* l = live_.Find(e.order_id)) l->remaining = e.remaining.raw();
        break;
      case EventKind::kAmended:
        ++stats_.amended;
        if (e.priority_kept) ++stats_.amended_kept_priority;
        if (LiveOrder* l = live_.Find(e.order_id)) {
          l->price = e.price.raw();
          l->remaining = e.remaining.raw();
        }
        break;
    }
  }

  Options opt_;
  SplitMix64 rng_;
  OrderBook* book_;
  Stats stats_;
  LiveSet live_;
  std::int64_t fair_ = kStartMid;
  std::uint64_t step_ = 0;
  std::uint64_t next_id_ = 0;  // the last OrderId handed out
  perpcore::ClientOrderId pending_client_id_ = 0;
  std::array<std::uint64_t, kMakers + 1> client_seq_{};  // each maker's last ClientOrderId
  std::array<perpcore::OrderId, 64> dead_{};
  std::size_t dead_next_ = 0;
};

// -- the report -----------------------------------------------------------------------

void PrintLadder(const OrderBook& book) {
  std::array<LevelView, kLadderLevels> bids{}, asks{};
  const std::size_t nb = book.Depth(Side::kBuy, bids);
  const std::size_t na = book.Depth(Side::kSell, asks);
  std::int64_t max_total = 1;
  for (std::size_t i = 0; i < nb; ++i) max_total = std::max(max_total, bids[i].total.raw());
  for (std::size_t i = 0; i < na; ++i) max_total = std::max(max_total, asks[i].total.raw());
  auto line = [&](std::string_view side, const LevelView& l) {
    absl::StatusOr<std::int64_t> w =
        DivRound(absl::int128(l.total.raw()) * kBarWidth, max_total, Round::kUp);
    const std::size_t width = w.ok() ? static_cast<std::size_t>(*w) : 0;
    fmt::print("  {:<4} {:>10} {:>10} {:>6}  {}\n", side, Padded(l.price.raw(), kUsdPerTick),
               Padded(l.total.raw(), kBtcPerLot), l.orders,
               std::string(width, side == "ask" ? '-' : '+'));
  };
  fmt::print("\ndepth (best {} levels a side; bars scaled to the largest level)\n", kLadderLevels);
  fmt::print("  {:<4} {:>10} {:>10} {:>6}\n", "", "price USD", "size BTC", "orders");
  for (std::size_t i = na; i-- > 0;) line("ask", asks[i]);
  if (nb > 0 && na > 0) {
    fmt::print("  {:-^34}\n",
               fmt::format(" spread {} USD ", Usd(asks[0].price.raw() - bids[0].price.raw())));
  } else {
    fmt::print("  {:-^34}\n", nb + na == 0 ? " empty book " : " one side empty ");
  }
  for (std::size_t i = 0; i < nb; ++i) line("bid", bids[i]);
}

void PrintReport(const Options& opt, const Flow& flow, const OrderBook& book, double seconds) {
  const Stats& s = flow.stats();
  auto req = [&](Request r) { return s.requests[static_cast<std::size_t>(r)]; };
  auto ref = [&](Request r) { return s.refused[static_cast<std::size_t>(r)]; };
  std::uint64_t total_requests = 0;
  for (std::uint64_t n : s.requests) total_requests += n;

  fmt::print("perpcore {} book_demo: one BTC-USD perpetual book, seed {}\n",
             PERPCORE_VERSION_STRING, opt.seed);
  fmt::print(
      "market: tick 0.1 USD, lot 0.001 BTC, band +-5% around a reference that follows "
      "the fair price; {} makers, {} takers\n",
      kMakers, kTakers);

  fmt::print("\nrequests\n");
  for (Request r : {Request::kPlace, Request::kCancel, Request::kAmend, Request::kCancelAll}) {
    fmt::print("  {:<12} {:>12}   accepted {:>12}   refused {:>10} ({})\n",
               kRequestNames[static_cast<std::size_t>(r)], Grouped(req(r)),
               Grouped(req(r) - ref(r)), Grouped(ref(r)), Percent(ref(r), req(r)));
  }
  fmt::print(
      "  order mix    quotes {} (post-only), IOC {}, market {}, FOK {}, GTC taker {}, "
      "hedges {}, fat fingers {}\n",
      Grouped(s.quotes), Grouped(s.ioc), Grouped(s.market), Grouped(s.fok), Grouped(s.gtc_taker),
      Grouped(s.hedges), Grouped(s.fat_fingers));
  fmt::print("  cancel mix   {} pulled after a price move, {} by the flow\n", Grouped(s.pulled),
             Grouped(req(Request::kCancel) - s.pulled));
  fmt::print("  elapsed      {:.3f} s wall clock, {:.2f} M requests/s\n", seconds,
             seconds > 0 ? static_cast<double>(total_requests) / seconds / 1e6 : 0.0);

  fmt::print("\ntrading\n");
  fmt::print("  trades       {:>14}\n", Grouped(s.trades));
  fmt::print("  volume       {:>14} lots = {} BTC\n", Grouped(s.volume_lots), Btc(s.volume_lots));
  fmt::print("  buy / sell   {} / {} BTC by aggressor side\n", Btc(s.buy_aggressor_lots),
             Btc(s.volume_lots - s.buy_aggressor_lots));
  fmt::print("  notional     {} USD  (sum of price*size, to the cent, half-even)\n",
             Quotient(s.notional, 100, Round::kHalfEven, DecimalScale{.decimals = 2, .step = 1}));
  // VWAP = sum(price*size) / sum(size) is in ticks (0.1 USD); scaling the
  // numerator by 10^4 gives units of 1e-5 USD, rounded once, half-even.
  fmt::print(
      "  VWAP         {} USD  (exact: 128-bit sum(price*size) / volume, half-even "
      "to 1e-5 USD)\n",
      Quotient(s.notional * 10'000, s.volume_lots, Round::kHalfEven,
               DecimalScale{.decimals = 5, .step = 1}));
  if (s.trades > 0) {
    fmt::print("  range        low {} / high {} USD; fair price now {} USD\n", Usd(s.low),
               Usd(s.high), Usd(flow.fair()));
  }
  const std::uint64_t stp = s.canceled[static_cast<std::size_t>(CancelReason::kSelfTrade)];
  fmt::print("  self-trade prevention: {} cancels, {} reductions ({} BTC)\n", Grouped(stp),
             Grouped(s.reduced), Btc(s.reduced_lots));

  fmt::print("\nevents\n");
  fmt::print("  rested {}, amended {} ({} kept priority), reduced {}\n", Grouped(s.rested),
             Grouped(s.amended), Grouped(s.amended_kept_priority), Grouped(s.reduced));
  constexpr std::array<std::string_view, 5> kCancelNames = {
      "kUser", "kCancelAll", "kUnfilledRemainder", "kSelfTrade", "kMaxFill"};
  for (std::size_t i = 0; i < kCancelNames.size(); ++i) {
    fmt::print("  canceled {:<20} {:>12}\n", kCancelNames[i], Grouped(s.canceled[i]));
  }

  fmt::print("\nbook\n");
  fmt::print("  live orders {}, levels: {} bid / {} ask\n", Grouped(book.order_count()),
             Grouped(book.level_count(Side::kBuy)), Grouped(book.level_count(Side::kSell)));
  const std::optional<LevelView> bid = book.Best(Side::kBuy);
  const std::optional<LevelView> ask = book.Best(Side::kSell);
  if (bid) {
    fmt::print("  best bid    {} USD x {} BTC ({} order(s))\n",
               Padded(bid->price.raw(), kUsdPerTick), Padded(bid->total.raw(), kBtcPerLot),
               bid->orders);
  }
  if (ask) {
    fmt::print("  best ask    {} USD x {} BTC ({} order(s))\n",
               Padded(ask->price.raw(), kUsdPerTick), Padded(ask->total.raw(), kBtcPerLot),
               ask->orders);
  }
  if (bid && ask) {
    const std::int64_t spread = ask->price.raw() - bid->price.raw();
    const std::int64_t mid_x2 = ask->price.raw() + bid->price.raw();  // in half ticks
    fmt::print("  mid         {} USD\n", Dec(mid_x2, DecimalScale{.decimals = 2, .step = 5}));
    // spread / mid in basis points: spread * 2 * 10^4 / mid_x2, to 0.001 bp.
    fmt::print("  spread      {} tick(s) = {} USD = {} bp\n", spread, Usd(spread),
               Quotient(absl::int128(spread) * 2 * 10'000 * 1'000, mid_x2, Round::kHalfEven,
                        DecimalScale{.decimals = 3, .step = 1}));
  }
  PrintLadder(book);

  fmt::print("\nrejects by reason (refused requests change nothing)\n");
  if (s.rejects.empty()) fmt::print("  none\n");
  for (const auto& [reason, per_kind] : s.rejects) {
    std::string where;
    for (std::size_t k = 0; k < per_kind.size(); ++k) {
      if (per_kind[k] == 0) continue;
      if (!where.empty()) where += ", ";
      where += fmt::format("{} {}", kRequestNames[k], Grouped(per_kind[k]));
    }
    std::uint64_t n = 0;
    for (std::uint64_t c : per_kind) n += c;
    fmt::print("  {:<26} {:>10}  ({})  {}\n", perpcore::book::ReasonName(reason), Grouped(n), where,
               perpcore::book::ReasonMessage(reason));
  }

  std::string hex;
  for (std::uint8_t b : book.Digest()) hex += fmt::format("{:02x}", b);
  fmt::print("\ndigest {}\n", hex);
}

bool ParseU64(std::string_view text, std::uint64_t* out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end;
}

int Usage(const char* argv0, bool asked) {
  fmt::print(asked ? stdout : stderr,
             "usage: {} [--orders N] [--seed S]\n"
             "  --orders N  new orders to send (default 2000000); cancels and amends come on "
             "top\n"
             "  --seed S    seed of the deterministic flow (default 1)\n",
             argv0);
  return asked ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  const std::span<char*> args(argv, static_cast<std::size_t>(argc));
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string_view a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "--orders" && has_value && ParseU64(args[i + 1], &opt.orders)) {
      ++i;
    } else if (a == "--seed" && has_value && ParseU64(args[i + 1], &opt.seed)) {
      ++i;
    } else {
      return Usage(args[0], a == "--help" || a == "-h");
    }
  }

  BookConfig config;
  config.price_step = Ticks(1);
  config.size_step = Lots(1);
  config.max_order_size = Lots(kMaxOrderLots);
  config.max_orders_per_account = 4096;
  config.max_levels_per_side = 10'000;
  config.max_book_orders = 1u << 20;
  config.price_band = Rate(perpcore::kRateScale / 20);  // +-5%
  config.expected_orders = 16'384;
  if (absl::Status s = OrderBook::Validate(config); !s.ok()) {
    fmt::print(stderr, "bad book config: {}\n", std::string(s.message()));
    return 1;
  }
  OrderBook book(config);
  Flow flow(opt, &book);

  const auto start = std::chrono::steady_clock::now();  // for reporting only
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  std::uint64_t placed = 0;
  const std::uint64_t tenth = std::max<std::uint64_t>(1, opt.orders / 10);
  while (placed < opt.orders) {
    if (!flow.Step()) continue;
    ++placed;
    if (placed % tenth == 0 || placed == opt.orders) {
      const absl::Status inv = book.CheckInvariants();
      fmt::print(stderr, "  {:>3}%  {:>12} orders  {:>7.2f} s  live {:>6}  invariants {}\n",
                 opt.orders == 0 ? 100 : placed * 100 / opt.orders, Grouped(placed), elapsed(),
                 Grouped(book.order_count()), inv.ok() ? "ok" : "BROKEN");
      if (!inv.ok()) {
        fmt::print(stderr, "invariant violated: {}\n", std::string(inv.message()));
        return 1;
      }
    }
  }
  const double seconds = elapsed();
  PrintReport(opt, flow, book, seconds);
  return 0;
}
