/*
 * The analytics part of the C API (perpcore_ac_*, perpcore_ext_*), compiled
 * as C11 with -pedantic -Werror: the Almgren-Chriss paper example with
 * values worked out here by hand or from the closed form with <math.h>, the
 * perpetual solver against the classic one, and the misuse cases, each of
 * which must return its status and write nothing but the message.
 *
 * The example (Almgren & Chriss 2000, section 3): X = 1e6 shares, T = 5
 * days, N = 5 (tau = 1), sigma = 0.95, eta = 2.5e-6, gamma = 2.5e-7,
 * epsilon = 0.0625, so eta_tilde = eta - gamma tau / 2 = 2.375e-6.
 *
 * The analytics are the header's experimental part: this file opts in.
 */
#define PERPCORE_EXPERIMENTAL
#include "perpcore/perpcore.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_harness.h"

/* ------------------------------------------------------------------------- */
/* The checks of this file, on top of check_harness.h                        */
/* ------------------------------------------------------------------------- */

/* |actual - expected| <= rel * max(|expected|, 1e-300), or both equal. */
#define CHECK_NEAR(actual, expected, rel)                                            \
  do {                                                                               \
    const double a_ = (actual);                                                      \
    const double e_ = (expected);                                                    \
    ++g_checks;                                                                      \
    if (!(a_ == e_ || fabs(a_ - e_) <= (rel) * fmax(fabs(e_), 1e-300))) {            \
      fprintf(stderr, "%s:%d: %s == %.17g, expected %s == %.17g\n", __FILE__,        \
              __LINE__, #actual, a_, #expected, e_);                                 \
      ++g_failures;                                                                  \
    }                                                                                \
  } while (0)

#define CHECK_CONTAINS(text, part)                                                   \
  do {                                                                               \
    ++g_checks;                                                                      \
    if (strstr((text), (part)) == NULL) {                                            \
      fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__, \
              (text), (part));                                                       \
      ++g_failures;                                                                  \
    }                                                                                \
  } while (0)

#define N 5
#define FILL 0xAB /* a byte pattern that marks "not written" */

static char g_msg[PERPCORE_MESSAGE_CAPACITY];

static int all_bytes(const void *p, size_t n, unsigned char value) {
  const unsigned char *b = (const unsigned char *)p;
  size_t i;
  for (i = 0; i < n; ++i) {
    if (b[i] != value) return 0;
  }
  return 1;
}

static perpcore_ac_params paper(double lambda) {
  perpcore_ac_params p;
  perpcore_ac_params_init(&p);
  p.shares = 1e6;
  p.horizon = 5;
  p.intervals = N;
  p.sigma = 0.95;
  p.eta = 2.5e-6;
  p.gamma = 2.5e-7;
  p.epsilon = 0.0625;
  p.lambda = lambda;
  return p;
}

/* The perpetual problem equal to paper(lambda): spread = epsilon, no fees,
 * no latency, no funding or drift, delta = 1. */
static const double k_sigma = 0.95;
static const double k_spread = 0.0625;
static perpcore_ext_params paper_ext(double lambda) {
  perpcore_ext_params p;
  perpcore_ext_params_init(&p);
  p.shares = 1e6;
  p.horizon = 5;
  p.intervals = N;
  p.eta = 2.5e-6;
  p.gamma = 2.5e-7;
  p.lambda = lambda;
  p.sigma = &k_sigma;
  p.sigma_len = 1;
  p.spread = &k_spread;
  p.spread_len = 1;
  return p;
}

/* E and V of a holdings path by the formulas of the header, summed here. */
static void cost_by_hand(const perpcore_ac_params *p, const double *x, double *e, double *v) {
  const double tau = p->horizon / p->intervals;
  const double eta_tilde = p->eta - p->gamma * tau / 2;
  double abs_n = 0, sq_n = 0, sq_x = 0;
  int k;
  for (k = 1; k <= p->intervals; ++k) {
    const double n = x[k - 1] - x[k];
    abs_n += fabs(n);
    sq_n += n * n;
    sq_x += x[k] * x[k];
  }
  *e = p->gamma * p->shares * p->shares / 2 + p->epsilon * abs_n + eta_tilde / tau * sq_n;
  *v = p->sigma * p->sigma * tau * sq_x;
}

/* ------------------------------------------------------------------------- */
/* Classic model                                                             */
/* ------------------------------------------------------------------------- */

