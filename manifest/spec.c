/* SPDX-License-Identifier: MIT */
/* placeholder: being written */
#include "manifest/spec.h"
