"""The hooks a curate plugin can implement: the plugin reference.

A plugin is a module (or object) with functions marked ``@curate.hookimpl``, installed
with an entry point in the group ``curate``::

    [project.entry-points.curate]
    my_source = "my_package.my_module"

Each hook receives a ``register`` callable and calls it once per thing it provides,
in the manner of ``llm``'s ``register_models(register)``. Built-in importers and
filters use these hooks too: there is no private shortcut.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from curate.importing import Importer
    from curate.stages.base import Filter

hookspec = pluggy.HookspecMarker("curate")
hookimpl = pluggy.HookimplMarker("curate")


@hookspec
def register_importers(register: Callable[[type[Importer]], None]) -> None:
    """Register source importers.

    Call ``register(ImporterClass)`` for each :class:`curate.importing.Importer`
    subclass the plugin provides. Importer names must be unique across all plugins;
    a clash is an error at load time.
    """


@hookspec
def register_filters(register: Callable[[type[Filter]], None]) -> None:
    """Register record filters (cleaning stages).

    Call ``register(FilterClass)`` for each :class:`curate.stages.base.Filter`
    subclass. A filter sees batches of records and keeps, changes or rejects each one
    with a reason. Names must be unique; ``curate filters`` lists them.
    """


@hookspec
def register_embedders(register: Callable[[type[Any]], None]) -> None:
    """Register text embedders for the semantic stage.

    Call ``register(EmbedderClass)`` for each embedder class. An embedder has a
    ``name`` and turns a list of strings into an array of L2-normalised vectors.
    """
