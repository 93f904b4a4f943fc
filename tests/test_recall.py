"""The memory route: what the model's copied words stand for, and what later notes change."""

from typing import Any

from imagent.agent.ground import ground_gaps
from imagent.agent.updates import place
from imagent.backends.llm.base import text_of
from imagent.backends.llm.fake import FakeLLM
from imagent.core.types import Gap, GapRoute, GapStatus, Request
from imagent.memory.base import MemoryEntry

from .test_ground import ListMemory, ctx, gap


def said(content: str, session: str = "s1", **kw: Any) -> MemoryEntry:
    return MemoryEntry(user_id="u", session_id=session, content=content, **kw)


async def recalled(prompt: str, span: str, entries: list[MemoryEntry], copied: list[str]) -> Gap:
    llm = FakeLLM(responses=[{"phrases": copied}])
    [g] = await ground_gaps(
        [gap(GapRoute.MEMORY, span)],
        ctx(Request(prompt=prompt, user_id="u"), memory=ListMemory(entries), llm=llm),
    )
    return g


async def test_a_name_copied_for_my_dog_stands_for_what_the_user_said_about_the_dog() -> None:
    entries = [
        said("my dog is a golden retriever named Biscuit, he turns 5 next Saturday"),
        said("Noted: Biscuit, golden retriever, turning 5.", role="agent"),
        said("make a logo for my sister's bakery, she has a tabby cat called Pepper", "s2"),
    ]
    g = await recalled("a birthday card for my dog", "my dog", entries, ["Biscuit"])
    assert g.resolution == "my dog is a golden retriever named Biscuit, he turns 5 next Saturday"
    assert "Pepper" not in g.resolution


async def test_my_avatar_is_the_profile_and_what_the_user_said_about_themself() -> None:
    entries = [
        said("name: Rowan\nhair: short curly red hair\nglasses: round glasses", kind="profile"),
        said("draw a lighthouse at dusk", "s2"),
        said("i got a nose ring last week btw, a little silver hoop", "s2"),
    ]
    g = await recalled("draw my avatar at my desk", "my avatar", entries, ["Rowan"])
    value = g.resolution or ""
    for part in ("name: Rowan", "short curly red hair", "round glasses", "silver hoop"):
        assert part in value
    assert "lighthouse" not in value  # a request is not something said about oneself


async def test_a_later_note_moving_the_date_puts_the_new_date_in_place_of_the_old() -> None:
    entries = [
        said("Banner: 'Spring Fair' at Maple Hall, April 12, hand-lettered, green and yellow"),
        said("The fair's been moved to April 19, same place", "s2"),
    ]
    g = await recalled(
        "redo the banner from before",
        "the banner from before",
        entries,
        ["Banner: 'Spring Fair' at Maple Hall, April 12, hand-lettered, green and yellow"],
    )
    assert g.resolution == (
        "Banner: 'Spring Fair' at Maple Hall, April 19, hand-lettered, green and yellow"
    )
    # Both notes are the evidence: the banner and the note that moved it.
    assert [e.snippet for e in g.evidence] == [entries[0].content, entries[1].content]


async def test_a_swap_and_a_move_change_only_what_they_name() -> None:
    entries = [
        said("Draw a mascot for my ramen shop: a round orange fox named Noodle wearing a headband"),
        said("Love it - swap the headband for a little chef's hat", "s2"),
    ]
    g = await recalled("put our mascot on a mug", "our mascot", entries, ["Noodle"])
    assert g.resolution is not None
    assert "round orange fox named Noodle wearing a little chef's hat" in g.resolution
    assert "headband" not in g.resolution

    entries = [
        said(
            "running club: Riverside Striders\nmeetup: Sundays 7am at Harbour Park", kind="profile"
        ),
        said("our club moved the Sunday meetup to the Old Mill Bridge, same time", "s2"),
    ]
    # The model wrote "Sunday" for the note's "Sundays": the note's own words are kept.
    g = await recalled(
        "poster for our next meetup, usual spot and time",
        "usual spot and time",
        entries,
        ["Sunday 7am at Harbour Park"],
    )
    assert g.resolution == "Sundays 7am at Old Mill Bridge"


