/*
** fuzz_reply.c: arbitrary bytes as what a worker sends the supervisor.
**
** Byte 0 picks the test. Its high bit set: the rest is guest text for
** sup_guest_text, in both modes; the result must be valid UTF-8 with no
** control, C1 or bidirectional character, and in name mode it must decode
** back to the input (distinct names stay distinct). Otherwise its low bits
** pick the run's mode and output limit, and the rest is the reply stream
** of one job: it goes through a pipe into the supervisor's own frame
** handling (conversation.c) and result building (result.c), and every
** string of the result must then be safe to print. With bit 4 set the run
** has a policy (a read-only directory of fixtures and a temporary
** directory) and its host calls reach the broker (broker*.c), which must
** never let a file appear outside the temporary directory. With bit 5
** set the run is an ABI run instead (INSPECT, METADATA of a tool plugin,
** CALL of a process or an observe plugin), so the stream reaches abi.c:
** every verdict and call name must be printable, and the plugin's bytes
** terminated and within the output limit. Contract
** violations abort, so libFuzzer (or replay_main.c) reports the input.
*/
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker.h"
#include "fuzz_common.h"
#include "internal.h"

static void check(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "fuzz_reply: contract broken: %s\n", what);
    abort();
  }
}

/* ---- an independent reading of what sup_guest_text promises ---- */

static size_t utf8_len(const unsigned char *s, uint32_t *cp) {
  size_t n = s[0] < 0x80 ? 1 : s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : 2;
  uint32_t c = n == 1 ? s[0] : s[0] & (0x7F >> n);
  check(s[0] < 0x80 || (s[0] >= 0xC2 && s[0] <= 0xF4), "bad lead byte");
  for (size_t i = 1; i < n; i++) {
    check((s[i] & 0xC0) == 0x80, "bad continuation byte");
    c = c << 6 | (s[i] & 0x3F);
  }
  *cp = c;
  return n;
}

static void check_printable(const char *text) {
  const unsigned char *s = (const unsigned char *)text;
  check(text != NULL, "NULL string in a result");
  while (*s) {
    uint32_t c;
    s += utf8_len(s, &c);
    check(c >= 0x20 && c != 0x7F, "control character");
    check(!(c >= 0x80 && c <= 0x9F), "C1 control");
    check(!(c >= 0x202A && c <= 0x202E) && !(c >= 0x2066 && c <= 0x2069) &&
              c != 0x200E && c != 0x200F && c != 0x061C && c != 0x2028 &&
              c != 0x2029,
          "bidirectional or separator character");
    check(c < 0xD800 || c > 0xDFFF, "surrogate");
  }
}

static int hex(char c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                                                : -1;
}

