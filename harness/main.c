/*
 * main.c - danelab's command line: option parsing and sub-command
 * dispatch, nothing else.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

static const char usage_text[] =
"usage: danelab COMMAND [OPTIONS]\n"
"\n"
"Commands:\n"
"  help                     this text\n"
"\n"
"Exit status: 0 all cells pass or xfail; 1 some cell fails;\n"
"2 usage or input error; 3 the lab or the environment could not be set up.\n";

/* cmd_help - print the usage text */
static int
cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs(usage_text, stdout);
	return EXIT_PASS;
}

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "help", cmd_help },
};

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return cmd_help(argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	msg_warn("unknown command \"%s\" (try \"danelab help\")", argv[1]);
	return EXIT_USAGE;
}
