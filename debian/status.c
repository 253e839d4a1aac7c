/* SPDX-License-Identifier: MIT */
/* status.d md5sums and stanza fields (see status.h). */
#include "debian/status.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void deb_status_md5sums_add(struct dt_buf *b, const unsigned char md5[DT_MD5_LEN],
			    const char *path)
{
	char hex[2 * DT_MD5_LEN + 1];

	dt_hex(md5, DT_MD5_LEN, hex);
	dt_buf_add(b, "%s  %s\n", hex, path[0] == '/' ? path + 1 : path);
}

int deb_status_md5sums_parse(char *text, deb_md5sums_fn fn, void *ctx)
{
	char *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *p = strstr(line, "  ");
		size_t len;
		int rc;
		if (!p)
			continue;
		p += 2;
		while (p[0] == '.' && p[1] == '/')
			p += 2;
		while (p[0] == '/')
			p++;
		len = strlen(p);
		while (len > 0 && p[len - 1] == '/')
			p[--len] = '\0';
		if ((rc = fn(ctx, p)) < 0)
			return rc;
	}
	return 0;
}

char *deb_field(const char *text, const char *name)
{
	size_t n = strlen(name);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncasecmp(l, name, n) == 0 && l[n] == ':') { /* names are case-blind */
			const char *v = l + n + 1, *end;
			while (*v == ' ' || *v == '\t')
				v++;
			end = strchr(v, '\n');
			if (!end)
				end = v + strlen(v);
			while (end > v && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
				end--;
			return end > v ? strndup(v, (size_t)(end - v)) : NULL;
		}
	}
	return NULL;
}
