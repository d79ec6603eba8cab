"""The knowledge base (经验库): cases and lessons from drills and real incidents, written once,
searchable in Chinese, shareable with the other communities of the street.

Who reads what: a user sees the lessons of the communities where they hold
`EMERGENCY_VIEW` (on the community, above it, or inside it: a grid worker sees their
community's), plus the lessons another community of the same street has `shared`. A street
officer holds the street, so sees all of its lessons. Writing, editing and sharing need
`EMERGENCY_PLAN` at the lesson's community.

Search (`lesson_search`) needs no word segmenter: it matches character trigrams.
- SQLite: an external-content FTS5 table `emergency_lesson_fts` (tokenizer `trigram`) over
  title, body and tags, kept in sync by triggers (migration 0004_lesson_search), ranked
  by bm25 (title weighs most).
- PostgreSQL: pg_trgm GIN indexes on title, body and tags; rows are found with ILIKE
  (which those indexes serve) and ranked by word similarity.
A trigram needs three characters: a query with a word of one or two characters falls back
to a scoped LIKE on every backend. The scope is applied inside the query, before the limit.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connection, transaction
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from gongzhi.accounts import access
from gongzhi.accounts.models import User
from gongzhi.accounts.policy import Perm
from gongzhi.audit.services import audit_record
from gongzhi.core import scope
from gongzhi.core.errors import NotFound
from gongzhi.emergency.models import Drill, EmergencyKind, Lesson, LessonSource
from gongzhi.registry.models import Area, AreaKind

SEARCH_LIMIT = 50
SNIPPET_CHARS = 36  # characters either side of the first hit
FTS_TABLE = "emergency_lesson_fts"
_WORD = re.compile(r"\w+", re.UNICODE)

# --- reads ------------------------------------------------------------------------------------


def _streets_of(paths: list[str]) -> list[str]:
    above = sorted({a for p in paths for a in scope.ancestors(p, inclusive=True)})
    if not above:
        return []
    return list(
        Area.objects.filter(kind=AreaKind.STREET, path__in=above).values_list("path", flat=True)
    )


def lessons_visible_to(user: Any) -> QuerySet[Lesson]:
    """The lessons the user may read: their communities' and those shared in their street."""
    own = Lesson.objects.restrict(user, Perm.EMERGENCY_VIEW, overlapping=True)
    streets = _streets_of(access.paths(user, Perm.EMERGENCY_VIEW))
    if not streets:
        return own
    return own | Lesson.objects.filter(shared=True, street_path__in=streets)


