"""The register over REST: areas, households, persons, tags.

Thin operations: parse the request, call one selector or service, return. Objects by id
come only from the `*_get_for` selectors (missing and out-of-scope alike are 404); every
write goes through `registry.services`, which checks the permission, validates and audits.
Resident ID numbers and phones are always the masked text; the full value only comes from
`reveal`, with a purpose, for roles that may see it.
"""

import datetime as dt
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core import clock, identity
from gongzhi.core.api_schemas import (
    ERRORS,
    ID_MAX,
    WRITE_ERRORS,
    Clean,
    Id,
    In,
    Page,
)
from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.core.identity import NAME_MAX
from gongzhi.registry import policy, selectors, services
from gongzhi.registry.models import (
    Area,
    AreaKind,
    Gender,
    HouseholdStatus,
    Person,
    Relation,
    Residency,
)
from gongzhi.registry.proxy_api import router as proxy_router
from gongzhi.registry.transfer_api import router as transfer_router

router = Router(tags=["register"])

QUERY_MAX = 100
TAG_MAX = 40
ID_NUMBER_MAX = 32  # 18 characters, with room for the spaces and dashes people type
PHONE_MAX = 32


# --- schemas -----------------------------------------------------------------------------------


class AreaOut(Schema):
    id: int
    kind: str
    name: str
    code: str
    parent_id: int | None
    compound_id: int | None
    grid_level: int | None
    units: int | None = Field(description="buildings: number of units (单元)")
    floors: int | None
    rooms_per_floor: int | None = Field(description="buildings: dwellings per floor and unit")
    closed: bool = Field(description="a closed area keeps its rows but takes nothing new")
    closed_at: dt.datetime | None

    @staticmethod
    def resolve_closed(obj: Area) -> bool:
        return obj.is_closed


class AreaFiltersIn(Clean):
    kind: AreaKind | None = None
    parent_id: Id | None = None


Dimension = Annotated[int, Field(ge=1, le=200)]


class AreaCreateIn(In):
    parent: Id = Field(description="id of the node above")
    kind: AreaKind
    name: str = Field(max_length=100)
    code: str = Field(
        "", max_length=40, description="empty: the next free code under the parent (compound)"
    )
    compound: Id | None = Field(None, description="buildings only: id of their compound")
    units: Dimension | None = None
    floors: Dimension | None = None
    rooms_per_floor: Dimension | None = None


class AreaUpdateIn(In):
    name: str | None = Field(None, max_length=100)
    units: Dimension | None = Field(None, description="buildings only")
    floors: Dimension | None = Field(None, description="buildings only")
    rooms_per_floor: Dimension | None = Field(None, description="buildings only")


class AreaMoveIn(In):
    parent: Id = Field(description="id of the grid (or community) to move under")
    note: str = Field("", max_length=500)


class AreaCloseIn(In):
    note: str = Field("", max_length=500, description="why; kept in the area's history")


class GeometryIn(In):
    """A GeoJSON geometry (WGS 84, [longitude, latitude]): Polygon or MultiPolygon for a
    grid, compound or community, Point for a building."""

    type: Literal["Point", "Polygon", "MultiPolygon"]
    coordinates: list[Any]


class FeatureOut(Schema):
    type: Literal["Feature"] = "Feature"
    id: int
    geometry: dict[str, Any] | None
    properties: dict[str, Any]


class FeatureCollectionOut(Schema):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[FeatureOut]


def _feature(area: Area) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": area.pk,
        "geometry": area.geometry,
        "properties": {
            "code": area.code,
            "name": area.name,
            "kind": area.kind,
            "grid_level": area.grid_level,
            "closed": area.is_closed,
        },
    }


class HouseholdOut(Schema):
    id: int
    community_id: int
    building_id: int
    unit: str
    room: str
    address: str
    status: str
    head_id: int | None
    notes: str
    updated_at: dt.datetime


class HouseholdFiltersIn(Clean):
    q: str = Field("", max_length=QUERY_MAX, description="address, or a member's name, ID, phone")
    area_id: Id | None = Field(None, description="a grid, community, building … in scope")
    tag: str = Field("", max_length=TAG_MAX, description="a present member has this tag")
    status: HouseholdStatus | None = None


class HouseholdCreateIn(In):
    building: Id = Field(description="id of the building")
    unit: str = Field("", max_length=services.UNIT_MAX)
    room: str = Field(max_length=services.ROOM_MAX)
    status: HouseholdStatus = HouseholdStatus.ACTIVE
    notes: str = Field("", max_length=services.NOTES_MAX)


