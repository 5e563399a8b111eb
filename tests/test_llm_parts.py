"""The LLM engine's parts without a model: settings, prose check, invariants, transport policy."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import httpx2
import openai
import pytest
from helpers import fixture_text
from llm_scenarios import SCENARIOS, TEST_KEY
from pydantic import SecretStr

from summarise import summarise_text
from summarise.crosscheck import _copied, check_context, invariant_warnings
from summarise.drafts import DraftArticle, Extraction, checking
from summarise.errors import ConfigError, InputTooLarge, ProviderError
from summarise.facts import find_facts
from summarise.llm import AsyncLLMExtractor, LLMExtractor, _Transport, _UsageLog, redact
from summarise.normalise import normalise
from summarise.pipeline import fact_hints, offline_article
from summarise.prose import check_prose, prose_facts
from summarise.records import Status
from summarise.settings import Engine, Mode, Settings, load_settings


def facts_of(name: str):  # type: ignore[no-untyped-def]
    return prose_facts(find_facts(normalise(fixture_text(name)).text))


@pytest.mark.parametrize(
    ("sentence", "flagged"),
    [
        pytest.param("581 projects worth CNY 426.35 billion were signed.", [], id="scaled-billion"),
        pytest.param("Signed: CNY 426 billion.", [], id="rounded-as-written"),
        pytest.param("Signed: CNY 462.35 billion.", ["462.35 billion"], id="wrong-amount"),
        pytest.param("On 12 April, 999 projects were signed.", ["999"], id="invented-count"),
        pytest.param("Phase 8 was held on 12 April.", [], id="phase-and-date"),
        pytest.param("Phase 8 was held in 2025.", ["2025"], id="year-not-in-the-text"),
    ],
)
def test_prose_numbers_against_the_source(sentence: str, flagged: list[str]) -> None:
    numbers = check_prose(sentence, facts_of("province_and_city.txt"))
    assert [n.written for n in numbers if n.status is not Status.VERIFIED] == flagged


def test_prose_keeps_the_sources_hedge() -> None:
    facts = facts_of("venue_and_sector.txt")
    assert [n.status for n in check_prose("The main venue signed deals of more than CNY 10 billion.", facts)] == [
        Status.VERIFIED
    ]
    [dropped] = check_prose("The main venue signed deals of CNY 10 billion.", facts)
    assert dropped.status is Status.MISMATCH
    assert dropped.note
    assert "hedges" in dropped.note


def test_invariants_total_against_batches_and_city_against_province() -> None:
    article = summarise_text(fixture_text("province_and_city.txt"))
    assert invariant_warnings(article) == []
    province, city = article.rounds()
    assert province.signed
    assert province.signed.projects
    assert city.signed
    assert city.signed.projects
    city.signed.projects.value = 600  # more than the whole province signed
    city.total = province.signed.model_copy(deep=True)
    warnings = invariant_warnings(article)
    assert any("exceeds the province's (581)" in w for w in warnings)
    assert any("batches add up to" in w for w in warnings)


def test_draft_validation_rejects_a_quote_that_does_not_state_the_value() -> None:
    text = fixture_text("province_and_city.txt")
    article, facts = offline_article(text)
    draft = {
        "headline_english": "Henan signs 581 projects",
        "rounds": [{"scope": "河南省", "phase": 8, "signed": {"projects": {"value": 580, "quote": "签约项目 581个"}}}],
    }
    with pytest.raises(ValueError, match="the source says 581, not 580"), checking(check_context(text, facts, article)):
        DraftArticle.model_validate(draft)


def test_draft_validation_rejects_a_true_quote_of_the_wrong_figure() -> None:
    """A sector's 21 signed projects, quoted correctly, are still not Xinxiang's round total."""
    text = fixture_text("province_and_city.txt")
    article, facts = offline_article(text)
    draft = {
        "headline_english": "Xinxiang signs 21 projects",
        "rounds": [{"scope": "新乡市", "phase": 8, "signed": {"projects": {"value": 21, "quote": "签约项目 21个"}}}],
    }
    with (
        pytest.raises(ValueError, match=r"新乡市 signed\.projects: the article states 37"),
        checking(check_context(text, facts, article)),
    ):
        DraftArticle.model_validate(draft)


def test_draft_validation_rejects_a_dropped_qualifier() -> None:
    text = fixture_text("venue_and_sector.txt")
    article, facts = offline_article(text)
    draft = {
        "headline_english": "Henan signs 713 projects",
        "rounds": [
            {"scope": "河南省", "phase": 12, "signed": {"investment": {"value": 5200, "quote": "总投资近 5200亿元"}}}
        ],
    }
    with pytest.raises(ValueError, match="says nearly"), checking(check_context(text, facts, article)):
        DraftArticle.model_validate(draft)


def test_hints_give_the_model_the_pattern_facts() -> None:
    article, _ = offline_article(fixture_text("province_and_city.txt"))
    hints = fact_hints(article)
    assert "河南省 phase 8 signed projects: 581 — “签约项目581个,总投资4263.5亿元”" in hints


def test_settings_presets_and_errors() -> None:
    assert load_settings(env={}).resolved_engine() is Engine.OFFLINE
    assert load_settings(env={"OPENAI_API_KEY": "k"}).resolved_engine() is Engine.LLM
    local = load_settings(preset="llamacpp", env={})
    assert (local.keyless, local.mode, local.resolved_engine()) == (True, Mode.TOOLS, Engine.LLM)
    custom = load_settings(base_url="http://127.0.0.1:8089/v1", model="gemma-3-270m", env={})
    assert custom.keyless
    assert custom.model == "gemma-3-270m"
    deepseek = load_settings(preset="deepseek", env={"DEEPSEEK_API_KEY": "d"})
    assert deepseek.api_key
    assert deepseek.api_key.get_secret_value() == "d"
    assert "d" not in repr(deepseek.api_key)
    with pytest.raises(ConfigError, match="Did you mean 'ollama'"):
        load_settings(preset="olama", env={})
    with pytest.raises(ConfigError, match="needs an API key"):
        load_settings(engine=Engine.LLM, env={})
    with pytest.raises(ConfigError, match="MY_KEY"):
        load_settings(api_key_env="MY_KEY", env={})


def test_long_article_is_refused_for_the_llm_engine() -> None:
    settings = SCENARIOS["good_province_and_city"].settings().with_(max_chars=100)
    with pytest.raises(InputTooLarge, match="above the LLM engine's limit of 100"):
        summarise_text(fixture_text("province_and_city.txt"), settings=settings)


def _rate_limited(headers: dict[str, str]) -> openai.RateLimitError:
    request = httpx2.Request("POST", "http://x/v1/chat/completions")
    response = httpx2.Response(429, headers=headers, request=request)
    return openai.RateLimitError("rate limited", response=response, body=None)


def test_transport_honours_retry_after_and_gives_up_in_bounds() -> None:
    slept: list[float] = []
    settings = Settings(transport_attempts=3, backoff_seconds=0.01)
    transport = _Transport(settings, sleep=slept.append)
    calls = 0

    def always_429() -> None:
        nonlocal calls
        calls += 1
        raise _rate_limited({"retry-after": "7"})

    with pytest.raises(ProviderError, match=r"rate limited .* \(429\) after 3 attempts"):
        transport.call(always_429)
    assert calls == 3
    assert slept == [7.0, 7.0]


def test_client_timeout_is_a_clear_error() -> None:
    def timeout(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ReadTimeout("timed out", request=request)

    scenario = SCENARIOS["good_province_and_city"]
    settings = scenario.settings().with_(transport_attempts=2, timeout=5.0)
    extractor = LLMExtractor(
        settings, http_client=httpx2.Client(transport=httpx2.MockTransport(timeout)), sleep=lambda s: None
    )
    text = fixture_text("province_and_city.txt")
    article, facts = offline_article(text)
    with pytest.raises(ProviderError, match=r"no answer from .* within 5 s, after 2 attempts"):
        extractor.extract(text, [], check_context(text, facts, article))


def test_usage_cost_from_the_price_table() -> None:
    class Response:
        class usage:
            prompt_tokens = 1_000_000
            completion_tokens = 500_000

    log = _UsageLog("gpt-4o-mini", {"gpt-4o-mini": (0.15, 0.60)})
    log(Response())
    assert log.usage.cost_usd == pytest.approx(0.45)


@pytest.mark.parametrize("name", ["province_and_city.txt", "county_in_city.txt", "cumulative.txt"])
def test_a_missed_record_is_copied_whole_and_apart_from_the_offline_one(name: str) -> None:
    """The patterns' rounds and totals the model missed are copied into its article: equal in
    every field and sharing no object, so that marking the copy missed leaves the original alone."""
    article, _ = offline_article(fixture_text(name))
    records = [*article.rounds(), *article.cumulative_totals()]
    assert records
    for record in records:
        before = record.model_dump_json()
        copy = _copied(record)
        assert copy == record
        figures = [f for f in _figures(copy) if f is not None]
        assert figures
        for figure in figures:
            figure.status = Status.MISSED_BY_MODEL
            if figure.evidence:
                figure.evidence.quote = "changed"
        assert record.model_dump_json() == before


def _figures(record: Any) -> list[Any]:
    batches = [getattr(record, k, None) for k in ("signed", "started", "commissioned", "total")]
    return [
        getattr(b, p) for b in (*batches, record) if b is not None for p in ("projects", "investment") if hasattr(b, p)
    ]


def test_redact_removes_the_key() -> None:
    settings = Settings(api_key=SecretStr(TEST_KEY))
    assert TEST_KEY not in redact(f"failed with key {TEST_KEY}", settings)


@pytest.mark.vcr("good_province_and_city.yaml")
def test_async_extractor_replays_the_same_cassette() -> None:
    scenario = SCENARIOS["good_province_and_city"]
    text = fixture_text(scenario.fixture)
    article, facts = offline_article(text)
    extractor = AsyncLLMExtractor(scenario.settings())
    extraction = asyncio.run(extractor.extract(text, fact_hints(article), check_context(text, facts, article)))
    assert [r.scope for r in extraction.draft.rounds] == ["河南省", "新乡市"]
    assert extraction.unresolved == []


@pytest.mark.vcr("good_province_and_city.yaml", allow_playback_repeats=True)
def test_async_extractor_spreads_concurrent_requests_over_its_clients() -> None:
    """Above eight requests in flight the extractor holds several clients (small connection
    pools); each request goes to the least busy one, and every answer is still its own."""
    scenario = SCENARIOS["good_province_and_city"]
    text = fixture_text(scenario.fixture)
    article, facts = offline_article(text)
    seen: list[list[int]] = []

    async def pace(tokens: int) -> None:
        seen.append(list(extractor._busy))  # how busy each client is as this request leaves

    extractor = AsyncLLMExtractor(scenario.settings(), before_request=pace, in_flight=16)

    async def four() -> list[Extraction]:
        calls = [extractor.extract(text, fact_hints(article), check_context(text, facts, article)) for _ in range(4)]
        try:
            return list(await asyncio.gather(*calls))
        finally:
            await extractor.aclose()

    extractions = asyncio.run(four())
    assert len(extractor._clients) == 2
    assert [2, 2] in seen  # four at once: two on each client, not four on one
    assert extractor._busy == [0, 0]
    assert all([r.scope for r in e.draft.rounds] == ["河南省", "新乡市"] for e in extractions)


def test_concurrent_extractions_send_each_request_before_building_the_next(monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight extractions started together: the first request is on its way before the third is
    built, not after all eight are (their answers would come back in one bunch), and the eight
    are still in flight together."""
    from llm_scenarios import completion
    from openai.resources.chat.completions import AsyncCompletions

    events: list[str] = []
    create = AsyncCompletions.create

    async def building(self: AsyncCompletions, **kwargs: Any) -> Any:
        events.append("built")
        return await create(self, **kwargs)

    all_in = asyncio.Event()

    async def answer(request: httpx2.Request) -> httpx2.Response:
        await asyncio.sleep(0)  # a real transport awaits the socket before the request is out
        events.append("sent")
        if events.count("sent") == 8:
            all_in.set()
        await asyncio.wait_for(all_in.wait(), 2)  # and the eight are in flight together
        reply = completion({"headline_english": "A round was held."}, Mode.TOOLS)
        return httpx2.Response(reply.status, json=reply.body)

    monkeypatch.setattr(AsyncCompletions, "create", building)
    scenario = SCENARIOS["good_province_and_city"]
    text = fixture_text(scenario.fixture)
    article, facts = offline_article(text)
    client = openai.DefaultAsyncHttpxClient(transport=httpx2.MockTransport(answer))
    extractor = AsyncLLMExtractor(scenario.settings(), http_client=client, in_flight=8)

    async def eight() -> list[Extraction]:
        check = check_context(text, facts, article)
        try:
            return list(await asyncio.gather(*(extractor.extract(text, [], check) for _ in range(8))))
        finally:
            await extractor.aclose()

    extractions = asyncio.run(eight())
    assert all(e.draft.headline_english == "A round was held." for e in extractions)
    assert events.count("built") == events.count("sent") == 8
    assert events.index("sent") < events.index("built", 2)  # sent before the third is built


