// determinism_driver: one seeded command stream through the engine (the C
// API), printing the state digest every --every commands and at the end.
//
// tools/test.sh builds this program with GCC (the release tree) and with
// Clang (the sanitizer tree) and compares the two outputs line by line: the
// same commands must give the same state, byte for byte, whatever the
// compiler, its optimizer and its standard-library inlining (DESIGN.md rule
// 2). A running digest localizes a divergence to --every commands; rerun
// both builds with a smaller --every (and --commands) to narrow it down.
//
// Usage: determinism_driver [--commands N] [--seed S] [--every K]
//   N commands after the setup (default 200,000), seed S (default 20261207),
//   a digest line every K commands (default 20,000).
//
// The stream is open-loop but for the keeper: it is a function of the seed
// alone (integer randomness only, tests/support/rng.hpp; no double, no
// libm), never of the engine's answers, so two builds are fed the same
// commands even when they disagree. The keeper's liquidations follow the
// engine's Liquidatable answers; they draw from a generator of their own
// and do not advance the time, so every other command is the seed's.
// Setup: an engine with three fee tiers and a referrer share; four markets
// (price band 10%, three margin tiers with top leverage 50, oracle with two
// of three sources, source and TWAP breakers, liquidation set so that the
// insurance fund stays thin, Liquidation()); 200 accounts (owners shared by
// pairs, so self-trade prevention is exercised; some referred, some on
// other fee tiers), each funded, of which the leveraged traders (a % 10 ==
// 9; isolated in every market when a % 20 == 19, else cross) are thin and
// at leverage 50; and the keeper, account 201. Funding engages within the
// run (the default 8-hour intervals would not close in its ~200 s), so the
// check covers its arithmetic (256-bit products, Pow, the index, settlement
// rounding):
//   M1  premium model, 10 s intervals of an 8-hour period (each pays 1/2880
//       of the rate: sub-period rounding), a sample a second, time-weighted,
//       paid at interval ends at the index;
//   M2  kSkewPower with exponent 1.5 (Pow's fractional path), paid
//       continuously at the mark, 30 s intervals;
//   M3  kSkewAdaptive with exponent 1.25, paid at 20 s interval ends;
//   M4  the defaults (premium, 8-hour intervals).
// A fee update (below) closes the running interval of its market early. M2
// and M3 share a funding counterparty, account 1 (a deep vault), which takes
// one in five of those markets' orders, so the skew moves. Then per command,
// uniform u in [0, 1000):
//   u <  40  oracle price from one of three sources (a random walk per
//            market with swings of a few percent and gaps, Move(); the
//            source adding -3..3 ticks of noise), then the keeper
//            (Keeper()): it asks perpcore_engine_liquidatable() for the 8
//            most under-margined buckets and liquidates each;
//   u <  50  time tick (one market, or all);
//   u <  70  deposit, withdrawal, transfer, leverage, margin mode, isolated
//            margin, insurance deposit (FundInsurance, 1..20 USD: the fund
//            stays thin), fee tier, STP scope (about equally; deposits and
//            transfers to a leveraged trader small);
//   u <  72  market status (active 80%, reduce-only, halted) or fee update;
//   u < 150  a taker: market IOC, IOC or FOK limit, 0..20 ticks through;
//   u < 166  a leveraged trader's market order, 50..12,800 lots (most of
//            the big ones refused for margin);
//   u < 170  a Liquidate from a random keeper, mostly refused (healthy, no
//            position, self, size 0, unknown market);
//   u < 230  an amend of a recent order; u < 280 a cancel-replace;
//   u < 480  a cancel (by id; one in ten by client id, one in fifty all);
//   else     a passive limit order (GTC, a tenth post-only or slide), 1..200
//            ticks behind the market's price, sometimes reduce-only.
// Time advances 0..2 ms a command; a market gets a time tick every 250
// commands (~250 ms) on average, so about 98% of M1's 1 s sample slots are
// sampled (1 - e^-4); fills advance funding too, without sampling. Many commands are rejected (unknown orders, margin, bands):
// rejects are part of what must agree.
//
// Output: "commands <n> accepted <a> filled_lots <f> liquidations <l>
// digest <hex> keeper <hex>" lines, "outcomes <reason>=<count> ..." (setup
// included), then "final digest <hex> funding_rate_set <r> funding_settled
// <s> funding_residual <d> liquidations <l> insurance_covers <c>
// shortfall_events <k> keeper <hex>" (the FUNDING_*, LIQUIDATION,
// INSURANCE_COVER and SHORTFALL events of the whole run). "keeper" is the
// keeper digest: FNV-1a over every Liquidatable answer (account, market,
// health, equity, maintenance) and every liquidation, insurance-cover and
// shortfall event, in order; it is what the state digest does not see (the
// answers) and pins the events field by field. Exit status 1, before that
// last line, if an invariant check fails, a call fails with a status (not a
// reason), or the stream rots: fewer than 5% of commands fill, fewer than
// 30% are accepted, or, from 20,000 commands on (~20 s: two M1 intervals),
// no funding interval closed, no funding settled or no liquidation (seeds 1
// to 10 and the default each liquidate 3 to 21 times by then).
#include <array>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "perpcore/perpcore.h"
#include "support/rng.hpp"

