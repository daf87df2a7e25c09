# perpcore_set_warnings(target): strict warnings on project code only, so that
# Debian's dependency headers (included as SYSTEM) never break the build.
function(perpcore_set_warnings target)
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    return()
  endif()
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
    -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Wnull-dereference
    -Wimplicit-fallthrough -Wformat=2
    # Designated initializers that rely on member defaults are house style.
    -Wno-missing-field-initializers)
  if(PERPCORE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
