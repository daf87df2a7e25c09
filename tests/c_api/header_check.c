/*
 * perpcore/perpcore.h must be a self-contained C99 header: this file is
 * compiled with -std=c99 -pedantic -Werror and strict warnings (conversions
 * included), includes the header first, and uses every initializer of the
 * stable and the experimental part. It also runs, as a smoke test of the
 * linked library. header_check_stable.c checks the stable part alone.
 *
 * The header is included three times: without PERPCORE_EXPERIMENTAL (as a
 * file that got it through another header would), then with it, which must
 * add the experimental part (its own guard, as zstd.h's
 * ZSTD_STATIC_LINKING_ONLY section), then again, which must add nothing.
 */
#include "perpcore/perpcore.h"
#define PERPCORE_EXPERIMENTAL
#include "perpcore/perpcore.h"
#include "perpcore/perpcore.h" /* both include guards */

#include <stdio.h>

int main(void) {
  perpcore_engine_config config;
  perpcore_market_params params;
  perpcore_order order;
  perpcore_amend amend;
  perpcore_account_summary summary;
  perpcore_market_stats stats;
  perpcore_preview preview;
  perpcore_ac_params ac;
  perpcore_ac_result ac_result;
  perpcore_ext_params ext;
  perpcore_ext_options ext_options;
  perpcore_ext_result ext_result;
  double holdings[3], trades[2];
  size_t written = 0;
  char msg[PERPCORE_MESSAGE_CAPACITY];
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

  perpcore_ac_params_init(&ac);
  perpcore_ac_result_init(&ac_result);
  perpcore_ext_params_init(&ext);
  perpcore_ext_options_init(&ext_options);
  perpcore_ext_result_init(&ext_result);
  perpcore_ac_params_init(NULL);
  perpcore_ac_result_init(NULL);
  perpcore_ext_params_init(NULL);
  perpcore_ext_options_init(NULL);
  perpcore_ext_result_init(NULL);
  ok = ok && ac.struct_size == sizeof ac && ac_result.struct_size == sizeof ac_result &&
       ext.struct_size == sizeof ext && ext_options.struct_size == sizeof ext_options &&
       ext_result.struct_size == sizeof ext_result && ext.delta == 1.0 &&
       ext_options.tolerance == 1e-10;

  /* A two-interval sale, classic and perpetual. */
  ac.shares = 100;
  ac.horizon = 1;
  ac.intervals = 2;
  ac.eta = 0.01;
  ext.shares = 100;
  ext.horizon = 1;
  ext.intervals = 2;
  ext.eta = 0.01;
  ok = ok && perpcore_ac_optimal_schedule(&ac_result, holdings, 3, trades, 2, &written, msg,
                                          sizeof msg, &ac) == PERPCORE_OK &&
       written == 3 && holdings[1] == 50;
  ok = ok && perpcore_ext_optimal_schedule(&ext_result, holdings, 3, trades, 2, &written, msg,
                                           sizeof msg, &ext, &ext_options) == PERPCORE_OK &&
       ext_result.converged == 1;

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
