/* codecbench metrics: piecewise cubic Hermite interpolation (PCHIP), private
 * to bdrate.c and its tests. */
#ifndef CODECBENCH_METRICS_PCHIP_H
#define CODECBENCH_METRICS_PCHIP_H

#include <stddef.h>

/* Slopes d[0..n-1] at strictly increasing x[0..n-1] (n >= 3), as MATLAB's
 * pchip and scipy.interpolate.PchipInterpolator choose them. */
void cb_pchip_slopes(const double *x, const double *y, size_t n, double *d);

/* Exact integral over [lo, hi] (x[0] <= lo <= hi <= x[n-1]) of the Hermite
 * cubic through (x, y) with slopes d. */
double cb_pchip_integral(const double *x, const double *y, const double *d, size_t n,
                         double lo, double hi);

#endif
