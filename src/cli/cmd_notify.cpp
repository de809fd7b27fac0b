// hypersdk notify list | show | retry | test: the notification outbox (DESIGN §8).
// list/show/retry take the path every read command takes (Context::server_address): the API
// of --server or of the running server, else the outbox in the database (a delivery retried
// there is picked up by the next notifier pass). test sends one event to a receiver from this
// process with this config.
#include <functional>
#include <iostream>

#include "cli/api_client.h"
#include "cli/cmd_notify.h"
#include "cli/output.h"
#include "core/time_text.h"
#include "notify/channels.h"
#include "notify/email.h"
#include "store/outbox.h"
#include "wire/notify_json.h"

namespace hypersdk::cli {
using nlohmann::json;

namespace {

struct Flags {
  std::string status, event, receiver, name;
  std::int64_t id = 0;
  int limit = 50;
  bool json_out = false;
};

// The outbox either through a server's API or in the database.
Result<json> run(Context& ctx, const std::string& api_method, const std::string& api_path,
                 const std::function<Result<json>(store::Outbox&)>& local) {
  auto address = ctx.server_address();
  if (!address) return address.error();
  if (*address) {
    ApiClient api(**address, ctx.token(), ctx.client_tls());
    return api_method == "POST" ? api.post(api_path) : api.get(api_path);
  }
  auto db = ctx.store_backend();
  if (!db) return db.error();
  return local(*(*db)->outbox);
}

void print_list(const json& list) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : list)
    rows.push_back({std::to_string(d["id"].get<std::int64_t>()), d["event"], d["receiver"],
                    d["status"], std::to_string(d["attempts"].get<int>()), d["subject"],
                    d.value("last_error", "")});
  print_table(std::cout, {"ID", "EVENT", "RECEIVER", "STATUS", "ATTEMPTS", "SUBJECT", "LAST ERROR"},
              rows);
}

int notify_test(Context& ctx, const std::string& name) {
  auto cfg = ctx.config();
  if (!cfg) return ctx.fail(cfg.error());
  auto n = ops::notify_config(**cfg);
  if (!n) return ctx.fail(n.error());
  auto it = n->receivers.find(name);
  if (it == n->receivers.end()) {
    std::string known;
    for (const auto& [k, v] : n->receivers) known += (known.empty() ? "" : ", ") + k;
    return ctx.fail(make_error(ErrorClass::not_found,
                               "no receiver '" + name + "' in notifications.receivers (" +
                                   (known.empty() ? "none configured" : "configured: " + known) +
                                   ")"));
  }
  auto r = notify::resolve_receiver(it->second, ops::environ_map());
  if (!r) return ctx.fail(r.error());
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  notify::OutgoingEvent e;
  e.id = 0;
  e.kind = "system.test";
  e.severity = "info";
  e.subject = name;
  e.at = now;
  e.payload = json{{"message", "test notification from hypersdk to receiver " + name}}.dump();
  const auto res = r->config.type == "email" ? notify::send_email(*r, {{e, ""}}, now)
                                             : notify::http_post(notify::build_request(*r, e, now));
  const char* proto = r->config.type == "email" ? "SMTP" : "HTTP";
  if (!res.status) {
    std::cout << name << ": no answer after " << res.latency.count() << " ms: " << res.error
              << "\n";
    return ctx.fail(make_error(ErrorClass::network, "receiver '" + name + "': " + res.error));
  }
  std::cout << name << ": " << proto << " " << *res.status << " in " << res.latency.count()
            << " ms\n";
  if (!res.body.empty()) std::cout << res.body << "\n";
  if (*res.status < 200 || *res.status >= 300)
    return ctx.fail(make_error(
        ErrorClass::unavailable,
        "receiver '" + name + "' answered " + proto + " " + std::to_string(*res.status)));
  return 0;
}

}  // namespace