static void test_naive_and_immediate(void) {
  const perpcore_ac_params p = paper(1e-6);
  perpcore_ac_result r;
  double x[N + 1], n[N];
  size_t written = 0;
  int k;

  perpcore_ac_result_init(&r);
  memset(g_msg, 'x', sizeof g_msg);
  CHECK_OK(perpcore_ac_naive_schedule(&r, x, N + 1, n, N, &written, g_msg, sizeof g_msg, &p));
  CHECK(written == N + 1);
  CHECK(g_msg[0] == '\0'); /* "" on success */
  for (k = 0; k <= N; ++k) CHECK_NEAR(x[k], 1e6 * (N - k) / N, 1e-15);
  for (k = 0; k < N; ++k) CHECK_NEAR(n[k], 2e5, 1e-12);
  /* E = gamma X^2 / 2 + eps X + eta_tilde / tau * 5 (2e5)^2
   *   = 125,000 + 62,500 + 2.375e-6 * 2e11 = 662,500;
   * V = 0.95^2 (8^2 + 6^2 + 4^2 + 2^2) 1e10 = 0.9025 * 1.2e12 = 1.083e12. */
  CHECK_NEAR(r.cost.expected_cost, 662500.0, 1e-13);
  CHECK_NEAR(r.cost.variance, 1.083e12, 1e-13);
  CHECK_NEAR(r.cost.objective, 662500.0 + 1e-6 * 1.083e12, 1e-13);
  CHECK(r.kappa == 0);
  CHECK(isinf(r.half_life));
  CHECK(r.struct_size == sizeof r);

  /* Everything in the first interval: E = 125,000 + 62,500 + 2.375e-6 * 1e12. */
  CHECK_OK(perpcore_ac_immediate_schedule(&r, x, N + 1, n, N, &written, NULL, 0, &p));
  CHECK(x[0] == 1e6 && x[1] == 0 && x[N] == 0 && n[0] == 1e6 && n[1] == 0);
  CHECK_NEAR(r.cost.expected_cost, 2562500.0, 1e-13);
  CHECK(r.cost.variance == 0);
  CHECK(isinf(r.kappa) && r.half_life == 0);
}

static void test_optimal_closed_form(void) {
  const double lambda = 1e-6;
  const perpcore_ac_params p = paper(lambda);
  const double tau = 1, eta_tilde = 2.375e-6;
  const double kappa = 2 * asinh(tau * sqrt(lambda * 0.95 * 0.95 / eta_tilde) / 2) / tau;
  double want[N + 1], x[N + 1], n[N], e, v;
  perpcore_ac_result r, naive, immediate;
  size_t written = 0;
  int k;

  for (k = 0; k <= N; ++k) want[k] = 1e6 * sinh(kappa * (5 - k * tau)) / sinh(kappa * 5);
  want[N] = 0;
  cost_by_hand(&p, want, &e, &v);

  perpcore_ac_result_init(&r);
  CHECK_OK(perpcore_ac_optimal_schedule(&r, x, N + 1, n, N, &written, g_msg, sizeof g_msg, &p));
  CHECK(written == N + 1);
  CHECK_NEAR(r.kappa, kappa, 1e-14);
  CHECK_NEAR(r.half_life, 1 / kappa, 1e-14);
  for (k = 0; k <= N; ++k) CHECK_NEAR(x[k], want[k], 1e-12);
  for (k = 0; k < N; ++k) CHECK_NEAR(n[k], x[k] - x[k + 1], 1e-15);
  CHECK(x[0] == 1e6 && x[N] == 0);
  CHECK_NEAR(r.cost.expected_cost, e, 1e-11);
  CHECK_NEAR(r.cost.variance, v, 1e-11);
  CHECK_NEAR(r.cost.objective, e + lambda * v, 1e-11);
  /* kappa^2 ~ 0.38 per day here; the schedule front-loads. */
  CHECK(n[0] > n[1] && n[1] > n[2] && n[2] > n[3] && n[3] > n[4]);

  /* It beats the naive and immediate schedules on the objective. */
  perpcore_ac_result_init(&naive);
  perpcore_ac_result_init(&immediate);
  CHECK_OK(perpcore_ac_naive_schedule(&naive, x, N + 1, n, N, NULL, NULL, 0, &p));
  CHECK_OK(perpcore_ac_immediate_schedule(&immediate, x, N + 1, n, N, NULL, NULL, 0, &p));
  CHECK(r.cost.objective < naive.cost.objective);
  CHECK(r.cost.objective < immediate.cost.objective);

  /* lambda = 0: the straight line. */
  {
    const perpcore_ac_params p0 = paper(0);
    CHECK_OK(perpcore_ac_optimal_schedule(&r, x, N + 1, n, N, NULL, NULL, 0, &p0));
    CHECK(r.kappa == 0);
    for (k = 0; k <= N; ++k) CHECK_NEAR(x[k], 1e6 * (N - k) / N, 1e-15);
    CHECK_NEAR(r.cost.expected_cost, 662500.0, 1e-13);
  }

  /* A purchase (X < 0) mirrors the sale. */
  {
    perpcore_ac_params buy = p;
    double y[N + 1];
    buy.shares = -1e6;
    CHECK_OK(perpcore_ac_optimal_schedule(&r, y, N + 1, n, N, NULL, NULL, 0, &buy));
    for (k = 0; k <= N; ++k) CHECK_NEAR(y[k], -want[k], 1e-12);
  }

  /* Larger capacities are fine: only N + 1 and N entries are written. */
  {
    double big_x[N + 3], big_n[N + 3];
    memset(big_x, FILL, sizeof big_x);
    memset(big_n, FILL, sizeof big_n);
    CHECK_OK(perpcore_ac_optimal_schedule(&r, big_x, N + 3, big_n, N + 3, &written, NULL, 0, &p));
    CHECK(written == N + 1);
    CHECK(all_bytes(&big_x[N + 1], 2 * sizeof(double), FILL));
    CHECK(all_bytes(&big_n[N], 3 * sizeof(double), FILL));
  }
}

