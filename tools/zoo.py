"""The model zoo: digit classifiers written the ways users write them (tools/make_zoo.py trains
and exports them into tests/data/zoo/), and the reference ConvNet (tools/convnet.py) rewritten
several ways with the weights of models/convnet.state_dict.pth (not committed: generated).

Every zoo model takes [N,1,28,28] normalized float32 (mean 0.1302, std 0.3069) and returns [N,10].
ZOO lists them with what tools/make_zoo.py needs: a constructor, the metadata "output" to
declare (None: left out of digitinfer.json, so the library must detect it), training length,
and for the deliberately unsupported model the operators the engine note must name.
"""
from dataclasses import dataclass, field
from typing import Callable, List, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from convnet import ConvNet  # tools/: the reference architecture

# ---------------------------------------------------------------- the zoo


class LeNet5Classic(nn.Module):
    """LeCun et al. 1998 as usually rewritten: tanh, average pooling, padding=2 on the first conv."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2),
            nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2, stride=2))
        self.classifier = nn.Sequential(
            nn.Linear(16 * 5 * 5, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))

    def forward(self, x):
        x = self.features(x)
        x = x.view(x.size(0), -1)
        return F.log_softmax(self.classifier(x), dim=1)


class LeNet5Modern(nn.Module):
    """LeNet-5 the way tutorials write it today: ReLU, max pooling, no padding, raw logits."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 4 * 4, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)
        self.drop = nn.Dropout(0.2)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.drop(F.relu(self.fc2(x)))
        return self.fc3(x)


class BatchNormCNN(nn.Module):
    """Conv-BN-ReLU blocks (bias-free convs, in-place ReLU), Dropout2d, BatchNorm1d before the last Linear."""

    def __init__(self):
        super().__init__()
        self.block1 = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16),
                                    nn.ReLU(inplace=True), nn.MaxPool2d(2))
        self.block2 = nn.Sequential(nn.Conv2d(16, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32),
                                    nn.ReLU(inplace=True), nn.MaxPool2d(2), nn.Dropout2d(0.1))
        self.fc1 = nn.Linear(32 * 7 * 7, 32)
        self.bn = nn.BatchNorm1d(32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = self.block2(self.block1(x))
        x = torch.relu(self.bn(self.fc1(x.flatten(1))))
        return self.fc2(x).log_softmax(dim=1)


class StrideCNN(nn.Module):
    """No pooling: stride-2 convolutions, one with padding=1, one with dilation=2; LeakyReLU; logits."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, stride=2, padding=1)      # 28 -> 14
        self.conv2 = nn.Conv2d(16, 32, 3, stride=2, dilation=2)    # 14 -> 5
        self.conv3 = nn.Conv2d(32, 32, 3)                          # 5 -> 3
        self.act = nn.LeakyReLU(0.05)
        self.fc = nn.Linear(32 * 3 * 3, 10)

    def forward(self, x):
        x = self.act(self.conv1(x))
        x = self.act(self.conv2(x))
        x = F.relu(self.conv3(x))
        return self.fc(x.reshape(x.shape[0], -1))


class GlobalAvgPoolCNN(nn.Module):
    """All-convolutional with a global-average-pool head (AdaptiveAvgPool2d(1)) and nn.LogSoftmax."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(64, 10), nn.LogSoftmax(dim=1))

    def forward(self, x):
        return self.head(self.pool(self.body(x)))


class AdaptivePool3CNN(nn.Module):
    """AdaptiveAvgPool2d((3, 3)) on a 7x7 map (overlapping bins: not a plain average pool), Sigmoid."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d((3, 3))
        self.fc1 = nn.Linear(32 * 9, 48)
        self.fc2 = nn.Linear(48, 10)

    def forward(self, x):
        x = F.max_pool2d(torch.relu(self.conv1(x)), 2)    # 14x14
        x = F.max_pool2d(torch.relu(self.conv2(x)), 2)    # 7x7
        x = self.pool(x).flatten(1)                       # 3x3
        x = torch.sigmoid(self.fc1(x))
        return F.log_softmax(self.fc2(x), 1)


class MLPGelu(nn.Module):
    """nn.Flatten, Linear, GELU, Dropout, Linear, SiLU, Linear, softmax."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.GELU(), nn.Dropout(0.1),
                                 nn.Linear(64, 32), nn.SiLU(), nn.Linear(32, 10))

    def forward(self, x):
        return F.softmax(self.net(x), dim=-1)


