/*
** plugsup-http: makes one HTTP request for a plugin (plugsup_http.h says
** how it is started and what it answers). It lives apart from the
** supervisor because libcurl links only dynamically here, brings some
** thirty shared libraries, and parses what servers send: one fresh
** process per request keeps all that out of the supervisor, and nothing
** is shared between requests.
**
** Before it reads the call it asks to die with its parent, gives up
** gaining privileges, and caps what a bug could grow into (no core, no
** file written, a bounded address space). A system-call filter is a step
** still to come.
*/
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <curl/curl.h>

#include "http.h"

#if defined(__SANITIZE_ADDRESS__)
#define HTTP_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HTTP_SANITIZED 1
#endif
#endif
#ifndef HTTP_SANITIZED
#define HTTP_SANITIZED 0
#endif

/* libcurl, OpenSSL and the resolver's thread in well under this; a
** sanitizer's shadow memory needs far more, so those builds set none. */
#define HTTP_AS_BYTES (1ull << 30)
/* Sockets of one connection attempt per address family, the resolver's
** files, the CA bundle: a few; this is room and a bound. */
#define HTTP_NOFILE 64

static int set_limit(int resource, rlim_t value) {
  struct rlimit rl = {value, value};
  return setrlimit(resource, &rl);
}

static bool start_up(void) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 ||
      prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    return false;
  /* A supervisor gone is a write error on fd 3, not a signal. */
  if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
    return false;
  if (set_limit(RLIMIT_CORE, 0) != 0 || set_limit(RLIMIT_FSIZE, 0) != 0 ||
      set_limit(RLIMIT_MEMLOCK, 0) != 0 ||
      set_limit(RLIMIT_NOFILE, HTTP_NOFILE) != 0)
    return false;
  if (!HTTP_SANITIZED && set_limit(RLIMIT_AS, HTTP_AS_BYTES) != 0)
    return false;
  /* libidn2, through curl, reads names in the locale's encoding: URLs
  ** are UTF-8, and the environment is empty. glibc has C.UTF-8 built in. */
  if (!setlocale(LC_CTYPE, "C.UTF-8"))
    return false;
  return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

/* The request, decided and made; its result sent. */
static int serve(const Plugsup__HttpCall *call) {
  http_out *o = malloc(sizeof *o);
  policy *p = NULL;
  int rc = PLUGSUP_HTTP_EXIT_NOMEM;
  if (!o || !http_out_init(o, call->headers_max))
    goto done;
  if ((p = http_grants_policy(call->grants, o)))
    http_fetch(call, p, o);
  rc = http_send_result(PLUGSUP_HTTP_FD, o,
                        PLUGSUP_HTTP_RESULT_MAX(call->body_max,
                                                call->headers_max)) == FRAME_OK
           ? PLUGSUP_HTTP_EXIT_OK
           : PLUGSUP_HTTP_EXIT_REPLY_IO;
done:
  if (o)
    http_out_free(o);
  free(o);
  policy_free(p);
  return rc;
}

int main(int argc, char **argv) {
  Plugsup__Envelope *env = NULL;
  (void)argv;
  if (argc != 1 || fcntl(PLUGSUP_HTTP_FD, F_GETFD) < 0)
    return PLUGSUP_HTTP_EXIT_USAGE;
  if (!start_up())
    return PLUGSUP_HTTP_EXIT_SETUP;
  if (frame_read(PLUGSUP_HTTP_FD, PLUGSUP_HTTP_CALL_MAX, &env) != FRAME_OK ||
      env->msg_case != PLUGSUP__ENVELOPE__MSG_HTTP_CALL) {
    frame_free(env);
    return PLUGSUP_HTTP_EXIT_PROTOCOL;
  }
  int rc = serve(env->http_call);
  frame_free(env);
  curl_global_cleanup();
  return rc;
}
