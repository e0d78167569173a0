/*
** ctl.c: datagrams with descriptors over the zygote's control socket.
*/
#define _GNU_SOURCE
#include "ctl.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

frame_status ctl_send(int sock, const Plugsup__Envelope *env, const int *fds,
                      size_t nfds) {
  uint8_t buf[CTL_DATAGRAM_MAX];
  union {
    char bytes[CMSG_SPACE(CTL_FDS_MAX * sizeof(int))];
    struct cmsghdr align;
  } control;
  size_t len = plugsup__envelope__get_packed_size(env);
  struct iovec iov;
  struct msghdr msg;

  if (len > sizeof buf || nfds > CTL_FDS_MAX)
    return FRAME_TOO_BIG;
  plugsup__envelope__pack(env, buf);
  iov.iov_base = buf;
  iov.iov_len = len;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (nfds > 0) {
    struct cmsghdr *c;
    memset(&control, 0, sizeof control);
    msg.msg_control = control.bytes;
    msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
    c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
    memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
  }
  for (;;) {
    ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    if (n == (ssize_t)len)
      return FRAME_OK;
    if (n < 0 && errno == EINTR)
      continue;
    if (n >= 0)
      errno = EMSGSIZE;
    return FRAME_IO;
  }
}

/* Every descriptor of every SCM_RIGHTS part, in order: the first max_fds
** kept, the rest closed. Returns how many came in all. */
static size_t take_fds(struct msghdr *msg, int *fds, size_t max_fds,
                       size_t *kept) {
  size_t all = 0;
  *kept = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL;
       c = CMSG_NXTHDR(msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
        c->cmsg_len < CMSG_LEN(0))
      continue;
    size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < n; i++, all++) {
      int fd;
      memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      if (*kept < max_fds)
        fds[(*kept)++] = fd;
      else
        close(fd);
    }
  }
  return all;
}

static void close_all(int *fds, size_t n) {
  for (size_t i = 0; i < n; i++)
    close(fds[i]);
}

static frame_status recv_flags(int sock, Plugsup__Envelope **out, int *fds,
                               size_t max_fds, size_t *nfds, int flags) {
  uint8_t buf[CTL_DATAGRAM_MAX];
  union {
    char bytes[CMSG_SPACE(CTL_FDS_MAX * sizeof(int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = {buf, sizeof buf};
  struct msghdr msg;
  ssize_t n;
  size_t all;
  frame_status st;

  *out = NULL;
  *nfds = 0;
  if (max_fds > CTL_FDS_MAX)
    max_fds = CTL_FDS_MAX;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.bytes;
  msg.msg_controllen = sizeof control.bytes;
  while ((n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | flags)) < 0 &&
         errno == EINTR)
    ;
  if (n < 0)
    return errno == EAGAIN || errno == EWOULDBLOCK ? FRAME_AGAIN : FRAME_IO;
  all = take_fds(&msg, fds, max_fds, nfds);
  if (n == 0 && all == 0)
    return FRAME_EOF;
  st = FRAME_OK;
  if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || all > max_fds)
    st = FRAME_TOO_BIG;
  else
    st = frame_decode(buf, (size_t)n, out);
  if (st != FRAME_OK) {
    close_all(fds, *nfds);
    *nfds = 0;
  }
  return st;
}

frame_status ctl_recv(int sock, Plugsup__Envelope **out, int *fds,
                      size_t max_fds, size_t *nfds) {
  return recv_flags(sock, out, fds, max_fds, nfds, 0);
}

frame_status ctl_recv_now(int sock, Plugsup__Envelope **out, int *fds,
                          size_t max_fds, size_t *nfds) {
  return recv_flags(sock, out, fds, max_fds, nfds, MSG_DONTWAIT);
}

const char *ctl_check_hello(const Plugsup__Envelope *env, size_t nfds) {
  if (env->msg_case != PLUGSUP__ENVELOPE__MSG_ZYGOTE_HELLO)
    return "expected ZygoteHello";
  if ((env->zygote_hello->namespaces & PLUGSUP__NAMESPACE__NS_PID) ? nfds != 1
                                                                   : nfds != 0)
    return "a ZygoteHello whose descriptors do not match its pid namespace";
  return NULL;
}

const char *ctl_check_ready(const Plugsup__Envelope *env, size_t nfds) {
  if (env->msg_case != PLUGSUP__ENVELOPE__MSG_ZYGOTE_READY)
    return "expected ZygoteReady";
  return nfds == 0 ? NULL : "a ZygoteReady with descriptors";
}

const char *ctl_check_forked(const Plugsup__Envelope *env, size_t nfds,
                             uint64_t id) {
  const Plugsup__ZygoteForked *f = env->zygote_forked;
  if (env->msg_case != PLUGSUP__ENVELOPE__MSG_ZYGOTE_FORKED)
    return "expected ZygoteForked";
  if (f->id != id)
    return "a ZygoteForked for another fork";
  if (f->error == 0 ? nfds != 1 || f->pid == 0 : nfds != 0 || f->error < 0)
    return "a ZygoteForked whose descriptors do not match its error";
  return NULL;
}
