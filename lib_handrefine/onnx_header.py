"""Read (and pin) the image input shape of an ONNX model without the `onnx` package.

OpenCV's DNN module cannot tell a model's input size, and it cannot import graphs whose input height and width are
symbolic (YOLOv8 models exported with `dynamic=True`: their head computes anchors from `Shape` ops, which OpenCV 4.x
only folds for static inputs). So the few protobuf fields involved are read here, and a dynamic input can be rewritten
to fixed dimensions before OpenCV sees the model. Only the wire format is used: ModelProto.graph (7) ->
GraphProto.input (11) / initializer (5) -> ValueInfoProto.type (2) -> TypeProto.tensor_type (1) -> shape (2) ->
dim (1) -> dim_value (1) | dim_param (2); ModelProto.metadata_props (14) -> key (1), value (2).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5


class OnnxFormatError(ValueError):
    """The bytes are not an ONNX model this reader understands."""


@dataclass(frozen=True)
class OnnxHeader:
    input_name: str
    input_shape: tuple[int | None, ...]  # None where the dimension is symbolic (dynamic)
    metadata: dict[str, str] = field(default_factory=dict)  # Ultralytics writes imgsz, names, stride, ...


@dataclass(frozen=True)
class _Field:
    number: int
    wire: int
    start: int  # offset of the tag: data[start:end] is the whole field, ready to copy
    end: int
    value: int | memoryview  # the integer, or the payload of a length-delimited field


def _varint(data: memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise OnnxFormatError("truncated or malformed varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(data: memoryview) -> Iterator[_Field]:
    pos = 0
    while pos < len(data):
        start = pos
        tag, pos = _varint(data, pos)
        number, wire = tag >> 3, tag & 7
        if wire == VARINT:
            value, pos = _varint(data, pos)
        elif wire == LENGTH:
            size, pos = _varint(data, pos)
            if pos + size > len(data):
                raise OnnxFormatError("a field runs past the end of the file")
            value, pos = data[pos:pos + size], pos + size
        elif wire in (FIXED64, FIXED32):
            pos += 8 if wire == FIXED64 else 4
            value = 0
        else:
            raise OnnxFormatError(f"unsupported protobuf wire type {wire}")
        yield _Field(number, wire, start, pos, value)


def _first(data: memoryview, number: int) -> _Field | None:
    return next((f for f in _fields(data) if f.number == number), None)


def _text(value: memoryview) -> str:
    return bytes(value).decode("utf-8", errors="replace")


def _graph(model: memoryview) -> _Field:
    graph = _first(model, 7)
    if graph is None or graph.wire != LENGTH:
        raise OnnxFormatError("no graph in the model: not an ONNX file")
    return graph


def _image_input(graph: memoryview) -> _Field:
    """The first graph input that is not a weight (old exporters list initializers among the inputs)."""
    weights = set()
    for f in _fields(graph):
        if f.number == 5 and f.wire == LENGTH:
            name = _first(f.value, 8)  # TensorProto.name
            if name is not None:
                weights.add(_text(name.value))
    for f in _fields(graph):
        if f.number == 11 and f.wire == LENGTH:
            name = _first(f.value, 1)
            if name is None or _text(name.value) not in weights:
                return f
    raise OnnxFormatError("the model has no input")


def _shape_of(value_info: memoryview) -> tuple[int | None, ...]:
    dims: list[int | None] = []
    type_proto = _first(value_info, 2)
    tensor = _first(type_proto.value, 1) if type_proto else None
    shape = _first(tensor.value, 2) if tensor else None
    if shape is None:
        return ()
    for dim in _fields(shape.value):
        if dim.number != 1:
            continue
        size = _first(dim.value, 1)
        dims.append(size.value if size is not None and size.value > 0 else None)
    return tuple(dims)


def read_header(data: bytes) -> OnnxHeader:
    """The image input's name and shape and the model's metadata."""
    model = memoryview(data)
    graph = _graph(model)
    image = _image_input(graph.value)
    name = _first(image.value, 1)
    metadata = {}
    for f in _fields(model):
        if f.number == 14 and f.wire == LENGTH:
            key, value = _first(f.value, 1), _first(f.value, 2)
            if key is not None:
                metadata[_text(key.value)] = _text(value.value) if value is not None else ""
    return OnnxHeader(_text(name.value) if name else "", _shape_of(image.value), metadata)


# ----- writing: only what pinning the input shape needs -----
def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _length_field(number: int, payload: bytes) -> bytes:
    return _encode_varint(number << 3 | LENGTH) + _encode_varint(len(payload)) + payload


def _replace(data: memoryview, number: int, rebuild) -> bytes:
    """`data` with every length-delimited field `number` replaced by `rebuild(payload)`; other fields copied."""
    out = bytearray()
    for f in _fields(data):
        if f.number == number and f.wire == LENGTH:
            out += _length_field(number, rebuild(f.value))
        else:
            out += data[f.start:f.end]
    return bytes(out)


def pin_input_shape(data: bytes, shape: tuple[int, ...]) -> bytes:
    """The model with its image input declared as exactly `shape` (e.g. (1, 3, 640, 640)); nothing else changes."""
    model = memoryview(data)
    target = bytes(_image_input(_graph(model).value).value)
    dims = b"".join(_length_field(1, _encode_varint(1 << 3 | VARINT) + _encode_varint(int(d))) for d in shape)

    def tensor(payload: memoryview) -> bytes:
        kept = b"".join(bytes(payload[f.start:f.end]) for f in _fields(payload) if f.number != 2)
        return kept + _length_field(2, dims)

    def value_info(payload: memoryview) -> bytes:
        if bytes(payload) != target:
            return bytes(payload)
        return _replace(payload, 2, lambda type_proto: _replace(type_proto, 1, tensor))

    return _replace(model, 7, lambda graph: _replace(graph, 11, value_info))
