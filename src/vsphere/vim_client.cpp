#include "vsphere/vim_client.h"

#include <chrono>

#include "core/markup_text.h"
#include "vsphere/poll_wait.h"

namespace hypersdk::vsphere {

namespace {
constexpr auto kCallTimeout = std::chrono::seconds(120);

std::string prop_set(const std::string& type, const std::vector<std::string>& paths) {
  std::string s = "<propSet><type>" + core::markup_escape(type) + "</type>";
  for (const auto& p : paths) s += "<pathSet>" + core::markup_escape(p) + "</pathSet>";
  return s + "</propSet>";
}

MoRef moref_of(const XmlNode& n) {
  return MoRef{n.attr("type"), n.text()};
}

// The fault of the first property the server could not read (missingSet), or "". Property
// reads report an ended session this way, per object, rather than as a fault of the call.
std::string missing_fault(const XmlNode& returnval) {
  for (const auto& o : returnval.children("objects"))
    for (const auto& m : o.children("missingSet")) {
      std::string type = m.child("fault").child("fault").attr("type");
      if (type.empty()) type = m.child("fault").attr("type");
      if (auto colon = type.find(':'); colon != std::string::npos) type = type.substr(colon + 1);
      if (!type.empty()) return type;
    }
  return "";
}

void collect(const XmlNode& returnval, const XmlDoc& doc, std::vector<ObjectContent>& out) {
  for (const auto& o : returnval.children("objects")) {
    ObjectContent oc;
    oc.obj = moref_of(o.child("obj"));
    oc.doc = doc;
    for (const auto& p : o.children("propSet"))
      oc.props.emplace_back(p.child_text("name"), p.child("val"));
    out.push_back(std::move(oc));
  }
}
}  // namespace

std::string MoRef::xml(const char* element) const {
  return std::string("<") + element + " type=\"" + core::markup_escape(type) + "\">" +
         core::markup_escape(value) + "</" + element + ">";
}

XmlNode ObjectContent::prop(const std::string& name) const {
  for (const auto& [n, v] : props)
    if (n == name) return v;
  return XmlNode();
}

VimClient::VimClient(std::string url, TlsOptions tls, std::string username, std::string password)
    : soap_(std::move(url), std::move(tls), kCallTimeout),
      username_(std::move(username)),
      password_(std::move(password)) {}

Result<ServiceContent> VimClient::service_content() {
  if (have_content_) return content_;
  auto doc = soap_.call(
      "<RetrieveServiceContent xmlns=\"urn:vim25\"><_this type=\"ServiceInstance\">"
      "ServiceInstance</_this></RetrieveServiceContent>");
  if (!doc) return doc.error();
  XmlNode rv = doc->root().find("returnval");
  if (!rv) return make_error(ErrorClass::internal, "RetrieveServiceContent: no returnval");
  ServiceContent c;
  c.api_version = rv.child("about").child_text("apiVersion");
  c.full_name = rv.child("about").child_text("fullName");
  c.root_folder = rv.child_text("rootFolder");
  c.property_collector = rv.child_text("propertyCollector");
  c.session_manager = rv.child_text("sessionManager");
  c.view_manager = rv.child_text("viewManager");
  c.search_index = rv.child_text("searchIndex");
  if (c.api_version.empty() || c.property_collector.empty() || c.session_manager.empty())
    return make_error(ErrorClass::internal,
                      "RetrieveServiceContent: the answer lacks the API version or the "
                      "property collector; is this a vSphere /sdk endpoint?");
  content_ = c;
  have_content_ = true;
  return content_;
}

Status VimClient::login() {
  auto c = service_content();
  if (!c) return c.error();
  soap_.forget_session();
  logged_in_ = false;
  auto doc = soap_.call("<Login xmlns=\"urn:vim25\">" +
                        MoRef{"SessionManager", c->session_manager}.xml("_this") + "<userName>" +
                        core::markup_escape(username_) + "</userName><password>" +
                        core::markup_escape(password_) + "</password></Login>");
  if (!doc) {
    if (soap_.failure().fault == "InvalidLogin")
      return make_error(ErrorClass::auth, "login as '" + username_ +
                                              "' refused: wrong user name or password "
                                              "(InvalidLogin)");
    return doc.error();
  }
  logged_in_ = true;
  return Status::Ok();
}

Status VimClient::logout() {
  if (!logged_in_) return Status::Ok();
  logged_in_ = false;
  auto doc =
      soap_.call("<Logout xmlns=\"urn:vim25\">" +
                 MoRef{"SessionManager", content_.session_manager}.xml("_this") + "</Logout>");
  soap_.forget_session();
  if (!doc) return doc.error();
  return Status::Ok();
}

Result<XmlNode> VimClient::invoke_once(const std::string& body, XmlDoc* keep) {
  auto doc = soap_.call(body);
  if (!doc) return doc.error();
  *keep = *doc;
  XmlNode first = doc->root().child("Body").child();
  if (!first) return make_error(ErrorClass::internal, "empty SOAP Body in the answer");
  return first;
}

Result<XmlNode> VimClient::invoke(const std::string& body, XmlDoc* keep) {
  if (!logged_in_)
    if (Status s = login(); !s.ok()) return s.error();
  auto r = invoke_once(body, keep);
  if (r || soap_.failure().fault != "NotAuthenticated") return r;
  // The session is gone (expired or terminated on the server): log in again, once.
  if (Status s = relogin(); !s.ok()) return s.error();
  return invoke_once(body, keep);
}

Status VimClient::relogin() {
  logged_in_ = false;
  if (Status s = login(); !s.ok()) return s;
  ++relogins_;
  if (on_relogin) on_relogin("vSphere session expired; logged in again as " + username_);
  return Status::Ok();
}

Result<std::vector<ObjectContent>> VimClient::retrieve_all(const std::string& type,
                                                           const std::vector<std::string>& paths) {
  bool lost = false;
  auto r = retrieve_all_once(type, paths, &lost);
  if (!lost) return r;
  if (Status s = relogin(); !s.ok()) return s.error();
  return retrieve_all_once(type, paths, &lost);
}

Result<std::vector<ObjectContent>> VimClient::retrieve_all_once(
    const std::string& type, const std::vector<std::string>& paths, bool* session_lost) {
  auto c = service_content();
  if (!c) return c.error();
  XmlDoc keep;
  auto view = invoke("<CreateContainerView xmlns=\"urn:vim25\">" +
                         MoRef{"ViewManager", c->view_manager}.xml("_this") +
                         MoRef{"Folder", c->root_folder}.xml("container") + "<type>" +
                         core::markup_escape(type) +
                         "</type><recursive>true</recursive>"
                         "</CreateContainerView>",
                     &keep);
  if (!view) return view.error();
  const MoRef view_ref = moref_of(view->child("returnval"));
  const MoRef pc{"PropertyCollector", c->property_collector};
  std::vector<ObjectContent> out;
  auto answer =
      invoke("<RetrievePropertiesEx xmlns=\"urn:vim25\">" + pc.xml("_this") + "<specSet>" +
                 prop_set(type, paths) + "<objectSet>" + view_ref.xml("obj") +
                 "<skip>true</skip><selectSet xsi:type=\"TraversalSpec\"><name>view</name>"
                 "<type>ContainerView</type><path>view</path><skip>false</skip></selectSet>"
                 "</objectSet></specSet><options/></RetrievePropertiesEx>",
             &keep);
  Status failed;
  while (answer) {
    XmlNode rv = answer->child("returnval");
    if (const std::string fault = missing_fault(rv); !fault.empty()) {
      *session_lost = fault == "NotAuthenticated";
      answer = make_error(fault_class(fault), "reading " + type + " properties: " + fault);
      break;
    }
    collect(rv, keep, out);
    const std::string token = rv.child_text("token");
    if (token.empty()) break;
    answer =
        invoke("<ContinueRetrievePropertiesEx xmlns=\"urn:vim25\">" + pc.xml("_this") + "<token>" +
                   core::markup_escape(token) + "</token></ContinueRetrievePropertiesEx>",
               &keep);
  }
  if (!answer) failed = answer.error();
  XmlDoc ignored;
  (void)invoke("<DestroyView xmlns=\"urn:vim25\">" + view_ref.xml("_this") + "</DestroyView>",
               &ignored);
  if (!failed.ok()) return failed.error();
  return out;
}

Result<ObjectContent> VimClient::retrieve_one(const MoRef& obj,
                                              const std::vector<std::string>& paths) {
  auto c = service_content();
  if (!c) return c.error();
  XmlDoc keep;
  const std::string body = "<RetrievePropertiesEx xmlns=\"urn:vim25\">" +
                           MoRef{"PropertyCollector", c->property_collector}.xml("_this") +
                           "<specSet>" + prop_set(obj.type, paths) + "<objectSet>" +
                           obj.xml("obj") +
                           "<skip>false</skip></objectSet></specSet><options/>"
                           "</RetrievePropertiesEx>";
  auto answer = invoke(body, &keep);
  if (!answer) return answer.error();
  std::string fault = missing_fault(answer->child("returnval"));
  if (fault == "NotAuthenticated") {
    if (Status s = relogin(); !s.ok()) return s.error();
    answer = invoke(body, &keep);
    if (!answer) return answer.error();
    fault = missing_fault(answer->child("returnval"));
  }
  if (!fault.empty())
    return make_error(fault_class(fault), "reading " + obj.type + " " + obj.value + ": " + fault);
  std::vector<ObjectContent> out;
  collect(answer->child("returnval"), keep, out);
  if (out.empty())
    return make_error(ErrorClass::not_found, obj.type + " " + obj.value + " not found");
  return out.front();
}

Result<ObjectContent> VimClient::wait_task(const MoRef& task,
                                           const std::function<bool()>& cancelled) {
  PollWait poll(cancelled);
  for (;;) {
    auto info = retrieve_one(task, {"info.state", "info.error", "info.result"});
    if (!info) return info.error();
    const std::string state = info->text("info.state");
    if (state == "success") return info;
    if (state == "error") {
      XmlNode err = info->prop("info.error");
      std::string type = err.child("fault").attr("type");
      if (auto colon = type.find(':'); colon != std::string::npos) type = type.substr(colon + 1);
      std::string msg = err.child_text("localizedMessage");
      return make_error(fault_class(type), "task " + task.value +
                                               " failed: " + (type.empty() ? "" : type) +
                                               (msg.empty() ? "" : ": " + msg));
    }
    if (!poll.wait()) {
      // Ask vCenter to stop the task too (it rolls back what it can); a task that cannot be
      // cancelled any more answers with a fault, which changes nothing for the job.
      XmlDoc keep;
      (void)invoke("<CancelTask xmlns=\"urn:vim25\">" + task.xml("_this") + "</CancelTask>", &keep);
      return make_error(ErrorClass::cancelled, "cancelled while waiting for task " + task.value);
    }
  }
}

}  // namespace hypersdk::vsphere