namespace {

using perpcore::testing::Rng;

constexpr std::uint32_t kMarkets = 4;
constexpr std::uint64_t kAccounts = 200;
constexpr std::int64_t kUsd = 1000000;  // quote atoms (6 decimals)
constexpr std::int64_t kBp = PERPCORE_RATE_SCALE / 10000;
constexpr std::int64_t kPercent = PERPCORE_RATE_SCALE / 100;
constexpr std::int64_t kSecond = 1000000000;  // ns
constexpr std::int64_t kHour = 3600 * kSecond;
// The skew markets' funding counterparty.
constexpr std::uint64_t kVault = 1;
// The keeper: an account of its own (owner kKeeper too) that only liquidates.
constexpr std::uint64_t kKeeper = kAccounts + 1;
// Leveraged traders: accounts a % 10 == 9 (isolated in every market when
// a % 20 == 19, else cross), thinly funded, at the markets' top leverage.
constexpr std::uint32_t kTopLeverage = 50;
constexpr bool Leveraged(std::uint64_t a) { return a % 10 == 9; }
// Candidates the keeper asks for after a price move (and liquidates).
constexpr std::size_t kKeeperBatch = 8;
// What the keeper digest folds before a Liquidatable answer (event kinds
// are below 256).
constexpr std::uint64_t kCandidateTag = 0x4341;
// From this many commands on, the run must have closed a funding interval,
// settled funding and liquidated (see the file comment).
constexpr std::uint64_t kMinCommands = 20000;

struct Options {
  std::uint64_t commands = 200000;
  std::uint64_t seed = 20261207;
  std::uint64_t every = 20000;
};

[[noreturn]] void Die(const char* what, const perpcore_engine* eng) {
  char msg[512] = "";
  if (eng != nullptr && perpcore_engine_last_error(eng, msg, sizeof msg) != PERPCORE_OK) msg[0] = '\0';
  std::fprintf(stderr, "determinism_driver: %s %s\n", what, msg);
  std::exit(1);
}

struct Recent {
  std::uint32_t market;
  std::uint64_t account;
  std::uint64_t order_id;
  std::uint64_t client_id;
};

class Driver {
 public:
  explicit Driver(const Options& opt) : opt_(opt), rng_(opt.seed), keeper_rng_(opt.seed ^ 0x6B656570) {}
  ~Driver() { perpcore_engine_destroy(eng_); }
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;

  int Run() {
    Setup();
    for (std::uint64_t i = 1; i <= opt_.commands; ++i) {
      Next();
      if (i % opt_.every == 0 || i == opt_.commands) Report(i);
    }
    std::printf("outcomes");
    for (const auto& [reason, count] : by_reason_) {
      std::printf(" %s=%" PRIu64, perpcore_reason_name(reason), count);
    }
    std::printf("\n");
    if (filled_commands_ * 20 < opt_.commands) Die("the stream rotted: under 5% of commands fill", nullptr);
    if (accepted_ * 10 < opt_.commands * 3) Die("the stream rotted: under 30% accepted", nullptr);
    if (opt_.commands >= kMinCommands && (funding_rate_set_ == 0 || funding_settled_ == 0)) {
      Die("the stream rotted: no funding interval closed or no funding settled", nullptr);
    }
    if (opt_.commands >= kMinCommands && liquidations_ == 0) {
      Die("the stream rotted: no liquidation", nullptr);
    }
    std::printf("final digest %s funding_rate_set %" PRIu64 " funding_settled %" PRIu64
                " funding_residual %" PRIu64 " liquidations %" PRIu64 " insurance_covers %" PRIu64
                " shortfall_events %" PRIu64 " keeper %016" PRIx64 "\n",
                Hex().c_str(), funding_rate_set_, funding_settled_, funding_residual_, liquidations_,
                insurance_covers_, shortfall_events_, keeper_digest_);
    return 0;
  }

