"""Reference resolution: from an attribute token to a register entry.

Editions point at entities in many ways; each rule here is general, never
tied to an edition:

- ``#id``: an id in the letter, else in the registers found for it;
- bare ``id``: the same (some editions drop the ``#``);
- ``file.xml#id`` and other relative pointers: the id after ``#``;
- full URIs: an entry whose authority URIs include it, else the id after
  ``#`` or the last path segment;
- ``@key``: an id, else an entry's ``@n`` sort key (whole value, spaces kept).

The letter's own register wins over external ones, as the letter is the more
specific source.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from viewer.model import Entity
from viewer.tei.registers import RegisterIndex


class ExternalRegisters(Protocol):
    """What the reader needs from the registers found beside a letter.

    ``files`` are the register files looked in (named when a reference resolves
    nowhere); ``errors`` the (path, message) of each register file that could not
    be used (each a ``register-unreadable`` warning).
    """

    @property
    def files(self) -> Sequence[str]: ...

    @property
    def errors(self) -> Sequence[tuple[str, str]]: ...

    def lookup_id(self, entity_id: str) -> Entity | None: ...

    def lookup_key(self, key: str) -> Entity | None: ...

    def lookup_uri(self, uri: str) -> Entity | None: ...


class Resolver:
    def __init__(self, local: RegisterIndex, external: ExternalRegisters | None = None) -> None:
        self.local = local
        self.external = external
        self.used: dict[str, Entity] = {}  # every entity a reference reached, by id
        self._cache: dict[tuple[bool, str], Entity | None] = {}

    def _by_id(self, entity_id: str) -> Entity | None:
        entity = self.local.get(entity_id)
        if entity is None and self.external is not None:
            entity = self.external.lookup_id(entity_id)
        return entity

    def _by_key(self, key: str) -> Entity | None:
        entity = self.local.by_sort_key(key)
        if entity is None and self.external is not None:
            entity = self.external.lookup_key(key)
        return entity

    def _by_uri(self, uri: str) -> Entity | None:
        entity = self.local.by_authority(uri)
        if entity is None and self.external is not None:
            entity = self.external.lookup_uri(uri)
        return entity

    def names_of(self, entity_id: str) -> tuple[str, ...]:
        """The names of an entity reached so far (for matching parties against a title)."""
        entity = self.used.get(entity_id) or self.local.get(entity_id)
        return (entity.name, *entity.variants) if entity is not None else ()

    def resolve(self, attribute: str, token: str) -> Entity | None:
        token = token.strip()
        if not token:
            return None
        # A letter names the same few entities again and again: resolve each token once.
        cache_key = (attribute == "key", token)
        try:
            entity = self._cache[cache_key]
        except KeyError:
            entity = self._cache[cache_key] = self._resolve(attribute, token)
        if entity is not None:
            self.used[entity.id] = entity
        return entity

    def _resolve(self, attribute: str, token: str) -> Entity | None:
        if attribute == "key":
            return self._by_id(token.lstrip("#")) or self._by_key(token)
        if token.startswith("#"):
            return self._by_id(token[1:])
        if token.startswith(("http://", "https://")):
            entity = self._by_uri(token)
            if entity is not None:
                return entity
            fragment = token.partition("#")[2] or token.rstrip("/").rsplit("/", 1)[-1]
            return self._by_id(fragment) if fragment else None
        if "#" in token:  # file.xml#id, register.xml#id
            return self._by_id(token.rsplit("#", 1)[1])
        if ":" in token and not token.startswith("urn:"):
            # A prefixed pointer (pmb:123, psn:x): try it whole, then the local part.
            return self._by_id(token) or self._by_id(token.split(":", 1)[1])
        return self._by_id(token) or self._by_key(token)

    def resolve_all(
        self, references: Sequence[tuple[str, str]]
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(resolved entity ids, unresolved tokens), each in order and without repeats."""
        resolved: list[str] = []
        unresolved: list[str] = []
        for attribute, token in references:
            if attribute == "sameAs" and not token.startswith("#"):
                continue  # sameAs to an authority is a link, not a pointer into a register
            entity = self.resolve(attribute, token)
            if entity is not None:
                if entity.id not in resolved:
                    resolved.append(entity.id)
            elif token not in unresolved and (attribute != "corresp" or token.startswith("#")):
                # A bare corresp is often a link to another letter, not an entity reference.
                unresolved.append(token)
        return tuple(resolved), tuple(unresolved)
