# Install-time rules for the service files (run by `cmake --install`, `make deploy` and CPack,
# after the binary). Evaluated at install time, so `--prefix` and CPack's /usr prefix decide
# the paths, not the prefix the build was configured with.
#
# Input: HYPERSDK_PACKAGING (this directory), HYPERSDK_EXAMPLE_CONFIG (hypersdk.yaml.example).
#
#   <bindir>/hypersdk, hyperctl -> hypersdk, hypervisord -> hypersdk
#   <unitdir>/hypervisord.service          ExecStart rewritten to <bindir>/hypervisord
#   <userunitdir>/hypersdk.service         (systemctl --user)
#   <sysusersdir>/hypersdk.conf, <tmpfilesdir>/hypersdk.conf
#   /etc/logrotate.d/hypersdk
#   /etc/hypersdk/config.yaml              only when there is none yet (every key at its default)
#   <datadir>/doc/hypersdk/config.yaml.example, <datadir>/hypersdk/prometheus/alerts.yml
#
# systemd, systemd-sysusers and systemd-tmpfiles read /usr/lib/... and /usr/local/lib/...; for
# any other prefix (e.g. /opt/hypersdk) these files go to /etc, which they also read.
#
# A prefix inside $HOME (make deploy PREFIX=~/.local) is a personal install for
# `systemctl --user`: the binary, the user unit in ~/.config/systemd/user/hypersdk.service and
# ~/.config/hypersdk/config.yaml when there is none; nothing system-wide.
set(prefix "${CMAKE_INSTALL_PREFIX}")
set(root "$ENV{DESTDIR}")
set(home "$ENV{HOME}")
set(user_install OFF)
if(home AND NOT home STREQUAL "/")
  string(FIND "${prefix}/" "${home}/" at)
  if(at EQUAL 0)
    set(user_install ON)
  endif()
endif()
set(xdg_config "$ENV{XDG_CONFIG_HOME}")
if(NOT xdg_config)
  set(xdg_config "${home}/.config")
endif()
if(user_install)
  set(userunitdir "${xdg_config}/systemd/user")
elseif(prefix STREQUAL "/usr" OR prefix STREQUAL "/usr/local")
  set(unitdir "${prefix}/lib/systemd/system")
  set(userunitdir "${prefix}/lib/systemd/user")
  set(sysusersdir "${prefix}/lib/sysusers.d")
  set(tmpfilesdir "${prefix}/lib/tmpfiles.d")
else()
  set(unitdir "/etc/systemd/system")
  set(userunitdir "/etc/systemd/user")
  set(sysusersdir "/etc/sysusers.d")
  set(tmpfilesdir "/etc/tmpfiles.d")
endif()
set(bindir "${prefix}/bin")
set(datadir "${prefix}/share")

function(put src dest mode)
  get_filename_component(dir "${root}${dest}" DIRECTORY)
  file(MAKE_DIRECTORY "${dir}")
  message(STATUS "Installing: ${root}${dest}")
  file(COPY_FILE "${src}" "${root}${dest}")
  file(CHMOD "${root}${dest}" PERMISSIONS ${mode})
  # CPack and the deploy log list what was installed.
  list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${root}${dest}")
  set(CMAKE_INSTALL_MANIFEST_FILES "${CMAKE_INSTALL_MANIFEST_FILES}" PARENT_SCOPE)
endfunction()

# A unit with ExecStart pointing at this prefix's binary.
function(put_unit src dest)
  file(READ "${src}" text)
  string(REPLACE "/usr/local/bin/hypervisord" "${bindir}/hypervisord" text "${text}")
  get_filename_component(dir "${root}${dest}" DIRECTORY)
  file(MAKE_DIRECTORY "${dir}")
  message(STATUS "Installing: ${root}${dest}")
  file(WRITE "${root}${dest}" "${text}")
  file(CHMOD "${root}${dest}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${root}${dest}")
  set(CMAKE_INSTALL_MANIFEST_FILES "${CMAKE_INSTALL_MANIFEST_FILES}" PARENT_SCOPE)
endfunction()

set(rw "OWNER_READ;OWNER_WRITE;GROUP_READ;WORLD_READ")

foreach(link hyperctl hypervisord)
  file(MAKE_DIRECTORY "${root}${bindir}")
  file(CREATE_LINK hypersdk "${root}${bindir}/${link}" SYMBOLIC)
  list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${root}${bindir}/${link}")
endforeach()

put_unit("${HYPERSDK_PACKAGING}/systemd/hypersdk-user.service" "${userunitdir}/hypersdk.service")
put("${HYPERSDK_PACKAGING}/prometheus/alerts.yml" "${datadir}/hypersdk/prometheus/alerts.yml" "${rw}")
put("${HYPERSDK_EXAMPLE_CONFIG}" "${datadir}/doc/hypersdk/config.yaml.example" "${rw}")
if(user_install)
  set(config "${xdg_config}/hypersdk/config.yaml")
else()
  put_unit("${HYPERSDK_PACKAGING}/systemd/hypervisord.service" "${unitdir}/hypervisord.service")
  put("${HYPERSDK_PACKAGING}/sysusers.d/hypersdk.conf" "${sysusersdir}/hypersdk.conf" "${rw}")
  put("${HYPERSDK_PACKAGING}/tmpfiles.d/hypersdk.conf" "${tmpfilesdir}/hypersdk.conf" "${rw}")
  put("${HYPERSDK_PACKAGING}/logrotate/hypersdk" "/etc/logrotate.d/hypersdk" "${rw}")
  # The directory is root:hypersdk 0750 (tmpfiles.d), so 0644 is read by the service group only.
  set(config "/etc/hypersdk/config.yaml")
endif()
# The service reads this file: never overwrite an operator's.
if(NOT EXISTS "${root}${config}")
  put("${HYPERSDK_EXAMPLE_CONFIG}" "${config}" "${rw}")
else()
  message(STATUS "Keeping: ${root}${config} (compare with ${datadir}/doc/hypersdk/config.yaml.example)")
endif()
