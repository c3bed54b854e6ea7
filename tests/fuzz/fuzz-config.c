// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the INI configuration parser (mp_config_parse_string)
 * on arbitrary text. The input is copied into a malloc of exactly its
 * length plus the terminating NUL, so ASan sees any read past the end.
 * Besides memory errors, leaks and undefined behaviour, the parser's
 * contract is checked: success leaves an empty error and a config that
 * holds together, failure leaves a message and nothing to free.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpathfs/config.h"

#define CHECK(cond)                                                               \
	do {                                                                      \
		if (!(cond)) {                                                    \
			fprintf(stderr, "fuzz-config: %s:%d: check failed: %s\n", \
				__FILE__, __LINE__, #cond);                       \
			abort();                                                  \
		}                                                                 \
	} while (0)

static void check_ok(const struct mp_config *cfg)
{
	unsigned i;

	CHECK(cfg->nr_paths >= 1 && cfg->nr_paths <= MP_MAX_PATHS);
	CHECK(cfg->nr_groups >= 1 && cfg->nr_groups <= MP_MAX_GROUPS);
	CHECK(cfg->paths && cfg->groups);
	CHECK(strnlen(cfg->name, MP_NAME_MAX) < MP_NAME_MAX && cfg->name[0]);
	CHECK(strnlen(cfg->path_selector, MP_NAME_MAX) < MP_NAME_MAX);
	CHECK(cfg->max_polling_interval >= cfg->polling_interval);
	for (i = 0; i < cfg->nr_groups; i++) {
		CHECK(strnlen(cfg->groups[i].name, MP_NAME_MAX) < MP_NAME_MAX);
		CHECK(strnlen(cfg->groups[i].selector, MP_NAME_MAX) < MP_NAME_MAX);
	}
	for (i = 0; i < cfg->nr_paths; i++) {
		const struct mp_config_path *p = &cfg->paths[i];

		CHECK(strnlen(p->name, MP_NAME_MAX) < MP_NAME_MAX && p->name[0]);
		CHECK(strnlen(p->device, MP_DEV_MAX) < MP_DEV_MAX && p->device[0]);
		CHECK(strnlen(p->group, MP_NAME_MAX) < MP_NAME_MAX);
		/* every path is in a group that exists */
		CHECK(mp_config_group_index(cfg, p->group) >= 0);
		CHECK(p->weight >= 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	char *err = malloc(MP_ERRMSG_MAX);
	struct mp_config cfg;
	int ret;

	if (!text || !err)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	memset(err, 0x5a, MP_ERRMSG_MAX);

	ret = mp_config_parse_string(text, "fuzz.ini", &cfg, err, MP_ERRMSG_MAX);
	CHECK(strnlen(err, MP_ERRMSG_MAX) < MP_ERRMSG_MAX);
	if (ret == 0) {
		CHECK(err[0] == '\0');
		check_ok(&cfg);
	} else {
		CHECK(ret == -EINVAL || ret == -ENOMEM);
		CHECK(err[0] != '\0');
		/* a refused file leaves nothing to free */
		CHECK(!cfg.paths && !cfg.groups && !cfg.nr_paths && !cfg.nr_groups);
	}
	mp_config_free(&cfg);

	/* a short error buffer must be cut, never overrun: exactly 16 bytes */
	free(err);
	err = malloc(16);
	if (!err)
		abort();
	ret = mp_config_parse_string(text, "fuzz.ini", &cfg, err, 16);
	CHECK(strnlen(err, 16) < 16);
	mp_config_free(&cfg);

	free(err);
	free(text);
	return 0;
}
