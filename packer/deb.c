/* SPDX-License-Identifier: MIT */
/* placeholder: being written */
#include "packer/deb.h"
