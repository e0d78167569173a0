#include <criterion/criterion.h>
#include <stdio.h>

#include "plugsup.h"

Test(version, library_version_matches_header_macros) {
  char expect[32];
  snprintf(expect, sizeof expect, "%d.%d.%d", PLUGSUP_VERSION_MAJOR,
           PLUGSUP_VERSION_MINOR, PLUGSUP_VERSION_PATCH);
  cr_assert_str_eq(plugsup_version(), expect);
}
