"""Light name resolution over Python's ``ast``: scopes, bindings, qualified names.

Why not libcst's QualifiedNameProvider: with its ScopeProvider it resolves ~2,000
lines/s, ~30x slower than ``ast.parse`` plus this module (benchmarks/ast_vs_libcst.py,
docs/architecture.md). This module gives the rules what they need from it —
``import time as t; t.sleep``
is ``time.sleep``, ``s = requests.Session(); s.get`` is
``requests.Session.get``, a parameter named ``time`` shadows the module — from
one pass over the tree that records each scope's bindings, and lazy,
memoised resolution on demand.
"""

from __future__ import annotations

import ast
import builtins
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gil_lint.engine.constants import prune_constant_branches

if TYPE_CHECKING:
    from gil_lint.engine.knowledge import Knowledge

BUILTIN_NAMES = frozenset(dir(builtins))
# (an annotation in a file that never imports `Optional` still means it: `# type: ignore`
# modules and stubs spell it bare)
_OPTIONAL = frozenset(
    {
        "typing.Optional",
        "typing.Annotated",
        "typing_extensions.Optional",
        "typing_extensions.Annotated",
        "Optional",
        # `x: Final[T]`, `ClassVar[T]`: a T
        "typing.Final",
        "typing_extensions.Final",
        "typing.ClassVar",
    }
)
# `x: Final = value`: says how the name may change, not what it holds (the value does)
_QUALIFIERS = frozenset({"typing.Final", "typing_extensions.Final", "typing.ClassVar"})
_UNION = frozenset({"typing.Union", "typing_extensions.Union", "Union"})


# values whose type the code shows: a declared type (often an alias, `rows: Rows = []`)
# adds nothing to them, and the resolver leaves them untyped as before
_LITERALS = (
    ast.List,
    ast.Tuple,
    ast.Set,
    ast.Dict,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.JoinedStr,
)


def _literal(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return node.value is not Ellipsis
    return isinstance(node, _LITERALS)


def written_last(binding: Binding, use: ast.expr) -> ast.expr | None:
    """Of ``binding``'s values, the one assigned last before ``use`` in the source: the one
    that runs there (straight-line code; loops and branches make this an approximation, as
    in most linters). None when none is written before it."""
    pos = (use.lineno, use.col_offset)
    before = [v for v in binding.values if (v.lineno, v.col_offset) < pos]
    return max(before, key=lambda v: (v.lineno, v.col_offset)) if before else None


# a method's return annotation that names its own class
_SELF_TYPES = frozenset({"typing.Self", "typing_extensions.Self"})


def _besides_own(value: ast.expr, scope: Scope, attr: str) -> list[ast.expr]:
    """What ``value``, assigned to ``self.<attr>`` in the method ``scope``, adds to the
    attribute's other values: nothing for ``self.<attr>`` or ``self.<attr>(...)``, the
    other operands of ``self.<attr> or X()``; else ``value`` itself."""
    fn = scope.node
    params = (
        [*fn.args.posonlyargs, *fn.args.args]
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
        else []
    )
    if not params:
        return [value]
    own = params[0].arg

    def is_own(node: ast.expr) -> bool:
        if isinstance(node, ast.Call):
            node = node.func
        return (
            isinstance(node, ast.Attribute)
            and node.attr == attr
            and isinstance(node.value, ast.Name)
            and node.value.id == own
        )

    if is_own(value):
        return []
    if (
        isinstance(value, ast.BoolOp)
        and isinstance(value.op, ast.Or)
        and any(is_own(v) for v in value.values)
    ):
        return [v for v in value.values if not is_own(v)]
    return [value]


def parameter_names(args: ast.arguments) -> frozenset[str]:
    """Every parameter's name: positional, ``*args``, keyword-only, ``**kwargs``."""
    every = (*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg)
    return frozenset(a.arg for a in every if a is not None)


def parameter_defaults(args: ast.arguments) -> dict[str, ast.expr]:
    """The default of each parameter that has one: the positional ones right-aligned
    against ``defaults``, then the keyword-only ones."""
    positional = [*args.posonlyargs, *args.args]
    with_defaults = positional[len(positional) - len(args.defaults) :] if args.defaults else []
    found = {a.arg: d for a, d in zip(with_defaults, args.defaults, strict=True)}
    found.update(
        {a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None}
    )
    return found


def is_none(node: ast.expr) -> bool:
    """The literal ``None`` (a placeholder an attribute or global starts as)."""
    return isinstance(node, ast.Constant) and node.value is None


FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
# A name assigned more often than this in one scope is not given a type: it is
# not worth guessing, and resolving every assignment could grow exponentially.
_MAX_ASSIGNMENTS = 8


@dataclass
class Binding:
    """What a name is bound to in one scope.

    kind: ``import`` (qualname is the imported name), ``def`` / ``class`` (a
    definition in this module; ``node`` holds it), ``value`` (assigned from the
    expressions in ``values``), ``typed`` (a parameter or variable annotated
    with the type in ``annotation``), ``self`` (first parameter of a method:
    an instance of the enclosing class) or ``unknown``.
    """

    kind: str
    qualname: str | None = None
    node: ast.AST | None = None
    values: list[ast.expr] = field(default_factory=list)
    annotation: ast.expr | None = None
    # ``x: T = value``: the declared type of that value (by ``id`` of the value)
    declared: dict[int, ast.expr] = field(default_factory=dict)


@dataclass(eq=False)
class Scope:
    kind: str  # module | function | lambda | class | comprehension
    node: ast.AST
    parent: Scope | None
    qualname: str
    is_async: bool = False
    bindings: dict[str, Binding] = field(default_factory=dict)
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)
    star_imports: list[str] = field(default_factory=list)
    # class scopes: attributes assigned as ``self.x = value`` in its methods
    self_attributes: dict[str, list[tuple[ast.expr, Scope]]] = field(default_factory=dict)
    # class scopes: attributes declared as ``self.x: T = ...`` in its methods (the type
    # holds whatever else is assigned later: ``self.x = kwargs.pop("x")``)
    self_annotations: dict[str, tuple[ast.expr, Scope]] = field(default_factory=dict)

    def bind(self, name: str, binding: Binding) -> None:
        old = self.bindings.get(name)
        if old is None:
            self.bindings[name] = binding
        elif old.kind == "value" and binding.kind == "value":
            old.values.extend(binding.values)
            old.declared.update(binding.declared)
        elif old.kind == "typed" and binding.kind == "value" and old.annotation is not None:
            # `def f(fh: TextIOWrapper): fh: int = 7`: the parameter's type is one more
            # value, written where the annotation stands (the last one before a use wins)
            ann = old.annotation
            declared = {id(ann): ann, **binding.declared}
            self.bindings[name] = Binding("value", values=[ann, *binding.values], declared=declared)
        elif old.kind != binding.kind or old.qualname != binding.qualname:
            # Bound to different things in one scope: do not guess which one runs.
            if old.kind in ("def", "class") and binding.kind == "import":
                return  # `try: import x / except: def x` keeps the local fallback
            self.bindings[name] = Binding("unknown")

    def function(self) -> Scope | None:
        """The innermost function or lambda this scope runs in (itself, if it is one):
        class bodies and comprehensions run in their enclosing function."""
        s: Scope | None = self
        while s is not None:
            if s.kind in ("function", "lambda"):
                return s
            s = s.parent
        return None

    def enclosing_class(self) -> Scope | None:
        """For a method's scope, the class scope that holds it."""
        p = self.parent
        return p if p is not None and p.kind == "class" else None


