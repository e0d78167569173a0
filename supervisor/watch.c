/*
** watch.c: the manager's watcher thread, inotify over the directories of
** loaded plugin files.
**
** It watches directories, not files: editors and deploy tools replace a
** file by writing a new one and renaming it over the old, and a watch on
** the old inode would see nothing more after that. In the directory, the
** name's events say what happened: written and closed, or moved in,
** means "look again"; deleted or moved away means "maybe gone". Either
** way the manager looks at the file itself (it may have come back since)
** and compares content hashes, so repeated or out-of-date events do no
** harm.
*/
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "internal.h"
#include "manager.h"

#define WATCH_CHANGED (IN_CLOSE_WRITE | IN_MOVED_TO)
#define WATCH_GONE (IN_DELETE | IN_MOVED_FROM)

/* The directory of watch descriptor wd, copied into out. */
static bool dir_of(sup_watcher *w, int wd, char *out, size_t size) {
  bool found = false;
  pthread_mutex_lock(&w->lock);
  for (size_t i = 0; i < w->ndirs && !found; i++)
    if (w->dirs[i].wd == wd)
      found = snprintf(out, size, "%s", w->dirs[i].dir) < (int)size;
  pthread_mutex_unlock(&w->lock);
  return found;
}

static void handle_event(sup_watcher *w, const struct inotify_event *ev) {
  char dir[PATH_MAX], path[PATH_MAX + NAME_MAX + 2];
  if (!ev->len || !(ev->mask & (WATCH_CHANGED | WATCH_GONE)))
    return;
  if (!dir_of(w, ev->wd, dir, sizeof dir))
    return;
  snprintf(path, sizeof path, "%s/%s", dir, ev->name);
  sup_mgr_file_event(w->mgr, path, (ev->mask & WATCH_GONE) != 0);
}

/* Reads one batch of events and hands each to the manager. */
static void drain(sup_watcher *w) {
  char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
  ssize_t n = read(w->ifd, buf, sizeof buf);
  for (char *p = buf; n > 0 && p < buf + n;) {
    const struct inotify_event *ev = (const struct inotify_event *)p;
    handle_event(w, ev);
    p += sizeof *ev + ev->len;
  }
}

static void *watch_main(void *arg) {
  sup_watcher *w = arg;
  struct pollfd pfd[2] = {{.fd = w->ifd, .events = POLLIN},
                          {.fd = w->stop[0], .events = POLLIN}};
  for (;;) {
    if (poll(pfd, 2, -1) < 0 && errno != EINTR)
      break;
    if (pfd[1].revents)
      break;
    if (pfd[0].revents & POLLIN)
      drain(w);
  }
  return NULL;
}

plugsup_status sup_watch_start(plugsup_manager *mgr, sup_watcher *w) {
  int err;
  w->mgr = mgr;
  pthread_mutex_init(&w->lock, NULL);
  if ((w->ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) < 0 ||
      pipe2(w->stop, O_CLOEXEC) < 0)
    return sup_fail(PLUGSUP_ESYSTEM, "cannot watch plugin files: %s",
                    strerror(errno));
  if ((err = pthread_create(&w->thread, NULL, watch_main, w)) != 0)
    return sup_fail(PLUGSUP_ESYSTEM, "cannot start the watcher thread: %s",
                    strerror(err));
  w->running = true;
  return PLUGSUP_OK;
}

void sup_watch_stop(sup_watcher *w) {
  if (w->running) {
    ssize_t n;
    do
      n = write(w->stop[1], "", 1);
    while (n < 0 && errno == EINTR);
    pthread_join(w->thread, NULL);
    w->running = false;
  }
  if (w->mgr) /* the lock was made */
    pthread_mutex_destroy(&w->lock);
  for (int i = 0; i < 2; i++)
    if (w->stop[i] >= 0)
      close(w->stop[i]);
  if (w->ifd >= 0)
    close(w->ifd);
  for (size_t i = 0; i < w->ndirs; i++)
    free(w->dirs[i].dir);
  free(w->dirs);
  w->ifd = w->stop[0] = w->stop[1] = -1;
  w->dirs = NULL;
  w->ndirs = 0;
  w->mgr = NULL;
}

/* inotify gives one descriptor per directory however often it is added,
** so a directory is recorded once. */
static plugsup_status remember(sup_watcher *w, int wd, const char *dir) {
  for (size_t i = 0; i < w->ndirs; i++)
    if (w->dirs[i].wd == wd)
      return PLUGSUP_OK;
  mgr_watch_dir *d = realloc(w->dirs, (w->ndirs + 1) * sizeof *d);
  if (!d)
    return sup_fail(PLUGSUP_ENOMEM, "out of memory");
  w->dirs = d;
  if (!(d[w->ndirs].dir = strdup(dir)))
    return sup_fail(PLUGSUP_ENOMEM, "out of memory");
  d[w->ndirs++].wd = wd;
  return PLUGSUP_OK;
}

plugsup_status sup_watch_add(sup_watcher *w, const char *abs_path) {
  const char *slash = strrchr(abs_path, '/');
  char *dir = strndup(
      abs_path, slash && slash != abs_path ? (size_t)(slash - abs_path) : 1);
  plugsup_status st;
  if (!dir)
    return sup_fail(PLUGSUP_ENOMEM, "out of memory");
  pthread_mutex_lock(&w->lock);
  int wd =
      inotify_add_watch(w->ifd, dir, WATCH_CHANGED | WATCH_GONE | IN_ONLYDIR);
  st = wd < 0 ? sup_fail(PLUGSUP_ESYSTEM, "cannot watch '%s': %s", dir,
                         strerror(errno))
              : remember(w, wd, dir);
  pthread_mutex_unlock(&w->lock);
  free(dir);
  return st;
}
