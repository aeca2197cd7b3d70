# Strict warnings for the project's own targets; third-party headers come in as SYSTEM includes
# (imported targets) so their warnings do not fail the build.
function(mote_strict_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    # GCC 12 reports impossible std::string memcpy/memchr bounds at -O2 (GCC bugs 105651, 106199).
    target_compile_options(${target} PRIVATE -Wno-stringop-overflow -Wno-stringop-overread -Wno-restrict -Wno-array-bounds)
  endif()
  if(MOTE_SANITIZE)
    # Sanitizer instrumentation makes GCC's flow analysis report std::function members inside
    # std::regex as maybe-uninitialized; a false positive that only appears in these builds.
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
endfunction()
