"""The Telegram adapter: python-telegram-bot wiring, thin handlers, HTML rendering, sends that retry, flood
control, and a fake Bot API server for the tests and the benchmarks."""
