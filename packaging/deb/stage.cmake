# Run by cpack (CPACK_PRE_BUILD_SCRIPTS, packaging/cpack.cmake) once every
# package's files are staged (CPACK_TEMPORARY_DIRECTORY/<group>/usr/...) and
# before the .deb files are made. Adds what only the Debian packages have:
#   usr/share/doc/<package>/copyright          machine-readable (DEP-5), from LICENSE
#   usr/share/doc/<package>/changelog.Debian.gz
#   usr/share/lintian/overrides/<package>      from packaging/deb/lintian/<package>, if any
# strips the ELF files as dh_strip does, and moves the TorchScript models from libdigitinfer1 (the `models` component
# installs them with convnet.dimodel) to libdigitinfer-torch1.
cmake_minimum_required(VERSION 3.21)

if(NOT CPACK_PACKAGING_INSTALL_PREFIX STREQUAL "/usr")
  message(FATAL_ERROR "Debian packages install into /usr: configure with -DCMAKE_INSTALL_PREFIX=/usr "
                      "(not ${CPACK_PACKAGING_INSTALL_PREFIX}); packaging/deb/build_packages.sh does")
endif()
set(stage ${CPACK_TEMPORARY_DIRECTORY})

# The package name of each staged group (packaging/cpack.cmake's CPACK_DEBIAN_<GROUP>_PACKAGE_NAME).
set(groups)
foreach(group lib dev torch tools server)
  if(IS_DIRECTORY ${stage}/${group})
    list(APPEND groups ${group})
  endif()
endforeach()
if(NOT "lib" IN_LIST groups)
  message(FATAL_ERROR "stage.cmake: no staged libdigitinfer (${stage}/lib)")
endif()

