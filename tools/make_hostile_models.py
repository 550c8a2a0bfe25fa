#!/usr/bin/python3
"""Hostile TorchScript models: files that misbehave when the library loads or runs them, for the
tests in tests/untrusted (written at test time into a build directory, not committed).

    /usr/bin/python3 tools/make_hostile_models.py DIR

Each model maps [N, 1, 28, 28] to [N, 10] like a digit classifier, and on top of that:

  from_file_write    torch.from_file(DIR/victim.txt, shared=True) overwrites the victim's bytes, and a
                     second shared mapping creates DIR/created-by-model.bin (scripted and traced)
  from_file_read     torch.from_file(DIR/secret.bin) reads a file's bytes into the scores
  print              prints from forward (prim::Print)
  fork               runs a function on another thread (prim::fork / aten::wait)
  empty_8gb          torch.empty of 8 GB (aten::empty: uninitialized memory)
  zeros_8gb          torch.zeros of 8 GB (only allowed operators: the memory budget must refuse it)
  endless_loop       `while True` on an integer: no allocation, the loop check must stop it
  loop_for_large     loops forever, and zeros_for_large allocates 8 GB, when an image's largest value
                     exceeds 1000 (never at load: the budgets must hold at predict time)
  mutates_input      x.add_(1) on its input, in place
  meta_weights       a Linear whose weight is on the meta device
  sparse_weights     a sparse buffer
  nan_weights        a Linear with one NaN weight; inf_bias: with one infinite bias
  nan_output         returns NaN for every input
  nan_for_large      returns NaN for the images whose largest value exceeds 1000 (never at load)
  setstate           __setstate__ (run by torch.jit.load itself) overwrites the victim file
  short_storage      a plain model whose tensor records are cut to 16 bytes: torch.jit.load takes
                     each storage's size from the pickle and does not compare it with the record
  bad_debug_info     a plain model with a syntax error in forward's code whose debug record
                     (code/...py.debug_pkl) points at string 0x0fffffff of a 6-string table: to word
                     the syntax error, libtorch 1.13 looks it up unchecked (SEGV; fuzz_torchscript_model)
  untyped_constant   a plain model whose class body assigns `training = 1` (no type): libtorch 1.13
                     takes it for a constant and reads its missing type (SEGV; fuzz_torchscript_model)
  huge_memo_index    a plain model whose data.pkl stores its first object at memo index 2**30:
                     libtorch 1.13 sizes its memo table from it (32 GB; fuzz_torchscript_model)

The victim (DIR/victim.txt) and the secret (DIR/secret.bin) are written here too; a test writes
the victim again before each load and checks that it is unchanged, and that
DIR/created-by-model.bin does not exist.
"""
import sys
import warnings
import zipfile
from pathlib import Path
from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

VICTIM_TEXT = b"the victim file: untouched\n"
SHAPE = (1, 1, 28, 28)


class Base(nn.Module):
    """A linear classifier; the hostile models add to its forward."""
    def __init__(self):
        super().__init__()
        torch.manual_seed(11)
        self.fc = nn.Linear(28 * 28, 10)

    def scores(self, x):
        return F.log_softmax(self.fc(torch.flatten(x, 1)), dim=1)


class Plain(Base):
    def forward(self, x):
        return self.scores(x)


class FromFileWrite(Base):
    def __init__(self, victim: str, created: str):
        super().__init__()
        self.victim = victim
        self.created = created

    def forward(self, x):
        overwritten = torch.from_file(self.victim, True, 8, dtype=torch.uint8).fill_(88)
        created = torch.from_file(self.created, True, 64, dtype=torch.uint8).fill_(1)
        return self.scores(x) + (overwritten[0] + created[0]).float() * 0.0  # used, so that no pass drops them


class FromFileRead(Base):
    def __init__(self, secret: str):
        super().__init__()
        self.secret = secret

    def forward(self, x):
        leaked = torch.from_file(self.secret, False, 10, dtype=torch.float32)
        return self.scores(x) * 0.0 + leaked


class Print(Base):
    def forward(self, x):
        print("a model printing from forward")
        return self.scores(x)


def other_thread(x: torch.Tensor) -> torch.Tensor:
    return x * 1.0


class Fork(Base):
    def forward(self, x):
        future = torch.jit.fork(other_thread, x)
        return self.scores(torch.jit.wait(future))


class Empty8GB(Base):
    def forward(self, x):
        big = torch.empty([2147483648], dtype=torch.float32)
        return self.scores(x) + big[0] * 0.0


class Zeros8GB(Base):
    def forward(self, x):
        big = torch.zeros([2147483648], dtype=torch.float32)
        return self.scores(x) + big[0]


class EndlessLoop(Base):
    def forward(self, x):
        i = 0
        while i >= 0:
            i = (i + 1) % 1000
        return self.scores(x)


class LoopForLarge(Base):
    def forward(self, x):
        i = 0
        while bool(x.amax() > 1000.0) and i >= 0:
            i = (i + 1) % 1000
        return self.scores(x)


class ZerosForLarge(Base):
    def forward(self, x):
        if bool(x.amax() > 1000.0):
            return self.scores(x) + torch.zeros([2147483648], dtype=torch.float32)[0]
        return self.scores(x)


class MutatesInput(Base):
    def forward(self, x):
        x.add_(1.0)
        return self.scores(x)


class MetaWeights(Base):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(28 * 28, 10, device="meta")

    def forward(self, x):
        return self.scores(x)


class SparseWeights(Base):
    def __init__(self):
        super().__init__()
        self.register_buffer("sparse", torch.eye(10).to_sparse())

    def forward(self, x):
        return self.scores(x)


class NanOutput(Base):
    def forward(self, x):
        return self.scores(x) * float("nan")


