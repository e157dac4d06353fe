"""Configuration files: the model catalogue (`[[model]]` tables in TOML).

catalogue = load_catalogue(Path("models.toml"))   # known metadata + the user's file
spec = catalogue["deepseek-reasoner"]              # a schema.ModelSpec
"""

from papertiger.config.catalogue import (
    KNOWN_MODELS_RESOURCE,
    known_models,
    load_catalogue,
    looks_like_key,
    read_catalogue,
)
from papertiger.config.pricing import attempt_cost
from papertiger.config.scripted import scripted_catalogue

__all__ = [
    "KNOWN_MODELS_RESOURCE",
    "attempt_cost",
    "known_models",
    "load_catalogue",
    "looks_like_key",
    "read_catalogue",
    "scripted_catalogue",
]
