# lantern_module(NAME SOURCES ... DEPS ...): a static library lantern_NAME for src/NAME.
function(lantern_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(lantern_${name} STATIC ${ARG_SOURCES})
  target_include_directories(lantern_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(lantern_${name} PUBLIC ${ARG_DEPS})
endfunction()

# lantern_test(NAME SOURCES ... DEPS ... [LABELS ...]): a GoogleTest binary registered with ctest.
# Unit tests get the label "unit" unless LABELS says otherwise.
function(lantern_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}"
    ENVIRONMENT "LANTERN_SHARED_DATA=${LANTERN_SHARED_DATA}")
endfunction()
