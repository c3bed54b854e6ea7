/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The I/O engine: how path I/O is issued. The real one (io-engine-aio.c)
 * uses libaio with O_DIRECT; unit tests supply a fake with the same ops.
 * Completions are delivered through io->done from an engine thread (or, for
 * a fake, from wherever the test decides), never from inside submit().
 */
#ifndef MPATHFS_IO_ENGINE_H
#define MPATHFS_IO_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "mpathfs/path.h"

enum mp_io_op {
	MP_IO_READ,
	MP_IO_WRITE,
	MP_IO_FLUSH,
	MP_IO_DISCARD,
	MP_IO_ZEROOUT,
};

struct mp_eio {
	enum mp_io_op op;
	const struct mp_path_dev *dev;
	void *buf;
	size_t len;
	uint64_t off;
	/* res: bytes transferred (>= 0) or -errno */
	void (*done)(struct mp_eio *io, long res);
	_Alignas(16) unsigned char priv[96];	/* engine private */
};

struct mp_engine;

struct mp_engine_ops {
	const char *name;
	/* Open a path device O_DIRECT; fills dev. Returns 0 or -errno. */
	int (*open_path)(struct mp_engine *e, const char *device,
			 struct mp_path_dev *dev);
	void (*close_path)(struct mp_engine *e, struct mp_path_dev *dev);
	/* The device's size now (it may have grown). */
	int (*get_size)(struct mp_engine *e, const struct mp_path_dev *dev, uint64_t *size);
	/*
	 * Start submitting: kernel contexts and threads do not survive
	 * fork(), so this runs after daemonising. NULL if nothing to do.
	 */
	int (*start)(struct mp_engine *e, unsigned depth);
	/* Queue io; 0 means done() will be called once, -errno means never. */
	int (*submit)(struct mp_engine *e, struct mp_eio *io);
	void (*destroy)(struct mp_engine *e);
};

struct mp_engine {
	const struct mp_engine_ops *ops;
	void *priv;
};

/* The libaio engine; open_path works at once, submit after start(). */
int mp_engine_aio_create(struct mp_engine *e);

#endif