def test_the_clients_of_an_extractor_share_one_tls_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """64 in flight means eight clients; they load the CA bundle once between them, not eight times."""
    loads: list[int] = []
    load = ssl.SSLContext.load_verify_locations

    def counted(self: ssl.SSLContext, *args: Any, **kwargs: Any) -> None:
        loads.append(1)
        load(self, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counted)
    extractor = AsyncLLMExtractor(Settings(base_url="https://llm.example/v1", model="m"), in_flight=64)
    asyncio.run(extractor.aclose())
    assert len(extractor._clients) == 8
    assert loads == [1]


@pytest.mark.parametrize(
    ("name", "requests"),
    [
        pytest.param(name, n, marks=pytest.mark.vcr(f"{name}.yaml"), id=name)
        for name, n in [("hallucination_fixed_by_reask", 2), ("rate_limited_then_ok", 2), ("good_province_and_city", 1)]
    ],
)
def test_every_http_request_passes_the_rate_limiter(name: str, requests: int, vcr) -> None:  # type: ignore[no-untyped-def]
    """Re-asks and transport retries are requests too: RPM and TPM limits count each one."""
    scenario = SCENARIOS[name]
    text = fixture_text(scenario.fixture)
    article, facts = offline_article(text)
    paced: list[int] = []

    async def pace(tokens: int) -> None:
        paced.append(tokens)

    extractor = AsyncLLMExtractor(scenario.settings(), before_request=pace)
    asyncio.run(extractor.extract(text, fact_hints(article), check_context(text, facts, article)))
    assert len(paced) == requests == vcr.play_count
    assert all(t > len(text) for t in paced)  # the article, the instructions, a share of the answer


