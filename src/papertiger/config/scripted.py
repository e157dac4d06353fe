"""The demo catalogue behind `papertiger run --provider scripted` with no `--models`.

Nine scripted models in two groups, trained before AIME 2025 (cutoff 2024-06-01) or
before AIME 2026 (cutoff 2025-06-01). Their accuracies by form position (earliest first)
are set so that the first group's scores drop more once a form is fresh to them, as a
model that saw the older forms would: the report has a known gap to find (in the shrinkage
sections and, with staggered cutoffs, in the Rasch equating), and six Western models are
enough to serve as references (`--reference-group Western`).
"""

from __future__ import annotations

import datetime as dt

from papertiger.schema import ModelSpec

_EARLY, _LATE = dt.date(2024, 6, 1), dt.date(2025, 6, 1)

_ROSTER = (
    ("scripted-east-1", "Chinese", "Scripted Lab East", _EARLY, (0.80, 0.55, 0.53)),
    ("scripted-east-2", "Chinese", "Scripted Lab East", _LATE, (0.70, 0.68, 0.45)),
    ("scripted-east-3", "Chinese", "Scripted Lab Orient", _EARLY, (0.70, 0.50, 0.48)),
    ("scripted-west-1", "Western", "Scripted Lab West", _EARLY, (0.82, 0.78, 0.76)),
    ("scripted-west-2", "Western", "Scripted Lab West", _LATE, (0.60, 0.59, 0.55)),
    ("scripted-west-3", "Western", "Scripted Lab Occident", _EARLY, (0.72, 0.66, 0.65)),
    ("scripted-west-4", "Western", "Scripted Lab Occident", _LATE, (0.50, 0.49, 0.45)),
    ("scripted-west-5", "Western", "Scripted Lab Atlantic", _EARLY, (0.66, 0.62, 0.61)),
    ("scripted-west-6", "Western", "Scripted Lab Atlantic", _LATE, (0.76, 0.75, 0.71)),
)


def scripted_catalogue() -> dict[str, ModelSpec]:
    """The demo models by name (provider 'scripted'; released four months after cutoff)."""
    return {
        name: ModelSpec(
            name=name,
            provider="scripted",
            group=group,
            lab=lab,
            released=cutoff.replace(month=cutoff.month + 4),
            training_cutoff=cutoff,
            price_in=0.5,
            price_out=2.0,
            provider_options={"accuracy": list(accuracy)},
        )
        for name, group, lab, cutoff, accuracy in _ROSTER
    }
