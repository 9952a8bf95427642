"""The layout of the package (docs/architecture.md), checked: rooms, arrows, imports, sizes.

* every module belongs to a room, and imports only from its own room or rooms below it;
* no import cycle between modules;
* no function-level import of a rotordx module; a function-level import of a heavy
  third-party package is marked ``# lazy`` on its line or the line above;
* no module over 450 lines;
* ``io``, ``signal``, ``features``, ``data`` (and the model registry) never import torch;
  ``rotordx --help`` imports no workflow.

And the tests' own layout (``tests/<room>/`` mirrors ``rotordx.<room>``): every test
function checks something (an ``assert``, ``pytest.raises``/``warns``, an
``np.testing`` or other ``assert_*`` call, itself or through a helper of its module).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "rotordx"
TESTS = Path(__file__).resolve().parent

#: Rooms from the bottom up: a module may import its own room and the rooms listed before it.
ROOMS: tuple[tuple[str, ...], ...] = (
    ("rotordx", "rotordx.exceptions", "rotordx.classes", "rotordx._atomic", "rotordx._progress"),
    ("rotordx.signal",),
    ("rotordx.io",),
    ("rotordx.features",),
    ("rotordx.simulate",),
    ("rotordx.data",),
    ("rotordx.models",),
    ("rotordx.diagnosis",),
    ("rotordx.render",),
    ("rotordx.workflows",),
    ("rotordx.batch",),
    ("rotordx.service",),
    ("rotordx.cli",),
)
#: Third-party packages a function may import on first use (they take long to import).
LAZY_ALLOWED = {
    "aeon",
    "alembic",
    "dask",
    "distributed",
    "google",
    "matplotlib",
    "nptdms",
    "onnx",
    "onnxruntime",
    "pyarrow",
    "pyuff",
    "rich",
    "safetensors",
    "scipy",
    "sklearn",
    "torch",
}
MAX_LINES = 450


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _room(module: str) -> int:
    best, rank = -1, None
    for i, prefixes in enumerate(ROOMS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best:
                best, rank = len(p), i
    assert rank is not None, f"{module} is in no room"
    return rank


def _target(node: ast.ImportFrom | ast.Import, module: str) -> list[str]:
    """The rotordx modules an import statement loads."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "rotordx"]
    if node.level:  # relative imports are not used
        return [f"<relative import in {module}>"]
    base = node.module or ""
    if base.split(".")[0] != "rotordx":
        return []
    out = []
    for a in node.names:
        sub = f"{base}.{a.name}"
        out.append(sub if sub in MODULES else base)
    return out


