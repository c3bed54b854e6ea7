// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Text views of the core's state. status and table follow dm-multipath's
 * INFO and TABLE layouts word for word, so tools that parse `dmsetup
 * status` can parse ours; topology follows `multipath -ll`. JSON is built
 * with json-c so escaping is never hand-rolled.
 *
 * Locking: every view takes the core lock for one consistent snapshot and
 * only formats under it.
 */
#define _GNU_SOURCE
#include <json-c/json.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpathfs/checker.h"
#include "mpathfs/status.h"

/* dm prints major:minor; a regular-file path has none, so its name stands in. */
static void path_dev_word(const struct mp_path *p, char *buf, size_t size)
{
	if (p->dev.is_blockdev)
		snprintf(buf, size, "%u:%u", p->dev.major, p->dev.minor);
	else
		snprintf(buf, size, "%s", p->name);
}

static void ps_words(struct mp_group *g, struct mp_path *p, int info, FILE *f)
{
	char buf[128];

	if (!g->ps.ops->path_status)
		return;
	g->ps.ops->path_status(&g->ps, p, info, buf, sizeof(buf));
	fputs(buf, f);
}

/* The group dm reports as "next": where the next I/O will go. */
static unsigned next_group_num(const struct mp_core *c)
{
	if (c->next_pg)
		return c->next_pg->num;
	if (c->current_pg)
		return c->current_pg->num;
	return c->nr_groups ? 1 : 0;
}

static char *finish_stream(FILE *f, char **buf)
{
	if (fclose(f) != 0) {
		free(*buf);
		return NULL;
	}
	return *buf;
}

char *mp_status_info(struct mp_core *c)
{
	char *buf = NULL, dev[64];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	mp_core_lock(c);
	fprintf(f, "2 %u %u 0 %u %u ", c->nr_queued, c->pg_init_count,
		c->nr_groups, next_group_num(c));
	for (unsigned i = 0; i < c->nr_groups; i++) {
		struct mp_group *g = c->groups[i];
		char state = g->bypassed ? 'D' : g == c->current_pg ? 'A' : 'E';

		fprintf(f, "%c 0 %u %u ", state, g->nr_paths, g->ps.ops->info_args);
		for (unsigned j = 0; j < g->nr_paths; j++) {
			struct mp_path *p = g->paths[j];

			path_dev_word(p, dev, sizeof(dev));
			fprintf(f, "%s %c %u ", dev, p->active ? 'A' : 'F', p->fail_count);
			ps_words(g, p, 1, f);
		}
	}
	mp_core_unlock(c);
	fputc('\n', f);
	return finish_stream(f, &buf);
}

/* The TABLE feature words, "<count> [words]", each followed by a space. */
static void features(const struct mp_core *c, const struct mp_config *cfg, FILE *f)
{
	unsigned nfeat = (c->queue_if_no_path ? 1 : 0) + (cfg->pg_init_retries ? 2 : 0) +
			 (cfg->pg_init_delay_msecs != 2000 ? 2 : 0);

	fprintf(f, "%u ", nfeat);
	if (c->queue_if_no_path)
		fputs("queue_if_no_path ", f);
	if (cfg->pg_init_retries)
		fprintf(f, "pg_init_retries %u ", cfg->pg_init_retries);
	if (cfg->pg_init_delay_msecs != 2000)
		fprintf(f, "pg_init_delay_msecs %u ", cfg->pg_init_delay_msecs);
}

char *mp_status_table(struct mp_core *c, const struct mp_config *cfg)
{
	char *buf = NULL, dev[64];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	mp_core_lock(c);
	features(c, cfg, f);
	if (cfg->hardware_handler == MP_HW_HANDLER_NONE)
		fputs("0 ", f);
	else
		fprintf(f, "1 %s ", mp_hw_handler_name(cfg->hardware_handler));
	fprintf(f, "%u %u ", c->nr_groups, next_group_num(c));
	for (unsigned i = 0; i < c->nr_groups; i++) {
		struct mp_group *g = c->groups[i];

		fprintf(f, "%s 0 %u %u ", g->ps.ops->name, g->nr_paths, g->ps.ops->table_args);
		for (unsigned j = 0; j < g->nr_paths; j++) {
			path_dev_word(g->paths[j], dev, sizeof(dev));
			fprintf(f, "%s ", dev);
			ps_words(g, g->paths[j], 0, f);
		}
	}
	mp_core_unlock(c);
	fputc('\n', f);
	return finish_stream(f, &buf);
}

