"""Load and validate the knowledge base folder.

Every problem is reported as ``file:line: message`` so that whoever edits the YAML by hand can jump to
it; nothing is loaded while a single problem remains.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from knowledge.models import (
    GENERAL,
    META_FILE,
    REQUIRED_ROLE_IDS,
    EntriesFile,
    Entry,
    EntryFile,
    Partnership,
    PartnershipFile,
    School,
)
from knowledge.render import school_answer

DEFAULT_DATA_DIR = Path(__file__).resolve().parent / "data"
# A source reference that says where in the file: "004_e1a55d8029c9de45.txt:12" or "...txt:20-27".
LOCATED_SOURCE = re.compile(r"^\S+\.txt:\s*\S")
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class KnowledgeBaseError(Exception):
    """The knowledge base has problems; ``problems`` lists them all."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class KnowledgeBase:
    partnerships: dict[str, Partnership]
    entries: tuple[Entry, ...]
    where_to_ask: str
    """Advice on where to ask when no partnership is known (from the algemeen folder)."""
    warnings: tuple[Problem, ...] = ()
    """Problems that do not stop loading, such as a partnership's fact without a source reference."""
    by_id: dict[str, Entry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {e.id: e for e in self.entries})

    def get(self, entry_id: str) -> Entry | None:
        return self.by_id.get(entry_id)

    @property
    def schools(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.school is not None)


def _line_of(node: yaml.Node | None, loc: Iterable[int | str]) -> int:
    """The 1-based line of the YAML node that a pydantic error location points at."""
    if node is None:
        return 1
    line = node.start_mark.line + 1
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == part:
                    child = value_node
                    line = key_node.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node = child
        line = node.start_mark.line + 1
    return line


