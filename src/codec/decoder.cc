#include "codec/decoder.h"

#include <cstring>
#include <fmt/format.h>

#include "codec/varint.h"

namespace lantern::codec {
namespace {

// Walks the schema, filling slots. Errors set `error_` and make every later read fail fast;
// the record walker then prepends field names to build the path for the message.
class DatumReader {
 public:
  DatumReader(const uint8_t* begin, const uint8_t* end, std::vector<Slot>* slots,
              const DecodeLimits& limits)
      : begin_(begin), p_(begin), end_(end), slots_(*slots), limits_(limits) {}

  bool ReadRoot(const Node* node) {
    slots_.resize(1);
    Read(node, 0, 0);
    return error_ == nullptr;
  }
  size_t position() const { return static_cast<size_t>(p_ - begin_); }
  size_t error_position() const { return error_pos_; }
  const char* error() const { return error_; }
  const std::string& path() const { return path_; }

 private:
  void Fail(const char* what) {
    if (error_ == nullptr) {
      error_ = what;
      error_pos_ = position();
    }
    p_ = end_;
  }

  int64_t ReadLong() {
    int64_t v = 0;
    if (p_ < end_ && !(*p_ & 0x80)) {  // one-byte fast path
      const uint8_t b = *p_++;
      return static_cast<int64_t>(b >> 1) ^ -static_cast<int64_t>(b & 1);
    }
    if (!ReadVarLong(&p_, end_, &v)) Fail(p_ >= end_ ? "input ends inside an integer" : "varint too long");
    return v;
  }

  // Allocates `n` contiguous slots and returns the index of the first.
  uint32_t Allocate(uint64_t n) {
    const size_t first = slots_.size();
    if (first + n > limits_.max_slots) {
      Fail("datum has too many values");
      return 0;
    }
    slots_.resize(first + n);
    return static_cast<uint32_t>(first);
  }

  // Checks that `count` items of `node` can still fit in the remaining input.
  bool CountFits(int64_t count, const Node* item) {
    if (count < 0) { Fail("negative length"); return false; }
    const uint64_t per = item->min_bytes == 0 ? 1 : item->min_bytes;  // zero-size items: 1 slot each
    if (item->min_bytes > 0 && static_cast<uint64_t>(count) > static_cast<uint64_t>(end_ - p_) / per) {
      Fail("count larger than the remaining input");
      return false;
    }
    if (static_cast<uint64_t>(count) > limits_.max_slots) { Fail("count too large"); return false; }
    return true;
  }

  void ReadBytes(uint32_t s) {
    const int64_t len = ReadLong();
    if (len < 0 || len > end_ - p_) {
      Fail(len < 0 ? "negative length" : "string or bytes run past the end of the input");
      return;
    }
    Slot& slot = slots_[s];
    slot.u = static_cast<uint64_t>(p_ - begin_);
    slot.n = static_cast<uint32_t>(len);
    p_ += len;
  }

  void Read(const Node* node, uint32_t s, uint32_t depth) {
    switch (node->type) {
      case Type::kNull: return;
      case Type::kBoolean:
        if (p_ >= end_) return Fail("input ends inside a boolean");
        if (*p_ > 1) return Fail("boolean byte is neither 0 nor 1");
        slots_[s].i = *p_++;
        return;
      case Type::kInt: {
        const int64_t v = ReadLong();
        if (v < INT32_MIN || v > INT32_MAX) return Fail("int out of range");
        slots_[s].i = v;
        return;
      }
      case Type::kLong: slots_[s].i = ReadLong(); return;
      case Type::kFloat:
        if (end_ - p_ < 4) return Fail("input ends inside a float");
        std::memcpy(&slots_[s].f, p_, 4);
        p_ += 4;
        return;
      case Type::kDouble:
        if (end_ - p_ < 8) return Fail("input ends inside a double");
        std::memcpy(&slots_[s].d, p_, 8);
        p_ += 8;
        return;
      case Type::kBytes: case Type::kString: return ReadBytes(s);
      case Type::kFixed: {
        if (static_cast<size_t>(end_ - p_) < node->fixed_size) return Fail("input ends inside a fixed");
        slots_[s].u = static_cast<uint64_t>(p_ - begin_);
        slots_[s].n = node->fixed_size;
        p_ += node->fixed_size;
        return;
      }
      case Type::kEnum: {
        const int64_t v = ReadLong();
        if (v < 0 || static_cast<uint64_t>(v) >= node->symbols.size())
          return Fail("enum index out of range");
        slots_[s].i = v;
        return;
      }
      case Type::kUnion: {
        const int64_t b = ReadLong();
        if (b < 0 || static_cast<uint64_t>(b) >= node->branches.size())
          return Fail("union branch index out of range");
        slots_[s].branch = static_cast<uint32_t>(b);
        return Read(node->branches[b], s, depth);
      }
      case Type::kRecord: return ReadRecord(node, s, depth);
      case Type::kArray: return ReadBlocks(node, s, depth, /*is_map=*/false);
      case Type::kMap: return ReadBlocks(node, s, depth, /*is_map=*/true);
    }
  }

