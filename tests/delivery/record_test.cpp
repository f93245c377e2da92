// Recording delivery events through the library (delivery/record.h), as the
// CLI and the server's webhook routes do. Issue 14 item 1: webhook
// authentication fails closed.
#include "delivery/record.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "delivery/webhooks.h"

namespace tollgate::delivery {
namespace {

namespace fs = std::filesystem;

const std::string kBody = R"({"zen":"forged"})";

Status Auth(ImportFormat f, std::optional<std::string> secret, std::optional<std::string> sig) {
  return AuthenticateDelivery(f, secret, WebhookCredentials{std::move(sig), "", ""}, kBody, 1'780'000'000);
}

TEST(WebhookAuth, ConfiguredSecretRefusesMissingEmptyOrMalformedSignatures) {
  for (auto f : {ImportFormat::kGithub, ImportFormat::kGitlab, ImportFormat::kPagerDuty}) {
    EXPECT_FALSE(Auth(f, "s3cret", std::nullopt).has_value()) << "no signature header";
    EXPECT_FALSE(Auth(f, "s3cret", "").has_value()) << "empty signature header";
    EXPECT_FALSE(Auth(f, "s3cret", "garbage").has_value()) << "malformed signature header";
  }
  EXPECT_FALSE(Auth(ImportFormat::kGithub, "s3cret", "sha256=").has_value());
  EXPECT_FALSE(Auth(ImportFormat::kGithub, "s3cret", "sha256=" + std::string(64, '0')).has_value());
}

TEST(WebhookAuth, GenuineSignaturesAreAccepted) {
  EXPECT_TRUE(Auth(ImportFormat::kGithub, "s3cret", "sha256=" + HmacSha256Hex("s3cret", kBody)).has_value());
  EXPECT_TRUE(Auth(ImportFormat::kPagerDuty, "s3cret", "v1=" + HmacSha256Hex("s3cret", kBody)).has_value());
  EXPECT_TRUE(Auth(ImportFormat::kGitlab, "s3cret", "s3cret").has_value());
}

TEST(WebhookAuth, EmptySecretIsAConfigurationError) {
  // An HMAC keyed with the empty string is computable by anyone.
  EXPECT_FALSE(Auth(ImportFormat::kGithub, "", "sha256=" + HmacSha256Hex("", kBody)).has_value());
  EXPECT_FALSE(Auth(ImportFormat::kGitlab, "", "").has_value());
  // The building blocks refuse it too (defence in depth).
  EXPECT_FALSE(VerifyGithubSignature("", kBody, "sha256=" + HmacSha256Hex("", kBody)).has_value());
  EXPECT_FALSE(VerifyGitlabToken("", "").has_value());
  EXPECT_FALSE(VerifyPagerDutySignature("", kBody, "v1=" + HmacSha256Hex("", kBody)).has_value());
}

TEST(WebhookAuth, SignatureWithoutSecretIsAUsageError) {
  auto s = Auth(ImportFormat::kGithub, std::nullopt, "sha256=00");
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message().find("--secret-file"), std::string::npos);
  // Neither: an operator's own file, not a webhook delivery.
  EXPECT_TRUE(Auth(ImportFormat::kJsonLines, std::nullopt, std::nullopt).has_value());
}

TEST(WebhookAuth, SecretFileMustNotBeEmpty) {
  fs::path p = fs::temp_directory_path() / ("tollgate-secret-" + std::to_string(::getpid()));
  std::ofstream(p) << "\n";
  auto s = LoadWebhookSecret(p.string());
  EXPECT_FALSE(s.has_value());
  std::ofstream(p) << "gh-secret\n";
  auto ok = LoadWebhookSecret(p.string());
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(*ok, "gh-secret");
  fs::remove(p);
}

TEST(Record, DeployFromFieldsHasAStableIdAndChecksChanges) {
  FixedClock clock(*ParseRfc3339("2026-03-02T12:00:00Z"));
  DeployInput in;
  in.service = "api";
  in.env = "prod";
  in.commit = "a1";
  in.time = "2026-03-02T10:00:00Z";
  in.changes = {"c1@2026-03-02T08:00:00Z"};
  auto e1 = MakeDeploy(in, clock.Now());
  auto e2 = MakeDeploy(in, clock.Now());
  ASSERT_TRUE(e1.has_value()) << e1.error().message();
  EXPECT_EQ(e1->deploy.id, e2->deploy.id);
  EXPECT_EQ(e1->deploy.id.rfind("deploy-", 0), 0u);
  in.changes = {"c1@2026-03-02T11:00:00Z"};  // after the deploy
  EXPECT_FALSE(MakeDeploy(in, clock.Now()).has_value());
  in.changes = {"nosep"};
  EXPECT_FALSE(MakeDeploy(in, clock.Now()).has_value());
  in.changes.clear();
  in.status = "maybe";
  EXPECT_FALSE(MakeDeploy(in, clock.Now()).has_value());
}

}  // namespace
}  // namespace tollgate::delivery
