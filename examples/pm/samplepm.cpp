// samplepm.cpp: a sample protocol manager, written only against the C++
// mirror of the SDK classes (include/wpframework.hpp), the way a protocol
// manager for IIS is written. customaction loads it with ca.load; the
// specs and `make demo` drive it. What it does (docs/foreign.md has the
// details):
//
// IPmCustomActions (GetPmInterface(PM_CUSTOM_ACTIONS_ID)): answers
// synchronously, like IIS's core protocol manager: ReportResult is called
// on the caller's thread inside RunCustomAction, the buffer is freed after
// it returns, and RunCustomAction returns what ReportResult returned.
// Unknown names get E_NOTIMPL and no report. Actions:
//   Echo      the argument back, UTF-16LE
//   AppPool   APP_POOL_NAME read through IWpfSettings, UTF-16LE
//   Listing   an application-domain listing for the application ids in
//             the argument (separated by ';'), read through
//             IWpfApplicationInfoUtil: DWORD count, then per record DWORD
//             site id, DWORD idle flag, and three strings (domain id,
//             virtual path, physical path), each a DWORD character count
//             then UTF-16LE padded to 4 bytes
//   Fail      IWpfActions::FailWorkerProcess(argument, E_FAIL, FALSE); the
//             protocol manager reports unhealthy from then on
//   Recycle   IWpfActions::RecycleWorkerProcess(argument)
//   Refs      "addrefs=N releases=M": the counts of AddRef and Release it
//             made on objects it received
//   Version   "major.minor" from IWorkerProcessFramework::GetInterfaceVersion
//   Clock     "virtual" or "real" switches its clock; "advance=N" moves
//             the virtual clock N ms and returns once every report due
//             has been made; answers "now=T"
// IPmCustomActions2 (GetCustomInterface(2)): streams from a thread of its
// own: Counters ("every=MS;count=N", default 100 ms and 5: "n=1".."n=N",
// the last final) and Ticker ("every=MS": "tick N" until unregistered).
// Either takes "fail=N": at its N-th report the thread calls
// FailWorkerProcess("stream failed", E_FAIL, FALSE) (the documented trigger
// from a thread of its own; the Fail action is the one from the caller's).
// Unregistering sends one final E_ABORT report, then releases.
// IPmHealthAndIdleMonitor: CheckHealth answers from its thread; CheckIdle
// is TRUE when nothing is registered.
// Shutdown stops every stream (final E_ABORT), answers pending health
// checks, joins its thread, releases the framework, and returns S_OK only
// if every AddRef it made was balanced by a Release (E_UNEXPECTED if not).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <list>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "wpframework.hpp"

#if defined(_WIN32)
#define SAMPLE_EXPORT extern "C" __declspec(dllexport)
#else
#define SAMPLE_EXPORT extern "C" __attribute__((visibility("default")))
#endif

