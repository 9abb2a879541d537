# The Debian package (cpack -G DEB from a build folder, or deploy/package-test.sh): the program
# and its templates (installed by bot/app), the man page, example configs, and, in the component
# `system` that a plain `cmake --install` leaves out, what only a system package should write:
# /etc/tandem/tandem.yaml (a conffile) and the systemd unit. The maintainer scripts create the
# user `tandem` the service runs as.
include(GNUInstallDirs)

set(debian_dir ${PROJECT_SOURCE_DIR}/deploy/debian)

# The man page, compressed as Debian wants it (-n: no time stamp, so the package is reproducible).
add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/tandem.1.gz
  COMMAND gzip -9nc ${debian_dir}/tandem.1 > ${PROJECT_BINARY_DIR}/tandem.1.gz
  DEPENDS ${debian_dir}/tandem.1 VERBATIM)
add_custom_target(tandem_man ALL DEPENDS ${PROJECT_BINARY_DIR}/tandem.1.gz)
install(FILES ${PROJECT_BINARY_DIR}/tandem.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# The copyright file and the changelog every Debian package carries; the changelog's newest entry
# must name this version.
file(STRINGS ${debian_dir}/changelog changelog_head LIMIT_COUNT 1)
if(NOT changelog_head MATCHES "^tandem \\(${PROJECT_VERSION}\\) ")
  message(FATAL_ERROR "deploy/debian/changelog starts with '${changelog_head}', not version ${PROJECT_VERSION}: "
                      "add an entry for this version")
endif()
add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/changelog.gz
  COMMAND gzip -9nc ${debian_dir}/changelog > ${PROJECT_BINARY_DIR}/changelog.gz
  DEPENDS ${debian_dir}/changelog VERBATIM)
add_custom_target(tandem_changelog ALL DEPENDS ${PROJECT_BINARY_DIR}/changelog.gz)
install(FILES ${PROJECT_BINARY_DIR}/changelog.gz ${debian_dir}/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})

install(FILES ${PROJECT_SOURCE_DIR}/deploy/demo.yaml ${PROJECT_SOURCE_DIR}/deploy/slack/slack.yaml
              ${PROJECT_SOURCE_DIR}/deploy/matrix/matrix.yaml
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

install(FILES ${debian_dir}/tandem.yaml DESTINATION /etc/tandem COMPONENT system EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/tandem.service DESTINATION lib/systemd/system
        COMPONENT system EXCLUDE_FROM_ALL)

# cpack (and `make install`) install what is built, without building `all` first: the package
# needs only the targets tandem and tandem_man, not the tests and benchmarks.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tandem)
set(CPACK_PACKAGE_VENDOR "Tandem")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "chat bot that keeps multi-stakeholder collaborations engaged")
# Lines of the extended description stay under 80 columns (Debian policy).
set(CPACK_PACKAGE_DESCRIPTION
    "Tandem lives in the chat rooms of a collaboration (Slack, Matrix, webhooks\n\
of other chats), assigns tasks and follows them up, nudges people on a\n\
schedule, flags long silences, runs approval rounds and keeps a shared\n\
calendar, with a local SQLite store. The package runs it as a systemd service.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
# One package holding the default component and `system`.
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_COMPONENTS_ALL Unspecified system)

# A placeholder address: whoever publishes packages sets their own (-DTANDEM_PACKAGE_MAINTAINER=...).
set(TANDEM_PACKAGE_MAINTAINER "Tandem developers <tandem@example.org>" CACHE STRING
    "The Maintainer field of the Debian package")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${TANDEM_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The shared libraries' packages come from dpkg-shlibdeps; these are what the program needs besides.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, tzdata, init-system-helpers (>= 1.54~)")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ca-certificates")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${debian_dir}/conffiles ${debian_dir}/postinst ${debian_dir}/prerm ${debian_dir}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
