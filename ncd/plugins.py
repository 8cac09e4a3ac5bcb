"""One plug-in mechanism behind every registry: codecs, learners, predictors, filter rules,
studies and commands.

A :class:`Registry` maps names to objects. Built-in entries register themselves when their
module is imported; the registry names those modules (as strings) and imports them on the
first lookup, so the module that defines an interface never imports its implementations and
no import cycle arises. Third-party packages add entries through an entry-point group,
loaded one name at a time when that name is first asked for, as numcodecs'
``registry.get_codec`` does.

>>> reg = Registry("colour", group=None)
>>> @reg.register("red")
... def red():
...     return (255, 0, 0)
>>> reg.get("red")()
(255, 0, 0)
>>> reg.get("blue")
Traceback (most recent call last):
...
ValueError: unknown colour 'blue'; known: red
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Names to objects, with built-ins imported on first use and entry points loaded lazily.

    Parameters
    ----------
    kind : str
        What an entry is, for error messages (``"codec"``, ``"filter rule"``).
    group : str or None
        The entry-point group third parties register in (None: built-ins only).
    builtins : tuple of str, default=()
        Modules whose import registers the built-in entries.
    check : callable, optional
        Called with each entry as it is registered; raises ``TypeError`` or ``ValueError``
        for an entry of the wrong kind.
    hint : str, default=""
        Appended to the unknown-name error (e.g. which extra installs more entries).
    """

    def __init__(self, kind: str, group: str | None, builtins: tuple[str, ...] = (),
                 check: Callable[[Any], None] | None = None, hint: str = "") -> None:  # fmt: skip
        self.kind, self.group, self.builtins = kind, group, tuple(builtins)
        self.check, self.hint = check, hint
        self._entries: dict[str, T] = {}
        self._builtins_loaded = not self.builtins

    def register(self, name_or_obj: str | T | None = None, obj: T | None = None, *,
                 replace: bool = True):  # fmt: skip
        """Add an entry; usable as ``register(name, obj)``, ``@register("name")``, or
        ``@register`` for an object that carries its ``name``.

        Parameters
        ----------
        name_or_obj : str or object, optional
            The name to register under, or (as a bare decorator) the object itself, whose
            ``name`` attribute is its name.
        obj : object, optional
            The entry, when a name is given as well.
        replace : bool, default=True
            Whether a new entry may replace one of the same name.

        Returns
        -------
        object
            The entry (a decorator when only a name is given).
        """
        if isinstance(name_or_obj, str) or name_or_obj is None:
            name = name_or_obj
            if obj is None:
                return lambda o: self._add(name, o, replace)
            return self._add(name, obj, replace)
        return self._add(None, name_or_obj, replace)

    def _add(self, name: str | None, obj: T, replace: bool) -> T:
        name = name or getattr(obj, "name", None)
        if not isinstance(name, str) or not name or ":" in name:
            raise ValueError(f"a {self.kind} needs a non-empty name without ':', got {name!r}")
        if not replace and name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        if self.check is not None:
            self.check(obj)
        self._entries[name] = obj
        return obj

    def unregister(self, name: str) -> None:
        """Remove an entry (a plug-in registered for a while, as tests do).

        Parameters
        ----------
        name : str
            A registered name.
        """
        self._entries.pop(name, None)

    def _load_builtins(self) -> None:
        if not self._builtins_loaded:
            self._builtins_loaded = True
            for module in self.builtins:
                importlib.import_module(module)

    def _entry_points(self):
        return entry_points(group=self.group) if self.group else ()

    def names(self) -> list[str]:
        """Every name :meth:`get` accepts, built-ins first; entry points are listed, not loaded.

        Returns
        -------
        list of str
            The registered names, then the entry points' names not registered yet.
        """
        self._load_builtins()
        extra = [ep.name for ep in self._entry_points() if ep.name not in self._entries]
        return list(self._entries) + extra

    def get(self, name: str) -> T:
        """The entry registered as ``name``, loading its entry point if it has one.

        Parameters
        ----------
        name : str
            A registered name or an entry point's name.

        Returns
        -------
        object
            The entry.

        Raises
        ------
        ValueError
            For an unknown name; the message lists the known ones.
        """
        self._load_builtins()
        if name in self._entries:
            return self._entries[name]
        for ep in self._entry_points():
            if ep.name == name:
                return self._add(name, ep.load(), True)
        known = ", ".join(self.names()) or "none"
        raise ValueError(f"unknown {self.kind} {name!r}; known: {known}{self.hint}")

    def items(self) -> Iterator[tuple[str, T]]:
        """Every entry with its name, entry points loaded.

        Returns
        -------
        iterator of (str, object)
            Names and entries, built-ins first.
        """
        for name in self.names():
            yield name, self.get(name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self.names()

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, group={self.group!r})"
