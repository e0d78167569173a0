/*
** ctl.h: the zygote's control socket. One packed Envelope per datagram of
** a SOCK_SEQPACKET pair, with descriptors beside it (SCM_RIGHTS).
**
** The receiving side takes whatever the peer sent: a datagram over
** CTL_DATAGRAM_MAX, descriptors beyond 'max_fds' and a truncated control
** part are errors, and every descriptor that came with a refused datagram
** is closed before the call returns, so a hostile peer can neither keep
** one open in the receiver nor fill its descriptor table.
*/
#ifndef PLUGSUP_PROTO_CTL_H
#define PLUGSUP_PROTO_CTL_H

#include <stddef.h>

#include "frame.h"

#define CTL_DATAGRAM_MAX 1024u
#define CTL_FDS_MAX 3u

/* FRAME_OK, FRAME_IO (errno says why), FRAME_TOO_BIG. */
frame_status ctl_send(int sock, const Plugsup__Envelope *env, const int *fds,
                      size_t nfds);

/* Blocks. FRAME_OK with *out and fds[0 .. *nfds) (close-on-exec), or
** FRAME_EOF (the peer is gone), FRAME_IO, FRAME_TOO_BIG (a datagram too
** long or too many descriptors), FRAME_EMPTY, or what frame_decode says. */
frame_status ctl_recv(int sock, Plugsup__Envelope **out, int *fds,
                      size_t max_fds, size_t *nfds);

/* As ctl_recv, but FRAME_AGAIN at once when no datagram is waiting. */
frame_status ctl_recv_now(int sock, Plugsup__Envelope **out, int *fds,
                          size_t max_fds, size_t *nfds);

/* The checks every ctl message gets on top of decoding: NULL, or what is
** wrong with it (a Forked that answers another fork, a message with the
** wrong number of descriptors). 'id' is the fork asked. */
const char *ctl_check_hello(const Plugsup__Envelope *env, size_t nfds);
const char *ctl_check_ready(const Plugsup__Envelope *env, size_t nfds);
const char *ctl_check_forked(const Plugsup__Envelope *env, size_t nfds,
                             uint64_t id);

#endif
