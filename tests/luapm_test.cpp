// luapm_test.cpp: a native host loading the protocol-manager library that
// runs a Lua script (build/customaction/luapm.so with the sample script
// examples/luapm.lua beside it), the way IIS loads one: dlopen,
// GetProtocolManager with a worker-process framework of its own, then
// the interfaces, all written from the SDK's layout (tests/sdk.hpp). It
// runs, streams, unregisters, checks health and idle, shuts down, and
// counts references on its objects. No Lua here: the library brings it
// (and finds the module's Lua files near itself: LUA_PATH is unset). It
// also plays a hostile host: Shutdown and Release from inside
// ReportResult, scripts that never finish an action or their loading, a
// script that calls os.exit. Every call that could hang runs under a time
// limit. Output is TAP.
#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include "client.hpp"

class Framework : public sdk::IWorkerProcessFramework {
 public:
  sdk::ULONG SDK_METHOD AddRef() override { return ++refs; }
  sdk::ULONG SDK_METHOD Release() override { return --refs; }
  HRESULT SDK_METHOD GetWpfInterface(int, sdk::PVOID *ppv) override {
    *ppv = nullptr;
    return E_NOTIMPL_;
  }
  HRESULT SDK_METHOD GetCustomInterface(sdk::DWORD, sdk::PVOID *ppv) override {
    *ppv = nullptr;
    return E_NOTIMPL_;
  }
  HRESULT SDK_METHOD GetInterfaceVersion(sdk::DWORD *major, sdk::DWORD *minor) override {
    *major = 7;
    *minor = 0;
    return S_OK_;
  }
  std::atomic<int> refs{1};
};

static std::uint32_t dword(const std::string &s, size_t at) {
  const unsigned char *b = (const unsigned char *)s.data() + at;
  return b[0] | b[1] << 8 | b[2] << 16 | (std::uint32_t)b[3] << 24;
}

// The first record's domain id from the binary listing (ASCII content).
static std::string first_domain(const std::string &r) {
  if (r.size() < 12) return "";
  std::uint32_t n = dword(r, 12), i;
  std::string s;
  for (i = 0; i < n && 16 + 2 * i + 1 < r.size(); i++) s += r[16 + 2 * i];
  return s;
}

// ms times CA_TIME_SCALE, which slow checkers such as valgrind set.
static int scaled(int ms) {
  const char *scale = std::getenv("CA_TIME_SCALE");
  return scale != nullptr && std::atoi(scale) > 1 ? ms * std::atoi(scale) : ms;
}

// Runs f on a thread of its own; true if it returned within scaled(ms).
// A call that hangs ends the test program (its thread cannot be taken back).
static bool within(int ms, std::function<void()> f) {
  ms = scaled(ms);
  struct Done {
    std::mutex m;
    std::condition_variable c;
    bool done = false;
  };
  auto d = std::make_shared<Done>();
  std::thread([d, f] {
    f();
    std::lock_guard<std::mutex> g(d->m);
    d->done = true;
    d->c.notify_all();
  }).detach();
  std::unique_lock<std::mutex> g(d->m);
  if (d->c.wait_for(g, std::chrono::milliseconds(ms), [&] { return d->done; }))
    return true;
  ok(false, "a call did not return within " + std::to_string(ms) + " ms");
  tap_done();
  std::fflush(stdout);
  _exit(1);
}

// A script in a temporary file, named by CUSTOMACTION_LUAPM_SCRIPT.
struct Script {
  explicit Script(const std::string &text) {
    char p[] = "/tmp/luapm_test_XXXXXX";
    int fd = mkstemp(p);
    if (fd >= 0) {
      if (write(fd, text.data(), text.size()) < 0) path.clear();
      close(fd);
    }
    path = p;
    setenv("CUSTOMACTION_LUAPM_SCRIPT", p, 1);
  }
  ~Script() {
    unlink(path.c_str());
    unsetenv("CUSTOMACTION_LUAPM_SCRIPT");
  }
  std::string path;
};

// What f writes to stderr (the library reports there).
static std::string stderr_of(std::function<void()> f) {
  char p[] = "/tmp/luapm_err_XXXXXX";
  int fd = mkstemp(p), saved = dup(2);
  std::fflush(stderr);
  dup2(fd, 2);
  f();
  std::fflush(stderr);
  dup2(saved, 2);
  close(saved);
  close(fd);
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  unlink(p);
  return ss.str();
}

