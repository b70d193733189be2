"""Double of modules/sd_vae.py: no VAE files; names/hashes are None (so they are left out of infotext)."""

from __future__ import annotations

loaded_vae_name: str | None = None
loaded_vae_hash: str | None = None


def get_loaded_vae_name() -> str | None:
    return loaded_vae_name


def get_loaded_vae_hash() -> str | None:
    return loaded_vae_hash


def reload_vae_weights(sd_model=None, vae_file=None) -> None:
    """No-op."""
