// Tests that read ../shared/corpora skip with a message when it is absent,
// locally; CI sets TOLLGATE_REQUIRE_CORPORA=1, and then a missing corpus is
// a failure, never a silent skip.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace tollgate::testing {

inline bool CorporaRequired() {
  const char* v = std::getenv("TOLLGATE_REQUIRE_CORPORA");
  return v != nullptr && *v != '\0' && std::string(v) != "0";
}

}  // namespace tollgate::testing

// In a test body: skip (or, with TOLLGATE_REQUIRE_CORPORA set, fail) when
// `path` does not exist. `what` names the corpus in the message.
#define TG_REQUIRE_CORPUS(path, what)                                                                    \
  do {                                                                                                   \
    if (!std::filesystem::exists(path)) {                                                                \
      if (::tollgate::testing::CorporaRequired())                                                        \
        GTEST_FAIL() << (what) << " not found at " << (path) << " and TOLLGATE_REQUIRE_CORPORA is set"; \
      GTEST_SKIP() << (what) << " not found at " << (path) << " (../shared absent)";                     \
    }                                                                                                    \
  } while (0)
