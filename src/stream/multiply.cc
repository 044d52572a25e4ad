#include "stream/multiply.h"

#include <array>
#include <cmath>
#include <numbers>

#include <fmt/format.h>

#include "codec/container.h"
#include "codec/encoder.h"
#include "codec/varint.h"

namespace lantern::stream {

using codec::Node;
using codec::Type;
using codec::Value;

namespace {

constexpr double kDegToRad = std::numbers::pi / 180.0;
constexpr double kArcsecToRad = kDegToRad / 3600.0;

// Id kinds, each with its own counter: source-like ids and object-like ids.
constexpr int kSourceKind = 0;
constexpr int kObjectKind = 1;
constexpr int kSerialBits = 30;  // distinct original ids per kind and Multiplier
constexpr int kCopyBits = 31;    // copy numbers (copy_base + copy)
// ZTF-like names: "ZTF" + 2 digits + 7 letters hold 100 × 26^7 ≈ 8.0e11 values.
constexpr int kNameSerialBits = 16;
constexpr int kNameCopyBits = 23;
constexpr uint64_t kLetterValues = 8031810176;  // 26^7

bool IsSourceIdName(std::string_view n) {
  return n == "candid" || n == "alertId" || n == "diaSourceId" || n == "parentDiaSourceId" ||
         n == "diaForcedSourceId";
}
bool IsObjectIdName(std::string_view n) { return n == "diaObjectId" || n == "ssObjectId"; }

// The types a field can hold (its union branches, or itself).
template <typename Fn>
bool AnyBranch(const Node* node, Fn fn) {
  if (node->type != Type::kUnion) return fn(node);
  for (const Node* b : node->branches)
    if (fn(b)) return true;
  return false;
}

bool IsIntegral(const Node* n) { return n->type == Type::kLong || n->type == Type::kInt; }
bool IsReal(const Node* n) { return n->type == Type::kDouble || n->type == Type::kFloat; }

double WrapDeg(double ra) {
  double r = std::fmod(ra, 360.0);
  if (r < 0) r += 360.0;
  if (r >= 360.0) r -= 360.0;
  return r;
}

void WriteReal(const Value& original, double value, std::string* out) {
  if (original.in_union()) codec::WriteVarLong(out, original.branch());
  if (original.type() == Type::kFloat) {
    const float f = static_cast<float>(value);
    out->append(reinterpret_cast<const char*>(&f), 4);
  } else {
    out->append(reinterpret_cast<const char*>(&value), 8);
  }
}

}  // namespace

Result<std::vector<SkyOffset>> GridOffsets(int n, double spacing_arcsec) {
  const int k = static_cast<int>(std::lround(std::sqrt(static_cast<double>(n))));
  if (n < 1 || k * k != n)
    return InvalidArgument(fmt::format("copies must be a square number k*k >= 1, not {}", n));
  if (!std::isfinite(spacing_arcsec) || spacing_arcsec < 0)
    return InvalidArgument(fmt::format("grid spacing must be >= 0 arcsec, not {}", spacing_arcsec));
  std::vector<SkyOffset> out;
  out.reserve(static_cast<size_t>(n));
  const double centre = (k - 1) / 2.0;
  for (int i = 0; i < n; ++i)
    out.push_back({(i % k - centre) * spacing_arcsec, (i / k - centre) * spacing_arcsec});
  return out;
}

void MovePosition(double ra_deg, double dec_deg, SkyOffset offset, double* ra_out,
                  double* dec_out) {
  const double d = std::hypot(offset.east_arcsec, offset.north_arcsec);
  if (d == 0) {
    *ra_out = WrapDeg(ra_deg);
    *dec_out = dec_deg;
    return;
  }
  // Unit vectors: p (the position), e and n (east and north in its tangent plane). The new
  // position is p rotated by d towards u = (east e + north n) / d.
  const double ra = ra_deg * kDegToRad, dec = dec_deg * kDegToRad;
  const double cr = std::cos(ra), sr = std::sin(ra), cd = std::cos(dec), sd = std::sin(dec);
  const double ue = offset.east_arcsec / d, un = offset.north_arcsec / d;
  const double ux = -sr * ue - sd * cr * un, uy = cr * ue - sd * sr * un, uz = cd * un;
  const double cs = std::cos(d * kArcsecToRad), sn = std::sin(d * kArcsecToRad);
  const double x = cd * cr * cs + ux * sn, y = cd * sr * cs + uy * sn, z = sd * cs + uz * sn;
  *ra_out = WrapDeg(std::atan2(y, x) / kDegToRad);
  *dec_out = std::atan2(z, std::hypot(x, y)) / kDegToRad;
}

SkyOffset OffsetBetween(double ra1_deg, double dec1_deg, double ra2_deg, double dec2_deg) {
  const double a1 = ra1_deg * kDegToRad, d1 = dec1_deg * kDegToRad;
  const double a2 = ra2_deg * kDegToRad, d2 = dec2_deg * kDegToRad;
  const double p[3] = {std::cos(d1) * std::cos(a1), std::cos(d1) * std::sin(a1), std::sin(d1)};
  const double q[3] = {std::cos(d2) * std::cos(a2), std::cos(d2) * std::sin(a2), std::sin(d2)};
  const double cx = p[1] * q[2] - p[2] * q[1], cy = p[2] * q[0] - p[0] * q[2],
               cz = p[0] * q[1] - p[1] * q[0];
  const double d = std::atan2(std::sqrt(cx * cx + cy * cy + cz * cz),
                              p[0] * q[0] + p[1] * q[1] + p[2] * q[2]);
  const double da = a2 - a1;
  const double pa = std::atan2(std::sin(da) * std::cos(d2),
                               std::cos(d1) * std::sin(d2) - std::sin(d1) * std::cos(d2) * std::cos(da));
  const double arcsec = d / kArcsecToRad;
  return {arcsec * std::sin(pa), arcsec * std::cos(pa)};
}

// What a copy does with each field of one record type.
enum class Action : uint8_t { kCopy, kDescend, kRa, kDec, kSourceId, kObjectId, kName };

struct Multiplier::Plan {
  std::vector<Action> actions;
  int ra = -1, dec = -1;
  bool rewrites = false;  // some field, here or below, changes in a copy
};

class Multiplier::Source {
 public:
  codec::Framing framing = codec::Framing::kContainer;
  std::string prefix;  // container header or Confluent magic + schema id, as given
  codec::Codec codec = codec::Codec::kNull;
  std::array<char, 16> sync{};
  std::vector<std::shared_ptr<const codec::Datum>> records;
};

Multiplier::Multiplier(codec::SchemaResolver* resolver, MultiplierOptions options)
    : decoder_(&cache_, resolver), options_(options) {}
Multiplier::~Multiplier() = default;

const Multiplier::Plan& Multiplier::PlanFor(const Node* node) {
  auto it = plans_.find(node);
  if (it != plans_.end()) return *it->second;
  // Inserted before its fields are looked at, so a recursive type sees itself as "no rewrite".
  Plan& plan = *plans_.emplace(node, std::make_unique<Plan>()).first->second;
  std::vector<Action> actions(node->fields.size(), Action::kCopy);
  int ra = -1, dec = -1;
  bool rewrites = false;
  std::function<bool(const Node*)> descends = [&](const Node* n) {
    return AnyBranch(n, [&](const Node* b) {
      if (b->type == Type::kRecord) return PlanFor(b).rewrites;
      if (b->type == Type::kArray || b->type == Type::kMap) return descends(b->items);
      return false;
    });
  };
  for (size_t i = 0; i < node->fields.size(); ++i) {
    const std::string& name = node->fields[i].name;
    const Node* f = node->fields[i].node;
    Action a = Action::kCopy;
    if ((name == "ra" || name == "dec") && AnyBranch(f, IsReal)) {
      (name == "ra" ? ra : dec) = static_cast<int>(i);
      a = name == "ra" ? Action::kRa : Action::kDec;
    } else if (IsSourceIdName(name) && AnyBranch(f, IsIntegral)) {
      a = Action::kSourceId;
    } else if (IsObjectIdName(name) && AnyBranch(f, IsIntegral)) {
      a = Action::kObjectId;
    } else if (name == "objectId" &&
               AnyBranch(f, [](const Node* b) { return b->type == Type::kString; })) {
      a = Action::kName;
    } else if (descends(f)) {
      a = Action::kDescend;
    }
    actions[i] = a;
  }
  // A position moves only when the record has both coordinates.
  if (ra < 0 || dec < 0) {
    for (Action& a : actions)
      if (a == Action::kRa || a == Action::kDec) a = Action::kCopy;
    ra = dec = -1;
  }
  for (Action a : actions) rewrites |= a != Action::kCopy;
  plan.actions = std::move(actions);
  plan.ra = ra;
  plan.dec = dec;
  plan.rewrites = rewrites;
  return plan;
}

Result<int64_t> Multiplier::NewId(int kind, int64_t original, uint64_t id_copy) {
  if (original == 0) return 0;  // "none" (Rubin parentDiaSourceId, ssObjectId of non-movers)
  if (id_copy >> kCopyBits)
    return OutOfRange(fmt::format("copy number {} exceeds the id layout (< 2^{})", id_copy,
                                  kCopyBits));
  auto& serials = serials_[kind];
  auto [it, added] = serials.emplace(original, static_cast<uint32_t>(serials.size()));
  if (it->second >> kSerialBits) {
    serials.erase(it);
    return OutOfRange(fmt::format("more than 2^{} distinct original ids", kSerialBits));
  }
  return static_cast<int64_t>((uint64_t{1} << 62) | (static_cast<uint64_t>(kind) << 61) |
                              (id_copy << kSerialBits) | it->second);
}

Result<std::string> Multiplier::NewObjectName(std::string_view original, uint64_t id_copy) {
  if (id_copy >> kNameCopyBits)
    return OutOfRange(fmt::format("copy number {} exceeds the ZTF-like name layout (< 2^{})",
                                  id_copy, kNameCopyBits));
  auto [it, added] =
      name_serials_.emplace(std::string(original), static_cast<uint32_t>(name_serials_.size()));
  if (it->second >> kNameSerialBits) {
    name_serials_.erase(it);
    return OutOfRange(fmt::format("more than 2^{} distinct original object names",
                                  kNameSerialBits));
  }
  uint64_t v = (id_copy << kNameSerialBits) | it->second;
  std::string name = fmt::format("ZTF{:02d}aaaaaaa", v / kLetterValues);
  v %= kLetterValues;
  for (size_t i = name.size(); i-- > 5 && v; v /= 26) name[i] = static_cast<char>('a' + v % 26);
  return name;
}

Status Multiplier::Encode(const Value& v, uint64_t id_copy, SkyOffset offset, std::string* out) {
  switch (v.type()) {
    case Type::kRecord:
      if (v.in_union()) codec::WriteVarLong(out, v.branch());
      return EncodeRecord(v, id_copy, offset, out);
    case Type::kArray:
    case Type::kMap: {
      if (v.in_union()) codec::WriteVarLong(out, v.branch());
      const uint32_t n = v.Size();
      if (n > 0) codec::WriteVarLong(out, n);
      for (uint32_t i = 0; i < n; ++i) {
        if (v.type() == Type::kMap) {
          const std::string_view key = v.KeyAt(i);
          codec::WriteVarLong(out, static_cast<int64_t>(key.size()));
          out->append(key);
          RETURN_IF_ERROR(Encode(v.ValueAt(i), id_copy, offset, out));
        } else {
          RETURN_IF_ERROR(Encode(v.At(i), id_copy, offset, out));
        }
      }
      out->push_back(0);
      return Status::Ok();
    }
    default:
      codec::EncodeValue(v, out);
      return Status::Ok();
  }
}

Status Multiplier::EncodeRecord(const Value& v, uint64_t id_copy, SkyOffset offset,
                                std::string* out) {
  const Plan& plan = PlanFor(&v.node());
  if (!plan.rewrites) {  // the union branch, if any, is already written
    for (uint32_t i = 0; i < v.FieldCount(); ++i) codec::EncodeValue(v.FieldAt(i), out);
    return Status::Ok();
  }
  double ra = 0, dec = 0;
  bool moved = false;
  if (plan.ra >= 0) {
    const Value r = v.FieldAt(static_cast<uint32_t>(plan.ra));
    const Value d = v.FieldAt(static_cast<uint32_t>(plan.dec));
    if (!r.is_null() && !d.is_null()) {
      MovePosition(r.AsNumber(), d.AsNumber(), offset, &ra, &dec);
      moved = true;
    }
  }
  for (uint32_t i = 0; i < v.FieldCount(); ++i) {
    const Value f = v.FieldAt(i);
    switch (plan.actions[i]) {
      case Action::kCopy:
        codec::EncodeValue(f, out);
        break;
      case Action::kDescend:
        RETURN_IF_ERROR(Encode(f, id_copy, offset, out));
        break;
      case Action::kRa:
      case Action::kDec:
        if (moved) WriteReal(f, plan.actions[i] == Action::kRa ? ra : dec, out);
        else codec::EncodeValue(f, out);
        break;
      case Action::kSourceId:
      case Action::kObjectId: {
        // An int-typed id cannot hold the 63-bit layout; none of the real schemas has one.
        if (f.type() != Type::kLong) {
          codec::EncodeValue(f, out);
          break;
        }
        const int kind = plan.actions[i] == Action::kSourceId ? kSourceKind : kObjectKind;
        ASSIGN_OR_RETURN(const int64_t id, NewId(kind, f.AsLong(), id_copy));
        if (f.in_union()) codec::WriteVarLong(out, f.branch());
        codec::WriteVarLong(out, id);
        break;
      }
      case Action::kName: {
        if (f.type() != Type::kString) {
          codec::EncodeValue(f, out);
          break;
        }
        ASSIGN_OR_RETURN(const std::string name, NewObjectName(f.AsString(), id_copy));
        if (f.in_union()) codec::WriteVarLong(out, f.branch());
        codec::WriteVarLong(out, static_cast<int64_t>(name.size()));
        out->append(name);
        break;
      }
    }
  }
  return Status::Ok();
}

Result<std::shared_ptr<const Multiplier::Source>> Multiplier::Parse(std::string_view packet) {
  auto bytes = std::make_shared<const std::string>(packet);
  auto source = std::make_shared<Source>();
  if (codec::LooksLikeContainer(*bytes)) {
    ASSIGN_OR_RETURN(codec::ContainerReader reader, codec::ContainerReader::Open(bytes));
    const codec::ContainerHeader& h = reader.header();
    source->prefix = bytes->substr(0, h.data_offset);
    source->codec = h.codec;
    source->sync = h.sync;
  }
  Status st = decoder_.DecodeAll(bytes, [&](codec::DecodedRecord&& r) {
    source->framing = r.framing;
    source->records.push_back(std::move(r.datum));
  });
  RETURN_IF_ERROR(st);
  if (source->records.empty()) return InvalidArgument("packet holds no alert records");
  if (source->framing == codec::Framing::kConfluent) source->prefix = bytes->substr(0, 5);
  for (const auto& d : source->records) {
    if (d->root().type() != Type::kRecord)
      return InvalidArgument("packet's top-level value is not a record");
    schemas_.push_back(d->schema_ptr());
  }
  return std::shared_ptr<const Source>(std::move(source));
}

Result<std::string> Multiplier::Copy(const Source& source, uint64_t copy, SkyOffset offset) {
  const uint64_t id_copy = options_.copy_base + copy;
  std::string out = source.prefix;
  if (source.framing == codec::Framing::kConfluent) {
    RETURN_IF_ERROR(Encode(source.records[0]->root(), id_copy, offset, &out));
    return out;
  }
  std::string data;
  data.reserve(source.records[0]->bytes().size() * source.records.size() + 64);
  for (const auto& d : source.records) RETURN_IF_ERROR(Encode(d->root(), id_copy, offset, &data));
  if (source.codec != codec::Codec::kNull) {
    ASSIGN_OR_RETURN(data, codec::Compress(source.codec, data));
  }
  codec::WriteVarLong(&out, static_cast<int64_t>(source.records.size()));
  codec::WriteVarLong(&out, static_cast<int64_t>(data.size()));
  out.append(data);
  out.append(source.sync.data(), source.sync.size());
  return out;
}

Result<std::vector<std::string>> Multiplier::Multiply(std::string_view packet, int n,
                                                      double spacing_arcsec) {
  ASSIGN_OR_RETURN(const std::vector<SkyOffset> offsets, GridOffsets(n, spacing_arcsec));
  ASSIGN_OR_RETURN(const std::shared_ptr<const Source> source, Parse(packet));
  std::vector<std::string> out;
  out.reserve(offsets.size());
  for (size_t i = 0; i < offsets.size(); ++i) {
    ASSIGN_OR_RETURN(std::string copy, Copy(*source, i, offsets[i]));
    out.push_back(std::move(copy));
  }
  return out;
}

}  // namespace lantern::stream
