// Fetch → parse → store against a real HTTP server on 127.0.0.1 and a real
// RocksDB store in a temp dir. Each case asserts what was stored and the
// feed's state.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <fstream>
#include <future>
#include <optional>

#include "core/time.h"
#include "daemon/fetcher.h"
#include "daemon/pipeline.h"
#include "storage/store.h"
#include "tests/integration/feed_server.h"
#include "tests/testing/temp_dir.h"

namespace assay {
namespace {

using namespace std::chrono_literals;
using daemon::PollReport;

class IngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.ok()) << "feed server did not start";
    fetch_.allow_private_networks = true;
    fetch_.connect_timeout = 2s;
    fetch_.timeout = 4s;
    fetch_.low_speed_bytes = 1000;
    fetch_.low_speed_time = 2s;
    fetch_.max_body_bytes = 1 << 20;
    Reopen();
  }

  void Reopen() {
    pipeline_.reset();
    fetcher_.reset();
    store_.reset();
    auto store = storage::Store::Open(dir_ / "store", {});
    ASSERT_TRUE(store) << store.error().ToString();
    store_ = std::move(*store);
    fetcher_ = std::make_unique<daemon::Fetcher>(io_, fetch_);
    if (!tagger_.valid()) {
      std::promise<Result<std::shared_ptr<const rules::Tagger>>> compiled;
      compiled.set_value(rules::LoadTagger({}));
      tagger_ = compiled.get_future().share();
      ASSERT_TRUE(tagger_.get()) << tagger_.get().error().ToString();
    }
    pipeline_ = std::make_unique<daemon::Pipeline>(io_, *fetcher_, *store_, SystemClock::Get(), fetch_,
                                                   tagger_);
  }

  // Polls `url` once from its stored state and returns the report.
  PollReport Poll(const std::string& url) {
    FeedState state;
    auto stored = store_->GetFeed(url);
    EXPECT_TRUE(stored) << stored.error().ToString();
    if (stored && stored->has_value()) {
      state = **stored;
    } else {
      state.url = url;
      state.current_url = url;
    }
    config::FeedConfig feed;
    feed.url = url;
    std::optional<PollReport> report;
    pipeline_->AsyncPoll(feed, state, [&](PollReport r) { report = std::move(r); });
    io_.restart();
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!report && std::chrono::steady_clock::now() < deadline) io_.run_for(50ms);
    EXPECT_TRUE(report) << "poll of " << url << " did not finish within 30 s";
    return report.value_or(PollReport{});
  }

  FeedState Stored(const std::string& url) {
    auto s = store_->GetFeed(url);
    EXPECT_TRUE(s && s->has_value()) << "no stored state for " << url;
    return s && s->has_value() ? **s : FeedState{};
  }

  testing::TempDir dir_;
  testing::FeedServer server_;
  config::FetchConfig fetch_;
  boost::asio::io_context io_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<daemon::Fetcher> fetcher_;
  std::shared_future<Result<std::shared_ptr<const rules::Tagger>>> tagger_;
  std::unique_ptr<daemon::Pipeline> pipeline_;
};

TEST_F(IngestTest, OkResponseStoresEveryArticleWithCanonicalLinks) {
  const std::string url = server_.Url("/feed.xml?items=5");
  PollReport r = Poll(url);
  EXPECT_EQ(r.state.outcome, FetchOutcome::kOk) << r.state.last_error;
  EXPECT_EQ(r.new_articles, 5u);
  const FeedState s = Stored(url);
  EXPECT_EQ(s.outcome, FetchOutcome::kOk);
  EXPECT_EQ(s.http_status, 200);
  EXPECT_EQ(s.title, "Test feed");
  EXPECT_EQ(s.article_count, 5u);
  EXPECT_FALSE(s.etag.empty());
  EXPECT_TRUE(s.next_attempt.has_value());
  auto a = store_->GetArticle("u:https://feeds.example/items/3");
  ASSERT_TRUE(a && a->has_value()) << "article stored under its canonical link, utm_* dropped";
  EXPECT_EQ((*a)->title, "Item 3 about lithium export licences");
  EXPECT_EQ((*a)->summary, "Paragraph 3 with bold text.");
  EXPECT_EQ((*a)->feed_url, url);
}

