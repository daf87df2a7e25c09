/*
 * The C API test, compiled as C11 with -pedantic -Werror: a full trade cycle
 * through every function of perpcore/perpcore.h with exact numbers, two
 * engines fed the same commands reaching the same digest, and the misuse
 * cases, each of which must return its status and change nothing.
 *
 * Money is in 1e-6 USD atoms; the market is BTC-USD with a 0.1 USD tick and
 * a 0.001 BTC lot, so one tick of one lot is 100 atoms, 30,000 USD is
 * 300,000 ticks and 1 BTC is 1,000 lots (1 BTC at 30,000 = 3e10 atoms).
 */
#include "perpcore/perpcore.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_harness.h"

/* ------------------------------------------------------------------------- */
/* The checks of this file, on top of check_harness.h                        */
/* ------------------------------------------------------------------------- */

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

/* A command that the engine processes with reason `want` (into `res`). */
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

static uint64_t next_seq(const perpcore_engine *eng) {
  uint64_t s = 0;
  if (perpcore_engine_last_seq(eng, &s) != PERPCORE_OK) return 0;
  return s + 1;
}

static void get_digest(const perpcore_engine *eng, uint8_t out[PERPCORE_DIGEST_SIZE]) {
  CHECK_OK(perpcore_engine_digest(eng, out));
}

static int all_bytes(const void *p, size_t n, unsigned char value) {
  const unsigned char *b = (const unsigned char *)p;
  size_t i;
  for (i = 0; i < n; ++i) {
    if (b[i] != value) return 0;
  }
  return 1;
}

/* The events of the last command, into a fixed buffer. */
static size_t read_events(const perpcore_engine *eng, perpcore_event *out, size_t cap) {
  size_t n = 0;
  CHECK_OK(perpcore_engine_events(eng, out, cap, &n));
  return n;
}

static perpcore_market_params btc_params(void) {
  perpcore_market_params p;
  perpcore_market_params_init(&p);
  strcpy(p.symbol, "BTC-USD");
  p.max_order_size = 100 * 1000;
  p.max_open_interest = 1000 * 1000;
  p.max_price = PX(1000000);
  p.maker_fee = BP(1);
  p.taker_fee = BP(5);
  return p;
}

static perpcore_order order(uint64_t id, uint64_t account, uint8_t side, int64_t price,
                            int64_t size, uint8_t tif) {
  perpcore_order o;
  perpcore_order_init(&o);
  o.market = 1;
  o.order_id = id;
  o.account = account;
  o.side = side;
  o.price = price;
  o.size = size;
  o.tif = tif;
  return o;
}

/* ------------------------------------------------------------------------- */
/* Free functions                                                            */
/* ------------------------------------------------------------------------- */

static void test_names_and_version(void) {
  uint32_t r;
  char version[32];
  CHECK(perpcore_version_number() == PERPCORE_VERSION_NUMBER);
  CHECK(strcmp(perpcore_version_string(), PERPCORE_VERSION_STRING) == 0);
  snprintf(version, sizeof version, "%d.%d.%d", PERPCORE_VERSION_MAJOR, PERPCORE_VERSION_MINOR,
           PERPCORE_VERSION_PATCH);
  CHECK(strcmp(version, PERPCORE_VERSION_STRING) == 0);

  CHECK(strcmp(perpcore_status_name(PERPCORE_OK), "PERPCORE_OK") == 0);
  CHECK(strcmp(perpcore_status_name(PERPCORE_E_ILLEGAL_ARG), "PERPCORE_E_ILLEGAL_ARG") == 0);
  CHECK(strcmp(perpcore_status_name(PERPCORE_E_NOT_FOUND), "PERPCORE_E_NOT_FOUND") == 0);
  CHECK(strcmp(perpcore_status_name(PERPCORE_E_RANGE), "PERPCORE_E_RANGE") == 0);
  CHECK(strcmp(perpcore_status_name(PERPCORE_E_BUFFER_TOO_SMALL),
               "PERPCORE_E_BUFFER_TOO_SMALL") == 0);
  CHECK(strcmp(perpcore_status_name(PERPCORE_E_STRUCT_SIZE), "PERPCORE_E_STRUCT_SIZE") == 0);
  CHECK(strcmp(perpcore_status_name(PERPCORE_E_BAD_HANDLE), "PERPCORE_E_BAD_HANDLE") == 0);
  CHECK(strcmp(perpcore_status_name(PERPCORE_E_CONFIG), "PERPCORE_E_CONFIG") == 0);
  CHECK(strcmp(perpcore_status_name(PERPCORE_E_INTERNAL), "PERPCORE_E_INTERNAL") == 0);
  CHECK(strcmp(perpcore_status_name(-1), "PERPCORE_E_UNKNOWN") == 0);
  /* Pinned numbers. */
  CHECK(PERPCORE_E_ILLEGAL_ARG == -1001 && PERPCORE_E_NOT_FOUND == -1002 &&
        PERPCORE_E_RANGE == -1003 && PERPCORE_E_BUFFER_TOO_SMALL == -1004 &&
        PERPCORE_E_STRUCT_SIZE == -1005 && PERPCORE_E_BAD_HANDLE == -1006 &&
        PERPCORE_E_CONFIG == -1007 && PERPCORE_E_SEQUENCE_GAP == -1101 &&
        PERPCORE_E_TIME_WENT_BACK == -1102 && PERPCORE_E_ALREADY_APPLIED == -1103 &&
        PERPCORE_E_INTERNAL == -9001 && PERPCORE_E_POISONED == -9002);

  /* Every reason has a name and a message; other values are unknown. */
  /* One list for book and engine, a range of 100 per module, dense from the
   * start of each range: ok, framing 100..103, parameters 200..225, registry
   * 300..312, book 400..412, risk 500..509, oracle 600..607, funding 700..711,
   * liquidation 800..818 (with the final settlement, the backstop and the
   * loss policy). */
  for (r = 0; r <= 1200; ++r) {
    const int known = r == 0 || (r >= 100 && r <= 103) || (r >= 200 && r <= 225) ||
                      (r >= 300 && r <= 312) || (r >= 400 && r <= 412) ||
                      (r >= 500 && r <= 509) || (r >= 600 && r <= 607) ||
                      (r >= 700 && r <= 711) || (r >= 800 && r <= 818);
    const char *name = perpcore_reason_name(r);
    const char *msg = perpcore_reason_message(r);
    CHECK(name != NULL && msg != NULL && msg[0] != '\0');
    CHECK(known == (strcmp(name, "PERPCORE_REASON_UNKNOWN") != 0));
    CHECK(known == (strcmp(msg, "unknown reason") != 0));
  }
  CHECK(strcmp(perpcore_reason_name(PERPCORE_REASON_INSUFFICIENT_MARGIN),
               "PERPCORE_REASON_INSUFFICIENT_MARGIN") == 0);
  CHECK(strcmp(perpcore_reason_name(PERPCORE_REASON_POST_ONLY_WOULD_CROSS),
               "PERPCORE_REASON_POST_ONLY_WOULD_CROSS") == 0);
  CHECK(strcmp(perpcore_reason_name(PERPCORE_REASON_OK), "PERPCORE_REASON_OK") == 0);
  CHECK(strcmp(perpcore_reason_name(UINT32_C(0x10000) + PERPCORE_REASON_SEQUENCE_GAP), "PERPCORE_REASON_UNKNOWN") == 0);
  CHECK(strcmp(perpcore_reason_message(UINT32_MAX), "unknown reason") == 0);
}

static void test_create_and_config(void) {
  perpcore_engine *eng = (perpcore_engine *)&eng; /* must be overwritten */
  perpcore_engine_config cfg, back;
  char msg[128];

  /* NULL out; NULL config means defaults. */
  CHECK_STATUS(perpcore_engine_create(NULL, NULL), PERPCORE_E_ILLEGAL_ARG);
  CHECK_OK(perpcore_engine_create(&eng, NULL));
  CHECK(eng != NULL);
  perpcore_engine_config_init(&back);
  CHECK_OK(perpcore_engine_config_get(eng, &back));
  perpcore_engine_config_init(&cfg);
  CHECK(memcmp(&cfg, &back, sizeof cfg) == 0);
  perpcore_engine_destroy(eng);
  perpcore_engine_destroy(NULL); /* a no-op */

  /* A custom config reads back. */
  perpcore_engine_config_init(&cfg);
  cfg.quote_decimals = 8;
  cfg.fee_tier_count = 3;
  cfg.fee_tier_discounts[1] = PERPCORE_RATE_SCALE / 10;
  cfg.fee_tier_discounts[2] = PERPCORE_RATE_SCALE / 5;
  cfg.referrer_share = PERPCORE_RATE_SCALE / 10;
  CHECK_OK(perpcore_engine_config_check(msg, sizeof msg, &cfg));
  CHECK(msg[0] == '\0');
  CHECK_OK(perpcore_engine_create(&eng, &cfg));
  perpcore_engine_config_init(&back);
  CHECK_OK(perpcore_engine_config_get(eng, &back));
  CHECK(memcmp(&cfg, &back, sizeof cfg) == 0);
  perpcore_engine_destroy(eng);

  /* A config out of range: E_CONFIG, *out NULL, and check says which field. */
  perpcore_engine_config_init(&cfg);
  cfg.quote_decimals = 19;
  eng = (perpcore_engine *)&eng;
  CHECK_STATUS(perpcore_engine_create(&eng, &cfg), PERPCORE_E_CONFIG);
  CHECK(eng == NULL);
  CHECK_STATUS(perpcore_engine_config_check(msg, sizeof msg, &cfg), PERPCORE_E_CONFIG);
  CHECK(strstr(msg, "quote_decimals") != NULL);
  /* The message is truncated to the buffer, always NUL-terminated. */
  memset(msg, 'x', sizeof msg);
  CHECK_STATUS(perpcore_engine_config_check(msg, 5, &cfg), PERPCORE_E_CONFIG);
  CHECK(strlen(msg) == 4);
  CHECK_STATUS(perpcore_engine_config_check(NULL, 0, &cfg), PERPCORE_E_CONFIG);
  CHECK_STATUS(perpcore_engine_config_check(NULL, 8, &cfg), PERPCORE_E_ILLEGAL_ARG);
  CHECK_STATUS(perpcore_engine_config_check(msg, sizeof msg, NULL), PERPCORE_E_ILLEGAL_ARG);

  /* A count beyond its array, struct sizes. */
  perpcore_engine_config_init(&cfg);
  cfg.fee_tier_count = PERPCORE_MAX_FEE_TIERS + 1;
  CHECK_STATUS(perpcore_engine_create(&eng, &cfg), PERPCORE_E_RANGE);
  CHECK(eng == NULL);
  cfg.fee_tier_count = 0;
  CHECK_STATUS(perpcore_engine_create(&eng, &cfg), PERPCORE_E_CONFIG);
  perpcore_engine_config_init(&cfg);
  cfg.struct_size = 8;
  CHECK_STATUS(perpcore_engine_create(&eng, &cfg), PERPCORE_E_STRUCT_SIZE);
  CHECK_STATUS(perpcore_engine_config_check(msg, sizeof msg, &cfg), PERPCORE_E_STRUCT_SIZE);
  cfg.struct_size = 0;
  CHECK_STATUS(perpcore_engine_create(&eng, &cfg), PERPCORE_E_STRUCT_SIZE);
  cfg.struct_size = UINT32_MAX;
  CHECK_STATUS(perpcore_engine_create(&eng, &cfg), PERPCORE_E_STRUCT_SIZE);
  CHECK(eng == NULL);

  /* A newer caller's bigger struct: refused, even with its extra fields
   * zero (the library never reads beyond the size it knows). */
  {
    struct {
      perpcore_engine_config v1;
      int64_t newer_field;
    } bigger;
    memset(&bigger, 0, sizeof bigger);
    perpcore_engine_config_init(&bigger.v1);
    bigger.v1.struct_size = (uint32_t)sizeof bigger;
    CHECK_STATUS(perpcore_engine_create(&eng, &bigger.v1), PERPCORE_E_STRUCT_SIZE);
    CHECK(eng == NULL);
  }
}

/* ------------------------------------------------------------------------- */
/* The trade cycle                                                           */
/* ------------------------------------------------------------------------- */

/* Builds the same state on any engine: a BTC market priced at 30,000, a
 * maker (1, 100k USD), a taker (2, 10k USD), a second account of the
 * taker's owner (3), and a 1 BTC trade between 1 and 2 at 30,000. */
