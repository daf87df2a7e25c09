// -----------------------------------------------------------------------------
// File: examples/engine_demo.cpp
// -----------------------------------------------------------------------------
//
// A small exchange through the engine: three perpetual markets (BTC, ETH,
// SOL against USDC), a few hundred accounts, market makers and takers, an
// oracle path with a sharp move, funding, a keeper that liquidates, and a
// report at the end: volume, fees, open interest, the circuit breaker, the
// funding rates and payments, the liquidations and the insurance fund,
// rejects by reason, the most and least healthy accounts and the state
// digest.
//
// Usage: engine_demo [--commands N] [--seed S] [--accounts N]
//
// Deterministic: one splitmix64 stream seeded by --seed drives everything, so
// the same flags print the same report and the same digest on every machine;
// only the elapsed time (wall clock, for information) differs.
//
// The flow, time advancing 20 ms a step, one command a step (one step a
// second is the oracle round instead):
//   * every second each market's three oracle sources publish the true price
//     plus a few ticks of noise, then a time tick for all markets follows
//     (funding samples the books then); the true price walks randomly, and at 60%
//     of the run every market falls 18% within a minute and then recovers
//     half of it. The index then leaves its 30-minute TWAP by more than the
//     10% guard: the breaker trips and the market is reduce-only until the
//     index comes back within the guard;
//   * 20 market makers (1M USDC each) requote one market at a time: cancel
//     all, then five post-only levels a side around the index;
//   * the other accounts (1k..50k USDC, leverage 5..50x, one in eight
//     isolated, one in ten referred, fee tiers 0..2) send market orders with
//     a 2% protection price, IOC limits and resting limits; one in four of
//     their orders closes a position reduce-only; they also deposit and
//     withdraw now and then. Some are refused for margin: that is the point.
//   * funding: the premium model (funding/funding.hpp) with an 8-hour rate
//     (interest 0.01%, band 0.05%, cap 0.75%) paid every 10 minutes at the
//     index, sampled from the books every 10 s at a 10,000 USD impact
//     notional: short intervals, so that the demo's simulated two hours
//     show a dozen of them (venues pay every hour or 8 hours). The makers
//     quote around the index, so the premium is 0 and the rate the interest
//     rate until the crash, when the books lag the falling index and the
//     premium turns. Positions settle their funding lazily, when a fill or
//     a money command touches them (FundingSettled).
//   * a keeper (its own account, the last one) runs after every oracle
//     round: it asks Engine::Liquidatable() for candidates and sends a
//     Liquidate for each, again until none is left (at most 20 rounds a
//     second; a round that closes nothing, a thin book, ends it). The
//     liquidation fee goes to the insurance fund, 5% of it to the keeper;
//     the fund covers what a bankrupt account leaves (engine.hpp,
//     "Liquidation"). Its commands come on top of --commands.
//
// Progress goes to stderr every 10% (with the invariants checked); the
// report goes to stdout, digest line last.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/numeric/int128.h"
#include "fmt/format.h"
#include "perpcore/engine/engine.hpp"
#include "perpcore/core/decimal.hpp"