 private:
  // --- plumbing -------------------------------------------------------------
  // advance = false: the keeper's commands, at the time of the command that
  // triggered them, so they draw nothing from the stream's generator.
  template <class Cmd>
  void Apply(Cmd cmd, bool advance = true) {
    std::uint64_t last = 0;
    if (perpcore_engine_last_seq(eng_, &last) != PERPCORE_OK) Die("last_seq", eng_);
    if (advance) now_ += rng_.Between(0, 2000000);
    perpcore_result r{};
    if (cmd(&r, last + 1, now_) != PERPCORE_OK) Die("a command failed with a status", eng_);
    if (r.reason == PERPCORE_REASON_OK) ++accepted_;
    ++by_reason_[r.reason];
    CountEvents(r.event_count);
    if (r.filled != 0) {
      ++filled_commands_;
      filled_lots_ += static_cast<std::uint64_t>(r.filled < 0 ? -r.filled : r.filled);
    }
  }

  // Counts the FUNDING_* and liquidation events of the last command (setup
  // included) and folds the liquidation events into the keeper digest.
  void CountEvents(std::uint32_t count) {
    if (count == 0) return;
    events_.resize(count);
    std::size_t written = 0;
    if (perpcore_engine_events(eng_, events_.data(), events_.size(), &written) != PERPCORE_OK ||
        written != count) {
      Die("events", eng_);
    }
    for (const perpcore_event& e : events_) {
      if (e.kind == PERPCORE_EVENT_FUNDING_RATE_SET) ++funding_rate_set_;
      if (e.kind == PERPCORE_EVENT_FUNDING_SETTLED) ++funding_settled_;
      if (e.kind == PERPCORE_EVENT_FUNDING_RESIDUAL) ++funding_residual_;
      if (e.kind == PERPCORE_EVENT_LIQUIDATION) {
        const perpcore_event_liquidation& l = e.as.liquidation;
        ++liquidations_;
        Fold(e.kind, l.market, l.health, l.account, l.keeper, l.order_id, l.isolated, l.closed,
              l.position, l.limit, l.closed_notional, l.fee, l.keeper_fee);
      } else if (e.kind == PERPCORE_EVENT_INSURANCE_COVER) {
        const perpcore_event_insurance_cover& c = e.as.insurance_cover;
        ++insurance_covers_;
        Fold(e.kind, c.market, c.account, c.amount);
      } else if (e.kind == PERPCORE_EVENT_SHORTFALL) {
        const perpcore_event_shortfall& f = e.as.shortfall;
        ++shortfall_events_;
        Fold(e.kind, f.market, f.account, f.amount);
      }
    }
  }

  // The keeper digest: FNV-1a (64-bit) over the little-endian bytes of each
  // value, so it is the same on every compiler and platform.
  // Signed values fold as their two's-complement bit pattern.
  template <class... T>
  void Fold(T... values) {
    (FoldWord(static_cast<std::uint64_t>(values)), ...);
  }
  void FoldWord(std::uint64_t v) {
    for (int byte = 0; byte < 8; ++byte) {
      keeper_digest_ ^= (v >> (8 * byte)) & 0xFF;
      keeper_digest_ *= 0x100000001B3ull;
    }
  }

  std::string Hex() const {
    std::array<std::uint8_t, PERPCORE_DIGEST_SIZE> d{};
    if (perpcore_engine_digest(eng_, d.data()) != PERPCORE_OK) Die("digest", eng_);
    std::string out;
    char buf[3];
    for (const std::uint8_t b : d) {
      std::snprintf(buf, sizeof buf, "%02x", b);
      out += buf;
    }
    return out;
  }

  void Report(std::uint64_t i) {
    if (perpcore_engine_check_invariants(eng_) != PERPCORE_OK) Die("invariants:", eng_);
    std::printf("commands %" PRIu64 " accepted %" PRIu64 " filled_lots %" PRIu64
                " liquidations %" PRIu64 " digest %s keeper %016" PRIx64 "\n",
                i, accepted_, filled_lots_, liquidations_, Hex().c_str(), keeper_digest_);
  }

  std::uint32_t AnyMarket() { return static_cast<std::uint32_t>(rng_.Between(1, kMarkets)); }
  std::uint64_t AnyAccount() { return static_cast<std::uint64_t>(rng_.Between(1, kAccounts)); }

