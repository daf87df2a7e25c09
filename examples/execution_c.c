/*
 * execution_c.c: optimal execution from C (perpcore_ac_*, perpcore_ext_*).
 *
 * Sells 1,000,000 shares over 5 days in 5 trades with the parameters of
 * Almgren & Chriss (2000), section 3: the optimal schedule at lambda = 1e-6
 * against the straight line, a short efficient frontier, and the same sale
 * as a perpetual-swap position that pays funding while it is held.
 *
 * These functions are the experimental part of perpcore.h (no API or ABI
 * stability promise; see the header): a program opts in by defining
 * PERPCORE_EXPERIMENTAL before the include.
 */
#define PERPCORE_EXPERIMENTAL
#include <perpcore/perpcore.h>

#include <stdio.h>
#include <stdlib.h>

#define N 5

/* Stops the program if a call fails, with the library's message. */
static void check(const char *what, perpcore_status status, const char *message) {
  if (status != PERPCORE_OK) {
    fprintf(stderr, "%s: %s: %s\n", what, perpcore_status_name(status), message);
    exit(1);
  }
}

static void print_schedule(const char *name, const double *holdings) {
  int k;
  printf("  %-9s", name);
  for (k = 0; k <= N; ++k) printf(" %9.0f", holdings[k]);
  printf("\n");
}

int main(void) {
  char msg[PERPCORE_MESSAGE_CAPACITY];
  perpcore_ac_params p;
  perpcore_ac_result opt, naive;
  perpcore_ac_frontier_point frontier[4];
  const double lambdas[4] = {0, 1e-7, 1e-6, 1e-5};
  double x[N + 1], n[N];
  size_t written = 0, i;

  perpcore_ac_params_init(&p);
  p.shares = 1e6;    /* shares */
  p.horizon = 5;     /* days */
  p.intervals = N;
  p.sigma = 0.95;    /* USD per share per sqrt(day) */
  p.eta = 2.5e-6;    /* USD per share per (share per day) */
  p.gamma = 2.5e-7;  /* USD per share per share */
  p.epsilon = 0.0625; /* USD per share: half the spread plus fees */
  p.lambda = 1e-6;   /* per USD */

  printf("holdings at t = 0 .. 5 days:\n");
  perpcore_ac_result_init(&naive);
  check("naive", perpcore_ac_naive_schedule(&naive, x, N + 1, n, N, &written, msg, sizeof msg, &p),
        msg);
  print_schedule("naive", x);
  perpcore_ac_result_init(&opt);
  check("optimal",
        perpcore_ac_optimal_schedule(&opt, x, N + 1, n, N, &written, msg, sizeof msg, &p), msg);
  print_schedule("optimal", x);
  printf("naive:   E = %.0f USD, V = %.4g USD^2, E + lambda V = %.0f\n",
         naive.cost.expected_cost, naive.cost.variance, naive.cost.objective);
  printf("optimal: E = %.0f USD, V = %.4g USD^2, E + lambda V = %.0f; kappa = %.4f/day, "
         "half-life %.2f days\n",
         opt.cost.expected_cost, opt.cost.variance, opt.cost.objective, opt.kappa,
         opt.half_life);

  check("frontier", perpcore_ac_efficient_frontier(frontier, 4, &written, msg, sizeof msg, &p,
                                                   lambdas, 4),
        msg);
  printf("efficient frontier:\n");
  for (i = 0; i < written; ++i) {
    printf("  lambda %-6g E = %9.0f  V = %.4g\n", frontier[i].lambda,
           frontier[i].cost.expected_cost, frontier[i].cost.variance);
  }

  /* The same sale as a long perpetual position: taker fees of 5 bp on a
   * 50 USD price, and 0.01 USD of funding per unit held per day. */
  {
    perpcore_ext_params e;
    perpcore_ext_result r;
    const double sigma = 0.95, spread = 0.0625, funding = 0.01;
    perpcore_ext_params_init(&e);
    e.shares = 1e6;
    e.horizon = 5;
    e.intervals = N;
    e.eta = 2.5e-6;
    e.gamma = 2.5e-7;
    e.lambda = 1e-6;
    e.reference_price = 50;
    e.taker_fee_rate = 5e-4;
    e.sigma = &sigma;
    e.sigma_len = 1;
    e.spread = &spread;
    e.spread_len = 1;
    e.funding = &funding;
    e.funding_len = 1;
    perpcore_ext_result_init(&r);
    check("perpetual", perpcore_ext_optimal_schedule(&r, x, N + 1, n, N, &written, msg,
                                                     sizeof msg, &e, NULL),
          msg);
    print_schedule("perpetual", x);
    printf("perpetual: E = %.0f USD (impact %.0f + %.0f, spread %.0f, fees %.0f, funding %.0f), "
           "method %u, converged %u\n",
           r.cost.expected_cost, r.cost.permanent_impact, r.cost.temporary_impact,
           r.cost.spread, r.cost.fees, r.cost.funding, (unsigned)r.method,
           (unsigned)r.converged);
  }

  /* Misuse is a status and a message, never a crash. */
  p.sigma = -1;
  {
    const perpcore_status s =
        perpcore_ac_optimal_schedule(&opt, x, N + 1, n, N, NULL, msg, sizeof msg, &p);
    printf("with sigma = -1: %s: %s\n", perpcore_status_name(s), msg);
  }
  printf("execution_c: ok\n");
  return 0;
}
