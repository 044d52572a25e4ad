// Differential test of the filter engine against SQLite. Objects tables are built from
// features::ComputeForAlert over every real alert in ../shared/data plus synthetic rows drawn
// from the real values' distributions (with NULLs), with context classifications, watchlist,
// watchmap and annotation rows. The same rows go into an in-memory SQLite database (string
// columns COLLATE NOCASE, as MariaDB's default collation compares; functions registered as
// UDFs with MariaDB semantics). Then >= 1,000 random filters from a seeded grammar and every
// filter example of Lasair's public documentation run in both engines; result sets must be
// identical, and identical in order for ORDER BY (made total by a row-number tie-break,
// which is Lantern's stable order).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "codec/schema_source.h"
#include "codec/test_data.h"
#include "features/features.h"
#include "filter/filter.h"
#include "survey/alert_decoder.h"

namespace lantern::filter {
namespace {

// --- SQLite UDFs with MariaDB semantics (written independently of eval.cc) -----------------

bool AllInts(int argc, sqlite3_value** argv) {
  for (int i = 0; i < argc; ++i) {
    if (sqlite3_value_type(argv[i]) != SQLITE_INTEGER) return false;
  }
  return true;
}
bool AnyNull(int argc, sqlite3_value** argv) {
  for (int i = 0; i < argc; ++i) {
    if (sqlite3_value_type(argv[i]) == SQLITE_NULL) return true;
  }
  return false;
}
void ResultDouble(sqlite3_context* ctx, double v) {
  if (std::isfinite(v)) {
    sqlite3_result_double(ctx, v);
  } else {
    sqlite3_result_null(ctx);
  }
}
double Rint(double value, long long dec) {  // MariaDB my_double_round
  const double tmp = std::pow(10.0, static_cast<double>(std::llabs(dec)));
  if (dec < 0 && std::isinf(tmp)) return 0;
  if (dec >= 0 && std::isinf(value * tmp)) return value;
  return dec < 0 ? std::nearbyint(value / tmp) * tmp : std::nearbyint(value * tmp) / tmp;
}
double g_now_mjd = 0;

void Udf(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  const std::string name = static_cast<const char*>(sqlite3_user_data(ctx));
  if (name == "mjdnow") return sqlite3_result_double(ctx, g_now_mjd);
  if (name == "jdnow") return sqlite3_result_double(ctx, g_now_mjd + 2400000.5);
  if (AnyNull(argc, argv)) return sqlite3_result_null(ctx);
  const bool ints = AllInts(argc, argv);
  const double x = sqlite3_value_double(argv[0]);
  if (name == "mmod") {
    if (ints) {
      const long long a = sqlite3_value_int64(argv[0]), b = sqlite3_value_int64(argv[1]);
      if (b == 0) return sqlite3_result_null(ctx);
      return sqlite3_result_int64(ctx, b == -1 ? 0 : a % b);
    }
    const double y = sqlite3_value_double(argv[1]);
    if (y == 0) return sqlite3_result_null(ctx);
    return ResultDouble(ctx, std::fmod(x, y));
  }
  if (name == "sqrt") return x < 0 ? sqlite3_result_null(ctx) : ResultDouble(ctx, std::sqrt(x));
  if (name == "log10") return x <= 0 ? sqlite3_result_null(ctx) : ResultDouble(ctx, std::log10(x));
  if (name == "pow") return ResultDouble(ctx, std::pow(x, sqlite3_value_double(argv[1])));
  if (name == "floor" || name == "ceil") {
    if (ints) return sqlite3_result_int64(ctx, sqlite3_value_int64(argv[0]));
    return ResultDouble(ctx, name == "floor" ? std::floor(x) : std::ceil(x));
  }
  if (name == "round") {
    const long long dec = argc > 1 ? sqlite3_value_int64(argv[1]) : 0;
    if (sqlite3_value_type(argv[0]) == SQLITE_INTEGER) {
      const long long v = sqlite3_value_int64(argv[0]);
      return sqlite3_result_int64(ctx, dec >= 0 ? v : static_cast<long long>(Rint(v, dec)));
    }
    return ResultDouble(ctx, Rint(x, dec));
  }
  if (name == "least" || name == "greatest") {
    const bool least = name == "least";
    if (ints) {
      long long best = sqlite3_value_int64(argv[0]);
      for (int i = 1; i < argc; ++i) {
        const long long v = sqlite3_value_int64(argv[i]);
        best = least ? std::min(best, v) : std::max(best, v);
      }
      return sqlite3_result_int64(ctx, best);
    }
    double best = x;
    for (int i = 1; i < argc; ++i) {
      const double v = sqlite3_value_double(argv[i]);
      best = least ? std::min(best, v) : std::max(best, v);
    }
    return ResultDouble(ctx, best);
  }
  sqlite3_result_error(ctx, "unknown udf", -1);
}

// --- The data ------------------------------------------------------------------------------

struct Row {
  std::string id;
  features::Features features;
  double ra = NAN, dec = NAN;
  std::string context_json;
  std::map<std::string, features::FeatureValue> sherlock;  // for SQLite
  bool wl1 = false;
  double wl_arcsec = 0;
  std::string wl_name;
  bool area1 = false, area2 = false;
  bool ann = false;
  std::string ann_class, ann_dict;
};

const char* kClasses[] = {"SN", "NT", "VS", "AGN", "CV", "BS", "ORPHAN"};
const char* kNames[] = {"alpha", "Beta", "gamma_1", "delta-x", "eps"};
const char* kColors[] = {"red", "green", "blue"};

std::vector<Row> RealRows(alert::Survey survey) {
  std::vector<Row> rows;
  const std::string dir = codec::test_data::SharedDataDir();
  codec::SchemaCache cache;
  codec::SchemaDirectory schemas(dir + "/lsst/schema");
  survey::AlertDecoder decoder(&cache, &schemas);
  struct M {
    const char* manifest;
    const char* base;
  };
  const std::vector<M> manifests =
      survey == alert::Survey::kZtf
          ? std::vector<M>{{"ztf/alerts/native/MANIFEST.csv", "ztf/alerts"},
                           {"ztf/alerts/fink_spark/MANIFEST.csv", "ztf/alerts/fink_spark"},
                           {"ztf/alerts/fink_multi/MANIFEST.csv", "ztf/alerts/fink_multi"}}
          : std::vector<M>{{"lsst/alerts/MANIFEST.csv", "lsst/alerts"}};
  for (const M& m : manifests) {
    auto csv = codec::test_data::ReadCsv(dir + "/" + m.manifest);
    if (!csv.ok()) continue;
    for (const auto& line : *csv) {
      auto bytes = codec::test_data::ReadShared(dir + "/" + m.base + "/" + line.at("file"));
      if (!bytes.ok()) continue;
      (void)decoder.Decode(*bytes, [&](alert::Alert&& a, const codec::DecodedRecord&) {
        if (a.survey != survey) return;
        Row r;
        r.id = a.object_id;
        r.features = features::ComputeForAlert(a);
        r.ra = a.detection.ra;
        r.dec = a.detection.dec;
        rows.push_back(std::move(r));
      });
    }
  }
  return rows;
}

// Synthetic rows: each column drawn from the real values of that column, perturbed, with
// about 20% NULL.
void AddSynthetic(const Schema& schema, size_t count, std::mt19937_64* rng,
                  std::vector<Row>* rows) {
  std::map<std::string, std::vector<features::FeatureValue>> pool;
  for (const Row& r : *rows) {
    for (const auto& [name, v] : r.features.columns()) {
      if (!std::holds_alternative<std::monostate>(v)) pool[name].push_back(v);
    }
  }
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> noise(0, 1);
  const size_t real = rows->size();
  for (size_t n = 0; n < count; ++n) {
    Row r;
    r.id = schema.survey == alert::Survey::kZtf ? "ZTFsim" + std::to_string(n)
                                                : std::to_string(9000000000000 + n);
    for (const ColumnDef& c : schema.objects.columns) {
      if (c.name == schema.id_column || c.name == "ra" || c.name == "decl") continue;
      const auto& p = pool[c.name];
      if (u(*rng) < 0.2 || (p.empty() && c.type == Type::kString)) {
        r.features.Add(c.name, std::monostate{});
        continue;
      }
      if (c.type == Type::kInt) {
        const int64_t base = p.empty() ? 3 : std::get<int64_t>(p[(*rng)() % p.size()]);
        r.features.Add(c.name, c.name == "htm16" ? base + static_cast<int64_t>((*rng)() % 1000)
                                                 : static_cast<int64_t>((*rng)() % 40) +
                                                       (base % 7));
      } else if (c.type == Type::kString) {
        r.features.Add(c.name, p[(*rng)() % p.size()]);
      } else {
        const double base = p.empty() ? noise(*rng) : std::get<double>(p[(*rng)() % p.size()]);
        const bool time = c.name.find("jd") == 0 || c.name.find("MJD") != std::string::npos ||
                          c.name.find("Mjd") != std::string::npos;
        double v = time ? base + 30 * noise(*rng) : base * (1 + 0.2 * noise(*rng)) + 0.1 * noise(*rng);
        if (u(*rng) < 0.05) v = std::round(v);  // exact ties and integers
        r.features.AddDouble(c.name, v);
      }
    }
    r.ra = u(*rng) * 360;
    r.dec = u(*rng) * 180 - 90;
    (void)real;
    rows->push_back(std::move(r));
  }
  // Context, watchlist, watchmap and annotation rows for every object.
  for (Row& r : *rows) {
    const char* cls = kClasses[(*rng)() % 7];
    if (std::string(cls) != "ORPHAN") {
      const double z = u(*rng) < 0.5 ? NAN : u(*rng) * 0.2;
      const double sep = u(*rng) * 10;
      r.context_json = std::string("{\"classification\":\"") + cls +
                       "\",\"association_type\":\"" + cls + "\",\"catalogue_table_name\":\"" +
                       (u(*rng) < 0.5 ? "tycho2" : "OpenNGC") + "\",\"separationArcsec\":" +
                       std::to_string(sep) +
                       (std::isnan(z) ? std::string() : ",\"z\":" + std::to_string(z)) + "}";
      r.sherlock = {{"classification", std::string(cls)}, {"association_type", std::string(cls)},
                    {"separationArcsec", std::stod(std::to_string(sep))}};
      r.sherlock["catalogue_table_name"] = std::string(
          r.context_json.find("tycho2") != std::string::npos ? "tycho2" : "OpenNGC");
      if (!std::isnan(z)) r.sherlock["z"] = std::stod(std::to_string(z));
    } else {
      r.sherlock = {{"classification", std::string("ORPHAN")},
                    {"association_type", std::string("ORPHAN")}};
    }
    if (u(*rng) < 0.1) {
      r.wl1 = true;
      r.wl_arcsec = std::round(u(*rng) * 3000) / 1000;
      r.wl_name = kNames[(*rng)() % 5];
    }
    r.area1 = u(*rng) < 0.3;
    r.area2 = u(*rng) < 0.2;
    if (u(*rng) < 0.1) {
      r.ann = true;
      r.ann_class = u(*rng) < 0.5 ? "kilonova" : "SN Ia";
      r.ann_dict = "{\"size\":" + std::to_string((*rng)() % 10) + ",\"color\":\"" +
                   kColors[(*rng)() % 3] + "\"}";
    }
  }
}

Batch BuildBatch(const Schema& schema, const std::vector<Row>& rows) {
  BatchBuilder b(schema);
  for (const Row& r : rows) {
    const size_t row = b.AddObject(r.id, r.features, r.ra, r.dec, r.context_json);
    if (r.wl1) b.AddWatchlistHit(1, row, r.wl_arcsec, r.wl_name);
    if (r.area1) b.AddAreaHit(1, row);
    if (r.area2) b.AddAreaHit(2, row);
    if (r.ann) {
      b.AddAnnotation("ff", row, {{"classification", r.ann_class}, {"classdict", r.ann_dict}});
    }
  }
  return b.Finish();
}

void Exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
      << (err ? err : "") << "\n" << sql.substr(0, 300);
}

void Bind(sqlite3_stmt* st, int i, const features::FeatureValue& v) {
  if (const auto* x = std::get_if<int64_t>(&v)) {
    sqlite3_bind_int64(st, i, *x);
  } else if (const auto* d = std::get_if<double>(&v)) {
    if (std::isfinite(*d)) {
      sqlite3_bind_double(st, i, *d);
    } else {
      sqlite3_bind_null(st, i);
    }
  } else if (const auto* s = std::get_if<std::string>(&v)) {
    sqlite3_bind_text(st, i, s->c_str(), -1, SQLITE_TRANSIENT);
  } else {
    sqlite3_bind_null(st, i);
  }
}

std::string SqlType(Type t) {
  return t == Type::kInt ? "INTEGER" : t == Type::kString ? "TEXT COLLATE NOCASE" : "REAL";
}

void Load(sqlite3* db, const Schema& schema, const std::vector<Row>& rows) {
  for (const char* name : {"sqrt", "log10", "pow", "floor", "ceil", "round", "least",
                           "greatest", "mjdnow", "jdnow", "mmod"}) {
    sqlite3_create_function(db, name, -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                            const_cast<char*>(name), Udf, nullptr, nullptr);
  }
  std::string create = "CREATE TABLE objects (lrow INTEGER PRIMARY KEY";
  std::string insert = "INSERT INTO objects VALUES (?";
  for (const ColumnDef& c : schema.objects.columns) {
    create += ", \"" + c.name + "\" " + SqlType(c.type);
    insert += ",?";
  }
  Exec(db, create + ")");
  std::string sh = "CREATE TABLE sherlock_classifications (lrow INTEGER PRIMARY KEY";
  for (const ColumnDef& c : schema.sherlock.columns) sh += ", \"" + c.name + "\" " + SqlType(c.type);
  Exec(db, sh + ")");
  Exec(db, "CREATE TABLE watchlist_hits (lrow INTEGER, wl_id INTEGER, arcsec REAL, "
           "name TEXT COLLATE NOCASE)");
  Exec(db, "CREATE TABLE area_hits (lrow INTEGER, ar_id INTEGER)");
  Exec(db, "CREATE TABLE annotations (lrow INTEGER, topic TEXT COLLATE NOCASE, version TEXT "
           "COLLATE NOCASE, classification TEXT COLLATE NOCASE, explanation TEXT COLLATE NOCASE, "
           "classdict TEXT COLLATE NOCASE, url TEXT COLLATE NOCASE)");
  Exec(db, "BEGIN");
  sqlite3_stmt* obj = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, (insert + ")").c_str(), -1, &obj, nullptr), SQLITE_OK);
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    sqlite3_bind_int64(obj, 1, static_cast<int64_t>(i));
    int k = 2;
    for (const ColumnDef& c : schema.objects.columns) {
      if (c.name == schema.id_column) {
        if (c.type == Type::kInt) {
          sqlite3_bind_int64(obj, k++, std::stoll(r.id));
        } else {
          sqlite3_bind_text(obj, k++, r.id.c_str(), -1, SQLITE_TRANSIENT);
        }
      } else if (c.name == "ra" || c.name == "decl") {
        Bind(obj, k++, c.name == "ra" ? r.ra : r.dec);
      } else {
        const features::FeatureValue* v = r.features.Find(c.name);
        features::FeatureValue cell = v ? *v : features::FeatureValue{};
        if (c.type == Type::kInt && std::holds_alternative<double>(cell)) cell = std::monostate{};
        Bind(obj, k++, cell);
      }
    }
    ASSERT_EQ(sqlite3_step(obj), SQLITE_DONE);
    sqlite3_reset(obj);
    std::string s = "INSERT INTO sherlock_classifications (lrow";
    std::string vals = std::to_string(i);
    for (const auto& [name, v] : r.sherlock) {
      s += ", \"" + name + "\"";
      if (const auto* str = std::get_if<std::string>(&v)) {
        vals += ", '" + *str + "'";
      } else {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.17g", std::get<double>(v));
        vals += std::string(", ") + buf;
      }
    }
    Exec(db, s + ") VALUES (" + vals + ")");
    if (r.wl1) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.17g", r.wl_arcsec);
      Exec(db, "INSERT INTO watchlist_hits VALUES (" + std::to_string(i) + ", 1, " + buf + ", '" +
                   r.wl_name + "')");
    }
    if (r.area1) Exec(db, "INSERT INTO area_hits VALUES (" + std::to_string(i) + ", 1)");
    if (r.area2) Exec(db, "INSERT INTO area_hits VALUES (" + std::to_string(i) + ", 2)");
    if (r.ann) {
      Exec(db, "INSERT INTO annotations (lrow, topic, classification, classdict) VALUES (" +
                   std::to_string(i) + ", 'ff', '" + r.ann_class + "', '" + r.ann_dict + "')");
    }
  }
  sqlite3_finalize(obj);
  Exec(db, "COMMIT");
  Exec(db, "CREATE INDEX wl ON watchlist_hits (lrow)");
  Exec(db, "CREATE INDEX ar ON area_hits (lrow)");
  Exec(db, "CREATE INDEX an ON annotations (lrow)");
}