static const char *group_state(const struct mp_core *c, const struct mp_group *g)
{
	if (g->bypassed)
		return "disabled";
	return g == c->current_pg ? "active" : "enabled";
}

static void human_size(uint64_t bytes, char *buf, size_t size)
{
	static const char units[] = "KMGTPE";
	double v = (double)bytes;
	int u = -1;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, size, "%lluB", (unsigned long long)bytes);
	else
		snprintf(buf, size, "%.1f%c", v, units[u]);
}

static void show_topology(struct mp_core *c, const char *devpath, uint64_t size,
			  const struct mp_config *cfg, FILE *f)
{
	char hs[32], dev[64];

	human_size(size, hs, sizeof(hs));
	fprintf(f, "%s (%s) mpathfs\n", cfg->name, devpath);
	fprintf(f, "size=%s features='", hs);
	features(c, cfg, f);
	/* multipath -ll quotes the words without the trailing space */
	fseek(f, -1, SEEK_CUR);
	fprintf(f, "' hwhandler='%s' wp=rw\n",
		cfg->hardware_handler == MP_HW_HANDLER_NONE ? "0" : "1 alua");
	for (unsigned i = 0; i < c->nr_groups; i++) {
		struct mp_group *g = c->groups[i];
		bool last_g = i + 1 == c->nr_groups;

		/* as multipath -ll: the selector and its count of group args */
		fprintf(f, "%s policy='%s 0' prio=%d status=%s\n",
			last_g ? "`-+-" : "|-+-", g->ps.ops->name,
			g->priority, group_state(c, g));
		for (unsigned j = 0; j < g->nr_paths; j++) {
			struct mp_path *p = g->paths[j];

			path_dev_word(p, dev, sizeof(dev));
			/* dm's state, then the checker's, as multipath -ll */
			fprintf(f, "%s%s %s %s %s %s %s running\n",
				last_g ? "  " : "| ",
				j + 1 == g->nr_paths ? "`-" : "|-",
				p->name, p->device, dev,
				p->active ? "active" : "failed",
				mp_check_state_name(p->check_state));
		}
	}
}

static void show_paths(struct mp_core *c, FILE *f)
{
	fprintf(f, "%-12s %-20s %-12s %-6s %-8s %-10s %6s %8s %12s %12s %8s\n",
		"name", "device", "group", "state", "checker", "dev_t", "fails", "inflight",
		"reads", "writes", "errors");
	for (unsigned i = 0; i < c->nr_paths; i++) {
		struct mp_path *p = c->paths[i];
		char dev[64];

		path_dev_word(p, dev, sizeof(dev));
		fprintf(f, "%-12s %-20s %-12s %-6s %-8s %-10s %6u %8llu %12llu %12llu %8llu\n",
			p->name, p->device, p->group->name, p->active ? "active" : "failed",
			mp_check_state_name(p->check_state),
			p->dev.is_blockdev ? dev : "-", p->fail_count,
			(unsigned long long)p->inflight_ios,
			(unsigned long long)__atomic_load_n(&p->nr_reads, __ATOMIC_RELAXED),
			(unsigned long long)__atomic_load_n(&p->nr_writes, __ATOMIC_RELAXED),
			(unsigned long long)__atomic_load_n(&p->nr_errors, __ATOMIC_RELAXED));
	}
}

static void show_groups(struct mp_core *c, FILE *f)
{
	fprintf(f, "%-4s %-12s %8s %-9s %-24s %5s %6s\n", "num", "name", "priority",
		"state", "selector", "paths", "usable");
	for (unsigned i = 0; i < c->nr_groups; i++) {
		struct mp_group *g = c->groups[i];

		fprintf(f, "%-4u %-12s %8d %-9s %-24s %5u %6u\n", g->num, g->name,
			g->priority, group_state(c, g), g->ps.ops->name, g->nr_paths,
			g->nr_active);
	}
}