def _imports(path: Path, module: str):
    """(module-level rotordx imports, function-level imports as (node, line text, previous))."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = path.read_text(encoding="utf-8").splitlines()
    top, nested = [], []
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            top += _target(node, module)
        elif isinstance(node, ast.If):  # e.g. `if TYPE_CHECKING:` is not used either
            for sub in ast.walk(node):
                if isinstance(sub, ast.Import | ast.ImportFrom):
                    top += _target(sub, module)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for sub in ast.walk(node):
                if isinstance(sub, ast.Import | ast.ImportFrom):
                    text = lines[sub.lineno - 1]
                    prev = lines[sub.lineno - 2] if sub.lineno > 1 else ""
                    nested.append((sub, text, prev))
    return top, nested


GRAPH = {m: _imports(p, m) for m, p in MODULES.items()}


def test_every_module_is_in_a_room_and_imports_only_downwards():
    wrong = []
    for module, (top, _) in GRAPH.items():
        for target in top:
            if _room(target) > _room(module):
                wrong.append(f"{module} -> {target}")
    assert not wrong, "imports pointing up a layer:\n" + "\n".join(wrong)


def test_no_import_cycles():
    graph = {m: {t for t in top if t in MODULES and t != m} for m, (top, _) in GRAPH.items()}
    # a package's __init__ re-exporting its modules is not a dependency of those modules
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(graph[m]):
            if state.get(t) == 1:
                cycles.append([*stack[stack.index(t) :], t])
            elif t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_function_level_imports_are_marked_heavy_dependencies():
    wrong = []
    for module, (_, nested) in GRAPH.items():
        for node, text, prev in nested:
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            for name in names:
                root = (name or "").split(".")[0]
                where = f"{module}:{node.lineno}: {text.strip()}"
                if root == "rotordx":
                    wrong.append(f"{where} (a rotordx module: import it at the top)")
                elif root not in LAZY_ALLOWED:
                    wrong.append(f"{where} (not a heavy dependency: import it at the top)")
                elif "# lazy" not in text and "# lazy" not in prev:
                    wrong.append(f"{where} (say why it is lazy: '# lazy: …')")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_size(module):
    n = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{module} has {n} lines; split it by reason to change"


def _fresh_import(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout


def test_lower_rooms_never_import_torch():
    lower = [
        m
        for m in MODULES
        if m.startswith(("rotordx.io", "rotordx.signal", "rotordx.features", "rotordx.data"))
    ]
    lower += ["rotordx.models", "rotordx.models.registry", "rotordx.models.loading"]
    code = (
        "import importlib, sys\n"
        f"for m in {lower!r}: importlib.import_module(m)\n"
        "print(sorted(k for k in sys.modules if k == 'torch' or k.startswith('torch.')))\n"
    )
    assert _fresh_import(code).strip() == "[]"


def test_cli_help_imports_no_workflow():
    code = (
        "import sys\nfrom typer.testing import CliRunner\nfrom rotordx.cli import app\n"
        "r = CliRunner().invoke(app, ['--help'])\nassert r.exit_code == 0, r.output\n"
        "print(sorted({k.split('.')[1] for k in sys.modules if k.startswith('rotordx.')}))\n"
    )
    rooms = set(eval(_fresh_import(code)))  # a printed list of names
    assert rooms <= {"classes", "cli", "exceptions"}, rooms


def test_class_names_are_written_once():
    # the KAMP testbed's class names and their meanings live in rotordx.classes only
    offenders = []
    for module, path in MODULES.items():
        if module == "rotordx.classes":
            continue
        text = path.read_text(encoding="utf-8")
        for literal in ('"type1"', '"type2"', '"type3"', '"mechanical looseness"'):
            if literal in text:
                offenders.append(f"{module}: {literal}")
    assert not offenders, offenders


def test_the_bearing_catalogue_is_the_only_bearing_default():
    # no module but the catalogue (and the CWRU reader, which says what its rig carries)
    # names a bearing
    offenders = [
        m
        for m, p in MODULES.items()
        if "SKF_6205" in p.read_text(encoding="utf-8")
        and m not in ("rotordx.features.bearing", "rotordx.io.cwru", "rotordx.features")
    ]
    assert not offenders, offenders


# -- the tests themselves -----------------------------------------------------------------------


def test_test_folders_mirror_the_rooms():
    rooms = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    folders = {p.name for p in TESTS.iterdir() if p.is_dir() and any(p.glob("test_*.py"))}
    assert folders <= rooms, f"test folders that are no room of rotordx: {folders - rooms}"
    # every room with modules of its own has tests of its own
    assert rooms <= folders, f"rooms without a test folder: {rooms - folders}"


def _call_path(call: ast.Call) -> list[str]:
    """``np.testing.assert_allclose(...)`` -> ["np", "testing", "assert_allclose"]."""
    f, parts = call.func, []
    while isinstance(f, ast.Attribute):
        parts.append(f.attr)
        f = f.value
    if isinstance(f, ast.Name):
        parts.append(f.id)
    return parts[::-1]


def _is_check(node: ast.AST) -> bool:
    if isinstance(node, ast.Assert):
        return True
    if not isinstance(node, ast.Call):
        return False
    parts = _call_path(node)
    if not parts:
        return False
    if parts[0] == "pytest" and parts[-1] in ("raises", "warns", "fail", "deprecated_call"):
        return True
    return "testing" in parts[:-1] or parts[-1].startswith("assert")  # np.testing.*, assert_*


def _calls(fn: ast.AST) -> set[str]:
    return {
        n.func.id for n in ast.walk(fn) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }


def unchecked_tests_of(path: Path) -> list[str]:
    """Test functions of ``path`` that check nothing, themselves or through a module helper."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    helpers: dict[str, ast.AST] = {}
    tests: list[tuple[str, ast.AST]] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            helpers[node.name] = node
            if node.name.startswith("test"):
                tests.append((node.name, node))
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            tests += [
                (f"{node.name}.{sub.name}", sub)
                for sub in node.body
                if isinstance(sub, ast.FunctionDef) and sub.name.startswith("test")
            ]
    checking = {name for name, fn in helpers.items() if any(map(_is_check, ast.walk(fn)))}
    grew = True
    while grew:  # helpers that call checking helpers check too
        new = {n for n, fn in helpers.items() if n not in checking and _calls(fn) & checking}
        checking |= new
        grew = bool(new)
    return [
        name
        for name, fn in tests
        if not any(map(_is_check, ast.walk(fn))) and not _calls(fn) & checking
    ]


def test_every_test_checks_something():
    unchecked = [
        f"{path.relative_to(TESTS)}::{name}"
        for path in sorted(TESTS.rglob("test_*.py"))
        for name in unchecked_tests_of(path)
    ]
    assert not unchecked, "tests that check nothing:\n" + "\n".join(unchecked)


def test_the_check_finder_finds_unchecked_tests(tmp_path):
    sample = tmp_path / "test_sample.py"
    sample.write_text(
        "import numpy as np, pytest\n"
        "def _helper(x):\n    assert x\n"
        "def _outer(x):\n    _helper(x)\n"
        "def test_plain():\n    assert 1\n"
        "def test_raises():\n    with pytest.raises(ValueError):\n        int('x')\n"
        "def test_np():\n    np.testing.assert_array_equal([1], [1])\n"
        "def test_through_helpers():\n    _outer(1)\n"
        "def test_nothing():\n    int('1')\n"
        "class TestGroup:\n    def test_empty(self):\n        pass\n"
    )
    assert unchecked_tests_of(sample) == ["test_nothing", "TestGroup.test_empty"]