  // --- setup ----------------------------------------------------------------
  void Setup() {
    perpcore_engine_config cfg;
    perpcore_engine_config_init(&cfg);
    cfg.referrer_share = 10 * (PERPCORE_RATE_SCALE / 100);
    cfg.fee_tier_count = 3;
    cfg.fee_tier_discounts[1] = 10 * (PERPCORE_RATE_SCALE / 100);
    cfg.fee_tier_discounts[2] = 25 * (PERPCORE_RATE_SCALE / 100);
    if (perpcore_engine_create(&eng_, &cfg) != PERPCORE_OK) Die("engine_create", nullptr);

    for (std::uint32_t m = 1; m <= kMarkets; ++m) {
      perpcore_market_params p;
      perpcore_market_params_init(&p);
      std::snprintf(p.symbol, sizeof p.symbol, "M%u-USD", m);
      p.price_band = 10 * (PERPCORE_RATE_SCALE / 100);
      p.maker_fee = m % 2 == 0 ? -kBp / 2 : kBp;  // a rebate on the even markets
      p.tier_count = 3;
      p.max_leverage = kTopLeverage;
      p.tiers[0] = perpcore_margin_tier{0, PERPCORE_RATE_SCALE / 100, kTopLeverage, 0};
      p.tiers[1] = perpcore_margin_tier{250000 * kUsd, 25 * (PERPCORE_RATE_SCALE / 1000), 10, 0};
      p.tiers[2] = perpcore_margin_tier{1000000 * kUsd, 5 * (PERPCORE_RATE_SCALE / 100), 5, 0};
      p.oracle.min_sources = 2;
      p.oracle.max_source_deviation = 2 * (PERPCORE_RATE_SCALE / 100);
      p.oracle.max_twap_deviation = 10 * (PERPCORE_RATE_SCALE / 100);
      p.max_orders_per_account = 100;
      Funding(m, &p.funding);
      Liquidation(m, &p.liquidation);
      Apply([&](perpcore_result* r, std::uint64_t s, std::int64_t t) {
        return perpcore_market_create(eng_, r, s, t, m, &p);
      });
      price_[m] = Base(m);
      for (std::uint32_t source = 1; source <= 3; ++source) Publish(m, source);
    }
    for (std::uint64_t a = 1; a <= kAccounts; ++a) {
      const std::uint64_t owner = (a + 1) / 2;
      const std::uint32_t tier = a % 10 == 0 ? 2 : a % 10 == 5 ? 1 : 0;
      const std::uint64_t referrer = a % 20 == 3 ? a - 1 : 0;
      Apply([&](perpcore_result* r, std::uint64_t s, std::int64_t t) {
        return perpcore_account_create(eng_, r, s, t, a, owner, tier, referrer);
      });
      // Thin accounts (a % 25 == 7) hit margin limits; the rest rarely do.
      const std::int64_t usd = a == kVault     ? 5000000
                               : a % 25 == 7   ? rng_.Between(300, 3000)
                               : Leveraged(a) ? rng_.Between(1000, 3000)
                                               : rng_.Between(20000, 500000);
      Apply([&](perpcore_result* r, std::uint64_t s, std::int64_t t) {
        return perpcore_account_deposit(eng_, r, s, t, a, usd * kUsd);
      });
      if (!Leveraged(a)) continue;
      for (std::uint32_t m = 1; m <= kMarkets; ++m) {
        if (a % 20 == 19) {
          Apply([&](perpcore_result* r, std::uint64_t s, std::int64_t t) {
            return perpcore_account_set_margin_mode(eng_, r, s, t, m, a, PERPCORE_MARGIN_ISOLATED);
          });
        }
        Apply([&](perpcore_result* r, std::uint64_t s, std::int64_t t) {
          return perpcore_account_set_leverage(eng_, r, s, t, m, a, kTopLeverage);
        });
      }
    }
    Apply([&](perpcore_result* r, std::uint64_t s, std::int64_t t) {
      return perpcore_account_create(eng_, r, s, t, kKeeper, kKeeper, 0, 0);
    });
    Apply([&](perpcore_result* r, std::uint64_t s, std::int64_t t) {
      return perpcore_account_deposit(eng_, r, s, t, kKeeper, 1000 * kUsd);
    });
    accepted_ = 0;
  }

