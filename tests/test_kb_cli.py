"""`imagent kb add|search|list|remove` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from imagent.cli.app import app
from tests.kb_files import make_pdf

runner = CliRunner()


def write_folder(root: Path) -> Path:
    (root / "sub").mkdir(parents=True)
    for i in range(5):
        (root / f"note{i}.txt").write_text(
            f"Note {i}\n\nLocker {i} holds the brass key number {i}07.\n"
        )
    (root / "sub" / "deep.md").write_text("# Deep\n\nThe Quill Tower clock was rebuilt in 1911.\n")
    make_pdf(
        root / "sub" / "fare.pdf", ["Fares", "A day ticket on the Orsk tram costs 4.20 euros."]
    )
    return root


def test_add_search_list_remove(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "docs")
    added = runner.invoke(app, ["kb", "add", str(folder)])
    assert added.exit_code == 0, added.output
    assert "5 added" in added.output  # only the top folder without -r
    deep = runner.invoke(app, ["kb", "add", str(folder), "--recursive"])
    assert deep.exit_code == 0 and "2 added, 5 unchanged" in deep.output

    found = runner.invoke(app, ["kb", "search", "Quill Tower clock rebuilt", "-k", "1"])
    assert found.exit_code == 0 and "1911" in found.output and "Deep" in found.output
    as_json = runner.invoke(app, ["kb", "search", "Orsk tram day ticket", "--json"])
    hits = json.loads(as_json.output)
    assert hits[0]["text"].endswith("4.20 euros.") and hits[0]["provider"] == "local"

    listing = json.loads(runner.invoke(app, ["kb", "list", "--json"]).output)
    assert len(listing) == 7 and {d["kind"] for d in listing} == {"text", "markdown", "pdf"}

    removed = runner.invoke(app, ["kb", "remove", str(folder / "sub")])
    assert removed.exit_code == 0 and "removed 2 documents" in removed.output
    assert len(json.loads(runner.invoke(app, ["kb", "list", "--json"]).output)) == 5


def test_failures_are_reported_and_the_rest_is_added(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.txt").write_text("The Orsk ferry pier is 120 metres long.\n")
    (folder / "bad.pdf").write_bytes(b"%PDF-1.7 truncated")
    result = runner.invoke(app, ["kb", "add", str(folder)])
    output = " ".join(result.output.split())  # rich wraps long lines
    assert result.exit_code == 1 and "1 added, 1 failed" in output
    assert "bad.pdf: not a readable PDF" in output


def test_clear_errors(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["kb", "add", str(tmp_path / "nowhere")])
    assert missing.exit_code == 1 and "does not exist" in missing.output
    empty = runner.invoke(app, ["kb", "search", "anything"])
    assert empty.exit_code == 1 and "imagent kb add" in empty.output
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    nothing = runner.invoke(app, ["kb", "add", str(tmp_path)])
    assert nothing.exit_code == 1 and "no supported files" in nothing.output