def test_instructor_type_walk_runs_once_per_class_and_still_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    import instructor.v2.validation.async_validators as module

    from summarise import llm

    walked: list[type] = []

    def original(model: Any) -> None:
        walked.append(model)
        if model is Bad:
            raise TypeError("async validators are not run")

    class Good:
        pass

    class Bad:
        pass

    monkeypatch.setattr(module, "reject_async_validators", original)
    llm._check_async_validators_once()
    module.reject_async_validators(Good)
    module.reject_async_validators(Good)
    for _ in range(2):
        with pytest.raises(TypeError):
            module.reject_async_validators(Bad)
    assert walked == [Good, Bad, Bad]


def test_every_instructor_module_calls_the_memoised_type_walk() -> None:
    """instructor's request path imports the walk by name; a wrapper only in its home module
    left the per-request walk in place."""
    import sys

    import summarise.llm  # noqa: F401

    holders = {
        name: module.reject_async_validators
        for name, module in sys.modules.items()
        if name.startswith("instructor") and hasattr(module, "reject_async_validators")
    }
    assert "instructor.v2.core.patch" in holders
    assert all(getattr(f, "_walks_once", False) for f in holders.values()), holders


def test_salvage_keeps_what_fits_the_schema_of_a_broken_answer() -> None:
    from summarise.llm import salvage

    draft = salvage(
        {"rounds": [{"scope": "河南省", "phase": "nine"}, {"scope": "郑州市", "phase": 3}], "people": [{"title": "x"}]}
    )
    assert draft.headline_english == ""
    assert [(r.scope, r.phase) for r in draft.rounds] == [("郑州市", 3)]
    assert draft.people == []


@pytest.mark.parametrize("mark", ["{{ check }}", "{% raw %}", "{# 注 ", "{{"])
def test_article_text_reaches_the_model_verbatim(mark: str) -> None:
    """Template syntax in an article is text: not rendered, not an error, not a way into the prompt."""
    from llm_scenarios import completion

    sent: list[str] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        import json

        sent.extend(m["content"] for m in json.loads(request.content)["messages"])
        reply = completion({"headline_english": "A round was held."}, Mode.TOOLS)
        return httpx2.Response(reply.status, json=reply.body)

    text = fixture_text("province_and_city.txt").replace("本报讯", f"本报讯{mark}", 1)
    assert mark in text
    article, facts = offline_article(text)
    settings = SCENARIOS["good_province_and_city"].settings()
    extractor = LLMExtractor(settings, http_client=httpx2.Client(transport=httpx2.MockTransport(answer)))
    extraction = extractor.extract(text, [], check_context(text, facts, article))
    assert extraction.draft.headline_english == "A round was held."
    assert text in sent[1]
