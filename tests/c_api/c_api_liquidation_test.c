/*
 * Liquidation through the C API, compiled as C11 with -pedantic -Werror: the
 * liquidation parameters appended to perpcore_market_params (a round trip
 * of every field, each field's refusal with its reason, the older struct
 * sizes that get the defaults), perpcore_engine_liquidate()'s refusals in
 * the documented order (each changing nothing), the liquidation queries'
 * misuse, the summary fields appended in issue 13, one liquidation end to
 * end, and what issue 14 appended: the backstop (its fields, its older size,
 * one takeover end to end) and auto-deleveraging (the loss policy, its
 * refusal and its older size, perpcore_engine_adl_rank(), one bankrupt long
 * deleveraged end to end).
 *
 * Money is in 1e-6 USD atoms; the market is BTC-USD with a 0.1 USD tick and
 * a 0.001 BTC lot (perpcore_market_params_init()), so one tick of one lot is
 * 100 atoms, 30,000 USD is 300,000 ticks and 1 BTC is 1,000 lots.
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
#define RATE(num, den) ((int64_t)(num) * (PERPCORE_RATE_SCALE / (den)))
#define T0 INT64_C(1000000000)

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

/* Every liquidation field set away from its default, each valid. */
static perpcore_liquidation_params all_fields_set(void) {
  perpcore_liquidation_params l;
  memset(&l, 0, sizeof l);
  l.warning_threshold = RATE(9, 10);
  l.fee = RATE(2, 100);
  l.keeper_share = RATE(1, 10);
  l.buffer = RATE(5, 100);
  l.chunk_threshold = INT64_C(50000000000);
  l.chunk_fraction = RATE(1, 4);
  l.cooldown_ns = INT64_C(10000000000);
  l.bankruptcy_adjustment = RATE(3, 2);
  l.spread_to_maintenance = RATE(1, 10);
  l.max_notional_per_command = INT64_C(20000000000);
  l.backstop = 9;
  l.backstop_threshold = RATE(1, 2);
  l.loss_policy = PERPCORE_LOSS_POLICY_NONE;
  return l;
}

static void check_liquidation_equal(const perpcore_liquidation_params *got,
                                    const perpcore_liquidation_params *want) {
  CHECK_I64(got->warning_threshold, want->warning_threshold);
  CHECK_I64(got->fee, want->fee);
  CHECK_I64(got->keeper_share, want->keeper_share);
  CHECK_I64(got->buffer, want->buffer);
  CHECK_I64(got->chunk_threshold, want->chunk_threshold);
  CHECK_I64(got->chunk_fraction, want->chunk_fraction);
  CHECK_I64(got->cooldown_ns, want->cooldown_ns);
  CHECK_I64(got->bankruptcy_adjustment, want->bankruptcy_adjustment);
  CHECK_I64(got->spread_to_maintenance, want->spread_to_maintenance);
  CHECK_I64(got->max_notional_per_command, want->max_notional_per_command);
  CHECK(got->backstop == want->backstop);
  CHECK_I64(got->backstop_threshold, want->backstop_threshold);
  CHECK_I64(got->loss_policy, want->loss_policy);
  CHECK_I64(got->pad0, 0);
}

/* ------------------------------------------------------------------------- */
/* Parameters                                                                */
/* ------------------------------------------------------------------------- */

/* Each liquidation field set through perpcore_market_create() reads back
 * through perpcore_market_params_get(), and perpcore_market_update() back to
 * the defaults replaces them all. */
static void test_every_liquidation_field_round_trips(void) {
  perpcore_engine *eng = NULL;
  perpcore_result res;
  perpcore_market_params p, back;
  perpcore_liquidation_params want = all_fields_set();
  CHECK_OK(perpcore_engine_create(&eng, NULL));
  perpcore_market_params_init(&p);
  p.liquidation = want;
  CHECK_ACCEPTED(perpcore_market_create(eng, &res, next_seq(eng), T0, 1, &p));
  perpcore_market_params_init(&back);
  CHECK_OK(perpcore_market_params_get(eng, &back, 1));
  check_liquidation_equal(&back.liquidation, &want);
  perpcore_market_params_init(&p);
  CHECK_ACCEPTED(perpcore_market_update(eng, &res, next_seq(eng), T0, 1, &p));
  memset(&back, 0x5A, sizeof back);
  perpcore_market_params_init(&back);
  CHECK_OK(perpcore_market_params_get(eng, &back, 1));
  check_liquidation_equal(&back.liquidation, &p.liquidation);
  perpcore_engine_destroy(eng);
}

/* Each field one step outside its range (liquidation.hpp, Validate()) is
 * refused with its own reason, so each field reaches the engine's check as
 * the field it is: nothing created, no event; the market params check names
 * "liquidation". */
static void test_each_liquidation_field_out_of_range_is_refused_with_its_reason(void) {
  struct {
    size_t offset;
    int64_t bad;
    uint32_t reason;
  } cases[] = {
      {offsetof(perpcore_liquidation_params, warning_threshold), PERPCORE_RATE_SCALE,
       PERPCORE_REASON_LIQUIDATION_INVALID_WARNING_THRESHOLD},
      {offsetof(perpcore_liquidation_params, fee), PERPCORE_RATE_SCALE + 1,
       PERPCORE_REASON_LIQUIDATION_INVALID_FEE},
      {offsetof(perpcore_liquidation_params, keeper_share), -1,
       PERPCORE_REASON_LIQUIDATION_INVALID_KEEPER_SHARE},
      {offsetof(perpcore_liquidation_params, buffer), PERPCORE_RATE_SCALE + 1,
       PERPCORE_REASON_LIQUIDATION_INVALID_BUFFER},
      {offsetof(perpcore_liquidation_params, chunk_threshold), -1,
       PERPCORE_REASON_LIQUIDATION_INVALID_CHUNK_THRESHOLD},
      {offsetof(perpcore_liquidation_params, chunk_fraction), 0,
       PERPCORE_REASON_LIQUIDATION_INVALID_CHUNK_FRACTION},
      {offsetof(perpcore_liquidation_params, cooldown_ns), INT64_C(86400000000001),
       PERPCORE_REASON_LIQUIDATION_INVALID_COOLDOWN},
      {offsetof(perpcore_liquidation_params, bankruptcy_adjustment), PERPCORE_RATE_SCALE - 1,
       PERPCORE_REASON_LIQUIDATION_INVALID_BANKRUPTCY_ADJUSTMENT},
      {offsetof(perpcore_liquidation_params, spread_to_maintenance), 0,
       PERPCORE_REASON_LIQUIDATION_INVALID_SPREAD},
      {offsetof(perpcore_liquidation_params, max_notional_per_command), 0,
       PERPCORE_REASON_LIQUIDATION_INVALID_MAX_NOTIONAL},
      {offsetof(perpcore_liquidation_params, backstop_threshold), PERPCORE_RATE_SCALE + 1,
       PERPCORE_REASON_LIQUIDATION_INVALID_BACKSTOP_THRESHOLD},
  };
  size_t i;
  char msg[200];
  for (i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    perpcore_engine *eng = NULL;
    perpcore_result res;
    perpcore_market_params p;
    perpcore_event ev[4];
    CHECK_OK(perpcore_engine_create(&eng, NULL));
    perpcore_market_params_init(&p);
    memcpy((char *)&p.liquidation + cases[i].offset, &cases[i].bad, sizeof(int64_t));
    CHECK_REASON(perpcore_market_create(eng, &res, next_seq(eng), T0, 1, &p), cases[i].reason);
    CHECK_I64(res.event_count, 0);
    CHECK_I64(read_events(eng, ev, 4), 0);
    CHECK_I64(market_count(eng), 0);
    CHECK_STATUS(perpcore_market_params_check(eng, msg, sizeof msg, &p), PERPCORE_E_CONFIG);
    CHECK(strstr(msg, "liquidation") != NULL);
    perpcore_engine_destroy(eng);
  }
}

/* The one-atom boundaries of two fields through the C face: a warning
 * threshold of exactly 1 is refused and 1 - 1e-18 accepted; a per-command
 * cap of 0 atoms is refused and 1 atom accepted. */
static void test_liquidation_bounds_are_exact_to_one_atom(void) {
  perpcore_engine *eng = NULL;
  perpcore_result res;
  perpcore_market_params p;
  CHECK_OK(perpcore_engine_create(&eng, NULL));
  perpcore_market_params_init(&p);
  p.liquidation.warning_threshold = PERPCORE_RATE_SCALE;
  CHECK_REASON(perpcore_market_create(eng, &res, next_seq(eng), T0, 1, &p),
               PERPCORE_REASON_LIQUIDATION_INVALID_WARNING_THRESHOLD);
  p.liquidation.warning_threshold = PERPCORE_RATE_SCALE - 1;
  CHECK_ACCEPTED(perpcore_market_create(eng, &res, next_seq(eng), T0, 1, &p));
  perpcore_market_params_init(&p);
  p.liquidation.max_notional_per_command = 0;
  CHECK_REASON(perpcore_market_create(eng, &res, next_seq(eng), T0, 2, &p),
               PERPCORE_REASON_LIQUIDATION_INVALID_MAX_NOTIONAL);
  p.liquidation.max_notional_per_command = 1;
  CHECK_ACCEPTED(perpcore_market_create(eng, &res, next_seq(eng), T0, 2, &p));
  CHECK_I64(market_count(eng), 2);
  perpcore_engine_destroy(eng);
}