class MLPView(nn.Module):
    """x.view(-1, 784); ELU, LeakyReLU, AlphaDropout, Hardswish."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 64)
        self.fc2 = nn.Linear(64, 32)
        self.fc3 = nn.Linear(32, 24)
        self.fc4 = nn.Linear(24, 10)
        self.elu = nn.ELU()
        self.leaky = nn.LeakyReLU()
        self.drop = nn.AlphaDropout(0.05)
        self.hswish = nn.Hardswish()

    def forward(self, x):
        x = x.view(-1, 784)
        x = self.elu(self.fc1(x))
        x = self.drop(self.leaky(self.fc2(x)))
        x = self.hswish(self.fc3(x))
        return torch.log_softmax(self.fc4(x), dim=1)


class ResidualCNN(nn.Module):
    """Residual blocks out = relu(conv(x)) + x (x used twice), a global mean x.mean((2, 3)) head, logits."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 16, 3, padding=1)
        self.res1 = nn.Conv2d(16, 16, 3, padding=1)
        self.down = nn.Conv2d(16, 32, 3, padding=1)
        self.res2 = nn.Conv2d(32, 32, 3, padding=1)
        self.res3 = nn.Conv2d(32, 32, 3, padding=1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = F.relu(self.stem(x))
        x = F.relu(self.res1(x)) + x
        x = F.max_pool2d(x, 2)                 # 14x14
        x = F.relu(self.down(x))
        x = F.max_pool2d(x, 2)                 # 7x7
        y = F.relu(self.res2(x))
        x = x + F.relu(self.res3(y)) + y       # two skips into one sum
        return self.fc(x.mean((2, 3)))


class ConcatCNN(nn.Module):
    """Two branches on one input, joined with torch.cat([a, b], 1); Tanh in one branch."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, padding=1)
        self.branch_a = nn.Conv2d(8, 8, 1)
        self.branch_b = nn.Conv2d(8, 8, 3, padding=1)
        self.conv = nn.Conv2d(16, 32, 3, padding=1)
        self.fc = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.stem(x)), 2)          # 14x14
        a = torch.tanh(self.branch_a(x))
        b = F.relu(self.branch_b(x))
        x = torch.cat([a, b], 1)
        x = F.max_pool2d(F.relu(self.conv(x)), 2)          # 7x7
        return F.log_softmax(self.fc(torch.flatten(x, 1)), dim=1)


class DepthwiseCNN(nn.Module):
    """Depthwise-separable: groups=in_channels 3x3 convs with padding='same', then 1x1; a groups=2 1x1;
    nn.ReLU6, F.relu6 and Hardtanh."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 16, 3, padding=1)
        self.dw1 = nn.Conv2d(16, 16, 3, padding="same", groups=16)
        self.pw1 = nn.Conv2d(16, 32, 1)
        self.dw2 = nn.Conv2d(32, 32, 3, padding="same", groups=32)
        self.pw2 = nn.Conv2d(32, 32, 1, groups=2)
        self.relu6 = nn.ReLU6()
        self.hardtanh = nn.Hardtanh(-1.0, 2.0)
        self.fc = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        x = self.relu6(self.stem(x))
        x = self.hardtanh(self.pw1(F.relu6(self.dw1(x))))
        x = F.max_pool2d(x, 2)                  # 14x14
        x = self.relu6(self.pw2(self.dw2(x)))
        x = F.max_pool2d(x, 2)                  # 7x7
        return F.log_softmax(self.fc(x.flatten(1)), dim=1)


class PoolingCNN(nn.Module):
    """MaxPool2d(3, stride 2, padding 1, ceil_mode) and AvgPool2d(3, 2, 1, ceil_mode,
    count_include_pad=False); nn.Softmax output."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.pool1 = nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)                           # 28 -> 15
        self.conv2 = nn.Conv2d(16, 32, 3)                                                           # 15 -> 13
        self.pool2 = nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)  # 13 -> 7
        self.fc = nn.Linear(32 * 7 * 7, 10)
        self.softmax = nn.Softmax(dim=1)

    def forward(self, x):
        x = self.pool1(F.relu(self.conv1(x)))
        x = self.pool2(F.relu(self.conv2(x)))
        return self.softmax(self.fc(torch.flatten(x, 1)))


class UpsampleLayerNorm(nn.Module):
    """Deliberately unsupported by the native engine: bilinear F.interpolate and nn.LayerNorm."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, stride=2, padding=1)  # 28 -> 14
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.norm = nn.LayerNorm(16 * 7 * 7)
        self.fc = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)  # 14 -> 28
        x = F.max_pool2d(F.relu(self.conv2(x)), 4)                                     # 28 -> 7
        x = self.norm(torch.flatten(x, 1))
        return F.log_softmax(self.fc(x), dim=1)


