/*
** loop.c: the supervisor object and its event loop.
**
** One pass of the loop (sup_step) reads as its phases:
**   1. start queued jobs while fewer than max_in_flight workers live;
**   2. poll every live worker's reply pipe, request pipe (while a frame
**      is waiting to go out) and pidfd, until the nearest deadline;
**   3. handle what poll reported: frames in, frames out, exits (reaped
**      at once, after the reply pipe is drained);
**   4. kill workers whose deadline has passed.
** Nothing blocks outside poll(), so one hostile worker cannot hold up the
** others.
*/
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "internal.h"
#include "policy_limits.h"

/* ---- lists ---- */

static void list_push(sup_list *l, plugsup_job *j) {
  j->list = l;
  j->next = NULL;
  j->prev = l->tail;
  if (l->tail)
    l->tail->next = j;
  else
    l->head = j;
  l->tail = j;
  l->count++;
}

static void list_remove(plugsup_job *j) {
  sup_list *l = j->list;
  if (!l)
    return;
  if (j->prev)
    j->prev->next = j->next;
  else
    l->head = j->next;
  if (j->next)
    j->next->prev = j->prev;
  else
    l->tail = j->prev;
  l->count--;
  j->list = NULL;
  j->prev = j->next = NULL;
}

static void move_to(sup_list *l, plugsup_job *j) {
  list_remove(j);
  list_push(l, j);
}

/* ---- configuration ---- */

void plugsup_config_init(plugsup_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->size = sizeof *cfg;
}

const char *plugsup_spawn_name(plugsup_spawn v) {
  switch (v) { PLUGSUP_SPAWN_LIST(SUP_NAME_CASE) }
  return "unknown";
}

/* DEFAULT is $PLUGSUP_SPAWN when set, else ZYGOTE. */
static plugsup_status resolve_spawn(plugsup_spawn in, plugsup_spawn *out) {
  const char *env = getenv("PLUGSUP_SPAWN");
  *out = in;
  if (in == PLUGSUP_SPAWN_ZYGOTE || in == PLUGSUP_SPAWN_EXEC)
    return PLUGSUP_OK;
  if (in != PLUGSUP_SPAWN_DEFAULT)
    return sup_fail(PLUGSUP_EINVAL, "plugsup_config.spawn is %d, not a "
                    "plugsup_spawn", (int)in);
  *out = PLUGSUP_SPAWN_ZYGOTE;
  if (env == NULL || *env == '\0' || strcmp(env, "zygote") == 0)
    return PLUGSUP_OK;
  if (strcmp(env, "exec") == 0) {
    *out = PLUGSUP_SPAWN_EXEC;
    return PLUGSUP_OK;
  }
  return sup_fail(PLUGSUP_EINVAL, "PLUGSUP_SPAWN is '%.40s': expected "
                  "'zygote' or 'exec'", env);
}

plugsup_spawn plugsup_supervisor_spawn(const plugsup_supervisor *s) {
  return s ? s->spawn : PLUGSUP_SPAWN_DEFAULT;
}

static plugsup_status resolve_limits(const plugsup_limits *in,
                                     plugsup_limits *out) {
  policy_limits d = policy_limits_default();
  policy_limits l = {
      .memory_bytes = in->memory_bytes ? in->memory_bytes : d.memory_bytes,
      .fuel = in->fuel ? in->fuel : PLUGSUP_FUEL_UNLIMITED,
      .wall_ms = in->wall_ms ? in->wall_ms : d.wall_ms,
      .output_bytes = in->output_bytes ? in->output_bytes : d.output_bytes,
  };
  const char *bad = policy_limits_check(&l);
  if (bad)
    return sup_fail(PLUGSUP_EINVAL, "%s", bad);
  *out = (plugsup_limits){l.memory_bytes, l.fuel, l.wall_ms, l.output_bytes};
  return PLUGSUP_OK;
}

