#include "core/cron_next.h"

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "cron_test_support.h"

namespace hypersdk::core {
namespace {

using std::chrono::sys_seconds;
using testing::local;
using testing::utc;

CronExpr cron(const std::string& text) {
  auto r = parse_cron(text);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  return *r;
}

const date::time_zone* zone(const std::string& name) {
  auto z = find_zone(name);
  REQUIRE_MESSAGE(z.ok(), (z.ok() ? "" : z.error().message));
  return *z;
}

std::vector<sys_seconds> instants(const std::vector<Fire>& fires) {
  std::vector<sys_seconds> out;
  for (const Fire& f : fires) out.push_back(f.utc);
  return out;
}

std::vector<sys_seconds> utcs(std::initializer_list<const char*> isos) {
  std::vector<sys_seconds> out;
  for (const char* s : isos) out.push_back(utc(s));
  return out;
}

// Minute-by-minute oracle, written from the policy text rather than the implementation: every
// real instant whose wall time matches (leaving out second copies of a repeated wall time when
// first_only), plus with shift every matching wall time inside a gap, read with the offset
// before the gap, unless the expression fires at the wall time it lands on.
std::vector<sys_seconds> brute_force(const CronExpr& e, const date::time_zone* z, sys_seconds from,
                                     sys_seconds to, bool first_only, bool shift) {
  using std::chrono::minutes;
  std::set<sys_seconds> out;
  const auto start = date::ceil<minutes>(from + std::chrono::seconds{1});
  for (auto u = start; u < to; u += minutes{1}) {
    auto wall = date::local_seconds{u.time_since_epoch() + z->get_info(u).offset};
    if (!matches(e, wall)) continue;
    auto li = z->get_info(wall);
    if (first_only && li.result == date::local_info::ambiguous &&
        u != sys_seconds{wall.time_since_epoch() - li.first.offset})
      continue;
    out.insert(u);
  }
  if (shift) {
    const auto day = std::chrono::hours{24};
    auto w0 = date::local_seconds{start.time_since_epoch()} - day;
    auto w1 = date::local_seconds{to.time_since_epoch()} + day;
    for (auto w = w0; w < w1; w += minutes{1}) {
      auto li = z->get_info(w);
      if (li.result != date::local_info::nonexistent || !matches(e, w)) continue;
      sys_seconds u{w.time_since_epoch() - li.first.offset};
      auto landed = date::local_seconds{u.time_since_epoch() + li.second.offset};
      if (u > from && u < to && !matches(e, landed)) out.insert(u);
    }
  }
  return {out.begin(), out.end()};
}

TEST_CASE("find_zone resolves IANA names and UTC, and rejects unknown names") {
  CHECK(zone("America/Chicago")->name() == "America/Chicago");
  CHECK(zone("UTC") != nullptr);
  auto bad = find_zone("Mars/Olympus_Mons");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().cls == ErrorClass::invalid);
  CHECK(bad.error().message ==
        "unknown time zone \"Mars/Olympus_Mons\" (want an IANA name such as America/Chicago or "
        "UTC)");
  auto empty = find_zone("");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().message == "empty time zone name");
}

TEST_CASE("DST policy names parse and print") {
  for (DstGap g : {DstGap::shift, DstGap::skip}) CHECK(*parse_dst_gap(to_string(g)) == g);
  for (DstFold f : {DstFold::auto_, DstFold::first, DstFold::both})
    CHECK(*parse_dst_fold(to_string(f)) == f);
  CHECK(to_string(DstFold::auto_) == "auto");
  auto g = parse_dst_gap("forward");
  REQUIRE_FALSE(g.ok());
  CHECK(g.error().cls == ErrorClass::invalid);
  CHECK(g.error().message == "dst_gap \"forward\": want shift or skip");
  auto f = parse_dst_fold("twice");
  REQUIRE_FALSE(f.ok());
  CHECK(f.error().message == "dst_fold \"twice\": want auto, first or both");
}