static void no_path_retry_word(int v, char *buf, size_t size)
{
	if (v == MP_NO_PATH_RETRY_QUEUE)
		snprintf(buf, size, "queue");
	else if (v == MP_NO_PATH_RETRY_FAIL)
		snprintf(buf, size, "fail");
	else
		snprintf(buf, size, "%d", v);
}

static void failback_word(int v, char *buf, size_t size)
{
	if (v == MP_FAILBACK_IMMEDIATE)
		snprintf(buf, size, "immediate");
	else if (v == MP_FAILBACK_MANUAL)
		snprintf(buf, size, "manual");
	else if (v == MP_FAILBACK_FOLLOWOVER)
		snprintf(buf, size, "followover");
	else
		snprintf(buf, size, "%d", v);
}

static void show_config(const struct mp_config *cfg, FILE *f)
{
	char npr[32], fb[32];

	no_path_retry_word(cfg->no_path_retry, npr, sizeof(npr));
	failback_word(cfg->failback, fb, sizeof(fb));
	fprintf(f, "[multipath]\nname = %s\npath_selector = %s\nrr_min_io = %u\n"
		"no_path_retry = %s\nfailback = %s\npath_checker = %s\n"
		"polling_interval = %u\nmax_polling_interval = %u\n"
		"checker_timeout = %u\nio_timeout = %u\nscsi_timeout = %u\nhardware_handler = %s\n"
		"prio = %s\npg_init_retries = %u\npg_init_delay_msecs = %u\n"
		"max_io_memory_mb = %u\nflap_threshold = %u\nflap_window = %u\n"
		"flap_holdoff = %u\npath_grouping_policy = %s\n",
		cfg->name, cfg->path_selector, cfg->rr_min_io, npr, fb,
		mp_checker_name(cfg->path_checker), cfg->polling_interval,
		cfg->max_polling_interval, cfg->checker_timeout, cfg->io_timeout, cfg->scsi_timeout,
		mp_hw_handler_name(cfg->hardware_handler), mp_prio_name(cfg->prio),
		cfg->pg_init_retries, cfg->pg_init_delay_msecs, cfg->max_io_memory_mb,
		cfg->flap_threshold, cfg->flap_window, cfg->flap_holdoff,
		mp_grouping_name(cfg->path_grouping_policy));
	fprintf(f, "allow_other = %s\n", cfg->allow_other ? "yes" : "no");
	if (cfg->control_group[0])
		fprintf(f, "control_group = %s\n", cfg->control_group);
	if (cfg->status_group[0])
		fprintf(f, "status_group = %s\n", cfg->status_group);
	fprintf(f, "status_mode = %04o\n", cfg->status_mode);
	for (unsigned i = 0; i < cfg->nr_groups; i++) {
		const struct mp_config_group *g = &cfg->groups[i];

		fprintf(f, "\n[group %s]\npriority = %d\n", g->name, g->priority);
		if (g->selector[0])
			fprintf(f, "path_selector = %s\n", g->selector);
	}
	for (unsigned i = 0; i < cfg->nr_paths; i++) {
		const struct mp_config_path *p = &cfg->paths[i];

		fprintf(f, "\n[path %s]\ndevice = %s\ngroup = %s\nweight = %u\n",
			p->name, p->device, p->group[0] ? p->group : "default", p->weight);
	}
}

static void show_stats(struct mp_core *c, FILE *f)
{
	fprintf(f, "queued_io %u\nqueue_if_no_path %d\nusable_paths %u\n"
		"group_switches %llu\npath_failures %llu\npg_init_count %u\n",
		c->nr_queued, c->queue_if_no_path, c->nr_valid_paths,
		(unsigned long long)c->nr_group_switches,
		(unsigned long long)c->nr_path_failures, c->pg_init_count);
	for (unsigned i = 0; i < c->nr_paths; i++) {
		struct mp_path *p = c->paths[i];

		fprintf(f, "path %s reads %llu writes %llu bytes_read %llu "
			"bytes_written %llu errors %llu redriven %llu fail_count %u\n",
			p->name,
			(unsigned long long)__atomic_load_n(&p->nr_reads, __ATOMIC_RELAXED),
			(unsigned long long)__atomic_load_n(&p->nr_writes, __ATOMIC_RELAXED),
			(unsigned long long)__atomic_load_n(&p->bytes_read, __ATOMIC_RELAXED),
			(unsigned long long)__atomic_load_n(&p->bytes_written, __ATOMIC_RELAXED),
			(unsigned long long)__atomic_load_n(&p->nr_errors, __ATOMIC_RELAXED),
			(unsigned long long)__atomic_load_n(&p->nr_redriven, __ATOMIC_RELAXED),
			p->fail_count);
	}
}