// --- Random filters --------------------------------------------------------------------------

// A filter rendered for both engines.
struct Text {
  std::string lantern, sqlite;
};

class Generator {
 public:
  Generator(const Schema& schema, const std::vector<Row>& rows, uint64_t seed)
      : schema_(schema), rng_(seed) {
    for (const ColumnDef& c : schema.objects.columns) {
      if (c.name == schema.id_column) continue;
      (c.type == Type::kString ? strings_ : numbers_).push_back({"objects." + c.name, c.type});
      if (c.type != Type::kString) {
        for (size_t i = 0; i < std::min<size_t>(rows.size(), 2000); i += 7) {
          const features::FeatureValue* v = rows[i].features.Find(c.name);
          if (v && std::holds_alternative<double>(*v)) samples_[c.name].push_back(std::get<double>(*v));
          if (v && std::holds_alternative<int64_t>(*v)) {
            samples_[c.name].push_back(static_cast<double>(std::get<int64_t>(*v)));
          }
        }
      } else {
        for (size_t i = 0; i < std::min<size_t>(rows.size(), 2000); i += 7) {
          const features::FeatureValue* v = rows[i].features.Find(c.name);
          if (v && std::holds_alternative<std::string>(*v)) {
            string_samples_[c.name].push_back(std::get<std::string>(*v));
          }
        }
      }
    }
    if (schema.survey == alert::Survey::kZtf) strings_.push_back({"objects.objectId", Type::kString});
  }

