#include "sky/lcat.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <fstream>
#include <limits>
#include <optional>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sky/csv.h"

namespace lantern::sky {
namespace {

constexpr char kMagic[8] = {'L', 'C', 'A', 'T', '\r', '\n', '\x1a', '\n'};
constexpr uint32_t kVersion = 1;
constexpr size_t kFixedBytes = 48;    // magic .. id type, see WriteHeader
constexpr size_t kSectionBytes = 32;  // role, reserved, offset, bytes, name offset, name length
constexpr size_t kAlign = 64;

enum class Role : uint32_t {
  kX = 1, kY, kZ, kZoneStart, kCellsInZone, kCellStart, kRa, kDec,
  kIdInt, kIdOffsets, kIdChars,
  kColDouble, kColInt, kColOffsets, kColChars,
};
enum class IdType : uint32_t { kNone = 0, kInt64 = 1, kString = 2 };

struct Section {
  Role role;
  uint64_t offset = 0;
  uint64_t bytes = 0;
  std::string name;
};

uint64_t Fnv1a64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

uint64_t AlignUp(uint64_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

template <typename T>
void Put(std::string* out, size_t at, T v) {
  std::memcpy(out->data() + at, &v, sizeof(T));
}
template <typename T>
T Get(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

bool ParseInt(std::string_view s, int64_t* out) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}
bool ParseDouble(std::string_view s, double* out) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

// Cells of one column while reading: packed text, typed at the end.
struct RawColumn {
  std::string name;
  size_t index = 0;
  std::string chars;
  std::vector<uint64_t> offsets{0};
  std::string_view Cell(size_t row) const {
    return std::string_view(chars).substr(offsets[row], offsets[row + 1] - offsets[row]);
  }
};

// Writes sections one after another at 64-byte aligned offsets.
class SectionWriter {
 public:
  explicit SectionWriter(std::ofstream* out, uint64_t start) : out_(out), pos_(start) {}
  // Appends `bytes` as a section.
  Section Add(Role role, std::string_view bytes, std::string name = "") {
    Pad();
    Section s{role, pos_, bytes.size(), std::move(name)};
    out_->write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    pos_ += bytes.size();
    return s;
  }
  template <typename T>
  Section AddArray(Role role, std::span<const T> v, std::string name = "") {
    return Add(role, std::string_view(reinterpret_cast<const char*>(v.data()), v.size_bytes()),
               std::move(name));
  }
  // Appends n values of type T given by value(i), in chunks.
  template <typename T, typename Fn>
  Section AddGathered(Role role, size_t n, Fn&& value, std::string name = "") {
    Pad();
    Section s{role, pos_, n * sizeof(T), std::move(name)};
    std::vector<T> chunk;
    chunk.reserve(1 << 16);
    for (size_t i = 0; i < n; ++i) {
      chunk.push_back(value(i));
      if (chunk.size() == chunk.capacity() || i + 1 == n) {
        out_->write(reinterpret_cast<const char*>(chunk.data()),
                    static_cast<std::streamsize>(chunk.size() * sizeof(T)));
        chunk.clear();
      }
    }
    pos_ += n * sizeof(T);
    return s;
  }
  // Strings of rows order[0..n) as uint64 offsets plus characters.
  void AddStrings(Role offsets_role, Role chars_role, size_t n,
                  const std::function<std::string_view(size_t)>& cell, const std::string& name,
                  std::vector<Section>* sections) {
    uint64_t total = 0;
    sections->push_back(AddGathered<uint64_t>(
        offsets_role, n + 1,
        [&](size_t i) {
          const uint64_t at = total;
          if (i < n) total += cell(i).size();
          return at;
        },
        name));
    Pad();
    Section s{chars_role, pos_, total, name};
    std::string buf;
    for (size_t i = 0; i < n; ++i) {
      buf += cell(i);
      if (buf.size() > (1 << 20) || i + 1 == n) {
        out_->write(buf.data(), static_cast<std::streamsize>(buf.size()));
        buf.clear();
      }
    }
    pos_ += total;
    sections->push_back(s);
  }
  uint64_t pos() const { return pos_; }

 private:
  void Pad() {
    static const char kZeros[kAlign] = {};
    const uint64_t next = AlignUp(pos_);
    out_->write(kZeros, static_cast<std::streamsize>(next - pos_));
    pos_ = next;
  }
  std::ofstream* out_;
  uint64_t pos_;
};

uint64_t HeaderBytes(const std::vector<Section>& sections) {
  uint64_t names = 0;
  for (const Section& s : sections) names += s.name.size();
  return AlignUp(kFixedBytes + kSectionBytes * sections.size() + names + 8);
}

// Serialises the header; the checksum covers every byte before it.
std::string WriteHeader(uint64_t header_bytes, uint64_t rows, uint64_t file_bytes,
                        uint32_t num_zones, IdType id_type, const std::vector<Section>& sections) {
  std::string h(header_bytes, '\0');
  std::memcpy(h.data(), kMagic, 8);
  Put<uint32_t>(&h, 8, kVersion);
  Put<uint32_t>(&h, 12, static_cast<uint32_t>(header_bytes));
  Put<uint64_t>(&h, 16, rows);
  Put<uint64_t>(&h, 24, file_bytes);
  Put<uint32_t>(&h, 32, num_zones);
  Put<uint32_t>(&h, 36, static_cast<uint32_t>(sections.size()));
  Put<uint32_t>(&h, 40, static_cast<uint32_t>(id_type));
  size_t at = kFixedBytes;
  uint32_t name_at = 0;
  for (const Section& s : sections) {
    Put<uint32_t>(&h, at, static_cast<uint32_t>(s.role));
    Put<uint64_t>(&h, at + 8, s.offset);
    Put<uint64_t>(&h, at + 16, s.bytes);
    Put<uint32_t>(&h, at + 24, name_at);
    Put<uint32_t>(&h, at + 28, static_cast<uint32_t>(s.name.size()));
    at += kSectionBytes;
    name_at += static_cast<uint32_t>(s.name.size());
  }
  for (const Section& s : sections) {
    std::memcpy(h.data() + at, s.name.data(), s.name.size());
    at += s.name.size();
  }
  Put<uint64_t>(&h, header_bytes - 8, Fnv1a64(std::string_view(h).substr(0, header_bytes - 8)));
  return h;
}

struct Mapping {
  const char* data = nullptr;
  size_t size = 0;
  ~Mapping() {
    if (data != nullptr) munmap(const_cast<char*>(data), size);
  }
};

}  // namespace

std::string_view ColumnView::String(size_t row) const {
  const uint64_t a = offsets[row];
  const uint64_t b = offsets[row + 1];
  if (a > b || b > chars.size()) return {};
  return chars.substr(a, b - a);
}

std::string ColumnView::CellString(size_t row) const {
  switch (type) {
    case ColumnType::kDouble:
      return std::isnan(doubles[row]) ? std::string() : fmt::format("{}", doubles[row]);
    case ColumnType::kInt64:
      return std::to_string(ints[row]);
    case ColumnType::kString:
      break;
  }
  return std::string(String(row));
}

std::string LoadedCatalog::IdString(size_t row) const {
  return has_ids_ ? ids_.CellString(row) : std::to_string(row);
}

int LoadedCatalog::FindColumn(std::string_view name) const {
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

Result<LcatBuildStats> BuildLcat(const std::string& csv_path, const std::string& out_path,
                                 const LcatBuildOptions& options) {
  ASSIGN_OR_RETURN(auto reader, CsvReader::Open(csv_path));
  std::vector<std::string> header;
  ASSIGN_OR_RETURN(const bool any, reader->Next(&header));
  if (!any) return InvalidArgument(fmt::format("{}: empty file, expected a header row", csv_path));
  const bool has_id = !options.id_col.empty();
  ASSIGN_OR_RETURN(const size_t ra_i, sky::FindColumn(header, options.ra_col, csv_path));
  ASSIGN_OR_RETURN(const size_t dec_i, sky::FindColumn(header, options.dec_col, csv_path));
  std::vector<RawColumn> raw;  // ids first when present, then kept columns
  if (has_id) {
    ASSIGN_OR_RETURN(const size_t i, sky::FindColumn(header, options.id_col, csv_path));
    raw.push_back({options.id_col, i});
  }
  for (const std::string& name : options.keep) {
    ASSIGN_OR_RETURN(const size_t i, sky::FindColumn(header, name, csv_path));
    raw.push_back({name, i});
  }
  std::vector<double> ra, dec;
  CsvLoadProgress progress;
  progress.total_bytes = reader->total_bytes();
  std::vector<std::string> row;
  for (;;) {
    ASSIGN_OR_RETURN(const bool more, reader->Next(&row));
    if (!more) break;
    if (row.size() != header.size()) {
      return InvalidArgument(fmt::format("{}: line {}: {} fields, but the header has {}",
                                         csv_path, reader->line(), row.size(), header.size()));
    }
    double r = 0, d = 0;
    for (const auto& [col, out] : {std::pair{ra_i, &r}, std::pair{dec_i, &d}}) {
      if (!ParseDouble(row[col], out) || !std::isfinite(*out)) {
        return InvalidArgument(fmt::format("{}: line {}: column '{}': '{}' is not a finite number",
                                           csv_path, reader->line(), header[col], row[col]));
      }
    }
    if (d < -90.0 || d > 90.0) {
      return InvalidArgument(fmt::format("{}: line {}: column '{}': dec {} is outside [-90, 90]",
                                         csv_path, reader->line(), header[dec_i], row[dec_i]));
    }
    ra.push_back(r);
    dec.push_back(d);
    for (RawColumn& c : raw) {
      c.chars += row[c.index];
      c.offsets.push_back(c.chars.size());
    }
    if (options.progress && ++progress.rows % (1 << 16) == 0) {
      progress.bytes_read = reader->bytes_consumed();
      options.progress(progress);
    }
  }
  const size_t n = ra.size();
  progress.rows = n;
  progress.bytes_read = progress.total_bytes;
  if (options.progress) options.progress(progress);

  ASSIGN_OR_RETURN(const Catalog catalog, Catalog::FromPositions(std::move(ra), std::move(dec)));
  ZoneIndexOptions ix_opt;
  ix_opt.sources_per_cell = options.sources_per_cell;
  ASSIGN_OR_RETURN(const ZoneIndex index, ZoneIndex::Build(catalog, ix_opt));
  const ZoneArrays a = index.arrays();
  auto order = [&](size_t i) { return a.row[i]; };

  std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
  if (!out) return IoError(fmt::format("{}: cannot open for writing", out_path));
  // The header's size depends only on the section count and names: reserve it, write the
  // sections, then come back and fill it in.
  std::vector<Section> sections;
  std::vector<Section> planned;
  const auto plan = [&](Role role, const std::string& name = "") {
    planned.push_back({role, 0, 0, name});
  };
  for (Role r : {Role::kX, Role::kY, Role::kZ, Role::kZoneStart, Role::kCellsInZone,
                 Role::kCellStart, Role::kRa, Role::kDec}) {
    plan(r);
  }
  // Types of the raw columns: int64 if every cell is one, double if every cell is a number or
  // empty, strings otherwise.
  std::vector<ColumnType> types;
  for (const RawColumn& c : raw) {
    bool ints = true, doubles = true;
    for (size_t i = 0; i < n && (ints || doubles); ++i) {
      const std::string_view cell = c.Cell(i);
      int64_t iv;
      double dv;
      if (ints && !ParseInt(cell, &iv)) ints = false;
      if (doubles && !cell.empty() && !ParseDouble(cell, &dv)) doubles = false;
    }
    types.push_back(ints ? ColumnType::kInt64
                         : doubles ? ColumnType::kDouble : ColumnType::kString);
  }
  if (!has_id) plan(Role::kIdInt, "row");
  for (size_t k = 0; k < raw.size(); ++k) {
    const bool id = has_id && k == 0;
    if (id && types[k] == ColumnType::kDouble) types[k] = ColumnType::kString;  // ids stay exact
    switch (types[k]) {
      case ColumnType::kInt64:
        plan(id ? Role::kIdInt : Role::kColInt, raw[k].name);
        break;
      case ColumnType::kDouble:
        plan(Role::kColDouble, raw[k].name);
        break;
      case ColumnType::kString:
        plan(id ? Role::kIdOffsets : Role::kColOffsets, raw[k].name);
        plan(id ? Role::kIdChars : Role::kColChars, raw[k].name);
        break;
    }
  }
  const uint64_t header_bytes = HeaderBytes(planned);
  out.write(std::string(header_bytes, '\0').data(), static_cast<std::streamsize>(header_bytes));
  SectionWriter w(&out, header_bytes);
  sections.push_back(w.AddArray(Role::kX, a.x));
  sections.push_back(w.AddArray(Role::kY, a.y));
  sections.push_back(w.AddArray(Role::kZ, a.z));
  sections.push_back(w.AddArray(Role::kZoneStart, a.zone_start));
  sections.push_back(w.AddArray(Role::kCellsInZone, a.cells_in_zone));
  sections.push_back(w.AddArray(Role::kCellStart, a.cell_start));
  uint64_t hot = 0;
  for (const Section& s : sections) hot += s.bytes;
  sections.push_back(w.AddArray(Role::kRa, a.ra));
  sections.push_back(w.AddGathered<double>(Role::kDec, n, [&](size_t i) {
    return catalog.dec()[order(i)];
  }));
  if (!has_id) {  // the input row number, as LoadCatalogCsv numbers rows without ids
    sections.push_back(w.AddGathered<int64_t>(
        Role::kIdInt, n, [&](size_t i) { return static_cast<int64_t>(order(i)); }, "row"));
  }
  for (size_t k = 0; k < raw.size(); ++k) {
    const RawColumn& c = raw[k];
    const bool id = has_id && k == 0;
    switch (types[k]) {
      case ColumnType::kInt64:
        sections.push_back(w.AddGathered<int64_t>(
            id ? Role::kIdInt : Role::kColInt, n,
            [&](size_t i) {
              int64_t v = 0;
              ParseInt(c.Cell(order(i)), &v);
              return v;
            },
            c.name));
        break;
      case ColumnType::kDouble:
        sections.push_back(w.AddGathered<double>(
            Role::kColDouble, n,
            [&](size_t i) {
              double v = std::numeric_limits<double>::quiet_NaN();
              ParseDouble(c.Cell(order(i)), &v);
              return v;
            },
            c.name));
        break;
      case ColumnType::kString:
        w.AddStrings(id ? Role::kIdOffsets : Role::kColOffsets,
                     id ? Role::kIdChars : Role::kColChars, n,
                     [&](size_t i) { return c.Cell(order(i)); }, c.name, &sections);
        break;
    }
  }
  const uint64_t file_bytes = w.pos();
  const IdType id_type =
      !has_id || types[0] == ColumnType::kInt64 ? IdType::kInt64 : IdType::kString;
  const std::string head = WriteHeader(header_bytes, n, file_bytes,
                                       static_cast<uint32_t>(index.num_zones()), id_type, sections);
  out.seekp(0);
  out.write(head.data(), static_cast<std::streamsize>(head.size()));
  out.close();
  if (!out) return IoError(fmt::format("{}: write failed", out_path));
  return LcatBuildStats{n, file_bytes, hot};
}

bool IsLcatFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[8] = {};
  return in.read(magic, 8) && std::memcmp(magic, kMagic, 8) == 0;
}

Result<LoadedCatalog> OpenLcat(const std::string& path, ZoneLayout layout) {
  auto fail = [&](const std::string& what) {
    return InvalidArgument(fmt::format("{}: not a valid .lcat file: {}", path, what));
  };
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    close(fd);
    return IoError(fmt::format("{}: cannot stat: {}", path, std::strerror(errno)));
  }
  const size_t size = static_cast<size_t>(st.st_size);
  if (size < kFixedBytes + 8) {
    close(fd);
    return fail(fmt::format("{} bytes is shorter than a header", size));
  }
  void* p = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (p == MAP_FAILED) return IoError(fmt::format("{}: mmap: {}", path, std::strerror(errno)));
  auto map = std::make_shared<Mapping>();
  map->data = static_cast<const char*>(p);
  map->size = size;
  const char* d = map->data;