/* A caller built against an older header (struct_size 1160, version 3; 992,
 * version 2; 944, version 1) never sets the liquidation fields: the bytes
 * where they would be are ignored (junk that would be refused if read), the
 * market gets the defaults (no backstop, threshold 2/3), and reading back
 * with the older size writes nothing beyond it. A size between versions 3
 * and 4 is refused. */
static void test_older_market_params_sizes_get_the_liquidation_defaults(void) {
  perpcore_engine *eng = NULL;
  perpcore_result res;
  perpcore_market_params p, back, defaults;
  const uint32_t sizes[3] = {PERPCORE_MARKET_PARAMS_SIZE_V3, PERPCORE_MARKET_PARAMS_SIZE_V2,
                             PERPCORE_MARKET_PARAMS_SIZE_V1};
  uint32_t i;
  CHECK(offsetof(perpcore_market_params, liquidation) == PERPCORE_MARKET_PARAMS_SIZE_V3);
  perpcore_market_params_init(&defaults);
  CHECK_OK(perpcore_engine_create(&eng, NULL));
  for (i = 0; i < 3; ++i) {
    const uint32_t market = i + 1;
    perpcore_market_params_init(&p);
    p.liquidation = all_fields_set();
    p.liquidation.max_notional_per_command = 0; /* refused if it were read */
    p.struct_size = sizes[i];
    CHECK_ACCEPTED(perpcore_market_create(eng, &res, next_seq(eng), T0, market, &p));
    memset(&back, 0xAB, sizeof back);
    back.struct_size = sizes[i];
    CHECK_OK(perpcore_market_params_get(eng, &back, market));
    CHECK(back.struct_size == sizes[i]);
    CHECK(all_bytes(&back.liquidation, sizeof back.liquidation, 0xAB)); /* beyond its size */
    perpcore_market_params_init(&back);
    CHECK_OK(perpcore_market_params_get(eng, &back, market));
    check_liquidation_equal(&back.liquidation, &defaults.liquidation);
  }
  p.struct_size = PERPCORE_MARKET_PARAMS_SIZE_V3 + 8;
  CHECK_STATUS(perpcore_market_create(eng, &res, next_seq(eng), T0, 4, &p),
               PERPCORE_E_STRUCT_SIZE);
  CHECK_I64(market_count(eng), 3);
  perpcore_engine_destroy(eng);
}

/* A caller built against the version-4 header (struct_size 1240) has the
 * liquidation fields but not the backstop and the loss policy appended after
 * them: the fields it sets are honoured, the bytes where the new ones would
 * be are ignored (junk that would be refused if read: a threshold above 1, a
 * loss policy outside the enum), the market gets their defaults (no
 * backstop, threshold 2/3 = 2 * (1e18 / 3), loss policy ADL), and reading
 * back with that size writes nothing beyond it. Sizes between version 4 and
 * this header's are refused (the backstop without the loss policy too). */
static void test_the_version_4_market_params_size_gets_the_backstop_defaults(void) {
  perpcore_engine *eng = NULL;
  perpcore_result res;
  perpcore_market_params p, back;
  perpcore_liquidation_params want = all_fields_set();
  CHECK(offsetof(perpcore_market_params, liquidation.backstop) ==
        PERPCORE_MARKET_PARAMS_SIZE_V4);
  CHECK(sizeof p == PERPCORE_MARKET_PARAMS_SIZE_V4 + 24);
  CHECK_OK(perpcore_engine_create(&eng, NULL));
  perpcore_market_params_init(&p);
  p.liquidation = want;
  p.liquidation.backstop_threshold = PERPCORE_RATE_SCALE + 1; /* refused if it were read */
  p.liquidation.loss_policy = 7;                              /* likewise */
  p.struct_size = PERPCORE_MARKET_PARAMS_SIZE_V4;
  CHECK_ACCEPTED(perpcore_market_create(eng, &res, next_seq(eng), T0, 1, &p));
  memset(&back, 0xAB, sizeof back);
  back.struct_size = PERPCORE_MARKET_PARAMS_SIZE_V4;
  CHECK_OK(perpcore_market_params_get(eng, &back, 1));
  CHECK(back.struct_size == PERPCORE_MARKET_PARAMS_SIZE_V4);
  CHECK_I64(back.liquidation.fee, want.fee);
  CHECK_I64(back.liquidation.max_notional_per_command, want.max_notional_per_command);
  CHECK(all_bytes(&back.liquidation.backstop, sizeof back - PERPCORE_MARKET_PARAMS_SIZE_V4,
                  0xAB)); /* beyond its size */
  perpcore_market_params_init(&back);
  CHECK_OK(perpcore_market_params_get(eng, &back, 1));
  want.backstop = 0;
  want.backstop_threshold = 2 * (PERPCORE_RATE_SCALE / 3);
  want.loss_policy = PERPCORE_LOSS_POLICY_ADL;
  check_liquidation_equal(&back.liquidation, &want);
  p.struct_size = PERPCORE_MARKET_PARAMS_SIZE_V4 + 8;
  CHECK_STATUS(perpcore_market_create(eng, &res, next_seq(eng), T0, 2, &p),
               PERPCORE_E_STRUCT_SIZE);
  p.struct_size = PERPCORE_MARKET_PARAMS_SIZE_V4 + 16; /* the backstop without the policy */
  CHECK_STATUS(perpcore_market_create(eng, &res, next_seq(eng), T0, 2, &p),
               PERPCORE_E_STRUCT_SIZE);
  CHECK_I64(market_count(eng), 1);
  perpcore_engine_destroy(eng);
}

/* The backstop threshold is a fraction of maintenance in [0, 1]
 * (liquidation.hpp, Validate()): exactly 1 and 0 are accepted, 1 + 1e-18 and
 * -1e-18 refused by perpcore_market_create() with
 * LIQUIDATION_INVALID_BACKSTOP_THRESHOLD (nothing created, no event; the
 * params check names "liquidation"), and by perpcore_market_update() (the
 * market keeps its params). The backstop account need not exist yet. */
static void test_a_backstop_threshold_outside_zero_to_one_is_refused(void) {
  perpcore_engine *eng = NULL;
  perpcore_result res;
  perpcore_market_params p, back;
  perpcore_event ev[4];
  char msg[200];
  CHECK(strcmp(perpcore_reason_name(PERPCORE_REASON_LIQUIDATION_INVALID_BACKSTOP_THRESHOLD),
               "PERPCORE_REASON_LIQUIDATION_INVALID_BACKSTOP_THRESHOLD") == 0);
  CHECK(strstr(perpcore_reason_message(817), "backstop threshold") != NULL);
  CHECK_OK(perpcore_engine_create(&eng, NULL));
  perpcore_market_params_init(&p);
  p.liquidation.backstop = 9; /* no such account */
  p.liquidation.backstop_threshold = PERPCORE_RATE_SCALE + 1;
  CHECK_REASON(perpcore_market_create(eng, &res, next_seq(eng), T0, 1, &p),
               PERPCORE_REASON_LIQUIDATION_INVALID_BACKSTOP_THRESHOLD);
  CHECK_I64(res.event_count, 0);
  CHECK_I64(read_events(eng, ev, 4), 0);
  CHECK_I64(market_count(eng), 0);
  CHECK_STATUS(perpcore_market_params_check(eng, msg, sizeof msg, &p), PERPCORE_E_CONFIG);
  CHECK(strstr(msg, "liquidation") != NULL);
  p.liquidation.backstop_threshold = -1;
  CHECK_REASON(perpcore_market_create(eng, &res, next_seq(eng), T0, 1, &p),
               PERPCORE_REASON_LIQUIDATION_INVALID_BACKSTOP_THRESHOLD);
  CHECK_I64(market_count(eng), 0);

  p.liquidation.backstop_threshold = PERPCORE_RATE_SCALE;
  CHECK_ACCEPTED(perpcore_market_create(eng, &res, next_seq(eng), T0, 1, &p));
  p.liquidation.backstop_threshold = 0;
  CHECK_ACCEPTED(perpcore_market_create(eng, &res, next_seq(eng), T0, 2, &p));
  CHECK_I64(market_count(eng), 2);
  perpcore_market_params_init(&back);
  CHECK_OK(perpcore_market_params_get(eng, &back, 1));
  CHECK(back.liquidation.backstop == 9);
  CHECK_I64(back.liquidation.backstop_threshold, PERPCORE_RATE_SCALE);
  CHECK_OK(perpcore_market_params_get(eng, &back, 2));
  CHECK_I64(back.liquidation.backstop_threshold, 0);

  p.liquidation.backstop_threshold = PERPCORE_RATE_SCALE + 1;
  CHECK_REASON(perpcore_market_update(eng, &res, next_seq(eng), T0, 1, &p),
               PERPCORE_REASON_LIQUIDATION_INVALID_BACKSTOP_THRESHOLD);
  CHECK_I64(res.event_count, 0);
  CHECK_OK(perpcore_market_params_get(eng, &back, 1));
  CHECK_I64(back.liquidation.backstop_threshold, PERPCORE_RATE_SCALE);
  perpcore_engine_destroy(eng);
}