@dataclass
class ZooModel:
    name: str
    make: Callable[[], nn.Module]
    output: str                      # what forward returns: log_probabilities, probabilities or logits
    covers: str                      # for the README and the report
    declared: bool = True            # "output" in digitinfer.json; False: left out (the library detects it)
    epochs: float = 1.0              # passes over the training set
    lr: float = 3e-3
    unsupported_ops: List[str] = field(default_factory=list)  # empty: runs natively

    @property
    def engine(self) -> str:
        return "libtorch" if self.unsupported_ops else "native"


ZOO = [
    ZooModel("lenet5_classic", LeNet5Classic, "log_probabilities",
             "Conv padding=2, Tanh, AvgPool2d, x.view(x.size(0), -1), F.log_softmax"),
    ZooModel("lenet5_modern", LeNet5Modern, "logits",
             "Conv, F.relu, F.max_pool2d((2,2)), torch.flatten, Dropout, raw logits (undeclared: detected)",
             declared=False),
    ZooModel("bn_cnn", BatchNormCNN, "log_probabilities",
             "Conv(bias=False)-BatchNorm2d-ReLU(inplace), Dropout2d, BatchNorm1d, Tensor.log_softmax"),
    ZooModel("stride_cnn", StrideCNN, "logits",
             "stride-2 convs (padding=1; dilation=2), no pooling, LeakyReLU, reshape(x.shape[0], -1), logits"),
    ZooModel("gap_cnn", GlobalAvgPoolCNN, "log_probabilities",
             "AdaptiveAvgPool2d(1) head, nn.Flatten, nn.LogSoftmax", epochs=3, lr=5e-3),
    ZooModel("adaptive3_cnn", AdaptivePool3CNN, "log_probabilities",
             "AdaptiveAvgPool2d((3,3)) on 7x7 (overlapping bins), Tensor.flatten, Sigmoid"),
    ZooModel("mlp_gelu", MLPGelu, "probabilities",
             "nn.Flatten, Linear, GELU, Dropout, SiLU, F.softmax(dim=-1) (undeclared: detected)",
             declared=False, epochs=5),
    ZooModel("mlp_view", MLPView, "log_probabilities",
             "x.view(-1, 784), ELU, LeakyReLU, AlphaDropout, Hardswish, torch.log_softmax", epochs=5),
    ZooModel("residual_cnn", ResidualCNN, "logits",
             "out = relu(conv(x)) + x, a three-way sum, x.mean((2, 3)) head, logits"),
    ZooModel("concat_cnn", ConcatCNN, "log_probabilities",
             "two branches (1x1 + Tanh, 3x3 + ReLU) joined by torch.cat([a, b], 1)"),
    ZooModel("depthwise_cnn", DepthwiseCNN, "log_probabilities",
             "depthwise 3x3 convs padding='same', 1x1 convs, groups=2, nn.ReLU6, F.relu6, Hardtanh(-1, 2)"),
    ZooModel("pooling_cnn", PoolingCNN, "probabilities",
             "MaxPool2d(3, 2, padding=1, ceil_mode), AvgPool2d(3, 2, 1, ceil_mode, count_include_pad=False),"
             " nn.Softmax"),
    ZooModel("unsupported_upsample_layernorm", UpsampleLayerNorm, "log_probabilities",
             "F.interpolate(bilinear) and nn.LayerNorm: not for the native engine (falls back to libtorch)",
             unsupported_ops=["upsample_bilinear2d", "layer_norm"]),
]

