// vcsim-hypersdk: VMware's vCenter simulator (govmomi's simulator package, vcsim 0.24) on
// loopback HTTPS, with the two things the tests need that vcsim 0.24 lacks:
//
//   - VirtualMachine.ExportVm: answered by a middleware in front of the SOAP endpoint. It
//     registers an HttpNfcLease whose device URLs serve each VM disk from the simulator's
//     datastore over the ordinary /folder/ URL. The request is first replayed as a property
//     read of the VM, so an unauthenticated call or an unknown VM gets vcsim's own fault.
//   - VirtualMachineSnapshot.ExportSnapshot: the same lease for the snapshot's VM (vcsim keeps
//     no separate snapshot disk files, so it serves the VM's disk).
//   - POST /harness/expire-sessions: terminates every session but the harness's own, as a
//     vCenter does when a session times out ("export stuck at 0%: provider auth expired").
//     With ?after=export it does so right after answering the next ExportVm/ExportSnapshot,
//     so a client meets the expiry in the middle of an export, deterministically.
//   - POST /harness/throttle?bps=N: datastore downloads (/folder/) send N bytes a second
//     (0: full speed), so a test can act while an export's download is under way.
//   - GET /harness/sessions: how many client sessions are open (the harness's own not
//     counted), for checks of a client's session bound.
//   - GET /harness/lease-calls: how many HttpNfcLeaseProgress, HttpNfcLeaseComplete,
//     HttpNfcLeaseAbort and CancelTask calls reached the simulator (JSON), for keep-alive,
//     abort and cancel checks.
//   - POST /harness/hold?what=task|lease: the next snapshot task (CreateSnapshot_Task) or
//     export lease is held: the task reads as "running" and the lease as "initializing"
//     until the client gives up, as a slow vCenter does. CancelTask of a held task ends it
//     in error RequestCanceled and removes the snapshot it made (vCenter rolls it back);
//     vcsim 0.24 itself has no CancelTask and runs every task to its end at once.
//
// Each VM's disk file is created in the datastore from -disk (for example a streamOptimized
// VMDK made by qemu-img), so a test can compare what hypersdk exported with the source.
//
// Built offline from Debian's golang-github-vmware-govmomi-dev (tests/vcsim/build.sh). On
// start it prints one JSON line to stdout: url, username, password, datastore directory,
// the certificate's SHA-256 thumbprint, and the disks it wrote. It runs until killed.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"log"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

type diskFile struct {
	VM        string `json:"vm"`
	Datastore string `json:"datastore"`
	Path      string `json:"path"` // file on the local disk
	URL       string `json:"url"`  // the /folder/ URL the lease hands out
}

