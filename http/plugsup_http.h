/*
** plugsup_http.h: the fixed interface of plugsup-http, the program that
** makes one HTTP request for a plugin (http/), and of its caller,
** supervisor/net_http.c.
**
** The supervisor starts plugsup-http (installed beside plugsup-worker)
** with no arguments, an empty environment, stdin and stdout on /dev/null,
** and one end of a stream socket pair on fd 3, in a process group of its
** own. It sends one HttpCall frame (proto/frame.h); the helper answers
** with one HttpResult frame, whatever happened (a refused grant, a
** network error, a timeout of its own), and exits 0. Any other ending is
** the helper's failure, told by its exit status below or a signal.
**
** The helper parses bytes from servers nobody vouched for, so the
** supervisor trusts nothing it sends: every count, size and string of an
** HttpResult is bounded and cleaned there.
*/
#ifndef PLUGSUP_HTTP_H
#define PLUGSUP_HTTP_H

#define PLUGSUP_HTTP_NAME "plugsup-http"
#define PLUGSUP_HTTP_FD 3

/* The largest HttpCall frame: the request body is the plugin's, bounded
** by its host call before it gets here. */
#define PLUGSUP_HTTP_CALL_MAX (16u << 20)
/* A response header whose name and value together are longer is dropped:
** no honest header is, and it bounds the result frame. */
#define PLUGSUP_HTTP_HEADER_BYTES 8192u
/* The most decisions a result lists: each hop's name check and the
** addresses dialled for it, beyond which they are not recorded. */
#define PLUGSUP_HTTP_DECISIONS_MAX 64u
/* Decision strings and error messages are cut to this many bytes. */
#define PLUGSUP_HTTP_TEXT_MAX 1024u

/* The largest HttpResult frame for a call's body_max and headers_max:
** the body, every header at its largest, every decision and the error at
** their longest, and each field's tag and length. */
#define PLUGSUP_HTTP_RESULT_MAX(body_max, headers_max)                    \
  ((size_t)(body_max) +                                                  \
   (size_t)(headers_max) * (PLUGSUP_HTTP_HEADER_BYTES + 16u) +          \
   PLUGSUP_HTTP_DECISIONS_MAX * (3u * PLUGSUP_HTTP_TEXT_MAX + 96u) +     \
   4u * PLUGSUP_HTTP_TEXT_MAX)

/* How the helper ends when it cannot send an HttpResult. */
#define PLUGSUP_HTTP_EXIT_OK 0
#define PLUGSUP_HTTP_EXIT_SETUP 120    /* a step of its start-up failed */
#define PLUGSUP_HTTP_EXIT_USAGE 121    /* arguments given, or no fd 3 */
#define PLUGSUP_HTTP_EXIT_PROTOCOL 123 /* no HttpCall frame on fd 3 */
#define PLUGSUP_HTTP_EXIT_REPLY_IO 124 /* its result could not be sent */
#define PLUGSUP_HTTP_EXIT_NOMEM 125    /* out of memory outside a request */

#endif
