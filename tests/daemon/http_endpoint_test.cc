#include "daemon/http_endpoint.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/testing/http_client.h"
#include "tests/testing/prometheus_text.h"
#include "tests/testing/temp_dir.h"

namespace assay::daemon {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

using Response = testing::HttpResponse;

Response Send(uint16_t port, const std::string& raw) { return testing::HttpSend(port, raw); }
Response Get(uint16_t port, const std::string& target, const std::string& extra = "") {
  return testing::HttpGet(port, target, extra);
}
Response Post(uint16_t port, const std::string& target, const std::string& body,
              const std::string& extra = "") {
  return testing::HttpPost(port, target, body, extra);
}

// An endpoint on its own loop thread, stopped and joined at the end.
class Running {
 public:
  Running(HttpEndpointOptions options, HttpSources sources) {
    Result<std::unique_ptr<HttpEndpoint>> ep =
        HttpEndpoint::Start(io_, std::move(options), std::move(sources));
    if (!ep) {
      error_ = ep.error().message();
      return;
    }
    endpoint_ = std::move(*ep);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Running() {
    if (endpoint_ != nullptr) {
      asio::post(io_, [this] { endpoint_->Stop(); guard_.reset(); });
      thread_.join();
      endpoint_.reset();
    }
  }
  uint16_t port() const { return endpoint_ ? endpoint_->port() : 0; }
  const std::string& error() const { return error_; }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_ = asio::make_work_guard(io_);
  std::unique_ptr<HttpEndpoint> endpoint_;
  std::thread thread_;
  std::string error_;
};

TEST(HttpEndpointTest, HealthzIsAnsweredByTheLoop) {
  Running ep({}, {});
  ASSERT_NE(ep.port(), 0) << ep.error();
  Response r = Get(ep.port(), "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok\n");
  EXPECT_NE(r.headers.find("Connection: close"), std::string::npos) << r.headers;
}

TEST(HttpEndpointTest, ReadyzIs503WithTheReasonUntilReady) {
  std::atomic<bool> ready = false;
  HttpSources sources;
  sources.readiness = [&]() -> Status {
    return ready ? Status::Ok() : Unavailable("the rules are not loaded");
  };
  Running ep({}, std::move(sources));
  Response r = Get(ep.port(), "/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "not ready: the rules are not loaded\n");
  ready = true;
  r = Get(ep.port(), "/readyz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ready\n");
}

TEST(HttpEndpointTest, MetricsAreServedInTheExpositionFormat) {
  Metrics metrics;
  metrics.CountArticles(2, 0, 0);
  testing::TempDir dir;
  std::ofstream(dir / "000001.sst") << std::string(1000, 'x');
  int scrapes = 0;
  HttpSources sources;
  sources.metrics = &metrics;
  sources.store_path = dir.path();
  sources.before_scrape = [&] { ++scrapes; metrics.SetFeeds(3, 1); };
  Running ep({}, std::move(sources));
  Response r = Get(ep.port(), "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.headers.find("text/plain; version=0.0.4"), std::string::npos) << r.headers;
  testing::Exposition e = testing::ParseExposition(r.body);
  ASSERT_TRUE(e.ok()) << e.error;
  EXPECT_EQ(e.Get("assay_articles_total{change=\"new\"}"), 2);
  EXPECT_EQ(e.Get("assay_feeds_failing"), 1);
  EXPECT_EQ(e.Get("assay_store_size_bytes"), 1000);
  EXPECT_EQ(scrapes, 1);
}

TEST(HttpEndpointTest, RefusesANonLoopbackAddressWithoutAToken) {
  Running ep({.listen = "0.0.0.0"}, {});
  EXPECT_EQ(ep.port(), 0);
  EXPECT_NE(ep.error().find("not a loopback address, requires a token"), std::string::npos)
      << ep.error();
}

TEST(HttpEndpointTest, WithATokenEveryRouteButTheProbesNeedsIt) {
  Metrics metrics;
  HttpSources sources;
  sources.metrics = &metrics;
  Running ep({.listen = "0.0.0.0", .token = "s3cret"}, std::move(sources));
  ASSERT_NE(ep.port(), 0) << ep.error();
  EXPECT_EQ(Get(ep.port(), "/healthz").status, 200);
  EXPECT_EQ(Get(ep.port(), "/readyz").status, 200);
  Response r = Get(ep.port(), "/metrics");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.headers.find("WWW-Authenticate: Bearer"), std::string::npos) << r.headers;
  EXPECT_EQ(Get(ep.port(), "/metrics", "Authorization: Bearer s3cre\r\n").status, 401);
  EXPECT_EQ(Get(ep.port(), "/metrics", "Authorization: Bearer s3cret!\r\n").status, 401);
  EXPECT_EQ(Get(ep.port(), "/metrics", "Authorization: Basic s3cret\r\n").status, 401);
  EXPECT_EQ(Get(ep.port(), "/metrics", "Authorization: Bearer s3cret\r\n").status, 200);
  EXPECT_EQ(Get(ep.port(), "/api/v1/alerts", "Authorization: bearer s3cret\r\n").status, 200);
}

TEST(HttpEndpointTest, PostRoutesAreTokenProtectedAnd501WithoutAlerts) {
  {
    Running ep({}, {});
    Response r = Post(ep.port(), "/api/v1/silences", "{}");
    EXPECT_EQ(r.status, 403);
    EXPECT_NE(r.body.find("needs a token"), std::string::npos) << r.body;
    EXPECT_EQ(Post(ep.port(), "/api/v1/alerts/abc/ack", "").status, 403);
  }
  Running ep({.token = "t"}, {});
  EXPECT_EQ(Post(ep.port(), "/api/v1/silences", "{}").status, 401);
  EXPECT_EQ(Post(ep.port(), "/api/v1/silences", "{}", "Authorization: Bearer t\r\n").status, 501);
  EXPECT_EQ(Post(ep.port(), "/api/v1/alerts/abc/ack", "", "Authorization: Bearer t\r\n").status,
            501);
  EXPECT_EQ(Get(ep.port(), "/api/v1/silences", "Authorization: Bearer t\r\n").status, 405);
}

class RecordingAlerts final : public AlertApi {
 public:
  HttpReply ListAlerts(const QueryParams& params) override {
    return {200, "application/json", "{\"alerts\":[],\"params\":" + std::to_string(params.size()) + "}"};
  }
  HttpReply Acknowledge(std::string_view id, std::string_view body) override {
    acked = std::string(id) + "|" + std::string(body);
    return {200, "application/json", "{}"};
  }
  HttpReply Silence(std::string_view body) override {
    silenced = std::string(body);
    return {201, "application/json", "{}"};
  }
  std::string acked;
  std::string silenced;
};

TEST(HttpEndpointTest, AlertRoutesReachTheAttachedAlertApi) {
  RecordingAlerts alerts;
  HttpSources sources;
  sources.alerts = &alerts;
  {
    Running ep({.token = "t"}, std::move(sources));
    const std::string auth = "Authorization: Bearer t\r\n";
    EXPECT_EQ(Get(ep.port(), "/api/v1/alerts?state=firing", auth).body, "{\"alerts\":[],\"params\":1}");
    EXPECT_EQ(Post(ep.port(), "/api/v1/alerts/a%2Db/ack", "{\"by\":\"me\"}", auth).status, 200);
    EXPECT_EQ(Post(ep.port(), "/api/v1/silences", "{\"for\":\"1h\"}", auth).status, 201);
  }
  EXPECT_EQ(alerts.acked, "a-b|{\"by\":\"me\"}");
  EXPECT_EQ(alerts.silenced, "{\"for\":\"1h\"}");
}

TEST(HttpEndpointTest, AlertsListIsEmptyWithoutAnAlertEngine) {
  Running ep({}, {});
  Response r = Get(ep.port(), "/api/v1/alerts");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(nlohmann::json::parse(r.body), nlohmann::json::parse(R"({"alerts": []})"));
}

TEST(HttpEndpointTest, BadRequestsGetTheirStatus) {
  Running ep({.max_request_bytes = 1024}, {});
  EXPECT_EQ(Get(ep.port(), "/nope").status, 404);
  EXPECT_EQ(Post(ep.port(), "/healthz", "").status, 405);
  EXPECT_EQ(Get(ep.port(), "/healthz", "X-Big: " + std::string(2000, 'a') + "\r\n").status, 413);
  EXPECT_EQ(Post(ep.port(), "/api/v1/silences", std::string(2000, 'a')).status, 413);
  EXPECT_EQ(Send(ep.port(), "NOT HTTP\r\n\r\n").status, 400);
  EXPECT_EQ(Get(ep.port(), "/api/v1/alerts?x=%zz").status, 400);
}

TEST(HttpEndpointTest, ConnectionsPastTheLimitGet503) {
  Running ep({.max_connections = 1}, {});
  // The first connection sends nothing and holds the only slot.
  asio::io_context io;
  tcp::socket idle(io);
  idle.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), ep.port()));
  // The server sees the idle connection before the next one (one accept
  // loop, in order).
  EXPECT_EQ(Get(ep.port(), "/healthz").status, 503);
  idle.close();
}

