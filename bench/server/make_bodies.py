#!/usr/bin/python3
"""Writes the request bodies of the server benchmark into DIR (default bench/server/out/bodies).

    /usr/bin/python3 bench/server/make_bodies.py [DIR]

- digit-2.f32        the normalized tensor of examples/images/digit-2.png computed by the Python reference
                     (tools/reference.py: to_grayscale, resize, to_tensor, normalize), 1x28x28 little-endian
                     float32, 3136 bytes
- test.multipart     a multipart/form-data body for POST /test: part `data` (that tensor, a file part) and part
                     `metadata` ({"dims":[1,28,28]}); the boundary is in test.boundary
- digit-2.png, digit-7.png   copies of examples/images/ (28x28 L and 251x248 RGBA PNG)
Prints the reference digit of each image, so the benchmark can check every server's answer.
"""
import shutil
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import reference  # noqa: E402

BOUNDARY = "digitinferbenchBoundary7MA4YWxkTrZu0gW"


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "bench" / "server" / "out" / "bodies"
    out.mkdir(parents=True, exist_ok=True)
    model, meta = reference.load_model(ROOT / "models" / "convnet.traced.pt")
    for name in ("digit-2.png", "digit-7.png"):
        shutil.copyfile(ROOT / "examples" / "images" / name, out / name)
        with Image.open(ROOT / "examples" / "images" / name) as img:
            _, x = reference.preprocess(img, meta)
            digit = reference.infer(model, meta, x)["digit"]
        print(f"{name} {digit}")
        if name == "digit-2.png":
            tensor = x.numpy().astype("<f4").tobytes()
            assert len(tensor) == 3136
            (out / "digit-2.f32").write_bytes(tensor)
            crlf = b"\r\n"
            b = BOUNDARY.encode()
            body = (b"--" + b + crlf
                    + b'Content-Disposition: form-data; name="data"; filename="data"' + crlf
                    + b"Content-Type: application/octet-stream" + crlf + crlf + tensor + crlf
                    + b"--" + b + crlf
                    + b'Content-Disposition: form-data; name="metadata"' + crlf + crlf
                    + b'{"dims":[1,28,28]}' + crlf
                    + b"--" + b + b"--" + crlf)
            (out / "test.multipart").write_bytes(body)
            (out / "test.boundary").write_text(BOUNDARY)
            print(f"test.multipart {digit}")


if __name__ == "__main__":
    main()
