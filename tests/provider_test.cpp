// provider_test.cpp: a native client of a protocol manager written in Lua.
// The client side is written only from the SDK's layout (tests/sdk.hpp,
// independent of wpf.h and of our C++ mirror). The host side embeds Lua through customaction.h. The
// client runs and registers actions from threads of its own and from the
// Lua thread, checks it gets what the Lua code sent, in order, and counts
// references on both sides; last, lua_close with references outstanding.
// Output is TAP.
#include <cstring>
#include <memory>

#include "luahost.h"
#include "client.hpp"

static const char *script = R"(
local ca = require "customaction.core"
cancels = 0
held = {}
return ca.provider{ name = "test", actions = {
  Echo = function(args, reply) return reply:finish(0, args) end,
  Stream = function(args, reply)
    for i = 1, tonumber(args) do reply:send(0, "s" .. i) end
    reply:finish(0, "end")
  end,
  Hold = function(args, reply)
    held[#held + 1] = reply
    reply.on_cancel = function() cancels = cancels + 1 end
  end,
}, health = function() return true end, idle = function() return true end }
)";

static int provider_refs(lua_State *L) {
  lua_getglobal(L, "pm");
  lua_getfield(L, -1, "stats");
  lua_insert(L, -2);
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "refs");
  int n = (int)lua_tointeger(L, -1);
  lua_pop(L, 2);
  return n;
}

static int global_int(lua_State *L, const char *name) {
  lua_getglobal(L, name);
  int n = (int)lua_tointeger(L, -1);
  lua_pop(L, 1);
  return n;
}

// Dispatches on this (the Lua) thread until pred holds or 5 s pass.
template <class F> static bool pump(lua_State *L, F pred) {
  for (int i = 0; i < 500 && !pred(); i++) customaction_wait(L, 0.01, -1);
  return pred();
}

static lua_State *new_host(sdk::IProtocolManager **pm) {
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  luahost_preload(L, nullptr);
  if (luaL_dostring(L, script) != 0) {
    std::printf("# %s\n", lua_tostring(L, -1));
    return nullptr;
  }
  lua_pushvalue(L, -1);
  lua_setglobal(L, "pm");
  *pm = (sdk::IProtocolManager *)customaction_checkprovider(L, -1, "pm");
  lua_pop(L, 1);
  return L;
}

template <class T> static T *get(sdk::IProtocolManager *pm, int id,
                                 bool custom = false) {
  sdk::PVOID p = nullptr;
  HRESULT hr = custom ? pm->GetCustomInterface((sdk::DWORD)id, &p)
                      : pm->GetPmInterface((sdk::PM_INTERFACE_ID_ENUM)id, &p);
  return hr == S_OK_ ? (T *)p : nullptr;
}

static void on_lua_thread(lua_State *L, sdk::IPmCustomActions *v1,
                          sdk::IPmCustomActions2 *v2) {
  V1 a;
  a.ret = (HRESULT)0x80070005u;
  HRESULT hr = v1->RunCustomAction(u"Echo", u"hello", &a);
  ok(a.joined() == "hello!", "Lua thread: Echo answers inside the call");
  ok(hr == a.ret, "Lua thread: RunCustomAction returns ReportResult's HRESULT");
  ok(v1->RunCustomAction(u"Nope", u"", &a) == E_NOTIMPL_,
     "an unknown name gets E_NOTIMPL");
  V2 b;
  hr = v2->RegisterCustomActionCallback(u"Stream", u"3", &b);
  ok(hr == S_OK_ && b.joined() == "s1 s2 s3 end!",
     "Lua thread: a registration streams in order, the last final");
  V2 c, d;
  v2->RegisterCustomActionCallback(u"Hold", u"", &c);
  ok(v2->RegisterCustomActionCallback(u"Hold", u"", &d) == ALREADY_EXISTS_,
     "a second registration gets ERROR_ALREADY_EXISTS");
  ok(v2->UnregisterCustomActionCallback(u"Hold") == S_OK_ &&
     c.joined() == "80004004:!" && global_int(L, "cancels") == 1,
     "Lua thread: unregister runs on_cancel and sends one final E_ABORT");
  ok(a.refs == 1 && b.refs == 1 && c.refs == 1 && d.refs == 1 &&
     a.addrefs == a.releases && b.addrefs == b.releases &&
     c.addrefs == c.releases && d.addrefs == d.releases,
     "Lua thread: every AddRef on our callbacks is released");
}

