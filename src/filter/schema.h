// The tables a filter may name, per survey, with Lasair's table and column names (Reference §2,
// docs/filters.md): `objects` (the object id plus every features:: column), the context as
// `sherlock_classifications`, watchlist hits, watchmap (area) hits, annotations and the TNS
// crossmatch. Immutable singletons; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "alert/alert.h"

namespace lantern::filter {

// Static types of columns and expressions. Booleans are kInt 0/1 as in MariaDB; kJson is what
// JSON_EXTRACT returns (per row a number or a string).
enum class Type : uint8_t { kNull, kInt, kDouble, kString, kJson };
std::string_view TypeName(Type type);

struct ColumnDef {
  std::string name;
  Type type = Type::kDouble;
};

struct TableDef {
  std::string name;
  std::vector<ColumnDef> columns;
  // Index of the column named `name` (exact case first, then ignoring case), or -1.
  int Find(std::string_view name) const;
};

struct Schema {
  alert::Survey survey = alert::Survey::kZtf;
  std::string id_column;    // "objectId" (string) or "diaObjectId" (int)
  TableDef objects;         // id, features (LSST also ra, decl)
  TableDef sherlock;        // sherlock_classifications
  TableDef watchlist_hits;  // arcsec, name
  TableDef annotations;     // topic, version, classification, explanation, classdict, url
  TableDef crossmatch_tns;  // Lasair's crossmatch_tns columns

  static const Schema& Ztf();
  static const Schema& Lsst();
  static const Schema& For(alert::Survey survey);
};

// Type of a features:: column of the given survey (kDouble for names it does not know).
Type FeatureType(std::string_view column);

}  // namespace lantern::filter
