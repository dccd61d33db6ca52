"""Running the real application against the fake Bot API by hand, as the tests need it.

`run_polling` owns and closes the event loop and is the only caller of post_init/post_stop, so the tests
start and stop the pieces themselves and call the hooks explicitly."""

from bot.dialogue import Dialogue
from bot.live import LiveDialogue
from bot.settings import Settings
from bot.telegram.app import allowed_updates, build_application, on_shutdown, on_startup, on_stop
from bot.telegram.fake_api import FakeBotApi
from bot.telegram.handlers import polling_error

TOKEN = "123456789:AAHfakeTOKENforTESTSonly_abcdefghijk"
USER = 5001


def settings_for(api: FakeBotApi, **overrides) -> Settings:
    return Settings(_env_file=None, telegram_bot_token=TOKEN, telegram_base_url=api.base_url, **overrides)


async def serve(api: FakeBotApi, dialogue: Dialogue | LiveDialogue, *, store=None, **overrides):
    app = build_application(settings_for(api, **overrides), dialogue, store=store)
    await app.initialize()
    await on_startup(app)
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=allowed_updates(),
                                    error_callback=polling_error)
    return app


async def stop(app) -> None:
    await on_stop(app)
    await app.updater.stop()
    await app.stop()
    await app.shutdown()
    await on_shutdown(app)