static void from_threads(lua_State *L, sdk::IPmCustomActions *v1,
                         sdk::IPmCustomActions2 *v2) {
  const int T = 4, N = 200;
  std::vector<V1> cbs(T);
  V2 stream;
  std::atomic<int> bad{0}, running{T + 1};
  std::vector<std::thread> ts;
  for (int t = 0; t < T; t++)
    ts.emplace_back([&, t] {
      for (int i = 0; i < N; i++) {
        std::u16string arg = u"t" + std::u16string(1, u'0' + t) + u"-";
        for (char ch : std::to_string(i)) arg += (char16_t)ch;
        if (v1->RunCustomAction(u"Echo", arg.c_str(), &cbs[t]) != S_OK_) bad++;
      }
      running--;
    });
  ts.emplace_back([&] {
    if (v2->RegisterCustomActionCallback(u"Stream", u"100", &stream) != S_OK_)
      bad++;
    running--;
  });
  bool all = pump(L, [&] {
    if (running > 0) return false;
    size_t n = stream.size();
    for (auto &c : cbs) n += c.size();
    return n == (size_t)(T * N + 101);
  });
  for (auto &t : ts) t.join();
  ok(bad == 0, "other threads: every call returns S_OK once queued");
  ok(all, "other threads: every action ran at dispatch");
  bool order = true;
  for (int t = 0; t < T; t++)
    for (int i = 0; i < N && order; i++) {
      std::string want = "t" + std::to_string(t) + "-" + std::to_string(i) + "!";
      order = cbs[t].got.size() == (size_t)N && cbs[t].got[i] == want;
    }
  ok(order, "other threads: each thread's results arrive in its order");
  ok(stream.got.size() == 101 && stream.got[0] == "s1" &&
     stream.got[99] == "s100" && stream.got[100] == "end!",
     "other threads: the stream arrives whole and in order");
  bool balanced = stream.refs == 1 && stream.addrefs == stream.releases;
  for (auto &c : cbs) balanced = balanced && c.refs == 1 &&
                                 c.addrefs == c.releases && c.addrefs == N;
  ok(balanced, "other threads: references on our callbacks balance");
}

static void cancel_and_monitor(lua_State *L, sdk::IPmCustomActions2 *v2,
                               sdk::IPmHealthAndIdleMonitor *mon) {
  V2 c;
  std::thread([&] { v2->RegisterCustomActionCallback(u"Hold", u"", &c); }).join();
  customaction_dispatch(L, -1);
  HRESULT hr = -1;
  std::thread([&] { hr = v2->UnregisterCustomActionCallback(u"Hold"); }).join();
  bool got = pump(L, [&] { return c.size() == 1; });
  ok(hr == S_OK_ && got && c.got[0] == "80004004:!" &&
     global_int(L, "cancels") == 2 && c.refs == 1,
     "unregister from another thread: on_cancel, one final E_ABORT, released");
  Health h;
  std::thread([&] { mon->CheckHealth(&h); }).join();
  pump(L, [&] { return h.reports == 1; });
  ok(h.reports == 1 && h.healthy == 1 && h.refs == 1,
     "CheckHealth from another thread reports health() and releases");
  sdk::BOOL idle = 0;
  std::atomic<bool> done{false};
  std::thread it([&] { hr = mon->CheckIdle(&idle); done = true; });
  pump(L, [&] { return done.load(); });
  it.join();
  ok(hr == S_OK_ && idle == 1, "CheckIdle from another thread waits for idle()");
}

// lua_close with a registration open and references held by the client.
static void close_with_references(lua_State *L, sdk::IProtocolManager *pm,
                                  sdk::IPmCustomActions2 *v2) {
  V2 c;
  v2->RegisterCustomActionCallback(u"Hold", u"", &c);
  lua_close(L);
  ok(c.joined() == "80010108:nil!" && c.refs == 1 &&
     c.addrefs == c.releases,
     "lua_close: an open registration gets a final RPC_E_DISCONNECTED");
  sdk::PVOID v1 = &c;
  V2 a;
  ok(pm->GetPmInterface(sdk::PM_CUSTOM_ACTIONS_ID, &v1) ==
     RPC_E_DISCONNECTED_ && v1 == nullptr &&
     v2->RegisterCustomActionCallback(u"Echo", u"x", &a) ==
     RPC_E_DISCONNECTED_ && a.addrefs == 0,
     "after lua_close: calls get RPC_E_DISCONNECTED, callbacks untouched");
  v2->Release();
  ok(pm->Release() == 0, "after lua_close: the last Release frees the object");
}

// An accepted call (S_OK) got exactly one final report, a refused one
// none, and every reference taken on the caller's object was given back.
template <class T> static bool settled(HRESULT hr, T &o) {
  if (o.refs != 1 || o.addrefs != o.releases) return false;
  if (hr != S_OK_) return o.size() == 0;
  std::string all = o.joined();
  return !all.empty() && all.back() == '!' &&
         all.find('!') == all.size() - 1;
}

// What one caller thread did. Refused calls are checked at once; accepted
// ones are kept until the end, when their reports can be counted.
struct Caller {
  std::vector<std::unique_ptr<V1>> runs;
  std::vector<std::unique_ptr<V2>> regs;
  std::vector<std::unique_ptr<Health>> checks;
  size_t calls = 0, refused = 0, bad = 0;
  HRESULT last[5] = {0, 0, 0, 0, 0};
  std::atomic<int> rounds_after{0};   // whole rounds begun after the close
  template <class T> void keep(HRESULT hr, std::unique_ptr<T> o,
                               std::vector<std::unique_ptr<T>> &v, int i) {
    calls++;
    last[i] = hr;
    if (hr == S_OK_) { v.push_back(std::move(o)); return; }
    refused++;
    if (!settled(hr, *o)) bad++;
  }
};