/* The loss policy is a PERPCORE_LOSS_POLICY_* (liquidation.hpp, Validate()):
 * NONE round trips (and ADL, the default); 2, 255, 256 (0, ADL, if it
 * wrapped to the C++ enum's 8 bits), 257 and UINT32_MAX are refused by
 * perpcore_market_create() with LIQUIDATION_INVALID_LOSS_POLICY (818;
 * nothing created, no event; the params check names "liquidation"), and by
 * perpcore_market_update() (the market keeps its params). */
static void test_a_loss_policy_outside_the_enum_is_refused(void) {
  perpcore_engine *eng = NULL;
  perpcore_result res;
  perpcore_market_params p, back;
  perpcore_event ev[4];
  char msg[200];
  const uint32_t bad[5] = {2, 255, 256, 257, UINT32_MAX};
  size_t i;
  CHECK(PERPCORE_LOSS_POLICY_ADL == 0 && PERPCORE_LOSS_POLICY_NONE == 1);
  CHECK(PERPCORE_REASON_LIQUIDATION_INVALID_LOSS_POLICY == 818);
  CHECK(strcmp(perpcore_reason_name(PERPCORE_REASON_LIQUIDATION_INVALID_LOSS_POLICY),
               "PERPCORE_REASON_LIQUIDATION_INVALID_LOSS_POLICY") == 0);
  CHECK(strcmp(perpcore_reason_message(818), "the loss policy must be ADL (0) or NONE (1)") == 0);
  CHECK_OK(perpcore_engine_create(&eng, NULL));
  for (i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    perpcore_market_params_init(&p);
    p.liquidation.loss_policy = bad[i];
    CHECK_REASON(perpcore_market_create(eng, &res, next_seq(eng), T0, 1, &p),
                 PERPCORE_REASON_LIQUIDATION_INVALID_LOSS_POLICY);
    CHECK_I64(res.event_count, 0);
    CHECK_I64(read_events(eng, ev, 4), 0);
    CHECK_I64(market_count(eng), 0);
    msg[0] = '\0';
    CHECK_STATUS(perpcore_market_params_check(eng, msg, sizeof msg, &p), PERPCORE_E_CONFIG);
    CHECK(strstr(msg, "liquidation") != NULL);
  }

  perpcore_market_params_init(&p);
  p.liquidation.loss_policy = PERPCORE_LOSS_POLICY_NONE;
  CHECK_ACCEPTED(perpcore_market_create(eng, &res, next_seq(eng), T0, 1, &p));
  perpcore_market_params_init(&p);
  CHECK_ACCEPTED(perpcore_market_create(eng, &res, next_seq(eng), T0, 2, &p));
  perpcore_market_params_init(&back);
  CHECK_OK(perpcore_market_params_get(eng, &back, 1));
  CHECK_I64(back.liquidation.loss_policy, PERPCORE_LOSS_POLICY_NONE);
  CHECK_OK(perpcore_market_params_get(eng, &back, 2));
  CHECK_I64(back.liquidation.loss_policy, PERPCORE_LOSS_POLICY_ADL);

  p.liquidation.loss_policy = 256;
  CHECK_REASON(perpcore_market_update(eng, &res, next_seq(eng), T0, 1, &p),
               PERPCORE_REASON_LIQUIDATION_INVALID_LOSS_POLICY);
  CHECK_I64(res.event_count, 0);
  CHECK_OK(perpcore_market_params_get(eng, &back, 1));
  CHECK_I64(back.liquidation.loss_policy, PERPCORE_LOSS_POLICY_NONE);
  CHECK_I64(market_count(eng), 2);
  perpcore_engine_destroy(eng);
}

/* ------------------------------------------------------------------------- */
/* The command's refusals                                                    */
/* ------------------------------------------------------------------------- */

/* Market 1 (the defaults: one tier, 20x, 1% maintenance, taker 5 bp) indexed
 * at 30,000; account 1 a maker with 100,000 USD; account 2 long 1 BTC at
 * 30,000 on 10,000 USD (healthy: maintenance 300 USD); account 3 a keeper
 * with 1,000 USD; account 4 with 1,000 USD and no position. */
static perpcore_engine *healthy_long(void) {
  perpcore_engine *eng = NULL;
  perpcore_result res;
  perpcore_market_params p;
  perpcore_order o;
  uint64_t a;
  const int64_t cash[4] = {USD(100000), USD(10000), USD(1000), USD(1000)};
  CHECK_OK(perpcore_engine_create(&eng, NULL));
  perpcore_market_params_init(&p);
  CHECK_ACCEPTED(perpcore_market_create(eng, &res, next_seq(eng), T0, 1, &p));
  CHECK_ACCEPTED(perpcore_oracle_publish(eng, &res, next_seq(eng), T0, 1, 1, PX(30000), T0));
  for (a = 1; a <= 4; ++a) {
    CHECK_ACCEPTED(perpcore_account_create(eng, &res, next_seq(eng), T0, a, a, 0, 0));
    CHECK_ACCEPTED(perpcore_account_deposit(eng, &res, next_seq(eng), T0, a, cash[a - 1]));
  }
  perpcore_order_init(&o);
  o.market = 1;
  o.order_id = 1;
  o.account = 1;
  o.side = PERPCORE_SIDE_SELL;
  o.price = PX(30000);
  o.size = 1000;
  o.tif = PERPCORE_TIF_GTC;
  CHECK_ACCEPTED(perpcore_order_place(eng, &res, next_seq(eng), T0, &o));
  o.order_id = 2;
  o.account = 2;
  o.side = PERPCORE_SIDE_BUY;
  o.tif = PERPCORE_TIF_IOC;
  CHECK_ACCEPTED(perpcore_order_place(eng, &res, next_seq(eng), T0, &o));
  CHECK_I64(res.filled, 1000);
  return eng;
}

/* What a refused liquidation must leave as it was. */
typedef struct snapshot {
  perpcore_account_summary target, keeper;
  int64_t insurance, shortfall, fee_pool;
} snapshot;

static snapshot take(const perpcore_engine *eng) {
  snapshot s;
  memset(&s, 0, sizeof s);
  perpcore_account_summary_init(&s.target);
  perpcore_account_summary_init(&s.keeper);
  CHECK_OK(perpcore_account_summary_get(eng, &s.target, 2));
  CHECK_OK(perpcore_account_summary_get(eng, &s.keeper, 3));
  CHECK_OK(perpcore_engine_insurance_fund(eng, &s.insurance));
  CHECK_OK(perpcore_engine_shortfall(eng, &s.shortfall));
  CHECK_OK(perpcore_engine_fee_pool(eng, &s.fee_pool));
  return s;
}

static void check_unchanged(const perpcore_engine *eng, const snapshot *before) {
  const snapshot after = take(eng);
  CHECK(memcmp(&after, before, sizeof after) == 0);
}

/* perpcore_engine_liquidate() refuses, in the documented order, with the
 * reason of the first fault, and changes nothing but last_seq and the time:
 * unknown account, unknown keeper, the keeper itself (before the size),
 * max_size 0 or negative (before the market), an unknown market, a market
 * without a position of the account, and a healthy account, whatever
 * max_size it is given (1, the smallest accepted, and INT64_MAX, no cap). */
