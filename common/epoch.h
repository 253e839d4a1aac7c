/* SPDX-License-Identifier: MIT */
/* SOURCE_DATE_EPOCH: strict parsing and RFC 3339 formatting, without the host clock or TZ. */
#ifndef DISTILL_COMMON_EPOCH_H
#define DISTILL_COMMON_EPOCH_H

#include <stdint.h>

#include "common/err.h"

/* The latest instant distill accepts: 9999-12-31T23:59:59Z. */
#define DT_EPOCH_MAX INT64_C(253402300799)

/* The value used when SOURCE_DATE_EPOCH is unset: 0, 1970-01-01T00:00:00Z. */
#define DT_EPOCH_DEFAULT INT64_C(0)

/* Parses @s as ASCII decimal seconds since the epoch, 0 ... DT_EPOCH_MAX, nothing else
 * (no sign, no spaces, no fraction). @what names the source in errors
 * (e.g. "SOURCE_DATE_EPOCH").
 * @return 0, or -DT_EINPUT with @err set. */
int dt_epoch_parse(const char *s, const char *what, int64_t *out, struct dt_err *err);

/* Writes @t (0 ... DT_EPOCH_MAX) as "YYYY-MM-DDTHH:MM:SSZ" into @buf (at least 21 bytes).
 * @return 0, or -DT_EINPUT when @t is out of range. */
int dt_epoch_rfc3339(int64_t t, char *buf, struct dt_err *err);

#endif
