"""The ONNX box detector's real loading and decoding, on tiny models the tests export themselves."""

from __future__ import annotations

import numpy as np
import pytest

from lib_handrefine.box_detector import DEFAULT_INPUT_SIZE, BoxDetector, BoxDetectorError, decode, get_box_detector
from lib_handrefine.onnx_header import pin_input_shape, read_header

from .onnx_models import FixedBoxes, Rectangle, export


@pytest.fixture(scope="session")
def models(tmp_path_factory):
    """name -> path of each test model (exported once per session, ~0.3 s each)."""
    folder = tmp_path_factory.mktemp("onnx")
    specs = {
        "static320": (Rectangle(), 320, False, None),
        "dynamic_imgsz256": (Rectangle(), 320, True, {"imgsz": "[256, 256]", "names": "{0: 'hand'}"}),
        "dynamic_plain": (Rectangle(), 320, True, None),
        "face_and_hand": (Rectangle(classes=2), 320, False, {"names": "{0: 'face', 1: 'hand'}"}),
    }
    paths = {}
    for name, (module, size, dynamic, metadata) in specs.items():
        paths[name] = folder / f"{name}.onnx"
        paths[name].write_bytes(export(module, size, dynamic, metadata))
    return paths


def image_with_rectangle(width: int, height: int, box: tuple[int, int, int, int]) -> np.ndarray:
    rgb = np.full((height, width, 3), 60, np.uint8)
    x0, y0, x1, y1 = box
    rgb[y0:y1, x0:x1] = 255
    return rgb


@pytest.mark.parametrize(("model", "size"), [("static320", 320), ("dynamic_imgsz256", 256),
                                             ("dynamic_plain", DEFAULT_INPUT_SIZE)])
@pytest.mark.parametrize(("width", "height", "box"), [
    (1000, 600, (400, 150, 700, 390)),  # landscape: padding above and below
    (480, 900, (40, 600, 200, 820)),  # portrait: padding left and right
])
def test_box_found_where_it_is_in_the_image(models, model, size, width, height, box):
    detector = BoxDetector(models[model])
    assert detector.input_size == size  # fixed input, else the imgsz metadata, else 640
    found = detector.detect(image_with_rectangle(width, height, box))
    # the shifted duplicate is suppressed (NMS), the 0.1 box is under the threshold
    assert len(found) == 1
    assert found[0].score == pytest.approx(0.9)
    tolerance = 1.5 * max(width, height) / size + 1  # one input pixel, scaled back, plus rounding
    assert np.abs(np.array(found[0].box) - np.array(box)).max() <= tolerance, found[0].box


def test_only_hand_classes_count(models):
    detector = BoxDetector(models["face_and_hand"])
    assert detector.info.classes == (1,)
    found = detector.detect(image_with_rectangle(640, 640, (100, 300, 300, 500)))
    assert [d.score for d in found] == [pytest.approx(0.9)]  # the 0.95 "face" box is not a hand


def test_confidence_and_iou_are_applied(models):
    detector = BoxDetector(models["static320"])
    rgb = image_with_rectangle(640, 640, (100, 300, 300, 500))
    assert [round(d.score, 2) for d in detector.detect(rgb, confidence=0.05, iou=0.99)] == [0.9, 0.8, 0.1]
    assert detector.detect(rgb, confidence=0.95) == []


def test_decode_scales_back_and_clips():
    # one box in a 100 px input: centre (50, 40), 20 x 10; the image was scaled by 0.5 and shifted down 10 px
    output = np.array([[[50.0], [40.0], [20.0], [10.0], [0.8]]], np.float32)
    found = decode(output, scale=0.5, pad=(0, 10), image_size=(200, 160))
    assert [(d.box, round(d.score, 2)) for d in found] == [((80, 50, 120, 70), 0.8)]
    # a box reaching past the image is clipped to it
    output = np.array([[[5.0], [40.0], [30.0], [10.0], [0.8]]], np.float32)
    assert decode(output, 0.5, (0, 10), (200, 160))[0].box == (0, 50, 40, 70)


def test_wrong_output_layout_is_a_clear_error():
    with pytest.raises(BoxDetectorError, match=r"YOLOv8-style output \[1, 4 \+ classes, N\]"):
        decode(np.zeros((1, 3, 10), np.float32), 1.0, (0, 0), (100, 100))


def test_unreadable_and_non_image_models_fail_clearly(tmp_path):
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\xff\xff\xff\xff not a model")
    with pytest.raises(BoxDetectorError, match="not an ONNX model"):
        BoxDetector(junk)
    with pytest.raises(BoxDetectorError, match="cannot read"):
        BoxDetector(tmp_path / "missing.onnx")


def test_header_reads_and_pins_the_input(models):
    data = models["dynamic_imgsz256"].read_bytes()
    header = read_header(data)
    assert header.input_name == "images"
    assert header.input_shape == (1, 3, None, None)
    assert header.metadata == {"imgsz": "[256, 256]", "names": "{0: 'hand'}"}
    pinned = read_header(pin_input_shape(data, (1, 3, 256, 256)))
    assert pinned.input_shape == (1, 3, 256, 256) and pinned.metadata == header.metadata


def test_pinned_model_is_still_a_valid_onnx_model(models):
    import onnx

    model = onnx.load_from_string(pin_input_shape(models["dynamic_plain"].read_bytes(), (1, 3, 64, 64)))
    onnx.checker.check_model(model)
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims == [1, 3, 64, 64]


def test_one_detector_per_model_file(models, tmp_path):
    first = get_box_detector(models["static320"])
    assert get_box_detector(models["static320"]) is first
    assert get_box_detector(models["dynamic_plain"]) is not first


def test_fixed_boxes_model_reports_its_boxes(tmp_path):
    path = tmp_path / "fixed.onnx"
    path.write_bytes(export(FixedBoxes([(100.0, 100.0, 50.0, 40.0, 0.7)]), 320))
    found = BoxDetector(path).detect(np.zeros((320, 320, 3), np.uint8))
    assert [(d.box, round(d.score, 2)) for d in found] == [((75, 80, 125, 120), 0.7)]
