/*
** abi.c: the supervisor's side of ABI runs (INSPECT, METADATA, CALL).
**
** The worker does the byte calls inside the plugin (worker/abi.c) and
** sends what they returned as AbiData pieces, then a Result with each
** ABI's verdict. Everything here is a claim of the worker: counts and
** sizes are bounded before anything is kept, names are escaped, and the
** plugin's bytes are kept as they came (as stdout is).
*/
#include <stdlib.h>
#include <string.h>

#include "abi_json.h"
#include "internal.h"

static const char *const abi_names[] = {
    [PLUGSUP_ABI_NONE] = "none",
#define SUP_X_(name, text) [name] = text,
    PLUGSUP_ABI_LIST(SUP_X_)
#undef SUP_X_
};

const char *plugsup_abi_name(plugsup_abi abi) {
  return (unsigned)abi < PLUGSUP_ABI_COUNT_ ? abi_names[abi] : "unknown";
}

plugsup_abi plugsup_abi_from_name(const char *name) {
  for (unsigned a = PLUGSUP_ABI_NONE + 1; name && a < PLUGSUP_ABI_COUNT_; a++)
    if (strcmp(abi_names[a], name) == 0)
      return (plugsup_abi)a;
  return PLUGSUP_ABI_NONE;
}

/* ---- AbiData pieces ---- */

static bool same_item(const plugsup_abi_item *it, const Plugsup__AbiData *d,
                      const char *call) {
  return it->index == d->index && strcmp(it->call, call) == 0;
}

static bool append(plugsup_abi_item *it, const uint8_t *data, size_t len) {
  char *p = realloc((char *)it->data, it->len + len + 1);
  if (!p)
    return false;
  if (len)
    memcpy(p + it->len, data, len);
  it->len += len;
  p[it->len] = '\0';
  it->data = p;
  return true;
}

static const char *new_item(plugsup_job *job, const char *call,
                            uint32_t index) {
  if (job->n_items == job->cap_items) {
    size_t cap = job->cap_items ? 2 * job->cap_items : 8;
    plugsup_abi_item *p = realloc(job->items, cap * sizeof *p);
    if (!p)
      return "out of memory reading ABI data";
    job->items = p;
    job->cap_items = cap;
  }
  plugsup_abi_item *it = &job->items[job->n_items];
  it->call = sup_guest_text(call, strlen(call), SUP_TEXT_NAME);
  it->index = index;
  it->data = NULL;
  it->len = 0;
  if (!it->call)
    return "out of memory reading ABI data";
  job->n_items++;
  return NULL;
}

/* The data of one run is bounded like its output: an honest worker
** refuses to send more (an ABI_ERROR), so more is a lie. */
const char *sup_job_add_abi_data(plugsup_job *job, const Plugsup__AbiData *d) {
  const char *call = d->call ? d->call : "";
  const char *bad;
  if (!sup_mode_is_abi(job->req.mode))
    return "worker sent ABI data for a run that did not ask for any";
  if (d->data.len > FRAME_ABI_PIECE)
    return "worker sent an ABI data piece over its size limit";
  if (job->item_bytes + d->data.len > job->req.limits.output_bytes)
    return "worker sent more ABI data than the output limit";
  if (job->item_open) {
    if (!same_item(&job->items[job->n_items - 1], d, call))
      return "worker interleaved two ABI data items";
  } else {
    if (job->n_items >= FRAME_ABI_MAX_ITEMS)
      return "worker sent more ABI data items than a run can have";
    if ((bad = new_item(job, call, d->index)))
      return bad;
  }
  if (!append(&job->items[job->n_items - 1], d->data.data, d->data.len))
    return "out of memory reading ABI data";
  job->item_bytes += d->data.len;
  job->item_open = d->more;
  return NULL;
}

static void free_items(plugsup_abi_item *items, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free((char *)items[i].call);
    free((char *)items[i].data);
  }
  free(items);
}

void sup_job_free_items(plugsup_job *job) {
  free_items(job->items, job->n_items);
  job->items = NULL;
  job->n_items = job->cap_items = 0;
  job->item_open = false;
}

/* ---- the Result's ABI parts ---- */

/* More than an ABI has exports and imports would be a lie. */
#define SUP_ABI_MAX_PROBLEMS 64u

const char *sup_abi_result_problem(const plugsup_job *job,
                                   const Plugsup__Result *w) {
  unsigned seen = 0;
  if (job->item_open)
    return "worker ended its run inside an ABI data item";
  if ((w->n_abis || w->manifest.len) && job->req.mode != PLUGSUP_MODE_INSPECT)
    return "worker sent ABI verdicts for a run that did not ask for them";
  if (w->manifest.len > FRAME_MANIFEST_MAX)
    return "worker sent a manifest over its size limit";
  if (w->n_abis >= PLUGSUP_ABI_COUNT_)
    return "worker sent more ABI verdicts than there are ABIs";
  for (size_t i = 0; i < w->n_abis; i++) {
    unsigned a = (unsigned)w->abis[i]->abi;
    if (a == PLUGSUP_ABI_NONE || a >= PLUGSUP_ABI_COUNT_ || (seen & 1u << a))
      return "worker sent an ABI verdict for an unknown or repeated ABI";
    seen |= 1u << a;
    if (w->abis[i]->n_problems > SUP_ABI_MAX_PROBLEMS)
      return "worker sent too many ABI problems";
  }
  return NULL;
}

