"""DESIGN §2's dependency rule, checked on the sources' #include lines: arrows point down only.

Only the folders that may use a layer include it: wire (the JSON request/answer shapes) is for
cli and api alone, so the engine fires workflow schedules through a reader the CLI hands it
(engine/schedule_runs.h TemplateReader); nothing below cli/api depends on them; core depends on
nothing of ours.
"""
import pathlib
import re

SRC = pathlib.Path(__file__).resolve().parents[2] / "src"
INCLUDE = re.compile(r'^#include "([a-z_]+)/', re.M)

# layer -> the folders allowed to include it (besides itself)
ALLOWED_USERS = {
    "wire": {"cli", "api"},
    "api": {"cli"},
    "cli": set(),
}


def includes():
    for path in sorted(SRC.rglob("*")):
        if path.suffix not in (".h", ".cpp") or path.parent == SRC:
            continue
        folder = path.relative_to(SRC).parts[0]
        for layer in INCLUDE.findall(path.read_text(errors="replace")):
            yield path.relative_to(SRC), folder, layer


def test_sources_are_found():
    # Guards the checks below against passing on an empty tree.
    found = list(includes())
    assert len(found) > 500
    assert any(folder == "engine" for _, folder, _ in found)


def test_only_cli_and_api_depend_on_wire_api_and_cli():
    bad = [f"{p} includes {layer}/" for p, folder, layer in includes()
           if layer in ALLOWED_USERS and folder != layer
           and folder not in ALLOWED_USERS[layer]]
    assert bad == []


def test_core_depends_on_nothing_of_ours():
    bad = [f"{p} includes {layer}/" for p, folder, layer in includes()
           if folder == "core" and layer != "core"]
    assert bad == []
