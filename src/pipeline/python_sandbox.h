// One sandboxed Python worker process (python/lantern_filter/worker.py) and the framed pipe
// protocol to it. The worker runs under bubblewrap: new user (uid 65534), pid, network, IPC and
// UTS namespaces; /usr and the lantern_filter package read-only, a private /tmp, no /work,
// /home or /etc; a seccomp filter that refuses fork (threads stay allowed) and sockets; rlimits
// on address space, CPU time, file size and descriptors; a wall-clock deadline per exchange.
// A SandboxProcess is used by one thread at a time; Start may be called from any thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace lantern::pipeline {

struct SandboxLimits {
  std::string bwrap = "/usr/bin/bwrap";
  std::string python = "/usr/bin/python3";
  // Folder holding lantern_filter/; "" = $LANTERN_PYTHON_PATH, else the repository's python/.
  std::string package_dir;
  uint64_t memory_bytes = 1ull << 30;                 // RLIMIT_AS of the worker
  uint64_t cpu_seconds = 60;                          // RLIMIT_CPU over the worker's life
  uint64_t file_bytes = 16ull << 20;                  // RLIMIT_FSIZE (files in the private /tmp)
  uint64_t tmp_bytes = 64ull << 20;                   // size of the private /tmp
  std::chrono::milliseconds exchange_timeout{5000};   // wall clock for one batch
  std::chrono::milliseconds start_timeout{10000};     // interpreter start + loading the source
};

// The defaults above, overridden by environment variables where set (so that `lantern run`
// can be given other limits): LANTERN_PYTHON_TIMEOUT_MS, LANTERN_PYTHON_MEMORY_MB,
// LANTERN_PYTHON_CPU_S.
SandboxLimits SandboxLimitsFromEnvironment();

// The package folder that SandboxLimits::package_dir "" resolves to.
std::string DefaultPythonPackageDir();

class SandboxProcess {
 public:
  // Starts bwrap + python3 with the limits. Fails only when the process cannot be created;
  // a worker that dies at once shows in the first Exchange.
  static Result<std::unique_ptr<SandboxProcess>> Start(const SandboxLimits& limits);
  ~SandboxProcess();  // kills the process group and reaps it

  // Sends one frame and waits for one reply frame, within `timeout`. On a timeout, a worker
  // that exits or breaks the framing, the worker is killed and the status says why
  // (kDeadlineExceeded for the wall clock; kInternal otherwise), with the stderr tail.
  Result<std::string> Exchange(std::string_view request, std::chrono::milliseconds timeout);

  // Last bytes the worker wrote to stderr (the user's prints and tracebacks), at most 4 KiB.
  const std::string& stderr_tail() const { return stderr_tail_; }
  bool alive() const { return pid_ > 0; }
  void Kill();

 private:
  SandboxProcess() = default;
  void DrainStderr();
  // Why the worker ended: "exited with code 3", "killed by signal 11 (Segmentation fault)".
  std::string Reap();

  pid_t pid_ = -1;
  int in_ = -1, out_ = -1, err_ = -1;  // our ends: its stdin, stdout, stderr
  std::string stderr_tail_;
  std::string pending_;  // bytes read past the last reply frame
  uint64_t memory_bytes_ = 0, cpu_seconds_ = 0;
};

}  // namespace lantern::pipeline
