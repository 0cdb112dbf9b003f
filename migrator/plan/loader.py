"""Read a plan file into plain data plus a map of where every node stands.

PyYAML's ``compose`` keeps each node's start mark; we construct the data from
the nodes ourselves so that (a) every value and key has a line and column for
error messages, (b) a key written twice in one mapping is an error — PyYAML
silently keeps the last one, which loses steps without a word — while merge
keys (``<<: [*a, *b]``) follow YAML's merge rule, and (c) what is not plain
JSON-like data is an error at its place, not a crash: a tag the safe loader
does not know (``!foo``), and an alias inside the node it names (``&a [*a]``),
which would make the plan contain itself. An anchor may be defined again, as
YAML 1.2 allows: an alias names the latest node with its name.
"""
from __future__ import annotations

import codecs
import gc
import os
import re
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import yaml

from migrator.errors import Issue, Location, PlanInvalid

#: Plans are hand-written; anything this large is a mistake (or an attack).
MAX_PLAN_BYTES = 10 * 1024 * 1024
#: Bound on constructed nodes, so alias bombs ("billion laughs") cannot explode.
MAX_NODES = 2_000_000
#: Bound on nested lists and mappings: a plan's deepest path (phases[0].steps[0].verify[0].not.all[0]...)
#: is a dozen levels; a recursive alias (``&a [*a]``) would otherwise recurse forever.
MAX_DEPTH = 100

PathKey = tuple  # ("phases", 0, "steps", 2, "sql")