static void test_liquidate_refuses_each_bad_input_with_its_reason_and_changes_nothing(void) {
  perpcore_engine *eng = healthy_long();
  perpcore_result res;
  perpcore_event ev[4];
  const snapshot before = take(eng);
  struct {
    uint32_t market;
    uint64_t account, keeper;
    int64_t max_size;
    uint32_t reason;
  } cases[] = {
      {1, 99, 3, 1, PERPCORE_REASON_UNKNOWN_ACCOUNT},
      {1, 2, 99, 1, PERPCORE_REASON_UNKNOWN_ACCOUNT},
      {1, 99, 99, 1, PERPCORE_REASON_UNKNOWN_ACCOUNT}, /* unknown before self */
      {1, 2, 2, 1, PERPCORE_REASON_LIQUIDATION_SELF},
      {9, 2, 2, 0, PERPCORE_REASON_LIQUIDATION_SELF}, /* self before size and market */
      {1, 2, 3, 0, PERPCORE_REASON_LIQUIDATION_INVALID_SIZE},
      {1, 2, 3, -1, PERPCORE_REASON_LIQUIDATION_INVALID_SIZE},
      {1, 2, 3, INT64_MIN, PERPCORE_REASON_LIQUIDATION_INVALID_SIZE},
      {9, 2, 3, 0, PERPCORE_REASON_LIQUIDATION_INVALID_SIZE}, /* size before market */
      {9, 2, 3, 1, PERPCORE_REASON_UNKNOWN_MARKET},
      {1, 4, 3, 1, PERPCORE_REASON_LIQUIDATION_NO_POSITION},
      {1, 2, 3, 1, PERPCORE_REASON_LIQUIDATION_NOT_LIQUIDATABLE},
      {1, 2, 3, INT64_MAX, PERPCORE_REASON_LIQUIDATION_NOT_LIQUIDATABLE},
      {0, 2, 3, INT64_MAX, PERPCORE_REASON_LIQUIDATION_NOT_LIQUIDATABLE}, /* engine's choice */
      {0, 4, 3, 1, PERPCORE_REASON_LIQUIDATION_NOT_LIQUIDATABLE}, /* nothing to liquidate */
  };
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    const uint64_t seq = next_seq(eng);
    uint64_t last = 0;
    CHECK_REASON(perpcore_engine_liquidate(eng, &res, seq, T0 + (int64_t)i, cases[i].market,
                                           cases[i].account, cases[i].keeper, cases[i].max_size),
                 cases[i].reason);
    CHECK_I64(res.event_count, 0);
    CHECK_I64(res.filled, 0);
    CHECK_OK(perpcore_engine_last_seq(eng, &last));
    CHECK_I64(last, seq); /* processed: the seq is consumed */
    CHECK_I64(read_events(eng, ev, 4), 0);
    check_unchanged(eng, &before);
  }
  CHECK_OK(perpcore_engine_check_invariants(eng));
  perpcore_engine_destroy(eng);
}

/* Misuse is a status, not a reason: a NULL result or engine, a seq gap or a
 * replay; the seq is not consumed and nothing changes. */
static void test_liquidate_misuse_is_a_status_and_consumes_no_seq(void) {
  perpcore_engine *eng = healthy_long();
  perpcore_result res;
  const snapshot before = take(eng);
  const uint64_t seq = next_seq(eng);
  uint64_t last = 0;
  size_t events_before = 0, events_after = 0;
  CHECK_STATUS(perpcore_engine_events(eng, NULL, 0, &events_before), /* the IOC buy's */
               PERPCORE_E_BUFFER_TOO_SMALL);
  CHECK_STATUS(perpcore_engine_liquidate(eng, NULL, seq, T0, 1, 2, 3, 1), PERPCORE_E_ILLEGAL_ARG);
  memset(&res, 0x5A, sizeof res);
  CHECK_STATUS(perpcore_engine_liquidate(NULL, &res, seq, T0, 1, 2, 3, 1), PERPCORE_E_ILLEGAL_ARG);
  CHECK(all_bytes(&res, sizeof res, 0)); /* zeroed */
  CHECK_STATUS(perpcore_engine_liquidate(eng, &res, seq + 1, T0, 1, 2, 3, 1),
               PERPCORE_E_SEQUENCE_GAP);
  CHECK_STATUS(perpcore_engine_liquidate(eng, &res, seq - 1, T0, 1, 2, 3, 1),
               PERPCORE_E_ALREADY_APPLIED);
  CHECK_OK(perpcore_engine_last_seq(eng, &last));
  CHECK_I64(last, seq - 1);
  /* The events stay the previous command's. */
  CHECK_STATUS(perpcore_engine_events(eng, NULL, 0, &events_after), PERPCORE_E_BUFFER_TOO_SMALL);
  CHECK(events_before > 0);
  CHECK_I64(events_after, events_before);
  check_unchanged(eng, &before);
  perpcore_engine_destroy(eng);
}

/* ------------------------------------------------------------------------- */
/* Queries                                                                   */
/* ------------------------------------------------------------------------- */

/* perpcore_engine_liquidatable() and perpcore_engine_shortfall(): NULL
 * outputs and engine, out NULL with a capacity; capacity 0 asks nothing;
 * nothing liquidatable in a healthy engine (a capacity larger than the
 * answer is not an error) and no shortfall. */
static void test_liquidation_queries_refuse_misuse(void) {
  perpcore_engine *eng = healthy_long();
  perpcore_liquidation_candidate c[4];
  size_t n = 99;
  int64_t v = 5;
  CHECK_STATUS(perpcore_engine_liquidatable(eng, c, 4, NULL), PERPCORE_E_ILLEGAL_ARG);
  CHECK_STATUS(perpcore_engine_liquidatable(eng, NULL, 4, &n), PERPCORE_E_ILLEGAL_ARG);
  CHECK_I64(n, 0);
  n = 99;
  CHECK_STATUS(perpcore_engine_liquidatable(NULL, c, 4, &n), PERPCORE_E_ILLEGAL_ARG);
  CHECK_I64(n, 0);
  n = 99;
  CHECK_OK(perpcore_engine_liquidatable(eng, NULL, 0, &n));
  CHECK_I64(n, 0);
  n = 99;
  memset(c, 0xAB, sizeof c);
  CHECK_OK(perpcore_engine_liquidatable(eng, c, 4, &n));
  CHECK_I64(n, 0);
  CHECK(all_bytes(c, sizeof c, 0xAB)); /* nothing written */

  CHECK_STATUS(perpcore_engine_shortfall(eng, NULL), PERPCORE_E_ILLEGAL_ARG);
  CHECK_STATUS(perpcore_engine_shortfall(NULL, &v), PERPCORE_E_ILLEGAL_ARG);
  CHECK_I64(v, 0); /* zeroed */
  v = 5;
  CHECK_OK(perpcore_engine_shortfall(eng, &v));
  CHECK_I64(v, 0);
  perpcore_engine_destroy(eng);
}

/* The summary grew in issue 13: a caller with the version-2 size (120) gets
 * everything it knows (pending_funding included) and nothing is written
 * beyond it; a size between versions is refused. With the current size, a
 * healthy long's health fields (worked out by hand): buying 1 BTC at 30,000
 * paid 3e10 atoms and a taker fee of 5 bp of it, 15,000,000, so cross cash is
 * 1e10 - 3e10 - 1.5e7 = -20,015,000,000; at the mark (the index, 30,000: no
 * book left) the position is worth +3e10, so health_equity =
 * 9,985,000,000; the
 * maintenance is 1% of 3e10 = 300,000,000; the buffer 9,685,000,000; the
 * margin ratio 3% is far below the 80% warning: HEALTHY. */
static void test_summary_health_fields_and_their_older_size(void) {
  perpcore_engine *eng = healthy_long();
  perpcore_account_summary s;
  CHECK(offsetof(perpcore_account_summary, health_equity) == PERPCORE_ACCOUNT_SUMMARY_SIZE_V2);
  memset(&s, 0xAB, sizeof s);
  s.struct_size = PERPCORE_ACCOUNT_SUMMARY_SIZE_V2;
  CHECK_OK(perpcore_account_summary_get(eng, &s, 2));
  CHECK_I64(s.account, 2);
  CHECK_I64(s.pending_funding, 0);
  CHECK(all_bytes(&s.health_equity, sizeof s - PERPCORE_ACCOUNT_SUMMARY_SIZE_V2, 0xAB));
  s.struct_size = PERPCORE_ACCOUNT_SUMMARY_SIZE_V2 + 8;
  CHECK_STATUS(perpcore_account_summary_get(eng, &s, 2), PERPCORE_E_STRUCT_SIZE);

  perpcore_account_summary_init(&s);
  CHECK_OK(perpcore_account_summary_get(eng, &s, 2));
  CHECK_I64(s.cash, INT64_C(-20015000000));
  CHECK_I64(s.health_equity, INT64_C(9985000000));
  CHECK_I64(s.maintenance_requirement, INT64_C(300000000));
  CHECK_I64(s.liquidation_buffer, INT64_C(9685000000));
  CHECK_I64(s.health, PERPCORE_HEALTH_HEALTHY);
  CHECK_I64(s.liquidatable, 0);
  CHECK_I64(s.pad0, 0);
  perpcore_engine_destroy(eng);
}

/* perpcore_account_position_health(): NULL outputs, unknown ids (outputs
 * zeroed), no position record (HEALTHY, 0), and a cross position's values
 * are its account's (the summary test's buffer: 9,985,000,000 - 300,000,000
 * = 9,685,000,000). */
