// PollWait: the bounded backoff between polls of a vCenter task or lease, and how soon a
// cancel ends a wait. The sleep is a recorder, so no test waits real time.
#include <doctest/doctest.h>

#include <vector>

#include "vsphere/poll_wait.h"

using hypersdk::vsphere::PollWait;
using std::chrono::milliseconds;

namespace {

struct Recorder {
  std::vector<milliseconds> slices;
  milliseconds total() const {
    milliseconds t{0};
    for (auto s : slices) t += s;
    return t;
  }
};

}  // namespace

TEST_CASE("poll wait: the interval doubles from 50 ms and stays at 1 s") {
  Recorder rec;
  PollWait poll({}, [&](milliseconds d) { rec.slices.push_back(d); });
  const std::vector<long> expected{50, 100, 200, 400, 800, 1000, 1000, 1000};
  for (long want : expected) {
    const auto before = rec.total();
    CHECK(poll.interval() == milliseconds(want));
    CHECK(poll.wait());
    CHECK((rec.total() - before) == milliseconds(want));
  }
  for (auto s : rec.slices) CHECK(s <= PollWait::kSlice);
}

TEST_CASE("poll wait: a cancel during a long interval ends the wait within one slice") {
  Recorder rec;
  bool cancel = false;
  PollWait poll([&] { return cancel; },
                [&](milliseconds d) {
                  rec.slices.push_back(d);
                  if (rec.total() >= milliseconds(3000)) cancel = true;  // the operator cancels now
                });
  while (poll.wait()) {
  }
  CHECK(cancel);
  // The wait had grown to 1 s; it returned at the first slice after the cancel.
  CHECK(poll.interval() == PollWait::kLongest);
  CHECK(rec.total() <= milliseconds(3000) + PollWait::kSlice);
}

TEST_CASE("poll wait: cancelled before the wait returns at once without sleeping") {
  Recorder rec;
  PollWait poll([] { return true; }, [&](milliseconds d) { rec.slices.push_back(d); });
  CHECK_FALSE(poll.wait());
  CHECK(rec.slices.empty());
}
