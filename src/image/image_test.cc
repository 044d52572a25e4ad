// Cutouts from real ZTF and Rubin packets decode to the right shapes; bad bytes give errors;
// PNGs decode back (libpng) with the right size, orientation and colours; zscale and
// percentile limits agree with values computed by astropy / numpy.
#include <fitsio.h>
#include <gtest/gtest.h>
#include <png.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "codec/test_data.h"
#include "core/file.h"
#include "image/image.h"
#include "image/light_curve_plot.h"
#include "image/render.h"
#include "survey/alert_decoder.h"

namespace lantern::image {
namespace {

namespace td = codec::test_data;

struct DecodedPng {
  int width = 0, height = 0, channels = 0;
  std::vector<uint8_t> pixels;
};

// Reads a PNG back with libpng, as grey (1 channel) or RGB (3).
DecodedPng DecodePng(const std::string& bytes, int channels) {
  DecodedPng out;
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&png, bytes.data(), bytes.size())) {
    ADD_FAILURE() << "libpng cannot read the PNG: " << png.message;
    return out;
  }
  png.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  out.width = static_cast<int>(png.width);
  out.height = static_cast<int>(png.height);
  out.channels = channels;
  out.pixels.resize(PNG_IMAGE_SIZE(png));
  if (!png_image_finish_read(&png, nullptr, out.pixels.data(), 0, nullptr))
    ADD_FAILURE() << "libpng cannot decode the PNG: " << png.message;
  return out;
}

bool HasPngSignature(const std::string& b) {
  return b.size() > 8 && b.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0;
}

// Every cutout of every alert in the files under `dir` (relative to the shared data).
std::vector<alert::Cutout> CutoutsIn(const std::string& dir, std::vector<alert::Alert>* keep) {
  std::vector<alert::Cutout> out;
  auto files = ExpandPaths({td::SharedDataDir() + "/" + dir}, {".avro"});
  EXPECT_TRUE(files.ok()) << files.status().ToString();
  if (!files.ok()) return out;
  codec::SchemaCache cache;
  survey::AlertDecoder decoder(&cache, nullptr);
  for (const std::string& f : *files) {
    auto bytes = td::ReadShared(f);
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    if (!bytes.ok()) continue;
    const Status st = decoder.Decode(*bytes, [&](alert::Alert&& a, const codec::DecodedRecord&) {
      for (const auto& c : a.cutouts) out.push_back(c);
      keep->push_back(std::move(a));  // owns the bytes the cutouts view
    });
    EXPECT_TRUE(st.ok()) << f << ": " << st.ToString();
  }
  return out;
}

double FiniteFraction(const Image& img) {
  size_t n = 0;
  for (float p : img.pixels) n += std::isfinite(p);
  return static_cast<double>(n) / img.pixels.size();
}

class RealCutouts : public ::testing::Test {
 protected:
  void SetUp() override {
    if (td::SharedDataDir().empty()) GTEST_SKIP() << "LANTERN_SHARED_DATA is not set";
  }
  std::vector<alert::Alert> alerts_;
};

TEST_F(RealCutouts, ZtfCutoutsAre63By63GzippedFits) {
  // Folders whose cutouts are all full 63 x 63 stamps (checked with astropy).
  size_t n = 0, with_nan = 0;
  for (const char* dir : {"ztf/alerts/native/kowalski", "ztf/alerts/native/boom",
                          "ztf/alerts/native/pittgoogle-client", "ztf/alerts/native/fink-client"}) {
    for (const alert::Cutout& c : CutoutsIn(dir, &alerts_)) {
      ASSERT_EQ(c.format, alert::CutoutFormat::kFitsGzip) << dir;
      auto img = ReadFits(c.bytes);
      ASSERT_TRUE(img.ok()) << dir << ": " << img.status().ToString();
      EXPECT_EQ(img->width, 63);
      EXPECT_EQ(img->height, 63);
      ASSERT_EQ(img->pixels.size(), 63u * 63u);
      EXPECT_GT(FiniteFraction(*img), 0.5) << dir;
      with_nan += FiniteFraction(*img) < 1.0;
      ++n;
    }
  }
  EXPECT_EQ(n, 36u + 6u + 6u + 21u);  // 3 cutouts per alert, alerts per folder from MANIFEST
  EXPECT_EQ(with_nan, 3u);            // one fink-client alert lies on a chip edge (astropy)
}

