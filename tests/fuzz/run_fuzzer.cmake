# Runs one libFuzzer target over a fresh copy of its seeds, for `ctest -L fuzz`.
#   cmake -DFUZZER=<binary> -DWORK=<dir> -DSEEDS="<file or dir>|..." -DOPTIONS="-flag=v|..." -P run_fuzzer.cmake
# The copy (WORK/corpus) grows with what the run finds; a crash, leak, timeout or
# out-of-memory input is written to WORK/artifacts/ and fails the test: copy it into
# tests/fuzz/regressions/<target>/ once fixed.
foreach(_var FUZZER WORK SEEDS OPTIONS)
  if(NOT DEFINED ${_var})
    message(FATAL_ERROR "run_fuzzer.cmake: -D${_var}=... is required")
  endif()
endforeach()
string(REPLACE "|" ";" _seeds "${SEEDS}")
string(REPLACE "|" ";" _options "${OPTIONS}")
# A campaign (tools/fuzz_campaign.sh): a number of executions instead of a time.
if(DEFINED ENV{DIGITINFER_FUZZ_RUNS})
  list(FILTER _options EXCLUDE REGEX "^-max_total_time=")
  list(APPEND _options -runs=$ENV{DIGITINFER_FUZZ_RUNS})
  if(DEFINED ENV{DIGITINFER_FUZZ_MAX_SECONDS})
    list(APPEND _options -max_total_time=$ENV{DIGITINFER_FUZZ_MAX_SECONDS})
  endif()
  # Leaks checked once, over the final corpus (the campaign replays it under LSan), instead of
  # a heap scan after every input that allocates: see tools/fuzz_campaign.sh.
  if("$ENV{DIGITINFER_FUZZ_LEAKS}" STREQUAL "at-end")
    list(APPEND _options -detect_leaks=0)
  endif()
endif()
file(REMOVE_RECURSE ${WORK}/corpus)
file(MAKE_DIRECTORY ${WORK}/corpus ${WORK}/artifacts)
set(_count 0)
foreach(_seed IN LISTS _seeds)
  if(IS_DIRECTORY ${_seed})
    file(GLOB _files LIST_DIRECTORIES false ${_seed}/*)
  elseif(EXISTS ${_seed})
    set(_files ${_seed})
  else()
    set(_files)  # e.g. a regressions folder with nothing in it yet
  endif()
  foreach(_file IN LISTS _files)
    # Prefix with the folder's name: tests/data/images and tests/data/bad may share names.
    get_filename_component(_dir ${_file} DIRECTORY)
    get_filename_component(_dir ${_dir} NAME)
    get_filename_component(_name ${_file} NAME)
    configure_file(${_file} ${WORK}/corpus/${_dir}-${_name} COPYONLY)
    math(EXPR _count "${_count} + 1")
  endforeach()
endforeach()
message(STATUS "${FUZZER}: ${_count} seeds in ${WORK}/corpus")
execute_process(COMMAND ${FUZZER} ${_options} -artifact_prefix=${WORK}/artifacts/ ${WORK}/corpus
  RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (${_rc}): the input that broke it is in ${WORK}/artifacts/")
endif()
