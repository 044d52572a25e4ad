// Where writer schemas come from. SchemaCache parses container-header schemas once per
// distinct text. A SchemaResolver maps Confluent schema ids to schemas: SchemaDirectory reads
// a folder of .avsc files (Rubin convention: id = major*100 + minor, folder "<major>.<minor>"
// holding one file per named type, the top-level one ending in "alert.avsc"; or "<id>.avsc"
// files), SchemaRegistry asks a Confluent-compatible registry over HTTP (GET
// /schemas/ids/<id>). All are thread-safe: lookups take a mutex and results are cached.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "codec/schema.h"
#include "core/status.h"

namespace lantern::codec {

class SchemaCache {
 public:
  // Holds at most `capacity` schemas; beyond that the oldest is dropped (a stream of packets
  // from untrusted producers must not grow memory without bound). Dropped schemas stay alive
  // in the Datums that use them.
  explicit SchemaCache(size_t capacity = 256) : capacity_(capacity) {}

  Result<std::shared_ptr<const Schema>> FromText(std::string_view json);
  size_t size() const;
  uint64_t evictions() const;

 private:
  // Keyed by a cheap fingerprint (length and sampled bytes); the full text is then compared,
  // which costs a memcmp instead of hashing ~20 KB per ZTF packet.
  static uint64_t Fingerprint(std::string_view json);
  size_t capacity_;
  mutable std::mutex mu_;
  std::unordered_multimap<uint64_t, std::shared_ptr<const Schema>> by_fingerprint_;
  std::deque<std::pair<uint64_t, const Schema*>> order_;  // insertion order, for eviction
  uint64_t evictions_ = 0;
};

class SchemaResolver {
 public:
  virtual ~SchemaResolver() = default;
  virtual Result<std::shared_ptr<const Schema>> ById(int32_t id) = 0;
};

class SchemaDirectory final : public SchemaResolver {
 public:
  explicit SchemaDirectory(std::string root) : root_(std::move(root)) {}
  Result<std::shared_ptr<const Schema>> ById(int32_t id) override;

 private:
  Result<std::shared_ptr<const Schema>> Load(int32_t id);
  std::string root_;
  std::mutex mu_;
  std::unordered_map<int32_t, std::shared_ptr<const Schema>> cache_;
};

class SchemaRegistry final : public SchemaResolver {
 public:
  // `url` like "http://127.0.0.1:8081" (a path prefix is allowed).
  explicit SchemaRegistry(std::string url) : url_(std::move(url)) {}
  Result<std::shared_ptr<const Schema>> ById(int32_t id) override;

 private:
  std::string url_;
  std::mutex mu_;
  std::unordered_map<int32_t, std::shared_ptr<const Schema>> cache_;
};

// Loads a schema from an .avsc file; the other .avsc files of its folder are available as
// named-type dependencies (the one-file-per-type layout of ZTF and Rubin schema folders).
Result<std::shared_ptr<const Schema>> LoadSchemaFile(const std::string& path);

// Builds the resolver for a command-line style source: an http(s):// URL is a registry,
// anything else a directory.
std::unique_ptr<SchemaResolver> MakeSchemaResolver(const std::string& dir_or_url);

}  // namespace lantern::codec
