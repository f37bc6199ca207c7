"""DialogueCore through bot.wiring on a real SQLite file: context, persistence, feedback, isolation."""

from __future__ import annotations

from dataclasses import replace

from bot.config import Config
from bot.wiring import build_app
from core.events import ButtonAction
from tests.helpers import button, msg, reaction


async def _ask(core, text: str, **kw):
    replies = await core.handle(msg(text, **kw))
    assert replies, text
    return replies[0]


async def test_request_then_something_else_does_not_repeat(simple_config: Config) -> None:
    app = await build_app(simple_config)
    first = await _ask(app.core, "recommend me a funny movie from the 80s")
    assert len(first.items) >= 3 and first.rec_id
    assert all(it.year and 1980 <= it.year <= 1989 for it in first.items)
    second = await _ask(app.core, "something else, not that one")
    assert second.items
    assert not {i.item_id for i in first.items} & {i.item_id for i in second.items}
    await app.aclose()


async def test_context_survives_a_restart(simple_config: Config) -> None:
    app = await build_app(simple_config)
    first = await _ask(app.core, "a funny movie from the 80s")
    await app.aclose()
    app2 = await build_app(simple_config)  # a new process would do exactly this
    history = await _ask(app2.core, "what did you recommend before?")
    assert first.items[0].title in history.text
    more = await _ask(app2.core, "more")
    assert more.items and all(1980 <= (i.year or 0) <= 1989 for i in more.items)  # constraints remembered
    assert not {i.item_id for i in first.items} & {i.item_id for i in more.items}
    await app2.aclose()


async def test_duplicate_event_is_processed_once(simple_app) -> None:
    ev = msg("a funny movie")
    assert await simple_app.core.handle(ev)
    assert await simple_app.core.handle(ev) == []


async def test_negative_reaction_changes_next_recommendation(simple_app) -> None:
    core = simple_app.core
    first = await _ask(core, "a funny movie from the 80s", channel="a")
    await core.message_posted(first, "msg-1")
    assert await core.handle(reaction("msg-1", "👎", channel="a")) == []
    again = await _ask(core, "a funny movie from the 80s", channel="b")  # fresh channel: nothing excluded
    assert not {i.item_id for i in first.items} & {i.item_id for i in again.items}
    summary = await core.user_summary("t1", "u1")
    assert first.items[0].label() in summary.dislikes


async def test_buttons_like_and_more_like(simple_app) -> None:
    core = simple_app.core
    first = await _ask(core, "a sci-fi movie")
    item = first.items[1]
    ok = await core.handle(button(ButtonAction.LIKE, first.rec_id, item.item_id))
    assert ok[0].ephemeral and item.title in ok[0].text
    more = await core.handle(button(ButtonAction.MORE_LIKE, first.rec_id, item.item_id))
    assert more[0].items and item.item_id not in {i.item_id for i in more[0].items}
    assert item.label() in (await core.user_summary("t1", "u1")).likes
    bad = await core.handle(button(ButtonAction.LIKE, "no-such-rec", item.item_id))
    assert bad[0].ephemeral and "no longer" in bad[0].text


async def test_tenants_are_isolated(simple_app) -> None:
    core = simple_app.core
    a = await _ask(core, "a funny movie from the 80s", tenant="A")
    await core.message_posted(a, "m-A")
    await core.handle(reaction("m-A", "👍", tenant="A"))
    # tenant B cannot reach tenant A's message, history or preferences, even with the same ids
    await core.handle(reaction("m-A", "👎", tenant="B"))
    hist_b = await _ask(core, "what did you recommend before?", tenant="B")
    assert "haven't recommended" in hist_b.text
    assert (await core.user_summary("B", "u1")).likes == []
    assert a.items[0].label() in (await core.user_summary("A", "u1")).likes


async def test_bad_input_gets_sensible_replies(simple_app) -> None:
    core = simple_app.core
    for text in ["", "   ", "x" * 20000, "\x00\x07\x1b[31mred\x1b[0m", "😀😀🎬🍿", "@everyone <@123> look"]:
        replies = await core.handle(msg(text))
        assert replies and replies[0].text.strip()
        assert "@everyone" not in replies[0].text and "<@123>" not in replies[0].text
    long = await core.handle(msg("a funny movie " + "x" * 20000))
    assert "2,000 characters" in long[0].text
    assert await core.store.db.fetchone("PRAGMA integrity_check") == ("ok",)


