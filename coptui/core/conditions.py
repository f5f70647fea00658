"""The small ``show_if`` grammar: parsed and evaluated by hand, never with ``eval``.

    expr       := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | atom
    atom       := "(" expr ")" | "answered" "(" ID ")" | value [OP value | "in" list]
    value      := ID | NUMBER | STRING
    list       := "[" [literal ("," literal)*] "]"
    OP         := == != < <= > >=

An ID names an earlier question (ids may start with a digit: ``2fa``). Strings take the
escapes ``\\"``, ``\\'`` and ``\\\\``; any other backslash stays as it is. Ordering
comparisons (``< <= > >=``) are for scale questions. Yes/no questions compare with
"yes" / "no"; a multi question ``== "x"`` is true when "x" is among its choices, ``in [...]`` when any is. A
question that was not answered (or answered "not applicable") makes every comparison false.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from coptui.core.problems import listing, shorten

NUMERIC_TYPES = frozenset({"likert", "rating", "nps"})
KEYWORDS = frozenset({"and", "or", "not", "in", "answered"})
ORDERING = frozenset({"<", "<=", ">", ">="})
# Deeper nesting than this is no condition a person writes; refusing it keeps the parser's
# recursion far from Python's limit, so random text can only ever raise ConditionError.
MAX_DEPTH = 50

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>-?\d+(?:\.\d+)?(?![A-Za-z_\d-]))
      | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>==|!=|<=|>=|<|>)
      | (?P<punct>[()\[\],])
      | (?P<name>[A-Za-z0-9_][A-Za-z0-9_-]*)
    )""",
    re.VERBOSE,
)


class ConditionError(ValueError):
    """A show_if expression that cannot be parsed."""


class QuestionLike(Protocol):
    # Read-only properties, so that any question whose fields have these types matches.
    @property
    def id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def options(self) -> list[str] | None: ...


@dataclass(frozen=True)
class Ref:
    name: str


@dataclass(frozen=True)
class Literal:
    value: float | str


@dataclass(frozen=True)
class Compare:
    left: Ref | Literal
    op: str
    right: Ref | Literal


@dataclass(frozen=True)
class In:
    left: Ref | Literal
    items: tuple[Literal, ...]


@dataclass(frozen=True)
class Answered:
    name: str


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class BoolOp:
    op: str
    operands: tuple[Node, ...]


Node = Compare | In | Answered | Not | BoolOp | Ref | Literal


def tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            column = len(text) - len(text[position:].lstrip()) + 1
            raise ConditionError(f"unexpected character {text[column - 1]!r} at column {column}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind), match.start(kind) + 1))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    def deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ConditionError(f"is nested more than {MAX_DEPTH} levels deep")

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str, int]:
        token = self.peek()
        if token is None:
            raise ConditionError(
                f"expected {value!r} but the expression ended" if value else "the expression ended too early"
            )
        if value is not None and token[1] != value:
            raise ConditionError(f"expected {value!r} at column {token[2]}, found {shorten(token[1])}")
        self.index += 1
        return token

    def at(self, value: str) -> bool:
        token = self.peek()
        return token is not None and token[1] == value and token[0] in ("name", "op", "punct")

    def parse(self) -> Node:
        node = self.parse_or()
        token = self.peek()
        if token is not None:
            raise ConditionError(f"unexpected {shorten(token[1])} at column {token[2]}")
        return node

    def parse_or(self) -> Node:
        operands = [self.parse_and()]
        while self.at("or"):
            self.take()
            operands.append(self.parse_and())
        return operands[0] if len(operands) == 1 else BoolOp("or", tuple(operands))

    def parse_and(self) -> Node:
        operands = [self.parse_not()]
        while self.at("and"):
            self.take()
            operands.append(self.parse_not())
        return operands[0] if len(operands) == 1 else BoolOp("and", tuple(operands))

    def parse_not(self) -> Node:
        if self.at("not"):
            self.take()
            self.deeper()
            node = Not(self.parse_not())
            self.depth -= 1
            return node
        return self.parse_atom()

    def parse_atom(self) -> Node:
        if self.at("("):
            self.take("(")
            self.deeper()
            node = self.parse_or()
            self.take(")")
            self.depth -= 1
            return node
        if self.at("answered"):
            self.take()
            self.take("(")
            kind, name, column = self.take()
            if kind != "name" or name in KEYWORDS:
                raise ConditionError(f"answered(...) needs a question id at column {column}")
            self.take(")")
            return Answered(name)
        left = self.parse_value()
        token = self.peek()
        if token is not None and token[0] == "op":
            self.take()
            return Compare(left, token[1], self.parse_value())
        if self.at("in"):
            self.take()
            return In(left, self.parse_list())
        return left

    def parse_value(self) -> Ref | Literal:
        kind, text, column = self.take()
        if kind == "number":
            return Literal(float(text))
        if kind == "string":
            return Literal(_unescape(text[1:-1]))
        if kind == "name" and text not in KEYWORDS:
            return Ref(text)
        raise ConditionError(f"expected a question id, a number or a string at column {column}, found {shorten(text)}")

    def parse_list(self) -> tuple[Literal, ...]:
        self.take("[")
        items: list[Literal] = []
        while not self.at("]"):
            value = self.parse_value()
            if not isinstance(value, Literal):
                raise ConditionError(
                    f"a list after 'in' holds numbers or strings, not the question id {shorten(value.name)}"
                )
            items.append(value)
            if not self.at("]"):
                self.take(",")
        self.take("]")
        return tuple(items)