type harness struct {
	serverURL *url.URL // https://127.0.0.1:PORT/sdk
	disks     map[string][]diskFile
	client    *vim25.Client // the harness's own session (expire-sessions keeps it)

	mu                sync.Mutex
	expireAfterExport bool                                    // armed by POST /harness/expire-sessions?after=export
	throttle          int64                                   // bytes per second of /folder/ downloads; 0: no limit
	leaseCalls        map[string]int                          // HttpNfcLease method (and CancelTask) -> calls seen
	holdTask          bool                                    // armed by POST /harness/hold?what=task
	holdLease         bool                                    // armed by POST /harness/hold?what=lease
	heldTasks         map[string]types.ManagedObjectReference // task -> the snapshot it made
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	certFile := flag.String("cert", "", "PEM certificate (default: Go's built-in test certificate)")
	keyFile := flag.String("key", "", "PEM private key for -cert")
	disk := flag.String("disk", "", "file copied as every VM's disk (default: 1 MiB of a pattern)")
	username := flag.String("username", "user", "the login user name")
	password := flag.String("password", "pass", "the login password")
	flag.Parse()

	model := simulator.VPX()
	if err := model.Create(); err != nil {
		log.Fatalf("vcsim: create model: %v", err)
	}
	defer model.Remove()

	model.Service.Listen = &url.URL{Host: *listen, User: url.UserPassword(*username, *password)}
	model.Service.TLS = new(tls.Config)
	if *certFile != "" {
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			log.Fatalf("vcsim: load certificate: %v", err)
		}
		model.Service.TLS.Certificates = []tls.Certificate{cert}
	}
	model.Service.ServeMux = http.NewServeMux()
	h := &harness{disks: map[string][]diskFile{}, leaseCalls: map[string]int{},
		heldTasks: map[string]types.ManagedObjectReference{}}
	sdk := &sdkMiddleware{h: h}
	server := model.Service.NewServer()
	defer server.Close()
	h.serverURL = server.URL

	// NewServer registered vcsim's handlers on the mux; the middleware wraps the server's
	// handler in front of them.
	base := server.Server.Config.Handler
	server.Server.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/harness/expire-sessions" {
			h.expireSessions(w, r)
			return
		}
		if r.URL.Path == "/harness/throttle" && r.Method == http.MethodPost {
			var bps int64
			fmt.Sscan(r.URL.Query().Get("bps"), &bps)
			h.mu.Lock()
			h.throttle = bps
			h.mu.Unlock()
			fmt.Fprintf(w, "{\"bps\":%d}\n", bps)
			return
		}
		if r.URL.Path == "/harness/hold" && r.Method == http.MethodPost {
			what := r.URL.Query().Get("what")
			h.mu.Lock()
			switch what {
			case "task":
				h.holdTask = true
			case "lease":
				h.holdLease = true
			default:
				h.mu.Unlock()
				http.Error(w, "what: task or lease", http.StatusBadRequest)
				return
			}
			h.mu.Unlock()
			fmt.Fprintf(w, "{\"held\":%q}\n", what)
			return
		}
		if r.URL.Path == "/harness/sessions" {
			keys, err := h.otherSessions(r.Context())
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			fmt.Fprintf(w, "{\"sessions\":%d}\n", len(keys))
			return
		}
		if r.URL.Path == "/harness/lease-calls" {
			h.mu.Lock()
			b, _ := json.Marshal(h.leaseCalls)
			h.mu.Unlock()
			w.Write(b)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/folder/") {
			h.mu.Lock()
			bps := h.throttle
			h.mu.Unlock()
			if bps > 0 {
				w = &throttled{ResponseWriter: w, bps: bps}
			}
		}
		if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/sdk") {
			sdk.serve(w, r, base)
			return
		}
		base.ServeHTTP(w, r)
	})

	ctx := context.Background()
	c, err := vim25.NewClient(ctx, soap.NewClient(server.URL, true))
	if err != nil {
		log.Fatalf("vcsim: client: %v", err)
	}
	if err := session.NewManager(c).Login(ctx, server.URL.User); err != nil {
		log.Fatalf("vcsim: harness login: %v", err)
	}
	h.client = c
	if err := h.writeDisks(*disk); err != nil {
		log.Fatalf("vcsim: write disks: %v", err)
	}

	leaf := server.Server.TLS.Certificates[0].Certificate[0]
	sum := sha256.Sum256(leaf)
	var thumb []string
	for _, b := range sum {
		thumb = append(thumb, fmt.Sprintf("%02X", b))
	}
	u := *server.URL
	u.User = nil
	var all []diskFile
	for _, d := range h.disks {
		all = append(all, d...)
	}
	info := map[string]interface{}{
		"url":        u.String(),
		"username":   *username,
		"password":   *password,
		"thumbprint": strings.Join(thumb, ":"),
		"disks":      all,
	}
	line, _ := json.Marshal(info)
	fmt.Println(string(line))
	os.Stdout.Sync()
	select {}
}

