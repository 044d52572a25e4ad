#include "store/cutouts.h"

#include <filesystem>
#include <fstream>
#include <thread>

#include <openssl/evp.h>

#include "core/file.h"
#include "store/keys.h"

namespace lantern::store {
namespace {

constexpr char kInline = 'B';  // value = tag + bytes
constexpr char kFile = 'F';    // value = tag + file name relative to the tree

std::string_view Extension(alert::CutoutFormat format) {
  switch (format) {
    case alert::CutoutFormat::kFitsGzip: return ".fits.gz";
    case alert::CutoutFormat::kFits: return ".fits";
    case alert::CutoutFormat::kJpeg: return ".jpg";
    default: return ".bin";
  }
}

}  // namespace

Result<CutoutMode> ParseCutoutMode(std::string_view name) {
  if (name == "rocksdb") return CutoutMode::kRocksDb;
  if (name == "files") return CutoutMode::kFiles;
  if (name == "count") return CutoutMode::kCount;
  if (name == "none") return CutoutMode::kNone;
  return InvalidArgument("unknown cutout store \"" + std::string(name) +
                         "\" (rocksdb, files, count or none)");
}

std::string_view CutoutModeName(CutoutMode mode) {
  switch (mode) {
    case CutoutMode::kRocksDb: return "rocksdb";
    case CutoutMode::kFiles: return "files";
    case CutoutMode::kCount: return "count";
    case CutoutMode::kNone: return "none";
  }
  return "?";
}

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &n, EVP_sha256(), nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (unsigned int i = 0; i < n; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

CutoutStore::CutoutStore(Store* store, CutoutMode mode, std::string tree_dir)
    : store_(store), mode_(mode), tree_dir_(std::move(tree_dir)) {}

Result<std::string> CutoutStore::Put(alert::Survey survey, int64_t alert_id,
                                     const alert::Cutout& cutout, WriteSet* writes) {
  bytes_.fetch_add(cutout.bytes.size(), std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  const std::string kind(alert::CutoutKindName(cutout.kind));
  switch (mode_) {
    case CutoutMode::kNone:
      return std::string();
    case CutoutMode::kCount:
      return "counted:" + std::to_string(alert_id) + "/" + kind;
    case CutoutMode::kRocksDb: {
      std::string value;
      value.reserve(cutout.bytes.size() + 1);
      value.push_back(kInline);
      value.append(cutout.bytes);
      writes->Put(Table::kCutouts, CutoutKey(survey, alert_id, cutout.kind), value);
      return "lantern:cutout/" + std::to_string(alert_id) + "/" + kind;
    }
    case CutoutMode::kFiles: {
      const std::string hash = Sha256Hex(cutout.bytes);
      const std::string name = hash.substr(0, 2) + "/" + hash + std::string(Extension(cutout.format));
      const std::filesystem::path path = std::filesystem::path(tree_dir_) / name;
      std::error_code ec;
      if (!std::filesystem::exists(path, ec)) {
        std::filesystem::create_directories(path.parent_path(), ec);
        const std::string tmp = path.string() + ".tmp" +
                                std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()));
        RETURN_IF_ERROR(WriteFile(tmp, cutout.bytes));
        std::filesystem::rename(tmp, path, ec);
        if (ec) return IoError("cutout store: cannot rename " + tmp + ": " + ec.message());
      }
      writes->Put(Table::kCutouts, CutoutKey(survey, alert_id, cutout.kind),
                  std::string(1, kFile) + name);
      return "sha256:" + hash;
    }
  }
  return Internal("cutout store: bad mode");
}

Result<std::optional<std::string>> CutoutStore::Get(alert::Survey survey, int64_t alert_id,
                                                    alert::CutoutKind kind) const {
  ASSIGN_OR_RETURN(std::optional<std::string> value,
                   store_->Get(Table::kCutouts, CutoutKey(survey, alert_id, kind)));
  if (!value || value->empty()) return std::optional<std::string>();
  if ((*value)[0] == kInline) return std::optional<std::string>(value->substr(1));
  if ((*value)[0] == kFile) {
    ASSIGN_OR_RETURN(std::string bytes,
                     ReadFile((std::filesystem::path(tree_dir_) / value->substr(1)).string()));
    return std::optional<std::string>(std::move(bytes));
  }
  return InvalidArgument("cutout store: unknown value tag");
}

}  // namespace lantern::store
