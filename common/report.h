/* SPDX-License-Identifier: MIT */
/* How long work reports back to its caller (only the CLI prints): warnings, and progress. */
#ifndef DISTILL_COMMON_REPORT_H
#define DISTILL_COMMON_REPORT_H

#include <stdint.h>

/* A warning about something skipped or not added (one line, no newline). */
typedef void (*dt_warn_fn)(void *ctx, const char *msg);

/* Progress of the work called @label ("build", "layer 2"): @done of @total units (bytes of
 * content), @total 0 when unknown. Called now and then, from the thread doing the work. */
typedef void (*dt_progress_fn)(void *ctx, const char *label, uint64_t done, uint64_t total);

#endif