/* The worker named by the config, else $PLUGSUP_WORKER, else the one
** installed beside this library, else where the build meant to install
** it. buf holds the path when it is found beside the library. */
static const char *worker_path(const plugsup_config *cfg, char *buf,
                               size_t size) {
  if (cfg->worker_path && *cfg->worker_path)
    return cfg->worker_path;
  const char *env = getenv("PLUGSUP_WORKER");
  if (env && *env)
    return env;
  if (sup_installed_worker(buf, size))
    return buf;
  return PLUGSUP_LIBEXECDIR "/plugsup-worker";
}

/* The id of 'name' in a passwd- or group-format file, or 0 when it is
** not there. The files themselves, not NSS: 'nobody' and 'nogroup' are
** local accounts, and a statically linked program (the CLI) then needs no
** NSS module of the glibc it was built with. The _r forms: supervisors
** may be made on several threads at once (the manager's pool does). */
static unsigned local_user(const char *name) {
  FILE *f = fopen("/etc/passwd", "re");
  struct passwd pw, *got;
  char text[2048];
  unsigned id = 0;
  while (f && id == 0 && fgetpwent_r(f, &pw, text, sizeof text, &got) == 0)
    if (strcmp(pw.pw_name, name) == 0)
      id = (unsigned)pw.pw_uid;
  if (f)
    fclose(f);
  return id;
}

static unsigned local_group(const char *name) {
  FILE *f = fopen("/etc/group", "re");
  struct group gr, *got;
  char text[2048];
  unsigned id = 0;
  while (f && id == 0 && fgetgrent_r(f, &gr, text, sizeof text, &got) == 0)
    if (strcmp(gr.gr_name, name) == 0)
      id = (unsigned)gr.gr_gid;
  if (f)
    fclose(f);
  return id;
}

/* Workers of a root supervisor run as an unprivileged user: the
** config's, else nobody/nogroup, else the worker's default (65534). */
static void worker_ids(const plugsup_config *cfg, plugsup_supervisor *s) {
  s->drop_ids = geteuid() == 0;
  if (!s->drop_ids)
    return;
  s->worker_uid = cfg->worker_uid ? cfg->worker_uid : local_user("nobody");
  s->worker_gid = cfg->worker_gid ? cfg->worker_gid : local_group("nogroup");
  if (s->worker_uid == 0)
    s->worker_uid = PLUGSUP_WORKER_DEFAULT_UID;
  if (s->worker_gid == 0)
    s->worker_gid = PLUGSUP_WORKER_DEFAULT_GID;
}

plugsup_status plugsup_supervisor_new(const plugsup_config *cfg,
                                      plugsup_supervisor **out) {
  if (!out || !cfg)
    return sup_fail(PLUGSUP_EINVAL, "plugsup_supervisor_new: NULL argument");
  *out = NULL;
  if (cfg->size < sizeof *cfg)
    return sup_fail(PLUGSUP_EINVAL, "plugsup_config.size is %zu, expected "
                    "%zu: call plugsup_config_init", cfg->size, sizeof *cfg);
  plugsup_limits limits;
  plugsup_spawn spawn;
  plugsup_status st = resolve_limits(&cfg->limits, &limits);
  if (st == PLUGSUP_OK)
    st = resolve_spawn(cfg->spawn, &spawn);
  if (st != PLUGSUP_OK)
    return st;
  char found[PATH_MAX];
  const char *path = worker_path(cfg, found, sizeof found);
  if (access(path, X_OK) != 0)
    return sup_fail(PLUGSUP_EWORKER, "worker '%s' is not executable: %s", path,
                    strerror(errno));
  const char *problem = sup_sigchld_problem();
  if (problem)
    return sup_fail(PLUGSUP_EINVAL, "%s", problem);
  plugsup_supervisor *s = calloc(1, sizeof *s);
  if (!s)
    return sup_fail(PLUGSUP_ENOMEM, "cannot allocate a supervisor");
  s->limits = limits;
  s->spawn = spawn;
  s->owner = getpid();
  worker_ids(cfg, s);
  s->max_in_flight = cfg->max_in_flight ? cfg->max_in_flight
                                        : SUP_DEFAULT_IN_FLIGHT;
  s->no_namespaces = cfg->no_namespaces;
  s->worker_path = strdup(path);
  s->pfds = calloc((size_t)s->max_in_flight * SUP_PFDS_PER_JOB,
                   sizeof *s->pfds);
  s->pfd_jobs = calloc((size_t)s->max_in_flight * SUP_PFDS_PER_JOB,
                       sizeof *s->pfd_jobs);
  if (!s->worker_path || !s->pfds || !s->pfd_jobs) {
    plugsup_supervisor_free(s);
    return sup_fail(PLUGSUP_ENOMEM, "cannot allocate a supervisor");
  }
  if ((st = sup_spawner_start(s)) != PLUGSUP_OK) {
    plugsup_supervisor_free(s);
    return st;
  }
  *out = s;
  return PLUGSUP_OK;
}

