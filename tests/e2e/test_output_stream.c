/*
** test_output_stream.c: output_stream_only, through the real worker and
** the write_bytes.wasm fixture: any amount streams to on_output while
** nothing is kept, and a limit still cuts and flags the stream it cut.
*/
#include "helpers.h"

#define WRITE_BYTES E2E_DIR "/fixtures/write_bytes.wasm"

typedef struct streamed {
  uint64_t bytes[3];
  bool wrong_byte;
} streamed;

static void count(void *userdata, int fd, const void *data, size_t len) {
  streamed *s = userdata;
  const char *p = data;
  s->bytes[fd] += len;
  for (size_t i = 0; i < len; i++)
    if (p[i] != (fd == 1 ? 'x' : 'y'))
      s->wrong_byte = true;
}

/* Runs write_bytes.wasm with argv[1..] and the options set so far. */
static plugsup_result *run_writer(plugsup_run_options *o, streamed *s,
                                  const char *const *args, size_t nargs) {
  const char *argv[4] = {"write_bytes.wasm"};
  for (size_t i = 0; i < nargs && i < 3; i++)
    argv[i + 1] = args[i];
  plugsup_supervisor *sup = sup_on(REAL_WORKER, 1, 20000);
  plugsup_plugin *p = NULL;
  plugsup_result *r = NULL;
  cr_assert_eq(plugsup_plugin_load_file(WRITE_BYTES, &p), PLUGSUP_OK, "%s",
               plugsup_errmsg());
  o->argv = argv;
  o->argc = nargs + 1;
  o->on_output = count;
  o->userdata = s;
  cr_assert_eq(plugsup_run(sup, p, o, &r), PLUGSUP_OK, "%s", plugsup_errmsg());
  plugsup_plugin_free(p);
  plugsup_supervisor_free(sup);
  return r;
}

Test(output_stream, unlimited_output_streams_whole_and_nothing_is_kept) {
  plugsup_run_options o = run_opts(PLUGSUP_MODE_START);
  streamed s = {{0}, false};
  const char *args[] = {"20000000", "3000000"};
  o.limits.output_bytes = UINT64_MAX;
  o.output_stream_only = true;
  plugsup_result *r = run_writer(&o, &s, args, 2);
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK, "%s", r->message);
  cr_assert_eq(s.bytes[1], 20000000);
  cr_assert_eq(s.bytes[2], 3000000);
  cr_assert_not(s.wrong_byte);
  cr_assert_eq(r->out.len, 0);
  cr_assert_str_eq(r->out.data, "");
  cr_assert_eq(r->err.len, 0);
  cr_assert_not(r->out.truncated);
  cr_assert_not(r->err.truncated);
  plugsup_result_free(r);
}

Test(output_stream, a_limit_cuts_the_stream_and_flags_only_it) {
  plugsup_run_options o = run_opts(PLUGSUP_MODE_START);
  streamed s = {{0}, false};
  const char *args[] = {"5000"};
  o.limits.output_bytes = 1024;
  o.output_stream_only = true;
  plugsup_result *r = run_writer(&o, &s, args, 1);
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK, "%s", r->message);
  cr_assert_eq(s.bytes[1], 1024);
  cr_assert_eq(r->out.len, 0);
  cr_assert(r->out.truncated);
  cr_assert_not(r->err.truncated, "stderr was never written");
  plugsup_result_free(r);
}

/* The limit is over both streams together, kept or not. */
Test(output_stream, the_limit_counts_both_streams) {
  plugsup_run_options o = run_opts(PLUGSUP_MODE_START);
  streamed s = {{0}, false};
  const char *args[] = {"600", "600"};
  o.limits.output_bytes = 1000;
  o.output_stream_only = true;
  plugsup_result *r = run_writer(&o, &s, args, 2);
  cr_assert_eq(s.bytes[1], 600);
  cr_assert_eq(s.bytes[2], 400);
  cr_assert_not(r->out.truncated);
  cr_assert(r->err.truncated);
  plugsup_result_free(r);
}

Test(output_stream, a_cut_is_flagged_when_the_run_then_times_out) {
  plugsup_run_options o = run_opts(PLUGSUP_MODE_START);
  streamed s = {{0}, false};
  const char *args[] = {"5000", "0", "spin"};
  o.limits.output_bytes = 1024;
  o.limits.wall_ms = 3000; /* time to write 5000 bytes, even under ASan on a busy machine */
  o.output_stream_only = true;
  plugsup_result *r = run_writer(&o, &s, args, 3);
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_TIMEOUT, "%s", r->message);
  cr_assert_eq(s.bytes[1], 1024);
  cr_assert(r->out.truncated);
  plugsup_result_free(r);
}

/* Without output_stream_only, what passes is also kept, as before. */
Test(output_stream, captured_runs_keep_what_they_pass) {
  plugsup_run_options o = run_opts(PLUGSUP_MODE_START);
  streamed s = {{0}, false};
  const char *args[] = {"5000"};
  o.limits.output_bytes = 1024;
  plugsup_result *r = run_writer(&o, &s, args, 1);
  cr_assert_eq(s.bytes[1], 1024);
  cr_assert_eq(r->out.len, 1024);
  cr_assert_eq(r->out.data[0], 'x');
  cr_assert(r->out.truncated);
  cr_assert_not(r->err.truncated);
  plugsup_result_free(r);
}
