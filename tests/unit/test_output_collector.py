"""The output collector keeps the head and tail of what the candidate's code prints, and says what it cut."""

import os
import time

from harness.grader.output import OutputCollector


def test_keeps_head_and_tail_and_counts_what_it_trims():
    read, write = os.pipe()
    collector = OutputCollector(read, keep_bytes=10)
    collector.start()
    os.write(write, b"0123456789" + b"x" * 1000 + b"abcdefghij")
    time.sleep(0.2)
    text = collector.take_segment()
    assert text.startswith("0123456789") and text.endswith("abcdefghij")
    assert "1,000 bytes of output trimmed" in text
    os.write(write, b"next")
    time.sleep(0.1)
    assert collector.take_segment() == "next"
    assert collector.take_segment() == ""
    os.close(write)
    collector.join(timeout=2)


def test_invalid_utf8_is_replaced_not_raised():
    read, write = os.pipe()
    collector = OutputCollector(read, keep_bytes=100)
    collector.start()
    os.write(write, b"\xed\xa0\x80 bad \xff")
    os.close(write)
    collector.join(timeout=2)
    assert "bad" in collector.take_segment()
