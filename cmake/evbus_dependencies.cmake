# Dependencies: the installed package first (Debian's, or any find_package can see),
# then FetchContent at a pinned tag for users with a network.
include(FetchContent)
include(GNUInstallDirs)

macro(evbus_dependency name)
  cmake_parse_arguments(_dep "" "GIT_REPOSITORY;GIT_TAG" "" ${ARGN})
  if(CMAKE_VERSION VERSION_GREATER_EQUAL 3.24)
    FetchContent_Declare(${name} GIT_REPOSITORY ${_dep_GIT_REPOSITORY} GIT_TAG ${_dep_GIT_TAG}
      GIT_SHALLOW TRUE FIND_PACKAGE_ARGS)
    FetchContent_MakeAvailable(${name})
  else()
    find_package(${name} QUIET)
    if(NOT ${name}_FOUND)
      FetchContent_Declare(${name} GIT_REPOSITORY ${_dep_GIT_REPOSITORY} GIT_TAG ${_dep_GIT_TAG} GIT_SHALLOW TRUE)
      FetchContent_MakeAvailable(${name})
    endif()
  endif()
endmacro()

if(NOT TARGET concurrentqueue::concurrentqueue)
  evbus_dependency(concurrentqueue
    GIT_REPOSITORY https://github.com/cameron314/concurrentqueue.git GIT_TAG v1.0.4)
  if(NOT TARGET concurrentqueue::concurrentqueue AND TARGET concurrentqueue)
    add_library(concurrentqueue::concurrentqueue ALIAS concurrentqueue)
  endif()
endif()

if(EVBUS_WITH_FMT AND NOT TARGET fmt::fmt)
  evbus_dependency(fmt GIT_REPOSITORY https://github.com/fmtlib/fmt.git GIT_TAG 9.1.0)
endif()