  // Tables the current filter joins.
  std::vector<std::string> tables;

  Text Condition(int depth) {
    const int pick = Roll(depth <= 0 ? 6 : 10);
    if (pick >= 6) {  // AND / OR / NOT / parentheses
      if (pick == 9) {
        Text a = Condition(depth - 1);
        return {"NOT (" + a.lantern + ")", "NOT (" + a.sqlite + ")"};
      }
      Text a = Condition(depth - 1), b = Condition(depth - 1);
      const char* op = pick == 6 ? " OR " : " AND ";
      return {"(" + a.lantern + op + b.lantern + ")", "(" + a.sqlite + op + b.sqlite + ")"};
    }
    switch (pick) {
      case 0: case 1: {  // numeric comparison
        auto [col, type] = NumberColumn();
        Text lhs = Numeric(col, type, depth);
        const char* ops[] = {"=", "!=", "<>", "<", "<=", ">", ">="};
        const std::string op = ops[Roll(7)];
        Text rhs = Roll(4) == 0 ? Numeric(NumberColumn().first, Type::kDouble, 0)
                                : Literal(col);
        return {lhs.lantern + " " + op + " " + rhs.lantern, lhs.sqlite + " " + op + " " + rhs.sqlite};
      }
      case 2: {  // IN / BETWEEN
        auto [col, type] = NumberColumn();
        const bool neg = Roll(3) == 0;
        if (Roll(2) == 0) {
          std::string list;
          const int n = 1 + Roll(4);
          for (int i = 0; i < n; ++i) {
            list += (i ? ", " : "") +
                    (Roll(8) == 0 ? std::string("NULL") : Literal(col).lantern);
          }
          const std::string t = col + (neg ? " NOT IN (" : " IN (") + list + ")";
          return {t, t};
        }
        Text a = Literal(col), b = Literal(col);
        const std::string t = col + (neg ? " NOT BETWEEN " : " BETWEEN ");
        return {t + a.lantern + " AND " + b.lantern, t + a.sqlite + " AND " + b.sqlite};
      }
      case 3: {  // IS NULL
        auto [col, type] = Roll(3) == 0 && !strings_.empty() ? strings_[Roll(strings_.size())]
                                                             : NumberColumn();
        const std::string t = col + (Roll(2) ? " IS NULL" : " IS NOT NULL");
        return {t, t};
      }
      case 4: {  // strings: = IN LIKE
        return StringCondition();
      }
      default: {  // joined tables
        return Joined();
      }
    }
  }

