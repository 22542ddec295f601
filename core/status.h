// Status and Result<T>: how every stage reports what a user or the network
// got wrong.
//
// A Status is ok() or carries a code and a message that names the file,
// line and field involved ("feeds.yaml:12:5: feeds[3].url: scheme 'ftp' is
// not allowed"). Result<T> is shaped like C++23 std::expected<T, Status>, so
// moving to it later is mechanical.
//
// Both are [[nodiscard]]: an error dropped on purpose is dropped in words,
// `s.IgnoreError();`, so that grep finds it.
#ifndef ASSAY_CORE_STATUS_H_
#define ASSAY_CORE_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace assay {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // the input is wrong: config, feed bytes, a CLI flag
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,  // e.g. a store with a newer schema version
  kUnavailable,         // transient: network, a busy or full disk
  kResourceExhausted,   // a cap was hit: body size, depth, item count
  kDeadlineExceeded,
  kCorruption,
  kIOError,
  kInternal,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "InvalidArgument: message", or "OK".
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context: `.
  Status WithContext(std::string_view context) const;

  // Marks an error as deliberately ignored.
  void IgnoreError() const {}

  friend bool operator==(const Status&, const Status&) = default;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status FailedPrecondition(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status Unavailable(std::string m) {
  return {StatusCode::kUnavailable, std::move(m)};
}
inline Status ResourceExhausted(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}
inline Status Corruption(std::string m) {
  return {StatusCode::kCorruption, std::move(m)};
}
inline Status IOError(std::string m) { return {StatusCode::kIOError, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// Result<T> holds a T or a non-ok Status.
//
//   Result<Feed> r = ParseFeed(body, info);
//   if (!r) return r.error();
//   Use(*r);
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  Result(Status error) : v_(std::in_place_index<1>, std::move(error)) {  // NOLINT
    assert(!std::get<1>(v_).ok() && "Result built from an ok Status");
  }

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Status& error() const& { return std::get<1>(v_); }
  // The Status: ok() when a value is held.
  Status status() const { return has_value() ? Status() : std::get<1>(v_); }

  void IgnoreError() const {}

 private:
  std::variant<T, Status> v_;
};

}  // namespace assay

// Returns from the calling function if `expr` (a Status) is not ok.
#define ASSAY_RETURN_IF_ERROR(expr)                       \
  do {                                                    \
    if (::assay::Status _st = (expr); !_st.ok()) return _st; \
  } while (0)

#endif  // ASSAY_CORE_STATUS_H_