TEST_F(IngestTest, SecondPollIsNotModifiedViaEtag) {
  const std::string url = server_.Url("/etag.xml");
  ASSERT_EQ(Poll(url).state.outcome, FetchOutcome::kOk);
  PollReport r = Poll(url);
  EXPECT_EQ(r.state.outcome, FetchOutcome::kNotModified) << r.state.last_error;
  EXPECT_EQ(r.state.http_status, 304);
  EXPECT_EQ(r.new_articles, 0u);
  EXPECT_EQ(Stored(url).article_count, 3u);
}

TEST_F(IngestTest, SecondPollIsNotModifiedViaLastModified) {
  const std::string url = server_.Url("/lastmod.xml");
  ASSERT_EQ(Poll(url).state.outcome, FetchOutcome::kOk);
  EXPECT_TRUE(Stored(url).etag.empty());
  EXPECT_EQ(Stored(url).last_modified, "Wed, 02 Sep 2026 10:00:00 GMT");
  PollReport r = Poll(url);
  EXPECT_EQ(r.state.outcome, FetchOutcome::kNotModified) << r.state.last_error;
  EXPECT_EQ(r.state.http_status, 304);
}

TEST_F(IngestTest, RestartRefetchesConditionallyAndDuplicatesNothing) {
  const std::string url = server_.Url("/feed.xml?items=4");
  ASSERT_EQ(Poll(url).new_articles, 4u);
  Reopen();
  PollReport r = Poll(url);
  EXPECT_EQ(r.state.outcome, FetchOutcome::kNotModified);
  EXPECT_EQ(store_->Counts().articles, 4u);
}

TEST_F(IngestTest, GzipBodyIsDecoded) {
  PollReport r = Poll(server_.Url("/gzip.xml?items=7"));
  EXPECT_EQ(r.state.outcome, FetchOutcome::kOk) << r.state.last_error;
  EXPECT_EQ(r.new_articles, 7u);
}

TEST_F(IngestTest, PermanentRedirectUpdatesStoredUrl) {
  const std::string url = server_.Url("/moved");
  PollReport r = Poll(url);
  EXPECT_EQ(r.state.outcome, FetchOutcome::kOk) << r.state.last_error;
  EXPECT_EQ(Stored(url).current_url, server_.Url("/feed.xml"));
  // The next poll goes straight to the new URL and is conditional there.
  EXPECT_EQ(Poll(url).state.outcome, FetchOutcome::kNotModified);
}

TEST_F(IngestTest, TemporaryRedirectKeepsStoredUrl) {
  const std::string url = server_.Url("/temporary");
  ASSERT_EQ(Poll(url).state.outcome, FetchOutcome::kOk);
  EXPECT_EQ(Stored(url).current_url, url);
}

TEST_F(IngestTest, NotFoundAndServerErrorBackOff) {
  for (const char* path : {"/status/404", "/status/500"}) {
    const std::string url = server_.Url(path);
    const UnixSeconds before = SystemClock::Get().NowSeconds();
    PollReport first = Poll(url);
    EXPECT_EQ(first.state.outcome, FetchOutcome::kFailed);
    EXPECT_EQ(first.state.http_status, std::atoi(path + 8));
    EXPECT_NE(first.state.last_error.find(path + 8), std::string::npos) << first.state.last_error;
    EXPECT_EQ(first.state.consecutive_failures, 1u);
    PollReport second = Poll(url);
    EXPECT_EQ(second.state.consecutive_failures, 2u);
    const FeedState s = Stored(url);
    EXPECT_EQ(s.consecutive_failures, 2u);
    ASSERT_TRUE(s.next_attempt);
    // Equal jitter: the second failure waits at least the whole first base
    // interval (15 min default), the cap is far away.
    EXPECT_GE(*s.next_attempt - before, std::chrono::seconds(15 * 60));
    EXPECT_EQ(s.article_count, 0u);
  }
}