class NanForLarge(Base):
    def forward(self, x):
        large = torch.flatten(x, 1).amax(dim=1, keepdim=True) > 1000.0
        return torch.where(large, torch.full_like(self.scores(x), float("nan")), self.scores(x))


class SetState(Base):
    def __init__(self, victim: str):
        super().__init__()
        self.victim = victim
        self.stamp = 0

    def forward(self, x):
        return self.scores(x)

    @torch.jit.export
    def __getstate__(self):
        return (self.victim, self.fc, self.training)

    @torch.jit.export
    def __setstate__(self, state: Tuple[str, nn.Linear, bool]):
        self.victim = state[0]
        self.fc = state[1]
        self.training = state[2]
        self.stamp = int(torch.from_file(self.victim, True, 8, dtype=torch.uint8).fill_(83)[0])


def with_weights(model, change):
    with torch.no_grad():
        change(model.fc)
    return model


def models(out: Path):
    victim, created, secret = str(out / "victim.txt"), str(out / "created-by-model.bin"), str(out / "secret.bin")
    yield "from_file_write.scripted", torch.jit.script(FromFileWrite(victim, created))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield "from_file_write.traced", torch.jit.trace(FromFileWrite(victim, created), torch.ones(*SHAPE))
    yield "from_file_read.scripted", torch.jit.script(FromFileRead(secret))
    yield "print.scripted", torch.jit.script(Print())
    yield "fork.scripted", torch.jit.script(Fork())
    yield "empty_8gb.scripted", torch.jit.script(Empty8GB())
    yield "zeros_8gb.scripted", torch.jit.script(Zeros8GB())
    yield "endless_loop.scripted", torch.jit.script(EndlessLoop())
    yield "loop_for_large.scripted", torch.jit.script(LoopForLarge())
    yield "zeros_for_large.scripted", torch.jit.script(ZerosForLarge())
    yield "mutates_input.scripted", torch.jit.script(MutatesInput())
    yield "meta_weights.scripted", torch.jit.script(MetaWeights())
    yield "sparse_weights.scripted", torch.jit.script(SparseWeights())
    yield "nan_weights.traced", torch.jit.trace(with_weights(Plain(), lambda fc: fc.weight.__setitem__((3, 5), float("nan"))),
                                                torch.ones(*SHAPE))
    yield "inf_bias.scripted", torch.jit.script(with_weights(Plain(), lambda fc: fc.bias.__setitem__(2, float("inf"))))
    yield "nan_output.scripted", torch.jit.script(NanOutput())
    yield "nan_for_large.scripted", torch.jit.script(NanForLarge())
    yield "setstate.scripted", torch.jit.script(SetState(victim))


def rewrite_records(path: Path, change):
    """Rewrites the archive at `path`, each record's bytes replaced by change(name, data)."""
    with zipfile.ZipFile(path) as archive:
        records = [(info, archive.read(info.filename)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for info, data in records:
            archive.writestr(info, change(info.filename, data))


def cut_storages(path: Path, keep: int = 16):
    """Every tensor record (.../data/N) of the archive at `path` cut to `keep` bytes."""
    rewrite_records(path, lambda name, data: data[:keep] if "/data/" in name else data)


def bad_debug_info(path: Path):
    """The archive at `path`, a scripted Plain: a syntax error inside forward's body, and in the
    debug record of that code a string-table index out of range for the source range there."""
    with zipfile.ZipFile(path) as archive:
        code = next(name for name in archive.namelist()
                    if name.endswith(".py") and b"return (self).scores" in archive.read(name))

    def change(name, data):
        if name == code:  # "%)": a syntax error
            return data.replace(b"return (self).scores", b"return (sel%).scores")
        if name == code + ".debug_pkl":
            # forward's source range: text indices [1, 2, 0] (BININT1) -> [0x0fffffff (BININT), 2, 0]
            assert data.count(b"K\x01K\x02K\x00") == 1, "the debug record's layout changed"
            return data.replace(b"K\x01K\x02K\x00", b"J\xff\xff\xff\x0fK\x02K\x00")
        return data
    rewrite_records(path, change)


def untyped_constant(path: Path):
    """The archive at `path`, a scripted Plain: `training : bool` -> `training = 1`."""
    rewrite_records(path, lambda name, data: data.replace(b"\n  training : bool\n", b"\n  training = 1\n")
                    if name.endswith(".py") else data)


def huge_memo_index(path: Path):
    """The archive at `path`, a scripted Plain: data.pkl's BINPUT 0 -> LONG_BINPUT 2**30."""
    def change(name, data):
        if not name.endswith("/data.pkl"):
            return data
        assert b"q\x00" in data, "data.pkl's layout changed"
        return data.replace(b"q\x00", b"r\x00\x00\x00\x40", 1)
    rewrite_records(path, change)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = Path(sys.argv[1]).resolve()
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    for name, module in models(out):
        torch.jit.save(module.eval(), str(out / f"{name}.pt"))
        count += 1
    # A plain scripted model, its archive then rewritten.
    for rewrite in (cut_storages, bad_debug_info, untyped_constant, huge_memo_index):
        path = out / f"{'short_storage' if rewrite is cut_storages else rewrite.__name__}.scripted.pt"
        torch.jit.save(torch.jit.script(Plain()), str(path))
        rewrite(path)
        count += 1
    # After the models: tracing from_file_write ran its forward here.
    (out / "victim.txt").write_bytes(VICTIM_TEXT)
    (out / "secret.bin").write_bytes(torch.arange(10, dtype=torch.float32).numpy().tobytes())
    (out / "created-by-model.bin").unlink(missing_ok=True)
    print(f"wrote {count} hostile models into {out}")


if __name__ == "__main__":
    main()