# ---------------------------------------------------------------- .pt models -> the torch package
set(models_dir usr/${CPACK_DIGITINFER_DATADIR}/digitinfer/models)
file(GLOB pt_models RELATIVE ${stage}/lib/${models_dir} ${stage}/lib/${models_dir}/*.pt)
if(pt_models)
  if(NOT "torch" IN_LIST groups)
    message(FATAL_ERROR "stage.cmake: TorchScript models (${pt_models}) but no torch plugin package")
  endif()
  file(MAKE_DIRECTORY ${stage}/torch/${models_dir})
  foreach(model IN LISTS pt_models)
    file(RENAME ${stage}/lib/${models_dir}/${model} ${stage}/torch/${models_dir}/${model})
  endforeach()
  message(STATUS "stage.cmake: ${pt_models} moved to ${CPACK_DEBIAN_TORCH_PACKAGE_NAME}")
endif()

# ---------------------------------------------------------------- strip
# dh_strip's options: shared objects --strip-unneeded, programs all symbols;
# both without the .comment and .note sections. (Release builds: nothing to
# keep for -dbgsym packages, which these are not made with.)
find_program(strip NAMES strip REQUIRED)
foreach(group IN LISTS groups)
  file(GLOB_RECURSE files LIST_DIRECTORIES false ${stage}/${group}/usr/bin/* ${stage}/${group}/usr/lib/*.so*)
  foreach(f IN LISTS files)
    if(IS_SYMLINK ${f})
      continue()
    endif()
    set(options --remove-section=.comment --remove-section=.note)
    if(f MATCHES "\\.so(\\.[0-9.]+)?$")
      list(APPEND options --strip-unneeded)
    endif()
    execute_process(COMMAND ${strip} ${options} ${f} COMMAND_ERROR_IS_FATAL ANY)
  endforeach()
endforeach()

# ---------------------------------------------------------------- copyright (DEP-5) from LICENSE
file(STRINGS ${CPACK_DIGITINFER_SOURCE_DIR}/LICENSE license_lines)
list(GET license_lines 0 license_name)
set(notice "")
set(body "")
set(in_body FALSE)
foreach(line IN LISTS license_lines)
  if(line MATCHES "^Copyright (\\([cC]\\) )?(.+)$")
    list(APPEND notice "${CMAKE_MATCH_2}")
    set(in_body TRUE)
  elseif(in_body)
    string(STRIP "${line}" line)
    if(line STREQUAL "")
      string(APPEND body " .\n")       # an empty line of a DEP-5 license paragraph
    else()
      string(APPEND body " ${line}\n")
    endif()
  endif()
endforeach()
string(REGEX REPLACE "^ \\.\n" "" body "${body}")
# Debian's name for this MIT license text is Expat; anything else must be looked at.
if(NOT license_name STREQUAL "MIT License" OR NOT body MATCHES "Permission is hereby granted, free of charge"
   OR NOT notice)
  message(FATAL_ERROR "stage.cmake: LICENSE is no longer the MIT (Expat) license this script knows: "
                      "update the copyright file it writes")
endif()
list(JOIN notice "\n " notice)
set(copyright "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: DigitInfer
Source: ${CPACK_PACKAGE_HOMEPAGE_URL}

Files: *
Copyright: ${notice}
License: Expat

License: Expat
${body}")

# ---------------------------------------------------------------- changelog.Debian.gz
# One entry for this version. Its date: SOURCE_DATE_EPOCH, else the last git
# commit's, else now (reproducible whenever the first two are available).
if(DEFINED ENV{SOURCE_DATE_EPOCH})
  set(epoch $ENV{SOURCE_DATE_EPOCH})
else()
  execute_process(COMMAND git -C ${CPACK_DIGITINFER_SOURCE_DIR} log -1 --format=%ct
    OUTPUT_VARIABLE epoch OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR NOT epoch MATCHES "^[0-9]+$")
    string(TIMESTAMP epoch "%s" UTC)
  endif()
endif()
execute_process(COMMAND date -u -R -d @${epoch} OUTPUT_VARIABLE date OUTPUT_STRIP_TRAILING_WHITESPACE
  COMMAND_ERROR_IS_FATAL ANY)
set(version ${CPACK_PACKAGE_VERSION}-${CPACK_DEBIAN_PACKAGE_RELEASE})
set(changelog "${CPACK_DEBIAN_PACKAGE_SOURCE} (${version}) unstable; urgency=medium

  * DigitInfer ${CPACK_PACKAGE_VERSION}, packaged with CPack from the upstream
    sources (packaging/cpack.cmake).

 -- ${CPACK_DEBIAN_PACKAGE_MAINTAINER}  ${date}
")

# ---------------------------------------------------------------- into every package
foreach(group IN LISTS groups)
  string(TOUPPER ${group} upper)
  set(package ${CPACK_DEBIAN_${upper}_PACKAGE_NAME})
  set(doc ${stage}/${group}/usr/share/doc/${package})
  file(MAKE_DIRECTORY ${doc})
  file(WRITE ${doc}/copyright "${copyright}")
  file(WRITE ${doc}/changelog.Debian "${changelog}")
  # gzip -9n: lintian wants the best compression; -n: no name or time stamp in the header.
  execute_process(COMMAND gzip -9nf ${doc}/changelog.Debian COMMAND_ERROR_IS_FATAL ANY)
  # Lintian overrides: those of every package (lintian/all), then the package's own.
  set(overrides "")
  foreach(source all ${package})
    if(EXISTS ${CPACK_DIGITINFER_DEB_DIR}/lintian/${source})
      file(READ ${CPACK_DIGITINFER_DEB_DIR}/lintian/${source} text)
      string(APPEND overrides "${text}")
    endif()
  endforeach()
  if(overrides)
    file(WRITE ${stage}/${group}/usr/share/lintian/overrides/${package} "${overrides}")
  endif()
  # dpkg-deb keeps the modes it finds: 0644 for data files, 0755 for directories.
  file(GLOB_RECURSE added ${doc}/* ${stage}/${group}/usr/share/lintian/*)
  foreach(f IN LISTS added)
    file(CHMOD ${f} PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  endforeach()
endforeach()