TEST_CASE("fires strictly after the given instant") {
  const CronExpr e = cron("*/15 * * * *");
  const auto* z = zone("UTC");
  CHECK(next_fire(e, z, utc("2025-01-01T00:00:00Z"))->utc == utc("2025-01-01T00:15:00Z"));
  CHECK(next_fire(e, z, utc("2025-01-01T00:14:59Z"))->utc == utc("2025-01-01T00:15:00Z"));
  CHECK(next_fire(e, z, utc("2025-12-31T23:50:00Z"))->utc == utc("2026-01-01T00:00:00Z"));
}

TEST_CASE("a null zone means UTC") {
  auto f = next_fire(cron("30 2 * * *"), nullptr, utc("2025-03-09T00:00:00Z"));
  REQUIRE(f);
  CHECK(f->utc == utc("2025-03-09T02:30:00Z"));
  CHECK(f->nominal_local == local("2025-03-09T02:30:00"));
}

TEST_CASE("Feb 29 fires every leap year, across the non-leap 2100") {
  const CronExpr e = cron("0 0 29 2 *");
  const auto* z = zone("UTC");
  CHECK(instants(next_fires(e, z, utc("2025-01-01T00:00:00Z"), 3)) ==
        utcs({"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z", "2036-02-29T00:00:00Z"}));
  CHECK(next_fire(e, z, utc("2096-02-29T00:00:00Z"))->utc == utc("2104-02-29T00:00:00Z"));
}

TEST_CASE("an expression that can never fire returns nothing") {
  // parse_cron refuses these; a CronExpr built by hand must still not loop or invent a fire.
  const auto* z = zone("America/Chicago");
  auto only_day = [](const std::string& text, int day) {
    CronExpr e = cron(text);
    e.days_of_month.reset();
    e.days_of_month.set(day);
    return e;
  };
  CHECK_FALSE(next_fire(only_day("0 0 1 2 *", 30), z, utc("2025-01-01T00:00:00Z")));
  CHECK_FALSE(next_fire(only_day("0 0 1 4,6,9,11 *", 31), z, utc("2025-01-01T00:00:00Z")));
  CHECK(next_fires(only_day("0 0 1 APR *", 31), z, utc("2025-01-01T00:00:00Z"), 5).empty());
}

TEST_CASE("OR rule 0 0 13 * 5 fires on the 13th and on Fridays") {
  CHECK(instants(next_fires(cron("0 0 13 * 5"), zone("UTC"), utc("2025-06-01T00:00:00Z"), 8)) ==
        utcs({"2025-06-06T00:00:00Z", "2025-06-13T00:00:00Z", "2025-06-20T00:00:00Z",
              "2025-06-27T00:00:00Z", "2025-07-04T00:00:00Z", "2025-07-11T00:00:00Z",
              "2025-07-13T00:00:00Z", "2025-07-18T00:00:00Z"}));
}

TEST_CASE("Chicago spring forward: 02:30 shifts to 03:30 CDT") {
  auto fires = next_fires(cron("30 2 * * *"), zone("America/Chicago"), utc("2025-03-08T12:00:00Z"),
                          2, DstGap::shift);
  REQUIRE(fires.size() == 2);
  CHECK(fires[0].utc == utc("2025-03-09T08:30:00Z"));  // 03:30 CDT
  CHECK(fires[0].nominal_local == local("2025-03-09T02:30:00"));
  CHECK(fires[0].dst_shifted);
  CHECK_FALSE(fires[0].fold_second);
  CHECK(fires[1].utc == utc("2025-03-10T07:30:00Z"));  // 02:30 CDT
  CHECK_FALSE(fires[1].dst_shifted);
}

TEST_CASE("Chicago spring forward: 02:30 does not fire that day with skip") {
  auto f = next_fire(cron("30 2 * * *"), zone("America/Chicago"), utc("2025-03-08T12:00:00Z"),
                     DstGap::skip);
  REQUIRE(f);
  CHECK(f->utc == utc("2025-03-10T07:30:00Z"));
}

