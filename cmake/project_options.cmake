# Build options as INTERFACE targets linked into each target (never global flags).
option(TANDEM_WARNINGS_AS_ERRORS "Treat compiler warnings as errors" OFF)
option(TANDEM_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_CXX_COMPILER_LAUNCHER "${CCACHE_PROGRAM}")
endif()

add_library(tandem_warnings INTERFACE)
target_compile_options(tandem_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wconversion -Wsign-conversion -Wimplicit-fallthrough
  # GCC 12 reports std::optional members as maybe-uninitialized at -O2: false positives only.
  -Wno-maybe-uninitialized
  $<$<BOOL:${TANDEM_WARNINGS_AS_ERRORS}>:-Werror>)

add_library(tandem_sanitizers INTERFACE)
if(TANDEM_SANITIZE)
  target_compile_options(tandem_sanitizers INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(tandem_sanitizers INTERFACE -fsanitize=address,undefined)
endif()

add_library(tandem_options INTERFACE)
target_link_libraries(tandem_options INTERFACE tandem_warnings tandem_sanitizers)