 private:
  int Roll(size_t n) { return static_cast<int>(rng_() % n); }

  std::pair<std::string, Type> NumberColumn() { return numbers_[Roll(numbers_.size())]; }

  Text Literal(const std::string& qualified) {
    const std::string name = qualified.substr(qualified.find('.') + 1);
    const auto& s = samples_[name];
    double v = s.empty() ? 1.0 : s[Roll(s.size())];
    if (Roll(3) == 0) v = std::round(v);
    char buf[64];
    if (v == std::round(v) && std::fabs(v) < 1e15) {
      std::snprintf(buf, sizeof buf, "%.0f", v);
    } else {
      std::snprintf(buf, sizeof buf, "%.6g", v);
    }
    return {buf, buf};
  }

  // A numeric expression around `col`.
  Text Numeric(const std::string& col, Type type, int depth) {
    const bool big_int = col.find("htm16") != std::string::npos;
    switch (depth <= 0 || big_int ? 0 : Roll(9)) {
      case 0: case 1: case 2: return {col, col};
      case 3: {
        const char* ops[] = {"+", "-", "*"};
        const std::string op = ops[Roll(3)];
        Text lit = Literal(col);
        auto [other, ot] = NumberColumn();
        if (other.find("htm16") != std::string::npos || Roll(2)) other = lit.lantern;
        return {"(" + col + " " + op + " " + other + ")", "(" + col + " " + op + " " + other + ")"};
      }
      case 4: {
        auto [other, ot] = NumberColumn();
        if (other.find("htm16") != std::string::npos) other = "2";
        return {"(" + col + " / " + other + ")", "(CAST(" + col + " AS REAL) / " + other + ")"};
      }
      case 5: {
        const std::string m = Roll(2) ? "3" : "2.5";
        return {"(" + col + " % " + m + ")", "mmod(" + col + ", " + m + ")"};
      }
      case 6: {
        const char* fns[] = {"ABS", "SQRT", "LOG10", "FLOOR", "CEIL", "ROUND"};
        const std::string f = fns[Roll(6)];
        const std::string extra = f == "ROUND" && Roll(2) ? ", " + std::to_string(Roll(3)) : "";
        const std::string sq = f == "ABS" ? "abs" : f == "SQRT" ? "sqrt" : f == "LOG10" ? "log10"
                             : f == "FLOOR" ? "floor" : f == "CEIL" ? "ceil" : "round";
        return {f + "(" + col + extra + ")", sq + "(" + col + extra + ")"};
      }
      case 7: {
        auto [other, ot] = NumberColumn();
        if (other.find("htm16") != std::string::npos) other = col;
        const bool least = Roll(2);
        return {std::string(least ? "LEAST(" : "GREATEST(") + col + ", " + other + ")",
                std::string(least ? "least(" : "greatest(") + col + ", " + other + ")"};
      }
      default: {
        if (Roll(2)) return {"-" + col, "-" + col};
        return {"POW(" + col + ", 2)", "pow(" + col + ", 2)"};
      }
    }
  }