TEST_CASE("a shifted fire is found when asking from just after the gap") {
  // 03:10 CDT: the shifted 02:30 (03:30 CDT) is still ahead.
  auto f = next_fire(cron("30 2 * * *"), zone("America/Chicago"), utc("2025-03-09T08:10:00Z"));
  REQUIRE(f);
  CHECK(f->utc == utc("2025-03-09T08:30:00Z"));
  CHECK(f->dst_shifted);
}

TEST_CASE("a shifted fire never duplicates a real fire") {
  const auto* z = zone("America/Chicago");
  auto fires = next_fires(cron("30 2,3 * * *"), z, utc("2025-03-08T12:00:00Z"), 3);
  CHECK(instants(fires) ==
        utcs({"2025-03-09T08:30:00Z", "2025-03-10T07:30:00Z", "2025-03-10T08:30:00Z"}));
  CHECK_FALSE(fires[0].dst_shifted);  // the real 03:30 CDT
  CHECK(instants(next_fires(cron("0 * * * *"), z, utc("2025-03-09T06:30:00Z"), 3)) ==
        utcs({"2025-03-09T07:00:00Z", "2025-03-09T08:00:00Z", "2025-03-09T09:00:00Z"}));
}

TEST_CASE("a shifted fire comes after real fires that precede it in real time") {
  // Lord Howe 2025-10-05: 02:00-02:29 does not exist. 02:20 shifts to 02:50 +11, which is
  // after the real 02:40 although its wall time is earlier.
  auto fires = next_fires(cron("20,40 2 * * *"), zone("Australia/Lord_Howe"),
                          utc("2025-10-04T12:00:00Z"), 3);
  CHECK(instants(fires) ==
        utcs({"2025-10-04T15:40:00Z", "2025-10-04T15:50:00Z", "2025-10-05T15:20:00Z"}));
  REQUIRE(fires.size() == 3);
  CHECK_FALSE(fires[0].dst_shifted);
  CHECK(fires[1].dst_shifted);
  CHECK(fires[1].nominal_local == local("2025-10-05T02:20:00"));
}

TEST_CASE("Chicago fall back: a fixed 01:30 fires once, in the first 01:30") {
  const auto* z = zone("America/Chicago");
  for (DstFold fold : {DstFold::auto_, DstFold::first}) {
    INFO(to_string(fold));
    auto fires =
        next_fires(cron("30 1 * * *"), z, utc("2025-11-01T12:00:00Z"), 2, DstGap::shift, fold);
    CHECK(instants(fires) == utcs({"2025-11-02T06:30:00Z", "2025-11-03T07:30:00Z"}));
  }
}

TEST_CASE("Chicago fall back: fold both fires a fixed 01:30 in both copies") {
  auto fires = next_fires(cron("30 1 * * *"), zone("America/Chicago"), utc("2025-11-01T12:00:00Z"),
                          3, DstGap::shift, DstFold::both);
  CHECK(instants(fires) ==
        utcs({"2025-11-02T06:30:00Z", "2025-11-02T07:30:00Z", "2025-11-03T07:30:00Z"}));
  REQUIRE(fires.size() == 3);
  CHECK_FALSE(fires[0].fold_second);
  CHECK(fires[1].fold_second);
  CHECK(fires[1].nominal_local == local("2025-11-02T01:30:00"));
}

TEST_CASE("Chicago fall back: hourly fires in both 01:00 hours") {
  auto fires =
      next_fires(cron("0 * * * *"), zone("America/Chicago"), utc("2025-11-02T05:30:00Z"), 3);
  CHECK(instants(fires) ==
        utcs({"2025-11-02T06:00:00Z", "2025-11-02T07:00:00Z", "2025-11-02T08:00:00Z"}));
  REQUIRE(fires.size() == 3);
  CHECK_FALSE(fires[0].fold_second);  // 01:00 CDT
  CHECK(fires[1].fold_second);        // 01:00 CST
  CHECK(fires[2].nominal_local == local("2025-11-02T02:00:00"));
}

