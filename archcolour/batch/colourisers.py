"""The colouriser each item runs with: the run's own, or what the image's own settings ask for.

An image's settings (:mod:`archcolour.image_settings`) may set its working size, upsampling, model and
vividness. Vividness is part of the item's guidance (:meth:`BatchOptions.guidance_for`). A working size
or upsampling of its own is a *view* of a colouriser (a shallow copy sharing its network: free). Another
model is loaded once, on first use, and kept by name for the rest of the run (:class:`Colourisers`,
thread-safe: with ``--jobs N`` two items asking for it load it once). What an image does not set is
the run's: another model runs at the run's working size, seed, device, upsampling and test-time
ensemble.
"""
from __future__ import annotations

import copy
import threading
from typing import TYPE_CHECKING, Any, Callable

from ..choices import DEFAULT_ENSEMBLE

if TYPE_CHECKING:  # pragma: no cover
    from ..engine import Colouriser
    from ..image_settings import ImageSettings


def view(colouriser: Any, *, working_size: int | None = None, upsampling: str | None = None,
         ensemble: str | None = None) -> Any:
    """``colouriser`` itself, or a view of it (sharing its network) with another working size, upsampling
    or test-time ensemble."""
    ws = int(working_size) if working_size is not None else None
    changes = {k: v for k, v in (("working_size", ws), ("upsampling", upsampling), ("ensemble", ensemble))
               if v is not None and v != getattr(colouriser, k, None)}
    if not changes:
        return colouriser
    c = copy.copy(colouriser)
    for k, v in changes.items():
        setattr(c, k, v)
    return c


def _load_like(base: Any) -> Callable[[str], Any]:
    """Loads a bundled model by name with the base colouriser's device, seed, upsampling and ensemble."""

    def load(name: str) -> "Colouriser":
        from ..engine import Colouriser

        return Colouriser(model=name, device=str(base.device), seed=int(getattr(base, "seed", 0)),
                          upsampling=getattr(base, "upsampling", "guided"),
                          ensemble=getattr(base, "ensemble", DEFAULT_ENSEMBLE))

    return load


class Colourisers:
    """The run's colouriser (``base``, None when nothing needs one) and the other models images ask for.

    ``load(name)`` makes a colouriser of a bundled model (default: like ``base``: same device, seed and
    upsampling). :meth:`for_settings` never raises for the run's own model; loading another may raise
    (the item then fails with one line, the batch goes on).
    """

    def __init__(self, base: Any, load: Callable[[str], Any] | None = None) -> None:
        self.base = base
        self._load = load if load is not None else (_load_like(base) if base is not None else None)
        self._models: dict[str, Any] = {}
        self._lock = threading.Lock()

    @classmethod
    def of(cls, colouriser: Any) -> "Colourisers":
        """``colouriser`` when it already is a :class:`Colourisers`, else a new one around it."""
        return colouriser if isinstance(colouriser, Colourisers) else cls(colouriser)

    def with_base(self, base: Any) -> "Colourisers":
        """Another run's base (say, a view at another working size), sharing the models loaded so far."""
        other = Colourisers(base, self._load)
        other._models, other._lock = self._models, self._lock
        return other

    @property
    def loaded(self) -> dict[str, Any]:
        """The other models loaded so far, by name."""
        with self._lock:
            return dict(self._models)

    def model(self, name: str | None) -> Any:
        """The colouriser of the model ``name`` (None or the run's own: ``base``), loaded once."""
        base = self.base
        if base is None:
            raise RuntimeError("no model loaded")
        if name is None or name == getattr(getattr(base, "info", None), "name", None):
            return base
        with self._lock:  # one load per model, even with several items asking at once
            c = self._models.get(name)
            if c is None:
                if self._load is None:
                    raise RuntimeError(f"the model {name!r} cannot be loaded here")
                c = self._load(name)
                self._models[name] = c
        return c

    def for_settings(self, settings: "ImageSettings | None") -> Any:
        """The colouriser for an image with these settings (None: the run's own)."""
        if settings is None:
            if self.base is None:
                raise RuntimeError("no model loaded")
            return self.base
        c = self.model(settings.model)
        if c is not self.base:  # another model: the run's working size (unless the image sets one) and ensemble
            c = view(c, working_size=getattr(self.base, "working_size", None),
                     ensemble=getattr(self.base, "ensemble", None))
        return view(c, working_size=settings.working_size, upsampling=settings.upsampling)


__all__ = ["Colourisers", "view"]
