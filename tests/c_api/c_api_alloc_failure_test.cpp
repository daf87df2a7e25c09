// Allocation failures through the C API (C++ calling perpcore.h, like
// c_api_defaults_test.cpp). This executable replaces the global operator
// new (tests/support/failing_new.cpp), so each allocation of a call can be
// made to throw std::bad_alloc in turn; no exception may cross the C
// boundary.
//
// A command that runs out of memory returns PERPCORE_E_INTERNAL, with *out
// zeroed and perpcore_engine_last_error() naming the function and "out of
// memory". Then one of two things holds, and the test tells them apart by
// retrying the same command with the same seq:
//   * the failure was inside the engine's Apply(): the engine is poisoned.
//     The retry, and every later command whatever its seq, returns
//     PERPCORE_E_POISONED and changes nothing; perpcore_engine_events()
//     shows no events (not the half-applied command's); every query still
//     answers; perpcore_engine_destroy() is clean (LeakSanitizer checks
//     under the sanitizer build).
//   * the failure was in the C layer before the engine saw the command
//     (converting its arguments): nothing changed, the seq was not consumed,
//     and the retry succeeds exactly as an undisturbed call would.
// A query that runs out of memory returns PERPCORE_E_INTERNAL and leaves the
// engine usable; perpcore_engine_create() returns it with *out NULL.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "perpcore/perpcore.h"
#include "support/failing_new.hpp"

namespace {

using perpcore::testing::AllocationFailure;
using perpcore::testing::AllocationFailureFired;
using perpcore::testing::AllocationsSinceArmed;
using perpcore::testing::LiveAllocations;

constexpr std::int64_t kT0 = 1'000'000'000;
constexpr std::int64_t kUsd = 1'000'000;
constexpr std::int64_t Px(std::int64_t usd) { return usd * 10; }  // 0.1 USD ticks

struct Destroy {
  void operator()(perpcore_engine* e) const { perpcore_engine_destroy(e); }
};
using EnginePtr = std::unique_ptr<perpcore_engine, Destroy>;

std::uint64_t LastSeq(const perpcore_engine* e) {
  std::uint64_t seq = 0;
  REQUIRE(perpcore_engine_last_seq(e, &seq) == PERPCORE_OK);
  return seq;
}

std::array<std::uint8_t, PERPCORE_DIGEST_SIZE> Digest(const perpcore_engine* e) {
  std::array<std::uint8_t, PERPCORE_DIGEST_SIZE> d{};
  REQUIRE(perpcore_engine_digest(e, d.data()) == PERPCORE_OK);
  return d;
}

std::string LastError(const perpcore_engine* e) {
  std::array<char, 256> buf{};
  REQUIRE(perpcore_engine_last_error(e, buf.data(), buf.size()) == PERPCORE_OK);
  return buf.data();
}

bool IsZero(const perpcore_result& r) {
  const perpcore_result zero{};
  return std::memcmp(&r, &zero, sizeof r) == 0;
}

perpcore_market_params Btc() {
  perpcore_market_params p;
  perpcore_market_params_init(&p);
  std::strcpy(p.symbol, "BTC-USD");
  p.max_order_size = 100 * 1000;
  p.max_open_interest = 1000 * 1000;
  p.max_price = Px(1'000'000);
  return p;
}

perpcore_order Limit(std::uint64_t id, std::uint64_t account, std::uint8_t side, std::int64_t price,
                     std::int64_t size) {
  perpcore_order o;
  perpcore_order_init(&o);
  o.market = 1;
  o.order_id = id;
  o.account = account;
  o.side = side;
  o.price = price;
  o.size = size;
  return o;
}

// Builds an engine through the C API with commands that must be accepted.
// No Catch macro (a sweep counts live allocations around it): Take() gives
// NULL if anything failed.
class Builder {
 public:
  Builder() {
    perpcore_engine_config config;
    perpcore_engine_config_init(&config);
    perpcore_engine* e = nullptr;
    ok_ = perpcore_engine_create(&e, &config) == PERPCORE_OK;
    e_.reset(e);
  }