static void test_evaluate(void) {
  const perpcore_ac_params p = paper(1e-6);
  const double naive[N + 1] = {1e6, 8e5, 6e5, 4e5, 2e5, 0};
  double path[N + 1] = {1e6, 5e5, 5e5, 2e5, 1e5, 0};
  double e, v;
  perpcore_ac_cost c;

  CHECK_OK(perpcore_ac_evaluate_schedule(&c, g_msg, sizeof g_msg, &p, naive, N + 1));
  CHECK_NEAR(c.expected_cost, 662500.0, 1e-13);
  CHECK_NEAR(c.variance, 1.083e12, 1e-13);
  CHECK_NEAR(c.objective, 662500.0 + 1.083e6, 1e-13);

  cost_by_hand(&p, path, &e, &v);
  CHECK_OK(perpcore_ac_evaluate_schedule(&c, NULL, 0, &p, path, N + 1));
  CHECK_NEAR(c.expected_cost, e, 1e-13);
  CHECK_NEAR(c.variance, v, 1e-13);

  /* A path that does not end at 0, or has the wrong length: nothing written. */
  memset(&c, FILL, sizeof c);
  path[N] = 1;
  CHECK_STATUS(perpcore_ac_evaluate_schedule(&c, g_msg, sizeof g_msg, &p, path, N + 1),
               PERPCORE_E_INVALID_PARAM);
  CHECK_CONTAINS(g_msg, "holdings must end at 0");
  CHECK_STATUS(perpcore_ac_evaluate_schedule(&c, g_msg, sizeof g_msg, &p, naive, N),
               PERPCORE_E_INVALID_PARAM);
  CHECK_CONTAINS(g_msg, "holdings");
  CHECK_STATUS(perpcore_ac_evaluate_schedule(&c, g_msg, sizeof g_msg, &p, NULL, N + 1),
               PERPCORE_E_ILLEGAL_ARG);
  CHECK_CONTAINS(g_msg, "holdings is NULL");
  CHECK_STATUS(perpcore_ac_evaluate_schedule(NULL, g_msg, sizeof g_msg, &p, naive, N + 1),
               PERPCORE_E_ILLEGAL_ARG);
  CHECK_STATUS(perpcore_ac_evaluate_schedule(&c, g_msg, sizeof g_msg, NULL, naive, N + 1),
               PERPCORE_E_ILLEGAL_ARG);
  CHECK(all_bytes(&c, sizeof c, FILL));
}

static void test_frontier(void) {
  const perpcore_ac_params p = paper(123); /* lambda is ignored */
  const double lambdas[3] = {0, 1e-6, 1e-5};
  perpcore_ac_frontier_point pts[4];
  perpcore_ac_result r;
  double x[N + 1], n[N];
  size_t written = 0;

  memset(pts, FILL, sizeof pts);
  CHECK_OK(perpcore_ac_efficient_frontier(pts, 4, &written, g_msg, sizeof g_msg, &p, lambdas, 3));
  CHECK(written == 3);
  CHECK(all_bytes(&pts[3], sizeof pts[3], FILL));
  CHECK(pts[0].lambda == 0 && pts[0].kappa == 0);
  CHECK_NEAR(pts[0].cost.expected_cost, 662500.0, 1e-13);
  CHECK_NEAR(pts[0].cost.objective, 662500.0, 1e-13);
  /* Each point is the optimum at its lambda. */
  {
    const perpcore_ac_params p1 = paper(1e-6);
    perpcore_ac_result_init(&r);
    CHECK_OK(perpcore_ac_optimal_schedule(&r, x, N + 1, n, N, NULL, NULL, 0, &p1));
    CHECK(pts[1].lambda == 1e-6);
    CHECK(pts[1].kappa == r.kappa);
    CHECK(pts[1].cost.expected_cost == r.cost.expected_cost);
    CHECK(pts[1].cost.variance == r.cost.variance);
    CHECK(pts[1].cost.objective == r.cost.objective);
  }
  /* More risk aversion: more expected cost, less variance. */
  CHECK(pts[0].cost.expected_cost < pts[1].cost.expected_cost);
  CHECK(pts[1].cost.expected_cost < pts[2].cost.expected_cost);
  CHECK(pts[0].cost.variance > pts[1].cost.variance);
  CHECK(pts[1].cost.variance > pts[2].cost.variance);

  /* No lambdas: nothing to do. */
  written = 99;
  CHECK_OK(perpcore_ac_efficient_frontier(NULL, 0, &written, NULL, 0, &p, NULL, 0));
  CHECK(written == 0);

  /* Too small: nothing written, the count needed reported. */
  memset(pts, FILL, sizeof pts);
  CHECK_STATUS(perpcore_ac_efficient_frontier(pts, 2, &written, g_msg, sizeof g_msg, &p,
                                              lambdas, 3),
               PERPCORE_E_BUFFER_TOO_SMALL);
  CHECK(written == 3);
  CHECK_CONTAINS(g_msg, "perpcore_ac_efficient_frontier");
  CHECK_STATUS(perpcore_ac_efficient_frontier(NULL, 0, &written, NULL, 0, &p, lambdas, 3),
               PERPCORE_E_BUFFER_TOO_SMALL);
  CHECK(written == 3);

  /* A negative lambda fails the whole call. */
  {
    const double bad[3] = {0, -1e-6, 1e-5};
    written = 77;
    CHECK_STATUS(perpcore_ac_efficient_frontier(pts, 4, &written, g_msg, sizeof g_msg, &p, bad,
                                                3),
                 PERPCORE_E_INVALID_PARAM);
    CHECK_CONTAINS(g_msg, "lambda must be >= 0");
    CHECK(written == 77);
  }
  CHECK_STATUS(perpcore_ac_efficient_frontier(pts, 4, &written, NULL, 0, &p, NULL, 3),
               PERPCORE_E_ILLEGAL_ARG);
  CHECK_STATUS(perpcore_ac_efficient_frontier(NULL, 4, &written, NULL, 0, &p, lambdas, 3),
               PERPCORE_E_ILLEGAL_ARG);
  CHECK(all_bytes(pts, sizeof pts, FILL));
}

