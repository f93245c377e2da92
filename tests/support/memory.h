// Peak resident memory of this process or its children, and the limits tests
// hold them to. Under AddressSanitizer every process carries shadow memory and
// a freed-memory quarantine (256 MB by default), so a limit is widened by that
// overhead there; it still catches the unbounded growth the tests are about
// (an expanded alias bomb is gigabytes).
#pragma once

#include <sys/resource.h>

namespace tollgate::testing {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kUnderAsan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kUnderAsan = true;
#else
inline constexpr bool kUnderAsan = false;
#endif
#else
inline constexpr bool kUnderAsan = false;
#endif

// The largest resident size of any child waited for so far, in KiB.
inline long PeakChildRssKb() {
  rusage u{};
  getrusage(RUSAGE_CHILDREN, &u);
  return u.ru_maxrss;
}

// This process's largest resident size so far, in KiB.
inline long PeakSelfRssKb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

// `kb` for a process whose own work needs at most that much; under ASan plus
// the sanitizer's quarantine, allocator and shadow overhead (measured: a
// streaming export that peaks at 20 MB peaks at 660 MB under ASan). The
// release build holds the real limit; under ASan the limit still catches
// growth to gigabytes.
inline constexpr long RssLimitKb(long kb) { return kUnderAsan ? kb * 4 + 1024 * 1024 : kb; }

// The size of a memory test's input: under ASan a tenth. There the limit is
// widened past what the full input could show, so the test's worth is
// running the streaming code under the sanitizer, which a tenth of the input
// does as well, ten times sooner (the five largest took 380 s of CI's ASan
// stage). The release build keeps the full size and the real limit.
inline constexpr long ScaledForAsan(long n) { return kUnderAsan ? n / 10 : n; }

}  // namespace tollgate::testing