static void trade_setup(perpcore_engine *eng) {
  perpcore_result res;
  perpcore_market_params p = btc_params();
  perpcore_order o;
  perpcore_event ev[4];
  CHECK_ACCEPTED(perpcore_market_create(eng, &res, next_seq(eng), T0, 1, &p));
  CHECK_ACCEPTED(perpcore_oracle_publish(eng, &res, next_seq(eng), T0, 1, 1, PX(30000), T0));
  CHECK_ACCEPTED(perpcore_account_create(eng, &res, next_seq(eng), T0, 1, 1, 0, 0));
  CHECK_ACCEPTED(perpcore_account_create(eng, &res, next_seq(eng), T0, 2, 2, 0, 0));
  CHECK_ACCEPTED(perpcore_account_create(eng, &res, next_seq(eng), T0, 3, 2, 0, 0));
  /* ACCOUNT_CREATED: counterparty is the owner (2), not the account (3). */
  CHECK_I64(read_events(eng, ev, 4), 1);
  CHECK_I64(ev[0].kind, PERPCORE_EVENT_ACCOUNT_CREATED);
  CHECK_I64(ev[0].as.account_created.account, 3);
  CHECK_I64(ev[0].as.account_created.owner, 2);
  /* Accounts 2 and 3 share owner 2; 3 trades as a desk of its own. */
  CHECK_STATUS(perpcore_account_set_stp_scope(eng, &res, next_seq(eng), T0, 3, 2),
               PERPCORE_E_ILLEGAL_ARG);
  CHECK_ACCEPTED(perpcore_account_set_stp_scope(eng, &res, next_seq(eng), T0, 3,
                                                PERPCORE_STP_SCOPE_ACCOUNT));
  CHECK_I64(read_events(eng, ev, 4), 1);
  CHECK_I64(ev[0].kind, PERPCORE_EVENT_STP_SCOPE_SET);
  CHECK_I64(ev[0].as.stp_scope.scope, PERPCORE_STP_SCOPE_ACCOUNT);
  CHECK_ACCEPTED(perpcore_account_deposit(eng, &res, next_seq(eng), T0, 1, USD(100000)));
  CHECK_ACCEPTED(perpcore_account_deposit(eng, &res, next_seq(eng), T0, 2, USD(10000)));
  CHECK_ACCEPTED(perpcore_account_deposit(eng, &res, next_seq(eng), T0, 3, USD(5000)));
  o = order(10, 1, PERPCORE_SIDE_SELL, PX(30000), 1000, PERPCORE_TIF_GTC);
  o.client_id = 77;
  CHECK_ACCEPTED(perpcore_order_place(eng, &res, next_seq(eng), T0, &o));
  CHECK_I64(res.rested, 1000);
  CHECK_I64(res.filled, 0);
  o = order(11, 2, PERPCORE_SIDE_BUY, PX(30000), 1000, PERPCORE_TIF_IOC);
  CHECK_ACCEPTED(perpcore_order_place(eng, &res, next_seq(eng), T0, &o));
  CHECK_I64(res.filled, 1000);
  CHECK_I64(res.rested, 0);
  CHECK_I64(res.event_count, 1);
}