/* ---- jobs ---- */

static void job_free(plugsup_job *job) {
  list_remove(job);
  if (job->pid > 0 || job->req_fd >= 0 || job->rep_fd >= 0)
    sup_kill_and_reap(job);
  sup_broker_close(job);
  frame_reader_free(&job->reader);
  frame_writer_free(&job->writer);
  if (job->result)
    plugsup__result__free_unpacked(job->result, NULL);
  sup_job_free_report(job);
  sup_job_free_items(job);
  free(job->violation_syscall);
  free(job->out.data);
  free(job->err.data);
  plugsup_result_free(job->res);
  sup_request_free(&job->req);
  plugsup_plugin_free(job->plugin);
  free(job);
}

void plugsup_supervisor_free(plugsup_supervisor *s) {
  if (!s)
    return;
  sup_list *lists[] = {&s->queued, &s->running, &s->done};
  for (size_t i = 0; i < 3; i++)
    while (lists[i]->head)
      job_free(lists[i]->head);
  sup_zygotes_free(s);
  sup_spawner_stop(s);
  free(s->worker_path);
  free(s->pfds);
  free(s->pfd_jobs);
  free(s->broker_data);
  free(s->broker_values);
  free(s);
}

/* fork() copies the supervisor's memory and fds but not its spawner
** thread, and its workers stay the parent's: a child may only free it. */
static plugsup_status check_owner(const plugsup_supervisor *s) {
  if (getpid() != s->owner)
    return sup_fail(PLUGSUP_EINVAL, "this supervisor was made before "
                    "fork(): make a new one in the child");
  return PLUGSUP_OK;
}

static const plugsup_run_options default_options = {
    .size = sizeof(plugsup_run_options), .mode = PLUGSUP_MODE_START};

plugsup_status plugsup_submit(plugsup_supervisor *s, plugsup_plugin *plugin,
                              const plugsup_run_options *opts,
                              plugsup_job **out) {
  if (!out)
    return sup_fail(PLUGSUP_EINVAL, "plugsup_submit: out is NULL");
  *out = NULL;
  if (!s || !plugin)
    return sup_fail(PLUGSUP_EINVAL, "plugsup_submit: NULL argument");
  plugsup_status st = check_owner(s);
  if (st != PLUGSUP_OK)
    return st;
  plugsup_job *job = calloc(1, sizeof *job);
  if (!job)
    return sup_fail(PLUGSUP_ENOMEM, "cannot allocate a job");
  job->sup = s;
  job->pidfd = job->req_fd = job->rep_fd = -1;
  job->violation_number = -1;
  sup_plugin_ref(plugin);
  job->plugin = plugin;
  frame_reader_init(&job->reader, FRAME_REPLY_MAX);
  job->res = sup_result_alloc();
  st = job->res && frame_reader_readahead(&job->reader) == FRAME_OK
           ? PLUGSUP_OK
           : sup_fail(PLUGSUP_ENOMEM, "cannot allocate a job");
  if (st == PLUGSUP_OK)
    st = sup_request_copy(&job->req, opts ? opts : &default_options,
                          &s->limits);
  if (st == PLUGSUP_OK)
    job->output_stream_only = opts && opts->output_stream_only;
  if (st == PLUGSUP_OK && sup_request_frame_size(job) > FRAME_DEFAULT_MAX)
    st = sup_fail(PLUGSUP_ETOOBIG, "the plugin, its arguments and its input "
                  "exceed the %u bytes a worker accepts",
                  (unsigned)FRAME_DEFAULT_MAX);
  if (st != PLUGSUP_OK) {
    job_free(job);
    return st;
  }
  list_push(&s->queued, job);
  *out = job;
  return PLUGSUP_OK;
}

