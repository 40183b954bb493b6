#include <stdio.h>
#include "cli/cli.h"
#include "common/spl.h"

int cmd_version(int argc, char **argv)
{
    (void)argc; (void)argv;
    printf("spirelab %s\n", SPL_VERSION);
    return 0;
}
