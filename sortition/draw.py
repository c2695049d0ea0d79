"""Turn a public seed into one panel and an ordered reserve list.

The procedure is deliberately simple so that anyone can re-implement it:

1. ``number(seed, *parts)`` is the SHA-256 digest of the UTF-8 text
   ``"burgerberaad-draw-v1" + "\\x1f" + seed + "\\x1f" + part1 + "\\x1f" + ...``; its
   first 8 bytes, read as a big-endian unsigned integer and divided by 2**64, give a
   number in [0, 1). The seed is used exactly as given (no trimming).
2. ``u = number(seed, "panel")``. Walk the panels of the distribution in their published
   (canonical) order, adding up their probabilities in double precision; the chosen
   panel is the first whose running total exceeds ``u`` (the last one if rounding leaves
   ``u`` beyond the total).
3. The chosen panel says, per group, how many people to take. For each household class
   in order, sort its households by ``(number(seed, "household", key), key)`` where
   ``key`` is the household's member ids sorted and joined by ``"\\x1f"``. Then for each
   group of the class in order, the next ``count`` households in that order each send
   their member of the group's type; when a household has several such members, the one
   with the smallest ``(number(seed, "person", id), id)`` goes.
4. Reserves: everyone not selected and not living with a selected person, sorted by
   ``(number(seed, "reserve", id), id)``, skipping anyone who lives with an earlier
   reserve; the first ``n_reserves`` form the ordered reserve list.

Because households are ordered uniformly at random, every person of a group is selected
with the same probability, which is what the distribution promises.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DRAW_VERSION = "burgerberaad-draw-v1"
_SEPARATOR = "\x1f"


def number(seed: str, *parts: str) -> float:
    """The uniform number in [0, 1) that ``seed`` gives for ``parts`` (step 1)."""
    text = _SEPARATOR.join((DRAW_VERSION, seed, *parts))
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


@dataclass(frozen=True)
class DrawResult:
    """The outcome of a draw: ids of the panel (in draw order) and of the reserves."""

    seed: str
    number: float
    panel_index: int
    selected: tuple[str, ...]
    reserves: tuple[str, ...]


def choose_panel(probabilities: Sequence[float], u: float) -> int:
    """Index of the panel that ``u`` lands on (step 2)."""
    total = 0.0
    for index, probability in enumerate(probabilities):
        total += float(probability)
        if u < total:
            return index
    return len(probabilities) - 1


def draw_from_description(
    description: Mapping[str, Any], seed: str, *, n_reserves: int = 0
) -> DrawResult:
    """Draw from a distribution description (``Distribution.to_dict()`` or report.json).

    ``description`` has ``classes`` (per class, its households as lists of ids),
    ``groups`` (each with ``class`` and ``members``) and ``panels`` (each with
    ``probability`` and ``counts``).
    """
    panels = description["panels"]
    u = number(seed, "panel")
    panel_index = choose_panel([p["probability"] for p in panels], u)
    counts = panels[panel_index]["counts"]
    group_of: dict[str, int] = {}
    groups_of_class: dict[int, list[int]] = {}
    for g, group in enumerate(description["groups"]):
        groups_of_class.setdefault(int(group["class"]), []).append(g)
        for person in group["members"]:
            group_of[person] = g
    selected: list[str] = []
    for c, households in enumerate(description["classes"]):
        keyed = []
        for household in households:
            key = _SEPARATOR.join(sorted(household))
            keyed.append((number(seed, "household", key), key, household))
        keyed.sort(key=lambda item: (item[0], item[1]))
        position = 0
        for g in groups_of_class.get(c, []):
            for _, _, household in keyed[position : position + int(counts[g])]:
                candidates = [p for p in household if group_of[p] == g]
                selected.append(min(candidates, key=lambda p: (number(seed, "person", p), p)))
            position += int(counts[g])
    household_key = {
        person: (c, h)
        for c, households in enumerate(description["classes"])
        for h, household in enumerate(households)
        for person in household
    }
    taken = {household_key[p] for p in selected}
    remaining = sorted(
        (p for p in group_of if household_key[p] not in taken),
        key=lambda p: (number(seed, "reserve", p), p),
    )
    reserves: list[str] = []
    for person in remaining:
        if len(reserves) >= n_reserves:
            break
        if household_key[person] in taken:
            continue
        reserves.append(person)
        taken.add(household_key[person])
    return DrawResult(seed, u, panel_index, tuple(selected), tuple(reserves))
