"""The cache's codec: every fact bplint gathers survives it, and nothing else comes out of it."""

import json
from pathlib import Path
from dataclasses import dataclass

import pytest

from bplint.discover.files import FileKind, SourceFile
from bplint.project.index import Location, ModuleFacts, parse_module_facts
from bplint.report.findings import Applicability, Edit, Finding, Fix, ScanResult, Severity
from bplint.scan import cache_codec
from bplint.scan.cache_codec import DecodeError, EncodeError, decode, encode
from bplint.scan.engine import FileResult
from bplint.scan.registry import all_rules

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def round_trip(value, annotation):
    return decode(json.loads(json.dumps(encode(value, annotation))), annotation)


def test_the_facts_of_every_example_and_fixture_module_survive_the_codec():
    """Fails when a fact family stores a type the codec does not know (add it to ALLOWED)."""
    sources = {f"{rule.code}/{n}/{path}": text for rule in all_rules() for n, example in enumerate(rule.examples)
               for path, text in example.project_files().items() if path.endswith(".py")}
    sources.update({str(p.relative_to(FIXTURES)): p.read_text(encoding="utf-8") for p in FIXTURES.rglob("*.py")})
    families = set()
    for relpath, text in sources.items():
        _, facts = parse_module_facts(SourceFile(Path(relpath), relpath, FileKind.PYTHON, relpath), text)
        again = round_trip(facts, ModuleFacts)
        assert again == facts, relpath
        families |= set(facts.extra)
        for family, value in facts.extra.items():
            assert type(again.extra[family]) is type(value)
    assert {"routes", "orm", "auth", "bp1_config", "db_cli", "bp1_secrets"} <= families


def test_findings_and_results_survive_the_codec():
    finding = Finding("BP101", "hardcoded-secret", Severity.ERROR, "secrets", "m", "a.py", 1, 2, 1, 9, fix=None,
                      secret=True)
    fixed = Finding("BP406", "naive-utcnow", Severity.INFO, "database", "m", "a.py", 1, 2, 1, 9,
                    fix=Fix(Applicability.UNSAFE, "use now", (Edit(1, 2, 1, 9, "x"), Edit(3, 1, 3, 1, ", y"))))
    result = ScanResult([finding, fixed], [], 3)
    assert round_trip(result, ScanResult) == result
    assert round_trip(fixed, Finding).fix.applicability is Applicability.UNSAFE
    assert round_trip(FileResult([finding]), FileResult) == FileResult([finding])


def test_values_of_another_type_are_rejected():
    good = encode(Location(1, 2, 3, 4), Location)
    assert decode(good, Location) == Location(1, 2, 3, 4)
    for bad in (["1", 2, 3, 4], [1, 2, 3], [1, 2, 3, 4, 5], {"line": 1}, [True, 2, 3, 4], None, "x", [1.5, 2, 3, 4]):
        with pytest.raises(DecodeError):
            decode(bad, Location)
    finding = encode(Finding("BP1", "n", Severity.INFO, "c", "m", "p", 1, 1, 1, 1), Finding)
    finding[2] = "fatal"
    with pytest.raises(DecodeError):
        decode(finding, Finding)


def test_only_the_allowed_classes_are_ever_built():
    """A family is read on first use: one that does not decode is absent then, and only the
    classes ALLOWED names are ever built."""
    facts = encode(ModuleFacts("a.py", "a"), ModuleFacts)
    for planted in (["c", "os.system", ["echo"]], ["c", "subprocess.Popen", [["id"]]],
                    ["c", "builtins.eval", ["1"]], ["e", "bplint.project.index.Location", [1, 2, 3, 4]],
                    ["c", "bplint.report.findings.Severity", "error"], ["x", 1], [], ["s", []]):
        facts[6] = {"family": json.dumps(planted), "other": json.dumps(["t", 1])}
        read = decode(facts, ModuleFacts)
        assert read.extra.get("family") is None and "family" not in read.extra
        assert read.extra["other"] == (1,)
        with pytest.raises(KeyError):
            decode(facts, ModuleFacts).extra["family"]
    for not_texts in ({"family": ["t", 1]}, {"family": 3}, ["family"]):
        facts[6] = not_texts
        with pytest.raises(DecodeError):
            decode(facts, ModuleFacts)
    facts[6] = {"family": "not json", "kept": "1"}
    assert decode(facts, ModuleFacts).extra == {"kept": 1}
    facts[6] = {"family": json.dumps(["c", "bplint.project.index.Location", [1, 2, 3, 4]])}
    assert decode(facts, ModuleFacts).extra == {"family": Location(1, 2, 3, 4)}


def test_families_read_back_lazily_act_as_a_dict():
    facts = ModuleFacts("a.py", "a", extra={"a": (1, "x"), "b": {"k": [1]}, "c": Location(1, 2, 3, 4)})
    encoded = encode(facts, ModuleFacts)
    assert all(type(text) is str for text in encoded[6].values())
    for use in (lambda e: e.get("a"), lambda e: e["b"], lambda e: dict(e.items()), lambda e: list(e.values()),
                lambda e: e.copy(), lambda e: e == facts.extra, lambda e: "a" in e, lambda e: e.pop("c"), lambda e: e.setdefault("a")):
        again = decode(json.loads(json.dumps(encoded)), ModuleFacts)
        assert set(again.extra) == {"a", "b", "c"} and len(again.extra) == 3
        use(again.extra)
    again = decode(encoded, ModuleFacts)
    assert again == facts and again.extra.copy() == facts.extra
    import pickle
    assert pickle.loads(pickle.dumps(decode(encoded, ModuleFacts))).extra == facts.extra
    # written again unread, a family is the text it was read as
    assert encode(decode(encoded, ModuleFacts), ModuleFacts) == encoded


def test_a_fact_of_an_unknown_type_is_not_cached():
    @dataclass
    class PackFacts:
        names: list

    facts = ModuleFacts("a.py", "a", extra={"pack": PackFacts(["x"])})
    with pytest.raises(EncodeError):
        encode(facts, ModuleFacts)
    assert f"{__name__}.PackFacts" not in cache_codec._allowed()


def test_containers_keep_their_types():
    value = {"t": (1, "a", None), "l": [1, [2]], "s": {"x"}, "f": frozenset({1}), "d": {1: "x"}, "n": {"k": (1,)}}
    facts = ModuleFacts("a.py", "a", extra={"pack": value})
    again = round_trip(facts, ModuleFacts).extra["pack"]
    assert again == value
    assert [type(again[k]) for k in "tlsfdn"] == [tuple, list, set, frozenset, dict, dict]
    assert type(again["n"]["k"]) is tuple
