#include <criterion/criterion.h>

#include "policy_limits.h"

Test(limits, defaults_pass_their_own_check) {
  policy_limits l = policy_limits_default();
  cr_assert_null(policy_limits_check(&l));
  cr_assert_eq(l.memory_bytes, 256ull << 20);
  cr_assert_eq(l.wall_ms, 10000);
}

Test(limits, zero_memory_is_refused_by_name) {
  policy_limits l = policy_limits_default();
  l.memory_bytes = 0;
  cr_assert_str_eq(policy_limits_check(&l), "memory limit must be at least one byte");
}

Test(limits, memory_beyond_wasm32_is_refused) {
  policy_limits l = policy_limits_default();
  l.memory_bytes = (4ull << 30) + 1;
  cr_assert_str_eq(policy_limits_check(&l),
                   "memory limit exceeds 4 GiB, the most a 32-bit memory can use");
  l.memory_bytes = 4ull << 30;
  cr_assert_null(policy_limits_check(&l));
}

Test(limits, zero_wall_time_is_refused) {
  policy_limits l = policy_limits_default();
  l.wall_ms = 0;
  cr_assert_str_eq(policy_limits_check(&l),
                   "wall-clock limit must be at least one millisecond");
}