// writeDisks gives every VM's virtual disks a file in its datastore directory.
func (h *harness) writeDisks(source string) error {
	content := bytes.Repeat([]byte("hypersdk-vcsim-disk\n"), 1<<20/20)
	if source != "" {
		b, err := ioutil.ReadFile(source)
		if err != nil {
			return err
		}
		content = b
	}
	for _, obj := range simulator.Map.All("VirtualMachine") {
		vm := obj.(*simulator.VirtualMachine)
		for _, dev := range vm.Config.Hardware.Device {
			d, ok := dev.(*types.VirtualDisk)
			if !ok {
				continue
			}
			backing, ok := d.Backing.(types.BaseVirtualDeviceFileBackingInfo)
			if !ok {
				continue
			}
			var p datastorePath
			p.parse(backing.GetVirtualDeviceFileBackingInfo().FileName)
			ds := findDatastore(p.datastore)
			if ds == nil {
				continue
			}
			dir := ds.Info.GetDatastoreInfo().Url
			file := filepath.Join(dir, p.path)
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				return err
			}
			if err := ioutil.WriteFile(file, content, 0o644); err != nil {
				return err
			}
			dc := datacenterOf(vm)
			q := url.Values{"dsName": {p.datastore}, "dcPath": {dc}}
			link := url.URL{Scheme: h.serverURL.Scheme, Host: h.serverURL.Host,
				Path: "/folder/" + p.path, RawQuery: q.Encode()}
			h.disks[vm.Self.Value] = append(h.disks[vm.Self.Value],
				diskFile{VM: vm.Name, Datastore: p.datastore, Path: file, URL: link.String()})
		}
	}
	return nil
}

// datastorePath is a datastore path "[LocalDS_0] DC0_H0_VM0/disk1.vmdk".
type datastorePath struct{ datastore, path string }

func (o *datastorePath) parse(s string) {
	if i := strings.Index(s, "]"); strings.HasPrefix(s, "[") && i > 0 {
		o.datastore = s[1:i]
		o.path = strings.TrimSpace(s[i+1:])
		return
	}
	o.path = s
}

func findDatastore(name string) *simulator.Datastore {
	for _, obj := range simulator.Map.All("Datastore") {
		if ds := obj.(*simulator.Datastore); ds.Name == name {
			return ds
		}
	}
	return nil
}

func datacenterOf(vm *simulator.VirtualMachine) string {
	var ref types.ManagedObjectReference = vm.Self
	for {
		e, ok := simulator.Map.Get(ref).(mo.Entity)
		if !ok || e.Entity().Parent == nil {
			return ""
		}
		ref = *e.Entity().Parent
		if ref.Type == "Datacenter" {
			return simulator.Map.Get(ref).(*simulator.Datacenter).Name
		}
	}
}

type sdkMiddleware struct{ h *harness }

// exportVmRequest is the body of a SOAP ExportVm or ExportSnapshot call.
type exportVmRequest struct {
	Body struct {
		ExportVm *struct {
			This types.ManagedObjectReference `xml:"_this"`
		} `xml:"ExportVm"`
		ExportSnapshot *struct {
			This types.ManagedObjectReference `xml:"_this"`
		} `xml:"ExportSnapshot"`
	} `xml:"Body"`
}

