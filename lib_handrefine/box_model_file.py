"""Find the anime hand detector's ONNX file, or download the recommended one once (only when the user chose it).

Lookup order: the "Detector model file" setting (any YOLOv8-style ONNX file), then
`<models dir>/handrefine/anime_hand_detect_v1.0_n.onnx`, then a download of deepghs' `hand_detect_v1.0_n` from
Hugging Face, pinned to one revision and checked against the sha256 that Hugging Face publishes for that file. The
download streams into a temporary file next to the target (model_file's fetcher, progress bar and hash check) and
is moved into place only after the hash matches, so a broken or altered download never becomes the model.
"""

from __future__ import annotations

import os
import tempfile
import urllib.error
from dataclasses import dataclass
from pathlib import Path

from . import model_file
from .model_file import ModelFileError


@dataclass(frozen=True)
class RecommendedModel:
    name: str
    url: str
    sha256: str
    file_name: str
    page: str  # where the hash is published


# deepghs/anime_hand_detection, hand_detect_v1.0_n: YOLOv8n, 3.01 M parameters, F1 0.75 on their anime hand set,
# licence label "openrail". The sha256 is the Git LFS object id shown on the file's Hugging Face page at this revision.
RECOMMENDED = RecommendedModel(
    name="deepghs/anime_hand_detection hand_detect_v1.0_n",
    url="https://huggingface.co/deepghs/anime_hand_detection/resolve/dba2c5bec15fcee9ac4909b244a84e8783cf46a2/"
        "hand_detect_v1.0_n/model.onnx",
    sha256="b2ebc532c852ae0f09c109f3779573d6f43f67645344484d4a187f91ff4da14e",
    file_name="anime_hand_detect_v1.0_n.onnx",
    page="https://huggingface.co/deepghs/anime_hand_detection/blob/dba2c5bec15fcee9ac4909b244a84e8783cf46a2/"
         "hand_detect_v1.0_n/model.onnx",
)
MIN_BYTES = 100_000  # any real detector is larger; a smaller file is an error page


def resolve_detector_model(
    explicit: str | Path | None = None,
    models_dir: str | Path | None = None,
    *,
    download: bool = True,
    progress: bool = True,
    model: RecommendedModel = RECOMMENDED,
) -> Path:
    """The path of the detector model to load, downloading the recommended one into `models_dir/handrefine/`."""
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ModelFileError(f"hand detector model not found at {path} (from the Detector model file setting)")
        return path
    target = Path(models_dir or model_file.default_models_dir()) / model_file.SUBDIR / model.file_name
    if target.is_file() and target.stat().st_size >= MIN_BYTES:
        return target
    if not download:
        raise ModelFileError(_manual_hint(target, model, "it is not there and downloading is off"))
    download_verified(model.url, target, model.sha256, progress=progress, hint=model)
    return target


def download_verified(url: str, target: Path, sha256: str, *, progress: bool = True, timeout: float = 30.0,
                      hint: RecommendedModel = RECOMMENDED) -> None:
    """Download `url` to `target` through a temporary file; keep it only if its sha256 is `sha256`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            model_file._fetch(url, out, timeout=timeout, progress=progress)
        model_file._check_sha256(tmp, sha256, f"the download from {url}")
        os.replace(tmp, target)
    except ModelFileError as exc:
        raise ModelFileError(_manual_hint(target, hint, str(exc))) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ModelFileError(_manual_hint(target, hint, f"downloading {url} failed: {exc}")) from None
    finally:
        tmp.unlink(missing_ok=True)


def _manual_hint(target: Path, model: RecommendedModel, why: str) -> str:
    return (f"the anime hand detector needs {model.name}, but {why}. Download {model.url} by hand (sha256 "
            f"{model.sha256}) and save it as {target}, or set Detector model file to a YOLOv8-style ONNX file.")