static void actions(sdk::IPmCustomActions *v1, sdk::IPmCustomActions2 *v2) {
  V1 echo, listing;
  ok(v1->RunCustomAction(u"Echo", u"hello", &echo) == S_OK_ &&
     eventually([&] { return echo.size() == 1; }) &&
     echo.got[0] == "hello!",
     "RunCustomAction from this thread: S_OK at once, the answer later");
  ok(v1->RunCustomAction(u"Nope", u"", &echo) == E_NOTIMPL_,
     "an unknown name gets E_NOTIMPL on the caller's thread");
  v1->RunCustomAction(u"Listing", nullptr, &listing);
  eventually([&] { return listing.size() == 1; });
  std::string r = listing.size() ? listing.got[0] : "";
  r = r.substr(0, r.size() ? r.size() - 1 : 0);   // the final mark
  ok(r.size() > 12 && dword(r, 0) == 2 && dword(r, 4) == 1 &&
     first_domain(r) == "/LM/W3SVC/1/ROOT",
     "a binary listing arrives as the script built it");
  V2 counters;
  v2->RegisterCustomActionCallback(u"Counters", u"count=5", &counters);
  ok(eventually([&] { return counters.size() == 5; }) &&
     counters.joined() ==
         "requests=1 requests=2 requests=3 requests=4 requests=5!",
     "a registration streams from the script's thread, the last final");
  V2 endless;
  v2->RegisterCustomActionCallback(u"Counters", u"count=100000", &endless);
  eventually([&] { return endless.size() >= 2; });
  ok(v2->UnregisterCustomActionCallback(u"Counters") == S_OK_ &&
     eventually([&] {
       std::lock_guard<std::mutex> g(endless.m);
       return !endless.got.empty() && endless.got.back() == "80004004:!";
     }),
     "unregistering ends the stream with a final E_ABORT");
  size_t n = endless.size();
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  ok(endless.size() == n, "nothing arrives after the final report");
  // the library's thread releases a callback after ReportResult returns
  ok(eventually([&] {
       return echo.refs == 1 && listing.refs == 1 && counters.refs == 1 &&
              endless.refs == 1 && echo.addrefs == echo.releases &&
              endless.addrefs == endless.releases;
     }), "every AddRef the library made on our callbacks is released");
}

static void monitor(sdk::IPmHealthAndIdleMonitor *mon) {
  Health h;
  ok(mon->CheckHealth(&h) == S_OK_ &&
     eventually([&] { return h.reports == 1; }) && h.healthy == 1,
     "CheckHealth: the script reports healthy");
  ok(eventually([&] { return h.refs == 1; }), "the health callback is released");
  sdk::BOOL idle = 0;
  ok(mon->CheckIdle(&idle) == S_OK_ && idle == 1,
     "CheckIdle waits for the script's answer: idle with no stream open");
}

// What Shutdown has done by the time it returns (read at once, no waiting):
// the open registration ended with its one final E_ABORT, the callback and
// the framework released; nothing arrives later.
static void shut_down(sdk::IProtocolManager *pm, Framework *fw, V2 &open,
                      bool immediate) {
  std::string how = immediate ? "Shutdown(TRUE)" : "Shutdown(FALSE)";
  ok(pm->Shutdown(immediate) == S_OK_, how + " returns S_OK");
  size_t n = open.size();
  ok(n >= 1 && open.got.back() == "80004004:!" && open.refs == 1,
     how + " has ended an open registration with one final E_ABORT and "
     "released its callback when it returns");
  ok(fw->refs == 1, how + " has released the framework when it returns");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ok(open.size() == n && fw->refs == 1, "nothing after " + how + " returned");
}

static void shutdown(sdk::IProtocolManager *pm, Framework *fw,
                     sdk::IPmCustomActions *v1, sdk::IPmCustomActions2 *v2) {
  V2 open;
  v2->RegisterCustomActionCallback(u"Counters", u"count=100000", &open);
  eventually([&] { return open.size() >= 1; });
  shut_down(pm, fw, open, false);
  ok(pm->Shutdown(1) == RPC_E_DISCONNECTED_,
     "a second Shutdown: RPC_E_DISCONNECTED, nothing run again");
  V1 late;
  ok(v1->RunCustomAction(u"Echo", u"x", &late) == RPC_E_DISCONNECTED_ &&
     late.addrefs == 0, "after Shutdown calls get RPC_E_DISCONNECTED");
}

static HRESULT load(void *lib, Framework *fw, sdk::IProtocolManager **pm) {
  auto init = (sdk::PFN_PROTOCOL_MANAGER_INIT)dlsym(lib, "GetProtocolManager");
  return init != nullptr ? init(fw, pm) : E_NOTIMPL_;
}

