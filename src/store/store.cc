#include "store/store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

namespace lantern::store {
namespace {

constexpr std::string_view kTableNames[kNumTables] = {
    "objects", "detections", "forced", "nondetections", "cutouts", "positions", "alerts",
    "deadletters", "watchlist_hits", "filter_results", "meta",
};

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
std::string_view ToView(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  return IoError(std::string(what) + ": " + s.ToString());
}

// Whether `dir`'s file system takes O_DIRECT writes (ext4 and xfs do; tmpfs before Linux 6.6
// and some network file systems refuse them, and RocksDB would then fail every flush).
bool DirectWritesWork(const std::string& dir) {
  const std::string path = dir + "/.direct-io-probe";
  const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_DIRECT, 0600);
  if (fd < 0) return false;
  constexpr size_t kBlock = 4096;
  void* block = std::aligned_alloc(kBlock, kBlock);
  bool ok = block != nullptr;
  if (ok) {
    std::memset(block, 0, kBlock);
    ok = ::pwrite(fd, block, kBlock, 0) == static_cast<ssize_t>(kBlock);
  }
  std::free(block);
  ::close(fd);
  ::unlink(path.c_str());
  return ok;
}

}  // namespace

std::string_view TableName(Table table) { return kTableNames[static_cast<int>(table)]; }

struct Store::Impl {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // by Table; [kNumTables] = default
  std::shared_ptr<rocksdb::Cache> cache;
  bool sync = false;
  bool wal = true;

  rocksdb::ColumnFamilyHandle* cf(Table t) const { return handles[static_cast<int>(t)]; }

  ~Impl() {
    if (!db) return;
    for (rocksdb::ColumnFamilyHandle* h : handles) {
      if (h) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    }
    db->Close().PermitUncheckedError();
  }
};

struct WriteSet::Impl {
  rocksdb::WriteBatch batch;
  const std::vector<rocksdb::ColumnFamilyHandle*>* handles = nullptr;
  rocksdb::ColumnFamilyHandle* cf(Table t) const { return (*handles)[static_cast<int>(t)]; }
};

WriteSet::WriteSet(const Store& store) : impl_(std::make_unique<Impl>()) {
  impl_->handles = &store.impl_->handles;
}
WriteSet::~WriteSet() = default;
WriteSet::WriteSet(WriteSet&&) noexcept = default;
WriteSet& WriteSet::operator=(WriteSet&&) noexcept = default;

void WriteSet::Put(Table table, std::string_view key, std::string_view value) {
  impl_->batch.Put(impl_->cf(table), ToSlice(key), ToSlice(value)).PermitUncheckedError();
  ++count_;
  bytes_ += key.size() + value.size();
}

void WriteSet::Delete(Table table, std::string_view key) {
  impl_->batch.Delete(impl_->cf(table), ToSlice(key)).PermitUncheckedError();
  ++count_;
  bytes_ += key.size();
}

void WriteSet::Clear() {
  impl_->batch.Clear();
  count_ = 0;
  bytes_ = 0;
}