/* Misuse of the classic schedule calls: every case returns its status and
 * writes nothing (out, arrays and written keep their FILL bytes). */
static void test_classic_misuse(void) {
  perpcore_ac_params p;
  perpcore_ac_result r;
  double x[N + 1], n[N];
  size_t written;

#define EXPECT_NOTHING_WRITTEN()                         \
  do {                                                   \
    CHECK(all_bytes(x, sizeof x, FILL));                 \
    CHECK(all_bytes(n, sizeof n, FILL));                 \
    CHECK(all_bytes(&r.pad0, sizeof r - 4, FILL));       \
  } while (0)
#define RESET()                                          \
  do {                                                   \
    memset(x, FILL, sizeof x);                           \
    memset(n, FILL, sizeof n);                           \
    memset(&r, FILL, sizeof r);                          \
    r.struct_size = (uint32_t)sizeof r;                  \
    written = 12345;                                     \
    p = paper(1e-6);                                     \
  } while (0)
#define EXPECT_PARAM(field_assignment, status, text)                                         \
  do {                                                                                       \
    RESET();                                                                                 \
    field_assignment;                                                                        \
    CHECK_STATUS(perpcore_ac_optimal_schedule(&r, x, N + 1, n, N, &written, g_msg,           \
                                              sizeof g_msg, &p),                             \
                 status);                                                                    \
    CHECK_CONTAINS(g_msg, text);                                                             \
    CHECK(written == 12345);                                                                 \
    EXPECT_NOTHING_WRITTEN();                                                                \
  } while (0)

  EXPECT_PARAM(p.intervals = 0, PERPCORE_E_INVALID_PARAM, "intervals must be >= 1");
  EXPECT_PARAM(p.intervals = -3, PERPCORE_E_INVALID_PARAM, "intervals");
  EXPECT_PARAM(p.horizon = 0, PERPCORE_E_INVALID_PARAM, "horizon must be > 0");
  EXPECT_PARAM(p.horizon = -1, PERPCORE_E_INVALID_PARAM, "horizon");
  EXPECT_PARAM(p.sigma = -0.95, PERPCORE_E_INVALID_PARAM, "sigma must be >= 0");
  EXPECT_PARAM(p.eta = 1.25e-7, PERPCORE_E_INVALID_PARAM, "eta_tilde"); /* = gamma tau / 2 */
  EXPECT_PARAM(p.eta = 0, PERPCORE_E_INVALID_PARAM, "eta");
  EXPECT_PARAM(p.lambda = -1, PERPCORE_E_INVALID_PARAM, "lambda must be >= 0");
  EXPECT_PARAM(p.epsilon = -1, PERPCORE_E_INVALID_PARAM, "epsilon");
  EXPECT_PARAM(p.shares = NAN, PERPCORE_E_INVALID_PARAM, "shares must be finite");
  EXPECT_PARAM(p.sigma = INFINITY, PERPCORE_E_INVALID_PARAM, "sigma must be finite");
  EXPECT_PARAM((p.alpha = 1, p.lambda = 0), PERPCORE_E_INVALID_PARAM, "alpha");
  /* Valid but not representable: kappa overflows; a cost overflows. */
  EXPECT_PARAM((p.lambda = 1e300, p.sigma = 1e10), PERPCORE_E_NOT_REPRESENTABLE,
               "not representable");
  EXPECT_PARAM(p.shares = 1e200, PERPCORE_E_NOT_REPRESENTABLE, "not representable");

  /* NULL pointers. */
  RESET();
  CHECK_STATUS(perpcore_ac_optimal_schedule(NULL, x, N + 1, n, N, &written, g_msg, sizeof g_msg,
                                            &p),
               PERPCORE_E_ILLEGAL_ARG);
  CHECK_CONTAINS(g_msg, "out is NULL");
  CHECK_STATUS(perpcore_ac_optimal_schedule(&r, x, N + 1, n, N, &written, g_msg, sizeof g_msg,
                                            NULL),
               PERPCORE_E_ILLEGAL_ARG);
  CHECK_CONTAINS(g_msg, "params is NULL");
  CHECK_STATUS(perpcore_ac_naive_schedule(&r, NULL, N + 1, n, N, &written, g_msg, sizeof g_msg,
                                          &p),
               PERPCORE_E_ILLEGAL_ARG);
  CHECK_CONTAINS(g_msg, "holdings is NULL with holdings_len > 0");
  CHECK_STATUS(perpcore_ac_immediate_schedule(&r, x, N + 1, NULL, N, &written, g_msg,
                                              sizeof g_msg, &p),
               PERPCORE_E_ILLEGAL_ARG);
  CHECK_CONTAINS(g_msg, "trades is NULL with trades_len > 0");
  /* message NULL with a length: misuse, nothing can be said. */
  CHECK_STATUS(perpcore_ac_optimal_schedule(&r, x, N + 1, n, N, &written, NULL, 16, &p),
               PERPCORE_E_ILLEGAL_ARG);
  CHECK(written == 12345);
  EXPECT_NOTHING_WRITTEN();

  /* Too-small buffers: the count needed, nothing else. */
  RESET();
  CHECK_STATUS(perpcore_ac_optimal_schedule(&r, x, N, n, N, &written, g_msg, sizeof g_msg, &p),
               PERPCORE_E_BUFFER_TOO_SMALL);
  CHECK(written == N + 1);
  CHECK_CONTAINS(g_msg, "holdings needs intervals + 1 = 6 entries");
  EXPECT_NOTHING_WRITTEN();
  written = 0;
  CHECK_STATUS(perpcore_ac_naive_schedule(&r, x, N + 1, n, N - 1, &written, NULL, 0, &p),
               PERPCORE_E_BUFFER_TOO_SMALL);
  CHECK(written == N + 1);
  written = 0;
  CHECK_STATUS(perpcore_ac_immediate_schedule(&r, NULL, 0, NULL, 0, &written, NULL, 0, &p),
               PERPCORE_E_BUFFER_TOO_SMALL); /* asks for the size */
  CHECK(written == N + 1);
  CHECK_STATUS(perpcore_ac_optimal_schedule(&r, NULL, 0, NULL, 0, NULL, NULL, 0, &p),
               PERPCORE_E_BUFFER_TOO_SMALL);
  EXPECT_NOTHING_WRITTEN();

  /* struct_size: too small, absurd, or trailing bytes set. */
  RESET();
  p.struct_size = 0;
  CHECK_STATUS(perpcore_ac_optimal_schedule(&r, x, N + 1, n, N, &written, g_msg, sizeof g_msg,
                                            &p),
               PERPCORE_E_STRUCT_SIZE);
  CHECK_CONTAINS(g_msg, "params->struct_size");
  p.struct_size = (uint32_t)sizeof p - 8;
  CHECK_STATUS(perpcore_ac_optimal_schedule(&r, x, N + 1, n, N, &written, NULL, 0, &p),
               PERPCORE_E_STRUCT_SIZE);
  p = paper(1e-6);
  r.struct_size = 8;
  CHECK_STATUS(perpcore_ac_optimal_schedule(&r, x, N + 1, n, N, &written, g_msg, sizeof g_msg,
                                            &p),
               PERPCORE_E_STRUCT_SIZE);
  CHECK_CONTAINS(g_msg, "out->struct_size");
  r.struct_size = (uint32_t)sizeof r + 1;
  CHECK_STATUS(perpcore_ac_optimal_schedule(&r, x, N + 1, n, N, &written, NULL, 0, &p),
               PERPCORE_E_STRUCT_SIZE);
  CHECK(written == 12345);
  CHECK(all_bytes(x, sizeof x, FILL));
  {
    /* A newer caller's larger structs: refused, trailing bytes zero or not,
     * and nothing written. */
    union {
      perpcore_ac_params p;
      unsigned char bytes[sizeof(perpcore_ac_params) + 16];
    } in;
    union {
      perpcore_ac_result r;
      unsigned char bytes[sizeof(perpcore_ac_result) + 16];
    } out;
    memset(&in, 0, sizeof in);
    in.p = paper(1e-6);
    in.p.struct_size = (uint32_t)sizeof in.bytes;
    memset(&out, FILL, sizeof out);
    out.r.struct_size = (uint32_t)sizeof out.bytes;
    CHECK_STATUS(perpcore_ac_optimal_schedule(&out.r, x, N + 1, n, N, NULL, NULL, 0, &in.p),
                 PERPCORE_E_STRUCT_SIZE);
    in.p.struct_size = (uint32_t)sizeof in.p;
    CHECK_STATUS(perpcore_ac_optimal_schedule(&out.r, x, N + 1, n, N, NULL, NULL, 0, &in.p),
                 PERPCORE_E_STRUCT_SIZE);
    CHECK(out.r.struct_size == sizeof out.bytes);
    CHECK(all_bytes(&out.bytes[sizeof(uint32_t)], sizeof out.bytes - sizeof(uint32_t), FILL));
    out.r.struct_size = (uint32_t)sizeof out.r;
    in.p.struct_size = (uint32_t)sizeof in.bytes;
    CHECK_STATUS(perpcore_ac_optimal_schedule(&out.r, x, N + 1, n, N, NULL, NULL, 0, &in.p),
                 PERPCORE_E_STRUCT_SIZE);
  }
#undef EXPECT_PARAM
#undef RESET
#undef EXPECT_NOTHING_WRITTEN
}