void add_notify_command(CLI::App& app, Context& ctx) {
  auto f = std::make_shared<Flags>();
  auto* notify = app.add_subcommand("notify", "Notifications: the outbox and its receivers");
  notify->require_subcommand(1);

  auto* list = notify->add_subcommand("list", "List notification deliveries, newest first");
  list->add_option("--status", f->status, "pending, delivered or failed");
  list->add_option("--event", f->event, "Only this event kind (job.failed, ...)");
  list->add_option("--receiver", f->receiver, "Only this receiver");
  list->add_option("--limit", f->limit, "At most this many")->check(CLI::Range(1, 1000));
  list->add_flag("--json", f->json_out, "Print JSON");
  list->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      if (Status s = wire::check_delivery_status(f->status); !s.ok()) return ctx.fail(s.error());
      std::string path = "/api/v1/notifications?limit=" + std::to_string(f->limit);
      if (!f->status.empty()) path += "&status=" + f->status;
      if (!f->event.empty()) path += "&event=" + f->event;
      if (!f->receiver.empty()) path += "&receiver=" + f->receiver;
      auto r = run(ctx, "GET", path, [&](store::Outbox& s) -> Result<json> {
        auto list = s.delivery_list({f->status, f->event, f->receiver, f->limit});
        if (!list) return list.error();
        json out = json::array();
        for (const auto& d : *list) out.push_back(wire::delivery_to_json(d, false));
        return json{{"notifications", out}};
      });
      if (!r) return ctx.fail(r.error());
      if (f->json_out)
        print_json(std::cout, (*r)["notifications"]);
      else
        print_list((*r)["notifications"]);
      return 0;
    };
  });

  auto* show = notify->add_subcommand("show", "One delivery with its event and every attempt");
  show->add_option("--id", f->id, "Delivery id")->required();
  show->add_flag("--json", f->json_out, "Print JSON");
  show->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      auto r = run(ctx, "GET", "/api/v1/notifications/" + std::to_string(f->id),
                   [&](store::Outbox& s) -> Result<json> {
                     auto d = s.delivery_get(f->id);
                     if (!d) return d.error();
                     return wire::delivery_to_json(*d, true);
                   });
      if (!r) return ctx.fail(r.error());
      if (f->json_out) {
        print_json(std::cout, *r);
        return 0;
      }
      const json& d = *r;
      std::cout << d["id"] << "  " << d["event"].get<std::string>() << " -> "
                << d["receiver"].get<std::string>() << "  " << d["status"].get<std::string>()
                << "  (" << d["attempts"] << " attempts)\n";
      std::vector<std::vector<std::string>> rows;
      for (const auto& a : d["history"])
        rows.push_back(
            {std::to_string(a["attempt"].get<int>()), a["at"],
             a.contains("http_status") ? std::to_string(a["http_status"].get<int>()) : "-",
             std::to_string(a["latency_ms"].get<std::int64_t>()) + " ms", a.value("error", "")});
      print_table(std::cout, {"ATTEMPT", "AT", "HTTP", "LATENCY", "ERROR"}, rows);
      std::cout << d["payload"].dump(2) << "\n";
      return 0;
    };
  });

  auto* retry = notify->add_subcommand("retry", "Send a failed delivery again");
  retry->add_option("--id", f->id, "Delivery id")->required();
  retry->add_flag("--json", f->json_out, "Print JSON");
  retry->callback([&ctx, f] {
    ctx.action = [&ctx, f]() -> int {
      auto r = run(ctx, "POST", "/api/v1/notifications/" + std::to_string(f->id) + "/retry",
                   [&](store::Outbox& s) -> Result<json> {
                     const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count();
                     auto d = s.delivery_retry(f->id, now);
                     if (!d) return d.error();
                     return wire::delivery_to_json(*d, false);
                   });
      if (!r) return ctx.fail(r.error());
      if (f->json_out)
        print_json(std::cout, *r);
      else
        std::cout << f->id << ": pending again\n";
      return 0;
    };
  });

  auto* test = notify->add_subcommand(
      "test", "Send a test event to a receiver and print its answer (exit 0 on 2xx)");
  test->add_option("receiver", f->name, "Receiver name (notifications.receivers)")->required();
  test->callback([&ctx, f] { ctx.action = [&ctx, f] { return notify_test(ctx, f->name); }; });
}

}  // namespace hypersdk::cli
