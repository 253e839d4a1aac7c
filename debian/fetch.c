/* SPDX-License-Identifier: MIT */
typedef int dt_placeholder_fetch;
