// Filters: Lantern's streaming engine against Lasair's method (bench/filter_bench.py runs it
// with a private MariaDB). 100 Lasair-style ZTF filters (docs/filters.md; templates after
// Lasair's documented examples, thresholds drawn with a fixed seed) over batches of objects
// built as tests/filter_sqlite_test.cc builds them: features of every real ZTF alert in
// ../shared/data plus synthetic objects drawn from the real columns' values with 20% NULLs,
// with sherlock classifications, watchlist and watchmap (area) hits. Per batch, three ways:
//   lantern: BatchBuilder over the rows, then every compiled filter's Run (compiled once);
//   sqlite:  in-memory database: CREATE TABLEs, rows inserted in one transaction with prepared
//            statements, every query prepared and stepped, DROP;
//   mariadb: CREATE TABLEs (Lasair's keys), rows loaded with multi-row INSERTs, every query run
//            and its rows fetched (mysql_store_result), DROP.
// Each engine's result row count per filter and batch must agree. jdnow() is fixed: Lantern
// gets it as RunOptions::now_mjd, the SQL engines as a literal (Lasair's is a stored function).
// Prints one JSON object on stdout.
#include <mysql.h>
#include <sqlite3.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "codec/schema_source.h"
#include "codec/test_data.h"
#include "features/features.h"
#include "filter/filter.h"
#include "survey/alert_decoder.h"

namespace lantern::filter {
namespace {

using Clock = std::chrono::steady_clock;
double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "filter_bench: %s\n", message.c_str());
  std::exit(1);
}

// --- Objects (as tests/filter_sqlite_test.cc builds them) -------------------------------------

struct Row {
  std::string id;
  features::Features features;
  std::string cls = "ORPHAN";  // sherlock classification
  double sep = NAN;            // separationArcsec
  std::string context_json;
  bool wl = false;
  double wl_arcsec = 0;
  std::string wl_name;
  bool area1 = false;
};

const char* kClasses[] = {"SN", "NT", "VS", "AGN", "CV", "BS", "ORPHAN"};
const char* kNames[] = {"alpha", "Beta", "gamma_1", "delta-x", "eps"};

std::vector<Row> RealRows(const std::string& dir) {
  std::vector<Row> rows;
  codec::SchemaCache cache;
  codec::SchemaDirectory schemas(dir + "/lsst/schema");
  survey::AlertDecoder decoder(&cache, &schemas);
  const std::pair<const char*, const char*> manifests[] = {
      {"ztf/alerts/native/MANIFEST.csv", "ztf/alerts"},
      {"ztf/alerts/fink_spark/MANIFEST.csv", "ztf/alerts/fink_spark"},
      {"ztf/alerts/fink_multi/MANIFEST.csv", "ztf/alerts/fink_multi"}};
  for (const auto& [manifest, base] : manifests) {
    auto csv = codec::test_data::ReadCsv(dir + "/" + manifest);
    if (!csv.ok()) Die(csv.status().ToString());
    for (const auto& line : *csv) {
      auto bytes = codec::test_data::ReadShared(dir + "/" + base + "/" + line.at("file"));
      if (!bytes.ok()) Die(bytes.status().ToString());
      (void)decoder.Decode(*bytes, [&](alert::Alert&& a, const codec::DecodedRecord&) {
        if (a.survey != alert::Survey::kZtf) return;
        Row r;
        r.id = a.object_id;
        r.features = features::ComputeForAlert(a);
        rows.push_back(std::move(r));
      });
    }
  }
  return rows;
}

