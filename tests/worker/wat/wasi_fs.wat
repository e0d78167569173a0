;; Every WASI function the worker forwards, called with fixed buffers:
;; each export returns the errno, then what the call left in memory.
;; Memory: iovecs at 256, paths at 1024 ("dir/file.txt") and 1100
;; ("new/name"), results at 2048 (and 2200) over 64 bytes of 0xaa, bytes
;; to write at 3000 ("hello world"), a read buffer at 4096,
;; subscriptions at 5000 (48 bytes each) and events at 6000 (32 each).
(module
  (type $i (func (param i32) (result i32)))
  (type $ii (func (param i32 i32) (result i32)))
  (type $iii (func (param i32 i32 i32) (result i32)))
  (type $iiii (func (param i32 i32 i32 i32) (result i32)))
  (type $iiiii (func (param i32 i32 i32 i32 i32) (result i32)))
  (type $iiiiii (func (param i32 i32 i32 i32 i32 i32) (result i32)))
  (type $iiiIi (func (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_advise"
    (func $fd_advise (param i32 i64 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_allocate"
    (func $fd_allocate (param i32 i64 i64) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (type $i)))
  (import "wasi_snapshot_preview1" "fd_datasync" (func $fd_datasync (type $i)))
  (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $fd_fdstat_get (type $ii)))
  (import "wasi_snapshot_preview1" "fd_fdstat_set_flags"
    (func $fd_fdstat_set_flags (type $ii)))
  (import "wasi_snapshot_preview1" "fd_fdstat_set_rights"
    (func $fd_fdstat_set_rights (param i32 i64 i64) (result i32)))
  (import "wasi_snapshot_preview1" "fd_filestat_get"
    (func $fd_filestat_get (type $ii)))
  (import "wasi_snapshot_preview1" "fd_filestat_set_size"
    (func $fd_filestat_set_size (param i32 i64) (result i32)))
  (import "wasi_snapshot_preview1" "fd_filestat_set_times"
    (func $fd_filestat_set_times (param i32 i64 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_pread" (func $fd_pread (type $iiiIi)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (type $ii)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name"
    (func $fd_prestat_dir_name (type $iii)))
  (import "wasi_snapshot_preview1" "fd_pwrite" (func $fd_pwrite (type $iiiIi)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (type $iiii)))
  (import "wasi_snapshot_preview1" "fd_readdir" (func $fd_readdir (type $iiiIi)))
  (import "wasi_snapshot_preview1" "fd_renumber" (func $fd_renumber (type $ii)))
  (import "wasi_snapshot_preview1" "fd_seek"
    (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_sync" (func $fd_sync (type $i)))
  (import "wasi_snapshot_preview1" "fd_tell" (func $fd_tell (type $ii)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (type $iiii)))
  (import "wasi_snapshot_preview1" "path_create_directory"
    (func $path_create_directory (type $iii)))
  (import "wasi_snapshot_preview1" "path_filestat_get"
    (func $path_filestat_get (type $iiiii)))
  (import "wasi_snapshot_preview1" "path_filestat_set_times"
    (func $path_filestat_set_times (param i32 i32 i32 i32 i64 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_link"
    (func $path_link (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_readlink"
    (func $path_readlink (type $iiiiii)))
  (import "wasi_snapshot_preview1" "path_remove_directory"
    (func $path_remove_directory (type $iii)))
  (import "wasi_snapshot_preview1" "path_rename" (func $path_rename (type $iiiiii)))
  (import "wasi_snapshot_preview1" "path_symlink" (func $path_symlink (type $iiiii)))
  (import "wasi_snapshot_preview1" "path_unlink_file"
    (func $path_unlink_file (type $iii)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (type $iiii)))
  (import "wasi_snapshot_preview1" "sock_accept" (func $sock_accept (type $iii)))
  (import "wasi_snapshot_preview1" "sock_recv" (func $sock_recv (type $iiiiii)))
  (import "wasi_snapshot_preview1" "sock_send" (func $sock_send (type $iiiii)))
  (import "wasi_snapshot_preview1" "sock_shutdown" (func $sock_shutdown (type $ii)))
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get"
    (func $environ_sizes_get (type $ii)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (type $ii)))
  (import "wasi_snapshot_preview1" "proc_raise" (func $proc_raise (type $i)))
  (import "wasi_snapshot_preview1" "sched_yield" (func $sched_yield (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "dir/file.txt")
  (data (i32.const 1100) "new/name")
  (data (i32.const 2048)
    "\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa"
    "\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa"
    "\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa")
  (data (i32.const 3000) "hello world")

  ;; iovecs at 256: (a, n) and (b, m)
  (func $iovs (param $a i32) (param $n i32) (param $b i32) (param $m i32)
    (i32.store (i32.const 256) (local.get $a))
    (i32.store (i32.const 260) (local.get $n))
    (i32.store (i32.const 264) (local.get $b))
    (i32.store (i32.const 268) (local.get $m)))

  ;; ---- scalars only ----
  (func (export "fd_advise") (param i32 i64 i64 i32) (result i32)
    (call $fd_advise (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "fd_allocate") (param i32 i64 i64) (result i32)
    (call $fd_allocate (local.get 0) (local.get 1) (local.get 2)))
  (func (export "fd_close") (param i32) (result i32) (call $fd_close (local.get 0)))
  (func (export "fd_datasync") (param i32) (result i32)
    (call $fd_datasync (local.get 0)))
  (func (export "fd_fdstat_set_flags") (param i32 i32) (result i32)
    (call $fd_fdstat_set_flags (local.get 0) (local.get 1)))
  (func (export "fd_fdstat_set_rights") (param i32 i64 i64) (result i32)
    (call $fd_fdstat_set_rights (local.get 0) (local.get 1) (local.get 2)))
  (func (export "fd_filestat_set_size") (param i32 i64) (result i32)
    (call $fd_filestat_set_size (local.get 0) (local.get 1)))
  (func (export "fd_filestat_set_times") (param i32 i64 i64 i32) (result i32)
    (call $fd_filestat_set_times (local.get 0) (local.get 1) (local.get 2)
                                 (local.get 3)))
  (func (export "fd_renumber") (param i32 i32) (result i32)
    (call $fd_renumber (local.get 0) (local.get 1)))
  (func (export "fd_sync") (param i32) (result i32) (call $fd_sync (local.get 0)))
  (func (export "sock_shutdown") (param i32 i32) (result i32)
    (call $sock_shutdown (local.get 0) (local.get 1)))

  ;; ---- values into memory ----
  ;; errno, filetype, flags, rights base, inheriting, the padding bytes
  ;; (1, 4..7) or'ed, the byte after the struct
  (func (export "fd_fdstat_get") (param i32) (result i32 i32 i32 i64 i64 i32 i32)
    (call $fd_fdstat_get (local.get 0) (i32.const 2048))
    (i32.load8_u (i32.const 2048)) (i32.load16_u (i32.const 2050))
    (i64.load (i32.const 2056)) (i64.load (i32.const 2064))
    (i32.or (i32.load8_u (i32.const 2049)) (i32.load (i32.const 2052)))
    (i32.load8_u (i32.const 2072)))
  (func (export "fd_filestat_get") (param i32)
    (result i32 i64 i64 i32 i64 i64 i64 i64 i64)
    (call $fd_filestat_get (local.get 0) (i32.const 2048))
    (i64.load (i32.const 2048)) (i64.load (i32.const 2056))
    (i32.load8_u (i32.const 2064)) (i64.load (i32.const 2072))
    (i64.load (i32.const 2080)) (i64.load (i32.const 2088))
    (i64.load (i32.const 2096)) (i64.load (i32.const 2104)))
  ;; errno, size, filetype
  (func (export "path_filestat_get") (param i32 i32) (result i32 i64 i32)
    (call $path_filestat_get (local.get 0) (local.get 1) (i32.const 1024)
                             (i32.const 12) (i32.const 2048))
    (i64.load (i32.const 2080)) (i32.load8_u (i32.const 2064)))
  ;; errno, tag, name length, padding bytes 1..3
  (func (export "fd_prestat_get") (param i32) (result i32 i32 i32 i32)
    (call $fd_prestat_get (local.get 0) (i32.const 2048))
    (i32.load8_u (i32.const 2048)) (i32.load (i32.const 2052))
    (i32.shr_u (i32.load (i32.const 2048)) (i32.const 8)))
  (func (export "fd_seek") (param i32 i64 i32) (result i32 i64)
    (call $fd_seek (local.get 0) (local.get 1) (local.get 2) (i32.const 2048))
    (i64.load (i32.const 2048)))
  (func (export "fd_tell") (param i32) (result i32 i64)
    (call $fd_tell (local.get 0) (i32.const 2048))
    (i64.load (i32.const 2048)))
  (func (export "path_open") (param i32 i32 i32 i64 i64 i32) (result i32 i32)
    (call $path_open (local.get 0) (local.get 1) (i32.const 1024) (i32.const 12)
                     (local.get 2) (local.get 3) (local.get 4) (local.get 5)
                     (i32.const 2048))
    (i32.load (i32.const 2048)))
  (func (export "sock_accept") (param i32 i32) (result i32 i32)
    (call $sock_accept (local.get 0) (local.get 1) (i32.const 2048))
    (i32.load (i32.const 2048)))
  (func (export "clock_time_get") (param i32 i64) (result i32 i64)
    (call $clock_time_get (local.get 0) (local.get 1) (i32.const 2048))
    (i64.load (i32.const 2048)))

  ;; ---- bytes ----
  ;; reads scatter over 3 bytes at 4096 and 5 at 4099: errno, count,
  ;; the 8 bytes at 4096
  (func (export "fd_read") (param i32) (result i32 i32 i64)
    (call $iovs (i32.const 4096) (i32.const 3) (i32.const 4099) (i32.const 5))
    (call $fd_read (local.get 0) (i32.const 256) (i32.const 2) (i32.const 2048))
    (i32.load (i32.const 2048)) (i64.load (i32.const 4096)))
  (func (export "fd_pread") (param i32 i64) (result i32 i32 i64)
    (call $iovs (i32.const 4096) (i32.const 3) (i32.const 4099) (i32.const 5))
    (call $fd_pread (local.get 0) (i32.const 256) (i32.const 2) (local.get 1)
                    (i32.const 2048))
    (i32.load (i32.const 2048)) (i64.load (i32.const 4096)))
  ;; writes gather "hello" and " world": errno, count
  (func (export "fd_write") (param i32) (result i32 i32)
    (call $iovs (i32.const 3000) (i32.const 5) (i32.const 3005) (i32.const 6))
    (call $fd_write (local.get 0) (i32.const 256) (i32.const 2) (i32.const 2048))
    (i32.load (i32.const 2048)))
  (func (export "fd_pwrite") (param i32 i64) (result i32 i32)
    (call $iovs (i32.const 3000) (i32.const 5) (i32.const 3005) (i32.const 6))
    (call $fd_pwrite (local.get 0) (i32.const 256) (i32.const 2) (local.get 1)
                     (i32.const 2048))
    (i32.load (i32.const 2048)))
  ;; buffers at 4096: errno, bytes used, the 8 bytes at 4096
  (func (export "fd_readdir") (param i32 i32 i64) (result i32 i32 i64)
    (call $fd_readdir (local.get 0) (i32.const 4096) (local.get 1) (local.get 2)
                      (i32.const 2048))
    (i32.load (i32.const 2048)) (i64.load (i32.const 4096)))
  (func (export "path_readlink") (param i32 i32) (result i32 i32 i64)
    (call $path_readlink (local.get 0) (i32.const 1024) (i32.const 12)
                         (i32.const 4096) (local.get 1) (i32.const 2048))
    (i32.load (i32.const 2048)) (i64.load (i32.const 4096)))
  (func (export "fd_prestat_dir_name") (param i32 i32) (result i32 i64)
    (call $fd_prestat_dir_name (local.get 0) (i32.const 4096) (local.get 1))
    (i64.load (i32.const 4096)))

  ;; ---- paths ----
  (func (export "path_create_directory") (param i32) (result i32)
    (call $path_create_directory (local.get 0) (i32.const 1024) (i32.const 12)))
  (func (export "path_remove_directory") (param i32) (result i32)
    (call $path_remove_directory (local.get 0) (i32.const 1024) (i32.const 12)))
  (func (export "path_unlink_file") (param i32) (result i32)
    (call $path_unlink_file (local.get 0) (i32.const 1024) (i32.const 12)))
  (func (export "path_link") (param i32 i32 i32) (result i32)
    (call $path_link (local.get 0) (local.get 1) (i32.const 1024) (i32.const 12)
                     (local.get 2) (i32.const 1100) (i32.const 8)))
  (func (export "path_rename") (param i32 i32) (result i32)
    (call $path_rename (local.get 0) (i32.const 1024) (i32.const 12)
                       (local.get 1) (i32.const 1100) (i32.const 8)))
  (func (export "path_symlink") (param i32) (result i32)
    (call $path_symlink (i32.const 1024) (i32.const 12) (local.get 0)
                        (i32.const 1100) (i32.const 8)))
  (func (export "path_filestat_set_times") (param i32 i32 i64 i64 i32) (result i32)
    (call $path_filestat_set_times (local.get 0) (local.get 1) (i32.const 1024)
                                   (i32.const 12) (local.get 2) (local.get 3)
                                   (local.get 4)))

  ;; ---- sockets: the iovecs are checked, no bytes travel ----
  ;; errno, ro_datalen, ro_flags
  (func (export "sock_recv") (param i32 i32) (result i32 i32 i32)
    (call $iovs (i32.const 4096) (i32.const 8) (i32.const 0) (i32.const 0))
    (call $sock_recv (local.get 0) (i32.const 256) (i32.const 1) (local.get 1)
                     (i32.const 2048) (i32.const 2200))
    (i32.load (i32.const 2048)) (i32.load16_u (i32.const 2200)))
  (func (export "sock_send") (param i32 i32) (result i32 i32)
    (call $iovs (i32.const 3000) (i32.const 5) (i32.const 0) (i32.const 0))
    (call $sock_send (local.get 0) (i32.const 256) (i32.const 1) (local.get 1)
                     (i32.const 2048))
    (i32.load (i32.const 2048)))

  ;; ---- refused before anything is sent ----
  ;; path_open of the path (ptr, len)
  (func (export "open_path_at") (param i32 i32) (result i32)
    (call $path_open (i32.const 3) (i32.const 0) (local.get 0) (local.get 1)
                     (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0)
                     (i32.const 2048)))
  ;; path_open (O_CREAT) whose result pointer is beyond memory
  (func (export "open_bad_result") (result i32)
    (call $path_open (i32.const 3) (i32.const 0) (i32.const 1024) (i32.const 12)
                     (i32.const 1) (i64.const 0) (i64.const 0) (i32.const 0)
                     (i32.const 65534)))
  ;; fd_write to a file from an iovec beyond memory
  (func (export "write_bad_iovec") (param i32) (result i32)
    (call $iovs (i32.const 65530) (i32.const 100) (i32.const 0) (i32.const 0))
    (call $fd_write (local.get 0) (i32.const 256) (i32.const 1) (i32.const 2048)))
  ;; fd_read into a buffer whose count pointer is beyond memory
  (func (export "read_bad_count") (param i32) (result i32)
    (call $iovs (i32.const 4096) (i32.const 8) (i32.const 0) (i32.const 0))
    (call $fd_read (local.get 0) (i32.const 256) (i32.const 1) (i32.const 65533)))

  ;; ---- the worker's own streams ----
  ;; fd_renumber(from, to), then "hello" to fd 'out': both errnos
  (func (export "renumber_and_write") (param i32 i32 i32) (result i32 i32)
    (call $fd_renumber (local.get 0) (local.get 1))
    (call $iovs (i32.const 3000) (i32.const 5) (i32.const 0) (i32.const 0))
    (call $fd_write (local.get 2) (i32.const 256) (i32.const 1) (i32.const 2048)))
  (func (export "close_and_write") (param i32 i32) (result i32 i32)
    (call $fd_close (local.get 0))
    (call $iovs (i32.const 3000) (i32.const 5) (i32.const 0) (i32.const 0))
    (call $fd_write (local.get 1) (i32.const 256) (i32.const 1) (i32.const 2048)))
  (func (export "read_stdout") (result i32)
    (call $iovs (i32.const 4096) (i32.const 8) (i32.const 0) (i32.const 0))
    (call $fd_read (i32.const 1) (i32.const 256) (i32.const 1) (i32.const 2048)))

  ;; ---- answered here ----
  ;; environ_get's errno, the count, the bytes, the first byte of the
  ;; second variable and the byte that ends it
  (func (export "environ") (result i32 i32 i32 i32 i32)
    (drop (call $environ_sizes_get (i32.const 0) (i32.const 4)))
    (call $environ_get (i32.const 16) (i32.const 512))
    (i32.load (i32.const 0)) (i32.load (i32.const 4))
    (i32.load8_u (i32.load (i32.const 20)))
    (i32.load8_u (i32.sub (i32.add (i32.const 512) (i32.load (i32.const 4)))
                          (i32.const 1))))
  (func (export "proc_raise") (result i32) (call $proc_raise (i32.const 15)))
  (func (export "sched_yield") (result i32) (call $sched_yield))

  ;; ---- poll_oneoff ----
  ;; subscription i: userdata, tag, clock id or fd, timeout, flags
  (func $sub (param $i i32) (param $ud i64) (param $tag i32) (param $id i32)
             (param $timeout i64) (param $flags i32)
    (local $p i32)
    (local.set $p (i32.add (i32.const 5000) (i32.mul (local.get $i) (i32.const 48))))
    (i64.store (local.get $p) (local.get $ud))
    (i32.store8 offset=8 (local.get $p) (local.get $tag))
    (i32.store offset=16 (local.get $p) (local.get $id))
    (i64.store offset=24 (local.get $p) (local.get $timeout))
    (i64.store offset=32 (local.get $p) (i64.const 99)) ;; precision
    (i32.store16 offset=40 (local.get $p) (local.get $flags)))
  ;; one clock (id, timeout, flags), userdata 0x1111: errno, events,
  ;; event 0's userdata, errno and type
  (func (export "poll_clock") (param i32 i64 i32) (result i32 i32 i64 i32 i32)
    (call $sub (i32.const 0) (i64.const 0x1111) (i32.const 0) (local.get 0)
               (local.get 1) (local.get 2))
    (call $poll_oneoff (i32.const 5000) (i32.const 6000) (i32.const 1) (i32.const 2048))
    (i32.load (i32.const 2048)) (i64.load (i32.const 6000))
    (i32.load16_u (i32.const 6008)) (i32.load8_u (i32.const 6010)))
  ;; two monotonic timeouts, userdata 1 and 2: errno, events, event 0's
  ;; userdata
  (func (export "poll_two") (param i64 i64) (result i32 i32 i64)
    (call $sub (i32.const 0) (i64.const 1) (i32.const 0) (i32.const 1)
               (local.get 0) (i32.const 0))
    (call $sub (i32.const 1) (i64.const 2) (i32.const 0) (i32.const 1)
               (local.get 1) (i32.const 0))
    (call $poll_oneoff (i32.const 5000) (i32.const 6000) (i32.const 2) (i32.const 2048))
    (i32.load (i32.const 2048)) (i64.load (i32.const 6000)))
  ;; a 1 s monotonic clock (userdata 7) and fd_read on fd (userdata 8):
  ;; errno, events, then event 1: userdata, errno, type, nbytes, flags
  (func (export "poll_fd") (param i32) (result i32 i32 i64 i32 i32 i64 i32)
    (call $sub (i32.const 0) (i64.const 7) (i32.const 0) (i32.const 1)
               (i64.const 1000000000) (i32.const 0))
    (call $sub (i32.const 1) (i64.const 8) (i32.const 1) (local.get 0)
               (i64.const 0) (i32.const 0))
    (call $poll_oneoff (i32.const 5000) (i32.const 6000) (i32.const 2) (i32.const 2048))
    (i32.load (i32.const 2048)) (i64.load (i32.const 6032))
    (i32.load16_u (i32.const 6040)) (i32.load8_u (i32.const 6042))
    (i64.load (i32.const 6048)) (i32.load16_u (i32.const 6056)))
  (func (export "poll_none") (result i32)
    (call $poll_oneoff (i32.const 5000) (i32.const 6000) (i32.const 0) (i32.const 2048)))
  ;; a subscription with tag 3
  (func (export "poll_bad_tag") (result i32)
    (call $sub (i32.const 0) (i64.const 1) (i32.const 3) (i32.const 0)
               (i64.const 0) (i32.const 0))
    (call $poll_oneoff (i32.const 5000) (i32.const 6000) (i32.const 1) (i32.const 2048))))
