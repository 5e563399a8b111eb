"""The LLM engine, replayed from cassettes: it cannot lie unnoticed.

For every cassette with a wrong figure the test names exactly the figures that must be flagged;
for the good-model cassettes, that nothing is.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cassette_format import CASSETTES
from helpers import FIXTURES
from llm_scenarios import SCENARIOS, TEST_KEY
from typer.testing import CliRunner

from summarise.briefing import FLAG
from summarise.cli import app
from summarise.errors import ProviderError
from summarise.pipeline import EngineFailed, summarise_text
from summarise.records import Article, Status
from summarise.render import Format, render
from summarise.verify import figures


def flagged(article: Article) -> list[tuple[str, str, str, float, Status]]:
    """(scope, batch, part, value, status) of every figure that is not verified."""
    out = []
    for event in article.rounds():
        for key in ("signed", "started", "commissioned", "total"):
            batch = getattr(event, key)
            for part in ("projects", "investment"):
                figure = getattr(batch, part) if batch else None
                if figure and figure.status is not Status.VERIFIED:
                    out.append((event.scope.name, key, part, figure.value, figure.status))
    return out


def prose_flags(article: Article) -> list[str]:
    assert article.summary is not None
    statements = [article.summary.headline, *article.summary.key_points]
    return [n.written for s in statements for n in s.numbers if n.status is not Status.VERIFIED]


@pytest.mark.vcr("good_province_and_city.yaml")
def test_good_model_tools_mode_nothing_flagged() -> None:
    article = SCENARIOS["good_province_and_city"].run()
    assert article.engine == "llm:authored-good-model"
    assert flagged(article) == []
    assert prose_flags(article) == []
    assert article.verification.verified == 14
    assert [r.scope.name for r in article.rounds()] == ["河南省", "新乡市"]
    assert article.summary
    assert "581 projects signed" in article.summary.headline.text
    assert article.warnings == []
    text = render(article, Format.TEXT)
    assert FLAG not in text
    assert text.startswith("Henan holds phase 8 of the 'Three Batches' campaign: 581 projects signed")


@pytest.mark.vcr("good_county_in_city_json.yaml")
def test_good_model_json_mode_county_inside_city() -> None:
    article = SCENARIOS["good_county_in_city_json"].run()
    assert flagged(article) == []
    assert prose_flags(article) == []
    assert [(r.scope.name, r.scope.level) for r in article.rounds()] == [("南阳市", "city"), ("邓州市", "county")]


@pytest.mark.vcr("good_traditional_json_schema.yaml")
def test_good_model_json_schema_mode_traditional_quotes() -> None:
    article = SCENARIOS["good_traditional_json_schema"].run()
    assert flagged(article) == []
    signed = article.rounds()[0].signed
    assert signed
    assert signed.projects
    assert signed.projects.evidence
    ev = signed.projects.evidence
    text = (FIXTURES / "traditional_web.txt").read_text(encoding="utf-8")
    assert ev.start is not None
    assert text[ev.start : ev.end] == ev.quote == "簽約項目６０２個"


@pytest.mark.vcr("hallucination_fixed_by_reask.yaml")
def test_reask_corrects_a_hallucinated_count() -> None:
    article = SCENARIOS["hallucination_fixed_by_reask"].run()
    assert flagged(article) == []
    signed = article.rounds()[0].signed
    assert signed
    assert signed.projects
    assert signed.projects.value == 581
    assert article.usage is not None
    assert [a.attempt for a in article.usage.attempts] == [1, 2]  # tokens per request, re-ask included
    assert article.usage.prompt_tokens == sum(a.prompt_tokens for a in article.usage.attempts) > 0


def test_reask_sends_the_precise_message() -> None:
    cassette = (CASSETTES / "hallucination_fixed_by_reask.yaml").read_text(encoding="utf-8")
    assert "the source says 581, not 518" in cassette


@pytest.mark.vcr("hallucination_kept_flagged.yaml")
def test_uncorrected_errors_are_flagged_exactly() -> None:
    article = SCENARIOS["hallucination_kept_flagged"].run()
    assert flagged(article) == [
        ("河南省", "started", "investment", 5301.2, Status.UNSUPPORTED),
        ("新乡市", "commissioned", "projects", 29, Status.MISSED_BY_MODEL),
        ("新乡市", "commissioned", "investment", 152.3, Status.MISSED_BY_MODEL),
    ]
    assert prose_flags(article) == ["62.84 billion"]
    assert article.verification.unverified == 3
    assert article.verification.prose_flagged == 1
    assert any("still disagreed" in w for w in article.warnings)
    text = render(article, Format.TEXT)
    flagged_lines = [line for line in text.splitlines() if FLAG in line]
    assert any("5,301.2" in line and "unsupported" in line and "states 5031.2" in line for line in flagged_lines)
    assert any("62.84 billion [⚠" in line for line in flagged_lines)
    # every right figure of the model is unflagged in the briefing
    for figure in figures(article):
        if figure.status is Status.VERIFIED:
            assert figure.note is None


@pytest.mark.vcr("malformed_json.yaml")
def test_malformed_output_is_an_error_that_keeps_all_the_work() -> None:
    with pytest.raises(EngineFailed, match="malformed JSON") as caught:
        SCENARIOS["malformed_json"].run()
    kept = caught.value.fallback
    assert any("cut off or malformed" in w for w in kept.warnings)
    # the round the broken answer began is there, its figures supplied by the patterns and flagged
    assert [r.scope.name for r in kept.rounds()] == ["河南省", "新乡市"]
    assert {f.status for f in figures(kept) if f.unit.value != "percent"} <= {Status.MISSED_BY_MODEL, Status.VERIFIED}
    assert kept.verification.missed_by_model == 12


@pytest.mark.vcr("rate_limited_then_ok.yaml")
def test_429_then_success() -> None:
    article = SCENARIOS["rate_limited_then_ok"].run()
    assert flagged(article) == []
    assert article.verification.verified == 14


@pytest.fixture
def default_cassette_name(request: pytest.FixtureRequest) -> str:
    """A parametrised test replays the cassette of the scenario it is given."""
    callspec = getattr(request.node, "callspec", None)
    if callspec and "name" in callspec.params:
        return f"{callspec.params['name']}.yaml"
    return f"{request.node.name}.yaml"


@pytest.mark.vcr
@pytest.mark.parametrize(
    ("name", "words"),
    [
        pytest.param("server_error_give_up", "server error 500 .* after 3 attempts; giving up", id="500-until-give-up"),
        pytest.param("gateway_timeout_give_up", "timed out \\(504\\) after 3 attempts", id="timeout"),
        pytest.param("bad_api_key", "refused the API key from \\$SUMMARISE_TEST_KEY", id="bad-key"),
        pytest.param("unknown_model", "model 'gpt-nonexistent' .* not found", id="unknown-model"),
    ],
)
def test_transport_failures_give_one_clear_error(name: str, words: str, vcr: Any) -> None:
    with pytest.raises(ProviderError, match=words) as caught:
        SCENARIOS[name].run()
    assert TEST_KEY not in str(caught.value)
    assert vcr.play_count == len(SCENARIOS[name].replies)  # every recorded answer used, no more


def test_no_cassette_holds_a_key_or_an_authorization_header() -> None:
    for path in sorted(CASSETTES.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert TEST_KEY not in text, path.name
        assert "authorization" not in text.lower(), path.name
        assert "Bearer" not in text, path.name
        assert text.startswith("# origin: "), f"{path.name} does not say whether it is authored or recorded"


@pytest.mark.vcr("malformed_json.yaml")
def test_cli_llm_failure_prints_offline_result_and_one_error_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUMMARISE_TEST_KEY", TEST_KEY)
    result = CliRunner().invoke(
        app,
        [str(FIXTURES / "province_and_city.txt"), "-f", "text", "--engine", "llm", "--mode", "json",
         "--max-retries", "1", "--base-url", "http://127.0.0.1:18089/v1", "--model", "authored-good-model",
         "--api-key-env", "SUMMARISE_TEST_KEY"],
    )  # fmt: skip
    assert result.exit_code == 10
    assert result.stdout.startswith("Henan holds phase 8")  # the briefing of what was done: work kept
    assert "missed_by_model" in result.stdout
    lines = result.stderr.strip().splitlines()
    assert lines == ["summarise: error: the model's output was malformed JSON; what parsed is shown, flagged"]
    assert TEST_KEY not in result.stderr + result.stdout


def test_cli_says_in_one_line_when_it_falls_back_to_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    result = CliRunner().invoke(app, [str(FIXTURES / "province_and_city.txt"), "-f", "json"])
    assert result.exit_code == 0
    assert result.stderr == "summarise: no API key configured ($OPENAI_API_KEY); using the offline engine\n"


@pytest.mark.vcr("hallucination_kept_flagged.yaml")
def test_cli_strict_exits_11_and_verbose_shows_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUMMARISE_TEST_KEY", TEST_KEY)
    result = CliRunner().invoke(
        app,
        [str(FIXTURES / "province_and_city.txt"), "-f", "json", "--engine", "llm", "--max-retries", "1", "--strict",
         "-v", "--base-url", "http://127.0.0.1:18089/v1", "--model", "authored-good-model",
         "--api-key-env", "SUMMARISE_TEST_KEY"],
    )  # fmt: skip
    assert result.exit_code == 11
    data = json.loads(result.stdout)
    assert data["verification"]["unsupported"] == 1
    assert [a["attempt"] for a in data["usage"]["attempts"]] == [1, 2]
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("request 1: ")
    assert lines[1].startswith("request 2: ")
    assert lines[-1] == "summarise: error: 4 figure(s) not verified against the source (--strict)"


@pytest.mark.vcr("llamacpp_gemma3_270m.yaml")
def test_real_tiny_model_is_wrong_and_every_error_is_flagged() -> None:
    """Recorded from llama-cpp-python's server with gemma-3-270m (Q4_K_M): real, small, wrong."""
    with pytest.raises(EngineFailed, match="malformed JSON") as caught:
        SCENARIOS["llamacpp_gemma3_270m"].run()
    article = caught.value.fallback
    assert article.engine == "llm:gemma-3-270m"
    offline = summarise_text((FIXTURES / "traditional_web.txt").read_text(encoding="utf-8"))
    right = {f.value for f in figures(offline)}
    for figure in figures(article):  # nothing unflagged unless the source states it
        if figure.status is Status.VERIFIED:
            assert figure.value in right
    assert article.verification.missed_by_model == 6  # the model reported none of the six figures
    assert prose_flags(article) == ["1000", "351.4 billion", "100 million", "351.4 billion", "100 million"]
    assert all(p.name in "楼阳生王凯" for p in article.people)  # invented names are left out
    assert any("not in the source, left out" in w for w in article.warnings)
    text = render(article, Format.TEXT)
    assert text.splitlines()[0] == "1000 [⚠ 1000: not a number of the source]"
