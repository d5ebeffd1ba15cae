# Runs evbus-journal and checks its exit status and output (ctest alone checks one or the other).
# -DTOOL=<path> -DFILE=<journal> -DEXPECT_STATUS=<n> -DEXPECT_OUTPUT=<regex over stdout and stderr>
#  [-DREJECT_OUTPUT=<regex that must not match>] [-DARGS=<extra arguments, ;-separated>]
execute_process(COMMAND ${TOOL} ${ARGS} ${FILE}
  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT status STREQUAL "${EXPECT_STATUS}")
  message(FATAL_ERROR "evbus-journal exited with '${status}', expected ${EXPECT_STATUS}")
endif()
if(NOT "${out}${err}" MATCHES "${EXPECT_OUTPUT}")
  message(FATAL_ERROR "evbus-journal's output does not match '${EXPECT_OUTPUT}'")
endif()
if(DEFINED REJECT_OUTPUT AND "${out}${err}" MATCHES "${REJECT_OUTPUT}")
  message(FATAL_ERROR "evbus-journal's output matches '${REJECT_OUTPUT}', which it must not")
endif()
