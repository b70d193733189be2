"""Double of modules/api/api.py: base64 image helpers and the script-argument assembly of the API routes."""

from __future__ import annotations

import base64
import io
from typing import Any

from PIL import Image


class HTTPException(Exception):
    """Stand-in for fastapi.HTTPException (same fields)."""

    def __init__(self, status_code: int, detail: str):
        super().__init__(f"{status_code}: {detail}")
        self.status_code = status_code
        self.detail = detail


def decode_base64_to_image(encoding: str) -> Image.Image:
    if encoding.startswith("data:image/"):
        encoding = encoding.split(";")[1].split(",")[1]
    return Image.open(io.BytesIO(base64.b64decode(encoding)))


def encode_pil_to_base64(image: Image.Image) -> str:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def script_name_to_index(name: str, scripts: list) -> int:
    try:
        return [script.title().lower() for script in scripts].index(name.lower())
    except Exception as e:
        raise HTTPException(status_code=422, detail=f"Script '{name}' not found") from e


def get_script(script_name: str | None, script_runner):
    if script_name is None or script_name == "":
        return None
    return script_runner.scripts[script_name_to_index(script_name, script_runner.scripts)]


def init_default_script_args(script_runner) -> list[Any]:
    """None-filled list up to the largest args_to, slot 0 = 0, then each script's ui() control ``.value``s.

    Like A1111 this calls ``ui()`` (twice per script); non-component controls count as their own value.
    """
    last_arg_index = max([1, *(s.args_to or 0 for s in script_runner.scripts)])
    script_args: list[Any] = [None] * last_arg_index
    script_args[0] = 0
    for script in script_runner.scripts:
        if script.ui(script.is_img2img):
            values = [getattr(elem, "value", elem) for elem in script.ui(script.is_img2img)]
            script_args[script.args_from : script.args_to] = values
    return script_args


def init_script_args(
    request_script_args: list | None,
    alwayson_scripts: dict | None,
    default_script_args: list,
    selectable_scripts,
    selectable_idx: int | None,
    script_runner,
    *,
    input_script_args: dict | None = None,
) -> list[Any]:
    """Mirror of Api.init_script_args with the request fields passed explicitly (no pydantic request object)."""
    script_args = default_script_args.copy()
    for index, value in (input_script_args or {}).items():
        script_args[index] = value
    if selectable_scripts:
        script_args[selectable_scripts.args_from : selectable_scripts.args_to] = request_script_args or []
        script_args[0] = selectable_idx + 1
    for name, payload in (alwayson_scripts or {}).items():
        script = get_script(name, script_runner)
        if script is None:
            raise HTTPException(status_code=422, detail=f"always on script {name} not found")
        if script.alwayson is False:
            raise HTTPException(
                status_code=422, detail="Cannot have a selectable script in the always on scripts params"
            )
        if "args" in payload:
            for idx in range(min(script.args_to - script.args_from, len(payload["args"]))):
                script_args[script.args_from + idx] = payload["args"][idx]
    return script_args
