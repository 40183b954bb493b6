/* cli/main.c — the spirelab command: dispatch to subcommands (cli/cmd_*.c). */
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/dist.h"
#include "common/spl.h"

static const cli_command commands[] = {
#define CMD(name, fn, help) { #name, fn, help },
#include "cli/commands.h"
#undef CMD
};
static const size_t ncommands = sizeof commands / sizeof commands[0];

static void usage(FILE *f)
{
    fprintf(f, "usage: spirelab COMMAND [options]   (spirelab COMMAND --help for its options)\n\ncommands:\n");
    for (size_t i = 0; i < ncommands; i++) fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
}

static int run(int argc, char **argv)
{
    if (argc < 2) { usage(stderr); return 2; }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) { usage(stdout); return 0; }
    if (!strcmp(argv[1], "--version")) {
        printf("spirelab %s%s\n", SPL_VERSION, dist_mpi_built() ? " (MPI)" : "");
        return 0;
    }
    for (size_t i = 0; i < ncommands; i++)
        if (!strcmp(argv[1], commands[i].name)) {
            int rc = commands[i].fn(argc - 1, argv + 1);
            /* the results go to stdout: a write that failed (a full disk, a
             * closed pipe) must not end as a success with a truncated table */
            if (fflush(stdout) != 0 || ferror(stdout)) {
                fprintf(stderr, "spirelab %s: cannot write the output\n", argv[1]);
                return rc ? rc : 1;
            }
            return rc;
        }
    fprintf(stderr, "spirelab: unknown command '%s' (see spirelab --help)\n", argv[1]);
    return 2;
}

int main(int argc, char **argv)
{
    spl_init();
    dist_init(&argc, &argv);   /* MPI in build-mpi/spirelab; nothing otherwise (cli/dist.h) */
    int rc = run(argc, argv);
    return dist_finish(rc);
}
