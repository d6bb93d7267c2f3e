"""The roles an officer's account can hold, where each serves, and which districts it sees.
Pure; docs/security.md lists what each role can see and do, with the tests behind each line."""

from __future__ import annotations

from enum import StrEnum

from crosslink.directory import District, DistrictsDirectory


class Role(StrEnum):
    INVESTIGATING_OFFICER = "investigating_officer"
    CELL_IN_CHARGE = "cell_in_charge"
    DISTRICT_SUPERVISOR = "district_supervisor"  # the SP
    STATE_NODAL_OFFICER = "state_nodal_officer"
    OPERATOR = "operator"  # runs crosslink: deliveries, dead letters, hub identifiers
    REGISTRY_ADMINISTRATOR = "registry_administrator"  # the registry and generic values


# Roles that serve in one district and act on its alerts.
DISTRICT_ROLES = frozenset(
    {Role.INVESTIGATING_OFFICER, Role.CELL_IN_CHARGE, Role.DISTRICT_SUPERVISOR}
)
# Roles that see crosslink's own workings and never a district's alerts.
OPERATIONS_ROLES = frozenset({Role.OPERATOR, Role.REGISTRY_ADMINISTRATOR})


class BadScope(ValueError):
    """A role given a district it does not serve in, or without the one it needs."""


def check_scope(role: Role, district: str | None, state: str | None) -> None:
    """BadScope unless a district's role has a district, a state nodal officer a state, and
    the operations roles neither."""
    if role in DISTRICT_ROLES and (district is None or state is not None):
        raise BadScope(f"a {role} serves in one district: give its district and no state")
    if role is Role.STATE_NODAL_OFFICER and (state is None or district is not None):
        raise BadScope(f"a {role} serves a state: give its state and no district")
    if role in OPERATIONS_ROLES and (district is not None or state is not None):
        raise BadScope(f"an {role} serves no district or state: give neither")


def districts_seen(
    role: Role, district: str | None, state: str | None, directory: DistrictsDirectory
) -> list[District]:
    """The districts whose alerts the role sees: its own, its state's, or none."""
    if role in DISTRICT_ROLES:
        own = directory.get(district) if district else None
        return [own] if own is not None else []
    if role is Role.STATE_NODAL_OFFICER:
        return [d for d in directory.districts if d.state == state]
    return []
