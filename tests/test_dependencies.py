import pytest

from lib_handrefine.dependencies import MEDIAPIPE_RELEASES, choose_mediapipe, install_plan

WEBUI = {"numpy": "1.26.2", "protobuf": "3.20.0", "absl-py": "2.1.0", "attrs": "23.1.0", "matplotlib": "3.8.0"}

# Which CPython versions PyPI has mediapipe wheels for (wheel tags on pypi.org): 0.10.9-0.10.11 cp38-cp311,
# 0.10.13-0.10.21 cp39-cp312, 0.10.30 on py3-none (any Python 3).
WHEELS = {"0.10.9": {(3, 8), (3, 9), (3, 10), (3, 11)}, "0.10.21": {(3, 9), (3, 10), (3, 11), (3, 12)},
          "0.10.31": {(3, 9), (3, 10), (3, 11), (3, 12), (3, 13), (3, 14)}}


def test_existing_mediapipe_is_kept():
    assert install_plan({**WEBUI, "mediapipe": "0.10.14"}, mediapipe_tasks_ok=True, cv2_ok=True) == []


def test_protobuf_3_gets_0_10_9_without_its_dependencies_and_with_pins():
    steps = install_plan(WEBUI, mediapipe_tasks_ok=False, cv2_ok=True, python=(3, 10))
    assert steps[0].args == ["mediapipe==0.10.9", "--no-deps"] and "Python 3.10" in steps[0].why
    assert steps[1].args == ["flatbuffers", "sounddevice", "numpy==1.26.2", "protobuf==3.20.0"]
    assert all("opencv-contrib" not in a for s in steps for a in s.args)


@pytest.mark.parametrize(("python", "protobuf", "numpy", "expected"), [
    # the WebUI's protobuf 3.20 pin: the last protobuf-3 release where it exists, else the protobuf-free one
    ((3, 10), "3.20.0", "1.26.2", "0.10.9"),
    ((3, 11), "3.20.0", "1.26.2", "0.10.9"),
    ((3, 12), "3.20.0", "1.26.2", "0.10.31"),  # no protobuf-3 mediapipe exists for 3.12
    ((3, 13), "3.20.0", "1.26.2", "0.10.31"),
    # protobuf 4.25: the last release with mediapipe.solutions (ControlNet's preprocessors), where it exists
    ((3, 10), "4.25.3", "1.26.2", "0.10.21"),
    ((3, 12), "4.25.3", "1.26.2", "0.10.21"),
    ((3, 13), "4.25.3", "1.26.2", "0.10.31"),  # 0.10.21 has no cp313 wheel
    ((3, 11), "4.25.3", "2.1.0", "0.10.31"),  # 0.10.21 needs numpy < 2
    ((3, 11), "4.21.0", "1.26.2", "0.10.31"),  # 0.10.21 needs protobuf >= 4.25.3
    # protobuf 5 or none: only the protobuf-free release fits
    ((3, 10), "5.29.0", "1.26.2", "0.10.31"),
    ((3, 11), None, "1.26.2", "0.10.31"),
    ((3, 13), None, None, "0.10.31"),
])
def test_release_exists_for_the_python_and_fits_protobuf_and_numpy(python, protobuf, numpy, expected):
    version = choose_mediapipe(protobuf, python, numpy)
    assert version == expected
    assert python in WHEELS[version]


@pytest.mark.parametrize("python", [(3, 10), (3, 11), (3, 12), (3, 13)])
@pytest.mark.parametrize("protobuf", ["3.20.0", "4.25.3", "5.29.0", None])
@pytest.mark.parametrize("numpy", ["1.26.2", "2.1.0"])
def test_every_choice_exists_and_keeps_the_legacy_api_when_it_can(python, protobuf, numpy):
    version = choose_mediapipe(protobuf, python, numpy)
    assert python in WHEELS[version]
    release = {r.version: r for r in MEDIAPIPE_RELEASES}[version]
    legacy_possible = (protobuf == "3.20.0" and python <= (3, 11)) or (
        protobuf == "4.25.3" and python <= (3, 12) and numpy.startswith("1."))
    assert release.legacy_solutions == legacy_possible


def test_plan_uses_the_webui_python():
    steps = install_plan(WEBUI, mediapipe_tasks_ok=False, cv2_ok=True, python=(3, 12))
    assert steps[0].args == ["mediapipe==0.10.31", "--no-deps"]
    assert "protobuf==3.20.0" in steps[1].args  # pinned all the same: pip may never change it


def test_missing_cv2_installs_headless_opencv_with_numpy_pinned():
    steps = install_plan({**WEBUI, "mediapipe": "0.10.9"}, mediapipe_tasks_ok=True, cv2_ok=False)
    assert steps[0].args == ["opencv-python-headless", "numpy==1.26.2", "protobuf==3.20.0"]
