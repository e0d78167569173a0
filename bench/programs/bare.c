/*
** bare.c: the three memory routines clang may call on its own, for the
** -DBENCH_BARE builds that link no libc. no_builtin stops clang from
** recognising these very loops as memset/memcpy and calling themselves.
*/
#include <stddef.h>

void *memset(void *dst, int c, size_t n);
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);

__attribute__((no_builtin("memset"))) void *memset(void *dst, int c, size_t n) {
  unsigned char *d = dst;
  while (n--)
    *d++ = (unsigned char)c;
  return dst;
}

__attribute__((no_builtin("memcpy"))) void *
memcpy(void *restrict dst, const void *restrict src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  while (n--)
    *d++ = *s++;
  return dst;
}

/* Copies backwards when the destination starts inside the source. */
__attribute__((no_builtin("memmove"))) void *memmove(void *dst, const void *src,
                                                     size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  if (d > s && d < s + n) {
    while (n--)
      d[n] = s[n];
  } else {
    while (n--)
      *d++ = *s++;
  }
  return dst;
}
