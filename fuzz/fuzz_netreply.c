/*
** fuzz_netreply.c: arbitrary bytes as what a network operation reads from
** outside the supervisor (supervisor/net_parse.h).
**
** Byte 0 even: the rest is the body of the frame the plugsup-http helper
** sends; the helper parsed a hostile server, so the frame is untrusted.
** It is decoded as the supervisor decodes it (frame_decode) and, whatever
** kind it is, checked by net_http_take_result into a zeroed net_result.
** An accepted result must be within net.h's bounds, hold exactly what the
** frame said, and every string it promises must be terminated, printable,
** valid UTF-8; accepted or not, net_result_free must free all of it
** (LeakSanitizer checks).
**
** Byte 0 odd: bits 1-4 are a count m, the next m bytes the sizes of the
** reads (cycled; 0: all the room there is), and the rest what an SMTP
** server sends. It arrives in those reads into a buffer of
** NET_BANNER_MAX bytes, as net_tcp.c's read_reply reads it, and after
** each read net_smtp_reply_scan looks for a whole reply at the start;
** each one found is taken out and the next is looked for, until the
** stream ends, a reply is refused, or the buffer is full. The scanner sees
** an exact-size copy of the bytes, so a read past them is a sanitizer
** report; its answer and text must be what this file's own reading of
** the lines says, and the text must fit in NET_BANNER_MAX bytes.
**
** Contract violations abort, so libFuzzer (or replay_main.c) reports the
** input.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "fuzz_common.h"
#include "net.h"
#include "net_parse.h"
#include "plugsup_http.h"

static void check(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "fuzz_netreply: contract broken: %s\n", what);
    abort();
  }
}

/* ---- the helper's HttpResult ---- */

/* Is s[0..max) a terminated string of valid UTF-8 (no overlong form, no
** surrogate, nothing past U+10FFFF) with no C0, DEL or C1 control, as
** sup_guest_text promises? Decoded here by a reader of this file's own. */
static int printable_utf8(const char *str, size_t max) {
  const unsigned char *s = (const unsigned char *)str;
  size_t end = strnlen(str, max);
  if (end == max)
    return 0;
  for (size_t i = 0; i < end;) {
    unsigned char b = s[i];
    size_t n = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3
                          : (b & 0xF8) == 0xF0 ? 4 : 0;
    static const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (n == 0 || end - i < n)
      return 0;
    uint32_t c = n == 1 ? b : b & (0xFFu >> (n + 1));
    for (size_t k = 1; k < n; k++) {
      if ((s[i + k] & 0xC0) != 0x80)
        return 0;
      c = c << 6 | (s[i + k] & 0x3F);
    }
    if (c < least[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF) ||
        c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F))
      return 0;
    i += n;
  }
  return 1;
}

/* A guest text made from a field of at most max bytes: sup_guest_text
** writes at most 4 bytes for each. */
static void check_text(const char *s, size_t max, const char *what) {
  check(s != NULL, what);
  check(printable_utf8(s, 4 * max + 1), what);
}

/* net_error's types, as net.h lists them. */
static int known_error_type(const char *t) {
  static const char *const types[] = {"network",    "timeout",   "config",
                                      "capability", "validation", "execution",
                                      "internal"};
  for (size_t i = 0; i < sizeof types / sizeof *types; i++)
    if (strcmp(t, types[i]) == 0)
      return 1;
  return 0;
}