TEST_F(IngestTest, TooManyRequestsHonoursRetryAfter) {
  const std::string url = server_.Url("/status/429?retry=7200");
  const UnixSeconds before = SystemClock::Get().NowSeconds();
  PollReport r = Poll(url);
  EXPECT_EQ(r.state.outcome, FetchOutcome::kFailed);
  EXPECT_EQ(r.state.http_status, 429);
  EXPECT_EQ(r.state.hint_seconds, 7200);
  ASSERT_TRUE(r.state.next_attempt);
  EXPECT_GE(*r.state.next_attempt - before, std::chrono::seconds(7200));
}

TEST_F(IngestTest, StalledServerTimesOut) {
  PollReport r = Poll(server_.Url("/stall?seconds=20"));
  EXPECT_EQ(r.state.outcome, FetchOutcome::kFailed);
  EXPECT_NE(r.state.last_error.find("timeout"), std::string::npos) << r.state.last_error;
}

TEST_F(IngestTest, UnannouncedBodyOverCapIsAborted) {
  PollReport r = Poll(server_.Url("/big?bytes=8388608"));
  EXPECT_EQ(r.state.outcome, FetchOutcome::kFailed);
  EXPECT_NE(r.state.last_error.find("larger than 1048576 bytes"), std::string::npos) << r.state.last_error;
}

TEST_F(IngestTest, GzipBombIsAbortedAtTheDecodedCap) {
  PollReport r = Poll(server_.Url("/bomb?bytes=67108864"));
  EXPECT_EQ(r.state.outcome, FetchOutcome::kFailed);
  EXPECT_NE(r.state.last_error.find("larger than"), std::string::npos) << r.state.last_error;
  EXPECT_EQ(store_->Counts().articles, 0u);
}

TEST_F(IngestTest, HtmlPageIsAClearError) {
  const std::string url = server_.Url("/html");
  PollReport r = Poll(url);
  EXPECT_EQ(r.state.outcome, FetchOutcome::kFailed);
  EXPECT_NE(r.state.last_error.find("not a feed"), std::string::npos) << r.state.last_error;
  EXPECT_EQ(Stored(url).last_error, r.state.last_error);
}

TEST_F(IngestTest, MalformedXmlIsRecoveredWithAWarning) {
  const std::string url = server_.Url("/malformed.xml");
  PollReport r = Poll(url);
  EXPECT_EQ(r.state.outcome, FetchOutcome::kOk) << r.state.last_error;
  EXPECT_EQ(r.new_articles, 2u);
  const FeedState s = Stored(url);
  EXPECT_GT(s.warning_count, 0u);
  EXPECT_FALSE(s.last_warning.empty());
  auto a = store_->GetArticle("u:https://feeds.example/m/1");
  ASSERT_TRUE(a && a->has_value());
  EXPECT_EQ((*a)->title, "Tom & Jerry \u00e9dition \u00a0here");
}

TEST_F(IngestTest, ExternalEntityIsNeverRead) {
  const std::string secret = dir_ / "secret.txt";
  std::ofstream(secret) << "TOPSECRET-4242";
  const std::string url = server_.Url("/xxe.xml?secret=" + secret);
  PollReport r = Poll(url);
  auto a = store_->GetArticle("u:https://feeds.example/x/1");
  if (a && a->has_value()) {
    EXPECT_EQ((*a)->title.find("TOPSECRET"), std::string::npos);
    EXPECT_EQ((*a)->summary.find("TOPSECRET"), std::string::npos);
  }
  EXPECT_EQ(r.state.last_error.find("TOPSECRET"), std::string::npos);
  EXPECT_EQ(r.state.last_warning.find("TOPSECRET"), std::string::npos);
}

TEST_F(IngestTest, BillionLaughsIsNotExpanded) {
  PollReport r = Poll(server_.Url("/laughs.xml"));
  auto a = store_->GetArticle("u:https://feeds.example/l/1");
  if (a && a->has_value()) {
    EXPECT_LT((*a)->title.size(), 100u) << "entity references must not be expanded";
  }
  EXPECT_LT(r.body_bytes, 4096u);
}