static json_object *json_u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

static json_object *path_json(struct mp_core *c, struct mp_path *p)
{
	json_object *o = json_object_new_object();
	char dev[64];

	(void)c;
	path_dev_word(p, dev, sizeof(dev));
	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "device", json_object_new_string(p->device));
	json_object_object_add(o, "dev_t", p->dev.is_blockdev ?
			       json_object_new_string(dev) : NULL);
	json_object_object_add(o, "group", json_object_new_string(p->group->name));
	json_object_object_add(o, "state", json_object_new_string(p->active ? "active" : "failed"));
	json_object_object_add(o, "checker_state", json_object_new_string(mp_check_state_name(p->check_state)));
	json_object_object_add(o, "admin_failed", json_object_new_boolean(p->admin_failed));
	json_object_object_add(o, "fail_count", json_u64(p->fail_count));
	json_object_object_add(o, "inflight_ios", json_u64(p->inflight_ios));
	json_object_object_add(o, "inflight_bytes", json_u64(p->inflight_bytes));
	json_object_object_add(o, "reads", json_u64(__atomic_load_n(&p->nr_reads, __ATOMIC_RELAXED)));
	json_object_object_add(o, "writes", json_u64(__atomic_load_n(&p->nr_writes, __ATOMIC_RELAXED)));
	json_object_object_add(o, "bytes_read", json_u64(__atomic_load_n(&p->bytes_read, __ATOMIC_RELAXED)));
	json_object_object_add(o, "bytes_written", json_u64(__atomic_load_n(&p->bytes_written, __ATOMIC_RELAXED)));
	json_object_object_add(o, "errors", json_u64(__atomic_load_n(&p->nr_errors, __ATOMIC_RELAXED)));
	json_object_object_add(o, "redriven", json_u64(__atomic_load_n(&p->nr_redriven, __ATOMIC_RELAXED)));
	return o;
}

static json_object *group_json(struct mp_core *c, struct mp_group *g, bool with_paths)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "num", json_u64(g->num));
	json_object_object_add(o, "name", json_object_new_string(g->name));
	json_object_object_add(o, "priority", json_object_new_int(g->priority));
	json_object_object_add(o, "state", json_object_new_string(group_state(c, g)));
	json_object_object_add(o, "selector", json_object_new_string(g->ps.ops->name));
	json_object_object_add(o, "paths_total", json_u64(g->nr_paths));
	json_object_object_add(o, "paths_usable", json_u64(g->nr_active));
	if (with_paths) {
		json_object *a = json_object_new_array();

		for (unsigned j = 0; j < g->nr_paths; j++)
			json_object_array_add(a, path_json(c, g->paths[j]));
		json_object_object_add(o, "paths", a);
	}
	return o;
}

static json_object *map_json(struct mp_core *c, const struct mp_config *cfg,
			     const char *devpath, uint64_t size)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(cfg->name));
	json_object_object_add(o, "device", json_object_new_string(devpath));
	json_object_object_add(o, "size", json_u64(size));
	json_object_object_add(o, "queue_if_no_path", json_object_new_boolean(c->queue_if_no_path));
	json_object_object_add(o, "queued_io", json_u64(c->nr_queued));
	json_object_object_add(o, "usable_paths", json_u64(c->nr_valid_paths));
	json_object_object_add(o, "group_switches", json_u64(c->nr_group_switches));
	json_object_object_add(o, "path_failures", json_u64(c->nr_path_failures));
	json_object_object_add(o, "pg_init_count", json_u64(c->pg_init_count));
	json_object_object_add(o, "next_group", json_u64(next_group_num(c)));
	return o;
}