def _message(error: Any) -> str:
    loc = ".".join(str(p) for p in error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"onbekende sleutel '{error['loc'][-1]}'"
    if kind == "missing":
        return f"verplichte sleutel ontbreekt: '{loc}'"
    text = str(error["msg"]).removeprefix("Value error, ")
    return f"{loc}: {text}" if loc else text


# libyaml's parser where PyYAML was built with it (its wheels are), else the pure-Python one.
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse(text: str) -> tuple[yaml.Node | None, Any]:
    """Parse once: the node tree (for line numbers in messages) and the data built from it."""
    loader = SAFE_LOADER(text)
    try:
        node = loader.get_single_node()
        return node, loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def _read(path: Path, display: str, model: type[BaseModel], problems: list[Problem]) -> tuple[Any, yaml.Node | None]:
    try:
        node, data = _parse(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        problems.append(Problem(display, 1, "het bestand is geen UTF-8-tekst"))
        return None, None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problems.append(Problem(display, line, f"ongeldige YAML: {exc.problem or exc}"))
        return None, None
    return _validate(model, data if data is not None else {}, node, (), display, problems), node


def _validate(
    model: type[BaseModel],
    data: Any,
    node: yaml.Node | None,
    loc: tuple[int | str, ...],
    display: str,
    problems: list[Problem],
) -> Any:
    """``model`` validated from ``data`` (found at ``loc`` in the file), or None after reporting why."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            where = (*loc, *error["loc"])
            problems.append(Problem(display, _line_of(node, where), _message({**error, "loc": where})))
        return None


def _sources(file_source: str, item: EntryFile, partnerships: dict[str, Partnership]) -> tuple[str, ...]:
    own = item.source if item.source is not None else file_source
    found = [own] if isinstance(own, str) else list(own)
    for slug in item.per_partnership:
        if slug in partnerships and partnerships[slug].source not in found:
            found.append(partnerships[slug].source)
    return tuple(found)


def _source_warnings(item: EntryFile, owner: str | None, partnerships: dict[str, Partnership]) -> list[str]:
    """A partnership's fact, or what its source adds to a general entry, needs a 'file:line' reference."""
    own = [item.source] if isinstance(item.source, str) else list(item.source or [])
    located = [s for s in own if LOCATED_SOURCE.match(s)]
    found = []
    if owner is not None and not located:
        found.append(f"{item.id}: geen bronverwijzing; geef source: <bestand>:<regel> of markeer het als algemeen")
    for slug in item.per_partnership:
        partnership = partnerships.get(slug)
        if partnership and not any(s.startswith(partnership.source + ":") for s in located):
            found.append(f"{item.id}: wat {slug} toevoegt heeft geen bronverwijzing ({partnership.source}:<regel>)")
    return found


def load_knowledge_base(data_dir: Path | None = None) -> KnowledgeBase:
    """Read every folder of ``data_dir``; raise KnowledgeBaseError listing all problems."""
    root = (data_dir or DEFAULT_DATA_DIR).resolve()
    problems: list[Problem] = []
    if not root.is_dir():
        raise KnowledgeBaseError([Problem(str(root), 1, "map met de kennisbank bestaat niet")])

    def display(path: Path) -> str:
        return str(path.relative_to(root.parent)) if path.is_relative_to(root.parent) else str(path)

    partnerships: dict[str, Partnership] = {}
    folders = sorted(p for p in root.iterdir() if p.is_dir())
    for folder in folders:
        meta_path = folder / META_FILE
        if not meta_path.is_file():
            problems.append(Problem(display(folder), 1, f"{META_FILE} ontbreekt in deze map"))
            continue
        meta, node = _read(meta_path, display(meta_path), PartnershipFile, problems)
        if meta is None:
            continue
        if meta.slug != folder.name:
            problems.append(
                Problem(
                    display(meta_path),
                    _line_of(node, ["slug"]),
                    f"slug '{meta.slug}' moet gelijk zijn aan de mapnaam '{folder.name}'",
                )
            )
        partnerships[meta.slug] = Partnership(
            meta.slug, meta.name, meta.short_name, meta.source, tuple(meta.aliases), meta.where_to_ask
        )
    if not any(p.name == GENERAL for p in folders):
        problems.append(Problem(display(root), 1, f"de map '{GENERAL}' ontbreekt"))

    entries: list[Entry] = []
    warnings: list[Problem] = []
    seen: dict[str, str] = {}
    pending_refs: list[tuple[str, int, str]] = []
    for folder in folders:
        owner = None if folder.name == GENERAL else folder.name
        for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
            if path.name.startswith("_"):  # the metadata file and language data, not entries
                continue
            shown = display(path)
            parsed, node = _read(path, shown, EntriesFile, problems)
            if parsed is None:
                continue
            for index, raw in enumerate(parsed.entries):
                item = _validate(EntryFile, raw, node, ("entries", index), shown, problems)
                if item is None:
                    continue
                line = _line_of(node, ["entries", index])
                here = f"{shown}:{line}"
                if item.id in seen:
                    problems.append(Problem(shown, line, f"dubbel id '{item.id}' (ook in {seen[item.id]})"))
                    continue
                seen[item.id] = here
                is_school = item.id.startswith("school:")
                if is_school and item.school is None:
                    problems.append(Problem(shown, line, f"{item.id}: een school heeft het veld 'school' nodig"))
                    continue
                if not is_school and item.school is not None:
                    problems.append(
                        Problem(
                            shown,
                            _line_of(node, ["entries", index, "school"]),
                            "alleen school:-items hebben het veld 'school'",
                        )
                    )
                if not is_school and not (item.answer and item.answer.strip()):
                    problems.append(Problem(shown, line, f"{item.id}: verplichte sleutel ontbreekt: 'answer'"))
                    continue
                for slug in item.per_partnership:
                    if slug == GENERAL or slug not in {f.name for f in folders}:
                        problems.append(
                            Problem(
                                shown,
                                _line_of(node, ["entries", index, "per_partnership", slug]),
                                f"onbekend partnerschap '{slug}' in per_partnership",
                            )
                        )
                for ref_index, ref in enumerate(item.see_also):
                    pending_refs.append((shown, _line_of(node, ["entries", index, "see_also", ref_index]), ref))
                warnings.extend(Problem(shown, line, text) for text in _source_warnings(item, owner, partnerships))
                school = School(**item.school.model_dump()) if item.school else None
                entry = Entry(
                    id=item.id,
                    title=item.title.strip(),
                    keywords=tuple(item.keywords),
                    answer=(item.answer or "").strip(),
                    sources=_sources(parsed.source, item, partnerships),
                    partnership=owner,
                    per_partnership=dict(item.per_partnership),
                    see_also=tuple(item.see_also),
                    school=school,
                    location=here,
                )
                entries.append(entry)

    for shown, line, ref in pending_refs:
        if ref not in seen:
            problems.append(Problem(shown, line, f"verwijzing naar onbekend id '{ref}'"))
    for role_id in REQUIRED_ROLE_IDS:
        if role_id not in seen:
            problems.append(Problem(display(root), 1, f"de vaste rol '{role_id}' ontbreekt"))
    if problems:
        raise KnowledgeBaseError(problems)

    for warning in warnings:
        logger.warning("waarschuwing: %s", warning)
    general = partnerships.pop(GENERAL)
    final = tuple(_with_school_answer(e, partnerships) for e in entries)
    return KnowledgeBase(partnerships, final, general.where_to_ask, tuple(warnings))


def _with_school_answer(entry: Entry, partnerships: dict[str, Partnership]) -> Entry:
    if entry.school is None or entry.answer:
        return entry
    owner = partnerships.get(entry.partnership) if entry.partnership else None
    return replace(entry, answer=school_answer(entry.title, entry.school, owner))
