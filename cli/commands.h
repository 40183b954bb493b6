/* cli/commands.h — the subcommand table: CMD(name, function, one-line help). */
CMD(version, cmd_version, "print the version")