/* Ends a job whose worker has been reaped (status) or never started. */
static void job_done(plugsup_job *job, int status, bool started) {
  if (started)
    sup_job_finish(job, status);
  else
    sup_job_spawn_failed(job);
  sup_broker_close(job);
  job->state = JOB_DONE;
  move_to(&job->sup->done, job);
}

/* A deadline too far to count in nanoseconds is no deadline. */
static uint64_t deadline_after(uint64_t start_ns, uint64_t wall_ms) {
  if (wall_ms > (UINT64_MAX - start_ns) / 1000000u)
    return UINT64_MAX;
  return start_ns + wall_ms * 1000000u;
}

static void job_start(plugsup_job *job) {
  job->start_ns = sup_now_ns();
  job->deadline_ns = deadline_after(job->start_ns, job->req.limits.wall_ms);
  job->state = JOB_RUNNING;
  move_to(&job->sup->running, job);
  if (!sup_broker_open(job) || !sup_spawn(job))
    job_done(job, 0, false);
  else if (job->forked)
    sup_job_send_run(job);
}

/* ---- the loop ---- */

static void start_queued(plugsup_supervisor *s) {
  while (s->queued.head && s->running.count < s->max_in_flight)
    job_start(s->queued.head);
}

_Static_assert(SUP_PFDS_PER_JOB >= 3 + BROKER_POLL_MAX,
               "room for a job's pipes and its host call's descriptors");

static void add_pfd(plugsup_supervisor *s, size_t *n, plugsup_job *job,
                    int fd, short events) {
  s->pfds[*n] = (struct pollfd){.fd = fd, .events = events};
  s->pfd_jobs[*n] = job;
  (*n)++;
}

/* A job whose reading clock is ahead of now waits; its pipe is not
** polled meanwhile. */
static bool job_paced(const plugsup_job *job, uint64_t now) {
  return job->read_clock_ns > now;
}

static bool job_reading(const plugsup_job *j) {
  return j->rep_fd >= 0 && j->killed == KILL_NONE;
}

/* Poll's timeout: the caller's, shortened to the nearest deadline or end
** of a pause in reading; 0 when a reader holds frames that poll cannot
** see. */
static int poll_timeout(const plugsup_supervisor *s, int timeout_ms) {
  uint64_t now = sup_now_ns();
  for (plugsup_job *j = s->running.head; j; j = j->next) {
    bool paced = job_reading(j) && job_paced(j, now);
    if (job_reading(j) && !paced && frame_reader_buffered(&j->reader))
      return 0;
    uint64_t until = paced && j->read_clock_ns < j->deadline_ns
                         ? j->read_clock_ns
                         : j->deadline_ns;
    if (sup_broker_wake_ns(j) < until)
      until = sup_broker_wake_ns(j);
    uint64_t left = until > now ? until - now : 0;
    /* Round up, so poll never wakes just before the deadline. */
    uint64_t ms = (left + 999999u) / 1000000u;
    if (timeout_ms < 0 || ms < (uint64_t)timeout_ms)
      timeout_ms = ms > INT_MAX ? INT_MAX : (int)ms;
  }
  return timeout_ms;
}

