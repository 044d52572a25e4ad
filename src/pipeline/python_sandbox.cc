#include "pipeline/python_sandbox.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>

#ifndef LANTERN_PYTHON_SOURCE_DIR
#define LANTERN_PYTHON_SOURCE_DIR ""
#endif

namespace lantern::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kStderrTail = 4096;
constexpr uint32_t kMaxReply = 64u << 20;
// Inside the sandbox the package folder is mounted here (worker.py allows reads below it).
constexpr const char* kPackageMount = "/opt/lantern";
constexpr const char* kBootstrap =
    "import sys; sys.path.insert(0, '/opt/lantern'); "
    "from lantern_filter.worker import main; sys.exit(main())";

#if defined(__x86_64__)
constexpr uint32_t kAuditArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr uint32_t kAuditArch = AUDIT_ARCH_AARCH64;
#else
#error "python_sandbox: add the seccomp audit arch of this architecture"
#endif

sock_filter Stmt(uint16_t code, uint32_t k) { return sock_filter{code, 0, 0, k}; }
sock_filter Jump(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) {
  return sock_filter{code, jt, jf, k};
}

// The seccomp program bwrap installs before it executes python: new processes and sockets are
// refused with an errno (threads, i.e. clone with CLONE_THREAD, stay allowed: numpy starts
// them); clone3 says ENOSYS so that libc falls back to clone, whose flags a filter can read.
// Another architecture's system call table (x32, 32-bit) kills the process.
std::vector<sock_filter> SeccompProgram() {
  const uint32_t kEperm = SECCOMP_RET_ERRNO | EPERM;
  std::vector<sock_filter> p;
  p.push_back(Stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
  p.push_back(Jump(BPF_JMP | BPF_JEQ | BPF_K, kAuditArch, 1, 0));
  p.push_back(Stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
  p.push_back(Stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
#if defined(__x86_64__)
  p.push_back(Jump(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1));  // x32 ABI
  p.push_back(Stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
#endif
  auto refuse = [&](uint32_t nr, uint32_t ret) {
    p.push_back(Jump(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1));
    p.push_back(Stmt(BPF_RET | BPF_K, ret));
  };
#ifdef SYS_fork
  refuse(SYS_fork, kEperm);
#endif
#ifdef SYS_vfork
  refuse(SYS_vfork, kEperm);
#endif
  refuse(SYS_clone3, SECCOMP_RET_ERRNO | ENOSYS);
  refuse(SYS_socket, kEperm);
  refuse(SYS_socketpair, kEperm);
  // clone: allowed only for threads (flags, the first argument, include CLONE_THREAD).
  p.push_back(Jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 4));
  p.push_back(Stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[0])));
  p.push_back(Jump(BPF_JMP | BPF_JSET | BPF_K, CLONE_THREAD, 0, 1));
  p.push_back(Stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  p.push_back(Stmt(BPF_RET | BPF_K, kEperm));
  p.push_back(Stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  return p;
}

// bwrap's command line. /bin, /lib… are symlinks into /usr on merged-/usr systems (recreated
// as symlinks) or folders (bound read-only).
std::vector<std::string> SandboxArgv(const SandboxLimits& limits, const std::string& package) {
  std::vector<std::string> a = {
      limits.bwrap, "--unshare-all", "--unshare-user", "--uid", "65534", "--gid", "65534",
      "--die-with-parent", "--new-session", "--clearenv", "--setenv", "PATH", "/usr/bin",
      "--setenv", "HOME", "/tmp", "--setenv", "LANG", "C.UTF-8", "--ro-bind", "/usr", "/usr"};
  for (const char* dir : {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) {
    std::error_code ec;
    const auto st = std::filesystem::symlink_status(dir, ec);
    if (ec) continue;
    if (std::filesystem::is_symlink(st)) {
      const auto target = std::filesystem::read_symlink(dir, ec);
      if (!ec) a.insert(a.end(), {"--symlink", target.string(), dir});
    } else if (std::filesystem::is_directory(st)) {
      a.insert(a.end(), {"--ro-bind", dir, dir});
    }
  }
  a.insert(a.end(), {"--ro-bind", package + "/lantern_filter",
                     std::string(kPackageMount) + "/lantern_filter", "--size",
                     std::to_string(limits.tmp_bytes), "--tmpfs", "/tmp", "--proc", "/proc",
                     "--dev", "/dev", "--chdir", "/tmp", "--seccomp", "3", limits.python, "-I",
                     "-B", "-c", kBootstrap});
  return a;
}

void SetLimit(int resource, uint64_t soft, uint64_t hard) {
  rlimit r{static_cast<rlim_t>(soft), static_cast<rlim_t>(hard)};
  ::setrlimit(resource, &r);
}

// Moves `fd` to `target` without close-on-exec (dup2 onto itself would keep the flag).
void MoveFd(int fd, int target) {
  if (fd == target) {
    ::fcntl(fd, F_SETFD, 0);
  } else {
    ::dup2(fd, target);
  }
}

std::string SignalText(int sig) {
  switch (sig) {
    case SIGXCPU: return "SIGXCPU: the CPU-time limit was reached";
    case SIGKILL: return "SIGKILL";
    case SIGSEGV: return "SIGSEGV: segmentation fault";
    case SIGABRT: return "SIGABRT: aborted";
    case SIGBUS: return "SIGBUS";
    case SIGSYS: return "SIGSYS: a forbidden system call";
    case SIGXFSZ: return "SIGXFSZ: the file-size limit was reached";
    default: return fmt::format("signal {}", sig);
  }
}

// Runs fork() on one thread that lives as long as the process. bwrap's --die-with-parent is
// PR_SET_PDEATHSIG, which fires when the *thread* that forked ends: a worker started by a
// short-lived thread would be killed while another thread still uses it.
class Spawner {
 public:
  static Spawner& Get() {
    static Spawner* spawner = new Spawner();  // never destroyed: its thread runs to the end
    return *spawner;
  }
  // Forks on the spawner thread; the child runs `child` (which must exec or _exit).
  pid_t Fork(const std::function<void()>& child) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return job_ == nullptr; });
    job_ = &child;
    const uint64_t ticket = ++submitted_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return done_ >= ticket; });
    return result_;
  }

 private:
  Spawner() {
    std::thread([this] {
      std::unique_lock lock(mu_);
      for (;;) {
        cv_.wait(lock, [&] { return job_ != nullptr; });
        const pid_t pid = ::fork();
        if (pid == 0) {
          (*job_)();
          ::_exit(127);
        }
        result_ = pid < 0 ? -errno : pid;
        job_ = nullptr;
        ++done_;
        cv_.notify_all();
      }
    }).detach();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  const std::function<void()>* job_ = nullptr;
  uint64_t submitted_ = 0, done_ = 0;
  pid_t result_ = 0;
};

