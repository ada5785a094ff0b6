"""Sphinx extension: the kernels that execute the book's notebooks.

Every notebook still runs in a kernel process of its own, but that process is
forked from a server that has already imported torch, ``torch._dynamo`` and
matplotlib (``kernel_server.py``), it talks to the build over Unix sockets
(Jupyter's IPC transport, which ipykernel does not warn about as it does
about unencrypted TCP), and it exits without Python's slow clean-up.

How the build reaches these kernels. The pages name the kernelspec
``python3``; this extension writes a kernelspec of that name under
``_build/jupyter`` and puts that folder first on ``JUPYTER_PATH``, as it puts
the kernel's IPython configuration in a private ``IPYTHONDIR``. The
kernelspec names a kernel provisioner, :class:`ForkingProvisioner`, which is
jupyter_client's documented interface for starting, signalling and stopping a
kernel. jupyter_client finds provisioners by entry point; the build registers
this one for itself, with the metadata of a distribution that exists only
under ``_build/jupyter`` and is put on ``sys.path``, where
``importlib.metadata`` looks for entry points. The provisioner is not part of
the ``autograd_guide`` package that readers install. The provisioner was
chosen over the other seam, a kernelspec whose command is a small launcher
that asks the server to fork: with a launcher, jupyter_client would manage
the launcher rather than the kernel, so interrupts, timeouts and kills would
have to be relayed (and a killed launcher would leave its kernel running
unless the server watched it), each kernel would still pay for starting the
launcher's interpreter, and the transport, chosen by the client before the
launcher runs, would stay TCP. The provisioner needs nothing installed beyond
the project itself, signals the kernel's own process group as Jupyter does,
and chooses the transport. myst-nb and nbclient are used as they are.

Each kernel is announced as it starts and finishes ("notebook 3 of 15"), so
that a cold build shows its progress; a build that executes nothing prints
nothing.

The fork server is not used where :func:`os.fork` or pidfds are missing (not
Linux), with ``-D fork_kernels=0``, or when a build executes a single
notebook (an edited cell), for which starting it would cost more than it
saves; kernels then start as plain processes, on the same transport and with
the same fast exit. With ``-D book_kernels=0`` the build uses Jupyter's own
``python3`` kernelspec instead. The server is started by the first kernel a
build needs, and stopped when the build ends, when the build is interrupted
(it also watches the build's process) and with its kernels.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning.local_provisioner import LocalProvisioner
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import BuildEnvironment

SERVER_SCRIPT = Path(__file__).with_name("kernel_server.py")
# The provisioner's name, as pyproject.toml registers it.
PROVISIONER = "autograd-guide-forking"
# Set by the build for its reader processes and the kernels' provisioners.
RUNTIME_ENV = "AUTOGRAD_GUIDE_KERNELS"  # a private folder for sockets
FORK_ENV = "AUTOGRAD_GUIDE_FORK_KERNELS"  # "1" to fork kernels from the server
OWNER_ENV = "AUTOGRAD_GUIDE_BUILD_PID"  # the build, which the server outlives not
# The kernels' hash seed. A fork keeps its parent's, fixed when the server's
# interpreter started, so every kernel, forked or not, gets this one. MKL, the
# BLAS and LAPACK under torch's linear algebra, runs in one thread: with more,
# a busy machine makes some results (torch.linalg.lstsq) differ in their last
# bits from one execution to the next, and with them a page's figure.
KERNEL_ENV = {"PYTHONHASHSEED": "0", "MKL_NUM_THREADS": "1"}
SERVER_START_TIMEOUT = 30.0
SERVER_REPLY_TIMEOUT = 300.0


def fork_available() -> bool:
    """Return whether kernels can be forked from a server on this platform."""
    return sys.platform == "linux" and hasattr(os, "fork") and hasattr(os, "pidfd_open")


def kernelspec(python: str = sys.executable) -> dict[str, Any]:
    """Return the book's kernelspec, which starts kernels through :class:`ForkingProvisioner`."""
    return {
        "argv": [python, str(SERVER_SCRIPT), "kernel", "-f", "{connection_file}"],
        "display_name": "Python 3 (autograd-guide)",
        "language": "python",
        "env": KERNEL_ENV,
        "interrupt_mode": "signal",
        "metadata": {"kernel_provisioner": {"provisioner_name": PROVISIONER}},
    }