TEST_F(RealCutouts, RubinCutoutsArePlainFitsInNanojansky) {
  auto cutouts = CutoutsIn("lsst/alerts/fink_client", &alerts_);
  ASSERT_EQ(cutouts.size(), 7u * 3u);
  for (const alert::Cutout& c : cutouts) {
    ASSERT_EQ(c.format, alert::CutoutFormat::kFits);
    auto img = ReadFits(c.bytes);
    ASSERT_TRUE(img.ok()) << img.status().ToString();
    // The image is the primary HDU; UNCERT and PSFIMAGE extensions follow and are skipped.
    EXPECT_EQ(img->width, 30);
    EXPECT_EQ(img->height, 30);
    EXPECT_EQ(FiniteFraction(*img), 1.0);
  }
}

TEST_F(RealCutouts, JpegCutoutIsRejectedWithAReason) {
  auto cutouts = CutoutsIn("ztf/alerts/native/ampel-ztf/tar.tst", &alerts_);
  ASSERT_FALSE(cutouts.empty());
  ASSERT_EQ(cutouts[0].format, alert::CutoutFormat::kJpeg);
  auto img = ReadFits(cutouts[0].bytes);
  ASSERT_FALSE(img.ok());
  EXPECT_NE(img.status().message().find("not FITS"), std::string::npos) << img.status().message();
}

TEST_F(RealCutouts, TruncatedAndCorruptBytesGiveErrors) {
  auto cutouts = CutoutsIn("ztf/alerts/native/boom", &alerts_);
  ASSERT_FALSE(cutouts.empty());
  const std::string gz(cutouts[0].bytes);
  ASSERT_TRUE(ReadFits(gz).ok());
  for (size_t len : {size_t{0}, size_t{1}, size_t{2}, size_t{10}, gz.size() / 2, gz.size() - 9,
                     gz.size() - 1}) {
    auto img = ReadFits(std::string_view(gz).substr(0, len));
    EXPECT_FALSE(img.ok()) << "gzip cut at " << len;
    EXPECT_FALSE(img.status().message().empty());
  }
  std::string corrupt = gz;
  corrupt[gz.size() / 2] ^= 0x55;  // inside the deflate stream: bad data or a CRC mismatch
  EXPECT_FALSE(ReadFits(corrupt).ok());

  // Plain FITS (Rubin) cut inside the header, at the end of the header, inside the data.
  auto rubin = CutoutsIn("lsst/alerts/fink_client", &alerts_);
  ASSERT_FALSE(rubin.empty());
  const std::string fits(rubin[0].bytes);
  for (size_t len : {size_t{80}, size_t{2880}, size_t{2881}, size_t{2 * 2880}, fits.size() - 1}) {
    auto img = ReadFits(std::string_view(fits).substr(0, len));
    EXPECT_FALSE(img.ok()) << "FITS cut at " << len;
  }
  std::string bad_axis = fits;
  const size_t naxis1 = bad_axis.find("NAXIS1  =");
  ASSERT_NE(naxis1, std::string::npos);
  bad_axis.replace(naxis1 + 10, 20, "                 -30");
  auto img = ReadFits(bad_axis);
  ASSERT_FALSE(img.ok());
  EXPECT_FALSE(img.status().message().empty());
}

// Random byte changes anywhere in a real cutout must give an image of the stated size or an
// error with a message, never a crash or an out-of-bounds read (run under ASan in CI).
TEST_F(RealCutouts, MutatedBytesNeverCrash) {
  auto rubin = CutoutsIn("lsst/alerts/fink_client", &alerts_);
  auto ztf = CutoutsIn("ztf/alerts/native/boom", &alerts_);
  ASSERT_FALSE(rubin.empty());
  ASSERT_FALSE(ztf.empty());
  std::mt19937 rng(42);
  int errors = 0;
  for (const std::string& base : {std::string(rubin[0].bytes), std::string(ztf[0].bytes)}) {
    for (int round = 0; round < 300; ++round) {
      std::string b = base;
      const int flips = 1 + round % 4;
      for (int k = 0; k < flips; ++k) {
        // Half the changes hit the header, where the structure is.
        const size_t limit = round % 2 ? b.size() : std::min<size_t>(b.size(), 2880);
        b[rng() % limit] = static_cast<char>(rng());
      }
      auto img = ReadFits(b);
      if (img.ok()) {
        EXPECT_EQ(img->pixels.size(), static_cast<size_t>(img->width) * img->height);
      } else {
        EXPECT_FALSE(img.status().message().empty());
        ++errors;
      }
    }
  }
  EXPECT_GT(errors, 0);
}

