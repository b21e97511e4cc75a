// client.hpp: what the C++ tests that play a native client share: TAP
// output, the HRESULTs they expect, and callbacks (v1, v2, health) that
// record what they receive and count their references, so that a test
// can check that every AddRef the other side made was released.
#ifndef CA_TEST_CLIENT_HPP
#define CA_TEST_CLIENT_HPP

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sdk.hpp"
#include "tap.h"

using sdk::HRESULT;
const HRESULT S_OK_ = 0;
const HRESULT E_ABORT_ = (HRESULT)0x80004004u;
const HRESULT E_NOTIMPL_ = (HRESULT)0x80004001u;
const HRESULT RPC_E_DISCONNECTED_ = (HRESULT)0x80010108u;
const HRESULT ALREADY_EXISTS_ = (HRESULT)0x800700B7u;
const sdk::DWORD CUSTOM_ACTIONS2_ID = 2;  // our documented choice


// What a callback received: "response" or "response!" for a final one,
// with a non-zero status written in front as "<hex>:".
struct Recorder {
  std::mutex m;
  std::vector<std::string> got;
  std::atomic<int> refs{1}, addrefs{0}, releases{0};
  void add(HRESULT st, bool final, const sdk::BYTE *b, sdk::DWORD n) {
    std::string s;
    if (st != 0) {
      char h[16];
      std::snprintf(h, sizeof h, "%08x:", (unsigned)st);
      s = h;
    }
    s += b ? std::string((const char *)b, n) : "nil";
    if (final) s += "!";
    std::lock_guard<std::mutex> g(m);
    got.push_back(s);
  }
  size_t size() {
    std::lock_guard<std::mutex> g(m);
    return got.size();
  }
  std::string joined() {
    std::lock_guard<std::mutex> g(m);
    std::string s;
    for (auto &x : got) s += (s.empty() ? "" : " ") + x;
    return s;
  }
};

class V1 : public sdk::ICustomActionResultCallback, public Recorder {
 public:
  sdk::ULONG SDK_METHOD AddRef() override { addrefs++; return ++refs; }
  sdk::ULONG SDK_METHOD Release() override { releases++; return --refs; }
  HRESULT SDK_METHOD ReportResult(HRESULT st, sdk::BYTE *b, sdk::DWORD n) override {
    add(st, true, b, n);
    return ret;
  }
  HRESULT ret = S_OK_;
};

class V2 : public sdk::ICustomAction2ResultCallback, public Recorder {
 public:
  sdk::ULONG SDK_METHOD AddRef() override { addrefs++; return ++refs; }
  sdk::ULONG SDK_METHOD Release() override { releases++; return --refs; }
  HRESULT SDK_METHOD ReportResult(HRESULT st, sdk::BOOL f, sdk::BYTE *b,
                       sdk::DWORD n) override {
    add(st, f != 0, b, n);
    return S_OK_;
  }
};

class Health : public sdk::IHealthStatusCallback {
 public:
  sdk::ULONG SDK_METHOD AddRef() override { return ++refs; }
  sdk::ULONG SDK_METHOD Release() override { return --refs; }
  HRESULT SDK_METHOD ReportHealth(sdk::BOOL f) override {
    healthy = f;
    reports++;
    return S_OK_;
  }
  std::atomic<int> refs{1}, reports{0}, healthy{-1};
};

// Polls until pred holds or 5 s pass (for answers made on other threads).
template <class F> bool eventually(F pred) {
  for (int i = 0; i < 500 && !pred(); i++)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return pred();
}

#endif
