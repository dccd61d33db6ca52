"""Anything a user can send, through the dialogue and the Telegram rendering: a valid, safe reply."""

from html.parser import HTMLParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.dialogue import Conversation
from bot.telegram.buttons import unpack
from bot.telegram.render import MAX_MESSAGE, html_chunks

KINDS = {"answer", "clarify", "decline", "check", "greeting", "help", "thanks"}
# Every code point, surrogates included: Telegram's JSON can carry a lone one.
ANY_CHAR = st.characters(codec=None, exclude_categories=())
MARKUP = st.sampled_from(["<b>", "</b>", "<script>", "&amp;", "&", "<", ">", "*bold*", "_it_", "`code`",
                          "[x](http://e.com)", "\u200d", "\u202e", "\u200f", "\x00", "\x1b[31m", "😀", "👩‍⚕️",
                          "60", "-5", "1e309", "10,000", "ccma", "cma", "aama", "/check", "points", "hours"])
HOSTILE = st.lists(st.one_of(st.text(ANY_CHAR, max_size=40), MARKUP), max_size=300).map("".join)
RELAXED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                           HealthCheck.function_scoped_fixture])


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_endtag(self, tag):
        self.tags.append("/" + tag)

    def handle_data(self, data):
        self.text.append(data)


def assert_safe(reply):
    assert reply.kind in KINDS
    assert reply.text.strip()
    assert len(reply.text) <= MAX_MESSAGE
    for html in html_chunks(reply.text):
        assert len(html) <= MAX_MESSAGE
        parser = _Tags()
        parser.feed(html)
        parser.close()
        assert parser.tags == []  # no markup of the user's (or anyone's) survives as a tag
        assert "<" not in html


@RELAXED
@given(HOSTILE)
def test_any_message(dialogue, text):
    assert_safe(dialogue.reply(text[:10_000]))


@RELAXED
@given(st.text(ANY_CHAR, min_size=1, max_size=300).map(lambda t: (t * (10_000 // len(t) + 1))[:10_000]))
def test_10000_character_messages(dialogue, text):
    assert len(text) == 10_000
    assert_safe(dialogue.reply(text))


@RELAXED
@given(HOSTILE)
def test_any_check_arguments(dialogue, text):
    reply = dialogue.reply("/check " + text)
    assert reply.kind == "check"
    assert_safe(reply)


@RELAXED
@given(st.lists(HOSTILE, min_size=1, max_size=6))
def test_any_conversation_inside_a_guided_check(dialogue, texts):
    chat = Conversation(dialogue)
    chat.say("/check")
    for text in texts:
        assert_safe(chat.say(text))


@RELAXED
@given(st.one_of(st.text(ANY_CHAR, max_size=64), st.builds(lambda p, t: p + t, st.sampled_from(["e:", "say:", "t:",
                                                                                                "fb:+:", "none"]),
                                                           st.text(ANY_CHAR, max_size=60))))
def test_any_button_data(dialogue, data):
    action = unpack(data)
    reply = Conversation(dialogue).press(action) if action is not None else None
    assert reply is None or (assert_safe(reply) is None)


def test_html_chunks_keep_every_character():
    text = ("<b>x</b> & y " * 400 + "\n\n") * 4
    chunks = html_chunks(text)
    assert all(len(c) <= MAX_MESSAGE for c in chunks)
    joined = "".join(_unescape(c) for c in chunks)
    assert joined.replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(" ", "")


def _unescape(html):
    parser = _Tags()
    parser.feed(html)
    return "".join(parser.text)
