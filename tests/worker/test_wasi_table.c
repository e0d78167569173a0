/*
** test_wasi_table.c: the worker's one list of WASI functions against the
** contract. Every function of preview 1 is there once; every forwarded
** row's plan uses each wasm parameter once and yields exactly the
** arguments proto/hostcall.h lists for its op; its layout places exactly
** the row's results; every op of HOSTCALL_LIST is reachable.
*/
#include <criterion/criterion.h>

#include <string.h>

#include "hostcall.h"
#include "wasi_impl.h"

/* The preview 1 witx, in its order. */
static const char *const preview1[] = {
    "args_get", "args_sizes_get", "environ_get", "environ_sizes_get",
    "clock_res_get", "clock_time_get", "fd_advise", "fd_allocate", "fd_close",
    "fd_datasync", "fd_fdstat_get", "fd_fdstat_set_flags",
    "fd_fdstat_set_rights", "fd_filestat_get", "fd_filestat_set_size",
    "fd_filestat_set_times", "fd_pread", "fd_prestat_get",
    "fd_prestat_dir_name", "fd_pwrite", "fd_read", "fd_readdir",
    "fd_renumber", "fd_seek", "fd_sync", "fd_tell", "fd_write",
    "path_create_directory", "path_filestat_get", "path_filestat_set_times",
    "path_link", "path_open", "path_readlink", "path_remove_directory",
    "path_rename", "path_symlink", "path_unlink_file", "poll_oneoff",
    "proc_exit", "proc_raise", "sched_yield", "random_get", "sock_accept",
    "sock_recv", "sock_send", "sock_shutdown"};

Test(wasi_table, every_preview1_function_is_listed_once) {
  cr_assert_eq(sizeof preview1 / sizeof preview1[0], WASI_FN_COUNT);
  for (size_t i = 0; i < WASI_FN_COUNT; i++) {
    int found = 0;
    for (size_t k = 0; k < WASI_FN_COUNT; k++)
      found += strcmp(wasi_fns[k].name, preview1[i]) == 0;
    cr_assert_eq(found, 1, "%s listed %d times", preview1[i], found);
  }
}

/* What a plan letter takes from the wasm parameters and gives the call. */
static void walk(const wasi_fn *f, char *params, char *args) {
  size_t p = 0, a = 0;
  for (const char *l = f->plan; *l; l++) {
    if (strchr("iI", *l)) {
      params[p++] = *l;
      args[a++] = *l;
    } else if (strchr("on", *l)) {
      params[p++] = 'i';
    } else {
      cr_assert(strchr("pwvrb", *l), "%s: letter %c", f->name, *l);
      params[p++] = 'i';
      params[p++] = 'i';
      if (strchr("rb", *l))
        args[a++] = 'i';
    }
  }
  params[p] = args[a] = '\0';
}

Test(wasi_table, plans_match_the_wasm_signature_and_the_hostcall_row) {
  for (size_t i = 0; i < WASI_FN_COUNT; i++) {
    const wasi_fn *f = &wasi_fns[i];
    const hostcall_desc *d = hostcall_describe(f->op);
    char params[16], args[16];
    if (f->op == HC_NONE || f->op == HC_POLL_ONEOFF)
      continue;
    cr_assert_not_null(d, "%s: op %d", f->name, (int)f->op);
    cr_assert_str_eq(d->name, f->name);
    walk(f, params, args);
    cr_assert_str_eq(params, f->params, "%s: the plan uses %s", f->name, params);
    cr_assert_str_eq(args, d->args, "%s: the plan sends %s", f->name, args);
    cr_assert_eq(f->out ? f->out->n : 0, strlen(d->results), "%s: layout",
                 f->name);
    for (size_t k = 0; f->out && k < f->out->n; k++)
      cr_assert_eq(f->out->f[k].width > 4, d->results[k] == 'I',
                   "%s: result %zu's width", f->name, k);
  }
}

/* The ops the host functions of hostfn.h forward (http_request twice:
** reglet_host's and plugsup's). */
static bool hostfn_forwards(hostcall_op op) {
#define HOSTFN_OP_(module, name, hop, style, params, results) \
  if (hop == op)                                              \
    return true;
  HOSTFN_LIST(HOSTFN_OP_)
#undef HOSTFN_OP_
  return false;
}

Test(wasi_table, every_hostcall_op_has_its_row) {
  for (unsigned op = HC_NONE + 1; op < HC_COUNT; op++) {
    int rows = hostfn_forwards((hostcall_op)op);
    for (size_t i = 0; i < WASI_FN_COUNT; i++)
      rows += wasi_fns[i].op == (hostcall_op)op;
    cr_assert_eq(rows, 1, "op %u (%s)", op, hostcall_describe(op)->name);
  }
}
