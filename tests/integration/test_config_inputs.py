"""Local inputs (the config file, holiday .ics files, secret files) cannot crash, wedge or end
the daemon: every file read is bounded and must be a regular file, YAML nesting and aliases are
bounded, numbers are range-checked before they are narrowed, recurrences are expanded only over
the years a schedule can use, `config validate` parses everything serve will, and a reload that
fails leaves the old config running while SIGTERM is honoured at any moment."""
import signal
import time

import pytest

from conftest import free_port, wait_for
from ops_support import find_log

NESTED_VEVENT = ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nBEGIN:VEVENT\nDTSTART:20251225\n"
                 "EXDATE:20261225,20271225\nRRULE:FREQ=YEARLY\nEND:VEVENT\nDTSTART:20251226\n"
                 "EXDATE:20301225\nEND:VEVENT\nEND:VCALENDAR\n")


def validate(h, timeout=20):
    t0 = time.monotonic()
    r = h.run("config", "validate", timeout=timeout)
    return r, time.monotonic() - t0


def assert_invalid(r, *words):
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    for w in words:
        assert w in r.stderr, r.stderr


def test_nested_vevent_is_an_error_everywhere_not_a_crash(h):
    (h.tmp / "u.ics").write_text(NESTED_VEVENT)
    h.write_config("holidays:\n  h:\n    ics: u.ics\n")
    r, _ = validate(h)
    assert_invalid(r, "holidays.h", "BEGIN:VEVENT inside another VEVENT", "line 3")
    h.run("db", "migrate", check=True)
    r = h.run("list")
    assert r.returncode in (0, 2), (r.returncode, r.stderr)  # never a signal
    r = h.run("submit", "--type", "noop")
    assert r.returncode in (0, 2), (r.returncode, r.stderr)


def sighup_keeps_running(h, srv, bad_config):
    h.write_config(bad_config)
    srv.signal(signal.SIGHUP)
    failed = wait_for(lambda: find_log(srv, "config reload failed; keeping the previous configuration"),
                      timeout=20, what="the reload failure")[0]
    assert srv.proc.poll() is None
    status, _, job = srv.api("POST", "/api/v1/jobs", {"type": "noop"})
    assert status == 201
    wait_for(lambda: srv.api("GET", f"/api/v1/jobs/{job['id']}")[2]["status"] == "succeeded",
             what="a job on the old config")
    return failed


def test_reload_with_a_nested_vevent_keeps_the_daemon(h):
    srv = h.serve()
    (h.tmp / "u.ics").write_text(NESTED_VEVENT)
    failed = sighup_keeps_running(h, srv, "holidays:\n  h:\n    ics: u.ics\n")
    assert "BEGIN:VEVENT inside another VEVENT" in failed["error"]
    assert srv.stop() == 0


MAPPING_KEY = "holidays:\n  ? {a: 1}\n  : {dates: [2025-01-01]}\n"


def test_a_mapping_as_holiday_key_is_refused_by_validate_and_reload(h):
    h.write_config(MAPPING_KEY)
    r, _ = validate(h)
    assert_invalid(r, "calendar name must be a plain name", f"{h.config}:2")
    r = h.run("serve", "--listen", f"127.0.0.1:{free_port()}", timeout=20)
    assert_invalid(r, "calendar name must be a plain name")
    h.write_config("")
    srv = h.serve()
    failed = sighup_keeps_running(h, srv, MAPPING_KEY)
    assert "plain name" in failed["error"]
    assert srv.stop() == 0


@pytest.mark.parametrize("key,value,rng", [
    ("workers.claim_batch", "4294967295", "1..1000"),
    ("workers.count", "4294967297", "1..1024"),
    ("retry.max_retries", "4294967296", "0..1000"),
    ("queue.max_lease_expiries", "2147483648", "1..1000"),
    ("retention.max_finished_jobs", "4294967296", "0..2147483647"),
    ("api.rate_limit.requests_per_second", "4294967296", "1..1000000"),
    ("api.rate_limit.burst", "4294967296", "1..1000000"),
    ("db.journal_size_limit", "9223372036854775807", "0..1099511627776"),
])
def test_every_integer_is_range_checked_with_the_range_in_the_message(h, key, value, rng):
    section, name = key.rsplit(".", 1)
    text = ""
    for depth, part in enumerate(section.split(".")):
        text += "  " * depth + part + ":\n"
    text += "  " * (section.count(".") + 1) + f"{name}: {value}\n"
    h.write_config(text)
    r, _ = validate(h)
    assert_invalid(r, key, rng, value)
    # The environment goes through the same check.
    h.write_config("")
    env_var = "HYPERSDK_" + key.upper().replace(".", "__")
    r = h.run("config", "validate", env={env_var: value})
    assert_invalid(r, rng)


def test_claim_batch_huge_cannot_start_serve(h):
    h.write_config("workers:\n  claim_batch: 4294967295\n")
    r = h.run("serve", "--listen", f"127.0.0.1:{free_port()}", timeout=20)
    assert_invalid(r, "workers.claim_batch", "1..1000")


