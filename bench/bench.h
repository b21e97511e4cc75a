/*
** bench.h: timing helpers shared by the C benchmarks: a monotonic clock,
** medians over runs, and one result line per measurement, in a form
** bench/run.sh turns into bench/results.md:
**   RESULT <group> <name> <median> <min> <max> <unit>
*/
#ifndef CA_BENCH_H
#define CA_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int bench_cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

typedef struct bench_stat { double median, min, max; } bench_stat;

static bench_stat bench_summarise(double *v, int n) {
  bench_stat s;
  qsort(v, (size_t)n, sizeof *v, bench_cmp);
  s.min = v[0];
  s.max = v[n - 1];
  s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return s;
}

static void bench_report(const char *group, const char *name, bench_stat s,
                         const char *unit) {
  printf("RESULT %s %s %.4g %.4g %.4g %s\n", group, name, s.median, s.min,
         s.max, unit);
  fflush(stdout);
}

static int bench_runs(void) {
  const char *q = getenv("QUICK");
  return q && *q && *q != '0' ? 5 : 7;
}

static int bench_quick(void) {
  const char *q = getenv("QUICK");
  return q && *q && *q != '0';
}

#endif
