// The local HTTP endpoint of a running service: /metrics scraped and parsed
// strictly while feeds from a local server are polled, the probes, the
// event API; and a daemon that refuses a non-loopback bind without a token.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "core/time.h"
#include "daemon/service.h"
#include "tests/integration/feed_server.h"
#include "tests/integration/fixtures.h"
#include "tests/testing/http_client.h"
#include "tests/testing/prometheus_text.h"
#include "tests/testing/run_command.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/wait.h"

namespace assay {
namespace {

using namespace std::chrono_literals;

double Fetches(const testing::Exposition& e) {
  double total = 0;
  for (const auto& [series, value] : e.samples) {
    if (series.starts_with("assay_fetches_total{")) total += value;
  }
  return total;
}

TEST(HttpEndpointIntegrationTest, MetricsMoveAsFeedsAreFetched) {
  testing::TempDir dir;
  testing::FeedServer server;
  ASSERT_TRUE(server.ok());
  std::ofstream(dir / "assay.yaml")
      << "store: {path: " << (dir / "store") << "}\n"
      << "fetch: {allow_private_networks: true, min_interval: 1s}\n"
      << "logging: {level: warn}\n"
      << "http: {port: 0}\n"
      << "feeds:\n"
      << "  - {url: \"" << server.Url("/feed.xml?items=4") << "\", interval: 1s}\n"
      << "  - {url: \"" << server.Url("/status/503") << "\", interval: 1s}\n";
  Result<config::Config> config = config::LoadConfig(dir / "assay.yaml");
  ASSERT_TRUE(config) << config.error().message();
  daemon::Service service(std::move(*config), SystemClock::Get());
  ASSERT_TRUE(service.Open().ok());
  Status run_status;
  std::thread loop([&] { run_status = service.Run(); });
  struct StopOnExit {
    daemon::Service& s;
    std::thread& t;
    ~StopOnExit() {
      s.Stop();
      t.join();
    }
  } stop{service, loop};

  ASSERT_TRUE(testing::Eventually([&] { return service.http_port() != 0; }, 30s));
  const uint16_t port = service.http_port();
  EXPECT_EQ(testing::HttpGet(port, "/healthz").status, 200);

  // After the first polls: every line valid, the feeds counted.
  testing::Exposition first;
  std::string last;
  const bool polled = testing::Eventually(
      [&] {
        testing::HttpResponse r = testing::HttpGet(port, "/metrics");
        last = r.body;
        first = testing::ParseExposition(r.body);
        return r.status == 200 && first.ok() &&
               first.Get("assay_articles_total{change=\"new\"}") == 4 &&
               first.Get("assay_fetches_total{outcome=\"http_error\"}") >= 1;
      },
      30s);
  ASSERT_TRUE(polled) << first.error << "\n" << last;
  EXPECT_GE(first.Get("assay_fetches_total{outcome=\"ok\"}").value_or(0), 1);
  EXPECT_GE(first.Get("assay_fetch_body_bytes_total").value_or(0), 1);
  EXPECT_GE(first.Get("assay_fetch_duration_seconds_count").value_or(0), 2);
  EXPECT_EQ(first.Get("assay_feeds"), 2);
  EXPECT_EQ(first.Get("assay_feeds_failing"), 1);
  EXPECT_GT(first.Get("assay_store_size_bytes").value_or(0), 0);
  EXPECT_EQ(first.types["assay_fetch_duration_seconds"], "histogram");

  // The feeds are due again every second: the counters keep moving.
  testing::Exposition later;
  EXPECT_TRUE(testing::Eventually(
      [&] {
        later = testing::ParseExposition(testing::HttpGet(port, "/metrics").body);
        return later.ok() && Fetches(later) > Fetches(first);
      },
      30s))
      << later.error;
  EXPECT_GE(later.Get("assay_fetch_duration_seconds_count").value_or(0),
            first.Get("assay_fetch_duration_seconds_count").value_or(0));

  testing::HttpResponse ready = testing::HttpGet(port, "/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  testing::HttpResponse events = testing::HttpGet(port, "/api/v1/events?limit=0");
  ASSERT_EQ(events.status, 200) << events.body;
  EXPECT_TRUE(nlohmann::json::parse(events.body)["events"].is_array()) << events.body;
  EXPECT_EQ(testing::HttpGet(port, "/api/v1/events?since=yesterday").status, 400);
}

TEST(HttpEndpointIntegrationTest, DaemonRefusesANonLoopbackBindWithoutAToken) {
  testing::TempDir dir;
  std::ofstream(dir / "assay.yaml") << "store: {path: " << (dir / "store") << "}\n"
                                    << "http:\n  listen: 0.0.0.0\n";
  testing::CommandResult r =
      testing::RunCommand(testing::Assayd() + " --config " + (dir / "assay.yaml") + " 2>&1");
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("assay.yaml:3:11: 'http.listen' 0.0.0.0 is not a loopback address"),
            std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace assay