static json_object *config_json(const struct mp_config *cfg)
{
	json_object *o = json_object_new_object(), *a;
	char npr[32], fb[32], mode[8];

	no_path_retry_word(cfg->no_path_retry, npr, sizeof(npr));
	failback_word(cfg->failback, fb, sizeof(fb));
	json_object_object_add(o, "name", json_object_new_string(cfg->name));
	json_object_object_add(o, "path_selector", json_object_new_string(cfg->path_selector));
	json_object_object_add(o, "rr_min_io", json_u64(cfg->rr_min_io));
	json_object_object_add(o, "no_path_retry", json_object_new_string(npr));
	json_object_object_add(o, "failback", json_object_new_string(fb));
	json_object_object_add(o, "path_checker", json_object_new_string(mp_checker_name(cfg->path_checker)));
	json_object_object_add(o, "polling_interval", json_u64(cfg->polling_interval));
	json_object_object_add(o, "max_polling_interval", json_u64(cfg->max_polling_interval));
	json_object_object_add(o, "checker_timeout", json_u64(cfg->checker_timeout));
	json_object_object_add(o, "io_timeout", json_u64(cfg->io_timeout));
	json_object_object_add(o, "scsi_timeout", json_u64(cfg->scsi_timeout));
	json_object_object_add(o, "hardware_handler", json_object_new_string(mp_hw_handler_name(cfg->hardware_handler)));
	json_object_object_add(o, "prio", json_object_new_string(mp_prio_name(cfg->prio)));
	json_object_object_add(o, "pg_init_retries", json_u64(cfg->pg_init_retries));
	json_object_object_add(o, "pg_init_delay_msecs", json_u64(cfg->pg_init_delay_msecs));
	json_object_object_add(o, "max_io_memory_mb", json_u64(cfg->max_io_memory_mb));
	json_object_object_add(o, "flap_threshold", json_u64(cfg->flap_threshold));
	json_object_object_add(o, "flap_window", json_u64(cfg->flap_window));
	json_object_object_add(o, "flap_holdoff", json_u64(cfg->flap_holdoff));
	json_object_object_add(o, "path_grouping_policy",
			       json_object_new_string(mp_grouping_name(cfg->path_grouping_policy)));
	json_object_object_add(o, "allow_other", json_object_new_boolean(cfg->allow_other));
	/* "" = none: the files keep root's group */
	json_object_object_add(o, "control_group", json_object_new_string(cfg->control_group));
	json_object_object_add(o, "status_group", json_object_new_string(cfg->status_group));
	snprintf(mode, sizeof(mode), "%04o", cfg->status_mode);
	json_object_object_add(o, "status_mode", json_object_new_string(mode));
	a = json_object_new_array();
	for (unsigned i = 0; i < cfg->nr_groups; i++) {
		json_object *g = json_object_new_object();

		json_object_object_add(g, "name", json_object_new_string(cfg->groups[i].name));
		json_object_object_add(g, "priority", json_object_new_int(cfg->groups[i].priority));
		json_object_object_add(g, "path_selector", json_object_new_string(
			cfg->groups[i].selector[0] ? cfg->groups[i].selector : cfg->path_selector));
		json_object_array_add(a, g);
	}
	json_object_object_add(o, "groups", a);
	a = json_object_new_array();
	for (unsigned i = 0; i < cfg->nr_paths; i++) {
		const struct mp_config_path *cp = &cfg->paths[i];
		json_object *p = json_object_new_object();

		json_object_object_add(p, "name", json_object_new_string(cp->name));
		json_object_object_add(p, "device", json_object_new_string(cp->device));
		json_object_object_add(p, "group", json_object_new_string(cp->group[0] ? cp->group : "default"));
		json_object_object_add(p, "weight", json_u64(cp->weight));
		json_object_array_add(a, p);
	}
	json_object_object_add(o, "paths", a);
	return o;
}

