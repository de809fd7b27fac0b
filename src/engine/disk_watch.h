// system.disk_low (issue 10): free space on the filesystems hypersdk writes to (the database's
// and the export directory's), checked periodically; an event is raised once when one falls
// under the threshold (critical under a third of it, else warning) and again only after it
// has recovered. Thread safety: one DiskWatch per thread (the maintenance service's).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/job.h"
#include "store/outbox.h"

namespace hypersdk::engine {

class DiskWatch {
 public:
  // paths: {path_kind ("database", "export"), directory}; a directory not yet created is
  // judged by its nearest existing parent.
  DiskWatch(store::Outbox& outbox, std::vector<std::pair<std::string, std::string>> paths,
            int threshold_percent)
      : outbox_(outbox), paths_(std::move(paths)), threshold_(threshold_percent) {}
  Status run_once(core::TimeMs now);

 private:
  store::Outbox& outbox_;
  std::vector<std::pair<std::string, std::string>> paths_;
  int threshold_;
  std::map<std::string, bool> low_;  // by path kind: an event was raised for this episode
};

}  // namespace hypersdk::engine
