"""A YOLOv8n-sized detector graph with random weights, for timing and OpenCV-compatibility checks only.

Written from the published architecture outline (strided convs with batch norm and SiLU, split-and-concat "C2f"
blocks, a pooling pyramid, an upsampling neck, a decoupled head with distribution-focal box regression), not from
any Ultralytics source. Its ONNX export has what matters for OpenCV: about 3 M parameters and 8 GFLOPs at 640 px,
the same operator kinds, and with `dynamic=True` the anchor grid computed from feature-map shapes at run time,
as in dynamic YOLOv8 exports. Needs torch and onnx (the test extra).
"""

from __future__ import annotations

import io
import warnings

import torch
from torch import nn

REG_BINS = 16
STRIDES = (8, 16, 32)


class Conv(nn.Sequential):
    def __init__(self, c1: int, c2: int, k: int = 1, s: int = 1) -> None:
        super().__init__(nn.Conv2d(c1, c2, k, s, k // 2, bias=False), nn.BatchNorm2d(c2), nn.SiLU())


class Bottleneck(nn.Module):
    def __init__(self, c: int, shortcut: bool) -> None:
        super().__init__()
        self.a, self.b, self.shortcut = Conv(c, c, 3), Conv(c, c, 3), shortcut

    def forward(self, x):
        y = self.b(self.a(x))
        return x + y if self.shortcut else y


class C2f(nn.Module):
    def __init__(self, c1: int, c2: int, n: int, shortcut: bool = True) -> None:
        super().__init__()
        self.half = c2 // 2
        self.stem = Conv(c1, 2 * self.half)
        self.blocks = nn.ModuleList(Bottleneck(self.half, shortcut) for _ in range(n))
        self.out = Conv((2 + n) * self.half, c2)

    def forward(self, x):
        parts = list(self.stem(x).split(self.half, dim=1))
        for block in self.blocks:
            parts.append(block(parts[-1]))
        return self.out(torch.cat(parts, dim=1))


class SPPF(nn.Module):
    def __init__(self, c1: int, c2: int) -> None:
        super().__init__()
        self.a, self.b = Conv(c1, c1 // 2), Conv(c1 // 2 * 4, c2)
        self.pool = nn.MaxPool2d(5, 1, 2)

    def forward(self, x):
        x = self.a(x)
        p1 = self.pool(x)
        p2 = self.pool(p1)
        return self.b(torch.cat([x, p1, p2, self.pool(p2)], dim=1))


class YoloLike(nn.Module):
    """Input [1, 3, S, S] in 0..1; output [1, 4 + classes, N] (cx, cy, w, h in input px, class scores)."""

    def __init__(self, classes: int = 1, width: tuple[int, ...] = (16, 32, 64, 128, 256)) -> None:
        super().__init__()
        w0, w1, w2, w3, w4 = width
        self.stage1 = nn.Sequential(Conv(3, w0, 3, 2), Conv(w0, w1, 3, 2), C2f(w1, w1, 1))
        self.stage2 = nn.Sequential(Conv(w1, w2, 3, 2), C2f(w2, w2, 2))  # stride 8
        self.stage3 = nn.Sequential(Conv(w2, w3, 3, 2), C2f(w3, w3, 2))  # stride 16
        self.stage4 = nn.Sequential(Conv(w3, w4, 3, 2), C2f(w4, w4, 1), SPPF(w4, w4))  # stride 32
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.top_down3 = C2f(w4 + w3, w3, 1, False)
        self.top_down2 = C2f(w3 + w2, w2, 1, False)
        self.down2 = Conv(w2, w2, 3, 2)
        self.bottom_up3 = C2f(w2 + w3, w3, 1, False)
        self.down3 = Conv(w3, w3, 3, 2)
        self.bottom_up4 = C2f(w3 + w4, w4, 1, False)
        reg, cls = max(16, w2 // 4, REG_BINS * 4), max(w2, min(classes, 100))
        self.box_heads = nn.ModuleList(
            nn.Sequential(Conv(c, reg, 3), Conv(reg, reg, 3), nn.Conv2d(reg, 4 * REG_BINS, 1)) for c in (w2, w3, w4))
        self.cls_heads = nn.ModuleList(
            nn.Sequential(Conv(c, cls, 3), Conv(cls, cls, 3), nn.Conv2d(cls, classes, 1)) for c in (w2, w3, w4))
        for head in self.cls_heads:  # score prior ~0.01, as a trained detector on an image without hands
            nn.init.constant_(head[-1].bias, -4.6)
        self.register_buffer("bins", torch.arange(REG_BINS, dtype=torch.float32).view(1, REG_BINS, 1, 1))
        self.classes = classes

    def forward(self, x):
        p3 = self.stage2(self.stage1(x))
        p4 = self.stage3(p3)
        p5 = self.stage4(p4)
        n4 = self.top_down3(torch.cat([self.up(p5), p4], dim=1))
        n3 = self.top_down2(torch.cat([self.up(n4), p3], dim=1))
        m4 = self.bottom_up3(torch.cat([self.down2(n3), n4], dim=1))
        m5 = self.bottom_up4(torch.cat([self.down3(m4), p5], dim=1))
        boxes, scores = [], []
        for feature, stride, box_head, cls_head in zip((n3, m4, m5), STRIDES, self.box_heads, self.cls_heads):
            h, w = feature.shape[2], feature.shape[3]
            # distribution-focal regression: softmax over bins, expectation = distance to each side in cells
            dist = box_head(feature).view(1, 4, REG_BINS, h * w).softmax(dim=2)
            dist = (dist * self.bins.view(1, 1, REG_BINS, 1)).sum(dim=2)  # [1, 4, h*w]
            ys = torch.arange(h, dtype=torch.float32) + 0.5  # anchor grid from the feature map's shape
            xs = torch.arange(w, dtype=torch.float32) + 0.5
            ax = xs.view(1, w).expand(h, w).reshape(1, h * w)
            ay = ys.view(h, 1).expand(h, w).reshape(1, h * w)
            x0, y0 = ax - dist[:, 0], ay - dist[:, 1]
            x1, y1 = ax + dist[:, 2], ay + dist[:, 3]
            boxes.append(torch.stack([(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0], dim=1) * stride)
            scores.append(cls_head(feature).view(1, self.classes, h * w).sigmoid())
        return torch.cat([torch.cat(boxes, dim=2), torch.cat(scores, dim=2)], dim=1)


def export_onnx(size: int = 640, classes: int = 1, dynamic: bool = False, seed: int = 0) -> bytes:
    """ONNX bytes of a randomly initialised YoloLike (legacy TorchScript exporter, opset 17 like Ultralytics)."""
    torch.manual_seed(seed)
    model = YoloLike(classes).eval()
    buffer = io.BytesIO()
    axes = {"images": {2: "height", 3: "width"}, "output0": {2: "anchors"}} if dynamic else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.zeros(1, 3, size, size),), buffer, dynamo=False, input_names=["images"],
                          output_names=["output0"], opset_version=17, dynamic_axes=axes)
    return buffer.getvalue()


def parameter_count(classes: int = 1) -> int:
    return sum(p.numel() for p in YoloLike(classes).parameters())