void AppendTail(std::string* tail, const char* data, size_t n) {
  tail->append(data, n);
  if (tail->size() > kStderrTail) tail->erase(0, tail->size() - kStderrTail);
}

}  // namespace

SandboxLimits SandboxLimitsFromEnvironment() {
  SandboxLimits limits;
  auto number = [](const char* name, uint64_t fallback) -> uint64_t {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') return fallback;
    char* end = nullptr;
    const unsigned long long n = std::strtoull(v, &end, 10);
    return (end != nullptr && *end == '\0' && n > 0) ? n : fallback;
  };
  limits.exchange_timeout = std::chrono::milliseconds(
      number("LANTERN_PYTHON_TIMEOUT_MS", limits.exchange_timeout.count()));
  limits.memory_bytes = number("LANTERN_PYTHON_MEMORY_MB", limits.memory_bytes >> 20) << 20;
  limits.cpu_seconds = number("LANTERN_PYTHON_CPU_S", limits.cpu_seconds);
  return limits;
}

std::string DefaultPythonPackageDir() {
  if (const char* env = std::getenv("LANTERN_PYTHON_PATH"); env != nullptr && *env != '\0') {
    return env;
  }
  return LANTERN_PYTHON_SOURCE_DIR;
}

Result<std::unique_ptr<SandboxProcess>> SandboxProcess::Start(const SandboxLimits& limits) {
  const std::string package =
      limits.package_dir.empty() ? DefaultPythonPackageDir() : limits.package_dir;
  std::error_code ec;
  if (package.empty() ||
      !std::filesystem::exists(std::filesystem::path(package) / "lantern_filter" / "worker.py",
                               ec)) {
    return NotFound("python filters: no lantern_filter package in '" + package +
                    "' (set LANTERN_PYTHON_PATH to the folder that holds lantern_filter/)");
  }
  for (const std::string& exe : {limits.bwrap, limits.python}) {
    if (::access(exe.c_str(), X_OK) != 0) {
      return NotFound("python filters need " + exe + " (Debian packages bubblewrap, python3)");
    }
  }
  // Everything the child needs is prepared here: after fork it may only make system calls.
  const std::vector<std::string> args = SandboxArgv(limits, package);
  std::vector<char*> argv;
  for (const std::string& s : args) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  const std::vector<sock_filter> program = SeccompProgram();

  int in[2], out[2], err[2], filter[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0) {
    return IoError(std::string("socketpair: ") + std::strerror(errno));
  }
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0 ||
      ::pipe2(filter, O_CLOEXEC) != 0) {
    return IoError(std::string("pipe: ") + std::strerror(errno));
  }
  const size_t program_bytes = program.size() * sizeof(sock_filter);
  // A few hundred bytes: fits the pipe buffer, so the write cannot block.
  if (::write(filter[1], program.data(), program_bytes) != static_cast<ssize_t>(program_bytes)) {
    return IoError("cannot write the seccomp program");
  }
  ::close(filter[1]);

  // Runs in the child between fork and exec: system calls only, nothing that allocates.
  const std::function<void()> child = [&] {
    ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    SetLimit(RLIMIT_AS, limits.memory_bytes, limits.memory_bytes);
    SetLimit(RLIMIT_CPU, limits.cpu_seconds, limits.cpu_seconds + 1);  // SIGXCPU, then SIGKILL
    SetLimit(RLIMIT_FSIZE, limits.file_bytes, limits.file_bytes);
    SetLimit(RLIMIT_NOFILE, 64, 64);
    SetLimit(RLIMIT_CORE, 0, 0);
    MoveFd(in[1], 0);
    MoveFd(out[1], 1);
    MoveFd(err[1], 2);
    MoveFd(filter[0], 3);
    ::syscall(SYS_close_range, 4u, ~0u, 0u);  // descriptors the parent opened without CLOEXEC
    ::execv(argv[0], argv.data());
    ::_exit(127);
  };
  const pid_t pid = Spawner::Get().Fork(child);
  ::close(in[1]);
  ::close(out[1]);
  ::close(err[1]);
  ::close(filter[0]);
  if (pid < 0) {
    ::close(in[0]);
    ::close(out[0]);
    ::close(err[0]);
    return IoError(std::string("fork: ") + std::strerror(-pid));
  }
  auto p = std::unique_ptr<SandboxProcess>(new SandboxProcess());
  p->pid_ = pid;
  p->in_ = in[0];
  p->out_ = out[0];
  p->err_ = err[0];
  p->memory_bytes_ = limits.memory_bytes;
  p->cpu_seconds_ = limits.cpu_seconds;
  for (int fd : {p->in_, p->out_, p->err_}) ::fcntl(fd, F_SETFL, O_NONBLOCK);
  return p;
}

