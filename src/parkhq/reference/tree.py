"""A code tree (GB/T 4754 industries, GB/T 2260 regions): look-up by code, ancestry, children.

:class:`CodeTree` holds entries that have a ``code`` and a ``parent`` code; subclasses say how a
code is normalised (:meth:`CodeTree._key`) and what the Chinese "unknown code" error says
(:meth:`CodeTree._unknown`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Generic, Protocol, TypeVar

from parkhq.errors import InvalidCode

__all__ = ["CodeTree", "Node"]


class Node(Protocol):
    @property
    def code(self) -> str: ...

    @property
    def parent(self) -> str | None: ...


N = TypeVar("N", bound=Node)


class CodeTree(Generic[N]):
    """Entries in file order, indexed by code, with their children."""

    def __init__(self, entries: Sequence[N]) -> None:
        self._by_code: dict[str, N] = {item.code: item for item in entries}
        self._order: list[str] = [item.code for item in entries]
        children: dict[str, list[str]] = {}
        for item in entries:
            if item.parent is not None:
                children.setdefault(item.parent, []).append(item.code)
        self._children = children

    def _key(self, code: object) -> str | None:
        """The normalised form of ``code`` (``None`` when it cannot be a code)."""
        return code.strip() if isinstance(code, str) else None

    def _unknown(self, code: object) -> InvalidCode:
        """The error for a code that is not in the tree."""
        return InvalidCode(f"代码 '{code}' 不存在", detail={"value": str(code)})

    def __len__(self) -> int:
        return len(self._by_code)

    def __contains__(self, code: object) -> bool:
        return self.find(code) is not None

    def __iter__(self) -> Iterator[N]:
        return (self._by_code[code] for code in self._order)

    def find(self, code: object) -> N | None:
        """The entry for ``code``, or ``None``."""
        key = self._key(code)
        return None if key is None else self._by_code.get(key)

    def get(self, code: object) -> N:
        """The entry for ``code``; raises :class:`InvalidCode` with a Chinese message if unknown."""
        found = self.find(code)
        if found is None:
            raise self._unknown(code)
        return found

    def ancestors(self, code: str) -> list[N]:
        """The entries above ``code``, top level first, excluding ``code`` itself."""
        chain: list[N] = []
        parent = self.get(code).parent
        while parent is not None:
            item = self._by_code[parent]
            chain.append(item)
            parent = item.parent
        chain.reverse()
        return chain

    def children(self, code: str) -> list[N]:
        """The entries directly below ``code`` (empty for a leaf)."""
        item = self.get(code)
        return [self._by_code[child] for child in self._children.get(item.code, [])]
