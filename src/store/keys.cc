#include "store/keys.h"

#include <bit>
#include <cmath>
#include <cstring>

namespace lantern::store {

void AppendBigEndian64(uint64_t value, std::string* out) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  out->append(buf, 8);
}

uint64_t ReadBigEndian64(std::string_view bytes) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  return v;
}

void AppendOrderedDouble(double value, std::string* out) {
  if (value == 0.0) value = 0.0;  // -0 and +0 share a key
  uint64_t bits = std::bit_cast<uint64_t>(value);
  bits = (bits & (uint64_t{1} << 63)) ? ~bits : bits | (uint64_t{1} << 63);
  AppendBigEndian64(bits, out);
}

double ReadOrderedDouble(std::string_view bytes) {
  uint64_t bits = ReadBigEndian64(bytes);
  bits = (bits & (uint64_t{1} << 63)) ? bits & ~(uint64_t{1} << 63) : ~bits;
  return std::bit_cast<double>(bits);
}

std::string ObjectKey(alert::Survey survey, std::string_view object_id) {
  std::string key;
  key.reserve(object_id.size() + 2);
  key.push_back(static_cast<char>(survey));
  key.append(object_id);
  key.push_back('\0');
  return key;
}

bool ParseObjectKey(std::string_view key, alert::Survey* survey, std::string_view* object_id,
                    std::string_view* rest) {
  if (key.size() < 2 || static_cast<unsigned char>(key[0]) > 1) return false;
  const size_t end = key.find('\0', 1);
  if (end == std::string_view::npos) return false;
  *survey = static_cast<alert::Survey>(key[0]);
  *object_id = key.substr(1, end - 1);
  if (rest) *rest = key.substr(end + 1);
  return true;
}

namespace {

// The object key with room for what follows it: one allocation per key.
std::string ObjectKeyWithRoom(std::string_view object_key, size_t room) {
  std::string key;
  key.reserve(object_key.size() + room);
  key.append(object_key);
  return key;
}

}  // namespace

std::string DetectionKey(std::string_view object_key, double mjd, int64_t source_id) {
  std::string key = ObjectKeyWithRoom(object_key, 16);
  AppendOrderedDouble(mjd, &key);
  AppendBigEndian64(static_cast<uint64_t>(source_id) ^ (uint64_t{1} << 63), &key);
  return key;
}

std::string TimeBandKey(std::string_view object_key, double mjd, std::string_view band) {
  std::string key = ObjectKeyWithRoom(object_key, 8 + band.size());
  AppendOrderedDouble(mjd, &key);
  key.append(band);
  return key;
}

std::string AlertKey(alert::Survey survey, int64_t alert_id) {
  std::string key(1, static_cast<char>(survey));
  AppendBigEndian64(static_cast<uint64_t>(alert_id) ^ (uint64_t{1} << 63), &key);
  return key;
}

std::string CutoutKey(alert::Survey survey, int64_t alert_id, alert::CutoutKind kind) {
  std::string key = AlertKey(survey, alert_id);
  key.push_back(static_cast<char>(kind));
  return key;
}

std::string WatchlistHitKey(uint32_t watchlist_id, std::string_view object_key,
                            int64_t alert_id) {
  std::string key;
  for (int shift = 24; shift >= 0; shift -= 8) {
    key.push_back(static_cast<char>((watchlist_id >> shift) & 0xff));
  }
  key.append(object_key);
  AppendBigEndian64(static_cast<uint64_t>(alert_id), &key);
  return key;
}

int PositionZone(double dec_deg) {
  const int zones = static_cast<int>(std::ceil(180.0 / kPositionZoneDeg));
  const int z = static_cast<int>(std::floor((dec_deg + 90.0) / kPositionZoneDeg));
  return z < 0 ? 0 : (z >= zones ? zones - 1 : z);
}

std::string PositionPrefix(int zone, double ra_deg) {
  std::string key;
  key.push_back(static_cast<char>((zone >> 8) & 0xff));
  key.push_back(static_cast<char>(zone & 0xff));
  AppendOrderedDouble(ra_deg, &key);
  return key;
}

std::string PositionKey(double ra_deg, double dec_deg, std::string_view object_key) {
  std::string key = PositionPrefix(PositionZone(dec_deg), ra_deg);
  key.append(object_key);
  return key;
}

}  // namespace lantern::store