async def test_a_change_that_cannot_be_placed_follows_what_it_changes() -> None:
    entries = [
        said("I'm vegetarian - no meat or fish, but eggs and dairy are fine"),
        said("heads up, I've gone fully vegan since September, so no eggs or dairy either", "s2"),
        said("Thanks, I'll keep everything vegan.", "s2", role="agent"),
    ]
    llm = FakeLLM(responses=[{"phrases": ["vegetarian"]}])
    [g] = await ground_gaps(
        [gap(GapRoute.MEMORY, "what I eat")],
        ctx(
            Request(prompt="a dinner menu card, in line with what I eat", user_id="u"),
            memory=ListMemory(entries),
            llm=llm,
        ),
    )
    value = g.resolution or ""
    assert value.index("vegetarian") < value.index("gone fully vegan")
    # "what I eat" shares no word with the notes: a short memory is offered whole.
    assert "gone fully vegan" in text_of(llm.calls[0][0][1]["content"])


async def test_a_taste_is_the_words_copied_not_the_request_they_came_from() -> None:
    entries = [
        said("Make a product shot for our Aurora lamp: flat pastel illustration, lilac background"),
        said("our next launch is the Nimbus diffuser - white ceramic", "s2"),
    ]
    g = await recalled(
        "same style as last time but for the new product",
        "same style as last time",
        entries,
        ["flat pastel illustration", "lilac background"],
    )
    assert g.resolution == "flat pastel illustration; lilac background"


async def test_the_request_itself_can_move_what_it_points_back_to() -> None:
    entries = [said("帮我做一张读书会海报：周三晚上7点，地点‘半亩书屋’，标题‘夜读时光’")]
    g = await recalled(
        "把上次那张读书会海报改成周五的",
        "上次那张读书会海报",
        entries,
        ["读书会海报"],
    )
    assert g.status is GapStatus.RESOLVED
    assert "周五晚上7点" in (g.resolution or "") and "周三" not in (g.resolution or "")


def test_a_change_is_placed_only_where_it_is_unambiguous() -> None:
    two_dates = ["Fair on April 12, rain date April 13"]
    assert place(two_dates, "moved to April 19") is None
    assert place(["meet on Sundays at Oak Hall"], "still Sunday, same place") is None
    moved = place(["meet on Sunday at Oak Hall"], "we moved it to Monday")
    assert moved is not None and moved.texts == ["meet on Monday at Oak Hall"]
    # "to April 19" is a date, not a place called April.
    date = place(["Fair at Maple Hall, April 12"], "moved to April 19")
    assert date is not None and date.texts == ["Fair at Maple Hall, April 19"]
    # "change the date to May 3" is a date, not the word "date" swapped for "May 3".
    dated = place(["a save the date card, June 1"], "change the date to May 3")
    assert dated is not None and dated.texts == ["a save the date card, May 3"]
    swapped = place(["一只戴围巾的橘猫"], "把围巾换成帽子")
    assert swapped is not None and swapped.texts == ["一只戴帽子的橘猫"]


async def test_a_profile_about_what_the_phrase_names_stands_whole() -> None:
    entries = [
        said(
            "band: The Velvet Static\ngenre: shoegaze\nlogo: a cracked cassette tape",
            kind="profile",
        ),
        said(
            "home: 4 Orchard Lane\ngarden: walled cottage garden, lavender borders",
            "s2",
            kind="profile",
        ),
    ]
    g = await recalled("gig poster for my band", "my band", entries, ["The Velvet Static"])
    assert g.resolution == (
        "band: The Velvet Static; genre: shoegaze; logo: a cracked cassette tape"
    )
    g = await recalled("a drawing of my garden", "my garden", entries, ["garden"])
    assert g.resolution == "garden: walled cottage garden, lavender borders"  # not the address


async def test_another_persons_thing_of_the_same_kind_is_not_offered() -> None:
    entries = [
        said("finally bought my dream bike!! vintage Peugeot road bike, mint green frame"),
        said("my husband wants a drawing of his mountain bike too, a matte black Trek", "s2"),
    ]
    llm = FakeLLM(responses=[{"phrases": ["matte black Trek"]}])
    [g] = await ground_gaps(
        [gap(GapRoute.MEMORY, "my bike")],
        ctx(
            Request(prompt="draw my bike against a brick wall", user_id="u"),
            memory=ListMemory(entries),
            llm=llm,
        ),
    )
    assert "Trek" not in text_of(llm.calls[0][0][1]["content"])
    # The model's pick was not among the notes it was shown; the best match is the user's own.
    assert "Peugeot" in (g.resolution or "") and "Trek" not in (g.resolution or "")


