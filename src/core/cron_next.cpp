#include "core/cron_next.h"

#include <algorithm>
#include <array>
#include <exception>
#include <string>

namespace hypersdk::core {
namespace {

using std::chrono::seconds;
using std::chrono::sys_seconds;

// The slice of a zone's history around an instant. A null zone is UTC forever.
struct Span {
  sys_seconds begin;
  sys_seconds end;
  seconds offset;
};

Span span_at(const date::time_zone* zone, sys_seconds t) {
  if (zone == nullptr) return {sys_seconds::min(), sys_seconds::max(), seconds{0}};
  date::sys_info i = zone->get_info(t);
  return {i.begin, i.end, i.offset};
}

date::local_info local_at(const date::time_zone* zone, date::local_seconds t) {
  if (zone == nullptr) {
    date::local_info li{};
    li.result = date::local_info::unique;
    li.first = date::sys_info{sys_seconds::min(), sys_seconds::max(), seconds{0},
                              std::chrono::minutes{0}, "UTC"};
    return li;
  }
  return zone->get_info(t);
}

sys_seconds to_sys(date::local_seconds t, seconds offset) {
  return sys_seconds{t.time_since_epoch() - offset};
}

date::local_seconds to_local(sys_seconds t, seconds offset) {
  return date::local_seconds{t.time_since_epoch() + offset};
}

// Largest UTC offset in force anywhere in [from, to]; starts from the span holding `from`.
seconds max_offset(const date::time_zone* zone, const Span& here, sys_seconds to) {
  seconds m = here.offset;
  for (sys_seconds t = here.end; t <= to;) {
    Span s = span_at(zone, t);
    m = std::max(m, s.offset);
    t = s.end;
  }
  return m;
}

// The fires (0, 1 or 2) that wall time t produces under the DST policies, in UTC order.
int fires_at(const CronExpr& e, const date::time_zone* zone, date::local_seconds t, DstGap gap,
             bool fold_both, std::array<Fire, 2>& out) {
  date::local_info li = local_at(zone, t);
  switch (li.result) {
    case date::local_info::unique:
      out[0] = Fire{to_sys(t, li.first.offset), t, false, false};
      return 1;
    case date::local_info::nonexistent: {
      if (gap == DstGap::skip) return 0;
      sys_seconds shifted = to_sys(t, li.first.offset);
      // Where the shift lands is a real wall time; if the expression fires there anyway, that
      // real fire stands and the shifted one would be a duplicate.
      if (matches(e, to_local(shifted, li.second.offset))) return 0;
      out[0] = Fire{shifted, t, true, false};
      return 1;
    }
    case date::local_info::ambiguous:
      out[0] = Fire{to_sys(t, li.first.offset), t, false, false};
      if (!fold_both) return 1;
      out[1] = Fire{to_sys(t, li.second.offset), t, false, true};
      return 2;
  }
  return 0;
}

}  // namespace

std::string_view to_string(DstGap g) {
  return g == DstGap::shift ? "shift" : "skip";
}

std::string_view to_string(DstFold f) {
  switch (f) {
    case DstFold::auto_:
      return "auto";
    case DstFold::first:
      return "first";
    case DstFold::both:
      return "both";
  }
  return "auto";
}

Result<DstGap> parse_dst_gap(std::string_view s) {
  if (s == "shift") return DstGap::shift;
  if (s == "skip") return DstGap::skip;
  return Error{ErrorClass::invalid, "dst_gap \"" + std::string(s) + "\": want shift or skip"};
}

Result<DstFold> parse_dst_fold(std::string_view s) {
  if (s == "auto") return DstFold::auto_;
  if (s == "first") return DstFold::first;
  if (s == "both") return DstFold::both;
  return Error{ErrorClass::invalid,
               "dst_fold \"" + std::string(s) + "\": want auto, first or both"};
}

Result<const date::time_zone*> find_zone(std::string_view name) {
  if (name.empty()) return Error{ErrorClass::invalid, "empty time zone name"};
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return Error{ErrorClass::invalid, "unknown time zone \"" + std::string(name) +
                                          "\" (want an IANA name such as America/Chicago or UTC)"};
  }
}

std::optional<Fire> next_fire(const CronExpr& e, const date::time_zone* zone, sys_seconds after,
                              DstGap gap, DstFold fold) {
  const sys_seconds from = after + seconds{1};
  const bool fold_both =
      fold == DstFold::both || (fold == DstFold::auto_ && !(e.minute_fixed && e.hour_fixed));

  // The lowest wall time that can map to an instant >= from. Near a transition it is lower
  // than from's own wall time: the second copy of a repeated hour (next span has a smaller
  // offset) or a gap time shifted with the previous span's offset.
  const Span here = span_at(zone, from);
  seconds low = here.offset;
  if (here.begin > from - date::days{1})
    low = std::min(low, span_at(zone, here.begin - seconds{1}).offset);
  if (here.end < from + date::days{1}) low = std::min(low, span_at(zone, here.end).offset);

  const date::local_seconds until = to_local(from, here.offset) + kSearchHorizon;
  date::local_seconds scan = to_local(from, low);
  date::local_seconds stop = until;
  std::optional<Fire> best;
  std::array<Fire, 2> buf;
  // Wall-time order equals UTC order except across a fold or a shifted gap, where a later wall
  // time can fire earlier. A wall time w fires at w - offset, so once w >= best + (largest
  // offset up to best) nothing later can beat best.
  while (auto t = next_local_match(e, scan, stop)) {
    int n = fires_at(e, zone, *t, gap, fold_both, buf);
    for (int i = 0; i < n; ++i) {
      if (buf[i].utc < from || (best && buf[i].utc >= best->utc)) continue;
      best = buf[i];
      stop = std::min(until, to_local(best->utc, max_offset(zone, here, best->utc)));
    }
    scan = *t + std::chrono::minutes{1};
  }
  return best;
}

std::vector<Fire> next_fires(const CronExpr& e, const date::time_zone* zone, sys_seconds after,
                             std::size_t count, DstGap gap, DstFold fold) {
  std::vector<Fire> out;
  out.reserve(std::min<std::size_t>(count, 1024));
  while (out.size() < count) {
    std::optional<Fire> f = next_fire(e, zone, after, gap, fold);
    if (!f) break;
    out.push_back(*f);
    after = f->utc;
  }
  return out;
}

}  // namespace hypersdk::core