static void test_message_truncation(void) {
  perpcore_ac_params p = paper(1e-6);
  perpcore_ac_result r;
  double x[N + 1], n[N];
  char full[PERPCORE_MESSAGE_CAPACITY], small[8], one[1];
  perpcore_ac_result_init(&r);
  p.sigma = -2;
  CHECK_STATUS(perpcore_ac_optimal_schedule(&r, x, N + 1, n, N, NULL, full, sizeof full, &p),
               PERPCORE_E_INVALID_PARAM);
  CHECK(strcmp(full, "Almgren-Chriss: sigma must be >= 0 (got -2)") == 0);
  memset(small, 'x', sizeof small);
  CHECK_STATUS(perpcore_ac_optimal_schedule(&r, x, N + 1, n, N, NULL, small, sizeof small, &p),
               PERPCORE_E_INVALID_PARAM);
  CHECK(small[7] == '\0' && strlen(small) == 7 && strncmp(small, full, 7) == 0);
  one[0] = 'x';
  CHECK_STATUS(perpcore_ac_optimal_schedule(&r, x, N + 1, n, N, NULL, one, 1, &p),
               PERPCORE_E_INVALID_PARAM);
  CHECK(one[0] == '\0');
  /* Every status has a name. */
  CHECK(strcmp(perpcore_status_name(PERPCORE_E_INVALID_PARAM), "PERPCORE_E_INVALID_PARAM") == 0);
  CHECK(strcmp(perpcore_status_name(PERPCORE_E_NOT_REPRESENTABLE),
               "PERPCORE_E_NOT_REPRESENTABLE") == 0);
  CHECK(PERPCORE_E_INVALID_PARAM == -1008 && PERPCORE_E_NOT_REPRESENTABLE == -1009);
}