class HouseholdUpdateIn(In):
    unit: str | None = Field(None, max_length=services.UNIT_MAX)
    room: str | None = Field(None, max_length=services.ROOM_MAX)
    status: HouseholdStatus | None = None
    notes: str | None = Field(None, max_length=services.NOTES_MAX)
    head: Id | None = Field(None, description="id of a present member, or null for none")


class HouseholdMoveIn(In):
    building: Id = Field(description="id of a building in the same community")
    unit: str = Field("", max_length=services.UNIT_MAX)
    room: str = Field(max_length=services.ROOM_MAX)


class PersonOut(Schema):
    id: int
    household_id: int
    address: str
    name: str
    gender: str
    birth_date: dt.date | None = Field(
        description="only for roles with register.reveal on the person; null for others"
    )
    birth_year: int
    age: int
    id_number: str = Field(description="always masked")
    phone: str = Field(description="always masked")
    ethnicity: str
    relation: str
    residency: str
    moved_in_on: dt.date | None
    moved_out_on: dt.date | None
    tags: list[str]
    notes: str
    version: int

    @staticmethod
    def resolve_address(obj: Person) -> str:
        return obj.household.address

    @staticmethod
    def resolve_birth_date(obj: Person, context: Any) -> dt.date | None:
        shown = policy.birth_shown(context["request"].user, obj)
        return shown if isinstance(shown, dt.date) else None

    @staticmethod
    def resolve_birth_year(obj: Person) -> int:
        return obj.birth_date.year

    @staticmethod
    def resolve_age(obj: Person) -> int:
        return identity.age_on(obj.birth_date, clock.today())

    @staticmethod
    def resolve_id_number(obj: Person) -> str:
        return str(obj.id_number)  # Sealed: its text is the mask

    @staticmethod
    def resolve_phone(obj: Person) -> str:
        return str(obj.phone)

    @staticmethod
    def resolve_tags(obj: Person) -> list[str]:
        return [tag.code for tag in obj.tags.all()]


class PersonFiltersIn(Clean):
    q: str = Field(
        "", max_length=QUERY_MAX, description="full ID number, full phone, name or its pinyin"
    )
    household_id: Id | None = None
    tag: str = Field("", max_length=TAG_MAX)
    residency: Residency | None = None


class PersonCreateIn(In):
    household: Id = Field(description="id of the household")
    name: str = Field(max_length=NAME_MAX)
    id_number: str = Field(max_length=ID_NUMBER_MAX)
    phone: str = Field("", max_length=PHONE_MAX)
    gender: Gender | None = Field(None, description="checked against the ID number")
    birth_date: dt.date | None = Field(None, description="checked against the ID number")
    ethnicity: str = Field("01", max_length=2, description="GB 3304 code")
    relation: Relation = Relation.OTHER
    residency: Residency = Residency.LIVING
    moved_in_on: dt.date | None = None
    notes: str = Field("", max_length=services.NOTES_MAX)


class PersonUpdateIn(In):
    name: str | None = Field(None, max_length=NAME_MAX)
    id_number: str | None = Field(None, max_length=ID_NUMBER_MAX)
    phone: str | None = Field(None, max_length=PHONE_MAX)
    ethnicity: str | None = Field(None, max_length=2)
    relation: Relation | None = None
    residency: Residency | None = None
    moved_in_on: dt.date | None = None
    notes: str | None = Field(None, max_length=services.NOTES_MAX)
    version: int | None = Field(
        None, ge=1, le=ID_MAX, description="the version you read; 409 if someone changed it"
    )


class MoveOutIn(In):
    on_date: dt.date | None = Field(None, description="default today")
    reason: Literal["moved_out", "deceased"] = "moved_out"
    note: str = Field("", max_length=500)


class MoveInIn(In):
    household: Id = Field(description="id of the household moved into")
    relation: Relation = Relation.OTHER
    residency: Literal["living", "tenant"] = "living"
    on_date: dt.date | None = Field(None, description="default today")


class TagsIn(In):
    tags: list[Annotated[str, Field(max_length=TAG_MAX)]] = Field(
        max_length=50, description="tag codes; replaces the person's tags"
    )


class RevealIn(In):
    field: Literal["id_number", "phone"]
    purpose: str = Field(max_length=services.PURPOSE_MAX, description="why; kept in the audit log")


class RevealOut(Schema):
    field: str
    value: str


class TagOut(Schema):
    code: str
    name: str
    name_en: str