static const char *prose_or_null(const char *s) {
  return sup_guest_text(s ? s : "", s ? strlen(s) : 0, SUP_TEXT_PROSE);
}

static bool copy_match(plugsup_abi_match *m, const Plugsup__AbiMatch *w) {
  m->abi = (plugsup_abi)w->abi;
  m->error = prose_or_null(w->error);
  if (w->n_problems) {
    const char **p = calloc(w->n_problems, sizeof *p);
    if (!p)
      return false;
    m->problems = p;
    for (size_t i = 0; i < w->n_problems; i++) {
      if (!(p[i] = prose_or_null(w->problems[i])))
        return false;
      m->problem_count++;
    }
  }
  return m->error != NULL;
}

static bool copy_inspect(plugsup_result *r, const Plugsup__Result *w) {
  if (w->n_abis) {
    plugsup_abi_match *m = calloc(w->n_abis, sizeof *m);
    if (!m)
      return false;
    r->abis = m;
    for (size_t i = 0; i < w->n_abis; i++) {
      r->abi_count++;
      if (!copy_match(&m[i], w->abis[i]))
        return false;
    }
  }
  if (w->manifest.len) {
    char *p = malloc(w->manifest.len + 1);
    if (!p)
      return false;
    memcpy(p, w->manifest.data, w->manifest.len);
    p[w->manifest.len] = '\0';
    r->manifest = p;
    r->manifest_len = w->manifest.len;
  }
  return true;
}

/* CALL: the entry point's output is the last item the worker sent. */
static bool take_output(plugsup_job *job, plugsup_result *r) {
  if (job->n_items == 0)
    return false;
  plugsup_abi_item *last = &job->items[job->n_items - 1];
  r->abi_output.data = last->data ? last->data : strdup("");
  r->abi_output.len = last->len;
  last->data = NULL;
  return r->abi_output.data != NULL;
}

/* An observe response says whether the check ran: {"status": false,
** "error": ...} is the plugin's own failure, and a response that is no
** verdict at all breaks the ABI. The response stays the output. */
static void observe_verdict(plugsup_result *r) {
  char msg[512];
  abi_verdict v = abi_verdict_parse(r->abi_output.data, r->abi_output.len,
                                    msg, sizeof msg);
  if (v == ABI_VERDICT_SUCCESS)
    return;
  char *safe = sup_guest_text(msg, strlen(msg), SUP_TEXT_PROSE);
  r->outcome = v == ABI_VERDICT_FAILURE ? PLUGSUP_OUTCOME_PLUGIN_ERROR
                                        : PLUGSUP_OUTCOME_ABI_ERROR;
  if (v == ABI_VERDICT_FAILURE)
    sup_result_set_message(r, "%s", safe ? safe : "?");
  else
    sup_result_set_message(r, "observe: the response is not a verdict: %s",
                           safe ? safe : "?");
  free(safe);
}

void sup_abi_finish(plugsup_job *job, plugsup_result *r) {
  bool whole = r->outcome == PLUGSUP_OUTCOME_OK ||
               (job->req.mode == PLUGSUP_MODE_INSPECT &&
                r->outcome == PLUGSUP_OUTCOME_INVALID_MODULE);
  if (!sup_mode_is_abi(job->req.mode) || !whole || !job->result)
    return;
  if (job->req.mode == PLUGSUP_MODE_CALL) {
    if (!take_output(job, r)) {
      r->outcome = PLUGSUP_OUTCOME_PROTOCOL_ERROR;
      sup_result_set_message(r, "worker ended a CALL without its output");
    } else if (job->req.abi == PLUGSUP_ABI_OBSERVE)
      observe_verdict(r);
    return;
  }
  if (job->req.mode == PLUGSUP_MODE_INSPECT &&
      !copy_inspect(r, job->result)) {
    sup_abi_result_free(r);
    r->outcome = PLUGSUP_OUTCOME_WORKER_FAILED;
    sup_result_set_message(r, "out of memory while copying the worker's "
                           "ABI verdicts");
    return;
  }
  r->abi_items = job->items;
  r->abi_item_count = job->n_items;
  job->items = NULL;
  job->n_items = job->cap_items = 0;
}

void sup_abi_result_free(plugsup_result *r) {
  for (size_t i = 0; i < r->abi_count; i++) {
    for (size_t j = 0; j < r->abis[i].problem_count; j++)
      free((char *)r->abis[i].problems[j]);
    free((void *)r->abis[i].problems);
    free((char *)r->abis[i].error);
  }
  free((void *)r->abis);
  free_items((plugsup_abi_item *)r->abi_items, r->abi_item_count);
  r->abis = NULL;
  r->abi_items = NULL;
  r->abi_count = r->abi_item_count = 0;
}