static void test_trade_cycle(void) {
  perpcore_engine *eng = NULL;
  perpcore_result res;
  perpcore_event ev[16];
  perpcore_account_summary sum;
  perpcore_position pos[4];
  perpcore_open_order oo[8];
  perpcore_level lv[8];
  perpcore_level best;
  perpcore_market_stats st;
  perpcore_preview pv;
  perpcore_market_params p;
  perpcore_amend am;
  perpcore_order o;
  size_t n = 0;
  int64_t v = 0;
  uint64_t seq = 0;
  uint32_t ids[4];
  uint64_t accounts[4];
  int64_t t = T0;

  CHECK_OK(perpcore_engine_create(&eng, NULL));
  trade_setup(eng);

  /* The fill: 5 bp and 1 bp of 30,000 USD. */
  n = read_events(eng, ev, 16);
  CHECK_I64(n, 1);
  CHECK_I64(ev[0].kind, PERPCORE_EVENT_FILL);
  CHECK_I64(ev[0].as.fill.market, 1);
  CHECK_I64(ev[0].as.fill.taker.account, 2);
  CHECK_I64(ev[0].as.fill.taker.order_id, 11);
  CHECK_I64(ev[0].as.fill.taker.side, PERPCORE_SIDE_BUY);
  CHECK_I64(ev[0].as.fill.maker.account, 1);
  CHECK_I64(ev[0].as.fill.maker.order_id, 10);
  CHECK_I64(ev[0].as.fill.price, PX(30000));
  CHECK_I64(ev[0].as.fill.size, 1000);
  CHECK_I64(ev[0].as.fill.taker.remaining, 0);
  CHECK_I64(ev[0].as.fill.maker.remaining, 0);
  CHECK_I64(ev[0].as.fill.taker.fee, USD(15));
  CHECK_I64(ev[0].as.fill.maker.fee, USD(3));
  CHECK_I64(ev[0].as.fill.referrer, 0);
  CHECK_I64(ev[0].as.fill.referrer_fee, 0);
  CHECK_I64(ev[0].as.fill.taker.position, 1000);
  CHECK_I64(ev[0].as.fill.maker.position, -1000);
  CHECK_I64(ev[0].as.fill.taker.realized, 0);
  /* Readable again, until the next command. */
  CHECK_I64(read_events(eng, ev, 16), 1);
  CHECK_OK(perpcore_engine_fee_pool(eng, &v));
  CHECK_I64(v, USD(18));

  /* The taker's account: 10,000 - 30,000 - 15 USD of cash, one long BTC. */
  perpcore_account_summary_init(&sum);
  CHECK_OK(perpcore_account_summary_get(eng, &sum, 2));
  CHECK_I64(sum.struct_size, sizeof sum);
  CHECK_I64(sum.account, 2);
  CHECK_I64(sum.owner, 2);
  CHECK_I64(sum.cash, USD(10000 - 30000 - 15));
  CHECK_I64(sum.collateral, USD(10000 - 15));
  CHECK_I64(sum.unrealized_pnl, 0);
  CHECK_I64(sum.equity, USD(9985));
  CHECK_I64(sum.initial_requirement, USD(1500));   /* 20x: 5% */
  CHECK_I64(sum.initial_with_orders, USD(1500));
  CHECK_I64(sum.maintenance_requirement, USD(300)); /* 1% */
  /* What may leave: 9,985 less max(initial 1,500, 10% of the 30,000
   * notional = 3,000) (the withdrawal rule, issue 11). */
  CHECK_I64(sum.free_collateral, USD(6985));
  CHECK_I64(sum.margin_ratio, INT64_C(30045067601402104)); /* 300 / 9985, up */
  CHECK_I64(sum.liquidatable, 0);
  CHECK_I64(sum.position_count, 1);
  CHECK_OK(perpcore_account_positions(eng, pos, 4, &n, 2));
  CHECK_I64(n, 1);
  CHECK_I64(pos[0].market, 1);
  CHECK_I64(pos[0].mode, PERPCORE_MARGIN_CROSS);
  CHECK_I64(pos[0].leverage, 20);
  CHECK_I64(pos[0].size, 1000);
  CHECK_I64(pos[0].entry_price, PX(30000));
  CHECK_I64(pos[0].mark, PX(30000));
  CHECK_I64(pos[0].value, USD(30000));
  CHECK_I64(pos[0].cost, USD(30000));
  CHECK_I64(pos[0].unrealized_pnl, 0);
  CHECK_I64(pos[0].initial_requirement, USD(1500));
  CHECK_I64(pos[0].maintenance_requirement, USD(300));
  CHECK(pos[0].liquidation_price > 0 && pos[0].liquidation_price < PX(30000));
  CHECK_I64(pos[0].liquidation_always, 0);
  CHECK_I64(pos[0].open_orders, 0);

  /* The maker quotes both sides. */
  t += 1000;
  o = order(12, 1, PERPCORE_SIDE_BUY, PX(29900), 500, PERPCORE_TIF_GTC);
  o.client_id = 78;
  CHECK_ACCEPTED(perpcore_order_place(eng, &res, next_seq(eng), t, &o));
  CHECK_I64(res.rested, 500);
  n = read_events(eng, ev, 16);
  CHECK_I64(n, 1);
  CHECK_I64(ev[0].kind, PERPCORE_EVENT_ORDER_RESTED);
  CHECK_I64(ev[0].as.order_rested.order_id, 12);
  CHECK_I64(ev[0].as.order_rested.price, PX(29900));
  CHECK_I64(ev[0].as.order_rested.size, 500);
  o = order(13, 1, PERPCORE_SIDE_SELL, PX(30100), 200, PERPCORE_TIF_GTC);
  CHECK_ACCEPTED(perpcore_order_place(eng, &res, next_seq(eng), t, &o));

  CHECK_OK(perpcore_account_open_orders(eng, oo, 8, &n, 1));
  CHECK_I64(n, 2);
  CHECK_I64(oo[0].order_id, 12);
  CHECK_I64(oo[0].client_id, 78);
  CHECK_I64(oo[0].side, PERPCORE_SIDE_BUY);
  CHECK_I64(oo[0].price, PX(29900));
  CHECK_I64(oo[0].remaining, 500);
  CHECK_I64(oo[0].market, 1);
  CHECK_I64(oo[0].account, 1);
  CHECK_I64(oo[1].order_id, 13);
  CHECK(oo[0].priority < oo[1].priority);
  CHECK_OK(perpcore_account_open_orders(eng, oo, 8, &n, 2));
  CHECK_I64(n, 0);

  CHECK_OK(perpcore_book_depth(eng, lv, 8, &n, 1, PERPCORE_SIDE_BUY));
  CHECK_I64(n, 1);
  CHECK_I64(lv[0].price, PX(29900));
  CHECK_I64(lv[0].total, 500);
  CHECK_I64(lv[0].orders, 1);
  CHECK_OK(perpcore_book_depth(eng, lv, 8, &n, 1, PERPCORE_SIDE_SELL));
  CHECK_I64(n, 1);
  CHECK_I64(lv[0].price, PX(30100));
  CHECK_OK(perpcore_book_depth(eng, NULL, 0, &n, 1, PERPCORE_SIDE_SELL));
  CHECK_I64(n, 0);
  CHECK_OK(perpcore_book_best(eng, &best, 1, PERPCORE_SIDE_SELL));
  CHECK_I64(best.price, PX(30100));
  CHECK_I64(best.total, 200);

  perpcore_market_stats_init(&st);
  CHECK_OK(perpcore_market_stats_get(eng, &st, 1));
  CHECK_I64(st.market, 1);
  CHECK(strcmp(st.symbol, "BTC-USD") == 0);
  CHECK_I64(st.status, PERPCORE_MARKET_ACTIVE);
  CHECK_I64(st.atoms_per_tick_lot, 100);
  CHECK_I64(st.index, PX(30000));
  CHECK_I64(st.mark, PX(30000));
  CHECK_I64(st.last_trade, PX(30000));
  CHECK_I64(st.fresh_sources, 1);
  CHECK_I64(st.open_interest_long, 1000);
  CHECK_I64(st.open_interest_short, 1000);
  CHECK_I64(st.volume, 1000);
  CHECK_I64(st.notional_volume, USD(30000));
  CHECK_I64(st.best_bid.price, PX(29900));
  CHECK_I64(st.best_ask.price, PX(30100));
  CHECK_I64(st.best_ask.total, 200);
  CHECK_I64(st.breaker, 0);

  /* Preview 0.1 BTC more for the taker: it fills at 30,100 against a mid of
   * 30,000, and changes nothing. */
  {
    uint8_t before[PERPCORE_DIGEST_SIZE], after[PERPCORE_DIGEST_SIZE];
    get_digest(eng, before);
    o = order(20, 2, PERPCORE_SIDE_BUY, PX(30100), 100, PERPCORE_TIF_IOC);
    perpcore_preview_init(&pv);
    CHECK_OK(perpcore_order_preview(eng, &pv, &o));
    get_digest(eng, after);
    CHECK(memcmp(before, after, sizeof before) == 0);
    CHECK_I64(pv.reason, PERPCORE_REASON_OK);
    CHECK_I64(pv.fill_size, 100);
    CHECK_I64(pv.average_price, PX(30100));
    CHECK_I64(pv.fill_notional, USD(3010));
    CHECK_I64(pv.slippage, INT64_C(3333333333333334)); /* 1/300, up */
    CHECK_I64(pv.fee, 1505000);                         /* 5 bp of 3,010 USD */
    CHECK_I64(pv.rest_size, 0);
    CHECK_I64(pv.resulting_position, 1100);
    CHECK_I64(pv.resulting_equity, INT64_C(9973495000));
    /* Too big for the account: the verdict Apply would give. */
    o.size = 100000;
    o.price = PX(30000);
    o.tif = PERPCORE_TIF_GTC;
    CHECK_OK(perpcore_order_preview(eng, &pv, &o));
    CHECK_I64(pv.reason, PERPCORE_REASON_INSUFFICIENT_MARGIN);
    CHECK_REASON(perpcore_order_place(eng, &res, next_seq(eng), t, &o),
                 PERPCORE_REASON_INSUFFICIENT_MARGIN);
    CHECK_I64(res.event_count, 0);
    CHECK_I64(read_events(eng, ev, 16), 0); /* a rejected command emits nothing */
  }

  /* Amend (price change: loses priority), cancel by id and by client id. */
  perpcore_amend_init(&am);
  am.market = 1;
  am.account = 1;
  am.order_id = 12;
  am.new_price = PX(29950);
  am.new_size = 400;
  CHECK_ACCEPTED(perpcore_order_amend(eng, &res, next_seq(eng), t, &am));
  n = read_events(eng, ev, 16);
  CHECK_I64(n, 1);
  CHECK_I64(ev[0].kind, PERPCORE_EVENT_ORDER_AMENDED);
  CHECK_I64(ev[0].as.order_amended.price, PX(29950));
  CHECK_I64(ev[0].as.order_amended.remaining, 400);
  CHECK_I64(ev[0].as.order_amended.old_remaining, 500);
  CHECK_I64(ev[0].as.order_amended.priority_kept, 0);
  CHECK_REASON(perpcore_order_amend(eng, &res, next_seq(eng), t, &am),
               PERPCORE_REASON_AMEND_NO_CHANGE);
  am.account = 2;
  am.new_size = 300;
  CHECK_REASON(perpcore_order_amend(eng, &res, next_seq(eng), t, &am),
               PERPCORE_REASON_NOT_ORDER_OWNER);

  CHECK_ACCEPTED(perpcore_order_cancel(eng, &res, next_seq(eng), t, 1, 1, 13));
  n = read_events(eng, ev, 16);
  CHECK_I64(n, 1);
  CHECK_I64(ev[0].kind, PERPCORE_EVENT_ORDER_CANCELED);
  CHECK_I64(ev[0].as.order_canceled.reason, PERPCORE_CANCEL_USER);
  CHECK_I64(ev[0].as.order_canceled.size, 200);
  CHECK_REASON(perpcore_order_cancel(eng, &res, next_seq(eng), t, 1, 1, 13),
               PERPCORE_REASON_UNKNOWN_ORDER);
  CHECK_ACCEPTED(perpcore_order_cancel_by_client_id(eng, &res, next_seq(eng), t, 1, 1, 78));
  CHECK_I64(res.event_count, 1);
  CHECK_REASON(perpcore_order_cancel_by_client_id(eng, &res, next_seq(eng), t, 1, 1, 0),
               PERPCORE_REASON_INVALID_CLIENT_ORDER_ID);

  /* Cancel-all: two orders, two events. */
  o = order(14, 1, PERPCORE_SIDE_BUY, PX(29000), 10, PERPCORE_TIF_GTC);
  CHECK_ACCEPTED(perpcore_order_place(eng, &res, next_seq(eng), t, &o));
  o = order(15, 1, PERPCORE_SIDE_SELL, PX(31000), 10, PERPCORE_TIF_POST_ONLY);
  CHECK_ACCEPTED(perpcore_order_place(eng, &res, next_seq(eng), t, &o));
  CHECK_ACCEPTED(perpcore_order_cancel_all(eng, &res, next_seq(eng), t, 0, 1));
  CHECK_I64(res.event_count, 2);
  n = read_events(eng, ev, 16);
  CHECK_I64(n, 2);
  CHECK_I64(ev[0].kind, PERPCORE_EVENT_ORDER_CANCELED);
  CHECK_I64(ev[0].as.order_canceled.reason, PERPCORE_CANCEL_CANCEL_ALL);
  CHECK_I64(ev[1].as.order_canceled.reason, PERPCORE_CANCEL_CANCEL_ALL);
  CHECK_OK(perpcore_account_open_orders(eng, oo, 8, &n, 1));
  CHECK_I64(n, 0);
  CHECK_OK(perpcore_book_best(eng, &best, 1, PERPCORE_SIDE_BUY));
  CHECK_I64(best.price, 0); /* empty side */

  /* Money: rejects with their reasons, then the accepted forms. */
  CHECK_REASON(perpcore_account_withdraw(eng, &res, next_seq(eng), t, 2, USD(8486)),
               PERPCORE_REASON_INSUFFICIENT_COLLATERAL);
  CHECK_REASON(perpcore_account_withdraw(eng, &res, next_seq(eng), t, 2, 0),
               PERPCORE_REASON_INVALID_AMOUNT);
  CHECK_REASON(perpcore_account_withdraw(eng, &res, next_seq(eng), t, 9, 1),
               PERPCORE_REASON_UNKNOWN_ACCOUNT);
  CHECK_REASON(perpcore_account_transfer(eng, &res, next_seq(eng), t, 2, 1, USD(1)),
               PERPCORE_REASON_NOT_SAME_OWNER);
  CHECK_REASON(perpcore_account_transfer(eng, &res, next_seq(eng), t, 2, 2, USD(1)),
               PERPCORE_REASON_SAME_ACCOUNT);
  CHECK_REASON(perpcore_account_transfer(eng, &res, next_seq(eng), t, 2, 3, USD(8486)),
               PERPCORE_REASON_INSUFFICIENT_COLLATERAL);
  CHECK_ACCEPTED(perpcore_account_transfer(eng, &res, next_seq(eng), t, 2, 3, USD(1)));
  n = read_events(eng, ev, 16);
  CHECK_I64(ev[0].kind, PERPCORE_EVENT_TRANSFER);
  CHECK_I64(ev[0].as.transfer.from, 2);
  CHECK_I64(ev[0].as.transfer.to, 3);
  CHECK_I64(ev[0].as.transfer.amount, USD(1));
  CHECK_ACCEPTED(perpcore_account_withdraw(eng, &res, next_seq(eng), t, 1, USD(1)));
  n = read_events(eng, ev, 16);
  CHECK_I64(ev[0].kind, PERPCORE_EVENT_WITHDRAWAL);
  CHECK_ACCEPTED(perpcore_insurance_deposit(eng, &res, next_seq(eng), t, USD(5)));
  CHECK_OK(perpcore_engine_insurance_fund(eng, &v));
  CHECK_I64(v, USD(5));
  CHECK_REASON(perpcore_insurance_deposit(eng, &res, next_seq(eng), t, -1),
               PERPCORE_REASON_INVALID_AMOUNT);

  /* Account settings. */
  CHECK_ACCEPTED(perpcore_account_set_leverage(eng, &res, next_seq(eng), t, 1, 2, 10));
  n = read_events(eng, ev, 16);
  CHECK_I64(ev[0].kind, PERPCORE_EVENT_LEVERAGE_SET);
  CHECK_I64(ev[0].as.leverage.leverage, 10);
  CHECK_REASON(perpcore_account_set_leverage(eng, &res, next_seq(eng), t, 1, 2, 0),
               PERPCORE_REASON_INVALID_LEVERAGE);
  CHECK_REASON(perpcore_account_set_leverage(eng, &res, next_seq(eng), t, 1, 2, 21),
               PERPCORE_REASON_INVALID_LEVERAGE);
  CHECK_REASON(perpcore_account_set_margin_mode(eng, &res, next_seq(eng), t, 1, 2,
                                                PERPCORE_MARGIN_ISOLATED),
               PERPCORE_REASON_MARGIN_MODE_LOCKED);
  CHECK_REASON(perpcore_account_set_fee_tier(eng, &res, next_seq(eng), t, 2, 1),
               PERPCORE_REASON_INVALID_FEE_TIER);
  CHECK_ACCEPTED(perpcore_account_set_fee_tier(eng, &res, next_seq(eng), t, 2, 0));
  CHECK_REASON(perpcore_account_adjust_isolated_margin(eng, &res, next_seq(eng), t, 1, 2, USD(1)),
               PERPCORE_REASON_NOT_ISOLATED);

  /* An isolated position for account 3, then margin moved into it. */
  CHECK_ACCEPTED(perpcore_account_set_margin_mode(eng, &res, next_seq(eng), t, 1, 3,
                                                  PERPCORE_MARGIN_ISOLATED));
  o = order(30, 1, PERPCORE_SIDE_SELL, PX(30000), 100, PERPCORE_TIF_GTC);
  CHECK_ACCEPTED(perpcore_order_place(eng, &res, next_seq(eng), t, &o));
  o = order(31, 3, PERPCORE_SIDE_BUY, PX(30000), 100, PERPCORE_TIF_FOK);
  CHECK_ACCEPTED(perpcore_order_place(eng, &res, next_seq(eng), t, &o));
  CHECK_I64(res.filled, 100);
  CHECK_ACCEPTED(perpcore_account_adjust_isolated_margin(eng, &res, next_seq(eng), t, 1, 3,
                                                         USD(100)));
  n = read_events(eng, ev, 16);
  CHECK_I64(ev[0].kind, PERPCORE_EVENT_ISOLATED_MARGIN_CHANGED);
  CHECK_I64(ev[0].as.isolated_margin.amount, USD(100));
  CHECK_OK(perpcore_account_positions(eng, pos, 4, &n, 3));
  CHECK_I64(n, 1);
  CHECK_I64(pos[0].mode, PERPCORE_MARGIN_ISOLATED);
  CHECK_I64(pos[0].size, 100);
  CHECK(pos[0].isolated_equity >= USD(100));

  /* Market status and parameters. */
  CHECK_ACCEPTED(perpcore_market_set_status(eng, &res, next_seq(eng), t, 1,
                                            PERPCORE_MARKET_REDUCE_ONLY));
  o = order(32, 2, PERPCORE_SIDE_BUY, PX(29000), 10, PERPCORE_TIF_GTC);
  CHECK_REASON(perpcore_order_place(eng, &res, next_seq(eng), t, &o),
               PERPCORE_REASON_MARKET_REDUCE_ONLY);
  CHECK_ACCEPTED(perpcore_market_set_status(eng, &res, next_seq(eng), t, 1,
                                            PERPCORE_MARKET_ACTIVE));
  p = btc_params();
  p.taker_fee = BP(4);
  CHECK_ACCEPTED(perpcore_market_update(eng, &res, next_seq(eng), t, 1, &p));
  {
    perpcore_market_params back;
    perpcore_market_params_init(&back);
    CHECK_OK(perpcore_market_params_get(eng, &back, 1));
    CHECK(memcmp(&back, &p, sizeof p) == 0);
  }
  p.tick_size_mantissa = 5;
  CHECK_REASON(perpcore_market_update(eng, &res, next_seq(eng), t, 1, &p),
               PERPCORE_REASON_PARAM_IMMUTABLE);
  p = btc_params();
  CHECK_REASON(perpcore_market_create(eng, &res, next_seq(eng), t, 1, &p),
               PERPCORE_REASON_MARKET_EXISTS);
  p.tick_size_mantissa = 0;
  CHECK_REASON(perpcore_market_create(eng, &res, next_seq(eng), t, 2, &p),
               PERPCORE_REASON_INVALID_MARKET_PARAMS);
  {
    char msg[160];
    CHECK_STATUS(perpcore_market_params_check(eng, msg, sizeof msg, &p), PERPCORE_E_CONFIG);
    CHECK(strstr(msg, "tick_size") != NULL);
    p = btc_params();
    CHECK_OK(perpcore_market_params_check(eng, msg, sizeof msg, &p));
    CHECK(msg[0] == '\0');
  }

  /* Sequencing: a gap and time going back are framing statuses and change
   * nothing; a rejected command consumes its seq. */
  {
    uint8_t before[PERPCORE_DIGEST_SIZE], after[PERPCORE_DIGEST_SIZE];
    get_digest(eng, before);
    CHECK_OK(perpcore_engine_last_seq(eng, &seq));
    CHECK_STATUS(perpcore_engine_time_tick(eng, &res, seq + 2, t, 0), PERPCORE_E_SEQUENCE_GAP);
    CHECK_STATUS(perpcore_engine_time_tick(eng, &res, seq + 1, t - 1, 0),
                 PERPCORE_E_TIME_WENT_BACK);
    CHECK_STATUS(perpcore_engine_time_tick(eng, &res, seq, t, 0), PERPCORE_E_ALREADY_APPLIED);
    get_digest(eng, after);
    CHECK(memcmp(before, after, sizeof before) == 0);
    CHECK_REASON(perpcore_engine_time_tick(eng, &res, seq + 1, t, 99),
                 PERPCORE_REASON_UNKNOWN_MARKET);
    CHECK_OK(perpcore_engine_last_seq(eng, &seq));
    CHECK(seq == next_seq(eng) - 1);
    CHECK_ACCEPTED(perpcore_engine_time_tick(eng, &res, seq + 1, t, 0));
  }

  /* The oracle moves to 31,000 a second later: the long gains. */
  t += 1000000000;
  CHECK_ACCEPTED(perpcore_engine_time_tick(eng, &res, next_seq(eng), t, 0));
  CHECK_ACCEPTED(perpcore_oracle_publish(eng, &res, next_seq(eng), t, 1, 1, PX(31000), t));
  n = read_events(eng, ev, 16);
  CHECK(n >= 1);
  CHECK_I64(ev[0].kind, PERPCORE_EVENT_PRICE_UPDATE);
  CHECK_I64(ev[0].as.price_update.index, PX(31000));
  CHECK_REASON(perpcore_oracle_publish(eng, &res, next_seq(eng), t, 1, 1, PX(31000), t - 1),
               PERPCORE_REASON_ORACLE_OUT_OF_ORDER);
  CHECK_REASON(perpcore_oracle_publish(eng, &res, next_seq(eng), t, 1, 0, PX(31000), t),
               PERPCORE_REASON_ORACLE_INVALID_SOURCE);
  CHECK_REASON(perpcore_oracle_publish(eng, &res, next_seq(eng), t, 1, 2, PX(31000), t + 1),
               PERPCORE_REASON_ORACLE_FROM_THE_FUTURE);
  CHECK_OK(perpcore_market_stats_get(eng, &st, 1));
  CHECK_I64(st.index, PX(31000));
  CHECK(st.mark > PX(30000));
  CHECK_OK(perpcore_account_summary_get(eng, &sum, 2));
  CHECK_I64(sum.unrealized_pnl, 1000 * (st.mark - PX(30000)) * 100);
  CHECK_OK(perpcore_engine_now(eng, &v));
  CHECK_I64(v, t);

  /* Lists of ids. */
  CHECK_OK(perpcore_engine_markets(eng, ids, 4, &n));
  CHECK_I64(n, 1);
  CHECK_I64(ids[0], 1);
  CHECK_OK(perpcore_engine_accounts(eng, accounts, 4, &n));
  CHECK_I64(n, 3);
  CHECK(accounts[0] == 1 && accounts[1] == 2 && accounts[2] == 3);

  CHECK_OK(perpcore_engine_check_invariants(eng));
  perpcore_engine_destroy(eng);
}

/* Cancel-replace: one command and one seq for the cancel and the new order;
 * a refused replacement keeps the old order; a replacement at a crossing
 * price trades where an amend is refused; the old id may be reused.
 * 100 lots at 30,100 USD are 3,010 USD: taker fee 5 bp = 1.505 USD. */
