#include "core/status.h"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace lantern {
namespace {

TEST(StatusTest, DefaultIsOkWithEmptyMessage) {
  const Status st;
  EXPECT_TRUE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kOk);
  EXPECT_EQ(st.message(), "");
  EXPECT_EQ(st.ToString(), "OK");
  EXPECT_TRUE(Status::Ok().ok());
}

TEST(StatusTest, ErrorConstructorsSetCodeAndMessage) {
  struct Case {
    Status status;
    StatusCode code;
    const char* text;
  };
  const std::vector<Case> cases = {
      {InvalidArgument("bad packet"), StatusCode::kInvalidArgument, "invalid argument: bad packet"},
      {NotFound("no file"), StatusCode::kNotFound, "not found: no file"},
      {OutOfRange("ends early"), StatusCode::kOutOfRange, "out of range: ends early"},
      {IoError("disk"), StatusCode::kIoError, "I/O error: disk"},
      {Internal("bug"), StatusCode::kInternal, "internal error: bug"},
  };
  for (const Case& c : cases) {
    EXPECT_FALSE(c.status.ok()) << c.text;
    EXPECT_EQ(c.status.code(), c.code) << c.text;
    EXPECT_EQ(c.status.ToString(), c.text);
  }
  EXPECT_EQ(InvalidArgument("bad packet").message(), "bad packet");
}

TEST(StatusTest, OkCodeIgnoresMessage) {
  const Status st(StatusCode::kOk, "ignored");
  EXPECT_TRUE(st.ok());
  EXPECT_EQ(st.message(), "");
}

TEST(StatusTest, CodeNames) {
  EXPECT_EQ(StatusCodeName(StatusCode::kOk), "OK");
  EXPECT_EQ(StatusCodeName(StatusCode::kUnimplemented), "unimplemented");
  EXPECT_EQ(Status(StatusCode::kUnimplemented, "later").ToString(), "unimplemented: later");
}

TEST(StatusTest, WithContextPrependsAndKeepsCode) {
  const Status st = OutOfRange("byte 12: truncated").WithContext("file a.avro");
  EXPECT_EQ(st.code(), StatusCode::kOutOfRange);
  EXPECT_EQ(st.message(), "file a.avro: byte 12: truncated");
  // Context nests outward.
  EXPECT_EQ(st.WithContext("record 3").message(), "record 3: file a.avro: byte 12: truncated");
}

TEST(StatusTest, WithContextOnOkStaysOk) {
  const Status st = Status::Ok().WithContext("anything");
  EXPECT_TRUE(st.ok());
  EXPECT_EQ(st.message(), "");
}

TEST(ResultTest, HoldsValue) {
  Result<std::string> r = std::string("hello");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.status().ok());
  EXPECT_EQ(r.value(), "hello");
  EXPECT_EQ(*r, "hello");
  EXPECT_EQ(r->size(), 5u);
  r.value() += "!";
  EXPECT_EQ(*r, "hello!");
}

TEST(ResultTest, HoldsError) {
  const Result<int> r = InvalidArgument("nope");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "nope");
}

TEST(ResultTest, MovesOutMoveOnlyValue) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 7);
}

Status FailIf(bool fail) { return fail ? IoError("failed") : Status::Ok(); }

Status TwoSteps(bool fail_first, bool fail_second, int* steps) {
  RETURN_IF_ERROR(FailIf(fail_first));
  ++*steps;
  RETURN_IF_ERROR(FailIf(fail_second).WithContext("second"));
  ++*steps;
  return Status::Ok();
}

TEST(MacroTest, ReturnIfErrorStopsAtFirstError) {
  int steps = 0;
  EXPECT_TRUE(TwoSteps(false, false, &steps).ok());
  EXPECT_EQ(steps, 2);

  steps = 0;
  Status st = TwoSteps(true, false, &steps);
  EXPECT_EQ(st.code(), StatusCode::kIoError);
  EXPECT_EQ(st.message(), "failed");
  EXPECT_EQ(steps, 0);

  steps = 0;
  st = TwoSteps(false, true, &steps);
  EXPECT_EQ(st.message(), "second: failed");
  EXPECT_EQ(steps, 1);
}

Result<int> Parse(const std::string& s) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
    return InvalidArgument("not a number: \"" + s + "\"");
  return std::stoi(s);
}

Result<int> Sum(const std::string& a, const std::string& b) {
  ASSIGN_OR_RETURN(const int x, Parse(a));  // declares
  int y = 0;
  ASSIGN_OR_RETURN(y, Parse(b));  // assigns to an existing variable
  return x + y;
}

TEST(MacroTest, AssignOrReturnAssignsOrPropagates) {
  Result<int> ok = Sum("40", "2");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 42);

  Result<int> bad_first = Sum("x", "2");
  EXPECT_EQ(bad_first.status().message(), "not a number: \"x\"");
  Result<int> bad_second = Sum("1", "");
  EXPECT_EQ(bad_second.status().message(), "not a number: \"\"");
}

Result<std::unique_ptr<int>> MakeBox(int v) { return std::make_unique<int>(v); }

Result<int> Unbox() {
  ASSIGN_OR_RETURN(std::unique_ptr<int> box, MakeBox(5));
  return *box;
}

TEST(MacroTest, AssignOrReturnWorksWithMoveOnlyTypes) {
  Result<int> r = Unbox();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 5);
}

Status UseResultInStatusFunction(const std::string& s, int* out) {
  ASSIGN_OR_RETURN(*out, Parse(s));
  return Status::Ok();
}

TEST(MacroTest, AssignOrReturnInsideStatusFunction) {
  int v = 0;
  EXPECT_TRUE(UseResultInStatusFunction("17", &v).ok());
  EXPECT_EQ(v, 17);
  EXPECT_EQ(UseResultInStatusFunction("q", &v).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(v, 17);
}

}  // namespace
}  // namespace lantern
