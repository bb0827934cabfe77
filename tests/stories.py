"""Small hand-written news stories for tests (our own text, free to commit).

Three outlets cover one story (a dock strike); one uses loaded wording and carries
boilerplate, one makes a claim nobody else makes. A second story (a comet) is unrelated.
"""

from __future__ import annotations

from service.models import Article, Summary, SummarySentence

STRIKE_A = """(Photo : Photo credit should read John Doe/AFP via Getty Images)
Dock workers at the port of Valmora walked off the job on Monday, halting cargo traffic.

Dock workers at the port of Valmora began a strike on Monday over pay and safety rules, the union said.
The strike halted the loading of about 40 container ships, port officials said.
Read Also: Ten things to know about shipping costs this winter
The union is demanding a 12 percent pay rise and new safety inspections after two accidents last year.
The regime's relentless crackdown on unions has made the dictator deeply unpopular with workers.
Port officials said talks with the union would resume on Wednesday.
Share this article
Subscribe to our newsletter for daily updates.
"""

STRIKE_B = """Dock workers at the port of Valmora went on strike on Monday, demanding better pay and safety rules.
About 40 container ships were left waiting because loading stopped, according to port officials.
The union wants a 12 percent pay rise and more safety inspections following two accidents last year.
Talks between port officials and the union are set to resume on Wednesday.
Exporters warned that fruit shipments could spoil within days if the stoppage continues.
"""

STRIKE_C = """Workers at the port of Valmora started a strike on Monday over pay and safety.
The walkout stopped loading at the port, where about 40 container ships are waiting, officials said.
Negotiations between the union and port officials will resume on Wednesday, the port said.
The transport minister said the government would not intervene in the dispute for now.
"""

COMET = """Astronomers at the Altamira observatory reported a new comet on Friday.
The comet, named C/2026 K1, will pass closest to the Sun in March next year.
It may become visible to the naked eye from the southern hemisphere, the astronomers said.
The observatory said amateur astronomers first spotted the faint object in September.
"""


def strike_articles() -> list[Article]:
    return [
        Article(id="a", title="Valmora dock workers strike", text=STRIKE_A, source="Outlet A"),
        Article(id="b", title="Port of Valmora strike", text=STRIKE_B, source="Outlet B"),
        Article(id="c", title="Valmora port walkout", text=STRIKE_C, source="Outlet C"),
    ]


def comet_article() -> Article:
    return Article(id="comet", title="New comet found", text=COMET, source="Science Daily")


def denial_article() -> Article:
    """A story about an accusation: its one sentence holds a loaded word, reported."""
    return Article(
        id="a",
        outlet="Metro Times",
        title="President answers critics",
        text="President Trump on Tuesday insisted he is not a racist amid sustained "
        "criticism of his attacks on four progressive congresswomen.",
    )


def ferry_articles() -> list[Article]:
    """One sinking, three outlets, two death tolls (35 and 40): a disagreement to state."""
    return [
        Article(
            id="a",
            source="Outlet A",
            text="A ferry capsized off the coast of Valmora on Monday. At least 35 people died in"
            " the accident, the coast guard said. Rescue boats searched the area overnight.",
        ),
        Article(
            id="b",
            source="Outlet B",
            text="A passenger ferry sank near Valmora on Monday. Local officials said 40 people were"
            " killed. Survivors were taken to the port hospital.",
        ),
        Article(
            id="c",
            source="Outlet C",
            text="A ferry went down near Valmora on Monday. Survivors were taken to the port"
            " hospital, where relatives waited for news.",
        ),
    ]


def draft_summary(*sentences: tuple[str, list[int]]) -> Summary:
    """A summary as a backend hands it to the verifier: each sentence with its citations."""
    return Summary(
        sentences=[SummarySentence(text=t, citations=c, article_ids=[]) for t, c in sentences],
        backend="test",
    )
