"""`make deploy` into a DESTDIR and `make deb` (CPack), from the release build (build-release,
no test hooks): what lands where, the units pointing at the installed binary, the previous
binary kept for rollback, only build and run-time packages installed, and a .deb whose
contents, dependencies and maintainer scripts are right."""
import os
import subprocess
from pathlib import Path

from conftest import BIN

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(BIN).resolve().parent
RELEASE = REPO / "build-release"  # the Makefile's DEB_BUILD: what deploy and deb install
TEST_TOOLS = ("python3-pytest", "python3-aiosmtpd", "prometheus", "clang-format")


def make(*args, timeout=600, env=None):
    r = subprocess.run(["make", "-C", str(REPO), f"BUILD={BUILD}", "JOBS=2", *args],
                       capture_output=True, text=True, timeout=timeout,
                       env={**os.environ, **(env or {})})
    assert r.returncode == 0, f"make {' '.join(args)} exited {r.returncode}\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}"
    return r


def assert_no_test_hooks(binary, tmp_path):
    """A release binary refuses the fake clock's flag and ignores its variable."""
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    clock = tmp_path / "clock"
    clock.write_text("2031-01-01T00:00:00Z\n")
    db = tmp_path / "hooks.db"
    # (A bad --listen makes a build that has the flag fail fast instead of serving.)
    r = subprocess.run([str(binary), "--db", str(db), "serve", "--test-clock-file", str(clock),
                        "--listen", "not-an-address"],
                       capture_output=True, text=True, env=env, timeout=30)
    assert r.returncode == 2 and "test-clock-file" in r.stderr, r.stderr
    subprocess.run([str(binary), "--db", str(db), "db", "migrate"], env=env, check=True, capture_output=True)
    r = subprocess.run([str(binary), "--db", str(db), "submit", "--type", "noop", "--json"],
                       capture_output=True, text=True, env={**env, "HYPERSDK_TEST_CLOCK_FILE": str(clock)})
    assert r.returncode == 0, r.stderr
    assert '"created_at": "2031' not in r.stdout, r.stdout


def unit_exec_start(path):
    return [l for l in path.read_text().splitlines() if l.startswith("ExecStart=")]


