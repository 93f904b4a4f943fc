"""The knowledge base over real files: .txt, .md, .html and .pdf (Chinese included); re-adding
is a no-op, a changed file replaces its passages, BM25 ranks sanely."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from imagent.backends.search.local import LocalSearch
from imagent.kb import Document, DocumentError, KnowledgeBase, read_document
from imagent.settings import ProviderSettings, Settings
from tests.kb_files import make_pdf


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    (docs / "deeper").mkdir(parents=True)
    (docs / "ferry.txt").write_text(
        "Tessaly ferry timetable\n\nThe first Tessaly ferry leaves Port Amrel at 06:40 every "
        "weekday. On Sundays the first ferry leaves at 08:15.\n",
        encoding="utf-8",
    )
    (docs / "film.md").write_text(
        "---\ntitle: 第98届金穗奖\ndate: 2026-03-02\n---\n# 第98届金穗奖\n\n"
        "第98届金穗奖**最佳影片**是《雾中灯塔》，颁奖典礼在杭州举行。最佳导演是林晓岚。\n",
        encoding="utf-8",
    )
    (docs / "lighthouse.html").write_text(
        "<html><head><title>The Vellmar lighthouse</title>"
        '<meta property="article:published_time" content="2026-05-01T10:00:00Z"></head>'
        "<body><nav>Home | Lighthouses | Contact</nav><h1>Vellmar</h1>"
        "<p>The Vellmar lighthouse is 41 metres tall and was first lit in 1887.</p>"
        "</body></html>",
        encoding="utf-8",
    )
    make_pdf(
        docs / "deeper" / "report.pdf",
        [
            "Quarterly report of the Orsk Rail Company",
            "Orsk Rail carried 48,210 passengers in the third quarter of 2026.",
            "奥尔斯克铁路第三季度客运量为四万八千人。",
        ],
        title="Orsk Rail Q3 2026",
        mod_date="D:20261002120000Z",
    )
    (docs / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")  # not a document: skipped
    return docs


def add_folder(kb: KnowledgeBase, folder: Path) -> list[str]:
    files = sorted(p for p in folder.rglob("*") if p.suffix in {".txt", ".md", ".html", ".pdf"})
    return [kb.add_file(f).status for f in files]


def test_every_format_is_read_with_title_and_date(folder: Path) -> None:
    film = read_document(folder / "film.md")
    assert film.title == "第98届金穗奖" and film.date == "2026-03-02" and "**" not in film.text
    page = read_document(folder / "lighthouse.html")
    assert page.title == "The Vellmar lighthouse" and page.date == "2026-05-01"
    assert "Contact" not in page.text and "41 metres" in page.text  # nav dropped
    report = read_document(folder / "deeper" / "report.pdf")
    assert report.title == "Orsk Rail Q3 2026" and report.date == "2026-10-02"
    assert "四万八千人" in report.text and report.kind == "pdf"
    notes = read_document(folder / "ferry.txt")
    assert notes.title == "Tessaly ferry timetable" and notes.url == (folder / "ferry.txt").as_uri()
    with pytest.raises(DocumentError, match=r"unsupported file type '\.png'"):
        read_document(folder / "photo.png")


@pytest.mark.parametrize(
    "text,day",
    [
        ("Lisbon forecast\nPublished: 20 November 2025\n\nSunny, high 19 °C.", "2025-11-20"),
        ("# Kessel news\n\n*Updated Nov 24, 2025 at 10:00*\n\nFilming ended.", "2025-11-24"),
        ("银杏杯决赛\n发布时间：2025年11月18日\n韩墨川夺冠。", "2025-11-18"),
    ],
)
def test_a_date_written_at_the_top_beats_the_file_time(tmp_path: Path, text: str, day: str) -> None:
    """A page saved today that says it was published last year is last year's news."""
    path = tmp_path / ("note.md" if text.startswith("#") else "note.txt")
    path.write_text(text, encoding="utf-8")
    assert read_document(path).date == day


