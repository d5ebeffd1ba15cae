# Builds and runs a small consumer project against this checkout, either through an
# installed package (MODE=find_package) or through FetchContent of a vendored copy
# (MODE=fetch_content); MODE=find_package_nats: the installed package's component nats (evbus::nats),
# and that asking for it from an evbus installed without libnats fails with a message. Each
# consumer's lines between "# README:begin" and "# README:end" are the documentation's snippet for
# that form and must appear in README.md (docs/bridge.md for the bridge) exactly as written.
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGV}\n${out}\n${err}")
  endif()
endfunction()

function(check_readme_snippet consumer_dir)
  set(doc README.md)
  if(ARGC GREATER 1)
    set(doc "${ARGV1}")
  endif()
  file(READ "${consumer_dir}/CMakeLists.txt" consumer)
  string(REGEX MATCH "# README:begin\n(.*)# README:end" matched "${consumer}")
  set(snippet "${CMAKE_MATCH_1}")
  file(READ "${SOURCE_DIR}/${doc}" readme)
  string(FIND "${readme}" "```cmake\n${snippet}```" at)
  if(snippet STREQUAL "" OR at EQUAL -1)
    message(FATAL_ERROR "${doc} has no ```cmake block that is exactly the lines between "
      "# README:begin and # README:end of ${consumer_dir}/CMakeLists.txt:\n${snippet}")
  endif()
endfunction()

if(MODE STREQUAL "find_package")
  check_readme_snippet("${SOURCE_DIR}/tests/consumers/find_package")
  run(${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${WORK_DIR}/evbus-build" -G "${GENERATOR}"
      -DEVBUS_BUILD_TESTS=OFF -DEVBUS_BUILD_EXAMPLES=OFF -DEVBUS_BUILD_BENCHMARKS=OFF -DEVBUS_INSTALL=ON)
  run(${CMAKE_COMMAND} --install "${WORK_DIR}/evbus-build" --prefix "${WORK_DIR}/prefix")
  run(${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/consumers/find_package" -B "${WORK_DIR}/build" -G "${GENERATOR}"
      "-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix")
elseif(MODE STREQUAL "find_package_nats")
  check_readme_snippet("${SOURCE_DIR}/tests/consumers/find_package_nats" docs/bridge.md)
  # Installed without the bridge: asking for it fails at configure time, saying why.
  run(${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${WORK_DIR}/evbus-build-no-nats" -G "${GENERATOR}"
      -DEVBUS_BUILD_TESTS=OFF -DEVBUS_BUILD_EXAMPLES=OFF -DEVBUS_BUILD_BENCHMARKS=OFF -DEVBUS_INSTALL=ON
      -DEVBUS_NATS=OFF)
  run(${CMAKE_COMMAND} --install "${WORK_DIR}/evbus-build-no-nats" --prefix "${WORK_DIR}/prefix-no-nats")
  execute_process(COMMAND ${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/consumers/find_package_nats"
      -B "${WORK_DIR}/build-no-nats" -G "${GENERATOR}" "-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix-no-nats"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc EQUAL 0 OR NOT "${out}${err}" MATCHES "component nats is not installed")
    message(FATAL_ERROR "find_package(evbus COMPONENTS nats) from an evbus without the bridge: expected a "
      "failure that names the component, got (${rc}):\n${out}\n${err}")
  endif()
  # The plain consumer still configures against that package (no pkg-config needed for evbus::evbus).
  run(${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/consumers/find_package" -B "${WORK_DIR}/build-plain-no-nats"
      -G "${GENERATOR}" "-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix-no-nats")
  # Installed with the bridge: evbus::nats links libnats through pkg-config.
  run(${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${WORK_DIR}/evbus-build" -G "${GENERATOR}"
      -DEVBUS_BUILD_TESTS=OFF -DEVBUS_BUILD_EXAMPLES=OFF -DEVBUS_BUILD_BENCHMARKS=OFF -DEVBUS_INSTALL=ON
      -DEVBUS_NATS=ON)
  run(${CMAKE_COMMAND} --install "${WORK_DIR}/evbus-build" --prefix "${WORK_DIR}/prefix")
  if(NOT EXISTS "${WORK_DIR}/prefix/lib/cmake/evbus/evbus-nats-targets.cmake"
     AND NOT EXISTS "${WORK_DIR}/prefix/lib64/cmake/evbus/evbus-nats-targets.cmake")
    file(GLOB_RECURSE installed RELATIVE "${WORK_DIR}/prefix" "${WORK_DIR}/prefix/*.cmake")
    message(FATAL_ERROR "no evbus-nats-targets.cmake installed: ${installed}")
  endif()
  run(${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/consumers/find_package_nats" -B "${WORK_DIR}/build" -G "${GENERATOR}"
      "-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix")
elseif(MODE STREQUAL "fetch_content")
  check_readme_snippet("${SOURCE_DIR}/tests/consumers/fetch_content")
  # A consumer project with this checkout vendored at third_party/evbus (a link to it: a copy
  # would take the checkout's build directories along).
  file(COPY "${SOURCE_DIR}/tests/consumers/consumer.cpp" "${SOURCE_DIR}/tests/consumers/fetch_content"
       DESTINATION "${WORK_DIR}/src")
  file(MAKE_DIRECTORY "${WORK_DIR}/src/fetch_content/third_party")
  file(CREATE_LINK "${SOURCE_DIR}" "${WORK_DIR}/src/fetch_content/third_party/evbus" SYMBOLIC)
  run(${CMAKE_COMMAND} -S "${WORK_DIR}/src/fetch_content" -B "${WORK_DIR}/build" -G "${GENERATOR}")
  # Built as the README says, evbus's include directory is a normal one (-I); with
  # EVBUS_SYSTEM_HEADERS=ON, a system one (-isystem). The flags are read off the generated build files.
  foreach(system OFF ON)
    run(${CMAKE_COMMAND} -S "${WORK_DIR}/src/fetch_content" -B "${WORK_DIR}/build-system-${system}"
        -G "${GENERATOR}" -DEVBUS_SYSTEM_HEADERS=${system})
    file(GLOB_RECURSE build_files "${WORK_DIR}/build-system-${system}/CMakeFiles/app.dir/flags.make"
         "${WORK_DIR}/build-system-${system}/build.ninja")
    set(flags "")
    foreach(f IN LISTS build_files)
      file(READ "${f}" content)
      string(APPEND flags "${content}")
    endforeach()
    string(REGEX MATCH "-isystem [^ \n]*third_party/evbus/include" as_system "${flags}")
    string(REGEX MATCH "-I[^ \n]*third_party/evbus/include" as_normal "${flags}")
    if((system AND (NOT as_system OR as_normal)) OR (NOT system AND (as_system OR NOT as_normal)))
      message(FATAL_ERROR "EVBUS_SYSTEM_HEADERS=${system}: evbus's include flag is wrong in ${build_files}")
    endif()
  endforeach()
else()
  message(FATAL_ERROR "unknown MODE '${MODE}'")
endif()
run(${CMAKE_COMMAND} --build "${WORK_DIR}/build")
run("${WORK_DIR}/build/app")
message(STATUS "consumer (${MODE}) built and ran")
