"""HandRefine for the AUTOMATIC1111 / Forge WebUI: a thin Script; the logic lives in lib_handrefine."""

from __future__ import annotations

import modules.scripts as scripts
from modules import script_callbacks

from lib_handrefine.webui import environment, expansion, hooks
from lib_handrefine.webui.controlnet import list_models
from lib_handrefine.webui.options import register_options
from lib_handrefine.webui.ui import build_ui
from lib_handrefine.webui.xyz import register_axes


class HandRefineScript(scripts.Script):
    sorting_priority = 15  # Forge: UI order among the accordions

    def title(self) -> str:
        return "HandRefine"

    def show(self, is_img2img: bool):
        return scripts.AlwaysVisible

    def ui(self, is_img2img: bool):
        return build_ui(self, is_img2img, environment.opt("handrefine_default_controlnet_model"), list_models)

    def process(self, p, *args):
        hooks.on_process(p, args, self.is_img2img)

    def postprocess_image(self, p, pp, *args):
        hooks.on_postprocess_image(self, p, pp, after_composite=False)

    def postprocess_image_after_composite(self, p, pp, *args):
        hooks.on_postprocess_image(self, p, pp, after_composite=True)

    def postprocess(self, p, processed, *args):
        hooks.on_postprocess(p, processed)

    def on_mask_blend(self, p, mba, *args):
        expansion.on_mask_blend(p, mba)


def _register_axes() -> None:
    register_axes(list_models)


script_callbacks.on_ui_settings(register_options)
script_callbacks.on_before_ui(_register_axes)
_register_axes()  # at import too: with --nowebui the X/Y/Z script builds its axis list before on_before_ui
script_callbacks.on_infotext_pasted(hooks.on_infotext_pasted)
