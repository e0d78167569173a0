# plugsup-worker is linked statically when it can be: a static worker needs
# no dynamic loader, so each run starts sooner (0.4-0.8 ms in bench_overhead
# on a 2-vCPU VM), and it maps no shared library besides the vDSO. Sanitizer runtimes cannot
# be linked statically, so those builds keep a dynamic worker.
#
# The dependencies are wrapped in plugsup_dep_* targets that resolve per
# consumer: the archive for an executable with PLUGSUP_STATIC_LINK set, the
# shared library for everything else (the library, the tests).
option(PLUGSUP_STATIC_WORKER "Link plugsup-worker statically when the archives exist" ON)

set(_static ${PLUGSUP_STATIC_WORKER})
if(_static AND (PLUGSUP_SANITIZE OR PLUGSUP_FUZZ))
  set(_static OFF)
  set(_why "sanitizer runtimes link only dynamically")
endif()
if(_static)
  find_library(PLUGSUP_LIBC_ARCHIVE libc.a)
  find_library(PLUGSUP_SECCOMP_ARCHIVE libseccomp.a)
  find_library(PLUGSUP_PROTOBUFC_ARCHIVE libprotobuf-c.a)
  foreach(_a PLUGSUP_LIBC_ARCHIVE PLUGSUP_SECCOMP_ARCHIVE PLUGSUP_PROTOBUFC_ARCHIVE)
    if(NOT ${_a})
      set(_static OFF)
      set(_why "${_a} not found")
    endif()
  endforeach()
endif()
set(PLUGSUP_WORKER_IS_STATIC ${_static})
if(_static)
  message(STATUS "plugsup-worker: static")
else()
  message(STATUS "plugsup-worker: dynamic (${_why})")
endif()

function(plugsup_dependency name pkg_target archive)
  add_library(${name} INTERFACE)
  if(PLUGSUP_WORKER_IS_STATIC AND archive)
    target_link_libraries(${name} INTERFACE
      "$<IF:$<BOOL:$<TARGET_PROPERTY:PLUGSUP_STATIC_LINK>>,${archive},${pkg_target}>")
    target_include_directories(${name} INTERFACE
      $<TARGET_PROPERTY:${pkg_target},INTERFACE_INCLUDE_DIRECTORIES>)
  else()
    target_link_libraries(${name} INTERFACE ${pkg_target})
  endif()
endfunction()

plugsup_dependency(plugsup_dep_seccomp PkgConfig::SECCOMP "${PLUGSUP_SECCOMP_ARCHIVE}")
plugsup_dependency(plugsup_dep_protobufc PkgConfig::PROTOBUFC "${PLUGSUP_PROTOBUFC_ARCHIVE}")

# The plugsup command is linked statically too when the archives of the
# supervisor's own dependencies exist (jansson; c-ares and OpenSSL for the
# network host calls): without the dynamic loader's work on its libraries
# it starts about 1.2 ms sooner, an eighth of 'plugsup run' (docs/cli.md).
set(_cli_archives PLUGSUP_JANSSON_ARCHIVE PLUGSUP_CARES_ARCHIVE
    PLUGSUP_SSL_ARCHIVE PLUGSUP_CRYPTO_ARCHIVE)
set(PLUGSUP_CLI_IS_STATIC ${PLUGSUP_WORKER_IS_STATIC})
set(_why "as the worker")
if(PLUGSUP_WORKER_IS_STATIC)
  find_library(PLUGSUP_JANSSON_ARCHIVE libjansson.a)
  find_library(PLUGSUP_CARES_ARCHIVE libcares.a)
  find_library(PLUGSUP_SSL_ARCHIVE libssl.a)
  find_library(PLUGSUP_CRYPTO_ARCHIVE libcrypto.a)
  foreach(_a ${_cli_archives})
    if(NOT ${_a})
      set(PLUGSUP_CLI_IS_STATIC OFF)
      set(_why "${_a} not found")
    endif()
  endforeach()
endif()
if(PLUGSUP_CLI_IS_STATIC)
  message(STATUS "plugsup: static")
else()
  message(STATUS "plugsup: dynamic (${_why})")
endif()
plugsup_dependency(plugsup_dep_jansson PkgConfig::JANSSON "${PLUGSUP_JANSSON_ARCHIVE}")
plugsup_dependency(plugsup_dep_cares PkgConfig::CARES "${PLUGSUP_CARES_ARCHIVE}")
# libssl needs libcrypto after it; both come from the one openssl module.
plugsup_dependency(plugsup_dep_ssl PkgConfig::OPENSSL "${PLUGSUP_SSL_ARCHIVE}")
plugsup_dependency(plugsup_dep_crypto PkgConfig::OPENSSL "${PLUGSUP_CRYPTO_ARCHIVE}")

# Makes an executable link every plugsup_dep_* archive and libc statically.
function(plugsup_link_statically target)
  if(PLUGSUP_WORKER_IS_STATIC)
    set_target_properties(${target} PROPERTIES PLUGSUP_STATIC_LINK ON)
    target_link_options(${target} PRIVATE -static-pie)
  endif()
endfunction()
