// The `alerts:` section: rule files, targets with secrets from files or
// systemd credentials, delivery settings, and each mistake reported with
// file:line:col.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <string>

#include "config/config.h"
#include "tests/testing/temp_dir.h"

namespace assay::config {
namespace {

using ::testing::HasSubstr;

class AlertsConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_.path() + "/alerts.yaml") << "alerts: []\n";
    std::ofstream(dir_.path() + "/smtp-password") << "  s3cret-Pa55\n";
    std::ofstream(dir_.path() + "/hook-secret") << "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n";
  }
  Result<Config> Parse(const std::string& text) {
    return ParseConfig(text, dir_.path() + "/assay.yaml");
  }
  testing::TempDir dir_;
};

TEST_F(AlertsConfigTest, ReadsRuleFilesTargetsSecretsAndDelivery) {
  Result<Config> c = Parse(R"(alerts:
  rules: [alerts.yaml]
  targets:
    - name: ops-mail
      min_severity: high
      email:
        url: smtp://127.0.0.1:2525
        tls: none
        from: assay@example.org
        to: [ops@example.org, desk@example.org]
        username: assay
        password_file: smtp-password
    - name: hook
      webhook: {url: "https://hooks.example.org/assay", secret_file: hook-secret, timeout: 5s}
    - name: chat
      slack: {url: "https://hooks.slack.example/T0/B0"}
  delivery: {initial_backoff: 10s, max_backoff: 30m, give_up_after: 12h}
)");
  ASSERT_TRUE(c) << c.error().message();
  const AlertsConfig& a = c->alerts;
  ASSERT_EQ(a.rule_files.size(), 1u);
  EXPECT_EQ(a.rule_files[0], dir_.path() + "/alerts.yaml");
  ASSERT_EQ(a.targets.size(), 3u);
  EXPECT_EQ(a.targets[0].kind, "email");
  EXPECT_EQ(a.targets[0].tls, "none");
  EXPECT_EQ(a.targets[0].to.size(), 2u);
  EXPECT_EQ(a.targets[0].password, "s3cret-Pa55");
  EXPECT_EQ(a.targets[0].min_severity, "high");
  EXPECT_EQ(a.targets[1].kind, "webhook");
  EXPECT_EQ(a.targets[1].secret, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  EXPECT_EQ(a.targets[1].timeout, std::chrono::seconds(5));
  EXPECT_EQ(a.targets[2].kind, "slack");
  EXPECT_EQ(a.initial_backoff, std::chrono::seconds(10));
  EXPECT_EQ(a.max_backoff, std::chrono::minutes(30));
  EXPECT_EQ(a.give_up_after, std::chrono::hours(12));
}

TEST_F(AlertsConfigTest, SecretsComeFromSystemdCredentials) {
  setenv("CREDENTIALS_DIRECTORY", dir_.path().c_str(), 1);
  Result<Config> c = Parse(
      "alerts:\n  targets:\n    - name: m\n      email: {url: 'smtps://mail.example.org', from: a@example.org,"
      " to: b@example.org, username: u, password_credential: smtp-password}\n");
  unsetenv("CREDENTIALS_DIRECTORY");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->alerts.targets[0].password, "s3cret-Pa55");
  Result<Config> no_dir = Parse(
      "alerts:\n  targets:\n    - name: m\n      webhook: {url: 'https://h.example.org', "
      "secret_credential: hook-secret}\n");
  ASSERT_FALSE(no_dir);
  EXPECT_THAT(no_dir.error().message(), HasSubstr("CREDENTIALS_DIRECTORY is not set"));
}

TEST_F(AlertsConfigTest, MistakesAreReportedWhereTheyAre) {
  struct Case {
    const char* yaml;
    const char* expected;
  };
  const Case cases[] = {
      {"alerts:\n  rule: []\n", "assay.yaml:2:3: unknown key 'alerts.rule'"},
      {"alerts:\n  rules: [missing.yaml]\n", "missing.yaml' does not exist"},
      {"alerts:\n  targets:\n    - name: x\n", "needs exactly one of email, webhook or slack"},
      {"alerts:\n  targets:\n    - name: x\n      webhook: {url: 'ftp://h'}\n",
       "must start with http:// or https://"},
      {"alerts:\n  targets:\n    - name: x\n      email: {url: 'https://h', from: a, to: b}\n",
       "must start with smtp:// or smtps://"},
      {"alerts:\n  targets:\n    - name: x\n      email: {url: 'smtp://h', from: a}\n",
       "'alerts.targets[x].email.to' needs a recipient"},
      {"alerts:\n  targets:\n    - name: x\n      webhook: {url: 'https://h', secret_file: nope}\n",
       "cannot read a secret from"},
      {"alerts:\n  targets:\n    - {name: x, webhook: {url: 'https://h'}}\n    - {name: x, "
       "webhook: {url: 'https://h'}}\n",
       "alert target 'x' is named twice"},
      {"alerts:\n  delivery: {initial_backoff: 2h, max_backoff: 1h}\n",
       "initial_backoff must be positive and at most max_backoff"},
  };
  for (const Case& c : cases) {
    Result<Config> r = Parse(c.yaml);
    ASSERT_FALSE(r) << c.yaml;
    EXPECT_THAT(r.error().message(), HasSubstr(c.expected)) << c.yaml;
  }
}

}  // namespace
}  // namespace assay::config