// `count` synthetic objects: each column drawn from the real values, perturbed, 20% NULL.
std::vector<Row> Synthetic(const Schema& schema, const std::vector<Row>& real, size_t count,
                           size_t first_id, std::mt19937_64* rng) {
  std::map<std::string, std::vector<features::FeatureValue>> pool;
  for (const Row& r : real) {
    for (const auto& [name, v] : r.features.columns()) {
      if (!std::holds_alternative<std::monostate>(v)) pool[name].push_back(v);
    }
  }
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> noise(0, 1);
  std::vector<Row> rows;
  for (size_t n = 0; n < count; ++n) {
    Row r;
    r.id = "ZTFsim" + std::to_string(first_id + n);
    for (const ColumnDef& c : schema.objects.columns) {
      if (c.name == schema.id_column) continue;
      const auto& p = pool[c.name];
      if (u(*rng) < 0.2 || (p.empty() && c.type == Type::kString)) {
        r.features.Add(c.name, std::monostate{});
      } else if (c.type == Type::kInt) {
        const int64_t base = p.empty() ? 3 : std::get<int64_t>(p[(*rng)() % p.size()]);
        r.features.Add(c.name, c.name == "htm16" ? base + static_cast<int64_t>((*rng)() % 1000)
                                                 : static_cast<int64_t>((*rng)() % 40) +
                                                       (base % 7));
      } else if (c.type == Type::kString) {
        r.features.Add(c.name, p[(*rng)() % p.size()]);
      } else {
        const double base = p.empty() ? noise(*rng) : std::get<double>(p[(*rng)() % p.size()]);
        const bool time = c.name.rfind("jd", 0) == 0;
        r.features.AddDouble(c.name, time ? base + 30 * noise(*rng)
                                          : base * (1 + 0.2 * noise(*rng)) + 0.1 * noise(*rng));
      }
    }
    rows.push_back(std::move(r));
  }
  for (Row& r : rows) {
    r.cls = kClasses[(*rng)() % 7];
    if (r.cls != "ORPHAN") {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.3f", u(*rng) * 10);
      r.sep = std::stod(buf);
      r.context_json = "{\"classification\":\"" + r.cls + "\",\"association_type\":\"" + r.cls +
                       "\",\"separationArcsec\":" + buf + "}";
    }
    if (u(*rng) < 0.1) {
      r.wl = true;
      r.wl_arcsec = std::round(u(*rng) * 3000) / 1000;
      r.wl_name = kNames[(*rng)() % 5];
    }
    r.area1 = u(*rng) < 0.3;
  }
  return rows;
}

// --- The 100 filters ---------------------------------------------------------------------------

struct FilterText {
  std::string selected, tables, conditions;  // Lasair's three strings (tables without objects)
};

