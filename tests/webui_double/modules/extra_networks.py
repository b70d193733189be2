"""Double of modules/extra_networks.py: tag parsing only; activation is recorded, not performed."""

from __future__ import annotations

import re
from collections import defaultdict


class ExtraNetworkParams:
    def __init__(self, items: list[str] | None = None):
        self.items = items or []
        self.positional = [x for x in self.items if "=" not in x]
        self.named = dict(x.split("=", 1) for x in self.items if "=" in x)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExtraNetworkParams) and self.items == other.items


re_extra_net = re.compile(r"<(\w+):([^>]+)>")
activations: list[tuple[str, object]] = []
"""Double-only log of activate()/deactivate() calls: ("activate"|"deactivate", extra_network_data)."""


def parse_prompt(prompt: str) -> tuple[str, dict[str, list[ExtraNetworkParams]]]:
    found: dict[str, list[ExtraNetworkParams]] = defaultdict(list)

    def strip(m: re.Match) -> str:
        found[m.group(1)].append(ExtraNetworkParams(items=m.group(2).split(":")))
        return ""

    return re.sub(re_extra_net, strip, prompt), found


def parse_prompts(prompts: list[str]) -> tuple[list[str], dict | None]:
    stripped, extra_data = [], None
    for prompt in prompts:
        text, data = parse_prompt(prompt)
        if extra_data is None:
            extra_data = data
        stripped.append(text)
    return stripped, extra_data


def activate(p, extra_network_data) -> None:
    """Networks are not applied; the call is logged and after_extra_networks_activate fires as in A1111."""
    activations.append(("activate", extra_network_data))
    if p.scripts is not None:
        p.scripts.after_extra_networks_activate(
            p,
            batch_number=p.iteration,
            prompts=p.prompts,
            seeds=p.seeds,
            subseeds=p.subseeds,
            extra_network_data=extra_network_data,
        )


def deactivate(p, extra_network_data) -> None:
    activations.append(("deactivate", extra_network_data))
