/*
** wasi_poll.c: poll_oneoff. A poll that only waits for clocks is slept
** here (clock_nanosleep on the monotonic clock, the one extra system call
** the sandbox allows for it); one with an fd subscription, or one that
** waits for a wall-clock time the run may not read, is forwarded whole.
**
** As wasmtime: no subscriptions is EINVAL (it would sleep for ever); a
** clock other than realtime or monotonic, an unknown tag or clock flag is
** EINVAL; a realtime deadline becomes a duration from now; every clock
** that is due when the sleep ends gets an event, in subscription order.
*/
#define _GNU_SOURCE
#include "wasi_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* WASI's layouts: subscription 48 bytes (userdata u64, tag u8 at 8, then
** at 16 either clock {id u32, timeout u64 at 24, precision u64 at 32,
** flags u16 at 40} or fd u32), event 32 bytes (userdata u64, errno u16
** at 8, type u8 at 10, nbytes u64 at 16, flags u16 at 24). */
#define SUB_SIZE 48u
#define EVENT_SIZE 32u

/* ---- checking ---- */

static uint32_t check_sub(const uint8_t *s, bool clock_granted, bool *local) {
  uint32_t tag = s[8], id = (uint32_t)wasi_get(s + 16, 4);
  uint32_t flags = (uint32_t)wasi_get(s + 40, 2);
  if (tag > WASI_EVENT_FD_WRITE)
    return WASI_EINVAL;
  if (tag != WASI_EVENT_CLOCK) {
    *local = false;
    return WASI_ESUCCESS;
  }
  if (id > WASI_CLOCK_MONOTONIC || (flags & ~WASI_SUBCLOCK_ABSTIME) != 0)
    return WASI_EINVAL;
  if (id == WASI_CLOCK_REALTIME && (flags & WASI_SUBCLOCK_ABSTIME) && !clock_granted)
    *local = false;
  return WASI_ESUCCESS;
}

/* ---- sleeping here ---- */

static uint64_t now_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t add_sat(uint64_t a, uint64_t b) {
  return a + b < a ? UINT64_MAX : a + b;
}

/* A clock subscription's deadline on the monotonic clock, given both
** clocks read once at the start. */
static uint64_t deadline(const uint8_t *s, uint64_t mono0, uint64_t real0) {
  uint64_t timeout = wasi_get(s + 24, 8);
  bool absolute = (wasi_get(s + 40, 2) & WASI_SUBCLOCK_ABSTIME) != 0;
  if (!absolute)
    return add_sat(mono0, timeout);
  if (wasi_get(s + 16, 4) == WASI_CLOCK_MONOTONIC)
    return timeout;
  return add_sat(mono0, timeout > real0 ? timeout - real0 : 0);
}

static void sleep_until(uint64_t mono) {
  struct timespec ts = {(time_t)(mono / 1000000000u), (long)(mono % 1000000000u)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
    continue;
}

static void put_event(uint8_t *ev, uint64_t userdata, uint64_t error,
                      uint64_t type, uint64_t nbytes, uint64_t flags) {
  memset(ev, 0, EVENT_SIZE);
  wasi_put(ev, userdata, 8);
  wasi_put(ev + 8, error, 2);
  wasi_put(ev + 10, type, 1);
  wasi_put(ev + 16, nbytes, 8);
  wasi_put(ev + 24, flags, 2);
}

static uint32_t sleep_clocks(const uint8_t *subs, uint8_t *events, uint32_t n,
                             uint8_t *nevents) {
  uint64_t mono0 = now_ns(CLOCK_MONOTONIC), real0 = now_ns(CLOCK_REALTIME);
  uint64_t first = UINT64_MAX, now;
  uint32_t got = 0;

  for (uint32_t i = 0; i < n; i++) {
    uint64_t d = deadline(subs + SUB_SIZE * i, mono0, real0);
    first = d < first ? d : first;
  }
  sleep_until(first);
  now = now_ns(CLOCK_MONOTONIC);
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *s = subs + SUB_SIZE * i;
    if (deadline(s, mono0, real0) <= now)
      put_event(events + EVENT_SIZE * got++, wasi_get(s, 8), 0, WASI_EVENT_CLOCK, 0, 0);
  }
  wasi_put(nevents, got, 4);
  return WASI_ESUCCESS;
}

/* ---- forwarding ---- */

