# Install rules: headers, the static libraries, a CMake package
# (find_package(perpcore) -> perpcore::perpcore) and a pkg-config file.
# tests/install/ builds a consumer against an installed tree with each.
if(NOT PERPCORE_INSTALL)
  return()
endif()

include(CMakePackageConfigHelpers)
set(PERPCORE_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/perpcore")

install(TARGETS perpcore_core perpcore_book perpcore_oracle perpcore_risk perpcore_fees perpcore_funding perpcore_liquidation perpcore_engine
                perpcore_analytics perpcore_c perpcore
        EXPORT perpcoreTargets
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
        LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
        RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}"
        INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/perpcore"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(EXPORT perpcoreTargets
        NAMESPACE perpcore::
        DESTINATION "${PERPCORE_INSTALL_CMAKEDIR}")

configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/perpcoreConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/perpcoreConfig.cmake"
  INSTALL_DESTINATION "${PERPCORE_INSTALL_CMAKEDIR}")
# 0.x: a minor release may break the API, so only the same minor matches.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/perpcoreConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/perpcoreConfig.cmake"
              "${PROJECT_BINARY_DIR}/perpcoreConfigVersion.cmake"
        DESTINATION "${PERPCORE_INSTALL_CMAKEDIR}")

# pkg-config: relocatable (prefix from the .pc file's own location), so the
# tree works wherever `cmake --install --prefix` puts it.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(PERPCORE_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(PERPCORE_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH pc_up "/root/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/root")
  string(REGEX REPLACE "/$" "" pc_up "${pc_up}")
  set(PERPCORE_PC_PREFIX "\${pcfiledir}/${pc_up}")
  set(PERPCORE_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(PERPCORE_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(PERPCORE_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file("${PROJECT_SOURCE_DIR}/cmake/perpcore.pc.in"
               "${PROJECT_BINARY_DIR}/perpcore.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/perpcore.pc"
        DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