static void test_cancel_replace(void) {
  perpcore_engine *eng = NULL;
  perpcore_result res;
  perpcore_event ev[8];
  perpcore_open_order oo[4];
  perpcore_amend am;
  perpcore_order o;
  size_t n = 0;
  uint64_t seq = 0, last = 0;
  const int64_t t = T0 + 1000;

  CHECK_OK(perpcore_engine_create(&eng, NULL));
  trade_setup(eng);
  o = order(60, 1, PERPCORE_SIDE_BUY, PX(29900), 500, PERPCORE_TIF_GTC);
  CHECK_ACCEPTED(perpcore_order_place(eng, &res, next_seq(eng), t, &o));

  /* 60 replaced by 61: 400 lots at 29,950. */
  seq = next_seq(eng);
  o = order(61, 1, PERPCORE_SIDE_BUY, PX(29950), 400, PERPCORE_TIF_GTC);
  CHECK_ACCEPTED(perpcore_order_cancel_replace(eng, &res, seq, t, 1, 1, 60, &o));
  CHECK_OK(perpcore_engine_last_seq(eng, &last));
  CHECK(last == seq);
  CHECK_I64(res.filled, 0);
  CHECK_I64(res.rested, 400);
  CHECK_I64(res.event_count, 2);
  n = read_events(eng, ev, 8);
  CHECK_I64(n, 2);
  CHECK_I64(ev[0].kind, PERPCORE_EVENT_ORDER_CANCELED);
  CHECK_I64(ev[0].as.order_canceled.order_id, 60);
  CHECK_I64(ev[0].as.order_canceled.reason, PERPCORE_CANCEL_USER);
  CHECK_I64(ev[0].as.order_canceled.size, 500);
  CHECK_I64(ev[0].as.order_canceled.remaining, 0);
  CHECK_I64(ev[1].kind, PERPCORE_EVENT_ORDER_RESTED);
  CHECK_I64(ev[1].as.order_rested.order_id, 61);
  CHECK_I64(ev[1].as.order_rested.price, PX(29950));
  CHECK_I64(ev[1].as.order_rested.size, 400);

  /* A post-only replacement that would cross account 3's ask at 30,100 is
   * refused, and 61 stays as it was. */
  o = order(62, 3, PERPCORE_SIDE_SELL, PX(30100), 100, PERPCORE_TIF_GTC);
  CHECK_ACCEPTED(perpcore_order_place(eng, &res, next_seq(eng), t, &o));
  o = order(63, 1, PERPCORE_SIDE_BUY, PX(30100), 400, PERPCORE_TIF_POST_ONLY);
  CHECK_REASON(perpcore_order_cancel_replace(eng, &res, next_seq(eng), t, 1, 1, 61, &o),
               PERPCORE_REASON_POST_ONLY_WOULD_CROSS);
  CHECK_I64(res.event_count, 0);
  CHECK_OK(perpcore_account_open_orders(eng, oo, 4, &n, 1));
  CHECK_I64(n, 1);
  CHECK_I64(oo[0].order_id, 61);
  CHECK_I64(oo[0].price, PX(29950));
  CHECK_I64(oo[0].remaining, 400);

  /* The same price by amend is refused; by cancel-replace it trades 100
   * lots and rests the other 300. */
  perpcore_amend_init(&am);
  am.market = 1;
  am.account = 1;
  am.order_id = 61;
  am.new_price = PX(30100);
  am.new_size = 400;
  CHECK_REASON(perpcore_order_amend(eng, &res, next_seq(eng), t, &am),
               PERPCORE_REASON_AMEND_WOULD_CROSS);
  o = order(64, 1, PERPCORE_SIDE_BUY, PX(30100), 400, PERPCORE_TIF_GTC);
  CHECK_ACCEPTED(perpcore_order_cancel_replace(eng, &res, next_seq(eng), t, 1, 1, 61, &o));
  CHECK_I64(res.filled, 100);
  CHECK_I64(res.rested, 300);
  n = read_events(eng, ev, 8);
  CHECK_I64(n, 3);
  CHECK_I64(ev[0].kind, PERPCORE_EVENT_ORDER_CANCELED);
  CHECK_I64(ev[0].as.order_canceled.order_id, 61);
  CHECK_I64(ev[1].kind, PERPCORE_EVENT_FILL);
  CHECK_I64(ev[1].as.fill.taker.order_id, 64);
  CHECK_I64(ev[1].as.fill.maker.order_id, 62);
  CHECK_I64(ev[1].as.fill.maker.account, 3);
  CHECK_I64(ev[1].as.fill.price, PX(30100));
  CHECK_I64(ev[1].as.fill.size, 100);
  CHECK_I64(ev[1].as.fill.taker.fee, 1505000);
  CHECK_I64(ev[2].kind, PERPCORE_EVENT_ORDER_RESTED);
  CHECK_I64(ev[2].as.order_rested.order_id, 64);
  CHECK_I64(ev[2].as.order_rested.size, 300);

  /* The old order's id is free for the new one. */
  o = order(64, 1, PERPCORE_SIDE_BUY, PX(29000), 300, PERPCORE_TIF_GTC);
  CHECK_ACCEPTED(perpcore_order_cancel_replace(eng, &res, next_seq(eng), t, 1, 1, 64, &o));
  CHECK_I64(res.event_count, 2);
  CHECK_OK(perpcore_account_open_orders(eng, oo, 4, &n, 1));
  CHECK_I64(n, 1);
  CHECK_I64(oo[0].order_id, 64);
  CHECK_I64(oo[0].price, PX(29000));

  /* Unknown, and another account's, old orders. */
  o = order(65, 1, PERPCORE_SIDE_BUY, PX(29000), 10, PERPCORE_TIF_GTC);
  CHECK_REASON(perpcore_order_cancel_replace(eng, &res, next_seq(eng), t, 1, 1, 99, &o),
               PERPCORE_REASON_UNKNOWN_ORDER);
  o.account = 2;
  CHECK_REASON(perpcore_order_cancel_replace(eng, &res, next_seq(eng), t, 1, 2, 64, &o),
               PERPCORE_REASON_NOT_ORDER_OWNER);
  CHECK_I64(res.event_count, 0);
  CHECK_OK(perpcore_engine_check_invariants(eng));
  perpcore_engine_destroy(eng);
}

/* The price rules (issue 11): the mark's settings read back; an index is
 * refused as stale 1 ns after its source expires; a source can be retired. */
static void test_price_rules(void) {
  perpcore_engine *eng = NULL;
  perpcore_result res;
  perpcore_market_params p = btc_params(), back;
  perpcore_market_stats st;
  perpcore_event ev[8];
  perpcore_order o;
  size_t n;
  const int64_t expiry = T0 + INT64_C(10000000000); /* staleness 10 s */
  CHECK_OK(perpcore_engine_create(&eng, NULL));
  CHECK_I64(p.price_band, PERPCORE_RATE_SCALE / 20);
  CHECK_I64(p.impact_notional, INT64_C(10000000000));
  CHECK_I64(p.mark_cap, PERPCORE_RATE_SCALE / 50);
  CHECK_I64(p.max_mark_age_ns, INT64_C(60000000000));
  p.oracle.staleness_ns = INT64_C(10000000000);
  p.impact_notional = 12345;
  p.mark_cap = PERPCORE_RATE_SCALE / 100;
  p.max_mark_age_ns = INT64_C(20000000000);
  CHECK_ACCEPTED(perpcore_market_create(eng, &res, next_seq(eng), T0, 1, &p));
  perpcore_market_params_init(&back);
  CHECK_OK(perpcore_market_params_get(eng, &back, 1));
  CHECK(memcmp(&back, &p, sizeof p) == 0);
  p.mark_cap = PERPCORE_RATE_SCALE;
  CHECK_REASON(perpcore_market_create(eng, &res, next_seq(eng), T0, 2, &p),
               PERPCORE_REASON_INVALID_MARKET_PARAMS);

  CHECK_ACCEPTED(perpcore_account_create(eng, &res, next_seq(eng), T0, 1, 1, 0, 0));
  CHECK_ACCEPTED(perpcore_account_deposit(eng, &res, next_seq(eng), T0, 1, USD(100000)));
  CHECK_ACCEPTED(perpcore_oracle_publish(eng, &res, next_seq(eng), T0, 1, 1, PX(30000), T0));
  perpcore_market_stats_init(&st);
  CHECK_OK(perpcore_market_stats_get(eng, &st, 1));
  CHECK_I64(st.index_usable_until_ns, expiry);
  o = order(1, 1, PERPCORE_SIDE_BUY, PX(29900), 1, PERPCORE_TIF_GTC);
  CHECK_ACCEPTED(perpcore_order_place(eng, &res, next_seq(eng), expiry, &o));
  o.order_id = 2;
  CHECK_REASON(perpcore_order_place(eng, &res, next_seq(eng), expiry + 1, &o),
               PERPCORE_REASON_INDEX_STALE);
  CHECK(strcmp(perpcore_reason_name(PERPCORE_REASON_INDEX_STALE),
               "PERPCORE_REASON_INDEX_STALE") == 0);

  CHECK_REASON(perpcore_oracle_retire_source(eng, &res, next_seq(eng), expiry + 1, 1, 2),
               PERPCORE_REASON_ORACLE_UNKNOWN_SOURCE);
  CHECK_ACCEPTED(perpcore_oracle_retire_source(eng, &res, next_seq(eng), expiry + 1, 1, 1));
  n = read_events(eng, ev, 8);
  CHECK(n == 2);
  CHECK_I64(ev[0].kind, PERPCORE_EVENT_SOURCE_RETIRED);
  CHECK_I64(ev[0].as.source_retired.market, 1);
  CHECK_I64(ev[0].as.source_retired.source, 1);
  CHECK_I64(ev[1].kind, PERPCORE_EVENT_PRICE_UPDATE);
  CHECK_I64(ev[1].as.price_update.index, 0);
  CHECK_OK(perpcore_market_stats_get(eng, &st, 1));
  CHECK_I64(st.index_usable_until_ns, -1);
  perpcore_engine_destroy(eng);
}

static void test_same_commands_same_digest(void) {
  perpcore_engine *a = NULL, *b = NULL;
  perpcore_result res;
  uint8_t da[PERPCORE_DIGEST_SIZE], db[PERPCORE_DIGEST_SIZE];
  CHECK_OK(perpcore_engine_create(&a, NULL));
  CHECK_OK(perpcore_engine_create(&b, NULL));
  trade_setup(a);
  trade_setup(b);
  get_digest(a, da);
  get_digest(b, db);
  CHECK(memcmp(da, db, sizeof da) == 0);
  CHECK(!all_bytes(da, sizeof da, 0));
  /* One more accepted command on one of them: the digests differ. */
  CHECK_ACCEPTED(perpcore_account_deposit(b, &res, next_seq(b), T0, 3, 1));
  get_digest(b, db);
  CHECK(memcmp(da, db, sizeof da) != 0);
  perpcore_engine_destroy(a);
  perpcore_engine_destroy(b);
}

/* ------------------------------------------------------------------------- */
/* Misuse: each returns its status and changes nothing                       */
/* ------------------------------------------------------------------------- */

static uint8_t g_base[PERPCORE_DIGEST_SIZE];
static uint64_t g_base_seq;

static void capture(const perpcore_engine *eng) {
  get_digest(eng, g_base);
  CHECK_OK(perpcore_engine_last_seq(eng, &g_base_seq));
}

/* A misuse: `call` returns `want`, and the engine's digest and seq are as
 * captured. */
#define CHECK_MISUSE(eng, call, want)                                  \
  do {                                                                 \
    uint8_t d_[PERPCORE_DIGEST_SIZE];                                  \
    uint64_t q_ = 0;                                                   \
    CHECK_STATUS(call, want);                                          \
    get_digest(eng, d_);                                               \
    CHECK(memcmp(d_, g_base, sizeof d_) == 0);                         \
    CHECK_OK(perpcore_engine_last_seq(eng, &q_));                      \
    CHECK(q_ == g_base_seq);                                           \
  } while (0)