def release_scopes(scopes: dict[ast.AST, Scope]) -> None:
    """Break the one reference cycle a module's scopes make — a class's ``self_attributes``
    hold its methods' scopes, whose ``parent`` is the class — once nothing will ask them
    again: the module's tree and scopes are then freed by reference counting as soon as
    its lint ends, instead of being left to the cycle collector, which had to walk every
    node of every linted tree again (~10% of a cold run)."""
    for scope in scopes.values():
        if scope.self_attributes:
            scope.self_attributes = {}
        if scope.self_annotations:
            scope.self_annotations = {}


# folders without an ``__init__.py`` between a module and the regular package it is in
# (``litellm/proxy/db/db_span.py`` under ``litellm/proxy/__init__.py``)
_NAMESPACE_LEVELS = 3


def package_top(path: str) -> str | None:
    """The top folder of the package the file ``path`` is in, or None: not in one.

    A folder without an ``__init__.py`` inside a regular package is a namespace
    portion of it (PEP 420): ``litellm/proxy/db/db_span.py`` imports as
    ``litellm.proxy.db.db_span`` when ``litellm/proxy/__init__.py`` exists, so the
    nearest folder with an ``__init__.py`` at most ``_NAMESPACE_LEVELS`` up is the
    package, and its top is the last of the unbroken chain of ``__init__.py`` folders
    above it."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        for _ in range(_NAMESPACE_LEVELS + 1):
            if os.path.isfile(os.path.join(folder, "__init__.py")):
                break
            parent = os.path.dirname(folder)
            if parent == folder:
                return None
            folder = parent
        else:
            return None
        while True:
            parent = os.path.dirname(folder)
            if parent == folder or not os.path.isfile(os.path.join(parent, "__init__.py")):
                return folder
            folder = parent
    except (OSError, ValueError):
        return None


def module_name_for(path: str) -> str:
    """``pkg/sub/mod.py`` → ``pkg.sub.mod``: its path from the folder above its package's
    top (``package_top``); a file in no package is named by its stem."""
    absolute = os.path.abspath(path)
    stem = os.path.splitext(os.path.basename(absolute))[0]
    top = package_top(absolute)
    if top is None:
        return "__main__" if stem == "__init__" else stem
    rel = os.path.relpath(os.path.dirname(absolute), os.path.dirname(top))
    parts = rel.replace(os.sep, "/").split("/")
    if stem != "__init__":
        parts.append(stem)
    return ".".join(p for p in parts if p) or "__main__"


# per node class, the fields that can hold nodes to visit (see child_fields)
_FIELDS: dict[type, tuple[str, ...]] = {}


# nodes whose body runs when called or defined, not with the code around them
NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def handler_catches(handler: ast.ExceptHandler, names: frozenset[str]) -> bool:
    """The handler is bare, or names one of these exception classes (``except Exception``,
    ``except (OSError, asyncio.CancelledError)``: by last name)."""
    return handler.type is None or any(
        getattr(n, "id", getattr(n, "attr", None)) in names for n in ast.walk(handler.type)
    )


def walk_own(root: ast.AST) -> Iterator[ast.AST]:
    """``root`` and the nodes under it that run with it: nested functions, lambdas and
    classes are not entered (``root`` itself may be one)."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(c for c in ast.iter_child_nodes(node) if not isinstance(c, NESTED_SCOPES))