SandboxProcess::~SandboxProcess() { Kill(); }

void SandboxProcess::Kill() {
  if (pid_ > 0) {
    // bwrap leads the group; its sandboxed children die with it (--die-with-parent, and the
    // pid namespace ends with its first process).
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
  for (int* fd : {&in_, &out_, &err_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

void SandboxProcess::DrainStderr() {
  if (err_ < 0) return;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(err_, buf, sizeof buf);
    if (n > 0) {
      AppendTail(&stderr_tail_, buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) {
      ::close(err_);
      err_ = -1;
    }
    return;
  }
}

std::string SandboxProcess::Reap() {
  if (pid_ <= 0) return "not running";
  // The worker closed its stdout; give it a moment to finish exiting before the verdict.
  int status = 0;
  pid_t got = 0;
  for (int i = 0; i < 200 && got == 0; ++i) {
    got = ::waitpid(pid_, &status, WNOHANG);
    if (got == 0) ::usleep(5000);
  }
  std::string why;
  if (got == pid_) {
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    // bwrap passes the sandboxed process's status on: 128 + signal when it was killed.
    why = code > 128 ? "killed by " + SignalText(code - 128)
                     : fmt::format("exited with code {}", code);
    if (code == 128 + SIGKILL) {
      why += fmt::format(" (memory limit {} MiB, CPU-time limit {} s)", memory_bytes_ >> 20,
                         cpu_seconds_);
    }
    pid_ = -1;
  } else {
    why = "closed its output";
  }
  DrainStderr();
  Kill();
  return why;
}

Result<std::string> SandboxProcess::Exchange(std::string_view request,
                                             std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return Internal("python worker is not running");
  std::string frame(4, '\0');
  const uint32_t len = static_cast<uint32_t>(request.size());
  for (int i = 0; i < 4; ++i) frame[i] = static_cast<char>((len >> (24 - 8 * i)) & 0xff);
  frame.append(request);
  size_t sent = 0;
  const auto deadline = Clock::now() + timeout;
  auto with_stderr = [&](std::string msg) {
    DrainStderr();
    std::string tail = stderr_tail_;
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
    if (tail.size() > 1000) tail = "…" + tail.substr(tail.size() - 1000);
    if (!tail.empty()) msg += "; stderr: " + tail;
    return msg;
  };
  for (;;) {
    // A complete reply?
    if (pending_.size() >= 4) {
      uint32_t n = 0;
      for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<uint8_t>(pending_[i]);
      if (n > kMaxReply) {
        Kill();
        return Internal(with_stderr(fmt::format(
            "python worker broke the protocol: reply of {} bytes (at most {})", n, kMaxReply)));
      }
      if (pending_.size() >= 4 + static_cast<size_t>(n)) {
        std::string reply = pending_.substr(4, n);
        pending_.erase(0, 4 + static_cast<size_t>(n));
        DrainStderr();
        return reply;
      }
    }
    const auto now = Clock::now();
    if (now >= deadline) {
      Kill();
      return Status(StatusCode::kDeadlineExceeded,
                    with_stderr(fmt::format("stopped after the wall-clock limit of {} ms",
                                            timeout.count())));
    }
    pollfd fds[3] = {{out_, POLLIN, 0}, {err_, POLLIN, 0}, {sent < frame.size() ? in_ : -1,
                                                           POLLOUT, 0}};
    const int wait_ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1);
    const int ready = ::poll(fds, 3, wait_ms);
    if (ready < 0 && errno != EINTR) return IoError(std::string("poll: ") + std::strerror(errno));
    if (ready <= 0) continue;
    if (fds[1].revents != 0) DrainStderr();
    if (fds[2].revents & (POLLERR | POLLHUP)) {
      return Internal(with_stderr("python worker " + Reap()));
    }
    if (fds[2].revents & POLLOUT) {
      const ssize_t n =
          ::send(in_, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        sent += static_cast<size_t>(n);
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        return Internal(with_stderr("python worker " + Reap()));
      }
    }
    if (fds[0].revents != 0) {
      char buf[65536];
      const ssize_t n = ::read(out_, buf, sizeof buf);
      if (n > 0) {
        pending_.append(buf, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        return Internal(with_stderr("python worker " + Reap()));
      }
    }
  }
}

}  // namespace lantern::pipeline