TEST_F(IngestTest, PrivateAddressIsRefusedUnlessAllowed) {
  fetch_.allow_private_networks = false;
  Reopen();
  const std::string url = server_.Url("/feed.xml");
  PollReport r = Poll(url);
  EXPECT_EQ(r.state.outcome, FetchOutcome::kFailed);
  EXPECT_NE(r.state.last_error.find("refused to connect to 127.0.0.1"), std::string::npos)
      << r.state.last_error;
  EXPECT_EQ(store_->Counts().articles, 0u);
}

TEST_F(IngestTest, RedirectToAPrivateAddressIsRefusedAtConnectTime) {
  // A second server on 127.0.0.2 that must never see the feed request.
  testing::FeedServer forbidden("", "127.0.0.2");
  ASSERT_TRUE(forbidden.ok());
  fetch_.allow_private_networks = false;
  fetch_.allow_networks = {*config::ParseNetworkRange("127.0.0.1/32")};
  Reopen();
  const std::string url = server_.Url("/redirect?to=" + forbidden.Url("/feed.xml"));
  PollReport r = Poll(url);
  EXPECT_EQ(r.state.outcome, FetchOutcome::kFailed);
  EXPECT_NE(r.state.last_error.find("refused to connect to 127.0.0.2"), std::string::npos)
      << r.state.last_error;
  // Disguised forms of the same address resolve to it and are refused too.
  for (const char* disguise : {"2130706434", "0x7f000002", "0177.0.0.2", "127.2"}) {
    const std::string target = "http://" + std::string(disguise) + ":" + forbidden.port() + "/feed.xml";
    PollReport d = Poll(server_.Url("/redirect?to=" + target));
    EXPECT_EQ(d.state.outcome, FetchOutcome::kFailed) << disguise;
    EXPECT_NE(d.state.last_error.find("refused to connect to 127.0.0.2"), std::string::npos)
        << disguise << ": " << d.state.last_error;
  }
  // Ask the forbidden server what it saw, with private networks allowed.
  fetch_.allow_private_networks = true;
  Reopen();
  std::optional<daemon::FetchResult> hits;
  daemon::FetchRequest req;
  req.url = forbidden.Url("/hits");
  fetcher_->AsyncFetch(req, [&](daemon::FetchResult h) { hits = h; });
  io_.restart();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!hits && std::chrono::steady_clock::now() < deadline) io_.run_for(50ms);
  ASSERT_TRUE(hits && hits->ok());
  EXPECT_EQ(hits->body.find("/feed.xml"), std::string::npos) << hits->body;
}

TEST_F(IngestTest, RedirectLoopAndForeignSchemesAreRefused) {
  for (const std::string& path :
       {std::string("/loop"), std::string("/redirect?to=file:///etc/passwd"),
        std::string("/redirect?to=ftp://127.0.0.1/feed"), std::string("/redirect?to=gopher://127.0.0.1/")}) {
    PollReport r = Poll(server_.Url(path));
    EXPECT_EQ(r.state.outcome, FetchOutcome::kFailed) << path;
    EXPECT_NE(r.state.last_error.find("redirect refused"), std::string::npos)
        << path << ": " << r.state.last_error;
  }
}

TEST_F(IngestTest, RssTtlRaisesTheInterval) {
  const std::string url = server_.Url("/ttl.xml");
  const UnixSeconds before = SystemClock::Get().NowSeconds();
  PollReport r = Poll(url);
  ASSERT_EQ(r.state.outcome, FetchOutcome::kOk) << r.state.last_error;
  EXPECT_EQ(r.state.hint_seconds, 120 * 60);
  ASSERT_TRUE(r.state.next_attempt);
  EXPECT_GE(*r.state.next_attempt - before, std::chrono::seconds(120 * 60));
}

TEST_F(IngestTest, ItemsRepeatedAcrossFeedsAreStoredOnce) {
  ASSERT_EQ(Poll(server_.Url("/feed.xml?items=3")).new_articles, 3u);
  PollReport other = Poll(server_.Url("/gzip.xml?items=5"));
  EXPECT_EQ(other.new_articles, 2u);
  EXPECT_EQ(other.duplicate_articles, 3u);
  EXPECT_EQ(store_->Counts().articles, 5u);
}

}  // namespace
}  // namespace assay
