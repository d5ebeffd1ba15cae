# Findconcurrentqueue: moodycamel::ConcurrentQueue, header-only.
# Accepts upstream's installed CMake package, or a bare header layout such as
# Debian's libconcurrentqueue-dev (/usr/include/concurrentqueue/concurrentqueue.h),
# and defines the imported target concurrentqueue::concurrentqueue either way.
# evbus includes it through one shim, <evbus/queue/concurrentqueue.hpp>.
if(TARGET concurrentqueue::concurrentqueue)
  set(concurrentqueue_FOUND TRUE)
  return()
endif()

find_package(concurrentqueue CONFIG QUIET)
if(TARGET concurrentqueue::concurrentqueue)
  set(concurrentqueue_FOUND TRUE)
  return()
endif()

find_path(concurrentqueue_INCLUDE_DIR
  NAMES concurrentqueue/concurrentqueue.h concurrentqueue/moodycamel/concurrentqueue.h)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(concurrentqueue REQUIRED_VARS concurrentqueue_INCLUDE_DIR)
if(concurrentqueue_FOUND)
  add_library(concurrentqueue::concurrentqueue INTERFACE IMPORTED)
  set_target_properties(concurrentqueue::concurrentqueue PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${concurrentqueue_INCLUDE_DIR}")
endif()
mark_as_advanced(concurrentqueue_INCLUDE_DIR)