namespace {

using namespace perpcore;
using namespace perpcore::engine;

constexpr std::int64_t kUsd = 1'000'000;          // USDC atoms
constexpr std::int64_t kStepNs = 20'000'000;      // 20 ms
constexpr std::int64_t kSecondNs = 1'000'000'000;
constexpr int kMakers = 20;
constexpr int kLevels = 5;
// The keeper asks for this many candidates at a time and goes round at most
// kKeeperRounds times after each oracle round.
constexpr std::size_t kKeeperBatch = 64;
constexpr int kKeeperRounds = 20;

struct SplitMix {
  std::uint64_t state;
  std::uint64_t Next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::int64_t Between(std::int64_t lo, std::int64_t hi) {  // inclusive
    return lo + static_cast<std::int64_t>(Next() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  bool Percent(int p) { return static_cast<int>(Next() % 100) < p; }
};

struct MarketSpec {
  MarketId id;
  const char* symbol;
  Decimal tick, lot;
  std::int64_t start_ticks;  // the true price at the start
  DecimalScale price_scale;  // ticks -> USD text
  DecimalScale size_scale;   // lots -> base text
  std::int64_t max_trade;    // lots
};

// Every market: one tick of one lot is 100 atoms (1e-4 USD).
const std::array<MarketSpec, 3> kMarkets{{
    {1, "BTC-USD", {1, -1}, {1, -3}, 600'000, {1, 1}, {3, 1}, 400},
    {2, "ETH-USD", {1, -2}, {1, -2}, 300'000, {2, 1}, {2, 1}, 600},
    {3, "SOL-USD", {1, -3}, {1, -1}, 150'000, {3, 1}, {1, 1}, 1'000},
}};

MarketParams ParamsFor(const MarketSpec& s) {
  MarketParams p;
  p.symbol = s.symbol;
  p.tick_size = s.tick;
  p.lot_size = s.lot;
  p.max_order_size = Lots(100'000);
  p.max_open_interest = Lots(10'000'000);
  p.max_price = Ticks(s.start_ticks * 10);
  p.price_band = Rate(kRateScale / 10);
  p.max_leverage = 50;
  p.tiers = {{Quote(0), 50, Rate(kRateScale / 200)},                  // 0.5%
             {Quote(1'000'000 * kUsd), 20, Rate(kRateScale / 80)},    // 1.25%
             {Quote(5'000'000 * kUsd), 10, Rate(kRateScale / 40)}};   // 2.5%
  p.taker_fee = Rate(5 * kRateScale / 10'000);
  p.maker_fee = s.id == 1 ? Rate(-kRateScale / 20'000) : Rate(kRateScale / 10'000);
  p.oracle.min_sources = 2;
  p.oracle.max_source_deviation = Rate(kRateScale / 50);  // 2%
  p.oracle.max_twap_deviation = Rate(kRateScale / 10);    // 10%
  p.funding.model = funding::FundingModel::kPremium;
  p.funding.payment = funding::FundingPayment::kIntervalEnd;
  p.funding.price = funding::FundingPrice::kIndex;
  p.funding.period = TimeNs(8 * 3600 * kSecondNs);
  p.funding.interval = TimeNs(600 * kSecondNs);
  p.funding.sample_cadence = TimeNs(10 * kSecondNs);
  p.funding.impact_notional = 10'000 * kUsd;
  return p;
}

std::string Usd(std::int64_t atoms) {
  auto s = FormatDecimal(atoms, DecimalScale{6, 1});
  return s.ok() ? *s : "?";
}
std::string Usd128(absl::int128 atoms) {
  if (atoms > std::numeric_limits<std::int64_t>::max()) return "huge";
  return Usd(static_cast<std::int64_t>(atoms));
}
std::string Price(const MarketSpec& s, Ticks t) {
  auto text = FormatDecimal(t.raw(), s.price_scale);
  return text.ok() ? *text : "?";
}
std::string Size(const MarketSpec& s, std::int64_t lots) {
  auto text = FormatDecimal(lots, s.size_scale);
  return text.ok() ? *text : "?";
}
// The demo numbers its accounts with ints (always positive).
AccountId AccountNo(std::int64_t n) { return AccountId(static_cast<std::uint64_t>(n)); }

std::string Percent2(Rate r) {  // a Rate as a percentage with two decimals
  const std::int64_t hundredths = r.raw() / (kRateScale / 10'000);
  return fmt::format("{}.{:02}%", hundredths / 100, hundredths % 100);
}

std::string Percent4(Rate r) {  // a signed Rate as a percentage, four decimals (toward 0)
  const std::int64_t units = r.raw() / (kRateScale / 1'000'000);  // 1e-4 %
  const std::int64_t a = units < 0 ? -units : units;
  return fmt::format("{}{}.{:04}%", units < 0 ? "-" : "", a / 10'000, a % 10'000);
}

class Demo {
 public:
  Demo(std::uint64_t seed, int accounts, std::int64_t commands)
      : rng_{seed},
        accounts_(accounts),
        commands_(commands),
        eng_(EngineConfig{.fee_tier_discounts = {Rate(0), Rate(kRateScale / 10),
                                                 Rate(kRateScale / 4)},
                          .referrer_share = Rate(kRateScale / 10)}) {
    for (const MarketSpec& s : kMarkets) true_price_.push_back(s.start_ticks);
  }

  int Run() {
    SetUp();
    const auto start = std::chrono::steady_clock::now();
    for (std::int64_t i = 0; i < commands_; ++i) {
      Step(i);
      if ((i + 1) % (commands_ / 10) == 0) Progress(i + 1);
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    Report(seconds);
    return 0;
  }

 private:
  // Every command is numbered last_seq + 1 with a clock that only moves
  // forward, so the engine processes each one; a framing error would be a
  // bug here.
  Result Apply(Payload p) {
    absl::StatusOr<Result> r =
        eng_.Apply(Command{eng_.last_seq() + 1, TimeNs(now_), std::move(p)});
    if (!r.ok()) {
      std::fprintf(stderr, "command not processed: %s\n", r.status().ToString().c_str());
      std::exit(1);
    }
    Tally(*r);
    return *r;
  }
  void Must(Payload p) {
    const Result r = Apply(std::move(p));
    if (!r.ok()) {
      std::fprintf(stderr, "set-up command refused: %s\n", std::string(ReasonName(r.reason)).c_str());
      std::exit(1);
    }
  }
  void Tally(const Result& r) {
    if (!r.ok()) {
      ++rejects_[r.reason];
      return;
    }
    for (const Event& e : r.events) {
      if (const auto* f = std::get_if<events::Fill>(&e)) {
        ++fills_;
        referrer_paid_ += f->referrer_fee.raw();
        if (f->maker.fee.raw() < 0) rebates_paid_ -= f->maker.fee.raw();
      } else if (const auto* fs = std::get_if<events::FundingSettled>(&e)) {
        ++funding_settled_;
        (fs->amount.raw() > 0 ? funding_paid_ : funding_received_) +=
            fs->amount.raw() > 0 ? fs->amount.raw() : -fs->amount.raw();
        if (funding_log_.size() < 4) {
          funding_log_.push_back(fmt::format(
              "  t={:>6.1f}s  #{:<4} {} {} {} USD", static_cast<double>(now_ - kStart) / kSecondNs,
              fs->account.value(), kMarkets[fs->market.value() - 1].symbol,
              fs->amount.raw() > 0 ? "paid    " : "received", Usd(std::abs(fs->amount.raw()))));
        }
      } else if (const auto* l = std::get_if<events::Liquidation>(&e)) {
        if (l->closed.raw() == 0) {  // no bid or ask within the fillable price
          ++liq_empty_;
          continue;
        }
        ++(l->position.raw() == 0 ? liq_full_ : liq_partial_);
        liq_isolated_ += l->isolated ? 1 : 0;
        liq_notional_ += l->closed_notional.raw();
        liq_fees_ += l->fee.raw();
        keeper_income_ += l->keeper_fee.raw();
        if (liq_log_.size() < 4) {
          const MarketSpec& s = kMarkets[l->market.value() - 1];
          liq_log_.push_back(fmt::format(
              "  t={:>6.1f}s  #{:<4} {}{} closed {} for {} USD ({}); fee {} USD",
              static_cast<double>(now_ - kStart) / kSecondNs, l->account.value(), s.symbol,
              l->isolated ? " (iso)" : "", Size(s, l->closed.raw()),
              Usd(l->closed_notional.raw()),
              l->position.raw() == 0 ? "all of it" : "partial, " + Size(s, l->position.raw()) + " left",
              Usd(l->fee.raw())));
        }
      } else if (const auto* c = std::get_if<events::InsuranceCover>(&e)) {
        ++covers_;
        covered_ += c->amount.raw();
      } else if (std::holds_alternative<events::FundingRateSet>(e)) {
        ++funding_rates_;
      } else if (const auto* b = std::get_if<events::CircuitBreaker>(&e)) {
        breaker_log_.push_back(fmt::format("  t={:>6.1f}s  {} breaker {} ({})",
                                           static_cast<double>(now_ - kStart) / kSecondNs,
                                           kMarkets[b->market.value() - 1].symbol,
                                           b->tripped ? "TRIPPED" : "cleared",
                                           b->cause == oracle::BreakerCause::kTwapDeviation
                                               ? "index vs TWAP"
                                               : "source deviation"));
      }
    }
  }

  void SetUp() {
    for (const MarketSpec& s : kMarkets) {
      Must(CreateMarket{.market = s.id,
                        .params = std::make_shared<const MarketParams>(ParamsFor(s))});
    }
    PublishOracles();
    Must(FundInsurance{.amount = Quote(kInsuranceStart)});
    for (int a = 1; a <= accounts_; ++a) {
      const bool maker = a <= kMakers;
      const AccountId referrer = !maker && a % 10 == 3 ? AccountNo(a - 1) : 0;
      Must(CreateAccount{.account = AccountNo(a),
                         .owner = OwnerId(static_cast<std::uint64_t>(a)),
                         .fee_tier = maker ? 2u : static_cast<std::uint32_t>(a % 3),
                         .referrer = referrer});
      const std::int64_t usd = maker ? 1'000'000 : rng_.Between(1'000, 50'000);
      Must(Deposit{.account = AccountNo(a), .amount = Quote(usd * kUsd)});
      if (maker) continue;
      for (const MarketSpec& s : kMarkets) {
        if (a % 8 == 5) {
          Must(SetMarginMode{.market = s.id,
                             .account = AccountNo(a),
                             .mode = MarginMode::kIsolated});
        }
        Must(SetLeverage{.market = s.id,
                         .account = AccountNo(a),
                         .leverage = static_cast<std::uint32_t>(rng_.Between(5, 50))});
      }
    }
    Must(CreateAccount{.account = Keeper(),
                       .owner = OwnerId(static_cast<std::uint64_t>(accounts_ + 1))});
    for (int m = 1; m <= kMakers; ++m) {
      for (const MarketSpec& s : kMarkets) Requote(AccountNo(m), s);
    }
  }

  AccountId Keeper() const { return AccountNo(accounts_ + 1); }

  // The keeper: every candidate Liquidatable() returns gets a Liquidate
  // (market 0 for a cross account: the engine picks the position with the
  // largest maintenance; the bucket's market for an isolated one).
  void Liquidations() {
    for (int round = 0; round < kKeeperRounds; ++round) {
      const std::vector<LiquidationCandidate> candidates = eng_.Liquidatable(kKeeperBatch);
      if (candidates.empty()) return;
      const std::int64_t done_before = liq_partial_ + liq_full_ + covers_;
      for (const LiquidationCandidate& c : candidates) {
        Apply(Liquidate{.market = c.market, .account = c.account, .keeper = Keeper()});
      }
      if (liq_partial_ + liq_full_ + covers_ == done_before) return;  // nothing to trade with
    }
  }

  // The true price: a random walk of up to +-0.05% a second, and the crash.
  void MoveTruth() {
    const std::int64_t crash_start = commands_ * 6 / 10 * kStepNs;
    for (std::size_t i = 0; i < kMarkets.size(); ++i) {
      std::int64_t& p = true_price_[i];
      p += p * rng_.Between(-5, 5) / 10'000;
      const std::int64_t t = now_ - kStart;
      if (t >= crash_start && t < crash_start + 60 * kSecondNs) {
        p -= p * 33 / 10'000;  // ~0.33% a second for a minute: -18%
      } else if (t >= crash_start + 120 * kSecondNs && t < crash_start + 240 * kSecondNs) {
        p += p * 9 / 10'000;   // then back up about half of it
      }
    }
  }

  void PublishOracles() {
    for (std::size_t i = 0; i < kMarkets.size(); ++i) {
      for (std::uint32_t src = 1; src <= 3; ++src) {
        const Ticks price(true_price_[i] + rng_.Between(-3, 3));
        Must(OraclePrice{.market = kMarkets[i].id,
                         .source = SourceId(src),
                         .price = price,
                         .publish_time = TimeNs(now_)});
      }
    }
  }

  void Requote(AccountId maker, const MarketSpec& s) {
    Apply(CancelAll{.market = s.id, .account = maker});
    // Makers quote around the index, not the mark: the mark follows the book,
    // so quoting around it would let the book drift away from the oracle.
    const Ticks mark = eng_.Stats(s.id)->index;
    if (mark.raw() == 0) return;
    const std::int64_t tick_bp = std::max<std::int64_t>(1, mark.raw() / 10'000);  // ~1 bp
    for (int level = 1; level <= kLevels; ++level) {
      const std::int64_t offset = tick_bp * (level * 2 + rng_.Between(0, 2));
      const Lots size(rng_.Between(s.max_trade / 8, s.max_trade));
      for (Side side : {Side::kBuy, Side::kSell}) {
        const Ticks price(side == Side::kBuy ? mark.raw() - offset : mark.raw() + offset);
        Apply(PlaceOrder{.market = s.id,
                         .account = maker,
                         .order_id = OrderId(++next_order_),
                         .side = side,
                         .tif = TimeInForce::kPostOnlySlide,
                         .price = price,
                         .size = size});
      }
    }
  }

  void Trade(AccountId account, const MarketSpec& s) {
    const Ticks mark = eng_.Stats(s.id)->mark;
    const Side side = rng_.Percent(50) ? Side::kBuy : Side::kSell;
    PlaceOrder po{.market = s.id,
                  .account = account,
                  .order_id = OrderId(++next_order_),
                  .side = side,
                  .size = Lots(rng_.Between(1, s.max_trade))};
    const std::int64_t two_percent = mark.raw() / 50;
    const int kind = static_cast<int>(rng_.Between(0, 99));
    if (kind < 25) {
      // Close (part of) a position, reduce-only.
      const absl::StatusOr<AccountSummary> summary = eng_.Summary(account);
      if (!summary.ok()) return;
      for (const PositionView& p : summary->positions) {
        if (p.market != s.id || p.size.raw() == 0) continue;
        po.side = p.size.raw() > 0 ? Side::kSell : Side::kBuy;
        po.size = Lots(std::max<std::int64_t>(1, std::abs(p.size.raw()) / rng_.Between(1, 3)));
      }
      po.reduce_only = true;
      po.type = OrderType::kMarket;
      po.tif = TimeInForce::kIoc;
    } else if (kind < 65) {
      po.type = OrderType::kMarket;
      po.tif = TimeInForce::kIoc;
    } else if (kind < 85) {
      po.tif = TimeInForce::kIoc;
    } else {
      po.tif = TimeInForce::kGtc;
    }
    const std::int64_t reach = po.tif == TimeInForce::kGtc ? -two_percent / 4 : two_percent;
    po.price = Ticks(po.side == Side::kBuy ? mark.raw() + reach : mark.raw() - reach);
    Apply(po);
  }

  void Step(std::int64_t i) {
    now_ += kStepNs;
    if (now_ % kSecondNs == 0) {
      MoveTruth();
      PublishOracles();
      Apply(TimeTick{});  // funding samples (every 10 s) and pays (every 10 min)
      Liquidations();
      return;
    }
    const MarketSpec& s = kMarkets[rng_.Next() % kMarkets.size()];
    const int u = static_cast<int>(rng_.Between(0, 99));
    if (u < 30) {
      Requote(AccountNo(rng_.Between(1, kMakers)), s);
    } else if (u < 97) {
      Trade(AccountNo(rng_.Between(kMakers + 1, accounts_)), s);
    } else if (u < 98) {
      Apply(Deposit{.account = AccountNo(rng_.Between(kMakers + 1, accounts_)),
                    .amount = Quote(rng_.Between(100, 5'000) * kUsd)});
    } else if (u < 99) {
      Apply(Withdraw{.account = AccountNo(rng_.Between(kMakers + 1, accounts_)),
                     .amount = Quote(rng_.Between(100, 5'000) * kUsd)});
    } else {
      Apply(TimeTick{});
    }
    (void)i;
  }

  void Progress(std::int64_t done) {
    const absl::Status inv = eng_.CheckInvariants();
    std::string marks;
    for (const MarketSpec& s : kMarkets) {
      const MarketStats st = *eng_.Stats(s.id);
      marks += fmt::format("  {} {}{}", s.symbol, Price(s, st.mark), st.breaker ? " [breaker]" : "");
    }
    std::fprintf(stderr, "[%3lld%%] t=%6.1fs fills=%-8lld%s  invariants %s\n",
                 static_cast<long long>(done * 100 / commands_),
                 static_cast<double>(now_ - kStart) / kSecondNs, static_cast<long long>(fills_),
                 marks.c_str(), inv.ok() ? "ok" : std::string(inv.message()).c_str());
    if (!inv.ok()) std::exit(1);
  }

  void Report(double seconds) {
    std::printf("perpcore engine demo: %lld commands (%lld accepted) in %.2f s, %.2f M commands/s\n",
                static_cast<long long>(eng_.last_seq()),
                static_cast<long long>(eng_.last_seq()) - Rejected(), seconds,
                static_cast<double>(commands_) / seconds / 1e6);
    std::printf("simulated %.0f s of trading, %d accounts (%d market makers)\n\n",
                static_cast<double>(now_ - kStart) / kSecondNs, accounts_, kMakers);

    std::printf("%-8s %12s %12s %14s %18s %16s\n", "market", "index", "mark", "volume",
                "notional (USD)", "open interest");
    for (const MarketSpec& s : kMarkets) {
      const MarketStats st = *eng_.Stats(s.id);
      std::printf("%-8s %12s %12s %14s %18s %16s\n", s.symbol, Price(s, st.index).c_str(),
                  Price(s, st.mark).c_str(), Size(s, st.volume.raw()).c_str(),
                  Usd(st.notional_volume.raw()).c_str(),
                  Size(s, st.open_interest_long.raw()).c_str());
    }
    std::printf("\nfills %lld; fee pool %s USD (after %s USD of maker rebates and %s USD to referrers); "
                "insurance fund %s USD\n",
                static_cast<long long>(fills_), Usd(eng_.fee_pool().raw()).c_str(),
                Usd(rebates_paid_).c_str(), Usd(referrer_paid_).c_str(),
                Usd(eng_.insurance_fund().raw()).c_str());
    std::printf("deposits %s USD, withdrawals %s USD\n", Usd128(eng_.total_deposits()).c_str(),
                Usd128(eng_.total_withdrawals()).c_str());

    std::printf("\ncircuit breaker:\n");
    if (breaker_log_.empty()) std::printf("  never tripped\n");
    for (const std::string& line : breaker_log_) std::printf("%s\n", line.c_str());

    ReportFunding();
    ReportLiquidations();

    std::printf("\nrejected commands by reason:\n");
    for (const auto& [reason, n] : rejects_) {
      std::printf("  %-26s %8lld  %s\n", std::string(ReasonName(reason)).c_str(),
                  static_cast<long long>(n), std::string(ReasonMessage(reason)).c_str());
    }

    struct Health {
      AccountId id;
      AccountSummary s;
    };
    std::vector<Health> traders;
    int liquidatable = 0;
    for (AccountId id : eng_.Accounts()) {
      if (id <= kMakers || id == Keeper()) continue;
      AccountSummary s = *eng_.Summary(id);
      if (s.maintenance_requirement.raw() == 0) continue;
      liquidatable += s.liquidatable ? 1 : 0;
      traders.push_back({id, std::move(s)});
    }
    std::stable_sort(traders.begin(), traders.end(), [](const Health& a, const Health& b) {
      return a.s.margin_ratio < b.s.margin_ratio;
    });
    auto show = [&](const Health& h) {
      std::string where;
      for (const PositionView& p : h.s.positions) {
        if (p.size.raw() == 0) continue;
        const MarketSpec& s = kMarkets[p.market.value() - 1u];
        where += fmt::format(" {} {}{} liq {}", s.symbol, Size(s, p.size.raw()),
                             p.mode == MarginMode::kIsolated ? " (iso)" : "",
                             p.liquidation.price.raw() ? Price(s, p.liquidation.price) : "-");
      }
      std::printf("  #%-5llu equity %12s USD  margin ratio %8s %s\n",
                  static_cast<unsigned long long>(h.id.value()), Usd(h.s.equity.raw()).c_str(),
                  h.s.margin_ratio == Rate::Max() ? "inf" : Percent2(h.s.margin_ratio).c_str(),
                  where.c_str());
    };
    std::printf("\n%zu traders hold positions; %d are below maintenance margin now (the keeper "
                "liquidates them at the next oracle round)\nmost healthy (lowest maintenance / "
                "equity):\n",
                traders.size(), liquidatable);
    for (std::size_t i = 0; i < std::min<std::size_t>(3, traders.size()); ++i) show(traders[i]);
    std::printf("least healthy:\n");
    for (std::size_t i = traders.size() > 3 ? traders.size() - 3 : 0; i < traders.size(); ++i) {
      show(traders[i]);
    }

    const auto digest = eng_.Digest();
    std::string hex;
    for (std::uint8_t b : digest) hex += fmt::format("{:02x}", b);
    std::printf("\nstate digest %s\n", hex.c_str());
  }

  // The rates each market set (newest last), what settled, what is pending.
  void ReportFunding() {
    std::printf("\nfunding (premium model: an 8-hour rate paid every 10 min, sampled every 10 s):\n");
    for (const MarketSpec& s : kMarkets) {
      const FundingView f = *eng_.Funding(s.id);
      std::string rates;
      for (auto it = f.history.rbegin(); it != f.history.rend(); ++it) {
        rates += ' ';
        rates += Percent4(it->rate);
      }
      std::printf("  %-8s rate per 8 h by interval:%s; running interval: %u samples, predicted %s\n",
                  s.symbol, rates.c_str(), f.samples, Percent4(f.predicted_rate).c_str());
    }
    std::int64_t owes = 0, owed = 0;  // pending on open positions, both >= 0
    for (AccountId id : eng_.Accounts()) {
      const AccountSummary summary = *eng_.Summary(id);
      for (const PositionView& p : summary.positions) {
        (p.pending_funding.raw() > 0 ? owes : owed) += std::abs(p.pending_funding.raw());
      }
    }
    std::printf("  %lld intervals closed (FundingRateSet), %lld settlements (FundingSettled): "
                "payers paid %s USD, receivers got %s USD;\n  not settled yet: %s USD owed by "
                "open positions, %s USD owed to them; rounding in the residual sink: %s USD\n",
                static_cast<long long>(funding_rates_), static_cast<long long>(funding_settled_),
                Usd(funding_paid_).c_str(), Usd(funding_received_).c_str(), Usd(owes).c_str(),
                Usd(owed).c_str(), Usd128(eng_.funding_residual()).c_str());
    std::printf("  the first settlements:\n");
    for (const std::string& line : funding_log_) std::printf("%s\n", line.c_str());
  }

  // The keeper's work: what it liquidated, what it earned, the fund.
  void ReportLiquidations() {
    std::printf("\nliquidations (a keeper after every oracle round): %lld, %lld partial and %lld "
                "full (%lld isolated), %s USD closed; %lld more found nothing to trade with "
                "within the fillable price\n",
                static_cast<long long>(liq_partial_ + liq_full_),
                static_cast<long long>(liq_partial_), static_cast<long long>(liq_full_),
                static_cast<long long>(liq_isolated_), Usd(liq_notional_).c_str(),
                static_cast<long long>(liq_empty_));
    std::printf("  fees %s USD: %s USD to the keeper (its cash: %s USD), %s USD to the insurance "
                "fund\n",
                Usd(liq_fees_).c_str(), Usd(keeper_income_).c_str(),
                Usd(eng_.Summary(Keeper())->cash.raw()).c_str(),
                Usd(liq_fees_ - keeper_income_).c_str());
    std::printf("  insurance fund: %s USD at the start, %s USD now; it covered %lld deficits for "
                "%s USD; shortfall %s USD\n",
                Usd(kInsuranceStart).c_str(), Usd(eng_.insurance_fund().raw()).c_str(),
                static_cast<long long>(covers_), Usd(covered_).c_str(),
                Usd(eng_.shortfall().raw()).c_str());
    for (const std::string& line : liq_log_) std::printf("%s\n", line.c_str());
    // The keeper never trades: its cash is exactly its share of the fees.
    if (eng_.Summary(Keeper())->cash.raw() != keeper_income_) {
      std::fprintf(stderr, "the keeper's cash is not the sum of its keeper fees\n");
      std::exit(1);
    }
  }

  std::int64_t Rejected() const {
    std::int64_t n = 0;
    for (const auto& [reason, count] : rejects_) n += count;
    return n;
  }

  static constexpr std::int64_t kStart = 1'700'000'000LL * kSecondNs;
  static constexpr std::int64_t kInsuranceStart = 1'000'000 * kUsd;

  SplitMix rng_;
  int accounts_;
  std::int64_t commands_;
  Engine eng_;
  std::int64_t now_ = kStart;
  std::vector<std::int64_t> true_price_;
  std::uint64_t next_order_ = 0;  // the last OrderId handed out
  std::int64_t fills_ = 0;
  std::int64_t referrer_paid_ = 0;
  std::int64_t rebates_paid_ = 0;
  std::map<Reason, std::int64_t> rejects_;
  std::vector<std::string> breaker_log_;
  std::int64_t funding_rates_ = 0, funding_settled_ = 0;
  std::int64_t funding_paid_ = 0, funding_received_ = 0;  // atoms, both >= 0
  std::vector<std::string> funding_log_;
  std::int64_t liq_partial_ = 0, liq_full_ = 0, liq_isolated_ = 0, liq_empty_ = 0;
  std::int64_t liq_notional_ = 0, liq_fees_ = 0, keeper_income_ = 0;  // atoms
  std::int64_t covers_ = 0, covered_ = 0;
  std::vector<std::string> liq_log_;
};

}  // namespace

int main(int argc, char** argv) {
  std::int64_t commands = 400'000;
  std::uint64_t seed = 42;
  int accounts = 320;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--commands") commands = std::max<std::int64_t>(10, std::atoll(value));
    else if (flag == "--seed") seed = std::strtoull(value, nullptr, 10);
    else if (flag == "--accounts") accounts = std::max(kMakers + 1, std::atoi(value));
    else {
      std::fprintf(stderr, "usage: engine_demo [--commands N] [--seed S] [--accounts N]\n");
      return 2;
    }
  }
  return Demo(seed, accounts, commands).Run();
}
