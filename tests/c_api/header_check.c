/*
 * perpcore/perpcore.h must be a self-contained C99 header: this file is
 * compiled with -std=c99 -pedantic -Werror and strict warnings (conversions
 * included), includes the header first and twice, and uses every
 * initializer. It also runs, as a smoke test of the linked library.
 */
#include "perpcore/perpcore.h"
#include "perpcore/perpcore.h" /* the include guard */

#include <stdio.h>

int main(void) {
  perpcore_engine_config config;
  perpcore_market_params params;
  perpcore_order order;
  perpcore_amend amend;
  perpcore_account_summary summary;
  perpcore_market_stats stats;
  perpcore_preview preview;
  perpcore_engine *eng = NULL;
  perpcore_result res;
  int ok = 1;

  perpcore_engine_config_init(&config);
  perpcore_market_params_init(&params);
  perpcore_order_init(&order);
  perpcore_amend_init(&amend);
  perpcore_account_summary_init(&summary);
  perpcore_market_stats_init(&stats);
  perpcore_preview_init(&preview);
  perpcore_engine_config_init(NULL);
  perpcore_market_params_init(NULL);
  perpcore_order_init(NULL);
  perpcore_amend_init(NULL);
  perpcore_account_summary_init(NULL);
  perpcore_market_stats_init(NULL);
  perpcore_preview_init(NULL);
  ok = ok && config.struct_size == sizeof config && params.struct_size == sizeof params &&
       order.struct_size == sizeof order && amend.struct_size == sizeof amend &&
       summary.struct_size == sizeof summary && stats.struct_size == sizeof stats &&
       preview.struct_size == sizeof preview;

  params.max_open_interest = 1000000; /* 1,000 BTC */
  params.max_price = 10000000;        /* 1,000,000 USD */
  ok = ok && perpcore_version_number() == PERPCORE_VERSION_NUMBER;
  ok = ok && perpcore_engine_create(&eng, &config) == PERPCORE_OK;
  ok = ok && perpcore_market_create(eng, &res, 1, 0, 1, &params) == PERPCORE_OK &&
       res.reason == PERPCORE_REASON_OK;
  perpcore_engine_destroy(eng);

  printf("perpcore.h %s (C99): %s\n", PERPCORE_VERSION_STRING, ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
