# Strict warnings for the project's own targets; third-party headers come in as SYSTEM includes
# (imported targets) so their warnings do not fail the build.
function(mote_strict_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    # GCC 12 reports impossible std::string memcpy/memchr bounds at -O2 (GCC bugs 105651, 106199).
    target_compile_options(${target} PRIVATE -Wno-stringop-overflow -Wno-stringop-overread -Wno-restrict -Wno-array-bounds)
  endif()
endfunction()
