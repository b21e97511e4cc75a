// abi_test.cpp: ABI conformance, written only from the SDK's layout.
// The interfaces are declared here as wpframework.h declares them: pure
// virtual classes, methods in slot order, no QueryInterface. (a) Objects
// made by customaction are driven through these classes, both from the
// core alone and with a Lua handler behind them. (b) A C++ implementation
// of ICustomAction2ResultCallback is driven from C through wpf.h.
// (c) lua_close with native references outstanding. Output is TAP.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "luahost.h"
#include "tap.h"

#include "sdk.hpp"  // the SDK classes, written from the layout alone

#include "abi_c_side.h"

// ---- (a) the core alone, with a recording deliver function --------------

struct Record {
  std::int32_t status;
  int final;
  bool null_buf;
  std::string bytes;
};

static Record record(int i) {
  Record r = {0, -1, false, ""};
  HRESULT st;
  int final, null_buf;
  const BYTE *bytes;
  DWORD len;
  if (abi_core_record(i, &st, &final, &null_buf, &bytes, &len)) {
    r.status = st;
    r.final = final;
    r.null_buf = null_buf != 0;
    r.bytes.assign(reinterpret_cast<const char *>(bytes), len);
  }
  return r;
}

static void test_core_through_sdk_classes() {
  void *cb = abi_core_new(1);
  auto *v1 = static_cast<sdk::ICustomActionResultCallback *>(abi_core_v1(cb));
  auto *v2 = static_cast<sdk::ICustomAction2ResultCallback *>(abi_core_v2(cb));

  ok(static_cast<void *>(v1) != static_cast<void *>(v2),
     "v1 and v2 are distinct interface pointers");
  ok(v1->AddRef() == 2, "v1 AddRef returns the new count");
  ok(v2->AddRef() == 3, "v2 AddRef shares the count");
  ok(v1->Release() == 2 && v2->Release() == 1, "Release through both shapes");

  unsigned char bytes[] = {'a', 0, 'b', 0xFF, 0};
  abi_core_set_return(1);
  sdk::HRESULT hr = v2->ReportResult(static_cast<sdk::HRESULT>(0x80070005u),
                                     1, bytes, sizeof bytes);
  ok(hr == 1, "v2 ReportResult returns the deliver function's HRESULT");
  ok(abi_core_count() == 1 &&
         record(0).status == static_cast<std::int32_t>(0x80070005u),
     "v2 status arrives exactly");
  ok(record(0).final == 1, "v2 final flag arrives");
  ok(record(0).bytes == std::string("a\0b\xFF\0", 5),
     "v2 bytes arrive with embedded NULs");

  abi_core_set_return(static_cast<HRESULT>(0x80004005u));
  hr = v2->ReportResult(0, 0, bytes, 2);
  ok(hr == static_cast<sdk::HRESULT>(0x80004005u) && abi_core_count() == 2 &&
         record(1).final == 0 && record(1).bytes == std::string("a\0", 2),
     "v2 non-final report and failure return");

  hr = v1->ReportResult(7, bytes, 1);
  ok(abi_core_count() == 3 && record(2).status == 7 && record(2).final == 1 &&
         record(2).bytes == "a",
     "v1 ReportResult arrives as a final report");
  ok(hr == static_cast<sdk::HRESULT>(0x80004005u),
     "v1 ReportResult returns the deliver function's HRESULT");

  hr = v2->ReportResult(0, 0, nullptr, 0);
  ok(abi_core_count() == 4 && record(3).null_buf, "NULL buffer, size 0");
  hr = v2->ReportResult(0, 0, nullptr, 4);
  ok(hr == static_cast<sdk::HRESULT>(0x80004003u) && abi_core_count() == 4,
     "NULL buffer with a size is refused with E_POINTER");
  ok(abi_core_refused_null(cb) == 1, "the refusal is counted");

  ok(v1->Release() == 0, "last Release frees the object");
  abi_core_shutdown();
}

// ---- (a) with a Lua handler behind the pointers -------------------------

static void *global_ptr(lua_State *L, const char *name) {
  lua_getglobal(L, name);
  void *p = lua_touserdata(L, -1);
  lua_pop(L, 1);
  return p;
}

static std::string eval_string(lua_State *L, const char *expr) {
  std::string code = std::string("return ") + expr;
  if (luaL_dostring(L, code.c_str()) != 0) {
    std::string e = lua_tostring(L, -1);
    lua_pop(L, 1);
    return "error: " + e;
  }
  size_t n = 0;
  lua_getglobal(L, "tostring");  // luaL_tolstring is 5.2+
  lua_insert(L, -2);
  lua_call(L, 1, 1);
  const char *s = lua_tolstring(L, -1, &n);
  std::string r(s, n);
  lua_pop(L, 1);
  return r;
}