// A file with an empty primary array and the image in a tile-compressed (RICE) extension of
// 16-bit integers with BSCALE/BZERO and BLANK, written by cfitsio itself.
std::string CompressedExtensionFits(int w, int h, const std::vector<short>& raw) {
  size_t size = 2880;
  void* buf = std::malloc(size);
  fitsfile* f = nullptr;
  int status = 0;
  fits_create_memfile(&f, &buf, &size, 2880, std::realloc, &status);
  fits_create_img(f, SHORT_IMG, 0, nullptr, &status);
  fits_set_compression_type(f, RICE_1, &status);
  long axes[2] = {w, h};
  fits_create_img(f, SHORT_IMG, 2, axes, &status);
  double bscale = 0.5, bzero = 100;
  long blank = -999;
  fits_write_key(f, TDOUBLE, "BSCALE", &bscale, "", &status);
  fits_write_key(f, TDOUBLE, "BZERO", &bzero, "", &status);
  fits_write_key(f, TLONG, "BLANK", &blank, "", &status);
  fits_set_bscale(f, 1.0, 0.0, &status);  // write raw values
  fits_set_imgnull(f, blank, &status);
  fits_write_img(f, TSHORT, 1, w * h, const_cast<short*>(raw.data()), &status);
  LONGLONG head = 0, data = 0, end = 0;
  fits_get_hduaddrll(f, &head, &data, &end, &status);
  fits_close_file(f, &status);
  EXPECT_EQ(status, 0);
  std::string out(static_cast<char*>(buf), static_cast<size_t>((end + 2879) / 2880 * 2880));
  std::free(buf);
  return out;
}

TEST(ReadFits, CompressedImageExtensionWithScalingAndBlanks) {
  const int w = 20, h = 10;
  std::vector<short> raw(w * h);
  for (int i = 0; i < w * h; ++i) raw[i] = static_cast<short>(i * 3 - 250);
  raw[7] = -999;
  const std::string fits = CompressedExtensionFits(w, h, raw);
  auto img = ReadFits(fits);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->width, w);
  EXPECT_EQ(img->height, h);
  for (int i = 0; i < w * h; ++i) {
    if (i == 7) {
      EXPECT_TRUE(std::isnan(img->pixels[i]));
    } else {
      EXPECT_FLOAT_EQ(img->pixels[i], 100 + 0.5 * raw[i]) << i;
    }
  }
  EXPECT_EQ(img->at(3, 2), 100 + 0.5 * raw[2 * w + 3]);  // row-major, row 0 first
}

// 50 x 40 with outliers and one NaN; the expected values were computed by astropy 8.0.2
// (ZScaleInterval().get_limits) and numpy.percentile on the same array.
Image Synthetic() {
  Image img;
  img.width = 50;
  img.height = 40;
  for (int i = 0; i < 50 * 40; ++i)
    img.pixels.push_back(static_cast<float>((i * 37) % 101 + (i % 97 == 0 ? 1000 : 0) + 0.01 * i));
  img.pixels[5] = NAN;
  return img;
}

TEST(Limits, ZscaleMatchesAstropy) {
  const auto [lo, hi] = ZscaleLimits(Synthetic());
  EXPECT_NEAR(lo, 1.01, 1e-4);
  EXPECT_NEAR(hi, 260.3577054660558, 1e-3);
}

TEST(Limits, PercentilesMatchNumpy) {
  const auto [lo, hi] = PercentileLimits(Synthetic(), 0.5, 99.5);
  EXPECT_NEAR(lo, 4.1192, 1e-3);
  EXPECT_NEAR(hi, 1055.0461, 1e-2);
}

TEST(Limits, NoFinitePixels) {
  Image img{2, 1, {NAN, NAN}};
  EXPECT_EQ(ZscaleLimits(img), std::make_pair(0.0, 0.0));
  auto png = RenderPng(img, Stretch::kZscale, 1);
  ASSERT_TRUE(png.ok());
  EXPECT_EQ(DecodePng(*png, 1).pixels, std::vector<uint8_t>({0, 0}));
}

