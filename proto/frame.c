/*
** frame.c: length-prefixed protobuf frames over a pipe.
*/
#include "frame.h"
