"""The core install diagnoses without torch or aeon; a model that needs one says which extra."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_core_dependencies_leave_out_torch_and_aeon():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = " ".join(project["dependencies"])
    assert "torch" not in core and "aeon" not in core
    extras = project["optional-dependencies"]
    assert any(d.startswith("torch") for d in extras["deep"])
    assert any(d.startswith("aeon") for d in extras["rocket"])
    assert "rotordx[deep,rocket" in extras["all"][0]


def _without(package: str, code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a child where ``package`` cannot be imported (as if not installed)."""
    prelude = (
        "import sys\n"
        "class _Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name == {package!r} or name.startswith({package!r} + '.'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, _Block())\n"
    )
    return subprocess.run(
        [sys.executable, "-c", prelude + code], capture_output=True, text=True, timeout=120
    )


def test_a_torch_model_without_torch_names_the_extra():
    code = (
        "from rotordx.exceptions import ParameterError\n"
        "from rotordx.models import make_classifier\n"
        "try:\n"
        "    make_classifier('wdcnn')\n"
        "except ParameterError as e:\n"
        "    print('ERR', e)\n"
    )
    out = _without("torch", code)
    assert out.returncode == 0, out.stderr
    assert "ERR TorchClassifier needs torch" in out.stdout
    assert "pip install 'rotordx[deep]'" in out.stdout


def test_physics_diagnosis_without_torch_or_aeon():
    code = (
        "import numpy as np, sys\n"
        "from rotordx.diagnosis import diagnose\n"
        "from rotordx.io import Recording\n"
        "t = np.arange(20000) / 5000.0\n"
        "x = np.stack([np.sin(2 * np.pi * 29.5 * t) * 3 + 0.01 * np.cos(9 * t)] * 3)\n"
        "d = diagnose(Recording('r', x, 5000.0, ('x', 'y', 'z')))\n"
        "print(d.verdict, 'torch' in sys.modules, 'aeon' in sys.modules)\n"
    )
    out = _without("aeon", code.replace("import numpy", "import numpy"))
    assert out.returncode == 0, out.stderr
    verdict, torch_loaded, aeon_loaded = out.stdout.split()
    assert verdict == "unbalance"  # a pure 1x of 9.6 mm/s RMS: zone D
    assert torch_loaded == "False" and aeon_loaded == "False"


def test_minirocket_without_aeon_names_the_extra():
    code = (
        "import numpy as np\n"
        "from rotordx.data.splits import Split\n"
        "from rotordx.exceptions import ParameterError\n"
        "from rotordx.models import make_classifier\n"
        "X = np.zeros((4, 1, 64), np.float32); y = np.array([0, 1, 0, 1])\n"
        "try:\n"
        "    make_classifier('minirocket', n_kernels=84).fit(Split(X, y))\n"
        "except ParameterError as e:\n"
        "    print('ERR', e)\n"
    )
    out = _without("aeon", code)
    assert out.returncode == 0, out.stderr
    assert "pip install 'rotordx[rocket]'" in out.stdout


def test_an_unknown_missing_module_is_not_hidden():
    from rotordx.models import registry

    with pytest.raises(ModuleNotFoundError, match=r"rotordx\.no_such_module"):
        registry.load_object("rotordx.no_such_module:X")