# Zoo models also committed as .dimodel (for builds without the libtorch plugin), from these files.
DIMODELS = ["residual_cnn.scripted.pt", "depthwise_cnn.traced.pt", "bn_cnn.scripted.pt"]


# ---------------------------------------------------------------- the reference ConvNet, rewritten
# Each has ConvNet's weights (load_convnet maps the state dict's names) and computes what
# tools/convnet.py computes.

class SequentialConvNet(nn.Module):
    """Nested nn.Sequential with nn.Flatten and nn.LogSoftmax."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Sequential(nn.Conv2d(1, 16, 3), nn.ReLU(), nn.Conv2d(16, 32, 3), nn.ReLU()),
            nn.MaxPool2d(2), nn.Dropout(0.10), nn.Flatten(),
            nn.Sequential(nn.Linear(4608, 64), nn.ReLU(), nn.Dropout(0.25), nn.Linear(64, 10)),
            nn.LogSoftmax(dim=1))

    RENAME = {"conv1": "net.0.0", "conv2": "net.0.2", "fc1": "net.4.0", "fc2": "net.4.3"}

    def forward(self, x):
        return self.net(x)


class FunctionalConvNet(nn.Module):
    """F.conv2d / F.relu / F.max_pool2d / F.dropout / F.linear / F.log_softmax on bare Parameters."""

    def __init__(self):
        super().__init__()
        self.w1 = nn.Parameter(torch.empty(16, 1, 3, 3))
        self.b1 = nn.Parameter(torch.empty(16))
        self.w2 = nn.Parameter(torch.empty(32, 16, 3, 3))
        self.b2 = nn.Parameter(torch.empty(32))
        self.w3 = nn.Parameter(torch.empty(64, 4608))
        self.b3 = nn.Parameter(torch.empty(64))
        self.w4 = nn.Parameter(torch.empty(10, 64))
        self.b4 = nn.Parameter(torch.empty(10))

    RENAME = {"conv1.weight": "w1", "conv1.bias": "b1", "conv2.weight": "w2", "conv2.bias": "b2",
              "fc1.weight": "w3", "fc1.bias": "b3", "fc2.weight": "w4", "fc2.bias": "b4"}

    def forward(self, x):
        x = F.relu(F.conv2d(x, self.w1, self.b1, stride=1))
        x = F.relu(F.conv2d(x, self.w2, self.b2))
        x = F.dropout(F.max_pool2d(x, kernel_size=2, stride=2), 0.10, self.training)
        x = torch.flatten(x, 1)
        x = F.dropout(F.relu(F.linear(x, self.w3, self.b3)), 0.25, self.training)
        return F.log_softmax(F.linear(x, self.w4, self.b4), dim=1)


class _ConvNetBody(ConvNet):
    """ConvNet's layers (tools/convnet.py); subclasses choose the flatten and the linear layers."""

    def features(self, x: Tensor) -> Tensor:
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        return self.dropout1(F.max_pool2d(x, 2))


class ViewConvNet(_ConvNetBody):
    """x.view(x.size(0), -1)."""

    def forward(self, x):
        x = self.features(x)
        x = x.view(x.size(0), -1)
        return F.log_softmax(self.fc2(self.dropout2(F.relu(self.fc1(x)))), dim=1)


class ReshapeConvNet(_ConvNetBody):
    """x.reshape(-1, 4608) (the PyTorch MNIST example's reshape(-1, 9216), for this model's size)."""

    def forward(self, x):
        x = self.features(x).reshape(-1, 4608)
        return F.log_softmax(self.fc2(self.dropout2(F.relu(self.fc1(x)))), dim=1)


class FlattenConvNet(_ConvNetBody):
    """torch.flatten(x, 1), with nn.ReLU modules and nn.LogSoftmax."""

    def __init__(self):
        super().__init__()
        self.relu = nn.ReLU()
        self.log_softmax = nn.LogSoftmax(dim=1)

    def forward(self, x):
        x = self.relu(self.conv2(self.relu(self.conv1(x))))
        x = torch.flatten(self.dropout1(F.max_pool2d(x, 2)), 1)
        return self.log_softmax(self.fc2(self.dropout2(self.relu(self.fc1(x)))))


