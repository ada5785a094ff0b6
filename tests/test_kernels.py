"""The kernels that execute the pages: forked from a server, yet each notebook on its own.

See sphinxext/book_kernels.py and sphinxext/kernel_server.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from book_kernels import PROVISIONER, ForkingProvisioner, fork_available, use_book_kernels
from scratch_book import notebook, scratch_book
from site_files import languages_and_titles

from tests.cold_builds import ColdBuilds

ROOT = Path(__file__).resolve().parent.parent

LANGUAGES = tuple(languages_and_titles()[0])
needs_fork = pytest.mark.skipif(not fork_available(), reason="the fork server needs Linux")


def build_command(source: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "sphinx",
        "--builder=html",
        f"--conf-dir={ROOT}",
        f"--define=nb_execution_cache_path={out / 'jupyter_cache'}",
        "--fail-on-warning",
        "--keep-going",
        "--quiet",
        *extra,
        str(source),
        str(out / "html"),
    ]


def processes_marked(mark: str) -> list[int]:
    """The processes whose environment holds ``mark``: a build's and all it started."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environment = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        if mark.encode() in environment and state != "Z":
            found.append(int(entry.name))
    return found


def wait_until_gone(mark: str, timeout: float = 15.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := processes_marked(mark)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


@pytest.fixture
def marked_environment() -> Iterator[tuple[str, dict[str, str]]]:
    mark = f"AUTOGRAD_GUIDE_TEST_{uuid.uuid4().hex}"
    yield mark, {**os.environ, mark: "1"}
    for pid in processes_marked(mark):  # never leave them to the next test
        os.kill(pid, signal.SIGKILL)


def test_the_build_registers_its_provisioner_and_the_package_does_not(tmp_path):
    from importlib.metadata import distribution, entry_points

    from jupyter_client.provisioning import KernelProvisionerFactory

    # Readers install the package: it must not name a module it does not hold.
    assert list(distribution("autograd-guide").entry_points) == []
    finish = use_book_kernels(tmp_path / "_build")
    try:
        [entry] = entry_points(group="jupyter_client.kernel_provisioners", name=PROVISIONER)
        assert entry.load() is ForkingProvisioner
        spec = SimpleNamespace(metadata={"kernel_provisioner": {"provisioner_name": PROVISIONER}})
        assert KernelProvisionerFactory.instance().is_provisioner_available(spec)
    finally:
        finish()
    # Nothing of it is left for what runs next in this process (the lock test).
    assert not entry_points(group="jupyter_client.kernel_provisioners", name=PROVISIONER)


@needs_fork
def test_a_forked_kernel_is_a_kernel_of_its_own_that_exits_at_once(tmp_path):
    from jupyter_client.manager import start_new_kernel

    finish = use_book_kernels(tmp_path / "_build")
    try:
        manager, client = start_new_kernel(kernel_name="python3", cwd=str(tmp_path))
        try:
            assert manager.transport == "ipc"
            assert manager.provisioner.forked_pid == manager.provisioner.pid
            outputs: list[str] = []
            client.execute_interactive(
                "import os, sys; print('torch' in sys.modules, os.getcwd(), os.getppid())",
                output_hook=lambda message: outputs.append(message["content"].get("text", "")),
                timeout=120,
            )
            preloaded, cwd, parent = "".join(outputs).split()
            assert preloaded == "True"  # started with torch imported
            assert cwd == str(tmp_path)
            assert int(parent) != os.getpid()  # a child of the server
            start = time.perf_counter()
            manager.shutdown_kernel()
            assert time.perf_counter() - start < 1.0
        finally:
            client.stop_channels()
    finally:
        finish()


@needs_fork
def test_notebooks_do_not_share_state(tmp_path, marked_environment):
    # Run one after another, so that the second is forked after the first has
    # changed everything it can; the second fails the build if any change is
    # visible to it.
    mark, environment = marked_environment
    source = tmp_path / "docs"
    changes = """
        import os, random, sys, tabnanny
        import numpy, torch
        leaked = 1
        random.seed(1)
        numpy.random.seed(1)
        torch.manual_seed(1)
        os.environ["LEAKED"] = "1"
        sys.path.append("/leaked")
        os.chdir("/")
        """
    checks = """
        import os, random, subprocess, sys
        import numpy, torch
        fresh_hash = subprocess.run(
            [sys.executable, "-c", "print(hash('autograd'))"],
            env={"PYTHONHASHSEED": os.environ["PYTHONHASHSEED"]},
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        python_state, numpy_state = random.getstate(), numpy.random.get_state()[1].copy()
        random.seed(1)
        numpy.random.seed(1)
        assert "torch._dynamo" in sys.modules, '"torch._dynamo" in sys.modules'
        assert "leaked" not in globals(), '"leaked" not in globals()'
        assert "tabnanny" not in sys.modules, '"tabnanny" not in sys.modules'
        assert "LEAKED" not in os.environ, '"LEAKED" not in os.environ'
        assert "/leaked" not in sys.path, '"/leaked" not in sys.path'
        assert os.getcwd() == SOURCE, "the working directory"
        assert python_state != random.getstate(), 'python_state != random.getstate()'
        assert (numpy_state != numpy.random.get_state()[1]).any(), "numpy's state"
        assert torch.initial_seed() != 1, 'torch.initial_seed() != 1'
        assert str(hash("autograd")) == fresh_hash, 'str(hash("autograd")) == fresh_hash'
        """
    checks = checks.replace("SOURCE", repr(str(source)))
    scratch_book(source, {"a": notebook("A", changes), "b": notebook("B", checks)})
    result = subprocess.run(
        build_command(source, tmp_path, "--jobs=1"),
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "executed notebook 2 of 2: b" in result.stderr
    assert wait_until_gone(mark) == []


@needs_fork
def test_an_interrupted_build_leaves_no_process_behind(tmp_path, marked_environment):
    mark, environment = marked_environment
    source = tmp_path / "docs"
    scratch_book(
        source,
        {
            "slow": notebook("Slow", "import time\ntime.sleep(120)"),
            "other": notebook("Other", "import time\ntime.sleep(120)"),
        },
    )
    build = subprocess.Popen(
        build_command(source, tmp_path),
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=environment,
        start_new_session=True,  # its own process group, as a terminal's job has
    )
    try:
        assert build.stderr is not None
        for line in build.stderr:
            if line.startswith("executing notebook"):
                break
        deadline = time.monotonic() + 120  # the server imports torch first
        while len(processes_marked(mark)) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(processes_marked(mark)) >= 3  # the build, the server, a kernel
        time.sleep(1)  # the kernel is running its cell
        os.killpg(build.pid, signal.SIGINT)  # what Ctrl-C sends to the terminal's job
        build.wait(timeout=60)
    finally:
        if build.poll() is None:
            build.kill()
            build.wait()
        if build.stderr is not None:
            build.stderr.close()
    assert wait_until_gone(mark) == []


def _files(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@needs_fork
def test_forked_and_plain_kernels_give_the_same_outputs_and_pages(cold_builds: ColdBuilds):
    # The same two cold builds as the reproducibility test's
    # (tests/cold_builds.py): forked kernels in one checkout, plain in the other.
    forked, plain = cold_builds.forked / "_build", cold_builds.plain / "_build"
    for language in LANGUAGES:
        executed = Path("doctrees", "html", language, "jupyter_execute")
        forked_outputs, plain_outputs = _files(forked / executed), _files(plain / executed)
        assert sorted(forked_outputs) == sorted(plain_outputs)
        notebooks = [name for name in forked_outputs if name.endswith(".ipynb")]
        assert notebooks
        for name in notebooks:
            # Cells get random ids each time a page is read; the rest must match.
            assert _without_ids(forked_outputs[name]) == _without_ids(plain_outputs[name]), name
        figures = [name for name in forked_outputs if not name.endswith(".ipynb")]
        assert figures
        assert all(forked_outputs[name] == plain_outputs[name] for name in figures)
        assert _files(forked / "html" / language) == _files(plain / "html" / language)


def _without_ids(notebook: bytes) -> object:
    content = json.loads(notebook)
    for cell in content["cells"]:
        cell.pop("id", None)
    return content


WORKER = """
import os

import torch
import torch.distributed as dist


def run(rank, world_size, folder):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = os.environ["WORKER_PORT"]
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    total = torch.tensor([float(rank + 1)])
    dist.all_reduce(total)
    torch.save(total, os.path.join(folder, f"total-{rank}.pt"))
    dist.destroy_process_group()
"""


@needs_fork
def test_a_forked_kernel_compiles_and_spawns_processes(tmp_path):
    # What part 3 of the book does: torch.compile with the aot_eager backend,
    # torch.func, and two gloo processes spawned by torch.multiprocessing.
    from jupyter_client.manager import start_new_kernel

    (tmp_path / "worker.py").write_text(WORKER, encoding="utf-8")
    code = textwrap.dedent(
        f"""
        import os, socket
        import torch, torch.multiprocessing
        import worker
        f = torch.compile(lambda x: torch.sin(x) ** 2, backend="aot_eager")
        x = torch.linspace(0, 1, 5, requires_grad=True)
        f(x).sum().backward()
        assert torch.allclose(x.grad, torch.sin(2 * x))
        assert torch.allclose(torch.func.grad(lambda y: (y ** 3).sum())(x), 3 * x ** 2)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            os.environ["WORKER_PORT"] = str(s.getsockname()[1])
        torch.multiprocessing.spawn(worker.run, args=(2, {str(tmp_path)!r}), nprocs=2)
        totals = [os.path.join({str(tmp_path)!r}, f"total-{{rank}}.pt") for rank in (0, 1)]
        print([torch.load(path).item() for path in totals])
        """
    )
    finish = use_book_kernels(tmp_path / "_build")
    try:
        manager, client = start_new_kernel(kernel_name="python3", cwd=str(tmp_path))
        try:
            assert manager.provisioner.forked_pid is not None
            outputs: list[str] = []
            errors: list[str] = []

            def hook(message: dict) -> None:
                content = message["content"]
                outputs.append(content.get("text", ""))
                if message["msg_type"] == "error":
                    errors.append(f"{content['ename']}: {content['evalue']}")

            reply = client.execute_interactive(code, output_hook=hook, timeout=600)
            assert reply["content"]["status"] == "ok", errors
            assert "".join(outputs).strip() == "[3.0, 3.0]"
        finally:
            manager.shutdown_kernel()
            client.stop_channels()
    finally:
        finish()


def test_pages_are_ordered_so_that_each_reader_gets_alike_work():
    from book_kernels import balanced_order
    from sphinx.util.parallel import make_chunks

    costs = {f"guide/{n}": 40 for n in range(9)} | {f"prose/{n}": 1 for n in range(10)}
    order = balanced_order(sorted(costs), costs, 2)
    assert sorted(order) == sorted(costs)
    loads = [sum(costs[name] for name in chunk) for chunk in make_chunks(order, 2)]
    assert max(loads) - min(loads[:2]) <= 40  # the two readers that start together
    assert loads[2] <= 1  # the slice read last is light
