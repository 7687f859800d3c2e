#include "io/pythia_source.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "io/data_files.h"
#include "io/interrupts.h"

extern char** environ;

namespace jetimg {
namespace {


// The last `lines` lines of a text file (the child's messages).
std::string tail_of(const std::string& path, int lines) {
  std::ifstream in(path);
  std::vector<std::string> all;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) all.push_back(line);
  std::string out;
  for (size_t i = all.size() > size_t(lines) ? all.size() - lines : 0; i < all.size(); ++i) out += "\n  " + all[i];
  return out;
}

}  // namespace

std::string pythia_python() { return project_python(); }
std::string pythia_script() {
  const char* script = std::getenv("JETIMG_PYTHIA_SCRIPT");
  return script && *script ? std::string(script) : data_file("python/pythia_events.py");
}

PythiaSource::PythiaSource(const PythiaRun& run) : run_(run) {
  const std::string python = pythia_python(), script = pythia_script();
  if (::access(python.c_str(), X_OK) != 0)
    fail("Pythia 8 runs in the project's Python environment, but '", python,
         "' is missing; ./run build sets it up (or set JETIMG_PYTHON)");
  if (::access(script.c_str(), R_OK) != 0) fail("the Pythia driver '", script, "' is missing");
  for (const std::string& s : run.settings)
    if (::access(s.c_str(), R_OK) != 0) fail("Pythia settings file '", s, "' cannot be read");

  std::vector<std::string> args = {python,
                                   script,
                                   "--process",
                                   run.process,
                                   "--events",
                                   std::to_string(run.events),
                                   "--seed",
                                   std::to_string(run.seed),
                                   "--workers",
                                   std::to_string(run.workers),
                                   "--block",
                                   std::to_string(run.block)};
  for (const std::string& s : run.settings) args.insert(args.end(), {"--settings", s});
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  char log_template[] = "/tmp/jetimg-pythia-XXXXXX";
  const int log_fd = ::mkstemp(log_template);
  if (log_fd < 0) fail("cannot create a log file for Pythia in /tmp: ", std::strerror(errno));
  log_path_ = log_template;
  log_slot_ = remove_on_interrupt(log_path_);
  int fds[2];
  if (::pipe(fds) != 0) {
    ::close(log_fd);
    fail("cannot create a pipe for Pythia: ", std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, log_fd, 2);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  // The driver and its worker processes get a process group of their own, so
  // that an interrupt of jetimg ends all of them at once (io/interrupts.h).
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  const int rc = ::posix_spawn(&child_, python.c_str(), &actions, &attributes, argv.data(), environ);
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  if (rc == 0) interrupt_slot_ = end_on_interrupt(child_);
  ::close(fds[1]);
  ::close(log_fd);
  if (rc != 0) {
    ::close(fds[0]);
    child_ = -1;
    fail("cannot start '", python, "': ", std::strerror(rc));
  }
  pipe_ = fds[0];
  try {
    hepmc_ = std::make_unique<HepMCSource>("/dev/fd/" + std::to_string(pipe_), 3, FinalStateSelection{});
  } catch (const Error&) {
    finish();  // the child's own message says more than the reader's
    throw;
  }
}

PythiaSource::~PythiaSource() {
  hepmc_.reset();
  if (pipe_ >= 0) ::close(pipe_);
  if (child_ > 0) {
    ::kill(-child_, SIGTERM);  // the driver and its workers
    int status = 0;
    ::waitpid(child_, &status, 0);
  }
  release_interrupt_slot(interrupt_slot_);
  if (!log_path_.empty()) ::unlink(log_path_.c_str());
  release_interrupt_slot(log_slot_);
}

EventBatch PythiaSource::read_batch(int64_t n) {
  if (finished_) return {};
  EventBatch batch = hepmc_->read_batch(n);
  counts_ = hepmc_->counts();
  delivered_ += static_cast<int64_t>(batch.size());
  if (batch.empty()) finish();
  return batch;
}

void PythiaSource::finish() {
  finished_ = true;
  if (child_ <= 0) return;
  int status = 0;
  while (::waitpid(child_, &status, 0) < 0 && errno == EINTR) {
  }
  child_ = -1;
  release_interrupt_slot(interrupt_slot_);
  interrupt_slot_ = -1;
  const std::string messages = tail_of(log_path_, 8);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const std::string how = WIFEXITED(status) ? "exited with code " + std::to_string(WEXITSTATUS(status))
                                              : "was killed by signal " + std::to_string(WTERMSIG(status));
    fail("Pythia (", pythia_script(), ") ", how, messages.empty() ? "" : ":", messages);
  }
  if (delivered_ + counts_.skipped < run_.events)
    fail("Pythia stopped after ", delivered_, " of ", run_.events, " events", messages);
}

Json PythiaSource::provenance() const {
  return {{"process", run_.process},
          {"generator", "pythia8"},
          {"seed", run_.seed},
          {"events", run_.events},
          {"block", run_.block},
          {"settings_files", run_.settings},
          {"driver", pythia_script()}};
}

}  // namespace jetimg