/* ------------------------------------------------------------------------- */
/* Perpetual model                                                           */
/* ------------------------------------------------------------------------- */

static void test_ext_equals_classic(void) {
  const double lambda = 1e-6;
  const perpcore_ac_params ac = paper(lambda);
  const perpcore_ext_params p = paper_ext(lambda);
  perpcore_ac_result cr;
  perpcore_ext_result er;
  perpcore_ext_cost ec;
  double cx[N + 1], cn[N], x[N + 1], n[N];
  size_t written = 0;
  int k;

  perpcore_ac_result_init(&cr);
  perpcore_ext_result_init(&er);
  CHECK_OK(perpcore_ac_optimal_schedule(&cr, cx, N + 1, cn, N, NULL, NULL, 0, &ac));
  memset(g_msg, 'x', sizeof g_msg);
  CHECK_OK(perpcore_ext_optimal_schedule(&er, x, N + 1, n, N, &written, g_msg, sizeof g_msg, &p,
                                         NULL));
  CHECK(g_msg[0] == '\0');
  CHECK(written == N + 1);
  CHECK(er.method == PERPCORE_EXT_METHOD_CLOSED_FORM);
  CHECK(er.converged == 1 && er.iterations == 0 && er.active_constraints == 0);
  CHECK(er.kkt_residual <= 1e-10);
  for (k = 0; k <= N; ++k) CHECK_NEAR(x[k], cx[k], 1e-14);
  for (k = 0; k < N; ++k) CHECK_NEAR(n[k], cn[k], 1e-13);
  CHECK_NEAR(er.cost.expected_cost, cr.cost.expected_cost, 1e-11);
  CHECK_NEAR(er.cost.variance, cr.cost.variance, 1e-12);
  CHECK_NEAR(er.cost.objective, cr.cost.objective, 1e-11);
  CHECK_NEAR(er.cost.spread, 0.0625 * 1e6, 1e-14); /* one-sided: eps X */
  CHECK(er.cost.fees == 0 && er.cost.latency == 0 && er.cost.funding == 0 &&
        er.cost.drift == 0);
  CHECK_NEAR(er.cost.permanent_impact + er.cost.temporary_impact + er.cost.spread,
             er.cost.expected_cost, 1e-13);

  /* The same options spelled out, and sigma as N equal entries. */
  {
    const double sigmas[N] = {0.95, 0.95, 0.95, 0.95, 0.95};
    perpcore_ext_params q = p;
    perpcore_ext_options o;
    perpcore_ext_options_init(&o);
    q.sigma = sigmas;
    q.sigma_len = N;
    CHECK_OK(perpcore_ext_optimal_schedule(&er, x, N + 1, n, N, NULL, NULL, 0, &q, &o));
    CHECK(er.method == PERPCORE_EXT_METHOD_CLOSED_FORM);
    for (k = 0; k <= N; ++k) CHECK_NEAR(x[k], cx[k], 1e-14);
  }

  /* Evaluating the naive path: the classic naive cost. */
  {
    const double naive[N + 1] = {1e6, 8e5, 6e5, 4e5, 2e5, 0};
    CHECK_OK(perpcore_ext_evaluate_schedule(&ec, g_msg, sizeof g_msg, &p, naive, N + 1));
    CHECK_NEAR(ec.expected_cost, 662500.0, 1e-12);
    CHECK_NEAR(ec.variance, 1.083e12, 1e-13);
    CHECK_NEAR(ec.objective, 662500.0 + 1.083e6, 1e-12);
    CHECK_NEAR(ec.spread, 62500.0, 1e-14);
  }

  /* Newton forced: the same optimum, numerically. */
  {
    perpcore_ext_options o;
    perpcore_ext_options_init(&o);
    o.solver = PERPCORE_EXT_SOLVER_NEWTON;
    CHECK_OK(perpcore_ext_optimal_schedule(&er, x, N + 1, n, N, NULL, NULL, 0, &p, &o));
    CHECK(er.method == PERPCORE_EXT_METHOD_NEWTON);
    CHECK(er.converged == 1);
    for (k = 0; k <= N; ++k) CHECK_NEAR(x[k], cx[k], 1e-6);
    CHECK_NEAR(er.cost.objective, cr.cost.objective, 1e-9);
  }
}

