"""Register pages of the workbench: the area tree, households and persons.

Thin by design: objects come from `selectors.*_get_for` (NotFound -> 404 through
`web.middleware`), every write goes through `services.*`, whose ValidationErrors are put
on the form field by field. Visible but not allowed (a police officer opening "edit") is
Forbidden -> 403; invisible is 404.
"""

from gongzhi.registry.views.areas import (
    area_children,
    area_close,
    area_create,
    area_edit,
    area_import,
    area_move,
    area_reopen,
    area_shapes,
    area_tree,
)
from gongzhi.registry.views.households import (
    household_create,
    household_detail,
    household_edit,
    household_list,
    household_move,
)
from gongzhi.registry.views.persons import (
    person_create,
    person_detail,
    person_edit,
    person_move_in,
    person_move_out,
    person_reveal,
    person_tags,
)

__all__ = [
    "area_children",
    "area_close",
    "area_create",
    "area_edit",
    "area_import",
    "area_move",
    "area_reopen",
    "area_shapes",
    "area_tree",
    "household_create",
    "household_detail",
    "household_edit",
    "household_list",
    "household_move",
    "person_create",
    "person_detail",
    "person_edit",
    "person_move_in",
    "person_move_out",
    "person_reveal",
    "person_tags",
]
