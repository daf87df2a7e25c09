# The version lives in three places that must agree: project(VERSION) here,
# include/perpcore/version.hpp (C++) and include/perpcore/perpcore.h (C, which
# must stay one self-contained header). Configuration fails if they differ;
# src/c_api/perpcore_c.cpp includes both headers, so a mismatch between them
# is also a macro-redefinition error at compile time.
foreach(header version.hpp perpcore.h)
  file(READ "${CMAKE_CURRENT_SOURCE_DIR}/include/perpcore/${header}" text)
  foreach(part MAJOR MINOR PATCH)
    if(NOT text MATCHES "#define PERPCORE_VERSION_${part} ([0-9]+)")
      message(FATAL_ERROR "include/perpcore/${header}: no PERPCORE_VERSION_${part}")
    endif()
    set(v_${part} "${CMAKE_MATCH_1}")
  endforeach()
  if(NOT text MATCHES "#define PERPCORE_VERSION_STRING \"([0-9.]+)\"")
    message(FATAL_ERROR "include/perpcore/${header}: no PERPCORE_VERSION_STRING")
  endif()
  set(v_string "${CMAKE_MATCH_1}")
  if(NOT "${v_MAJOR}.${v_MINOR}.${v_PATCH}" STREQUAL PROJECT_VERSION OR
     NOT v_string STREQUAL PROJECT_VERSION)
    message(FATAL_ERROR "include/perpcore/${header} says ${v_MAJOR}.${v_MINOR}.${v_PATCH} "
                        "(\"${v_string}\"), project() says ${PROJECT_VERSION}")
  endif()
endforeach()
