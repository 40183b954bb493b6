/* tests/runner.c — runs every CUnit suite listed in tests/suites.h.
 *
 *   cu_tester                 all suites
 *   cu_tester NAME...         only the suites (or suite:test) named
 * Exit status: the number of failures (capped at 255); 1 if a suite could
 * not be set up.  Failures are counted before CU_cleanup_registry(). */
#include <stdio.h>
#include <string.h>
#include <CUnit/Basic.h>
#include "common/spl.h"

#define SUITE(name) extern CU_TestInfo cu_##name##_tests[];
#include "tests/suites.h"
#undef SUITE

int main(int argc, char **argv)
{
    spl_init();
    CU_SuiteInfo all[] = {
#define SUITE(name) { #name, NULL, NULL, NULL, NULL, cu_##name##_tests },
#include "tests/suites.h"
#undef SUITE
        CU_SUITE_INFO_NULL
    };
    if (CU_initialize_registry() != CUE_SUCCESS) return 1;
    if (CU_register_suites(all) != CUE_SUCCESS) {
        fprintf(stderr, "cu_tester: %s\n", CU_get_error_msg());
        CU_cleanup_registry();
        return 1;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    int setup_failed = 0;
    unsigned fails = 0;
    if (argc == 1) {
        CU_basic_run_tests();
        fails = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
    } else {
        for (int i = 1; i < argc; i++) {
            char name[256];
            snprintf(name, sizeof name, "%s", argv[i]);
            char *test = strchr(name, ':');
            if (test) *test++ = '\0';
            CU_pSuite s = CU_get_suite(name);
            if (!s) { fprintf(stderr, "cu_tester: no suite '%s'\n", name); setup_failed = 1; continue; }
            if (test) {
                CU_pTest t = CU_get_test(s, test);
                if (!t) { fprintf(stderr, "cu_tester: no test '%s' in suite '%s'\n", test, name); setup_failed = 1; continue; }
                CU_basic_run_test(s, t);
            } else {
                CU_basic_run_suite(s);
            }
            fails += CU_get_number_of_failures() + CU_get_number_of_suites_failed();
        }
    }
    CU_cleanup_registry();
    if (setup_failed) return 1;
    return fails > 255 ? 255 : (int)fails;
}
