/* Every wasi_snapshot_preview1 function, imported as wasi-libc declares
** it (and proc_raise, which wasi-libc dropped, as the witx does): the
** worker must link them all. Called only with more than 99 arguments. */
#include <wasi/api.h>

__attribute__((import_module("wasi_snapshot_preview1"),
               import_name("proc_raise"))) extern int
proc_raise(int sig);

static volatile int sink;

static void call_all(void) {
  uint8_t b[64];
  uint8_t *pp[1];
  __wasi_size_t n, m;
  __wasi_timestamp_t t;
  __wasi_fdstat_t fs;
  __wasi_filestat_t st;
  __wasi_prestat_t pr;
  __wasi_filesize_t off;
  __wasi_fd_t fd;
  __wasi_iovec_t iov = {b, sizeof b};
  __wasi_ciovec_t ciov = {b, sizeof b};
  __wasi_subscription_t sub = {0};
  __wasi_event_t ev;
  __wasi_roflags_t ro;

  sink += __wasi_args_get(pp, b) + __wasi_args_sizes_get(&n, &m);
  sink += __wasi_environ_get(pp, b) + __wasi_environ_sizes_get(&n, &m);
  sink += __wasi_clock_res_get(0, &t) + __wasi_clock_time_get(0, 1, &t);
  sink += __wasi_fd_advise(3, 0, 0, 0) + __wasi_fd_allocate(3, 0, 0);
  sink += __wasi_fd_close(3) + __wasi_fd_datasync(3);
  sink += __wasi_fd_fdstat_get(3, &fs) + __wasi_fd_fdstat_set_flags(3, 0);
  sink += __wasi_fd_fdstat_set_rights(3, 0, 0) + __wasi_fd_filestat_get(3, &st);
  sink += __wasi_fd_filestat_set_size(3, 0) + __wasi_fd_filestat_set_times(3, 0, 0, 0);
  sink += __wasi_fd_pread(3, &iov, 1, 0, &n) + __wasi_fd_prestat_get(3, &pr);
  sink += __wasi_fd_prestat_dir_name(3, b, 1) + __wasi_fd_pwrite(3, &ciov, 1, 0, &n);
  sink += __wasi_fd_read(3, &iov, 1, &n) + __wasi_fd_readdir(3, b, 1, 0, &n);
  sink += __wasi_fd_renumber(3, 4) + __wasi_fd_seek(3, 0, 0, &off);
  sink += __wasi_fd_sync(3) + __wasi_fd_tell(3, &off) + __wasi_fd_write(3, &ciov, 1, &n);
  sink += __wasi_path_create_directory(3, "d") + __wasi_path_filestat_get(3, 0, "d", &st);
  sink += __wasi_path_filestat_set_times(3, 0, "d", 0, 0, 0);
  sink += __wasi_path_link(3, 0, "a", 3, "b");
  sink += __wasi_path_open(3, 0, "d", 0, 0, 0, 0, &fd);
  sink += __wasi_path_readlink(3, "d", b, 1, &n) + __wasi_path_remove_directory(3, "d");
  sink += __wasi_path_rename(3, "a", 3, "b") + __wasi_path_symlink("a", 3, "b");
  sink += __wasi_path_unlink_file(3, "d") + __wasi_poll_oneoff(&sub, &ev, 1, &n);
  sink += proc_raise(15) + __wasi_sched_yield() + __wasi_random_get(b, 1);
  sink += __wasi_sock_accept(3, 0, &fd) + __wasi_sock_recv(3, &iov, 1, 0, &n, &ro);
  sink += __wasi_sock_send(3, &ciov, 1, 0, &n) + __wasi_sock_shutdown(3, 0);
  __wasi_proc_exit(0);
}

int main(int argc, char **argv) {
  (void)argv;
  if (argc > 99)
    call_all();
  return 0;
}
