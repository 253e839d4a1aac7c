/* SPDX-License-Identifier: MIT */
/* The terminal progress bar (see cli.h). Wall-clock time here only paces drawing. */
#include "cli/cli.h"

#include <unistd.h>

static double since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

void cli_progress_init(struct cli_progress *p, const char *label, int quiet)
{
	p->enabled = !quiet && isatty(STDERR_FILENO);
	p->shown = 0;
	p->label = label;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->last = p->start;
}

void cli_progress_cb(void *ctx, const char *label, uint64_t done, uint64_t total)
{
	struct cli_progress *p = ctx;
	struct timespec now;
	char bar[31];
	double frac, secs;
	int fill;

	if (label)
		p->label = label;
	if (!p->enabled)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	secs = since(&p->start, &now);
	if (secs < 1.0 || (p->shown && since(&p->last, &now) < 0.1))
		return;
	p->last = now;
	p->shown = 1;
	if (!total) { /* size unknown: no bar */
		fprintf(stderr, "\r%s %7.1f MiB %6.1f MiB/s\033[K", p->label,
			(double)done / 1048576.0, (double)done / 1048576.0 / secs);
		fflush(stderr);
		return;
	}
	frac = (double)done / (double)total;
	if (frac > 1.0)
		frac = 1.0;
	fill = (int)(frac * 30);
	for (int i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[30] = '\0';
	fprintf(stderr, "\r%s [%s] %3d%% %7.1f/%.1f MiB %6.1f MiB/s", p->label, bar,
		(int)(frac * 100), (double)done / 1048576.0, (double)total / 1048576.0,
		(double)done / 1048576.0 / secs);
	fflush(stderr);
}

void cli_progress_end(struct cli_progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = 0;
}