static json_object *show_json(struct mp_core *c, const struct mp_config *cfg,
			      const char *devpath, uint64_t size, enum mp_show_what what)
{
	json_object *root, *a;

	switch (what) {
	case MP_SHOW_PATHS:
		a = json_object_new_array();
		for (unsigned i = 0; i < c->nr_paths; i++)
			json_object_array_add(a, path_json(c, c->paths[i]));
		root = json_object_new_object();
		json_object_object_add(root, "paths", a);
		return root;
	case MP_SHOW_GROUPS:
		a = json_object_new_array();
		for (unsigned i = 0; i < c->nr_groups; i++)
			json_object_array_add(a, group_json(c, c->groups[i], false));
		root = json_object_new_object();
		json_object_object_add(root, "groups", a);
		return root;
	case MP_SHOW_TOPOLOGY:
		root = map_json(c, cfg, devpath, size);
		a = json_object_new_array();
		for (unsigned i = 0; i < c->nr_groups; i++)
			json_object_array_add(a, group_json(c, c->groups[i], true));
		json_object_object_add(root, "groups", a);
		return root;
	case MP_SHOW_CONFIG:
		return config_json(cfg);
	case MP_SHOW_STATS:
		root = map_json(c, cfg, devpath, size);
		a = json_object_new_array();
		for (unsigned i = 0; i < c->nr_paths; i++)
			json_object_array_add(a, path_json(c, c->paths[i]));
		json_object_object_add(root, "paths", a);
		return root;
	}
	return NULL;
}

char *mp_status_show(struct mp_core *c, const struct mp_config *cfg,
		     const char *devpath, uint64_t size,
		     enum mp_show_what what, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (json) {
		json_object *o;
		char *out;

		mp_core_lock(c);
		o = show_json(c, cfg, devpath, size, what);
		mp_core_unlock(c);
		if (!o)
			return NULL;
		out = NULL;
		if (asprintf(&out, "%s\n", json_object_to_json_string_ext(o,
			     JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE)) < 0)
			out = NULL;
		json_object_put(o);
		return out;
	}
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	mp_core_lock(c);
	switch (what) {
	case MP_SHOW_PATHS:
		show_paths(c, f);
		break;
	case MP_SHOW_GROUPS:
		show_groups(c, f);
		break;
	case MP_SHOW_TOPOLOGY:
		show_topology(c, devpath, size, cfg, f);
		break;
	case MP_SHOW_CONFIG:
		show_config(cfg, f);
		break;
	case MP_SHOW_STATS:
		show_stats(c, f);
		break;
	}
	mp_core_unlock(c);
	return finish_stream(f, &buf);
}

/* Label values in OpenMetrics escape backslash, quote and newline. */
static void label(FILE *f, const char *name, const char *value, bool last)
{
	fprintf(f, "%s=\"", name);
	for (; *value; value++) {
		if (*value == '\\' || *value == '"')
			fputc('\\', f);
		if (*value == '\n')
			fputs("\\n", f);
		else
			fputc(*value, f);
	}
	fputs(last ? "\"" : "\",", f);
}

static void path_labels(FILE *f, const struct mp_config *cfg, const struct mp_path *p)
{
	fputc('{', f);
	label(f, "map", cfg->name, false);
	label(f, "path", p->name, false);
	label(f, "device", p->device, false);
	label(f, "group", p->group->name, true);
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# TYPE %s %s\n# HELP %s %s\n", name, type, name, help);
}

static void path_counter(struct mp_core *c, const struct mp_config *cfg, FILE *f,
			 const char *name, const char *help, size_t off)
{
	family(f, name, "counter", help);
	for (unsigned i = 0; i < c->nr_paths; i++) {
		const struct mp_path *p = c->paths[i];

		fprintf(f, "%s_total", name);
		path_labels(f, cfg, p);
		fprintf(f, "} %llu\n", (unsigned long long)__atomic_load_n(
			(const uint64_t *)((const char *)p + off), __ATOMIC_RELAXED));
	}
}