Store::Store(std::string dir) : dir_(std::move(dir)), impl_(std::make_unique<Impl>()) {}
Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::Open(const std::string& dir, const StoreOptions& options) {
  std::unique_ptr<Store> store(new Store(dir));
  Impl& impl = *store->impl_;
  impl.sync = options.sync;
  impl.wal = options.wal;
  impl.cache = rocksdb::NewLRUCache(options.block_cache_mb << 20);

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = !options.read_only;
  db_options.create_missing_column_families = !options.read_only;
  // Two flushes at a time: one flush thread alone could not keep up with two workers when the
  // cutouts are stored here (the workers stalled on full memtables; docs/benchmarks.md "Two
  // flush threads"). One compaction.
  db_options.max_background_flushes = 2;
  db_options.max_background_compactions = 1;
  db_options.bytes_per_sync = 1 << 20;
  // Workers write whole batches at once: let the log and the memtable writes of different
  // batches overlap. Without the log, tables flush together instead (RocksDB allows only one
  // of the two), so the store still holds whole WriteSets only.
  db_options.enable_pipelined_write = options.wal;
  db_options.atomic_flush = !options.wal;
  // The leader of a write group inserts the group's batches itself, reusing each memtable's
  // insert position: one object's rows are adjacent keys, so after the first row of an
  // object each insert starts next to the previous one instead of searching the skip list
  // from its top. Concurrent inserts would search afresh for every key.
  db_options.allow_concurrent_memtable_write = false;

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = impl.cache;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.block_size = 16 << 10;
  rocksdb::ColumnFamilyOptions base;
  base.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // Objects are read back by every batch that sees them again. Tables written past the page
  // cache (direct_io) would be read from the disk the first time: their blocks go into the
  // block cache as a flush writes them instead.
  rocksdb::BlockBasedTableOptions objects_table = table;
  objects_table.prepopulate_block_cache =
      rocksdb::BlockBasedTableOptions::PrepopulateBlockCache::kFlushOnly;
  base.compression = rocksdb::kLZ4Compression;
  base.write_buffer_size = 128 << 20;
  base.max_write_buffer_number = 4;  // absorb bursts while a flush runs, instead of stalling

  // A reader opens only the tables the store has: one written by an older Lantern may lack a
  // newer table, which then reads as empty.
  std::vector<std::string> existing;
  if (options.read_only) {
    rocksdb::Status ls = rocksdb::DB::ListColumnFamilies(db_options, dir, &existing);
    if (!ls.ok()) return IoError("cannot open store " + dir + ": " + ls.ToString());
  }
  auto exists = [&](std::string_view name) {
    return !options.read_only ||
           std::find(existing.begin(), existing.end(), name) != existing.end();
  };
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  std::vector<int> family_table;  // table of each descriptor; kNumTables = default
  for (int t = 0; t < kNumTables; ++t) {
    if (!exists(kTableNames[t])) continue;
    rocksdb::ColumnFamilyOptions cf = base;
    const Table table_id = static_cast<Table>(t);
    if (table_id == Table::kObjects) {
      cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(objects_table));
      // Every batch looks its objects up, and new objects are absent: a bloom filter over the
      // memtable's keys answers those without searching its skip list.
      cf.memtable_prefix_bloom_size_ratio = 0.02;
      cf.memtable_whole_key_filtering = true;
    }
    if (table_id == Table::kCutouts) {
      cf.compression = rocksdb::kNoCompression;  // cutouts are already gzip/deflate
      if (options.blob_cutouts) {
        cf.enable_blob_files = true;
        cf.min_blob_size = 1024;
        cf.blob_file_size = 256 << 20;
      }
    }
    families.emplace_back(std::string(kTableNames[t]), cf);
    family_table.push_back(t);
  }
  families.emplace_back(rocksdb::kDefaultColumnFamilyName, base);
  family_table.push_back(kNumTables);

  std::error_code ec;
  if (!options.read_only) std::filesystem::create_directories(dir, ec);
  if (ec) return IoError("cannot create store directory " + dir + ": " + ec.message());
  db_options.use_direct_io_for_flush_and_compaction =
      options.direct_io && !options.read_only && DirectWritesWork(dir);

  rocksdb::DB* raw = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> opened;
  rocksdb::Status s =
      options.read_only
          ? rocksdb::DB::OpenForReadOnly(db_options, dir, families, &opened, &raw)
          : rocksdb::DB::Open(db_options, dir, families, &opened, &raw);
  if (!s.ok()) return IoError("cannot open store " + dir + ": " + s.ToString());
  impl.handles.assign(kNumTables + 1, nullptr);
  for (size_t i = 0; i < opened.size(); ++i) impl.handles[family_table[i]] = opened[i];
  impl.db.reset(raw);
  return store;
}

Status Store::Write(WriteSet* writes) {
  rocksdb::WriteOptions wo;
  wo.sync = impl_->sync && impl_->wal;
  wo.disableWAL = !impl_->wal;
  return FromRocks(impl_->db->Write(wo, &writes->impl_->batch), "store write");
}

