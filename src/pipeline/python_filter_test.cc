#include "pipeline/python_filter.h"

#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace lantern::pipeline {
namespace {

// Alerts as the worker receives them, reduced to what these functions read.
std::vector<PythonAlert> Alerts(int n, size_t padding = 0) {
  std::vector<PythonAlert> out;
  const std::string pad(padding, 'x');
  for (int i = 0; i < n; ++i) {
    out.push_back({fmt::format(R"({{"alertId":{},"objectId":"X{}","features":{{"ncand":{}}},)"
                               R"("lightcurve":[],"candidate":null}})",
                               i, i, i),
                   fmt::format(R"({{"pad":"{}"}})", pad)});
  }
  return out;
}

class PythonFilterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(limits_.bwrap.c_str(), X_OK) != 0) GTEST_SKIP() << "no " << limits_.bwrap;
    limits_.exchange_timeout = std::chrono::milliseconds(3000);
  }
  SandboxLimits limits_;
};

constexpr const char* kOdd =
    "def filter(alert):\n"
    "    n = alert['ncand']\n"
    "    return {'n': n, 'pad': len(alert.packet['pad'])} if n % 2 else False\n";

TEST_F(PythonFilterTest, ResultsInOrderAcrossChunks) {
  PythonFilter f("t/odd", kOdd, limits_);
  // 3,000 alerts of ~4 KiB: more than one 8 MiB request, written while replies are read.
  const std::vector<PythonAlert> alerts = Alerts(3000, 4000);
  auto results = f.Run(alerts);
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  ASSERT_EQ(results->size(), alerts.size());
  for (size_t i = 0; i < results->size(); ++i) {
    const PythonResult& r = (*results)[i];
    ASSERT_EQ(r.match, i % 2 == 1) << i;
    if (r.match) {
      EXPECT_EQ(r.annotation["n"].get<int>(), static_cast<int>(i));
      EXPECT_EQ(r.annotation["pad"].get<int>(), 4000);
    } else {
      EXPECT_TRUE(r.annotation.is_null());
    }
  }
  EXPECT_FALSE(f.disabled());
}

TEST_F(PythonFilterTest, ConcurrentRunsShareTheWorkers) {
  PythonFilter f("t/odd", kOdd, limits_, 2);
  const std::vector<PythonAlert> alerts = Alerts(200);
  std::vector<int> matches(4, -1);
  std::vector<std::string> errors(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      int n = 0;
      for (int k = 0; k < 5; ++k) {
        auto r = f.Run(alerts);
        if (!r.ok()) {
          errors[t] = r.status().ToString();
          return;
        }
        for (const PythonResult& x : *r) n += x.match;
      }
      matches[t] = n;
    });
  }
  for (auto& t : threads) t.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(matches[t], 5 * 100) << errors[t];
}

TEST_F(PythonFilterTest, StderrFloodDoesNotBlock) {
  PythonFilter f("t/noisy",
                 "import sys\ndef filter(a):\n    sys.stderr.write('x' * 20000 + '\\n')\n"
                 "    return True\n",
                 limits_);
  auto r = f.Run(Alerts(300));  // 6 MB of stderr, far beyond a pipe buffer
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->size(), 300u);
}

TEST_F(PythonFilterTest, TimeoutDisablesAndLaterRunsFailFast) {
  limits_.exchange_timeout = std::chrono::milliseconds(500);
  PythonFilter f("t/hang", "import time\ndef filter(a):\n    time.sleep(60)\n", limits_);
  auto r = f.Run(Alerts(3));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(f.disabled());
  EXPECT_NE(f.reason().find("wall-clock limit of 500 ms"), std::string::npos) << f.reason();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(f.Run(Alerts(3)).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(100));
}

TEST_F(PythonFilterTest, CpuLimitEndsABusyLoopBeforeTheWallClock) {
  limits_.cpu_seconds = 1;
  limits_.exchange_timeout = std::chrono::milliseconds(20000);
  PythonFilter f("t/spin", "def filter(a):\n    while True:\n        pass\n", limits_);
  auto r = f.Run(Alerts(1));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(f.reason().find("SIGXCPU"), std::string::npos) << f.reason();
}

TEST_F(PythonFilterTest, LoadErrorsAreReasons) {
  PythonFilter syntax("t/syntax", "def filter(a)\n  return 1\n", limits_);
  EXPECT_FALSE(syntax.Check().ok());
  EXPECT_NE(syntax.reason().find("SyntaxError"), std::string::npos) << syntax.reason();
  PythonFilter printer("t/print", "print('hi')\ndef filter(a):\n    return None\n", limits_);
  ASSERT_TRUE(printer.Check().ok()) << printer.reason();  // a print does not break the protocol
  auto r = printer.Run(Alerts(2));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE((*r)[0].match);
}

}  // namespace
}  // namespace lantern::pipeline
