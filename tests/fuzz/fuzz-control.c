// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the control command parser (mp_control_parse). The
 * input is split into lines at '\n', as the control file does; each line
 * goes, NUL-terminated, into a malloc of exactly its length + 1, so ASan
 * sees any read past it. The parser's contract is checked: 0 with a
 * command whose strings are terminated within their fields, or -EINVAL
 * with a reason.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpathfs/control.h"

#define CHECK(cond)                                                                \
	do {                                                                       \
		if (!(cond)) {                                                     \
			fprintf(stderr, "fuzz-control: %s:%d: check failed: %s\n", \
				__FILE__, __LINE__, #cond);                        \
			abort();                                                   \
		}                                                                  \
	} while (0)

/* the size the daemon (mp_control_run) gives */
#define ERR_LEN 256

static void parse_line(const uint8_t *s, size_t len)
{
	char *line = malloc(len + 1), *err = malloc(ERR_LEN);
	struct mp_cmd *cmd = malloc(sizeof(*cmd));
	int r;

	if (!line || !err || !cmd)
		abort();
	memcpy(line, s, len);
	line[len] = '\0';
	memset(err, 0x5a, ERR_LEN);
	memset(cmd, 0x5a, sizeof(*cmd));

	r = mp_control_parse(line, cmd, err, ERR_LEN);
	if (r == 0) {
		CHECK(cmd->kind >= MP_CMD_FAIL_PATH && cmd->kind <= MP_CMD_RESIZE);
		CHECK(strnlen(cmd->arg, sizeof(cmd->arg)) < sizeof(cmd->arg));
		CHECK(strnlen(cmd->device, sizeof(cmd->device)) < sizeof(cmd->device));
		CHECK(strnlen(cmd->group, sizeof(cmd->group)) < sizeof(cmd->group));
		if (cmd->kind == MP_CMD_SHOW)
			CHECK(cmd->show >= MP_SHOW_PATHS && cmd->show <= MP_SHOW_STATS);
		if (cmd->kind == MP_CMD_ADD_PATH)
			CHECK(strlen(cmd->arg) < MP_NAME_MAX && cmd->arg[0] && cmd->device[0] &&
			      cmd->group[0]);
	} else {
		CHECK(r == -EINVAL);
		CHECK(strnlen(err, ERR_LEN) < ERR_LEN && err[0]);
	}
	free(cmd);
	free(err);
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 0;

	while (pos <= size) {
		const uint8_t *nl = memchr(data + pos, '\n', size - pos);
		size_t len = (nl ? (size_t)(nl - data) : size) - pos;

		parse_line(data + pos, len);
		if (!nl)
			break;
		pos += len + 1;
	}
	return 0;
}