static void check_error(const net_error *e) {
  check(strnlen(e->type, sizeof e->type) < sizeof e->type &&
            strnlen(e->code, sizeof e->code) < sizeof e->code &&
            strnlen(e->message, sizeof e->message) < sizeof e->message,
        "an error field is not terminated");
  if (e->type[0] == '\0') {
    check(e->code[0] == '\0' && e->message[0] == '\0',
          "a code or a message without an error");
    return;
  }
  check(known_error_type(e->type), "an error type net.h does not list");
  check(strspn(e->code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
            strlen(e->code),
        "an error code of other characters than A-Z, 0-9 and _");
  check(printable_utf8(e->message, sizeof e->message),
        "an error message that is not printable UTF-8");
}

static void check_decision(const net_decision *d,
                           const Plugsup__HttpDecision *m) {
  check_text(d->host, PLUGSUP_HTTP_TEXT_MAX, "a decision's host");
  check_text(d->capability, PLUGSUP_HTTP_TEXT_MAX, "a decision's capability");
  check((d->reason != NULL) == (m->reason.len > 0),
        "a decision's reason not as the frame has it");
  if (d->reason)
    check_text(d->reason, PLUGSUP_HTTP_TEXT_MAX, "a decision's reason");
  size_t n = strnlen(d->address, sizeof d->address);
  check(n < sizeof d->address &&
            strspn(d->address, "0123456789abcdefABCDEF.:?") == n,
        "a decision's address is not an address");
  check(d->port <= 65535 && d->port == m->port && d->granted == m->granted,
        "a decision's port or grant");
}

static void check_accepted(const net_result *r, const Plugsup__HttpResult *m) {
  check(r->status_code == 0 ||
            (r->status_code >= 100 && r->status_code <= 999),
        "a status code out of range");
  check(r->body_len <= NET_HTTP_BODY_MAX && r->body_len == m->body.len &&
            (r->body_len == 0 ||
             memcmp(r->body, m->body.data, r->body_len) == 0),
        "the body is not the frame's, or too long");
  check(r->nheaders <= NET_HTTP_HEADERS_MAX && r->nheaders == m->n_headers,
        "header count");
  for (size_t i = 0; i < r->nheaders; i++) {
    check_text(r->headers[i].name, PLUGSUP_HTTP_HEADER_BYTES, "header name");
    check_text(r->headers[i].value, PLUGSUP_HTTP_HEADER_BYTES,
               "header value");
  }
  check(r->ndecisions <= PLUGSUP_HTTP_DECISIONS_MAX &&
            r->ndecisions == m->n_decisions,
        "decision count");
  for (size_t i = 0; i < r->ndecisions; i++)
    check_decision(&r->decisions[i], m->decisions[i]);
  check_error(&r->error);
}

static void fuzz_http(const uint8_t *data, size_t size) {
  Plugsup__Envelope *env = NULL;
  net_result res;
  if (frame_decode(data, size, &env) != FRAME_OK)
    return;
  memset(&res, 0, sizeof res);
  if (net_http_take_result(&res, env))
    check_accepted(&res, env->http_result);
  net_result_free(&res);
  frame_free(env);
}

/* ---- an SMTP server's replies ---- */

static int three_digits(const char *s) {
  for (int i = 0; i < 3; i++)
    if (s[i] < '0' || s[i] > '9')
      return 0;
  return 1;
}

/* The same reading of in[0..n) as net_smtp_reply_scan promises, written
** apart: the lines, one after the other, each without its "\n" and a
** "\r" before it; the first must be "ddd " or "ddd-" and more; the reply
** ends with the first line that starts with the first line's code and a
** space. text (room for n + 1 bytes) gets "ddd " and the first line's
** rest, then "\n" and each later line, less code and separator where it
** has the first line's. */
static int reading(const char *in, size_t n, size_t *len, char *text,
                   size_t *tlen) {
  size_t t = 0;
  for (size_t start = 0; start < n;) {
    const char *nl = memchr(in + start, '\n', n - start);
    if (!nl)
      return 0;
    size_t next = (size_t)(nl - in) + 1, end = next - 1;
    if (end > start && in[end - 1] == '\r')
      end--;
    const char *line = in + start;
    size_t ll = end - start;
    int coded = ll >= 4 && memcmp(line, in, 3) == 0 &&
                (line[3] == ' ' || line[3] == '-');
    if (start == 0) {
      if (!coded || !three_digits(in))
        return -1;
      memcpy(text, in, 3);
      text[3] = ' ';
      t = 4;
    } else {
      text[t++] = '\n';
    }
    size_t skip = coded ? 4 : 0;
    memcpy(text + t, line + skip, ll - skip);
    t += ll - skip;
    start = next;
    if (coded && line[3] == ' ') {
      *len = next;
      *tlen = t;
      return 1;
    }
  }
  return 0;
}

/* The scanner over an exact copy of in[0..n), compared with reading(). */
static int scan(const char *in, size_t n, size_t *len) {
  char *copy = malloc(n ? n : 1), *want = malloc(n + 1);
  size_t want_len = 0, want_tlen = 0, got_len = 0;
  check(copy && want, "out of memory");
  memcpy(copy, in, n);
  int found = net_smtp_reply_scan(copy, n, &got_len, NULL);
  check(found == reading(in, n, &want_len, want, &want_tlen),
        "the scanner and the reading of the lines disagree");
  if (found == 1) {
    /* The text goes where read_reply puts it: room for NET_BANNER_MAX
    ** bytes and the NUL, exactly, so more would be cut or overflow. */
    sbuf b = {malloc(NET_BANNER_MAX + 1), NET_BANNER_MAX + 1, 0};
    size_t again = 0;
    check(b.p != NULL, "out of memory");
    b.p[0] = '\0';
    check(net_smtp_reply_scan(copy, n, &again, &b) == 1 && again == got_len,
          "a second scan with text finds another reply");
    check(got_len == want_len && got_len <= n && in[got_len - 1] == '\n',
          "a reply's length");
    check(b.len == want_tlen && b.len < NET_BANNER_MAX &&
              b.p[b.len] == '\0' && memcmp(b.p, want, b.len) == 0,
          "a reply's text is not its lines, or longer than NET_BANNER_MAX");
    check(b.len >= 4 && memcmp(b.p, in, 3) == 0 && b.p[3] == ' ' &&
              three_digits(b.p),
          "a reply's text does not start with its 3-digit code");
    free(b.p);
    *len = got_len;
  }
  free(want);
  free(copy);
  return found;
}

static void fuzz_smtp(const uint8_t *sizes, size_t nsizes, const uint8_t *data,
                      size_t size) {
  char in[NET_BANNER_MAX];
  size_t in_len = 0, at = 0, reads = 0;
  for (;;) {
    size_t len = 0;
    int found = scan(in, in_len, &len);
    if (found < 0)
      return; /* "not an SMTP reply": the operation ends */
    if (found > 0) {
      in_len -= len;
      memmove(in, in + len, in_len);
      continue;
    }
    if (in_len == sizeof in || at == size)
      return; /* "reply longer than", or the server closed */
    size_t room = sizeof in - in_len, want = nsizes ? sizes[reads % nsizes] : 0;
    size_t n = want == 0 || want > room ? room : want;
    n = n < size - at ? n : size - at;
    memcpy(in + in_len, data + at, n);
    in_len += n;
    at += n;
    reads++;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  if (!(data[0] & 1)) {
    fuzz_http(data + 1, size - 1);
    return 0;
  }
  size_t m = (size_t)(data[0] >> 1 & 15);
  if (size - 1 < m)
    return 0;
  fuzz_smtp(data + 1, m, data + 1 + m, size - 1 - m);
  return 0;
}
