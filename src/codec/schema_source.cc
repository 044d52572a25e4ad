#include "codec/schema_source.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "core/file.h"

namespace lantern::codec {

uint64_t SchemaCache::Fingerprint(std::string_view json) {
  // Length plus 32 sampled 8-byte words, each multiplied by its own odd constant (independent
  // multiplies, no dependency chain), then mixed.
  uint64_t h = json.size() * 0x9E3779B97F4A7C15ULL;
  if (json.size() >= 8) {
    const size_t span = json.size() - 8;
    for (uint64_t k = 0; k < 32; ++k) {
      uint64_t w;
      std::memcpy(&w, json.data() + span * k / 31, 8);
      h += w * (0xD6E8FEB86659FD93ULL + 2 * k);
    }
  }
  h ^= h >> 32;
  h *= 0xD6E8FEB86659FD93ULL;
  return h ^ (h >> 29);
}

Result<std::shared_ptr<const Schema>> SchemaCache::FromText(std::string_view json) {
  const uint64_t key = Fingerprint(json);
  std::lock_guard lock(mu_);
  auto [begin, end] = by_fingerprint_.equal_range(key);
  for (auto it = begin; it != end; ++it)
    if (it->second->text() == json) return it->second;
  ASSIGN_OR_RETURN(std::shared_ptr<const Schema> schema, Schema::Parse(json));
  if (by_fingerprint_.size() >= capacity_ && !order_.empty()) {
    const auto [old_key, old_schema] = order_.front();
    order_.pop_front();
    auto [b, e] = by_fingerprint_.equal_range(old_key);
    for (auto it = b; it != e; ++it) {
      if (it->second.get() == old_schema) {
        by_fingerprint_.erase(it);
        break;
      }
    }
    ++evictions_;
  }
  by_fingerprint_.emplace(key, schema);
  order_.emplace_back(key, schema.get());
  return schema;
}

size_t SchemaCache::size() const {
  std::lock_guard lock(mu_);
  return by_fingerprint_.size();
}

uint64_t SchemaCache::evictions() const {
  std::lock_guard lock(mu_);
  return evictions_;
}

Result<std::shared_ptr<const Schema>> SchemaDirectory::ById(int32_t id) {
  std::lock_guard lock(mu_);
  auto it = cache_.find(id);
  if (it != cache_.end()) return it->second;
  auto loaded = Load(id);
  if (!loaded.ok()) return loaded.status().WithContext(fmt::format("schema id {} in {}", id, root_));
  cache_[id] = *loaded;
  return loaded;
}

Result<std::shared_ptr<const Schema>> SchemaDirectory::Load(int32_t id) {
  namespace fs = std::filesystem;
  const fs::path root(root_);
  const fs::path single = root / fmt::format("{}.avsc", id);
  if (fs::is_regular_file(single)) {
    ASSIGN_OR_RETURN(std::string text, ReadFile(single.string()));
    return Schema::Parse(text);
  }
  const fs::path folder = root / fmt::format("{}.{}", id / 100, id % 100);
  if (!fs::is_directory(folder)) return NotFound("no " + folder.string() + " and no " + single.string());
  std::string main_text;
  std::vector<std::string> others;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.is_regular_file() && entry.path().extension() == ".avsc") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    ASSIGN_OR_RETURN(std::string text, ReadFile(file.string()));
    const std::string name = file.filename().string();
    if (name == "alert.avsc" || name.ends_with(".alert.avsc")) main_text = std::move(text);
    else others.push_back(std::move(text));
  }
  if (main_text.empty()) return NotFound("no *alert.avsc in " + folder.string());
  return Schema::Parse(main_text, others);
}

Result<std::shared_ptr<const Schema>> SchemaRegistry::ById(int32_t id) {
  std::lock_guard lock(mu_);
  auto it = cache_.find(id);
  if (it != cache_.end()) return it->second;
  // Split "http://host:port/prefix" into the client address and the path prefix.
  const size_t scheme_end = url_.find("://");
  const size_t path_start = url_.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  const std::string base = url_.substr(0, path_start);
  std::string prefix = path_start == std::string::npos ? "" : url_.substr(path_start);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  httplib::Client client(base);
  client.set_connection_timeout(5);
  client.set_read_timeout(10);
  const std::string path = fmt::format("{}/schemas/ids/{}", prefix, id);
  auto response = client.Get(path);
  if (!response)
    return IoError(fmt::format("schema registry {}{}: {}", base, path, httplib::to_string(response.error())));
  if (response->status != 200)
    return NotFound(fmt::format("schema registry {}{}: HTTP {}", base, path, response->status));
  auto body = nlohmann::json::parse(response->body, nullptr, false);
  if (body.is_discarded() || !body.contains("schema") || !body["schema"].is_string())
    return InvalidArgument(fmt::format("schema registry {}{}: reply has no \"schema\" string", base, path));
  auto parsed = Schema::Parse(body["schema"].get<std::string>());
  if (!parsed.ok()) return parsed.status().WithContext(fmt::format("schema id {} from registry", id));
  cache_[id] = *parsed;
  return parsed;
}

Result<std::shared_ptr<const Schema>> LoadSchemaFile(const std::string& path) {
  namespace fs = std::filesystem;
  ASSIGN_OR_RETURN(std::string main_text, ReadFile(path));
  std::vector<std::string> others;
  const fs::path folder = fs::path(path).parent_path();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder.empty() ? "." : folder, ec)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".avsc") continue;
    if (fs::equivalent(entry.path(), path, ec)) continue;
    ASSIGN_OR_RETURN(std::string text, ReadFile(entry.path().string()));
    others.push_back(std::move(text));
  }
  auto schema = Schema::Parse(main_text, others);
  if (!schema.ok()) return schema.status().WithContext(path);
  return schema;
}

std::unique_ptr<SchemaResolver> MakeSchemaResolver(const std::string& dir_or_url) {
  if (dir_or_url.starts_with("http://") || dir_or_url.starts_with("https://"))
    return std::make_unique<SchemaRegistry>(dir_or_url);
  return std::make_unique<SchemaDirectory>(dir_or_url);
}

}  // namespace lantern::codec