Result<std::optional<std::string>> Store::Get(Table table, std::string_view key) const {
  if (impl_->cf(table) == nullptr) return std::optional<std::string>();
  std::string value;
  rocksdb::Status s =
      impl_->db->Get(rocksdb::ReadOptions(), impl_->cf(table), ToSlice(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, "store get");
  return std::optional<std::string>(std::move(value));
}

Status Store::MultiGet(Table table, std::span<const std::string> keys,
                       std::vector<std::optional<std::string>>* values) const {
  values->assign(keys.size(), std::nullopt);
  if (keys.empty() || impl_->cf(table) == nullptr) return Status::Ok();
  std::vector<rocksdb::Slice> slices;
  slices.reserve(keys.size());
  for (const std::string& k : keys) slices.emplace_back(k);
  std::vector<rocksdb::PinnableSlice> found(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  impl_->db->MultiGet(rocksdb::ReadOptions(), impl_->cf(table), keys.size(), slices.data(),
                      found.data(), statuses.data());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].ok()) {
      (*values)[i] = found[i].ToString();
    } else if (!statuses[i].IsNotFound()) {
      return FromRocks(statuses[i], "store multiget");
    }
  }
  return Status::Ok();
}

Status Store::Exists(Table table, std::span<const std::string> keys,
                     std::vector<bool>* found) const {
  std::vector<std::optional<std::string>> values;
  RETURN_IF_ERROR(MultiGet(table, keys, &values));
  found->resize(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) (*found)[i] = values[i].has_value();
  return Status::Ok();
}

Status Store::Scan(Table table, std::string_view from, std::string_view to,
                   const std::function<bool(std::string_view, std::string_view)>& fn) const {
  if (impl_->cf(table) == nullptr) return Status::Ok();
  rocksdb::ReadOptions ro;
  rocksdb::Slice upper = ToSlice(to);
  if (!to.empty()) ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, impl_->cf(table)));
  for (it->Seek(ToSlice(from)); it->Valid(); it->Next()) {
    if (!fn(ToView(it->key()), ToView(it->value()))) break;
  }
  return FromRocks(it->status(), "store scan");
}

Status Store::ScanPrefix(Table table, std::string_view prefix,
                         const std::function<bool(std::string_view, std::string_view)>& fn) const {
  if (impl_->cf(table) == nullptr) return Status::Ok();
  rocksdb::ReadOptions ro;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, impl_->cf(table)));
  for (it->Seek(ToSlice(prefix)); it->Valid(); it->Next()) {
    const std::string_view key = ToView(it->key());
    if (key.substr(0, prefix.size()) != prefix) break;
    if (!fn(key, ToView(it->value()))) break;
  }
  return FromRocks(it->status(), "store scan");
}

Result<uint64_t> Store::Count(Table table) const {
  uint64_t n = 0;
  RETURN_IF_ERROR(Scan(table, {}, {}, [&](std::string_view, std::string_view) {
    ++n;
    return true;
  }));
  return n;
}

uint64_t Store::DiskBytes(Table table) const {
  uint64_t sst = 0, blob = 0, mem = 0;
  if (impl_->cf(table) == nullptr) return 0;
  impl_->db->GetIntProperty(impl_->cf(table), rocksdb::DB::Properties::kTotalSstFilesSize, &sst);
  impl_->db->GetIntProperty(impl_->cf(table), rocksdb::DB::Properties::kTotalBlobFileSize, &blob);
  impl_->db->GetIntProperty(impl_->cf(table), rocksdb::DB::Properties::kCurSizeAllMemTables, &mem);
  return sst + blob + mem;
}

Status Store::PauseBackgroundWork() {
  return FromRocks(impl_->db->PauseBackgroundWork(), "store pause");
}

Status Store::ResumeBackgroundWork() {
  return FromRocks(impl_->db->ContinueBackgroundWork(), "store resume");
}

bool Store::direct_io() const {
  return impl_->db->GetDBOptions().use_direct_io_for_flush_and_compaction;
}

Status Store::Flush(bool wait) {
  rocksdb::FlushOptions fo;
  fo.wait = wait;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs;
  for (int t = 0; t < kNumTables; ++t) {
    if (impl_->handles[t] != nullptr) cfs.push_back(impl_->handles[t]);
  }
  return FromRocks(impl_->db->Flush(fo, cfs), "store flush");
}

}  // namespace lantern::store
