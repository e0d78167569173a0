/*
** frame.h: length-prefixed protobuf frames over a pipe.
*/
#ifndef PLUGSUP_PROTO_FRAME_H
#define PLUGSUP_PROTO_FRAME_H

#include "plugsup.pb-c.h"

#define FRAME_PROTOCOL_VERSION 1

#endif
