"""`recbot digest list` and `recbot digest run-now SUBSCRIPTION` (operator tools, all tenants)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from bot.config import Config
from core.digests.repo import DeliveryRepo, SubscriptionRepo
from core.digests.schedule import next_due, zone
from core.store.store import Store


async def digest_main(config: Config, args: argparse.Namespace) -> int:
    if args.digest_cmd == "list":
        return await digest_list(config, args.tenant)
    return await digest_run_now(config, args.subscription)


async def digest_list(config: Config, tenant: str | None) -> int:
    # The configured store: on PostgreSQL the subscriptions live in the shared database, and opening
    # the SQLite path instead would create an empty file and report "no digest subscriptions".
    store = await Store.open_url(config.store.resolved_url(), config.sqlite_path, config.store.schema or None)
    try:
        subs = await SubscriptionRepo(store.db).active(tenant)
        deliveries = DeliveryRepo(store.db)
        if not subs:
            print("no digest subscriptions")
            return 0
        now = datetime.now(UTC)
        print(f"{'ID':8}  {'TENANT':12}  {'WHERE':28}  {'SCHEDULE':44}  {'SIZE':>4}  {'LAST SENT':16}  NEXT")
        for s in subs:
            last = await deliveries.last_sent(s.tenant, s.sub_id)
            tz = zone(s.schedule.tz)
            last_txt = datetime.fromtimestamp(last.sent_at, tz).strftime("%Y-%m-%d %H:%M") \
                if last and last.sent_at else "-"
            nxt = next_due(s.schedule, now)
            nxt_txt = nxt.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z") if nxt else "-"
            where = f"{s.platform}:{s.channel}" + (" (dm)" if s.target == "dm" else "")
            print(f"{s.sub_id:8}  {s.tenant[:12]:12}  {where[:28]:28}  {s.schedule.describe()[:44]:44}  "
                  f"{s.size:>4}  {last_txt:16}  {nxt_txt}")
    finally:
        await store.close()
    return 0


async def digest_run_now(config: Config, sub_id: str) -> int:
    from adapters.console import PLATFORM as CONSOLE
    from adapters.console import ConsoleAdapter, ConsoleSettings
    from bot.wiring import build_app

    app = await build_app(config)
    try:
        if app.digests is None:
            print("recbot: digests are disabled ([digests] enabled = false)", file=sys.stderr)
            return 2
        sub = await app.digests.subs.find(sub_id)
        if sub is None or not sub.active:
            print(f"recbot: no active digest subscription {sub_id!r} (see `recbot digest list`)",
                  file=sys.stderr)
            return 1
        if sub.platform == CONSOLE:  # terminal subscriptions are delivered right here, on stdout
            console = ConsoleAdapter(app.core, ConsoleSettings(channel=sub.channel, user=sub.user_id))
            app.digests.add_outbound(console)
        status = await app.digests.run_now(sub.tenant, sub.sub_id)
        print({
            "sent": f"digest {sub_id}: sent",
            "empty": f"digest {sub_id}: nothing fresh left to send",
            "queued": f"digest {sub_id}: queued; the running bot (`recbot run`) posts it to {sub.platform} "
                      f"within {app.digests.settings.sweep_seconds:g} s",
            "retrying": f"digest {sub_id}: delivery failed; it will be retried",
        }.get(status, f"digest {sub_id}: {status}"))
        return 0 if status in ("sent", "empty", "queued") else 1
    finally:
        await app.aclose()
