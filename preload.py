"""Command-line flags the WebUI adds before it parses its arguments."""


def preload(parser) -> None:
    parser.add_argument(
        "--handrefine-hand-landmarker",
        type=str,
        default=None,
        help="HandRefine: path of MediaPipe's hand_landmarker.task (default: models/handrefine/, downloaded once)",
    )
