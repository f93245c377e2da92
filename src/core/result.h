// Result and Error: the one error type that crosses module boundaries.
//
// Every fallible library call returns Result<T>. An Error carries a code that
// maps one-to-one onto the CLI exit codes (see ExitCode) and a message that
// names the file and position of the problem when there is one. The library
// never prints and never exits; the CLI maps an Error to stderr and an exit
// code.
#pragma once

#include <string>
#include <utility>

#include <tl/expected.hpp>

namespace tollgate {

// Exit codes of every tollgate command (docs/cli.md).
enum class ExitCode : int {
  kOk = 0,         // success, gate passed
  kBlocked = 1,    // gate blocked or findings above threshold
  kInput = 2,      // bad usage, configuration or input
  kIntegrity = 3,  // ledger integrity failure
  kInternal = 4,   // internal error (a bug or the environment)
};

enum class ErrorCode {
  kInput,      // untrusted input is malformed or invalid (exit 2)
  kNotFound,   // a named file, gate, key or entry does not exist (exit 2)
  kIntegrity,  // stored data does not verify (exit 3)
  kIo,         // the operating system refused (exit 4)
  kInternal,   // a bug (exit 4)
};

class [[nodiscard]] Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Error Input(std::string m) { return {ErrorCode::kInput, std::move(m)}; }
  static Error NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
  static Error Integrity(std::string m) { return {ErrorCode::kIntegrity, std::move(m)}; }
  static Error Io(std::string m) { return {ErrorCode::kIo, std::move(m)}; }
  static Error Internal(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prefix the message with context, e.g. a file name: "tollgate.yaml:3:5: ...".
  Error WithContext(const std::string& prefix) const { return {code_, prefix + ": " + message_}; }

  ExitCode exit_code() const {
    switch (code_) {
      case ErrorCode::kInput:
      case ErrorCode::kNotFound: return ExitCode::kInput;
      case ErrorCode::kIntegrity: return ExitCode::kIntegrity;
      case ErrorCode::kIo:
      case ErrorCode::kInternal: return ExitCode::kInternal;
    }
    return ExitCode::kInternal;
  }

 private:
  ErrorCode code_;
  std::string message_;
};

template <typename T>
using Result = tl::expected<T, Error>;

// Result<void> that reads well at call sites: `return Ok();`
using Status = tl::expected<void, Error>;
inline Status Ok() { return {}; }

inline tl::unexpected<Error> Fail(Error e) { return tl::unexpected<Error>(std::move(e)); }

}  // namespace tollgate

// Propagate an error from an expression returning Result/Status.
#define TG_TRY(expr)                                      \
  do {                                                    \
    auto tg_try_result_ = (expr);                         \
    if (!tg_try_result_) return ::tollgate::Fail(std::move(tg_try_result_).error()); \
  } while (0)
