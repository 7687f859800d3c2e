"""Shared pieces of the hostile-input suite (tests/python/hostile/).

The project's rule: bad input gets ONE clear message naming the file (and the
record, dataset or key) and exit 1 (bad input) or 2 (bad usage) -- never a
signal, a hang, unbounded memory, an 'internal error' or C++ exception text;
nothing half-written (no NAME.tmp-PID) is left behind and no existing file
loses its bytes.

This module runs the jetimg binary under a memory limit and a timeout,
measures the child's peak RSS, and turns what it sees into readable problem
lines. Checks never raise: each returns a list of problems, and a Suite
collects them, so one run reports every failing case.

The binary: argv[1], else $JETIMG_BIN, else build/jetimg of this checkout.
$JETIMG_SANITIZED=1 turns off the address-space limit (AddressSanitizer
reserves terabytes of virtual memory); $JETIMG_JOBS sets the parallelism.
"""
import concurrent.futures
import hashlib
import os
import re
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
GiB = 1 << 30
# Text that must never reach the user: crashes, sanitizers, leaked C++ exceptions.
FORBIDDEN = ("internal error", "std::", "terminate called", "Segmentation", "Aborted", "bad_alloc",
             "AddressSanitizer", "runtime error:", "HDF5-DIAG", "core dumped")
SKIP = 77


def require_h5py():
    """Exit 77 (skip) when h5py or numpy is missing."""
    try:
        import h5py  # noqa: F401
        import numpy  # noqa: F401
    except ImportError as e:
        print(f"SKIP: {e} (run with the project's .venv/bin/python)")
        sys.exit(SKIP)


def binary_from_argv(argv=None):
    argv = sys.argv if argv is None else argv
    args = [a for a in argv[1:] if not a.startswith("--")]
    path = args[0] if args else os.environ.get("JETIMG_BIN") or os.path.join(SOURCE_DIR, "build", "jetimg")
    path = os.path.abspath(path)
    # The binary may be briefly missing while someone relinks it: wait for it.
    for _ in range(240):
        if os.access(path, os.X_OK):
            break
        time.sleep(0.5)
    return path


BIN = None  # set by Suite(); run_jetimg uses it unless given another


def sanitized():
    return os.environ.get("JETIMG_SANITIZED") == "1"


def quick():
    """$JETIMG_HOSTILE_QUICK=1 (as ctest runs it): each crafted file goes to one
    reader in turn rather than to all, and fewer fuzz mutants are made."""
    return os.environ.get("JETIMG_HOSTILE_QUICK") == "1"


class Result:
    def __init__(self, cmd, cwd, rc, stdout, stderr, peak_rss, timed_out, seconds):
        self.cmd, self.cwd, self.rc = cmd, cwd, rc
        if sanitized():  # ASan's note that a malloc too large to serve returned NULL (as glibc's does)
            stderr = re.sub(r"(?m)^==\d+==WARNING: AddressSanitizer failed to allocate 0x[0-9a-f]+ bytes\n", "", stderr)
        self.stdout, self.stderr = stdout, stderr
        self.peak_rss, self.timed_out, self.seconds = peak_rss, timed_out, seconds

    @property
    def signal(self):
        return -self.rc if self.rc is not None and self.rc < 0 else None

    def status(self):
        if self.timed_out:
            return f"TIMED OUT after {self.seconds:.1f} s"
        if self.signal:
            try:
                name = signal.Signals(self.signal).name
            except ValueError:
                name = str(self.signal)
            return f"killed by {name}"
        return f"rc={self.rc}"

    def describe(self, lines=4):
        """The command line, status, peak RSS and the first lines of stderr (and stdout)."""
        cmd = " ".join(shlex.quote(os.path.basename(c) if i == 0 else c) for i, c in enumerate(self.cmd))
        out = [f"    $ (cd {self.cwd} && {cmd})",
               f"    {self.status()}, peak RSS {self.peak_rss / 2**20:.0f} MiB, {self.seconds:.2f} s"]
        err = [l for l in self.stderr.splitlines() if l.strip()]
        for l in err[:lines]:
            out.append("    stderr: " + l[:300])
        if len(err) > lines:
            out.append(f"    stderr: ... ({len(err) - lines} more lines)")
        if not err:
            for l in [l for l in self.stdout.splitlines() if l.strip()][-2:]:
                out.append("    stdout: " + l[:300])
        return "\n".join(out)

    def first_line(self):
        err = [l for l in self.stderr.splitlines() if l.strip()]
        return err[0] if err else ""