static size_t fill_pfds(plugsup_supervisor *s) {
  size_t n = 0;
  uint64_t now = sup_now_ns();
  for (plugsup_job *j = s->running.head; j; j = j->next) {
    add_pfd(s, &n, j, j->pidfd, POLLIN);
    if (job_reading(j) && !job_paced(j, now))
      add_pfd(s, &n, j, j->rep_fd, POLLIN);
    if (j->writing && j->killed == KILL_NONE)
      add_pfd(s, &n, j, j->req_fd, POLLOUT);
    if (j->killed == KILL_NONE) {
      size_t k = sup_broker_pollfds(j, &s->pfds[n]);
      for (size_t i = 0; i < k; i++)
        s->pfd_jobs[n++] = j;
    }
  }
  return n;
}

/* The worker has exited: what it wrote before dying is still in the
** pipe, so read it before judging how it ended (a bounded amount: a
** process it left behind may hold the pipe and keep writing). */
static void job_exited(plugsup_job *job) {
  int status;
  sup_job_readable(job, SUP_EXIT_DRAIN_BYTES, UINT_MAX);
  if (!sup_reap(job, &status, job->res))
    job->status_lost = true;
  job_done(job, status, true);
}

/* One turn's share of reading: bounded in frames and bytes, so that every
** job and every deadline gets its turn however fast one worker writes,
** and paced, so that a flood of tiny frames costs a bounded slice of the
** supervisor's CPU (SUP_FRAME_COST_NS). */
static void job_read_turn(plugsup_job *job) {
  uint64_t now = sup_now_ns();
  job->read_turn = job->sup->turn;
  if (job_paced(job, now))
    return;
  if (job->read_clock_ns + SUP_READ_BURST_NS < now)
    job->read_clock_ns = now - SUP_READ_BURST_NS;
  unsigned n = sup_job_readable(job, SUP_TURN_BYTES, SUP_TURN_FRAMES);
  job->read_clock_ns += (uint64_t)n * SUP_FRAME_COST_NS;
}

static void handle_events(plugsup_supervisor *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    plugsup_job *j = s->pfd_jobs[i];
    short ev = s->pfds[i].revents;
    if (!ev || j->state != JOB_RUNNING)
      continue;
    if (s->pfds[i].fd == j->pidfd)
      job_exited(j);
    else if (s->pfds[i].fd == j->rep_fd)
      job_read_turn(j);
    else if (s->pfds[i].fd == j->req_fd)
      sup_job_writable(j);
    else
      sup_broker_ready(j, &s->pfds[i]);
  }
}

/* Host calls waiting for their time (poll_oneoff timeouts). */
static void wake_host_calls(plugsup_supervisor *s) {
  uint64_t now = sup_now_ns();
  for (plugsup_job *j = s->running.head; j; j = j->next)
    if (sup_broker_wake_ns(j) <= now)
      sup_broker_resume(j);
}

/* Frames already in a reader's buffer: poll said nothing of them. A job
** read from this turn waits for the next. */
static void handle_buffered(plugsup_supervisor *s) {
  for (plugsup_job *j = s->running.head; j; j = j->next)
    if (j->read_turn != s->turn && job_reading(j) &&
        frame_reader_buffered(&j->reader))
      job_read_turn(j);
}

static void enforce_deadlines(plugsup_supervisor *s) {
  uint64_t now = sup_now_ns();
  for (plugsup_job *j = s->running.head; j; j = j->next)
    if (j->killed == KILL_NONE && now >= j->deadline_ns)
      sup_job_kill(j, j->result ? KILL_LINGER : KILL_TIMEOUT,
                   "deadline passed");
}

/* One pass; returns early (false) only if poll failed for a reason other
** than a signal, which cannot happen with valid descriptors. */
static bool sup_step(plugsup_supervisor *s, int timeout_ms) {
  s->turn++;
  start_queued(s);
  if (!s->running.count)
    return true; /* every job ended at once, e.g. the worker is missing */
  size_t n = fill_pfds(s);
  int rc = poll(s->pfds, n, poll_timeout(s, timeout_ms));
  if (rc < 0 && errno != EINTR)
    return false;
  if (rc > 0)
    handle_events(s, n);
  handle_buffered(s);
  wake_host_calls(s);
  enforce_deadlines(s);
  start_queued(s);
  return true;
}

