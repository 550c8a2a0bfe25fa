#!/usr/bin/python3
"""Writes the fuzz_torchscript_model seeds: tiny TorchScript archives (a few KB each).

    /usr/bin/python3 tests/fuzz/make_torchscript_seeds.py [OUT_DIR]   # default tests/fuzz/corpus/torchscript_model

torch.jit.save deflates the code entries; libFuzzer's byte mutations would only break the
deflate streams, so every entry is re-stored uncompressed (libtorch reads either): mutations then
reach the pickles, the TorchScript source, the metadata JSON and the weights.
Seeds: a scripted and a traced model that load (with and without digitinfer.json metadata),
one the allow-list refuses (print) and one whose output has the wrong shape.
"""
import io
import pathlib
import sys
import zipfile

import torch

torch.manual_seed(0)
OUT = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent / "corpus" / "torchscript_model")


class Linear(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(16, 10)

    def forward(self, x):
        return torch.log_softmax(self.fc(x.flatten(1)), 1)


class Conv(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 2, 3, padding=1)
        self.fc = torch.nn.Linear(2 * 4 * 4, 10)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv(x)), 2)
        return torch.log_softmax(self.fc(x.flatten(1)), 1)


class Prints(Linear):
    def forward(self, x):
        print(x.shape)  # not pure tensor math: refused unless the model is trusted
        return torch.log_softmax(self.fc(x.flatten(1)), 1)


class WrongOutput(Linear):
    def forward(self, x):
        return self.fc(x.flatten(1))[:, :3]


def stored(archive: bytes) -> bytes:
    """The same zip archive, every entry uncompressed."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
    return out.getvalue()


def save(module: torch.jit.ScriptModule, name: str, metadata: str = None) -> None:
    buffer = io.BytesIO()
    extra = {"digitinfer.json": metadata} if metadata else {}
    torch.jit.save(module, buffer, _extra_files=extra)
    data = stored(buffer.getvalue())
    torch.jit.load(io.BytesIO(data))  # still an archive libtorch reads
    (OUT / name).write_bytes(data)
    print(f"{OUT / name}: {len(data)} bytes")


OUT.mkdir(parents=True, exist_ok=True)
meta4 = '{"input": {"channels": 1, "height": 4, "width": 4}, "mean": 0.5, "std": 0.25, "output": "log_probabilities"}'
save(torch.jit.script(Linear().eval()), "linear-scripted-4x4.pt", meta4)
save(torch.jit.trace(Conv().eval(), torch.zeros(1, 1, 8, 8)), "conv-traced-8x8.pt",
     '{"input": {"channels": 1, "height": 8, "width": 8}}')
save(torch.jit.script(Linear().eval()), "linear-scripted-no-metadata.pt")
save(torch.jit.script(Prints().eval()), "print-refused-4x4.pt", meta4)
save(torch.jit.script(WrongOutput().eval()), "wrong-output-4x4.pt", meta4)
