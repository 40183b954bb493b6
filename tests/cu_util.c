#include "tests/cu_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int cu_check_mixed(double obt, double exp, double atol, double rtol, const char *what,
                   const char *file, int line)
{
    int ok;
    if (isnan(exp) || isnan(obt)) ok = isnan(exp) && isnan(obt);
    else if (isinf(exp) || isinf(obt)) ok = (obt == exp);
    else ok = fabs(obt - exp) <= atol + rtol * fabs(exp);
    if (!ok) {
        double rel = exp != 0 ? fabs(obt - exp) / fabs(exp) : fabs(obt - exp);
        fprintf(stderr, "\n  %s:%d: %s: expected %.17g, obtained %.17g, rel err %.3g "
                "(atol %.3g, rtol %.3g)\n", file, line, what, exp, obt, rel, atol, rtol);
    }
    return ok;
}

int cu_check_se(double obt, double exp, double se, double k, const char *what,
                const char *file, int line)
{
    int ok = isfinite(obt) && isfinite(se) && fabs(obt - exp) <= k * se;
    if (!ok)
        fprintf(stderr, "\n  %s:%d: %s: expected %.12g, obtained %.12g ± %.3g (%.2f SE, limit %.1f)\n",
                file, line, what, exp, obt, se, se > 0 ? fabs(obt - exp) / se : INFINITY, k);
    return ok;
}

uint64_t cu_seed(uint64_t dflt)
{
    static int printed = 0;
    const char *s = getenv("SPIRELAB_TEST_SEED");
    uint64_t seed = s ? strtoull(s, NULL, 10) : dflt;
    if (!printed) {
        fprintf(stderr, "random tests: SPIRELAB_TEST_SEED=%llu\n", (unsigned long long)seed);
        printed = 1;
    }
    return seed;
}

const char *cu_spirelab_path(void)
{
    const char *p = getenv("SPIRELAB");
    return p ? p : "build/spirelab";
}