class Running:
    """A started jetimg process (its own session, so the whole group can be signalled)."""

    def __init__(self, args, cwd, mem_limit_bytes=4 * GiB, env=None, binary=None):
        self.cmd = [binary or BIN] + [str(a) for a in args]
        self.cwd = str(cwd)
        self._out, self._err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
        limit = None if sanitized() else mem_limit_bytes

        def limits():  # runs in the child between fork and exec
            if limit:
                resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

        full_env = dict(os.environ)
        full_env.update(env or {})
        for attempt in range(240):  # the binary may be missing or busy for a moment while it is relinked
            try:
                self.t0 = time.monotonic()
                self.proc = subprocess.Popen(self.cmd, cwd=self.cwd, stdin=subprocess.DEVNULL, stdout=self._out,
                                             stderr=self._err, preexec_fn=limits, start_new_session=True,
                                             env=full_env)
                break
            except OSError as e:  # ENOENT, EACCES, ETXTBSY
                if attempt == 239 or not os.path.dirname(self.cmd[0]) or os.path.isdir(self.cmd[0]):
                    raise
                time.sleep(0.5)
        self.pid = self.proc.pid
        self._status = None
        # wait4 in a thread: it gives the exit status and the child's own rusage (peak RSS).
        self._waiter = threading.Thread(target=self._wait, daemon=True)
        self._waiter.start()

    def _wait(self):
        _, status, usage = os.wait4(self.pid, 0)
        self._status = (status, usage)

    def send(self, sig):
        try:
            os.kill(self.pid, sig)
        except ProcessLookupError:
            pass

    def finished(self):
        return self._status is not None

    def wait(self, timeout=60, kill_group=True):
        self._waiter.join(timeout)
        timed_out = self._waiter.is_alive()
        if timed_out:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._waiter.join()
        seconds = time.monotonic() - self.t0
        status, usage = self._status
        rc = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        self.proc.returncode = rc  # already reaped: keep Popen from waiting again
        if kill_group:  # helpers the run started and left behind (its session is its own)
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        outs = []
        for f in (self._out, self._err):
            f.seek(0)
            outs.append(f.read().decode("utf-8", "replace"))
            f.close()
        return Result(self.cmd, self.cwd, rc, outs[0], outs[1], usage.ru_maxrss * 1024, timed_out, seconds)


def run_jetimg(args, cwd, timeout=60, mem_limit_bytes=4 * GiB, env=None, binary=None):
    """Runs jetimg ARGS in CWD; returns a Result (rc < 0: killed by signal -rc)."""
    return Running(args, cwd, mem_limit_bytes, env, binary).wait(timeout)


def _bad_text(r):
    text = r.stdout + "\n" + r.stderr
    return [f"output contains {f!r}" for f in FORBIDDEN if f in text]


def crash_problems(r, max_rss=GiB):
    """What is never acceptable, whatever the exit code."""
    p = []
    if r.timed_out:
        p.append(f"did not finish within {r.seconds:.0f} s (hang?)")
    elif r.signal:
        p.append(r.status())
    p += _bad_text(r)
    if max_rss and r.peak_rss > max_rss:
        p.append(f"peak RSS {r.peak_rss / 2**20:.0f} MiB > {max_rss / 2**20:.0f} MiB")
    return p


class Word(str):
    """A name that must occur as a whole word: 'pt' is not found in 'trimmed_pt' or 'expt'."""

    def found_in(self, text):
        return re.search(r"(?<![\w.-])" + re.escape(self) + r"(?![\w-])", text) is not None


class Key(Word):
    """A config key as a message may name it: 'pt_min', 'generator.pt_min' or 'layers[1].units'."""

    def found_in(self, text):
        spelled = re.escape(self) + "|" + re.escape(self.replace("_", " ")) + "s?"  # 'image_size' or 'image size'
        return re.search(r"(?<![\w\[\].-])(?:[\w\[\]]+\.)*(?:" + spelled + r")(?![\w-])", text) is not None


def names_problems(text, must_name):
    """Each entry of must_name must occur in text; an entry that is a tuple needs one of its strings."""
    p = []
    for need in must_name or ():
        options = need if isinstance(need, (tuple, list)) else (need,)
        if options and not any(o.found_in(text) if isinstance(o, Word) else o in text for o in options):
            p.append("message does not name " + " or ".join(repr(o) for o in options))
    return p


