"""Start the book's kernels as forks of one process that has already imported torch.

A fresh kernel spends most of its life importing: ipykernel, torch (2-3 s),
``torch._dynamo`` and sympy (about 2 s, wherever an optimizer or
``torch.func`` appears), matplotlib; then Python's exit clean-up with torch
loaded takes another second or more. The cells of a page run in a fraction of
that. This module is two programs:

``python kernel_server.py serve SOCKET OWNER``
    The fork server. It imports :data:`PRELOADED` (and runs no torch
    operation: a fork after autograd or OpenMP has started threads is unsafe,
    pytorch issues 3966 and 21956), listens on the Unix socket ``SOCKET``,
    and for each request forks a child that becomes an ordinary ipykernel
    with the request's working directory, environment, file descriptors and
    command line. It stops, killing the kernels it started, when asked, when
    it receives SIGTERM, SIGINT or SIGHUP, or when the process ``OWNER`` (the
    build) exits.
``python kernel_server.py kernel -f CONNECTION_FILE ...``
    A plain kernel in a process of its own: the command of the book's
    kernelspec, and what a forked child runs too.

Either way the kernel is ``python -m ipykernel_launcher`` as Jupyter starts
it, with two differences: the process exits with :func:`os._exit` once the
kernel has shut down, skipping the interpreter's slow clean-up (every output
has been sent by then), and a forked child draws fresh seeds for Python's,
NumPy's and torch's random generators, as a new process does.

Its counterpart in the build is the kernel provisioner in ``book_kernels.py``.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import random
import runpy
import selectors
import shutil
import signal
import socket
import sys
import traceback
from typing import Any

# Imported by the server before it forks. Part of the execution cache's
# fingerprint (execution_cache.py hashes this file), since what is imported
# before a notebook starts could change what it prints.
PRELOADED = (
    "torch",
    "torch._dynamo",  # and sympy: optimizers and torch.func import it lazily
    "torch.func",
    # pyplot loads its backend on first use, in the kernel. The inline
    # backend must not be imported here: importing it is what hooks it into
    # the kernel's shell, which does not exist yet.
    "matplotlib.pyplot",
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
)
# ipykernel sets this backend when MPLBACKEND is unset; the server sets it
# before importing matplotlib, so that pyplot starts with the kernel's backend.
MATPLOTLIB_BACKEND = "module://matplotlib_inline.backend_inline"
# Environment variables read when the preloaded modules are imported (thread
# counts, allocator and backend settings). A kernel whose environment gives
# them other values than the server's, or another hash seed (fixed when an
# interpreter starts), cannot be a fork of the server; the provisioner then
# starts it as a plain process.
IMPORT_TIME_PREFIXES = ("PYTHONHASHSEED", "OMP_", "MKL_", "OPENBLAS_", "TORCH", "PYTORCH", "MPL")
# A request is one line of JSON, with the kernel's stdout and stderr passed
# as file descriptors (SCM_RIGHTS).
MAX_REQUEST = 1 << 20
# sys.path as a fresh interpreter has it, without the script's folder: a
# child puts its own working directory first, as ``python -m`` does.
BASE_PATH = list(sys.path[1:])


def import_time_environment(env: dict[str, str]) -> dict[str, str]:
    """Return the variables of ``env`` that the preloaded modules read when imported."""
    return {key: value for key, value in env.items() if key.startswith(IMPORT_TIME_PREFIXES)}


def preimport() -> None:
    """Import :data:`PRELOADED`, with matplotlib's backend set first, running no torch operation."""
    os.environ.setdefault("MPLBACKEND", MATPLOTLIB_BACKEND)
    for name in PRELOADED:
        importlib.import_module(name)


def settle_threads() -> None:
    """Fork once and reap the child, so that libraries stop the threads they keep around a fork.

    NumPy's OpenBLAS starts its thread pool when it is loaded (with torch)
    and stops it before every fork, in a handler of its own, starting it again
    lazily, in the parent and in the child alike, at its next use. The server
    never uses it again, so after this first fork it has only its main thread,
    which :meth:`Server._fork` checks before each kernel.
    """
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)


def run_kernel(arguments: list[str]) -> None:
    """Run ipykernel as ``python -m ipykernel_launcher ARGUMENTS`` would, then exit at once.

    Never returns: the process ends with :func:`os._exit`.
    """
    code = 1
    try:
        sys.path[:] = [os.getcwd(), *BASE_PATH]
        sys.argv = ["ipykernel_launcher", *arguments]
        runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as error:
        code = error.code if isinstance(error.code, int) else (0 if error.code is None else 1)
    finally:
        for stream in (sys.__stdout__, sys.__stderr__):
            with contextlib.suppress(Exception):
                stream.flush()  # type: ignore[union-attr]
        os._exit(code)


def _fresh_random_state() -> None:
    # A fork copies its parent's generators; a new process seeds them anew.
    random.seed()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.seed()


def _fresh_working_directory() -> None:
    # multiprocessing notes the working directory when it is imported (torch
    # imports it), and a spawned process finds the modules beside its parent's
    # notebook through it: it must be the kernel's, not the server's.
    # Its authentication key for them is drawn anew too, as in a new process.
    process = sys.modules.get("multiprocessing.process")
    if process is not None:
        process.ORIGINAL_DIR = os.path.abspath(os.getcwd())  # type: ignore[attr-defined]
        process.current_process().authkey = os.urandom(32)


