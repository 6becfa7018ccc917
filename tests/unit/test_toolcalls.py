"""ToolCallParser: `<tool_call>{json}</tool_call>` blocks are cut out of streamed text and returned as ToolCalls."""

from __future__ import annotations

from jarvis.llm.base import ToolCall
from jarvis.llm.toolcalls import ToolCallParser


def run(pieces: list[str]) -> tuple[str, list[ToolCall]]:
    """Feed every piece then finish; return all visible text and all calls, in order."""
    parser = ToolCallParser()
    visible: list[str] = []
    calls: list[ToolCall] = []
    for piece in pieces:
        text, finished = parser.feed(piece)
        visible.append(text)
        calls.extend(finished)
    text, finished = parser.finish()
    visible.append(text)
    calls.extend(finished)
    assert parser.calls == calls  # the parser's running list agrees with what it returned
    return "".join(visible), calls


def chars(text: str) -> list[str]:
    return list(text)


CALL = '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris", "days": 2}}</tool_call>'


def test_plain_text_passes_through_immediately() -> None:
    parser = ToolCallParser()
    assert parser.feed("Bonjour, ") == ("Bonjour, ", [])
    assert parser.feed("comment ça va ?") == ("comment ça va ?", [])
    assert parser.finish() == ("", [])
    assert parser.calls == []


def test_single_call_is_removed_from_text_and_returned() -> None:
    parser = ToolCallParser()
    text, calls = parser.feed(CALL)
    assert text == ""
    assert len(calls) == 1
    call = calls[0]
    assert call.name == "get_weather"
    assert call.arguments == {"city": "Paris", "days": 2}
    assert call.id.startswith("call_")
    assert len(call.id) > len("call_")
    assert parser.finish() == ("", [])


def test_call_ids_are_unique() -> None:
    _, calls = run([CALL, CALL])
    assert len(calls) == 2
    assert calls[0].id != calls[1].id


def test_call_fed_one_character_at_a_time() -> None:
    parser = ToolCallParser()
    visible = []
    calls: list[ToolCall] = []
    for char in CALL:
        text, finished = parser.feed(char)
        visible.append(text)
        calls.extend(finished)
    # The call is complete as soon as the closing tag arrives, before finish().
    assert [c.name for c in calls] == ["get_weather"]
    assert calls[0].arguments == {"city": "Paris", "days": 2}
    assert "".join(visible) == ""
    assert parser.finish() == ("", [])


def test_no_tag_fragment_ever_leaks_into_visible_text() -> None:
    text, calls = run(chars("Un instant. " + CALL + " Voilà."))
    assert text == "Un instant.  Voilà."
    assert "<" not in text
    assert len(calls) == 1


def test_text_before_and_after_a_call() -> None:
    text, calls = run(["Je regarde", " la météo. ", CALL, " C'est fait."])
    assert text == "Je regarde la météo.  C'est fait."
    assert [c.name for c in calls] == ["get_weather"]


def test_text_before_and_after_in_one_piece() -> None:
    parser = ToolCallParser()
    text, calls = parser.feed("avant " + CALL + " après")
    assert text == "avant  après"
    assert [c.name for c in calls] == ["get_weather"]


def test_two_calls_in_order() -> None:
    first = '<tool_call>{"name": "a", "arguments": {"n": 1}}</tool_call>'
    second = '<tool_call>{"name": "b", "arguments": {"n": 2}}</tool_call>'
    text, calls = run(chars("x" + first + "y" + second + "z"))
    assert text == "xyz"
    assert [(c.name, c.arguments) for c in calls] == [("a", {"n": 1}), ("b", {"n": 2})]


def test_invalid_json_inside_tags_is_dropped() -> None:
    text, calls = run(["avant <tool_call>{not json}</tool_call> après"])
    assert text == "avant  après"
    assert calls == []


def test_invalid_call_does_not_break_the_next_one() -> None:
    text, calls = run(chars('<tool_call>{"name": </tool_call>ok' + CALL))
    assert text == "ok"
    assert [c.name for c in calls] == ["get_weather"]


def test_call_without_a_string_name_is_dropped() -> None:
    _, calls = run(['<tool_call>{"arguments": {}}</tool_call>', '<tool_call>{"name": 3}</tool_call>'])
    assert calls == []
    _, calls = run(["<tool_call>[1, 2]</tool_call>"])
    assert calls == []


def test_arguments_given_as_a_json_string() -> None:
    _, calls = run(['<tool_call>{"name": "set_timer", "arguments": "{\\"minutes\\": 5}"}</tool_call>'])
    assert len(calls) == 1
    assert calls[0].name == "set_timer"
    assert calls[0].arguments == {"minutes": 5}


def test_bad_or_missing_arguments_become_an_empty_dict() -> None:
    _, calls = run(
        [
            '<tool_call>{"name": "a"}</tool_call>',
            '<tool_call>{"name": "b", "arguments": "not json"}</tool_call>',
            '<tool_call>{"name": "c", "arguments": [1, 2]}</tool_call>',
        ]
    )
    assert [(c.name, c.arguments) for c in calls] == [("a", {}), ("b", {}), ("c", {})]


def test_whitespace_around_json_is_accepted() -> None:
    _, calls = run(['<tool_call>\n  {"name": "a", "arguments": {}}\n</tool_call>'])
    assert [c.name for c in calls] == ["a"]


def test_unclosed_call_is_parsed_at_finish() -> None:
    parser = ToolCallParser()
    text, calls = parser.feed('ok <tool_call>{"name": "lights", "arguments": {"on": true}}')
    assert text == "ok "
    assert calls == []  # not closed yet
    text, calls = parser.finish()
    assert text == ""
    assert [(c.name, c.arguments) for c in calls] == [("lights", {"on": True})]
    assert parser.calls == calls