async def test_forget_and_export_commands(simple_app) -> None:
    from core.events import Command

    core = simple_app.core
    first = await _ask(core, "a funny movie")
    await core.handle(button(ButtonAction.LIKE, first.rec_id, first.items[0].item_id))
    exp = await core.handle(Command(platform="test", tenant="t1", channel="c1", user="u1", event_id="x1",
                                    name="prefs", args="export"))
    assert exp[0].file and first.items[0].item_id in exp[0].file[1]
    gone = await core.handle(Command(platform="test", tenant="t1", channel="c1", user="u1", event_id="x2",
                                     name="forget"))
    assert "deleted" in gone[0].text
    assert (await core.user_summary("t1", "u1")).likes == []


async def test_rate_limit_is_polite_and_per_user(tmp_path) -> None:
    from bot.config import load_config
    from tests.conftest import write_config

    app = await build_app(load_config(write_config(tmp_path, "[limits]\nmessages_per_minute = 1\nburst = 2\n")))
    core = app.core
    texts = [(await core.handle(msg("hi", platform="slack")))[0].text for _ in range(3)]
    assert "faster than I can think" in texts[2] and "faster" not in texts[0]
    other = await core.handle(msg("hi", platform="slack", user="u2"))
    assert "faster" not in other[0].text  # another person is not slowed down
    await app.aclose()


async def test_slow_generation_in_one_channel_does_not_stall_another(simple_app) -> None:
    import asyncio

    from core.generation.base import GenerationRequest

    class SlowForA:
        async def generate(self, request: GenerationRequest) -> str:
            if "chan-a" in request.channel_key:
                await asyncio.sleep(30)
            return request.intro

    core = simple_app.core
    core.generator = SlowForA()
    core.settings = replace(core.settings, model_prose=True)  # only then is the generator asked at all
    slow = asyncio.create_task(core.handle(msg("a funny movie", channel="chan-a")))
    fast = await asyncio.wait_for(core.handle(msg("a funny movie", channel="chan-b")), timeout=10)
    assert fast[0].items and not slow.done()
    slow.cancel()


async def test_console_streams_prose_then_items_once(simple_app) -> None:
    import io

    from adapters.console import ConsoleAdapter, ConsoleSettings
    from core.generation.base import GenerationRequest

    class Streamer:  # a backend that writes its prose in three pieces
        async def generate(self, request: GenerationRequest) -> str:
            return "Three picks, all light."

        async def stream(self, request: GenerationRequest):
            for piece in ("Three picks, ", "all ", "light."):
                yield piece

        async def aclose(self) -> None:
            return None

    simple_app.core.generator = Streamer()
    simple_app.core.settings = replace(simple_app.core.settings, model_prose=True)
    out = io.StringIO()
    console = ConsoleAdapter(simple_app.core, ConsoleSettings(user="ann"), out=out)
    await console.handle_line("a funny movie from the 80s")
    text = out.getvalue()
    # The model's sentences first, as they arrive, then the deterministic intro, then the list.
    assert text.startswith("recbot> Three picks, all light. ")
    assert "80s comedies:\n        1. " in text
    assert text.count("Three picks") == 1 and "1. " in text and "5. " in text
    await console.handle_line("/like 1")
    assert "Noted" in out.getvalue()


async def test_commands_dispatch_on_their_name_not_on_reparsed_text(simple_app) -> None:
    """/recommend, /why and /about take their intent from the command; only the arguments are read.
    (They used to be turned into text and parsed again, so an argument could change the intent.)"""
    from core.events import Command

    core = simple_app.core

    def command(n: int, name: str, args: str = "") -> Command:
        return Command(platform="test", tenant="t1", channel="c1", user="u1", event_id=f"cmd{n}", name=name, args=args)

    # Arguments that read as another intent on their own: history, help, start over.
    (rec,) = await core.handle(command(1, "recommend", "what did you recommend before"))
    assert rec.items, rec.text
    (rec2,) = await core.handle(command(2, "recommend", "help"))
    assert rec2.items, rec2.text
    (why,) = await core.handle(command(3, "why", "2"))
    assert rec2.items[1].title in why.text and not why.items
    (about,) = await core.handle(command(4, "about", "start over"))
    assert not about.items and "Starting over" not in about.text
