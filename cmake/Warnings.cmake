# Compiler flags shared by every target: warnings, sanitizers, fuzzing.
add_compile_options(-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
                    -Wno-unused-parameter)
if(PLUGSUP_WERROR)
  add_compile_options(-Werror)
endif()

if(PLUGSUP_SANITIZE)
  set(_san -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_compile_options(${_san})
  add_link_options(${_san})
endif()

if(PLUGSUP_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "PLUGSUP_FUZZ needs clang: configure with -DCMAKE_C_COMPILER=clang")
  endif()
  # Instrument everything for coverage; only the harnesses link the driver.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
