"""The ``refusal`` filter: refusals, AI self-references, disclaimers and chat artifacts.

One concept per module:

* :mod:`~curate.plugins.refusal.catalog`: the categories, and the phrase data of each
  language, read from ``phrases/<lang>.toml``;
* :mod:`~curate.plugins.refusal.folding`: the folded form of text that phrases are matched against;
* :mod:`~curate.plugins.refusal.patterns`: the phrase language (parse, render, heads);
* :mod:`~curate.plugins.refusal.matching`: the compiled matcher;
* :mod:`~curate.plugins.refusal.quotes`: phrases quoted or spoken by a character, which do not count;
* :mod:`~curate.plugins.refusal.cutting`: removing sentences and clauses, judging what is left;
* :mod:`~curate.plugins.refusal.filter`: the filter, its options and its actions.
"""

from __future__ import annotations

from curate.plugin_api import hookimpl
from curate.plugins.refusal.filter import ACTIONS, RefusalFilter, RefusalOptions
from curate.plugins.refusal.patterns import rule_pattern

__all__ = ["ACTIONS", "RefusalFilter", "RefusalOptions", "register_filters", "rule_pattern"]


@hookimpl
def register_filters(register):  # type: ignore[no-untyped-def]
    """Register the ``refusal`` filter."""
    register(RefusalFilter)
