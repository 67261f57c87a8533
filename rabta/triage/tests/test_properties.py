"""Property: whatever the text, every output line is valid JSON with the contract in its vocabularies."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rabta.triage.cli import main
from rabta.triage.tests.test_cli import check_line

# Any code point, lone surrogates and control characters included, weighted towards the scripts
# people write to the police in.
ANY = st.characters(exclude_categories=())
SCRIPTS = st.sampled_from(list("abcxyzABC پشاورمیںکےہےزماډزېښځټ۰۱۲۳0123456789 -+@.?!،۔\n\t\u200c\u200d\ufeff😀🔥👍🏽"))
TEXT = st.one_of(
    st.text(alphabet=st.one_of(ANY, SCRIPTS), max_size=300),
    st.text(alphabet=SCRIPTS, max_size=2000),
    st.builds(lambda s, n: s * n, st.text(alphabet=SCRIPTS, min_size=1, max_size=20), st.integers(1, 500)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(TEXT, min_size=1, max_size=4))
def test_every_output_line_is_valid(tmp_path_factory: object, texts: list[str]) -> None:
    directory: Path = tmp_path_factory.mktemp("prop")  # type: ignore[attr-defined]
    source = directory / "in.jsonl"
    target = directory / "out.jsonl"
    # ensure_ascii escapes lone surrogates as \\udxxx, exactly what a producer could send
    source.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts)), encoding="ascii")
    assert main(["--input", str(source), "--output", str(target)]) == 0
    lines = target.read_bytes().decode("utf-8").split("\n")[:-1]
    assert len(lines) == len(texts)
    for index, raw in enumerate(lines):
        line = json.loads(raw)
        assert line["id"] == index
        check_line(line)
        for span in line["pii"]:
            assert span["end"] <= len(texts[index])


@settings(max_examples=40, deadline=None)
@given(raw=st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(tmp_path_factory: object, raw: bytes) -> None:
    directory: Path = tmp_path_factory.mktemp("bytes")  # type: ignore[attr-defined]
    source = directory / "in.jsonl"
    target = directory / "out.jsonl"
    source.write_bytes(raw)
    assert main(["--input", str(source), "--output", str(target)]) == 0
    out = target.read_bytes().decode("utf-8").split("\n")[:-1]
    # JSON Lines are separated by "\n" only; a final line needs no newline.
    expected = raw.count(b"\n") + (0 if raw.endswith(b"\n") or not raw else 1)
    assert len(out) == expected
    for line in out:
        value = json.loads(line)
        assert ("error" in value) or ("category" in value)
