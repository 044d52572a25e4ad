// Key layout of the store (DESIGN.md "Stores"): big-endian, order-preserving encodings so
// that a prefix scan over an object's key returns its rows in time order, and the positions
// table is ordered by (zone, ra). Object keys are the survey byte, the object id text and a
// NUL terminator (survey ids hold no NUL), so one object's prefix never matches another's.
// Pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "alert/alert.h"

namespace lantern::store {

// Height of the declination zones of the positions table (cone search).
inline constexpr double kPositionZoneDeg = 0.05;

void AppendBigEndian64(uint64_t value, std::string* out);
uint64_t ReadBigEndian64(std::string_view bytes);  // the first 8 bytes
// Doubles whose byte order sorts like their numeric order (sign flip / complement).
void AppendOrderedDouble(double value, std::string* out);
double ReadOrderedDouble(std::string_view bytes);  // the first 8 bytes

std::string ObjectKey(alert::Survey survey, std::string_view object_id);
// Splits an object key back; false when `key` does not start with a well-formed one. `rest`
// (optional) receives what follows the terminator.
bool ParseObjectKey(std::string_view key, alert::Survey* survey, std::string_view* object_id,
                    std::string_view* rest = nullptr);

// object | mjd | source id
std::string DetectionKey(std::string_view object_key, double mjd, int64_t source_id);
// object | mjd | band (ZTF limits and ZTF forced photometry have no id of their own)
std::string TimeBandKey(std::string_view object_key, double mjd, std::string_view band);
// survey | alert id
std::string AlertKey(alert::Survey survey, int64_t alert_id);
// survey | alert id | kind
std::string CutoutKey(alert::Survey survey, int64_t alert_id, alert::CutoutKind kind);
// watchlist id (4 bytes) | object | alert id
std::string WatchlistHitKey(uint32_t watchlist_id, std::string_view object_key, int64_t alert_id);
// zone | ra | object
int PositionZone(double dec_deg);
std::string PositionKey(double ra_deg, double dec_deg, std::string_view object_key);
std::string PositionPrefix(int zone, double ra_deg);

}  // namespace lantern::store
