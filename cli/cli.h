/* cli/cli.h — shared pieces of the spirelab subcommands: the command table
 * entry and the option-value parsers.  Every parser prints one line on stderr
 * naming the flag and the accepted range, and returns nonzero, on bad input;
 * the subcommand then exits with status 2 and writes nothing to stdout. */
#ifndef CLI_H
#define CLI_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *name;
    int (*fn)(int argc, char **argv);   /* argv[0] is the subcommand name */
    const char *help;
} cli_command;

#define CMD(name, fn, help) int fn(int argc, char **argv);
#include "cli/commands.h"
#undef CMD

#endif