static bool settled(HRESULT hr, Health &h) {
  return h.refs == 1 && h.reports == (hr == S_OK_ ? 1 : 0);
}

static void call_everything(Caller &c, sdk::IPmCustomActions *v1,
                            sdk::IPmCustomActions2 *v2,
                            sdk::IPmHealthAndIdleMonitor *mon,
                            std::atomic<bool> &stop, std::atomic<bool> &closed) {
  while (!stop) {
    bool after = closed;
    std::unique_ptr<V1> a(new V1);
    HRESULT hr = v1->RunCustomAction(u"Echo", u"x", a.get());
    c.keep(hr, std::move(a), c.runs, 0);
    std::unique_ptr<V2> r(new V2);
    hr = v2->RegisterCustomActionCallback(u"Hold", u"", r.get());
    c.keep(hr, std::move(r), c.regs, 1);
    c.last[2] = v2->UnregisterCustomActionCallback(u"Hold");
    std::unique_ptr<Health> h(new Health);
    hr = mon->CheckHealth(h.get());
    c.keep(hr, std::move(h), c.checks, 3);
    sdk::BOOL idle = 0;
    c.last[4] = mon->CheckIdle(&idle);
    if (after) c.rounds_after++;
  }
}

// Native callers on four threads call every method while Lua closes the
// provider and then the state; TSan checks the threads, this the counts.
static void close_under_fire() {
  sdk::IProtocolManager *pm = nullptr;
  lua_State *L = new_host(&pm);
  if (L == nullptr) return;
  pm->AddRef();
  auto *v1 = get<sdk::IPmCustomActions>(pm, sdk::PM_CUSTOM_ACTIONS_ID);
  auto *v2 = get<sdk::IPmCustomActions2>(pm, CUSTOM_ACTIONS2_ID, true);
  auto *mon = get<sdk::IPmHealthAndIdleMonitor>(
      pm, sdk::PM_HEALTH_AND_IDLE_MONITOR_ID);
  const int T = 4;
  std::vector<Caller> callers(T);
  std::atomic<bool> stop{false}, state_closed{false};
  std::vector<std::thread> ts;
  for (int t = 0; t < T; t++)
    ts.emplace_back([&, t] { call_everything(callers[t], v1, v2, mon, stop, state_closed); });
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
  while (std::chrono::steady_clock::now() < until) customaction_wait(L, 0.005, -1);
  luaL_dostring(L, "pm:close()");
  customaction_wait(L, 0.02, -1);
  lua_close(L);
  state_closed = true;
  // every thread makes a whole round of calls after the close before the
  // last answers are read: a fixed sleep is not enough where threads run
  // one at a time (valgrind) on a loaded machine
  auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (auto &c : callers)
    while (c.rounds_after == 0 && std::chrono::steady_clock::now() < limit)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  stop = true;
  for (auto &t : ts) t.join();
  size_t accepted = 0, calls = 0;
  bool all = true, closed = true;
  for (auto &c : callers) {
    for (auto &x : c.runs) all = all && settled(S_OK_, *x);
    for (auto &x : c.regs) all = all && settled(S_OK_, *x);
    for (auto &x : c.checks) all = all && settled(S_OK_, *x);
    all = all && c.bad == 0;
    accepted += c.calls - c.refused;
    calls += c.calls;
    for (HRESULT hr : c.last) closed = closed && hr == RPC_E_DISCONNECTED_;
  }
  std::printf("# %zu calls from %d threads, %zu accepted\n", calls, T, accepted);
  ok(accepted > 0 && all, "4 threads calling every method while Lua closes "
     "the provider and the state: one final report per accepted call, "
     "none otherwise, every reference back");
  ok(closed, "after that every method answers RPC_E_DISCONNECTED");
  v1->Release();
  v2->Release();
  mon->Release();
  ok(pm->Release() == 0, "the last Release frees the provider");
}

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  sdk::IProtocolManager *pm = nullptr;
  lua_State *L = new_host(&pm);
  if (L == nullptr) return 1;
  pm->AddRef();
  auto *v1 = get<sdk::IPmCustomActions>(pm, sdk::PM_CUSTOM_ACTIONS_ID);
  auto *v2 = get<sdk::IPmCustomActions2>(pm, CUSTOM_ACTIONS2_ID, true);
  auto *mon = get<sdk::IPmHealthAndIdleMonitor>(
      pm, sdk::PM_HEALTH_AND_IDLE_MONITOR_ID);
  ok(v1 && v2 && mon && provider_refs(L) == 5,
     "IProtocolManager hands out each interface with a reference");
  on_lua_thread(L, v1, v2);
  from_threads(L, v1, v2);
  cancel_and_monitor(L, v2, mon);
  v1->Release();
  mon->Release();
  luaL_dostring(L, "held = {} collectgarbage() collectgarbage()");
  ok(provider_refs(L) == 3, "the provider counts the client's references");
  close_with_references(L, pm, v2);
  close_under_fire();
  return tap_done();
}