char *mp_status_metrics(struct mp_core *c, const struct mp_config *cfg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	mp_core_lock(c);
	family(f, "mpathfs_path_up", "gauge", "1 if the path is usable for I/O");
	for (unsigned i = 0; i < c->nr_paths; i++) {
		fputs("mpathfs_path_up", f);
		path_labels(f, cfg, c->paths[i]);
		fprintf(f, "} %d\n", c->paths[i]->active);
	}
	family(f, "mpathfs_path_checker_state", "stateset", "the path checker's last verdict");
	for (unsigned i = 0; i < c->nr_paths; i++) {
		for (int s = MP_CHECK_READY; s <= MP_CHECK_DELAYED; s++) {
			fputs("mpathfs_path_checker_state", f);
			path_labels(f, cfg, c->paths[i]);
			fputc(',', f);
			label(f, "mpathfs_path_checker_state", mp_check_state_name(s), true);
			fprintf(f, "} %d\n", (int)c->paths[i]->check_state == s);
		}
	}
	path_counter(c, cfg, f, "mpathfs_path_reads", "reads completed",
		     offsetof(struct mp_path, nr_reads));
	path_counter(c, cfg, f, "mpathfs_path_writes", "writes completed",
		     offsetof(struct mp_path, nr_writes));
	path_counter(c, cfg, f, "mpathfs_path_read_bytes", "bytes read",
		     offsetof(struct mp_path, bytes_read));
	path_counter(c, cfg, f, "mpathfs_path_written_bytes", "bytes written",
		     offsetof(struct mp_path, bytes_written));
	path_counter(c, cfg, f, "mpathfs_path_errors", "I/O errors and timeouts",
		     offsetof(struct mp_path, nr_errors));
	path_counter(c, cfg, f, "mpathfs_path_redriven", "I/O re-driven on another path",
		     offsetof(struct mp_path, nr_redriven));
	family(f, "mpathfs_path_failures", "counter", "times the path was failed");
	for (unsigned i = 0; i < c->nr_paths; i++) {
		fputs("mpathfs_path_failures_total", f);
		path_labels(f, cfg, c->paths[i]);
		fprintf(f, "} %u\n", c->paths[i]->fail_count);
	}
	family(f, "mpathfs_path_inflight", "gauge", "I/O in flight on the path");
	for (unsigned i = 0; i < c->nr_paths; i++) {
		fputs("mpathfs_path_inflight", f);
		path_labels(f, cfg, c->paths[i]);
		fprintf(f, "} %llu\n", (unsigned long long)c->paths[i]->inflight_ios);
	}
	family(f, "mpathfs_path_latency_seconds", "histogram", "path I/O completion latency");
	for (unsigned i = 0; i < c->nr_paths; i++) {
		const struct mp_path *p = c->paths[i];
		uint64_t cum = 0;

		for (unsigned b = 0; b <= MP_LAT_BUCKETS; b++) {
			cum += p->lat_hist[b];
			fputs("mpathfs_path_latency_seconds_bucket", f);
			path_labels(f, cfg, p);
			if (b < MP_LAT_BUCKETS)
				fprintf(f, ",le=\"%g\"} %llu\n", (double)mp_lat_bounds_ns[b] / 1e9,
					(unsigned long long)cum);
			else
				fprintf(f, ",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
		}
		fputs("mpathfs_path_latency_seconds_count", f);
		path_labels(f, cfg, p);
		fprintf(f, "} %llu\n", (unsigned long long)cum);
		fputs("mpathfs_path_latency_seconds_sum", f);
		path_labels(f, cfg, p);
		fprintf(f, "} %.9f\n", (double)p->lat_sum_ns / 1e9);
	}
	family(f, "mpathfs_queued_io", "gauge", "I/O held for want of a usable path");
	fprintf(f, "mpathfs_queued_io{map=\"%s\"} %u\n", cfg->name, c->nr_queued);
	family(f, "mpathfs_queue_if_no_path", "gauge", "1 if I/O queues when no path is usable");
	fprintf(f, "mpathfs_queue_if_no_path{map=\"%s\"} %d\n", cfg->name, c->queue_if_no_path);
	family(f, "mpathfs_usable_paths", "gauge", "paths usable for I/O");
	fprintf(f, "mpathfs_usable_paths{map=\"%s\"} %u\n", cfg->name, c->nr_valid_paths);
	family(f, "mpathfs_group_switches", "counter", "changes of the active group");
	fprintf(f, "mpathfs_group_switches_total{map=\"%s\"} %llu\n", cfg->name,
		(unsigned long long)c->nr_group_switches);
	family(f, "mpathfs_pg_inits", "counter", "group activations (ALUA STPG)");
	fprintf(f, "mpathfs_pg_inits_total{map=\"%s\"} %u\n", cfg->name, c->pg_init_count);
	mp_core_unlock(c);
	fputs("# EOF\n", f);
	return finish_stream(f, &buf);
}
