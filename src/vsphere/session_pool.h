// At most `max` vim25 sessions per vCenter (config max_sessions), shared by the jobs and
// commands of one provider: acquire() hands out an idle client (logged in already when it
// has been used before, so its connection and session are reused) or makes a new one while
// fewer than `max` exist, else waits for one to come back.
// Thread safety: acquire() from any thread; a Lease is used by the thread that holds it.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "vsphere/vim_client.h"

namespace hypersdk::vsphere {

class SessionPool {
 public:
  using Factory = std::function<std::unique_ptr<VimClient>()>;
  SessionPool(Factory make, int max) : make_(std::move(make)), max_(max < 1 ? 1 : max) {}
  ~SessionPool() {
    for (auto& c : idle_) (void)c->logout();
  }

  class Lease {
   public:
    Lease(SessionPool* pool, std::unique_ptr<VimClient> c) : pool_(pool), c_(std::move(c)) {}
    Lease(Lease&&) = default;
    ~Lease() {
      if (c_) pool_->give_back(std::move(c_));
    }
    VimClient& operator*() { return *c_; }
    VimClient* operator->() { return c_.get(); }

   private:
    SessionPool* pool_;
    std::unique_ptr<VimClient> c_;
  };

  Lease acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !idle_.empty() || total_ < max_; });
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(c));
    }
    ++total_;
    lock.unlock();
    return Lease(this, make_());
  }

 private:
  void give_back(std::unique_ptr<VimClient> c) {
    c->on_relogin = nullptr;
    {
      std::lock_guard lock(mu_);
      idle_.push_back(std::move(c));
    }
    cv_.notify_one();
  }

  Factory make_;
  const int max_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<VimClient>> idle_;  // GUARDED_BY(mu_)
  int total_ = 0;                                 // GUARDED_BY(mu_)
};

}  // namespace hypersdk::vsphere
