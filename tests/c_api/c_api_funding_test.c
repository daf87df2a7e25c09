/*
 * Funding through the C API, compiled as C11 with -pedantic -Werror: the
 * funding parameters appended to perpcore_market_params (a round trip of
 * every field, the refusals, the older struct sizes that get the defaults),
 * the appended view fields and the funding queries, and one funding payment
 * end to end (two accounts long and short, an 8-hour interval closing on a
 * time tick, the events, the view, the history and the settlement).
 *
 * Money is in 1e-6 USD atoms; the market is BTC-USD with a 0.1 USD tick and
 * a 0.001 BTC lot, so one tick of one lot is 100 atoms, 30,000 USD is
 * 300,000 ticks and 1 BTC is 1,000 lots.
 */
#include "perpcore/perpcore.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_harness.h"

#define CHECK_I64(actual, expected)                                            \
  do {                                                                         \
    const long long a_ = (long long)(actual);                                  \
    const long long e_ = (long long)(expected);                                \
    ++g_checks;                                                                \
    if (a_ != e_) {                                                            \
      fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__,    \
              __LINE__, #actual, a_, #expected, e_);                           \
      ++g_failures;                                                            \
    }                                                                          \
  } while (0)

#define CHECK_U64(actual, expected)                                              \
  do {                                                                           \
    const unsigned long long a_ = (unsigned long long)(actual);                  \
    const unsigned long long e_ = (unsigned long long)(expected);                \
    ++g_checks;                                                                  \
    if (a_ != e_) {                                                              \
      fprintf(stderr, "%s:%d: %s == %llu, expected %s == %llu\n", __FILE__,      \
              __LINE__, #actual, a_, #expected, e_);                             \
      ++g_failures;                                                              \
    }                                                                            \
  } while (0)

/* A perpcore_i128 equal to {hi, lo}. */
#define CHECK_I128(actual, want_hi, want_lo) \
  do {                                       \
    const perpcore_i128 v_ = (actual);       \
    CHECK_I64(v_.hi, want_hi);               \
    CHECK_U64(v_.lo, want_lo);               \
  } while (0)

#define CHECK_REASON(call, want)                                              \
  do {                                                                        \
    const perpcore_status s_ = (call);                                        \
    ++g_checks;                                                               \
    if (s_ != PERPCORE_OK || res.reason != (uint32_t)(want)) {                \
      fprintf(stderr, "%s:%d: %s: status %s, reason %s, expected %s\n",       \
              __FILE__, __LINE__, #call, perpcore_status_name(s_),            \
              perpcore_reason_name(res.reason), perpcore_reason_name(want));  \
      ++g_failures;                                                           \
    }                                                                         \
  } while (0)

#define CHECK_ACCEPTED(call) CHECK_REASON(call, PERPCORE_REASON_OK)

#define USD(x) ((int64_t)(x) * INT64_C(1000000))
#define PX(usd) ((int64_t)(usd) * 10)
#define BP(n) ((int64_t)(n) * (PERPCORE_RATE_SCALE / 10000))
#define T0 INT64_C(1000000000)
#define HOUR_NS INT64_C(3600000000000)

static uint64_t next_seq(const perpcore_engine *eng) {
  uint64_t s = 0;
  if (perpcore_engine_last_seq(eng, &s) != PERPCORE_OK) return 0;
  return s + 1;
}

static size_t read_events(const perpcore_engine *eng, perpcore_event *out, size_t cap) {
  size_t n = 0;
  CHECK_OK(perpcore_engine_events(eng, out, cap, &n));
  return n;
}

static int all_bytes(const void *p, size_t n, unsigned char value) {
  const unsigned char *b = (const unsigned char *)p;
  size_t i;
  for (i = 0; i < n; ++i) {
    if (b[i] != value) return 0;
  }
  return 1;
}

static size_t market_count(const perpcore_engine *eng) {
  uint32_t ids[8];
  size_t n = 0;
  CHECK_OK(perpcore_engine_markets(eng, ids, 8, &n));
  return n;
}

/* Every funding field set away from its default, each valid: the skew-power
 * model paid continuously at the mark, 1-hour intervals, a 4-hour period,
 * a sample every 5 s, time-weighted, and so on. */
static perpcore_funding_params all_fields_set(void) {
  perpcore_funding_params f;
  memset(&f, 0, sizeof f);
  f.model = PERPCORE_FUNDING_MODEL_SKEW_POWER;
  f.payment = PERPCORE_FUNDING_PAYMENT_CONTINUOUS;
  f.price = PERPCORE_FUNDING_PRICE_MARK;
  f.weighting = PERPCORE_FUNDING_WEIGHTING_TIME_WEIGHTED;
  f.cap_mode = PERPCORE_FUNDING_CAP_MARGIN_MULTIPLE;
  f.interval_ns = HOUR_NS;
  f.period_ns = 4 * HOUR_NS;
  f.sample_cadence_ns = INT64_C(5000000000);
  f.impact_notional = INT64_C(5000000000);
  f.interest = -BP(2);
  f.interest_band = BP(4);
  f.cap = BP(50);
  f.floor = -BP(40);
  f.cap_multiple = 2 * PERPCORE_RATE_SCALE;
  f.counterparty = 7;
  f.skew_kappa = PERPCORE_RATE_SCALE / 50;
  f.skew_factor = BP(30);
  f.skew_exponent = 3 * PERPCORE_RATE_SCALE / 2;
  f.skew_max = PERPCORE_RATE_SCALE / 50;
  f.ramp_up = INT64_C(1000000000000);
  f.decay = INT64_C(2000000000000);
  f.stable_threshold = PERPCORE_RATE_SCALE / 10;
  f.decay_threshold = PERPCORE_RATE_SCALE / 20;
  return f;
}

static void check_funding_equal(const perpcore_funding_params *got,
                                const perpcore_funding_params *want) {
  CHECK_I64(got->model, want->model);
  CHECK_I64(got->payment, want->payment);
  CHECK_I64(got->price, want->price);
  CHECK_I64(got->weighting, want->weighting);
  CHECK_I64(got->cap_mode, want->cap_mode);
  CHECK_I64(got->interval_ns, want->interval_ns);
  CHECK_I64(got->period_ns, want->period_ns);
  CHECK_I64(got->sample_cadence_ns, want->sample_cadence_ns);
  CHECK_I64(got->impact_notional, want->impact_notional);
  CHECK_I64(got->interest, want->interest);
  CHECK_I64(got->interest_band, want->interest_band);
  CHECK_I64(got->cap, want->cap);
  CHECK_I64(got->floor, want->floor);
  CHECK_I64(got->cap_multiple, want->cap_multiple);
  CHECK_U64(got->counterparty, want->counterparty);
  CHECK_I64(got->skew_kappa, want->skew_kappa);
  CHECK_I64(got->skew_factor, want->skew_factor);
  CHECK_I64(got->skew_exponent, want->skew_exponent);
  CHECK_I64(got->skew_max, want->skew_max);
  CHECK_I64(got->ramp_up, want->ramp_up);
  CHECK_I64(got->decay, want->decay);
  CHECK_I64(got->stable_threshold, want->stable_threshold);
  CHECK_I64(got->decay_threshold, want->decay_threshold);
}

/* ------------------------------------------------------------------------- */

/* Each funding field set through perpcore_market_create() reads back
 * through perpcore_market_params_get(), and perpcore_market_update() with
 * other values replaces them all. */
static void test_every_funding_field_round_trips(void) {
  perpcore_engine *eng = NULL;
  perpcore_result res;
  perpcore_market_params p, back;
  perpcore_funding_params want = all_fields_set();
  CHECK_OK(perpcore_engine_create(&eng, NULL));
  perpcore_market_params_init(&p);
  p.funding = want;
  CHECK_ACCEPTED(perpcore_market_create(eng, &res, next_seq(eng), T0, 1, &p));
  perpcore_market_params_init(&back);
  CHECK_OK(perpcore_market_params_get(eng, &back, 1));
  check_funding_equal(&back.funding, &want);
  /* An update back to the defaults replaces every field. */
  perpcore_market_params_init(&p);
  CHECK_ACCEPTED(perpcore_market_update(eng, &res, next_seq(eng), T0, 1, &p));
  memset(&back, 0x5A, sizeof back);
  perpcore_market_params_init(&back);
  CHECK_OK(perpcore_market_params_get(eng, &back, 1));
  check_funding_equal(&back.funding, &p.funding);
  perpcore_engine_destroy(eng);
}

/* A sample cadence of 0 is refused with FUNDING_INVALID_CADENCE: nothing is
 * created, no event; perpcore_market_params_check() says why. */
static void test_zero_sample_cadence_is_refused_and_nothing_created(void) {
  perpcore_engine *eng = NULL;
  perpcore_result res;
  perpcore_market_params p, back;
  perpcore_event ev[4];
  char msg[200];
  CHECK_OK(perpcore_engine_create(&eng, NULL));
  perpcore_market_params_init(&p);
  p.funding.sample_cadence_ns = 0;
  CHECK_REASON(perpcore_market_create(eng, &res, next_seq(eng), T0, 1, &p),
               PERPCORE_REASON_FUNDING_INVALID_CADENCE);
  CHECK_I64(res.event_count, 0);
  CHECK_I64(read_events(eng, ev, 4), 0);
  CHECK_I64(market_count(eng), 0);
  perpcore_market_params_init(&back);
  CHECK_STATUS(perpcore_market_params_get(eng, &back, 1), PERPCORE_E_NOT_FOUND);
  CHECK_STATUS(perpcore_market_params_check(eng, msg, sizeof msg, &p), PERPCORE_E_CONFIG);
  CHECK(strstr(msg, "funding") != NULL);
  /* One nanosecond is a cadence: 8 h / 1 ns slots is above 2^20, still
   * refused with the same reason; one second divides 8 h into 28,800 slots
   * and is accepted. */
  p.funding.sample_cadence_ns = 1;
  CHECK_REASON(perpcore_market_create(eng, &res, next_seq(eng), T0, 1, &p),
               PERPCORE_REASON_FUNDING_INVALID_CADENCE);
  p.funding.sample_cadence_ns = INT64_C(1000000000);
  CHECK_ACCEPTED(perpcore_market_create(eng, &res, next_seq(eng), T0, 1, &p));
  CHECK_I64(market_count(eng), 1);
  perpcore_engine_destroy(eng);
}

/* The C enumerators are 32-bit and the C++ ones 8-bit: a model of 257 must
 * not wrap onto 1 (PREMIUM, valid); it is refused as no model at all. The
 * largest valid enumerator is accepted. */
static void test_enumerator_beyond_eight_bits_is_refused_not_wrapped(void) {
  perpcore_engine *eng = NULL;
  perpcore_result res;
  perpcore_market_params p;
  CHECK_OK(perpcore_engine_create(&eng, NULL));
  perpcore_market_params_init(&p);
  p.funding.model = 257;
  CHECK_REASON(perpcore_market_create(eng, &res, next_seq(eng), T0, 1, &p),
               PERPCORE_REASON_FUNDING_INVALID_MODEL);
  p.funding.model = PERPCORE_FUNDING_MODEL_SKEW_ADAPTIVE + 1;
  CHECK_REASON(perpcore_market_create(eng, &res, next_seq(eng), T0, 1, &p),
               PERPCORE_REASON_FUNDING_INVALID_MODEL);
  p.funding.model = PERPCORE_FUNDING_MODEL_NONE;
  p.funding.payment = 256 + PERPCORE_FUNDING_PAYMENT_CONTINUOUS;
  CHECK_REASON(perpcore_market_create(eng, &res, next_seq(eng), T0, 1, &p),
               PERPCORE_REASON_FUNDING_INVALID_PAYMENT);
  p.funding.payment = PERPCORE_FUNDING_PAYMENT_CONTINUOUS;
  p.funding.model = PERPCORE_FUNDING_MODEL_SKEW_ADAPTIVE;
  p.funding.counterparty = 9;
  CHECK_ACCEPTED(perpcore_market_create(eng, &res, next_seq(eng), T0, 1, &p));
  perpcore_engine_destroy(eng);
}

/* A caller built against an older header (struct_size 992, version 2, or
 * 944, version 1) never sets funding: the bytes where it would be are
 * ignored (junk that would be refused if read) and the market gets the
 * defaults; reading back with the older size writes nothing beyond it. A
 * size between two versions is refused. */
static void test_older_market_params_sizes_get_the_funding_defaults(void) {
  perpcore_engine *eng = NULL;
  perpcore_result res;
  perpcore_market_params p, back, defaults;
  const uint32_t sizes[2] = {PERPCORE_MARKET_PARAMS_SIZE_V2, PERPCORE_MARKET_PARAMS_SIZE_V1};
  uint32_t i;
  CHECK(offsetof(perpcore_market_params, funding) == PERPCORE_MARKET_PARAMS_SIZE_V2);
  perpcore_market_params_init(&defaults);
  CHECK_OK(perpcore_engine_create(&eng, NULL));
  for (i = 0; i < 2; ++i) {
    const uint32_t market = i + 1;
    perpcore_market_params_init(&p);
    p.funding = all_fields_set();
    p.funding.sample_cadence_ns = 0; /* refused if it were read */
    p.struct_size = sizes[i];
    CHECK_ACCEPTED(perpcore_market_create(eng, &res, next_seq(eng), T0, market, &p));
    memset(&back, 0xAB, sizeof back);
    back.struct_size = sizes[i];
    CHECK_OK(perpcore_market_params_get(eng, &back, market));
    CHECK(back.struct_size == sizes[i]);
    CHECK(all_bytes(&back.funding, sizeof back.funding, 0xAB)); /* beyond its size */
    perpcore_market_params_init(&back);
    CHECK_OK(perpcore_market_params_get(eng, &back, market));
    check_funding_equal(&back.funding, &defaults.funding);
  }
  p.struct_size = PERPCORE_MARKET_PARAMS_SIZE_V2 + 8;
  CHECK_STATUS(perpcore_market_create(eng, &res, next_seq(eng), T0, 3, &p),
               PERPCORE_E_STRUCT_SIZE);
  perpcore_engine_destroy(eng);
}

/* The funding queries' misuse: NULL outputs, unknown ids, a history buffer
 * too small (nothing copied, the count needed), and outputs zeroed. */
static void test_funding_queries_refuse_misuse(void) {
  perpcore_engine *eng = NULL;
  perpcore_result res;
  perpcore_market_params p;
  perpcore_funding_view v;
  perpcore_funding_rate rates[2];
  perpcore_i128 r;
  int64_t pending = 0;
  size_t n = 99;
  CHECK_OK(perpcore_engine_create(&eng, NULL));
  perpcore_market_params_init(&p);
  CHECK_ACCEPTED(perpcore_market_create(eng, &res, next_seq(eng), T0, 1, &p));
  CHECK_ACCEPTED(perpcore_account_create(eng, &res, next_seq(eng), T0, 1, 1, 0, 0));

  CHECK_STATUS(perpcore_market_funding_get(eng, NULL, 1), PERPCORE_E_ILLEGAL_ARG);
  memset(&v, 0x5A, sizeof v);
  perpcore_funding_view_init(&v);
  v.market = 77;
  CHECK_STATUS(perpcore_market_funding_get(eng, &v, 2), PERPCORE_E_NOT_FOUND);
  CHECK_I64(v.market, 0); /* zeroed on failure */
  v.struct_size = (uint32_t)sizeof v + 8;
  CHECK_STATUS(perpcore_market_funding_get(eng, &v, 1), PERPCORE_E_STRUCT_SIZE);
  CHECK_STATUS(perpcore_market_funding_get(NULL, &v, 1), PERPCORE_E_ILLEGAL_ARG);

  CHECK_STATUS(perpcore_market_funding_history(eng, rates, 2, NULL, 1), PERPCORE_E_ILLEGAL_ARG);
  CHECK_STATUS(perpcore_market_funding_history(eng, NULL, 2, &n, 1), PERPCORE_E_ILLEGAL_ARG);
  CHECK_I64(n, 0);
  n = 99;
  CHECK_STATUS(perpcore_market_funding_history(eng, rates, 2, &n, 2), PERPCORE_E_NOT_FOUND);
  CHECK_I64(n, 0);
  CHECK_OK(perpcore_market_funding_history(eng, NULL, 0, &n, 1)); /* no interval closed */
  CHECK_I64(n, 0);

  CHECK_STATUS(perpcore_engine_funding_residual(eng, NULL), PERPCORE_E_ILLEGAL_ARG);
  r.hi = 5;
  r.lo = 5;
  CHECK_STATUS(perpcore_engine_funding_residual(NULL, &r), PERPCORE_E_ILLEGAL_ARG);
  CHECK_I128(r, 0, 0);

  CHECK_STATUS(perpcore_account_pending_funding(eng, NULL, 1, 1), PERPCORE_E_ILLEGAL_ARG);
  pending = 5;
  CHECK_STATUS(perpcore_account_pending_funding(eng, &pending, 2, 1), PERPCORE_E_NOT_FOUND);
  CHECK_I64(pending, 0);
  pending = 5;
  CHECK_STATUS(perpcore_account_pending_funding(eng, &pending, 1, 2), PERPCORE_E_NOT_FOUND);
  CHECK_I64(pending, 0);
  pending = 5;
  CHECK_OK(perpcore_account_pending_funding(eng, &pending, 1, 1)); /* no position: 0 */
  CHECK_I64(pending, 0);
  perpcore_engine_destroy(eng);
}

/* ------------------------------------------------------------------------- */
/* End to end                                                                */
/* ------------------------------------------------------------------------- */

/* The count of events of `kind` among ev[0..n), and the index of the first
 * (n if none). */
static size_t find_kind(const perpcore_event *ev, size_t n, uint32_t kind, size_t *count) {
  size_t i, first = n;
  *count = 0;
  for (i = 0; i < n; ++i) {
    if (ev[i].kind != kind) continue;
    if (*count == 0) first = i;
    ++*count;
  }
  return first;
}

/* Account 1 buys 1 BTC from account 2 at 30,000 at T0. The premium model
 * with an interest of 3 bp per 8-hour period and an empty book (both impact
 * sides too thin: every premium sample is 0) closes the interval [0, 8 h)
 * at the time tick at 8 h with
 *   premium 0, rate = 0 + clamp(3 bp - 0, +-5 bp) = 3 bp = 3e14,
 * paid at the index, 300,000 ticks. The index moves by
 *   3e14 * (8 h / 8 h) * 300,000 * 100 atoms * 1e18 / 1e18 = 9e21
 * (= 487 * 2^64 + 16435636103448363008), 9,000 atoms per lot: the long owes
 *   ceil(9e21 * 1000 / 1e18) = 9,000,000 atoms (9 USD, 3 bp of 30,000 USD)
 * and the short is owed 9,000,000, exactly (no rounding, no residual). */
static void test_funding_paid_end_to_end(void) {
  perpcore_engine *eng = NULL;
  perpcore_result res;
  perpcore_market_params p;
  perpcore_order o;
  perpcore_event ev[16];
  perpcore_funding_view v;
  perpcore_funding_rate rates[PERPCORE_FUNDING_HISTORY];
  perpcore_account_summary s1, s2;
  perpcore_market_stats st;
  perpcore_i128 residual;
  int64_t pending = 0, cash_before = 0;
  size_t n = 0, i = 0, count = 0;
  const int64_t t8 = 8 * HOUR_NS;
  const uint64_t index_lo = UINT64_C(16435636103448363008);

  CHECK_OK(perpcore_engine_create(&eng, NULL));
  perpcore_market_params_init(&p);
  p.funding.interest = BP(3);
  CHECK_ACCEPTED(perpcore_market_create(eng, &res, next_seq(eng), T0, 1, &p));
  CHECK_ACCEPTED(perpcore_oracle_publish(eng, &res, next_seq(eng), T0, 1, 1, PX(30000), T0));
  CHECK_ACCEPTED(perpcore_account_create(eng, &res, next_seq(eng), T0, 1, 1, 0, 0));
  CHECK_ACCEPTED(perpcore_account_create(eng, &res, next_seq(eng), T0, 2, 2, 0, 0));
  CHECK_ACCEPTED(perpcore_account_deposit(eng, &res, next_seq(eng), T0, 1, USD(100000)));
  CHECK_ACCEPTED(perpcore_account_deposit(eng, &res, next_seq(eng), T0, 2, USD(100000)));
  perpcore_order_init(&o);
  o.market = 1;
  o.order_id = 1;
  o.account = 2;
  o.side = PERPCORE_SIDE_SELL;
  o.price = PX(30000);
  o.size = 1000;
  o.tif = PERPCORE_TIF_GTC;
  CHECK_ACCEPTED(perpcore_order_place(eng, &res, next_seq(eng), T0, &o));
  o.order_id = 2;
  o.account = 1;
  o.side = PERPCORE_SIDE_BUY;
  o.tif = PERPCORE_TIF_IOC;
  CHECK_ACCEPTED(perpcore_order_place(eng, &res, next_seq(eng), T0, &o));
  CHECK_I64(res.filled, 1000);

  /* Before the interval ends: nothing owed, the interval [0, 8 h) running. */
  perpcore_funding_view_init(&v);
  CHECK_OK(perpcore_market_funding_get(eng, &v, 1));
  CHECK_I64(v.market, 1);
  CHECK_I64(v.model, PERPCORE_FUNDING_MODEL_PREMIUM);
  CHECK_I128(v.index, 0, 0);
  CHECK_I64(v.interval_start_ns, 0);
  CHECK_I64(v.interval_end_ns, t8);
  CHECK_I64(v.history_count, 0);
  CHECK_OK(perpcore_account_pending_funding(eng, &pending, 1, 1));
  CHECK_I64(pending, 0);

  /* A fresh price 10 s before the end, then the tick at 8 h. */
  CHECK_ACCEPTED(perpcore_oracle_publish(eng, &res, next_seq(eng), t8 - INT64_C(10000000000), 1,
                                         1, PX(30000), t8 - INT64_C(10000000000)));
  CHECK_ACCEPTED(perpcore_engine_time_tick(eng, &res, next_seq(eng), t8, 1));
  n = read_events(eng, ev, 16);
  i = find_kind(ev, n, PERPCORE_EVENT_FUNDING_RATE_SET, &count);
  CHECK_I64(count, 1);
  if (i < n) {
    CHECK_I64(ev[i].as.funding_rate.market, 1);
    CHECK_I64(ev[i].as.funding_rate.intervals, 1);
    CHECK_I64(ev[i].as.funding_rate.start_ns, 0);
    CHECK_I64(ev[i].as.funding_rate.end_ns, t8);
    CHECK_I64(ev[i].as.funding_rate.premium, 0);
    CHECK_I64(ev[i].as.funding_rate.rate, BP(3));
    CHECK_I64(ev[i].as.funding_rate.price, PX(30000));
  }
  find_kind(ev, n, PERPCORE_EVENT_FUNDING_SETTLED, &count);
  CHECK_I64(count, 0); /* a tick settles no position */

  /* The view: the index moved by 9e21, the next interval [8 h, 16 h) runs
   * with the tick's sample (0) in it; the rate set is in effect. */
  CHECK_OK(perpcore_market_funding_get(eng, &v, 1));
  CHECK_I128(v.index, 487, index_lo);
  CHECK_I64(v.rate, BP(3));
  CHECK_I64(v.predicted_rate, BP(3)); /* premium 0 so far: the interest */
  CHECK_I64(v.interval_start_ns, t8);
  CHECK_I64(v.interval_end_ns, 2 * t8);
  CHECK_I64(v.samples, 1);
  CHECK_I64(v.last_sample, 0);
  CHECK_I64(v.skew, 0);
  CHECK_I128(v.pool, 0, 0);
  CHECK_I64(v.residual_carry, 0);
  CHECK_I64(v.history_count, 1);
  CHECK_OK(perpcore_market_funding_history(eng, rates, PERPCORE_FUNDING_HISTORY, &n, 1));
  CHECK_I64(n, 1);
  CHECK_I64(rates[0].start_ns, 0);
  CHECK_I64(rates[0].end_ns, t8);
  CHECK_I64(rates[0].intervals, 1);
  CHECK_I64(rates[0].premium, 0);
  CHECK_I64(rates[0].rate, BP(3));
  CHECK_I64(rates[0].price, PX(30000));
  CHECK_I128(rates[0].index_delta, 487, index_lo);
  /* A buffer one short: nothing copied, the count needed. */
  CHECK_STATUS(perpcore_market_funding_history(eng, rates, 0, &n, 1),
               PERPCORE_E_BUFFER_TOO_SMALL);
  CHECK_I64(n, 1);

  /* The stats and the accounts see it, still pending. */
  perpcore_market_stats_init(&st);
  CHECK_OK(perpcore_market_stats_get(eng, &st, 1));
  CHECK_I128(st.funding_index, 487, index_lo);
  CHECK_I64(st.funding_rate, BP(3));
  perpcore_account_summary_init(&s1);
  perpcore_account_summary_init(&s2);
  CHECK_OK(perpcore_account_summary_get(eng, &s1, 1));
  CHECK_OK(perpcore_account_summary_get(eng, &s2, 2));
  CHECK_I64(s1.pending_funding, 9000000);
  CHECK_I64(s2.pending_funding, -9000000);
  CHECK_OK(perpcore_account_pending_funding(eng, &pending, 1, 1));
  CHECK_I64(pending, 9000000);
  CHECK_OK(perpcore_account_pending_funding(eng, &pending, 2, 1));
  CHECK_I64(pending, -9000000);

  /* The short withdraws first: its 9 USD settle out of the pool before the
   * withdrawal (the pool goes negative: -9,000,000 is {-1, 2^64 - 9e6}). */
  cash_before = s2.cash;
  CHECK_ACCEPTED(perpcore_account_withdraw(eng, &res, next_seq(eng), t8, 2, USD(1)));
  n = read_events(eng, ev, 16);
  CHECK_I64(n, 2);
  CHECK_I64(ev[0].kind, PERPCORE_EVENT_FUNDING_SETTLED);
  CHECK_I64(ev[0].as.funding_settled.market, 1);
  CHECK_U64(ev[0].as.funding_settled.account, 2);
  CHECK_I64(ev[0].as.funding_settled.amount, -9000000);
  CHECK_I64(ev[1].kind, PERPCORE_EVENT_WITHDRAWAL);
  CHECK_OK(perpcore_account_summary_get(eng, &s2, 2));
  CHECK_I64(s2.cash, cash_before + 9000000 - USD(1));
  CHECK_I64(s2.pending_funding, 0);
  CHECK_OK(perpcore_market_funding_get(eng, &v, 1));
  CHECK_I128(v.pool, -1, UINT64_C(18446744073700551616));
  /* Then the long pays its 9 USD in: the pool is back to 0. */
  cash_before = s1.cash;
  CHECK_ACCEPTED(perpcore_account_withdraw(eng, &res, next_seq(eng), t8, 1, USD(1)));
  n = read_events(eng, ev, 16);
  CHECK_I64(n, 2);
  CHECK_I64(ev[0].kind, PERPCORE_EVENT_FUNDING_SETTLED);
  CHECK_U64(ev[0].as.funding_settled.account, 1);
  CHECK_I64(ev[0].as.funding_settled.amount, 9000000);
  CHECK_OK(perpcore_account_summary_get(eng, &s1, 1));
  CHECK_I64(s1.cash, cash_before - 9000000 - USD(1));
  CHECK_OK(perpcore_market_funding_get(eng, &v, 1));
  CHECK_I128(v.pool, 0, 0);
  CHECK_OK(perpcore_engine_funding_residual(eng, &residual));
  CHECK_I128(residual, 0, 0);
  CHECK_OK(perpcore_engine_check_invariants(eng));
  perpcore_engine_destroy(eng);
}

/* The account summary and market stats grew in issue 12: a caller with the
 * version-1 size gets everything it knows and nothing is written beyond
 * it. */
static void test_older_view_sizes_are_filled_up_to_their_size(void) {
  perpcore_engine *eng = NULL;
  perpcore_result res;
  perpcore_market_params p;
  perpcore_account_summary s;
  perpcore_market_stats st;
  CHECK(offsetof(perpcore_account_summary, pending_funding) == PERPCORE_ACCOUNT_SUMMARY_SIZE_V1);
  CHECK(offsetof(perpcore_market_stats, funding_index) == PERPCORE_MARKET_STATS_SIZE_V1);
  CHECK_OK(perpcore_engine_create(&eng, NULL));
  perpcore_market_params_init(&p);
  CHECK_ACCEPTED(perpcore_market_create(eng, &res, next_seq(eng), T0, 1, &p));
  CHECK_ACCEPTED(perpcore_account_create(eng, &res, next_seq(eng), T0, 1, 1, 0, 0));
  memset(&s, 0xAB, sizeof s);
  s.struct_size = PERPCORE_ACCOUNT_SUMMARY_SIZE_V1;
  CHECK_OK(perpcore_account_summary_get(eng, &s, 1));
  CHECK_U64(s.account, 1);
  CHECK(all_bytes(&s.pending_funding, sizeof s.pending_funding, 0xAB));
  memset(&st, 0xAB, sizeof st);
  st.struct_size = PERPCORE_MARKET_STATS_SIZE_V1;
  CHECK_OK(perpcore_market_stats_get(eng, &st, 1));
  CHECK_I64(st.market, 1);
  CHECK(all_bytes(&st.funding_index, sizeof st.funding_index + sizeof st.funding_rate, 0xAB));
  s.struct_size = PERPCORE_ACCOUNT_SUMMARY_SIZE_V1 + 4;
  CHECK_STATUS(perpcore_account_summary_get(eng, &s, 1), PERPCORE_E_STRUCT_SIZE);
  perpcore_engine_destroy(eng);
}

int main(void) {
  test_every_funding_field_round_trips();
  test_zero_sample_cadence_is_refused_and_nothing_created();
  test_enumerator_beyond_eight_bits_is_refused_not_wrapped();
  test_older_market_params_sizes_get_the_funding_defaults();
  test_funding_queries_refuse_misuse();
  test_funding_paid_end_to_end();
  test_older_view_sizes_are_filled_up_to_their_size();
  if (g_failures != 0) {
    fprintf(stderr, "c_api_funding_test: %d of %d checks failed\n", g_failures, g_checks);
    return EXIT_FAILURE;
  }
  printf("c_api_funding_test: all %d checks passed\n", g_checks);
  return EXIT_SUCCESS;
}