def _unescape(body: str) -> str:
    return re.sub(r"\\([\\\"'])", r"\1", body)


def parse(text: str) -> Node:
    """Parse a show_if expression; raises ConditionError with the column of the problem."""
    if not text.strip():
        raise ConditionError("is empty")
    return _Parser(text).parse()


def _walk(node: Node):
    yield node
    if isinstance(node, Compare):
        yield from (node.left, node.right)
    elif isinstance(node, In):
        yield node.left
        yield from node.items
    elif isinstance(node, Not):
        yield from _walk(node.operand)
    elif isinstance(node, BoolOp):
        for operand in node.operands:
            yield from _walk(operand)


def check_show_if(
    text: str,
    earlier: Sequence[QuestionLike] | Mapping[str, QuestionLike],
    later: Sequence[str] | Container[str] = (),
    itself: str | None = None,
) -> list[str]:
    """Everything wrong with a show_if, given the questions before it (and the ids of itself and after).

    ``earlier`` may be the questions or a mapping of their ids, ``later`` any container of ids
    (the question's own id is ``itself``, else the first of ``later``): a survey checks each
    condition in turn without copying what came before, however many questions it has."""
    # A condition is echoed in its messages, cut to its start when it is long.
    quoted = shorten(text)
    try:
        tree = parse(text)
    except ConditionError as error:
        return [f"{quoted}: {error}"]
    known: Mapping[str, QuestionLike] = earlier if isinstance(earlier, Mapping) else {q.id: q for q in earlier}
    if itself is None and isinstance(later, Sequence) and later:
        itself = later[0]
    problems: list[str] = []
    for node in _walk(tree):
        name = node.name if isinstance(node, (Ref, Answered)) else None
        if name is None or name in known:
            continue
        if name in later:
            where = "is this question itself" if name == itself else "comes after this question"
            problems.append(
                f"{quoted}: {shorten(name)} {where}; a condition can only use earlier answers "
                f"({listing(known) or 'none here'})"
            )
        else:
            problems.append(
                f"{quoted}: {shorten(name)} is not an earlier question; allowed: {listing(known) or 'none'}"
            )
    if problems:
        return problems
    if isinstance(tree, (Ref, Literal)):
        example = text.strip() if isinstance(tree, Ref) and len(text) <= 40 else "q1"
        return [f"{quoted}: is a value, not a condition; compare it, e.g. {example} >= 4, or use answered({example})"]
    for node in _walk(tree):
        if isinstance(node, Compare):
            problems.extend(_check_pair(quoted, node.left, [node.right], known) or _check_ordering(quoted, node, known))
        elif isinstance(node, In):
            problems.extend(_check_pair(quoted, node.left, list(node.items), known))
    return problems


def _check_ordering(quoted: str, node: Compare, known: Mapping[str, QuestionLike]) -> list[str]:
    """``<`` and friends order numbers; on a choice, yes/no or text they would compare spelling."""
    if node.op not in ORDERING:
        return []
    for side in (node.left, node.right):
        if isinstance(side, Ref) and known[side.name].type not in NUMERIC_TYPES:
            question = known[side.name]
            return [
                f"{quoted}: {node.op} orders numbers, but {side.name} is a {question.type} question; "
                "use == , != or in [...]"
            ]
    return []


