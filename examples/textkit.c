/*
** textkit.c: a plugin of the TOOL ABI (docs/abi-tool.md) with two tools:
**   count_words  the number of words (runs of non-blank bytes) in the input
**   reverse      the input, byte by byte, back to front
**
** Build (no libc, no entry point, so no imports):
**   clang --target=wasm32-wasi -O2 -nostdlib -Wl,--no-entry textkit.c \
**         -o textkit.wasm
**
** The contract, from the plugin's side:
**   plugin_name(), plugin_version(), plugin_description() -> const char *
**   plugin_tools_count() -> n; plugin_tool_name(i), plugin_tool_description(i)
**   plugin_tool_execute(i, input) -> const char *output
** Every string is NUL-terminated UTF-8 in the plugin's memory. The host
** grows the memory by the pages it needs and writes the input at the old
** end of memory, so the plugin must not use memory past the end it knew:
** it takes fresh pages with memory.grow instead (fresh_pages below).
*/
#include <stdint.h>

static const char *const tool_names[] = {"count_words", "reverse"};
static const char *const tool_descriptions[] = {
    "Counts the words of the input (runs of bytes that are not blanks)",
    "Returns the input reversed, byte by byte",
};
#define TOOL_COUNT 2

__attribute__((export_name("plugin_name"))) const char *plugin_name(void) {
  return "textkit";
}

/* ABI v1 needs a version; an empty one is refused as not compatible. */
__attribute__((export_name("plugin_version"))) const char *
plugin_version(void) {
  return "1.0.0";
}

__attribute__((export_name("plugin_description"))) const char *
plugin_description(void) {
  return "Small text tools: word count and reverse";
}

__attribute__((export_name("plugin_tools_count"))) int32_t
plugin_tools_count(void) {
  return TOOL_COUNT;
}

__attribute__((export_name("plugin_tool_name"))) const char *
plugin_tool_name(int32_t i) {
  return i >= 0 && i < TOOL_COUNT ? tool_names[i] : "";
}

__attribute__((export_name("plugin_tool_description"))) const char *
plugin_tool_description(int32_t i) {
  return i >= 0 && i < TOOL_COUNT ? tool_descriptions[i] : "";
}

/* len bytes past the current end of memory, or 0 if memory cannot grow. */
static char *fresh_pages(uint32_t len) {
  uint32_t pages = (len + 65535) / 65536;
  uintptr_t old = __builtin_wasm_memory_grow(0, pages);
  return old == (uintptr_t)-1 ? 0 : (char *)(old * 65536);
}

static uint32_t length(const char *s) {
  uint32_t n = 0;
  while (s[n])
    n++;
  return n;
}

static const char *count_words(const char *in) {
  static char out[16]; /* the decimal count; static data is ours */
  uint32_t words = 0;
  int in_word = 0;
  for (; *in; in++) {
    int blank = *in == ' ' || *in == '\t' || *in == '\n' || *in == '\r';
    if (!blank && !in_word)
      words++;
    in_word = !blank;
  }
  char digits[16];
  int n = 0;
  do {
    digits[n++] = (char)('0' + words % 10);
    words /= 10;
  } while (words);
  for (int i = 0; i < n; i++)
    out[i] = digits[n - 1 - i];
  out[n] = '\0';
  return out;
}

static const char *reverse(const char *in) {
  uint32_t len = length(in);
  char *out = fresh_pages(len + 1);
  if (!out)
    return "error: out of memory";
  for (uint32_t i = 0; i < len; i++)
    out[i] = in[len - 1 - i];
  out[len] = '\0';
  return out;
}

/* input points at the host's copy of the tool's input, NUL-terminated. */
__attribute__((export_name("plugin_tool_execute"))) const char *
plugin_tool_execute(int32_t tool, const char *input) {
  switch (tool) {
  case 0:
    return count_words(input);
  case 1:
    return reverse(input);
  default:
    return "error: no such tool";
  }
}