  if (std::memcmp(d, kMagic, 8) != 0) return fail("bad magic");
  if (Get<uint32_t>(d + 8) != kVersion) {
    return fail(fmt::format("version {}, this build reads {}", Get<uint32_t>(d + 8), kVersion));
  }
  const uint64_t header_bytes = Get<uint32_t>(d + 12);
  const uint64_t rows = Get<uint64_t>(d + 16);
  const uint64_t file_bytes = Get<uint64_t>(d + 24);
  const uint32_t num_zones = Get<uint32_t>(d + 32);
  const uint64_t num_sections = Get<uint32_t>(d + 36);
  const uint32_t id_type = Get<uint32_t>(d + 40);
  if (header_bytes < kFixedBytes + 8 || header_bytes > size ||
      kFixedBytes + kSectionBytes * num_sections + 8 > header_bytes) {
    return fail(fmt::format("header size {} with {} sections in a file of {} bytes", header_bytes,
                            num_sections, size));
  }
  const uint64_t stored_sum = Get<uint64_t>(d + header_bytes - 8);
  if (Fnv1a64(std::string_view(d, header_bytes - 8)) != stored_sum) {
    return fail("header checksum mismatch");
  }
  if (file_bytes != size) {
    return fail(fmt::format("header says {} bytes, file has {} (truncated?)", file_bytes, size));
  }
  if (id_type > 2) return fail(fmt::format("id type {}", id_type));
  const char* names = d + kFixedBytes + kSectionBytes * num_sections;
  const uint64_t names_bytes = header_bytes - 8 - (names - d);

