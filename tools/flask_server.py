#!/usr/bin/python3
"""The classic Flask model server (SPEC section 4) with the Python reference pipeline (SPEC section 2).

It is the peer the server benchmark (bench/server/run.sh, issue 9) compares digitinfer-server with:
what a PyTorch user deploys before DigitInfer.

Endpoints (inference only; no management or metrics API):

    POST /test                  multipart/form-data: part `data` = raw little-endian float32 bytes of the
                                normalized tensor (C order), part `metadata` = JSON {"dims":[1,28,28]}
                                (a file part or a plain form field) -> 200 text/plain, the digit ("2")
    POST|PUT /predictions/<m>   body = the raw image file (curl -T / --data-binary), or a multipart part
                                named `data` or `file` -> 200 text/plain, the digit, after SPEC section 2's
                                exact pipeline: PIL open, to_grayscale, resize (28,28), to_tensor,
                                normalize(0.1302, 0.3069), forward, argmax. <m> must be the served name
                                (default "convnet"), else 404.
    GET  /ping                  -> 200 {"status": "Healthy"}

Errors are JSON {"code": N, "type": "...", "message": "..."} (TorchServe's shape).

Run it (from the repository root; /usr/bin/python3 has torch, torchvision, Pillow, Flask, gunicorn):

    # Flask's development server, threaded (one thread per connection):
    /usr/bin/python3 tools/flask_server.py --port 8000 [--host 127.0.0.1] [--model models/convnet.traced.pt]

    # gunicorn, 2 sync worker processes (each loads the model once, at import); Debian's /usr/bin/gunicorn
    # (python3-gunicorn) runs /usr/bin/python3, and so does the second form:
    gunicorn -w 2 -b 127.0.0.1:8000 --chdir /work/main 'tools.flask_server:app'
    /usr/bin/python3 -m gunicorn -w 2 -b 127.0.0.1:8000 --chdir /work/main 'tools.flask_server:app'

  (`tools` has no __init__.py: it is imported as a namespace package from --chdir, which gunicorn puts on
  sys.path; `--chdir /work/main/tools 'flask_server:app'` works as well.) Environment, read at import, for
  both ways (the command-line flags of the dev server override the first two):

    DIGITINFER_FLASK_MODEL     TorchScript file (default: models/convnet.traced.pt next to tools/)
    DIGITINFER_FLASK_NAME      the model name served under /predictions/ (default: convnet)
    DIGITINFER_FLASK_THREADS   torch intra-op threads per process (default: 1, see below)

Threads: one intra-op thread, by default: torch.set_num_threads(1), set_num_interop_threads(1), and
OMP_NUM_THREADS=1 / MKL_NUM_THREADS=1 set before torch is imported (unless already set). That is what a
sane deployment on a small machine does: the dev server runs many requests at once in threads (the GIL
serializes the Python parts anyway) and gunicorn runs one process per core, so a forward pass that also
started a team of all cores would only oversubscribe them. The environment variables matter for the dev
server: OpenMP's thread count is per thread and set_num_threads sets only the calling thread's, so
without OMP_NUM_THREADS=1 every request thread starts its own team of all cores (measured here: 8
connections to the dev server, /test, ~100 requests/s instead of ~420). A batch-1 forward of this model
gains little from a second thread (docs/benchmarks.md: "Python torch.jit.load" 224 us on 1 thread).
"""
import argparse
import io
import json
import os
import sys
from pathlib import Path


def _threads():
    try:
        return max(1, int(os.environ.get("DIGITINFER_FLASK_THREADS", "1")))
    except ValueError:
        return 1


# Before torch is imported: OpenMP's thread count is per thread, and torch.set_num_threads only sets the
# calling thread's, so each request thread of the dev server would otherwise start its own team of all cores.
os.environ.setdefault("OMP_NUM_THREADS", str(_threads()))
os.environ.setdefault("MKL_NUM_THREADS", str(_threads()))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torchvision.transforms.functional as TF  # noqa: E402
from flask import Flask, Response, request  # noqa: E402
from PIL import Image  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MEAN, STD = (0.1302,), (0.3069,)
INPUT_DIMS = [1, 28, 28]


torch.set_num_threads(_threads())
try:
    torch.set_num_interop_threads(1)
except RuntimeError:  # already set (e.g. imported twice); harmless
    pass

