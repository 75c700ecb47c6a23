"""Plan and run a colourising job over files and folders.

:func:`plan_job` turns inputs (files and folders, optionally walked recursively) into a list of
:class:`JobItem` (source -> output, with the output's state). :func:`run_job` is a generator yielding
one :class:`ItemResult` per item, in order, so a caller (CLI, GUI worker) can show progress and cancel
between images; CLI and GUI both use it.

Modules, one job each:

``plan``      inputs -> items; problems with a :class:`ProblemKind`; archcolour's own outputs left out
``state``     is an output done? from its provenance (:func:`output_state`); :func:`needs_work`, THE rule
``item``      one item start to finish (:func:`process_item`, picklable result; no manifest)
``colourisers`` the colouriser each item runs with: the run's, or what the image's own settings ask for
``pipeline``  ordered, bounded concurrency (``--jobs N``), results in item order
``run``       :func:`run_job`: an executor (local by default: :func:`local_executor`; the Ray backend's)
              plus the one manifest writer
"""
from __future__ import annotations

from .colourisers import Colourisers
from .item import BatchOptions, ItemResult, Status, process_item
from .pipeline import ordered_map
from .plan import (DEFAULT_FOLDER, SUFFIX, JobItem, JobPlan, PlanError, Problem, ProblemKind, output_extension,
                   output_name, plan_job)
from .run import (IN_FLIGHT_PIXELS, CancelToken, Executor, Summary, default_jobs, local_executor, remove_stale_temps,
                  run_job, summarise)
from .state import OutputCheck, OutputState, SourceHashes, check_output, needs_work, output_state

__all__ = ["DEFAULT_FOLDER", "IN_FLIGHT_PIXELS", "SUFFIX", "BatchOptions", "CancelToken", "Colourisers", "Executor",
           "ItemResult", "JobItem", "JobPlan", "OutputCheck", "OutputState", "PlanError", "Problem", "ProblemKind",
           "SourceHashes", "Status", "Summary", "check_output", "default_jobs", "local_executor", "needs_work",
           "ordered_map", "output_extension", "output_name", "output_state", "plan_job", "process_item",
           "remove_stale_temps", "run_job", "summarise"]