static void test_lua_handler_through_sdk_classes() {
  lua_State *L = luahost_new();
  ok(luahost_run(L,
         "ca = require 'customaction'\n"
         "seen = {}\n"
         "cb = ca.callback(function(status, response, final)\n"
         "  seen[#seen + 1] = { status = status, response = response,\n"
         "                      final = final }\n"
         "  if response == 'deny' then return ca.E_ACCESSDENIED end\n"
         "  if response == 'raise' then error('boom') end\n"
         "end, { name = 'abi', reuse = true, on_error = function() end })\n"
         "v1, v2 = cb:interface('v1'), cb:interface('v2')\n"),
     "Lua callback created");
  if (global_ptr(L, "v1") == nullptr) {
    std::printf("Bail out! cannot run Lua without the module\n");
    std::exit(1);
  }
  auto *v1 = static_cast<sdk::ICustomActionResultCallback *>(
      global_ptr(L, "v1"));
  auto *v2 = static_cast<sdk::ICustomAction2ResultCallback *>(
      global_ptr(L, "v2"));

  ok(v2->AddRef() == 2 && v1->AddRef() == 3,
     "AddRef through v2 and v1 share the Lua callback's count");
  ok(eval_string(L, "cb:stats().refs") == "3", "Lua sees the native refs");

  unsigned char bytes[] = {'x', 0, 'y'};
  sdk::HRESULT hr = v2->ReportResult(static_cast<sdk::HRESULT>(0x80004004u),
                                     1, bytes, 3);
  ok(hr == 0, "handler returning nothing gives S_OK");
  ok(eval_string(L, "seen[1].status == ca.E_ABORT") == "true",
     "handler got the status as the interned HRESULT value");
  ok(eval_string(L, "seen[1].response == 'x\\0y'") == "true",
     "handler got the bytes with the embedded NUL");
  ok(eval_string(L, "seen[1].final") == "true", "handler got final = true");

  unsigned char deny[] = {'d', 'e', 'n', 'y'};
  hr = v1->ReportResult(0, deny, 4);
  ok(hr == static_cast<sdk::HRESULT>(0x80070005u),
     "v1: the handler's HRESULT returns to the native caller");
  ok(eval_string(L, "seen[2].final") == "true", "v1 reports are final");

  unsigned char raise[] = {'r', 'a', 'i', 's', 'e'};
  hr = v2->ReportResult(0, 0, raise, 5);
  ok(hr == static_cast<sdk::HRESULT>(0x80020009u),
     "a raising handler gives DISP_E_EXCEPTION, no unwinding");
  hr = v2->ReportResult(0, 0, nullptr, 0);
  ok(hr == 0 && eval_string(L, "seen[4].response == nil") == "true",
     "a NULL buffer arrives as nil");

  ok(v1->Release() == 2 && v2->Release() == 1, "native refs released");
  lua_close(L);
}

// ---- (b) a C++ implementation driven from C

class CppRecorder : public sdk::ICustomAction2ResultCallback,
                    public sdk::ICustomActionResultCallback {
 public:
  ULONG refs = 1;
  sdk::HRESULT ret = 0;
  std::vector<Record> got;
  ULONG SDK_METHOD AddRef() override { return ++refs; }
  ULONG SDK_METHOD Release() override { return --refs; }
  sdk::HRESULT SDK_METHOD ReportResult(sdk::HRESULT st, sdk::BOOL final, sdk::BYTE *buf,
                            sdk::DWORD len) override {
    Record r;
    r.status = st;
    r.final = final;
    r.null_buf = buf == nullptr;
    if (buf) r.bytes.assign(reinterpret_cast<char *>(buf), len);
    got.push_back(r);
    return ret;
  }
  sdk::HRESULT SDK_METHOD ReportResult(sdk::HRESULT st, sdk::BYTE *buf,
                            sdk::DWORD len) override {
    return ReportResult(st, 1, buf, len);
  }
  virtual ~CppRecorder() {}
};

static void test_cpp_object_from_c() {
  CppRecorder obj;
  obj.ret = static_cast<sdk::HRESULT>(0x8000000Eu);
  auto *c_view = reinterpret_cast<ICustomAction2ResultCallback *>(
      static_cast<sdk::ICustomAction2ResultCallback *>(&obj));
  ok(abi_c_addref_v2(c_view) == 2 && obj.refs == 2,
     "C calls the C++ AddRef through wpf.h");
  unsigned char bytes[] = {1, 0, 2};
  HRESULT hr = abi_c_report_v2(c_view, static_cast<HRESULT>(0x80070490u), 1,
                               bytes, 3);
  ok(hr == static_cast<HRESULT>(0x8000000Eu),
     "C gets the C++ ReportResult's HRESULT");
  ok(obj.got.size() == 1 &&
         obj.got[0].status == static_cast<std::int32_t>(0x80070490u) &&
         obj.got[0].final == 1 &&
         obj.got[0].bytes == std::string("\1\0\2", 3),
     "the C++ object got status, final and bytes from C");
  ok(abi_c_release_v2(c_view) == 1 && obj.refs == 1,
     "C calls the C++ Release through wpf.h");
}