  // The funding of market m (the file comment); every cadence divides its
  // interval, as Validate() requires of every model.
  static void Funding(std::uint32_t m, perpcore_funding_params* f) {
    if (m == 1) {
      f->model = PERPCORE_FUNDING_MODEL_PREMIUM;
      f->payment = PERPCORE_FUNDING_PAYMENT_INTERVAL_END;
      f->price = PERPCORE_FUNDING_PRICE_INDEX;
      f->interval_ns = 10 * kSecond;
      f->period_ns = 8 * kHour;
      f->sample_cadence_ns = kSecond;
      f->weighting = PERPCORE_FUNDING_WEIGHTING_TIME_WEIGHTED;
    } else if (m == 2) {
      f->model = PERPCORE_FUNDING_MODEL_SKEW_POWER;
      f->payment = PERPCORE_FUNDING_PAYMENT_CONTINUOUS;
      f->price = PERPCORE_FUNDING_PRICE_MARK;
      f->interval_ns = 30 * kSecond;
      f->period_ns = 8 * kHour;
      f->sample_cadence_ns = kSecond;
      f->counterparty = kVault;
      f->skew_factor = 2 * kPercent;
      f->skew_exponent = 3 * PERPCORE_RATE_SCALE / 2;
      f->skew_max = kPercent;
    } else if (m == 3) {
      f->model = PERPCORE_FUNDING_MODEL_SKEW_ADAPTIVE;
      f->payment = PERPCORE_FUNDING_PAYMENT_INTERVAL_END;
      f->price = PERPCORE_FUNDING_PRICE_INDEX;
      f->interval_ns = 20 * kSecond;
      f->period_ns = 8 * kHour;
      f->sample_cadence_ns = kSecond;
      f->counterparty = kVault;
      f->skew_exponent = 5 * PERPCORE_RATE_SCALE / 4;
      f->skew_max = kPercent;
      f->ramp_up = kPercent / 10;  // 0.1% per period per second at |skew| = 1
      f->decay = kPercent / 100;
      f->stable_threshold = 5 * kPercent;
      f->decay_threshold = 2 * kPercent;
    }
  }

  static constexpr std::int64_t Base(std::uint32_t m) { return 300000 + static_cast<std::int64_t>(m) * 1000; }

  // The oracle's random walk: -20..20 ticks of noise plus a trend of
  // -40..40 ticks a step, redrawn one step in fifty and turned back beyond
  // 1/16 (6.25%) of the starting price, so swings of a few percent (a 50x
  // position is liquidatable after about 1% against it) come and go and the
  // price stays within the TWAP breaker's 10%; one step in a hundred a gap
  // of up to 4,500 ticks (1.5%, within the 2% source deviation), which the
  // index takes in one move once a second source has it: positions go from
  // healthy to bankrupt before the keeper sees them (insurance covers,
  // shortfalls).
  void Move(std::uint32_t m) {
    if (rng_.Percent(2)) trend_[m] = rng_.Between(-40, 40);
    const std::int64_t base = Base(m);
    if ((price_[m] > base + base / 16 && trend_[m] > 0) || (price_[m] < base - base / 16 && trend_[m] < 0)) {
      trend_[m] = -trend_[m];
    }
    price_[m] += rng_.Between(-20, 20) + trend_[m];
    if (rng_.Percent(1)) price_[m] += rng_.Between(-4500, 4500);  // a gap
  }

  // After a price move the keeper asks for the kKeeperBatch most
  // under-margined buckets, folds the answers into the keeper digest and
  // liquidates each (all of it, or one time in four at most 1..100 lots).
  // This is the stream's one closed loop: its commands depend on the
  // engine's answers, so they take their sizes from their own generator and
  // the command's time, and the rest of the stream stays a function of the
  // seed alone.
  void Keeper() {
    std::array<perpcore_liquidation_candidate, kKeeperBatch> found{};
    std::size_t n = 0;
    if (perpcore_engine_liquidatable(eng_, found.data(), found.size(), &n) != PERPCORE_OK) {
      Die("liquidatable", eng_);
    }
    for (std::size_t i = 0; i < n; ++i) {
      const perpcore_liquidation_candidate& c = found[i];
      Fold(kCandidateTag, c.account, c.market, c.health, c.equity, c.maintenance);
    }
    for (std::size_t i = 0; i < n; ++i) {
      const perpcore_liquidation_candidate& c = found[i];
      const std::int64_t max_size = keeper_rng_.Percent(75) ? INT64_MAX : keeper_rng_.Between(1, 100);
      Apply(
          [&](perpcore_result* r, std::uint64_t s, std::int64_t t) {
            return perpcore_engine_liquidate(eng_, r, s, t, c.market, c.account, kKeeper, max_size);
          },
          false);
    }
  }

  // A Liquidate from anyone, mostly refused: healthy targets, no position,
  // the target as its own keeper, size 0, market 0 or unknown.
  void RandomLiquidate() {
    const auto m = static_cast<std::uint32_t>(rng_.Between(0, kMarkets + 1));
    const std::uint64_t account = AnyAccount();
    const std::uint64_t keeper = rng_.Percent(10) ? account : AnyAccount();
    const std::int64_t max_size = rng_.Percent(5) ? 0 : rng_.Between(1, 500);
    Apply([&](perpcore_result* r, std::uint64_t s, std::int64_t t) {
      return perpcore_engine_liquidate(eng_, r, s, t, m, account, keeper, max_size);
    });
  }