func (s *sdkMiddleware) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	body, err := ioutil.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for _, m := range []string{"HttpNfcLeaseProgress", "HttpNfcLeaseComplete", "HttpNfcLeaseAbort",
		"CancelTask"} {
		if bytes.Contains(body, []byte("<"+m)) {
			s.h.mu.Lock()
			s.h.leaseCalls[m]++
			s.h.mu.Unlock()
		}
	}
	if bytes.Contains(body, []byte("<CancelTask")) {
		s.cancelTask(w, r, body, next)
		return
	}
	if bytes.Contains(body, []byte("<CreateSnapshot_Task")) {
		s.h.mu.Lock()
		hold := s.h.holdTask
		s.h.holdTask = false
		s.h.mu.Unlock()
		if hold {
			s.holdTask(w, r, body, next)
			return
		}
	}
	var req exportVmRequest
	if !bytes.Contains(body, []byte("Export")) || xml.Unmarshal(body, &req) != nil ||
		(req.Body.ExportVm == nil && req.Body.ExportSnapshot == nil) {
		r.Body = ioutil.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
		return
	}
	var vmRef types.ManagedObjectReference
	if req.Body.ExportVm != nil {
		vmRef = req.Body.ExportVm.This
	}
	// Let vcsim answer first: it checks the session and the object before it finds that
	// VirtualMachine has no ExportVm method. Any other fault (NotAuthenticated,
	// ManagedObjectNotFound) is vcsim's answer and goes back to the client as it is.
	rec := &recorder{header: http.Header{}}
	r.Body = ioutil.NopCloser(bytes.NewReader(body))
	next.ServeHTTP(rec, r)
	if !bytes.Contains(rec.body.Bytes(), []byte("MethodNotFound")) {
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		w.WriteHeader(rec.status)
		w.Write(rec.body.Bytes())
		return
	}
	if req.Body.ExportSnapshot != nil {
		snap, ok := simulator.Map.Get(req.Body.ExportSnapshot.This).(*simulator.VirtualMachineSnapshot)
		if !ok {
			http.Error(w, "no such snapshot", http.StatusInternalServerError)
			return
		}
		vmRef = snap.Vm
	}
	vm, ok := simulator.Map.Get(vmRef).(*simulator.VirtualMachine)
	if !ok {
		http.Error(w, "no such VM", http.StatusInternalServerError)
		return
	}
	s.h.mu.Lock()
	state := types.HttpNfcLeaseStateReady
	if s.h.holdLease {
		state = types.HttpNfcLeaseStateInitializing
		s.h.holdLease = false
	}
	s.h.mu.Unlock()
	lease := &simulator.HttpNfcLease{HttpNfcLease: mo.HttpNfcLease{
		Info:  &types.HttpNfcLeaseInfo{Entity: vmRef, LeaseTimeout: 300},
		State: state,
	}}
	var totalKB int64
	for i, d := range s.h.disks[vmRef.Value] {
		st, err := os.Stat(d.Path)
		if err == nil {
			totalKB += (st.Size() + 1023) / 1024
		}
		lease.Info.DeviceUrl = append(lease.Info.DeviceUrl, types.HttpNfcLeaseDeviceUrl{
			Key:       fmt.Sprintf("/%s/VirtualLsiLogicController0:%d", vm.Name, i),
			ImportKey: fmt.Sprintf("/%s/VirtualLsiLogicController0:%d", vm.Name, i),
			Url:       d.URL,
			TargetId:  path.Base(d.Path),
			Disk:      types.NewBool(true),
		})
	}
	lease.Info.TotalDiskCapacityInKB = totalKB
	simulator.Map.Put(lease)
	s.h.mu.Lock()
	expire := s.h.expireAfterExport
	s.h.expireAfterExport = false
	s.h.mu.Unlock()
	if expire {
		// Before the answer goes out, so the client's next call meets the expiry.
		if _, err := s.h.expireAll(r.Context()); err != nil {
			log.Printf("vcsim: expire after export: %v", err)
		}
	}
	method := "ExportVm"
	if req.Body.ExportSnapshot != nil {
		method = "ExportSnapshot"
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>
<%sResponse xmlns="urn:vim25"><returnval type="HttpNfcLease">%s</returnval></%sResponse>
</soapenv:Body></soapenv:Envelope>`, method, xmlEscape(lease.Self.Value), method)
}

var (
	taskReturnRe = regexp.MustCompile(`<returnval type="Task">([^<]+)</returnval>`)
	cancelThisRe = regexp.MustCompile(`<_this type="Task">([^<]+)</_this>`)
)

// holdTask lets vcsim run the snapshot task (it does so at once), then sets the task back
// to "running" so the client keeps polling it, as it would a slow vCenter task.
func (s *sdkMiddleware) holdTask(w http.ResponseWriter, r *http.Request, body []byte,
	next http.Handler) {
	rec := &recorder{header: http.Header{}}
	r.Body = ioutil.NopCloser(bytes.NewReader(body))
	next.ServeHTTP(rec, r)
	if m := taskReturnRe.FindSubmatch(rec.body.Bytes()); m != nil {
		ref := types.ManagedObjectReference{Type: "Task", Value: string(m[1])}
		if task, ok := simulator.Map.Get(ref).(*simulator.Task); ok {
			var snap types.ManagedObjectReference
			if res, ok := task.Info.Result.(types.ManagedObjectReference); ok {
				snap = res
			}
			simulator.Map.Update(task, []types.PropertyChange{
				{Name: "info.state", Val: types.TaskInfoStateRunning},
				{Name: "info.completeTime", Val: nil},
			})
			s.h.mu.Lock()
			s.h.heldTasks[ref.Value] = snap
			s.h.mu.Unlock()
		}
	}
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	w.WriteHeader(rec.status)
	w.Write(rec.body.Bytes())
}

// cancelTask ends a held task in error RequestCanceled and removes the snapshot it made;
// any other task goes to vcsim (which answers MethodNotFound: vcsim 0.24 cannot cancel).
func (s *sdkMiddleware) cancelTask(w http.ResponseWriter, r *http.Request, body []byte,
	next http.Handler) {
	m := cancelThisRe.FindSubmatch(body)
	var snap types.ManagedObjectReference
	held := false
	if m != nil {
		s.h.mu.Lock()
		snap, held = s.h.heldTasks[string(m[1])]
		delete(s.h.heldTasks, string(m[1]))
		s.h.mu.Unlock()
	}
	if !held {
		r.Body = ioutil.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
		return
	}
	ref := types.ManagedObjectReference{Type: "Task", Value: string(m[1])}
	if task, ok := simulator.Map.Get(ref).(*simulator.Task); ok {
		simulator.Map.Update(task, []types.PropertyChange{
			{Name: "info.state", Val: types.TaskInfoStateError},
			{Name: "info.result", Val: nil},
			{Name: "info.error", Val: types.LocalizedMethodFault{
				Fault: &types.RequestCanceled{}, LocalizedMessage: "The task was canceled by a user."}},
		})
	}
	if snap.Value != "" {
		if _, err := methods.RemoveSnapshot_Task(r.Context(), s.h.client,
			&types.RemoveSnapshot_Task{This: snap}); err != nil {
			log.Printf("vcsim: roll back snapshot %s: %v", snap.Value, err)
		}
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>
<CancelTaskResponse xmlns="urn:vim25"></CancelTaskResponse>
</soapenv:Body></soapenv:Envelope>`)
}