static void test_misuse(void) {
  perpcore_engine *eng = NULL;
  perpcore_result res;
  perpcore_event ev[4];
  perpcore_order o;
  perpcore_amend am;
  perpcore_market_params p;
  perpcore_account_summary sum;
  perpcore_market_stats st;
  perpcore_preview pv;
  perpcore_position pos[2];
  perpcore_open_order oo[2];
  perpcore_level lv[2];
  perpcore_engine_config cfg;
  uint8_t dig[PERPCORE_DIGEST_SIZE];
  char err[256];
  size_t n = 0;
  uint64_t u = 0;
  int64_t v = 0;
  uint32_t ids[1];
  uint64_t seq;
  /* A pointer that is not an engine (its "magic" is zero): defined to
   * detect. A destroyed engine is undefined behaviour and not tested. */
  uint64_t not_an_engine[4] = {0, 0, 0, 0};
  perpcore_engine *fake = (perpcore_engine *)(void *)not_an_engine;

  CHECK_OK(perpcore_engine_create(&eng, NULL));
  trade_setup(eng);
  capture(eng);
  seq = next_seq(eng);

  /* Resting orders for account 1, so that list queries have content. */
  o = order(40, 1, PERPCORE_SIDE_SELL, PX(30500), 10, PERPCORE_TIF_GTC);
  CHECK_ACCEPTED(perpcore_order_place(eng, &res, seq, T0, &o));
  o = order(41, 1, PERPCORE_SIDE_SELL, PX(30600), 10, PERPCORE_TIF_GTC);
  CHECK_ACCEPTED(perpcore_order_place(eng, &res, seq + 1, T0, &o));
  capture(eng);
  seq = next_seq(eng);
  CHECK_I64(res.event_count, 1); /* the last command's events, kept below */

  /* NULL engine: E_ILLEGAL_ARG, and the result is zeroed. */
  memset(&res, 0xAB, sizeof res);
  CHECK_STATUS(perpcore_account_deposit(NULL, &res, seq, T0, 1, 1), PERPCORE_E_ILLEGAL_ARG);
  CHECK(all_bytes(&res, sizeof res, 0));
  CHECK_STATUS(perpcore_engine_last_seq(NULL, &u), PERPCORE_E_ILLEGAL_ARG);
  CHECK_STATUS(perpcore_engine_digest(NULL, dig), PERPCORE_E_ILLEGAL_ARG);
  CHECK(all_bytes(dig, sizeof dig, 0));
  CHECK_STATUS(perpcore_engine_events(NULL, ev, 4, &n), PERPCORE_E_ILLEGAL_ARG);
  CHECK_I64(n, 0);
  CHECK_STATUS(perpcore_engine_last_error(NULL, err, sizeof err), PERPCORE_E_ILLEGAL_ARG);
  CHECK_STATUS(perpcore_engine_check_invariants(NULL), PERPCORE_E_ILLEGAL_ARG);

  /* Not an engine: E_BAD_HANDLE; destroy leaves it alone. */
  memset(&res, 0xAB, sizeof res);
  CHECK_STATUS(perpcore_account_deposit(fake, &res, seq, T0, 1, 1), PERPCORE_E_BAD_HANDLE);
  CHECK(all_bytes(&res, sizeof res, 0));
  CHECK_STATUS(perpcore_engine_fee_pool(fake, &v), PERPCORE_E_BAD_HANDLE);
  CHECK_STATUS(perpcore_engine_events(fake, ev, 4, &n), PERPCORE_E_BAD_HANDLE);
  perpcore_account_summary_init(&sum);
  CHECK_STATUS(perpcore_account_summary_get(fake, &sum, 1), PERPCORE_E_BAD_HANDLE);
  perpcore_engine_destroy(fake);
  CHECK(all_bytes(not_an_engine, sizeof not_an_engine, 0));
  not_an_engine[0] = UINT64_C(0x0123456789abcdef);
  CHECK_STATUS(perpcore_engine_time_tick(fake, &res, seq, T0, 0), PERPCORE_E_BAD_HANDLE);

  /* NULL result: nothing happens, the previous events stay readable. */
  CHECK_MISUSE(eng, perpcore_account_deposit(eng, NULL, seq, T0, 1, 1), PERPCORE_E_ILLEGAL_ARG);
  CHECK_MISUSE(eng, perpcore_engine_time_tick(eng, NULL, seq, T0, 0), PERPCORE_E_ILLEGAL_ARG);
  CHECK_I64(read_events(eng, ev, 4), 1);
  CHECK_I64(ev[0].kind, PERPCORE_EVENT_ORDER_RESTED);
  CHECK_I64(ev[0].as.order_rested.order_id, 41);
  CHECK_OK(perpcore_engine_last_error(eng, err, sizeof err));
  CHECK(strstr(err, "perpcore_engine_time_tick") != NULL);
  CHECK(strstr(err, "PERPCORE_E_ILLEGAL_ARG") != NULL);

  /* Events: all or nothing (still those of the last processed command). */
  memset(ev, 0x44, sizeof ev);
  CHECK_MISUSE(eng, perpcore_engine_events(eng, ev, 0, &n), PERPCORE_E_BUFFER_TOO_SMALL);
  CHECK_I64(n, 1);
  CHECK(all_bytes(ev, sizeof ev, 0x44));
  CHECK_MISUSE(eng, perpcore_engine_events(eng, NULL, 1, &n), PERPCORE_E_ILLEGAL_ARG);
  CHECK_MISUSE(eng, perpcore_engine_events(eng, ev, 1, NULL), PERPCORE_E_ILLEGAL_ARG);

  /* Orders: NULL, struct sizes, enumerators. */
  CHECK_MISUSE(eng, perpcore_order_place(eng, &res, seq, T0, NULL), PERPCORE_E_ILLEGAL_ARG);
  o = order(50, 2, PERPCORE_SIDE_BUY, PX(29000), 1, PERPCORE_TIF_GTC);
  o.struct_size = 8;
  memset(&res, 0xAB, sizeof res);
  CHECK_MISUSE(eng, perpcore_order_place(eng, &res, seq, T0, &o), PERPCORE_E_STRUCT_SIZE);
  CHECK(all_bytes(&res, sizeof res, 0));
  o.struct_size = 0;
  CHECK_MISUSE(eng, perpcore_order_place(eng, &res, seq, T0, &o), PERPCORE_E_STRUCT_SIZE);
  o.struct_size = (uint32_t)sizeof o + 1;
  CHECK_MISUSE(eng, perpcore_order_place(eng, &res, seq, T0, &o), PERPCORE_E_STRUCT_SIZE);
  o = order(50, 2, PERPCORE_SIDE_BUY, PX(29000), 1, PERPCORE_TIF_GTC);
  o.side = 2;
  CHECK_MISUSE(eng, perpcore_order_place(eng, &res, seq, T0, &o), PERPCORE_E_ILLEGAL_ARG);
  o.side = PERPCORE_SIDE_BUY;
  o.type = 2;
  CHECK_MISUSE(eng, perpcore_order_place(eng, &res, seq, T0, &o), PERPCORE_E_ILLEGAL_ARG);
  o.type = PERPCORE_ORDER_LIMIT;
  o.tif = 5;
  CHECK_MISUSE(eng, perpcore_order_place(eng, &res, seq, T0, &o), PERPCORE_E_ILLEGAL_ARG);
  o.tif = PERPCORE_TIF_GTC;
  o.stp = 4;
  CHECK_MISUSE(eng, perpcore_order_place(eng, &res, seq, T0, &o), PERPCORE_E_ILLEGAL_ARG);
  o.stp = PERPCORE_STP_CANCEL_MAKER;
  o.reduce_only = 2;
  CHECK_MISUSE(eng, perpcore_order_place(eng, &res, seq, T0, &o), PERPCORE_E_ILLEGAL_ARG);
  o.reduce_only = 0;
  perpcore_preview_init(&pv);
  o.side = 7;
  CHECK_MISUSE(eng, perpcore_order_preview(eng, &pv, &o), PERPCORE_E_ILLEGAL_ARG);
  CHECK_MISUSE(eng, perpcore_order_preview(eng, &pv, NULL), PERPCORE_E_ILLEGAL_ARG);
  CHECK_MISUSE(eng, perpcore_order_amend(eng, &res, seq, T0, NULL), PERPCORE_E_ILLEGAL_ARG);
  perpcore_amend_init(&am);
  am.struct_size = 4;
  CHECK_MISUSE(eng, perpcore_order_amend(eng, &res, seq, T0, &am), PERPCORE_E_STRUCT_SIZE);
  /* Cancel-replace: a NULL order or result, the order's struct size and
   * enumerators, and its market or account not the arguments'. */
  CHECK_MISUSE(eng, perpcore_order_cancel_replace(eng, &res, seq, T0, 1, 1, 40, NULL),
               PERPCORE_E_ILLEGAL_ARG);
  o = order(42, 1, PERPCORE_SIDE_SELL, PX(30700), 10, PERPCORE_TIF_GTC);
  CHECK_MISUSE(eng, perpcore_order_cancel_replace(eng, NULL, seq, T0, 1, 1, 40, &o),
               PERPCORE_E_ILLEGAL_ARG);
  o.struct_size = 8;
  memset(&res, 0xAB, sizeof res);
  CHECK_MISUSE(eng, perpcore_order_cancel_replace(eng, &res, seq, T0, 1, 1, 40, &o),
               PERPCORE_E_STRUCT_SIZE);
  CHECK(all_bytes(&res, sizeof res, 0));
  o = order(42, 1, PERPCORE_SIDE_SELL, PX(30700), 10, PERPCORE_TIF_GTC);
  o.tif = 5;
  CHECK_MISUSE(eng, perpcore_order_cancel_replace(eng, &res, seq, T0, 1, 1, 40, &o),
               PERPCORE_E_ILLEGAL_ARG);
  o = order(42, 1, PERPCORE_SIDE_SELL, PX(30700), 10, PERPCORE_TIF_GTC);
  o.market = 2;
  CHECK_MISUSE(eng, perpcore_order_cancel_replace(eng, &res, seq, T0, 1, 1, 40, &o),
               PERPCORE_E_ILLEGAL_ARG);
  o.market = 1;
  o.account = 2;
  CHECK_MISUSE(eng, perpcore_order_cancel_replace(eng, &res, seq, T0, 1, 1, 40, &o),
               PERPCORE_E_ILLEGAL_ARG);
  CHECK_OK(perpcore_engine_last_error(eng, err, sizeof err));
  CHECK(strstr(err, "order->account differs from account") != NULL);
  /* A market order that is GTC is a valid enumerator combination: the book
   * rejects it with a reason, not a status (and the command consumes its
   * seq). */
  o = order(50, 2, PERPCORE_SIDE_BUY, PX(31000), 1, PERPCORE_TIF_GTC);
  o.type = PERPCORE_ORDER_MARKET;
  CHECK_REASON(perpcore_order_place(eng, &res, seq, T0, &o),
               PERPCORE_REASON_INVALID_TIME_IN_FORCE);
  capture(eng);
  seq = next_seq(eng);

  /* A newer caller's bigger order: refused, its extra bytes zero or not. */
  {
    struct {
      perpcore_order v1;
      uint64_t newer_field;
    } bigger;
    memset(&bigger, 0, sizeof bigger);
    bigger.v1 = order(50, 2, PERPCORE_SIDE_BUY, PX(30500), 10, PERPCORE_TIF_IOC);
    bigger.v1.struct_size = (uint32_t)sizeof bigger;
    perpcore_preview_init(&pv);
    CHECK_MISUSE(eng, perpcore_order_preview(eng, &pv, &bigger.v1), PERPCORE_E_STRUCT_SIZE);
    bigger.newer_field = 42;
    CHECK_MISUSE(eng, perpcore_order_preview(eng, &pv, &bigger.v1), PERPCORE_E_STRUCT_SIZE);
    CHECK_MISUSE(eng, perpcore_order_place(eng, &res, seq, T0, &bigger.v1),
                 PERPCORE_E_STRUCT_SIZE);
  }

  /* Enumerators of other commands. */
  CHECK_MISUSE(eng, perpcore_market_set_status(eng, &res, seq, T0, 1, 4), PERPCORE_E_ILLEGAL_ARG);
  CHECK_MISUSE(eng, perpcore_account_set_margin_mode(eng, &res, seq, T0, 1, 2, 2),
               PERPCORE_E_ILLEGAL_ARG);

  /* Market params: NULL, struct size, a count beyond its array, a symbol
   * without its NUL. */
  CHECK_MISUSE(eng, perpcore_market_create(eng, &res, seq, T0, 2, NULL), PERPCORE_E_ILLEGAL_ARG);
  p = btc_params();
  p.struct_size = 100;
  CHECK_MISUSE(eng, perpcore_market_create(eng, &res, seq, T0, 2, &p), PERPCORE_E_STRUCT_SIZE);
  p = btc_params();
  p.tier_count = PERPCORE_MAX_TIERS + 1;
  CHECK_MISUSE(eng, perpcore_market_create(eng, &res, seq, T0, 2, &p), PERPCORE_E_RANGE);
  CHECK_MISUSE(eng, perpcore_market_update(eng, &res, seq, T0, 1, &p), PERPCORE_E_RANGE);
  CHECK_MISUSE(eng, perpcore_market_params_check(eng, err, sizeof err, &p), PERPCORE_E_RANGE);
  p = btc_params();
  memset(p.symbol, 'A', sizeof p.symbol);
  CHECK_MISUSE(eng, perpcore_market_create(eng, &res, seq, T0, 2, &p), PERPCORE_E_ILLEGAL_ARG);
  CHECK_MISUSE(eng, perpcore_market_params_check(eng, NULL, 1, &p), PERPCORE_E_ILLEGAL_ARG);

  /* Output structs: NULL, struct_size too small or too big (nothing
   * written). */
  CHECK_MISUSE(eng, perpcore_account_summary_get(eng, NULL, 1), PERPCORE_E_ILLEGAL_ARG);
  memset(&sum, 0x5A, sizeof sum);
  sum.struct_size = 16;
  CHECK_MISUSE(eng, perpcore_account_summary_get(eng, &sum, 1), PERPCORE_E_STRUCT_SIZE);
  CHECK(sum.struct_size == 16 && sum.account == UINT64_C(0x5A5A5A5A5A5A5A5A));
  {
    struct {
      perpcore_account_summary v1;
      int64_t newer_field;
    } bigger;
    memset(&bigger, 0x5A, sizeof bigger);
    bigger.v1.struct_size = (uint32_t)sizeof bigger;
    CHECK_MISUSE(eng, perpcore_account_summary_get(eng, &bigger.v1, 2), PERPCORE_E_STRUCT_SIZE);
    CHECK_I64(bigger.v1.struct_size, sizeof bigger);
    CHECK_I64(bigger.v1.equity, (int64_t)UINT64_C(0x5A5A5A5A5A5A5A5A));
    CHECK_I64(bigger.newer_field, (int64_t)UINT64_C(0x5A5A5A5A5A5A5A5A));
  }
  perpcore_market_stats_init(&st);
  st.struct_size = 0;
  CHECK_MISUSE(eng, perpcore_market_stats_get(eng, &st, 1), PERPCORE_E_STRUCT_SIZE);
  perpcore_preview_init(&pv);
  pv.struct_size = 8;
  o = order(50, 2, PERPCORE_SIDE_BUY, PX(30500), 10, PERPCORE_TIF_IOC);
  CHECK_MISUSE(eng, perpcore_order_preview(eng, &pv, &o), PERPCORE_E_STRUCT_SIZE);
  perpcore_market_params_init(&p);
  p.struct_size = 12;
  CHECK_MISUSE(eng, perpcore_market_params_get(eng, &p, 1), PERPCORE_E_STRUCT_SIZE);
  perpcore_engine_config_init(&cfg);
  cfg.struct_size = 12;
  CHECK_MISUSE(eng, perpcore_engine_config_get(eng, &cfg), PERPCORE_E_STRUCT_SIZE);
  CHECK_MISUSE(eng, perpcore_engine_config_get(eng, NULL), PERPCORE_E_ILLEGAL_ARG);

  /* Scalar outputs. */
  CHECK_MISUSE(eng, perpcore_engine_last_seq(eng, NULL), PERPCORE_E_ILLEGAL_ARG);
  CHECK_MISUSE(eng, perpcore_engine_now(eng, NULL), PERPCORE_E_ILLEGAL_ARG);
  CHECK_MISUSE(eng, perpcore_engine_fee_pool(eng, NULL), PERPCORE_E_ILLEGAL_ARG);
  CHECK_MISUSE(eng, perpcore_engine_insurance_fund(eng, NULL), PERPCORE_E_ILLEGAL_ARG);
  CHECK_MISUSE(eng, perpcore_engine_digest(eng, NULL), PERPCORE_E_ILLEGAL_ARG);
  CHECK_MISUSE(eng, perpcore_book_best(eng, NULL, 1, PERPCORE_SIDE_BUY), PERPCORE_E_ILLEGAL_ARG);
  CHECK_MISUSE(eng, perpcore_book_best(eng, lv, 1, 2), PERPCORE_E_ILLEGAL_ARG);
  CHECK_MISUSE(eng, perpcore_engine_last_error(eng, NULL, 4), PERPCORE_E_ILLEGAL_ARG);

  /* Unknown market or account in a query: E_NOT_FOUND. */
  perpcore_account_summary_init(&sum);
  CHECK_MISUSE(eng, perpcore_account_summary_get(eng, &sum, 99), PERPCORE_E_NOT_FOUND);
  CHECK_I64(sum.struct_size, sizeof sum);
  CHECK_I64(sum.equity, 0);
  perpcore_market_stats_init(&st);
  CHECK_MISUSE(eng, perpcore_market_stats_get(eng, &st, 99), PERPCORE_E_NOT_FOUND);
  perpcore_market_params_init(&p);
  CHECK_MISUSE(eng, perpcore_market_params_get(eng, &p, 99), PERPCORE_E_NOT_FOUND);
  CHECK_MISUSE(eng, perpcore_book_best(eng, lv, 99, PERPCORE_SIDE_BUY), PERPCORE_E_NOT_FOUND);
  CHECK_MISUSE(eng, perpcore_book_depth(eng, lv, 2, &n, 99, PERPCORE_SIDE_BUY),
               PERPCORE_E_NOT_FOUND);
  CHECK_MISUSE(eng, perpcore_account_positions(eng, pos, 2, &n, 99), PERPCORE_E_NOT_FOUND);
  CHECK_MISUSE(eng, perpcore_account_open_orders(eng, oo, 2, &n, 99), PERPCORE_E_NOT_FOUND);
  perpcore_preview_init(&pv);
  o = order(50, 99, PERPCORE_SIDE_BUY, PX(30500), 10, PERPCORE_TIF_IOC);
  CHECK_MISUSE(eng, perpcore_order_preview(eng, &pv, &o), PERPCORE_E_NOT_FOUND);

  /* Arrays: too small (nothing written, the count needed reported), NULL
   * written, NULL out with a length, bad side. */
  memset(oo, 0x33, sizeof oo);
  CHECK_MISUSE(eng, perpcore_account_open_orders(eng, oo, 1, &n, 1),
               PERPCORE_E_BUFFER_TOO_SMALL);
  CHECK_I64(n, 2);
  CHECK(all_bytes(oo, sizeof oo, 0x33));
  CHECK_MISUSE(eng, perpcore_account_open_orders(eng, NULL, 0, &n, 1),
               PERPCORE_E_BUFFER_TOO_SMALL);
  CHECK_I64(n, 2);
  CHECK_MISUSE(eng, perpcore_account_open_orders(eng, oo, 2, NULL, 1), PERPCORE_E_ILLEGAL_ARG);
  CHECK_MISUSE(eng, perpcore_account_open_orders(eng, NULL, 2, &n, 1), PERPCORE_E_ILLEGAL_ARG);
  CHECK_I64(n, 0);
  CHECK_MISUSE(eng, perpcore_account_positions(eng, NULL, 0, &n, 2),
               PERPCORE_E_BUFFER_TOO_SMALL);
  CHECK_I64(n, 1);
  CHECK_MISUSE(eng, perpcore_account_positions(eng, pos, 2, NULL, 2), PERPCORE_E_ILLEGAL_ARG);
  CHECK_MISUSE(eng, perpcore_engine_markets(eng, ids, 0, &n), PERPCORE_E_BUFFER_TOO_SMALL);
  CHECK_I64(n, 1);
  CHECK_MISUSE(eng, perpcore_engine_accounts(eng, &u, 1, &n), PERPCORE_E_BUFFER_TOO_SMALL);
  CHECK_I64(n, 3);
  CHECK_MISUSE(eng, perpcore_book_depth(eng, lv, 2, NULL, 1, PERPCORE_SIDE_BUY),
               PERPCORE_E_ILLEGAL_ARG);
  CHECK_MISUSE(eng, perpcore_book_depth(eng, NULL, 2, &n, 1, PERPCORE_SIDE_BUY),
               PERPCORE_E_ILLEGAL_ARG);
  CHECK_MISUSE(eng, perpcore_book_depth(eng, lv, 2, &n, 1, 3), PERPCORE_E_ILLEGAL_ARG);
  /* Depth is a top-N query: a short buffer is not an error. */
  CHECK_MISUSE(eng, perpcore_book_depth(eng, lv, 1, &n, 1, PERPCORE_SIDE_SELL), PERPCORE_OK);
  CHECK_I64(n, 1);
  CHECK_I64(lv[0].price, PX(30500));

  /* Framing: a time before the engine's, a seq beyond the next and a seq
   * already processed are statuses, and change nothing. */
  CHECK_MISUSE(eng, perpcore_account_deposit(eng, &res, seq, INT64_MIN, 1, 1),
               PERPCORE_E_TIME_WENT_BACK);
  CHECK_MISUSE(eng, perpcore_engine_time_tick(eng, &res, UINT64_MAX, T0, 0),
               PERPCORE_E_SEQUENCE_GAP);
  CHECK_MISUSE(eng, perpcore_engine_time_tick(eng, &res, seq - 1, T0, 0),
               PERPCORE_E_ALREADY_APPLIED);

  /* Bad input that is not misuse never aborts: extreme values are rejected
   * with a reason (each consuming its seq). */
  CHECK_REASON(perpcore_account_deposit(eng, &res, next_seq(eng), T0, 1, INT64_MIN),
               PERPCORE_REASON_INVALID_AMOUNT);
  CHECK_REASON(perpcore_account_deposit(eng, &res, next_seq(eng), T0, 1, INT64_MAX),
               PERPCORE_REASON_MAX_DEPOSIT_EXCEEDED);
  CHECK_REASON(
      perpcore_account_adjust_isolated_margin(eng, &res, next_seq(eng), T0, 1, 2, INT64_MIN),
      PERPCORE_REASON_NOT_ISOLATED);
  o = order(50, 2, PERPCORE_SIDE_BUY, INT64_MAX, INT64_MAX, PERPCORE_TIF_GTC);
  CHECK_REASON(perpcore_order_place(eng, &res, next_seq(eng), T0, &o),
               PERPCORE_REASON_SIZE_ABOVE_MAX);
  o = order(50, 2, PERPCORE_SIDE_BUY, INT64_MIN, 1, PERPCORE_TIF_GTC);
  CHECK_REASON(perpcore_order_place(eng, &res, next_seq(eng), T0, &o),
               PERPCORE_REASON_INVALID_PRICE);
  CHECK_REASON(perpcore_oracle_publish(eng, &res, next_seq(eng), T0, 1, 1, INT64_MAX, T0),
               PERPCORE_REASON_PRICE_ABOVE_MAX);
  CHECK_REASON(perpcore_oracle_publish(eng, &res, next_seq(eng), T0, 1, 1, -5, T0),
               PERPCORE_REASON_ORACLE_INVALID_PRICE);
  CHECK_REASON(perpcore_market_set_status(eng, &res, next_seq(eng), T0, 0, PERPCORE_MARKET_HALTED),
               PERPCORE_REASON_UNKNOWN_MARKET);
  CHECK_REASON(perpcore_account_create(eng, &res, next_seq(eng), T0, 0, 1, 0, 0),
               PERPCORE_REASON_INVALID_ID);
  capture(eng);
  CHECK_MISUSE(eng, perpcore_engine_check_invariants(eng), PERPCORE_OK);

  perpcore_engine_destroy(eng);
}

