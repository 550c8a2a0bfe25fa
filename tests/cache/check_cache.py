"""The compiled-model cache across processes: each scenario loads TorchScript
models in fresh processes (tests/cache/cache_check.c, or the CLI) against a
cache directory of its own, and checks what the cache did, whether libtorch got
loaded, and that every load predicts exactly what a load without the cache
predicts.

    check_cache.py SCENARIO --check CACHE_CHECK [--cli DIGITINFER] --repo ROOT

Every child process gets HOME and XDG_CACHE_HOME inside the scenario's
temporary directory too, so that even a bug cannot reach the user's real
cache. Standard library only.
"""
import argparse
import os
import pathlib
import shutil
import stat
import subprocess
import sys
import tempfile

ARGS = None
IMAGE = "examples/images/digit-7.png"
TRACED = "models/convnet.traced.pt"
SCRIPTED = "models/convnet.scripted.pt"
NOMETA = "tests/data/models/convnet-nometa.traced.pt"
LOGITS = "tests/data/models/convnet-logits-declared.traced.pt"
# Deliberately beyond the native engine (bilinear upsampling, layer norm): runs on libtorch.
UNSUPPORTED = "tests/data/zoo/unsupported_upsample_layernorm.traced.pt"
# What must be the same whether or not the model came from the cache.
RESULT_KEYS = ("digit", "probabilities", "output_kind", "engine", "has_metadata", "name")


