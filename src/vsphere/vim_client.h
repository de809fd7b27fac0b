// One vim25 session with a vCenter/ESXi: the service content (API version, the managed
// objects every call starts from), Login/Logout, and invoke(), which logs in again once and
// repeats the call when the server says NotAuthenticated (its session expired or was
// terminated: the spec's "export stuck at 0%: provider auth expired").
// Thread safety: one thread at a time (the provider hands clients out from a pool).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "vsphere/soap_client.h"

namespace hypersdk::vsphere {

struct ServiceContent {
  std::string api_version;  // about.apiVersion, "7.0"
  std::string full_name;    // about.fullName
  std::string root_folder, property_collector, session_manager, view_manager, search_index;
};

// A managed object reference: type and value ("VirtualMachine", "vm-42").
struct MoRef {
  std::string type, value;
  std::string xml(const char* element) const;  // <element type="T">V</element>
};

// One object of a RetrievePropertiesEx answer: its reference and its properties by path.
struct ObjectContent {
  MoRef obj;
  std::vector<std::pair<std::string, XmlNode>> props;  // name -> <val>
  XmlDoc doc;                                          // keeps the nodes alive
  XmlNode prop(const std::string& name) const;
  std::string text(const std::string& name) const { return prop(name).text(); }
};

class VimClient {
 public:
  VimClient(std::string url, TlsOptions tls, std::string username, std::string password);

  // RetrieveServiceContent (no session needed); cached after the first success.
  Result<ServiceContent> service_content();
  Status login();
  Status logout();  // best effort; the session ends anyway when it times out
  // Logs in again after the server ended the session; tells on_relogin.
  Status relogin();
  bool logged_in() const { return logged_in_; }

  // One call with a session: logs in first when there is none, and once more (then repeats
  // the call) when the answer is NotAuthenticated. The answer's first element in Body.
  Result<XmlNode> invoke(const std::string& body, XmlDoc* keep);
  // The properties `paths` of objects of `type` under the container view of the whole
  // inventory (ContainerView + RetrievePropertiesEx, following continuation tokens).
  Result<std::vector<ObjectContent>> retrieve_all(const std::string& type,
                                                  const std::vector<std::string>& paths);
  // Properties of one object. Errors: not_found when it is gone.
  Result<ObjectContent> retrieve_one(const MoRef& obj, const std::vector<std::string>& paths);
  // Polls a task until it succeeds (returns its result <val>, possibly empty) or fails
  // (its fault mapped to a class), polling with PollWait's bounded backoff. `cancelled`
  // stops the wait within PollWait::kSlice, asks vCenter to CancelTask, and returns class
  // cancelled.
  Result<ObjectContent> wait_task(const MoRef& task, const std::function<bool()>& cancelled);

  SoapClient& soap() { return soap_; }
  const CallFailure& failure() const { return soap_.failure(); }
  // Called after a re-login (for the job's log).
  std::function<void(const std::string&)> on_relogin;
  int relogins() const { return relogins_; }

 private:
  Result<XmlNode> invoke_once(const std::string& body, XmlDoc* keep);
  Result<std::vector<ObjectContent>> retrieve_all_once(const std::string& type,
                                                       const std::vector<std::string>& paths,
                                                       bool* session_lost);

  SoapClient soap_;
  std::string username_, password_;
  bool have_content_ = false;
  ServiceContent content_;
  bool logged_in_ = false;
  int relogins_ = 0;
};

}  // namespace hypersdk::vsphere
