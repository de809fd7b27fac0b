"""A session libvirtd for the libvirt provider's tests: started by the test as the
unprivileged user `nobody` (root when that is impossible) with a private runtime, config and
cache directory, so it never touches a system libvirt. QEMU runs under it with TCG (no
/dev/kvm needed). The client side (hypersdk, virsh) reaches it through its socket:
qemu+unix:///session?socket=DIR/run/libvirt/libvirt-sock.

Skips only when the packages are missing (.ci/run installs them from the Makefile)."""
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

LIBVIRTD = "/usr/sbin/libvirtd"
QEMU = "/usr/bin/qemu-system-x86_64"


def require_packages():
    missing = [p for p in (LIBVIRTD, QEMU, shutil.which("virsh"), shutil.which("qemu-img"))
               if not p or not os.path.exists(p)]
    if missing:
        pytest.skip("libvirt-daemon / qemu-system-x86 / libvirt-clients not installed "
                    "(make deps installs them)")


class SessionLibvirtd:
    def __init__(self):
        require_packages()
        # Not under pytest's tmp_path: its parents are private to root, and the daemon's user
        # must reach its own directory.
        self.dir = Path(tempfile.mkdtemp(prefix="hypersdk-libvirtd-"))
        for sub in ("run", "config", "cache", "home", "disks"):
            (self.dir / sub).mkdir()
        self.user = None
        if os.geteuid() == 0:
            try:
                self.user = pwd.getpwnam("nobody")
            except KeyError:
                self.user = None
        if self.user:
            for root, _, _ in os.walk(self.dir):
                os.chown(root, self.user.pw_uid, self.user.pw_gid)
        self.socket = self.dir / "run" / "libvirt" / "libvirt-sock"
        self.uri = f"qemu+unix:///session?socket={self.socket}"
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(self.dir / "home"),
               "XDG_RUNTIME_DIR": str(self.dir / "run"),
               "XDG_CONFIG_HOME": str(self.dir / "config"),
               "XDG_CACHE_HOME": str(self.dir / "cache")}
        argv = [LIBVIRTD]
        if self.user:
            argv = ["setpriv", f"--reuid={self.user.pw_uid}", f"--regid={self.user.pw_gid}",
                    "--clear-groups", "--"] + argv
        self.log = open(self.dir / "libvirtd.log", "wb")
        self.proc = subprocess.Popen(argv, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + 30
        while not self.socket.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("libvirtd did not start: " +
                                   (self.dir / "libvirtd.log").read_text()[-2000:])
            time.sleep(0.05)

    def chown(self, path: Path):
        if self.user:
            os.chown(path, self.user.pw_uid, self.user.pw_gid)

    def virsh(self, *args, check=True):
        r = subprocess.run(["virsh", "-q", "-c", self.uri, *args], capture_output=True,
                           text=True, timeout=120)
        if check and r.returncode != 0:
            raise RuntimeError(f"virsh {' '.join(args)}: {r.stderr}")
        return r

    def disk(self, name: str, data: bytes, fmt="qcow2") -> Path:
        """A disk image holding `data` at offset 0, owned by the daemon's user."""
        raw = self.dir / "disks" / f"{name}.raw"
        raw.write_bytes(data)
        path = raw
        if fmt != "raw":
            path = self.dir / "disks" / f"{name}.{fmt}"
            subprocess.run(["qemu-img", "convert", "-q", "-f", "raw", "-O", fmt, str(raw),
                            str(path)], check=True)
            raw.unlink()
        self.chown(path)
        return path

    def domain_xml(self, name: str, disk: Path, fmt: str, memory_mib: int) -> Path:
        """A QEMU (TCG) domain with one virtio disk; no OS: it only has to run."""
        xml = self.dir / f"{name}.xml"
        xml.write_text(f"""<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>{memory_mib}</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <emulator>{QEMU}</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='{fmt}'/>
      <source file='{disk}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
  </devices>
</domain>
""")
        return xml

    def start_domain(self, name: str, disk: Path, fmt="qcow2", memory_mib=32):
        """A running transient domain."""
        self.virsh("create", str(self.domain_xml(name, disk, fmt, memory_mib)))

    def define_domain(self, name: str, disk: Path, fmt="qcow2", memory_mib=32):
        """A defined, shut-off domain."""
        self.virsh("define", str(self.domain_xml(name, disk, fmt, memory_mib)))

    def disk_source(self, name: str) -> str:
        out = self.virsh("domblklist", name, "--details").stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) >= 4 and parts[1] == "disk":
                return parts[3]
        raise RuntimeError(f"no disk in {out}")

    def stop(self):
        if self.proc.poll() is None:
            # Domains first (their QEMU processes are the daemon's children's children).
            try:
                for name in self.virsh("list", "--name", check=False).stdout.split():
                    self.virsh("destroy", name, check=False)
            except Exception:
                pass
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