/* A deterministic stream of arbitrary commands: every call returns OK (the
 * engine rejects what it must) or a documented misuse status, nothing
 * aborts, and the engine's invariants hold at the end. */
static uint64_t g_rng = UINT64_C(0x9E3779B97F4A7C15);
static uint64_t rnd(void) {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return g_rng;
}
static int64_t pick_i64(void) {
  switch (rnd() % 8) {
    case 0: return INT64_MIN;
    case 1: return INT64_MAX;
    case 2: return 0;
    case 3: return -1;
    case 4: return (int64_t)(rnd() % 1000) + 1;
    case 5: return PX(29000) + (int64_t)(rnd() % 20000);
    case 6: return USD((int64_t)(rnd() % 50000));
    default: return (int64_t)rnd();
  }
}

static void test_arbitrary_commands(void) {
  perpcore_engine *eng = NULL;
  perpcore_result res;
  perpcore_event ev[256];
  int i, accepted = 0;
  int64_t t = T0;
  CHECK_OK(perpcore_engine_create(&eng, NULL));
  trade_setup(eng);
  for (i = 0; i < 20000; ++i) {
    const uint64_t seq = rnd() % 16 == 0 ? rnd() : next_seq(eng);
    const uint32_t market = (uint32_t)(rnd() % 3);
    const uint64_t account = rnd() % 5;
    perpcore_status s = PERPCORE_OK;
    size_t n = 0;
    t += (int64_t)(rnd() % 3) * 1000000;
    switch (rnd() % 13) {
      case 0: {
        perpcore_order o = order(rnd() % 64, account, (uint8_t)(rnd() % 3),
                                 rnd() % 2 ? pick_i64() : PX(29900) + (int64_t)(rnd() % 200),
                                 rnd() % 2 ? pick_i64() : (int64_t)(rnd() % 50) + 1,
                                 (uint8_t)(rnd() % 6));
        o.market = market;
        o.type = (uint8_t)(rnd() % 3);
        o.stp = (uint8_t)(rnd() % 5);
        o.reduce_only = (uint8_t)(rnd() % 3);
        o.client_id = rnd() % 4;
        s = perpcore_order_place(eng, &res, seq, t, &o);
        break;
      }
      case 1: s = perpcore_order_cancel(eng, &res, seq, t, market, account, rnd() % 64); break;
      case 2: s = perpcore_order_cancel_all(eng, &res, seq, t, market, account); break;
      case 3: {
        perpcore_amend am;
        perpcore_amend_init(&am);
        am.market = market;
        am.account = account;
        am.order_id = rnd() % 64;
        am.new_price = rnd() % 2 ? pick_i64() : PX(29900) + (int64_t)(rnd() % 200);
        am.new_size = rnd() % 2 ? pick_i64() : (int64_t)(rnd() % 50) + 1;
        s = perpcore_order_amend(eng, &res, seq, t, &am);
        break;
      }
      case 4:
        s = perpcore_oracle_publish(eng, &res, seq, t, market, (uint32_t)(rnd() % 3),
                                    rnd() % 2 ? pick_i64() : PX(29000) + (int64_t)(rnd() % 20000),
                                    rnd() % 4 ? t : pick_i64());
        break;
      case 5: s = perpcore_account_deposit(eng, &res, seq, t, account, pick_i64()); break;
      case 6: s = perpcore_account_withdraw(eng, &res, seq, t, account, pick_i64()); break;
      case 7:
        s = perpcore_account_transfer(eng, &res, seq, t, account, rnd() % 5, pick_i64());
        break;
      case 8:
        s = perpcore_account_set_leverage(eng, &res, seq, t, market, account,
                                          (uint32_t)(rnd() % 30));
        break;
      case 9:
        s = perpcore_account_set_margin_mode(eng, &res, seq, t, market, account,
                                             (uint32_t)(rnd() % 3));
        break;
      case 10:
        s = perpcore_account_adjust_isolated_margin(eng, &res, seq, t, market, account,
                                                    pick_i64());
        break;
      case 11: {
        perpcore_order o = order(rnd() % 64, account, (uint8_t)(rnd() % 2),
                                 rnd() % 4 ? PX(29900) + (int64_t)(rnd() % 200) : pick_i64(),
                                 (int64_t)(rnd() % 50) + 1, (uint8_t)(rnd() % 5));
        o.market = market;
        o.client_id = rnd() % 4;
        s = perpcore_order_cancel_replace(eng, &res, seq, t, market, account, rnd() % 64, &o);
        break;
      }
      default: s = perpcore_engine_time_tick(eng, &res, seq, t, market); break;
    }
    /* A random seq is a framing status (a gap, or one already processed). */
    CHECK(s == PERPCORE_OK || s == PERPCORE_E_ILLEGAL_ARG || s == PERPCORE_E_SEQUENCE_GAP ||
          s == PERPCORE_E_ALREADY_APPLIED);
    CHECK(seq == next_seq(eng) - 1 || s != PERPCORE_OK);
    if (s == PERPCORE_OK && res.reason == PERPCORE_REASON_OK) ++accepted;
    CHECK(perpcore_engine_events(eng, ev, 256, &n) == PERPCORE_OK);
    if (s == PERPCORE_OK) CHECK(n == res.event_count);
    if (i % 1000 == 0) CHECK_OK(perpcore_engine_check_invariants(eng));
  }
  CHECK(accepted > 100);
  CHECK_OK(perpcore_engine_check_invariants(eng));
  perpcore_engine_destroy(eng);
}