def test_make_deploy_installs_into_destdir_and_keeps_the_previous_binary(tmp_path):
    root = tmp_path / "root"
    make("deploy", f"DESTDIR={root}", "PREFIX=/usr/local", "SKIP_TESTS=1")
    bin_dir = root / "usr/local/bin"
    assert os.access(bin_dir / "hypersdk", os.X_OK)
    for link in ("hyperctl", "hypervisord"):
        assert os.readlink(bin_dir / link) == "hypersdk"
    version = subprocess.run([str(bin_dir / "hyperctl"), "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("hypersdk ")

    unit = root / "usr/local/lib/systemd/system/hypervisord.service"
    assert unit_exec_start(unit) == ["ExecStart=/usr/local/bin/hypervisord --config /etc/hypersdk/config.yaml"]
    assert unit_exec_start(root / "usr/local/lib/systemd/user/hypersdk.service") == \
        ["ExecStart=/usr/local/bin/hypervisord"]
    for f in ("usr/local/lib/sysusers.d/hypersdk.conf", "usr/local/lib/tmpfiles.d/hypersdk.conf",
              "etc/logrotate.d/hypersdk", "usr/local/share/hypersdk/prometheus/alerts.yml",
              "usr/local/share/doc/hypersdk/config.yaml.example"):
        assert (root / f).is_file(), f
    config = root / "etc/hypersdk/config.yaml"
    assert config.read_text() == (REPO / "hypersdk.yaml.example").read_text()
    # The installed config is valid for the installed binary.
    r = subprocess.run([str(bin_dir / "hypersdk"), "--config", str(config), "config", "validate"],
                       capture_output=True, text=True, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr

    # A second deploy over an older binary: the old one is kept, the operator's config too.
    (bin_dir / "hypersdk").unlink()
    (bin_dir / "hypersdk").write_bytes(b"#!/bin/sh\necho previous\n")
    (bin_dir / "hypersdk").chmod(0o755)
    # Older, as a previous install is (cmake --install skips a file whose mtime, to the
    # second, equals the new one's: a build linked in the same second as this write).
    os.utime(bin_dir / "hypersdk", (1_000_000_000, 1_000_000_000))
    config.write_text("workers:\n  count: 2\n")
    out = make("deploy", f"DESTDIR={root}", "PREFIX=/usr/local", "SKIP_TESTS=1").stdout
    assert "kept the previous binary" in out
    assert (bin_dir / "hypersdk.previous").read_bytes() == b"#!/bin/sh\necho previous\n"
    assert (bin_dir / "hypersdk").read_bytes() == (RELEASE / "hypersdk").read_bytes()
    assert config.read_text() == "workers:\n  count: 2\n"
    assert_no_test_hooks(bin_dir / "hypersdk", tmp_path)
    assert "Alias=hypervisor.service" in unit.read_text().splitlines()


def test_make_deploy_installs_no_test_tools_and_tests_before_installing(tmp_path):
    """On a machine without the test tools (dpkg-query says nothing is installed), deploy asks
    apt-get for the build and run-time packages only, runs the unit tests and the smoke test of
    the new binary, then installs it."""
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    asked = tmp_path / "apt-get.args"
    (stubs / "dpkg-query").write_text("#!/bin/sh\nexit 1\n")
    (stubs / "apt-get").write_text(f"#!/bin/sh\necho \"$@\" >> {asked}\n")
    for stub in stubs.iterdir():
        stub.chmod(0o755)
    root = tmp_path / "root"
    out = make("deploy", f"DESTDIR={root}", "PREFIX=/usr/local", timeout=1800,
               env={"PATH": f"{stubs}:{os.environ['PATH']}"}).stdout
    installs = [l.split() for l in asked.read_text().splitlines() if l.startswith("install")]
    assert len(installs) == 1, asked.read_text()
    wanted = set(installs[0])
    assert {"cmake", "libsqlitecpp-dev", "tzdata", "sqlite3", "systemd"} <= wanted
    assert not wanted & set(TEST_TOOLS), wanted & set(TEST_TOOLS)
    # Tests ran before anything was installed, and no integration test ran.
    assert "smoke test passed" in out and "test cases:" in out
    assert out.index("smoke test passed") < out.index("-- Installing:")
    assert "-m pytest" not in out and "ctest --" not in out
    assert os.access(root / "usr/local/bin/hypersdk", os.X_OK)
    assert_no_test_hooks(root / "usr/local/bin/hypersdk", tmp_path)


def test_make_deploy_with_another_prefix_puts_units_under_etc(tmp_path):
    root = tmp_path / "root"
    make("deploy", f"DESTDIR={root}", "PREFIX=/opt/hypersdk", "SKIP_TESTS=1")
    assert os.access(root / "opt/hypersdk/bin/hypersdk", os.X_OK)
    unit = root / "etc/systemd/system/hypervisord.service"
    assert unit_exec_start(unit) == ["ExecStart=/opt/hypersdk/bin/hypervisord --config /etc/hypersdk/config.yaml"]
    assert (root / "etc/sysusers.d/hypersdk.conf").is_file()
    assert (root / "etc/tmpfiles.d/hypersdk.conf").is_file()


def test_make_deploy_into_home_is_a_personal_systemctl_user_install(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "XDG_CONFIG_HOME": ""}
    make("deploy", f"PREFIX={home}/.local", "SKIP_TESTS=1", env=env)
    assert os.readlink(home / ".local/bin/hypervisord") == "hypersdk"
    unit = home / ".config/systemd/user/hypersdk.service"
    assert unit_exec_start(unit) == [f"ExecStart={home}/.local/bin/hypervisord"]
    assert (home / ".config/hypersdk/config.yaml").read_text() == (REPO / "hypersdk.yaml.example").read_text()
    # Nothing system-wide.
    assert not list(home.glob("**/hypervisord.service")) and not list(home.glob("**/sysusers.d"))
    # The unit as installed passes systemd's own check for user units.
    r = subprocess.run(["systemd-analyze", "--user", "verify", "--man=no", str(unit)], capture_output=True,
                       text=True, env={**os.environ, "HOME": str(home), "XDG_RUNTIME_DIR": str(tmp_path)})
    assert r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(), r.stdout + r.stderr


def test_make_deb_builds_a_package_with_units_scripts_and_dependencies(tmp_path):
    out_dir = tmp_path / "deb"
    make("deb", f"DEB_DIR={out_dir}", timeout=1800)
    debs = list(out_dir.glob("hypersdk_*.deb"))
    assert len(debs) == 1, list(out_dir.iterdir())
    deb = debs[0]

    info = subprocess.run(["dpkg-deb", "--info", str(deb)], capture_output=True, text=True, check=True).stdout
    fields = dict(l.strip().split(": ", 1) for l in info.splitlines() if ": " in l and not l.startswith("  new"))
    assert fields["Package"] == "hypersdk"
    depends = fields["Depends"]
    for lib in ("libsqlite3-0", "libyaml-cpp0.7", "libprometheus-cpp-core1.0", "libstdc++6", "systemd"):
        assert lib in depends, depends
    for script in ("postinst", "prerm", "postrm", "conffiles"):
        assert script in info, info

    listing = subprocess.run(["dpkg-deb", "--contents", str(deb)], capture_output=True, text=True,
                             check=True).stdout
    paths = {l.split()[5] + (" -> " + l.split()[7] if " -> " in l else "") for l in listing.splitlines()}
    for p in ("./usr/bin/hypersdk", "./usr/bin/hyperctl -> hypersdk", "./usr/bin/hypervisord -> hypersdk",
              "./usr/lib/systemd/system/hypervisord.service", "./usr/lib/systemd/user/hypersdk.service",
              "./usr/lib/sysusers.d/hypersdk.conf", "./usr/lib/tmpfiles.d/hypersdk.conf",
              "./etc/logrotate.d/hypersdk", "./etc/hypersdk/config.yaml",
              "./usr/share/hypersdk/prometheus/alerts.yml"):
        assert p in paths, (p, sorted(paths))

    x = tmp_path / "x"
    subprocess.run(["dpkg-deb", "--extract", str(deb), str(x)], check=True)
    assert unit_exec_start(x / "usr/lib/systemd/system/hypervisord.service") == \
        ["ExecStart=/usr/bin/hypervisord --config /etc/hypersdk/config.yaml"]
    r = subprocess.run([str(x / "usr/bin/hypersdk"), "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("hypersdk ")
    assert_no_test_hooks(x / "usr/bin/hypersdk", tmp_path)
    control = tmp_path / "control"
    subprocess.run(["dpkg-deb", "--control", str(deb), str(control)], check=True)
    assert (control / "conffiles").read_text().split() == ["/etc/hypersdk/config.yaml", "/etc/logrotate.d/hypersdk"]
    postinst = (control / "postinst").read_text()
    assert "systemd-sysusers hypersdk.conf" in postinst and "systemd-tmpfiles --create hypersdk.conf" in postinst
    assert os.access(control / "postinst", os.X_OK)