  template <class F>
  void Ok(const F& command) {
    if (!ok_) return;
    std::uint64_t last = 0;
    perpcore_result r{};
    ok_ = perpcore_engine_last_seq(e_.get(), &last) == PERPCORE_OK &&
          command(e_.get(), &r, last + 1) == PERPCORE_OK && r.reason == PERPCORE_REASON_OK;
  }
  void Market(std::uint32_t id) {
    const perpcore_market_params p = Btc();
    Ok([&](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
      return perpcore_market_create(e, r, seq, kT0, id, &p);
    });
    Ok([&](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
      return perpcore_oracle_publish(e, r, seq, kT0, id, 1, Px(30'000), kT0);
    });
  }
  void Account(std::uint64_t id, std::int64_t usd) {
    Ok([&](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
      return perpcore_account_create(e, r, seq, kT0, id, id, 0, 0);
    });
    if (usd == 0) return;
    Ok([&](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
      return perpcore_account_deposit(e, r, seq, kT0, id, usd * kUsd);
    });
  }
  void Order(const perpcore_order& o) {
    Ok([&](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
      return perpcore_order_place(e, r, seq, kT0, &o);
    });
  }
  EnginePtr Take() { return ok_ ? std::move(e_) : EnginePtr(); }

 private:
  EnginePtr e_;
  bool ok_ = false;
};

using Command = std::function<perpcore_status(perpcore_engine*, perpcore_result*, std::uint64_t)>;
using Setup = std::function<EnginePtr()>;

// Every query of the header on every market and account the engine lists.
// Engine-wide queries must answer PERPCORE_OK; those by id OK or NOT_FOUND
// (a half-applied command may have left an id listed but not indexed);
// check_invariants anything (it may well report the half-applied state).
void CheckQueriesAnswer(const perpcore_engine* e) {
  std::int64_t v = 0;
  std::uint64_t u = 0;
  CHECK(perpcore_engine_last_seq(e, &u) == PERPCORE_OK);
  CHECK(perpcore_engine_now(e, &v) == PERPCORE_OK);
  CHECK(perpcore_engine_fee_pool(e, &v) == PERPCORE_OK);
  CHECK(perpcore_engine_insurance_fund(e, &v) == PERPCORE_OK);
  perpcore_engine_config config;
  perpcore_engine_config_init(&config);
  CHECK(perpcore_engine_config_get(e, &config) == PERPCORE_OK);
  std::array<std::uint8_t, PERPCORE_DIGEST_SIZE> digest{};
  CHECK(perpcore_engine_digest(e, digest.data()) == PERPCORE_OK);
  const perpcore_status invariants = perpcore_engine_check_invariants(e);
  CHECK((invariants == PERPCORE_OK || invariants == PERPCORE_E_INTERNAL));

  std::array<std::uint32_t, 64> markets{};
  std::array<std::uint64_t, 64> accounts{};
  std::size_t market_count = 0, account_count = 0;
  REQUIRE(perpcore_engine_markets(e, markets.data(), markets.size(), &market_count) ==
          PERPCORE_OK);
  REQUIRE(perpcore_engine_accounts(e, accounts.data(), accounts.size(), &account_count) ==
          PERPCORE_OK);
  const auto answers = [](perpcore_status s) {
    return s == PERPCORE_OK || s == PERPCORE_E_NOT_FOUND;
  };
  std::array<perpcore_level, 16> levels{};
  for (std::size_t i = 0; i < market_count; ++i) {
    const std::uint32_t m = markets[i];
    perpcore_market_stats stats;
    perpcore_market_stats_init(&stats);
    CHECK(answers(perpcore_market_stats_get(e, &stats, m)));
    perpcore_market_params params = Btc();
    CHECK(answers(perpcore_market_params_get(e, &params, m)));
    perpcore_funding_view funding;
    perpcore_funding_view_init(&funding);
    CHECK(answers(perpcore_market_funding_get(e, &funding, m)));
    std::array<perpcore_funding_rate, PERPCORE_FUNDING_HISTORY> rates{};
    std::size_t rate_count = 0;
    CHECK(answers(perpcore_market_funding_history(e, rates.data(), rates.size(), &rate_count, m)));
    for (std::uint32_t side : {PERPCORE_SIDE_BUY, PERPCORE_SIDE_SELL}) {
      perpcore_level best{};
      CHECK(answers(perpcore_book_best(e, &best, m, side)));
      std::size_t n = 0;
      CHECK(answers(perpcore_book_depth(e, levels.data(), levels.size(), &n, m, side)));
    }
  }
  std::vector<perpcore_position> positions(64);
  std::vector<perpcore_open_order> orders(256);
  for (std::size_t i = 0; i < account_count; ++i) {
    const std::uint64_t a = accounts[i];
    perpcore_account_summary summary;
    perpcore_account_summary_init(&summary);
    CHECK(answers(perpcore_account_summary_get(e, &summary, a)));
    std::size_t n = 0;
    CHECK(answers(perpcore_account_positions(e, positions.data(), positions.size(), &n, a)));
    CHECK(answers(perpcore_account_open_orders(e, orders.data(), orders.size(), &n, a)));
    for (std::size_t j = 0; j < market_count; ++j) {
      perpcore_adl_rank rank;
      perpcore_adl_rank_init(&rank);
      CHECK(answers(perpcore_engine_adl_rank(e, &rank, a, markets[j])));
      perpcore_order o = Limit(999'999, a, PERPCORE_SIDE_BUY, Px(30'000), 1);
      o.market = markets[j];
      perpcore_preview preview;
      perpcore_preview_init(&preview);
      CHECK(answers(perpcore_order_preview(e, &preview, &o)));
    }
  }
}

// A poisoned engine through the C API (see the file comment).
void CheckPoisoned(perpcore_engine* e) {
  std::size_t written = 99;
  std::array<perpcore_event, 8> events{};
  CHECK(perpcore_engine_events(e, events.data(), events.size(), &written) == PERPCORE_OK);
  CHECK(written == 0);  // not the events of the command that failed midway

  const std::uint64_t last = LastSeq(e);
  const auto frozen = Digest(e);
  const perpcore_market_params params = Btc();
  const perpcore_order order = Limit(77, 1, PERPCORE_SIDE_BUY, Px(29'000), 1);
  const std::vector<Command> later = {
      [&](perpcore_engine* x, perpcore_result* r, std::uint64_t seq) {
        return perpcore_market_create(x, r, seq, kT0, 77, &params);
      },
      [](perpcore_engine* x, perpcore_result* r, std::uint64_t seq) {
        return perpcore_account_create(x, r, seq, kT0, 77, 77, 0, 0);
      },
      [](perpcore_engine* x, perpcore_result* r, std::uint64_t seq) {
        return perpcore_account_deposit(x, r, seq, kT0, 1, kUsd);
      },
      [&](perpcore_engine* x, perpcore_result* r, std::uint64_t seq) {
        return perpcore_order_place(x, r, seq, kT0, &order);
      },
      [](perpcore_engine* x, perpcore_result* r, std::uint64_t seq) {
        return perpcore_order_cancel_all(x, r, seq, kT0, 0, 1);
      },
      [](perpcore_engine* x, perpcore_result* r, std::uint64_t seq) {
        return perpcore_oracle_publish(x, r, seq, kT0, 1, 1, Px(30'000), kT0);
      },
      [](perpcore_engine* x, perpcore_result* r, std::uint64_t seq) {
        return perpcore_engine_time_tick(x, r, seq, kT0, 0);
      },
  };
  for (const Command& command : later) {
    for (std::uint64_t seq : {last + 1, last + 3, last}) {  // next, a gap, a replay
      perpcore_result r;
      std::memset(&r, 0xAB, sizeof r);
      CHECK(command(e, &r, seq) == PERPCORE_E_POISONED);
      CHECK(IsZero(r));
      const std::string error = LastError(e);
      CHECK_THAT(error, Catch::Contains("failed midway") &&
                            Catch::EndsWith("(PERPCORE_E_POISONED)"));
    }
  }
  CHECK(LastSeq(e) == last);
  CHECK(Digest(e) == frozen);
  CheckQueriesAnswer(e);
}

// Sweep()
//
// Fails each allocation of `command` on a fresh setup() in turn (see the
// file comment). Returns how many of the failures poisoned the engine and
// how many left it untouched for a retry.
struct SweepCounts {
  std::int64_t allocations = 0;
  std::int64_t poisoned = 0;
  std::int64_t retried = 0;
};

SweepCounts Sweep(const Setup& setup, const Command& command) {
  SweepCounts counts;
  EnginePtr clean = setup();
  REQUIRE(clean != nullptr);
  const std::uint64_t seq = LastSeq(clean.get()) + 1;
  perpcore_result expected{};
  perpcore_status status = PERPCORE_OK;
  {
    AllocationFailure count_only(-1);
    status = command(clean.get(), &expected, seq);
    counts.allocations = AllocationsSinceArmed();
  }
  REQUIRE(status == PERPCORE_OK);
  const auto after = Digest(clean.get());

  for (std::int64_t n = 0; n <= counts.allocations; ++n) {
    INFO("failing allocation " << n << " of the call's " << counts.allocations);
    // First the leak check, with no Catch macro between the two readings:
    // fail the call, make the next command see the engine, destroy it.
    bool built = false, fired = false;
    const std::int64_t live_before = LiveAllocations();
    {
      EnginePtr e = setup();
      built = e != nullptr;
      if (built) {
        perpcore_result r{};
        {
          AllocationFailure fail(n);
          status = command(e.get(), &r, seq);
          fired = AllocationFailureFired();
        }
        (void)command(e.get(), &r, seq);
      }
    }
    const std::int64_t leaked = LiveAllocations() - live_before;
    REQUIRE(built);
    CHECK(leaked == 0);
    CHECK(fired == (n < counts.allocations));

    // Then the behaviour, on a second engine failed the same way.
    EnginePtr e = setup();
    REQUIRE(e != nullptr);
    const auto before = Digest(e.get());
    perpcore_result r;
    std::memset(&r, 0xAB, sizeof r);
    {
      AllocationFailure fail(n);
      status = command(e.get(), &r, seq);
    }
    if (n == counts.allocations) {  // one past the last allocation: never fires
      REQUIRE_FALSE(AllocationFailureFired());
      REQUIRE(status == PERPCORE_OK);
      CHECK(std::memcmp(&r, &expected, sizeof r) == 0);
      CHECK(Digest(e.get()) == after);
      continue;
    }
    REQUIRE(AllocationFailureFired());
    REQUIRE(status == PERPCORE_E_INTERNAL);
    CHECK(IsZero(r));
    CHECK_THAT(LastError(e.get()),
               Catch::Contains("out of memory") && Catch::EndsWith("(PERPCORE_E_INTERNAL)"));
    const auto at_failure = Digest(e.get());
    const std::uint64_t seq_at_failure = LastSeq(e.get());
    perpcore_result retry_result{};
    const perpcore_status retry = command(e.get(), &retry_result, seq);
    if (retry == PERPCORE_E_POISONED) {
      ++counts.poisoned;
      CHECK(IsZero(retry_result));
      CHECK(Digest(e.get()) == at_failure);
      CheckPoisoned(e.get());
    } else {
      ++counts.retried;
      INFO(perpcore_status_name(retry) << ": " << LastError(e.get()));
      REQUIRE(retry == PERPCORE_OK);
      CHECK(at_failure == before);
      CHECK(seq_at_failure == seq - 1);
      CHECK(std::memcmp(&retry_result, &expected, sizeof retry_result) == 0);
      CHECK(Digest(e.get()) == after);
    }
  }  // each engine destroyed here
  return counts;
}

Setup Markets(std::uint32_t count) {
  return [count] {
    Builder b;
    for (std::uint32_t m = 1; m <= count; ++m) b.Market(m);
    return b.Take();
  };
}

// ---------------------------------------------------------------------------

TEST_CASE("CApiAllocFailure: perpcore_market_create into an engine with 0 or 2 markets",
          "[c_api]") {
  // The markets' containers are reserved when the engine is made: the
  // engine's allocations here are the new market's own.
  const perpcore_market_params p = Btc();
  for (std::uint32_t existing : {0u, 2u}) {
    INFO(existing << " markets before");
    const SweepCounts c =
        Sweep(Markets(existing), [&](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
          return perpcore_market_create(e, r, seq, kT0, 10, &p);
        });
    CHECK(c.poisoned > 0);  // the book, the tier table
    CHECK(c.retried > 0);   // the C layer's copy of the parameters (its tier list)
  }
}

TEST_CASE("CApiAllocFailure: perpcore_order_place resting in a fresh market", "[c_api]") {
  const Setup setup = [] {
    Builder b;
    b.Market(1);
    b.Account(1, 100'000);
    return b.Take();
  };
  const perpcore_order o = Limit(1, 1, PERPCORE_SIDE_BUY, Px(29'000), 1000);
  const SweepCounts c = Sweep(setup, [&](perpcore_engine* e, perpcore_result* r,
                                         std::uint64_t seq) {
    return perpcore_order_place(e, r, seq, kT0, &o);
  });
  CHECK(c.poisoned > 0);
  // Nothing allocates before the engine: RunCommand's default-constructed
  // Payload (its first alternative, CreateMarket) holds only a null pointer
  // to its parameters, where it once held MarketParams' default tier list.
  CHECK(c.retried == 0);
}

TEST_CASE("CApiAllocFailure: perpcore_order_place whose 70 fills outgrow the event buffers",
          "[c_api]") {
  const Setup setup = [] {
    Builder b;
    b.Market(1);
    for (std::uint64_t a = 1; a <= 11; ++a) b.Account(a, 100'000);
    for (std::uint64_t id = 1; id <= 70; ++id) {
      b.Order(Limit(id, 1 + id % 10, PERPCORE_SIDE_SELL,
                    Px(30'000) + static_cast<std::int64_t>(id), 1));
    }
    return b.Take();
  };
  const perpcore_order o = Limit(100, 11, PERPCORE_SIDE_BUY, Px(30'100), 70);
  const SweepCounts c = Sweep(setup, [&](perpcore_engine* e, perpcore_result* r,
                                         std::uint64_t seq) {
    return perpcore_order_place(e, r, seq, kT0, &o);
  });
  CHECK(c.poisoned > 0);
}

TEST_CASE("CApiAllocFailure: perpcore_account_create as the account chunks and index grow",
          "[c_api]") {
  // The 1st account takes the first chunk of accounts; the 13th starts the
  // account index's growth from 16 entries to 32. Each poisoned engine is
  // then destroyed cleanly (a failed growth of the Abseil map the index
  // used to be made that crash).
  for (std::uint64_t existing : {0u, 12u}) {
    INFO(existing << " accounts before");
    const Setup setup = [existing] {
      Builder b;
      for (std::uint64_t a = 1; a <= existing; ++a) b.Account(a, 0);
      return b.Take();
    };
    const SweepCounts c =
        Sweep(setup, [](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
          return perpcore_account_create(e, r, seq, kT0, 100, 100, 0, 0);
        });
    CHECK(c.poisoned > 0);
  }
}

// Every command of the header not swept above, on an engine where each is
// accepted: two markets; accounts 1 and 2 of owner 1, 3 of owner 3; account
// 1 with a bid (client id 11) and an ask in market 1; account 3 long 1 lot
// there on isolated margin.
EnginePtr Busy() {
  Builder b;
  b.Market(1);
  b.Market(2);
  b.Ok([](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
    return perpcore_account_create(e, r, seq, kT0, 1, 1, 0, 0);
  });
  b.Ok([](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
    return perpcore_account_create(e, r, seq, kT0, 2, 1, 0, 0);
  });
  b.Ok([](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
    return perpcore_account_create(e, r, seq, kT0, 3, 3, 0, 0);
  });
  for (std::uint64_t a = 1; a <= 3; ++a) {
    b.Ok([a](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
      return perpcore_account_deposit(e, r, seq, kT0, a, 100'000 * kUsd);
    });
  }
  perpcore_order bid = Limit(1, 1, PERPCORE_SIDE_BUY, Px(29'000), 1000);
  bid.client_id = 11;
  b.Order(bid);
  b.Order(Limit(2, 1, PERPCORE_SIDE_SELL, Px(30'000), 1000));
  b.Ok([](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
    return perpcore_account_set_margin_mode(e, r, seq, kT0, 1, 3, PERPCORE_MARGIN_ISOLATED);
  });
  perpcore_order take = Limit(3, 3, PERPCORE_SIDE_BUY, Px(30'000), 1);
  take.tif = PERPCORE_TIF_IOC;
  b.Order(take);
  return b.Take();
}

TEST_CASE("CApiAllocFailure: perpcore_market_update", "[c_api]") {
  perpcore_market_params p = Btc();
  p.taker_fee = PERPCORE_RATE_SCALE / 10'000;
  const SweepCounts c = Sweep(Busy, [&](perpcore_engine* e, perpcore_result* r,
                                        std::uint64_t seq) {
    return perpcore_market_update(e, r, seq, kT0, 1, &p);
  });
  CHECK(c.poisoned > 0);  // the engine's copy of the parameters, the book's limits
  CHECK(c.retried > 0);   // the C layer's copy of the parameters
}

// A delisted market with 41 records (account 1 short 40 lots, accounts
// 2..41 long 1 each; CheckQueriesAnswer() lists at most 64 accounts):
// settling it at the last index emits 41 POSITION_SETTLED and a
// MARKET_SETTLED, more events than any command before.
TEST_CASE("CApiAllocFailure: perpcore_engine_settle_market whose 42 events outgrow the event "
          "buffers",
          "[c_api]") {
  const Setup setup = [] {
    Builder b;
    b.Market(1);
    b.Account(1, 100'000);
    b.Order(Limit(1, 1, PERPCORE_SIDE_SELL, Px(30'000), 40));
    for (std::uint64_t a = 2; a <= 41; ++a) {
      b.Account(a, 1'000);
      perpcore_order take = Limit(a, a, PERPCORE_SIDE_BUY, Px(30'000), 1);
      take.tif = PERPCORE_TIF_IOC;
      b.Order(take);
    }
    b.Ok([](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
      return perpcore_market_set_status(e, r, seq, kT0, 1, PERPCORE_MARKET_DELISTED);
    });
    return b.Take();
  };
  const Command settle = [](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
    return perpcore_engine_settle_market(e, r, seq, kT0, 1, 0);
  };
  {
    const EnginePtr e = setup();
    REQUIRE(e != nullptr);
    perpcore_result r{};
    REQUIRE(settle(e.get(), &r, LastSeq(e.get()) + 1) == PERPCORE_OK);
    CHECK(r.reason == PERPCORE_REASON_OK);
    CHECK(r.event_count == 42);
  }
  const SweepCounts c = Sweep(setup, settle);
  CHECK(c.poisoned > 0);
}

TEST_CASE("CApiAllocFailure: every other command can be failed at each of its allocations",
          "[c_api]") {
  // Each swept like the commands above (most allocate nothing on this
  // engine, and the sweep then checks the undisturbed call only).
  perpcore_amend amend;
  perpcore_amend_init(&amend);
  amend.market = 1;
  amend.account = 1;
  amend.order_id = 1;
  amend.new_price = Px(28'000);
  amend.new_size = 500;
  const perpcore_order replacement = Limit(20, 1, PERPCORE_SIDE_SELL, Px(30'500), 1000);
  perpcore_order market_sell = Limit(30, 2, PERPCORE_SIDE_SELL, Px(28'000), 1000);
  market_sell.type = PERPCORE_ORDER_MARKET;
  market_sell.tif = PERPCORE_TIF_IOC;
  const std::vector<std::pair<const char*, Command>> commands = {
      {"perpcore_market_set_status",
       [](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
         return perpcore_market_set_status(e, r, seq, kT0, 1, PERPCORE_MARKET_REDUCE_ONLY);
       }},
      {"perpcore_account_deposit",
       [](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
         return perpcore_account_deposit(e, r, seq, kT0, 2, kUsd);
       }},
      {"perpcore_order_cancel_all",
       [](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
         return perpcore_order_cancel_all(e, r, seq, kT0, 0, 1);
       }},
      {"perpcore_account_withdraw",
       [](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
         return perpcore_account_withdraw(e, r, seq, kT0, 2, kUsd);
       }},
      {"perpcore_account_transfer",
       [](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
         return perpcore_account_transfer(e, r, seq, kT0, 1, 2, kUsd);
       }},
      {"perpcore_account_set_fee_tier",
       [](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
         return perpcore_account_set_fee_tier(e, r, seq, kT0, 2, 0);
       }},
      {"perpcore_account_set_stp_scope",
       [](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
         return perpcore_account_set_stp_scope(e, r, seq, kT0, 1, PERPCORE_STP_SCOPE_ACCOUNT);
       }},
      {"perpcore_account_set_margin_mode",
       [](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
         return perpcore_account_set_margin_mode(e, r, seq, kT0, 2, 2, PERPCORE_MARGIN_ISOLATED);
       }},
      {"perpcore_account_set_leverage",
       [](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
         return perpcore_account_set_leverage(e, r, seq, kT0, 2, 2, 5);
       }},
      {"perpcore_account_adjust_isolated_margin",
       [](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
         return perpcore_account_adjust_isolated_margin(e, r, seq, kT0, 1, 3, kUsd);
       }},
      {"perpcore_insurance_deposit",
       [](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
         return perpcore_insurance_deposit(e, r, seq, kT0, kUsd);
       }},
      {"perpcore_order_cancel",
       [](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
         return perpcore_order_cancel(e, r, seq, kT0, 1, 1, 1);
       }},
      {"perpcore_order_cancel_by_client_id",
       [](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
         return perpcore_order_cancel_by_client_id(e, r, seq, kT0, 1, 1, 11);
       }},
      {"perpcore_order_amend",
       [&](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
         return perpcore_order_amend(e, r, seq, kT0, &amend);
       }},
      {"perpcore_order_cancel_replace",
       [&](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
         return perpcore_order_cancel_replace(e, r, seq, kT0, 1, 1, 2, &replacement);
       }},
      {"perpcore_order_place (a market order)",
       [&](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
         return perpcore_order_place(e, r, seq, kT0, &market_sell);
       }},
      {"perpcore_oracle_publish (a new source)",
       [](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
         return perpcore_oracle_publish(e, r, seq, kT0, 1, 2, Px(30'010), kT0);
       }},
      {"perpcore_oracle_retire_source",
       [](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
         return perpcore_oracle_retire_source(e, r, seq, kT0, 1, 1);
       }},
      {"perpcore_engine_time_tick",
       [](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
         return perpcore_engine_time_tick(e, r, seq, kT0, 0);
       }},
      {"perpcore_engine_liquidate",
       [](perpcore_engine* e, perpcore_result* r, std::uint64_t seq) {
         return perpcore_engine_liquidate(e, r, seq, kT0, 1, 2, 1, INT64_MAX);
       }},
  };
  std::int64_t allocations = 0;
  for (const auto& [name, command] : commands) {
    INFO(name);
    allocations += Sweep(Busy, command).allocations;
  }
  CHECK(allocations > 0);  // amend to a new level, a new source, a first choice
}

using Query = std::function<perpcore_status(const perpcore_engine*)>;

// SweepQuery()
//
// Fails each allocation of `query` on a fresh setup() in turn, until the
// one past the last: each failure is PERPCORE_E_INTERNAL naming the query,
// and the engine takes the next command as if nothing had happened; then it
// is destroyed. Returns the number of allocations of the query.
std::int64_t SweepQuery(const Setup& setup, const char* name, const Query& query) {
  std::int64_t allocations = 0;
  {
    EnginePtr e = setup();
    REQUIRE(e != nullptr);
    AllocationFailure count_only(-1);
    REQUIRE(query(e.get()) == PERPCORE_OK);
    allocations = AllocationsSinceArmed();
  }
  for (std::int64_t n = 0; n <= allocations; ++n) {
    EnginePtr e = setup();
    REQUIRE(e != nullptr);
    perpcore_status status = PERPCORE_OK;
    {
      AllocationFailure fail(n);
      status = query(e.get());
    }
    if (n == allocations) {
      REQUIRE_FALSE(AllocationFailureFired());
      CHECK(status == PERPCORE_OK);
      continue;
    }
    REQUIRE(AllocationFailureFired());
    CHECK(status == PERPCORE_E_INTERNAL);
    CHECK_THAT(LastError(e.get()), Catch::StartsWith(name) && Catch::Contains("out of memory"));
    perpcore_result r{};
    CHECK(perpcore_engine_time_tick(e.get(), &r, LastSeq(e.get()) + 1, kT0, 0) == PERPCORE_OK);
  }
  return allocations;
}

TEST_CASE("CApiAllocFailure: a query that runs out of memory returns PERPCORE_E_INTERNAL and "
          "does not poison the engine",
          "[c_api]") {
  const Setup setup = [] {
    Builder b;
    b.Market(1);
    b.Account(1, 100'000);
    b.Order(Limit(1, 1, PERPCORE_SIDE_BUY, Px(29'000), 1000));
    return b.Take();
  };
  const std::vector<std::pair<const char*, Query>> queries = {
      {"perpcore_engine_markets",
       [](const perpcore_engine* e) {
         std::array<std::uint32_t, 4> out{};
         std::size_t n = 0;
         return perpcore_engine_markets(e, out.data(), out.size(), &n);
       }},
      {"perpcore_account_open_orders",
       [](const perpcore_engine* e) {
         std::array<perpcore_open_order, 4> out{};
         std::size_t n = 0;
         return perpcore_account_open_orders(e, out.data(), out.size(), &n, 1);
       }},
      {"perpcore_account_summary_get",
       [](const perpcore_engine* e) {
         perpcore_account_summary s;
         perpcore_account_summary_init(&s);
         return perpcore_account_summary_get(e, &s, 1);
       }},
      {"perpcore_engine_digest",
       [](const perpcore_engine* e) {
         std::array<std::uint8_t, PERPCORE_DIGEST_SIZE> d{};
         return perpcore_engine_digest(e, d.data());
       }},
  };
  for (const auto& [name, query] : queries) {
    INFO(name);
    CHECK(SweepQuery(setup, name, query) > 0);
  }
}

TEST_CASE("CApiAllocFailure: every other query can be failed at each of its allocations "
          "without poisoning the engine",
          "[c_api]") {
  const Setup setup = [] {
    Builder b;
    b.Market(1);
    b.Account(1, 100'000);
    b.Order(Limit(1, 1, PERPCORE_SIDE_BUY, Px(29'000), 1000));
    b.Account(2, 100'000);
    b.Order(Limit(2, 2, PERPCORE_SIDE_SELL, Px(29'000), 1));  // a fill: a position each
    return b.Take();
  };
  const std::vector<std::pair<const char*, Query>> queries = {
      {"perpcore_engine_config_get",
       [](const perpcore_engine* e) {
         perpcore_engine_config c;
         perpcore_engine_config_init(&c);
         return perpcore_engine_config_get(e, &c);
       }},
      {"perpcore_engine_last_error",
       [](const perpcore_engine* e) {
         std::array<char, 64> buf{};
         return perpcore_engine_last_error(e, buf.data(), buf.size());
       }},
      {"perpcore_engine_events",
       [](const perpcore_engine* e) {
         std::array<perpcore_event, 8> out{};
         std::size_t n = 0;
         return perpcore_engine_events(e, out.data(), out.size(), &n);
       }},
      {"perpcore_engine_last_seq",
       [](const perpcore_engine* e) {
         std::uint64_t v = 0;
         return perpcore_engine_last_seq(e, &v);
       }},
      {"perpcore_engine_now",
       [](const perpcore_engine* e) {
         std::int64_t v = 0;
         return perpcore_engine_now(e, &v);
       }},
      {"perpcore_engine_fee_pool",
       [](const perpcore_engine* e) {
         std::int64_t v = 0;
         return perpcore_engine_fee_pool(e, &v);
       }},
      {"perpcore_engine_insurance_fund",
       [](const perpcore_engine* e) {
         std::int64_t v = 0;
         return perpcore_engine_insurance_fund(e, &v);
       }},
      {"perpcore_engine_accounts",
       [](const perpcore_engine* e) {
         std::array<std::uint64_t, 4> out{};
         std::size_t n = 0;
         return perpcore_engine_accounts(e, out.data(), out.size(), &n);
       }},
      {"perpcore_engine_check_invariants",
       [](const perpcore_engine* e) { return perpcore_engine_check_invariants(e); }},
      {"perpcore_market_params_check",
       [](const perpcore_engine* e) {
         const perpcore_market_params p = Btc();
         std::array<char, 64> msg{};
         return perpcore_market_params_check(e, msg.data(), msg.size(), &p);
       }},
      {"perpcore_market_params_get",
       [](const perpcore_engine* e) {
         perpcore_market_params p;
         perpcore_market_params_init(&p);
         return perpcore_market_params_get(e, &p, 1);
       }},
      {"perpcore_market_stats_get",
       [](const perpcore_engine* e) {
         perpcore_market_stats st;
         perpcore_market_stats_init(&st);
         return perpcore_market_stats_get(e, &st, 1);
       }},
      {"perpcore_market_funding_get",
       [](const perpcore_engine* e) {
         perpcore_funding_view v;
         perpcore_funding_view_init(&v);
         return perpcore_market_funding_get(e, &v, 1);
       }},
      {"perpcore_market_funding_history",
       [](const perpcore_engine* e) {
         std::array<perpcore_funding_rate, 4> out{};
         std::size_t n = 0;
         return perpcore_market_funding_history(e, out.data(), out.size(), &n, 1);
       }},
      {"perpcore_engine_funding_residual",
       [](const perpcore_engine* e) {
         perpcore_i128 v{};
         return perpcore_engine_funding_residual(e, &v);
       }},
      {"perpcore_account_pending_funding",
       [](const perpcore_engine* e) {
         std::int64_t v = 0;
         return perpcore_account_pending_funding(e, &v, 1, 1);
       }},
      {"perpcore_engine_shortfall",
       [](const perpcore_engine* e) {
         std::int64_t v = 0;
         return perpcore_engine_shortfall(e, &v);
       }},
      {"perpcore_engine_liquidatable",
       [](const perpcore_engine* e) {
         std::array<perpcore_liquidation_candidate, 4> out{};
         std::size_t n = 0;
         return perpcore_engine_liquidatable(e, out.data(), out.size(), &n);
       }},
      {"perpcore_account_position_health",
       [](const perpcore_engine* e) {
         std::uint32_t health = 0;
         std::int64_t buffer = 0;
         return perpcore_account_position_health(e, &health, &buffer, 1, 1);
       }},
      {"perpcore_engine_adl_rank",
       [](const perpcore_engine* e) {
         perpcore_adl_rank r;
         perpcore_adl_rank_init(&r);
         return perpcore_engine_adl_rank(e, &r, 1, 1);
       }},
      {"perpcore_book_best",
       [](const perpcore_engine* e) {
         perpcore_level l{};
         return perpcore_book_best(e, &l, 1, PERPCORE_SIDE_BUY);
       }},
      {"perpcore_book_depth",
       [](const perpcore_engine* e) {
         std::array<perpcore_level, 4> out{};
         std::size_t n = 0;
         return perpcore_book_depth(e, out.data(), out.size(), &n, 1, PERPCORE_SIDE_BUY);
       }},
      {"perpcore_account_positions",
       [](const perpcore_engine* e) {
         std::array<perpcore_position, 4> out{};
         std::size_t n = 0;
         return perpcore_account_positions(e, out.data(), out.size(), &n, 1);
       }},
      {"perpcore_order_preview",
       [](const perpcore_engine* e) {
         perpcore_preview pv;
         perpcore_preview_init(&pv);
         const perpcore_order o = Limit(9, 2, PERPCORE_SIDE_SELL, Px(29'000), 10);
         return perpcore_order_preview(e, &pv, &o);
       }},
  };
  std::int64_t allocations = 0;
  for (const auto& [name, query] : queries) {
    INFO(name);
    allocations += SweepQuery(setup, name, query);
  }
  CHECK(allocations > 0);  // stats (the symbol), params (the tiers), depth, positions, ...
}

TEST_CASE("CApiAllocFailure: perpcore_engine_config_check out of memory returns "
          "PERPCORE_E_INTERNAL",
          "[c_api]") {
  perpcore_engine_config config;
  perpcore_engine_config_init(&config);
  config.max_markets = 0;  // invalid: the check builds its message
  std::array<char, 128> msg{};
  std::int64_t allocations = 0;
  {
    AllocationFailure count_only(-1);
    REQUIRE(perpcore_engine_config_check(msg.data(), msg.size(), &config) == PERPCORE_E_CONFIG);
    allocations = AllocationsSinceArmed();
  }
  CHECK(allocations > 0);
  for (std::int64_t n = 0; n < allocations; ++n) {
    perpcore_status status = PERPCORE_OK;
    {
      AllocationFailure fail(n);
      status = perpcore_engine_config_check(msg.data(), msg.size(), &config);
    }
    REQUIRE(AllocationFailureFired());
    CHECK(status == PERPCORE_E_INTERNAL);
  }
}

TEST_CASE("CApiAllocFailure: perpcore_engine_create out of memory returns "
          "PERPCORE_E_INTERNAL and no engine",
          "[c_api]") {
  perpcore_engine_config config;
  perpcore_engine_config_init(&config);
  std::int64_t allocations = 0;
  {
    perpcore_engine* e = nullptr;
    {
      AllocationFailure count_only(-1);
      REQUIRE(perpcore_engine_create(&e, &config) == PERPCORE_OK);
      allocations = AllocationsSinceArmed();
    }
    perpcore_engine_destroy(e);
  }
  CHECK(allocations > 0);
  for (std::int64_t n = 0; n < allocations; ++n) {
    perpcore_engine* e = reinterpret_cast<perpcore_engine*>(&config);  // not NULL before
    perpcore_status status = PERPCORE_OK;
    {
      AllocationFailure fail(n);
      status = perpcore_engine_create(&e, &config);
    }
    REQUIRE(AllocationFailureFired());
    CHECK(status == PERPCORE_E_INTERNAL);
    CHECK(e == nullptr);
    perpcore_engine_destroy(e);  // NULL: nothing
  }
}

}  // namespace