TEST(HttpEndpointTest, EventsAreQueriedWithTheCliFilters) {
  testing::TempDir dir;
  auto store = storage::Store::Open(dir / "store", {});
  ASSERT_TRUE(store) << store.error().message();
  for (int i = 0; i < 3; ++i) {
    Article a;
    a.id = "art-" + std::to_string(i);
    a.feed_url = "https://feed.example/rss";
    a.title = "Title " + std::to_string(i);
    a.link = "https://feed.example/" + std::to_string(i);
    a.fetched = UnixSeconds(std::chrono::seconds(1'790'000'000));
    a.content_hash = 1;
    FeedState feed;
    feed.url = a.feed_url;
    feed.current_url = a.feed_url;
    feed.name = "Feed";
    Result<storage::IngestPlan> plan = (*store)->Plan(feed, {a});
    ASSERT_TRUE(plan);
    Event e;
    e.time = UnixMicros(std::chrono::microseconds(1'790'000'000'000'000 + i));
    e.tags = i == 1 ? std::vector<std::string>{"export_controls"} : std::vector<std::string>{"other"};
    e.score = i;
    e.severity = "low";
    plan->items.at(0).event = e;
    ASSERT_TRUE((*store)->Apply(*plan).ok());
  }
  HttpSources sources;
  sources.store = store->get();
  Running ep({}, std::move(sources));
  Response r = Get(ep.port(), "/api/v1/events?tag=export_controls");
  ASSERT_EQ(r.status, 200) << r.body;
  nlohmann::json doc = nlohmann::json::parse(r.body);
  ASSERT_EQ(doc["events"].size(), 1u) << r.body;
  EXPECT_EQ(doc["events"][0]["id"], "art-1");
  EXPECT_EQ(doc["events"][0]["title"], "Title 1");
  EXPECT_EQ(doc["events"][0]["source"], "Feed");
  EXPECT_EQ(doc["events"][0]["tags"], nlohmann::json({"export_controls"}));

  r = Get(ep.port(), "/api/v1/events?oldest-first=true&limit=2&min-score=0");
  doc = nlohmann::json::parse(r.body);
  ASSERT_EQ(doc["events"].size(), 2u) << r.body;
  EXPECT_EQ(doc["events"][0]["id"], "art-0");
  EXPECT_EQ(doc["events"][1]["id"], "art-1");

  r = Get(ep.port(), "/api/v1/events?grep=Title%202");
  doc = nlohmann::json::parse(r.body);
  ASSERT_EQ(doc["events"].size(), 1u) << r.body;
  EXPECT_EQ(doc["events"][0]["id"], "art-2");

  r = Get(ep.port(), "/api/v1/events?min-score=lots");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"], "min-score: 'lots' is not a number");
  EXPECT_EQ(Get(ep.port(), "/api/v1/events?colour=red").status, 400);
}

TEST(HttpEndpointTest, QueryStringsAreDecoded) {
  struct Case {
    const char* in;
    QueryParams out;
  };
  const Case cases[] = {
      {"", {}},
      {"a=1", {{"a", "1"}}},
      {"a=1&b=x%20y&a=2", {{"a", "1"}, {"b", "x y"}, {"a", "2"}}},
      {"q=a+b&&flag", {{"q", "a b"}, {"flag", ""}}},
      {"k%3D=%26", {{"k=", "&"}}},
  };
  for (const Case& c : cases) {
    Result<QueryParams> r = ParseQueryString(c.in);
    ASSERT_TRUE(r) << c.in;
    EXPECT_EQ(*r, c.out) << c.in;
  }
  for (const char* bad : {"a=%", "a=%4", "a=%g1"}) EXPECT_FALSE(ParseQueryString(bad)) << bad;
}

TEST(HttpEndpointTest, TokensMatchOnlyExactly) {
  EXPECT_TRUE(TokenMatches("abc", "abc"));
  EXPECT_FALSE(TokenMatches("abd", "abc"));
  EXPECT_FALSE(TokenMatches("ab", "abc"));
  EXPECT_FALSE(TokenMatches("abcd", "abc"));
  EXPECT_FALSE(TokenMatches("", ""));  // no token configured matches nothing
}

}  // namespace
}  // namespace assay::daemon