namespace {

const HRESULT S_OK_ = 0, S_FALSE_ = 1;
const HRESULT E_NOTIMPL_ = (HRESULT)0x80004001, E_POINTER_ = (HRESULT)0x80004003;
const HRESULT E_ABORT_ = (HRESULT)0x80004004, E_FAIL_ = (HRESULT)0x80004005;
const HRESULT E_UNEXPECTED_ = (HRESULT)0x8000FFFF;
const HRESULT E_ILLEGAL_METHOD_CALL_ = (HRESULT)0x8000000E;
const HRESULT E_ALREADY_EXISTS_ = WPF_HRESULT_FROM_WIN32(183);
const HRESULT E_NOT_FOUND_ = WPF_HRESULT_FROM_WIN32(1168);
const HRESULT E_ACCESS_DENIED_ = WPF_HRESULT_FROM_WIN32(5);
const DWORD ACTIONS2_ID = 2;

typedef std::vector<WCHAR> wstr;   // UTF-16 units, no NUL

wstr wide(PCWSTR s) {
  wstr w;
  if (s != nullptr)
    while (*s) w.push_back(*s++);
  return w;
}

// ASCII and UTF-8 to UTF-16 (the sample's own texts are ASCII; arguments
// come in as UTF-16 and go back out unchanged)
wstr wide(const std::string &s) {
  wstr w;
  for (size_t i = 0; i < s.size(); i++) w.push_back((unsigned char)s[i]);
  return w;
}

std::string narrow(const wstr &w) {   // ASCII only; others become '?'
  std::string s;
  for (WCHAR c : w) s.push_back(c < 128 ? (char)c : '?');
  return s;
}

bool equals(PCWSTR s, const char *ascii) {
  if (s == nullptr) return false;
  for (; *ascii; s++, ascii++)
    if (*s != (unsigned char)*ascii) return false;
  return *s == 0;
}

// "every=10;count=3" -> the value of key, or dflt
long option(const std::string &args, const char *key, long dflt) {
  std::string k = std::string(key) + "=";
  size_t at = args.find(k);
  if (at == std::string::npos || (at > 0 && args[at - 1] != ';')) return dflt;
  return std::atol(args.c_str() + at + k.size());
}

struct Bytes {
  std::vector<BYTE> b;
  void u32(DWORD v) {
    for (int i = 0; i < 4; i++) b.push_back((BYTE)(v >> (8 * i)));
  }
  void units(const wstr &w) {
    for (WCHAR c : w) { b.push_back((BYTE)c); b.push_back((BYTE)(c >> 8)); }
  }
  void counted(const wstr &w) {
    u32((DWORD)w.size());
    units(w);
    while (b.size() % 4) b.push_back(0);
  }
};

class SamplePm;

// Each interface of the protocol manager is a member object sharing the
// protocol manager's reference count.
class Actions : public wpf::IPmCustomActions {
 public:
  explicit Actions(SamplePm *pm) : pm_(pm) {}
  ULONG WPF_METHOD AddRef() override;
  ULONG WPF_METHOD Release() override;
  HRESULT WPF_METHOD RunCustomAction(PCWSTR name, PCWSTR args,
                          wpf::ICustomActionResultCallback *cb) override;
 private:
  SamplePm *pm_;
};

class Actions2 : public wpf::IPmCustomActions2 {
 public:
  explicit Actions2(SamplePm *pm) : pm_(pm) {}
  ULONG WPF_METHOD AddRef() override;
  ULONG WPF_METHOD Release() override;
  HRESULT WPF_METHOD RegisterCustomActionCallback(PCWSTR name, PCWSTR args,
                                       wpf::ICustomAction2ResultCallback *cb) override;
  HRESULT WPF_METHOD UnregisterCustomActionCallback(PCWSTR name) override;
 private:
  SamplePm *pm_;
};

class Monitor : public wpf::IPmHealthAndIdleMonitor {
 public:
  explicit Monitor(SamplePm *pm) : pm_(pm) {}
  ULONG WPF_METHOD AddRef() override;
  ULONG WPF_METHOD Release() override;
  HRESULT WPF_METHOD CheckIdle(BOOL *idle) override;
  HRESULT WPF_METHOD CheckHealth(wpf::IHealthStatusCallback *cb) override;
 private:
  SamplePm *pm_;
};

struct Registration {
  wstr name;
  wpf::ICustomAction2ResultCallback *cb;
  long every, count, sent, fail_at;
  int64_t due;
  bool stop;
};

class SamplePm final : public wpf::IProtocolManager {
 public:
  explicit SamplePm(wpf::IWorkerProcessFramework *fw)
      : refs_(1), fw_(fw), actions_(this), actions2_(this), monitor_(this),
        start_(std::chrono::steady_clock::now()) {
    take(fw_);
    thread_ = std::thread([this] { Run(); });
  }

  ULONG WPF_METHOD AddRef() override { return ++refs_; }
  ULONG WPF_METHOD Release() override {
    ULONG r = --refs_;
    if (r == 0) delete this;
    return r;
  }