def _runtime_dir() -> Path:
    configured = os.environ.get(RUNTIME_ENV)
    if configured:
        return Path(configured)
    # Outside a build (a provisioner used by hand): a folder of its own.
    folder = Path(tempfile.mkdtemp(prefix="autograd-guide-kernels-"))
    os.environ[RUNTIME_ENV] = str(folder)
    return folder


# -- Progress ----------------------------------------------------------------

_progress: dict[str, Any] = {"total": 0, "docname": None}


def _announce(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def _next_number(runtime: Path) -> int:
    # Reader processes run in parallel: the count lives in a locked file.
    counter = runtime / "executed"
    with open(counter, "a+", encoding="ascii") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        file.seek(0)
        number = len(file.read()) + 1
        file.write(".")
    return number


# -- The fork server ---------------------------------------------------------


# The servers this process started, kept so that their Popen objects are not
# collected while they run; stop_server reaps them.
_servers: dict[Path, subprocess.Popen[bytes]] = {}


def _server_socket(runtime: Path) -> Path:
    return runtime / "server.sock"


def _connect(path: Path) -> socket.socket | None:
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.connect(str(path))
    except OSError:
        client.close()
        return None
    return client


def _server_connection(runtime: Path, env: dict[str, str]) -> socket.socket:
    """Connect to the build's fork server, starting it if no process has yet."""
    path = _server_socket(runtime)
    client = _connect(path)
    if client is not None:
        return client
    with open(runtime / "server.lock", "w", encoding="ascii") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        client = _connect(path)
        if client is not None:
            return client
        # The kernel's own environment: the server imports with it. It keeps
        # JPY_PARENT_PID, which ipykernel reads when imported to decide that a
        # client started it (otherwise it prints how to connect to it).
        server_env = dict(env)
        owner = os.environ.get(OWNER_ENV, str(os.getpid()))
        process = subprocess.Popen(
            [sys.executable, str(SERVER_SCRIPT), "serve", str(path), owner],
            env=server_env,
            cwd=runtime,
            stdin=subprocess.DEVNULL,
        )
        _servers[runtime] = process
        (runtime / "server.pid").write_text(str(process.pid), encoding="ascii")
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            client = _connect(path)
            if client is not None:
                return client
            if process.poll() is not None:
                break
            time.sleep(0.01)
    raise OSError(f"the kernel server did not start (socket {path})")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def stop_server(runtime: Path, timeout: float = 10.0) -> None:
    """Ask the fork server of ``runtime``, if one runs, to stop, and wait until it has."""
    client = _connect(_server_socket(runtime))
    if client is not None:
        with client:
            client.sendall(json.dumps({"op": "stop"}).encode() + b"\n")
    process = _servers.pop(runtime, None)
    if process is not None:  # started by this process (a serial build)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        return
    pid_file = runtime / "server.pid"
    if client is None or not pid_file.is_file():
        return
    pid = int(pid_file.read_text(encoding="ascii"))
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    if _alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


# -- The provisioner ---------------------------------------------------------


class ForkingProvisioner(LocalProvisioner):
    """Start kernels as forks of the build's kernel server, over IPC, or as plain processes.

    Plain processes are Jupyter's own local launch (:class:`LocalProvisioner`);
    they are used where forking is unavailable or turned off, and when the
    server cannot give a kernel the environment it asks for.
    """

    forked_pid: int | None = None
    _server: socket.socket | None = None
    _exit_code: int | None = None
    _started: float = 0.0
    _number: int = 0
    _docname: str | None = None

    @property
    def has_process(self) -> bool:
        """Whether a kernel process is running or waiting to be reaped."""
        return self.forked_pid is not None or super().has_process

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:  # noqa: ANN401
        """Choose the IPC transport, with sockets in the build's private folder."""
        km = self.parent
        if km is not None and os.name == "posix":
            km.transport = "ipc"
            km.ip = str(_runtime_dir() / f"kernel-{self.kernel_id[:8]}")
        return await super().pre_launch(**kwargs)

    async def launch_kernel(
        self,
        cmd: list[str],
        **kwargs: Any,  # noqa: ANN401 (Popen's keyword arguments)
    ) -> KernelConnectionInfo:
        """Fork the kernel from the server if possible, else launch it as Jupyter does."""
        runtime = _runtime_dir()
        self._started = time.perf_counter()
        self._docname = _progress["docname"]
        if self._docname is not None and _progress["total"]:
            self._number = _next_number(runtime)
            _announce(f"executing notebook {self._number} of {_progress['total']}: {self._docname}")
        # The server imports more than one notebook may need (torch._dynamo
        # and sympy above all): it pays for itself from the second notebook
        # of a build on, so a build that executes one starts it plainly.
        if os.environ.get(FORK_ENV) == "1" and fork_available() and _progress["total"] != 1:
            env = dict(kwargs.get("env") or os.environ)
            env["JPY_PARENT_PID"] = str(os.getpid())  # as jupyter_client's launcher sets it
            try:
                self._fork(runtime, cmd, env, kwargs.get("cwd") or os.getcwd())
            except OSError as error:
                if not _progress.get("fallback"):
                    _progress["fallback"] = True
                    _announce(f"kernels start as plain processes: {error}")
            else:
                return self.connection_info
        return await super().launch_kernel(cmd, **kwargs)

    def _fork(self, runtime: Path, cmd: list[str], env: dict[str, str], cwd: str) -> None:
        client = _server_connection(runtime, env)
        request = json.dumps({"argv": cmd, "env": env, "cwd": str(cwd)}).encode() + b"\n"
        client.settimeout(SERVER_REPLY_TIMEOUT)  # the server may still be importing torch
        socket.send_fds(client, [request], [sys.stdout.fileno(), sys.stderr.fileno()])
        data = b""
        while not data.endswith(b"\n") and (chunk := client.recv(4096)):
            data += chunk
        reply = json.loads(data or b"{}")
        if "pid" not in reply:
            client.close()
            raise OSError(reply.get("error", "the kernel server closed the connection"))
        client.setblocking(False)
        self._server = client
        self.forked_pid = self.pid = self.pgid = reply["pid"]
        self._exit_code = None

    async def poll(self) -> int | None:
        """Return the kernel's exit code, or None while it runs."""
        if self.forked_pid is None:
            return await super().poll()
        if self._exit_code is None and self._server is not None:
            try:
                data = self._server.recv(4096)
            except BlockingIOError:
                return None
            except OSError:
                data = b""
            message = json.loads(data.splitlines()[0]) if data.strip() else {}
            # Without a message the server has gone, and its kernels with it.
            self._exit_code = message.get("exit", -signal.SIGKILL)
        return self._exit_code

    async def wait(self) -> int | None:
        """Wait for the kernel to exit."""
        if self.forked_pid is None:
            return await super().wait()
        while (code := await self.poll()) is None:
            await asyncio.sleep(0.02)
        self.forked_pid = None
        return code

    async def send_signal(self, signum: int) -> None:
        """Signal the kernel's process group, as Jupyter does."""
        if self.forked_pid is None:
            await super().send_signal(signum)
            return
        if self._exit_code is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.forked_pid, signum)

    async def kill(self, restart: bool = False) -> None:
        """Kill the kernel."""
        if self.forked_pid is None:
            await super().kill(restart=restart)
            return
        await self.send_signal(signal.SIGKILL)

    async def terminate(self, restart: bool = False) -> None:
        """Ask the kernel to terminate."""
        if self.forked_pid is None:
            await super().terminate(restart=restart)
            return
        await self.send_signal(signal.SIGTERM)

    async def cleanup(self, restart: bool = False) -> None:
        """Close the server connection, and report how long the notebook took."""
        await super().cleanup(restart=restart)
        if self._server is not None:
            self._server.close()
            self._server = None
        self.forked_pid = None
        if self._number and not restart:
            seconds = time.perf_counter() - self._started
            _announce(
                f"executed notebook {self._number} of {_progress['total']}: "
                f"{self._docname} in {seconds:.1f} s"
            )
            self._number = 0