def lesson_get_for(*, user: Any, lesson_id: Any) -> Lesson:
    try:
        return lessons_visible_to(user).select_related("area", "drill").get(pk=int(lesson_id))
    except (Lesson.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def can_write(user: Any, lesson: Lesson) -> bool:
    return access.can(user, Perm.EMERGENCY_PLAN, lesson.area_path)


def communities_for_write(user: Any) -> QuerySet[Area]:
    held = access.paths(user, Perm.EMERGENCY_PLAN)
    qs = Area.objects.filter(kind=AreaKind.COMMUNITY, closed_at__isnull=True)
    return access.within_column(qs, "path", *held).order_by("path") if held else qs.none()


def community_get_for_write(*, user: Any, area_id: Any) -> Area:
    try:
        return communities_for_write(user).get(pk=int(area_id))
    except (Area.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


# --- search -----------------------------------------------------------------------------------


def search_terms(query: str) -> list[str]:
    """The words of a query (letters, digits and CJK characters); punctuation and spaces
    separate them. Nothing but punctuation: a ValidationError naming "q"."""
    terms = [t for t in _WORD.findall((query or "")[:200]) if t.strip("_")]
    if not terms:
        raise ValidationError({"q": _("Type the words to search for.")})
    seen: list[str] = []
    for term in terms:
        if term.lower() not in (s.lower() for s in seen):
            seen.append(term)
    return seen[:8]


def snippet(lesson: Lesson, terms: list[str]) -> SafeString:
    """Some text around the first hit in the body (or its start), the terms marked."""
    text = lesson.body or ""
    lowered = text.lower()
    hits = [lowered.find(t.lower()) for t in terms]
    hits = [h for h in hits if h >= 0]
    start = max(min(hits) - SNIPPET_CHARS, 0) if hits else 0
    piece = text[start : start + 2 * SNIPPET_CHARS + max(len(t) for t in terms)]
    marked = str(escape(piece))
    for term in sorted(terms, key=len, reverse=True):
        pattern = re.compile(re.escape(escape(term)), re.IGNORECASE)
        marked = pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", marked)
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + len(piece) < len(text) else ""
    return mark_safe(prefix + marked + suffix)  # noqa: S308 - escaped above, only <mark> added


def _like_filter(qs: QuerySet[Lesson], terms: list[str]) -> QuerySet[Lesson]:
    for term in terms:
        qs = qs.filter(Q(title__icontains=term) | Q(body__icontains=term) | Q(tags__icontains=term))
    return qs


def _like_ranked(qs: QuerySet[Lesson], terms: list[str]) -> list[Lesson]:
    title_hit = Q()
    for term in terms:
        title_hit &= Q(title__icontains=term)
    return list(
        _like_filter(qs, terms)
        .annotate(
            title_hit=Case(
                When(title_hit, then=Value(1)), default=Value(0), output_field=IntegerField()
            )
        )
        .order_by("-title_hit", "-created_at", "-id")[:SEARCH_LIMIT]
    )


def _sqlite_ranked(qs: QuerySet[Lesson], terms: list[str]) -> list[Lesson]:
    try:
        scoped_sql, scoped_params = qs.values_list("pk").query.sql_with_params()
    except EmptyResultSet:  # the user sees no lesson at all
        return []
    match = " AND ".join('"' + t.replace('"', '""') + '"' for t in terms)
    sql = (
        f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s "  # noqa: S608 - constants
        f"AND rowid IN ({scoped_sql}) "
        f"ORDER BY bm25({FTS_TABLE}, 10.0, 1.0, 5.0) LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, *scoped_params, SEARCH_LIMIT])
        ids = [row[0] for row in cursor.fetchall()]
    found = Lesson.objects.select_related("area").in_bulk(ids)
    return [found[i] for i in ids if i in found]


def _postgres_ranked(qs: QuerySet[Lesson], terms: list[str]) -> list[Lesson]:
    from django.contrib.postgres.search import TrigramWordSimilarity
    from django.db.models.functions import Greatest

    phrase = " ".join(terms)
    ranked = _like_filter(qs, terms).annotate(
        rank=Greatest(
            TrigramWordSimilarity(phrase, "title") * 2,
            TrigramWordSimilarity(phrase, "body"),
            TrigramWordSimilarity(phrase, "tags"),
        )
    )
    return list(ranked.order_by("-rank", "-created_at", "-id")[:SEARCH_LIMIT])


def lesson_search(
    user: Any, query: str, *, kind: str | None = None, area: Area | None = None
) -> list[Lesson]:
    """The lessons the user may read that contain every word of `query`, best first (at
    most `SEARCH_LIMIT`), each with `.snippet` (the hit marked)."""
    terms = search_terms(query)
    qs = lessons_visible_to(user)
    if kind:
        if kind not in EmergencyKind.values:
            raise ValidationError({"kind": _("Choose a kind of emergency from the list.")})
        qs = qs.filter(kind=kind)
    if area is not None:
        qs = (
            access.within_column(qs, "area_path", area.path)
            if area.kind != AreaKind.STREET
            else qs.filter(street_path=area.path)
        )
    if any(len(t) < 3 for t in terms):
        rows = _like_ranked(qs.select_related("area"), terms)
    elif connection.vendor == "sqlite":
        rows = _sqlite_ranked(qs, terms)
    elif connection.vendor == "postgresql":
        rows = _postgres_ranked(qs.select_related("area"), terms)
    else:
        rows = _like_ranked(qs.select_related("area"), terms)
    for row in rows:
        row.snippet = snippet(row, terms)  # type: ignore[attr-defined]
    return rows


# --- writes -----------------------------------------------------------------------------------


def _street_path(community: Area) -> str:
    streets = _streets_of([community.path])
    return streets[-1] if streets else community.path


def _checked(
    *, title: str, body: str, tags: str, kind: str, source: str | None = None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = _("Give the lesson a title.")
    elif len(title) > 100:
        errors["title"] = _("A title has at most 100 characters.")
    if not body:
        errors["body"] = _("Write what happened and what was learnt.")
    elif len(body) > 10000:
        errors["body"] = _("A lesson has at most 10000 characters.")
    if len(tags) > 200:
        errors["tags"] = _("Keywords have at most 200 characters.")
    if kind not in EmergencyKind.values:
        errors["kind"] = _("Choose a kind of emergency from the list.")
    if source is not None and source not in LessonSource.values:
        errors["source"] = _("Choose where the lesson comes from.")
    return errors


def _clean_tags(tags: str) -> str:
    return " ".join(_WORD.findall(tags or ""))


def lesson_write(
    *,
    actor: User | None,
    area: Area,
    source: str,
    kind: str,
    title: str,
    body: str,
    tags: str = "",
    occurred_on: dt.date | None = None,
    shared: bool = False,
    drill: Drill | None = None,
) -> Lesson:
    """A lesson of the community `area` (its street is where sharing reaches)."""
    if area.kind != AreaKind.COMMUNITY:
        raise ValidationError({"area": _("Lessons belong to a community: choose a community.")})
    access.require(actor, Perm.EMERGENCY_PLAN, area.path)
    title, body, tags = (title or "").strip(), (body or "").strip(), _clean_tags(tags)
    errors = _checked(title=title, body=body, tags=tags, kind=kind, source=source)
    if drill is not None and drill.area_path != area.path:
        errors["drill"] = _("The drill must be one of the lesson's community.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        lesson = Lesson.objects.create(
            area=area,
            area_path=area.path,
            street_path=_street_path(area),
            source=source,
            kind=kind,
            title=title,
            body=body,
            tags=tags,
            drill=drill,
            occurred_on=occurred_on,
            shared=bool(shared),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="lesson.write",
            obj=lesson,
            area_path=area.path,
            purpose=f"source {source}; kind {kind}" + ("; shared" if shared else ""),
        )
    return lesson


def lesson_edit(
    *,
    actor: User | None,
    lesson: Lesson,
    kind: str,
    title: str,
    body: str,
    tags: str = "",
    occurred_on: dt.date | None = None,
) -> Lesson:
    access.require(actor, Perm.EMERGENCY_PLAN, lesson.area_path)
    title, body, tags = (title or "").strip(), (body or "").strip(), _clean_tags(tags)
    errors = _checked(title=title, body=body, tags=tags, kind=kind)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Lesson.objects.select_for_update().get(pk=lesson.pk)
        values = {
            "kind": kind,
            "title": title,
            "body": body,
            "tags": tags,
            "occurred_on": occurred_on,
        }
        changed = [name for name, value in values.items() if getattr(locked, name) != value]
        for name in changed:
            setattr(locked, name, values[name])
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
            audit_record(
                actor=actor,
                action="lesson.edit",
                obj=locked,
                area_path=locked.area_path,
                fields=changed,
            )
    return locked


def lesson_share(*, actor: User | None, lesson: Lesson, shared: bool) -> Lesson:
    """Share the lesson with every community of its street, or take it back."""
    access.require(actor, Perm.EMERGENCY_PLAN, lesson.area_path)
    with transaction.atomic():
        locked = Lesson.objects.select_for_update().get(pk=lesson.pk)
        if locked.shared != bool(shared):
            locked.shared = bool(shared)
            locked.save(update_fields=["shared", "updated_at"])
            audit_record(
                actor=actor,
                action="lesson.share" if shared else "lesson.unshare",
                obj=locked,
                area_path=locked.area_path,
            )
    return locked