  HRESULT WPF_METHOD GetPmInterface(PM_INTERFACE_ID_ENUM id, PVOID *out) override {
    if (out == nullptr) return E_POINTER_;
    *out = nullptr;
    wpf::IWpfReferencedObject *p = nullptr;
    if (id == PM_CUSTOM_ACTIONS_ID) p = &actions_;
    else if (id == PM_HEALTH_AND_IDLE_MONITOR_ID) p = &monitor_;
    if (p == nullptr) return E_NOTIMPL_;
    p->AddRef();   // an out-parameter carries a reference
    *out = p;
    return S_OK_;
  }

  HRESULT WPF_METHOD GetCustomInterface(DWORD id, PVOID *out) override {
    if (out == nullptr) return E_POINTER_;
    *out = nullptr;
    if (id != ACTIONS2_ID) return E_NOTIMPL_;
    actions2_.AddRef();
    *out = static_cast<wpf::IPmCustomActions2 *>(&actions2_);
    return S_OK_;
  }

  HRESULT WPF_METHOD Shutdown(BOOL immediate) override {
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (shut_) return S_FALSE_;
      shut_ = true;
      quit_ = true;
      for (Registration &r : regs_) r.stop = true;
    }
    (void)immediate;   // streams end the same way either way
    cv_.notify_all();
    thread_.join();
    drop(fw_);
    return addrefs_ == releases_ ? S_OK_ : E_UNEXPECTED_;
  }

  // ---- what the interfaces do ----

  HRESULT Run(PCWSTR name, PCWSTR args, wpf::ICustomActionResultCallback *cb);
  HRESULT Register(PCWSTR name, PCWSTR args, wpf::ICustomAction2ResultCallback *cb);
  HRESULT Unregister(PCWSTR name);
  HRESULT CheckIdle(BOOL *idle) {
    if (idle == nullptr) return E_POINTER_;
    std::lock_guard<std::mutex> lk(mu_);
    *idle = regs_.empty();
    return S_OK_;
  }
  HRESULT CheckHealth(wpf::IHealthStatusCallback *cb) {
    if (cb == nullptr) return E_POINTER_;
    std::lock_guard<std::mutex> lk(mu_);
    if (quit_) return E_ILLEGAL_METHOD_CALL_;
    take(cb);
    health_.push_back(cb);
    cv_.notify_all();
    return S_OK_;
  }

 private:
  ~SamplePm() {
    if (!shut_) Shutdown(1);
  }

  template <class T> void take(T *p) { ++addrefs_; p->AddRef(); }
  template <class T> void drop(T *p) { ++releases_; p->Release(); }

  int64_t Now() {   // mu_ held
    if (virtual_) return vnow_;
    return std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start_).count();
  }

  bool Answer(std::unique_lock<std::mutex> &lk);
  bool Step(std::unique_lock<std::mutex> &lk);
  void Run();
  HRESULT Setting(WPF_SETTINGS_STRING_ENUM id, wstr *out);
  HRESULT Listing(const wstr &args, Bytes *out);
  void Request(bool fail, PCWSTR reason);
  std::string Clock(const std::string &args);

  std::atomic<ULONG> refs_;
  std::atomic<long> addrefs_{0}, releases_{0};
  std::atomic<bool> healthy_{true};
  wpf::IWorkerProcessFramework *fw_;
  Actions actions_;
  Actions2 actions2_;
  Monitor monitor_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_, done_;
  std::list<Registration> regs_;
  std::vector<wpf::IHealthStatusCallback *> health_;
  bool quit_ = false, shut_ = false, virtual_ = false;
  int64_t vnow_ = 0, requested_ = 0, served_ = 0;
  std::thread thread_;
};

