"""YAML nodes that remember their line, so that a configuration error (process file, mapping
file) names the key path and the line of the bad value."""

from __future__ import annotations

import codecs
from pathlib import Path

import yaml

from toolkit.errors import ConfigError


class YamlNode:
    """A YAML node with its key path and line."""

    def __init__(self, node: yaml.Node, path: str) -> None:
        self.node, self.path, self.line = node, path, node.start_mark.line + 1

    def fail(self, expected: str, hint: str = "") -> ConfigError:
        found = self.node.value if isinstance(self.node, yaml.ScalarNode) else type(self.node).__name__.replace("Node",
                                                                                                                "").lower()
        return ConfigError(f"{self.path} (line {self.line}) to be {expected}", repr(found), hint)

    def _child(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def mapping(self, allowed: set[str]) -> dict[str, YamlNode]:
        if not isinstance(self.node, yaml.MappingNode):
            raise self.fail("a mapping of keys to values")
        out: dict[str, YamlNode] = {}
        for k, v in self.node.value:
            key = str(k.value)
            if key not in allowed:
                raise ConfigError(f"one of the keys {sorted(allowed)} under {self.path or 'the top level'}",
                                  f"unknown key {key!r} at line {k.start_mark.line + 1}",
                                  "check the spelling; see the default process for every key")
            out[key] = YamlNode(v, self._child(key))
        return out

    def mapping_any(self) -> dict[str, YamlNode]:
        """A mapping whose keys are data (e.g. stage labels, pipeline names), not a fixed set."""
        if not isinstance(self.node, yaml.MappingNode):
            raise self.fail("a mapping of keys to values")
        return {str(k.value): YamlNode(v, self._child(str(k.value))) for k, v in self.node.value}

    def is_sequence(self) -> bool:
        return isinstance(self.node, yaml.SequenceNode)

    def is_scalar(self) -> bool:
        return isinstance(self.node, yaml.ScalarNode)

    def sequence(self) -> list[YamlNode]:
        if not isinstance(self.node, yaml.SequenceNode):
            raise self.fail("a list")
        return [YamlNode(v, f"{self.path}[{i}]") for i, v in enumerate(self.node.value)]

    def text(self) -> str:
        if not isinstance(self.node, yaml.ScalarNode) or not str(self.node.value).strip():
            raise self.fail("a non-empty text")
        return str(self.node.value).strip()

    def number(self, *, integer: bool = False, minimum: float = 0) -> float:
        try:
            value = float(self.text())
        except ValueError:
            raise self.fail("a number") from None
        if value < minimum or (integer and not value.is_integer()):
            raise self.fail(f"{'an integer' if integer else 'a number'} >= {minimum}")
        return value

    def boolean(self) -> bool:
        value = self.text().lower()
        if value not in ("true", "false", "yes", "no"):
            raise self.fail("true or false")
        return value in ("true", "yes")

    def texts(self) -> tuple[str, ...]:
        if isinstance(self.node, yaml.ScalarNode):
            return (self.text(),)
        return tuple(n.text() for n in self.sequence())


def read_yaml_text(path: Path) -> str:
    """The text of a YAML file: UTF-8 (a BOM allowed) or UTF-16 with its BOM, as YAML requires.
    Another encoding is a ConfigError naming the line of the first byte that does not decode."""
    data = path.read_bytes()
    encoding = "utf-16" if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ConfigError(f"a YAML file in {'UTF-16' if encoding == 'utf-16' else 'UTF-8'}",
                          f"byte {data[exc.start]:#04x} at line {line} of {path} that is not",
                          "save the file as UTF-8 (most editors: Save with encoding)") from None


def compose_yaml(text: str, source: str, what: str) -> YamlNode:
    """The root node of a YAML document, or a ConfigError naming the line of a syntax error."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "the file"
        raise ConfigError("valid YAML", f"a syntax error at {where} of {source}: {getattr(exc, 'problem', exc)}",
                          "check indentation and quoting") from exc
    if root is None:
        raise ConfigError(what, f"an empty file {source}")
    return YamlNode(root, "")
