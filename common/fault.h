/* SPDX-License-Identifier: MIT */
/* Fault points for tests: the environment variable DISTILL_TEST_FAULT="POINT:N:SIG" makes
 * the process raise SIG (KILL, TERM, INT or HUP) the Nth time it passes POINT, so that a
 * test stops it at an exact step of its work, whatever the machine's speed. Unset (always,
 * outside tests) a point costs a comparison. The points:
 *   write      each write of output bytes (dt_write_all)
 *   commit     before an output is renamed into place (a file, a new layout, index.json)
 *   committed  just after that rename
 *   blob       after a blob is renamed into an OCI layout
 *   member     a gzip worker thread, before it compresses a member
 *   child      distill verify, once its build process has started */
#ifndef DISTILL_COMMON_FAULT_H
#define DISTILL_COMMON_FAULT_H

void dt_fault(const char *point);

#endif
