# Build options as INTERFACE targets linked into each target (never global flags).
option(TANDEM_WARNINGS_AS_ERRORS "Treat compiler warnings as errors" OFF)
option(TANDEM_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(TANDEM_SANITIZE_THREAD "Build with ThreadSanitizer (not together with TANDEM_SANITIZE)" OFF)
option(TANDEM_FUZZ "Build the libFuzzer targets in tests/fuzz (clang only; instruments every target for coverage)" OFF)
if(TANDEM_SANITIZE AND TANDEM_SANITIZE_THREAD)
  message(FATAL_ERROR "TANDEM_SANITIZE and TANDEM_SANITIZE_THREAD cannot be combined")
endif()
if(TANDEM_FUZZ AND NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "TANDEM_FUZZ needs clang (libFuzzer); use the fuzz preset")
endif()

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_CXX_COMPILER_LAUNCHER "${CCACHE_PROGRAM}")
endif()

add_library(tandem_warnings INTERFACE)
target_compile_options(tandem_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wconversion -Wsign-conversion -Wimplicit-fallthrough
  # GCC 12 reports std::optional members as maybe-uninitialized at -O2: false positives only.
  $<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>
  $<$<BOOL:${TANDEM_WARNINGS_AS_ERRORS}>:-Werror>)

add_library(tandem_sanitizers INTERFACE)
if(TANDEM_SANITIZE)
  target_compile_options(tandem_sanitizers INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(tandem_sanitizers INTERFACE -fsanitize=address,undefined)
endif()
if(TANDEM_SANITIZE_THREAD)
  target_compile_options(tandem_sanitizers INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
  target_link_options(tandem_sanitizers INTERFACE -fsanitize=thread)
endif()
# Coverage for libFuzzer in every library, so that the fuzz programs and the test programs share one
# build; the test programs link no fuzzer runtime (the sanitizer runtime has the hooks).
if(TANDEM_FUZZ)
  target_compile_options(tandem_sanitizers INTERFACE -fsanitize=fuzzer-no-link)
endif()

add_library(tandem_options INTERFACE)
target_link_libraries(tandem_options INTERFACE tandem_warnings tandem_sanitizers)