// Scripts that cannot serve: GetProtocolManager fails and keeps nothing.
static void bad_scripts(void *lib, Framework *fw) {
  sdk::IProtocolManager *pm = nullptr;
  setenv("CUSTOMACTION_LUAPM_SCRIPT", "/nonexistent/script.lua", 1);
  ok(load(lib, fw, &pm) == (HRESULT)0x80070002u && pm == nullptr &&
     fw->refs == 1, "a missing script: ERROR_FILE_NOT_FOUND, nothing kept");
  char path[] = "/tmp/luapm_test_XXXXXX";
  int fd = mkstemp(path);
  const char bad[] = "return 42\n";
  if (fd >= 0 && write(fd, bad, sizeof bad - 1) > 0) close(fd);
  setenv("CUSTOMACTION_LUAPM_SCRIPT", path, 1);
  ok(load(lib, fw, &pm) == (HRESULT)0x80020009u && pm == nullptr &&
     fw->refs == 1, "a script returning no provider: DISP_E_EXCEPTION");
  unlink(path);
  unsetenv("CUSTOMACTION_LUAPM_SCRIPT");
}

// A fresh load with an endless Counters registration open on it; the
// IPmCustomActions2 it came through is returned.
static sdk::IPmCustomActions2 *load_streaming(void *lib, Framework *fw,
                                              sdk::IProtocolManager **pm,
                                              V2 &open) {
  sdk::PVOID p2 = nullptr;
  load(lib, fw, pm);
  (*pm)->GetCustomInterface(CUSTOM_ACTIONS2_ID, &p2);
  auto *v2 = (sdk::IPmCustomActions2 *)p2;
  v2->RegisterCustomActionCallback(u"Counters", u"count=100000", &open);
  eventually([&] { return open.size() >= 1; });
  return v2;
}

// Shutdown(TRUE) waits for the script's thread as Shutdown(FALSE) does.
static void shutdown_immediate(void *lib, Framework *fw) {
  sdk::IProtocolManager *pm = nullptr;
  V2 open;
  auto *v2 = load_streaming(lib, fw, &pm, open);
  shut_down(pm, fw, open, true);
  ok(pm->Release() == 0 && v2->Release() == 0 && open.addrefs == open.releases,
     "after Shutdown(TRUE) the last Releases free it and the provider");
}

// The last Release without Shutdown stops the script too.
static void release_without_shutdown(void *lib, Framework *fw) {
  sdk::IProtocolManager *pm = nullptr;
  V2 open;
  auto *v2 = load_streaming(lib, fw, &pm, open);
  ok(pm->Release() == 0, "the last IProtocolManager Release returns 0");
  ok(open.got.back() == "80010108:nil!" && open.refs == 1,
     "an open registration gets a final RPC_E_DISCONNECTED");
  V2 late;
  ok(v2->RegisterCustomActionCallback(u"Echo", u"", &late) ==
     RPC_E_DISCONNECTED_ && v2->Release() == 0 && fw->refs == 1,
     "the provider outlives the script's state and answers disconnected");
}

const HRESULT DISP_E_EXCEPTION_ = (HRESULT)0x80020009u;
const HRESULT E_TIMEOUT_ = (HRESULT)0x800705B4u;   // ERROR_TIMEOUT

// A script with an action that never returns and one that calls os.exit.
static const char HOSTILE[] =
    "local ca = require 'customaction'\n"
    "return ca.provider{ on_error = function() end, actions = {\n"
    "  Echo = function(a, reply) return reply:finish(ca.S_OK, a) end,\n"
    "  Hang = function() while true do end end,\n"
    "  Exit = function() os.exit(3) end,\n"
    "} }\n";

static sdk::IPmCustomActions *v1_of(sdk::IProtocolManager *pm) {
  sdk::PVOID p = nullptr;
  pm->GetPmInterface(sdk::PM_CUSTOM_ACTIONS_ID, &p);
  return (sdk::IPmCustomActions *)p;
}

// A client that reacts to the final result by shutting luapm down (and
// releasing it), inside ReportResult on luapm's script thread.
class Closer : public V1 {
 public:
  HRESULT SDK_METHOD ReportResult(HRESULT st, sdk::BYTE *b, sdk::DWORD n) override {
    V1::ReportResult(st, b, n);
    shut = pm->Shutdown(0);
    if (release) pm->Release();
    return S_OK_;
  }
  sdk::IProtocolManager *pm = nullptr;
  bool release = true;
  std::atomic<HRESULT> shut{-1};
};

