"""The fake Discord itself: driven through unmodified discord.py, it must answer as Discord does.

Each test runs a real ``discord.Client`` with a ``CommandTree`` on its own event loop in a
thread (the fake runs on another), acts as members through the fake, and checks both what the
bot saw and what the fake recorded. Raw aiohttp requests and websockets check what discord.py
never does on its own (hammering a route, a wrong token at the gateway).
"""

from __future__ import annotations

import asyncio
import datetime
import io
import json
import re
import threading
import time
import zlib
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import aiohttp
import discord
import discord.gateway
import discord.http
import pytest
import yarl
from discord import app_commands, ui
from discord.http import MultipartParameters

from tests.fakes.discord import TOKEN, FakeDiscord

MEMBERS = discord.Intents.default()
MEMBERS.members = True


class _Client(discord.Client):
    def __init__(self, bot: Bot, intents: discord.Intents) -> None:
        super().__init__(intents=intents, guild_ready_timeout=0.1)
        self.bot = bot

    async def setup_hook(self) -> None:
        for make in self.bot.persistent:
            self.add_view(make())  # views must be made on the client's loop
        for item in self.bot.dynamic:
            self.add_dynamic_items(item)
        if self.bot.sync:
            await self.bot.tree.sync(guild=self.bot.guild)

    async def on_ready(self) -> None:
        self.bot.ready.set()

    async def on_resumed(self) -> None:
        self.bot.resumed.set()

    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        self.bot.member_updates.append((before.id, [r.id for r in after.roles]))


class Bot:
    """A discord.py client on its own loop and thread, with guild commands synced at login."""

    def __init__(
        self,
        fake: FakeDiscord,
        *,
        intents: discord.Intents = MEMBERS,
        token: str = TOKEN,
        sync: bool = True,
    ) -> None:
        self.fake = fake
        self.token = token
        self.sync = sync
        self.client = _Client(self, intents)
        self.tree = app_commands.CommandTree(self.client)
        self.guild = discord.Object(id=int(fake.guild_id))
        self.persistent: list[Callable[[], ui.View]] = []
        self.dynamic: list[type[ui.DynamicItem[Any]]] = []
        self.errors: list[BaseException] = []
        self.member_updates: list[tuple[int, list[int]]] = []
        self.ready = threading.Event()
        self.resumed = threading.Event()
        self.outcome: BaseException | None = None
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="discord.py", daemon=True)

        async def on_error(interaction: discord.Interaction, error: Exception) -> None:
            self.errors.append(error)

        self.tree.on_error = on_error  # type: ignore[method-assign]

    def command(
        self, **kwargs: Any
    ) -> Callable[[Callable[..., Coroutine[Any, Any, None]]], app_commands.Command[Any, ..., None]]:
        """A guild command of this bot, as ``tree.command`` makes it."""
        return self.tree.command(guild=self.guild, **kwargs)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._main())
        except BaseException as error:
            self.outcome = error
        finally:
            self.ready.set()
            pending = asyncio.all_tasks(self.loop)
            for task in pending:
                task.cancel()
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    async def _main(self) -> None:
        try:
            await self.client.start(self.token)
        finally:
            await self.client.close()  # idempotent: waits for a close already under way

    def start(self, timeout: float = 10) -> Bot:
        self.thread.start()
        assert self.ready.wait(timeout), "the bot did not get ready"
        if self.outcome is not None:
            raise self.outcome
        return self

    def failure(self, timeout: float = 10) -> BaseException | None:
        """Start and wait for the client to stop on its own; what it raised."""
        self.thread.start()
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the client kept running"
        return self.outcome

    def call(self, coro: Coroutine[Any, Any, Any], timeout: float = 10) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        """Close the client and wait for its thread (``_main`` waits for the close)."""
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(lambda: self.loop.create_task(self.client.close()))
            self.thread.join(10)
            assert not self.thread.is_alive(), "the client did not stop"


