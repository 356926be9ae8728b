"""What a student's cell really runs for one name: its loops and the functions it refers to.

Structure checks ("no Python loops", "does not call the naive version") must not be fooled by
how the code is arranged, so the analysis reads the whole cell:

- every ``def`` (and ``lambda`` assignment) of the name, not only the first, and rebinding
  (``name = other``, ``Class.name = other``);
- module-level helpers the function uses, transitively (a loop moved into a helper still counts,
  at the depth of the call);
- aliases from imports and assignments (``from scipy.spatial.distance import cdist as _d``,
  ``f = np.linalg.norm``, ``_impl = svm_loss_naive``), and every load of a forbidden function,
  called or not (``map(np.linalg.norm, ...)``);
- loops in disguise (``map``, ``filter``, ``np.vectorize``, ``np.apply_along_axis``, recursion).

Code that hides what it calls (``eval``, ``exec``, ``__import__``, ``getattr`` with a computed
name) cannot be read, and is reported as such. Example::

    code = CellCode(source)
    code.loop_depth("compute_distances_no_loops")                     # 0
    code.forbidden_references("svm_loss_vectorized", {"svm_loss_naive"})  # set()
"""
from __future__ import annotations

import ast

LOOP_NODES = (ast.For, ast.While, ast.AsyncFor, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
LOOP_FUNCTIONS = {"map", "filter", "vectorize", "apply_along_axis", "apply_over_axes", "frompyfunc",
                  "fromiter", "fromfunction"}
OPAQUE = {"eval", "exec", "compile", "__import__", "import_module", "globals", "locals", "vars"}
FUNCTION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def dotted(node) -> str | None:
    """``np.linalg.norm`` for an Attribute/Name chain, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


class CellCode:
    """The definitions, aliases and imports of one cell's source (a SyntaxError gives an empty cell)."""

    def __init__(self, source: str):
        try:
            self.tree = ast.parse(source)
            self.readable = True
        except SyntaxError:
            self.tree, self.readable = ast.Module(body=[], type_ignores=[]), False
        self.defs: dict[str, list] = {}      # name -> function nodes (def or lambda) bound to it
        self.aliases: dict[str, list[str]] = {}  # name -> dotted names bound to it
        self.modules: set[str] = set()       # names bound by import statements
        for node in ast.walk(self.tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.defs.setdefault(node.name, []).append(node)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    self._bind(target, node.value)
            elif isinstance(node, ast.Import):
                for a in node.names:
                    self.modules.add(a.asname or a.name.split(".")[0])
                    self.aliases.setdefault(a.asname or a.name.split(".")[0], []).append(
                        a.name if a.asname else a.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom):
                for a in node.names:
                    self.modules.add(a.asname or a.name)
                    self.aliases.setdefault(a.asname or a.name, []).append(f"{node.module or ''}.{a.name}")

    def _bind(self, target, value) -> None:
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
        if name is None:
            return
        if isinstance(value, ast.Lambda):
            self.defs.setdefault(name, []).append(value)
        elif (d := dotted(value)) is not None:
            self.aliases.setdefault(name, []).append(d)

    def resolve(self, name: str, seen=None) -> set[str]:
        """The dotted names ``name`` may stand for, through aliases (itself included)."""
        seen = set() if seen is None else seen
        if name in seen:
            return set()
        seen.add(name)
        out = {name}
        for target in self.aliases.get(name, []):
            head, _, rest = target.partition(".")
            for h in self.resolve(head, seen) if head != name else {head}:
                out.add(f"{h}.{rest}" if rest else h)
            out.add(target)
        return out

    def bodies(self, name: str) -> list:
        """The function nodes that ``name`` runs: its defs, what it is rebound to, and the
        module-level helpers they use, transitively."""
        found, todo, seen = [], [name], set()
        while todo:
            n = todo.pop()
            if n in seen:
                continue
            seen.add(n)
            for d in self.resolve(n):
                for part in (d, d.split(".")[-1]):
                    for node in self.defs.get(part, []):
                        if node not in found:
                            found.append(node)
                            todo.extend(x.id for x in ast.walk(node) if isinstance(x, ast.Name)
                                        and isinstance(x.ctx, ast.Load))
                    if part in self.aliases and part != n:
                        todo.append(part)
        return found

    def defines(self, name: str) -> bool:
        return bool(self.bodies(name)) or name in self.aliases

    def loop_depth(self, name: str) -> int:
        """Deepest nesting of Python loops in what ``name`` runs; a helper called inside k loops adds
        its own depth to k; recursion and loop functions (map, np.vectorize, ...) count as a loop."""
        memo: dict[int, int] = {}

        def depth_of_function(node, stack) -> int:
            if id(node) in memo:
                return memo[id(node)]
            if id(node) in stack:
                return 1  # recursion: a loop
            body = node.body if isinstance(node.body, list) else [node.body]
            best = max((walk(b, 0, stack | {id(node)}) for b in body), default=0)
            memo[id(node)] = best
            return best

        def walk(n, outer, stack) -> int:
            if isinstance(n, FUNCTION_NODES):
                return outer  # a nested def counts where it is called
            here = outer + isinstance(n, LOOP_NODES)
            best = here
            if isinstance(n, ast.Call) and (callee := dotted(n.func)) is not None:
                last = callee.split(".")[-1]
                bare = "." not in callee
                meant = {d.split(".")[-1] for d in self.resolve(callee)} if bare else {last}
                if meant & LOOP_FUNCTIONS:
                    best = max(best, here + 1)
                if bare:
                    for helper in self.bodies(callee):
                        best = max(best, here + depth_of_function(helper, stack))
            for child in ast.iter_child_nodes(n):
                best = max(best, walk(child, here, stack))
            return best

        return max((depth_of_function(b, frozenset()) for b in self.bodies(name)), default=0)

    def references(self, name: str) -> set[str]:
        """Dotted names (aliases resolved) that the code of ``name`` loads, and what ``name`` is bound to."""
        refs = set()
        for alias in self.resolve(name) - {name}:
            refs.add(alias)
        for body in self.bodies(name):
            local = {a.arg for a in ast.walk(body) if isinstance(a, ast.arg)}
            local |= {x.id for x in ast.walk(body) if isinstance(x, ast.Name) and isinstance(x.ctx, ast.Store)}
            for x in ast.walk(body):
                if isinstance(x, ast.Attribute) and isinstance(x.ctx, ast.Load) and (d := dotted(x)):
                    head, _, rest = d.partition(".")
                    if head not in local or head in self.modules:
                        refs |= {f"{h}.{rest}" for h in self.resolve(head)}
                elif isinstance(x, ast.Name) and isinstance(x.ctx, ast.Load):
                    if x.id not in local or x.id in self.modules:
                        refs |= self.resolve(x.id)
        return refs

    def forbidden_references(self, name: str, forbidden: set[str]) -> set[str]:
        """The members of ``forbidden`` (plain names, e.g. "norm") that ``name`` refers to."""
        hits = set()
        for ref in self.references(name):
            hits |= set(ref.split(".")) & forbidden
        return hits

    def opaque_calls(self, name: str) -> set[str]:
        """Calls that hide what they run (eval, exec, __import__, getattr with a computed name)."""
        hits = set()
        for body in self.bodies(name):
            for x in ast.walk(body):
                if not isinstance(x, ast.Call) or (callee := dotted(x.func)) is None:
                    continue
                last = callee.split(".")[-1]
                if last in OPAQUE:
                    hits.add(last)
                elif last == "getattr" and len(x.args) > 1 and not isinstance(x.args[1], ast.Constant):
                    hits.add("getattr with a computed name")
        return hits
