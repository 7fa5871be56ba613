"""docs/ODD.md matches the code: the parameter table is exactly the schema's fields."""

import importlib.util
import re
from pathlib import Path

from sim.scenario import field_paths

ROOT = Path(__file__).resolve().parent.parent
ODD = ROOT / "docs" / "ODD.md"


def _generator():
    spec = importlib.util.spec_from_file_location(
        "odd_parameters", ROOT / "docs" / "odd_parameters.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def odd_table_paths() -> list[str]:
    text = ODD.read_text(encoding="utf-8")
    return re.findall(r"^\| `([^`]+)` \|", text, flags=re.MULTILINE)


def test_every_schema_field_is_in_odd_and_every_odd_parameter_is_in_the_schema():
    in_odd = odd_table_paths()
    schema = field_paths()
    assert sorted(set(schema) - set(in_odd)) == [], "fields missing from docs/ODD.md"
    assert sorted(set(in_odd) - set(schema)) == [], "ODD.md lists fields the schema lacks"
    assert len(in_odd) == len(set(in_odd))


def test_odd_parameter_table_is_current():
    # Defaults, ranges, units and meanings as the schema has them now.
    gen = _generator()
    text = ODD.read_text(encoding="utf-8")
    assert gen.table() in text, "run: python docs/odd_parameters.py --write"


def test_every_parameter_has_a_unit_and_a_source_claim():
    gen = _generator()
    for path, _default, _range, unit, meaning, source in gen.rows():
        assert meaning, path
        assert unit, path
        assert source and source != "-", f"{path}: no source claim"
