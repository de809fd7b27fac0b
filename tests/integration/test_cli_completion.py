"""Shell completion and the man page, generated from the CLI definitions: a real interactive
bash (in a pseudo-terminal, so readline does the word splitting and Tab really is Tab) with
`hyperctl completion bash` loaded; `man -l` renders `hyperctl man`."""
import os
import pty
import re
import select
import signal
import subprocess
import time
from pathlib import Path

from conftest import BIN


class Bash:
    """bash -i on a pty, HOME without rc files, PATH finding hyperctl first."""

    def __init__(self, h, script: Path):
        self.bin_dir = h.tmp / "bin"
        self.bin_dir.mkdir(exist_ok=True)
        for name in ("hyperctl", "hypersdk"):
            link = self.bin_dir / name
            if not link.exists():
                link.symlink_to(BIN)
        env = dict(h.env, PATH=f"{self.bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
                   TERM="dumb", PS1="PROMPT> ", INPUTRC="/dev/null")
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execvpe("bash", ["bash", "--norc", "--noprofile", "-i"], env)
        self.send(f"bind 'set bell-style none'; source {script}; echo LOADED-$?\n")
        self.read_until("LOADED-0")

    def send(self, text):
        os.write(self.fd, text.encode())

    def read_until(self, pattern, timeout=20):
        out = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r, _, _ = select.select([self.fd], [], [], 0.1)
            if r:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    break
                out += chunk
                if re.search(pattern, out.decode(errors="replace")):
                    return out.decode(errors="replace")
        raise AssertionError(f"no {pattern!r} in the terminal output: {out.decode(errors='replace')!r}")

    def complete(self, line, expect, tabs=1):
        """Types `line`, presses Tab `tabs` times, waits for `expect`, then clears the line."""
        self.send(line + "\t" * tabs)
        out = self.read_until(expect)
        self.send("\x15")  # ^U: kill the line for the next one
        return out

    def close(self):
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.fd)


def load_bash(h):
    script = h.tmp / "hyperctl.bash"
    r = h.run("completion", "bash", check=True)
    script.write_text(r.stdout)
    return Bash(h, script)


def test_bash_completes_subcommands_flags_and_statuses(h):
    b = load_bash(h)
    try:
        # A unique prefix completes in place.
        out = b.complete("hyperctl sch", r"hyperctl schedule ")
        assert "hyperctl schedule " in out
        # --status=<Tab><Tab> lists every job status.
        # The listing is complete when readline draws the prompt and the line again below it
        # (waiting for one status would race the rest of the listing on a slow machine).
        out = b.complete("hyperctl list --status=",
                         r"--status=\r\n[\s\S]*PROMPT> hyperctl list --status=", tabs=2)
        for s in ("waiting", "queued", "running", "retrying", "succeeded", "failed", "cancelled",
                  "upstream_failed"):
            assert s in out, out
        # A prefix of a status completes to it; as a separate word too.
        assert "--status=succeeded " in b.complete("hyperctl list --status=suc", r"succeeded ")
        assert "--status retrying " in b.complete("hyperctl list --status ret", r"retrying ")
        # Subcommands of a subcommand, flags of a command, job types.
        out = b.complete("hyperctl schedule ", r"schedule \r\n[\s\S]*PROMPT> hyperctl schedule ",
                         tabs=2)
        assert "pause" in out and "create" in out
        assert "--retry-backoff " in b.complete("hyperctl submit --retry-b", r"--retry-backoff ")
        assert "--type exec " in b.complete("hyperctl submit --type ex", r"exec ")
    finally:
        b.close()


def test_bash_completes_schedule_names_from_the_database(h):
    for name in ("nightly-web", "nightly-db", "weekly-all"):
        h.run("schedule", "create", "--name", name, "--cron", "0 2 * * *", "--type", "noop",
              check=True)
    b = load_bash(h)
    try:
        out = b.complete(f"hyperctl --db {h.db} --config {h.config} schedule show --name nightly-",
                         r"nightly-web", tabs=2)
        assert "nightly-db" in out and "weekly-all" not in out.split("nightly-", 1)[1], out
        out = b.complete(f"hyperctl --db {h.db} --config {h.config} schedule pause --name wee",
                         r"weekly-all ")
        assert "--name weekly-all " in out
    finally:
        b.close()
    # The helper itself: names with the prefix, nothing on a missing database, exit 0.
    assert h.run("__complete", "schedules", "nightly-").stdout.split() == ["nightly-db", "nightly-web"]
    r = subprocess.run([BIN, "--db", str(h.tmp / "none.db"), "__complete", "schedules"],
                       capture_output=True, text=True, env=h.env, timeout=30)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")


def test_completion_rejects_an_unknown_shell(h):
    r = h.run("completion", "tcsh")
    assert r.returncode == 2
    assert "tcsh" in r.stderr and "bash" in r.stderr


def test_zsh_and_fish_scripts_are_generated(h):
    zsh = h.run("completion", "zsh", check=True).stdout
    assert zsh.startswith("#compdef hypersdk hyperctl\n") and "bashcompinit" in zsh
    fish = h.run("completion", "fish", check=True).stdout
    assert "complete -c hyperctl -f -n '__hypersdk_at ' -a 'schedule'" in fish
    assert "-l 'status' -r -a 'waiting queued running retrying succeeded failed cancelled upstream_failed'" in fish
    # bash parses both the bash script and the zsh one's shared part.
    for text in (h.run("completion", "bash", check=True).stdout,):
        path = h.tmp / "c.sh"
        path.write_text(text)
        assert subprocess.run(["bash", "-n", str(path)]).returncode == 0


def test_man_page_renders_with_every_command(h):
    page = h.tmp / "hypersdk.1"
    page.write_text(h.run("man", check=True).stdout)
    r = subprocess.run(["man", "--warnings", "-l", str(page)], capture_output=True, text=True,
                       env=dict(h.env, MANWIDTH="100", MANPAGER="cat", PAGER="cat"), timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stderr == "", r.stderr  # groff warnings (bad requests, escapes) would show here
    text = re.sub(r".\x08", "", r.stdout)  # overstrike bold
    for needle in ("HYPERSDK(1)", "NAME", "hypersdk, hyperctl, hypervisord - VM backup", "SYNOPSIS",
                   "GLOBAL OPTIONS", "--server", "COMMANDS", "schedule create", "--cron",
                   "dlq replay", "workflow", "completion", "EXIT STATUS", "HYPERSDK_TOKEN"):
        assert needle in text, f"{needle!r} not in the rendered page:\n{text[:3000]}"
    # Hidden helpers stay out of the page.
    assert "__complete" not in text and "test-clock-file" not in text
