"""What an idle serve maps (issue 14 item 7): libvirt, libcurl and libpq, with the ~45
libraries they pull in, are loaded at their first use (src/providers/libvirt_api.h,
src/ops/lazy_library.h), not at start; a call that bypasses the trampolines would link them
again and fail here. Their first use loading them is covered by the libvirt, notification,
target and PostgreSQL tests, which would fail if the lazy loading did not work."""
import re
import subprocess
from pathlib import Path

from conftest import BIN

LAZY = ("libvirt.so", "libcurl.so", "libcurl-gnutls.so", "libpq.so", "libglib-2.0.so",
        "libgnutls.so", "libldap", "libssh.so", "libssh2.so", "libgssapi_krb5.so")


def sanitized():
    out = subprocess.run(["ldd", BIN], check=True, capture_output=True, text=True).stdout
    return "libasan.so" in out


# A sanitized build links libvirt from the start (see CMakeLists.txt), and libvirt brings
# libcurl, glib, gnutls, libssh, LDAP and Kerberos with it: there only libpq stays lazy.
if sanitized():
    LAZY = ("libpq.so",)


def mapped_libraries(pid):
    return {Path(line.split()[-1]).name for line in Path(f"/proc/{pid}/maps").read_text()
            .splitlines() if re.search(r"\.so[.\d]*$", line)}


def test_an_idle_serve_maps_no_lazily_loaded_library(h):
    srv = h.serve()
    libs = mapped_libraries(srv.proc.pid)
    assert any(l.startswith("libsqlite3.so") for l in libs), libs  # the reading works
    loaded = sorted(l for l in libs if l.startswith(LAZY))
    assert loaded == [], f"mapped at start: {loaded}"


def test_the_binary_links_none_of_them():
    # Every CLI run starts with what the binary links; ldd lists its whole dependency closure.
    out = subprocess.run(["ldd", BIN], check=True, capture_output=True, text=True).stdout
    linked = [line.split()[0] for line in out.splitlines() if line.strip()]
    assert any(l.startswith("libsqlite3.so") for l in linked), linked
    assert sorted(l for l in linked if l.startswith(LAZY)) == []
