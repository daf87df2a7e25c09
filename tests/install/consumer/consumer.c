/* A C program against an installed perpcore: one trade through the C API,
 * and one execution schedule (the analytics library links too; its C
 * functions are the header's experimental part, hence the opt-in). */
#define PERPCORE_EXPERIMENTAL
#include <perpcore/perpcore.h>

#include <stdio.h>

int main(void) {
  perpcore_engine *eng = NULL;
  perpcore_market_params params;
  perpcore_order order;
  perpcore_result res;
  uint8_t digest[PERPCORE_DIGEST_SIZE];
  uint64_t seq = 0;
  int ok = 1;
  perpcore_ac_params ac;
  perpcore_ac_result schedule;
  double holdings[6], trades[5];
  size_t written = 0;

  if (perpcore_engine_create(&eng, NULL) != PERPCORE_OK) return 1;
  perpcore_market_params_init(&params);
  params.max_open_interest = 1000000;
  params.max_price = 10000000;
  ok = ok && perpcore_market_create(eng, &res, ++seq, 1, 1, &params) == PERPCORE_OK && !res.reason;
  ok = ok && perpcore_oracle_publish(eng, &res, ++seq, 1, 1, 1, 300000, 1) == PERPCORE_OK &&
       !res.reason;
  ok = ok && perpcore_account_create(eng, &res, ++seq, 1, 1, 1, 0, 0) == PERPCORE_OK && !res.reason;
  ok = ok && perpcore_account_create(eng, &res, ++seq, 1, 2, 2, 0, 0) == PERPCORE_OK && !res.reason;
  ok = ok && perpcore_account_deposit(eng, &res, ++seq, 1, 1, INT64_C(10000000000)) == PERPCORE_OK &&
       !res.reason;
  ok = ok && perpcore_account_deposit(eng, &res, ++seq, 1, 2, INT64_C(10000000000)) == PERPCORE_OK &&
       !res.reason;
  perpcore_order_init(&order);
  order.market = 1;
  order.order_id = 1;
  order.account = 1;
  order.side = PERPCORE_SIDE_SELL;
  order.price = 300000;
  order.size = 100;
  ok = ok && perpcore_order_place(eng, &res, ++seq, 1, &order) == PERPCORE_OK && !res.reason;
  order.order_id = 2;
  order.account = 2;
  order.side = PERPCORE_SIDE_BUY;
  order.tif = PERPCORE_TIF_IOC;
  ok = ok && perpcore_order_place(eng, &res, ++seq, 1, &order) == PERPCORE_OK && !res.reason &&
       res.filled == 100;
  ok = ok && perpcore_engine_digest(eng, digest) == PERPCORE_OK;
  /* The straight-line sale of Almgren & Chriss (2000): E = 662,500 exactly. */
  perpcore_ac_params_init(&ac);
  ac.shares = 1e6;
  ac.horizon = 5;
  ac.intervals = 5;
  ac.sigma = 0.95;
  ac.eta = 2.5e-6;
  ac.gamma = 2.5e-7;
  ac.epsilon = 0.0625;
  perpcore_ac_result_init(&schedule);
  ok = ok && perpcore_ac_naive_schedule(&schedule, holdings, 6, trades, 5, &written, NULL, 0,
                                        &ac) == PERPCORE_OK &&
       written == 6 && schedule.cost.expected_cost > 662499.999 &&
       schedule.cost.expected_cost < 662500.001;
  perpcore_engine_destroy(eng);
  printf("perpcore %s: C consumer %s\n", perpcore_version_string(), ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
