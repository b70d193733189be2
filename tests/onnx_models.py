"""Tiny YOLOv8-format ONNX models that the tests build themselves (torch exporter + onnx for metadata; no weights).

`Rectangle` finds the white rectangle in its input and reports it in input pixels, so a test can draw a rectangle
at known image coordinates and check the whole path: letterbox, OpenCV's forward pass, decoding, scaling back, NMS.
`FixedBoxes` always reports the same boxes (input pixels), for tests that need a box at a chosen place in a photo.
"""

from __future__ import annotations

import io
import warnings

import torch

WHITE = 0.9  # input values above this (after /255) are the rectangle; the letterbox grey is 114/255


class Rectangle(torch.nn.Module):
    """Output [1, 4 + classes, 3]: the rectangle (score 0.9), the rectangle shifted by 5 % of its width (0.8, to be
    removed by NMS), a half-size box at half the coordinates (0.1, under any sensible threshold). With two classes,
    class 0 ("face") scores the half-size box 0.95, which must not count when only "hand" classes count."""

    def __init__(self, classes: int = 1) -> None:
        super().__init__()
        self.classes = classes

    def forward(self, x):
        mask = (x.mean(dim=1, keepdim=True) > WHITE).float()  # [1, 1, H, W]
        cols = mask.amax(dim=2, keepdim=True)  # [1, 1, 1, W]
        rows = mask.amax(dim=3, keepdim=True)  # [1, 1, H, 1]
        w = cols.sum(dim=3, keepdim=True)[..., 0]  # [1, 1, 1]; OpenCV wants no 0-d tensors
        h = rows.sum(dim=2, keepdim=True)[..., 0]
        xs = (torch.arange(x.shape[3], dtype=torch.float32) + 0.5).view(1, 1, 1, -1)
        ys = (torch.arange(x.shape[2], dtype=torch.float32) + 0.5).view(1, 1, -1, 1)
        cx = (cols * xs).sum(dim=3, keepdim=True)[..., 0] / w
        cy = (rows * ys).sum(dim=2, keepdim=True)[..., 0] / h
        one = torch.ones_like(w)

        def column(box: list, hand: float, face: float):
            scores = [face * one, hand * one] if self.classes == 2 else [hand * one]
            return torch.cat([*box, *scores], dim=1)

        return torch.cat([
            column([cx, cy, w, h], 0.9, 0.0),
            column([cx + 0.05 * w, cy, w, h], 0.8, 0.0),
            column([cx * 0.5, cy * 0.5, w * 0.5, h * 0.5], 0.1, 0.95),
        ], dim=2)


class FixedBoxes(torch.nn.Module):
    """Output [1, 5, len(boxes)]: the given (cx, cy, w, h, score) columns, whatever the input."""

    def __init__(self, boxes: list[tuple[float, float, float, float, float]]) -> None:
        super().__init__()
        self.register_buffer("boxes", torch.tensor(boxes, dtype=torch.float32).T[None])

    def forward(self, x):
        return self.boxes + 0.0 * x.mean()  # keeps the input in the graph


def export(module: torch.nn.Module, size: int, dynamic: bool = False, metadata: dict[str, str] | None = None
           ) -> bytes:
    """ONNX bytes of `module` for a [1, 3, size, size] input; `dynamic` makes height and width symbolic."""
    import onnx

    buffer = io.BytesIO()
    axes = {"images": {2: "height", 3: "width"}} if dynamic else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module.eval(), (torch.zeros(1, 3, size, size),), buffer, dynamo=False,
                          input_names=["images"], output_names=["output0"], opset_version=17, dynamic_axes=axes)
    if not metadata:
        return buffer.getvalue()
    model = onnx.load_from_string(buffer.getvalue())
    onnx.helper.set_model_props(model, metadata)
    return model.SerializeToString()


def letterbox_box(box: tuple[int, int, int, int], image_size: tuple[int, int], size: int
                  ) -> tuple[float, float, float, float]:
    """(cx, cy, w, h) in a size x size letterboxed input of an image box: where a FixedBoxes model must report it."""
    width, height = image_size
    scale = min(size / width, size / height)
    left, top = (size - round(width * scale)) // 2, (size - round(height * scale)) // 2
    x0, y0, x1, y1 = box
    return ((x0 + x1) / 2 * scale + left, (y0 + y1) / 2 * scale + top, (x1 - x0) * scale, (y1 - y0) * scale)
