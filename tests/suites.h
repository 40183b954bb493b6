/* tests/suites.h — every CUnit suite, one line each: SUITE(name) means the
 * file tests/cu_<name>.c defines `CU_TestInfo cu_<name>_tests[]` (ended by
 * CU_TEST_INFO_NULL).  Add a line when you add a suite. */
SUITE(common)
SUITE(schedule)
SUITE(gmm)
SUITE(spire)
SUITE(ddpm)
SUITE(spire_ckpt)
SUITE(claims)
SUITE(spire_kid)
SUITE(spire_ref)
SUITE(spire_score)
SUITE(plots)
SUITE(sweep)
SUITE(figs)
SUITE(fed)
SUITE(c10)
SUITE(honest)
