// The notifier honours a receiver's Retry-After exactly: a retry's due time is the answer's
// time plus the wait asked for plus the one millisecond that covers now()'s rounding down
// (notifier.cpp, "retry_at"), never the backoff's shorter delay. On a fixed clock, against a
// real HTTP receiver on loopback and a real SQLite outbox.
#include <doctest/doctest.h>
#include <httplib.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "notify/notifier.h"
#include "store/backend.h"
#include "test_support.h"

using namespace hypersdk;
using namespace std::chrono_literals;

namespace {

Result<ops::LoadedConfig> load(const test::TempDir& dir, const std::string& yaml) {
  const auto path = dir.path() / "c.yaml";
  std::ofstream(path) << yaml;
  ops::LoadOptions o;
  o.path = path;
  o.working_dir = dir.path();
  o.system_dir = dir.path() / "etc";
  return ops::load_config(o);
}

}  // namespace

TEST_CASE("notifier: a retry after 503 with Retry-After: 7 is due exactly 7 s + 1 ms later") {
  httplib::Server rx;
  std::atomic<int> hits{0};
  rx.Post("/hook", [&](const httplib::Request&, httplib::Response& res) {
    ++hits;
    res.status = 503;
    res.set_header("Retry-After", "7");
  });
  const int port = rx.bind_to_any_port("127.0.0.1");
  REQUIRE(port > 0);
  std::thread serving([&] { rx.listen_after_bind(); });
  while (!rx.is_running()) std::this_thread::sleep_for(1ms);

  test::StoreFixture f;
  auto cfg = load(f.dir,
                  "notifications:\n"
                  "  receivers:\n"
                  "    hook: {type: webhook, url: \"http://127.0.0.1:" +
                      std::to_string(port) +
                      "/hook\", allow_private: true}\n"
                      "  routes:\n"
                      "    - {match: {event: system.disk_low}, receivers: [hook]}\n"
                      // The backoff alone would retry within 1 s.
                      "  retry: {base: 100ms, cap: 1s, max_attempts: 5}\n");
  REQUIRE_MESSAGE(cfg.ok(), (cfg.ok() ? "" : cfg.error().message));
  auto plan = notify::make_plan(cfg->config, {});
  REQUIRE_MESSAGE(plan.ok(), (plan.ok() ? "" : plan.error().message));

  constexpr core::TimeMs kNow = 1'700'000'000'000;
  auto outbox = store::StoreBackend::over_sqlite(f.db)->outbox;
  REQUIRE(outbox->event_raise("system.disk_low", "warning", "disk", "{}", kNow).ok());
  notify::NotifierOptions opts;
  opts.now = [] { return kNow; };  // the clock stands still: the due time is exact
  notify::Notifier n(outbox, *plan, opts);
  REQUIRE(n.run_once().ok());  // routes the event and sends its delivery

  std::optional<store::Delivery> d;
  for (int i = 0; i < 1000 && !(d && d->attempts == 1); ++i) {
    std::this_thread::sleep_for(10ms);
    auto list = outbox->delivery_list({});
    REQUIRE(list.ok());
    if (!list->empty()) d = list->front();
  }
  n.stop();
  rx.stop();
  serving.join();
  REQUIRE(d);
  CHECK(hits == 1);
  CHECK(d->attempts == 1);
  CHECK(d->status == "pending");
  CHECK(d->next_attempt_at == kNow + 7'000 + 1);
}