static plugsup_status loop_failed(void) {
  return sup_fail(PLUGSUP_ESYSTEM, "poll: %s", strerror(errno));
}

/* ---- waiting ---- */

bool plugsup_job_done(const plugsup_job *job) {
  return job && job->state == JOB_DONE;
}

plugsup_status plugsup_job_take(plugsup_job *job, plugsup_result **out) {
  if (!out)
    return sup_fail(PLUGSUP_EINVAL, "plugsup_job_take: out is NULL");
  *out = NULL;
  if (!job)
    return sup_fail(PLUGSUP_EINVAL, "plugsup_job_take: job is NULL");
  if (job->state != JOB_DONE)
    return sup_fail(PLUGSUP_EAGAIN, "the job is still %s",
                    job->state == JOB_QUEUED ? "queued" : "running");
  *out = job->res;
  job->res = NULL;
  job_free(job);
  return PLUGSUP_OK;
}

void plugsup_job_cancel(plugsup_job *job) {
  if (job)
    job_free(job);
}

plugsup_status plugsup_wait(plugsup_supervisor *s, plugsup_job *job,
                            plugsup_result **out) {
  if (!out)
    return sup_fail(PLUGSUP_EINVAL, "plugsup_wait: out is NULL");
  *out = NULL;
  if (!s || !job || job->sup != s)
    return sup_fail(PLUGSUP_EINVAL, "plugsup_wait: no such job");
  plugsup_status st = check_owner(s);
  if (st != PLUGSUP_OK)
    return st;
  while (job->state != JOB_DONE)
    if (!sup_step(s, -1))
      return loop_failed();
  return plugsup_job_take(job, out);
}

plugsup_status plugsup_wait_any(plugsup_supervisor *s, int timeout_ms,
                                plugsup_job **out) {
  if (!out)
    return sup_fail(PLUGSUP_EINVAL, "plugsup_wait_any: out is NULL");
  *out = NULL;
  if (!s)
    return sup_fail(PLUGSUP_EINVAL, "plugsup_wait_any: supervisor is NULL");
  plugsup_status st = check_owner(s);
  if (st != PLUGSUP_OK)
    return st;
  uint64_t start = sup_now_ns();
  bool polled = false;
  for (;;) {
    if (s->done.head) {
      *out = s->done.head;
      list_remove(*out);
      return PLUGSUP_OK;
    }
    if (!s->queued.count && !s->running.count)
      return sup_fail(PLUGSUP_EEMPTY, "no job is queued or running");
    int left = -1;
    if (timeout_ms >= 0) {
      uint64_t spent = (sup_now_ns() - start) / 1000000u;
      if (polled && spent >= (uint64_t)timeout_ms)
        return sup_fail(PLUGSUP_ETIMEDOUT, "no job finished within %d ms",
                        timeout_ms);
      left = spent >= (uint64_t)timeout_ms ? 0 : timeout_ms - (int)spent;
    }
    if (!sup_step(s, left))
      return loop_failed();
    polled = true;
  }
}

plugsup_status plugsup_run(plugsup_supervisor *s, plugsup_plugin *plugin,
                           const plugsup_run_options *opts,
                           plugsup_result **out) {
  plugsup_job *job;
  if (!out)
    return sup_fail(PLUGSUP_EINVAL, "plugsup_run: out is NULL");
  *out = NULL;
  plugsup_status st = plugsup_submit(s, plugin, opts, &job);
  if (st != PLUGSUP_OK)
    return st;
  st = plugsup_wait(s, job, out);
  if (st != PLUGSUP_OK)
    plugsup_job_cancel(job);
  return st;
}
