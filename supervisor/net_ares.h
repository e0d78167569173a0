/*
** net_ares.h: a c-ares channel stepped from the supervisor's poll loop,
** shared by the DNS lookups (net_dns.c) and the address lookups of TCP
** and SMTP (net_tcp.c). Private to supervisor/.
**
** The channel is driven by its sockets (ares_getsock, ares_process_fd) and
** its own retry timer (ares_timeout): nothing here waits.
*/
#ifndef PLUGSUP_SUPERVISOR_NET_ARES_H
#define PLUGSUP_SUPERVISOR_NET_ARES_H

#include <ares.h>

#include "net.h"

/* Opens a channel whose sockets are non-blocking, close-on-exec and never
** raise SIGPIPE. nameserver NULL: the system's configuration
** (/etc/resolv.conf, and /etc/hosts for address lookups). Otherwise
** "host:port" with an address literal (IPv6 in brackets): only that server
** is asked and /etc/hosts is not read. False with e set ("config" for a
** bad nameserver, "internal" when c-ares cannot start). */
bool net_ares_open(ares_channel *ch, const char *nameserver, net_error *e);
/* The channel's sockets to poll now, at most max. */
size_t net_ares_pollfds(ares_channel ch, struct pollfd *out, size_t max);
/* When the channel's retry timer runs out though no socket is ready;
** UINT64_MAX when no query is pending. */
uint64_t net_ares_wake_ns(ares_channel ch);
/* Reads and writes what poll reported ready, then runs the timer. */
void net_ares_step(ares_channel ch, const struct pollfd *fds, size_t n);
/* e for a failed lookup of name (status: c-ares's). */
void net_ares_error(net_error *e, int status, const char *name);

#endif
