# Install: libplugsup (static and shared), the header, the CLI, the worker
# in libexec, a pkg-config file and a CMake package.
include(CMakePackageConfigHelpers)

install(TARGETS plugsup_shared plugsup_static EXPORT plugsupTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES include/plugsup.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS plugsup RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS plugsup-worker RUNTIME DESTINATION ${PLUGSUP_LIBEXECDIR})

set(_cmakedir ${CMAKE_INSTALL_LIBDIR}/cmake/plugsup)
install(EXPORT plugsupTargets NAMESPACE plugsup:: DESTINATION ${_cmakedir})
set(PLUGSUP_WORKER_INSTALL_PATH ${PLUGSUP_LIBEXECDIR}/plugsup-worker)
configure_package_config_file(cmake/plugsupConfig.cmake.in
  ${CMAKE_BINARY_DIR}/plugsupConfig.cmake INSTALL_DESTINATION ${_cmakedir}
  PATH_VARS PLUGSUP_WORKER_INSTALL_PATH)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/plugsupConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/plugsupConfig.cmake
              ${CMAKE_BINARY_DIR}/plugsupConfigVersion.cmake
        DESTINATION ${_cmakedir})

file(RELATIVE_PATH PLUGSUP_PC_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
configure_file(cmake/plugsup.pc.in ${CMAKE_BINARY_DIR}/plugsup.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/plugsup.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