// The object lives until its thread is done, whoever releases it last.
static void release_inside_report(void *lib, Framework *fw) {
  for (int last_inside = 1; last_inside >= 0; last_inside--) {
    sdk::IProtocolManager *pm = nullptr;
    load(lib, fw, &pm);
    auto *v1 = v1_of(pm);
    Closer c;
    c.pm = pm;
    c.release = last_inside != 0;
    v1->RunCustomAction(u"Echo", u"bye", &c);
    bool reported = eventually([&] { return c.size() == 1 && c.shut == S_OK_; });
    if (last_inside) {
      ok(reported && eventually([&] { return fw->refs == 1; }),
         "Shutdown and the last Release inside ReportResult: freed when "
         "the script's thread ends");
    } else {
      ok(reported && within(5000, [&] { pm->Release(); }) && fw->refs == 1,
         "Shutdown inside ReportResult, the last Release from another "
         "thread: it waits for the script's thread");
    }
    V1 late;
    ok(v1->RunCustomAction(u"Echo", u"", &late) == RPC_E_DISCONNECTED_ &&
       v1->Release() == 0 && eventually([&] { return c.refs == 1; }),
       "the provider answers disconnected and every reference is released");
  }
}

static int64_t ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - t0).count();
}

// An action that never returns: Shutdown(TRUE), Shutdown(FALSE) and the
// last Release without Shutdown do not wait for it for ever.
enum Stop { IMMEDIATE, WAITING, RELEASE_ONLY };
static void shutdown_while_hung(void *lib, Framework *fw, Stop how) {
  Script s(HOSTILE);
  setenv("CUSTOMACTION_LUAPM_SHUTDOWN_MS", "300", 1);
  sdk::IProtocolManager *pm = nullptr;
  load(lib, fw, &pm);
  auto *v1 = v1_of(pm);
  V1 hang;
  v1->RunCustomAction(u"Hang", u"", &hang);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  HRESULT hr = -1;
  auto t0 = std::chrono::steady_clock::now();
  if (how == RELEASE_ONLY) within(5000, [&] { hr = (HRESULT)pm->Release(); });
  else within(5000, [&] { hr = pm->Shutdown(how == IMMEDIATE); });
  int64_t took = ms_since(t0);
  std::string t = " (" + std::to_string(took) + " ms)";
  if (how == IMMEDIATE)
    ok(hr == S_OK_ && took < scaled(1000) && hang.size() == 1 && fw->refs == 1,
       "Shutdown(TRUE) interrupts a running action at once and returns when "
       "it has ended and the framework is released" + t);
  else if (how == WAITING)
    ok(hr == E_TIMEOUT_ && took >= 250 && took < scaled(3000),
       "Shutdown(FALSE) gives up after CUSTOMACTION_LUAPM_SHUTDOWN_MS with "
       "E_TIMEOUT" + t);
  else
    ok(hr == 0 && took >= 250 && took < scaled(3000),
       "the last Release without Shutdown gives up after "
       "CUSTOMACTION_LUAPM_SHUTDOWN_MS" + t);
  ok(eventually([&] { return hang.size() == 1; }) &&
     hang.got[0] == "80020009:nil!",
     "the interrupted action ends with one final DISP_E_EXCEPTION");
  ok(within(5000, [&] { v1->Release(); if (how != RELEASE_ONLY) pm->Release(); }) &&
     eventually([&] { return fw->refs == 1 && hang.refs == 1; }),
     "the thread ends and releases everything");
  unsetenv("CUSTOMACTION_LUAPM_SHUTDOWN_MS");
}

// A script that loops while loading: GetProtocolManager gives up.
static void load_never_ends(void *lib, Framework *fw) {
  Script s("while true do end\n");
  setenv("CUSTOMACTION_LUAPM_LOAD_MS", "300", 1);
  sdk::IProtocolManager *pm = nullptr;
  HRESULT hr = -1;
  auto t0 = std::chrono::steady_clock::now();
  std::string err = stderr_of([&] {
    within(5000, [&] { hr = load(lib, fw, &pm); });
    eventually([&] { return fw->refs == 1; });
  });
  int64_t took = ms_since(t0);
  ok(hr == E_TIMEOUT_ && pm == nullptr && took < scaled(3000) &&
     err.find("did not finish loading within 300 ms") != std::string::npos,
     "a script that never finishes loading: E_TIMEOUT after "
     "CUSTOMACTION_LUAPM_LOAD_MS (" + std::to_string(took) + " ms)");
  ok(fw->refs == 1 && err.find("luapm interrupted the script") != std::string::npos,
     "the script is interrupted, its thread ends and releases the framework");
  setenv("CUSTOMACTION_LUAPM_LOAD_MS", "soon", 1);
  err = stderr_of([&] { hr = load(lib, fw, &pm); });
  ok(hr == (HRESULT)0x80070057u && pm == nullptr && fw->refs == 1 &&
     err.find("CUSTOMACTION_LUAPM_LOAD_MS must be a whole number") !=
         std::string::npos,
     "a time limit that is not a number: E_INVALIDARG, naming the variable");
  unsetenv("CUSTOMACTION_LUAPM_LOAD_MS");
}

