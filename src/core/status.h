// Status and Result<T>: how every module reports failure across its API (no exceptions cross
// module boundaries). A Status is cheap when OK (no allocation) and carries a code and a
// human-readable message saying what was wrong and where. Value types; thread-compatible.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace lantern {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // the caller's input is malformed (bad packet, bad schema, bad flag)
  kNotFound,
  kOutOfRange,       // input ended early (truncated file or datum)
  kUnimplemented,
  kIoError,
  kInternal,
  kDeadlineExceeded,  // a time budget ran out (e.g. a filter on one batch); skip and report
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message);

  static Status Ok() { return Status(); }

  bool ok() const { return state_ == nullptr; }
  StatusCode code() const { return state_ ? state_->code : StatusCode::kOk; }
  const std::string& message() const;
  std::string ToString() const;

  // Returns a copy with `context` prepended to the message ("context: message").
  Status WithContext(std::string_view context) const;

 private:
  struct State {
    StatusCode code;
    std::string message;
  };
  std::shared_ptr<const State> state_;
};

Status InvalidArgument(std::string message);
Status NotFound(std::string message);
Status OutOfRange(std::string message);
Status IoError(std::string message);
Status Internal(std::string message);

// Result<T> holds either a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}             // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}      // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace lantern

#define LANTERN_CONCAT_INNER(a, b) a##b
#define LANTERN_CONCAT(a, b) LANTERN_CONCAT_INNER(a, b)

// RETURN_IF_ERROR(expr): returns the Status of `expr` from the enclosing function if not OK.
#define RETURN_IF_ERROR(expr)                           \
  do {                                                  \
    ::lantern::Status lantern_status_ = (expr);         \
    if (!lantern_status_.ok()) return lantern_status_;  \
  } while (0)

// ASSIGN_OR_RETURN(lhs, expr): evaluates Result-returning `expr`; returns its Status on error,
// otherwise moves the value into `lhs` (which may be a declaration).
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(LANTERN_CONCAT(lantern_result_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()
