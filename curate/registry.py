"""Loading plugins, once, and finding importers, filters and embedders by name.

Every plugin, the built-ins included, is found through the entry-point group
``curate``. The environment variable ``CURATE_LOAD_PLUGINS`` (comma-separated
entry-point names) limits which third-party plugins load; an empty value loads none.
The built-ins shipped with curate itself always load.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import metadata
from types import ModuleType
from typing import Any, TypeVar

import pluggy

from curate import hookspecs
from curate.errors import ConfigError, PluginError
from curate.importing import Importer, InputFile
from curate.stages.base import Filter

ENTRY_POINT_GROUP = "curate"
BUILTIN_DISTRIBUTION = "curate"

T = TypeVar("T")


@dataclass(frozen=True)
class PluginInfo:
    """A loaded plugin: its name, where it came from, and the hooks it implements."""

    name: str
    distribution: str | None
    version: str | None
    hooks: tuple[str, ...]


class Registry:
    """The loaded plugins and what they registered.

    Use :func:`get_registry` rather than building one: plugins load once per process.
    """

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager("curate")
        self.pm.add_hookspecs(hookspecs)
        self._dists: dict[str, tuple[str | None, str | None]] = {}
        self.importers: dict[str, type[Importer]] = {}
        self.filters: dict[str, type[Filter]] = {}
        self.embedders: dict[str, type[Any]] = {}
        #: ``"importer:NAME"``, ``"filter:NAME"``, ``"embedder:NAME"``: the plugin that registered it.
        self.owners: dict[str, str] = {}

    # -- loading -------------------------------------------------------------------

    def load_entry_points(self, allowed: set[str] | None = None) -> None:
        """Register every plugin of the ``curate`` entry-point group.

        ``allowed`` limits the third-party ones by entry-point name; built-ins always load.
        """
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist = ep.dist.name if ep.dist is not None else None
            builtin = dist is not None and dist.lower() == BUILTIN_DISTRIBUTION
            if not builtin and allowed is not None and ep.name not in allowed:
                continue
            if self.pm.has_plugin(ep.name):
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                raise PluginError(
                    f"plugin {ep.name!r} (from {dist or 'an unknown package'}) failed to import: {exc}",
                    hint=f"fix or uninstall {dist or ep.value}, or set CURATE_LOAD_PLUGINS to skip it",
                ) from exc
            self.register(plugin, ep.name, dist=dist, version=ep.dist.version if ep.dist else None)

    def register(
        self, plugin: ModuleType | object, name: str, *, dist: str | None = None, version: str | None = None
    ) -> None:
        """Register one plugin object under ``name`` (tests use this for fake plugins)."""
        self.pm.register(plugin, name=name)
        self._dists[name] = (dist, version)
        self.pm.check_pending()
        self.collect()

    def unregister(self, name: str) -> None:
        """Remove a plugin registered under ``name`` and what it registered."""
        self.pm.unregister(name=name)
        self._dists.pop(name, None)
        self.collect()

    def collect(self) -> None:
        """Ask every plugin's hooks for their importers, filters and embedders."""
        self.owners = {}
        self.importers = self._gather(self.pm.hook.register_importers, "importer", Importer)
        self.filters = self._gather(self.pm.hook.register_filters, "filter", Filter)
        self.embedders = self._gather(self.pm.hook.register_embedders, "embedder", None)

    def _gather(self, hook: Any, kind: str, base: type | None) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for impl in hook.get_hookimpls():

            def register(cls: Any, _plugin: str = impl.plugin_name) -> None:
                if base is not None and not (isinstance(cls, type) and issubclass(cls, base)):
                    raise PluginError(f"plugin {_plugin!r} registered {cls!r}, which is not a {base.__name__} subclass")
                name = getattr(cls, "name", None)
                if not isinstance(name, str) or not name:
                    raise PluginError(f"plugin {_plugin!r} registered a {kind} without a name")
                if name in found:
                    other = found[name][1]
                    raise PluginError(
                        f"two plugins register a {kind} named {name!r}: {other!r} and {_plugin!r}",
                        hint="uninstall one of them, or limit CURATE_LOAD_PLUGINS",
                    )
                found[name] = (cls, _plugin)

            impl.function(register=register)
        self.owners.update({f"{kind}:{name}": plugin for name, (_, plugin) in found.items()})
        return {name: cls for name, (cls, _) in found.items()}

    # -- lookups -------------------------------------------------------------------

    def importer(self, name: str) -> type[Importer]:
        """The importer class called ``name``, or a :class:`ConfigError` listing the known ones."""
        return _lookup(self.importers, name, "importer")

    def filter(self, name: str) -> type[Filter]:
        """The filter class called ``name``."""
        return _lookup(self.filters, name, "filter")

    def embedder(self, name: str) -> type[Any]:
        """The embedder class called ``name``."""
        return _lookup(self.embedders, name, "embedder")

    def importer_for(self, file: InputFile) -> type[Importer] | None:
        """The importer for ``file``: by suffix first, then by sniffing its first bytes."""
        suffix = file.suffix
        for cls in self.importers.values():
            if suffix and suffix in cls.suffixes:
                return cls
        try:
            head = file.head()
        except OSError:
            return None
        for cls in self.importers.values():
            if cls.sniff(head, file):
                return cls
        return None

    def provided_by(self, plugin: str) -> list[str]:
        """What the plugin registered as ``plugin`` provides: ``["importer:csv", ...]``, in registration order."""
        return [what for what, owner in self.owners.items() if owner == plugin]

    def plugins(self) -> list[PluginInfo]:
        """The loaded plugins, sorted by name, with the hooks each implements."""
        infos = []
        for name, plugin in self.pm.list_name_plugin():
            hooks = tuple(sorted(h.name for h in self.pm.get_hookcallers(plugin) or []))
            dist, version = self._dists.get(name, (None, None))
            infos.append(PluginInfo(name, dist, version, hooks))
        return sorted(infos, key=lambda p: p.name)


def _lookup(table: dict[str, T], name: str, kind: str) -> T:
    try:
        return table[name]
    except KeyError:
        known = ", ".join(sorted(table)) or "none loaded"
        raise ConfigError(f"no {kind} named {name!r}", hint=f"known {kind}s: {known} (see `curate plugins`)") from None


_registry: Registry | None = None


def get_registry() -> Registry:
    """The process-wide registry, loading plugins on first use."""
    global _registry
    if _registry is None:
        reg = Registry()
        env = os.environ.get("CURATE_LOAD_PLUGINS")
        allowed = None if env is None else {p.strip() for p in env.split(",") if p.strip()}
        reg.load_entry_points(allowed)
        reg.collect()
        if not reg.importers:
            raise PluginError(
                "no importers are registered: curate's entry points are missing",
                hint="install curate as a package: pip install -e .",
            )
        _registry = reg
    return _registry


def reset_registry() -> None:
    """Forget the loaded plugins; the next :func:`get_registry` loads them again."""
    global _registry
    _registry = None