def _check_pair(
    quoted: str, left: Ref | Literal, rights: list[Ref | Literal], known: Mapping[str, QuestionLike]
) -> list[str]:
    if not isinstance(left, Ref) and len(rights) == 1 and isinstance(rights[0], Ref):
        swapped: list[Ref | Literal] = [left]
        left, rights = rights[0], swapped
    if not isinstance(left, Ref):
        return [f"{quoted}: a comparison needs a question id on one side"]
    question = known[left.name]
    problems = []
    for right in rights:
        if isinstance(right, Ref):
            continue
        value = right.value
        if question.type in NUMERIC_TYPES and isinstance(value, str):
            problems.append(
                f"{quoted}: {left.name} is a {question.type} question (a number), compared with text {shorten(value)}"
            )
        elif question.type not in NUMERIC_TYPES and isinstance(value, float):
            problems.append(
                f"{quoted}: {left.name} is a {question.type} question (text), compared with the number {_num(value)}"
            )
        elif question.type in ("single", "multi") and value not in (question.options or []):
            problems.append(
                f"{quoted}: {shorten(value)} is not an option of {left.name}; allowed: {listing(question.options or [])}"
            )
        elif question.type == "yesno" and value not in ("yes", "no"):
            problems.append(f'{quoted}: {left.name} is a yes/no question; compare it with "yes" or "no"')
    return problems


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def _value_of(node: Ref | Literal, answers: Mapping[str, Any]) -> Any:
    if isinstance(node, Literal):
        return node.value
    value = answers.get(node.name)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def _compare(left: Any, op: str, right: Any) -> bool:
    if left is None or right is None:
        return False
    if isinstance(left, list):
        if op == "==":
            return right in left
        if op == "!=":
            return right not in left
        return False
    if isinstance(left, (int, float)) != isinstance(right, (int, float)):
        return False
    try:
        return {
            "==": left == right,
            "!=": left != right,
            "<": left < right,
            "<=": left <= right,
            ">": left > right,
            ">=": left >= right,
        }[op]
    except TypeError:
        return False


def evaluate(node: Node, answers: Mapping[str, Any]) -> bool:
    """Evaluate a parsed condition; ``answers`` holds only real answers (no NA, no skipped)."""
    if isinstance(node, BoolOp):
        results = (evaluate(operand, answers) for operand in node.operands)
        return all(results) if node.op == "and" else any(results)
    if isinstance(node, Not):
        return not evaluate(node.operand, answers)
    if isinstance(node, Answered):
        return answers.get(node.name) not in (None, "", [])
    if isinstance(node, Compare):
        return _compare(_value_of(node.left, answers), node.op, _value_of(node.right, answers))
    if isinstance(node, In):
        left = _value_of(node.left, answers)
        if left is None:
            return False
        values = [item.value for item in node.items]
        if isinstance(left, list):
            return any(choice in values for choice in left)
        return any(_compare(left, "==", value) for value in values)
    if isinstance(node, Ref):
        return answers.get(node.name) not in (None, "", [])
    return bool(node.value)


def is_shown(show_if: str | None, answers: Mapping[str, Any]) -> bool:
    return True if show_if is None else evaluate(parse(show_if), answers)


def render(node: Node) -> str:
    """Write a parsed condition back as text that parses to the same tree (used in messages and tests)."""
    if isinstance(node, BoolOp):
        return f" {node.op} ".join(_grouped(operand) for operand in node.operands)
    if isinstance(node, Not):
        return f"not {_grouped(node.operand)}"
    if isinstance(node, Answered):
        return f"answered({node.name})"
    if isinstance(node, Compare):
        return f"{render(node.left)} {node.op} {render(node.right)}"
    if isinstance(node, In):
        return f"{render(node.left)} in [{', '.join(render(item) for item in node.items)}]"
    if isinstance(node, Ref):
        return node.name
    if isinstance(node.value, str):
        return '"' + node.value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return _num(node.value)


def _grouped(node: Node) -> str:
    return f"({render(node)})" if isinstance(node, BoolOp) else render(node)