/* ------------------------------------------------------------------------- */
/* Final settlement of a delisted market (issue 14)                          */
/* ------------------------------------------------------------------------- */

/* The settlement market: btc_params() without fees, funding or a mark away
 * from the index (mark_cap 0), as tests/engine/scenario_settlement_test.cpp
 * has it, so a trade of L lots at P ticks moves exactly L * P * 100 atoms
 * from the buyer's cash to the seller's. */
static perpcore_market_params settlement_params(void) {
  perpcore_market_params p = btc_params();
  p.maker_fee = 0;
  p.taker_fee = 0;
  p.mark_cap = 0;
  p.funding.model = PERPCORE_FUNDING_MODEL_NONE;
  return p;
}

/* Market 1 indexed at 30,000; accounts 1 and 2 with 10,000 USD each;
 * account 1 buys 1 BTC (1,000 lots) at 30,000 from account 2's resting
 * sell. */
static void settlement_setup(perpcore_engine *eng) {
  perpcore_result res;
  perpcore_market_params p = settlement_params();
  perpcore_order o;
  uint64_t a;
  CHECK_ACCEPTED(perpcore_market_create(eng, &res, next_seq(eng), T0, 1, &p));
  CHECK_ACCEPTED(perpcore_oracle_publish(eng, &res, next_seq(eng), T0, 1, 1, PX(30000), T0));
  for (a = 1; a <= 2; ++a) {
    CHECK_ACCEPTED(perpcore_account_create(eng, &res, next_seq(eng), T0, a, a, 0, 0));
    CHECK_ACCEPTED(perpcore_account_deposit(eng, &res, next_seq(eng), T0, a, USD(10000)));
  }
  o = order(1, 2, PERPCORE_SIDE_SELL, PX(30000), 1000, PERPCORE_TIF_GTC);
  CHECK_ACCEPTED(perpcore_order_place(eng, &res, next_seq(eng), T0, &o));
  o = order(2, 1, PERPCORE_SIDE_BUY, PX(30000), 1000, PERPCORE_TIF_IOC);
  CHECK_ACCEPTED(perpcore_order_place(eng, &res, next_seq(eng), T0, &o));
  CHECK_I64(res.filled, 1000);
}

static int64_t cash_of(const perpcore_engine *eng, uint64_t account) {
  perpcore_account_summary s;
  perpcore_account_summary_init(&s);
  CHECK_OK(perpcore_account_summary_get(eng, &s, account));
  return s.cash;
}

/* The first worked example of tests/engine/scenario_settlement_test.cpp
 * through the C face (perpcore/engine/engine.hpp, "Final settlement").
 * Account 1 deposits 10,000 USD (1e10 atoms) and buys 1 BTC (1,000 lots) at
 * 30,000 (300,000 ticks) from account 2 (1e10 atoms):
 *   cash 1 = 1e10 - 1,000 * 300,000 * 100 = 1e10 - 3e10 = -2e10
 *   cash 2 = 1e10 + 3e10                                =  4e10
 * Delisted, settled at 31,000 (310,000 ticks): 1,000 * 310,000 * 100 = 3.1e10
 *   cash 1 = -2e10 + 3.1e10 = 1.1e10   (realized 1,000 * 10,000 * 100 = +1e9)
 *   cash 2 =  4e10 - 3.1e10 = 0.9e10   (realized -1e9)
 * The events: the mark moves from the index, 300,000, to the settlement
 * price (PRICE_UPDATE; the TWAP is 0, none: every command ran at T0, so no
 * time has counted in its window yet);
 * account 1 was created first, so it settles first; two records are far
 * below the per-command bound, so the market is settled by the same command
 * (MARKET_SETTLED). No funding (FUNDING_SETTLED) and no margin warning: both
 * accounts are far above their maintenance (1% of 3e10 = 3e8 against 1e10 of
 * equity) until their positions close. The deposits, 2e10, are all in cash
 * again (1.1e10 + 0.9e10): nothing in the fee pool, the insurance fund or
 * the settlement pool. The stats show the market settled at 310,000; a
 * caller with the version-2 size (208) gets everything before the
 * settlement fields and nothing is written beyond it. */
static void test_a_long_and_a_short_close_at_the_settlement_price(void) {
  perpcore_engine *eng = NULL;
  perpcore_result res;
  perpcore_event ev[8];
  perpcore_market_stats st;
  perpcore_account_summary s;
  int64_t v = 0;
  size_t n = 0;
  CHECK_OK(perpcore_engine_create(&eng, NULL));
  settlement_setup(eng);
  CHECK_I64(cash_of(eng, 1), INT64_C(-20000000000));
  CHECK_I64(cash_of(eng, 2), INT64_C(40000000000));
  perpcore_market_stats_init(&st);
  CHECK_OK(perpcore_market_stats_get(eng, &st, 1));
  CHECK_I64(st.settlement, PERPCORE_SETTLEMENT_NONE);
  CHECK_I64(st.settlement_price, 0);
  CHECK(st.settlement_pool.hi == 0 && st.settlement_pool.lo == 0);
  CHECK_ACCEPTED(perpcore_market_set_status(eng, &res, next_seq(eng), T0, 1,
                                            PERPCORE_MARKET_DELISTED));

  CHECK_ACCEPTED(perpcore_engine_settle_market(eng, &res, next_seq(eng), T0, 1, PX(31000)));
  CHECK_I64(res.filled, 0);
  CHECK_I64(res.rested, 0);
  n = read_events(eng, ev, 8);
  CHECK_I64(res.event_count, n);
  CHECK_I64(n, 4);
  if (n == 4) {
    const perpcore_event_position_settled *long1 = &ev[1].as.position_settled;
    const perpcore_event_position_settled *short2 = &ev[2].as.position_settled;
    CHECK_I64(ev[0].kind, PERPCORE_EVENT_PRICE_UPDATE);
    CHECK_I64(ev[0].as.price_update.market, 1);
    CHECK_I64(ev[0].as.price_update.index, PX(30000));
    CHECK_I64(ev[0].as.price_update.mark, PX(31000));
    CHECK_I64(ev[0].as.price_update.twap, 0);
    CHECK_I64(ev[1].kind, PERPCORE_EVENT_POSITION_SETTLED);
    CHECK_I64(long1->market, 1);
    CHECK_I64(long1->isolated, 0);
    CHECK_I64(long1->account, 1);
    CHECK_I64(long1->size, 1000);
    CHECK_I64(long1->price, PX(31000));
    CHECK_I64(long1->realized, INT64_C(1000000000));
    CHECK_I64(ev[2].kind, PERPCORE_EVENT_POSITION_SETTLED);
    CHECK_I64(short2->market, 1);
    CHECK_I64(short2->isolated, 0);
    CHECK_I64(short2->account, 2);
    CHECK_I64(short2->size, -1000);
    CHECK_I64(short2->price, PX(31000));
    CHECK_I64(short2->realized, INT64_C(-1000000000));
    CHECK_I64(ev[3].kind, PERPCORE_EVENT_MARKET_SETTLED);
    CHECK_I64(ev[3].as.market_settled.market, 1);
    CHECK_I64(ev[3].as.market_settled.pad0, 0);
    CHECK_I64(ev[3].as.market_settled.price, PX(31000));
  }
  CHECK_I64(cash_of(eng, 1), INT64_C(11000000000));
  CHECK_I64(cash_of(eng, 2), INT64_C(9000000000));
  perpcore_account_summary_init(&s);
  CHECK_OK(perpcore_account_summary_get(eng, &s, 1));
  CHECK_I64(s.position_count, 0);
  CHECK_OK(perpcore_account_summary_get(eng, &s, 2));
  CHECK_I64(s.position_count, 0);
  CHECK_OK(perpcore_engine_fee_pool(eng, &v));
  CHECK_I64(v, 0);
  CHECK_OK(perpcore_engine_insurance_fund(eng, &v));
  CHECK_I64(v, 0);
  CHECK_OK(perpcore_market_stats_get(eng, &st, 1));
  CHECK_I64(st.status, PERPCORE_MARKET_DELISTED);
  CHECK_I64(st.settlement, PERPCORE_SETTLEMENT_SETTLED);
  CHECK_I64(st.pad0, 0);
  CHECK_I64(st.settlement_price, PX(31000));
  CHECK(st.settlement_pool.hi == 0 && st.settlement_pool.lo == 0);
  CHECK_I64(st.mark, PX(31000));
  CHECK_I64(st.open_interest_long, 0);
  CHECK_I64(st.open_interest_short, 0);
  /* Settled is final: a second settlement is refused. */
  CHECK_REASON(perpcore_engine_settle_market(eng, &res, next_seq(eng), T0, 1, PX(31000)),
               PERPCORE_REASON_SETTLEMENT_STARTED);
  CHECK_I64(res.event_count, 0);

  /* The version-2 size: the stats up to funding_rate, nothing beyond. */
  CHECK(offsetof(perpcore_market_stats, settlement) == PERPCORE_MARKET_STATS_SIZE_V2);
  memset(&st, 0xAB, sizeof st);
  st.struct_size = PERPCORE_MARKET_STATS_SIZE_V2;
  CHECK_OK(perpcore_market_stats_get(eng, &st, 1));
  CHECK_I64(st.struct_size, PERPCORE_MARKET_STATS_SIZE_V2);
  CHECK_I64(st.market, 1);
  CHECK_I64(st.funding_rate, 0);
  CHECK(all_bytes(&st.settlement, sizeof st - PERPCORE_MARKET_STATS_SIZE_V2, 0xAB));
  st.struct_size = PERPCORE_MARKET_STATS_SIZE_V2 + 8;
  CHECK_STATUS(perpcore_market_stats_get(eng, &st, 1), PERPCORE_E_STRUCT_SIZE);
  CHECK_OK(perpcore_engine_check_invariants(eng));
  perpcore_engine_destroy(eng);
}

/* What a refused settlement must leave as it was. */
typedef struct settlement_snapshot {
  perpcore_account_summary a1, a2;
  perpcore_market_stats stats;
  int64_t insurance, shortfall, fee_pool;
} settlement_snapshot;

static settlement_snapshot settlement_take(const perpcore_engine *eng) {
  settlement_snapshot s;
  memset(&s, 0, sizeof s);
  perpcore_account_summary_init(&s.a1);
  perpcore_account_summary_init(&s.a2);
  perpcore_market_stats_init(&s.stats);
  CHECK_OK(perpcore_account_summary_get(eng, &s.a1, 1));
  CHECK_OK(perpcore_account_summary_get(eng, &s.a2, 2));
  CHECK_OK(perpcore_market_stats_get(eng, &s.stats, 1));
  CHECK_OK(perpcore_engine_insurance_fund(eng, &s.insurance));
  CHECK_OK(perpcore_engine_shortfall(eng, &s.shortfall));
  CHECK_OK(perpcore_engine_fee_pool(eng, &s.fee_pool));
  return s;
}

/* The set-up of the worked example without the delisting: the market is
 * active, so perpcore_engine_settle_market() is refused with
 * SETTLEMENT_NOT_DELISTED (814) and its message, consumes the seq, emits
 * nothing and changes nothing: both accounts keep their positions and
 * cash, the market its phase (NONE), mark and open interest. */
static void test_settling_a_market_that_is_not_delisted_is_refused(void) {
  perpcore_engine *eng = NULL;
  perpcore_result res;
  perpcore_event ev[4];
  settlement_snapshot before, after;
  uint64_t seq = 0, last = 0;
  CHECK_OK(perpcore_engine_create(&eng, NULL));
  settlement_setup(eng);
  before = settlement_take(eng);
  CHECK_I64(before.stats.status, PERPCORE_MARKET_ACTIVE);
  CHECK_I64(before.a1.position_count, 1);

  seq = next_seq(eng);
  CHECK_REASON(perpcore_engine_settle_market(eng, &res, seq, T0, 1, PX(31000)),
               PERPCORE_REASON_SETTLEMENT_NOT_DELISTED);
  CHECK_I64(res.reason, 814);
  CHECK(strcmp(perpcore_reason_name(res.reason), "PERPCORE_REASON_SETTLEMENT_NOT_DELISTED") ==
        0);
  CHECK(strcmp(perpcore_reason_message(res.reason),
               "only a delisted market can be settled: delist it first") == 0);
  CHECK_I64(res.event_count, 0);
  CHECK_I64(read_events(eng, ev, 4), 0);
  CHECK_OK(perpcore_engine_last_seq(eng, &last));
  CHECK_I64(last, seq); /* processed: the seq is consumed */
  after = settlement_take(eng);
  CHECK(memcmp(&after, &before, sizeof after) == 0);
  CHECK_I64(after.stats.settlement, PERPCORE_SETTLEMENT_NONE);
  CHECK_I64(after.a1.cash, INT64_C(-20000000000));
  CHECK_I64(after.a2.cash, INT64_C(40000000000));
  CHECK_OK(perpcore_engine_check_invariants(eng));
  perpcore_engine_destroy(eng);
}

