/*
** text.c: guest text made safe to show.
**
** Every string a worker sends (names from the module, messages that quote
** them) is untrusted: it may be invalid UTF-8, hold terminal controls, or
** hold characters that reorder what a terminal or an editor shows (the
** "Trojan Source" bidirectional overrides). sup_guest_text keeps what is
** plain and writes the rest as visible escapes, so the result is valid
** UTF-8 that prints as one line and means what it shows.
**
**   \xNN      a byte: C0 controls, DEL, and every byte of invalid UTF-8
**   \u{XXXX}  a code point: C1 controls (U+0080-U+009F), the bidirectional
**             marks, embeddings, overrides and isolates (U+061C, U+200E,
**             U+200F, U+202A-U+202E, U+2066-U+2069), and the line and
**             paragraph separators (U+2028, U+2029)
**   \\        a backslash, in SUP_TEXT_NAME mode only, so that the escapes
**             cannot be forged and distinct names stay distinct
*/
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

/* The code point of the valid UTF-8 sequence at s (n bytes left) and its
** length, or 0 when s does not start one (overlong forms and surrogates
** are invalid). */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp) {
  size_t len;
  uint32_t min, c;
  if (s[0] < 0x80) {
    *cp = s[0];
    return 1;
  }
  if (s[0] >= 0xC2 && s[0] <= 0xDF)
    len = 2, min = 0x80, c = s[0] & 0x1F;
  else if (s[0] >= 0xE0 && s[0] <= 0xEF)
    len = 3, min = 0x800, c = s[0] & 0x0F;
  else if (s[0] >= 0xF0 && s[0] <= 0xF4)
    len = 4, min = 0x10000, c = s[0] & 0x07;
  else
    return 0;
  if (n < len)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    c = c << 6 | (s[i] & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
    return 0;
  *cp = c;
  return len;
}

static bool needs_escape(uint32_t c) {
  return (c >= 0x80 && c <= 0x9F) || c == 0x061C || c == 0x200E ||
         c == 0x200F || (c >= 0x202A && c <= 0x202E) ||
         (c >= 0x2066 && c <= 0x2069) || c == 0x2028 || c == 0x2029;
}

char *sup_guest_text(const void *data, size_t len, sup_text_mode mode) {
  const unsigned char *s = data ? data : (const unsigned char *)"";
  /* The widest escape, \u{XXXX}, stands for at least two bytes. */
  char *out = malloc(len * 4 + 1), *o = out;
  if (!out)
    return NULL;
  for (size_t i = 0; i < len;) {
    uint32_t c;
    size_t n = utf8_decode(s + i, len - i, &c);
    if (n == 0 || c < 0x20 || c == 0x7F) {
      o += sprintf(o, "\\x%02x", s[i]);
      i++;
    } else if (needs_escape(c)) {
      o += sprintf(o, "\\u{%04x}", (unsigned)c);
      i += n;
    } else if (c == '\\' && mode == SUP_TEXT_NAME) {
      *o++ = '\\';
      *o++ = '\\';
      i++;
    } else {
      for (size_t k = 0; k < n; k++)
        *o++ = (char)s[i + k];
      i += n;
    }
  }
  *o = '\0';
  return out;
}

char *plugsup_text_escape(const void *data, size_t len) {
  return sup_guest_text(data ? data : "", data ? len : 0, SUP_TEXT_PROSE);
}