// expireSessions terminates every session except the harness's own; with ?after=export it
// arms that for the moment after the next export lease is handed out.
func (h *harness) expireSessions(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	if r.URL.Query().Get("after") == "export" {
		h.mu.Lock()
		h.expireAfterExport = true
		h.mu.Unlock()
		fmt.Fprintf(w, "{\"armed\":true}\n")
		return
	}
	n, err := h.expireAll(r.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	fmt.Fprintf(w, "{\"expired\":%d}\n", n)
}

func (h *harness) expireAll(ctx context.Context) (int, error) {
	keys, err := h.otherSessions(ctx)
	if err != nil {
		return 0, err
	}
	if len(keys) > 0 {
		if err := session.NewManager(h.client).TerminateSession(ctx, keys); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

// otherSessions lists the keys of every session but the harness's own.
func (h *harness) otherSessions(ctx context.Context) ([]string, error) {
	own, err := session.NewManager(h.client).UserSession(ctx)
	if err != nil || own == nil {
		return nil, fmt.Errorf("harness session: %v", err)
	}
	var sm mo.SessionManager
	if err := mo.RetrieveProperties(ctx, h.client, h.client.ServiceContent.PropertyCollector,
		*h.client.ServiceContent.SessionManager, &sm); err != nil {
		return nil, err
	}
	var keys []string
	for _, s := range sm.SessionList {
		if s.Key != own.Key {
			keys = append(keys, s.Key)
		}
	}
	return keys, nil
}

// throttled writes at most bps bytes a second, in chunks of up to 16 KiB.
type throttled struct {
	http.ResponseWriter
	bps int64
}

func (t *throttled) Write(b []byte) (int, error) {
	written := 0
	for written < len(b) {
		n := len(b) - written
		if n > 16<<10 {
			n = 16 << 10
		}
		m, err := t.ResponseWriter.Write(b[written : written+n])
		written += m
		if err != nil {
			return written, err
		}
		if f, ok := t.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
		time.Sleep(time.Duration(int64(n) * int64(time.Second) / t.bps))
	}
	return written, nil
}

type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(s int) { r.status = s }

func xmlEscape(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
