// `lantern htm --level L`: reads `ra,dec` lines (degrees) on stdin and prints the HTM id of
// each at level L, one per line, in input order. A diagnostic tool for tests/htm_reference.py,
// kept out of the help listing. A malformed line is reported with its number and ends the run.
#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "sky/htm.h"

namespace lantern::cli {
namespace {

// Parses "ra,dec" (surrounding spaces allowed); false on anything else.
bool ParseRaDec(const std::string& line, double* ra, double* dec) {
  const char* s = line.c_str();
  char* end = nullptr;
  *ra = std::strtod(s, &end);
  if (end == s) return false;
  while (*end == ' ' || *end == '\t') ++end;
  if (*end != ',') return false;
  s = end + 1;
  *dec = std::strtod(s, &end);
  if (end == s) return false;
  while (*end == ' ' || *end == '\t' || *end == '\r') ++end;
  return *end == '\0' && *dec >= -90.0 && *dec <= 90.0;
}

int RunHtm(int level) {
  std::ios::sync_with_stdio(false);
  std::string line, out;
  int64_t line_no = 0;
  while (std::getline(std::cin, line)) {
    ++line_no;
    if (line.empty()) continue;
    double ra = 0, dec = 0;
    if (!ParseRaDec(line, &ra, &dec)) {
      std::fputs(out.c_str(), stdout);
      fmt::print(stderr, "lantern htm: stdin line {}: expected 'ra,dec' in degrees: {}\n", line_no,
                 line);
      return 1;
    }
    out += fmt::format("{}\n", sky::HtmId(ra, dec, level));
    if (out.size() > (1 << 16)) {
      std::fputs(out.c_str(), stdout);
      out.clear();
    }
  }
  std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace

void AddHtm(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("htm", "HTM ids of ra,dec lines on stdin");
  auto level = std::make_shared<int>(16);
  cmd->add_option("--level", *level, "HTM level")->check(CLI::Range(0, sky::kHtmMaxLevel));
  cmd->callback([level] { SetExitCode(RunHtm(*level)); });
}

}  // namespace lantern::cli
