"""The dialogue a running bot serves, swapped whole when the knowledge base is edited.

A reload builds a new Dialogue from the files and replaces the reference in one assignment, so a message is
answered wholly by the old knowledge base or wholly by the new one. A broken edit keeps the old one serving.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from pathlib import Path

from bot.dialogue import Dialogue
from faq.kb import KnowledgeBaseError, load

log = logging.getLogger(__name__)


def settle_heap(previous: bool = True) -> None:
    """After a knowledge base is loaded: collect what the previous one left (its normaliser holds a cycle),
    then freeze what is left, so that the collector's full passes while serving skip the knowledge base's
    hundreds of thousands of objects (they live until the next load anyway). The first load has no previous
    one to collect: freezing is enough, and start-up spares a full collection."""
    if previous:
        gc.unfreeze()
        gc.collect()
    gc.freeze()


class LiveDialogue:
    def __init__(self, dialogue: Dialogue, kb_dir: Path | str | None = None):
        self.current = dialogue
        self.kb_dir = Path(kb_dir) if kb_dir else None
        self._seen = self.snapshot()
        settle_heap(previous=False)

    def snapshot(self) -> tuple[tuple[str, int, int], ...]:
        if self.kb_dir is None:
            return ()
        return tuple(sorted((str(p), p.stat().st_mtime_ns, p.stat().st_size)
                            for p in self.kb_dir.rglob("*.yaml") if p.is_file()))

    async def reload(self) -> bool:
        """Swap in the knowledge base as it is on disk now; False (old one kept) when it does not load.

        The new dialogue is built in a thread (loading and indexing take a good part of a second), so chats
        keep being answered by the old one meanwhile; the swap itself is one assignment on the event loop."""
        if self.kb_dir is None:
            return False
        self._seen = self.snapshot()
        try:
            fresh = await asyncio.to_thread(self._build, self.kb_dir)
        except KnowledgeBaseError as exc:
            log.error("knowledge base not reloaded, the previous one keeps serving: %s", exc)
            return False
        self.current = fresh
        await asyncio.to_thread(settle_heap)
        log.info("knowledge base reloaded: %d entries", len(fresh.kb.entries))
        return True

    def _build(self, kb_dir: Path) -> Dialogue:
        return Dialogue(load(kb_dir), today=self.current.today)

    def changed(self) -> bool:
        return self.kb_dir is not None and self.snapshot() != self._seen

    async def watch(self, interval: float) -> None:
        """Reload whenever the files change (until cancelled)."""
        while True:
            await asyncio.sleep(interval)
            if self.changed():
                await self.reload()
