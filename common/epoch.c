/* SPDX-License-Identifier: MIT */
/* SOURCE_DATE_EPOCH parsing and UTC formatting by calendar arithmetic (no gmtime, no TZ). */
#include "common/epoch.h"

#include <stdio.h>
#include <string.h>

int dt_epoch_parse(const char *s, const char *what, int64_t *out, struct dt_err *err)
{
	int64_t v = 0;
	const char *p;

	if (!s || !*s)
		return dt_err_set(err, DT_EINPUT, "%s is empty: want seconds since 1970", what);
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return dt_err_set(err, DT_EINPUT,
				"%s '%s' is not a whole number of seconds since 1970", what, s);
		v = v * 10 + (*p - '0');
		if (v > DT_EPOCH_MAX)
			return dt_err_set(err, DT_EINPUT,
				"%s '%s' is after 9999-12-31T23:59:59Z", what, s);
	}
	*out = v;
	return 0;
}

int dt_epoch_rfc3339(int64_t t, char *buf, struct dt_err *err)
{
	int64_t days, secs, z, era, doe, yoe, y, doy, mp, d, m;

	if (t < 0 || t > DT_EPOCH_MAX)
		return dt_err_set(err, DT_EINPUT, "time %lld is out of range", (long long)t);
	days = t / 86400;
	secs = t % 86400;
	/* civil_from_days (H. Hinnant), for days >= 0 */
	z = days + 719468;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	{
		char tmp[64];
		snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y, (int)m,
			 (int)d, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
		memcpy(buf, tmp, 21);
	}
	return 0;
}
