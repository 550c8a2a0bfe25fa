"""TorchServe handler for the DigitInfer ConvNet: SPEC section 2's reference pipeline, one digit per request.

Archived with models/convnet.traced.pt into convnet.mar by tools/torchserve/setup.sh. For each request of
a batch it takes the body (raw bytes, what `curl -T digit.png` sends, or a multipart/form field named
`data` or `body`), opens it with PIL, and runs exactly

    to_grayscale -> resize (28, 28) -> to_tensor -> normalize((0.1302,), (0.3069,))

then the TorchScript forward on the stacked batch; it returns [digit, ...], one int per request, which
TorchServe sends back as the response body (e.g. `2`).
"""
import io
import logging

import torch
import torchvision.transforms.functional as TF
from PIL import Image
from ts.torch_handler.base_handler import BaseHandler

logger = logging.getLogger(__name__)

MEAN, STD = (0.1302,), (0.3069,)


class DigitHandler(BaseHandler):
    """BaseHandler loads the serialized file (TorchScript: torch.jit.load) and puts it in eval mode."""

    def initialize(self, context):
        # One intra-op thread per worker: TorchServe runs one Python worker per model worker, and a
        # batch-1 forward of this model does not gain from more (see tools/flask_server.py).
        torch.set_num_threads(1)
        super().initialize(context)

    @staticmethod
    def _bytes(row):
        data = row.get("data") if isinstance(row, dict) else None
        if data is None and isinstance(row, dict):
            data = row.get("body")
        if data is None:
            data = row
        if isinstance(data, (bytearray, memoryview)):
            data = bytes(data)
        if isinstance(data, str):
            data = data.encode("latin-1")
        if not isinstance(data, bytes):
            raise ValueError(f"request body of type {type(data).__name__} is not an image file")
        return data

    def preprocess(self, data):
        tensors = []
        for row in data:
            with Image.open(io.BytesIO(self._bytes(row))) as img:
                g = TF.to_grayscale(img)  # PIL convert("L")
                r = TF.resize(g, (28, 28))  # PIL bilinear, antialiased
                t = TF.to_tensor(r)  # uint8/255 -> float32 [1,28,28]
                tensors.append(TF.normalize(t, MEAN, STD))
        return torch.stack(tensors).to(self.device)

    def inference(self, data, *args, **kwargs):
        with torch.no_grad():
            return self.model(data)  # [N,10] log-probabilities

    def postprocess(self, data):
        return [int(d) for d in data.argmax(1).tolist()]
