#include "alert/alert.h"

#include <cmath>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "alert/fields.h"

namespace lantern::alert {
namespace {

using namespace std::string_literals;

TEST(DetectCutoutFormatTest, GzipMagic) {
  EXPECT_EQ(DetectCutoutFormat("\x1f\x8b\x08\x00rest"s), CutoutFormat::kFitsGzip);
  EXPECT_EQ(DetectCutoutFormat("\x1f\x8b"s), CutoutFormat::kFitsGzip);
}

TEST(DetectCutoutFormatTest, PlainFits) {
  EXPECT_EQ(DetectCutoutFormat("SIMPLE  =                    T"), CutoutFormat::kFits);
  EXPECT_EQ(DetectCutoutFormat("SIMPLE"), CutoutFormat::kFits);
}

TEST(DetectCutoutFormatTest, Jpeg) {
  EXPECT_EQ(DetectCutoutFormat("\xff\xd8\xff\xe0\x00\x10JFIF"s), CutoutFormat::kJpeg);
}

TEST(DetectCutoutFormatTest, UnknownAndTooShort) {
  EXPECT_EQ(DetectCutoutFormat(""), CutoutFormat::kUnknown);
  EXPECT_EQ(DetectCutoutFormat("\x1f"s), CutoutFormat::kUnknown);       // half a gzip magic
  EXPECT_EQ(DetectCutoutFormat("SIMPL"), CutoutFormat::kUnknown);      // cut short
  // FITS keywords are upper case.
  EXPECT_EQ(DetectCutoutFormat("simple  = T"), CutoutFormat::kUnknown);
  EXPECT_EQ(DetectCutoutFormat("\xff\xd8"s), CutoutFormat::kUnknown);
  EXPECT_EQ(DetectCutoutFormat("\x89PNG\r\n\x1a\n"s), CutoutFormat::kUnknown);
}

TEST(NamesTest, NamesUsedInOutput) {
  EXPECT_EQ(SurveyName(Survey::kZtf), "ztf");
  EXPECT_EQ(SurveyName(Survey::kLsst), "lsst");
  EXPECT_EQ(CutoutKindName(CutoutKind::kScience), "science");
  EXPECT_EQ(CutoutKindName(CutoutKind::kTemplate), "template");
  EXPECT_EQ(CutoutKindName(CutoutKind::kDifference), "difference");
  EXPECT_EQ(CutoutFormatName(CutoutFormat::kFitsGzip), "fits.gz");
  EXPECT_EQ(CutoutFormatName(CutoutFormat::kFits), "fits");
  EXPECT_EQ(CutoutFormatName(CutoutFormat::kJpeg), "jpeg");
  EXPECT_EQ(CutoutFormatName(CutoutFormat::kUnknown), "unknown");
}

TEST(FieldValueTest, AsDoubleConvertsNumbers) {
  FieldValue v;
  v.kind = FieldKind::kInt;
  v.i = -9007199254740993;  // not exactly representable: rounds like a static_cast
  EXPECT_EQ(v.AsDouble(), static_cast<double>(int64_t{-9007199254740993}));
  v.i = 42;
  EXPECT_EQ(v.AsDouble(), 42.0);
  EXPECT_TRUE(v.is_number());

  v = FieldValue{};
  v.kind = FieldKind::kFloat;
  v.d = static_cast<double>(0.1f);
  EXPECT_EQ(v.AsDouble(), static_cast<double>(0.1f));

  v = FieldValue{};
  v.kind = FieldKind::kDouble;
  v.d = 2460234.59;
  EXPECT_EQ(v.AsDouble(), 2460234.59);
}

TEST(FieldValueTest, AsDoubleIsNanForNonNumbers) {
  for (FieldKind kind : {FieldKind::kNull, FieldKind::kString, FieldKind::kBytes,
                         FieldKind::kRecord, FieldKind::kArray, FieldKind::kMap}) {
    FieldValue v;
    v.kind = kind;
    v.i = 5;  // stale numeric members must not leak through
    v.d = 5;
    v.s = "5";
    EXPECT_TRUE(std::isnan(v.AsDouble())) << static_cast<int>(kind);
    EXPECT_FALSE(v.is_number());
  }
  EXPECT_TRUE(FieldValue{}.is_null());
}

// A one-record PacketFields: enough to exercise FieldRecord without a codec.
class FakePacket final : public PacketFields {
 public:
  std::map<std::string, FieldValue, std::less<>> fields;

  FieldHandle Root() const override { return {this, 0}; }
  std::optional<FieldValue> Get(FieldHandle, std::string_view name) const override {
    auto it = fields.find(name);
    if (it == fields.end()) return std::nullopt;
    return it->second;
  }
  FieldValue At(FieldHandle, uint32_t) const override { return {}; }
  void ForEach(FieldHandle,
               const std::function<void(std::string_view, const FieldValue&)>& fn) const override {
    for (const auto& [name, value] : fields) fn(name, value);
  }
};

TEST(FieldRecordTest, GetDoubleReadsNumbersAndGivesNanOtherwise) {
  FakePacket packet;
  FieldValue mag;
  mag.kind = FieldKind::kFloat;
  mag.d = 18.5;
  packet.fields["magpsf"] = mag;
  FieldValue isdiffpos;
  isdiffpos.kind = FieldKind::kString;
  isdiffpos.s = "t";
  packet.fields["isdiffpos"] = isdiffpos;
  packet.fields["magnr"] = FieldValue{};  // null

  const FieldRecord rec(&packet, packet.Root());
  ASSERT_TRUE(rec.valid());
  EXPECT_EQ(rec.GetDouble("magpsf"), 18.5);
  EXPECT_TRUE(std::isnan(rec.GetDouble("isdiffpos")));
  EXPECT_TRUE(std::isnan(rec.GetDouble("magnr")));
  EXPECT_TRUE(std::isnan(rec.GetDouble("no_such_field")));
  ASSERT_TRUE(rec.Get("isdiffpos").has_value());
  EXPECT_EQ(rec.Get("isdiffpos")->s, "t");
}

TEST(FieldRecordTest, DefaultRecordIsEmpty) {
  const FieldRecord rec;
  EXPECT_FALSE(rec.valid());
  EXPECT_FALSE(rec.Get("anything").has_value());
  EXPECT_TRUE(std::isnan(rec.GetDouble("anything")));
  int calls = 0;
  rec.ForEach([&](std::string_view, const FieldValue&) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(AlertTest, FindCutoutByKind) {
  Alert a;
  EXPECT_EQ(a.FindCutout(CutoutKind::kScience), nullptr);
  Cutout diff;
  diff.kind = CutoutKind::kDifference;
  diff.bytes = "SIMPLE diff";
  Cutout sci;
  sci.kind = CutoutKind::kScience;
  sci.bytes = "SIMPLE sci";
  a.cutouts = {diff, sci};

  const Cutout* found = a.FindCutout(CutoutKind::kScience);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->bytes, "SIMPLE sci");
  EXPECT_EQ(found, &a.cutouts[1]);  // points into the alert, no copy
  ASSERT_NE(a.FindCutout(CutoutKind::kDifference), nullptr);
  EXPECT_EQ(a.FindCutout(CutoutKind::kDifference)->bytes, "SIMPLE diff");
  EXPECT_EQ(a.FindCutout(CutoutKind::kTemplate), nullptr);
}

}  // namespace
}  // namespace lantern::alert