app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = 6553500  # TorchServe's default max_request_size
_state = {"model": None, "path": None, "name": os.environ.get("DIGITINFER_FLASK_NAME", "convnet")}


def load(path=None, name=None):
    """Loads the TorchScript model (once per process) and sets the name served under /predictions/."""
    path = str(path or os.environ.get("DIGITINFER_FLASK_MODEL") or ROOT / "models" / "convnet.traced.pt")
    model = torch.jit.load(path, map_location="cpu")
    model.eval()
    _state.update(model=model, path=path)
    if name:
        _state["name"] = name
    return model


def error(code, kind, message):
    body = json.dumps({"code": code, "type": kind, "message": message})
    return Response(body, status=code, mimetype="application/json")


def forward(x):
    """x: normalized float32 tensor [1,28,28] -> the digit (SPEC section 2: argmax of the log-probabilities)."""
    with torch.no_grad():
        out = _state["model"](x.unsqueeze(0))
    return int(out.argmax(1))


def digit_response(digit):
    return Response(str(digit), status=200, mimetype="text/plain")


@app.route("/ping", methods=["GET"])
def ping():
    if _state["model"] is None:
        return Response(json.dumps({"status": "Unhealthy"}), status=500, mimetype="application/json")
    return Response(json.dumps({"status": "Healthy"}), status=200, mimetype="application/json")


def _part(name):
    """The bytes of multipart part `name`, whether it came as a file part or a plain form field; None if absent."""
    f = request.files.get(name)
    if f is not None:
        return f.read()
    v = request.form.get(name)
    return v.encode() if v is not None else None


@app.route("/test", methods=["POST"])
def test():
    data, metadata = _part("data"), _part("metadata")
    if data is None or metadata is None:
        return error(400, "BadRequestException", "multipart parts 'data' and 'metadata' are required")
    try:
        dims = json.loads(metadata)["dims"]
        dims = [int(d) for d in dims]
    except (ValueError, KeyError, TypeError) as e:
        return error(400, "BadRequestException", f"bad metadata: {e}")
    if dims != INPUT_DIMS:
        return error(400, "BadRequestException", f"dims {dims} are not the model's {INPUT_DIMS}")
    if len(data) != 4 * int(np.prod(dims)):
        return error(400, "BadRequestException", f"data has {len(data)} bytes, dims need {4 * int(np.prod(dims))}")
    arr = np.frombuffer(data, dtype="<f4").reshape(dims)
    if not np.isfinite(arr).all():
        return error(400, "BadRequestException", "data holds NaN or infinity")
    return digit_response(forward(torch.from_numpy(arr.astype(np.float32))))


def _image_bytes():
    if request.mimetype and request.mimetype.startswith("multipart/"):
        for name in ("data", "file"):
            f = request.files.get(name)
            if f is not None:
                return f.read()
        return None
    return request.get_data(cache=False)


@app.route("/predictions/<model>", methods=["POST", "PUT"])
@app.route("/predictions/<model>/<version>", methods=["POST", "PUT"])
def predictions(model, version=None):
    if model != _state["name"]:
        return error(404, "ModelNotFoundException", f"Model not found: {model}")
    body = _image_bytes()
    if not body:
        return error(400, "BadRequestException", "empty body: send the image file")
    try:
        with Image.open(io.BytesIO(body)) as img:
            g = TF.to_grayscale(img)  # PIL convert("L")
            r = TF.resize(g, (28, 28))  # PIL bilinear, antialiased
            t = TF.to_tensor(r)  # uint8/255 -> float32 [1,28,28]
            x = TF.normalize(t, MEAN, STD)
    except Exception as e:  # PIL raises many kinds for bad images
        return error(400, "BadRequestException", f"cannot decode the image: {e}")
    return digit_response(forward(x))


load()  # at import: the dev server below and every gunicorn worker (no --preload) load the model once


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--model", help="TorchScript file (default: models/convnet.traced.pt)")
    p.add_argument("--name", help="model name served under /predictions/ (default: convnet)")
    a = p.parse_args()
    if a.model or a.name:
        load(a.model, a.name)
    print(f"flask_server: serving {_state['path']} as {_state['name']} on http://{a.host}:{a.port} "
          f"(torch threads {torch.get_num_threads()})", flush=True)
    app.run(host=a.host, port=a.port, threaded=True, debug=False, use_reloader=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