ULONG WPF_METHOD Actions::AddRef() { return pm_->AddRef(); }
ULONG WPF_METHOD Actions::Release() { return pm_->Release(); }
HRESULT WPF_METHOD Actions::RunCustomAction(PCWSTR name, PCWSTR args,
                                 wpf::ICustomActionResultCallback *cb) {
  return pm_->Run(name, args, cb);
}
ULONG WPF_METHOD Actions2::AddRef() { return pm_->AddRef(); }
ULONG WPF_METHOD Actions2::Release() { return pm_->Release(); }
HRESULT WPF_METHOD Actions2::RegisterCustomActionCallback(PCWSTR name, PCWSTR args,
                                               wpf::ICustomAction2ResultCallback *cb) {
  return pm_->Register(name, args, cb);
}
HRESULT WPF_METHOD Actions2::UnregisterCustomActionCallback(PCWSTR name) {
  return pm_->Unregister(name);
}
ULONG WPF_METHOD Monitor::AddRef() { return pm_->AddRef(); }
ULONG WPF_METHOD Monitor::Release() { return pm_->Release(); }
HRESULT WPF_METHOD Monitor::CheckIdle(BOOL *idle) { return pm_->CheckIdle(idle); }
HRESULT WPF_METHOD Monitor::CheckHealth(wpf::IHealthStatusCallback *cb) {
  return pm_->CheckHealth(cb);
}

// ---- settings, application info and actions, through the framework ----

HRESULT SamplePm::Setting(WPF_SETTINGS_STRING_ENUM id, wstr *out) {
  wpf::IWpfSettings *settings = nullptr;
  HRESULT hr = fw_->GetWpfInterface(WPF_SETTINGS_ID, (PVOID *)&settings);
  if (hr < 0) return hr;
  ++addrefs_;   // the reference GetWpfInterface handed over
  DWORD cch = 0;
  hr = settings->GetStringProperty(id, nullptr, &cch);   // the size query
  if (hr == WPF_HRESULT_FROM_WIN32(122) && cch > 0) {
    std::vector<WCHAR> buf(cch);
    hr = settings->GetStringProperty(id, buf.data(), &cch);
    if (hr >= 0) *out = wide(buf.data());
  }
  drop(settings);
  return hr;
}

HRESULT SamplePm::Listing(const wstr &args, Bytes *out) {
  wpf::IWpfApplicationInfoUtil *info = nullptr;
  HRESULT hr = fw_->GetWpfInterface(WPF_APPLICATION_INFO_UTIL_ID, (PVOID *)&info);
  if (hr < 0) return hr;
  ++addrefs_;
  std::vector<wstr> ids(1);
  for (WCHAR c : args) {
    if (c == ';') ids.push_back(wstr()); else ids.back().push_back(c);
  }
  if (args.empty()) ids.clear();
  out->u32((DWORD)ids.size());
  for (size_t i = 0; i < ids.size() && hr >= 0; i++) {
    wstr id = ids[i];
    id.push_back(0);
    DWORD cch = 0, site = 0;
    hr = info->GetApplicationPropertiesFromAppId(id.data(), nullptr, &cch, &site);
    if (hr != WPF_HRESULT_FROM_WIN32(122)) break;
    std::vector<WCHAR> vpath(cch);
    hr = info->GetApplicationPropertiesFromAppId(id.data(), vpath.data(), &cch, &site);
    if (hr < 0) break;
    wstr vp = wide(vpath.data());
    std::string v = narrow(vp), phys = "C:\\inetpub\\site" + std::to_string(site);
    for (char c : v) phys.push_back(c == '/' ? '\\' : c);
    if (!phys.empty() && phys.back() == '\\') phys.pop_back();
    out->u32(site);
    out->u32(i % 2);   // every other domain idle, so readers see both
    out->counted(wide("/LM/W3SVC/" + std::to_string(site) + "/ROOT" +
                      (v == "/" ? std::string() : v)));
    out->counted(vp);
    out->counted(wide(phys));
  }
  drop(info);
  return hr;
}