class AddmmConvNet(_ConvNetBody):
    """Linear the way PyTorch <= 1.4 traced it: torch.addmm(bias, x, weight.t())."""

    def forward(self, x):
        x = torch.flatten(self.features(x), 1)
        x = F.relu(torch.addmm(self.fc1.bias, x, self.fc1.weight.t()))
        x = torch.addmm(self.fc2.bias, self.dropout2(x), self.fc2.weight.t())
        return F.log_softmax(x, dim=1)


class MatmulConvNet(_ConvNetBody):
    """Linear as x @ w.t() + b (aten::matmul, aten::add)."""

    def forward(self, x):
        x = torch.flatten(self.features(x), 1)
        x = F.relu(x @ self.fc1.weight.t() + self.fc1.bias)
        x = self.dropout2(x).matmul(self.fc2.weight.t()) + self.fc2.bias
        return F.log_softmax(x, dim=1)


def _log_softmax(x: Tensor, dim: Optional[int] = None) -> Tensor:
    """Old F.log_softmax: an Optional dim, checked with `is None`."""
    if dim is None:
        dim = 0 if x.dim() in (0, 1, 3) else 1
    return x.log_softmax(dim)


class CheckedConvNet(_ConvNetBody):
    """Shape checks in forward the way user code and older F.* did: raise on a bad rank or channel
    count, an Optional[Tensor] argument and attribute checked with `is None`."""

    mask: Optional[Tensor]

    def __init__(self):
        super().__init__()
        self.mask = None

    def forward(self, x: Tensor, scale: Optional[Tensor] = None) -> Tensor:
        if x.dim() != 4:
            raise ValueError("expected a 4-D input [N, 1, 28, 28], got " + str(x.dim()) + "-D")
        if x.size(1) != 1:
            raise ValueError("expected 1 channel")
        if x.size(2) != 28 or x.size(3) != 28:
            raise RuntimeError("expected 28x28 images")
        if scale is not None:
            x = x * scale
        x = self.features(x)
        mask = self.mask  # TorchScript refines locals, not attributes
        if mask is not None:
            x = x * mask
        x = torch.flatten(x, 1)
        if x.dim() != 2:
            raise ValueError("linear: expected a 2-D input")
        x = self.dropout2(F.relu(self.fc1(x)))
        return _log_softmax(self.fc2(x), dim=1)


@dataclass
class ConvNetVariant:
    name: str
    make: Callable[[], nn.Module]
    forms: List[str]  # "traced", "scripted"
    covers: str


VARIANTS = [
    ConvNetVariant("convnet_sequential", SequentialConvNet, ["traced", "scripted"],
                   "nested nn.Sequential, nn.Flatten, nn.LogSoftmax"),
    ConvNetVariant("convnet_functional", FunctionalConvNet, ["traced", "scripted"],
                   "F.conv2d/F.relu/F.max_pool2d/F.dropout/F.linear/F.log_softmax on nn.Parameters"),
    ConvNetVariant("convnet_view", ViewConvNet, ["traced", "scripted"], "x.view(x.size(0), -1)"),
    ConvNetVariant("convnet_reshape", ReshapeConvNet, ["traced", "scripted"], "x.reshape(-1, 4608)"),
    ConvNetVariant("convnet_flatten", FlattenConvNet, ["traced", "scripted"],
                   "torch.flatten(x, 1), nn.ReLU reused three times, nn.LogSoftmax"),
    ConvNetVariant("convnet_addmm", AddmmConvNet, ["traced", "scripted"],
                   "torch.addmm(bias, x, weight.t()) (old PyTorch's traced Linear)"),
    ConvNetVariant("convnet_matmul", MatmulConvNet, ["traced", "scripted"], "x @ w.t() + b"),
    ConvNetVariant("convnet_checked", CheckedConvNet, ["traced", "scripted"],
                   "raise on bad shapes, Optional[Tensor] argument and attribute checked with `is None`"),
]


def load_convnet(variant: ConvNetVariant, state_dict) -> nn.Module:
    """The variant with ConvNet's weights (names mapped where the variant renames them)."""
    model = variant.make()
    rename = getattr(model, "RENAME", {})
    mapped = {}
    for key, value in state_dict.items():
        if key in rename:
            mapped[rename[key]] = value
        else:
            layer, _, param = key.partition(".")
            mapped[f"{rename[layer]}.{param}" if layer in rename else key] = value
    model.load_state_dict(mapped)
    return model.eval()


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
