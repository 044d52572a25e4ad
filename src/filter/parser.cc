#include "filter/parser.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "filter/lexer.h"

namespace lantern::filter {
namespace {

// Words that end an expression or belong to the dialect's grammar; never column names.
constexpr std::string_view kReserved[] = {
    "select", "from", "where", "order", "by", "and", "or", "not", "in", "is", "null", "between",
    "like", "as", "asc", "desc", "limit", "offset", "union", "exists", "join", "group", "having",
    "into", "with", "window", "for", "xor", "div", "mod", "escape", "regexp", "rlike", "case",
    "when", "then", "else", "end", "distinct", "all", "any", "some", "true", "false",
};

bool IsReserved(std::string_view word) {
  for (std::string_view r : kReserved) {
    if (IEquals(word, r)) return true;
  }
  return false;
}

std::unique_ptr<Expr> Node(ExprKind kind, size_t offset) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->offset = offset;
  return e;
}

class Parser {
 public:
  Parser(std::string_view text, std::string_view part, std::vector<Token> tokens)
      : text_(text), part_(part), tokens_(std::move(tokens)) {}

  const Token& Peek(size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  bool AtEnd() const { return Peek().kind == TokenKind::kEnd; }
  bool IsWord(std::string_view word, size_t ahead = 0) const {
    return Peek(ahead).kind == TokenKind::kIdent && IEquals(Peek(ahead).text, word);
  }
  bool IsPunct(std::string_view p) const {
    return Peek().kind == TokenKind::kPunct && Peek().text == p;
  }
  bool AcceptWord(std::string_view word) {
    if (!IsWord(word)) return false;
    ++pos_;
    return true;
  }
  bool AcceptPunct(std::string_view p) {
    if (!IsPunct(p)) return false;
    ++pos_;
    return true;
  }
  size_t pos() const { return pos_; }
  void Seek(size_t pos) { pos_ = pos; }
  size_t EndOfPrevious() const {
    if (pos_ == 0) return 0;
    const Token& t = tokens_[pos_ - 1];
    return t.offset + t.text.size();
  }

  Status Error(const Token& t, std::string_view why) const {
    const std::string shown = t.kind == TokenKind::kEnd ? "end of text" : Quote(t.text);
    return InvalidArgument(std::string(part_) + " byte " + std::to_string(t.offset) + ": " +
                           shown + " " + std::string(why));
  }
  Status Unexpected(std::string_view expected) const {
    const Token& t = Peek();
    if (t.kind == TokenKind::kIdent) {
      if (IsWord("union") || IsWord("select") || IsWord("exists") || IsWord("into") ||
          IsWord("join") || IsWord("group") || IsWord("having") || IsWord("with")) {
        return Error(t, "is not allowed in a filter (no subqueries, unions, joins or grouping)");
      }
      if (IsWord("limit") || IsWord("offset")) {
        return Error(t, "is not allowed in the text: pass limit and offset as parameters");
      }
    }
    return Error(t, "is unexpected; expected " + std::string(expected));
  }

  Status EnterDepth() {
    if (++depth_ > kMaxDepth) {
      return Error(Peek(), "is nested too deeply (at most " + std::to_string(kMaxDepth) +
                               " levels)");
    }
    return Status::Ok();
  }
  Status CheckHeight(const Expr& e) const {
    if (e.depth > kMaxDepth) {
      return InvalidArgument(std::string(part_) + " byte " + std::to_string(e.offset) +
                             ": expression is nested too deeply (at most " +
                             std::to_string(kMaxDepth) + " levels)");
    }
    return Status::Ok();
  }
  // Finishes a node with children: its height, bounded.
  Result<std::unique_ptr<Expr>> Seal(std::unique_ptr<Expr> e) {
    int h = 0;
    for (const auto& a : e->args) h = std::max(h, a->depth);
    e->depth = h + 1;
    RETURN_IF_ERROR(CheckHeight(*e));
    return e;
  }

  Result<std::unique_ptr<Expr>> ParseExpr() {
    RETURN_IF_ERROR(EnterDepth());
    auto e = ParseOr();
    --depth_;
    return e;
  }

  // operand (WORD operand)*, flattened into one n-ary node.
  Result<std::unique_ptr<Expr>> ParseChain(std::string_view word, ExprKind kind,
                                           Result<std::unique_ptr<Expr>> (Parser::*operand)()) {
    ASSIGN_OR_RETURN(auto first, (this->*operand)());
    if (!IsWord(word)) return first;
    auto node = Node(kind, first->offset);
    node->args.push_back(std::move(first));
    while (AcceptWord(word)) {
      ASSIGN_OR_RETURN(auto next, (this->*operand)());
      node->args.push_back(std::move(next));
    }
    return Seal(std::move(node));
  }
  Result<std::unique_ptr<Expr>> ParseOr() {
    return ParseChain("or", ExprKind::kOr, &Parser::ParseAnd);
  }
  Result<std::unique_ptr<Expr>> ParseAnd() {
    return ParseChain("and", ExprKind::kAnd, &Parser::ParseNot);
  }

  Result<std::unique_ptr<Expr>> ParseNot() {
    if (IsWord("not")) {
      const size_t at = Peek().offset;
      ++pos_;
      RETURN_IF_ERROR(EnterDepth());
      auto inner = ParseNot();
      --depth_;
      if (!inner.ok()) return inner.status();
      auto node = Node(ExprKind::kNot, at);
      node->args.push_back(std::move(inner).value());
      return Seal(std::move(node));
    }
    return ParsePredicate();
  }

  Result<std::unique_ptr<Expr>> ParsePredicate() {
    ASSIGN_OR_RETURN(auto left, ParseAdditive());
    while (true) {
      const Token& t = Peek();
      if (t.kind == TokenKind::kOp &&
          (t.text == "=" || t.text == "!=" || t.text == "<>" || t.text == "<" ||
           t.text == "<=" || t.text == ">" || t.text == ">=")) {
        ++pos_;
        ASSIGN_OR_RETURN(auto right, ParseAdditive());
        auto node = Node(ExprKind::kCompare, left->offset);
        node->op = t.text == "<>" ? "!=" : std::string(t.text);
        node->args.push_back(std::move(left));
        node->args.push_back(std::move(right));
        ASSIGN_OR_RETURN(left, Seal(std::move(node)));
        continue;
      }
      if (IsWord("is")) {
        ++pos_;
        auto node = Node(ExprKind::kIsNull, left->offset);
        node->negated = AcceptWord("not");
        if (!AcceptWord("null")) return Unexpected("NULL (only IS [NOT] NULL is supported)");
        node->args.push_back(std::move(left));
        ASSIGN_OR_RETURN(left, Seal(std::move(node)));
        continue;
      }
      const bool negated = IsWord("not") && (IsWord("in", 1) || IsWord("between", 1) ||
                                             IsWord("like", 1));
      if (negated) ++pos_;
      if (AcceptWord("in")) {
        auto node = Node(ExprKind::kIn, left->offset);
        node->negated = negated;
        node->args.push_back(std::move(left));
        if (!AcceptPunct("(")) return Unexpected("'(' after IN");
        RETURN_IF_ERROR(EnterDepth());
        do {
          ASSIGN_OR_RETURN(auto item, ParseAdditive());
          node->args.push_back(std::move(item));
        } while (AcceptPunct(","));
        --depth_;
        if (!AcceptPunct(")")) return Unexpected("',' or ')' in the IN list");
        ASSIGN_OR_RETURN(left, Seal(std::move(node)));
        continue;
      }
      if (AcceptWord("between")) {
        auto node = Node(ExprKind::kBetween, left->offset);
        node->negated = negated;
        node->args.push_back(std::move(left));
        ASSIGN_OR_RETURN(auto low, ParseAdditive());
        if (!AcceptWord("and")) return Unexpected("AND in BETWEEN ... AND ...");
        ASSIGN_OR_RETURN(auto high, ParseAdditive());
        node->args.push_back(std::move(low));
        node->args.push_back(std::move(high));
        ASSIGN_OR_RETURN(left, Seal(std::move(node)));
        continue;
      }
      if (AcceptWord("like")) {
        auto node = Node(ExprKind::kLike, left->offset);
        node->negated = negated;
        node->args.push_back(std::move(left));
        ASSIGN_OR_RETURN(auto pattern, ParseAdditive());
        node->args.push_back(std::move(pattern));
        if (IsWord("escape")) return Unexpected("no ESCAPE clause (it is not supported)");
        ASSIGN_OR_RETURN(left, Seal(std::move(node)));
        continue;
      }
      if (negated) --pos_;
      return left;
    }
  }

  // Left-associative binary arithmetic: operand (OP operand)* for OP in `ops`.
  Result<std::unique_ptr<Expr>> ParseArith(std::initializer_list<std::string_view> ops,
                                           Result<std::unique_ptr<Expr>> (Parser::*operand)()) {
    ASSIGN_OR_RETURN(auto left, (this->*operand)());
    auto at_op = [&] {
      return Peek().kind == TokenKind::kOp &&
             std::find(ops.begin(), ops.end(), Peek().text) != ops.end();
    };
    while (at_op()) {
      const std::string op(Peek().text);
      ++pos_;
      ASSIGN_OR_RETURN(auto right, (this->*operand)());
      auto node = Node(ExprKind::kArith, left->offset);
      node->op = op;
      node->args.push_back(std::move(left));
      node->args.push_back(std::move(right));
      ASSIGN_OR_RETURN(left, Seal(std::move(node)));
    }
    return left;
  }
  Result<std::unique_ptr<Expr>> ParseAdditive() {
    return ParseArith({"+", "-"}, &Parser::ParseMultiplicative);
  }
  Result<std::unique_ptr<Expr>> ParseMultiplicative() {
    return ParseArith({"*", "/", "%"}, &Parser::ParseUnary);
  }

  Result<std::unique_ptr<Expr>> ParseUnary() {
    const Token& t = Peek();
    if (t.kind == TokenKind::kOp && (t.text == "-" || t.text == "+")) {
      const bool minus = t.text == "-";
      const size_t at = t.offset;
      ++pos_;
      RETURN_IF_ERROR(EnterDepth());
      auto inner = ParseUnary();
      --depth_;
      if (!inner.ok() || !minus) return inner;
      auto node = Node(ExprKind::kNeg, at);
      node->args.push_back(std::move(inner).value());
      return Seal(std::move(node));
    }
    return ParsePrimary();
  }

  Result<std::unique_ptr<Expr>> ParsePrimary() {
    const Token& t = Peek();
    switch (t.kind) {
      case TokenKind::kNumber: {
        ++pos_;
        const bool is_int = t.text.find_first_of(".eE") == std::string_view::npos;
        if (is_int) {
          int64_t v = 0;
          auto [end, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
          if (ec == std::errc() && end == t.text.data() + t.text.size()) {
            auto node = Node(ExprKind::kInt, t.offset);
            node->int_value = v;
            return node;
          }
        }
        auto node = Node(ExprKind::kDouble, t.offset);
        node->double_value = std::strtod(std::string(t.text).c_str(), nullptr);
        return node;
      }
      case TokenKind::kString: {
        ++pos_;
        auto node = Node(ExprKind::kString, t.offset);
        node->text = t.value;
        return node;
      }
      case TokenKind::kPunct:
        if (t.text == "(") {
          ++pos_;
          if (IsWord("select")) return Unexpected("an expression");
          ASSIGN_OR_RETURN(auto inner, ParseExpr());
          if (!AcceptPunct(")")) return Unexpected("')'");
          return inner;
        }
        return Unexpected("a value, column or function");
      case TokenKind::kIdent:
        break;
      default:
        return Unexpected("a value, column or function");
    }
    if (IsWord("null")) {
      ++pos_;
      return Node(ExprKind::kNull, t.offset);
    }
    if (IsWord("true") || IsWord("false")) {
      auto node = Node(ExprKind::kInt, t.offset);
      node->int_value = IsWord("true") ? 1 : 0;
      ++pos_;
      return node;
    }
    if (IsReserved(t.text)) return Unexpected("a value, column or function");
    ++pos_;
    if (AcceptPunct("(")) {
      auto node = Node(ExprKind::kCall, t.offset);
      for (char c : t.text) node->text.push_back(static_cast<char>(std::toupper(c)));
      RETURN_IF_ERROR(EnterDepth());
      if (!IsPunct(")")) {
        do {
          if (IsWord("select")) return Unexpected("an argument");
          ASSIGN_OR_RETURN(auto arg, ParseExpr());
          node->args.push_back(std::move(arg));
        } while (AcceptPunct(","));
      }
      --depth_;
      if (!AcceptPunct(")")) return Unexpected("',' or ')' after a function argument");
      return Seal(std::move(node));
    }
    auto node = Node(ExprKind::kColumn, t.offset);
    if (AcceptPunct(".")) {
      const Token& c = Peek();
      if (c.kind != TokenKind::kIdent || IsReserved(c.text)) return Unexpected("a column name");
      ++pos_;
      node->table = std::string(t.text);
      node->text = std::string(c.text);
    } else {
      node->text = std::string(t.text);
    }
    return node;
  }

  // expr [[AS] alias] {, ...} up to FROM or the end.
  Status ParseSelectList(std::vector<SelectItem>* out) {
    do {
      const size_t start = Peek().offset;
      if (Peek().kind == TokenKind::kOp && Peek().text == "*") {
        return Error(Peek(), "is not supported: name the columns to select");
      }
      ASSIGN_OR_RETURN(auto e, ParseExpr());
      SelectItem item;
      item.name = std::string(text_.substr(start, EndOfPrevious() - start));
      if (AcceptWord("as") || (Peek().kind == TokenKind::kIdent && !IsReserved(Peek().text))) {
        const Token& a = Peek();
        if (a.kind != TokenKind::kIdent || IsReserved(a.text)) return Unexpected("an alias");
        item.name = std::string(a.text);
        ++pos_;
      }
      item.expr = std::move(e);
      out->push_back(std::move(item));
    } while (AcceptPunct(","));
    return Status::Ok();
  }

  // [condition] [ORDER BY expr [ASC|DESC], ...] up to the end.
  Status ParseConditions(Query* q) {
    if (!IsWord("order") && !AtEnd()) {
      ASSIGN_OR_RETURN(q->where, ParseExpr());
    }
    if (AcceptWord("order")) {
      if (!AcceptWord("by")) return Unexpected("BY after ORDER");
      do {
        OrderItem item;
        ASSIGN_OR_RETURN(item.expr, ParseExpr());
        if (AcceptWord("desc")) {
          item.descending = true;
        } else {
          AcceptWord("asc");
        }
        q->order_by.push_back(std::move(item));
      } while (AcceptPunct(","));
    }
    if (!AtEnd()) return Unexpected(q->order_by.empty() ? "AND, OR, ORDER BY or the end"
                                                       : "',' or the end");
    return Status::Ok();
  }

 private:
  std::string_view text_;
  std::string_view part_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
};

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// Checks the characters of a `tables` list; names are checked against the schema later.
Status SplitTables(std::string_view tables, std::vector<std::string>* out) {
  if (tables.size() > kMaxFilterBytes) {
    return InvalidArgument("tables byte " + std::to_string(kMaxFilterBytes) +
                           ": the list is longer than " + std::to_string(kMaxFilterBytes) +
                           " bytes");
  }
  size_t start = 0;
  for (size_t i = 0; i <= tables.size(); ++i) {
    if (i < tables.size()) {
      const char c = tables[i];
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':' || c == '&' ||
          c == '-' || c == '.' || std::isspace(static_cast<unsigned char>(c))) {
        continue;
      }
      if (c != ',') {
        return InvalidArgument("tables byte " + std::to_string(i) + ": " +
                               Quote(tables.substr(i, 1)) + " is not allowed in a table name");
      }
    }
    std::string name = Trim(tables.substr(start, i - start));
    if (!name.empty()) out->push_back(std::move(name));
    start = i + 1;
  }
  return Status::Ok();
}

}  // namespace

Result<Query> Parse(std::string_view selected, std::string_view tables,
                    std::string_view conditions) {
  Query q;
  ASSIGN_OR_RETURN(auto select_tokens, Lex(selected, "selected"));
  Parser sp(selected, "selected", std::move(select_tokens));
  if (sp.AtEnd()) return InvalidArgument("selected byte 0: nothing is selected");
  RETURN_IF_ERROR(sp.ParseSelectList(&q.select));
  if (!sp.AtEnd()) return sp.Unexpected("',' or the end of the SELECT list");
  RETURN_IF_ERROR(SplitTables(tables, &q.tables));
  ASSIGN_OR_RETURN(auto cond_tokens, Lex(conditions, "conditions"));
  Parser cp(conditions, "conditions", std::move(cond_tokens));
  RETURN_IF_ERROR(cp.ParseConditions(&q));
  return q;
}

Result<Query> ParseSelect(std::string_view text) {
  Query q;
  ASSIGN_OR_RETURN(auto tokens, Lex(text, "query"));
  Parser p(text, "query", std::move(tokens));
  if (!p.AcceptWord("select")) return p.Unexpected("SELECT");
  RETURN_IF_ERROR(p.ParseSelectList(&q.select));
  if (!p.AcceptWord("from")) return p.Unexpected("',' or FROM");
  // Table names: ident [ (':' | '&' | '-' | '.') (ident | number) ... ], separated by commas.
  const size_t tables_start = p.Peek().offset;
  while (!p.AtEnd() && !p.IsWord("where") && !p.IsWord("order")) {
    const Token& t = p.Peek();
    const bool ok = t.kind == TokenKind::kIdent || t.kind == TokenKind::kNumber ||
                    (t.kind == TokenKind::kPunct && t.text != "(" && t.text != ")") ||
                    (t.kind == TokenKind::kOp && t.text == "-");
    if (!ok || (t.kind == TokenKind::kIdent && IsReserved(t.text))) {
      return p.Unexpected("a table name, WHERE, ORDER BY or the end");
    }
    p.Seek(p.pos() + 1);
  }
  const size_t tables_end = p.Peek().offset;
  RETURN_IF_ERROR(SplitTables(text.substr(tables_start, tables_end - tables_start), &q.tables));
  if (q.tables.empty()) return p.Unexpected("a table name after FROM");
  if (p.AcceptWord("where") && (p.AtEnd() || p.IsWord("order"))) {
    return p.Unexpected("a condition after WHERE");
  }
  RETURN_IF_ERROR(p.ParseConditions(&q));
  return q;
}

}  // namespace lantern::filter
