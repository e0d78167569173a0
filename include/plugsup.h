/*
** plugsup.h: run untrusted WebAssembly plugins in sandboxed worker processes.
**
** The one public header of libplugsup. Every name starts with plugsup_;
** handles are opaque; every fallible call returns a plugsup_status.
*/
#ifndef PLUGSUP_H
#define PLUGSUP_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(PLUGSUP_BUILDING) && defined(__GNUC__)
#define PLUGSUP_API __attribute__((visibility("default")))
#else
#define PLUGSUP_API
#endif

#define PLUGSUP_VERSION_MAJOR 0
#define PLUGSUP_VERSION_MINOR 1
#define PLUGSUP_VERSION_PATCH 0

/* The library's version as "MAJOR.MINOR.PATCH"; a static string. */
PLUGSUP_API const char *plugsup_version(void);

#ifdef __cplusplus
}
#endif

#endif