  LoadedCatalog cat;
  ZoneArrays za;
  std::vector<std::pair<Role, ColumnView>> cols;
  for (uint64_t k = 0; k < num_sections; ++k) {
    const char* e = d + kFixedBytes + kSectionBytes * k;
    const Role role = static_cast<Role>(Get<uint32_t>(e));
    const uint64_t offset = Get<uint64_t>(e + 8);
    const uint64_t bytes = Get<uint64_t>(e + 16);
    const uint64_t name_at = Get<uint32_t>(e + 24);
    const uint64_t name_len = Get<uint32_t>(e + 28);
    if (offset % 8 != 0 || offset < header_bytes || offset > size || bytes > size - offset ||
        name_at > names_bytes || name_len > names_bytes - name_at) {
      return fail(fmt::format("section {} (offset {}, {} bytes) is out of bounds", k, offset,
                              bytes));
    }
    const std::string name(names + name_at, name_len);
    const char* data = d + offset;
    auto doubles = [&](uint64_t count) -> Result<std::span<const double>> {
      if (bytes != count * 8) {
        return fail(fmt::format("section {} has {} bytes, expected {}", k, bytes, count * 8));
      }
      return std::span<const double>(reinterpret_cast<const double*>(data), count);
    };
    auto u32s = [&](std::optional<uint64_t> count) -> Result<std::span<const uint32_t>> {
      if ((count && bytes != *count * 4) || bytes % 4 != 0) {
        return fail(fmt::format("section {} has {} bytes, expected {}", k, bytes,
                                count.value_or(0) * 4));
      }
      return std::span<const uint32_t>(reinterpret_cast<const uint32_t*>(data), bytes / 4);
    };
    ColumnView col;
    col.name = name;
    switch (role) {
      case Role::kX: {
        ASSIGN_OR_RETURN(za.x, doubles(rows));
        break;
      }
      case Role::kY: {
        ASSIGN_OR_RETURN(za.y, doubles(rows));
        break;
      }
      case Role::kZ: {
        ASSIGN_OR_RETURN(za.z, doubles(rows));
        break;
      }
      case Role::kRa: {
        ASSIGN_OR_RETURN(za.ra, doubles(rows));
        break;
      }
      case Role::kDec: {
        ASSIGN_OR_RETURN(cat.dec_, doubles(rows));
        break;
      }
      case Role::kZoneStart: {
        ASSIGN_OR_RETURN(za.zone_start, u32s(uint64_t{num_zones} + 1));
        break;
      }
      case Role::kCellsInZone: {
        ASSIGN_OR_RETURN(za.cells_in_zone, u32s(num_zones));
        break;
      }
      case Role::kCellStart: {
        ASSIGN_OR_RETURN(za.cell_start, u32s(std::nullopt));
        break;
      }
      case Role::kColDouble: {
        col.type = ColumnType::kDouble;
        ASSIGN_OR_RETURN(col.doubles, doubles(rows));
        cols.emplace_back(role, col);
        break;
      }
      case Role::kIdInt:
      case Role::kColInt: {
        ASSIGN_OR_RETURN(auto s, doubles(rows));  // checks the size
        col.type = ColumnType::kInt64;
        col.ints = std::span<const int64_t>(reinterpret_cast<const int64_t*>(s.data()), rows);
        cols.emplace_back(role, col);
        break;
      }
      case Role::kIdOffsets:
      case Role::kColOffsets: {
        ASSIGN_OR_RETURN(auto s, doubles(rows + 1));
        col.type = ColumnType::kString;
        col.offsets =
            std::span<const uint64_t>(reinterpret_cast<const uint64_t*>(s.data()), rows + 1);
        cols.emplace_back(role, col);
        break;
      }
      case Role::kIdChars:
      case Role::kColChars: {
        const Role want = role == Role::kIdChars ? Role::kIdOffsets : Role::kColOffsets;
        if (cols.empty() || cols.back().first != want || cols.back().second.name != name) {
          return fail(fmt::format("section {}: characters of '{}' without offsets", k, name));
        }
        cols.back().second.chars = std::string_view(data, bytes);
        break;
      }
      default:
        return fail(fmt::format("section {} has unknown role {}", k, static_cast<uint32_t>(role)));
    }
  }
  if (za.x.empty() != (rows == 0) || za.ra.size() != rows || cat.dec_.size() != rows ||
      za.zone_start.empty()) {
    return fail("a position or index section is missing");
  }
  auto index = ZoneIndex::FromArrays(layout, za, map);
  if (!index.ok()) return fail(index.status().message());
  cat.index_ = std::move(*index);
  cat.ra_ = za.ra;
  for (auto& [role, col] : cols) {
    if (role == Role::kIdInt || role == Role::kIdOffsets) {
      if (cat.has_ids_) return fail("two id sections");
      cat.has_ids_ = true;
      cat.ids_ = std::move(col);
    } else {
      cat.columns_.push_back(std::move(col));
    }
  }
  if (cat.has_ids_ != (id_type != 0)) return fail("id section does not match the id type");
  cat.mapped_ = true;
  cat.file_bytes_ = size;
  cat.hot_bytes_ = (za.x.size() + za.y.size() + za.z.size()) * 8 +
                   (za.zone_start.size() + za.cells_in_zone.size() + za.cell_start.size()) * 4;
  cat.storage_ = std::move(map);
  return cat;
}

Result<LoadedCatalog> OpenCatalog(const std::string& path, const OpenCatalogOptions& options) {
  if (IsLcatFile(path)) return OpenLcat(path, options.layout);
  CsvCatalogOptions csv;
  csv.id_col = options.id_col;
  csv.ra_col = options.ra_col;
  csv.dec_col = options.dec_col;
  csv.numeric_cols = options.numeric_cols;
  csv.progress = options.progress;
  ASSIGN_OR_RETURN(CsvCatalog loaded, LoadCatalogCsv(path, csv));
  ZoneIndexOptions ix_opt;
  ix_opt.layout = options.layout;
  ASSIGN_OR_RETURN(ZoneIndex index, ZoneIndex::Build(loaded.catalog, ix_opt));
  // Ids as a column view over owned storage.
  struct Owned {
    CsvCatalog csv;
    std::vector<int64_t> ints;
    std::vector<uint64_t> offsets;
    std::string chars;
  };
  auto own = std::make_shared<Owned>();
  own->csv = std::move(loaded);
  const Catalog& c = own->csv.catalog;
  LoadedCatalog cat;
  const size_t n = c.size();
  switch (c.ids().kind()) {
    case IdColumn::Kind::kRowIndex:
      break;
    case IdColumn::Kind::kInt64:
      own->ints.resize(n);
      for (size_t i = 0; i < n; ++i) own->ints[i] = c.ids().Int(i);
      cat.ids_.type = ColumnType::kInt64;
      cat.ids_.ints = own->ints;
      cat.has_ids_ = true;
      break;
    case IdColumn::Kind::kString:
      own->offsets.push_back(0);
      for (size_t i = 0; i < n; ++i) {
        own->chars += c.ids().String(i);
        own->offsets.push_back(own->chars.size());
      }
      cat.ids_.type = ColumnType::kString;
      cat.ids_.offsets = own->offsets;
      cat.ids_.chars = own->chars;
      cat.has_ids_ = true;
      break;
  }
  cat.ids_.name = options.id_col;
  for (size_t k = 0; k < options.numeric_cols.size(); ++k) {
    ColumnView col;
    col.name = options.numeric_cols[k];
    col.doubles = own->csv.numeric[k];
    cat.columns_.push_back(std::move(col));
  }
  cat.ra_ = c.ra();
  cat.dec_ = c.dec();
  cat.index_ = std::move(index);
  cat.hot_bytes_ = cat.index_.MemoryBytes();
  cat.storage_ = std::move(own);
  return cat;
}

}  // namespace lantern::sky
