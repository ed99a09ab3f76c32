# cmake -DLIB=<libeuropa.so> -DSONAME=<expected soname> -DNM=<nm> -DREADELF=<readelf>
#       -P EuropaCheckExports.cmake
#
# The shared library's ABI surface: every defined dynamic symbol is eu_* (the version
# script's job), there is at least one, and the SONAME is the expected one.

foreach(v LIB SONAME NM)
    if(NOT ${v})
        message(FATAL_ERROR "EuropaCheckExports: -D${v}=... is required")
    endif()
endforeach()

execute_process(COMMAND "${NM}" -D --defined-only "${LIB}"
    OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${NM} -D ${LIB} failed (${rc})")
endif()

string(REPLACE "\n" ";" lines "${out}")
set(good "")
set(bad "")
foreach(line IN LISTS lines)
    # "<address> <type> <name>[@@version]"; type A marks version nodes, not symbols.
    if(line MATCHES "^[0-9a-fA-F]* +([A-Za-z]) +([^@ ]+)")
        set(type "${CMAKE_MATCH_1}")
        set(name "${CMAKE_MATCH_2}")
        if(type STREQUAL "A")
            continue()
        endif()
        if(name MATCHES "^eu_")
            list(APPEND good "${name}")
        else()
            list(APPEND bad "${type} ${name}")
        endif()
    endif()
endforeach()

list(LENGTH good ngood)
if(bad)
    list(JOIN bad "\n  " badtxt)
    message(FATAL_ERROR "${LIB} exports symbols outside eu_*:\n  ${badtxt}\n"
        "Mark internal functions static or leave them out of lib/libeuropa.map.")
endif()
if(ngood EQUAL 0)
    message(FATAL_ERROR "${LIB} exports no eu_* symbol: is EU_API defined as "
        "__attribute__((visibility(\"default\"))) and listed in lib/libeuropa.map?")
endif()

if(READELF)
    execute_process(COMMAND "${READELF}" -d "${LIB}" OUTPUT_VARIABLE dyn RESULT_VARIABLE rc)
    if(rc EQUAL 0 AND NOT dyn MATCHES "Library soname: \\[${SONAME}\\]")
        message(FATAL_ERROR "${LIB}: SONAME is not ${SONAME}:\n${dyn}")
    endif()
endif()

message(STATUS "${LIB}: ${ngood} eu_* symbols exported, SONAME ${SONAME}")