def expect_clean_failure(r, must_name=(), rcs=(1, 2), max_lines=3, max_rss=GiB):
    """Problems with r as a refusal: rc in rcs, not a signal, a short stderr naming must_name."""
    p = crash_problems(r, max_rss)
    if p and (r.timed_out or r.signal):
        return p
    if r.rc == 0:
        return p + ["exit 0: the bad input was accepted"]
    if r.rc not in rcs:
        p.append(f"exit {r.rc}, expected {' or '.join(map(str, rcs))}")
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    # A device-choice note ("device auto: using the CPU ...") is not part of the error.
    lines = [l for l in lines if not l.startswith("jetimg: device auto:")]
    if not lines:
        p.append("nothing on stderr")
    elif len(lines) > max_lines:
        p.append(f"{len(lines)} lines on stderr (at most {max_lines})")
    return p + names_problems(r.stderr, must_name)


def expect_success(r, max_rss=GiB):
    p = crash_problems(r, max_rss)
    if not p and r.rc != 0:
        p.append(f"exit {r.rc}, expected 0")
    return p


def expect_either(r, must_name=(), max_rss=GiB):
    """Accepted (rc 0) or refused cleanly: for input the tool may legitimately read."""
    if r.rc == 0 and not r.timed_out:
        return expect_success(r, max_rss)
    return expect_clean_failure(r, must_name, max_rss=max_rss)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def snapshot(path):
    """{relative path: sha256 (or 'link -> target')} of every file under path (or of one file)."""
    if os.path.isfile(path) and not os.path.islink(path):
        return {os.path.basename(path): sha256(path)}
    snap = {}
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            full = os.path.join(root, name)
            rel = os.path.relpath(full, path)
            if os.path.islink(full):
                snap[rel] = "link -> " + os.readlink(full)
            elif os.path.isfile(full):
                snap[rel] = sha256(full)
    return snap


def assert_unchanged(before, path, allow_new=True):
    """Problems: files in the snapshot `before` that are gone or have other bytes now."""
    after = snapshot(path)
    p = [f"'{k}' was {'removed' if k not in after else 'changed'}" for k in sorted(before)
         if after.get(k) != before[k]]
    if not allow_new:
        p += [f"'{k}' appeared" for k in sorted(after) if k not in before]
    return p


def temp_files(path):
    found = []
    for root, dirs, files in os.walk(path):
        found += [os.path.relpath(os.path.join(root, n), path) for n in files + dirs if ".tmp-" in n]
    return found


def assert_no_temp_files(path, result=None):
    """Problems: NAME.tmp-PID files under path. After a run we killed (timeout) they are removed instead:
    a SIGKILLed process cannot tidy up, and the hang is reported on its own."""
    if result is not None and result.timed_out:
        for t in temp_files(path):
            full = os.path.join(path, t)
            shutil.rmtree(full, ignore_errors=True) if os.path.isdir(full) else os.remove(full)
        return []
    return [f"temporary file left behind: {t}" for t in temp_files(path)]


class Suite:
    """Collects passes, failures (with the evidence) and skips; finish() prints and returns the exit code."""

    def __init__(self, title, argv=None):
        global BIN
        BIN = binary_from_argv(argv)
        self.bin = BIN
        self.title = title
        self.passed, self.failures, self.skips = 0, [], []
        self.lock = threading.Lock()
        self.t0 = time.monotonic()
        self.verbose = os.environ.get("JETIMG_VERBOSE") == "1"
        print(f"== {title}: {BIN}", flush=True)

    def check(self, case, problems, result=None):
        """Records `case` as passed if problems is empty, else as failed with the evidence."""
        with self.lock:
            if not problems:
                self.passed += 1
                if self.verbose:
                    print(f"ok   {case}", flush=True)
                return True
            text = f"FAIL {case}: " + "; ".join(problems)
            if result is not None:
                text += "\n" + result.describe()
            self.failures.append(text)
            print(text, flush=True)
            return False

    def fail(self, case, what, result=None):
        return self.check(case, [what], result)

    def skip(self, case, reason):
        with self.lock:
            self.skips.append(f"SKIP {case}: {reason}")
            print(self.skips[-1], flush=True)

    def parallel(self, fn, items, jobs=None):
        """Calls fn(item) for every item on a few threads (each call runs its own jetimg processes)."""
        jobs = jobs or int(os.environ.get("JETIMG_JOBS", "0")) or max(2, os.cpu_count() or 2)
        with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
            for f in [pool.submit(fn, i) for i in items]:
                try:
                    f.result()
                except Exception as e:  # a bug in the test itself: report it, keep going
                    self.fail("test harness", f"{type(e).__name__}: {e}")

    def finish(self):
        seconds = time.monotonic() - self.t0
        print(f"SUMMARY {self.title}: {self.passed} passed, {len(self.failures)} failed, "
              f"{len(self.skips)} skipped in {seconds:.0f} s", flush=True)
        if self.failures:
            return 1
        return SKIP if self.skips and not self.passed else 0