TEST_CASE("Chicago fall back: hourly with fold first skips the repeated hour") {
  auto fires = next_fires(cron("0 * * * *"), zone("America/Chicago"), utc("2025-11-02T05:30:00Z"),
                          2, DstGap::shift, DstFold::first);
  CHECK(instants(fires) == utcs({"2025-11-02T06:00:00Z", "2025-11-02T08:00:00Z"}));
}

TEST_CASE("asking from inside the repeated hour finds the fires still ahead in real time") {
  const auto* z = zone("America/Chicago");
  // 01:45 CDT: the next fire is 01:00 CST, although its wall time is earlier.
  CHECK(next_fire(cron("*/30 1 * * *"), z, utc("2025-11-02T06:45:00Z"))->utc ==
        utc("2025-11-02T07:00:00Z"));
  // 01:10 CST (second pass): the next fire is 01:30 CST.
  auto f = next_fire(cron("*/30 * * * *"), z, utc("2025-11-02T07:10:00Z"));
  REQUIRE(f);
  CHECK(f->utc == utc("2025-11-02T07:30:00Z"));
  CHECK(f->fold_second);
}

TEST_CASE("Berlin spring forward: 02:30 shifts to 03:30 CEST, or is skipped") {
  const auto* z = zone("Europe/Berlin");
  auto shifted = next_fire(cron("30 2 * * *"), z, utc("2025-03-29T12:00:00Z"));
  REQUIRE(shifted);
  CHECK(shifted->utc == utc("2025-03-30T01:30:00Z"));
  CHECK(shifted->dst_shifted);
  CHECK(next_fire(cron("30 2 * * *"), z, utc("2025-03-29T12:00:00Z"), DstGap::skip)->utc ==
        utc("2025-03-31T00:30:00Z"));
}

TEST_CASE("Berlin fall back: fixed 02:30 once, every-hour 02:15 twice") {
  const auto* z = zone("Europe/Berlin");
  CHECK(instants(next_fires(cron("30 2 * * *"), z, utc("2025-10-25T12:00:00Z"), 2)) ==
        utcs({"2025-10-26T00:30:00Z", "2025-10-27T01:30:00Z"}));
  CHECK(instants(next_fires(cron("15 * * * *"), z, utc("2025-10-25T23:30:00Z"), 3)) ==
        utcs({"2025-10-26T00:15:00Z", "2025-10-26T01:15:00Z", "2025-10-26T02:15:00Z"}));
}

TEST_CASE("Lord Howe 30-minute spring forward: 02:00-02:29 shift by 30 minutes") {
  const auto* z = zone("Australia/Lord_Howe");
  // 2025-10-05 02:00 +10:30 becomes 02:30 +11 (2025-10-04T15:30Z).
  auto f = next_fire(cron("15 2 * * *"), z, utc("2025-10-04T12:00:00Z"));
  REQUIRE(f);
  CHECK(f->utc == utc("2025-10-04T15:45:00Z"));  // 02:45 +11
  CHECK(f->dst_shifted);
  CHECK(f->nominal_local == local("2025-10-05T02:15:00"));
  CHECK(next_fire(cron("0 2 * * *"), z, utc("2025-10-04T12:00:00Z"))->utc ==
        utc("2025-10-04T15:30:00Z"));
  CHECK(next_fire(cron("0 2 * * *"), z, utc("2025-10-04T12:00:00Z"), DstGap::skip)->utc ==
        utc("2025-10-05T15:00:00Z"));
  // 02:15 would shift onto 02:45, which fires anyway: once.
  CHECK(instants(next_fires(cron("15,45 2 * * *"), z, utc("2025-10-04T12:00:00Z"), 2)) ==
        utcs({"2025-10-04T15:45:00Z", "2025-10-05T15:15:00Z"}));
}

