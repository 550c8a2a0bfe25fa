"""Fixtures of the digitinfer-server integration suite.

    DIGITINFER_SERVER_BIN=build/examples/server/digitinfer-server DIGITINFER_WITH_TORCH=1 \\
        /usr/bin/python3 -m pytest -q tests/server

DIGITINFER_SERVER_BIN: the binary (default: build/, else build-notorch/ of this tree; the suite skips
when there is none and the variable is unset). DIGITINFER_WITH_TORCH ("1"/"ON"): whether the build
has the libtorch plugin (default: read from the binary's CMakeCache.txt); it decides whether the
model store holds convnet.traced.pt and whether a TorchScript file must load or fail with a 400.

Fixtures:
  start_server(*args, models=..., addresses=True, env=None, store=None)  a Server started for this test
  module_server(*args, ...)  the same, shared by a module (started once per distinct arguments)
  reference     the Python reference pipeline (tools/reference.py)
  store         a fresh model store of this test
Every server is stopped by its PID with SIGTERM at the end and must exit with code 0; a failing
test's report carries the stdout and stderr of the servers it used.
"""
import os
import signal

import pytest

import serverlib
from serverlib import BINARY, Server, ServerError, make_store

_LIVE = []  # servers not yet stopped, for failure reports


def _require_binary():
    if BINARY is None:
        pytest.skip("no digitinfer-server binary: build examples/server or set DIGITINFER_SERVER_BIN")
    if not BINARY.is_file() or not os.access(BINARY, os.X_OK):
        pytest.fail(f"DIGITINFER_SERVER_BIN={BINARY} is not an executable file")


def pytest_report_header(config):
    return [f"digitinfer-server: {BINARY or '(none found)'}; with libtorch: {serverlib.WITH_TORCH}"]


class _Pool:
    def __init__(self, base_dir):
        self.base_dir = base_dir
        self.servers = []

    def start(self, *args, models="convnet=convnet.dimodel", addresses=True, env=None, store=None,
              expect_ready=True, timeout=serverlib.START_TIMEOUT, name=None):
        _require_binary()
        n = len(self.servers) + 1
        workdir = self.base_dir / f"server{n}"
        if store is None:
            store = make_store(workdir / "store")
        s = Server(workdir, args=args, env=env, store=store, addresses=addresses, models=models,
                   name=name or f"server{n}")
        self.servers.append(s)
        _LIVE.append(s)
        try:
            s.start(timeout=timeout, expect_ready=expect_ready)
        except ServerError as e:
            pytest.fail(str(e), pytrace=False)
        return s

    def finish(self):
        """Stops every server still running; returns the problems (bad exit codes, hangs)."""
        problems = []
        for s in self.servers:
            was_running = s.running
            try:
                rc = s.stop(signal.SIGTERM)
            except ServerError as e:
                problems.append(str(e))
                continue
            finally:
                if s in _LIVE:
                    _LIVE.remove(s)
            if was_running and rc != 0 and not getattr(s, "allow_nonzero_exit", False):
                problems.append(f"{s.name} exited with {rc} after SIGTERM (expected 0)\n{s.logs()}")
        return problems


@pytest.fixture
def start_server(request, tmp_path):
    pool = _Pool(tmp_path)
    request.node._di_pool = pool
    yield pool.start
    problems = pool.finish()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture(scope="module")
def module_server(request, tmp_path_factory):
    """start(*args, **kw) for the whole module: the same arguments give the same running server."""
    pool = _Pool(tmp_path_factory.mktemp(request.module.__name__.replace(".", "_")))
    cache = {}

    def start(*args, **kw):
        key = (args, tuple(sorted((k, repr(v)) for k, v in kw.items())))
        s = cache.get(key)
        if s is None or not s.running:
            s = cache[key] = pool.start(*args, **kw)
        return s

    yield start
    problems = pool.finish()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def store(tmp_path):
    return make_store(tmp_path / "store")


@pytest.fixture(scope="session")
def reference():
    try:
        return serverlib.Reference()
    except ImportError as e:  # /usr/bin/python3 has torch, torchvision and Pillow on Debian 12
        pytest.skip(f"the reference pipeline needs torch, torchvision and Pillow: {e}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if not rep.failed:
        return
    seen = []
    pool = getattr(item, "_di_pool", None)
    for s in (pool.servers if pool else []) + list(_LIVE):
        if s not in seen:
            seen.append(s)
    for s in seen:
        rep.sections.append((f"{s.name} log", s.logs()))