  // A leveraged trader's market order, big enough that a few of them take
  // it to its top leverage (the rest refused for margin).
  void LeveragedTaker() {
    const std::uint32_t m = AnyMarket();
    perpcore_order o = NewOrder(m, static_cast<std::uint64_t>(rng_.Between(0, kAccounts / 10 - 1)) * 10 + 9);
    o.side = static_cast<std::uint8_t>(rng_.Below(2));
    o.price = o.side == PERPCORE_SIDE_BUY ? price_[m] + 20 : price_[m] - 20;
    o.size = rng_.Between(50, 800) << rng_.Below(5);
    o.type = PERPCORE_ORDER_MARKET;
    o.tif = PERPCORE_TIF_IOC;
    Apply([&](perpcore_result* r, std::uint64_t s, std::int64_t t) {
      return perpcore_order_place(eng_, r, s, t, &o);
    });
  }

  // The liquidation of market m, set so that the insurance fund stays thin
  // (it lives on small FundInsurance deposits and M1's fees) and gaps leave
  // shortfalls: M1 the defaults but a 0.1% fee (5% of it the keeper's); in
  // M2..M4 the keeper takes the whole fee; M2 a 1% fee; M3 every position
  // in chunks of half, 5 s cooldown.
  static void Liquidation(std::uint32_t m, perpcore_liquidation_params* l) {
    if (m == 1) {
      l->fee = kPercent / 10;
      return;
    }
    l->keeper_share = PERPCORE_RATE_SCALE;
    if (m == 2) l->fee = kPercent;
    if (m == 3) {
      l->chunk_threshold = 0;
      l->chunk_fraction = PERPCORE_RATE_SCALE / 2;
      l->cooldown_ns = 5 * kSecond;
    }
  }

  // A skew market's orders come from the vault one time in five.
  std::uint64_t Trader(std::uint32_t m) {
    if ((m == 2 || m == 3) && rng_.Percent(20)) return kVault;
    return AnyAccount();
  }

  void Publish(std::uint32_t m, std::uint32_t source) {
    const std::int64_t price = price_[m] + rng_.Between(-3, 3);
    Apply([&](perpcore_result* r, std::uint64_t s, std::int64_t t) {
      return perpcore_oracle_publish(eng_, r, s, t, m, source, price, t);
    });
  }

  // --- the stream -------------------------------------------------------------
  void Next() {
    const auto u = rng_.Below(1000);
    if (u < 40) {
      const std::uint32_t m = AnyMarket();
      Move(m);
      Publish(m, static_cast<std::uint32_t>(rng_.Between(1, 3)));
      Keeper();
    } else if (u < 50) {
      const std::uint32_t m = rng_.Percent(20) ? 0 : AnyMarket();
      Apply([&](perpcore_result* r, std::uint64_t s, std::int64_t t) {
        return perpcore_engine_time_tick(eng_, r, s, t, m);
      });
    } else if (u < 70) {
      Account();
    } else if (u < 72) {
      MarketAdmin();
    } else if (u < 150) {
      Taker();
    } else if (u < 166) {
      LeveragedTaker();
    } else if (u < 170) {
      RandomLiquidate();
    } else if (u < 230) {
      Amend();
    } else if (u < 280) {
      CancelReplace();
    } else if (u < 480) {
      Cancel();
    } else {
      perpcore_order o = Passive();
      Apply([&](perpcore_result* r, std::uint64_t s, std::int64_t t) {
        return perpcore_order_place(eng_, r, s, t, &o);
      });
      Remember(o);
    }
  }

  perpcore_order NewOrder(std::uint32_t m, std::uint64_t account) {
    perpcore_order o;
    perpcore_order_init(&o);
    o.market = m;
    o.account = account;
    o.order_id = ++next_order_id_;
    o.client_id = rng_.Percent(50) ? o.order_id : 0;
    o.stp = static_cast<std::uint8_t>(rng_.Below(4));
    return o;
  }

  perpcore_order Passive() {
    const std::uint32_t m = AnyMarket();
    perpcore_order o = NewOrder(m, Trader(m));
    o.side = static_cast<std::uint8_t>(rng_.Below(2));
    const std::int64_t behind = rng_.Between(1, 200);
    o.price = o.side == PERPCORE_SIDE_BUY ? price_[m] - behind : price_[m] + behind;
    o.size = rng_.Between(1, 500);
    const auto k = rng_.Below(20);
    o.tif = static_cast<std::uint8_t>(k == 0 ? PERPCORE_TIF_POST_ONLY
                                      : k == 1 ? PERPCORE_TIF_POST_ONLY_SLIDE
                                               : PERPCORE_TIF_GTC);
    o.reduce_only = rng_.Percent(3) ? 1 : 0;
    return o;
  }

