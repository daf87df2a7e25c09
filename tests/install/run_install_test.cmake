# Driven by the install_consumer test (tests/install/CMakeLists.txt):
#   cmake -DPERPCORE_BUILD_DIR=... -DWORK_DIR=... -DCONSUMER_DIR=... -DGENERATOR=...
#         -DC_COMPILER=... -DCXX_COMPILER=... -DCONFIG=... -DLIBDIR=...
#         [-DEXTRA_FLAGS=...] [-DC_LINK_FLAGS=...] -P run_install_test.cmake
# Everything happens under WORK_DIR, which is recreated each run.
cmake_minimum_required(VERSION 3.25)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(run_output "${out}" PARENT_SCOPE)
endfunction()

set(prefix "${WORK_DIR}/prefix")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

# 1. Install.
run(${CMAKE_COMMAND} --install "${PERPCORE_BUILD_DIR}" --prefix "${prefix}" --config "${CONFIG}")
foreach(f include/perpcore/perpcore.h include/perpcore/engine/engine.hpp
          "${LIBDIR}/cmake/perpcore/perpcoreConfig.cmake"
          "${LIBDIR}/cmake/perpcore/perpcoreConfigVersion.cmake"
          "${LIBDIR}/cmake/perpcore/perpcoreTargets.cmake"
          "${LIBDIR}/pkgconfig/perpcore.pc")
  if(NOT EXISTS "${prefix}/${f}")
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()
message(STATUS "installed into ${prefix}")

# 2. find_package(perpcore) -> perpcore::perpcore, a C and a C++ consumer.
set(flags_args "")
if(EXTRA_FLAGS)
  set(flags_args "-DCMAKE_C_FLAGS=${EXTRA_FLAGS}" "-DCMAKE_CXX_FLAGS=${EXTRA_FLAGS}"
                 "-DCMAKE_EXE_LINKER_FLAGS=${EXTRA_FLAGS}")
endif()
set(config_arg "")
if(CONFIG)
  set(config_arg "-DCMAKE_BUILD_TYPE=${CONFIG}")
endif()
run(${CMAKE_COMMAND} -S "${CONSUMER_DIR}" -B "${WORK_DIR}/cmake-consumer" -G "${GENERATOR}"
    "-DCMAKE_PREFIX_PATH=${prefix}" "-DCMAKE_C_COMPILER=${C_COMPILER}"
    "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}" ${config_arg} ${flags_args}
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
run(${CMAKE_COMMAND} --build "${WORK_DIR}/cmake-consumer" --config "${CONFIG}" -j 1)
foreach(exe c_consumer cxx_consumer)
  file(GLOB_RECURSE path "${WORK_DIR}/cmake-consumer/${exe}" "${WORK_DIR}/cmake-consumer/*/${exe}")
  list(GET path 0 path)
  run("${path}")
  message(STATUS "${exe}: ${run_output}")
  if(NOT run_output MATCHES "consumer ok")
    message(FATAL_ERROR "${exe} printed: ${run_output}")
  endif()
endforeach()

# 3. pkg-config: the C consumer compiled and linked by the C compiler alone.
find_program(PKG_CONFIG NAMES pkg-config pkgconf REQUIRED)
run(${CMAKE_COMMAND} -E env "PKG_CONFIG_PATH=${prefix}/${LIBDIR}/pkgconfig"
    "${PKG_CONFIG}" --cflags --libs perpcore)
string(STRIP "${run_output}" pc_flags)
message(STATUS "pkg-config --cflags --libs perpcore: ${pc_flags}")
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
separate_arguments(extra UNIX_COMMAND "${EXTRA_FLAGS} ${C_LINK_FLAGS}")
run("${C_COMPILER}" -std=c99 -pedantic -Wall -Wextra -Werror ${extra}
    "${CONSUMER_DIR}/consumer.c" -o "${WORK_DIR}/pc_consumer" ${pc_flags})
run("${WORK_DIR}/pc_consumer")
message(STATUS "pc_consumer: ${run_output}")
if(NOT run_output MATCHES "consumer ok")
  message(FATAL_ERROR "pc_consumer printed: ${run_output}")
endif()

message("install_consumer: ok")