def _ref(field: str, get: Any, **kwargs: Any) -> Any:
    """An object named by id in a request body; missing or out of scope is an error on
    that field, worded the same for both."""
    try:
        return get(**kwargs)
    except NotFound:
        raise ValidationError({field: [_("No such record in your area.")]}) from None


# --- areas -------------------------------------------------------------------------------------


@router.get(
    "/areas",
    response={200: list[AreaOut], **ERRORS},
    operation_id="area_list",
    url_name="area_list",
    tags=["areas"],
)
@paginate(Page)
def area_list(request: SignedInRequest, filters: Query[AreaFiltersIn]) -> Any:
    """Areas the caller may see, in tree order."""
    return selectors.area_list_for(
        user=request.user, kind=filters.kind or "", parent_id=filters.parent_id
    )


@router.get(
    "/areas/{area_id}",
    response={200: AreaOut, **ERRORS},
    operation_id="area_get",
    url_name="area_get",
    tags=["areas"],
)
def area_get(request: SignedInRequest, area_id: int) -> Any:
    return selectors.area_get_for(user=request.user, area_id=area_id)


@router.post(
    "/areas",
    response={201: AreaOut, **WRITE_ERRORS},
    operation_id="area_create",
    tags=["areas"],
)
def area_create(request: SignedInRequest, payload: AreaCreateIn) -> Any:
    """Add a node under `parent` (needs area.manage there)."""
    user = request.user
    parent = _ref("parent", selectors.area_get_for, user=user, area_id=payload.parent)
    compound = None
    if payload.compound is not None:
        compound = _ref("compound", selectors.area_get_for, user=user, area_id=payload.compound)
    area = services.area_create(
        actor=user,
        parent=parent,
        kind=payload.kind,
        name=payload.name,
        code=payload.code,
        compound=compound,
        units=payload.units,
        floors=payload.floors,
        rooms_per_floor=payload.rooms_per_floor,
    )
    return Status(201, area)


@router.patch(
    "/areas/{area_id}",
    response={200: AreaOut, **WRITE_ERRORS},
    operation_id="area_update",
    tags=["areas"],
)
def area_update(request: SignedInRequest, area_id: int, payload: AreaUpdateIn) -> Any:
    """Rename; a building's units, floors, dwellings per floor (needs area.manage)."""
    area = selectors.area_get_for(user=request.user, area_id=area_id)
    if payload.name is not None:
        area = services.area_rename(actor=request.user, area=area, name=payload.name)
    given = payload.model_dump(exclude_unset=True, exclude={"name"})
    if given:
        current = {f: getattr(area, f) for f in ("units", "floors", "rooms_per_floor")}
        area = services.area_details_set(actor=request.user, area=area, **{**current, **given})
    return area


def _managed(request: SignedInRequest, area_id: int) -> Area:
    """A visible area the caller may manage: 404 when not visible, 403 when only visible
    (before any other id in the body is looked up)."""
    area = selectors.area_get_for(user=request.user, area_id=area_id)
    if not access.can(request.user, Perm.AREA_MANAGE, area.path):
        raise Forbidden()
    return area


@router.post(
    "/areas/{area_id}/move",
    response={200: AreaOut, **WRITE_ERRORS},
    operation_id="area_move",
    tags=["areas"],
)
def area_move(request: SignedInRequest, area_id: int, payload: AreaMoveIn) -> Any:
    """Put a grid under another grid or the community, or a building under another grid,
    in the same community. Paths of everything under it follow."""
    area = _managed(request, area_id)
    parent = _ref("parent", selectors.area_get_for, user=request.user, area_id=payload.parent)
    return services.area_move(actor=request.user, area=area, parent=parent, note=payload.note).area


@router.post(
    "/areas/{area_id}/close",
    response={200: AreaOut, **WRITE_ERRORS},
    operation_id="area_close",
    tags=["areas"],
)
def area_close(request: SignedInRequest, area_id: int, payload: AreaCloseIn) -> Any:
    """Close a grid, compound or building with nothing open left in it (400 says what)."""
    area = selectors.area_get_for(user=request.user, area_id=area_id)
    return services.area_close(actor=request.user, area=area, note=payload.note)


@router.post(
    "/areas/{area_id}/reopen",
    response={200: AreaOut, **WRITE_ERRORS},
    operation_id="area_reopen",
    tags=["areas"],
)
def area_reopen(request: SignedInRequest, area_id: int) -> Any:
    area = selectors.area_get_for(user=request.user, area_id=area_id)
    return services.area_reopen(actor=request.user, area=area)