def test_without_a_written_date_the_file_time_is_the_date(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_text("Ferry notes\nThe date of the party is not set yet.", encoding="utf-8")
    os.utime(path, (1_700_000_000, 1_700_000_000))  # 2023-11-14
    assert read_document(path).date == "2023-11-14"


def test_search_finds_facts_only_these_documents_hold(folder: Path, tmp_path: Path) -> None:
    kb = KnowledgeBase(tmp_path / "kb.db")
    assert add_folder(kb, folder) == ["added"] * 4
    assert kb.search("When does the first Tessaly ferry leave on Sundays?", 1)[0].text.endswith(
        "08:15."
    )
    assert "41 metres" in kb.search("how tall is the Vellmar lighthouse", 1)[0].text
    assert "48,210" in kb.search("Orsk Rail passengers third quarter", 1)[0].text
    assert (
        "雾中灯塔" in kb.search("第98届金穗奖最佳影片是哪部", 1)[0].text
    )  # inside a Chinese sentence
    assert "四万八千" in kb.search("铁路客运量", 1)[0].text  # two-character words
    assert kb.search("quantum chromodynamics", 5) == []


def test_re_adding_unchanged_files_is_a_no_op(folder: Path, tmp_path: Path) -> None:
    kb = KnowledgeBase(tmp_path / "kb.db")
    add_folder(kb, folder)
    passages_before = sum(d.passages for d in kb.documents())
    assert add_folder(kb, folder) == ["unchanged"] * 4
    (folder / "ferry.txt").touch()  # a new mtime, the same bytes
    assert kb.add_file(folder / "ferry.txt").status == "unchanged"
    assert sum(d.passages for d in kb.documents()) == passages_before


def test_a_changed_file_replaces_its_passages(folder: Path, tmp_path: Path) -> None:
    kb = KnowledgeBase(tmp_path / "kb.db")
    add_folder(kb, folder)
    ferry = folder / "ferry.txt"
    ferry.write_text("Tessaly ferry timetable\n\nFrom December the first ferry leaves at 07:05.\n")
    os.utime(ferry, (1_800_000_000, 1_800_000_000))
    result = kb.add_file(ferry)
    assert result.status == "updated" and result.passages == 1
    assert kb.search("first Tessaly ferry Sundays 08:15", 5)[0].text.endswith("07:05.")
    assert not any("08:15" in hit.text for hit in kb.search("08:15 Sundays", 5))
    assert len(kb.documents()) == 4


def test_bm25_ranks_the_document_about_the_terms_first(tmp_path: Path) -> None:
    kb = KnowledgeBase(tmp_path / "kb.db")
    kb.add_document(Document(title="Kestrel gardens", text="Opening hours of the kestrel gardens."))
    kb.add_document(Document(title="City guide", text="Parks, museums, and the kestrel statue."))
    kb.add_document(
        Document(
            title="Kestrel breeding report",
            text="Kestrel pairs nested early. Kestrel chicks fledged in June.",
        )
    )
    titles = [hit.title for hit in kb.search("kestrel breeding", 3)]
    assert titles[0] == "Kestrel breeding report"  # the rarer term and the most mentions
    assert titles[-1] == "City guide"  # one passing mention, not in the title
    scores = [hit.score for hit in kb.search("kestrel breeding", 3)]
    assert scores == sorted(scores, reverse=True)


def test_remove_and_migrations(folder: Path, tmp_path: Path) -> None:
    kb = KnowledgeBase(tmp_path / "kb.db")
    add_folder(kb, folder)
    assert kb.remove(str(folder / "ferry.txt")) and not kb.remove(str(folder / "ferry.txt"))
    assert kb.search("Tessaly ferry", 5) == []
    kb.close()
    with sqlite3.connect(tmp_path / "kb.db") as conn:
        names = [n for (n,) in conn.execute("SELECT name FROM schema_migrations")]
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        orphans = conn.execute("SELECT count(*) FROM passages_words").fetchone()[0]
        passages = conn.execute("SELECT count(*) FROM passages").fetchone()[0]
    assert names == ["0001_documents_and_passages"] and mode == "wal"
    assert orphans == passages  # the full-text rows left with their passages


def test_a_pdf_without_text_is_reported_empty(tmp_path: Path) -> None:
    kb = KnowledgeBase(tmp_path / "kb.db")
    scanned = make_pdf(tmp_path / "scan.pdf", [])
    assert kb.add_file(scanned).status == "empty" and kb.documents() == []
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\nthis is not a pdf")
    with pytest.raises(DocumentError, match="not a readable PDF"):
        kb.add_file(broken)


async def test_local_backend_reads_the_knowledge_base_file(
    folder: Path, settings: Settings
) -> None:
    kb = KnowledgeBase(settings.home / "kb.db")
    add_folder(kb, folder)
    kb.close()
    search = LocalSearch(settings=settings)
    hits = await search.search("Vellmar lighthouse height", k=2)
    await search.aclose()
    assert search.id == "local" and hits[0].provider == "local" and hits[0].date == "2026-05-01"
    assert hits[0].url == (folder / "lighthouse.html").resolve().as_uri()


async def test_local_backend_over_documents_in_memory(settings: Settings) -> None:
    search = LocalSearch(
        settings=settings,
        documents=[
            {
                "title": "Hangzhou",
                "url": "https://a.example",
                "text": "Tomorrow in Hangzhou: light rain.",
                "date": "Nov 25, 2026",
            }
        ],
    )
    (hit,) = await search.search("Hangzhou weather tomorrow", k=3)
    assert (hit.url, hit.date) == ("https://a.example", "2026-11-25")
    assert not (settings.home / "kb.db").exists()  # nothing written to the user's data


async def test_an_empty_knowledge_base_says_how_to_fill_it(settings: Settings) -> None:
    outcome = await LocalSearch(settings=settings).lookup("anything at all", k=3)
    assert outcome.hits == [] and "imagent kb add" in outcome.warnings[0]


def test_rerank_option_is_checked(settings: Settings) -> None:
    bad = settings.model_copy(
        update={"providers": {"local": ProviderSettings(options={"rerank": "maybe"})}}
    )
    with pytest.raises(Exception, match="expected auto, true or false"):
        LocalSearch(settings=bad)