TEST(RenderPng, NorthUpScaledNanBlack) {
  // Row 0 (the first FITS row) is faint, row 1 bright with a blank pixel.
  Image img{3, 2, {0, 0, 0, 1, 1, NAN}};
  auto png = RenderPng(img, Stretch::kAsinh, 2);
  ASSERT_TRUE(png.ok()) << png.status().ToString();
  ASSERT_TRUE(HasPngSignature(*png));
  const DecodedPng d = DecodePng(*png, 1);
  ASSERT_EQ(d.width, 6);
  ASSERT_EQ(d.height, 4);
  const std::vector<uint8_t> expected = {255, 255, 255, 255, 0, 0,  // FITS row 1, at the top
                                         255, 255, 255, 255, 0, 0,
                                         0,   0,   0,   0,   0, 0,  // FITS row 0, at the bottom
                                         0,   0,   0,   0,   0, 0};
  EXPECT_EQ(d.pixels, expected);
}

TEST(RenderPng, RejectsBadArguments) {
  Image img{3, 2, {0, 0, 0, 1, 1, 1}};
  EXPECT_FALSE(RenderPng(img, Stretch::kZscale, 0).ok());
  EXPECT_FALSE(RenderPng(img, Stretch::kZscale, 33).ok());
  EXPECT_FALSE(RenderPng(Image{}, Stretch::kZscale).ok());
  EXPECT_FALSE(RenderPng(Image{3, 3, {0, 0}}, Stretch::kZscale).ok());
}

TEST_F(RealCutouts, ZtfScienceRendersAndDecodesBack) {
  auto cutouts = CutoutsIn("ztf/alerts/native/kowalski", &alerts_);
  ASSERT_FALSE(cutouts.empty());
  for (Stretch s : {Stretch::kZscale, Stretch::kAsinh}) {
    auto img = ReadFits(cutouts[0].bytes);
    ASSERT_TRUE(img.ok());
    auto png = RenderPng(*img, s);
    ASSERT_TRUE(png.ok()) << png.status().ToString();
    ASSERT_TRUE(HasPngSignature(*png));
    const DecodedPng d = DecodePng(*png, 1);
    EXPECT_EQ(d.width, 63 * 4);
    EXPECT_EQ(d.height, 63 * 4);
    // A real sky image uses much of the grey range.
    const auto [lo, hi] = std::minmax_element(d.pixels.begin(), d.pixels.end());
    EXPECT_LT(*lo, 40);
    EXPECT_GT(*hi, 215);
  }
}

bool HasColour(const DecodedPng& d, uint8_t r, uint8_t g, uint8_t b) {
  for (size_t i = 0; i + 2 < d.pixels.size(); i += 3)
    if (d.pixels[i] == r && d.pixels[i + 1] == g && d.pixels[i + 2] == b) return true;
  return false;
}

TEST(LightCurve, RequestedSizeAndBandColours) {
  std::vector<LightCurvePoint> pts = {
      {58880.1, 18.5, 0.05, "g", false}, {58881.2, 18.7, 0.08, "r", false},
      {58882.3, 19.9, NAN, "g", true},   {58883.3, 18.2, 0.1, "g", false},
      {NAN, 17.0, 0.1, "r", false}};  // skipped
  LightCurvePlotOptions opt;
  opt.title = "ZTF20aaelulu";
  opt.width = 640;
  opt.height = 400;
  auto png = RenderLightCurvePng(pts, opt);
  ASSERT_TRUE(png.ok()) << png.status().ToString();
  ASSERT_TRUE(HasPngSignature(*png));
  const DecodedPng d = DecodePng(*png, 3);
  EXPECT_EQ(d.width, 640);
  EXPECT_EQ(d.height, 400);
  EXPECT_TRUE(HasColour(d, 0, 150, 60));     // g
  EXPECT_TRUE(HasColour(d, 215, 25, 30));    // r
  EXPECT_FALSE(HasColour(d, 245, 140, 0));   // no i points, so no orange
}

TEST(LightCurve, EmptyAndFluxAndBadSizes) {
  LightCurvePlotOptions opt;
  opt.y_axis = LightCurveAxis::kFlux;
  auto empty = RenderLightCurvePng({}, opt);
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(DecodePng(*empty, 3).width, 800);
  std::vector<LightCurvePoint> one = {{60000.5, -1234.0, 300.0, "i", false}};
  auto png = RenderLightCurvePng(one, opt);
  ASSERT_TRUE(png.ok());
  EXPECT_TRUE(HasColour(DecodePng(*png, 3), 245, 140, 0));
  opt.width = 50;
  EXPECT_FALSE(RenderLightCurvePng(one, opt).ok());
  opt.width = 800;
  opt.height = 100000;
  EXPECT_FALSE(RenderLightCurvePng(one, opt).ok());
}

}  // namespace
}  // namespace lantern::image
