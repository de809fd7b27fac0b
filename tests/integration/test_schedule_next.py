"""`hypersdk schedule next` prints the expected fire times for the DST cases (DESIGN §5), and
bad input is a clear error with exit code 2."""
import json


def next_json(h, cron, tz, start, count=3, *extra):
    r = h.run("schedule", "next", "--cron", cron, "--timezone", tz, "--from", start,
              "--count", str(count), "--json", *extra, check=True)
    return json.loads(r.stdout)


def test_spring_forward_shift_fires_at_0330_cdt_and_is_marked(h):
    fires = next_json(h, "30 2 * * *", "America/Chicago", "2025-03-08T12:00:00Z", 2)
    assert fires[0]["utc"] == "2025-03-09T08:30:00Z"
    assert fires[0]["local"] == "2025-03-09T03:30:00-05:00"
    assert fires[0]["dst_shifted"] is True
    assert fires[0]["nominal_local"] == "2025-03-09T02:30:00"
    assert fires[1]["utc"] == "2025-03-10T07:30:00Z"
    assert fires[1]["dst_shifted"] is False
    text = h.run("schedule", "next", "--cron", "30 2 * * *", "--timezone", "America/Chicago",
                 "--from", "2025-03-08T12:00:00Z", "--count", "2", check=True).stdout
    lines = text.splitlines()
    assert "2025-03-09 03:30:00 CDT (-05:00)" in lines[2]
    assert "2025-03-09T08:30:00Z" in lines[2]
    assert "dst-shifted" in lines[2] and "02:30" in lines[2]
    assert "dst-shifted" not in lines[3]


def test_spring_forward_skip_does_not_fire_that_day(h):
    fires = next_json(h, "30 2 * * *", "America/Chicago", "2025-03-08T12:00:00Z", 1,
                      "--dst-gap", "skip")
    assert fires[0]["utc"] == "2025-03-10T07:30:00Z"


def test_fall_back_fixed_time_fires_once(h):
    fires = next_json(h, "30 1 * * *", "America/Chicago", "2025-11-01T12:00:00Z", 2)
    assert [f["utc"] for f in fires] == ["2025-11-02T06:30:00Z", "2025-11-03T07:30:00Z"]
    assert fires[0]["local"] == "2025-11-02T01:30:00-05:00"
    assert fires[0]["repeated_hour"] is True and fires[0]["fold_second"] is False
    text = h.run("schedule", "next", "--cron", "30 1 * * *", "--timezone", "America/Chicago",
                 "--from", "2025-11-01T12:00:00Z", "--count", "1", check=True).stdout
    assert "repeated hour: first 01:30" in text


def test_fall_back_hourly_fires_in_both_0100_hours(h):
    fires = next_json(h, "0 * * * *", "America/Chicago", "2025-11-02T05:30:00Z", 3)
    assert [f["utc"] for f in fires] == [
        "2025-11-02T06:00:00Z", "2025-11-02T07:00:00Z", "2025-11-02T08:00:00Z"]
    assert [f["local"] for f in fires] == [
        "2025-11-02T01:00:00-05:00", "2025-11-02T01:00:00-06:00", "2025-11-02T02:00:00-06:00"]
    assert [f["zone_abbrev"] for f in fires] == ["CDT", "CST", "CST"]
    assert fires[1]["fold_second"] is True
    text = h.run("schedule", "next", "--cron", "0 * * * *", "--timezone", "America/Chicago",
                 "--from", "2025-11-02T05:30:00Z", "--count", "2", check=True).stdout
    assert "repeated hour: second 01:00" in text


def test_other_zones_leap_day_and_the_or_rule(h):
    # Europe/Berlin springs forward at 02:00 on 2025-03-30: 02:30 shifts to 03:30 CEST.
    assert next_json(h, "30 2 * * *", "Europe/Berlin", "2025-03-29T12:00:00Z", 1)[0]["utc"] == \
        "2025-03-30T01:30:00Z"
    # Lord Howe moves by 30 minutes: 02:15 on 2025-10-05 does not exist (02:00 -> 02:30).
    lh = next_json(h, "15 2 * * *", "Australia/Lord_Howe", "2025-10-03T00:00:00Z", 2)
    assert lh[1]["dst_shifted"] is True
    assert lh[1]["local"].startswith("2025-10-05T02:45:00")
    # Feb 29 fires only in leap years.
    feb29 = next_json(h, "0 0 29 2 *", "UTC", "2025-01-01T00:00:00Z", 2)
    assert [f["utc"] for f in feb29] == ["2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"]
    # Day-of-month and day-of-week both restricted: either matches (the 13th, or a Friday).
    orr = next_json(h, "0 0 13 * 5", "UTC", "2025-06-01T00:00:00Z", 3)
    assert [f["utc"] for f in orr] == [
        "2025-06-06T00:00:00Z", "2025-06-13T00:00:00Z", "2025-06-20T00:00:00Z"]


def test_bad_input_exits_2_with_a_clear_message(h):
    r = h.run("schedule", "next", "--cron", "0 25 * * *", "--timezone", "UTC")
    assert r.returncode == 2
    assert "cron field 2 (hour)" in r.stderr
    r = h.run("schedule", "next", "--cron", "0 2 * *", "--timezone", "UTC")
    assert r.returncode == 2 and "cron" in r.stderr
    r = h.run("schedule", "next", "--cron", "0 2 * * *", "--timezone", "Mars/Base")
    assert r.returncode == 2 and "unknown time zone" in r.stderr
    r = h.run("schedule", "next", "--cron", "0 2 * * *", "--from", "yesterday")
    assert r.returncode == 2 and "not a time" in r.stderr
