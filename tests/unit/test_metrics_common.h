/* Helpers shared by the metrics test programs (cmocka 1.1.5 has no double
 * comparison: assert_float_equal converts to float). */
#ifndef CODECBENCH_TEST_METRICS_COMMON_H
#define CODECBENCH_TEST_METRICS_COMMON_H

#include <math.h>

/* Fails unless |a - b| <= tol (NaN always fails; tol 0 asks for equality). */
#define assert_near(a, b, tol) assert_near_impl((a), (b), (tol), #a, __FILE__, __LINE__)

static inline void assert_near_impl(double a, double b, double tol, const char *expr,
                                    const char *file, int line)
{
    if (!(fabs(a - b) <= tol)) {
        print_error("%s = %.17g, expected %.17g (tolerance %g)\n", expr, a, b, tol);
        _fail(file, line);
    }
}

#endif
