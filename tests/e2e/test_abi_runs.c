/*
** test_abi_runs.c: the supervisor's side of ABI runs (supervisor/abi.c)
** against fake workers: honest answers become the result's abis, items,
** output and manifest, with worker text escaped and plugin bytes kept;
** every broken rule of AbiData or of a Result's ABI parts is a protocol
** error, never a crash or an unbounded allocation; bad options are
** refused with their exact messages.
*/
#include "helpers.h"

#define FAKE(mode) E2E_DIR "/fake-worker-" mode

static plugsup_result *run_abi(const char *worker, plugsup_run_options *o) {
  plugsup_supervisor *s = sup_on(worker, 1, 5000);
  plugsup_plugin *p = plugin_bytes("a fake plugin");
  plugsup_result *r = NULL;
  cr_assert_eq(plugsup_run(s, p, o, &r), PLUGSUP_OK, "%s", plugsup_errmsg());
  plugsup_plugin_free(p);
  plugsup_supervisor_free(s);
  return r;
}

static plugsup_run_options call_opts(plugsup_abi abi, const char *input) {
  plugsup_run_options o = run_opts(PLUGSUP_MODE_CALL);
  o.abi = abi;
  o.input = input;
  o.input_len = strlen(input);
  return o;
}

static void expect_protocol(plugsup_result *r, const char *message) {
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_PROTOCOL_ERROR, "%s: %s",
               plugsup_outcome_name(r->outcome), r->message);
  cr_assert_str_eq(r->message, message);
  cr_assert_eq(r->abi_item_count, 0);
  cr_assert_eq(r->abi_output.len, 0);
  plugsup_result_free(r);
}

Test(abi_runs, inspect_keeps_verdicts_items_and_manifest) {
  plugsup_run_options o = run_opts(PLUGSUP_MODE_INSPECT);
  plugsup_result *r = run_abi(FAKE("abi-ok"), &o);
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK, "%s", r->message);
  cr_assert_eq(r->abi_count, 3);
  cr_assert_eq(r->abis[0].abi, PLUGSUP_ABI_PROCESS);
  cr_assert_eq(r->abis[0].problem_count, 1);
  cr_assert_str_eq(r->abis[0].problems[0], "missing export 'alloc'\\x1b[31m");
  cr_assert_eq(r->abis[1].abi, PLUGSUP_ABI_TOOL);
  cr_assert_eq(r->abis[1].problem_count, 0);
  cr_assert_str_eq(r->abis[1].error, "");
  cr_assert_str_eq(r->abis[2].error,
                   "describe: string at 70000 is outside memory");
  cr_assert_eq(r->abi_item_count, 2);
  cr_assert_str_eq(r->abi_items[0].call, "plugin_name");
  cr_assert_eq(r->abi_items[0].len, 2);
  cr_assert_str_eq(r->abi_items[0].data, "tk");
  /* The plugin's bytes stay as they are: a newline is data. */
  cr_assert_str_eq(r->abi_items[1].data, "a\nb");
  cr_assert_eq(r->manifest_len, 11);
  cr_assert_str_eq(r->manifest, "{\"id\":\"tk\"}");
  plugsup_result_free(r);
}

Test(abi_runs, call_joins_the_pieces_of_its_output) {
  plugsup_run_options o = call_opts(PLUGSUP_ABI_PROCESS, "hello, world");
  plugsup_result *r = run_abi(FAKE("abi-ok"), &o);
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK, "%s", r->message);
  cr_assert_eq(r->abi_output.len, 12);
  cr_assert_str_eq(r->abi_output.data, "hello, world");
  cr_assert_not(r->abi_output.truncated);
  cr_assert_eq(r->abi_item_count, 0);
  cr_assert_eq(r->abi_count, 0);
  cr_assert_str_eq(r->manifest, "");
  plugsup_result_free(r);
}

Test(abi_runs, metadata_run_returns_items) {
  plugsup_run_options o = run_opts(PLUGSUP_MODE_METADATA);
  o.abi = PLUGSUP_ABI_OBSERVE;
  plugsup_result *r = run_abi(FAKE("abi-ok"), &o);
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK, "%s", r->message);
  cr_assert_eq(r->abi_item_count, 1);
  cr_assert_str_eq(r->abi_items[0].call, "describe");
  cr_assert_str_eq(r->abi_items[0].data, "{}");
  plugsup_result_free(r);
}

Test(abi_runs, interleaved_items_are_a_protocol_error) {
  plugsup_run_options o = call_opts(PLUGSUP_ABI_PROCESS, "x");
  expect_protocol(run_abi(FAKE("abi-interleave"), &o),
                  "worker interleaved two ABI data items");
}

Test(abi_runs, data_over_the_output_limit_is_a_protocol_error) {
  plugsup_run_options o = call_opts(PLUGSUP_ABI_PROCESS, "x");
  o.limits.output_bytes = 3000;
  expect_protocol(run_abi(FAKE("abi-overlimit"), &o),
                  "worker sent more ABI data than the output limit");
}

Test(abi_runs, a_piece_over_its_size_is_a_protocol_error) {
  plugsup_run_options o = call_opts(PLUGSUP_ABI_PROCESS, "x");
  o.limits.output_bytes = 4u << 20;
  expect_protocol(run_abi(FAKE("abi-bigpiece"), &o),
                  "worker sent an ABI data piece over its size limit");
}

Test(abi_runs, too_many_items_are_a_protocol_error) {
  plugsup_run_options o = run_opts(PLUGSUP_MODE_METADATA);
  o.abi = PLUGSUP_ABI_TOOL;
  expect_protocol(run_abi(FAKE("abi-manyitems"), &o),
                  "worker sent more ABI data items than a run can have");
}