std::vector<FilterText> MakeFilters(int count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto pick = [&](std::initializer_list<const char*> xs) {
    return std::string(xs.begin()[rng() % xs.size()]);
  };
  const std::string sel =
      "objects.objectId, objects.ramean, objects.decmean, objects.jdmax, objects.gmag, "
      "objects.rmag";
  std::vector<FilterText> out;
  for (int i = 0; i < count; ++i) {
    FilterText f{sel, "", ""};
    const std::string order = i % 4 == 3 ? " ORDER BY objects.jdmax DESC" : "";
    switch (i % 12) {
      case 0:  // Lasair's front-page filter
        f.selected += ", jdnow() - objects.jdmax AS age, sherlock_classifications.classification";
        f.tables = "sherlock_classifications";
        f.conditions = "objects.jdmax > jdnow() - " + pick({"3", "7", "14", "30"}) +
                       " AND (objects.gmag < " + pick({"17", "18", "18.5", "19"}) +
                       " OR objects.rmag < " + pick({"17", "18", "18.5", "19"}) +
                       ") AND objects.ncandgp > " + pick({"1", "2", "3"}) +
                       " AND sherlock_classifications.classification IN ('SN', 'NT', 'CV', "
                       "'AGN')";
        break;
      case 1:  // bright objects
        f.conditions = "objects.gmag < " + pick({"12", "14", "15.5", "16"}) +
                       " OR objects.rmag < " + pick({"12", "14", "15.5"});
        break;
      case 2:  // supernova candidates: away from a PS1 star, young, host class SN/NT
        f.tables = "sherlock_classifications";
        f.conditions = "objects.sgscore1 < " + pick({"0.3", "0.5", "0.7"}) +
                       " AND objects.distpsnr1 < " + pick({"1.5", "2", "5", "10"}) +
                       " AND objects.ncand BETWEEN 2 AND " + pick({"10", "20", "30"}) +
                       " AND jdnow() - objects.jdmin < " + pick({"20", "30", "60"}) +
                       " AND sherlock_classifications.classification IN ('SN', 'NT')";
        break;
      case 3:  // fast risers
        f.conditions = "(objects.dmdt_g > " + pick({"0.05", "0.1", "0.3"}) +
                       " OR objects.dmdt_r > " + pick({"0.05", "0.1", "0.3"}) +
                       ") AND objects.jdmax > jdnow() - " + pick({"5", "10", "30"}) +
                       " AND objects.ncandgp >= 2";
        break;
      case 4:  // Lasair cookbook: Gaia white dwarfs (watchlist)
        f.selected += ", watchlist_hits.name, watchlist_hits.arcsec";
        f.tables = "watchlist:1";
        f.conditions = "objects.jdmax > jdnow() - 365 AND (objects.dmdt_g > " +
                       pick({"0.02", "0.1", "0.2"}) + " OR objects.dmdt_r > " +
                       pick({"0.02", "0.1", "0.2"}) + ") AND objects.ncandgp > " +
                       pick({"2", "5", "10"});
        break;
      case 5:  // close watchlist hits
        f.selected += ", watchlist_hits.name";
        f.tables = "watchlist:1";
        f.conditions = "watchlist_hits.arcsec < " + pick({"0.5", "1", "2"}) +
                       " AND objects.ncand >= " + pick({"1", "3", "5"});
        break;
      case 6:  // red, bright, off the plane
        f.conditions = "objects.g_minus_r > " + pick({"0.3", "0.5", "1"}) +
                       " AND objects.magrmin < " + pick({"18", "19", "20"}) +
                       " AND ABS(objects.glatmean) > " + pick({"10", "15", "20"});
        break;
      case 7:  // nuclear transients
        f.tables = "sherlock_classifications";
        f.conditions = "sherlock_classifications.classification = 'NT' AND "
                       "sherlock_classifications.separationArcsec < " +
                       pick({"0.5", "1", "2"}) + " AND objects.ncandgp_7 >= " +
                       pick({"1", "2"});
        break;
      case 8:  // orphans with a large amplitude, not solar-system objects
        f.tables = "sherlock_classifications";
        f.conditions = "sherlock_classifications.classification = 'ORPHAN' AND objects.ncand "
                       ">= " + pick({"2", "3", "5"}) + " AND objects.maggmax - objects.maggmin > " +
                       pick({"0.3", "0.5", "1"}) + " AND objects.ssnamenr IS NULL";
        break;
      case 9:  // watchmap (area) and recent
        f.tables = "area:1";
        f.conditions = "objects.jdmax > jdnow() - " + pick({"7", "30"}) +
                       " AND objects.rmag < " + pick({"18", "19", "20"});
        break;
      case 10:  // variable stars: stellar, bright at minimum
        f.tables = "sherlock_classifications";
        f.conditions = "sherlock_classifications.classification = 'VS' AND objects.sgscore1 > " +
                       pick({"0.5", "0.8"}) + " AND LEAST(objects.maggmin, objects.magrmin) < " +
                       pick({"16", "17", "18"});
        break;
      default:  // brightening in the moving averages
        f.conditions = "objects.mag_g02 < objects.mag_g28 - " + pick({"0.1", "0.3", "0.5"}) +
                       " AND objects.ncandgp_14 >= " + pick({"2", "3"}) +
                       " AND objects.decmean > " + pick({"-30", "-10", "0"});
        break;
    }
    f.conditions += order;
    out.push_back(std::move(f));
  }
  return out;
}

// Lasair's query builder: the SQL text run on MariaDB (and SQLite) for a filter.
std::string LasairSql(const FilterText& f, const std::string& jdnow) {
  std::string from = "objects";
  std::string joins;
  if (f.tables == "sherlock_classifications") {
    from += ", sherlock_classifications";
    joins = "objects.objectId = sherlock_classifications.objectId AND ";
  } else if (f.tables == "watchlist:1") {
    from += ", watchlist_hits";
    joins = "objects.objectId = watchlist_hits.objectId AND watchlist_hits.wl_id = 1 AND ";
  } else if (f.tables == "area:1") {
    from += ", area_hits AS ar0";
    joins = "objects.objectId = ar0.objectId AND ar0.ar_id = 1 AND ";
  }
  auto subst = [&](std::string s) {
    for (size_t at; (at = s.find("jdnow()")) != std::string::npos;) s.replace(at, 7, jdnow);
    return s;
  };
  std::string cond = f.conditions, order;
  if (const size_t at = cond.find(" ORDER BY"); at != std::string::npos) {
    order = cond.substr(at);
    cond = cond.substr(0, at);
  }
  return "SELECT " + subst(f.selected) + " FROM " + from + " WHERE " + joins + "(" + subst(cond) +
         ")" + order;
}

