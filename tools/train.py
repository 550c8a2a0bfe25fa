#!/usr/bin/python3
"""Trains DigitInfer's default model (SPEC section 3 ConvNet) on MNIST, reproducibly.

Recipe: AdamW + one-cycle learning rate, 12 epochs, batch 128, small random affine
augmentation (rotation +-10 deg, scale 0.9-1.1, shift +-2 px) applied on the batch
with affine_grid/grid_sample. Seeds are fixed and the thread count is pinned so a
rerun gives the same weights on the same machine and torch build.

Run with Debian's interpreter:  /usr/bin/python3 tools/train.py ../shared/data/mnist
"""
import argparse
import math
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mnist  # noqa: E402
from convnet import ConvNet  # noqa: E402
from export_model import export  # noqa: E402

MEAN, STD = 0.1302, 0.3069


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    n = x.shape[0]
    angle = (torch.rand(n, generator=gen) * 2 - 1) * math.radians(10)
    scale = 0.9 + torch.rand(n, generator=gen) * 0.2
    shift = (torch.rand(n, 2, generator=gen) * 2 - 1) * (2.0 / 14.0)  # +-2 px in [-1,1] units
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1),
                         torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def to_input(images_u8: np.ndarray) -> torch.Tensor:
    # Same arithmetic as to_tensor + normalize in the reference pipeline.
    t = torch.from_numpy(images_u8.copy()).float().div(255).unsqueeze(1)
    return t.sub(MEAN).div(STD)


def evaluate(model, x, y) -> float:
    model.eval()
    correct = 0
    with torch.inference_mode():
        for i in range(0, len(x), 1000):
            correct += int((model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum())
    return correct / len(x)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", type=Path, help="directory with the MNIST .gz files")
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "models")
    a = p.parse_args()
    if not (a.data / "train-images-idx3-ubyte.gz").exists():
        print(f"skip: no MNIST data in {a.data}", file=sys.stderr)
        return 2

    torch.manual_seed(a.seed)
    random.seed(a.seed)
    np.random.seed(a.seed)
    torch.set_num_threads(a.threads)
    torch.use_deterministic_algorithms(True)
    gen = torch.Generator().manual_seed(a.seed)

    xtr, ytr = mnist.load(a.data, "train")
    xte, yte = mnist.load(a.data, "t10k")
    xtr, ytr = to_input(xtr), torch.from_numpy(ytr.astype(np.int64))
    xte, yte = to_input(xte), torch.from_numpy(yte.astype(np.int64))
    background = (0 - MEAN) / STD

    model = ConvNet()
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=1e-4)
    steps = a.epochs * math.ceil(len(xtr) / a.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=steps)
    for epoch in range(a.epochs):
        model.train()
        t0 = time.time()
        order = torch.randperm(len(xtr), generator=gen)
        total = 0.0
        for i in range(0, len(xtr), a.batch):
            idx = order[i:i + a.batch]
            # grid_sample pads with 0; shift so padding is the normalized background.
            xb = augment(xtr[idx] - background, gen) + background
            loss = F.nll_loss(model(xb), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * len(idx)
        acc = evaluate(model, xte, yte)
        print(f"epoch {epoch + 1}/{a.epochs} loss {total / len(xtr):.4f} "
              f"test accuracy {acc * 100:.2f}% ({time.time() - t0:.0f} s)", flush=True)

    a.out.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), a.out / "convnet.state_dict.pth")
    export(model, a.out, "convnet")
    print(f"final test accuracy {acc * 100:.2f}%; wrote {a.out}/convnet.{{traced,scripted}}.pt")
    return 0 if acc >= 0.993 else 1


if __name__ == "__main__":
    sys.exit(main())