  void Remember(const perpcore_order& o) {
    const Recent r{o.market, o.account, o.order_id, o.client_id};
    if (recent_.size() < 4096) {
      recent_.push_back(r);
    } else {
      recent_[rng_.Below(recent_.size())] = r;
    }
  }

  const Recent* PickRecent() {
    return recent_.empty() ? nullptr : &recent_[rng_.Below(recent_.size())];
  }

  void Taker() {
    const std::uint32_t m = AnyMarket();
    perpcore_order o = NewOrder(m, Trader(m));
    o.side = static_cast<std::uint8_t>(rng_.Below(2));
    const std::int64_t through = rng_.Between(0, 20);
    o.price = o.side == PERPCORE_SIDE_BUY ? price_[m] + through : price_[m] - through;
    o.size = rng_.Between(1, 300);
    const auto k = rng_.Below(10);
    o.type = static_cast<std::uint8_t>(k < 4 ? PERPCORE_ORDER_MARKET : PERPCORE_ORDER_LIMIT);
    o.tif = static_cast<std::uint8_t>(k == 9 ? PERPCORE_TIF_FOK : PERPCORE_TIF_IOC);
    o.reduce_only = rng_.Percent(10) ? 1 : 0;
    Apply([&](perpcore_result* r, std::uint64_t s, std::int64_t t) {
      return perpcore_order_place(eng_, r, s, t, &o);
    });
  }

  void Amend() {
    const Recent* old = PickRecent();
    if (old == nullptr) return Taker();
    perpcore_amend a;
    perpcore_amend_init(&a);
    a.market = old->market;
    a.account = old->account;
    a.order_id = old->order_id;
    a.new_price = price_[old->market] + rng_.Between(-150, 150);
    a.new_size = rng_.Between(1, 500);
    Apply([&](perpcore_result* r, std::uint64_t s, std::int64_t t) {
      return perpcore_order_amend(eng_, r, s, t, &a);
    });
  }

  void CancelReplace() {
    const Recent* old = PickRecent();
    if (old == nullptr) return Taker();
    const Recent was = *old;
    perpcore_order o = NewOrder(was.market, was.account);
    o.side = static_cast<std::uint8_t>(rng_.Below(2));
    const std::int64_t offset = rng_.Between(-30, 200);  // sometimes crossing
    o.price = o.side == PERPCORE_SIDE_BUY ? price_[was.market] - offset : price_[was.market] + offset;
    o.size = rng_.Between(1, 500);
    Apply([&](perpcore_result* r, std::uint64_t s, std::int64_t t) {
      return perpcore_order_cancel_replace(eng_, r, s, t, was.market, was.account, was.order_id, &o);
    });
    Remember(o);
  }

  void Cancel() {
    const Recent* old = PickRecent();
    if (old == nullptr) return Taker();
    const Recent was = *old;
    const auto k = rng_.Below(50);
    Apply([&](perpcore_result* r, std::uint64_t s, std::int64_t t) {
      if (k == 0) return perpcore_order_cancel_all(eng_, r, s, t, was.market, was.account);
      if (k < 5) return perpcore_order_cancel_by_client_id(eng_, r, s, t, was.market, was.account,
                                                           was.client_id);
      return perpcore_order_cancel(eng_, r, s, t, was.market, was.account, was.order_id);
    });
  }

