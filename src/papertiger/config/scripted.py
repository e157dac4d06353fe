"""The demo catalogue behind `papertiger run --provider scripted` with no `--models`.

Six scripted models in two groups. Their accuracies by form position (earliest first) are
set so that the first group falls much more on later forms than the second: the report has
a known gap to find, and a reader can check that it finds it.
"""

from __future__ import annotations

import datetime as dt

from papertiger.schema import ModelSpec

_ROSTER = (
    ("scripted-east-1", "Chinese", "Scripted Lab East", (0.80, 0.55, 0.50)),
    ("scripted-east-2", "Chinese", "Scripted Lab East", (0.65, 0.45, 0.40)),
    ("scripted-east-3", "Chinese", "Scripted Lab Orient", (0.70, 0.50, 0.48)),
    ("scripted-west-1", "Western", "Scripted Lab West", (0.82, 0.78, 0.76)),
    ("scripted-west-2", "Western", "Scripted Lab West", (0.60, 0.55, 0.54)),
    ("scripted-west-3", "Western", "Scripted Lab Occident", (0.72, 0.66, 0.65)),
)


def scripted_catalogue() -> dict[str, ModelSpec]:
    """The demo models by name (provider 'scripted', cutoff 2024-01-01)."""
    return {
        name: ModelSpec(
            name=name,
            provider="scripted",
            group=group,
            lab=lab,
            released=dt.date(2024, 6, 1),
            training_cutoff=dt.date(2024, 1, 1),
            price_in=0.5,
            price_out=2.0,
            provider_options={"accuracy": list(accuracy)},
        )
        for name, group, lab, accuracy in _ROSTER
    }
