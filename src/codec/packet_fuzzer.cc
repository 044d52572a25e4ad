// libFuzzer target for the decode path a broker exposes to the network. Each input is taken
// both as a packet (Avro container or Confluent wire message: survey::AlertDecoder over a
// SchemaCache and the Rubin schema folder) and as a bare datum of ZTF schema 4.02 (read once
// from a real file's header). Whatever decodes is mapped, re-encoded and printed as JSON, and
// must satisfy the codec's invariants (below); a violation aborts, which libFuzzer reports.
// Data folder: env LANTERN_SHARED_DATA, else the path compiled in from the CMake cache.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "codec/encoder.h"
#include "codec/json.h"
#include "codec/packet.h"
#include "codec/schema_source.h"
#include "codec/test_data.h"
#include "survey/alert_decoder.h"
#include "survey/mapper.h"

namespace lantern {
namespace {

// A file whose container header holds the ZTF 4.02 writer schema.
constexpr const char* kZtfSchemaFile =
    "ztf/alerts/native/boom/tests_data_alerts_ztf/2695378462115010012.avro";

// Container headers carry their own schema texts, and the SchemaCache and the mapper keep
// every distinct one; a fresh harness every so many inputs keeps a long run's memory bounded.
constexpr int kInputsPerHarness = 4096;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "packet_fuzzer: %s\n", what.c_str());
  std::abort();
}

std::string DataDir() {
  const std::string env = codec::test_data::SharedDataDir();
  return env.empty() ? LANTERN_FUZZ_DATA_DIR : env;
}

std::shared_ptr<const codec::Schema> LoadZtfSchema() {
  const std::string path = DataDir() + "/" + kZtfSchemaFile;
  auto file = codec::test_data::ReadShared(path);
  if (!file.ok()) Die(file.status().ToString() + " (set LANTERN_SHARED_DATA)");
  codec::SchemaCache cache;
  codec::PacketDecoder decoder(&cache, nullptr);
  std::shared_ptr<const codec::Schema> schema;
  const Status st = decoder.DecodeAll(*file, [&](codec::DecodedRecord&& r) {
    if (!schema) schema = r.datum->schema_ptr();
  });
  if (!st.ok() || !schema) Die(path + ": " + st.ToString());
  return schema;
}

struct Harness {
  Harness()
      : schemas(DataDir() + "/lsst/schema"), alerts(&cache, &schemas), bare(&cache, nullptr) {}
  codec::SchemaCache cache;
  codec::SchemaDirectory schemas;
  survey::AlertDecoder alerts;
  codec::PacketDecoder bare;
  survey::SurveyMapper mapper;
};

// Invariants of a decoded datum: the canonical re-encoding is never longer than the input
// (only redundancy is dropped) and decodes back to itself.
void CheckDatum(const codec::Datum& datum, codec::PacketDecoder* decoder) {
  std::string canonical;
  codec::EncodeValue(datum.root(), &canonical);
  if (canonical.size() > datum.bytes().size()) Die("re-encoding is longer than the input");
  auto again =
      decoder->DecodeBare(datum.schema_ptr(), std::make_shared<const std::string>(canonical));
  if (!again.ok()) Die("canonical re-encoding does not decode: " + again.status().ToString());
  std::string twice;
  codec::EncodeValue(again->datum->root(), &twice);
  if (twice != canonical) Die("canonical re-encoding is not a fixed point");
  std::string json;
  codec::AppendJson(datum.root(), &json);
  if (json.empty()) Die("empty JSON");
}

// Reads every common column, so that the mapper's views are dereferenced.
size_t Touch(const alert::Alert& a) {
  size_t n = a.object_id.size() + a.detection.band.size() + a.cutouts.size();
  for (const alert::Detection& d : a.prv_detections) n += d.band.size();
  for (const alert::Cutout& c : a.cutouts)
    n += c.bytes.empty() ? 0 : static_cast<uint8_t>(c.bytes.back());
  return n;
}

}  // namespace
}  // namespace lantern

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lantern;
  static const std::shared_ptr<const codec::Schema> ztf_schema = LoadZtfSchema();
  static std::unique_ptr<Harness> harness;
  static int inputs = 0;
  if (!harness || ++inputs % kInputsPerHarness == 0) harness = std::make_unique<Harness>();

  auto bytes = std::make_shared<const std::string>(reinterpret_cast<const char*>(data), size);
  volatile size_t sink = 0;
  (void)harness->alerts.Decode(bytes, [&](alert::Alert&& a, const codec::DecodedRecord& r) {
    sink = sink + Touch(a);
    CheckDatum(*r.datum, &harness->bare);
  });
  auto bare = harness->bare.DecodeBare(ztf_schema, bytes);
  if (bare.ok()) {
    CheckDatum(*bare->datum, &harness->bare);
    auto mapped = harness->mapper.Map(bare->datum);
    if (mapped.ok()) sink = sink + Touch(*mapped);
  }
  return 0;
}
