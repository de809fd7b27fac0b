// ova_bench: OVA packaging (exporter::write_ova: ustar, the OVF, one SHA-256 per member and one
// of the whole archive, fsync, rename) of a disk file against `cp` of the same bytes, in the
// same run, alternating, so both see the same machine and page cache.
//   build/ova_bench [DIR] [MiB] [rounds]      (defaults: /tmp, 1024, 3)
// On a machine shared with other work, `chrt -r 10 build/ova_bench` measures the data path
// rather than the share of CPU the scheduler gives it (cp runs under the same policy).
// The disk is random bytes (packaging does not parse it; random defeats any compression).
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "export/ova.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}
// CPU seconds (user + system) of this process's threads, or of its waited-for children.
double cpu_seconds(int who) {
  rusage u{};
  ::getrusage(who, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
}  // namespace

int main(int argc, char** argv) {
  const fs::path base = argc > 1 ? argv[1] : "/tmp";
  const std::uint64_t mib = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1024;
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 3;
  const fs::path dir = base / ("ova_bench-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path disk = dir / "disk.vmdk";
  {
    std::mt19937_64 rng(42);
    std::vector<std::uint64_t> buf(1 << 17);  // 1 MiB
    const int fd = ::open(disk.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    for (std::uint64_t i = 0; i < mib; ++i) {
      for (auto& w : buf) w = rng();
      if (::write(fd, buf.data(), buf.size() * 8) != static_cast<ssize_t>(buf.size() * 8)) return 1;
    }
    ::fsync(fd);
    ::close(fd);
  }
  std::vector<double> cp, ova, cp_cpu, ova_cpu;
  for (int r = 0; r < rounds; ++r) {
    // cp, then sync so its write-back is paid as the OVA's fsync is.
    auto t = Clock::now();
    double c0 = cpu_seconds(RUSAGE_CHILDREN);
    const std::string cmd = "cp " + disk.string() + " " + (dir / "copy.vmdk").string() +
                            " && sync -f " + (dir / "copy.vmdk").string();
    if (std::system(cmd.c_str()) != 0) return 1;
    cp.push_back(seconds_since(t));
    cp_cpu.push_back(cpu_seconds(RUSAGE_CHILDREN) - c0);
    fs::remove(dir / "copy.vmdk");

    t = Clock::now();
    c0 = cpu_seconds(RUSAGE_SELF);
    auto res = hypersdk::exporter::write_ova(
        dir / "vm.ova", "vm", 2, 2048, {{disk, "vm-disk1.vmdk", mib << 20}}, nullptr, nullptr);
    ova.push_back(seconds_since(t));
    ova_cpu.push_back(cpu_seconds(RUSAGE_SELF) - c0);
    if (!res) {
      std::fprintf(stderr, "write_ova: %s\n", res.error().message.c_str());
      return 1;
    }
    fs::remove(dir / "vm.ova");
    std::printf("round %d: cp %.2f s (cpu %.2f s), ova %.2f s (cpu %.2f s)\n", r + 1, cp.back(),
                cp_cpu.back(), ova.back(), ova_cpu.back());
  }
  fs::remove_all(dir);
  const double c = median(cp), o = median(ova);
  std::printf(
      "%llu MiB: cp median %.2f s (%.0f MiB/s), OVA median %.2f s (%.0f MiB/s), ratio %.2f\n",
      static_cast<unsigned long long>(mib), c, static_cast<double>(mib) / c, o,
      static_cast<double>(mib) / o, o / c);
  std::printf("CPU (user+sys) medians: cp %.2f s, OVA %.2f s\n", median(cp_cpu), median(ova_cpu));
  return 0;
}
