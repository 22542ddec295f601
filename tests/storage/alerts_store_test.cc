// Tests the alerts and outbox families of storage/store.h: records written
// in the same batch as an ingest, read back, the outbox's due order, and
// delivery attempts moving a notification's pending entry.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "storage/store.h"
#include "tests/storage/test_util.h"

namespace assay::storage {
namespace {

using std::chrono::seconds;
using testing::TempDir;

const UnixMicros kT0{std::chrono::seconds(1'700'000'000)};

AlertRecord MakeAlert(std::string id) {
  AlertRecord a;
  a.id = std::move(id);
  a.rule = "ec";
  a.state = "firing";
  a.last_change = "fired";
  a.group = {{"mineral", "gallium"}};
  a.labels = {{"country", "CN"}, {"mineral", "gallium"}};
  a.opened = a.updated = a.notified = kT0;
  a.events = {"u:a"};
  a.value = 2;
  a.severity = "high";
  a.targets = {"mail"};
  return a;
}

Notification MakeNotification(std::string id, const AlertRecord& a, UnixMicros due) {
  Notification n;
  n.id = std::move(id);
  n.alert_id = a.id;
  n.target = "mail";
  n.change = "fired";
  n.state = "pending";
  n.created = kT0;
  n.next_attempt = due;
  n.alert = a;
  return n;
}

class AlertsStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> Open() {
    auto store = Store::Open((dir_.path() / "store").string(), {});
    EXPECT_TRUE(store.has_value()) << store.status().ToString();
    return store ? std::move(*store) : nullptr;
  }
  TempDir dir_;
};

TEST_F(AlertsStoreTest, AlertsAndNotificationsAreWrittenWithTheIngestBatch) {
  auto store = Open();
  ASSERT_TRUE(store);
  FeedState feed;
  feed.url = feed.current_url = "https://feeds.example.com/a.xml";
  Article a;
  a.id = "u:a";
  a.feed_url = feed.url;
  a.title = "China curbs gallium exports";
  a.fetched = UnixSeconds(seconds(1'700'000'000));
  Result<IngestPlan> plan = store->Plan(feed, {a});
  ASSERT_TRUE(plan.has_value());
  Event e;
  e.time = kT0;
  e.tags = {"export_controls"};
  e.severity = "high";
  plan->items[0].event = e;
  const AlertRecord alert = MakeAlert("00000000000000a1");
  plan->alerts = {alert};
  plan->notifications = {MakeNotification("n1", alert, kT0)};
  ASSERT_TRUE(store->Apply(*plan).ok());

  auto got = store->GetAlert("00000000000000a1");
  ASSERT_TRUE(got.has_value() && got->has_value());
  EXPECT_EQ(**got, alert);
  auto due = store->DueNotifications(kT0, 10);
  ASSERT_TRUE(due.has_value());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].alert, alert);

  // A plan that no longer matches the store writes nothing: no alert either.
  Article b = a;
  b.id = "u:b";
  Result<IngestPlan> plan_b = store->Plan(feed, {b});
  ASSERT_TRUE(plan_b.has_value());
  plan_b->alerts = {MakeAlert("00000000000000b2")};
  ASSERT_TRUE(store->Apply(*plan_b).ok());
  Result<IngestPlan> replay_b = plan_b;  // "new" u:b is stored now
  replay_b->alerts = {MakeAlert("00000000000000c3")};
  EXPECT_FALSE(store->Apply(*replay_b).ok());
  auto c3 = store->GetAlert("00000000000000c3");
  ASSERT_TRUE(c3.has_value());
  EXPECT_FALSE(c3->has_value());
}

TEST_F(AlertsStoreTest, DueNotificationsComeSoonestFirstAndAttemptsMoveThem) {
  auto store = Open();
  ASSERT_TRUE(store);
  const AlertRecord alert = MakeAlert("00000000000000a1");
  std::vector<Notification> ns = {MakeNotification("n-late", alert, kT0 + seconds(60)),
                                  MakeNotification("n-soon", alert, kT0 + seconds(10)),
                                  MakeNotification("n-later", alert, kT0 + seconds(3600))};
  ASSERT_TRUE(store->WriteAlerts(std::vector<AlertRecord>{alert}, ns).ok());

  auto due = store->DueNotifications(kT0 + seconds(60), 10);
  ASSERT_TRUE(due.has_value());
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[0].id, "n-soon");
  EXPECT_EQ((*due)[1].id, "n-late");
  EXPECT_EQ(store->DueNotifications(kT0 + seconds(60), 1)->size(), 1u);

  // A temporary failure: retried later.
  Notification retry = (*due)[0];
  retry.attempts = 1;
  retry.last_error = "451 try again";
  retry.next_attempt = kT0 + seconds(7200);
  ASSERT_TRUE(store->UpdateNotification(retry, (*due)[0].next_attempt).ok());
  // Delivered: no longer pending.
  Notification done = (*due)[1];
  done.state = "delivered";
  done.attempts = 1;
  ASSERT_TRUE(store->UpdateNotification(done, (*due)[1].next_attempt).ok());

  due = store->DueNotifications(kT0 + seconds(3600), 10);
  ASSERT_TRUE(due.has_value());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].id, "n-later");
  due = store->DueNotifications(kT0 + seconds(7200), 10);
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[1].id, "n-soon");
  EXPECT_EQ((*due)[1].last_error, "451 try again");

  auto all = store->ListNotifications("00000000000000a1");
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->size(), 3u);
  EXPECT_TRUE(store->ListNotifications("ffff")->empty());
}

TEST_F(AlertsStoreTest, ASecondaryReadsAlertsWhileThePrimaryWrites) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->WriteAlerts(std::vector<AlertRecord>{MakeAlert("00000000000000a1")}, {}).ok());
  auto reader = Store::OpenSecondary((dir_.path() / "store").string(), (dir_.path() / "secondary").string());
  ASSERT_TRUE(reader.has_value()) << reader.status().ToString();
  EXPECT_EQ((*reader)->ListAlerts()->size(), 1u);
  AlertRecord second = MakeAlert("00000000000000a2");
  second.updated = kT0 + seconds(5);
  ASSERT_TRUE(store->WriteAlerts(std::vector<AlertRecord>{second}, {}).ok());
  ASSERT_TRUE((*reader)->CatchUp().ok());
  auto alerts = (*reader)->ListAlerts();
  ASSERT_EQ(alerts->size(), 2u);
  EXPECT_EQ((*alerts)[0].id, "00000000000000a2");  // most recently changed first
  EXPECT_FALSE((*reader)->WriteAlerts(std::vector<AlertRecord>{second}, {}).ok());
}

}  // namespace
}  // namespace assay::storage
