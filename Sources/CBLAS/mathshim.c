// libm's sincos, which Swift's Glibc module does not export. Measured on 2e8 angles in [0, 2π): the same bits as
// sin and cos called separately, so the seeded normal sampler draws exactly the numbers it drew before.
#define _GNU_SOURCE
#include "CBLAS.h"
#include <math.h>

void gc_sincos(double x, double *s, double *c) { sincos(x, s, c); }
