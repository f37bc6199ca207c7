"""Telegram adapter: python-telegram-bot (long polling) turns Bot API updates into core events.

Mapping (see docs/telegram.md):
- tenant: a group or supergroup is its own tenant (``tg:<chat id>``), like a Discord guild; every
  private chat shares the tenant ``tg-dm`` (a person's DM profile, separate from their group profiles).
- channel = the chat id; in a forum topic, thread = the topic's ``message_thread_id``.
- user = the Telegram user id; the display name is cleaned of control and unpaired characters here.
- Private messages are always addressed; in groups only an @mention of the bot, a reply to one of the
  bot's messages or a /command is (Telegram's privacy mode delivers little else anyway).
- Lists get an inline keyboard (👍 / 👎 / "more like" per item); a press is a ``ButtonPress`` and is
  acknowledged with a toast (answerCallbackQuery) that only the presser sees.
- Reactions (``message_reaction`` updates: private chats, or groups where the bot is an admin) on the
  bot's messages become ``Reaction`` events; the platform message id is ``<chat id>:<message id>``
  because Telegram numbers messages per chat.
- Telegram has no ephemeral messages: a reply meant for one person (prefs, forget, exports) goes to
  their private chat with the bot, and is never posted in the group.

Everything Telegram-specific (mention syntax, the 4,096-character limit, callback-data's 64 bytes) stays
here; the core sees plain text and typed events.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, ReactionTypeEmoji, Update
from telegram import Message as TgMessage
from telegram.constants import ChatType
from telegram.error import Forbidden, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    MessageReactionHandler,
    filters,
)

from adapters.telegram_settings import TelegramSettings
from core.events import ButtonAction, ButtonPress, Command, ConversationKey, Event, Message, Reaction, Reply
from core.ports import CoreHandle
from core.render import clean_name

log = logging.getLogger(__name__)

PLATFORM = "telegram"
DM_TENANT = "tg-dm"
MAX_TEXT = 4096  # Bot API limit for one message's text
MAX_CALLBACK = 64  # Bot API limit for callback_data, in bytes
MAX_TOAST = 200  # answerCallbackQuery text limit
_ACTIONS = {"l": ButtonAction.LIKE, "d": ButtonAction.DISLIKE, "m": ButtonAction.MORE_LIKE}
_CODES = {v: k for k, v in _ACTIONS.items()}
# Names of the commands the core knows; /start is Telegram's "open the bot" and gets the help text.
COMMANDS = ("start", "help", "recommend", "more", "why", "about", "prefs", "forget", "reset", "digest")
# Commands whose answers concern one person: they go to the private chat whatever the core marks.
PERSONAL_COMMANDS = frozenset({"prefs", "forget", "digest"})
CANT_DM = ("I can't message you privately yet — open a chat with me and send /start, then ask again "
           "(I never post that in the group).")


class TelegramAdapter:
    """Also implements ``core.ports.Outbound`` so digests can be posted without an incoming update."""

    platform = PLATFORM

    def __init__(self, core: CoreHandle, settings: TelegramSettings, env: Mapping[str, str]) -> None:
        self.core = core
        self.settings = settings
        token = env.get(settings.token_env, "").strip()
        if not token:
            raise ValueError(f"[telegram] the bot token is missing: set the {settings.token_env} environment variable")
        self.app: Application = (  # type: ignore[type-arg]
            ApplicationBuilder().token(token).base_url(settings.base_url).concurrent_updates(True).build()
        )
        self.app.add_handler(MessageHandler(filters.COMMAND, self._on_command))
        self.app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, self._on_text))
        self.app.add_handler(CallbackQueryHandler(self._on_callback))
        self.app.add_handler(MessageReactionHandler(self._on_reaction))
        self.app.add_error_handler(self._on_error)
        self.username = ""
        # rec id -> item ids, only for lists whose item ids are too long for callback_data
        self._lists: OrderedDict[str, tuple[str, ...]] = OrderedDict()

    # ----- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        await self.app.initialize()  # getMe: fails here on a bad token, before anything is started
        self.username = (self.app.bot.username or "").lower()
        await self.app.start()
        assert self.app.updater is not None
        await self.app.updater.start_polling(allowed_updates=Update.ALL_TYPES, timeout=self.settings.poll_timeout,
                                             drop_pending_updates=False)

    async def stop(self) -> None:
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # Never the update itself (it holds people's words): only what failed.
        log.error("telegram update failed: %s", type(context.error).__name__, exc_info=context.error)

    # ----- inbound ------------------------------------------------------------------------------
    def _base(self, msg: TgMessage, user_id: int, user_name: str | None) -> dict[str, Any]:
        chat = msg.chat
        private = chat.type == ChatType.PRIVATE
        thread = str(msg.message_thread_id) if msg.is_topic_message and msg.message_thread_id else None
        return {"platform": PLATFORM, "tenant": DM_TENANT if private else f"tg:{chat.id}",
                "channel": str(chat.id), "thread": thread, "user": str(user_id),
                "user_name": clean_name(user_name), "is_dm": private}

    def plain_text(self, msg: TgMessage) -> tuple[str, bool]:
        """The message as plain text without the bot's @mention, and whether it mentioned the bot."""
        text = msg.text or ""
        mentioned = False
        for value in msg.parse_entities(["mention"]).values():
            if value.lower() == f"@{self.username}":
                mentioned = True
                text = text.replace(value, " ", 1)
        return " ".join(text.split()), mentioned

    async def _on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg = update.effective_message
        user = update.effective_user
        if msg is None or user is None or user.is_bot:
            return
        text, mentioned = self.plain_text(msg)
        private = msg.chat.type == ChatType.PRIVATE
        replied = msg.reply_to_message is not None and msg.reply_to_message.from_user is not None and \
            msg.reply_to_message.from_user.id == self.app.bot.id
        addressed = private or mentioned or replied
        if not addressed:
            return  # privacy: group chatter that is not for the bot is neither answered nor stored
        event = Message(**self._base(msg, user.id, user.full_name), event_id=f"m{msg.chat.id}:{msg.message_id}",
                        text=text, addressed=True)
        await self._deliver(event, msg.chat.id, msg.message_thread_id if event.thread else None)

    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg = update.effective_message
        user = update.effective_user
        if msg is None or user is None or user.is_bot or not msg.text:
            return
        head, _, args = msg.text.partition(" ")
        name, _, target = head[1:].partition("@")
        if target and target.lower() != self.username:
            return  # "/help@other_bot" is for another bot in the group
        name = "help" if name.lower() == "start" else name.lower()
        event = Command(**self._base(msg, user.id, user.full_name), event_id=f"m{msg.chat.id}:{msg.message_id}",
                        name=name[:40], args=args.strip())
        await self._deliver(event, msg.chat.id, msg.message_thread_id if event.thread else None,
                            personal=event.name in PERSONAL_COMMANDS)

    async def _on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None or query.message is None or not isinstance(query.message, TgMessage):
            return
        parsed = self._parse_callback(query.data or "")
        if parsed is None:
            await query.answer("That button belongs to a list I no longer have. Ask me again?")
            return
        action, rec_id, item_id = parsed
        msg = query.message
        event = ButtonPress(**self._base(msg, query.from_user.id, query.from_user.full_name), event_id=f"b{query.id}",
                            action=action, rec_id=rec_id, item_id=item_id, message_id=f"{msg.chat.id}:{msg.message_id}")
        replies = await self.core.handle(event)
        toast = next((r.text for r in replies if not r.items), "")
        await query.answer(toast[:MAX_TOAST] or None)
        for reply in replies:
            if reply.items:  # "more like this" brings a new list into the chat
                await self._post(reply, msg.chat.id, event, msg.message_thread_id if event.thread else None)

    async def _on_reaction(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        r = update.message_reaction
        if r is None or r.user is None or r.user.is_bot:
            return  # anonymous (channel or admin) reactions carry no person to learn for
        old = {x.emoji for x in r.old_reaction if isinstance(x, ReactionTypeEmoji)}
        new = {x.emoji for x in r.new_reaction if isinstance(x, ReactionTypeEmoji)}
        private = r.chat.type == ChatType.PRIVATE
        base = {"platform": PLATFORM, "tenant": DM_TENANT if private else f"tg:{r.chat.id}",
                "channel": str(r.chat.id), "user": str(r.user.id), "user_name": clean_name(r.user.full_name),
                "is_dm": private}
        for emoji, added in [(e, True) for e in sorted(new - old)] + [(e, False) for e in sorted(old - new)]:
            # Reactions on messages that are not the bot's map to no recommendation: the core ignores them.
            await self.core.handle(Reaction(**base, event_id=f"r{update.update_id}:{emoji}:{int(added)}",
                                            message_id=f"{r.chat.id}:{r.message_id}", emoji=emoji, added=added))

    def _parse_callback(self, data: str) -> tuple[ButtonAction, str, str] | None:
        parts = data.split("|")
        if len(parts) != 4 or parts[0] != "rb" or parts[1] not in _ACTIONS:
            return None
        action, rec_id, item = _ACTIONS[parts[1]], parts[2], parts[3]
        if item.startswith("#"):  # an index into a list whose ids did not fit in 64 bytes
            items = self._lists.get(rec_id)
            if not items or not item[1:].isdigit() or int(item[1:]) >= len(items):
                return None
            item = items[int(item[1:])]
        return action, rec_id, item

    # ----- outbound -----------------------------------------------------------------------------
    async def _deliver(self, event: Event, chat_id: int, thread: int | None, personal: bool = False) -> None:
        replies = await self.core.handle(event)
        for reply in replies:
            await self._post(reply, chat_id, event, thread, personal)

    async def _post(self, reply: Reply, chat_id: int, event: Event | None, thread: int | None,
                    personal: bool = False) -> None:
        private_target = personal or reply.ephemeral or reply.file is not None
        if private_target and event is not None and not event.is_dm:
            # Only the person may see it: their private chat with the bot, never the group.
            try:
                await self._send(int(event.user), None, reply)
            except Forbidden:
                await self._send(chat_id, thread, Reply(CANT_DM))
            return
        await self._send(chat_id, thread, reply)

    async def _send(self, chat_id: int, thread: int | None, reply: Reply) -> str:
        chunks, keyboard = self.render(reply)
        sent: TgMessage | None = None
        for n, chunk in enumerate(chunks):
            markup = keyboard if n == len(chunks) - 1 else None
            sent = await self.app.bot.send_message(chat_id, chunk, message_thread_id=thread, reply_markup=markup)
        if reply.file is not None:
            name, content = reply.file
            sent = await self.app.bot.send_document(chat_id, InputFile(content.encode("utf-8"), filename=name),
                                                    message_thread_id=thread)
        message_id = f"{chat_id}:{sent.message_id}" if sent else ""
        if sent is not None and reply.rec_id:
            await self.core.message_posted(reply, message_id)
        return message_id

    def render(self, reply: Reply) -> tuple[list[str], InlineKeyboardMarkup | None]:
        """The message texts (split at Telegram's limit) and the inline keyboard under the last one."""
        return _split(reply.text), self._keyboard(reply) if reply.items and reply.rec_id else None

    async def send(self, key: ConversationKey, reply: Reply, user: str | None = None) -> str:
        """Outbound (digests): post into the conversation's chat (and topic)."""
        try:
            return await self._send(int(key.channel), int(key.thread) if key.thread else None, reply)
        except TelegramError as e:
            raise RuntimeError(f"telegram: could not post to chat {key.channel}: {type(e).__name__}") from e

    def _keyboard(self, reply: Reply) -> InlineKeyboardMarkup | None:
        if not reply.buttons or not reply.rec_id:
            return None
        rec_id = reply.rec_id
        ids = tuple(v.item_id for v in reply.items)
        rows = []
        for n, item_id in enumerate(ids):
            ref = item_id if len(f"rb|l|{rec_id}|{item_id}".encode()) <= MAX_CALLBACK else f"#{n}"
            if ref.startswith("#") or "|" in item_id:
                ref = f"#{n}"
                self._remember(rec_id, ids)
            rows.append([InlineKeyboardButton(f"{n + 1} {label}", callback_data=f"rb|{_CODES[a]}|{rec_id}|{ref}")
                         for a, label in ((ButtonAction.LIKE, "👍"), (ButtonAction.DISLIKE, "👎"),
                                          (ButtonAction.MORE_LIKE, "more like"))])
        return InlineKeyboardMarkup(rows)

    def _remember(self, rec_id: str, ids: tuple[str, ...]) -> None:
        self._lists[rec_id] = ids
        self._lists.move_to_end(rec_id)
        while len(self._lists) > self.settings.list_cache:
            self._lists.popitem(last=False)


def _split(text: str) -> list[str]:
    """Telegram's 4,096-character limit: split on line breaks where possible."""
    text = text or "…"
    chunks: list[str] = []
    while len(text) > MAX_TEXT:
        cut = text.rfind("\n", 0, MAX_TEXT)
        cut = cut if cut > 0 else MAX_TEXT
        chunks.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return chunks + [text]
