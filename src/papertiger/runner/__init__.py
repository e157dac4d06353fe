"""The only layer that wires providers, grading and the store: plan → execute → resume."""

from papertiger.runner.execute import RunSummary, execute
from papertiger.runner.plan import ModelPlan, Plan, WorkItem, make_plan, work_items
from papertiger.runner.probe import PROBE_RATIOS, ProbeSpec
from papertiger.runner.probe_run import ProbeSummary, probe, probe_async
from papertiger.runner.progress import ModelProgress, QuietObserver, RunObserver
from papertiger.runner.regrade import RegradeSummary, regrade
from papertiger.runner.run import (
    check_spec,
    make_provider,
    plan_run,
    run,
    run_async,
    spec_json,
)
from papertiger.runner.signals import Interrupted
from papertiger.runner.spec import RunSpec

__all__ = [
    "PROBE_RATIOS",
    "Interrupted",
    "ModelPlan",
    "ModelProgress",
    "Plan",
    "ProbeSpec",
    "ProbeSummary",
    "QuietObserver",
    "RegradeSummary",
    "RunObserver",
    "RunSpec",
    "RunSummary",
    "WorkItem",
    "check_spec",
    "execute",
    "make_plan",
    "make_provider",
    "plan_run",
    "probe",
    "probe_async",
    "regrade",
    "run",
    "run_async",
    "spec_json",
    "work_items",
]