// --- SQL schema and values ---------------------------------------------------------------------

std::string SqlType(Type t, bool mariadb) {
  if (t == Type::kInt) return mariadb ? "BIGINT" : "INTEGER";
  if (t == Type::kString) return mariadb ? "VARCHAR(64)" : "TEXT COLLATE NOCASE";
  return mariadb ? "DOUBLE" : "REAL";
}

std::vector<std::string> CreateTables(const Schema& schema, bool mariadb,
                                      const std::string& engine) {
  const std::string tail = mariadb ? ") ENGINE=" + engine : ")";
  const std::string id = mariadb ? "VARCHAR(16)" : "TEXT";
  std::string objects = "CREATE TABLE objects (";
  for (const ColumnDef& c : schema.objects.columns) {
    objects += "`" + c.name + "` " + (c.name == "objectId" ? id : SqlType(c.type, mariadb)) + ", ";
  }
  return {objects + "PRIMARY KEY (objectId)" + tail,
          "CREATE TABLE sherlock_classifications (objectId " + id + ", classification " +
              SqlType(Type::kString, mariadb) + ", separationArcsec " +
              SqlType(Type::kDouble, mariadb) + ", PRIMARY KEY (objectId)" + tail,
          "CREATE TABLE watchlist_hits (wl_id INTEGER, objectId " + id + ", arcsec " +
              SqlType(Type::kDouble, mariadb) + ", name " + SqlType(Type::kString, mariadb) +
              ", PRIMARY KEY (wl_id, objectId)" + tail,
          "CREATE TABLE area_hits (ar_id INTEGER, objectId " + id +
              ", PRIMARY KEY (ar_id, objectId)" + tail};
}
const char* kDrop = "DROP TABLE objects, sherlock_classifications, watchlist_hits, area_hits";
const char* kDropSqlite[] = {"DROP TABLE objects", "DROP TABLE sherlock_classifications",
                             "DROP TABLE watchlist_hits", "DROP TABLE area_hits"};

// --- Engines -----------------------------------------------------------------------------------

struct Timing {
  double load_s = 0, query_s = 0;
};

// Lantern: build the Batch (timed as load), run every filter.
std::vector<size_t> RunLantern(const Schema& schema, const std::vector<CompiledFilter>& filters,
                               const std::vector<Row>& rows, double now_mjd, Timing* t) {
  const auto t0 = Clock::now();
  BatchBuilder b(schema);
  b.Reserve(rows.size());
  for (const Row& r : rows) {
    const size_t row = b.AddObject(r.id, r.features, alert::kNaN, alert::kNaN, r.context_json);
    if (r.wl) b.AddWatchlistHit(1, row, r.wl_arcsec, r.wl_name);
    if (r.area1) b.AddAreaHit(1, row);
  }
  const Batch batch = b.Finish();
  const auto t1 = Clock::now();
  RunOptions opt;
  opt.now_mjd = now_mjd;
  std::vector<size_t> counts;
  for (const CompiledFilter& f : filters) {
    auto m = f.Run(batch, opt);
    if (!m.ok()) Die("lantern run: " + m.status().ToString());
    counts.push_back(m->rows.size());
  }
  const auto t2 = Clock::now();
  t->load_s += Seconds(t0, t1);
  t->query_s += Seconds(t1, t2);
  return counts;
}

void SqliteExec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    Die(std::string("sqlite: ") + (err ? err : "") + ": " + sql.substr(0, 200));
  }
}
sqlite3_stmt* SqlitePrepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    Die(std::string("sqlite: ") + sqlite3_errmsg(db) + ": " + sql.substr(0, 200));
  }
  return st;
}
void SqliteStep(sqlite3* db, sqlite3_stmt* st) {
  if (sqlite3_step(st) != SQLITE_DONE) Die(std::string("sqlite insert: ") + sqlite3_errmsg(db));
  sqlite3_reset(st);
}

