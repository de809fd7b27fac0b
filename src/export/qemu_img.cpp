#include "export/qemu_img.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>

#include "ops/process.h"

namespace hypersdk::exporter {

namespace {
// The last "(NN.NN/100%)" in `text`, if any.
std::optional<double> last_percent(const std::string& text) {
  const auto end = text.rfind("/100%)");
  if (end == std::string::npos) return std::nullopt;
  const auto open = text.rfind('(', end);
  if (open == std::string::npos) return std::nullopt;
  return std::strtod(text.c_str() + open + 1, nullptr);
}
}  // namespace

namespace {
Result<std::string> run_tool(const std::string& tool, const std::vector<std::string>& args,
                             const QemuImgHooks& hooks) {
  ops::SpawnOptions opts;
  opts.argv = {tool};
  opts.argv.insert(opts.argv.end(), args.begin(), args.end());
  opts.env = {{"PATH", "/usr/local/bin:/usr/bin:/bin"}, {"LC_ALL", "C"}};
  if (const char* p = std::getenv("PATH")) opts.env["PATH"] = p;
  auto child = ops::ChildProcess::spawn(opts);
  if (!child)
    return make_error(
        ErrorClass::not_found,
        "cannot run " + tool + " (install Debian's qemu-utils): " + child.error().message);
  std::string out, err;
  bool out_open = true, err_open = true;
  bool stopped = false;
  while (out_open || err_open) {
    if (!stopped && hooks.cancelled && hooks.cancelled()) {
      child->signal_group(SIGTERM);
      stopped = true;
    }
    pollfd fds[2] = {{out_open ? child->stdout_fd() : -1, POLLIN, 0},
                     {err_open ? child->stderr_fd() : -1, POLLIN, 0}};
    if (::poll(fds, 2, 200) <= 0) continue;
    char buf[4096];
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        (i == 0 ? out_open : err_open) = false;
        continue;
      }
      std::string& sink = i == 0 ? out : err;
      sink.append(buf, static_cast<std::size_t>(n));
      if (i == 0 && hooks.progress)
        if (auto p = last_percent(sink.substr(sink.size() > 64 ? sink.size() - 64 : 0)))
          hooks.progress(*p);
      // A long conversion prints progress for hours: keep only the tail.
      if (i == 0 && hooks.progress && sink.size() > 65536) sink.erase(0, sink.size() - 4096);
    }
  }
  const auto status = child->wait();
  if (stopped) return make_error(ErrorClass::cancelled, tool + " was stopped (cancelled)");
  if (status.code != 0) {
    while (!err.empty() && (err.back() == '\n' || err.back() == '\r')) err.pop_back();
    if (err.empty()) err = out.substr(0, 2000);
    return make_error(ErrorClass::internal, tool + " " + (args.empty() ? std::string() : args[0]) +
                                                " failed (exit " + std::to_string(status.code) +
                                                "): " + err.substr(0, 2000));
  }
  return out;
}
}  // namespace

Result<std::string> qemu_img(const std::vector<std::string>& args, const QemuImgHooks& hooks) {
  return run_tool("qemu-img", args, hooks);
}

Result<std::string> qemu_io(const std::vector<std::string>& args, const QemuImgHooks& hooks) {
  return run_tool("qemu-io", args, hooks);
}

Status qemu_img_convert(const std::string& src, const std::string& src_format,
                        const std::string& dst, const std::string& dst_format,
                        const QemuImgHooks& hooks) {
  std::vector<std::string> args{"convert", "-p", "-f", src_format, "-O", dst_format};
  if (dst_format == "vmdk") args.insert(args.end(), {"-o", "subformat=streamOptimized"});
  args.insert(args.end(), {src, dst});
  auto r = qemu_img(args, hooks);
  if (!r) return r.error();
  return Status::Ok();
}

Result<nlohmann::json> qemu_img_info(const std::string& path) {
  auto r = qemu_img({"info", "--output=json", "-U", path});
  if (!r) return r.error();
  auto j = nlohmann::json::parse(*r, nullptr, false);
  if (!j.is_object())
    return make_error(ErrorClass::internal, "qemu-img info printed no JSON for " + path);
  return j;
}

}  // namespace hypersdk::exporter
