# Run by cpack (CPACK_POST_BUILD_SCRIPTS, packaging/cpack.cmake) on the .deb
# files it made, before it copies them out. One fix: CPack gives a package with
# a shared library in /usr/lib a postinst and a postrm that run ldconfig; Debian
# packages use the ldconfig trigger instead (libdigitinfer1 has it, from
# packaging/deb/control/triggers), and lintian warns about the scripts
# (maintscript-calls-ldconfig). They are removed, the package rebuilt with dpkg-deb.
cmake_minimum_required(VERSION 3.21)

# CPack's scripts, exactly (CMake 3.25): anything else is left alone, and fails here.
set(cpack_postinst "#!/bin/sh\n\nset -e\n\nif [ \"$1\" = \"configure\" ]; then\n\tldconfig\nfi\n")
set(cpack_postrm "#!/bin/sh\n\nset -e\n\nif [ \"$1\" = \"remove\" ]; then\n\tldconfig\nfi\n")

foreach(deb IN LISTS CPACK_PACKAGE_FILES)
  get_filename_component(name ${deb} NAME)
  set(dir ${deb}.d)
  file(REMOVE_RECURSE ${dir})
  file(MAKE_DIRECTORY ${dir})
  execute_process(COMMAND dpkg-deb --control ${deb} ${dir}/DEBIAN COMMAND_ERROR_IS_FATAL ANY)
  set(removed "")
  foreach(script postinst postrm)
    if(EXISTS ${dir}/DEBIAN/${script})
      file(READ ${dir}/DEBIAN/${script} text)
      if(NOT text STREQUAL "${cpack_${script}}")
        message(FATAL_ERROR "finish.cmake: ${name}: a ${script} that is not CPack's ldconfig call:\n${text}")
      endif()
      list(APPEND removed ${script})
    endif()
  endforeach()
  if(removed)
    if(NOT EXISTS ${dir}/DEBIAN/triggers)
      message(FATAL_ERROR "finish.cmake: ${name}: runs ldconfig but has no ldconfig trigger")
    endif()
    file(REMOVE_RECURSE ${dir})
    execute_process(COMMAND dpkg-deb --raw-extract ${deb} ${dir} COMMAND_ERROR_IS_FATAL ANY)
    foreach(script IN LISTS removed)
      file(REMOVE ${dir}/DEBIAN/${script})
    endforeach()
    execute_process(COMMAND dpkg-deb --root-owner-group -Zxz --build ${dir} ${deb}
      OUTPUT_QUIET COMMAND_ERROR_IS_FATAL ANY)
    message(STATUS "finish.cmake: ${name}: removed CPack's ${removed} (ldconfig: the trigger does it)")
  endif()
  file(REMOVE_RECURSE ${dir})
endforeach()
