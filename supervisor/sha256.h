/*
** sha256.h: SHA-256 for the manager's content hashes (sha256.c). Apart
** from internal.h so that its test needs nothing else.
*/
#ifndef PLUGSUP_SUPERVISOR_SHA256_H
#define PLUGSUP_SUPERVISOR_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* "sha256:", 64 hex digits and a NUL. */
#define SUP_HASH_NAME 72

void sup_sha256(const void *data, size_t len, uint8_t digest[32]);
/* The manager's name for a module's content: "sha256:" and the digest. */
void sup_sha256_name(const void *data, size_t len, char out[SUP_HASH_NAME]);

#endif
