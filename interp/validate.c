/* validate.c: not written yet. */
#include "module.h"