static void test_position_health_query(void) {
  perpcore_engine *eng = healthy_long();
  uint32_t health = 9;
  int64_t buffer = 9;
  CHECK_STATUS(perpcore_account_position_health(eng, NULL, &buffer, 2, 1), PERPCORE_E_ILLEGAL_ARG);
  CHECK_I64(buffer, 0);
  CHECK_STATUS(perpcore_account_position_health(eng, &health, NULL, 2, 1), PERPCORE_E_ILLEGAL_ARG);
  CHECK_I64(health, PERPCORE_HEALTH_HEALTHY);
  buffer = 9;
  CHECK_STATUS(perpcore_account_position_health(eng, &health, &buffer, 99, 1),
               PERPCORE_E_NOT_FOUND);
  CHECK_I64(buffer, 0);
  buffer = 9;
  CHECK_STATUS(perpcore_account_position_health(eng, &health, &buffer, 2, 9),
               PERPCORE_E_NOT_FOUND);
  CHECK_I64(buffer, 0);
  buffer = 9;
  CHECK_OK(perpcore_account_position_health(eng, &health, &buffer, 4, 1)); /* no record */
  CHECK_I64(health, PERPCORE_HEALTH_HEALTHY);
  CHECK_I64(buffer, 0);
  CHECK_OK(perpcore_account_position_health(eng, &health, &buffer, 2, 1));
  CHECK_I64(health, PERPCORE_HEALTH_HEALTHY);
  CHECK_I64(buffer, INT64_C(9685000000));
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

/* A long at 20x liquidated after the index drops, by hand (engine.hpp,
 * "Liquidation"; the default market: 1% maintenance, taker 5 bp, maker 1 bp,
 * liquidation fee 1.5% of which 5% to the keeper).
 * Account 2 deposits 1,600 USD and buys 1 BTC (1,000 lots) at 30,000 from
 * account 1: cash 1.6e9 - 3e10 - taker fee 1.5e7 = -28,415,000,000. Account
 * 1 then bids 1 BTC at 28,600 (286,000 ticks, inside the 5% band of
 * 30,000). The index drops to 28,650 (286,500 ticks); the ask side is empty
 * (no impact ask, so no basis) and the mark is the index. At the mark:
 *   health_equity = -28,415,000,000 + 1,000 * 286,500 * 100 = 235,000,000
 *   maintenance   = 1% of 28,650,000,000 = 286,500,000 > equity: LIQUIDATABLE
 * Size: closing releases 1% * 1.1 = 1.1% of notional per lot, less than the
 * fees take (1.5% + 5 bp): the whole position, 1,000 lots (below the 1e11
 * chunk threshold and the 1e11 per-command cap). Limit: the equity given is
 * net of the taker fee of a full close at the mark, 5 bp of 2.865e10 =
 * 14,325,000: E' = 220,675,000.
 *   fillable   = 286,500 - floor(1 * (286,500,000 - 220,675,000) * 1.5 /
 *                (1,000 * 100)) = 286,500 - floor(987.375) = 285,513
 *   bankruptcy = 286,500 - floor(220,675,000 / 100,000) = 286,500 - 2,206
 *              = 284,294
 *   limit      = max(285,513, 284,294) = 285,513 (inside the band).
 * The IOC sells 1,000 lots to the bid at 286,000: closed_notional =
 * 28,600,000,000, taker fee 14,300,000, so the account has
 * -28,415,000,000 + 28,600,000,000 - 14,300,000 = 170,700,000 left; the fee
 * is min(ceil(1.5% * 2.86e10) = 429,000,000, 170,700,000) = 170,700,000,
 * the keeper's floor(5%) = 8,535,000, the insurance fund's 162,165,000.
 * Nothing is left below zero: no cover, no shortfall. The order id is the
 * engine's: 2^63 | the command's seq. */
static void test_a_long_is_liquidated_after_the_index_drops(void) {
  perpcore_engine *eng = NULL;
  perpcore_result res;
  perpcore_market_params p;
  perpcore_order o;
  perpcore_event ev[16];
  perpcore_account_summary s;
  perpcore_liquidation_candidate c[4];
  int64_t insurance_before = 0, insurance_after = 0, shortfall = 9, keeper_before = 0;
  size_t n = 0, i = 0, count = 0;
  uint64_t seq = 0, a;
  const int64_t cash[3] = {USD(100000), USD(1600), USD(1000)};
  const int64_t t1 = T0 + INT64_C(1000000000);

  CHECK_OK(perpcore_engine_create(&eng, NULL));
  perpcore_market_params_init(&p);
  CHECK_ACCEPTED(perpcore_market_create(eng, &res, next_seq(eng), T0, 1, &p));
  CHECK_ACCEPTED(perpcore_oracle_publish(eng, &res, next_seq(eng), T0, 1, 1, PX(30000), T0));
  for (a = 1; a <= 3; ++a) {
    CHECK_ACCEPTED(perpcore_account_create(eng, &res, next_seq(eng), T0, a, a, 0, 0));
    CHECK_ACCEPTED(perpcore_account_deposit(eng, &res, next_seq(eng), T0, a, cash[a - 1]));
  }
  perpcore_order_init(&o);
  o.market = 1;
  o.order_id = 1;
  o.account = 1;
  o.side = PERPCORE_SIDE_SELL;
  o.price = PX(30000);
  o.size = 1000;
  CHECK_ACCEPTED(perpcore_order_place(eng, &res, next_seq(eng), T0, &o));
  o.order_id = 2;
  o.account = 2;
  o.side = PERPCORE_SIDE_BUY;
  o.tif = PERPCORE_TIF_IOC;
  CHECK_ACCEPTED(perpcore_order_place(eng, &res, next_seq(eng), T0, &o));
  CHECK_I64(res.filled, 1000);
  o.order_id = 3;
  o.account = 1;
  o.side = PERPCORE_SIDE_BUY;
  o.price = PX(28600);
  o.tif = PERPCORE_TIF_GTC;
  CHECK_ACCEPTED(perpcore_order_place(eng, &res, next_seq(eng), T0, &o));
  CHECK_I64(res.rested, 1000);
  /* Healthy at 30,000: refused. */
  CHECK_REASON(perpcore_engine_liquidate(eng, &res, next_seq(eng), T0, 1, 2, 3, INT64_MAX),
               PERPCORE_REASON_LIQUIDATION_NOT_LIQUIDATABLE);

  CHECK_ACCEPTED(perpcore_oracle_publish(eng, &res, next_seq(eng), t1, 1, 1, PX(28650), t1));
  perpcore_account_summary_init(&s);
  CHECK_OK(perpcore_account_summary_get(eng, &s, 2));
  CHECK_I64(s.cash, INT64_C(-28415000000));
  CHECK_I64(s.health_equity, INT64_C(235000000));
  CHECK_I64(s.maintenance_requirement, INT64_C(286500000));
  CHECK_I64(s.liquidation_buffer, INT64_C(-51500000));
  CHECK_I64(s.health, PERPCORE_HEALTH_LIQUIDATABLE);
  CHECK_I64(s.liquidatable, 1);
  CHECK_OK(perpcore_engine_liquidatable(eng, c, 4, &n));
  CHECK_I64(n, 1);
  CHECK_I64(c[0].account, 2);
  CHECK_I64(c[0].market, 0); /* the cross account */
  CHECK_I64(c[0].health, PERPCORE_HEALTH_LIQUIDATABLE);
  CHECK_I64(c[0].equity, INT64_C(235000000));
  CHECK_I64(c[0].maintenance, INT64_C(286500000));
  CHECK_OK(perpcore_engine_insurance_fund(eng, &insurance_before));
  CHECK_OK(perpcore_account_summary_get(eng, &s, 3));
  keeper_before = s.cash;

  seq = next_seq(eng);
  CHECK_ACCEPTED(perpcore_engine_liquidate(eng, &res, seq, t1, 0, 2, 3, INT64_MAX));
  CHECK_I64(res.filled, 1000);
  n = read_events(eng, ev, 16);
  CHECK_I64(res.event_count, n);
  find_kind(ev, n, PERPCORE_EVENT_FILL, &count);
  CHECK_I64(count, 1);
  find_kind(ev, n, PERPCORE_EVENT_INSURANCE_COVER, &count);
  CHECK_I64(count, 0);
  find_kind(ev, n, PERPCORE_EVENT_SHORTFALL, &count);
  CHECK_I64(count, 0);
  i = find_kind(ev, n, PERPCORE_EVENT_LIQUIDATION, &count);
  CHECK_I64(count, 1);
  /* After the fill; then the warning the price drop set is cleared (no
   * position is left). */
  CHECK(n >= 2 && i == n - 2);
  if (n >= 2) {
    CHECK_I64(ev[n - 1].kind, PERPCORE_EVENT_MARGIN_WARNING);
    CHECK_I64(ev[n - 1].as.margin_warning.account, 2);
    CHECK_I64(ev[n - 1].as.margin_warning.set, 0);
  }
  if (i < n) {
    const perpcore_event_liquidation *l = &ev[i].as.liquidation;
    CHECK_I64(l->market, 1);
    CHECK_I64(l->health, PERPCORE_HEALTH_LIQUIDATABLE);
    CHECK(l->account == 2 && l->keeper == 3);
    CHECK(l->order_id == ((UINT64_C(1) << 63) | seq));
    CHECK_I64(l->isolated, 0);
    CHECK_I64(l->pad0, 0);
    CHECK_I64(l->closed, 1000);
    CHECK_I64(l->position, 0);
    CHECK_I64(l->limit, 285513);
    CHECK_I64(l->closed_notional, INT64_C(28600000000));
    CHECK_I64(l->fee, INT64_C(170700000));
    CHECK_I64(l->keeper_fee, INT64_C(8535000));
  }
  if (i >= 1 && i < n) {
    CHECK_I64(ev[i - 1].kind, PERPCORE_EVENT_FILL);
    CHECK_I64(ev[i - 1].as.fill.price, 286000);
    CHECK_I64(ev[i - 1].as.fill.size, 1000);
    CHECK(ev[i - 1].as.fill.taker.account == 2);
    CHECK_I64(ev[i - 1].as.fill.taker.fee, INT64_C(14300000));
  }
  CHECK_OK(perpcore_engine_insurance_fund(eng, &insurance_after));
  CHECK_I64(insurance_after - insurance_before, INT64_C(162165000));
  CHECK_OK(perpcore_account_summary_get(eng, &s, 3));
  CHECK_I64(s.cash - keeper_before, INT64_C(8535000));
  CHECK_OK(perpcore_account_summary_get(eng, &s, 2));
  CHECK_I64(s.cash, 0);
  CHECK_I64(s.position_count, 0);
  CHECK_I64(s.health, PERPCORE_HEALTH_HEALTHY);
  CHECK_OK(perpcore_engine_shortfall(eng, &shortfall));
  CHECK_I64(shortfall, 0);
  CHECK_OK(perpcore_engine_liquidatable(eng, c, 4, &n));
  CHECK_I64(n, 0);
  CHECK_OK(perpcore_engine_check_invariants(eng));
  perpcore_engine_destroy(eng);
}

/* MARGIN_WARNING: the set-up of test_a_long_is_liquidated_after_the_index_drops
 * (account 2 at 28,650: equity 235,000,000, maintenance 286,500,000, so warning
 * or worse). The price update emits PRICE_UPDATE, then MARGIN_WARNING set with
 * that equity and maintenance. A deposit of 1 atom: only the DEPOSIT (it
 * stays in warning). */
static void test_a_margin_warning_reaches_the_c_event(void) {
  perpcore_engine *eng = NULL;
  perpcore_result res;
  perpcore_market_params p;
  perpcore_order o;
  perpcore_event ev[16];
  size_t n = 0, i = 0, count = 0;
  uint64_t a;
  const int64_t cash[3] = {USD(100000), USD(1600), USD(1000)};
  const int64_t t1 = T0 + INT64_C(1000000000);

  CHECK_OK(perpcore_engine_create(&eng, NULL));
  perpcore_market_params_init(&p);
  CHECK_ACCEPTED(perpcore_market_create(eng, &res, next_seq(eng), T0, 1, &p));
  CHECK_ACCEPTED(perpcore_oracle_publish(eng, &res, next_seq(eng), T0, 1, 1, PX(30000), T0));
  for (a = 1; a <= 3; ++a) {
    CHECK_ACCEPTED(perpcore_account_create(eng, &res, next_seq(eng), T0, a, a, 0, 0));
    CHECK_ACCEPTED(perpcore_account_deposit(eng, &res, next_seq(eng), T0, a, cash[a - 1]));
  }
  perpcore_order_init(&o);
  o.market = 1;
  o.order_id = 1;
  o.account = 1;
  o.side = PERPCORE_SIDE_SELL;
  o.price = PX(30000);
  o.size = 1000;
  CHECK_ACCEPTED(perpcore_order_place(eng, &res, next_seq(eng), T0, &o));
  o.order_id = 2;
  o.account = 2;
  o.side = PERPCORE_SIDE_BUY;
  o.tif = PERPCORE_TIF_IOC;
  CHECK_ACCEPTED(perpcore_order_place(eng, &res, next_seq(eng), T0, &o));
  CHECK_I64(res.filled, 1000);
  CHECK_ACCEPTED(perpcore_oracle_publish(eng, &res, next_seq(eng), t1, 1, 1, PX(28650), t1));
  n = read_events(eng, ev, 16);
  CHECK_I64(n, 2);
  i = find_kind(ev, n, PERPCORE_EVENT_MARGIN_WARNING, &count);
  CHECK_I64(count, 1);
  CHECK_I64(i, 1);
  if (i < n) {
    CHECK_I64(ev[i].as.margin_warning.account, 2);
    CHECK_I64(ev[i].as.margin_warning.market, 0);
    CHECK_I64(ev[i].as.margin_warning.set, 1);
    CHECK_I64(ev[i].as.margin_warning.equity, INT64_C(235000000));
    CHECK_I64(ev[i].as.margin_warning.maintenance, INT64_C(286500000));
  }
  CHECK_ACCEPTED(perpcore_account_deposit(eng, &res, next_seq(eng), t1, 2, 1));
  n = read_events(eng, ev, 16);
  CHECK_I64(n, 1);
  perpcore_engine_destroy(eng);
}

/* The backstop takes a whole position below 2/3 of maintenance, by hand
 * (engine.hpp, "Backstop takeover"; tests/engine/scenario_backstop_test.cpp,
 * the first example). The market has no trading fees, no funding, no price
 * band, mark_cap 0 (the mark is the index) and liquidation fee 0; one tier,
 * 20x (initial 5%), maintenance 1%; backstop account 9, threshold 2/3 (the
 * default). Account 1 (the target) deposits 1.5e9 atoms, the initial margin
 * of 5% of 3e10, and buys 1,000 lots at 300,000 from account 100: cash
 * 1.5e9 - 1,000 * 300,000 * 100 = -2.85e10. The backstop has 1e10, the
 * keeper (102) nothing, and account 101 bids 1,000 lots at 286,000. The index
 * drops to 286,000:
 *   equity      = -2.85e10 + 1,000 * 286,000 * 100 = 1e8
 *   maintenance = 1% of 2.86e10 = 2.86e8; 2/3 of it 190,666,666.67 > 1e8
 * so the backstop takes the whole position at the mark, off the book (no
 * order, no FILL, no LIQUIDATION, no fee, the bid left resting), with the
 * equity share 1e8 * 1 (its only position):
 *   target cash   -2.85e10 + 2.86e10 - 1e8 = 0, no position;
 *   backstop cash 1e10 + 1e8 - 2.86e10 = -1.85e10, long 1,000, equity
 *   -1.85e10 + 2.86e10 = 1.01e10 (>= its initial 5% of 2.86e10 = 1.43e9).
 * The events: BACKSTOP_TAKEOVER, then the target's warning (set by the
 * price drop) cleared. out->filled counts the book's lots only: 0. */
static void test_the_backstop_takes_a_whole_position_below_two_thirds_of_maintenance(void) {
  perpcore_engine *eng = NULL;
  perpcore_result res;
  perpcore_market_params p;
  perpcore_order o;
  perpcore_event ev[16];
  perpcore_account_summary s;
  int64_t v = 9;
  size_t n = 0, i = 0, count = 0;
  size_t k;
  const uint64_t accounts[5] = {100, 101, 102, 9, 1};
  const int64_t cash[5] = {USD(10000000), USD(10000000), 0, INT64_C(10000000000),
                           INT64_C(1500000000)};

  CHECK_OK(perpcore_engine_create(&eng, NULL));
  perpcore_market_params_init(&p);
  p.max_price = 10000000;
  p.price_band = 0;
  p.maker_fee = 0;
  p.taker_fee = 0;
  p.mark_cap = 0;
  p.funding.model = PERPCORE_FUNDING_MODEL_NONE;
  p.liquidation.fee = 0;
  p.liquidation.backstop = 9;
  CHECK_ACCEPTED(perpcore_market_create(eng, &res, next_seq(eng), T0, 1, &p));
  CHECK_ACCEPTED(perpcore_oracle_publish(eng, &res, next_seq(eng), T0, 1, 1, 300000, T0));
  for (k = 0; k < 5; ++k) {
    CHECK_ACCEPTED(perpcore_account_create(eng, &res, next_seq(eng), T0, accounts[k],
                                           accounts[k], 0, 0));
    if (cash[k] > 0) {
      CHECK_ACCEPTED(perpcore_account_deposit(eng, &res, next_seq(eng), T0, accounts[k],
                                              cash[k]));
    }
  }
  perpcore_order_init(&o);
  o.market = 1;
  o.order_id = 1;
  o.account = 100;
  o.side = PERPCORE_SIDE_SELL;
  o.price = 300000;
  o.size = 1000;
  CHECK_ACCEPTED(perpcore_order_place(eng, &res, next_seq(eng), T0, &o));
  o.order_id = 2;
  o.account = 1;
  o.side = PERPCORE_SIDE_BUY;
  o.tif = PERPCORE_TIF_IOC;
  CHECK_ACCEPTED(perpcore_order_place(eng, &res, next_seq(eng), T0, &o));
  CHECK_I64(res.filled, 1000);
  CHECK_ACCEPTED(perpcore_oracle_publish(eng, &res, next_seq(eng), T0, 1, 1, 286000, T0));
  o.order_id = 3;
  o.account = 101;
  o.price = 286000;
  o.tif = PERPCORE_TIF_GTC;
  CHECK_ACCEPTED(perpcore_order_place(eng, &res, next_seq(eng), T0, &o));
  CHECK_I64(res.rested, 1000);
  perpcore_account_summary_init(&s);
  CHECK_OK(perpcore_account_summary_get(eng, &s, 1));
  CHECK_I64(s.cash, INT64_C(-28500000000));
  CHECK_I64(s.health_equity, INT64_C(100000000));
  CHECK_I64(s.maintenance_requirement, INT64_C(286000000));

  CHECK_ACCEPTED(perpcore_engine_liquidate(eng, &res, next_seq(eng), T0, 1, 1, 102, INT64_MAX));
  CHECK_I64(res.filled, 0);
  n = read_events(eng, ev, 16);
  CHECK_I64(res.event_count, n);
  CHECK_I64(n, 2);
  find_kind(ev, n, PERPCORE_EVENT_FILL, &count);
  CHECK_I64(count, 0);
  find_kind(ev, n, PERPCORE_EVENT_LIQUIDATION, &count);
  CHECK_I64(count, 0);
  i = find_kind(ev, n, PERPCORE_EVENT_BACKSTOP_TAKEOVER, &count);
  CHECK_I64(count, 1);
  CHECK_I64(i, 0);
  if (i < n) {
    const perpcore_event_backstop_takeover *t = &ev[i].as.backstop_takeover;
    CHECK_I64(t->market, 1);
    CHECK_I64(t->isolated, 0);
    CHECK(t->account == 1 && t->backstop == 9);
    CHECK_I64(t->size, 1000);
    CHECK_I64(t->price, 286000);
    CHECK_I64(t->equity, INT64_C(100000000));
    CHECK_I64(t->position, 0);
    CHECK_I64(t->backstop_position, 1000);
  }
  if (n == 2) {
    CHECK_I64(ev[1].kind, PERPCORE_EVENT_MARGIN_WARNING);
    CHECK_I64(ev[1].as.margin_warning.account, 1);
    CHECK_I64(ev[1].as.margin_warning.set, 0);
  }
  CHECK_OK(perpcore_account_summary_get(eng, &s, 1));
  CHECK_I64(s.cash, 0);
  CHECK_I64(s.position_count, 0);
  CHECK_I64(s.health, PERPCORE_HEALTH_HEALTHY);
  CHECK_OK(perpcore_account_summary_get(eng, &s, 9));
  CHECK_I64(s.cash, INT64_C(-18500000000));
  CHECK_I64(s.position_count, 1);
  CHECK_I64(s.health_equity, INT64_C(10100000000));
  CHECK_OK(perpcore_account_summary_get(eng, &s, 102));
  CHECK_I64(s.cash, 0); /* the keeper is paid only for what the book closes */
  CHECK_OK(perpcore_engine_insurance_fund(eng, &v));
  CHECK_I64(v, 0);
  CHECK_OK(perpcore_engine_shortfall(eng, &v));
  CHECK_I64(v, 0);
  CHECK_OK(perpcore_engine_check_invariants(eng));
  perpcore_engine_destroy(eng);
}

/* Auto-deleveraging, by hand (engine.hpp, "Auto-deleveraging";
 * tests/engine/scenario_adl_test.cpp, the same set-up and figures). The
 * market of the backstop test without a backstop: no trading fees, no
 * funding, no price band, mark_cap 0, liquidation fee 0; one tier, 20x,
 * maintenance 1%; loss policy ADL (the default); the insurance fund empty.
 * Accounts in creation order: 101 (a bidder, 1e13 atoms), 102 (the keeper,
 * nothing), 1 (the target, 1.5e9), 2 (1e9, no leverage chosen: 20x), 3
 * (2.4e9, leverage 5). Account 2 offers 600 lots and account 3 400 lots at
 * 300,000; the target buys all 1,000 (IOC): cash 1.5e9 - 1,000 * 300,000 *
 * 100 = -2.85e10; account 2 cash 1e9 + 1.8e10, account 3 2.4e9 + 1.2e10
 * (account 3's initial 1 / 5 of 1.2e10 = 2.4e9 exactly). The index drops to
 * 284,000 (the mark: mark_cap 0, no book left):
 *   target  E = -2.85e10 + 1,000 * 284,000 * 100 = -1e8 (BANKRUPT),
 *           maintenance 1% of 2.84e10 = 2.84e8;
 *   shorts  PnL% = (300,000 - 284,000) / 300,000 each, the score times
 *           the leverage setting: 20 for account 2, 5 for account 3, so
 *           account 2 ranks first.
 * The ADL light (perpcore_engine_adl_rank()): account 2 rank 0 of 2,
 * bucket 4 - floor(5 * 0 / 2) = 4; account 3 rank 1 of 2, bucket
 * 4 - floor(5 * 1 / 2) = 2; the target rank 0 of 1 on its side, bucket 4. */
static perpcore_engine *bankrupt_long_and_two_shorts(void) {
  perpcore_engine *eng = NULL;
  perpcore_result res;
  perpcore_market_params p;
  perpcore_order o;
  size_t k;
  const uint64_t accounts[5] = {101, 102, 1, 2, 3};
  const int64_t cash[5] = {USD(10000000), 0, INT64_C(1500000000), INT64_C(1000000000),
                           INT64_C(2400000000)};

  CHECK_OK(perpcore_engine_create(&eng, NULL));
  perpcore_market_params_init(&p);
  p.max_price = 10000000;
  p.price_band = 0;
  p.maker_fee = 0;
  p.taker_fee = 0;
  p.mark_cap = 0;
  p.funding.model = PERPCORE_FUNDING_MODEL_NONE;
  p.liquidation.fee = 0;
  CHECK_ACCEPTED(perpcore_market_create(eng, &res, next_seq(eng), T0, 1, &p));
  CHECK_ACCEPTED(perpcore_oracle_publish(eng, &res, next_seq(eng), T0, 1, 1, 300000, T0));
  for (k = 0; k < 5; ++k) {
    CHECK_ACCEPTED(perpcore_account_create(eng, &res, next_seq(eng), T0, accounts[k],
                                           accounts[k], 0, 0));
    if (cash[k] > 0) {
      CHECK_ACCEPTED(perpcore_account_deposit(eng, &res, next_seq(eng), T0, accounts[k],
                                              cash[k]));
    }
  }
  CHECK_ACCEPTED(perpcore_account_set_leverage(eng, &res, next_seq(eng), T0, 1, 3, 5));
  perpcore_order_init(&o);
  o.market = 1;
  o.order_id = 1;
  o.account = 2;
  o.side = PERPCORE_SIDE_SELL;
  o.price = 300000;
  o.size = 600;
  CHECK_ACCEPTED(perpcore_order_place(eng, &res, next_seq(eng), T0, &o));
  o.order_id = 2;
  o.account = 3;
  o.size = 400;
  CHECK_ACCEPTED(perpcore_order_place(eng, &res, next_seq(eng), T0, &o));
  o.order_id = 3;
  o.account = 1;
  o.side = PERPCORE_SIDE_BUY;
  o.size = 1000;
  o.tif = PERPCORE_TIF_IOC;
  CHECK_ACCEPTED(perpcore_order_place(eng, &res, next_seq(eng), T0, &o));
  CHECK_I64(res.filled, 1000);
  CHECK_ACCEPTED(perpcore_oracle_publish(eng, &res, next_seq(eng), T0, 1, 1, 284000, T0));
  return eng;
}

/* perpcore_engine_adl_rank(): the light of the set-up above, then its
 * misuse: a NULL output or engine, a struct_size that is not the struct's
 * (nothing written), and NOT_FOUND for an unknown account or market and for
 * an account without a position there (the bidder), each with the output
 * zeroed but for its struct_size and the reason in the last error. */
static void test_the_adl_rank_query(void) {
  perpcore_engine *eng = bankrupt_long_and_two_shorts();
  perpcore_adl_rank r;
  char err[128];
  size_t i;
  const struct {
    uint64_t account;
    uint64_t rank, count;
    uint32_t bucket;
  } want[3] = {{2, 0, 2, 4}, {3, 1, 2, 2}, {1, 0, 1, 4}};
  const struct {
    uint64_t account;
    uint32_t market;
    const char *error;
  } missing[3] = {{77, 1, "unknown account 77"},
                  {1, 9, "unknown market 9"},
                  {101, 1, "account 101 has no position in market 1"}};

  perpcore_adl_rank_init(&r);
  CHECK_I64(r.struct_size, sizeof r);
  CHECK(r.bucket == 0 && r.rank == 0 && r.count == 0);
  for (i = 0; i < 3; ++i) {
    memset(&r, 0xAB, sizeof r);
    perpcore_adl_rank_init(&r);
    CHECK_OK(perpcore_engine_adl_rank(eng, &r, want[i].account, 1));
    CHECK_I64(r.struct_size, sizeof r);
    CHECK_I64(r.rank, want[i].rank);
    CHECK_I64(r.count, want[i].count);
    CHECK_I64(r.bucket, want[i].bucket);
  }
  for (i = 0; i < 3; ++i) {
    memset(&r, 0xAB, sizeof r);
    r.struct_size = sizeof r;
    CHECK_STATUS(perpcore_engine_adl_rank(eng, &r, missing[i].account, missing[i].market),
                 PERPCORE_E_NOT_FOUND);
    CHECK_I64(r.struct_size, sizeof r);
    CHECK(all_bytes(&r.bucket, sizeof r - sizeof r.struct_size, 0)); /* zeroed */
    CHECK_OK(perpcore_engine_last_error(eng, err, sizeof err));
    CHECK(strstr(err, missing[i].error) != NULL);
  }
  CHECK_STATUS(perpcore_engine_adl_rank(eng, NULL, 2, 1), PERPCORE_E_ILLEGAL_ARG);
  memset(&r, 0xAB, sizeof r);
  r.struct_size = sizeof r;
  CHECK_STATUS(perpcore_engine_adl_rank(NULL, &r, 2, 1), PERPCORE_E_ILLEGAL_ARG);
  CHECK(all_bytes(&r.bucket, sizeof r - sizeof r.struct_size, 0));
  memset(&r, 0xAB, sizeof r);
  r.struct_size = sizeof r + 8;
  CHECK_STATUS(perpcore_engine_adl_rank(eng, &r, 2, 1), PERPCORE_E_STRUCT_SIZE);
  CHECK(all_bytes(&r.bucket, sizeof r - sizeof r.struct_size, 0xAB)); /* nothing written */
  r.struct_size = 0;
  CHECK_STATUS(perpcore_engine_adl_rank(eng, &r, 2, 1), PERPCORE_E_STRUCT_SIZE);
  perpcore_engine_destroy(eng);
}

/* The set-up above liquidated with the insurance fund empty: E + 0 < 0, so
 * the target is deleveraged first, against the shorts in their ranking, each
 * at the mark 284,000 with the target's equity share floor(E * lots / its
 * lots) moved to it (<= 0: the counterparty pays it in):
 *   account 2: 600 lots (all it has), share floor(-1e8 * 600 / 1,000) =
 *     -6e7; it stays not liquidatable (its whole position closes:
 *     maintenance 0, equity 1e9 + 600 * 16,000 * 100 - 6e7 = 1.9e9 >= 0).
 *     The target keeps 400 lots with E = -1e8 + 6e7 = -4e7;
 *   account 3: 400 lots, share floor(-4e7 * 400 / 400) = -4e7.
 * Both trades are at the target's bankruptcy price, 284,000 + 1e8 / (1,000
 * * 100) = 285,000, exactly:
 *   target    cash -2.85e10 + 1,000 * 284,000 * 100 + 6e7 + 4e7 = 0
 *   account 2 cash 1e9 + 1.8e10 - 600 * 284,000 * 100 - 6e7 = 1.9e9
 *   account 3 cash 2.4e9 + 1.2e10 - 400 * 284,000 * 100 - 4e7 = 3.0e9
 * Nothing is left for the book: no order, no FILL, no LIQUIDATION, no fee
 * (out->filled 0, the keeper gets nothing); no insurance cover, no
 * shortfall; the open interest is 0 on both sides. The events: the two
 * DELEVERAGED, then the target's warning (set by the price drop) cleared. */
static void test_a_bankrupt_long_is_deleveraged_against_two_ranked_shorts(void) {
  perpcore_engine *eng = bankrupt_long_and_two_shorts();
  perpcore_result res;
  perpcore_event ev[16];
  perpcore_account_summary s;
  perpcore_market_stats st;
  perpcore_adl_rank r;
  int64_t v = 9;
  size_t n = 0, i = 0, count = 0;
  const struct {
    uint64_t counterparty;
    int64_t size, equity, position;
  } want[2] = {{2, 600, INT64_C(-60000000), 400}, {3, 400, INT64_C(-40000000), 0}};

  perpcore_account_summary_init(&s);
  CHECK_OK(perpcore_account_summary_get(eng, &s, 1));
  CHECK_I64(s.cash, INT64_C(-28500000000));
  CHECK_I64(s.health_equity, INT64_C(-100000000));
  CHECK_I64(s.maintenance_requirement, INT64_C(284000000));
  CHECK_I64(s.health, PERPCORE_HEALTH_BANKRUPT);
  CHECK_OK(perpcore_engine_insurance_fund(eng, &v));
  CHECK_I64(v, 0);
  perpcore_adl_rank_init(&r);
  CHECK_OK(perpcore_engine_adl_rank(eng, &r, 2, 1));
  CHECK_I64(r.rank, 0); /* the first counterparty below */

  CHECK_ACCEPTED(perpcore_engine_liquidate(eng, &res, next_seq(eng), T0, 1, 1, 102, INT64_MAX));
  CHECK_I64(res.filled, 0);
  n = read_events(eng, ev, 16);
  CHECK_I64(res.event_count, n);
  CHECK_I64(n, 3);
  find_kind(ev, n, PERPCORE_EVENT_FILL, &count);
  CHECK_I64(count, 0);
  find_kind(ev, n, PERPCORE_EVENT_LIQUIDATION, &count);
  CHECK_I64(count, 0);
  i = find_kind(ev, n, PERPCORE_EVENT_DELEVERAGED, &count);
  CHECK_I64(count, 2);
  CHECK_I64(i, 0);
  for (i = 0; i < 2 && i < n; ++i) {
    const perpcore_event_deleveraged *d = &ev[i].as.deleveraged;
    CHECK_I64(ev[i].kind, PERPCORE_EVENT_DELEVERAGED);
    CHECK_I64(d->market, 1);
    CHECK_I64(d->isolated, 0);
    CHECK_I64(d->account, 1);
    CHECK_I64(d->counterparty, want[i].counterparty);
    CHECK_I64(d->size, want[i].size);
    CHECK_I64(d->price, 284000);
    CHECK_I64(d->equity, want[i].equity);
    CHECK_I64(d->position, want[i].position);
    CHECK_I64(d->counterparty_position, 0);
  }
  if (n == 3) {
    CHECK_I64(ev[2].kind, PERPCORE_EVENT_MARGIN_WARNING);
    CHECK_I64(ev[2].as.margin_warning.account, 1);
    CHECK_I64(ev[2].as.margin_warning.set, 0);
  }
  CHECK_OK(perpcore_account_summary_get(eng, &s, 1));
  CHECK_I64(s.cash, 0);
  CHECK_I64(s.position_count, 0);
  CHECK_I64(s.health, PERPCORE_HEALTH_HEALTHY);
  CHECK_OK(perpcore_account_summary_get(eng, &s, 2));
  CHECK_I64(s.cash, INT64_C(1900000000));
  CHECK_I64(s.position_count, 0);
  CHECK_OK(perpcore_account_summary_get(eng, &s, 3));
  CHECK_I64(s.cash, INT64_C(3000000000));
  CHECK_I64(s.position_count, 0);
  CHECK_OK(perpcore_account_summary_get(eng, &s, 102));
  CHECK_I64(s.cash, 0);
  CHECK_OK(perpcore_engine_insurance_fund(eng, &v));
  CHECK_I64(v, 0);
  CHECK_OK(perpcore_engine_shortfall(eng, &v));
  CHECK_I64(v, 0);
  perpcore_market_stats_init(&st);
  CHECK_OK(perpcore_market_stats_get(eng, &st, 1));
  CHECK_I64(st.open_interest_long, 0);
  CHECK_I64(st.open_interest_short, 0);
  CHECK_I64(st.volume, 1000); /* the entry only: deleveraging is off the book */
  CHECK_STATUS(perpcore_engine_adl_rank(eng, &r, 1, 1), PERPCORE_E_NOT_FOUND);
  CHECK_OK(perpcore_engine_check_invariants(eng));
  perpcore_engine_destroy(eng);
}

int main(void) {
  test_every_liquidation_field_round_trips();
  test_each_liquidation_field_out_of_range_is_refused_with_its_reason();
  test_liquidation_bounds_are_exact_to_one_atom();
  test_older_market_params_sizes_get_the_liquidation_defaults();
  test_the_version_4_market_params_size_gets_the_backstop_defaults();
  test_a_backstop_threshold_outside_zero_to_one_is_refused();
  test_a_loss_policy_outside_the_enum_is_refused();
  test_liquidate_refuses_each_bad_input_with_its_reason_and_changes_nothing();
  test_liquidate_misuse_is_a_status_and_consumes_no_seq();
  test_liquidation_queries_refuse_misuse();
  test_summary_health_fields_and_their_older_size();
  test_position_health_query();
  test_a_long_is_liquidated_after_the_index_drops();
  test_a_margin_warning_reaches_the_c_event();
  test_the_backstop_takes_a_whole_position_below_two_thirds_of_maintenance();
  test_the_adl_rank_query();
  test_a_bankrupt_long_is_deleveraged_against_two_ranked_shorts();
  if (g_failures != 0) {
    fprintf(stderr, "c_api_liquidation_test: %d of %d checks failed\n", g_failures, g_checks);
    return EXIT_FAILURE;
  }
  printf("c_api_liquidation_test: all %d checks passed\n", g_checks);
  return EXIT_SUCCESS;
}
