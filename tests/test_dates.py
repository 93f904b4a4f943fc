from datetime import date

import pytest

from imagent.agent.dates import target_day
from imagent.agent.extract import day_pattern

WEDNESDAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    "text,day",
    [
        ("weather card for tomorrow in Lisbon", date(2026, 11, 26)),
        ("后天北京天气怎么样", date(2026, 11, 27)),
        ("the day before yesterday's match", date(2026, 11, 23)),
        ("a half marathon in Oslo this Sunday", date(2026, 11, 29)),
        ("each with last Friday's close", date(2026, 11, 20)),
        ("上周五的收盘价", date(2026, 11, 20)),
        ("周日的天气", date(2026, 11, 29)),
        ("a weather widget for Reykjavik on December 1st", date(2026, 12, 1)),
        ("the closing price on Nov 20", date(2026, 11, 20)),
        ("12月1日的天气", date(2026, 12, 1)),
        ("the close on 2026-11-24", date(2026, 11, 24)),
        ("today's weather", WEDNESDAY),
        ("a dog on a beach", None),
    ],
)
def test_the_day_a_request_names(text: str, day: date | None) -> None:
    assert target_day(text, WEDNESDAY) == day


@pytest.mark.parametrize(
    "text", ["Thursday 26 November: rain", "Nov 26: rain", "2026-11-26 rain", "11月26日:小雪"]
)
def test_sources_name_a_day_in_many_ways(text: str) -> None:
    assert day_pattern(date(2026, 11, 26)).search(text)
    assert not day_pattern(date(2026, 11, 27)).search(text)