static void test_ext_features(void) {
  perpcore_ext_params p = paper_ext(1e-6);
  perpcore_ext_result er;
  double x[N + 1], n[N];
  int k;
  perpcore_ext_result_init(&er);

  /* All maker at 2 bp of a 50 price: fees = 2e-4 * 50 * X on a one-sided
   * sale. */
  {
    const int32_t maker = PERPCORE_EXT_ORDER_MAKER;
    p.order_types = &maker;
    p.order_types_len = 1;
    p.maker_fee_rate = 2e-4;
    p.taker_fee_rate = 5e-4;
    p.reference_price = 50;
    CHECK_OK(perpcore_ext_optimal_schedule(&er, x, N + 1, n, N, NULL, NULL, 0, &p, NULL));
    CHECK_NEAR(er.cost.fees, 2e-4 * 50 * 1e6, 1e-12);
    p = paper_ext(1e-6);
  }

  /* Funding paid on the position: no longer the closed form, and a long
   * that pays funding sells faster. */
  {
    const double funding = 0.01;
    perpcore_ext_result base;
    double bx[N + 1];
    perpcore_ext_result_init(&base);
    CHECK_OK(perpcore_ext_optimal_schedule(&base, bx, N + 1, n, N, NULL, NULL, 0, &p, NULL));
    p.funding = &funding;
    p.funding_len = 1;
    CHECK_OK(perpcore_ext_optimal_schedule(&er, x, N + 1, n, N, NULL, NULL, 0, &p, NULL));
    CHECK(er.method == PERPCORE_EXT_METHOD_TRIDIAGONAL);
    CHECK(er.converged == 1);
    CHECK(er.cost.funding > 0);
    for (k = 1; k < N; ++k) CHECK(x[k] < bx[k]);
    p = paper_ext(1e-6);
  }

  /* Power-law impact (delta = 0.6, gamma = 0): Newton. */
  {
    p.delta = 0.6;
    p.gamma = 0;
    CHECK_OK(perpcore_ext_optimal_schedule(&er, x, N + 1, n, N, NULL, NULL, 0, &p, NULL));
    CHECK(er.method == PERPCORE_EXT_METHOD_NEWTON);
    CHECK(er.converged == 1);
    CHECK(x[0] == 1e6 && x[N] == 0);
    for (k = 0; k < N; ++k) CHECK(n[k] >= 0);
    p = paper_ext(1e-6);
  }
}