  Text Quoted(const std::string& s) {
    // Lasair rewrites ' to ", so both quote styles must work.
    const std::string l = Roll(2) ? "'" + s + "'" : "\"" + s + "\"";
    return {l, "'" + s + "'"};
  }

  Text StringCondition() {
    if (strings_.empty()) return {"1 = 1", "1 = 1"};
    auto [col, type] = strings_[Roll(strings_.size())];
    const std::string name = col.substr(col.find('.') + 1);
    const auto& s = string_samples_[name];
    std::string v = s.empty() ? "g-r" : s[Roll(s.size())];
    if (Roll(3) == 0) {
      for (char& c : v) c = static_cast<char>(std::toupper(c));
    }
    switch (Roll(3)) {
      case 0: {
        Text q = Quoted(v);
        const char* ops[] = {"=", "!=", "<", ">="};
        const std::string op = ops[Roll(4)];
        return {col + " " + op + " " + q.lantern, col + " " + op + " " + q.sqlite};
      }
      case 1: {
        Text a = Quoted(v), b = Quoted("zz");
        return {col + " IN (" + a.lantern + ", " + b.lantern + ")",
                col + " IN (" + a.sqlite + ", " + b.sqlite + ")"};
      }
      default: {
        std::string p = v.size() > 2 ? v.substr(0, 2) + "%" : "%" + v;
        if (Roll(2) && !p.empty()) p[0] = '_';
        Text q = Quoted(p);
        const std::string op = Roll(4) == 0 ? " NOT LIKE " : " LIKE ";
        return {col + op + q.lantern, col + op + q.sqlite};
      }
    }
  }

  void Join(const std::string& t) {
    if (std::find(tables.begin(), tables.end(), t) == tables.end()) tables.push_back(t);
  }