// SQLite's min()/max() with several arguments are NULL when one is, as MariaDB's LEAST/GREATEST.
std::string ForSqlite(std::string sql) {
  for (const auto& [from, to] : {std::pair<std::string, std::string>{"LEAST(", "min("},
                                 {"GREATEST(", "max("}}) {
    for (size_t at; (at = sql.find(from)) != std::string::npos;) sql.replace(at, from.size(), to);
  }
  return sql;
}

std::vector<size_t> RunSqlite(const Schema& schema, const std::vector<std::string>& queries,
                              const std::vector<Row>& rows, Timing* t) {
  const auto t0 = Clock::now();
  sqlite3* db = nullptr;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) Die("sqlite open");
  for (const std::string& sql : CreateTables(schema, false, "")) SqliteExec(db, sql);
  SqliteExec(db, "BEGIN");
  std::string insert = "INSERT INTO objects VALUES (";
  for (size_t i = 0; i < schema.objects.columns.size(); ++i) insert += i ? ",?" : "?";
  sqlite3_stmt* obj = SqlitePrepare(db, insert + ")");
  sqlite3_stmt* sh = SqlitePrepare(db, "INSERT INTO sherlock_classifications VALUES (?,?,?)");
  sqlite3_stmt* wl = SqlitePrepare(db, "INSERT INTO watchlist_hits VALUES (1,?,?,?)");
  sqlite3_stmt* ar = SqlitePrepare(db, "INSERT INTO area_hits VALUES (1,?)");
  for (const Row& r : rows) {
    int k = 1;
    for (const ColumnDef& c : schema.objects.columns) {
      if (c.name == "objectId") {
        sqlite3_bind_text(obj, k++, r.id.c_str(), static_cast<int>(r.id.size()), SQLITE_STATIC);
        continue;
      }
      const features::FeatureValue* v = r.features.Find(c.name);
      if (v == nullptr || std::holds_alternative<std::monostate>(*v)) {
        sqlite3_bind_null(obj, k++);
      } else if (const auto* x = std::get_if<int64_t>(v)) {
        sqlite3_bind_int64(obj, k++, *x);
      } else if (const auto* d = std::get_if<double>(v)) {
        std::isfinite(*d) ? sqlite3_bind_double(obj, k++, *d) : sqlite3_bind_null(obj, k++);
      } else {
        const std::string& s = std::get<std::string>(*v);
        sqlite3_bind_text(obj, k++, s.c_str(), static_cast<int>(s.size()), SQLITE_STATIC);
      }
    }
    SqliteStep(db, obj);
    sqlite3_bind_text(sh, 1, r.id.c_str(), static_cast<int>(r.id.size()), SQLITE_STATIC);
    sqlite3_bind_text(sh, 2, r.cls.c_str(), static_cast<int>(r.cls.size()), SQLITE_STATIC);
    std::isnan(r.sep) ? sqlite3_bind_null(sh, 3) : sqlite3_bind_double(sh, 3, r.sep);
    SqliteStep(db, sh);
    if (r.wl) {
      sqlite3_bind_text(wl, 1, r.id.c_str(), static_cast<int>(r.id.size()), SQLITE_STATIC);
      sqlite3_bind_double(wl, 2, r.wl_arcsec);
      sqlite3_bind_text(wl, 3, r.wl_name.c_str(), static_cast<int>(r.wl_name.size()),
                        SQLITE_STATIC);
      SqliteStep(db, wl);
    }
    if (r.area1) {
      sqlite3_bind_text(ar, 1, r.id.c_str(), static_cast<int>(r.id.size()), SQLITE_STATIC);
      SqliteStep(db, ar);
    }
  }
  for (sqlite3_stmt* st : {obj, sh, wl, ar}) sqlite3_finalize(st);
  SqliteExec(db, "COMMIT");
  const auto t1 = Clock::now();
  std::vector<size_t> counts;
  for (const std::string& q : queries) {
    sqlite3_stmt* st = SqlitePrepare(db, q);
    size_t n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      for (int c = 0; c < sqlite3_column_count(st); ++c) (void)sqlite3_column_text(st, c);
      ++n;
    }
    if (rc != SQLITE_DONE) Die(std::string("sqlite query: ") + sqlite3_errmsg(db));
    sqlite3_finalize(st);
    counts.push_back(n);
  }
  for (const char* d : kDropSqlite) SqliteExec(db, d);
  sqlite3_close(db);
  t->load_s += Seconds(t0, t1);
  t->query_s += Seconds(t1, Clock::now());
  return counts;
}