/* A settlement longer than one command (engine.hpp: a command settles
 * records until it has done 256 units of work, one per record without
 * orders). Account 1 (created first) sells 1 lot at 30,000 to each of 256
 * accounts (ids 1,001..1,256, 100 USD each): 257 records. Settled at 30,100
 * (301,000 ticks):
 *   each long:  1e8 - 30,000,000 + 30,100,000 = 100,100,000
 *   account 1:  1e11 + 256 * 30,000,000 - 256 * 30,100,000 = 99,974,400,000
 * perpcore_engine_settle_market() settles account 1 and the first 255
 * longs; the last long is still open, so the market is SETTLING and its
 * pool holds what the closed positions left in it: account 1 paid
 * 256 * 30,100,000 and 255 longs took 30,100,000 each, 30,100,000, which
 * is (long 1 - short 0) * 301,000 * 100. Orders are refused there
 * (MARKET_HALTED, reduce-only included); a tick of every market (0) leaves
 * the settlement as it is; a tick naming the market settles the last long
 * and the market (MARKET_SETTLED), the pool back to 0. */
static void test_a_settlement_longer_than_one_command_continues_at_the_market_s_ticks(void) {
  perpcore_engine *eng = NULL;
  perpcore_result res;
  perpcore_market_params p = settlement_params();
  perpcore_market_stats st;
  perpcore_event ev[8];
  perpcore_order o;
  size_t n = 0, count = 0, i;
  uint64_t a;
  CHECK_OK(perpcore_engine_create(&eng, NULL));
  CHECK_ACCEPTED(perpcore_market_create(eng, &res, next_seq(eng), T0, 1, &p));
  CHECK_ACCEPTED(perpcore_oracle_publish(eng, &res, next_seq(eng), T0, 1, 1, PX(30000), T0));
  CHECK_ACCEPTED(perpcore_account_create(eng, &res, next_seq(eng), T0, 1, 1, 0, 0));
  CHECK_ACCEPTED(perpcore_account_deposit(eng, &res, next_seq(eng), T0, 1, USD(100000)));
  o = order(1, 1, PERPCORE_SIDE_SELL, PX(30000), 256, PERPCORE_TIF_GTC);
  CHECK_ACCEPTED(perpcore_order_place(eng, &res, next_seq(eng), T0, &o));
  for (a = 1001; a <= 1256; ++a) {
    CHECK_ACCEPTED(perpcore_account_create(eng, &res, next_seq(eng), T0, a, a, 0, 0));
    CHECK_ACCEPTED(perpcore_account_deposit(eng, &res, next_seq(eng), T0, a, USD(100)));
    o = order(a, a, PERPCORE_SIDE_BUY, PX(30000), 1, PERPCORE_TIF_IOC);
    CHECK_ACCEPTED(perpcore_order_place(eng, &res, next_seq(eng), T0, &o));
    CHECK_I64(res.filled, 1);
  }
  CHECK_ACCEPTED(perpcore_market_set_status(eng, &res, next_seq(eng), T0, 1,
                                            PERPCORE_MARKET_DELISTED));

  CHECK_ACCEPTED(perpcore_engine_settle_market(eng, &res, next_seq(eng), T0, 1, PX(30100)));
  CHECK_STATUS(perpcore_engine_events(eng, NULL, 0, &n), PERPCORE_E_BUFFER_TOO_SMALL);
  CHECK_I64(n, 1 + 256); /* PRICE_UPDATE, 256 POSITION_SETTLED */
  perpcore_market_stats_init(&st);
  CHECK_OK(perpcore_market_stats_get(eng, &st, 1));
  CHECK_I64(st.settlement, PERPCORE_SETTLEMENT_SETTLING);
  CHECK_I64(st.settlement_price, PX(30100));
  CHECK_I64(st.settlement_pool.hi, 0);
  CHECK(st.settlement_pool.lo == UINT64_C(30100000));
  CHECK_I64(st.open_interest_long, 1);
  CHECK_I64(st.open_interest_short, 0);
  CHECK_I64(cash_of(eng, 1), INT64_C(99974400000));
  CHECK_I64(cash_of(eng, 1255), 100100000);
  CHECK_I64(cash_of(eng, 1256), 100000000 - 30000000); /* not reached yet */
  o = order(9, 1256, PERPCORE_SIDE_SELL, PX(30000), 1, PERPCORE_TIF_IOC);
  o.reduce_only = 1;
  CHECK_REASON(perpcore_order_place(eng, &res, next_seq(eng), T0, &o),
               PERPCORE_REASON_MARKET_HALTED);
  CHECK_REASON(perpcore_engine_settle_market(eng, &res, next_seq(eng), T0, 1, PX(30100)),
               PERPCORE_REASON_SETTLEMENT_STARTED);

  CHECK_ACCEPTED(perpcore_engine_time_tick(eng, &res, next_seq(eng), T0, 0));
  n = read_events(eng, ev, 8);
  for (i = 0; i < n; ++i) {
    if (ev[i].kind == PERPCORE_EVENT_POSITION_SETTLED) ++count;
  }
  CHECK_I64(count, 0);
  CHECK_OK(perpcore_market_stats_get(eng, &st, 1));
  CHECK_I64(st.settlement, PERPCORE_SETTLEMENT_SETTLING);

  CHECK_ACCEPTED(perpcore_engine_time_tick(eng, &res, next_seq(eng), T0, 1));
  n = read_events(eng, ev, 8);
  CHECK_I64(n, 2);
  if (n == 2) {
    CHECK_I64(ev[0].kind, PERPCORE_EVENT_POSITION_SETTLED);
    CHECK_I64(ev[0].as.position_settled.account, 1256);
    CHECK_I64(ev[0].as.position_settled.size, 1);
    CHECK_I64(ev[0].as.position_settled.price, PX(30100));
    CHECK_I64(ev[0].as.position_settled.realized, 100000);
    CHECK_I64(ev[1].kind, PERPCORE_EVENT_MARKET_SETTLED);
    CHECK_I64(ev[1].as.market_settled.price, PX(30100));
  }
  CHECK_OK(perpcore_market_stats_get(eng, &st, 1));
  CHECK_I64(st.settlement, PERPCORE_SETTLEMENT_SETTLED);
  CHECK(st.settlement_pool.hi == 0 && st.settlement_pool.lo == 0);
  CHECK_I64(st.open_interest_long, 0);
  CHECK_I64(cash_of(eng, 1256), 100100000);
  CHECK_OK(perpcore_engine_check_invariants(eng));
  perpcore_engine_destroy(eng);
}

/* ------------------------------------------------------------------------- */
/* The withdrawal parameters of issue 11: appended fields, versioned sizes    */
/* ------------------------------------------------------------------------- */

static void test_withdrawal_params(void) {
  perpcore_engine *eng = NULL;
  perpcore_engine_config cfg, back;
  perpcore_market_params p, pback;
  perpcore_result res;
  char msg[160];

  CHECK(strcmp(perpcore_reason_name(PERPCORE_REASON_WITHDRAWAL_EXCEEDS_HELD),
               "PERPCORE_REASON_WITHDRAWAL_EXCEEDS_HELD") == 0);
  perpcore_engine_config_init(&cfg);
  CHECK_I64(cfg.withdraw_margin_fraction, PERPCORE_RATE_SCALE / 10);
  cfg.withdraw_margin_fraction = PERPCORE_RATE_SCALE;
  CHECK_STATUS(perpcore_engine_config_check(msg, sizeof msg, &cfg), PERPCORE_E_CONFIG);
  CHECK(strstr(msg, "withdraw_margin_fraction") != NULL);

  /* A version-1 caller: its size ends before the appended field, which is
   * neither read (the garbage there is ignored, the default 10% applies)
   * nor written back. */
  cfg.struct_size = PERPCORE_ENGINE_CONFIG_SIZE_V1;
  cfg.withdraw_margin_fraction = -7;
  CHECK_OK(perpcore_engine_create(&eng, &cfg));
  perpcore_engine_config_init(&back);
  back.struct_size = PERPCORE_ENGINE_CONFIG_SIZE_V1;
  back.withdraw_margin_fraction = -7;
  CHECK_OK(perpcore_engine_config_get(eng, &back));
  CHECK_I64(back.withdraw_margin_fraction, -7);
  perpcore_engine_config_init(&back);
  back.withdraw_margin_fraction = 0;
  CHECK_OK(perpcore_engine_config_get(eng, &back));
  CHECK_I64(back.withdraw_margin_fraction, PERPCORE_RATE_SCALE / 10);
  /* A size between the versions would cut the appended field. */
  back.struct_size = PERPCORE_ENGINE_CONFIG_SIZE_V1 + 4;
  CHECK_STATUS(perpcore_engine_config_get(eng, &back), PERPCORE_E_STRUCT_SIZE);

  /* Market params: the appended fields round-trip; a version-1 caller gets
   * the defaults; an enumerator out of range is refused by name. */
  perpcore_market_params_init(&p);
  CHECK_I64(p.stress_fraction, PERPCORE_RATE_SCALE / 10);
  CHECK_I64(p.withdrawable_pnl, PERPCORE_WITHDRAWABLE_PNL_CONSERVATIVE_PRICE);
  p.stress_fraction = PERPCORE_RATE_SCALE / 4;
  p.withdrawable_pnl = PERPCORE_WITHDRAWABLE_PNL_NONE;
  CHECK_ACCEPTED(perpcore_market_create(eng, &res, 1, T0, 1, &p));
  perpcore_market_params_init(&pback);
  CHECK_OK(perpcore_market_params_get(eng, &pback, 1));
  CHECK_I64(pback.stress_fraction, PERPCORE_RATE_SCALE / 4);
  CHECK_I64(pback.withdrawable_pnl, PERPCORE_WITHDRAWABLE_PNL_NONE);
  p.struct_size = PERPCORE_MARKET_PARAMS_SIZE_V1;
  CHECK_ACCEPTED(perpcore_market_create(eng, &res, 2, T0, 2, &p));
  perpcore_market_params_init(&pback);
  CHECK_OK(perpcore_market_params_get(eng, &pback, 2));
  CHECK_I64(pback.stress_fraction, PERPCORE_RATE_SCALE / 10);
  CHECK_I64(pback.withdrawable_pnl, PERPCORE_WITHDRAWABLE_PNL_CONSERVATIVE_PRICE);
  perpcore_market_params_init(&p);
  p.withdrawable_pnl = 2;
  CHECK_STATUS(perpcore_market_params_check(eng, msg, sizeof msg, &p), PERPCORE_E_CONFIG);
  CHECK(strstr(msg, "withdrawable_pnl") != NULL);
  p.withdrawable_pnl = UINT32_MAX;
  CHECK_REASON(perpcore_market_create(eng, &res, 3, T0, 3, &p),
               PERPCORE_REASON_INVALID_MARKET_PARAMS);
  perpcore_engine_destroy(eng);
}

/* The market-wide bounds appended to perpcore_market_params after version 1
 * (944 bytes): a caller compiled against version 1 (struct_size 944) reads
 * and writes only what it knows, and the fields it lacks take their
 * defaults (0: the notional bound's open-interest cap; 1,000 matches). */
static void test_market_params_versions(void) {
  perpcore_engine *eng = NULL;
  perpcore_result res;
  perpcore_market_params p = btc_params(), back;
  const uint32_t v1 = 944;
  CHECK(offsetof(perpcore_market_params, impact_notional) == v1);
  CHECK(p.max_market_open_interest == 0 && p.max_matches_per_order == 1000);
  CHECK_OK(perpcore_engine_create(&eng, NULL));
  /* A version-1 caller: the tail beyond its size holds junk it never set. */
  p.struct_size = v1;
  p.max_market_open_interest = -5;
  p.max_matches_per_order = 7;
  CHECK_ACCEPTED(perpcore_market_create(eng, &res, next_seq(eng), 1, 1, &p));
  memset(&back, 0xAB, sizeof back);
  back.struct_size = v1;
  CHECK_OK(perpcore_market_params_get(eng, &back, 1));
  CHECK(back.struct_size == v1);
  CHECK(back.max_matches_per_order == 0xABABABABu); /* beyond its size: untouched */
  perpcore_market_params_init(&back);
  CHECK_OK(perpcore_market_params_get(eng, &back, 1));
  CHECK(back.max_market_open_interest == 0 && back.max_matches_per_order == 1000);
  /* A current caller sets both. */
  p = btc_params();
  p.max_market_open_interest = p.max_open_interest;
  p.max_matches_per_order = 50;
  CHECK_ACCEPTED(perpcore_market_create(eng, &res, next_seq(eng), 1, 2, &p));
  CHECK_OK(perpcore_market_params_get(eng, &back, 2));
  CHECK(back.max_market_open_interest == p.max_open_interest && back.max_matches_per_order == 50);
  perpcore_engine_destroy(eng);
}

int main(void) {
  test_names_and_version();
  test_withdrawal_params();
  test_market_params_versions();
  test_create_and_config();
  test_trade_cycle();
  test_cancel_replace();
  test_price_rules();
  test_same_commands_same_digest();
  test_misuse();
  test_arbitrary_commands();
  test_a_long_and_a_short_close_at_the_settlement_price();
  test_settling_a_market_that_is_not_delisted_is_refused();
  test_a_settlement_longer_than_one_command_continues_at_the_market_s_ticks();
  if (g_failures != 0) {
    fprintf(stderr, "c_api_test: %d of %d checks failed\n", g_failures, g_checks);
    return EXIT_FAILURE;
  }
  printf("c_api_test: all %d checks passed\n", g_checks);
  return EXIT_SUCCESS;
}
