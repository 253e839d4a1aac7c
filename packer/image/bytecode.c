/* SPDX-License-Identifier: MIT */
/* Python bytecode that stays valid in the image. A timestamp-based .pyc (PEP 552, flags 0)
 * records its source's mtime and size, and Python recompiles (in memory, when it cannot
 * write: about ten times slower to import) whenever the source's mtime differs. Every mtime
 * of the image is SOURCE_DATE_EPOCH, so each such source keeps the mtime its .pyc records
 * instead: derived from the input bytes (the .pyc is pinned like any file), the same on
 * every rebuild. A source whose size is not the one recorded keeps SOURCE_DATE_EPOCH: that
 * .pyc is stale on the host too. */
#include "packer/image/planner.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/fs.h"

#define PYC_HEADER 16

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The source of a .pyc at @path ("DIR/__pycache__/NAME.TAG[.opt-N].pyc" -> "DIR/NAME.py"),
 * into @buf; 0, or -1 when @path is not one. */
static int source_of(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/'), *dot;
	size_t dl;

	if (!slash || slash - path < 12 || strncmp(slash - 12, "/__pycache__", 12) != 0)
		return -1;
	dl = (size_t)(slash - 12 - path);
	if (!(dot = strchr(slash + 1, '.')) || dot == slash + 1)
		return -1;
	if ((size_t)snprintf(buf, len, "%.*s/%.*s.py", (int)dl, path, (int)(dot - slash - 1),
			     slash + 1) >= len)
		return -1;
	return 0;
}

static int header(const struct pk_image *img, const struct pk_plan_entry *e,
		  unsigned char *h, int *roots)
{
	int fd;
	ssize_t n;

	if (e->data)
		return e->size >= PYC_HEADER ? (memcpy(h, e->data, PYC_HEADER), 0) : -1;
	if (e->root < 0 || !e->src || e->size < PYC_HEADER)
		return -1;
	if (roots[e->root] < 0 &&
	    (roots[e->root] = open(img->roots[e->root], O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if ((fd = dt_open_beneath(roots[e->root], e->src, O_RDONLY | O_NOATIME)) < 0)
		return -1;
	n = pread(fd, h, PYC_HEADER, 0);
	close(fd);
	return n == PYC_HEADER ? 0 : -1;
}

void pk_plan_bytecode(struct pk_image *img)
{
	int roots[2] = { -1, -1 };

	/* the plan is sorted by path here (merged, with its parents) */
	for (size_t i = 0; i < img->n; i++) {
		struct pk_plan_entry *e = &img->v[i], *src;
		unsigned char h[PYC_HEADER];
		size_t l = strlen(e->path);
		char path[4200];
		if (e->type != PK_PLAN_REG || l < 4 || strcmp(e->path + l - 4, ".pyc") != 0 ||
		    source_of(e->path, path, sizeof(path)) < 0)
			continue;
		if (!(src = pk_plan_find_in(img, img->n, path)) || src->type != PK_PLAN_REG ||
		    src->has_mtime || header(img, e, h, roots) < 0)
			continue;
		/* flags 0: checked by timestamp (1 and 3 are hash-based: nothing to keep) */
		if (le32(h + 4) != 0 || le32(h + 12) != (uint32_t)src->size)
			continue;
		src->mtime = le32(h + 8);
		src->has_mtime = 1;
	}
	for (int i = 0; i < 2; i++)
		if (roots[i] >= 0)
			close(roots[i]);
}