// What a hosted script may not do: end the host's process.
static void no_exit(void *lib, Framework *fw) {
  sdk::IProtocolManager *pm = nullptr;
  HRESULT hr = -1;
  {
    Script s("os.exit(3)\n");
    std::string err = stderr_of([&] { hr = load(lib, fw, &pm); });
    ok(hr == DISP_E_EXCEPTION_ && pm == nullptr && fw->refs == 1 &&
       err.find("os.exit is not allowed in a hosted protocol manager") !=
           std::string::npos,
       "os.exit while loading raises: DISP_E_EXCEPTION, the host lives on");
  }
  {
    Script s(HOSTILE);
    load(lib, fw, &pm);
    auto *v1 = v1_of(pm);
    V1 exit;
    v1->RunCustomAction(u"Exit", u"", &exit);
    ok(eventually([&] { return exit.size() == 1; }) &&
       exit.got[0] == "80020009:nil!",
       "os.exit in an action: a final DISP_E_EXCEPTION, the host lives on");
    pm->Shutdown(0);
    v1->Release();
    pm->Release();
  }
  {
    Script s("local ca = require 'customaction'\n"
             "local p = ca.provider{ actions = { A = function() end } }\n"
             "p:close()\nreturn p\n");
    std::string err = stderr_of([&] { hr = load(lib, fw, &pm); });
    ok(hr == DISP_E_EXCEPTION_ && pm == nullptr && fw->refs == 1 &&
       err.find("the script returned a closed provider") != std::string::npos &&
       err.find("#-2") == std::string::npos,
       "a script returning a closed provider: a message that says so");
  }
}

int main(int argc, char **argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string path = argc > 1 ? argv[1] : std::string(argv[0]);
  if (argc <= 1) path = path.substr(0, path.rfind('/')) + "/../customaction/luapm.so";
  // the library finds the module's Lua files near itself
  unsetenv("LUA_PATH");
  unsetenv("LUA_PATH_5_4");
  unsetenv("LUA_INIT");
  void *lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    std::printf("not ok 1 - dlopen %s: %s\n1..1\n", path.c_str(), dlerror());
    return 1;
  }
  Framework fw;
  sdk::IProtocolManager *pm = nullptr;
  bad_scripts(lib, &fw);
  ok(load(lib, &fw, &pm) == S_OK_ && pm != nullptr && fw.refs == 2,
     "GetProtocolManager runs the script beside the library");
  sdk::PVOID p1 = nullptr, p2 = nullptr, pmon = nullptr;
  pm->GetPmInterface(sdk::PM_CUSTOM_ACTIONS_ID, &p1);
  pm->GetCustomInterface(CUSTOM_ACTIONS2_ID, &p2);
  pm->GetPmInterface(sdk::PM_HEALTH_AND_IDLE_MONITOR_ID, &pmon);
  auto *v1 = (sdk::IPmCustomActions *)p1;
  auto *v2 = (sdk::IPmCustomActions2 *)p2;
  auto *mon = (sdk::IPmHealthAndIdleMonitor *)pmon;
  ok(v1 && v2 && mon, "the provider's interfaces come through IProtocolManager");
  actions(v1, v2);
  monitor(mon);
  shutdown(pm, &fw, v1, v2);
  v1->Release();
  v2->Release();
  mon->Release();
  ok(pm->Release() == 0 && fw.refs == 1, "the last Release frees it");
  shutdown_immediate(lib, &fw);
  release_without_shutdown(lib, &fw);
  release_inside_report(lib, &fw);
  shutdown_while_hung(lib, &fw, IMMEDIATE);
  shutdown_while_hung(lib, &fw, WAITING);
  shutdown_while_hung(lib, &fw, RELEASE_ONLY);
  load_never_ends(lib, &fw);
  no_exit(lib, &fw);
  dlclose(lib);
  return tap_done();
}
