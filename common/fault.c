/* SPDX-License-Identifier: MIT */
/* Fault points for tests (see fault.h). */
#include "common/fault.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char point_name[32];
static unsigned long target, seen;
static int sig;

static void arm(void)
{
	static const struct { const char *name; int sig; } sigs[] = {
		{ "KILL", SIGKILL }, { "TERM", SIGTERM }, { "INT", SIGINT }, { "HUP", SIGHUP } };
	const char *v = getenv("DISTILL_TEST_FAULT");
	char name[16];

	if (!v || sscanf(v, "%31[a-z]:%lu:%15[A-Z]", point_name, &target, name) != 3 || !target)
		return;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (strcmp(name, sigs[i].name) == 0)
			sig = sigs[i].sig;
}

void dt_fault(const char *point)
{
	int hit;

	pthread_once(&once, arm);
	if (!sig || strcmp(point, point_name) != 0)
		return;
	pthread_mutex_lock(&lock);
	hit = ++seen == target;
	pthread_mutex_unlock(&lock);
	if (hit)
		raise(sig);
}
