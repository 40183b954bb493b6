#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "common/spl.h"

/* spirelab version [--help]: the version on stdout.  It takes no flags and
 * no arguments; anything else is bad input (one line, exit 2). */
int cmd_version(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        printf("usage: spirelab version\n"
               "Prints the version of spirelab (spirelab X.Y.Z) and exits 0. No flags.\n");
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "spirelab version: takes no flags or arguments, got '%s'\n", argv[1]);
        return 2;
    }
    printf("spirelab %s\n", SPL_VERSION);
    return 0;
}
