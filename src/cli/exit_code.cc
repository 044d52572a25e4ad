#include "cli/commands.h"

namespace lantern::cli {
namespace {
int exit_code = 0;
}  // namespace

void SetExitCode(int code) { exit_code = code; }
int ExitCode() { return exit_code; }

}  // namespace lantern::cli