@router.get(
    "/areas/{area_id}/geometry",
    response={200: FeatureOut, **ERRORS},
    operation_id="area_geometry_get",
    tags=["areas"],
)
def area_geometry_get(request: SignedInRequest, area_id: int) -> Any:
    """The area's shape as a GeoJSON Feature (geometry null when it has none)."""
    return _feature(selectors.area_get_for(user=request.user, area_id=area_id))


@router.put(
    "/areas/{area_id}/geometry",
    response={200: FeatureOut, **WRITE_ERRORS},
    operation_id="area_geometry_put",
    tags=["areas"],
)
def area_geometry_put(request: SignedInRequest, area_id: int, payload: GeometryIn) -> Any:
    """Set the area's shape: a GeoJSON geometry in the body (400 names the rule broken)."""
    area = selectors.area_get_for(user=request.user, area_id=area_id)
    geometry = payload.model_dump()
    return _feature(services.area_geometry_set(actor=request.user, area=area, geometry=geometry))


@router.get(
    "/areas/{area_id}/map",
    response={200: FeatureCollectionOut, **ERRORS},
    operation_id="area_map",
    tags=["areas"],
)
def area_map(request: SignedInRequest, area_id: int) -> Any:
    """The shapes of the area and everything under it that has one: a FeatureCollection."""
    area = selectors.area_get_for(user=request.user, area_id=area_id)
    shapes = selectors.area_shapes_for(user=request.user, area=area)
    return {"type": "FeatureCollection", "features": [_feature(a) for a in shapes]}


# --- households --------------------------------------------------------------------------------


@router.get(
    "/households",
    response={200: list[HouseholdOut], **ERRORS},
    operation_id="household_list",
    url_name="household_list",
    tags=["households"],
)
@paginate(Page)
def household_list(request: SignedInRequest, filters: Query[HouseholdFiltersIn]) -> Any:
    return selectors.household_list_for(
        user=request.user,
        filters=selectors.HouseholdFilters(
            q=filters.q, area_id=filters.area_id, tag=filters.tag, status=filters.status or ""
        ),
    )


@router.get(
    "/households/{household_id}",
    response={200: HouseholdOut, **ERRORS},
    operation_id="household_get",
    url_name="household_get",
    tags=["households"],
)
def household_get(request: SignedInRequest, household_id: int) -> Any:
    return selectors.household_get_for(user=request.user, household_id=household_id)


@router.post(
    "/households",
    response={201: HouseholdOut, **WRITE_ERRORS},
    operation_id="household_create",
    tags=["households"],
)
def household_create(request: SignedInRequest, payload: HouseholdCreateIn) -> Any:
    building = _ref("building", selectors.area_get_for, user=request.user, area_id=payload.building)
    household = services.household_create(
        actor=request.user,
        building=building,
        unit=payload.unit,
        room=payload.room,
        status=payload.status,
        notes=payload.notes,
    )
    return Status(201, household)


@router.patch(
    "/households/{household_id}",
    response={200: HouseholdOut, **WRITE_ERRORS},
    operation_id="household_update",
    tags=["households"],
)
def household_update(
    request: SignedInRequest, household_id: int, payload: HouseholdUpdateIn
) -> Any:
    """Correct unit, room, status, notes or head; send only the fields that change."""
    household = selectors.household_get_for(user=request.user, household_id=household_id)
    data = payload.model_dump(exclude_unset=True)
    if data.get("head") is not None:
        data["head"] = _ref(
            "head", selectors.person_get_for, user=request.user, person_id=data["head"]
        )
    return services.household_update(actor=request.user, household=household, data=data)


@router.post(
    "/households/{household_id}/move",
    response={200: HouseholdOut, **WRITE_ERRORS},
    operation_id="household_move",
    tags=["households"],
)
def household_move(request: SignedInRequest, household_id: int, payload: HouseholdMoveIn) -> Any:
    """Move to another dwelling in the same community."""
    household = selectors.household_get_for(user=request.user, household_id=household_id)
    building = _ref("building", selectors.area_get_for, user=request.user, area_id=payload.building)
    return services.household_move(
        actor=request.user,
        household=household,
        building=building,
        unit=payload.unit,
        room=payload.room,
    )


# --- persons -----------------------------------------------------------------------------------


@router.get(
    "/persons",
    response={200: list[PersonOut], **ERRORS},
    operation_id="person_list",
    url_name="person_list",
    tags=["persons"],
)
@paginate(Page)
def person_list(request: SignedInRequest, filters: Query[PersonFiltersIn]) -> Any:
    return selectors.person_list_for(
        user=request.user,
        filters=selectors.PersonFilters(
            q=filters.q,
            household_id=filters.household_id,
            tag=filters.tag,
            residency=filters.residency or "",
        ),
    )


