"""Writes plausible Vietnamese news stories from the seeded vocabulary (pure: no I/O, no clock).

`write_headline(seed, story_id, ...)` and `write_body(seed, headline)` always return the same story for the same
arguments: every random choice comes from a `random.Random` seeded with the site seed and the story id, so a
story does not depend on how many others the site has. Each story draws a small cast (people, places,
organisations, topics) and writes its lead, paragraphs, sub-headings and captioned figures around it.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime

from crawler.newsroom import vocabulary as vocab
from crawler.newsroom.story import Block, Category, Story, slugify


@dataclass(frozen=True)
class Person:
    """Someone a story quotes: name, role, and the honorific ("Ông", "Bà") that goes before the name."""

    name: str
    role: str
    honorific: str


def capitalize(text: str) -> str:
    """Upper-case the first letter only (str.capitalize would lower-case proper names)."""
    return text[:1].upper() + text[1:]


def time_marker(moment: datetime) -> str:
    """How a Vietnamese lead opens: "Sáng 18/9", "Chiều 3/10", "Tối 21/9"."""
    part = "Sáng" if moment.hour < 11 else "Trưa" if moment.hour < 13 else "Chiều" if moment.hour < 18 else "Tối"
    return f"{part} {moment.day}/{moment.month}"


class _Slots(dict[str, str]):
    """Slot values of one sentence, drawn from the cast when the frame first names them."""

    def __init__(self, cast: _Cast) -> None:
        super().__init__()
        self.cast = cast

    def __missing__(self, name: str) -> str:
        value = self[name] = self.cast.draw(name, self)
        return value


class _Cast:
    """The people, places and subjects one story is about, and the slot values of its sentence frames.

    The cast is drawn from the story's own seeded generator, so the headline and the body (written later,
    from a second generator) speak about the same people and places.
    """

    def __init__(self, seed: int | str, story_id: int, category: Category, published: datetime) -> None:
        section = vocab.SECTIONS[category.name]
        places = vocab.WORLD_PLACES if category.name == "Thế giới" else vocab.PLACES
        rng = self.rng = random.Random(f"newsroom:{seed}:{story_id}")
        self.published = published
        self.orgs = rng.sample(section["orgs"], 2)
        self.places = rng.sample(places, 3)
        self.topics = rng.sample(section["topics"], 3)
        self.events = rng.sample(section["events"], 2)
        self.actions = section["actions"]
        self.people = [self._person(section["roles"]) for _ in range(3)]
        self.frames = rng.sample(vocab.SENTENCES, vocab.SENTENCES_PER_STORY)
        self._deck: list[str] = []

    def _person(self, roles: tuple[str, ...]) -> Person:
        rng = self.rng
        female = rng.random() < 0.4
        middle = "Thị" if female and rng.random() < 0.6 else rng.choice(vocab.MIDDLE_NAMES[2:])
        name = f"{rng.choice(vocab.SURNAMES)} {middle} {rng.choice(vocab.GIVEN_NAMES)}"
        return Person(name, rng.choice(roles), "Bà" if female else "Ông")

    def draw(self, name: str, filled: dict[str, str]) -> str:
        """The value of one slot of the sentence being written; a person's name, role and honorific go together."""
        rng = self.rng
        if name in ("person", "role", "honorific", "Honorific"):
            person = rng.choice(self.people)
            filled.update(person=person.name, role=person.role, honorific=person.honorific.lower())
            filled["Honorific"] = person.honorific
            return filled[name]
        match name:
            case "org":
                return self.orgs[0] if rng.random() < 0.7 else self.orgs[1]
            case "org2":
                return self.orgs[1]
            case "place":
                return rng.choice(self.places[:2])
            case "place2":
                return self.places[2]
            case "topic":
                return self.topics[0] if rng.random() < 0.6 else self.topics[1]
            case "topic2":
                return self.topics[2] if rng.random() < 0.6 else self.topics[1]
            case "event":
                return rng.choice(self.events)
            case "action":
                return rng.choice(self.actions)
            case "num":
                return f"{rng.randint(12, 4800):,}".replace(",", ".")
            case "num2":
                return str(rng.randint(3, 60))
            case "pct":
                return f"{rng.randint(3, 95)},{rng.randint(1, 9)}"
            case "money":
                return str(rng.randint(2, 950))
            case "period":
                return rng.choice(vocab.MONTH_WORDS)
            case "future":
                return rng.choice(vocab.FUTURE_WORDS)
            case "year":
                return str(self.published.year - rng.randint(3, 5))
            case "year2":
                return str(self.published.year)
            case "day":
                return f"{rng.randint(1, 28)}/{rng.randint(1, 12)}"
            case "quote":
                return rng.choice(vocab.QUOTES)
            case "when":
                return time_marker(self.published)
        raise KeyError(f"unknown slot {{{name}}} in a sentence frame")

    def fill(self, frame: str) -> str:
        """The frame with its slots filled (only the slots it names are drawn), first letter capitalised."""
        return capitalize(frame.format_map(_Slots(self)))

    def sentence(self) -> str:
        """The next sentence, dealing the frames like a shuffled deck so a story rarely repeats one."""
        if not self._deck:
            self._deck = list(self.frames)
            self.rng.shuffle(self._deck)
        return self.fill(self._deck.pop())