static size_t put_utf8(unsigned char *o, uint32_t c) {
  if (c < 0x80)
    return o[0] = (unsigned char)c, 1;
  if (c < 0x800)
    return o[0] = (unsigned char)(0xC0 | c >> 6),
           o[1] = (unsigned char)(0x80 | (c & 0x3F)), 2;
  o[0] = (unsigned char)(0xE0 | c >> 12);
  o[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
  o[2] = (unsigned char)(0x80 | (c & 0x3F));
  return 3;
}

/* Undoes name mode's escapes; the length of the bytes written to out. */
static size_t unescape(const char *s, unsigned char *out) {
  size_t n = 0;
  while (*s) {
    if (*s != '\\') {
      out[n++] = (unsigned char)*s++;
      continue;
    }
    if (s[1] == '\\') {
      out[n++] = '\\';
      s += 2;
    } else if (s[1] == 'x') {
      check(hex(s[2]) >= 0 && hex(s[3]) >= 0, "bad \\x escape");
      out[n++] = (unsigned char)(hex(s[2]) << 4 | hex(s[3]));
      s += 4;
    } else {
      uint32_t c = 0;
      check(s[1] == 'u' && s[2] == '{', "unknown escape");
      s += 3;
      while (*s != '}') {
        check(hex(*s) >= 0, "bad \\u escape");
        c = c << 4 | (uint32_t)hex(*s++);
      }
      s++;
      n += put_utf8(out + n, c);
    }
  }
  return n;
}

static void fuzz_text(const uint8_t *data, size_t size) {
  char *prose = sup_guest_text(data, size, SUP_TEXT_PROSE);
  char *name = sup_guest_text(data, size, SUP_TEXT_NAME);
  check(prose && name, "out of memory on a small input");
  check(strlen(prose) <= 4 * size && strlen(name) <= 4 * size, "too long");
  check_printable(prose);
  check_printable(name);
  unsigned char *back = malloc(size + 1);
  check(back != NULL, "out of memory");
  check(unescape(name, back) == size && memcmp(back, data, size) == 0,
        "name mode does not decode to its input");
  free(back);
  free(prose);
  free(name);
}

/* ---- a reply stream through the supervisor ---- */

static void check_result(const plugsup_result *r) {
  check_printable(r->message);
  check_printable(r->trap_kind);
  check_printable(r->syscall);
  for (size_t i = 0; i < r->export_count; i++) {
    check_printable(r->exports[i].name);
    check_printable(r->exports[i].kind);
    check_printable(r->exports[i].type);
  }
  for (size_t i = 0; i < r->import_count; i++)
    check_printable(r->imports[i]);
  check(r->out.len + r->err.len <= 4096, "output over the limit");
  size_t abi_bytes = r->abi_output.len;
  for (size_t i = 0; i < r->abi_count; i++) {
    check_printable(r->abis[i].error);
    for (size_t j = 0; j < r->abis[i].problem_count; j++)
      check_printable(r->abis[i].problems[j]);
  }
  for (size_t i = 0; i < r->abi_item_count; i++) {
    check_printable(r->abi_items[i].call);
    check(r->abi_items[i].data[r->abi_items[i].len] == '\0',
          "ABI item not terminated");
    abi_bytes += r->abi_items[i].len;
  }
  check(abi_bytes <= 4096, "ABI data over the output limit");
  check(r->abi_output.data[r->abi_output.len] == '\0' &&
            r->manifest[r->manifest_len] == '\0',
        "ABI output or manifest not terminated");
  check(r->out.data[r->out.len] == '\0' && r->err.data[r->err.len] == '\0',
        "output not terminated");
}

static plugsup_supervisor *supervisor(void) {
  static plugsup_supervisor *s;
  plugsup_config cfg;
  if (s)
    return s;
  plugsup_config_init(&cfg);
  cfg.worker_path = "/bin/true"; /* never started */
  cfg.limits.output_bytes = 4096;
  check(plugsup_supervisor_new(&cfg, &s) == PLUGSUP_OK, "supervisor");
  return s;
}

/* A read-only directory with a file, a subdirectory and a symlink out,
** made once, that the fuzzed worker may ask about; and the number of
** entries it must keep (nothing may be created or removed there). */
static const char ro_dir[] = "/tmp/plugsup-fuzz-ro";

static int entries(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  while (d && readdir(d))
    n++;
  if (d)
    closedir(d);
  return n;
}

static plugsup_policy *fuzz_policy(void) {
  static plugsup_policy *p;
  static const char json[] =
      "{\"filesystem\": {\"tmp\": true}, \"limits\": {\"bytes_written\": "
      "65536, \"host_calls\": 4096, \"open_files\": 16}}";
  if (p)
    return p;
  mkdir(ro_dir, 0755);
  FILE *f = fopen("/tmp/plugsup-fuzz-ro/file.txt", "w");
  if (f) {
    fputs("fixture\n", f);
    fclose(f);
  }
  mkdir("/tmp/plugsup-fuzz-ro/sub", 0755);
  symlink("/etc/passwd", "/tmp/plugsup-fuzz-ro/out");
  check(plugsup_policy_new(&p) == PLUGSUP_OK &&
            plugsup_policy_add_dir(p, ro_dir, "/ro", false) == PLUGSUP_OK &&
            plugsup_policy_load_json(p, "fuzz", json, sizeof json - 1) ==
                PLUGSUP_OK,
        "policy");
  return p;
}

static void fuzz_stream(uint8_t how, const uint8_t *data, size_t size) {
  static const plugsup_mode modes[] = {PLUGSUP_MODE_START, PLUGSUP_MODE_INVOKE,
                                       PLUGSUP_MODE_VALIDATE,
                                       PLUGSUP_MODE_VALIDATE};
  static const char plugin_text[1024];
  plugsup_plugin *p;
  plugsup_job *job;
  plugsup_result *r;
  static const struct {
    plugsup_mode mode;
    plugsup_abi abi;
  } abi_runs[] = {{PLUGSUP_MODE_INSPECT, PLUGSUP_ABI_NONE},
                  {PLUGSUP_MODE_METADATA, PLUGSUP_ABI_TOOL},
                  {PLUGSUP_MODE_CALL, PLUGSUP_ABI_PROCESS},
                  {PLUGSUP_MODE_CALL, PLUGSUP_ABI_OBSERVE}};
  plugsup_run_options o = {.size = sizeof o, .mode = modes[how & 3],
                           .export_name = "f"};
  if (how & 0x20) {
    o.mode = abi_runs[how & 3].mode;
    o.abi = abi_runs[how & 3].abi;
  }
  bool brokered = how & 0x10;
  if (brokered)
    o.policy = fuzz_policy();
  int before = brokered ? entries(ro_dir) : 0;
  int fds[2], req[2];
  check(plugsup_plugin_from_bytes(plugin_text, 64u << (how >> 2 & 3), &p) ==
            PLUGSUP_OK, "plugin");
  check(plugsup_submit(supervisor(), p, &o, &job) == PLUGSUP_OK, "submit");
  plugsup_plugin_free(p);
  /* The stream fits the pipe: libFuzzer's -max_len keeps it under 64 KiB. */
  check(pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0, "pipe");
  check(size <= 65536, "input larger than a pipe holds");
  check(write(fds[1], data, size) == (ssize_t)size, "write");
  close(fds[1]);
  /* Where the Run and host replies go; never read, big enough for them. */
  check(pipe2(req, O_NONBLOCK | O_CLOEXEC) == 0, "pipe");
  job->state = JOB_RUNNING;
  job->rep_fd = fds[0];
  job->req_fd = req[1];
  job->deadline_ns = UINT64_MAX;
  check(sup_broker_open(job), "broker");
  while (job->rep_fd >= 0 && job->killed == KILL_NONE) {
    sup_job_readable(job, SUP_TURN_BYTES, SUP_TURN_FRAMES);
    /* A call kept waiting is woken as the loop would, at once. */
    if (sup_broker_pending(job))
      sup_broker_resume(job);
  }
  sup_close_fds(job);
  close(req[0]);
  sup_job_finish(job, 0);
  sup_broker_close(job);
  check(!brokered || entries(ro_dir) == before,
        "a read-only grant was written to");
  job->state = JOB_DONE;
  check(plugsup_job_take(job, &r) == PLUGSUP_OK, "take");
  check_result(r);
  plugsup_result_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  if (data[0] & 0x80)
    fuzz_text(data + 1, size - 1);
  else if (size - 1 <= 65536)
    fuzz_stream(data[0], data + 1, size - 1);
  return 0;
}
