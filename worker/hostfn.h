/*
** hostfn.h: the import modules a plugin may link besides WASI
** (docs/host-functions.md):
**   reglet_host  the host functions of a compliance tool's observe
**                plugins: each takes the i64 ptr << 32 | len of a JSON
**                request in linear memory and returns its JSON response,
**                in memory the plugin's `allocate` export hands out,
**                packed the same way (log_message returns nothing);
**   plugsup      plugsup's own http_request for plugins of any ABI: the
**                request at (ptr, len), the response copied to a buffer
**                the plugin gives, its whole length returned; a response
**                longer than the buffer is read again, whole, with
**                http_response.
** The worker forwards the request's bytes as a host call
** (proto/hostcall.h) and neither reads nor writes the JSON: the
** supervisor parses it, decides and does the work.
*/
#ifndef PLUGSUP_WORKER_HOSTFN_H
#define PLUGSUP_WORKER_HOSTFN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostcall.h"
#include "interp.h"

/* How a function takes its request and gives its response. */
typedef enum hostfn_style {
  HOSTFN_PACKED,      /* (i64 packed) -> i64 packed, from allocate */
  HOSTFN_PACKED_VOID, /* (i64 packed) -> () */
  HOSTFN_BUFFER,      /* (req, len, buf, cap) -> i32 whole length */
  HOSTFN_REREAD       /* (buf, cap) -> i32: the last response again */
} hostfn_style;

#define HOSTFN_OWN_MODULE "plugsup"

/* X(module, name, op, style, params, results) */
#define HOSTFN_LIST(X)                                                  \
  X("reglet_host", dns_lookup, HC_DNS_LOOKUP, HOSTFN_PACKED, "I", "I")  \
  X("reglet_host", http_request, HC_HTTP_REQUEST, HOSTFN_PACKED, "I",   \
    "I")                                                                \
  X("reglet_host", tcp_connect, HC_TCP_CONNECT, HOSTFN_PACKED, "I", "I")\
  X("reglet_host", smtp_connect, HC_SMTP_CONNECT, HOSTFN_PACKED, "I",   \
    "I")                                                                \
  X("reglet_host", exec_command, HC_EXEC_COMMAND, HOSTFN_PACKED, "I",   \
    "I")                                                                \
  X("reglet_host", log_message, HC_LOG_MESSAGE, HOSTFN_PACKED_VOID, "I",\
    "")                                                                 \
  X(HOSTFN_OWN_MODULE, http_request, HC_HTTP_REQUEST, HOSTFN_BUFFER,   \
    "iiii", "i")                                                        \
  X(HOSTFN_OWN_MODULE, http_response, HC_NONE, HOSTFN_REREAD, "ii", "i")

#define HOSTFN_ONE_(module, name, op, style, params, results) +1
enum { HOSTFN_COUNT = 0 HOSTFN_LIST(HOSTFN_ONE_) };
#undef HOSTFN_ONE_

struct wasi_env;

/* What a reglet_host function is called with. */
typedef struct hostfn_call {
  struct wasi_env *env;
  unsigned index;          /* its row */
} hostfn_call;

/* The last response of a HOSTFN_BUFFER call, for HOSTFN_REREAD. */
typedef struct hostfn_last {
  uint8_t *data;
  size_t len;
} hostfn_last;

bool hostfn_is_module(const char *module, size_t len);
/* Whether imp is one of plugsup's own functions (module "plugsup"): the
** only imports a process plugin may have (worker/abi.c). */
bool hostfn_is_own(const interp_import_desc *imp);
void hostfn_last_free(hostfn_last *last);
/* The function imp names, bound to env; INTERP_NOT_FOUND with the reason
** in env->unlinked for an unknown name or a wrong type. */
interp_status hostfn_resolve(struct wasi_env *env,
                             const interp_import_desc *imp,
                             interp_extern *out);

#endif
