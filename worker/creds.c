/*
** creds.c: the worker's ids, groups and capabilities, and its user
** namespace (sandbox.c decides when each step runs).
**
** The order follows nsjail (contain.cc, caps.cc) and minijail
** (libminijail.c): what needs a capability comes before the call that
** loses it. Root first locks its securebits and empties the bounding set
** (both need CAP_SETPCAP), then drops its supplementary groups, its gid
** and last its uid, which clears every capability. A new user namespace
** hands out a full set again, bounding set and default securebits
** included, so the same locking runs again inside it before the worker
** gives up every capability (creds_drop_caps). no_new_privs and the
** filter come after all of it (sandbox.c, seccomp.c).
**
** Capabilities go through the raw capget/capset system calls: the worker
** is linked statically and needs no libcap for two calls.
*/
#define _GNU_SOURCE
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Capabilities are numbered below 64 (cap_last_cap is 40 on Linux 6.x);
** the loops stop earlier, at the first number the kernel rejects. */
#define CAP_SLOTS 64

/* The worker's uid and gid inside its user namespace: nobody, not root,
** so that it has no capability there once it dropped what unshare gave. */
#define USERNS_ID 65534u

/* Root may never come back, setuid-root programs could not give it back
** (no_new_privs forbids that anyway), ambient capabilities can never be
** raised again; and all of it is locked. KEEP_CAPS stays off (locked so):
** leaving uid 0 must clear the capability sets. */
#define LOCKED_SECUREBITS                                                     \
  (SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP_LOCKED |     \
   SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |                    \
   SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED)

/* ---- capability sets through the raw system calls ---- */

static int caps_get(uint64_t *eff, uint64_t *prm, uint64_t *inh) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

  memset(d, 0, sizeof d);
  if (syscall(SYS_capget, &hdr, d) != 0)
    return -1;
  *eff = d[0].effective | (uint64_t)d[1].effective << 32;
  *prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
  *inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
  return 0;
}

static int caps_clear(void) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

  memset(d, 0, sizeof d);
  return (int)syscall(SYS_capset, &hdr, d);
}

static int has_effective(int cap) {
  uint64_t eff, prm, inh;
  return caps_get(&eff, &prm, &inh) == 0 && (eff >> cap & 1u);
}

/* Drop every capability from the bounding set, up to the kernel's last
** (the first number it rejects, with EINVAL). */
static int empty_bounding_set(void) {
  int cap;
  for (cap = 0; cap < CAP_SLOTS; cap++)
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
      break;
  return cap > 0 && (cap == CAP_SLOTS || errno == EINVAL) ? 0 : -1;
}

/* Without CAP_SETPCAP neither can be done: a worker started without root
** keeps its bounding set, and Hello says so. Nothing in it can be gained:
** no_new_privs and the filter forbid every way to exec. */
static int lock_capability_sets(void) {
  if (!has_effective(CAP_SETPCAP))
    return 0;
  if (prctl(PR_SET_SECUREBITS, LOCKED_SECUREBITS, 0, 0, 0) != 0)
    return -1;
  return empty_bounding_set();
}

/* ---- root ---- */

int creds_is_root(void) {
  uid_t r, e, s;
  uint64_t eff, prm, inh;

  if (getresuid(&r, &e, &s) != 0 || caps_get(&eff, &prm, &inh) != 0)
    return -1;
  return r == 0 || e == 0 || s == 0 ||
         (prm & (1ull << CAP_SETUID | 1ull << CAP_SETGID)) != 0;
}

int creds_leave_root(uint32_t uid, uint32_t gid) {
  if (lock_capability_sets() != 0 || setgroups(0, NULL) != 0)
    return -1;
  if (setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0)
    return -1;
  return 0;
}

/* ---- the user namespace ---- */

static int write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  size_t len = strlen(text);
  ssize_t n;

  if (fd < 0)
    return -1;
  n = write(fd, text, len);
  close(fd);
  return n == (ssize_t)len ? 0 : -1;
}

/* One id: USERNS_ID inside is 'outside' in the parent namespace. Without
** a capability in the parent, that is the only map the kernel takes. */
static int write_map(const char *path, unsigned outside) {
  char line[32];
  snprintf(line, sizeof line, "%u %u 1\n", USERNS_ID, outside);
  return write_file(path, line);
}

/* Leaving root made us non-dumpable, which gives /proc/self to root: the
** maps could not be opened. Dumpable only while they are written, since
** meanwhile any process with our uid outside could ptrace us. The kernel
** requires "deny" before an unprivileged gid_map. */
static int write_maps(uid_t uid, gid_t gid) {
  int rc = -1;
  if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0)
    return -1;
  if (write_file("/proc/self/setgroups", "deny") == 0 &&
      write_map("/proc/self/uid_map", uid) == 0 &&
      write_map("/proc/self/gid_map", gid) == 0)
    rc = 0;
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    return -1;
  return rc;
}

/* Setting the ids the map already gave normalises the saved ones too. */
static int map_and_become_nobody(uid_t uid, gid_t gid) {
  if (write_maps(uid, gid) != 0)
    return -1;
  if (setresgid(USERNS_ID, USERNS_ID, USERNS_ID) != 0 ||
      setresuid(USERNS_ID, USERNS_ID, USERNS_ID) != 0)
    return -1;
  return 0;
}

int creds_enter_user_ns(void) {
  uid_t uid = geteuid();
  gid_t gid = getegid();

  if (unshare(CLONE_NEWUSER) != 0)
    return 0;
  return map_and_become_nobody(uid, gid) == 0 ? 1 : -1;
}

/* ---- every capability, then the facts ---- */

int creds_drop_caps(void) {
  if (lock_capability_sets() != 0)
    return -1;
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
    return -1;
  return caps_clear();
}

/* PR_CAPBSET_READ for every capability up to the first number the kernel
** does not know. */
static uint64_t read_bounding_set(void) {
  uint64_t bits = 0;
  for (int cap = 0; cap < CAP_SLOTS; cap++) {
    int on = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (on < 0)
      break;
    bits |= (uint64_t)(on != 0) << cap;
  }
  return bits;
}

/* The kernel keeps the ambient set inside permitted & inheritable (a
** capability leaving either leaves it too), so only those are asked
** about: none, once the sets are clear. */
static uint64_t read_ambient_set(uint64_t candidates) {
  uint64_t bits = 0;
  for (int cap = 0; cap < CAP_SLOTS; cap++)
    if ((candidates >> cap & 1u) &&
        prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) == 1)
      bits |= 1ull << cap;
  return bits;
}

int creds_read(sandbox_creds *c) {
  uid_t ru, su;
  gid_t rg, sg;
  int groups = getgroups(0, NULL), bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);

  if (groups < 0 || bits < 0 || getresuid(&ru, &c->uid, &su) != 0 ||
      getresgid(&rg, &c->gid, &sg) != 0 ||
      caps_get(&c->cap_effective, &c->cap_permitted, &c->cap_inheritable) != 0)
    return -1;
  c->cap_bounding = read_bounding_set();
  c->cap_ambient = read_ambient_set(c->cap_permitted & c->cap_inheritable);
  c->groups = (uint32_t)groups;
  c->securebits = (uint32_t)bits;
  c->all_ids_equal = ru == c->uid && su == c->uid && rg == c->gid && sg == c->gid;
  return 0;
}