class Server:
    """The fork server's state: its socket, its kernels and the build it serves."""

    def __init__(self, path: str, owner: int) -> None:
        self.path = path
        self.selector = selectors.DefaultSelector()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(16)
        self.selector.register(self.listener, selectors.EVENT_READ, self._accept)
        self.owner = os.pidfd_open(owner)
        self.owner_gone = False
        self.selector.register(self.owner, selectors.EVENT_READ, self._owner_exited)
        self.wakeup, wakeup_writer = socket.socketpair()
        self.wakeup_writer = wakeup_writer
        self.wakeup.setblocking(False)
        wakeup_writer.setblocking(False)
        signal.set_wakeup_fd(wakeup_writer.fileno())
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, lambda *_: None)  # wakes the loop up through the fd
        self.selector.register(self.wakeup, selectors.EVENT_READ, self._stop)
        self.kernels: dict[int, tuple[socket.socket, int]] = {}  # pid: (client, pidfd)
        self.environment = import_time_environment(dict(os.environ))
        self.running = True

    def serve(self) -> None:
        """Answer requests until told to stop, then kill the kernels still running."""
        try:
            while self.running:
                for key, _ in self.selector.select():
                    key.data(key.fileobj)
        finally:
            for pid in list(self.kernels):
                with contextlib.suppress(OSError):
                    os.killpg(pid, signal.SIGKILL)
                self._reap(pid)
            with contextlib.suppress(OSError):
                os.unlink(self.path)
            if self.owner_gone:
                # The build died without cleaning up: remove its private folder.
                shutil.rmtree(os.path.dirname(self.path), ignore_errors=True)

    def _stop(self, _: object) -> None:
        self.running = False

    def _owner_exited(self, _: object) -> None:
        self.owner_gone = True
        self.running = False

    def _accept(self, _: object) -> None:
        client, _address = self.listener.accept()
        client.settimeout(10)
        try:
            request, fds = self._receive(client)
        except (OSError, ValueError) as error:
            with contextlib.suppress(OSError):
                client.sendall(json.dumps({"error": str(error)}).encode() + b"\n")
            client.close()
            return
        if request.get("op") == "stop":
            client.close()
            self.running = False
            return
        try:
            if len(fds) != 2:
                raise ValueError("a kernel needs its stdout and stderr")
            if import_time_environment(request["env"]) != self.environment:
                raise ValueError("the kernel's environment differs from the server's")
            pid = self._fork(request, fds)
        except (OSError, ValueError) as error:
            client.sendall(json.dumps({"error": str(error)}).encode() + b"\n")
            client.close()
            return
        finally:
            for fd in fds:
                os.close(fd)
        pidfd = os.pidfd_open(pid)
        self.kernels[pid] = (client, pidfd)
        client.sendall(json.dumps({"pid": pid}).encode() + b"\n")
        self.selector.register(pidfd, selectors.EVENT_READ, lambda _: self._reap(pid))
        self.selector.register(client, selectors.EVENT_READ, lambda _: self._orphaned(pid))

    @staticmethod
    def _receive(client: socket.socket) -> tuple[dict[str, Any], list[int]]:
        data = b""
        fds: list[int] = []
        while not data.endswith(b"\n"):
            chunk, received, _flags, _address = socket.recv_fds(client, MAX_REQUEST, 4)
            if not chunk:
                raise ValueError("the request ended early")
            data += chunk
            fds.extend(received)
        request: dict[str, Any] = json.loads(data)
        return request, fds

    def _fork(self, request: dict[str, Any], fds: list[int]) -> int:
        if len(os.listdir("/proc/self/task")) != 1:
            raise ValueError("the server has started threads; a fork would not be safe")
        pid = os.fork()
        if pid:
            return pid
        try:
            self._become_kernel(request, fds)
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(1)

    def _become_kernel(self, request: dict[str, Any], fds: list[int]) -> None:
        os.setsid()  # a process group of its own, as Jupyter starts kernels
        signal.set_wakeup_fd(-1)
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        self.selector.close()
        for kernel_client, pidfd in self.kernels.values():
            kernel_client.close()
            os.close(pidfd)
        for closing in (self.listener, self.wakeup, self.wakeup_writer):
            closing.close()
        os.close(self.owner)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.dup2(fds[0], 1)
        os.dup2(fds[1], 2)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        _fresh_random_state()
        _fresh_working_directory()
        argv: list[str] = request["argv"]
        run_kernel(argv[argv.index("kernel") + 1 :])

    def _reap(self, pid: int) -> None:
        client, pidfd = self.kernels.pop(pid)
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(pidfd)
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(client)
        _, status = os.waitpid(pid, 0)
        os.close(pidfd)
        with contextlib.suppress(OSError):
            client.sendall(json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode() + b"\n")
        client.close()

    def _orphaned(self, pid: int) -> None:
        # The build process that asked for this kernel has gone (or closed
        # its end): nobody will shut the kernel down, so it is killed.
        client, _ = self.kernels[pid]
        with contextlib.suppress(OSError):
            if client.recv(4096):
                return  # nothing is expected from the client; what it sent is ignored
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
        self.selector.unregister(client)


def main(arguments: list[str]) -> None:
    """Run the fork server or a plain kernel, as the first argument says."""
    if arguments[:1] == ["kernel"]:
        run_kernel(arguments[1:])
    if len(arguments) != 3 or arguments[0] != "serve":
        sys.exit("usage: kernel_server.py serve SOCKET OWNER_PID | kernel -f CONNECTION_FILE ...")
    path, owner = arguments[1], int(arguments[2])
    server = Server(path, owner)  # listening before the imports: requests wait in the backlog
    preimport()
    settle_threads()
    server.serve()


if __name__ == "__main__":
    main(sys.argv[1:])
