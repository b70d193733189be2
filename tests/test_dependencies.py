from lib_handrefine.dependencies import choose_mediapipe, install_plan

WEBUI = {"numpy": "1.26.2", "protobuf": "3.20.0", "absl-py": "2.1.0", "attrs": "23.1.0", "matplotlib": "3.8.0"}


def test_existing_mediapipe_is_kept():
    assert install_plan({**WEBUI, "mediapipe": "0.10.14"}, mediapipe_tasks_ok=True, cv2_ok=True) == []


def test_protobuf_3_gets_0_10_9_without_its_dependencies_and_with_pins():
    steps = install_plan(WEBUI, mediapipe_tasks_ok=False, cv2_ok=True)
    assert steps[0].args == ["mediapipe==0.10.9", "--no-deps"]
    assert steps[1].args == ["flatbuffers", "sounddevice", "numpy==1.26.2", "protobuf==3.20.0"]
    assert all("opencv-contrib" not in a for s in steps for a in s.args)


def test_release_follows_protobuf():
    assert choose_mediapipe("3.20.0") == "0.10.9"
    assert choose_mediapipe("4.25.3") == "0.10.21"
    assert choose_mediapipe("5.29.0") == "0.10.31"
    assert choose_mediapipe(None) == "0.10.31"


def test_missing_cv2_installs_headless_opencv_with_numpy_pinned():
    steps = install_plan({**WEBUI, "mediapipe": "0.10.9"}, mediapipe_tasks_ok=True, cv2_ok=False)
    assert steps[0].args == ["opencv-python-headless", "numpy==1.26.2", "protobuf==3.20.0"]