  Text Joined() {
    switch (Roll(5)) {
      case 0: {
        Join("sherlock_classifications");
        std::string list;
        const int n = 1 + Roll(3);
        for (int i = 0; i < n; ++i) {
          std::string c = kClasses[Roll(7)];
          if (Roll(4) == 0) c[0] = static_cast<char>(std::tolower(c[0]));
          list += (i ? ", " : "") + std::string("'") + c + "'";
        }
        const std::string col = Roll(2) ? "sherlock_classifications.classification"
                                         : "classification";
        const std::string t = col + (Roll(4) == 0 ? " NOT IN (" : " IN (") + list + ")";
        return {t, "sherlock_classifications.classification" + t.substr(col.size())};
      }
      case 1: {
        Join("sherlock_classifications");
        const char* cols[] = {"sherlock_classifications.z", "sherlock_classifications.separationArcsec"};
        const std::string c = cols[Roll(2)];
        const std::string t = Roll(3) == 0 ? c + " IS NULL"
                                           : c + (Roll(2) ? " < " : " >= ") +
                                                 (c.back() == 'z' ? "0.1" : "5");
        return {t, t};
      }
      case 2: {
        Join("watchlist:1");
        const std::string t = Roll(2) ? "watchlist_hits.arcsec < " + std::to_string(Roll(4))
                                      : "watchlist_hits.name LIKE '%a%'";
        return {t, t};
      }
      case 3: {
        Join(Roll(2) ? "area:1" : "area:2");
        return {"1 = 1", "1 = 1"};
      }
      default: {
        Join("annotator:ff");
        if (Roll(2)) {
          const std::string t = "JSON_EXTRACT(ff.classdict, '$.size') " +
                                std::string(Roll(2) ? "> " : "<= ") + std::to_string(Roll(10));
          return {t, "json_extract(ff.classdict, '$.size')" + t.substr(t.find(')') + 1)};
        }
        const std::string t = "JSON_EXTRACT(ff.classdict, '$.color') IN ('red', 'blue')";
        return {t, "json_extract(ff.classdict, '$.color') IN ('red', 'blue')"};
      }
    }
  }

  const Schema& schema_;
  std::mt19937_64 rng_;
  std::vector<std::pair<std::string, Type>> numbers_, strings_;
  std::map<std::string, std::vector<double>> samples_;
  std::map<std::string, std::vector<std::string>> string_samples_;
};

// FROM/JOIN clause for SQLite from a Lasair tables list.
std::string SqliteFrom(const std::vector<std::string>& tables) {
  std::string from = " FROM objects";
  int areas = 0;
  for (const std::string& t : tables) {
    if (t == "sherlock_classifications") {
      from += " JOIN sherlock_classifications ON sherlock_classifications.lrow = objects.lrow";
    } else if (t.rfind("watchlist", 0) == 0) {
      from += " JOIN watchlist_hits ON watchlist_hits.lrow = objects.lrow AND watchlist_hits.wl_id = " +
              t.substr(t.find(':') + 1);
    } else if (t.rfind("area:", 0) == 0) {
      const std::string a = "ar" + std::to_string(areas++);
      from += " JOIN area_hits " + a + " ON " + a + ".lrow = objects.lrow AND " + a +
              ".ar_id = " + t.substr(5);
    } else if (t.rfind("annotator:", 0) == 0) {
      const std::string topic = t.substr(10);
      from += " JOIN annotations " + topic + " ON " + topic + ".lrow = objects.lrow AND " +
              topic + ".topic = '" + topic + "'";
    }
  }
  return from;
}

struct Outcome {
  size_t checked = 0, ordered = 0, nonempty = 0, rows = 0;
  double lantern_s = 0, sqlite_s = 0;  // compile + run, prepare + step
  std::vector<std::string> failures;
};

// Runs one filter in both engines and compares. `order_sql` is the SQLite ORDER BY list
// (without the tie-break) or empty.
void Check(sqlite3* db, const Schema& schema, const Batch& batch, const std::string& selected,
           const std::vector<std::string>& tables, const std::string& conditions,
           const std::string& where_sql, const std::string& order_sql, Outcome* out) {
  std::string tables_text;
  for (const std::string& t : tables) tables_text += (tables_text.empty() ? "" : ", ") + t;
  const auto t0 = std::chrono::steady_clock::now();
  auto f = CompileFilter(selected, "objects" + (tables_text.empty() ? "" : ", " + tables_text),
                         conditions, schema);
  if (!f.ok()) {
    out->failures.push_back("compile: " + f.status().ToString() + "\n  " + conditions);
    return;
  }
  RunOptions opt;
  opt.now_mjd = g_now_mjd;
  auto m = f->Run(batch, opt);
  if (!m.ok()) {
    out->failures.push_back("run: " + m.status().ToString() + "\n  " + conditions);
    return;
  }
  const auto t1 = std::chrono::steady_clock::now();
  std::string sql = "SELECT objects.lrow" + SqliteFrom(tables);
  if (!where_sql.empty()) sql += " WHERE " + where_sql;
  sql += " ORDER BY " + (order_sql.empty() ? std::string() : order_sql + ", ") + "objects.lrow";
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    out->failures.push_back(std::string("sqlite: ") + sqlite3_errmsg(db) + "\n  " + sql);
    return;
  }
  std::vector<uint32_t> want;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    want.push_back(static_cast<uint32_t>(sqlite3_column_int64(st, 0)));
  }
  sqlite3_finalize(st);
  const auto t2 = std::chrono::steady_clock::now();
  out->lantern_s += std::chrono::duration<double>(t1 - t0).count();
  out->sqlite_s += std::chrono::duration<double>(t2 - t1).count();
  if (rc != SQLITE_DONE) {
    out->failures.push_back(std::string("sqlite step: ") + sqlite3_errmsg(db) + "\n  " + sql);
    return;
  }
  std::vector<uint32_t> got = m->rows;
  if (order_sql.empty()) std::sort(got.begin(), got.end());
  ++out->checked;
  out->ordered += !order_sql.empty();
  out->nonempty += !want.empty();
  out->rows += want.size();
  if (got != want) {
    out->failures.push_back("differs: lantern " + std::to_string(got.size()) + " rows, sqlite " +
                            std::to_string(want.size()) + "\n  lantern: " + conditions +
                            "\n  sqlite:  " + sql);
  }
}