  void Account() {
    const std::uint64_t a = AnyAccount();
    const std::uint32_t m = AnyMarket();
    switch (rng_.Below(9)) {
      case 0: {
        // Leveraged traders stay thin: a little at a time.
        const std::int64_t amount = rng_.Between(100, Leveraged(a) ? 500 : 20000) * kUsd;
        Apply([&](perpcore_result* r, std::uint64_t s, std::int64_t t) {
          return perpcore_account_deposit(eng_, r, s, t, a, amount);
        });
        break;
      }
      case 1: {
        const std::int64_t amount = rng_.Between(10, 30000) * kUsd;
        Apply([&](perpcore_result* r, std::uint64_t s, std::int64_t t) {
          return perpcore_account_withdraw(eng_, r, s, t, a, amount);
        });
        break;
      }
      case 2: {
        const std::uint64_t to = AnyAccount();
        const std::int64_t amount = rng_.Between(1, Leveraged(to) ? 100 : 5000) * kUsd;
        Apply([&](perpcore_result* r, std::uint64_t s, std::int64_t t) {
          return perpcore_account_transfer(eng_, r, s, t, a, to, amount);
        });
        break;
      }
      case 3: {
        const auto leverage = static_cast<std::uint32_t>(rng_.Between(1, 20));
        Apply([&](perpcore_result* r, std::uint64_t s, std::int64_t t) {
          return perpcore_account_set_leverage(eng_, r, s, t, m, a, leverage);
        });
        break;
      }
      case 4: {
        const auto mode = static_cast<std::uint32_t>(rng_.Below(2));
        Apply([&](perpcore_result* r, std::uint64_t s, std::int64_t t) {
          return perpcore_account_set_margin_mode(eng_, r, s, t, m, a, mode);
        });
        break;
      }
      case 5: {
        const std::int64_t delta = rng_.Between(-2000, 2000) * kUsd;
        Apply([&](perpcore_result* r, std::uint64_t s, std::int64_t t) {
          return perpcore_account_adjust_isolated_margin(eng_, r, s, t, m, a, delta);
        });
        break;
      }
      case 6: {
        const std::int64_t amount = rng_.Between(1, 20) * kUsd;
        Apply([&](perpcore_result* r, std::uint64_t s, std::int64_t t) {
          return perpcore_insurance_deposit(eng_, r, s, t, amount);
        });
        break;
      }
      case 7: {
        const auto tier = static_cast<std::uint32_t>(rng_.Below(3));
        Apply([&](perpcore_result* r, std::uint64_t s, std::int64_t t) {
          return perpcore_account_set_fee_tier(eng_, r, s, t, a, tier);
        });
        break;
      }
      default: {
        const auto scope = static_cast<std::uint32_t>(rng_.Below(2));
        Apply([&](perpcore_result* r, std::uint64_t s, std::int64_t t) {
          return perpcore_account_set_stp_scope(eng_, r, s, t, a, scope);
        });
        break;
      }
    }
  }

  void MarketAdmin() {
    const std::uint32_t m = AnyMarket();
    if (rng_.Percent(50)) {
      // Mostly back to active, so no market stays closed for long.
      const auto k = rng_.Below(10);
      const std::uint32_t status = k < 8   ? PERPCORE_MARKET_ACTIVE
                                   : k < 9 ? PERPCORE_MARKET_REDUCE_ONLY
                                           : PERPCORE_MARKET_HALTED;
      Apply([&](perpcore_result* r, std::uint64_t s, std::int64_t t) {
        return perpcore_market_set_status(eng_, r, s, t, m, status);
      });
      return;
    }
    perpcore_market_params p;
    perpcore_market_params_init(&p);
    if (perpcore_market_params_get(eng_, &p, m) != PERPCORE_OK) Die("market_params_get", eng_);
    p.taker_fee = rng_.Between(1, 10) * kBp;
    p.maker_fee = rng_.Between(-1, 3) * kBp / 2;
    Apply([&](perpcore_result* r, std::uint64_t s, std::int64_t t) {
      return perpcore_market_update(eng_, r, s, t, m, &p);
    });
  }

  Options opt_;
  Rng rng_;
  perpcore_engine* eng_ = nullptr;
  std::int64_t now_ = 1000000000;
  Rng keeper_rng_;  // the keeper's sizes (Keeper())
  std::array<std::int64_t, kMarkets + 1> price_{};
  std::array<std::int64_t, kMarkets + 1> trend_{};
  std::uint64_t next_order_id_ = 0;
  std::vector<Recent> recent_;
  std::uint64_t accepted_ = 0;
  std::uint64_t filled_commands_ = 0;
  std::uint64_t filled_lots_ = 0;
  std::map<std::uint32_t, std::uint64_t> by_reason_;  // setup included
  std::vector<perpcore_event> events_;                // the last command's
  std::uint64_t funding_rate_set_ = 0;                // FUNDING_* events
  std::uint64_t funding_settled_ = 0;
  std::uint64_t funding_residual_ = 0;
  std::uint64_t liquidations_ = 0;  // LIQUIDATION events
  std::uint64_t insurance_covers_ = 0;
  std::uint64_t shortfall_events_ = 0;
  std::uint64_t keeper_digest_ = 0xCBF29CE484222325ull;  // FNV-1a offset basis
};

bool ParseCount(const char* text, std::uint64_t* out) {
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0') return false;
  *out = v;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; i += 2) {  // flag, value
    const std::string arg = argv[i];
    std::uint64_t* target = arg == "--commands" ? &opt.commands
                            : arg == "--seed"   ? &opt.seed
                            : arg == "--every"  ? &opt.every
                                                : nullptr;
    if (target == nullptr || i + 1 >= argc || !ParseCount(argv[i + 1], target)) {
      std::fprintf(stderr, "usage: %s [--commands N] [--seed S] [--every K]\n", argv[0]);
      return 2;
    }
  }
  if (opt.every == 0 || opt.commands == 0) {
    std::fprintf(stderr, "determinism_driver: --commands and --every must be >= 1\n");
    return 2;
  }
  Driver driver(opt);
  return driver.Run();
}
