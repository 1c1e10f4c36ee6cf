# SPDX-License-Identifier: MIT
# memtrace_add_test(): a CTest test that runs a program under `memtrace --check` and fails when
# a memory budget is exceeded (docs/ci.md). Included by memtraceConfig.cmake, which sets
# MEMTRACE_EXECUTABLE; keywords map one to one onto memtrace-report check options.
#
#   memtrace_add_test(NAME name COMMAND program [args...]
#                     [MAX_LEAKED SIZE] [MAX_LEAKED_BLOCKS N] [MAX_PEAK_HEAP SIZE]
#                     [MAX_PEAK_RSS SIZE] [MAX_ALLOCATIONS N] [MAX_TEMPORARY N]
#                     [MAX_DEFINITELY_LOST SIZE] [MAX_INDIRECTLY_LOST SIZE]
#                     [MAX_POSSIBLY_LOST SIZE] [MAX_REACHABLE SIZE]
#                     [BUDGET FILE] [SUPPRESSIONS FILE] [BASELINE TRACE_OR_DB] [MAX_GROWTH PCT]
#                     [JUNIT FILE] [GITHUB] [TRACE_DIR DIR] [WORKING_DIRECTORY DIR])
#
# The trace goes to TRACE_DIR (default ${CMAKE_CURRENT_BINARY_DIR}/memtrace) as NAME.PID.mt.
# A COMMAND naming a target of the project runs that target's file. The test fails with the
# program's own status when the program fails, else with memtrace-report check's.

set(_MEMTRACE_BUDGET_KEYWORDS
    MAX_LEAKED MAX_LEAKED_BLOCKS MAX_PEAK_HEAP MAX_PEAK_RSS MAX_ALLOCATIONS MAX_TEMPORARY
    MAX_DEFINITELY_LOST MAX_INDIRECTLY_LOST MAX_POSSIBLY_LOST MAX_REACHABLE
    BUDGET SUPPRESSIONS BASELINE MAX_GROWTH JUNIT)

function(memtrace_add_test)
  cmake_parse_arguments(PARSE_ARGV 0 MT "GITHUB" "NAME;TRACE_DIR;WORKING_DIRECTORY;${_MEMTRACE_BUDGET_KEYWORDS}"
                        "COMMAND")
  if(NOT MT_NAME OR NOT MT_COMMAND)
    message(FATAL_ERROR "memtrace_add_test: NAME and COMMAND are required")
  endif()
  if(MT_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "memtrace_add_test(${MT_NAME}): unknown arguments ${MT_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT MEMTRACE_EXECUTABLE)
    message(FATAL_ERROR "memtrace_add_test: MEMTRACE_EXECUTABLE is not set (find_package(memtrace))")
  endif()

  set(check_args)
  foreach(kw IN LISTS _MEMTRACE_BUDGET_KEYWORDS)
    if(DEFINED MT_${kw})
      string(TOLOWER "${kw}" opt)
      string(REPLACE "_" "-" opt "${opt}")
      list(APPEND check_args "--${opt}" "${MT_${kw}}")
    endif()
  endforeach()
  if(MT_GITHUB)
    list(APPEND check_args --github)
  endif()
  if(NOT check_args)
    message(FATAL_ERROR "memtrace_add_test(${MT_NAME}): give at least one budget (MAX_LEAKED 0, ...)")
  endif()

  if(NOT MT_TRACE_DIR)
    set(MT_TRACE_DIR "${CMAKE_CURRENT_BINARY_DIR}/memtrace")
  endif()
  file(MAKE_DIRECTORY "${MT_TRACE_DIR}")
  if(MT_JUNIT)
    get_filename_component(junit_dir "${MT_JUNIT}" DIRECTORY)
    file(MAKE_DIRECTORY "${junit_dir}")
  endif()
  list(GET MT_COMMAND 0 program)
  list(REMOVE_AT MT_COMMAND 0)
  if(TARGET "${program}")
    set(program "$<TARGET_FILE:${program}>")
  endif()
  set(workdir)
  if(MT_WORKING_DIRECTORY)
    set(workdir WORKING_DIRECTORY "${MT_WORKING_DIRECTORY}")
  endif()
  add_test(NAME "${MT_NAME}"
           COMMAND "${MEMTRACE_EXECUTABLE}" -q -o "${MT_TRACE_DIR}/${MT_NAME}.%p.mt"
                   --check ${check_args} -- "${program}" ${MT_COMMAND}
           ${workdir})
  set_property(TEST "${MT_NAME}" APPEND PROPERTY LABELS memtrace)
endfunction()