def test_unclosed_incomplete_call_is_dropped_at_finish() -> None:
    parser = ToolCallParser()
    assert parser.feed('<tool_call>{"name": "lig') == ("", [])
    assert parser.finish() == ("", [])
    assert parser.calls == []


def test_less_than_sign_that_is_not_a_tag_is_shown() -> None:
    text, calls = run(chars("a < b et c<d"))
    assert text == "a < b et c<d"
    assert calls == []


def test_less_than_is_held_back_only_while_it_could_start_a_tag() -> None:
    parser = ToolCallParser()
    assert parser.feed("a <") == ("a ", [])  # could be the start of <tool_call>
    assert parser.feed("tool") == ("", [])  # still could
    assert parser.feed("s> b") == ("<tools> b", [])  # no: it is shown


def test_partial_tag_at_end_of_stream_is_flushed_as_text() -> None:
    parser = ToolCallParser()
    assert parser.feed("fin <tool_ca") == ("fin ", [])
    assert parser.finish() == ("<tool_ca", [])


def test_double_less_than_before_a_tag() -> None:
    text, calls = run(chars("<<tool_call>" + '{"name": "a"}' + "</tool_call>"))
    assert text == "<"
    assert [c.name for c in calls] == ["a"]


def test_bare_calls_in_a_tools_wrapper_or_a_fence() -> None:
    from jarvis.llm.toolcalls import could_be_bare_call, parse_bare_call

    names = {"start_timer"}
    wrapped = '<tools>\n{"name": "start_timer", "arguments": {"seconds": 5}}\n</tools>'
    for prefix in ("<", "<to", "<tools>", "`", "```json\n{", " {"):
        assert could_be_bare_call(prefix)
    assert not could_be_bare_call("Bonjour")
    assert not could_be_bare_call("<b>")
    call = parse_bare_call(wrapped, names)
    assert call is not None and call.name == "start_timer" and call.arguments == {"seconds": 5}
    fenced = parse_bare_call('```json\n{"name": "start_timer", "arguments": {}}\n```', names)
    assert fenced is not None and fenced.name == "start_timer"
    # A call to a tool that does not exist is still a call (the loop says there is no such tool): never spoken.
    unknown = parse_bare_call('<tools>{"name": "close_doors", "arguments": {}}</tools>', names)
    assert unknown is not None and unknown.name == "close_doors"
    # Other JSON, as a user may ask for, stays text.
    assert parse_bare_call('{"name": "Léa", "age": 7}', names) is None
    assert parse_bare_call('{"name": "Léa"}', names) is None


def test_bare_calls_with_doubled_or_unbalanced_braces() -> None:
    """Qwen copies its template's « {{ … }} » example, and sometimes closes it once too often."""
    from jarvis.llm.toolcalls import parse_bare_call

    names = {"get_weather", "start_timer"}
    for text in (
        '{{"name": "get_weather", "arguments": {}}}',
        '{{"name": "get_weather", "arguments": {}}}}',
        '{"name": "get_weather", "arguments": {}}}',
    ):
        call = parse_bare_call(text, names)
        assert call is not None and call.name == "get_weather" and call.arguments == {}, text
    doubled = parse_bare_call('{{"name": "start_timer", "arguments": {"seconds": 5}}}}', names)
    assert doubled is not None and doubled.arguments == {"seconds": 5}
    # Text after the call claims a result before the tool ran: the call is made, the text is not said.
    claimed = parse_bare_call(
        '{{"name": "start_timer", "arguments": {"seconds": 20}}}\n\nRappel : le minuteur est lancé.', names
    )
    assert claimed is not None and claimed.name == "start_timer" and claimed.arguments == {"seconds": 20}
    assert parse_bare_call('{"name": "Léa", "age": 7} puis du texte', names) is None
    assert parse_bare_call('{{"name": "get_weather", "arguments": {', names) is None


def test_the_name_of_a_call_being_written_is_known_before_its_arguments() -> None:
    """The chat loop stops the model at the name when the arguments cannot change the outcome."""
    parser = ToolCallParser()
    seen: list[str | None] = []
    pieces = ["Bon. ", "<tool", "_call>", '\n{"', 'name": "', "lock", "_door", '", "arg', 'uments": {"door": "', "x"]
    for piece in pieces:
        parser.feed(piece)
        seen.append(parser.naming())
    # Not before the closing quote (« lock » is not the name), and from then on until the call ends.
    assert seen == [None, None, None, None, None, None, None, "lock_door", "lock_door", "lock_door"]
    parser.feed('"}}</tool_call> Voilà.')
    assert parser.naming() is None and [c.name for c in parser.calls] == ["lock_door"]
    # Qwen's doubled braces; a name with an escape is left for the full parse.
    assert ToolCallParser(_pending='{{"name": "start_timer"', _in_call=True).naming() == "start_timer"
    assert ToolCallParser(_pending='{"name": "a\\"b"', _in_call=True).naming() is None


def test_a_bare_call_is_named_only_once_its_arguments_key_follows() -> None:
    """A reply of plain JSON may be what the user asked for (« {"name": "Léa", "age": 7} »): the name counts as a
    call's only once « "arguments" » comes after it."""
    from jarvis.llm.toolcalls import bare_call_naming

    assert bare_call_naming('{"name": "send_message", "arguments": {"to') == "send_message"
    assert bare_call_naming('```json\n{{"name": "send_message", "arguments"') == "send_message"
    assert bare_call_naming('<tools>{"name": "close_doors",  "arguments": ') == "close_doors"
    assert bare_call_naming('{"name": "send_message"') is None
    assert bare_call_naming('{"name": "Léa", "age": 7}') is None
    assert bare_call_naming("```json\n") is None