def test_token_secret_from_dev_zero_is_refused_at_once(h):
    h.write_config("api:\n  tokens:\n    - name: ci\n      token: file:/dev/zero\n      role: read\n")
    t0 = time.monotonic()
    r = h.run("serve", "--listen", f"127.0.0.1:{free_port()}", timeout=20)
    assert time.monotonic() - t0 < 10
    assert_invalid(r, "/dev/zero", "not a regular file")
    r, took = validate(h)
    assert took < 10 and "not a regular file" in r.stderr, r.stderr


def test_ics_dev_zero_and_oversized_files_are_refused(h):
    h.write_config("holidays:\n  z:\n    ics: /dev/zero\n")
    r, took = validate(h)
    assert took < 10
    assert_invalid(r, "holidays.z", "/dev/zero", "not a regular file")
    big = h.tmp / "big.ics"
    big.write_text("BEGIN:VCALENDAR\n" + "X-PAD:" + "x" * (5 << 20) + "\nEND:VCALENDAR\n")
    h.write_config(f"holidays:\n  z:\n    ics: {big}\n")
    r, _ = validate(h)
    assert_invalid(r, "holidays.z", "larger than the limit")


def test_reload_reading_dev_zero_fails_and_sigterm_still_stops_serve(h):
    srv = h.serve()
    failed = sighup_keeps_running(h, srv, "holidays:\n  z:\n    ics: /dev/zero\n")
    assert "not a regular file" in failed["error"]
    srv.signal(signal.SIGTERM)
    assert srv.proc.wait(timeout=15) == 0


def test_config_alias_bomb_and_deep_nesting_are_bounded(h):
    bomb = "holidays:\n  h:\n    dates: &a0 [2025-01-01]\n"
    bomb += "x0: &b0 [2025-01-01, 2025-01-01, 2025-01-01, 2025-01-01, 2025-01-01, 2025-01-01]\n"
    for i in range(1, 12):
        bomb += f"x{i}: &b{i} [" + ", ".join([f"*b{i-1}"] * 6) + "]\n"
    h.write_config(bomb)
    r, took = validate(h)
    assert took < 10
    assert_invalid(r, "expands to more than 100000 values")
    h.write_config("holidays: " + "[" * 100_000 + "]" * 100_000 + "\n")
    r, took = validate(h)
    assert took < 10
    assert_invalid(r, "nested deeper than 32 levels")
    h.write_config("holidays:\n  h:\n    dates: " + "[" * 40 + "]" * 40 + "\n")
    r, _ = validate(h)
    assert_invalid(r, "nested deeper than 32 levels")


def test_rrule_from_year_one_is_expanded_only_over_usable_years(h):
    # The same 10,000 yearly events twice: starting in years 1-30 and in 2020-2049. Only the
    # years a schedule can use are expanded, so both cost about the same; before, the old ones
    # were walked year by year from year 1 (10x slower here, 73 s for the file). A ratio
    # of the two, not a wall-clock bound, so a sanitizer build or a loaded machine does not
    # decide the result.
    def calendar(first_year):
        return "BEGIN:VCALENDAR\n" + "".join(
            f"BEGIN:VEVENT\nDTSTART;VALUE=DATE:{first_year + i // 336:04d}"
            f"{1 + i // 28 % 12:02d}{1 + i % 28:02d}\nRRULE:FREQ=YEARLY\nEND:VEVENT\n"
            for i in range(10_000)) + "END:VCALENDAR\n"

    h.run("db", "migrate", check=True)
    took = {}
    for name, first_year in (("recent", 2020), ("old", 1)):
        (h.tmp / f"{name}.ics").write_text(calendar(first_year))
        h.write_config(f"holidays:\n  {name}:\n    ics: {name}.ics\n")
        r, took[name, "validate"] = validate(h)
        assert r.returncode == 0, r.stderr
        t0 = time.monotonic()
        h.run("list", check=True)  # every command that admits jobs reads the calendars
        took[name, "list"] = time.monotonic() - t0
    for what in ("validate", "list"):
        old, recent = took["old", what], took["recent", what]
        assert old < 3 * recent + 0.5, f"{what}: {old:.2f} s from year 1, {recent:.2f} s from 2020"


def test_millions_of_holiday_dates_are_refused(h):
    events = "".join(f"BEGIN:VEVENT\nDTSTART:{y:04d}0101\nDURATION:P366D\nEND:VEVENT\n"
                     for y in range(1000, 9000))
    (h.tmp / "many.ics").write_text("BEGIN:VCALENDAR\n" + events + "END:VCALENDAR\n")
    h.write_config("holidays:\n  many:\n    ics: many.ics\n")
    r, took = validate(h)
    assert took < 10
    assert_invalid(r, "more than 100000 holiday dates")


def test_a_huge_unknown_key_is_reported_quickly_and_shortened(h):
    key = "k" * 900_000
    h.write_config(f"? {key}\n: 1\n")  # explicit: a plain key over 1024 characters is not YAML
    r, took = validate(h)
    assert took < 5, f"validate took {took:.1f} s"
    assert_invalid(r, "unknown key 'kkkk")
    assert len(r.stderr) < 2000


def test_tls_files_from_dev_zero_are_refused_at_once(h):
    h.write_config("api:\n  tls:\n    cert: /dev/zero\n    key: /dev/zero\n")
    t0 = time.monotonic()
    r = h.run("serve", "--listen", f"127.0.0.1:{free_port()}", timeout=20)
    assert time.monotonic() - t0 < 10
    assert_invalid(r, "api.tls", "/dev/zero", "not a regular file")
