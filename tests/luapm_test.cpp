// luapm_test.cpp: a native host loading the protocol-manager library that
// runs a Lua script (build/customaction/luapm.so with the sample script
// examples/luapm.lua beside it), the way IIS loads one: dlopen,
// GetProtocolManager with a worker-process framework of its own, then
// the interfaces, all written from the SDK's layout (tests/sdk.hpp). It
// runs, streams, unregisters, checks health and idle, shuts down, and
// counts references on its objects. No Lua here: the library brings it.
// Output is TAP.
#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "client.hpp"

class Framework : public sdk::IWorkerProcessFramework {
 public:
  sdk::ULONG AddRef() override { return ++refs; }
  sdk::ULONG Release() override { return --refs; }
  HRESULT GetWpfInterface(int, sdk::PVOID *ppv) override {
    *ppv = nullptr;
    return E_NOTIMPL_;
  }
  HRESULT GetCustomInterface(sdk::DWORD, sdk::PVOID *ppv) override {
    *ppv = nullptr;
    return E_NOTIMPL_;
  }
  HRESULT GetInterfaceVersion(sdk::DWORD *major, sdk::DWORD *minor) override {
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

static void shutdown(sdk::IProtocolManager *pm, sdk::IPmCustomActions *v1,
                     sdk::IPmCustomActions2 *v2) {
  V2 open;
  v2->RegisterCustomActionCallback(u"Counters", u"count=100000", &open);
  eventually([&] { return open.size() >= 1; });
  ok(pm->Shutdown(0) == S_OK_, "Shutdown returns S_OK");
  ok(open.size() >= 1 && open.got.back() == "80004004:!" && open.refs == 1,
     "Shutdown ends an open registration with one final E_ABORT");
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

// The last Release without Shutdown stops the script too.
static void release_without_shutdown(void *lib, Framework *fw) {
  sdk::IProtocolManager *pm = nullptr;
  sdk::PVOID p2 = nullptr;
  V2 open;
  load(lib, fw, &pm);
  pm->GetCustomInterface(CUSTOM_ACTIONS2_ID, &p2);
  auto *v2 = (sdk::IPmCustomActions2 *)p2;
  v2->RegisterCustomActionCallback(u"Counters", u"count=100000", &open);
  eventually([&] { return open.size() >= 1; });
  ok(pm->Release() == 0, "the last IProtocolManager Release returns 0");
  ok(open.got.back() == "80010108:nil!" && open.refs == 1,
     "an open registration gets a final RPC_E_DISCONNECTED");
  V2 late;
  ok(v2->RegisterCustomActionCallback(u"Echo", u"", &late) ==
     RPC_E_DISCONNECTED_ && v2->Release() == 0 && fw->refs == 1,
     "the provider outlives the script's state and answers disconnected");
}

int main(int argc, char **argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string path = argc > 1 ? argv[1] : std::string(argv[0]);
  if (argc <= 1) path = path.substr(0, path.rfind('/')) + "/../customaction/luapm.so";
  setenv("LUA_PATH", "lua/?.lua;lua/?/init.lua;;", 0);
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
  shutdown(pm, v1, v2);
  v1->Release();
  v2->Release();
  mon->Release();
  ok(pm->Release() == 0 && fw.refs == 1,
     "the last Release frees it and releases the framework");
  release_without_shutdown(lib, &fw);
  dlclose(lib);
  std::printf("1..%d\n", test_no);
  return failed ? 1 : 0;
}