static void test_ext_misuse(void) {
  perpcore_ext_params p;
  perpcore_ext_options o;
  perpcore_ext_result r;
  perpcore_ext_cost c;
  double x[N + 1], n[N];
  size_t written;

#define RESET()                          \
  do {                                   \
    memset(x, FILL, sizeof x);           \
    memset(n, FILL, sizeof n);           \
    memset(&r, FILL, sizeof r);          \
    r.struct_size = (uint32_t)sizeof r;  \
    memset(&c, FILL, sizeof c);          \
    written = 12345;                     \
    p = paper_ext(1e-6);                 \
    perpcore_ext_options_init(&o);       \
  } while (0)
#define EXPECT_NOTHING_WRITTEN()                          \
  do {                                                    \
    CHECK(all_bytes(x, sizeof x, FILL));                  \
    CHECK(all_bytes(n, sizeof n, FILL));                  \
    CHECK(all_bytes(&r.method, sizeof r - 4, FILL));      \
    CHECK(all_bytes(&c, sizeof c, FILL));                 \
    CHECK(written == 12345);                              \
  } while (0)
/* The schedule call fails with `status`; with `eval`, so does evaluating a
 * path from X to 0 under the same params (options are not its input). */
#define EXPECT_EXT(setup, status, text, eval)                                               \
  do {                                                                                      \
    RESET();                                                                                \
    setup;                                                                                  \
    CHECK_STATUS(perpcore_ext_optimal_schedule(&r, x, N + 1, n, N, &written, g_msg,         \
                                               sizeof g_msg, &p, &o),                       \
                 status);                                                                   \
    CHECK_CONTAINS(g_msg, text);                                                            \
    if (eval) {                                                                             \
      double path_[N + 1] = {0, 8e5, 6e5, 4e5, 2e5, 0};                                     \
      path_[0] = p.shares;                                                                  \
      CHECK_STATUS(perpcore_ext_evaluate_schedule(&c, g_msg, sizeof g_msg, &p, path_,       \
                                                  N + 1),                                   \
                   status);                                                                 \
      CHECK_CONTAINS(g_msg, text);                                                          \
    }                                                                                       \
    EXPECT_NOTHING_WRITTEN();                                                               \
  } while (0)

  EXPECT_EXT(p.intervals = 0, PERPCORE_E_INVALID_PARAM, "intervals must be >= 1", 1);
  EXPECT_EXT(p.horizon = 0, PERPCORE_E_INVALID_PARAM, "horizon must be > 0", 1);
  EXPECT_EXT(p.delta = 2.5, PERPCORE_E_INVALID_PARAM, "delta must be in (0, 2]", 1);
  EXPECT_EXT(p.delta = 0, PERPCORE_E_INVALID_PARAM, "delta must be in (0, 2]", 1);
  EXPECT_EXT(p.delta = NAN, PERPCORE_E_INVALID_PARAM, "delta must be finite", 1);
  EXPECT_EXT(p.delta = 1.5, PERPCORE_E_INVALID_PARAM, "gamma must be 0 when delta != 1", 1);
  EXPECT_EXT(p.eta = 1.25e-7, PERPCORE_E_INVALID_PARAM, "eta_tilde", 1);
  EXPECT_EXT(p.latency = -1, PERPCORE_E_INVALID_PARAM, "latency must be >= 0", 1);
  {
    static const double neg = -0.95;
    EXPECT_EXT((p.sigma = &neg), PERPCORE_E_INVALID_PARAM, "sigma must be >= 0", 1);
  }
  {
    static const double three[3] = {0.9, 0.95, 1.0};
    EXPECT_EXT((p.sigma = three, p.sigma_len = 3), PERPCORE_E_INVALID_PARAM,
               "sigma must have 0, 1 or intervals = 5 entries", 1);
  }
  EXPECT_EXT(p.spread = NULL, PERPCORE_E_ILLEGAL_ARG, "params->spread is NULL with spread_len > 0", 1);
  EXPECT_EXT(p.funding_len = 2, PERPCORE_E_ILLEGAL_ARG, "params->funding is NULL", 1);
  {
    static const int32_t types[2] = {PERPCORE_EXT_ORDER_MAKER, 2};
    EXPECT_EXT((p.order_types = types, p.order_types_len = 2), PERPCORE_E_ILLEGAL_ARG,
               "params->order_types[1] = 2", 1);
  }
  EXPECT_EXT(p.order_types_len = 1, PERPCORE_E_ILLEGAL_ARG, "order_types is NULL", 1);
  EXPECT_EXT(o.solver = 7, PERPCORE_E_ILLEGAL_ARG, "options->solver", 0);
  EXPECT_EXT(o.tolerance = 0, PERPCORE_E_INVALID_PARAM, "tolerance must be in (0, 1)", 0);
  EXPECT_EXT(o.max_iterations = -1, PERPCORE_E_INVALID_PARAM, "max_iterations", 0);
  EXPECT_EXT(p.struct_size = 4, PERPCORE_E_STRUCT_SIZE, "params->struct_size", 1);
  EXPECT_EXT((p.shares = 1e200, p.gamma = 0), PERPCORE_E_NOT_REPRESENTABLE, "not representable", 1);

  /* Errors of one call only. */
  RESET();
  o.struct_size = 0;
  CHECK_STATUS(perpcore_ext_optimal_schedule(&r, x, N + 1, n, N, &written, g_msg, sizeof g_msg,
                                             &p, &o),
               PERPCORE_E_STRUCT_SIZE);
  CHECK_CONTAINS(g_msg, "options->struct_size");
  r.struct_size = 0;
  CHECK_STATUS(perpcore_ext_optimal_schedule(&r, x, N + 1, n, N, &written, g_msg, sizeof g_msg,
                                             &p, NULL),
               PERPCORE_E_STRUCT_SIZE);
  CHECK_CONTAINS(g_msg, "out->struct_size");
  r.struct_size = (uint32_t)sizeof r;
  CHECK_STATUS(perpcore_ext_optimal_schedule(NULL, x, N + 1, n, N, &written, g_msg, sizeof g_msg,
                                             &p, NULL),
               PERPCORE_E_ILLEGAL_ARG);
  CHECK_STATUS(perpcore_ext_optimal_schedule(&r, x, N + 1, n, N, &written, g_msg, sizeof g_msg,
                                             NULL, NULL),
               PERPCORE_E_ILLEGAL_ARG);
  CHECK_CONTAINS(g_msg, "params is NULL");
  CHECK_STATUS(perpcore_ext_evaluate_schedule(&c, g_msg, sizeof g_msg, &p, NULL, N + 1),
               PERPCORE_E_ILLEGAL_ARG);
  CHECK_STATUS(perpcore_ext_evaluate_schedule(NULL, g_msg, sizeof g_msg, &p, x, N + 1),
               PERPCORE_E_ILLEGAL_ARG);
  CHECK_STATUS(perpcore_ext_evaluate_schedule(&c, g_msg, sizeof g_msg, &p, x, N),
               PERPCORE_E_INVALID_PARAM); /* also: FILL bytes are not X .. 0 */
  EXPECT_NOTHING_WRITTEN();

  /* Too small. */
  CHECK_STATUS(perpcore_ext_optimal_schedule(&r, x, N + 1, n, N - 1, &written, g_msg,
                                             sizeof g_msg, &p, NULL),
               PERPCORE_E_BUFFER_TOO_SMALL);
  CHECK(written == N + 1);
  written = 12345;
  CHECK_STATUS(perpcore_ext_optimal_schedule(&r, NULL, 0, NULL, 0, NULL, NULL, 0, &p, NULL),
               PERPCORE_E_BUFFER_TOO_SMALL);
  EXPECT_NOTHING_WRITTEN();
#undef EXPECT_EXT
#undef EXPECT_NOTHING_WRITTEN
#undef RESET
}

int main(void) {
  test_naive_and_immediate();
  test_optimal_closed_form();
  test_evaluate();
  test_frontier();
  test_classic_misuse();
  test_message_truncation();
  test_ext_equals_classic();
  test_ext_features();
  test_ext_misuse();
  if (g_failures != 0) {
    fprintf(stderr, "c_api_analytics_test: %d of %d checks failed\n", g_failures, g_checks);
    return EXIT_FAILURE;
  }
  printf("c_api_analytics_test: all %d checks passed\n", g_checks);
  return EXIT_SUCCESS;
}