void SamplePm::Request(bool fail, PCWSTR reason) {
  wpf::IWpfActions *actions = nullptr;
  if (fw_->GetWpfInterface(WPF_ACTIONS_ID, (PVOID *)&actions) < 0) return;
  ++addrefs_;
  if (fail) {
    healthy_ = false;
    actions->FailWorkerProcess(reason, E_FAIL_, 0);
  } else {
    actions->RecycleWorkerProcess(reason);
  }
  drop(actions);
}

std::string SamplePm::Clock(const std::string &args) {
  std::unique_lock<std::mutex> lk(mu_);
  if (args == "virtual" && !virtual_) {
    vnow_ = Now();
    virtual_ = true;
  } else if (args == "real") {
    virtual_ = false;
  } else if (args.compare(0, 8, "advance=") == 0 && virtual_) {
    // the thread serves the ticket once it finds nothing left to do, so
    // every report due by then (and every stop asked for) has been made
    int64_t ticket = ++requested_;
    vnow_ += std::atol(args.c_str() + 8);
    cv_.notify_all();
    done_.wait(lk, [&] { return served_ >= ticket || quit_; });
  }
  return "now=" + std::to_string(Now());
}

// ---- IPmCustomActions: synchronous, on the caller's thread ----

HRESULT SamplePm::Run(PCWSTR name, PCWSTR args, wpf::ICustomActionResultCallback *cb) {
  if (name == nullptr || cb == nullptr) return E_POINTER_;
  wstr arg = wide(args);
  Bytes out;
  HRESULT status = S_OK_;
  if (equals(name, "Echo")) out.units(arg);
  else if (equals(name, "AppPool")) {
    wstr pool;
    status = Setting(APP_POOL_NAME, &pool);
    out.units(pool);
  } else if (equals(name, "Listing")) status = Listing(arg, &out);
  else if (equals(name, "Fail")) Request(true, args);
  else if (equals(name, "Recycle")) Request(false, args);
  else if (equals(name, "Version")) {
    DWORD major = 0, minor = 0;
    status = fw_->GetInterfaceVersion(&major, &minor);
    out.units(wide(std::to_string(major) + "." + std::to_string(minor)));
  } else if (equals(name, "Refs"))
    out.units(wide("addrefs=" + std::to_string(addrefs_.load()) +
                   " releases=" + std::to_string(releases_.load())));
  else if (equals(name, "Clock")) {
    std::string s = Clock(narrow(arg));
    out.b.assign(s.begin(), s.end());
  } else return E_NOTIMPL_;
  if (status < 0) out.b.clear();
  take(cb);
  HRESULT hr = cb->ReportResult(status, out.b.empty() ? nullptr : out.b.data(),
                                (DWORD)out.b.size());
  drop(cb);
  return hr;   // the buffer goes when this returns, after ReportResult
}

// ---- IPmCustomActions2: streams from the protocol manager's thread ----

HRESULT SamplePm::Register(PCWSTR name, PCWSTR args,
                           wpf::ICustomAction2ResultCallback *cb) {
  if (name == nullptr || cb == nullptr) return E_POINTER_;
  bool counters = equals(name, "Counters");
  if (!counters && !equals(name, "Ticker")) return E_NOTIMPL_;
  std::string a = narrow(wide(args));
  std::lock_guard<std::mutex> lk(mu_);
  if (quit_) return E_ILLEGAL_METHOD_CALL_;
  wstr n = wide(name);
  for (Registration &r : regs_)
    if (r.name == n && !r.stop) return E_ALREADY_EXISTS_;
  long every = option(a, "every", 100);
  if (every < 1) every = 1;
  take(cb);
  regs_.push_back(Registration{n, cb, every, counters ? option(a, "count", 5) : -1,
                               0, option(a, "fail", 0), Now() + every, false});
  cv_.notify_all();
  return S_OK_;
}

HRESULT SamplePm::Unregister(PCWSTR name) {
  if (name == nullptr) return E_POINTER_;
  wstr n = wide(name);
  std::lock_guard<std::mutex> lk(mu_);
  for (Registration &r : regs_)
    if (r.name == n && !r.stop) {
      r.stop = true;
      cv_.notify_all();
      return S_OK_;
    }
  return E_NOT_FOUND_;
}