# -- The build ---------------------------------------------------------------


def _kernel_folder(build_dir: Path) -> Path:
    return build_dir / "jupyter"


def _write_if_changed(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` unless it holds it already.

    Builds in parallel (the tests) may write the same file at once, so the
    file is replaced whole, never truncated and written in place.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        temporary = target.with_name(f"{target.name}.{os.getpid()}")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(target)


def _install_kernelspec(build_dir: Path) -> None:
    target = _kernel_folder(build_dir) / "kernels" / "python3" / "kernel.json"
    _write_if_changed(target, json.dumps(kernelspec(), indent=2) + "\n")


ENTRY_POINT_GROUP = "jupyter_client.kernel_provisioners"


def _register_provisioner(build_dir: Path) -> str | None:
    """Make :class:`ForkingProvisioner` an entry point of this process and its children.

    Returns the folder it put on ``sys.path``, or None if it was there already.
    """
    folder = _kernel_folder(build_dir) / "provisioner"
    metadata = folder / "autograd_guide_build_kernels-1.dist-info"
    files = {
        "METADATA": "Metadata-Version: 2.1\nName: autograd-guide-build-kernels\nVersion: 1\n",
        "entry_points.txt": (
            f"[{ENTRY_POINT_GROUP}]\n{PROVISIONER} = {__name__}:{ForkingProvisioner.__name__}\n"
        ),
    }
    for name, text in files.items():
        _write_if_changed(metadata / name, text)
    if str(folder) in sys.path:
        return None
    sys.path.append(str(folder))
    return str(folder)


def use_book_kernels(build_dir: Path, fork: bool = True) -> Callable[[], None]:
    """Make this process and its children start notebooks' kernels as the build does.

    Installs the kernelspec under ``build_dir``, registers its provisioner,
    and makes a private folder for the kernels' sockets. Returns the function
    that stops the fork server (if one was started), removes that folder and
    the registration; it is also run at exit.
    """
    _install_kernelspec(build_dir)
    registered = _register_provisioner(build_dir)
    # Importing torch's compiler stack (as autodoc and helper-source do in this
    # process) sets TORCHINDUCTOR_CACHE_DIR when it is missing, which would make
    # this process's environment differ from the fork server's and send every
    # later kernel to a plain start. Set once, it is left as it is.
    inductor_cache = Path(build_dir, "torchinductor").resolve()
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(inductor_cache))
    paths = [str(_kernel_folder(build_dir)), *filter(None, [os.environ.get("JUPYTER_PATH")])]
    os.environ["JUPYTER_PATH"] = os.pathsep.join(paths)
    runtime = Path(tempfile.mkdtemp(prefix="autograd-guide-kernels-"))
    os.environ[RUNTIME_ENV] = str(runtime)
    os.environ[OWNER_ENV] = str(os.getpid())
    os.environ[FORK_ENV] = "1" if fork and fork_available() else "0"
    owner = os.getpid()

    def finish() -> None:
        if os.getpid() == owner:  # not in reader processes, which inherit the handler
            stop_server(runtime)
            shutil.rmtree(runtime, ignore_errors=True)
            if registered in sys.path:  # a process that goes on (a test) sees no trace
                sys.path.remove(registered)

    atexit.register(finish)
    return finish


def _prepare(app: Sphinx, config: Config) -> None:
    if not config.book_kernels:
        return  # Jupyter's own python3 kernelspec, as myst-nb uses it by default
    finish = use_book_kernels(Path(app.confdir, "_build"), fork=config.fork_kernels)
    app.connect("build-finished", lambda app, exception: finish())


# What executing a notebook costs, in characters of page source (what the
# rest of reading a page costs grows with its length): about a second, with
# a forked kernel.
EXECUTION_COST = 30_000


def _plan_executions(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """Count the notebooks this build will execute, and balance them over the readers.

    The count is for the progress lines. Sphinx reads pages in parallel in
    consecutive slices of ``docnames``, one process each, in their order:
    the notebooks of a part of the book would all fall to one reader while
    the other reads prose. Sphinx lets an extension reorder the list (the
    event's documented purpose), so the pages are ordered such that each
    slice gets about the same work.
    """
    from execution_cache import opened_cache
    from myst_nb.core.read import create_nb_reader

    _progress["total"] = 0
    env_any: Any = env
    mode = env_any.mystnb_config.execution_mode
    if not docnames:
        return
    costs: dict[str, int] = {}
    total = 0
    with opened_cache(app.config.nb_execution_cache_path) as cache:
        for docname in docnames:
            path = env.doc2path(docname)
            text = Path(path).read_text(encoding="utf-8")
            costs[docname] = len(text)
            if mode not in ("cache", "force", "auto"):
                continue
            reader = create_nb_reader(str(path), env_any.myst_config, env_any.mystnb_config, text)
            if reader is None:
                continue
            if mode != "cache" or not _cached(cache, reader.read(text)):
                total += 1
                costs[docname] += EXECUTION_COST
    _progress["total"] = total
    if app.parallel > 1:
        docnames[:] = balanced_order(docnames, costs, app.parallel)


def balanced_order(docnames: list[str], costs: dict[str, int], processes: int) -> list[str]:
    """Order ``docnames`` so that Sphinx's consecutive slices for ``processes`` cost alike.

    The slices have the sizes Sphinx gives them; the costliest pages are
    placed first, each into the slice with the least work so far that has
    room left among those read at once.
    """
    from sphinx.util.parallel import make_chunks

    sizes = [len(chunk) for chunk in make_chunks(list(docnames), processes)]
    slices: list[list[str]] = [[] for _ in sizes]
    loads = [0] * len(sizes)
    for docname in sorted(docnames, key=lambda name: (-costs.get(name, 0), name)):
        free = [index for index, size in enumerate(sizes) if len(slices[index]) < size]
        # The first slices are read at once; those after wait for a reader to
        # finish, and get what is left, the lightest pages.
        first = [index for index in free if index < processes] or free
        chosen = min(first, key=lambda index: (loads[index], index))
        slices[chosen].append(docname)
        loads[chosen] += costs.get(docname, 0)
    return [docname for chunk in slices for docname in chunk]


def _cached(cache: object, notebook: object) -> bool:
    try:
        cache.match_cache_notebook(notebook)  # type: ignore[attr-defined]
    except KeyError:
        return False
    return True


def _reading(app: Sphinx, docname: str, source: list[str]) -> None:
    _progress["docname"] = docname


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the setting, the kernelspec and the server's lifetime."""
    # -D fork_kernels=0 starts every kernel as a plain process; -D
    # book_kernels=0 leaves the kernelspec to Jupyter (the benchmark's naive
    # build runs the stack that way).
    app.add_config_value("fork_kernels", True, "", types=[bool])
    app.add_config_value("book_kernels", True, "", types=[bool])
    app.connect("config-inited", _prepare)
    app.connect("env-before-read-docs", _plan_executions)
    app.connect("source-read", _reading)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