TEST_CASE("Lord Howe 30-minute fall back: 01:30-01:59 repeats") {
  const auto* z = zone("Australia/Lord_Howe");
  // 2025-04-06 02:00 +11 becomes 01:30 +10:30 (2025-04-05T15:00Z).
  CHECK(instants(next_fires(cron("45 1 * * *"), z, utc("2025-04-05T12:00:00Z"), 2)) ==
        utcs({"2025-04-05T14:45:00Z", "2025-04-06T15:15:00Z"}));
  CHECK(instants(next_fires(cron("45 1 * * *"), z, utc("2025-04-05T12:00:00Z"), 2, DstGap::shift,
                            DstFold::both)) ==
        utcs({"2025-04-05T14:45:00Z", "2025-04-05T15:15:00Z"}));
  auto fires = next_fires(cron("*/15 * * * *"), z, utc("2025-04-05T14:20:00Z"), 5);
  CHECK(instants(fires) ==
        utcs({"2025-04-05T14:30:00Z", "2025-04-05T14:45:00Z", "2025-04-05T15:00:00Z",
              "2025-04-05T15:15:00Z", "2025-04-05T15:30:00Z"}));
  REQUIRE(fires.size() == 5);
  CHECK(fires[2].fold_second);
  CHECK(fires[2].nominal_local == local("2025-04-06T01:30:00"));
  CHECK(fires[3].fold_second);
  CHECK_FALSE(fires[4].fold_second);
}

TEST_CASE("fires match a minute-by-minute scan of real time across DST changes") {
  struct Window {
    const char* zone;
    const char* from;
    const char* to;
  };
  const Window windows[] = {
      {"America/Chicago", "2025-03-07T00:00:00Z", "2025-03-12T00:00:00Z"},
      {"America/Chicago", "2025-10-31T00:00:00Z", "2025-11-04T00:00:00Z"},
      {"Europe/Berlin", "2025-03-28T00:00:00Z", "2025-04-01T00:00:00Z"},
      {"Europe/Berlin", "2025-10-24T00:00:00Z", "2025-10-28T00:00:00Z"},
      {"Australia/Lord_Howe", "2025-04-03T00:00:00Z", "2025-04-08T00:00:00Z"},
      {"Australia/Lord_Howe", "2025-10-02T00:00:00Z", "2025-10-07T00:00:00Z"},
      {"UTC", "2025-12-30T00:00:00Z", "2026-01-02T00:00:00Z"},
  };
  // Whether dst_fold auto fires the expression once in a repeated hour, written out by hand
  // from the rule (README, cron.h): a fixed time, one minute value and one hour value such as
  // `30 1 * * *`, fires once; `*`, steps, lists or ranges in the minute or the hour follow real
  // time and fire in both copies. Not read from the parsed expression, so a parser that marks
  // the wrong expressions fixed fails here.
  struct Expr {
    const char* text;
    bool fixed_time;
  };
  const Expr exprs[] = {
      {"*/15 * * * *", false},   {"30 1 * * *", true},     {"0 * * * *", false},
      {"0,30 1-3 * * *", false}, {"*/7 0-4 * * *", false}, {"59 0-2 * * *", false},
      {"45 1,2 * * *", false},   {"* 1 * * *", false},     {"20,40 2 * * *", false},
      {"15 2 * * *", true},      {"* 2 * * *", false},     {"30 2,3 * * *", false},
      {"0 1 * * *", true},       {"30 1-1 * * *", true}};
  for (const Window& w : windows) {
    const auto* z = zone(w.zone);
    for (const Expr& ex : exprs) {
      const char* x = ex.text;
      INFO(w.zone, " ", w.from, " ", x);
      const CronExpr e = cron(x);
      const sys_seconds from = utc(w.from), to = utc(w.to);
      for (DstGap gap : {DstGap::skip, DstGap::shift}) {
        for (DstFold fold : {DstFold::both, DstFold::first, DstFold::auto_}) {
          INFO(to_string(gap), " ", to_string(fold));
          std::vector<sys_seconds> got;
          for (auto f = next_fire(e, z, from, gap, fold); f && f->utc < to;
               f = next_fire(e, z, f->utc, gap, fold))
            got.push_back(f->utc);
          const bool first_only =
              fold == DstFold::first || (fold == DstFold::auto_ && ex.fixed_time);
          CHECK(got == brute_force(e, z, from, to, first_only, gap == DstGap::shift));
        }
      }
    }
  }
}

}  // namespace
}  // namespace hypersdk::core
