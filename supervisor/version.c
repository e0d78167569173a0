/*
** version.c: the library's version.
*/
#include "plugsup.h"

const char *plugsup_version(void) { return PLUGSUP_VERSION_STRING; }
