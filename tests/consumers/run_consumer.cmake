# Builds and runs a small consumer project against this checkout, either through an
# installed package (MODE=find_package) or through FetchContent (MODE=fetch_content).
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGV}\n${out}\n${err}")
  endif()
endfunction()

if(MODE STREQUAL "find_package")
  run(${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${WORK_DIR}/evbus-build" -G "${GENERATOR}"
      -DEVBUS_BUILD_TESTS=OFF -DEVBUS_BUILD_EXAMPLES=OFF -DEVBUS_BUILD_BENCHMARKS=OFF -DEVBUS_INSTALL=ON)
  run(${CMAKE_COMMAND} --install "${WORK_DIR}/evbus-build" --prefix "${WORK_DIR}/prefix")
  run(${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/consumers/find_package" -B "${WORK_DIR}/build" -G "${GENERATOR}"
      "-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix")
elseif(MODE STREQUAL "fetch_content")
  run(${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/consumers/fetch_content" -B "${WORK_DIR}/build" -G "${GENERATOR}"
      "-DEVBUS_SOURCE_DIR=${SOURCE_DIR}")
else()
  message(FATAL_ERROR "unknown MODE '${MODE}'")
endif()
run(${CMAKE_COMMAND} --build "${WORK_DIR}/build")
run("${WORK_DIR}/build/consumer")
message(STATUS "consumer (${MODE}) built and ran")