class Env:
    """Fakes and bots made by a test; all stopped at its end."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.fakes: list[FakeDiscord] = []
        self.bots: list[Bot] = []

    def fake(self, **kwargs: Any) -> FakeDiscord:
        fake = FakeDiscord(**kwargs).start()
        self.fakes.append(fake)
        self.monkeypatch.setattr(discord.http.Route, "BASE", fake.api_url)
        gateway = yarl.URL(fake.gateway_url)
        self.monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", gateway)
        return fake

    def bot(self, fake: FakeDiscord, **kwargs: Any) -> Bot:
        bot = Bot(fake, **kwargs)
        self.bots.append(bot)
        return bot

    def close(self) -> None:
        for bot in self.bots:
            bot.stop()
        for fake in self.fakes:
            fake.stop()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    """Points discord.py at the fakes it makes (monkeypatch restores the real URLs)."""
    made = Env(monkeypatch)
    yield made
    made.close()


def eventually(check: Callable[[], Any], timeout: float = 5) -> Any:
    end = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"not true within {timeout}s: {check}")
        time.sleep(0.01)


def raw(
    fake: FakeDiscord,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = TOKEN,
) -> tuple[int, dict[str, str], Any]:
    """One REST request with plain aiohttp: status, headers, JSON body (None if empty)."""

    async def go() -> tuple[int, dict[str, str], Any]:
        headers = {"Authorization": f"Bot {token}"} if token else {}
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, fake.api_url + path, json=body, headers=headers) as response,
        ):
            text = await response.text()
            return response.status, dict(response.headers), json.loads(text) if text else None

    return asyncio.run(go())


# --- connecting -------------------------------------------------------------------------------


def test_connects_gets_ready_and_caches_the_guild_with_its_members(env: Env) -> None:
    fake = env.fake()
    role = fake.add_role("wg-core")
    ada = fake.add_member("ada", global_name="Ada", roles=[role])
    bot = env.bot(fake).start()
    fake.wait_connected()
    assert fake.connected
    assert fake.gateway_compressions == [discord.utils._ActiveDecompressionContext.COMPRESSION_TYPE]
    guild = bot.client.get_guild(int(fake.guild_id))
    assert guild is not None and guild.name == "Fake Foundation"
    member = eventually(lambda: guild.get_member(int(ada)))
    assert member.global_name == "Ada"
    assert [r.id for r in member.roles] == [int(fake.guild_id), int(role)]
    assert guild.me.top_role.id == int(fake.bot_role_id)
    assert guild.get_role(int(fake.guild_id)) == guild.default_role
    assert guild.get_channel(int(fake.general_id)).name == "general"  # type: ignore[union-attr]
    assert guild.member_count == 3 and len(guild.members) == 3  # owner, bot, ada
    assert bot.client.user is not None and bot.client.user.id == int(fake.bot_id)
    assert bot.client.application_id == int(fake.application_id)
    routes = [c.route for c in fake.calls]
    assert routes[:2] == ["GET /users/@me", "GET /oauth2/applications/@me"]
    assert "PUT /applications/{application_id}/guilds/{guild_id}/commands" in routes
    # What discord.py asked over the gateway: identify, then the member list (op 8).
    received = [f.op for f in fake.gateway_log if not f.sent]
    assert 2 in received and 8 in received
    status, headers, body = raw(fake, "GET", "/users/@me")
    assert status == 200 and body["id"] == fake.bot_id and body["bot"] is True
    assert headers["Content-Type"] == "application/json"
    assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Bucket"} <= set(headers)


def test_a_new_member_reaches_the_cache(env: Env) -> None:
    fake = env.fake()
    bot = env.bot(fake).start()
    fake.wait_connected()
    bo = fake.add_member("bo")
    guild = bot.client.get_guild(int(fake.guild_id))
    assert guild is not None
    assert eventually(lambda: guild.get_member(int(bo))).name == "bo"


def test_a_wrong_token_is_a_login_failure(env: Env) -> None:
    fake = env.fake()
    outcome = env.bot(fake, token="not-the-token").failure()
    assert isinstance(outcome, discord.LoginFailure)
    assert fake.calls[-1].status == 401
    assert fake.calls[-1].response_json == {"message": "401: Unauthorized", "code": 0}


def test_the_members_intent_must_be_enabled(env: Env) -> None:
    fake = env.fake(members_intent=False)
    outcome = env.bot(fake).failure()
    assert isinstance(outcome, discord.PrivilegedIntentsRequired)
    closes = [f.d for f in fake.gateway_log if f.t == "CLOSE"]
    assert closes == [4014]
    # Without asking for it, the bot connects but may not list members. (No second command
    # sync: with 2 overwrites a minute, discord.py would wait out the exhausted bucket.)
    bot = env.bot(fake, intents=discord.Intents.default(), sync=False).start()
    fake.wait_connected()
    guild = bot.client.get_guild(int(fake.guild_id))
    assert guild is not None and len(guild.members) == 1  # only itself

    with pytest.raises(discord.Forbidden) as refused:  # discord.py itself checks the intent
        bot.call(bot.client.http.get_members(fake.guild_id, 10, None))
    assert refused.value.code == 50001


def test_the_gateway_speaks_zlib_stream_and_checks_the_token(env: Env) -> None:
    fake = env.fake()

    async def session(token: str) -> tuple[list[dict[str, Any]], int | None]:
        url = f"{fake.gateway_url}?v=10&encoding=json&compress=zlib-stream"
        inflate = zlib.decompressobj()
        frames: list[dict[str, Any]] = []
        async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:

            async def receive() -> dict[str, Any] | None:
                message = await ws.receive(timeout=5)
                if message.type is not aiohttp.WSMsgType.BINARY:
                    return None
                assert message.data.endswith(b"\x00\x00\xff\xff")
                frame: dict[str, Any] = json.loads(inflate.decompress(message.data))
                frames.append(frame)
                return frame

            hello = await receive()
            assert hello is not None and hello["op"] == 10
            identify = {"token": token, "intents": 513, "properties": {"os": "linux"}}
            await ws.send_str(json.dumps({"op": 2, "d": identify}))
            while await receive() is not None and len(frames) < 3:
                pass
            if len(frames) == 3:
                await ws.send_str(json.dumps({"op": 1, "d": frames[-1]["s"]}))
                await receive()
                await ws.close()
            return frames, ws.close_code

    frames, code = asyncio.run(session("wrong"))
    assert code == 4004 and [f["op"] for f in frames] == [10]
    frames, code = asyncio.run(session(TOKEN))
    assert [(f["op"], f.get("t"), f.get("s")) for f in frames] == [
        (10, None, None),
        (0, "READY", 1),
        (0, "GUILD_CREATE", 2),
        (11, None, None),
    ]
    ready, guild = frames[1]["d"], frames[2]["d"]
    assert ready["resume_gateway_url"] == fake.gateway_url
    assert ready["guilds"] == [{"id": fake.guild_id, "unavailable": True}]
    assert guild["roles"][0]["id"] == fake.guild_id and guild["unavailable"] is False
    assert code == 1000
    assert eventually(lambda: fake.gateway_closes) == [1000]


# --- interactions -----------------------------------------------------------------------------


def test_an_ephemeral_reply_reaches_the_member(env: Env) -> None:
    fake = env.fake()
    ada = fake.add_member("ada")
    bot = env.bot(fake)

    @bot.command(name="ping", description="Ping")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong", ephemeral=True)

    bot.start()
    fake.wait_connected()
    asked = fake.slash(ada, "ping").wait()
    assert asked.response == {"type": 4, "data": {"tts": False, "content": "pong", "flags": 64}}
    assert asked.ephemeral and asked.message is not None
    assert asked.message["content"] == "pong" and asked.message["type"] == 20
    assert asked.ack_latency is not None and 0 < asked.ack_latency < fake.deadline
    assert not asked.missed and fake.deadline_misses == 0
    assert fake.messages(fake.general_id) == []  # ephemeral: not in the channel
    assert asked.payload["member"]["user"]["id"] == ada


def test_a_deferral_then_followup_edits_the_thinking_message_and_keeps_it_ephemeral(
    env: Env,
) -> None:
    fake = env.fake()
    ada = fake.add_member("ada")
    bot = env.bot(fake)

    @bot.command(name="slow", description="Slow")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await asyncio.sleep(0.05)
        await interaction.followup.send("done, slowly")
        await interaction.followup.send("and one more", ephemeral=True)

    bot.start()
    fake.wait_connected()
    asked = fake.slash(ada, "slow").wait()
    assert asked.response == {"type": 5, "data": {"flags": 64}}
    assert asked.wait_text("done, slowly") == "done, slowly"
    eventually(lambda: len(asked.followups) == 1)
    message = asked.message
    assert message is not None and message["flags"] == 64  # ephemeral, no longer loading
    assert message["edited_timestamp"] is None
    assert asked.followups[0]["content"] == "and one more"
    assert asked.texts() == ["done, slowly", "and one more"]
    assert fake.messages(fake.general_id) == []


def test_a_public_deferral_edited_later(env: Env) -> None:
    fake = env.fake()
    ada = fake.add_member("ada")
    bot = env.bot(fake)

    @bot.command(name="later", description="Later")
    async def later(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.edit_original_response(content="there you go")

    bot.start()
    fake.wait_connected()
    asked = fake.slash(ada, "later").wait()
    asked.wait_text("there you go")
    assert not asked.ephemeral
    [shown] = fake.messages(fake.general_id)
    assert shown["content"] == "there you go" and shown["flags"] == 0


def test_a_late_first_response_is_a_miss(env: Env) -> None:
    fake = env.fake(deadline=0.5)
    ada = fake.add_member("ada")
    bot = env.bot(fake)

    @bot.command(name="sleepy", description="Sleepy")
    async def sleepy(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.8)
        await interaction.response.send_message("too late")

    bot.start()
    fake.wait_connected()
    asked = fake.slash(ada, "sleepy").wait()
    assert asked.missed and fake.deadline_misses == 1
    assert asked.ack_latency is not None and asked.ack_latency >= 0.8
    assert asked.message is None and asked.texts() == []
    error = eventually(lambda: bot.errors and bot.errors[0])
    assert isinstance(error.__cause__, discord.NotFound) and error.__cause__.code == 10062


def test_a_second_response_is_refused(env: Env) -> None:
    fake = env.fake()
    ada = fake.add_member("ada")
    bot = env.bot(fake)

    @bot.command(name="twice", description="Twice")
    async def twice(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("one")
        await interaction.response.send_message("two")

    bot.start()
    fake.wait_connected()
    asked = fake.slash(ada, "twice").wait()
    error = eventually(lambda: bot.errors and bot.errors[0])
    assert isinstance(error.__cause__, discord.InteractionResponded)
    # discord.py stops itself; Discord refuses a second callback all the same.
    path = f"/interactions/{asked.id}/{asked.token}/callback"
    status, _, body = raw(fake, "POST", path, {"type": 4, "data": {"content": "two"}}, token=None)
    assert (status, body) == (
        400,
        {"message": "Interaction has already been acknowledged.", "code": 40060},
    )
    assert asked.texts() == ["one"]


def test_the_token_expires_after_fifteen_minutes(env: Env) -> None:
    fake = env.fake()
    ada = fake.add_member("ada")
    bot = env.bot(fake)
    seen: list[discord.Interaction] = []

    @bot.command(name="hello", description="Hello")
    async def hello(interaction: discord.Interaction) -> None:
        seen.append(interaction)
        await interaction.response.send_message("hello")

    bot.start()
    fake.wait_connected()
    fake.slash(ada, "hello").wait()
    bot.call(seen[0].edit_original_response(content="still here"))
    fake.advance(901)
    with pytest.raises(discord.HTTPException) as expired:
        bot.call(seen[0].edit_original_response(content="too late"))
    assert (expired.value.status, expired.value.code) == (401, 50027)
    with pytest.raises(discord.HTTPException) as followup:
        bot.call(seen[0].followup.send("late followup"))
    assert followup.value.code == 50027


def test_followups_need_a_response_first(env: Env) -> None:
    fake = env.fake()
    ada = fake.add_member("ada")
    bot = env.bot(fake)
    seen: list[discord.Interaction] = []

    @bot.command(name="quiet", description="Quiet")
    async def quiet(interaction: discord.Interaction) -> None:
        seen.append(interaction)

    bot.start()
    fake.wait_connected()
    fake.slash(ada, "quiet")
    eventually(lambda: seen)
    with pytest.raises(discord.NotFound) as refused:
        bot.call(seen[0].followup.send("no ack yet"))
    assert refused.value.code == 10015


def test_autocomplete_choices_come_back(env: Env) -> None:
    fake = env.fake()
    ada = fake.add_member("ada")
    bot = env.bot(fake)
    group = app_commands.Group(name="rfc", description="RFCs", guild_ids=[int(fake.guild_id)])

    @group.command(name="show", description="Show an RFC")
    async def show(interaction: discord.Interaction, number: str) -> None:
        await interaction.response.send_message(f"RFC {number}")

    @show.autocomplete("number")
    async def numbers(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=f"RFC-{n}", value=n)
            for n in ("0001", "0007", "0012")
            if current in n
        ]

    bot.tree.add_command(group)
    bot.start()
    fake.wait_connected()
    choices = fake.autocomplete(ada, "rfc show", focused="number", number="00")
    assert [c["name"] for c in choices] == ["RFC-0001", "RFC-0007", "RFC-0012"]
    assert fake.autocomplete(ada, "rfc show", focused="number", number="7") == [
        {"name": "RFC-0007", "value": "0007"}
    ]
    fake.slash(ada, "rfc show", number="0007").wait_text("RFC 0007")


def test_a_modal_round_trip(env: Env) -> None:
    fake = env.fake()
    ada = fake.add_member("ada")
    bot = env.bot(fake)

    class Propose(ui.Modal, title="Propose an RFC"):
        name: ui.TextInput[Propose] = ui.TextInput(label="Title", custom_id="title", max_length=80)
        body: ui.TextInput[Propose] = ui.TextInput(
            label="Text", custom_id="body", style=discord.TextStyle.paragraph, required=False
        )

        async def on_submit(self, interaction: discord.Interaction) -> None:
            await interaction.response.send_message(
                f"Proposed {self.name.value!r} ({len(self.body.value)} chars)", ephemeral=True
            )

    @bot.command(name="propose", description="Propose")
    async def propose(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Propose())

    bot.start()
    fake.wait_connected()
    opened = fake.slash(ada, "propose").wait()
    assert opened.response is not None and opened.response["type"] == 9
    assert opened.modal is not None and opened.modal["title"] == "Propose an RFC"
    with pytest.raises(ValueError, match="required"):
        fake.submit(ada, opened, {"title": ""})
    with pytest.raises(ValueError, match="80"):
        fake.submit(ada, opened, {"title": "x" * 81})
    submitted = fake.submit(ada, opened, {"title": "Datasets", "body": "Why and how."})
    assert submitted.kind == 5
    assert submitted.wait_text("Proposed") == "Proposed 'Datasets' (12 chars)"
    assert submitted.ephemeral
    with pytest.raises(ValueError, match="already"):
        fake.submit(ada, opened, {"title": "Again"})


def test_a_modal_cannot_answer_a_modal_submit(env: Env) -> None:
    fake = env.fake()
    ada = fake.add_member("ada")
    bot = env.bot(fake)

    class Ask(ui.Modal, title="Ask"):
        answer: ui.TextInput[Ask] = ui.TextInput(label="Answer", custom_id="answer")

        async def on_submit(self, interaction: discord.Interaction) -> None:
            try:
                await interaction.response.send_modal(Ask())
            except discord.HTTPException as error:
                bot.errors.append(error)

    @bot.command(name="ask", description="Ask")
    async def ask(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Ask())

    bot.start()
    fake.wait_connected()
    opened = fake.slash(ada, "ask").wait()
    fake.submit(ada, opened, {"answer": "42"})
    error = eventually(lambda: bot.errors and bot.errors[0])
    assert isinstance(error, discord.HTTPException) and error.status == 400


def test_a_modal_of_labels_with_a_select(env: Env) -> None:
    """discord.py 2.7's ``ui.Label`` wraps inputs in type 18 components."""
    fake = env.fake()
    ada = fake.add_member("ada")
    bot = env.bot(fake)

    class Nominate(ui.Modal, title="Nominate"):
        who: ui.Label[Nominate] = ui.Label(text="Who", component=ui.TextInput(custom_id="who"))
        seat: ui.Label[Nominate] = ui.Label(
            text="Seat",
            component=ui.Select(
                custom_id="seat",
                options=[discord.SelectOption(label=s) for s in ("chair", "member")],
            ),
        )

        async def on_submit(self, interaction: discord.Interaction) -> None:
            assert isinstance(self.who.component, ui.TextInput)
            assert isinstance(self.seat.component, ui.Select)
            chosen = ", ".join(self.seat.component.values)
            await interaction.response.send_message(f"{self.who.component.value} for {chosen}")

    @bot.command(name="nominate", description="Nominate")
    async def nominate(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Nominate())

    bot.start()
    fake.wait_connected()
    opened = fake.slash(ada, "nominate").wait()
    assert opened.modal is not None and [c["type"] for c in opened.modal["components"]] == [18, 18]
    with pytest.raises(ValueError, match="not an option"):
        fake.submit(ada, opened, {"who": "bo", "seat": "king"})
    submitted = fake.submit(ada, opened, {"who": "bo", "seat": "chair"})
    assert submitted.wait_text("bo for") == "bo for chair"
    components = submitted.payload["data"]["components"]
    assert components[0]["component"] == {"type": 4, "id": 2, "custom_id": "who", "value": "bo"}