// ---- (b) the issuer driven from C++ through the SDK layout ---------------

static void test_issuer_through_sdk_classes() {
  void *is = abi_issuer_new();   // virtual clock, "Count": every 10, count 3
  auto *pm2 = static_cast<sdk::IPmCustomActions2 *>(abi_issuer_v2(is));
  auto *pm1 = static_cast<sdk::IPmCustomActions *>(abi_issuer_v1(is));
  CppRecorder rec;
  sdk::ICustomAction2ResultCallback *cb2 = &rec;
  sdk::ICustomActionResultCallback *cb1 = &rec;

  ok(pm2->AddRef() == 2 && pm1->Release() == 1,
     "issuer AddRef/Release through both interfaces share one count");
  ok(pm2->RegisterCustomActionCallback(u"Count", u"site=1", cb2) == 0,
     "C++ registers its own callback with a UTF-16 name");
  ok(rec.refs == 2, "the issuer AddRef'd the C++ callback");
  ok(pm2->RegisterCustomActionCallback(u"Count", u"", cb2) ==
         static_cast<sdk::HRESULT>(0x800700B7u),
     "a second registration gets HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS)");
  ok(pm2->RegisterCustomActionCallback(u"Nope", u"", cb2) ==
         static_cast<sdk::HRESULT>(0x80070490u),
     "an undefined name gets HRESULT_FROM_WIN32(ERROR_NOT_FOUND)");
  abi_issuer_advance(is, 100);
  ok(rec.got.size() == 3 && rec.got[2].final == 1 && rec.got[0].final == 0 &&
         rec.got[1].bytes == "n=2",
     "the C++ callback got three reports, the last final");
  ok(rec.refs == 1, "the issuer released the C++ callback");

  ok(pm1->RunCustomAction(u"Count", u"", cb1) == 0, "RunCustomAction via v1");
  abi_issuer_advance(is, 100);
  ok(rec.got.size() == 4 && rec.got[3].final == 1 && rec.refs == 1,
     "one v1 report, then released");

  ok(pm2->RegisterCustomActionCallback(u"Count", u"", cb2) == 0 &&
         pm2->UnregisterCustomActionCallback(u"Count") == 0 &&
         rec.got.size() == 5 &&
         rec.got[4].status == static_cast<std::int32_t>(0x80004004u) &&
         rec.got[4].final == 1 && rec.refs == 1,
     "Unregister delivers one final E_ABORT and releases");
  ok(pm2->UnregisterCustomActionCallback(u"Count") ==
         static_cast<sdk::HRESULT>(0x80070490u),
     "Unregister of an unknown name gets ERROR_NOT_FOUND");
  static const char16_t unpaired[] = {0xD800, u'x', 0};
  ok(pm2->RegisterCustomActionCallback(unpaired, u"", cb2) ==
         static_cast<sdk::HRESULT>(0x80070057u) && rec.refs == 1,
     "a name with an unpaired surrogate gets E_INVALIDARG, no AddRef");
  ok(pm2->RegisterCustomActionCallback(nullptr, u"", cb2) ==
         static_cast<sdk::HRESULT>(0x80004003u) &&
         pm2->RegisterCustomActionCallback(u"Count", u"", nullptr) ==
         static_cast<sdk::HRESULT>(0x80004003u),
     "NULL name or callback gets E_POINTER");
  abi_issuer_release(is);
}

// ---- (c) lua_close with native references outstanding --------------------

static void test_close_with_native_refs() {
  lua_State *L = luahost_new();
  ok(luahost_run(L,
         "local ca = require 'customaction'\n"
         "local cb = ca.callback(function() end)\n"
         "ptr = cb:interface('v2')\n"),
     "state with a callback");
  if (global_ptr(L, "ptr") == nullptr) {
    std::printf("Bail out! cannot run Lua without the module\n");
    std::exit(1);
  }
  auto *v2 = static_cast<sdk::ICustomAction2ResultCallback *>(
      global_ptr(L, "ptr"));
  ok(v2->AddRef() == 2, "native code holds a reference");
  lua_close(L);
  unsigned char b[] = {'z'};
  ok(v2->ReportResult(0, 0, b, 1) == static_cast<sdk::HRESULT>(0x80010108u),
     "after lua_close a report gets RPC_E_DISCONNECTED");
  ok(v2->Release() == 0, "the last Release frees the object");
}

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  test_core_through_sdk_classes();
  test_lua_handler_through_sdk_classes();
  test_cpp_object_from_c();
  test_issuer_through_sdk_classes();
  test_close_with_native_refs();
  return tap_done();
}
