"""Every tutorial notebook runs top to bottom in quick mode (PINN_INVERSE_QUICK=1)."""

import os

import nbformat
import pytest
from conftest import ROOT
from nbclient import NotebookClient


def _trains(path):
    """Whether a notebook trains a network (calls ``.train(``): then it runs on every backend."""
    notebook = nbformat.read(path, as_version=4)
    return any(".train(" in cell.source for cell in notebook.cells if cell.cell_type == "code")


NOTEBOOKS = [
    pytest.param(path, id=path.stem, marks=[pytest.mark.network] if _trains(path) else [])
    for path in sorted((ROOT / "notebooks").glob("*.ipynb"))
]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS)
def test_notebook_executes(path, tmp_path, monkeypatch):
    monkeypatch.setenv("PINN_INVERSE_QUICK", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    )
    client.execute(env=dict(os.environ))
    errors = [
        out
        for cell in notebook.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not errors
