/*
** test_sha256.c: the manager's SHA-256 against the FIPS 180-4 examples
** and NIST's long-message vector, at every padding boundary.
*/
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"

static void expect_name(const void *data, size_t len, const char *hex) {
  char got[SUP_HASH_NAME];
  sup_sha256_name(data, len, got);
  cr_assert_str_eq(got + 7, hex);
  cr_assert_eq(strncmp(got, "sha256:", 7), 0);
}

Test(sha256, empty_input) {
  expect_name(
      "", 0,
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

Test(sha256, abc) {
  expect_name(
      "abc", 3,
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* 56 bytes: the length no longer fits the first block's padding. */
Test(sha256, two_block_message_of_448_bits) {
  const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  expect_name(
      m, strlen(m),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

Test(sha256, message_of_896_bits) {
  const char *m = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                  "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
  expect_name(
      m, strlen(m),
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

Test(sha256, a_million_a) {
  char *m = malloc(1000000);
  memset(m, 'a', 1000000);
  expect_name(
      m, 1000000,
      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  free(m);
}

/* 55, 56, 63 and 64 bytes sit on either side of the padding's edges; a
** digest that ignored a byte would repeat. */
Test(sha256, every_length_around_a_block_differs) {
  char buf[130], seen[130][SUP_HASH_NAME];
  memset(buf, 'x', sizeof buf);
  for (size_t n = 0; n < sizeof buf; n++) {
    sup_sha256_name(buf, n, seen[n]);
    for (size_t k = 0; k < n; k++)
      cr_assert_str_neq(seen[n], seen[k], "lengths %zu and %zu", n, k);
  }
}