/* HOSTCALL_POLL_SUB's values: userdata, tag, clock id or fd, timeout,
** clock flags; an fd's timeout and flags are 0. The clock's precision
** does not travel. */
static void encode_sub(const uint8_t *s, Plugsup__Value *v) {
  bool clock = s[8] == WASI_EVENT_CLOCK;
  uint64_t bits[HOSTCALL_POLL_VALUES] = {
      wasi_get(s, 8), s[8], wasi_get(s + 16, 4),
      clock ? wasi_get(s + 24, 8) : 0, clock ? wasi_get(s + 40, 2) : 0};
  for (int k = 0; k < HOSTCALL_POLL_VALUES; k++) {
    plugsup__value__init(&v[k]);
    v[k].type = HOSTCALL_POLL_SUB[k] == 'I' ? PLUGSUP__VAL_TYPE__I64
                                            : PLUGSUP__VAL_TYPE__I32;
    v[k].bits = bits[k];
  }
}

/* The reply's events (worker_host_call checked their number and types). */
static void decode_events(const Plugsup__HostReply *r, uint8_t *events,
                          uint8_t *nevents) {
  size_t n = r->n_values / HOSTCALL_POLL_VALUES;
  for (size_t i = 0; i < n; i++) {
    Plugsup__Value *const *v = r->values + HOSTCALL_POLL_VALUES * i;
    put_event(events + EVENT_SIZE * i, v[0]->bits, v[1]->bits, v[2]->bits,
              v[3]->bits, v[4]->bits);
  }
  wasi_put(nevents, n, 4);
}

static interp_status forward_poll(interp_caller *c, const wasi_call *call,
                                  const uint8_t *subs, uint8_t *events,
                                  uint32_t n, uint8_t *nevents,
                                  interp_value *results) {
  worker_ctx *w = call->env->w;
  size_t nvals = (size_t)n * HOSTCALL_POLL_VALUES;
  Plugsup__Value *vals = calloc(nvals, sizeof *vals);
  Plugsup__Value **ptrs = calloc(nvals, sizeof *ptrs);
  Plugsup__Envelope *reply = NULL;
  worker_call wc = {HC_POLL_ONEOFF, ptrs, nvals, {0, NULL}, {0, NULL}, 0, 0};
  interp_status st;

  if (vals == NULL || ptrs == NULL) {
    st = wasi_return(c, results, WASI_ENOMEM);
    goto done;
  }
  for (size_t i = 0; i < nvals; i++)
    ptrs[i] = &vals[i];
  for (uint32_t i = 0; i < n; i++)
    encode_sub(subs + SUB_SIZE * i, vals + HOSTCALL_POLL_VALUES * i);
  if (worker_host_call(w, &wc, &reply) != 0) {
    st = interp_caller_trap(c, w->call_error);
    goto done;
  }
  if (reply->host_reply->error == 0)
    decode_events(reply->host_reply, events, nevents);
  st = wasi_return(c, results, (uint32_t)reply->host_reply->error);
done:
  frame_free(reply);
  free(ptrs);
  free(vals);
  return st;
}

HOST_FN(wasi_poll_oneoff) {
  uint32_t n = ARG_I32(2), e = WASI_ESUCCESS;
  const uint8_t *subs;
  uint8_t *events, *nevents;
  bool local = true;
  interp_status st;

  if (n == 0)
    return wasi_return(c, results, WASI_EINVAL);
  if ((st = wasi_charge_items(c, n)) != INTERP_OK)
    return st;
  subs = wasi_mem(c, ARG_I32(0), (uint64_t)n * SUB_SIZE);
  events = wasi_mem(c, ARG_I32(1), (uint64_t)n * EVENT_SIZE);
  nevents = wasi_mem(c, ARG_I32(3), 4);
  if (subs == NULL || events == NULL || nevents == NULL)
    return wasi_return(c, results, WASI_EFAULT);
  for (uint32_t i = 0; i < n && e == WASI_ESUCCESS; i++)
    e = check_sub(subs + SUB_SIZE * i, call->env->run->clock, &local);
  if (e != WASI_ESUCCESS)
    return wasi_return(c, results, e);
  if (local)
    return wasi_return(c, results, sleep_clocks(subs, events, n, nevents));
  if (n > HOSTCALL_POLL_MAX)
    return wasi_return(c, results, WASI_EINVAL);
  return forward_poll(c, call, subs, events, n, nevents, results);
}