// Answers one pending health check; false when there is none.
bool SamplePm::Answer(std::unique_lock<std::mutex> &lk) {
  if (health_.empty()) return false;
  wpf::IHealthStatusCallback *cb = health_.front();
  health_.erase(health_.begin());
  lk.unlock();
  cb->ReportHealth(healthy_ ? 1 : 0);
  drop(cb);
  lk.lock();
  return true;
}

// Makes the earliest due report (or a stop's final); false when none is due.
bool SamplePm::Step(std::unique_lock<std::mutex> &lk) {
  int64_t now = Now();
  auto due = regs_.end();
  for (auto it = regs_.begin(); it != regs_.end(); ++it)
    if ((it->stop || it->due <= now) && (due == regs_.end() || it->stop || it->due < due->due))
      due = it;
  if (due == regs_.end()) return false;
  Registration &r = *due;
  bool final = r.stop || (r.count > 0 && r.sent + 1 >= r.count);
  HRESULT status = r.stop ? E_ABORT_ : S_OK_;
  std::string text = r.stop ? std::string()
      : (r.count > 0 ? "n=" : "tick ") + std::to_string(r.sent + 1);
  r.sent++;
  r.due += r.every;
  wpf::ICustomAction2ResultCallback *cb = r.cb;
  bool fail = !r.stop && r.sent == r.fail_at;
  if (final) regs_.erase(due);
  lk.unlock();
  if (fail) {
    static const WCHAR reason[] = {'s', 't', 'r', 'e', 'a', 'm', ' ', 'f', 'a',
                                   'i', 'l', 'e', 'd', 0};
    Request(true, reason);
  }
  std::vector<BYTE> buf(text.begin(), text.end());
  HRESULT hr = cb->ReportResult(status, final, buf.empty() ? nullptr : buf.data(),
                                (DWORD)buf.size());
  if (final) drop(cb);
  lk.lock();
  if (!final && hr < 0)   // the receiver refused: stop without more reports
    for (auto it = regs_.begin(); it != regs_.end(); ++it)
      if (it->cb == cb) {
        regs_.erase(it);
        lk.unlock();
        drop(cb);
        lk.lock();
        break;
      }
  return true;
}

void SamplePm::Run() {
  std::unique_lock<std::mutex> lk(mu_);
  for (;;) {
    if (Answer(lk) || Step(lk)) continue;
    if (served_ < requested_) {
      served_ = requested_;
      done_.notify_all();
    }
    if (quit_ && regs_.empty() && health_.empty()) break;
    int64_t next = -1;
    for (const Registration &r : regs_)
      if (next < 0 || r.due < next) next = r.due;
    if (virtual_ || next < 0)
      cv_.wait(lk);
    else
      cv_.wait_for(lk, std::chrono::milliseconds(next - Now()));
  }
  done_.notify_all();
}

}  // namespace

// The init function IIS looks for (DEFAULT_PROTOCOL_MANAGER_INIT_FUNCTION).
SAMPLE_EXPORT HRESULT WPF_INIT GetProtocolManager(wpf::IWorkerProcessFramework *fw,
                                                  wpf::IProtocolManager **out) {
  if (fw == nullptr || out == nullptr) return E_POINTER_;
  DWORD major = 0, minor = 0;
  HRESULT hr = fw->GetInterfaceVersion(&major, &minor);
  if (hr < 0) return hr;
  *out = new SamplePm(fw);
  return S_OK_;
}

// An init function that refuses, for hosts to test their error paths.
SAMPLE_EXPORT HRESULT WPF_INIT GetProtocolManagerDenied(wpf::IWorkerProcessFramework *fw,
                                                        wpf::IProtocolManager **out) {
  (void)fw;
  if (out != nullptr) *out = nullptr;
  return E_ACCESS_DENIED_;
}