@router.get(
    "/persons/{person_id}",
    response={200: PersonOut, **ERRORS},
    operation_id="person_get",
    url_name="person_get",
    tags=["persons"],
)
def person_get(request: SignedInRequest, person_id: int) -> Any:
    return selectors.person_get_for(user=request.user, person_id=person_id)


@router.post(
    "/persons",
    response={201: PersonOut, **WRITE_ERRORS},
    operation_id="person_create",
    tags=["persons"],
)
def person_create(request: SignedInRequest, payload: PersonCreateIn) -> Any:
    """Register a person; gender and birth date come from the ID number. A number already
    in the register is 409 `duplicate`, with `existing` when you may see that person."""
    household = _ref(
        "household", selectors.household_get_for, user=request.user, household_id=payload.household
    )
    data = payload.model_dump(exclude_unset=True, exclude={"household"})
    person = services.person_create(actor=request.user, household=household, data=data)
    return Status(201, person)


@router.patch(
    "/persons/{person_id}",
    response={200: PersonOut, **WRITE_ERRORS},
    operation_id="person_update",
    tags=["persons"],
)
def person_update(request: SignedInRequest, person_id: int, payload: PersonUpdateIn) -> Any:
    """Correct fields; send only those that change, and `version` to guard against
    overwriting someone else's edit (409 `conflict`)."""
    person = selectors.person_get_for(user=request.user, person_id=person_id)
    data = payload.model_dump(exclude_unset=True, exclude={"version"})
    return services.person_update(
        actor=request.user, person=person, data=data, expected_version=payload.version
    )


@router.post(
    "/persons/{person_id}/move-out",
    response={200: PersonOut, **WRITE_ERRORS},
    operation_id="person_move_out",
    tags=["persons"],
)
def person_move_out(request: SignedInRequest, person_id: int, payload: MoveOutIn) -> Any:
    person = selectors.person_get_for(user=request.user, person_id=person_id)
    return services.person_move_out(
        actor=request.user,
        person=person,
        on_date=payload.on_date,
        reason=payload.reason,
        note=payload.note,
    )


@router.post(
    "/persons/{person_id}/move-in",
    response={200: PersonOut, **WRITE_ERRORS},
    operation_id="person_move_in",
    tags=["persons"],
)
def person_move_in(request: SignedInRequest, person_id: int, payload: MoveInIn) -> Any:
    person = selectors.person_get_for(user=request.user, person_id=person_id)
    household = _ref(
        "household", selectors.household_get_for, user=request.user, household_id=payload.household
    )
    return services.person_move_in(
        actor=request.user,
        person=person,
        household=household,
        relation=payload.relation,
        residency=payload.residency,
        on_date=payload.on_date,
    )


@router.put(
    "/persons/{person_id}/tags",
    response={200: PersonOut, **WRITE_ERRORS},
    operation_id="person_tags_set",
    tags=["persons"],
)
def person_tags_set(request: SignedInRequest, person_id: int, payload: TagsIn) -> Any:
    """Make the person's tags exactly these codes."""
    person = selectors.person_get_for(user=request.user, person_id=person_id)
    return services.person_tag_set(actor=request.user, person=person, tag_codes=payload.tags)


@router.post(
    "/persons/{person_id}/reveal",
    response={200: RevealOut, **WRITE_ERRORS},
    operation_id="person_reveal",
    tags=["persons"],
)
def person_reveal(request: SignedInRequest, person_id: int, payload: RevealIn) -> Any:
    """The full ID number or phone, for roles with register.reveal; the purpose is audited."""
    person = selectors.person_get_for(user=request.user, person_id=person_id)
    value = services.person_reveal(
        actor=request.user, person=person, field=payload.field, purpose=payload.purpose
    )
    return {"field": payload.field, "value": value}


# --- tags --------------------------------------------------------------------------------------


@router.get(
    "/tags",
    response={200: list[TagOut], **ERRORS},
    operation_id="tag_list",
    url_name="tag_list",
    tags=["persons"],
)
def tag_list(request: SignedInRequest) -> Any:
    """The tag codes the register uses (独居老人, 残疾 …)."""
    return selectors.tag_list()


# --- transfer requests (迁入申请): registry/transfer_api.py ---------------------------------

router.add_router("/transfers", transfer_router)
router.add_router("/proxy-requests", proxy_router)
