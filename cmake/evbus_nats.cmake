# The optional NATS bridge (<evbus/bridge/nats.hpp>, target evbus::nats): the headers of the core plus
# libnats, the official NATS C client. Debian's libnats-dev 3.4.1 ships a broken CMake config (it names
# a static library that is not installed and hard-codes libprotobuf-c's path), so libnats is found
# through its pkg-config file. EVBUS_NATS defaults to ON when it is found; ON without it is an error
# that says what to install, and so is including the bridge through evbus::nats when it is OFF. The core target evbus::evbus stays header-only and links nothing new.
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(EVBUS_LIBNATS QUIET IMPORTED_TARGET libnats)
endif()
if(EVBUS_LIBNATS_FOUND)
  set(evbus_nats_default ON)
else()
  set(evbus_nats_default OFF)
endif()
option(EVBUS_NATS "Build the NATS bridge target evbus::nats (needs libnats, found with pkg-config)"
  ${evbus_nats_default})
if(EVBUS_NATS)
  if(NOT EVBUS_LIBNATS_FOUND)
    message(FATAL_ERROR "EVBUS_NATS is ON but pkg-config finds no libnats: install the NATS C client "
      "(Debian: apt-get install libnats-dev pkg-config) or configure with -DEVBUS_NATS=OFF")
  endif()
  add_library(evbus_nats INTERFACE)
  add_library(evbus::nats ALIAS evbus_nats)
  target_link_libraries(evbus_nats INTERFACE evbus::evbus PkgConfig::EVBUS_LIBNATS)
  message(STATUS "evbus: NATS bridge evbus::nats with libnats ${EVBUS_LIBNATS_VERSION}")
else()
  message(STATUS "evbus: no NATS bridge (libnats not found by pkg-config, or EVBUS_NATS=OFF)")
  # A project that links evbus::nats anyway (FetchContent on a machine without libnats) gets a
  # compile error that says what to install, rather than CMake's "target not found".
  add_library(evbus_nats INTERFACE)
  add_library(evbus::nats ALIAS evbus_nats)
  target_link_libraries(evbus_nats INTERFACE evbus::evbus)
  target_compile_definitions(evbus_nats INTERFACE EVBUS_NATS_UNAVAILABLE)
endif()