def test_a_rename_replaces_the_one_name_it_renames() -> None:
    band = ["band: The Velvet Static", "genre: shoegaze"]
    renamed = place(band, "big news, we changed our name! we're Paper Satellites now")
    assert renamed is not None and renamed.texts == ["band: Paper Satellites", "genre: shoegaze"]
    shop = place(["我的咖啡店叫“豆语”"], "店改名叫“山间豆语”了")
    assert shop is not None and shop.texts == ["我的咖啡店叫“山间豆语”"]
    assert place(["The Velvet Static and Blue Owls"], "we renamed to Paper Satellites") is None
    # Two names, one of them what the thing is called: that one is renamed.
    owl = ["a mascot for Brookfield Primary: a barn owl called Professor Hoot, in a cap"]
    hoot = place(owl, "the pupils voted to rename him - he's Sir Hootsalot now")
    assert hoot is not None
    assert hoot.texts == [
        "a mascot for Brookfield Primary: a barn owl called Sir Hootsalot, in a cap"
    ]


async def test_when_the_model_picks_nothing_me_is_still_the_profile() -> None:
    entries = [
        said("name: Imani\ntattoo: a small swallow on my right forearm", kind="profile"),
        said("fyi I cut my braids off last month, it's a short natural afro now", "s2"),
    ]
    g = await recalled("portrait of me on a park bench", "portrait of me", entries, [])
    value = g.resolution or ""
    assert "swallow" in value and "afro" in value


async def test_what_the_user_said_before_about_their_parrot_comes_with_the_later_note() -> None:
    entries = [
        said("我养了只虎皮鹦鹉，叫“芒果”，黄绿色的羽毛"),
        said("帮我画一只猫", "s2"),
        said("芒果最近学会说“早上好”了！以后给它做表情包就配这句", "s2"),
    ]
    g = await recalled("给我家鹦鹉做个表情包", "我家鹦鹉", entries, ["芒果最近学会说“早上好”了"])
    value = g.resolution or ""
    assert value.index("虎皮鹦鹉") < value.index("早上好") and "猫" not in value


async def test_like_the_one_last_week_is_the_last_request_that_made_one() -> None:
    entries = [
        said("Need a send-off card for Tom: papercut style, plum and pale gold"),
        said("an icon for our team's Slack channel, pixel-art rocket please", "s2"),
    ]
    g = await recalled(
        "another card like the one last week, this one for Priya",
        "like the one last week",
        entries,
        [],
    )
    assert "papercut style, plum and pale gold" in (g.resolution or "")
    assert "rocket" not in (g.resolution or "")


async def test_the_assistant_s_reply_stands_for_the_request_it_answered() -> None:
    entries = [
        said("画一张我们家的全家福插画：我、老公、女儿小满，还有柯基‘土豆’，日系手绘风"),
        said("好的，这是你们一家在阳台上的日系手绘全家福，土豆也在。", role="agent"),
        said("帮我画一只猫", "s2"),
    ]
    reply = "好的，这是你们一家在阳台上的日系手绘全家福，土豆也在。"
    g = await recalled("上回那张全家福，换个冬天的背景", "上回那张全家福", entries, [reply])
    assert g.resolution == "一张我们家的全家福插画：我、老公、女儿小满，还有柯基‘土豆’，日系手绘风"


async def test_a_taste_leaves_out_what_a_later_note_gave_up() -> None:
    entries = [
        said("name: Theo\nfavourite colours: mustard yellow, navy", kind="profile"),
        said("honestly I've gone right off navy. these days it's mustard and sage green", "s2"),
    ]
    g = await recalled(
        "a phone wallpaper in the colours I like",
        "the colours I like",
        entries,
        ["mustard yellow, navy"],
    )
    assert g.resolution == "mustard yellow"
    # Also when the model copies from the note that gives it up.
    g = await recalled(
        "a phone wallpaper in the colours I like",
        "the colours I like",
        entries,
        ["mustard yellow", "navy", "mustard", "sage green"],
    )
    assert g.resolution == "mustard yellow; mustard; sage green"
    # Nothing given up: the copied words stay as they are.
    g = await recalled(
        "a phone wallpaper in the colours I like",
        "the colours I like",
        entries[:1],
        ["mustard yellow, navy"],
    )
    assert g.resolution == "mustard yellow, navy"