class Vote(ui.DynamicItem[ui.Button[Any]], template=r"vote:(?P<choice>yes|no):(?P<rfc>\d+)"):
    """A ballot button that works across restarts: its state is in its custom id."""

    def __init__(self, choice: str, rfc: int) -> None:
        super().__init__(ui.Button(label=choice.title(), custom_id=f"vote:{choice}:{rfc}"))
        self.choice, self.rfc = choice, rfc

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: ui.Item[Any], match: re.Match[str]
    ) -> Vote:
        return cls(match["choice"], int(match["rfc"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"{self.choice} on RFC {self.rfc}", ephemeral=True)


class Controls(ui.View):
    """A persistent view: no timeout, fixed custom ids, registered at startup."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @ui.button(label="Close vote", custom_id="vote:close", style=discord.ButtonStyle.danger)
    async def close(self, interaction: discord.Interaction, button: ui.Button[Controls]) -> None:
        button.disabled = True
        await interaction.response.edit_message(content="Vote closed.", view=self)

    @ui.select(
        custom_id="vote:pick",
        options=[discord.SelectOption(label=n, value=n) for n in ("ada", "bo", "cy")],
        max_values=2,
    )
    async def pick(self, interaction: discord.Interaction, select: ui.Select[Controls]) -> None:
        await interaction.response.send_message(f"picked {', '.join(select.values)}")


def test_persistent_buttons_dynamic_items_and_selects(env: Env) -> None:
    fake = env.fake()
    ada = fake.add_member("ada")
    bot = env.bot(fake)
    bot.persistent.append(Controls)
    bot.dynamic.append(Vote)
    bot.start()
    fake.wait_connected()
    channel = bot.client.get_channel(int(fake.general_id))
    assert isinstance(channel, discord.TextChannel)

    async def post() -> None:
        view = Controls()
        view.add_item(Vote("yes", 7))
        view.add_item(Vote("no", 7))
        await channel.send("RFC-0007 is open for votes", view=view)

    bot.call(post())
    [posted] = fake.messages(fake.general_id)

    voted = fake.click(ada, posted, "vote:yes:7").wait()
    assert voted.texts() == ["yes on RFC 7"] and voted.ephemeral
    assert voted.payload["message"]["id"] == posted["id"]

    picked = fake.select(ada, posted, "vote:pick", ["ada", "cy"])
    assert picked.wait_text("picked") == "picked ada, cy"
    with pytest.raises(ValueError, match="options"):
        fake.select(ada, posted, "vote:pick", ["zed"])
    with pytest.raises(ValueError, match="1 to 2"):
        fake.select(ada, posted, "vote:pick", ["ada", "bo", "cy"])

    closed = fake.click(ada, posted, "vote:close").wait()
    assert closed.response is not None and closed.response["type"] == 7
    shown = fake.message(fake.general_id, posted["id"])
    assert shown["content"] == "Vote closed." and shown["edited_timestamp"] is not None
    assert closed.message == shown
    with pytest.raises(ValueError, match="cannot be clicked"):
        fake.click(ada, shown, "vote:close")
    with pytest.raises(ValueError, match="no button"):
        fake.click(ada, shown, "vote:maybe")


def test_a_button_on_an_ephemeral_message(env: Env) -> None:
    fake = env.fake()
    ada, bo = fake.add_member("ada"), fake.add_member("bo")
    bot = env.bot(fake)

    class Confirm(ui.View):
        @ui.button(label="Confirm", custom_id="confirm")
        async def confirm(
            self, interaction: discord.Interaction, button: ui.Button[Confirm]
        ) -> None:
            await interaction.response.edit_message(content="Confirmed.", view=None)

    @bot.command(name="leave", description="Leave")
    async def leave(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Sure?", view=Confirm(), ephemeral=True)

    bot.start()
    fake.wait_connected()
    asked = fake.slash(ada, "leave").wait()
    assert asked.message is not None
    with pytest.raises(ValueError, match="ephemeral"):
        fake.click(bo, asked.message, "confirm")
    clicked = fake.click(ada, asked.message, "confirm").wait()
    assert clicked.payload["message"]["flags"] == 64
    assert asked.wait_text("Confirmed.") and asked.message["components"] == []


# --- limits -----------------------------------------------------------------------------------


def test_message_limits_are_refused(env: Env) -> None:
    fake = env.fake()
    bot = env.bot(fake).start()
    fake.wait_connected()
    channel = bot.client.get_channel(int(fake.general_id))
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.HTTPException) as long:
        bot.call(channel.send("x" * 2001))
    assert (long.value.status, long.value.code) == (400, 50035)
    assert fake.calls[-1].response_json["errors"] == {
        "content": {
            "_errors": [
                {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}
            ]
        }
    }
    crowded = discord.Embed(title="t")
    for n in range(26):
        crowded.add_field(name=f"f{n}", value="v")
    with pytest.raises(discord.HTTPException) as fields:
        bot.call(channel.send(embed=crowded))
    assert fields.value.code == 50035
    assert fake.calls[-1].response_json["errors"]["embeds"]["0"]["fields"]["_errors"][0] == {
        "code": "BASE_TYPE_MAX_LENGTH",
        "message": "Must be 25 or fewer in length.",
    }
    sent = bot.call(channel.send("x" * 2000, embed=discord.Embed(title="T", description="D")))
    assert fake.message(fake.general_id, str(sent.id))["embeds"][0]["type"] == "rich"


def test_an_embed_over_six_thousand_characters_is_refused(env: Env) -> None:
    fake = env.fake()
    status, _, body = raw(
        fake,
        "POST",
        f"/channels/{fake.general_id}/messages",
        {
            "embeds": [
                {"description": "d" * 4096, "fields": [{"name": "n", "value": "v" * 1024}] * 2}
            ]
        },
    )
    assert (
        status == 400
        and body["errors"]["embeds"]["_errors"][0]["code"] == "MAX_EMBED_SIZE_EXCEEDED"
    )
    status, _, body = raw(fake, "POST", f"/channels/{fake.general_id}/messages", {"content": ""})
    assert (status, body) == (400, {"message": "Cannot send an empty message", "code": 50006})


def test_six_buttons_in_a_row_and_duplicate_custom_ids_are_refused(env: Env) -> None:
    fake = env.fake()
    bot = env.bot(fake).start()
    fake.wait_connected()
    row = [{"type": 2, "style": 1, "label": str(n), "custom_id": f"b{n}"} for n in range(6)]
    payload = {"content": "pick", "components": [{"type": 1, "components": row}]}
    with pytest.raises(discord.HTTPException) as six:
        bot.call(
            bot.client.http.send_message(
                fake.general_id, params=MultipartParameters(payload, None, None)
            )
        )
    assert six.value.code == 50035
    assert fake.calls[-1].response_json["errors"] == {
        "components": {
            "0": {
                "components": {
                    "_errors": [
                        {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 5 or fewer in length."}
                    ]
                }
            }
        }
    }
    twice = [{"type": 2, "style": 1, "label": "a", "custom_id": "same"}] * 2
    payload = {"components": [{"type": 1, "components": twice}]}
    with pytest.raises(discord.HTTPException):
        bot.call(
            bot.client.http.send_message(
                fake.general_id, params=MultipartParameters(payload, None, None)
            )
        )
    assert "COMPONENT_CUSTOM_ID_DUPLICATED" in json.dumps(fake.calls[-1].response_json)
    assert fake.messages(fake.general_id) == []


def test_a_route_hammered_past_its_bucket_gets_429(env: Env) -> None:
    fake = env.fake(global_limit=8)
    path = f"/channels/{fake.general_id}/messages"
    answers = [raw(fake, "POST", path, {"content": f"spam {n}"}) for n in range(6)]
    assert [a[0] for a in answers] == [200] * 5 + [429]
    status, headers, body = answers[-1]
    assert body["message"] == "You are being rate limited." and body["global"] is False
    assert 0 < body["retry_after"] <= 5 and "code" not in body
    assert headers["X-RateLimit-Remaining"] == "0" and headers["X-RateLimit-Limit"] == "5"
    assert int(headers["Retry-After"]) >= 1 and headers["X-RateLimit-Scope"] == "user"
    assert [a[1]["X-RateLimit-Remaining"] for a in answers[:5]] == ["4", "3", "2", "1", "0"]
    assert fake.rate_limited == 1
    # Every route counts toward the global limit (8 a second here).
    for _ in range(10):
        status, headers, body = raw(fake, "GET", "/users/@me")
        if status == 429:
            break
    assert status == 429 and body["global"] is True and headers["X-RateLimit-Global"] == "true"
    assert fake.rate_limited == 2


def test_discord_py_respects_the_buckets(env: Env) -> None:
    fake = env.fake(limits={"POST /channels/{channel_id}/messages": (5, 1.0)})
    bot = env.bot(fake).start()
    fake.wait_connected()
    channel = bot.client.get_channel(int(fake.general_id))
    assert isinstance(channel, discord.TextChannel)

    async def burst() -> None:
        await asyncio.gather(*(channel.send(f"message {n}") for n in range(12)))

    started = time.monotonic()
    bot.call(burst(), timeout=20)
    assert fake.rate_limited == 0
    assert len(fake.messages(fake.general_id)) == 12
    assert time.monotonic() - started >= 2.0  # three windows of one second


# --- guild state ------------------------------------------------------------------------------


def test_member_roles_below_the_bot_only(env: Env) -> None:
    fake = env.fake()
    member_role = fake.add_role("wg-datasets")
    admin_role = fake.add_role("admin", above_bot=True)
    ada = fake.add_member("ada")
    bot = env.bot(fake).start()
    fake.wait_connected()
    guild = bot.client.get_guild(int(fake.guild_id))
    assert guild is not None
    member = eventually(lambda: guild.get_member(int(ada)))
    role = guild.get_role(int(member_role))
    admin = guild.get_role(int(admin_role))
    assert role is not None and admin is not None
    bot.call(member.add_roles(role))
    assert fake.member_roles(ada) == {member_role}
    assert fake.role_members(member_role) == {ada}
    eventually(lambda: (int(ada), [int(fake.guild_id), int(member_role)]) in bot.member_updates)
    with pytest.raises(discord.Forbidden) as refused:
        bot.call(member.add_roles(admin))
    assert refused.value.code == 50013
    bot.call(member.remove_roles(role))
    assert fake.member_roles(ada) == set()
    status, _, body = raw(
        fake, "PUT", f"/guilds/{fake.guild_id}/members/{ada}/roles/123456789012345678"
    )
    assert (status, body["code"]) == (404, 10011)
    status, _, body = raw(
        fake, "PUT", f"/guilds/{fake.guild_id}/members/123456789012345678/roles/{member_role}"
    )
    assert (status, body["code"]) == (404, 10007)


def test_a_thread_from_a_message(env: Env) -> None:
    fake = env.fake()
    bot = env.bot(fake).start()
    fake.wait_connected()
    channel = bot.client.get_channel(int(fake.general_id))
    assert isinstance(channel, discord.TextChannel)
    message = bot.call(channel.send("RFC-0007: Datasets"))
    thread = bot.call(message.create_thread(name="RFC-0007"))
    assert thread.id == message.id
    [listed] = fake.threads(fake.general_id)
    assert listed["id"] == str(message.id) and listed["name"] == "RFC-0007"
    guild = bot.client.get_guild(int(fake.guild_id))
    assert guild is not None
    eventually(lambda: guild.get_thread(message.id))
    bot.call(thread.send("Discussion goes here."))
    in_thread = fake.messages(listed["id"])
    assert [m["type"] for m in in_thread] == [21, 0]
    assert in_thread[1]["content"] == "Discussion goes here."
    assert fake.message(fake.general_id, str(message.id))["flags"] & 32  # HAS_THREAD
    with pytest.raises(discord.HTTPException) as again:
        bot.call(message.create_thread(name="again"))
    assert again.value.code == 160004


def test_direct_messages(env: Env) -> None:
    fake = env.fake()
    ada, bo = fake.add_member("ada"), fake.add_member("bo")
    fake.close_dms(bo)
    bot = env.bot(fake).start()
    fake.wait_connected()
    guild = bot.client.get_guild(int(fake.guild_id))
    assert guild is not None
    member = eventually(lambda: guild.get_member(int(ada)))
    bot.call(member.send("Your vote is due."))
    assert [m["content"] for m in fake.dms(ada)] == ["Your vote is due."]
    closed = eventually(lambda: guild.get_member(int(bo)))
    with pytest.raises(discord.Forbidden) as refused:
        bot.call(closed.send("hello"))
    assert refused.value.code == 50007


# --- commands ---------------------------------------------------------------------------------


def test_command_definitions_are_checked_and_ids_kept(env: Env) -> None:
    overwrites = "PUT /applications/{application_id}/guilds/{guild_id}/commands"
    fake = env.fake(limits={overwrites: (10, 60.0)})
    bot = env.bot(fake)
    group = app_commands.Group(
        name="wg", description="Working groups", guild_ids=[int(fake.guild_id)]
    )

    @group.command(name="join", description="Join a group")
    async def join(interaction: discord.Interaction, group: str, note: str | None = None) -> None:
        await interaction.response.send_message(f"joined {group}")

    bot.tree.add_command(group)
    bot.start()
    fake.wait_connected()
    [stored] = fake.commands
    assert stored["name"] == "wg" and stored["guild_id"] == fake.guild_id
    assert stored["options"][0]["name"] == "join"
    synced = bot.call(bot.tree.sync(guild=bot.guild))
    assert [c.id for c in synced] == [int(stored["id"])]
    assert fake.commands[0]["version"] == stored["version"]  # unchanged definition
    assert fake.command_writes == 2
    http = bot.client.http
    bad = [{"name": "Bad Name", "description": "x", "type": 1}]
    with pytest.raises(discord.HTTPException) as refused:
        bot.call(http.bulk_upsert_guild_commands(fake.application_id, fake.guild_id, payload=bad))
    assert refused.value.code == 50035
    assert fake.calls[-1].response_json["errors"]["0"]["name"]["_errors"][0]["code"] == (
        "APPLICATION_COMMAND_INVALID_NAME"
    )
    misordered = [
        {
            "name": "x",
            "description": "x",
            "options": [
                {"type": 3, "name": "a", "description": "a"},
                {"type": 3, "name": "b", "description": "b", "required": True},
            ],
        }
    ]
    with pytest.raises(discord.HTTPException):
        bot.call(
            http.bulk_upsert_guild_commands(fake.application_id, fake.guild_id, payload=misordered)
        )
    assert "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID" in json.dumps(
        fake.calls[-1].response_json
    )
    assert fake.command_writes == 4 and fake.rate_limited == 0


def test_slash_sends_only_what_a_client_can(env: Env) -> None:
    fake = env.fake()
    ada = fake.add_member("ada")
    role = fake.add_role("wg-core")
    bot = env.bot(fake)
    got: list[tuple[Any, ...]] = []

    @bot.command(name="assign", description="Assign")
    @app_commands.choices(kind=[app_commands.Choice(name="Chair", value="chair")])
    async def assign(
        interaction: discord.Interaction,
        who: discord.Member,
        kind: str,
        seats: app_commands.Range[int, 1, 9],
        where: discord.TextChannel,
        group: discord.Role,
        weight: float = 1.0,
        secret: bool = False,
    ) -> None:
        got.append((who.id, kind, seats, where.id, group.id, weight, secret))
        await interaction.response.send_message("ok")

    bot.start()
    fake.wait_connected()
    fake.slash(
        ada,
        "assign",
        who=ada,
        kind="chair",
        seats=3,
        where=fake.general_id,
        group=role,
        weight=0.5,
        secret=True,
    ).wait_text("ok")
    assert got == [(int(ada), "chair", 3, int(fake.general_id), int(role), 0.5, True)]
    with pytest.raises(ValueError, match="required"):
        fake.slash(ada, "assign", who=ada, kind="chair", seats=3, where=fake.general_id)
    with pytest.raises(ValueError, match="unknown options"):
        fake.slash(
            ada, "assign", who=ada, kind="chair", seats=3, where=fake.general_id, group=role, x=1
        )
    with pytest.raises(ValueError, match="choose one of"):
        fake.slash(
            ada, "assign", who=ada, kind="member", seats=3, where=fake.general_id, group=role
        )
    with pytest.raises(ValueError, match="within"):
        fake.slash(
            ada, "assign", who=ada, kind="chair", seats=10, where=fake.general_id, group=role
        )
    with pytest.raises(ValueError, match="no slash command"):
        fake.slash(ada, "nope")


# --- the gateway connection -------------------------------------------------------------------


def test_closing_the_client_is_recorded_with_its_code(env: Env) -> None:
    """What discord.py 2.7.1 sends on ``Client.close()`` is 4000, not 1000: ``close(code=1000)``
    first breaks its own reader's ``receive()`` (aiohttp), and the reader, seeing the socket
    closing, closes it with 4000 before ``close`` gets to send its frame. Discord then keeps
    the session resumable; the fake records the code actually sent."""
    fake = env.fake()
    bot = env.bot(fake).start()
    fake.wait_connected()
    bot.stop()
    assert eventually(lambda: fake.gateway_closes) == [4000]
    assert not fake.connected


def test_a_server_disconnect_is_resumed(env: Env) -> None:
    fake = env.fake()
    ada = fake.add_member("ada")
    bot = env.bot(fake)

    @bot.command(name="ping", description="Ping")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong")

    bot.start()
    fake.wait_connected()
    fake.disconnect()
    bo = fake.add_member("bo")  # dispatched while the bot is away: replayed on RESUME
    assert bot.resumed.wait(10)
    assert fake.connected
    sent = [f.op for f in fake.gateway_log if not f.sent]
    assert sent.count(2) == 1 and sent.count(6) == 1  # one IDENTIFY, one RESUME
    guild = bot.client.get_guild(int(fake.guild_id))
    assert guild is not None
    eventually(lambda: guild.get_member(int(bo)))
    fake.slash(ada, "ping").wait_text("pong")
    assert fake.gateway_closes == []  # the client did not close it


def test_a_resume_the_gateway_refuses_leads_to_a_new_identify(env: Env) -> None:
    fake = env.fake()
    ada = fake.add_member("ada")
    bot = env.bot(fake)

    @bot.command(name="ping", description="Ping")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong")

    bot.start()
    fake.wait_connected()
    fake.disconnect(4009)  # session timed out: not resumable
    eventually(lambda: [f.d for f in fake.gateway_log if f.op == 9] == [False])  # RESUME refused
    fake.wait_connected(timeout=15)  # discord.py waits 5 s before identifying again
    identified = [f for f in fake.gateway_log if f.op == 2 and not f.sent]
    assert len(identified) == 2
    fake.slash(ada, "ping").wait_text("pong")


# --- more REST --------------------------------------------------------------------------------


def test_unknown_routes_methods_and_tokens(env: Env) -> None:
    fake = env.fake()
    assert raw(fake, "GET", "/nowhere")[::2] == (404, {"message": "404: Not Found", "code": 0})
    assert raw(fake, "DELETE", "/users/@me")[::2] == (
        405,
        {"message": "405: Method Not Allowed", "code": 0},
    )
    assert raw(fake, "GET", "/users/@me", token="nope")[::2] == (
        401,
        {"message": "401: Unauthorized", "code": 0},
    )
    assert raw(fake, "GET", "/users/@me", token=None)[0] == 401
    assert [c.status for c in fake.calls] == [404, 405, 401, 401]
    path = f"/guilds/{fake.guild_id}/members/{fake.owner_id}"
    status, _, body = raw(fake, "GET", path)
    assert status == 200 and body["user"]["username"] == "owner"
    status, _, body = raw(fake, "POST", "/channels/123456789012345678/messages", {"content": "x"})
    assert (status, body) == (404, {"message": "Unknown Channel", "code": 10003})


def test_uploads_mentions_and_allowed_mentions(env: Env) -> None:
    fake = env.fake()
    ada = fake.add_member("ada")
    bot = env.bot(fake).start()
    fake.wait_connected()
    channel = bot.client.get_channel(int(fake.general_id))
    assert isinstance(channel, discord.TextChannel)
    upload = discord.File(io.BytesIO(b"# Minutes\n"), filename="minutes.md")
    sent = bot.call(channel.send(f"Minutes for <@{ada}>", file=upload))
    stored = fake.message(fake.general_id, str(sent.id))
    assert [(a["filename"], a["size"]) for a in stored["attachments"]] == [("minutes.md", 10)]
    assert fake.calls[-1].files == ("minutes.md",)
    assert [u["id"] for u in stored["mentions"]] == [ada]
    assert fake.allowed_mentions(str(sent.id)) is None
    quiet = bot.call(channel.send(f"<@{ada}>", allowed_mentions=discord.AllowedMentions.none()))
    assert fake.message(fake.general_id, str(quiet.id))["mentions"] == []
    assert fake.allowed_mentions(str(quiet.id)) == {"parse": []}
    # A repeated nonce with enforce_nonce gets the first message back, as on Discord.
    body = {"content": "once", "nonce": "n-1", "enforce_nonce": True}
    first = raw(fake, "POST", f"/channels/{fake.general_id}/messages", body)[2]
    again = raw(fake, "POST", f"/channels/{fake.general_id}/messages", body)[2]
    assert first["id"] == again["id"] and first["nonce"] == "n-1"
    assert [m["content"] for m in fake.messages(fake.general_id)].count("once") == 1


def test_scheduled_events(env: Env) -> None:
    fake = env.fake()
    bot = env.bot(fake).start()
    fake.wait_connected()
    guild = bot.client.get_guild(int(fake.guild_id))
    assert guild is not None
    start = discord.utils.utcnow() + datetime.timedelta(days=1)
    event = bot.call(
        guild.create_scheduled_event(
            name="Core WG meeting",
            start_time=start,
            end_time=start + datetime.timedelta(hours=1),
            entity_type=discord.EntityType.external,
            location="https://meet.example.org/core",
            privacy_level=discord.PrivacyLevel.guild_only,
        )
    )
    [stored] = fake.scheduled_events()
    assert stored["id"] == str(event.id) and stored["entity_metadata"]["location"].endswith("core")
    with pytest.raises(discord.HTTPException) as past:
        bot.call(
            guild.create_scheduled_event(
                name="Too late",
                start_time=discord.utils.utcnow() - datetime.timedelta(hours=1),
                end_time=discord.utils.utcnow() + datetime.timedelta(hours=1),
                entity_type=discord.EntityType.external,
                location="here",
                privacy_level=discord.PrivacyLevel.guild_only,
            )
        )
    assert past.value.code == 50035