# the ASDL types of fields that never hold a node (``Name(identifier id, ...)``)
_SCALAR_TYPES = frozenset({"identifier", "string", "constant", "int"})


def child_fields(cls: type) -> tuple[str, ...]:
    """The fields of node class ``cls`` a walk descends into: not ``ctx``, whose Load/Store
    nodes are a third of a tree and hold nothing any pass looks at, nor the fields the
    grammar types as a name, string, constant or int (``Name.id``, ``Constant.value``,
    ``Attribute.attr``), read for every such node to find nothing. Cached in _FIELDS."""
    # the class's docstring is its ASDL signature: "FunctionDef(identifier name, ...)"
    signature = (cls.__doc__ or "").partition("(")[2].rpartition(")")[0]
    scalar = set()
    for declaration in signature.split(","):
        kind, _, name = declaration.strip().rpartition(" ")
        if kind.rstrip("?*") in _SCALAR_TYPES:
            scalar.add(name)
    names: tuple[str, ...] = cls._fields  # type: ignore[attr-defined]
    fields = _FIELDS[cls] = tuple(f for f in names if f != "ctx" and f not in scalar)
    return fields


class ScopeBuilder(ast.NodeVisitor):
    """One pass that creates a :class:`Scope` for every scope node and fills its bindings."""

    def __init__(self, module_name: str, is_package: bool, lines: list[str] | None = None) -> None:
        """``lines``: the module's source lines (``text.split_lines``), when at hand. A
        statement whose lines hold no ``lambda``, ``for`` or ``:=`` has no lambda,
        comprehension or walrus in it, the only expressions that bind or open a scope:
        its expressions are then not walked (most statements; a third of the pass)."""
        self.module_name = module_name
        self.is_package = is_package
        self.lines = lines
        self.scopes: dict[ast.AST, Scope] = {}
        self.scope: Scope | None = None
        # visiting a statement whose expressions hold nothing to bind: do not enter them
        self._flat = False

    # -- dispatch: NodeVisitor's getattr per node is a hot spot on large trees ------
    _dispatch: dict[type, object] = {}

    def visit(self, node: ast.AST) -> None:
        cls = node.__class__
        method = self._dispatch.get(cls) or self._visitor_for(cls)
        method(self, node)  # type: ignore[operator]

    @classmethod
    def _visitor_for(cls, node_class: type) -> object:
        """``visit_<Node>`` or generic_visit, remembered in the class's dispatch table."""
        method = getattr(cls, "visit_" + node_class.__name__, None) or cls.generic_visit
        cls._dispatch[node_class] = method
        return method

    def generic_visit(self, node: ast.AST) -> None:
        # visit's dispatch inlined, and the children that bind nothing and hold nothing
        # (names, constants: half of a tree) not visited at all
        if self._flat:
            return  # an expression of a statement with nothing to bind in its expressions
        AST = ast.AST
        cls = node.__class__
        fields = _FIELDS.get(cls)
        if fields is None:
            fields = child_fields(cls)
        dispatch = self._dispatch
        inert = _INERT
        for name in fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, AST):
                        c = item.__class__
                        if c not in inert:
                            (dispatch.get(c) or self._visitor_for(c))(self, item)  # type: ignore[operator]
            elif isinstance(value, AST):
                c = value.__class__
                if c not in inert:
                    (dispatch.get(c) or self._visitor_for(c))(self, value)  # type: ignore[operator]

    def visit_Constant(self, node: ast.Constant) -> None:
        """Nothing to bind (and NodeVisitor's own visit_Constant is slow and deprecated)."""

    def visit_Name(self, node: ast.Name) -> None:
        """Nothing to bind: a target's names are bound by its statement (``_bind_target``).
        Names and their Load/Store contexts are half the nodes of a tree."""

    def visit_Load(self, node: ast.expr_context) -> None:
        """The ``ctx`` of every Name, Attribute, Subscript...: nothing in it."""

    visit_Store = visit_Del = visit_Load

    # -- helpers -----------------------------------------------------------
    def build(self, tree: ast.Module) -> dict[ast.AST, Scope]:
        """Recursion is the fast path (3.11 inlines Python-to-Python calls) and real code is
        shallow; a tree too deep for it (a 600-operand ``a + b + ...`` is valid Python) is
        built again with the iterative walk instead of becoming an internal error."""
        # the branches the module's own constants never take are gone before anything sees
        # them (once: the deep builder below works on the same pruned tree)
        prune_constant_branches(tree, self.lines)
        try:
            return self._build(tree)
        except RecursionError:
            return _DeepScopeBuilder(self.module_name, self.is_package, self.lines)._build(tree)

    def _build(self, tree: ast.Module) -> dict[ast.AST, Scope]:
        self.scope = Scope("module", tree, None, self.module_name)
        self.scopes[tree] = self.scope
        self._visit_body(tree.body)
        return self.scopes

    def _visit_body(self, body: list[ast.stmt]) -> None:
        lines = self.lines
        if lines is None:
            for stmt in body:
                self.visit(stmt)
            return
        for stmt in body:
            cls = stmt.__class__
            if cls in _PLAIN_STATEMENTS and _plain(stmt, lines):
                if cls in _BIND_NOTHING:
                    continue  # `f(x)`, `return x`: nothing in it binds a name
                self._flat = True
                self.visit(stmt)
                self._flat = False
            else:
                self.visit(stmt)

    # the statements whose bodies generic_visit would walk, written out (in generic_visit's
    # order) so that their bodies go through _visit_body
    def visit_If(self, node: ast.If | ast.While) -> None:
        self.visit(node.test)
        self._visit_body(node.body)
        self._visit_body(node.orelse)

    visit_While = visit_If

    def visit_Try(self, node: ast.Try) -> None:
        self._visit_body(node.body)
        for handler in node.handlers:
            self.visit(handler)
        self._visit_body(node.orelse)
        self._visit_body(node.finalbody)

    visit_TryStar = visit_Try

    def _push(self, kind: str, node: ast.AST, name: str, is_async: bool = False) -> Scope:
        parent = self.scope
        assert parent is not None
        qual = f"{parent.qualname}.{name}"
        scope = Scope(kind, node, parent, qual, is_async)
        self.scopes[node] = scope
        self.scope = scope
        return scope

    def _pop(self, scope: Scope) -> None:
        self.scope = scope.parent

    def _bind_target(self, target: ast.expr, value: ast.expr | None) -> None:
        scope = self._owner(target)
        if isinstance(target, ast.Name):
            if value is None:
                scope.bind(target.id, Binding("unknown"))
            else:
                scope.bind(target.id, Binding("value", values=[value]))
        elif isinstance(target, (ast.Tuple, ast.List)):
            # `out, seen = io.BytesIO(), set()`: each name its own value, when they pair up
            values: list[ast.expr | None] = [None] * len(target.elts)
            if (
                isinstance(value, (ast.Tuple, ast.List))
                and len(value.elts) == len(target.elts)
                and not any(isinstance(e, ast.Starred) for e in (*target.elts, *value.elts))
            ):
                values = list(value.elts)
            for elt, elt_value in zip(target.elts, values, strict=True):
                self._bind_target(elt, elt_value)
        elif isinstance(target, ast.Starred):
            self._bind_target(target.value, None)
        elif (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and value is not None
        ):
            self._record_self_attribute(target, value)
        self.visit(target)

    def _owner(self, target: ast.expr) -> Scope:
        """The scope a name target binds in: the module's, under a ``global`` statement (a
        function that rebinds a module global changes what every other function sees)."""
        scope = self.scope
        assert scope is not None
        if isinstance(target, ast.Name) and target.id in scope.globals:
            s = scope
            while s.parent is not None:
                s = s.parent
            return s
        return scope

    def _record_self_attribute(
        self, target: ast.Attribute, value: ast.expr, *, declared: bool = False
    ) -> None:
        scope = self.scope
        assert scope is not None and isinstance(target.value, ast.Name)
        binding = scope.bindings.get(target.value.id)
        cls = scope.enclosing_class()
        if binding is not None and binding.kind == "self" and cls is not None:
            if declared:  # `value` is the annotation
                cls.self_annotations.setdefault(target.attr, (value, scope))
            else:
                cls.self_attributes.setdefault(target.attr, []).append((value, scope))

    # -- statements ----------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        assert self.scope is not None
        for alias in node.names:
            if alias.asname:
                self.scope.bind(alias.asname, Binding("import", alias.name))
            else:
                root = alias.name.partition(".")[0]
                self.scope.bind(root, Binding("import", root))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        assert self.scope is not None
        module = self._absolute_module(node.module, node.level)
        for alias in node.names:
            if alias.name == "*":
                self.scope.star_imports.append(module)
                continue
            qual = f"{module}.{alias.name}" if module else alias.name
            self.scope.bind(alias.asname or alias.name, Binding("import", qual))

    def _absolute_module(self, module: str | None, level: int) -> str:
        if level == 0:
            return module or ""
        parts = self.module_name.split(".")
        if not self.is_package:
            parts = parts[:-1]
        if level > 1:
            parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
        base = ".".join(parts)
        if module:
            return f"{base}.{module}" if base else module
        return base

    def _function(self, node: FunctionNode, is_async: bool) -> None:
        parent = self.scope
        assert parent is not None
        for d in node.decorator_list:
            self.visit(d)
        self._visit_arguments_defaults(node.args)
        args = node.args
        for a in (*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg):
            if a is not None and a.annotation is not None:
                # evaluated in the enclosing scope; a lambda or comprehension there has one too
                self.visit(a.annotation)
        if node.returns is not None:
            self.visit(node.returns)
        parent.bind(node.name, Binding("def", qualname=None, node=node))
        scope = self._push("function", node, node.name, is_async)
        parent.bindings[node.name].qualname = scope.qualname
        self._bind_arguments(
            node.args,
            method_of=parent if parent.kind == "class" else None,
            decorators=node.decorator_list,
        )
        self._visit_body(node.body)
        self._pop(scope)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._function(node, False)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._function(node, True)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._visit_arguments_defaults(node.args)
        scope = self._push("lambda", node, "<lambda>")
        self._bind_arguments(node.args, None, [])
        self.visit(node.body)
        self._pop(scope)

    def _visit_arguments_defaults(self, args: ast.arguments) -> None:
        for d in (*args.defaults, *(d for d in args.kw_defaults if d is not None)):
            self.visit(d)

    def _bind_arguments(
        self, args: ast.arguments, method_of: Scope | None, decorators: list[ast.expr]
    ) -> None:
        scope = self.scope
        assert scope is not None
        positional = [*args.posonlyargs, *args.args]
        decorator_names = {
            d.id if isinstance(d, ast.Name) else getattr(d, "attr", None) for d in decorators
        }
        for i, a in enumerate([*positional, *args.kwonlyargs]):
            if i == 0 and method_of is not None and a in positional:
                if "staticmethod" in decorator_names:
                    pass
                elif "classmethod" in decorator_names:
                    # `cls`: the class itself (`cls.instance()`, `cls(...)`)
                    scope.bind(a.arg, Binding("class", method_of.qualname, method_of.node))
                    continue
                else:
                    scope.bind(a.arg, Binding("self", qualname=method_of.qualname))
                    continue
            if a.annotation is not None:
                scope.bind(a.arg, Binding("typed", annotation=a.annotation))
            else:
                scope.bind(a.arg, Binding("unknown"))
        for extra in (args.vararg, args.kwarg):
            if extra is not None:
                scope.bind(extra.arg, Binding("unknown"))

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        parent = self.scope
        assert parent is not None
        for d in node.decorator_list:
            self.visit(d)
        for b in (*node.bases, *node.keywords):
            self.visit(b)
        parent.bind(node.name, Binding("class", node=node))
        scope = self._push("class", node, node.name, parent.is_async)
        parent.bindings[node.name].qualname = scope.qualname
        self._visit_body(node.body)
        self._pop(scope)

    def visit_Global(self, node: ast.Global) -> None:
        assert self.scope is not None
        self.scope.globals.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        assert self.scope is not None
        self.scope.nonlocals.update(node.names)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for t in node.targets:
            self._bind_target(t, node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        self.visit(node.annotation)
        scope = self._owner(node.target)
        if isinstance(node.target, ast.Name):
            if node.value is not None:
                # `c: urllib3.PoolManager = make()`: the declared type, where it resolves
                declared = {id(node.value): node.annotation}
                scope.bind(node.target.id, Binding("value", values=[node.value], declared=declared))
            else:
                scope.bind(node.target.id, Binding("typed", annotation=node.annotation))
        else:
            self._bind_target(node.target, node.value)
            if isinstance(node.target, ast.Attribute) and isinstance(node.target.value, ast.Name):
                self._record_self_attribute(node.target, node.annotation, declared=True)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        self.visit(node.target)
        if isinstance(node.target, ast.Name):
            assert self.scope is not None
            # `x += 1` makes x local; its value keeps the earlier binding's type
            self.scope.bindings.setdefault(node.target.id, Binding("unknown"))

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        scope = self.scope
        assert scope is not None
        while scope.kind == "comprehension" and scope.parent is not None:
            scope = scope.parent
        scope.bind(node.target.id, Binding("value", values=[node.value]))

    def _for(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self._bind_target(node.target, None)
        self._visit_body(node.body)
        self._visit_body(node.orelse)

    visit_For = _for
    visit_AsyncFor = _for

    def _with(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                # pools, sessions, files and locks return themselves from __enter__
                self._bind_target(item.optional_vars, item.context_expr)
        self._visit_body(node.body)

    visit_With = _with
    visit_AsyncWith = _with

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            assert self.scope is not None
            self.scope.bind(node.name, Binding("unknown"))
        self._visit_body(node.body)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.pattern is not None:
            self.visit(node.pattern)
        if node.name:
            assert self.scope is not None
            self.scope.bind(node.name, Binding("unknown"))

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            assert self.scope is not None
            self.scope.bind(node.name, Binding("unknown"))

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        self.generic_visit(node)
        if node.rest:
            assert self.scope is not None
            self.scope.bind(node.rest, Binding("unknown"))

    def visit_Delete(self, node: ast.Delete) -> None:
        for t in node.targets:
            self._bind_target(t, None)

    def _comprehension(self, node: ast.AST, elements: list[ast.expr]) -> None:
        gens: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
        # the first iterable is evaluated in the enclosing scope
        self.visit(gens[0].iter)
        scope = self._push("comprehension", node, "<comprehension>")
        scope.is_async = bool(scope.parent and scope.parent.is_async)
        for i, gen in enumerate(gens):
            if i:
                self.visit(gen.iter)
            self._bind_target(gen.target, None)
            for cond in gen.ifs:
                self.visit(cond)
        for e in elements:
            self.visit(e)
        self._pop(scope)

    def visit_ListComp(self, node: ast.ListComp) -> None:
        self._comprehension(node, [node.elt])

    def visit_SetComp(self, node: ast.SetComp) -> None:
        self._comprehension(node, [node.elt])

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> None:
        self._comprehension(node, [node.elt])

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._comprehension(node, [node.key, node.value])


# statements that hold expressions and no statements; those whose expressions bind nothing
_PLAIN_STATEMENTS = frozenset(
    {ast.Expr, ast.Return, ast.Raise, ast.Assert, ast.Assign, ast.AugAssign, ast.AnnAssign}
)
_BIND_NOTHING = frozenset({ast.Expr, ast.Return, ast.Raise, ast.Assert})


def _plain(stmt: ast.stmt, lines: list[str]) -> bool:
    """No ``lambda``, ``for`` or ``:=`` on the statement's lines (in a string or a longer
    word too: then it is walked, as before)."""
    first, last = stmt.lineno - 1, stmt.end_lineno or stmt.lineno
    text = lines[first] if last - first == 1 else "\n".join(lines[first:last])
    return "for" not in text and "lambda" not in text and ":=" not in text


# the node classes with no child fields (names, constants, operators, `pass`)
LEAVES = frozenset(
    cls
    for cls in vars(ast).values()
    if isinstance(cls, type) and issubclass(cls, ast.AST) and not child_fields(cls)
)
# the leaves whose visit does nothing: ScopeBuilder.generic_visit skips them
_INERT = frozenset(
    cls
    for cls in LEAVES
    if getattr(ScopeBuilder, "visit_" + cls.__name__, ScopeBuilder.generic_visit)
    in (
        ScopeBuilder.generic_visit,
        ScopeBuilder.visit_Constant,
        ScopeBuilder.visit_Name,
        ScopeBuilder.visit_Load,
    )
)


class _DeepScopeBuilder(ScopeBuilder):
    """The same pass for trees too deep to recurse over: iterative over the nodes with no
    visitor of their own (most expressions), nodes with a visitor handed to it in turn."""

    _dispatch: dict[type, object] = {}

    def generic_visit(self, node: ast.AST) -> None:
        """generic_visit's order without its recursion: over the nodes with no visitor of
        their own it keeps a stack; nodes with a visitor are handed to it in their turn."""
        if self._flat:
            return
        AST = ast.AST
        generic = _DeepScopeBuilder.generic_visit
        dispatch = self._dispatch
        stack: list[ast.AST] = []
        push = stack.append
        current = node
        while True:
            cls = current.__class__
            fields = _FIELDS.get(cls)
            if fields is None:
                fields = child_fields(cls)
            for name in reversed(fields):
                value = getattr(current, name, None)
                if value.__class__ is list:
                    for item in reversed(value):
                        if isinstance(item, AST):
                            push(item)
                elif isinstance(value, AST):
                    push(value)
            while True:
                if not stack:
                    return
                current = stack.pop()
                cls = current.__class__
                method = dispatch.get(cls) or self._visitor_for(cls)
                if method is generic:
                    break  # expand its children
                method(self, current)  # type: ignore[operator]


class Resolver:
    """Qualified names of expressions, resolved lazily against the scopes."""

    def __init__(self, scopes: dict[ast.AST, Scope], module: Scope, knowledge: Knowledge) -> None:
        self.scopes = scopes
        self.module = module
        self.knowledge = knowledge
        self._resolving: set[int] = set()
        self._memo: dict[tuple[int, int], str | None] = {}
        self._returns_cache: dict[int, str | None] = {}
        # string annotations, parsed once (by id of the string): the same parsed node each
        # time, so the cycle guard of `qualname` sees a self-referring annotation
        self._parsed: dict[int, ast.expr | None] = {}

    # -- names ----------------------------------------------------------------
    def lookup(self, name: str, scope: Scope) -> Binding | None:
        """The binding ``name`` refers to when used in ``scope`` (Python's LEGB rules)."""
        s: Scope | None = scope
        if name in scope.globals:
            return self.module.bindings.get(name)
        first = True
        while s is not None:
            if s.kind == "class" and not first:
                s = s.parent
                continue
            b = s.bindings.get(name)
            if b is not None:
                return b
            first = False
            s = s.parent
        return None

    def _star_import(self, name: str, scope: Scope) -> str | None:
        s: Scope | None = scope
        while s is not None:
            for module in s.star_imports:
                candidate = self.knowledge.canonical(f"{module}.{name}")
                if self.knowledge.is_known_name(candidate):
                    return candidate
            s = s.parent
        return None

    def name_is_bound(self, name: str, scope: Scope) -> bool:
        return self.lookup(name, scope) is not None

    # -- expressions -------------------------------------------------------------
    def qualname(self, expr: ast.expr, scope: Scope) -> str | None:
        """The qualified name ``expr`` stands for; instances are written as their class."""
        memo_key = (id(expr), id(scope))
        if memo_key in self._memo:
            return self._memo[memo_key]
        key = id(expr)
        if key in self._resolving:
            return None  # `x = x.child` style cycles
        self._resolving.add(key)
        try:
            q = self._qualname(expr, scope)
        finally:
            self._resolving.discard(key)
        result = self.knowledge.canonical(q) if q else None
        self._memo[memo_key] = result
        return result

    def _qualname(self, expr: ast.expr, scope: Scope) -> str | None:
        if isinstance(expr, ast.Name):
            return self._name(expr.id, scope, expr)
        if isinstance(expr, ast.Attribute):
            base = expr.value
            if isinstance(base, ast.Name):
                binding = self.lookup(base.id, scope)
                if binding is not None and binding.kind == "self":
                    return self._self_attribute(binding, expr.attr)
            inner = self.qualname(base, scope)
            if inner is None:
                return None
            return f"{inner}.{expr.attr}"
        if isinstance(expr, ast.Call):
            return self.call_result_type(expr, scope)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Div):
            left = self.qualname(expr.left, scope)
            return left if left == "pathlib.Path" else None
        if isinstance(expr, ast.Await):
            return None
        if isinstance(expr, ast.Subscript):
            return None
        return None

    def _name(self, name: str, scope: Scope, use: ast.expr | None = None) -> str | None:
        binding = self.lookup(name, scope)
        if binding is None:
            star = self._star_import(name, scope)
            if star is not None:
                return star
            if name in BUILTIN_NAMES:
                return f"builtins.{name}"
            # Not bound anywhere (injected at run time): take the text literally.
            return name
        if (
            use is not None
            and binding.kind == "value"
            and len(binding.values) > 1
            and scope.bindings.get(name) is binding
        ):
            # Used in the scope that assigns it: the last assignment written
            # before the use is the one that runs
            last = written_last(binding, use)
            if last is not None:
                return self._value(last, scope, binding)
        return self.binding_qualname(binding, scope)

    def binding_qualname(self, binding: Binding, scope: Scope) -> str | None:
        kind = binding.kind
        if kind in ("import", "def", "class", "self"):
            return binding.qualname
        if kind == "typed" and binding.annotation is not None:
            return self._annotation(binding.annotation, scope)
        if kind == "value" and 0 < len(binding.values) <= _MAX_ASSIGNMENTS:
            # `CLIENT = None` then `global CLIENT; CLIENT = httpx.Client()`: a method is
            # only ever called on the client, so a `None` placeholder does not count
            values = [v for v in binding.values if not is_none(v)] or binding.values
            results = {self._value(v, scope, binding) for v in values}
            if len(results) == 1:
                return results.pop()
        return None

    def _value(self, value: ast.expr, scope: Scope, binding: Binding | None = None) -> str | None:
        # Resolved from the use site: for a value bound in an enclosing scope the
        # names it mentions are almost always visible from there too.
        declared = binding.declared.get(id(value)) if binding is not None else None
        if declared is not None and (declared is value or not _literal(value)):
            typed = self._annotation(declared, scope)
            if typed is not None:
                return typed
        return self.qualname(value, scope)

    def _annotation(self, ann: ast.expr, scope: Scope) -> str | None:
        if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
            key = id(ann)
            if key not in self._parsed:
                try:
                    self._parsed[key] = ast.parse(ann.value, mode="eval").body
                except (SyntaxError, ValueError, RecursionError, MemoryError):
                    self._parsed[key] = None
            parsed = self._parsed[key]
            return None if parsed is None else self._annotation(parsed, scope)
        if isinstance(ann, (ast.Name, ast.Attribute)):
            named = self.qualname(ann, scope)
            return None if named in _QUALIFIERS else named
        if isinstance(ann, ast.Subscript):  # Optional[X] → X
            outer = self.qualname(ann.value, scope)
            inner = ann.slice
            if outer in _OPTIONAL:
                if isinstance(inner, ast.Tuple):
                    inner = inner.elts[0]
                return self._annotation(inner, scope)
            if outer in _UNION and isinstance(inner, ast.Tuple):  # Union[X, None] → X
                kept = [e for e in inner.elts if not is_none(e)]
                if len(kept) == 1 and len(inner.elts) == 2:
                    return self._annotation(kept[0], scope)
        if isinstance(ann, ast.BinOp) and isinstance(ann.op, ast.BitOr):  # X | None
            for side, other in ((ann.left, ann.right), (ann.right, ann.left)):
                if isinstance(other, ast.Constant) and other.value is None:
                    return self._annotation(side, scope)
        return None

    def member_type(self, dotted: str) -> str | None:
        """The class of the object a module-level name of this module holds (``logger`` in
        ``logger = ServiceLogging()``), or of an instance attribute of one of its classes
        (``RedisCache.service_logger_obj``): what another module reaches through it (``from
        .base import logger; logger.hook()``). None when it is not such an object, or its
        class is not known."""
        head, _, attr = dotted.partition(".")
        module = self.module
        binding = module.bindings.get(head)
        if binding is None:
            return None
        if not attr:
            if binding.kind not in ("value", "typed"):
                return None
            return self.binding_qualname(binding, module)
        if binding.kind != "class" or "." in attr:
            return None
        cls = self.class_scope(f"{module.qualname}.{head}")
        if cls is None:
            return None
        typed = self._self_attribute(Binding("self", cls.qualname), attr)
        return None if typed == f"{cls.qualname}.{attr}" else typed

    def _self_attribute(self, binding: Binding, attr: str) -> str | None:
        cls = self.class_scope(binding.qualname)
        if cls is None:
            return f"{binding.qualname}.{attr}"
        declared = cls.bindings.get(attr)
        if declared is not None and declared.kind == "typed" and declared.annotation is not None:
            # `lock: threading.RLock` in the class body declares what `self.lock` holds
            typed = self._annotation(declared.annotation, cls)
            if typed is not None:
                return typed
        annotated = cls.self_annotations.get(attr)
        if annotated is not None:
            # `self.logger: ServiceLogging = ServiceLogging()` in a method declares it too
            typed = self._annotation(*annotated)
            if typed is not None:
                return typed
        assigned = cls.self_attributes.get(attr)
        if not assigned:
            return f"{binding.qualname}.{attr}"
        # `self._done = None` until a method makes the event: only ever used as the event;
        # `self.x = self.x or X()` is an X, `self.x = self.x()` says nothing more
        values = [(v, s) for v, s in assigned if not is_none(v)] or assigned
        values = [(o, s) for v, s in values for o in _besides_own(v, s, attr)] or values
        results = {self.qualname(v, s) for v, s in values}
        if len(results) == 1:
            return results.pop()
        return None

    def class_scope(self, qualname: str | None) -> Scope | None:
        classes = getattr(self, "_class_cache", None)
        if classes is None:
            classes = {s.qualname: s for s in self.scopes.values() if s.kind == "class"}
            self._class_cache = classes
        return classes.get(qualname) if qualname else None

    def call_result_type(self, call: ast.Call, scope: Scope) -> str | None:
        """The class of the object a call returns, where it can be told."""
        callee = self.qualname(call.func, scope)
        if callee is None:
            return None
        returns = self.knowledge.returns_of(callee)
        if returns is not None:
            return returns
        function = self.function_def(callee)
        if function is not None:
            return self._function_returns(function)
        last = callee.rpartition(".")[2]
        if last[:1].isupper():
            # a class: the call makes an instance (local classes too)
            return callee
        return None

    def _function_returns(self, function: FunctionNode) -> str | None:
        """The class a function of this module returns: its return annotation, else the one
        class all its ``return`` statements agree on (``def make() -> httpx.Client``)."""
        cache = self._returns_cache
        key = id(function)
        if key in cache:
            return cache[key]
        cache[key] = None  # recursion guard
        result = None
        own = self.scopes.get(function)
        outer = own.parent if own is not None else None
        if isinstance(function, ast.AsyncFunctionDef) or own is None or outer is None:
            pass  # calling a coroutine function makes a coroutine
        elif function.returns is not None:
            result = self._annotation(function.returns, outer)
            if result in _SELF_TYPES and outer.kind == "class":
                result = outer.qualname  # `def instance(cls) -> Self`: the class
        else:
            values = [
                n.value
                for s in function.body
                for n in walk_own(s)
                if isinstance(n, ast.Return) and n.value is not None
            ]
            if 0 < len(values) <= _MAX_ASSIGNMENTS:
                found = {self.qualname(v, own) for v in values}
                if len(found) == 1:
                    result = found.pop()
            if any(
                isinstance(n, (ast.Yield, ast.YieldFrom))
                for s in function.body
                for n in walk_own(s)
            ):
                result = None  # a generator function
        cache[key] = result
        return result

    # -- definitions ----------------------------------------------------------------
    def function_def(self, qualname: str | None) -> FunctionNode | None:
        """The definition of a function or method of this module by qualified name."""
        if qualname is None:
            return None
        return self._functions().get(qualname)

    def _functions(self) -> dict[str, FunctionNode]:
        cache = getattr(self, "_function_cache", None)
        if cache is None:
            cache = {
                s.qualname: s.node
                for s in self.scopes.values()
                if s.kind == "function"
                and isinstance(s.node, (ast.FunctionDef, ast.AsyncFunctionDef))
            }
            self._function_cache = cache
        return cache