Test(abi_runs, a_result_inside_an_item_is_a_protocol_error) {
  plugsup_run_options o = call_opts(PLUGSUP_ABI_PROCESS, "x");
  expect_protocol(run_abi(FAKE("abi-openend"), &o),
                  "worker ended its run inside an ABI data item");
}

Test(abi_runs, a_repeated_verdict_is_a_protocol_error) {
  plugsup_run_options o = run_opts(PLUGSUP_MODE_INSPECT);
  expect_protocol(run_abi(FAKE("abi-twice"), &o),
                  "worker sent an ABI verdict for an unknown or repeated ABI");
}

Test(abi_runs, verdicts_in_a_call_are_a_protocol_error) {
  plugsup_run_options o = call_opts(PLUGSUP_ABI_TOOL, "x");
  o.tool = "t";
  expect_protocol(run_abi(FAKE("abi-twice"), &o),
                  "worker sent ABI verdicts for a run that did not ask for "
                  "them");
}

Test(abi_runs, a_call_without_output_is_a_protocol_error) {
  plugsup_run_options o = call_opts(PLUGSUP_ABI_PROCESS, "x");
  expect_protocol(run_abi(FAKE("abi-nooutput"), &o),
                  "worker ended a CALL without its output");
}

Test(abi_runs, abi_data_in_a_plain_run_is_a_protocol_error) {
  plugsup_run_options o = run_opts(PLUGSUP_MODE_START);
  expect_protocol(run_abi(FAKE("abi-interleave"), &o),
                  "worker sent ABI data for a run that did not ask for any");
}

static void expect_refused(plugsup_run_options *o, const char *message) {
  plugsup_supervisor *s = sup_on(FAKE("abi-ok"), 1, 5000);
  plugsup_plugin *p = plugin_bytes("a fake plugin");
  plugsup_result *r = NULL;
  cr_assert_eq(plugsup_run(s, p, o, &r), PLUGSUP_EINVAL);
  cr_assert_null(r);
  cr_assert_str_eq(plugsup_errmsg(), message);
  plugsup_plugin_free(p);
  plugsup_supervisor_free(s);
}

Test(abi_runs, a_call_needs_an_abi) {
  plugsup_run_options o = run_opts(PLUGSUP_MODE_CALL);
  expect_refused(&o, "a CALL run needs an ABI (process, tool or observe)");
  o.mode = PLUGSUP_MODE_METADATA;
  o.abi = (plugsup_abi)7;
  expect_refused(&o, "a METADATA run needs an ABI (process, tool or "
                 "observe)");
}

Test(abi_runs, a_tool_call_needs_a_tool) {
  plugsup_run_options o = call_opts(PLUGSUP_ABI_TOOL, "x");
  expect_refused(&o, "a CALL of a tool plugin needs a tool name");
}

Test(abi_runs, an_abi_run_takes_no_input_descriptor) {
  plugsup_run_options o = call_opts(PLUGSUP_ABI_PROCESS, "x");
  o.input_from_fd = true;
  o.input_fd = 0;
  expect_refused(&o, "an ABI run takes its input as bytes, not from a "
                 "descriptor");
}

Test(abi_runs, abi_names_round_trip) {
  cr_assert_str_eq(plugsup_abi_name(PLUGSUP_ABI_TOOL), "tool");
  cr_assert_str_eq(plugsup_abi_name(PLUGSUP_ABI_NONE), "none");
  cr_assert_str_eq(plugsup_abi_name((plugsup_abi)42), "unknown");
  cr_assert_eq(plugsup_abi_from_name("observe"), PLUGSUP_ABI_OBSERVE);
  cr_assert_eq(plugsup_abi_from_name("Observe"), PLUGSUP_ABI_NONE);
  cr_assert_eq(plugsup_abi_from_name(NULL), PLUGSUP_ABI_NONE);
}

Test(abi_runs, text_escape_makes_plugin_text_printable) {
  char *s = plugsup_text_escape("a\nb\x1b[2J\xff", 8);
  cr_assert_str_eq(s, "a\\x0ab\\x1b[2J\\xff");
  free(s);
}

Test(abi_runs, observe_status_false_is_the_plugins_own_failure) {
  plugsup_run_options o = call_opts(
      PLUGSUP_ABI_OBSERVE,
      "{\"status\": false, \"error\": {\"message\": \"boom\\u001b[2J\"}}");
  plugsup_result *r = run_abi(FAKE("abi-ok"), &o);
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_PLUGIN_ERROR, "%s",
               plugsup_outcome_name(r->outcome));
  cr_assert_str_eq(r->message, "boom\\x1b[2J");
  cr_assert_str_eq(r->abi_output.data, o.input);
  plugsup_result_free(r);
}

Test(abi_runs, observe_status_true_is_ok) {
  plugsup_run_options o = call_opts(PLUGSUP_ABI_OBSERVE,
                                    "{\"Status\": true, \"Data\": {}}");
  plugsup_result *r = run_abi(FAKE("abi-ok"), &o);
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_OK, "%s", r->message);
  plugsup_result_free(r);
}

Test(abi_runs, observe_response_that_is_no_verdict_breaks_the_abi) {
  plugsup_run_options o = call_opts(PLUGSUP_ABI_OBSERVE, "[1, 2]");
  plugsup_result *r = run_abi(FAKE("abi-ok"), &o);
  cr_assert_eq(r->outcome, PLUGSUP_OUTCOME_ABI_ERROR, "%s",
               plugsup_outcome_name(r->outcome));
  cr_assert_str_eq(r->message, "observe: the response is not a verdict: "
                   "the response is not a JSON object");
  plugsup_result_free(r);
}
