"""Small ones from the same try: a pick outside the offer, a singular month, `ask | head`."""

import os
import subprocess
import sys

from bot.dialogue import Conversation
from tests.conftest import ROOT


def test_a_number_outside_the_offer_asks_for_one_inside_and_keeps_the_offer(dialogue):
    chat = Conversation(dialogue)
    chat.say("how do i renew")
    offered = chat.state.offered
    assert len(offered) == 3
    assert "Pick a number from 1 to 3" in chat.say("5").text
    assert chat.state.offered == offered
    assert "There are two ways to recertify" in chat.say("1").text


def test_one_month_is_singular(dialogue):
    assert "Expired 1 month ago" in dialogue.reply("/check cma expired=1").text
    assert "Expired 2 months ago" in dialogue.reply("/check cma expired=2").text


def test_ask_piped_into_head_ends_quietly():
    questions = "how many ceus for my cma\n" * 3000
    shell = f"{sys.executable} -m bot ask --json | head -1"
    result = subprocess.run(shell, shell=True, input=questions, capture_output=True, text=True, cwd=ROOT,
                            timeout=120, env={**os.environ, "DATA_DIR": "/nonexistent"})
    assert result.stdout.count("\n") == 1
    assert "BrokenPipeError" not in result.stderr and "Traceback" not in result.stderr, result.stderr
