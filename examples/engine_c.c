/*
 * engine_c.c: the perpcore engine from C.
 *
 * Creates a BTC-USD market, funds two accounts, trades one bitcoin between
 * them, moves the oracle price up and prints the buyer's account summary.
 *
 * Units: money in 1e-6 USD atoms; prices in ticks of 0.1 USD; sizes in lots
 * of 0.001 BTC. So 30,000 USD is 300,000 ticks and 1 BTC is 1,000 lots.
 */
#include <perpcore/perpcore.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define USD(x) ((int64_t)(x) * INT64_C(1000000))
#define PRICE(usd) ((int64_t)(usd) * 10)

static perpcore_engine *eng;
static uint64_t seq; /* the engine wants seq = previous + 1 */
static int64_t now_ns = INT64_C(1000000000);

/* Stops the program if a call fails or the engine rejects a command. */
static void check(const char *what, perpcore_status status, const perpcore_result *res) {
  if (status != PERPCORE_OK) {
    fprintf(stderr, "%s: %s\n", what, perpcore_status_name(status));
    exit(1);
  }
  if (res != NULL && res->reason != PERPCORE_REASON_OK) {
    fprintf(stderr, "%s: rejected: %s\n", what, perpcore_reason_message(res->reason));
    exit(1);
  }
}

static void print_events(void) {
  perpcore_event events[16];
  size_t n = 0, i;
  check("events", perpcore_engine_events(eng, events, 16, &n), NULL);
  for (i = 0; i < n; ++i) {
    const perpcore_event *e = &events[i];
    if (e->kind == PERPCORE_EVENT_FILL) {
      const perpcore_event_fill *f = &e->as.fill;
      printf("  fill: account %" PRIu64 " bought %" PRId64 " lots from account %" PRIu64
             " at %" PRId64 " ticks; fees %" PRId64 " (taker) and %" PRId64 " (maker) atoms\n",
             f->taker.account, f->size, f->maker.account, f->price, f->taker.fee, f->maker.fee);
    } else if (e->kind == PERPCORE_EVENT_PRICE_UPDATE) {
      printf("  price: index %" PRId64 ", mark %" PRId64 " ticks\n", e->as.price_update.index,
             e->as.price_update.mark);
    }
  }
}

static void place(uint64_t id, uint64_t account, uint8_t side, uint8_t tif, int64_t price,
                  int64_t lots) {
  perpcore_order o;
  perpcore_result res;
  perpcore_order_init(&o);
  o.market = 1;
  o.order_id = id;
  o.account = account;
  o.side = side;
  o.tif = tif;
  o.price = price;
  o.size = lots;
  check("place", perpcore_order_place(eng, &res, ++seq, now_ns, &o), &res);
  print_events();
}

int main(void) {
  perpcore_market_params params;
  perpcore_account_summary s;
  perpcore_result res;
  uint8_t digest[PERPCORE_DIGEST_SIZE];
  int i;

  printf("perpcore %s\n", perpcore_version_string());
  check("create", perpcore_engine_create(&eng, NULL), NULL);

  /* BTC-USD: 0.1 USD tick, 0.001 BTC lot, 20x, 1 bp maker and 5 bp taker
   * fees, one oracle source (the defaults), at most 1,000 BTC of open
   * interest per account and prices up to 1,000,000 USD. */
  perpcore_market_params_init(&params);
  params.max_open_interest = 1000 * 1000;
  params.max_price = PRICE(1000000);
  check("market", perpcore_market_create(eng, &res, ++seq, now_ns, 1, &params), &res);
  check("oracle", perpcore_oracle_publish(eng, &res, ++seq, now_ns, 1, 1, PRICE(30000), now_ns),
        &res);
  print_events();

  /* A maker with 100,000 USD and a taker with 10,000 USD. */
  check("account", perpcore_account_create(eng, &res, ++seq, now_ns, 1, 1, 0, 0), &res);
  check("account", perpcore_account_create(eng, &res, ++seq, now_ns, 2, 2, 0, 0), &res);
  check("deposit", perpcore_account_deposit(eng, &res, ++seq, now_ns, 1, USD(100000)), &res);
  check("deposit", perpcore_account_deposit(eng, &res, ++seq, now_ns, 2, USD(10000)), &res);

  /* The maker offers 1 BTC at 30,000; the taker buys it. */
  place(1, 1, PERPCORE_SIDE_SELL, PERPCORE_TIF_GTC, PRICE(30000), 1000);
  place(2, 2, PERPCORE_SIDE_BUY, PERPCORE_TIF_IOC, PRICE(30000), 1000);

  /* A minute later the oracle says 31,000. */
  now_ns += INT64_C(60000000000);
  check("oracle", perpcore_oracle_publish(eng, &res, ++seq, now_ns, 1, 1, PRICE(31000), now_ns),
        &res);
  print_events();

  perpcore_account_summary_init(&s);
  check("summary", perpcore_account_summary_get(eng, &s, 2), NULL);
  printf("account 2 (atoms of 1e-6 USD):\n"
         "  cash            %" PRId64 "\n"
         "  equity          %" PRId64 "\n"
         "  unrealized pnl  %" PRId64 "\n"
         "  initial margin  %" PRId64 "\n"
         "  maintenance     %" PRId64 "\n"
         "  free collateral %" PRId64 "\n",
         s.cash, s.equity, s.unrealized_pnl, s.initial_requirement,
         s.maintenance_requirement, s.free_collateral);

  check("digest", perpcore_engine_digest(eng, digest), NULL);
  printf("state digest ");
  for (i = 0; i < PERPCORE_DIGEST_SIZE; ++i) printf("%02x", digest[i]);
  printf("\n");

  perpcore_engine_destroy(eng);
  return 0;
}
