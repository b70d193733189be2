from internal_controlnet.external_code import *  # noqa: F403