_YAML_TAG = "tag:yaml.org,2002:"
_STR_TAG = _YAML_TAG + "str"
_MERGE_TAG = _YAML_TAG + "merge"
_MAP_TAG = _YAML_TAG + "map"
_SEQ_TAG = _YAML_TAG + "seq"
_TIMESTAMP_TAG = _YAML_TAG + "timestamp"
#: The scalar types a plan holds (strings, numbers, booleans, null) and dates,
#: which are kept as written: YAML 1.2 has no dates, and ``cutoff: 2026-01-01``
#: in vars means that text.
_SCALAR_TAGS = frozenset(_YAML_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp"))


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader, resolving each distinct scalar's tag once per document.

    The composer asks the (pure-Python) resolver for the tag of every node,
    trying YAML 1.1's regular expressions each time; a plan repeats the same
    keys and values thousands of times (``id``, ``sql``, ``table_exists``,
    ``mark_applied``), so a 1,000-step plan makes 34,000 calls for 5,000
    distinct answers (issue #9). The answer depends only on the arguments:
    safe loaders have no path resolvers, the one thing that would make it
    depend on where the node stands.
    """

    def __init__(self, stream):
        super().__init__(stream)
        assert not self.yaml_path_resolvers, "a path resolver would make resolve() depend on position"
        self.resolve = lru_cache(maxsize=None)(super().resolve)

    def dispose(self):
        # The cache holds a bound method of self: drop it, so reference
        # counting frees the loader now and not at the next GC.
        self.__dict__.pop("resolve", None)
        super().dispose()


# Without libyaml, _Loader's own composer is PyYAML's Python one already.
_COMPOSING_BASES = (_Loader,) if issubclass(_Loader, yaml.composer.Composer) else (yaml.composer.Composer, _Loader)


class _RedefiningLoader(*_COMPOSING_BASES):  # type: ignore[misc]
    """``_Loader`` whose composer lets a later ``&name`` replace an earlier one.

    YAML 1.2 (and 1.1) say an alias refers to the most recent node with its
    anchor, so anchors need not be unique; PyYAML's composers, the C one
    too, refuse a repeated name. This one is PyYAML's own Python composer,
    reading the same events from libyaml, with that refusal taken out. It
    is slower than the C composer, so only a plan that repeats an anchor
    is composed with it.
    """

    def __init__(self, stream):
        _Loader.__init__(self, stream)
        yaml.composer.Composer.__init__(self)

    def compose_node(self, parent, index):
        event = self.peek_event()
        if event.anchor is not None and type(event) is not yaml.AliasEvent:
            self.anchors.pop(event.anchor, None)  # from here on, the name is this node's
        return super().compose_node(parent, index)


class SourceMap:
    """Where each node of a loaded document stands in its file.

    Holds the composed YAML nodes and finds a path's position only when asked,
    by following the path through them as the builder did: recording every
    node's position up front was the largest part of loading a valid plan,
    which never asks (issue #9). A mapping's keys are indexed on first visit.
    """

    def __init__(self, file: str, root: yaml.Node | None = None):
        self.file = file
        self._root = root
        self._keys: dict[int, dict[Any, tuple[yaml.Node, yaml.Node]]] = {}  # id(mapping node) → key → nodes

    def location(self, path: PathKey, *, key: bool = False) -> Location:
        """The location of ``path`` (its key when ``key``), else of its nearest ancestor."""
        node = self._root
        if node is None:
            return Location(self.file, 1, 1)
        key_node = None
        for part in path:
            if isinstance(node, yaml.MappingNode):
                index = self._keys.get(id(node)) or self._index(node)
                if part not in index:
                    break
                key_node, node = index[part]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                key_node, node = None, node.value[part]
            else:
                break
        mark = (key_node if key and key_node is not None else node).start_mark
        return Location(self.file, mark.line + 1, mark.column + 1)

    def _index(self, node: yaml.MappingNode) -> dict[Any, tuple[yaml.Node, yaml.Node]]:
        # As the builder: merged keys first, non-scalar keys dropped, the first of duplicates kept.
        index = self._keys[id(node)] = {}
        for key_node, value_node in _pairs(node):
            if isinstance(key_node, yaml.ScalarNode) and key_node.value not in index:
                index[key_node.value] = (key_node, value_node)
        return index


def format_path(path: PathKey) -> str:
    """``("phases", 1, "steps", 0)`` → ``phases[1].steps[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def load_yaml(path: str) -> tuple[Any, SourceMap]:
    """Read ``path`` and return ``(data, source_map)``.

    Raises :class:`PlanInvalid` (with the file's name and, for syntax errors,
    the line and column) for anything that is not a readable YAML document.
    """
    text = read_text(path)
    return parse_yaml(text, path)


def read_text(path: str) -> str:
    where = Location(path)
    try:
        size = os.path.getsize(path)
    except FileNotFoundError:
        raise PlanInvalid([Issue(where, "", "file not found", "io")]) from None
    except OSError as e:
        raise PlanInvalid([Issue(where, "", f"cannot read file: {e.strerror or e}", "io")]) from None
    if os.path.isdir(path):
        raise PlanInvalid([Issue(where, "", "is a directory, not a plan file", "io")])
    if size > MAX_PLAN_BYTES:
        raise PlanInvalid(
            [Issue(where, "", f"file is {size / 1e6:.1f} MB; plans larger than {MAX_PLAN_BYTES // 2**20} MiB are refused", "io")]
        )
    try:
        with open(path, "rb") as f:
            # Bounded: a device or pipe reports size 0 (/dev/zero, /dev/urandom would
            # otherwise be read until memory runs out).
            raw = f.read(MAX_PLAN_BYTES + 1)
    except OSError as e:
        raise PlanInvalid([Issue(where, "", f"cannot read file: {e.strerror or e}", "io")]) from None
    if len(raw) > MAX_PLAN_BYTES:
        raise PlanInvalid([Issue(where, "", f"more than {MAX_PLAN_BYTES // 2**20} MiB; larger plans are refused", "io")])
    if b"\x00" in raw:
        raise PlanInvalid([Issue(where, "", "binary file (contains NUL bytes), not a YAML plan", "io")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line, col = undecodable_position(raw, e)
        raise PlanInvalid([Issue(Location(path, line, col), "", f"not UTF-8 text ({undecodable(raw, e)}); save it as UTF-8",
                                 "io")]) from None
    return text


def undecodable_position(raw: bytes, error: UnicodeDecodeError) -> tuple[int, int]:
    """The 1-based line and column (in characters) of the first byte of ``raw`` that is
    not UTF-8, from the error of ``raw.decode("utf-8-sig")``, so that an editor goes to
    it (a Latin-1 ``é`` in a file saved in the wrong encoding)."""
    at = _undecodable_at(raw, error)
    start = raw.rfind(b"\n", 0, at) + 1
    before = raw[start:at].decode("utf-8-sig" if start == 0 else "utf-8", "replace")
    return raw.count(b"\n", 0, at) + 1, len(before) + 1


def undecodable(raw: bytes, error: UnicodeDecodeError) -> str:
    return f"byte 0x{raw[_undecodable_at(raw, error)]:02x}: {error.reason}"


def _undecodable_at(raw: bytes, error: UnicodeDecodeError) -> int:
    # utf-8-sig decodes what follows the byte order mark: its offsets start after it.
    return error.start + (len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0)


@contextmanager
def gc_paused():
    """Hold off the cyclic garbage collector while a plan is loaded.

    Loading allocates a node, a value and a position per YAML node and frees
    almost nothing, so the collector's generation-0 threshold trips hundreds of
    times and its full collections re-walk everything built so far: half of
    ``validate``'s time on a 1,000-step plan (issue #9). What a load builds
    holds no reference cycles, so reference counting frees it as usual and
    the rare cycle (a caught exception's traceback) waits only until the
    next collection. Nests, and restores the caller's setting.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_yaml(text: str, path: str) -> tuple[Any, SourceMap]:
    """Parse YAML ``text`` (named ``path`` in messages) into data and a source map."""
    with gc_paused():
        return _parse_yaml(text, path)


def _parse_yaml(text: str, path: str) -> tuple[Any, SourceMap]:
    if not text.strip():
        raise PlanInvalid([Issue(Location(path, 1, 1), "", "empty file: a plan needs migrator, name and phases", "empty")])
    try:
        nodes = _compose_all(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        loc = Location(path, mark.line + 1, mark.column + 1) if mark else Location(path, 1, 1)
        problem = e.problem or e.context or "invalid YAML"
        if mark and _char_at(text, mark.line, mark.column) == "\t":
            problem += " (a tab: YAML indents with spaces, not tabs)"
        elif "mapping values are not allowed" in problem and mark and _lone_key_before(text, mark.line, mark.column):
            # `    rollback: x` under `  sql: y`: a key indented too deep reads as
            # more of the value above it, and this is where YAML notices.
            problem += " (this key is indented deeper than the one above it: keys of one mapping line up in one column)"
        elif "mapping values are not allowed" in problem:
            problem += " (a value containing ': ' needs quotes)"
        elif problem.startswith(("did not find expected", "expected <block end>")) and e.context and "block" in e.context:
            problem += " (check this line's indentation: the keys of one mapping, and the items of one list, line up in one column)"
        raise PlanInvalid([Issue(loc, "", f"YAML syntax error: {problem}", "yaml")]) from None
    except yaml.YAMLError as e:
        raise PlanInvalid([Issue(Location(path, 1, 1), "", f"YAML error: {e}", "yaml")]) from None
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        raise PlanInvalid([Issue(Location(path, 1, 1), "", "empty document: a plan needs migrator, name and phases", "empty")])
    if len(nodes) > 1:
        second = nodes[1].start_mark
        raise PlanInvalid(
            [Issue(Location(path, second.line + 1, second.column + 1), "", "more than one YAML document; a plan file holds one", "yaml")]
        )
    builder = _Builder(path, text)
    try:
        data = builder.build(nodes[0], ())
    except _TooDeep as e:
        # Only on this error path: a second pass over the text's events finds
        # each alias inside the node it names, which the nodes cannot tell.
        # Without the path: a hundred levels of it would not help anyone.
        too_deep = builder._issue(e.node, (), f"nested more than {MAX_DEPTH} levels deep; no plan is this deep")
        raise PlanInvalid(_recursive_aliases(text, path) or [too_deep]) from None
    if builder.issues:
        raise PlanInvalid(builder.issues)
    return data, SourceMap(path, nodes[0])


def _compose_all(text: str) -> list:
    try:
        return list(yaml.compose_all(text, Loader=_Loader))
    except yaml.composer.ComposerError as e:
        if "duplicate anchor" not in (e.context or ""):
            raise
    return list(yaml.compose_all(text, Loader=_RedefiningLoader))


class _TooDeep(Exception):
    """Nesting passed MAX_DEPTH: a recursive alias, or a document no plan resembles."""

    def __init__(self, node: yaml.Node, path: PathKey):
        self.node = node
        self.path = path


def _recursive_aliases(text: str, path: str) -> list[Issue]:
    """An issue for each alias that stands inside the node its anchor names (a cycle)."""
    issues = []
    # The lists and mappings not yet closed that an alias would name now: a
    # name's later node replaces its earlier one, as in _RedefiningLoader.
    open_anchors: dict[str, yaml.Mark] = {}
    stack: list[tuple[str | None, yaml.Mark]] = []
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in open_anchors:
                mark, anchored = event.start_mark, open_anchors[event.anchor]
                issues.append(
                    Issue(
                        Location(path, mark.line + 1, mark.column + 1),
                        "",
                        f"alias *{event.anchor} is inside the node it refers to (&{event.anchor} at line {anchored.line + 1}): "
                        "a plan cannot contain itself",
                        "yaml",
                    )
                )
            continue
        if isinstance(event, yaml.NodeEvent) and event.anchor is not None:
            open_anchors.pop(event.anchor, None)
        if isinstance(event, yaml.CollectionStartEvent):
            stack.append((event.anchor, event.start_mark))
            if event.anchor is not None:
                open_anchors[event.anchor] = event.start_mark
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, mark = stack.pop()
            if anchor is not None and open_anchors.get(anchor) is mark:
                del open_anchors[anchor]
    return issues


def _lone_key_before(text: str, line: int, column: int) -> bool:
    """Whether the text of ``line`` before ``column`` is indentation and one plain key."""
    lines = text.splitlines()
    before = lines[line][:column] if line < len(lines) else ""
    return re.fullmatch(r" *(- +)?[^\s:#'\"-][^\s:#]*", before) is not None


def _char_at(text: str, line: int, column: int) -> str:
    lines = text.splitlines()
    return lines[line][column] if line < len(lines) and column < len(lines[line]) else ""


class _Builder:
    """Turns composed nodes into Python data, reporting duplicate keys and bad values."""

    def __init__(self, file: str, text: str):
        self.file = file
        self.text = text
        self._lines: list[str] | None = None  # the text's lines, split when a tag issue needs them
        self.issues: list[Issue] = []
        self.count = 0
        self.constructor = yaml.constructor.SafeConstructor()
        self._reported: set[int] = set()  # id() of nodes with a tag or merge issue: an alias repeats a node

    def _location(self, node: yaml.Node) -> Location:
        return Location(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def _issue(self, node: yaml.Node, path: PathKey, message: str) -> Issue:
        return Issue(self._location(node), format_path(path), message, "yaml")

    def build(self, node: yaml.Node, path: PathKey) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise PlanInvalid([self._issue(node, path, "document too large (too many nodes, possibly an alias bomb)")])
        cls = type(node)
        if cls is yaml.ScalarNode:
            if node.tag == _STR_TAG:
                return node.value  # the common case, without the constructor's overhead
            return self._scalar(node, path)
        if len(path) >= MAX_DEPTH:
            raise _TooDeep(node, path)
        if cls is yaml.MappingNode:
            if node.tag != _MAP_TAG:
                return self._bad_tag(node, path)
            return self._mapping(node, path)
        if node.tag != _SEQ_TAG:
            return self._bad_tag(node, path)
        return [self.build(child, path + (i,)) for i, child in enumerate(node.value)]

    def _scalar(self, node: yaml.ScalarNode, path: PathKey) -> Any:
        if node.tag not in _SCALAR_TAGS:
            return self._bad_tag(node, path)
        if node.tag == _TIMESTAMP_TAG and yaml.constructor.SafeConstructor.timestamp_regexp.match(node.value):
            return node.value  # as written, even 2026-13-45: a plan's dates are text (see _SCALAR_TAGS)
        try:
            return self.constructor.construct_object(node)
        except (yaml.YAMLError, ValueError, LookupError, AttributeError):
            # What an explicit tag's constructor raises for text it cannot
            # read (`!!int abc`, `!!int ""`, `!!bool maybe`, `!!timestamp soon`).
            self.issues.append(self._issue(node, path, f"invalid {_shown_tag(node.tag)} value {node.value!r}"))
            return None

    def _bad_tag(self, node: yaml.Node, path: PathKey) -> None:
        """Report a tag a plan does not use, once per node, at the tag itself."""
        if id(node) in self._reported:
            return None
        self._reported.add(id(node))
        tag = node.tag
        shown = _shown_tag(tag)
        if tag not in yaml.constructor.SafeConstructor.yaml_constructors:
            message = f"unknown YAML tag {shown!r}"
        elif tag in _SCALAR_TAGS or tag in (_MAP_TAG, _SEQ_TAG):
            kind = {yaml.MappingNode: "a mapping", yaml.SequenceNode: "a list"}.get(type(node), "a single value")
            message = f"YAML tag {shown!r} cannot tag {kind}"
        else:
            message = f"YAML tag {shown!r} is not supported: a plan holds strings, numbers, booleans, null, lists and mappings"
        self.issues.append(Issue(self._tag_location(node), format_path(path), message, "yaml"))
        return None

    def _tag_location(self, node: yaml.Node) -> Location:
        # A node starts at its anchor when one comes first (`&a !foo x`); the
        # tag follows the anchor's name and some space.
        mark = node.start_mark
        if self._lines is None:
            self._lines = self.text.splitlines()
        lines = self._lines
        line, col = mark.line, mark.column
        if line >= len(lines) or col >= len(lines[line]) or lines[line][col] != "&":
            return self._location(node)
        col += 1
        while col < len(lines[line]) and not lines[line][col].isspace():
            col += 1
        while line < len(lines):
            while col < len(lines[line]) and lines[line][col] in " \t":
                col += 1
            if col < len(lines[line]):
                break
            line, col = line + 1, 0
        if line < len(lines) and lines[line][col] == "!":
            return Location(self.file, line + 1, col + 1)
        return self._location(node)

    def _mapping(self, node: yaml.MappingNode, path: PathKey) -> dict:
        out: dict = {}
        seen: dict[Any, yaml.Node] = {}
        pairs = node.value
        if _MERGE_TAG in {key_node.tag for key_node, _ in pairs}:
            pairs = _pairs(node, path)
            self._check_merge_sources(node, path)
        for key_node, value_node in pairs:
            if key_node.tag == _STR_TAG and type(key_node) is yaml.ScalarNode:
                key = key_node.value
            else:
                key = self.build_key(key_node, path)
                if key is _BAD_KEY:
                    continue
            if key in seen:
                first = seen[key].start_mark.line + 1
                self.issues.append(
                    Issue(
                        self._location(key_node),
                        format_path(path + (key,)),
                        f"duplicate key {key!r} (first at line {first}); YAML would silently keep only the last one",
                        "duplicate-key",
                    )
                )
                continue
            seen[key] = key_node
            out[key] = self.build(value_node, path + (key,))
        return out

    def _check_merge_sources(self, node: yaml.MappingNode, path: PathKey) -> None:
        # _pairs reads only the merged mappings' entries, so their own tags
        # (`<<: !foo {...}`) are checked here, like every other node's. It
        # has already followed these same merges, so they hold no cycle.
        first = None
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE_TAG:
                continue
            if first is not None:
                # Two `<<` are a duplicate key like any other: the merge rule
                # does not say which wins (PyYAML's answer changed between
                # versions), so _pairs merges only the first and this reports.
                if id(key_node) not in self._reported:
                    self._reported.add(id(key_node))
                    self.issues.append(
                        Issue(
                            self._location(key_node),
                            format_path(path + ("<<",)),
                            f"duplicate merge key '<<' (first at line {first.start_mark.line + 1}); "
                            "merge several mappings with one list: <<: [*a, *b]",
                            "duplicate-key",
                        )
                    )
                continue
            first = key_node
            sources = [value_node]
            if type(value_node) is yaml.SequenceNode:
                if value_node.tag != _SEQ_TAG:
                    self._bad_tag(value_node, path)
                sources = value_node.value
            for src in sources:
                if type(src) is not yaml.MappingNode:
                    if id(src) not in self._reported:
                        self._reported.add(id(src))
                        self.issues.append(self._issue(src, path, "a merge key (<<) takes a mapping or a list of mappings"))
                    continue
                if src.tag != _MAP_TAG:
                    self._bad_tag(src, path)
                self._check_merge_sources(src, path)

    def build_key(self, node: yaml.Node, path: PathKey):
        if not isinstance(node, yaml.ScalarNode):
            self.issues.append(self._issue(node, path, "mapping keys must be plain strings"))
            return _BAD_KEY
        issues = len(self.issues)
        value = self._scalar(node, path)
        if len(self.issues) > issues:
            return _BAD_KEY
        # YAML 1.1 reads `on:`, `yes:` and numbers as non-strings; keys in a plan are names.
        return node.value if not isinstance(value, str) else value


def _shown_tag(tag: str) -> str:
    """A tag as written: ``tag:yaml.org,2002:binary`` → ``!!binary``; ``!foo`` as is; a URI as ``!<uri>``."""
    if tag.startswith(_YAML_TAG):
        return "!!" + tag[len(_YAML_TAG):]
    return tag if tag.startswith("!") else f"!<{tag}>"


def _pairs(node: yaml.MappingNode, path: PathKey = (), depth: int = 0) -> list:
    """A mapping's (key, value) nodes with YAML merge keys (``<<: *defaults``) expanded.

    As https://yaml.org/type/merge.html says: a key written in the mapping
    overrides a merged one, and of several merged mappings (``<<: [*a, *b]``)
    the first that has a key gives it. Only a key written twice in one
    mapping (merged ones included) is kept twice, for the builder to report.
    """
    if not any(k.tag == _MERGE_TAG for k, _ in node.value):
        return node.value
    if depth > MAX_DEPTH:  # a mapping merged into itself: `&a {<<: *a}`
        raise _TooDeep(node, path)
    sources = None
    own: list = []
    for key_node, value_node in node.value:
        if key_node.tag != _MERGE_TAG:
            own.append((key_node, value_node))
        elif sources is None:  # a second `<<` is a duplicate key, which the builder reports
            sources = value_node.value if type(value_node) is yaml.SequenceNode else [value_node]
    merged: list = []
    taken = {k.value for k, _ in own if type(k) is yaml.ScalarNode}
    for src in sources:
        if type(src) is not yaml.MappingNode:
            continue  # reported by the builder
        pairs = _pairs(src, path, depth + 1)
        given = set()
        for key_node, value_node in pairs:
            if type(key_node) is yaml.ScalarNode:
                if key_node.value in taken:
                    continue
                given.add(key_node.value)
            merged.append((key_node, value_node))
        taken |= given  # after the source: a key it holds twice stays twice
    return merged + own


_BAD_KEY = object()