  void ReadRecord(const Node* node, uint32_t s, uint32_t depth) {
    if (depth >= limits_.max_depth) return Fail("nesting too deep");
    const uint32_t n = static_cast<uint32_t>(node->fields.size());
    const uint32_t first = Allocate(n);
    if (error_) return;
    slots_[s].u = first;
    slots_[s].n = n;
    const Field* fields = node->fields.data();
    for (uint32_t i = 0; i < n; ++i) {
      Read(fields[i].node, first + i, depth + 1);
      if (error_) {
        path_ = path_.empty() ? fields[i].name : fields[i].name + "." + path_;
        return;
      }
    }
  }

  // Arrays and maps arrive as blocks: count, [byte size if count < 0], items; a 0 count ends.
  // Item slots must end up contiguous; nested values of one block's items are allocated
  // after it, so a second block (rare: Java and Python writers emit one) is gathered at the end.
  void ReadBlocks(const Node* node, uint32_t s, uint32_t depth, bool is_map) {
    if (depth >= limits_.max_depth) return Fail("nesting too deep");
    const uint32_t per_item = is_map ? 2 : 1;
    uint64_t total = 0;
    std::vector<std::pair<uint32_t, uint32_t>> blocks;  // (first slot, item count)
    for (;;) {
      int64_t count = ReadLong();
      if (error_) return;
      if (count == 0) break;
      if (count < 0) {
        if (count == INT64_MIN) return Fail("bad block count");
        count = -count;
        if (ReadLong() < 0) return Fail("negative block size");
      }
      if (!CountFits(count, node->items)) return;
      if (total + static_cast<uint64_t>(count) > limits_.max_slots) return Fail("too many items");
      const uint32_t block_first = Allocate(static_cast<uint64_t>(count) * per_item);
      if (error_) return;
      for (int64_t i = 0; i < count; ++i) {
        const uint32_t item = block_first + static_cast<uint32_t>(i) * per_item;
        if (is_map) ReadBytes(item);
        if (!error_) Read(node->items, item + per_item - 1, depth + 1);
        if (error_) {
          path_ = fmt::format("[{}]{}{}", total + i, path_.empty() ? "" : ".", path_);
          return;
        }
      }
      blocks.emplace_back(block_first, static_cast<uint32_t>(count));
      total += static_cast<uint64_t>(count);
    }
    uint32_t first = blocks.empty() ? 0 : blocks[0].first;
    if (blocks.size() > 1) {
      first = Allocate(total * per_item);
      if (error_) return;
      uint32_t at = first;
      for (const auto& [b, n] : blocks) {
        std::copy_n(slots_.begin() + b, n * per_item, slots_.begin() + at);
        at += n * per_item;
      }
    }
    slots_[s].u = first;
    slots_[s].n = static_cast<uint32_t>(total);
  }

  const uint8_t* begin_;
  const uint8_t* p_;
  const uint8_t* end_;
  std::vector<Slot>& slots_;
  const DecodeLimits& limits_;
  const char* error_ = nullptr;
  size_t error_pos_ = 0;
  std::string path_;
};

}  // namespace

Result<std::shared_ptr<const Datum>> Decoder::Decode(std::shared_ptr<const Schema> schema,
                                                     std::shared_ptr<const std::string> storage,
                                                     std::string_view bytes, size_t* consumed,
                                                     size_t base_offset) {
  std::vector<Slot> slots;
  slots.reserve(slot_hint_);
  const auto* begin = reinterpret_cast<const uint8_t*>(bytes.data());
  DatumReader reader(begin, begin + bytes.size(), &slots, limits_);
  if (!reader.ReadRoot(&schema->root())) {
    std::string where = reader.path().empty() ? "" : " in field " + reader.path();
    return InvalidArgument(fmt::format("byte {}{}: {}", base_offset + reader.error_position(),
                                       where, reader.error()));
  }
  if (slots.size() > slot_hint_) slot_hint_ = slots.size();
  const size_t used = reader.position();
  if (consumed) *consumed = used;
  return std::shared_ptr<const Datum>(std::make_shared<Datum>(
      std::move(schema), std::move(storage), bytes.substr(0, used), std::move(slots)));
}

}  // namespace lantern::codec
