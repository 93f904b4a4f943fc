"""A picture of a fixed kind gets what the kind needs, whatever the planner model wrote."""

import pytest

from imagent.agent.planning.kinds import with_structure

from .helpers import tracer


@pytest.mark.parametrize(
    "prompt",
    [
        "a corn maze photographed from a drone",
        "Labyrinth puzzle for the back of a kids' menu",
        "帮小朋友画个迷宫游戏：小老鼠要找到奶酪",
    ],
)
def test_a_maze_in_other_words_is_still_a_maze(prompt: str) -> None:
    assert len(with_structure(prompt, [], tracer())) == 3


def test_a_maze_gets_a_start_an_exit_one_way_through_and_dead_ends() -> None:
    details = with_structure("a maze for kids, start top-left, exit bottom-right", [], tracer())
    assert "one clearly marked start and one clearly marked exit" in details
    assert "exactly one solution path from the start to the exit" in details
    assert "dead ends branch off the solution path" in details


def test_a_model_detail_that_makes_the_maze_unsolvable_as_a_puzzle_is_dropped() -> None:
    t = tracer()
    model = ["dead ends are not allowed", "no loops", "hedges two metres tall"]
    details = with_structure("a hedge maze for a puzzle book", model, t)
    assert "dead ends are not allowed" not in details
    assert "no loops" in details and "hedges two metres tall" in details
    zh = with_structure("画一个迷宫，入口在左边", ["迷宫有四个入口和四个出口"], tracer())
    assert zh[:3] == ["起点和出口清楚标出", "只有一条从起点到出口的路线", "其余岔路都是死路"]
    assert "迷宫有四个入口和四个出口" not in zh


@pytest.mark.parametrize(
    "prompt",
    [
        "a maze-like alley at night",
        "an amazed crowd at a concert",
        "a red bicycle",
        "a fan poster for The Maze Runner",  # a title, not a maze to draw
    ],
)
def test_other_pictures_get_nothing(prompt: str) -> None:
    assert with_structure(prompt, ["soft light"], tracer()) == ["soft light"]


def test_a_compass_side_is_placed_on_a_picture_seen_from_above() -> None:
    details = with_structure(
        "a garden hedge maze seen from above, entrance on the south side", [], tracer()
    )
    assert "the entrance on the south side, toward the bottom of the picture" in details
    zh = with_structure("一张小镇地图，车站在北边", [], tracer())
    assert "车站在北边，即画面上方" in zh
    # A house seen from the street has no "bottom" for south.
    assert with_structure("a house with a porch on the south side", [], tracer()) == []


@pytest.mark.parametrize(
    "prompt,order",
    [
        (
            "a trail map from the car park to the waterfall via the old mill and the footbridge",
            "the route goes the car park → the old mill → the footbridge → the waterfall",
        ),
        (
            "a route from Hall A to the exit through the cafeteria, drawn as a dashed line",
            "the route goes Hall A → the cafeteria → the exit",
        ),
        (
            "画一张藏宝图，从码头出发，经过灯塔和山洞，最后到达宝藏",
            "路线依次经过：码头 → 灯塔 → 山洞 → 宝藏",
        ),
    ],
)
def test_a_route_says_the_order_of_its_stops(prompt: str, order: str) -> None:
    assert any(detail.startswith(order) for detail in with_structure(prompt, [], tracer()))


@pytest.mark.parametrize(
    "prompt", ["a road trip from Paris to Rome", "a card from me to you, via my sister"]
)
def test_no_route_no_order(prompt: str) -> None:
    assert with_structure(prompt, [], tracer()) == []


@pytest.mark.parametrize(
    ("prompt", "hands"),
    [
        (
            "a clock showing three o'clock",
            ["hour hand pointing at 3", "minute hand pointing at 12"],
        ),
        (
            "an alarm clock at quarter to seven",
            ["hour hand between 6 and 7, close to 7", "minute hand pointing at 9"],
        ),
        (
            "a wall clock at half past six",
            ["hour hand halfway between 6 and 7", "minute hand pointing at 6"],
        ),
        (
            "a grandfather clock at 11:55",
            ["hour hand between 11 and 12, close to 12", "minute hand pointing at 11"],
        ),
        (
            "a pocket watch reading twenty past eight.",
            ["hour hand between 8 and 9", "minute hand pointing at 4"],
        ),
        ("画一个挂钟，时间是三点整", ["时针指向3", "分针指向12"]),
        ("差一刻四点的挂钟", ["时针在3和4之间，靠近4", "分针指向9"]),
        ("手表指向十点十分", ["时针在10和11之间", "分针指向2"]),
    ],
)
def test_a_clock_face_gets_its_hands_placed_for_the_time_asked(
    prompt: str, hands: list[str]
) -> None:
    assert with_structure(prompt, [], tracer()) == hands


@pytest.mark.parametrize(
    "prompt",
    [
        "a digital clock showing 7:45",  # no hands
        "a clock tower in a town of 5 to 10 houses",  # a count, not a time
        "画一个可爱一点的闹钟",  # "a bit cuter", not one o'clock
        "a poster for the 7:45 train",  # a time, but no clock face
    ],
)
def test_no_hands_where_there_is_no_clock_face_or_no_time(prompt: str) -> None:
    assert with_structure(prompt, [], tracer()) == []


def test_a_model_detail_about_the_hands_gives_way_to_the_time() -> None:
    t = tracer()
    details = with_structure(
        "a cozy kitchen wall clock at quarter to seven",
        ["minute hand pointing at 7", "a red frame"],
        t,
    )
    assert details == [
        "hour hand between 6 and 7, close to 7",
        "minute hand pointing at 9",
        "a red frame",
    ]
    assert any("the hands follow from the time" in str(e) for e in t.events)


@pytest.mark.parametrize(
    ("prompt", "hands"),
    [
        ("画一个钟，21:15", ["时针在9和10之间", "分针指向3"]),  # 24-hour times, modulo 12
        (
            "a station clock at 15:30",
            ["hour hand halfway between 3 and 4", "minute hand pointing at 6"],
        ),
    ],
)
def test_a_24_hour_time_is_read_on_a_12_hour_face(prompt: str, hands: list[str]) -> None:
    assert with_structure(prompt, [], tracer()) == hands


@pytest.mark.parametrize(
    "prompt",
    [
        "a tea party at 4 o'clock with 3 friends",  # the clock of "o'clock" is not a clock
        "a man watches the sunset at 7:30",  # the verb, not a watch
    ],
)
def test_a_time_without_a_clock_face_places_no_hands(prompt: str) -> None:
    assert with_structure(prompt, ["a couple holding hands"], tracer()) == [
        "a couple holding hands"
    ]


def test_people_s_hands_are_not_a_clock_s() -> None:
    details = with_structure(
        "a grandfather clock at 11:55", ["a child with raised hands"], tracer()
    )
    assert "a child with raised hands" in details