void MyQuery(MYSQL* db, const std::string& sql) {
  if (mysql_real_query(db, sql.data(), sql.size()) != 0) {
    Die(std::string("mariadb: ") + mysql_error(db) + ": " + sql.substr(0, 200));
  }
}

std::string Quote(MYSQL* db, const std::string& s) {
  std::string out(2 * s.size() + 3, '\0');
  out[0] = '\'';
  const unsigned long n = mysql_real_escape_string(db, out.data() + 1, s.data(), s.size());
  out.resize(n + 1);
  return out + "'";
}

std::string Number(double v) {
  if (!std::isfinite(v)) return "NULL";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::vector<size_t> RunMariadb(MYSQL* db, const Schema& schema, const std::string& engine,
                               const std::vector<std::string>& queries,
                               const std::vector<Row>& rows, size_t rows_per_insert, Timing* t) {
  const auto t0 = Clock::now();
  for (const std::string& sql : CreateTables(schema, true, engine)) MyQuery(db, sql);
  std::string obj, sh, wl, ar;
  size_t n_obj = 0, n_wl = 0, n_ar = 0;
  auto flush = [&](bool all) {
    if (n_obj > 0 && (all || n_obj >= rows_per_insert)) {
      MyQuery(db, obj);
      MyQuery(db, sh);
      obj.clear();
      sh.clear();
      n_obj = 0;
    }
    if (n_wl > 0 && (all || n_wl >= rows_per_insert)) {
      MyQuery(db, wl);
      wl.clear();
      n_wl = 0;
    }
    if (n_ar > 0 && (all || n_ar >= rows_per_insert)) {
      MyQuery(db, ar);
      ar.clear();
      n_ar = 0;
    }
  };
  for (const Row& r : rows) {
    obj += n_obj ? ",(" : "INSERT INTO objects VALUES (";
    bool first = true;
    for (const ColumnDef& c : schema.objects.columns) {
      if (!first) obj += ',';
      first = false;
      if (c.name == "objectId") {
        obj += Quote(db, r.id);
        continue;
      }
      const features::FeatureValue* v = r.features.Find(c.name);
      if (v == nullptr || std::holds_alternative<std::monostate>(*v)) {
        obj += "NULL";
      } else if (const auto* x = std::get_if<int64_t>(v)) {
        obj += std::to_string(*x);
      } else if (const auto* d = std::get_if<double>(v)) {
        obj += Number(*d);
      } else {
        obj += Quote(db, std::get<std::string>(*v));
      }
    }
    obj += ')';
    sh += n_obj ? ",(" : "INSERT INTO sherlock_classifications VALUES (";
    sh += Quote(db, r.id) + ",'" + r.cls + "'," + Number(r.sep) + ")";
    ++n_obj;
    if (r.wl) {
      wl += n_wl++ ? ",(1," : "INSERT INTO watchlist_hits VALUES (1,";
      wl += Quote(db, r.id) + "," + Number(r.wl_arcsec) + "," + Quote(db, r.wl_name) + ")";
    }
    if (r.area1) {
      ar += n_ar++ ? ",(1," : "INSERT INTO area_hits VALUES (1,";
      ar += Quote(db, r.id) + ")";
    }
    flush(false);
  }
  flush(true);
  if (engine == "InnoDB") MyQuery(db, "COMMIT");
  const auto t1 = Clock::now();
  std::vector<size_t> counts;
  for (const std::string& q : queries) {
    MyQuery(db, q);
    MYSQL_RES* res = mysql_store_result(db);
    if (res == nullptr) Die(std::string("mariadb result: ") + mysql_error(db));
    counts.push_back(mysql_num_rows(res));
    mysql_free_result(res);
  }
  MyQuery(db, kDrop);
  t->load_s += Seconds(t0, t1);
  t->query_s += Seconds(t1, Clock::now());
  return counts;
}

int Main(int argc, char** argv) {
  CLI::App app{"Filters: Lantern vs SQLite vs MariaDB (Lasair's method); JSON on stdout"};
  std::string data = LANTERN_SHARED_DATA_DEFAULT;
  int batches = 3, batch_rows = 10000, filter_count = 100;
  std::string socket, engine = "InnoDB", database = "lantern", engines = "lantern,sqlite,mariadb";
  size_t rows_per_insert = 1000;
  app.add_option("--data", data, "shared data directory");
  app.add_option("--batches", batches, "batches of objects")->check(CLI::PositiveNumber);
  app.add_option("--batch-rows", batch_rows, "objects per batch")->check(CLI::PositiveNumber);
  app.add_option("--filters", filter_count, "filters")->check(CLI::PositiveNumber);
  app.add_option("--engines", engines, "comma list among lantern,sqlite,mariadb");
  app.add_option("--mariadb-socket", socket, "unix socket of the MariaDB server");
  app.add_option("--mariadb-database", database, "database (must exist)");
  app.add_option("--mariadb-engine", engine, "table engine (InnoDB, MEMORY, Aria)");
  app.add_option("--rows-per-insert", rows_per_insert, "rows per multi-row INSERT");
  CLI11_PARSE(app, argc, argv);
  const bool use_sqlite = engines.find("sqlite") != std::string::npos;
  const bool use_mariadb = engines.find("mariadb") != std::string::npos;

  const Schema& schema = Schema::Ztf();
  const auto tg0 = Clock::now();
  const std::vector<Row> real = RealRows(data);
  if (real.size() < 10) Die("no real ZTF alerts under " + data);
  std::mt19937_64 rng(42);
  std::vector<std::vector<Row>> batch_rows_list;
  for (int b = 0; b < batches; ++b) {
    batch_rows_list.push_back(Synthetic(schema, real, batch_rows, size_t(b) * batch_rows, &rng));
  }
  // The real objects go into the first batch, replacing synthetic ones.
  auto& first = batch_rows_list[0];
  for (size_t i = 0; i < real.size() && i < first.size(); ++i) {
    first[i].id = real[i].id;
    first[i].features = real[i].features;
  }
  // Objects ids must be unique in a batch (Lasair's primary key).
  std::map<std::string, int> seen;
  for (Row& r : first) {
    if (seen[r.id]++) r.id += "_" + std::to_string(seen[r.id]);
  }
  // "Now" a few days after the median latest detection (a multiple of 0.5 so that jdnow()
  // and mjdnow() are exact).
  std::vector<double> last;
  for (const Row& r : first) {
    const features::FeatureValue* v = r.features.Find("jdmax");
    if (v && std::holds_alternative<double>(*v)) last.push_back(std::get<double>(*v));
  }
  std::nth_element(last.begin(), last.begin() + last.size() / 2, last.end());
  const double now_jd = std::round(last[last.size() / 2] + 3);
  const double now_mjd = now_jd - 2400000.5;
  const std::string jdnow = Number(now_jd);
  const double gen_s = Seconds(tg0, Clock::now());

  const std::vector<FilterText> texts = MakeFilters(filter_count, 7);
  const auto tc0 = Clock::now();
  std::vector<CompiledFilter> compiled;
  for (const FilterText& f : texts) {
    auto c = CompileFilter(f.selected, f.tables.empty() ? "objects" : "objects, " + f.tables,
                           f.conditions, schema);
    if (!c.ok()) Die("compile: " + c.status().ToString() + ": " + f.conditions);
    compiled.push_back(std::move(*c));
  }
  const double compile_s = Seconds(tc0, Clock::now());
  std::vector<std::string> sql, sql_lite;
  for (const FilterText& f : texts) {
    sql.push_back(LasairSql(f, jdnow));
    sql_lite.push_back(ForSqlite(sql.back()));
  }

  MYSQL* my = nullptr;
  std::string server_version;
  if (use_mariadb) {
    my = mysql_init(nullptr);
    unsigned int local = 1;
    mysql_options(my, MYSQL_OPT_LOCAL_INFILE, &local);
    if (!mysql_real_connect(my, nullptr, "root", nullptr, database.c_str(), 0,
                            socket.empty() ? nullptr : socket.c_str(), 0)) {
      Die(std::string("mariadb connect: ") + mysql_error(my));
    }
    server_version = mysql_get_server_info(my);
    MyQuery(my, "SET autocommit = 0");
    MyQuery(my, "DROP TABLE IF EXISTS objects, sherlock_classifications, watchlist_hits, "
                "area_hits");
  }

  Timing t_lantern, t_sqlite, t_mariadb;
  std::vector<nlohmann::json> per_batch;
  std::vector<std::string> differences;
  std::vector<size_t> total_rows(texts.size(), 0);
  for (int b = 0; b < batches; ++b) {
    const auto& rows = batch_rows_list[b];
    nlohmann::json jb = {{"batch", b}};
    Timing l0 = t_lantern, s0 = t_sqlite, m0 = t_mariadb;
    const std::vector<size_t> lc = RunLantern(schema, compiled, rows, now_mjd, &t_lantern);
    jb["lantern_s"] = t_lantern.load_s + t_lantern.query_s - l0.load_s - l0.query_s;
    std::vector<size_t> sc, mc;
    if (use_sqlite) {
      sc = RunSqlite(schema, sql_lite, rows, &t_sqlite);
      jb["sqlite_s"] = t_sqlite.load_s + t_sqlite.query_s - s0.load_s - s0.query_s;
    }
    if (use_mariadb) {
      mc = RunMariadb(my, schema, engine, sql, rows, rows_per_insert, &t_mariadb);
      jb["mariadb_s"] = t_mariadb.load_s + t_mariadb.query_s - m0.load_s - m0.query_s;
    }
    for (size_t i = 0; i < texts.size(); ++i) {
      total_rows[i] += lc[i];
      if ((use_sqlite && sc[i] != lc[i]) || (use_mariadb && mc[i] != lc[i])) {
        differences.push_back("batch " + std::to_string(b) + " filter " + std::to_string(i) +
                              ": lantern " + std::to_string(lc[i]) + ", sqlite " +
                              (use_sqlite ? std::to_string(sc[i]) : "-") + ", mariadb " +
                              (use_mariadb ? std::to_string(mc[i]) : "-") + ": " + sql[i]);
      }
    }
    std::fprintf(stderr, "filter_bench: batch %d: lantern %.3f s, sqlite %.3f s, mariadb %.3f s\n",
                 b, jb["lantern_s"].get<double>(), jb.value("sqlite_s", 0.0),
                 jb.value("mariadb_s", 0.0));
    per_batch.push_back(jb);
  }
  if (my) mysql_close(my);

  size_t nonempty = 0, result_rows = 0;
  for (size_t n : total_rows) {
    nonempty += n > 0;
    result_rows += n;
  }
  auto engine_json = [&](const Timing& t) {
    return nlohmann::json{{"load_s", t.load_s}, {"query_s", t.query_s},
                          {"total_s", t.load_s + t.query_s}};
  };
  nlohmann::json out = {
      {"batches", batches},
      {"batch_rows", batch_rows},
      {"filters", texts.size()},
      {"real_objects", std::min(real.size(), size_t(batch_rows))},
      {"generate_s", gen_s},
      {"compile_s", compile_s},
      {"nonempty_filters", nonempty},
      {"result_rows", result_rows},
      {"lantern", engine_json(t_lantern)},
      {"per_batch", per_batch},
      {"differences", differences},
      {"sqlite_version", sqlite3_libversion()},
      {"example_filters", nlohmann::json::array()},
  };
  for (size_t i = 0; i < std::min<size_t>(texts.size(), 12); ++i) {
    out["example_filters"].push_back({{"selected", texts[i].selected},
                                      {"tables", texts[i].tables},
                                      {"conditions", texts[i].conditions},
                                      {"sql", sql[i]}});
  }
  if (use_sqlite) out["sqlite"] = engine_json(t_sqlite);
  if (use_mariadb) {
    out["mariadb"] = engine_json(t_mariadb);
    out["mariadb_version"] = server_version;
    out["mariadb_engine"] = engine;
    out["rows_per_insert"] = rows_per_insert;
  }
  std::printf("%s\n", out.dump(1).c_str());
  return 0;
}

}  // namespace
}  // namespace lantern::filter

int main(int argc, char** argv) { return lantern::filter::Main(argc, argv); }