class FilterSqliteTest : public ::testing::TestWithParam<alert::Survey> {};

TEST_P(FilterSqliteTest, RandomAndDocumentedFiltersAgree) {
  ASSERT_FALSE(codec::test_data::SharedDataDir().empty()) << "LANTERN_SHARED_DATA is not set";
  const alert::Survey survey = GetParam();
  const Schema& schema = Schema::For(survey);
  const bool ztf = survey == alert::Survey::kZtf;
  std::mt19937_64 rng(ztf ? 42 : 43);
  std::vector<Row> rows = RealRows(survey);
  const size_t real = rows.size();
  ASSERT_GT(real, 10u);
  AddSynthetic(schema, ztf ? 100000 : 20000, &rng, &rows);
  // "Now" a few days after the median latest detection, so time-window filters select some.
  std::vector<double> last;
  for (const Row& r : rows) {
    const features::FeatureValue* v = r.features.Find(ztf ? "jdmax" : "lastDiaSourceMjdTai");
    if (v && std::holds_alternative<double>(*v)) last.push_back(std::get<double>(*v));
  }
  std::nth_element(last.begin(), last.begin() + last.size() / 2, last.end());
  g_now_mjd = last[last.size() / 2] - (ztf ? 2400000.5 : 0) + 3;

  const Batch batch = BuildBatch(schema, rows);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  Load(db, schema, rows);

  Outcome out;
  Generator gen(schema, rows, ztf ? 7 : 8);
  const int filters = ztf ? 700 : 400;
  for (int i = 0; i < filters; ++i) {
    gen.tables.clear();
    Text cond = gen.Condition(3);
    if (std::find(gen.tables.begin(), gen.tables.end(), "annotator:ff") != gen.tables.end()) {
      // Unqualified `classification` is ambiguous with an annotator joined (as in MariaDB).
      for (size_t at = cond.lantern.find("classification"); at != std::string::npos;
           at = cond.lantern.find("classification", at + 40)) {
        if (at > 0 && (cond.lantern[at - 1] == '.' || cond.lantern[at - 1] == '_')) continue;
        cond.lantern.insert(at, "sherlock_classifications.");
      }
    }
    std::string order_lantern, order_sql;
    if (i % 3 == 0) {
      const ColumnDef& c = schema.objects.columns[1 + rng() % (schema.objects.columns.size() - 1)];
      const bool desc = rng() % 2;
      order_lantern = " ORDER BY objects." + c.name + (desc ? " DESC" : "");
      order_sql = "objects.\"" + c.name + "\"" + (desc ? " DESC" : "");
    }
    Check(db, schema, batch, ztf ? "objects.objectId" : "objects.diaObjectId", gen.tables,
          cond.lantern + order_lantern, cond.sqlite, order_sql, &out);
  }
  const size_t random_checked = out.checked;

  // Every filter example of Lasair's public documentation that applies to this survey.
  struct Example {
    const char* source;
    const char* selected;
    std::vector<std::string> tables;
    const char* conditions;
    const char* order_sql;
  };
  std::vector<Example> examples;
  if (ztf) {
    examples = {
        {"lasair4 docs/source/quickstart.md (front-page filter)",
         "objects.objectId, objects.ramean, objects.decmean, objects.gmag, objects.rmag, "
         "jdnow()-objects.jdmax AS age, sherlock_classifications.classification AS class",
         {"sherlock_classifications"},
         "objects.jdmax > jdnow() - 7\nAND (objects.gmag < 17 OR objects.rmag < 17)\n"
         "AND objects.ncandgp > 1\n"
         "AND sherlock_classifications.classification in (\"SN\", \"NT\", \"CV\", \"AGN\")",
         ""},
        {"lasair4 docs/source/core_functions/make_filter.md (bright stars)",
         "objects.objectId, objects.gmag, jdnow()-objects.jdmax AS since", {},
         "objects.gmag < 12", ""},
        {"lasair4 docs/source/core_functions/make_filter.md (bright stars, latest first)",
         "objects.objectId, objects.gmag, jdnow()-objects.jdmax AS since", {},
         "objects.gmag < 12\nORDER BY objects.jdmax DESC", "objects.jdmax DESC"},
        {"lasair4 docs/source/concepts/querying.md (watchlist, by galactic latitude)",
         "objects.objectId, watchlist_hits.name, objects.glatmean", {"watchlist:1"},
         "glatmean > 20\nORDER BY glatmean", "glatmean"},
        {"lasair-lsst docs/source/cookbook.md (Gaia white dwarfs on Lasair-ZTF)",
         "objects.objectId", {"watchlist:1"},
         "objects.jdmax > jdnow()-365\nand (objects.dmdt_g > 0.2 OR objects.dmdt_r > 0.2)\n"
         "and objects.ncandgp > 10",
         ""},
        {"lasair4 docs/source/core_functions/make_filter.md (annotator JSON_EXTRACT, with the "
         "annotations column classdict)",
         "objects.objectId, JSON_EXTRACT(ff.classdict, '$.color') AS color", {"annotator:ff"},
         "JSON_EXTRACT(ff.classdict, '$.size') > 4", ""},
    };
  } else {
    examples = {
        {"lasair-lsst docs/source/quickstart.md (front-page filter)",
         "objects.diaObjectId, objects.ra, objects.decl, "
         "mjdnow()-objects.lastDiaSourceMjdTai AS age, "
         "sherlock_classifications.classification AS class",
         {"sherlock_classifications"},
         "mjdnow() - objects.lastDiaSourceMjdTai < 7\n"
         "AND (objects.g_psfFlux > 100000 OR objects.r_psfFlux > 100000)\n"
         "AND objects.nDiaSources > 1\n"
         "AND sherlock_classifications.classification in (\"SN\", \"NT\", \"CV\", \"AGN\")",
         ""},
        {"lasair-lsst docs/source/quickstart.md (front-page filter, most recent first)",
         "objects.diaObjectId", {"sherlock_classifications"},
         "mjdnow() - objects.lastDiaSourceMjdTai < 7\nAND objects.nDiaSources > 1\n"
         "AND sherlock_classifications.classification in (\"SN\", \"NT\", \"CV\", \"AGN\")\n"
         "ORDER BY lastDiaSourceMjdTai DESC",
         "lastDiaSourceMjdTai DESC"},
        {"lasair-lsst docs/source/cookbook.md (TDE: time window and Sherlock clauses; the "
         "cookbook's lastDiaSourceMJD is the schema's lastDiaSourceMjdTai)",
         "objects.diaObjectId", {"sherlock_classifications"},
         "mjdnow() - objects.lastDiaSourceMjdTai < 7\n"
         "AND mjdnow() - objects.firstDiaSourceMjdTai < 30\n"
         "AND sherlock_classifications.classification in ('SN', 'NT')",
         ""},
        {"lasair-lsst docs/source/cookbook.md (TDE: bright enough)", "objects.diaObjectId", {},
         "(   objects.g_psfFlux > 100000\n    OR  objects.g_psfFlux > 100000)", ""},
    };
  }
  size_t documented = 0;
  for (const Example& e : examples) {
    std::string conditions = e.conditions;
    std::string where = conditions.substr(0, conditions.find("ORDER BY"));
    for (char& c : where) c = c == '"' ? '\'' : c;
    while (!where.empty() && std::isspace(static_cast<unsigned char>(where.back()))) where.pop_back();
    const size_t before = out.checked;
    Check(db, schema, batch, e.selected, e.tables, conditions, where, e.order_sql, &out);
    EXPECT_EQ(out.checked, before + 1) << e.source;
    documented += out.checked - before;
  }
  // Documented texts that MariaDB-Lasair itself would refuse, or that use columns Lantern
  // does not compute, are refused here too, naming the token.
  if (!ztf) {
    const std::pair<const char*, const char*> refused[] = {
        {"mjdnow() - objects.lastDiaSourceMJD < 7   # must be diaSource in last 7 days",
         "byte 42: '#'"},
        {"crossmatch_tns.type in [\"SN II\", \"AGN\"]", "byte 23: '['"},
        {"objects.BBBRiseRate > 0.2", "'objects.BBBRiseRate' is not a column"},
    };
    for (const auto& [text, expect] : refused) {
      auto f = CompileFilter("objects.diaObjectId", "objects, crossmatch_tns", text, schema);
      ASSERT_FALSE(f.ok()) << text;
      EXPECT_NE(f.status().message().find(expect), std::string::npos) << f.status().message();
    }
  }
  sqlite3_close(db);

  std::printf("%s: %zu objects (%zu from real alerts); %zu random + %zu documented filters "
              "checked against SQLite (%zu with ORDER BY, %zu non-empty, %zu result rows); "
              "filter time: Lantern %.2f s, SQLite %.2f s\n",
              ztf ? "ZTF" : "LSST", rows.size(), real, random_checked, documented, out.ordered,
              out.nonempty, out.rows, out.lantern_s, out.sqlite_s);
  std::string report;
  for (size_t i = 0; i < std::min<size_t>(out.failures.size(), 10); ++i) {
    report += out.failures[i] + "\n";
  }
  EXPECT_TRUE(out.failures.empty()) << out.failures.size() << " failures:\n" << report;
  EXPECT_GE(random_checked, static_cast<size_t>(filters));
  EXPECT_GT(out.nonempty, out.checked / 4);  // the filters select something
}

INSTANTIATE_TEST_SUITE_P(Surveys, FilterSqliteTest,
                         ::testing::Values(alert::Survey::kZtf, alert::Survey::kLsst));

}  // namespace
}  // namespace lantern::filter
