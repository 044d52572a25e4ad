// Multiplier: turns one real alert packet (ZTF Avro container, Rubin container or Confluent
// message) into many new alerts for load tests — each copy a new object at a nearby place on the
// sky, with new ids and its whole history moved with it, in the input's framing and schema.
// Ids come from per-Multiplier counters (the scheme is in src/stream/README.md), so one
// Multiplier is used from one thread; the same calls on a fresh Multiplier give the same bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "codec/packet.h"
#include "codec/schema_source.h"
#include "core/status.h"

namespace lantern::stream {

// A move on the sky in true arcseconds: east (towards larger RA) and north.
struct SkyOffset {
  double east_arcsec = 0;
  double north_arcsec = 0;
};

// The offsets of a k × k grid (n = k², k ≥ 1) with `spacing_arcsec` between neighbours,
// centred on (0, 0); copy i sits in row i / k (south to north), column i % k (west to east).
Result<std::vector<SkyOffset>> GridOffsets(int n, double spacing_arcsec);

// Moves (ra, dec) in degrees along the great circle of position angle atan2(east, north) by
// hypot(east, north): for small offsets dec + north and ra + east / cos(dec). RA comes back in
// [0, 360), dec in [-90, 90].
void MovePosition(double ra_deg, double dec_deg, SkyOffset offset, double* ra_out,
                  double* dec_out);

// The offset that MovePosition applies to take (ra1, dec1) to (ra2, dec2) exactly.
SkyOffset OffsetBetween(double ra1_deg, double dec1_deg, double ra2_deg, double dec2_deg);

struct MultiplierOptions {
  // Copy c of a packet gets id number copy_base + c. Runs (or producers) whose ranges
  // [copy_base, copy_base + copies) do not overlap never share an id.
  uint64_t copy_base = 0;
};

class Multiplier {
 public:
  // `resolver` gives the writer schemas of Confluent packets; it may be null when only
  // container files are multiplied. It must outlive the Multiplier.
  explicit Multiplier(codec::SchemaResolver* resolver, MultiplierOptions options = {});
  ~Multiplier();

  // A decoded packet, ready to be copied many times.
  class Source;
  Result<std::shared_ptr<const Source>> Parse(std::string_view packet);

  // Copy number `copy` of `source`, moved by `offset`.
  Result<std::string> Copy(const Source& source, uint64_t copy, SkyOffset offset);

  // n = k² copies on the grid of GridOffsets(n, spacing_arcsec), numbered 0 … n-1.
  Result<std::vector<std::string>> Multiply(std::string_view packet, int n,
                                            double spacing_arcsec);

 private:
  struct Plan;
  const Plan& PlanFor(const codec::Node* node);
  Result<int64_t> NewId(int kind, int64_t original, uint64_t id_copy);
  Result<std::string> NewObjectName(std::string_view original, uint64_t id_copy);
  Status Encode(const codec::Value& v, uint64_t id_copy, SkyOffset offset, std::string* out);
  Status EncodeRecord(const codec::Value& v, uint64_t id_copy, SkyOffset offset,
                      std::string* out);

  codec::SchemaCache cache_;
  codec::PacketDecoder decoder_;
  MultiplierOptions options_;
  std::unordered_map<const codec::Node*, std::unique_ptr<Plan>> plans_;
  std::vector<std::shared_ptr<const codec::Schema>> schemas_;  // keep plan keys alive
  std::unordered_map<int64_t, uint32_t> serials_[2];           // by id kind
  std::unordered_map<std::string, uint32_t> name_serials_;
};

}  // namespace lantern::stream
