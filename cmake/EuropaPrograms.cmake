# eu_add_programs(<function>): the layout examples/ and tools/ share. Each <dir>/<name>.c
# is one program <name>; a subdirectory <dir>/<name>/ is one program built from all its
# .c files, unless it brings its own CMakeLists.txt (then it is added as it is). Each
# program is made by calling <function>(<name> <sources...>), which says how the
# directory links and installs its programs.
function(eu_add_programs add_fn)
    file(GLOB srcs CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/*.c")
    foreach(src IN LISTS srcs)
        get_filename_component(name "${src}" NAME_WE)
        cmake_language(CALL ${add_fn} ${name} "${src}")
    endforeach()

    file(GLOB dirs LIST_DIRECTORIES true CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/*")
    foreach(dir IN LISTS dirs)
        if(NOT IS_DIRECTORY "${dir}")
            continue()
        endif()
        get_filename_component(name "${dir}" NAME)
        if(EXISTS "${dir}/CMakeLists.txt")
            add_subdirectory("${dir}")
        else()
            file(GLOB dir_srcs CONFIGURE_DEPENDS "${dir}/*.c")
            if(dir_srcs)
                cmake_language(CALL ${add_fn} ${name} ${dir_srcs})
            endif()
        endif()
    endforeach()
endfunction()