def _paragraph(cast: _Cast) -> str:
    return " ".join(cast.sentence() for _ in range(cast.rng.randint(2, 4)))


def _body(cast: _Cast, story_id: int, published: datetime) -> tuple[Block, ...]:
    rng = cast.rng
    length = rng.randint(7, 14)
    figure_at = set(rng.sample(range(1, length), rng.randint(1, min(4, length - 1))))
    # A sub-heading never ends the body and never follows another one.
    heading_at = {p for p in rng.sample(range(3, length - 1), rng.randint(0, 2)) if p not in figure_at}
    heading_at -= {p + 1 for p in heading_at}
    headings = iter(rng.sample(vocab.SUBHEADINGS, 2))
    blocks: list[Block] = []
    seen: set[str] = set()
    for position in range(length):
        if position in figure_at:
            text = cast.fill(rng.choice(vocab.CAPTIONS))
            image = f"/uploads/{published:%Y/%m/%d}/{slugify(text, 6)}-{story_id}-{position:02d}.png"
            blocks.append(Block("figure", text, credit=rng.choice(vocab.PHOTO_CREDITS), image=image))
        elif position in heading_at:
            blocks.append(Block("h2", next(headings)))
        else:
            text = _paragraph(cast)
            while text in seen:
                text = _paragraph(cast)
            seen.add(text)
            blocks.append(Block("p", text))
    return tuple(blocks)


def write_headline(
    seed: int | str,
    story_id: int,
    category: Category,
    published: datetime,
    *,
    layout: str = "onecms",
    json_ld: bool = False,
) -> Story:
    """The story `story_id` of the site seeded with `seed` without its body (cheap: listings need no more)."""
    cast = _Cast(seed, story_id, category, published)
    rng = cast.rng
    title = cast.fill(rng.choice(vocab.TITLES))
    lead = cast.fill(rng.choice(vocab.LEADS))
    author = f"{rng.choice(vocab.MIDDLE_NAMES[3:])} {rng.choice(vocab.GIVEN_NAMES)}"
    tags = tuple(dict.fromkeys([*cast.topics[:2], cast.places[0]]))
    return Story(
        id=story_id,
        category=category,
        slug=slugify(title),
        title=title,
        lead=lead,
        author=author,
        tags=tags,
        published=published,
        blocks=(),
        layout=layout,
        json_ld=json_ld,
    )


def write_body(seed: int | str, headline: Story) -> Story:
    """The full story of a headline made by `write_headline` with the same seed (same story every time)."""
    cast = _Cast(seed, headline.id, headline.category, headline.published)
    cast.rng = random.Random(f"newsroom:{seed}:{headline.id}:body")
    return replace(headline, blocks=_body(cast, headline.id, headline.published))


def to_nfd(story: Story) -> Story:
    """The same story with every text in decomposed form (NFD), as some CMSes emit Vietnamese."""

    def nfd(text: str) -> str:
        return unicodedata.normalize("NFD", text)

    blocks = tuple(replace(b, text=nfd(b.text), credit=nfd(b.credit) if b.credit else None) for b in story.blocks)
    return replace(
        story,
        title=nfd(story.title),
        lead=nfd(story.lead),
        author=nfd(story.author),
        tags=tuple(nfd(t) for t in story.tags),
        blocks=blocks,
    )
