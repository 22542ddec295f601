// The `http:` section: defaults, validation with file:line:col, and the
// token from a systemd credential.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <optional>
#include <string>

#include "config/config.h"
#include "tests/testing/temp_dir.h"

namespace assay::config {
namespace {

Result<Config> Parse(const std::string& text) { return ParseConfig(text, "/etc/assay/assay.yaml"); }

TEST(HttpConfigTest, OffWithoutTheSection) {
  Result<Config> c = Parse("feeds: []\n");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_FALSE(c->http.enabled);
}

TEST(HttpConfigTest, SectionTurnsItOnWithLoopbackDefaults) {
  Result<Config> c = Parse("http: {}\n");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_TRUE(c->http.enabled);
  EXPECT_EQ(c->http.listen, "127.0.0.1");
  EXPECT_EQ(c->http.port, 8787);
  EXPECT_EQ(c->http.token, "");
}

TEST(HttpConfigTest, ReadsListenPortAndToken) {
  Result<Config> c = Parse("http:\n  listen: 0.0.0.0\n  port: 9100\n  token: s3cret\n");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->http.listen, "0.0.0.0");
  EXPECT_EQ(c->http.port, 9100);
  EXPECT_EQ(c->http.token, "s3cret");
}

TEST(HttpConfigTest, NonLoopbackListenWithoutTokenIsAnErrorAtTheListenKey) {
  Result<Config> c = Parse("feeds: []\nhttp:\n  port: 9100\n  listen: 192.0.2.7\n");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find("/etc/assay/assay.yaml:4:11: 'http.listen' 192.0.2.7 is not "
                                     "a loopback address"),
            std::string::npos)
      << c.error().message();
}

TEST(HttpConfigTest, ProblemsAreReportedWithTheirPosition) {
  struct Case {
    const char* yaml;
    const char* expected;
  };
  const Case cases[] = {
      {"http: {port: 70000}\n", "1:14: 'http.port' must be between 0 and 65535"},
      {"http: {listen: example.org}\n", "1:16: 'http.listen' must be an IP address or localhost"},
      {"http: {tokn: x}\n", "1:8: unknown key 'http.tokn'"},
      {"http: [1]\n", "1:7: 'http' must be a mapping"},
      {"http: {token: a, token_credential: b}\n", "'http.token' and 'http.token_credential' are exclusive"},
  };
  for (const Case& c : cases) {
    Result<Config> r = Parse(c.yaml);
    ASSERT_FALSE(r) << c.yaml;
    EXPECT_NE(r.error().message().find(c.expected), std::string::npos)
        << c.yaml << " gave: " << r.error().message();
  }
}

TEST(HttpConfigTest, LoopbackAddressesAreRecognised) {
  for (const char* a : {"127.0.0.1", "127.1.2.3", "::1", "localhost"}) {
    EXPECT_TRUE(IsLoopbackAddress(a)) << a;
  }
  for (const char* a : {"0.0.0.0", "::", "10.0.0.1", "192.0.2.7", "::ffff:127.0.0.1x", ""}) {
    EXPECT_FALSE(IsLoopbackAddress(a)) << a;
  }
}

class CredentialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* old = getenv("CREDENTIALS_DIRECTORY");
    if (old != nullptr) saved_ = old;
  }
  void TearDown() override {
    if (saved_) {
      setenv("CREDENTIALS_DIRECTORY", saved_->c_str(), 1);
    } else {
      unsetenv("CREDENTIALS_DIRECTORY");
    }
  }
  std::optional<std::string> saved_;
};

TEST_F(CredentialTest, TokenComesFromTheCredentialFileTrimmed) {
  testing::TempDir dir;
  std::ofstream(dir / "assay-http-token") << "  t0ken-from-cred\n";
  setenv("CREDENTIALS_DIRECTORY", dir.path().c_str(), 1);
  Result<Config> c = Parse("http: {listen: 0.0.0.0, token_credential: assay-http-token}\n");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->http.token, "t0ken-from-cred");
}

TEST_F(CredentialTest, MissingCredentialsDirectoryIsAnError) {
  unsetenv("CREDENTIALS_DIRECTORY");
  Result<Config> c = Parse("http: {token_credential: assay-http-token}\n");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find("CREDENTIALS_DIRECTORY is not set"), std::string::npos)
      << c.error().message();
}

TEST_F(CredentialTest, UnreadableCredentialIsAnErrorNamingTheFile) {
  testing::TempDir dir;
  setenv("CREDENTIALS_DIRECTORY", dir.path().c_str(), 1);
  Result<Config> c = Parse("http: {token_credential: absent}\n");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find("cannot read a token from " + (dir / "absent")),
            std::string::npos)
      << c.error().message();
}

}  // namespace
}  // namespace assay::config