class Failed(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise Failed(message)


def child_env(tmp, cache_dir):
    """The environment of a child: DIGITINFER_CACHE_DIR = cache_dir (None: unset), HOME and XDG in tmp."""
    env = dict(os.environ)
    env["HOME"] = str(tmp / "home")
    env["XDG_CACHE_HOME"] = str(tmp / "xdg")
    env.pop("DIGITINFER_CACHE_DIR", None)
    if cache_dir is not None:
        env["DIGITINFER_CACHE_DIR"] = str(cache_dir)
    return env


def parse(stdout):
    out = {}
    for line in stdout.splitlines():
        if line.startswith("libtorch loaded: "):
            out["libtorch"] = line.split(": ", 1)[1]
        elif line.startswith("error message "):
            out["error_message"] = line.split(" ", 2)[2]
        else:
            key, _, value = line.partition(" ")
            out[key] = value
    return out


def start(model, tmp, cache_dir, *options, prefix=()):
    return subprocess.Popen([*prefix, ARGS.check, str(ARGS.repo / model), str(ARGS.repo / IMAGE), *options],
                            env=child_env(tmp, cache_dir), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process, what):
    stdout, stderr = process.communicate(timeout=300)
    expect(process.returncode == 0, f"{what}: exit status {process.returncode}\n{stdout}{stderr}")
    result = parse(stdout)
    expect(result.get("error_message") == "''", f"{what}: a successful load left an error message: {stdout}")
    return result


def load(model, tmp, cache_dir, *options, prefix=()):
    """One load + predict in a fresh process; the parsed output."""
    what = f"{model} {' '.join(options)} with DIGITINFER_CACHE_DIR={cache_dir}"
    return finish(start(model, tmp, cache_dir, *options, prefix=prefix), what)


_references = {}


def reference(model, *options):
    """What a load without any cache gives."""
    key = (model, options)
    if key not in _references:
        with tempfile.TemporaryDirectory() as d:
            got = load(model, pathlib.Path(d), "off", *options)
            expect(got["cache"] == "not_used", f"DIGITINFER_CACHE_DIR=off still used the cache: {got}")
            expect(not any(pathlib.Path(d).iterdir()), f"DIGITINFER_CACHE_DIR=off wrote {list(pathlib.Path(d).iterdir())}")
            _references[key] = got
    return _references[key]


def same_result(got, model, *options):
    """Fails unless `got` is what a load with the same options (but no cache) gives."""
    if "--cache-dir" in options:
        at = options.index("--cache-dir")
        options = options[:at] + options[at + 2:]
    want = reference(model, *options)
    for key in RESULT_KEYS:
        expect(got[key] == want[key], f"{model} {options}: {key} is {got[key]!r}, without the cache {want[key]!r}")


def entries(cache_dir):
    return sorted(p for p in pathlib.Path(cache_dir).iterdir()) if pathlib.Path(cache_dir).exists() else []


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def stored_then_hit(model, tmp, cache_dir, *options, entry_dir=None):
    """A first load that stores the entry (in entry_dir, default cache_dir), a second that reads it without
    libtorch; returns the entry's path."""
    first = load(model, tmp, cache_dir, *options)
    expect(first["cache"] == "stored", f"first load of {model}: cache {first['cache']} ({first['cache_note']})")
    expect(first["libtorch"] == "yes", f"first load of {model} did not load libtorch?")
    entry = pathlib.Path(first["cache_path"])
    expect(entry.parent == pathlib.Path(entry_dir or cache_dir) and entry.is_file(), f"no entry at {entry}")
    second = load(model, tmp, cache_dir, *options)
    expect(second["cache"] == "hit", f"second load of {model}: cache {second['cache']} ({second['cache_note']})")
    expect(second["cache_path"] == str(entry), f"hit {second['cache_path']}, stored {entry}")
    expect(second["libtorch"] == "no", f"a cache hit of {model} loaded libtorch")
    same_result(first, model, *options)
    same_result(second, model, *options)
    return entry


# ---------------------------------------------------------------- scenarios

def scenario_hit(tmp):
    cache = tmp / "new" / "cache"  # does not exist yet: the library creates it
    for model in (TRACED, NOMETA, LOGITS):
        entry = stored_then_hit(model, tmp, cache)
        expect(mode(entry) == 0o600, f"{entry} has mode {oct(mode(entry))}, want 0600")
    for d in (tmp / "new", cache):
        expect(mode(d) == 0o700, f"{d} has mode {oct(mode(d))}, want 0700")
    expect(len(entries(cache)) == 3, f"want 3 entries, have {entries(cache)}")


def scenario_miss(tmp):
    cache = tmp / "cache"
    stored_then_hit(TRACED, tmp, cache)
    # Another file is another key: a miss, then an entry of its own.
    stored_then_hit(SCRIPTED, tmp, cache)
    expect(len(entries(cache)) == 2, f"want 2 entries, have {entries(cache)}")
    # A model that runs on libtorch leaves no entry, and every load of it loads libtorch.
    for _ in range(2):
        got = load(UNSUPPORTED, tmp, cache)
        expect(got["cache"] == "not_stored" and "libtorch" in got["cache_note"], f"unsupported model: {got}")
        expect(got["libtorch"] == "yes" and got["engine"] == "libtorch", f"unsupported model: {got}")
        same_result(got, UNSUPPORTED)
    expect(len(entries(cache)) == 2, f"the libtorch model left an entry: {entries(cache)}")


def scenario_corrupt(tmp):
    cache = tmp / "cache"
    entry = stored_then_hit(TRACED, tmp, cache)
    good = entry.read_bytes()
    middle = len(good) // 2
    damages = {
        "truncated to half": good[:middle],
        "truncated to nothing": b"",
        "one byte short": good[:-1],
        "a weight byte flipped": good[:middle] + bytes([good[middle] ^ 0x01]) + good[middle + 1:],
        "the checksum flipped": good[:-1] + bytes([good[-1] ^ 0x80]),
        "a trailing byte": good + b"\0",
        "garbage": b"not a cache entry at all" * 100,
    }
    for damage, data in damages.items():
        entry.write_bytes(data)
        os.chmod(entry, 0o600)
        got = load(TRACED, tmp, cache)
        expect(got["cache"] == "stored" and got["cache_note"].startswith("replaced "),
               f"entry {damage}: cache {got['cache']} ({got['cache_note']})")
        expect(got["libtorch"] == "yes", f"entry {damage}: not recompiled?")
        same_result(got, TRACED)
        expect(entry.read_bytes() == good, f"entry {damage}: not replaced by the valid entry")
        again = load(TRACED, tmp, cache)
        expect(again["cache"] == "hit" and again["libtorch"] == "no", f"after replacing the entry {damage}: {again}")
    expect(entries(cache) == [entry], f"stray files: {entries(cache)}")


def scenario_stale(tmp):
    cache = tmp / "cache"
    entry = stored_then_hit(TRACED, tmp, cache)
    good = entry.read_bytes()
    version = good[16:16 + int.from_bytes(good[12:16], "little")]  # magic 8, format 4, size 4, version
    other_version = b"9" * len(version)
    expect(version and version != other_version, f"no version in the entry header: {good[:32]!r}")
    scripted = stored_then_hit(SCRIPTED, tmp, cache).read_bytes()
    stale = {
        "of another library version": (good[:16] + other_version + good[16 + len(version):],
                                       "was made by DigitInfer " + other_version.decode()),
        "of another cache format": (good[:8] + (99).to_bytes(4, "little") + good[12:], "has cache format 99"),
        "of another model file": (scripted, "was made from another file"),
    }
    for what, (data, reason) in stale.items():
        entry.write_bytes(data)
        got = load(TRACED, tmp, cache)
        expect(got["cache"] == "stored" and reason in got["cache_note"],
               f"an entry {what}: cache {got['cache']} ({got['cache_note']}), want the note to say '{reason}'")
        same_result(got, TRACED)
        expect(entry.read_bytes() == good, f"the entry {what} was not replaced")
        again = load(TRACED, tmp, cache)
        expect(again["cache"] == "hit" and again["libtorch"] == "no", f"after replacing the entry {what}: {again}")


def as_nobody():
    """The prefix running a command as an unprivileged user: a read-only directory does not stop root."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if not setpriv:
        print("skip: running as root and no setpriv (util-linux) to drop privileges")
        sys.exit(77)
    return (setpriv, "--reuid=65534", "--regid=65534", "--clear-groups")


def scenario_readonly(tmp):
    prefix = as_nobody()
    os.chmod(tmp, 0o755)  # so that the unprivileged user can reach its directory
    cache = tmp / "readonly"
    cache.mkdir()
    if prefix:
        os.chown(cache, 65534, 65534)
    os.chmod(cache, 0o500)
    got = load(TRACED, tmp, cache, prefix=prefix)
    expect(got["cache"] == "not_stored" and "cannot write" in got["cache_note"],
           f"read-only directory: cache {got['cache']} ({got['cache_note']})")
    same_result(got, TRACED)
    expect(entries(cache) == [], f"an entry was written in a read-only directory: {entries(cache)}")

    # A directory that cannot even be created: below a regular file.
    (tmp / "file").write_text("not a directory")
    got = load(TRACED, tmp, tmp / "file" / "cache")
    expect(got["cache"] == "not_used" and "cannot create" in got["cache_note"], f"unusable directory: {got}")
    same_result(got, TRACED)

    # One that other users could write to is not trusted, to read or to write.
    shared = tmp / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    got = load(TRACED, tmp, shared)
    expect(got["cache"] == "not_used" and "writable by group or others" in got["cache_note"], f"shared: {got}")
    expect(entries(shared) == [], f"an entry was written in a world-writable directory: {entries(shared)}")


def scenario_disabled_by_env(tmp):
    for value in ("off", ""):
        for _ in range(2):
            got = load(TRACED, tmp, value)
            expect(got["cache"] == "not_used" and got["cache_note"] == "turned off by DIGITINFER_CACHE_DIR",
                   f"DIGITINFER_CACHE_DIR={value!r}: {got}")
            expect(got["libtorch"] == "yes", f"DIGITINFER_CACHE_DIR={value!r}: libtorch not loaded?")
            same_result(got, TRACED)
    expect(list(tmp.iterdir()) == [], f"caching off wrote {list(tmp.rglob('*'))}")


def scenario_disabled_by_option(tmp):
    env_cache, option_cache = tmp / "from-env", tmp / "from-option"
    for _ in range(2):
        got = load(TRACED, tmp, env_cache, "--cache-dir", "")
        expect(got["cache"] == "not_used" and got["cache_note"] == "turned off by the cache_dir load option",
               f"cache_dir \"\": {got}")
        same_result(got, TRACED)
    expect(list(tmp.iterdir()) == [], f"cache_dir \"\" wrote {list(tmp.rglob('*'))}")
    # A directory in the option wins over the environment's.
    stored_then_hit(TRACED, tmp, env_cache, "--cache-dir", str(option_cache), entry_dir=option_cache)
    expect(len(entries(option_cache)) == 1 and not env_cache.exists(), "the option's directory was not the one used")


def scenario_default_location(tmp):
    got = load(TRACED, tmp, None)
    expect(pathlib.Path(got["cache_path"]).parent == tmp / "xdg" / "digitinfer", f"with XDG_CACHE_HOME: {got}")
    env = child_env(tmp, None)
    del env["XDG_CACHE_HOME"]
    process = subprocess.Popen([ARGS.check, str(ARGS.repo / TRACED), str(ARGS.repo / IMAGE)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    got = finish(process, "without XDG_CACHE_HOME")
    expect(pathlib.Path(got["cache_path"]).parent == tmp / "home" / ".cache" / "digitinfer", f"with HOME: {got}")
    expect(mode(tmp / "home" / ".cache") == 0o700, "~/.cache was not created 0700")


def scenario_concurrent(tmp):
    for round_ in range(3):
        cache = tmp / f"round-{round_}"
        processes = [start(TRACED, tmp, cache) for _ in range(2)]
        results = [finish(p, f"concurrent load {i} of round {round_}") for i, p in enumerate(processes)]
        for got in results:
            expect(got["cache"] in ("stored", "hit"), f"concurrent load: cache {got['cache']} ({got['cache_note']})")
            same_result(got, TRACED)
        after = load(TRACED, tmp, cache)
        expect(after["cache"] == "hit" and after["libtorch"] == "no", f"after concurrent stores: {after}")
        same_result(after, TRACED)
        expect(len(entries(cache)) == 1, f"stray files after concurrent stores: {entries(cache)}")


def scenario_output_kind(tmp):
    cache = tmp / "cache"
    # The first load overrides the output kind: the entry must still hold the model's own.
    first = load(TRACED, tmp, cache, "--output-kind", "logits")
    expect(first["cache"] == "stored", f"first load: {first}")
    same_result(first, TRACED, "--output-kind", "logits")
    expect(b'"output":"log_probabilities"' in pathlib.Path(first["cache_path"]).read_bytes(),
           "the entry holds the override, not the model's own output kind")
    for options in ((), ("--output-kind", "probabilities"), ("--output-kind", "logits")):
        got = load(TRACED, tmp, cache, *options)
        expect(got["cache"] == "hit" and got["libtorch"] == "no", f"{options}: {got}")
        same_result(got, TRACED, *options)
    # A model whose metadata declares its kind keeps it through the cache.
    stored_then_hit(LOGITS, tmp, cache, "--output-kind", "log_probabilities")
    same_result(load(LOGITS, tmp, cache), LOGITS)


def scenario_engine(tmp):
    cache = tmp / "cache"
    stored_then_hit(TRACED, tmp, cache, "--engine", "native")
    got = load(TRACED, tmp, cache)  # AUTO reads what NATIVE stored
    expect(got["cache"] == "hit", f"engine auto after native: {got}")
    for engine in ("libtorch", "reference"):
        got = load(TRACED, tmp, cache, "--engine", engine)
        expect(got["cache"] == "not_used" and got["libtorch"] == "yes", f"engine {engine}: {got}")
        same_result(got, TRACED, "--engine", engine)


def cli(tmp, cache_dir, *args):
    result = subprocess.run([ARGS.cli, *args], env=child_env(tmp, cache_dir), capture_output=True, text=True)
    expect(result.returncode == 0, f"digitinfer {' '.join(args)}: exit {result.returncode}\n{result.stderr}")
    return result.stdout


def scenario_cli(tmp):
    if not ARGS.cli:
        print("skip: no --cli (DIGITINFER_BUILD_CLI is OFF)")
        sys.exit(77)
    env_cache, flag_cache = tmp / "env", tmp / "flag"
    model = str(ARGS.repo / TRACED)
    out = cli(tmp, env_cache, "predict", "--no-cache", "--model", model, str(ARGS.repo / IMAGE))
    expect(out.endswith(": 7 (p=1.0000)\n") and list(tmp.iterdir()) == [], f"--no-cache: {out}")
    out = cli(tmp, env_cache, "info", "--cache-dir", str(flag_cache), model)
    expect(f"cache:         stored ({flag_cache}/" in out, f"info --cache-dir, first: {out}")
    out = cli(tmp, env_cache, "info", "--cache-dir", str(flag_cache), model)
    expect(f"cache:         hit ({flag_cache}/" in out, f"info --cache-dir, second: {out}")
    out = cli(tmp, env_cache, "info", "--json", "--no-cache", model)
    expect('"cache": "not_used"' in out and '"cache_note": "turned off by the cache_dir load option"' in out, out)
    expect(not env_cache.exists(), "the CLI used DIGITINFER_CACHE_DIR despite its flags")


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    scenarios = {name[len("scenario_"):].replace("_", "-"): f for name, f in globals().items()
                 if name.startswith("scenario_")}
    p.add_argument("scenario", choices=sorted(scenarios))
    p.add_argument("--check", required=True)
    p.add_argument("--cli", help="the digitinfer CLI (the cli scenario only)")
    p.add_argument("--repo", required=True, type=pathlib.Path)
    ARGS = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="di-cache-") as d:
        tmp = pathlib.Path(d)
        try:
            scenarios[ARGS.scenario](tmp)
        except Failed as e:
            print(f"FAIL: {e}")
            return 1
        finally:
            for path in [tmp, *tmp.rglob("*")]:  # read-only directories cannot be removed otherwise
                if path.is_dir() and not path.is_symlink():
                    os.chmod(path, 0o700)
    print(f"ok: {ARGS.scenario}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
