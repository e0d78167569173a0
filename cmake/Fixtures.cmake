# Build-time fixtures: .wat through wat2wasm, C through clang --target=wasm32-wasi.

find_program(WAT2WASM wat2wasm)
find_program(WAST2JSON wast2json)
find_program(WASM_INTERP wasm-interp)

# clang that can target wasm32-wasi: the C compiler if it is clang, else any clang.
if(CMAKE_C_COMPILER_ID MATCHES "Clang")
  set(_wasi_clang_hint ${CMAKE_C_COMPILER})
endif()
find_program(WASI_CLANG NAMES ${_wasi_clang_hint} clang clang-14 NO_CACHE)
# Debian's wasi-libc sits in clang's multiarch paths and needs no sysroot;
# point WASI_SYSROOT at a wasi-sdk style sysroot otherwise.
set(WASI_SYSROOT "" CACHE PATH "wasi-libc sysroot (empty: the compiler's default)")
set(WASI_FLAGS --target=wasm32-wasi)
if(WASI_SYSROOT)
  list(APPEND WASI_FLAGS --sysroot=${WASI_SYSROOT})
endif()
set(PLUGSUP_HAVE_WASI_CLANG OFF)
if(WASI_CLANG)
  execute_process(
    COMMAND ${WASI_CLANG} ${WASI_FLAGS} -O2
            -x c - -o ${CMAKE_BINARY_DIR}/wasi-probe.wasm
    INPUT_FILE ${CMAKE_CURRENT_LIST_DIR}/wasi-probe.c
    RESULT_VARIABLE _probe OUTPUT_QUIET ERROR_VARIABLE _probe_err)
  if(_probe EQUAL 0)
    set(PLUGSUP_HAVE_WASI_CLANG ON)
  endif()
endif()
if(NOT PLUGSUP_HAVE_WASI_CLANG)
  message(WARNING "clang cannot build wasm32-wasi programs (${_probe_err}); "
          "C fixture plugins, the bundled example and benchmarks are skipped. "
          "Install them with scripts/install-deps.sh (wasi-libc, libclang-rt-14-dev-wasm32, lld).")
endif()
if(NOT WAT2WASM)
  message(WARNING "wat2wasm not found: .wat fixtures are skipped. Install wabt (scripts/install-deps.sh).")
endif()

# plugsup_wat_fixtures(<target> <outdir> <file.wat>...): one .wasm per .wat.
function(plugsup_wat_fixtures target outdir)
  set(_outs)
  foreach(_wat ${ARGN})
    get_filename_component(_name ${_wat} NAME_WE)
    set(_out ${outdir}/${_name}.wasm)
    add_custom_command(OUTPUT ${_out}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${outdir}
      COMMAND ${WAT2WASM} --enable-all --no-check
              ${CMAKE_CURRENT_SOURCE_DIR}/${_wat} -o ${_out}
      DEPENDS ${_wat} VERBATIM
      COMMENT "wat2wasm ${_wat}")
    list(APPEND _outs ${_out})
  endforeach()
  add_custom_target(${target} ALL DEPENDS ${_outs})
endfunction()

# plugsup_wasi_program(<target> <out.wasm> <source.c>... [FLAGS ...]
#                      [NOLIBC | REACTOR] [EXPORTS <name>...])
# A WASI command by default. REACTOR: a WASI reactor (-mexec-model=reactor:
# no _start; _initialize runs the constructors). NOLIBC: a module with no
# libc and no entry point, so with no imports at all unless the source
# declares some (an undefined symbol is a link error, never a silent
# import). EXPORTS: the functions to export (reactors and NOLIBC modules
# export nothing else; memory is always exported).
function(plugsup_wasi_program target out)
  cmake_parse_arguments(W "NOLIBC;REACTOR" "" "FLAGS;EXPORTS" ${ARGN})
  set(_srcs)
  foreach(_s ${W_UNPARSED_ARGUMENTS})
    list(APPEND _srcs ${CMAKE_CURRENT_SOURCE_DIR}/${_s})
  endforeach()
  if(NOT W_FLAGS)
    set(W_FLAGS -O2)
  endif()
  if(W_NOLIBC)
    list(APPEND W_FLAGS -nostdlib -Wl,--no-entry)
  elseif(W_REACTOR)
    list(APPEND W_FLAGS -mexec-model=reactor)
  endif()
  foreach(_e ${W_EXPORTS})
    list(APPEND W_FLAGS -Wl,--export=${_e})
  endforeach()
  add_custom_command(OUTPUT ${out}
    COMMAND ${WASI_CLANG} ${WASI_FLAGS} ${W_FLAGS} ${_srcs} -o ${out}
    DEPENDS ${W_UNPARSED_ARGUMENTS} VERBATIM
    COMMENT "clang --target=wasm32-wasi ${out}")
  add_custom_target(${target} ALL DEPENDS ${out})
endfunction()
